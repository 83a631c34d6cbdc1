"""The budgets of one crawl against traps and runaway hosts. Counters and rules, no I/O.

A crawl asks :class:`Budgets` before it queues a URL (:meth:`Budgets.page_skip`,
:meth:`Budgets.discovery_skip`), tells it what it queued (:meth:`Budgets.queued`), fetched
(:meth:`Budgets.fetched`) and found to be an article or not (:meth:`Budgets.page_seen`),
and reports :attr:`Budgets.skipped`, every URL left out by reason, in its summary.

* pages per host: ``host_page_budget``;
* pages per URL shape (the path with digits as N): ``pattern_budget``. Exempt are pages
  a feed or a sitemap lists (the outlet calls them news) and shapes whose pages turn out
  to be articles (outlets with numeric ids, ``/a/s123.html``): URLs the budget left out
  are kept aside and handed back once their shape proves to be articles';
* pages of one shape found on non-article pages of that same shape (a calendar's "next
  day", a listing's "page 2"): ``trap_chain_max``;
* sitemaps and feeds per host: nesting depth (``sitemap_max_depth``, the sitemap's hops),
  count (``sitemap_budget``) and bytes fetched (``sitemap_bytes_budget``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import structlog

from workers.settings import Settings

log = structlog.get_logger(__name__)

DISCOVERY_KINDS = frozenset({"sitemap", "feed"})
_DIGITS = re.compile(r"\d+")

#: why a URL was left out of a crawl (the summary counts each)
SkipReason = Literal[
    "out-of-scope",
    "path-trap",
    "hops",
    "host-budget",
    "shape-budget",
    "trap-chain",
    "known-story",
    "sitemap-depth",
    "sitemap-budget",
    "sitemap-bytes",
]
Shape = tuple[str, str]  # (host, path with digits as N)


def url_shape(host: str, key: str) -> Shape:
    """A URL's shape on its host: its path with every run of digits as N."""
    return host, _DIGITS.sub("N", urlsplit(key).path)


@dataclass(frozen=True)
class Skip:
    """Why one URL is left out."""

    reason: SkipReason
    detail: str


@dataclass(frozen=True)
class Parked:
    """A URL the shape budget left out, as it would have been queued."""

    key: str
    url: str
    host: str
    kind: str
    hops: int
    cite_depth: int
    via: str | None
    found_by: str


class Budgets:
    """The counters of one crawl and the rules over them (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.skipped: Counter[str] = Counter()  # URLs left out, by reason, once each
        self._skipped_keys: set[str] = set()
        self._pages: dict[str, int] = {}  # pages queued per host
        self._shapes: dict[Shape, int] = {}  # pages queued per shape
        self._self_linked: dict[Shape, int] = {}  # ... of them found on their own shape
        self._shape_pages: dict[Shape, tuple[int, int]] = {}  # fetched, articles
        self._discovery: dict[str, int] = {}  # sitemaps and feeds queued per host
        self._discovery_bytes: dict[str, int] = {}  # and their bytes fetched
        self._parked: dict[Shape, dict[str, Parked]] = {}
        self._logged: set[tuple[str, str]] = set()

    def restore_pages(self, counts: dict[str, int]) -> None:
        """Pages per host a resumed crawl had queued already."""
        self._pages = dict(counts)

    # -- before queueing -----------------------------------------------------------------
    def page_skip(self, host: str, key: str, found_by: str, self_linked: bool) -> Skip | None:
        """Why the page ``key`` is not to be queued, or None.

        ``self_linked``: it was found on a non-article page of its own shape.
        """
        s = self.settings
        if self._pages.get(host, 0) >= s.host_page_budget:
            self._reached(host, "host_budget_reached", s.host_page_budget)
            return Skip("host-budget", "host page budget reached")
        shape = url_shape(host, key)
        if self_linked and self._self_linked.get(shape, 0) >= s.trap_chain_max:
            return Skip(
                "trap-chain",
                f"more than {s.trap_chain_max} pages shaped {shape[1]} reached from pages "
                "shaped so (a chain such as a calendar)",
            )
        if found_by in ("feed", "sitemap") or self._article_shape(shape):
            return None  # news the outlet lists, or a shape its articles have
        if self._shapes.get(shape, 0) >= s.pattern_budget:
            return Skip("shape-budget", f"more than {s.pattern_budget} pages shaped {shape[1]}")
        return None

    def discovery_skip(self, host: str, depth: int) -> Skip | None:
        """Why a sitemap or feed nested ``depth`` deep is not to be queued, or None."""
        s = self.settings
        if depth > s.sitemap_max_depth:
            return Skip("sitemap-depth", f"sitemap nested more than {s.sitemap_max_depth} deep")
        if self._discovery.get(host, 0) >= s.sitemap_budget:
            self._reached(host, "sitemap_budget_reached", s.sitemap_budget)
            return Skip("sitemap-budget", f"more than {s.sitemap_budget} sitemaps and feeds")
        return self.bytes_spent(host)

    def bytes_spent(self, host: str) -> Skip | None:
        """A Skip if the host's sitemaps and feeds have used up their bytes (checked again
        before fetching one queued earlier)."""
        budget = self.settings.sitemap_bytes_budget
        if self._discovery_bytes.get(host, 0) >= budget:
            self._reached(host, "sitemap_bytes_reached", budget)
            return Skip("sitemap-bytes", f"sitemaps and feeds past {budget} bytes")
        return None

    def skip(self, skip: Skip, parked: Parked) -> None:
        """Count a URL left out (once per URL); the shape budget keeps it aside."""
        if parked.key not in self._skipped_keys:
            self._skipped_keys.add(parked.key)
            self.skipped[skip.reason] += 1
        if skip.reason == "shape-budget":
            aside = self._parked.setdefault(url_shape(parked.host, parked.key), {})
            if len(aside) < self.settings.host_page_budget:
                aside[parked.key] = parked

    # -- after queueing, fetching ----------------------------------------------------------
    def queued(self, kind: str, host: str, key: str, self_linked: bool) -> None:
        if kind == "page":
            self._pages[host] = self._pages.get(host, 0) + 1
            shape = url_shape(host, key)
            self._shapes[shape] = self._shapes.get(shape, 0) + 1
            if self_linked:
                self._self_linked[shape] = self._self_linked.get(shape, 0) + 1
        elif kind in DISCOVERY_KINDS:
            self._discovery[host] = self._discovery.get(host, 0) + 1

    def fetched(self, kind: str, host: str, body_bytes: int) -> None:
        if kind in DISCOVERY_KINDS:
            self._discovery_bytes[host] = self._discovery_bytes.get(host, 0) + body_bytes

    def page_seen(self, host: str, key: str, is_article: bool) -> list[Parked]:
        """Note whether a fetched page is an article; return the URLs kept aside that are
        to be queued after all, now that their shape proves to be articles'."""
        shape = url_shape(host, key)
        fetched, articles = self._shape_pages.get(shape, (0, 0))
        self._shape_pages[shape] = (fetched + 1, articles + is_article)
        if shape not in self._parked or not self._article_shape(shape):
            return []
        parked = list(self._parked.pop(shape).values())
        log.info("shape_is_articles", host=host, shape=shape[1], queued=len(parked))
        for url in parked:
            if url.key in self._skipped_keys:
                self._skipped_keys.discard(url.key)
                self.skipped["shape-budget"] -= 1
        if not self.skipped["shape-budget"]:
            del self.skipped["shape-budget"]
        return parked

    # -- internals -------------------------------------------------------------------------
    def _article_shape(self, shape: Shape) -> bool:
        """Whether pages of this shape have been articles (at least half of them)."""
        fetched, articles = self._shape_pages.get(shape, (0, 0))
        return articles > 0 and 2 * articles >= fetched

    def _reached(self, host: str, event: str, budget: int) -> None:
        if (host, event) not in self._logged:
            self._logged.add((host, event))
            log.warning(event, host=host, budget=budget)
