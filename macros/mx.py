"""MX records: parse the record set and say where each host delivers.

Pure: strings in (normalized MX values, ``"10 mx01.example."``, see records.py), a frozen
:class:`Route` out. No DNS.

Rules:
- RFC 5321 section 5.1: mail goes to the MX hosts, lowest preference first; every host of the
  set can receive mail, so one host outside the intended path is a way around it.
- RFC 7505 section 3: a "null MX" is a single MX record with preference 0 and the root name
  ``.`` as exchange; it says the domain accepts no mail. Section 3 also says a domain that
  publishes a null MX must publish no other MX record: a mixed set is invalid.
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalogue import host_matches

#: Exchange Online's inbound hosts: the long-standing form and the newer one.
EXCHANGE_ONLINE_PATTERNS = ("*.mail.protection.outlook.com", "*.mx.microsoft")

EXCHANGE_ONLINE = "exchange-online"
FILTER = "filter"
OTHER = "other"
NULL = "null"
INVALID = "invalid"


@dataclass(frozen=True)
class Host:
    """One MX record: its preference, its exchange (lowercase, trailing dot), and its kind."""

    preference: int
    host: str
    kind: str
    text: str

    @property
    def name(self) -> str:
        """The host without the trailing dot, for people."""
        return self.host.rstrip(".") or "."


@dataclass(frozen=True)
class Route:
    """The classified MX set of a domain, lowest preference first."""

    hosts: tuple[Host, ...]
    null_mx: bool
    errors: tuple[str, ...]

    def of_kind(self, kind: str) -> tuple[Host, ...]:
        return tuple(h for h in self.hosts if h.kind == kind)

    @property
    def all_exchange_online(self) -> bool:
        return bool(self.hosts) and all(h.kind == EXCHANGE_ONLINE for h in self.hosts)

    @property
    def all_filter(self) -> bool:
        return bool(self.hosts) and all(h.kind == FILTER for h in self.hosts)

    def describe(self) -> str:
        """``"10 mx01.example, 20 mx02.example"`` (or ``"none"``)."""
        return ", ".join(f"{h.preference} {h.name}" if h.kind != INVALID else h.text
                         for h in self.hosts) or "none"


def parse_value(value: str) -> tuple[int, str]:
    """``"10 mx01.example."`` -> ``(10, "mx01.example.")``. Raises ``ValueError``.

    RFC 1035 section 3.3.9: PREFERENCE is a 16-bit integer, EXCHANGE a domain name.
    """
    parts = str(value).split()
    if len(parts) != 2:
        raise ValueError(f"{value!r} is not '<preference> <host>'")
    pref_text, host = parts
    if not pref_text.isdigit() or int(pref_text) > 65535:
        raise ValueError(f"{value!r}: preference {pref_text!r} is not a number from 0 to 65535")
    host = host.lower()
    if not host.endswith("."):
        host += "."
    return int(pref_text), host


def classify_host(host: str, filter_patterns=()) -> str:
    """The kind of one exchange host: Exchange Online, the filter's (by glob pattern), or other.

    Exchange Online is recognised first, so a filter pattern can never claim a Microsoft host.
    """
    if host.rstrip(".") == "":
        return NULL
    if host_matches(host, EXCHANGE_ONLINE_PATTERNS):
        return EXCHANGE_ONLINE
    if filter_patterns and host_matches(host, filter_patterns):
        return FILTER
    return OTHER


def route(values, filter_patterns=()) -> Route:
    """Classify an MX record set (RFC 5321 section 5.1, RFC 7505 section 3)."""
    hosts: list[Host] = []
    errors: list[str] = []
    for value in values:
        try:
            pref, host = parse_value(value)
        except ValueError as exc:
            errors.append(str(exc))
            hosts.append(Host(65536, "", INVALID, str(value)))
            continue
        hosts.append(Host(pref, host, classify_host(host, filter_patterns), str(value)))
    hosts.sort(key=lambda h: (h.preference, h.host, h.text))
    nulls = [h for h in hosts if h.kind == NULL]
    null_mx = len(hosts) == 1 and len(nulls) == 1 and nulls[0].preference == 0
    if nulls and not null_mx:
        errors.append("a null MX ('.') mixed with other MX records, or with a preference "
                      "other than 0 (RFC 7505 section 3)")
    return Route(tuple(hosts), null_mx, tuple(errors))
