"""Pages read in pool processes: the same archive as pages read in threads, and no
process left behind.

Two embedded crawls of one outlet (with a cited host) on loopback, one reading in a
thread and one in a pool process from its first page, one URL at a time (so that the
order of discovery is the same); both archives are read back with
warcio and must hold the same records: the same responses, requests and metadata
(outlinks, cited sources, story fingerprints and versions), apart from fetch timings.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs
from warcio.archiveiterator import ArchiveIterator

from tests.support.clock import ManualClock
from tests.support.newsoutlet import OutletFixture, OutletSpec, start_outlet
from tests.support.warc import assert_warcs_valid
from workers.core.settings import Settings
from workers.crawl import reading
from workers.crawl.local import crawl

#: measured, or bytes the outlet varies per request (a page's clock): not read from it
VARYING = ("fetchTimeMs", "payloadDigest")


@pytest.fixture
def site() -> Iterator[OutletFixture]:
    with start_outlet(
        OutletSpec(sections=2, articles_per_section=4), cited_hosts=("127.0.0.2",)
    ) as fx:
        yield fx


def archived(archive: Path) -> Counter[tuple[str, str, tuple[str, ...]]]:
    """Each record as (type, target URI, its metadata fields but timings), counted."""
    out: Counter[tuple[str, str, tuple[str, ...]]] = Counter()
    for path in sorted(archive.rglob("*.warc.gz")):
        with path.open("rb") as fh:
            for r in ArchiveIterator(fh):
                if r.rec_type == "warcinfo":
                    continue
                body = r.content_stream().read().decode("utf-8", "replace")
                fields: tuple[str, ...] = ()
                if r.rec_type == "metadata":
                    fields = tuple(
                        sorted(
                            line
                            for line in body.splitlines()
                            if line and not line.startswith(VARYING)
                        )
                    )
                uri = r.rec_headers.get_header("WARC-Target-URI") or ""
                out[(r.rec_type, uri, fields)] += 1
    return out


def children() -> set[int]:
    """Processes whose parent is this one (pool processes, the resource tracker)."""
    mine = os.getpid()
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == mine:
            found.add(int(entry.name))
    return found


def test_pool_processes_archive_what_threads_archive_and_are_gone_after(
    site: OutletFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock()
    before = children()
    results = {}
    for processes in (0, 1):
        archive = tmp_path / f"archive-{processes}"
        settings = Settings(
            archive=archive,
            allow_private=True,
            host_delay=0,
            concurrency=1,  # one order of discovery: the same "sourceUrl" in both
            parse_processes=processes,
        )
        # the pool from the first page on, waited for while it starts
        monkeypatch.setattr(reading, "START_AFTER", 0)
        monkeypatch.setattr(reading, "THREADS_WHILE_STARTING", False)
        with capture_logs() as logs:
            summary = asyncio.run(crawl(settings, [site.url("/")], clock=clock))
        closed = [e for e in logs if e["event"] == "page_reader_closed"]
        if processes:  # every page was read in the pool
            assert closed and closed[0]["in_pool"] == closed[0]["reads"] > 0
        else:
            assert closed == []
        assert not summary.interrupted
        assert summary.stats["new_versions"] > 0
        assert children() == before  # the pool and its tracker ended with the crawl
        assert_warcs_valid(archive)
        results[processes] = (archived(archive), summary.stats["new_versions"])
    in_threads, in_pool = results[0], results[1]
    assert in_pool[1] == in_threads[1]
    assert in_pool[0] == in_threads[0]
    assert any(
        kind == "metadata" and any("cited" in f for f in fields) for kind, _, fields in in_pool[0]
    )
