"""The embedded crawler: an outlet, its feeds and sitemaps, and the sources it cites.

One process, no Redis: the frontier and seen set live in the SQLite state beside the
archive, so an interrupted crawl resumes where it stopped. The flow for each URL:

1. The host's robots.txt is fetched (and archived) before any other path on that host;
   disallowed URLs are never requested. ``Crawl-delay`` raises the host's delay.
2. Every request passes the :class:`~workers.politeness.HostGate` (per-host delay and
   concurrency); the global concurrency is the number of worker tasks.
3. The exchange is archived; HTML, sitemaps and feeds are parsed off the event loop, and
   what they point to is queued *after* the record is written:

   * on the outlet (the seeds' hosts, in scope): every link, feeds, sitemaps;
   * from an article: its page requisites and its **cited sources** (links in the
     article body) on any host, up to ``cite_depth`` steps away.

Run :meth:`Crawler.run`; :meth:`Crawler.request_stop` (SIGINT/SIGTERM) lets in-flight
fetches finish, closes the WARC cleanly and leaves the rest queued for the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import structlog

from workers.archive import Archive, CaptureWritten, StoredPayload
from workers.budgets import DISCOVERY_KINDS, Budgets, Parked, Skip, url_shape
from workers.capture import write_exchange
from workers.catalogue import Capture, Catalogue, StoryRow, story_fields
from workers.content import mime_of, to_text
from workers.discover import (
    FeedEntry,
    PageInfo,
    Sitemap,
    analyse_html,
    is_feed_like,
    parse_feed,
    parse_html,
    parse_sitemap,
)
from workers.errors import (
    ArchiveError,
    BlockedAddressError,
    CrawlAborted,
    FetchError,
    RedirectLoopError,
    StateError,
)
from workers.fetch import RETRY_STATUSES, Exchange, Fetcher, parse_retry_after
from workers.identity import story_url
from workers.outbox import Outbox
from workers.politeness import HostGate, RobotsRules, robots_verdict
from workers.reader import read_record
from workers.reindex import reconcile
from workers.settings import Settings
from workers.state import CrawlStore, DigestIndex, FrontierItem, SQLiteState
from workers.story import EXTRACTOR, Story, extract_story
from workers.urls import Scope, absolute_link, canonical, host_of, safe_url
from workers.warc import REVISIT_NOT_MODIFIED

log = structlog.get_logger(__name__)

MODES = ("crawl", "recrawl", "discover")
PERMANENT_REDIRECTS = frozenset({301, 308})
PRIORITY = {"robots": 0, "sitemap": 1, "feed": 1, "page": 3, "cited": 4, "requisite": 6}
MAX_PARSE_BYTES = 16 * 1024 * 1024
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


@dataclass
class CrawlStats:
    """Live numbers of a crawl (what the progress display and the summary show)."""

    started: float = field(default_factory=time.monotonic)
    fetched: int = 0  # HTTP exchanges archived
    pages: int = 0  # URLs completed
    bytes: int = 0
    articles: int = 0
    cited: int = 0
    errors: int = 0
    blocked: int = 0
    robots_unavailable: int = 0  # URLs not fetched: their host's robots.txt failed
    revisits: int = 0
    versions: int = 0
    hosts: set[str] = field(default_factory=set)
    sitemaps: int = 0  # sitemap and feed exchanges archived
    sitemap_bytes: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # URLs left out, by reason
    queued: int = 0
    in_flight: int = 0

    def as_dict(self) -> dict[str, object]:
        elapsed = max(1e-9, time.monotonic() - self.started)
        return {
            "pages": self.pages,
            "exchanges": self.fetched,
            "bytes": self.bytes,
            "articles": self.articles,
            "cited_sources": self.cited,
            "errors": self.errors,
            "robots_blocked": self.blocked,
            "robots_unavailable": self.robots_unavailable,
            "revisits": self.revisits,
            "new_versions": self.versions,
            "hosts": len(self.hosts),
            "sitemaps": self.sitemaps,
            "sitemap_bytes": self.sitemap_bytes,
            "skipped": dict(sorted(self.skipped.items())),
            "queued": self.queued,
            "in_flight": self.in_flight,
            "elapsed_s": round(elapsed, 3),
            "pages_per_s": round(self.pages / elapsed, 2),
        }


@dataclass
class CrawlSummary:
    crawl_id: int
    resumed: bool
    interrupted: bool
    stats: dict[str, object]
    #: seeds that could not be captured, with the reason (robots.txt, address guard, ...)
    seeds_failed: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "crawl_id": self.crawl_id,
            "resumed": self.resumed,
            "interrupted": self.interrupted,
            **self.stats,
            "seeds_failed": dict(self.seeds_failed),
        }


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


class Crawler:
    """Crawl ``seeds`` into ``archive``; state (frontier, robots, digests) in ``state``."""

    def __init__(
        self,
        settings: Settings,
        seeds: Sequence[str],
        *,
        state: CrawlStore,
        archive: Archive,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_progress: Callable[[dict[str, object]], None] | None = None,
        catalogue: Catalogue | None = None,
        outbox: Outbox | None = None,
        mode: str = "crawl",
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.settings = settings
        self.catalogue = catalogue
        self.outbox = outbox
        self.mode = mode
        self.seeds = list(dict.fromkeys(seeds))
        self.state = state
        self.archive = archive
        self._now = now
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
        self.ua_token = settings.user_agent.split("/", 1)[0]
        self._robots: dict[str, RobotsRules] = {}
        self.seeds_failed: dict[str, str] = {}
        self._robots_waited: set[str] = set()  # keys that waited for a robots.txt retry
        self._queues: dict[str, list[tuple[int, int, FrontierItem]]] = {}
        self._dispatched: dict[str, int] = {}
        self._budgets = Budgets(settings)
        self.stats.skipped = self._budgets.skipped
        self._seen_keys: set[str] = set()  # keys this process has queued in this crawl
        # keys of items an interrupted run may have left half-done (records written, links
        # not followed): fetched without validators and followed as on a first capture
        self._retries: set[str] = set()
        self._seq = 0
        self._in_flight = 0
        self._stopping = False
        self._changed: asyncio.Condition | None = None
        self.crawl_id = 0
        self.resumed = False
        self._fetcher: Fetcher | None = None

    @property
    def budgets(self) -> Budgets:
        """The budgets of the crawl being run (the service's host turns: of the item's)."""
        return self._budgets

    # -- public -------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Stop taking new URLs; in-flight fetches finish and are archived."""
        if not self._stopping:
            log.info("crawl_stopping", in_flight=self._in_flight)
        self._stopping = True
        if self._changed is not None:
            asyncio.get_running_loop().create_task(self._notify())

    async def run(self) -> CrawlSummary:
        """Crawl until the frontier is empty or a stop is requested; return the summary."""
        self._changed = asyncio.Condition()
        self.crawl_id, self.resumed = self.state.begin_crawl(
            self.seeds if self.mode == "crawl" else [f"{self.mode}:{s}" for s in self.seeds]
        )
        self._seq = self.state.max_seq(self.crawl_id)
        self.budgets.restore_pages(self.state.host_page_counts(self.crawl_id))
        log.info("crawl_started", crawl_id=self.crawl_id, resumed=self.resumed, seeds=self.seeds)
        for item in self.state.queued(self.crawl_id):
            self._retries.add(item.key)
            self._push(item)
            self._ensure_robots(item.host, item.url)
        for seed in self.seeds:
            self.enqueue(
                seed,
                kind=_seed_kind(seed),
                hops=0,
                cite_depth=0,
                via=None,
                found_by="recrawl" if self.mode == "recrawl" else "seed",
            )
        ticker = asyncio.create_task(self._tick()) if self._on_progress else None
        async with Fetcher(self.settings, gate=self.gate) as fetcher:
            self._fetcher = fetcher
            workers = [
                asyncio.create_task(self._worker())
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
        interrupted = self._stopping and self._queued_count() > 0
        if not interrupted:
            self.state.finish_crawl(self.crawl_id)
        self.stats.queued = self._queued_count()
        summary = CrawlSummary(
            self.crawl_id, self.resumed, interrupted, self.stats.as_dict(), self.seeds_failed
        )
        log.info("crawl_finished", **summary.as_dict())
        return summary

    def _aborted(self, failure: ArchiveError | StateError) -> CrawlAborted:
        """The error that ends a crawl whose archive or state failed, with its summary."""
        try:
            queued = self.state.url_counts(self.crawl_id).get("queued", 0)
        except StateError:
            queued = self._queued_count()
        self.stats.queued = queued
        error = CrawlAborted(failure, queued)
        error.summary = CrawlSummary(
            self.crawl_id, self.resumed, True, self.stats.as_dict(), self.seeds_failed
        ).as_dict()
        error.summary["error"] = str(error)
        log.error("crawl_aborted", error=str(failure), queued=queued)
        return error

    # -- frontier ---------------------------------------------------------------------------
    def enqueue(
        self,
        url: str,
        *,
        kind: str,
        hops: int,
        cite_depth: int,
        via: str | None,
        found_by: str,
        self_linked: bool = False,
    ) -> bool:
        """Queue ``url`` if it is new to this crawl and passes scope and budgets.

        ``self_linked``: found on a page of its own URL shape that is not an article (a
        calendar's "next day", a listing's "page 2"); past ``trap_chain_max`` such pages of
        one shape are a trap.
        """
        url = safe_url(url)  # fetched, recorded and compared as a valid URL
        key = canonical(url)
        if key in self._seen_keys:
            return False  # seen in this crawl: the common case for nav links
        host = host_of(url)
        skip: Skip | None = None
        if kind == "page":
            out = self.scope.reason_out(url)
            if out is not None:
                skip = Skip("path-trap" if out.startswith("path ") else "out-of-scope", out)
            elif hops > self.settings.max_hops:
                skip = Skip("hops", f"more than {self.settings.max_hops} hops from a seed")
            if skip is None:
                skip = self.budgets.page_skip(host, key, found_by, self_linked)
            if skip is None and self._known_story_skipped(url, found_by):
                skip = Skip("known-story", "known story: re-crawled on its schedule")
        elif kind in DISCOVERY_KINDS:
            skip = self.budgets.discovery_skip(host, hops)
        if skip is not None:
            self.budgets.skip(skip, Parked(key, url, host, kind, hops, cite_depth, via, found_by))
            log.debug("url_skipped", url=url, reason=skip.reason, detail=skip.detail)
            return False
        self._seq += 1
        item = FrontierItem(
            url=url,
            key=key,
            host=host,
            kind=kind,
            hops=hops,
            cite_depth=cite_depth,
            via=via,
            found_by=found_by,
            priority=PRIORITY.get(kind, 5) - (1 if hops == 0 else 0),
            seq=self._seq,
        )
        self._seen_keys.add(key)
        if not self._queue(item):
            return False
        self.budgets.queued(kind, host, key, self_linked)
        self._push(item)
        self._ensure_robots(host, url)
        return True

    def _queue(self, item: FrontierItem) -> bool:
        """Add ``item`` to the crawl's frontier; False if the crawl had seen its key."""
        return self.state.add_url(self.crawl_id, item)

    def _mark(self, item: FrontierItem, status: str, note: str | None = None) -> None:
        """Record ``item``'s outcome: it leaves the frontier (its records are written)."""
        self.state.mark(self.crawl_id, item.key, status, note)

    @property
    def _digests(self) -> DigestIndex:
        """Where payload digests are looked up and remembered (revisit records)."""
        return self.state

    def _known_story_skipped(self, url: str, found_by: str) -> bool:
        """In discovery passes, stories already known wait for their schedule."""
        return (
            self.mode == "discover"
            and found_by in ("link", "feed", "sitemap", "redirect")
            and self.catalogue is not None
            and self.catalogue.story_for(url) is not None
        )

    def _push(self, item: FrontierItem) -> None:
        heapq.heappush(self._queues.setdefault(item.host, []), (item.priority, item.seq, item))
        self.stats.hosts.add(item.host)

    def _ensure_robots(self, host: str, url: str) -> None:
        rules = self._robots.get(host)
        if rules is not None and not rules.expired(self._now().timestamp()):
            return
        self._robots.pop(host, None)  # temporary rules run out: fetch robots.txt again
        cached = self._cached_robots(host)
        if cached is not None:
            self._set_robots(host, url, cached)
            return
        queue = self._queues.get(host, [])
        if any(entry[2].kind == "robots" for entry in queue):
            return
        self._seq += 1
        item = FrontierItem.robots(url, self._seq)
        self.state.add_url(self.crawl_id, item)  # may already be there from an earlier run
        self._push(item)

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
            now=self._now().timestamp(),
            url=f"robots.txt of {host}",
            detail=detail,
        )

    def _cached_robots(self, host: str) -> RobotsRules | None:
        """The host's robots.txt rules from the state's cache, if still valid there: a
        fetched file for ``robots_max_age``, a failed fetch only for its short retry time."""
        s = self.settings
        cached = self.state.robots_get(host, s.robots_max_age)
        if cached is None:
            return None
        verdict = robots_verdict(
            cached[0], max_age=s.robots_max_age, retry_seconds=s.robots_retry_seconds
        )
        if verdict.cache_seconds < s.robots_max_age:
            cached = self.state.robots_get(host, verdict.cache_seconds)
            if cached is None:
                return None
        return self._robots_rules(host, *cached)

    def _set_robots(self, host: str, url: str, rules: RobotsRules) -> None:
        self._robots[host] = rules
        self.gate.set_crawl_delay(host, rules.crawl_delay(self.ua_token))
        if rules.reason is not None:
            return  # nothing of the host is fetched now, its sitemaps neither
        if host in self.scope.hosts and self.mode != "recrawl":
            parts = urlsplit(url)
            listed = [absolute_link(url, sm) for sm in rules.sitemaps()]  # may be relative
            sitemaps = [sm for sm in listed if sm] or [
                f"{parts.scheme}://{parts.netloc}/sitemap.xml"
            ]
            for sitemap in sitemaps:
                self.enqueue(
                    sitemap, kind="sitemap", hops=0, cite_depth=0, via=None, found_by="robots"
                )

    def _queued_count(self) -> int:
        return sum(len(q) for q in self._queues.values())

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def _next(self) -> FrontierItem | None:
        assert self._changed is not None
        async with self._changed:
            while True:
                if self._stopping:
                    return None
                soonest = float("inf")
                for host in list(self._queues):
                    queue = self._queues[host]
                    if not queue:
                        continue
                    if self._dispatched.get(host, 0) >= self.gate.limit(host):
                        continue
                    at = 0
                    if host not in self._robots:  # robots.txt first, always, whatever
                        at = _robots_entry(queue)  # the priority of the seed beside it
                        if at < 0:
                            continue
                    wait = self.gate.ready_in(host)
                    if wait > 0:
                        soonest = min(soonest, wait)
                        continue
                    top = _take(queue, at)
                    # round robin: this host goes to the back of the line
                    self._queues[host] = self._queues.pop(host)
                    self._dispatched[host] = self._dispatched.get(host, 0) + 1
                    self._in_flight += 1
                    return top
                if self._in_flight == 0 and self._queued_count() == 0:
                    self._changed.notify_all()
                    return None
                if self._in_flight == 0 and soonest == float("inf"):
                    # nothing runs, nothing is due later, yet URLs wait: they never would
                    log.error("frontier_stalled", queued=self._queued_count())
                    self._stopping = True
                    self._changed.notify_all()
                    return None
                try:
                    timeout = None if soonest == float("inf") else soonest
                    await asyncio.wait_for(self._changed.wait(), timeout)
                except TimeoutError:
                    pass

    async def _worker(self) -> None:
        while True:
            item = await self._next()
            if item is None:
                return
            try:
                await self._process_safely(item)
            finally:
                assert self._changed is not None
                async with self._changed:
                    self._in_flight -= 1
                    self._dispatched[item.host] -= 1
                    self._changed.notify_all()

    async def _tick(self) -> None:
        assert self._on_progress is not None
        while True:
            self.stats.queued = self._queued_count()
            self.stats.in_flight = self._in_flight
            self._on_progress(self.stats.as_dict())
            await asyncio.sleep(0.5)

    # -- one URL ----------------------------------------------------------------------------
    async def _process_safely(self, item: FrontierItem) -> None:
        """:meth:`_process`; a bug is logged and its URL marked failed, not retried forever.

        An :class:`ArchiveError` or :class:`StateError` (disk full, I/O error, SQLite or
        Redis gone) is not the URL's fault: it propagates and stops the crawl, and the URL
        stays queued (unmarked) for the resume.
        """
        try:
            await self._process(item)
        except (ArchiveError, StateError):
            raise
        except sqlite3.Error as exc:  # the catalogue's own tables, in the state's file
            where = str(getattr(self.state, "path", "the state database"))
            raise StateError(where, f"{exc} (check the disk)") from exc
        except OSError as exc:  # a local file: a body's spool file, a disk that is full
            where = exc.filename or tempfile.gettempdir()
            raise ArchiveError(where, f"{exc} (check the disk)") from exc
        except Exception:
            self.stats.errors += 1
            log.exception("crawl_item_failed", url=item.url, kind=item.kind)
            self._mark(item, "failed", "internal error")

    async def _process(self, item: FrontierItem) -> None:
        if item.kind == "robots":
            known = self._robots.get(item.host)
            if known is not None and not known.expired(self._now().timestamp()):
                self._mark(item, "done", "robots.txt already read")  # a resumed duplicate
                return
            await self._fetch_robots(item)
            return
        rules = self._robots.get(item.host)
        if (
            rules is not None
            and rules.expired(self._now().timestamp())
            and item.key not in self._robots_waited
        ):
            self._robots_waited.add(item.key)  # once: a host still down fails it below
            self._ensure_robots(item.host, item.url)  # fetch robots.txt again first
            self._push(item)
            return
        if rules is not None and rules.reason is not None:
            # robots.txt failed (5xx, no answer) or the address guard refused the host:
            # not the site's wish, so not "blocked"; the URL is tried again next run
            self.stats.robots_unavailable += 1
            self._mark(item, "failed", rules.reason)
            self._seed_failed(item, rules.reason)
            log.warning("robots_unavailable", url=item.url, reason=rules.reason)
            return
        spent = self.budgets.bytes_spent(item.host) if item.kind in DISCOVERY_KINDS else None
        if spent is not None:  # queued before the host's sitemaps and feeds used them up
            self.budgets.skip(spent, _parked(item))
            self._mark(item, "skipped", spent.detail)
            return
        if rules is None or not rules.allowed(item.url, self.ua_token):
            self.stats.blocked += 1
            self._mark(item, "blocked", "robots.txt")
            self._seed_failed(item, "disallowed by robots.txt")
            log.info("robots_blocked", url=item.url)
            return
        await self._fetch_and_follow(item)

    def _seed_failed(self, item: FrontierItem, reason: str) -> None:
        """Note why a seed (a URL the user asked for) could not be captured."""
        if item.found_by in ("seed", "recrawl") and item.hops == 0:
            self.seeds_failed[item.url] = reason

    async def _fetch_robots(self, item: FrontierItem) -> None:
        status: int | None = None
        body = b""
        ok = True
        refused: str | None = None
        detail: str | None = None
        try:
            async for exchange in self._fetch(item):
                try:
                    if exchange.redirect_to is None:
                        status = exchange.status
                        exchange.body.seek(0)
                        body = exchange.body.read(512 * 1024)
                    await self._write(item, exchange, [("foundBy", "robots")])
                finally:
                    exchange.close()
        except BlockedAddressError as exc:
            ok, refused = False, f"{exc.url}: {exc.message}"
            self.stats.errors += 1
            log.warning("robots_failed", url=item.url, error=exc.message)
        except RedirectLoopError as exc:
            status = 404  # RFC 9309 2.3.1.2: too many redirects is "unavailable"
            log.warning("robots_failed", url=item.url, error=exc.message)
        except FetchError as exc:
            ok, detail = False, exc.message
            self.stats.errors += 1
            log.warning("robots_failed", url=item.url, error=exc.message)
        rules = self._robots_rules(item.host, status, body, refused, detail)
        if refused is None:  # an address-guard refusal is never remembered
            self.state.robots_put(item.host, status, body)
        self._mark(item, "done" if ok else "failed", rules.reason)
        self.stats.pages += 1
        log.info("robots_loaded", host=item.host, status=status, mode=rules.mode)
        self._set_robots(item.host, item.url, rules)

    def _fetch(self, item: FrontierItem) -> AsyncIterator[Exchange]:
        assert self._fetcher is not None
        if item.kind == "robots":
            return self._fetcher.fetch(item.url)

        def follow(target: str) -> bool:
            """Follow a same-host redirect inline when robots allow and it is new."""
            host = host_of(target)
            rules = self._robots.get(host)
            if host != item.host or rules is None or not rules.allowed(target, self.ua_token):
                return False
            self._seq += 1
            hop = FrontierItem(
                url=target,
                key=canonical(target),
                host=host,
                kind=item.kind,
                hops=item.hops,
                cite_depth=item.cite_depth,
                via=item.url,
                found_by="redirect",
                seq=self._seq,
            )
            if not self.state.add_url(self.crawl_id, hop):
                return False  # already seen in this crawl: fetched on its own
            self.state.mark(self.crawl_id, hop.key, "done", "followed as a redirect")
            return True

        return self._fetcher.fetch(item.url, follow=follow, extra_headers=self._validators(item))

    def _validators(self, item: FrontierItem) -> dict[str, str] | None:
        """Conditional-request headers from the story's last capture, if it had any."""
        if self.catalogue is None or item.kind != "page" or item.key in self._retries:
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

    async def _fetch_and_follow(self, item: FrontierItem) -> None:
        found: Found | None = None
        last: Exchange | None = None
        error: FetchError | None = None
        new_version = False
        try:
            async for exchange in self._fetch(item):
                try:
                    new_version |= await self._handle(item, exchange, found_box := [found])
                    found = found_box[0]
                    self._note_retry_after(exchange)
                finally:
                    exchange.close()
                last = exchange
        except FetchError as exc:
            error = exc
            self.stats.errors += 1
            log.warning(
                "fetch_failed", url=item.url, error=exc.message, error_type=type(exc).__name__
            )
        # the records are written: now what they point to may be queued
        if found is not None and last is not None:
            self._follow(item, last.url, found, new_version)
        if last is not None and last.redirect_to is not None and error is None:
            self.enqueue(
                last.redirect_to,
                kind=item.kind,
                hops=item.hops,
                cite_depth=item.cite_depth,
                via=last.url,
                found_by="redirect",
            )
        self.stats.pages += 1
        self._mark(item, "failed" if error else "done", error.message if error else None)
        if error is not None:
            self._seed_failed(item, error.message)

    async def _handle(
        self, item: FrontierItem, exchange: Exchange, found_box: list[Found | None]
    ) -> bool:
        """Parse, archive and catalogue one exchange; True if it made a new version."""
        meta = self._base_metadata(item)
        final_ok = exchange.redirect_to is None and 200 <= exchange.status < 300
        found = None
        if final_ok and item.kind != "requisite":
            found = await asyncio.to_thread(self._parse, item, exchange)
            meta.extend(self._discovery_metadata(found))
            found_box[0] = found
        prev = None
        if found is not None and found.story_url is not None:
            prev = found.story_before
        elif self.catalogue is not None and item.kind == "page":
            prev = self.catalogue.story_for(exchange.url)
        story_fields = self._story_fields(exchange, found, prev)
        meta.extend(story_fields)
        not_modified = None
        if exchange.status == 304 and prev is not None and prev.payload:
            ref = prev.payload_ref() or {}
            not_modified = StoredPayload(ref["uri"], ref["date"], ref["record_id"], ref["digest"])
        written = await self._write(item, exchange, meta, not_modified)
        return bool(story_fields) and self._catalogue(exchange, written, meta)

    def _story_fields(
        self, exchange: Exchange, found: Found | None, prev: StoryRow | None
    ) -> list[tuple[str, str]]:
        """The story's fate in this capture: new version, unchanged, gone, moved, ..."""
        if self.catalogue is None:
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
        self, exchange: Exchange, written: CaptureWritten, meta: list[tuple[str, str]]
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
        self.stats.versions += 1
        log.info(
            "new_version",
            url=exchange.url,
            version=message["version"],
            fingerprint=message["fingerprint"],
        )
        closed = {p.name for p in self.archive.closed_files}
        if self.outbox is not None and written.main.filename in closed:
            self.outbox.deliver(closed)
        return True

    async def _write(
        self,
        item: FrontierItem,
        exchange: Exchange,
        meta: list[tuple[str, str]],
        not_modified: StoredPayload | None = None,
    ) -> CaptureWritten:
        if not_modified is not None:
            exchange.payload_digest = not_modified.digest  # what pywb matches revisits by
            written = await asyncio.to_thread(
                self.archive.write_capture,
                exchange,
                revisit_of=not_modified,
                metadata=meta,
                revisit_profile=REVISIT_NOT_MODIFIED,
            )
        else:
            written = await asyncio.to_thread(
                write_exchange, self.archive, self._digests, exchange, meta
            )
        self.stats.fetched += 1
        self.stats.bytes += exchange.body_length
        if item.kind in DISCOVERY_KINDS:
            self.stats.sitemaps += 1
            self.stats.sitemap_bytes += exchange.body_length
        self.budgets.fetched(item.kind, item.host, exchange.body_length)
        if written.is_revisit:
            self.stats.revisits += 1
        if item.kind == "cited" and exchange.redirect_to is None:
            self.stats.cited += 1
        return written

    def _note_retry_after(self, exchange: Exchange) -> None:
        if exchange.status in RETRY_STATUSES:
            wait = parse_retry_after(exchange.header("Retry-After"))
            if wait is not None:
                self.gate.push_back(host_of(exchange.url), min(wait, self.settings.retry_after_max))

    def _base_metadata(self, item: FrontierItem) -> list[tuple[str, str]]:
        fields = [("foundBy", item.found_by), ("hopsFromSeed", str(item.hops))]
        if item.via:
            fields.append(("sourceUrl", item.via))
        if item.cite_depth:
            fields.append(("citeDepth", str(item.cite_depth)))
        return fields

    @staticmethod
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

    def _parse(self, item: FrontierItem, exchange: Exchange) -> Found:
        """Parse a 2xx body (runs in a worker thread)."""
        mime = mime_of(exchange.header("Content-Type"))
        if item.kind == "requisite":
            return Found()
        exchange.body.seek(0)
        raw = exchange.body.read(MAX_PARSE_BYTES)
        exchange.body.seek(0)
        encoding = exchange.header("Content-Encoding")
        if item.kind == "sitemap" or (
            mime in ("application/xml", "text/xml") and "sitemap" in exchange.url.lower()
        ):
            from workers.content import decode_content

            return Found(sitemap=parse_sitemap(decode_content(raw, encoding), exchange.url))
        if item.kind == "feed" or is_feed_like(exchange.url, mime):
            from workers.content import decode_content

            entries = parse_feed(decode_content(raw, encoding), exchange.url)
            if entries is not None:
                return Found(feed=entries)
        if mime in HTML_TYPES or (not mime and raw.lstrip()[:1] == b"<"):
            text = to_text(raw, exchange.header("Content-Type"), encoding)
            origin = item.found_by if item.found_by in ("feed", "sitemap") else None
            doc = parse_html(text)
            if self.catalogue is None or item.kind != "page":
                return Found(page=analyse_html(exchange.url, text, origin=origin, doc=doc))
            page = analyse_html(exchange.url, text, origin=origin, doc=doc)
            named = story_url(exchange.url, page.canonical, page.og_url)
            before = self.catalogue.story_for(exchange.url, named)
            if page.extraction is None and before is not None:
                page = analyse_html(exchange.url, text, origin=origin, doc=doc, story=True)
            extraction = page.extraction
            if extraction is None or not (
                page.is_article or before is not None or extraction.story.wall is not None
            ):
                return Found(page=page, story_url=named)
            found = Found(page=page, story=extraction.story, story_url=named, story_before=before)
            if before is not None and before.fingerprint and before.extractor != EXTRACTOR:
                found.refingerprint = self._refingerprint(before)
            return found
        return Found()

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
            record = read_record(path, int(warc.get("offset", 0)))
        except ArchiveError as exc:
            log.warning("refingerprint_failed", url=story.url, warc=str(path), error=str(exc))
            return None
        return extract_story(record.text()).fingerprint

    def _follow(
        self, item: FrontierItem, page_url: str, found: Found, new_version: bool = False
    ) -> None:
        s = self.settings
        if found.sitemap is not None:
            for child in found.sitemap.sitemaps:
                self.enqueue(
                    child,
                    kind="sitemap",
                    hops=item.hops + 1,  # a sitemap's hops are its nesting depth
                    cite_depth=0,
                    via=page_url,
                    found_by="sitemap",
                )
            horizon = self._now() - timedelta(days=s.news_window_days)
            for entry in found.sitemap.entries:
                when = entry.news_published or entry.lastmod
                if when is not None and when < horizon:
                    continue
                if entry.lastmod is not None:
                    self._announce(entry.url, entry.lastmod)
                self.enqueue(
                    entry.url,
                    kind="sitemap" if _seed_kind(entry.url) == "sitemap" else "page",
                    hops=item.hops + 1,
                    cite_depth=0,
                    via=page_url,
                    found_by="sitemap",
                )
        if found.feed is not None:
            for feed_entry in found.feed:
                if feed_entry.updated is not None:
                    self._announce(feed_entry.url, feed_entry.updated)
                self.enqueue(
                    feed_entry.url,
                    kind="page",
                    hops=item.hops + 1,
                    cite_depth=0,
                    via=page_url,
                    found_by="feed",
                )
        page = found.page
        if page is None:
            return
        if page.is_article:
            self.stats.articles += 1
        shape = url_shape(item.host, item.key)
        if item.kind == "page":  # a shape that proves to be articles' gets its URLs back
            for parked in self.budgets.page_seen(item.host, item.key, page.is_article):
                self.enqueue(
                    parked.url,
                    kind=parked.kind,
                    hops=parked.hops,
                    cite_depth=parked.cite_depth,
                    via=parked.via,
                    found_by=parked.found_by,
                )
        # a link from a non-article page to a page of its own shape continues a chain
        chains = item.kind == "page" and not page.is_article
        if item.kind == "page" and item.found_by == "recrawl":
            # a new version may cite new sources and show new images; a retried item's
            # first attempt may have made that version and died before following it
            if new_version or item.key in self._retries:
                known = {url for url, _ in self.state.citations(page_url)}
                self._follow_article(item, page_url, page, skip=known)
        elif item.kind == "page":
            for link in page.links:
                host = host_of(link.url)
                if host in self.scope.hosts:
                    self.enqueue(
                        link.url,
                        kind="page",
                        hops=item.hops + 1,
                        cite_depth=0,
                        via=page_url,
                        found_by="link",
                        self_linked=chains and url_shape(host, canonical(link.url)) == shape,
                    )
            for feed in page.feeds:
                self.enqueue(
                    feed,
                    kind="feed",
                    hops=item.hops,
                    cite_depth=0,
                    via=page_url,
                    found_by="feed-link",
                )
            if page.is_article:
                self._follow_article(item, page_url, page, skip=set())
        elif item.kind == "cited" and item.cite_depth < s.cite_depth:
            links = (
                page.cited
                if page.is_article
                else [link for link in page.links if link.region in ("body", "page")]
            )
            for link in links:
                self.enqueue(
                    link.url,
                    kind="cited",
                    hops=item.hops + 1,
                    cite_depth=item.cite_depth + 1,
                    via=page_url,
                    found_by="citation",
                )

    def _follow_article(
        self, item: FrontierItem, page_url: str, page: PageInfo, skip: set[str]
    ) -> None:
        """Queue an article's requisites and cited sources; record the citations."""
        s = self.settings
        if s.requisites:
            for req in page.requisites:
                self.enqueue(
                    req,
                    kind="requisite",
                    hops=item.hops + 1,
                    cite_depth=item.cite_depth,
                    via=page_url,
                    found_by="requisite",
                )
        self.state.add_citations(page_url, [(c.url, c.text) for c in page.cited])
        if s.cite_depth >= 1:
            for link in page.cited:
                if host_of(link.url) not in self.scope.hosts and link.url not in skip:
                    self.enqueue(
                        link.url,
                        kind="cited",
                        hops=item.hops + 1,
                        cite_depth=1,
                        via=page_url,
                        found_by="citation",
                    )

    def _announce(self, url: str, when: datetime) -> None:
        """A feed or sitemap dates ``url``: pull its re-crawl forward if that is news."""
        if self.catalogue is not None and self.catalogue.announce(url, when, self._now()):
            log.info("recrawl_pulled_forward", url=url, announced=when.isoformat())


def _parked(item: FrontierItem) -> Parked:
    return Parked(
        item.key,
        item.url,
        item.host,
        item.kind,
        item.hops,
        item.cite_depth,
        item.via,
        item.found_by,
    )


def _robots_entry(queue: list[tuple[int, int, FrontierItem]]) -> int:
    """Index of the robots.txt item in a host's queue, or -1."""
    for index, entry in enumerate(queue):
        if entry[2].kind == "robots":
            return index
    return -1


def _take(queue: list[tuple[int, int, FrontierItem]], index: int) -> FrontierItem:
    """Remove and return the item at ``index`` of a heap-ordered queue."""
    if index == 0:
        return heapq.heappop(queue)[2]
    entry = queue[index]
    queue[index] = queue[-1]
    queue.pop()
    heapq.heapify(queue)
    return entry[2]


def _seed_kind(url: str) -> str:
    path = urlsplit(url).path.lower()
    if "sitemap" in path and path.endswith((".xml", ".xml.gz")):
        return "sitemap"
    if path.endswith((".rss", ".atom", "/feed", "/rss", "/feed/", "/rss/", "rss.xml", "atom.xml")):
        return "feed"
    return "page"


async def crawl(
    settings: Settings,
    seeds: Sequence[str],
    *,
    on_progress: Callable[[dict[str, object]], None] | None = None,
    install_signals: bool = False,
    mode: str = "crawl",
) -> CrawlSummary:
    """Run one embedded crawl pass of ``seeds`` into the archive named by ``settings``.

    ``mode``: "crawl" (the outlet and what it cites), "recrawl" (the seeds are stories
    to fetch again), "discover" (like crawl, but known stories wait for their schedule).
    """
    import signal

    from workers.archiveroot import writer_lock

    with (
        writer_lock(settings.archive, mode),  # one writer per embedded archive
        SQLiteState.beside(settings.archive) as state,
    ):
        catalogue = Catalogue.for_settings(state, settings)
        outbox = Outbox(settings.archive, catalogue)
        archive = Archive(settings)
        archive.on_closed.append(lambda *_: outbox.deliver([p.name for p in archive.closed_files]))
        reconcile(archive.open(), catalogue, outbox)
        crawler = Crawler(
            settings,
            seeds,
            state=state,
            archive=archive,
            on_progress=on_progress,
            catalogue=catalogue,
            outbox=outbox,
            mode=mode,
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
