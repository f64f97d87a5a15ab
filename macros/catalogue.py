"""The catalogue of filtering services, read from ``catalogue.yml`` beside this module.

Data, not code: adding a service means adding an entry to the YAML file.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

CATALOGUE_FILE = Path(__file__).with_name("catalogue.yml")


@dataclass(frozen=True)
class Service:
    key: str
    name: str
    mx_patterns: tuple[str, ...]
    spf_include: tuple[str, ...]
    docs: str
    unconfirmed: tuple[str, ...] = ()   # patterns/includes not confirmed from the vendor's docs
    note: str = ""


@lru_cache(maxsize=1)
def services() -> dict[str, Service]:
    data = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8")) or {}
    result = {}
    for key, entry in (data.get("services") or {}).items():
        try:
            result[key] = _service(key, entry)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            from .errors import CatalogueError  # a typo in catalogue.yml: one clear message

            field = f"field {exc.args[0]!r} missing" if isinstance(exc, KeyError) else str(exc)
            raise CatalogueError(CATALOGUE_FILE, [f"services.{key}: {field}"]) from None
    return result


def _service(key, entry) -> Service:
    """One catalogue entry (a missing field raises KeyError, turned into a CatalogueError)."""
    return Service(
        key=key,
        name=entry["name"],
        mx_patterns=tuple(p.lower().rstrip(".") for p in entry.get("mx", [])),
        spf_include=tuple(entry.get("spf_include", []) or []),
        docs=entry.get("docs", ""),
        unconfirmed=tuple(entry.get("unconfirmed", []) or []),
        note=entry.get("note", ""),
    )


def keys() -> list[str]:
    return sorted(services())


def get(key: str) -> Service | None:
    return services().get(key)


def host_matches(host: str, patterns) -> bool:
    """True when ``host`` (any case, with or without trailing dot) matches a glob pattern."""
    host = host.lower().rstrip(".")
    return any(fnmatch.fnmatchcase(host, p.lower().rstrip(".")) for p in patterns)
