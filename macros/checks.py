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
from .config import DomainSpec
from .model import CHECK_IDS, FAIL, INFO, PASS, UNKNOWN, WARN, Check
from .resolve import ERROR, NODATA, NXDOMAIN, TIMEOUT, SERVFAIL, Answers, Lookup
from .spf import policy as spf_policy

M365_SPF_INCLUDE = spf_policy.M365_SPF
AUTODISCOVER_TARGET = "autodiscover.outlook.com."

HYBRID = "hybrid-third-party"

# Runbook sections (site-relative) that fix what a check finds.
FIX_BYPASS = "common-issues/#mx-bypasses-filter"
FIX_EXO_HOST = "scenarios/third-party-filter/#exchange-online-host"
FIX_WRONG_EXO_HOST = "common-issues/#wrong-exo-host"
FIX_TWO_SPF = "common-issues/#two-spf-records"
FIX_SOFTFAIL = "common-issues/#spf-softfail"
FIX_LOOKUPS = "common-issues/#too-many-spf-lookups"
FIX_HYBRID_SPF = "common-issues/#hybrid-spf-missing-onprem"
FIX_FILTER_SPF = "common-issues/#filter-outbound-not-in-spf"
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
    ] + spf_policy.lookups(spec)


def evaluate(spec: DomainSpec, answers: Answers, spf_outcome: "spf_policy.Outcome",
             spf_tree: "spf.Tree | None" = None) -> list[Check]:
    """All checks for ``spec``, in :data:`~macros.model.CHECK_IDS` order, from answers only.

    ``answers`` is a read-only mapping of lookups (the engine resolved every one the checks
    read); ``spf_outcome`` the evaluations of :mod:`macros.spf.policy`. A lookup missing from
    ``answers`` reads as an error (unknown), never as an absent record.
    """
    def get(name: str, rdtype: str) -> Lookup:
        found = answers.get(name, rdtype)
        return found if found is not None else Lookup(name, rdtype, ERROR, reason="not looked up")

    mx_l, txt_l, dmarc_l, sel1_l, sel2_l, ad_l, exo_l = (get(*q) for q in base_queries(spec)[:7])
    checks = [
        mx_route(spec, mx_l),
        exo_host(spec, exo_l),
        spf_present(spec, txt_l),
        spf_m365(spec, txt_l, spf_outcome),
        spf_all(spec, txt_l, spf_outcome),
        spf_lookups(spec, txt_l, spf_outcome),
        spf_senders(spec, txt_l, spf_outcome),
        dmarc(spec, dmarc_l),
        dkim(spec, sel1_l, sel2_l),
        autodiscover(spec, ad_l),
    ]
    assert tuple(c.id for c in checks) == CHECK_IDS
    return checks


def unknown_checks(spec: DomainSpec, reason: str) -> list[Check]:
    """All ten checks as ``unknown`` (resolver unhealthy, or offline without a baseline)."""
    return [Check(check_id, UNKNOWN, reason, _expected(spec, check_id), "not checked",
                  _default_fix(spec, check_id))
            for check_id in CHECK_IDS]


# ---- what each check expects (also shown when it could not run) -----------------------------


def _expected(spec: DomainSpec, check_id: str) -> str:
    if check_id == "mx-route":
        if spec.third_party:
            return f"every MX host at {spec.filter_name} ({', '.join(spec.filter_mx)})"
        return "every MX host at Exchange Online (" + ", ".join(mx_mod.EXCHANGE_ONLINE_PATTERNS) + ")"
    return {
        "exo-host": f"{spec.expected_exo_host.rstrip('.')} resolves",
        "spf-present": "exactly one v=spf1 TXT record",
        "spf-m365": f"check_host gives pass for one address of every range of {M365_SPF_INCLUDE}",
        "spf-all": "check_host gives fail for unlisted senders (192.0.2.1, 2001:db8::1)",
        "spf-lookups": (f"every evaluation within at most {spf.MAX_DNS_TERMS} DNS-querying terms "
                        f"and {spf.MAX_VOID_LOOKUPS} void lookups, no permerror"),
        "spf-senders": "check_host gives pass for every listed sender IP",
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


def _spf_root_cause(spec: DomainSpec, txt: Lookup) -> str:
    """One root cause, one message: with several SPF records every evaluation is permerror
    (RFC 7208 section 4.5); the SPF checks say that once, pointing at spf-present."""
    records = spf.select(txt.values) if txt.found else []
    if len(records) > 1:
        return (f"{spec.name} publishes {len(records)} SPF records, so every evaluation ends in "
                "permerror (see spf-present)")
    return ""


def _results(evaluations) -> str:
    """``40.92.0.1: pass, 192.0.2.1: fail`` (errors with their explanation)."""
    return ", ".join(ev.describe() for ev in evaluations)


def _incomplete(spec: DomainSpec, cid: str, evaluations, fix: str) -> Check | None:
    """``unknown`` when an evaluation hit temperror (a lookup got no definite answer)."""
    unsure = [ev for ev in evaluations if ev.result == spf.SpfResult.TEMPERROR]
    if not unsure:
        return None
    return Check(cid, UNKNOWN, f"Could not check: SPF evaluation for {unsure[0].ip} got temperror "
                 f"({unsure[0].explanation or 'a lookup failed'})", _expected(spec, cid),
                 _results(unsure), fix)


def spf_m365(spec: DomainSpec, txt: Lookup, outcome: "spf_policy.Outcome") -> Check:
    """check_host() (RFC 7208 section 4) gives ``pass`` for one address of every ``ip4``/``ip6``
    range of the live spf.protection.outlook.com record."""
    cid, expected, fix = "spf-m365", _expected(spec, "spf-m365"), _spf_fix(spec)
    if not txt.definite:
        return _not_definite(spec, cid, txt)
    if outcome.m365 is None:
        return Check(cid, UNKNOWN, f"Could not check: the live {M365_SPF_INCLUDE} record is not "
                     "known (its lookup got no definite answer, or it holds no single SPF record)",
                     expected, "not checked", fix)
    if not outcome.m365:
        return Check(cid, UNKNOWN, f"Could not check: the live {M365_SPF_INCLUDE} record lists no "
                     "ip4/ip6 ranges to test", expected, "not checked", fix)
    evaluations = [ev for _net, ev in outcome.m365]
    bad = [(net, ev) for net, ev in outcome.m365
           if ev.result not in (spf.SpfResult.PASS, spf.SpfResult.TEMPERROR)]
    if bad:
        cause = _spf_root_cause(spec, txt)
        shown = ", ".join(f"{ev.ip} ({net}) gets {ev.result}" for net, ev in bad[:3])
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        reason = (f"Mail from Microsoft 365 fails SPF: {cause}" if cause else
                  f"Mail from Microsoft 365 does not pass SPF: {shown}{more}")
        return Check(cid, FAIL, reason, expected,
                     f"{len(bad)} of {len(evaluations)} addresses do not pass: " + _results(ev for _n, ev in bad),
                     fix)
    unsure = _incomplete(spec, cid, evaluations, fix)
    if unsure:
        return unsure
    return Check(cid, PASS, f"Every one of Microsoft 365's {len(evaluations)} address ranges "
                 f"({M365_SPF_INCLUDE}) gets pass", expected,
                 f"pass for {len(evaluations)} of {len(evaluations)} addresses", fix)


def spf_all(spec: DomainSpec, txt: Lookup, outcome: "spf_policy.Outcome") -> Check:
    """What an unlisted sender gets (RFC 7208 sections 2.6, 4.7, 5.1): the documentation
    addresses 192.0.2.1 (RFC 5737) and 2001:db8::1 (RFC 3849)."""
    cid, expected, fix = "spf-all", _expected(spec, "spf-all"), _spf_fix(spec)
    if not txt.definite:
        return _not_definite(spec, cid, txt)
    evaluations = list(outcome.unlisted)
    observed = _results(evaluations)
    R = spf.SpfResult
    passing = [ev for ev in evaluations if ev.result == R.PASS]
    if passing:
        return Check(cid, FAIL, f"An unlisted sender ({passing[0].ip}) gets pass: anyone on the "
                     f"internet may send as {spec.name}", expected, observed, fix)
    broken = [ev for ev in evaluations if ev.result == R.PERMERROR]
    if broken:
        cause = _spf_root_cause(spec, txt) or f"permerror ({broken[0].explanation})"
        return Check(cid, FAIL, f"SPF evaluation ends in {cause}: receivers may treat the "
                     "domain's mail as failing SPF or ignore SPF altogether", expected, observed,
                     FIX_TWO_SPF if _spf_root_cause(spec, txt) else FIX_LOOKUPS)
    unsure = _incomplete(spec, cid, evaluations, fix)
    if unsure:
        return unsure
    results = {ev.result for ev in evaluations}
    if results == {R.FAIL}:
        return Check(cid, PASS, "An unlisted sender gets fail (-all): SPF asks receivers to "
                     "reject such mail (what each receiver does is its own policy; with DMARC "
                     "enforcing, -all and ~all end alike)", expected, observed, fix)
    if R.NONE in results:
        return Check(cid, WARN, f"{spec.name} has no SPF record, so unlisted senders get none",
                     expected, observed, fix)
    if R.SOFTFAIL in results:
        return Check(cid, WARN, "An unlisted sender gets softfail (~all): receivers that act on "
                     "SPF alone accept it, marked; DMARC with p=quarantine or p=reject still "
                     "stops it", expected, observed, FIX_SOFTFAIL)
    return Check(cid, WARN, "An unlisted sender gets neutral: the policy says nothing about "
                 "senders it does not list (?all, or no all term)", expected, observed, fix)


def spf_lookups(spec: DomainSpec, txt: Lookup, outcome: "spf_policy.Outcome") -> Check:
    """RFC 7208 section 4.6.4, as evaluation meets it for every address above: at most
    10 DNS-querying terms and 2 void lookups; a loop, a syntax error or any other permerror
    (sections 4.6, 5.2, 6.1) fails too."""
    cid, expected = "spf-lookups", _expected(spec, "spf-lookups")
    if not txt.definite:
        return replace(_not_definite(spec, cid, txt), fix=FIX_LOOKUPS)
    evaluations = outcome.all()
    terms = max((ev.dns_terms for ev in evaluations), default=0)
    voids = max((ev.void_lookups for ev in evaluations), default=0)
    observed = (f"at most {terms} DNS-querying term(s) and {voids} void lookup(s) over "
                f"{len(evaluations)} evaluation(s)")
    if txt.found and not spf.select(txt.values) or txt.status in (NXDOMAIN, NODATA):
        return Check(cid, INFO, f"{spec.name} has no SPF record, so there is nothing to evaluate",
                     expected, "no SPF record", FIX_LOOKUPS)
    broken = [ev for ev in evaluations if ev.result == spf.SpfResult.PERMERROR]
    if broken:
        ev = broken[0]
        cause = _spf_root_cause(spec, txt)
        low = ev.explanation.lower()
        if cause:
            reason = f"SPF is broken (permerror): {cause}"
        elif ev.loop:
            reason = (f"The SPF policy has an include loop: {' -> '.join(ev.loop)} (evaluation "
                      "ends in permerror)")
        elif "dns lookups" in low:
            where = f"; the {spf.MAX_DNS_TERMS + 1}th is {ev.broke}" if ev.broke else ""
            reason = (f"Evaluation for {ev.ip} needs more than {spf.MAX_DNS_TERMS} DNS-querying "
                      f"terms{where}, so receivers return permerror")
        elif "void lookup" in low:
            where = f"; the last was {ev.broke}" if ev.broke else ""
            reason = (f"Evaluation for {ev.ip} meets more than {spf.MAX_VOID_LOOKUPS} void lookups "
                      f"(names without records{where}), so receivers return permerror")
        else:
            reason = f"Evaluation for {ev.ip} ends in permerror: {ev.explanation}"
        return Check(cid, FAIL, reason, expected, observed + "; " + _results(broken[:2]),
                     FIX_TWO_SPF if cause else FIX_LOOKUPS)
    unsure = _incomplete(spec, cid, evaluations, FIX_LOOKUPS)
    if unsure:
        return unsure
    return Check(cid, PASS, f"Evaluation stays within RFC 7208's limits: at most {terms} of "
                 f"{spf.MAX_DNS_TERMS} DNS-querying terms and {voids} of {spf.MAX_VOID_LOOKUPS} "
                 "void lookups", expected, observed, FIX_LOOKUPS)


def spf_senders(spec: DomainSpec, txt: Lookup, outcome: "spf_policy.Outcome") -> Check:
    """Every listed sender IP (and, with ``outbound: filter``, one address of every range of the
    filter's SPF include) gets ``pass`` from check_host() for postmaster@<domain>."""
    cid, expected = "spf-senders", _expected(spec, "spf-senders")
    hybrid = spec.scenario == HYBRID
    if not txt.definite:
        return _not_definite(spec, cid, txt)
    results = list(outcome.senders)
    if not results:
        if hybrid:
            return Check(cid, WARN, "No on-premises IPs are listed for this hybrid domain, so SPF "
                         "is not tested for the on-premises servers (add onprem_ips)", expected,
                         "no IPs listed", FIX_HYBRID_SPF)
        return Check(cid, INFO, "No sender IPs are listed for this domain, so nothing was tested "
                     "(add onprem_ips, filter_ips or senders to test them)", expected,
                     "no IPs listed", _spf_fix(spec))
    observed = ", ".join(f"{s.label()}: {ev.result}" for s, ev in results)
    bad = [(s, ev) for s, ev in results
           if ev.result not in (spf.SpfResult.PASS, spf.SpfResult.TEMPERROR)]
    if bad:
        shown = ", ".join(f"{s.label()} gets {ev.result}" for s, ev in bad[:4])
        roles = {s.role for s, _ev in bad}
        fix = (FIX_FILTER_SPF if spf_policy.FILTER in roles else
               FIX_HYBRID_SPF if spf_policy.ON_PREMISES in roles else _spf_fix(spec))
        return Check(cid, FAIL, f"SPF does not pass every sender: {shown}", expected, observed, fix)
    unsure = _incomplete(spec, cid, [ev for _s, ev in results], _spf_fix(spec))
    if unsure:
        return unsure
    said = ("The listed sender passes SPF" if len(results) == 1
            else f"All {len(results)} senders pass SPF")
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
