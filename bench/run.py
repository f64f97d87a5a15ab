"""The scale benchmark: N generated domains served with added latency; lookups, build times, memory.

For each size N (default 300 and 1000):

1. generate N realistic domains (bench/zonegen.py) into ``bench/results/n<N>/``: ``zone.json``
   and a ``domains.yml`` whose ``resolver.max_in_flight`` is ``--max-in-flight``;
2. serve them from bench/dnsserver.py on 127.0.0.1 (a separate process; every answer sent
   ``--latency-ms`` after its query arrived, all queries waiting concurrently);
3. lookup phase: ``engine.run`` in a fresh process (as in a build) with a ``Resolver`` pointed at
   that server, after one uncounted run (median of ``--lookup-runs``): queries, wall and CPU time,
   peak queries in flight (client and server);
4. ``python -m macros baseline`` (so offline mode has data), then ``mkdocs build --strict`` live
   (``MAILFLOW_NAMESERVERS=127.0.0.1:PORT``) and offline (``MAILFLOW_OFFLINE=1``), each a child
   process timed from start to exit, its peak RSS from ``os.wait4``'s rusage.

Prints a table and the targets (met / not met), writes ``bench/results/latest.json``.
Nothing here asserts: the targets are measured and reported (see bench/README.md).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import dnsserver  # noqa: E402
import zonegen  # noqa: E402

#: The issue's targets.
TARGET_RATIO = 1.3          # live build <= 1.3x offline build, at N=300 and 30 ms
TARGET_LOOKUP_S = 5.0       # lookup phase < 5 s, at N=1000 and 30 ms
TARGET_RSS_MB = 500.0       # peak memory < 500 MB, at N=1000
TARGET_LATENCY_MS = 30.0

#: Above this average use of the CPU by other processes, the table warns that times are inflated.
BUSY_CORES = 0.25

ENGINE_LINE = re.compile(r"checked (\d+) domain\(s\) with (\d+) queries in ([\d.]+) s")


# ---- the DNS server, as a child process ---------------------------------------------------------

@contextmanager
def dns_server(zone_file: Path, latency_ms: float, cname_data: bool, log: Path):
    """Start bench/dnsserver.py on a free port; yield the port; stop it (by its pid) afterwards."""
    cmd = [sys.executable, str(BENCH / "dnsserver.py"), "--zone", str(zone_file),
           "--latency-ms", str(latency_ms)]
    if not cname_data:
        cmd.append("--no-cname-data")
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        try:
            line = proc.stdout.readline()
            if not line.startswith("READY "):
                raise RuntimeError(f"the DNS server did not start (see {log})")
            yield int(line.split()[1])
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# ---- lookup phase (in this process) -------------------------------------------------------------

def _counting_resolver_class():
    from macros.resolve import Resolver

    class CountingResolver(Resolver):
        """A Resolver that records every batch that went to the wire: (keys, queries, seconds)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.batches: list[tuple[int, int, float]] = []

        def lookup_many(self, keys, fresh=False):
            keys = list(keys)
            before, started = self.stats.queries, time.perf_counter()
            result = super().lookup_many(keys, fresh=fresh)
            sent = self.stats.queries - before
            if sent:
                self.batches.append((len(keys), sent, time.perf_counter() - started))
            return result

    return CountingResolver


def lookup_phase(domains_file: Path, port: int, profile_to: Path | None = None) -> dict:
    """One ``engine.run`` against the bench server; what it asked and how long it took."""
    from macros import config as config_mod
    from macros import engine
    from macros.baseline import Baseline

    config = config_mod.load(domains_file)
    resolver = _counting_resolver_class()(
        [("127.0.0.1", port)], timeout=config.timeout, lifetime=config.lifetime,
        max_in_flight=config.max_in_flight)
    dnsserver.stats("127.0.0.1", port, reset=True)
    profiler = cProfile.Profile() if profile_to else None
    cpu_started, started = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    report = engine.run(config, resolver, Baseline(path="(none)"),
                        confirm_delay=config.confirm_delay)
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    server = dnsserver.stats("127.0.0.1", port)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        profile_to.write_text(out.getvalue(), encoding="utf-8")
    checks = Counter(c.status for d in report.domains for c in d.checks)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "healthy": report.healthy,
        "health_reason": report.health_reason,
        "lookups": len(resolver.all_lookups()),
        "queries": resolver.stats.queries,
        "retries": resolver.stats.retries,
        "network_s": resolver.stats.seconds,
        "peak_in_flight": resolver.stats.peak_in_flight,
        "max_in_flight": config.max_in_flight,
        "batches": [{"keys": k, "queries": q, "seconds": round(s, 4)} for k, q, s in resolver.batches],
        "server": server,
        "checks": dict(sorted(checks.items())),
    }


def lookup_child(domains_file: Path, port: int, profile_to: Path | None = None) -> dict:
    """:func:`lookup_phase` in a fresh process, as a build runs it: no cache warm from a previous run."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--lookup-child", str(domains_file), str(port)]
    if profile_to:
        cmd += ["--profile-to", str(profile_to)]
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)  # the child's own peak memory
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"lookup phase failed:\n{err.read()[-3000:]}")
        result = json.loads(out.read())
    result["max_rss_mb"] = usage.ru_maxrss / 1024.0
    return result


def latency_floor(batches: list[dict], max_in_flight: int, latency_s: float) -> float:
    """The least time those batches can take: each needs ceil(queries / max_in_flight) round trips."""
    return sum(math.ceil(b["queries"] / max_in_flight) for b in batches) * latency_s


# ---- builds and the baseline (child processes) --------------------------------------------------

def timed(cmd: list[str], env: dict, log: Path) -> dict:
    """Run ``cmd`` from the repository root; wall time and the child's own peak RSS (os.wait4)."""
    with open(log, "w", encoding="utf-8") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text(encoding="utf-8", errors="replace")
    result = {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "rc": proc.returncode,
              "max_rss_mb": usage.ru_maxrss / 1024.0, "log": str(log.relative_to(ROOT))}
    match = ENGINE_LINE.search(text)
    if match:
        result["engine"] = {"domains": int(match[1]), "queries": int(match[2]),
                            "seconds": float(match[3])}
    if proc.returncode != 0:
        result["tail"] = text.strip().splitlines()[-15:]
    return result


def base_env(workdir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    env["MAILFLOW_DOMAINS"] = str(workdir / "domains.yml")
    env["MAILFLOW_BASELINE"] = str(workdir / "baseline.yml")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def build(env: dict, log: Path) -> dict:
    site = Path(tempfile.mkdtemp(prefix="mailflow-bench-site-"))
    try:
        return timed([sys.executable, "-m", "mkdocs", "build", "--strict",
                      "-f", str(ROOT / "mkdocs.yml"), "-d", str(site)], env, log)
    finally:
        shutil.rmtree(site, ignore_errors=True)


class OtherCPU:
    """CPU time that processes other than this one and its children used since creation, in
    cores (from /proc/stat); call after every child started meanwhile has been waited for."""

    def __init__(self):
        self.wall, self.busy, self.own = time.perf_counter(), self._busy(), self._own()

    @staticmethod
    def _busy() -> float:
        try:
            fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        except OSError:
            return 0.0
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def cores(self) -> float:
        wall = time.perf_counter() - self.wall
        other = (self._busy() - self.busy) - (self._own() - self.own)
        return max(0.0, other / wall) if wall > 0 else 0.0


# ---- one size -----------------------------------------------------------------------------------

def run_size(n: int, args, warm_up: bool) -> dict:
    workdir = RESULTS / f"n{n}"
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    zone, entries = zonegen.generate(n, spf_depth=args.spf_depth)
    zone_file = workdir / "zone.json"
    zone_file.write_text(json.dumps(zone), encoding="utf-8")
    doc = zonegen.domains_yaml(entries, args.max_in_flight)
    (workdir / "domains.yml").write_text(
        "# Generated by bench/run.py; see bench/README.md.\n"
        + yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=120),
        encoding="utf-8")
    latency_s = args.latency_ms / 1000.0
    result: dict = {"domains": n, "records": len(zone["records"]), "workdir": str(workdir.relative_to(ROOT)),
                    }
    meter = OtherCPU()
    say(f"N={n}: {len(zone['records'])} record sets, serving with {args.latency_ms:g} ms latency")

    with dns_server(zone_file, args.latency_ms, not args.no_cname_data, workdir / "dnsserver.log") as port:
        warm = lookup_child(workdir / "domains.yml", port)
        say(f"  lookup phase warm-up (not counted; fills the server's reply cache): {warm['wall_s']:.2f} s")
        runs = []
        for i in range(args.lookup_runs):
            profile_to = workdir / "profile-lookup.txt" if args.profile and i == 0 else None
            lk = lookup_child(workdir / "domains.yml", port, profile_to)
            lk["latency_floor_s"] = latency_floor(lk["batches"], lk["max_in_flight"], latency_s)
            runs.append(lk)
            say(f"  lookup phase run {i + 1}: {lk['wall_s']:.2f} s, {lk['queries']} queries, "
                f"peak in flight {lk['peak_in_flight']} (server {lk['server']['peak_pending']})")
        result["lookup_runs"] = runs
        result["lookup"] = {
            "wall_s": statistics.median(r["wall_s"] for r in runs),
            "dns_s": statistics.median(r["network_s"] for r in runs),
            "cpu_s": statistics.median(r["cpu_s"] for r in runs),
            "queries": runs[-1]["queries"],
            "lookups": runs[-1]["lookups"],
            "server_queries": runs[-1]["server"]["queries"],
            "peak_in_flight": max(r["peak_in_flight"] for r in runs),
            "server_peak_pending": max(r["server"]["peak_pending"] for r in runs),
            "max_in_flight": runs[-1]["max_in_flight"],
            "latency_floor_s": runs[-1]["latency_floor_s"],
            "waves": len(runs[-1]["batches"]),
            "healthy": runs[-1]["healthy"],
            "checks": runs[-1]["checks"],
            "verdicts": " ".join(f"{k}:{v}" for k, v in runs[-1]["checks"].items()),
            "max_rss_mb": max(r["max_rss_mb"] for r in runs),
        }
        if args.skip_builds:
            result["other_cpu_cores"] = meter.cores()
            return result

        env = base_env(workdir)
        live_env = dict(env, MAILFLOW_NAMESERVERS=f"127.0.0.1:{port}")
        offline_env = dict(env, MAILFLOW_OFFLINE="1")
        say("  python -m macros baseline ...")
        result["baseline"] = timed([sys.executable, "-m", "macros", "baseline"], live_env,
                                   workdir / "baseline.log")
        if result["baseline"]["rc"] != 0:
            say(f"  baseline refused (rc {result['baseline']['rc']}); offline builds show no records")
        say("  python -m macros check ...")
        result["check"] = timed([sys.executable, "-m", "macros", "check"], live_env, workdir / "check.log")
        if warm_up:
            say("  warm-up build (not counted) ...")
            build(offline_env, workdir / "build-warmup.log")
        live, offline = [], []
        for i in range(args.repeat):
            say(f"  live build {i + 1} ...")
            live.append(build(live_env, workdir / f"build-live-{i + 1}.log"))
            say(f"  offline build {i + 1} ...")
            offline.append(build(offline_env, workdir / f"build-offline-{i + 1}.log"))
    result["live_builds"], result["offline_builds"] = live, offline
    ok = all(b["rc"] == 0 for b in live + offline)
    live_s = statistics.median(b["wall_s"] for b in live)
    offline_s = statistics.median(b["wall_s"] for b in offline)
    result["builds"] = {
        "ok": ok,
        "succeeded": "yes" if ok else "NO",
        "live_s": live_s,
        "offline_s": offline_s,
        "ratio": live_s / offline_s if offline_s else None,
        "live_engine_s": statistics.median(b.get("engine", {}).get("seconds", float("nan")) for b in live),
        "live_cpu_s": statistics.median(b["cpu_s"] for b in live),
        "offline_cpu_s": statistics.median(b["cpu_s"] for b in offline),
        "live_rss_mb": max(b["max_rss_mb"] for b in live),
        "offline_rss_mb": max(b["max_rss_mb"] for b in offline),
        "baseline_s": result["baseline"]["wall_s"],
        "baseline_rss_mb": result["baseline"]["max_rss_mb"],
        "check_s": result["check"]["wall_s"],
        "check_rss_mb": result["check"]["max_rss_mb"],
    }
    result["other_cpu_cores"] = meter.cores()
    for b in live + offline:
        if b["rc"] != 0:
            say(f"  build FAILED (rc {b['rc']}), see {b['log']}:\n    " + "\n    ".join(b.get("tail", [])))
    return result


# ---- targets, table, machine --------------------------------------------------------------------

def targets(sizes: list[dict], args) -> list[dict]:
    by_n = {s["domains"]: s for s in sizes}
    at_30 = args.latency_ms == TARGET_LATENCY_MS
    out = []

    def add(name, measured, met, note=""):
        out.append({"target": name, "measured": measured, "met": met, "note": note})

    s300 = by_n.get(300)
    name = f"live build <= {TARGET_RATIO}x offline build (N=300, 30 ms)"
    if s300 and at_30 and "builds" in s300:
        b = s300["builds"]
        add(name, f"{b['ratio']:.2f}x ({b['live_s']:.1f} s / {b['offline_s']:.1f} s)",
            bool(b["ok"] and b["ratio"] <= TARGET_RATIO), "" if b["ok"] else "a build failed")
    else:
        add(name, "not measured", None, "needs N=300, --latency-ms 30 and builds")

    s1000 = by_n.get(1000)
    name = f"lookup phase < {TARGET_LOOKUP_S:g} s (N=1000, 30 ms)"
    if s1000 and at_30:
        lk = s1000["lookup"]
        # The lookup phase is the DNS resolution of every wave (Resolver.stats.seconds); the checks
        # that follow (pure CPU, ~1.5 ms a domain) are reported apart, in engine.run's total.
        add(name, f"{lk['dns_s']:.2f} s (engine.run with checks {lk['wall_s']:.2f} s)",
            lk["dns_s"] < TARGET_LOOKUP_S and lk["healthy"],
            "" if lk["healthy"] else "resolver unhealthy: the run did not check anything")
        name = "queries in flight <= max_in_flight (N=1000)"
        worst = max(lk["peak_in_flight"], lk["server_peak_pending"])
        add(name, f"{lk['peak_in_flight']} client / {lk['server_peak_pending']} server, limit {lk['max_in_flight']}",
            worst <= lk["max_in_flight"])
    else:
        add(name, "not measured", None, "needs N=1000 and --latency-ms 30")

    name = f"peak memory < {TARGET_RSS_MB:g} MB (N=1000 build)"
    if s1000 and "builds" in s1000:
        b = s1000["builds"]
        peak = max(b["live_rss_mb"], b["offline_rss_mb"])
        add(name, f"{peak:.0f} MB", peak < TARGET_RSS_MB)
    else:
        add(name, "not measured", None, "needs N=1000 and builds")
    return out


#: The table's rows: a label and a str.format template over one size's result.
TABLE_ROWS = (
    ("domains", "{domains}"),
    ("distinct lookups (name, type)", "{lookup[lookups]:,}"),
    ("queries sent (server received)", "{lookup[queries]:,} ({lookup[server_queries]:,})"),
    ("batches on the wire", "{lookup[waves]}"),
    ("lookup phase: DNS resolution [s]", "{lookup[dns_s]:.2f}"),
    ("engine.run: lookups + checks [s]", "{lookup[wall_s]:.2f}"),
    ("  CPU of that process [s]", "{lookup[cpu_s]:.2f}"),
    ("  latency floor [s]", "{lookup[latency_floor_s]:.2f}"),
    ("peak in flight client/server", "{lookup[peak_in_flight]}/{lookup[server_peak_pending]} (max {lookup[max_in_flight]})"),
    ("check verdicts", "{lookup[verdicts]}"),
    ("baseline command [s]", "{builds[baseline_s]:.1f}"),
    ("mkdocs build live [s]", "{builds[live_s]:.1f}"),
    ("  of which engine.run [s]", "{builds[live_engine_s]:.2f}"),
    ("mkdocs build offline [s]", "{builds[offline_s]:.1f}"),
    ("build CPU live/offline [s]", "{builds[live_cpu_s]:.1f}/{builds[offline_cpu_s]:.1f}"),
    ("live / offline", "{builds[ratio]:.2f}x"),
    ("check command [s]", "{builds[check_s]:.1f}"),
    ("peak RSS lookup phase [MB]", "{lookup[max_rss_mb]:.0f}"),
    ("peak RSS baseline/check [MB]", "{builds[baseline_rss_mb]:.0f}/{builds[check_rss_mb]:.0f}"),
    ("peak RSS live/offline [MB]", "{builds[live_rss_mb]:.0f}/{builds[offline_rss_mb]:.0f}"),
    ("builds succeeded", "{builds[succeeded]}"),
    ("other processes' CPU [cores]", "{other_cpu_cores:.2f}"),
)


def table(sizes: list[dict], goals: list[dict], args) -> str:
    rows: list[tuple[str, list[str]]] = []
    for label, template in TABLE_ROWS:
        cells = []
        for size in sizes:
            try:
                cells.append(template.format(**size))
            except (KeyError, TypeError, ValueError):
                cells.append("-")
        rows.append((label, cells))

    head = (f"latency {args.latency_ms:g} ms, max_in_flight {args.max_in_flight}, SPF chain depth "
            f"{args.spf_depth}, lookup phase median of {args.lookup_runs}, builds median of {args.repeat}")
    width = max(len(label) for label, _ in rows)
    colw = [max(len(c[i]) for _, c in rows) for i in range(len(sizes))]
    lines = [head, ""]
    header = "metric".ljust(width) + "  " + "  ".join(f"N={s['domains']}".rjust(w) for s, w in zip(sizes, colw))
    lines += [header, "-" * len(header)]
    for label, cells in rows:
        lines.append(label.ljust(width) + "  " + "  ".join(c.rjust(w) for c, w in zip(cells, colw)))
    if any(s["other_cpu_cores"] > BUSY_CORES for s in sizes):
        lines += ["", f"warning: other processes used more than {BUSY_CORES:g} cores on average while this ran; "
                      "wall times are inflated (compare the CPU times, or run again on a quiet machine)"]
    lines += ["", "targets:"]
    tw = max(len(g["target"]) for g in goals)
    for g in goals:
        verdict = {True: "met", False: "NOT MET", None: "-"}[g["met"]]
        note = f"  ({g['note']})" if g["note"] else ""
        lines.append(f"  {g['target'].ljust(tw)}  {g['measured']:<40} {verdict}{note}")
    return "\n".join(lines)


def machine() -> dict:
    info = {"python": platform.python_version(), "kernel": platform.release()}
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        models = re.findall(r"^model name\s*:\s*(.+)$", cpu, re.M)
        info["cpu"] = models[0] if models else platform.processor()
        info["cores"] = len(re.findall(r"^processor\s*:", cpu, re.M))
    except OSError:
        info["cores"] = os.cpu_count()
    try:
        mem = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        info["memory_gib"] = round(int(mem[1]) / 1024 / 1024, 1)
    except (OSError, TypeError):
        pass
    try:
        osr = Path("/etc/os-release").read_text()
        info["os"] = re.search(r'^PRETTY_NAME="?([^"\n]+)', osr, re.M)[1]
    except (OSError, TypeError):
        pass
    try:
        import dns.version
        import mkdocs
        info["dnspython"] = dns.version.version
        info["mkdocs"] = mkdocs.__version__
    except ImportError:
        pass
    return info


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


#: Named cases. ``helpdesk-5000``: a large helpdesk's 5,000 domains, once (each step runs once:
#: the whole case takes about 10 minutes on 2 cores and most of a GB of memory at its peak).
PRESETS = {
    "helpdesk-5000": {"sizes": "5000", "domains": None, "lookup_runs": 1, "repeat": 1, "no_warmup": True},
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Mail-flow scale benchmark (see bench/README.md).")
    p.add_argument("--sizes", default="300,1000",
                   help="comma-separated domain counts to run (default: 300,1000)")
    p.add_argument("--domains", type=int, metavar="N",
                   help="run one size only (the same as --sizes N)")
    p.add_argument("--latency-ms", type=float, default=30.0, help="added per answer (default 30)")
    p.add_argument("--max-in-flight", type=int, default=64,
                   help="domains.yml resolver.max_in_flight (default 64)")
    p.add_argument("--spf-depth", type=int, default=3,
                   help=f"includes below spf.hornetsecurity.com, 1..{zonegen.MAX_SPF_DEPTH} (default 3)")
    p.add_argument("--lookup-runs", type=int, default=3, help="lookup phase runs, median (default 3)")
    p.add_argument("--repeat", type=int, default=1, help="builds of each kind per size, median (default 1)")
    p.add_argument("--skip-builds", action="store_true", help="lookup phase only")
    p.add_argument("--no-warmup", action="store_true", help="skip the uncounted first build")
    p.add_argument("--no-cname-data", action="store_true",
                   help="the server answers a CNAME without its target's data")
    p.add_argument("--profile", action="store_true",
                   help="cProfile the first lookup run of each size into bench/results/n<N>/")
    p.add_argument("--preset", choices=sorted(PRESETS),
                   help="a named case; its values replace --sizes/--lookup-runs/--repeat/--no-warmup")
    args = p.parse_args(argv)
    for key, value in PRESETS.get(args.preset, {}).items():
        setattr(args, key, value)
    try:
        args.size_list = [args.domains] if args.domains else [int(x) for x in args.sizes.split(",") if x.strip()]
    except ValueError:
        p.error(f"--sizes {args.sizes!r}: give numbers like 300,1000")
    if not args.size_list or min(args.size_list) < 1:
        p.error("sizes must be at least 1")
    if not 1 <= args.spf_depth <= zonegen.MAX_SPF_DEPTH:
        p.error(f"--spf-depth must be 1..{zonegen.MAX_SPF_DEPTH}")
    if args.lookup_runs < 1 or args.repeat < 1:
        p.error("--lookup-runs and --repeat must be at least 1")
    return args


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--lookup-child"]:  # internal: one lookup phase, JSON on stdout
        profile_to = Path(argv[4]) if argv[3:4] == ["--profile-to"] else None
        print(json.dumps(lookup_phase(Path(argv[1]), int(argv[2]), profile_to)))
        return 0
    args = parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.time()
    sizes = []
    for i, n in enumerate(args.size_list):
        sizes.append(run_size(n, args, warm_up=(i == 0 and not args.no_warmup and not args.skip_builds)))
    goals = targets(sizes, args)
    report = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(time.time() - started, 1),
        "machine": machine(),
        "params": {"sizes": args.size_list, "latency_ms": args.latency_ms,
                   "max_in_flight": args.max_in_flight, "spf_depth": args.spf_depth,
                   "lookup_runs": args.lookup_runs, "repeat": args.repeat,
                   "cname_data": not args.no_cname_data, "skip_builds": args.skip_builds},
        "sizes": sizes,
        "targets": goals,
    }
    text = table(sizes, goals, args)
    print(text)
    out = RESULTS / "latest.json"
    out.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"\nwritten: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
