"""pywb, from its own virtualenv, replays what storyvault archived, byte for byte."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.pywb import Wayback, ensure_pywb_venv
from tests.support.servers import LiveServer, sent_body

BIN = Path(sys.executable).parent
COLL = "storyvault"


def archive(archive_dir: Path, *urls: str) -> None:
    for url in urls:
        result = subprocess.run(
            [
                str(BIN / "storyvault"),
                "fetch",
                "--allow-private",
                "--archive",
                str(archive_dir),
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env=dict(os.environ),
        )
        assert result.returncode == 0, result.stderr


def index_entries(archive_dir: Path) -> list[tuple[str, dict[str, str]]]:
    lines = (archive_dir / "collections" / COLL / "indexes" / "index.cdxj").read_text()
    out = []
    for line in lines.splitlines():
        _, ts, data = line.split(" ", 2)
        out.append((ts, json.loads(data)))
    return out


@pytest.mark.replay
@pytest.mark.timeout(900)  # the first run builds .venv-pywb
def test_pywb_replays_plain_gzip_redirects_and_revisits(
    outlet: LiveServer, hostile: LiveServer, archive_dir: Path
) -> None:
    ensure_pywb_venv()
    plain, gz, chain = outlet.url("/plain"), outlet.url("/gzip"), hostile.url("/redirect-chain")
    archive(archive_dir, plain, gz, chain)
    archive(archive_dir, plain)  # second run: a revisit
    entries = index_entries(archive_dir)
    by_url: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for ts, data in entries:
        by_url.setdefault(data["url"], []).append((ts, data))

    with Wayback(archive_dir) as wb:
        # plain page: exact payload
        (ts, first), (ts2, second) = by_url[plain]
        assert (first["mime"], second["mime"]) == ("text/html", "warc/revisit")
        status, _, body = wb.replay_raw(COLL, ts, plain)
        assert (status, body) == (200, sent_body(outlet, "/plain"))
        # the revisit resolves to the original payload, at the revisit's own time
        status, headers, body = wb.replay_raw(COLL, ts2, plain)
        assert (status, body) == (200, sent_body(outlet, "/plain"))
        assert "memento-datetime" in headers
        # gzip page: the compressed bytes as stored, Content-Encoding intact
        ((ts, _),) = by_url[gz]
        status, headers, body = wb.replay_raw(COLL, ts, gz, accept_encoding="gzip")
        assert (status, body) == (200, sent_body(outlet, "/gzip"))
        assert headers["content-encoding"] == "gzip"
        # redirect chain: every hop replays as the 302 it was, then the final page
        hops = ["/redirect-chain", "/hop/1", "/hop/2", "/hop/3"]
        for hop, nxt in zip(hops, [*hops[1:], "/chain-end"], strict=True):
            ((ts, _),) = by_url[hostile.url(hop)]
            status, headers, _ = wb.replay_raw(COLL, ts, hostile.url(hop))
            assert status == 302
            assert headers["location"].endswith(nxt)
        ((ts, _),) = by_url[hostile.url("/chain-end")]
        status, _, body = wb.replay_raw(COLL, ts, hostile.url("/chain-end"))
        assert (status, body) == (200, sent_body(hostile, "/chain-end"))
        assert chain == hostile.url("/redirect-chain")


@pytest.mark.replay
@pytest.mark.timeout(900)
def test_pywb_replays_every_version_at_its_own_time(archive_dir: Path) -> None:
    import asyncio

    from tests.support.clock import ManualClock
    from tests.support.newsoutlet import OutletSpec, start_outlet
    from workers.core.settings import Settings
    from workers.crawl.local import crawl
    from workers.parse.story import extract_story

    ensure_pywb_venv()
    settings = Settings(archive=archive_dir, allow_private=True, host_delay=0.0)
    spec = OutletSpec(
        sections=1, articles_per_section=2, calendar_trap=False, noise=False, validators=False
    )
    with start_outlet(spec) as fx:
        clock = ManualClock()  # captures are addressed by the second: move it on
        asyncio.run(crawl(settings, [fx.url("/")], clock=clock))
        path = fx.site.article_urls()[0]
        url = fx.url(path)
        # replay addresses captures by the second: keep the three captures apart
        clock.advance(60)
        fx.site.edit_headline(path, "Second version headline")
        asyncio.run(crawl(settings, [url], mode="recrawl", clock=clock))
        clock.advance(60)
        asyncio.run(crawl(settings, [url], mode="recrawl", clock=clock))  # unchanged: a revisit
    messages = [
        json.loads(line)
        for line in (archive_dir / "queue" / "clean.jsonl").read_text().splitlines()
    ]
    mine = [m for m in messages if m["url"] == url]
    assert [m["version"] for m in mine] == [1, 2]
    entries = [(ts, data) for ts, data in index_entries(archive_dir) if data["url"] == url]
    revisit_ts = [ts for ts, data in entries if data["mime"] == "warc/revisit"]
    assert len(revisit_ts) == 1
    with Wayback(archive_dir) as wb:
        for message in mine:
            ts = message["captured_at"].replace("-", "").replace(":", "").replace("T", "")[:14]
            from workers.warc.reader import read_record

            stored = read_record(archive_dir / message["warc"]["path"], message["warc"]["offset"])
            status, _, body = wb.replay_raw(COLL, ts, url)
            assert (status, body) == (200, stored.payload)
            status, _, page = wb.replay(COLL, ts, url, modifier="mp_")
            assert status == 200
            title = extract_story(stored.text()).title
            assert title in page.decode("utf-8")
        status, _headers, body = wb.replay_raw(COLL, revisit_ts[0], url)
        latest = read_record(archive_dir / mine[-1]["warc"]["path"], mine[-1]["warc"]["offset"])
        assert (status, body) == (200, latest.payload)
