"""The numbers of a crawl: live (:class:`CrawlStats`, what the progress display shows) and
at its end (:class:`CrawlSummary`)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field


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
