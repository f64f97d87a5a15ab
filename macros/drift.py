"""Drift as a plan (in the manner of octoDNS's plan): observed record sets against the baseline.

Pure: values in, ordered changes out. Matching is on (name, type); values are normalized sorted
tuples (records.py), so reordering, case, TXT chunking and TTLs are never a change.

Statuses: ``unchanged``, ``drifted`` (with values added and removed), ``new`` (not in the
baseline), ``unknown`` (no definite answer now: a timeout is never "record removed").
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import DRIFTED, NEW, UNCHANGED, UNKNOWN, RecordReport


@dataclass(frozen=True)
class Observed:
    """A record set as seen now. ``values`` is None when the lookup gave no definite answer;
    an empty tuple means DNS said definitely "no records" (NXDOMAIN or NODATA)."""

    name: str
    type: str
    values: tuple[str, ...] | None
    lookup_status: str


def compare(observed: Observed, baseline_values: tuple[str, ...] | None) -> RecordReport:
    """One record set against its baseline values (None: not in the baseline)."""
    if observed.values is None:
        return RecordReport(observed.name, observed.type, UNKNOWN, baseline_values, None,
                            observed.lookup_status)
    if baseline_values is None:
        return RecordReport(observed.name, observed.type, NEW, None, observed.values,
                            observed.lookup_status, added=observed.values)
    if tuple(sorted(baseline_values)) == tuple(sorted(observed.values)):
        return RecordReport(observed.name, observed.type, UNCHANGED, baseline_values,
                            observed.values, observed.lookup_status)
    before, after = set(baseline_values), set(observed.values)
    return RecordReport(
        observed.name, observed.type, DRIFTED, baseline_values, observed.values,
        observed.lookup_status,
        added=tuple(sorted(after - before)),
        removed=tuple(sorted(before - after)),
    )


def plan(observed: list[Observed], baseline_records: dict | None) -> list[RecordReport]:
    """Every observed record set of a domain compared with its baseline records (or None)."""
    records = baseline_records or {}
    return [compare(o, records.get((o.name, o.type))) for o in observed]


def candidates(reports: list[RecordReport]) -> list[tuple[str, str]]:
    """The (name, type) keys that differ and must be looked at a second time before they count."""
    return [(r.name, r.type) for r in reports if r.status == DRIFTED]


def previous_sightings(report: dict | None) -> dict:
    """From a previous ``drift.json``: {(domain, name, type, observed values): first_seen}.

    Anything malformed is ignored: the previous report only dates changes, it never decides them.
    """
    seen: dict = {}
    if not isinstance(report, dict):
        return seen
    for d in report.get("domains") or []:
        if not isinstance(d, dict):
            continue
        for r in d.get("records") or []:
            if not isinstance(r, dict) or r.get("status") != DRIFTED:
                continue
            try:
                key = (str(d["ascii"]), str(r["name"]).rstrip(".") + ".", str(r["type"]),
                       tuple(sorted(map(str, r["observed"]))))
            except (KeyError, TypeError):
                continue
            when = r.get("first_seen") or report.get("generated_at")
            if isinstance(when, str):
                seen[key] = when
    return seen


def date_changes(domain: str, reports: list[RecordReport], sightings: dict, now: str) -> list[RecordReport]:
    """Give every drifted record set the time its change was first seen: the previous report's
    when the same record set had drifted to the same values then, else ``now``."""
    from dataclasses import replace

    dated = []
    for r in reports:
        if r.status == DRIFTED:
            key = (domain, r.name, r.type, tuple(sorted(r.observed or ())))
            r = replace(r, first_seen=sightings.get(key, now))
        dated.append(r)
    return dated
