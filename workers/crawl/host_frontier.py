"""The service's frontier: Redis host queues, seen through one leased host.

A :class:`HostFrontier` is what one host turn (:mod:`workers.crawl.host_turn`) sees of the
shared frontier (:class:`~workers.state.redis_state.RedisState`): it claims the leased host's
due items, and what the turn queues and finishes reaches Redis in batches
(:class:`~workers.state.redis_state.TurnBatch`), one round trip with each claim. Items of
several crawls share a host queue; each crawl's admission (:class:`CrawlBook`) keeps its
budgets in Redis, so they hold per crawl across turns and worker processes, as in the
embedded crawl (within a few items: concurrent holders add up their counts at each sync).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from workers.core.settings import Settings
from workers.core.types import StoredPayload
from workers.crawl.budgets import Budgets
from workers.crawl.frontier import Admission, Candidate, CrawlBook, Outcome, Work
from workers.parse.urls import Scope
from workers.state.redis_state import Claim, RedisState, TurnBatch
from workers.versions.catalogue import Catalogue


class HostFrontier:
    """The frontier of one leased ``host`` for ``worker_id`` (see the module docstring)."""

    def __init__(
        self,
        state: RedisState,
        host: str,
        worker_id: str,
        *,
        settings: Settings,
        scope: Scope,
        catalogue: Catalogue | None,
        clock: Callable[[], float] = time.time,
        claim_ahead: int = 1,
    ) -> None:
        self.state = state
        self.claim_ahead = claim_ahead  # items claimed per sync (the host's concurrency)
        self.host = host
        self.worker_id = worker_id
        self.settings = settings
        self.scope = scope
        self.catalogue = catalogue
        self.clock = clock
        self.batch = TurnBatch()
        self._books: dict[int, CrawlBook] = {}
        self._claimed: list[Claim] = []  # claimed, not yet handed out
        self._seq = 0

    def book(self, crawl_id: int) -> CrawlBook:
        """The admission of one crawl, its budgets read from Redis on first use."""
        book = self._books.get(crawl_id)
        if book is None:
            admission = Admission(
                self.settings,
                self.scope,
                Budgets(self.settings),
                known_stories_wait=True,  # service passes are discovery passes
                catalogue=self.catalogue,
            )
            book = self._books[crawl_id] = CrawlBook(self.state, crawl_id, admission)
            book.restore_budgets()
        return book

    def known(self, crawl_id: int) -> Callable[[str], bool]:
        """Whether a URL key is seen in the crawl (asked of Redis)."""
        return lambda key: self.book(crawl_id).seen_here(key) or self.state.seen(crawl_id, key)

    # -- Frontier -------------------------------------------------------------------------
    def add(self, crawl_id: int, found: Iterable[Candidate]) -> int:
        items, self._seq = self.book(crawl_id).admit(found, self._seq)
        now = self.clock()
        for item in items:
            self.batch.add(crawl_id, item, now)  # Redis drops it if the crawl has it
        return len(items)

    def take(self, limit: int) -> list[Work]:
        """Up to ``limit`` due items of the host: claimed earlier, or claimed now (up to
        ``claim_ahead`` at once) with a sync of the batch."""
        taken: list[Work] = []
        while len(taken) < limit:
            if not self._claimed:
                self.sync(max(limit - len(taken), self.claim_ahead))
                if not self._claimed:
                    break
            claim = self._claimed.pop(0)
            skip = self.book(claim.crawl_id).admission.before_fetch(claim.item)
            if skip is not None:  # queued before the host's sitemaps used their bytes
                self.book(claim.crawl_id).budgets.skip(skip, claim.item.key, claim.item.host)
                self.batch.mark(claim.crawl_id, claim.item.key, "skipped", skip.detail)
                continue
            taken.append(Work(claim.crawl_id, claim.item, claim.retry))
        return taken

    def done(self, work: Work, outcome: Outcome) -> None:
        book = self.book(work.crawl_id)
        for hop in outcome.followed:  # queued and marked in one batch: never due
            self.batch.add(work.crawl_id, hop, self.clock())
            self.batch.mark(work.crawl_id, hop.key, "done", "followed as a redirect")
        released = book.learn(work.item, outcome)
        self.add(work.crawl_id, [*outcome.found, *released])
        # marking the URL done/failed/blocked takes it out of the frontier (and its claim)
        self.batch.mark(work.crawl_id, work.item.key, outcome.status, outcome.note)

    # -- Redis ------------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        """Items claimed and not handed out, and URLs queued since the last sync (they
        may give the host more work)."""
        return len(self._claimed) + self.batch.queued

    def sync(self, limit: int) -> None:
        """One round trip: apply the batch, claim up to ``limit`` more items; and add up
        each crawl's budget counts with the other workers'."""
        _, got = self.state.sync(self.host, self.worker_id, self.clock(), self.batch, limit)
        self._claimed.extend(got)
        for crawl_id, book in self._books.items():
            delta = book.budgets.take_delta()
            if delta:
                book.budgets.restore(self.state.sync_budget_counts(crawl_id, delta))

    def close(self) -> None:
        """Record what was done; give back what was claimed and not started."""
        self.sync(0)
        self.state.unclaim(self.host, self.worker_id, self._claimed)
        self._claimed = []

    def remember_payload(self, url_key: str, payload: StoredPayload) -> None:
        self.batch.payload(url_key, payload)

    def lookup_payload(self, url_key: str, digest: str) -> StoredPayload | None:
        return self.state.lookup_payload(url_key, digest)
