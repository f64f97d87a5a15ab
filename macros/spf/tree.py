"""The include/redirect tree of a domain's SPF policy: what pages draw, and what the engine
prefetches.

The tree is a reader's view (RFC 7208 sections 4.6.4, 5.2, 6.1): every policy reachable before
``all``, with the terms that query DNS. It decides no verdict (those come from evaluation,
:mod:`macros.spf.evaluation`). It also serves as the engine's prefetch plan: walked over the answers
known so far, it lists the lookups it still needs (:attr:`Tree.pending`), in evaluation order and
never past RFC 7208's limit of DNS-querying terms, so one hostile zone cannot make it ask more than
one evaluation may (section 4.6.4).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Callable

from ..records import InvalidName, normalize_name, txt_text
from ..resolve import NODATA, NXDOMAIN, Lookup
from .record import MAX_DNS_TERMS, MAX_MX, MAX_VOID_LOOKUPS, Term, is_spf, parse, select

Key = tuple[str, str]


class NodeStatus(enum.StrEnum):
    """One policy of the tree, as a reader sees it."""

    OK = "ok"                # a record, parsed without errors
    NONE = "none"            # no SPF record at the name
    MULTIPLE = "multiple"    # more than one v=spf1 record (RFC 7208 section 4.5)
    PERMERROR = "permerror"  # a syntax error
    TEMPERROR = "temperror"  # the TXT lookup got no definite answer
    LOOP = "loop"            # the name is already being evaluated above
    PENDING = "pending"      # not looked up yet (the engine's next wave asks)


def _bare(domain: str) -> str:
    """Lowercase A-labels without trailing dot; the text itself when it is no valid name."""
    try:
        return normalize_name(domain).rstrip(".")
    except InvalidName:
        return (domain or "").rstrip(".").lower()


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
    """A domain's SPF policy tree as far as evaluation can reach, with the counts of the walk.

    ``dns_terms`` and ``void_lookups`` count what the walk met in evaluation order, every branch
    taken (the path of a sender no term matches); ``pending`` lists the lookups the walk still
    needs (answers not known yet). The counts are for readers; verdicts come from evaluation.
    """

    root: Node
    dns_terms: int
    void_lookups: int
    loop: bool
    errors: tuple[str, ...]
    all_qualifier: str | None
    includes: tuple[str, ...]
    unknown: bool
    reason: str
    pending: tuple[Key, ...] = ()

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
    return lookup.status in (NXDOMAIN, NODATA)


def policy_records(lookup: "Lookup") -> list[tuple[str, bool]]:
    """(text, ascii) of each SPF record in a TXT answer, read from the raw bytes when known."""
    if lookup.raw:
        return [(txt_text(raw), raw.isascii()) for raw in lookup.raw if is_spf(raw)]
    return [(text, text.isascii()) for text in select(lookup.values)]


def _getter(answers) -> Callable[[str, str], "Lookup | None"]:
    """``answers.get`` (a read-only mapping: None = not looked up yet), or a lookup function."""
    get = getattr(answers, "get", None)
    return get if get is not None else answers


class _Walk:
    """State of one :func:`analyze` run."""

    def __init__(self, answers):
        self.get = _getter(answers)
        self.dns_terms = 0
        self.void = 0
        self.loop = False
        self.unknown = False
        self.errors: list[str] = []
        self.includes: list[str] = []
        self.pending: list[Key] = []
        self.stopped = False
        self.failure = ""
        #: void lookups per sender family (RFC 7208 section 4.6.4 counts them per evaluation, and
        #: an IPv4 sender's evaluation asks only A): once both are past the limit, every
        #: evaluation has stopped with permerror, and so does the walk
        self.void_by_family = {"A": 0, "AAAA": 0}
        #: address lookups of the walk not answered yet: each may turn out void
        self.maybe_void = 0
        self.paused = False

    def ask(self, name: str, rdtype: str) -> "Lookup | None":
        """The answer, or None when it is not known yet (then it is pending) or failed. A name
        that cannot exist (an empty label, a label over 63 octets) is a definite void answer,
        as in evaluation (RFC 7208 section 4.3), and is never asked."""
        try:
            normalize_name(name)
        except InvalidName as exc:
            return Lookup(name, rdtype, NXDOMAIN, reason=f"malformed name: {exc}")
        try:
            result = self.get(name, rdtype)
        except Exception as exc:  # noqa: BLE001 - an injected lookup must not break the walk
            self.unknown = True
            self.failure = f"{name} {rdtype}: lookup failed ({type(exc).__name__}: {exc})"
            return None
        if result is None:
            if (name, rdtype) not in self.pending:
                self.pending.append((name, rdtype))
            return None
        if not result.definite:
            self.unknown = True
        return result

    def voided(self, families=("A", "AAAA")) -> None:
        """One void lookup for the evaluations of senders of ``families``."""
        for family in families:
            self.void_by_family[family] += 1
        if min(self.void_by_family.values()) > MAX_VOID_LOOKUPS:
            self.stopped = True

    def count(self, term: Term) -> bool:
        """Count a DNS-querying term (RFC 7208 section 4.6.4); False once past the limit: an
        evaluation stops there (permerror), and so does the walk. Also False once the void
        lookups of both address families are past theirs."""
        if self.stopped:
            return False
        if min(self.void_by_family.values()) + self.maybe_void > MAX_VOID_LOOKUPS:
            # The answers still missing might break the void limit of every evaluation before
            # this term: go no further until they are known (one wave later, for records with
            # three or more such names; never asking what no evaluation would read).
            self.paused = True
            return False
        self.dns_terms += 1
        if self.dns_terms > MAX_DNS_TERMS:
            self.stopped = True
            self.errors.append(f"{term.text}: DNS-querying term number {self.dns_terms}, more than "
                               f"{MAX_DNS_TERMS} (RFC 7208 section 4.6.4: permerror)")
            return False
        return True

    def node(self, domain: str, via: str, stack: tuple[str, ...]) -> Node:
        if via != "root" and domain not in self.includes:
            self.includes.append(domain)
        if domain in stack:
            self.loop = True
            path = " -> ".join(stack + (domain,))
            self.errors.append(f"include loop: {path} (RFC 7208 section 4.6.4)")
            return Node(domain, via, None, NodeStatus.LOOP, f"loop: {path}", 0, ())
        found = self.ask(domain, "TXT")
        if found is None and (domain, "TXT") in self.pending:
            return Node(domain, via, None, NodeStatus.PENDING, "TXT lookup not made yet", 0, ())
        if found is None or not found.definite:
            why = found.describe() if found is not None else "the lookup failed"
            return Node(domain, via, None, NodeStatus.TEMPERROR, f"TXT lookup: {why}", 0, ())
        if _is_void(found):
            if via != "root":
                self.void += 1
                self.voided()
            return self._no_policy(domain, via, found.describe())
        records = policy_records(found)
        if not records:
            return self._no_policy(domain, via, f"no v=spf1 record among {len(found.values)} TXT")
        if len(records) > 1:
            reason = f"{len(records)} v=spf1 records (RFC 7208 section 4.5: permerror)"
            self.errors.append(f"{domain}: {reason}")
            return Node(domain, via, records[0][0], NodeStatus.MULTIPLE, reason, 0, ())
        text, is_ascii = records[0]
        record = parse(text)
        errors = list(record.errors)
        if not is_ascii and not any("non-ASCII" in e for e in errors):
            errors.insert(0, "the record contains non-ASCII bytes (RFC 7208 section 3.1)")
        if errors:
            self.errors.extend(f"{domain}: {e}" for e in errors)
            return Node(domain, via, text, NodeStatus.PERMERROR, errors[0], record.dns_terms, ())
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
            if not self.count(term):
                if self.dns_terms > MAX_DNS_TERMS:
                    notes.append(f"walk stopped at {term.text}: past {MAX_DNS_TERMS} DNS-querying terms")
                elif self.paused:
                    notes.append(f"walk paused at {term.text}: waiting for address lookups that may be void")
                else:
                    notes.append(f"walk stopped at {term.text}: past {MAX_VOID_LOOKUPS} void lookups "
                                 "for senders of both address families")
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
                if child.status == NodeStatus.NONE:
                    self._target_without_policy(domain, term, child)
            elif term.name in ("a", "mx", "exists"):
                self._address_term(domain, term)
        status_reason = f"{record.dns_terms} DNS-querying term(s)"
        if notes:
            status_reason += "; " + "; ".join(notes)
        return Node(domain, via, text, NodeStatus.OK, status_reason, record.dns_terms, tuple(children))

    def _no_policy(self, domain: str, via: str, why: str) -> Node:
        return Node(domain, via, None, NodeStatus.NONE, why, 0, ())

    def _target_without_policy(self, domain: str, term: Term, child: Node) -> None:
        """RFC 7208 sections 5.2 (include) and 6.1 (redirect): a target without an SPF
        record makes the policy permerror."""
        section = "5.2" if term.name == "include" else "6.1"
        self.errors.append(f"{domain}: {term.text}: {child.domain} has no SPF record "
                           f"({child.reason}); RFC 7208 section {section}: permerror")

    def _addresses(self, target: str, families=("A", "AAAA")) -> bool | None:
        """Whether ``target`` has an address of any family; None when not known. Each family
        without one is a void lookup for the evaluations of that family's senders."""
        answers = [self.ask(target, rdtype) for rdtype in families]
        if any(a is None for a in answers):
            self.maybe_void += 1
            return None
        if any(not a.definite for a in answers):
            return None
        empty = [family for family, a in zip(families, answers) if _is_void(a)]
        if empty:
            self.voided(("A", "AAAA") if families == ("A",) else empty)
        return len(empty) < len(families)

    def _address_term(self, domain: str, term: Term) -> None:
        """a, mx, exists: their lookups (both address families: the checks evaluate IPv4 and
        IPv6 senders; at most 10 MX hosts, section 4.6.4), and one void lookup when the name has
        no addresses at all (void per family is what evaluation counts)."""
        if term.domain is None and term.value and not term.value.startswith("/"):
            return  # macros: depend on the sender or IP; evaluation asks for them
        target = term.domain or domain
        if term.name == "mx":
            found = self.ask(target, "MX")
            if found is None:
                self.maybe_void += 1
                return
            if not found.definite:
                return
            if _is_void(found):
                self.void += 1
                self.voided()
            elif len(found.values) > MAX_MX:
                self.errors.append(f"{domain}: {term.text}: {len(found.values)} MX records, more "
                                   f"than {MAX_MX} (RFC 7208 section 4.6.4: permerror)")
            else:
                hosts = sorted((int(v.split(" ", 1)[0]), v.split(" ", 1)[1])
                               for v in found.values if " " in v)
                for _pref, host in hosts:
                    self._addresses(host)  # a host without addresses is void too (pyspf, 4.6.4)
            return
        has = self._addresses(target, ("A",) if term.name == "exists" else ("A", "AAAA"))
        if has is False:
            self.void += 1


def analyze(domain: str, answers) -> Tree:
    """Walk the include/redirect tree of ``domain`` (RFC 7208 sections 4.6.4, 5.2, 6.1).

    Every branch is walked in evaluation order (the path of a sender no term matches), up to the
    eleventh DNS-querying term, where evaluation would stop with permerror. ``answers`` is a
    read-only mapping (``get(name, type)`` -> :class:`~macros.resolve.Lookup`, or None when not
    looked up yet: then the lookup is listed in :attr:`Tree.pending`), or a function that looks
    a name up. Never raises on bad DNS data.
    """
    walk = _Walk(answers)
    name = _bare(domain)
    root = walk.node(name, "root", ())
    errors = list(walk.errors)
    if walk.void > MAX_VOID_LOOKUPS:
        errors.append(f"{walk.void} void lookups, more than {MAX_VOID_LOOKUPS} "
                      "(RFC 7208 section 4.6.4: permerror)")
    extra = walk.failure
    if root.status == NodeStatus.NONE:
        reason = f"no SPF record at {name}: {root.reason}"
    elif root.status == NodeStatus.TEMPERROR or walk.unknown:
        reason = "some lookups got no definite answer" + (f" ({extra})" if extra else "")
    elif walk.pending:
        reason = f"{len(walk.pending)} lookup(s) not made yet"
    elif errors:
        reason = errors[0]
    else:
        reason = (f"{walk.dns_terms} of {MAX_DNS_TERMS} DNS-querying terms, "
                  f"{walk.void} of {MAX_VOID_LOOKUPS} void lookups")
    return Tree(root, walk.dns_terms, walk.void, walk.loop, tuple(errors),
                _all_qualifier(root), tuple(walk.includes), walk.unknown, reason,
                tuple(walk.pending))


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
