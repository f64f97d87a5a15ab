"""The run: plan every lookup, resolve them concurrently once, judge, compare with the baseline.

    domains.yml -> config -> base lookups of every domain at once -> drift plan (a difference is
    looked up a second time before it counts) -> SPF include trees, wave by wave, all domains at
    once -> checks per domain (pure, from the cache) -> RunReport (JSON for drift.json / --json).

DNS time grows with the depth of the deepest lookup chain, not with the number of domains.
No MkDocs imports here: the CLI, the site and the tests share this engine.
"""

from __future__ import annotations

import dataclasses
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone

from . import checks as checks_mod
from . import drift as drift_mod
from . import mtasts
from . import nightly
from . import spf
from . import tenant as tenant_mod
from .spf import policy as spf_policy
from .baseline import Baseline
from .config import Config, DomainSpec
from .model import DRIFTED, FAIL, UNKNOWN, Check, RecordReport, worst
from .records import RecordKey, RecordSet
from .resolve import ERROR, FOUND, NODATA, CacheView, Lookup, Resolver

#: Waves of SPF tree prefetching at most: every walk stops at RFC 7208's 10 DNS-querying terms,
#: so a chain is at most 10 includes deep, plus one wave for the addresses of MX hosts.
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
    source: RecordKey
    from_chain: bool = False
    #: the records the name owns itself: none when it is a CNAME (an owner has one or the other)
    owned: bool = False

    @classmethod
    def of(cls, name: str, rdtype: str, read_as: str | None = None, **how) -> RecordSpec:
        """The record set ``name``/``rdtype``, read from the lookup of type ``read_as`` (the same
        type unless given)."""
        return cls(name, rdtype, RecordKey.of(name, read_as or rdtype), **how)


def record_specs(spec: DomainSpec) -> list[RecordSpec]:
    apex = spec.fqdn
    sel1 = f"selector1._domainkey.{apex}"
    sel2 = f"selector2._domainkey.{apex}"
    auto = f"autodiscover.{apex}"
    return [
        RecordSpec.of(apex, "MX"),
        RecordSpec.of(apex, "TXT"),
        RecordSpec.of(f"_dmarc.{apex}", "TXT"),
        RecordSpec.of(sel1, "CNAME", "TXT", from_chain=True),
        RecordSpec.of(sel2, "CNAME", "TXT", from_chain=True),
        RecordSpec.of(auto, "CNAME", "A", from_chain=True),
        # Hybrid autodiscover often is an A record at the on-premises server: compare it too.
        RecordSpec.of(auto, "A", owned=True),
        # RFC 8461: the TXT that announces a policy, the policy itself (CONTRACT.md: type
        # MTA-STS, its normalized lines), and RFC 8460's reporting record.
        RecordSpec.of(f"_mta-sts.{apex}", "TXT"),
        RecordSpec.of(mtasts.lookup_name(apex), mtasts.RDTYPE),
        RecordSpec.of(f"_smtp._tls.{apex}", "TXT"),
    ]


def observe(rspec: RecordSpec, lookup: Lookup | None) -> drift_mod.Observed:
    """The record set as seen in ``lookup``: its values, none (DNS said so) or unknown (no
    definite answer)."""
    if lookup is None:
        return drift_mod.Observed.unknown(rspec.name, rspec.type, "missing")
    if rspec.owned and lookup.chain:
        values = ()  # a CNAME owns no A records
    elif rspec.from_chain and lookup.chain:
        values = (lookup.chain[0],)
    elif lookup.status == FOUND and not rspec.from_chain:
        values = lookup.values
    elif lookup.definite:
        values = ()
    else:
        return drift_mod.Observed.unknown(rspec.name, rspec.type, lookup.status)
    return drift_mod.Observed(RecordSet(rspec.name, rspec.type, values), lookup.status)


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
    #: the tenant's export behind the tenant checks: tenant, exported_at, file; None without one
    tenant_export: dict | None = None

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
            "tenant_export": self.tenant_export,
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

    def _header(self) -> dict:
        return {
            "generated_at": self.generated_at,
            "resolver": self.resolver,
            "resolver_healthy": self.healthy,
            "resolver_reason": self.health_reason,
            "offline": self.offline,
            "baseline": {"path": self.baseline.path, "written_at": self.baseline.written_at},
            "summary": self.summary(),
        }

    def to_dict(self) -> dict:
        return {**self._header(), "domains": [d.to_dict() for d in self.domains]}

    def json_chunks(self, **changes):
        """drift.json's text, ``json.dumps({**self.to_dict(), **changes}, indent=2,
        sort_keys=True, ensure_ascii=False) + "\\n"`` byte for byte, in pieces: one domain's dict
        at a time, so 5,000 domains never sit in memory as one dict and one string (65 MB of
        JSON was a 350 MB peak of the build)."""
        data = {**self._header(), **changes, "domains": _Lazy(self.domains)}
        yield from json.JSONEncoder(indent=2, sort_keys=True, ensure_ascii=False).iterencode(data)
        yield "\n"

    def problems(self) -> list:
        """Why a nightly build should fail, as typed findings (macros/nightly.py)."""
        return nightly.problems(self)


class _Lazy(list):
    """A list json's pure-Python encoder (used whenever ``indent`` is set) iterates: each
    domain's dict is made when it is written, then dropped."""

    def __init__(self, domains):
        super().__init__()
        self._domains = domains

    def __bool__(self) -> bool:
        return bool(self._domains)

    def __len__(self) -> int:
        return len(self._domains)

    def __iter__(self):
        return (d.to_dict() for d in self._domains)


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
        return Lookup(key[0], key[1], ERROR, reason="not in the baseline (offline mode asks no DNS)")

    def lookup_many(self, keys, fresh: bool = False) -> dict:
        return {self.key(*k): self.lookup(*k) for k in keys}

    @property
    def answers(self) -> "BaselineResolver":
        """Offline answers never miss: what the baseline does not hold is an error (unknown)."""
        return self

    get = lookup  # the Answers protocol

    @property
    def stored(self):
        """Only what the baseline holds (None for the rest): what a page lists."""
        return CacheView(self.baseline.lookups, self.key)


def run(
    config: Config,
    resolver: Resolver | None,
    baseline: Baseline,
    offline: bool = False,
    confirm_delay: float = 2.0,
    previous: dict | None = None,
    sleep=time.sleep,
    ca_bundle: str | None = None,
    exports: "dict[str, tenant_mod.Export] | None" = None,
) -> RunReport:
    """Check every domain of ``config``; see the module docstring.

    Named phases: health (the canary), base lookups, drift plan with its second look (after
    ``sleep(confirm_delay)``), SPF lookups and evaluation, judgement.
    ``previous``: the last ``drift.json``, if any, to date changes that were already drifted then.
    ``ca_bundle``: the CA file for the MTA-STS policy fetches (``settings.ca_bundle``, from
    MAILFLOW_CA_BUNDLE; None: the system trust store). The engine reads no environment.
    ``exports``: the tenants' Exchange Online exports by tenant name (:func:`tenant.load_for`),
    read once by the caller; a domain whose tenant has none gets ``info`` tenant checks.
    """
    started = time.monotonic()
    now = utc_now()
    # read first: an outage or an offline build carries "first seen" over as a healthy run does
    sightings = drift_mod.previous_sightings(previous)
    if offline or resolver is None:
        return _run_offline(config, baseline, now, exports, sightings)

    healthy, reason = _health(config, resolver)
    if not healthy:
        reports = [_unhealthy_report(spec, baseline, reason, now, exports, sightings)
                   for spec in config.domains]
        return RunReport(now, resolver.description, False, reason, False, baseline, reports,
                         lookup_seconds=time.monotonic() - started,
                         queries=resolver.stats.queries)

    _resolve_base(config, resolver)
    # what depends on the first answers (one more wave), and the MTA-STS policy fetches
    _prefetch_dependent(config.domains, resolver, ca_bundle, config.lifetime)
    plans, flapped = _plan_drift(config, resolver, baseline, confirm_delay, sleep, ca_bundle)
    trees, spf_outcomes = _resolve_spf(config, resolver)

    reports = []
    answers = resolver.answers
    for spec in config.domains:
        tree = trees[spec.ascii]
        export = tenant_mod.export_for(spec, exports)
        checks = checks_mod.evaluate(spec, answers, spf_outcomes[spec.ascii], export=export)
        rspecs, records = plans[spec.ascii]
        conflict = drift_mod.rfc8020_conflict(
            spec.fqdn, [answers.get(*k) for k in checks_mod.base_queries(spec)])
        if conflict:  # answers that contradict each other: unknown, never fail or drift
            checks = checks_mod.unknown_checks(spec, conflict, export)
            records = drift_mod.all_unknown(records, drift_mod.INCONSISTENT)
        records = drift_mod.date_changes(spec.ascii, records, sightings, now)
        lookups = _domain_lookups(spec, answers, tree)
        reports.append(DomainReport(spec, checks, records, lookups, tree, SOURCE_LIVE, now,
                                    flapped=flapped.get(spec.ascii, []),
                                    tenant_export=export.summary() if export else None))
    return RunReport(now, resolver.description, True, reason, False, baseline, reports,
                     lookup_seconds=time.monotonic() - started,
                     queries=resolver.stats.queries)


# ---- the phases --------------------------------------------------------------------------------

def _health(config: Config, resolver: Resolver) -> tuple[bool, str]:
    """The canary must resolve before anything is judged (CONTRACT.md)."""
    canary = resolver.lookup(*config.canary)
    if canary.status == FOUND:
        return True, f"canary {config.canary[0]} {config.canary[1]} answered"
    return False, f"canary {config.canary[0]} {config.canary[1]}: {canary.describe()}"


def _resolve_base(config: Config, resolver: Resolver) -> None:
    """Every base lookup of every domain, at once (one wave)."""
    resolver.lookup_many([key for spec in config.domains for key in checks_mod.base_queries(spec)])


def _plan_drift(config: Config, resolver: Resolver, baseline: Baseline, confirm_delay: float, sleep,
                ca_bundle: str | None = None):
    """The drift plan of every domain; a difference is looked at a second time, ``confirm_delay``
    seconds later, before it counts. Returns ({ascii: (record specs, reports)}, {ascii: flaps})."""
    plans = {}
    confirm = {}
    for spec in config.domains:
        rspecs = record_specs(spec)
        observed = [observe(r, resolver.cached(*r.source)) for r in rspecs]
        plans[spec.ascii] = (rspecs, drift_mod.plan(observed, baseline.records(spec.ascii)))
        for r, rep in zip(*plans[spec.ascii]):
            if rep.status in drift_mod.LOOK_AGAIN:
                confirm[r.source] = True
    flapped: dict[str, list[str]] = {}
    if not confirm:
        return plans, flapped
    sleep(confirm_delay)
    resolver.lookup_many([k for k in confirm if k[1] != mtasts.RDTYPE], fresh=True)
    _fetch_policies([spec for spec in config.domains
                     if (mtasts.lookup_name(spec.fqdn), mtasts.RDTYPE) in confirm],
                    resolver, ca_bundle, config.lifetime)
    for spec in config.domains:
        rspecs, reports = plans[spec.ascii]
        observed = [observe(r, resolver.cached(*r.source)) for r in rspecs]
        second, labels = drift_mod.second_look(
            reports, drift_mod.plan(observed, baseline.records(spec.ascii)))
        if labels:
            flapped[spec.ascii] = labels
        plans[spec.ascii] = (rspecs, second)
    return plans, flapped


def _resolve_spf(config: Config, resolver) -> tuple[dict, dict]:
    """SPF, all domains at once: the include trees wave by wave (each walk bounded by RFC 7208's
    limit of DNS-querying terms), then every evaluation the checks need, whose remaining lookups
    (addresses of MX hosts, macro-expanded names, ptr, exp) are resolved in further waves.
    Returns ({ascii: tree}, {ascii: spf outcome}).
    """
    answers = resolver.answers
    lookup_many = resolver.lookup_many if isinstance(resolver, Resolver) else None  # offline: none
    trees: dict[str, spf.Tree] = {}
    # the policies whose ranges are tested (Microsoft 365's, the filters'), with their includes
    source_trees = dict.fromkeys(name for spec in config.domains for name in spf_policy.sources(spec))
    for _ in range(MAX_SPF_WAVES):
        # A walk with nothing pending is final (answers only grow): only the others walk again.
        for spec in config.domains:
            if spec.ascii not in trees or trees[spec.ascii].pending:
                trees[spec.ascii] = spf.analyze(spec.fqdn, answers)
        for name, tree in source_trees.items():
            if tree is None or tree.pending:
                source_trees[name] = spf.analyze(name, answers)
        pending = [k for t in (*trees.values(), *source_trees.values()) for k in t.pending]
        pending = list(dict.fromkeys(pending))
        if not pending or lookup_many is None:
            break
        lookup_many(pending)
    published = spf_policy.Published.read(config.domains, answers)
    requests = {spec.ascii: spf_policy.requests(spec, published, trees[spec.ascii]) for spec in config.domains}
    evaluations = spf.settle([r for reqs in requests.values() for r in reqs], answers, lookup_many)
    outcomes = {spec.ascii: spf_policy.outcome(spec, published, evaluations, trees[spec.ascii])
                for spec in config.domains}
    # Pages show the tree for reading; where its counts could differ from evaluation's (the walk
    # takes every branch), evaluation wins: the tree carries the evaluations' counts.
    for spec in config.domains:
        evs = outcomes[spec.ascii].all()
        if evs and spec.ascii in trees:
            trees[spec.ascii] = dataclasses.replace(
                trees[spec.ascii], dns_terms=max(ev.dns_terms for ev in evs),
                void_lookups=max(ev.void_lookups for ev in evs),
                loop=any(ev.loop for ev in evs) or trees[spec.ascii].loop)
    return trees, outcomes


def evaluate_spf(spec: DomainSpec, resolver: Resolver):
    """One domain's base lookups, SPF tree and SPF evaluations with a live resolver:
    (tree, :class:`~macros.spf.policy.Outcome`)."""
    single = Config(path="<one domain>", domains=(spec,))
    _resolve_base(single, resolver)
    trees, outcomes = _resolve_spf(single, resolver)
    return trees[spec.ascii], outcomes[spec.ascii]


def check_domain(spec: DomainSpec, resolver: Resolver) -> list[Check]:
    """The checks of one domain with a live resolver, every phase but drift (tests, one-offs)."""
    tree, outcome = evaluate_spf(spec, resolver)
    _prefetch_dependent([spec], resolver, None, resolver.lifetime)
    return checks_mod.evaluate(spec, resolver.answers, outcome)


def _prefetch_dependent(domains, resolver: Resolver, ca_bundle: str | None, timeout: float) -> None:
    """The wave after the base lookups: what the first answers point at (DMARC report
    authorization names, ``mta-sts.<domain>`` addresses), all domains at once; then every
    MTA-STS policy fetch at once (:func:`_fetch_policies`)."""
    keys = [k for spec in domains for k in checks_mod.dependent_queries(spec, resolver.cached)]
    if keys:
        resolver.lookup_many(keys)
    _fetch_policies(domains, resolver, ca_bundle, timeout)


def _fetch_policies(domains, resolver: Resolver, ca_bundle: str | None, timeout: float) -> None:
    """Fetch the MTA-STS policy of every domain that publishes a valid ``_mta-sts`` record,
    concurrently (threads), each bounded by ``timeout``; store each outcome in the resolver's
    cache as a ``MTA-STS`` lookup. A domain whose ``_mta-sts`` answer is definite but announces
    no policy gets a definite empty one, so its record set is "none", not unknown."""
    jobs = []
    for spec in domains:
        name = mtasts.lookup_name(spec.fqdn)
        txt = resolver.cached("_mta-sts." + spec.fqdn, "TXT")
        if txt is None:
            continue
        if not txt.definite:  # could not find out whether there is a policy, nor why not
            resolver.store(Lookup(name, mtasts.RDTYPE, txt.status, reason=f"the _mta-sts lookup: {txt.describe()}"))
            continue
        if not checks_mod.needs_policy(spec, resolver.cached):
            resolver.store(Lookup(name, mtasts.RDTYPE, NODATA,
                                  reason="no valid _mta-sts record, so senders fetch no policy"))
            continue
        answers = [resolver.cached(name, t) for t in ("A", "AAAA")]
        addresses = [v for lk in answers if lk is not None and lk.found for v in lk.values]
        unanswered = [lk.describe() if lk is not None else "not asked" for lk in answers
                      if lk is None or not lk.definite]
        if not addresses and unanswered:
            # No address, and no definite "none" either: whether there is a policy is unknown
            # (a timeout is never "policy removed").
            status = next((lk.status for lk in answers if lk is not None and not lk.definite), ERROR)
            resolver.store(Lookup(name, mtasts.RDTYPE, status,
                                  reason=f"the address of {mtasts.policy_host(spec.fqdn)}: {unanswered[0]}"))
            continue
        jobs.append((spec, addresses))
    if not jobs:
        return
    try:
        ctx = mtasts.context(ca_bundle)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        for spec, _ in jobs:
            resolver.store(Lookup(mtasts.lookup_name(spec.fqdn), mtasts.RDTYPE, ERROR,
                                  reason=f"MAILFLOW_CA_BUNDLE {ca_bundle!r} cannot be used ({exc})"))
        return
    with ThreadPoolExecutor(max_workers=min(32, len(jobs))) as pool:
        outcomes = list(pool.map(lambda job: mtasts.fetch(job[0].fqdn, job[1], ctx, timeout), jobs))
    for outcome in outcomes:
        resolver.store(outcome)


def _domain_lookups(spec: DomainSpec, answers, tree) -> list[Lookup]:
    """The lookups shown on a domain's page: its base lookups, then its SPF tree's records,
    from ``answers`` (the live cache, or the baseline offline)."""
    keys = list(checks_mod.base_queries(spec))
    keys += checks_mod.dependent_queries(spec, answers.get)
    if tree is not None:
        keys += [(d, "TXT") for d in tree.includes]
    seen, result = set(), []
    for key in keys:
        lk = answers.get(*key)
        if lk is None or lk.key in seen:
            continue
        seen.add(lk.key)
        result.append(lk)
    return result


def _not_live(spec: DomainSpec, baseline: Baseline, checks: list[Check], tree, why: str,
              now: str, export=None, sightings=None) -> DomainReport:
    """A domain nothing was asked about: every record set unknown, beside its baseline values,
    each keeping the earliest "first seen" of the previous report (``sightings``, see
    :func:`drift.previous_sightings`), and the lookups the baseline holds."""
    base = baseline.records(spec.ascii)
    accepted = {key: rs.values for key, rs in (base or {}).items()}
    records = [RecordReport(r.name, r.type, UNKNOWN, accepted.get((r.name, r.type)), None, why)
               for r in record_specs(spec)]
    records = drift_mod.date_changes(spec.ascii, records, sightings or {}, now)
    lookups = _domain_lookups(spec, BaselineResolver(baseline).stored, None)
    source = SOURCE_BASELINE if base is not None else SOURCE_NONE
    return DomainReport(spec, checks, records, lookups, tree, source, now,
                        tenant_export=export.summary() if export else None)


def _unhealthy_report(spec: DomainSpec, baseline: Baseline, reason: str, now: str,
                      exports=None, sightings=None) -> DomainReport:
    export = tenant_mod.export_for(spec, exports)
    checks = checks_mod.unknown_checks(spec, f"checks could not run: {reason}", export)
    return _not_live(spec, baseline, checks, None, "not asked", now, export, sightings)


def _run_offline(config: Config, baseline: Baseline, now: str, exports=None, sightings=None) -> RunReport:
    offline_resolver = BaselineResolver(baseline)
    # SPF for every domain the baseline knows at once, as a live run does (domains publishing
    # the same record share their evaluations)
    known = tuple(spec for spec in config.domains if baseline.records(spec.ascii) is not None)
    trees, outcomes = _resolve_spf(Config(config.path, known), offline_resolver) if known else ({}, {})
    reports = []
    for spec in config.domains:
        export = tenant_mod.export_for(spec, exports)
        if spec.ascii not in trees:
            checks = checks_mod.unknown_checks(
                spec, "offline and no baseline for this domain yet: no records are known", export)
            tree = None
        else:
            tree = trees[spec.ascii]
            checks = checks_mod.evaluate(spec, offline_resolver.answers, outcomes[spec.ascii],
                                         export=export)
        reports.append(_not_live(spec, baseline, checks, tree, "offline", now, export, sightings))
    reason = "offline: no DNS asked"
    return RunReport(now, offline_resolver.description, False, reason, True, baseline, reports)


__all__ = ["run", "RunReport", "DomainReport", "record_specs", "observe", "utc_now", "check_domain",
           "evaluate_spf"]
