"""The run: plan every lookup, resolve them concurrently once, judge, compare with the baseline.

    domains.yml -> config -> base lookups of every domain at once -> drift plan (a difference is
    looked up a second time before it counts) -> SPF include trees, wave by wave, all domains at
    once -> checks per domain (pure, from the cache) -> RunReport (JSON for drift.json / --json).

DNS time grows with the depth of the deepest lookup chain, not with the number of domains.
No MkDocs imports here: the CLI, the site and the tests share this engine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from . import checks as checks_mod
from . import drift as drift_mod
from . import nightly
from . import spf
from .baseline import Baseline
from .config import Config, DomainSpec
from .model import DRIFTED, FAIL, UNKNOWN, Check, RecordReport, worst
from .resolve import FOUND, Lookup, Resolver

#: How deep the engine follows SPF include/redirect chains when prefetching (RFC 7208 allows 10).
MAX_SPF_WAVES = 12

SOURCE_LIVE = "live"
SOURCE_BASELINE = "baseline"
SOURCE_NONE = "none"


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# ---- record sets shown on pages and compared for drift ---------------------------------------

@dataclass(frozen=True)
class RecordSpec:
    """A record set of a domain: its (name, type) and the lookup it is read from.

    DKIM selectors and autodiscover are looked up as TXT / A (the resolver follows the CNAME);
    their record set is the CNAME's target, read from the lookup's chain. Final A values of
    Microsoft's hosts rotate and are not compared, so they never raise false drift; only A
    records autodiscover owns itself (no CNAME: hybrid, on-premises) are.
    """

    name: str
    type: str
    source: tuple[str, str]
    from_chain: bool = False
    #: the records the name owns itself: none when it is a CNAME (an owner has one or the other)
    owned: bool = False


def record_specs(spec: DomainSpec) -> list[RecordSpec]:
    apex = spec.fqdn
    sel1 = f"selector1._domainkey.{apex}"
    sel2 = f"selector2._domainkey.{apex}"
    auto = f"autodiscover.{apex}"
    return [
        RecordSpec(apex, "MX", (apex, "MX")),
        RecordSpec(apex, "TXT", (apex, "TXT")),
        RecordSpec(f"_dmarc.{apex}", "TXT", (f"_dmarc.{apex}", "TXT")),
        RecordSpec(sel1, "CNAME", (sel1, "TXT"), from_chain=True),
        RecordSpec(sel2, "CNAME", (sel2, "TXT"), from_chain=True),
        RecordSpec(auto, "CNAME", (auto, "A"), from_chain=True),
        # Hybrid autodiscover often is an A record at the on-premises server: compare it too.
        RecordSpec(auto, "A", (auto, "A"), owned=True),
    ]


def observe(rspec: RecordSpec, lookup: Lookup | None) -> drift_mod.Observed:
    """The record set as seen in ``lookup``: values, "none" (empty) or None (no definite answer)."""
    if lookup is None:
        return drift_mod.Observed(rspec.name, rspec.type, None, "missing")
    if rspec.owned and lookup.chain:
        values = ()  # a CNAME owns no A records
    elif rspec.from_chain and lookup.chain:
        values = (lookup.chain[0],)
    elif lookup.status == FOUND and not rspec.from_chain:
        values = lookup.values
    elif lookup.definite:
        values = ()
    else:
        values = None
    return drift_mod.Observed(rspec.name, rspec.type, values, lookup.status)


# ---- reports -----------------------------------------------------------------------------------

@dataclass
class DomainReport:
    spec: DomainSpec
    checks: list[Check]
    records: list[RecordReport]
    lookups: list[Lookup]
    spf_tree: "spf.Tree | None"
    source: str
    checked_at: str
    flapped: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """The worst check status (fail > unknown > warn > pass)."""
        return worst(c.status for c in self.checks)

    @property
    def drifted(self) -> list[RecordReport]:
        return [r for r in self.records if r.status == DRIFTED]

    def to_dict(self) -> dict:
        return {
            "domain": self.spec.name,
            "ascii": self.spec.ascii,
            "scenario": self.spec.scenario,
            "status": self.status,
            "source": self.source,
            "checked_at": self.checked_at,
            "checks": [c.to_dict() for c in self.checks],
            "records": [r.to_dict() for r in self.records],
            "flapped": list(self.flapped),
        }


@dataclass
class RunReport:
    generated_at: str
    resolver: str
    healthy: bool
    health_reason: str
    offline: bool
    baseline: Baseline
    domains: list[DomainReport]
    lookup_seconds: float = 0.0
    queries: int = 0

    def summary(self) -> dict:
        drifted = sum(1 for d in self.domains for r in d.records if r.status == DRIFTED)
        failed = sum(1 for d in self.domains for c in d.checks if c.status == FAIL)
        unknown = sum(1 for d in self.domains for r in d.records if r.status == UNKNOWN)
        unknown += sum(1 for d in self.domains for c in d.checks if c.status == UNKNOWN)
        return {"domains": len(self.domains), "drifted": drifted, "failed": failed, "unknown": unknown}

    def to_dict(self) -> dict:
        return {
            "generated_at": self.generated_at,
            "resolver": self.resolver,
            "resolver_healthy": self.healthy,
            "resolver_reason": self.health_reason,
            "offline": self.offline,
            "baseline": {"path": self.baseline.path, "written_at": self.baseline.written_at},
            "summary": self.summary(),
            "domains": [d.to_dict() for d in self.domains],
        }

    def problems(self) -> list:
        """Why a nightly build should fail, as typed findings (macros/nightly.py)."""
        return nightly.problems(self)


# ---- the run -----------------------------------------------------------------------------------

def make_resolver(nameservers, config: Config) -> Resolver:
    """The run's one resolver: ``MAILFLOW_NAMESERVERS`` (or the system's) with domains.yml's
    timeout, lifetime and in-flight limit. The site and the CLI both build it here."""
    return Resolver(list(nameservers) or None, timeout=config.timeout, lifetime=config.lifetime,
                    max_in_flight=config.max_in_flight)


class BaselineResolver:
    """Answers lookups from the baseline's stored lookups (offline mode): no DNS at all."""

    def __init__(self, baseline: Baseline):
        self.baseline = baseline
        self.description = f"baseline {baseline.path} (written {baseline.written_at or 'never'})"

    key = staticmethod(Resolver.key)

    def cached(self, name: str, rdtype: str) -> Lookup | None:
        return self.baseline.lookups.get(self.key(name, rdtype))

    def lookup(self, name: str, rdtype: str) -> Lookup:
        key = self.key(name, rdtype)
        found = self.baseline.lookups.get(key)
        if found is not None:
            return found
        return Lookup(key[0], key[1], "error", reason="not in the baseline (offline mode asks no DNS)")

    def lookup_many(self, keys, fresh: bool = False) -> dict:
        return {self.key(*k): self.lookup(*k) for k in keys}


def run(
    config: Config,
    resolver: Resolver | None,
    baseline: Baseline,
    offline: bool = False,
    confirm_delay: float = 2.0,
    previous: dict | None = None,
) -> RunReport:
    """Check every domain of ``config``; see the module docstring.

    ``previous``: the last ``drift.json``, if any, to date changes that were already drifted then.
    """
    started = time.monotonic()
    now = utc_now()
    if offline or resolver is None:
        return _run_offline(config, baseline, now)

    canary = resolver.lookup(*config.canary)
    healthy = canary.status == FOUND
    if healthy:
        reason = f"canary {config.canary[0]} {config.canary[1]} answered"
    else:
        reason = f"canary {config.canary[0]} {config.canary[1]}: {canary.describe()}"
    if not healthy:
        reports = [_unhealthy_report(spec, baseline, reason, now) for spec in config.domains]
        return RunReport(now, resolver.description, False, reason, False, baseline, reports,
                         lookup_seconds=time.monotonic() - started,
                         queries=resolver.stats.queries)

    # 1. every base lookup of every domain, at once
    base = [key for spec in config.domains for key in checks_mod.base_queries(spec)]
    resolver.lookup_many(base)

    # 2. drift plan; differences looked at a second time, a moment later
    plans = {}
    confirm = {}
    for spec in config.domains:
        rspecs = record_specs(spec)
        observed = [observe(r, resolver.cached(*r.source)) for r in rspecs]
        plans[spec.ascii] = (rspecs, drift_mod.plan(observed, baseline.records(spec.ascii)))
        for r, rep in zip(*plans[spec.ascii]):
            if rep.status in drift_mod.LOOK_AGAIN:
                confirm[resolver.key(*r.source)] = True
    flapped: dict[str, list[str]] = {}
    if confirm:
        time.sleep(confirm_delay)
        resolver.lookup_many(list(confirm), fresh=True)
        for spec in config.domains:
            rspecs, reports = plans[spec.ascii]
            observed = [observe(r, resolver.cached(*r.source)) for r in rspecs]
            second, labels = drift_mod.second_look(
                reports, drift_mod.plan(observed, baseline.records(spec.ascii)))
            if labels:
                flapped[spec.ascii] = labels
            plans[spec.ascii] = (rspecs, second)

    # 3. SPF include/redirect trees of all domains, one wave per level
    _prefetch_spf(config, resolver)

    # 4. checks, from the cache
    sightings = drift_mod.previous_sightings(previous)
    reports = []
    for spec in config.domains:
        tree = spf.analyze(spec.fqdn, resolver.lookup)
        checks = checks_mod.evaluate(spec, resolver, spf_tree=tree)
        rspecs, records = plans[spec.ascii]
        conflict = drift_mod.rfc8020_conflict(
            spec.fqdn, [resolver.cached(*k) for k in checks_mod.base_queries(spec)])
        if conflict:  # answers that contradict each other: unknown, never fail or drift
            checks = checks_mod.unknown_checks(spec, conflict)
            records = drift_mod.all_unknown(records, drift_mod.INCONSISTENT)
        records = drift_mod.date_changes(spec.ascii, records, sightings, now)
        lookups = _domain_lookups(spec, resolver, tree)
        reports.append(DomainReport(spec, checks, records, lookups, tree, SOURCE_LIVE, now,
                                    flapped=flapped.get(spec.ascii, [])))
    return RunReport(now, resolver.description, True, reason, False, baseline, reports,
                     lookup_seconds=time.monotonic() - started,
                     queries=resolver.stats.queries)


def _prefetch_spf(config: Config, resolver) -> None:
    frontier = [resolver.key(spec.fqdn, "TXT") for spec in config.domains]
    asked = set(frontier)
    for _ in range(MAX_SPF_WAVES):
        need = []
        for key in frontier:
            lk = resolver.cached(*key)
            if lk is None or lk.status != FOUND:
                continue
            for record in spf.select(lk.values):
                for name, rdtype in spf.needed_lookups(key[0], record):
                    k = resolver.key(name, rdtype)
                    if k not in asked and resolver.cached(*k) is None:
                        asked.add(k)
                        need.append(k)
        if not need:
            return
        resolver.lookup_many(need)
        frontier = [k for k in need if k[1] == "TXT"]


def _domain_lookups(spec: DomainSpec, resolver, tree) -> list[Lookup]:
    """The lookups shown on a domain's page: its base lookups, then its SPF tree's records,
    from whatever ``resolver`` holds (the live cache, or the baseline offline)."""
    keys = [resolver.key(*k) for k in checks_mod.base_queries(spec)]
    if tree is not None:
        keys += [resolver.key(d, "TXT") for d in getattr(tree, "includes", ())]
    seen, result = set(), []
    for key in keys:
        if key in seen:
            continue
        seen.add(key)
        lk = resolver.cached(*key)
        if lk is not None:
            result.append(lk)
    return result


def _not_live(spec: DomainSpec, baseline: Baseline, checks: list[Check], tree, why: str,
              now: str) -> DomainReport:
    """A domain nothing was asked about: every record set unknown, beside its baseline values,
    and the lookups the baseline holds."""
    base = baseline.records(spec.ascii)
    records = [RecordReport(r.name, r.type, UNKNOWN, (base or {}).get((r.name, r.type)), None, why)
               for r in record_specs(spec)]
    lookups = _domain_lookups(spec, BaselineResolver(baseline), None)
    source = SOURCE_BASELINE if base is not None else SOURCE_NONE
    return DomainReport(spec, checks, records, lookups, tree, source, now)


def _unhealthy_report(spec: DomainSpec, baseline: Baseline, reason: str, now: str) -> DomainReport:
    checks = checks_mod.unknown_checks(spec, f"checks could not run: {reason}")
    return _not_live(spec, baseline, checks, None, "not asked", now)


def _run_offline(config: Config, baseline: Baseline, now: str) -> RunReport:
    offline_resolver = BaselineResolver(baseline)
    reports = []
    for spec in config.domains:
        if baseline.records(spec.ascii) is None:
            checks = checks_mod.unknown_checks(
                spec, "offline and no baseline for this domain yet: no records are known")
            tree = None
        else:
            tree = spf.analyze(spec.fqdn, offline_resolver.lookup)
            checks = checks_mod.evaluate(spec, offline_resolver, spf_tree=tree)
        reports.append(_not_live(spec, baseline, checks, tree, "offline", now))
    reason = "offline: no DNS asked"
    return RunReport(now, offline_resolver.description, False, reason, True, baseline, reports)


__all__ = ["run", "RunReport", "DomainReport", "record_specs", "observe", "utc_now"]
