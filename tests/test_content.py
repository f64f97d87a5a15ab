"""Whole-site tests of the KB content and of Obsidian-style authoring.

The main site is built once per session (`mkdocs build --strict`, offline: no DNS). The authoring
tests build a copy of the project with an extra note in the seed's format.
"""

from __future__ import annotations

import html as html_module
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import zlib
import struct
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

SCENARIOS = ("exchange-online", "third-party-filter", "hybrid-third-party")

# page (output path under the site) -> ids the check engine links to as fix links
REQUIRED_ANCHORS = {
    "scenarios/exchange-online/index.html": ["mx-record", "spf-record"],
    "scenarios/third-party-filter/index.html": [
        "mx-record", "spf-record", "exchange-online-host", "enhanced-filtering", "connectors", "arc",
    ],
    "common-issues/index.html": [
        "two-spf-records", "too-many-spf-lookups", "dmarc", "dkim", "autodiscover", "mx-bypasses-filter",
        "spoof-junk", "dkim-broken-by-filter", "hybrid-spf-missing-onprem", "connector-not-restricted",
        "wrong-exo-host", "spf-softfail",
        # rows the engine's fix links can point at (issue 13: one row per situation)
        "filter-outbound-ip-missing-from-spf", "filter-outbound-not-in-spf", "spf-m365-missing", "spf-missing",
        "spf-plus-all", "ndr-5-7-509", "dmarc-invalid", "dmarc-no-reports", "mta-sts-policy-mismatch",
        "mta-sts-not-enforced", "tls-rpt-missing", "efc-test-mode", "scl-rule-and-enhanced-filtering",
        "scl-bypass-phish", "domain-not-accepted", "outbound-connector-missing", "dkim-signing-disabled",
        "legit-sender-5-7-51",
    ],
    "scenarios/hybrid-third-party/index.html": ["mx-record", "spf-record", "onprem-ip-in-spf"],
}

# the runbooks a ticket starts from (issue 13, section 2), each in the nav
RUNBOOKS = ("triage", "ndr", "outbound-through-filter", "lock-down-direct-delivery", "connector-validation",
            "multiple-locations")

CHECK_IDS = ("mx-route", "exo-host", "spf-present", "spf-m365", "spf-all", "spf-lookups",
             "spf-senders", "dmarc", "dmarc-reports", "dkim", "autodiscover", "mta-sts", "tls-rpt")

KB_PAGES = (
    "index.html",
    "scenarios/index.html",
    *(f"scenarios/{s}/index.html" for s in SCENARIOS),
    "common-issues/index.html",
    "examples/index.html",
    "reference/checks/index.html",
    "authoring/index.html",
    "kb/1.19-mail-flow/index.html",
    "nightly/index.html",
    *(f"runbooks/{r}/index.html" for r in RUNBOOKS),
)

# Directories of the project that a copy does not need to build the site.
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "site", ".cache", "__pycache__", ".pytest_cache",
                                     "tests", "bench", "node_modules")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["MAILFLOW_OFFLINE"] = "1"
    env["MAILFLOW_FAIL_ON_DRIFT"] = "0"
    return env


def build(project: Path, site_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site_dir)],
        cwd=project, env=_env(), capture_output=True, text=True, timeout=300,
    )


def ids_in(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


def article(html: str) -> str:
    """The page's own content (Material's <article>), without navigation and footer."""
    match = re.search(r"<article\b.*?</article>", html, re.S)
    assert match, "no <article> in page"
    return match.group(0)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def resolve_href(site: Path, page: str, href: str) -> tuple[Path, str]:
    """The output file a relative link on `page` points to, and its fragment."""
    path, _, fragment = href.partition("#")
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path)) if path else page
    if path.endswith("/") or not posixpath.splitext(target)[1]:
        target = posixpath.join(target, "index.html")
    return site / target, fragment


def tiny_png() -> bytes:
    width, height = 2, 2
    raw = b"".join(b"\x00" + b"\x00\x78\xd4" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@pytest.fixture(scope="session")
def kb_site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("kb-site") / "site"
    result = build(ROOT, site)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    return site


def read(site: Path, page: str) -> str:
    path = site / page
    assert path.is_file(), f"{page} missing from the built site"
    return path.read_text(encoding="utf-8")


# --- the main site ---------------------------------------------------------------------------------

@pytest.mark.parametrize("page", KB_PAGES)
def test_page_has_real_content_and_kb_metadata(kb_site, page):
    html = read(kb_site, page)
    body = article(html)
    assert "<h1" in body
    assert len(text_of(body)) > 800, f"{page} looks empty"
    meta = re.search(r'<p class="kb-meta">(.*?)</p>', body, re.S)
    assert meta, f"{page} shows no status/created/updated line"
    assert "created" in meta.group(1) and "updated" in meta.group(1)
    assert "{{" not in body and "{%" not in body, f"unrendered template text on {page}"


@pytest.mark.parametrize("page", sorted(REQUIRED_ANCHORS))
def test_fix_link_anchors_exist(kb_site, page):
    missing = set(REQUIRED_ANCHORS[page]) - ids_in(read(kb_site, page))
    assert not missing, f"{page} lacks anchors {sorted(missing)}"


def _rows(table: str) -> list[list[str]]:
    body = re.search(r"<tbody>.*?</tbody>", table, re.S).group(0)
    return [re.findall(r"<td\b[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_common_issues_has_30_rows_each_with_its_own_section_and_a_detected_by_entry(kb_site):
    page = "common-issues/index.html"
    body = article(read(kb_site, page))
    tables = re.findall(r"<table>.*?</table>", body, re.S)
    assert tables
    ids = ids_in(body)
    checks_page = kb_site / "reference/checks/index.html"
    check_ids = ids_in(checks_page.read_text(encoding="utf-8"))
    anchors = []
    for table in tables:
        header = re.search(r"<thead>.*?</thead>", table, re.S).group(0)
        assert [text_of(c) for c in re.findall(r"<th\b.*?</th>", header, re.S)] == \
            ["Issue / symptom", "Cause", "Fix", "Detected by"]
        for issue, cause, fix, detected in _rows(table):
            anchor = re.match(r'<a href="#([^"]+)"', issue)
            assert anchor, f"row without a link to its section: {text_of(issue)}"
            anchors.append(anchor.group(1))
            assert text_of(cause) and text_of(fix), f"row {anchor.group(1)} lacks cause or fix"
            check_links = re.findall(r'<a href="([^"]*reference/checks/[^"]*)"', detected)
            if "not visible in DNS" in text_of(detected):
                # says what shows it instead: a command, a header or a trace
                assert "<code>" in detected or "<a href=" in detected, f"row {anchor.group(1)}: how to see it?"
            else:
                assert check_links, f"row {anchor.group(1)} names no check that detects it"
            for href in check_links:
                target, fragment = resolve_href(kb_site, page, href)
                assert target == checks_page
                assert not fragment or fragment in check_ids, f"{href} points at no check section"
    assert len(anchors) >= 30, f"only {len(anchors)} rows"
    assert len(set(anchors)) == len(anchors), "two rows share one section"
    missing = [a for a in anchors if a not in ids]
    assert not missing, f"rows link to missing sections {missing}"
    # every section says what detects it
    for anchor in anchors:
        section = body.split(f'id="{anchor}"', 1)[1].split("<h2", 1)[0]
        assert "Detected by." in text_of(section), f"section {anchor} has no Detected by paragraph"


def test_every_check_section_links_back_to_the_rows_it_detects(kb_site):
    from macros.model import CHECK_IDS as ALL_CHECK_IDS  # the tenant checks detect rows too

    body = article(read(kb_site, "reference/checks/index.html"))
    issues = ids_in(article(read(kb_site, "common-issues/index.html")))
    for check in ALL_CHECK_IDS:
        section = body.split(f'id="{check}"', 1)[1].split("<h2", 1)[0]
        line = re.search(r"Common issues it detects:(.*?)</li>", section, re.S)
        assert line, f"check {check} lists no common issue"
        targets = re.findall(r'href="[^"]*common-issues/#([^"]+)"', line.group(1))
        assert targets and set(targets) <= issues, (check, targets)
    spf_senders = body.split('id="spf-senders"', 1)[1].split("<h2", 1)[0]
    assert "common-issues/#filter-outbound-ip-missing-from-spf" in spf_senders
    # ... and each row's Detected-by checks list that row, both ways round
    links_back = {}
    for check in ALL_CHECK_IDS:
        section = body.split(f'id="{check}"', 1)[1].split("<h2", 1)[0]
        line = re.search(r"Common issues it detects:(.*?)</li>", section, re.S).group(1)
        links_back[check] = set(re.findall(r'href="[^"]*common-issues/#([^"]+)"', line))
    page = article(read(kb_site, "common-issues/index.html"))
    unlisted = []
    for table in re.findall(r"<table>.*?</table>", page, re.S):
        for issue, _cause, _fix, detected in _rows(table):
            anchor = re.match(r'<a href="#([^"]+)"', issue).group(1)
            for check in re.findall(r'reference/checks/#([a-z0-9-]+)"', detected):
                if anchor not in links_back.get(check, ()):
                    unlisted.append(f"{check} -> {anchor}")
    assert not unlisted, f"rows their detecting check does not link back to: {unlisted}"
    assert "common-issues/#hybrid-spf-missing-onprem" in spf_senders


@pytest.mark.parametrize("runbook", RUNBOOKS)
def test_runbook_is_in_the_nav_and_cites_its_sources(kb_site, runbook):
    home = read(kb_site, "index.html")
    nav = re.search(r'<nav class="md-nav md-nav--primary".*?</nav>\s*</div>\s*</div>\s*</div>', home, re.S)
    assert nav and f'href="runbooks/{runbook}/"' in nav.group(0), f"{runbook} is not in the nav"
    body = article(read(kb_site, f"runbooks/{runbook}/index.html"))
    assert 'id="references"' in body and 'id="related-topics"' in body
    references = body.split('id="references"', 1)[1]
    assert re.search(r'href="https://(learn\.microsoft\.com|www\.rfc-editor\.org)/', references)


RUNBOOK_TERMS = {
    "triage": ("Get-MessageTraceV2", "Get-MessageTraceDetailV2", "compauth", "X-Forefront-Antispam-Report",
               "SFV:SKN", "CIP:", "X-MS-Exchange-ExternalOriginalInternetSender", "ARC-Seal", "Quarantine",
               "30 days"),
    "ndr": ("5.4.1", "5.4.14", "4.4.7", "5.7.1", "5.7.23", "5.7.51", "5.7.64", "TenantAttribution", "5.7.509",
            "4.7.500", "5.7.321", "5.7.324", "4/5.4.312", "MTA-STS"),
    "outbound-through-filter": ("New-OutboundConnector", "-UseMXRecord $false", "-SmartHosts", "-TlsSettings",
                                "Validate-OutboundConnector", "include:spf.protection.outlook.com"),
    "lock-down-direct-delivery": ("RejectDirectSend", "RestrictDomainsToCertificate", "RestrictDomainsToIPAddresses",
                                  "5.7.51", "IPV:CAL", "/24 to /32"),
    "connector-validation": ("Validate this connector", "Validate-OutboundConnector", "Remote Connectivity Analyzer"),
    "multiple-locations": ("New-SendConnector", "-DNSRoutingEnabled $false", "TlsSenderCertificateName",
                           "RouteAllMessagesViaOnPremises", "131.107.21.231"),
}


@pytest.mark.parametrize("runbook", sorted(RUNBOOK_TERMS))
def test_runbook_names_the_commands_and_codes_it_is_about(kb_site, runbook):
    text = text_of(article(read(kb_site, f"runbooks/{runbook}/index.html")))
    missing = [term for term in RUNBOOK_TERMS[runbook] if term not in text]
    assert not missing, f"{runbook} lacks {missing}"


def test_enhanced_filtering_proof_names_the_header_that_shows_it_applied(kb_site):
    text = text_of(article(read(kb_site, "scenarios/third-party-filter/index.html")))
    assert "X-MS-Exchange-ExternalOriginalInternetSender" in text
    assert "-EFSkipLastIP $false -EFSkipIPs $null" in text  # how to turn it off again
    assert "/24 to /32" in text and "IPv6" in text  # SenderIPAddresses limits
    assert "secure-by-default" in read(kb_site, "scenarios/third-party-filter/index.html")
    # the menu path from Microsoft's screenshot of another vendor is not given as Hornetsecurity's
    assert "Spam and Malware Protection" in text and "365 Total Protection" in text


def test_nightly_cron_script_never_mails_last_nights_log(kb_site, tmp_path):
    """The script on the Nightly page, run with a `git pull` that fails: the mail carries tonight's error."""
    body = article(read(kb_site, "nightly/index.html"))
    raw = [re.sub(r"<[^>]+>", "", b) for b in re.findall(r'<div class="highlight"><pre>.*?<code>(.*?)</code>', body, re.S)]
    script = next(b for b in raw if b.lstrip().startswith("#!/bin/sh"))
    script = html_module.unescape(script)
    repo, log, bindir, sent = tmp_path / "repo", tmp_path / "nightly.log", tmp_path / "bin", tmp_path / "mail.txt"
    repo.mkdir(), bindir.mkdir()
    log.write_text("LAST NIGHT: contoso.com: MX drifted\n")
    script = script.replace("/var/log/mailflow-nightly.log", str(log)).replace("/srv/mailflow-kb", str(repo))
    (tmp_path / "nightly.sh").write_text(script)
    for name, code in (("git", 'echo "fatal: unable to access remote" >&2; exit 1'),
                       ("make", "exit 0"),
                       ("mail", f'cat > "{sent}"')):
        tool = bindir / name
        tool.write_text(f"#!/bin/sh\n{code}\n")
        tool.chmod(0o755)
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
    result = subprocess.run(["sh", str(tmp_path / "nightly.sh")], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    mailed = sent.read_text()
    assert "fatal: unable to access remote" in mailed
    assert "LAST NIGHT" not in mailed


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_page_draws_its_mail_flow_and_calls_live_status(kb_site, scenario):
    body = article(read(kb_site, f"scenarios/{scenario}/index.html"))
    assert re.search(r'class="mermaid"', body), "no Mermaid diagram"
    assert "flowchart" in body
    # no hot-linked images: every <img> is served by the site itself
    for src in re.findall(r'<img[^>]+src="([^"]+)"', body):
        assert not re.match(r"(?i)https?:|//", src), f"hot-linked image {src}"
    assert "scenario_status" not in body, "macro call left unrendered"
    # Mermaid comes from the site itself, so Material never fetches it from a CDN
    page = f"scenarios/{scenario}/index.html"
    script = re.search(r'<script src="([^"]*mermaid[^"]*\.js)"', read(kb_site, page))
    assert script and not re.match(r"(?i)https?:|//", script.group(1))
    target, _ = resolve_href(kb_site, page, script.group(1))
    assert target.is_file()
    assert "learn.microsoft.com" in body
    assert 'id="references"' in body and 'id="related-topics"' in body


#: Issue 12 section 6: each tenant check sits beside the runbook step it verifies (the heading of
#: that step's section), linked to its reference entry and to its fix.
TENANT_CHECK_STEPS = {
    "third-party-filter": {
        "accepted-domain": "Add and verify the domain",
        "outbound-route": "SPF record",
        "dkim-signing": "Exchange Online host",
        "connector-lockdown": "Lock down the inbound connector",
        "efc": "Enhanced Filtering for Connectors",
        "scl-bypass": "Enhanced Filtering for Connectors",
        "arc-sealer": "Trusted ARC sealers",
    },
    "hybrid-third-party": {
        "accepted-domain": "Add and verify the domain",
        "dkim-signing": "Autodiscover and the other records",
        "connector-lockdown": "Connectors and hybrid",
        "efc": "Connectors and hybrid",
        "arc-sealer": "Connectors and hybrid",
        "scl-bypass": "Connectors and hybrid",
        "outbound-route": "Outgoing mail through the filter",
    },
}


@pytest.mark.parametrize("scenario", sorted(TENANT_CHECK_STEPS))
def test_runbook_shows_each_tenant_check_beside_the_step_it_verifies(kb_site, scenario):
    from macros.tenant import TENANT_CHECK_IDS

    assert set(TENANT_CHECK_STEPS[scenario]) == set(TENANT_CHECK_IDS)
    body = article(read(kb_site, f"scenarios/{scenario}/index.html"))
    # the page cut at its headings: (heading text, the content up to the next heading)
    parts = re.split(r"<h[2-5][^>]*>(.*?)</h[2-5]>", body, flags=re.S)
    sections = [(text_of(parts[i]), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
    for cid, step in TENANT_CHECK_STEPS[scenario].items():
        found = [title for title, html in sections
                 for tip in re.findall(r'<div class="admonition.*?</div>', html, re.S)
                 if f'reference/checks/#{cid}"' in tip and f'tenant/configure/#{cid}"' in tip]
        assert found, f"{scenario}: no tip links {cid} to both its reference entry and its fix"
        assert all(step in title for title in found), f"{scenario}: {cid} is under {found}, not under {step!r}"


def test_examples_use_content_tabs_and_highlighted_code(kb_site):
    body = article(read(kb_site, "examples/index.html"))
    assert body.count('class="tabbed-set') >= 6
    labels = set(re.findall(r"<label[^>]*>([^<]+)</label>", body))
    assert {"dig", "nslookup", "PowerShell"} <= labels
    # fenced blocks with a language are highlighted by Pygments (and get Material's copy button)
    assert body.count('<div class="highlight">') >= 20
    assert re.search(r'<div class="highlight"><pre><span></span><code>.*?<span class="', body, re.S)
    for cmdlet in ("Get-InboundConnector", "New-InboundConnector", "RestrictDomainsToIPAddresses",
                   "SenderIPAddresses", "Set-InboundConnector", "EFSkipIPs", "EFSkipLastIP",
                   "Get-DkimSigningConfig", "Set-ArcConfig", "Resolve-DnsName"):
        assert cmdlet in body, cmdlet
    for name in ("_dmarc.contoso.com", "selector1._domainkey.contoso.com", "selector2._domainkey.contoso.com",
                 "autodiscover.contoso.com", "contoso-com.mail.protection.outlook.com"):
        assert name in body, name


def test_check_reference_has_a_section_per_check_and_search_finds_it(kb_site):
    body = article(read(kb_site, "reference/checks/index.html"))
    ids = ids_in(body)
    for check in CHECK_IDS:
        assert check in ids, check
        section = body.split(f'id="{check}"', 1)[1].split("<h2", 1)[0]
        assert "<a href=" in section, f"section {check} links to no fix"
    index = json.loads((kb_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"]: doc["title"] for doc in index["docs"]}
    for check in CHECK_IDS:
        assert locations.get(f"reference/checks/#{check}") == check


def test_home_routes_to_runbooks_and_live_pages(kb_site):
    page = "index.html"
    body = article(read(kb_site, page))
    hrefs = re.findall(r'<a href="([^"#][^"]*)"', body)
    local = [h for h in hrefs if not re.match(r"(?i)https?:", h)]
    for needed in ("domains/", "drift/", "scenarios/", "common-issues/"):
        assert any(h.startswith(needed) for h in local), needed
    for href in local:
        target, _ = resolve_href(kb_site, page, href)
        assert target.is_file(), href


# --- Obsidian-style authoring ---------------------------------------------------------------------

SEED_STYLE_NOTE = """---
tags:
  - kb
  - delivery
  - email
  - m365
created: 2026-01-29
updated: 2026-01-29
status: draft
layout: page
---

# 9.99-test-note

## Overview

See [[third-party-filter]] and [[common-issues#dmarc|the DMARC fix]].

> [!warning]
> Check the MX record first.

![[Pasted image 20260129130931.png]]

## Details

Text.

---

**Tags:** #kb #email
**Category:** 1-general-kb
"""


@pytest.fixture
def project_copy(tmp_path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=COPY_IGNORE)
    return copy


def add_note(project: Path, text: str) -> None:
    """A KB note and the pasted image it embeds, where an Obsidian author would put them."""
    (project / "docs" / "kb" / "9.99-test-note.md").write_text(text, encoding="utf-8")
    (project / "docs" / "attachments" / "Pasted image 20260129130931.png").write_bytes(tiny_png())


def test_note_in_seed_format_builds_with_links_embed_and_callout(project_copy, tmp_path):
    add_note(project_copy, SEED_STYLE_NOTE)
    site = tmp_path / "site"
    result = build(project_copy, site)
    assert result.returncode == 0, result.stdout + result.stderr

    page = "kb/9.99-test-note/index.html"
    body = article(read(site, page))

    links = dict((text_of(t), h) for h, t in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', body, re.S))
    assert "third-party-filter" in links and "the DMARC fix" in links
    target, fragment = resolve_href(site, page, links["third-party-filter"])
    assert target == site / "scenarios/third-party-filter/index.html" and target.is_file()
    target, fragment = resolve_href(site, page, links["the DMARC fix"])
    assert target.is_file() and fragment == "dmarc" and fragment in ids_in(target.read_text(encoding="utf-8"))

    srcs = re.findall(r'<img[^>]+src="([^"]+)"', body)
    assert len(srcs) == 1
    image, _ = resolve_href(site, page, srcs[0].replace("%20", " "))
    assert image.is_file() and image.read_bytes().startswith(b"\x89PNG")

    assert re.search(r'class="admonition warning"', body)
    assert "[!warning]" not in body and "[[" not in body
    assert "#kb #email" in text_of(body)
    assert '<p class="kb-meta">' in body


@pytest.mark.parametrize("broken", ["[[no-such-page-7f3a]]", "![[no-such-image-7f3a.png]]"])
def test_broken_wikilink_or_embed_fails_strict_build(project_copy, tmp_path, broken):
    note = SEED_STYLE_NOTE.replace("See [[third-party-filter]]", f"See {broken}")
    add_note(project_copy, note)
    result = build(project_copy, tmp_path / "site")
    assert result.returncode != 0
    assert "no-such-" in result.stdout + result.stderr
