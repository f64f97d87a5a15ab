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
