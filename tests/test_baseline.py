"""baseline.py: sorted, stable, diff-friendly YAML, atomic writes, clear errors."""

import os
from pathlib import Path

import pytest

from macros import baseline
from macros.records import RecordSet
from macros.resolve import Lookup


def sample(written_at="2026-11-29T02:00:00Z", resolver="127.0.0.1:53", reverse=False):
    order = (lambda items: list(reversed(list(items)))) if reverse else list
    domains = {
        "b.example": [RecordSet("b.example.", "MX", ("20 y.example.", "10 x.example."))],
        "a.example": [RecordSet("a.example.", "TXT", ("v=spf1 -all",)), RecordSet("a.example.", "MX")],
    }
    scenarios = {"a.example": "exchange-online", "b.example": "third-party-filter"}
    lookups = [
        Lookup("z.example.", "TXT", "found", ("v=spf1 -all",)),
        Lookup("a.example.", "MX", "nodata"),
        Lookup("t.example.", "A", "timeout"),  # not definite: never stored
    ]
    return baseline.Baseline(
        "baseline.yml", written_at, resolver,
        domains={domain: {rs.key: rs for rs in order(sets)} for domain, sets in order(domains.items())},
        scenarios=scenarios, lookups={lk.key: lk for lk in order(lookups)})


def test_dump_is_sorted_and_stable(tmp_path):
    text1 = baseline.dump(sample())
    text2 = baseline.dump(sample(reverse=True))
    assert text1 == text2
    assert text1.index("a.example:") < text1.index("b.example:")
    assert "t.example." not in text1


def test_round_trip(tmp_path):
    path = tmp_path / "baseline.yml"
    baseline.write_atomic(str(path), baseline.dump(sample(resolver="r")))
    loaded = baseline.load(str(path))
    assert loaded.exists and loaded.written_at == "2026-11-29T02:00:00Z"
    assert {key: rs.values for key, rs in loaded.records("a.example").items()} == {
        ("a.example.", "MX"): (), ("a.example.", "TXT"): ("v=spf1 -all",)}
    assert loaded.scenarios["b.example"] == "third-party-filter"
    assert loaded.lookups[("z.example.", "TXT")].raw == (b"v=spf1 -all",)
    assert loaded.lookups[("a.example.", "MX")].status == "nodata"


def test_missing_file_is_an_empty_baseline(tmp_path):
    loaded = baseline.load(str(tmp_path / "none.yml"))
    assert not loaded.exists and loaded.records("a.example") is None


def test_malformed_file_names_file_and_entry(tmp_path):
    path = tmp_path / "baseline.yml"
    path.write_text("domains:\n  a.example:\n    records:\n      - {name: a.example.}\n")
    with pytest.raises(baseline.BaselineError, match=r"baseline.yml: domains.a.example.records\[0\]"):
        baseline.load(str(path))
    path.write_text("domains: [unclosed\n")
    with pytest.raises(baseline.BaselineError, match="cannot be read as YAML"):
        baseline.load(str(path))


def test_atomic_write_leaves_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "baseline.yml"
    path.write_text("old\n")

    with pytest.raises(TypeError):
        baseline.write_atomic(str(path), 12345)  # not text: the write fails midway
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["baseline.yml"]


@pytest.mark.parametrize("text, where", [
    ("domains:\n  - contoso.example\n", "domains: must be a mapping"),
    ("domains:\n  c.example:\n    records:\n      - {name: c.example., type: MX, values: '10 a.example.'}\n",
     r"domains.c.example.records\[0\]: 'values' must be a list of strings"),
    ("domains:\n  c.example:\n    records: {a: 1}\n", r"domains.c.example.records: must be a list"),
    ("lookups: {a: 1}\n", "lookups: must be a list"),
    ("- just\n- a list\n", "the top level must be a mapping"),
])
def test_hand_edited_baselines_get_a_clear_message(tmp_path, text, where):
    path = tmp_path / "baseline.yml"
    path.write_text(text)
    with pytest.raises(baseline.BaselineError, match=where):
        baseline.load(str(path))


def test_names_in_a_hand_edited_baseline_are_normalized(tmp_path):
    path = tmp_path / "baseline.yml"
    path.write_text("domains:\n  CONTOSO.Example:\n    records:\n"
                    "      - {name: CONTOSO.example, type: mx, values: ['20 b.example.', '10 a.example.']}\n")
    loaded = baseline.load(str(path))
    assert loaded.records("contoso.example") == {
        ("contoso.example.", "MX"): RecordSet("contoso.example.", "MX", ("10 a.example.", "20 b.example."))}


def test_atomic_write_keeps_the_files_mode(tmp_path):
    path = tmp_path / "baseline.yml"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    baseline.write_atomic(str(path), "new\n")
    assert path.read_text() == "new\n" and path.stat().st_mode & 0o777 == 0o640


# ---- issue 15: writes that survive links and kills; hand edits of the wrong type -------------

def test_a_symlinked_baseline_stays_a_link_and_its_target_is_replaced(tmp_path):
    real = tmp_path / "store" / "baseline.yml"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "baseline.yml"
    link.symlink_to(os.path.relpath(real, tmp_path))
    baseline.write_atomic(str(link), "new\n")
    assert link.is_symlink() and real.read_text() == "new\n" and link.read_text() == "new\n"
    assert sorted(p.name for p in real.parent.iterdir()) == ["baseline.yml"]


def test_temp_files_of_killed_writes_are_removed_by_the_next_write(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "baseline.yml"
    # A real writer killed with SIGKILL between creating its temp file and the rename.
    code = ("import sys, tempfile, os, time; sys.path.insert(0, %r); from macros import baseline as b; "
            "b.os.replace = lambda *a: time.sleep(60); b.write_atomic(%r, 'x' * 100000)") % (
        str(Path(baseline.__file__).parents[1]), str(path))
    writer = subprocess.Popen([sys.executable, "-c", code])
    for _ in range(100):
        if list(tmp_path.glob(".baseline.yml.*.tmp")):
            break
        time.sleep(0.1)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    killed = list(tmp_path.glob(".baseline.yml.*.tmp"))
    assert len(killed) == 1 and f".{writer.pid}." in killed[0].name
    old = tmp_path / ".baseline.yml.x1.tmp"   # no pid (an older version, another machine): by age
    young = tmp_path / ".baseline.yml.x2.tmp"  # may be a write still running elsewhere
    old.write_text("half")
    young.write_text("half")
    os.utime(old, (1, 1))
    baseline.write_atomic(str(path), "new\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".baseline.yml.x2.tmp", "baseline.yml"]
    assert path.read_text() == "new\n"


@pytest.mark.parametrize("text, words", [
    ("lookups:\n  - {name: a.example., type: A, values: [], cname_loop: 'false'}\n",
     ["lookups[0]: 'cname_loop' must be true or false, not 'false'", "(line 2)"]),
    ("lookups:\n  - {name: a.example., type: A, status: fine}\n", ["'status': 'fine' is not one of"]),
    ("lookups:\n  - {name: a.example., type: A, chain: [1, 2]}\n", ["'chain' must be a list of names"]),
    ("written_at: 2026-11-29\n", ["written_at: must be a quoted time"]),
    ("domains: " + "[" * 5000 + "]" * 5000 + "\n", ["nested more than"]),
    ("written_at: " + "1" * 5000 + "\n", ["5000 digits"]),
    ("domains: {}\ndomains: {}\n", ["key 'domains' given twice"]),
    # hand-edited values are validated, not turned into text or ignored
    ("resolver: {x: [1, 2]}\n", ["resolver: must be the text of the resolver asked", "{'x': [1, 2]}"]),
    ("writen_at: '2026-11-29T02:00:00Z'\n", ["unknown top-level key 'writen_at' (allowed: written_at, resolver, "
                                            "domains, lookups)"]),
    ("domains:\n  a.example:\n    scenario: '7'\n", ["domains.a.example.scenario: '7' is not one of exchange-online"]),
    ("domains:\n  a.example:\n    scenario: exchange-online\n    record: []\n",
     ["domains.a.example: unknown field 'record' (allowed: records, scenario)", "(line 4)"]),
    ("domains:\n  a.example:\n    records:\n      - {name: a.example., type: 'NOT A TYPE', values: []}\n",
     ["domains.a.example.records[0]: 'type': 'NOT A TYPE' is not a DNS record type (MX, TXT, ...) or MTA-STS"]),
    ("lookups:\n  - {name: a.example., type: 'NOT A TYPE', status: nodata}\n", ["lookups[0]: 'type': 'NOT A TYPE'"]),
    ("domains:\n  '\\097bc.example':\n    records: []\n", ["has a backslash"]),
    ("domains:\n  \"a\\u200bbc.example\":\n    records: []\n", ["invisible character U+200B"]),
    ("domains:\n  42:\n    records: []\n", ["domains.42: is not a domain name"]),
])
def test_values_of_the_wrong_type_are_named_not_misread(tmp_path, text, words):
    path = tmp_path / "baseline.yml"
    path.write_text(text)
    with pytest.raises(baseline.BaselineError) as info:
        baseline.load(str(path))
    for word in words:
        assert word in str(info.value), str(info.value)


def test_every_problem_of_a_baseline_is_listed_at_once(tmp_path):
    path = tmp_path / "baseline.yml"
    path.write_text("domains:\n  a.example:\n    records:\n      - {name: a.example.}\n"
                    "lookups:\n  - {name: b.example., type: A, cname_loop: 'no'}\n")
    with pytest.raises(baseline.BaselineError) as info:
        baseline.load(str(path))
    assert [p.line for p in info.value.problems] == [4, 6]
    assert "2 problem(s)" in str(info.value)


def test_a_baseline_from_live_lookups_round_trips(tmp_path, bind_server):
    """Lookup statuses are enums in the engine; the file holds plain strings and loads back."""
    from macros import acceptance, config as config_mod, engine
    from macros.resolve import Resolver

    resolver = Resolver(bind_server.nameservers, timeout=1, lifetime=2)
    cfg = config_mod.from_data({"domains": [{"name": "contoso.example", "scenario": "third-party-filter",
                                             "filter": "hornetsecurity"}]})
    run = engine.run(cfg, resolver, baseline.Baseline(path="memory"), confirm_delay=0)
    accepted = acceptance.accept(run, resolver, baseline.Baseline(path="memory"))
    assert accepted.refusals == []
    domains, lookups = accepted.domains, accepted.lookups
    path = tmp_path / "baseline.yml"
    baseline.write_atomic(str(path), baseline.dump(accepted.baseline(str(path), run.generated_at,
                                                                     resolver.description)))
    assert "status: !!" not in path.read_text() and "status: found" in path.read_text()
    loaded = baseline.load(str(path))
    assert loaded.records("contoso.example") == domains["contoso.example"]
    assert {lk.key for lk in loaded.lookups.values()} <= {lk.key for lk in lookups}


def test_an_alias_bomb_in_a_baseline_is_one_clear_error_not_a_hang(tmp_path):
    import time

    from tests.test_yamlfile import alias_bomb
    path = tmp_path / "baseline.yml"
    path.write_text(alias_bomb().replace("resolver: {timeout:", "resolver: {x:") + "domains: {}\n")
    started = time.monotonic()
    with pytest.raises(baseline.BaselineError) as info:
        baseline.load(str(path))
    assert time.monotonic() - started < 2
    assert "aliases expand to more than" in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize("stamp", ["'2026-11-29T02:00:00'", "'yesterday'", "'2026-11-29T02:00:00Z" + "x" * 50 + "'",
                                   '"\\e[31mRED\\u009b2J\\u202eevil"', "[1, 2]"])
def test_written_at_must_be_a_time_with_its_zone(tmp_path, stamp):
    path = tmp_path / "baseline.yml"
    path.write_text(f"written_at: {stamp}\ndomains: {{}}\n")
    with pytest.raises(baseline.BaselineError) as info:
        baseline.load(str(path))
    assert "written_at: must be a quoted time like '2026-11-29T02:00:00Z'" in str(info.value)
    assert info.value.problems[0].field == "written_at" and info.value.problems[0].line == 1
    assert "\x1b" not in str(info.value) and "\u202e" not in str(info.value)


def test_written_at_as_baseline_writes_it_loads(tmp_path):
    path = tmp_path / "baseline.yml"
    path.write_text("written_at: '2026-11-29T02:00:00Z'\ndomains: {}\n")
    assert baseline.load(str(path)).written_at == "2026-11-29T02:00:00Z"


def test_an_escaped_domain_never_loads_as_the_domain_it_decodes_to(tmp_path):
    """'\\097bc.example' became abc.example: the escape would check (and accept) another name."""
    path = tmp_path / "baseline.yml"
    path.write_text("domains:\n  '\\097bc.example':\n    records:\n"
                    "      - {name: abc.example., type: MX, values: ['10 evil.example.']}\n")
    with pytest.raises(baseline.BaselineError) as info:
        baseline.load(str(path))
    assert info.value.problems[0].line == 2 and "abc.example" not in info.value.problems[0].entry


def test_every_record_type_the_product_stores_loads(tmp_path):
    path = tmp_path / "baseline.yml"
    path.write_text("domains:\n  a.example:\n    scenario: hybrid-third-party\n    records:\n"
                    + "".join(f"      - {{name: a.example., type: {t}, values: []}}\n"
                              for t in ("MX", "TXT", "CNAME", "A", "AAAA", "NS", "PTR", "mta-sts", "MTA-STS", "TYPE65280")))
    assert len(baseline.load(str(path)).records("a.example")) == 9  # mta-sts and MTA-STS are one
