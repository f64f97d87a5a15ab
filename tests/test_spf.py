"""SPF parsing, the include/redirect tree and check_host, against FakeDNS (no mocks)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import yaml

from macros import spf
from macros.resolve import Resolver
from tests.support.fakedns import FakeDNS, txt

SUITE = Path(__file__).resolve().parent.parent / ".cache" / "rfc7208-tests.yml"
M365 = "spf.protection.outlook.com"


def serve(server: FakeDNS, records: dict) -> None:
    """{name: "v=spf1 ..." | [txt values] | {type: [values]}} onto the server."""
    for name, value in records.items():
        if isinstance(value, dict):
            for rdtype, values in value.items():
                server.set(name, rdtype, values)
        else:
            values = value if isinstance(value, list) else [value]
            server.set(name, "TXT", [txt(v) for v in values])


def tree_of(server: FakeDNS, domain: str, records: dict, **kwargs) -> tuple[spf.Tree, Resolver]:
    serve(server, records)
    resolver = Resolver(server.nameservers, timeout=kwargs.get("timeout", 0.5),
                        lifetime=kwargs.get("lifetime", 1.0))
    return spf.analyze(domain, resolver.lookup), resolver


# ---- is_spf, select ------------------------------------------------------------------------


@pytest.mark.parametrize("text,expected", [
    ("v=spf1", True), ("v=spf1 -all", True), ("V=SPF1 -all", True), ("v=spf1  ", True),
    ("v=spf10 -all", False), ("v=spf1-all", False), ("v=spf1\t-all", False),
    (" v=spf1 -all", False), ("spf2.0/pra -all", False), ("", False), ("v=DMARC1; p=none", False),
    (b"v=spf1 -all", True),
])
def test_is_spf(text, expected):
    assert spf.is_spf(text) is expected


def test_select_keeps_only_spf_records_in_order():
    values = ["google-site-verification=abc", "v=spf1 mx -all", "MS=ms123", "v=spf1 -all",
              "v=spf10 a", b"v=spf1 \xff"]
    assert spf.select(values) == ["v=spf1 mx -all", "v=spf1 -all", "v=spf1 \\xff"]
    assert spf.select([]) == []


# ---- parse ---------------------------------------------------------------------------------


def test_parse_tokenizes_qualifier_mechanism_argument():
    record = spf.parse("v=spf1 +a -mx:Mail.Example.COM./24//64 ~include:_spf.example.com "
                       "?ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{i}.rbl.example.com "
                       "ptr redirect=Other.example. exp=explain.%{d} x-note=hello all")
    assert record.errors == ()
    got = [(t.kind, t.qualifier, t.name, t.value, t.domain) for t in record.terms]
    assert got == [
        ("mechanism", "+", "a", None, None),
        ("mechanism", "-", "mx", "Mail.Example.COM./24//64", "mail.example.com"),
        ("mechanism", "~", "include", "_spf.example.com", "_spf.example.com"),
        ("mechanism", "?", "ip4", "192.0.2.0/24", None),
        ("mechanism", "+", "ip6", "2001:db8::/32", None),
        ("mechanism", "+", "exists", "%{i}.rbl.example.com", None),
        ("mechanism", "+", "ptr", None, None),
        ("modifier", "", "redirect", "Other.example.", "other.example"),
        ("modifier", "", "exp", "explain.%{d}", None),
        ("modifier", "", "x-note", "hello", None),
        ("mechanism", "+", "all", None, None),
    ]
    assert [t.text for t in record.terms][:2] == ["+a", "-mx:Mail.Example.COM./24//64"]
    assert record.all.qualifier == "+"
    assert record.redirect is None  # ignored: the record has all (RFC 7208 6.1)
    assert record.dns_terms == 5   # a mx include exists ptr; the ignored redirect is not asked


def test_parse_never_matches_by_prefix():
    """'allx', 'include2:...', 'mxa' are not 'all', 'include', 'mx' (tokenized, not prefixed)."""
    for text in ("v=spf1 allx", "v=spf1 include2:example.com", "v=spf1 mxa", "v=spf1 ip4x:1.2.3.4",
                 "v=spf1 a.b:example.com", "v=spf1 redirect:example.com"):
        record = spf.parse(text)
        assert record.errors, text
        assert "unknown mechanism" in record.errors[0]


@pytest.mark.parametrize("text,fragment", [
    ("v=spf1 ip4:1.2.3.4/33 -all", "prefix length /33"),
    ("v=spf1 ip4:1.2.3.4/032 -all", "prefix length /032"),
    ("v=spf1 ip4:1.2.03.4 -all", "not an IPv4 address"),
    ("v=spf1 ip4:1.2.3.4//32", "one prefix length"),
    ("v=spf1 ip6:2001:db8::/129", "prefix length /129"),
    ("v=spf1 ip6:fe80::1%eth0", "not an IPv6 address"),
    ("v=spf1 a/33", "prefix length /33"),
    ("v=spf1 mx//129", "prefix length /129"),
    ("v=spf1 a:example.com:8080", "valid top label"),
    ("v=spf1 a:1.2.3.4", "valid top label"),
    ("v=spf1 include:", "empty"),
    ("v=spf1 include", "needs a domain"),
    ("v=spf1 exists", "needs a domain"),
    ("v=spf1 include:example.com/24", "valid top label"),
    ("v=spf1 ptr/24", "no prefix length"),
    ("v=spf1 -all:foo", "takes no argument"),
    ("v=spf1 -all/8", "takes no argument"),
    ("v=spf1 redirect=a.example redirect=b.example", "more than once"),
    ("v=spf1 exp=a.example exp=b.example -all", "more than once"),
    ("v=spf1 -redirect=a.example", "no qualifier"),
    ("v=spf1 exists:%{x}.example.com", "valid macro"),
    ("v=spf1 exists:%(i).example.com", "valid macro"),
    ("v=spf1 exists:%{c}.example.com", "only in exp"),
    ("v=spf1 exists:%{d0}.example.com", "zero labels"),
    ("v=spf1 foo=%", "valid macro"),
    ("v=spf1 =all", "not a mechanism or modifier"),
    ("v=spf1 +", "not a mechanism or modifier"),
    ("v=spf1 a:caf\u00e9.example -all", "non-ASCII"),
    ("v=spf1 a:example.com\r -all", "not allowed"),
    ("v=spf1, -all", "not an SPF record"),
])
def test_parse_syntax_errors(text, fragment):
    record = spf.parse(text)
    assert any(fragment in e for e in record.errors), record.errors


@pytest.mark.parametrize("text", [
    "v=spf1", "v=spf1 -all", "v=spf1 a//64 mx/24 -all", "v=spf1 ip6:::ffff:1.2.3.4/128",
    "v=spf1 exists:%{ir}.%{v}._spf.%{d2} -all", "v=spf1 a:%{l1r-}.example.com",
    "v=spf1 include:example.com. ?all", "v=spf1 redirect=_spf.example.com",
    "v=spf1 a:xn--bcher-kva.example -all", "v=spf1 exp=%{d}.exp.example.com -all",
    "v=spf1 moo.cow-far_out=man:dog/cat -all", "v=spf1 a:foo-bar.com -all",
    "v=spf1 exists:%%%_%-.example.com", "v=spf1 mx:%{d}",
])
def test_parse_valid_records(text):
    assert spf.parse(text).errors == ()


def test_parse_never_raises_on_garbage():
    for text in ["", "v=spf1 " + "%" * 50, "v=spf1 \x00\x01\x7f", "v=spf1 :::", "v=spf1 /",
                 "v=spf1 a:" + "x" * 300, "v=spf1 ip6:", "v=spf1 ip4:", b"v=spf1 \xff\xfe"]:
        record = spf.parse(text)
        assert isinstance(record, spf.Record)


def test_parse_agrees_with_pyspf_on_every_record_of_the_rfc7208_suite(fake_dns):
    """Every v=spf1 record in the openspf suite, served alone and evaluated by check_host with no
    other DNS data: pyspf reports a syntax permerror exactly when our parser finds an error.
    Only permerrors that come from DNS (void lookups, targets without a record) are set apart."""
    assert SUITE.exists(), f"{SUITE} is missing: run `make .cache/rfc7208-tests.yml`"
    records = set()
    with SUITE.open("rb") as fh:
        for scenario in yaml.safe_load_all(fh):
            for entries in scenario["zonedata"].values():
                for entry in entries:
                    if not isinstance(entry, dict):
                        continue
                    for rdtype, value in entry.items():
                        if isinstance(value, list):
                            value = "".join(str(v) for v in value)
                        if rdtype in ("TXT", "SPF") and spf.is_spf(str(value)):
                            records.add(value)
    assert len(records) > 100
    dns_caused = ("Void lookup", "No valid SPF record", "redirect domain has no SPF record")
    disagreements = []
    for text in sorted(records):
        fake_dns.reset({("t.example", "TXT"): [txt(text)]})
        result = spf.check_host("192.0.2.200", "who@t.example", "t.example",
                                Resolver(fake_dns.nameservers, timeout=0.5, lifetime=1.0))
        pyspf_syntax_error = result.result == "permerror" and not any(
            cause in result.explanation for cause in dns_caused)
        ours = spf.parse(text).errors
        if bool(ours) != pyspf_syntax_error:
            disagreements.append((text, ours, result))
    assert disagreements == []


# ---- the walk as the engine's prefetch plan --------------------------------------------


def test_the_walk_lists_what_it_still_needs_in_evaluation_order(fake_dns):
    """The walk lists the lookups it needs in evaluation order, asking nothing itself. It pauses
    where the address lookups still unanswered could break the void limit (2, RFC 7208 section
    4.6.4) before the next term: three names that may have no address, then nothing past them
    until their answers are known (a later wave), so it never asks what no evaluation reads."""
    record = ("v=spf1 a mx a:Mail.Example.net/24 mx:mx.example.org include:_spf.example.com "
              "include:%{d}.macro.example exists:%{i}.rbl.example ptr ip4:192.0.2.1 "
              "include:_spf.example.com redirect=next.example")
    serve(fake_dns, {"example.com": {"TXT": [txt(record)], "A": ["192.0.2.10"], "MX": ["10 mx1.example.com."]},
                     "mail.example.net": {"A": ["192.0.2.20"]}})
    resolver = Resolver(fake_dns.nameservers, timeout=0.5, lifetime=1.0)
    resolver.lookup("example.com", "TXT")
    tree = spf.analyze("Example.COM.", resolver.answers)  # answers only: nothing is asked
    assert tree.pending == (
        ("example.com", "A"), ("example.com", "AAAA"), ("example.com", "MX"),
        ("mail.example.net", "A"), ("mail.example.net", "AAAA"),
    )
    assert len(fake_dns.queries) == 1
    assert tree.dns_terms == 3 and "walk paused at mx:mx.example.org" in tree.root.reason
    resolver.lookup_many(tree.pending)
    tree = spf.analyze("Example.COM.", resolver.answers)
    assert tree.pending == (
        ("mx1.example.com.", "A"), ("mx1.example.com.", "AAAA"), ("mx.example.org", "MX"),
        ("_spf.example.com", "TXT"), ("next.example", "TXT"),
    )
    assert tree.dns_terms == 10 and tree.errors == ()


def test_modifiers_named_like_mechanisms_query_nothing(fake_dns):
    record = spf.parse("v=spf1 include=x.example a=y.example ip4:192.0.2.1 -all")
    assert record.errors == () and record.dns_terms == 0
    assert [t.kind for t in record.terms[:2]] == ["modifier", "modifier"]
    tree, _ = tree_of(fake_dns, "example.com", {"example.com": record.text})
    assert tree.pending == () and [q[0] for q in fake_dns.queries] == ["example.com"]
    assert tree.dns_terms == 0 and tree.includes == () and tree.void_lookups == 0


@pytest.mark.parametrize("record", [
    "v=spf1 -all redirect=x.example",             # redirect ignored: the record has all
    "v=spf1 include:a.example ip4:1.2.3.4/33",   # a syntax error: permerror, nothing evaluated
    "v=spf1 a:%{d}.x.example mx:%{l}.example",   # macros: evaluation asks for them
])
def test_the_walk_plans_nothing_evaluation_would_not_ask(fake_dns, record):
    serve(fake_dns, {"example.com": record})
    resolver = Resolver(fake_dns.nameservers, timeout=0.5, lifetime=1.0)
    resolver.lookup("example.com", "TXT")
    assert spf.analyze("example.com", resolver.answers).pending == ()


# ---- analyze -------------------------------------------------------------------------------


def test_include_chain_to_microsoft_365(fake_dns):
    tree, resolver = tree_of(fake_dns, "contoso.com", {
        "contoso.com": ["MS=ms12345", f"v=spf1 include:_spf.filter.example include:{M365} -all"],
        "_spf.filter.example": "v=spf1 ip4:192.0.2.0/24 include:_spf2.filter.example ~all",
        "_spf2.filter.example": "v=spf1 ip6:2001:db8::/32 -all",
        M365: "v=spf1 include:spfa.protection.outlook.com -all",
        "spfa.protection.outlook.com": "v=spf1 ip4:40.92.0.0/15 -all",
    })
    assert tree.root.status == "ok" and tree.root.via == "root"
    assert tree.root.record == f"v=spf1 include:_spf.filter.example include:{M365} -all"
    assert tree.includes == ("_spf.filter.example", "_spf2.filter.example", M365,
                             "spfa.protection.outlook.com")
    assert [c.domain for c in tree.root.children] == ["_spf.filter.example", M365]
    assert tree.root.children[0].children[0].domain == "_spf2.filter.example"
    assert all(n.via == "include" for n in tree.nodes()[1:])
    assert (tree.dns_terms, tree.void_lookups) == (4, 0)
    assert tree.root.dns_terms == 2
    assert tree.errors == () and not tree.loop and not tree.unknown
    assert tree.all_qualifier == "-"
    assert "4 of 10" in tree.reason


def test_redirect_is_followed_and_gives_the_all(fake_dns):
    tree, _ = tree_of(fake_dns, "example.com", {
        "example.com": "v=spf1 mx redirect=_spf.Example.net.",
        "example.com.": {"MX": ["10 mx.example.com."]},
        "_spf.example.net": f"v=spf1 include:{M365} ~all",
        M365: "v=spf1 ip4:40.92.0.0/15 -all",
    })
    assert [(c.domain, c.via) for c in tree.root.children] == [("_spf.example.net", "redirect")]
    assert tree.includes == ("_spf.example.net", M365)
    assert tree.all_qualifier == "~"
    assert tree.dns_terms == 3 and tree.errors == ()


def test_redirect_to_a_domain_without_spf_is_an_error(fake_dns):
    tree, _ = tree_of(fake_dns, "example.com", {"example.com": "v=spf1 redirect=nothing.example",
                                                "nothing.example": "just text"})
    assert tree.root.children[0].status == "none"
    assert any("nothing.example has no SPF record" in e and "6.1" in e for e in tree.errors)
    assert tree.all_qualifier is None


def test_include_of_a_missing_domain_is_void_and_an_error(fake_dns):
    tree, _ = tree_of(fake_dns, "example.com", {"example.com": "v=spf1 include:gone.example -all"})
    assert tree.root.children[0].status == "none"
    assert tree.void_lookups == 1
    assert any("5.2" in e for e in tree.errors)


def test_more_than_ten_dns_terms(fake_dns):
    includes = " ".join(f"include:s{i}.example" for i in range(6))
    records = {"example.com": f"v=spf1 {includes} -all"}
    for i in range(6):
        records[f"s{i}.example"] = f"v=spf1 ip4:192.0.2.{i} -all" if i < 5 else \
            "v=spf1 include:t0.example include:t1.example -all"
    records["t0.example"] = "v=spf1 a:t0.example -all"
    records["t0.example."] = {"A": ["192.0.2.100"]}
    records["t1.example"] = "v=spf1 -all"
    tree, _ = tree_of(fake_dns, "example.com", records)
    assert tree.dns_terms == 6 + 2 + 1
    assert tree.errors == ()
    fake_dns.set("t1.example", "TXT", [txt("v=spf1 mx:t0.example a:t0.example -all")])
    fake_dns.set("t0.example", "MX", ["10 t0.example."])
    tree, _ = tree_of(fake_dns, "example.com", {})
    assert tree.dns_terms == 11
    assert any("a:t0.example: DNS-querying term number 11, more than 10" in e for e in tree.errors)


def test_more_than_two_void_lookups(fake_dns):
    tree, _ = tree_of(fake_dns, "example.com", {
        "example.com": "v=spf1 a:nx1.example mx:nodata.example include:nx2.example "
                       "exists:nx3.example a:v6only.example -all",
        "nodata.example": {"A": ["192.0.2.1"]},
        "v6only.example": {"AAAA": ["2001:db8::1"]},
    })
    # a:nx1 (NXDOMAIN), mx:nodata (no MX), include:nx2 (NXDOMAIN): the third void lookup of
    # both address families, where every evaluation ends in permerror, and so does the walk:
    # exists:nx3 and a:v6only are never asked.
    assert tree.void_lookups == 3
    assert any("3 void lookups, more than 2" in e for e in tree.errors)
    assert "walk stopped at exists:nx3.example: past 2 void lookups" in tree.root.reason
    tree, _ = tree_of(fake_dns, "ok.example", {"ok.example": "v=spf1 a:nx1.example mx:nodata.example -all"})
    assert tree.void_lookups == 2 and tree.errors == ()


def test_include_loop(fake_dns):
    tree, _ = tree_of(fake_dns, "a.example", {
        "a.example": "v=spf1 include:b.example -all",
        "b.example": "v=spf1 include:c.example -all",
        "c.example": "v=spf1 include:A.example. -all",
    })
    assert tree.loop
    loop_node = tree.root.children[0].children[0].children[0]
    assert (loop_node.domain, loop_node.status) == ("a.example", "loop")
    assert any("a.example -> b.example -> c.example -> a.example" in e for e in tree.errors)
    assert tree.includes == ("b.example", "c.example", "a.example")


def test_the_same_include_twice_is_no_loop(fake_dns):
    tree, _ = tree_of(fake_dns, "a.example", {
        "a.example": "v=spf1 include:b.example include:c.example -all",
        "b.example": "v=spf1 include:shared.example -all",
        "c.example": "v=spf1 include:shared.example -all",
        "shared.example": "v=spf1 ip4:192.0.2.1 -all",
    })
    assert not tree.loop and tree.errors == ()
    assert tree.dns_terms == 4  # counted each time it is evaluated (RFC 7208 4.6.4)
    assert tree.includes == ("b.example", "shared.example", "c.example")


def test_syntax_error_in_an_include_is_permerror(fake_dns):
    tree, _ = tree_of(fake_dns, "example.com", {
        "example.com": "v=spf1 include:bad.example -all",
        "bad.example": "v=spf1 ip4:192.0.2.300 include:never.example -all",
    })
    bad = tree.root.children[0]
    assert bad.status == "permerror" and "not an IPv4 address" in bad.reason
    assert bad.children == ()
    assert "never.example" not in tree.includes
    assert any(e.startswith("bad.example:") for e in tree.errors)


def test_syntax_error_at_the_root(fake_dns):
    tree, _ = tree_of(fake_dns, "example.com", {"example.com": "v=spf1 include:_spf.example -al"})
    assert tree.root.status == "permerror"
    assert tree.errors and "unknown mechanism 'al'" in tree.errors[0]
    assert tree.reason == tree.errors[0]


def test_non_ascii_bytes_in_a_record_are_permerror(fake_dns):
    fake_dns.set("example.com", "TXT", [txt(b"v=spf1 ip4:192.0.2.1 note=\xe9t\xe9 -all")])
    tree, _ = tree_of(fake_dns, "example.com", {})
    assert tree.root.status == "permerror" and "non-ASCII" in tree.root.reason


def test_multiple_spf_records_at_a_node(fake_dns):
    tree, _ = tree_of(fake_dns, "example.com", {
        "example.com": "v=spf1 include:two.example -all",
        "two.example": ["v=spf1 -all", "v=spf1 ip4:192.0.2.1 -all", "unrelated"],
    })
    node = tree.root.children[0]
    assert node.status == "multiple"
    assert any("two.example: 2 v=spf1 records" in e for e in tree.errors)
    root_multi, _ = tree_of(fake_dns, "root.example", {"root.example": ["v=spf1 -all", "v=spf1 ~all"]})
    assert root_multi.root.status == "multiple" and root_multi.errors


def test_no_spf_record_at_the_root(fake_dns):
    tree, _ = tree_of(fake_dns, "example.com", {"example.com": ["MS=ms1", "v=DMARC1; p=none"]})
    assert tree.root.status == "none" and tree.root.record is None
    assert tree.errors == () and tree.all_qualifier is None
    assert "no SPF record" in tree.reason
    missing, _ = tree_of(fake_dns, "missing.example", {})
    assert missing.root.status == "none" and missing.void_lookups == 0


@pytest.mark.parametrize("record,qualifier", [
    ("v=spf1 -all", "-"), ("v=spf1 ~all", "~"), ("v=spf1 ?all", "?"), ("v=spf1 +all", "+"),
    ("v=spf1 all", "+"), ("v=spf1 ip4:192.0.2.1", None), ("v=spf1 ~ALL redirect=x.example", "~"),
])
def test_all_qualifiers(fake_dns, record, qualifier):
    tree, _ = tree_of(fake_dns, "example.com", {"example.com": record})
    assert tree.all_qualifier == qualifier


def test_redirect_is_ignored_when_all_is_present(fake_dns):
    tree, _ = tree_of(fake_dns, "example.com", {"example.com": "v=spf1 -all redirect=x.example"})
    assert tree.root.children == () and tree.dns_terms == 0
    assert "redirect ignored" in tree.root.reason
    assert ("x.example", "TXT") not in {(n, t) for n, t, _ in fake_dns.queries}


def test_macros_are_neither_prefetched_nor_followed(fake_dns):
    tree, _ = tree_of(fake_dns, "example.com", {
        "example.com": "v=spf1 include:%{d}.inc.example exists:%{i}.rbl.example "
                       "a:%{l}.hosts.example ptr -all",
    })
    assert tree.dns_terms == 4 and tree.void_lookups == 0
    assert tree.root.children == () and tree.includes == ()
    assert "depends on macros" in tree.root.reason
    assert [q[0] for q in fake_dns.queries] == ["example.com"]
    assert not any("%" in q[0] for q in fake_dns.queries)


def test_unknown_when_a_lookup_times_out(fake_dns):
    fake_dns.fault("slow.example", "timeout")
    tree, _ = tree_of(fake_dns, "example.com", {
        "example.com": "v=spf1 include:slow.example a:slow.example include:fine.example -all",
        "fine.example": "v=spf1 -all",
        "slow.example": "v=spf1 -all",
    }, timeout=0.1, lifetime=0.2)
    assert tree.unknown
    assert tree.root.children[0].status == "temperror"
    assert tree.root.children[1].status == "ok"
    assert tree.void_lookups == 0  # a timeout is not void
    assert not any("slow.example" in e for e in tree.errors)
    assert "no definite answer" in tree.reason


def test_unknown_when_the_root_servfails(fake_dns):
    fake_dns.fault("example.com", "servfail")
    tree, _ = tree_of(fake_dns, "example.com", {"example.com": "v=spf1 -all"})
    assert tree.unknown and tree.root.status == "temperror" and tree.errors == ()


def test_analyze_never_raises_on_a_failing_lookup_function():
    def broken(name, rdtype):
        raise RuntimeError("resolver exploded")

    tree = spf.analyze("example.com", broken)
    assert tree.unknown and tree.root.status == "temperror"
    assert "resolver exploded" in tree.reason


def test_idn_domains_are_walked_as_a_labels(fake_dns):
    tree, _ = tree_of(fake_dns, "B\u00fccher.example.", {
        "xn--bcher-kva.example": "v=spf1 include:_spf.xn--bcher-kva.example -all",
        "_spf.xn--bcher-kva.example": "v=spf1 ip4:192.0.2.1 -all",
    })
    assert tree.root.domain == "xn--bcher-kva.example"
    assert tree.includes == ("_spf.xn--bcher-kva.example",)


def test_more_than_ten_mx_records_is_an_error(fake_dns):
    tree, _ = tree_of(fake_dns, "example.com", {
        "example.com": "v=spf1 mx -all",
        "example.com.": {"MX": [f"{i} mx{i}.example.com." for i in range(11)]},
    })
    assert any("11 MX records" in e for e in tree.errors)


# ---- check_host ----------------------------------------------------------------------------


@pytest.fixture
def policy(fake_dns):
    serve(fake_dns, {
        "contoso.com": "v=spf1 include:_spf.filter.example ip4:131.107.21.231 ~all",
        "_spf.filter.example": "v=spf1 ip4:10.10.10.0/24 ip6:2001:db8:10::/48 -all",
        "strict.example": "v=spf1 a -all",
        "strict.example.": {"A": ["192.0.2.10"]},
        "slow.example": "v=spf1 include:timeout.example -all",
    })
    fake_dns.fault("timeout.example", "timeout")
    return Resolver(fake_dns.nameservers, timeout=0.1, lifetime=0.2)


@pytest.mark.parametrize("ip,sender,expected", [
    ("10.10.10.1", "alerts@contoso.com", "pass"),
    ("2001:db8:10::25", "alerts@contoso.com", "pass"),
    ("131.107.21.231", "user@contoso.com", "pass"),
    ("198.51.100.7", "user@contoso.com", "softfail"),
    ("192.0.2.10", "x@strict.example", "pass"),
    ("192.0.2.11", "x@strict.example", "fail"),
    ("192.0.2.11", "x@nothing.example", "none"),
    ("192.0.2.11", "x@slow.example", "temperror"),
])
def test_check_host(policy, ip, sender, expected):
    result = spf.check_host(ip, sender, "mail.example", policy)
    assert result.result == expected
    assert isinstance(result.explanation, str)


def test_check_host_asks_the_given_resolver(fake_dns, policy):
    spf.check_host("10.10.10.1", "alerts@contoso.com", "mail.example", policy)
    asked = {(name, rdtype) for name, rdtype, _ in fake_dns.queries}
    assert {("contoso.com", "TXT"), ("_spf.filter.example", "TXT")} <= asked
    before = len(fake_dns.queries)
    spf.check_host("10.10.10.2", "alerts@contoso.com", "mail.example", policy)
    assert len(fake_dns.queries) == before  # answered from the resolver's cache
    from macros.spf import evaluation
    assert evaluation._state_var.get() is None  # nothing left behind in this context


def test_check_host_uses_helo_when_the_sender_is_empty(fake_dns, policy):
    assert spf.check_host("192.0.2.10", "", "strict.example", policy).result == "pass"


def test_check_host_explains_a_fail(fake_dns):
    serve(fake_dns, {"example.com": "v=spf1 -all exp=why.example.com",
                     "why.example.com": "%{i} is not one of %{d}'s senders"})
    result = spf.check_host("192.0.2.1", "a@example.com", "h.example",
                            Resolver(fake_dns.nameservers, timeout=0.5, lifetime=1.0))
    assert (result.result, result.explanation) == ("fail", "192.0.2.1 is not one of example.com's senders")


def test_check_host_rejects_a_bad_ip(policy):
    with pytest.raises(ValueError):
        spf.check_host("300.1.1.1", "a@contoso.com", "h.example", policy)


def test_check_host_threads_keep_their_own_resolvers():
    """Two resolvers on two servers with different answers, evaluated at once in threads."""
    zone = "v=spf1 ip4:{} -all"
    with FakeDNS({("example.com", "TXT"): [txt(zone.format("192.0.2.1"))]}) as one, \
            FakeDNS({("example.com", "TXT"): [txt(zone.format("192.0.2.2"))]}) as two:
        results: dict[str, list[str]] = {"one": [], "two": []}

        def run(label, server):
            for _ in range(5):
                resolver = Resolver(server.nameservers, timeout=0.5, lifetime=1.0)
                results[label].append(spf.check_host("192.0.2.1", "a@example.com", "h", resolver).result)

        threads = [threading.Thread(target=run, args=("one", one)),
                   threading.Thread(target=run, args=("two", two))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert results == {"one": ["pass"] * 5, "two": ["fail"] * 5}


def test_terms_after_all_are_never_walked_or_counted(fake_dns):
    """RFC 7208 section 5.1: mechanisms after "all" are never tested."""
    tree, _ = tree_of(fake_dns, "example.com", {
        "example.com": "v=spf1 -all include:spf.protection.outlook.com",
        "spf.protection.outlook.com": "v=spf1 ip4:40.92.0.0/15 -all"})
    assert tree.root.children == () and tree.dns_terms == 0
    assert "never evaluated" in tree.root.reason
    assert "spf.protection.outlook.com" not in tree.includes


def test_an_include_keeps_its_qualifier(fake_dns):
    tree, _ = tree_of(fake_dns, "example.com", {
        "example.com": "v=spf1 -include:spf.protection.outlook.com ?include:b.example include:c.example -all",
        "spf.protection.outlook.com": "v=spf1 ip4:40.92.0.0/15 -all",
        "b.example": "v=spf1 -all", "c.example": "v=spf1 -all"})
    assert [(c.domain, c.qualifier) for c in tree.root.children] == [
        ("spf.protection.outlook.com", "-"), ("b.example", "?"), ("c.example", "+")]
    assert tree.root.qualifier == ""


@pytest.mark.parametrize("policy", [
    "v=spf1 -all include:spf.protection.outlook.com",   # after all: never evaluated
    "v=spf1 -include:spf.protection.outlook.com -all",  # Microsoft 365's IPs would FAIL
])
def test_spf_m365_fails_when_microsoft_365_mail_would_not_pass(fake_dns, policy):
    from macros import config, engine

    serve(fake_dns, {"contoso.example": policy,
                     "spf.protection.outlook.com": "v=spf1 ip4:40.92.0.0/15 -all"})
    resolver = Resolver(fake_dns.nameservers, timeout=0.5, lifetime=1.0)
    spec = config.from_data({"domains": [{"name": "contoso.example", "scenario": "exchange-online"}]}).domains[0]
    verdicts = {c.id: c for c in engine.check_domain(spec, resolver)}
    assert verdicts["spf-m365"].status == "fail", verdicts["spf-m365"]
    assert spf.check_host("40.92.0.1", "a@contoso.example", "contoso.example", resolver).result == "fail"
