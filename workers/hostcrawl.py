"""One host's turn in the distributed crawl (the engine side of a Celery fetch task).

The service keeps the frontier in Redis as host queues (Heritrix-style): a worker leases
one ready host, takes its due URLs one by one — robots.txt first, the per-host delay kept
across workers through the host's next-allowed time — and releases the host when its
batch is done. A URL leaves the frontier only once its records are written, so a worker
killed mid-fetch loses nothing: its lease expires and another worker fetches it again.

:class:`HostCrawler` is the embedded :class:`~workers.crawl.Crawler` with its scheduler
replaced by that lease; fetching, archiving, parsing, discovery, citations and versions
are the same code.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from workers.archive import Archive
from workers.catalogue import Catalogue
from workers.crawl import Crawler
from workers.fetch import Fetcher
from workers.politeness import RobotsRules
from workers.redisstate import RedisState
from workers.settings import Settings
from workers.state import FrontierItem

log = structlog.get_logger(__name__)


@dataclass
class HostTurn:
    """What one lease of a host achieved."""

    host: str | None
    urls: int = 0
    new_versions: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "host": self.host,
            "urls": self.urls,
            "new_versions": self.new_versions,
            "errors": self.errors,
        }


class HostCrawler(Crawler):
    """Processes frontier items of leased hosts; discovered URLs go back to Redis."""

    def __init__(
        self,
        settings: Settings,
        outlets: Sequence[str],
        *,
        state: RedisState,
        archive: Archive,
        catalogue: Catalogue,
        worker_id: str,
    ) -> None:
        super().__init__(
            settings, outlets, state=state, archive=archive, catalogue=catalogue, mode="discover"
        )
        self.redis_state = state
        self.worker_id = worker_id
        self._changed = asyncio.Condition()

    # the frontier lives in Redis: RedisState.add_url already queued the item there
    def _push(self, item: FrontierItem) -> None:
        self.stats.hosts.add(item.host)

    def _ensure_robots(self, host: str, url: str) -> None:
        """Robots rules come from the shared cache; a host's own turn fetches them."""
        if host in self._robots:
            return
        cached = self.state.robots_get(host, self.settings.robots_max_age)
        if cached is not None:
            self._robots[host] = RobotsRules.from_response(*cached)
            self.gate.set_crawl_delay(host, self._robots[host].crawl_delay(self.ua_token))

    async def take_turn(
        self, *, lease_ttl: float = 60.0, batch_seconds: float = 20.0, batch_urls: int = 200
    ) -> HostTurn:
        """Lease a ready host, fetch its due URLs for a while, release it."""
        now = time.time()
        host = self.redis_state.lease_ready_host(self.worker_id, now, lease_ttl)
        turn = HostTurn(host)
        if host is None:
            return turn
        structlog.contextvars.bind_contextvars(host=host)
        deadline = time.monotonic() + batch_seconds
        try:
            wait = self.redis_state.host_next_at(host) - time.time()
            if wait > 0:
                await asyncio.sleep(min(wait, lease_ttl / 2))
            async with Fetcher(self.settings, gate=self.gate) as fetcher:
                self._fetcher = fetcher
                while time.monotonic() < deadline and turn.urls < batch_urls:
                    got = self.redis_state.next_item(host, time.time())
                    if got is None:
                        break
                    crawl_id, item = got
                    self.crawl_id = crawl_id
                    await self._turn_item(host, item)
                    turn.urls += 1
                    self.redis_state.renew_lease(host, self.worker_id, lease_ttl, time.time())
        finally:
            delay = self.gate.set_crawl_delay(host, None)
            self.redis_state.release_host(host, self.worker_id, time.time() + delay)
            structlog.contextvars.unbind_contextvars("host")
        turn.new_versions, turn.errors = self.stats.versions, self.stats.errors
        return turn

    async def _turn_item(self, host: str, item: FrontierItem) -> None:
        if host not in self._robots and item.kind != "robots":
            cached = self.state.robots_get(host, self.settings.robots_max_age)
            if cached is not None:
                self._set_robots(host, item.url, RobotsRules.from_response(*cached))
            else:  # robots.txt before any other path of the host
                robots = FrontierItem.robots(item.url)
                self.state.add_url(self.crawl_id, robots)
                await self._process(robots)
                self.redis_state.complete_item(host, self.crawl_id, robots, None)
        await self._process(item)  # marks the URL done/failed/blocked in the store
        self.redis_state.complete_item(host, self.crawl_id, item, None)
