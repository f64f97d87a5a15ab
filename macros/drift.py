"""Drift as a plan (in the manner of octoDNS's plan): observed record sets against the baseline.

Pure: record sets in, ordered changes out. Matching is on their key (name, type); a record set
normalizes itself (``records.RecordSet``), so two are the same exactly when they are ``==``:
reordering, repeats, case, TXT chunking and TTLs are never a change.

Statuses: ``unchanged``, ``drifted`` (with values added and removed), ``new`` (not in the
baseline), ``unknown`` (no definite answer now: a timeout is never "record removed").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import NamedTuple

from .model import DRIFTED, NEW, UNCHANGED, UNKNOWN, RecordReport
from .records import RecordKey, RecordSet
from .resolve import FOUND, NODATA, NXDOMAIN

#: Record sets looked up a second time, a moment later, before the run's verdict: a difference
#: (it must stay to count as drift) and no answer (it must stay unknown to fail the nightly).
LOOK_AGAIN = (DRIFTED, UNKNOWN)

#: The lookup status given to record sets of a domain whose answers contradict each other.
INCONSISTENT = "inconsistent (RFC 8020)"

#: In :func:`previous_sightings`, the key of a record set's earliest date, whatever its values.
ANY = "*"


@dataclass(frozen=True)
class Observed:
    """A record set as seen now, and the status of the lookup it was read from. ``known`` is
    False when the lookup gave no definite answer (its record set is then empty and means
    nothing); a known, empty record set means DNS said definitely "no records" (NXDOMAIN or
    NODATA)."""

    record: RecordSet
    lookup_status: str
    known: bool = True

    @classmethod
    def unknown(cls, name: str, rdtype: str, lookup_status: str) -> Observed:
        return cls(RecordSet(name, rdtype), lookup_status, known=False)

    @property
    def values(self) -> tuple[str, ...] | None:
        """The values seen, or None when unknown."""
        return self.record.values if self.known else None


def compare(observed: Observed, accepted: RecordSet | None) -> RecordReport:
    """One record set against the accepted one (None: not in the baseline)."""
    now = observed.record
    before = accepted.values if accepted is not None else None
    if not observed.known:
        return RecordReport(now.name, now.type, UNKNOWN, before, observed.values, observed.lookup_status)
    if accepted is None:
        return RecordReport(now.name, now.type, NEW, None, now.values, observed.lookup_status,
                            added=now.values)
    if accepted == now:
        return RecordReport(now.name, now.type, UNCHANGED, before, now.values, observed.lookup_status)
    return RecordReport(
        now.name, now.type, DRIFTED, before, now.values, observed.lookup_status,
        added=tuple(sorted(set(now.values) - set(before))),
        removed=tuple(sorted(set(before) - set(now.values))),
    )


def plan(observed: list[Observed], accepted: dict[RecordKey, RecordSet] | None) -> list[RecordReport]:
    """Every observed record set of a domain compared with its accepted record sets (or None)."""
    records = accepted or {}
    return [compare(o, records.get(o.record.key)) for o in observed]


def second_look(first: list[RecordReport], again: list[RecordReport]) -> tuple[list[RecordReport], list[str]]:
    """The verdict after the second look, and labels of the record sets that flapped.

    A record set flaps when the two looks disagree: it drifted and then read as the baseline
    again (not counted as drift), or it drifted to one value and then to another (B then C,
    or a rotation: still drift, since neither is the accepted value, but labelled).
    """
    labels = []
    for one, two in zip(first, again):
        if one.status != DRIFTED:
            continue
        if two.status != DRIFTED or tuple(one.observed or ()) != tuple(two.observed or ()):
            labels.append(f"{one.type} {one.name}")
    return list(again), labels


def rfc8020_conflict(apex: str, lookups) -> str | None:
    """Why the answers for ``apex`` contradict each other, or None.

    RFC 8020 section 2: an NXDOMAIN answer means that nothing exists at or below the name. A
    resolver that says NXDOMAIN for the apex while a name below it (``_dmarc.<apex>``) answers
    is lying about one of them, so no answer about the domain can be trusted this time.
    """
    apex = apex.lower().rstrip(".") + "."
    lookups = [lk for lk in lookups if lk is not None]
    nx = [lk for lk in lookups if lk.name == apex and lk.status == NXDOMAIN]
    if not nx:
        return None
    below = sorted({lk.name for lk in lookups
                    if lk.name.endswith("." + apex) and lk.status in (FOUND, NODATA)})
    if not below:
        return None
    return (f"inconsistent answers (RFC 8020): {apex} does not exist (NXDOMAIN) but "
            f"{', '.join(below[:3])} answered; nothing about this domain is trusted this time")


def all_unknown(reports: list[RecordReport], why: str) -> list[RecordReport]:
    """Every record set unknown (the baseline values kept beside), e.g. after an RFC 8020 conflict."""
    return [RecordReport(r.name, r.type, UNKNOWN, r.baseline, None, why, first_seen=r.first_seen)
            for r in reports]


class Sighting(NamedTuple):
    """A record set of a domain as a previous report saw it: the values it had drifted to,
    ``None`` (unknown then), or :data:`ANY` (its earliest date, whatever the values)."""

    domain: str
    name: str
    type: str
    values: tuple[str, ...] | str | None


def previous_sightings(report: dict | None) -> dict[Sighting, str]:
    """From a previous ``drift.json``: {:class:`Sighting`: first_seen}.

    Drifted record sets are keyed by the values they had drifted to; a record set that was
    unknown then (an outage) but carried a date is keyed with ``None``: it matches whatever it
    drifted to, so an outage never resets "first seen". Anything malformed is ignored: the
    previous report only dates changes, it never decides them.
    """
    seen: dict[Sighting, str] = {}
    if not isinstance(report, dict):
        return seen
    for d in report.get("domains") or []:
        if not isinstance(d, dict):
            continue
        for r in d.get("records") or []:
            if not isinstance(r, dict) or r.get("status") not in (DRIFTED, UNKNOWN):
                continue
            when = r.get("first_seen")
            try:
                if r["status"] == DRIFTED:  # seen by then at the latest
                    when = _utc_text(when) or report.get("generated_at")
                    values = tuple(sorted(map(str, r["observed"])))
                else:
                    values = None
                key = Sighting(str(d["ascii"]), str(r["name"]).rstrip(".") + ".", str(r["type"]), values)
            except (KeyError, TypeError):
                continue
            when = _utc_text(when)
            if when is not None:
                seen[key] = when
                earliest = key._replace(values=ANY)
                if earliest not in seen or _instant(when) < _instant(seen[earliest]):
                    seen[earliest] = when
    return seen


def _instant(text: str) -> datetime | None:
    """The time ``text`` names, in UTC; without a zone (``2026-01-01T00:00:00``, a hand edit or
    another tool) it is read as UTC; None when it is no ISO 8601 time."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    except (TypeError, ValueError, AttributeError, OverflowError):
        return None


def _utc_text(text) -> str | None:
    """``text`` as this product writes times (``2026-11-29T02:00:00Z``), or None, so every date
    compares and sorts as one kind."""
    value = _instant(text) if isinstance(text, str) else None
    return None if value is None else value.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def date_changes(domain: str, reports: list[RecordReport], sightings: dict[Sighting, str], now: str) -> list[RecordReport]:
    """Give every drifted record set the time its change was first seen: the previous report's
    when the same record set had drifted to the same values then (or was unknown with a date,
    during an outage), else ``now``. A record set unknown now keeps its earliest date, so an
    outage never resets it. A date later than ``now`` (a clock that once ran ahead) is ``now``."""
    current = _instant(now)
    dated = []
    for r in reports:
        if r.status == DRIFTED:
            exact = Sighting(domain, r.name, r.type, tuple(sorted(r.observed or ())))
            when = sightings.get(exact) or sightings.get(exact._replace(values=None)) or now
        elif r.status == UNKNOWN:
            when = sightings.get(Sighting(domain, r.name, r.type, ANY))
        else:
            dated.append(r)
            continue
        seen_at = _instant(when) if when else None
        if seen_at is not None and current is not None and seen_at > current:
            when = now
        dated.append(replace(r, first_seen=when))
    return dated
