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

#: The whole-site tests' mix: passes, fails, a hybrid without its on-premises IP in SPF, an IDN,
#: hostile records, Exchange Online only (zones in tests/zones, served by tests/support/bind.py).
DOMAINS = [
    {"name": "contoso.example", "scenario": "third-party-filter", "filter": "hornetsecurity", "tenant": "contoso"},
    {"name": "bypass.example", "scenario": "third-party-filter", "filter": "hornetsecurity", "tenant": "bypass"},
    {"name": "hybrid-missing.example", "scenario": "hybrid-third-party", "filter": "hornetsecurity",
     "tenant": "hybridmissing", "onprem_ips": ["198.51.100.25"]},
    {"name": "bücher.example", "scenario": "third-party-filter", "filter": "hornetsecurity", "tenant": "buecher"},
    {"name": "hostile.example", "scenario": "third-party-filter", "filter_mx": ["*.hostile.example"]},
    {"name": "exo.example", "scenario": "exchange-online"},
]


@dataclass
class Build:
    returncode: int
    output: str
    project: Path
    site_dir: Path | None = None

    @property
    def site(self) -> Path:
        return self.site_dir or self.project / "site"

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
def build_in_process(project: Path, site_dir: Path, config=None, **env) -> Build:
    """``mkdocs build --strict`` of ``project`` inside this process (as ``mkdocs serve`` rebuilds do),
    with ``MAILFLOW_*`` from ``env`` only. ``config``: a :class:`macros.config.Config` to check
    instead of the domains file, built directly (so names that validation would refuse still
    reach the renderer: the pages must hold without it)."""
    import pytest
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    import macros.config

    with pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("MAILFLOW_")]:
            patch.delenv(key)
        for key, value in env.items():
            patch.setenv(key, str(value))
        if config is not None:
            patch.setattr(macros.config, "load", lambda path: config)
        patch.chdir(project)
        mkdocs_build(load_config(str(project / "mkdocs.yml"), site_dir=str(site_dir)))
    return Build(0, "", project, site_dir)


#: Names the theme, YAML, Markdown or Jinja would read as code. Validation of domains.yml refuses
#: most of them; the pages must hold anyway, so the tests build from a Config made directly.
HOSTILE_NAMES = [
    "<img src=x onerror=alert(1)>.example",
    '"><script>alert(2)</script>.example',
    "{{ 7*7 }}.example",
    "&lt;script&gt;alert(4)&lt;/script&gt;.example",
    "a\n---\ntitle: <script>alert(5)</script>\n---\n.example",
    "[x](javascript:alert(6)){: onclick=alert(7) }.example",
    "../../index.example",
]


def hostile_config():
    from macros.config import Config, DomainSpec

    return Config(path="crafted", domains=tuple(
        DomainSpec(name=n, ascii=n, scenario="third-party-filter", filter_mx=("*.filter.example",))
        for n in HOSTILE_NAMES))
