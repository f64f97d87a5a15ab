"""Whole-site builds with `mkdocs build --strict` against the real BIND server (and FakeDNS faults).

A domain page per domain, scenario pages with live verdicts, drift.json, hostile records shown
inert, offline mode without DNS, an unhealthy resolver, bad input.
"""

from __future__ import annotations

import re
import time

import pytest
from markupsafe import Markup

from macros.tenant import TENANT_CHECK_IDS
from tests.support.sites import (DOMAINS, HOSTILE_MARKERS, HOSTILE_NAMES, build, cli, hostile_config,
                                 make_project)



@pytest.fixture(scope="module")
def live(bind_server, tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("live"), DOMAINS)
    result = build(project, MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode == 0, result.output
    return result


def checks_of(report):
    return {c["id"]: c["status"] for c in report["checks"]}


def test_every_domain_gets_a_page_and_the_index_lists_them(live):
    index = live.page("domains/")
    for entry in DOMAINS:
        ascii_name = entry["name"].encode("idna").decode() if not entry["name"].isascii() else entry["name"]
        page = live.page(f"domains/{ascii_name}/")
        assert "mf-checks" in page
        for check_id in ("mx-route", "exo-host", "spf-present", "spf-m365", "spf-all", "spf-lookups",
                         "spf-senders", "dmarc", "dkim", "autodiscover"):
            assert f'id="check-{check_id}"' in page
        assert f'href="{ascii_name}/"' in index or f'href="./{ascii_name}/"' in index
    assert "bücher.example" in live.page("domains/xn--bcher-kva.example/")


def test_every_block_kept_out_of_markdown_is_back_in_its_page(live):
    """site.State.stash: the macros' HTML blocks skip Markdown (and search-excluded ones the
    search index); every placeholder is replaced in the written page, none is left over."""
    pages = live.html_files()
    assert len(pages) > 20
    for path in pages:
        assert "data-mf-block" not in path.read_text(encoding="utf-8"), path
    page = live.page("domains/contoso.example/")
    for block in ("mf-route-block", "mf-checks-block", "mf-records-block", "mf-spf-block", "mf-lookups-block"):
        assert f'class="mf {block}"' in page, block
    index = (live.site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "data-mf-block" not in index and "contoso.example" in index


def test_a_placeholder_written_in_a_page_is_not_a_block():
    """Block keys carry the build's random nonce: a note that writes a placeholder by hand
    gets nothing, and each block is put in once, before or after the search index as it should."""
    from macros.render import block
    from macros.site import State

    state = State()
    early = state.stash(block(Markup("<p>searchable</p>"), "mf-x", dns=False))
    late = state.stash(block(Markup("<p>dns text</p>"), "mf-y"))
    forged = '<div data-mf-block="0000000000000000-0"></div>'
    html = f"{early}{late}{forged}"
    first = state.unstash(html)
    assert "searchable" in first and "dns text" not in first and forged in first
    second = state.unstash(first, late=True)
    assert "dns text" in second and forged in second and "data-mf-block=\"" + state.nonce not in second
    assert state.unstash(html) == html  # each block is put in once


def test_verdicts_match_the_zones(live):
    reports = {d["domain"]: d for d in live.drift()["domains"]}
    assert checks_of(reports["contoso.example"])["mx-route"] == "pass"
    assert checks_of(reports["bypass.example"])["mx-route"] == "fail"
    assert checks_of(reports["hybrid-missing.example"])["spf-senders"] == "fail"
    assert checks_of(reports["exo.example"])["mx-route"] == "pass"
    page = live.page("domains/bypass.example/")
    row = re.search(r'<tr class="mf-row-fail" id="check-mx-route">.*?</tr>', page).group(0)
    assert "FAIL" in row and "bypass-example.mail.protection.outlook.com" in row
    assert 'href="../../common-issues/#mx-bypasses-filter"' in row or "scenarios/third-party-filter/#mx-record" in row


def test_domain_page_lists_records_resolver_and_time(live, bind_server):
    page = live.page("domains/contoso.example/")
    assert "MS=ms80509778" in page  # every apex TXT record, not only SPF
    assert "v=spf1 include:spf.protection.outlook.com include:spf.hornetsecurity.com -all" in page
    assert bind_server.address in page
    assert re.search(r"Checked live at <time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ</time>", page)
    assert "DNS-querying terms" in page  # the SPF tree with its count


def test_scenario_pages_carry_live_verdicts(live):
    third = live.page("scenarios/third-party-filter/")
    assert "bypass.example" in third and "contoso.example" in third
    assert "hybrid-missing.example" not in third
    # worst first: the failing domain is listed before the passing one
    assert third.index("bypass.example") < third.index("contoso.example")
    hybrid = live.page("scenarios/hybrid-third-party/")
    assert "hybrid-missing.example" in hybrid and "FAIL" in hybrid


def test_drift_json_has_the_contract_shape(live):
    data = live.drift()
    assert set(data) >= {"generated_at", "resolver_healthy", "offline", "baseline", "summary", "domains"}
    assert data["resolver_healthy"] is True and data["offline"] is False
    assert data["summary"]["domains"] == len(DOMAINS)
    failed = sum(1 for d in data["domains"] for c in d["checks"] if c["status"] == "fail")
    assert data["summary"]["failed"] == failed > 0
    for d in data["domains"]:
        assert set(d) >= {"domain", "scenario", "checks", "records"}
        for c in d["checks"]:
            assert set(c) >= {"id", "status", "reason", "expected", "observed", "fix"}
            assert c["status"] in ("pass", "info", "warn", "fail", "unknown")
        for r in d["records"]:
            assert set(r) >= {"name", "type", "status", "baseline", "observed"}
            assert r["status"] == "new"  # no baseline yet


def test_fix_links_point_at_existing_anchors(live):
    ids_by_page = {}
    for d in live.drift()["domains"]:
        for c in d["checks"]:
            path, _, anchor = c["fix"].partition("#")
            if path not in ids_by_page:
                ids_by_page[path] = set(re.findall(r'id="([^"]+)"', live.page(path)))
            assert anchor in ids_by_page[path], f"{c['id']} links to missing {c['fix']}"




def test_hostile_records_are_inert_on_every_page(live):
    for path in live.html_files():
        html = path.read_text(encoding="utf-8")
        for marker in HOSTILE_MARKERS:
            assert not marker.search(html), f"{path}: {marker.pattern}"
        assert html.count("JINJA-RAN") == html.count("{% if true %}JINJA-RAN"), "Jinja in DNS text ran"
        assert "root:x:0:0" not in html
        assert "injected heading</h1>" not in html
    page = live.page("domains/hostile.example/")
    assert "&lt;script&gt;alert(&#39;txt&#39;)&lt;/script&gt;" in page
    assert "{{ 7*7 }}" in page and "{% if true %}" in page
    assert "[click me](javascript:alert(3))" in page
    assert "\\010--8&lt;--" in page  # the newline shown as \010, the snippet marker literal
    index = (live.site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "alert(" not in index, "DNS text must stay out of the search index"
    # nothing of any DNS answer is indexed, also after a CNAME chain or a drift note in a table
    for value in ("MS=ms80509778", "dmarc-reports@contoso.example", "selector1-contoso-example",
                  "52.98.", "p=MIIBIjANBg", "bypass-example.mail.protection"):
        assert value not in index, value


def test_offline_builds_from_the_baseline_without_dns(bind_server, tmp_path):
    project = make_project(tmp_path, DOMAINS[:2])
    written = cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_server.address)
    assert written.returncode == 0, written.stderr
    stamp = re.search(r"written_at: '?([0-9T:Z-]+)", (project / "baseline.yml").read_text()).group(1)
    # Offline asks no DNS: a nameserver that does not exist must not matter.
    result = build(project, MAILFLOW_OFFLINE="1", MAILFLOW_NAMESERVERS="127.0.0.1:9")
    assert result.returncode == 0, result.output
    page = result.page("domains/bypass.example/")
    assert f"records as of {stamp}, not live" in page
    assert "Checked live" not in page
    data = result.drift()
    assert data["offline"] is True
    reports = {d["domain"]: d for d in data["domains"]}
    assert checks_of(reports["bypass.example"])["mx-route"] == "fail"  # judged from the baseline
    assert checks_of(reports["contoso.example"])["mx-route"] == "pass"


def test_unhealthy_resolver_makes_everything_unknown(fake_dns, tmp_path):
    fake_dns.fault("*", "nxdomain")
    project = make_project(tmp_path, DOMAINS[:2])
    result = build(project, MAILFLOW_NAMESERVERS=fake_dns.address)
    assert result.returncode == 0, result.output
    data = result.drift()
    assert data["resolver_healthy"] is False
    assert {c["status"] for d in data["domains"] for c in d["checks"]
            if c["id"] not in TENANT_CHECK_IDS} == {"unknown"}  # tenant checks: info, no export
    assert {r["status"] for d in data["domains"] for r in d["records"]} == {"unknown"}
    assert data["summary"]["drifted"] == 0 and data["summary"]["failed"] == 0
    assert "Live checks could not run." in result.page("domains/contoso.example/")
    assert "no records are known yet" in result.page("domains/contoso.example/")


@pytest.mark.parametrize("fault", ["nxdomain", "timeout"])
def test_fresh_clone_builds_whatever_the_resolver_says(fake_dns, tmp_path, fault):
    """The sample domains.yml and mkdocs.yml as cloned, and a resolver that lies NXDOMAIN for every
    public name (as this machine's does) or never answers: still a clean strict build, in bounded
    time, that says the checks could not run. The resolver is a loopback stand-in: tests never
    ask this machine's resolver."""
    from tests.support.sites import ROOT

    fake_dns.fault("*", fault)
    project = make_project(tmp_path)
    (project / "domains.yml").write_text((ROOT / "domains.yml").read_text(encoding="utf-8"), encoding="utf-8")
    started = time.monotonic()
    result = build(project, MAILFLOW_NAMESERVERS=fake_dns.address)
    assert result.returncode == 0, result.output
    assert time.monotonic() - started < 120
    assert result.drift()["resolver_healthy"] is False
    assert "Live checks could not run." in result.page("index.html")
    assert "Live checks could not run." in result.page("domains/")


@pytest.mark.parametrize("text, expected", [
    ("domains:\n  - name: contoso.example\n    scenario: cloudy\n", r"domains\[0\] \(contoso.example\): field 'scenario'"),
    ("domains:\n  - name: " + "a" * 64 + ".example\n    scenario: exchange-online\n", "longer than 63 octets"),
    ("domains:\n  - name: x.example\n    scenario: hybrid-third-party\n    filter: hornetsecurity\n    onprem_ips: [1.2.3.999]\n",
     r"field 'onprem_ips'\[0\]: '1.2.3.999' is not an IP address"),
    ("domains: [unclosed\n", "not valid YAML"),
])
def test_bad_domains_file_stops_the_build_with_one_clear_message(tmp_path, text, expected):
    project = make_project(tmp_path)
    (project / "domains.yml").write_text(text, encoding="utf-8")
    result = build(project, MAILFLOW_OFFLINE="1")
    assert result.returncode != 0
    assert "Traceback" not in result.output
    assert re.search(expected, result.output), result.output
    assert "domains.yml" in result.output
    assert not (project / "site" / "index.html").exists()


def test_bad_nameserver_setting_is_named(tmp_path):
    project = make_project(tmp_path, DOMAINS[:1])
    result = build(project, MAILFLOW_NAMESERVERS="dns.example:53")
    assert result.returncode != 0 and "Traceback" not in result.output
    assert "MAILFLOW_NAMESERVERS" in result.output


# ---- per-build state and hostile names -----------------------------------------------------------


def test_each_build_in_one_process_starts_with_fresh_state(tmp_path):
    """Two builds in one process (as `mkdocs serve` rebuilds) with different domains files: the
    second shows only its own domains, nothing left over from the first."""
    import yaml

    from tests.support.sites import build_in_process

    project = make_project(tmp_path, [{"name": "first.example", "scenario": "exchange-online"}])
    (project / "second.yml").write_text(yaml.safe_dump({"domains": [
        {"name": "second.example", "scenario": "third-party-filter", "filter": "hornetsecurity"}]}), encoding="utf-8")
    first = build_in_process(project, tmp_path / "site1", MAILFLOW_OFFLINE="1")
    second = build_in_process(project, tmp_path / "site2", MAILFLOW_OFFLINE="1", MAILFLOW_DOMAINS="second.yml")
    assert [d["domain"] for d in first.drift()["domains"]] == ["first.example"]
    assert [d["domain"] for d in second.drift()["domains"]] == ["second.example"]
    assert (first.site / "domains" / "first.example" / "index.html").is_file()
    assert (second.site / "domains" / "second.example" / "index.html").is_file()
    assert not (second.site / "domains" / "first.example").exists()
    for page in ("domains/", "scenarios/exchange-online/", "index.html", "tags/"):
        assert "first.example" not in second.page(page), page
    assert "second.example" in second.page("scenarios/third-party-filter/")


def test_hostile_domain_names_are_inert_in_titles_headers_tags_and_search(tmp_path):
    from macros.render import domain_path, plain_name
    from tests.support.sites import build_in_process

    project = make_project(tmp_path / "project")
    config = hostile_config()
    result = build_in_process(project, tmp_path / "site", config=config, MAILFLOW_OFFLINE="1")
    for path in result.html_files():
        html = path.read_text(encoding="utf-8")
        for marker in HOSTILE_MARKERS:
            assert not marker.search(html), f"{path}: {marker.pattern}"
        assert "<script>alert" not in html and "49.example" not in html, path
        title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
        assert not re.search(r"[<>{}\"']|&lt;|&amp;lt", title), f"{path}: title {title!r}"
    assert not (tmp_path / "index.example").exists() and not (tmp_path / "site" / ".." / "index.example").exists()
    for spec in config.domains:
        page = result.page(domain_path(spec))
        assert "/" not in domain_path(spec)[len("domains/"):-1]
        heading = re.search(r'<h1 id="domain">(.*?)</h1>', page).group(1)
        assert str(__import__("markupsafe").escape(spec.name.replace("\n", "\\010"))) in heading
        assert f"<title>{plain_name(spec.name)} - " in page
    index = (result.site / "search" / "search_index.json").read_text(encoding="utf-8")
    for raw in ("<img", "<script", "<a href"):  # text of the names is fine, markup from them is not
        assert raw not in index, raw
    tags = result.page("tags/")
    assert "<script>alert" not in tags and "<img src=x" not in tags
    assert tags.count("domain") >= len(HOSTILE_NAMES)  # the pages are listed, by their plain titles
