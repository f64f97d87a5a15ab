"""HTTPS policy hosts for the MTA-STS tests: real TLS servers on loopback addresses in 127/8.

A test CA is made with the ``openssl`` command line (the ``cryptography`` package is not a
dependency). Two servers listen on port 443 (the tests run as root; any 127/8 address works on
Linux, so these never collide with other servers):

- ``127.0.83.1``: a certificate from the test CA for every ``mta-sts.<case>.sts.example``;
- ``127.0.83.2``: a certificate from the test CA for ``mta-sts.elsewhere.example`` only (a
  policy host presenting the wrong certificate).

Responses are chosen by the ``Host`` header from :data:`RESPONSES`: a policy, a 404, a redirect,
a slow answer, a body over 64 KiB, a hostile body. ``mtasts_https`` (session) yields the
:class:`PolicyHosts` with ``ca_file`` (the PEM to pass as MAILFLOW_CA_BUNDLE).
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

GOOD_ADDRESS = "127.0.83.1"
WRONG_CERT_ADDRESS = "127.0.83.2"
PORT = 443
#: How long the slow host waits before answering (the tests use a shorter fetch timeout).
SLOW_SECONDS = 4.0

CASES = ("enforce", "testing", "none", "stale", "notfound", "slow", "big", "redirect", "hostile")

HOSTILE = ("version: STSv1\nmode: enforce\nmax_age: 86400\n"
           "mx: <script>alert(1)</script>\n"
           "mx: [x](javascript:alert(1)){: onclick=alert(1) }\n"
           "note: {{ config }} {% raw %}\n")


def _policy(mode: str, *mx: str, max_age: int = 86400) -> str:
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {m}" for m in mx), f"max_age: {max_age}"]
    return "\r\n".join(lines) + "\r\n"


#: host -> (status, headers, body, delay seconds)
RESPONSES = {
    "mta-sts.enforce.sts.example": (200, {}, _policy("enforce", "*.hornetsecurity.com"), 0),
    "mta-sts.testing.sts.example": (200, {}, _policy("testing", "*.outlook.com"), 0),
    "mta-sts.none.sts.example": (200, {}, _policy("none"), 0),
    "mta-sts.stale.sts.example": (200, {}, _policy("enforce", "*.mail.protection.outlook.com"), 0),
    "mta-sts.notfound.sts.example": (404, {}, "not here\n", 0),
    "mta-sts.slow.sts.example": (200, {}, _policy("enforce", "*.hornetsecurity.com"), SLOW_SECONDS),
    "mta-sts.big.sts.example": (200, {}, _policy("enforce", "*.hornetsecurity.com") + "x: " + "y" * 70000 + "\n", 0),
    "mta-sts.redirect.sts.example": (301, {"Location": "https://mta-sts.enforce.sts.example/.well-known/mta-sts.txt"}, "", 0),
    "mta-sts.hostile.sts.example": (200, {}, HOSTILE, 0),
    "mta-sts.badcert.sts.example": (200, {}, _policy("enforce", "*.hornetsecurity.com"), 0),
}


#: A new P-256 key without a passphrase (quicker to make than RSA).
EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(folder: Path) -> Path:
    """A test CA (``ca.pem``, ``ca.key``) in ``folder``."""
    _openssl("req", "-x509", *EC_KEY, "-keyout", "ca.key", "-out", "ca.pem",
             "-days", "3", "-subj", "/CN=Mailflow test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    return folder / "ca.pem"


def make_cert(folder: Path, stem: str, names: list[str]) -> tuple[Path, Path]:
    """A server certificate for ``names`` signed by the CA in ``folder``: (cert, key)."""
    ext = folder / f"{stem}.ext"
    ext.write_text("basicConstraints=critical,CA:FALSE\n"
                   "keyUsage=critical,digitalSignature\n"
                   "extendedKeyUsage=serverAuth\n"
                   "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
                   "subjectAltName=" + ",".join(f"DNS:{n}" for n in names) + "\n")
    _openssl("req", *EC_KEY, "-keyout", f"{stem}.key", "-out", f"{stem}.csr",
             "-subj", f"/CN={names[0]}", cwd=folder)
    _openssl("x509", "-req", "-in", f"{stem}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", f"{stem}.pem", "-days", "2", "-extfile", ext.name, cwd=folder)
    return folder / f"{stem}.pem", folder / f"{stem}.key"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 - http.server's naming
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        self.server.requests.append((host, self.path))
        status, headers, body, delay = RESPONSES.get(host, (404, {}, "unknown host\n", 0))
        if self.path != "/.well-known/mta-sts.txt":
            status, headers, body, delay = 404, {}, "wrong path\n", 0
        if delay:
            time.sleep(delay)
        data = body.encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (slow case): nothing to answer

    def log_message(self, *args):  # keep the test output clean
        pass


@dataclass
class _Server:
    httpd: ThreadingHTTPServer
    thread: threading.Thread


class PolicyHosts:
    """The two HTTPS servers and the CA they chain to."""

    def __init__(self):
        if not shutil.which("openssl"):
            raise RuntimeError("openssl not found: the MTA-STS tests need it to make a test CA")
        self.folder = Path(tempfile.mkdtemp(prefix="mailflow-https-"))
        self.ca_file = str(make_ca(self.folder))
        good = make_cert(self.folder, "good", [f"mta-sts.{c}.sts.example" for c in CASES])
        wrong = make_cert(self.folder, "wrong", ["mta-sts.elsewhere.example"])
        self.servers = [self._serve(GOOD_ADDRESS, *good), self._serve(WRONG_CERT_ADDRESS, *wrong)]

    @property
    def requests(self) -> list[tuple[str, str]]:
        return [r for s in self.servers for r in s.httpd.requests]

    def _serve(self, address: str, cert: Path, key: Path) -> _Server:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        httpd = ThreadingHTTPServer((address, PORT), _Handler)
        httpd.daemon_threads = True
        httpd.requests = []
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        return _Server(httpd, thread)

    def stop(self) -> None:
        for server in self.servers:
            server.httpd.shutdown()
            server.httpd.server_close()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def mtasts_https():
    hosts = PolicyHosts()
    try:
        yield hosts
    finally:
        hosts.stop()
