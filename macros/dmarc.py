"""DMARC policy records (RFC 7489): select, parse, and judge the ``_dmarc`` TXT answer.

Pure: the TXT values of ``_dmarc.<domain>`` in (normalized strings, see records.py), a frozen
:class:`Policy` out. No DNS.

Policy discovery here looks at ``_dmarc.<domain>`` only; the fallback to the organizational
domain (RFC 7489 section 6.6.3 step 4) needs the Public Suffix List and is not done: the checked
domains are the organizational domains themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dkim import parse_tags

POLICIES = ("none", "quarantine", "reject")

VALID = "valid"
INVALID = "invalid"
MISSING = "missing"
MULTIPLE = "multiple"
STATUSES = (VALID, INVALID, MISSING, MULTIPLE)

#: RFC 7489 section 6.4: ``"v" *WSP "=" *WSP %x44 %x4d %x41 %x52 %x43 %x31``: the tag name is
#: case-insensitive (an ABNF string), the value "DMARC1" is not (ABNF %x codes).
_VERSION = re.compile(r"^\s*[vV]\s*=\s*DMARC1\s*(;|$)")
_URI = re.compile(r"^[a-z][a-z0-9+.-]*:[^,!\s]+(![0-9]+[kmgt]?)?$", re.IGNORECASE)


def is_dmarc(text: str) -> bool:
    """RFC 7489 section 6.6.3 step 3: a DMARC record starts with the tag ``v=DMARC1``;
    records that do not are discarded (they are not DMARC records at all)."""
    return bool(_VERSION.match(str(text)))


def select(txt_values) -> list[str]:
    """The DMARC records among the TXT values at ``_dmarc.<domain>``."""
    return [str(v) for v in txt_values if is_dmarc(v)]


@dataclass(frozen=True)
class Record:
    """One parsed DMARC record (RFC 7489 section 6.3)."""

    text: str
    policy: str | None
    subdomain_policy: str | None
    pct: int
    rua: tuple[str, ...]
    ruf: tuple[str, ...]
    errors: tuple[str, ...]     # make the record invalid
    warnings: tuple[str, ...]   # values a receiver ignores in favour of defaults

    @property
    def valid(self) -> bool:
        return not self.errors


def parse(text: str) -> Record:
    """Parse a DMARC record.

    RFC 7489 section 6.3 and the ABNF of section 6.4: ``v=DMARC1`` first; ``p`` (none,
    quarantine, reject) is required in a policy record; ``sp`` takes the same values; ``pct``
    is 0-100; ``adkim``/``aspf`` are ``r`` or ``s``; ``rua``/``ruf`` are comma-separated URIs;
    unknown tags are ignored. The tag-value syntax is DKIM's (RFC 6376 section 3.2).

    A missing or unknown ``p`` or ``sp``, or a broken tag list, makes the record invalid. (Section
    6.6.3 lets a receiver fall back to ``p=none`` when ``rua`` is valid; the record is still
    wrong.) Bad values of the other tags are warnings: section 6.3 says receivers ignore them.
    """
    text = str(text)
    tags = parse_tags(text, lower_names=True)
    errors = list(tags.errors)
    warnings: list[str] = []
    if not is_dmarc(text):
        errors.insert(0, "the record does not start with v=DMARC1")

    policy = (tags.get("p") or "").lower() or None
    if policy is None:
        errors.append("no p= tag (the policy is required)")
    elif policy not in POLICIES:
        errors.append(f"p={tags.get('p')} is not none, quarantine or reject")
        policy = None
    sub = tags.get("sp")
    subdomain_policy = None
    if sub is not None:
        if sub.lower() in POLICIES:
            subdomain_policy = sub.lower()
        else:
            errors.append(f"sp={sub} is not none, quarantine or reject")

    pct = 100
    raw_pct = tags.get("pct")
    if raw_pct is not None:
        if raw_pct.isdigit() and 0 <= int(raw_pct) <= 100:
            pct = int(raw_pct)
        else:
            warnings.append(f"pct={raw_pct} is not a number from 0 to 100 (100 applies)")
    for name in ("adkim", "aspf"):
        value = tags.get(name)
        if value is not None and value.lower() not in ("r", "s"):
            warnings.append(f"{name}={value} is not r or s (r applies)")
    raw_ri = tags.get("ri")
    if raw_ri is not None and not raw_ri.isdigit():
        warnings.append(f"ri={raw_ri} is not a number of seconds (86400 applies)")
    uris = {}
    for name in ("rua", "ruf"):
        value = tags.get(name)
        items = tuple(u.strip() for u in value.split(",") if u.strip()) if value else ()
        for uri in items:
            if not _URI.match(uri):
                warnings.append(f"{name}: {uri!r} is not a URI like mailto:dmarc@example.com")
        uris[name] = items
    return Record(text, policy, subdomain_policy, pct, uris["rua"], uris["ruf"],
                  tuple(errors), tuple(warnings))


@dataclass(frozen=True)
class Policy:
    """The outcome of looking at ``_dmarc.<domain>``: which record applies, if any."""

    status: str
    record: Record | None
    records: tuple[str, ...]
    reason: str

    @property
    def policy(self) -> str | None:
        return self.record.policy if self.record is not None and self.status == VALID else None


def discover(txt_values) -> Policy:
    """Judge the TXT values of ``_dmarc.<domain>`` (RFC 7489 section 6.6.3 steps 2-5).

    Non-DMARC TXT records are discarded; none left is ``missing``; more than one is
    ``multiple`` ("policy discovery terminates and DMARC processing is not applied"); one is
    ``valid`` or ``invalid`` as :func:`parse` finds it.
    """
    records = tuple(select(txt_values))
    if not records:
        return Policy(MISSING, None, (), "no DMARC record (no TXT starting with v=DMARC1)")
    if len(records) > 1:
        return Policy(MULTIPLE, None, records,
                      f"{len(records)} DMARC records: receivers apply none of them "
                      "(RFC 7489 section 6.6.3)")
    record = parse(records[0])
    if not record.valid:
        return Policy(INVALID, record, records, f"invalid DMARC record: {record.errors[0]}")
    return Policy(VALID, record, records, f"p={record.policy}")
