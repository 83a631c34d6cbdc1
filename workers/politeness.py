"""Politeness: robots.txt rules and the per-host request gate. Small policies, no I/O.

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
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

from workers.urls import host_of


def robots_url(url: str) -> str:
    """The robots.txt URL governing ``url``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


@dataclass(frozen=True)
class RobotsRules:
    """The rules of one host's robots.txt, for one user agent."""

    body: str = ""
    mode: str = "parsed"  # "parsed", "allow-all" (4xx, missing), "deny-all" (5xx, unreachable)
    _parser: Protego | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_response(cls, status: int | None, body: bytes) -> RobotsRules:
        """Rules from a robots.txt fetch: 2xx parsed; 4xx allow all; 5xx or none deny all.

        This follows RFC 9309: an unreachable robots.txt means "assume complete disallow".
        """
        if status is None or status >= 500:
            return cls(mode="deny-all")
        if status >= 400:
            return cls(mode="allow-all")
        text = body[: 500 * 1024].decode("utf-8", errors="replace")
        return cls(body=text, mode="parsed", _parser=Protego.parse(text))

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
