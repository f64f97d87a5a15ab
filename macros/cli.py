"""``python -m macros check|spf|baseline`` (CONTRACT.md "Command line").

Exit codes: 0 done; 1 drift or failed checks (``check``); 2 bad input or checks could not run.
Bad input prints one clear message to stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys

from . import acceptance
from . import baseline as baseline_mod
from . import config as config_mod
from . import engine, nightly, settings as settings_mod, tenant as tenant_mod
from .errors import MISSING_FILE, MailflowError
from .model import DRIFTED, NEW, SEVERITY
from .records import visible

EXIT_OK, EXIT_PROBLEMS, EXIT_BAD = 0, 1, 2


class InputError(Exception):
    """Bad input on the command line or in a file: printed as one message, exit 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: same shape as ours, exit 2
        self.print_usage(sys.stderr)
        raise InputError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m macros", description="Mail-flow DNS checks (see README).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    check = sub.add_parser("check", help="check domains and print a table (or --json)")
    check.add_argument("domains", nargs="*", metavar="DOMAIN",
                       help="domains to check (default: every domain in the domains file)")
    check.add_argument("--json", action="store_true", help="print one JSON list of domain reports")
    check.add_argument("--scenario", help="for a domain not in the file: exchange-online | "
                       "third-party-filter | hybrid-third-party")
    check.add_argument("--filter", dest="filter_key", help="for a domain not in the file: catalogue key")
    check.add_argument("--tenant", help="for a domain not in the file: tenant name (contoso)")
    check.add_argument("--onprem-ip", action="append", default=[], help="on-premises sending IP (repeatable)")
    check.add_argument("--filter-ip", action="append", default=[], help="filter sending IP (repeatable)")

    spf = sub.add_parser("spf", help="RFC 7208 check_host for one IP and sender")
    spf.add_argument("--ip", required=True)
    spf.add_argument("--sender", default="", help="MAIL FROM address (or a domain); leave out for a "
                     "null reverse-path (a bounce): then postmaster@<HELO> is checked")
    spf.add_argument("--helo", default="", help="HELO/EHLO host name")
    spf.add_argument("--json", action="store_true")

    base = sub.add_parser("baseline", help="write the baseline from live lookups (atomically)")
    base.add_argument("--force", action="store_true",
                      help="accept even when more than 30%% of an existing baseline would change")
    return parser


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
        settings = settings_mod.from_environ()
        if args.command == "check":
            return cmd_check(args, settings)
        if args.command == "spf":
            return cmd_spf(args, settings)
        return cmd_baseline(settings, force=args.force)
    except InputError as exc:
        print(f"error: {_clean(exc)}", file=sys.stderr)
        return EXIT_BAD
    except MailflowError as exc:  # every bad-input error of the family; its type sets the code
        print(f"error: {exc}", file=sys.stderr)  # str() of the family is already terminal-safe
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_BAD
    except BrokenPipeError:  # `check | head`: the reader left; say nothing more
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_OK


def _select(args, settings) -> config_mod.Config:
    """The domains to check: the file's, or the named ones (from the file, else from the flags)."""
    try:
        config = config_mod.load(settings.domains_file)
    except config_mod.ConfigError as exc:
        if not args.domains or MISSING_FILE not in exc.kinds:
            raise
        config = config_mod.from_data({"domains": []}, settings.domains_file)
    if not args.domains:
        return config
    entries, chosen, from_file = [], [], []
    for name in args.domains:
        scenario = args.scenario or (
            "hybrid-third-party" if args.filter_key and args.onprem_ip
            else "third-party-filter" if args.filter_key else "exchange-online")
        entry = {"name": name, "scenario": scenario}
        if args.filter_key:
            entry["filter"] = args.filter_key
        if args.tenant:
            entry["tenant"] = args.tenant
        if args.onprem_ip:
            entry["onprem_ips"] = args.onprem_ip
        if args.filter_ip:
            entry["filter_ips"] = args.filter_ip
        spec = config.get(name)
        if spec is not None:
            chosen.append(spec)
            from_file.append(entry)
            continue
        entries.append(entry)
    flags = args.scenario or args.filter_key or args.tenant or args.onprem_ip or args.filter_ip
    if entries:
        extra = config_mod.from_data({"domains": entries}, "command line")
        chosen.extend(extra.domains)
        if not args.scenario:
            for e in entries:
                print(f"note: {_clean(e['name'])} is not in {_clean(config.path)}: checked as {e['scenario']} "
                      f"(give --scenario to choose)", file=sys.stderr)
    elif flags:  # a bad flag value is bad input even when no named domain needs the flags
        config_mod.from_data({"domains": from_file[:1]}, "command line")
    if flags and from_file:
        names = ", ".join(e["name"] for e in from_file)
        print(f"note: {_clean(names)}: checked as {_clean(config.path)} says; the flags apply only to domains not in it",
              file=sys.stderr)
    seen, unique = set(), []
    for spec in chosen:
        if spec.ascii not in seen:
            seen.add(spec.ascii)
            unique.append(spec)
    return config_mod.Config(path=config.path, domains=tuple(unique), timeout=config.timeout,
                             lifetime=config.lifetime, max_in_flight=config.max_in_flight,
                             confirm_delay=config.confirm_delay, canary=config.canary)


def cmd_check(args, settings) -> int:
    config = _select(args, settings)
    baseline = baseline_mod.load(settings.baseline_file)
    exports = tenant_mod.load_for(settings.tenants_dir, (d.tenant for d in config.domains))
    resolver = None if settings.offline else engine.make_resolver(settings.nameservers, config)
    run = engine.run(config, resolver, baseline, offline=settings.offline, ca_bundle=settings.ca_bundle,
                     confirm_delay=config.confirm_delay, exports=exports)
    if args.json:
        print(terminal_json([d.to_dict() for d in run.domains]))
    else:
        print_table(run)
    missing = nightly.baseline_missing(baseline)
    if missing:  # else every record set reads as NEW, and no drift could ever be seen
        print(f"note: {_clean(missing)}: every record set is new, none can drift", file=sys.stderr)
    findings = run.problems()
    not_run = [p for p in findings if p.kind in nightly.NOT_RUN]
    if run.offline or not run.healthy or not_run:
        for line in not_run or findings[:1]:
            print(f"error: {_clean(line)}", file=sys.stderr)
        return EXIT_BAD
    summary = run.summary()
    return EXIT_PROBLEMS if summary["failed"] or summary["drifted"] else EXIT_OK


def terminal_json(data) -> str:
    """JSON as ``check --json`` prints it: UTF-8 text kept readable, but every character that
    is not printable (controls, ESC, C1, bidi and zero-width formatting) written as a ``\\u``
    escape, which every JSON reader decodes back to the same string."""
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    return "".join(c if c.isprintable() or c in "\n" else f"\\u{ord(c):04x}" if ord(c) < 0x10000
                   else json.dumps(c)[1:-1] for c in text)


def _clean(text: str) -> str:
    """DNS text on a terminal: no control characters (escape sequences) get through."""
    return visible(text)


def print_table(run: engine.RunReport) -> None:
    if run.offline:
        print(f"OFFLINE: records as of {_clean(run.baseline.written_at or 'no baseline')}, not live")
    elif not run.healthy:
        print(f"CHECKS COULD NOT RUN: resolver unhealthy ({_clean(run.health_reason)})")
    print(f"resolver: {_clean(run.resolver)}   at {run.generated_at}")
    for d in run.domains:
        print()
        print(f"{_clean(d.spec.name)}  [{d.spec.scenario}]  {d.status.upper()}")
        if d.tenant_export:  # the export the tenant checks read (its text is untrusted)
            t = d.tenant_export
            print(f"  tenant export: {_clean(t['tenant'])} taken {_clean(t['exported_at'])} ({_clean(t['file'])})")
        width = max(len(c.id) for c in d.checks) if d.checks else 10
        for c in sorted(d.checks, key=lambda c: SEVERITY.get(c.status, 1)):
            print(f"  {c.status.upper():8} {c.id:{width}}  {_clean(c.reason)}")
        for r in d.records:
            if r.status in (DRIFTED, NEW):
                change = f"added {', '.join(r.added) or '-'}; removed {', '.join(r.removed) or '-'}"
                print(f"  {r.status.upper():8} {r.type} {_clean(r.name)}  {_clean(change)}")
        for label in d.flapped:  # the two looks disagreed (drift.second_look)
            print(f"  FLAPPING {_clean(label)}")
    s = run.summary()
    print()
    print(f"{s['domains']} domain(s): {s['failed']} failed check(s), {s['drifted']} drifted record set(s), "
          f"{s['unknown']} unknown")


def cmd_spf(args, settings) -> int:
    from . import spf

    try:
        ip = str(ipaddress.ip_address(args.ip.strip()))
    except ValueError:
        raise InputError(f"--ip {args.ip!r} is not an IP address") from None
    sender = args.sender.strip()
    helo = args.helo.strip()
    if not sender and not helo:
        raise InputError("give --sender, or --helo for a null reverse-path (RFC 7208 section 2.4)")
    for flag, text in (("--sender", sender), ("--helo", helo)):
        if any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 for c in text):
            raise InputError(f"{flag} {_clean(repr(text))}: control characters are not allowed "
                             "in an address or host name")
    # A malformed domain (an empty label, a label over 63 octets, a single label) is no error of
    # the command: check_host() returns "none" for it (RFC 7208 section 4.3), and so do we.
    try:  # for its resolver settings and canary; without the file, the defaults
        config = config_mod.load(settings.domains_file)
    except config_mod.ConfigError as exc:
        if MISSING_FILE not in exc.kinds:  # a bad file stops the CLI (CONTRACT.md), as check does
            raise
        config = config_mod.from_data({"domains": []}, "defaults")
    if settings.offline:
        raise InputError("MAILFLOW_OFFLINE=1: check_host needs live DNS")
    resolver = engine.make_resolver(settings.nameservers, config)
    canary = resolver.lookup(*config.canary)
    if not canary.found:  # a resolver that lies NXDOMAIN would turn every answer into "none"
        print(f"error: checks could not run: resolver unhealthy (canary {config.canary[0]} "
              f"{config.canary[1]}: {_clean(canary.describe())})", file=sys.stderr)
        return EXIT_BAD
    result = spf.check_host(ip, sender, helo or sender.rpartition("@")[2], resolver)
    if args.json:
        print(json.dumps({"result": result.result, "explanation": result.explanation,
                          "ip": ip, "sender": sender, "helo": helo}, sort_keys=True))
    else:
        print(f"{result.result} {_clean(result.explanation)}".rstrip())
    return EXIT_OK


def cmd_baseline(settings, force: bool = False) -> int:
    config = config_mod.load(settings.domains_file)
    if settings.offline:
        print("error: MAILFLOW_OFFLINE=1: a baseline needs live lookups; nothing written", file=sys.stderr)
        return EXIT_BAD
    try:
        old = baseline_mod.load(settings.baseline_file)
    except baseline_mod.BaselineError as exc:  # this command is how a broken baseline gets fixed
        print(f"note: {exc}; it will be replaced", file=sys.stderr)
        old = baseline_mod.Baseline(path=settings.baseline_file)
    if not config.domains:  # before any lookup: nothing to ask, and writing would erase the baseline
        result = acceptance.Acceptance(refusals=[f"{config.path} lists no domain: writing would erase "
                                                 "the accepted baseline"])
    else:
        resolver = engine.make_resolver(settings.nameservers, config)
        run = engine.run(config, resolver, old, offline=False, confirm_delay=config.confirm_delay,
                         ca_bundle=settings.ca_bundle)
        result = acceptance.accept(run, resolver, old, force=force)
    if result.refusals:
        print(f"error: baseline not written ({_clean(settings.baseline_file)} untouched):", file=sys.stderr)
        _list(result.refusals)
        return EXIT_BAD
    text = baseline_mod.dump(result.baseline(settings.baseline_file, run.generated_at, run.resolver))
    try:
        baseline_mod.write_atomic(settings.baseline_file, text)
    except OSError as exc:
        print(f"error: baseline not written: {_clean(settings.baseline_file)}: {_clean(exc.strerror or exc)}",
              file=sys.stderr)
        return EXIT_BAD
    print(f"wrote {_clean(settings.baseline_file)}: {len(result.domains)} domain(s), "
          f"{sum(len(r) for r in result.domains.values())} record set(s), "
          f"{result.changed} changed since the last baseline")
    if result.kept or result.left_out:
        print(f"note: {len(result.kept) + len(result.left_out)} record set(s) got no definite answer "
              "and were not accepted from this run:", file=sys.stderr)
        _list(result.kept + result.left_out)
    return EXIT_OK


def _list(lines: list[str], limit: int = 50) -> None:
    for line in lines[:limit]:
        print(f"  - {_clean(line)}", file=sys.stderr)
    if len(lines) > limit:
        print(f"  ... and {len(lines) - limit} more", file=sys.stderr)
