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
import weakref
from collections import OrderedDict, deque
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass

import structlog

from workers.archive import Archive, StoredPayload
from workers.budgets import Budgets
from workers.catalogue import Catalogue
from workers.crawl import Crawler
from workers.fetch import Fetcher
from workers.politeness import HostGate, RobotsRules
from workers.redisstate import Claim, RedisState, TurnBatch
from workers.settings import Settings
from workers.state import DigestIndex, FrontierItem

log = structlog.get_logger(__name__)

_crawl_id: ContextVar[int] = ContextVar("storyvault_crawl_id", default=0)

#: the budgets of each crawl, kept by the worker process across its host turns (a turn is
#: one task, one HostCrawler), per shared state; each worker process keeps its own
_BUDGETS: weakref.WeakKeyDictionary[RedisState, OrderedDict[int, Budgets]] = (
    weakref.WeakKeyDictionary()
)
_BUDGETS_KEPT = 64  # crawls per process (discovery passes come and go)


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
        self._batch = TurnBatch()
        self._leaving: set[str] = set()  # shared hosts found to need a single holder
        if state.host_cap > 1:  # holders of one host share its concurrency
            share = -(-settings.host_concurrency // state.host_cap)
            self.gate = HostGate(settings.host_delay, share, max_delay=settings.max_crawl_delay)

    # the frontier lives in Redis: the turn's next sync queues the item there (_queue)
    def _push(self, item: FrontierItem) -> None:
        self.stats.hosts.add(item.host)

    def _set_robots(self, host: str, url: str, rules: RobotsRules) -> None:
        super()._set_robots(host, url, rules)
        if self.redis_state.host_cap > 1 and rules.crawl_delay(self.ua_token):
            # a Crawl-delay is kept by one worker's gate, not by several
            self.redis_state.make_solo(host)
            if self.redis_state.holders(host) > 1:
                log.info("host_unshared", host=host, reason="robots.txt Crawl-delay")
                self._leaving.add(host)

    def _ensure_robots(self, host: str, url: str) -> None:
        """Robots rules come from the shared cache; a host's own turn fetches them."""
        rules = self._robots.get(host)
        if rules is not None and not rules.expired(self._now().timestamp()):
            return
        self._robots.pop(host, None)
        cached = self._cached_robots(host)
        if cached is not None:
            self._robots[host] = cached
            self.gate.set_crawl_delay(host, cached.crawl_delay(self.ua_token))

    @property
    def budgets(self) -> Budgets:
        """The budgets of the crawl of the item being processed, kept across the turns of
        this worker process (so a trap spread over many turns still meets them)."""
        crawls = _BUDGETS.setdefault(self.redis_state, OrderedDict())
        budgets = crawls.get(self.crawl_id)
        if budgets is None:
            budgets = crawls[self.crawl_id] = Budgets(self.settings)
            while len(crawls) > _BUDGETS_KEPT:
                crawls.popitem(last=False)
        crawls.move_to_end(self.crawl_id)
        return budgets

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
        claimed: deque[Claim] = deque()
        in_flight = 0
        done = asyncio.Condition()

        def more() -> bool:
            """Sync the batch, claim the host's next items; False when none is due."""
            _, got = self.redis_state.sync(
                host, self.worker_id, time.time(), self._batch, self.gate.limit(host)
            )
            claimed.extend(got)
            return bool(got)

        async def next_claim() -> Claim | None:
            """The next item; while others are in flight, wait: they may queue more."""
            while time.monotonic() < deadline and turn.urls < batch_urls and renew.held():
                if host in self._leaving:
                    return None
                if claimed:
                    return claimed.popleft()
                if (self._batch.queued or not in_flight) and more():
                    continue
                if not in_flight:
                    return None
                async with done:
                    await done.wait()
            return None

        async def slot(max_items: int = batch_urls) -> None:
            nonlocal in_flight
            for _ in range(max_items):
                claim = await next_claim()
                if claim is None:
                    return
                turn.urls += 1
                in_flight += 1
                try:
                    await self._turn_item(host, claim)
                finally:
                    in_flight -= 1
                    async with done:
                        done.notify_all()

        try:
            wait = self.redis_state.host_next_at(host) - time.time()
            if wait > 0:
                await asyncio.sleep(min(wait, lease_ttl / 2))
            async with Fetcher(self.settings, gate=self.gate) as fetcher:
                self._fetcher = fetcher
                rules = self._robots.get(host)
                if rules is None or rules.expired(self._now().timestamp()):
                    await slot(max_items=1)  # robots.txt (cached or fetched) first, alone
                try:
                    # a slot that fails (Redis gone) stops the others before the fetcher
                    # closes: their items stay claimed, to be fetched again as retries
                    async with asyncio.TaskGroup() as slots:
                        for _ in range(self.gate.limit(host)):
                            slots.create_task(slot())
                except ExceptionGroup as failed:
                    raise failed.exceptions[0] from None
        finally:
            # what was done is recorded even if the turn failed; what was not started
            # goes back as it was (a claim left behind would make it a retry)
            self.redis_state.sync(host, self.worker_id, time.time(), self._batch, 0)
            self.redis_state.unclaim(host, self.worker_id, claimed)
            delay = self.gate.set_crawl_delay(host, None)
            wait = max(delay, min(self.gate.ready_in(host), self.settings.max_crawl_delay))
            self.redis_state.release_host(host, self.worker_id, time.time() + wait)
            structlog.contextvars.unbind_contextvars("host")
        turn.new_versions, turn.errors = self.stats.versions, self.stats.errors
        return turn

    # What a turn queues, finishes and archives reaches Redis in batches (TurnBatch), one
    # round trip with each claim of new items: a worker killed before a sync loses only
    # the outcome of items still claimed, which the next holder fetches again as retries.
    def _queue(self, item: FrontierItem) -> bool:
        self._batch.add(self.crawl_id, item, time.time())
        return True  # new to this process (see enqueue); Redis drops it if the crawl has it

    def _mark(self, item: FrontierItem, status: str, note: str | None = None) -> None:
        self._batch.mark(self.crawl_id, item.key, status, note)

    @property
    def _digests(self) -> DigestIndex:
        return _BatchedDigests(self.redis_state, self._batch)

    async def _turn_item(self, host: str, claim: Claim) -> None:
        self.crawl_id = claim.crawl_id
        item = claim.item
        if claim.retry:  # its last worker died: it may have written it and followed nothing
            log.info("frontier_retry", url=item.url)
            self._retries.add(item.key)
        rules = self._robots.get(host)
        if rules is not None and rules.expired(self._now().timestamp()):
            del self._robots[host]  # a failed robots.txt is fetched again after a while
        if host not in self._robots and item.kind != "robots":
            cached = self._cached_robots(host)
            if cached is not None:
                self._set_robots(host, item.url, cached)
            else:  # robots.txt before any other path of the host
                robots = FrontierItem.robots(item.url)
                # queued and marked in one batch: no other holder ever sees it due
                self._queue(robots)
                await self._process_safely(robots)
        # marking the URL done/failed/blocked takes it out of the frontier (and its claim)
        await self._process_safely(item)
        self._retries.discard(item.key)


class _BatchedDigests:
    """Digests looked up in Redis at once, remembered with the turn's next sync."""

    def __init__(self, state: RedisState, batch: TurnBatch) -> None:
        self.state, self.batch = state, batch

    def lookup_payload(self, url_key: str, digest: str) -> StoredPayload | None:
        return self.state.lookup_payload(url_key, digest)

    def remember_payload(self, url_key: str, payload: StoredPayload) -> None:
        self.batch.payload(url_key, payload)


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
