"""RFC 6376 section 3.2 tag=value lists: the syntax DKIM key records use, and DMARC (RFC 9989,
before it RFC 7489 section 6.4) borrows. Pure: text in, a :class:`TagList` out."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAG_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_VALCHARS = re.compile(r"^[\x21-\x3a\x3c-\x7e]+(?:[ \t\r\n]+[\x21-\x3a\x3c-\x7e]+)*$")


@dataclass(frozen=True)
class TagList:
    """A parsed tag-list: the tags in order and any syntax errors."""

    tags: tuple[tuple[str, str], ...]
    errors: tuple[str, ...]

    def get(self, name: str, default: str | None = None) -> str | None:
        return next((v for k, v in self.tags if k == name), default)

    def names(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.tags)


def parse_tags(text: str, lower_names: bool = False) -> TagList:
    """Parse ``tag=value; tag=value`` (RFC 6376 section 3.2).

    Whitespace around names, ``=`` and values is ignored; a trailing ``;`` is allowed and empty
    segments are skipped. A segment without ``=``, a bad tag name, a value with characters
    outside VALCHAR, or a tag given twice ("the entire tag-list is invalid") are errors.
    DKIM tag names are case-sensitive; DMARC (RFC 7489 section 6.4) passes ``lower_names``.
    """
    tags: list[tuple[str, str]] = []
    errors: list[str] = []
    seen: set[str] = set()
    for segment in str(text).split(";"):
        if not segment.strip():
            continue
        name, sep, value = segment.partition("=")
        name, value = name.strip(), value.strip()
        if lower_names:
            name = name.lower()
        if not sep:
            errors.append(f"{segment.strip()!r} is not tag=value")
            continue
        if not _TAG_NAME.match(name):
            errors.append(f"{name!r} is not a tag name")
            continue
        if value and not _VALCHARS.match(value):
            errors.append(f"tag {name}: the value has characters a tag value cannot carry")
        if name in seen:
            errors.append(f"tag {name} appears twice (RFC 6376 section 3.2: the record is invalid)")
        seen.add(name)
        tags.append((name, value))
    return TagList(tuple(tags), tuple(errors))
