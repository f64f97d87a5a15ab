"""SPF depth benchmark (issue 10): does DNS time grow with the depth of records, not with the
number of domains?

Two sets of 30 domains are served by bench/dnsserver.py with 100 ms added to every answer:
*plain* (``include:spf.protection.outlook.com include:spf.hornetsecurity.com -all``) and *deep*,
where each record also has two ``a:`` terms whose hosts have only AAAA records (void lookups for
an IPv4 sender, addresses for an IPv6 one). Every lookup the SPF checks need, including what
evaluation asks (A and AAAA of the hosts), goes out in concurrent waves, so the deep set should
cost about the same wall time as the plain one: the target is deep/plain <= 1.5.

    .venv/bin/python bench/spf_depth.py [--domains 30] [--latency-ms 100]

prints one line per set (wall time of the engine run, queries, waves) and the ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import zonegen  # noqa: E402
from run import _counting_resolver_class, dns_server  # noqa: E402

from macros import config as config_mod  # noqa: E402
from macros import engine  # noqa: E402
from macros.baseline import Baseline  # noqa: E402


def zones(count: int, deep: bool) -> tuple[dict, list]:
    zone, entries = zonegen.generate(count, spf_depth=1)
    if not deep:
        return zone, entries
    names = {e["name"] for e in entries}
    records = []
    for name, rdtype, values in zone["records"]:
        if rdtype == "TXT" and name in names:
            values = [(v.replace("v=spf1 ", f"v=spf1 a:v6a.{name} a:v6b.{name} ", 1)
                       if v.startswith("v=spf1") else v) for v in values]
        records.append([name, rdtype, values])
    for name in names:
        records.append([f"v6a.{name}", "AAAA", ["2001:db8:a::1"]])
        records.append([f"v6b.{name}", "AAAA", ["2001:db8:b::1"]])
    return {**zone, "records": records}, entries


def measure(count: int, latency_ms: float, deep: bool, workdir: Path) -> dict:
    zone, entries = zones(count, deep)
    zone_file = workdir / ("deep.json" if deep else "plain.json")
    zone_file.write_text(json.dumps(zone), encoding="utf-8")
    config = config_mod.from_data({"domains": entries, "resolver": {"timeout": 2, "lifetime": 5}})
    with dns_server(zone_file, latency_ms, True, workdir / "dns.log") as port:
        resolver = _counting_resolver_class()([("127.0.0.1", port)], timeout=2, lifetime=5)
        started = time.perf_counter()
        run = engine.run(config, resolver, Baseline(path="memory"), confirm_delay=0)
        seconds = time.perf_counter() - started
    statuses = {c.status for d in run.domains for c in d.checks if c.id.startswith("spf-")}
    return {"seconds": seconds, "dns": resolver.stats.seconds, "queries": resolver.stats.queries,
            "waves": len(resolver.batches),
            "spf statuses": sorted(statuses)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--domains", type=int, default=30)
    p.add_argument("--latency-ms", type=float, default=100.0)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mailflow-spf-depth-") as tmp:
        work = Path(tmp)
        measure(2, args.latency_ms, False, work)  # warm-up, not counted
        plain = measure(args.domains, args.latency_ms, False, work)
        deep = measure(args.domains, args.latency_ms, True, work)
    print(f"{args.domains} domains, {args.latency_ms:g} ms per answer")
    print(f"{'set':<6} {'wall s':>7} {'DNS s':>6} {'queries':>8} {'waves':>6}  SPF statuses")
    for name, r in (("plain", plain), ("deep", deep)):
        print(f"{name:<6} {r['seconds']:>7.2f} {r['dns']:>6.2f} {r['queries']:>8} {r['waves']:>6}  "
              f"{', '.join(r['spf statuses'])}")
    print(f"deep/plain DNS time: {deep['dns'] / plain['dns']:.2f}x")
    ratio = deep["seconds"] / plain["seconds"]
    print(f"deep/plain wall time: {ratio:.2f}x (target <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
