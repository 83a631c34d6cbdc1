"""The crawler on hostile sites and under faults (robots.txt failures, endless sitemaps,
traps, slow servers, a failing archive): what a user checks is the summary, the exit
status and the records in the WARC (every file passes ``warcio check``, see archive_dir).
"""

from __future__ import annotations

import asyncio
import errno
import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.support.hostile import (
    OVERLONG_DECLARED,
    OVERLONG_EXTRA,
    ROBOTS_STATUS,
    OverlongServer,
    numeric_outlet_app,
    robots_app,
    sitemap_trap_app,
    slow_app,
)
from tests.support.newsoutlet import OutletSpec, start_outlet
from tests.support.servers import LiveServer
from tests.support.warc import assert_warcs_valid
from workers.core.errors import ArchiveError, CrawlAborted, StateError
from workers.core.settings import Settings
from workers.crawl.budgets import Budgets, Skip, url_shape
from workers.crawl.local import Crawler, CrawlSummary, crawl
from workers.net.framing import Framing
from workers.net.politeness import robots_verdict
from workers.state.sqlite import SQLiteState
from workers.warc.records import RecordWriter
from workers.warc.writer import Archive

BIN = Path(sys.executable).parent


def fast(archive_dir: Path, **kw: object) -> Settings:
    base = Settings(
        archive=archive_dir, allow_private=True, host_delay=0.0, concurrency=4, backoff_base=0.01
    )
    return base.replace(**kw)


def run_crawl(settings: Settings, *seeds: str, timeout: float = 60) -> CrawlSummary:
    async def bounded() -> CrawlSummary:
        return await asyncio.wait_for(crawl(settings, list(seeds)), timeout)

    return asyncio.run(bounded())


def responses(archive_dir: Path) -> list[tuple[str, dict[str, str], bytes]]:
    out = []
    for path in sorted(archive_dir.rglob("*.warc.gz")):
        with path.open("rb") as fh:
            for r in ArchiveIterator(fh):
                if r.rec_type == "response":
                    out.append(
                        (
                            r.rec_headers.get_header("WARC-Target-URI"),
                            dict(r.rec_headers.headers),
                            r.content_stream().read(),
                        )
                    )
    return out


def metadata_fields(archive_dir: Path, uri: str) -> dict[str, str]:
    """The fields of the metadata record about ``uri`` (the first one)."""
    for path in sorted(archive_dir.rglob("*.warc.gz")):
        with path.open("rb") as fh:
            for r in ArchiveIterator(fh):
                if r.rec_type == "metadata" and r.rec_headers.get_header("WARC-Target-URI") == uri:
                    text = r.content_stream().read().decode()
                    return dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    raise AssertionError(f"no metadata record for {uri}")


def captured(archive_dir: Path) -> set[str]:
    return {uri for uri, _, _ in responses(archive_dir)}


# -- robots.txt: RFC 9309 -------------------------------------------------------------------
def test_robots_policy_follows_rfc_9309() -> None:
    assert robots_verdict(200).mode == "parsed"
    assert robots_verdict(404).mode == "allow-all"
    assert robots_verdict(404).reason is None
    for status in (500, 503, 429, None):
        verdict = robots_verdict(status, max_age=86400, retry_seconds=300)
        assert verdict.mode == "deny-all"
        assert verdict.cache_seconds == 300  # minutes, not a day
        assert verdict.reason and "robots.txt unavailable" in verdict.reason
    refused = robots_verdict(None, refused="refused: loopback address (use --allow-private)")
    assert refused.cache_seconds == 0 and "--allow-private" in (refused.reason or "")


def test_a_guard_refusal_is_not_remembered_as_deny_all(archive_dir: Path) -> None:
    with LiveServer(robots_app(), "127.0.0.5") as server:
        wrong = run_crawl(fast(archive_dir, allow_private=False), server.url("/"))
        assert server.requests == []  # nothing reached the server
        assert wrong.stats["robots_blocked"] == 0
        assert "--allow-private" in wrong.seeds_failed[server.url("/")]
        right = run_crawl(fast(archive_dir), server.url("/"))
    assert right.seeds_failed == {}
    assert right.stats["robots_blocked"] == 0
    assert {server.url("/"), server.url("/news/one")} <= captured(archive_dir)


@pytest.mark.parametrize("status", [503, 500])
def test_a_failed_robots_txt_disallows_only_for_a_short_while(
    archive_dir: Path, status: int
) -> None:
    with LiveServer(robots_app(), "127.0.0.5") as server:
        server.app[ROBOTS_STATUS][:] = [status, status, status, 200]  # 3 attempts fail
        down = run_crawl(fast(archive_dir), server.url("/"))
        assert [e.path for e in server.requests] == ["/robots.txt"] * 3
        assert down.stats["robots_blocked"] == 0
        assert down.stats["robots_unavailable"] == 1
        reason = down.seeds_failed[server.url("/")]
        assert f"HTTP {status}" in reason and "robots_retry_seconds" in reason
        # within the retry time the host waits; after it (0 s here) robots.txt is asked again
        again = run_crawl(fast(archive_dir, robots_retry_seconds=0), server.url("/"))
    assert again.seeds_failed == {}
    assert again.stats["robots_blocked"] == 0
    assert {server.url("/"), server.url("/news/one")} <= captured(archive_dir)


def test_a_port_down_for_a_moment_is_not_remembered_as_deny_all(archive_dir: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on, for now
        probe.bind(("127.0.0.5", 0))
        port = probe.getsockname()[1]
    seed = f"http://127.0.0.5:{port}/"
    down = run_crawl(fast(archive_dir), seed)
    assert down.stats["robots_blocked"] == 0
    assert "unavailable" in down.seeds_failed[seed]
    with LiveServer(robots_app(), "127.0.0.5", port) as server:
        again = run_crawl(fast(archive_dir, robots_retry_seconds=0), seed)
        assert server.requests[0].path == "/robots.txt"
    assert again.seeds_failed == {} and again.stats["robots_blocked"] == 0
    assert server.url("/news/one") in captured(archive_dir)


def test_a_missing_robots_txt_allows_all(archive_dir: Path) -> None:
    with LiveServer(robots_app(), "127.0.0.5") as server:
        server.app[ROBOTS_STATUS][:] = [404]
        summary = run_crawl(fast(archive_dir), server.url("/"))
    assert summary.seeds_failed == {}
    assert {server.url("/"), server.url("/news/one")} <= captured(archive_dir)


def test_crawl_of_a_seed_that_could_not_be_fetched_exits_non_zero(archive_dir: Path) -> None:
    with LiveServer(robots_app(), "127.0.0.5") as server:
        cmd = [str(BIN / "storyvault"), "crawl", "--archive", str(archive_dir), server.url("/")]
        wrong = subprocess.run(
            cmd, capture_output=True, text=True, timeout=60, env=dict(os.environ)
        )
        assert wrong.returncode == 1, wrong.stderr
        assert server.url("/") in wrong.stderr and "--allow-private" in wrong.stderr
        right = subprocess.run(
            [*cmd, "--allow-private", "--delay", "0"],
            capture_output=True,
            text=True,
            timeout=60,
            env=dict(os.environ),
        )
        assert right.returncode == 0, right.stderr
    assert server.url("/news/one") in captured(archive_dir)


# -- a sitemap or a feed as the seed ----------------------------------------------------------
@pytest.mark.parametrize("seed", ["/sitemap_index.xml", "/sitemaps/news.xml", "/feeds/rss.xml"])
def test_a_sitemap_or_feed_seed_is_crawled(archive_dir: Path, seed: str) -> None:
    spec = OutletSpec(sections=1, articles_per_section=3, calendar_trap=False)
    with start_outlet(spec, cited_hosts=()) as fx:
        summary = run_crawl(fast(archive_dir, requisites=False), fx.url(seed), timeout=30)
        assert fx.outlet.requests[0].path == "/robots.txt"
    assert summary.seeds_failed == {} and not summary.interrupted
    got = captured(archive_dir)
    assert fx.url(seed) in got
    assert set(fx.article_urls()) & got


# -- sitemaps and feeds have budgets --------------------------------------------------------
def sitemap_requests(server: LiveServer) -> list[str]:
    return [e.path_qs for e in server.requests if e.path.startswith("/sitemap")]


def test_an_endless_sitemap_chain_stops_at_the_nesting_depth(archive_dir: Path) -> None:
    with LiveServer(sitemap_trap_app(), "127.0.0.6") as server:
        summary = run_crawl(fast(archive_dir), server.url("/"))
        indexes = [p for p in sitemap_requests(server) if p.startswith("/sitemap-index.xml")]
    depth = Settings().sitemap_max_depth
    assert 3 <= depth <= 5
    assert len(indexes) == depth + 1  # depth 0 (named by robots.txt) to the limit
    skipped = summary.stats["skipped"]
    assert isinstance(skipped, dict) and skipped["sitemap-depth"] >= 1
    assert summary.stats["sitemaps"] == len(sitemap_requests(server))
    assert not summary.interrupted


def test_sitemaps_and_feeds_have_a_count_budget_per_host(archive_dir: Path) -> None:
    with LiveServer(sitemap_trap_app(), "127.0.0.6") as server:
        seed = server.url("/sitemap-wide.xml?n=60")
        summary = run_crawl(fast(archive_dir, sitemap_budget=20), seed)
        fetched = sitemap_requests(server)
    assert len(fetched) == 20  # the seed, robots.txt's sitemap and what the budget leaves
    skipped = summary.stats["skipped"]
    assert isinstance(skipped, dict) and skipped["sitemap-budget"] >= 60 - 18
    assert summary.stats["sitemaps"] == 20


def test_sitemaps_and_feeds_have_a_byte_budget_per_host(archive_dir: Path) -> None:
    with LiveServer(sitemap_trap_app(), "127.0.0.6") as server:
        seed = server.url("/sitemap-wide.xml?n=40&pad=100000")
        summary = run_crawl(fast(archive_dir, sitemap_bytes_budget=500_000), seed)
        fetched = sitemap_requests(server)
    assert len(fetched) <= 2 + 5  # the seed, robots.txt's, then ~100 kB each up to 500 kB
    assert summary.stats["sitemap_bytes"] < 500_000 + 2 * 100_500
    skipped = summary.stats["skipped"]
    assert isinstance(skipped, dict) and skipped["sitemap-bytes"] >= 30


# -- a failing archive or state stops the crawl -----------------------------------------------
class DiskFillsUp(RecordWriter):
    """The writer boundary of a disk that takes ``room`` bytes per file, then says ENOSPC
    (after writing what fitted, as a real full disk does)."""

    room = 30_000

    def write_record(self, record: object, params: object = None) -> None:
        buf = io.BytesIO()
        self._write_warc_record(buf, record)
        data = buf.getvalue()
        left = self.room - self.out.tell()
        if len(data) > left:
            self.out.write(data[: max(0, left)])
            self.out.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.out.write(data)


def test_a_failing_archive_write_stops_the_crawl_and_keeps_the_frontier(
    archive_dir: Path,
) -> None:
    spec = OutletSpec(sections=1, articles_per_section=4, calendar_trap=False)
    with start_outlet(spec, cited_hosts=()) as fx:
        settings = fast(archive_dir, requisites=False)

        async def doomed() -> None:
            with SQLiteState.beside(archive_dir) as state:
                archive = Archive(settings, writer_factory=DiskFillsUp)
                archive.open()
                crawler = Crawler(settings, [fx.url("/")], state=state, archive=archive)
                try:
                    await asyncio.wait_for(crawler.run(), 60)
                finally:
                    archive.close()

        with pytest.raises(CrawlAborted) as failed:
            asyncio.run(doomed())
        warc = failed.value.cause
        assert isinstance(warc, ArchiveError) and warc.path.name.endswith(".warc.gz")
        assert "No space left on device" in str(failed.value)
        assert "run the same command again" in str(failed.value)
        assert not list(archive_dir.rglob("*.open"))  # cut back to whole records, closed
        assert_warcs_valid(archive_dir)
        with SQLiteState.beside(archive_dir) as state:
            counts = state.url_counts(1)
        assert counts.get("failed", 0) == 0  # nothing marked "internal error"
        assert counts["queued"] == failed.value.queued > 0
        before = len(fx.outlet.requests)
        resumed = run_crawl(settings, fx.url("/"))
        assert len(fx.outlet.requests) > before
    assert resumed.resumed and not resumed.interrupted
    assert set(fx.article_urls()) <= captured(archive_dir)


@pytest.fixture
def tiny_disk(archive_dir: Path) -> Iterator[Path]:
    """The collection's WARC directory on a 24 KiB tmpfs (root only; skipped elsewhere)."""
    warcs = archive_dir / "collections" / "storyvault" / "archive"
    warcs.mkdir(parents=True)
    mount = ["mount", "-t", "tmpfs", "-o", "size=24k", "tmpfs", str(warcs)]
    if os.geteuid() != 0 or subprocess.run(mount, capture_output=True).returncode != 0:
        pytest.skip("needs a tmpfs mount (root)")
    try:
        yield warcs
    finally:
        subprocess.run(["umount", "-l", str(warcs)], check=True)


def test_crawl_on_a_full_disk_exits_non_zero_naming_the_file_and_resumes(
    archive_dir: Path, tiny_disk: Path
) -> None:
    spec = OutletSpec(sections=1, articles_per_section=10, calendar_trap=False)
    with start_outlet(spec, cited_hosts=()) as fx:
        cmd = [
            str(BIN / "storyvault"),
            "crawl",
            "--archive",
            str(archive_dir),
            "--allow-private",
            "--delay",
            "0",
            "--no-requisites",
            fx.url("/"),
        ]
        full = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert full.returncode == 1, full.stderr
        error = [line for line in full.stderr.splitlines() if "storyvault: error:" in line]
        assert error and "No space left on device" in error[0]
        assert str(tiny_disk) in error[0] and ".warc.gz" in error[0]
        assert "run the same command again to resume" in error[0]
        assert not list(tiny_disk.glob("*.open"))
        assert_warcs_valid(tiny_disk)
        # space is freed: the same command resumes and finishes
        remount = ["mount", "-o", "remount,size=64m", str(tiny_disk)]
        subprocess.run(remount, check=True)
        again = subprocess.run([*cmd, "--json"], capture_output=True, text=True, timeout=60)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["resumed"] is True
        assert set(fx.article_urls()) <= captured(archive_dir)
        assert_warcs_valid(tiny_disk)


# -- traps and budgets ------------------------------------------------------------------------
@pytest.mark.parametrize("listed", [True, False], ids=["in-sitemap-and-feed", "by-links-only"])
def test_articles_of_one_url_shape_are_not_cut_but_a_calendar_is(
    archive_dir: Path, listed: bool
) -> None:
    with LiveServer(numeric_outlet_app(120, listed=listed), "127.0.0.7") as server:
        summary = run_crawl(fast(archive_dir, concurrency=8), server.url("/"))
        calendar = [e.path for e in server.requests if e.path.startswith("/calendar/")]
    articles = {server.url(f"/a/s{n}.html") for n in range(1000, 1120)}
    missing = articles - captured(archive_dir)
    assert not missing, f"{len(missing)} of 120 articles not captured"
    assert 0 < len(calendar) <= 25  # the day-after-day chain is stopped early
    skipped = summary.stats["skipped"]
    assert isinstance(skipped, dict)
    assert skipped.get("trap-chain", 0) >= 1  # the days after the last one it took
    assert "shape-budget" not in skipped


def test_articles_listed_past_the_shape_budget_are_queued_once_they_prove_articles(
    archive_dir: Path,
) -> None:
    app = numeric_outlet_app(150, listed=False, all_on_home=True)  # 150 links on one page
    with LiveServer(app, "127.0.0.7") as server:
        summary = run_crawl(fast(archive_dir, concurrency=8), server.url("/"))
    articles = {server.url(f"/a/s{n}.html") for n in range(1000, 1150)}
    missing = articles - captured(archive_dir)
    assert not missing, f"{len(missing)} of 150 articles not captured"
    skipped = summary.stats["skipped"]
    assert isinstance(skipped, dict) and "shape-budget" not in skipped


def test_every_skip_is_counted_with_its_reason(archive_dir: Path) -> None:
    with LiveServer(numeric_outlet_app(120, listed=False), "127.0.0.7") as server:
        summary = run_crawl(
            fast(archive_dir, pattern_budget=5, host_page_budget=40), server.url("/")
        )
        pages = [e for e in server.requests if e.path not in ("/robots.txt", "/sitemap.xml")]
    skipped = summary.stats["skipped"]
    assert isinstance(skipped, dict)
    assert len(pages) <= 40
    assert skipped["host-budget"] > 0  # 120 articles and a calendar do not fit in 40


# -- slow servers -------------------------------------------------------------------------------
def test_a_slow_server_holds_a_url_no_longer_than_url_max_seconds(archive_dir: Path) -> None:
    budget = 1.0  # the default is 60 s; retries are included in it
    with LiveServer(slow_app(), "127.0.0.8") as server:
        silent, trickle = server.url("/silent"), server.url("/trickle?interval=0.1")
        slow_head = server.url("/trickle-head?interval=0.1")
        t0 = time.monotonic()
        summary = run_crawl(
            fast(archive_dir, url_max_seconds=budget), silent, trickle, slow_head, timeout=30
        )
        elapsed = time.monotonic() - t0
        silent_requests = len(server.requests_for("/silent"))
    assert elapsed < 3 * budget + 4.0, elapsed  # three URLs, one host, one at a time
    assert silent_requests == 1  # no retry: the first attempt used the URL's time
    assert "url_max_seconds" in summary.seeds_failed[silent]
    assert "url_max_seconds" in summary.seeds_failed[slow_head]
    ((_, headers, body),) = [r for r in responses(archive_dir) if r[0] == trickle]
    assert headers["WARC-Truncated"] == "time"
    assert 0 < len(body) < 1000 and set(body) == {ord("s")}  # what came in time, kept


# -- a body longer than it said -------------------------------------------------------------
def test_an_overlong_body_is_stored_as_declared_and_its_connection_dropped(
    archive_dir: Path,
) -> None:
    with OverlongServer("127.0.0.9") as server:
        cmd = [str(BIN / "storyvault"), "fetch", "--allow-private", "--archive", str(archive_dir)]
        run = subprocess.run(
            [*cmd, server.url("/overlong"), server.url("/after")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        connections = dict((line.split()[1], conn) for conn, line in server.requests)
    assert run.returncode == 0, run.stderr
    stored = {uri: (headers, body) for uri, headers, body in responses(archive_dir)}
    _, body = stored[server.url("/overlong")]
    assert body == OVERLONG_DECLARED  # the 64 declared bytes, and nothing after them
    assert server.url("/after") in stored
    assert connections["/after"] != connections["/overlong"]  # that connection is not reused
    meta = metadata_fields(archive_dir, server.url("/overlong"))
    assert meta["overlongBytesDropped"] == str(len(OVERLONG_EXTRA))


def test_framing_keeps_declared_bytes_and_drops_the_surplus() -> None:
    framing = Framing()
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
    keep, dropped = framing.feed(head[:10])
    assert (keep, dropped) == (head[:10], 0)
    keep, dropped = framing.feed(head[10:] + b"hello" + b"EXTRA")
    assert (keep, dropped) == (head[10:] + b"hello", 5)
    assert framing.feed(b"more") == (b"", 4)  # nothing is asked: nothing is expected
    framing.expect_response()
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    assert framing.feed(chunked) == (chunked, 0)  # aiohttp frames chunked bodies itself
    framing.expect_response()
    interim = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n"
    assert framing.feed(interim + b"x") == (interim, 1)


def test_a_full_state_database_stops_the_crawl_naming_it(archive_dir: Path) -> None:
    spec = OutletSpec(sections=2, articles_per_section=6, calendar_trap=False)
    with start_outlet(spec, cited_hosts=()) as fx:
        settings = fast(archive_dir, requisites=False)

        async def doomed() -> None:
            with SQLiteState.beside(archive_dir) as state:
                archive = Archive(settings)
                archive.open()
                crawler = Crawler(settings, [fx.url("/")], state=state, archive=archive)
                # SQLite's own "database or disk is full", a few pages from now
                pages = state.db.execute("PRAGMA page_count").fetchone()[0]
                state.db.execute(f"PRAGMA max_page_count = {pages + 3}")
                try:
                    await asyncio.wait_for(crawler.run(), 60)
                finally:
                    archive.close()

        with pytest.raises(CrawlAborted) as failed:
            asyncio.run(doomed())
        assert isinstance(failed.value.cause, StateError)
        assert "embedded.sqlite3" in str(failed.value) and "full" in str(failed.value)
        with SQLiteState.beside(archive_dir) as state:
            counts = state.url_counts(1)
        assert counts.get("failed", 0) == 0
        resumed = run_crawl(settings, fx.url("/"))
    assert resumed.resumed and not resumed.interrupted
    assert set(fx.article_urls()) <= captured(archive_dir)


def test_the_crawl_summary_names_what_was_skipped_and_why(archive_dir: Path) -> None:
    with LiveServer(sitemap_trap_app(), "127.0.0.6") as server:
        cmd = [str(BIN / "storyvault"), "crawl", "--archive", str(archive_dir)]
        run = subprocess.run(
            [*cmd, "--allow-private", "--delay", "0", server.url("/")],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 0, run.stderr
    (line,) = [line for line in run.stdout.splitlines() if line.startswith("skipped:")]
    assert "sitemap-depth" in line


def test_budgets_keep_shape_overflow_aside_until_the_shape_proves_articles() -> None:
    budgets = Budgets(Settings(pattern_budget=2, trap_chain_max=1))
    host = "n.example"

    def key(n: int) -> str:
        return f"http://{host}/a/s{n}.html"

    for n in (1, 2):
        assert budgets.page_skip(host, key(n), "link", False) is None
        budgets.queued("page", host, key(n), False)
    over = budgets.page_skip(host, key(3), "link", False)
    assert over is not None and over.reason == "shape-budget"
    assert budgets.page_skip(host, key(3), "sitemap", False) is None  # listed: exempt
    assert budgets.skip(over, key(3), host)  # kept aside
    assert budgets.skipped == {"shape-budget": 1}
    assert budgets.page_seen(host, key(1), is_article=True) == url_shape(host, key(3))
    budgets.unskip([key(3)])
    assert budgets.skipped == {}
    assert budgets.page_seen(host, key(2), is_article=True) is None  # released once
    # a self-linked chain of non-articles (a calendar) is cut at trap_chain_max
    day = f"http://{host}/calendar/2026-01-0"
    budgets.queued("page", host, day + "2", True)
    chain = budgets.page_skip(host, day + "3", "link", True)
    assert chain is not None and chain.reason == "trap-chain"
    assert budgets.discovery_skip(host, depth=6) == Skip(
        "sitemap-depth", "sitemap nested more than 5 deep"
    )
