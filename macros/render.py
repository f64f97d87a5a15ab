"""HTML for the site, built with markupsafe: DNS text is hostile input (DESIGN.md).

Every function returns one complete HTML block on a single line (no blank lines, no line that
Markdown or its extensions could pick up), wrapped in an element Python-Markdown leaves alone.
DNS values are escaped by markupsafe, control characters are shown as ``\\DDD``, and blocks
carrying DNS text are excluded from the search index (``data-search-exclude``), so a record can
never become a link, an attribute, a Jinja expression or a script.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Callable

from markupsafe import Markup, escape

from . import mx as mx_mod
from .model import CHECK_IDS, DRIFTED, FAIL, INFO, NEW, PASS, SEVERITY, UNCHANGED, UNKNOWN, WARN, worst
from .records import visible
from .resolve import FOUND
from .spf.record import MAX_DNS_TERMS, MAX_VOID_LOOKUPS
from .spf.tree import NodeStatus

Link = Callable[[str], str]

LABELS = {PASS: "PASS", INFO: "INFO", WARN: "WARN", FAIL: "FAIL", UNKNOWN: "UNKNOWN"}
ICONS = {PASS: "\u2714", INFO: "\u2139", WARN: "\u26a0", FAIL: "\u2716", UNKNOWN: "?"}
#: Statuses that are not problems: no "Fix" link, not listed among a domain's problems.
FINE = (PASS, INFO)
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


def table_html(name: str, head: str, rows) -> Markup:
    """``<table class="mf-{name}">``; ``head`` is the header cells (our own literal markup),
    ``rows`` the escaped ``<tr>`` rows."""
    start = Markup('<table class="mf-{n}"><thead><tr>').format(n=name) + Markup(head) + Markup("</tr></thead><tbody>")
    return start + _join(rows) + Markup("</tbody></table>")


def table(name: str, head: str, rows, before: Markup = Markup(""), after: Markup = Markup("")) -> Markup:
    """A DNS-carrying block holding one :func:`table_html`."""
    return block(before + table_html(name, head, rows) + after, f"mf-{name}-block")


# ---- names in places the theme does not escape ---------------------------------------------------

#: Characters a page title, URL path or search entry may carry as they are.
_PLAIN_PUNCT = ".-_"


def plain_name(name) -> str:
    """A domain name reduced to what is inert everywhere the theme prints a title unescaped
    (``<title>``, the header, the Tags page, the search index, mkdocs-macros' Jinja pass over
    titles): letters, digits and ``.-_`` stay (IDN names keep their letters); anything else is
    shown as ``\\DDD`` (decimal code point, as DNS presentation format writes an octet)."""
    out = []
    for c in "" if name is None else str(name):
        if c in _PLAIN_PUNCT or unicodedata.category(c)[0] in "LN" or (
                unicodedata.category(c)[0] == "M" and out):
            out.append(c)
        else:
            out.append("\\%03d" % ord(c))
    return "".join(out) or "(no name)"


_SLUG = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*")


def domain_path(spec) -> str:
    """``domains/<ascii-domain>/`` (CONTRACT.md). A name that is not plain LDH labels (only possible
    when validation was bypassed) gets a path of its safe characters plus a digest: never a
    ``/``, ``..`` or anything a URL or file system would read."""
    ascii_name = str(spec.ascii)
    if _SLUG.fullmatch(ascii_name):
        return f"domains/{ascii_name}/"
    safe = re.sub(r"[^a-z0-9-]+", "-", ascii_name.lower()).strip("-")[:40] or "domain"
    digest = hashlib.sha256(ascii_name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"domains/{safe}-{digest}/"


def domain_heading(spec) -> Markup:
    """The ``<h1>`` of a domain page: the name as given in domains.yml, escaped, with its A-label
    form when that differs. An HTML block, not Markdown, so no character of the name is read as
    Markdown, an attribute list or Jinja."""
    alias = Markup("")
    if spec.ascii != spec.name:
        alias = Markup(' <small class="mf-alias">({})</small>').format(text(spec.ascii))
    return Markup("\n\n") + Markup('<h1 id="domain">{n}{a}</h1>').format(n=text(spec.name), a=alias) + Markup("\n\n")


def page_link(href: str, label: str) -> Markup:
    return Markup('<a href="{h}">{l}</a>').format(h=href, l=label)


# ---- statuses ------------------------------------------------------------------------------------


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
    """Problems before passes (fail, unknown, warn, pass, info); the page order within a status."""
    return sorted(checks, key=lambda c: SEVERITY.get(c.status, 1))


def check_id(cid: str, anchor: bool = False) -> Markup:
    if anchor:
        return Markup('<code class="mf-id" id="check-{0}">{0}</code>').format(cid)
    return Markup('<code class="mf-id">{}</code>').format(cid)


def fix_link(check, link: Link) -> Markup:
    """``Fix`` for a problem, ``Runbook`` for a pass or info; the accessible name names the check."""
    if check.status in FINE:
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
    """``["1 fail", "9 pass"]``: how many checks have each status, worst first. Checks that fail
    only for another check's cause (:func:`same_cause_groups`) count once, with their cause:
    ``["1 fail (+3 same cause)", ...]``."""
    checks = list(checks)
    follow = dependents(same_cause_groups(checks))
    extra = {}
    for c in checks:
        if c.id in follow:
            extra[c.status] = extra.get(c.status, 0) + 1
    out = []
    for s, n in counts(c for c in checks if c.id not in follow):
        out.append(f"{n} {LABELS[s].lower()}" + (f" (+{extra[s]} same cause)" if extra.get(s) else ""))
    return out


# ---- one root cause, one message -----------------------------------------------------------------


def not_run_groups(checks) -> dict[str, list]:
    """``unknown`` checks that share one reason (two or more), by reason, in page order.

    The engine gives each check its own reason; when several could not run for the same cause
    (the resolver, one lookup that timed out), that cause is said once, not once per check."""
    by_reason: dict[str, list] = {}
    for c in worst_first(checks):
        if c.status == UNKNOWN:
            by_reason.setdefault(c.reason, []).append(c)
    return {reason: group for reason, group in by_reason.items() if len(group) > 1}


def same_cause_groups(checks) -> dict[str, list]:
    """Problems that follow from another check's problem (``Check.cause``, set by the engine: two
    SPF records make every SPF evaluation permerror), by the id of that check, in page order.

    The statuses stay what the contract says; pages say the cause once: its row carries the one
    Fix link and names the checks that fail with it, which show no Fix of their own."""
    checks = list(checks)
    problem = {c.id for c in checks if c.status not in FINE}
    groups: dict[str, list] = {}
    for c in worst_first(checks):
        cause = getattr(c, "cause", None)
        if cause and cause != c.id and cause in problem and c.id in problem:
            groups.setdefault(cause, []).append(c)
    return groups


def dependents(groups: dict[str, list]) -> set[str]:
    """The ids of the checks that fail for another check's cause, from :func:`same_cause_groups`."""
    return {c.id for group in groups.values() for c in group}


def _same_cause_note(group) -> Markup:
    return Markup('<span class="mf-samecause-ids">Also failing for this one cause: {ids}</span>').format(
        ids=Markup(" ").join(Markup('<a href="#check-{0}">{1}</a>').format(c.id, check_id(c.id)) for c in group))


def _same_cause_row(c, cause: str) -> Markup:
    """A check that fails only because ``cause`` does: said as such, with no Fix of its own."""
    return Markup(
        '<tr class="mf-row-{s} mf-samecause" id="check-{id}"><td class="mf-fit">{badge}</td><td class="mf-fit">{cid}</td>'
        '<td><strong class="mf-samecause-tag">Same cause as <a href="#check-{cause}">{cause}</a></strong> '
        '<span class="mf-own-reason">{reason}</span></td>'
        '<td class="mf-fit"><a class="mf-see" href="#check-{cause}" aria-label="{id}: fixed with {cause}">see {cause}</a></td>'
        '<td data-label="Expected">{expected}</td><td data-label="Observed">{observed}</td></tr>'
    ).format(s=c.status, id=c.id, badge=badge(c.status), cid=check_id(c.id), cause=cause, reason=text(c.reason),
             expected=text(c.expected), observed=text(c.observed))


def _not_run_row(reason: str, group) -> Markup:
    ids = Markup(" ").join(check_id(c.id, anchor=True) for c in group)
    return Markup(
        '<tr class="mf-row-unknown mf-notrun"><td class="mf-fit">{badge}</td>'
        '<td colspan="5"><strong>{n} checks could not run:</strong> {reason} <span class="mf-ids">{ids}</span></td></tr>'
    ).format(badge=badge(UNKNOWN), n=len(group), reason=text(reason), ids=ids)


def _check_row(c, link: Link, same: list = ()) -> Markup:
    """One check; ``same``: the checks that fail for its cause (named after its reason)."""
    return Markup(
        '<tr class="mf-row-{s}{cls}" id="check-{id}"><td class="mf-fit">{badge}</td><td class="mf-fit">{cid}</td>'
        '<td>{reason}{note}</td><td class="mf-fit">{fix}</td><td data-label="Expected">{expected}</td>'
        '<td data-label="Observed">{observed}</td></tr>'
    ).format(s=c.status, cls=" mf-rootcause" if same else "", id=c.id, badge=badge(c.status), cid=check_id(c.id),
             reason=text(c.reason), note=(Markup(" ") + _same_cause_note(same)) if same else Markup(""),
             fix=fix_link(c, link), expected=text(c.expected), observed=text(c.observed))


_CHECKS_HEAD = ('<th class="mf-fit">Status</th><th class="mf-fit">Check</th><th>Why</th>'
                '<th class="mf-fit">Runbook</th><th>Expected</th><th>Observed</th>')


def checks_table(checks, link: Link) -> Markup:
    """Every check, worst first, each with its fix. Checks that could not run for one shared
    reason are one row; when none of the checks that judge anything ran (the run was offline or
    the resolver unhealthy, which a banner above already says), one line instead of a table,
    followed only by the checks that are ``info`` (nothing to judge)."""
    groups = not_run_groups(checks)
    judged = [c for c in checks if c.status != INFO]
    if judged and len(groups) == 1 and sum(len(g) for g in groups.values()) == len(judged):
        reason, group = next(iter(groups.items()))
        ids = Markup(" ").join(check_id(c.id, anchor=True) for c in group)
        line = block(Markup('<p class="mf-banner mf-banner-unknown mf-notrun" role="status"><strong>None of the {n} '
                            'checks could run.</strong> {reason} <span class="mf-ids">Not checked: {ids}</span></p>').format(
            n=len(group), reason=text(reason), ids=ids), "mf-checks-block")
        rest = [c for c in checks if c.status == INFO]
        return line + (table("checks", _CHECKS_HEAD, [_check_row(c, link) for c in rest]) if rest else Markup(""))
    causes = same_cause_groups(checks)
    follow = dependents(causes)
    rows, done = [], set()
    for c in worst_first(checks):
        if c.status == UNKNOWN and c.reason in groups:
            if c.reason not in done:
                done.add(c.reason)
                rows.append(_not_run_row(c.reason, groups[c.reason]))
            continue
        if c.id in follow:  # right after the row of its cause
            continue
        rows.append(_check_row(c, link, causes.get(c.id, ())))
        rows += [_same_cause_row(d, c.id) for d in causes.get(c.id, ())]
    return table("checks", _CHECKS_HEAD, rows)


def records_table(records) -> Markup:
    rows = []
    for r in records:
        change = Markup("")
        if r.status == DRIFTED:
            change = Markup('<span class="mf-change">added: {a}<br>removed: {r}</span>').format(
                a=values_list(r.added), r=values_list(r.removed))
        rows.append(Markup(
            '<tr class="mf-r-{s}"><td class="mf-fit">{badge}</td><td class="mf-rname"><code class="mf-name">{name}</code></td>'
            '<td class="mf-fit">{type}</td>'
            '<td data-label="Observed now">{observed}{change}</td><td data-label="Baseline">{baseline}</td></tr>'
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
        if lk.status == FOUND:
            shown = values_list(lk.values)
        else:
            shown = Markup("<em>{}</em>").format(text(lk.describe()))
        ttl = "" if lk.ttl is None else str(lk.ttl)
        rows.append(Markup(
            '<tr><td class="mf-rname"><code class="mf-name">{name}</code></td><td class="mf-fit">{type}</td><td class="mf-fit">{status}</td>'
            '<td data-label="Records">{shown}{chain}</td><td class="mf-fit" data-label="TTL">{ttl}</td></tr>'
        ).format(name=host(lk.name), type=text(lk.rdtype), status=text(lk.status), shown=shown,
                 chain=chain, ttl=ttl))
    return table("lookups", "<th>Name</th><th>Type</th><th>Answer</th><th>Records</th><th>TTL</th>", rows)


def spf_tree(tree) -> Markup:
    if tree is None:
        return block(Markup("<p><em>No SPF tree: the records were not looked up.</em></p>"), "mf-spf-block")

    def node(n) -> Markup:
        kids = _join(node(c) for c in n.children)
        record = Markup("<code>{}</code>").format(text(n.record)) if n.record else Markup("<em>{}</em>").format(text(n.reason or "no SPF record"))
        status = Markup("") if n.status == NodeStatus.OK else Markup(' <strong class="mf-spf-{s}">{s}</strong> {r}').format(
            s=text(n.status), r=text(n.reason) if n.record else "")
        return Markup('<li><span class="mf-spf-via">{via}</span> <code>{domain}</code> '
                      '<span class="mf-spf-count">{count} lookup(s)</span>{status}<br>{record}{kids}</li>').format(
            via=text(n.via), domain=text(n.domain), count=n.dns_terms, status=status, record=record,
            kids=Markup("<ul>{}</ul>").format(kids) if n.children else Markup(""))

    summary = Markup('<p class="mf-spf-summary">DNS-querying terms: <strong>{t}</strong> of {tmax} &middot; '
                     'void lookups: <strong>{v}</strong> of {vmax}{loop}</p>').format(
        t=tree.dns_terms, v=tree.void_lookups, tmax=MAX_DNS_TERMS, vmax=MAX_VOID_LOOKUPS,
        loop=Markup(" &middot; <strong>include loop</strong>") if tree.loop else Markup(""))
    return block(summary + Markup('<ul class="mf-spf-tree">') + node(tree.root) + Markup("</ul>"), "mf-spf-block")


BANNER_TITLES = {
    "offline": "Not live.", "unhealthy": "Live checks could not run.", "drift": "Records drifted.",
    "flap": "Answer changed between looks.",
    FAIL: "Checks fail.", UNKNOWN: "Some checks could not run.", WARN: "Warnings.",
    PASS: "All checks pass.", INFO: "All checks pass.",
}


def banner(kind: str, message: str, after: Markup = Markup("")) -> Markup:
    """kind: offline | unhealthy | drift | flap | info, or a check status (the colour of the
    worst state). ``message`` is text (escaped); ``after`` is our own markup (links) after it."""
    role = ' role="alert"' if kind in ("drift", "unhealthy", FAIL) else ""
    return block(Markup('<p class="mf-banner mf-banner-{k}"{role}><strong>{title}</strong> {m} {after}</p>').format(
        k=kind, role=Markup(role), m=text(message), after=after,
        title=BANNER_TITLES.get(kind, "Note.")), "mf-banner-block", dns=False)


def _domain_links(reports, link: Link) -> Markup:
    return Markup(", ").join(Markup('<a class="mf-domain" href="{h}">{n}</a>').format(
        h=link(domain_path(d.spec)), n=text(d.spec.name)) for d in reports)


def summary_banner(run, link: Link) -> Markup:
    """One line for the Home page after a live run: coloured by the worst domain, with the
    domains that fail, cannot be checked or drifted, each a link to its page."""
    s = run.summary()
    state = worst(d.status for d in run.domains) if run.domains else UNKNOWN
    after = Markup("")
    ordered = _ordered(run.domains)
    for label, picked in (("Failing:", [d for d in ordered if d.status == FAIL]),
                          ("Could not check:", [d for d in ordered if d.status == UNKNOWN]),
                          ("Drifted:", [d for d in ordered if d.drifted])):
        if picked:
            after += Markup('<span class="mf-banner-list"><strong>{l}</strong> {links}</span>').format(
                l=label, links=_domain_links(picked, link))
    after += Markup('<span class="mf-banner-list">{}</span>').format(page_link(link("domains/"), "All domains"))
    message = (f"Live checks ran at {run.generated_at} via {run.resolver}: {s['domains']} domain(s), "
               f"{s['failed']} failed check(s), {s['drifted']} drifted record set(s), {s['unknown']} unknown.")
    return banner(state, message, after)


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


# ---- the domain lists ----------------------------------------------------------------------------

#: How many problems a domain's row lists before "and N more".
ROW_PROBLEMS = 3


def problem_items(report, link: Link) -> list[Markup]:
    """A domain's problems, worst first, each with its Fix link; checks that could not run for
    one shared reason are one item (the reason once, no Fix: nothing in DNS to fix yet), and
    checks that fail for another check's cause are named in that check's item, not listed."""
    groups = not_run_groups(report.checks)
    causes = same_cause_groups(report.checks)
    follow = dependents(causes)
    items, done = [], set()
    for c in worst_first(report.checks):
        if c.status in FINE or c.id in follow:
            continue
        if c.id in causes:  # one problem: the cause, its Fix, and the checks that fail with it
            same = Markup(", ").join(check_id(d.id) for d in causes[c.id])
            items.append(Markup('<li class="mf-rootcause">{b} {cid} {r} <span class="mf-samecause-ids">(also failing '
                                'for this cause: {same})</span> {fix}</li>').format(
                b=badge(c.status), cid=check_id(c.id), r=text(c.reason), same=same, fix=fix_link(c, link)))
            continue
        if c.status == UNKNOWN and c.reason in groups:
            if c.reason not in done:
                done.add(c.reason)
                items.append(Markup('<li class="mf-notrun">{b} <strong>{n} checks could not run:</strong> {r}</li>').format(
                    b=badge(UNKNOWN), n=len(groups[c.reason]), r=text(c.reason)))
            continue
        items.append(Markup('<li>{b} {cid} {r} {fix}</li>').format(b=badge(c.status), cid=check_id(c.id),
                                                                    r=text(c.reason), fix=fix_link(c, link)))
    return items


def domain_row(report, link: Link, show_scenario: bool = True) -> Markup:
    href = link(domain_path(report.spec))
    problems = problem_items(report, link)
    items = problems[:ROW_PROBLEMS]
    if len(problems) > ROW_PROBLEMS:
        items.append(Markup('<li><a href="{h}">and {n} more</a></li>').format(h=href, n=len(problems) - ROW_PROBLEMS))
    issues = (Markup('<ul class="mf-problems">{}</ul>').format(_join(items)) if items
              else Markup("all checks pass"))
    drift = len(report.drifted)
    drift_cell = Markup('<br><span class="mf-rbadge mf-r-drifted">{n} drifted</span>').format(n=drift) if drift else Markup("")
    scen = Markup('<td class="mf-fit">{}</td>').format(text(report.spec.scenario)) if show_scenario else Markup("")
    needle = " ".join(dict.fromkeys(plain_name(n).lower() for n in (report.spec.name, report.spec.ascii)))
    return Markup('<tr class="mf-row-{s}" data-status="{s}" data-filter="{f}"><td class="mf-fit">{badge}</td>'
                  '<td class="mf-fit"><a class="mf-domain" href="{href}">{name}</a></td>{scen}'
                  '<td class="mf-fit mf-tally">{tally}{drift}</td><td>{issues}</td></tr>').format(
        s=report.status, f=text(needle), badge=badge(report.status), href=href, name=text(report.spec.name),
        scen=scen, tally=Markup("<br>").join(tally(report.checks)), drift=drift_cell, issues=issues)


def domains_summary(reports) -> Markup:
    """``9 domains: 4 FAIL · 1 UNKNOWN · ...``: the whole list at a glance, in words."""
    parts = [Markup("{n} {b}").format(n=n, b=badge(s)) for s, n in counts(reports)]
    return Markup('<p class="mf-summary"><strong>{n} domain{pl}:</strong> {parts}</p>').format(
        n=len(reports), pl="" if len(reports) == 1 else "s", parts=Markup(" &middot; ").join(parts))


def _ordered(reports) -> list:
    return sorted(reports, key=lambda r: (SEVERITY.get(r.status, 1), -len(r.drifted), r.spec.ascii))


def _domains_html(ordered, link: Link, show_scenario: bool) -> Markup:
    scen = '<th class="mf-fit">Scenario</th>' if show_scenario else ""
    return table_html("domains", f'<th class="mf-fit">Status</th><th class="mf-fit">Domain</th>{scen}'
                      '<th class="mf-fit">Checks</th><th>Problems, worst first</th>',
                      (domain_row(r, link, show_scenario) for r in ordered))


#: The Domains index's filter box; macros/../docs/assets/javascripts/mailflow.js makes it work.
FILTER_BOX = Markup(
    '<p class="mf-filter-box"><label for="mf-filter">Find a domain</label> '
    '<input id="mf-filter" class="mf-filter" type="search" autocomplete="off" spellcheck="false" '
    'placeholder="type part of a name, Enter opens the first" aria-controls="mf-domains-list" aria-describedby="mf-filter-count">'
    ' <span id="mf-filter-count" class="mf-filter-count" role="status" aria-live="polite"></span></p>')


def domains_table(reports, link: Link, show_scenario: bool = True, filter_box: bool = False) -> Markup:
    ordered = _ordered(reports)
    if not ordered:
        return block(Markup("<p><em>No domains in this list.</em></p>"), "mf-domains-block", dns=False)
    before = domains_summary(ordered) + (FILTER_BOX if filter_box else Markup(""))
    inner = _domains_html(ordered, link, show_scenario)
    if filter_box:
        inner = Markup(str(inner).replace('<table class="mf-domains">', '<table class="mf-domains" id="mf-domains-list">', 1))
    return block(before + inner, "mf-domains-block")


def scenario_domains(reports, link: Link) -> Markup:
    """The live state of every domain meant to be in a scenario, collapsed (the runbook comes
    first; this list grows with every customer): the summary line shows the counts."""
    ordered = _ordered(reports)
    if not ordered:
        return block(Markup("<p><em>No checked domain is in this scenario yet.</em></p>"), "mf-domains-block", dns=False)
    summary = Markup('<summary>Live status of the {n} domain{pl} in this scenario: {parts}</summary>').format(
        n=len(ordered), pl="" if len(ordered) == 1 else "s",
        parts=Markup(" &middot; ").join(Markup("{n} {b}").format(n=n, b=badge(s)) for s, n in counts(ordered)))
    return block(Markup('<details class="mf-live">') + summary
                 + _domains_html(ordered, link, show_scenario=False) + Markup("</details>"), "mf-domains-block")


# ---- drift ---------------------------------------------------------------------------------------


def _change_lines(removed, added) -> Markup:
    lines = [Markup('<span class="mf-removed"><span class="mf-sign" aria-label="removed">&minus;</span><code>{}</code></span>').format(text(v))
             for v in removed]
    lines += [Markup('<span class="mf-added"><span class="mf-sign" aria-label="added">+</span><code>{}</code></span>').format(text(v))
              for v in added]
    return _join(lines) or Markup("<em>no values</em>")


def accept_note(link: Link) -> Markup:
    """What to do with a change: accept it into the baseline, or fix it."""
    return Markup(
        '<p class="mf-accept"><strong>Intended change?</strong> Accept it: in the KB repository run '
        '<code>python -m macros baseline</code>, review <code>git diff baseline.yml</code> and commit it; the next '
        'build compares with the new baseline. (It refuses while the resolver is unhealthy, and asks for '
        '<code>--force</code> when more than 30% of the record sets would change.) '
        '<strong>Not intended?</strong> Open the domain and follow the Fix link of each failing check. '
        'More in {nightly}.</p>').format(nightly=page_link(link("nightly/"), "Nightly rebuilds"))


def drift_list(run, link: Link) -> Markup:
    """Every drifted record set, newest change first (by when it was first seen), then by domain."""
    changes = sorted(((r.first_seen or d.checked_at, d, r) for d in run.domains for r in d.drifted),
                     key=lambda item: (_desc(item[0]), item[1].spec.ascii, item[2].name, item[2].type))
    items = []
    for seen, d, r in changes:
        follow = dependents(same_cause_groups(d.checks))
        broken = [c for c in d.checks if c.status in (FAIL, WARN) and c.id not in follow]
        checks = _join(Markup('<span class="mf-drift-check">{b} <a href="{h}">{id}</a></span> ').format(
            b=badge(c.status), h=link(c.fix), id=check_id(c.id)) for c in broken) or Markup("none")
        items.append(Markup(
            '<tr class="mf-r-drifted"><td class="mf-fit" data-label="First seen"><time>{t}</time></td>'
            '<td class="mf-drift-what"><a class="mf-domain" href="{href}">{dom}</a><br><code class="mf-name">{name}</code> {type}'
            '<span class="mf-drift-checks"><strong>Checks now failing or warning:</strong> {checks}</span></td>'
            '<td class="mf-drift-change">{change}</td></tr>').format(
            t=text(seen), href=link(domain_path(d.spec)), dom=text(d.spec.name),
            name=host(r.name.rstrip(".")), type=text(r.type), checks=checks,
            change=_change_lines(r.removed, r.added)))
    if not items:
        return block(Markup('<p class="mf-nodrift">No record set differs from the baseline.</p>'), "mf-drift-block", dns=False)
    return table("drift", '<th class="mf-fit">First seen</th><th>Domain and record set</th>'
                 "<th>Change (&minus; removed, + added)</th>", items, after=accept_note(link))


def _desc(stamp: str) -> tuple:
    """Sort key for ISO timestamps, newest first."""
    return tuple(-ord(c) for c in stamp)


# ---- the mail route (Mermaid) --------------------------------------------------------------------

#: Node colours by status (light fills with dark text: readable in both colour schemes).
ROUTE_STYLES = {
    PASS: "fill:#e3f6e8,stroke:#0b6b2b,color:#0b6b2b",
    INFO: "fill:#e3eefc,stroke:#0d47a1,color:#0d47a1",
    WARN: "fill:#fff2d6,stroke:#7a4a00,color:#7a4a00",
    FAIL: "fill:#fde4e6,stroke:#a0111f,color:#a0111f,stroke-width:3px",
    UNKNOWN: "fill:#e8ecf1,stroke:#3f4a57,color:#3f4a57,stroke-dasharray:4 3",
    "end": "fill:#f3f4f6,stroke:#57606a,color:#1f2328",  # the internet: where mail starts and ends
}
#: Tenant checks (CONTRACT.md) that judge the filter's delivery into Exchange Online.
CONNECTOR_CHECKS = ("connector-lockdown", "efc")
_MERMAID_PLAIN = re.compile(r"[A-Za-z0-9 .:_-]")


def mermaid_text(value) -> str:
    """Text for inside a quoted Mermaid label: every character but ASCII letters, digits and
    `` .:_-`` becomes an entity code ``#NNN;`` (decimal; Mermaid's flowchart syntax, "Entity codes
    to escape characters": https://mermaid.js.org/syntax/flowchart.html#entity-codes-to-escape-characters).
    So a hostile name can close no quote or bracket, start no statement (``click``, ``style``,
    ``%%{init}%%``), and carries no ``<``: Mermaid shows the characters, never markup. (Material
    renders with Mermaid's default ``securityLevel: 'strict'``, which also sanitizes labels and
    turns ``click`` off; this does not rely on it.)"""
    return "".join(c if _MERMAID_PLAIN.fullmatch(c) else f"#{ord(c)};" for c in visible(value))


def _label(*lines) -> str:
    return '"' + "<br>".join(mermaid_text(line) for line in lines if line) + '"'


def _mx_hosts(report) -> tuple | None:
    """The apex MX record set as observed now, classified (:func:`mx.route`); None without an
    answer."""
    apex = report.spec.fqdn
    for r in report.records:
        if r.type == "MX" and r.name == apex:
            if r.observed is None:
                return None
            return mx_mod.route(r.observed, report.spec.filter_mx if report.spec.third_party else ()).hosts
    return None


def _mx_node(spec, host, check_state: str) -> tuple[str, str]:
    """(label lines' last line, state) of one MX host. The check's verdict is the domain's; a
    failing ``mx-route`` is drawn on the hosts that cause it (the others keep their colour)."""
    wanted = mx_mod.FILTER if spec.third_party else mx_mod.EXCHANGE_ONLINE
    if host.kind == wanted:
        where = "at the filter" if spec.third_party else "Exchange Online"
    elif spec.third_party and host.kind == mx_mod.EXCHANGE_ONLINE:
        where = "bypasses the filter"
    else:
        where = "not the filter" if spec.third_party else "not Exchange Online"
    state = check_state
    if check_state in (FAIL, WARN) and host.kind == wanted:
        state = PASS
    return f"{where}: {LABELS.get(state, 'UNKNOWN')}", state


def route_source(report) -> str:
    """The Mermaid flowchart of a domain's mail route, one statement a line.

    Inbound: internet -> each MX host (coloured by ``mx-route``) -> [third-party scenarios with a
    tenant export: the inbound connector (``connector-lockdown``, ``efc``)] -> the tenant's
    Exchange Online host (``exo-host``) -> on-premises (hybrid; ``spf-senders``). Outbound: Exchange Online ->
    the internet (``spf-m365``), or through the filter's smart host (``outbound: filter``;
    ``outbound-route`` when the engine has it, else ``spf-senders``). Node ids are ours; every
    label is :func:`mermaid_text`."""
    spec = report.spec
    status = {c.id: c.status for c in report.checks}

    def of(*ids) -> str:
        for cid in ids:
            if cid in status:
                return status[cid]
        return UNKNOWN

    nodes, edges = [], []

    def node(nid: str, shape: str, label: str, state: str | None) -> None:
        opening, closing = {"box": ("[", "]"), "round": ("([", "])"), "db": ("[(", ")]")}[shape]
        nodes.append(f"{nid}{opening}{label}{closing}" + (f":::st_{state}" if state else ""))

    node("inet", "round", _label("Senders on the internet"), "end")
    exo_host = spec.expected_exo_host.rstrip(".")
    node("exo", "box", _label("Exchange Online", exo_host, f"exo-host: {LABELS.get(of('exo-host'), 'UNKNOWN')}"),
         of("exo-host"))
    # Third-party scenarios: the filter hands mail to the tenant through its inbound connector,
    # judged by the tenant checks when an export exists (info, "no export", is not drawn).
    entry = "exo"
    connector = [(cid, status[cid]) for cid in CONNECTOR_CHECKS if status.get(cid) not in (None, INFO)]
    if spec.third_party and connector:
        node("conn", "box", _label("Inbound connector", *(f"{cid}: {LABELS.get(st, 'UNKNOWN')}" for cid, st in connector)),
             worst(st for _, st in connector))
        edges.append("conn --> exo")
        entry = "conn"
    mx_state = of("mx-route")
    hosts = _mx_hosts(report)
    if hosts is None:
        node("mx0", "box", _label("MX: no definite answer", f"mx-route: {LABELS.get(mx_state, 'UNKNOWN')}"), UNKNOWN)
        edges += ['inet -->|"MX lookup"| mx0', f"mx0 -.-> {entry}"]
    elif not hosts:
        node("mx0", "box", _label("No MX record", f"mx-route: {LABELS.get(mx_state, 'UNKNOWN')}"), mx_state)
        edges.append('inet -->|"MX lookup"| mx0')
    else:
        for i, h in enumerate(hosts):
            verdict, state = _mx_node(spec, h, mx_state)
            title = f"MX {h.preference}" if h.kind != mx_mod.INVALID else "MX (invalid)"
            node(f"mx{i}", "box", _label(title, h.name if h.kind != mx_mod.INVALID else h.text, verdict), state)
            edges += [f'inet -->|"MX"| mx{i}', f"mx{i} --> {entry}"]
    if spec.scenario == "hybrid-third-party":
        ips = ", ".join(spec.onprem_ips) or "no onprem_ips listed"
        node("onprem", "db", _label("On-premises Exchange", ips, f"spf-senders: {LABELS.get(of('spf-senders'), 'UNKNOWN')}"),
             of("spf-senders"))
        edges += ['exo -->|"mailboxes on-premises"| onprem', 'onprem -.->|"outbound"| exo']
    node("out", "round", _label("Recipients on the internet"), "end")
    if getattr(spec, "outbound", "direct") == "filter":
        state = of("outbound-route", "spf-senders")
        node("smart", "box", _label(f"Smart host of {spec.filter_name}", f"outbound: {LABELS.get(state, 'UNKNOWN')}"), state)
        edges += ['exo -.->|"outbound connector"| smart', 'smart -.->|"outbound"| out']
    else:
        state = of("spf-m365")
        edges.append(f'exo -.->|{_label("outbound, spf-m365: " + LABELS.get(state, "UNKNOWN"))}| out')
    styles = [f"classDef st_{s} {css}" for s, css in ROUTE_STYLES.items()]
    return "\n".join(["flowchart LR", "accTitle: Mail route", *nodes, *edges, *styles])


def mail_route(report) -> Markup:
    """The mail route as a Mermaid diagram Material renders (``pre.mermaid``), with a legend.

    The source is escaped once more for HTML, its line breaks as ``&#10;`` so the block stays one
    line for Markdown; the browser hands Mermaid the text back (``textContent``)."""
    legend = Markup(" ").join(badge(s) for s in (PASS, INFO, WARN, FAIL, UNKNOWN))
    src = Markup(str(escape(route_source(report))).replace("\n", "&#10;"))
    return block(Markup('<pre class="mermaid mf-route"><code>{src}</code></pre>'
                        '<p class="mf-route-legend">Solid arrows: inbound mail; dotted: outbound. Colours: {legend}</p>').format(
        src=src, legend=legend), "mf-route-block")


__all__ = [n for n in dir() if not n.startswith("_")] + ["CHECK_IDS"]
