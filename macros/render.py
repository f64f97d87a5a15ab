"""HTML for the site, built with markupsafe: DNS text is hostile input (DESIGN.md).

Every function returns one complete HTML block on a single line (no blank lines, no line that
Markdown or its extensions could pick up), wrapped in an element Python-Markdown leaves alone.
DNS values are escaped by markupsafe, control characters are shown as ``\\DDD``, and blocks
carrying DNS text are excluded from the search index (``data-search-exclude``), so a record can
never become a link, an attribute, a Jinja expression or a script.
"""

from __future__ import annotations

import re
from typing import Callable

from markupsafe import Markup, escape

from .model import CHECK_IDS, DRIFTED, FAIL, NEW, PASS, SEVERITY, UNCHANGED, UNKNOWN, WARN
from .records import display_name

Link = Callable[[str], str]

LABELS = {PASS: "PASS", WARN: "WARN", FAIL: "FAIL", UNKNOWN: "UNKNOWN"}
ICONS = {PASS: "\u2714", WARN: "\u26a0", FAIL: "\u2716", UNKNOWN: "?"}
RECORD_LABELS = {UNCHANGED: "unchanged", DRIFTED: "DRIFTED", NEW: "new", UNKNOWN: "unknown"}

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def text(value) -> Markup:
    """Escape untrusted text for HTML and make control/bidi characters visible."""
    s = "" if value is None else str(value)
    s = _CONTROL.sub(lambda m: "\\%03d" % ord(m.group()) if ord(m.group()) < 256
                     else "\\u%04x" % ord(m.group()), s)
    # Jinja or Markdown markers never reach a renderer again, but keep them visibly literal.
    return escape(s)


def _join(parts) -> Markup:
    return Markup("").join(parts)


def block(inner: Markup, cls: str, dns: bool = True) -> Markup:
    """A single-line HTML block; ``dns`` blocks stay out of the search index."""
    attrs = Markup(' data-search-exclude') if dns else Markup("")
    html = Markup('<div class="mf {cls}"{attrs}>').format(cls=cls, attrs=attrs) + inner + Markup("</div>")
    return Markup("\n\n") + Markup(str(html).replace("\n", " ")) + Markup("\n\n")


def badge(status: str) -> Markup:
    label = LABELS.get(status, str(status).upper())
    return Markup('<span class="mf-badge mf-{s}" title="{l}"><span aria-hidden="true">{i}</span> {l}</span>').format(
        s=status if status in LABELS else "unknown", l=label, i=ICONS.get(status, "?"))


def record_badge(status: str) -> Markup:
    label = RECORD_LABELS.get(status, status)
    return Markup('<span class="mf-rbadge mf-r-{s}">{l}</span>').format(s=status, l=label)


def values_list(values) -> Markup:
    if values is None:
        return Markup('<em>no definite answer</em>')
    if not values:
        return Markup('<em>none</em>')
    return _join(Markup("<code>{}</code>").format(text(v)) for v in values)


def checks_table(checks, link: Link) -> Markup:
    rows = []
    for c in checks:
        rows.append(Markup(
            '<tr class="mf-row-{s}" id="check-{id}"><td>{badge}</td><td><code>{id}</code></td>'
            '<td>{reason}</td><td>{expected}</td><td>{observed}</td>'
            '<td><a class="mf-fix" href="{href}">Fix</a></td></tr>'
        ).format(s=c.status, id=c.id, badge=badge(c.status), reason=text(c.reason),
                 expected=text(c.expected), observed=text(c.observed), href=link(c.fix)))
    head = Markup('<table class="mf-checks"><thead><tr><th>Status</th><th>Check</th><th>Why</th>'
                  '<th>Expected</th><th>Observed</th><th>Runbook</th></tr></thead><tbody>')
    return block(head + _join(rows) + Markup("</tbody></table>"), "mf-checks-block")


def records_table(records) -> Markup:
    rows = []
    for r in records:
        change = Markup("")
        if r.status == DRIFTED:
            change = Markup('<div class="mf-change">added: {a}<br>removed: {r}</div>').format(
                a=values_list(r.added), r=values_list(r.removed))
        rows.append(Markup(
            '<tr class="mf-r-{s}"><td>{badge}</td><td><code>{name}</code></td><td>{type}</td>'
            '<td>{observed}{change}</td><td>{baseline}</td></tr>'
        ).format(s=r.status, badge=record_badge(r.status), name=text(r.name), type=text(r.type),
                 observed=values_list(r.observed), change=change, baseline=values_list(r.baseline)))
    head = Markup('<table class="mf-records"><thead><tr><th>Drift</th><th>Name</th><th>Type</th>'
                  '<th>Observed now</th><th>Baseline</th></tr></thead><tbody>')
    return block(head + _join(rows) + Markup("</tbody></table>"), "mf-records-block")


def lookups_table(lookups) -> Markup:
    rows = []
    for lk in lookups:
        chain = Markup("")
        if lk.chain:
            chain = Markup('<div class="mf-chain">via CNAME: {}</div>').format(
                Markup(" &rarr; ").join(Markup("<code>{}</code>").format(text(c)) for c in lk.chain))
        if lk.status == "found":
            shown = values_list(lk.values)
        else:
            shown = Markup("<em>{}</em>").format(text(lk.describe()))
        ttl = "" if lk.ttl is None else str(lk.ttl)
        rows.append(Markup(
            '<tr><td><code>{name}</code></td><td>{type}</td><td>{status}</td><td>{shown}{chain}</td><td>{ttl}</td></tr>'
        ).format(name=text(lk.name), type=text(lk.rdtype), status=text(lk.status), shown=shown,
                 chain=chain, ttl=ttl))
    head = Markup('<table class="mf-lookups"><thead><tr><th>Name</th><th>Type</th><th>Answer</th>'
                  '<th>Records</th><th>TTL</th></tr></thead><tbody>')
    return block(head + _join(rows) + Markup("</tbody></table>"), "mf-lookups-block")


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


def meta_line(checked_at: str, resolver: str, source: str, baseline_written: str | None) -> Markup:
    if source == "live":
        what = Markup("Checked live at <time>{t}</time> via <code>{r}</code>.").format(t=checked_at, r=text(resolver))
    elif source == "baseline":
        what = Markup("Records as of <time>{t}</time> from the baseline, not live.").format(t=text(baseline_written or "unknown date"))
    else:
        what = Markup("No records are known yet for this domain.")
    return block(Markup('<p class="mf-meta">{}</p>').format(what), "mf-meta-block", dns=False)


def domain_row(report, link: Link, show_scenario: bool = True) -> Markup:
    counts = {}
    for c in report.checks:
        counts[c.status] = counts.get(c.status, 0) + 1
    problems = [c for c in report.checks if c.status in (FAIL, UNKNOWN, WARN)]
    problems.sort(key=lambda c: SEVERITY[c.status])
    first = problems[0] if problems else None
    issue = (Markup('{b} <code>{id}</code> {r} <a class="mf-fix" href="{h}">Fix</a>').format(
        b=badge(first.status), id=first.id, r=text(first.reason), h=link(first.fix)) if first
        else Markup("all checks pass"))
    drift = len(report.drifted)
    drift_cell = Markup('<span class="mf-rbadge mf-r-drifted">{n} drifted</span>').format(n=drift) if drift else Markup("")
    tally = " ".join(f"{counts[s]} {LABELS[s].lower()}" for s in (FAIL, UNKNOWN, WARN, PASS) if counts.get(s))
    scen = Markup("<td>{}</td>").format(text(report.spec.scenario)) if show_scenario else Markup("")
    return Markup('<tr class="mf-row-{s}" data-status="{s}"><td>{badge}</td><td><a href="{href}">{name}</a></td>{scen}'
                  '<td>{tally} {drift}</td><td>{issue}</td></tr>').format(
        s=report.status, badge=badge(report.status), href=link(f"domains/{report.spec.ascii}/"),
        name=text(display_name(report.spec.ascii)), scen=scen, tally=tally, drift=drift_cell, issue=issue)


def domains_table(reports, link: Link, show_scenario: bool = True) -> Markup:
    ordered = sorted(reports, key=lambda r: (SEVERITY.get(r.status, 1), -len(r.drifted), r.spec.ascii))
    if not ordered:
        return block(Markup("<p><em>No domains in this list.</em></p>"), "mf-domains-block", dns=False)
    scen = Markup("<th>Scenario</th>") if show_scenario else Markup("")
    head = Markup('<table class="mf-domains"><thead><tr><th>Status</th><th>Domain</th>{scen}<th>Checks</th>'
                  '<th>Worst problem</th></tr></thead><tbody>').format(scen=scen)
    return block(head + _join(domain_row(r, link, show_scenario) for r in ordered) + Markup("</tbody></table>"),
                 "mf-domains-block")


def drift_list(run, link: Link) -> Markup:
    """Every drifted record set, newest first (all from this run; then by domain)."""
    items = []
    for d in run.domains:
        broken = [c for c in d.checks if c.status in (FAIL, WARN)]
        for r in d.drifted:
            items.append(Markup(
                '<tr><td><time>{t}</time></td><td><a href="{href}">{dom}</a></td><td><code>{name}</code> {type}</td>'
                '<td>{before}</td><td>{after}</td><td>{checks}</td></tr>').format(
                t=d.checked_at, href=link(f"domains/{d.spec.ascii}/"), dom=text(display_name(d.spec.ascii)),
                name=text(r.name), type=text(r.type), before=values_list(r.removed), after=values_list(r.added),
                checks=_join(Markup('{b} <a href="{h}"><code>{id}</code></a> ').format(
                    b=badge(c.status), h=link(c.fix), id=c.id) for c in broken) or Markup("none")))
    if not items:
        return block(Markup('<p class="mf-nodrift">No record set differs from the baseline.</p>'), "mf-drift-block", dns=False)
    head = Markup('<table class="mf-drift"><thead><tr><th>Seen</th><th>Domain</th><th>Record set</th>'
                  '<th>Removed</th><th>Added</th><th>Checks now failing or warning</th></tr></thead><tbody>')
    return block(head + _join(items) + Markup("</tbody></table>"), "mf-drift-block")


__all__ = [n for n in dir() if not n.startswith("_")] + ["CHECK_IDS"]
