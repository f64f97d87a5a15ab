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

from tests.support.sites import build, cli, make_project
from tests.test_engine import CONTOSO, NESTED, WORLD, FlipDNS, domain_names, serve_zones

#: Both pass every check against tests/zones (test_clean_nightly_build_passes proves it), so
#: only drift or a resolver problem can fail a FAIL_ON_DRIFT build.
DOMAINS = [CONTOSO, NESTED]
FAST = {"resolver": {"timeout": 0.3, "lifetime": 0.6, "confirm_delay": 0.2}}


def accepted(tmp_path, address: str, extra: dict | None = None):
    """A project whose baseline.yml was just written from ``address``."""
    project = make_project(tmp_path, DOMAINS, extra)
    result = cli(project, "baseline", MAILFLOW_NAMESERVERS=address)
    assert result.returncode == 0, result.stderr
    return project


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
