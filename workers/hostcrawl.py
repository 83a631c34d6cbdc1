"""One host's turn in the distributed crawl (the engine side of a Celery fetch task).

The service keeps the frontier in Redis as host queues (Heritrix-style): a worker leases
one ready host, claims its due URLs — robots.txt first, then up to the host's concurrency
at once, the per-host delay kept across workers through the host's next-allowed time —
and releases the host when its batch is done. A URL leaves the frontier only once its
records are written, so a worker killed mid-fetch loses nothing: its lease expires and
another worker fetches it again, as a retry: without validators, and following its links
as on a first capture, since the dead worker may have written it and followed nothing.

:class:`HostCrawler` is the embedded :class:`~workers.crawl.Crawler` with its scheduler
replaced by that lease; fetching, archiving, parsing, discovery, citations and versions
are the same code.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass

import structlog

from workers.archive import Archive
from workers.catalogue import Catalogue
from workers.crawl import Crawler
from workers.fetch import Fetcher
from workers.politeness import RobotsRules
from workers.redisstate import Claim, RedisState
from workers.settings import Settings
from workers.state import FrontierItem

log = structlog.get_logger(__name__)

_crawl_id: ContextVar[int] = ContextVar("storyvault_crawl_id", default=0)


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

    @property
    def crawl_id(self) -> int:
        """The crawl of the item this task is processing (items of several crawls share a
        host queue, and a turn processes several items at once)."""
        return _crawl_id.get()

    @crawl_id.setter
    def crawl_id(self, value: int) -> None:
        _crawl_id.set(value)

    async def take_turn(
        self, *, lease_ttl: float = 60.0, batch_seconds: float = 20.0, batch_urls: int = 5000
    ) -> HostTurn:
        """Lease a ready host, fetch its due URLs for a while, release it.

        Up to the host's concurrency (``host_concurrency``) items are fetched at once, each
        through the process's :class:`HostGate`, so the per-host delay holds within the
        turn; across workers it holds through the host's next-allowed time, read before
        the first request and written at release. The lease is renewed every third of
        its ttl; a turn that finds it lost (stalled past the ttl, the host re-leased)
        stops taking items.
        """
        now = time.time()
        host = self.redis_state.lease_ready_host(self.worker_id, now, lease_ttl)
        turn = HostTurn(host)
        if host is None:
            return turn
        structlog.contextvars.bind_contextvars(host=host)
        deadline = time.monotonic() + batch_seconds
        renew = _Renewal(self.redis_state, host, self.worker_id, lease_ttl)

        async def slot(max_items: int = batch_urls) -> None:
            taken = 0
            while time.monotonic() < deadline and turn.urls < batch_urls and renew.held():
                if taken >= max_items:
                    return
                claimed = self.redis_state.claim_items(host, self.worker_id, time.time())
                if not claimed:
                    return
                taken += 1
                turn.urls += 1
                await self._turn_item(host, claimed[0])

        try:
            wait = self.redis_state.host_next_at(host) - time.time()
            if wait > 0:
                await asyncio.sleep(min(wait, lease_ttl / 2))
            async with Fetcher(self.settings, gate=self.gate) as fetcher:
                self._fetcher = fetcher
                if host not in self._robots:
                    await slot(max_items=1)  # robots.txt (cached or fetched) first, alone
                await asyncio.gather(*(slot() for _ in range(self.gate.concurrency)))
        finally:
            delay = self.gate.set_crawl_delay(host, None)
            wait = max(delay, min(self.gate.ready_in(host), self.settings.max_crawl_delay))
            self.redis_state.release_host(host, self.worker_id, time.time() + wait)
            structlog.contextvars.unbind_contextvars("host")
        turn.new_versions, turn.errors = self.stats.versions, self.stats.errors
        return turn

    async def _turn_item(self, host: str, claim: Claim) -> None:
        self.crawl_id = claim.crawl_id
        item = claim.item
        if claim.retry:  # its last worker died: it may have written it and followed nothing
            log.info("frontier_retry", url=item.url)
            self._retries.add(item.key)
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
        self._retries.discard(item.key)


class _Renewal:
    """Renews a host lease every third of its ttl; remembers when it was lost."""

    def __init__(self, state: RedisState, host: str, worker_id: str, ttl: float) -> None:
        self.state, self.host, self.worker_id, self.ttl = state, host, worker_id, ttl
        self._next = time.monotonic() + ttl / 3
        self._held = True

    def held(self) -> bool:
        if self._held and time.monotonic() >= self._next:
            self._held = self.state.renew_lease(self.host, self.worker_id, self.ttl, time.time())
            self._next = time.monotonic() + self.ttl / 3
            if not self._held:
                log.warning("lease_lost", host=self.host, worker=self.worker_id)
        return self._held
