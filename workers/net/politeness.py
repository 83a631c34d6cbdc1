"""Politeness: robots.txt rules and the per-host request gate. Small policies, no I/O.

:func:`robots_verdict` is the RFC 9309 policy for a robots.txt fetch (what a 2xx, 4xx,
5xx or no answer means, and for how long), used by the embedded crawler and the
service's host turns alike.

:class:`HostGate` is what every request to a host passes through (the fetcher calls
``async with gate.slot(url)`` around each request, redirect hops and retries included):
at most ``concurrency`` requests in flight per host, and a pause of ``delay`` seconds
between the end of one request and the start of the next. ``Crawl-delay`` from robots.txt
raises a host's delay (capped); ``Retry-After`` pushes a host back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Literal

from protego import Protego

from workers.parse.urls import host_of

RobotsMode = Literal["parsed", "allow-all", "deny-all"]


@dataclass(frozen=True)
class RobotsVerdict:
    """What one robots.txt fetch means for its host, and for how long (RFC 9309 2.3.1)."""

    mode: RobotsMode
    cache_seconds: float  # how long the outcome may be remembered; 0: never
    reason: str | None = None  # why the host's URLs are not fetched, if they are not


def robots_verdict(
    status: int | None,
    *,
    refused: str | None = None,
    max_age: float = 86400.0,
    retry_seconds: float = 300.0,
    url: str = "robots.txt",
    detail: str | None = None,
) -> RobotsVerdict:
    """The RFC 9309 reading of a robots.txt fetch that ended with ``status``.

    * 2xx: the rules are parsed and remembered for ``max_age`` seconds;
    * 4xx ("unavailable", 429 excepted): every path is allowed, remembered ``max_age``;
    * 5xx, 429, or no response at all (``status`` None: timeout, connection refused,
      reset): every path is disallowed, but only for ``retry_seconds``; then the file
      is fetched again (``url`` and ``detail``, what went wrong, go into the reason);
    * ``refused``: the address guard refused the host (the reason, which names the
      flag that lifts it). This says nothing about the site's wishes: the host's URLs
      fail with that reason and nothing is remembered.
    """
    if refused is not None:
        return RobotsVerdict("deny-all", 0.0, refused)
    if status is None or status >= 500 or status == 429:
        what = detail or ("no response" if status is None else f"HTTP {status}")
        minutes = max(1, round(retry_seconds / 60))
        return RobotsVerdict(
            "deny-all",
            retry_seconds,
            f"{url} unavailable ({what}): its host is not crawled for up to {minutes} min "
            "(robots_retry_seconds), then robots.txt is asked again: run again then",
        )
    if status >= 400:
        return RobotsVerdict("allow-all", max_age)
    return RobotsVerdict("parsed", max_age)


@dataclass(frozen=True)
class RobotsRules:
    """The rules of one host's robots.txt, for one user agent."""

    body: str = ""
    mode: RobotsMode = "parsed"
    #: why nothing is fetched from this host (robots.txt unavailable, address refused);
    #: None for rules the site itself gave (parsed, allow-all)
    reason: str | None = None
    #: POSIX time after which these rules must be fetched again (None: this run keeps them)
    until: float | None = None
    _parser: Protego | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_response(
        cls,
        status: int | None,
        body: bytes,
        *,
        refused: str | None = None,
        max_age: float = 86400.0,
        retry_seconds: float = 300.0,
        now: float | None = None,
        url: str = "robots.txt",
        detail: str | None = None,
    ) -> RobotsRules:
        """Rules from a robots.txt fetch, read as :func:`robots_verdict` says."""
        verdict = robots_verdict(
            status,
            refused=refused,
            max_age=max_age,
            retry_seconds=retry_seconds,
            url=url,
            detail=detail,
        )
        until = None
        if verdict.reason is not None and verdict.cache_seconds > 0:
            until = (time.time() if now is None else now) + verdict.cache_seconds
        if verdict.mode != "parsed":
            return cls(mode=verdict.mode, reason=verdict.reason, until=until)
        text = body[: 500 * 1024].decode("utf-8", errors="replace")
        return cls(body=text, mode="parsed", _parser=Protego.parse(text))

    def expired(self, now: float) -> bool:
        """Whether these (temporary) rules are due to be fetched again at ``now``."""
        return self.until is not None and now >= self.until

    def allowed(self, url: str, user_agent: str) -> bool:
        if self.mode == "allow-all":
            return True
        if self.mode == "deny-all" or self._parser is None:
            return False
        return bool(self._parser.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        if self._parser is None:
            return None
        delay = self._parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None

    def sitemaps(self) -> list[str]:
        return list(self._parser.sitemaps) if self._parser is not None else []


@dataclass
class _Host:
    delay: float
    next_at: float = 0.0
    active: int = 0
    requests: int = 0


class HostGate:
    """Per-host concurrency and delay, shared by every request of one process."""

    def __init__(
        self,
        delay: float,
        concurrency: int,
        *,
        max_delay: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.default_delay = delay
        self.concurrency = max(1, concurrency)
        self.max_delay = max_delay
        self._clock = clock
        self._hosts: dict[str, _Host] = {}
        self._changed = asyncio.Condition()

    def _host(self, host: str) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host(delay=self.default_delay)
        return state

    def set_crawl_delay(self, host: str, seconds: float | None) -> float:
        """Apply a robots.txt ``Crawl-delay`` (capped at ``max_delay``); return the delay."""
        state = self._host(host)
        if seconds is not None:
            state.delay = max(self.default_delay, min(self.max_delay, seconds))
        return state.delay

    def push_back(self, host: str, seconds: float) -> None:
        """No request to ``host`` for ``seconds`` (Retry-After, backoff)."""
        state = self._host(host)
        state.next_at = max(state.next_at, self._clock() + seconds)

    def ready_in(self, host: str) -> float:
        """Seconds until a request to ``host`` may start (0 if now); inf while it is full."""
        state = self._host(host)
        if state.active >= self.limit(host):
            return float("inf")
        return max(0.0, state.next_at - self._clock())

    def limit(self, host: str) -> int:
        """Requests to ``host`` at once: one while it has a delay (a delay is the time
        between one request's end and the next one's start), else ``concurrency``."""
        return 1 if self._host(host).delay > 0 else self.concurrency

    def busy(self, host: str) -> bool:
        return self._host(host).active >= self.limit(host)

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Wait for the host's turn, hold a slot during the request, then start its delay."""
        host = host_of(url)
        state = self._host(host)
        async with self._changed:
            while True:
                wait = self.ready_in(host)
                if wait <= 0:
                    break
                try:
                    timeout = None if wait == float("inf") else wait
                    await asyncio.wait_for(self._changed.wait(), timeout)
                except TimeoutError:
                    pass
            state.active += 1
            state.requests += 1
        try:
            yield
        finally:
            async with self._changed:
                state.active -= 1
                state.next_at = max(state.next_at, self._clock() + state.delay)
                self._changed.notify_all()
