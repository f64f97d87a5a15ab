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


def alias_bomb(levels: int = 10, width: int = 9) -> str:
    """The "billion laughs": each anchor a list of ``width`` aliases of the one before."""
    anchors = ["&a0 [" + ", ".join(["lol"] * width) + "]"]
    anchors += [f"&a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "resolver: {timeout: [" + ", ".join(anchors) + "]}\n"


def test_an_alias_bomb_is_one_load_error_not_a_hang():
    import time
    started = time.monotonic()
    with pytest.raises(yamlfile.LoadError) as info:
        yamlfile.load(alias_bomb())
    assert time.monotonic() - started < 2
    assert "aliases expand to more than 100,000 nodes" in str(info.value) and info.value.line == 1


def test_an_alias_inside_its_own_anchor_is_refused():
    with pytest.raises(yamlfile.LoadError, match="inside its own anchor"):
        yamlfile.load("a: &a [1, *a]\n")
    with pytest.raises(yamlfile.LoadError, match="inside its own anchor"):
        yamlfile.load("a: &m {x: {<<: *m}}\n")


def test_anchors_a_person_writes_still_load():
    """Hundreds of aliases of a sizeable anchor, and a document ten times its size in aliases."""
    row = "&r [" + ", ".join(str(i) for i in range(50)) + "]"
    text = f"base: {row}\nuses: [" + ", ".join(["*r"] * 1500) + "]\n"  # 76,500 nodes aliased
    data = yamlfile.load(text)
    assert len(data["uses"]) == 1500 and data["uses"][-1] == list(range(50))
    big = "rows:\n" + "".join(f"  - [{i}, a, b, c, d, e, f, g, h, i]\n" for i in range(12_000))
    data = yamlfile.load(f"{big}r: {row}\nagain: [" + ", ".join(["*r"] * 2500) + "]\n")
    assert len(data["again"]) == 2500  # 127,500 nodes aliased, under ten times the 132,000 written
