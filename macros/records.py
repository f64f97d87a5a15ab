"""Normalized DNS names and record values: one form for comparing, storing and showing.

Rules (DESIGN.md, "values normalized when built"):
- names: lowercase A-labels (IDN as punycode), exactly one trailing dot;
- MX: ``"<preference> <host>."``; CNAME/PTR/NS: ``"<target>."``; A/AAAA: the canonical address text;
- TXT: each record's character-strings joined (from ``rdata.strings``, never by slicing
  ``to_text()``), decoded as UTF-8 with undecodable bytes shown as ``\\xNN``;
- value sets are sorted tuples, so order is never a change; TTLs are kept apart.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import dns.exception
import dns.name
import dns.rdatatype

#: IDNA 2008 with UTS #46 mapping (what browsers and registries use): faß.de is xn--fa-hia.de,
#: not fass.de as IDNA 2003 would have it. Needs the ``idna`` package (pinned).
IDNA = dns.name.IDNA_2008_Practical

class InvalidName(ValueError):
    """A domain name that cannot be a DNS name (bad label, too long, bad IDN)."""


@lru_cache(maxsize=65536)
def normalize_name(name: str) -> str:
    """Return ``name`` as lowercase A-labels with one trailing dot.

    Accepts U-labels (``bücher.example``) and A-labels. Raises :class:`InvalidName` with a
    readable reason for names DNS cannot carry (RFC 1035 section 2.3.4: labels of at most 63
    octets, names of at most 255).
    """
    text = (name or "").strip()
    if not text or text == ".":
        raise InvalidName("the name is empty")
    if len(text) > 1000:  # far over 255 octets, whatever it holds; and echoed only in part
        raise InvalidName(f"{text[:40]!r}... is longer than 255 octets")
    if ".." in text:
        raise InvalidName(f"{text!r} has an empty label")
    try:
        parsed = (dns.name.from_unicode(text, idna_codec=IDNA) if not text.isascii()
                  else dns.name.from_text(text))
    except dns.name.LabelTooLong:
        raise InvalidName(f"{text!r} has a label longer than 63 octets") from None
    except dns.name.NameTooLong:
        raise InvalidName(f"{text!r} is longer than 255 octets") from None
    except (dns.name.EmptyLabel,):
        raise InvalidName(f"{text!r} has an empty label") from None
    except (dns.exception.DNSException, UnicodeError, ValueError) as exc:
        raise InvalidName(f"{text!r} is not a valid domain name ({exc})") from None
    return parsed.to_text().lower()


class RecordKey(NamedTuple):
    """Which record set: the normalized name (see :func:`normalize_name`) and the upper-case type.
    The key of the resolver's cache, of the baseline's record sets and of drift's matching."""

    name: str
    type: str

    @classmethod
    def of(cls, name: str, rdtype: str) -> RecordKey:
        """The key of ``name``/``rdtype`` as given in any case or form. A name DNS cannot carry
        (an SPF target with an empty label) keeps its text: it is looked up, and fails, as is."""
        try:
            return cls(normalize_name(name), str(rdtype).upper())
        except InvalidName:
            return cls(name, str(rdtype).upper())


@dataclass(frozen=True)
class RecordSet:
    """One record set in the one form that is compared, stored and shown (in the manner of
    octoDNS's ``ValuesMixin``): built from any spelling, it normalizes itself, so two record
    sets are the same exactly when they are ``==``. Name and type as :class:`RecordKey`;
    values sorted and de-duplicated, so order, repeats and case of names are never a change.
    Values are already normalized texts (:func:`rdata_value`); TTLs are kept apart."""

    name: str
    type: str
    values: tuple[str, ...] = ()

    def __post_init__(self):
        if isinstance(self.values, (str, bytes)):
            raise TypeError(f"RecordSet values must be a collection of texts, not {self.values!r}")
        key = RecordKey.of(self.name, self.type)
        object.__setattr__(self, "name", key.name)
        object.__setattr__(self, "type", key.type)
        object.__setattr__(self, "values", tuple(sorted({str(v) for v in self.values})))

    @property
    def key(self) -> RecordKey:
        return RecordKey(self.name, self.type)

    @classmethod
    def from_rdatas(cls, name: str, rdtype: str, rdatas: Iterable) -> RecordSet:
        """The record set of dnspython rdatas, each normalized by :func:`rdata_value`."""
        return cls(name, rdtype, tuple(rdata_value(r) for r in rdatas))


def is_hostname(name: str) -> bool:
    """True when every label is letters, digits and inner hyphens (RFC 1123 section 2.1)."""
    labels = name.rstrip(".").split(".")
    for label in labels:
        if not label or len(label) > 63 or label.startswith("-") or label.endswith("-"):
            return False
        if not all(c.isalnum() and c.isascii() or c == "-" for c in label):
            return False
    return True


def display_name(name: str) -> str:
    """The name as a person reads it: U-labels where the name is IDN, no trailing dot."""
    try:
        return dns.name.from_text(name).to_unicode(omit_final_dot=True, idna_codec=IDNA)
    except Exception:  # noqa: BLE001 - display only; fall back to the stored text
        return name.rstrip(".")


def dashed(domain_ascii: str) -> str:
    """``contoso.com`` -> ``contoso-com`` (A-labels, no trailing dot): the token of Exchange
    Online host names and Microsoft 365 DKIM target names."""
    return domain_ascii.lower().rstrip(".").replace(".", "-")


def ascii_domain(name: str) -> str:
    """The A-label form without trailing dot, as used in URLs (``domains/<ascii-domain>/``)."""
    return normalize_name(name).rstrip(".")


def join_txt(strings) -> bytes:
    """One TXT record's character-strings joined (RFC 7208 section 3.3)."""
    return b"".join(bytes(s) for s in strings)


def txt_text(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


def rdata_value(rdata) -> str:
    """The normalized text of one rdata."""
    rdtype = dns.rdatatype.to_text(rdata.rdtype)
    if rdtype == "TXT" or rdtype == "SPF":
        return txt_text(join_txt(rdata.strings))
    if rdtype == "MX":
        return f"{int(rdata.preference)} {rdata.exchange.to_text().lower()}"
    if rdtype in ("CNAME", "PTR", "NS", "DNAME"):
        return rdata.target.to_text().lower()
    if rdtype in ("A", "AAAA"):
        return str(ipaddress.ip_address(rdata.address))
    return rdata.to_text()


def visible(text) -> str:
    """DNS text with every non-printable character shown as ``\\DDD`` (below 256, as in zone
    files) or ``\\uXXXX``: control characters, line and paragraph separators, zero-width and
    bidi controls never act on a terminal or a page."""
    text = "" if text is None else str(text)
    if text.isprintable():  # the common case, in one pass in C
        return text
    return "".join(c if c.isprintable() else "\\%03d" % ord(c) if ord(c) < 256 else "\\u%04x" % ord(c)
                   for c in text)
