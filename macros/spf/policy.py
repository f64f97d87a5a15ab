"""The evaluations a domain's SPF checks need, and their outcome (CONTRACT.md, SPF verdicts).

- Microsoft 365's addresses: one address from every ``ip4``/``ip6`` range of the live
  ``spf.protection.outlook.com`` policy (Microsoft Learn, "Set up SPF to identify valid email
  sources for your Microsoft 365 domain": custom domains include that record), including the
  ranges of the policies it includes (today ``spfd.protection.outlook.com``); besides the first
  address of a range, the first of every ``ip4``/``ip6`` network of the domain's own policy tree
  that lies inside it (so ``-ip4:40.93.0.0/16`` before the include, which fails part of
  40.92.0.0/15, is found);
- an unlisted sender: the documentation addresses ``192.0.2.1`` (RFC 5737) and ``2001:db8::1``
  (RFC 3849), which no legitimate policy lists;
- the domain's own senders: ``onprem_ips``, ``filter_ips``, ``senders``, and with
  ``outbound: filter`` one address from every range of the filter's SPF include(s), also the
  ranges of the policies they include.

Every evaluation is check_host(ip, <domain>, postmaster@<domain>) with the domain as HELO.
Pure: answers in (a read-only mapping, read once into :class:`Published`), requests and
outcomes out.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from .evaluation import Evaluation, Request
from .record import parse
from .tree import NodeStatus, Tree, analyze

if TYPE_CHECKING:  # pragma: no cover
    from ..config import DomainSpec
    from ..resolve import Answers

M365_SPF = "spf.protection.outlook.com"
UNLISTED = ("192.0.2.1", "2001:db8::1")

ON_PREMISES = "on-premises"
FILTER = "filter"
SENDER = "sender"


def representative(network: str) -> str:
    """One address of an ``ip4``/``ip6`` range: its first host (the network address itself for
    a /31, /32, /127 or /128)."""
    net = _parsed(network)
    if net.num_addresses > 2:
        return str(net.network_address + 1)
    return str(net.network_address)


@lru_cache(maxsize=65536)
def _parsed(network: str):
    return ipaddress.ip_network(network, strict=False)


def _network(value: str | None) -> str | None:
    try:
        return str(_parsed(value)) if value else None
    except ValueError:
        return None


def ranges(name: str, answers: "Answers") -> tuple[str, ...] | None:
    """The ``ip4``/``ip6`` ranges the policy at ``name`` passes, in evaluation order: its own
    ``+`` ranges and those of the policies it includes with ``+`` or redirects to (RFC 7208
    sections 5.2, 6.1). None when not known: the policy or one it reaches has no definite
    answer yet, or is not one valid SPF record."""
    tree = analyze(name, answers)
    if tree.root.status != NodeStatus.OK or tree.unknown or tree.pending:
        return None
    out: list[str] = []
    todo = [tree.root]
    while todo:
        node = todo.pop(0)
        if node.status != NodeStatus.OK or node.record is None:
            continue
        for term in parse(node.record).evaluated:
            if term.kind == "mechanism" and term.name in ("ip4", "ip6") and term.qualifier == "+":
                network = _network(term.value)
                if network is not None and network not in out:
                    out.append(network)
        todo.extend(c for c in node.children if c.via == "redirect" or c.qualifier == "+")
    return tuple(out)


def own_networks(tree: Tree | None) -> tuple[str, ...]:
    """Every ``ip4``/``ip6`` network written anywhere in a domain's policy tree, any qualifier."""
    out: dict[str, None] = {}
    for node in tree.nodes() if tree is not None else ():
        if node.record is not None:
            out.update(dict.fromkeys(_record_networks(node.record)))
    return tuple(out)


@lru_cache(maxsize=4096)
def _record_networks(record: str) -> tuple[str, ...]:
    """The ``ip4``/``ip6`` networks one record writes, any qualifier (records are shared by
    many domains' trees: Microsoft 365's is in every one)."""
    out: dict[str, None] = {}
    for term in parse(record).terms:
        if term.kind == "mechanism" and term.name in ("ip4", "ip6"):
            network = _network(term.value)
            if network is not None:
                out[network] = None
    return tuple(out)


@lru_cache(maxsize=65536)
def probes(network: str, inside: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The addresses that stand for ``network``: its first host (see :func:`representative`),
    and the first address of every network of ``inside`` that lies strictly within it, where a
    policy may treat part of the range differently (a range's last address would add nothing:
    a carve-out written as ip4/ip6 is among ``inside``, one written otherwise is not at an edge)."""
    net = _parsed(network)
    out = [representative(network)]
    for other in inside:
        sub = _parsed(other)
        if sub.version == net.version and sub.prefixlen > net.prefixlen and sub.subnet_of(net):
            out.append(representative(other))
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class Published:
    """The ranges of the policies the requests are built from (Microsoft 365's, the filters',
    see :func:`sources`), read once per run: {policy name: :func:`ranges`}."""

    ranges: Mapping[str, tuple[str, ...] | None]

    @classmethod
    def read(cls, specs, answers: Answers) -> Published:
        names = dict.fromkeys(name for spec in specs for name in sources(spec))
        return cls({name: ranges(name, answers) for name in names})


def filter_includes(spec: "DomainSpec") -> tuple[str, ...]:
    """The SPF include(s) of the domain's filter, when Exchange Online sends through it."""
    if spec.outbound != "filter" or spec.service is None:
        return ()
    return tuple(spec.service.spf_include)


def sources(spec: "DomainSpec") -> tuple[str, ...]:
    """The policies whose ranges the requests are built from: Microsoft 365's, the filter's."""
    return (M365_SPF,) + filter_includes(spec)


def lookups(spec: "DomainSpec") -> list[tuple[str, str]]:
    """The TXT lookups the requests are built from (planned in the engine's first wave; what
    those policies include is asked in the SPF waves, see :func:`sources`)."""
    return [(name, "TXT") for name in sources(spec)]


@dataclass(frozen=True)
class Sender:
    ip: str
    role: str       # on-premises | filter | sender
    source: str = ""  # the include an address stands for ("" for a listed IP)

    def label(self) -> str:
        return f"{self.ip} ({self.role}{', ' + self.source if self.source else ''})"


def senders(spec: "DomainSpec", published: Published) -> tuple[Sender, ...]:
    """Every address that must pass, each once, in domains.yml order, then the filter's ranges."""
    out: list[Sender] = []
    seen: set[str] = set()
    for role, ips in ((ON_PREMISES, spec.onprem_ips), (FILTER, spec.filter_ips), (SENDER, spec.senders)):
        for ip in ips:
            if ip not in seen:
                seen.add(ip)
                out.append(Sender(ip, role))
    for include in filter_includes(spec):
        for network in published.ranges.get(include) or ():
            ip = representative(network)
            if ip not in seen:
                seen.add(ip)
                out.append(Sender(ip, FILTER, f"{network} of {include}"))
    return tuple(out)


def m365_addresses(published: Published, tree: Tree | None = None) -> tuple[tuple[str, str], ...] | None:
    """(range, address) for the addresses that stand for every range of the live Microsoft 365
    policy (:func:`probes`, with the networks of the domain's own policy ``tree``); None when
    the policy is not known."""
    found = published.ranges.get(M365_SPF)
    if found is None:
        return None
    inside = own_networks(tree)
    return tuple((network, ip) for network in found for ip in probes(network, inside))


def _request(spec: "DomainSpec", ip: str) -> Request:
    return Request(ip, f"postmaster@{spec.ascii}", spec.ascii)


def requests(spec: "DomainSpec", published: Published, tree: Tree | None = None) -> list[Request]:
    """Every evaluation the SPF checks of ``spec`` need (``tree``: its policy tree)."""
    ips = [ip for _net, ip in m365_addresses(published, tree) or ()]
    ips += list(UNLISTED)
    ips += [s.ip for s in senders(spec, published)]
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


def outcome(spec: "DomainSpec", published: Published, evaluations: dict[Request, Evaluation],
            tree: Tree | None = None) -> Outcome:
    """Pick each check's evaluations out of ``evaluations`` (from :func:`~.evaluation.settle`)."""
    m365 = m365_addresses(published, tree)
    return Outcome(
        m365=None if m365 is None else tuple((net, evaluations[_request(spec, ip)]) for net, ip in m365),
        unlisted=tuple(evaluations[_request(spec, ip)] for ip in UNLISTED),
        senders=tuple((s, evaluations[_request(spec, s.ip)]) for s in senders(spec, published)),
    )
