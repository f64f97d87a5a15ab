"""Read the hand-edited YAML files (domains.yml, baseline.yml) safely, with each node's line.

In the manner of octoDNS's ``ContextLoader`` (``octodns/yaml.py``), which records where every
node came from so a validation error can point at the line: mappings load as :class:`Mapping`
and lists as :class:`Sequence`, plain ``dict`` / ``list`` subclasses that also know the line of
themselves and of each key or item. Values are built straight from the parser's events (libyaml's
parser where PyYAML has it), with SafeLoader's tag resolution and scalar types, anchors, aliases
and merge keys; beyond ``yaml.SafeLoader``:

- a key given twice in one mapping is an error (YAML 1.2 section 3.2.1.1 requires unique keys;
  PyYAML silently keeps the last);
- nesting deeper than :data:`MAX_DEPTH` is an error (PyYAML's composer recurses per level, so
  5,000 brackets would end in a ``RecursionError``);
- an integer of more than :data:`MAX_DIGITS` digits is an error (Python refuses to convert
  over 4,300 digits with a ``ValueError``; no setting needs more than a few);
- aliases that bring in more than :func:`alias_limit` nodes are an error: an "alias bomb" (ten
  anchors of nine aliases each, 500 bytes) stands for billions of nodes, which anything that walks
  or prints the value (a validator's message, ``str()``) would never finish; an alias to a node
  that contains it (a cycle) is an error too.

Every failure is one :class:`LoadError` with a line, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

MAX_DEPTH = 64
MAX_DIGITS = 30
#: Aliases may bring in this many nodes, or ten times the nodes written out, whichever is more:
#: generous for anchors a person writes, far below what an alias bomb expands to.
MAX_ALIAS_NODES = 100_000
ALIAS_FACTOR = 10


def alias_limit(written: int) -> int:
    """How many nodes aliases may bring into a document of ``written`` nodes."""
    return max(MAX_ALIAS_NODES, ALIAS_FACTOR * written)


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


#: libyaml's parser when PyYAML was built with it (Debian's and PyPI's wheels are), else PyYAML's
#: own: the events are the same, libyaml's are about thirty times faster to produce.
_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_MERGE = "tag:yaml.org,2002:merge"


class _Scalars(yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """YAML 1.1 tag resolution and SafeLoader's scalar constructors (null, bool, int, float,
    timestamp, binary, str), one scalar at a time; any other tag is refused as SafeLoader would."""

    def __init__(self):
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)

    def value(self, event: yaml.ScalarEvent):
        tag = self.resolve(yaml.ScalarNode, event.value, event.implicit) if event.tag in (None, "!") else event.tag
        if tag == _STR:
            return event.value, tag
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        if tag == _INT:
            digits = sum(ch.isdigit() for ch in str(event.value))
            if digits > MAX_DIGITS:
                raise LoadError(f"a number of {digits} digits (at most {MAX_DIGITS})", event.start_mark.line + 1)
        if tag == _MERGE:
            return None, tag
        if tag not in self.yaml_constructors:
            raise LoadError(f"the tag {tag!r} is not allowed", event.start_mark.line + 1)
        return self.yaml_constructors[tag](self, node), tag


#: A mapping's frame between a value and the next key.
_NO_KEY = object()


@dataclass(slots=True)
class _Frame:
    """A mapping or sequence being built, and for a mapping the key waiting for its value."""

    container: Mapping | Sequence
    key: object = None          # the pending key (:data:`_NO_KEY` when none), mappings only
    key_line: int | None = None
    merge: bool = False         # the pending key is ``<<``
    merges: list = field(default_factory=list)  # mappings merged in (``<<``), applied at the end
    nodes: int = 1              # nodes in the container so far, aliased ones counted in full


def _nodes(value) -> int:
    """The nodes ``value`` stands for, aliases expanded (a scalar is one)."""
    return getattr(value, "nodes", 1) if isinstance(value, (Mapping, Sequence)) else 1


class _Builder:
    """Builds :class:`Mapping` / :class:`Sequence` values straight from parser events, without
    PyYAML's node graph (which, for a baseline of 5,000 domains, took a gigabyte and a minute and
    a half): duplicate keys, nesting depth and long numbers are refused as they come."""

    def __init__(self):
        self.scalars = _Scalars()
        self.stack: list[_Frame] = []
        self.anchors: dict = {}
        self.root = None
        self.documents = 0
        self.written = 0    # nodes written out in the text (scalars, mappings, sequences)
        self.aliased = 0    # nodes brought in by aliases, expanded

    def add(self, value, line: int, tag: str | None = None) -> None:
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        container = frame.container
        if not (frame.merge and frame.key is not _NO_KEY):  # a merge's keys are counted when applied
            frame.nodes += _nodes(value)
        if isinstance(container, Sequence):
            container.append(value)
            container.lines.append(line)
            return
        if frame.key is _NO_KEY:
            if isinstance(value, (Mapping, Sequence)):
                raise LoadError("a mapping key must be a plain value", line)
            try:
                hash(value)
            except TypeError:
                raise LoadError("a mapping key must be a plain value", line) from None
            frame.key, frame.key_line, frame.merge = value, line, tag == _MERGE
            return
        key, key_line = frame.key, frame.key_line
        frame.key = _NO_KEY
        if frame.merge:
            sources = value if isinstance(value, Sequence) else [value]
            if not all(isinstance(m, Mapping) for m in sources):
                raise LoadError("a merge key (<<) takes a mapping or a list of mappings", key_line)
            frame.merges.extend(sources)
            return
        if key in container:
            raise LoadError(f"key {key!r} given twice (first on line {container.lines[key]})", key_line)
        container[key] = value
        container.lines[key] = key_line

    def open(self, container, line: int, anchor) -> None:
        if len(self.stack) >= MAX_DEPTH:
            raise LoadError(f"nested more than {MAX_DEPTH} levels deep", line)
        container.line = line
        container.lines = {} if isinstance(container, Mapping) else []
        if anchor:
            self.anchors[anchor] = container
        self.stack.append(_Frame(container, _NO_KEY))

    def close(self) -> None:
        frame = self.stack.pop()
        container = frame.container
        for source in frame.merges:  # YAML merge keys: keys written in the mapping win, then earlier merges
            for key, value in source.items():
                if key not in container:
                    container[key] = value
                    container.lines[key] = source.line_of(key)
                    frame.nodes += 1 + _nodes(value)
        container.nodes = frame.nodes
        self.add(container, container.line)

    def feed(self, event) -> None:
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if isinstance(event, yaml.ScalarEvent):
            value, tag = self.scalars.value(event)
            self.written += 1
            if event.anchor:
                self.anchors[event.anchor] = value
            self.add(value, line, tag)
        elif isinstance(event, yaml.MappingStartEvent):
            self._check_tag(event, "tag:yaml.org,2002:map", line)
            self.written += 1
            self.open(Mapping(), line, event.anchor)
        elif isinstance(event, yaml.SequenceStartEvent):
            self._check_tag(event, "tag:yaml.org,2002:seq", line)
            self.written += 1
            self.open(Sequence(), line, event.anchor)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            self.close()
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                raise LoadError(f"found undefined alias {event.anchor!r}", line)
            target = self.anchors[event.anchor]
            if any(frame.container is target for frame in self.stack):
                raise LoadError(f"the alias *{event.anchor} is inside its own anchor (a cycle)", line)
            self.aliased += _nodes(target)
            if self.aliased > alias_limit(self.written):
                raise LoadError(f"aliases expand to more than {alias_limit(self.written):,} nodes "
                                "(an alias bomb?); write the values out instead", line)
            self.add(target, line)
        elif isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise LoadError("expected a single document, found a second one", line)

    @staticmethod
    def _check_tag(event, default: str, line) -> None:
        if event.tag not in (None, "!", default):
            raise LoadError(f"the tag {event.tag!r} is not allowed", line)



def load(text: str):
    """Parse ``text``; raises :class:`LoadError` (with the line) for anything it cannot read."""
    builder = _Builder()
    try:
        for event in yaml.parse(text, Loader=_PARSER):
            builder.feed(event)
    except LoadError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        if "nesting depth" in problem:  # libyaml's own limit, met while it scans ahead of ours
            raise LoadError(f"nested more than {MAX_DEPTH} levels deep", mark.line + 1 if mark else None) from None
        raise LoadError(f"not valid YAML ({problem})", mark.line + 1 if mark else None,
                        mark.column + 1 if mark else None) from None
    except RecursionError:  # a belt for the depth limit above
        raise LoadError(f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # e.g. an out-of-range date or number PyYAML converts itself
        raise LoadError(f"a value cannot be read ({exc})") from None
    return builder.root
