"""A WARC left ``.open`` by a killed writer is repaired: cut to its last whole record."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from tests.support.warc import assert_warc_valid
from tests.test_warc_records import sha1_b32
from workers.core.settings import Settings
from workers.core.types import Exchange
from workers.warc.cdxj import index_warc
from workers.warc.recovery import complete_prefix, recover_open_file
from workers.warc.writer import Archive


def exchange(n: int, size: int = 5000) -> Exchange:
    body = (f"story {n} ".encode() * size)[:size]
    return Exchange(
        url=f"http://news.test/story-{n}",
        method="GET",
        request_block=b"GET /story HTTP/1.1\r\nHost: news.test\r\n\r\n",
        status=200,
        reason="OK",
        http_version="1.1",
        headers=[(b"Content-Type", b"text/html"), (b"Content-Length", str(size).encode())],
        body=io.BytesIO(body),
        body_length=size,
        payload_digest=sha1_b32(body),
        started=datetime.now(UTC),
        elapsed_ms=1,
    )


def record_ids(path: Path) -> list[str]:
    with path.open("rb") as fh:
        return [r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(fh)]


def test_every_cut_point_in_the_last_record_is_repaired(archive_dir: Path) -> None:
    settings = Settings(archive=archive_dir)
    with Archive(settings) as archive:
        for n in range(3):
            archive.write_capture(exchange(n), metadata=[("n", str(n))])
    (warc,) = archive.closed_files
    data = warc.read_bytes()
    whole = record_ids(warc)
    ends = [0]
    with warc.open("rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            record.content_stream().read()
            ends.append(it.get_record_offset() + it.get_record_length())
    last_start = ends[-2]
    scratch = archive_dir / "scratch"
    scratch.mkdir()
    for cut in sorted(
        {
            last_start + 1,
            last_start + 10,
            (last_start + len(data)) // 2,
            len(data) - 5,
            len(data) - 1,
        }
    ):
        broken = scratch / "x.warc.gz.open"
        broken.write_bytes(data[:cut])
        repaired = recover_open_file(broken)
        assert repaired == scratch / "x.warc.gz"
        assert record_ids(repaired) == whole[:-1], f"cut at {cut}"
        assert repaired.stat().st_size == last_start
        assert_warc_valid(repaired)
        repaired.unlink()
    # an untouched, complete file is kept whole
    broken = scratch / "y.warc.gz.open"
    broken.write_bytes(data)
    assert complete_prefix(broken) == (len(data), len(whole))
    repaired = recover_open_file(broken)
    assert repaired is not None and record_ids(repaired) == whole
    shutil.rmtree(scratch)


WRITER = textwrap.dedent("""
    import io, sys
    from datetime import UTC, datetime
    from pathlib import Path
    from tests.test_recovery import exchange
    from workers.warc.writer import Archive
    from workers.core.logs import configure_logging
    from workers.core.settings import Settings

    configure_logging(json=True)
    archive = Archive(Settings(archive=Path(sys.argv[1])))
    archive.open()
    n = 0
    while True:
        archive.write_capture(exchange(n, 200_000), metadata=[("n", str(n))])
        n += 1
        print(n, flush=True)
""")


def test_sigkill_mid_write_then_next_start_repairs(archive_dir: Path) -> None:
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(archive_dir)],
        cwd=repo,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    written = 0
    try:
        deadline = time.monotonic() + 60
        while written < 5 and time.monotonic() < deadline:
            written = int(proc.stdout.readline() or 0)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
    assert written >= 5, "writer did not start"

    warc_dir = archive_dir / "collections" / "storyvault" / "archive"
    (_left,) = list(warc_dir.glob("*.warc.gz.open"))
    repaired = Archive(Settings(archive=archive_dir)).open()
    assert not list(warc_dir.glob("*.open"))
    assert len(repaired) == 1
    assert_warc_valid(repaired[0])
    with repaired[0].open("rb") as fh:
        types = [r.rec_type for r in ArchiveIterator(fh)]
    # every capture acknowledged before the kill is there, whole: response+request+metadata
    assert types[0] == "warcinfo"
    assert types[1:].count("response") >= written
    assert types.count("request") >= written and types.count("metadata") >= written
    index = (archive_dir / "collections/storyvault/indexes/index.cdxj").read_text()
    assert index.splitlines() == sorted(index_warc(repaired[0]))
