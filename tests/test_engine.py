"""engine.run against real DNS: definite answers vs no answer, bounded time, prefetch, flapping.

BIND serves tests/zones/; FakeDNS serves copies of those zones when a fault (timeout, slow,
an answer that flips back) is needed (helpers in tests/support/world.py).
"""

from __future__ import annotations

import time


from macros import config as config_mod
from macros import engine
from macros.baseline import Baseline
from macros.resolve import Resolver
from macros.tenant import TENANT_CHECK_IDS
from tests.support.fakedns import FakeDNS, txt

from tests.support.world import (  # noqa: F401  (the shared test world)
    CONTOSO, NESTED, WORLD, FlipDNS, WaveResolver, accept, accepted_baseline, checks_of, domain_names, make_config, records_of,
    serve_zones,
)


# ---- definite answers vs no answer (BIND) -------------------------------------------------------

def test_definite_absence_is_judged_and_counts_as_a_change(bind_server):
    """NXDOMAIN and NODATA are answers: checks fail or warn (never unknown) and a record set
    the baseline had is drifted, with the baseline's values as removed."""
    config = make_config({"name": "nomx.example", "scenario": "third-party-filter",
                          "filter": "hornetsecurity", "tenant": "nomx"},
                         {"name": "gone.example", "scenario": "exchange-online"})
    baseline = accepted_baseline({
        "nomx.example": {("nomx.example.", "MX"): ("10 mx01.hornetsecurity.com.",)},
        "gone.example": {("gone.example.", "MX"): ("0 gone-example.mail.protection.outlook.com.",)},
    })
    resolver = Resolver(bind_server.nameservers, timeout=1, lifetime=2)
    run = engine.run(config, resolver, baseline, confirm_delay=0.05)
    assert run.healthy
    nomx, gone = run.domains

    mx = records_of(nomx)[("nomx.example.", "MX")]
    assert (mx.status, mx.lookup_status, mx.observed) == ("drifted", "nodata", ())
    assert mx.removed == ("10 mx01.hornetsecurity.com.",) and mx.added == ()
    assert checks_of(nomx)["mx-route"] == "fail"
    assert records_of(nomx)[("nomx.example.", "TXT")].status == "new"

    mx = records_of(gone)[("gone.example.", "MX")]
    assert (mx.status, mx.lookup_status, mx.observed) == ("drifted", "nxdomain", ())
    assert {r.status for r in gone.records} == {"drifted", "new"}
    assert "unknown" not in checks_of(gone).values()
    assert checks_of(gone)["mx-route"] == "fail" and checks_of(gone)["spf-present"] == "fail"
    assert run.summary()["drifted"] == 2 and run.summary()["unknown"] == 0
    assert "gone.example: MX gone.example. drifted (removed 0 gone-example.mail.protection.outlook.com.)" \
        in run.problems()


def test_servfail_is_unknown_never_drift_nor_fail(bind_server):
    """BIND's broken zones answer SERVFAIL: the record sets are unknown (baseline kept, nothing
    observed), their checks unknown; the definite answers next to them are still compared."""
    config = make_config({"name": "servfail.example", "scenario": "exchange-online"},
                         {"name": "partial.example", "scenario": "third-party-filter",
                          "filter": "hornetsecurity", "tenant": "partial"})
    baseline = accepted_baseline({
        "servfail.example": {("servfail.example.", "MX"): ("0 servfail-example.mail.protection.outlook.com.",),
                             ("servfail.example.", "TXT"): ("v=spf1 include:spf.protection.outlook.com -all",)},
        "partial.example": {
            ("partial.example.", "MX"): ("10 mx01.hornetsecurity.com.", "20 mx02.hornetsecurity.com.",
                                         "30 mx03.hornetsecurity.com.", "40 mx04.hornetsecurity.com."),
            ("_dmarc.partial.example.", "TXT"): ("v=DMARC1; p=reject",),
        },
    })
    resolver = Resolver(bind_server.nameservers, timeout=1, lifetime=2)
    run = engine.run(config, resolver, baseline, confirm_delay=0.05)
    assert run.healthy
    servfail, partial = run.domains

    assert {r.status for r in servfail.records} == {"unknown"}
    mx = records_of(servfail)[("servfail.example.", "MX")]
    assert mx.baseline == ("0 servfail-example.mail.protection.outlook.com.",)
    assert mx.observed is None and mx.lookup_status == "servfail"
    statuses = checks_of(servfail)
    assert "fail" not in statuses.values()
    for check_id in ("mx-route", "spf-present", "spf-m365", "spf-all", "spf-lookups", "dmarc", "dkim",
                     "autodiscover"):
        assert statuses[check_id] == "unknown", check_id
    assert statuses["exo-host"] == "warn"  # its name lives in outlook.com: a definite NXDOMAIN

    dmarc = records_of(partial)[("_dmarc.partial.example.", "TXT")]
    assert (dmarc.status, dmarc.observed, dmarc.lookup_status) == ("unknown", None, "servfail")
    assert records_of(partial)[("partial.example.", "MX")].status == "unchanged"
    assert checks_of(partial)["dmarc"] == "unknown"
    assert checks_of(partial)["mx-route"] == "pass"

    assert run.summary()["drifted"] == 0 and run.summary()["failed"] == 0
    assert not any("drifted" in line for line in run.problems())


def test_unhealthy_canary_makes_everything_unknown_without_asking_more(bind_server):
    config = config_mod.from_data({"canary": {"name": "gone.example", "type": "TXT"},
                                   "domains": [CONTOSO]}, "test domains")
    baseline = accepted_baseline({
        "contoso.example": {("contoso.example.", "MX"): ("10 mx01.hornetsecurity.com.",)}})
    resolver = Resolver(bind_server.nameservers, timeout=1, lifetime=2)
    run = engine.run(config, resolver, baseline, confirm_delay=0.05)
    assert not run.healthy and "gone.example TXT" in run.health_reason
    assert resolver.stats.queries == 1  # only the canary was asked
    (report,) = run.domains
    assert set(checks_of(report).values()) == {"unknown"}
    assert {r.status for r in report.records} == {"unknown"}
    assert records_of(report)[("contoso.example.", "MX")].baseline == ("10 mx01.hornetsecurity.com.",)
    assert run.summary() == {"domains": 1, "drifted": 0, "failed": 0, "unknown": 23}  # 10 record sets + 13 checks
    assert run.problems() == [f"checks could not run: resolver unhealthy ({run.health_reason})"]


# ---- bounded time when nothing answers (FakeDNS) ------------------------------------------------

def test_a_domain_that_never_answers_is_unknown_everywhere_in_bounded_time(fake_dns):
    timeout, lifetime = 0.3, 0.6
    serve_zones(fake_dns, *WORLD, "contoso.example", "nested.example")
    silent = [dict(CONTOSO, filter_ips=["94.100.132.8"], senders=["203.0.113.7"])]
    for i in range(4):  # more silent domains: they must wait side by side, not one after another
        silent.append({"name": f"silent{i}.example", "scenario": "exchange-online", "senders": ["192.0.2.1"]})
    for entry in silent:
        for name in domain_names(entry["name"]):
            fake_dns.fault(name, "timeout")
        fake_dns.fault(entry["name"].replace(".", "-") + ".mail.protection.outlook.com", "timeout")
    config = make_config(*silent, NESTED, timeout=timeout, lifetime=lifetime)
    resolver = Resolver(fake_dns.nameservers, timeout=config.timeout, lifetime=config.lifetime)

    started = time.monotonic()
    run = engine.run(config, resolver, Baseline(path="memory"), confirm_delay=0.2)
    elapsed = time.monotonic() - started

    # One lookup gives up after two tries of `lifetime` each (dnspython may overrun a try by its
    # back-off, at most one `timeout`); all of them run at once, so one such wait; then the
    # record sets still unknown get their second look (CONTRACT.md), all at once again, after
    # the confirm delay: two waits, plus the delay and slack.
    per_lookup = 2 * (lifetime + timeout)
    assert elapsed < 2 * per_lookup + 0.2 + 0.7, f"{elapsed:.2f} s"
    assert resolver.stats.retries >= len(silent) * 7  # every silent lookup really timed out
    assert run.healthy
    for report in run.domains[:-1]:
        assert set(checks_of(report).values()) == {"unknown"}, (report.spec.name, checks_of(report))
        assert {r.status for r in report.records} == {"unknown"}
        assert all("timed out" in c.reason for c in report.checks if c.id not in TENANT_CHECK_IDS)
    nested = run.domains[-1]
    assert set(checks_of(nested).values()) == {"pass", "info"}  # the answering domain is judged as usual
    assert run.summary()["drifted"] == 0 and run.summary()["failed"] == 0


# ---- prefetch: DNS time follows the depth of the deepest chain (FakeDNS, slow answers) ----------

SLOW = 0.1


def slow_world(fake: FakeDNS, count: int, depth: int, v6only: int = 0) -> config_mod.Config:
    """``count`` exchange-online domains whose SPF reaches Microsoft 365 through ``depth`` levels
    of includes (1: directly), the top record starting with ``v6only`` ``a:`` terms whose hosts
    have only AAAA records (void for IPv4 senders); every answer takes SLOW seconds."""
    fake.reset()
    fake.set("spf.protection.outlook.com", "TXT", txt("v=spf1 ip4:40.92.0.0/15 -all"))
    fake.set("autodiscover.outlook.com", "A", "52.98.10.34")
    entries = []
    for i in range(count):
        domain = f"d{i}.example"
        dashed = domain.replace(".", "-")
        fake.set(f"{dashed}.mail.protection.outlook.com", "A", "52.101.0.1")
        fake.set(domain, "MX", f"0 {dashed}.mail.protection.outlook.com.")
        owner = domain
        for level in range(1, depth):
            fake.set(owner, "TXT", txt(f"v=spf1 include:l{level}.{domain} -all"))
            owner = f"l{level}.{domain}"
        fake.set(owner, "TXT", txt("v=spf1 include:spf.protection.outlook.com -all"))
        if v6only:
            hosts = [f"v6{n}.{domain}" for n in range(v6only)]
            for host in hosts:
                fake.set(host, "AAAA", "2001:db8::25")
            fake.set(domain, "TXT", txt("v=spf1 " + " ".join(f"a:{h}" for h in hosts) +
                                        (f" include:l1.{domain}" if depth > 1 else
                                         " include:spf.protection.outlook.com") + " -all"))
        fake.set(f"_dmarc.{domain}", "TXT", txt(f"v=DMARC1; p=reject; rua=mailto:dmarc@{domain}"))
        for sel in ("selector1", "selector2"):
            target = f"{sel}-{dashed}._domainkey.t{i}.onmicrosoft.com"
            fake.set(f"{sel}._domainkey.{domain}", "CNAME", target + ".")
            fake.set(target, "TXT", txt("v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDDVZxrbexxjpYBKPs93JWqn52rBjiAJ5vXg3RaWUgIoGIOqLx9fmmbjHKhm0/pW+WBmkd/NVKf7dtzG1gEFFtkaSSL9FKI6MmcUFCeuG0SImDPLEBSF2qXROnvcOK9KMNVYPZH8FCrzQvZyA4PwabGN/xmhRtCD9x852GCE3MBSwIDAQAB"))
        fake.set(f"autodiscover.{domain}", "CNAME", "autodiscover.outlook.com.")
        entries.append({"name": domain, "scenario": "exchange-online", "tenant": f"t{i}"})
    fake.fault("*", "slow", delay=SLOW)
    return make_config(*entries)


def timed_run(fake: FakeDNS, count: int, depth: int, v6only: int = 0):
    """Run the engine over :func:`slow_world` with the resolver settings of a default domains.yml
    (max_in_flight 64); return the run and the resolver (``stats.seconds`` is DNS time, ``waves``
    the sequential waves)."""
    config = slow_world(fake, count, depth, v6only)
    resolver = WaveResolver(fake.nameservers, timeout=2, lifetime=4, max_in_flight=config.max_in_flight)
    run = engine.run(config, resolver, Baseline(path="memory"), confirm_delay=0.2)
    assert run.healthy
    statuses = {c.status for d in run.domains for c in d.checks}
    assert statuses <= {"pass", "info"}, [(d.spec.name, checks_of(d)) for d in run.domains if d.status not in ("pass", "info")]
    return run, resolver


def test_dns_time_grows_with_chain_depth_not_with_the_number_of_domains(fake_dns):
    timed_run(fake_dns, 1, 1)  # warm-up: the first run pays for threads and sockets
    _, one = timed_run(fake_dns, 1, 1)
    many_run, many = timed_run(fake_dns, 50, 1)
    deep_run, deep = timed_run(fake_dns, 1, 6)

    # 50 domains: every lookup really made, in as many waves as one domain needs ...
    assert many.stats.queries >= 50 * 7
    assert many.waves == one.waves, (many.waves, one.waves)
    # ... so far quicker than one answer after another (a loose bound: the machine may be busy).
    assert many.stats.seconds < many.stats.queries * SLOW / 4, many.stats.seconds
    # Each extra level of SPF includes is one more wave, and one more slow answer.
    assert deep.waves == one.waves + 5, (deep.waves, one.waves)
    assert deep.stats.seconds >= (2 + 5) * SLOW  # canary, base lookups, five include levels
    assert deep.stats.queries == one.stats.queries + 5
    tree = deep_run.domains[0].spf_tree
    assert tree.dns_terms == 6 and not tree.unknown
    assert [d.rstrip(".") for d in tree.includes][-1] == "spf.protection.outlook.com"


def test_address_terms_that_evaluation_asks_go_out_in_the_same_waves(fake_dns):
    """Issue 10's benchmark case as a test: 30 domains whose records start with two a: terms
    with only AAAA records (void lookups for IPv4 senders, which evaluation asks for both
    families) take the waves of 30 plain ones: the A and AAAA of those hosts are planned beside
    the include, not asked one evaluation at a time. (Each record includes a policy of its own,
    which takes a wave either way, as the filter's include does in the benchmark.)"""
    plain_run, plain = timed_run(fake_dns, 30, 2)
    v6_run, v6 = timed_run(fake_dns, 30, 2, v6only=2)
    assert v6.waves == plain.waves, (v6.waves, plain.waves)
    assert v6.stats.queries == plain.stats.queries + 30 * 2 * 2  # A and AAAA of two hosts each
    assert {c.status for d in v6_run.domains for c in d.checks if c.id.startswith("spf-")} <= {"pass", "info"}


# ---- a difference is looked at twice (FlipDNS) --------------------------------------------------

CONTOSO_MX = ["10 mx01.hornetsecurity.com.", "20 mx02.hornetsecurity.com.",
              "30 mx03.hornetsecurity.com.", "40 mx04.hornetsecurity.com."]


def run_after(change, confirm_delay: float = 0.3):
    """Accept contoso.example from FlipDNS, apply ``change(server)``, run again.
    Returns the domain report, the run and when each record set was asked in the second run."""
    server = serve_zones(FlipDNS(), *WORLD, "contoso.example").start()
    try:
        config = make_config(CONTOSO)
        first = Resolver(server.nameservers, timeout=1, lifetime=2)
        baseline = accept(engine.run(config, first, Baseline(path="memory"), confirm_delay=0), first)
        server.asked.clear()
        change(server)
        run = engine.run(config, Resolver(server.nameservers, timeout=1, lifetime=2), baseline,
                         confirm_delay=confirm_delay)
    finally:
        server.stop()
    return run.domains[0], run, server.asked


def test_an_answer_that_flaps_back_before_the_second_look_is_not_drift():
    report, run, asked = run_after(
        lambda server: server.flip_once("contoso.example", "MX", ["10 mx01.hornetsecurity.com."], CONTOSO_MX))
    mx = asked[("contoso.example", "MX")]
    assert len(mx) == 2, mx  # the first look saw the flip, the second the original
    assert mx[1] - mx[0] >= 0.3
    assert {r.status for r in report.records} == {"unchanged"}
    assert report.flapped == ["MX contoso.example."]
    assert run.summary()["drifted"] == 0 and run.problems() == []


def test_a_change_that_stays_is_confirmed_by_the_second_look_and_counted():
    report, run, asked = run_after(
        lambda server: server.set("contoso.example", "MX", ["10 mx01.hornetsecurity.com."]))
    mx = asked[("contoso.example", "MX")]
    assert len(mx) == 2 and mx[1] - mx[0] >= 0.3
    assert [(r.type, r.name) for r in report.drifted] == [("MX", "contoso.example.")]
    assert report.drifted[0].removed == tuple(CONTOSO_MX[1:]) and report.flapped == []
    assert len(asked[("contoso.example", "TXT")]) == 1  # unchanged sets are asked once


def test_drift_json_written_in_pieces_is_the_same_text(bind_server):
    """RunReport.json_chunks: one domain's dict at a time, byte for byte what json.dumps of the
    whole report gives (with the site's own baseline path)."""
    import json

    config = make_config(CONTOSO, NESTED, {"name": "bücher.example", "scenario": "exchange-online"})
    run = engine.run(config, Resolver(bind_server.nameservers, timeout=1, lifetime=2),
                     Baseline(path="memory"), confirm_delay=0)
    whole = run.to_dict()
    assert "".join(run.json_chunks()) == json.dumps(whole, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    changed = {"baseline": {"path": "baseline.yml", "written_at": None}}
    assert "".join(run.json_chunks(**changed)) == json.dumps(
        {**whole, **changed}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert "".join(engine.RunReport(**{**run.__dict__, "domains": []}).json_chunks()).count('"domains": []') == 1
