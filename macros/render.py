"""HTML for the site, built with markupsafe: DNS text is hostile input (DESIGN.md).

Every function returns one complete HTML block on a single line (no blank lines, no line that
Markdown or its extensions could pick up), wrapped in an element Python-Markdown leaves alone.
DNS values are escaped by markupsafe, control characters are shown as ``\\DDD``, and blocks
carrying DNS text are excluded from the search index (``data-search-exclude``), so a record can
never become a link, an attribute, a Jinja expression or a script.
"""

from __future__ import annotations

from typing import Callable

from markupsafe import Markup, escape

from .model import CHECK_IDS, DRIFTED, FAIL, INFO, NEW, PASS, SEVERITY, UNCHANGED, UNKNOWN, WARN
from .records import visible

Link = Callable[[str], str]

LABELS = {PASS: "PASS", INFO: "INFO", WARN: "WARN", FAIL: "FAIL", UNKNOWN: "UNKNOWN"}
ICONS = {PASS: "\u2714", INFO: "\u2139", WARN: "\u26a0", FAIL: "\u2716", UNKNOWN: "?"}
RECORD_LABELS = {UNCHANGED: "unchanged", DRIFTED: "DRIFTED", NEW: "new", UNKNOWN: "unknown"}

def text(value) -> Markup:
    """Escape untrusted text for HTML and make control/bidi characters visible."""
    # Jinja or Markdown markers never reach a renderer again, but keep them visibly literal.
    return escape(visible(value))


def host(name) -> Markup:
    """A DNS name, escaped, that may wrap after its dots (and only there) in a narrow column."""
    return Markup(str(text(name)).replace(".", ".<wbr>"))


def _join(parts) -> Markup:
    return Markup("").join(parts)


def block(inner: Markup, cls: str, dns: bool = True) -> Markup:
    """A single-line HTML block; ``dns`` blocks stay out of the search index.

    No other ``<div>`` may nest inside: Material's search stops excluding at the first
    closing ``</div>``, so inner wrappers are ``<span>`` (shown as blocks by CSS)."""
    attrs = Markup(' data-search-exclude') if dns else Markup("")
    html = Markup('<div class="mf {cls}"{attrs}>').format(cls=cls, attrs=attrs) + inner + Markup("</div>")
    return Markup("\n\n") + Markup(str(html).replace("\n", " ")) + Markup("\n\n")


def table(name: str, head: str, rows, before: Markup = Markup("")) -> Markup:
    """A DNS-carrying block holding one ``<table class="mf-{name}">``; ``head`` is the header
    cells (our own literal markup), ``rows`` the escaped ``<tr>`` rows."""
    start = Markup('<table class="mf-{n}"><thead><tr>').format(n=name) + Markup(head) + Markup("</tr></thead><tbody>")
    return block(before + start + _join(rows) + Markup("</tbody></table>"), f"mf-{name}-block")


def badge(status: str) -> Markup:
    label = LABELS.get(status, str(status).upper())
    return Markup('<span class="mf-badge mf-{s}" title="{l}"><span aria-hidden="true">{i}</span> {l}</span>').format(
        s=status if status in LABELS else "unknown", l=label, i=ICONS.get(status, "?"))


def record_badge(status: str) -> Markup:
    label = RECORD_LABELS.get(status, status)
    return Markup('<span class="mf-rbadge mf-r-{s}">{l}</span>').format(s=status, l=label)


def values_list(values, missing: str = "no definite answer") -> Markup:
    """The values, each as code; ``missing`` says what ``None`` means in this column."""
    if values is None:
        return Markup('<em>{}</em>').format(missing)
    if not values:
        return Markup('<em>none</em>')
    return _join(Markup("<code>{}</code>").format(text(v)) for v in values)


def worst_first(checks) -> list:
    """Problems before passes (fail, unknown, warn, pass); the page order within a status."""
    return sorted(checks, key=lambda c: SEVERITY.get(c.status, 1))


def check_id(cid: str) -> Markup:
    return Markup('<code class="mf-id">{}</code>').format(cid)


def fix_link(check, link: Link) -> Markup:
    """``Fix`` for a problem, ``Runbook`` for a pass; the accessible name names the check."""
    if check.status in (PASS, INFO):
        return Markup('<a class="mf-doc" href="{h}" aria-label="Runbook for {id}">Runbook</a>').format(
            h=link(check.fix), id=check.id)
    return Markup('<a class="mf-fix" href="{h}" aria-label="Fix {id}">Fix</a>').format(h=link(check.fix), id=check.id)


def counts(items) -> list[tuple[str, int]]:
    """``[("fail", 1), ("pass", 9)]``: how many of ``items`` (checks or domain reports) have each
    status, worst first; statuses nothing has are left out."""
    seen = {}
    for item in items:
        seen[item.status] = seen.get(item.status, 0) + 1
    return [(s, seen[s]) for s in (FAIL, UNKNOWN, WARN, PASS, INFO) if seen.get(s)]


def tally(checks) -> list[str]:
    """``["1 fail", "9 pass"]``: how many checks have each status, worst first."""
    return [f"{n} {LABELS[s].lower()}" for s, n in counts(checks)]


def checks_table(checks, link: Link) -> Markup:
    rows = []
    for c in worst_first(checks):
        rows.append(Markup(
            '<tr class="mf-row-{s}" id="check-{id}"><td class="mf-fit">{badge}</td><td class="mf-fit">{cid}</td>'
            '<td>{reason}</td><td class="mf-fit">{fix}</td><td data-label="Expected">{expected}</td>'
            '<td data-label="Observed">{observed}</td></tr>'
        ).format(s=c.status, id=c.id, badge=badge(c.status), cid=check_id(c.id), reason=text(c.reason),
                 fix=fix_link(c, link), expected=text(c.expected), observed=text(c.observed)))
    return table("checks", '<th class="mf-fit">Status</th><th class="mf-fit">Check</th><th>Why</th>'
                 '<th class="mf-fit">Runbook</th><th>Expected</th><th>Observed</th>', rows)


def records_table(records) -> Markup:
    rows = []
    for r in records:
        change = Markup("")
        if r.status == DRIFTED:
            change = Markup('<span class="mf-change">added: {a}<br>removed: {r}</span>').format(
                a=values_list(r.added), r=values_list(r.removed))
        rows.append(Markup(
            '<tr class="mf-r-{s}"><td class="mf-fit">{badge}</td><td><code class="mf-name">{name}</code></td><td class="mf-fit">{type}</td>'
            '<td>{observed}{change}</td><td>{baseline}</td></tr>'
        ).format(s=r.status, badge=record_badge(r.status), name=host(r.name), type=text(r.type),
                 observed=values_list(r.observed), change=change,
                 baseline=values_list(r.baseline, "not in the baseline")))
    return table("records", "<th>Drift</th><th>Name</th><th>Type</th><th>Observed now</th><th>Baseline</th>", rows)


def lookups_table(lookups) -> Markup:
    rows = []
    for lk in lookups:
        chain = Markup("")
        if lk.chain:
            chain = Markup('<span class="mf-chain">via CNAME: {}</span>').format(
                Markup(" &rarr; ").join(Markup("<code>{}</code>").format(text(c)) for c in lk.chain))
        if lk.status == "found":
            shown = values_list(lk.values)
        else:
            shown = Markup("<em>{}</em>").format(text(lk.describe()))
        ttl = "" if lk.ttl is None else str(lk.ttl)
        rows.append(Markup(
            '<tr><td><code class="mf-name">{name}</code></td><td class="mf-fit">{type}</td><td class="mf-fit">{status}</td>'
            '<td>{shown}{chain}</td><td class="mf-fit">{ttl}</td></tr>'
        ).format(name=host(lk.name), type=text(lk.rdtype), status=text(lk.status), shown=shown,
                 chain=chain, ttl=ttl))
    return table("lookups", "<th>Name</th><th>Type</th><th>Answer</th><th>Records</th><th>TTL</th>", rows)


def spf_tree(tree) -> Markup:
    if tree is None:
        return block(Markup("<p><em>No SPF tree: the records were not looked up.</em></p>"), "mf-spf-block")

    def node(n) -> Markup:
        kids = _join(node(c) for c in n.children)
        record = Markup("<code>{}</code>").format(text(n.record)) if n.record else Markup("<em>{}</em>").format(text(n.reason or "no SPF record"))
        status = Markup("") if n.status == "ok" else Markup(' <strong class="mf-spf-{s}">{s}</strong> {r}').format(
            s=text(n.status), r=text(n.reason) if n.record else "")
        return Markup('<li><span class="mf-spf-via">{via}</span> <code>{domain}</code> '
                      '<span class="mf-spf-count">{count} lookup(s)</span>{status}<br>{record}{kids}</li>').format(
            via=text(n.via), domain=text(n.domain), count=n.dns_terms, status=status, record=record,
            kids=Markup("<ul>{}</ul>").format(kids) if n.children else Markup(""))

    summary = Markup('<p class="mf-spf-summary">DNS-querying terms: <strong>{t}</strong> of 10 &middot; '
                     'void lookups: <strong>{v}</strong> of 2{loop}</p>').format(
        t=tree.dns_terms, v=tree.void_lookups,
        loop=Markup(" &middot; <strong>include loop</strong>") if tree.loop else Markup(""))
    return block(summary + Markup('<ul class="mf-spf-tree">') + node(tree.root) + Markup("</ul>"), "mf-spf-block")


def banner(kind: str, message: str) -> Markup:
    """kind: offline | unhealthy | drift | flap | info."""
    role = ' role="alert"' if kind in ("drift", "unhealthy") else ""
    return block(Markup('<p class="mf-banner mf-banner-{k}"{role}><strong>{title}</strong> {m}</p>').format(
        k=kind, role=Markup(role), m=text(message),
        title={"offline": "Not live.", "unhealthy": "Live checks could not run.",
               "drift": "Records drifted.", "flap": "Answer changed between looks.",
               }.get(kind, "Note.")), "mf-banner-block", dns=False)


def tenant_export_line(export: dict | None) -> Markup:
    """Where the tenant checks come from: the export's tenant and date (untrusted text), or
    that there is none."""
    if not export:
        what = Markup("Tenant checks: no Exchange Online export for this tenant, so they are "
                      "<em>info</em>. See <em>Tenant export</em> in the reference.")
    else:
        what = Markup("Tenant checks from the Exchange Online export of <code>{t}</code> taken "
                      "<time>{at}</time> (<code>{f}</code>).").format(
            t=text(export.get("tenant")), at=text(export.get("exported_at")), f=text(export.get("file")))
    return block(Markup('<p class="mf-meta mf-tenant-export">{}</p>').format(what),
                 "mf-meta-block", dns=bool(export))


def meta_line(checked_at: str, resolver: str, source: str, baseline_written: str | None) -> Markup:
    if source == "live":
        what = Markup("Checked live at <time>{t}</time> via <code>{r}</code>.").format(t=checked_at, r=text(resolver))
    elif source == "baseline":
        what = Markup("Records as of <time>{t}</time> from the baseline, not live.").format(t=text(baseline_written or "unknown date"))
    else:
        what = Markup("No records are known yet for this domain.")
    return block(Markup('<p class="mf-meta">{}</p>').format(what), "mf-meta-block", dns=False)


#: How many problems a domain's row lists before "and N more" (an unhealthy resolver makes ten).
ROW_PROBLEMS = 3


def domain_row(report, link: Link, show_scenario: bool = True) -> Markup:
    href = link(f"domains/{report.spec.ascii}/")
    problems = [c for c in worst_first(report.checks) if c.status not in (PASS, INFO)]
    items = [Markup('<li>{b} {cid} {r} {fix}</li>').format(b=badge(c.status), cid=check_id(c.id),
                                                           r=text(c.reason), fix=fix_link(c, link))
             for c in problems[:ROW_PROBLEMS]]
    if len(problems) > ROW_PROBLEMS:
        items.append(Markup('<li><a href="{h}">and {n} more</a></li>').format(h=href, n=len(problems) - ROW_PROBLEMS))
    issues = (Markup('<ul class="mf-problems">{}</ul>').format(_join(items)) if items
              else Markup("all checks pass"))
    drift = len(report.drifted)
    drift_cell = Markup('<br><span class="mf-rbadge mf-r-drifted">{n} drifted</span>').format(n=drift) if drift else Markup("")
    scen = Markup('<td class="mf-fit">{}</td>').format(text(report.spec.scenario)) if show_scenario else Markup("")
    return Markup('<tr class="mf-row-{s}" data-status="{s}"><td class="mf-fit">{badge}</td>'
                  '<td class="mf-fit"><a class="mf-domain" href="{href}">{name}</a></td>{scen}'
                  '<td class="mf-fit mf-tally">{tally}{drift}</td><td>{issues}</td></tr>').format(
        s=report.status, badge=badge(report.status), href=href, name=text(report.spec.name),
        scen=scen, tally=Markup("<br>").join(tally(report.checks)), drift=drift_cell, issues=issues)


def domains_summary(reports) -> Markup:
    """``9 domains: 4 FAIL · 1 UNKNOWN · ...``: the whole list at a glance, in words."""
    parts = [Markup("{n} {b}").format(n=n, b=badge(s)) for s, n in counts(reports)]
    return Markup('<p class="mf-summary"><strong>{n} domain{pl}:</strong> {parts}</p>').format(
        n=len(reports), pl="" if len(reports) == 1 else "s", parts=Markup(" &middot; ").join(parts))


def domains_table(reports, link: Link, show_scenario: bool = True) -> Markup:
    ordered = sorted(reports, key=lambda r: (SEVERITY.get(r.status, 1), -len(r.drifted), r.spec.ascii))
    if not ordered:
        return block(Markup("<p><em>No domains in this list.</em></p>"), "mf-domains-block", dns=False)
    scen = '<th class="mf-fit">Scenario</th>' if show_scenario else ""
    return table("domains", f'<th class="mf-fit">Status</th><th class="mf-fit">Domain</th>{scen}'
                 '<th class="mf-fit">Checks</th><th>Problems, worst first</th>',
                 (domain_row(r, link, show_scenario) for r in ordered), before=domains_summary(ordered))


def drift_list(run, link: Link) -> Markup:
    """Every drifted record set, newest change first (by when it was first seen), then by domain."""
    changes = sorted(((r.first_seen or d.checked_at, d, r) for d in run.domains for r in d.drifted),
                     key=lambda item: (_desc(item[0]), item[1].spec.ascii, item[2].name, item[2].type))
    items = []
    for seen, d, r in changes:
        broken = [c for c in d.checks if c.status in (FAIL, WARN)]
        items.append(Markup(
            '<tr><td><time>{t}</time></td><td><a href="{href}">{dom}</a></td><td><code>{name}</code> {type}</td>'
            '<td>{before}</td><td>{after}</td><td>{checks}</td></tr>').format(
            t=text(seen), href=link(f"domains/{d.spec.ascii}/"), dom=text(d.spec.name),
            name=text(r.name), type=text(r.type), before=values_list(r.removed), after=values_list(r.added),
            checks=_join(Markup('{b} <a href="{h}"><code>{id}</code></a> ').format(
                b=badge(c.status), h=link(c.fix), id=c.id) for c in broken) or Markup("none")))
    if not items:
        return block(Markup('<p class="mf-nodrift">No record set differs from the baseline.</p>'), "mf-drift-block", dns=False)
    return table("drift", "<th>First seen</th><th>Domain</th><th>Record set</th><th>Removed</th><th>Added</th>"
                 "<th>Checks now failing or warning</th>", items)


def _desc(stamp: str) -> tuple:
    """Sort key for ISO timestamps, newest first."""
    return tuple(-ord(c) for c in stamp)


__all__ = [n for n in dir() if not n.startswith("_")] + ["CHECK_IDS"]
