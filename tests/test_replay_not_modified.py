"""A 304 re-crawl replays the story it confirmed, in pywb and in ReplayWeb.page.

The outlet answers the re-crawl's conditional request with 304 Not Modified. The WARC
says so (a server-not-modified revisit, the 304's status line and headers in its
metadata record) and both replay tools, as they are, show the article at that time.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from tests.support.clock import ManualClock
from tests.support.newsoutlet import OutletSpec, start_outlet
from tests.support.pywb import Wayback, ensure_pywb_venv
from tests.support.replaywebpage import replaywebpage
from tests.support.warc import assert_warcs_valid
from workers.core.settings import Settings
from workers.crawl.local import crawl
from workers.replay.export import ExportQuery, export_wacz
from workers.replay.opening import open_archive
from workers.warc.reader import read_record
from workers.warc.records import REVISIT_NOT_MODIFIED

COLL = "storyvault"
BIN = Path(sys.executable).parent


def index_entries(archive_dir: Path, url: str) -> list[tuple[str, dict[str, str]]]:
    lines = (archive_dir / "collections" / COLL / "indexes" / "index.cdxj").read_text()
    out = []
    for line in lines.splitlines():
        _, ts, data = line.split(" ", 2)
        fields = json.loads(data)
        if fields["url"] == url:
            out.append((ts, fields))
    return out


def records_of(archive_dir: Path, url: str) -> list[tuple[ArcWarcRecord, bytes]]:
    """Every record about ``url`` with its block, in file order."""
    out = []
    for path in sorted((archive_dir / "collections" / COLL / "archive").glob("*.warc.gz")):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_headers.get_header("WARC-Target-URI") == url:
                    out.append((record, record.content_stream().read()))
    return out


def http_date(ts: str) -> str:
    return datetime.strptime(ts, "%Y%m%d%H%M%S").strftime("%a, %d %b %Y %H:%M:%S GMT")


@pytest.mark.replay
@pytest.mark.timeout(900)  # the first run builds .venv-pywb, packs ReplayWeb.page
def test_304_recrawl_replays_the_story_in_pywb_and_replaywebpage(
    archive_dir: Path, tmp_path: Path
) -> None:
    ensure_pywb_venv()
    settings = Settings(archive=archive_dir, allow_private=True, host_delay=0.0)
    spec = OutletSpec(
        sections=1, articles_per_section=1, calendar_trap=False, noise=False, validators=True
    )
    with start_outlet(spec) as fx:
        clock = ManualClock()  # replay addresses captures by the second: move it on
        asyncio.run(crawl(settings, [fx.url("/")], clock=clock))
        path = fx.site.article_urls()[0]
        url, article = fx.url(path), fx.site.article(path)
        ((first_ts, first),) = index_entries(archive_dir, url)
        clock.advance(60)
        fx.outlet.clear_log()
        summary = asyncio.run(crawl(settings, [url], mode="recrawl", clock=clock))
        (asked,) = [e for e in fx.outlet.requests if e.path == path]
    assert asked.headers.get("If-None-Match") == article.etag  # so the server sent a 304
    assert (summary.stats["revisits"], summary.stats["new_versions"]) == (1, 0)

    # -- the WARC is valid and honest about the 304 ------------------------------------
    assert_warcs_valid(archive_dir)
    (_, first), (revisit_ts, revisit_line) = index_entries(archive_dir, url)
    assert first["mime"] == "text/html" and revisit_line["mime"] == "warc/revisit"
    assert revisit_line["digest"] == first["digest"]
    records = records_of(archive_dir, url)
    response = next(r for r, _ in records if r.rec_type == "response")
    revisit, block = next((r, b) for r, b in records if r.rec_type == "revisit")
    h = revisit.rec_headers
    assert h.get_header("WARC-Profile") == REVISIT_NOT_MODIFIED
    assert (h.get_header("Content-Length"), block) == ("0", b"")
    assert h.get_header("WARC-Refers-To") == response.rec_headers.get_header("WARC-Record-ID")
    assert h.get_header("WARC-Refers-To-Target-URI") == url
    assert h.get_header("WARC-Refers-To-Date") == response.rec_headers.get_header("WARC-Date")
    assert h.get_header("WARC-Payload-Digest") == response.rec_headers.get_header(
        "WARC-Payload-Digest"
    )
    assert h.get_header("WARC-Etag") == article.etag
    rid = h.get_header("WARC-Record-ID")
    (meta_block,) = [
        b
        for r, b in records
        if r.rec_type == "metadata" and r.rec_headers.get_header("WARC-Concurrent-To") == rid
    ]
    meta = meta_block.decode("utf-8").splitlines()
    assert "httpResponse: HTTP/1.1 304 Not Modified" in meta
    assert f"httpHeader: ETag: {article.etag}" in meta
    assert "storyStatus: not-modified" in meta
    (conditional,) = [
        r
        for r, _ in records
        if r.rec_type == "request" and r.rec_headers.get_header("WARC-Concurrent-To") == rid
    ]
    assert conditional.http_headers.get_header("If-None-Match") == article.etag
    # the index is what cdxj-indexer makes of the WARCs: no status for the 304 revisit
    indexer = subprocess.run(
        [str(BIN / "cdxj-indexer"), "--sort", str(archive_dir / "collections" / COLL / "archive")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    index = archive_dir / "collections" / COLL / "indexes" / "index.cdxj"
    assert index.read_text().splitlines() == indexer.stdout.splitlines()
    assert "status" not in revisit_line
    # `storyvault show --headers` at that time prints the 304 the server sent
    show = [str(BIN / "storyvault"), "show", "--archive", str(archive_dir), url]
    shown = subprocess.run(
        [*show, "--at", revisit_ts, "--headers"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert shown.stdout.startswith(b"HTTP/1.1 304 Not Modified\r\n")
    assert f"ETag: {article.etag}\r\n".encode() in shown.stdout

    stored = read_record(
        archive_dir / "collections" / COLL / "archive" / first["filename"], int(first["offset"])
    )
    story_sentence = article.paragraphs[0]

    # -- pywb, at the 304's time -------------------------------------------------------
    with Wayback(archive_dir) as wb:
        status, headers, body = wb.replay_raw(COLL, revisit_ts, url, accept_encoding="gzip")
        assert (status, body) == (200, stored.payload)
        assert headers["memento-datetime"] == http_date(revisit_ts)  # the 304's capture
        status, _, page = wb.replay(COLL, revisit_ts, url, modifier="mp_")
        assert status == 200
        text = page.decode("utf-8")
        assert article.headline in text and story_sentence in text
        rows = wb.cdx(COLL, url)
        assert [r["timestamp"] for r in rows] == [first_ts, revisit_ts]

    # -- ReplayWeb.page in headless Chromium, at the 304's time -------------------------
    wacz = tmp_path / "export.wacz"
    with open_archive(settings) as opened:
        export_wacz(opened, ExportQuery(), wacz)
    with replaywebpage(wacz) as rwp:
        replayed = rwp.replay(url, revisit_ts, expect=article.headline)
    assert f"/{revisit_ts}mp_/" in replayed.frame_url, replayed.frame_url
    assert story_sentence in " ".join(replayed.text.split())
