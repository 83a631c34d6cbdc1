"""One host's turn in the distributed crawl (the engine side of a Celery fetch task).

The service keeps the frontier in Redis as host queues (Heritrix-style): a worker leases
one ready host and, through a :class:`~workers.crawl.host_frontier.HostFrontier`, takes its due
URLs, up to the host's concurrency at once, for as long as it has any and the lease and
the turn's time last; the per-host delay is kept within the turn by the process's
:class:`HostGate` and across workers through the host's next-allowed time, read before
the first request and written at release. A URL leaves the frontier only once its records
are written, so a worker killed mid-fetch loses nothing: its lease expires and another
worker fetches it again, as a retry: without validators, and following its links as on a
first capture, since the dead worker may have written it and followed nothing.

Each item is processed by the same :class:`~workers.crawl.engine.Engine` as in the embedded
crawl; this module is only the runner.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from workers.core.settings import Settings
from workers.core.types import Clock
from workers.crawl.engine import Delivery, Engine
from workers.crawl.frontier import Work
from workers.crawl.host_frontier import HostFrontier
from workers.crawl.stats import CrawlStats
from workers.net.politeness import HostGate
from workers.parse.urls import Scope, host_of
from workers.state.redis_state import RedisState
from workers.versions.catalogue import Catalogue
from workers.warc.writer import Archive

log = structlog.get_logger(__name__)


@dataclass
class TurnResult:
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


def _utcnow() -> datetime:
    return datetime.now(UTC)


class HostCrawler:
    """Takes host turns: leases a ready host, runs the engine over its due items."""

    def __init__(
        self,
        settings: Settings,
        outlets: Sequence[str],
        *,
        state: RedisState,
        archive: Archive,
        catalogue: Catalogue,
        worker_id: str,
        outbox: Delivery | None = None,
        clock: Clock = _utcnow,
    ) -> None:
        self.settings = settings
        self.state = state
        self.archive = archive
        self.catalogue = catalogue
        self.worker_id = worker_id
        self.outbox = outbox
        self.clock = clock
        self.scope = Scope(
            hosts=frozenset({host_of(o) for o in outlets} | set(settings.scope_hosts)),
            prefixes=settings.scope_prefixes,
            exclude=settings.scope_exclude,
            max_path_depth=settings.max_path_depth,
        )
        concurrency = settings.host_concurrency
        if state.host_cap > 1:  # holders of one host share its concurrency
            concurrency = -(-concurrency // state.host_cap)
        self.gate = HostGate(settings.host_delay, concurrency, max_delay=settings.max_crawl_delay)
        self.stats = CrawlStats()

    def _time(self) -> float:
        return self.clock().timestamp()

    async def take_turn(
        self, *, lease_ttl: float = 60.0, batch_seconds: float = 20.0, batch_urls: int = 5000
    ) -> TurnResult:
        """Lease a ready host, fetch its due URLs while it has any (for at most
        ``batch_seconds`` or ``batch_urls``), release it.

        The lease is renewed every third of its ttl; a turn that finds it lost (stalled
        past the ttl, the host re-leased) stops taking items.
        """
        host = self.state.lease_ready_host(self.worker_id, self._time(), lease_ttl)
        turn = TurnResult(host)
        if host is None:
            return turn
        structlog.contextvars.bind_contextvars(host=host)
        frontier = HostFrontier(
            self.state,
            host,
            self.worker_id,
            settings=self.settings,
            scope=self.scope,
            catalogue=self.catalogue,
            clock=self._time,
            claim_ahead=self.gate.limit(host),
        )
        engine = Engine(
            self.settings,
            archive=self.archive,
            store=self.state,
            digests=frontier,
            gate=self.gate,
            scope_hosts=self.scope.hosts,
            catalogue=self.catalogue,
            outbox=self.outbox,
            mode="discover",
            clock=self.clock,
        )
        deadline = time.monotonic() + batch_seconds
        renew = _Renewal(self.state, host, self.worker_id, lease_ttl, self._time)
        try:
            wait = self.state.host_next_at(host) - self._time()
            if wait > 0:
                await asyncio.sleep(min(wait, lease_ttl / 2))
            async with engine:
                await _Slots(self, engine, frontier, turn, renew, deadline, batch_urls).run()
        finally:
            # what was done is recorded even if the turn failed; what was not started
            # goes back as it was (a claim left behind would make it a retry)
            frontier.close()
            delay = self.gate.set_crawl_delay(host, None)
            wait = max(delay, min(self.gate.ready_in(host), self.settings.max_crawl_delay))
            self.state.release_host(host, self.worker_id, self._time() + wait)
            structlog.contextvars.unbind_contextvars("host")
        turn.new_versions, turn.errors = self.stats.versions, self.stats.errors
        return turn


class _Slots:
    """Up to the host's concurrency items in flight; a slot that finds nothing due waits
    while others run (they may queue more), and the turn ends when none has work."""

    def __init__(
        self,
        crawler: HostCrawler,
        engine: Engine,
        frontier: HostFrontier,
        turn: TurnResult,
        renew: _Renewal,
        deadline: float,
        batch_urls: int,
    ) -> None:
        self.crawler, self.engine, self.frontier = crawler, engine, frontier
        self.turn, self.renew = turn, renew
        self.deadline, self.batch_urls = deadline, batch_urls
        self.host = frontier.host
        self.in_flight = 0
        self.changed = asyncio.Condition()
        self.leaving = False  # the host turned out to need a single holder

    async def run(self) -> None:
        # the host's first item alone: it reads robots.txt (cached or fetched) for all
        await self.slot(max_items=1)
        # a slot that fails (Redis gone) stops the others before the fetcher closes:
        # their items stay claimed, to be fetched again as retries
        try:
            async with asyncio.TaskGroup() as slots:
                for _ in range(self.crawler.gate.limit(self.host)):
                    slots.create_task(self.slot())
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None

    async def next_work(self) -> Work | None:
        """The next item; while others are in flight, wait: they may queue more."""
        while (
            time.monotonic() < self.deadline
            and self.turn.urls < self.batch_urls
            and not self.leaving
            and self.renew.held()
        ):
            got = self.frontier.take(1) if (self.frontier.pending or not self.in_flight) else []
            if got:
                return got[0]
            if not self.in_flight:
                return None
            async with self.changed:
                await self.changed.wait()
        return None

    async def slot(self, max_items: int | None = None) -> None:
        done = 0
        while max_items is None or done < max_items:
            work = await self.next_work()
            if work is None:
                return
            done += 1
            self.turn.urls += 1
            self.in_flight += 1
            try:
                if work.retry:
                    log.info("frontier_retry", url=work.item.url)
                outcome = await self.engine.process(
                    work.item,
                    stats=self.crawler.stats,
                    retry=work.retry,
                    known=self.frontier.known(work.crawl_id),
                )
                self.frontier.done(work, outcome)
                self._check_solo()
            finally:
                self.in_flight -= 1
                async with self.changed:
                    self.changed.notify_all()

    def _check_solo(self) -> None:
        """A Crawl-delay is kept by one worker's gate, not by several."""
        state = self.crawler.state
        if state.host_cap <= 1 or self.leaving or not self.engine.crawl_delay(self.host):
            return
        state.make_solo(self.host)
        if state.holders(self.host) > 1:
            log.info("host_unshared", host=self.host, reason="robots.txt Crawl-delay")
            self.leaving = True


class _Renewal:
    """Renews a host lease every third of its ttl; remembers when it was lost."""

    def __init__(
        self, state: RedisState, host: str, worker_id: str, ttl: float, now: Callable[[], float]
    ) -> None:
        self.state, self.host, self.worker_id, self.ttl = state, host, worker_id, ttl
        self._now = now
        self._next = time.monotonic() + ttl / 3
        self._held = True

    def held(self) -> bool:
        if self._held and time.monotonic() >= self._next:
            self._held = self.state.renew_lease(self.host, self.worker_id, self.ttl, self._now())
            self._next = time.monotonic() + self.ttl / 3
            if not self._held:
                log.warning("lease_lost", host=self.host, worker=self.worker_id)
        return self._held
