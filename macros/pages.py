"""The Markdown of pages: generated domain pages, the domain page body, the status banners.

Built from the run's reports with :mod:`macros.render`'s escaped HTML blocks. Nothing here imports
MkDocs: ``macros/site.py`` wires these builders to mkdocs-macros and ``macros/hooks.py``.

Untrusted text (domain names from domains.yml, every DNS answer) never goes into front matter,
a page title, a URL path or a Jinja expression: the theme renders titles and front matter
unescaped (header, ``<title>``, the Tags page), and mkdocs-macros renders a title with ``{{``
in it as Jinja. Generated pages carry only constant front matter; the domain's name is shown by
an escaped ``<h1>`` block, and its title is :func:`render.plain_name` (letters, digits, ``.-_``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup

from . import render
from .model import SCENARIOS

if TYPE_CHECKING:
    from .config import DomainSpec

#: Search weight of a domain page: typing a domain's name finds its page before the runbooks that
#: use the name in examples. Material's ``search: boost:`` front matter ("Setting up site search",
#: https://squidfunk.github.io/mkdocs-material/setup/setting-up-site-search/#search-boosting);
#: its search plugin copies it into each of the page's index entries (material/plugins/search).
DOMAIN_SEARCH_BOOST = 10

INDEX = "domains/index.md"


@dataclass(frozen=True)
class GeneratedPage:
    """A page the site adds to ``docs/``: its Markdown, and the domain it shows (if any)."""

    src_uri: str
    markdown: str
    spec: "DomainSpec | None" = None

    @property
    def title(self) -> str | None:
        return render.plain_name(self.spec.name) if self.spec is not None else None


def generated_pages(config) -> dict[str, GeneratedPage]:
    """``domains/index.md`` and one page per domain of ``config`` (a validated Config, or None)."""
    pages = {INDEX: GeneratedPage(INDEX, (
        "---\ntitle: Domains\ntags: [domains, live checks]\nhide: [toc]\n---\n\n"
        "# Domains\n\nEvery domain the helpdesk looks after, worst first. Type a few letters of a "
        "name to filter the list; open a domain for its checks, its records and the fix for each "
        "problem.\n\n{{ domains_table() }}\n"))}
    for spec in (config.domains if config is not None else ()):
        src_uri = render.domain_path(spec) + "index.md"
        tags = "domain" + (f", {spec.scenario}" if spec.scenario in SCENARIOS else "")
        pages[src_uri] = GeneratedPage(src_uri, (
            f"---\ntags: [{tags}]\nsearch:\n  boost: {DOMAIN_SEARCH_BOOST}\nhide: [toc]\n---\n\n"
            "{{ domain_page() }}\n"), spec)
    return pages


def status_banners(run, report=None, link=None) -> Markup:
    """The run's state (offline, checks could not run) and, for one domain, its drift and flaps.

    ``link`` makes site-relative targets relative to the current page (the drift banner links
    the Drift page)."""
    out = Markup("")
    written = run.baseline.written_at
    if run.offline:
        out += render.banner("offline", f"MAILFLOW_OFFLINE=1: records as of {written or 'no baseline yet'}, not live.")
    elif not run.healthy:
        when = f"records as of {written}, not live" if written else "no records are known yet"
        out += render.banner("unhealthy", f"The resolver did not answer the canary ({run.health_reason}); every check is unknown; {when}.")
    if report is not None and report.drifted:
        names = ", ".join(f"{r.type} {r.name.rstrip('.')}" for r in report.drifted)
        drift_link = render.page_link(link("drift/") if link else "drift/", "See the Drift page")
        out += render.banner("drift", f"Changed since the baseline of {written}: {names}.",
                             after=drift_link + Markup(" for when each change was first seen and how to accept it."))
    if report is not None and report.flapped:
        out += render.banner("flap", "Answered differently on a second look, so not counted as drift: " + ", ".join(report.flapped))
    return out


def domain_page_markdown(run, report, link, md_link, stash=lambda block: block) -> str:
    """The whole page of one domain. ``link`` gives HTML hrefs, ``md_link`` Markdown link paths
    (checked by ``--strict``) from the current page to a ``.md`` file; ``stash`` keeps a finished
    HTML block out of Markdown (the site's ``State.stash``)."""
    spec = report.spec
    scenario_md = md_link(f"scenarios/{spec.scenario}.md") if spec.scenario in SCENARIOS else None
    scenario = f"[{spec.scenario}]({scenario_md})" if scenario_md else str(render.text(spec.scenario))
    parts = [
        render.domain_heading(spec),
        f"[&larr; All domains]({md_link('domains/index.md')}) &middot; [Drift]({md_link('drift.md')})",
        "",
        status_banners(run, report, link),
        render.meta_line(report.checked_at, run.resolver, report.source, run.baseline.written_at),
        f"**Overall:** {render.badge(report.status)} {' &middot; '.join(render.tally(report.checks))}"
        f" &nbsp; **Scenario:** {scenario}"
        + (f" &nbsp; **Filter:** {render.text(spec.filter_name)}" if spec.third_party else ""),
        "",
        "## Mail route",
        "Where mail goes, from the records observed now; each hop is coloured by the check that judges it.",
        stash(render.mail_route(report)),
        "## Checks",
        render.tenant_export_line(report.tenant_export),
        stash(render.checks_table(report.checks, link)),
        "## Record sets and drift",
        "Compared with the last accepted baseline; a difference is looked up twice before it counts.",
        stash(render.records_table(report.records)),
        "## SPF include tree",
        stash(render.spf_tree(report.spf_tree)),
        "## Every lookup",
        stash(render.lookups_table(report.lookups)),
    ]
    return "\n".join(str(p) for p in parts)


def home_banner(run, link) -> Markup:
    """The Home page's one line: the run's state, coloured by the worst domain, linking the
    domains that fail (then those that cannot be checked, then those that warn)."""
    banners = status_banners(run, link=link)
    if banners:
        return banners
    return render.summary_banner(run, link)


__all__ = ["GeneratedPage", "generated_pages", "status_banners", "domain_page_markdown", "home_banner",
           "DOMAIN_SEARCH_BOOST"]
