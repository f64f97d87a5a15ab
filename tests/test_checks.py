"""macros/checks.py against a real BIND 9 serving tests/zones/: every check id and every verdict
of CONTRACT.md's table, for the three scenarios done right and done wrong, plus the IDN domain,
CNAME chains, NODATA vs NXDOMAIN, a TXT answer too large for UDP, and lookups that get no
definite answer (which are ``unknown``, never ``fail``)."""

import socket

import dns.flags
import dns.message
import dns.query
import pytest

from macros import checks, config, engine, model
from macros.model import FAIL, INFO, PASS, UNKNOWN, WARN
from macros.tenant import TENANT_CHECK_IDS
from macros.resolve import Resolver
from tests.support.bind import BindError

TP = "third-party-filter"
EXO = "exchange-online"
HYBRID = "hybrid-third-party"
ONPREM = "198.51.100.25"        # the on-premises server of the hybrid zones
HORNET_IP = "94.100.132.8"      # inside spf.hornetsecurity.com's ip4:94.100.128.0/20
#: the DNS checks; the tenant checks (info here: no export) are tested in tests/test_tenant.py
DNS_IDS = tuple(cid for cid in model.CHECK_IDS if cid not in TENANT_CHECK_IDS)


def make_spec(name, scenario=TP, **fields):
    if scenario != EXO and "filter_mx" not in fields:
        fields.setdefault("filter", "hornetsecurity")
    entry = {"name": name, "scenario": scenario, **fields}
    return config.from_data({"domains": [entry]}).domains[0]


@pytest.fixture(scope="module")
def resolver(bind_server):
    return Resolver(bind_server.nameservers, timeout=1, lifetime=2)


def run(resolver, name, scenario=TP, **fields) -> dict[str, model.Check]:
    result = engine.check_domain(make_spec(name, scenario, **fields), resolver)
    assert [c.id for c in result] == list(model.CHECK_IDS)
    for check in result:
        assert check.status in model.CHECK_STATUSES
        assert check.reason and "\n" not in check.reason
        assert check.expected and isinstance(check.observed, str) and check.fix
        assert not check.fix.startswith("/") and "#" in check.fix
    assert {c.status for c in result if c.id in TENANT_CHECK_IDS} == {INFO}  # no export
    return {c.id: c for c in result if c.id in DNS_IDS}


# (domain, scenario, extra domains.yml fields, check id, status, words in the reason, fix or None)
CASES = [
    # ---- mx-route ----
    ("contoso.example", TP, {}, "mx-route", PASS, "mx04.hornetsecurity.com point at Hornetsecurity as expected",
     "scenarios/third-party-filter/#mx-record"),
    ("exo.example", EXO, {}, "mx-route", PASS, "exo-example.mail.protection.outlook.com points at Exchange Online",
     "scenarios/exchange-online/#mx-record"),
    ("newmx.example", EXO, {}, "mx-route", PASS, "newmx-example.r-v1.mx.microsoft points at Exchange Online", None),
    ("hybrid.example", HYBRID, {"onprem_ips": [ONPREM]}, "mx-route", PASS, "Hornetsecurity",
     "scenarios/hybrid-third-party/#mx-record"),
    ("otherfilter.example", TP, {"filter": "mimecast"}, "mx-route", PASS, "point at Mimecast as expected", None),
    ("otherfilter.example", TP, {"filter_mx": ["*.mimecast.com"]}, "mx-route", PASS,
     "point at the filtering service as expected", None),
    ("bypass.example", TP, {}, "mx-route", FAIL,
     "MX bypass-example.mail.protection.outlook.com delivers straight to Exchange Online, bypassing Hornetsecurity",
     "common-issues/#mx-bypasses-filter"),
    ("exo.example", HYBRID, {}, "mx-route", FAIL, "bypassing Hornetsecurity", "common-issues/#mx-bypasses-filter"),
    ("otherfilter.example", TP, {}, "mx-route", FAIL,
     "eu-smtp-inbound-1.mimecast.com, eu-smtp-inbound-2.mimecast.com are not Hornetsecurity",
     "scenarios/third-party-filter/#mx-record"),
    ("contoso.example", EXO, {}, "mx-route", FAIL, "are not Exchange Online", "scenarios/exchange-online/#mx-record"),
    ("nomx.example", TP, {}, "mx-route", FAIL, "nomx.example has no MX record", None),
    ("gone.example", TP, {}, "mx-route", FAIL, "gone.example does not exist (NXDOMAIN)", None),
    ("nullmx.example", TP, {}, "mx-route", FAIL, "null MX (RFC 7505)", None),
    ("servfail.example", TP, {}, "mx-route", UNKNOWN, "MX lookup of servfail.example failed (SERVFAIL)",
     "scenarios/third-party-filter/#mx-record"),
    # ---- exo-host ----
    ("contoso.example", TP, {}, "exo-host", PASS, "contoso-example.mail.protection.outlook.com resolves",
     "scenarios/third-party-filter/#exchange-online-host"),
    ("noexo.example", TP, {"exo_host": "contoso-example.mail.protection.outlook.com"}, "exo-host", PASS,
     "contoso-example.mail.protection.outlook.com resolves", None),
    ("noexo.example", TP, {}, "exo-host", WARN, "noexo-example.mail.protection.outlook.com does not resolve",
     "common-issues/#wrong-exo-host"),
    ("contoso.example", TP, {"exo_host": "wrong-host.mail.protection.outlook.com"}, "exo-host", WARN,
     "wrong-host.mail.protection.outlook.com does not resolve", "common-issues/#wrong-exo-host"),
    ("ad-a.example", EXO, {"exo_host": "wrong-host.mail.protection.outlook.com"}, "exo-host", WARN,
     "compare it with the MX value the Microsoft 365 admin center shows", "common-issues/#wrong-exo-host"),
    ("contoso.example", TP, {"exo_host": "exo.servfail.example"}, "exo-host", UNKNOWN,
     "A lookup of exo.servfail.example failed", None),
    # ---- spf-present ----
    ("contoso.example", TP, {}, "spf-present", PASS, "contoso.example has one SPF record",
     "scenarios/third-party-filter/#spf-record"),
    ("nospf.example", TP, {}, "spf-present", FAIL, "nospf.example has no SPF record",
     "common-issues/#spf-missing"),
    ("twospf.example", TP, {}, "spf-present", FAIL, "has 2 SPF records", "common-issues/#two-spf-records"),
    ("gone.example", TP, {}, "spf-present", FAIL, "does not exist (NXDOMAIN)", None),
    ("servfail.example", TP, {}, "spf-present", UNKNOWN, "TXT lookup of servfail.example failed", None),
    # ---- spf-m365 ----
    ("contoso.example", TP, {}, "spf-m365", PASS, "Microsoft 365's 11 address ranges (spf.protection.outlook.com) gets pass",
     "scenarios/third-party-filter/#spf-record"),
    ("nested.example", TP, {}, "spf-m365", PASS, "11 address ranges", None),
    ("redirect.example", TP, {}, "spf-m365", PASS, "11 address ranges", None),
    ("nom365.example", TP, {}, "spf-m365", FAIL, "does not pass SPF: 40.92.0.1 (40.92.0.0/15) gets fail",
     "common-issues/#spf-m365-missing"),
    ("nospf.example", EXO, {}, "spf-m365", FAIL, "gets none", "common-issues/#spf-m365-missing"),
    ("twospf.example", TP, {}, "spf-m365", FAIL, "publishes 2 SPF records, so every evaluation ends in permerror", None),
    ("syntax.example", TP, {}, "spf-m365", FAIL, "gets permerror", None),
    ("servfail.example", TP, {}, "spf-m365", UNKNOWN, "TXT lookup of servfail.example failed", None),
    # ---- spf-all ----
    ("contoso.example", TP, {}, "spf-all", PASS, "An unlisted sender gets fail (-all)", "scenarios/third-party-filter/#spf-record"),
    ("redirect.example", TP, {}, "spf-all", PASS, "An unlisted sender gets fail", None),
    ("softfail.example", TP, {}, "spf-all", WARN, "gets softfail (~all)", "common-issues/#spf-softfail"),
    ("neutral.example", TP, {}, "spf-all", WARN, "gets neutral", "scenarios/third-party-filter/#spf-record"),
    ("noall.example", TP, {}, "spf-all", WARN, "no all term", "scenarios/third-party-filter/#spf-record"),
    ("nospf.example", TP, {}, "spf-all", WARN, "no SPF record", None),
    ("plusall.example", TP, {}, "spf-all", FAIL, "gets pass: anyone on the internet may send as plusall.example",
     "common-issues/#spf-plus-all"),
    ("servfail.example", TP, {}, "spf-all", UNKNOWN, "TXT lookup of servfail.example failed", None),
    # ---- spf-lookups ----
    ("contoso.example", TP, {}, "spf-lookups", PASS, "at most 2 of 10 DNS-querying terms and 0 of 2 void lookups",
     "common-issues/#too-many-spf-lookups"),
    ("nested.example", TP, {}, "spf-lookups", PASS, "at most 3 of 10 DNS-querying terms", None),
    ("toomany.example", TP, {}, "spf-lookups", FAIL, "needs more than 10 DNS-querying terms; the 11th is a:h7.toomany.example",
     "common-issues/#too-many-spf-lookups"),
    ("voids.example", TP, {}, "spf-lookups", FAIL, "more than 2 void lookups (names without records; the one over the limit: a:v3.voids.example (A v3.voids.example))", None),
    ("loop.example", TP, {}, "spf-lookups", FAIL,
     "include loop: loop.example -> _a.loop.example -> _b.loop.example -> loop.example", None),
    ("syntax.example", TP, {}, "spf-lookups", FAIL, "ends in permerror: SPF Permanent Error: Invalid IP4 address", None),
    ("spfunknown.example", TP, {}, "spf-lookups", UNKNOWN, "got temperror",
     "common-issues/#too-many-spf-lookups"),
    ("servfail.example", TP, {}, "spf-lookups", UNKNOWN, "TXT lookup of servfail.example failed",
     "common-issues/#too-many-spf-lookups"),
    # ---- spf-senders ----
    ("hybrid.example", HYBRID, {"onprem_ips": [ONPREM]}, "spf-senders", PASS, "The listed sender passes SPF",
     "scenarios/hybrid-third-party/#spf-record"),
    ("contoso.example", TP, {"filter_ips": [HORNET_IP], "senders": ["40.92.1.1", "2a01:111:f400::1"]},
     "spf-senders", PASS, "All 3 senders pass SPF", None),
    ("contoso.example", TP, {}, "spf-senders", INFO, "No sender IPs are listed", None),
    ("hybrid-missing.example", HYBRID, {"onprem_ips": [ONPREM]}, "spf-senders", FAIL,
     f"{ONPREM} (on-premises) gets fail", "common-issues/#hybrid-spf-missing-onprem"),
    ("nospf.example", TP, {}, "spf-lookups", INFO, "has no SPF record, so there is nothing to evaluate", None),
    ("softfail.example", TP, {"senders": ["192.0.2.99"]}, "spf-senders", FAIL, "192.0.2.99 (sender) gets softfail",
     "scenarios/third-party-filter/#spf-record"),
    ("twospf.example", TP, {"filter_ips": [HORNET_IP]}, "spf-senders", FAIL, "gets permerror", None),
    ("nospf.example", TP, {"senders": ["192.0.2.99"]}, "spf-senders", FAIL, "gets none", None),
    ("hybrid.example", HYBRID, {}, "spf-senders", WARN, "No on-premises IPs are listed",
     "common-issues/#hybrid-spf-missing-onprem"),
    ("spfunknown.example", TP, {"senders": ["192.0.2.99"]}, "spf-senders", UNKNOWN, "got temperror", None),
    ("servfail.example", TP, {"senders": ["192.0.2.99"]}, "spf-senders", UNKNOWN,
     "TXT lookup of servfail.example failed", None),
    # ---- dmarc ----
    ("contoso.example", TP, {}, "dmarc", PASS, "DMARC is p=reject", "common-issues/#dmarc"),
    ("exo.example", EXO, {}, "dmarc", PASS, "DMARC is p=quarantine", "common-issues/#dmarc"),
    ("dmarc-none.example", TP, {}, "dmarc", WARN, "p=none", "common-issues/#dmarc"),
    ("dmarc-missing.example", TP, {}, "dmarc", WARN, "dmarc-missing.example has no DMARC record", None),
    ("dmarc-invalid.example", TP, {}, "dmarc", FAIL, "invalid: p=maybe is not none, quarantine or reject", None),
    ("dmarc-two.example", TP, {}, "dmarc", FAIL, "has 2 DMARC records", "common-issues/#dmarc"),
    ("partial.example", TP, {}, "dmarc", UNKNOWN, "TXT lookup of _dmarc.partial.example failed (SERVFAIL)",
     "common-issues/#dmarc"),
    # ---- dkim ----
    ("contoso.example", TP, {"tenant": "contoso"}, "dkim", PASS, "(contoso.onmicrosoft.com) and publish keys",
     "common-issues/#dkim"),
    ("newmx.example", EXO, {"tenant": "newmxcorp"}, "dkim", PASS, "(newmxcorp.r-v1.dkim.mail.microsoft)", None),
    ("dkim-wrongtenant.example", TP, {}, "dkim", PASS, "othertenant.onmicrosoft.com", None),
    ("dkim-missing.example", TP, {}, "dkim", WARN,
     "selector1._domainkey.dkim-missing.example does not exist; selector2._domainkey.dkim-missing.example does not exist",
     "common-issues/#dkim"),
    ("dkim-nokey.example", TP, {}, "dkim", WARN, "publishes no key yet", None),
    ("dkim-elsewhere.example", TP, {}, "dkim", FAIL, "points at s1._domainkey.esp.test, not at Microsoft 365",
     "common-issues/#dkim"),
    ("dkim-copied.example", TP, {}, "dkim", FAIL, "another domain's key (selector1-contoso-example", None),
    ("dkim-txt.example", TP, {}, "dkim", FAIL, "publishes its own TXT record instead of a CNAME", None),
    ("dkim-wrongtenant.example", TP, {"tenant": "righttenant"}, "dkim", FAIL, "tenant othertenant, not righttenant",
     None),
    ("servfail.example", TP, {}, "dkim", UNKNOWN, "selector1._domainkey.servfail.example failed", None),
    # ---- autodiscover ----
    ("contoso.example", TP, {}, "autodiscover", PASS, "points at autodiscover.outlook.com", "common-issues/#autodiscover"),
    ("hybrid.example", HYBRID, {}, "autodiscover", PASS, "resolves (mail.hybrid.example), as a hybrid needs", None),
    ("ad-other.example", HYBRID, {}, "autodiscover", PASS, "as a hybrid needs", None),
    ("ad-other.example", TP, {}, "autodiscover", WARN, "points at autodiscover.esp.test, not autodiscover.outlook.com",
     "common-issues/#autodiscover"),
    ("ad-a.example", EXO, {}, "autodiscover", WARN, "points at an A record, not autodiscover.outlook.com", None),
    ("ad-missing.example", TP, {}, "autodiscover", WARN, "autodiscover.ad-missing.example does not exist", None),
    ("ad-missing.example", HYBRID, {}, "autodiscover", WARN, "does not exist", None),
    ("ad-loop2.example", TP, {}, "autodiscover", FAIL,
     "CNAME loop (autodiscover.ad-loop2.example -> loop.chain-hop.test -> autodiscover.ad-loop2.example)",
     "common-issues/#autodiscover"),
    ("ad-loop2.example", HYBRID, {}, "autodiscover", FAIL, "CNAME loop", None),
    ("servfail.example", TP, {}, "autodiscover", UNKNOWN, "A lookup of autodiscover.servfail.example failed", None),
    # ---- RFC 9989 DMARC: tree walk (sp / np), t=y, pct, p missing, unknown tags ----
    ("sub.dm.example", TP, {}, "dmarc", WARN, "DMARC is sp=none (from _dmarc.dm.example by the tree walk, its sp=)", None),
    ("ghost.dm.example", TP, {}, "dmarc", PASS, "DMARC is np=quarantine (from _dmarc.dm.example", None),
    ("deep.a.b.c.d.e.f.dm.example", TP, {}, "dmarc", WARN, "sp=none (from _dmarc.dm.example", None),
    ("enforce.sts.example", TP, {}, "dmarc", PASS, "DMARC is sp=quarantine (from _dmarc.sts.example", None),
    ("own.dm.example", TP, {}, "dmarc", WARN, "t=y (test mode, RFC 9989)", "common-issues/#dmarc"),
    ("pct.dm.example", TP, {}, "dmarc", WARN, "pct=50: RFC 9989 removed pct", None),
    ("nop.dm.example", TP, {}, "dmarc", WARN, "has no p=; with a valid rua it counts as p=none", None),
    ("nopnorua.dm.example", TP, {}, "dmarc", FAIL, "no p= tag and no valid rua=", None),
    ("newtags.dm.example", TP, {}, "dmarc", PASS, "DMARC is p=reject: receivers act on forged mail", None),
    # ---- dmarc-reports (RFC 9990 report authorization) ----
    ("contoso.example", TP, {}, "dmarc-reports", PASS, "every destination is inside the domain",
     "reference/checks/#dmarc-reports"),
    ("extok.dm.example", TP, {}, "dmarc-reports", PASS, "1 external destination(s) authorize them", None),
    ("sub.dm.example", TP, {}, "dmarc-reports", PASS, "every destination is inside the domain", None),
    ("extbad.dm.example", TP, {}, "dmarc-reports", WARN,
     "reports.test does not authorize reports for extbad.dm.example (no v=DMARC1 at "
     "extbad.dm.example._report._dmarc.reports.test): receivers drop those reports",
     "reference/checks/#dmarc-reports"),
    ("norua.dm.example", TP, {}, "dmarc-reports", WARN, "has no rua: nobody receives aggregate reports", None),
    ("dmarc-missing.example", TP, {}, "dmarc-reports", WARN, "No DMARC reports arrive: there is no DMARC record", None),
    ("partial.example", TP, {}, "dmarc-reports", UNKNOWN, "TXT lookup of _dmarc.partial.example failed", None),
    # ---- DKIM forms of 2026: uniqueness suffix, dkim_targets ----
    ("suffix.m365.example", EXO, {"tenant": "suffixcorp"}, "dkim", PASS, "(suffixcorp.onmicrosoft.com)", None),
    ("suffix.m365.example", TP, {"tenant": "suffixcorp", "exo_host": "suffix-m365-example01b.mail.protection.outlook.com"},
     "dkim", PASS, "point at Microsoft 365", None),
    ("mismatch.m365.example", EXO, {}, "dkim", FAIL, "another domain's key (selector1-mismatch-m365-example02c", None),
    ("other.m365.example", TP, {}, "dkim", FAIL, "another domain's key (selector1-fabrikam-example01b", None),
    ("letters.m365.example", TP, {}, "dkim", FAIL, "another domain's key (selector1-letters-m365-examplex", None),
    ("exact.m365.example", TP, {"dkim_targets": {
        "selector1": "selector1-exact-m365-example._domainkey.suffixcorp.onmicrosoft.com",
        "selector2": "selector2-exact-m365-example._domainkey.suffixcorp.onmicrosoft.com"}},
     "dkim", PASS, "point at the dkim_targets", None),
    ("exact.m365.example", TP, {"dkim_targets": {
        "selector1": "selector1-exact-m365-example01b._domainkey.suffixcorp.onmicrosoft.com",
        "selector2": "selector2-exact-m365-example._domainkey.suffixcorp.onmicrosoft.com"}},
     "dkim", FAIL, "not at selector1-exact-m365-example01b._domainkey.suffixcorp.onmicrosoft.com (dkim_targets)", None),
    # ---- mx.microsoft and where to read the real Exchange Online host ----
    ("newmx.example", EXO, {}, "mx-route", PASS, "(mx.microsoft: DNSSEC-capable, inbound DANE)", None),
    ("suffix.m365.example", EXO, {}, "exo-host", WARN,
     "the MX points at suffix-m365-example01b.mail.protection.outlook.com: set exo_host", "common-issues/#wrong-exo-host"),
    ("noexo.example", TP, {}, "exo-host", WARN, "Enable-DnssecForVerifiedDomain", None),
]


def test_two_spf_records_are_one_root_cause(resolver):
    """Issue 13: the SPF checks that evaluate a policy published twice stay ``fail`` (the
    contract) but carry ``cause="spf-present"`` and its fix, so pages say the cause once."""
    found = run(resolver, "twospf.example", filter_ips=[HORNET_IP])
    assert found["spf-present"].status == FAIL and found["spf-present"].cause is None
    for cid in ("spf-m365", "spf-all", "spf-lookups", "spf-senders"):
        check = found[cid]
        assert check.status == FAIL and check.cause == "spf-present", check
        assert check.fix == "common-issues/#two-spf-records", check
        assert check.to_dict()["cause"] == "spf-present"
    assert found["spf-all"].reason == ("An unlisted sender gets permerror, not fail: twospf.example publishes "
                                       "2 SPF records, so every evaluation ends in permerror (see spf-present)")
    assert all(c.cause is None for cid, c in found.items() if not cid.startswith("spf-") or cid == "spf-present")
    # a policy broken for a reason of its own has no cause elsewhere
    toomany = run(resolver, "toomany.example")
    assert toomany["spf-lookups"].status == FAIL and toomany["spf-lookups"].cause is None
    assert toomany["spf-all"].reason.startswith("SPF evaluation ends in permerror (")


@pytest.mark.parametrize("domain, scenario, fields, check_id, status, words, fix", CASES,
                         ids=[f"{c[3]}-{c[4]}-{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_verdict(resolver, domain, scenario, fields, check_id, status, words, fix):
    check = run(resolver, domain, scenario, **fields)[check_id]
    assert check.status == status, check
    assert words in check.reason, check.reason
    if fix is not None:
        assert check.fix == fix


#: CONTRACT.md's table: the verdicts each check can give (unknown for every one of them).
CONTRACT = {
    "mx-route": {PASS, FAIL}, "exo-host": {PASS, WARN}, "spf-present": {PASS, FAIL},
    "spf-m365": {PASS, FAIL}, "spf-all": {PASS, WARN, FAIL}, "spf-lookups": {PASS, INFO, FAIL},
    "spf-senders": {PASS, INFO, WARN, FAIL}, "dmarc": {PASS, WARN, FAIL}, "dkim": {PASS, WARN, FAIL},
    "autodiscover": {PASS, WARN, FAIL}, "dmarc-reports": {PASS, WARN},
    "mta-sts": {PASS, INFO, WARN, FAIL}, "tls-rpt": {PASS, INFO, WARN, FAIL},
}


def test_cases_cover_every_verdict_of_the_contract():
    from tests.support.https import CASES as MTA_STS_CASES   # tested in test_mtasts (HTTPS fixture)

    covered = {(c[3], c[4]) for c in CASES} | {(c.check, c.status) for c in MTA_STS_CASES}
    wanted = {(cid, s) for cid, statuses in CONTRACT.items() for s in statuses | {UNKNOWN}}
    assert set(CONTRACT) == set(DNS_IDS)
    assert wanted <= covered, sorted(wanted - covered)


@pytest.mark.parametrize("domain, scenario, fields", [
    ("contoso.example", TP, {"tenant": "contoso", "filter_ips": [HORNET_IP]}),
    ("exo.example", EXO, {"tenant": "exo"}),
    ("newmx.example", EXO, {"tenant": "newmxcorp"}),
    ("hybrid.example", HYBRID, {"tenant": "hybrid", "onprem_ips": [ONPREM], "filter_ips": [HORNET_IP]}),
    ("chain.example", TP, {"tenant": "chaincorp"}),
    ("bigtxt.example", TP, {"senders": ["203.0.113.50"]}),
])
def test_scenarios_done_right_pass_everything(resolver, domain, scenario, fields):
    result = run(resolver, domain, scenario, **fields)
    wanted = dict.fromkeys(DNS_IDS, PASS)
    if not any(fields.get(k) for k in ("onprem_ips", "filter_ips", "senders")):
        wanted["spf-senders"] = INFO  # nothing to test is no pass
    # MTA-STS and TLS-RPT are optional: info when not published
    wanted.update({"mta-sts": INFO, "tls-rpt": INFO})
    assert {cid: c.status for cid, c in result.items()} == wanted


def test_idn_domain_given_as_u_label(resolver):
    result = run(resolver, "bücher.example", TP, tenant="buecher")
    assert all(c.status in (PASS, INFO) for c in result.values()), result
    assert result["spf-senders"].status == INFO
    assert result["spf-present"].reason == "bücher.example has one SPF record"
    assert "xn--bcher-kva-example.mail.protection.outlook.com" in result["exo-host"].reason
    assert "selector1-xn--bcher-kva-example._domainkey.buecher.onmicrosoft.com" in result["dkim"].observed
    assert result["autodiscover"].reason.startswith("autodiscover.xn--bcher-kva.example ")


def test_cname_chains_across_zones(resolver):
    result = run(resolver, "chain.example", TP, tenant="chaincorp")
    assert result["autodiscover"].reason == (
        "autodiscover.chain.example points at autodiscover.outlook.com through ad.chain-hop.test")
    assert result["autodiscover"].observed.startswith("ad.chain-hop.test -> autodiscover.outlook.com -> ")
    assert result["dkim"].status == PASS
    assert result["dkim"].observed.startswith("selector1 -> selector1.chain-hop.test; selector2 -> selector2-chain")


def test_nodata_and_nxdomain_are_told_apart(resolver):
    nodata = resolver.lookup("nomx.example.", "MX")
    nxdomain = resolver.lookup("gone.example.", "MX")
    assert (nodata.status, nxdomain.status) == ("nodata", "nxdomain")
    assert run(resolver, "nomx.example")["mx-route"].observed == "no MX record"
    assert run(resolver, "gone.example")["mx-route"].observed == "the name does not exist (NXDOMAIN)"
    # the name exists in both cases below, so the other checks still judge it
    assert run(resolver, "nomx.example")["spf-present"].status == PASS


def test_txt_answer_too_large_for_udp(bind_server, resolver):
    query = dns.message.make_query("bigtxt.example.", "TXT", use_edns=0, payload=1232)
    udp = dns.query.udp(query, bind_server.host, port=bind_server.port, timeout=2)
    assert udp.flags & dns.flags.TC, "the answer should not fit in 1232 octets of UDP"
    lookup = resolver.lookup("bigtxt.example.", "TXT")
    assert lookup.status == "found" and sum(len(r) for r in lookup.raw) > 1232
    check = run(resolver, "bigtxt.example", TP, senders=["203.0.113.16"])
    # the record is split between character-strings inside "ip4:203.0.113.16" and
    # "include:spf.protection.outlook.com"; joined, both terms are whole
    assert check["spf-present"].status == PASS
    assert "ip4:203.0.113.16 " in check["spf-present"].observed
    assert "include:spf.protection.outlook.com" in check["spf-present"].observed
    assert check["spf-m365"].status == PASS and check["spf-senders"].status == PASS


def test_a_failing_zone_gives_unknown_never_fail(resolver):
    result = run(resolver, "servfail.example", TP, senders=["192.0.2.99"])
    assert FAIL not in {c.status for c in result.values()}
    assert {cid for cid, c in result.items() if c.status == UNKNOWN} == set(DNS_IDS) - {"exo-host"}


def test_partial_failure_only_touches_its_check(resolver):
    result = run(resolver, "partial.example")
    assert {cid for cid, c in result.items() if c.status not in (PASS, INFO)} == {"dmarc", "dmarc-reports"}


def test_spf_include_that_fails_leaves_the_definite_checks_alone(resolver):
    result = run(resolver, "spfunknown.example", TP, senders=["40.92.1.1"])
    assert result["spf-m365"].status == PASS          # reached before the failing include
    # an unlisted sender's evaluation reaches the failing include: temperror (RFC 7208 5.2)
    assert result["spf-all"].status == UNKNOWN
    assert result["spf-senders"].status == PASS       # matched before the failing include
    assert result["spf-lookups"].status == UNKNOWN


def test_cname_loop_inside_one_zone(resolver):
    """BIND answers an in-zone CNAME loop with SERVFAIL plus the looping CNAMEs: still a loop."""
    assert run(resolver, "ad-loop.example")["autodiscover"].status == FAIL


def test_unresponsive_resolver_makes_every_check_unknown():
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        quiet = Resolver([("127.0.0.1", silent.getsockname()[1])], timeout=0.2, lifetime=0.3)
        result = engine.check_domain(make_spec("contoso.example", senders=["192.0.2.1"]), quiet)
    finally:
        silent.close()
    assert {c.status for c in result if c.id in DNS_IDS} == {UNKNOWN}
    assert "MX lookup of contoso.example timed out" in result[0].reason
    assert result[0].observed == "no answer in time"


def test_unknown_checks():
    spec = make_spec("contoso.example", HYBRID)
    result = checks.unknown_checks(spec, "checks could not run: canary spf.protection.outlook.com TXT: no answer in time")
    assert [c.id for c in result] == list(model.CHECK_IDS)
    assert {c.status for c in result if c.id in DNS_IDS} == {UNKNOWN}
    assert {c.status for c in result if c.id in TENANT_CHECK_IDS} == {INFO}  # no export
    result = [c for c in result if c.id in DNS_IDS]
    assert {c.reason for c in result} == {"checks could not run: canary spf.protection.outlook.com TXT: no answer in time"}
    assert result[0].expected == "every MX host at Hornetsecurity (mx*.hornetsecurity.com, mx*.antispameurope.com)"
    assert result[0].fix == "scenarios/hybrid-third-party/#mx-record"
    assert all(c.observed == "not checked" and c.fix for c in result)


def test_base_queries_cover_what_evaluate_asks(bind_server):
    spec = make_spec("contoso.example")
    queries = checks.base_queries(spec)
    assert queries == [
        ("contoso.example.", "MX"), ("contoso.example.", "TXT"), ("_dmarc.contoso.example.", "TXT"),
        ("selector1._domainkey.contoso.example.", "TXT"), ("selector2._domainkey.contoso.example.", "TXT"),
        ("autodiscover.contoso.example.", "A"), ("contoso-example.mail.protection.outlook.com.", "A"),
        ("spf.protection.outlook.com", "TXT"),
        ("_mta-sts.contoso.example.", "TXT"), ("_smtp._tls.contoso.example.", "TXT"),
        ("_dmarc.example.", "TXT"),   # the RFC 9989 tree walk's parent, shared by every *.example
    ]
    fresh = Resolver(bind_server.nameservers, timeout=1, lifetime=2)
    fresh.lookup_many(queries)
    asked = fresh.stats.queries
    engine.check_domain(spec, fresh)
    # the SPF tree asks for its includes; nothing of the base set is asked twice
    assert fresh.stats.queries - asked == 1   # spf.hornetsecurity.com


# ---- the fixture itself: modify a zone, reload, restore ---------------------------------------

def test_zone_change_is_served_after_reload_and_restored(bind_zones):
    text = bind_zones.zone_text("dmarc-none.example")
    before = bind_zones.zones["dmarc-none.example"].serial
    serial = bind_zones.write_zone("dmarc-none.example", text.replace("p=none", "p=reject"))
    assert serial == before + 1     # the text's unchanged serial was raised so the reload shows
    fresh = Resolver(bind_zones.nameservers, timeout=1, lifetime=2)
    assert run(fresh, "dmarc-none.example")["dmarc"].status == PASS
    with pytest.raises(BindError, match="invalid"):
        bind_zones.write_zone("dmarc-none.example", text.replace("IN SOA", "IN BOGUS"))
    assert bind_zones.zone_text("dmarc-none.example") != text   # the bad text was not installed


def test_the_change_above_was_restored(bind_server):
    fresh = Resolver(bind_server.nameservers, timeout=1, lifetime=2)
    assert run(fresh, "dmarc-none.example")["dmarc"].status == WARN


def test_private_server_with_a_new_zone(bind_factory):
    zone = ("$TTL 60\n@ IN SOA ns.test. h.test. 1 60 60 60 60\n@ IN NS ns.test.\n"
            "@ IN MX 10 mx01.hornetsecurity.com.\n@ IN TXT \"v=spf1 -all\"\n")
    server = bind_factory(zones={"private.example": zone}, zone_dir=None)
    assert set(server.zones) == {"private.example"} and server.address.startswith("127.0.0.1:")
    own = Resolver(server.nameservers, timeout=1, lifetime=2)
    assert own.lookup("private.example.", "MX").values == ("10 mx01.hornetsecurity.com.",)
    # a zone this server does not serve is refused, not made up
    assert own.lookup("contoso.example.", "MX").status == "servfail"


@pytest.mark.parametrize("record, status", [
    ("v=DMARC1; p=reject; pct=0", WARN),       # a policy for no mail
    ("v=DMARC1; p=quarantine; pct=50", WARN),   # RFC 9989 removed pct; older receivers apply it
    ("v=dmarc1; p=reject", WARN),              # not a DMARC record at all: missing
])
def test_dmarc_pct_and_version_case(fake_dns, record, status):
    from macros import config as config_mod

    fake_dns.set("_dmarc.pct.example", "TXT", [f'"{record}"'])
    fake_dns.set("pct.example", "TXT", ['"v=spf1 -all"'])
    resolver = Resolver(fake_dns.nameservers, timeout=0.5, lifetime=1.0)
    spec = config_mod.from_data({"domains": [{"name": "pct.example", "scenario": "exchange-online"}]}).domains[0]
    verdict = {c.id: c for c in engine.check_domain(spec, resolver)}["dmarc"]
    assert verdict.status == status, verdict
