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
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import dns.exception
import dns.rdatatype
import yaml

from . import yamlfile
from .config import v_name
from .errors import UNREADABLE, BaselineError, Problem, shown
from .model import SCENARIOS
from .mtasts import RDTYPE as POLICY_TYPE  # an MTA-STS policy: no DNS type, a record set all the same
from .records import InvalidName, RecordKey, RecordSet, normalize_name
from .resolve import DEFINITE, FOUND, Lookup, LookupStatus

STATUSES = tuple(LookupStatus)
TOP_KEYS = ("written_at", "resolver", "domains", "lookups")

__all__ = ["Baseline", "BaselineError", "load", "dump", "write_atomic", "remove_stale_temp_files"]

#: Temp files of a write are ``.<name>.<writer pid>.<random>.tmp`` (git-ignored). One left by a
#: killed write is removed by the next write: at once when its writer's process is gone, else
#: (a pid from another machine sharing the folder, or no pid) once older than :data:`STALE_SECONDS`.
TEMP_SUFFIX = ".tmp"
STALE_SECONDS = 600

HEADER = (
    "# Last accepted DNS records of every checked domain.\n"
    "# Written by `python -m macros baseline`; review its diff, do not edit by hand.\n"
)


@dataclass(frozen=True)
class Baseline:
    """What :func:`load` reads and :func:`dump` writes."""

    path: str
    written_at: str | None = None
    resolver: str = ""
    #: {ascii domain: {RecordKey: RecordSet}}: the accepted record sets, compared for drift
    domains: dict[str, dict[RecordKey, RecordSet]] = field(default_factory=dict)
    #: {ascii domain: scenario}
    scenarios: dict[str, str | None] = field(default_factory=dict)
    #: {RecordKey: Lookup}: everything else the checks read (offline mode)
    lookups: dict[RecordKey, Lookup] = field(default_factory=dict)
    exists: bool = False

    def records(self, domain: str) -> dict[RecordKey, RecordSet] | None:
        return self.domains.get(domain)


def load(path: str) -> Baseline:
    """Read a baseline; a missing file is an empty baseline (every record set is then new).

    A malformed file raises one :class:`BaselineError` listing every problem with its entry and
    line; names are normalized like lookups (case, trailing dot), so a hand edit cannot hide
    drift; values of the wrong type (``cname_loop: "false"``) are problems, never misread.
    """
    p = Path(path)
    if not p.exists():
        return Baseline(path=str(path))
    try:
        data = yamlfile.load(p.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yamlfile.LoadError) as exc:
        raise BaselineError(path, [Problem(f"cannot be read as YAML ({exc})", kind=UNREADABLE,
                                           line=getattr(exc, "line", None))]) from None
    if not isinstance(data, dict):
        raise BaselineError(path, ["the top level must be a mapping (written_at, domains, lookups)"])
    problems: list[Problem] = []
    for key in sorted(set(data) - set(TOP_KEYS), key=str):
        problems.append(Problem(f"unknown top-level key {shown(key)} (allowed: {', '.join(TOP_KEYS)})",
                                field=str(key)[:80], line=yamlfile.line_of(data, key)))
    raw_domains = data.get("domains") or {}
    if not isinstance(raw_domains, dict):
        problems.append(Problem("domains: must be a mapping of domain -> {scenario, records}",
                                line=yamlfile.line_of(data, "domains")))
        raw_domains = {}
    domains: dict = {}
    scenarios: dict = {}
    for domain, entry in raw_domains.items():
        where = f"domains.{domain if isinstance(domain, str) and len(domain) <= 80 else shown(domain)}"
        line = yamlfile.line_of(raw_domains, domain)
        if not isinstance(entry, dict):
            problems.append(Problem(f"{where}: must be a mapping with 'scenario' and 'records'", where, line=line))
            continue
        # the names domains.yml accepts, and no other (a backslash escape would check another name)
        names, reasons = v_name(domain) if isinstance(domain, str) else (None, ["is not a domain name"])
        if reasons:
            problems.extend(Problem(f"{where}: {reason}", where, line=line) for reason in reasons)
            continue
        key_domain = names[1]
        for key in sorted(set(entry) - {"scenario", "records"}, key=str):
            problems.append(Problem(f"{where}: unknown field {shown(key)} (allowed: records, scenario)",
                                    where, str(key)[:80], yamlfile.line_of(entry, key) or line))
        rows = entry.get("records") or []
        if not isinstance(rows, list):
            problems.append(Problem(f"{where}.records: must be a list", where, "records",
                                    yamlfile.line_of(entry, "records")))
            continue
        records = {}
        for i, rec in enumerate(rows):
            parsed = _record(rec, f"{where}.records[{i}]", yamlfile.line_of(rows, i), problems)
            if parsed:
                records[parsed.key] = parsed
        domains[key_domain] = records
        scenario = entry.get("scenario")
        if scenario is not None and scenario not in SCENARIOS:
            problems.append(Problem(f"{where}.scenario: {shown(scenario)} is not one of {', '.join(SCENARIOS)}",
                                    where, "scenario", yamlfile.line_of(entry, "scenario")))
        scenarios[key_domain] = scenario
    raw_lookups = data.get("lookups") or []
    if not isinstance(raw_lookups, list):
        problems.append(Problem("lookups: must be a list", line=yamlfile.line_of(data, "lookups")))
        raw_lookups = []
    lookups = {}
    for i, rec in enumerate(raw_lookups):
        lk = _lookup(rec, f"lookups[{i}]", yamlfile.line_of(raw_lookups, i), problems)
        if lk is not None:
            lookups[lk.key] = lk
    written = data.get("written_at")
    if written is not None and not _is_time(written):
        problems.append(Problem("written_at: must be a quoted time like '2026-11-29T02:00:00Z'"
                                + (f", not {shown(written)}" if isinstance(written, str) else ""),
                                field="written_at", line=yamlfile.line_of(data, "written_at")))
    resolver = data.get("resolver")
    if resolver is not None and (not isinstance(resolver, str) or not resolver.isprintable()):
        problems.append(Problem(f"resolver: must be the text of the resolver asked (127.0.0.1:53), not {shown(resolver)}",
                                field="resolver", line=yamlfile.line_of(data, "resolver")))
    if problems:
        raise BaselineError(path, problems)
    return Baseline(path=str(path), written_at=written or None,
                    resolver=str(data.get("resolver") or ""), domains=domains,
                    scenarios=scenarios, lookups=lookups, exists=True)


def _is_time(value) -> bool:
    """An ISO 8601 time with its zone, as ``baseline`` writes it (``2026-11-29T02:00:00Z``)."""
    if not isinstance(value, str) or len(value) > 40:
        return False
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


def _lookup(rec, where: str, line: int | None, problems: list) -> Lookup | None:
    """One stored lookup, every field of its own type, or None (and problems)."""
    parsed = _record(rec, where, line, problems)
    if parsed is None:
        return None
    name, rdtype, values = parsed.name, parsed.type, parsed.values
    before = len(problems)
    status = rec.get("status", FOUND)
    if status not in STATUSES:
        problems.append(Problem(f"{where}: 'status': {shown(status)} is not one of {', '.join(STATUSES)}",
                                where, "status", yamlfile.line_of(rec, "status") or line))
    chain = rec.get("chain") or []
    if not isinstance(chain, list) or not all(isinstance(v, str) for v in chain):
        problems.append(Problem(f"{where}: 'chain' must be a list of names", where, "chain",
                                yamlfile.line_of(rec, "chain") or line))
    cname_loop = rec.get("cname_loop", False)
    if not isinstance(cname_loop, bool):
        problems.append(Problem(f"{where}: 'cname_loop' must be true or false, not {shown(cname_loop)}",
                                where, "cname_loop", yamlfile.line_of(rec, "cname_loop") or line))
    if len(problems) > before:
        return None
    return Lookup(
        name=name,
        rdtype=rdtype,
        status=LookupStatus(status),
        values=values,
        chain=tuple(chain),
        raw=tuple(v.encode("utf-8", "surrogateescape") for v in values) if rdtype in ("TXT", "SPF") else (),
        cname_loop=cname_loop,
        reason="from the baseline",
        server="baseline",
    )


def _record(rec, where: str, line: int | None, problems: list) -> RecordSet | None:
    """The record set of one entry, or None and a problem naming it."""
    def bad(text: str, field: str | None = None) -> None:
        problems.append(Problem(f"{where}: {text}", where, field,
                                (yamlfile.line_of(rec, field) if field else None) or line))

    if not isinstance(rec, dict) or "name" not in rec or "type" not in rec:
        return bad("needs 'name', 'type' and 'values'")
    values = rec.get("values")
    if values is None:
        values = []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        return bad("'values' must be a list of strings", "values")
    if not isinstance(rec["name"], str) or not isinstance(rec["type"], str):
        return bad("'name' and 'type' must be text", "name")
    try:
        normalize_name(rec["name"])
    except InvalidName as exc:
        return bad(f"'name': {exc}", "name")
    if not _is_type(rec["type"]):
        return bad(f"'type': {shown(rec['type'])} is not a DNS record type (MX, TXT, ...) or {POLICY_TYPE}", "type")
    return RecordSet(rec["name"], rec["type"], values)


def _is_type(text: str) -> bool:
    if text.upper() == POLICY_TYPE:
        return True
    try:
        dns.rdatatype.from_text(text)
    except (dns.exception.DNSException, ValueError):
        return False
    return True


def dump(baseline: Baseline) -> str:
    """The YAML text of ``baseline`` (what :func:`load` reads back); sorted so the same records
    always give the same bytes. Only definite lookups (and CNAME loops) are written."""
    doc = {
        "written_at": baseline.written_at,
        "resolver": baseline.resolver,
        "domains": {
            domain: {
                "scenario": baseline.scenarios.get(domain),
                "records": [
                    {"name": rs.name, "type": rs.type, "values": list(rs.values)}
                    for _, rs in sorted(records.items())
                ],
            }
            for domain, records in sorted(baseline.domains.items())
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
            for _, lk in sorted(baseline.lookups.items())
            if lk.status in DEFINITE or lk.cname_loop
        ],
    }
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    return HEADER + body


def write_atomic(path: str, text) -> None:
    """Write ``text`` (a string, or an iterable of strings written one after another) to
    ``path`` through a temp file in the same folder and a rename.

    A symlinked ``path`` stays a link: its target is replaced (``os.replace`` on the link itself
    would turn it into a plain file and leave the target stale). Temp files that an earlier,
    killed write left behind are removed first (see :data:`STALE_SECONDS`).
    """
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(target)
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=TEMP_SUFFIX, dir=folder)
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600; keep the file readable as before
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            if isinstance(text, str):
                fh.write(text)
            else:
                fh.writelines(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def remove_stale_temp_files(target: Path, older_than: float = STALE_SECONDS) -> list[Path]:
    """Remove the temp files a killed write left beside ``target`` (see :data:`TEMP_SUFFIX`);
    a write still running keeps its own. Returns what was removed."""
    removed = []
    now = time.time()
    for leftover in target.parent.glob(f".{target.name}.*{TEMP_SUFFIX}"):
        try:
            if not leftover.is_file() or leftover.is_symlink():
                continue
            if _writer_gone(leftover.name[len(target.name) + 2:]) or now - leftover.lstat().st_mtime > older_than:
                leftover.unlink()
                removed.append(leftover)
        except OSError:
            continue
    return removed


def _writer_gone(rest: str) -> bool:
    """True when ``<pid>.<random>.tmp`` names a process of this machine that no longer runs."""
    pid = rest.split(".", 1)[0]
    if not pid.isdigit() or int(pid) == os.getpid() or int(pid) <= 1:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, OSError):
        return False  # alive under another user, or not a pid at all: leave it to the age rule
    return False
