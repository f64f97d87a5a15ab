"""MkDocs hooks: add the generated pages (the domain index and one page per checked domain).

Runs after mkdocs-macros' on_config (hooks come after plugins), so the engine's run is ready.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mkdocs.structure.files import File, Files

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from macros import site  # noqa: E402  (the package mkdocs-macros already imported)


def on_files(files: Files, config) -> Files:
    for src_uri, content in site.generated_pages().items():
        existing = files.get_file_from_path(src_uri)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, src_uri, content=content))
    return files
