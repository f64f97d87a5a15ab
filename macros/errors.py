"""One error family for bad input (in the manner of dnspython's ``DNSException`` and octoDNS's
``ValidationError``): a base :class:`MailflowError` and one subclass per kind of input.

Every error carries machine-readable fields (``file``, and per problem ``entry``, ``field``,
``line``, ``kind``), so the CLI and the site decide from types and fields, never from message
text. A problem is a ``str`` (its readable text, what tests and people read) that also carries
those fields. Every error collects all its problems before it is raised.
"""

from __future__ import annotations

import reprlib

from .records import visible

#: Problem kinds the code branches on.
INVALID = "invalid"            # a value that is not allowed
MISSING_FILE = "missing-file"  # the file does not exist
UNREADABLE = "unreadable"      # not readable, not UTF-8, not YAML, too deep, too large


class _Short(reprlib.Repr):
    """``repr`` that stops early: a few items, a few levels, short strings; the YAML containers
    (``Mapping``, ``Sequence``) are shown as the dict and list they are."""

    def __init__(self):
        super().__init__()
        self.maxlevel, self.maxlist, self.maxdict, self.maxtuple, self.maxset = 3, 6, 4, 6, 6
        self.maxstring = self.maxother = self.maxlong = 60

    def repr_Mapping(self, x, level):  # reprlib dispatches on the type's name
        return self.repr_dict(x, level)

    def repr_Sequence(self, x, level):
        return self.repr_list(x, level)


_SHORT = _Short()

#: At most this many characters of one problem's text.
MAX_PROBLEM = 2000

#: At most this many characters of a value a file gave are echoed in a message.
SHOWN_LIMIT = 80


def shown(value, limit: int = SHOWN_LIMIT) -> str:
    """``repr(value)`` for a message, bounded: a huge list or string from a file is cut (``...``)
    without walking all of it, so no value can make a message unbounded or slow."""
    text = _SHORT.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Problem(str):
    """One problem's text, with where it is: entry (``domains[2] (contoso.com)``), field, line."""

    entry: str | None
    field: str | None
    line: int | None
    kind: str

    def __new__(cls, text: str, entry: str | None = None, field: str | None = None,
                line: int | None = None, kind: str = INVALID):
        if len(text) > MAX_PROBLEM:  # a belt: values are echoed through shown(), already short
            text = text[: MAX_PROBLEM - 3] + "..."
        self = super().__new__(cls, text)
        self.entry, self.field, self.line, self.kind = entry, field, line, kind
        return self

    def located(self) -> str:
        """The text with its line in front, when known (``line 7: domains[2] ...``)."""
        return f"line {self.line}: {self}" if self.line else str(self)


def problem(text, **fields) -> Problem:
    """``text`` as a :class:`Problem` (a Problem passed in keeps its own fields unless given)."""
    if isinstance(text, Problem):
        merged = {"entry": text.entry, "field": text.field, "line": text.line, "kind": text.kind}
        merged.update({k: v for k, v in fields.items() if v is not None})
        return Problem(str(text), **merged)
    return Problem(str(text), **fields)


class MailflowError(ValueError):
    """Bad input: ``file`` (or the variable) it is in, and every problem found in it.

    ``exit_code`` is what the CLI exits with (CONTRACT.md: 2, bad input). ``str()`` is one
    message, safe for a terminal (control, bidi and escape characters shown as escapes).
    """

    exit_code = 2
    noun = "input"

    def __init__(self, file, problems):
        self.file = None if file is None else str(file)
        if isinstance(problems, str):
            problems = [problems]
        self.problems: list[Problem] = [problem(p) for p in problems]
        super().__init__(self.message())

    @property
    def path(self) -> str | None:
        """The file, under the name older code used."""
        return self.file

    @property
    def kinds(self) -> set[str]:
        return {p.kind for p in self.problems}

    def message(self) -> str:
        where = f"{self.file}: " if self.file else ""
        if len(self.problems) == 1 and not self.always_list:
            only = self.problems[0]
            return visible(f"{where}{only}" + (f" (line {only.line})" if only.line else ""))
        lines = "\n".join(f"  - {visible(p.located())}" for p in self.problems)
        return f"{visible(where)}{len(self.problems)} problem(s):\n{lines}"

    always_list = False


class ConfigError(MailflowError):
    """domains.yml: every problem with file, entry, field and line."""

    noun = "domains file"
    always_list = True


class SettingsError(MailflowError):
    """A bad environment variable: the message names it (``field`` is the variable)."""

    noun = "setting"

    def __init__(self, message: str, variable: str | None = None):
        super().__init__(None, [Problem(str(message), field=variable)])


class BaselineError(MailflowError):
    """baseline.yml: every problem with the file and the entry."""

    noun = "baseline"


class ExportError(MailflowError):
    """A tenant configuration export: every problem with the file and the field."""

    noun = "tenant export"


class CatalogueError(MailflowError):
    """catalogue.yml (the filtering services): every problem with the service and the field."""

    noun = "catalogue"
    always_list = True
