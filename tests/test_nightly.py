"""The nightly job (docs/nightly.md): ``MAILFLOW_FAIL_ON_DRIFT=1 mkdocs build --strict`` against a
baseline accepted with ``python -m macros baseline``, while the served zones change under it.

BIND serves the zones (a test rewrites a zone and reloads); FakeDNS stops answering, lies with
NXDOMAIN, or (FlipDNS) answers once with other records and then as before.
"""

from __future__ import annotations

import time

import dns.message
import dns.query
import dns.rdatatype

import pytest

from macros import baseline as baseline_mod
from macros import cli as cli_mod
from macros import engine, nightly
from macros.baseline import Baseline
from macros.resolve import Resolver
from macros.tenant import TENANT_CHECK_IDS
from tests.support.sites import build, cli, make_project
from tests.support.world import (CONTOSO, WORLD, FlipDNS, accept, accepted, domain_names,
                                 make_config, serve_zones)
from tests.support.world import CLEAN_DOMAINS as DOMAINS
FAST = {"resolver": {"timeout": 0.3, "lifetime": 0.6, "confirm_delay": 0.2}}


def records(data: dict, domain: str) -> dict:
    entry = next(d for d in data["domains"] if d["domain"] == domain)
    return {(r["name"], r["type"]): r for r in entry["records"]}


def drifted(data: dict) -> list[tuple[str, str, str]]:
    return [(d["domain"], r["name"], r["type"]) for d in data["domains"] for r in d["records"]
            if r["status"] == "drifted"]


def assert_whole_site(result) -> None:
    assert (result.site / "index.html").is_file()
    assert (result.site / "drift" / "index.html").is_file()
    for domain in DOMAINS:
        assert (result.site / "domains" / domain["name"] / "index.html").is_file()
    assert (result.site / "drift.json").is_file()


def test_clean_nightly_build_passes(tmp_path, bind_server):
    project = accepted(tmp_path, bind_server.address)
    result = build(project, MAILFLOW_NAMESERVERS=bind_server.address, MAILFLOW_FAIL_ON_DRIFT=1)
    assert result.returncode == 0, result.output
    data = result.drift()
    assert data["summary"] == {"domains": 2, "drifted": 0, "failed": 0, "unknown": 0}
    assert {c["status"] for d in data["domains"] for c in d["checks"]} <= {"pass", "info"}
    assert {r["status"] for d in data["domains"] for r in d["records"]} == {"unchanged"}
    assert "No record set differs from the baseline." in result.page("drift/")


def test_a_changed_record_is_drift_and_fails_the_nightly_build_after_the_whole_site(tmp_path, bind_zones):
    project = accepted(tmp_path, bind_zones.address)
    text = bind_zones.zone_text("contoso.example")
    assert "@\tMX\t40 mx04.hornetsecurity.com." in text
    bind_zones.write_zone("contoso.example", text.replace("@\tMX\t40 mx04", "@\tMX\t50 mx04"))

    result = build(project, MAILFLOW_NAMESERVERS=bind_zones.address, MAILFLOW_FAIL_ON_DRIFT=1)
    assert result.returncode != 0, result.output
    assert "Traceback" not in result.output
    assert ("contoso.example: MX contoso.example. drifted (added 50 mx04.hornetsecurity.com.; "
            "removed 40 mx04.hornetsecurity.com.)") in result.output
    assert "check " not in result.output.split("MAILFLOW_FAIL_ON_DRIFT=1")[-1]  # drift alone failed it
    assert_whole_site(result)

    data = result.drift()
    assert drifted(data) == [("contoso.example", "contoso.example", "MX")]
    assert data["summary"]["drifted"] == 1 and data["summary"]["failed"] == 0
    mx = records(data, "contoso.example")[("contoso.example", "MX")]
    assert mx["baseline"] == ["10 mx01.hornetsecurity.com.", "20 mx02.hornetsecurity.com.",
                              "30 mx03.hornetsecurity.com.", "40 mx04.hornetsecurity.com."]
    assert mx["observed"] == ["10 mx01.hornetsecurity.com.", "20 mx02.hornetsecurity.com.",
                              "30 mx03.hornetsecurity.com.", "50 mx04.hornetsecurity.com."]
    others = [r["status"] for (name, rdtype), r in records(data, "contoso.example").items() if rdtype != "MX"]
    assert set(others) == {"unchanged"}

    drift_page = result.page("drift/")
    assert "No record set differs" not in drift_page
    row = drift_page[drift_page.index('<table class="mf-drift">'):]
    assert "contoso.example" in row and "50 mx04.hornetsecurity.com." in row and "40 mx04.hornetsecurity.com." in row
    assert "nested.example" not in row
    page = result.page("domains/contoso.example/")
    assert "mf-banner-drift" in page and "MX contoso.example." in page
    assert "mf-banner-drift" not in result.page("domains/nested.example/")

    # Without MAILFLOW_FAIL_ON_DRIFT, DNS results never fail the build, drift included.
    time.sleep(1.1)  # the next run gets a later timestamp
    plain = build(project, MAILFLOW_NAMESERVERS=bind_zones.address)
    assert plain.returncode == 0, plain.output
    assert plain.drift()["summary"]["drifted"] == 1
    # The next night the same change keeps the time it was first seen (read from the last drift.json).
    first = mx["first_seen"]
    assert first == data["generated_at"]
    again = records(plain.drift(), "contoso.example")[("contoso.example", "MX")]
    assert again["first_seen"] == first != plain.drift()["generated_at"]
    assert f"<time>{first}</time>" in plain.page("drift/")


SAME_RECORDS_OTHER_FORM = """\
; contoso.example again: the same record sets, reordered, in other case, TXT in other chunks, other TTLs.
$TTL 60
@	IN SOA	ns1.dns.test. hostmaster.dns.test. ( 2026112950 3600 600 1209600 300 )
	IN NS	ns1.dns.test.
AUTODISCOVER	3600	CNAME	AutoDiscover.OUTLOOK.com.
Selector2._DomainKey	CNAME	SELECTOR2-Contoso-Example._DomainKey.Contoso.OnMicrosoft.COM.
selector1._domainkey	CNAME	selector1-contoso-example._domainkey.CONTOSO.onmicrosoft.com.
_DMARC	7200	TXT	"v=DMARC1; " "p=reject; " "rua=mailto:dmarc-reports@contoso.example"
@	120	TXT	"MS=" "ms80509778"
@	120	TXT	"v=spf1 include:spf.protection.outlook.com " "include:spf.hornetsecurity.com -all"
@	900	MX	40 MX04.Hornetsecurity.COM.
@	900	MX	30 mx03.hornetsecurity.com.
@	900	MX	10 Mx01.HornetSecurity.com.
@	900	MX	20 mx02.hornetsecurity.com.
WWW	A	192.0.2.10
"""


def test_reordered_recased_rechunked_and_retimed_records_are_not_drift(tmp_path, bind_zones):
    project = accepted(tmp_path, bind_zones.address)
    bind_zones.write_zone("contoso.example", SAME_RECORDS_OTHER_FORM)

    # The server really answers differently now (not a no-op change).
    def ask(name, rdtype):
        query = dns.message.make_query(name, rdtype, use_edns=0)
        return dns.query.udp(query, bind_zones.host, port=bind_zones.port, timeout=2).answer[0]
    mx = ask("contoso.example.", "MX")
    assert mx.ttl == 900 and any(c.isupper() for c in mx.to_text())
    assert len(next(r for r in ask("contoso.example.", "TXT") if b"v=spf1" in r.strings[0]).strings) == 2
    assert len(ask("_dmarc.contoso.example.", "TXT")[0].strings) == 3

    result = build(project, MAILFLOW_NAMESERVERS=bind_zones.address, MAILFLOW_FAIL_ON_DRIFT=1)
    assert result.returncode == 0, result.output
    data = result.drift()
    assert data["summary"] == {"domains": 2, "drifted": 0, "failed": 0, "unknown": 0}
    assert {r["status"] for r in records(data, "contoso.example").values()} == {"unchanged"}
    assert "mf-banner-drift" not in result.page("domains/contoso.example/")


def test_a_domain_that_stops_answering_is_unknown_not_drift(tmp_path, fake_dns):
    serve_zones(fake_dns, *WORLD, "contoso.example", "nested.example")
    project = accepted(tmp_path, fake_dns.address, FAST)
    for name in domain_names("contoso.example"):
        fake_dns.fault(name, "timeout")  # the canary (outlook.com) still answers

    result = build(project, MAILFLOW_NAMESERVERS=fake_dns.address, MAILFLOW_FAIL_ON_DRIFT=1)
    # Unknown is neither drift nor a failed check; but a domain none of whose records answer
    # (its DNS is down while the resolver is healthy) is reported: its checks could not run.
    assert result.returncode != 0, result.output
    assert "contoso.example: checks could not run: no record set got a definite answer (timeout)" in result.output
    assert "nested.example" not in result.output.split("MAILFLOW_FAIL_ON_DRIFT=1")[-1]
    assert "drifted (" not in result.output
    data = result.drift()
    assert data["resolver_healthy"] is True
    contoso = records(data, "contoso.example")
    assert {r["status"] for r in contoso.values()} == {"unknown"}
    assert {r["lookup"] for r in contoso.values()} == {"timeout"}
    mx = contoso[("contoso.example", "MX")]
    assert mx["observed"] is None and mx["baseline"][0] == "10 mx01.hornetsecurity.com."
    assert {r["status"] for r in records(data, "nested.example").values()} == {"unchanged"}
    assert data["summary"]["drifted"] == 0 and data["summary"]["failed"] == 0
    assert data["summary"]["unknown"] >= 6
    assert "mf-banner-drift" not in result.page("domains/contoso.example/")


def test_a_resolver_that_says_nxdomain_for_everything(tmp_path, fake_dns, bind_server):
    project = accepted(tmp_path, bind_server.address)
    path = project / "baseline.yml"
    before = path.read_bytes()
    fake_dns.fault("*", "nxdomain")

    result = build(project, MAILFLOW_NAMESERVERS=fake_dns.address, MAILFLOW_FAIL_ON_DRIFT=1)
    assert result.returncode != 0, result.output
    assert "checks could not run: resolver unhealthy (canary spf.protection.outlook.com TXT" in result.output
    assert "drifted (" not in result.output and "Traceback" not in result.output
    assert_whole_site(result)
    data = result.drift()
    assert data["resolver_healthy"] is False
    assert data["summary"]["drifted"] == 0 and data["summary"]["failed"] == 0
    assert {r["status"] for d in data["domains"] for r in d["records"]} == {"unknown"}
    assert records(data, "contoso.example")[("contoso.example", "MX")]["baseline"]  # kept, not "removed"

    refused = cli(project, "baseline", MAILFLOW_NAMESERVERS=fake_dns.address)
    assert refused.returncode == 2 and "the resolver is unhealthy" in refused.stderr
    assert path.read_bytes() == before


def test_an_answer_that_flaps_is_not_drift_in_the_nightly_build(tmp_path):
    server = serve_zones(FlipDNS(), *WORLD, "contoso.example", "nested.example").start()
    try:
        project = accepted(tmp_path, server.address)
        server.flip_once("contoso.example", "MX", ["10 mx09.hornetsecurity.com."],
                         ["10 mx01.hornetsecurity.com.", "20 mx02.hornetsecurity.com.",
                          "30 mx03.hornetsecurity.com.", "40 mx04.hornetsecurity.com."])
        result = build(project, MAILFLOW_NAMESERVERS=server.address, MAILFLOW_FAIL_ON_DRIFT=1)
        asked = server.asked[("contoso.example", "MX")]
    finally:
        server.stop()
    assert len(asked) == 2, asked  # looked at again ...
    assert asked[1] - asked[0] >= 0.2  # ... after resolver.confirm_delay (0.2 s in make_project)
    assert result.returncode == 0, result.output
    data = result.drift()
    assert data["summary"]["drifted"] == 0
    assert records(data, "contoso.example")[("contoso.example", "MX")]["status"] == "unchanged"
    page = result.page("domains/contoso.example/")
    assert "mf-banner-flap" in page and "MX contoso.example." in page
    assert "mf-banner-drift" not in page


def test_hybrid_autodiscover_a_record_is_compared(tmp_path, bind_zones):
    """autodiscover as an A record (on-premises, hybrid): a new address is drift; the CNAME form
    of the other domains owns no A records, so Microsoft's rotating addresses never are."""
    hybrid = {"name": "hybrid.example", "scenario": "hybrid-third-party", "filter": "hornetsecurity",
              "tenant": "hybrid", "onprem_ips": ["198.51.100.25"]}
    project = make_project(tmp_path, [CONTOSO, hybrid])
    text = bind_zones.zone_text("hybrid.example")
    assert "autodiscover\tCNAME mail.hybrid.example." in text
    owned = text.replace("autodiscover\tCNAME mail.hybrid.example.", "autodiscover\tA\t198.51.100.25")
    bind_zones.write_zone("hybrid.example", owned)
    assert cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_zones.address).returncode == 0
    bind_zones.write_zone("hybrid.example", owned.replace("autodiscover\tA\t198.51.100.25",
                                                          "autodiscover\tA\t198.51.100.26"))
    data = build(project, MAILFLOW_NAMESERVERS=bind_zones.address).drift()
    assert drifted(data) == [("hybrid.example", "autodiscover.hybrid.example", "A")]
    auto = records(data, "hybrid.example")[("autodiscover.hybrid.example", "A")]
    assert auto["removed"] == ["198.51.100.25"] and auto["added"] == ["198.51.100.26"]
    contoso_auto = records(data, "contoso.example")[("autodiscover.contoso.example", "A")]
    assert contoso_auto["status"] == "unchanged" and contoso_auto["observed"] == []


# ---- issue 15: outages, missing baselines, lying resolvers, flaps, dates ------------------------

def test_a_partial_outage_fails_the_nightly_naming_each_record_set_still_unknown(tmp_path, fake_dns):
    """Half answering (canary fine) used to be a green nightly: a change behind the silent
    names would never be seen. Record sets still unknown after the second look fail it."""
    serve_zones(fake_dns, *WORLD, "contoso.example", "nested.example")
    project = accepted(tmp_path, fake_dns.address, FAST)
    fake_dns.fault("_dmarc.contoso.example", "servfail")
    fake_dns.fault("selector1._domainkey.nested.example", "servfail")
    fake_dns.queries.clear()

    result = build(project, MAILFLOW_NAMESERVERS=fake_dns.address, MAILFLOW_FAIL_ON_DRIFT=1)
    assert result.returncode != 0, result.output
    tail = result.output.split("MAILFLOW_FAIL_ON_DRIFT=1")[-1]
    assert ("contoso.example: TXT _dmarc.contoso.example. still unknown after a second look (servfail)"
            in tail), tail
    assert "nested.example: CNAME selector1._domainkey.nested.example. still unknown after a second look" in tail
    assert "drifted (" not in tail and "Traceback" not in result.output
    assert_whole_site(result)
    asked = [q for q in fake_dns.queries if q[0] == "_dmarc.contoso.example"]
    assert len(asked) >= 2  # looked at a second time before it counts

    check = cli(project, "check", MAILFLOW_NAMESERVERS=fake_dns.address)
    assert check.returncode == 2, check.stdout + check.stderr
    assert "error: contoso.example: TXT _dmarc.contoso.example. still unknown after a second look" in check.stderr


def test_no_accepted_baseline_is_said_on_the_drift_page_and_fails_the_nightly(tmp_path, bind_server):
    project = make_project(tmp_path, DOMAINS)
    result = build(project, MAILFLOW_NAMESERVERS=bind_server.address, MAILFLOW_FAIL_ON_DRIFT=1,
                   MAILFLOW_BASELINE="baselien.yml")  # a typo
    assert result.returncode != 0, result.output
    assert "no accepted baseline:" in result.output and "baselien.yml does not exist" in result.output
    assert_whole_site(result)
    page = result.page("drift/")
    assert "There is no accepted baseline" in page
    assert "No record set differs from the baseline." not in page
    # without the nightly flag the build still succeeds (DNS results never fail a plain build)
    assert build(project, MAILFLOW_NAMESERVERS=bind_server.address).returncode == 0


@pytest.mark.parametrize("offline", [False, True])
def test_an_empty_baseline_is_no_baseline(tmp_path, bind_server, offline):
    resolver = None if offline else engine.make_resolver([("127.0.0.1", bind_server.port)], make_config(CONTOSO))
    empty = Baseline(path="baseline.yml", written_at="2026-11-01T00:00:00Z", exists=True)
    run = engine.run(make_config(CONTOSO), resolver, empty, offline=offline, confirm_delay=0)
    kinds = {p.kind for p in run.problems()}
    assert nightly.NO_BASELINE in kinds, run.problems()
    assert "no accepted baseline: baseline.yml holds no record sets" in run.problems()


def test_a_resolver_that_lies_nxdomain_for_apexes_only_makes_those_domains_unknown(tmp_path, fake_dns):
    """RFC 8020: nothing exists below an NXDOMAIN name; an apex that 'does not exist' while its
    _dmarc name answers is a contradiction: unknown, never 'fail', never drift, never accepted."""
    serve_zones(fake_dns, *WORLD, "contoso.example", "nested.example")
    project = accepted(tmp_path, fake_dns.address, FAST)
    path = project / "baseline.yml"
    accepted_contoso = baseline_mod.load(str(path)).records("contoso.example")
    fake_dns.fault("contoso.example", "nxdomain")   # the apex only; _dmarc.contoso.example still answers

    result = build(project, MAILFLOW_NAMESERVERS=fake_dns.address, MAILFLOW_FAIL_ON_DRIFT=1)
    data = result.drift()
    contoso = next(d for d in data["domains"] if d["domain"] == "contoso.example")
    assert {c["status"] for c in contoso["checks"]
            if c["id"] not in TENANT_CHECK_IDS} == {"unknown"}  # tenant checks: info, no export
    assert all("RFC 8020" in c["reason"] for c in contoso["checks"] if c["id"] not in TENANT_CHECK_IDS)
    assert {r["status"] for r in contoso["records"]} == {"unknown"}
    assert data["summary"]["drifted"] == 0 and data["summary"]["failed"] == 0
    assert result.returncode != 0 and "contoso.example: checks could not run" in result.output
    assert {r["status"] for r in records(data, "nested.example").values()} == {"unchanged"}

    again = cli(project, "baseline", MAILFLOW_NAMESERVERS=fake_dns.address)
    assert again.returncode == 0, again.stderr
    assert "its accepted values are kept" in again.stderr
    assert baseline_mod.load(str(path)).records("contoso.example") == accepted_contoso


CONTOSO_MX = ["10 mx01.hornetsecurity.com.", "20 mx02.hornetsecurity.com.",
              "30 mx03.hornetsecurity.com.", "40 mx04.hornetsecurity.com."]


def _accept_contoso(server):
    config = make_config(CONTOSO)
    first = Resolver(server.nameservers, timeout=1, lifetime=2)
    return config, accept(engine.run(config, first, Baseline(path="memory"), confirm_delay=0), first)


def test_flapping_between_two_new_values_is_drift_with_a_flap_label(capsys):
    server = serve_zones(FlipDNS(), *WORLD, "contoso.example").start()
    try:
        config, baseline = _accept_contoso(server)
        server.set("contoso.example", "MX", ["10 mx05.hornetsecurity.com."])              # B, to stay
        server.flip_once("contoso.example", "MX", ["10 mx06.hornetsecurity.com."],         # C, once
                         ["10 mx05.hornetsecurity.com."])
        run = engine.run(config, Resolver(server.nameservers, timeout=1, lifetime=2), baseline,
                         confirm_delay=0.2)
    finally:
        server.stop()
    report = run.domains[0]
    assert [(r.type, r.name) for r in report.drifted] == [("MX", "contoso.example.")]
    assert report.drifted[0].observed == ("10 mx05.hornetsecurity.com.",)
    assert report.flapped == ["MX contoso.example."]
    assert report.to_dict()["flapped"] == ["MX contoso.example."]  # drift.json and check --json
    cli_mod.print_table(run)
    assert "  FLAPPING MX contoso.example." in capsys.readouterr().out
    page = str(nightly.drift_page(run, lambda target: target))  # the Drift page
    assert "mf-banner-flap" in page and "contoso.example: MX contoso.example." in page
    assert "mx05.hornetsecurity.com." in page  # and it is listed as drift


def test_first_seen_survives_an_outage_and_is_never_later_than_now(fake_dns):
    serve_zones(fake_dns, *WORLD, "contoso.example")
    config, baseline = _accept_contoso(fake_dns)
    fake_dns.set("contoso.example", "MX", ["10 mx05.hornetsecurity.com."])

    def night(previous):
        resolver = Resolver(fake_dns.nameservers, timeout=0.3, lifetime=0.6)
        run = engine.run(config, resolver, baseline, confirm_delay=0, previous=previous)
        return run, {(r.name, r.type): r for r in run.domains[0].records}[("contoso.example.", "MX")]

    first_run, mx = night(None)
    assert mx.status == "drifted" and mx.first_seen == first_run.generated_at
    earlier = first_run.to_dict()
    for r in earlier["domains"][0]["records"]:
        if r["type"] == "MX":
            r["first_seen"] = "2026-01-01T02:00:00Z"

    for name in domain_names("contoso.example"):
        fake_dns.fault(name, "timeout")          # the outage night: the canary still answers
    _, mx = night(earlier)
    outage = _.to_dict()
    assert mx.status == "unknown" and mx.first_seen == "2026-01-01T02:00:00Z"

    fake_dns.clear_faults()                      # back: the same change keeps its date
    _, mx = night(outage)
    assert mx.status == "drifted" and mx.first_seen == "2026-01-01T02:00:00Z"

    future = _.to_dict()
    for r in future["domains"][0]["records"]:
        if r["type"] == "MX":
            r["first_seen"] = "2999-01-01T00:00:00Z"  # written while the clock ran ahead
    run, mx = night(future)
    assert mx.first_seen == run.generated_at


def test_first_seen_survives_a_resolver_outage_and_an_offline_build(fake_dns):
    """The canary times out (resolver down), or the build is offline: every record set is unknown,
    and each keeps the first_seen of the previous report; the healthy run after it keeps it too."""
    serve_zones(fake_dns, *WORLD, "contoso.example")
    config, baseline = _accept_contoso(fake_dns)
    fake_dns.set("contoso.example", "MX", ["10 mx05.hornetsecurity.com."])

    def night(previous, offline=False):
        resolver = None if offline else Resolver(fake_dns.nameservers, timeout=1, lifetime=2)
        run = engine.run(config, resolver, baseline, confirm_delay=0, previous=previous, offline=offline)
        return run, {(r.name, r.type): r for r in run.domains[0].records}[("contoso.example.", "MX")]

    first_run, mx = night(None)
    assert mx.status == "drifted"
    report = first_run.to_dict()
    for r in report["domains"][0]["records"]:
        if r["type"] == "MX":
            r["first_seen"] = "2026-01-01T02:00:00Z"

    fake_dns.fault(config.canary[0], "timeout")   # the resolver is down: the canary fails
    run, mx = night(report)
    assert not run.healthy and mx.status == "unknown" and mx.first_seen == "2026-01-01T02:00:00Z"
    run, mx = night(run.to_dict(), offline=True)   # then an offline build
    assert run.offline and mx.status == "unknown" and mx.first_seen == "2026-01-01T02:00:00Z"

    fake_dns.clear_faults()                         # back: the change keeps the date it was first seen
    run, mx = night(run.to_dict())
    assert run.healthy and mx.status == "drifted" and mx.first_seen == "2026-01-01T02:00:00Z"
