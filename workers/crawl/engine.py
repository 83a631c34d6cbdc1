"""The URL engine: what becomes of one frontier item, whichever runner took it.

:meth:`Engine.process` fetches one item (robots.txt of its host first, when the host's
rules are not known yet), writes its records, parses what came back, folds the capture
into the version catalogue, and returns an :class:`Outcome`: how the item ended and the
URLs it found (:class:`Candidate`). It never queues anything itself: the runner hands
the outcome to its frontier (:mod:`workers.crawl.frontier`), which applies scope and budgets.
Both runners drive this class: the embedded crawl (:mod:`workers.crawl.local`) and the
service's host turn (:mod:`workers.crawl.host_turn`).

The flow for one item:

1. robots.txt, fetched (and archived) before any other path of a host, cached in the
   state by the RFC 9309 policy (:func:`~workers.net.politeness.robots_verdict`); a
   ``Crawl-delay`` raises the host's delay in the gate;
2. the exchange (and each redirect hop) is archived; HTML, sitemaps and feeds are parsed
   off the event loop; what they point to is returned *after* the record is written:

   * on the outlet (the crawl's scope hosts): every link, feeds, sitemaps;
   * from an article: its page requisites and its **cited sources** (links in the
     article body) on any host, up to ``cite_depth`` steps away.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import sqlite3
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import urlsplit

import structlog

from workers.core.errors import (
    ArchiveError,
    BlockedAddressError,
    FetchError,
    RedirectLoopError,
    StateError,
)
from workers.core.settings import Settings
from workers.core.types import CaptureWritten, Clock, Exchange, FrontierItem, StoredPayload
from workers.crawl import metrics
from workers.crawl.budgets import DISCOVERY_KINDS, url_shape
from workers.crawl.capture import write_exchange
from workers.crawl.frontier import Candidate, Outcome, Status
from workers.crawl.reading import Body, PageReader
from workers.crawl.stats import CrawlStats
from workers.net.fetch import RETRY_STATUSES, Fetcher, parse_retry_after
from workers.net.politeness import HostGate, RobotsRules, robots_verdict
from workers.parse.discover import FeedEntry, PageInfo, Sitemap
from workers.parse.identity import story_url
from workers.parse.story import EXTRACTOR, Story, extract_story
from workers.parse.urls import absolute_link, canonical, host_of
from workers.state.protocols import DigestIndex
from workers.versions.catalogue import Capture, Catalogue, StoryRow, story_fields
from workers.warc.reader import read_story_record
from workers.warc.records import REVISIT_NOT_MODIFIED
from workers.warc.writer import Archive

log = structlog.get_logger(__name__)

PERMANENT_REDIRECTS = frozenset({301, 308})
MAX_PARSE_BYTES = 16 * 1024 * 1024

Mode = Literal["crawl", "recrawl", "discover"]
_T = TypeVar("_T")


class EngineStore(Protocol):
    """What the engine keeps in the crawl state: robots.txt cache and citation graph."""

    def robots_get(self, host: str, max_age: float) -> tuple[int | None, bytes] | None: ...

    def robots_put(self, host: str, status: int | None, body: bytes) -> None: ...

    def add_citations(self, article_url: str, cited: Iterable[tuple[str, str]]) -> None: ...

    def citations(self, article_url: str) -> list[tuple[str, str]]: ...


class Delivery(Protocol):
    """Hands new versions downstream once their WARC file is closed (an outbox)."""

    def deliver(self, closed_files: Iterable[str] | None = None) -> int: ...


@dataclass
class Found:
    """What parsing one response yielded."""

    page: PageInfo | None = None
    sitemap: Sitemap | None = None
    feed: list[FeedEntry] | None = None
    story: Story | None = None
    story_url: str | None = None  # the canonical URL naming the story of this page
    story_before: StoryRow | None = None  # the story this capture belongs to, if known
    # the last version's fingerprint under today's extractor, when another one made it
    refingerprint: str | None = None


@dataclass
class _Job:
    """One item being processed: what :meth:`Engine.process` was given and is building."""

    item: FrontierItem
    retry: bool  # an earlier attempt may have written it and followed nothing
    stats: CrawlStats
    known: Callable[[str], bool]  # whether a URL key is already seen in the item's crawl
    out: Outcome = field(default_factory=Outcome)


class Engine:
    """Processes frontier items (see the module docstring). One per runner and event loop.

    ``scope_hosts``: the outlet's hosts, whose links are followed (a discovery runner
    serves several outlets at once). ``mode``: "crawl", "discover" (known stories wait
    for their schedule; the frontier applies that) or "recrawl" (no robots sitemaps).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        archive: Archive,
        store: EngineStore,
        digests: DigestIndex,
        gate: HostGate,
        scope_hosts: frozenset[str],
        catalogue: Catalogue | None = None,
        outbox: Delivery | None = None,
        mode: Mode = "crawl",
        clock: Clock,
        parse_processes: int = 0,
    ) -> None:
        self.settings = settings
        self.archive = archive
        self.store = store
        self.digests = digests
        self.gate = gate
        self.scope_hosts = scope_hosts
        self.catalogue = catalogue
        self.outbox = outbox
        self.mode = mode
        self.clock = clock
        self.ua_token = settings.user_agent.split("/", 1)[0]
        self._robots: dict[str, RobotsRules] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._fetcher: Fetcher | None = None
        self.reader = PageReader(parse_processes)
        self._writer: ThreadPoolExecutor | None = None

    async def __aenter__(self) -> Engine:
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="warc-writer")
        await self.reader.__aenter__()
        try:
            self._fetcher = await Fetcher(
                self.settings, gate=self.gate, clock=self.clock
            ).__aenter__()
        except BaseException:
            self.reader.close()
            self._close_writer()
            raise
        return self

    def _close_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.shutdown(wait=True)  # a record being written is finished

    async def __aexit__(self, *exc: object) -> None:
        fetcher, self._fetcher = self._fetcher, None
        try:
            if fetcher is not None:
                await fetcher.__aexit__(None, None, None)
        finally:
            self.reader.close()
            self._close_writer()

    def crawl_delay(self, host: str) -> float | None:
        """The host's robots.txt ``Crawl-delay`` for us, once its rules are known."""
        rules = self._robots.get(host)
        return None if rules is None else rules.crawl_delay(self.ua_token)

    # -- one item -------------------------------------------------------------------------
    async def process(
        self,
        item: FrontierItem,
        *,
        stats: CrawlStats,
        retry: bool = False,
        known: Callable[[str], bool] = lambda _key: False,
    ) -> Outcome:
        """Fetch, archive and read ``item``; return how it ended and what it found.

        A bug is logged and the item ends "failed: internal error" (not retried forever).
        An :class:`ArchiveError` or :class:`StateError` (disk full, I/O error, SQLite or
        Redis gone) is not the URL's fault: it propagates and the runner stops, leaving
        the item queued for the resume.
        """
        job = _Job(item, retry, stats, known)
        try:
            await self._process(job)
        except (ArchiveError, StateError):
            raise
        except sqlite3.Error as exc:  # the catalogue's own tables, in the state's file
            where = str(getattr(self.store, "path", "the state database"))
            raise StateError(where, f"{exc} (check the disk)") from exc
        except OSError as exc:  # a local file: a body's spool file, a disk that is full
            where = exc.filename or tempfile.gettempdir()
            raise ArchiveError(where, f"{exc} (check the disk)") from exc
        except Exception:
            stats.errors += 1
            log.exception("crawl_item_failed", url=item.url, kind=item.kind)
            return Outcome("failed", "internal error")
        return job.out

    async def _process(self, job: _Job) -> None:
        item, out = job.item, job.out
        rules = await self._rules(item, job.stats)
        if item.kind == "robots":  # queued by an earlier version of the frontier
            out.note = "robots.txt read"
            return
        if rules.reason is not None:
            # robots.txt failed (5xx, no answer) or the address guard refused the host:
            # not the site's wish, so not "blocked"; the URL is tried again next run
            job.stats.robots_unavailable += 1
            self._end(job, "failed", rules.reason)
            log.warning("robots_unavailable", url=item.url, reason=rules.reason)
            return
        if item.found_by == "seed" and item.hops == 0 and self.mode != "recrawl":
            out.found.extend(self._robots_sitemaps(item, rules))
        if not rules.allowed(item.url, self.ua_token):
            job.stats.blocked += 1
            metrics.ROBOTS_BLOCKED.inc()
            self._end(job, "blocked", "robots.txt", seed_reason="disallowed by robots.txt")
            log.info("robots_blocked", url=item.url)
            return
        await self._fetch_and_follow(job)

    def _end(self, job: _Job, status: Status, note: str, seed_reason: str | None = None) -> None:
        job.out.status, job.out.note = status, note
        item = job.item
        if item.found_by in ("seed", "recrawl") and item.hops == 0:
            job.out.seed_failed = seed_reason or note

    # -- robots.txt -----------------------------------------------------------------------
    async def _rules(self, item: FrontierItem, stats: CrawlStats) -> RobotsRules:
        """The item's host rules: known, cached in the state, or fetched now (once per
        host at a time: concurrent items of the host wait for the one fetch)."""
        host = item.host
        rules = self._valid_rules(host)
        if rules is not None:
            return rules
        lock = self._robots_locks.setdefault(host, asyncio.Lock())
        async with lock:
            rules = self._valid_rules(host) or self._cached_robots(host)
            if rules is None:
                rules = await self._fetch_robots(item, stats)
            self._set_robots(host, rules)
            return rules

    def _valid_rules(self, host: str) -> RobotsRules | None:
        rules = self._robots.get(host)
        if rules is not None and rules.expired(self.clock().timestamp()):
            return None  # temporary rules run out: read robots.txt again
        return rules

    def _set_robots(self, host: str, rules: RobotsRules) -> None:
        self._robots[host] = rules
        self.gate.set_crawl_delay(host, rules.crawl_delay(self.ua_token))

    def _robots_sitemaps(self, item: FrontierItem, rules: RobotsRules) -> list[Candidate]:
        """A seed of the outlet brings the sitemaps its robots.txt lists (or the usual one)."""
        if item.host not in self.scope_hosts:
            return []
        parts = urlsplit(item.url)
        listed = [absolute_link(item.url, sm) for sm in rules.sitemaps()]  # may be relative
        sitemaps = [sm for sm in listed if sm] or [f"{parts.scheme}://{parts.netloc}/sitemap.xml"]
        return [Candidate(sm, "sitemap", 0, 0, None, "robots") for sm in sitemaps]

    def _robots_rules(
        self,
        host: str,
        status: int | None,
        body: bytes,
        refused: str | None = None,
        detail: str | None = None,
    ) -> RobotsRules:
        """The rules a robots.txt fetch gives, by the RFC 9309 policy (robots_verdict)."""
        s = self.settings
        return RobotsRules.from_response(
            status,
            body,
            refused=refused,
            max_age=s.robots_max_age,
            retry_seconds=s.robots_retry_seconds,
            now=self.clock().timestamp(),
            url=f"robots.txt of {host}",
            detail=detail,
        )

    def _cached_robots(self, host: str) -> RobotsRules | None:
        """The host's robots.txt rules from the state's cache, if still valid there: a
        fetched file for ``robots_max_age``, a failed fetch only for its short retry time."""
        s = self.settings
        cached = self.store.robots_get(host, s.robots_max_age)
        if cached is None:
            return None
        verdict = robots_verdict(
            cached[0], max_age=s.robots_max_age, retry_seconds=s.robots_retry_seconds
        )
        if verdict.cache_seconds < s.robots_max_age:
            cached = self.store.robots_get(host, verdict.cache_seconds)
            if cached is None:
                return None
        return self._robots_rules(host, *cached)

    async def _fetch_robots(self, of: FrontierItem, stats: CrawlStats) -> RobotsRules:
        assert self._fetcher is not None
        item = of if of.kind == "robots" else FrontierItem.robots(of.url)
        status: int | None = None
        body = b""
        refused: str | None = None
        detail: str | None = None
        try:
            async for exchange in self._fetcher.fetch(item.url):
                try:
                    if exchange.redirect_to is None:
                        status = exchange.status
                        exchange.body.seek(0)
                        body = exchange.body.read(512 * 1024)
                    await self._write(item, exchange, [("foundBy", "robots")], stats)
                finally:
                    exchange.close()
        except BlockedAddressError as exc:
            refused = f"{exc.url}: {exc.message}"
            stats.errors += 1
            log.warning("robots_failed", url=item.url, error=exc.message)
        except RedirectLoopError as exc:
            status = 404  # RFC 9309 2.3.1.2: too many redirects is "unavailable"
            log.warning("robots_failed", url=item.url, error=exc.message)
        except FetchError as exc:
            detail = exc.message
            stats.errors += 1
            log.warning("robots_failed", url=item.url, error=exc.message)
        rules = self._robots_rules(item.host, status, body, refused, detail)
        if refused is None:  # an address-guard refusal is never remembered
            self.store.robots_put(item.host, status, body)
        stats.pages += 1
        log.info("robots_loaded", host=item.host, status=status, mode=rules.mode)
        return rules

    # -- fetching and archiving ------------------------------------------------------------
    async def _fetch_and_follow(self, job: _Job) -> None:
        assert self._fetcher is not None
        item, out = job.item, job.out
        found: Found | None = None
        last: Exchange | None = None
        error: FetchError | None = None
        try:
            fetching = self._fetcher.fetch(
                item.url, follow=self._redirect_rule(job), extra_headers=self._validators(job)
            )
            async for exchange in fetching:
                try:
                    made, parsed = await self._handle(job, exchange)
                    out.new_version |= made
                    found = parsed or found
                    self._note_retry_after(exchange)
                finally:
                    exchange.close()
                last = exchange
        except FetchError as exc:
            error = exc
            job.stats.errors += 1
            metrics.FETCH_ERRORS.labels(type(exc).__name__).inc()
            log.warning(
                "fetch_failed", url=item.url, error=exc.message, error_type=type(exc).__name__
            )
        # the records are written: now what they point to may be queued
        if found is not None and last is not None:
            self._follow(job, last.url, found)
        if last is not None and last.redirect_to is not None and error is None:
            out.found.append(
                Candidate(
                    last.redirect_to, item.kind, item.hops, item.cite_depth, last.url, "redirect"
                )
            )
        job.stats.pages += 1
        if error is not None:
            self._end(job, "failed", error.message)

    def _redirect_rule(self, job: _Job) -> Callable[[str], bool]:
        item = job.item

        def follow(target: str) -> bool:
            """Follow a same-host redirect inline when robots allow and it is new."""
            host = host_of(target)
            rules = self._robots.get(host)
            if host != item.host or rules is None or not rules.allowed(target, self.ua_token):
                return False
            key = canonical(target)
            if job.known(key) or any(hop.key == key for hop in job.out.followed):
                return False  # already seen in this crawl: fetched on its own
            job.out.followed.append(
                FrontierItem(
                    url=target,
                    key=key,
                    host=host,
                    kind=item.kind,
                    hops=item.hops,
                    cite_depth=item.cite_depth,
                    via=item.url,
                    found_by="redirect",
                )
            )
            return True

        return follow

    def _validators(self, job: _Job) -> dict[str, str] | None:
        """Conditional-request headers from the story's last capture, if it had any."""
        item = job.item
        if self.catalogue is None or item.kind != "page" or job.retry:
            return None  # a 304 would leave a half-done first attempt's links unfollowed
        story = self.catalogue.story_for(item.url)
        if story is None or story.status != "live" or not story.versions:
            return None
        headers = {}
        if story.etag:
            headers["If-None-Match"] = story.etag
        if story.last_modified:
            headers["If-Modified-Since"] = story.last_modified
        return headers or None

    async def _handle(self, job: _Job, exchange: Exchange) -> tuple[bool, Found | None]:
        """Parse, archive and catalogue one exchange; (made a new version, what it holds)."""
        item = job.item
        meta = _base_metadata(item)
        final_ok = exchange.redirect_to is None and 200 <= exchange.status < 300
        found = None
        if final_ok and item.kind != "requisite":
            found = await self._read(item, exchange)
            meta.extend(_discovery_metadata(found))
        prev = None
        if found is not None and found.story_url is not None:
            prev = found.story_before
        elif self.catalogue is not None and item.kind == "page":
            prev = self.catalogue.story_for(exchange.url)
        fields = self._story_fields(exchange, found, prev)
        meta.extend(fields)
        not_modified = None
        if exchange.status == 304 and prev is not None and prev.payload:
            ref = prev.payload_ref() or {}
            not_modified = StoredPayload(ref["uri"], ref["date"], ref["record_id"], ref["digest"])
        written = await self._write(item, exchange, meta, job.stats, not_modified)
        if item.kind in DISCOVERY_KINDS:
            job.out.discovery_bytes += exchange.body_length
        made = bool(fields) and self._catalogue(exchange, written, meta, job.stats)
        return made, found

    def _story_fields(
        self, exchange: Exchange, found: Found | None, prev: StoryRow | None
    ) -> list[tuple[str, str]]:
        """The story's fate in this capture: new version, unchanged, gone, moved, ..."""
        if self.catalogue is None:
            return []
        if exchange.truncated is not None:
            # a cut body is archived as such (WARC-Truncated) but is not the story: no
            # version, and no validators that would make the next fetch a 304 against it
            log.warning("story_not_read", url=exchange.url, truncated=exchange.truncated)
            return []
        status = exchange.status
        if exchange.redirect_to is not None:
            if prev is not None and status in PERMANENT_REDIRECTS:
                return [
                    ("storyStatus", "moved"),
                    ("movedTo", exchange.redirect_to),
                    ("httpStatus", str(status)),
                ]
            return []
        if status in (404, 410):
            return [("storyStatus", "gone"), ("httpStatus", str(status))] if prev else []
        if status == 304:
            if prev is None or not prev.versions:
                return []
            return [
                ("storyStatus", "not-modified"),
                ("storyVersion", str(prev.versions)),
                ("storyFingerprint", prev.fingerprint or ""),
            ]
        if found is None or found.story is None:
            return []
        story = found.story
        # compare like with like: the last version as today's extractor reads it
        before = found.refingerprint or (prev.fingerprint if prev is not None else None)
        variant = found.story_url is not None and found.story_url != canonical(exchange.url)
        fields = story_fields(story, prev, before=before, variant=variant, status=status)
        if story.wall is not None:
            metrics.WALLS.labels(story.wall).inc()
        if found.story_url is not None:
            fields.append(("storyUrl", found.story_url))
        fields.append(("payloadDigest", exchange.payload_digest))
        page = found.page
        if page is not None and page.published:
            fields.append(("published", page.published))
        for name, header in (("etag", "ETag"), ("lastModified", "Last-Modified")):
            value = exchange.header(header)
            if value:
                fields.append((name, value))
        return fields

    def _catalogue(
        self,
        exchange: Exchange,
        written: CaptureWritten,
        meta: list[tuple[str, str]],
        stats: CrawlStats,
    ) -> bool:
        """Fold the capture into the catalogue; queue a new version's message."""
        assert self.catalogue is not None
        fields: dict[str, list[str]] = {}
        for name, value in meta:
            fields.setdefault(name, []).append(" ".join(str(value).split()))
        capture = Capture(
            url=exchange.url, time=exchange.started, location=written.main, fields=fields
        )
        message = self.catalogue.apply(capture)
        if message is None:
            return False
        stats.versions += 1
        metrics.VERSIONS.inc()
        log.info(
            "new_version",
            url=exchange.url,
            version=message["version"],
            fingerprint=message["fingerprint"],
        )
        # a file closed by the write itself closed before its message existed
        closed = {p.name for p in self.archive.closed_files}
        if self.outbox is not None and written.main.filename in closed:
            self.outbox.deliver(closed)
        return True

    async def _write(
        self,
        item: FrontierItem,
        exchange: Exchange,
        meta: list[tuple[str, str]],
        stats: CrawlStats,
        not_modified: StoredPayload | None = None,
    ) -> CaptureWritten:
        if not_modified is not None:
            written = await self._in_writer(
                self.archive.write_capture,
                exchange,
                revisit_of=not_modified,
                metadata=meta,
                revisit_profile=REVISIT_NOT_MODIFIED,
            )
        else:
            written = await self._in_writer(
                write_exchange, self.archive, self.digests, exchange, meta
            )
        stats.fetched += 1
        stats.bytes += exchange.body_length
        metrics.FETCHES.labels(metrics.status_class(exchange.status)).inc()
        metrics.FETCH_BYTES.inc(exchange.body_length)
        if item.kind in DISCOVERY_KINDS:
            stats.sitemaps += 1
            stats.sitemap_bytes += exchange.body_length
        if written.is_revisit:
            stats.revisits += 1
        if item.kind == "cited" and exchange.redirect_to is None:
            stats.cited += 1
        return written

    async def _in_writer(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
        """``fn(*args, **kwargs)`` in the writer thread (with this task's context vars).

        One thread writes every record, in the order the items ask: no two threads wait
        for the archive's and the state's locks in turn, and the event loop only hands
        the work over (the gzip compression releases the GIL; the rest is Python)."""
        writer = self._writer
        if writer is None:
            return await asyncio.to_thread(fn, *args, **kwargs)
        ctx = contextvars.copy_context()
        call = functools.partial(ctx.run, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(writer, call)

    def _note_retry_after(self, exchange: Exchange) -> None:
        if exchange.status in RETRY_STATUSES:
            wait = parse_retry_after(exchange.header("Retry-After"))
            if wait is not None:
                self.gate.push_back(host_of(exchange.url), min(wait, self.settings.retry_after_max))

    # -- reading -------------------------------------------------------------------------
    async def _read(self, item: FrontierItem, exchange: Exchange) -> Found:
        """Read a 2xx body (in the reader's process or thread); look its story up."""
        exchange.body.seek(0)
        raw = exchange.body.read(MAX_PARSE_BYTES)
        exchange.body.seek(0)
        body = Body(
            exchange.url,
            item.kind,
            item.found_by,
            exchange.header("Content-Type"),
            exchange.header("Content-Encoding"),
            raw,
        )
        reading = await self.reader.read(body)
        page = reading.page
        if page is None:
            return Found(sitemap=reading.sitemap, feed=reading.feed)
        if self.catalogue is None or item.kind != "page":
            return Found(page=page)
        named = story_url(exchange.url, page.canonical, page.og_url)
        before = self.catalogue.story_for(exchange.url, named)
        if reading.story is None and before is not None:
            # one of a known story's URLs: its story is read even without an article sign
            reading = await self.reader.read(body, story=True)
            assert reading.page is not None
            page = reading.page
        story = reading.story
        if story is None or not (page.is_article or before is not None or story.wall is not None):
            return Found(page=page, story_url=named)
        found = Found(page=page, story=story, story_url=named, story_before=before)
        if before is not None and before.fingerprint and before.extractor != EXTRACTOR:
            found.refingerprint = await asyncio.to_thread(self._refingerprint, before)
        return found

    def _refingerprint(self, story: StoryRow) -> str | None:
        """The fingerprint today's extractor gives the story's last version, read back from
        its WARC record (runs in a worker thread); None if the record cannot be read."""
        assert self.catalogue is not None
        versions = self.catalogue.versions(story.story_id)
        if not versions:
            return None
        warc = versions[-1].warc
        path = self.archive.warc_dir / str(warc.get("filename", ""))
        try:
            record = read_story_record(path.parent, path.name, int(warc.get("offset", 0)))
        except ArchiveError as exc:
            log.warning("refingerprint_failed", url=story.url, warc=str(path), error=str(exc))
            return None
        return extract_story(record.text()).fingerprint

    # -- what an item leads to ----------------------------------------------------------
    def _follow(self, job: _Job, page_url: str, found: Found) -> None:
        item, out = job.item, job.out
        s = self.settings
        found_here = out.found
        if found.sitemap is not None:
            for child in found.sitemap.sitemaps:
                # a sitemap's hops are its nesting depth
                found_here.append(
                    Candidate(child, "sitemap", item.hops + 1, 0, page_url, "sitemap")
                )
            horizon = self.clock() - timedelta(days=s.news_window_days)
            for entry in found.sitemap.entries:
                when = entry.news_published or entry.lastmod
                if when is not None and when < horizon:
                    continue
                if entry.lastmod is not None:
                    self._announce(entry.url, entry.lastmod)
                kind = "sitemap" if seed_kind(entry.url) == "sitemap" else "page"
                found_here.append(Candidate(entry.url, kind, item.hops + 1, 0, page_url, "sitemap"))
        if found.feed is not None:
            for feed_entry in found.feed:
                if feed_entry.updated is not None:
                    self._announce(feed_entry.url, feed_entry.updated)
                found_here.append(
                    Candidate(feed_entry.url, "page", item.hops + 1, 0, page_url, "feed")
                )
        page = found.page
        if page is None:
            return
        if page.is_article:
            job.stats.articles += 1
        if item.kind == "page":
            out.article = page.is_article
        shape = url_shape(item.host, item.key)
        # a link from a non-article page to a page of its own shape continues a chain
        chains = item.kind == "page" and not page.is_article
        if item.kind == "page" and item.found_by == "recrawl":
            # a new version may cite new sources and show new images; a retried item's
            # first attempt may have made that version and died before following it
            if out.new_version or job.retry:
                known = {url for url, _ in self.store.citations(page_url)}
                self._follow_article(job, page_url, page, skip=known)
        elif item.kind == "page":
            for link in page.links:
                host = host_of(link.url)
                if host in self.scope_hosts:
                    linked = chains and url_shape(host, canonical(link.url)) == shape
                    found_here.append(
                        Candidate(link.url, "page", item.hops + 1, 0, page_url, "link", linked)
                    )
            for feed in page.feeds:
                found_here.append(Candidate(feed, "feed", item.hops, 0, page_url, "feed-link"))
            if page.is_article:
                self._follow_article(job, page_url, page, skip=set())
        elif item.kind == "cited" and item.cite_depth < s.cite_depth:
            links = (
                page.cited
                if page.is_article
                else [link for link in page.links if link.region in ("body", "page")]
            )
            for link in links:
                found_here.append(
                    Candidate(
                        link.url,
                        "cited",
                        item.hops + 1,
                        item.cite_depth + 1,
                        page_url,
                        "citation",
                    )
                )

    def _follow_article(self, job: _Job, page_url: str, page: PageInfo, skip: set[str]) -> None:
        """An article's requisites and cited sources; the citations are recorded."""
        item = job.item
        s = self.settings
        if s.requisites:
            for req in page.requisites:
                job.out.found.append(
                    Candidate(
                        req, "requisite", item.hops + 1, item.cite_depth, page_url, "requisite"
                    )
                )
        self.store.add_citations(page_url, [(c.url, c.text) for c in page.cited])
        if s.cite_depth >= 1:
            for link in page.cited:
                if host_of(link.url) not in self.scope_hosts and link.url not in skip:
                    job.out.found.append(
                        Candidate(link.url, "cited", item.hops + 1, 1, page_url, "citation")
                    )

    def _announce(self, url: str, when: datetime) -> None:
        """A feed or sitemap dates ``url``: pull its re-crawl forward if that is news."""
        if self.catalogue is not None and self.catalogue.announce(url, when, self.clock()):
            log.info("recrawl_pulled_forward", url=url, announced=when.isoformat())


def _base_metadata(item: FrontierItem) -> list[tuple[str, str]]:
    fields = [("foundBy", item.found_by), ("hopsFromSeed", str(item.hops))]
    if item.via:
        fields.append(("sourceUrl", item.via))
    if item.cite_depth:
        fields.append(("citeDepth", str(item.cite_depth)))
    return fields


def _discovery_metadata(found: Found) -> list[tuple[str, str]]:
    page = found.page
    if page is None:
        return []
    fields = [("title", page.title)] if page.title else []
    if page.canonical:
        fields.append(("canonical", page.canonical))
    if page.is_article:
        fields.append(("article", ",".join(page.article_signals)))
    fields.extend(("outlink", f"{link.url} {link.region}") for link in page.links)
    fields.extend(("cited", f"{link.url} {link.text}".strip()) for link in page.cited)
    return fields


def seed_kind(url: str) -> str:
    """What a URL the user gave is, by its path: "sitemap", "feed" or "page"."""
    path = urlsplit(url).path.lower()
    if "sitemap" in path and path.endswith((".xml", ".xml.gz")):
        return "sitemap"
    if path.endswith((".rss", ".atom", "/feed", "/rss", "/feed/", "/rss/", "rss.xml", "atom.xml")):
        return "feed"
    return "page"
