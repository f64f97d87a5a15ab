"""Build the real site with ``mkdocs build --strict`` in a subprocess, as users and the nightly job do.

The project is copied into a temporary folder (docs, macros, mkdocs.yml, overrides), a domains file
is written there, and MkDocs runs with exactly the environment the test gives: nothing of the
caller's ``MAILFLOW_*`` leaks in.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MKDOCS = [sys.executable, "-m", "mkdocs"]
COPY = ("docs", "macros", "overrides", "mkdocs.yml")


@dataclass
class Build:
    returncode: int
    output: str
    project: Path

    @property
    def site(self) -> Path:
        return self.project / "site"

    def page(self, path: str) -> str:
        target = self.site / path
        if target.is_dir() or path.endswith("/") or not target.suffix:
            target = target / "index.html"
        return target.read_text(encoding="utf-8")

    def drift(self) -> dict:
        return json.loads((self.site / "drift.json").read_text(encoding="utf-8"))

    def html_files(self):
        return sorted(self.site.rglob("*.html"))


def make_project(tmp: Path, domains: list[dict] | None = None, extra: dict | None = None) -> Path:
    """A copy of the project in ``tmp`` with its own domains.yml (when ``domains`` is given)."""
    tmp.mkdir(parents=True, exist_ok=True)
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, tmp / name, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
        elif src.exists():
            shutil.copy2(src, tmp / name)
    if domains is not None:
        data = {"resolver": {"timeout": 1, "lifetime": 2, "confirm_delay": 0.2}, "domains": domains}
        data.update(extra or {})
        (tmp / "domains.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return tmp


def clean_env(**values) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    env.update({k: str(v) for k, v in values.items() if v is not None})
    return env


def build(project: Path, timeout: float = 240, **env) -> Build:
    """``mkdocs build --strict`` in ``project`` with ``MAILFLOW_*`` from ``env`` only."""
    proc = subprocess.run(MKDOCS + ["build", "--strict"], cwd=project, env=clean_env(**env),
                          capture_output=True, text=True, timeout=timeout)
    return Build(proc.returncode, proc.stdout + proc.stderr, project)


def cli(project: Path, *args, timeout: float = 120, **env) -> subprocess.CompletedProcess:
    """``python -m macros ...`` in ``project``."""
    return subprocess.run([sys.executable, "-m", "macros", *args], cwd=project, env=clean_env(**env),
                          capture_output=True, text=True, timeout=timeout)


#: What must never appear in a built page, whatever DNS or a fetched policy said.
HOSTILE_MARKERS = [
    re.compile(r"<script[^>]*>\s*alert", re.I),
    re.compile(r"<img[^>]*onerror", re.I),
    re.compile(r"<[a-z][^>]*\son(error|click)\s*=", re.I),
    re.compile(r'href\s*=\s*["\']?\s*javascript:(?!void\(0\)")', re.I),  # Material's own share button
]
