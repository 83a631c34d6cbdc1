"""The embedded crawl against a synthetic outlet and the hosts its articles cite.

Each test asserts what an archivist would check: what the servers were asked for (their
request logs), and what the WARC files hold (read back with warcio; every file passes
``warcio check`` through the ``archive_dir`` fixture).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from warcio.archiveiterator import ArchiveIterator

from tests.support.newsoutlet import OutletFixture, OutletSpec, start_outlet
from tests.support.servers import LiveServer
from workers.core.settings import Settings
from workers.crawl.local import CrawlSummary, crawl

BIN = Path(sys.executable).parent


@pytest.fixture
def site() -> Iterator[OutletFixture]:
    with start_outlet(OutletSpec(sections=2, articles_per_section=4)) as fx:
        yield fx


def fast(archive_dir: Path, **kw: object) -> Settings:
    base = Settings(
        archive=archive_dir, allow_private=True, host_delay=0.02, concurrency=8, backoff_base=0.01
    )
    return base.replace(**kw)


def run_crawl(settings: Settings, *seeds: str) -> CrawlSummary:
    return asyncio.run(crawl(settings, list(seeds)))


def records(archive_dir: Path) -> list[tuple[str, str, dict[str, str], bytes]]:
    out = []
    for path in sorted(archive_dir.rglob("*.warc.gz")):
        with path.open("rb") as fh:
            for r in ArchiveIterator(fh):
                headers = dict(r.rec_headers.headers)
                out.append(
                    (
                        r.rec_type,
                        headers.get("WARC-Target-URI", ""),
                        headers,
                        r.content_stream().read(),
                    )
                )
    return out


def fetched_urls(archive_dir: Path) -> set[str]:
    return {uri for kind, uri, _, _ in records(archive_dir) if kind in ("response", "revisit")}


def all_requests(fx: OutletFixture) -> list[tuple[LiveServer, str]]:
    return [(server, e.path_qs) for server in (fx.outlet, *fx.cited) for e in server.requests]


def test_outlet_articles_are_captured_and_robots_obeyed(
    site: OutletFixture, archive_dir: Path
) -> None:
    summary = run_crawl(fast(archive_dir), site.url("/"))
    assert not summary.interrupted
    got = fetched_urls(archive_dir)
    articles = set(site.article_urls())
    missing = articles - got
    assert not missing, f"articles not captured: {sorted(missing)}"
    reachable = {
        site.url(p)
        for p in (
            *site.site.feed_articles(),
            *site.site.news_sitemap_articles(),
            *site.site.homepage_articles(),
        )
    }
    assert reachable <= got
    # robots.txt first on every host; disallowed paths never requested
    for server in (site.outlet, *site.cited):
        assert server.requests[0].path == "/robots.txt", server.base
    for disallowed in site.site.disallowed_paths():
        assert not [e for e in site.outlet.requests if e.path.startswith(disallowed)]
    # robots.txt, sitemaps and feeds are archived as evidence
    assert {
        site.url("/robots.txt"),
        site.url("/sitemap_index.xml"),
        site.url("/sitemaps/news.xml"),
        site.url("/sitemaps/articles.xml.gz"),
        site.url("/feeds/rss.xml"),
        site.url("/feeds/atom.xml"),
    } <= got


def test_cited_sources_at_depth_one_only(site: OutletFixture, archive_dir: Path) -> None:
    run_crawl(fast(archive_dir), site.url("/"))
    got = fetched_urls(archive_dir)
    expected_cited = {c for p in site.site.article_urls() for c in site.site.expected_cited(p)}
    assert expected_cited and expected_cited <= got
    # nav, share, related, comments, footer links and depth-2 links were never requested
    assert site.unexpected_cited_requests() == []
    # the article metadata records name the cited URLs
    path = site.site.article_urls()[0]
    article_url = site.url(path)
    meta = [
        body
        for kind, uri, _, body in records(archive_dir)
        if kind == "metadata" and uri == article_url
    ]
    assert len(meta) == 1
    cited_lines = [
        line.split(" ", 2)[1]
        for line in meta[0].decode().splitlines()
        if line.startswith("cited: ")
    ]
    assert set(site.site.expected_cited(path)) <= set(cited_lines)
    assert not set(site.expected_not_cited(path)) & set(cited_lines)


def test_depth_two_is_followed_when_asked(site: OutletFixture, archive_dir: Path) -> None:
    run_crawl(fast(archive_dir, cite_depth=2), site.url("/"))
    deeper = [url for url, _ in site.cited_requests() if "/deeper/" in url]
    assert deeper, "cite depth 2 should reach the cited pages' own links"


def test_tracking_parameters_and_fragments_are_fetched_once(
    site: OutletFixture, archive_dir: Path
) -> None:
    run_crawl(fast(archive_dir), site.url("/"))
    counts = Counter(e.path for e in site.outlet.requests)
    top = site.site.homepage_articles()[0]
    assert counts[top] == 1
    assert not [e for e in site.outlet.requests if "utm_" in e.path_qs]


def test_calendar_trap_stops_within_budget(archive_dir: Path) -> None:
    with start_outlet(OutletSpec(sections=1, articles_per_section=2)) as fx:
        summary = run_crawl(fast(archive_dir, pattern_budget=8), fx.url("/"))
    calendar = [e for e in fx.outlet.requests if e.path.startswith("/calendar/")]
    assert 0 < len(calendar) <= 8
    assert not summary.interrupted


def test_host_budget_bounds_a_host(archive_dir: Path) -> None:
    with start_outlet(OutletSpec(sections=2, articles_per_section=6)) as fx:
        run_crawl(fast(archive_dir, host_page_budget=10), fx.url("/"))
    pages = [
        e
        for e in fx.outlet.requests
        if not e.path.startswith(("/robots.txt", "/sitemap", "/feeds/", "/static/", "/images/"))
    ]
    assert len(pages) <= 10


def test_per_host_delay_is_kept_at_the_server(archive_dir: Path) -> None:
    delay = 0.15
    with start_outlet(OutletSpec(sections=1, articles_per_section=3, calendar_trap=False)) as fx:
        run_crawl(fast(archive_dir, host_delay=delay, concurrency=8, requisites=False), fx.url("/"))
    for server in (fx.outlet, *fx.cited):
        times = [e.monotonic_time for e in server.requests]
        assert len(times) >= 2, server.base
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= delay, (server.base, min(gaps))


def test_retry_after_429_and_503_are_retried_then_captured(archive_dir: Path) -> None:
    seen: Counter[str] = Counter()

    async def flaky(request: web.Request) -> web.Response:
        seen[request.path] += 1
        if seen[request.path] == 1:
            status = 429 if request.path == "/busy" else 503
            return web.Response(status=status, headers={"Retry-After": "1"}, text="later")
        return web.Response(
            text="<html><title>ok</title><p>finally</p></html>", content_type="text/html"
        )

    async def robots(request: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nAllow: /\n")

    app = web.Application()
    app.router.add_get("/robots.txt", robots)
    app.router.add_get("/busy", flaky)
    app.router.add_get("/unavailable", flaky)
    with LiveServer(app, "127.0.0.4") as server:
        run_crawl(fast(archive_dir), server.url("/busy"), server.url("/unavailable"))
        times = {e.path: [] for e in server.requests}
        for e in server.requests:
            times[e.path].append(e.monotonic_time)
    statuses = [
        (uri.rsplit("/", 1)[1], h.get("WARC-Type"))
        for kind, uri, h, _ in records(archive_dir)
        if kind == "response"
    ]
    assert statuses.count(("busy", "response")) == 2
    assert statuses.count(("unavailable", "response")) == 2
    for path in ("/busy", "/unavailable"):
        first, second = times[path]
        assert second - first >= 1.0  # Retry-After: 1 was honoured


def test_interrupt_and_resume_fetches_each_url_once(archive_dir: Path) -> None:
    spec = OutletSpec(sections=2, articles_per_section=5, calendar_trap=False)
    with start_outlet(spec) as fx:
        cmd = [
            str(BIN / "storyvault"),
            "crawl",
            "--allow-private",
            "--archive",
            str(archive_dir),
            "--delay",
            "0.05",
            "--json",
            fx.url("/"),
        ]
        first = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
        )
        deadline = time.monotonic() + 60
        while len(fx.outlet.requests) < 12 and time.monotonic() < deadline:
            time.sleep(0.02)
        first.send_signal(signal.SIGINT)
        out, err = first.communicate(timeout=60)
        assert first.returncode == 130, err
        assert json.loads(out)["interrupted"] is True
        assert "run the same command again to resume" in err
        requests_before = len(all_requests(fx))
        second = subprocess.run(
            cmd, capture_output=True, text=True, timeout=120, env=dict(os.environ)
        )
        assert second.returncode == 0, second.stderr
        summary = json.loads(second.stdout)
        assert summary["resumed"] is True and summary["interrupted"] is False
        assert len(all_requests(fx)) > requests_before
        repeated = [k for k, n in Counter(all_requests(fx)).items() if n > 1]
        assert repeated == []
        got = fetched_urls(archive_dir)
        assert set(fx.article_urls()) <= got
        expected_cited = {c for p in fx.site.article_urls() for c in fx.site.expected_cited(p)}
        assert expected_cited <= got
    assert not list(archive_dir.rglob("*.open"))
