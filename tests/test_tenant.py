"""macros/tenant.py: Exchange Online exports (tests/tenants/*.json) and the tenant checks.

Every row of CONTRACT.md's tenant table gives its verdict on the fixtures (or on a fixture with
one property changed, built here from the same file); broken exports fail with one message
naming the file and the field; the site and the CLI show the checks, the export's date, and
``info`` for a domain without an export; export text is rendered escaped.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pytest

from macros import checks, config, errors, model, tenant
from macros.model import FAIL, INFO, PASS, UNKNOWN, WARN
from macros.resolve import Lookup
from tests.support.sites import build, cli, make_project

FIXTURES = Path(__file__).resolve().parent / "tenants"
SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "Export-MailflowTenant.ps1"
TP, EXO, HYBRID = "third-party-filter", "exchange-online", "hybrid-third-party"
FILTER_IP = "94.100.128.10"  # inside the fixtures' SenderIPAddresses 94.100.128.0/24

#: domains.yml entries the fixtures belong to (the filter is "*.filter.example", as in CONTRACT.md)
SPECS = {
    "contoso": {"name": "contoso.example", "scenario": TP, "filter_mx": ["*.filter.example"],
                "tenant": "contoso", "filter_ips": [FILTER_IP], "arc_sealer": "filter.example",
                "outbound": "filter"},
    "fabrikam": {"name": "bypass.example", "scenario": TP, "filter_mx": ["*.filter.example"],
                 "tenant": "fabrikam", "filter_ips": [FILTER_IP], "arc_sealer": "filter.example",
                 "outbound": "filter"},
    "testmode": {"name": "testmode.example", "scenario": TP, "filter_mx": ["*.filter.example"],
                 "tenant": "testmode", "arc_sealer": "filter.example"},
    "hybrid": {"name": "hybrid.example", "scenario": HYBRID, "filter_mx": ["*.filter.example"],
               "tenant": "hybrid", "onprem_ips": ["198.51.100.25"], "arc_sealer": "filter.example",
               "outbound": "filter"},
    "exo": {"name": "exo.example", "scenario": EXO, "tenant": "exo"},
}
#: what each zone publishes at selector1/2._domainkey (tests/zones): the tenant in the target
PUBLISHED = {"contoso": "contoso", "fabrikam": "bypass", "testmode": "testmode", "hybrid": "hybrid",
             "exo": "exo"}


def spec_for(fixture: str, **changes) -> config.DomainSpec:
    entry = {**SPECS[fixture], **changes}
    entry = {k: v for k, v in entry.items() if v is not None}
    return config.from_data({"domains": [entry]}).domains[0]


def selector(n: int, domain: str, target: str | None, status: str = "found") -> Lookup:
    chain = (target,) if target else ()
    return Lookup(f"selector{n}._domainkey.{domain}.", "TXT", status,
                  ("v=DKIM1; k=rsa; p=MIGf",) if status == "found" else (), chain=chain)


def published(spec: config.DomainSpec, fixture: str):
    t = PUBLISHED[fixture]
    return tuple(selector(n, spec.ascii, f"selector{n}-{spec.dashed}._domainkey.{t}.onmicrosoft.com.")
                 for n in (1, 2))


def raw(fixture: str) -> dict:
    return json.loads((FIXTURES / f"{fixture}.json").read_text(encoding="utf-8"))


def variant(fixture: str, change) -> tenant.Export:
    """The fixture with ``change(data)`` applied, validated like a file of the same name."""
    data = copy.deepcopy(raw(fixture))
    change(data)
    return tenant.from_data(data, str(FIXTURES / f"{fixture}.json"))


def judge(fixture: str, export: tenant.Export | None = None, spec=None, sel=None) -> dict:
    spec = spec or spec_for(fixture)
    export = export if export is not None else tenant.load(FIXTURES / f"{fixture}.json")
    sel1, sel2 = sel or published(spec, fixture)
    result = tenant.evaluate(spec, export, sel1, sel2)
    assert [c.id for c in result] == list(tenant.TENANT_CHECK_IDS)
    for c in result:
        assert c.status in model.CHECK_STATUSES and c.reason and "\n" not in c.reason
        assert c.expected and c.fix == f"tenant/configure/#{c.id}"
    return {c.id: c for c in result}


def inbound(data) -> dict:
    return data["cmdlets"]["Get-InboundConnector"][0]


# ---- every row of the contract's tenant table ------------------------------------------------

def _ef_private(d):
    inbound(d).update(EFSkipLastIP=False, EFSkipIPs=["10.0.0.0/8"])


def _ef_m365(d):
    inbound(d).update(EFSkipLastIP=False, EFSkipIPs=["40.107.1.0-40.107.1.255"])


def _ef_skip(*ranges):
    def change(d):
        inbound(d).update(EFSkipLastIP=False, EFSkipIPs=list(ranges))
    return change


def _no_restriction(d):
    inbound(d)["RestrictDomainsToIPAddresses"] = False


def _senders(*ranges, **more):
    def change(d):
        inbound(d).update(SenderIPAddresses=list(ranges), **more)
    return change


def _certificate(name, **more):
    def change(d):
        inbound(d).update({"RestrictDomainsToIPAddresses": False, "RestrictDomainsToCertificate": True,
                           "TlsSenderCertificateName": name, **more})
    return change


def _disabled_dkim(d):
    d["cmdlets"]["Get-DkimSigningConfig"][0]["Enabled"] = False


def _no_dkim(d):
    d["cmdlets"]["Get-DkimSigningConfig"] = []


def _wildcard_accepted(d):
    d["cmdlets"]["Get-AcceptedDomain"] = [{"DomainName": "*.example", "DomainType": "Authoritative"}]


def _foreign_smart_host(d):
    d["cmdlets"]["Get-OutboundConnector"][0]["SmartHosts"] = ["smtp.elsewhere.example"]


def _smart_hosts(*hosts):
    def change(d):
        d["cmdlets"]["Get-OutboundConnector"][0]["SmartHosts"] = list(hosts)
    return change


MIMECAST = {"filter_mx": None, "filter": "mimecast", "arc_sealer": None}  # no smart_hosts in the catalogue


def _scoped_outbound(d):
    d["cmdlets"]["Get-OutboundConnector"][0]["RecipientDomains"] = ["partner.example"]


def _two_unknown_connectors(d):
    second = dict(inbound(d), Name="From partner", SenderIPAddresses=["203.0.113.0/24"])
    inbound(d)["SenderIPAddresses"] = ["198.51.100.0/24"]
    d["cmdlets"]["Get-InboundConnector"].append(second)


# (fixture, change to the export or None, change to the domain or {}, check, status, words)
CASES = [
    # efc
    ("contoso", None, {}, "efc", PASS, "on for everyone on 'From filter' (skips the last IP)"),
    ("hybrid", None, {}, "efc", PASS, "skips 94.100.128.0/24"),
    ("testmode", None, {}, "efc", WARN, "only to 2 listed recipient(s) (EFUsers: test mode)"),
    ("contoso", _ef_private, {}, "efc", WARN, "private or Microsoft 365 addresses (10.0.0.0/8)"),
    ("contoso", _ef_m365, {}, "efc", WARN, "private or Microsoft 365 addresses (40.107.1.0-40.107.1.255)"),
    ("contoso", lambda d: inbound(d).update(EFSkipLastIP=True, EFSkipIPs=["10.0.0.0/8"]), {}, "efc", WARN,
     "(10.0.0.0/8), which must not be skipped (ignored while EFSkipLastIP is on; they act if it is turned off)"),
    # private space is found by overlap, not only at a range's ends (IANA special-purpose registries)
    ("contoso", _ef_skip("8.0.0.0/6"), {}, "efc", WARN, "addresses (8.0.0.0/6 overlaps 10.0.0.0/8)"),
    ("contoso", _ef_skip("9.0.0.0-11.0.0.0"), {}, "efc", WARN, "(9.0.0.0-11.0.0.0 overlaps 10.0.0.0/8)"),
    ("contoso", _ef_skip("f000::/4"), {}, "efc", WARN, "(f000::/4 overlaps fc00::/7)"),
    ("contoso", _ef_skip("94.100.128.0/24", "100.64.1.1"), {}, "efc", WARN, "addresses (100.64.1.1)"),
    ("contoso", _ef_skip("94.100.128.0/24", "2a0b:1980::/32"), {}, "efc", PASS, "skips 94.100.128.0/24"),
    ("fabrikam", None, {}, "efc", FAIL, "Enhanced Filtering is off"),
    ("exo", None, {"scenario": TP, "filter_mx": ["*.filter.example"]}, "efc", FAIL,
     "no enabled Partner inbound connector"),
    ("contoso", _two_unknown_connectors, {}, "efc", FAIL, "2 enabled Partner inbound connectors, none"),
    ("exo", None, {}, "efc", INFO, "Does not apply"),
    # connector-lockdown
    ("contoso", None, {}, "connector-lockdown", PASS, "accepts mail only from"),
    ("hybrid", None, {}, "connector-lockdown", PASS, "presenting the certificate *.filter.example"),
    ("contoso", _no_restriction, {}, "connector-lockdown", WARN,
     "anyone can deliver to contoso-example.mail.protection.outlook.com directly"),
    ("exo", None, {"scenario": TP, "filter_mx": ["*.filter.example"]}, "connector-lockdown", WARN,
     "No inbound connector restricts senders"),
    ("exo", None, {}, "connector-lockdown", INFO, "Does not apply"),
    # ... restricted, but not to the filter: too wide (wider than /16, IPv6 /32), private or
    # reserved, without the filter's addresses (filter_ips), or a certificate that is not the filter's
    ("contoso", _senders("0.0.0.0/0"), {}, "connector-lockdown", WARN,
     "'From filter' is restricted to SenderIPAddresses wider than a /16 (IPv6: /32): 0.0.0.0/0 lets a "
     "large part of the internet deliver, not only the filtering service; list only the filtering service's"),
    ("contoso", _senders("94.100.0.0/15"), {}, "connector-lockdown", WARN, "wider than a /16 (IPv6: /32)"),
    ("contoso", _senders("94.100.128.0/24", "2a0b::/31"), {}, "connector-lockdown", WARN,
     "wider than a /16 (IPv6: /32): 2a0b::/31 lets a"),
    ("contoso", _senders("94.100.0.0/16"), {}, "connector-lockdown", PASS, "accepts mail only from"),
    ("contoso", _senders("94.100.128.0/24", "172.16.0.0-172.16.0.9", "9.255.255.0-10.0.0.1"), {},
     "connector-lockdown", WARN, "hold private or reserved addresses (172.16.0.0-172.16.0.9, "
     "9.255.255.0-10.0.0.1 overlaps 10.0.0.0/8), never"),
    ("contoso", _senders("94.100.200.0/24"), {}, "connector-lockdown", WARN,
     "SenderIPAddresses [94.100.200.0/24], which do not hold the filtering service's address(es) "
     "94.100.128.10 (filter_ips): the restriction admits someone else"),
    ("testmode", None, {}, "connector-lockdown", PASS,
     "only from the narrow public ranges of SenderIPAddresses (set filter_ips in domains.yml"),
    ("contoso", _certificate("mail.attacker.example"), {}, "connector-lockdown", WARN,
     "restricted to the certificate mail.attacker.example, which is not the filtering service's (its hosts "
     "are in filter.example): whoever holds"),
    ("contoso", _certificate("filter.example.attacker.example"), {}, "connector-lockdown", WARN,
     "which is not the filtering service's"),
    ("contoso", _certificate("mx1.filter.example", RestrictDomainsToIPAddresses=True,
                             SenderIPAddresses=["0.0.0.0/0"]), {}, "connector-lockdown", PASS,
     "presenting the certificate mx1.filter.example"),
    ("contoso", _certificate("mail.attacker.example", RestrictDomainsToIPAddresses=True,
                             SenderIPAddresses=["0.0.0.0/1"]), {}, "connector-lockdown", WARN,
     "0.0.0.0/1 lets a large part of the internet deliver, not only the filtering service; list only "
     "the filtering service's sending ranges; 'From filter' is restricted to the certificate"),
    # arc-sealer
    ("contoso", None, {}, "arc-sealer", PASS, "filter.example is a trusted ARC sealer"),
    ("hybrid", None, {}, "arc-sealer", PASS, "filter.example is a trusted ARC sealer"),
    ("fabrikam", None, {}, "arc-sealer", WARN, "filter.example is not a trusted ARC sealer"),
    ("contoso", None, {"arc_sealer": None, "filter_mx": None, "filter": "hornetsecurity"}, "arc-sealer",
     INFO, "ARC sealing domain is not known"),
    ("exo", None, {}, "arc-sealer", INFO, "Does not apply"),
    # scl-bypass
    ("contoso", None, {}, "scl-bypass", PASS, "No enabled transport rule sets SCL -1"),
    ("fabrikam", None, {}, "scl-bypass", WARN, "'Bypass spam filtering from filter' sets SCL -1"),
    ("exo", None, {}, "scl-bypass", INFO, "Does not apply"),
    # dkim-signing
    ("contoso", None, {}, "dkim-signing", PASS, "enabled with the published selectors"),
    ("exo", None, {}, "dkim-signing", PASS, "enabled with the published selectors"),
    ("contoso", _disabled_dkim, {}, "dkim-signing", WARN, "is not enabled"),
    ("contoso", _no_dkim, {}, "dkim-signing", WARN, "No DKIM signing configuration"),
    ("fabrikam", None, {}, "dkim-signing", FAIL,
     "selector1 is published as selector1-bypass-example._domainkey.bypass.onmicrosoft.com, "
     "Microsoft 365 signs with selector1-bypass-example._domainkey.fabrikam.onmicrosoft.com"),
    # accepted-domain
    ("contoso", None, {}, "accepted-domain", PASS, "contoso.example is an accepted domain"),
    ("exo", None, {}, "accepted-domain", PASS, "exo.example is an accepted domain"),
    ("contoso", _wildcard_accepted, {}, "accepted-domain", PASS, "accepted through *.example"),
    ("fabrikam", None, {}, "accepted-domain", FAIL, "bypass.example is not an accepted domain"),
    # outbound-route
    ("contoso", None, {}, "outbound-route", PASS, "'To filter' sends all outbound mail"),
    ("hybrid", None, {}, "outbound-route", PASS, "smtp.filter.example, smtp2.filter.example"),
    ("contoso", None, {"filter_mx": None, "filter": "proofpoint", "arc_sealer": None}, "outbound-route",
     FAIL, "sends to smtp.filter.example, not only Proofpoint's hosts"),
    ("contoso", _foreign_smart_host, {}, "outbound-route", FAIL, "smtp.elsewhere.example"),
    # a catalogue filter without smart_hosts: hosts in the vendor's own domain are its hosts
    ("contoso", _smart_hosts("eu-smtp-o365-outbound-1.mimecast.com", "eu-smtp-o365-outbound-2.mimecast.com"),
     MIMECAST, "outbound-route", PASS,
     "'To filter' sends all outbound mail to Mimecast (eu-smtp-o365-outbound-1.mimecast.com, "
     "eu-smtp-o365-outbound-2.mimecast.com)"),
    # ... and any other host is a fail (CONTRACT.md), naming it and how to teach the catalogue
    ("contoso", _smart_hosts("eu-smtp-inbound-1.mimecast.com", "relay.elsewhere.example"), MIMECAST,
     "outbound-route", FAIL, "sends to relay.elsewhere.example, not only Mimecast's hosts (if that "
     "is a Mimecast host the catalogue does not know yet, add it to smart_hosts"),
    ("contoso", _smart_hosts("mimecast.com.elsewhere.example"), MIMECAST, "outbound-route", FAIL,
     "sends to mimecast.com.elsewhere.example"),
    ("contoso", _smart_hosts(), MIMECAST, "outbound-route", FAIL, "'To filter' names no smart host"),
    ("contoso", _smart_hosts("eu-smtp-inbound-1.mimecast.com"), MIMECAST, "outbound-route", PASS,
     "sends all outbound mail to Mimecast"),
    ("contoso", _scoped_outbound, MIMECAST, "outbound-route", FAIL, "no enabled outbound connector sends all mail"),
    ("fabrikam", None, MIMECAST, "outbound-route", FAIL, "looks up MX records"),
    ("contoso", _scoped_outbound, {}, "outbound-route", FAIL, "no enabled outbound connector sends all mail"),
    ("fabrikam", None, {}, "outbound-route", FAIL, "looks up MX records"),
    ("testmode", None, {"outbound": "filter"}, "outbound-route", FAIL, "no enabled outbound connector"),
    ("testmode", None, {}, "outbound-route", INFO, "outbound: direct"),
    ("exo", None, {}, "outbound-route", INFO, "Does not apply"),
]


@pytest.mark.parametrize("fixture, change, fields, check_id, status, words", CASES,
                         ids=[f"{c[3]}-{c[4]}-{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_verdict(fixture, change, fields, check_id, status, words):
    export = variant(fixture, change) if change else None
    spec = spec_for(fixture, **fields)
    check = judge(fixture, export, spec, published(spec, fixture))[check_id]
    assert check.status == status, check
    assert words in check.reason, check.reason


#: CONTRACT.md's tenant table: the verdicts each check can give (info where it says so).
CONTRACT = {
    "efc": {PASS, WARN, FAIL, INFO}, "connector-lockdown": {PASS, WARN, INFO},
    "arc-sealer": {PASS, WARN, INFO}, "scl-bypass": {PASS, WARN, INFO},
    "dkim-signing": {PASS, WARN, FAIL}, "accepted-domain": {PASS, FAIL},
    "outbound-route": {PASS, FAIL, INFO},
}


def test_cases_cover_every_verdict_of_the_contract():
    assert set(CONTRACT) == set(tenant.TENANT_CHECK_IDS)
    assert model.CHECK_IDS[-len(tenant.TENANT_CHECK_IDS):] == tenant.TENANT_CHECK_IDS
    covered = {(c[3], c[4]) for c in CASES}
    wanted = {(cid, s) for cid, statuses in CONTRACT.items() for s in statuses}
    assert wanted <= covered, sorted(wanted - covered)


@pytest.mark.parametrize("fixture", sorted(SPECS))
def test_no_export_is_info_never_fail_or_unknown(fixture):
    spec = spec_for(fixture)
    result = tenant.evaluate(spec, None, *published(spec, fixture))
    assert [c.status for c in result] == [INFO] * len(tenant.TENANT_CHECK_IDS)
    assert all(f"No export for this tenant ({fixture}.json)" in c.reason for c in result)
    untenanted = spec_for(fixture, tenant=None)
    assert {c.reason for c in tenant.evaluate(untenanted, None, None, None)} == {
        "No export: the domain has no tenant in domains.yml"}


def test_well_configured_tenants_pass_every_check_that_applies():
    for fixture in ("contoso", "hybrid"):
        assert {c.status for c in judge(fixture).values()} == {PASS}, fixture
    exo = judge("exo")
    assert {cid for cid, c in exo.items() if c.status == PASS} == {"dkim-signing", "accepted-domain"}
    assert {cid for cid, c in exo.items() if c.status == INFO} == set(tenant.FILTER_ONLY)


def test_disabled_connectors_and_rules_do_not_count():
    def disable(d):
        inbound(d)["Enabled"] = False
        d["cmdlets"]["Get-TransportRule"][0].update(State="Disabled")
    export = variant("fabrikam", disable)
    result = judge("fabrikam", export)
    assert result["efc"].status == FAIL and "no enabled Partner inbound connector" in result["efc"].reason
    assert result["scl-bypass"].status == PASS


def test_on_premises_connector_is_never_taken_for_the_filter():
    # hybrid.json's first inbound connector is OnPremises without Enhanced Filtering
    result = judge("hybrid")
    assert "'From filter (TLS)'" in result["efc"].observed
    assert "From on-premises" not in result["efc"].observed


def test_dkim_signing_unknown_when_the_selector_lookup_had_no_answer():
    spec = spec_for("contoso")
    sel1 = selector(1, spec.ascii, None, status="timeout")
    sel2 = published(spec, "contoso")[1]
    result = judge("contoso", spec=spec, sel=(sel1, sel2))["dkim-signing"]
    assert result.status == UNKNOWN and "selector1._domainkey.contoso.example" in result.reason


def test_dkim_signing_fails_when_the_selector_is_not_a_cname():
    spec = spec_for("contoso")
    sel1 = selector(1, spec.ascii, None)  # a TXT key published directly, no CNAME
    result = judge("contoso", spec=spec, sel=(sel1, published(spec, "contoso")[1]))["dkim-signing"]
    assert result.status == FAIL and "selector1 is published as no CNAME" in result.reason


def test_unknown_checks_keep_info_where_there_is_no_data_or_no_filter():
    reason = "checks could not run: canary spf.protection.outlook.com TXT: no answer in time"
    contoso = tenant.load(FIXTURES / "contoso.json")
    result = checks.unknown_checks(spec_for("contoso"), reason, contoso)
    assert [c.id for c in result] == list(model.CHECK_IDS)
    assert {c.status for c in result} == {UNKNOWN}
    exo = checks.unknown_checks(spec_for("exo"), reason, tenant.load(FIXTURES / "exo.json"))
    statuses = {c.id: c.status for c in exo if c.id in tenant.TENANT_CHECK_IDS}
    assert statuses == {cid: INFO if cid in tenant.FILTER_ONLY else UNKNOWN for cid in tenant.TENANT_CHECK_IDS}
    without = checks.unknown_checks(spec_for("contoso"), reason)
    assert {c.status for c in without if c.id in tenant.TENANT_CHECK_IDS} == {INFO}


# ---- reading and validating -------------------------------------------------------------------

def test_fixtures_load_into_typed_frozen_objects():
    export = tenant.load(FIXTURES / "hybrid.json")
    assert export.tenant == "hybrid.onmicrosoft.com" and export.exported_at == "2026-12-01T02:05:00Z"
    assert export.arc_sealers == ("google.com", "filter.example")  # one comma-separated string
    conn = export.inbound[1]
    assert conn.ef_skip_ips == ("94.100.128.0/24", "94.100.132.10-94.100.132.20")
    assert conn.cert_name == "*.filter.example" and conn.partner and not export.inbound[0].partner
    assert export.outbound[1].smart_hosts == ("smtp.filter.example", "smtp2.filter.example")
    with pytest.raises(AttributeError):
        conn.enabled = False  # frozen
    assert export.summary() == {"tenant": "hybrid.onmicrosoft.com",
                                "exported_at": "2026-12-01T02:05:00Z", "file": "hybrid.json"}
    # a cmdlet that returned one object may be an object or a one-element array
    assert tenant.load(FIXTURES / "fabrikam.json").arc_sealers == ()


def test_wrong_types_name_the_file_and_every_field():
    with pytest.raises(tenant.ExportError) as info:
        tenant.load(FIXTURES / "broken-types.json")
    text = str(info.value)
    assert text.startswith(str(FIXTURES / "broken-types.json") + ": 8 problem(s):")
    for expected in (
        "field 'exported_at': 'yesterday' is not an ISO 8601 date and time",
        "field 'cmdlets.Get-InboundConnector[0].Enabled': expected true or false, got the string 'yes'",
        "field 'cmdlets.Get-InboundConnector[0].SenderIPAddresses': expected an array of strings, "
        "got the string '94.100.128.0/24'",
        "field 'cmdlets.Get-InboundConnector[0].EFSkipIPs[0]': 'not-an-ip' is not an IP address",
        "field 'cmdlets.Get-OutboundConnector[0].UseMXRecord': expected true or false, got the string 'false'",
        "field 'cmdlets.Get-ArcConfig.ArcTrustedSealers': expected a string or an array of strings, "
        "got the number 42",
        "field 'cmdlets.Get-AcceptedDomain': expected an array of objects (or one object)",
        "field 'cmdlets.Get-TransportRule[0].SetSCL': expected a whole number or null, got the string '-1'",
    ):
        assert expected in text, text
    assert isinstance(info.value, errors.ExportError) and info.value.exit_code == 2  # bad input
    assert "cmdlets.Get-InboundConnector[0].Enabled" in {p.field for p in info.value.problems}


def test_truncated_json_says_where_and_that_it_ends_early():
    with pytest.raises(tenant.ExportError) as info:
        tenant.load(FIXTURES / "broken-truncated.json")
    assert re.search(r"broken-truncated\.json: line \d+, column \d+: not valid "
                     r"JSON \(.*\) \(the file ends early: truncated\?\)$", str(info.value)), str(info.value)
    assert info.value.kinds == {errors.UNREADABLE}


def test_missing_cmdlets_are_named():
    with pytest.raises(tenant.ExportError) as info:
        tenant.load(FIXTURES / "broken-cmdlets.json")
    assert info.value.problems == [
        "field 'cmdlets.Get-ArcConfig': missing (run the export script again: it writes every cmdlet "
        "the checks read)",
        "field 'cmdlets.Get-TransportRule': missing (run the export script again: it writes every "
        "cmdlet the checks read)",
    ]


@pytest.mark.parametrize("change, problem", [
    (lambda d: d.update(tenant="fabrikam.onmicrosoft.com"),
     "field 'tenant': 'fabrikam.onmicrosoft.com' is not the tenant this file is named after (contoso.json)"),
    (lambda d: d.update(tenant="contoso.<script>"),
     "field 'tenant': 'contoso.<script>' is not a domain name like contoso.onmicrosoft.com"),
    (lambda d: d.update(exported_at="2026-12-01T02:00:00"),
     "field 'exported_at': '2026-12-01T02:00:00' has no time zone"),
    (lambda d: d.pop("cmdlets"), "field 'cmdlets': missing"),
    (lambda d: inbound(d).pop("EFUsers"), "field 'cmdlets.Get-InboundConnector[0].EFUsers': missing"),
    (lambda d: d["cmdlets"].update({"Get-ArcConfig": [{"ArcTrustedSealers": "a"}, {"ArcTrustedSealers": "b"}]}),
     "field 'cmdlets.Get-ArcConfig': expected one object, got 2"),
    (lambda d: d["cmdlets"]["Get-InboundConnector"].append("From filter"),
     "field 'cmdlets.Get-InboundConnector[1]': expected an object, got the string 'From filter'"),
])
def test_bad_fields(change, problem):
    with pytest.raises(tenant.ExportError) as info:
        variant("contoso", change)
    assert problem in info.value.problems[0], info.value.problems


def test_not_an_object_and_not_utf8(tmp_path):
    (tmp_path / "a.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(tenant.ExportError, match=r"a\.json: the top level must be an object"):
        tenant.load(tmp_path / "a.json")
    (tmp_path / "b.json").write_bytes(b"\xff\xfe{")
    with pytest.raises(tenant.ExportError, match=r"b\.json: cannot be read"):
        tenant.load(tmp_path / "b.json")


def test_hostile_files_give_one_message_not_a_traceback(tmp_path):
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(tenant.ExportError, match=r"deep\.json: not valid JSON \(nested too deeply\)"):
        tenant.load(tmp_path / "deep.json")
    with open(tmp_path / "huge.json", "wb") as f:
        f.truncate(tenant.MAX_BYTES + 1)
    with pytest.raises(tenant.ExportError, match=r"huge\.json: larger than 20 MiB"):
        tenant.load(tmp_path / "huge.json")
    missing = copy.deepcopy(raw("contoso"))
    del missing["exported_at"]
    with pytest.raises(tenant.ExportError) as info:
        tenant.from_data(missing, "contoso.json")
    assert info.value.problems == ["field 'exported_at': missing"]


def _write(tmp_path, text: str, name: str = "contoso") -> Path:
    (tmp_path / f"{name}.json").write_text(text, encoding="utf-8")
    return tmp_path / f"{name}.json"


def test_a_number_longer_than_any_property_is_one_clear_error(tmp_path):
    """Python refuses integers of more than 4,300 digits with a bare ValueError (a traceback
    before); the loader refuses anything over MAX_DIGITS itself, saying where."""
    text = json.dumps(raw("contoso"), indent=1)
    at = text.index('"SetSCL": -1') + len('"SetSCL": ')
    line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
    for digits in (5000, tenant.MAX_DIGITS + 1):
        path = _write(tmp_path, text.replace('"SetSCL": -1', '"SetSCL": -' + "1" * digits))
        with pytest.raises(tenant.ExportError) as info:
            tenant.load(path)
        assert str(info.value) == (f"{path}: line {line}, column {column}: a number of {digits} digits, "
                                   "longer than any property of an export holds (a damaged file?)")
        assert info.value.kinds == {errors.UNREADABLE} and info.value.exit_code == 2
    # a long run of digits inside a string is text, not the number the message points at
    data = raw("contoso")
    data["cmdlets"]["Get-TransportRule"][0]["Name"] = "9" * 100
    path = _write(tmp_path, json.dumps(data).replace('"SetSCL": null', '"SetSCL": ' + "7" * 70))
    with pytest.raises(tenant.ExportError, match=r"line 1, column \d+: a number of 70 digits") as info:
        tenant.load(path)
    column = int(re.search(r"column (\d+)", str(info.value)).group(1))
    assert path.read_text()[column - 1:].startswith("7" * 70)
    assert tenant.load(_write(tmp_path, json.dumps(raw("contoso")))).tenant  # ordinary numbers load


def test_a_lone_surrogate_is_refused_naming_the_field(tmp_path):
    """"\\ud800" is valid JSON but no UTF-8 can hold it: before, the build wrote the pages and
    then crashed writing drift.json (UnicodeEncodeError, a half-written site)."""
    data = raw("contoso")
    data["cmdlets"]["Get-AcceptedDomain"].append({"DomainName": "x", "DomainType": "Authoritative"})
    text = json.dumps(data).replace('"DomainName": "x"', '"DomainName": "\\ud800evil"')
    text = text.replace('"DomainType": "Authoritative"}]', '"DomainType": "Authoritative", "\\udfffkey": 1}]')
    with pytest.raises(tenant.ExportError) as info:
        tenant.load(_write(tmp_path, text))
    assert info.value.problems == [
        "field 'cmdlets.Get-AcceptedDomain[2]': the key '\\udfffkey' holds \\udfff, a lone UTF-16 "
        "surrogate (a broken \\u escape) that no UTF-8 text can hold",
        "field 'cmdlets.Get-AcceptedDomain[2].DomainName': holds \\ud800, a lone UTF-16 surrogate "
        "(a broken \\u escape) that no UTF-8 text can hold"]
    assert info.value.problems[1].field == "cmdlets.Get-AcceptedDomain[2].DomainName"
    str(info.value).encode("utf-8")  # the message itself can be printed
    paired = text.replace("\\ud800evil", "\\ud83d\\ude00").replace("\\udfffkey", "key")
    assert "\U0001f600" in tenant.load(_write(tmp_path, paired)).accepted_domains  # a pair is one character


def test_a_key_given_twice_is_refused_naming_the_object_and_the_key(tmp_path):
    """json.loads keeps the last of two equal keys silently; so did the loader."""
    text = json.dumps(raw("contoso"))
    text = text.replace('"EFSkipLastIP": true', '"EFSkipLastIP": false, "EFSkipLastIP": true', 1)
    text = text.replace('"exported_at"', '"tenant": "x.onmicrosoft.com", "exported_at"', 1)
    with pytest.raises(tenant.ExportError) as info:
        tenant.load(_write(tmp_path, text))
    assert info.value.problems[:2] == [
        "the top level: the key 'tenant' appears more than once (which value was meant is unknown: "
        "export the tenant again)",
        "field 'cmdlets.Get-InboundConnector[0]': the key 'EFSkipLastIP' appears more than once "
        "(which value was meant is unknown: export the tenant again)"]
    assert len(info.value.problems) == 2
    assert info.value.problems[1].field == "cmdlets.Get-InboundConnector[0]"


@pytest.mark.parametrize("damage", [
    lambda t: t.replace('"SetSCL": -1', '"SetSCL": -' + "1" * 5000),
    lambda t: t.replace('"Name": "To filter"', '"Name": "\\ud800evil"'),
    lambda t: t.replace('"EFSkipLastIP": false', '"EFSkipLastIP": false, "EFSkipLastIP": true', 1),
], ids=["5000-digits", "lone-surrogate", "duplicate-key"])
def test_damaged_exports_stop_check_and_the_build_with_exit_2_and_no_site(tmp_path, damage):
    project = tenant_project(tmp_path, exports=("contoso",))
    export = project / "tenants" / "fabrikam.json"
    export.write_text(damage((FIXTURES / "fabrikam.json").read_text(encoding="utf-8")), encoding="utf-8")
    assert export.read_text(encoding="utf-8") != (FIXTURES / "fabrikam.json").read_text(encoding="utf-8")
    quiet = {"MAILFLOW_NAMESERVERS": "127.0.0.1:9"}  # never asked: the exports are read first
    result = cli(project, "check", **quiet)
    assert result.returncode == 2 and result.stdout == "", result.stderr
    assert "Traceback" not in result.stderr and "tenants/fabrikam.json: " in result.stderr
    built = build(project, **quiet)
    assert built.returncode != 0 and "Traceback" not in built.output
    assert "tenants/fabrikam.json: " in built.output
    assert not (project / "site" / "drift.json").exists()
    assert not (project / "site" / "index.html").exists()


def test_a_byte_order_mark_is_accepted(tmp_path):
    (tmp_path / "contoso.json").write_bytes(b"\xef\xbb\xbf" + (FIXTURES / "contoso.json").read_bytes())
    assert tenant.load(tmp_path / "contoso.json").tenant == "contoso.onmicrosoft.com"


def test_load_for_reads_only_the_named_tenants(tmp_path):
    for name in ("contoso", "broken-types"):
        shutil.copy(FIXTURES / f"{name}.json", tmp_path / f"{name}.json")
    exports = tenant.load_for(tmp_path, ["contoso", None, "nobody", "contoso"])
    assert list(exports) == ["contoso"] and exports["contoso"].tenant == "contoso.onmicrosoft.com"
    assert tenant.load_for(tmp_path / "missing", ["contoso"]) == {}
    with pytest.raises(tenant.ExportError, match="broken-types.json"):
        tenant.load_for(tmp_path, ["broken-types"])


def test_an_export_name_that_is_not_a_file_is_an_error_not_no_export(tmp_path):
    (tmp_path / "folder.json").mkdir()
    (tmp_path / "dangling.json").symlink_to(tmp_path / "moved-away.json")
    for name, what in [("folder", "a folder"), ("dangling", "a link to nothing")]:
        with pytest.raises(tenant.ExportError) as info:
            tenant.load_for(tmp_path, [name])
        assert str(info.value) == (f"{tmp_path / name}.json: is {what}, not an export file (write the "
                                   "tenant's export here, or remove it)")
        assert info.value.kinds == {errors.UNREADABLE} and info.value.exit_code == 2
    (tmp_path / "contoso.json").symlink_to(FIXTURES / "contoso.json")  # a link to a file is that file
    assert tenant.load_for(tmp_path, ["contoso"])["contoso"].tenant == "contoso.onmicrosoft.com"


def test_catalogue_fields_for_the_tenant_checks():
    from macros import catalogue
    proofpoint = catalogue.get("proofpoint")
    assert "outbound-*.ppe-hosted.com" in proofpoint.smart_hosts
    assert "outbound-*.ppe-hosted.com" in proofpoint.unconfirmed  # not from the vendor's own pages
    spec = spec_for("contoso", filter_mx=None, filter="proofpoint", arc_sealer=None)
    assert "outbound-*.ppe-hosted.com" in tenant.filter_hosts(spec)
    assert tenant.sealer_of(spec) is None
    assert tenant.sealer_of(spec_for("contoso", filter_mx=None, filter="proofpoint",
                                     arc_sealer="sealer.example")) == "sealer.example"


# ---- the export script -----------------------------------------------------------------------

#: Commands the script may run besides Exchange Online's Get-* cmdlets: PowerShell's own, the
#: module's connect/disconnect, and the script's functions.
SCRIPT_COMMANDS = {"Connect-ExchangeOnline", "Disconnect-ExchangeOnline", "Import-Module", "Set-StrictMode",
                   "ConvertTo-Json", "ForEach-Object", "Where-Object", "Get-Date", "Join-Path", "New-Item",
                   "Remove-Item", "Resolve-Path", "Test-Path", "Write-Output",
                   "Export-Cmdlet", "ConvertTo-Shape", "Get-Prop"}


def parse_powershell(source: bytes):
    """The tree-sitter PowerShell grammar's parse (pwsh itself is not installable from the
    registries this project reaches): (syntax errors, command names)."""
    import tree_sitter_powershell
    from tree_sitter import Language, Parser

    tree = Parser(Language(tree_sitter_powershell.language())).parse(source)
    errors, commands = [], set()
    todo = [tree.root_node]
    while todo:
        node = todo.pop()
        if node.type == "ERROR" or node.is_missing:
            errors.append((node.start_point, source[node.start_byte:node.end_byte][:60]))
        if node.type == "command_name":
            commands.add(source[node.start_byte:node.end_byte].decode())
        todo.extend(node.children)
    return errors, commands


def test_export_script_parses_and_runs_only_read_only_exchange_cmdlets():
    source = SCRIPT.read_bytes()
    errors, commands = parse_powershell(source)
    assert errors == []
    exchange = commands - SCRIPT_COMMANDS
    assert exchange and all(name.startswith("Get-") for name in exchange), exchange
    # the parse would notice a broken script, and a cmdlet that writes
    assert parse_powershell(source[: len(source) // 2])[0]
    assert "Set-InboundConnector" in parse_powershell(source + b"\nSet-InboundConnector -Identity x\n")[1]


def test_export_script_is_read_only_and_writes_atomically():
    """Only Get-* Exchange cmdlets, loaded by -CommandName, every cmdlet the checks need, a
    temporary file renamed over the export."""
    text = SCRIPT.read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    loaded = re.search(r"\$ReadCmdlets = @\((.*?)\)", code, re.S).group(1)
    names = re.findall(r"'([A-Za-z]+-[A-Za-z]+)'", loaded)
    assert set(tenant.CMDLETS) <= set(names) and all(n.startswith("Get-") for n in names)
    assert "CommandName = $ReadCmdlets" in code
    exchange_verbs = re.findall(r"\b(Set|New|Remove|Enable|Disable|Add|Update|Start|Stop)-"
                                r"(\w*(?:Connector|Config|Rule|Domain|Mailbox))\b", code)
    assert exchange_verbs == []
    for name in tenant.CMDLETS:
        assert f"'{name}'" in code.split("cmdlets     =", 1)[1]  # written under its own name
    assert "WriteAllText($temp" in code and "[System.IO.File]::Move($temp, $target, $true)" in code
    assert "-CertificateThumbprint" not in code or "CertificateThumbprint = $CertificateThumbprint" in code
    assert "Disconnect-ExchangeOnline" in code and "#Requires -Version 7.0" in text


def test_export_script_writes_the_properties_the_fixtures_hold():
    """The script's $Shape table names, per cmdlet, every property of the contract-shaped fixture."""
    code = SCRIPT.read_text(encoding="utf-8")
    shape = code.split("$Shape = [ordered] @{", 1)[1].split("\n}\n", 1)[0]
    blocks = dict(re.findall(r"'(Get-\w+)'\s*=\s*\[ordered\] @\{(.*?)\}", shape, re.S))
    assert blocks and all(name in tenant.CMDLETS for name in blocks)  # `& $Name` runs only these
    fixture = raw("contoso")["cmdlets"]
    for cmdlet in ("Get-InboundConnector", "Get-OutboundConnector", "Get-DkimSigningConfig",
                   "Get-AcceptedDomain", "Get-TransportRule"):
        written = set(re.findall(r"(\w+) = '(?:text|bool|int|strings)'", blocks[cmdlet]))
        assert set(fixture[cmdlet][0]) <= written, (cmdlet, set(fixture[cmdlet][0]) - written)


def _descendants(node):
    todo = list(node.children)
    while todo:
        node = todo.pop(0)
        yield node
        todo.extend(node.children)


def script_parameters_and_assignments(source: bytes) -> tuple[dict, list[str]]:
    """The script's own parameters (name -> attribute texts) and every assignment, from the
    tree-sitter parse."""
    import tree_sitter_powershell
    from tree_sitter import Language, Parser

    root = Parser(Language(tree_sitter_powershell.language())).parse(source).root_node
    text = lambda n: source[n.start_byte:n.end_byte].decode()  # noqa: E731
    block = next(n for n in root.children if n.type == "param_block")
    params = {}
    for node in block.children:
        if node.type == "parameter_list":
            for p in (c for c in node.children if c.type == "script_parameter"):
                name = next(text(c) for c in p.children if c.type == "variable")
                params[name] = [text(c) for c in _descendants(p) if c.type == "attribute"]
    return params, [text(n) for n in _descendants(root) if n.type == "assignment_expression"]


def test_export_script_can_export_a_customer_tenant_from_a_partner_account():
    """Connect-ExchangeOnline -DelegatedOrganization (Microsoft Learn: "the customer organization
    that you want to manage ... the primary .onmicrosoft.com domain or tenant ID", CSP delegated
    management only): optional, interactive sign-in only, passed to Connect-ExchangeOnline."""
    params, assignments = script_parameters_and_assignments(SCRIPT.read_bytes())
    attributes = params["$DelegatedOrganization"]
    assert "[Parameter(ParameterSetName = 'Interactive')]" in attributes and "[string]" in attributes
    assert not any("Mandatory" in a for a in attributes)
    pattern = re.search(r"ValidatePattern\('(.*)'\)", " ".join(attributes)).group(1)
    for good in ("contoso.onmicrosoft.com", "36ee4c6c-0812-40a2-b820-b22ebd02bce3"):
        assert re.fullmatch(pattern, good, re.I)
    for bad in ("contoso.com", "contoso.onmicrosoft.com; Set-InboundConnector", "-x.onmicrosoft.com"):
        assert not re.fullmatch(pattern, bad, re.I)
    assert "$connect.DelegatedOrganization = $DelegatedOrganization" in assignments
    text = SCRIPT.read_text(encoding="utf-8")
    assert ".PARAMETER DelegatedOrganization" in text
    assert "learn.microsoft.com/powershell/module/exchangepowershell/connect-exchangeonline" in text
    export_page = (SCRIPT.parent.parent / "docs" / "tenant" / "export.md").read_text(encoding="utf-8")
    assert "-DelegatedOrganization" in export_page


# ---- the site and the CLI ---------------------------------------------------------------------

SITE_DOMAINS = [
    {"name": "contoso.example", "scenario": TP, "filter_mx": ["mx0*.hornetsecurity.com", "*.filter.example"],
     "tenant": "contoso", "filter_ips": [FILTER_IP], "arc_sealer": "filter.example", "outbound": "filter"},
    {"name": "bypass.example", "scenario": TP, "filter_mx": ["*.filter.example"], "tenant": "fabrikam",
     "filter_ips": [FILTER_IP], "arc_sealer": "filter.example", "outbound": "filter"},
    {"name": "exo.example", "scenario": EXO, "tenant": "exo"},  # no export copied for exo
]


def tenant_project(tmp_path, exports=("contoso", "fabrikam")) -> Path:
    project = make_project(tmp_path, SITE_DOMAINS)
    (project / "tenants").mkdir()
    for name in exports:
        shutil.copy(FIXTURES / f"{name}.json", project / "tenants" / f"{name}.json")
    return project


@pytest.fixture(scope="module")
def site(bind_server, tmp_path_factory):
    project = tenant_project(tmp_path_factory.mktemp("tenant-site"))
    result = build(project, MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode == 0, result.output
    return result


def by_id(report: dict) -> dict:
    return {c["id"]: c for c in report["checks"]}


def test_site_shows_tenant_checks_and_the_export_date(site):
    reports = {d["domain"]: d for d in site.drift()["domains"]}
    contoso = by_id(reports["contoso.example"])
    assert {cid: contoso[cid]["status"] for cid in tenant.TENANT_CHECK_IDS} == dict.fromkeys(
        tenant.TENANT_CHECK_IDS, "pass")  # dkim-signing compared with the zone's real CNAMEs
    assert reports["contoso.example"]["tenant_export"] == {
        "tenant": "contoso.onmicrosoft.com", "exported_at": "2026-12-01T02:00:00Z", "file": "contoso.json"}
    bypass = by_id(reports["bypass.example"])
    assert bypass["dkim-signing"]["status"] == "fail" and bypass["accepted-domain"]["status"] == "fail"
    page = site.page("domains/contoso.example/")
    assert "Tenant checks from the Exchange Online export of <code>contoso.onmicrosoft.com</code> " \
           "taken <time>2026-12-01T02:00:00Z</time>" in page
    row = re.search(r'<tr class="mf-row-pass" id="check-efc">.*?</tr>', page).group(0)
    assert 'href="../../tenant/configure/#efc"' in row
    assert site.drift()["summary"]["failed"] >= 5  # bypass.example's tenant failures count


def test_domain_without_export_shows_info_on_its_page_and_in_drift_json(site):
    report = next(d for d in site.drift()["domains"] if d["domain"] == "exo.example")
    assert report["tenant_export"] is None
    checks_ = by_id(report)
    for cid in tenant.TENANT_CHECK_IDS:
        assert checks_[cid]["status"] == "info", checks_[cid]
        assert checks_[cid]["reason"] == "No export for this tenant (exo.json): run the export script to check it"
    assert report["status"] == "pass"  # info never makes a domain worse
    page = site.page("domains/exo.example/")
    for cid in tenant.TENANT_CHECK_IDS:
        assert re.search(rf'<tr class="mf-row-info" id="check-{cid}">.*?INFO.*?</tr>', page)
    assert "no Exchange Online export for this tenant" in page
    index = site.page("domains/")
    exo_row = re.search(r'<tr class="mf-row-pass" data-status="pass"[^>]*>(?:(?!</tr>).)*exo\.example.*?</tr>',
                        index, re.S).group(0)
    assert "mf-problems" not in exo_row  # info is not listed as a problem


def test_export_text_is_rendered_escaped(site):
    page = site.page("domains/bypass.example/")
    assert "&lt;script&gt;alert(" in page
    assert "<script>alert('connector')" not in page
    assert 'href="javascript:alert' not in page
    assert "[x](javascript:alert(1))" in page  # Markdown link syntax stayed text


def test_a_broken_export_stops_the_build_with_one_message_and_no_site(bind_server, tmp_path):
    project = tenant_project(tmp_path, exports=("contoso",))
    shutil.copy(FIXTURES / "broken-cmdlets.json", project / "tenants" / "fabrikam.json")
    result = build(project, MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode != 0
    assert "Traceback" not in result.output
    assert re.search(r"tenants/fabrikam\.json: 3 problem\(s\):", result.output), result.output
    assert "field 'cmdlets.Get-ArcConfig': missing" in result.output
    assert not (project / "site" / "index.html").exists()
    assert not (project / "site" / "drift.json").exists()


def test_cli_check_json_and_a_broken_export(bind_server, tmp_path):
    project = tenant_project(tmp_path)
    result = cli(project, "check", "--json", MAILFLOW_NAMESERVERS=bind_server.address)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1  # bypass.example fails
    reports = {d["domain"]: d for d in json.loads(result.stdout)}
    assert reports["contoso.example"]["tenant_export"]["exported_at"] == "2026-12-01T02:00:00Z"
    assert by_id(reports["exo.example"])["efc"]["status"] == "info"
    table = cli(project, "check", "exo.example", "contoso.example", MAILFLOW_NAMESERVERS=bind_server.address)
    assert re.search(r"^  INFO +efc +No export for this tenant", table.stdout, re.M), table.stdout
    assert "  tenant export: contoso.onmicrosoft.com taken 2026-12-01T02:00:00Z (contoso.json)" in table.stdout
    assert table.stdout.count("tenant export:") == 1  # exo.example has none

    (project / "tenants" / "fabrikam.json").write_text('{"exported_at": "2026-12-01T02:00:00Z", "ten',
                                                       encoding="utf-8")
    result = cli(project, "check", MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and "tenants/fabrikam.json: line 1, column" in result.stderr
    assert "truncated?" in result.stderr and "Traceback" not in result.stderr

    shutil.rmtree(project / "tenants")  # the default folder, not made yet: no exports
    result = cli(project, "check", "--json", MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode == 1  # bypass.example's MX still bypasses the filter
    reports = json.loads(result.stdout)
    assert all(d["tenant_export"] is None for d in reports)
    assert {c["status"] for d in reports for c in d["checks"] if c["id"] in tenant.TENANT_CHECK_IDS} == {"info"}

    other = dict(MAILFLOW_NAMESERVERS=bind_server.address, MAILFLOW_TENANTS=str(tmp_path / "elsewhere"))
    result = cli(project, "check", "--json", **other)  # MAILFLOW_TENANTS points at no folder
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    assert f"MAILFLOW_TENANTS='{tmp_path / 'elsewhere'}': no such folder" in result.stderr


def test_a_named_tenants_folder_that_is_not_there_stops_the_build(tmp_path):
    project = tenant_project(tmp_path)
    built = build(project, MAILFLOW_NAMESERVERS="127.0.0.1:9", MAILFLOW_TENANTS="tenant")  # a typo
    assert built.returncode != 0 and "Traceback" not in built.output
    assert "MAILFLOW_TENANTS='tenant': no such folder" in built.output
    assert not (project / "site" / "drift.json").exists()
    (project / "tenants" / "contoso.json").unlink()
    (project / "tenants" / "contoso.json").mkdir()  # where the export should be: a folder
    built = build(project, MAILFLOW_NAMESERVERS="127.0.0.1:9")
    assert built.returncode != 0 and "Traceback" not in built.output
    assert "tenants/contoso.json: is a folder, not an export file" in built.output


def test_offline_judges_the_tenant_checks_from_the_export_and_the_baseline(bind_server, tmp_path):
    project = tenant_project(tmp_path)
    written = cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_server.address)
    assert written.returncode == 0, written.stderr
    result = cli(project, "check", "--json", MAILFLOW_OFFLINE=1)
    assert result.returncode == 2  # offline: the checks did not run live
    reports = {d["domain"]: d for d in json.loads(result.stdout)}
    contoso = by_id(reports["contoso.example"])
    assert {cid: contoso[cid]["status"] for cid in tenant.TENANT_CHECK_IDS} == dict.fromkeys(
        tenant.TENANT_CHECK_IDS, "pass")  # dkim-signing from the baseline's selector lookups
    assert reports["contoso.example"]["tenant_export"]["file"] == "contoso.json"
    assert by_id(reports["exo.example"])["dkim-signing"]["status"] == "info"
