"""A real BIND 9 ``named`` for the tests: authoritative only, on 127.0.0.1 and a free high port.

It serves a copy of the zone files under ``tests/zones/`` (one file per zone, named
``<origin>.zone``), so tests may change a zone and reload without touching the originals.

Fixtures:

- ``bind_server`` (session): one server for the whole run. Point the engine at it with
  ``Resolver([(bind_server.host, bind_server.port)])`` or ``MAILFLOW_NAMESERVERS=bind_server.address``.
- ``bind_zones`` (function): the same server; any zone the test writes with
  :meth:`BindServer.write_zone` is put back as it was, and reloaded, when the test ends.
- ``bind_factory`` (function): ``bind_factory(zones=None, zone_dir=ZONES_DIR)`` starts a fresh,
  private server (stopped when the test ends) for tests that want a world of their own.

Zones listed in :data:`BROKEN_ZONES` are declared without a loadable file, so BIND answers
SERVFAIL for every name in them: a real server's "could not find out".

``named`` missing is an error, never a skip: the tests need a real DNS server.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rdatatype
import pytest

from tests.support.loopback import LoopbackServer

ZONES_DIR = Path(__file__).resolve().parent.parent / "zones"

#: Zones declared with a file that does not exist: BIND serves SERVFAIL for them.
BROKEN_ZONES = ("servfail.example", "_dmarc.partial.example")

START_TIMEOUT = 10.0
RELOAD_TIMEOUT = 10.0

# Permissive checks: the tests serve deliberately broken and hostile data.
CHECKZONE_ARGS = ["-k", "ignore", "-m", "ignore", "-M", "ignore", "-S", "ignore",
                  "-n", "ignore", "-r", "ignore", "-i", "none", "-W", "ignore"]

NAMED_OPTIONS = """
    recursion no;
    allow-query { any; };
    notify no;
    dnssec-validation no;
    check-names primary ignore;
    check-integrity no;
    check-mx ignore;
    check-mx-cname ignore;
    check-srv-cname ignore;
    check-wildcard no;
    check-sibling no;
    check-spf ignore;
    check-dup-records ignore;
    querylog no;
"""


class BindError(RuntimeError):
    """named could not be started, a zone is invalid, or a reload did not take."""


def _require(program: str) -> str:
    path = shutil.which(program) or next(
        (p for p in (f"/usr/sbin/{program}", f"/usr/bin/{program}") if os.access(p, os.X_OK)), None)
    if not path:
        raise BindError(
            f"{program} not found: install BIND 9 (Debian: apt-get install bind9 bind9-utils); "
            "the DNS tests need a real server and are never skipped"
        )
    return path


def free_port() -> int:
    """A port free on 127.0.0.1 for both UDP and TCP."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            if port > 1024:
                return port
    raise BindError("no free port on 127.0.0.1")


def zone_files(zone_dir: Path) -> dict[str, Path]:
    """``{origin: path}`` for every ``<origin>.zone`` file in ``zone_dir``."""
    return {p.name[: -len(".zone")].lower(): p for p in sorted(Path(zone_dir).glob("*.zone"))}


def check_zones(zones: dict[str, Path]) -> dict[str, int]:
    """Validate every ``{origin: path}`` with named-checkzone (in parallel); return the SOA
    serials. Raises :class:`BindError` naming every invalid zone."""
    checkzone = _require("named-checkzone")
    procs = {
        origin: subprocess.Popen([checkzone, *CHECKZONE_ARGS, origin, str(path)],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for origin, path in zones.items()
    }
    serials, problems = {}, []
    for origin, proc in procs.items():
        output, _ = proc.communicate(timeout=30)
        match = re.search(r"loaded serial (\d+)", output)
        if proc.returncode != 0 or not match:
            problems.append(f"zone {origin} ({zones[origin].name}) is invalid:\n{output}")
        else:
            serials[origin] = int(match.group(1))
    if problems:
        raise BindError("\n".join(problems))
    return serials


def check_zone(origin: str, path: Path) -> int:
    """Validate one zone file with named-checkzone; return its SOA serial."""
    return check_zones({origin: path})[origin]


def set_serial(text: str, serial: int) -> str:
    """Rewrite the SOA serial in zone-file text (the third field after ``SOA``)."""
    match = re.search(r"(?i)\bSOA\b", text)
    if not match:
        raise BindError("zone text has no SOA record")
    pos, fields = match.end(), 0
    while pos < len(text):
        char = text[pos]
        if char == ";":
            pos = text.find("\n", pos)
            pos = len(text) if pos < 0 else pos
        elif char.isspace() or char in "()":
            pos += 1
        else:
            end = pos
            while end < len(text) and not text[end].isspace() and text[end] not in "();":
                end += 1
            fields += 1
            if fields == 3:
                return text[:pos] + str(serial) + text[end:]
            pos = end
    raise BindError("zone text has an SOA record without a serial")


@dataclass
class _Zone:
    origin: str
    path: Path
    serial: int


class BindServer(LoopbackServer):
    """One ``named -g`` process serving a private copy of a zone directory."""

    host = "127.0.0.1"

    def __init__(self, zone_dir: Path = ZONES_DIR, zones: dict[str, str] | None = None,
                 broken: tuple[str, ...] = BROKEN_ZONES):
        self._named = _require("named")
        self.workdir = Path(tempfile.mkdtemp(prefix="mailflow-bind-"))
        self.zone_dir = self.workdir / "zones"
        self.zone_dir.mkdir()
        self.broken = tuple(b.lower().rstrip(".") for b in broken)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._log = None
        self.zones: dict[str, _Zone] = {}
        sources = {origin: path.read_text(encoding="utf-8")
                   for origin, path in zone_files(zone_dir).items()} if zone_dir else {}
        sources.update({k.lower().rstrip("."): v for k, v in (zones or {}).items()})
        paths = {}
        for origin, text in sorted(sources.items()):
            paths[origin] = self.zone_dir / f"{origin}.zone"
            paths[origin].write_text(text, encoding="utf-8")
        for origin, serial in check_zones(paths).items():
            self.zones[origin] = _Zone(origin, paths[origin], serial)
        if not self.zones:
            raise BindError(f"no zone files (*.zone) in {zone_dir}")

    # ---- public API ------------------------------------------------------------------

    def start(self) -> "BindServer":
        self._write_conf()
        self._log = open(self.workdir / "named.log", "wb")
        self.process = subprocess.Popen(
            [self._named, "-g", "-c", str(self.workdir / "named.conf")],
            stdout=self._log, stderr=subprocess.STDOUT, cwd=self.workdir,
        )
        self._wait(lambda: all(self._serial(z) == zone.serial for z, zone in self.zones.items()),
                   START_TIMEOUT, "start")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None
        if self._log:
            self._log.close()
            self._log = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def zone_text(self, name: str) -> str:
        return self._zone(name).path.read_text(encoding="utf-8")

    def write_zone(self, name: str, text: str, reload: bool = True) -> int:
        """Replace (or add) zone ``name`` with ``text`` and, by default, reload it.

        The SOA serial is raised above the one being served when the text does not already,
        so the reload is observable. Returns the serial that will be served.
        Raises :class:`BindError` when named-checkzone rejects the text.
        """
        origin = name.lower().rstrip(".")
        path = self.zone_dir / f"{origin}.zone"
        current = self.zones[origin].serial if origin in self.zones else 0
        staged = self.workdir / f"{origin}.zone.new"
        staged.write_text(text, encoding="utf-8")
        serial = check_zone(origin, staged)
        if serial <= current:
            serial = current + 1
            staged.write_text(set_serial(text, serial), encoding="utf-8")
            check_zone(origin, staged)
        os.replace(staged, path)
        added = origin not in self.zones
        self.zones[origin] = _Zone(origin, path, serial)
        if added:
            self._write_conf()
        if reload:
            self.reload()
        return serial

    def reload(self) -> None:
        """SIGHUP (re-read named.conf and every changed zone); wait until every zone serves
        the serial of its file."""
        if not self.process or self.process.poll() is not None:
            raise BindError("named is not running" + self._tail())
        self.process.send_signal(signal.SIGHUP)
        self._wait(lambda: all(self._serial(z) == zone.serial for z, zone in self.zones.items()),
                   RELOAD_TIMEOUT, "reload")

    def checkpoint(self) -> dict[str, str | None]:
        """The text of every zone now, to :meth:`restore` later."""
        return {origin: zone.path.read_text(encoding="utf-8") for origin, zone in self.zones.items()}

    def restore(self, saved: dict[str, str | None]) -> None:
        """Put back every zone that changed since ``saved`` was taken, and reload once."""
        changed = False
        for origin in list(self.zones):
            if origin not in saved:
                self.zones.pop(origin).path.unlink(missing_ok=True)
                self._write_conf()
                changed = True
            elif self.zones[origin].path.read_text(encoding="utf-8") != saved[origin]:
                self.write_zone(origin, saved[origin], reload=False)
                changed = True
        if changed:
            self.reload()

    def __enter__(self) -> "BindServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- internals -------------------------------------------------------------------

    def _zone(self, name: str) -> _Zone:
        origin = name.lower().rstrip(".")
        if origin not in self.zones:
            raise KeyError(f"no zone {origin!r} (have: {', '.join(sorted(self.zones))})")
        return self.zones[origin]

    def _write_conf(self) -> None:
        zones = "".join(
            f'zone "{origin}" {{ type primary; file "{zone.path}"; }};\n'
            for origin, zone in sorted(self.zones.items())
        )
        zones += "".join(
            f'zone "{origin}" {{ type primary; file "{self.workdir / "absent" / origin}.zone"; }};\n'
            for origin in self.broken if origin not in self.zones
        )
        conf = (
            "options {\n"
            f'    directory "{self.workdir}";\n'
            f'    pid-file "{self.workdir / "named.pid"}";\n'
            f'    session-keyfile "{self.workdir / "session.key"}";\n'
            f'    managed-keys-directory "{self.workdir}";\n'
            f"    listen-on port {self.port} {{ 127.0.0.1; }};\n"
            "    listen-on-v6 { none; };\n"
            f"{NAMED_OPTIONS}"
            "};\n"
            "controls { };\n"
            f"{zones}"
        )
        (self.workdir / "named.conf").write_text(conf, encoding="utf-8")

    def _serial(self, origin: str) -> int | None:
        query = dns.message.make_query(origin + ".", dns.rdatatype.SOA)
        try:
            response = dns.query.udp(query, self.host, port=self.port, timeout=0.3)
        except (dns.exception.Timeout, OSError):
            return None
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.SOA:
                return int(rrset[0].serial)
        return None

    def _wait(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise BindError(f"named exited during {what}" + self._tail())
            if ready():
                return
            time.sleep(0.05)
        stale = [z for z, zone in self.zones.items() if self._serial(z) != zone.serial]
        raise BindError(f"named did not finish {what} in {timeout:g} s; zones not served at "
                        f"their file's serial: {', '.join(stale)}" + self._tail())

    def _tail(self) -> str:
        if self._log:
            self._log.flush()
        try:
            lines = (self.workdir / "named.log").read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\nnamed log (last 30 lines):\n" + "\n".join(lines[-30:])


@pytest.fixture(scope="session")
def bind_server():
    """One BIND for the session, serving a copy of tests/zones/."""
    server = BindServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def bind_zones(bind_server):
    """The session server; zones the test writes are restored (and reloaded) afterwards."""
    saved = bind_server.checkpoint()
    try:
        yield bind_server
    finally:
        bind_server.restore(saved)


@pytest.fixture
def bind_factory():
    """Start private servers: ``bind_factory(zones={...}, zone_dir=ZONES_DIR)``; all stopped at the end."""
    started: list[BindServer] = []

    def make(zones: dict[str, str] | None = None, zone_dir: Path | None = ZONES_DIR,
             broken: tuple[str, ...] = BROKEN_ZONES) -> BindServer:
        server = BindServer(zone_dir=zone_dir, zones=zones, broken=broken)
        started.append(server)
        return server.start()

    try:
        yield make
    finally:
        for server in started:
            server.stop()
