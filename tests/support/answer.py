"""The one answer core of the project's own DNS servers: the test fault server
(tests/support/fakedns.py) and the benchmark server (bench/dnsserver.py).

How an authoritative server answers (RFC 1034 section 4.3.2, RFC 2308, RFC 6604, RFC 8020):
AA on every answer; the record set asked for; a CNAME answers every other type and is followed
while the data allows (:meth:`ZoneData.follows`), the target's records or its NXDOMAIN joined to
the same answer; NXDOMAIN only for a name that owns nothing and has no descendants (an empty
non-terminal exists: NODATA); the zone's SOA in the authority section of a negative answer; an
answer larger than the client's UDP size truncated (TC) with an empty answer section.

The servers differ only in their data (:class:`ZoneData`) and their transport and faults.
"""

from __future__ import annotations

from typing import Mapping, Protocol

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

#: CNAME hops a server follows inside its own data before it stops.
MAX_HOPS = 16


class ZoneData(Protocol):
    """What a server knows: record sets by owner, which names exist, where zones start."""

    def node(self, name: dns.name.Name) -> Mapping[int, dns.rrset.RRset]: ...

    def exists(self, name: dns.name.Name) -> bool: ...

    def soa(self, name: dns.name.Name) -> dns.rrset.RRset | None:
        """The SOA of the zone ``name`` is in (for negative answers), or None."""

    def follows(self, current: dns.name.Name, target: dns.name.Name) -> bool:
        """Whether a CNAME from ``current`` to ``target`` is followed inside this answer."""


def parse_query(wire: bytes) -> dns.message.Message | None:
    """A query this server should answer, or None (garbage, a response, not one question)."""
    try:
        query = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        return None
    if query.flags & dns.flags.QR or len(query.question) != 1:
        return None
    return query


def authoritative_response(query: dns.message.Message) -> dns.message.Message:
    response = dns.message.make_response(query, our_payload=4096)
    response.flags |= dns.flags.AA
    return response


def fill(response: dns.message.Message, qname: dns.name.Name, qtype: int, data: ZoneData) -> None:
    """Answer ``qname``/``qtype`` from ``data`` into ``response`` (see the module docstring)."""
    current, seen = qname, set()
    for _ in range(MAX_HOPS):
        node = data.node(current)
        if qtype == dns.rdatatype.ANY and node:
            for _code, rrset in sorted(node.items()):
                response.answer.append(rrset)
            return
        if qtype in node:
            response.answer.append(node[qtype])
            return
        cname = node.get(dns.rdatatype.CNAME)
        if cname is not None and qtype != dns.rdatatype.CNAME:
            response.answer.append(cname)
            seen.add(current)
            target = cname[0].target
            if target in seen or not data.follows(current, target):
                return
            current = target
            continue
        if not data.exists(current):
            response.set_rcode(dns.rcode.NXDOMAIN)
        soa = data.soa(current)
        if soa is not None:
            response.authority.append(soa)
        return


def to_wire(query: dns.message.Message, response: dns.message.Message, transport: str
            ) -> tuple[bytes, bool]:
    """(wire, truncated): the response within the client's size (UDP: 512 octets, or its EDNS
    payload size), else an empty answer with TC set (RFC 1035 section 4.2.1, RFC 6891)."""
    limit = 65535
    if transport == "udp":
        limit = max(512, query.payload) if query.edns >= 0 else 512
    try:
        return response.to_wire(max_size=limit), False
    except dns.exception.TooBig:
        short = dns.message.make_response(query, our_payload=4096)
        short.flags |= dns.flags.AA | dns.flags.TC
        return short.to_wire(), True


def refuse_non_in(query: dns.message.Message, response: dns.message.Message) -> bool:
    """REFUSED for a class other than IN; True when the response is complete."""
    if query.question[0].rdclass != dns.rdataclass.IN:
        response.set_rcode(dns.rcode.REFUSED)
        return True
    return False
