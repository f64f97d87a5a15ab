"""FakeDNS answers like an authoritative server, and misbehaves exactly when told to.

Asked with plain dnspython queries (no resolver logic in between), so what is asserted here is
the wire behaviour the other tests rely on.
"""

from __future__ import annotations

import time

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from tests.support.fakedns import FakeDNS, txt


def ask(server: FakeDNS, name: str, rdtype: str, tcp: bool = False, timeout: float = 1.0,
        edns: bool = False) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, use_edns=0 if edns else None, payload=1232)
    send = dns.query.tcp if tcp else dns.query.udp
    if tcp:
        return send(query, server.host, port=server.port, timeout=timeout)
    return send(query, server.host, port=server.port, timeout=timeout)


def answer_text(response: dns.message.Message) -> list[str]:
    return sorted(f"{rrset.name} {dns.rdatatype.to_text(rrset.rdtype)} {rd}"
                  for rrset in response.answer for rd in rrset)


def test_fixture_yields_a_started_server(fake_dns):
    assert fake_dns.port > 0
    assert fake_dns.address == f"127.0.0.1:{fake_dns.port}"
    response = ask(fake_dns, "anything.test.", "A")
    assert response.rcode() == dns.rcode.NXDOMAIN


def test_answers_are_authoritative_with_records(fake_dns):
    fake_dns.set("Example.COM", "TXT", ['"v=spf1 -all"'])
    response = ask(fake_dns, "example.com.", "TXT")
    assert response.flags & dns.flags.AA
    assert response.rcode() == dns.rcode.NOERROR
    assert answer_text(response) == ['example.com. TXT "v=spf1 -all"']


def test_nodata_for_other_types_and_empty_non_terminals_nxdomain_only_below(fake_dns):
    fake_dns.set("a.b.example.com.", "A", ["192.0.2.1"])
    other_type = ask(fake_dns, "a.b.example.com", "MX")
    empty_non_terminal = ask(fake_dns, "b.example.com", "A")
    missing = ask(fake_dns, "c.example.com", "A")
    assert other_type.rcode() == dns.rcode.NOERROR and not other_type.answer
    assert empty_non_terminal.rcode() == dns.rcode.NOERROR and not empty_non_terminal.answer
    assert missing.rcode() == dns.rcode.NXDOMAIN
    for response in (other_type, empty_non_terminal, missing):
        assert [dns.rdatatype.to_text(r.rdtype) for r in response.authority] == ["SOA"]


def test_negative_answers_carry_the_zone_soa(fake_dns):
    fake_dns.set("example.com", "SOA", ["ns.example.com. admin.example.com. 7 3600 600 86400 300"])
    response = ask(fake_dns, "nope.example.com", "TXT")
    assert response.rcode() == dns.rcode.NXDOMAIN
    soa = response.authority[0]
    assert str(soa.name) == "example.com." and soa[0].serial == 7


def test_cname_answers_every_type_and_is_followed_in_zone(fake_dns):
    fake_dns.set("www.example.com", "CNAME", ["host.example.com."])
    fake_dns.set("host.example.com", "A", ["192.0.2.7"])
    response = ask(fake_dns, "www.example.com", "A")
    assert answer_text(response) == ["host.example.com. A 192.0.2.7",
                                     "www.example.com. CNAME host.example.com."]
    nodata = ask(fake_dns, "www.example.com", "MX")
    assert nodata.rcode() == dns.rcode.NOERROR
    assert answer_text(nodata) == ["www.example.com. CNAME host.example.com."]
    asked_cname = ask(fake_dns, "www.example.com", "CNAME")
    assert answer_text(asked_cname) == ["www.example.com. CNAME host.example.com."]


def test_dangling_cname_in_zone_is_nxdomain_with_the_cname(fake_dns):
    fake_dns.set("www.example.com", "CNAME", ["gone.example.com."])
    response = ask(fake_dns, "www.example.com", "A")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert answer_text(response) == ["www.example.com. CNAME gone.example.com."]


def test_cname_into_another_zone_is_left_to_the_client(fake_dns):
    fake_dns.set("a.test", "SOA", ["ns.a.test. h.a.test. 1 3600 600 86400 60"])
    fake_dns.set("b.test", "SOA", ["ns.b.test. h.b.test. 1 3600 600 86400 60"])
    fake_dns.set("x.a.test", "CNAME", ["y.b.test."])
    fake_dns.set("y.b.test", "A", ["192.0.2.9"])
    response = ask(fake_dns, "x.a.test", "A")
    assert response.rcode() == dns.rcode.NOERROR
    assert answer_text(response) == ["x.a.test. CNAME y.b.test."]


def test_cname_loop_in_zone_stops(fake_dns):
    fake_dns.set("l1.example.com", "CNAME", ["l2.example.com."])
    fake_dns.set("l2.example.com", "CNAME", ["l1.example.com."])
    response = ask(fake_dns, "l1.example.com", "A")
    assert answer_text(response) == ["l1.example.com. CNAME l2.example.com.",
                                     "l2.example.com. CNAME l1.example.com."]


def test_txt_strings_bytes_and_spf_type(fake_dns):
    fake_dns.set("example.com", "TXT", [txt("v=spf1 ", b"\xff\x00 -all"), txt("caf\u00e9")])
    fake_dns.set("example.com", "SPF", ['"v=spf1 -all"'])
    strings = sorted(rd.strings for rd in ask(fake_dns, "example.com", "TXT").answer[0])
    assert strings == [(b"caf\xc3\xa9",), (b"v=spf1 ", b"\xff\x00 -all")]
    spf99 = ask(fake_dns, "example.com", "SPF").answer[0]
    assert spf99.rdtype == 99 and spf99[0].strings == (b"v=spf1 -all",)


def test_ptr_mx_aaaa(fake_dns):
    fake_dns.set("4.2.0.192.in-addr.arpa", "PTR", ["mail.example.com."])
    fake_dns.set("example.com", "MX", ["10 mail.example.com.", "20 backup.example.com."])
    fake_dns.set("mail.example.com", "AAAA", ["2001:db8::1"])
    assert answer_text(ask(fake_dns, "4.2.0.192.in-addr.arpa", "PTR")) == [
        "4.2.0.192.in-addr.arpa. PTR mail.example.com."]
    assert len(ask(fake_dns, "example.com", "MX").answer[0]) == 2
    assert answer_text(ask(fake_dns, "mail.example.com", "AAAA")) == [
        "mail.example.com. AAAA 2001:db8::1"]


def test_set_and_remove_at_runtime(fake_dns):
    fake_dns.set("example.com", "A", ["192.0.2.1"])
    fake_dns.set("example.com", "A", ["192.0.2.2"])
    assert answer_text(ask(fake_dns, "example.com", "A")) == ["example.com. A 192.0.2.2"]
    fake_dns.set("example.com", "MX", ["10 mx.example.com."])
    fake_dns.remove("example.com", "A")
    assert ask(fake_dns, "example.com", "A").rcode() == dns.rcode.NOERROR
    fake_dns.remove("example.com")
    assert ask(fake_dns, "example.com", "A").rcode() == dns.rcode.NXDOMAIN


@pytest.mark.parametrize("kind,rcode", [("servfail", dns.rcode.SERVFAIL),
                                        ("refused", dns.rcode.REFUSED),
                                        ("nxdomain", dns.rcode.NXDOMAIN)])
def test_rcode_faults(fake_dns, kind, rcode):
    fake_dns.set("example.com", "A", ["192.0.2.1"])
    fake_dns.fault("example.com", kind)
    assert ask(fake_dns, "example.com", "A").rcode() == rcode
    assert ask(fake_dns, "other.example.com", "A").rcode() == dns.rcode.NXDOMAIN
    fake_dns.clear_faults()
    assert ask(fake_dns, "example.com", "A").rcode() == dns.rcode.NOERROR


def test_star_fault_applies_to_every_name_and_type_fault_to_one_type(fake_dns):
    fake_dns.set("example.com", "A", ["192.0.2.1"])
    fake_dns.set("example.com", "TXT", ['"x"'])
    fake_dns.fault("example.com", "servfail", rdtype="TXT")
    assert ask(fake_dns, "example.com", "TXT").rcode() == dns.rcode.SERVFAIL
    assert ask(fake_dns, "example.com", "A").rcode() == dns.rcode.NOERROR
    fake_dns.fault("*", "nxdomain")
    assert ask(fake_dns, "example.com", "A").rcode() == dns.rcode.NXDOMAIN
    assert ask(fake_dns, "elsewhere.test", "A").rcode() == dns.rcode.NXDOMAIN


def test_unknown_fault_kind_is_refused(fake_dns):
    with pytest.raises(ValueError, match="unknown fault"):
        fake_dns.fault("example.com", "explode")


def test_timeout_fault_never_answers_udp_or_tcp(fake_dns):
    fake_dns.set("example.com", "A", ["192.0.2.1"])
    fake_dns.fault("example.com", "timeout")
    with pytest.raises(dns.exception.Timeout):
        ask(fake_dns, "example.com", "A", timeout=0.2)
    with pytest.raises(dns.exception.Timeout):
        ask(fake_dns, "example.com", "A", tcp=True, timeout=0.2)
    assert fake_dns.transports("example.com", "A") == ["udp", "tcp"]


def test_slow_fault_answers_after_the_delay(fake_dns):
    fake_dns.set("example.com", "A", ["192.0.2.1"])
    fake_dns.fault("example.com", "slow", delay=0.3)
    started = time.monotonic()
    response = ask(fake_dns, "example.com", "A", timeout=2)
    assert 0.3 <= time.monotonic() - started < 1.5
    assert answer_text(response) == ["example.com. A 192.0.2.1"]


def test_truncate_fault_sets_tc_on_udp_and_answers_on_tcp(fake_dns):
    fake_dns.set("example.com", "TXT", ['"v=spf1 -all"'])
    fake_dns.fault("example.com", "truncate")
    udp = ask(fake_dns, "example.com", "TXT")
    assert udp.flags & dns.flags.TC and not udp.answer
    tcp = ask(fake_dns, "example.com", "TXT", tcp=True)
    assert not tcp.flags & dns.flags.TC
    assert answer_text(tcp) == ['example.com. TXT "v=spf1 -all"']
    assert fake_dns.queries == [("example.com", "TXT", "udp"), ("example.com", "TXT", "tcp")]


def test_answers_larger_than_the_udp_size_are_truncated(fake_dns):
    fake_dns.set("big.example.com", "TXT", [txt(f"{i:02d}" + "x" * 250) for i in range(8)])
    plain = ask(fake_dns, "big.example.com", "TXT")
    with_edns = ask(fake_dns, "big.example.com", "TXT", edns=True)
    assert plain.flags & dns.flags.TC
    assert with_edns.flags & dns.flags.TC  # about 2 KB: more than 1232 too
    assert len(ask(fake_dns, "big.example.com", "TXT", tcp=True).answer[0]) == 8
    fake_dns.set("mid.example.com", "TXT", [txt("y" * 250) for _ in range(1)] + [txt("z" * 250)])
    assert not ask(fake_dns, "mid.example.com", "TXT", edns=True).flags & dns.flags.TC


def test_idn_names_and_case_insensitive_zone_keys():
    with FakeDNS({("B\u00fccher.Example", "A"): ["192.0.2.3"]}) as server:
        response = ask(server, "xn--bcher-kva.example.", "A")
        assert answer_text(response) == ["xn--bcher-kva.example. A 192.0.2.3"]
        assert server.queries == [("xn--bcher-kva.example", "A", "udp")]
    assert server._servers == []


def test_reset_forgets_records_faults_and_queries(fake_dns):
    fake_dns.set("example.com", "A", ["192.0.2.1"])
    fake_dns.fault("*", "servfail")
    ask(fake_dns, "example.com", "A")
    fake_dns.reset({("other.test", "A"): ["192.0.2.2"]})
    assert fake_dns.queries == []
    assert ask(fake_dns, "example.com", "A").rcode() == dns.rcode.NXDOMAIN
    assert answer_text(ask(fake_dns, "other.test", "A")) == ["other.test. A 192.0.2.2"]
    assert fake_dns.errors == []
