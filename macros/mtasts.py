"""MTA-STS (RFC 8461): the ``_mta-sts`` TXT record, the policy file, and fetching it.

Parsing and matching are pure (strings in, frozen dataclasses out). :func:`fetch` is the one
place outside resolve.py that touches the network: one HTTPS GET of
``https://mta-sts.<domain>/.well-known/mta-sts.txt``, to an address our own resolver gave,
with the certificate verified for the host name ``mta-sts.<domain>`` (RFC 8461 section 3.3,
RFC 6125), no redirect followed, a short deadline and a size limit.

The outcome is a :class:`~macros.resolve.Lookup` of type ``MTA-STS`` named
``mta-sts.<domain>.`` whose values are the policy's normalized lines (``version: STSv1``,
``mode: enforce``, ``max_age: 86400``, one ``mx: <pattern>`` each), so the policy is a record
set like any other for drift, the baseline and offline mode (CONTRACT.md). A policy that is
definitely not available (an HTTP status other than 200, a redirect, a bad certificate, a
body too large or not a policy) is ``nodata`` with the reason; a server that does not answer
in time is ``timeout`` and a refused connection ``error`` with the address as ``server`` (could
not find out). An ``error`` without a server means no fetch was made (offline without it in the
baseline, an unusable MAILFLOW_CA_BUNDLE): the check is then unknown.

The policy text is untrusted: it is only ever shown through render.py's escaping.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from .resolve import ERROR, FOUND, NODATA, TIMEOUT, Lookup

RDTYPE = "MTA-STS"
POLICY_PATH = "/.well-known/mta-sts.txt"
#: RFC 8461 section 3.2's value range of max_age (about one year).
MAX_MAX_AGE = 31557600
#: The largest policy body read (64 KiB, the limit the issue quotes from RFC 8461; a body
#: larger than this is not a policy).
MAX_BODY = 64 * 1024
MODES = ("enforce", "testing", "none")

# ---- RFC 8461 section 3.1: the TXT record -----------------------------------------------------

_STS_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")


@dataclass(frozen=True)
class TxtRecord:
    """The ``_mta-sts.<domain>`` TXT records, judged (RFC 8461 section 3.1)."""

    records: tuple[str, ...]     # the TXT values that start with v=STSv1
    id: str | None               # the policy id when exactly one valid record
    error: str                   # why senders ignore MTA-STS ("" when valid, or none published)

    @property
    def published(self) -> bool:
        return bool(self.records)

    @property
    def valid(self) -> bool:
        return self.id is not None


def is_sts(text: str) -> bool:
    """RFC 8461 section 3.1: records that do not begin with ``v=STSv1;`` are discarded."""
    return bool(re.match(r"^v=STSv1\s*(;|$)", str(text)))


def parse_txt(values) -> TxtRecord:
    """Select and parse the ``_mta-sts`` TXT values.

    RFC 8461 section 3.1: after discarding records that do not start with ``v=STSv1``, a
    number of records other than one, or a record without a valid ``id`` (1-32 letters and
    digits), means the domain does not implement MTA-STS as far as senders are concerned.
    Other fields are ignored.
    """
    records = tuple(str(v) for v in values if is_sts(v))
    if not records:
        return TxtRecord((), None, "")
    if len(records) > 1:
        return TxtRecord(records, None, f"{len(records)} v=STSv1 records: senders ignore them all "
                                        "(RFC 8461 section 3.1)")
    fields = {}
    for part in records[0].split(";"):
        key, sep, value = part.partition("=")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    sts_id = fields.get("id")
    if sts_id is None:
        return TxtRecord(records, None, "the record has no id= field (RFC 8461 section 3.1)")
    if not _STS_ID.match(sts_id):
        return TxtRecord(records, None, f"id={sts_id} is not 1 to 32 letters and digits "
                                        "(RFC 8461 section 3.1)")
    return TxtRecord(records, sts_id, "")


# ---- RFC 8461 section 3.2: the policy ---------------------------------------------------------

#: An mx pattern: a host name, optionally with a leading "*." (section 3.2, 4.1).
_MX_PATTERN = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{1,63}\.?$")


@dataclass(frozen=True)
class Policy:
    """A parsed policy file."""

    version: str | None
    mode: str | None
    max_age: int | None
    mx: tuple[str, ...]
    errors: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.errors

    def lines(self) -> tuple[str, ...]:
        """The normalized lines: the record set's values (sorted, like every value set)."""
        out = []
        if self.version is not None:
            out.append(f"version: {self.version}")
        if self.mode is not None:
            out.append(f"mode: {self.mode}")
        if self.max_age is not None:
            out.append(f"max_age: {self.max_age}")
        out += [f"mx: {p}" for p in self.mx]
        return tuple(sorted(set(out)))


def parse_policy(text: str) -> Policy:
    """Parse a policy body (RFC 8461 section 3.2).

    Lines are ``key: value`` separated by CRLF or LF; ``version`` must be ``STSv1``; ``mode``
    is ``enforce``, ``testing`` or ``none``; ``max_age`` is 0 to 31557600 seconds; ``mx``
    (one per line) is required unless the mode is ``none``. Unknown keys are ignored; a
    key given twice takes its first value (``mx`` may repeat).
    """
    errors: list[str] = []
    values: dict[str, str] = {}
    mx: list[str] = []
    for number, raw in enumerate(str(text).replace("\r\n", "\n").split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:
            errors.append(f"line {number} is not 'key: value'")
            continue
        key, value = key.strip(), value.strip()
        if key == "mx":
            pattern = value.lower().rstrip(".")
            if _MX_PATTERN.match(pattern):
                mx.append(pattern)
            else:
                errors.append(f"line {number}: mx {value[:80]!r} is not a host name or *.pattern")
        else:
            values.setdefault(key, value)
    version = values.get("version")
    if version != "STSv1":
        errors.append("version is not STSv1" if version is not None else "no version: STSv1 line")
    mode = values.get("mode")
    if mode is not None and mode not in MODES:
        errors.append(f"mode {mode[:40]!r} is not enforce, testing or none")
        mode = None
    elif mode is None:
        errors.append("no mode line")
    raw_age = values.get("max_age")
    max_age = None
    if raw_age is None:
        errors.append("no max_age line")
    elif raw_age.isdigit() and len(raw_age) <= 10 and int(raw_age) <= MAX_MAX_AGE:
        max_age = int(raw_age)
    else:
        errors.append(f"max_age {raw_age[:20]!r} is not a number of seconds up to {MAX_MAX_AGE}")
    if mode in ("enforce", "testing") and not mx:
        errors.append(f"mode {mode} without any mx line")
    return Policy(version if version == "STSv1" else None, mode, max_age,
                  tuple(sorted(set(mx))), tuple(errors))


def from_lines(values) -> Policy:
    """A policy back from its normalized lines (a Lookup's values, live or from the baseline)."""
    return parse_policy("\n".join(values))


def matches(host: str, pattern: str) -> bool:
    """RFC 8461 section 4.1: an mx pattern matches a host name exactly, or with a leading
    ``*.`` any host name with exactly one more label in its place (the wildcard never
    matches more than one label). Case-insensitive; trailing dots ignored."""
    host = host.lower().rstrip(".")
    pattern = pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        first, sep, rest = host.partition(".")
        return bool(sep) and bool(first) and rest == pattern[2:]
    return host == pattern


def unmatched(hosts, patterns) -> list[str]:
    """The MX hosts no pattern of the policy matches."""
    return [h for h in hosts if not any(matches(h, p) for p in patterns)]


# ---- fetching (RFC 8461 section 3.3) ----------------------------------------------------------

def policy_host(domain_fqdn: str) -> str:
    """``contoso.com.`` -> ``mta-sts.contoso.com`` (no trailing dot, as TLS wants it)."""
    return "mta-sts." + domain_fqdn.rstrip(".").lower()


def lookup_name(domain_fqdn: str) -> str:
    """The record-set name of a domain's policy: ``mta-sts.<domain>.``."""
    return policy_host(domain_fqdn) + "."


def context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """A client context that verifies the certificate chain (the system store, or only the
    CAs of ``ca_bundle``, MAILFLOW_CA_BUNDLE) and the host name."""
    ctx = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else ssl.create_default_context()
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def fetch(domain_fqdn: str, addresses, ctx: ssl.SSLContext, timeout: float = 5.0,
          port: int = 443) -> Lookup:
    """Fetch and parse the policy of ``domain_fqdn`` from the first of ``addresses`` that
    accepts a connection; never raises. ``timeout`` bounds the whole fetch."""
    name = lookup_name(domain_fqdn)
    host = policy_host(domain_fqdn)
    if not addresses:
        return Lookup(name, RDTYPE, NODATA, reason=f"{host} has no address, so the policy "
                                                   "cannot be fetched")
    deadline = time.monotonic() + timeout
    last = Lookup(name, RDTYPE, ERROR, reason=f"could not connect to {host}")
    for address in addresses:
        if time.monotonic() >= deadline:
            break
        outcome = _fetch_one(name, host, address, port, ctx, deadline, timeout)
        if outcome.status != ERROR:
            return outcome
        last = outcome
    return last


def _fetch_one(name: str, host: str, address: str, port: int, ctx: ssl.SSLContext,
               deadline: float, timeout: float) -> Lookup:
    url = f"https://{host}{POLICY_PATH}"
    where = f"{url} (at {address})"
    try:
        raw = socket.create_connection((address, port), timeout=max(0.05, deadline - time.monotonic()))
    except (socket.timeout, TimeoutError):
        return Lookup(name, RDTYPE, TIMEOUT, reason=f"{where}: no connection within {timeout:g} s")
    except OSError as exc:
        return Lookup(name, RDTYPE, ERROR, reason=f"{where}: cannot connect ({exc.strerror or exc})",
                      server=address)
    # The deadline bounds the whole fetch: a per-read socket timeout alone lets a server that
    # trickles a byte at a time (TLS handshake, status line, headers) hold it for hours, so a
    # watchdog shuts the socket down when the deadline passes; what was read is then discarded.
    expired = threading.Event()
    live = [raw]  # the socket that owns the connection now (the TLS one once wrapped)

    def expire() -> None:
        expired.set()
        try:  # the plain socket call: no TLS close_notify exchange with a server that stalls
            socket.socket.shutdown(live[0], socket.SHUT_RDWR)
        except OSError:
            pass

    late = Lookup(name, RDTYPE, TIMEOUT, reason=f"{where}: no complete answer within {timeout:g} s")
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        with ctx.wrap_socket(raw, server_hostname=host, do_handshake_on_connect=False) as tls:
            live[0] = tls
            tls.settimeout(max(0.05, deadline - time.monotonic()))
            tls.do_handshake()
            request = (f"GET {POLICY_PATH} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: mailflow-kb\r\n"
                       "Accept: text/plain\r\nConnection: close\r\n\r\n")
            tls.sendall(request.encode("ascii"))
            response = http.client.HTTPResponse(tls, method="GET")
            response.begin()
            if 300 <= response.status < 400:
                target = (response.getheader("Location") or "")[:200]
                return Lookup(name, RDTYPE, NODATA, reason=f"{where} redirects (HTTP "
                              f"{response.status}) to {target!r}; RFC 8461 section 3.3: senders "
                              "do not follow redirects")
            if response.status != 200:
                return Lookup(name, RDTYPE, NODATA, reason=f"{where} answers HTTP {response.status}, "
                              "not 200 (RFC 8461 section 3.3)")
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > MAX_BODY:
                return Lookup(name, RDTYPE, NODATA, reason=f"{where}: the policy is {length} bytes, "
                              f"over the {MAX_BODY // 1024} KiB limit")
            body = b""
            while len(body) <= MAX_BODY:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                tls.settimeout(left)
                chunk = response.read1(MAX_BODY + 1 - len(body)) if len(body) <= MAX_BODY else b""
                if not chunk:
                    break
                body += chunk
            if len(body) > MAX_BODY:
                return Lookup(name, RDTYPE, NODATA, reason=f"{where}: the policy is over the "
                              f"{MAX_BODY // 1024} KiB limit")
    except ssl.SSLCertVerificationError as exc:
        if expired.is_set():
            return late
        return Lookup(name, RDTYPE, NODATA, reason=f"{where}: the certificate is not valid for "
                      f"{host} ({exc.verify_message or exc.reason}); senders refuse the policy")
    except (socket.timeout, TimeoutError):
        return late
    except ssl.SSLError as exc:
        if expired.is_set():
            return late
        return Lookup(name, RDTYPE, NODATA, reason=f"{where}: TLS failed ({exc.reason or exc})")
    except (http.client.HTTPException, OSError) as exc:
        if expired.is_set():
            return late
        return Lookup(name, RDTYPE, ERROR, reason=f"{where}: {type(exc).__name__} ({str(exc)[:120]})",
                      server=address)
    finally:
        watchdog.cancel()
        raw.close()
    if expired.is_set():  # the body may have ended only because the watchdog closed the socket
        return late
    text = body.decode("utf-8", "backslashreplace")
    policy = parse_policy(text)
    if not policy.valid:
        return Lookup(name, RDTYPE, NODATA, reason=f"{where}: not a valid policy ({policy.errors[0]})")
    return Lookup(name, RDTYPE, FOUND, values=policy.lines(), server=address)
