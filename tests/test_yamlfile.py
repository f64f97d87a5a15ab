"""yamlfile.py: values built from parser events equal what yaml.safe_load builds (the reference),
with lines, and the refusals SafeLoader lacks (duplicate keys, depth, long numbers)."""

from __future__ import annotations

import datetime

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from macros import yamlfile

SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=False, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["yes", "no", "on", "~", "0x1F", "0o17", "1_000", "1e3", "2026-12-01",
                                           "2026-12-01T02:00:00Z", ".inf", "-.nan", "null", "NULL", "=", "<<"]),
)
KEY = st.one_of(st.text(max_size=8), st.integers(-100, 100), st.booleans())
VALUE = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(KEY, inner, max_size=4)), max_leaves=20)


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@settings(max_examples=300, deadline=None)
@given(VALUE, st.sampled_from([False, True, None]))
def test_values_equal_what_safe_load_builds(value, flow):
    text = yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True)
    assert same(yamlfile.load(text), yaml.safe_load(text)), text


def test_anchors_aliases_merge_keys_and_lines():
    text = ("base: &base {timeout: 1, lifetime: 2}\n"
            "resolver:\n  <<: *base\n  timeout: 3\n"
            "list: &l [a, b]\nagain: *l\nwhen: 2026-12-01\n")
    data = yamlfile.load(text)
    assert data == yaml.safe_load(text)
    assert data["resolver"] == {"timeout": 3, "lifetime": 2}  # the written key wins over the merge
    assert data["again"] is data["list"] and data["when"] == datetime.date(2026, 12, 1)
    assert yamlfile.line_of(data, "resolver") == 2 and yamlfile.line_of(data["resolver"], "timeout") == 4
    assert yamlfile.line_of(data["list"], 1) == 5


@pytest.mark.parametrize("text,words", [
    ("a: 1\na: 2\n", "key 'a' given twice (first on line 1)"),
    ("x: !!python/object:os.system {}\n", "is not allowed"),
    ("x: !!python/name:os.system\n", "is not allowed"),
    ("a: 1\n---\nb: 2\n", "expected a single document"),
    ("[" * 70 + "]" * 70, "nested more than 64 levels deep"),
    ("[" * 5000, "nested more than 64 levels deep"),
    ("n: " + "9" * 40 + "\n", "a number of 40 digits"),
    ("? [a, b]\n: 1\n", "a mapping key must be a plain value"),
    ("a: *nowhere\n", "undefined alias"),
    ("a: [unclosed\n", "not valid YAML"),
])
def test_refusals_are_one_load_error_with_a_line(text, words):
    with pytest.raises(yamlfile.LoadError) as info:
        yamlfile.load(text)
    assert words in str(info.value), str(info.value)
    assert info.value.line is not None or "single document" in words
