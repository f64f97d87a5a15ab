"""MkDocs side: macros for KB authors, generated domain pages, drift.json, the exit code.

A thin adapter over the engine. ``define_env`` runs once per build (mkdocs-macros' on_config):
it validates domains.yml, resolves every lookup the site needs at once, and keeps the run in
:data:`STATE`; macros render from it. ``macros/hooks.py`` adds the generated pages.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup
from mkdocs.exceptions import PluginError
from mkdocs.plugins import get_plugin_logger
from mkdocs.utils import get_relative_url

from . import baseline as baseline_mod
from . import config as config_mod
from . import engine, feed, nightly, render, settings as settings_mod, tenant as tenant_mod
from .errors import MailflowError
from .model import SCENARIOS
from .records import normalize_name

log = get_plugin_logger("mailflow")


@dataclass
class State:
    settings: settings_mod.Settings | None = None
    config: config_mod.Config | None = None
    run: engine.RunReport | None = None


STATE = State()


def load_state(conf) -> State:
    """Validate, resolve and judge; raise PluginError with one clear message on bad input."""
    base_dir = Path(conf.get("config_file_path") or "mkdocs.yml").resolve().parent
    extra = (conf.get("extra") or {}).get("mailflow") or {}
    values = {k: v for k, v in os.environ.items() if k.startswith("MAILFLOW_")}
    values.update({k: v for k, v in extra.items() if v not in (None, "")} if extra else {})
    try:
        settings = settings_mod.from_mapping(values, base_dir)
        config = config_mod.load(settings.domains_file)
        baseline = baseline_mod.load(settings.baseline_file)
        # a bad export (errors.ExportError) stops the build before any page is written
        exports = tenant_mod.load_for(settings.tenants_dir, (d.tenant for d in config.domains))
    except MailflowError as exc:
        raise PluginError(str(exc)) from None
    resolver = None if settings.offline else engine.make_resolver(settings.nameservers, config)
    run = engine.run(config, resolver, baseline, offline=settings.offline, ca_bundle=settings.ca_bundle,
                     confirm_delay=config.confirm_delay, previous=_previous_report(conf),
                     exports=exports)
    summary = run.summary()
    if run.offline:
        log.info("offline: %d domain(s) rendered from %s", summary["domains"], baseline.path)
    elif not run.healthy:
        log.info("live checks could not run: %s", run.health_reason)
    else:
        log.info("checked %d domain(s) with %d queries in %.2f s via %s: %d drifted, %d failed, %d unknown",
                 summary["domains"], run.queries, run.lookup_seconds, run.resolver,
                 summary["drifted"], summary["failed"], summary["unknown"])
    STATE.settings, STATE.config, STATE.run = settings, config, run
    return STATE


def _previous_report(conf) -> dict | None:
    """The last build's drift.json (still in site_dir: MkDocs cleans it only after on_config),
    used to date changes that were already drifted then. Unreadable means none."""
    try:
        path = Path(conf["site_dir"]) / "drift.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _linker(env):
    page = getattr(env, "page", None)
    here = page.url if page is not None else ""

    def link(target: str) -> str:
        path, _, fragment = (target or "").partition("#")
        url = get_relative_url(path or here, here) if path else ""
        if path.endswith("/") and url and not url.endswith("/"):
            url += "/"
        return url + (f"#{fragment}" if fragment else "")

    return link


def _domain(name: str) -> engine.DomainReport:
    spec = STATE.config.get(name) if STATE.config else None
    if spec is None:
        raise ValueError(f"{name!r} is not in {STATE.config.path if STATE.config else 'the domains file'}")
    return next(d for d in STATE.run.domains if d.spec.ascii == spec.ascii)


def _md_link(env, target: str) -> str:
    """A Markdown link path (validated by --strict) from the current page to a .md file."""
    page = getattr(env, "page", None)
    src = page.file.src_uri if page is not None else "index.md"
    return get_relative_url(target, src)


def status_banners(run: engine.RunReport, report: engine.DomainReport | None = None) -> Markup:
    out = Markup("")
    written = run.baseline.written_at
    if run.offline:
        out += render.banner("offline", f"MAILFLOW_OFFLINE=1: records as of {written or 'no baseline yet'}, not live.")
    elif not run.healthy:
        when = f"records as of {written}, not live" if written else "no records are known yet"
        out += render.banner("unhealthy", f"The resolver did not answer the canary ({run.health_reason}); every check is unknown; {when}.")
    if report is not None and report.drifted:
        names = ", ".join(f"{r.type} {r.name}" for r in report.drifted)
        out += render.banner("drift", f"Changed since the baseline of {written}: {names}. See the Drift page.")
    if report is not None and report.flapped:
        out += render.banner("flap", "Answered differently on a second look, so not counted as drift: " + ", ".join(report.flapped))
    return out


def domain_page_markdown(env, name: str) -> str:
    report = _domain(name)
    run = STATE.run
    link = _linker(env)
    spec = report.spec
    scenario_md = _md_link(env, f"scenarios/{spec.scenario}.md")
    parts = [
        f"[&larr; All domains]({_md_link(env, 'domains/index.md')}) &middot; "
        f"[Drift]({_md_link(env, 'drift.md')})",
        "",
        status_banners(run, report),
        render.meta_line(report.checked_at, run.resolver, report.source, run.baseline.written_at),
        f"**Overall:** {render.badge(report.status)} {' &middot; '.join(render.tally(report.checks))}"
        f" &nbsp; **Scenario:** [{spec.scenario}]({scenario_md})"
        + (f" &nbsp; **Filter:** {render.text(spec.filter_name)}" if spec.third_party else ""),
        "",
        "## Checks",
        render.tenant_export_line(report.tenant_export),
        render.checks_table(report.checks, link),
        "## Record sets and drift",
        "Compared with the last accepted baseline; a difference is looked up twice before it counts.",
        render.records_table(report.records),
        "## SPF include tree",
        render.spf_tree(report.spf_tree),
        "## Every lookup",
        render.lookups_table(report.lookups),
    ]
    return "\n".join(str(p) for p in parts)


def define_env(env):
    load_state(env.conf)

    @env.macro
    def domain_page(name: str) -> str:
        """The whole health page of one domain (used by the generated domain pages)."""
        return domain_page_markdown(env, name)

    @env.macro
    def domain_checks(name: str) -> Markup:
        """The verdict table of one domain."""
        report = _domain(name)
        return (status_banners(STATE.run, report) + render.tenant_export_line(report.tenant_export)
                + render.checks_table(report.checks, _linker(env)))

    @env.macro
    def record_set(name: str, rdtype: str = "MX", owner: str | None = None) -> Markup:
        """One record set of a domain (``owner`` defaults to the domain itself)."""
        report = _domain(name)
        wanted = normalize_name(owner or report.spec.ascii)
        rows = [r for r in report.records if r.name == wanted and r.type == rdtype.upper()]
        if not rows:
            lookups = [lk for lk in report.lookups if lk.name == wanted and lk.rdtype == rdtype.upper()]
            return render.lookups_table(lookups)
        return render.records_table(rows)

    @env.macro
    def spf_tree(name: str) -> Markup:
        """The SPF include/redirect tree of one domain with its lookup count."""
        return render.spf_tree(_domain(name).spf_tree)

    @env.macro
    def scenario_status(scenario: str) -> Markup:
        """Every checked domain that should be in ``scenario``, worst first."""
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r} (one of {', '.join(SCENARIOS)})")
        reports = [d for d in STATE.run.domains if d.spec.scenario == scenario]
        return status_banners(STATE.run) + render.domains_table(reports, _linker(env), show_scenario=False)

    @env.macro
    def domains_table() -> Markup:
        """Every checked domain with its worst status, worst first."""
        return status_banners(STATE.run) + render.domains_table(STATE.run.domains, _linker(env))

    @env.macro
    def drift_report() -> Markup:
        """Every record set that drifted from the baseline."""
        return status_banners(STATE.run) + nightly.drift_page(STATE.run, _linker(env))

    @env.macro
    def checks_banner() -> Markup:
        """A one-line state of the live checks: live, offline, or could not run."""
        run = STATE.run
        s = run.summary()
        banners = status_banners(run)
        if banners:
            return banners
        return render.banner("info", f"Live checks ran at {run.generated_at} via {run.resolver}: "
                                     f"{s['domains']} domain(s), {s['failed']} failed check(s), "
                                     f"{s['drifted']} drifted record set(s), {s['unknown']} unknown.")


def generated_pages() -> dict[str, str]:
    """Markdown of the generated pages: ``domains/index.md`` and one page per domain.

    Only names from the validated domains file go into this Markdown; DNS text never does.
    """
    pages = {
        "domains/index.md": (
            "---\ntitle: Domains\ntags: [domains, live checks]\nhide: [toc]\n---\n\n"
            "# Domains\n\nEvery domain the helpdesk looks after, worst first. "
            "Open a domain for its checks, its records and the fix for each problem.\n\n"
            "{{ domains_table() }}\n"
        )
    }
    if STATE.config is None:
        return pages
    for spec in STATE.config.domains:
        title = spec.name  # shown as given in domains.yml (CONTRACT.md)
        alias = f" ({spec.ascii})" if title != spec.ascii else ""
        pages[f"domains/{spec.ascii}/index.md"] = (
            f"---\ntitle: \"{title}\"\ntags: [domain, {spec.scenario}]\nhide: [toc]\n---\n\n"
            f"# {title}{alias}\n\n{{{{ domain_page(\"{spec.ascii}\") }}}}\n"
        )
    return pages


def on_post_build(env):
    """Write drift.json at the site root; with MAILFLOW_FAIL_ON_DRIFT=1, fail after the whole site."""
    run = STATE.run
    if run is None:
        return
    site_dir = Path(env.conf["site_dir"])
    target = site_dir / "drift.json"
    data = run.to_dict()
    if STATE.settings is not None:
        data["baseline"]["path"] = os.path.relpath(STATE.settings.baseline_file,
                                                   Path(env.conf["config_file_path"]).parent)
    baseline_mod.write_atomic(str(target), json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    feed.write(run, site_dir, env.conf.get("site_url"))  # drift.xml, the Atom feed of drift
    if STATE.settings is not None and STATE.settings.fail_on_drift:
        problems = run.problems()
        if problems:
            raise PluginError(nightly.failure_message(problems))
