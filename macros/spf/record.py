"""SPF record syntax (RFC 7208 sections 4.5, 4.6.1, 5, 6, 7.1 and the ABNF of section 12).

Pure: :func:`parse` tokenizes a record into qualifier + mechanism + argument, or modifier name +
value, and lists every syntax error; no DNS. Verdicts never come from here: they come from
evaluation (:mod:`macros.spf.evaluation`). The parse is what pages show to readers.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from ..records import txt_text

VERSION = "v=spf1"
MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
QUALIFIERS = ("+", "-", "~", "?")
#: Terms that cause DNS queries (RFC 7208 section 4.6.4): these mechanisms, and redirect.
DNS_MECHANISMS = ("include", "a", "mx", "ptr", "exists")
DNS_TERMS = DNS_MECHANISMS + ("redirect",)
#: RFC 7208 section 4.6.4 processing limits, defined once; pages and reasons render these.
MAX_DNS_TERMS = 10
MAX_VOID_LOOKUPS = 2
#: RFC 7208 section 4.6.4: at most 10 MX (mx) or PTR (ptr) names looked up per term.
MAX_MX = 10


class SpfResult(enum.StrEnum):
    """The results of check_host() (RFC 7208 section 2.6)."""

    PASS = "pass"
    FAIL = "fail"
    SOFTFAIL = "softfail"
    NEUTRAL = "neutral"
    NONE = "none"
    PERMERROR = "permerror"
    TEMPERROR = "temperror"


RESULTS = tuple(SpfResult)

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
