"""DMARC policy records: select, parse, and judge the ``_dmarc`` TXT answers.

Pure: the TXT values of ``_dmarc.<name>`` in (normalized strings, see records.py), frozen
dataclasses out. No DNS.

RFC 9989 (2026) obsoletes RFC 7489. What changed here, as implemented:

- policy discovery by the DNS tree walk instead of the Public Suffix List: a domain without a
  record of its own takes the first single DMARC record found walking up its parents
  (:func:`walk_names`, :func:`walk`), and then its ``sp`` (``np`` when the domain does not
  exist), else ``p``;
- ``t=y`` (test mode) replaces ``pct``, which is removed; older receivers still apply a
  ``pct`` below 100, so the checks warn about it;
- a record without ``p`` but with a valid ``rua`` is treated as ``p=none``;
- unknown tags are ignored.

Sources: RFC 9989 itself was not in the search corpus. The rules above follow the issue text,
the DMARCbis drafts (draft-ietf-dmarc-dmarcbis-41, the tree walk of at most 8 queries that jumps
to 7 labels for longer names) and the checkdmarc 5.16.0 release notes that implement RFC 9989
(https://newreleases.io/project/pypi/checkdmarc/release/5.16.0: p missing -> none; pct, rf, ri
removed; unknown tags ignored; the walk continues to the TLD). Section numbers of RFC 9989 are
not cited for that reason.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from .taglist import parse_tags

POLICIES = ("none", "quarantine", "reject")

class DmarcStatus(enum.StrEnum):
    """What the policy discovery found."""

    VALID = "valid"
    INVALID = "invalid"
    MISSING = "missing"
    MULTIPLE = "multiple"
    UNKNOWN = "unknown"       # a lookup the walk needed got no definite answer


VALID, INVALID, MISSING, MULTIPLE, UNKNOWN = DmarcStatus

#: The DMARCbis tree walk asks at most this many names (the domain, then up to 7 labels).
MAX_WALK = 8

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
    #: RFC 9989: policy for non-existent subdomains; None when absent
    nonexistent_policy: str | None = None
    #: RFC 9989: ``t=y``, test mode
    testing: bool = False
    #: RFC 9989: no ``p`` but a valid ``rua``: the policy is ``none``
    p_defaulted: bool = False
    #: whether the record carried a ``pct`` tag at all (RFC 9989 removed it)
    has_pct: bool = False
    #: RFC 9989 ``psd``: "y" (a public suffix domain), "n" (an organizational domain), or ""
    psd: str = ""

    @property
    def valid(self) -> bool:
        return not self.errors


def parse(text: str) -> Record:
    """Parse a DMARC record.

    RFC 7489 section 6.3 and the ABNF of section 6.4, as RFC 9989 keeps them: ``v=DMARC1``
    first; ``p``, ``sp`` and (RFC 9989) ``np`` take none, quarantine or reject; ``t`` is ``y``
    or ``n``; ``pct`` (removed by RFC 9989, still read for older receivers) is 0-100;
    ``adkim``/``aspf`` are ``r`` or ``s``; ``rua``/``ruf`` are comma-separated URIs; unknown
    tags are ignored. The tag-value syntax is DKIM's (RFC 6376 section 3.2).

    An unknown ``p``, ``sp`` or ``np``, or a broken tag list, makes the record invalid; so does
    a missing ``p`` unless ``rua`` holds a valid URI (RFC 9989: then the policy is ``none``).
    Bad values of the other tags are warnings: receivers ignore them.
    """
    text = str(text)
    tags = parse_tags(text, lower_names=True)
    errors = list(tags.errors)
    warnings: list[str] = []
    if not is_dmarc(text):
        errors.insert(0, "the record does not start with v=DMARC1")

    policy = (tags.get("p") or "").lower() or None
    p_defaulted = False
    if policy is not None and policy not in POLICIES:
        errors.append(f"p={tags.get('p')} is not none, quarantine or reject")
        policy = None
    sub_policies = {}
    for name in ("sp", "np"):
        sub = tags.get(name)
        sub_policies[name] = None
        if sub is not None:
            if sub.lower() in POLICIES:
                sub_policies[name] = sub.lower()
            else:
                errors.append(f"{name}={sub} is not none, quarantine or reject")
    subdomain_policy = sub_policies["sp"]
    raw_t = tags.get("t")
    testing = False
    if raw_t is not None:
        if raw_t.lower() in ("y", "n"):
            testing = raw_t.lower() == "y"
        else:
            warnings.append(f"t={raw_t} is not y or n (n applies)")

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
    if policy is None and tags.get("p") is None:
        # RFC 9989: a record without p but with a valid rua is treated as p=none.
        if any(_URI.match(u) for u in uris["rua"]):
            policy, p_defaulted = "none", True
        else:
            errors.append("no p= tag and no valid rua= (RFC 9989 treats only a record with a "
                          "valid rua as p=none)")
    psd = (tags.get("psd") or "").lower()
    if psd and psd not in ("y", "n", "u"):
        warnings.append(f"psd={tags.get('psd')} is not y, n or u (u applies)")
    return Record(text, policy, subdomain_policy, pct, uris["rua"], uris["ruf"],
                  tuple(errors), tuple(warnings), sub_policies["np"], testing, p_defaulted,
                  raw_pct is not None, psd if psd in ("y", "n") else "")


@dataclass(frozen=True)
class Policy:
    """The outcome of looking at ``_dmarc.<domain>``: which record applies, if any."""

    status: DmarcStatus
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


# ---- RFC 9989: the DNS tree walk ----------------------------------------------------------------


def walk_names(domain_ascii: str) -> list[str]:
    """The ``_dmarc`` names the tree walk asks for ``domain_ascii``, in order.

    The domain itself first; then, for a name of 8 or more labels, the name shortened to its
    last 7 labels; then one label less each time, down to the top-level domain: at most
    :data:`MAX_WALK` names (DMARCbis tree walk).
    """
    labels = domain_ascii.lower().rstrip(".").split(".")
    names = [".".join(labels)]
    for count in range(min(len(labels) - 1, MAX_WALK - 1), 0, -1):
        names.append(".".join(labels[-count:]))
    return ["_dmarc." + n + "." for n in names]


@dataclass(frozen=True)
class Discovery:
    """Which DMARC record applies to a domain, where it was found, and which tag of it."""

    status: DmarcStatus
    record: Record | None
    records: tuple[str, ...]    # the DMARC records at the name that decided
    found_at: str               # the domain whose _dmarc name holds them ("" when none)
    own: bool                   # found at the domain itself
    tag: str                    # "p", "sp" or "np": which policy applies
    reason: str
    unknown_name: str = ""      # the name whose lookup got no definite answer
    organization: str = ""      # the organizational domain (:func:`organizational_domain`)

    @property
    def policy(self) -> str | None:
        """The policy that applies: ``p`` of the domain's own record; for a record found
        higher up, ``np`` (a domain that does not exist) or ``sp``, else ``p``."""
        if self.status != VALID or self.record is None:
            return None
        if self.tag == "np":
            return self.record.nonexistent_policy
        if self.tag == "sp":
            return self.record.subdomain_policy
        return self.record.policy


def organizational_domain(domain_ascii: str, answers) -> str:
    """The organizational domain of ``domain_ascii`` by the RFC 9989 tree walk, from
    ``answers``: ``(name, definite, txt_values)`` of :func:`walk_names`. Going up from the
    domain, a valid record with ``psd=n`` names it; one with ``psd=y`` is a public suffix, so
    the name one label below it is the organizational domain; otherwise it is the name with the
    fewest labels that holds a valid record, and without any record the domain itself. (As
    implemented by mailauth 6 "with the RFC 9989 DNS Tree Walk"; the RFC's section number is
    not confirmed here.) Names without a definite answer are passed over."""
    labels = domain_ascii.lower().rstrip(".").split(".")
    found = ""
    for name, definite, values in answers:
        records = tuple(select(values)) if definite else ()
        if len(records) != 1:
            continue
        record = parse(records[0])
        if not record.valid:
            continue
        where = name[len("_dmarc."):].rstrip(".") if name.startswith("_dmarc.") else name.rstrip(".")
        if record.psd == "n":
            return where
        if record.psd == "y":
            depth = len(where.split(".")) + 1
            return ".".join(labels[-depth:]) if depth <= len(labels) else domain_ascii
        found = where
    return found or domain_ascii.lower().rstrip(".")


def walk(answers, exists: bool = True) -> Discovery:
    """Judge the tree walk from ``answers``: ``(name, definite, txt_values)`` in
    :func:`walk_names` order.

    The domain's own name decides when it holds DMARC records: one is used (valid or
    invalid), more than one is ``multiple`` (CONTRACT.md: a failure). Otherwise the first
    parent with exactly one DMARC record decides; a parent with none or several is passed
    over. A lookup without a definite answer before a decision makes the outcome ``unknown``.
    ``exists`` is False when the domain itself does not exist (NXDOMAIN): ``np`` applies.
    """
    for index, (name, definite, values) in enumerate(answers):
        where = name[len("_dmarc."):].rstrip(".") if name.startswith("_dmarc.") else name
        if not definite:
            return Discovery(UNKNOWN, None, (), "", False, "p",
                             f"the lookup of {name.rstrip('.')} got no definite answer", name)
        records = tuple(select(values))
        own = index == 0
        if own and len(records) > 1:
            return Discovery(MULTIPLE, None, records, where, True, "p",
                             f"{len(records)} DMARC records at {name.rstrip('.')}: receivers "
                             "apply none of them")
        if len(records) != 1:
            continue
        record = parse(records[0])
        tag = "p"
        if not own:
            if not exists and record.nonexistent_policy is not None:
                tag = "np"
            elif record.subdomain_policy is not None:
                tag = "sp"
        if not record.valid:
            return Discovery(INVALID, record, records, where, own, tag,
                             f"invalid DMARC record at {name.rstrip('.')}: {record.errors[0]}")
        return Discovery(VALID, record, records, where, own, tag, f"{tag}={record.policy}")
    return Discovery(MISSING, None, (), "", False, "p",
                     "no DMARC record at the domain or any parent (tree walk)")
