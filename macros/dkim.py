"""DKIM for Microsoft 365: key records, the CNAME targets Microsoft publishes, and one
selector's verdict.

Pure: strings in (normalized TXT values, CNAME hops, lookup statuses), frozen dataclasses out.

Microsoft 365 signs a custom domain with two selectors. The domain publishes
``selector1._domainkey.<domain>`` and ``selector2._domainkey.<domain>`` as CNAMEs to keys that
Microsoft hosts, in one of two forms:

- ``selectorN-<domain-with-dashes>._domainkey.<tenant>.onmicrosoft.com`` (domains set up
  before May 2025);
- ``selectorN-<domain-with-dashes>._domainkey.<tenant>.<c>-v1.dkim.mail.microsoft`` (newer;
  ``<c>`` a partition letter Microsoft assigns).

``<domain-with-dashes>`` is the domain (A-labels for an IDN) with dots replaced by dashes,
``<tenant>`` the prefix of the tenant's initial ``<tenant>.onmicrosoft.com`` domain. Microsoft
Learn ("Set up DKIM to sign mail from your Microsoft 365 domain",
https://learn.microsoft.com/defender-office-365/email-authentication-dkim-configure) gives the
newer form as ``selector1-<CustomDomain>._domainkey.<InitialDomainPrefix>.<DynamicPartitionCharacter>-v1.dkim.mail.microsoft``
and says the values shown there are illustrations: the real ones come from the Defender portal or
``Get-DkimSigningConfig`` (``Selector1CNAME``/``Selector2CNAME``).

Public zones also show a token with a uniqueness suffix after the dashed domain
(``selector1-contoso-com01b._domainkey...``), the same token as the domain's Exchange Online MX
host (``contoso-com01b.mail.protection.outlook.com``). That form is taken from the issue and
observed zones; Microsoft Learn does not document it (not confirmed with ``search``). Accepted:
the dashed domain followed by letters and digits only. When the domain's Exchange Online token is
known (its MX or ``exo_host``), a suffixed token must be exactly that one; when it is not known,
the suffix must start with a digit, so that ``contoso.co`` never accepts ``contoso-com``'s key.
With ``dkim_targets`` set, only those exact names pass.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from dataclasses import dataclass

from .records import dashed
from .resolve import DEFINITE, FOUND
from .taglist import parse_tags  # tag=value lists: RFC 6376 section 3.2

# ---- RFC 6376 section 3.6.1: the key record ---------------------------------------------------

KEY_TYPES = ("rsa", "ed25519")  # RFC 6376 section 3.6.1; RFC 8463 section 3


@dataclass(frozen=True)
class Key:
    """A DKIM key record (RFC 6376 section 3.6.1)."""

    text: str
    key_type: str
    public_key: str
    revoked: bool
    errors: tuple[str, ...]

    @property
    def valid(self) -> bool:
        """A usable key: no errors and a non-empty ``p=``."""
        return not self.errors and not self.revoked


def parse_key(text: str) -> Key:
    """Parse a DKIM key record.

    RFC 6376 section 3.6.1: ``v=`` is optional but, when present, must be ``DKIM1`` and the
    first tag; ``k=`` defaults to ``rsa``; ``p=`` is required, base64 (whitespace allowed), and
    an empty ``p=`` means the key has been revoked. Unknown tags are ignored.
    """
    tags = parse_tags(text)
    errors = list(tags.errors)
    version = tags.get("v")
    if version is not None:
        if version != "DKIM1":
            errors.append(f"v={version}: a key record's version must be DKIM1")
        elif tags.names()[0] != "v":
            errors.append("v=DKIM1 must be the first tag (RFC 6376 section 3.6.1)")
    key_type = tags.get("k", "rsa") or ""
    if key_type not in KEY_TYPES:
        errors.append(f"k={key_type}: not a known key type ({', '.join(KEY_TYPES)})")
    public = tags.get("p")
    revoked = False
    if public is None:
        errors.append("no p= tag (the public key is required)")
        public = ""
    else:
        public = re.sub(r"\s+", "", public)
        if not public:
            revoked = True
        else:
            try:
                base64.b64decode(public, validate=True)
            except (binascii.Error, ValueError):
                errors.append("p= is not valid base64")
    return Key(str(text), key_type, public, revoked, tuple(errors))


def find_key(txt_values) -> Key | None:
    """The best key among the TXT values at a name: a valid one, else the first parsed."""
    keys = [parse_key(v) for v in txt_values]
    return next((k for k in keys if k.valid), keys[0] if keys else None)


# ---- Microsoft 365 CNAME targets --------------------------------------------------------------

ONMICROSOFT = "onmicrosoft"
DKIM_MAIL_MICROSOFT = "dkim.mail.microsoft"

_ONMICROSOFT = re.compile(
    r"^selector(?P<n>[0-9]+)-(?P<domain>[a-z0-9-]+)\._domainkey\.(?P<tenant>[a-z0-9-]+)"
    r"\.onmicrosoft\.com\.?$")
_NEW_FORM = re.compile(
    r"^selector(?P<n>[0-9]+)-(?P<domain>[a-z0-9-]+)\._domainkey\.(?P<tenant>[a-z0-9-]+)"
    r"\.(?P<partition>[a-z0-9])-v1\.dkim\.mail\.microsoft\.?$")
_MICROSOFT_SUFFIXES = (".onmicrosoft.com.", ".dkim.mail.microsoft.")


@dataclass(frozen=True)
class Target:
    """A Microsoft 365 DKIM target name, taken apart."""

    name: str
    selector: int
    domain: str         # <domain-with-dashes>
    tenant: str
    form: str           # ONMICROSOFT or DKIM_MAIL_MICROSOFT
    partition: str | None


def parse_target(name: str) -> Target | None:
    """Take a Microsoft 365 DKIM target apart; ``None`` when ``name`` has neither form."""
    text = str(name).lower()
    if not text.endswith("."):
        text += "."
    for form, pattern in ((ONMICROSOFT, _ONMICROSOFT), (DKIM_MAIL_MICROSOFT, _NEW_FORM)):
        match = pattern.match(text)
        if match:
            return Target(text, int(match["n"]), match["domain"], match["tenant"], form,
                          match.groupdict().get("partition"))
    return None


_SUFFIX = re.compile(r"^[a-z0-9]+$")


def token_matches(token: str, domain_ascii: str, known_tokens=()) -> bool:
    """Is ``token`` (the part after ``selectorN-``) this domain's?

    The dashed domain itself, or the dashed domain plus a uniqueness suffix of letters and
    digits: exactly one of ``known_tokens`` (the Exchange Online MX host tokens of the domain)
    when any of them carries a suffix, else a suffix starting with a digit.
    """
    base = dashed(domain_ascii)
    token = token.lower()
    if token == base:
        return True
    if not token.startswith(base):
        return False
    suffix = token[len(base):]
    if not _SUFFIX.match(suffix):
        return False
    suffixed = {t.lower() for t in known_tokens if t.lower().startswith(base) and t.lower() != base}
    if suffixed:
        return token in suffixed
    return suffix[0].isdigit()


def exo_token(host: str) -> str | None:
    """The token of an Exchange Online MX host: ``contoso-com01b`` from
    ``contoso-com01b.mail.protection.outlook.com`` or ``contoso-com01b.o-v1.mx.microsoft``."""
    text = host.lower().rstrip(".")
    for suffix in (".mail.protection.outlook.com", ".mx.microsoft"):
        if text.endswith(suffix):
            first = text[: -len(suffix)].split(".")[0]
            return first or None
    return None


def expected_targets(selector: int, domain_ascii: str, tenant: str | None) -> str:
    """The target forms a selector should reach, for people (``<c>`` left as a placeholder)."""
    who = tenant or "<tenant>"
    label = f"selector{selector}-{dashed(domain_ascii)}._domainkey"
    return f"{label}.{who}.onmicrosoft.com or {label}.{who}.<c>-v1.dkim.mail.microsoft"


# ---- one selector's verdict -------------------------------------------------------------------

class SelectorStatus(enum.StrEnum):
    """What one selector shows."""

    OK = "ok"                # CNAME to the right Microsoft 365 target, which publishes a key
    MISSING = "missing"      # no record at the selector name
    NO_KEY = "no-key"        # the right target, but no usable key there (yet)
    ELSEWHERE = "elsewhere"  # a CNAME (or a record) that is not this domain's Microsoft 365 key
    UNKNOWN = "unknown"      # the lookup got no definite answer


OK, MISSING, NO_KEY, ELSEWHERE, UNKNOWN = SelectorStatus


@dataclass(frozen=True)
class Selector:
    """What ``selectorN._domainkey.<domain>`` shows."""

    selector: int
    status: SelectorStatus
    reason: str
    target: str       # the first CNAME hop (or ""), what the selector points at
    key: Key | None
    microsoft: Target | None = None   # the Microsoft 365 target reached, when one is


def judge_selector(selector: int, domain_ascii: str, tenant: str | None, status: str,
                   chain=(), values=(), cname_loop: bool = False, known_tokens=(),
                   exact_target: str | None = None) -> Selector:
    """Judge one selector from its TXT lookup: ``status`` (found, nxdomain, nodata, timeout, ...),
    ``chain`` (the CNAME hops followed) and ``values`` (the TXT values at the end).

    RFC 6376 section 3.6.2.1: the key is the TXT record at ``<selector>._domainkey.<domain>``;
    here that name must be a CNAME to Microsoft 365's target for this domain and selector
    (with ``tenant``, when given, as the tenant), and the target must publish a usable key
    (section 3.6.1; an empty ``p=`` is a revoked key). ``known_tokens``: the domain's Exchange
    Online MX tokens (see :func:`token_matches`). ``exact_target``: the ``dkim_targets`` value
    for this selector; when given, the CNAME chain must reach exactly that name and nothing
    else passes.
    """
    chain = tuple(str(h).lower() for h in chain)
    name = f"selector{selector}._domainkey.{domain_ascii}"
    first = chain[0].rstrip(".") if chain else ""
    if cname_loop:
        return Selector(selector, ELSEWHERE, f"{name} is a CNAME loop ({' -> '.join(chain)})",
                        first, None)
    if status not in DEFINITE:
        return Selector(selector, UNKNOWN, f"{name}: the lookup got no definite answer ({status})",
                        first, None)
    if not chain:
        if status == FOUND:
            return Selector(selector, ELSEWHERE,
                            f"{name} publishes its own TXT record instead of a CNAME to Microsoft 365",
                            "", find_key(values))
        return Selector(selector, MISSING, f"{name} does not exist", "", None)
    if exact_target is not None:
        wanted = exact_target.lower().rstrip(".") + "."
        if wanted not in chain:
            return Selector(selector, ELSEWHERE,
                            f"{name} points at {first}, not at {wanted.rstrip('.')} (dkim_targets)",
                            first, None)
        target = parse_target(wanted) or Target(wanted, selector, "", "", "", None)
        return _with_key(selector, name, status, values, first, target)
    target = next((t for t in map(parse_target, chain) if t is not None), None)
    if target is None:
        microsoft = next((h for h in chain if h.endswith(_MICROSOFT_SUFFIXES)), None)
        if microsoft:
            return Selector(selector, ELSEWHERE,
                            f"{name} points at {microsoft.rstrip('.')}, which is not a Microsoft 365 "
                            "DKIM target name", first, None)
        return Selector(selector, ELSEWHERE,
                        f"{name} points at {first}, not at Microsoft 365", first, None)
    shown = target.name.rstrip(".")
    if target.selector != selector:
        return Selector(selector, ELSEWHERE,
                        f"{name} points at selector{target.selector}'s key ({shown})", first, None)
    if not token_matches(target.domain, domain_ascii, known_tokens):
        return Selector(selector, ELSEWHERE,
                        f"{name} points at another domain's key ({shown})", first, None)
    if tenant and target.tenant != tenant.lower():
        return Selector(selector, ELSEWHERE,
                        f"{name} points at tenant {target.tenant}, not {tenant.lower()} ({shown})",
                        first, None)
    return _with_key(selector, name, status, values, first, target)


def _with_key(selector: int, name: str, status: str, values, first: str, target: Target) -> Selector:
    """The verdict once the target is the right one: does it publish a usable key?"""
    shown = target.name.rstrip(".")
    if status != FOUND:
        return Selector(selector, NO_KEY,
                        f"{name} points at {shown}, which publishes no key yet", first, None, target)
    key = find_key(values)
    if key is None or not key.valid:
        why = ("the key is revoked (empty p=)" if key is not None and key.revoked
               else f"the key record is invalid ({key.errors[0]})" if key is not None
               else "no key record")
        return Selector(selector, NO_KEY, f"{name} points at {shown}, but {why}", first, key, target)
    return Selector(selector, OK, f"{name} points at {shown}, which publishes a key", first, key,
                    target)
