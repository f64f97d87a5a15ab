"""The fixed shapes the engine produces: checks, record reports, domain reports.

Shapes never change with the outcome: every field is always present (DESIGN.md).
``to_dict`` gives the JSON form used by ``drift.json`` and ``check --json`` (CONTRACT.md).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class CheckStatus(enum.StrEnum):
    """A check's verdict (CONTRACT.md "Check ids and their verdicts"). ``info``: an optional
    practice is not in use, or the check does not apply or has no data; it never counts as
    failed or unknown."""

    PASS = "pass"
    INFO = "info"
    WARN = "warn"
    FAIL = "fail"
    UNKNOWN = "unknown"


PASS = CheckStatus.PASS
INFO = CheckStatus.INFO
WARN = CheckStatus.WARN
FAIL = CheckStatus.FAIL
UNKNOWN = CheckStatus.UNKNOWN
CHECK_STATUSES = tuple(CheckStatus)

#: Worst first: how the index sorts and how a domain's overall status is chosen.
SEVERITY = {FAIL: 0, UNKNOWN: 1, WARN: 2, PASS: 3, INFO: 4}

#: The check ids of CONTRACT.md, in the order pages list them.
CHECK_IDS = (
    "mx-route",
    "exo-host",
    "spf-present",
    "spf-m365",
    "spf-all",
    "spf-lookups",
    "spf-senders",
    "dmarc",
    "dmarc-reports",
    "dkim",
    "autodiscover",
    "mta-sts",
    "tls-rpt",
    # tenant configuration checks (macros/tenant.py), from Exchange Online exports
    "efc",
    "connector-lockdown",
    "arc-sealer",
    "scl-bypass",
    "dkim-signing",
    "accepted-domain",
    "outbound-route",
)

SCENARIOS = ("exchange-online", "third-party-filter", "hybrid-third-party")

class RecordStatus(enum.StrEnum):
    """A record set compared with the baseline (drift.json ``records[].status``)."""

    UNCHANGED = "unchanged"
    DRIFTED = "drifted"
    NEW = "new"
    UNKNOWN = "unknown"


UNCHANGED = RecordStatus.UNCHANGED
DRIFTED = RecordStatus.DRIFTED
NEW = RecordStatus.NEW


@dataclass(frozen=True)
class Check:
    """One verdict: status, a one-line reason a helpdesk can read aloud, expected vs observed,
    and the site-relative link of the runbook section that fixes it.

    ``cause``: the id of another check whose failure this one follows from (two SPF records make
    every SPF evaluation permerror: ``spf-m365`` fails with ``cause="spf-present"``), or None.
    The status stays what the contract says; pages say the cause once, with one Fix link."""

    id: str
    status: str
    reason: str
    expected: str
    observed: str
    fix: str
    cause: str | None = None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "status": self.status,
            "reason": self.reason,
            "expected": self.expected,
            "observed": self.observed,
            "fix": self.fix,
            "cause": self.cause,
        }


@dataclass(frozen=True)
class RecordReport:
    """One record set of a domain compared with the baseline."""

    name: str
    type: str
    status: str
    baseline: tuple[str, ...] | None
    observed: tuple[str, ...] | None
    lookup_status: str = ""
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    #: drifted only: when this same change was first seen (carried over from the previous report)
    first_seen: str | None = None

    def to_dict(self) -> dict:
        return {
            "name": self.name.rstrip("."),  # drift.json names as CONTRACT.md shows them: no trailing dot
            "type": self.type,
            "status": self.status,
            "baseline": list(self.baseline) if self.baseline is not None else None,
            "observed": list(self.observed) if self.observed is not None else None,
            "lookup": self.lookup_status,
            "added": list(self.added),
            "removed": list(self.removed),
            "first_seen": self.first_seen,
        }


def worst(statuses) -> str:
    statuses = list(statuses)
    if not statuses:
        return UNKNOWN
    return min(statuses, key=lambda s: SEVERITY.get(s, 1))
