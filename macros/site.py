"""MkDocs side: wires mkdocs-macros and the hooks to the engine; nothing else.

``define_env`` runs once per build (mkdocs-macros' ``on_config``, with the plugin instance as
``env``): it validates domains.yml, resolves every lookup the site needs at once, and keeps the
run in a :class:`State` on that plugin instance, so each build (every ``mkdocs serve`` rebuild
creates new plugin instances, as does every in-process build) starts clean; there is no module
global. Macros render from it with :mod:`macros.pages` and :mod:`macros.render`;
``macros/hooks.py`` reads it from ``config.plugins`` to add the generated pages.
(Material's tags plugin keeps its per-build managers on the plugin instance the same way.)
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup
from mkdocs.exceptions import PluginError
from mkdocs.plugins import get_plugin_logger
from mkdocs.utils import get_relative_url

from . import baseline as baseline_mod
from . import config as config_mod
from . import engine, feed, nightly, pages, render
from . import settings as settings_mod
from . import tenant as tenant_mod
from .errors import MailflowError
from .model import SCENARIOS
from .records import normalize_name

log = get_plugin_logger("mailflow")

#: The attribute of the mkdocs-macros plugin instance that holds this build's :class:`State`.
STATE_ATTR = "mailflow_state"


@dataclass
class State:
    """Everything one build knows: settings, the validated domains file, the run, its pages."""

    settings: settings_mod.Settings | None = None
    config: config_mod.Config | None = None
    run: engine.RunReport | None = None
    pages: dict[str, pages.GeneratedPage] = field(default_factory=dict)
    #: finished HTML blocks waiting for their page's HTML (:meth:`stash`), by placeholder key
    blocks: dict[str, str] = field(default_factory=dict)
    #: the keys of blocks the search index leaves out anyway: put in after it is built
    late: set[str] = field(default_factory=set)
    nonce: str = field(default_factory=lambda: secrets.token_hex(8))

    def stash(self, html) -> Markup:
        """Keep a finished, escaped HTML block out of Markdown: a placeholder now, the block
        itself once the page is HTML (:meth:`unstash`). Markdown would only copy the block,
        after parsing every tag of it, and the search plugin would parse again what it then
        leaves out (``data-search-exclude``): at a thousand domains, that parsing was most of a
        build. Blocks that are all search-excluded go in after the index is built (the
        ``on_post_page`` hook), the others before (``on_page_content``), so the index is the
        same. The key carries this build's random nonce, so no page text can name a block."""
        text = str(html)
        key = f"{self.nonce}-{len(self.blocks)}"
        self.blocks[key] = text
        if _search_excluded(text):
            self.late.add(key)
        return Markup(f'<div data-mf-block="{key}"></div>' + ("\n" if text.endswith("\n") else ""))

    def unstash(self, html: str, late: bool = False) -> str:
        """``html`` with this build's placeholders replaced by their blocks: the late ones
        (search-excluded) when ``late``, else the others; each block is used once."""
        if not self.blocks:
            return html

        def put(match):
            key = match[1]
            if (key in self.late) != late:
                return match[0]
            self.late.discard(key)
            return self.blocks.pop(key, match[0])

        return re.sub(rf'<div data-mf-block="({self.nonce}-\d+)"></div>', put, html)

    def domain(self, name: str) -> engine.DomainReport:
        spec = self.config.get(name) if self.config else None
        if spec is None:
            raise ValueError(f"{name!r} is not in {self.config.path if self.config else 'the domains file'}")
        return self.report_of(spec)

    def report_of(self, spec) -> engine.DomainReport:
        return next(d for d in self.run.domains if d.spec is spec or d.spec.ascii == spec.ascii)


#: render.block()'s opening tag of a block the search index leaves out
_EXCLUDED_BLOCK = re.compile(r'<div class="mf [^"<>]*" data-search-exclude>')


def _search_excluded(text: str) -> bool:
    """True when every part of ``text`` is a search-excluded ``render.block`` (single-line
    ``<div>`` blocks with no ``<div>`` inside, separated by blank lines)."""
    parts = [p.strip() for p in text.split("\n\n") if p.strip()]
    return bool(parts) and all(_EXCLUDED_BLOCK.match(p) and p.count("<div") == 1 for p in parts)


def state_of(plugin) -> State | None:
    """The build state kept on the mkdocs-macros plugin instance, if ``define_env`` ran."""
    return getattr(plugin, STATE_ATTR, None)


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
    except MailflowError as exc:
        raise PluginError(str(exc)) from None
    return run_state(conf, settings, config, baseline)


def run_state(conf, settings, config, baseline) -> State:
    """The run of ``config`` (already validated) and the pages it makes."""
    try:  # a bad export (errors.ExportError) stops the build before any page is written
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
    return State(settings, config, run, pages.generated_pages(config))


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


def _md_linker(env):
    """Markdown link paths (validated by --strict) from the current page to a .md file."""
    page = getattr(env, "page", None)
    src = page.file.src_uri if page is not None else "index.md"
    return lambda target: get_relative_url(target, src)


def define_env(env):
    state = load_state(env.conf)
    setattr(env, STATE_ATTR, state)

    @env.macro
    def domain_page(name: str | None = None) -> str:
        """The whole health page of one domain: the generated page's own domain, or ``name``."""
        if name is None:
            page = getattr(env, "page", None)
            generated = state.pages.get(page.file.src_uri) if page is not None else None
            if generated is None or generated.spec is None:
                raise ValueError("domain_page() without a name works only on a generated domain page")
            report = state.report_of(generated.spec)
        else:
            report = state.domain(name)
        return pages.domain_page_markdown(state.run, report, _linker(env), _md_linker(env), state.stash)

    @env.macro
    def domain_checks(name: str) -> Markup:
        """The verdict table of one domain."""
        report = state.domain(name)
        link = _linker(env)
        return (pages.status_banners(state.run, report, link)
                + render.tenant_export_line(report.tenant_export)
                + state.stash(render.checks_table(report.checks, link)))

    @env.macro
    def record_set(name: str, rdtype: str = "MX", owner: str | None = None) -> Markup:
        """One record set of a domain (``owner`` defaults to the domain itself)."""
        report = state.domain(name)
        wanted = normalize_name(owner or report.spec.ascii)
        rows = [r for r in report.records if r.name == wanted and r.type == rdtype.upper()]
        if not rows:
            lookups = [lk for lk in report.lookups if lk.name == wanted and lk.rdtype == rdtype.upper()]
            return state.stash(render.lookups_table(lookups))
        return state.stash(render.records_table(rows))

    @env.macro
    def spf_tree(name: str) -> Markup:
        """The SPF include/redirect tree of one domain with its lookup count."""
        return state.stash(render.spf_tree(state.domain(name).spf_tree))

    @env.macro
    def scenario_status(scenario: str) -> Markup:
        """Every checked domain that should be in ``scenario``, worst first, collapsed."""
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r} (one of {', '.join(SCENARIOS)})")
        reports = [d for d in state.run.domains if d.spec.scenario == scenario]
        link = _linker(env)
        return pages.status_banners(state.run, link=link) + state.stash(
            render.scenario_domains(reports, link))

    @env.macro
    def domains_table() -> Markup:
        """Every checked domain with its worst status, worst first, with a filter box."""
        link = _linker(env)
        return pages.status_banners(state.run, link=link) + state.stash(render.domains_table(
            state.run.domains, link, filter_box=True))

    @env.macro
    def drift_report() -> Markup:
        """Every record set that drifted from the baseline (or that there is no baseline), and how
        to accept a change."""
        link = _linker(env)
        return pages.status_banners(state.run, link=link) + state.stash(nightly.drift_page(state.run, link))

    @env.macro
    def checks_banner() -> Markup:
        """A one-line state of the live checks: coloured by the worst domain, linking the failing ones."""
        return pages.home_banner(state.run, _linker(env))


def on_post_build(env):
    """Write drift.json at the site root; with MAILFLOW_FAIL_ON_DRIFT=1, fail after the whole site."""
    state = state_of(env)
    run = state.run if state is not None else None
    if run is None:
        return
    site_dir = Path(env.conf["site_dir"])
    target = site_dir / "drift.json"
    changes = {}
    if state.settings is not None:
        changes["baseline"] = {"path": os.path.relpath(state.settings.baseline_file,
                                                       Path(env.conf["config_file_path"]).parent),
                               "written_at": run.baseline.written_at}
    baseline_mod.write_atomic(str(target), run.json_chunks(**changes))
    feed.write(run, site_dir, env.conf.get("site_url"))  # drift.xml, the Atom feed of drift
    if state.settings is not None and state.settings.fail_on_drift:
        problems = run.problems()
        if problems:
            raise PluginError(nightly.failure_message(problems))
