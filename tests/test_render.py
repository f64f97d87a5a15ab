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
    for status, label in (("pass", "PASS"), ("info", "INFO"), ("warn", "WARN"), ("fail", "FAIL"), ("unknown", "UNKNOWN")):
        html = str(render.badge(status))
        assert label in html and f'class="mf-badge mf-{status}"' in html


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
    worst = min(statuses, key=lambda s: {"fail": 0, "unknown": 1, "warn": 2, "pass": 3, "info": 4}[s])
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


def test_info_is_its_own_status_never_a_problem():
    checks = [Check("mta-sts", "info", "no MTA-STS record", "", "", "common-issues/#mta-sts"),
              Check("mx-route", "pass", "ok", "", "", "scenarios/x/#mx-record")]
    html = str(render.checks_table(checks, lambda t: t))
    assert re.findall(r'id="check-([a-z-]+)"', html) == ["mx-route", "mta-sts"]  # after pass
    info_row = re.search(r'<tr class="mf-row-info".*?</tr>', html).group(0)
    assert "mf-badge mf-info" in info_row and "INFO" in info_row
    assert "mf-fix" not in info_row and ">Runbook<" in info_row
    assert render.tally(checks) == ["1 pass", "1 info"]
    row = str(render.domains_table([_report("opt.example", ["pass", "info"])], lambda t: t))
    assert "all checks pass" in row and "mf-fix" not in row


def test_checks_that_could_not_run_for_one_reason_are_one_message():
    why = "checks could not run: canary spf.protection.outlook.com TXT: timeout"
    everything = [Check(cid, "unknown", why, "exp", "not checked", f"common-issues/#{cid}") for cid in ("mx-route", "dmarc", "dkim")]
    html = str(render.checks_table(everything, lambda t: t))
    assert html.count(why.replace("\n", "")) == 1 and "mf-fix" not in html and "<table" not in html
    assert "None of the 3 checks could run." in html
    assert all(f'id="check-{c.id}"' in html for c in everything)  # the anchors stay
    some = everything[:2] + [Check("dkim", "fail", "points elsewhere", "", "", "common-issues/#dkim"),
                             Check("spf-all", "unknown", "TXT lookup timed out", "", "", "common-issues/#spf")]
    html = str(render.checks_table(some, lambda t: t))
    assert html.count(why) == 1 and "2 checks could not run:" in html
    assert html.count('class="mf-fix"') == 2  # dkim, and spf-all (its reason is its own)
    row = str(render.domains_table([_report("dark.example", ["unknown"] * 3)], lambda t: t))
    assert "3 checks could not run:" not in row  # _report gives each its own reason
    same = _report("dark.example", ["unknown"] * 10)
    same.checks = [Check(f"c{i}", "unknown", why, "", "", "x/#y") for i in range(10)]
    row = str(render.domains_table([same], lambda t: t))
    assert "10 checks could not run:" in row and row.count(why) == 1 and "mf-fix" not in row and "more<" not in row


def _two_spf_checks():
    """What the engine gives a domain with two SPF records: spf-present fails, and the SPF checks
    that evaluate the policy fail with ``cause="spf-present"`` (macros/checks.py same_cause)."""
    fix = "common-issues/#two-spf-records"
    return [Check("mx-route", "pass", "ok", "", "", "scenarios/x/#mx-record"),
            Check("spf-present", "fail", "two.example has 2 SPF records", "one", "a | b", fix),
            Check("spf-m365", "fail", "Mail from Microsoft 365 fails SPF: <b>2</b>", "", "obs-m365", fix, cause="spf-present"),
            Check("spf-all", "fail", "An unlisted sender gets permerror", "", "obs-all", fix, cause="spf-present"),
            Check("spf-lookups", "fail", "SPF is broken (permerror)", "", "obs-lookups", fix, cause="spf-present"),
            Check("dkim", "fail", "points elsewhere", "", "", "common-issues/#dkim"),
            Check("spf-senders", "info", "No sender IPs are listed", "", "", "scenarios/x/#spf")]


def test_one_root_cause_is_one_problem_with_one_fix():
    checks = _two_spf_checks()
    html = str(render.checks_table(checks, lambda t: t))
    assert "\n" not in html.strip("\n") and "<b>2</b>" not in html
    # the cause first, then the checks that fail with it, then the next problem
    assert re.findall(r'id="check-([a-z0-9-]+)"', html) == [
        "spf-present", "spf-m365", "spf-all", "spf-lookups", "dkim", "mx-route", "spf-senders"]
    cause = re.search(r'<tr [^>]*id="check-spf-present".*?</tr>', html).group(0)
    assert "mf-rootcause" in cause and 'aria-label="Fix spf-present"' in cause
    assert re.search(r"Also failing for this one cause:.*spf-m365.*spf-all.*spf-lookups", cause)
    for cid in ("spf-m365", "spf-all", "spf-lookups"):
        row = re.search(rf'<tr [^>]*id="check-{cid}".*?</tr>', html).group(0)
        assert 'class="mf-row-fail mf-samecause"' in row and "FAIL" in row  # the status stays fail
        assert "mf-fix" not in row and ">Fix<" not in row
        assert 'Same cause as <a href="#check-spf-present">spf-present</a>' in row
        assert 'href="#check-spf-present"' in row and f"obs-{cid.split('-')[1]}" in row
    assert html.count('class="mf-fix"') == 2  # spf-present and dkim
    assert render.tally(checks) == ["2 fail (+3 same cause)", "1 pass", "1 info"]
    assert render.dependents(render.same_cause_groups(checks)) == {"spf-m365", "spf-all", "spf-lookups"}
    report = _report("two.example", ["fail"])
    report.checks = checks
    row = str(render.domains_table([report], lambda t: t))
    assert row.count('class="mf-fix"') == 2 and "and 1 more" not in row  # two problems, not five
    assert re.search(r'mf-rootcause.*spf-present.*also failing for this cause:.*spf-m365.*spf-all.*spf-lookups', row)
    assert "2 fail (+3 same cause)" in row


def test_a_cause_that_is_not_a_problem_groups_nothing():
    """``cause`` names a check that passes (or is missing): every check is shown as itself."""
    checks = [Check("spf-present", "pass", "one", "", "", "x/#y"),
              Check("spf-all", "fail", "permerror", "", "", "x/#z", cause="spf-present")]
    html = str(render.checks_table(checks, lambda t: t))
    assert "mf-samecause" not in html and html.count('class="mf-fix"') == 1
    assert render.tally(checks) == ["1 fail", "1 pass"]
    assert render.same_cause_groups(checks[1:]) == {}


def test_check_json_carries_the_cause():
    checks = _two_spf_checks()
    assert checks[2].to_dict()["cause"] == "spf-present" and checks[1].to_dict()["cause"] is None
    assert set(checks[0].to_dict()) == {"id", "status", "reason", "expected", "observed", "fix", "cause"}


HOSTILE_HOSTS = ['a"]; click mx0 call alert(1); x["b.example', "%%{init: {'securityLevel': 'loose'}}%%.example",
                 "<img src=x onerror=alert(2)>.example", "#quot;#60;script#62;.example", "end\nstyle exo fill:#f00"]


def test_mail_route_labels_cannot_break_out_of_mermaid_or_into_html():
    from types import SimpleNamespace

    from macros.config import DomainSpec

    spec = DomainSpec(name="r.example", ascii="r.example", scenario="hybrid-third-party",
                      filter_mx=("*.filter.example",), onprem_ips=("198.51.100.25",))
    observed = tuple(f"{10 + i} {h}." for i, h in enumerate(HOSTILE_HOSTS)) + ("50 mx1.filter.example.",)
    report = SimpleNamespace(spec=spec, checks=[Check("mx-route", "fail", "", "", "", ""), Check("exo-host", "pass", "", "", "", "")],
                             records=[RecordReport("r.example.", "MX", "new", None, observed, "found", observed)])
    source = render.route_source(report)
    statements = source.split("\n")
    assert statements[0] == "flowchart LR"
    for line in statements[1:]:
        # every statement is ours: a node, an edge, a class definition; labels only inside quotes
        assert re.fullmatch(r'accTitle: Mail route|classDef st_\w+ [^"]+|\w+(\(\[|\[\(|\[)"[^"]*"(\]\)|\)\]|\])(:::st_\w+)?'
                            r'|\w+ -[-.]+>(\|"[^"]*"\|)? \w+', line), line
    labels = "".join(re.findall(r'"([^"]*)"', source))
    assert not re.search(r"[<>%{}\[\];'\\]", re.sub(r"#\d+;", "", labels.replace("<br>", ""))), labels
    assert "#60;img src#61;x onerror#61;alert(2)#62;" in labels.replace("#40;", "(").replace("#41;", ")")
    assert "#35;quot#59;" in labels  # an entity code in a name is shown, not decoded
    mx_nodes = dict(re.findall(r'mx\d\["MX \d+<br>([^"<]*)<br>[^"]*"\]:::st_(\w+)', source))
    # the failing check is drawn on the hosts that cause it, the filter's host keeps its colour
    assert mx_nodes == {"mx1.filter.example": "pass", "#35;quot#59;#35;60#59;script#35;62#59;.example": "fail"}
    assert 'onprem[("On-premises Exchange' in source
    html = str(render.mail_route(report))
    assert "\n" not in html.strip("\n") and "<img" not in html and "data-search-exclude" in html
    assert html.count("<pre") == 1


def test_names_for_titles_and_paths_carry_nothing_a_theme_would_run():
    from types import SimpleNamespace

    assert render.plain_name("bücher.example") == "bücher.example"
    assert render.plain_name("a<b>{{c}}.example") == "a\\060b\\062\\123\\123c\\125\\125.example"
    assert render.domain_path(SimpleNamespace(ascii="xn--bcher-kva.example")) == "domains/xn--bcher-kva.example/"
    hostile = render.domain_path(SimpleNamespace(ascii="../../<x>/y.example"))
    assert re.fullmatch(r"domains/[a-z0-9-]+-[0-9a-f]{12}/", hostile), hostile
    heading = str(render.domain_heading(SimpleNamespace(name="<b>x</b>.example", ascii="xn--x.example")))
    assert "&lt;b&gt;x&lt;/b&gt;.example" in heading and "<b>" not in heading and "xn--x.example" in heading


def test_mail_route_draws_the_inbound_connector_when_tenant_checks_judge_it():
    from types import SimpleNamespace

    from macros.config import DomainSpec

    spec = DomainSpec(name="t.example", ascii="t.example", scenario="third-party-filter", filter_mx=("*.filter.example",))
    records = [RecordReport("t.example.", "MX", "new", None, ("10 mx1.filter.example.",), "found", ("10 mx1.filter.example.",))]
    judged = SimpleNamespace(spec=spec, records=records, checks=[
        Check("mx-route", "pass", "", "", "", ""), Check("efc", "pass", "", "", "", ""),
        Check("connector-lockdown", "warn", "", "", "", "")])
    source = render.route_source(judged)
    assert re.search(r'conn\["Inbound connector<br>connector-lockdown: WARN<br>efc: PASS"\]:::st_warn', source), source
    assert "mx0 --> conn" in source and "conn --> exo" in source
    no_export = SimpleNamespace(spec=spec, records=records, checks=[Check("efc", "info", "", "", "", "")])
    assert "conn" not in render.route_source(no_export)
