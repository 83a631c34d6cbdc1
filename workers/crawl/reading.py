"""Reading a fetched body (sitemap, feed, HTML page and its story) off the event loop.

:func:`read_body` is the pure part of the engine's reading: bytes and a few headers in,
a :class:`Reading` out (it consults no state: the engine looks the story up in its
catalogue afterwards). It is CPU work under the GIL (lxml trees, the story extractor,
the language model), so a crawl on a machine with several cores reads in other
processes: :class:`PageReader` runs it in a pool of ``processes`` worker processes, or
in a thread of this process with ``processes=0`` (the service, whose Celery pool has
its processes already). Either way the engine gets the same :class:`Reading`, and what
is archived does not depend on where a page was read.

The pool's processes are spawned (never forked from a process with threads and a running
event loop), ignore SIGINT and SIGTERM (the crawl's own process handles them and shuts the
pool down when its in-flight items are done), and exit by themselves within a second when
the crawl's process is gone (SIGKILL, a crash), so that no command leaves one behind. A
pool whose process died (the OOM killer) is not the page's fault: the reader logs it and
reads in a thread from then on.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import structlog

from workers.net.content import decode_content, mime_of, to_text
from workers.parse.discover import (
    FeedEntry,
    PageInfo,
    Sitemap,
    analyse_html,
    is_feed_like,
    parse_feed,
    parse_html,
    parse_sitemap,
)
from workers.parse.story import Story

log = structlog.get_logger(__name__)

#: pages a crawl reads in threads before its pool processes start
START_AFTER = 200
#: whether pages are read in threads while the pool's processes start (else they wait)
THREADS_WHILE_STARTING = True
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
XML_TYPES = frozenset({"application/xml", "text/xml"})


@dataclass
class Reading:
    """What one body holds: a sitemap, a feed, or an HTML page (with its story when the
    page was read for one). ``page.extraction`` is always None here (its lxml elements
    do not cross processes): ``story`` is what the engine needs of it."""

    sitemap: Sitemap | None = None
    feed: list[FeedEntry] | None = None
    page: PageInfo | None = None
    story: Story | None = None


@dataclass(frozen=True)
class Body:
    """A fetched body and what says how to read it (picklable: sent to a pool process)."""

    url: str
    kind: str  # the frontier item's kind: "page", "sitemap", "feed", "cited", ...
    found_by: str
    content_type: str | None
    content_encoding: str | None
    raw: bytes


def read_body(body: Body, *, story: bool = False) -> Reading:
    """Read ``body``: a :class:`Reading` with what it holds (empty when nothing). Pure.

    ``story``: extract the story of an HTML page even without an article signal (one of
    a known story's URLs). Never raises for what a server sent.
    """
    mime = mime_of(body.content_type)
    raw, url = body.raw, body.url
    if body.kind == "sitemap" or (mime in XML_TYPES and "sitemap" in url.lower()):
        return Reading(sitemap=parse_sitemap(decode_content(raw, body.content_encoding), url))
    if body.kind == "feed" or is_feed_like(url, mime):
        entries = parse_feed(decode_content(raw, body.content_encoding), url)
        if entries is not None:
            return Reading(feed=entries)
    if mime in HTML_TYPES or (not mime and raw.lstrip()[:1] == b"<"):
        text = to_text(raw, body.content_type, body.content_encoding)
        origin = body.found_by if body.found_by in ("feed", "sitemap") else None
        page = analyse_html(url, text, origin=origin, doc=parse_html(text), story=story)
        extraction, page.extraction = page.extraction, None
        return Reading(page=page, story=None if extraction is None else extraction.story)
    return Reading()


class PageReader:
    """Runs :func:`read_body` in ``processes`` pool processes (0: in a thread).

    Use as an async context manager. The pool starts once ``start_after`` pages were read
    (:data:`START_AFTER`; until then, and until its processes are ready, pages are read
    in a thread) and is shut down on exit.
    """

    def __init__(self, processes: int = 0, *, start_after: int | None = None) -> None:
        self.processes = max(0, processes)
        self.start_after = START_AFTER if start_after is None else start_after
        self._reads = 0
        self.in_pool = 0  # pages read in a pool process (the rest: in a thread)
        self._pool: ProcessPoolExecutor | None = None
        self._ready: Future[None] | None = None
        self._closed = False

    async def __aenter__(self) -> PageReader:
        self._closed = False
        self._maybe_start()
        return self

    def _maybe_start(self) -> None:
        """Start the pool once ``start_after`` pages were read: a short crawl (a test, a
        re-crawl of a few stories) is over before processes would have imported lxml."""
        if self.processes == 0 or self._pool is not None or self._closed:
            return
        if self._reads < self.start_after:
            return
        pool = self._pool = ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_process,
            initargs=(os.getpid(),),
        )
        # the processes start (and import the parsers) while pages are read in threads
        self._ready = pool.submit(_warm_up)

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut the pool down: queued reads are dropped, running ones end, the processes
        are joined (none is left behind)."""
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            _stop_resource_tracker()
            log.info("page_reader_closed", reads=self._reads, in_pool=self.in_pool)

    async def read(self, body: Body, *, story: bool = False) -> Reading:
        """:func:`read_body` of ``body``, off the event loop."""
        self._reads += 1
        self._maybe_start()
        pool, ready = self._pool, self._ready
        waits = not THREADS_WHILE_STARTING
        if waits and pool is not None and ready is not None and not ready.done():
            with contextlib.suppress(BrokenProcessPool):
                await asyncio.wrap_future(ready)
        if pool is not None and ready is not None and ready.done():
            try:
                reading = await _run(pool, body, story)
                self.in_pool += 1
                return reading
            except BrokenProcessPool as exc:
                self._broken(pool, exc)
        return await asyncio.to_thread(read_body, body, story=story)

    def _broken(self, pool: Executor, exc: BaseException) -> None:
        if self._pool is pool:
            self._pool, self.processes = None, 0  # threads from now on
            log.error("parse_pool_broken", error=str(exc), fallback="thread")
            pool.shutdown(wait=True, cancel_futures=True)  # its processes are gone
            _stop_resource_tracker()


async def _run(pool: Executor, body: Body, story: bool) -> Reading:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, _read_in_process, body, story)


def _read_in_process(body: Body, story: bool) -> Reading:
    return read_body(body, story=story)


def _stop_resource_tracker() -> None:
    """multiprocessing's resource tracker (started with the pool) would outlive the
    pool until this process exits; stop it with the pool (it restarts when needed)."""
    from multiprocessing import resource_tracker

    stop = getattr(resource_tracker._resource_tracker, "_stop", None)
    if stop is not None:
        with contextlib.suppress(OSError, ChildProcessError):
            stop()


def _warm_up() -> None:
    from workers.parse.story import warm_up

    warm_up()


def _init_process(parent: int) -> None:
    """A pool process: Ctrl-C and SIGTERM (sent to the whole process group by a
    terminal, systemd or a container runtime) are the parent's to handle: it finishes its
    in-flight pages, which need this process, then shuts the pool down. Exit by itself
    when the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)
