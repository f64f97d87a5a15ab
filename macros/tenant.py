"""Exchange Online configuration exports and the tenant checks judged from them.

An export is ``<MAILFLOW_TENANTS>/<tenant>.json`` (CONTRACT.md "Tenant configuration checks"),
written by ``scripts/Export-MailflowTenant.ps1`` or anything that writes the same shape. It is
untrusted input, like DNS text: :func:`load` validates it into frozen typed objects and raises one
:class:`ExportError` naming the file and every bad field; the renderer escapes whatever it shows.

The checks are pure: an export (or None), the domain's spec and the DKIM selector lookups in,
:class:`~macros.model.Check` verdicts out. Without an export every tenant check is ``info``.

Sources (Microsoft Learn):
- Enhanced Filtering for Connectors: https://learn.microsoft.com/exchange/mail-flow-best-practices/use-connectors-to-configure-mail-flow/enhanced-filtering-for-connectors
  (EFSkipLastIP / EFSkipIPs / EFUsers; "Putting the IPs of Office 365 is not supported"; an
  SCL -1 mail flow rule that skips filtering must be turned off once Enhanced Filtering is on)
- Set-InboundConnector: https://learn.microsoft.com/powershell/module/exchangepowershell/set-inboundconnector
  (EFSkipLastIP $false with no EFSkipIPs disables Enhanced Filtering; EFUsers blank = everyone;
  RestrictDomainsToIPAddresses / RestrictDomainsToCertificate; EFSkipIPs takes an address, a
  CIDR range or ``a-b``)
- Set-ArcConfig: https://learn.microsoft.com/powershell/module/exchangepowershell/set-arcconfig
  (ArcTrustedSealers is one comma-separated string of domains)
- Exchange Online SMTP addresses (endpoint ID 10, ``*.mail.protection.outlook.com``):
  https://learn.microsoft.com/microsoft-365/enterprise/urls-and-ip-address-ranges
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import catalogue as catalogue_mod
from .config import DomainSpec
from .errors import UNREADABLE, ExportError, Problem
from .model import FAIL, INFO, PASS, UNKNOWN, WARN, Check
from .records import InvalidName, is_hostname, normalize_name, visible

#: The tenant check ids of CONTRACT.md, in page order.
TENANT_CHECK_IDS = ("efc", "connector-lockdown", "arc-sealer", "scl-bypass", "dkim-signing",
                    "accepted-domain", "outbound-route")
#: The checks that are ``info`` in the exchange-online scenario (no filter in front).
FILTER_ONLY = ("efc", "connector-lockdown", "arc-sealer", "scl-bypass", "outbound-route")

FIX = {cid: f"tenant/configure/#{cid}" for cid in TENANT_CHECK_IDS}

#: Exchange Online's inbound SMTP ranges (Microsoft 365 endpoint ID 10). Enhanced Filtering
#: must never skip them: Microsoft says putting Office 365's IPs there is not supported.
M365_SMTP_RANGES = tuple(ipaddress.ip_network(n) for n in (
    "40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17",
    "2a01:111:f400::/48", "2a01:111:f403::/48"))

#: Address space that is not globally reachable: every block IANA's special-purpose address
#: registries mark "Globally Reachable: False" (RFC 6890; a few protocol addresses inside
#: 192.0.0.0/24 and 2001::/23 are the registries' exceptions, and no mail server sends from them):
#: https://www.iana.org/assignments/iana-ipv4-special-registry/
#: https://www.iana.org/assignments/iana-ipv6-special-registry/
#: Written out, not taken from ``ipaddress``'s ``is_private``: that list differs between Python
#: versions, and it answers for one address, where a range is judged by overlap (8.0.0.0/6 holds
#: 10.0.0.0/8 although both of its ends are public).
NOT_GLOBAL = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
    "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
    "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10"))

#: The cmdlets an export must hold (Get-OrganizationConfig may be there too; no check reads it).
CMDLETS = ("Get-InboundConnector", "Get-OutboundConnector", "Get-ArcConfig",
           "Get-DkimSigningConfig", "Get-AcceptedDomain", "Get-TransportRule")
SINGLE = ("Get-ArcConfig", "Get-OrganizationConfig")  # one object (or a one-element array)
#: An export of a large tenant is some hundred kilobytes; anything far larger is not one.
MAX_BYTES = 20 * 2**20
#: No property of an export holds a longer whole number (SetSCL is -1 to 9; Exchange's widest
#: integers are 64-bit, 20 digits). A longer one is damage; refused before Python converts it
#: (which takes time that grows with the square of the digits, and fails beyond 4,300 of them).
MAX_DIGITS = 64


# ---- the export, typed -------------------------------------------------------------------------

@dataclass(frozen=True)
class InboundConnector:
    name: str
    enabled: bool
    connector_type: str
    sender_ips: tuple[str, ...]
    restrict_ips: bool
    restrict_cert: bool
    cert_name: str | None
    ef_skip_last_ip: bool
    ef_skip_ips: tuple[str, ...]
    ef_users: tuple[str, ...]

    @property
    def partner(self) -> bool:
        return self.connector_type.lower() == "partner"


@dataclass(frozen=True)
class OutboundConnector:
    name: str
    enabled: bool
    smart_hosts: tuple[str, ...]
    use_mx: bool
    recipient_domains: tuple[str, ...]


@dataclass(frozen=True)
class DkimSigning:
    domain: str
    enabled: bool
    selector1: str | None
    selector2: str | None


@dataclass(frozen=True)
class TransportRule:
    name: str
    state: str
    set_scl: int | None


@dataclass(frozen=True)
class Export:
    """One tenant's export. ``tenant`` and every name in it are untrusted text."""

    path: str
    tenant: str
    exported_at: str
    inbound: tuple[InboundConnector, ...]
    outbound: tuple[OutboundConnector, ...]
    arc_sealers: tuple[str, ...]
    dkim: tuple[DkimSigning, ...]
    accepted_domains: tuple[str, ...]
    rules: tuple[TransportRule, ...]

    def summary(self) -> dict:
        """What drift.json / --json show beside the tenant checks (``tenant_export``)."""
        return {"tenant": self.tenant, "exported_at": self.exported_at,
                "file": os.path.basename(self.path)}


# ---- reading and validating --------------------------------------------------------------------

class _Reader:
    """Typed field access that records a problem (with the field's path) instead of raising."""

    def __init__(self):
        self.problems: list[Problem] = []

    def bad(self, where: str, what: str) -> None:
        self.problems.append(Problem(f"field '{where}': {what}", field=where))

    def field(self, obj: dict, key: str, where: str):
        """The value, or None (and a problem) when the property is missing."""
        if key not in obj:
            self.bad(_at(where, key), "missing")
        return obj.get(key)

    def text(self, obj, key, where, nullable=False) -> str | None:
        value = self.field(obj, key, where)
        if key not in obj or (value is None and nullable):
            return None
        if not isinstance(value, str):
            self.bad(_at(where, key), f"expected a string{' or null' if nullable else ''}, "
                     f"got {_kind(value)}")
            return None
        return value

    def flag(self, obj, key, where) -> bool:
        value = self.field(obj, key, where)
        if key in obj and not isinstance(value, bool):
            self.bad(_at(where, key), f"expected true or false, got {_kind(value)}")
        return value is True

    def strings(self, obj, key, where) -> tuple[str, ...]:
        """A multi-valued property: an array of strings; null (never set) reads as empty."""
        value = self.field(obj, key, where)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.bad(_at(where, key), f"expected an array of strings, got {_kind(value)}")
            return ()
        return tuple(value)


def _at(where: str, key: str) -> str:
    """A field's path: ``cmdlets.Get-ArcConfig.ArcTrustedSealers``; top-level keys alone."""
    return key if where == "$" else f"{where}.{key}"


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return "an array" if isinstance(value, list) else "an object"


def _objects(r: _Reader, cmdlets: dict, name: str) -> list[tuple[str, dict]]:
    """The objects a cmdlet returned, each with its field path; one object may stand alone."""
    value = cmdlets[name]
    where = f"cmdlets.{name}"
    if isinstance(value, dict):
        return [(where, value)]
    if not isinstance(value, list):
        r.bad(where, f"expected an array of objects (or one object), got {_kind(value)}")
        return []
    out = []
    for i, item in enumerate(value):
        if isinstance(item, dict):
            out.append((f"{where}[{i}]", item))
        else:
            r.bad(f"{where}[{i}]", f"expected an object, got {_kind(item)}")
    if name in SINGLE and len(out) > 1:
        r.bad(where, f"expected one object, got {len(out)}")
    return out


def _ip_list(r: _Reader, values: tuple[str, ...], where: str) -> tuple[str, ...]:
    for i, v in enumerate(values):
        if _ip_range(v) is None:
            r.bad(f"{where}[{i}]", f"{v[:60]!r} is not an IP address, CIDR range or a-b range")
    return values


def _ip_range(text: str):
    """(first, last) addresses of an IP, a CIDR range or ``a-b``; None when it is none of them."""
    text = text.strip()
    try:
        if "-" in text:
            lo, hi = (ipaddress.ip_address(p.strip()) for p in text.split("-", 1))
            return (lo, hi) if lo.version == hi.version and lo <= hi else None
        net = ipaddress.ip_network(text, strict=False)
        return net[0], net[-1]
    except ValueError:
        return None


def from_data(data, path: str) -> Export:
    """Validate parsed JSON into an :class:`Export`; raise :class:`ExportError` listing every
    problem."""
    r = _Reader()
    r.problems.extend(_text_problems(data))
    if not isinstance(data, dict):
        raise ExportError(path, ["the top level must be an object with 'exported_at', 'tenant' "
                                 "and 'cmdlets'"])
    exported_at = r.text(data, "exported_at", "$") or ""
    if exported_at:
        try:
            stamp = datetime.fromisoformat(exported_at.replace("Z", "+00:00"))
            if stamp.tzinfo is None:
                r.bad("exported_at", f"{exported_at!r} has no time zone (write it in UTC, ending in Z)")
        except ValueError:
            r.bad("exported_at", f"{exported_at[:40]!r} is not an ISO 8601 date and time")
    tenant = r.text(data, "tenant", "$") or ""
    stem = Path(path).stem.lower()
    if tenant and not is_hostname(tenant):
        r.bad("tenant", f"{tenant[:60]!r} is not a domain name like {stem}.onmicrosoft.com")
    elif tenant and tenant.lower().split(".", 1)[0] != stem:
        r.bad("tenant", f"{tenant[:60]!r} is not the tenant this file is named after ({stem}.json)")
    cmdlets = data.get("cmdlets")
    if not isinstance(cmdlets, dict):
        r.bad("cmdlets", "missing" if cmdlets is None else f"expected an object, got {_kind(cmdlets)}")
        cmdlets = {}
    else:
        for name in CMDLETS:
            if name not in cmdlets:
                r.bad(f"cmdlets.{name}", "missing (run the export script again: it writes every "
                      "cmdlet the checks read)")
    have = [name for name in CMDLETS + ("Get-OrganizationConfig",) if name in cmdlets]
    objs = {name: _objects(r, cmdlets, name) for name in have}

    inbound = []
    for where, o in objs.get("Get-InboundConnector", []):
        inbound.append(InboundConnector(
            name=r.text(o, "Name", where) or "", enabled=r.flag(o, "Enabled", where),
            connector_type=r.text(o, "ConnectorType", where) or "",
            sender_ips=_ip_list(r, r.strings(o, "SenderIPAddresses", where), f"{where}.SenderIPAddresses"),
            restrict_ips=r.flag(o, "RestrictDomainsToIPAddresses", where),
            restrict_cert=r.flag(o, "RestrictDomainsToCertificate", where),
            cert_name=r.text(o, "TlsSenderCertificateName", where, nullable=True),
            ef_skip_last_ip=r.flag(o, "EFSkipLastIP", where),
            ef_skip_ips=_ip_list(r, r.strings(o, "EFSkipIPs", where), f"{where}.EFSkipIPs"),
            ef_users=r.strings(o, "EFUsers", where)))
    outbound = []
    for where, o in objs.get("Get-OutboundConnector", []):
        outbound.append(OutboundConnector(
            name=r.text(o, "Name", where) or "", enabled=r.flag(o, "Enabled", where),
            smart_hosts=r.strings(o, "SmartHosts", where), use_mx=r.flag(o, "UseMXRecord", where),
            recipient_domains=r.strings(o, "RecipientDomains", where)))
    sealers: tuple[str, ...] = ()
    for where, o in objs.get("Get-ArcConfig", []):
        value = r.field(o, "ArcTrustedSealers", where)
        if isinstance(value, str):
            value = value.split(",")
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            r.bad(f"{where}.ArcTrustedSealers", f"expected a string or an array of strings, got {_kind(value)}")
            value = []
        sealers = tuple(v.strip().lower().rstrip(".") for v in value if v.strip())
    dkim = []
    for where, o in objs.get("Get-DkimSigningConfig", []):
        dkim.append(DkimSigning(
            domain=r.text(o, "Domain", where) or "", enabled=r.flag(o, "Enabled", where),
            selector1=r.text(o, "Selector1CNAME", where, nullable=True),
            selector2=r.text(o, "Selector2CNAME", where, nullable=True)))
    accepted = tuple(r.text(o, "DomainName", where) or "" for where, o in objs.get("Get-AcceptedDomain", []))
    rules = []
    for where, o in objs.get("Get-TransportRule", []):
        scl = r.field(o, "SetSCL", where)
        if scl is not None and (isinstance(scl, bool) or not isinstance(scl, int)):
            r.bad(f"{where}.SetSCL", f"expected a whole number or null, got {_kind(scl)}")
            scl = None
        rules.append(TransportRule(name=r.text(o, "Name", where) or "",
                                   state=r.text(o, "State", where) or "", set_scl=scl))
    if r.problems:
        raise ExportError(path, r.problems)
    return Export(path=path, tenant=tenant, exported_at=exported_at, inbound=tuple(inbound),
                  outbound=tuple(outbound), arc_sealers=sealers, dkim=tuple(dkim),
                  accepted_domains=accepted, rules=tuple(rules))


def load(path: str | os.PathLike) -> Export:
    """Read and validate one export file. Raises :class:`ExportError`, never a traceback."""
    path = str(path)
    try:
        if Path(path).stat().st_size > MAX_BYTES:
            raise ExportError(path, [Problem(f"larger than {MAX_BYTES // 2**20} MiB: not an export",
                                             kind=UNREADABLE)])
        text = Path(path).read_text(encoding="utf-8-sig")  # PowerShell 5 writes a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(path, [Problem(f"cannot be read: {exc}", kind=UNREADABLE)]) from None
    try:
        data = json.loads(text, object_pairs_hook=_Object, parse_int=_whole_number)
    except RecursionError:
        raise ExportError(path, [Problem("not valid JSON (nested too deeply)", kind=UNREADABLE)]) from None
    except _TooLong as exc:
        raise ExportError(path, [Problem(f"{_where_in(text, _long_number(text))}: a number of "
                                         f"{exc.digits} digits, longer than any property of an "
                                         "export holds (a damaged file?)", kind=UNREADABLE)]) from None
    except json.JSONDecodeError as exc:
        ends_early = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated")
        hint = " (the file ends early: truncated?)" if ends_early else ""
        raise ExportError(path, [Problem(f"{_where_in(text, exc.pos)}: not valid JSON "
                                         f"({exc.msg}){hint}", kind=UNREADABLE)]) from None
    return from_data(data, path)


class _Object(dict):
    """A JSON object as read (``object_pairs_hook``): a dict that remembers the keys it held
    more than once, which plain ``json.loads`` drops silently (the last one wins)."""

    def __init__(self, pairs):
        super().__init__(pairs)
        seen: set[str] = set()
        self.duplicates = tuple(dict.fromkeys(k for k, _ in pairs if k in seen or seen.add(k)))


class _TooLong(ValueError):
    def __init__(self, digits: int):
        super().__init__(digits)
        self.digits = digits


def _whole_number(text: str) -> int:
    """``parse_int``: a JSON integer, refused when longer than :data:`MAX_DIGITS`."""
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise _TooLong(digits)
    return int(text)


def _long_number(text: str) -> int:
    """Where the first over-long number starts (strings, which may hold digits, are skipped)."""
    token = re.compile(r'"(?:[^"\\]|\\.)*"|-?\d{%d,}' % (MAX_DIGITS + 1))
    return next((m.start() for m in token.finditer(text) if not m.group().startswith('"')), 0)


def _where_in(text: str, pos: int) -> str:
    """``line L, column C`` of a character offset, counted as :class:`json.JSONDecodeError` does."""
    line = text.count("\n", 0, pos) + 1
    column = pos - text.rfind("\n", 0, pos)
    return f"line {line}, column {column}"


def _text_problems(data) -> Iterator[Problem]:
    """Anywhere in the parsed file: a key that an object holds twice (refused as for
    domains.yml: which one was meant is unknown), and text that no UTF-8 can hold (a lone
    surrogate from a ``\\ud800`` escape: valid JSON, but no page or drift.json can be written
    with it), each with its field's path."""
    todo = [("$", data)]
    while todo:
        where, value = todo.pop()
        if isinstance(value, str):
            bad = _lone_surrogate(value)
            if bad:
                yield Problem(f"{_place(where)}: holds {bad}, a lone UTF-16 surrogate (a broken "
                              "\\u escape) that no UTF-8 text can hold", field=_field(where))
        elif isinstance(value, list):
            todo.extend((f"{where}[{i}]", v) for i, v in reversed(list(enumerate(value))))
        elif isinstance(value, dict):
            for key in getattr(value, "duplicates", ()):
                yield Problem(f"{_place(where)}: the key '{visible(key)}' appears more than once "
                              "(which value was meant is unknown: export the tenant again)",
                              field=_field(where))
            for key in value:
                bad = _lone_surrogate(key)
                if bad:
                    yield Problem(f"{_place(where)}: the key '{visible(key)}' holds {bad}, a lone "
                                  "UTF-16 surrogate (a broken \\u escape) that no UTF-8 text can hold",
                                  field=_field(where))
            todo.extend((_at(where, k), v) for k, v in reversed(list(value.items())))


def _lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text``, as its escape (``\\ud800``), or None."""
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError as exc:
        return "\\u%04x" % ord(text[exc.start])


def _place(where: str) -> str:
    return "the top level" if where == "$" else f"field '{where}'"


def _field(where: str) -> str | None:
    return None if where == "$" else where


def load_for(folder: str | os.PathLike, tenants: Iterable[str | None]) -> dict[str, Export]:
    """The exports of ``tenants`` (domains.yml ``tenant`` names) found in ``folder``, by tenant.

    A tenant without a file has no export (its checks are ``info``); a missing folder means no
    exports at all (settings.py refuses a missing folder that MAILFLOW_TENANTS names). Something
    by the file's name that is not a file (a folder, a link to nothing, a pipe) is an error, not
    "no export". Files of tenants nobody checks are not read."""
    exports = {}
    for tenant in sorted({t for t in tenants if t}):
        path = Path(folder) / f"{tenant}.json"
        if path.is_file():
            exports[tenant] = load(path)
        elif path.exists() or path.is_symlink():
            what = ("a folder" if path.is_dir() else "a link to nothing" if not path.exists()
                    else "not a regular file")
            raise ExportError(path, [Problem(f"is {what}, not an export file (write the tenant's "
                                             "export here, or remove it)", kind=UNREADABLE)])
    return exports


# ---- the checks --------------------------------------------------------------------------------

def sealer_of(spec: DomainSpec) -> str | None:
    """The filter's ARC sealing domain: the domain's ``arc_sealer``, else the catalogue's."""
    service = spec.service  # the catalogue entry, resolved once in config
    return spec.arc_sealer or (service.arc_sealer if service else None)


def filter_hosts(spec: DomainSpec) -> tuple[str, ...]:
    """Host patterns of the filter: its MX patterns and the catalogue's smart hosts."""
    service = spec.service  # the catalogue entry, resolved once in config
    return tuple(spec.filter_mx) + (service.smart_hosts if service else ())


def _filter_domains(spec: DomainSpec) -> set[str]:
    """The fixed domain part of every filter pattern (``mx*.hornetsecurity.com`` ->
    ``hornetsecurity.com``) and the sealing domain: what a connector certificate names."""
    out = set()
    for pattern in filter_hosts(spec) + ((sealer_of(spec),) if sealer_of(spec) else ()):
        tail = pattern.lower().rstrip(".").rsplit("*", 1)[-1].lstrip(".-")
        if "." in tail:
            out.add(tail)
    return out


def _cert_is_filter(cert: str | None, spec: DomainSpec) -> bool:
    if not cert:
        return False
    name = cert.strip().lower().rstrip(".").removeprefix("*.")
    return any(name == d or name.endswith("." + d) for d in _filter_domains(spec))


def _in_ranges(ip: str, ranges) -> bool:
    addr = ipaddress.ip_address(ip)
    for text in ranges:
        bounds = _ip_range(text)
        if bounds and bounds[0].version == addr.version and bounds[0] <= addr <= bounds[1]:
            return True
    return False


def receiving_connector(spec: DomainSpec, export: Export) -> tuple[InboundConnector | None, str]:
    """The enabled Partner inbound connector that receives the filter's mail, and how it was
    recognised: its SenderIPAddresses hold a ``filter_ips`` address, or its
    TlsSenderCertificateName is in the filter's domain; else the only such connector."""
    partners = [c for c in export.inbound if c.enabled and c.partner]
    for c in partners:
        if any(_in_ranges(ip, c.sender_ips) for ip in spec.filter_ips):
            return c, "its SenderIPAddresses hold the filter's addresses"
        if _cert_is_filter(c.cert_name, spec):
            return c, "its TlsSenderCertificateName is the filter's"
    if len(partners) == 1:
        return partners[0], "the only enabled Partner inbound connector"
    if partners:
        return None, (f"{len(partners)} enabled Partner inbound connectors, none recognisably the "
                      "filter's (add the filter's sending IPs as filter_ips)")
    return None, "no enabled Partner inbound connector"


def _info(spec: DomainSpec, cid: str, reason: str, observed: str) -> Check:
    return Check(cid, INFO, reason, expected(spec, cid), observed, FIX[cid])


def expected(spec: DomainSpec, cid: str) -> str:
    filt = spec.filter_name
    return {
        "efc": f"the enabled Partner inbound connector that receives {filt}'s mail has Enhanced "
               "Filtering on (EFSkipLastIP true, or EFSkipIPs set) for all recipients (EFUsers empty)",
        "connector-lockdown": f"that connector accepts mail only from {filt}: "
                              "RestrictDomainsToIPAddresses with SenderIPAddresses that hold "
                              f"{', '.join(spec.filter_ips) or 'its addresses'} and no range wider "
                              "than a /16 or private, or RestrictDomainsToCertificate with a "
                              "TlsSenderCertificateName in "
                              f"{', '.join(sorted(_filter_domains(spec))) or 'its domain'}",
        "arc-sealer": f"ArcTrustedSealers lists {sealer_of(spec) or 'the filter' + chr(39) + 's sealing domain'}",
        "scl-bypass": "no enabled transport rule sets SCL -1",
        "dkim-signing": f"DKIM signing for {spec.ascii} enabled, Selector1CNAME/Selector2CNAME equal "
                        "the published selector CNAMEs",
        "accepted-domain": f"{spec.ascii} is an accepted domain of the tenant",
        "outbound-route": (f"an enabled outbound connector sends all mail (RecipientDomains *) to "
                           f"{filt}'s smart hosts ({', '.join(filter_hosts(spec)) or 'filter_mx'}), "
                           "UseMXRecord false") if spec.outbound == "filter" else
                          "outbound: direct: Exchange Online sends to the internet itself",
    }[cid]


def _ef_state(c: InboundConnector) -> str:
    return (f"connector {c.name!r}: EFSkipLastIP {str(c.ef_skip_last_ip).lower()}, "
            f"EFSkipIPs [{', '.join(c.ef_skip_ips)}], EFUsers [{', '.join(c.ef_users)}]")


def efc(spec: DomainSpec, export: Export) -> Check:
    """Enhanced Filtering for Connectors on the filter's inbound connector (skip listing)."""
    cid, exp = "efc", expected(spec, "efc")
    c, how = receiving_connector(spec, export)
    if c is None:
        return Check(cid, FAIL, f"No inbound connector receives {spec.filter_name}'s mail ({how}), "
                     "so Enhanced Filtering cannot be on", exp, how, FIX[cid])
    observed = f"{_ef_state(c)} ({how})"
    if not c.ef_skip_last_ip and not c.ef_skip_ips:
        return Check(cid, FAIL, f"Enhanced Filtering is off on {c.name!r}: Microsoft 365 judges "
                     f"every message by {spec.filter_name}'s address, not the real sender's", exp,
                     observed, FIX[cid])
    problems = []
    if c.ef_users:
        problems.append(f"Enhanced Filtering applies only to {len(c.ef_users)} listed recipient(s) "
                        "(EFUsers: test mode), not to everyone")
    wrong = [shown for shown in (_overlap(ip, NOT_GLOBAL + M365_SMTP_RANGES) for ip in c.ef_skip_ips)
             if shown]
    if wrong:
        # CONTRACT.md: warn whenever EFSkipIPs holds them. Set-InboundConnector's EFSkipLastIP
        # ($true: only the last source is skipped; $false: the EFSkipIPs addresses are) means the
        # entries are latent while it is on: they act the day someone turns it off.
        # https://learn.microsoft.com/powershell/module/exchangepowershell/set-inboundconnector
        latent = " (ignored while EFSkipLastIP is on; they act if it is turned off)" if c.ef_skip_last_ip else ""
        problems.append(f"EFSkipIPs holds private or Microsoft 365 addresses ({', '.join(wrong)}), "
                        f"which must not be skipped{latent}")
    if problems:
        return Check(cid, WARN, "; ".join(problems), exp, observed, FIX[cid])
    how_on = "skips the last IP" if c.ef_skip_last_ip else f"skips {', '.join(c.ef_skip_ips)}"
    return Check(cid, PASS, f"Enhanced Filtering is on for everyone on {c.name!r} ({how_on})",
                 exp, observed, FIX[cid])


def _overlap(text: str, nets) -> str | None:
    """``text`` (an address, CIDR range or ``a-b``) when it shares an address with one of
    ``nets``: as given when it lies inside that network, else with the network it reaches
    (``8.0.0.0/6 overlaps 10.0.0.0/8``). None when it shares none."""
    bounds = _ip_range(text)
    if bounds is None:
        return None
    lo, hi = bounds
    for net in nets:
        if net.version == lo.version and lo <= net[-1] and hi >= net[0]:
            return text if net[0] <= lo and hi <= net[-1] else f"{text} overlaps {net}"
    return None


#: The widest SenderIPAddresses entry that can still stand for one filter's servers: a /16
#: (65,536 addresses) in IPv4, a /32 in IPv6 (a whole provider's allocation). A wider entry lets a
#: large part of the internet through the restriction; 0.0.0.0/0 lets everyone.
WIDEST_PREFIX = {4: 16, 6: 32}


def _too_wide(text: str) -> bool:
    bounds = _ip_range(text)
    if bounds is None:
        return False
    lo, hi = bounds
    return int(hi) - int(lo) + 1 > 2 ** (lo.max_prefixlen - WIDEST_PREFIX[lo.version])


def _ip_restriction_problem(spec: DomainSpec, c: InboundConnector) -> str | None:
    """What keeps ``c``'s SenderIPAddresses from pointing at the filter alone, or None."""
    filt = spec.filter_name
    wide = [ip for ip in c.sender_ips if _too_wide(ip)]
    if wide:
        return (f"{c.name!r} is restricted to SenderIPAddresses wider than a /16 (IPv6: /32): "
                f"{', '.join(wide)} {'lets' if len(wide) == 1 else 'let'} a large part of the "
                f"internet deliver, not only {filt}; list "
                f"only {filt}'s sending ranges")
    reserved = [shown for shown in (_overlap(ip, NOT_GLOBAL) for ip in c.sender_ips) if shown]
    if reserved:
        return (f"{c.name!r} is restricted to SenderIPAddresses that hold private or reserved "
                f"addresses ({', '.join(reserved)}), never {filt}'s on the internet; list only "
                f"{filt}'s public sending ranges")
    missing = [ip for ip in spec.filter_ips if not _in_ranges(ip, c.sender_ips)]
    if missing:
        return (f"{c.name!r} is restricted to SenderIPAddresses [{', '.join(c.sender_ips)}], which do "
                f"not hold {filt}'s address(es) {', '.join(missing)} (filter_ips): the restriction "
                f"admits someone else; put {filt}'s sending ranges in SenderIPAddresses (or correct "
                "filter_ips in domains.yml)")
    return None


def _cert_restriction_problem(spec: DomainSpec, c: InboundConnector) -> str | None:
    """What keeps ``c``'s TlsSenderCertificateName from naming the filter, or None."""
    if _cert_is_filter(c.cert_name, spec):
        return None
    filt, domains = spec.filter_name, sorted(_filter_domains(spec))
    return (f"{c.name!r} is restricted to the certificate {c.cert_name}, which is not {filt}'s "
            f"(its hosts are in {', '.join(domains) or 'no domain the checks know'}): whoever holds a "
            f"certificate for that name can deliver; set TlsSenderCertificateName to the name on "
            f"{filt}'s certificate")


def connector_lockdown(spec: DomainSpec, export: Export) -> Check:
    """The filter's inbound connector rejects mail from anyone but the filter: its IP
    restriction holds the filter's addresses (``filter_ips``) and nothing wide or private, or
    its certificate restriction names the filter's domain."""
    cid, exp = "connector-lockdown", expected(spec, "connector-lockdown")
    host = spec.expected_exo_host.rstrip(".")
    c, how = receiving_connector(spec, export)
    if c is None:
        return Check(cid, WARN, f"No inbound connector restricts senders ({how}): anyone can deliver "
                     f"to {host} directly, around {spec.filter_name}", exp, how, FIX[cid])
    observed = (f"connector {c.name!r}: RestrictDomainsToIPAddresses {str(c.restrict_ips).lower()} "
                f"(SenderIPAddresses [{', '.join(c.sender_ips)}]), RestrictDomainsToCertificate "
                f"{str(c.restrict_cert).lower()} (TlsSenderCertificateName {c.cert_name or 'none'})")
    by_ip = _ip_restriction_problem(spec, c) if c.restrict_ips and c.sender_ips else None
    by_cert = _cert_restriction_problem(spec, c) if c.restrict_cert and c.cert_name else None
    if c.restrict_ips and c.sender_ips and by_ip is None:
        whose = (f"{spec.filter_name}'s addresses" if spec.filter_ips else "the narrow public ranges "
                 f"of SenderIPAddresses (set filter_ips in domains.yml to confirm they are "
                 f"{spec.filter_name}'s)")
        return Check(cid, PASS, f"{c.name!r} accepts mail only from {whose}", exp, observed, FIX[cid])
    if c.restrict_cert and c.cert_name and by_cert is None:
        return Check(cid, PASS, f"{c.name!r} accepts mail only from servers presenting the "
                     f"certificate {c.cert_name}", exp, observed, FIX[cid])
    if by_ip or by_cert:
        return Check(cid, WARN, "; ".join(p for p in (by_ip, by_cert) if p), exp, observed, FIX[cid])
    return Check(cid, WARN, f"{c.name!r} does not restrict senders: anyone can deliver to {host} "
                 f"directly, around {spec.filter_name}", exp, observed, FIX[cid])


def arc_sealer(spec: DomainSpec, export: Export) -> Check:
    """The filter is a trusted ARC sealer, so Microsoft 365 honours its authentication results."""
    cid, exp = "arc-sealer", expected(spec, "arc-sealer")
    sealer = sealer_of(spec)
    observed = "ArcTrustedSealers: " + (", ".join(export.arc_sealers) or "none")
    if sealer is None:
        return _info(spec, cid, f"{spec.filter_name}'s ARC sealing domain is not known (set "
                     "arc_sealer in domains.yml to check it)", observed)
    if sealer.lower() in export.arc_sealers:
        return Check(cid, PASS, f"{sealer} is a trusted ARC sealer", exp, observed, FIX[cid])
    return Check(cid, WARN, f"{sealer} is not a trusted ARC sealer: mail {spec.filter_name} "
                 "changed may fail SPF, DKIM and DMARC in Microsoft 365", exp, observed, FIX[cid])


def scl_bypass(spec: DomainSpec, export: Export) -> Check:
    """No enabled mail flow rule sets SCL -1 (skip filtering)."""
    cid, exp = "scl-bypass", expected(spec, "scl-bypass")
    bypass = [r for r in export.rules if r.state.lower() == "enabled" and r.set_scl == -1]
    if bypass:
        names = ", ".join(repr(r.name) for r in bypass)
        return Check(cid, WARN, f"Transport rule {names} sets SCL -1: with the MX at "
                     f"{spec.filter_name}, it lets high-confidence phishing through unfiltered",
                     exp, f"enabled rules setting SCL -1: {names}", FIX[cid])
    return Check(cid, PASS, "No enabled transport rule sets SCL -1", exp,
                 f"{len(export.rules)} transport rule(s), none enabled with SetSCL -1", FIX[cid])


def _same_domain(name: str, ascii_name: str) -> bool:
    try:
        return normalize_name(name).rstrip(".") == ascii_name
    except InvalidName:
        return False


def dkim_signing(spec: DomainSpec, export: Export, sel1, sel2) -> Check:
    """DKIM signing is on and signs with the selectors DNS publishes (RFC 6376 section 3.6.2)."""
    cid, exp = "dkim-signing", expected(spec, "dkim-signing")
    cfg = next((d for d in export.dkim if _same_domain(d.domain, spec.ascii)), None)
    if cfg is None:
        return Check(cid, WARN, f"No DKIM signing configuration for {spec.ascii}: Microsoft 365 "
                     "signs its mail with the onmicrosoft.com domain, which DMARC does not align",
                     exp, "no Get-DkimSigningConfig entry", FIX[cid])
    wanted = [(1, cfg.selector1, sel1), (2, cfg.selector2, sel2)]
    observed = "; ".join(f"Selector{n}CNAME {want or 'none'}, published "
                         f"{(lk.chain[0].rstrip('.') if lk is not None and lk.chain else 'no CNAME')}"
                         for n, want, lk in wanted)
    if not cfg.enabled:
        return Check(cid, WARN, f"DKIM signing for {spec.ascii} is not enabled", exp,
                     observed, FIX[cid])
    for n, _, lk in wanted:
        if lk is None or (not lk.definite and not lk.cname_loop):
            what = f"selector{n}._domainkey.{spec.ascii}"
            return Check(cid, UNKNOWN, f"Could not check: the lookup of {what} got no definite "
                         "answer", exp, observed, FIX[cid])
    wrong = []
    for n, want, lk in wanted:
        published = lk.chain[0].rstrip(".").lower() if lk.chain else None
        if (want or "").rstrip(".").lower() != published:
            wrong.append(f"selector{n} is published as {published or 'no CNAME'}, Microsoft 365 "
                         f"signs with {want or 'nothing'}")
    if wrong:
        return Check(cid, FAIL, "DKIM signing is enabled, but the published CNAMEs point elsewhere, "
                     "so receivers cannot verify the signatures: " + "; ".join(wrong), exp,
                     observed, FIX[cid])
    return Check(cid, PASS, f"DKIM signing for {spec.ascii} is enabled with the published selectors",
                 exp, observed, FIX[cid])


def accepted_domain(spec: DomainSpec, export: Export) -> Check:
    """The domain is one of the tenant's accepted domains (a ``*.parent`` entry counts)."""
    cid, exp = "accepted-domain", expected(spec, "accepted-domain")
    observed = "accepted domains: " + (", ".join(export.accepted_domains) or "none")
    for name in export.accepted_domains:
        if _same_domain(name, spec.ascii):
            return Check(cid, PASS, f"{spec.ascii} is an accepted domain", exp, observed, FIX[cid])
        if name.startswith("*.") and spec.ascii.endswith("." + name[2:].lower().rstrip(".")):
            return Check(cid, PASS, f"{spec.ascii} is accepted through {name}", exp, observed, FIX[cid])
    return Check(cid, FAIL, f"{spec.ascii} is not an accepted domain of the tenant: Exchange "
                 "Online rejects mail to it", exp, observed, FIX[cid])


def _filter_smart_host(host: str, spec: DomainSpec) -> bool:
    """A smart host is the filter's when it is one of ``filter_ips``, matches one of its host
    patterns (MX patterns, the catalogue's ``smart_hosts``), or lies in one of the filter's own
    domains (``eu-smtp-o365-outbound-1.mimecast.com`` is Mimecast's: the vendor names its
    outbound hosts in the domain of its inbound ones, though not always with the same pattern)."""
    host = host.strip().strip("[]").lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(host)) in spec.filter_ips
    except ValueError:
        pass
    if catalogue_mod.host_matches(host, filter_hosts(spec)):
        return True
    return any(host.endswith("." + domain) for domain in _filter_domains(spec))


def outbound_route(spec: DomainSpec, export: Export) -> Check:
    """With ``outbound: filter``, all outbound mail goes to the filter's smart hosts (see
    :func:`_filter_smart_host`); a catch-all connector to any other host is a ``fail``
    (CONTRACT.md), with the way to teach the catalogue a vendor host it does not know yet."""
    cid, exp = "outbound-route", expected(spec, "outbound-route")
    if spec.outbound != "filter":
        return _info(spec, cid, "outbound: direct: Exchange Online sends to the internet itself, so "
                     "there is no outbound connector to check", f"{len(export.outbound)} outbound connector(s)")
    observed = "; ".join(f"{c.name!r}: {'enabled' if c.enabled else 'disabled'}, RecipientDomains "
                         f"[{', '.join(c.recipient_domains)}], SmartHosts [{', '.join(c.smart_hosts)}], "
                         f"UseMXRecord {str(c.use_mx).lower()}" for c in export.outbound) or "no outbound connector"
    catch_all = [c for c in export.outbound if c.enabled and "*" in c.recipient_domains]
    for c in catch_all:
        if not c.use_mx and c.smart_hosts and all(_filter_smart_host(h, spec) for h in c.smart_hosts):
            return Check(cid, PASS, f"{c.name!r} sends all outbound mail to {spec.filter_name} "
                         f"({', '.join(c.smart_hosts)})", exp, observed, FIX[cid])
    if not catch_all:
        why = "no enabled outbound connector sends all mail (RecipientDomains *)"
    else:
        c = catch_all[0]
        other = [h for h in c.smart_hosts if not _filter_smart_host(h, spec)]
        why = (f"{c.name!r} looks up MX records instead of using smart hosts" if c.use_mx else
               f"{c.name!r} sends to {', '.join(other)}, not only "
               f"{spec.filter_name}'s hosts (if that is a {spec.filter_name} host the catalogue "
               "does not know yet, add it to smart_hosts in macros/catalogue.yml)"
               if other else f"{c.name!r} names no smart host")
    return Check(cid, FAIL, f"Outbound mail does not go through {spec.filter_name}: {why}", exp,
                 observed, FIX[cid])


def evaluate(spec: DomainSpec, export: Export | None, sel1, sel2) -> list[Check]:
    """The seven tenant checks in :data:`TENANT_CHECK_IDS` order. ``sel1``/``sel2``: the
    selector1/selector2._domainkey lookups (their chain holds the published CNAME target)."""
    if export is None:
        return no_export(spec)
    out = []
    for cid in TENANT_CHECK_IDS:
        if cid in FILTER_ONLY and not spec.third_party:
            out.append(_info(spec, cid, "Does not apply: the MX points at Exchange Online, no "
                             "filter in front", "exchange-online scenario"))
        elif cid == "dkim-signing":
            out.append(dkim_signing(spec, export, sel1, sel2))
        else:
            out.append(_CHECKS[cid](spec, export))
    return out


_CHECKS = {"efc": efc, "connector-lockdown": connector_lockdown, "arc-sealer": arc_sealer,
           "scl-bypass": scl_bypass, "accepted-domain": accepted_domain,
           "outbound-route": outbound_route}


def no_export(spec: DomainSpec) -> list[Check]:
    why = (f"No export for this tenant ({spec.tenant}.json): run the export script to check it"
           if spec.tenant else "No export: the domain has no tenant in domains.yml")
    return [_info(spec, cid, why, "no export") for cid in TENANT_CHECK_IDS]


def unknown_checks(spec: DomainSpec, export: Export | None, reason: str) -> list[Check]:
    """When no check could run (resolver unhealthy, offline without a baseline): ``info`` where
    there is no export or the check does not apply, else ``unknown``."""
    if export is None:
        return no_export(spec)
    return [_info(spec, cid, "Does not apply: the MX points at Exchange Online, no filter in front",
                  "exchange-online scenario")
            if cid in FILTER_ONLY and not spec.third_party else
            Check(cid, UNKNOWN, reason, expected(spec, cid), "not checked", FIX[cid])
            for cid in TENANT_CHECK_IDS]


def export_for(spec: DomainSpec, exports: Mapping[str, Export] | None) -> Export | None:
    return (exports or {}).get(spec.tenant) if spec.tenant else None
