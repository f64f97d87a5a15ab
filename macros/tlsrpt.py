"""SMTP TLS Reporting (RFC 8460): the ``_smtp._tls.<domain>`` TXT record.

Pure: the TXT values in, a frozen :class:`Record` out. No DNS.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

class TlsRptStatus(enum.StrEnum):
    """What ``_smtp._tls.<domain>`` holds."""

    NONE = "none"
    VALID = "valid"
    INVALID = "invalid"
    MULTIPLE = "multiple"


NONE, VALID, INVALID, MULTIPLE = TlsRptStatus

_URI = re.compile(r"^(mailto:[^@\s]+@[^@\s]+|https://[^\s]+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Record:
    status: TlsRptStatus
    records: tuple[str, ...]
    rua: tuple[str, ...]
    error: str


def is_tlsrpt(text: str) -> bool:
    """RFC 8460 section 3: records that do not begin with ``v=TLSRPTv1;`` are discarded."""
    return bool(re.match(r"^v=TLSRPTv1\s*(;|$)", str(text)))


def parse(values) -> Record:
    """Judge the TXT values at ``_smtp._tls.<domain>`` (RFC 8460 section 3).

    ``v=TLSRPTv1`` first; ``rua`` is required: one or more comma-separated ``mailto:`` or
    ``https:`` URIs. Other fields are ignored (extensions). More than one ``v=TLSRPTv1`` record
    means senders do not report at all ("If the number of resulting records is not one,
    senders MUST assume the recipient domain does not implement TLSRPT").
    """
    records = tuple(str(v) for v in values if is_tlsrpt(v))
    if not records:
        return Record(NONE, (), (), "")
    if len(records) > 1:
        return Record(MULTIPLE, records, (), f"{len(records)} v=TLSRPTv1 records: senders send no "
                                             "reports (RFC 8460 section 3)")
    fields: dict[str, str] = {}
    for part in records[0].split(";")[1:]:
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep:
            return Record(INVALID, records, (), f"{part.strip()[:60]!r} is not field=value")
        fields.setdefault(key.strip(), value.strip())
    rua = tuple(u.strip() for u in fields.get("rua", "").split(",") if u.strip())
    if not rua:
        return Record(INVALID, records, (), "no rua= (where to send reports) (RFC 8460 section 3)")
    bad = [u for u in rua if not _URI.match(u)]
    if bad:
        return Record(INVALID, records, rua, f"rua {bad[0][:80]!r} is not a mailto: or https: URI")
    return Record(VALID, records, rua, "")
