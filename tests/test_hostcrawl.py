"""One host turn of the distributed crawl, in-process: real outlet, real Redis, real WARCs.

The service tests (tests/test_service.py) run the same code in Celery workers; here a
turn can be stopped at an exact point, which a SIGKILL of a worker only hits by chance.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.support.hostile import ROBOTS_STATUS, robots_app, sitemap_trap_app
from tests.support.newsoutlet import OutletFixture, OutletSpec, start_outlet
from tests.support.servers import LiveServer
from workers.core.settings import Settings
from workers.core.types import FrontierItem
from workers.crawl.engine import Engine, Found
from workers.crawl.host_turn import HostCrawler
from workers.state.redis_state import RedisState, connect
from workers.versions.catalogue import Catalogue
from workers.versions.redis_catalogue import RedisCatalogueStore
from workers.warc.writer import Archive


class Killed(BaseException):
    """Stands for SIGKILL: nothing after the point it is raised at runs."""


@pytest.fixture
def site() -> Iterator[OutletFixture]:
    spec = OutletSpec(sections=1, articles_per_section=2, calendar_trap=False, noise=False)
    with start_outlet(spec) as fx:
        yield fx


class Service:
    """What one worker process holds: Redis state, catalogue, this process's archive."""

    def __init__(self, redis_url: str, archive: Path, outlet: str, **settings: object) -> None:
        defaults: dict[str, object] = {"allow_private": True, "host_delay": 0.0}
        self.settings = Settings(
            archive=archive,
            redis_url=redis_url,
            **{**defaults, **settings},  # type: ignore[arg-type]
        )
        self.outlet = outlet
        client = connect(redis_url)
        self.state = RedisState(client, host_cap=self.settings.host_holders)
        self.catalogue = Catalogue.for_settings(RedisCatalogueStore(client), self.settings)
        self.archive = Archive(self.settings)
        self.archive.open()

    def crawler(self, worker: str) -> HostCrawler:
        return HostCrawler(
            self.settings,
            [self.outlet],
            state=self.state,
            archive=self.archive,
            catalogue=self.catalogue,
            worker_id=worker,
        )

    def queue(self, url: str) -> None:
        """Queue ``url`` as a discovery pass queues an outlet's start page."""
        crawl_id, _ = self.state.begin_crawl([f"discover:{self.outlet}"])
        assert self.state.add_url(crawl_id, FrontierItem.seed(url))

    def drain(self, worker: str = "live") -> None:
        """Take turns until no host has work (bounded)."""
        for _ in range(50):
            turn = asyncio.run(self.crawler(worker).take_turn(batch_seconds=5))
            if turn.host is None and not self.state.frontier_stats()["queued"]:
                return
        raise AssertionError(f"frontier never emptied: {self.state.frontier_stats()}")


def captured(archive: Path) -> list[str]:
    urls = []
    for path in sorted(archive.rglob("*.warc.gz")):
        with path.open("rb") as fh:
            urls += [
                r.rec_headers.get_header("WARC-Target-URI")
                for r in ArchiveIterator(fh)
                if r.rec_type in ("response", "revisit")
            ]
    return urls


def dies_before_following(self: Engine, job: Any, page_url: str, found: Found) -> None:
    """Writes and catalogues its page, then dies before queueing what the page links to."""
    if job.item.kind == "page":
        raise Killed
    real_follow(self, job, page_url, found)


real_follow = Engine._follow


def test_a_page_written_by_a_dead_worker_is_followed_by_the_next(
    site: OutletFixture, redis_url: str, archive_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = Service(redis_url, archive_dir, site.url("/"))
    article = site.article_urls()[0]
    service.queue(article)
    with monkeypatch.context() as patch, pytest.raises(Killed):
        patch.setattr(Engine, "_follow", dies_before_following)
        asyncio.run(service.crawler("doomed").take_turn())
    service.archive.close()
    story = service.catalogue.story_for(article)
    assert story is not None and story.versions == 1 and story.etag  # written, catalogued
    site.clear_logs()

    service.drain()
    service.archive.close()

    # the live worker fetched the article again in full (a 304 would show no links) ...
    retries = [e for e in site.outlet.requests if site.url(e.path_qs) == article]
    assert len(retries) == 1
    assert not {"if-none-match", "if-modified-since"} & {h.lower() for h in retries[0].headers}
    # ... and fetched what it cites, which the dead worker never queued
    cited = site.site.expected_cited(site.site.article_urls()[0])
    assert cited and set(cited) <= set(captured(archive_dir))
    # still one version: the second capture is the same story text
    assert service.catalogue.story_for(article).versions == 1  # type: ignore[union-attr]


def test_a_turn_fetches_up_to_the_host_concurrency_at_once(
    site: OutletFixture, redis_url: str, archive_dir: Path
) -> None:
    service = Service(redis_url, archive_dir, site.url("/"), host_concurrency=4)
    site.outlet.latency = 0.05
    service.queue(site.url("/"))
    service.drain()
    service.archive.close()
    got = captured(archive_dir)
    assert set(site.article_urls()) <= set(got)
    assert len(got) == len(set(got)), "a URL was fetched twice in one pass"
    assert site.outlet.max_in_flight > 1
    assert site.outlet.max_in_flight <= 4


def test_two_workers_share_a_host_that_allows_parallel_requests(
    site: OutletFixture, redis_url: str, archive_dir: Path
) -> None:
    service = Service(redis_url, archive_dir, site.url("/"), host_concurrency=4, host_workers=2)
    assert service.state.host_cap == 2
    site.outlet.latency = 0.02
    service.queue(site.url("/"))

    async def both() -> list[int]:
        one, other = service.crawler("one"), service.crawler("other")
        turns = [asyncio.create_task(one.take_turn(batch_seconds=5))]
        await asyncio.sleep(0.3)  # the first holder has queued the outlet's pages by now
        turns.append(asyncio.create_task(other.take_turn(batch_seconds=5)))
        return [t.urls for t in await asyncio.gather(*turns)]

    urls = asyncio.run(both())
    assert all(n > 0 for n in urls), f"the host was not shared: {urls}"
    service.drain()
    service.archive.close()
    got = captured(archive_dir)
    assert set(site.article_urls()) <= set(got)
    assert len(got) == len(set(got)), "a URL was fetched twice in one pass"
    assert site.outlet.max_in_flight <= 4  # the host's concurrency, split between holders


def test_a_host_with_a_crawl_delay_is_not_shared(redis_url: str, archive_dir: Path) -> None:
    spec = OutletSpec(
        sections=1, articles_per_section=2, calendar_trap=False, noise=False, crawl_delay=0.2
    )
    with start_outlet(spec, cited_hosts=()) as site:
        service = Service(redis_url, archive_dir, site.url("/"), host_concurrency=4)
        service.queue(site.url("/"))

        async def both() -> list[int]:
            one, other = service.crawler("one"), service.crawler("other")
            first = asyncio.create_task(one.take_turn(batch_seconds=3))
            await asyncio.sleep(0.1)  # robots.txt is read: the host is solo from now on
            second = asyncio.create_task(other.take_turn(batch_seconds=3))
            return [t.urls for t in await asyncio.gather(first, second)]

        assert asyncio.run(both())[1] == 0
        times = [e.monotonic_time for e in site.outlet.requests[1:]]  # after robots.txt
        service.archive.close()
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps and min(gaps) >= 0.18  # one holder keeps the Crawl-delay


def test_a_failed_robots_txt_is_retried_by_the_next_turn(redis_url: str, archive_dir: Path) -> None:
    with LiveServer(robots_app(), "127.0.0.5") as server:
        server.app[ROBOTS_STATUS][:] = [503, 503, 503, 200]  # the first fetch fails, 3 tries
        service = Service(
            redis_url, archive_dir, server.url("/"), robots_retry_seconds=0, backoff_base=0.01
        )
        service.queue(server.url("/"))
        service.drain()
        assert [e.path for e in server.requests] == ["/robots.txt"] * 3
        crawl_id, _ = service.state.begin_crawl([f"discover:{server.url('/')}"])
        assert service.state.url_counts(crawl_id).get("blocked", 0) == 0
        # the outlet is discovered again: robots.txt is asked again, not remembered for a day
        service.state.finish_crawl(crawl_id)
        service.queue(server.url("/"))
        service.drain()
        service.archive.close()
    assert {server.url("/"), server.url("/news/one")} <= set(captured(archive_dir))


def test_a_guard_refusal_of_robots_txt_is_not_cached(redis_url: str, archive_dir: Path) -> None:
    with LiveServer(robots_app(), "127.0.0.5") as server:
        service = Service(redis_url, archive_dir, server.url("/"), allow_private=False)
        service.queue(server.url("/"))
        service.drain()
        service.archive.close()
        assert server.requests == []
        host = server.url("/").split("//")[1].rstrip("/")
        assert service.state.robots_get(host, 10**9) is None
        crawl_id, _ = service.state.begin_crawl([f"discover:{server.url('/')}"])
        assert service.state.url_counts(crawl_id).get("blocked", 0) == 0


def test_an_endless_sitemap_chain_stops_in_the_service_too(
    redis_url: str, archive_dir: Path
) -> None:
    with LiveServer(sitemap_trap_app(), "127.0.0.6") as server:
        service = Service(redis_url, archive_dir, server.url("/"))
        service.queue(server.url("/"))
        service.drain()
        service.archive.close()
        indexes = [e for e in server.requests if e.path == "/sitemap-index.xml"]
    assert len(indexes) == service.settings.sitemap_max_depth + 1


def test_sitemap_budgets_hold_across_the_host_turns_of_a_worker(
    redis_url: str, archive_dir: Path
) -> None:
    with LiveServer(sitemap_trap_app(), "127.0.0.6") as server:
        service = Service(redis_url, archive_dir, server.url("/"), sitemap_budget=5)
        service.queue(server.url("/"))  # robots.txt names the chain of indexes
        for _ in range(200):  # short turns: a URL or two each, a new HostCrawler each
            asyncio.run(service.crawler("one").take_turn(batch_urls=2))
            if not service.state.frontier_stats()["queued"]:
                break
        service.archive.close()
        sitemaps = [e for e in server.requests if e.path.startswith("/sitemap")]
    assert 0 < len(sitemaps) <= 5
