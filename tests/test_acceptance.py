"""acceptance.py: what ``python -m macros baseline`` accepts from a run, and when it refuses."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from macros import acceptance
from macros.baseline import Baseline
from macros.model import DRIFTED, UNCHANGED
from macros.records import RecordKey, RecordSet


def _old(domains: int, per_domain: int) -> Baseline:
    sets = {f"d{i}.example": {RecordKey.of(f"r{j}.d{i}.example", "TXT"):
                              RecordSet(f"r{j}.d{i}.example.", "TXT", (f"v{j}",)) for j in range(per_domain)}
            for i in range(domains)}
    return Baseline("memory", domains=sets, scenarios={d: "exchange-online" for d in sets}, exists=True)


def _run(old: Baseline, updated: int, deleted: int):
    """A healthy run over ``old``: ``updated`` record sets with other values, ``deleted`` domains'
    worth of record sets gone (their domains left out of the domains file)."""
    reports, changed = [], 0
    per_domain = len(next(iter(old.domains.values())))
    kept_domains = list(old.domains)[: len(old.domains) - deleted // per_domain]
    for domain in kept_domains:
        records = []
        for rs in old.domains[domain].values():
            if changed < updated:
                changed += 1
                records.append(SimpleNamespace(name=rs.name, type=rs.type, status=DRIFTED,
                                               observed=("other",), lookup_status="found"))
            else:
                records.append(SimpleNamespace(name=rs.name, type=rs.type, status=UNCHANGED,
                                               observed=rs.values, lookup_status="found"))
        spec = SimpleNamespace(ascii=domain, fqdn=domain + ".", name=domain, scenario="exchange-online")
        reports.append(SimpleNamespace(spec=spec, records=records))
    return SimpleNamespace(offline=False, healthy=True, domains=reports)


NO_LOOKUPS = SimpleNamespace(all_lookups=list)


@pytest.mark.parametrize("updated, deleted, refused", [
    (5, 5, True),    # 10 of 20 (50%): each alone is only 25%, together over 30%
    (1, 5, False),   # 6 of 20: exactly 30%, not more
    (7, 0, True), (0, 10, True), (6, 0, False),
])
def test_the_mass_change_guard_counts_updates_and_removals_together(updated, deleted, refused):
    old = _old(4, 5)  # 20 accepted record sets
    result = acceptance.accept(_run(old, updated, deleted), NO_LOOKUPS, old)
    assert (result.updated, result.deleted) == (updated, deleted)
    assert bool(result.refusals) == refused, result.refusals
    if (updated, deleted) == (5, 5):
        assert result.refusals == [
            "10 of the 20 accepted record sets would change or be removed (5 changed, 5 removed) "
            "(more than 30%); review `python -m macros check`, then run "
            "`python -m macros baseline --force` to accept them"]
    forced = acceptance.accept(_run(old, updated, deleted), NO_LOOKUPS, old, force=True)
    assert forced.refusals == []
