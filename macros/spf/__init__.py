"""SPF (RFC 7208), one concept per module:

- :mod:`.record`: record syntax (parse, select; no DNS);
- :mod:`.tree`: the include/redirect tree pages draw, which is also the engine's bounded prefetch
  plan;
- :mod:`.evaluation`: check_host() by pyspf over known answers, the one source of SPF verdicts;
- :mod:`.policy`: the evaluations a domain's checks need (Microsoft 365's addresses, unlisted
  senders, the domain's own senders) and their outcome.
"""

from .evaluation import Evaluation, Limit, Request, check_host, evaluate, settle
from .record import (
    DNS_MECHANISMS, DNS_TERMS, MAX_DNS_TERMS, MAX_MX, MAX_VOID_LOOKUPS, MECHANISMS, QUALIFIERS,
    RESULTS, VERSION, Record, SpfResult, Term, is_spf, parse, select,
)
from .tree import Node, Tree, analyze

__all__ = [
    "DNS_MECHANISMS", "DNS_TERMS", "MAX_DNS_TERMS", "MAX_MX", "MAX_VOID_LOOKUPS", "MECHANISMS",
    "QUALIFIERS", "RESULTS", "VERSION", "Evaluation", "Limit", "Node", "Record", "Request",
    "SpfResult", "Term", "Tree", "analyze", "check_host", "evaluate", "is_spf", "parse", "select",
    "settle",
]
