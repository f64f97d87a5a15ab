"""The environment variables of CONTRACT.md, read the same way by the site and the CLI."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import SettingsError
from .records import visible
from .resolve import parse_nameservers

__all__ = ["Settings", "SettingsError", "from_mapping", "from_environ"]

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Settings:
    domains_file: str
    baseline_file: str
    nameservers: tuple[tuple[str, int], ...]
    offline: bool
    fail_on_drift: bool
    #: MAILFLOW_CA_BUNDLE: PEM file of the CAs MTA-STS policy hosts are verified against
    #: (None: the system trust store)
    ca_bundle: str | None = None
    tenants_dir: str = "tenants"  # MAILFLOW_TENANTS: Exchange Online exports (macros/tenant.py)


def _flag(name: str, value) -> bool:
    text = str(value if value is not None else "").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise SettingsError(f"{name}={visible(value)!r}: use 1 or 0", name)


def nameserver_setting(value) -> tuple[tuple[str, int], ...]:
    """``MAILFLOW_NAMESERVERS``: unset or empty means the system resolver; anything else must
    name at least one server, and an IPv6 address must be in brackets (``[::1]:53``), since
    ``::1:53`` is itself an address (``0:0:0:0:0:0:1:53``), another server than ``[::1]:53``."""
    text = "" if value is None else str(value)
    if not text.strip():
        return ()
    items = [item.strip() for item in text.split(",")]
    if not any(items):
        raise SettingsError(f"MAILFLOW_NAMESERVERS={visible(text)!r}: lists no nameserver "
                            "(unset it for the system resolver)", "MAILFLOW_NAMESERVERS")
    for item in items:
        if not item.startswith("[") and item.count(":") > 1:
            try:
                ipaddress.IPv6Address(item)
            except ValueError:
                continue  # parse_nameservers names it
            raise SettingsError(f"MAILFLOW_NAMESERVERS: nameserver {visible(item)!r}: write IPv6 in brackets, "
                                f"[{visible(item)}] for that address or [address]:port with a port "
                                "(e.g. [::1]:53)", "MAILFLOW_NAMESERVERS")
    try:
        return tuple(parse_nameservers(text))
    except ValueError as exc:
        raise SettingsError(f"MAILFLOW_NAMESERVERS: {visible(exc)}", "MAILFLOW_NAMESERVERS") from None


def from_mapping(values: dict, base_dir: str | os.PathLike = ".") -> Settings:
    """Settings from a mapping with the CONTRACT.md names (``os.environ`` or mkdocs.yml's
    ``extra.mailflow`` read through ``!ENV``). Relative paths are taken from ``base_dir``."""
    def path(key: str, default: str) -> str:
        p = Path(str(values.get(key) or "").strip() or default)
        return str(p if p.is_absolute() else Path(base_dir) / p)

    return Settings(
        domains_file=path("MAILFLOW_DOMAINS", "domains.yml"),
        baseline_file=path("MAILFLOW_BASELINE", "baseline.yml"),
        nameservers=nameserver_setting(values.get("MAILFLOW_NAMESERVERS")),
        offline=_flag("MAILFLOW_OFFLINE", values.get("MAILFLOW_OFFLINE", "0")),
        fail_on_drift=_flag("MAILFLOW_FAIL_ON_DRIFT", values.get("MAILFLOW_FAIL_ON_DRIFT", "0")),
        ca_bundle=_ca_bundle(values.get("MAILFLOW_CA_BUNDLE"), base_dir),
        tenants_dir=_tenants_dir(values.get("MAILFLOW_TENANTS"), base_dir),
    )


def _tenants_dir(value, base_dir) -> str:
    """MAILFLOW_TENANTS: unset, empty or ``tenants`` is the default folder, whose absence means
    no exports yet (every tenant check ``info``). Any other value is a choice, so a folder that
    is not there (a typo, an unmounted share) must not read as "no exports, all clear": it is
    refused, as is anything by that name that is not a folder."""
    text = str(value or "").strip() or "tenants"
    p = Path(text)
    p = p if p.is_absolute() else Path(base_dir) / p
    if p.is_dir():
        return str(p)
    if p.exists() or p.is_symlink():
        what = "not a folder" if p.exists() else "a link to nothing"
    elif os.path.abspath(p) == os.path.abspath(Path(base_dir) / "tenants"):
        return str(p)  # the default folder, not made yet: no exports
    else:
        what = "no such folder"
    raise SettingsError(f"MAILFLOW_TENANTS={visible(text)!r}: {what} (the folder of Exchange Online "
                        "exports, <tenant>.json; unset it for the default 'tenants')", "MAILFLOW_TENANTS")


def _ca_bundle(value, base_dir) -> str | None:
    """MAILFLOW_CA_BUNDLE: unset or empty is the system store; else a readable file."""
    text = str(value or "").strip()
    if not text:
        return None
    p = Path(text)
    p = p if p.is_absolute() else Path(base_dir) / p
    if not p.is_file():
        raise SettingsError(f"MAILFLOW_CA_BUNDLE={visible(text)!r}: no such file (a PEM file of CA "
                            "certificates)", "MAILFLOW_CA_BUNDLE")
    return str(p)


def from_environ(base_dir: str | os.PathLike = ".") -> Settings:
    return from_mapping(dict(os.environ), base_dir)
