"""Read the hand-edited YAML files (domains.yml, baseline.yml) safely, with each node's line.

In the manner of octoDNS's ``ContextLoader`` (``octodns/yaml.py``), which records where every
node came from so a validation error can point at the line: mappings load as :class:`Mapping`
and lists as :class:`Sequence`, plain ``dict`` / ``list`` subclasses that also know the line of
themselves and of each key or item. On top of ``yaml.SafeLoader``:

- a key given twice in one mapping is an error (YAML 1.2 section 3.2.1.1 requires unique keys;
  PyYAML silently keeps the last);
- nesting deeper than :data:`MAX_DEPTH` is an error (PyYAML's composer recurses per level, so
  5,000 brackets would end in a ``RecursionError``);
- an integer of more than :data:`MAX_DIGITS` digits is an error (Python refuses to convert
  over 4,300 digits with a ``ValueError``; no setting needs more than a few).

Every failure is one :class:`LoadError` with a line, never a traceback.
"""

from __future__ import annotations

import yaml
from yaml.constructor import ConstructorError

MAX_DEPTH = 64
MAX_DIGITS = 30


class LoadError(ValueError):
    """The text is not YAML this product reads: ``line`` (1-based, or None) and ``problem``."""

    def __init__(self, problem: str, line: int | None = None, column: int | None = None):
        self.problem, self.line, self.column = problem, line, column
        super().__init__(f"{self.where}{problem}")

    @property
    def where(self) -> str:
        """``line 3, column 7: `` (or less, as known)."""
        if not self.line:
            return ""
        return f"line {self.line}, column {self.column}: " if self.column else f"line {self.line}: "


class Mapping(dict):
    """A YAML mapping that knows its line (``line``) and each key's (``lines[key]``)."""

    line: int | None = None
    lines: dict

    def line_of(self, key) -> int | None:
        return getattr(self, "lines", {}).get(key, self.line)


class Sequence(list):
    """A YAML sequence that knows its line (``line``) and each item's (``lines[index]``)."""

    line: int | None = None
    lines: list

    def line_of(self, index: int) -> int | None:
        lines = getattr(self, "lines", [])
        return lines[index] if 0 <= index < len(lines) else self.line


def line_of(container, key) -> int | None:
    """The line of ``container[key]`` when the container came from :func:`load`, else None."""
    finder = getattr(container, "line_of", None)
    return finder(key) if finder else None


class _Loader(yaml.SafeLoader):
    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise LoadError(f"nested more than {MAX_DEPTH} levels deep", mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_int(self, node):
        digits = sum(ch.isdigit() for ch in str(node.value))
        if digits > MAX_DIGITS:
            raise LoadError(f"a number of {digits} digits (at most {MAX_DIGITS})", node.start_mark.line + 1)
        return super().construct_yaml_int(node)

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):
            raise ConstructorError(None, None, f"expected a mapping, found {node.id}", node.start_mark)
        self.flatten_mapping(node)
        result = Mapping()
        result.line, result.lines = node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise LoadError("a mapping key must be a plain value", key_node.start_mark.line + 1) from None
            if key in result:
                raise LoadError(f"key {key!r} given twice (first on line {result.lines[key]})",
                                key_node.start_mark.line + 1)
            result[key] = self.construct_object(value_node, deep=deep)
            result.lines[key] = key_node.start_mark.line + 1
        return result

    def _map(self, node):
        return self.construct_mapping(node)

    def _seq(self, node):
        data = Sequence(self.construct_object(item) for item in node.value)
        data.line = node.start_mark.line + 1
        data.lines = [item.start_mark.line + 1 for item in node.value]
        return data


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader._map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader._seq)


def load(text: str):
    """Parse ``text``; raises :class:`LoadError` (with the line) for anything it cannot read."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except LoadError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise LoadError(f"not valid YAML ({problem})", mark.line + 1 if mark else None,
                        mark.column + 1 if mark else None) from None
    except RecursionError:  # a belt for the depth limit above
        raise LoadError(f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # e.g. an out-of-range date or number PyYAML converts itself
        raise LoadError(f"a value cannot be read ({exc})") from None
