"""check_host() (RFC 7208 section 4) over known answers: the one source of every SPF verdict.

Evaluation is pyspf 2.0.14 (strict RFC 7208 processing limits), whose DNS is answered from a
read-only mapping of lookups (:class:`~macros.resolve.Answers`), never from the network. A lookup
the mapping does not hold yet stops the evaluation and is listed in :attr:`Evaluation.missing`; the
engine resolves all such lookups of all domains in one concurrent wave and evaluates again
(:func:`settle`). So DNS time grows with the depth of the records, not with the number of domains,
and what is asked is exactly what evaluation touches, within RFC 7208's limits (section 4.6.4: 10
DNS-querying terms, 2 void lookups, 10 MX or PTR names per term).

Nothing here raises on bad DNS data: a broken record is a result (``permerror``).
"""

from __future__ import annotations

import contextvars
import enum
import importlib
import ipaddress
import sys
import threading
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable

from ..records import InvalidName, normalize_name
from ..resolve import FOUND, NODATA, NXDOMAIN
from .record import MAX_DNS_TERMS, MAX_VOID_LOOKUPS, SpfResult, parse
from .tree import analyze, policy_records

if TYPE_CHECKING:  # pragma: no cover
    from ..resolve import Answers

Key = tuple[str, str]

#: Evaluation rounds before giving up (each round resolves one wave). RFC 7208 bounds an
#: evaluation to 10 DNS-querying terms, each needing at most 1 + 10 sequential lookups (mx: MX,
#: then the hosts' addresses) or a CNAME chain; 40 covers every chain the limits allow.
MAX_ROUNDS = 40


class Limit(enum.StrEnum):
    """Which RFC 7208 section 4.6.4 limit an evaluation broke (read from its counters, never
    from the library's message text)."""

    NONE = ""
    DNS_TERMS = "dns-terms"
    VOID_LOOKUPS = "void-lookups"


@dataclass(frozen=True)
class Evaluation:
    """One check_host() run: the result, why, and what it cost.

    ``dns_terms`` and ``void_lookups`` are the RFC 7208 section 4.6.4 counts evaluation met;
    ``limit`` the limit it broke and ``broke`` the term that broke it, as written in its record
    (with the record's domain when that is an included one, and for a void lookup the lookup); ``loop`` the include/redirect path that came
    back to a policy already being evaluated (or ()); ``missing`` the lookups it needed that were
    not answered yet (then the evaluation is incomplete and its result means nothing).
    """

    ip: str
    sender: str
    result: SpfResult
    explanation: str
    dns_terms: int = 0
    void_lookups: int = 0
    broke: str = ""
    loop: tuple[str, ...] = ()
    missing: tuple[Key, ...] = ()
    limit: Limit = Limit.NONE

    @property
    def complete(self) -> bool:
        return not self.missing

    def describe(self) -> str:
        """One line: ``192.0.2.1: fail``, with the reason for errors."""
        if self.result in (SpfResult.PERMERROR, SpfResult.TEMPERROR):
            return f"{self.ip}: {self.result} ({self.explanation})"
        return f"{self.ip}: {self.result}"


class _Missing(Exception):
    """Raised through pyspf when an answer is not known yet; never escapes this module."""


@dataclass
class _State:
    answers: "Answers"
    missing: list[Key] = field(default_factory=list)
    last_void: str = ""
    #: the term (and the domain of its record) that made the last void lookup
    void_term: str = ""
    #: included policies already evaluated for an address (see ``Query.check1``), shared by the
    #: evaluations of one :func:`settle`
    included: dict | None = None
    #: records with macros met so far (a result that read one is never reused)
    macros: int = 0


_state_var: contextvars.ContextVar = contextvars.ContextVar("macros_spf_state", default=None)
_install_lock = threading.Lock()
_pyspf = None
_original_lookup = None
_Query = None


def _load_pyspf():
    """Import pyspf (module ``spf``) and route its DNS through :func:`_dns_lookup`, once.

    The adapter answers from the mapping set by :func:`evaluate` in the current context and falls
    back to pyspf's own lookup otherwise, so other users of pyspf see no change.
    """
    global _pyspf, _original_lookup, _Query
    with _install_lock:
        if _pyspf is None:
            module = importlib.import_module("spf")
            if not hasattr(module, "query") or not hasattr(module, "TempError"):
                raise ImportError(f"'spf' resolved to {module.__file__}, not pyspf")
            _original_lookup = module.DNSLookup
            module.DNSLookup = _dns_lookup
            _Query = _make_query_class(module)
            _pyspf = module
    return _pyspf


def _make_query_class(module):
    class Query(module.query):
        """pyspf's query, noting what a report needs: the include/redirect stack (to name a
        loop) and the term being counted when a limit breaks."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.stack: list[str] = []
            self.loop_path: tuple[str, ...] = ()
            self.term = ""

        def check1(self, spf, domain, recursion):
            name = str(domain).lower().rstrip(".")
            if name in self.stack and not self.loop_path:
                self.loop_path = tuple(self.stack[self.stack.index(name):] + [name])
            state: _State | None = _state_var.get()
            has_macros = bool(spf) and "%" in spf
            if has_macros and state is not None:
                state.macros += 1
            # An included policy (recursion > 0) evaluated for the same address gives the same
            # result for every domain that includes it, when no record it reached has macros
            # (they could read the sender or the domain): reuse it, adding the lookups and void
            # lookups it cost to this evaluation's counts, so RFC 7208's limits break exactly
            # where they would (counts only grow). Results that broke a limit or missed an answer
            # are never kept. The differential test checks this against pyspf alone.
            cache = (state.included if state is not None and recursion > 0 and spf and not has_macros
                     else None)
            key = (self.i, name, spf)
            if cache is not None and key in cache:
                result, lookups, voids = cache[key]
                self.lookups += lookups
                if self.lookups > module.MAX_LOOKUP:
                    self.term = f"include:{name}"
                    raise module.PermError("Too many DNS lookups")
                self.void_lookups += voids
                if self.void_lookups > module.MAX_VOID_LOOKUPS:
                    if state is not None:
                        state.void_term, state.last_void = f"include:{name}", "its void lookups"
                    raise module.PermError("Void lookup limit of %d exceeded" % module.MAX_VOID_LOOKUPS)
                return result
            before = (self.lookups, self.void_lookups, state.macros if state is not None else 0)
            self.stack.append(name)
            try:
                result = super().check1(spf, domain, recursion)
            finally:
                self.stack.pop()
            if cache is not None and state.macros == before[2] and not self.loop_path:
                cache[key] = (result, self.lookups - before[0], self.void_lookups - before[1])
            return result

        def dns_ptr(self, i):
            # RFC 7208 section 5.5: "If a DNS error occurs while doing the PTR RR lookup, then
            # this mechanism fails to match" (pyspf raises temperror instead).
            try:
                return super().dns_ptr(i)
            except module.TempError:
                return []

        def validated_ptrs(self):
            # RFC 7208 section 5.5: "If a DNS error occurs while doing an A RR lookup, then that
            # domain name is skipped and the search continues"; at most 10 names (4.6.4). The
            # rest is pyspf's own (strict mode): the names whose addresses include the sender's.
            out = []
            for name in self.dns_ptr(self.i)[:module.MAX_PTR]:
                try:
                    addresses = self.dns_a(name, self.A)
                except module.TempError:
                    continue
                if self.cidrmatch(addresses, self.cidrmax):
                    out.append(name)
            return out

        def cidrmatch(self, ipaddrs, n):
            # pyspf's own matching, with each network parsed once per process instead of once
            # per term per evaluation (most of an evaluation's time); the collecting mode that
            # fills ``iplist`` stays pyspf's.
            if not isinstance(self.iplist, bool):
                return super().cidrmatch(ipaddrs, n)
            try:
                return any(self.ipaddr in _supernet(str(ip), n) for ip in ipaddrs)
            except ValueError as exc:
                raise module.PermError(str(exc)) from None

        def check_lookups(self):
            # The caller is pyspf's check0, whose loop variable ``mech`` is the term as written.
            caller = sys._getframe(1).f_locals
            self.term = str(caller.get("mech") or "")
            return super().check_lookups()

    return Query


@lru_cache(maxsize=65536)
def _supernet(ip: str, prefix: int):
    """``ipaddress.ip_network(ip).supernet(new_prefix=prefix)``, as pyspf's cidrmatch computes it."""
    return ipaddress.ip_network(ip).supernet(new_prefix=prefix)


def _dns_lookup(name, qtype, strict=True, timeout=None):
    """pyspf's ``DNSLookup(name, qtype, strict, timeout)``: ``[((name, type), value), ...]``.

    TXT/SPF values are tuples of byte strings (one record each), MX ``(preference, host)``,
    A/AAAA address text, PTR host names without the final dot. NXDOMAIN and NODATA are ``[]``,
    and so is a CNAME loop, as pyspf treats loops it follows itself (RFC 1034 section 3.6.2
    calls a loop an error; RFC 7208 section 5.5 skips a name whose address lookup fails), and so
    is a name that cannot exist in DNS (RFC 7208 section 4.3: a malformed domain is no record).
    A timeout, SERVFAIL or any other failure raises ``spf.TempError`` (RFC 7208 section 5:
    temperror). An answer not known yet raises :class:`_Missing`.
    """
    state: _State | None = _state_var.get()
    if state is None:
        return _original_lookup(name, qtype, strict, timeout)
    qtype = str(qtype).upper()
    try:
        key = (normalize_name(str(name)), qtype)
    except InvalidName:
        return []
    found = state.answers.get(*key)
    if found is None:
        if key not in state.missing:
            state.missing.append(key)
        raise _Missing(key)
    if found.status in (NXDOMAIN, NODATA) or found.cname_loop:
        state.last_void = f"{qtype} {str(name).rstrip('.')}"
        state.void_term = _current_term(name)
        return []
    if found.status != FOUND:
        raise _pyspf.TempError(f"DNS {qtype} {name}: {found.describe()}")
    result_key = (name, qtype)
    if qtype in ("TXT", "SPF"):
        return [(result_key, (raw,)) for raw in found.raw]
    if qtype == "MX":
        out = []
        for value in found.values:
            pref, _, host = value.partition(" ")
            out.append((result_key, (int(pref), host.rstrip("."))))
        return out
    if qtype == "PTR":
        return [(result_key, value.rstrip(".")) for value in found.values]
    return [(result_key, value) for value in found.values]


def _current_term(name) -> str:
    """The term pyspf is evaluating (its ``check0`` loop variable ``mech``, as written in the
    record), with the record's domain; ``redirect=`` when the name is the redirect target."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_name != "check0":
        frame = frame.f_back
    if frame is None:
        return ""
    local = frame.f_locals
    target = str(name).rstrip(".").lower()
    redirect = str(local.get("redirect") or "").rstrip(".").lower()
    term = f"redirect={redirect}" if redirect and redirect == target else str(local.get("mech") or "")
    query = local.get("self")
    domain = str(getattr(query, "d", "") or "").rstrip(".")
    return f"{term} in {domain}'s record" if term and domain else term


def malformed(domain: str) -> str:
    """Why ``domain`` is malformed in the sense of RFC 7208 section 4.3 (check_host() then
    returns "none" without asking DNS), or "" when it is a usable domain."""
    name = str(domain or "").rstrip(".")
    labels = name.split(".")
    if not name or len(labels) < 2:
        return "not a multi-label domain name"
    if any(not label for label in labels):
        return "an empty label"
    try:
        ascii_name = normalize_name(name).rstrip(".")
    except InvalidName as exc:
        return str(exc)
    if any(len(label) > 63 for label in ascii_name.split(".")):
        return "a label longer than 63 octets"
    return ""


def evaluate(ip: str, sender: str, helo: str, answers: "Answers", included: dict | None = None
             ) -> Evaluation:
    """RFC 7208 section 4: check_host(ip, domain of ``sender``, sender), with ``helo`` used
    when the sender is empty (section 2.3: postmaster@<helo>) and for the %{h} macro, every DNS
    answer read from ``answers``.

    Raises ``ValueError`` for an ``ip`` that is no IP address; otherwise never raises.
    """
    address = str(ipaddress.ip_address(str(ip).strip()))
    domain = sender.rpartition("@")[2] if sender else helo
    why = malformed(domain)
    if why:
        return Evaluation(address, sender or f"postmaster@{helo}", SpfResult.NONE,
                          f"{domain!r} is malformed ({why}): RFC 7208 section 4.3 gives none")
    _load_pyspf()
    state = _State(answers, included=included)
    token = _state_var.set(state)
    query = None
    try:
        query = _Query(i=address, s=sender or "", h=helo or "", strict=True, querytime=20)
        result, _code, explanation = query.check()
    except _Missing:
        result, explanation = SpfResult.TEMPERROR, "incomplete: answers still missing"
    except Exception as exc:  # noqa: BLE001 - a library failure is no verdict on the policy
        result, explanation = SpfResult.TEMPERROR, f"SPF evaluation failed: {type(exc).__name__}: {exc}"
    finally:
        _state_var.reset(token)
    if result not in SpfResult.__members__.values():
        result = {"error": "temperror", "unknown": "permerror"}.get(result, "permerror")
    result = SpfResult(result)
    explanation = str(explanation or "")
    broke, limit = "", Limit.NONE
    lookups = getattr(query, "lookups", 0) or 0
    voids = getattr(query, "void_lookups", 0) or 0
    if result == SpfResult.PERMERROR:
        # pyspf counts before it checks, so a broken limit shows in the counters
        if lookups > MAX_DNS_TERMS:
            broke, limit = getattr(query, "term", ""), Limit.DNS_TERMS
        elif voids > MAX_VOID_LOOKUPS:
            limit = Limit.VOID_LOOKUPS
            term = state.void_term.removesuffix(f" in {domain.rstrip('.')}'s record")
            broke = f"{term} ({state.last_void})" if term else state.last_void
    return Evaluation(
        ip=address, sender=sender or f"postmaster@{helo}", result=result, explanation=explanation,
        dns_terms=min(lookups, MAX_DNS_TERMS + 1), void_lookups=min(voids, MAX_VOID_LOOKUPS + 1),
        broke=broke, loop=getattr(query, "loop_path", ()) or (),
        missing=tuple(state.missing), limit=limit)


@dataclass(frozen=True)
class Request:
    """One evaluation a check needs: (ip, sender, helo)."""

    ip: str
    sender: str
    helo: str


_NOT_KNOWN = object()


def _shared_record(domain: str, answers: "Answers"):
    """The domain's one SPF record when its evaluation cannot depend on which domain publishes
    it (no macros, no ``exp=``, no ``a``/``mx``/``ptr`` without a domain-spec: those read the
    domain itself, RFC 7208 sections 5.3-5.5, 7, 6.2); None otherwise; ``_NOT_KNOWN`` while
    its TXT lookup has not been made."""
    try:
        found = answers.get(normalize_name(domain), "TXT")
    except InvalidName:
        return None
    if found is None:
        return _NOT_KNOWN
    if found.status != FOUND:
        return None
    records = policy_records(found)
    if len(records) != 1 or "%" in records[0][0] or not records[0][1]:
        return None
    record = parse(records[0][0])
    if record.errors or any(t.name == "exp" or (t.name in ("a", "mx", "ptr") and t.domain is None)
                            for t in record.terms):
        return None
    return record.text


def settle(requests: Iterable[Request], answers: "Answers", resolve, rounds: int = MAX_ROUNDS
           ) -> dict[Request, Evaluation]:
    """Evaluate every request, resolving what they miss in waves: each round evaluates the
    requests still incomplete, then ``resolve(keys)`` asks every missing lookup of every request
    at once. A request still incomplete after ``rounds`` is ``temperror``.

    ``resolve`` is the resolver's ``lookup_many`` (or None: evaluate once, e.g. offline).
    """
    pending = list(dict.fromkeys(requests))
    done: dict[Request, Evaluation] = {}
    incomplete: dict[Request, Evaluation] = {}
    included: dict = {}  # included policies already evaluated, per address (Query.check1)
    roots: dict[str, None] = {}  # TXT names evaluations asked whose trees are not complete yet
    # Domains publishing the same record that reads nothing of the domain itself get the same
    # result for the same address (only the sender differs): evaluate it once per run. A result
    # that is incomplete, went round a loop (its path names the domain) or names the domain is
    # never shared. The differential test's twin domains check this against pyspf alone.
    shared: dict[tuple[str, str], Evaluation] = {}
    records: dict[str, object] = {}
    rounds = max(1, rounds)
    for round_ in range(rounds + 1):  # every resolve is followed by one more evaluation
        incomplete = {}
        for req in pending:
            domain = (req.sender.rpartition("@")[2] if req.sender else req.helo).lower().rstrip(".")
            if records.get(domain, _NOT_KNOWN) is _NOT_KNOWN:
                records[domain] = _shared_record(domain, answers)
            text = records[domain]
            key = (req.ip, text) if isinstance(text, str) else None
            if key is not None and key in shared:
                done[req] = replace(shared[key], sender=req.sender or f"postmaster@{req.helo}")
                continue
            ev = evaluate(req.ip, req.sender, req.helo, answers, included)
            if ev.complete:
                done[req] = ev
                if key is not None and not ev.loop and domain not in ev.explanation.lower() \
                        and domain not in ev.broke.lower():
                    shared[key] = ev
            else:
                incomplete[req] = ev
        pending = list(incomplete)
        if not pending or resolve is None or round_ == rounds:
            break
        missing = [k for ev in incomplete.values() for k in ev.missing]
        # Look ahead: a policy evaluation reached that the engine's tree walk could not (behind
        # a macro) is walked like the tree, so its includes and address names come in this
        # same wave: DNS waves grow with the depth of the policies, not with their width. Each
        # walk starts again from the policy evaluation asked for, so it stops where one
        # evaluation from there would (RFC 7208 section 4.6.4: 10 DNS-querying terms, the void
        # limit), however widely the zone fans out below it; a walk from every name the last
        # wave fetched would grow by the zone's fan-out with every wave.
        roots.update((name, None) for name, rdtype in missing if rdtype == "TXT")
        for name in list(roots):
            ahead = analyze(name, answers).pending
            if ahead:
                missing += ahead
            elif answers.get(name, "TXT") is not None:
                del roots[name]  # its tree is complete: answers only grow
        missing = list(dict.fromkeys(missing))
        resolve(missing)
    for req, ev in incomplete.items():
        done[req] = Evaluation(
            req.ip, req.sender, SpfResult.TEMPERROR,
            "lookups still missing after every round: " + ", ".join(f"{t} {n}" for n, t in ev.missing[:3]),
            missing=ev.missing)
    return done


def check_host(ip: str, sender: str, helo: str, resolver) -> Evaluation:
    """check_host() for one address with a live resolver (the CLI): evaluation and lookups in
    rounds until the answer is complete (see :func:`settle`)."""
    req = Request(str(ipaddress.ip_address(str(ip).strip())), sender or "", helo or "")
    resolve = getattr(resolver, "lookup_many", None)
    return settle([req], resolver.answers, resolve)[req]

