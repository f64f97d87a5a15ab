"""baseline.py: sorted, stable, diff-friendly YAML, atomic writes, clear errors."""

import os

import pytest

from macros import baseline
from macros.resolve import Lookup


def sample():
    domains = {
        "b.example": {("b.example.", "MX"): ("20 y.example.", "10 x.example.")},
        "a.example": {("a.example.", "TXT"): ("v=spf1 -all",), ("a.example.", "MX"): ()},
    }
    scenarios = {"a.example": "exchange-online", "b.example": "third-party-filter"}
    lookups = [
        Lookup("z.example.", "TXT", "found", ("v=spf1 -all",)),
        Lookup("a.example.", "MX", "nodata"),
        Lookup("t.example.", "A", "timeout"),  # not definite: never stored
    ]
    return domains, scenarios, lookups


def test_dump_is_sorted_and_stable(tmp_path):
    text1 = baseline.dump("2026-11-29T02:00:00Z", "127.0.0.1:53", *sample())
    domains, scenarios, lookups = sample()
    text2 = baseline.dump("2026-11-29T02:00:00Z", "127.0.0.1:53",
                          dict(reversed(list(domains.items()))), scenarios, list(reversed(lookups)))
    assert text1 == text2
    assert text1.index("a.example:") < text1.index("b.example:")
    assert "t.example." not in text1


def test_round_trip(tmp_path):
    path = tmp_path / "baseline.yml"
    baseline.write_atomic(str(path), baseline.dump("2026-11-29T02:00:00Z", "r", *sample()))
    loaded = baseline.load(str(path))
    assert loaded.exists and loaded.written_at == "2026-11-29T02:00:00Z"
    assert loaded.records("a.example") == {("a.example.", "MX"): (), ("a.example.", "TXT"): ("v=spf1 -all",)}
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
    assert loaded.records("contoso.example") == {("contoso.example.", "MX"): ("10 a.example.", "20 b.example.")}


def test_atomic_write_keeps_the_files_mode(tmp_path):
    path = tmp_path / "baseline.yml"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    baseline.write_atomic(str(path), "new\n")
    assert path.read_text() == "new\n" and path.stat().st_mode & 0o777 == 0o640


def test_a_baseline_from_live_lookups_round_trips(tmp_path, bind_server):
    """Lookup statuses are enums in the engine; the file holds plain strings and loads back."""
    from macros import config as config_mod, engine
    from macros.resolve import Resolver

    resolver = Resolver(bind_server.nameservers, timeout=1, lifetime=2)
    cfg = config_mod.from_data({"domains": [{"name": "contoso.example", "scenario": "third-party-filter",
                                             "filter": "hornetsecurity"}]})
    run = engine.run(cfg, resolver, baseline.Baseline(path="memory"), confirm_delay=0)
    domains, scenarios, lookups, refusals = engine.baseline_data(run, resolver)
    assert refusals == []
    path = tmp_path / "baseline.yml"
    baseline.write_atomic(str(path), baseline.dump(run.generated_at, resolver.description, domains,
                                                   scenarios, lookups))
    assert "status: !!" not in path.read_text() and "status: found" in path.read_text()
    loaded = baseline.load(str(path))
    assert loaded.records("contoso.example") == domains["contoso.example"]
    assert {lk.key for lk in loaded.lookups.values()} <= {lk.key for lk in lookups}
