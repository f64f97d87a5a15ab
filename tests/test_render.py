"""render.py: DNS text is inert HTML; blocks are single-line and complete."""

import re

from macros import render
from macros.model import Check, RecordReport
from macros.resolve import Lookup

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "{: onclick=\"alert(1)\" }",
    "{{ 7*7 }}",
    "line1\n--8<-- \"/etc/passwd\"\n\n# heading",
    "\u202eevil",
]


def test_text_escapes_html_and_controls():
    out = str(render.text("<b>&\"x\"\n\x1b[31m"))
    assert "<b>" not in out and "&lt;b&gt;" in out and "&amp;" in out
    assert "\n" not in out and "\x1b" not in out
    assert "\\010" in out and "\\027" in out


def test_blocks_are_single_line_and_contain_no_live_markup():
    checks = [Check("mx-route", "fail", v, v, v, "scenarios/x/#mx-record") for v in HOSTILE]
    records = [RecordReport("a.example.", "TXT", "drifted", (v,), (v + "2",), "found", (v + "2",), (v,)) for v in HOSTILE]
    lookups = [Lookup("a.example.", "TXT", "found", tuple(HOSTILE), chain=tuple(HOSTILE))]
    for html in (render.checks_table(checks, lambda t: t), render.records_table(records),
                 render.lookups_table(lookups)):
        body = str(html).strip("\n")
        assert "\n" not in body, "a block must be one line so Markdown leaves it alone"
        assert body.startswith('<div class="mf ') and body.endswith("</div>")
        assert "data-search-exclude" in body
        assert "<script" not in body and "<img" not in body and "onerror=\"" not in body
        assert not re.search(r"<[^>]+\sonclick=", body)
        assert "{{ 7*7 }}" in body  # shown literally (never rendered again)
        assert "\\u202e" in body


def test_badges_carry_text_not_only_colour():
    for status, label in (("pass", "PASS"), ("warn", "WARN"), ("fail", "FAIL"), ("unknown", "UNKNOWN")):
        assert label in str(render.badge(status))


def test_checks_table_lists_problems_first_and_offers_fix_only_for_them():
    checks = [Check(cid, status, "why", "exp", "obs", f"common-issues/#{cid}")
              for cid, status in (("mx-route", "pass"), ("spf-all", "warn"), ("dmarc", "unknown"), ("dkim", "fail"))]
    html = str(render.checks_table(checks, lambda t: t))
    order = re.findall(r'id="check-([a-z-]+)"', html)
    assert order == ["dkim", "dmarc", "spf-all", "mx-route"]
    rows = dict(re.findall(r'id="check-([a-z-]+)".*?(<a [^>]*>\w+</a>)', html))
    assert ">Runbook<" in rows["mx-route"] and "mf-fix" not in rows["mx-route"]
    for cid in ("dkim", "dmarc", "spf-all"):
        assert 'class="mf-fix"' in rows[cid] and ">Fix<" in rows[cid] and f'aria-label="Fix {cid}"' in rows[cid]


def test_record_without_baseline_says_so():
    new = RecordReport("a.example.", "MX", "new", None, ("10 mx.example.",), "found", ("10 mx.example.",))
    html = str(render.records_table([new]))
    assert "not in the baseline" in html and "no definite answer" not in html
    unknown = RecordReport("a.example.", "MX", "unknown", ("10 mx.example.",), None, "timeout")
    assert "no definite answer" in str(render.records_table([unknown]))


def _report(name, statuses):
    from types import SimpleNamespace

    checks = [Check(f"check-{i}", s, f"<b>reason {i}</b>", "", "", f"common-issues/#c{i}") for i, s in enumerate(statuses)]
    worst = min(statuses, key=lambda s: {"fail": 0, "unknown": 1, "warn": 2, "pass": 3}[s])
    return SimpleNamespace(checks=checks, status=worst, drifted=(),
                           spec=SimpleNamespace(name=name, ascii=name, scenario="third-party-filter"))


def test_domains_table_counts_the_verdicts_and_lists_each_problem_with_its_fix():
    reports = [_report("ok.example", ["pass"] * 10), _report("bad.example", ["pass", "warn", "fail"]),
               _report("dark.example", ["unknown"] * 10)]
    html = str(render.domains_table(reports, lambda t: t))
    assert "\n" not in html.strip("\n") and "<b>" not in html
    summary = re.search(r'<p class="mf-summary">(.*?)</p>', html).group(1)
    assert "3 domains:" in summary
    assert re.search(r"1 <span[^>]*mf-fail.*?FAIL.*?1 <span[^>]*mf-unknown.*?1 <span[^>]*mf-pass", summary)
    rows = re.findall(r'<tr class="mf-row-(\w+)".*?</tr>', html)
    assert rows == ["fail", "unknown", "pass"]
    bad = re.search(r'<tr class="mf-row-fail".*?</tr>', html).group(0)
    assert bad.count('class="mf-fix"') == 2 and bad.index("reason 2") < bad.index("reason 1")
    dark = re.search(r'<tr class="mf-row-unknown".*?</tr>', html).group(0)
    assert dark.count('class="mf-fix"') == render.ROW_PROBLEMS
    assert f"and {10 - render.ROW_PROBLEMS} more" in dark and 'href="domains/dark.example/"' in dark
    assert "all checks pass" in re.search(r'<tr class="mf-row-pass".*?</tr>', html).group(0)


def test_host_names_wrap_only_at_their_dots_and_stay_escaped():
    assert str(render.host("_dmarc.<b>x</b>.example.")) == "_dmarc.<wbr>&lt;b&gt;x&lt;/b&gt;.<wbr>example.<wbr>"
