"""macros/dkim.py (key records, Microsoft 365 targets, one selector's verdict) and the tag lists it reads (macros/taglist.py)."""

import pytest

from macros import dkim, records, taglist

KEY = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1"
OLD = "selector1-contoso-com._domainkey.contoso.onmicrosoft.com."
NEW = "selector1-contoso-com._domainkey.contoso.n-v1.dkim.mail.microsoft."


# ---- RFC 6376 section 3.2 ----------------------------------------------------------------------

def test_tag_list_whitespace_and_trailing_semicolon():
    tags = taglist.parse_tags(" v = DKIM1 ;k=rsa;\r\n p=abc ; ")
    assert tags.tags == (("v", "DKIM1"), ("k", "rsa"), ("p", "abc")) and tags.errors == ()


@pytest.mark.parametrize("text, fragment", [
    ("v=DKIM1; p=a; p=b", "twice"),
    ("v=DKIM1; novalue", "not tag=value"),
    ("1v=x", "not a tag name"),
])
def test_tag_list_errors(text, fragment):
    assert any(fragment in e for e in taglist.parse_tags(text).errors)


def test_tag_names_are_case_sensitive_unless_asked():
    assert taglist.parse_tags("P=abc").get("p") is None
    assert taglist.parse_tags("P=abc", lower_names=True).get("p") == "abc"


# ---- RFC 6376 section 3.6.1 --------------------------------------------------------------------

def test_valid_key():
    key = dkim.parse_key(KEY)
    assert key.valid and key.key_type == "rsa" and key.public_key.startswith("MIGf")


def test_key_with_whitespace_in_p_and_no_v():
    key = dkim.parse_key("k=rsa; p=MIGf MA0G\tCSqG")
    assert key.valid and key.public_key == "MIGfMA0GCSqG"


def test_empty_p_is_revoked():
    key = dkim.parse_key("v=DKIM1; p=")
    assert key.revoked and not key.valid and key.errors == ()


@pytest.mark.parametrize("text, fragment", [
    ("v=DKIM1; k=rsa", "no p="),
    ("v=DKIM2; p=MIGf", "DKIM1"),
    ("k=rsa; v=DKIM1; p=MIGf", "first tag"),
    ("v=DKIM1; k=dsa; p=MIGf", "k=dsa"),
    ("v=DKIM1; p=not*base64", "base64"),
])
def test_invalid_keys(text, fragment):
    key = dkim.parse_key(text)
    assert not key.valid and any(fragment in e for e in key.errors)


def test_ed25519_is_a_known_key_type():
    assert dkim.parse_key("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=").valid


def test_find_key_prefers_a_valid_record():
    assert dkim.find_key(["v=DKIM1; p=", KEY]).valid
    assert dkim.find_key([]) is None


# ---- targets -----------------------------------------------------------------------------------

def test_parse_both_target_forms():
    old, new = dkim.parse_target(OLD), dkim.parse_target(NEW.upper())
    assert (old.selector, old.domain, old.tenant, old.form) == (1, "contoso-com", "contoso", dkim.ONMICROSOFT)
    assert (new.form, new.tenant, new.partition) == (dkim.DKIM_MAIL_MICROSOFT, "contoso", "n")


@pytest.mark.parametrize("name", [
    "s1._domainkey.esp.test.",
    "selector1-contoso-com._domainkey.contoso.onmicrosoft.com.evil.example.",
    "selector1-contoso-com._domainkey.contoso.nn-v1.dkim.mail.microsoft.",  # partition is one letter
    "selector1-contoso-com._domainkey.contoso.n-v2.dkim.mail.microsoft.",
])
def test_not_targets(name):
    assert dkim.parse_target(name) is None


def test_dashed_and_expected_targets():
    assert records.dashed("xn--bcher-kva.example") == "xn--bcher-kva-example"
    text = dkim.expected_targets(2, "contoso.com", None)
    assert "selector2-contoso-com._domainkey.<tenant>.onmicrosoft.com" in text


# ---- one selector ------------------------------------------------------------------------------

def judge(status="found", chain=(OLD,), values=(KEY,), tenant="contoso", selector=1, loop=False):
    return dkim.judge_selector(selector, "contoso.com", tenant, status, chain, values, loop)


def test_ok_old_and_new_form():
    assert judge().status == dkim.OK
    result = judge(chain=(NEW,))
    assert result.status == dkim.OK and result.microsoft.form == dkim.DKIM_MAIL_MICROSOFT


def test_ok_through_an_intermediate_cname():
    result = judge(chain=("selector1.hop.example.", OLD))
    assert result.status == dkim.OK and result.target == "selector1.hop.example"


def test_tenant_is_not_checked_when_not_configured():
    assert judge(tenant=None, chain=(OLD.replace(".contoso.", ".other."),)).status == dkim.OK


@pytest.mark.parametrize("status", ["nxdomain", "nodata"])
def test_missing(status):
    result = judge(status=status, chain=(), values=())
    assert result.status == dkim.MISSING and "does not exist" in result.reason


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(chain=("s1._domainkey.esp.test.",)), "not at Microsoft 365"),
    (dict(chain=(OLD.replace("contoso-com", "fabrikam-com"),)), "another domain's key"),
    (dict(chain=(OLD.replace(".contoso.onmicrosoft", ".other.onmicrosoft"),)), "tenant other"),
    (dict(chain=(OLD.replace("selector1-", "selector2-"),)), "selector2's key"),
    (dict(chain=("foo._domainkey.contoso.onmicrosoft.com.",)), "not a Microsoft 365 DKIM target"),
    (dict(chain=()), "its own TXT record"),
    (dict(status="error", chain=("a.example.", "selector1._domainkey.contoso.com."), loop=True), "CNAME loop"),
])
def test_elsewhere(kwargs, fragment):
    result = judge(**kwargs)
    assert result.status == dkim.ELSEWHERE and fragment in result.reason


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(status="nxdomain", values=()), "no key yet"),
    (dict(values=("v=DKIM1; k=rsa; p=",)), "revoked"),
    (dict(values=("hello world",)), "invalid"),
])
def test_no_key(kwargs, fragment):
    result = judge(**kwargs)
    assert result.status == dkim.NO_KEY and fragment in result.reason


@pytest.mark.parametrize("status", ["timeout", "servfail", "error"])
def test_not_definite_is_unknown_never_elsewhere(status):
    assert judge(status=status, chain=("s1._domainkey.esp.test.",), values=()).status == dkim.UNKNOWN


# ---- 2026 forms: uniqueness suffix, dkim_targets ------------------------------------------------

@pytest.mark.parametrize("token, known, expected", [
    ("contoso-com", (), True),
    ("contoso-com01b", (), True),                         # suffix starting with a digit
    ("contoso-com01b", ("contoso-com01b",), True),        # the MX host's token
    ("contoso-com02c", ("contoso-com01b",), False),       # another token than the MX host's
    ("contoso-comx", (), False),                          # could be contoso.comx's key
    ("contoso-com-evil", (), False),                      # dashes are not a suffix
    ("fabrikam-com01b", ("fabrikam-com01b",), False),     # another domain's token
])
def test_token_matches(token, known, expected):
    assert dkim.token_matches(token, "contoso.com", known) is expected


def test_exo_token():
    assert dkim.exo_token("contoso-com01b.mail.protection.outlook.com.") == "contoso-com01b"
    assert dkim.exo_token("contoso-com.o-v1.mx.microsoft") == "contoso-com"
    assert dkim.exo_token("mx01.hornetsecurity.com.") is None


def test_exact_target_is_the_only_thing_that_passes():
    exact = "selector1-contoso-com._domainkey.contoso.onmicrosoft.com"
    ok = dkim.judge_selector(1, "contoso.com", None, "found", (OLD,), (KEY,), exact_target=exact)
    assert ok.status == dkim.OK
    other = dkim.judge_selector(1, "contoso.com", None, "found", (NEW,), (KEY,), exact_target=exact)
    assert other.status == dkim.ELSEWHERE and "(dkim_targets)" in other.reason
    nokey = dkim.judge_selector(1, "contoso.com", None, "nxdomain", (OLD,), (), exact_target=exact)
    assert nokey.status == dkim.NO_KEY
