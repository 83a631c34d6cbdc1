"""Archive files: names, warcinfo first, rotation by size, .open while writing."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

import workers.warc.writer
from tests.support.clock import ManualClock
from tests.test_warc_records import sha1_b32
from workers.core.settings import Settings
from workers.core.types import Exchange
from workers.warc.writer import Archive

NAME = re.compile(r"^news-(\d{17})-(\d{5})-testhost-4242\.warc\.gz$")


def exchange(n: int) -> Exchange:
    body = f"<html>story {n}</html>".encode() * 50
    return Exchange(
        url=f"http://news.test/{n}",
        method="GET",
        request_block=b"GET / HTTP/1.1\r\nHost: news.test\r\n\r\n",
        status=200,
        reason="OK",
        http_version="1.1",
        headers=[(b"Content-Length", str(len(body)).encode())],
        body=io.BytesIO(body),
        body_length=len(body),
        payload_digest=sha1_b32(body),
        started=datetime.now(UTC),
        elapsed_ms=3,
    )


def test_rotation_names_and_warcinfo(archive_dir: Path) -> None:
    settings = Settings(
        archive=archive_dir,
        warc_prefix="news",
        hostname="testhost",
        warc_max_bytes=3000,
        operator="Archive Team",
    )
    archive = Archive(settings, pid=4242)
    archive.open()
    archive.write_capture(exchange(0), metadata=[])
    open_files = list(archive.warc_dir.glob("*.warc.gz.open"))
    assert len(open_files) == 1  # still being written
    for n in range(1, 4):
        archive.write_capture(exchange(n), metadata=[])
    archive.close()
    files = sorted(archive.warc_dir.iterdir())
    assert not [f for f in files if f.name.endswith(".open")]
    assert len(files) >= 2
    serials = []
    for f in files:
        m = NAME.match(f.name)
        assert m, f.name
        serials.append(int(m.group(2)))
        with f.open("rb") as fh:
            records = list(ArchiveIterator(fh))
        assert records[0].rec_type == "warcinfo"
        assert records[0].rec_headers.get_header("WARC-Filename") == f.name
    assert serials == list(range(len(files)))
    with files[0].open("rb") as fh:
        info = next(iter(ArchiveIterator(fh))).content_stream().read().decode()
    assert "operator: Archive Team" in info and "software: storyvault/" in info
    index = archive.index_path.read_text().splitlines()
    assert len(index) == 4
    assert {line.split('"filename": "')[1].split('"')[0] for line in index} <= {
        f.name for f in files
    }


def test_a_long_running_archive_remembers_a_bounded_number_of_closed_files(
    archive_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers.warc.writer, "CLOSED_FILES_KEPT", 2)
    archive = Archive(Settings(archive=archive_dir))
    archive.open()
    for n in range(7):  # a service worker closes files for months
        archive.write_capture(exchange(n), metadata=[])
        archive.close()
    assert 2 <= len(archive.closed_files) <= 4
    assert archive.closed_files[-1] == max(archive.warc_dir.glob("*.warc.gz"))
    assert len(list(archive.warc_dir.glob("*.warc.gz"))) == 7  # the files stay, of course


def test_an_idle_or_old_file_is_closed_and_the_next_write_opens_another(
    archive_dir: Path,
) -> None:
    clock = ManualClock()
    archive = Archive(Settings(archive=archive_dir), clock=clock)
    archive.open()
    assert not archive.close_if_stale(idle=0.0, max_age=0.0)  # nothing open
    archive.write_capture(exchange(0), metadata=[])
    assert not archive.close_if_stale(idle=60.0, max_age=60.0)  # busy and young
    clock.advance(0.3)
    assert archive.close_if_stale(idle=0.2, max_age=60.0)  # idle
    assert archive.closed_files and not list(archive.warc_dir.glob("*.open"))
    archive.write_capture(exchange(1), metadata=[])
    for n in range(2, 5):  # written to all the time, but open too long
        clock.advance(0.1)
        archive.write_capture(exchange(n), metadata=[])
    assert archive.close_if_stale(idle=60.0, max_age=0.25)
    assert len(list(archive.warc_dir.glob("*.warc.gz"))) == 2
    assert archive.index_path.read_text().count('"url": "http://news.test/') == 5  # all indexed
