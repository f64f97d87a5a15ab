"""domains.yml: read, validate, and turn into typed settings.

Validation collects every problem first and raises one :class:`ConfigError` listing them all,
each naming the file, the entry, the field and the line (in the manner of octoDNS's
``ValidationError`` and ``ContextLoader``). Each field has a small validator that takes the raw
value and returns ``(value, reasons)``; :func:`_domain` only composes them and the rules that
join two fields. The catalogue entry of ``filter`` is resolved here, when the spec is built.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field as dc_field
from pathlib import Path

from . import catalogue as catalogue_mod
from . import yamlfile
from .errors import MISSING_FILE, UNREADABLE, ConfigError, Problem, shown
from .model import SCENARIOS
from .records import InvalidName, dashed, display_name, is_hostname, normalize_name

__all__ = ["ConfigError", "Config", "DomainSpec", "load", "from_data"]

DEFAULT_CANARY = ("spf.protection.outlook.com", "TXT")
TOP_KEYS = {"resolver", "canary", "domains"}
RESOLVER_KEYS = {"timeout", "lifetime", "max_in_flight", "confirm_delay"}
DOMAIN_KEYS = {
    "name", "scenario", "filter", "filter_mx", "tenant", "onprem_ips", "filter_ips", "senders",
    "exo_host", "notes", "dkim_targets", "outbound", "arc_sealer",
}
OUTBOUND = ("direct", "filter")
DKIM_SELECTORS = ("selector1", "selector2")

#: resolver settings: (default, smallest, largest, zero allowed). Finite and bounded, so no
#: setting can hang a build (``.inf``) or sleep for a day (``1e12``).
RESOLVER_LIMITS = {
    "timeout": (2.0, 0.0, 60.0, False),
    "lifetime": (5.0, 0.0, 300.0, False),
    "max_in_flight": (64, 1, 1024, False),
    "confirm_delay": (2.0, 0.0, 60.0, True),
}


@dataclass(frozen=True)
class DomainSpec:
    """One checked domain and what it should look like."""

    name: str                      # as given (IDN allowed), shown as given
    ascii: str                     # A-label form without trailing dot
    scenario: str
    filter: str | None = None      # catalogue key
    filter_mx: tuple[str, ...] = ()  # glob patterns of the filter's MX hosts (explicit or catalogue)
    tenant: str | None = None
    onprem_ips: tuple[str, ...] = ()
    filter_ips: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()
    exo_host: str | None = None    # explicit, or None for the default
    notes: str = ""
    #: Selector1CNAME / Selector2CNAME exactly as Microsoft 365 gives them (A-labels, no
    #: trailing dot), or () when not set
    dkim_targets: tuple[tuple[str, str], ...] = ()
    outbound: str = "direct"       # direct | filter (Exchange Online sends through the filter)
    arc_sealer: str | None = None  # the filter's ARC sealing domain, overriding the catalogue
    #: the catalogue entry of ``filter``, resolved when the spec is built
    service: catalogue_mod.Service | None = dc_field(default=None, compare=False, repr=False)

    @property
    def fqdn(self) -> str:
        """A-label form with trailing dot, the key used for lookups."""
        return self.ascii + "."

    @property
    def dashed(self) -> str:
        """``contoso.com`` -> ``contoso-com`` (Exchange Online host and DKIM target names)."""
        return dashed(self.ascii)

    @property
    def expected_exo_host(self) -> str:
        return (self.exo_host or f"{self.dashed}.mail.protection.outlook.com").rstrip(".").lower() + "."

    @property
    def third_party(self) -> bool:
        return self.scenario != "exchange-online"

    @property
    def filter_name(self) -> str:
        if self.service is not None:
            return self.service.name
        return self.filter or "the filtering service"


@dataclass(frozen=True)
class Config:
    path: str
    domains: tuple[DomainSpec, ...]
    timeout: float = 2.0
    lifetime: float = 5.0
    max_in_flight: int = 64
    confirm_delay: float = 2.0
    canary: tuple[str, str] = DEFAULT_CANARY

    def get(self, name: str) -> DomainSpec | None:
        if not isinstance(name, str) or _hidden(name.strip()):  # \097bc.example is not abc.example
            return None
        try:
            wanted = normalize_name(name).rstrip(".")
        except InvalidName:
            return None
        return next((d for d in self.domains if d.ascii == wanted), None)


def load(path: str | os.PathLike) -> Config:
    """Read and validate a domains file. Raises :class:`ConfigError` (never a traceback)."""
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, [Problem("the file does not exist (set MAILFLOW_DOMAINS or create it)",
                                         kind=MISSING_FILE)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [Problem(f"cannot be read: {exc}", kind=UNREADABLE)]) from None
    try:
        data = yamlfile.load(text)
    except yamlfile.LoadError as exc:
        problem = exc.problem if exc.problem.startswith("not valid YAML") else f"not valid YAML ({exc.problem})"
        raise ConfigError(path, [Problem(f"{exc.where}{problem}", kind=UNREADABLE)]) from None
    return from_data(data, path)


# ---- small validators: raw value in, (value, reasons) out ---------------------------------------

#: Characters a name written by a person never holds: backslash escapes (dnspython would turn
#: ``\\097`` or ``\\u003c`` into other text than the one shown), and invisible ones (controls,
#: zero-width and bidi formatting, which IDNA mapping would drop silently).
def _hidden(text: str) -> str | None:
    if "\\" in text:
        return "has a backslash (write the name itself, no escapes)"
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp") or (ch.isspace() and ch != " "):
            return f"has an invisible character U+{ord(ch):04X} ({unicodedata.name(ch, 'control')})"
    return None


def _name_text(value, label: str = "name") -> tuple[str | None, list[str]]:
    """A DNS name a person wrote: A-labels out (no trailing dot), or why not."""
    if not isinstance(value, str):
        return None, [f"{shown(value)} is not a {label}"]
    text = value.strip()
    hidden = _hidden(text)
    if hidden:
        return None, [f"{shown(value)} {hidden}"]
    try:
        return normalize_name(text).rstrip("."), []
    except InvalidName as exc:
        return None, [str(exc)]


def v_name(value) -> tuple[tuple[str, str] | None, list[str]]:
    """``name``: a mail domain, LDH or IDN labels only (RFC 5890, RFC 1123 2.1)."""
    if not isinstance(value, str) or not value.strip():
        return None, ["missing (the domain, e.g. contoso.com)"]
    name = value.strip()
    ascii_name, reasons = _name_text(name)
    if reasons:
        return None, reasons
    if not is_hostname(ascii_name) or "." not in ascii_name or ascii_name.rsplit(".", 1)[-1].isdigit():
        return None, [f"{shown(name)} is not a valid mail domain"]  # an IP address is no domain either
    if display_name(ascii_name) == ascii_name and "xn--" in ascii_name:
        return None, [f"{shown(name)} has an xn-- label that is not valid punycode"]
    return (name, ascii_name), []


def v_scenario(value):
    if value not in SCENARIOS:
        return None, [f"{shown(value)} is not one of {', '.join(SCENARIOS)}"]
    return value, []


def v_filter(value):
    """``filter``: a catalogue key, resolved to its entry now."""
    if value is None:
        return None, []
    service = catalogue_mod.get(value) if isinstance(value, str) else None
    if service is None:
        return None, [f"{shown(value)} is not in the catalogue ({', '.join(catalogue_mod.keys())})"]
    return service, []


def v_filter_mx(value):
    if value is None:
        return None, []
    if not isinstance(value, list) or not value or not all(isinstance(p, str) and p.strip() for p in value):
        return None, ["must be a non-empty list of host patterns like '*.filter.example'"]
    patterns = tuple(p.strip().lower().rstrip(".") for p in value)
    reasons = [f"[{i}]: {shown(value[i])} is not a host pattern like '*.filter.example'"
               for i, p in enumerate(patterns) if not re.fullmatch(r"[a-z0-9*?._-]+", p)]
    return (None if reasons else patterns), reasons


def v_tenant(value):
    """``tenant``: the tenant name (``contoso``), also accepted as ``contoso.onmicrosoft.com``."""
    if value is None:
        return None, []
    bad = [f"{shown(value)} is not a tenant name like 'contoso'"]
    if not isinstance(value, str) or _hidden(value.strip()):
        return None, bad
    tenant = value.strip().lower()
    if tenant.endswith(".onmicrosoft.com"):
        tenant = tenant[: -len(".onmicrosoft.com")]
    if not tenant or not is_hostname(tenant) or "." in tenant:
        return None, bad
    return tenant, []


def v_ips(value):
    if value is None:
        return (), []
    if not isinstance(value, list):
        return None, ["must be a list of IP addresses"]
    parsed, reasons = [], []
    for i, ip in enumerate(value):
        try:
            if not isinstance(ip, str):
                raise ValueError
            parsed.append(str(ipaddress.ip_address(ip.strip())))
        except ValueError:
            reasons.append(f"[{i}]: {shown(ip)} is not an IP address")
    return (None if reasons else tuple(parsed)), reasons


def v_host(value, underscore: bool = False, dotted: bool = True):
    """A host name field: A-labels, lowercase, no trailing dot."""
    if value is None:
        return None, []
    host, reasons = _name_text(value, "host name")
    if reasons:
        return None, reasons
    if not is_hostname(host.replace("_", "x") if underscore else host) or (dotted and "." not in host):
        return None, [f"{shown(value)} is not a host name"]
    return host, []


def v_exo_host(value):
    return v_host(value, dotted=False)


def v_arc_sealer(value):
    return v_host(value, underscore=True)


def v_dkim_targets(value):
    """``dkim_targets: {selector1: ..., selector2: ...}``: both selectors, each a host name."""
    if value is None:
        return (), []
    if not isinstance(value, dict) or set(value) != set(DKIM_SELECTORS):
        return None, ["must be a mapping with exactly 'selector1' and 'selector2' "
                      "(the Selector1CNAME / Selector2CNAME values)"]
    out, reasons = [], []
    for sel in DKIM_SELECTORS:
        host, why = v_host(value[sel], underscore=True)
        reasons += [f".{sel}: {r}" for r in why]
        out.append((sel, host))
    return (None if reasons else tuple(out)), reasons


def v_outbound(value):
    if value not in OUTBOUND:
        return None, [f"{shown(value)} is not one of {', '.join(OUTBOUND)}"]
    return value, []


def v_notes(value):
    if value is None:
        return "", []
    if not isinstance(value, str):
        return None, [f"must be text, not {type(value).__name__}"]
    return value, []


#: field -> (validator, default when absent)
FIELDS = {
    "name": (v_name, None), "scenario": (v_scenario, None),
    "filter": (v_filter, None), "filter_mx": (v_filter_mx, None), "tenant": (v_tenant, None),
    "onprem_ips": (v_ips, None), "filter_ips": (v_ips, None), "senders": (v_ips, None),
    "exo_host": (v_exo_host, None), "notes": (v_notes, None), "dkim_targets": (v_dkim_targets, None),
    "outbound": (v_outbound, "direct"), "arc_sealer": (v_arc_sealer, None),
}


# ---- the file ------------------------------------------------------------------------------------

class _Problems(list):
    """Problems with their entry, field and line, added in one call."""

    def add(self, text: str, entry: str | None = None, field: str | None = None, line: int | None = None):
        self.append(Problem(text, entry=entry, field=field, line=line))


def from_data(data, path: str = "domains.yml") -> Config:
    problems = _Problems()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(path, [Problem("the top level must be a mapping with a 'domains' list",
                                         line=yamlfile.line_of(data, 0))])
    for key in sorted(set(data) - TOP_KEYS, key=str):
        problems.add(f"unknown top-level key {shown(key)} (allowed: {', '.join(sorted(TOP_KEYS))})",
                     field=str(key), line=yamlfile.line_of(data, key))

    settings = _resolver(data.get("resolver"), yamlfile.line_of(data, "resolver"), problems)
    canary = _canary(data.get("canary"), yamlfile.line_of(data, "canary"), problems)

    domains: list[DomainSpec] = []
    raw_domains = data.get("domains")
    if raw_domains is None:
        raw_domains = []
    if not isinstance(raw_domains, list):
        problems.add("domains: must be a list of entries (- name: contoso.com ...)", field="domains",
                     line=yamlfile.line_of(data, "domains"))
        raw_domains = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw_domains):
        spec = _domain(entry, index, yamlfile.line_of(raw_domains, index), problems)
        if spec is None:
            continue
        if spec.ascii in seen:
            where = f"domains[{index}] ({spec.name})"
            problems.add(f"{where}: field 'name': duplicate of domains[{seen[spec.ascii]}]", where, "name",
                         yamlfile.line_of(entry, "name"))
            continue
        seen[spec.ascii] = index
        domains.append(spec)
    if problems:
        raise ConfigError(path, problems)
    return Config(path=path, domains=tuple(domains), canary=canary, **settings)


def _resolver(resolver, line: int | None, problems: _Problems) -> dict:
    """``resolver:``: every number finite and within :data:`RESOLVER_LIMITS`."""
    values = {key: limits[0] for key, limits in RESOLVER_LIMITS.items()}
    if resolver is None:
        return values
    if not isinstance(resolver, dict):
        problems.add("resolver: must be a mapping (timeout, lifetime)", "resolver", line=line)
        return values
    for key in sorted(set(resolver) - RESOLVER_KEYS, key=str):
        problems.add(f"resolver: unknown key {shown(key)} (allowed: {', '.join(sorted(RESOLVER_KEYS))})",
                     "resolver", str(key), yamlfile.line_of(resolver, key))
    for key, (default, low, high, zero_ok) in RESOLVER_LIMITS.items():
        if key not in resolver:
            continue
        value = resolver[key]
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
            problems.add(f"resolver: field {shown(key)}: {shown(value)} is not a positive number",
                         "resolver", key, yamlfile.line_of(resolver, key))
        elif value > high or value < low or (isinstance(default, int) and value != int(value)):
            kind = "a whole number" if isinstance(default, int) else "seconds"
            problems.add(f"resolver: field {shown(key)}: {shown(value)} is out of range ({kind} from "
                         f"{low if zero_ok or low else 'above 0'} to {high})",
                         "resolver", key, yamlfile.line_of(resolver, key))
        else:
            values[key] = int(value) if isinstance(default, int) else float(value)
    if values["lifetime"] < values["timeout"]:
        problems.add("resolver: field 'lifetime' must be at least 'timeout'", "resolver", "lifetime",
                     yamlfile.line_of(resolver, "lifetime"))
    return values


def _canary(raw, line: int | None, problems: _Problems) -> tuple[str, str]:
    if raw is None:
        return DEFAULT_CANARY
    if not isinstance(raw, dict) or "name" not in raw:
        problems.add("canary: must be a mapping like {name: spf.protection.outlook.com, type: TXT}",
                     "canary", line=line)
        return DEFAULT_CANARY
    extra = set(raw) - {"name", "type"}
    if extra:
        problems.add(f"canary: unknown key(s) {', '.join(sorted(map(shown, extra)))}", "canary", line=line)
    ctype = raw.get("type", "TXT")
    ctype = ctype.upper() if isinstance(ctype, str) else ctype
    if ctype not in ("A", "AAAA", "TXT", "MX", "CNAME", "NS"):
        problems.add(f"canary: field 'type': {shown(ctype)} is not one of A, AAAA, TXT, MX, CNAME, NS",
                     "canary", "type", yamlfile.line_of(raw, "type"))
    name, reasons = _name_text(raw["name"])
    for reason in reasons:
        problems.add(f"canary: field 'name': {reason}", "canary", "name", yamlfile.line_of(raw, "name"))
    return (name, ctype) if not reasons else DEFAULT_CANARY


def _domain(entry, index: int, line: int | None, problems: _Problems) -> DomainSpec | None:
    """One ``domains:`` entry: each field's validator, then the rules that join two fields."""
    where = f"domains[{index}]"
    if not isinstance(entry, dict):
        problems.add(f"{where}: must be a mapping with at least 'name' and 'scenario'", where, line=line)
        return None
    name = entry.get("name")
    if isinstance(name, str) and name.strip():
        text = name.strip()
        where = f"domains[{index}] ({text if not _hidden(text) and len(text) <= 80 else shown(text)})"
    before = len(problems)

    def report(field_names: str, reason: str, key: str) -> None:
        problems.add(f"{where}: {_field_label(field_names, reason)}", where, key,
                     yamlfile.line_of(entry, key) or line)

    for key in sorted(set(entry) - DOMAIN_KEYS, key=str):
        problems.add(f"{where}: unknown field {shown(key)} (allowed: {', '.join(sorted(DOMAIN_KEYS))})",
                     where, str(key), yamlfile.line_of(entry, key) or line)

    values = {}
    for key, (validator, default) in FIELDS.items():
        value, reasons = validator(entry.get(key, default))
        for reason in reasons:
            report(key, reason, key)
        values[key] = value

    service, filter_mx = values["filter"], values["filter_mx"]
    if entry.get("filter") is not None and entry.get("filter_mx") is not None:
        report("filter' and 'filter_mx", "give one or the other", "filter_mx")
    if (values["scenario"] in ("third-party-filter", "hybrid-third-party")
            and entry.get("filter") is None and entry.get("filter_mx") is None):
        report("filter", "a third-party scenario needs 'filter' (a catalogue key) or 'filter_mx'", "filter")

    if len(problems) > before:
        return None
    name, ascii_name = values["name"]
    return DomainSpec(
        name=name,
        ascii=ascii_name,
        scenario=values["scenario"],
        filter=service.key if service else None,
        filter_mx=filter_mx or (service.mx_patterns if service else ()),
        tenant=values["tenant"],
        onprem_ips=values["onprem_ips"],
        filter_ips=values["filter_ips"],
        senders=values["senders"],
        exo_host=values["exo_host"],
        notes=values["notes"],
        dkim_targets=values["dkim_targets"],
        outbound=values["outbound"],
        arc_sealer=values["arc_sealer"],
        service=service,
    )


def _field_label(field_names: str, reason: str) -> str:
    """``field 'x': reason``; a reason about a part of the field (``[1]: ...``, ``.selector1: ...``)
    names that part inside the quotes, as ``field 'filter_mx'[1]: ...``."""
    if reason.startswith("["):
        return f"field '{field_names}'{reason}"
    if reason.startswith("."):
        part, _, rest = reason[1:].partition(": ")
        return f"field '{field_names}.{part}': {rest}"
    plural = "fields" if "' and '" in field_names else "field"
    return f"{plural} '{field_names}': {reason}"
