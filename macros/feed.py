"""``drift.xml``: an Atom feed (RFC 4287) of drift, so a helpdesk can follow it in a feed reader.

One entry per changed record set, newest first, each linking to its domain's page. Written with
feedgen (a widely used Atom/RSS writer on lxml, release 1.0.0 of 2023), so the XML is well formed whatever DNS says.

- ``atom:id`` (RFC 4287 4.2.6: permanent, never reused) is a ``urn:uuid`` derived from the
  domain, the record set and the values it drifted to: a reader sees the same change once, and
  a new change as a new entry;
- ``atom:updated`` is when the change was first seen (drift.py keeps that date across outages);
- DNS text goes in as ``type="text"`` content with every non-printable character shown as an
  escape (``records.visible``): XML 1.0 cannot carry most control characters at all, and a
  reader must never act on bidi or escape sequences.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from feedgen.feed import FeedGenerator

from .model import DRIFTED
from .records import visible
from .render import domain_path

FEED_NAME = "drift.xml"
#: The namespace the entry ids are derived in (uuid5): fixed, so ids never change.
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://mailflow.invalid/drift")


def _when(text: str | None, fallback: datetime) -> datetime:
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return fallback
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def entry_id(domain: str, name: str, rdtype: str, observed) -> str:
    """The permanent id of one change (RFC 4287 4.2.6)."""
    key = "|".join([domain, name.rstrip(".").lower(), rdtype, *sorted(observed or ())])
    return uuid.uuid5(ID_NAMESPACE, key).urn


def changes(run) -> list[tuple]:
    """(first seen, domain report, record report) of every drifted record set, newest first."""
    now = _when(run.generated_at, datetime.now(timezone.utc))
    found = [(_when(r.first_seen, now), d, r) for d in run.domains for r in d.records if r.status == DRIFTED]
    return sorted(found, key=lambda item: (item[0], item[1].spec.ascii, item[2].name, item[2].type),
                  reverse=True)


def atom(run, site_url: str = "", title: str = "Mail-flow drift") -> bytes:
    """The feed's bytes. ``site_url`` (mkdocs.yml) makes links absolute; without it they are
    relative to the feed, which RFC 4287 section 2 allows (resolved against the feed's URL)."""
    base = site_url.rstrip("/") + "/" if site_url else ""
    generated = _when(run.generated_at, datetime.now(timezone.utc))
    fg = FeedGenerator()
    fg.id(base + FEED_NAME if base else uuid.uuid5(ID_NAMESPACE, "feed").urn)
    fg.title(title)
    fg.subtitle("Record sets that differ from the accepted baseline, newest first")
    fg.author({"name": "Mail-flow knowledge base"})
    fg.link(href=base + "drift/", rel="alternate")
    fg.link(href=base + FEED_NAME, rel="self")
    items = changes(run)
    fg.updated(items[0][0] if items else generated)
    for seen, d, r in reversed(items):  # feedgen prepends: add oldest first to list newest first
        fe = fg.add_entry()
        fe.id(entry_id(d.spec.ascii, r.name, r.type, r.observed))
        fe.title(visible(f"{d.spec.name}: {r.type} {r.name.rstrip('.')} changed"))
        fe.updated(seen)
        fe.published(seen)
        fe.link(href=base + domain_path(d.spec), rel="alternate")
        lines = [f"Domain: {d.spec.name}", f"Record set: {r.type} {r.name}",
                 f"Accepted: {', '.join(r.baseline or ()) or '(none)'}",
                 f"Now: {', '.join(r.observed or ()) or '(none)'}",
                 f"First seen: {r.first_seen or run.generated_at}"]
        if r.added:
            lines.append("Added: " + ", ".join(r.added))
        if r.removed:
            lines.append("Removed: " + ", ".join(r.removed))
        if f"{r.type} {r.name}" in d.flapped:
            lines.append("Flapping: the second look answered differently")
        fe.content("\n".join(visible(line) for line in lines), type="text")
    return fg.atom_str(pretty=True)


def write(run, site_dir, site_url: str | None = None) -> str:
    """Write ``drift.xml`` at the site root (atomically, as drift.json); returns its path."""
    from pathlib import Path

    from .baseline import write_atomic

    target = str(Path(site_dir) / FEED_NAME)
    write_atomic(target, atom(run, site_url or "").decode("utf-8"))
    return target
