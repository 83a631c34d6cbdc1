"""The embedded runner: one process crawls an outlet, its feeds and sitemaps, and the
sources it cites, with no Redis.

It drives the one URL engine (:class:`~workers.crawl.engine.Engine`) over a
:class:`~workers.crawl.frontier.LocalFrontier`: ``concurrency`` worker tasks each take the next
due item (round robin over hosts, each host's delay and concurrency kept by the
:class:`~workers.net.politeness.HostGate`), let the engine process it and hand the outcome
back to the frontier. The frontier and seen set live in the SQLite state beside the
archive, so an interrupted crawl resumes where it stopped.

Run :meth:`Crawler.run`; :meth:`Crawler.request_stop` (SIGINT/SIGTERM) lets in-flight
fetches finish, closes the WARC cleanly and leaves the rest queued for the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import structlog

from workers.core.errors import ArchiveError, CrawlAborted, StateError
from workers.core.settings import Settings
from workers.core.types import Clock
from workers.crawl.budgets import Budgets
from workers.crawl.engine import Engine, Mode, seed_kind
from workers.crawl.frontier import Admission, Candidate, CrawlBook, LocalFrontier, Work
from workers.crawl.stats import CrawlStats, CrawlSummary
from workers.net.politeness import HostGate
from workers.parse.urls import Scope, host_of
from workers.state.protocols import CrawlStore
from workers.state.sqlite import SQLiteState
from workers.versions.catalogue import Catalogue
from workers.versions.outbox import Outbox
from workers.versions.reindex import reconcile
from workers.warc.writer import Archive

log = structlog.get_logger(__name__)

MODES: tuple[Mode, ...] = ("crawl", "recrawl", "discover")
PROGRESS_EVERY = 0.5  # seconds between progress reports


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Crawler:
    """Crawl ``seeds`` into ``archive``; state (frontier, robots, digests) in ``state``."""

    def __init__(
        self,
        settings: Settings,
        seeds: Sequence[str],
        *,
        state: CrawlStore,
        archive: Archive,
        now: Clock = _utcnow,
        on_progress: Callable[[dict[str, object]], None] | None = None,
        catalogue: Catalogue | None = None,
        outbox: Outbox | None = None,
        mode: Mode = "crawl",
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.settings = settings
        self.catalogue = catalogue
        self.mode = mode
        self.seeds = list(dict.fromkeys(seeds))
        self.state = state
        self.archive = archive
        self.clock = now
        self._on_progress = on_progress
        self.scope = Scope(
            hosts=frozenset({host_of(s) for s in self.seeds} | set(settings.scope_hosts)),
            prefixes=settings.scope_prefixes,
            exclude=settings.scope_exclude,
            max_path_depth=settings.max_path_depth,
        )
        self.gate = HostGate(
            settings.host_delay, settings.host_concurrency, max_delay=settings.max_crawl_delay
        )
        self.stats = CrawlStats()
        self.budgets = Budgets(settings)
        self.engine = Engine(
            settings,
            archive=archive,
            store=state,
            digests=state,
            gate=self.gate,
            scope_hosts=self.scope.hosts,
            catalogue=catalogue,
            outbox=outbox,
            mode=mode,
            clock=now,
            parse_processes=settings.parse_processes,
        )
        self.seeds_failed: dict[str, str] = {}
        self.crawl_id = 0
        self.resumed = False
        self.frontier: LocalFrontier | None = None
        self._stopping = False
        self._changed: asyncio.Condition | None = None

    # -- public -------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Stop taking new URLs; in-flight fetches finish and are archived."""
        if not self._stopping:
            in_flight = self.frontier.in_flight if self.frontier else 0
            log.info("crawl_stopping", in_flight=in_flight)
        self._stopping = True
        if self._changed is not None:
            asyncio.get_running_loop().create_task(self._notify())

    async def run(self) -> CrawlSummary:
        """Crawl until the frontier is empty or a stop is requested; return the summary."""
        self._changed = asyncio.Condition()
        self.crawl_id, self.resumed = self.state.begin_crawl(
            self.seeds if self.mode == "crawl" else [f"{self.mode}:{s}" for s in self.seeds]
        )
        admission = Admission(
            self.settings,
            self.scope,
            self.budgets,
            known_stories_wait=self.mode == "discover",
            catalogue=self.catalogue,
        )
        frontier = self.frontier = LocalFrontier(
            CrawlBook(self.state, self.crawl_id, admission), self.gate, self.stats
        )
        frontier.resume()
        log.info("crawl_started", crawl_id=self.crawl_id, resumed=self.resumed, seeds=self.seeds)
        frontier.add(
            self.crawl_id,
            [
                Candidate(
                    seed,
                    seed_kind(seed),
                    0,
                    0,
                    None,
                    "recrawl" if self.mode == "recrawl" else "seed",
                )
                for seed in self.seeds
            ],
        )
        ticker = asyncio.create_task(self._tick()) if self._on_progress else None
        async with self.engine:
            workers = [
                asyncio.create_task(self._worker(frontier))
                for _ in range(max(1, self.settings.concurrency))
            ]
            failure: ArchiveError | StateError | None = None
            try:
                await asyncio.gather(*workers)
            except (ArchiveError, StateError) as exc:
                # in-flight URLs are cancelled unmarked: they stay queued for the resume
                failure = exc
                self._stopping = True
            finally:
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
                if ticker is not None:
                    ticker.cancel()
                    await asyncio.gather(ticker, return_exceptions=True)
        if failure is not None:
            raise self._aborted(failure)
        interrupted = self._stopping and frontier.queued > 0
        if not interrupted:
            self.state.finish_crawl(self.crawl_id)
        summary = self._summary(interrupted, frontier.queued)
        log.info("crawl_finished", **summary.as_dict())
        return summary

    def _summary(self, interrupted: bool, queued: int) -> CrawlSummary:
        self.stats.queued = queued
        self.stats.skipped = self.budgets.skipped
        return CrawlSummary(
            self.crawl_id, self.resumed, interrupted, self.stats.as_dict(), self.seeds_failed
        )

    def _aborted(self, failure: ArchiveError | StateError) -> CrawlAborted:
        """The error that ends a crawl whose archive or state failed, with its summary."""
        assert self.frontier is not None
        try:
            queued = self.state.url_counts(self.crawl_id).get("queued", 0)
        except StateError:
            queued = self.frontier.queued
        error = CrawlAborted(failure, queued)
        error.summary = self._summary(True, queued).as_dict()
        error.summary["error"] = str(error)
        log.error("crawl_aborted", error=str(failure), queued=queued)
        return error

    # -- scheduling ---------------------------------------------------------------------------
    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def _next(self, frontier: LocalFrontier) -> Work | None:
        assert self._changed is not None
        async with self._changed:
            while True:
                if self._stopping:
                    return None
                taken = frontier.take(1)
                if taken:
                    return taken[0]
                if frontier.in_flight == 0 and frontier.queued == 0:
                    self._changed.notify_all()
                    return None
                soonest = frontier.ready_in()
                if frontier.in_flight == 0 and soonest is None:
                    # nothing runs, nothing is due later, yet URLs wait: they never would
                    log.error("frontier_stalled", queued=frontier.queued)
                    self._stopping = True
                    self._changed.notify_all()
                    return None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), soonest)

    async def _worker(self, frontier: LocalFrontier) -> None:
        assert self._changed is not None
        while True:
            work = await self._next(frontier)
            if work is None:
                return
            try:
                outcome = await self.engine.process(
                    work.item, stats=self.stats, retry=work.retry, known=frontier.known
                )
            except BaseException:
                frontier.unfinished(work)
                raise
            if outcome.seed_failed is not None:
                self.seeds_failed[work.item.url] = outcome.seed_failed
            async with self._changed:
                frontier.done(work, outcome)
                self._changed.notify_all()

    async def _tick(self) -> None:
        assert self._on_progress is not None
        while True:
            if self.frontier is not None:
                self.stats.queued = self.frontier.queued
                self.stats.in_flight = self.frontier.in_flight
            self.stats.skipped = self.budgets.skipped
            self._on_progress(self.stats.as_dict())
            await asyncio.sleep(PROGRESS_EVERY)


async def crawl(
    settings: Settings,
    seeds: Sequence[str],
    *,
    on_progress: Callable[[dict[str, object]], None] | None = None,
    install_signals: bool = False,
    mode: Mode = "crawl",
    clock: Clock = _utcnow,
) -> CrawlSummary:
    """Run one embedded crawl pass of ``seeds`` into the archive named by ``settings``.

    ``mode``: "crawl" (the outlet and what it cites), "recrawl" (the seeds are stories
    to fetch again), "discover" (like crawl, but known stories wait for their schedule).
    ``clock``: the time of captures, WARC records and state (tests set it).
    """
    import signal

    from workers.warc.root import writer_lock

    with (
        writer_lock(settings.archive, mode),  # one writer per embedded archive
        SQLiteState.beside(settings.archive, clock=clock) as state,
    ):
        catalogue = Catalogue.for_settings(state, settings)
        outbox = Outbox.for_settings(catalogue, settings)
        archive = Archive(settings, clock=clock)
        archive.on_closed.append(lambda *_: outbox.deliver([p.name for p in archive.closed_files]))
        repaired = archive.open()
        reconcile(repaired, catalogue, outbox)
        archive.reconciled(repaired)
        crawler = Crawler(
            settings,
            seeds,
            state=state,
            archive=archive,
            on_progress=on_progress,
            catalogue=catalogue,
            outbox=outbox,
            mode=mode,
            now=clock,
        )
        _RUNNING.add(crawler)
        loop = asyncio.get_running_loop()
        if install_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, crawler.request_stop)
        try:
            summary = await crawler.run()
        except BaseException:
            # the crawl failed: close what can be closed, and let the first error speak
            with contextlib.suppress(ArchiveError, StateError, OSError):
                await asyncio.to_thread(archive.close)
                outbox.deliver([p.name for p in archive.closed_files])
            raise
        finally:
            if install_signals:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)
            _RUNNING.discard(crawler)
        await asyncio.to_thread(archive.close)
        outbox.deliver([p.name for p in archive.closed_files])
        return summary


_RUNNING: set[Crawler] = set()


def running_crawlers() -> list[Crawler]:
    """Crawlers running in this process (the watch loop stops them on SIGTERM)."""
    return list(_RUNNING)
