"""`storyvault show`: a capture by time or by story version, decoded, raw or as headers.

One archive for the module: an article crawled, its headline edited and re-crawled
(version 2), then re-crawled unchanged (a revisit record), each a second apart so that
the three captures have distinct 14-digit timestamps.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.clock import ManualClock
from tests.support.newsoutlet import OutletSpec, start_outlet
from tests.support.servers import ENCODED_HTML, LiveServer, sent_body
from tests.support.warc import assert_warcs_valid
from workers.core.settings import Settings
from workers.crawl.local import crawl
from workers.parse.story import extract_story
from workers.replay.captures import CollectionIndex, IndexEntry, from_ts14
from workers.warc.reader import StoredResponse, read_record

BIN = Path(sys.executable).parent
COLL = "storyvault"
NEW_HEADLINE = "Bridge repairs postponed until spring"


@dataclass
class Edited:
    archive: Path
    url: str
    messages: list[dict[str, object]]  # the queue messages of versions 1 and 2
    captures: list[IndexEntry]  # response v1, response v2, revisit

    def record(self, version: int) -> StoredResponse:
        warc = self.messages[version - 1]["warc"]
        assert isinstance(warc, dict)
        return read_record(self.archive / warc["path"], int(warc["offset"]))


def build_edited_archive(root: Path) -> Edited:
    settings = Settings(archive=root, allow_private=True, host_delay=0.0)
    spec = OutletSpec(
        sections=1, articles_per_section=2, calendar_trap=False, noise=False, validators=False
    )
    with start_outlet(spec) as fx:
        clock = ManualClock()  # captures are addressed by the second: move it on
        asyncio.run(crawl(settings, [fx.url("/")], clock=clock))
        path = fx.site.article_urls()[0]
        url = fx.url(path)
        clock.advance(60)
        fx.site.edit_headline(path, NEW_HEADLINE)
        asyncio.run(crawl(settings, [url], mode="recrawl", clock=clock))
        clock.advance(60)
        asyncio.run(crawl(settings, [url], mode="recrawl", clock=clock))  # unchanged: a revisit
    lines = (root / "queue" / "clean.jsonl").read_text().splitlines()
    messages = [m for m in map(json.loads, lines) if m["url"] == url]
    captures = CollectionIndex(root, COLL).captures_of(url)
    assert [m["version"] for m in messages] == [1, 2]
    assert [c.is_revisit for c in captures] == [False, False, True]
    return Edited(root, url, messages, captures)


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edited]:
    root = tmp_path_factory.mktemp("show") / "archive"
    root.mkdir()
    yield build_edited_archive(root)
    assert_warcs_valid(root)


def show(archive: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(BIN / "storyvault"), "show", "--archive", str(archive), *args],
        capture_output=True,
        timeout=120,
        env=dict(os.environ),
    )


def show_ok(archive: Path, *args: str) -> bytes:
    result = show(archive, *args)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def test_version_text_of_each_version(edited: Edited) -> None:
    texts = {}
    for n in (1, 2):
        out = show_ok(edited.archive, edited.url, "--version", str(n), "--text").decode()
        texts[n] = out.rstrip("\n")
        assert texts[n] == extract_story(edited.record(n).text()).text
    assert texts[1].splitlines()[0] != NEW_HEADLINE
    assert texts[2].splitlines()[0] == NEW_HEADLINE
    assert texts[1].splitlines()[1:] == texts[2].splitlines()[1:]  # only the headline changed


def test_raw_is_the_exact_payload(edited: Edited) -> None:
    for n in (1, 2):
        raw = show_ok(edited.archive, edited.url, "--version", str(n), "--raw")
        assert raw == edited.record(n).payload
    v1, v2 = edited.record(1).payload, edited.record(2).payload
    assert v1 != v2


def test_at_picks_the_closest_capture(edited: Edited) -> None:
    first, second, revisit = edited.captures
    v1, v2 = edited.record(1).payload, edited.record(2).payload
    assert show_ok(edited.archive, edited.url, "--at", first.timestamp, "--raw") == v1
    assert show_ok(edited.archive, edited.url, "--at", second.timestamp, "--raw") == v2
    long_before = (first.when - timedelta(hours=1)).isoformat()
    assert show_ok(edited.archive, edited.url, "--at", long_before, "--raw") == v1
    # an ISO time a moment after the second capture, before the revisit
    just_after = (second.when + timedelta(milliseconds=100)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert revisit.when - second.when >= timedelta(seconds=1)
    assert show_ok(edited.archive, edited.url, "--at", just_after, "--raw") == v2
    # no --at: the latest capture, the revisit, which shows version 2's payload
    assert show_ok(edited.archive, edited.url, "--raw") == v2
    reading = show_ok(edited.archive, edited.url, "--at", first.timestamp).decode()
    assert "version 1 of 2" in reading and "Record    response" in reading


def test_a_revisit_shows_the_original_payload(edited: Edited) -> None:
    revisit = edited.captures[2]
    v2 = edited.record(2)
    raw = show_ok(edited.archive, edited.url, "--at", revisit.timestamp, "--raw")
    assert raw == v2.payload
    text = show_ok(edited.archive, edited.url, "--at", revisit.timestamp, "--text").decode()
    assert text.splitlines()[0] == NEW_HEADLINE
    reading = show_ok(edited.archive, edited.url, "--at", revisit.timestamp).decode()
    head, _, body = reading.partition("\n\n")
    assert "Record    revisit" in head
    assert f"captured {from_ts14(edited.captures[1].timestamp):%Y-%m-%dT%H:%M:%SZ}" in head
    assert "version 2 of 2" in head
    assert body.rstrip("\n") == v2.payload.decode("utf-8").rstrip("\n")


def test_headers_are_the_stored_http_head(edited: Edited) -> None:
    first, _, revisit = edited.captures
    for entry in (first, revisit):
        head = show_ok(edited.archive, edited.url, "--at", entry.timestamp, "--headers")
        stored = stored_http_head(edited.archive, entry)
        assert head == stored
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and head.endswith(b"\r\n\r\n")
        assert b"Content-Type: text/html; charset=utf-8\r\n" in head


def stored_http_head(archive: Path, entry: IndexEntry) -> bytes:
    """The HTTP head inside the gzip member of the record, found independently."""
    path = archive / "collections" / COLL / "archive" / entry.filename
    with path.open("rb") as fh:
        fh.seek(entry.offset)
        member = fh.read(entry.length)
    record = zlib.decompress(member, 16 + zlib.MAX_WBITS)
    block = record.split(b"\r\n\r\n", 1)[1]
    return block.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"


def test_gzip_body_raw_as_stored_and_decoded_for_reading(
    outlet: LiveServer, archive_dir: Path
) -> None:
    fetched = subprocess.run(
        [
            str(BIN / "storyvault"),
            "fetch",
            "--allow-private",
            "--archive",
            str(archive_dir),
            outlet.url("/gzip"),
        ],
        capture_output=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert fetched.returncode == 0, fetched.stderr.decode()
    raw = show_ok(archive_dir, outlet.url("/gzip"), "--raw")
    assert raw == sent_body(outlet, "/gzip")
    assert raw[:2] == b"\x1f\x8b"  # Content-Encoding intact
    reading = show_ok(archive_dir, outlet.url("/gzip")).decode()
    head, _, body = reading.partition("\n\n")
    assert "Encoding  gzip" in head
    assert body.rstrip("\n") == ENCODED_HTML.decode("utf-8").rstrip("\n")


def test_errors_name_the_url_and_what_to_do(edited: Edited) -> None:
    missing = edited.url + "-nope"
    result = show(edited.archive, missing)
    assert result.returncode == 2
    message = result.stderr.decode().strip().splitlines()
    assert len(message) == 1 and missing in message[0] and "--archive" in message[0]
    result = show(edited.archive, edited.url, "--version", "9")
    assert result.returncode == 2 and b"has no version 9 (it has 1..2)" in result.stderr
    result = show(edited.archive, edited.url, "--at", "yesterday-ish")
    assert result.returncode == 2 and b"not a time: 'yesterday-ish'" in result.stderr
    result = show(edited.archive, edited.url, "--at", "2026", "--version", "1")
    assert result.returncode == 2  # argparse: not allowed together
