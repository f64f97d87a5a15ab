"""The DNS checks of CONTRACT.md ("Check ids and their verdicts"), judged from lookups.

Every lookup a domain needs up front is in :func:`base_queries` (the SPF tree adds its own);
what depends on those answers is in :func:`dependent_queries` (one more wave: DMARC report
authorization names, the MTA-STS policy host's addresses). The MTA-STS policy itself is fetched
over HTTPS by the engine (``engine._prefetch_dependent``) and read here from the answers as a
lookup of type ``MTA-STS``; checks never fetch it. :func:`evaluate` reads them back from the
resolver's cache, hands the record sets to the pure parsers (mx, spf, dmarc, dkim, mtasts,
tlsrpt) and turns what they find into :class:`~macros.model.Check`
verdicts. A check whose lookups got no definite answer (timeout, SERVFAIL, ...) is ``unknown``,
never ``fail``. DNS text stays plain strings here: the renderer escapes it.
"""

from __future__ import annotations

from dataclasses import replace

from . import dkim as dkim_mod
from . import dmarc as dmarc_mod
from . import mtasts
from . import mx as mx_mod
from . import spf
from . import tlsrpt
from . import tenant as tenant_mod
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
FIX_FILTER_SPF = "common-issues/#filter-outbound-ip-missing-from-spf"
FIX_SPF_MISSING = "common-issues/#spf-missing"
FIX_SPF_M365 = "common-issues/#spf-m365-missing"
FIX_PLUS_ALL = "common-issues/#spf-plus-all"
FIX_DMARC = "common-issues/#dmarc"
FIX_DKIM = "common-issues/#dkim"
FIX_AUTODISCOVER = "common-issues/#autodiscover"
FIX_DMARC_REPORTS = "reference/checks/#dmarc-reports"
FIX_MTA_STS = "mail-standards/mta-sts/#publish-a-policy"
FIX_MTA_STS_MX = "mail-standards/mta-sts/#mx-lines"
FIX_TLS_RPT = "mail-standards/mta-sts/#tls-rpt"


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
    ] + spf_policy.lookups(spec) + standards_queries(spec)


def evaluate(spec: DomainSpec, answers: Answers, spf_outcome: "spf_policy.Outcome",
             export: "tenant_mod.Export | None" = None) -> list[Check]:
    """All checks for ``spec``, in :data:`~macros.model.CHECK_IDS` order, from answers only.

    ``answers`` is a read-only mapping of lookups (the engine resolved every one the checks
    read); ``spf_outcome`` the evaluations of :mod:`macros.spf.policy` (every SPF verdict comes
    from them; the include tree pages draw is not read here). A lookup missing from
    ``answers`` reads as an error (unknown), never as an absent record. ``export``: the tenant's
    Exchange Online export for the tenant checks (:mod:`macros.tenant`), None without one.
    """
    def get(name: str, rdtype: str) -> Lookup:
        found = answers.get(name, rdtype)
        return found if found is not None else Lookup(name, rdtype, ERROR, reason="not looked up")

    mx_l, txt_l, dmarc_l, sel1_l, sel2_l, ad_l, exo_l = (get(*q) for q in base_queries(spec)[:7])
    std = _Standards(spec, answers)
    checks = [
        mx_route(spec, mx_l),
        exo_host(spec, exo_l, mx_l),
        spf_present(spec, txt_l),
        spf_m365(spec, txt_l, spf_outcome),
        spf_all(spec, txt_l, spf_outcome),
        spf_lookups(spec, txt_l, spf_outcome),
        spf_senders(spec, txt_l, spf_outcome),
        dmarc(spec, std.walk, std.walk_failed),
        dmarc_reports(spec, std.walk, std.report_auth, std.walk_failed),
        dkim(spec, sel1_l, sel2_l, mx_l),
        autodiscover(spec, ad_l),
        mta_sts(spec, std.sts_txt, std.policy, mx_l, std.policy_host),
        tls_rpt(spec, std.tlsrpt_txt, std.sts_txt),
        # the tenant checks, from the tenant's export (``info`` without one)
        *tenant_mod.evaluate(spec, export, sel1_l, sel2_l),
    ]
    assert tuple(c.id for c in checks) == CHECK_IDS
    return same_cause(spec, txt_l, checks)


#: SPF checks whose failure follows from ``spf-present``'s when a domain publishes several SPF
#: records (RFC 7208 section 4.5: every evaluation is permerror).
SPF_DEPENDENT = ("spf-m365", "spf-all", "spf-lookups", "spf-senders")


def same_cause(spec: DomainSpec, txt: Lookup, checks: list[Check]) -> list[Check]:
    """One root cause, one message (issue 13): with several SPF records, the failing SPF checks
    that evaluate the policy keep their status (``fail``, as the contract says) but carry
    ``cause="spf-present"`` and its fix, so pages say the cause once with one Fix link."""
    if not _spf_root_cause(spec, txt):
        return checks
    return [replace(c, cause="spf-present", fix=FIX_TWO_SPF) if c.id in SPF_DEPENDENT and c.status == FAIL else c
            for c in checks]


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
        "spf-m365": f"check_host gives pass for one address of every range of {M365_SPF_INCLUDE} "
                    "(and of every network the domain's own record carves out of one)",
        "spf-all": "check_host gives fail for unlisted senders (192.0.2.1, 2001:db8::1)",
        "spf-lookups": (f"every evaluation within at most {spf.MAX_DNS_TERMS} DNS-querying terms "
                        f"and {spf.MAX_VOID_LOOKUPS} void lookups, no permerror"),
        "spf-senders": "check_host gives pass for every listed sender IP",
        "dmarc": ("one valid v=DMARC1 record (its own, else found by the RFC 9989 tree walk) with "
                  "p=quarantine or p=reject, no t=y, no pct below 100"),
        "dmarc-reports": ("at least one rua, every destination outside the domain authorizing it "
                          "(<domain>._report._dmarc.<destination> TXT v=DMARC1)"),
        "mta-sts": ("_mta-sts TXT v=STSv1; id=... and a policy in mode: enforce whose mx lines "
                    "match every MX host (RFC 8461)"),
        "tls-rpt": "one valid _smtp._tls TXT v=TLSRPTv1; rua=... (RFC 8460)",
        "dkim": ("selector1/selector2._domainkey CNAMEs to exactly "
                 + " and ".join(t for _, t in spec.dkim_targets) + " (dkim_targets), each publishing a key"
                 if spec.dkim_targets else
                 f"selector1/selector2._domainkey CNAMEs to "
                 f"selectorN-{spec.dashed}[suffix]._domainkey.{spec.tenant or '<tenant>'}"
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
        "dmarc-reports": FIX_DMARC_REPORTS,
        "dkim": FIX_DKIM,
        "autodiscover": FIX_AUTODISCOVER,
        "mta-sts": FIX_MTA_STS,
        "tls-rpt": FIX_TLS_RPT,
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
                         f"{_verb(route.hosts, 'points', 'point')} at Exchange Online as expected"
                         f"{_exo_form(route.hosts)}", expected, observed, fix)
        others = tuple(h for h in route.hosts if h.kind != mx_mod.EXCHANGE_ONLINE)
        return Check(cid, FAIL, f"MX {_names(others)} {_verb(others, 'is', 'are')} not Exchange "
                     "Online (*.mail.protection.outlook.com or *.mx.microsoft), so mail does not go "
                     "straight to the tenant", expected, observed, fix)
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


def _exo_form(hosts) -> str:
    """`` (mx.microsoft: DNSSEC-capable, inbound DANE)`` when an Exchange Online host has the
    newer form (Microsoft Learn, "How SMTP DANE works": the MX of a domain with inbound SMTP
    DANE with DNSSEC is under mx.microsoft), else ``""``."""
    if any(h.host.endswith(".mx.microsoft.") for h in hosts):
        return " (mx.microsoft: DNSSEC-capable, inbound DANE)"
    return ""


def exo_host(spec: DomainSpec, lookup: Lookup, mx_lookup: Lookup | None = None) -> Check:
    """The tenant's own Exchange Online host resolves (the filter delivers to it).

    When it does not, the reason says where the real host is read: an Exchange Online host
    in the domain's own MX, else the Microsoft 365 admin center (the domain's DNS records) or
    the MX value ``Enable-DnssecForVerifiedDomain`` prints (Microsoft Learn,
    Enable-DnssecForVerifiedDomain: "the output of this cmdlet is an MX record value") and
    ``Get-DnssecStatusForVerifiedDomain`` shows (``ExpectedMxRecord``).
    """
    cid, expected = "exo-host", _expected(spec, "exo-host")
    host = spec.expected_exo_host.rstrip(".")
    if not lookup.definite:
        return _not_definite(spec, cid, lookup)
    if lookup.found:
        return Check(cid, PASS, f"{host} resolves: the filter has a host to deliver to (that the tenant "
                     "accepts the domain is not shown by DNS; see accepted-domain)",
                     expected, lookup.describe(), FIX_EXO_HOST)
    seen = ()
    if mx_lookup is not None and mx_lookup.found:
        seen = tuple(h.name for h in mx_mod.route(mx_lookup.values).of_kind(mx_mod.EXCHANGE_ONLINE)
                     if h.host != spec.expected_exo_host)
    why = ("the filter may deliver to the wrong Exchange Online host" if spec.third_party else
           "compare it with the MX value the Microsoft 365 admin center shows")
    if seen:
        where = f"the MX points at {seen[0]}: set exo_host: {seen[0]}"
    else:
        where = ("read the real host (e.g. <token>.<x>-v1.mx.microsoft) in the admin center or from "
                 "Enable-DnssecForVerifiedDomain / Get-DnssecStatusForVerifiedDomain, then set exo_host")
    return Check(cid, WARN, f"{host} does not resolve: {why}; {where}", expected,
                 lookup.describe(), FIX_WRONG_EXO_HOST)


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
                     FIX_SPF_MISSING)
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
                     FIX_TWO_SPF if cause else FIX_SPF_M365)
    unsure = _incomplete(spec, cid, evaluations, fix)
    if unsure:
        return unsure
    networks = len({net for net, _ev in outcome.m365})
    return Check(cid, PASS, f"Every one of Microsoft 365's {networks} address ranges "
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
                     f"internet may send as {spec.name}", expected, observed, FIX_PLUS_ALL)
    broken = [ev for ev in evaluations if ev.result == R.PERMERROR]
    if broken:
        cause = _spf_root_cause(spec, txt)
        if cause:
            return Check(cid, FAIL, f"An unlisted sender gets permerror, not fail: {cause}",
                         expected, observed, FIX_TWO_SPF)
        return Check(cid, FAIL, f"SPF evaluation ends in permerror ({broken[0].explanation}): "
                     "receivers may treat the domain's mail as failing SPF or ignore SPF altogether",
                     expected, observed, FIX_LOOKUPS)
    unsure = _incomplete(spec, cid, evaluations, fix)
    if unsure:
        return unsure
    results = {ev.result for ev in evaluations}
    if results == {R.FAIL}:
        return Check(cid, PASS, "An unlisted sender gets fail (-all): receivers that check SPF "
                     "may refuse mail from servers the record does not list; what they do is "
                     "their choice", expected, observed, fix)
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
        if cause:
            reason = f"SPF is broken (permerror): {cause}"
        elif ev.loop:
            reason = (f"The SPF policy has an include loop: {' -> '.join(ev.loop)} (evaluation "
                      "ends in permerror)")
        elif ev.limit == spf.Limit.DNS_TERMS:
            where = f"; the {spf.MAX_DNS_TERMS + 1}th is {ev.broke}" if ev.broke else ""
            reason = (f"Evaluation for {ev.ip} needs more than {spf.MAX_DNS_TERMS} DNS-querying "
                      f"terms{where}, so receivers return permerror")
        elif ev.limit == spf.Limit.VOID_LOOKUPS:
            where = f"; the one over the limit: {ev.broke}" if ev.broke else ""
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


def _walk_observed(walk: "dmarc_mod.Discovery") -> str:
    if not walk.records:
        return "no DMARC record"
    where = "" if walk.own else f" (at _dmarc.{walk.found_at}, tree walk)"
    return " | ".join(walk.records) + where


def dmarc(spec: DomainSpec, walk: "dmarc_mod.Discovery", failed: Lookup | None = None) -> Check:
    """The DMARC policy that applies (RFC 9989; see macros/dmarc.py for what changed from
    RFC 7489): the domain's own record, else the one the DNS tree walk finds, whose ``sp``
    (``np`` when the domain does not exist), else ``p``, applies."""
    cid, expected = "dmarc", _expected(spec, "dmarc")
    if walk.status == dmarc_mod.UNKNOWN and failed is not None:
        return _not_definite(spec, cid, failed)
    if walk.status == dmarc_mod.UNKNOWN:
        return Check(cid, UNKNOWN, f"Could not check: {walk.reason}", expected, "not checked",
                     FIX_DMARC)
    observed = _walk_observed(walk)
    if walk.status == dmarc_mod.MISSING:
        return Check(cid, WARN, f"{spec.name} has no DMARC record, nor does any parent domain: "
                     "receivers get no policy for forged mail", expected, observed, FIX_DMARC)
    if walk.status == dmarc_mod.MULTIPLE:
        return Check(cid, FAIL, f"{spec.name} has {len(walk.records)} DMARC records: receivers "
                     "apply none of them", expected, observed, FIX_DMARC)
    record = walk.record
    if walk.status == dmarc_mod.INVALID:
        whose = spec.name if walk.own else f"{walk.found_at} (which {spec.name} inherits)"
        return Check(cid, FAIL, f"The DMARC record of {whose} is invalid: {record.errors[0]}",
                     expected, observed, FIX_DMARC)
    policy = walk.policy
    source = ("" if walk.own else
              f" (from _dmarc.{walk.found_at} by the tree walk, its {walk.tag}=)")
    if record.p_defaulted and walk.tag == "p":
        return Check(cid, WARN, f"The DMARC record{source} has no p=; with a valid rua it counts as "
                     "p=none (RFC 9989): reports only", expected, observed, FIX_DMARC)
    if policy == "none":
        return Check(cid, WARN, f"DMARC is {walk.tag}=none{source}: reports only, forged mail is "
                     "still delivered", expected, observed, FIX_DMARC)
    if record.testing:
        return Check(cid, WARN, f"DMARC is {walk.tag}={policy}{source} but t=y (test mode, RFC 9989): "
                     "receivers apply one level less", expected, observed, FIX_DMARC)
    if record.pct < 100:
        return Check(cid, WARN, f"DMARC is {walk.tag}={policy}{source} with pct={record.pct}: RFC 9989 "
                     "removed pct, but older receivers still apply the policy to "
                     f"{record.pct}% of forged mail only", expected, observed, FIX_DMARC)
    return Check(cid, PASS, f"DMARC is {walk.tag}={policy}{source}: receivers act on forged mail",
                 expected, observed, FIX_DMARC)


def _exo_tokens(spec: DomainSpec, mx_lookup: Lookup | None) -> tuple[str, ...]:
    """The domain's Exchange Online MX tokens: from its MX and from ``exo_host``."""
    hosts = [spec.exo_host] if spec.exo_host else []
    if mx_lookup is not None and mx_lookup.found:
        hosts += [h.host for h in mx_mod.route(mx_lookup.values).of_kind(mx_mod.EXCHANGE_ONLINE)]
    return tuple(t for t in map(dkim_mod.exo_token, hosts) if t)


def dkim(spec: DomainSpec, sel1: Lookup, sel2: Lookup, mx_lookup: Lookup | None = None) -> Check:
    """selector1/selector2 are CNAMEs to this domain's Microsoft 365 keys (RFC 6376 section 3.6):
    exactly the ``dkim_targets`` when set, else either Microsoft 365 form (macros/dkim.py)."""
    cid, expected = "dkim", _expected(spec, "dkim")
    tokens = _exo_tokens(spec, mx_lookup)
    exact = dict(spec.dkim_targets)
    judged = [dkim_mod.judge_selector(n, spec.ascii, spec.tenant, lk.status, lk.chain, lk.values,
                                      lk.cname_loop, known_tokens=tokens,
                                      exact_target=exact.get(f"selector{n}"))
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
    how = "the dkim_targets" if exact else "Microsoft 365"
    return Check(cid, PASS, f"selector1 and selector2 point at {how} ({where}) and "
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


# ---- DMARC reports, MTA-STS, TLS-RPT (RFC 9989/9990, RFC 8461, RFC 8460) ---------------------

#: At most this many external report destinations are looked up for authorization per domain
#: (a record could list hundreds); more makes dmarc-reports a warn that says how many went unchecked.
MAX_REPORT_DESTINATIONS = 8


def standards_queries(spec: DomainSpec) -> list[tuple[str, str]]:
    """The base lookups of the newer checks: MTA-STS and TLS-RPT TXT, and the parents the DMARC
    tree walk may need (derived from the name alone, so they join the first wave; parents are
    shared between domains, so they cost little)."""
    apex = spec.fqdn
    return [("_mta-sts." + apex, "TXT"), ("_smtp._tls." + apex, "TXT"),
            *((name, "TXT") for name in dmarc_mod.walk_names(spec.ascii)[1:])]


def _walk(spec: DomainSpec, get) -> "dmarc_mod.Discovery | None":
    """The tree walk from ``get(name, type) -> Lookup | None``, with the organizational domain
    the same answers give; None when a needed lookup is missing from ``get`` (not asked yet)."""
    answers = []
    for name in dmarc_mod.walk_names(spec.ascii):
        lookup = get(name, "TXT")
        if lookup is None:
            return None
        answers.append((name, lookup.definite, lookup.values if lookup.found else ()))
    return replace(dmarc_mod.walk(answers, _exists(spec, get)),
                   organization=dmarc_mod.organizational_domain(spec.ascii, answers))


def _exists(spec: DomainSpec, get) -> bool:
    """False when the domain itself does not exist (NXDOMAIN): RFC 9989's ``np`` applies."""
    lookup = get(spec.fqdn, "MX")
    return lookup is None or lookup.status != NXDOMAIN


def report_destinations(record: "dmarc_mod.Record", domain: str,
                        organization: str = "") -> list[tuple[str, str, bool]]:
    """(uri, destination domain, outside) for every mailto: URI of ``rua`` and ``ruf``.

    "Outside" (RFC 9990: the destination's organizational domain differs, so it must authorize
    the reports): the destination is neither the domain, a parent or child of it, nor in its
    ``organization`` (the organizational domain the RFC 9989 tree walk finds).
    """
    out, seen = [], set()
    for uri in record.rua + record.ruf:
        scheme, _, rest = uri.partition(":")
        if scheme.lower() != "mailto" or "@" not in rest:
            continue
        dest = rest.rsplit("@", 1)[1].split("!", 1)[0].split("?", 1)[0].strip().lower().rstrip(".")
        if not dest or dest in seen:
            continue
        seen.add(dest)
        inside = any(dest == d or dest.endswith("." + d) or d.endswith("." + dest)
                     for d in (domain, organization) if d)
        out.append((uri, dest, not inside))
    return out


def external_destinations(record: "dmarc_mod.Record", domain: str, organization: str = "") -> list[str]:
    """The destinations outside the domain (see :func:`report_destinations`), in record order."""
    return [dest for _, dest, outside in report_destinations(record, domain, organization) if outside]


def checked_destinations(record: "dmarc_mod.Record", domain: str, organization: str = "") -> list[str]:
    """The external destinations whose authorization is looked up: the first
    :data:`MAX_REPORT_DESTINATIONS` of them."""
    return external_destinations(record, domain, organization)[:MAX_REPORT_DESTINATIONS]


def report_auth_name(domain: str, dest: str) -> str:
    """RFC 9990 (formerly RFC 7489 section 7.1): ``<domain>._report._dmarc.<destination>``."""
    return f"{domain}._report._dmarc.{dest}."


def dependent_queries(spec: DomainSpec, get) -> list[tuple[str, str]]:
    """The lookups that depend on first answers (one extra wave): the report authorization
    names of external DMARC report destinations, and ``mta-sts.<domain>``'s addresses when a
    valid ``_mta-sts`` record asks for a policy fetch. ``get(name, type)`` reads the cache."""
    keys: list[tuple[str, str]] = []
    walk = _walk(spec, get)
    if walk is not None and walk.record is not None:
        for dest in checked_destinations(walk.record, walk.found_at, walk.organization):
            keys.append((report_auth_name(walk.found_at, dest), "TXT"))
    if needs_policy(spec, get):
        host = mtasts.lookup_name(spec.fqdn)
        keys += [(host, "A"), (host, "AAAA")]
    return keys


def needs_policy(spec: DomainSpec, get) -> bool:
    """A valid ``_mta-sts`` record is published, so senders fetch the policy (RFC 8461 3.1)."""
    sts = get("_mta-sts." + spec.fqdn, "TXT")
    return sts is not None and sts.found and mtasts.parse_txt(sts.values).valid


class _Standards:
    """What the newer checks read for one domain, from the answers of :func:`evaluate`."""

    def __init__(self, spec: DomainSpec, answers: Answers):
        def get(name: str, rdtype: str) -> Lookup:
            found = answers.get(name, rdtype)
            return found if found is not None else Lookup(name, rdtype, ERROR, reason="not looked up")

        self.walk = _walk(spec, get)
        #: the lookup that left the walk undecided, if any
        self.walk_failed = get(self.walk.unknown_name, "TXT") if self.walk.unknown_name else None
        self.sts_txt = get("_mta-sts." + spec.fqdn, "TXT")
        self.tlsrpt_txt = get("_smtp._tls." + spec.fqdn, "TXT")
        #: None when no fetch was made (the check is then unknown)
        self.policy = answers.get(mtasts.lookup_name(spec.fqdn), mtasts.RDTYPE)
        #: the policy host's address lookups (None where not made)
        self.policy_host = [answers.get(mtasts.lookup_name(spec.fqdn), t) for t in ("A", "AAAA")]
        self.report_auth = {}
        if self.walk.record is not None:
            for dest in checked_destinations(self.walk.record, self.walk.found_at, self.walk.organization):
                self.report_auth[dest] = get(report_auth_name(self.walk.found_at, dest), "TXT")


def dmarc_reports(spec: DomainSpec, walk: "dmarc_mod.Discovery", auth: dict,
                  failed: Lookup | None = None) -> Check:
    """Aggregate reports reach someone: at least one ``rua``, and every destination outside
    the domain authorizes it with a ``v=DMARC1`` TXT record at
    ``<domain>._report._dmarc.<destination>`` (RFC 9990, before it RFC 7489 section 7.1);
    otherwise receivers drop the reports without a word."""
    cid, expected, fix = "dmarc-reports", _expected(spec, "dmarc-reports"), FIX_DMARC_REPORTS
    if walk.status == dmarc_mod.UNKNOWN and failed is not None:
        return _not_definite(spec, cid, failed)
    if walk.status == dmarc_mod.UNKNOWN:
        return Check(cid, UNKNOWN, f"Could not check: {walk.reason}", expected, "not checked", fix)
    if walk.status != dmarc_mod.VALID:
        what = {dmarc_mod.MISSING: "there is no DMARC record", dmarc_mod.MULTIPLE:
                "there are several DMARC records", dmarc_mod.INVALID: "the DMARC record is invalid"}
        return Check(cid, WARN, f"No DMARC reports arrive: {what[walk.status]}", expected,
                     _walk_observed(walk), fix)
    record = walk.record
    observed_rua = "rua=" + ",".join(record.rua) if record.rua else "no rua"
    if not record.rua:
        return Check(cid, WARN, "The DMARC record has no rua: nobody receives aggregate reports",
                     expected, observed_rua, fix)
    missing, unsure = [], []
    for dest, lookup in auth.items():
        if lookup is None or not lookup.definite:
            unsure.append(dest)
        elif not (lookup.found and dmarc_mod.select(lookup.values)):
            missing.append(dest)
    owner = walk.found_at
    if missing:
        names = ", ".join(report_auth_name(owner, d).rstrip(".") for d in missing)
        return Check(cid, WARN, f"{', '.join(missing)} {_verb(missing, 'does', 'do')} not authorize "
                     f"reports for {owner} (no v=DMARC1 at {names}): receivers drop those reports",
                     expected, observed_rua, fix)
    if unsure:
        return Check(cid, UNKNOWN, f"Could not check: the authorization lookup for {unsure[0]} got "
                     "no definite answer", expected, observed_rua, fix)
    outside = external_destinations(record, owner, walk.organization)
    if len(outside) > len(auth):
        return Check(cid, WARN, f"{len(outside)} external report destinations: the first {len(auth)} "
                     f"authorize reports for {owner}, the other {len(outside) - len(auth)} were not "
                     f"checked ({', '.join(outside[len(auth):][:3])}{', ...' if len(outside) - len(auth) > 3 else ''})",
                     expected, observed_rua, fix)
    outside = len(auth)
    tail = (f"; {outside} external destination(s) authorize them" if outside
            else "; every destination is inside the domain")
    return Check(cid, PASS, f"DMARC aggregate reports go to {len(record.rua)} address(es){tail}",
                 expected, observed_rua, fix)


def _no_answer(spec: DomainSpec, cid: str, lookup: Lookup | None, what: str) -> Check | None:
    """``unknown`` when the lookup was not made or got no definite answer, else None."""
    if lookup is None:
        return Check(cid, UNKNOWN, f"Could not check: the {what} lookup was not made",
                     _expected(spec, cid), "not checked", _default_fix(spec, cid))
    if not lookup.definite:
        return _not_definite(spec, cid, lookup)
    return None


def mta_sts(spec: DomainSpec, txt: Lookup | None, policy: Lookup | None, mx_lookup: Lookup,
            host_lookups=()) -> Check:
    """MTA-STS (RFC 8461): the ``_mta-sts`` record (section 3.1), the policy fetched over HTTPS
    with a verified certificate (sections 3.2, 3.3), its mode and whether its ``mx`` patterns
    match every MX host (section 4.1). In ``enforce`` mode an MX host no pattern matches gets
    no mail from senders that honour MTA-STS: the classic after moving the MX to a filter.
    ``host_lookups``: the A/AAAA lookups of ``mta-sts.<domain>``; when none found an address
    and one got no definite answer, whether a policy can be fetched is unknown."""
    cid, expected, fix = "mta-sts", _expected(spec, "mta-sts"), FIX_MTA_STS
    early = _no_answer(spec, cid, txt, "_mta-sts")
    if early:
        return early
    record = mtasts.parse_txt(txt.values if txt.found else ())
    if not record.published:
        return Check(cid, INFO, f"{spec.name} publishes no MTA-STS record (_mta-sts): optional, "
                     "senders use opportunistic TLS", expected, "no v=STSv1 record", fix)
    shown_txt = " | ".join(record.records)
    if not record.valid:
        return Check(cid, WARN, f"The _mta-sts record is unusable: {record.error}", expected,
                     shown_txt, fix)
    if policy is None or (policy.status == ERROR and not policy.server):
        why = f" ({policy.reason})" if policy is not None and policy.reason else ""
        return Check(cid, UNKNOWN, f"Could not check: the MTA-STS policy was not fetched{why}",
                     expected, shown_txt, fix)
    if not policy.found:
        asked = [lk for lk in host_lookups if lk is not None]
        blind = next((lk for lk in asked if not lk.definite), None)
        if blind is not None and not any(lk.found for lk in asked):
            return _not_definite(spec, cid, blind)
        why = policy.reason or policy.describe()
        return Check(cid, WARN, f"_mta-sts is published but the policy cannot be fetched: {why}",
                     expected, f"{shown_txt}; policy: none", fix)
    parsed = mtasts.from_lines(policy.values)
    observed = f"{shown_txt}; policy: " + ", ".join(policy.values)
    if not mx_lookup.definite:
        return _not_definite(spec, cid, mx_lookup)
    hosts = [h.name for h in mx_mod.route(mx_lookup.values if mx_lookup.found else ()).hosts
             if h.kind not in (mx_mod.NULL, mx_mod.INVALID)]
    stale = mtasts.unmatched(hosts, parsed.mx)
    patterns = ", ".join(parsed.mx) or "none"
    if parsed.mode == "enforce":
        if stale:
            return Check(cid, FAIL, f"MTA-STS is mode: enforce but MX {', '.join(stale)} "
                         f"{_verb(stale, 'matches', 'match')} no mx line ({patterns}): senders that "
                         "honour MTA-STS cannot deliver", expected, observed, FIX_MTA_STS_MX)
        return Check(cid, PASS, f"MTA-STS is mode: enforce and its mx lines ({patterns}) match "
                     "every MX host", expected, observed, fix)
    if parsed.mode == "testing":
        extra = (f"; MX {', '.join(stale)} would fail under enforce" if stale else "")
        return Check(cid, WARN, f"MTA-STS is mode: testing: senders report but still deliver "
                     f"without verified TLS{extra}", expected, observed,
                     FIX_MTA_STS_MX if stale else fix)
    return Check(cid, WARN, "MTA-STS is mode: none: the policy is switched off", expected,
                 observed, fix)


def tls_rpt(spec: DomainSpec, txt: Lookup | None, sts_txt: Lookup | None) -> Check:
    """SMTP TLS reporting (RFC 8460 section 3): one valid ``_smtp._tls`` record. Without one,
    a domain that publishes MTA-STS never hears that senders fail to deliver to it."""
    cid, expected, fix = "tls-rpt", _expected(spec, "tls-rpt"), FIX_TLS_RPT
    early = _no_answer(spec, cid, txt, "_smtp._tls")
    if early:
        return early
    record = tlsrpt.parse(txt.values if txt.found else ())
    if record.status == tlsrpt.VALID:
        return Check(cid, PASS, f"TLS reports go to {', '.join(record.rua)}", expected,
                     record.records[0], fix)
    if record.status in (tlsrpt.INVALID, tlsrpt.MULTIPLE):
        return Check(cid, FAIL, f"The _smtp._tls record is unusable: {record.error}", expected,
                     " | ".join(record.records), fix)
    early = _no_answer(spec, cid, sts_txt, "_mta-sts")
    if early:
        return early
    if mtasts.parse_txt(sts_txt.values if sts_txt.found else ()).published:
        return Check(cid, WARN, f"{spec.name} publishes MTA-STS but no TLS-RPT record: nobody "
                     "hears when senders fail to deliver over TLS", expected, "no v=TLSRPTv1 record",
                     fix)
    return Check(cid, INFO, f"{spec.name} publishes no TLS-RPT record (optional without MTA-STS)",
                 expected, "no v=TLSRPTv1 record", fix)
