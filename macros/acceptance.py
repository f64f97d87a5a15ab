"""What ``python -m macros baseline`` accepts from a run (CONTRACT.md "Command line").

- a record set that is unknown now (no definite answer after the second look, or its domain's
  answers contradict each other, RFC 8020) keeps its accepted values; one that was never
  accepted stays out; each is listed. So one customer's broken DNS never blocks everyone's
  baseline, and nothing unknown is ever accepted;
- refused (file untouched) when nothing was asked (offline, resolver unhealthy), when the
  domains file lists no domain (writing would erase the accepted baseline), or, without
  ``--force``, when too much of an existing baseline would change at once: more than 30% of
  an existing baseline of at least 10 record sets, updated and removed record sets counted
  together (CONTRACT.md), after octoDNS's safety thresholds (``octodns/provider/plan.py``:
  ``MAX_SAFE_UPDATE_PCENT = .3``, ``MAX_SAFE_DELETE_PCENT = .3``, ``MIN_EXISTING_RECORDS = 10``,
  which octoDNS checks one by one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .baseline import Baseline
from .model import UNKNOWN
from .records import RecordKey, RecordSet
from .resolve import Lookup

#: octoDNS Plan.MAX_SAFE_UPDATE_PCENT / MAX_SAFE_DELETE_PCENT
MAX_SAFE_SHARE = 0.30
#: octoDNS Plan.MIN_EXISTING_RECORDS: smaller baselines may change freely
MIN_EXISTING = 10


@dataclass
class Acceptance:
    domains: dict[str, dict[RecordKey, RecordSet]] = field(default_factory=dict)
    scenarios: dict[str, str | None] = field(default_factory=dict)
    lookups: list[Lookup] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)     # unknown: accepted values kept
    left_out: list[str] = field(default_factory=list)  # unknown and never accepted: not written
    refusals: list[str] = field(default_factory=list)
    updated: int = 0
    deleted: int = 0
    created: int = 0

    @property
    def changed(self) -> int:
        return self.updated + self.deleted + self.created

    def baseline(self, path: str, written_at: str, resolver: str) -> Baseline:
        """The baseline to write (what ``baseline.dump`` takes)."""
        return Baseline(path=path, written_at=written_at, resolver=resolver, domains=self.domains,
                        scenarios=self.scenarios, lookups={lk.key: lk for lk in self.lookups},
                        exists=True)


def accept(run, resolver, old: Baseline, force: bool = False) -> Acceptance:
    """The baseline to write from ``run`` (an ``engine.RunReport``) over ``old``, or refusals."""
    result = Acceptance()
    if run.offline:
        result.refusals.append("offline mode asks no DNS; a baseline needs live lookups")
        return result
    if not run.healthy:
        result.refusals.append(f"the resolver is unhealthy ({run.health_reason})")
        return result
    if not run.domains:
        result.refusals.append("the domains file lists no domain: writing would erase the accepted "
                               f"baseline{' of ' + str(len(old.domains)) + ' domain(s)' if old.domains else ''}")
        return result
    untrusted: list[str] = []  # apexes whose lookups are not accepted this time
    for d in run.domains:
        old_records = old.records(d.spec.ascii) or {}
        records = {}
        unknown = [r for r in d.records if r.status == UNKNOWN]
        if len(unknown) == len(d.records):
            untrusted.append(d.spec.fqdn)
        for r in d.records:
            key = RecordKey.of(r.name, r.type)
            if r.status != UNKNOWN:
                records[key] = RecordSet(r.name, r.type, r.observed or ())
            elif key in old_records:
                records[key] = old_records[key]
                result.kept.append(f"{d.spec.name}: {r.type} {r.name}: no definite answer "
                                   f"({r.lookup_status}); its accepted values are kept")
            else:
                result.left_out.append(f"{d.spec.name}: {r.type} {r.name}: no definite answer "
                                       f"({r.lookup_status}); not accepted")
        if records or d.spec.ascii in old.domains:
            result.domains[d.spec.ascii] = records
            result.scenarios[d.spec.ascii] = d.spec.scenario
    result.lookups = _lookups(resolver.all_lookups(), old, untrusted)
    _count_changes(result, old)
    existing = sum(len(r) for r in old.domains.values())
    touched = result.updated + result.deleted  # CONTRACT.md: "would change", updates and removals together
    if not force and existing >= MIN_EXISTING and touched / existing > MAX_SAFE_SHARE:
        verb = ("be removed" if not result.updated else "change" if not result.deleted else
                f"change or be removed ({result.updated} changed, {result.deleted} removed)")
        result.refusals.append(
            f"{touched} of the {existing} accepted record sets would {verb} "
            f"(more than {MAX_SAFE_SHARE:.0%}); review `python -m macros check`, then run "
            "`python -m macros baseline --force` to accept them")
    return result


def _lookups(current: list[Lookup], old: Baseline, untrusted: list[str]) -> list[Lookup]:
    """Definite lookups of this run; where there was none (or the domain's answers contradict
    each other), the accepted one, if any.

    A run that did not get a definite, trusted answer everywhere also keeps the accepted
    lookups it never made: behind an unanswered or untrusted answer are lookups it could not
    reach (the includes of an SPF record that timed out, ``_spf.nested.example``), which offline
    mode still needs. Only a run answered everywhere drops what it no longer asks."""
    def trusted(lk: Lookup) -> bool:
        name = lk.name.lower()
        return (lk.definite or lk.cname_loop) and not any(
            name == apex or name.endswith("." + apex) for apex in untrusted)

    chosen = {lk.key: lk for lk in current if trusted(lk)}
    for lk in current:
        if lk.key not in chosen and lk.key in old.lookups:
            chosen[lk.key] = old.lookups[lk.key]
    if any(not trusted(lk) for lk in current):
        asked = {lk.key for lk in current}
        for key, lk in old.lookups.items():
            if key not in asked:
                chosen[key] = lk
    return list(chosen.values())


def _count_changes(result: Acceptance, old: Baseline) -> None:
    before = {(d, k): v for d, recs in old.domains.items() for k, v in recs.items()}
    after = {(d, k): v for d, recs in result.domains.items() for k, v in recs.items()}
    result.updated = sum(1 for k, v in after.items() if k in before and before[k] != v)
    result.deleted = sum(1 for k in before if k not in after)
    result.created = sum(1 for k in after if k not in before)
