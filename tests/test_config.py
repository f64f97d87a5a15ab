"""macros/config.py: domains.yml is validated into typed specs; a bad file gives one clear
ConfigError naming the file, the entry and the field, never a traceback."""

import textwrap

import pytest

from macros import config
from macros.config import ConfigError

GOOD = """
resolver: {timeout: 1, lifetime: 3}
canary: {name: spf.protection.outlook.com, type: TXT}
domains:
  - name: contoso.example
    scenario: third-party-filter
    filter: hornetsecurity
    tenant: contoso.onmicrosoft.com
    filter_ips: [94.100.132.8]
  - name: Bücher.Example
    scenario: hybrid-third-party
    filter_mx: ["*.Filter.Example."]
    onprem_ips: ["2001:db8::25", 198.51.100.25]
    exo_host: Buecher-Example.mail.protection.outlook.com
  - name: exo.example
    scenario: exchange-online
"""


def write(tmp_path, text, name="domains.yml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_good_file(tmp_path):
    cfg = config.load(write(tmp_path, GOOD))
    assert (cfg.timeout, cfg.lifetime, cfg.canary) == (1.0, 3.0, ("spf.protection.outlook.com", "TXT"))
    contoso, buecher, exo = cfg.domains
    assert contoso.tenant == "contoso" and contoso.filter_mx == ("mx*.hornetsecurity.com", "mx*.antispameurope.com")
    assert contoso.filter_name == "Hornetsecurity" and contoso.third_party
    assert buecher.name == "Bücher.Example" and buecher.ascii == "xn--bcher-kva.example"
    assert buecher.dashed == "xn--bcher-kva-example" and buecher.fqdn == "xn--bcher-kva.example."
    assert buecher.filter_mx == ("*.filter.example",) and buecher.filter_name == "the filtering service"
    assert buecher.onprem_ips == ("2001:db8::25", "198.51.100.25")
    assert buecher.expected_exo_host == "buecher-example.mail.protection.outlook.com."
    assert exo.expected_exo_host == "exo-example.mail.protection.outlook.com." and not exo.third_party
    assert cfg.get("BÜCHER.example") is buecher and cfg.get("nope.example") is None


def domain_file(tmp_path, entry: str) -> str:
    """A file whose second domain entry is ``entry`` (YAML mapping text)."""
    return write(tmp_path, "domains:\n  - {name: ok.example, scenario: exchange-online}\n  - " + entry + "\n")


LONG = "a" * 64

BAD_ENTRIES = [
    # (entry, field, words the message must contain)
    ("{name: 'not a domain!', scenario: exchange-online}", "name", ["not a valid", "not a domain!"]),
    ("{name: localhost, scenario: exchange-online}", "name", ["not a valid mail domain"]),
    ("{name: '-bad-.example', scenario: exchange-online}", "name", ["not a valid mail domain"]),
    ("{name: 'a..example', scenario: exchange-online}", "name", ["empty label"]),
    ("{name: 192.0.2.1, scenario: exchange-online}", "name", ["not a valid mail domain"]),
    ("{name: xn--zz.example, scenario: exchange-online}", "name", ["not valid punycode"]),
    (f"{{name: {LONG}.example, scenario: exchange-online}}", "name", ["longer than 63 octets"]),
    ("{name: '" + "ü" * 60 + ".example', scenario: exchange-online}", "name", ["longer than 63 octets"]),
    ("{scenario: exchange-online}", "name", ["missing"]),
    ("{name: 42, scenario: exchange-online}", "name", ["missing"]),
    ("{name: x.example, scenario: cloud}", "scenario", ["'cloud'", "third-party-filter"]),
    ("{name: x.example}", "scenario", ["None"]),
    ("{name: x.example, scenario: third-party-filter, filter: hornet}", "filter", ["'hornet'", "hornetsecurity"]),
    ("{name: x.example, scenario: third-party-filter}", "filter", ["needs"]),
    ("{name: x.example, scenario: third-party-filter, filter: mimecast, filter_mx: ['*.x.example']}",
     "filter' and 'filter_mx", ["one or the other"]),
    ("{name: x.example, scenario: third-party-filter, filter_mx: []}", "filter_mx", ["non-empty list"]),
    ("{name: x.example, scenario: third-party-filter, filter_mx: '*.x.example'}", "filter_mx", ["non-empty list"]),
    ("{name: x.example, scenario: third-party-filter, filter_mx: ['*.ok.example', 'mx one.example']}",
     "filter_mx'[1", ["'mx one.example' is not a host pattern"]),
    ("{name: x.example, scenario: hybrid-third-party, filter: sophos, onprem_ips: [300.1.1.1]}",
     "onprem_ips'[0", ["'300.1.1.1' is not an IP address"]),
    ("{name: x.example, scenario: exchange-online, senders: [192.0.2.1, mail.x.example]}",
     "senders'[1", ["'mail.x.example' is not an IP address"]),
    ("{name: x.example, scenario: exchange-online, filter_ips: 192.0.2.1}", "filter_ips", ["must be a list"]),
    ("{name: x.example, scenario: exchange-online, tenant: 'con toso'}", "tenant", ["'con toso'"]),
    ("{name: x.example, scenario: exchange-online, exo_host: 'bad host!'}", "exo_host", ["bad host!"]),
    ("{name: x.example, scenario: exchange-online, colour: blue}", "colour", ["unknown field"]),
]


@pytest.mark.parametrize("entry, field, words", BAD_ENTRIES, ids=[e[1] + ":" + e[0][:40] for e in BAD_ENTRIES])
def test_bad_entry_gives_one_clear_error(tmp_path, entry, field, words):
    path = domain_file(tmp_path, entry)
    with pytest.raises(ConfigError) as info:
        config.load(path)
    error = info.value
    assert len(error.problems) == 1, error.problems
    message = str(error)
    assert str(path) in message                      # the file
    assert "domains[1]" in error.problems[0]         # the entry
    assert f"'{field}" in error.problems[0]          # the field
    for word in words:
        assert word in error.problems[0], (word, error.problems[0])


@pytest.mark.parametrize("first, second", [
    ("contoso.example", "CONTOSO.example."),
    ("bücher.example", "xn--bcher-kva.example"),
])
def test_duplicate_domain(tmp_path, first, second):
    path = write(tmp_path, f"domains:\n  - {{name: '{first}', scenario: exchange-online}}\n"
                           f"  - {{name: '{second}', scenario: exchange-online}}\n")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert info.value.problems == [f"domains[1] ({second}): field 'name': duplicate of domains[0]"]


def test_not_yaml_names_the_line(tmp_path):
    path = write(tmp_path, "domains:\n  - name: x.example\n    scenario: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert len(info.value.problems) == 1
    assert str(path) in str(info.value) and "not valid YAML" in str(info.value) and "line " in str(info.value)


@pytest.mark.parametrize("text, words", [
    ("- just\n- a list\n", ["top level must be a mapping"]),
    ("domains: {name: x.example}\n", ["domains: must be a list"]),
    ("domain:\n  - {name: x.example, scenario: exchange-online}\n", ["unknown top-level key 'domain'"]),
    ("resolver: {timeout: 0}\ndomains: []\n", ["resolver: field 'timeout'", "0"]),
    ("resolver: {timeout: 5, lifetime: 2}\ndomains: []\n", ["resolver: field 'lifetime' must be at least"]),
    ("resolver: {retries: 3}\ndomains: []\n", ["resolver: unknown key 'retries'"]),
    ("canary: spf.protection.outlook.com\ndomains: []\n", ["canary: must be a mapping"]),
    ("canary: {name: spf.protection.outlook.com, type: SRV}\ndomains: []\n", ["canary: field 'type'", "'SRV'"]),
    ("domains:\n  - just-a-string\n", ["domains[0]: must be a mapping"]),
])
def test_bad_top_level(tmp_path, text, words):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert len(info.value.problems) == 1, info.value.problems
    for word in words:
        assert word in info.value.problems[0]


def test_every_problem_is_listed_at_once(tmp_path):
    path = write(tmp_path, """
        domains:
          - {name: a.example, scenario: nope}
          - {name: b.example, scenario: exchange-online, onprem_ips: [1.2.3]}
        """)
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert [p.split(":")[0] for p in info.value.problems] == ["domains[0] (a.example)", "domains[1] (b.example)"]
    assert "2 problem(s)" in str(info.value)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(ConfigError) as info:
        config.load(tmp_path / "absent.yml")
    assert "does not exist" in str(info.value) and "absent.yml" in str(info.value)
    binary = tmp_path / "binary.yml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError) as info:
        config.load(binary)
    assert "cannot be read" in str(info.value)


def test_empty_file_is_no_domains(tmp_path):
    assert config.load(write(tmp_path, "")).domains == ()


# ---- hostile and sloppy input (issue 15) -----------------------------------------------------

@pytest.mark.parametrize("name, words", [
    (r"'\097bc.example'", ["backslash"]),  # dnspython would check abc.example while showing \097bc
    (r"'\u003cscript\u003ealert(1)\u003c\x2fscript\u003e.example'", ["backslash"]),
    ('"zero\\u200bwidth.example"', ["U+200B", "ZERO WIDTH SPACE"]),  # IDNA mapping would drop it
    ('"evil\\u202egpj.example"', ["U+202E"]),                          # a bidi override
    ('"c1\\u009b31m.example"', ["U+009B"]),                            # a C1 control (CSI)
    ('"esc\\e[31m.example"', ["U+001B"]),
])
def test_names_with_escapes_or_invisible_characters_are_rejected(tmp_path, name, words):
    path = domain_file(tmp_path, f"{{name: {name}, scenario: exchange-online}}")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert len(info.value.problems) == 1, info.value.problems
    assert "field 'name'" in info.value.problems[0]
    for word in words:
        assert word in info.value.problems[0]
    # the message that reaches a terminal carries no control, bidi or escape character
    assert all(ch.isprintable() or ch == "\n" for ch in str(info.value)), repr(str(info.value))


@pytest.mark.parametrize("entry, field, words", [
    ("{name: x.example, scenario: exchange-online, tenant: 42}", "tenant", ["42"]),
    ("{name: x.example, scenario: exchange-online, exo_host: 5}", "exo_host", ["5 is not a host name"]),
    ("{name: x.example, scenario: exchange-online, notes: {}}", "notes", ["must be text"]),
    ("{name: x.example, scenario: exchange-online, senders: [3232235777]}", "senders'[0", ["not an IP"]),
    ("{name: x.example, scenario: exchange-online, arc_sealer: 'a\\\\b.example'}", "arc_sealer", ["backslash"]),
])
def test_fields_of_the_wrong_type_are_rejected(tmp_path, entry, field, words):
    path = domain_file(tmp_path, entry)
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert len(info.value.problems) == 1, info.value.problems
    assert f"'{field}" in info.value.problems[0]
    for word in words:
        assert word in info.value.problems[0], info.value.problems[0]


@pytest.mark.parametrize("setting", [
    "timeout: .inf", "timeout: .nan", "lifetime: .inf", "confirm_delay: .inf", "confirm_delay: .nan",
    "confirm_delay: 1e12", "confirm_delay: 100000", "timeout: 3600", "max_in_flight: 1.5", "max_in_flight: 0",
])
def test_resolver_settings_are_finite_and_bounded(tmp_path, setting):
    path = write(tmp_path, f"resolver: {{{setting}}}\ndomains: []\n")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    key = setting.split(":")[0]
    assert len(info.value.problems) == 1, info.value.problems
    assert f"resolver: field '{key}'" in info.value.problems[0]
    assert info.value.problems[0].field == key and info.value.problems[0].line == 1


@pytest.mark.parametrize("text, words", [
    ("domains: " + "[" * 5000 + "]" * 5000 + "\n", ["nested more than"]),
    ("resolver: {timeout: " + "9" * 5000 + "}\ndomains: []\n", ["5000 digits"]),
    ("domains:\n  - {name: a.example, scenario: exchange-online, scenario: hybrid-third-party}\n",
     ["key 'scenario' given twice", "line 2"]),
    ("domains: []\ndomains: []\n", ["key 'domains' given twice (first on line 1)", "line 2"]),
])
def test_deep_nesting_huge_numbers_and_duplicate_keys_are_one_clear_error(tmp_path, text, words):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert len(info.value.problems) == 1
    for word in words:
        assert word in str(info.value), str(info.value)


def test_problems_carry_entry_field_and_line(tmp_path):
    path = write(tmp_path, """
        domains:
          - name: a.example
            scenario: exchange-online
          - name: b.example
            scenario: exchange-online
            onprem_ips: [1.2.3]
        """)
    with pytest.raises(ConfigError) as info:
        config.load(path)
    (problem,) = info.value.problems
    assert (problem.entry, problem.field, problem.line) == ("domains[1] (b.example)", "onprem_ips", 7)
    assert "  - line 7: domains[1] (b.example): field 'onprem_ips'[0]" in str(info.value)
    assert info.value.file == str(path)


def test_the_catalogue_entry_is_resolved_when_the_spec_is_built(tmp_path):
    cfg = config.load(write(tmp_path, GOOD))
    contoso = cfg.domains[0]
    assert contoso.service is not None and contoso.service.key == "hornetsecurity"
    assert contoso.filter_mx == contoso.service.mx_patterns


def test_an_escaped_name_never_finds_the_domain_it_decodes_to(tmp_path):
    cfg = config.load(write(tmp_path, "domains:\n  - {name: abc.example, scenario: exchange-online}\n"))
    assert cfg.get("abc.example") is cfg.domains[0]
    assert cfg.get("\\097bc.example") is None and cfg.get("ab\u200bc.example") is None


def test_an_alias_bomb_is_one_clear_error_not_a_hang(tmp_path):
    """A 500-byte "billion laughs" once ran forever at full CPU (the message printed the value)."""
    import time

    from tests.test_yamlfile import alias_bomb
    path = write(tmp_path, alias_bomb() + "domains: []\n")
    started = time.monotonic()
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert time.monotonic() - started < 2
    assert "line 1: not valid YAML (aliases expand to more than 100,000 nodes" in str(info.value)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("text", [
    "resolver: {timeout: [" + ", ".join(["lol"] * 20_000) + "]}\ndomains: []\n",
    "resolver: {timeout: " + "x" * 100_000 + "}\ndomains: []\n",
    "domains:\n  - {name: a.example, scenario: " + "y" * 100_000 + "}\n",
    "domains:\n  - {name: " + "a" * 100_000 + ".example, scenario: exchange-online}\n",
    "canary: {name: a.example, type: [" + ", ".join(["A"] * 20_000) + "]}\ndomains: []\n",
])
def test_a_huge_value_is_echoed_only_in_part(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert len(str(info.value)) < 600, len(str(info.value))
    assert "..." in str(info.value)
