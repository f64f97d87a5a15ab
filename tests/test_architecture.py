"""The Architecture page (docs/authoring/architecture.md) is checked against the code: every
module it lists exists, every module of macros/ is listed, every engine phase and function it
names exists. A module added without a line on the page fails here."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "authoring" / "architecture.md"


def listed_modules() -> set[str]:
    return set(re.findall(r"^\| `(macros/[\w/]+\.py)` \|", PAGE.read_text(encoding="utf-8"), re.M))


def test_every_module_is_listed_and_every_listed_module_exists():
    actual = {str(p.relative_to(ROOT)) for p in (ROOT / "macros").rglob("*.py")}
    assert listed_modules() == actual, (sorted(actual - listed_modules()), sorted(listed_modules() - actual))


def test_every_module_says_what_it_is():
    for path in sorted((ROOT / "macros").rglob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert (doc or "").strip(), f"{path} has no docstring"


def test_the_names_in_the_data_flow_exist():
    text = PAGE.read_text(encoding="utf-8")
    flow = text[text.index("## Data flow"):text.index("## Modules")]
    names = set(re.findall(r"\b(engine|checks|config|nightly|acceptance|mtasts|errors|model|resolve|records|drift|baseline)"
                           r"\.([A-Za-z_][A-Za-z0-9_]*)", flow))
    names -= {(module, ext) for module, ext in names if ext in ("json", "yml", "xml")}  # file names
    assert len(names) >= 10
    for module, attr in sorted(names):
        assert hasattr(importlib.import_module(f"macros.{module}"), attr), f"{module}.{attr}"
    phases = re.findall(r"engine\.(_\w+)", flow)
    source = (ROOT / "macros" / "engine.py").read_text(encoding="utf-8")
    run = source[source.index("def run("):source.index("# ---- the phases")]
    assert [p for p in phases if p in run] == sorted((p for p in phases if p in run), key=run.index), \
        "the page lists the phases in another order than engine.run calls them"
