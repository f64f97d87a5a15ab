"""baseline.yml: the last accepted records, read for drift and offline mode, written atomically.

Layout (sorted, stable, diff-friendly; a reviewer reads its git diff like a changelog)::

    written_at: '2026-11-29T02:00:00Z'
    resolver: 127.0.0.1:5353
    domains:
      contoso.com:
        scenario: third-party-filter
        records:                      # compared for drift
          - name: contoso.com.
            type: MX
            values: ['10 mx01.hornetsecurity.com.']
    lookups:                          # everything else the checks read; used offline only
      - name: spf.protection.outlook.com.
        type: TXT
        status: found
        values: ['v=spf1 ...']
        chain: []

Only ``python -m macros baseline`` writes it.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .resolve import DEFINITE, FOUND, Lookup

HEADER = (
    "# Last accepted DNS records of every checked domain.\n"
    "# Written by `python -m macros baseline`; review its diff, do not edit by hand.\n"
)


class BaselineError(ValueError):
    """An unreadable or malformed baseline file (message names the file and the entry)."""


@dataclass(frozen=True)
class Baseline:
    path: str
    written_at: str | None = None
    resolver: str = ""
    #: {ascii domain: {(name, type): values tuple}}
    domains: dict = field(default_factory=dict)
    #: {ascii domain: scenario}
    scenarios: dict = field(default_factory=dict)
    #: {(name, type): Lookup}
    lookups: dict = field(default_factory=dict)
    exists: bool = False

    def records(self, domain: str) -> dict | None:
        return self.domains.get(domain)


def load(path: str) -> Baseline:
    """Read a baseline; a missing file is an empty baseline (every record set is then new)."""
    p = Path(path)
    if not p.exists():
        return Baseline(path=str(path))
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BaselineError(f"{path}: cannot be read as YAML ({exc})") from None
    if not isinstance(data, dict):
        raise BaselineError(f"{path}: the top level must be a mapping")
    domains: dict = {}
    scenarios: dict = {}
    for domain, entry in (data.get("domains") or {}).items():
        if not isinstance(entry, dict):
            raise BaselineError(f"{path}: domains.{domain}: must be a mapping")
        records = {}
        for i, rec in enumerate(entry.get("records") or []):
            try:
                key = (str(rec["name"]), str(rec["type"]))
                records[key] = tuple(str(v) for v in rec.get("values") or [])
            except (KeyError, TypeError):
                raise BaselineError(
                    f"{path}: domains.{domain}.records[{i}]: needs 'name', 'type' and 'values'"
                ) from None
        domains[str(domain)] = records
        scenarios[str(domain)] = entry.get("scenario")
    lookups = {}
    for i, rec in enumerate(data.get("lookups") or []):
        try:
            lk = Lookup(
                name=str(rec["name"]),
                rdtype=str(rec["type"]),
                status=str(rec.get("status", FOUND)),
                values=tuple(str(v) for v in rec.get("values") or []),
                chain=tuple(str(v) for v in rec.get("chain") or []),
                raw=tuple(str(v).encode("utf-8", "surrogateescape") for v in rec.get("values") or [])
                if str(rec["type"]) in ("TXT", "SPF") else (),
                cname_loop=bool(rec.get("cname_loop", False)),
                reason="from the baseline",
                server="baseline",
            )
        except (KeyError, TypeError):
            raise BaselineError(f"{path}: lookups[{i}]: needs 'name', 'type' and 'values'") from None
        lookups[lk.key] = lk
    written = data.get("written_at")
    return Baseline(path=str(path), written_at=str(written) if written else None,
                    resolver=str(data.get("resolver") or ""), domains=domains,
                    scenarios=scenarios, lookups=lookups, exists=True)


def dump(written_at: str, resolver: str, domains: dict, scenarios: dict, lookups) -> str:
    """The YAML text of a baseline; sorted so the same records always give the same bytes."""
    doc = {
        "written_at": written_at,
        "resolver": resolver,
        "domains": {
            domain: {
                "scenario": scenarios.get(domain),
                "records": [
                    {"name": name, "type": rdtype, "values": list(values)}
                    for (name, rdtype), values in sorted(records.items())
                ],
            }
            for domain, records in sorted(domains.items())
        },
        "lookups": [
            {
                "name": lk.name,
                "type": lk.rdtype,
                "status": lk.status,
                "values": list(lk.values),
                "chain": list(lk.chain),
                **({"cname_loop": True} if lk.cname_loop else {}),
            }
            for lk in sorted(lookups, key=lambda lk: lk.key)
            if lk.status in DEFINITE or lk.cname_loop
        ],
    }
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    return HEADER + body


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file in the same folder and a rename."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
