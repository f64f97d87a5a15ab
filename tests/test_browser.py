"""The site as a helpdesk uses it: Playwright driving Debian's Chromium.

One site is built for the module with ``mkdocs build --strict`` against the session BIND server
(domains that pass, fail, warn and cannot be checked; one with two SPF records; contoso.example with
the tenant export tests/tenants/contoso.json), served on 127.0.0.1 by a small
``http.server`` thread on a free port. The tests search the way people do (key by key), read the
verdicts on the Domains index and on a domain page in light and dark mode, follow the fix links
(with the mouse and with the keyboard only), and check that no page asks any other host for
anything or logs an error. Screenshots land in ``test-artifacts/screenshots/`` for a reviewer.

Nothing is downloaded at test time: the browser is ``/usr/bin/chromium`` (Debian's ``chromium``,
installed by ``make test``). A missing browser is a failure, never a skip.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest

from macros.render import ROW_PROBLEMS
from tests.support.sites import ROOT, build, build_in_process, cli, make_project
from tests.support.sites import DOMAINS as SITE_DOMAINS

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - reported by the browser fixture
    sync_playwright = None

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
TIMEOUT_MS = 10_000

TWO_SPF = "twospf.example"  # two v=spf1 records: one root cause behind four failing SPF checks
#: test_site's mix (pass, fail, hostile records, IDN) plus one of each remaining verdict.
DOMAINS = SITE_DOMAINS + [
    {"name": "toomany.example", "scenario": "third-party-filter", "filter": "hornetsecurity", "tenant": "toomany"},
    {"name": "partial.example", "scenario": "third-party-filter", "filter": "hornetsecurity", "tenant": "partial"},
    {"name": "softfail.example", "scenario": "third-party-filter", "filter": "hornetsecurity", "tenant": "softfail"},
    {"name": TWO_SPF, "scenario": "third-party-filter", "filter": "hornetsecurity", "tenant": "twospf",
     "filter_ips": ["94.100.132.8"]},
]
FAILING = "bypass.example"  # mx-route fails: its MX lets mail bypass the filter
#: Tenant exports the browser site reads (MAILFLOW_TENANTS): contoso.example's tenant checks, its
#: export line and its mail route's inbound connector are drawn from tests/tenants/contoso.json.
TENANT_EXPORTS = ("contoso.json",)
EXPORTED = "contoso.example"
LABELS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "unknown": "UNKNOWN", "info": "INFO"}
SEVERITY = {"FAIL": 0, "UNKNOWN": 1, "WARN": 2, "PASS": 3, "INFO": 4}  # worst first, as the site sorts
#: info (no tenant export, nothing to test) is no problem and never a domain's overall status here
PROBLEMS = ("warn", "fail", "unknown")
ALL_LABELS = LABELS
WIDTHS = (1280, 390)
SCHEMES = ("light", "dark")

#: A closed shadow root hides Mermaid's SVG from the test; open it (the page behaves the same).
OPEN_SHADOW_ROOTS = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) { return attach.call(this, {...init, mode: "open"}); };
"""

#: WCAG 2.x contrast ratio of an element's text against what is painted behind it.
CONTRAST = """
el => {
  const parse = s => {
    const m = s.match(/^rgba?\\(([^)]*)\\)$/);
    if (!m) throw new Error("unexpected colour " + s);
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, below) => [0, 1, 2].map(i => top[i] * top[3] + below[i] * (1 - top[3])).concat([1]);
  const layers = [];
  for (let e = el; e; e = e.parentElement) layers.unshift(parse(getComputedStyle(e).backgroundColor));
  let bg = [255, 255, 255, 1];
  for (const layer of layers) bg = over(layer, bg);
  const fg = over(parse(getComputedStyle(el).color), bg);
  const lum = c => {
    const [r, g, b] = c.slice(0, 3).map(v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  return {ratio: (hi + 0.05) / (lo + 0.05), color: getComputedStyle(el).color,
          background: getComputedStyle(el).backgroundColor};
}
"""


# ---- fixtures -----------------------------------------------------------------------------------


#: Values the browser site's baseline holds instead of what the zones say, so that two record sets
#: of FAILING drift (one of them a long TXT record, as a DKIM key or an SPF record is).
OLD_MX = "mx09.oldfilter.example."
OLD_SPF_TAIL = "include:_spf.a-rather-long-name-of-the-previous-provider.example ip4:203.0.113.0/24 ~all"


@pytest.fixture(scope="module")
def site(bind_server, tmp_path_factory) -> Path:
    # The baseline of the domains that answer (one that SERVFAILs cannot be accepted), then all of them.
    project = make_project(tmp_path_factory.mktemp("browser"), [d for d in DOMAINS if d["name"] != "partial.example"])
    written = cli(project, "baseline", MAILFLOW_NAMESERVERS=bind_server.address)
    assert written.returncode == 0, written.stderr
    make_project(project, DOMAINS)
    (project / "tenants").mkdir(exist_ok=True)  # the default MAILFLOW_TENANTS folder
    for name in TENANT_EXPORTS:
        shutil.copy2(ROOT / "tests" / "tenants" / name, project / "tenants" / name)
    baseline = (project / "baseline.yml").read_text(encoding="utf-8")
    assert baseline.count("10 mx01.hornetsecurity.com.") >= 1
    lines = baseline.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"  {FAILING}:"))
    for i in range(start, len(lines)):
        if "mx01.hornetsecurity.com." in lines[i]:
            lines[i] = lines[i].replace("mx01.hornetsecurity.com.", OLD_MX)
            break
    for i in range(start, len(lines)):
        if "include:spf.hornetsecurity.com -all" in lines[i]:
            lines[i] = lines[i].replace("-all", OLD_SPF_TAIL)
            break
    (project / "baseline.yml").write_text("".join(lines), encoding="utf-8")
    result = build(project, MAILFLOW_NAMESERVERS=bind_server.address)
    assert result.returncode == 0, result.output
    drifted = [(d["domain"], r["type"]) for d in result.drift()["domains"] for r in d["records"] if r["status"] == "drifted"]
    assert sorted(drifted) == [(FAILING, "MX"), (FAILING, "TXT")], drifted
    return result.site


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output for failures
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """``http://127.0.0.1:PORT/`` serving ``directory`` (the port is whatever is free)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_QuietHandler, directory=str(directory)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def base_url(site) -> str:
    with serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if sync_playwright is None:
        pytest.fail("Playwright for Python is not installed: .venv/bin/pip install -r requirements-dev.txt "
                    "(the browser tests are never skipped)", pytrace=False)
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: install Debian's Chromium (apt-get install chromium, or run "
                    "`make test`); the browser tests need it and are never skipped, and Playwright must not "
                    "download a browser", pytrace=False)
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        except PlaywrightError as exc:
            pytest.fail(f"{CHROMIUM} did not start under Playwright: {exc}", pytrace=False)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Watch:
    """Everything a page asked for and every error it reported."""

    origin: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def foreign(self) -> list[str]:
        return [u for u in self.requests
                if not (u.startswith(self.origin) or u.startswith(("data:", "blob:")))]


@pytest.fixture
def context(browser, base_url):
    """A fresh browser profile per test (light mode, nothing remembered from another test)."""
    ctx = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900},
                              color_scheme="light", reduced_motion="reduce")
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def watch(context, base_url) -> Watch:
    recorded = Watch(base_url)
    context.on("request", lambda request: recorded.requests.append(request.url))
    context.on("response", lambda response: response.status >= 400 and recorded.errors.append(
        f"HTTP {response.status} {response.url}"))
    return recorded


@pytest.fixture
def page(context, watch):
    tab = context.new_page()
    tab.on("console", lambda msg: msg.type == "error" and watch.errors.append(f"console: {msg.text}"))
    tab.on("pageerror", lambda exc: watch.errors.append(f"page error: {exc}"))
    yield tab
    # Whatever a test did, no page may have reached past the local server.
    assert not watch.foreign(), f"requests to other hosts: {watch.foreign()}"


# ---- helpers ------------------------------------------------------------------------------------


def goto(page, path: str, until: str = "load") -> None:
    page.goto(path, wait_until=until)


def path_of(url: str) -> str:
    return urlsplit(url).path


def screenshot(target, name: str, **options) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    target.screenshot(path=str(path), **options)
    return path


def wait_for_results(page, query: str) -> None:
    """Wait until Material shows the results of the whole ``query`` (not of a prefix of it).

    Each result link carries the terms it was found for in ``?h=`` (mkdocs.yml's
    ``search.highlight``); the last query's terms are the query itself, lowercased, split at
    spaces and hyphens.
    """
    terms = re.sub(r"[\s-]+", " ", query.strip().lower())
    page.wait_for_function(
        """terms => [...document.querySelectorAll('.md-search-result__link')]
             .some(a => new URL(a.href).searchParams.get('h') === terms)""",
        arg=terms, timeout=TIMEOUT_MS)


def report_of(site: Path, domain: str) -> dict:
    """The domain's entry in the built site's drift.json."""
    data = json.loads((site / "drift.json").read_text(encoding="utf-8"))
    return next(d for d in data["domains"] if d["domain"] == domain)


def worst(report: dict) -> str:
    """A domain's overall status from its drift.json entry: its worst check."""
    return min((c["status"] for c in report["checks"]), key=lambda s: SEVERITY[ALL_LABELS[s]])


def problem_items(report: dict) -> list[tuple]:
    """A domain's problems as its row lists them, worst first: ``("fix", check)`` for a check with
    a Fix link, ``("group", reason, n)`` for n checks (two or more) that could not run for one
    reason, said once without a Fix link."""
    problems = sorted((c for c in report["checks"] if c["status"] not in ("pass", "info")
                       and c["id"] not in same_cause(report)),
                      key=lambda c: SEVERITY[ALL_LABELS[c["status"]]])
    reasons: dict[str, int] = {}
    for c in problems:
        if c["status"] == "unknown":
            reasons[c["reason"]] = reasons.get(c["reason"], 0) + 1
    items, done = [], set()
    for c in problems:
        if c["status"] == "unknown" and reasons[c["reason"]] > 1:
            if c["reason"] not in done:
                done.add(c["reason"])
                items.append(("group", c["reason"], reasons[c["reason"]]))
        else:
            items.append(("fix", c))
    return items


def same_cause(report: dict) -> set[str]:
    """The ids of the problems that follow from another problem (``cause`` in drift.json): the
    pages name them with their cause instead of listing each with a Fix link."""
    problem = {c["id"] for c in report["checks"] if c["status"] not in ("pass", "info")}
    return {c["id"] for c in report["checks"] if c["id"] in problem and c.get("cause") in problem - {c["id"]}}


def result_hrefs(page) -> list[str]:
    return page.locator(".md-search-result__link").evaluate_all("links => links.map(a => a.href)")


def contrast(locator) -> dict:
    return locator.evaluate(CONTRAST)


def contrast_of(foreground: str, background: str) -> float:
    """WCAG 2.x contrast ratio of two opaque ``rgb(r, g, b)`` colours."""
    def luminance(colour: str) -> float:
        channels = [int(v) / 255 for v in re.findall(r"\d+", colour)[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    hi, lo = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def dark_mode(page) -> None:
    page.locator("label[title='Switch to dark mode']").click()
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "slate")


# ---- search -------------------------------------------------------------------------------------


SEARCHES = [
    # query, the page (path and section) it must find, text that page must show
    ("SPF", "/scenarios/third-party-filter/", "", "Third-party filter in front of Exchange Online"),
    ("Enhanced Filtering", "/examples/", "enhanced-filtering", "Enhanced Filtering for Connectors"),
    (FAILING, f"/domains/{FAILING}/", "", FAILING),
    ("spf-lookups", "/reference/checks/", "spf-lookups", "spf-lookups"),
]


@pytest.mark.parametrize("query, path, section, text", SEARCHES, ids=[s[0] for s in SEARCHES])
def test_search_finds_the_page(page, query, path, section, text):
    goto(page, "")
    box = page.locator("input[data-md-component=search-query]")
    box.click()
    box.press_sequentially(query, delay=15)  # fill() would not fire Material's key events
    wait_for_results(page, query)
    hrefs = result_hrefs(page)
    wanted = [h for h in hrefs if path_of(h) == path and urlsplit(h).fragment == section]
    assert wanted, f"{query!r} did not find {path}#{section}; results: {hrefs}"
    page.locator(".md-search-result__link").nth(hrefs.index(wanted[0])).click()
    page.wait_for_url(lambda url: path_of(url) == path and urlsplit(url).fragment == section)
    if section:
        expect(page.locator(f"[id='{section}']")).to_be_in_viewport()
        expect(page.locator(f"[id='{section}']")).to_contain_text(text)
    else:
        expect(page.locator("h1")).to_contain_text(text)


# ---- domain pages -------------------------------------------------------------------------------


def test_domain_page_shows_each_verdict_as_text_and_colour(page, site):
    report = report_of(site, FAILING)
    goto(page, f"domains/{FAILING}/")
    for check in report["checks"]:
        row = page.locator(f"#check-{check['id']}")
        badge = row.locator(".mf-badge")
        expect(badge).to_be_visible()
        expect(badge).to_have_text(re.compile(rf"\b{ALL_LABELS[check['status']]}\b"))
    styles = {status: page.locator(f".mf-checks .mf-badge.mf-{status}").first.evaluate(
        "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]") for status in ("pass", "fail")}
    assert styles["pass"] != styles["fail"], "pass and fail badges look alike"
    # The problems come first, each with a Fix link; a passing check links its runbook, not a "Fix".
    rows = page.locator(".mf-checks tbody tr")
    statuses = [ALL_LABELS[s] for s in rows.evaluate_all("rows => rows.map(r => r.className.replace('mf-row-', ''))")]
    assert statuses == sorted(statuses, key=lambda label: SEVERITY[label]), statuses
    for check in report["checks"]:
        link = page.locator(f"#check-{check['id']} a[href]")
        expect(link).to_have_text("Fix" if check["status"] in PROBLEMS else "Runbook")
        expect(link).to_have_accessible_name(re.compile(re.escape(check["id"])))
    screenshot(page, f"domain-{FAILING}", full_page=True)


def test_fix_link_on_a_domain_page_opens_the_runbook_section(page, site):
    report = report_of(site, FAILING)
    failing = next(c for c in report["checks"] if c["status"] == "fail")
    goto(page, f"domains/{FAILING}/")
    page.locator(f"#check-{failing['id']} a.mf-fix").click()
    target_path, _, anchor = failing["fix"].partition("#")
    page.wait_for_url(lambda url: path_of(url) == "/" + target_path and urlsplit(url).fragment == anchor)
    target = page.locator(f"[id='{anchor}']")
    expect(target).to_have_count(1)
    expect(target).to_be_visible()
    expect(target).to_be_in_viewport()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_badges_stay_readable_in_light_and_dark_mode(page, scheme):
    goto(page, "domains/")
    if scheme == "dark":
        dark_mode(page)
    badges = page.locator(".mf-domains .mf-badge")
    seen = set()
    for i in range(badges.count()):
        badge = badges.nth(i)
        expect(badge).to_be_visible()
        label = badge.inner_text().strip()
        status = next(s for s, text in LABELS.items() if text in label)
        seen.add(status)
        measured = contrast(badge)
        assert measured["ratio"] >= 4.5, f"{scheme}: {label} badge contrast {measured}"
    assert seen == set(LABELS) - {"info"}, f"the index should show every verdict, saw {seen}"
    for selector in (".mf-domains a", ".mf-fix", ".mf-domains td"):
        measured = contrast(page.locator(selector).first)
        assert measured["ratio"] >= 4.5, f"{scheme}: {selector} contrast {measured}"
    goto(page, f"domains/{FAILING}/")
    if scheme == "dark":  # the choice is remembered across pages
        expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "slate")
    for selector in (".mf-checks .mf-badge.mf-pass", ".mf-checks .mf-badge.mf-fail",
                     ".mf-checks .mf-badge.mf-info", ".mf-rbadge", ".mf-fix", ".mf-doc", ".mf-meta",
                     ".mf-route-legend .mf-badge.mf-info", ".mf-route-legend .mf-badge.mf-unknown",
                     ".mf-route-legend .mf-badge.mf-warn"):
        element = page.locator(selector).first
        expect(element).to_be_visible()
        measured = contrast(element)
        assert measured["ratio"] >= 4.5, f"{scheme}: {selector} contrast {measured}"
    if scheme == "dark":
        screenshot(page, f"domain-{FAILING}-dark")


def test_domain_index_puts_the_worst_first_with_the_fix_one_click_away(page, site):
    data = json.loads((site / "drift.json").read_text(encoding="utf-8"))
    goto(page, "domains/")
    rows = page.locator(".mf-domains tbody tr")
    expect(rows).to_have_count(len(DOMAINS))
    statuses = rows.evaluate_all("rows => rows.map(r => r.dataset.status)")
    assert statuses == sorted(statuses, key=lambda s: SEVERITY[ALL_LABELS[s]]), statuses
    summary = page.locator(".mf-summary")
    expect(summary).to_contain_text(f"{len(DOMAINS)} domains")
    for status, label in LABELS.items():
        if status == "info":  # no domain is info as a whole
            continue
        n = sum(1 for d in data["domains"] if worst(d) == status)
        expect(summary).to_contain_text(re.compile(rf"{n}\s+\W*\s*{label}"))
    for entry in data["domains"]:
        row = rows.filter(has=page.locator(f"a.mf-domain:text-is('{entry['domain']}')"))
        expect(row.locator("td").first).to_have_text(re.compile(ALL_LABELS[worst(entry)]))
        shown = problem_items(entry)[:ROW_PROBLEMS]
        expect(row.locator("a.mf-fix")).to_have_count(sum(1 for item in shown if item[0] == "fix"))
        for _, reason, n in (item for item in shown if item[0] == "group"):
            # checks that could not run for one reason: that reason once, no Fix link
            line = row.locator("li.mf-notrun").filter(has_text=f"{n} checks could not run")
            expect(line).to_have_count(1)
            expect(line).not_to_contain_text("Fix")
        if not shown:
            expect(row).to_contain_text("all checks pass")
    row = rows.filter(has=page.locator(f"a[href$='{FAILING}/']"))
    expect(row.locator(".mf-badge").first).to_have_text(re.compile(r"FAIL"))
    screenshot(page, "domains", full_page=True)
    failing = next(c for d in data["domains"] if d["domain"] == FAILING for c in d["checks"] if c["status"] == "fail")
    row.locator("a.mf-fix").first.click()
    path, _, anchor = failing["fix"].partition("#")
    page.wait_for_url(lambda url: path_of(url) == "/" + path and urlsplit(url).fragment == anchor)
    expect(page.locator(f"[id='{anchor}']")).to_be_in_viewport()


@pytest.mark.parametrize("width", [1280, 1024, 390])
def test_verdicts_and_fix_links_fit_the_screen(page, width):
    """No sideways scrolling to reach a Fix link; check ids and domain names stay whole words."""
    page.set_viewport_size({"width": width, "height": 900})
    for path in ("domains/", f"domains/{FAILING}/", "drift/"):
        goto(page, path)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} at {width}px scrolls sideways by {overflow}px"
        # Tables of records, lookups and drift fit too: nothing to scroll sideways inside them either.
        for block in page.locator(".mf-records-block, .mf-lookups-block, .mf-drift-block, .mf-checks-block").all():
            inner = block.evaluate("el => el.scrollWidth - el.clientWidth")
            assert inner <= 1, f"{path} at {width}px: a table scrolls sideways by {inner}px"
        for link in page.locator(".mf a.mf-fix").all():
            box = link.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, f"{path}: Fix link off screen: {box}"
        for word in page.locator(".mf code.mf-id, .mf a.mf-domain").all():
            lines = word.evaluate("el => el.getClientRects().length")
            assert lines == 1, f"{path} at {width}px breaks {word.inner_text()!r} over {lines} lines"
        if path == "domains/" and width == 390:
            screenshot(page, "domains-phone", full_page=True)


# ---- Mermaid and code blocks --------------------------------------------------------------------


def test_mermaid_diagram_renders_as_svg(page):
    page.add_init_script(OPEN_SHADOW_ROOTS)
    goto(page, "scenarios/third-party-filter/")
    svg = page.locator(".mermaid svg").first
    expect(svg).to_be_visible()
    assert svg.locator("g.node").count() >= 3, "the diagram has no nodes"
    expect(svg).to_contain_text("Exchange Online")
    expect(svg).not_to_contain_text("Syntax error")
    box = svg.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100, box
    screenshot(page, "scenario")
    screenshot(page.locator(".mermaid").first, "scenario-diagram")


def test_command_blocks_have_copy_buttons(page, context, base_url):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url.rstrip("/"))
    goto(page, "examples/")
    blocks = page.locator(".md-content pre:has(> code)")
    assert blocks.count() >= 5
    copy = "button[data-md-type=copy], button.md-clipboard"  # Material 9.7, and before
    expect(page.locator(f".md-content pre :is({copy})")).to_have_count(blocks.count())
    first = blocks.first
    first.hover()
    button = first.locator(copy)
    expect(button).to_be_visible()
    expect(button).to_have_attribute("title", re.compile("copy", re.IGNORECASE))
    button.click()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.strip() == first.locator("code").inner_text().strip()


# ---- only local requests, no errors -------------------------------------------------------------


def test_pages_ask_only_the_local_server_and_log_no_errors(page, watch):
    for path in ("", "scenarios/third-party-filter/", f"domains/{FAILING}/", "domains/hostile.example/",
                 "examples/"):
        goto(page, path, until="networkidle")  # every request the page makes, scripts' included
    # Instant navigation and the search worker fetch too.
    page.locator(".md-nav__link", has_text="Domains").first.click()
    page.wait_for_url(lambda url: path_of(url) == "/domains/")
    page.locator("input[data-md-component=search-query]").click()
    page.locator("input[data-md-component=search-query]").press_sequentially("mx", delay=15)
    wait_for_results(page, "mx")
    assert len(watch.requests) > 10
    assert not watch.foreign(), f"requests to other hosts: {watch.foreign()}"
    assert not watch.errors, "\n".join(watch.errors)


def test_home_page_screenshot(page, watch):
    goto(page, "")
    expect(page.locator("h1")).to_contain_text("Mail-flow KB")
    screenshot(page, "home", full_page=True)
    assert not watch.errors, "\n".join(watch.errors)


# ---- keyboard only ------------------------------------------------------------------------------


def test_keyboard_only_search_then_fix_link(page, site):
    report = report_of(site, FAILING)
    goto(page, "")
    page.keyboard.press("/")  # Material's shortcut for the search box
    expect(page.locator("input[data-md-component=search-query]")).to_be_focused()
    page.keyboard.type(FAILING, delay=15)
    wait_for_results(page, FAILING)
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("() => document.activeElement.href || ''")
    assert path_of(focused) == f"/domains/{FAILING}/", focused
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: path_of(url) == f"/domains/{FAILING}/")
    expect(page.locator("h1")).to_contain_text(FAILING)

    # Tab from the top of the page to the first Fix link: the worst problem's.
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('a.mf-fix')"):
            break
    else:
        pytest.fail("no Fix link is reachable with Tab")
    fix = page.locator("a.mf-fix:focus")
    first_problem = next(c for c in report["checks"] if c["status"] == "fail")
    expect(fix).to_have_attribute("href", re.compile(re.escape(first_problem["fix"].split("#")[1]) + "$"))
    outline = fix.evaluate("el => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]")
    assert outline[0] != "none" and outline[1] != "0px", f"the focused Fix link shows no focus ring: {outline}"
    page.keyboard.press("Enter")
    path, _, anchor = first_problem["fix"].partition("#")
    page.wait_for_url(lambda url: path_of(url) == "/" + path and urlsplit(url).fragment == anchor)
    expect(page.locator(f"[id='{anchor}']")).to_be_in_viewport()


# ---- reading it under pressure: desktop and phone, light and dark ---------------------------------


@contextlib.contextmanager
def opened(browser, base_url: str, width: int, scheme: str, shadow: bool = False):
    """A page of a fresh profile at ``width`` px in the ``scheme`` colour scheme (Material follows
    the system's), recording dialogs and errors; it must reach no other host."""
    ctx = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900},
                              color_scheme=scheme, reduced_motion="reduce")
    ctx.set_default_timeout(TIMEOUT_MS)
    record = Watch(base_url)
    ctx.on("request", lambda request: record.requests.append(request.url))
    tab = ctx.new_page()
    if shadow:
        tab.add_init_script(OPEN_SHADOW_ROOTS)
    tab.dialogs = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    tab.on("pageerror", lambda exc: record.errors.append(f"page error: {exc}"))
    tab.on("console", lambda msg: msg.type == "error" and record.errors.append(f"console: {msg.text}"))
    try:
        yield tab
        assert not tab.dialogs, f"a dialog opened: {tab.dialogs}"
        assert not record.foreign(), f"requests to other hosts: {record.foreign()}"
        assert not record.errors, "\n".join(record.errors)
    finally:
        ctx.close()


VIEWS = [(w, s) for w in WIDTHS for s in SCHEMES]
VIEW_IDS = [f"{w}px-{s}" for w, s in VIEWS]


def expect_scheme(page, scheme: str) -> None:
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "slate" if scheme == "dark" else "default")


def no_sideways_scroll(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


@pytest.mark.parametrize("width, scheme", VIEWS, ids=VIEW_IDS)
def test_scenario_page_puts_the_runbook_first_and_the_live_list_collapsed_after_it(browser, base_url, site, width, scheme):
    with opened(browser, base_url, width, scheme) as page:
        goto(page, "scenarios/third-party-filter/")
        expect_scheme(page, scheme)
        live = page.locator("details.mf-live")
        expect(live).to_have_count(1)
        expect(live).not_to_have_attribute("open", re.compile(".*"))
        expect(live.locator("table.mf-domains")).to_be_hidden()
        # The runbook (the "on the phone" steps, the diagram, every record's section) comes before it.
        live_top = live.evaluate("el => el.getBoundingClientRect().top + window.scrollY")
        for heading in page.locator("article h2").all()[:-1]:
            assert heading.evaluate("el => el.getBoundingClientRect().top + window.scrollY") < live_top, heading.inner_text()
        runbook_top = page.locator("article h2").first.evaluate("el => el.getBoundingClientRect().top + window.scrollY")
        assert runbook_top < 900 * 1.5, f"the runbook starts {runbook_top}px down"
        summary = live.locator("summary")
        third = [d for d in json.loads((site / "drift.json").read_text(encoding="utf-8"))["domains"]
                 if d["scenario"] == "third-party-filter"]
        expect(summary).to_contain_text(f"{len(third)} domains")
        summary.click()
        expect(live.locator("table.mf-domains tbody tr")).to_have_count(len(third))
        expect(live.locator(f"a.mf-domain:text-is('{FAILING}')")).to_be_visible()
        no_sideways_scroll(page)
        screenshot(page, f"scenario-live-{width}-{scheme}", full_page=False)


@pytest.mark.parametrize("width, scheme", VIEWS, ids=VIEW_IDS)
def test_domains_index_filter_finds_a_domain_in_two_keystrokes(browser, base_url, width, scheme):
    with opened(browser, base_url, width, scheme) as page:
        goto(page, "domains/")
        box = page.locator("#mf-filter")
        expect(box).to_be_focused()  # ready to type as the page opens
        rows = page.locator(".mf-domains tbody tr")
        expect(rows).to_have_count(len(DOMAINS))
        page.keyboard.type("by")  # two keystrokes
        visible = page.locator(".mf-domains tbody tr:visible")
        expect(visible).to_have_count(1)
        expect(visible.locator("a.mf-domain")).to_have_text(FAILING)
        expect(page.locator("#mf-filter-count")).to_have_text(f"1 of {len(DOMAINS)} shown")
        screenshot(page, f"domains-filter-{width}-{scheme}")
        page.keyboard.press("Enter")  # opens the one left
        page.wait_for_url(lambda url: path_of(url) == f"/domains/{FAILING}/")
        expect(page.locator("h1")).to_contain_text(FAILING)
        # An IDN is found by what people type, its own letters, as well as by its A-label.
        goto(page, "domains/")
        page.locator("#mf-filter").press_sequentially("büc")
        expect(page.locator(".mf-domains tbody tr:visible a.mf-domain")).to_have_text(["bücher.example"])
        page.locator("#mf-filter").fill("")
        page.locator("#mf-filter").press_sequentially("xn--b")
        expect(page.locator(".mf-domains tbody tr:visible a.mf-domain")).to_have_text(["bücher.example"])


@pytest.mark.parametrize("width, scheme", VIEWS, ids=VIEW_IDS)
def test_search_puts_a_domain_page_before_the_runbooks_that_mention_it(browser, base_url, width, scheme):
    """``contoso`` is in many runbooks' examples; the domain page is boosted above all of them."""
    with opened(browser, base_url, width, scheme) as page:
        goto(page, "")
        expect_scheme(page, scheme)
        if width < 960:  # on a phone the search box opens from the header's search icon
            page.locator("label[for='__search']").first.click()
        box = page.locator("input[data-md-component=search-query]")
        box.click()
        box.press_sequentially("contoso", delay=15)
        wait_for_results(page, "contoso")
        hrefs = result_hrefs(page)
        assert len(hrefs) > 1, hrefs  # the runbooks are found too
        assert path_of(hrefs[0]) == "/domains/contoso.example/", hrefs
        first = page.locator(".md-search-result__link").first
        expect(first).to_be_visible()
        screenshot(page, f"search-boost-{width}-{scheme}")
        first.click()
        page.wait_for_url(lambda url: path_of(url) == "/domains/contoso.example/")


@pytest.mark.parametrize("width, scheme", VIEWS, ids=VIEW_IDS)
def test_each_domain_page_draws_its_mail_route(browser, base_url, site, width, scheme):
    with opened(browser, base_url, width, scheme, shadow=True) as page:
        goto(page, f"domains/{FAILING}/", until="networkidle")
        expect_scheme(page, scheme)
        svg = page.locator(".mf-route-block .mermaid svg")
        expect(svg).to_be_visible()
        expect(svg).not_to_contain_text("Syntax error")
        mx = next(r for r in report_of(site, FAILING)["records"] if r["type"] == "MX")
        nodes = svg.locator("g.node")
        assert nodes.count() == len(mx["observed"]) + 3, nodes.count()  # internet, MX hosts, Exchange Online, recipients
        fills = {}
        for value in mx["observed"]:
            host = value.split()[1].rstrip(".")
            node = nodes.filter(has_text=host).filter(has_text=re.compile(r"MX \d"))
            expect(node).to_have_count(1)
            fills[host] = node.locator("rect, path, polygon").first.evaluate("el => getComputedStyle(el).fill")
        bypass = next(h for h in fills if h.endswith(".mail.protection.outlook.com"))
        filtered = next(h for h in fills if h.endswith(".hornetsecurity.com"))
        assert fills[bypass] == "rgb(253, 228, 230)", fills  # FAIL: the host that bypasses the filter
        assert fills[filtered] == "rgb(227, 246, 232)", fills  # PASS: the filter's own host
        expect(nodes.filter(has_text="bypasses the filter: FAIL")).to_have_count(1)
        for i in range(nodes.count()):  # every label readable on its node, in either scheme
            node = nodes.nth(i)
            fill = node.locator("rect, path, polygon").first.evaluate("el => getComputedStyle(el).fill")
            colour = node.locator(".nodeLabel").first.evaluate("el => getComputedStyle(el).color")
            ratio = contrast_of(colour, fill)
            assert ratio >= 4.5, f"{scheme}: {node.inner_text()!r} label {colour} on {fill}: {ratio:.2f}"
        expect(svg).to_contain_text("Exchange Online")
        route = page.locator(".mf-route-block")
        screenshot(route, f"route-{FAILING}-{width}-{scheme}")
        no_sideways_scroll(page)
        # A hostile MX host name is drawn as its text: no markup, no script, no broken diagram.
        goto(page, "domains/hostile.example/", until="networkidle")
        svg = page.locator(".mf-route-block .mermaid svg")
        expect(svg).to_be_visible()
        expect(svg).to_contain_text("<script>alert")
        expect(svg).not_to_contain_text("Syntax error")
        assert svg.locator("script, img, [onerror]").count() == 0
        screenshot(page.locator(".mf-route-block"), f"route-hostile-{width}-{scheme}")


@pytest.mark.parametrize("width, scheme", VIEWS, ids=VIEW_IDS)
def test_drift_page_fits_and_says_how_to_accept_a_change(browser, base_url, width, scheme):
    with opened(browser, base_url, width, scheme) as page:
        goto(page, "drift/")
        expect_scheme(page, scheme)
        no_sideways_scroll(page)
        rows = page.locator(".mf-drift tbody tr")
        expect(rows).to_have_count(2)
        block = page.locator(".mf-drift-block")
        assert block.evaluate("el => el.scrollWidth - el.clientWidth") <= 1
        old = page.locator(".mf-drift .mf-added code, .mf-drift .mf-removed code").filter(has_text="previous-provider")
        expect(old).to_have_count(1)
        # A long value gets most of the width: lines of many characters, not a column six wide.
        box = old.bounding_box()
        content = page.locator("article").bounding_box()
        assert box["width"] >= 0.5 * content["width"], (box, content)
        expect(page.locator(".mf-drift .mf-removed").filter(has_text=OLD_MX.rstrip("."))).to_have_count(1)
        expect(page.locator(".mf-accept")).to_contain_text("python -m macros baseline")
        expect(page.locator(".mf-accept")).to_contain_text("git diff baseline.yml")
        screenshot(page, f"drift-{width}-{scheme}", full_page=True)


@pytest.mark.parametrize("width, scheme", VIEWS, ids=VIEW_IDS)
def test_drift_banner_links_the_drift_page(browser, base_url, width, scheme):
    with opened(browser, base_url, width, scheme) as page:
        goto(page, f"domains/{FAILING}/")
        expect_scheme(page, scheme)
        banner = page.locator(".mf-banner-drift")
        expect(banner).to_be_visible()
        text = banner.inner_text()
        assert ".." not in text.replace("...", ""), text
        assert f"MX {FAILING}," in text or f"MX {FAILING}." in text, text  # names without their trailing dot
        assert contrast(banner)["ratio"] >= 4.5, contrast(banner)
        link = banner.locator("a", has_text="See the Drift page")
        expect(link).to_have_count(1)
        assert contrast(link)["ratio"] >= 4.5, contrast(link)
        no_sideways_scroll(page)
        screenshot(banner, f"drift-banner-{width}-{scheme}")
        link.click()
        page.wait_for_url(lambda url: path_of(url) == "/drift/")
        expect(page.locator(".mf-drift")).to_be_visible()


@pytest.mark.parametrize("width, scheme", VIEWS, ids=VIEW_IDS)
def test_home_banner_takes_the_worst_colour_and_links_the_failing_domains(browser, base_url, site, width, scheme):
    data = json.loads((site / "drift.json").read_text(encoding="utf-8"))
    failing = sorted(d["domain"] for d in data["domains"] if worst(d) == "fail")
    assert failing
    with opened(browser, base_url, width, scheme) as page:
        goto(page, "")
        banner = page.locator(".mf-banner").first
        expect(banner).to_have_class(re.compile(r"\bmf-banner-fail\b"))
        colour = banner.evaluate("el => getComputedStyle(el).borderLeftColor")
        assert colour == "rgb(211, 47, 47)", colour
        assert contrast(banner)["ratio"] >= 4.5, contrast(banner)
        line = banner.locator(".mf-banner-list", has_text="Failing:")
        expect(line.locator("a.mf-domain")).to_have_count(len(failing))
        assert sorted(line.locator("a.mf-domain").all_inner_texts()) == failing
        screenshot(page, f"home-{width}-{scheme}")
        line.locator("a.mf-domain", has_text=FAILING).click()
        page.wait_for_url(lambda url: path_of(url) == f"/domains/{FAILING}/")


@pytest.mark.parametrize("width, scheme", VIEWS, ids=VIEW_IDS)
def test_two_spf_records_are_one_problem_with_one_fix(browser, base_url, site, width, scheme):
    """Issue 13: two SPF records make spf-m365, spf-all, spf-lookups and spf-senders fail too; their
    status stays FAIL, but the page says the cause once: one Fix link (spf-present's), the other
    rows under it as "same cause", and the counts say so."""
    report = report_of(site, TWO_SPF)
    status = {c["id"]: c for c in report["checks"]}
    follow = sorted(same_cause(report), key=[c["id"] for c in report["checks"]].index)
    assert status["spf-present"]["status"] == "fail" and status["spf-present"]["cause"] is None
    assert follow == ["spf-m365", "spf-all", "spf-lookups", "spf-senders"], follow
    assert all(status[cid]["status"] == "fail" for cid in follow)  # the contract's statuses stay
    with opened(browser, base_url, width, scheme) as page:
        goto(page, f"domains/{TWO_SPF}/")
        expect_scheme(page, scheme)
        cause = page.locator("#check-spf-present")
        expect(cause.locator("a.mf-fix")).to_have_count(1)
        expect(cause).to_contain_text("Also failing for this one cause")
        expect(cause.locator(".mf-samecause-ids code.mf-id")).to_have_text(follow)
        # right under the cause, in page order: each FAIL, "same cause", no Fix of its own
        ids = page.locator(".mf-checks tbody tr").evaluate_all("rows => rows.map(r => r.id)")
        start = ids.index("check-spf-present")
        assert ids[start + 1:start + 1 + len(follow)] == [f"check-{cid}" for cid in follow], ids
        for cid in follow:
            row = page.locator(f"#check-{cid}")
            expect(row).to_have_class(re.compile(r"\bmf-samecause\b"))
            expect(row.locator(".mf-badge")).to_have_text(re.compile(r"\bFAIL\b"))
            expect(row.locator(".mf-samecause-tag")).to_have_text("Same cause as spf-present")
            expect(row.locator("a.mf-fix")).to_have_count(0)
            for selector in (".mf-samecause-tag", ".mf-own-reason", "a.mf-see"):
                measured = contrast(row.locator(selector))
                assert measured["ratio"] >= 4.5, f"{scheme}: {cid} {selector} contrast {measured}"
        problems = len([c for c in report["checks"] if c["status"] == "fail"]) - len(follow)
        expect(page.locator(".mf-checks a.mf-fix")).to_have_count(
            problems + sum(1 for c in report["checks"] if c["status"] in ("warn", "unknown")))
        tally = page.locator("article p", has_text="Overall:")
        expect(tally).to_contain_text(f"{problems} fail (+{len(follow)} same cause)")
        no_sideways_scroll(page)
        screenshot(page.locator(".mf-checks-block"), f"two-spf-{width}-{scheme}")
        # "see spf-present" leads to the cause's row and its Fix
        page.locator(f"#check-{follow[0]} a.mf-see").click()
        page.wait_for_url(lambda url: urlsplit(url).fragment == "check-spf-present")
        expect(cause).to_be_in_viewport()
        # the Domains index: one problem with one Fix, naming the checks that fail with it
        goto(page, "domains/")
        row = page.locator(".mf-domains tbody tr").filter(has=page.locator(f"a.mf-domain:text-is('{TWO_SPF}')"))
        item = row.locator("li.mf-rootcause")
        expect(item).to_have_count(1)
        expect(item.locator("a.mf-fix")).to_have_count(1)
        expect(item).to_contain_text("also failing for this cause")
        listed = problem_items(report)  # the cause once: fewer items than failing checks
        assert len(listed) < problems + len(follow), listed
        expect(row.locator("a.mf-fix")).to_have_count(min(len(listed), ROW_PROBLEMS))
        expect(row.locator(".mf-tally")).to_contain_text(f"{problems} fail (+{len(follow)} same cause)")
        screenshot(row, f"two-spf-index-{width}-{scheme}")


@pytest.mark.parametrize("width, scheme", VIEWS, ids=VIEW_IDS)
def test_a_pass_that_tested_nothing_is_info(browser, base_url, site, width, scheme):
    """Issue 13: spf-senders with no sender IPs listed tested nothing: INFO with a Runbook link,
    never a green PASS, and not counted among the problems."""
    check = next(c for c in report_of(site, EXPORTED)["checks"] if c["id"] == "spf-senders")
    assert check["status"] == "info" and check["observed"] == "no IPs listed", check
    with opened(browser, base_url, width, scheme) as page:
        goto(page, f"domains/{EXPORTED}/")
        expect_scheme(page, scheme)
        row = page.locator("#check-spf-senders")
        expect(row).to_have_class(re.compile(r"\bmf-row-info\b"))
        badge = row.locator(".mf-badge")
        expect(badge).to_have_text(re.compile(r"\bINFO\b"))
        expect(badge).not_to_have_text(re.compile("PASS"))
        expect(row).to_contain_text("nothing was tested")
        expect(row.locator("a.mf-fix")).to_have_count(0)
        expect(row.locator("a.mf-doc")).to_have_text("Runbook")
        for element in (badge, row.locator("a.mf-doc")):
            assert contrast(element)["ratio"] >= 4.5, contrast(element)
        stripe = row.locator("td").first.evaluate("el => getComputedStyle(el).getPropertyValue('--mf-stripe').trim()")
        assert stripe == "#1976d2", stripe  # info's blue, not pass's green
        row.scroll_into_view_if_needed()
        screenshot(row, f"info-no-senders-{width}-{scheme}")
        goto(page, "domains/")
        line = page.locator(".mf-domains tbody tr").filter(has=page.locator(f"a.mf-domain:text-is('{EXPORTED}')"))
        expect(line).not_to_contain_text("spf-senders")  # info is no problem


@pytest.mark.parametrize("width, scheme", VIEWS, ids=VIEW_IDS)
def test_domain_page_and_its_records_table_fit_every_view(browser, base_url, width, scheme):
    """The records table (and every other table) readable without sideways scrolling: at 390 px
    each record set is a card whose values get the whole width."""
    with opened(browser, base_url, width, scheme) as page:
        goto(page, f"domains/{FAILING}/", until="networkidle")
        expect_scheme(page, scheme)
        no_sideways_scroll(page)
        for block in page.locator(".mf-records-block, .mf-lookups-block, .mf-checks-block").all():
            inner = block.evaluate("el => el.scrollWidth - el.clientWidth")
            assert inner <= 1, f"at {width}px a table scrolls sideways by {inner}px"
        records = page.locator(".mf-records tbody tr")
        assert records.count() >= 5
        content = page.locator("article").bounding_box()
        drifted = page.locator(".mf-records tr.mf-r-drifted").first
        expect(drifted).to_be_visible()
        value = drifted.locator("td[data-label='Observed now'] code").first
        box = value.bounding_box()
        assert box["x"] >= content["x"] - 1 and box["x"] + box["width"] <= content["x"] + content["width"] + 1, (box, content)
        if width == 390:  # cards: the values cell takes the row's width, its label in front
            display = drifted.locator("td[data-label='Observed now']").evaluate("el => getComputedStyle(el).display")
            assert display == "block", display
            label = drifted.locator("td[data-label='Observed now']").evaluate(
                "el => getComputedStyle(el, '::before').content")
            assert "Observed now" in label, label
            assert box["width"] >= 0.6 * content["width"], (box, content)
        for cell in (drifted.locator(".mf-rbadge"), drifted.locator("code.mf-name"), value):
            assert contrast(cell)["ratio"] >= 4.5, contrast(cell)
        screenshot(page.locator(".mf-records-block"), f"records-{width}-{scheme}")
        screenshot(page, f"domain-{FAILING}-{width}-{scheme}", full_page=True)


@pytest.mark.parametrize("width, scheme", VIEWS, ids=VIEW_IDS)
def test_tenant_export_rows_date_and_connector_are_shown(browser, base_url, site, width, scheme):
    """With an Exchange Online export (tests/tenants/contoso.json) the domain page says whose export
    and of when, lists the tenant checks with their verdicts, and the mail route draws the inbound
    connector between the filter's MX hosts and Exchange Online, coloured by its checks."""
    from macros.tenant import TENANT_CHECK_IDS

    export = json.loads((ROOT / "tests" / "tenants" / "contoso.json").read_text(encoding="utf-8"))
    report = report_of(site, EXPORTED)
    tenant = {c["id"]: c for c in report["checks"] if c["id"] in TENANT_CHECK_IDS}
    assert set(tenant) == set(TENANT_CHECK_IDS)
    judged = [c for c in tenant.values() if "no export" not in c["reason"]]
    assert len(judged) == len(tenant), [c["reason"] for c in tenant.values()]  # the export was read
    connector = [tenant[cid] for cid in ("connector-lockdown", "efc") if tenant[cid]["status"] != "info"]
    assert connector, tenant
    with opened(browser, base_url, width, scheme, shadow=True) as page:
        goto(page, f"domains/{EXPORTED}/", until="networkidle")
        expect_scheme(page, scheme)
        line = page.locator(".mf-tenant-export")
        expect(line).to_contain_text(export["tenant"])
        expect(line).to_contain_text(export["exported_at"])
        expect(line).to_contain_text("contoso.json")
        assert contrast(line)["ratio"] >= 4.5, contrast(line)
        for cid, check in tenant.items():
            row = page.locator(f"#check-{cid}")
            expect(row.locator(".mf-badge")).to_have_text(re.compile(rf"\b{ALL_LABELS[check['status']]}\b"))
            expect(row.locator("a[href]")).to_have_text("Fix" if check["status"] in PROBLEMS else "Runbook")
        svg = page.locator(".mf-route-block .mermaid svg")
        expect(svg).to_be_visible()
        expect(svg).not_to_contain_text("Syntax error")
        node = svg.locator("g.node").filter(has_text="Inbound connector")
        expect(node).to_have_count(1)
        for check in connector:
            expect(node).to_contain_text(f"{check['id']}: {ALL_LABELS[check['status']]}")
        fill = node.locator("rect, path, polygon").first.evaluate("el => getComputedStyle(el).fill")
        colour = node.locator(".nodeLabel").first.evaluate("el => getComputedStyle(el).color")
        assert contrast_of(colour, fill) >= 4.5, (colour, fill)
        no_sideways_scroll(page)
        screenshot(page.locator(".mf-route-block"), f"route-{EXPORTED}-tenant-{width}-{scheme}")
        line.scroll_into_view_if_needed()
        screenshot(page, f"tenant-checks-{width}-{scheme}")


# ---- checks that could not run: one message -------------------------------------------------------


@pytest.fixture(scope="module")
def offline_url(tmp_path_factory):
    """The site built offline with no baseline: no check of any domain could run."""
    project = make_project(tmp_path_factory.mktemp("offline"), DOMAINS[:3])
    result = build(project, MAILFLOW_OFFLINE="1")
    assert result.returncode == 0, result.output
    with serve(result.site) as url:
        yield url


@pytest.mark.parametrize("width, scheme", VIEWS, ids=VIEW_IDS)
def test_checks_that_could_not_run_are_one_message_not_ten_fix_links(browser, offline_url, width, scheme):
    with opened(browser, offline_url, width, scheme) as page:
        goto(page, f"domains/{DOMAINS[0]['name']}/")
        expect(page.locator(".mf-banner-offline")).to_have_count(1)
        message = page.locator(".mf-checks-block .mf-notrun")
        expect(message).to_have_count(1)
        checks = json.loads(urlopen(offline_url + "drift.json").read())["domains"][0]["checks"]
        unknown = [c for c in checks if c["status"] == "unknown"]
        info = [c for c in checks if c["status"] == "info"]  # tenant checks without an export
        assert len(unknown) >= 10 and len(unknown) + len(info) == len(checks)
        expect(message).to_contain_text(f"None of the {len(unknown)} checks could run.")
        expect(page.locator(".mf-checks-block a.mf-fix")).to_have_count(0)
        expect(page.locator(".mf-checks tbody tr")).to_have_count(len(info))  # only what judges nothing
        expect(page.locator("#check-mx-route")).to_have_count(1)  # the anchors other pages link to stay
        expect_scheme(page, scheme)
        assert contrast(message)["ratio"] >= 4.5, contrast(message)
        no_sideways_scroll(page)
        screenshot(page, f"not-run-{width}-{scheme}")
        goto(page, "domains/")
        expect(page.locator(".mf-domains a.mf-fix")).to_have_count(0)
        expect(page.locator(".mf-domains li.mf-notrun")).to_have_count(3)


# ---- hostile names (issue 15): nothing runs ------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory):
    """A site built from a Config made directly with names validation would refuse (HTML, Jinja,
    YAML and Markdown in them), so the pages are tested without that safety net."""
    from tests.support.sites import hostile_config

    tmp = tmp_path_factory.mktemp("hostile-names")
    project = make_project(tmp / "project")
    result = build_in_process(project, tmp / "site", config=hostile_config(), MAILFLOW_OFFLINE="1")
    with serve(result.site) as url:
        yield url


@pytest.mark.parametrize("width, scheme", [(1280, "light"), (390, "dark")], ids=["1280px-light", "390px-dark"])
def test_hostile_domain_names_open_no_dialog_anywhere(browser, hostile_url, width, scheme):
    from macros.render import domain_path
    from tests.support.sites import HOSTILE_NAMES, hostile_config

    with opened(browser, hostile_url, width, scheme, shadow=True) as page:
        paths = ["", "domains/", "tags/", "drift/", "scenarios/third-party-filter/"]
        paths += [domain_path(spec) for spec in hostile_config().domains]
        for path in paths:
            goto(page, path, until="networkidle")
            expect(page.locator("body")).to_be_visible()
        goto(page, domain_path(hostile_config().domains[0]))
        expect(page.locator("h1")).to_have_text(re.compile(re.escape(HOSTILE_NAMES[0])))
        # Search shows titles and headings with innerHTML: type what the names carry.
        goto(page, "")
        if width < 960:
            page.locator("label[for='__search']").first.click()
        box = page.locator("input[data-md-component=search-query]")
        for query in ("img", "script", "alert"):
            box.fill("")
            box.press_sequentially(query, delay=10)
            page.wait_for_timeout(400)
        screenshot(page, f"hostile-names-search-{width}-{scheme}")
        assert page.evaluate("() => document.querySelectorAll('.md-search-result img, .md-search-result script').length") == 0
        # tested by opened(): no dialog was raised on any page
