"""``python -m macros check|spf|baseline`` (CONTRACT.md "Command line") against BIND and FakeDNS.

Every command runs as users run it: a subprocess in a copy of the project, with only the
``MAILFLOW_*`` variables the test gives.
"""

from __future__ import annotations

import json
import os
import re
import time

import pytest
import yaml

from macros import baseline as baseline_mod
from macros import model
from macros.tenant import TENANT_CHECK_IDS
from tests.support.sites import build, cli, make_project
from tests.support.fakedns import txt
from tests.support.world import CONTOSO, NESTED, WORLD, serve_zones

BYPASS = {"name": "bypass.example", "scenario": "third-party-filter", "filter": "hornetsecurity",
          "tenant": "bypass"}
CHECK_IDS = model.CHECK_IDS
FAST = {"resolver": {"timeout": 0.3, "lifetime": 0.6, "confirm_delay": 0.2}}


@pytest.fixture(scope="module")
def project(bind_server, tmp_path_factory):
    """contoso.example passes every check; bypass.example's MX bypasses the filter."""
    return make_project(tmp_path_factory.mktemp("cli"), [CONTOSO, BYPASS])


def run_json(result) -> dict:
    assert "Traceback" not in result.stderr, result.stderr
    reports = json.loads(result.stdout)
    assert isinstance(reports, list)
    return {r["domain"]: r for r in reports}


def statuses(report: dict) -> dict:
    return {c["id"]: c["status"] for c in report["checks"]}


def assert_one_clear_error(result, *patterns):
    """Exit 2, nothing on stdout, no traceback, one ``error:`` message matching every pattern."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.stdout == ""
    assert result.stderr.count("error:") == 1, result.stderr
    for pattern in patterns:
        assert re.search(pattern, result.stderr), (pattern, result.stderr)


# ---- check --------------------------------------------------------------------------------------

def test_check_without_names_checks_every_domain_of_the_file_in_a_readable_table(project, bind_server):
    result = cli(project, "check", MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode == 1, result.stdout + result.stderr  # bypass.example fails mx-route
    assert result.stderr.startswith("note: no accepted baseline: baseline.yml does not exist")  # none written
    assert len(result.stderr.splitlines()) == 1
    out = result.stdout
    assert f"resolver: {bind_server.address}" in out
    assert re.search(r"^contoso\.example  \[third-party-filter\]  PASS$", out, re.M)
    assert re.search(r"^bypass\.example  \[third-party-filter\]  FAIL$", out, re.M)
    bypass = out[out.index("bypass.example  ["):]
    rows = re.findall(r"^  (PASS|INFO|WARN|FAIL|UNKNOWN) +(\S+)  (.+)$", bypass, re.M)
    assert rows[0][:2] == ("FAIL", "mx-route")  # worst first
    assert "bypass-example.mail.protection.outlook.com" in rows[0][2]
    assert sorted(r[1] for r in rows[:len(CHECK_IDS)]) == sorted(CHECK_IDS)
    for check_id in CHECK_IDS:
        assert len(re.findall(rf"^  \S+ +{check_id}  ", out, re.M)) == 2
    assert "2 domain(s): 1 failed check(s), 0 drifted record set(s), 0 unknown" in out


def test_check_a_named_domain_from_the_file(project, bind_server):
    result = cli(project, "check", "CONTOSO.example.", MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "contoso.example  [third-party-filter]  PASS" in result.stdout
    assert "bypass.example" not in result.stdout
    assert "1 domain(s): 0 failed check(s)" in result.stdout

    # Flags are for domains not in the file: the file's settings win, and the user is told.
    result = cli(project, "check", "bypass.example", "--scenario", "exchange-online", "--json",
                 MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode == 1
    reports = run_json(result)
    assert list(reports) == ["bypass.example"]
    assert reports["bypass.example"]["scenario"] == "third-party-filter"
    assert statuses(reports["bypass.example"])["mx-route"] == "fail"
    assert "bypass.example: checked as domains.yml says" in result.stderr


def test_check_json_is_the_drift_json_domain_entries(project, bind_server):
    result = cli(project, "check", "--json", MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode == 1
    from_cli = json.loads(result.stdout)
    site = build(project, MAILFLOW_NAMESERVERS=bind_server.address)
    assert site.returncode == 0, site.output
    from_site = site.drift()["domains"]
    assert [d["domain"] for d in from_cli] == ["contoso.example", "bypass.example"]

    def comparable(entries):  # the time of the check is the only thing that may differ
        return [{k: v for k, v in d.items() if k != "checked_at"} for d in entries]

    assert comparable(from_cli) == comparable(from_site)
    for d in from_cli:
        assert set(d) >= {"domain", "scenario", "checks", "records", "checked_at"}
        assert [c["id"] for c in d["checks"]] == list(CHECK_IDS)  # the tenant ids are the last seven
        assert CHECK_IDS[-len(TENANT_CHECK_IDS):] == TENANT_CHECK_IDS
        for c in d["checks"]:
            assert set(c) == {"id", "status", "reason", "expected", "observed", "fix", "cause"}
        for r in d["records"]:
            assert set(r) >= {"name", "type", "status", "baseline", "observed"}


@pytest.mark.parametrize("args, code, expected", [
    (["nested.example", "--scenario", "third-party-filter", "--filter", "hornetsecurity", "--tenant", "nested"],
     0, {"dkim": "pass", "mx-route": "pass", "spf-m365": "pass"}),
    (["nested.example", "--scenario", "third-party-filter", "--filter", "hornetsecurity", "--tenant", "wrong"],
     1, {"dkim": "fail", "mx-route": "pass"}),
    (["nested.example", "--scenario", "exchange-online"], 1, {"mx-route": "fail"}),
    (["hybrid.example", "--scenario", "hybrid-third-party", "--filter", "hornetsecurity", "--tenant", "hybrid",
      "--onprem-ip", "198.51.100.25", "--filter-ip", "94.100.132.8"], 0, {"spf-senders": "pass", "autodiscover": "pass"}),
    (["hybrid.example", "--scenario", "hybrid-third-party", "--filter", "hornetsecurity", "--tenant", "hybrid",
      "--onprem-ip", "198.51.100.25", "--onprem-ip", "203.0.113.9"], 1, {"spf-senders": "fail"}),
    (["hybrid.example", "--scenario", "hybrid-third-party", "--filter", "hornetsecurity", "--tenant", "hybrid",
      "--filter-ip", "203.0.113.10"], 1, {"spf-senders": "fail"}),
])
def test_check_a_domain_not_in_the_file_with_flags(project, bind_server, args, code, expected):
    result = cli(project, "check", *args, "--json", MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode == code, result.stdout + result.stderr
    reports = run_json(result)
    assert list(reports) == [args[0]]
    report = reports[args[0]]
    assert report["scenario"] == args[args.index("--scenario") + 1]
    got = statuses(report)
    assert {k: got[k] for k in expected} == expected
    if "203.0.113.9" in args:
        assert "203.0.113.9" in next(c for c in report["checks"] if c["id"] == "spf-senders")["reason"]


def test_check_a_domain_without_any_domains_file(tmp_path, bind_server):
    project = make_project(tmp_path)
    assert not (project / "domains.yml").exists()
    result = cli(project, "check", "exo.example", MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "exo.example  [exchange-online]  PASS" in result.stdout


def test_check_exits_1_on_drift_and_lists_it(tmp_path, bind_zones):
    project = make_project(tmp_path, [CONTOSO])
    assert cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_zones.address).returncode == 0
    clean = cli(project, "check", MAILFLOW_NAMESERVERS=bind_zones.address)
    assert clean.returncode == 0 and "DRIFTED" not in clean.stdout
    text = bind_zones.zone_text("contoso.example")
    bind_zones.write_zone("contoso.example", text.replace("MS=ms80509778", "MS=ms11112222"))
    result = cli(project, "check", MAILFLOW_NAMESERVERS=bind_zones.address)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "contoso.example  [third-party-filter]  PASS" in result.stdout  # checks pass: drift alone fails
    assert re.search(r"^  DRIFTED +TXT contoso\.example\.  added MS=ms11112222; removed MS=ms80509778$",
                     result.stdout, re.M), result.stdout
    assert "0 failed check(s), 1 drifted record set(s)" in result.stdout


@pytest.mark.parametrize("args, patterns", [
    (["check", "bad_name!.example", "--scenario", "exchange-online"],
     [r"command line", r"domains\[0\] \(bad_name!\.example\): field 'name'", "not a valid mail domain"]),
    (["check", "a" * 64 + ".example", "--scenario", "exchange-online"],
     [r"field 'name'", "label longer than 63 octets"]),
    (["check", "new..example"], [r"field 'name'", "empty label"]),
    (["check", "192.0.2.1"], [r"field 'name'", "not a valid mail domain"]),
    (["check", "new.example", "--scenario", "hybrid-third-party", "--filter", "hornetsecurity",
      "--onprem-ip", "1.2.3.999"], [r"domains\[0\] \(new\.example\): field 'onprem_ips'\[0\]: '1\.2\.3\.999' is not an IP address"]),
    (["check", "new.example", "--scenario", "third-party-filter", "--filter", "hornetsecurity",
      "--filter-ip", "10.0.0.300"], [r"field 'filter_ips'\[0\]: '10\.0\.0\.300' is not an IP address"]),
    (["check", "new.example", "--scenario", "cloudy"],
     [r"field 'scenario': 'cloudy' is not one of exchange-online, third-party-filter, hybrid-third-party"]),
    (["check", "new.example", "--scenario", "third-party-filter", "--filter", "nope"],
     [r"field 'filter': 'nope' is not in the catalogue \(.*hornetsecurity"]),
    # a bad flag value is bad input even when the named domain is in the file
    (["check", "contoso.example", "--scenario", "hybird-third-party"], [r"field 'scenario': 'hybird-third-party'"]),
    (["check", "--frobnicate"], [r"unrecognized arguments: --frobnicate"]),
    (["spf", "--ip", "1.2.3.999", "--sender", "user@contoso.example"], [r"--ip '1\.2\.3\.999' is not an IP address"]),
    (["spf", "--ip", "203.0.113.5", "--sender", "user@con\x1btoso.example"], [r"--sender 'user@con\\x1btoso\.example'"]),
    (["spf", "--ip", "203.0.113.5"], [r"--sender"]),
])
def test_bad_input_exits_2_with_one_clear_message(project, bind_server, args, patterns):
    result = cli(project, *args, MAILFLOW_NAMESERVERS=bind_server.address)
    assert_one_clear_error(result, *patterns)


BAD_FILES = {
    "yaml": (b"domains: [unclosed\n", [r"line \d+, column \d+: not valid YAML"]),
    "bytes": (b"domains:\n  - name: caf\xe9.example\n", [r"cannot be read"]),
    "scenario": (b"domains:\n  - name: contoso.example\n    scenario: cloudy\n",
                 [r"domains\[0\] \(contoso\.example\): field 'scenario': 'cloudy'"]),
    "field": (b"domains:\n  - name: contoso.example\n    scenario: exchange-online\n    colour: blue\n",
              [r"domains\[0\] \(contoso\.example\): unknown field 'colour'"]),
    "duplicate": (b"domains:\n  - name: contoso.example\n    scenario: exchange-online\n"
                  b"  - name: CONTOSO.example\n    scenario: exchange-online\n",
                  [r"domains\[1\] \(CONTOSO\.example\): field 'name': duplicate"]),
    "folder": (None, [r"cannot be read"]),  # a folder where the file should be
}


@pytest.mark.parametrize("command, bad", [
    *((["check"], bad) for bad in BAD_FILES),
    (["check", "contoso.example"], "yaml"),  # a named domain does not skip a broken file
    (["check", "new.example", "--scenario", "exchange-online"], "folder"),
    (["baseline"], "scenario"),
    (["baseline"], "bytes"),
    (["spf", "--ip", "192.0.2.1", "--sender", "a@contoso.example"], "scenario"),  # once fell back to defaults
    (["spf", "--ip", "192.0.2.1", "--sender", "a@contoso.example"], "folder"),
])
def test_a_bad_domains_file_exits_2_naming_file_entry_and_field(tmp_path, bind_server, command, bad):
    content, patterns = BAD_FILES[bad]
    project = make_project(tmp_path)
    target = project / "domains.yml"
    if content is None:
        target.mkdir()
    else:
        target.write_bytes(content)
    result = cli(project, *command, MAILFLOW_NAMESERVERS=bind_server.address)
    assert_one_clear_error(result, r"error: domains\.yml: 1 problem\(s\)", *patterns)
    assert not (project / "baseline.yml").exists()


def test_check_exits_2_when_the_resolver_is_unhealthy(fake_dns, tmp_path):
    fake_dns.fault("*", "nxdomain")
    project = make_project(tmp_path, [CONTOSO, BYPASS])
    result = cli(project, "check", MAILFLOW_NAMESERVERS=fake_dns.address)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "CHECKS COULD NOT RUN: resolver unhealthy (canary spf.protection.outlook.com TXT: " \
           "the name does not exist (NXDOMAIN))" in result.stdout
    assert not re.search(r"^  (PASS|WARN|FAIL) ", result.stdout, re.M)
    assert "0 failed check(s), 0 drifted record set(s)" in result.stdout

    result = cli(project, "check", "--json", MAILFLOW_NAMESERVERS=fake_dns.address)
    assert result.returncode == 2
    reports = run_json(result)  # stdout stays pure JSON; the reason goes to stderr
    assert {c["status"] for r in reports.values() for c in r["checks"]
            if c["id"] not in TENANT_CHECK_IDS} == {"unknown"}  # tenant checks: info, no export
    assert {r["status"] for d in reports.values() for r in d["records"]} == {"unknown"}
    assert "checks could not run" in result.stderr and "NXDOMAIN" in result.stderr


# ---- spf ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("ip, sender, result_word", [
    ("94.100.132.8", "user@contoso.example", "pass"),          # Hornetsecurity, through an include
    ("2a01:111:f400::25", "contoso.example", "pass"),          # Microsoft 365 IPv6, through an include
    ("198.51.100.25", "user@hybrid.example", "pass"),          # the zone's own ip4
    ("203.0.113.5", "user@contoso.example", "fail"),           # -all
    ("203.0.113.5", "user@softfail.example", "softfail"),      # ~all
])
def test_spf_prints_the_result_keyword_first_then_the_explanation(project, bind_server, ip, sender, result_word):
    result = cli(project, "spf", "--ip", ip, "--sender", sender, MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    word, _, explanation = line.partition(" ")
    assert word == result_word, line
    assert explanation.strip(), line


def test_spf_json_and_helo(project, bind_server):
    result = cli(project, "spf", "--ip", "94.100.132.8", "--sender", "user@contoso.example",
                 "--helo", "mail.contoso.example", "--json", MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["result"] == "pass" and data["ip"] == "94.100.132.8"
    assert data["sender"] == "user@contoso.example" and data["helo"] == "mail.contoso.example"
    assert data["explanation"]
    fail = json.loads(cli(project, "spf", "--ip", "203.0.113.5", "--sender", "user@contoso.example", "--json",
                          MAILFLOW_NAMESERVERS=bind_server.address).stdout)
    assert fail["result"] == "fail"


# ---- baseline -----------------------------------------------------------------------------------

def _without_stamp(text: str) -> str:
    return re.sub(r"(?m)^written_at: .*$", "written_at: X", text)


def test_baseline_is_written_atomically_sorted_and_stable(tmp_path, bind_zones):
    project = make_project(tmp_path, [NESTED, CONTOSO, BYPASS])  # not in order on purpose
    path = project / "baseline.yml"
    first = cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_zones.address)
    assert first.returncode == 0, first.stderr
    assert "3 domain(s), 30 record set(s)" in first.stdout
    text1 = path.read_text(encoding="utf-8")
    inode1 = os.stat(path).st_ino

    data = yaml.safe_load(text1)
    assert list(data["domains"]) == sorted(data["domains"]) == ["bypass.example", "contoso.example", "nested.example"]
    for entry in data["domains"].values():
        keys = [(r["name"], r["type"]) for r in entry["records"]]
        assert keys == sorted(keys) and len(keys) == 10
        for r in entry["records"]:
            assert r["values"] == sorted(r["values"])
    contoso = {(r["name"], r["type"]): r["values"] for r in data["domains"]["contoso.example"]["records"]}
    assert contoso[("contoso.example.", "MX")] == ["10 mx01.hornetsecurity.com.", "20 mx02.hornetsecurity.com.",
                                                  "30 mx03.hornetsecurity.com.", "40 mx04.hornetsecurity.com."]
    lookups = [(lk["name"], lk["type"]) for lk in data["lookups"]]
    assert lookups == sorted(lookups)
    assert text1.index("- 10 mx01.hornetsecurity.com.") < text1.index("- 20 mx02.hornetsecurity.com.")

    second = cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_zones.address)
    assert second.returncode == 0, second.stderr
    text2 = path.read_text(encoding="utf-8")
    assert _without_stamp(text2) == _without_stamp(text1)  # byte for byte, but for written_at
    assert os.stat(path).st_ino != inode1  # replaced by a rename, not rewritten in place
    assert sorted(p.name for p in project.iterdir() if "baseline" in p.name) == ["baseline.yml"]

    text = bind_zones.zone_text("nested.example")
    bind_zones.write_zone("nested.example", text.replace("p=reject", "p=quarantine"))
    third = cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_zones.address)
    assert third.returncode == 0 and "1 changed since the last baseline" in third.stdout
    changed = [line for line in _without_stamp(path.read_text(encoding="utf-8")).splitlines()
               if line not in _without_stamp(text2).splitlines()]
    assert changed and all("p=quarantine" in line for line in changed)


def _assert_refused(result, path, before: bytes | None, *patterns):
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"error: baseline not written ({path.name} untouched):" in result.stderr
    for pattern in patterns:
        assert re.search(pattern, result.stderr), (pattern, result.stderr)
    if before is None:
        assert not path.exists()
    else:
        assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".baseline")] == []


def test_baseline_refuses_when_the_resolver_is_unhealthy(fake_dns, tmp_path, bind_server):
    # Enough domains that a line per unasked record set would push the reason past the 50 shown.
    many = [{"name": f"d{i}.example", "scenario": "exchange-online"} for i in range(12)]
    project = make_project(tmp_path, [CONTOSO, *many])
    path = project / "baseline.yml"
    assert cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_server.address).returncode == 0
    before = path.read_bytes()
    fake_dns.fault("*", "nxdomain")
    result = cli(project, "baseline", MAILFLOW_NAMESERVERS=fake_dns.address)
    _assert_refused(result, path, before, r"(?m)^  - the resolver is unhealthy \(canary spf\.protection\.outlook\.com "
                                          r"TXT: the name does not exist \(NXDOMAIN\)\)$")
    assert len(result.stderr.splitlines()) == 2  # the reason, not a line per record set never asked


def test_a_record_set_that_times_out_keeps_its_accepted_values_and_is_listed(fake_dns, tmp_path):
    """CONTRACT.md: an unknown record set keeps its accepted values; the command lists it; one
    customer's broken DNS does not block everyone else's baseline."""
    serve_zones(fake_dns, *WORLD, "contoso.example", "nested.example")
    project = make_project(tmp_path, [CONTOSO, NESTED], extra=FAST)
    path = project / "baseline.yml"
    assert cli(project, "baseline", MAILFLOW_NAMESERVERS=fake_dns.address).returncode == 0
    accepted_dmarc = baseline_mod.load(str(path)).records("contoso.example")[("_dmarc.contoso.example.", "TXT")]
    fake_dns.fault("_dmarc.contoso.example", "timeout")
    fake_dns.set("nested.example", "TXT", ['"v=spf1 include:spf.protection.outlook.com -all"'])
    result = cli(project, "baseline", MAILFLOW_NAMESERVERS=fake_dns.address)
    assert result.returncode == 0, result.stderr
    assert re.search(r"contoso\.example: TXT _dmarc\.contoso\.example\.: no definite answer \(timeout\); "
                     r"its accepted values are kept", result.stderr), result.stderr
    assert "nested.example" not in result.stderr  # only what had no answer is named
    after = baseline_mod.load(str(path))
    assert after.records("contoso.example")[("_dmarc.contoso.example.", "TXT")] == accepted_dmarc
    assert after.records("nested.example")[("nested.example.", "TXT")].values == (
        "v=spf1 include:spf.protection.outlook.com -all",)  # the other domain's change is accepted


def test_a_baseline_during_an_outage_keeps_the_accepted_lookups_it_could_not_reach(fake_dns, tmp_path):
    """nested.example's SPF times out, so its include (_spf.nested.example) and what that includes
    are never asked: the new baseline keeps their accepted lookups, and an offline check stays PASS."""
    serve_zones(fake_dns, *WORLD, "contoso.example", "nested.example")
    project = make_project(tmp_path, [CONTOSO, NESTED], extra=FAST)
    path = project / "baseline.yml"
    assert cli(project, "baseline", MAILFLOW_NAMESERVERS=fake_dns.address).returncode == 0
    accepted = baseline_mod.load(str(path)).lookups
    reached = {("_spf.nested.example.", "TXT"), ("spf.hornetsecurity.com.", "TXT")}
    assert reached <= set(accepted)
    offline = run_json(cli(project, "check", "--json", MAILFLOW_OFFLINE="1"))
    before = statuses(offline["nested.example"])
    assert before["spf-m365"] == before["spf-lookups"] == "pass"

    fake_dns.fault("nested.example", "timeout", rdtype="TXT")
    result = cli(project, "baseline", MAILFLOW_NAMESERVERS=fake_dns.address)
    assert result.returncode == 0, result.stderr
    assert "TXT nested.example.: no definite answer (timeout); its accepted values are kept" in result.stderr
    after = baseline_mod.load(str(path)).lookups
    assert {key: after.get(key) for key in reached} == {key: accepted[key] for key in reached}
    offline = run_json(cli(project, "check", "--json", MAILFLOW_OFFLINE="1"))
    assert statuses(offline["nested.example"]) == before


def test_a_domain_that_never_answered_stays_out_of_the_baseline(tmp_path, bind_server):
    project = make_project(tmp_path, [CONTOSO, {"name": "servfail.example", "scenario": "exchange-online"}])
    path = project / "baseline.yml"
    result = cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode == 0, result.stderr
    assert re.search(r"servfail\.example: MX servfail\.example\.: no definite answer \(servfail\); not accepted",
                     result.stderr), result.stderr
    written = baseline_mod.load(str(path))
    assert written.records("servfail.example") is None and written.records("contoso.example")
    assert not any("servfail.example" in name for name, _ in written.lookups)


def test_baseline_refuses_an_empty_domains_file(tmp_path, bind_server):
    project = make_project(tmp_path, [CONTOSO])
    path = project / "baseline.yml"
    assert cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_server.address).returncode == 0
    before = path.read_bytes()
    (project / "domains.yml").write_text("domains: []\n", encoding="utf-8")
    result = cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_server.address)
    _assert_refused(result, path, before, r"lists no domain: writing would erase the accepted baseline")


def test_baseline_refuses_a_mass_change_without_force(tmp_path, bind_zones):
    project = make_project(tmp_path, [CONTOSO, NESTED])
    path = project / "baseline.yml"
    assert cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_zones.address).returncode == 0
    before = path.read_bytes()
    (project / "domains.yml").write_text(
        yaml.safe_dump({"resolver": {"timeout": 1, "lifetime": 2, "confirm_delay": 0.2}, "domains": [CONTOSO]}),
        encoding="utf-8")  # dropping nested.example removes half of the accepted record sets
    per_domain = len(baseline_mod.load(str(path)).records("nested.example"))
    result = cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_zones.address)
    _assert_refused(result, path, before, rf"{per_domain} of the {2 * per_domain} accepted record sets "
                    r"would be removed \(more than 30%\)", r"baseline --force")
    forced = cli(project, "baseline", "--force", MAILFLOW_NAMESERVERS=bind_zones.address)
    assert forced.returncode == 0, forced.stderr
    assert baseline_mod.load(str(path)).records("nested.example") is None


def test_a_symlinked_baseline_stays_a_link(tmp_path, bind_server):
    project = make_project(tmp_path, [CONTOSO])
    store = tmp_path / "store"
    store.mkdir()
    (store / "accepted.yml").write_text("domains: {}\n", encoding="utf-8")
    (project / "baseline.yml").symlink_to(store / "accepted.yml")
    result = cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode == 0, result.stderr
    assert (project / "baseline.yml").is_symlink()
    assert "contoso.example:" in (store / "accepted.yml").read_text(encoding="utf-8")


# ---- edge cases a user hits at 3 a.m. ------------------------------------------------------------

def test_check_exits_2_when_a_domain_gets_no_answer_although_the_resolver_is_healthy(tmp_path, bind_server):
    project = make_project(tmp_path, [CONTOSO, {"name": "servfail.example", "scenario": "exchange-online"}])
    result = cli(project, "check", MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "servfail.example: checks could not run" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_says_which_scenario_it_assumed(project, bind_server):
    result = cli(project, "check", "exo.example", MAILFLOW_NAMESERVERS=bind_server.address)
    assert "exo.example is not in" in result.stderr and "checked as exchange-online" in result.stderr


def test_spf_refuses_a_lying_resolver(project, fake_dns):
    fake_dns.fault("*", "nxdomain")
    result = cli(project, "spf", "--ip", "192.0.2.1", "--sender", "a@contoso.example",
                 MAILFLOW_NAMESERVERS=fake_dns.address)
    assert result.returncode == 2 and "checks could not run" in result.stderr, result.stderr
    assert result.stdout == ""


def test_baseline_replaces_a_corrupt_baseline(tmp_path, bind_server):
    project = make_project(tmp_path, [CONTOSO])
    (project / "baseline.yml").write_text("domains: [unclosed\n")
    result = cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode == 0, result.stderr
    assert "cannot be read as YAML" in result.stderr  # said, then fixed
    assert "contoso.example:" in (project / "baseline.yml").read_text()


def test_baseline_that_cannot_be_written_is_one_message(tmp_path, bind_server):
    project = make_project(tmp_path, [CONTOSO])
    (project / "blocker").write_text("a file, not a folder\n")
    result = cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_server.address,
                 MAILFLOW_BASELINE=str(project / "blocker" / "baseline.yml"))
    assert_one_clear_error(result, "baseline not written", "blocker/baseline.yml")


def test_baseline_keeps_the_file_readable(tmp_path, bind_server):
    project = make_project(tmp_path, [CONTOSO])
    target = project / "baseline.yml"
    target.write_text("{}\n")
    os.chmod(target, 0o644)
    assert cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_server.address).returncode == 0
    assert target.stat().st_mode & 0o777 == 0o644


def test_check_piped_into_head_ends_quietly(project, bind_server):
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    env["MAILFLOW_NAMESERVERS"] = bind_server.address
    proc = subprocess.run(f"{sys.executable} -m macros check | head -1", shell=True, cwd=project,
                          env=env, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("sender", ["user@bad..example", "user@nodots", "user@" + "x" * 64 + ".example"])
def test_spf_with_a_malformed_domain_is_none_not_an_error(project, bind_server, sender):
    """RFC 7208 section 4.3: check_host() returns none for a malformed domain."""
    result = cli(project, "spf", "--ip", "203.0.113.5", "--sender", sender,
                 MAILFLOW_NAMESERVERS=bind_server.address)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.split(" ", 1)[0] == "none" and "RFC 7208 section 4.3" in result.stdout


def test_spf_without_sender_checks_the_helo_identity(project, bind_server):
    """A null reverse-path (a bounce): check_host runs for postmaster@<HELO> (RFC 7208 2.4)."""
    passing = cli(project, "spf", "--ip", "94.100.132.8", "--helo", "contoso.example",
                  MAILFLOW_NAMESERVERS=bind_server.address)
    failing = cli(project, "spf", "--ip", "192.0.2.1", "--helo", "contoso.example",
                  MAILFLOW_NAMESERVERS=bind_server.address)
    assert passing.stdout.split(" ", 1)[0] == "pass", passing.stdout + passing.stderr
    assert failing.stdout.split(" ", 1)[0] == "fail", failing.stdout + failing.stderr


# ---- issue 15: terminal safety, hostile names, files that would hang or crash -------------------

RAW_CONTROLS = ("\x1b", "\x9b", "\u202e", "\u200b", "\x07")


def test_check_output_never_carries_raw_terminal_controls(tmp_path, fake_dns):
    serve_zones(fake_dns, *WORLD, "contoso.example")
    hostile = "v=spf1 -all \x1b]0;owned\x07 \x9b31m \u202eevil \u200b"
    fake_dns.set("contoso.example", "TXT", [txt("v=spf1 include:spf.protection.outlook.com "
                                                "include:spf.hornetsecurity.com -all"), txt(hostile)])
    project = make_project(tmp_path, [CONTOSO], extra=FAST)
    as_json = cli(project, "check", "--json", MAILFLOW_NAMESERVERS=fake_dns.address)
    table = cli(project, "check", MAILFLOW_NAMESERVERS=fake_dns.address)
    for result in (as_json, table):
        for raw in RAW_CONTROLS:
            assert raw not in result.stdout and raw not in result.stderr, (raw, result.stdout[-400:])
    reports = run_json(as_json)  # \u escapes: the JSON still reads back as the same text
    txt_record = next(r for r in reports["contoso.example"]["records"] if r["type"] == "TXT")
    assert hostile in txt_record["observed"]
    assert "\\u009b31m" in as_json.stdout and "\\u202eevil" in as_json.stdout


@pytest.mark.parametrize("name", ["\\097bc.example", "\\u003cscript\\u003e.example", "zero\u200bwidth.example",
                                  "\x1b[31mred.example"])
def test_check_refuses_names_with_escapes_or_invisible_characters(project, bind_server, name):
    result = cli(project, "check", name, MAILFLOW_NAMESERVERS=bind_server.address)
    assert_one_clear_error(result, r"command line: 1 problem\(s\)", r"field 'name'")
    assert not any(raw in result.stderr for raw in RAW_CONTROLS)


def test_a_domains_file_nested_5000_deep_or_with_a_5000_digit_number_is_one_message(tmp_path, bind_server):
    project = make_project(tmp_path, [CONTOSO])
    for text, pattern in (("domains: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 64 levels deep"),
                          ("resolver: {confirm_delay: " + "9" * 5000 + "}\ndomains: []\n", "5000 digits")):
        (project / "domains.yml").write_text(text, encoding="utf-8")
        for command in ("check", "baseline"):
            assert_one_clear_error(cli(project, command, MAILFLOW_NAMESERVERS=bind_server.address),
                                   "domains.yml", pattern)


def test_baseline_repairs_a_baseline_nested_5000_deep(tmp_path, bind_server):
    project = make_project(tmp_path, [CONTOSO])
    (project / "baseline.yml").write_text("domains: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    check = cli(project, "check", MAILFLOW_NAMESERVERS=bind_server.address)
    assert_one_clear_error(check, "baseline.yml", "nested more than 64 levels deep")
    repaired = cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_server.address)
    assert repaired.returncode == 0 and "Traceback" not in repaired.stderr, repaired.stderr
    assert "nested more than 64 levels deep" in repaired.stderr  # said, then replaced
    assert "contoso.example:" in (project / "baseline.yml").read_text(encoding="utf-8")


def test_resolver_settings_that_would_hang_are_one_message(tmp_path, bind_server):
    project = make_project(tmp_path, [CONTOSO])
    (project / "domains.yml").write_text("resolver: {timeout: .inf, confirm_delay: 1e12}\ndomains: []\n")
    started = time.monotonic()
    result = cli(project, "check", MAILFLOW_NAMESERVERS=bind_server.address)
    assert time.monotonic() - started < 30
    assert_one_clear_error(result, r"2 problem\(s\)", "field 'timeout'", "field 'confirm_delay'")


HOSTILE_STAMP = "\x1b[31mRED\u009b2J\u202eevil"


def test_the_baseline_date_reaches_the_terminal_escaped(capsys):
    """print_table escapes written_at like every other printed value (it printed it raw)."""
    from macros import cli as cli_mod, config as config_mod, engine

    hostile = baseline_mod.Baseline(path="memory", written_at=HOSTILE_STAMP, exists=True)
    run = engine.run(config_mod.from_data({"domains": [CONTOSO]}), None, hostile, offline=True)
    cli_mod.print_table(run)
    out = capsys.readouterr().out
    assert "records as of \\027[31mRED\\155" in out
    assert not any(c in out for c in RAW_CONTROLS), repr(out)


def test_a_hand_edited_baseline_date_with_terminal_controls_is_refused(tmp_path):
    project = make_project(tmp_path, [CONTOSO])
    (project / "baseline.yml").write_text(
        'written_at: "\\e[31mRED\\u009b2J\\u202eevil"\ndomains: {}\n', encoding="utf-8")
    result = cli(project, "check", MAILFLOW_OFFLINE="1")
    assert_one_clear_error(result, r"baseline\.yml: written_at: must be a quoted time like '2026-11-29T02:00:00Z', "
                                   r"not '\\x1b\[31mRED\\x9b2J\\u202eevil' \(line 1\)")
    assert not any(c in result.stdout + result.stderr for c in RAW_CONTROLS)


def test_check_says_when_there_is_no_accepted_baseline(tmp_path, bind_server):
    """A mistyped MAILFLOW_BASELINE listed every record set as NEW and never said why."""
    project = make_project(tmp_path, [CONTOSO])
    assert cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_server.address).returncode == 0
    good = cli(project, "check", MAILFLOW_NAMESERVERS=bind_server.address)
    assert good.returncode == 0 and "no accepted baseline" not in good.stderr, good.stderr
    typo = cli(project, "check", MAILFLOW_NAMESERVERS=bind_server.address, MAILFLOW_BASELINE="baselien.yml")
    assert typo.returncode == good.returncode, typo.stderr  # the exit code is the contract's, unchanged
    assert typo.stderr.splitlines() == [
        "note: no accepted baseline: baselien.yml does not exist (write one with `python -m macros baseline`): "
        "every record set is new, none can drift"]
    assert "NEW" in typo.stdout
    as_json = cli(project, "check", "--json", MAILFLOW_NAMESERVERS=bind_server.address, MAILFLOW_BASELINE="baselien.yml")
    assert "no accepted baseline: baselien.yml does not exist" in as_json.stderr
    assert isinstance(json.loads(as_json.stdout), list)


def test_spf_without_a_domains_file_uses_the_defaults(tmp_path, bind_server):
    project = make_project(tmp_path)
    assert not (project / "domains.yml").exists()
    result = cli(project, "spf", "--ip", "94.100.132.8", "--helo", "contoso.example",
                 MAILFLOW_NAMESERVERS=bind_server.address)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    assert result.stdout.split(" ", 1)[0] == "pass"
