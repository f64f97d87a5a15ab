"""An authoritative DNS server for the benchmark: asyncio, UDP and TCP on one port, added latency.

Every reply is built at once and sent ``latency`` seconds later with ``loop.call_later``, so
thousands of queries can wait at the same time (nothing sleeps serially; one event loop). It
answers like an authoritative server (RFC 1034 4.3.2, RFC 2308, RFC 6604):

- AA on every answer; NXDOMAIN only for a name that has no records and no descendants, NODATA
  (NOERROR, empty answer) for an empty non-terminal or another type; both with the zone's SOA;
- a CNAME answers every other type and is followed inside the server's data, the target's
  records (or its NXDOMAIN) added to the same answer (``--no-cname-data``: the CNAME alone, so
  the client must ask for the target itself);
- an answer larger than the client's UDP size (512, or its EDNS size) is truncated (TC) on UDP.

A query asked again (the same bytes but the ID) gets the reply built the first time, so after one
pass the server costs this machine almost no CPU, as a remote server would cost it none.

Counters (queries, by transport and rcode, replies waiting, their peak) are read, and reset, with
a class CH TXT query for ``stats.bench.`` (or ``reset.bench.``), answered at once.

    python bench/dnsserver.py --zone zone.json --latency-ms 30 [--port 0]

prints ``READY <port>`` when both sockets listen, then serves until SIGTERM or SIGINT.
The zone file is :func:`bench.zonegen.generate`'s ``zone``, as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import struct
import sys
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support import answer  # noqa: E402  (the answer core the test fault server uses too)

TTL = 3600
#: Socket buffers of the UDP socket (capped by net.core.rmem_max / wmem_max).
UDP_BUFFER = 1 << 22
SOA_TEXT = "ns1.bench.invalid. hostmaster.bench.invalid. 1 3600 600 86400 300"
STATS_NAME = dns.name.from_text("stats.bench.")
RESET_NAME = dns.name.from_text("reset.bench.")


def _rdata(rdtype: int, value: str) -> dns.rdata.Rdata:
    if rdtype == dns.rdatatype.TXT:  # one record, split in character-strings of 255 octets
        raw = value.encode("utf-8")
        chunks = [raw[i:i + 255] for i in range(0, len(raw), 255)] or [b""]
        return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, rdtype, chunks)
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, value, origin=dns.name.root,
                               relativize=False)


class Zone:
    """The server's data: record sets by owner, the names that exist, the zone apexes."""

    def __init__(self, data: dict, cname_data: bool = True):
        self.cname_data = cname_data
        self.nodes: dict[dns.name.Name, dict[int, dns.rrset.RRset]] = {}
        for name, rdtype, values in data["records"]:
            owner = dns.name.from_text(name)
            code = dns.rdatatype.from_text(rdtype)
            rdatas = [_rdata(code, v) for v in values]
            self.nodes.setdefault(owner, {})[code] = dns.rrset.from_rdata_list(owner, TTL, rdatas)
        self.existing: set[dns.name.Name] = set()
        for owner in self.nodes:  # owners and every ancestor (empty non-terminals exist: RFC 8020)
            name = owner
            while name not in self.existing:
                self.existing.add(name)
                if name == dns.name.root:
                    break
                name = name.parent()
        soa = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SOA, SOA_TEXT)
        self.soa_sets = {}
        for apex in data.get("zones", []):
            name = dns.name.from_text(apex)
            self.soa_sets[name] = dns.rrset.from_rdata_list(name, 300, [soa])

    def zone_of(self, name: dns.name.Name) -> dns.name.Name | None:
        """The deepest apex at or above ``name``; None when the server serves no zone for it."""
        while True:
            if name in self.soa_sets:
                return name
            if name == dns.name.root:
                return None
            name = name.parent()

    # ---- answer.ZoneData: the data as the shared answer core reads it ---------------------

    def node(self, name: dns.name.Name) -> dict[int, dns.rrset.RRset]:
        return self.nodes.get(name) or {}

    def exists(self, name: dns.name.Name) -> bool:
        return name in self.existing

    def soa(self, name: dns.name.Name) -> dns.rrset.RRset | None:
        apex = self.zone_of(name)
        return None if apex is None else self.soa_sets[apex]

    def follows(self, current: dns.name.Name, target: dns.name.Name) -> bool:
        """A CNAME target in any zone this server serves is answered too (``--no-cname-data``:
        never, so the client asks for the target itself)."""
        return self.cname_data and self.zone_of(target) is not None


class Server:
    """Answers queries for a :class:`Zone`, each reply sent ``latency`` seconds after it arrived."""

    def __init__(self, zone: Zone, latency: float):
        self.zone = zone
        self.latency = latency
        self.loop: asyncio.AbstractEventLoop | None = None
        #: (transport, query less its ID) -> (reply less its ID, rcode, truncated): a query asked
        #: again costs the server almost nothing, as a remote server costs this machine nothing.
        self.replies: dict[tuple[str, bytes], tuple[bytes, str, bool]] = {}
        self.reset()

    def reset(self) -> None:
        self.stats = {"queries": 0, "udp": 0, "tcp": 0, "truncated": 0, "pending": 0,
                      "peak_pending": 0, "rcodes": {}, "errors": 0}

    def later(self, send, payload) -> None:
        """Send ``payload`` after the latency; counts replies waiting (the server-side in-flight)."""
        stats = self.stats
        stats["pending"] += 1
        stats["peak_pending"] = max(stats["peak_pending"], stats["pending"])

        def fire():
            stats["pending"] -= 1
            send(payload)

        self.loop.call_later(self.latency, fire)

    def respond(self, wire: bytes, transport: str) -> tuple[bytes | None, bool]:
        """(reply, immediate): the reply in wire form (None: no answer) and whether it is a
        control answer that skips the latency. A bug here answers SERVFAIL and is counted."""
        try:
            return self._respond(wire, transport)
        except Exception as exc:  # noqa: BLE001 - counted, printed, answered
            self.stats["errors"] += 1
            print(f"dnsserver: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            try:
                response = dns.message.make_response(dns.message.from_wire(wire))
                response.set_rcode(dns.rcode.SERVFAIL)
                return response.to_wire(), False
            except Exception:  # noqa: BLE001
                return None, True

    def _respond(self, wire: bytes, transport: str) -> tuple[bytes | None, bool]:
        known = self.replies.get((transport, wire[2:]))
        if known is not None:
            body, rcode, truncated = known
            self._count(transport, rcode, truncated)
            return wire[:2] + body, False
        return self._build(wire, transport)

    def _count(self, transport: str, rcode: str, truncated: bool) -> None:
        stats = self.stats
        stats["queries"] += 1
        stats[transport] += 1
        stats["truncated"] += truncated
        stats["rcodes"][rcode] = stats["rcodes"].get(rcode, 0) + 1

    def _build(self, wire: bytes, transport: str) -> tuple[bytes | None, bool]:
        query = answer.parse_query(wire)
        if query is None:
            self.stats["errors"] += 1
            return None, True
        question = query.question[0]
        response = dns.message.make_response(query, our_payload=4096)
        if question.rdclass == dns.rdataclass.CH:
            return self._control(response, question.name), True
        response = answer.authoritative_response(query)
        if not answer.refuse_non_in(query, response):
            answer.fill(response, question.name, question.rdtype, self.zone)
        rcode = dns.rcode.to_text(response.rcode())
        reply, truncated = answer.to_wire(query, response, transport)
        self.replies[(transport, wire[2:])] = (reply[2:], rcode, truncated)
        self._count(transport, rcode, truncated)
        return reply, False

    def _control(self, response: dns.message.Message, name: dns.name.Name) -> bytes:
        if name == RESET_NAME:
            self.reset()
        if name in (STATS_NAME, RESET_NAME):
            text = json.dumps(self.stats, sort_keys=True).encode()
            chunks = [text[i:i + 255] for i in range(0, len(text), 255)]
            rdata = dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.CH, dns.rdatatype.TXT, chunks)
            response.answer.append(dns.rrset.from_rdata_list(name, 0, [rdata]))
        else:
            response.set_rcode(dns.rcode.REFUSED)
        return response.to_wire()


class _UDP(asyncio.DatagramProtocol):
    def __init__(self, server: Server):
        self.server = server

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        reply, immediate = self.server.respond(data, "udp")
        if reply is None:
            return
        send = lambda payload: self.transport.sendto(payload, addr)  # noqa: E731
        if immediate:
            send(reply)
        else:
            self.server.later(send, reply)


class _TCP(asyncio.Protocol):
    def __init__(self, server: Server):
        self.server = server
        self.buffer = b""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buffer += data
        while len(self.buffer) >= 2:
            (length,) = struct.unpack("!H", self.buffer[:2])
            if len(self.buffer) < 2 + length:
                return
            wire, self.buffer = self.buffer[2:2 + length], self.buffer[2 + length:]
            reply, immediate = self.server.respond(wire, "tcp")
            if reply is None:
                continue
            framed = struct.pack("!H", len(reply)) + reply
            if immediate:
                self._send(framed)
            else:
                self.server.later(self._send, framed)

    def _send(self, payload: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(payload)


async def serve(server: Server, host: str, port: int, ready) -> None:
    loop = asyncio.get_running_loop()
    server.loop = loop
    for _ in range(20):
        udp, _proto = await loop.create_datagram_endpoint(lambda: _UDP(server), local_addr=(host, port))
        bound = udp.get_extra_info("sockname")[1]
        sock = udp.get_extra_info("socket")
        for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):  # bursts of queries wait, not drop
            sock.setsockopt(socket.SOL_SOCKET, option, UDP_BUFFER)
        try:
            tcp = await loop.create_server(lambda: _TCP(server), host, bound, reuse_address=True)
            break
        except OSError:
            udp.close()
            if port:
                raise
    else:
        raise OSError(f"no port free for both UDP and TCP on {host}")
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    ready(bound)
    await stop.wait()
    tcp.close()
    udp.close()


def stats(host: str, port: int, reset: bool = False, timeout: float = 5.0) -> dict:
    """The server's counters (and reset them, with ``reset``)."""
    query = dns.message.make_query(RESET_NAME if reset else STATS_NAME, dns.rdatatype.TXT,
                                   dns.rdataclass.CH)
    response = dns.query.udp(query, host, port=port, timeout=timeout)
    return json.loads(b"".join(response.answer[0][0].strings))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zone", required=True, help="zone JSON written by bench/run.py")
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port (printed)")
    parser.add_argument("--no-cname-data", action="store_true",
                        help="answer a CNAME without its target's records")
    args = parser.parse_args(argv)
    with open(args.zone, encoding="utf-8") as fh:
        zone = Zone(json.load(fh), cname_data=not args.no_cname_data)
    server = Server(zone, args.latency_ms / 1000.0)

    def ready(port):
        print(f"READY {port}", flush=True)

    asyncio.run(serve(server, args.host, args.port, ready))
    return 0


if __name__ == "__main__":
    sys.exit(main())
