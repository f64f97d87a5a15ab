"""settings.py and resolve.parse_nameservers: CONTRACT.md's environment variables, bad values named."""

import pytest

from macros.resolve import parse_nameservers
from macros.settings import SettingsError, from_mapping


def test_defaults(tmp_path):
    s = from_mapping({}, tmp_path)
    assert s.domains_file == str(tmp_path / "domains.yml")
    assert s.baseline_file == str(tmp_path / "baseline.yml")
    assert s.nameservers == () and not s.offline and not s.fail_on_drift


def test_values(tmp_path):
    s = from_mapping({"MAILFLOW_DOMAINS": "/etc/kb/d.yml", "MAILFLOW_BASELINE": "b.yml",
                      "MAILFLOW_NAMESERVERS": "127.0.0.1:5353, [::1]:53,192.0.2.53",
                      "MAILFLOW_OFFLINE": "1", "MAILFLOW_FAIL_ON_DRIFT": "true"}, tmp_path)
    assert s.domains_file == "/etc/kb/d.yml" and s.baseline_file == str(tmp_path / "b.yml")
    assert s.nameservers == (("127.0.0.1", 5353), ("::1", 53), ("192.0.2.53", 53))
    assert s.offline and s.fail_on_drift


@pytest.mark.parametrize("key, value, message", [
    ("MAILFLOW_NAMESERVERS", "dns.example", "MAILFLOW_NAMESERVERS: nameserver 'dns.example'"),
    ("MAILFLOW_NAMESERVERS", "127.0.0.1:99999", "port '99999'"),
    ("MAILFLOW_NAMESERVERS", "[::1:53", "write IPv6 as \\[address\\]:port"),
    ("MAILFLOW_OFFLINE", "maybe", "MAILFLOW_OFFLINE='maybe': use 1 or 0"),
    ("MAILFLOW_FAIL_ON_DRIFT", "2", "MAILFLOW_FAIL_ON_DRIFT='2'"),
])
def test_bad_values_are_named(tmp_path, key, value, message):
    with pytest.raises(SettingsError, match=message):
        from_mapping({key: value}, tmp_path)


def test_ipv6_in_brackets():
    assert parse_nameservers("[2001:db8::53]:5353") == [("2001:db8::53", 5353)]
    assert parse_nameservers("") == []
    assert parse_nameservers("::1") == [("::1", 53)]  # a bare IPv6 address takes the default port
    assert parse_nameservers("localhost:5353")[0][1] == 5353  # a host name is looked up once
    assert parse_nameservers("localhost:5353")[0][0] in ("127.0.0.1", "::1")


@pytest.mark.parametrize("value, message", [
    (",,,", "lists no nameserver"),
    (" , ", "lists no nameserver"),
    ("::1:53", r"write IPv6 in brackets, \[::1:53\] for that address or \[address\]:port"),
    ("127.0.0.1, 2001:db8::53", r"nameserver '2001:db8::53': write IPv6 in brackets"),
])
def test_nameservers_that_would_silently_mean_another_resolver_are_refused(tmp_path, value, message):
    with pytest.raises(SettingsError, match=message) as info:
        from_mapping({"MAILFLOW_NAMESERVERS": value}, tmp_path)
    assert info.value.problems[0].field == "MAILFLOW_NAMESERVERS" and info.value.exit_code == 2


def test_a_setting_with_terminal_escapes_is_shown_escaped(tmp_path):
    with pytest.raises(SettingsError) as info:
        from_mapping({"MAILFLOW_OFFLINE": "\x1b[31m\u202e\x9b"}, tmp_path)
    text = str(info.value)
    assert "\x1b" not in text and "\u202e" not in text and "\x9b" not in text
    assert "MAILFLOW_OFFLINE" in text and "\\027" in text


def test_ca_bundle(tmp_path):
    assert from_mapping({}, tmp_path).ca_bundle is None            # the system trust store
    assert from_mapping({"MAILFLOW_CA_BUNDLE": ""}, tmp_path).ca_bundle is None
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    assert from_mapping({"MAILFLOW_CA_BUNDLE": "ca.pem"}, tmp_path).ca_bundle == str(tmp_path / "ca.pem")
    with pytest.raises(SettingsError, match="MAILFLOW_CA_BUNDLE='missing.pem': no such file") as info:
        from_mapping({"MAILFLOW_CA_BUNDLE": "missing.pem"}, tmp_path)
    assert info.value.problems[0].field == "MAILFLOW_CA_BUNDLE" and info.value.exit_code == 2


def test_tenants_folder(tmp_path):
    """MAILFLOW_TENANTS: the default folder may be missing (no exports yet); a folder the variable
    names must exist, or the tenant checks would all read "no export" and the nightly stay green."""
    assert from_mapping({}, tmp_path).tenants_dir == str(tmp_path / "tenants")  # missing: fine
    assert from_mapping({"MAILFLOW_TENANTS": " "}, tmp_path).tenants_dir == str(tmp_path / "tenants")
    assert from_mapping({"MAILFLOW_TENANTS": "tenants"}, tmp_path).tenants_dir == str(tmp_path / "tenants")
    (tmp_path / "exports").mkdir()
    assert from_mapping({"MAILFLOW_TENANTS": "exports"}, tmp_path).tenants_dir == str(tmp_path / "exports")
    assert from_mapping({"MAILFLOW_TENANTS": str(tmp_path / "exports")}, tmp_path).tenants_dir == str(
        tmp_path / "exports")
    (tmp_path / "file.json").write_text("{}")
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    for value, what in [("exprots", "no such folder"), (str(tmp_path / "elsewhere"), "no such folder"),
                        ("file.json", "not a folder"), ("gone", "a link to nothing")]:
        with pytest.raises(SettingsError) as info:
            from_mapping({"MAILFLOW_TENANTS": value}, tmp_path)
        assert str(info.value) == (f"MAILFLOW_TENANTS={value!r}: {what} (the folder of Exchange Online "
                                   "exports, <tenant>.json; unset it for the default 'tenants')")
        assert info.value.problems[0].field == "MAILFLOW_TENANTS" and info.value.exit_code == 2
    (tmp_path / "tenants").write_text("")  # the default name, but a file
    with pytest.raises(SettingsError, match="MAILFLOW_TENANTS='tenants': not a folder"):
        from_mapping({}, tmp_path)
