"""DNS lookups as data: the only module of the engine that touches the network.

Every lookup returns a :class:`Lookup` whose ``status`` is one of

- ``found``: records of the asked type (after following CNAMEs);
- ``nxdomain``: the name does not exist (a definite answer);
- ``nodata``: the name exists but has no records of that type (a definite answer);
- ``timeout``: no answer within the lifetime, even after one retry;
- ``servfail``: every server failed (SERVFAIL, REFUSED, bad responses);
- ``error``: anything else that stops a definite answer (a CNAME loop, a malformed name).

``NXDOMAIN`` and ``NoAnswer`` are answers; ``LifetimeTimeout`` and ``NoNameservers`` only mean
"could not find out": a timeout never reads as "record removed".

One :class:`Resolver` per run: explicit nameservers (or the system's), EDNS on (so large TXT
answers fit in UDP), dnspython's TCP fallback on truncation, lookups cached by (name, type) and run
concurrently with at most ``max_in_flight`` queries on the wire.
"""

from __future__ import annotations

import asyncio
import enum
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, NamedTuple, Protocol

import dns.asyncresolver
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.nameserver
import dns.rdataclass
import dns.rdatatype
import dns.resolver

from .records import InvalidName, RecordKey, RecordSet, join_txt, normalize_name

class LookupStatus(enum.StrEnum):
    """What one lookup gave (see the module docstring); the first three are definite answers."""

    FOUND = "found"
    NXDOMAIN = "nxdomain"
    NODATA = "nodata"
    TIMEOUT = "timeout"
    SERVFAIL = "servfail"
    ERROR = "error"


FOUND = LookupStatus.FOUND
NXDOMAIN = LookupStatus.NXDOMAIN
NODATA = LookupStatus.NODATA
TIMEOUT = LookupStatus.TIMEOUT
SERVFAIL = LookupStatus.SERVFAIL
ERROR = LookupStatus.ERROR
DEFINITE = (FOUND, NXDOMAIN, NODATA)

#: CNAME hops followed across responses before calling it a chain too long.
MAX_CHAIN = 8

Key = RecordKey


@dataclass(frozen=True)
class Lookup:
    """The outcome of one (name, type) lookup. Values are normalized (see records.py)."""

    name: str
    rdtype: str
    status: str
    values: tuple[str, ...] = ()
    ttl: int | None = None
    chain: tuple[str, ...] = ()
    raw: tuple[bytes, ...] = ()
    reason: str = ""
    server: str = ""
    cname_loop: bool = False

    @property
    def key(self) -> Key:
        return RecordKey(self.name, self.rdtype)

    @property
    def record_set(self) -> RecordSet:
        """The record set this lookup read (no values unless it found some)."""
        return RecordSet(self.name, self.rdtype, self.values)

    @property
    def definite(self) -> bool:
        """True when DNS gave an answer (records, NXDOMAIN or NODATA), not a failure."""
        return self.status in DEFINITE

    @property
    def found(self) -> bool:
        return self.status == FOUND

    def describe(self) -> str:
        """One line for people: the values, or what happened instead."""
        if self.status == FOUND:
            return ", ".join(self.values)
        return {
            NXDOMAIN: "the name does not exist (NXDOMAIN)",
            NODATA: f"the name exists but has no {self.rdtype} record",
            TIMEOUT: "no answer in time",
            SERVFAIL: "the resolver failed (SERVFAIL)",
        }.get(self.status, self.reason or "lookup failed")


class Answers(Protocol):
    """What checks and evaluation read: a read-only mapping of lookups. ``get`` returns None for
    a lookup that was never made (the engine plans it into its next wave); nothing reading it can
    start a lookup of its own."""

    def get(self, name: str, rdtype: str) -> "Lookup | None": ...


class CacheView:
    """A read-only :class:`Answers` view of a lookup cache keyed by ``key(name, rdtype)``."""

    def __init__(self, cache: Mapping[Key, "Lookup"], key: Callable[[str, str], Key]):
        self._cache = cache
        self._key = key

    def get(self, name: str, rdtype: str) -> "Lookup | None":
        return self._cache.get(self._key(name, rdtype))


def parse_nameservers(text: str | None) -> list[tuple[str, int]]:
    """Parse ``MAILFLOW_NAMESERVERS``: comma-separated ``host[:port]``; IPv6 as ``[::1]:53``;
    a host name is looked up once, here.

    Raises ``ValueError`` naming the bad entry.
    """
    import ipaddress

    result: list[tuple[str, int]] = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        host, port = item, "53"
        if item.startswith("["):
            host, sep, rest = item[1:].partition("]")
            if not sep or (rest and not rest.startswith(":")):
                raise ValueError(f"nameserver {item!r}: write IPv6 as [address]:port")
            port = rest[1:] if rest else "53"
        elif item.count(":") == 1:
            host, port = item.split(":")
        try:
            ipaddress.ip_address(host)
        except ValueError:
            host = _address_of(item, host)
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"nameserver {item!r}: port {port!r} is not a number from 1 to 65535")
        result.append((host, int(port)))
    return result


def _address_of(item: str, host: str) -> str:
    """A resolver given by host name (``localhost:5353``): its address, from the system."""
    import socket

    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValueError(f"nameserver {item!r}: {host!r} is neither an IP address nor a host name "
                         f"this machine can resolve ({exc})") from None
    return infos[0][4][0]


@dataclass
class Stats:
    queries: int = 0
    cached: int = 0
    retries: int = 0
    seconds: float = 0.0
    peak_in_flight: int = 0


class Resolver:
    """One resolver for a run: explicit servers or the system's, cached, concurrent."""

    def __init__(
        self,
        nameservers: list[tuple[str, int]] | None = None,
        timeout: float = 2.0,
        lifetime: float = 5.0,
        max_in_flight: int = 64,
    ):
        self.timeout = float(timeout)
        self.lifetime = float(lifetime)
        self.max_in_flight = max(1, int(max_in_flight))
        self.nameservers = list(nameservers or [])
        self.config_error = ""
        self._cache: dict[Key, Lookup] = {}
        self.stats = Stats()
        self._in_flight = 0
        if self.nameservers:
            self._resolver = dns.asyncresolver.Resolver(configure=False)
            self._resolver.nameservers = [
                dns.nameserver.Do53Nameserver(host, port) for host, port in self.nameservers
            ]
        else:
            try:
                self._resolver = dns.asyncresolver.Resolver()
            except dns.resolver.NoResolverConfiguration as exc:
                self._resolver = dns.asyncresolver.Resolver(configure=False)
                self.config_error = f"no system resolver configured ({exc})"
        self._resolver.timeout = self.timeout
        self._resolver.lifetime = self.lifetime
        self._resolver.use_edns(0, 0, 1232)
        self._resolver.cache = None
        self._resolver.search = []
        self._resolver.use_search_by_default = False

    @property
    def description(self) -> str:
        """Which resolver answers, as shown on pages ("127.0.0.1:5353" or the system's)."""
        if self.nameservers:
            return ", ".join(f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in self.nameservers)
        servers = ", ".join(str(ns) for ns in getattr(self._resolver, "nameservers", []) or [])
        return f"system resolver ({servers or 'none configured'})"

    # ---- public, synchronous API -------------------------------------------------------

    def cached(self, name: str, rdtype: str) -> Lookup | None:
        return self._cache.get(self.key(name, rdtype))

    @property
    def answers(self) -> CacheView:
        """Every answer so far, read-only (what checks are given)."""
        return CacheView(self._cache, self.key)

    def lookup(self, name: str, rdtype: str) -> Lookup:
        """One lookup (cached)."""
        key = self.key(name, rdtype)
        return self.lookup_many([key])[key]

    def lookup_many(self, keys: Iterable[Key], fresh: bool = False) -> dict[Key, Lookup]:
        """Resolve every (name, type) at once; cached ones are not asked again unless ``fresh``.

        Returns results keyed by the normalized key (see :meth:`key`).
        """
        wanted = []
        seen = set()
        for name, rdtype in keys:
            key = self.key(name, rdtype)
            if key not in seen:
                seen.add(key)
                wanted.append(key)
        todo = [k for k in wanted if fresh or k not in self._cache]
        self.stats.cached += len(wanted) - len(todo)
        if todo:
            started = time.monotonic()
            results = _run(self._gather(todo))
            self.stats.seconds += time.monotonic() - started
            for result in results:
                self._cache[result.key] = result
        return {k: self._cache[k] for k in wanted}

    def store(self, lookup: Lookup) -> None:
        """Keep an outcome found another way (the MTA-STS policy fetch, type ``MTA-STS``) in the
        cache, so drift, the baseline and the checks read it like any lookup."""
        self._cache[self.key(lookup.name, lookup.rdtype)] = lookup

    def all_lookups(self) -> list[Lookup]:
        """Every lookup made so far (the cache), sorted by key."""
        return [self._cache[k] for k in sorted(self._cache)]

    # ---- internals ---------------------------------------------------------------------

    @staticmethod
    def key(name: str, rdtype: str) -> Key:
        """The cache key: normalized name (normalize_name caches its work), upper-case type."""
        return RecordKey.of(name, rdtype)

    async def _gather(self, keys: list[Key]) -> list[Lookup]:
        sem = asyncio.Semaphore(self.max_in_flight)
        return await asyncio.gather(*(self._lookup(name, rdtype, sem) for name, rdtype in keys))

    async def _lookup(self, name: str, rdtype: str, sem: asyncio.Semaphore) -> Lookup:
        """Follow CNAMEs across responses; detect loops; keep the chain."""
        try:
            normalize_name(name)
        except InvalidName as exc:
            return Lookup(name, rdtype, ERROR, reason=str(exc))
        if self.config_error:
            return Lookup(name, rdtype, SERVFAIL, reason=self.config_error)
        chain: list[str] = []
        current = name
        for _ in range(MAX_CHAIN + 1):
            reply = await self._query_once(current, rdtype, sem)
            for hop in reply.cnames:
                if hop in chain or hop == name:
                    return Lookup(name, rdtype, ERROR, chain=tuple(chain + [hop]), cname_loop=True,
                                  reason=f"CNAME loop: {' -> '.join([name] + chain + [hop])}",
                                  server=reply.server)
                chain.append(hop)
            if reply.status != FOUND or reply.rrset is not None or reply.canonical == current:
                break
            # The response ended at a CNAME target without data (an authoritative server
            # that does not serve the target's zone): ask for the target ourselves.
            current = reply.canonical
        else:
            return Lookup(name, rdtype, ERROR, chain=tuple(chain),
                          reason=f"CNAME chain longer than {MAX_CHAIN} hops")
        if reply.status != FOUND:
            return Lookup(name, rdtype, reply.status, chain=tuple(chain), reason=reply.reason,
                          server=reply.server)
        if reply.rrset is None:
            return Lookup(name, rdtype, NODATA, chain=tuple(chain), server=reply.server)
        raw = ()
        if rdtype in ("TXT", "SPF"):
            raw = tuple(sorted({join_txt(r.strings) for r in reply.rrset}))
        return Lookup(name, rdtype, FOUND, values=RecordSet.from_rdatas(name, rdtype, reply.rrset).values,
                      ttl=reply.rrset.ttl, chain=tuple(chain), raw=raw, server=reply.server)

    async def _query_once(self, name: str, rdtype: str, sem: asyncio.Semaphore) -> _Reply:
        """The :class:`_Reply` to one query (CNAMEs within its answer followed by dnspython).

        ``lifetime`` bounds the whole lookup, all tries included (CONTRACT.md): dnspython sends
        a try, waits ``timeout``, and retries a try that timed out while the lifetime lasts, so
        a lookup with lifetime >= 2 x timeout always gets at least one retry of a timeout.
        """
        async with sem:
            self._in_flight += 1
            self.stats.peak_in_flight = max(self.stats.peak_in_flight, self._in_flight)
            self.stats.queries += 1
            try:
                answer = await self._resolver.resolve(
                    name, rdtype, raise_on_no_answer=False, search=False
                )
            except dns.resolver.NXDOMAIN as exc:
                canonical = _nx_canonical(exc, name)
                cnames = _nx_cnames(exc)
                return _Reply(NXDOMAIN, None, canonical, cnames)
            except dns.resolver.LifetimeTimeout as exc:
                self.stats.retries += max(0, len(exc.kwargs.get("errors") or []) - 1)
                return _Reply(TIMEOUT, None, name, [], f"no answer within {self.lifetime:g} s ({_short(exc)})")
            except dns.resolver.NoNameservers as exc:
                looped = _answer_cnames(exc)
                if looped is not None:  # the server put the whole loop in one answer
                    reason = "CNAME loop or chain too long in the answer"
                    return _Reply(ERROR, None, name, looped, reason)
                return _Reply(SERVFAIL, None, name, [], _servfail_reason(exc))
            except dns.message.ChainTooLong:
                return _Reply(ERROR, None, name, [], "CNAME loop or chain too long in the answer")
            except dns.exception.DNSException as exc:
                return _Reply(ERROR, None, name, [], f"{type(exc).__name__}: {_short(exc)}")
            finally:
                self._in_flight -= 1
        cnames = [c[0].target.to_text().lower() for c in answer.chaining_result.cnames]
        canonical = answer.canonical_name.to_text().lower()
        server = f"{answer.nameserver}:{answer.port}"
        return _Reply(FOUND, answer.rrset, canonical, cnames, server=server)


class _Reply(NamedTuple):
    """One response to one query, or why there was none."""

    status: LookupStatus
    rrset: object | None  # dns.rrset.RRset of the asked type at the end of the answer's CNAMEs
    canonical: str        # the name the answer's CNAMEs ended at
    cnames: list[str]     # the CNAME targets in the answer, in order
    reason: str = ""
    server: str = ""


def _run(coro):
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Called from inside a running loop (not the case in MkDocs or the CLI): use a thread.
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _servfail_reason(exc: dns.resolver.NoNameservers) -> str:
    errors = exc.kwargs.get("errors") or []
    details = sorted({str(err[3]) if len(err) > 3 else str(err) for err in errors})
    if details:
        return "every server failed: " + "; ".join(d[:120] for d in details[:3])
    return "every server failed (SERVFAIL or REFUSED)"


def _answer_cnames(exc: dns.resolver.NoNameservers) -> list[str] | None:
    """The CNAME targets of a failed answer that holds a CNAME loop, in order, up to and
    including the first repeated one; None when no server failed that way.

    Two shapes reach here: an answer dnspython rejected as a chain too long (the server put the
    whole loop in one answer), and a SERVFAIL that carries the looping CNAMEs (BIND answers an
    in-zone loop that way)."""
    for err in exc.kwargs.get("errors") or []:
        if len(err) <= 4 or err[4] is None:
            continue
        response = err[4]
        too_long = isinstance(err[3], dns.message.ChainTooLong)
        if not response.question:
            continue
        current, targets = response.question[0].name, []
        seen = {current}
        looped = False
        while len(targets) <= MAX_CHAIN * 2:
            try:
                rrset = response.find_rrset(
                    response.answer, current, dns.rdataclass.IN, dns.rdatatype.CNAME
                )
            except KeyError:
                break
            current = rrset[0].target
            targets.append(current.to_text().lower())
            if current in seen:
                looped = True
                break
            seen.add(current)
        if too_long or looped:
            return targets
    return None


def _nx_canonical(exc: dns.resolver.NXDOMAIN, name: str) -> str:
    try:
        return exc.canonical_name.to_text().lower()
    except Exception:  # noqa: BLE001 - dnspython raises if it cannot tell
        return name


def _nx_cnames(exc: dns.resolver.NXDOMAIN) -> list[str]:
    responses = exc.kwargs.get("responses") or {}
    for response in responses.values():
        try:
            return [c[0].target.to_text().lower() for c in response.resolve_chaining().cnames]
        except Exception:  # noqa: BLE001
            return []
    return []
