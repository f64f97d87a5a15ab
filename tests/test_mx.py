"""macros/mx.py: parsing and classifying MX record sets (pure, no DNS)."""

import pytest

from macros import mx

HORNET = ("mx*.hornetsecurity.com",)


@pytest.mark.parametrize(
    "host, patterns, kind",
    [
        ("contoso-com.mail.protection.outlook.com.", HORNET, mx.EXCHANGE_ONLINE),
        ("CONTOSO-COM.Mail.Protection.Outlook.COM", (), mx.EXCHANGE_ONLINE),
        ("contoso-com.o-v1.mx.microsoft.", HORNET, mx.EXCHANGE_ONLINE),
        ("mx01.hornetsecurity.com.", HORNET, mx.FILTER),
        ("mx01.hornetsecurity.com.", (), mx.OTHER),
        ("eu-smtp-inbound-1.mimecast.com.", HORNET, mx.OTHER),
        # look-alikes are not Microsoft
        ("mail.protection.outlook.com.evil.example.", HORNET, mx.OTHER),
        ("evilmx.microsoft.example.", HORNET, mx.OTHER),
        (".", HORNET, mx.NULL),
    ],
)
def test_classify_host(host, patterns, kind):
    assert mx.classify_host(host, patterns) == kind


def test_a_filter_pattern_never_claims_exchange_online():
    assert mx.classify_host("x.mail.protection.outlook.com.", ("*.outlook.com",)) == mx.EXCHANGE_ONLINE


def test_route_sorts_by_preference_and_keeps_every_host():
    route = mx.route(["20 mx02.hornetsecurity.com.", "10 mx01.hornetsecurity.com."], HORNET)
    assert [(h.preference, h.host) for h in route.hosts] == [
        (10, "mx01.hornetsecurity.com."), (20, "mx02.hornetsecurity.com.")]
    assert route.all_filter and not route.all_exchange_online
    assert not route.null_mx and route.errors == ()
    assert route.describe() == "10 mx01.hornetsecurity.com, 20 mx02.hornetsecurity.com"


def test_route_with_a_bypass_host():
    route = mx.route(["10 mx01.hornetsecurity.com.", "50 contoso-com.mail.protection.outlook.com."], HORNET)
    assert not route.all_filter
    assert [h.name for h in route.of_kind(mx.EXCHANGE_ONLINE)] == ["contoso-com.mail.protection.outlook.com"]


def test_null_mx_rfc7505():
    route = mx.route(["0 ."])
    assert route.null_mx and route.errors == ()
    assert route.hosts[0].kind == mx.NULL and route.hosts[0].name == "."


@pytest.mark.parametrize("values", [["0 .", "10 mx.example."], ["10 ."]])
def test_null_mx_mixed_or_not_preference_zero_is_invalid(values):
    route = mx.route(values)
    assert not route.null_mx
    assert "RFC 7505" in route.errors[0]


@pytest.mark.parametrize("value", ["mx.example.", "10", "ten mx.example.", "70000 mx.example.", "10 a b"])
def test_malformed_values_are_errors_not_exceptions(value):
    route = mx.route([value])
    assert route.errors and route.hosts[0].kind == mx.INVALID
    with pytest.raises(ValueError):
        mx.parse_value(value)


def test_parse_value_normalizes_the_host():
    assert mx.parse_value("5 MX.Example") == (5, "mx.example.")


def test_empty_set():
    route = mx.route([])
    assert route.hosts == () and not route.all_filter and not route.all_exchange_online
    assert route.describe() == "none"
