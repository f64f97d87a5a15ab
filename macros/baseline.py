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

from .records import InvalidName, normalize_name
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
    """Read a baseline; a missing file is an empty baseline (every record set is then new).

    A malformed file raises :class:`BaselineError` naming the file and the entry; names are
    normalized like lookups (case, trailing dot), so a hand edit cannot hide drift.
    """
    p = Path(path)
    if not p.exists():
        return Baseline(path=str(path))
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BaselineError(f"{path}: cannot be read as YAML ({exc})") from None
    if not isinstance(data, dict):
        raise BaselineError(f"{path}: the top level must be a mapping (written_at, domains, lookups)")
    raw_domains = data.get("domains") or {}
    if not isinstance(raw_domains, dict):
        raise BaselineError(f"{path}: domains: must be a mapping of domain -> {{scenario, records}}")
    domains: dict = {}
    scenarios: dict = {}
    for domain, entry in raw_domains.items():
        where = f"{path}: domains.{domain}"
        if not isinstance(entry, dict):
            raise BaselineError(f"{where}: must be a mapping with 'scenario' and 'records'")
        try:
            key_domain = normalize_name(str(domain)).rstrip(".")
        except InvalidName as exc:
            raise BaselineError(f"{where}: {exc}") from None
        rows = entry.get("records") or []
        if not isinstance(rows, list):
            raise BaselineError(f"{where}.records: must be a list")
        records = {}
        for i, rec in enumerate(rows):
            name, rdtype, values = _record(rec, f"{where}.records[{i}]")
            records[(name, rdtype)] = values
        domains[key_domain] = records
        scenarios[key_domain] = entry.get("scenario")
    raw_lookups = data.get("lookups") or []
    if not isinstance(raw_lookups, list):
        raise BaselineError(f"{path}: lookups: must be a list")
    lookups = {}
    for i, rec in enumerate(raw_lookups):
        where = f"{path}: lookups[{i}]"
        name, rdtype, values = _record(rec, where)
        chain = rec.get("chain") or []
        if not isinstance(chain, list):
            raise BaselineError(f"{where}: 'chain' must be a list")
        lk = Lookup(
            name=name,
            rdtype=rdtype,
            status=str(rec.get("status", FOUND)),
            values=values,
            chain=tuple(str(v) for v in chain),
            raw=tuple(v.encode("utf-8", "surrogateescape") for v in values) if rdtype in ("TXT", "SPF") else (),
            cname_loop=bool(rec.get("cname_loop", False)),
            reason="from the baseline",
            server="baseline",
        )
        lookups[lk.key] = lk
    written = data.get("written_at")
    return Baseline(path=str(path), written_at=str(written) if written else None,
                    resolver=str(data.get("resolver") or ""), domains=domains,
                    scenarios=scenarios, lookups=lookups, exists=True)


def _record(rec, where: str) -> tuple[str, str, tuple[str, ...]]:
    """(normalized name, TYPE, values) of one entry, or a BaselineError naming it."""
    if not isinstance(rec, dict) or "name" not in rec or "type" not in rec:
        raise BaselineError(f"{where}: needs 'name', 'type' and 'values'")
    values = rec.get("values")
    if values is None:
        values = []
    if not isinstance(values, list) or not all(isinstance(v, (str, int, float)) for v in values):
        raise BaselineError(f"{where}: 'values' must be a list of strings")
    try:
        name = normalize_name(str(rec["name"]))
    except InvalidName as exc:
        raise BaselineError(f"{where}: 'name': {exc}") from None
    return name, str(rec["type"]).upper(), tuple(sorted(str(v) for v in values))


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
                "status": str(lk.status),  # a plain str: YAML safe_dump knows no StrEnum
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
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600; keep the file readable as before
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
