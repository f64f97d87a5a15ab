"""The test world the engine, CLI and nightly tests share: domains.yml entries, zones from
tests/zones/ served by the fault server, and FlipDNS, whose answers flap."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import dns.message
import dns.rdatatype
import dns.zone

from macros import acceptance
from macros import config as config_mod
from macros import engine
from macros.baseline import Baseline
from macros.records import RecordSet
from macros.resolve import Resolver
from tests.support.fakedns import FakeDNS
from tests.support.sites import cli, make_project

ZONES = Path(__file__).resolve().parent.parent / "zones"

#: The zones a third-party-filter domain at Hornetsecurity reaches besides its own.
WORLD = ("outlook.com", "hornetsecurity.com", "onmicrosoft.com")

CONTOSO = {"name": "contoso.example", "scenario": "third-party-filter", "filter": "hornetsecurity",
           "tenant": "contoso"}
NESTED = {"name": "nested.example", "scenario": "third-party-filter", "filter": "hornetsecurity",
          "tenant": "nested"}
#: Both pass every check against tests/zones (test_clean_nightly_build_passes proves it), so
#: only drift or a resolver problem can fail a FAIL_ON_DRIFT build.
CLEAN_DOMAINS = [CONTOSO, NESTED]


def accepted(tmp_path, address: str, extra: dict | None = None):
    """A project of :data:`CLEAN_DOMAINS` whose baseline.yml was just written from ``address``."""
    project = make_project(tmp_path, CLEAN_DOMAINS, extra)
    result = cli(project, "baseline", MAILFLOW_NAMESERVERS=address)
    assert result.returncode == 0, result.stderr
    return project


def serve_zones(fake: FakeDNS, *origins: str) -> FakeDNS:
    """Load ``tests/zones/<origin>.zone`` into ``fake`` (each keeps its SOA, so stays its own zone)."""
    for origin in origins:
        zone = dns.zone.from_text((ZONES / f"{origin}.zone").read_text(encoding="utf-8"), origin=origin,
                                  relativize=False, check_origin=False)
        for name, node in zone.nodes.items():
            for rdataset in node:
                fake.set(name, rdataset.rdtype, list(rdataset))
    return fake


def domain_names(domain: str) -> list[str]:
    """Every name of a domain's own record sets (the apex carries MX and TXT)."""
    return [domain, f"_dmarc.{domain}", f"selector1._domainkey.{domain}",
            f"selector2._domainkey.{domain}", f"autodiscover.{domain}",
            f"_mta-sts.{domain}", f"_smtp._tls.{domain}"]


def make_config(*entries: dict, **resolver) -> config_mod.Config:
    data = {"domains": list(entries)}
    if resolver:
        data["resolver"] = resolver
    return config_mod.from_data(data, "test domains")


def accept(run: engine.RunReport, resolver: Resolver) -> Baseline:
    """What ``python -m macros baseline`` would accept from this run, as a loaded Baseline."""
    result = acceptance.accept(run, resolver, Baseline(path="memory"))
    assert not result.refusals and not result.kept and not result.left_out, result
    return result.baseline("memory", run.generated_at, run.resolver)


def accepted_baseline(domains: dict, written_at: str = "2026-11-28T02:00:00Z") -> Baseline:
    """A baseline that accepted ``domains``, written as {ascii: {(name, type): values}}."""
    return Baseline(path="memory", written_at=written_at, exists=True, domains={
        domain: {RecordSet(*key, values).key: RecordSet(*key, values) for key, values in table.items()}
        for domain, table in domains.items()})


def records_of(report: engine.DomainReport) -> dict:
    return {(r.name, r.type): r for r in report.records}


def checks_of(report: engine.DomainReport) -> dict:
    """The DNS checks' statuses (no tenant export here: the tenant checks are info, see
    tests/test_tenant.py)."""
    from macros.tenant import TENANT_CHECK_IDS

    assert {c.status for c in report.checks if c.id in TENANT_CHECK_IDS} == {"info"}
    return {c.id: c.status for c in report.checks if c.id not in TENANT_CHECK_IDS}


class FlipDNS(FakeDNS):
    """FakeDNS that can answer the next query of one record set with other values, then
    serve the original values again: an answer that flaps. Logs when each record set was asked."""

    def __init__(self):
        super().__init__()
        self._armed: dict[tuple[str, str], list[str]] = {}
        self.asked: dict[tuple[str, str], list[float]] = {}
        self._flip_lock = threading.Lock()

    @staticmethod
    def _key(name: str, rdtype: str) -> tuple[str, str]:
        return name.lower().rstrip("."), rdtype.upper()

    def flip_once(self, name: str, rdtype: str, values: list[str], original: list[str]) -> None:
        with self._flip_lock:
            self.set(name, rdtype, values)
            self._armed[self._key(name, rdtype)] = original
            self.asked.pop(self._key(name, rdtype), None)

    def _respond(self, wire: bytes, transport: str):
        reply = super()._respond(wire, transport)
        try:
            question = dns.message.from_wire(wire).question[0]
        except Exception:  # noqa: BLE001 - not a query we can name; nothing to flip
            return reply
        key = self._key(question.name.to_text(), dns.rdatatype.to_text(question.rdtype))
        with self._flip_lock:
            self.asked.setdefault(key, []).append(time.monotonic())
            original = self._armed.pop(key, None)
            if original is not None:
                self.set(key[0], key[1], original)
        return reply


class WaveResolver(Resolver):
    """A Resolver that counts its waves: calls of lookup_many that sent queries to the server,
    one after another (the structure DNS time follows, whatever the machine's load)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.waves = 0

    def lookup_many(self, keys, fresh=False):
        before = self.stats.queries
        result = super().lookup_many(keys, fresh=fresh)
        self.waves += self.stats.queries > before
        return result
