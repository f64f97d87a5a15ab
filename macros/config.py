"""domains.yml: read, validate, and turn into typed settings.

Validation collects every problem first and raises one :class:`ConfigError` listing them all,
each naming the file, the entry and the field (in the manner of octoDNS's ValidationError).
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import catalogue as catalogue_mod
from .model import SCENARIOS
from .records import InvalidName, display_name, is_hostname, normalize_name

DEFAULT_CANARY = ("spf.protection.outlook.com", "TXT")
TOP_KEYS = {"resolver", "canary", "domains"}
RESOLVER_KEYS = {"timeout", "lifetime", "max_in_flight", "confirm_delay"}
DOMAIN_KEYS = {
    "name", "scenario", "filter", "filter_mx", "tenant", "onprem_ips", "filter_ips", "senders",
    "exo_host", "notes", "dkim_targets", "outbound", "arc_sealer",
}
OUTBOUND = ("direct", "filter")
DKIM_SELECTORS = ("selector1", "selector2")
IP_FIELDS = ("onprem_ips", "filter_ips", "senders")


class ConfigError(ValueError):
    """Bad input: one message listing every problem with file, entry and field."""

    def __init__(self, path: str, problems: list[str]):
        self.path = str(path)
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{self.path}: {len(self.problems)} problem(s):\n{lines}")


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

    @property
    def fqdn(self) -> str:
        """A-label form with trailing dot, the key used for lookups."""
        return self.ascii + "."

    @property
    def dashed(self) -> str:
        """``contoso.com`` -> ``contoso-com`` (Exchange Online host and DKIM target names)."""
        return self.ascii.replace(".", "-")

    @property
    def expected_exo_host(self) -> str:
        return (self.exo_host or f"{self.dashed}.mail.protection.outlook.com").rstrip(".").lower() + "."

    @property
    def third_party(self) -> bool:
        return self.scenario != "exchange-online"

    @property
    def filter_name(self) -> str:
        if self.filter:
            service = catalogue_mod.get(self.filter)
            return service.name if service else self.filter
        return "the filtering service"


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
        raise ConfigError(path, ["the file does not exist (set MAILFLOW_DOMAINS or create it)"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [f"cannot be read: {exc}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, [f"{where}not valid YAML ({problem})"]) from None
    return from_data(data, path)


def from_data(data, path: str = "domains.yml") -> Config:
    problems: list[str] = []
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(path, ["the top level must be a mapping with a 'domains' list"])
    for key in sorted(set(data) - TOP_KEYS, key=str):
        problems.append(f"unknown top-level key {key!r} (allowed: {', '.join(sorted(TOP_KEYS))})")

    timeout, lifetime, max_in_flight = 2.0, 5.0, 64
    resolver = data.get("resolver") or {}
    if not isinstance(resolver, dict):
        problems.append("resolver: must be a mapping (timeout, lifetime)")
        resolver = {}
    for key in sorted(set(resolver) - RESOLVER_KEYS, key=str):
        problems.append(f"resolver: unknown key {key!r} (allowed: {', '.join(sorted(RESOLVER_KEYS))})")
    timeout = _number(resolver, "timeout", 2.0, problems, "resolver")
    lifetime = _number(resolver, "lifetime", 5.0, problems, "resolver")
    max_in_flight = int(_number(resolver, "max_in_flight", 64, problems, "resolver"))
    confirm_delay = _number(resolver, "confirm_delay", 2.0, problems, "resolver", zero_ok=True)
    if lifetime < timeout:
        problems.append("resolver: field 'lifetime' must be at least 'timeout'")

    canary = DEFAULT_CANARY
    raw_canary = data.get("canary")
    if raw_canary is not None:
        if not isinstance(raw_canary, dict) or "name" not in raw_canary:
            problems.append("canary: must be a mapping like {name: spf.protection.outlook.com, type: TXT}")
        else:
            extra = set(raw_canary) - {"name", "type"}
            if extra:
                problems.append(f"canary: unknown key(s) {', '.join(sorted(map(str, extra)))}")
            ctype = str(raw_canary.get("type", "TXT")).upper()
            if ctype not in ("A", "AAAA", "TXT", "MX", "CNAME", "NS"):
                problems.append(f"canary: field 'type': {ctype!r} is not one of A, AAAA, TXT, MX, CNAME, NS")
            try:
                canary = (normalize_name(str(raw_canary["name"])).rstrip("."), ctype)
            except InvalidName as exc:
                problems.append(f"canary: field 'name': {exc}")

    domains: list[DomainSpec] = []
    raw_domains = data.get("domains")
    if raw_domains is None:
        raw_domains = []
    if not isinstance(raw_domains, list):
        problems.append("domains: must be a list of entries (- name: contoso.com ...)")
        raw_domains = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw_domains):
        spec = _domain(entry, index, problems)
        if spec is None:
            continue
        if spec.ascii in seen:
            problems.append(
                f"domains[{index}] ({spec.name}): field 'name': duplicate of domains[{seen[spec.ascii]}]"
            )
            continue
        seen[spec.ascii] = index
        domains.append(spec)
    if problems:
        raise ConfigError(path, problems)
    return Config(path=path, domains=tuple(domains), timeout=timeout, lifetime=lifetime,
                  max_in_flight=max_in_flight, confirm_delay=confirm_delay, canary=canary)


def _number(mapping, key, default, problems, where, zero_ok=False):
    value = mapping.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (value == 0 and not zero_ok):
        problems.append(f"{where}: field {key!r}: {value!r} is not a positive number")
        return default
    return float(value)


def _domain(entry, index: int, problems: list[str]) -> DomainSpec | None:
    where = f"domains[{index}]"
    if not isinstance(entry, dict):
        problems.append(f"{where}: must be a mapping with at least 'name' and 'scenario'")
        return None
    name = entry.get("name")
    if isinstance(name, str) and name.strip():
        where = f"domains[{index}] ({name.strip()})"
    before = len(problems)
    for key in sorted(set(entry) - DOMAIN_KEYS, key=str):
        problems.append(f"{where}: unknown field {key!r} (allowed: {', '.join(sorted(DOMAIN_KEYS))})")

    ascii_name = ""
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}: field 'name': missing (the domain, e.g. contoso.com)")
    else:
        name = name.strip()
        try:
            ascii_name = normalize_name(name).rstrip(".")
            if (not is_hostname(ascii_name) or "." not in ascii_name
                    or ascii_name.rsplit(".", 1)[-1].isdigit()):  # an IP address is no domain
                problems.append(f"{where}: field 'name': {name!r} is not a valid mail domain")
            elif display_name(ascii_name) == ascii_name and "xn--" in ascii_name:
                problems.append(f"{where}: field 'name': {name!r} has an xn-- label that is not valid punycode")
        except InvalidName as exc:
            problems.append(f"{where}: field 'name': {exc}")

    scenario = entry.get("scenario")
    if scenario not in SCENARIOS:
        problems.append(
            f"{where}: field 'scenario': {scenario!r} is not one of {', '.join(SCENARIOS)}"
        )

    filter_key = entry.get("filter")
    filter_mx = entry.get("filter_mx")
    patterns: tuple[str, ...] = ()
    if filter_key is not None:
        if not isinstance(filter_key, str) or catalogue_mod.get(filter_key) is None:
            known = ", ".join(catalogue_mod.keys())
            problems.append(f"{where}: field 'filter': {filter_key!r} is not in the catalogue ({known})")
        else:
            patterns = catalogue_mod.get(filter_key).mx_patterns
    if filter_mx is not None:
        if filter_key is not None:
            problems.append(f"{where}: fields 'filter' and 'filter_mx': give one or the other")
        if not isinstance(filter_mx, list) or not filter_mx or not all(isinstance(p, str) and p.strip() for p in filter_mx):
            problems.append(f"{where}: field 'filter_mx': must be a non-empty list of host patterns like '*.filter.example'")
        else:
            patterns = tuple(p.strip().lower().rstrip(".") for p in filter_mx)
            for i, pattern in enumerate(patterns):
                if not re.fullmatch(r"[a-z0-9*?._-]+", pattern):
                    problems.append(f"{where}: field 'filter_mx'[{i}]: {filter_mx[i]!r} is not a host "
                                    "pattern like '*.filter.example'")
    if scenario in ("third-party-filter", "hybrid-third-party") and filter_key is None and filter_mx is None:
        problems.append(f"{where}: field 'filter': a third-party scenario needs 'filter' (a catalogue key) or 'filter_mx'")

    tenant = entry.get("tenant")
    if tenant is not None:
        tenant = str(tenant).strip().lower()
        if tenant.endswith(".onmicrosoft.com"):
            tenant = tenant[: -len(".onmicrosoft.com")]
        if not tenant or not is_hostname(tenant) or "." in tenant:
            problems.append(f"{where}: field 'tenant': {entry.get('tenant')!r} is not a tenant name like 'contoso'")

    ips: dict[str, tuple[str, ...]] = {}
    for fieldname in IP_FIELDS:
        value = entry.get(fieldname, [])
        if value is None:
            value = []
        if not isinstance(value, list):
            problems.append(f"{where}: field {fieldname!r}: must be a list of IP addresses")
            continue
        parsed = []
        for i, ip in enumerate(value):
            try:
                parsed.append(str(ipaddress.ip_address(str(ip).strip())))
            except ValueError:
                problems.append(f"{where}: field {fieldname!r}[{i}]: {ip!r} is not an IP address")
        ips[fieldname] = tuple(parsed)

    exo_host = entry.get("exo_host")
    if exo_host is not None:
        try:
            exo_host = normalize_name(str(exo_host)).rstrip(".")
            if not is_hostname(exo_host):
                raise InvalidName(f"{entry.get('exo_host')!r} is not a host name")
        except InvalidName as exc:
            problems.append(f"{where}: field 'exo_host': {exc}")

    dkim_targets = _dkim_targets(entry.get("dkim_targets"), where, problems)

    outbound = entry.get("outbound", "direct")
    if outbound not in OUTBOUND:
        problems.append(f"{where}: field 'outbound': {outbound!r} is not one of {', '.join(OUTBOUND)}")

    arc_sealer = entry.get("arc_sealer")
    if arc_sealer is not None:
        arc_sealer = _host_field(arc_sealer, where, "arc_sealer", problems)

    notes = entry.get("notes", "")
    if len(problems) > before:
        return None
    return DomainSpec(
        name=name,
        ascii=ascii_name,
        scenario=scenario,
        filter=filter_key,
        filter_mx=patterns,
        tenant=tenant,
        onprem_ips=ips.get("onprem_ips", ()),
        filter_ips=ips.get("filter_ips", ()),
        senders=ips.get("senders", ()),
        exo_host=exo_host,
        notes=str(notes or ""),
        dkim_targets=dkim_targets,
        outbound=outbound,
        arc_sealer=arc_sealer,
    )


def _host_field(value, where: str, field: str, problems: list[str]) -> str | None:
    """A host name field: A-labels, lowercase, no trailing dot; None (and a problem) if invalid."""
    if not isinstance(value, str):
        problems.append(f"{where}: field {field!r}: {value!r} is not a host name")
        return None
    try:
        host = normalize_name(value).rstrip(".")
    except InvalidName as exc:
        problems.append(f"{where}: field {field!r}: {exc}")
        return None
    if not is_hostname(host.replace("_", "x")) or "." not in host:
        problems.append(f"{where}: field {field!r}: {value!r} is not a host name")
        return None
    return host


def _dkim_targets(value, where: str, problems: list[str]) -> tuple[tuple[str, str], ...]:
    """``dkim_targets: {selector1: ..., selector2: ...}``: both selectors, each a host name."""
    if value is None:
        return ()
    if not isinstance(value, dict) or set(value) != set(DKIM_SELECTORS):
        problems.append(f"{where}: field 'dkim_targets': must be a mapping with exactly "
                        "'selector1' and 'selector2' (the Selector1CNAME / Selector2CNAME values)")
        return ()
    out = []
    for sel in DKIM_SELECTORS:
        host = _host_field(value[sel], where, f"dkim_targets.{sel}", problems)
        if host is not None:
            out.append((sel, host))
    return tuple(out) if len(out) == 2 else ()
