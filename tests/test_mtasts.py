"""MTA-STS (RFC 8461) and TLS-RPT (RFC 8460): parsing, matching, and the mta-sts / tls-rpt
checks against the real BIND fixture and real HTTPS policy hosts on loopback
(tests/support/https.py), fetched by the engine's concurrent phase."""

from __future__ import annotations

import time
import pytest

from macros import checks, config, engine, mtasts, render, tlsrpt
from macros.model import FAIL, WARN
from macros.resolve import Resolver
from tests.support.https import CASES, FETCH_TIMEOUT

#: the fetch deadline in these tests; the slow host waits longer
TIMEOUT = FETCH_TIMEOUT

def spec_of(name: str):
    return config.from_data({"domains": [{"name": name, "scenario": "third-party-filter",
                                          "filter": "hornetsecurity"}]}).domains[0]


def judge(spec, resolver):
    """The checks of one domain from what ``resolver`` holds (SPF resolved as the engine does)."""
    _tree, outcome = engine.evaluate_spf(spec, resolver)
    return checks.evaluate(spec, resolver.answers, outcome)


@pytest.fixture(scope="module")
def judged(bind_server, mtasts_https):
    """Every case domain checked at once, the way engine.run does: base wave, the dependent
    wave with the concurrent policy fetches, then the checks from the cache."""
    resolver = Resolver(bind_server.nameservers, timeout=1, lifetime=2)
    specs = [spec_of(d) for d in sorted({c.domain for c in CASES})]
    resolver.lookup_many([k for s in specs for k in checks.base_queries(s)])
    started = time.monotonic()
    engine._prefetch_dependent(specs, resolver, mtasts_https.ca_file, TIMEOUT)
    elapsed = time.monotonic() - started
    result = {s.ascii: {c.id: c for c in judge(s, resolver)} for s in specs}
    return resolver, result, elapsed


@pytest.mark.parametrize("case", CASES, ids=[f"{c.check}-{c.status}-{c.domain}" for c in CASES])
def test_verdict(judged, case):
    check = judged[1][case.domain][case.check]
    assert check.status == case.status, check
    assert case.words in check.reason, check.reason


def test_fetches_run_concurrently_within_one_deadline(judged):
    """Nine hosts, one of them slower than the deadline: the whole phase takes about one
    deadline, not one per host."""
    assert judged[2] < TIMEOUT + 1.5, judged[2]


def test_a_redirect_is_not_followed(judged, mtasts_https):
    asked = [host for host, _ in mtasts_https.requests]
    assert "mta-sts.redirect.sts.example" in asked
    # the redirect points at the enforce host; it was asked once, for its own domain only
    assert asked.count("mta-sts.enforce.sts.example") == 1


def test_the_policy_is_a_record_set_with_normalized_lines(judged):
    resolver = judged[0]
    policy = resolver.cached("mta-sts.enforce.sts.example.", "MTA-STS")
    assert policy.status == "found"
    assert policy.values == ("max_age: 86400", "mode: enforce", "mx: *.hornetsecurity.com", "version: STSv1")
    rspecs = {(r.name, r.type): r for r in engine.record_specs(spec_of("enforce.sts.example"))}
    rspec = rspecs[("mta-sts.enforce.sts.example.", "MTA-STS")]
    assert engine.observe(rspec, resolver.cached(*rspec.source)).values == policy.values
    # without _mta-sts there is definitely no policy: "none", not unknown
    plain = rspecs_of("plain.sts.example")
    observed = engine.observe(plain, resolver.cached(*plain.source))
    assert observed.values == ()
    # a slow host is "could not find out": unknown, never "removed"
    slow = rspecs_of("slow.sts.example")
    assert engine.observe(slow, resolver.cached(*slow.source)).values is None


def rspecs_of(domain):
    return next(r for r in engine.record_specs(spec_of(domain)) if r.type == "MTA-STS")


def test_the_hostile_policy_body_is_only_shown_escaped(judged):
    check = judged[1]["hostile.sts.example"]["mta-sts"]
    assert "<script>" in check.reason            # the data is kept as it came ...
    html = str(render.checks_table([check], lambda p: p))
    assert "<script>" not in html and "&lt;script&gt;" in html   # ... and shown escaped
    assert "{{" not in html and "{%" not in html


def test_system_store_rejects_the_test_ca(bind_server, mtasts_https):
    """Without MAILFLOW_CA_BUNDLE the system store is used, which does not know the test CA."""
    resolver = Resolver(bind_server.nameservers, timeout=1, lifetime=2)
    spec = spec_of("enforce.sts.example")
    resolver.lookup_many(checks.base_queries(spec))
    engine._prefetch_dependent([spec], resolver, None, TIMEOUT)
    check = {c.id: c for c in judge(spec, resolver)}["mta-sts"]
    assert check.status == WARN and "certificate is not valid" in check.reason


def test_offline_renders_the_policy_from_the_baseline(judged):
    """The policy lookup is stored like a DNS lookup, so the baseline keeps it and offline mode
    judges from it without any network."""
    resolver = judged[0]
    lookups = {lk.key: lk for lk in resolver.all_lookups()}
    baseline = engine.Baseline(path="memory", written_at="2026-12-01T02:00:00Z", exists=True,
                               domains={"stale.sts.example": {}}, lookups=lookups)
    spec = spec_of("stale.sts.example")
    report = engine._run_offline(config.Config("memory", (spec,)), baseline, "now").domains[0]
    check = {c.id: c for c in report.checks}["mta-sts"]
    assert check.status == FAIL and "*.mail.protection.outlook.com" in check.reason


# ---- pure parts ----------------------------------------------------------------------------------

@pytest.mark.parametrize("host, pattern, expected", [
    ("mx1.example.com", "mx1.example.com", True),
    ("MX1.Example.COM.", "mx1.example.com", True),
    ("mx1.example.com", "*.example.com", True),
    ("a.mx1.example.com", "*.example.com", False),     # the wildcard is one label (section 4.1)
    ("example.com", "*.example.com", False),
    ("mx1.example.org", "*.example.com", False),
])
def test_mx_pattern_matching(host, pattern, expected):
    assert mtasts.matches(host, pattern) is expected


@pytest.mark.parametrize("values, valid, error", [
    (["v=STSv1; id=20261201"], True, ""),
    (["v=STSv1; id=abc", "unrelated"], True, ""),
    (["v=STSv1; id=1", "v=STSv1; id=2"], False, "2 v=STSv1 records"),
    (["v=STSv1;"], False, "no id="),
    (["v=STSv1; id=has-dash"], False, "letters and digits"),
    (["v=spf1 -all"], False, ""),
])
def test_txt_record(values, valid, error):
    record = mtasts.parse_txt(values)
    assert record.valid is valid and error in record.error


def test_policy_parse_rules():
    good = mtasts.parse_policy("version: STSv1\r\nmode: enforce\r\nmx: MX1.example.com.\r\n"
                               "mx: *.example.net\r\nmax_age: 604800\r\nfuture: ignored\r\n")
    assert good.valid and good.mx == ("*.example.net", "mx1.example.com")
    assert good.lines() == ("max_age: 604800", "mode: enforce", "mx: *.example.net",
                            "mx: mx1.example.com", "version: STSv1")
    assert mtasts.from_lines(good.lines()) == good
    for text, fragment in [
        ("version: STSv1\nmode: enforce\nmax_age: 1\n", "without any mx"),
        ("version: STSv2\nmode: none\nmax_age: 1\n", "version"),
        ("version: STSv1\nmode: strict\nmax_age: 1\n", "mode"),
        ("version: STSv1\nmode: none\nmax_age: 99999999999\n", "max_age"),
        ("<html>hello</html>", "not 'key: value'"),
    ]:
        policy = mtasts.parse_policy(text)
        assert not policy.valid and any(fragment in e for e in policy.errors), (text, policy.errors)
    assert mtasts.parse_policy("version: STSv1\nmode: none\nmax_age: 0\n").valid


@pytest.mark.parametrize("values, status", [
    ([], tlsrpt.NONE),
    (["v=TLSRPTv1; rua=mailto:a@example.com"], tlsrpt.VALID),
    (["v=TLSRPTv1;rua=https://r.example/x,mailto:b@example.com; ext=1"], tlsrpt.VALID),
    (["v=TLSRPTv1"], tlsrpt.INVALID),
    (["v=TLSRPTv1; rua=reports@example.com"], tlsrpt.INVALID),
    (["v=TLSRPTv1; rua=mailto:a@x.example", "v=TLSRPTv1; rua=mailto:b@x.example"], tlsrpt.MULTIPLE),
])
def test_tlsrpt_record(values, status):
    assert tlsrpt.parse(values).status == status


# ---- engine.run: the policy as a record set, drift confirmed by a second fetch --------------------

def test_engine_run_compares_the_policy_with_the_baseline(bind_server, mtasts_https):
    from tests.support import https
    from tests.support.world import accept, make_config

    config = make_config({"name": "enforce.sts.example", "scenario": "third-party-filter",
                          "filter": "hornetsecurity"}, timeout=1, lifetime=2)

    def run(baseline):
        resolver = Resolver(bind_server.nameservers, timeout=1, lifetime=2)
        return engine.run(config, resolver, baseline, confirm_delay=0.1,
                          ca_bundle=mtasts_https.ca_file), resolver

    first, resolver = run(engine.Baseline(path="memory"))
    baseline = accept(first, resolver)
    assert baseline.domains["enforce.sts.example"][("mta-sts.enforce.sts.example.", "MTA-STS")].values == (
        "max_age: 86400", "mode: enforce", "mx: *.hornetsecurity.com", "version: STSv1")
    host = "mta-sts.enforce.sts.example"
    saved = https.RESPONSES[host]
    https.RESPONSES[host] = (200, {}, https._policy("testing", "*.hornetsecurity.com"), 0)
    try:
        asked_before = sum(1 for h, _ in mtasts_https.requests if h == host)
        second, _ = run(baseline)
        asked = sum(1 for h, _ in mtasts_https.requests if h == host) - asked_before
    finally:
        https.RESPONSES[host] = saved
    report = second.domains[0]
    policy = next(r for r in report.records if r.type == "MTA-STS")
    assert policy.status == "drifted" and asked == 2          # the change was confirmed by a second fetch
    assert policy.added == ("mode: testing",) and policy.removed == ("mode: enforce",)
    assert policy.to_dict()["name"] == "mta-sts.enforce.sts.example"
    assert {c.id: c.status for c in report.checks}["mta-sts"] == WARN
    assert any("MTA-STS mta-sts.enforce.sts.example. drifted" in p for p in second.problems()), second.problems()


# ---- the whole site: live build, baseline, offline build ------------------------------------------

@pytest.mark.slow
def test_site_live_baseline_and_offline_carry_the_policy(bind_server, mtasts_https, tmp_path):
    from tests.support.sites import build, cli, make_project
    from tests.support.sites import HOSTILE_MARKERS

    domains = [{"name": f"{case}.sts.example", "scenario": "third-party-filter", "filter": "hornetsecurity"}
               for case in ("enforce", "stale", "hostile", "plain")]
    project = make_project(tmp_path, domains)
    env = {"MAILFLOW_NAMESERVERS": bind_server.address, "MAILFLOW_CA_BUNDLE": mtasts_https.ca_file}
    live = build(project, **env)
    assert live.returncode == 0, live.output
    reports = {d["domain"]: d for d in live.drift()["domains"]}
    statuses = {name: {c["id"]: c["status"] for c in r["checks"]} for name, r in reports.items()}
    assert statuses["stale.sts.example"]["mta-sts"] == "fail"
    assert statuses["enforce.sts.example"]["mta-sts"] == "pass"
    assert statuses["enforce.sts.example"]["tls-rpt"] == "pass"
    assert statuses["plain.sts.example"]["mta-sts"] == "info"
    assert statuses["enforce.sts.example"]["dmarc-reports"] == "pass"
    policy = next(r for r in reports["stale.sts.example"]["records"] if r["type"] == "MTA-STS")
    assert policy["name"] == "mta-sts.stale.sts.example"
    assert policy["observed"] == ["max_age: 86400", "mode: enforce", "mx: *.mail.protection.outlook.com",
                                  "version: STSv1"]
    page = live.page("domains/stale.sts.example/")
    assert 'id="check-mta-sts"' in page
    assert "mx: *.mail.protection.outlook.com" in page
    for path in live.html_files():                     # the hostile policy body stays inert
        html = path.read_text(encoding="utf-8")
        for marker in HOSTILE_MARKERS:
            assert not marker.search(html), f"{path}: {marker.pattern}"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in live.page("domains/hostile.sts.example/")

    written = cli(project, "baseline", **env)
    assert written.returncode == 0, written.stdout + written.stderr
    assert "mta-sts.stale.sts.example." in (project / "baseline.yml").read_text(encoding="utf-8")
    offline = build(project, MAILFLOW_OFFLINE="1", MAILFLOW_NAMESERVERS="127.0.0.1:9")
    assert offline.returncode == 0, offline.output
    again = {d["domain"]: {c["id"]: c["status"] for c in d["checks"]} for d in offline.drift()["domains"]}
    assert again["stale.sts.example"]["mta-sts"] == "fail"     # judged from the baseline's policy
    assert again["enforce.sts.example"]["mta-sts"] == "pass"
    assert "mx: *.mail.protection.outlook.com" in offline.page("domains/stale.sts.example/")


# ---- the deadline holds, and no address answer is never "no policy" ---------------------------

def test_the_deadline_bounds_the_whole_fetch_against_a_trickling_server(tmp_path):
    """A host that sends its status line and then one header byte every 0.3 s: a per-read
    socket timeout never fires, the fetch's deadline must (TIMEOUT, unknown, never a policy)."""
    import socket
    import ssl
    import threading

    from tests.support.https import make_ca, make_cert

    ca = make_ca(tmp_path)
    cert, key = make_cert(tmp_path, "trickle", ["mta-sts.trickle.example"])
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.84.7", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve():
        conn, _ = listener.accept()
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            tls.recv(4096)
            tls.sendall(b"HTTP/1.1 200 OK\r\n")
            while not stop.wait(0.3):
                try:
                    tls.sendall(b"X")
                except OSError:
                    return

    threading.Thread(target=serve, daemon=True).start()
    started = time.monotonic()
    try:
        outcome = mtasts.fetch("trickle.example.", ["127.0.84.7"], mtasts.context(str(ca)), timeout=1.0,
                               port=port)
    finally:
        stop.set()
        listener.close()
    elapsed = time.monotonic() - started
    assert outcome.status == "timeout" and "within 1 s" in outcome.reason, outcome
    assert elapsed < 2.0, elapsed


def test_no_answer_for_the_policy_host_address_is_unknown_never_removed(fake_dns):
    """The A/AAAA lookups of mta-sts.<domain> time out: whether a policy is published is
    unknown, so the accepted policy is kept beside an unknown record set, never drift, and the
    check is unknown, never "has no address"."""
    from macros.model import UNKNOWN
    from tests.support.fakedns import txt
    from tests.support.world import accepted_baseline

    fake_dns.set("spf.protection.outlook.com", "TXT", txt("v=spf1 ip4:40.92.0.0/15 -all"))
    fake_dns.set("sts2.example", "MX", "10 sts2-example.mail.protection.outlook.com.")
    fake_dns.set("sts2.example", "TXT", txt("v=spf1 include:spf.protection.outlook.com -all"))
    fake_dns.set("_mta-sts.sts2.example", "TXT", txt("v=STSv1; id=20261201"))
    fake_dns.fault("mta-sts.sts2.example", "timeout")
    policy = ("max_age: 86400", "mode: enforce", "mx: *.mail.protection.outlook.com", "version: STSv1")
    baseline = accepted_baseline({"sts2.example": {("mta-sts.sts2.example.", "MTA-STS"): policy}})
    cfg = config.from_data({"domains": [{"name": "sts2.example", "scenario": "exchange-online"}],
                            "resolver": {"timeout": 0.3, "lifetime": 0.6}})
    resolver = Resolver(fake_dns.nameservers, timeout=0.3, lifetime=0.6)
    report = engine.run(cfg, resolver, baseline, confirm_delay=0).domains[0]
    record = next(r for r in report.records if r.type == "MTA-STS")
    check = next(c for c in report.checks if c.id == "mta-sts")
    assert (record.status, record.baseline, record.lookup_status) == (UNKNOWN, policy, "timeout"), record
    assert check.status == UNKNOWN and "mta-sts.sts2.example" in check.reason, check


def test_the_mx_lines_the_docs_give_for_mx_microsoft_match_its_hosts():
    """docs/mail-standards/mta-sts.md: a `*.` pattern matches one label (RFC 8461 section 4.1),
    so mx.microsoft hosts (two labels before mx.microsoft) need `*.<x>-v1.mx.microsoft`."""
    host = ["contoso-com.o-v1.mx.microsoft."]
    assert mtasts.unmatched(host, ["*.mx.microsoft"]) == host
    assert mtasts.unmatched(host, ["*.o-v1.mx.microsoft"]) == []
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "docs/mail-standards/mta-sts.md").read_text()
    row = next(line for line in page.splitlines() if line.startswith("| Exchange Online only"))
    assert "`*.<x>-v1.mx.microsoft`" in row and "**not** `*.mx.microsoft`" in row
