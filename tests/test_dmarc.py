"""macros/dmarc.py: selecting, parsing and judging DMARC records (RFC 7489), no DNS."""

import pytest

from macros import dmarc


@pytest.mark.parametrize("text, expected", [
    ("v=DMARC1; p=reject", True),
    ("  v = DMARC1 ;p=none", True),
    ("v=dmarc1; p=none", False),        # the value is case-sensitive (section 6.4 ABNF %x codes)
    ("V=DMARC1; p=none", True),         # the tag name is not
    ("v=DMARC1", True),
    ("p=reject; v=DMARC1", False),      # v= must come first (section 6.6.3 step 3)
    ("v=DMARC10; p=reject", False),
    ("v=spf1 -all", False),
    ("", False),
])
def test_is_dmarc(text, expected):
    assert dmarc.is_dmarc(text) is expected


def test_parse_full_record():
    record = dmarc.parse("v=DMARC1; p=quarantine; sp=reject; pct=50; adkim=s; aspf=r; "
                         "rua=mailto:a@example.com,mailto:b@example.com!10m; ruf=mailto:f@example.com; ri=3600")
    assert record.valid and record.warnings == ()
    assert (record.policy, record.subdomain_policy, record.pct) == ("quarantine", "reject", 50)
    assert record.rua == ("mailto:a@example.com", "mailto:b@example.com!10m")
    assert record.ruf == ("mailto:f@example.com",)


def test_tag_names_and_policy_values_are_case_insensitive():
    record = dmarc.parse("v=DMARC1; P=Reject")
    assert record.valid and record.policy == "reject"


def test_unknown_tags_are_ignored():
    assert dmarc.parse("v=DMARC1; p=none; future_tag=1").valid


@pytest.mark.parametrize("text, fragment", [
    ("v=DMARC1", "no p="),
    ("v=DMARC1; p=maybe", "p=maybe"),
    ("v=DMARC1; p=reject; sp=sometimes", "sp=sometimes"),
    ("v=DMARC1; p=reject; p=none", "twice"),
    ("v=DMARC1; p=reject; garbage", "not tag=value"),
    ("p=reject", "v=DMARC1"),
])
def test_invalid_records(text, fragment):
    record = dmarc.parse(text)
    assert not record.valid and any(fragment in e for e in record.errors)


@pytest.mark.parametrize("text, fragment", [
    ("v=DMARC1; p=reject; pct=150", "pct=150"),
    ("v=DMARC1; p=reject; adkim=x", "adkim=x"),
    ("v=DMARC1; p=reject; ri=soon", "ri=soon"),
    ("v=DMARC1; p=reject; rua=dmarc@example.com", "not a URI"),
])
def test_bad_optional_values_are_warnings_only(text, fragment):
    record = dmarc.parse(text)
    assert record.valid and any(fragment in w for w in record.warnings)


def test_discover_missing_when_no_record_starts_with_v():
    policy = dmarc.discover(["some-verification=1", "p=reject; v=DMARC1"])
    assert policy.status == dmarc.MISSING and policy.records == () and policy.policy is None


def test_discover_multiple():
    policy = dmarc.discover(["v=DMARC1; p=reject", "v=DMARC1; p=none", "unrelated"])
    assert policy.status == dmarc.MULTIPLE and len(policy.records) == 2 and policy.policy is None


def test_discover_invalid_and_valid():
    assert dmarc.discover(["v=DMARC1; p=bogus"]).status == dmarc.INVALID
    policy = dmarc.discover(["unrelated", "v=DMARC1; p=reject"])
    assert policy.status == dmarc.VALID and policy.policy == "reject" and policy.reason == "p=reject"


def test_pct_zero_is_a_policy_for_no_mail():
    record = dmarc.parse("v=DMARC1; p=reject; pct=0")
    assert record.policy == "reject" and record.pct == 0
