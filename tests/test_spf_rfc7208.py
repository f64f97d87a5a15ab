"""The openspf RFC 7208 test suite (release 2014.04), every test, through check_host().

Each scenario's zone is served by one FakeDNS (reloaded per test) and asked through the engine's
Resolver, so the whole path (wire, normalization, pyspf adapter) is under test. The suite file
comes from pyspf's source distribution: ``make .cache/rfc7208-tests.yml``. Without it these tests
fail (one failing case names the missing file); they never skip.

Zone conventions of the suite (as its reference driver, pyspf's ``test/testspf.py``, applies them):
- an ``SPF`` record is also served as ``TXT`` unless the name has a ``TXT`` entry;
  ``TXT: NONE`` means no TXT records at all;
- ``TIMEOUT`` at a name: the types listed before it answer, every other type times out;
- a TXT/SPF value that is a list is one record of several character-strings.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from macros import spf
from macros.resolve import Resolver
from tests.support.fakedns import FakeDNS, txt

SUITE = Path(__file__).resolve().parent.parent / ".cache" / "rfc7208-tests.yml"
#: The types pyspf asks for (SPF only in its "harsh" mode, which check_host does not use).
QUERIED_TYPES = ("A", "AAAA", "MX", "TXT", "PTR", "SPF", "CNAME")
TIMEOUT, LIFETIME = 0.2, 0.4

#: Cases that cannot pass, with the reason; they run as strict xfail.
KNOWN_FAILURES: dict[str, str] = {}


def _rdata(rdtype: str, value) -> str:
    if rdtype in ("TXT", "SPF"):
        return txt(*value) if isinstance(value, list) else txt(value)
    if rdtype == "MX":
        pref, host = value
        return f"{int(pref)} {host.rstrip('.')}."
    if rdtype in ("PTR", "CNAME"):
        return f"{str(value).rstrip('.')}."
    return str(value)


def scenario_zone(zonedata: dict) -> tuple[dict, list[tuple[str, str]]]:
    """FakeDNS zone and (name, type) timeout faults from a scenario's ``zonedata``."""
    zone: dict[tuple[str, str], list[str]] = {}
    faults: list[tuple[str, str]] = []
    for name, entries in zonedata.items():
        present: set[str] = set()
        timeout = False
        spf_values, has_txt = [], False
        for entry in entries:
            if entry == "TIMEOUT":
                timeout = True
                continue
            for rdtype, value in entry.items():
                if rdtype == "TXT":
                    has_txt = True
                    if value == "NONE":
                        continue
                present.add(rdtype)
                if rdtype == "SPF":
                    spf_values.append(value)
                zone.setdefault((name, rdtype), []).append(_rdata(rdtype, value))
        if spf_values and not has_txt:
            zone[(name, "TXT")] = [_rdata("SPF", v) for v in spf_values]
            present.add("TXT")
        if timeout:
            faults += [(name, t) for t in QUERIED_TYPES if t not in present]
    return zone, faults


def load_cases() -> list:
    if not SUITE.exists():
        return [pytest.param(None, None, id="rfc7208-tests.yml-missing")]
    cases = []
    with SUITE.open("rb") as fh:
        for index, scenario in enumerate(yaml.safe_load_all(fh)):
            for test_id, test in scenario["tests"].items():
                marks = []
                if test_id in KNOWN_FAILURES:
                    marks.append(pytest.mark.xfail(reason=KNOWN_FAILURES[test_id], strict=True))
                cases.append(pytest.param(index, test, id=test_id, marks=marks))
    return cases


@pytest.fixture(scope="module")
def suite_dns():
    with FakeDNS() as server:
        yield server


@pytest.fixture(scope="module")
def scenarios():
    if not SUITE.exists():
        return []
    with SUITE.open("rb") as fh:
        return list(yaml.safe_load_all(fh))


def test_suite_is_complete(scenarios):
    """The file is the 2014.04 release: 16 scenarios, 203 tests, every one collected below."""
    assert SUITE.exists(), f"{SUITE} is missing: run `make .cache/rfc7208-tests.yml`"
    assert len(scenarios) == 16
    assert sum(len(s["tests"]) for s in scenarios) == 203
    assert len(load_cases()) == 203


#: The CLI refuses to judge before its canary answers (a lying resolver): each scenario's zone
#: gets this name, which no scenario uses.
CANARY = "canary.rfc7208-cli.test"


def serve_case(suite_dns, scenario) -> None:
    zone, faults = scenario_zone(scenario["zonedata"])
    suite_dns.reset()
    for (name, rdtype), values in zone.items():
        try:
            suite_dns.set(name, rdtype, values)
        except Exception:  # noqa: BLE001 - a name DNS cannot carry (label > 63): never asked
            continue
    for name, rdtype in faults:
        suite_dns.fault(name, "timeout", rdtype=rdtype)


def assert_expected(case, result: str, explanation: str) -> None:
    expected = case["result"] if isinstance(case["result"], list) else [case["result"]]
    assert result in expected, (
        f"{case['spec']}: got {result} ({explanation}), expected {expected}: "
        f"{case.get('description', '')}"
    )
    wanted = case.get("explanation")
    if wanted is not None and wanted != "DEFAULT":
        # The suite's driver sets the default explanation to "DEFAULT"; others are exact.
        assert explanation == wanted


@pytest.mark.parametrize("index,case", load_cases())
def test_rfc7208(index, case, scenarios, suite_dns):
    assert SUITE.exists(), f"{SUITE} is missing: run `make .cache/rfc7208-tests.yml`"
    serve_case(suite_dns, scenarios[index])
    resolver = Resolver(suite_dns.nameservers, timeout=TIMEOUT, lifetime=LIFETIME)

    result = spf.check_host(case["host"], case["mailfrom"], case["helo"], resolver)

    assert_expected(case, result.result, result.explanation)
    assert suite_dns.errors == []


@pytest.fixture(scope="module")
def cli_domains(tmp_path_factory):
    path = tmp_path_factory.mktemp("rfc7208-cli") / "domains.yml"
    path.write_text(yaml.safe_dump({"canary": {"name": CANARY, "type": "TXT"},
                                    "resolver": {"timeout": TIMEOUT, "lifetime": LIFETIME},
                                    "domains": []}))
    return path


@pytest.mark.parametrize("index,case", load_cases())
def test_rfc7208_through_the_command_line(index, case, scenarios, suite_dns, cli_domains,
                                         monkeypatch, capsys):
    """The same case through ``python -m macros spf`` (its main(), argument parsing and output):
    the result keyword first on its line, then the explanation; no --sender for a null
    reverse-path."""
    from macros import cli

    assert SUITE.exists(), f"{SUITE} is missing: run `make .cache/rfc7208-tests.yml`"
    serve_case(suite_dns, scenarios[index])
    suite_dns.set(CANARY, "TXT", [txt("canary")])
    host, port = suite_dns.nameservers[0]
    monkeypatch.setenv("MAILFLOW_NAMESERVERS", f"{host}:{port}")
    monkeypatch.setenv("MAILFLOW_DOMAINS", str(cli_domains))
    monkeypatch.delenv("MAILFLOW_OFFLINE", raising=False)
    argv = ["spf", "--ip", case["host"], "--helo", case["helo"]]
    if case["mailfrom"]:
        argv += ["--sender", case["mailfrom"]]

    code = cli.main(argv)

    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), out + err
    result, _, explanation = out.rstrip("\n").partition(" ")
    assert_expected(case, result, explanation)
