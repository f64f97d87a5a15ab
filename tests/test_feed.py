"""feed.py: drift.xml is an Atom feed (RFC 4287) that feed readers accept: well-formed XML,
one entry per changed record set with a permanent id, newest first, linking to the domain page,
and DNS text that can neither break the XML nor act on a terminal."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from macros import engine, feed
from macros.baseline import Baseline
from macros.resolve import Resolver
from tests.support.fakedns import txt
from tests.support.sites import build
from tests.support.world import CONTOSO, NESTED, WORLD, accept, accepted, make_config, serve_zones

ATOM = "{http://www.w3.org/2005/Atom}"


def parse(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):  # RFC 4287 4.1.1
        assert root.find(f"{ATOM}{required}") is not None, required
    return root


def entries(root: ET.Element) -> list[dict]:
    out = []
    for e in root.findall(f"{ATOM}entry"):
        out.append({"id": e.findtext(f"{ATOM}id"), "title": e.findtext(f"{ATOM}title"),
                    "updated": e.findtext(f"{ATOM}updated"),
                    "link": e.find(f"{ATOM}link").get("href"),
                    "content": e.findtext(f"{ATOM}content")})
    return out


def test_the_nightly_site_has_a_drift_feed_with_one_entry_per_change(tmp_path, bind_zones):
    project = accepted(tmp_path, bind_zones.address)
    text = bind_zones.zone_text("contoso.example")
    bind_zones.write_zone("contoso.example", text.replace("@\tMX\t40 mx04", "@\tMX\t50 mx04"))
    result = build(project, MAILFLOW_NAMESERVERS=bind_zones.address)
    assert result.returncode == 0, result.output
    root = parse((result.site / "drift.xml").read_bytes())
    (entry,) = entries(root)
    mx = next(r for d in result.drift()["domains"] for r in d["records"] if r["status"] == "drifted")
    assert entry["id"].startswith("urn:uuid:")
    assert entry["title"] == "contoso.example: MX contoso.example changed"
    assert entry["link"].endswith("domains/contoso.example/")
    assert entry["updated"].replace("+00:00", "Z") == mx["first_seen"]
    assert "Added: 50 mx04.hornetsecurity.com." in entry["content"]
    # the Drift page links the feed (and drift.json) where they really are
    drift_page = result.site / "drift" / "index.html"
    hrefs = re.findall(r'<a href="([^"]+)" type="application/(?:atom\+xml|json)"', drift_page.read_text())
    assert [(drift_page.parent / h).resolve() for h in hrefs] == [result.site / "drift.xml", result.site / "drift.json"]

    again = build(project, MAILFLOW_NAMESERVERS=bind_zones.address)
    (same,) = entries(parse((again.site / "drift.xml").read_bytes()))
    assert same["id"] == entry["id"] and same["updated"] == entry["updated"]  # the same change, once


def test_entries_are_newest_first_and_hostile_text_cannot_break_the_feed(fake_dns):
    serve_zones(fake_dns, *WORLD, "contoso.example", "nested.example")
    config = make_config(CONTOSO, NESTED)
    first = Resolver(fake_dns.nameservers, timeout=1, lifetime=2)
    baseline = accept(engine.run(config, first, Baseline(path="memory"), confirm_delay=0), first)
    hostile = txt("v=spf1 -all \x1b[31m\x00\x9b]]></content><script>alert(1)</script>\u202e")
    fake_dns.set("contoso.example", "TXT", [hostile])
    fake_dns.set("nested.example", "MX", ["10 mx09.hornetsecurity.com."])
    run = engine.run(config, Resolver(fake_dns.nameservers, timeout=1, lifetime=2), baseline, confirm_delay=0)
    # date nested's change earlier, as a previous night would have
    data = run.to_dict()
    for d in data["domains"]:
        for r in d["records"]:
            if r["status"] == "drifted" and d["ascii"] == "nested.example":
                r["first_seen"] = "2026-01-01T00:00:00Z"
    run = engine.run(config, Resolver(fake_dns.nameservers, timeout=1, lifetime=2), baseline,
                     confirm_delay=0, previous=data)
    body = feed.atom(run, "https://kb.example/mail/")
    root = parse(body)
    found = entries(root)
    assert [e["title"] for e in found] == ["contoso.example: TXT contoso.example changed",
                                           "nested.example: MX nested.example changed"]
    assert found[0]["link"] == "https://kb.example/mail/domains/contoso.example/"
    assert found[0]["updated"] > found[1]["updated"]
    for raw in ("\x1b", "\x00", "\x9b", "\u202e"):
        assert raw.encode("utf-8") not in body
    assert b"<script>" not in body and "&lt;script&gt;" in body.decode("utf-8")
    assert "\\027[31m" in found[0]["content"]  # shown, escaped
