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

from workers.core.settings import Settings

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


class Budgets:
    """The counters of one crawl and the rules over them (see the module docstring).

    Every counter is one entry of :attr:`counts` (named by :func:`_name`), so that a
    backend can keep them: :meth:`take_delta` gives what changed since it was last
    called, :meth:`restore` puts a stored copy back (a resumed crawl, the service's
    shared counts of a crawl several worker processes add to).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.counts: Counter[str] = Counter()
        self._delta: Counter[str] = Counter()
        self._skipped_keys: set[str] = set()  # URLs counted as skipped by this process
        self._released: set[Shape] = set()  # shapes proven articles' (by this process)
        self._logged: set[tuple[str, str]] = set()

    @property
    def skipped(self) -> Counter[str]:
        """URLs left out, by reason, once each."""
        return Counter(
            {k[5:]: n for k, n in self.counts.items() if k.startswith("skip|") and n > 0}
        )

    def restore(self, counts: dict[str, int]) -> None:
        """Counters stored by a backend, plus what changed here since they were taken."""
        self.counts = Counter(counts) + self._delta

    def take_delta(self) -> dict[str, int]:
        """What the counters gained since the last call (for a backend to add up)."""
        delta, self._delta = dict(self._delta), Counter()
        return {k: n for k, n in delta.items() if n}

    def _add(self, name: str, n: int = 1) -> None:
        self.counts[name] += n
        self._delta[name] += n

    # -- before queueing -----------------------------------------------------------------
    def page_skip(self, host: str, key: str, found_by: str, self_linked: bool) -> Skip | None:
        """Why the page ``key`` is not to be queued, or None.

        ``self_linked``: it was found on a non-article page of its own shape.
        """
        s = self.settings
        if self.counts[_name("pages", host)] >= s.host_page_budget:
            self._reached(host, "host_budget_reached", s.host_page_budget)
            return Skip("host-budget", "host page budget reached")
        shape = url_shape(host, key)
        if self_linked and self.counts[_name("linked", *shape)] >= s.trap_chain_max:
            return Skip(
                "trap-chain",
                f"more than {s.trap_chain_max} pages shaped {shape[1]} reached from pages "
                "shaped so (a chain such as a calendar)",
            )
        if found_by in ("feed", "sitemap") or self._article_shape(shape):
            return None  # news the outlet lists, or a shape its articles have
        if self.counts[_name("shape", *shape)] >= s.pattern_budget:
            return Skip("shape-budget", f"more than {s.pattern_budget} pages shaped {shape[1]}")
        return None

    def discovery_skip(self, host: str, depth: int) -> Skip | None:
        """Why a sitemap or feed nested ``depth`` deep is not to be queued, or None."""
        s = self.settings
        if depth > s.sitemap_max_depth:
            return Skip("sitemap-depth", f"sitemap nested more than {s.sitemap_max_depth} deep")
        if self.counts[_name("discovery", host)] >= s.sitemap_budget:
            self._reached(host, "sitemap_budget_reached", s.sitemap_budget)
            return Skip("sitemap-budget", f"more than {s.sitemap_budget} sitemaps and feeds")
        return self.bytes_spent(host)

    def bytes_spent(self, host: str) -> Skip | None:
        """A Skip if the host's sitemaps and feeds have used up their bytes (checked again
        before fetching one queued earlier)."""
        budget = self.settings.sitemap_bytes_budget
        if self.counts[_name("discovery-bytes", host)] >= budget:
            self._reached(host, "sitemap_bytes_reached", budget)
            return Skip("sitemap-bytes", f"sitemaps and feeds past {budget} bytes")
        return None

    def skip(self, skip: Skip, key: str, host: str) -> bool:
        """Count a URL left out (once per URL); True if it is to be kept aside (the shape
        budget's, up to ``host_page_budget`` per shape) until its shape proves to be
        articles' (see :meth:`page_seen`)."""
        if key not in self._skipped_keys:
            self._skipped_keys.add(key)
            self._add(_name("skip", skip.reason))
        if skip.reason != "shape-budget":
            return False
        shape = url_shape(host, key)
        if shape in self._released or self.counts[_name("parked", *shape)] >= (
            self.settings.host_page_budget
        ):
            return False
        self._add(_name("parked", *shape))
        return True

    # -- after queueing, fetching ----------------------------------------------------------
    def queued(self, kind: str, host: str, key: str, self_linked: bool) -> None:
        if kind == "page":
            self._add(_name("pages", host))
            shape = url_shape(host, key)
            self._add(_name("shape", *shape))
            if self_linked:
                self._add(_name("linked", *shape))
        elif kind in DISCOVERY_KINDS:
            self._add(_name("discovery", host))

    def fetched(self, kind: str, host: str, body_bytes: int) -> None:
        if kind in DISCOVERY_KINDS and body_bytes:
            self._add(_name("discovery-bytes", host), body_bytes)

    def page_seen(self, host: str, key: str, is_article: bool) -> Shape | None:
        """Note whether a fetched page is an article; return its shape if that shape now
        proves to be articles' (the URLs kept aside for it are to be queued after all:
        the frontier hands them back, and :meth:`unskip` counts them out)."""
        shape = url_shape(host, key)
        self._add(_name("fetched", *shape))
        if is_article:
            self._add(_name("articles", *shape))
        if shape in self._released or not self._article_shape(shape):
            return None
        self._released.add(shape)
        if self.counts[_name("parked", *shape)]:
            log.info("shape_is_articles", host=host, shape=shape[1])
        return shape

    def unskip(self, keys: list[str]) -> None:
        """URLs kept aside that are queued after all are no longer counted as skipped."""
        for key in keys:
            self._skipped_keys.discard(key)
            if self.counts[_name("skip", "shape-budget")] > 0:
                self._add(_name("skip", "shape-budget"), -1)

    # -- internals -------------------------------------------------------------------------
    def _article_shape(self, shape: Shape) -> bool:
        """Whether pages of this shape have been articles (at least half of them)."""
        fetched = self.counts[_name("fetched", *shape)]
        articles = self.counts[_name("articles", *shape)]
        return articles > 0 and 2 * articles >= fetched

    def _reached(self, host: str, event: str, budget: int) -> None:
        if (host, event) not in self._logged:
            self._logged.add((host, event))
            log.warning(event, host=host, budget=budget)


def _name(counter: str, *parts: str) -> str:
    """A counter's name in :attr:`Budgets.counts`: "shape|host|/a/sN.html"."""
    return "|".join((counter, *parts))
