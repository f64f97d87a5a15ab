"""SPF (RFC 7208): pure parsing, the include/redirect tree, and check_host().

- :func:`parse` tokenizes a record into qualifier + mechanism + argument, or modifier name + value
  (RFC 7208 section 4.6.1 and the ABNF of section 12), and lists every syntax error;
- :func:`analyze` walks the include/redirect tree of a domain through an injected lookup function
  and counts DNS-querying terms and void lookups (section 4.6.4);
- :func:`check_host` evaluates an IP against a sender (section 4) with pyspf, whose DNS goes
  through the engine's :class:`~macros.resolve.Resolver`, so every query is typed, cached and
  asked of the configured nameservers.

Nothing here raises on bad DNS data: a broken record is data (``errors``, ``permerror``).
"""

from __future__ import annotations

import contextvars
import importlib
import ipaddress
import re
import threading
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Iterable

from .records import InvalidName, normalize_name, txt_text

if TYPE_CHECKING:  # pragma: no cover
    from .resolve import Lookup, Resolver

VERSION = "v=spf1"
MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
QUALIFIERS = ("+", "-", "~", "?")
#: Terms that cause DNS queries (RFC 7208 section 4.6.4): these mechanisms, and redirect.
DNS_MECHANISMS = ("include", "a", "mx", "ptr", "exists")
DNS_TERMS = DNS_MECHANISMS + ("redirect",)
MAX_DNS_TERMS = 10
MAX_VOID_LOOKUPS = 2
MAX_MX = 10
#: The tree walk stops descending after this many DNS-querying terms (4x the limit, as pyspf).
WALK_LIMIT = 4 * MAX_DNS_TERMS
RESULTS = ("pass", "fail", "softfail", "neutral", "none", "permerror", "temperror")

# RFC 7208 section 7.1: macro-expand, macro-literal; section 12: toplabel, name, ip4-network.
_MACRO = r"%\{[slodiphcrtv][0-9]*r?[.\-+,/_=]*\}|%%|%_|%-"
_MACRO_RE = re.compile(_MACRO, re.IGNORECASE)
_TOKEN_RE = re.compile(rf"(?P<macro>{_MACRO})|(?P<literal>[\x21-\x24\x26-\x7e])|(?P<bad>.)",
                       re.IGNORECASE | re.DOTALL)
_DOMAIN_END_RE = re.compile(
    r"\.(?:[0-9a-z]*[a-z][0-9a-z]*|[0-9a-z]+-[0-9a-z\-]*[0-9a-z])\.?\Z", re.IGNORECASE
)
_NAME_RE = re.compile(r"[a-z][a-z0-9_.\-]*", re.IGNORECASE)
_QNUM = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_IP4_RE = re.compile(rf"{_QNUM}(?:\.{_QNUM}){{3}}\Z")
_CIDR_RE = re.compile(r"(?:/(?P<v4>[0-9]+))?(?://(?P<v6>[0-9]+))?\Z")
_PREFIX_RE = re.compile(r"(?:0|[1-9][0-9]*)\Z")


def is_spf(text: str | bytes) -> bool:
    """RFC 7208 section 4.5: the record starts with exactly ``v=spf1`` followed by a space or
    the end of the record (case-insensitive, as ABNF literals are)."""
    if isinstance(text, (bytes, bytearray)):
        text = txt_text(bytes(text))
    head = text[:len(VERSION)]
    return head.lower() == VERSION and (len(text) == len(VERSION) or text[len(VERSION)] == " ")


def select(txt_values: Iterable[str | bytes]) -> list[str]:
    """The SPF records among a name's TXT values (RFC 7208 section 4.5), in the given order."""
    out = []
    for value in txt_values:
        text = txt_text(bytes(value)) if isinstance(value, (bytes, bytearray)) else value
        if is_spf(text):
            out.append(text)
    return out


@dataclass(frozen=True)
class Term:
    """One term of a record (RFC 7208 section 4.6.1): a directive or a modifier.

    ``qualifier`` is the explicit or implied (``+``, section 4.6.2) qualifier of a mechanism and
    ``""`` for a modifier; ``value`` the argument as written (after ``:``, ``=`` or the cidr);
    ``domain`` the target when written without macros, lowercase without trailing dot.
    """

    text: str
    kind: str
    qualifier: str
    name: str
    value: str | None
    domain: str | None

    @property
    def queries_dns(self) -> bool:
        """True for the terms RFC 7208 section 4.6.4 counts: include, a, mx, ptr, exists and
        the redirect modifier (an unknown modifier named ``a=`` is no DNS term)."""
        if self.kind == "modifier":
            return self.name == "redirect"
        return self.name in DNS_MECHANISMS


@dataclass(frozen=True)
class Record:
    """A parsed record: its terms and every syntax error (any error makes it permerror)."""

    text: str
    terms: tuple[Term, ...]
    errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.errors

    def mechanisms(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.kind == "mechanism")

    def modifier(self, name: str) -> Term | None:
        """The first modifier of that name (redirect, exp, ...)."""
        return next((t for t in self.terms if t.kind == "modifier" and t.name == name), None)

    @property
    def all(self) -> Term | None:
        """The ``all`` mechanism, if any (the first: evaluation stops there)."""
        return next((t for t in self.terms if t.kind == "mechanism" and t.name == "all"), None)

    @property
    def redirect(self) -> Term | None:
        """The redirect modifier that applies: none when the record has ``all`` (section 6.1)."""
        return None if self.all is not None else self.modifier("redirect")

    @property
    def evaluated(self) -> tuple[Term, ...]:
        """The terms check_host() can reach: everything before the first ``all`` (section 5.1:
        mechanisms after "all" will never be tested), and the redirect that applies."""
        reached = []
        for t in self.terms:
            if t.kind == "mechanism" and t.name == "all":
                break
            if t.kind == "mechanism":
                reached.append(t)
        if self.redirect is not None:
            reached.append(self.redirect)
        return tuple(reached)

    @property
    def dns_terms(self) -> int:
        """Terms that cause DNS queries when evaluated (section 4.6.4): none after ``all``, and an
        ignored redirect does not count."""
        return sum(1 for t in self.evaluated if t.queries_dns)


def _macro_string_errors(text: str, where: str) -> list[str]:
    """``macro-string`` (RFC 7208 section 7.1): macro-expands and visible ASCII but '%'."""
    for match in _TOKEN_RE.finditer(text):
        char = match.group("bad")
        if char == "%":
            return [f"{where}: '%' starts no valid macro (write %% for a percent sign)"]
        if char is not None:
            return [f"{where}: {char!r} is not allowed"]
    return []


def _domain_spec_errors(spec: str, where: str) -> list[str]:
    """RFC 7208 sections 7.1 and 12: ``domain-spec = macro-string domain-end``.

    The macro letters c, r and t are allowed only in explanation text (section 7.3); a DIGIT
    transformer must not be zero.
    """
    if not spec:
        return [f"{where}: the domain is empty"]
    errors = _macro_string_errors(spec, where)
    if errors:
        return errors
    last_macro_end = 0
    for match in _MACRO_RE.finditer(spec):
        macro = match.group()
        last_macro_end = match.end()
        if macro.startswith("%{"):
            letter = macro[2].lower()
            if letter in "crt":
                errors.append(f"{where}: macro %{{{letter}}} is allowed only in exp text "
                              "(RFC 7208 section 7.3)")
            digits = re.match(r"[0-9]*", macro[3:]).group()
            if digits and int(digits) == 0:
                errors.append(f"{where}: macro {macro} keeps zero labels (RFC 7208 section 7.3)")
    tail = spec[last_macro_end:]
    if last_macro_end != len(spec) and not _DOMAIN_END_RE.search(tail):
        errors.append(f"{where}: {spec!r} does not end in a valid top label or macro "
                      "(RFC 7208 section 7.1)")
    return errors


def _prefix_error(digits: str | None, limit: int, family: str, where: str) -> list[str]:
    if digits is None:
        return []
    if not _PREFIX_RE.match(digits) or int(digits) > limit:
        return [f"{where}: {family} prefix length /{digits} is not 0 to {limit} "
                "(RFC 7208 section 5.6)"]
    return []


def _target(spec: str) -> str | None:
    """The domain of a domain-spec without macros, lowercase and without trailing dot."""
    if "%" in spec or not spec:
        return None
    return spec.rstrip(".").lower() or None


def _parse_mechanism(text: str, qualifier: str, name: str, rest: str) -> tuple[Term, list[str]]:
    where = repr(text)
    errors: list[str] = []
    value = rest[1:] if rest.startswith(":") else (rest or None)
    domain = None
    if name not in MECHANISMS:
        errors.append(f"{where}: unknown mechanism {name!r} (RFC 7208 section 5)")
    elif rest and rest[0] not in ":/":
        errors.append(f"{where}: unknown mechanism {name + rest.split(':')[0]!r} "
                      "(RFC 7208 section 5)")
    elif name == "all":
        if rest:
            errors.append(f"{where}: 'all' takes no argument (RFC 7208 section 5.1)")
    elif name in ("include", "exists", "ptr"):
        if rest.startswith("/"):
            errors.append(f"{where}: {name} takes no prefix length (RFC 7208 section 5)")
        elif not rest and name != "ptr":
            errors.append(f"{where}: {name} needs a domain (RFC 7208 section 5)")
        elif rest:
            errors += _domain_spec_errors(rest[1:], where)
            domain = _target(rest[1:])
    elif name in ("a", "mx"):
        cidr = _CIDR_RE.search(rest)
        head = rest[:cidr.start()]
        errors += _prefix_error(cidr.group("v4"), 32, "IPv4", where)
        errors += _prefix_error(cidr.group("v6"), 128, "IPv6", where)
        if head:
            if not head.startswith(":"):
                errors.append(f"{where}: expected ':domain' or a prefix length after {name!r}")
            else:
                errors += _domain_spec_errors(head[1:], where)
                domain = _target(head[1:])
                if domain and _IP4_RE.match(domain):
                    errors.append(f"{where}: an address needs ip4:, not {name}: "
                                  "(RFC 7208 section 5.3)")
    elif name in ("ip4", "ip6"):
        if not rest.startswith(":"):
            errors.append(f"{where}: {name} needs an address (RFC 7208 section 5.6)")
        else:
            address, _, prefix = rest[1:].partition("/")
            if prefix.startswith("/"):
                errors.append(f"{where}: {name} takes one prefix length, not two "
                              "(RFC 7208 section 5.6)")
                prefix = prefix.lstrip("/")
            if name == "ip4":
                if not _IP4_RE.match(address):
                    errors.append(f"{where}: {address!r} is not an IPv4 address")
                errors += _prefix_error(prefix if "/" in rest else None, 32, "IPv4", where)
            else:
                if not _is_ip6(address):
                    errors.append(f"{where}: {address!r} is not an IPv6 address")
                errors += _prefix_error(prefix if "/" in rest else None, 128, "IPv6", where)
    return Term(text, "mechanism", qualifier or "+", name, value, domain), errors


def _is_ip6(text: str) -> bool:
    if not text or "%" in text or not re.fullmatch(r"[0-9a-fA-F:.]+", text):
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _parse_term(text: str) -> tuple[Term, list[str]]:
    qualifier = text[0] if text[0] in QUALIFIERS else ""
    body = text[len(qualifier):]
    match = _NAME_RE.match(body)
    if not match:
        term = Term(text, "mechanism", qualifier or "+", "", None, None)
        return term, [f"{text!r}: not a mechanism or modifier (RFC 7208 section 4.6.1)"]
    raw_name, rest = match.group(), body[match.end():]
    name = raw_name.lower()
    if rest.startswith("="):
        value = rest[1:]
        where = repr(text)
        errors = []
        if qualifier:
            errors.append(f"{where}: a modifier takes no qualifier (RFC 7208 section 4.6.1)")
        if name in ("redirect", "exp"):
            errors += _domain_spec_errors(value, where)
            return Term(text, "modifier", "", name, value, _target(value)), errors
        errors += _macro_string_errors(value, where)
        return Term(text, "modifier", "", name, value, None), errors
    return _parse_mechanism(text, qualifier, name, rest)


@lru_cache(maxsize=16384)  # pure: the same include records are parsed for every domain
def parse(text: str) -> Record:
    """Tokenize one SPF record (RFC 7208 sections 4.6.1 and 12) and list its syntax errors.

    Terms are separated by one or more spaces (only SP); a record must be 7-bit ASCII (section
    3.1: records in the "ASCII" subset); ``redirect`` and ``exp`` may appear once each (section
    6). Never raises.
    """
    text = txt_text(bytes(text)) if isinstance(text, (bytes, bytearray)) else str(text)
    if not is_spf(text):
        return Record(text, (), (f"not an SPF record: it does not start with {VERSION!r} "
                                 "and a space (RFC 7208 section 4.5)",))
    errors: list[str] = []
    if not text.isascii():
        errors.append("the record contains non-ASCII characters (RFC 7208 section 3.1)")
    terms = []
    for chunk in text[len(VERSION):].split(" "):
        if not chunk:
            continue
        term, term_errors = _parse_term(chunk)
        terms.append(term)
        errors += term_errors
    for name in ("redirect", "exp"):
        if sum(1 for t in terms if t.kind == "modifier" and t.name == name) > 1:
            errors.append(f"{name}= appears more than once (RFC 7208 section 6)")
    return Record(text, tuple(terms), tuple(errors))


def _bare(domain: str) -> str:
    """Lowercase A-labels without trailing dot; the text itself when it is no valid name."""
    try:
        return normalize_name(domain).rstrip(".")
    except InvalidName:
        return (domain or "").rstrip(".").lower()


def needed_lookups(domain: str, record_text: str) -> list[tuple[str, str]]:
    """The (name, type) lookups a tree walk of this record asks next (RFC 7208 section 4.6.4).

    include and redirect targets: TXT; ``a``: A; ``mx``: MX (the MX hosts' addresses depend on
    the answer); ``a`` and ``mx`` without a domain target ``domain`` itself. Terms with macros,
    ``ptr`` and ``exists`` (which depend on the connecting IP or sender) are skipped, as is a
    record with syntax errors (permerror: nothing further is evaluated).
    """
    record = parse(record_text)
    if record.errors:
        return []
    own = _bare(domain)
    out: list[tuple[str, str]] = []
    for term in record.terms:
        target = term.domain
        if not term.queries_dns:
            continue
        if term.name == "include" or (term.name == "redirect" and term is record.redirect):
            wanted = [(target, "TXT")] if target else []
        elif term.name in ("a", "mx"):
            if target is None and term.value and not term.value.startswith("/"):
                continue  # a macro
            target = target or own
            wanted = [(target, "A" if term.name == "a" else "MX")]
        else:
            continue
        for key in wanted:
            if key not in out:
                out.append(key)
    return out


@dataclass(frozen=True)
class Node:
    """One policy in the tree: the root domain, or an include/redirect target."""

    domain: str
    via: str
    record: str | None
    status: str
    reason: str
    dns_terms: int
    children: tuple["Node", ...]
    #: how the parent uses this policy: the include's qualifier ("+", "-", "~", "?"); "" for
    #: the root and a redirect (whose result is the policy's own)
    qualifier: str = ""


@dataclass(frozen=True)
class Tree:
    """A domain's whole SPF policy tree with the RFC 7208 section 4.6.4 counts."""

    root: Node
    dns_terms: int
    void_lookups: int
    loop: bool
    errors: tuple[str, ...]
    all_qualifier: str | None
    includes: tuple[str, ...]
    unknown: bool
    reason: str

    @property
    def over_limit(self) -> bool:
        return self.dns_terms > MAX_DNS_TERMS or self.void_lookups > MAX_VOID_LOOKUPS

    def nodes(self) -> list[Node]:
        """Every node, depth first."""
        out, todo = [], [self.root]
        while todo:
            node = todo.pop()
            out.append(node)
            todo.extend(reversed(node.children))
        return out


def _is_void(lookup: "Lookup") -> bool:
    """RFC 7208 section 4.6.4: an answer with no records, or NXDOMAIN."""
    return lookup.status in ("nxdomain", "nodata")


def _policy_records(lookup: "Lookup") -> list[tuple[str, bool]]:
    """(text, ascii) of each SPF record in a TXT answer, read from the raw bytes when known."""
    if lookup.raw:
        return [(txt_text(raw), raw.isascii()) for raw in lookup.raw if is_spf(raw)]
    return [(text, text.isascii()) for text in select(lookup.values)]


class _Walk:
    """State of one :func:`analyze` run."""

    def __init__(self, lookup: Callable[[str, str], "Lookup"]):
        self.lookup = lookup
        self.dns_terms = 0
        self.void = 0
        self.loop = False
        self.unknown = False
        self.errors: list[str] = []
        self.includes: list[str] = []
        self.stopped = False
        self.failure = ""

    def ask(self, name: str, rdtype: str) -> "Lookup | None":
        try:
            result = self.lookup(name, rdtype)
        except Exception as exc:  # noqa: BLE001 - an injected lookup must not break the walk
            self.unknown = True
            self.failure = f"{name} {rdtype}: lookup failed ({type(exc).__name__}: {exc})"
            return None
        if not result.definite:
            self.unknown = True
        return result

    def node(self, domain: str, via: str, stack: tuple[str, ...]) -> Node:
        if via != "root" and domain not in self.includes:
            self.includes.append(domain)
        if domain in stack:
            self.loop = True
            path = " -> ".join(stack + (domain,))
            self.errors.append(f"include loop: {path} (RFC 7208 section 4.6.4)")
            return Node(domain, via, None, "loop", f"loop: {path}", 0, ())
        found = self.ask(domain, "TXT")
        if found is None or not found.definite:
            why = found.describe() if found is not None else "the lookup failed"
            return Node(domain, via, None, "temperror", f"TXT lookup: {why}", 0, ())
        if _is_void(found):
            if via != "root":
                self.void += 1
            return self._no_policy(domain, via, found.describe())
        records = _policy_records(found)
        if not records:
            return self._no_policy(domain, via, f"no v=spf1 record among {len(found.values)} TXT")
        if len(records) > 1:
            reason = f"{len(records)} v=spf1 records (RFC 7208 section 4.5: permerror)"
            self.errors.append(f"{domain}: {reason}")
            return Node(domain, via, records[0][0], "multiple", reason, 0, ())
        text, is_ascii = records[0]
        record = parse(text)
        errors = list(record.errors)
        if not is_ascii and not any("non-ASCII" in e for e in errors):
            errors.insert(0, "the record contains non-ASCII bytes (RFC 7208 section 3.1)")
        if errors:
            self.errors.extend(f"{domain}: {e}" for e in errors)
            return Node(domain, via, text, "permerror", errors[0], record.dns_terms, ())
        self.dns_terms += record.dns_terms
        children = []
        notes = []
        skipped = [t for t in record.terms if t.queries_dns and t.kind == "mechanism"
                   and t not in record.evaluated]
        if skipped:
            notes.append(f"{len(skipped)} term(s) after 'all' never evaluated (RFC 7208 section 5.1)")
        if record.all is not None and record.modifier("redirect") is not None:
            notes.append("redirect ignored: the record has 'all' (RFC 7208 section 6.1)")
        for term in record.evaluated:
            if not term.queries_dns:
                continue
            if self.dns_terms > WALK_LIMIT:
                if not self.stopped:
                    self.stopped = True
                    notes.append(f"walk stopped after {WALK_LIMIT} DNS-querying terms")
                break
            if term.name in ("include", "redirect"):
                if term.domain is None:
                    notes.append(f"{term.text}: depends on macros, not followed")
                    continue
                kind = "include" if term.name == "include" else "redirect"
                child = self.node(term.domain, kind, stack + (domain,))
                if kind == "include":
                    child = replace(child, qualifier=term.qualifier or "+")
                children.append(child)
                if child.status == "none":
                    self._target_without_policy(domain, term, child)
            elif term.name in ("a", "mx", "exists"):
                self._address_term(domain, term)
        status_reason = f"{record.dns_terms} DNS-querying term(s)"
        if notes:
            status_reason += "; " + "; ".join(notes)
        return Node(domain, via, text, "ok", status_reason, record.dns_terms, tuple(children))

    def _no_policy(self, domain: str, via: str, why: str) -> Node:
        return Node(domain, via, None, "none", why, 0, ())

    def _target_without_policy(self, domain: str, term: Term, child: Node) -> None:
        """RFC 7208 sections 5.2 (include) and 6.1 (redirect): a target without an SPF
        record makes the policy permerror."""
        section = "5.2" if term.name == "include" else "6.1"
        self.errors.append(f"{domain}: {term.text}: {child.domain} has no SPF record "
                           f"({child.reason}); RFC 7208 section {section}: permerror")

    def _address_term(self, domain: str, term: Term) -> None:
        """a, mx, exists: one void lookup when the name has no addresses (section 4.6.4)."""
        if term.domain is None and term.value and not term.value.startswith("/"):
            return  # macros: depends on the sender or IP
        target = term.domain or domain
        if term.name == "mx":
            found = self.ask(target, "MX")
            if found is None or not found.definite:
                return
            if _is_void(found):
                self.void += 1
            elif len(found.values) > MAX_MX:
                self.errors.append(f"{domain}: {term.text}: {len(found.values)} MX records, more "
                                   f"than {MAX_MX} (RFC 7208 section 4.6.4: permerror)")
            return
        found = self.ask(target, "A")
        if found is None or not found.definite or not _is_void(found):
            return
        if term.name == "a":  # an IPv6-only host is not void
            six = self.ask(target, "AAAA")
            if six is None or not six.definite or not _is_void(six):
                return
        self.void += 1


def analyze(domain: str, lookup: Callable[[str, str], "Lookup"]) -> Tree:
    """Walk the include/redirect tree of ``domain`` (RFC 7208 sections 4.6.4, 5.2, 6.1).

    Every branch is walked (not only the one a given IP would take), so the counts are the
    worst case that check_host() can meet: DNS-querying terms (include, a, mx, ptr, exists,
    redirect; at most 10) and void lookups (a, mx, exists, include and redirect targets that
    answer NXDOMAIN or no records; at most 2). ``lookup(name, type)`` returns a
    :class:`~macros.resolve.Lookup`. Never raises on bad DNS data.
    """
    walk = _Walk(lookup)
    name = _bare(domain)
    root = walk.node(name, "root", ())
    errors = list(walk.errors)
    if walk.dns_terms > MAX_DNS_TERMS:
        errors.append(f"{walk.dns_terms} DNS-querying terms, more than {MAX_DNS_TERMS} "
                      "(RFC 7208 section 4.6.4: permerror)")
    if walk.void > MAX_VOID_LOOKUPS:
        errors.append(f"{walk.void} void lookups, more than {MAX_VOID_LOOKUPS} "
                      "(RFC 7208 section 4.6.4: permerror)")
    extra = walk.failure
    if root.status == "none":
        reason = f"no SPF record at {name}: {root.reason}"
    elif root.status == "temperror" or walk.unknown:
        reason = "some lookups got no definite answer" + (f" ({extra})" if extra else "")
    elif errors:
        reason = errors[0]
    else:
        reason = (f"{walk.dns_terms} of {MAX_DNS_TERMS} DNS-querying terms, "
                  f"{walk.void} of {MAX_VOID_LOOKUPS} void lookups")
    return Tree(root, walk.dns_terms, walk.void, walk.loop, tuple(errors),
                _all_qualifier(root), tuple(walk.includes), walk.unknown, reason)


def _all_qualifier(node: Node) -> str | None:
    """The qualifier of the policy's ``all``, following redirect when the record has none."""
    seen = set()
    while node is not None and node.record is not None and node.domain not in seen:
        seen.add(node.domain)
        record = parse(node.record)
        if record.all is not None:
            return record.all.qualifier
        node = next((c for c in node.children if c.via == "redirect"), None)
    return None


# ---- check_host ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """An RFC 7208 section 2.6 result and its explanation."""

    result: str
    explanation: str


_resolver_var: contextvars.ContextVar = contextvars.ContextVar("macros_spf_resolver", default=None)
_install_lock = threading.Lock()
_pyspf = None
_original_lookup = None


def _load_pyspf():
    """Import pyspf (module ``spf``) and route its DNS through :func:`_dns_lookup`, once.

    The adapter answers from the resolver set by :func:`check_host` in the current context and
    falls back to pyspf's own lookup otherwise, so other users of pyspf see no change.
    """
    global _pyspf, _original_lookup
    with _install_lock:
        if _pyspf is None:
            module = importlib.import_module("spf")
            if not hasattr(module, "query") or not hasattr(module, "TempError"):
                raise ImportError(f"'spf' resolved to {module.__file__}, not pyspf")
            _original_lookup = module.DNSLookup
            module.DNSLookup = _dns_lookup
            _pyspf = module
    return _pyspf


def _dns_lookup(name, qtype, strict=True, timeout=None):
    """pyspf's ``DNSLookup(name, qtype, strict, timeout)``: ``[((name, type), value), ...]``.

    TXT/SPF values are tuples of byte strings (one record each), MX ``(preference, host)``,
    A/AAAA address text, PTR host names without the final dot. NXDOMAIN and NODATA are ``[]``,
    and so is a CNAME loop, as pyspf treats loops it follows itself (RFC 1034 section 3.6.2
    calls a loop an error; RFC 7208 section 5.5 skips a name whose address lookup fails). A
    timeout, SERVFAIL or any other failure raises ``spf.TempError`` (RFC 7208 section 5:
    temperror).
    """
    resolver = _resolver_var.get()
    if resolver is None:
        return _original_lookup(name, qtype, strict, timeout)
    qtype = str(qtype).upper()
    found = resolver.lookup(str(name), qtype)
    if found.status in ("nxdomain", "nodata") or found.cname_loop:
        return []
    if found.status != "found":
        raise _pyspf.TempError(f"DNS {qtype} {name}: {found.describe()}")
    key = (name, qtype)
    if qtype in ("TXT", "SPF"):
        return [(key, (raw,)) for raw in found.raw]
    if qtype == "MX":
        out = []
        for value in found.values:
            pref, _, host = value.partition(" ")
            out.append((key, (int(pref), host)))
        return out
    if qtype == "PTR":
        return [(key, value.rstrip(".")) for value in found.values]
    return [(key, value) for value in found.values]


def check_host(ip: str, sender: str, helo: str, resolver: "Resolver") -> Result:
    """RFC 7208 section 4: check_host(ip, domain of ``sender``, sender), with ``helo`` used
    when the sender is empty (section 2.3) and for the %{h} macro.

    Evaluated by pyspf 2.0.14 (strict RFC 7208 processing limits) with every DNS query asked of
    ``resolver``. Raises ``ValueError`` for an ``ip`` that is no IP address; otherwise never
    raises: a failure inside the evaluation is ``temperror`` with the reason.
    """
    address = str(ipaddress.ip_address(str(ip).strip()))
    pyspf = _load_pyspf()
    token = _resolver_var.set(resolver)
    try:
        query = pyspf.query(i=address, s=sender or "", h=helo or "", strict=True, querytime=20)
        result, _code, explanation = query.check()
    except Exception as exc:  # noqa: BLE001 - a library failure is no verdict on the policy
        return Result("temperror", f"SPF evaluation failed: {type(exc).__name__}: {exc}")
    finally:
        _resolver_var.reset(token)
    if result not in RESULTS:
        result = {"error": "temperror", "unknown": "permerror"}.get(result, "permerror")
    return Result(result, str(explanation or ""))
