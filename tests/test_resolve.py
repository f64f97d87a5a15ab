"""The Resolver against FakeDNS: answers, failures that are not answers, and what it normalizes."""

from __future__ import annotations

import time

import pytest

from macros.resolve import (
    ERROR,
    FOUND,
    NODATA,
    NXDOMAIN,
    SERVFAIL,
    TIMEOUT,
    Resolver,
    parse_nameservers,
)
from tests.support.fakedns import txt

SOA = "ns.{0}. hostmaster.{0}. 1 3600 600 86400 60"


def resolver_for(server, timeout=0.5, lifetime=1.0, **kwargs) -> Resolver:
    return Resolver(server.nameservers, timeout=timeout, lifetime=lifetime, **kwargs)


def test_nameservers_setting_matches_the_server_address(fake_dns):
    assert parse_nameservers(fake_dns.address) == fake_dns.nameservers
    assert resolver_for(fake_dns).description == fake_dns.address


def test_found(fake_dns):
    fake_dns.set("example.com", "MX", ["10 mx1.example.net.", "20 mx2.example.net."])
    lookup = resolver_for(fake_dns).lookup("example.com", "MX")
    assert lookup.status == FOUND and lookup.definite
    assert lookup.values == ("10 mx1.example.net.", "20 mx2.example.net.")
    assert lookup.ttl == 300
    assert lookup.server == fake_dns.address


def test_nxdomain_and_nodata_are_definite_answers(fake_dns):
    fake_dns.set("host.example.com", "A", ["192.0.2.1"])
    fake_dns.set("deep.sub.example.com", "TXT", ['"x"'])
    resolver = resolver_for(fake_dns)
    missing = resolver.lookup("nope.example.com", "A")
    other_type = resolver.lookup("host.example.com", "AAAA")
    empty_non_terminal = resolver.lookup("sub.example.com", "TXT")
    assert (missing.status, other_type.status, empty_non_terminal.status) == (
        NXDOMAIN, NODATA, NODATA)
    assert all(lk.definite and lk.values == () for lk in (missing, other_type, empty_non_terminal))


def test_timeout_is_bounded_retried_once_and_never_nxdomain(fake_dns):
    """lifetime bounds the whole lookup, all tries included; a try that times out is retried."""
    fake_dns.set("example.com", "TXT", ['"v=spf1 -all"'])
    fake_dns.fault("example.com", "timeout")
    resolver = resolver_for(fake_dns, timeout=0.2, lifetime=0.5)
    started = time.monotonic()
    lookup = resolver.lookup("example.com", "TXT")
    elapsed = time.monotonic() - started
    assert lookup.status == TIMEOUT and not lookup.definite
    assert lookup.values == ()
    assert "no answer" in lookup.describe()
    tries = [q for q in fake_dns.queries if q[0] == "example.com" and q[1] == "TXT"]
    assert len(tries) >= 2, "a try that timed out must be retried within the lifetime"
    assert resolver.stats.retries >= 1
    # One lifetime (dnspython may overrun it by at most one try).
    assert 0.45 <= elapsed < 0.5 + 0.2 + 0.3


@pytest.mark.parametrize("kind", ["servfail", "refused"])
def test_server_failure_is_servfail(fake_dns, kind):
    fake_dns.set("example.com", "A", ["192.0.2.1"])
    fake_dns.fault("example.com", kind)
    lookup = resolver_for(fake_dns).lookup("example.com", "A")
    assert lookup.status == SERVFAIL and not lookup.definite
    assert lookup.reason


def test_a_lying_nxdomain_for_everything_reads_as_nxdomain(fake_dns):
    """A resolver that says NXDOMAIN for everything cannot be told apart per lookup: that is
    what the canary (CONTRACT.md) is for. The lie must at least be reported as such."""
    fake_dns.set("spf.protection.outlook.com", "TXT", ['"v=spf1 -all"'])
    fake_dns.fault("*", "nxdomain")
    resolver = resolver_for(fake_dns)
    assert resolver.lookup("spf.protection.outlook.com", "TXT").status == NXDOMAIN
    assert resolver.lookup("example.com", "MX").status == NXDOMAIN


def test_slow_answer_within_the_timeout_is_found(fake_dns):
    fake_dns.set("example.com", "A", ["192.0.2.1"])
    fake_dns.fault("example.com", "slow", delay=0.3)
    resolver = resolver_for(fake_dns, timeout=0.6, lifetime=1.2)
    started = time.monotonic()
    lookup = resolver.lookup("example.com", "A")
    assert lookup.status == FOUND and lookup.values == ("192.0.2.1",)
    assert 0.3 <= time.monotonic() - started < 1.2
    assert resolver.stats.retries == 0


def test_answers_slower_than_the_timeout_are_a_timeout(fake_dns):
    fake_dns.set("example.com", "A", ["192.0.2.1"])
    fake_dns.fault("example.com", "slow", delay=0.5)
    lookup = resolver_for(fake_dns, timeout=0.1, lifetime=0.2).lookup("example.com", "A")
    assert lookup.status == TIMEOUT


def test_truncation_falls_back_to_tcp_for_the_full_answer(fake_dns):
    record = "v=spf1 " + " ".join(f"ip4:192.0.2.{i}" for i in range(1, 90)) + " -all"
    chunks = [record[i:i + 255] for i in range(0, len(record), 255)]
    fake_dns.set("big.example.com", "TXT", [txt(*chunks)])
    fake_dns.set("small.example.com", "TXT", ['"v=spf1 -all"'])
    fake_dns.fault("small.example.com", "truncate")
    resolver = resolver_for(fake_dns)
    big = resolver.lookup("big.example.com", "TXT")
    small = resolver.lookup("small.example.com", "TXT")
    assert len(record) > 1232
    assert big.values == (record,)
    assert big.raw == (record.encode(),)
    assert small.values == ("v=spf1 -all",)
    assert fake_dns.transports("big.example.com", "TXT") == ["udp", "tcp"]
    assert fake_dns.transports("small.example.com", "TXT") == ["udp", "tcp"]


def test_edns_keeps_a_mid_sized_answer_on_udp(fake_dns):
    fake_dns.set("mid.example.com", "TXT", [txt("a" * 250, "b" * 250), txt("c" * 200)])
    lookup = resolver_for(fake_dns).lookup("mid.example.com", "TXT")
    assert lookup.status == FOUND and len(lookup.values) == 2
    assert fake_dns.transports("mid.example.com", "TXT") == ["udp"]


def test_cname_chain_in_one_answer_is_shown(fake_dns):
    fake_dns.set("autodiscover.example.com", "CNAME", ["mid.example.com."])
    fake_dns.set("mid.example.com", "CNAME", ["end.example.com."])
    fake_dns.set("end.example.com", "A", ["192.0.2.5"])
    lookup = resolver_for(fake_dns).lookup("autodiscover.example.com", "A")
    assert lookup.status == FOUND and lookup.values == ("192.0.2.5",)
    assert lookup.chain == ("mid.example.com.", "end.example.com.")
    assert not lookup.cname_loop


def test_cname_chain_followed_across_responses(fake_dns):
    for zone in ("a.test", "b.test", "c.test"):
        fake_dns.set(zone, "SOA", [SOA.format(zone)])
    fake_dns.set("x.a.test", "CNAME", ["y.b.test."])
    fake_dns.set("y.b.test", "CNAME", ["z.c.test."])
    fake_dns.set("z.c.test", "TXT", ['"found me"'])
    lookup = resolver_for(fake_dns).lookup("x.a.test", "TXT")
    assert lookup.status == FOUND and lookup.values == ("found me",)
    assert lookup.chain == ("y.b.test.", "z.c.test.")
    assert [q[0] for q in fake_dns.queries] == ["x.a.test", "y.b.test", "z.c.test"]


def test_cname_to_a_missing_name_is_nxdomain_with_the_chain(fake_dns):
    fake_dns.set("autodiscover.example.com", "CNAME", ["gone.example.com."])
    lookup = resolver_for(fake_dns).lookup("autodiscover.example.com", "CNAME")
    assert lookup.status == FOUND and lookup.values == ("gone.example.com.",)
    followed = resolver_for(fake_dns).lookup("autodiscover.example.com", "A")
    assert followed.status == NXDOMAIN
    assert followed.chain == ("gone.example.com.",)


def test_cname_loop_in_one_answer_is_detected(fake_dns):
    fake_dns.set("l1.example.com", "CNAME", ["l2.example.com."])
    fake_dns.set("l2.example.com", "CNAME", ["l1.example.com."])
    lookup = resolver_for(fake_dns).lookup("l1.example.com", "A")
    assert lookup.status == ERROR and lookup.cname_loop
    assert lookup.chain == ("l2.example.com.", "l1.example.com.")
    assert "loop" in lookup.reason


def test_cname_loop_across_responses_is_detected(fake_dns):
    for zone in ("a.test", "b.test"):
        fake_dns.set(zone, "SOA", [SOA.format(zone)])
    fake_dns.set("x.a.test", "CNAME", ["y.b.test."])
    fake_dns.set("y.b.test", "CNAME", ["x.a.test."])
    lookup = resolver_for(fake_dns).lookup("x.a.test", "A")
    assert lookup.status == ERROR and lookup.cname_loop
    assert lookup.chain == ("y.b.test.", "x.a.test.")
    assert len(fake_dns.queries) == 2


def test_idn_names_are_asked_as_a_labels(fake_dns):
    fake_dns.set("xn--bcher-kva.example", "MX", ["10 mx.xn--bcher-kva.example."])
    resolver = resolver_for(fake_dns)
    lookup = resolver.lookup("B\u00fccher.example", "MX")
    assert lookup.status == FOUND
    assert lookup.name == "xn--bcher-kva.example."
    assert resolver.lookup("xn--bcher-kva.example.", "mx") is lookup  # one cache key
    assert fake_dns.queries == [("xn--bcher-kva.example", "MX", "udp")]


def test_invalid_names_are_errors_without_a_query(fake_dns):
    lookup = resolver_for(fake_dns).lookup("a" * 64 + ".example.com", "A")
    assert lookup.status == ERROR and not lookup.definite
    assert "63" in lookup.reason
    assert fake_dns.queries == []


def test_normalization_case_chunks_and_order(fake_dns):
    fake_dns.set("MiXeD.Example.COM", "MX", ["20 MX2.Example.NET.", "10 MX1.Example.NET."])
    fake_dns.set("mixed.example.com", "TXT", [
        '"v=spf1 " "include:spf.protection.outlook.com" " -all"', '"b-record"', '"A-record"'])
    fake_dns.set("mixed.example.com", "AAAA", ["2001:DB8:0:0::1"])
    fake_dns.set("raw.example.com", "TXT", [txt(b"v=spf1 \xff -all")])
    resolver = resolver_for(fake_dns)
    mx = resolver.lookup("mixed.EXAMPLE.com.", "mx")
    assert mx.key == ("mixed.example.com.", "MX")
    assert mx.values == ("10 mx1.example.net.", "20 mx2.example.net.")
    text = resolver.lookup("mixed.example.com", "TXT")
    assert text.values == ("A-record", "b-record", "v=spf1 include:spf.protection.outlook.com -all")
    assert text.raw == (b"A-record", b"b-record", b"v=spf1 include:spf.protection.outlook.com -all")
    assert resolver.lookup("mixed.example.com", "AAAA").values == ("2001:db8::1",)
    raw = resolver.lookup("raw.example.com", "TXT")
    assert raw.raw == (b"v=spf1 \xff -all",)
    assert raw.values == ("v=spf1 \\xff -all",)


def test_lookups_are_cached_until_asked_fresh(fake_dns):
    fake_dns.set("example.com", "A", ["192.0.2.1"])
    resolver = resolver_for(fake_dns)
    first = resolver.lookup("example.com", "A")
    fake_dns.set("example.com", "A", ["192.0.2.2"])
    assert resolver.lookup("EXAMPLE.com.", "A") is first
    assert len(fake_dns.queries) == 1 and resolver.stats.cached == 1
    fresh = resolver.lookup_many([("example.com", "A")], fresh=True)[("example.com.", "A")]
    assert fresh.values == ("192.0.2.2",)
    assert len(fake_dns.queries) == 2


def test_lookups_run_concurrently_within_max_in_flight(fake_dns):
    names = [f"h{i}.example.com" for i in range(200)]
    for i, name in enumerate(names):
        fake_dns.set(name, "A", [f"10.0.{i // 250}.{i % 250}"])
    fake_dns.fault("*", "slow", delay=0.1)
    resolver = resolver_for(fake_dns, timeout=2.0, lifetime=4.0, max_in_flight=20)
    started = time.monotonic()
    results = resolver.lookup_many([(name, "A") for name in names])
    elapsed = time.monotonic() - started
    assert all(lk.status == FOUND for lk in results.values())
    assert len(results) == 200
    # 200 x 0.1 s one by one would take 20 s; 20 at a time takes about 10 x 0.1 s.
    assert 1.0 <= elapsed < 6.0
    assert 1 < resolver.stats.peak_in_flight <= 20
    assert resolver.stats.queries == 200
