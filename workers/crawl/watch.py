"""The embedded background service: discover new stories and re-crawl due ones, forever.

``storyvault watch URL…`` alternates two kinds of pass until SIGTERM/SIGINT:
a *discovery* pass over the outlets (robots, feeds, sitemaps, homepage and sections;
stories already known are left to their schedule) every ``discover_every``, and a
*re-crawl* pass over the stories whose schedule says they are due. Each pass closes its
WARC file, so every new version's message reaches the outbox at the end of its pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import structlog

from workers.core.settings import Settings
from workers.crawl.engine import Mode
from workers.crawl.local import crawl
from workers.parse.urls import host_of
from workers.state.sqlite import SQLiteState
from workers.versions.catalogue import Catalogue, from_iso
from workers.warc.root import writer_lock

log = structlog.get_logger(__name__)


def due_urls(settings: Settings, outlets: Sequence[str], now: datetime) -> list[str]:
    """URLs of the outlets' live stories due for a re-crawl at ``now``."""
    hosts = {host_of(o) for o in outlets}
    with SQLiteState.beside(settings.archive) as state:
        catalogue = Catalogue(state)
        return [s.url for s in catalogue.due(now) if s.outlet in hosts]


def next_wakeup(settings: Settings, outlets: Sequence[str], default: datetime) -> datetime:
    hosts = {host_of(o) for o in outlets}
    with SQLiteState.beside(settings.archive) as state:
        dues = [
            from_iso(s.next_due)
            for s in Catalogue(state).stories()
            if s.outlet in hosts and s.status == "live" and s.next_due
        ]
    return min([default, *dues])


async def watch(
    settings: Settings,
    outlets: Sequence[str],
    *,
    discover_every: timedelta = timedelta(minutes=5),
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    max_passes: int | None = None,
) -> int:
    """Run discovery and re-crawl passes until stopped; return the number of passes."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    passes = 0
    next_discovery = now()
    # one writer: held across passes (each pass's crawl takes it again, re-entrantly)
    with writer_lock(settings.archive, "watch"):
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            while not stop.is_set() and (max_passes is None or passes < max_passes):
                if now() >= next_discovery:
                    log.info("watch_discovery", outlets=list(outlets))
                    await _pass(settings, outlets, "discover", stop)
                    next_discovery = now() + discover_every
                    passes += 1
                    continue
                due = due_urls(settings, outlets, now())
                if due:
                    log.info("watch_recrawl", stories=len(due))
                    await _pass(settings, due, "recrawl", stop)
                    passes += 1
                    continue
                wake = next_wakeup(settings, outlets, next_discovery)
                delay = max(0.05, (wake - now()).total_seconds())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
    log.info("watch_stopped", passes=passes)
    return passes


async def _pass(settings: Settings, seeds: Sequence[str], mode: Mode, stop: asyncio.Event) -> None:
    task = asyncio.create_task(crawl(settings, list(seeds), mode=mode))
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if task not in done:
        # SIGTERM: let the pass finish its in-flight fetches and close its files
        from workers.crawl import local as crawl_module

        for crawler in crawl_module.running_crawlers():
            crawler.request_stop()
        await task
    stopper.cancel()
    await asyncio.gather(stopper, return_exceptions=True)
