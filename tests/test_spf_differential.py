"""Differential testing: generated SPF record trees, served by the fault server, evaluated by the
engine (planned waves over known answers) and by the reference, pyspf with its own DNS code
(dnspython's module resolver pointed at the same server, no planning, no cache of ours).

Every address the checks evaluate must get the same result from both, and every SPF verdict
must follow from the reference's results as CONTRACT.md defines it. Examples hypothesis found
are kept below as regular cases (``FOUND``).
"""

from __future__ import annotations

import dns.resolver
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from macros import checks as checks_mod
from macros import config, engine, spf
from macros.model import FAIL, INFO, PASS, UNKNOWN, WARN
from macros.resolve import Resolver
from macros.spf import evaluation
from tests.support.fakedns import txt

ROOT = "gen.example"
M365 = "spf.protection.outlook.com"
M365_RECORD = "v=spf1 ip4:40.92.0.0/15 ip6:2a01:111:f400::/48 -all"
POLICIES = [f"p{i}.gen.example" for i in range(4)]
HOSTS = [f"h{i}.gen.example" for i in range(3)]
SENDER = "198.51.100.7"

QUALIFIER = st.sampled_from(["", "+", "-", "~", "?"])
TERM = st.one_of(
    st.builds("{}include:{}".format, QUALIFIER,
              st.sampled_from(POLICIES + ["void.gen.example", "alias.gen.example", M365, "bad..gen.example"])),
    st.builds("{}a:{}".format, QUALIFIER, st.sampled_from(HOSTS + ["void.gen.example"])),
    st.builds("{}a".format, QUALIFIER),
    st.builds("{}mx:{}".format, QUALIFIER, st.sampled_from(["m0.gen.example", "m1.gen.example", "void.gen.example"])),
    st.builds("{}ip4:{}".format, QUALIFIER,
              st.sampled_from(["40.92.0.0/15", "192.0.2.0/24", "0.0.0.0/0", SENDER, "203.0.113.0/24"])),
    st.builds("{}ip6:{}".format, QUALIFIER, st.sampled_from(["2a01:111:f400::/48", "2001:db8::/32"])),
    st.builds("{}exists:{}".format, QUALIFIER,
              st.sampled_from(["%{i}.nx.gen.example", "h0.gen.example", "%{d}.nx.gen.example"])),
)


@st.composite
def record(draw):
    terms = draw(st.lists(TERM, max_size=5))
    tail = draw(st.sampled_from(["", "-all", "~all", "?all", "+all", "redirect=p1.gen.example",
                                 "redirect=void.gen.example"]))
    return " ".join(["v=spf1", *terms, tail]).strip()


@st.composite
def world(draw):
    """{name: TXT record or None}, the address records of the hosts, the MX hosts."""
    records = {ROOT: draw(record())}
    for name in POLICIES:
        records[name] = draw(st.one_of(st.none(), record()))
    hosts = {h: draw(st.sampled_from(["A", "AAAA", "both", "none"])) for h in HOSTS}
    alias = draw(st.sampled_from(POLICIES))
    return records, hosts, alias


def serve(server, records, hosts, alias) -> None:
    server.reset()
    server.set(M365, "TXT", txt(M365_RECORD))
    server.set("canary.gen.example", "TXT", txt("x"))
    for name, value in records.items():
        if value is not None:
            server.set(name, "TXT", txt(value))
        else:
            server.set(name, "A", "192.0.2.250")  # the name exists, with no TXT
    for host, kind in hosts.items():
        if kind in ("A", "both"):
            server.set(host, "A", "203.0.113.9")
        if kind in ("AAAA", "both"):
            server.set(host, "AAAA", "2001:db8::9")
        if kind == "none":
            server.set(host, "TXT", txt("no address"))
    server.set("m0.gen.example", "MX", ["10 h0.gen.example.", "20 h1.gen.example."])
    server.set("m1.gen.example", "MX", ["10 gone1.gen.example.", "20 gone2.gen.example."])
    server.set("alias.gen.example", "CNAME", alias + ".")


def reference(server, ip: str, root: str = ROOT) -> str:
    """pyspf alone: its own DNS lookups through dnspython's module resolver."""
    pyspf = evaluation._load_pyspf()
    saved = dns.resolver.default_resolver
    resolver = dns.resolver.Resolver(configure=False)
    host, port = server.nameservers[0]
    resolver.nameservers = [host]
    resolver.port = port
    resolver.cache = None
    dns.resolver.default_resolver = resolver
    try:
        query = pyspf.query(i=ip, s=f"postmaster@{root}", h=root, strict=True, querytime=20)
        return query.check()[0]
    finally:
        dns.resolver.default_resolver = saved


def compare(server, records, hosts, alias) -> None:
    serve(server, records, hosts, alias)
    spec = config.from_data({"domains": [{"name": ROOT, "scenario": "exchange-online",
                                          "senders": [SENDER]}]}).domains[0]
    resolver = Resolver(server.nameservers, timeout=1, lifetime=2)
    tree, outcome = engine.evaluate_spf(spec, resolver)
    got = {ev.ip: ev.result for ev in outcome.all()}
    want = {ip: reference(server, ip) for ip in got}
    assert got == want, (records, hosts, alias)

    # the tree pages draw carries evaluation's counts (evaluation wins where they could differ)
    assert tree.dns_terms == max(ev.dns_terms for ev in outcome.all())
    assert tree.void_lookups == max(ev.void_lookups for ev in outcome.all())
    # ... and the walk's own view (every branch taken, the path of a sender no term matches)
    # agrees with what evaluation met: no evaluation meets more DNS-querying terms than the walk
    # counts, and where evaluation breaks the term limit, the walk says so too. (Not through a
    # loop: evaluation goes round it, counting, where the walk stops at the repeated name; nor
    # where the walk stopped at the void limit of both families, which every evaluation breaks.)
    walk = spf.analyze(ROOT, resolver.answers)
    void_stop = any("void lookups for senders" in node.reason for node in walk.nodes())
    if not walk.loop and not any(ev.loop for ev in outcome.all()) and not walk.pending and not void_stop:
        for ev in outcome.all():
            if ev.result != "temperror":
                assert ev.dns_terms <= walk.dns_terms, (ev, walk.dns_terms, records)
            if "dns lookups" in ev.explanation.lower():
                assert any("more than 10 (RFC 7208" in e for e in walk.errors), (ev, walk.errors)
    verdicts = {c.id: c.status for c in checks_mod.evaluate(spec, resolver.answers, outcome)}
    m365 = [want[ev.ip] for _net, ev in outcome.m365]
    if all(r == "pass" for r in m365):
        assert verdicts["spf-m365"] == PASS
    elif any(r not in ("pass", "temperror") for r in m365):
        assert verdicts["spf-m365"] == FAIL
    unlisted = {want[ip] for ip in ("192.0.2.1", "2001:db8::1")}
    if unlisted & {"pass", "permerror"}:
        assert verdicts["spf-all"] == FAIL
    elif unlisted == {"fail"}:
        assert verdicts["spf-all"] == PASS
    elif "temperror" not in unlisted:
        assert verdicts["spf-all"] == WARN
    if "permerror" in want.values():
        assert verdicts["spf-lookups"] == FAIL
    elif "temperror" not in want.values():
        assert verdicts["spf-lookups"] in (PASS, INFO)
    sender = want[SENDER]
    assert verdicts["spf-senders"] == (PASS if sender == "pass" else UNKNOWN if sender == "temperror" else FAIL)

    # Two domains with the same record in one run share evaluated includes (Query.check1's
    # reuse): each still gets exactly what pyspf alone gives it.
    twin = "twin.gen.example"
    server.set(twin, "TXT", txt(records[ROOT]))
    both = config.from_data({"domains": [
        {"name": ROOT, "scenario": "exchange-online", "senders": [SENDER]},
        {"name": twin, "scenario": "exchange-online", "senders": [SENDER]}]})
    shared = Resolver(server.nameservers, timeout=1, lifetime=2)
    engine._resolve_base(both, shared)
    _trees, outcomes = engine._resolve_spf(both, shared)
    for root in (ROOT, twin):
        got = {ev.ip: ev.result for ev in outcomes[root].all()}
        assert got == {ip: reference(server, ip, root) for ip in got}, (root, records, hosts, alias)


@pytest.mark.filterwarnings("ignore:please use dns.resolver.resolve:DeprecationWarning")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(world())
def test_engine_agrees_with_pyspf_alone(fake_dns, generated):
    compare(fake_dns, *generated)


#: Worlds kept as regular cases (hand-picked corner cases and what hypothesis found).
FOUND = [
    # three AAAA-only a: hosts: void for IPv4 senders only
    ({ROOT: "v=spf1 a:h0.gen.example a:h1.gen.example a:h2.gen.example include:spf.protection.outlook.com -all",
      **dict.fromkeys(POLICIES)}, dict.fromkeys(HOSTS, "AAAA"), "p0.gen.example"),
    # an include through a CNAME, and a redirect to a name without SPF
    ({ROOT: "v=spf1 include:alias.gen.example redirect=void.gen.example", "p0.gen.example":
      "v=spf1 include:spf.protection.outlook.com -all", "p1.gen.example": None, "p2.gen.example": None,
      "p3.gen.example": None}, dict.fromkeys(HOSTS, "both"), "p0.gen.example"),
    # mx: whose hosts do not exist, then a nested +all
    ({ROOT: "v=spf1 mx:m1.gen.example include:p2.gen.example -all", "p0.gen.example": None,
      "p1.gen.example": None, "p2.gen.example": "v=spf1 +all", "p3.gen.example": None},
     dict.fromkeys(HOSTS, "none"), "p0.gen.example"),
    # an include loop through the alias
    ({ROOT: "v=spf1 include:p0.gen.example -all", "p0.gen.example": "v=spf1 include:alias.gen.example ~all",
      "p1.gen.example": None, "p2.gen.example": None, "p3.gen.example": None},
     dict.fromkeys(HOSTS, "A"), "p0.gen.example"),
    # an include with an empty label
    ({ROOT: "v=spf1 ip4:198.51.100.7 include:bad..gen.example -all", **dict.fromkeys(POLICIES)},
     dict.fromkeys(HOSTS, "A"), "p0.gen.example"),
]


@pytest.mark.filterwarnings("ignore:please use dns.resolver.resolve:DeprecationWarning")
@pytest.mark.parametrize("records,hosts,alias", FOUND)
def test_kept_examples(fake_dns, records, hosts, alias):
    compare(fake_dns, records, hosts, alias)
