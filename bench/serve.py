"""Serve the synthetic benchmark outlet in its own process.

Started by ``bench/crawl_bench.py`` so that the server's event loop does not compete with
the client being measured for the GIL. Prints one JSON line on stdout once listening::

    {"base": "http://127.0.0.1:PORT", "cited": [...], "articles": N, "pid": PID}

then answers commands read from stdin, one JSON line each:

* ``log``   -- ``{"requests": [[method, absolute_url], ...], "times": [...], "errors": [...]}``
  (every request since start or the last ``clear``, in arrival order per server;
  ``times[i]`` is the arrival of ``requests[i]`` on this process's monotonic clock,
  seconds, comparable across the outlet and its cited hosts);
* ``count`` -- ``{"requests": N}``;
* ``clear`` -- forget the request log: ``{"ok": true}``.

Exits when stdin closes or on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

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
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    spec = (
        bench_spec(args.pages)
        if args.outlet == "bench"
        else OutletSpec(sections=2, articles_per_section=6, calendar_trap=True)
    )

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    fx = start_outlet(spec, cited_hosts=CITED_HOSTS[: args.cited_hosts], host=args.host)
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
        reader = threading.Thread(target=_commands, args=(servers, stop), daemon=True)
        reader.start()
        stop.wait()
    finally:
        fx.stop()
    return 0


def _commands(servers: list, stop: threading.Event) -> None:  # type: ignore[type-arg]
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "log":
            entries = [(s.base, e) for s in servers for e in s.requests]
            requests = [[e.method, base + e.path_qs] for base, e in entries]
            times = [e.monotonic_time for _, e in entries]
            errors = [err for s in servers for err in s.errors]
            _say({"requests": requests, "times": times, "errors": errors})
        elif cmd == "count":
            _say({"requests": sum(len(s.requests) for s in servers)})
        elif cmd == "clear":
            for s in servers:
                s.clear_log()
            _say({"ok": True})
        elif cmd:
            _say({"error": f"unknown command {cmd!r}"})
    stop.set()  # stdin closed: the parent is gone or done


def _say(obj: object) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
