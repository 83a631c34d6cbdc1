"""Connections cut in the middle of a body, for the chaos runs and the tests.

:class:`BodyCutter` is an aiohttp middleware: a request it picks gets the real status
line and headers (``Content-Length`` of the whole body), then only part of the body,
then the connection is closed. It is bounded: only the first ``attempts`` requests of
a URL (on one server) can be cut, each with probability ``rate``, so a crawler that
tries again gets the whole body in the end. It remembers what it cut.

Apply it before :class:`~tests.support.servers.LiveServer` wraps the app, e.g.
``start_outlet(spec, middlewares=[cutter.middleware])``.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.servers import _send_raw

__all__ = ["BodyCutter", "Cut"]


@dataclass(frozen=True)
class Cut:
    """One cut response: where, which attempt, how many of how many body bytes went."""

    url: str
    attempt: int
    sent: int
    length: int


@dataclass
class BodyCutter:
    """Cuts the body of some first requests of a URL (see the module docstring)."""

    rate: float = 0.3
    attempts: int = 1
    seed: int = 0
    min_body: int = 64
    """Bodies shorter than this are never cut (there is no middle to cut in)."""
    paused: bool = False
    """While True, requests are neither cut nor counted as attempts."""
    only: Callable[[str], bool] | None = None
    """If given, only requests whose path it accepts can be cut."""
    cuts: list[Cut] = field(default_factory=list)
    _seen: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1 or self.attempts < 0:
            raise ValueError("rate must be in [0, 1] and attempts >= 0")
        self._rng = random.Random(self.seed)

    def cut_urls(self) -> set[str]:
        """URLs (``http://host:port/path?query``) of which at least one response was cut."""
        with self._lock:
            return {c.url for c in self.cuts}

    def _pick(self, url: str, length: int) -> int | None:
        """How many body bytes to send before the cut, or None: send it all."""
        with self._lock:
            if self.paused:
                return None
            self._seen[url] += 1
            attempt = self._seen[url]
            if attempt > self.attempts or length < self.min_body:
                return None
            if self._rng.random() >= self.rate:
                return None
            sent = self._rng.randrange(1, length)
            self.cuts.append(Cut(url, attempt, sent, length))
            return sent

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        if request.method != "GET" or not isinstance(response, web.Response):
            return response
        body = response.body
        if not isinstance(body, bytes) or response.status < 200 or response.status == 304:
            return response
        if self.only is not None and not self.only(request.path):
            return response
        url = f"{request.scheme}://{request.host}{request.path_qs}"
        sent = self._pick(url, len(body))
        if sent is None:
            return response
        head = [f"HTTP/1.1 {response.status} {response.reason}"]
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                head.append(f"{name}: {value}")
        head += [f"Content-Length: {len(body)}", "Connection: keep-alive", "", ""]
        return _send_raw(request, "\r\n".join(head).encode("latin-1") + body[:sent])
