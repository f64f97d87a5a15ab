"""The ten checks of CONTRACT.md ("Check ids and their verdicts"), judged from lookups.

Every lookup a domain needs up front is in :func:`base_queries` (the SPF tree adds its own);
:func:`evaluate` reads them back from the resolver's cache, hands the record sets to the pure
parsers (mx, spf, dmarc, dkim) and turns what they find into :class:`~macros.model.Check`
verdicts. A check whose lookups got no definite answer (timeout, SERVFAIL, ...) is ``unknown``,
never ``fail``. DNS text stays plain strings here: the renderer escapes it.
"""

from __future__ import annotations

from dataclasses import replace

from . import dkim as dkim_mod
from . import dmarc as dmarc_mod
from . import mx as mx_mod
from . import spf
from . import tenant as tenant_mod
from .config import DomainSpec
from .model import CHECK_IDS, FAIL, PASS, UNKNOWN, WARN, Check
from .resolve import NODATA, NXDOMAIN, TIMEOUT, SERVFAIL, Lookup

M365_SPF_INCLUDE = "spf.protection.outlook.com"
AUTODISCOVER_TARGET = "autodiscover.outlook.com."
MAX_DNS_TERMS = 10
MAX_VOID_LOOKUPS = 2

HYBRID = "hybrid-third-party"

# Runbook sections (site-relative) that fix what a check finds.
FIX_BYPASS = "common-issues/#mx-bypasses-filter"
FIX_EXO_HOST = "scenarios/third-party-filter/#exchange-online-host"
FIX_WRONG_EXO_HOST = "common-issues/#wrong-exo-host"
FIX_TWO_SPF = "common-issues/#two-spf-records"
FIX_SOFTFAIL = "common-issues/#spf-softfail"
FIX_LOOKUPS = "common-issues/#too-many-spf-lookups"
FIX_HYBRID_SPF = "common-issues/#hybrid-spf-missing-onprem"
FIX_DMARC = "common-issues/#dmarc"
FIX_DKIM = "common-issues/#dkim"
FIX_AUTODISCOVER = "common-issues/#autodiscover"


def _mx_fix(spec: DomainSpec) -> str:
    return f"scenarios/{spec.scenario}/#mx-record"


def _spf_fix(spec: DomainSpec) -> str:
    return f"scenarios/{spec.scenario}/#spf-record"


def base_queries(spec: DomainSpec) -> list[tuple[str, str]]:
    """Every lookup the checks need, apart from the SPF tree below the apex record.

    DKIM selectors and autodiscover are asked as TXT and A: the resolver follows CNAMEs and
    keeps the hops (``Lookup.chain``), so one lookup each shows both the CNAME and its target.
    """
    apex = spec.fqdn
    return [
        (apex, "MX"),
        (apex, "TXT"),
        ("_dmarc." + apex, "TXT"),
        ("selector1._domainkey." + apex, "TXT"),
        ("selector2._domainkey." + apex, "TXT"),
        ("autodiscover." + apex, "A"),
        (spec.expected_exo_host, "A"),
    ]


def evaluate(spec: DomainSpec, resolver, spf_tree: "spf.Tree | None" = None,
             export: "tenant_mod.Export | None" = None) -> list[Check]:
    """All ten checks for ``spec``, in :data:`~macros.model.CHECK_IDS` order.

    ``resolver`` needs ``key``, ``lookup`` and ``lookup_many`` (a Resolver, or the baseline's
    stand-in offline); lookups are
    cached by the resolver, so this asks DNS only for what is not cached yet. ``spf_tree`` is
    the :func:`spf.analyze` tree of the domain when the caller already has it.
    """
    queries = base_queries(spec)
    answers = resolver.lookup_many(queries)
    mx_l, txt_l, dmarc_l, sel1_l, sel2_l, ad_l, exo_l = (answers[resolver.key(*q)] for q in queries)
    tree = spf_tree if spf_tree is not None else spf.analyze(spec.fqdn, resolver.lookup)
    checks = [
        mx_route(spec, mx_l),
        exo_host(spec, exo_l),
        spf_present(spec, txt_l),
        spf_m365(spec, txt_l, tree),
        spf_all(spec, txt_l, tree),
        spf_lookups(spec, txt_l, tree),
        spf_senders(spec, txt_l, resolver),
        dmarc(spec, dmarc_l),
        dkim(spec, sel1_l, sel2_l),
        autodiscover(spec, ad_l),
        # the tenant checks, from the tenant's export (``info`` without one)
        *tenant_mod.evaluate(spec, export, sel1_l, sel2_l),
    ]
    assert tuple(c.id for c in checks) == CHECK_IDS
    return checks


def unknown_checks(spec: DomainSpec, reason: str,
                   export: "tenant_mod.Export | None" = None) -> list[Check]:
    """Every check as ``unknown`` (resolver unhealthy, or offline without a baseline); tenant
    checks without an export, or that do not apply, stay ``info``."""
    return [Check(check_id, UNKNOWN, reason, _expected(spec, check_id), "not checked",
                  _default_fix(spec, check_id))
            for check_id in CHECK_IDS if check_id not in tenant_mod.TENANT_CHECK_IDS
            ] + tenant_mod.unknown_checks(spec, export, reason)


# ---- what each check expects (also shown when it could not run) -----------------------------


def _expected(spec: DomainSpec, check_id: str) -> str:
    if check_id == "mx-route":
        if spec.third_party:
            return f"every MX host at {spec.filter_name} ({', '.join(spec.filter_mx)})"
        return "every MX host at Exchange Online (" + ", ".join(mx_mod.EXCHANGE_ONLINE_PATTERNS) + ")"
    return {
        "exo-host": f"{spec.expected_exo_host.rstrip('.')} resolves",
        "spf-present": "exactly one v=spf1 TXT record",
        "spf-m365": f"the SPF policy reaches include:{M365_SPF_INCLUDE}",
        "spf-all": "the SPF policy ends in -all",
        "spf-lookups": f"at most {MAX_DNS_TERMS} DNS-querying terms and {MAX_VOID_LOOKUPS} void lookups",
        "spf-senders": "every listed sender IP gets pass",
        "dmarc": "one valid v=DMARC1 record with p=quarantine or p=reject",
        "dkim": (f"selector1/selector2._domainkey CNAMEs to "
                 f"selectorN-{dkim_mod.dashed(spec.ascii)}._domainkey.{spec.tenant or '<tenant>'}"
                 ".onmicrosoft.com (or .<c>-v1.dkim.mail.microsoft), each publishing a key"),
        "autodiscover": (f"autodiscover.{spec.ascii} resolves (any target in a hybrid)"
                         if spec.scenario == HYBRID else
                         f"autodiscover.{spec.ascii} is a CNAME to {AUTODISCOVER_TARGET.rstrip('.')}"),
    }[check_id]


def _default_fix(spec: DomainSpec, check_id: str) -> str:
    return {
        "mx-route": _mx_fix(spec),
        "exo-host": FIX_EXO_HOST,
        "spf-present": _spf_fix(spec),
        "spf-m365": _spf_fix(spec),
        "spf-all": _spf_fix(spec),
        "spf-lookups": FIX_LOOKUPS,
        "spf-senders": _spf_fix(spec),
        "dmarc": FIX_DMARC,
        "dkim": FIX_DKIM,
        "autodiscover": FIX_AUTODISCOVER,
    }[check_id]


def _not_definite(spec: DomainSpec, check_id: str, lookup: Lookup) -> Check:
    """``unknown``: the lookup a check needs got no definite answer."""
    what = f"the {lookup.rdtype} lookup of {lookup.name.rstrip('.')}"
    if lookup.status == TIMEOUT:
        reason = f"Could not check: {what} timed out"
    elif lookup.status == SERVFAIL:
        reason = f"Could not check: {what} failed (SERVFAIL)"
    else:
        reason = f"Could not check: {what} failed ({lookup.reason or lookup.status})"
    return Check(check_id, UNKNOWN, reason, _expected(spec, check_id), lookup.describe(),
                 _default_fix(spec, check_id))


def _names(hosts) -> str:
    return ", ".join(h.name for h in hosts)


def _verb(hosts, one: str, many: str) -> str:
    return one if len(hosts) == 1 else many


# ---- the checks ------------------------------------------------------------------------------


def mx_route(spec: DomainSpec, lookup: Lookup) -> Check:
    """Where inbound mail goes (RFC 5321 section 5.1; null MX, RFC 7505)."""
    cid, expected, fix = "mx-route", _expected(spec, "mx-route"), _mx_fix(spec)
    if not lookup.definite:
        return _not_definite(spec, cid, lookup)
    if lookup.status == NXDOMAIN:
        return Check(cid, FAIL, f"{spec.name} does not exist (NXDOMAIN), so it receives no mail",
                     expected, lookup.describe(), fix)
    if lookup.status == NODATA or not lookup.values:
        return Check(cid, FAIL, f"{spec.name} has no MX record, so mail has no route to the tenant",
                     expected, "no MX record", fix)
    route = mx_mod.route(lookup.values, spec.filter_mx if spec.third_party else ())
    observed = route.describe()
    if route.null_mx:
        return Check(cid, FAIL, f"{spec.name} publishes a null MX (RFC 7505): it accepts no mail",
                     expected, observed, fix)
    if route.errors:
        return Check(cid, FAIL, f"The MX records of {spec.name} are invalid: {route.errors[0]}",
                     expected, observed, fix)
    if not spec.third_party:
        if route.all_exchange_online:
            return Check(cid, PASS, f"MX {_names(route.hosts)} "
                         f"{_verb(route.hosts, 'points', 'point')} at Exchange Online as expected",
                         expected, observed, fix)
        others = tuple(h for h in route.hosts if h.kind != mx_mod.EXCHANGE_ONLINE)
        return Check(cid, FAIL, f"MX {_names(others)} {_verb(others, 'is', 'are')} not Exchange "
                     "Online, so mail does not go straight to the tenant", expected, observed, fix)
    filter_name = spec.filter_name
    if route.all_filter:
        return Check(cid, PASS, f"MX {_names(route.hosts)} "
                     f"{_verb(route.hosts, 'points', 'point')} at {filter_name} as expected",
                     expected, observed, fix)
    bypass = route.of_kind(mx_mod.EXCHANGE_ONLINE)
    if bypass:
        return Check(cid, FAIL, f"MX {_names(bypass)} {_verb(bypass, 'delivers', 'deliver')} "
                     f"straight to Exchange Online, bypassing {filter_name}", expected, observed,
                     FIX_BYPASS)
    others = tuple(h for h in route.hosts if h.kind != mx_mod.FILTER)
    return Check(cid, FAIL, f"MX {_names(others)} {_verb(others, 'is', 'are')} not {filter_name}, "
                 "so mail is not filtered as intended", expected, observed, fix)


def exo_host(spec: DomainSpec, lookup: Lookup) -> Check:
    """The tenant's own Exchange Online host resolves (the filter delivers to it)."""
    cid, expected = "exo-host", _expected(spec, "exo-host")
    host = spec.expected_exo_host.rstrip(".")
    if not lookup.definite:
        return _not_definite(spec, cid, lookup)
    if lookup.found:
        return Check(cid, PASS, f"{host} resolves: Exchange Online knows the domain",
                     expected, lookup.describe(), FIX_EXO_HOST)
    why = ("the filter may deliver to the wrong Exchange Online host" if spec.third_party else
           "compare it with the MX value the Microsoft 365 admin center shows (set exo_host)")
    return Check(cid, WARN, f"{host} does not resolve: {why}", expected, lookup.describe(),
                 FIX_WRONG_EXO_HOST)


def spf_present(spec: DomainSpec, lookup: Lookup) -> Check:
    """Exactly one SPF record (RFC 7208 section 4.5: more than one is permerror)."""
    cid, expected = "spf-present", _expected(spec, "spf-present")
    if not lookup.definite:
        return _not_definite(spec, cid, lookup)
    records = spf.select(lookup.values)
    if lookup.status == NXDOMAIN:
        return Check(cid, FAIL, f"{spec.name} does not exist (NXDOMAIN), so it has no SPF record",
                     expected, lookup.describe(), _spf_fix(spec))
    if not records:
        return Check(cid, FAIL, f"{spec.name} has no SPF record: receivers cannot tell real mail "
                     "from forged", expected, f"no v=spf1 among {len(lookup.values)} TXT record(s)",
                     _spf_fix(spec))
    if len(records) > 1:
        return Check(cid, FAIL, f"{spec.name} has {len(records)} SPF records: receivers treat that "
                     "as an error (permerror) and SPF fails for all mail", expected,
                     " | ".join(records), FIX_TWO_SPF)
    return Check(cid, PASS, f"{spec.name} has one SPF record", expected, records[0], _spf_fix(spec))


def _broken_policy(tree: "spf.Tree") -> str | None:
    """Why the apex policy cannot authorize anybody, or None when it can be evaluated."""
    root = tree.root
    if root.status == "none":
        return "there is no SPF record"
    if root.status == "multiple":
        return "there are several SPF records (permerror)"
    if root.status == "permerror":
        return f"the SPF record has an error ({root.reason})"
    return None


def _path_to(tree: "spf.Tree", domain: str) -> list["spf.Node"] | None:
    """The nodes from the root down to ``domain``'s node, depth first, through includes that
    pass (qualifier ``+``: RFC 7208 section 5.2, a matching ``-include`` fails the mail) and
    redirects. The tree holds only terms check_host() can reach (none after ``all``)."""
    todo = [(tree.root, [tree.root])]
    while todo:
        node, path = todo.pop()
        if node.domain.lower().rstrip(".") == domain and node is not tree.root:
            return path
        todo.extend((child, path + [child]) for child in reversed(node.children)
                    if child.via != "include" or child.qualifier in ("+", ""))
    return None


def _policy_unknown(spec: DomainSpec, cid: str, txt: Lookup, tree: "spf.Tree") -> Check | None:
    """``unknown`` when the apex TXT lookup (or the policy root) got no definite answer."""
    if not txt.definite:
        return _not_definite(spec, cid, txt)
    if tree.root.status == "temperror":
        return Check(cid, UNKNOWN, f"Could not check: {tree.root.reason}", _expected(spec, cid),
                     "not checked", _default_fix(spec, cid))
    return None


def spf_m365(spec: DomainSpec, txt: Lookup, tree: "spf.Tree") -> Check:
    """The policy reaches include:spf.protection.outlook.com (RFC 7208 sections 5.2, 6.1)."""
    cid, expected, fix = "spf-m365", _expected(spec, "spf-m365"), _spf_fix(spec)
    early = _policy_unknown(spec, cid, txt, tree)
    if early:
        return early
    broken = _broken_policy(tree)
    if broken:
        return Check(cid, FAIL, f"Mail sent from Microsoft 365 fails SPF: {broken}", expected,
                     tree.root.record or "no SPF record", fix)
    path = _path_to(tree, M365_SPF_INCLUDE)
    if path:
        hops = [f"{n.via} {n.domain}" for n in path[1:-1]]
        how = "directly" if not hops else "through " + ", ".join(hops)
        return Check(cid, PASS, f"The SPF policy includes {M365_SPF_INCLUDE} {how}", expected,
                     f"include:{M365_SPF_INCLUDE} reached {how}", fix)
    if tree.unknown:
        return Check(cid, UNKNOWN, "Could not check: part of the SPF tree got no definite answer "
                     f"({tree.reason})", expected, "not reached in the part that resolved", fix)
    return Check(cid, FAIL, f"The SPF policy does not include {M365_SPF_INCLUDE}: mail sent from "
                 "Microsoft 365 fails SPF", expected, tree.root.record or "", fix)


def spf_all(spec: DomainSpec, txt: Lookup, tree: "spf.Tree") -> Check:
    """How the policy ends (RFC 7208 section 5.1: all; section 4.7: no match is neutral)."""
    cid, expected, fix = "spf-all", _expected(spec, "spf-all"), _spf_fix(spec)
    early = _policy_unknown(spec, cid, txt, tree)
    if early:
        return early
    root = tree.root
    if root.status == "none":
        return Check(cid, WARN, f"{spec.name} has no SPF record, so nothing ends in -all",
                     expected, "no SPF record", fix)
    if root.status == "multiple":
        return Check(cid, WARN, "There are several SPF records, so no single policy ends in -all",
                     expected, "several SPF records", FIX_TWO_SPF)
    qualifier = tree.all_qualifier
    if qualifier == "-":
        return Check(cid, PASS, "The SPF policy ends in -all: receivers reject unlisted senders",
                     expected, "-all", fix)
    if qualifier == "~":
        return Check(cid, WARN, "The SPF policy ends in ~all (softfail): forged mail is only "
                     "marked, not rejected", expected, "~all", FIX_SOFTFAIL)
    if qualifier == "?":
        return Check(cid, WARN, "The SPF policy ends in ?all (neutral): it says nothing about "
                     "unlisted senders", expected, "?all", fix)
    if qualifier == "+":
        return Check(cid, FAIL, "The SPF policy ends in +all: anyone on the internet may send as "
                     f"{spec.name}", expected, "+all", fix)
    if tree.unknown:
        return Check(cid, UNKNOWN, "Could not check: part of the SPF tree got no definite answer "
                     f"({tree.reason})", expected, "not checked", fix)
    return Check(cid, WARN, "The SPF policy has no all term: unlisted senders get neutral",
                 expected, "no all", fix)


def spf_lookups(spec: DomainSpec, txt: Lookup, tree: "spf.Tree") -> Check:
    """RFC 7208 section 4.6.4: at most 10 DNS-querying terms and 2 void lookups; loops and
    syntax errors (section 4.6) are permerror."""
    cid, expected = "spf-lookups", _expected(spec, "spf-lookups")
    early = _policy_unknown(spec, cid, txt, tree)
    if early:
        return replace(early, fix=FIX_LOOKUPS)
    observed = f"{tree.dns_terms} DNS-querying term(s), {tree.void_lookups} void lookup(s)"
    if tree.root.status == "none":
        return Check(cid, PASS, f"{spec.name} has no SPF record, so there are no lookups to count",
                     expected, observed, FIX_LOOKUPS)
    if tree.dns_terms > MAX_DNS_TERMS:
        return Check(cid, FAIL, f"The SPF policy needs {tree.dns_terms} DNS lookups; the limit is "
                     f"{MAX_DNS_TERMS}, so receivers return permerror", expected, observed, FIX_LOOKUPS)
    if tree.void_lookups > MAX_VOID_LOOKUPS:
        return Check(cid, FAIL, f"The SPF policy has {tree.void_lookups} lookups of names that do "
                     f"not exist; the limit is {MAX_VOID_LOOKUPS}, so receivers return permerror",
                     expected, observed, FIX_LOOKUPS)
    if tree.loop:
        loop = next((e for e in tree.errors if e.startswith("include loop")), "include loop")
        return Check(cid, FAIL, f"The SPF policy has an {loop}", expected, observed, FIX_LOOKUPS)
    if tree.errors:
        return Check(cid, FAIL, f"The SPF policy is broken (permerror): {tree.errors[0]}",
                     expected, observed, FIX_LOOKUPS)
    if tree.unknown:
        return Check(cid, UNKNOWN, "Could not check: part of the SPF tree got no definite answer "
                     f"({tree.reason})", expected, observed, FIX_LOOKUPS)
    return Check(cid, PASS, f"The SPF policy needs {tree.dns_terms} of {MAX_DNS_TERMS} DNS lookups "
                 f"and {tree.void_lookups} of {MAX_VOID_LOOKUPS} void lookups", expected, observed,
                 FIX_LOOKUPS)


def _sender_ips(spec: DomainSpec) -> list[tuple[str, str]]:
    """(ip, role) of every IP that must pass SPF, each once, in domains.yml order."""
    out, seen = [], set()
    for role, ips in (("on-premises", spec.onprem_ips), ("filter", spec.filter_ips),
                      ("sender", spec.senders)):
        for ip in ips:
            if ip not in seen:
                seen.add(ip)
                out.append((ip, role))
    return out


def spf_senders(spec: DomainSpec, txt: Lookup, resolver) -> Check:
    """Every listed sender IP gets ``pass`` from RFC 7208 check_host(), run for
    postmaster@<domain> with the domain as HELO."""
    cid, expected = "spf-senders", _expected(spec, "spf-senders")
    hybrid = spec.scenario == HYBRID
    problem_fix = FIX_HYBRID_SPF if hybrid else _spf_fix(spec)
    ips = _sender_ips(spec)
    if not txt.definite:
        return _not_definite(spec, cid, txt)
    if not ips:
        if hybrid:
            return Check(cid, WARN, "No on-premises IPs are listed for this hybrid domain, so SPF "
                         "is not tested for the on-premises servers (add onprem_ips)", expected,
                         "no IPs listed", FIX_HYBRID_SPF)
        return Check(cid, PASS, "No sender IPs are listed for this domain, so there is nothing to "
                     "test", expected, "no IPs listed", _spf_fix(spec))
    if not txt.definite:
        return _not_definite(spec, cid, txt)
    sender = f"postmaster@{spec.ascii}"
    results = [(ip, role, spf.check_host(ip, sender, spec.ascii, resolver)) for ip, role in ips]
    observed = ", ".join(f"{ip} ({role}): {r.result}" for ip, role, r in results)
    bad = [(ip, role, r) for ip, role, r in results if r.result not in ("pass", "temperror")]
    if bad:
        shown = ", ".join(f"{ip} ({role}) gets {r.result}" for ip, role, r in bad)
        return Check(cid, FAIL, f"SPF does not pass every sender: {shown}", expected, observed,
                     problem_fix)
    unsure = [(ip, role, r) for ip, role, r in results if r.result == "temperror"]
    if unsure:
        ip, role, r = unsure[0]
        return Check(cid, UNKNOWN, f"Could not check: SPF for {ip} ({role}) got temperror "
                     f"({r.explanation or 'a lookup failed'})", expected, observed, _spf_fix(spec))
    said = ("The listed sender IP passes SPF" if len(results) == 1
            else f"All {len(results)} listed sender IPs pass SPF")
    return Check(cid, PASS, said, expected, observed, _spf_fix(spec))


def dmarc(spec: DomainSpec, lookup: Lookup) -> Check:
    """One valid DMARC record with an enforcing policy (RFC 7489 sections 6.3, 6.6.3)."""
    cid, expected = "dmarc", _expected(spec, "dmarc")
    if not lookup.definite:
        return _not_definite(spec, cid, lookup)
    policy = dmarc_mod.discover(lookup.values if lookup.found else ())
    observed = " | ".join(policy.records) or "no DMARC record"
    if policy.status == dmarc_mod.MISSING:
        return Check(cid, WARN, f"{spec.name} has no DMARC record: receivers get no policy for "
                     "forged mail", expected, observed, FIX_DMARC)
    if policy.status == dmarc_mod.MULTIPLE:
        return Check(cid, FAIL, f"{spec.name} has {len(policy.records)} DMARC records: receivers "
                     "apply none of them", expected, observed, FIX_DMARC)
    if policy.status == dmarc_mod.INVALID:
        return Check(cid, FAIL, f"The DMARC record of {spec.name} is invalid: "
                     f"{policy.record.errors[0]}", expected, observed, FIX_DMARC)
    if policy.policy == "none":
        return Check(cid, WARN, "DMARC is p=none: reports only, forged mail is still delivered",
                     expected, observed, FIX_DMARC)
    if policy.record.pct == 0:
        return Check(cid, WARN, f"DMARC is p={policy.policy} but pct=0: the policy applies to no "
                     "mail (RFC 7489 section 6.3)", expected, observed, FIX_DMARC)
    share = "" if policy.record.pct == 100 else f" ({policy.record.pct}% of it)"
    return Check(cid, PASS, f"DMARC is p={policy.policy}: receivers act on forged mail{share}",
                 expected, observed, FIX_DMARC)


def dkim(spec: DomainSpec, sel1: Lookup, sel2: Lookup) -> Check:
    """selector1/selector2 are CNAMEs to this domain's Microsoft 365 keys (RFC 6376 section 3.6)."""
    cid, expected = "dkim", _expected(spec, "dkim")
    judged = [dkim_mod.judge_selector(n, spec.ascii, spec.tenant, lk.status, lk.chain, lk.values,
                                      lk.cname_loop)
              for n, lk in ((1, sel1), (2, sel2))]
    observed = "; ".join(f"selector{s.selector} -> {s.target or ('TXT' if s.key else 'none')}"
                         for s in judged)
    statuses = {s.status for s in judged}
    if dkim_mod.UNKNOWN in statuses:
        lookup = sel1 if judged[0].status == dkim_mod.UNKNOWN else sel2
        return _not_definite(spec, cid, lookup)
    problems = [s for s in judged if s.status != dkim_mod.OK]
    if any(s.status == dkim_mod.ELSEWHERE for s in judged):
        wrong = [s for s in judged if s.status == dkim_mod.ELSEWHERE]
        return Check(cid, FAIL, "; ".join(s.reason for s in wrong), expected, observed, FIX_DKIM)
    if problems:
        return Check(cid, WARN, "; ".join(s.reason for s in problems), expected, observed, FIX_DKIM)
    where = judged[0].microsoft.name.rstrip(".").split("._domainkey.", 1)[-1]
    return Check(cid, PASS, f"selector1 and selector2 point at Microsoft 365 ({where}) and "
                 "publish keys", expected, observed, FIX_DKIM)


def autodiscover(spec: DomainSpec, lookup: Lookup) -> Check:
    """autodiscover.<domain> reaches autodiscover.outlook.com (hybrid: any target)."""
    cid, expected = "autodiscover", _expected(spec, "autodiscover")
    name = f"autodiscover.{spec.ascii}"
    chain = [h.rstrip(".") for h in lookup.chain]
    if lookup.cname_loop:
        return Check(cid, FAIL, f"{name} is a CNAME loop ({' -> '.join([name] + chain)}): Outlook "
                     "cannot find the mailbox", expected, " -> ".join(chain), FIX_AUTODISCOVER)
    if not lookup.definite:
        return _not_definite(spec, cid, lookup)
    observed = " -> ".join(chain + ([lookup.describe()] if lookup.found else []))
    if not chain and not lookup.found:
        return Check(cid, WARN, f"{name} does not exist: Outlook must find the mailbox another way",
                     expected, lookup.describe(), FIX_AUTODISCOVER)
    if spec.scenario == HYBRID:
        if lookup.found:
            return Check(cid, PASS, f"{name} resolves ({' -> '.join(chain) or 'an A record'}), as a "
                         "hybrid needs", expected, observed, FIX_AUTODISCOVER)
        return Check(cid, WARN, f"{name} points at {chain[-1]}, which does not resolve", expected,
                     observed or lookup.describe(), FIX_AUTODISCOVER)
    if AUTODISCOVER_TARGET in lookup.chain:
        before = chain[: list(lookup.chain).index(AUTODISCOVER_TARGET)]
        how = f" through {', '.join(before)}" if before else ""
        return Check(cid, PASS, f"{name} points at {AUTODISCOVER_TARGET.rstrip('.')}{how}",
                     expected, observed, FIX_AUTODISCOVER)
    target = chain[-1] if chain else "an A record"
    return Check(cid, WARN, f"{name} points at {target}, not {AUTODISCOVER_TARGET.rstrip('.')}: "
                 "Outlook may not find the Exchange Online mailbox", expected,
                 observed or lookup.describe(), FIX_AUTODISCOVER)
