"""records.py: one normalized form for names and values, so comparing never invents a change."""

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

from macros.records import InvalidName, ascii_domain, display_name, is_hostname, normalize_name, rdata_value


def rdata(rdtype, text):
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), text)


def test_names_are_lowercase_a_labels_with_one_trailing_dot():
    assert normalize_name("Contoso.COM") == "contoso.com."
    assert normalize_name("contoso.com.") == "contoso.com."
    assert normalize_name("bücher.example") == "xn--bcher-kva.example."
    assert ascii_domain("Bücher.Example") == "xn--bcher-kva.example"
    assert display_name("xn--bcher-kva.example.") == "bücher.example"


@pytest.mark.parametrize("bad, why", [
    ("", "empty"), (".", "empty"), ("a..example", "empty label"),
    ("a" * 64 + ".example", "longer than 63 octets"),
    (".".join(["a" * 60] * 5), "longer than 255 octets"),
])
def test_names_dns_cannot_carry_are_refused_with_a_reason(bad, why):
    with pytest.raises(InvalidName, match=why):
        normalize_name(bad)


def test_hostnames_are_letters_digits_and_inner_hyphens():
    assert is_hostname("mx01.hornetsecurity.com.")
    assert not is_hostname("-mx.example")
    assert not is_hostname("mx_01.example")
    assert not is_hostname("<script>.example")


def test_values_have_one_form():
    assert rdata_value(rdata("MX", "10 MX01.HornetSecurity.COM.")) == "10 mx01.hornetsecurity.com."
    assert rdata_value(rdata("CNAME", "AutoDiscover.Outlook.com.")) == "autodiscover.outlook.com."
    assert rdata_value(rdata("AAAA", "2001:DB8:0:0::1")) == "2001:db8::1"
    # TXT joined from its character-strings, whatever the chunking
    assert rdata_value(rdata("TXT", '"v=spf1 " "include:spf.protection.outlook.com" " -all"')) == \
        rdata_value(rdata("TXT", '"v=spf1 include:spf.protection.outlook.com -all"'))
    # bytes that are not UTF-8 are shown, not dropped or replaced silently
    assert rdata_value(rdata("TXT", '"caf\\233"')) == "caf\\xe9"


def test_idn_follows_idna_2008_not_2003():
    """faß.de and fass.de are different domains (IDNA 2008); IDNA 2003 would merge them."""
    assert normalize_name("faß.de") == "xn--fa-hia.de."
    assert display_name("xn--fa-hia.de.") == "faß.de"
