"""The evaluations a domain's SPF checks need, and their outcome (CONTRACT.md, SPF verdicts).

- Microsoft 365's addresses: one address from every ``ip4``/``ip6`` range of the live
  ``spf.protection.outlook.com`` record (Microsoft Learn, "Set up SPF to identify valid email
  sources for your Microsoft 365 domain": custom domains include that record);
- an unlisted sender: the documentation addresses ``192.0.2.1`` (RFC 5737) and ``2001:db8::1``
  (RFC 3849), which no legitimate policy lists;
- the domain's own senders: ``onprem_ips``, ``filter_ips``, ``senders``, and with
  ``outbound: filter`` one address from every range of the filter's SPF include(s).

Every evaluation is check_host(ip, <domain>, postmaster@<domain>) with the domain as HELO.
Pure: answers in (a read-only mapping), requests and outcomes out.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import catalogue as catalogue_mod
from .evaluation import Evaluation, Request
from .record import parse, select

if TYPE_CHECKING:  # pragma: no cover
    from ..config import DomainSpec
    from ..resolve import Answers, Lookup

M365_SPF = "spf.protection.outlook.com"
UNLISTED = ("192.0.2.1", "2001:db8::1")

ON_PREMISES = "on-premises"
FILTER = "filter"
SENDER = "sender"


def representative(network: str) -> str:
    """One address of an ``ip4``/``ip6`` range: its first host (the network address itself for
    a /31, /32, /127 or /128)."""
    net = ipaddress.ip_network(network, strict=False)
    if net.num_addresses > 2:
        return str(net.network_address + 1)
    return str(net.network_address)


def ranges(lookup: "Lookup | None") -> tuple[str, ...] | None:
    """The ``ip4``/``ip6`` ranges of the one SPF record in a TXT answer, in record order; None
    when the answer is not known, not definite, or holds no single valid SPF record."""
    if lookup is None or not lookup.found:
        return None
    records = select(lookup.values)
    if len(records) != 1:
        return None
    record = parse(records[0])
    out = []
    for term in record.terms:
        if term.kind == "mechanism" and term.name in ("ip4", "ip6") and term.value:
            try:
                out.append(str(ipaddress.ip_network(term.value, strict=False)))
            except ValueError:
                continue
    return tuple(out)


def filter_includes(spec: "DomainSpec") -> tuple[str, ...]:
    """The SPF include(s) of the domain's filter, when Exchange Online sends through it."""
    if spec.outbound != "filter" or not spec.filter:
        return ()
    service = catalogue_mod.get(spec.filter)
    return tuple(service.spf_include) if service else ()


def lookups(spec: "DomainSpec") -> list[tuple[str, str]]:
    """The TXT lookups the requests are built from (planned in the engine's first wave)."""
    return [(M365_SPF, "TXT")] + [(name, "TXT") for name in filter_includes(spec)]


@dataclass(frozen=True)
class Sender:
    ip: str
    role: str       # on-premises | filter | sender
    source: str = ""  # the include an address stands for ("" for a listed IP)

    def label(self) -> str:
        return f"{self.ip} ({self.role}{', ' + self.source if self.source else ''})"


def senders(spec: "DomainSpec", answers: "Answers") -> tuple[Sender, ...]:
    """Every address that must pass, each once, in domains.yml order, then the filter's ranges."""
    out: list[Sender] = []
    seen: set[str] = set()
    for role, ips in ((ON_PREMISES, spec.onprem_ips), (FILTER, spec.filter_ips), (SENDER, spec.senders)):
        for ip in ips:
            if ip not in seen:
                seen.add(ip)
                out.append(Sender(ip, role))
    for include in filter_includes(spec):
        for network in ranges(answers.get(include, "TXT")) or ():
            ip = representative(network)
            if ip not in seen:
                seen.add(ip)
                out.append(Sender(ip, FILTER, f"{network} of {include}"))
    return tuple(out)


def m365_addresses(answers: "Answers") -> tuple[tuple[str, str], ...] | None:
    """(range, address) for every range of the live Microsoft 365 record; None when unknown."""
    found = ranges(answers.get(M365_SPF, "TXT"))
    if found is None:
        return None
    return tuple((network, representative(network)) for network in found)


def _request(spec: "DomainSpec", ip: str) -> Request:
    return Request(ip, f"postmaster@{spec.ascii}", spec.ascii)


def requests(spec: "DomainSpec", answers: "Answers") -> list[Request]:
    """Every evaluation the SPF checks of ``spec`` need."""
    ips = [ip for _net, ip in m365_addresses(answers) or ()]
    ips += list(UNLISTED)
    ips += [s.ip for s in senders(spec, answers)]
    return [_request(spec, ip) for ip in dict.fromkeys(ips)]


@dataclass(frozen=True)
class Outcome:
    """What evaluation said for one domain. ``m365`` is None when the live Microsoft 365 record
    is not known (then the check is unknown)."""

    m365: tuple[tuple[str, Evaluation], ...] | None
    unlisted: tuple[Evaluation, ...]
    senders: tuple[tuple[Sender, Evaluation], ...]

    def all(self) -> list[Evaluation]:
        out = [ev for _net, ev in self.m365 or ()] + list(self.unlisted)
        return out + [ev for _s, ev in self.senders]


def outcome(spec: "DomainSpec", answers: "Answers", evaluations: dict[Request, Evaluation]) -> Outcome:
    """Pick each check's evaluations out of ``evaluations`` (from :func:`~.evaluation.settle`)."""
    m365 = m365_addresses(answers)
    return Outcome(
        m365=None if m365 is None else tuple((net, evaluations[_request(spec, ip)]) for net, ip in m365),
        unlisted=tuple(evaluations[_request(spec, ip)] for ip in UNLISTED),
        senders=tuple((s, evaluations[_request(spec, s.ip)]) for s in senders(spec, answers)),
    )
