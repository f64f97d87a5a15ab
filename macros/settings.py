"""The environment variables of CONTRACT.md, read the same way by the site and the CLI."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .resolve import parse_nameservers

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """A bad environment variable: the message names it."""


@dataclass(frozen=True)
class Settings:
    domains_file: str
    baseline_file: str
    nameservers: tuple[tuple[str, int], ...]
    offline: bool
    fail_on_drift: bool
    tenants_dir: str = "tenants"  # MAILFLOW_TENANTS: Exchange Online exports (macros/tenant.py)


def _flag(name: str, value) -> bool:
    text = str(value if value is not None else "").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise SettingsError(f"{name}={value!r}: use 1 or 0")


def from_mapping(values: dict, base_dir: str | os.PathLike = ".") -> Settings:
    """Settings from a mapping with the CONTRACT.md names (``os.environ`` or mkdocs.yml's
    ``extra.mailflow`` read through ``!ENV``). Relative paths are taken from ``base_dir``."""
    def path(key: str, default: str) -> str:
        p = Path(str(values.get(key) or "").strip() or default)
        return str(p if p.is_absolute() else Path(base_dir) / p)

    try:
        nameservers = tuple(parse_nameservers(values.get("MAILFLOW_NAMESERVERS")))
    except ValueError as exc:
        raise SettingsError(f"MAILFLOW_NAMESERVERS: {exc}") from None
    return Settings(
        domains_file=path("MAILFLOW_DOMAINS", "domains.yml"),
        baseline_file=path("MAILFLOW_BASELINE", "baseline.yml"),
        nameservers=nameservers,
        offline=_flag("MAILFLOW_OFFLINE", values.get("MAILFLOW_OFFLINE", "0")),
        fail_on_drift=_flag("MAILFLOW_FAIL_ON_DRIFT", values.get("MAILFLOW_FAIL_ON_DRIFT", "0")),
        tenants_dir=path("MAILFLOW_TENANTS", "tenants"),
    )


def from_environ(base_dir: str | os.PathLike = ".") -> Settings:
    return from_mapping(dict(os.environ), base_dir)
