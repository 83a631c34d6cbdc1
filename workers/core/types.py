"""The core types: what the I/O shell and the pure code both speak of.

An :class:`Exchange` is an HTTP exchange as it crossed the wire, a
:class:`FrontierItem` a URL in the frontier, :class:`RecordLocation` where a WARC
record lives; the clock is injected wherever time is read (tests set it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO

Headers = list[tuple[bytes, bytes]]


@dataclass
class Exchange:
    """One HTTP request and its response, as they crossed the wire."""

    url: str
    method: str
    request_block: bytes  # request line + headers + blank line, as sent
    status: int
    reason: str
    http_version: str  # e.g. "1.1"
    headers: Headers  # response headers to store (see honest_headers)
    body: IO[bytes]  # entity body after de-chunking, before content decoding
    body_length: int
    payload_digest: str  # "sha1:<base32>" over ``body``
    started: datetime  # UTC, when the request was sent
    elapsed_ms: int
    remote_ip: str | None = None
    truncated: str | None = None  # "length" | "time" | "disconnect"
    redirect_to: str | None = None  # absolute Location of a 3xx
    attempt: int = 1
    hop: int = 0  # 0 for the URL asked for, n for the n-th redirect hop
    via: str | None = None  # the URL that redirected here
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def status_line(self) -> str:
        return f"HTTP/{self.http_version} {self.status} {self.reason}".rstrip()

    def header(self, name: str) -> str | None:
        """The first response header called ``name`` (case-insensitive), decoded latin-1."""
        key = name.lower().encode("latin-1")
        for k, v in self.headers:
            if k.lower() == key:
                return v.decode("latin-1")
        return None

    def close(self) -> None:
        self.body.close()


@dataclass(frozen=True)
class RecordLocation:
    """Where a record lives: enough for warcio to read it back on its own."""

    filename: str  # final file name inside the collection's archive/ folder
    offset: int
    length: int
    record_id: str
    record_type: str
    warc_date: str
    target_uri: str


@dataclass(frozen=True)
class StoredPayload:
    """A payload already in the archive, for revisit records to refer to."""

    target_uri: str
    warc_date: str
    record_id: str
    digest: str


@dataclass(frozen=True)
class CaptureWritten:
    """The records written for one exchange."""

    main: RecordLocation  # the response or revisit
    request: RecordLocation
    metadata: RecordLocation | None

    @property
    def is_revisit(self) -> bool:
        return self.main.record_type == "revisit"


@dataclass(frozen=True)
class FrontierItem:
    """A URL waiting in (or taken from) the crawl frontier."""

    url: str
    key: str  # canonical URL: the seen-set key
    host: str
    kind: str  # "robots", "sitemap", "feed", "page", "cited", "requisite"
    hops: int  # links followed from a seed
    cite_depth: int  # 0 on the outlet, n for the n-th citation step
    via: str | None
    found_by: str  # "seed", "robots", "sitemap", "feed", "link", "citation", "redirect", ...
    priority: int = 5  # lower first
    seq: int = 0

    @classmethod
    def robots(cls, url: str, seq: int = 0) -> FrontierItem:
        """The robots.txt fetch that must precede any other request to ``url``'s host."""
        from workers.parse.urls import canonical, host_of, robots_url

        r_url = robots_url(url)
        return cls(
            url=r_url,
            key=canonical(r_url),
            host=host_of(r_url),
            kind="robots",
            hops=0,
            cite_depth=0,
            via=None,
            found_by="robots",
            priority=0,
            seq=seq,
        )

    @classmethod
    def seed(cls, url: str) -> FrontierItem:
        """An outlet's start page, queued by a discovery pass."""
        return cls._start_page(url, "seed")

    @classmethod
    def recrawl(cls, url: str) -> FrontierItem:
        """A story queued to be fetched again (on schedule or by an operator)."""
        return cls._start_page(url, "recrawl")

    @classmethod
    def _start_page(cls, url: str, found_by: str) -> FrontierItem:
        from workers.parse.urls import canonical, host_of, safe_url

        url = safe_url(url)  # fetched and recorded as a valid URL
        return cls(
            url=url,
            key=canonical(url),
            host=host_of(url),
            kind="page",
            hops=0,
            cite_depth=0,
            via=None,
            found_by=found_by,
            priority=2,
        )


Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)
