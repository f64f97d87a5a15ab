"""drift.py: the plan is pure, order/case-insensitive by construction, and never invents drift."""

import pytest

from macros import drift
from macros.model import DRIFTED, NEW, UNCHANGED, UNKNOWN
from macros.records import RecordSet


def obs(values, name="contoso.example.", rdtype="MX", status="found"):
    if values is None:
        return drift.Observed.unknown(name, rdtype, status)
    return drift.Observed(RecordSet(name, rdtype, values), status)


def accepted(*values, name="contoso.example.", rdtype="MX"):
    return RecordSet(name, rdtype, values)


def accepted_sets(table):
    return {key: RecordSet(*key, values) for key, values in table.items()}


def test_a_record_set_normalizes_itself():
    one = RecordSet("Contoso.Example", "mx", ["20 b.example.", "10 a.example.", "20 b.example."])
    assert one == RecordSet("contoso.example.", "MX", ("10 a.example.", "20 b.example."))
    assert (one.name, one.type, one.values) == ("contoso.example.", "MX", ("10 a.example.", "20 b.example."))
    assert one.key == ("contoso.example.", "MX")
    assert one != RecordSet("contoso.example.", "MX", ("10 a.example.",))
    assert RecordSet("bücher.example", "TXT").name == "xn--bcher-kva.example."
    with pytest.raises(TypeError):
        RecordSet("contoso.example.", "TXT", "v=spf1 -all")  # a text is not a collection of values


def test_same_values_in_another_order_are_unchanged():
    report = drift.compare(obs(["20 b.example.", "10 a.example."]), accepted("10 a.example.", "20 b.example."))
    assert report.status == UNCHANGED
    assert report.added == () and report.removed == ()


def test_changed_values_are_drifted_with_added_and_removed():
    report = drift.compare(obs(["10 evil.example.", "20 b.example."]), accepted("10 a.example.", "20 b.example."))
    assert report.status == DRIFTED
    assert report.added == ("10 evil.example.",)
    assert report.removed == ("10 a.example.",)


def test_no_definite_answer_is_unknown_never_drift():
    report = drift.compare(obs(None, status="timeout"), accepted("10 a.example."))
    assert report.status == UNKNOWN
    assert report.observed is None
    assert report.baseline == ("10 a.example.",)


def test_record_removed_for_real_is_drift():
    report = drift.compare(obs([], status="nxdomain"), accepted("10 a.example."))
    assert report.status == DRIFTED
    assert report.removed == ("10 a.example.",)


def test_not_in_baseline_is_new():
    report = drift.compare(obs(["10 a.example."]), None)
    assert report.status == NEW
    assert report.added == ("10 a.example.",)


def test_plan_matches_on_name_and_type():
    baseline = accepted_sets({("contoso.example.", "MX"): ("10 a.example.",),
                              ("contoso.example.", "TXT"): ("v=spf1 -all",)})
    reports = drift.plan([obs(["10 a.example."]), obs(["v=spf1 ~all"], rdtype="TXT")], baseline)
    assert [r.status for r in reports] == [UNCHANGED, DRIFTED]
    assert [(r.name, r.type) for r in reports if r.status in drift.LOOK_AGAIN] == [("contoso.example.", "TXT")]


def test_plan_without_baseline_marks_everything_new():
    reports = drift.plan([obs(["10 a.example."]), obs([], rdtype="TXT", status="nodata")], None)
    assert [r.status for r in reports] == [NEW, NEW]


def test_a_change_keeps_the_time_it_was_first_seen():
    previous = {"generated_at": "2026-11-28T02:00:00Z", "domains": [{"ascii": "contoso.example", "records": [
        {"name": "contoso.example.", "type": "MX", "status": "drifted", "observed": ["10 evil.example."],
         "first_seen": "2026-11-27T02:00:00Z"},
        {"name": "contoso.example.", "type": "TXT", "status": "drifted", "observed": ["v=spf1 ~all"]},
        "garbage"]}, {"bad": 1}]}
    sightings = drift.previous_sightings(previous)
    now = "2026-11-29T02:00:00Z"
    reports = drift.plan([obs(["10 evil.example."]), obs(["v=spf1 -all"], rdtype="TXT"),
                          obs(["10 a.example."], name="other.example.")],
                         accepted_sets({("contoso.example.", "MX"): ("10 a.example.",),
                                        ("contoso.example.", "TXT"): ("v=spf1 ~all",),
                                        ("other.example.", "MX"): ("10 a.example.",)}))
    dated = drift.date_changes("contoso.example", reports, sightings, now)
    assert dated[0].first_seen == "2026-11-27T02:00:00Z"  # the same change as before keeps its date
    assert dated[1].first_seen == now                     # drifted to other values than before: new
    assert dated[2].first_seen is None                    # unchanged: no date
    assert drift.previous_sightings("not a report") == {}


@pytest.mark.parametrize("written, kept", [
    ("2026-01-01T00:00:00", "2026-01-01T00:00:00Z"),          # no zone (a hand edit): read as UTC
    ("2026-01-01T03:00:00+03:00", "2026-01-01T00:00:00Z"),    # another zone: the same instant in UTC
    ("2026-01-01T00:00:00.123456Z", "2026-01-01T00:00:00Z"),
    ("0001-01-01T00:00:00+05:00", None),                       # before year 1 in UTC: dropped
    ("yesterday", None), (42, None),
])
def test_a_previous_first_seen_of_any_form_never_crashes(written, kept):
    """A first_seen without a time zone once crashed the build (naive against aware datetimes)."""
    previous = {"generated_at": "2026-11-28T02:00:00Z", "domains": [{"ascii": "contoso.example", "records": [
        {"name": "contoso.example.", "type": "MX", "status": "drifted", "observed": ["10 evil.example."],
         "first_seen": written},
        {"name": "contoso.example.", "type": "TXT", "status": "unknown", "first_seen": written},
        {"name": "contoso.example.", "type": "TXT", "status": "unknown", "first_seen": "2026-02-01T00:00:00Z"}]}]}
    sightings = drift.previous_sightings(previous)
    now = "2026-11-29T02:00:00Z"
    reports = drift.plan([obs(["10 evil.example."]), drift.Observed.unknown("contoso.example.", "TXT", "timeout")],
                         accepted_sets({("contoso.example.", "MX"): ("10 a.example.",),
                                        ("contoso.example.", "TXT"): ("v=spf1 ~all",)}))
    mx, txt = drift.date_changes("contoso.example", reports, sightings, now)
    assert mx.first_seen == (kept or "2026-11-28T02:00:00Z")  # unreadable: seen by the last report
    assert txt.first_seen == (kept or "2026-02-01T00:00:00Z")
