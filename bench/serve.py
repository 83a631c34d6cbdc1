"""Serve the synthetic benchmark outlet in its own process.

Started by ``bench/crawl_bench.py`` so that the server's event loop does not compete with
the client being measured for the GIL. Prints one JSON line on stdout once listening::

    {"base": "http://127.0.0.1:PORT", "cited": [...], "articles": N, "pid": PID}

then answers commands read from stdin, one JSON line each:

* ``log``   -- ``{"requests": [[method, absolute_url], ...], "times": [...], "errors": [...]}``
  (every request since start or the last ``clear``, in arrival order per server;
  ``times[i]`` is the arrival of ``requests[i]`` on this process's monotonic clock,
  seconds, comparable across the outlet and its cited hosts);
* ``count`` -- ``{"requests": N, "bytes": B}`` (``B``: response body bytes sent, all
  servers, since start or the last ``clear``; a 304 or a redirect counts 0);
* ``clear`` -- forget the request log and the byte count: ``{"ok": true}``.

Exits when stdin closes or on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.newsoutlet import OutletSpec, bench_spec, start_outlet

CITED_HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=3000, help="articles (default 3000)")
    parser.add_argument(
        "--cited-hosts",
        type=int,
        default=0,
        choices=range(len(CITED_HOSTS) + 1),
        help="cited hosts beside the outlet (default 0: the outlet alone)",
    )
    parser.add_argument(
        "--outlet",
        choices=("bench", "test"),
        default="bench",
        help="bench: bench_spec(--pages), no calendar trap; test: the test suite's outlet "
        "(2 sections of 6 articles, calendar trap on; --pages is ignored)",
    )
    parser.add_argument(
        "--cites-per-article",
        type=int,
        default=None,
        help="in-body citations per article, spread over the cited hosts (default: one "
        "per cited host)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    spec = (
        bench_spec(args.pages)
        if args.outlet == "bench"
        else OutletSpec(sections=2, articles_per_section=6, calendar_trap=True)
    )
    if args.cites_per_article is not None:
        spec = dataclasses.replace(spec, cites_per_article=args.cites_per_article)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    sent = BodyBytes()
    fx = start_outlet(
        spec,
        cited_hosts=CITED_HOSTS[: args.cited_hosts],
        host=args.host,
        middlewares=[sent.middleware],
    )
    servers = [fx.outlet, *fx.cited]
    try:
        _say(
            {
                "base": fx.base,
                "cited": [s.base for s in fx.cited],
                "articles": len(fx.site.article_urls()),
                "pid": __import__("os").getpid(),
            }
        )
        reader = threading.Thread(target=_commands, args=(servers, sent, stop), daemon=True)
        reader.start()
        stop.wait()
    finally:
        fx.stop()
    return 0


class BodyBytes:
    """Response body bytes the servers sent (each server runs in its own thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total = 0

    @web.middleware
    async def middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        response = await handler(request)
        body = getattr(response, "body", None)
        if isinstance(body, bytes | bytearray):
            with self._lock:
                self.total += len(body)
        return response

    def clear(self) -> None:
        with self._lock:
            self.total = 0


def _commands(servers: list, sent: BodyBytes, stop: threading.Event) -> None:  # type: ignore[type-arg]
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "log":
            entries = [(s.base, e) for s in servers for e in s.requests]
            requests = [[e.method, base + e.path_qs] for base, e in entries]
            times = [e.monotonic_time for _, e in entries]
            errors = [err for s in servers for err in s.errors]
            _say({"requests": requests, "times": times, "errors": errors})
        elif cmd == "count":
            _say({"requests": sum(len(s.requests) for s in servers), "bytes": sent.total})
        elif cmd == "clear":
            for s in servers:
                s.clear_log()
            sent.clear()
            _say({"ok": True})
        elif cmd:
            _say({"error": f"unknown command {cmd!r}"})
    stop.set()  # stdin closed: the parent is gone or done


def _say(obj: object) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
