"""The frontier: which found URLs join a crawl, and which queued one is fetched next.

The engine (:mod:`workers.crawl.engine`) returns an :class:`Outcome` per item, with the URLs it
found as :class:`Candidate` s. A :class:`Frontier` takes them (:meth:`Frontier.add`),
hands out due items (:meth:`Frontier.take`) and records outcomes (:meth:`Frontier.done`).
Two implementations: :class:`LocalFrontier` (the embedded crawl: host queues in memory,
the seen set and outcomes in SQLite) and :class:`~workers.crawl.host_frontier.HostFrontier` (the
service: Redis host queues, one leased host per turn).

What joins a crawl is decided in one place for both, :class:`Admission`: scope, hops,
the crawl's budgets (:mod:`workers.crawl.budgets`, whose counters the backend keeps, so that
they hold per crawl: across a resume, and across the service's worker processes) and,
in discovery passes, stories already known.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal, NamedTuple, Protocol

import structlog

from workers.core.settings import Settings
from workers.core.types import FrontierItem
from workers.crawl.budgets import DISCOVERY_KINDS, Budgets, Skip, url_shape
from workers.crawl.stats import CrawlStats
from workers.net.politeness import HostGate
from workers.parse.urls import Scope, canonical, host_of, safe_url
from workers.state.protocols import CrawlStore
from workers.versions.catalogue import Catalogue

log = structlog.get_logger(__name__)

PRIORITY = {"robots": 0, "sitemap": 1, "feed": 1, "page": 3, "cited": 4, "requisite": 6}
Status = Literal["done", "failed", "blocked", "skipped"]


@dataclass(frozen=True)
class Candidate:
    """A URL an item led to, as the engine found it (the frontier decides if it joins).

    ``self_linked``: found on a non-article page of its own URL shape (a calendar's "next
    day", a listing's "page 2"); past ``trap_chain_max`` such pages of a shape are a trap.
    """

    url: str
    kind: str
    hops: int
    cite_depth: int
    via: str | None
    found_by: str
    self_linked: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Candidate:
        return cls(**json.loads(text))


@dataclass
class Outcome:
    """How one item ended, and what it found."""

    status: Status = "done"
    note: str | None = None
    found: list[Candidate] = field(default_factory=list)
    #: same-host redirect hops fetched inline: seen (and done) in the crawl from now on
    followed: list[FrontierItem] = field(default_factory=list)
    #: for a fetched page, whether it is an article (the URL-shape budget learns from it)
    article: bool | None = None
    #: discovery bytes fetched (sitemaps and feeds have a byte budget per host)
    discovery_bytes: int = 0
    #: why the item, a seed the user asked for, could not be captured
    seed_failed: str | None = None
    new_version: bool = False


class Work(NamedTuple):
    """An item handed out by a frontier."""

    crawl_id: int
    item: FrontierItem
    retry: bool  # an earlier attempt may have written it and followed nothing


class Frontier(Protocol):
    """Where a runner takes its items from and gives their outcomes back."""

    def add(self, crawl_id: int, found: Iterable[Candidate]) -> int:
        """Queue what passes :class:`Admission`; return how many joined."""
        ...

    def take(self, limit: int) -> list[Work]:
        """Up to ``limit`` items due now (none if nothing is)."""
        ...

    def done(self, work: Work, outcome: Outcome) -> None:
        """Record the outcome (the item leaves the frontier) and queue what it found."""
        ...


class Admission:
    """Whether a found URL joins one crawl (scope, hops, budgets, known stories)."""

    def __init__(
        self,
        settings: Settings,
        scope: Scope,
        budgets: Budgets,
        *,
        known_stories_wait: bool = False,
        catalogue: Catalogue | None = None,
    ) -> None:
        self.settings = settings
        self.scope = scope
        self.budgets = budgets
        self.known_stories_wait = known_stories_wait
        self.catalogue = catalogue

    def judge(self, c: Candidate, key: str, host: str) -> Skip | None:
        """Why the candidate stays out of the crawl, or None."""
        s = self.settings
        if c.kind == "page":
            out = self.scope.reason_out(c.url)
            if out is not None:
                return Skip("path-trap" if out.startswith("path ") else "out-of-scope", out)
            if c.hops > s.max_hops:
                return Skip("hops", f"more than {s.max_hops} hops from a seed")
            skip = self.budgets.page_skip(host, key, c.found_by, c.self_linked)
            if skip is None and self._known_story(c):
                skip = Skip("known-story", "known story: re-crawled on its schedule")
            return skip
        if c.kind in DISCOVERY_KINDS:
            return self.budgets.discovery_skip(host, c.hops)
        return None

    def before_fetch(self, item: FrontierItem) -> Skip | None:
        """Why an item queued earlier is not fetched after all (its host's sitemaps and
        feeds used up their bytes meanwhile), or None."""
        return self.budgets.bytes_spent(item.host) if item.kind in DISCOVERY_KINDS else None

    def _known_story(self, c: Candidate) -> bool:
        """In discovery passes, stories already known wait for their schedule."""
        return (
            self.known_stories_wait
            and c.found_by in ("link", "feed", "sitemap", "redirect")
            and self.catalogue is not None
            and self.catalogue.story_for(c.url) is not None
        )


def frontier_item(c: Candidate, seq: int) -> FrontierItem:
    """The queue entry for a candidate (its URL made valid: fetched, recorded and compared
    as such)."""
    url = safe_url(c.url)
    return FrontierItem(
        url=url,
        key=canonical(url),
        host=host_of(url),
        kind=c.kind,
        hops=c.hops,
        cite_depth=c.cite_depth,
        via=c.via,
        found_by=c.found_by,
        priority=PRIORITY.get(c.kind, 5) - (1 if c.hops == 0 else 0),
        seq=seq,
    )


def shape_name(host: str, key: str) -> str:
    """A URL shape as the backends key URLs kept aside by."""
    return "|".join(url_shape(host, key))


class CrawlBook:
    """The admission side of one crawl over a :class:`CrawlStore`: seen set, budgets
    kept in the store, URLs kept aside; shared by both frontiers."""

    def __init__(self, store: CrawlStore, crawl_id: int, admission: Admission) -> None:
        self.store = store
        self.crawl_id = crawl_id
        self.admission = admission
        self.budgets = admission.budgets
        self.stats_hosts: set[str] = set()
        self._seen: set[str] = set()  # keys this process queued or judged in this crawl

    def admit(self, found: Iterable[Candidate], seq: int) -> tuple[list[FrontierItem], int]:
        """The items of ``found`` that join the crawl, numbered from ``seq``; the next seq.
        Skips are counted (and shape-budget ones kept aside in the store). A URL the
        crawl has seen (in this process, or in the store: an earlier run, another worker)
        is neither judged nor counted again."""
        fresh: dict[str, tuple[Candidate, str]] = {}
        for c in found:
            url = safe_url(c.url)
            key = canonical(url)
            if key not in self._seen and key not in fresh:
                fresh[key] = (c, url)
        if fresh:
            self._seen.update(self.store.seen_many(self.crawl_id, fresh))
        items = []
        for key, (c, url) in fresh.items():
            if key in self._seen:
                continue  # seen in this crawl: the common case for nav links
            host = host_of(url)
            skip = self.admission.judge(c, key, host)
            if skip is not None:
                if self.budgets.skip(skip, key, host):
                    self.store.park(self.crawl_id, shape_name(host, key), key, c.to_json())
                log.debug("url_skipped", url=url, reason=skip.reason, detail=skip.detail)
                continue
            self._seen.add(key)
            seq += 1
            item = frontier_item(c, seq)
            items.append(item)
            self.budgets.queued(c.kind, host, key, c.self_linked)
        return items, seq

    def learn(self, item: FrontierItem, outcome: Outcome) -> list[Candidate]:
        """Let the budgets learn from an outcome; the URLs kept aside that it releases."""
        self.budgets.fetched(item.kind, item.host, outcome.discovery_bytes)
        if outcome.article is None:
            return []
        shape = self.budgets.page_seen(item.host, item.key, outcome.article)
        if shape is None:
            return []
        released = [
            Candidate.from_json(c)
            for c in self.store.unpark(self.crawl_id, shape_name(item.host, item.key))
        ]
        self.budgets.unskip([canonical(safe_url(c.url)) for c in released])
        if released:
            log.info("shape_is_articles", host=item.host, shape=shape[1], queued=len(released))
        return released

    def sync_budgets(self) -> None:
        """Add this process's budget counts to the store's; take the store's back."""
        delta = self.budgets.take_delta()
        if delta:
            self.store.add_budget_counts(self.crawl_id, delta)

    def restore_budgets(self) -> None:
        self.budgets.restore(self.store.budget_counts(self.crawl_id))

    def seen_here(self, key: str) -> bool:
        return key in self._seen

    def note_seen(self, key: str) -> None:
        self._seen.add(key)


class LocalFrontier:
    """The embedded frontier of one crawl: host queues in memory (round robin, priority
    within a host, per-host delay and concurrency by the :class:`HostGate`), the seen set
    and every outcome in the SQLite state, so an interrupted crawl resumes."""

    def __init__(self, book: CrawlBook, gate: HostGate, stats: CrawlStats) -> None:
        self.book = book
        self.store = book.store
        self.crawl_id = book.crawl_id
        self.gate = gate
        self.stats = stats
        self._queues: dict[str, list[tuple[int, int, FrontierItem]]] = {}
        self._dispatched: dict[str, int] = {}
        self._retries: set[str] = set()  # keys an interrupted run may have left half-done
        self._seq = self.store.max_seq(self.crawl_id)
        self.in_flight = 0

    def resume(self) -> int:
        """Queue again what an interrupted run of this crawl left; how many."""
        self.book.restore_budgets()
        items = self.store.queued(self.crawl_id)
        for item in items:
            if item.kind == "robots":  # an earlier version queued robots.txt: now inline
                self.store.mark(self.crawl_id, item.key, "done", "read with its host's URLs")
                continue
            self._retries.add(item.key)
            self.book.note_seen(item.key)
            self._push(item)
        return len(self._retries)

    @property
    def queued(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def known(self, key: str) -> bool:
        """Whether ``key`` is seen in this crawl (this run or an earlier one)."""
        return self.book.seen_here(key) or self.store.seen(self.crawl_id, key)

    def add(self, crawl_id: int, found: Iterable[Candidate]) -> int:
        items, self._seq = self.book.admit(found, self._seq)
        added = 0
        for item in items:
            if self.store.add_url(crawl_id, item):  # False: an earlier run had it
                self._push(item)
                added += 1
        return added

    def take(self, limit: int = 1) -> list[Work]:
        taken: list[Work] = []
        for host in list(self._queues):
            if len(taken) >= limit:
                break
            queue = self._queues[host]
            if not queue or self._dispatched.get(host, 0) >= self.gate.limit(host):
                continue
            if self.gate.ready_in(host) > 0:
                continue
            item = heapq.heappop(queue)[2]
            self._queues[host] = self._queues.pop(host)  # round robin: to the back
            skip = self.book.admission.before_fetch(item)
            if skip is not None:  # queued before the host's sitemaps used their bytes
                self.book.budgets.skip(skip, item.key, item.host)
                self.store.mark(self.crawl_id, item.key, "skipped", skip.detail)
                continue
            self._dispatched[host] = self._dispatched.get(host, 0) + 1
            self.in_flight += 1
            taken.append(Work(self.crawl_id, item, item.key in self._retries))
        return taken

    def ready_in(self) -> float | None:
        """Seconds until a queued item may be due (a host's delay), None if none waits
        for anything but a running item."""
        soonest: float | None = None
        for host, queue in self._queues.items():
            if not queue or self._dispatched.get(host, 0) >= self.gate.limit(host):
                continue
            wait = self.gate.ready_in(host)
            soonest = wait if soonest is None else min(soonest, wait)
        return soonest

    def done(self, work: Work, outcome: Outcome) -> None:
        item = work.item
        self.in_flight -= 1
        self._dispatched[item.host] -= 1
        for hop in outcome.followed:
            if self.store.add_url(self.crawl_id, hop):
                self.book.note_seen(hop.key)
                self.store.mark(self.crawl_id, hop.key, "done", "followed as a redirect")
        released = self.book.learn(item, outcome)
        self.add(self.crawl_id, [*outcome.found, *released])
        self.book.sync_budgets()
        self.store.mark(self.crawl_id, item.key, outcome.status, outcome.note)
        self._retries.discard(item.key)

    def unfinished(self, work: Work) -> None:
        """An item a stopping run dropped unprocessed: it stays queued for the resume."""
        self.in_flight -= 1
        self._dispatched[work.item.host] -= 1

    def _push(self, item: FrontierItem) -> None:
        heapq.heappush(self._queues.setdefault(item.host, []), (item.priority, item.seq, item))
        self.stats.hosts.add(item.host)
