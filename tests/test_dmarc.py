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


# ---- RFC 9989 ------------------------------------------------------------------------------------

def test_p_missing_with_a_valid_rua_is_none():
    record = dmarc.parse("v=DMARC1; rua=mailto:agg@example.com")
    assert record.valid and record.policy == "none" and record.p_defaulted
    assert not dmarc.parse("v=DMARC1; rua=not-a-uri").valid


def test_t_np_and_pct_are_read():
    record = dmarc.parse("v=DMARC1; p=reject; np=quarantine; t=y; pct=100")
    assert record.testing and record.nonexistent_policy == "quarantine" and record.has_pct
    assert not dmarc.parse("v=DMARC1; p=reject; t=n").testing
    assert any("t=maybe" in w for w in dmarc.parse("v=DMARC1; p=reject; t=maybe").warnings)
    assert not dmarc.parse("v=DMARC1; p=reject; np=sometimes").valid


@pytest.mark.parametrize("domain, names", [
    ("contoso.com", ["_dmarc.contoso.com.", "_dmarc.com."]),
    ("a.b.contoso.com", ["_dmarc.a.b.contoso.com.", "_dmarc.b.contoso.com.", "_dmarc.contoso.com.", "_dmarc.com."]),
    # 9 labels: the walk jumps to the last 7, then one less each time (8 names at most)
    ("1.2.3.4.5.6.7.8.9", ["_dmarc.1.2.3.4.5.6.7.8.9.", "_dmarc.3.4.5.6.7.8.9.", "_dmarc.4.5.6.7.8.9.",
                           "_dmarc.5.6.7.8.9.", "_dmarc.6.7.8.9.", "_dmarc.7.8.9.", "_dmarc.8.9.", "_dmarc.9."]),
])
def test_walk_names(domain, names):
    assert dmarc.walk_names(domain) == names
    assert len(names) <= dmarc.MAX_WALK


def walk(own, parent, top=(), exists=True, definite=(True, True, True)):
    names = dmarc.walk_names("sub.contoso.com")
    return dmarc.walk(list(zip(names, definite, (own, parent, top))), exists)


def test_walk_own_record_decides_with_p():
    found = walk(["v=DMARC1; p=reject; sp=none"], ["v=DMARC1; p=none"])
    assert found.status == dmarc.VALID and found.own and found.tag == "p" and found.policy == "reject"


def test_walk_parent_record_gives_sp_then_p_and_np_for_a_name_that_does_not_exist():
    parent = ["v=DMARC1; p=reject; sp=quarantine; np=none"]
    assert (walk([], parent).tag, walk([], parent).policy) == ("sp", "quarantine")
    assert walk([], parent).found_at == "contoso.com" and not walk([], parent).own
    assert (walk([], parent, exists=False).tag, walk([], parent, exists=False).policy) == ("np", "none")
    assert walk([], ["v=DMARC1; p=reject"], exists=False).policy == "reject"


def test_walk_passes_over_a_parent_with_two_records_but_not_the_own_name():
    two = ["v=DMARC1; p=none", "v=DMARC1; p=reject"]
    found = walk([], two, ["v=DMARC1; p=quarantine"])
    assert found.status == dmarc.VALID and found.found_at == "com" and found.policy == "quarantine"
    assert walk(two, ["v=DMARC1; p=reject"]).status == dmarc.MULTIPLE


def test_walk_unknown_missing_and_invalid():
    unsure = walk([], ["v=DMARC1; p=reject"], definite=(True, False, True))
    assert unsure.status == dmarc.UNKNOWN and unsure.unknown_name == "_dmarc.contoso.com."
    assert walk([], []).status == dmarc.MISSING
    bad = walk([], ["v=DMARC1; p=maybe"])
    assert bad.status == dmarc.INVALID and bad.policy is None


def _walked(domain, records):
    """(name, definite, values) of every walk name, with ``records`` {domain: record}."""
    return [(name, True, [records[name[len("_dmarc."):-1]]] if name[len("_dmarc."):-1] in records else [])
            for name in dmarc.walk_names(domain)]


@pytest.mark.parametrize("domain,records,org", [
    ("mail.contoso.example", {"mail.contoso.example": "v=DMARC1; p=reject",
                              "contoso.example": "v=DMARC1; p=reject"}, "contoso.example"),
    ("mail.contoso.example", {"mail.contoso.example": "v=DMARC1; p=reject"}, "mail.contoso.example"),
    ("mail.contoso.example", {}, "mail.contoso.example"),
    ("a.b.contoso.example", {"b.contoso.example": "v=DMARC1; p=none; psd=n",
                             "contoso.example": "v=DMARC1; p=reject"}, "b.contoso.example"),
    ("shop.city.example", {"city.example": "v=DMARC1; p=reject; psd=y"}, "shop.city.example"),
    ("x.shop.city.example", {"city.example": "v=DMARC1; p=reject; psd=y"}, "shop.city.example"),
])
def test_organizational_domain_by_the_tree_walk(domain, records, org):
    assert dmarc.organizational_domain(domain, _walked(domain, records)) == org


def test_reports_inside_the_organization_need_no_authorization(fake_dns):
    """mail.contoso.example reporting to reports.contoso.example: the same organizational
    domain (the walk finds contoso.example's record), so no authorization record is needed;
    a destination of another organization still must authorize."""
    from macros.model import PASS, WARN
    from macros.resolve import Resolver
    from tests.support.fakedns import txt

    fake_dns.set("spf.protection.outlook.com", "TXT", txt("v=spf1 ip4:40.92.0.0/15 -all"))
    fake_dns.set("_dmarc.contoso.example", "TXT", txt("v=DMARC1; p=reject; rua=mailto:d@reports.contoso.example"))
    for sub, rua in (("mail", "d@reports.contoso.example"), ("shop", "d@reports.vendor.example")):
        fake_dns.set(f"{sub}.contoso.example", "TXT", txt("v=spf1 -all"))
        fake_dns.set(f"{sub}.contoso.example", "MX", f"10 {sub}-contoso-example.mail.protection.outlook.com.")
        fake_dns.set(f"_dmarc.{sub}.contoso.example", "TXT", txt(f"v=DMARC1; p=reject; rua=mailto:{rua}"))
    resolver = Resolver(fake_dns.nameservers, timeout=0.5, lifetime=1)

    inside = dmarc_reports(resolver, "mail.contoso.example")
    assert inside.status == PASS and "inside" in inside.reason, inside
    outside = dmarc_reports(resolver, "shop.contoso.example")
    assert outside.status == WARN and "reports.vendor.example does not authorize" in outside.reason, outside


def test_more_report_destinations_than_are_checked_is_a_warn_not_a_pass(fake_dns):
    """CONTRACT.md: every external destination must authorize. Only the first 8 are looked up
    (a record could list hundreds), so a ninth is never silently passed (found by review: it
    was cut off, and an unauthorized ninth destination gave pass)."""
    from macros.model import PASS, WARN
    from macros.resolve import Resolver
    from tests.support.fakedns import txt

    fake_dns.set("spf.protection.outlook.com", "TXT", txt("v=spf1 ip4:40.92.0.0/15 -all"))
    for count in (8, 9):
        domain = f"many{count}.example"
        dests = [f"r{i}.x{count}.example" for i in range(count)]
        rua = ",".join(f"mailto:d@{d}" for d in dests)
        fake_dns.set(domain, "MX", f"10 many{count}-example.mail.protection.outlook.com.")
        fake_dns.set(f"_dmarc.{domain}", "TXT", txt(f"v=DMARC1; p=reject; rua={rua}"))
        for dest in dests[:8]:  # the ninth never authorizes
            fake_dns.set(f"{domain}._report._dmarc.{dest}", "TXT", txt("v=DMARC1"))
    resolver = Resolver(fake_dns.nameservers, timeout=0.5, lifetime=1)

    eight = dmarc_reports(resolver, "many8.example")
    assert eight.status == PASS and "8 external destination(s) authorize them" in eight.reason, eight
    nine = dmarc_reports(resolver, "many9.example")
    assert nine.status == WARN, nine
    assert "9 external report destinations: the first 8 authorize reports for many9.example, the other 1 " \
           "were not checked (r8.x9.example)" in nine.reason, nine.reason
    asked = {q[0] for q in fake_dns.queries if "._report._dmarc." in q[0]}
    assert "many9.example._report._dmarc.r8.x9.example" not in asked


def dmarc_reports(resolver, name):
    """The dmarc-reports check of the exchange-online domain ``name``, judged live."""
    from macros import config, engine

    spec = config.from_data({"domains": [{"name": name, "scenario": "exchange-online"}]}).domains[0]
    return next(c for c in engine.check_domain(spec, resolver) if c.id == "dmarc-reports")
