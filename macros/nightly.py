"""Why a run must fail the nightly build (CONTRACT.md ``MAILFLOW_FAIL_ON_DRIFT``), as data.

Each finding is a :class:`~macros.errors.Problem` whose ``kind`` says what it is, so the CLI
and the site choose exit codes and wording from the kind, never from message text:

- ``nothing-checked``: the domains file lists no domain;
- ``could-not-run``: offline, resolver unhealthy, or a domain none of whose record sets got a
  definite answer although the resolver is healthy;
- ``unknown``: a record set that stayed unknown after the second look (a partial outage hides
  any change behind it), named one by one;
- ``no-baseline``: no accepted baseline (missing file, or one that holds no record sets):
  "no drift" would mean nothing;
- ``drift`` and ``failed``: a record set drifted, a check failed.
"""

from __future__ import annotations

from .errors import Problem
from .model import FAIL, UNKNOWN

NOTHING_CHECKED = "nothing-checked"
COULD_NOT_RUN = "could-not-run"
STILL_UNKNOWN = "unknown"
NO_BASELINE = "no-baseline"
DRIFT = "drift"
FAILED = "failed"

#: Kinds that mean the checks could not (all) run: the CLI exits 2 for them (CONTRACT.md).
NOT_RUN = (NOTHING_CHECKED, COULD_NOT_RUN, STILL_UNKNOWN)


def baseline_missing(baseline) -> str | None:
    """Why there is no accepted baseline to compare with, or None."""
    if not baseline.exists:
        return (f"no accepted baseline: {baseline.path} does not exist "
                "(write one with `python -m macros baseline`)")
    if not any(baseline.domains.values()):
        return f"no accepted baseline: {baseline.path} holds no record sets"
    return None


def problems(run) -> list[Problem]:
    """Every reason ``run`` (an ``engine.RunReport``) fails a nightly build, in a stable order."""
    out: list[Problem] = []

    def add(kind: str, text: str, entry: str | None = None) -> None:
        out.append(Problem(text, entry=entry, kind=kind))

    if not run.domains:
        add(NOTHING_CHECKED, "nothing checked: the domains file lists no domains")
    if run.offline:
        add(COULD_NOT_RUN, "checks could not run: MAILFLOW_OFFLINE=1 (records from the baseline, not live)")
    elif not run.healthy:
        add(COULD_NOT_RUN, f"checks could not run: resolver unhealthy ({run.health_reason})")
    missing = baseline_missing(run.baseline)
    if missing:
        add(NO_BASELINE, missing)
    live = run.healthy and not run.offline
    for d in run.domains:
        name = d.spec.name
        unknown = [r for r in d.records if r.status == UNKNOWN]
        if live and d.records and len(unknown) == len(d.records):
            why = sorted({r.lookup_status for r in d.records})
            add(COULD_NOT_RUN, f"{name}: checks could not run: no record set got a definite answer "
                               f"({', '.join(why)}) although the resolver is healthy", name)
        elif live:
            for r in unknown:
                add(STILL_UNKNOWN, f"{name}: {r.type} {r.name} still unknown after a second look "
                                   f"({r.lookup_status}): a change behind it would not be seen", name)
        for r in d.drifted:
            change = []
            if r.added:
                change.append("added " + ", ".join(r.added))
            if r.removed:
                change.append("removed " + ", ".join(r.removed))
            add(DRIFT, f"{name}: {r.type} {r.name} drifted ({'; '.join(change)})", name)
        for c in d.checks:
            if c.status == FAIL:
                add(FAILED, f"{name}: check {c.id} failed: {c.reason}", name)
    return out


def drift_page(run, link):
    """The Drift page's body: says so when there is no accepted baseline (then "no drift" would
    mean nothing), labels record sets that flapped, then lists the changes newest first."""
    from markupsafe import Markup

    from . import render

    out = Markup("")
    missing = baseline_missing(run.baseline)
    if missing:
        return out + render.banner("drift", f"There is no accepted baseline ({missing}), so nothing can be "
                                            "compared: record sets are new, not drift. Accept one with "
                                            "`python -m macros baseline`.") + _subscribe(link)
    flaps = [f"{d.spec.name}: {label}" for d in run.domains for label in d.flapped]
    if flaps:
        out += render.banner("flap", "Answered differently on a second look: " + "; ".join(flaps))
    return out + render.drift_list(run, link) + _subscribe(link)


def _subscribe(link):
    """Where the same drift is for feed readers and scripts (both written beside the site's pages)."""
    from markupsafe import Markup

    return Markup('<p class="mf-subscribe">The same changes as a feed: <a href="{}" type="application/atom+xml">'
                  'drift.xml</a> (Atom, one entry per change, newest first); for scripts: '
                  '<a href="{}" type="application/json">drift.json</a>.</p>\n').format(
                      link("drift.xml"), link("drift.json"))


def failure_message(found: list[Problem]) -> str:
    """The nightly build's failure, one line per finding, safe for a terminal (DNS text in
    reasons is shown with its control, escape and bidi characters as escapes)."""
    from .records import visible

    return "MAILFLOW_FAIL_ON_DRIFT=1 and the site was written, but:\n  - " + "\n  - ".join(
        visible(p) for p in found)
