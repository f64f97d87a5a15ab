"""A small programmable DNS server for faults a real server will not produce on demand.

Built on dnspython messages; serves UDP and TCP on 127.0.0.1 on one free port, each query in its
own thread, so slow answers do not hold up others. It answers like an authoritative server
(RFC 1034 section 4.3.2, RFC 2308, RFC 6604):

- the AA flag is set on every answer;
- NXDOMAIN only when the name has no records of any type and no descendants; an empty
  non-terminal, or a name with other types, is NODATA; both carry the zone's SOA in authority;
- a CNAME at the name answers every other type, and is followed inside the same zone, adding the
  target's records (or its NXDOMAIN) to the answer; a target in another zone is left to the client;
- an answer larger than the client's UDP size (512, or its EDNS size) is truncated (TC) on UDP and
  complete on TCP.

Zones: every name owning an SOA record is a zone apex; names under no apex belong to one implicit
root zone with a made-up SOA. So without SOA records everything is one zone.

Faults (:meth:`FakeDNS.fault`), per name (or ``"*"`` for every name), optionally per type:
``timeout`` (never answer), ``servfail``, ``refused``, ``nxdomain`` (a lie), ``slow`` (answer after
``delay`` seconds), ``truncate`` (TC and no records on UDP, the full answer on TCP).

``queries`` records every question received as ``(name, type, transport)``: the name lowercase
without its trailing dot, the type's mnemonic, ``"udp"`` or ``"tcp"``.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from tests.support import answer
from tests.support.loopback import LoopbackServer

FAULTS = ("timeout", "servfail", "refused", "nxdomain", "slow", "truncate")
TTL = 300
#: How long a TCP connection with a ``timeout`` fault is held open without an answer.
HOLD_SECONDS = 30.0
#: CNAME hops followed inside one answer before giving up (loops stop earlier).

_ROOT_SOA = "ns.fake.invalid. hostmaster.fake.invalid. 1 3600 600 86400 60"


def _name(name) -> dns.name.Name:
    """A dns.name.Name from text (U-labels allowed), absolute; comparisons ignore case."""
    if isinstance(name, dns.name.Name):
        return name
    text = str(name).strip()
    if not text.isascii():
        return dns.name.from_unicode(text)
    return dns.name.from_text(text)


def _rdtype(rdtype) -> int:
    if isinstance(rdtype, int):
        return rdtype
    return dns.rdatatype.from_text(str(rdtype).upper())


def _key_text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True).lower() or "."


def txt(*strings: str | bytes) -> str:
    """Presentation form of one TXT (or SPF) rdata made of the given character-strings.

    Every byte outside printable ASCII, and ``"`` and ``\\``, is written as ``\\DDD``, so any
    bytes survive: ``txt("v=spf1 ", b"\\xff -all")`` -> ``'"v=spf1 " "\\\\255 -all"'``.
    """
    parts = []
    for s in strings:
        raw = s.encode("utf-8") if isinstance(s, str) else bytes(s)
        out = []
        for byte in raw:
            if 0x20 <= byte < 0x7F and byte not in (0x22, 0x5C):
                out.append(chr(byte))
            else:
                out.append(f"\\{byte:03d}")
        parts.append('"' + "".join(out) + '"')
    return " ".join(parts) if parts else '""'


class FakeDNS(LoopbackServer):
    """A programmable authoritative DNS server on 127.0.0.1 (UDP and TCP, one port)."""

    def __init__(self, zone: dict | None = None):
        self.host = "127.0.0.1"
        self.port = 0
        self.queries: list[tuple[str, str, str]] = []
        self.errors: list[Exception] = []
        self._lock = threading.RLock()
        self._data: dict[dns.name.Name, dict[int, list[dns.rdata.Rdata]]] = {}
        self._faults: dict[tuple[str, int | None], tuple[str, float]] = {}
        self._servers: list[socketserver.BaseServer] = []
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        for (name, rdtype), values in (zone or {}).items():
            self.set(name, rdtype, values)

    # ---- configuration -----------------------------------------------------------------

    def set(self, name, rdtype, values) -> None:
        """Replace the record set (name, type) with ``values`` (rdata presentation text).

        An empty list removes it. Raises ``dns.exception.SyntaxError`` for bad rdata text.
        """
        if isinstance(values, (str, bytes)):
            values = [values]
        owner = _name(name)
        code = _rdtype(rdtype)
        rdatas = []
        for value in values:
            if isinstance(value, dns.rdata.Rdata):
                rdatas.append(value)
            else:
                rdatas.append(
                    dns.rdata.from_text(
                        dns.rdataclass.IN, code, value, origin=dns.name.root, relativize=False
                    )
                )
        with self._lock:
            node = self._data.setdefault(owner, {})
            if rdatas:
                node[code] = rdatas
            else:
                node.pop(code, None)
            if not node:
                del self._data[owner]

    def remove(self, name, rdtype=None) -> None:
        """Remove one record set, or every record at the name when no type is given."""
        owner = _name(name)
        with self._lock:
            if rdtype is None:
                self._data.pop(owner, None)
            else:
                self.set(owner, rdtype, [])

    def fault(self, name_or_star, kind: str, delay: float = 0.0, rdtype=None) -> None:
        """Misbehave for a name (``"*"``: every name), for every type or only ``rdtype``."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULTS)}")
        key = "*" if name_or_star == "*" else _key_text(_name(name_or_star))
        with self._lock:
            self._faults[(key, None if rdtype is None else _rdtype(rdtype))] = (kind, float(delay))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset(self, zone: dict | None = None) -> None:
        """Forget every record, fault and logged query; then load ``zone``."""
        with self._lock:
            self._data.clear()
            self._faults.clear()
            self.queries.clear()
            self.errors.clear()
        for (name, rdtype), values in (zone or {}).items():
            self.set(name, rdtype, values)

    def transports(self, name, rdtype) -> list[str]:
        """The transports of the logged queries for (name, type), in order."""
        key, code = _key_text(_name(name)), dns.rdatatype.to_text(_rdtype(rdtype))
        with self._lock:
            return [t for n, r, t in self.queries if n == key and r == code]

    # ---- life cycle ----------------------------------------------------------------------

    def start(self) -> "FakeDNS":
        if self._servers:
            return self
        self._stopping.clear()
        owner = self
        for _ in range(20):
            udp = _UDPServer((self.host, self.port), _UDPHandler)
            udp.fake = owner
            try:
                tcp = _TCPServer((self.host, udp.server_address[1]), _TCPHandler)
            except OSError:
                udp.server_close()
                continue
            tcp.fake = owner
            break
        else:
            raise OSError("no free port with both UDP and TCP on 127.0.0.1")
        self.port = udp.server_address[1]
        self._servers = [udp, tcp]
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                name=f"fakedns-{type(server).__name__}-{self.port}",
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []

    def __enter__(self) -> "FakeDNS":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- answering -----------------------------------------------------------------------

    def _fault_for(self, qname: dns.name.Name, qtype: int):
        key = _key_text(qname)
        with self._lock:
            for candidate in ((key, qtype), (key, None), ("*", qtype), ("*", None)):
                if candidate in self._faults:
                    return self._faults[candidate]
        return None

    def respond(self, wire: bytes, transport: str) -> bytes | None:
        """The response to one query in wire form, or None for no answer at all.

        A bug in this server answers SERVFAIL and is kept in ``errors``, never swallowed.
        """
        try:
            return self._respond(wire, transport)
        except Exception as exc:  # noqa: BLE001 - reported through self.errors
            self.errors.append(exc)
            try:
                response = dns.message.make_response(dns.message.from_wire(wire))
                response.set_rcode(dns.rcode.SERVFAIL)
                return response.to_wire()
            except Exception:  # noqa: BLE001
                return None

    def _respond(self, wire: bytes, transport: str) -> bytes | None:
        query = answer.parse_query(wire)
        if query is None:
            return None
        question = query.question[0]
        with self._lock:
            self.queries.append(
                (_key_text(question.name), dns.rdatatype.to_text(question.rdtype), transport)
            )
        response = answer.authoritative_response(query)
        if query.opcode() != dns.opcode.QUERY:
            response.set_rcode(dns.rcode.NOTIMP)
            return response.to_wire()
        if answer.refuse_non_in(query, response):
            return response.to_wire()
        fault = self._fault_for(question.name, question.rdtype)
        kind, delay = fault or ("", 0.0)
        if kind == "timeout":
            return None
        if kind == "slow":
            if self._stopping.wait(delay):
                return None
        if kind in ("servfail", "refused"):
            response.set_rcode(dns.rcode.SERVFAIL if kind == "servfail" else dns.rcode.REFUSED)
            return response.to_wire()
        if kind == "nxdomain":
            response.set_rcode(dns.rcode.NXDOMAIN)
            response.authority.append(self.soa(question.name))
            return response.to_wire()
        if kind == "truncate" and transport == "udp":
            response.flags |= dns.flags.TC
            return response.to_wire()
        with self._lock:
            answer.fill(response, question.name, question.rdtype, self)
        return answer.to_wire(query, response, transport)[0]

    # ---- answer.ZoneData: the data as the shared answer core reads it ---------------------

    def _zone_of(self, name: dns.name.Name) -> dns.name.Name:
        """The deepest apex (owner of an SOA) at or above ``name``; the root otherwise."""
        candidate = name
        while dns.rdatatype.SOA not in self._data.get(candidate, {}):
            if candidate == dns.name.root:
                break
            candidate = candidate.parent()
        return candidate

    def soa(self, name: dns.name.Name) -> dns.rrset.RRset:
        apex = self._zone_of(name)
        node = self._data.get(apex) or {}
        rdatas = node.get(dns.rdatatype.SOA) or [
            dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SOA, _ROOT_SOA)
        ]
        return dns.rrset.from_rdata_list(apex, TTL, rdatas)

    def exists(self, name: dns.name.Name) -> bool:
        """A name exists when it owns records or has descendants (RFC 8020: empty non-terminals)."""
        if self._data.get(name):
            return True
        return any(other.is_subdomain(name) and other != name for other in self._data)

    def node(self, name: dns.name.Name) -> dict[int, dns.rrset.RRset]:
        return {code: dns.rrset.from_rdata_list(name, TTL, rdatas)
                for code, rdatas in (self._data.get(name) or {}).items()}

    def follows(self, current: dns.name.Name, target: dns.name.Name) -> bool:
        """Like BIND: a CNAME is followed only inside the zone it is in."""
        return self._zone_of(target) == self._zone_of(current)


class _UDPServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = False
    fake: FakeDNS


class _TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    fake: FakeDNS


class _UDPHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        reply = self.server.fake.respond(data, "udp")
        if reply is not None:
            try:
                sock.sendto(reply, self.client_address)
            except OSError:
                pass


class _TCPHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.settimeout(HOLD_SECONDS)
        fake: FakeDNS = self.server.fake
        try:
            while True:
                header = _recv_exactly(conn, 2)
                if not header:
                    return
                (length,) = struct.unpack("!H", header)
                wire = _recv_exactly(conn, length)
                if wire is None:
                    return
                reply = fake.respond(wire, "tcp")
                if reply is None:
                    # Hold the connection open without answering, as a dead server would.
                    fake._stopping.wait(HOLD_SECONDS)
                    return
                conn.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            return


def _recv_exactly(conn: socket.socket, count: int) -> bytes | None:
    chunks, got = [], 0
    while got < count:
        chunk = conn.recv(count - got)
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


@pytest.fixture
def fake_dns():
    """A started :class:`FakeDNS` with no records, stopped after the test."""
    server = FakeDNS().start()
    try:
        yield server
    finally:
        server.stop()

