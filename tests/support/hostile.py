"""Hostile and faulty sites for the crawler's trust tests, each an aiohttp app.

* :func:`robots_app` -- a small site whose robots.txt answers what the test says
  (``app[ROBOTS_STATUS]``, a mutable list: one status per request, the last repeats);
* :func:`sitemap_trap_app` -- sitemap indexes that never end (``/sitemap-index.xml?depth=N``
  lists the next index), wide indexes and padded sitemaps;
* :func:`numeric_outlet_app` -- an outlet whose articles all share one URL shape
  (``/a/s123.html``), listed by a sitemap and a feed, and a day-after-day calendar;
* :func:`slow_app` -- a server that accepts and never answers, or trickles a byte a second;
* :func:`overlong_app` -- ``Content-Length: 64`` followed by more bytes on a keep-alive
  connection (raw sockets, see :func:`serve_overlong`).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from datetime import date, timedelta
from html import escape
from typing import Any

from aiohttp import web

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"

ROBOTS_STATUS: web.AppKey[list[int]] = web.AppKey("robots_status", list)
"""App key of :func:`robots_app`: the statuses robots.txt answers, in turn (last repeats)."""


def _page(title: str, body: str) -> web.Response:
    html = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}"
        f"</title></head><body>{body}</body></html>"
    )
    return web.Response(text=html, content_type="text/html")


def robots_app() -> web.Application:
    """``/`` links to ``/news/one``; ``/robots.txt`` answers ``app[ROBOTS_STATUS]`` in turn
    (200 gives ``Disallow: /private/``)."""
    app = web.Application()
    app[ROBOTS_STATUS] = [200]

    async def robots(request: web.Request) -> web.Response:
        statuses = request.app[ROBOTS_STATUS]
        status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
        if status == 200:
            return web.Response(text="User-agent: *\nDisallow: /private/\n")
        return web.Response(status=status, text=f"robots.txt says {status}\n")

    async def home(request: web.Request) -> web.Response:
        return _page("Home", '<p><a href="/news/one">One story</a></p>')

    async def story(request: web.Request) -> web.Response:
        return _page("One story", "<article><h1>One story</h1><p>It happened.</p></article>")

    app.router.add_get("/robots.txt", robots)
    app.router.add_get("/", home)
    app.router.add_get("/news/one", story)
    return app


def _sitemap_index(locs: list[str], padding: int = 0) -> bytes:
    rows = "".join(f"<sitemap><loc>{escape(u)}</loc></sitemap>\n" for u in locs)
    pad = f"<!-- {'x' * padding} -->\n" if padding else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
        f"{rows}{pad}</sitemapindex>\n"
    ).encode()


def _urlset(locs: list[str], padding: int = 0) -> bytes:
    rows = "".join(f"<url><loc>{escape(u)}</loc></url>\n" for u in locs)
    pad = f"<!-- {'x' * padding} -->\n" if padding else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'
        f"{rows}{pad}</urlset>\n"
    ).encode()


SITEMAP_TRAP_LEVELS = 200
"""How deep the endless sitemap chain goes before it gives up (far past any budget)."""


def sitemap_trap_app() -> web.Application:
    """Sitemaps that never end.

    * ``/robots.txt`` -- allows all, ``Sitemap: /sitemap-index.xml?depth=0``;
    * ``/sitemap-index.xml?depth=N`` -- an index listing ``?depth=N+1`` and a urlset
      ``/sitemap-pages.xml?depth=N`` (up to :data:`SITEMAP_TRAP_LEVELS`), padded with
      ``?pad=BYTES`` of comment;
    * ``/sitemap-wide.xml?n=N`` -- an index of N urlsets ``/sitemap-pages.xml?depth=K``;
    * ``/sitemap-pages.xml?depth=N`` -- a urlset of one page, ``/page/N``;
    * ``/page/N`` -- a tiny HTML page.
    """
    app = web.Application()

    async def robots(request: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nAllow: /\nSitemap: /sitemap-index.xml?depth=0\n")

    async def index(request: web.Request) -> web.Response:
        depth = int(request.query.get("depth", "0"))
        pad = int(request.query.get("pad", "0"))
        base = f"{request.scheme}://{request.host}"
        suffix = f"&pad={pad}" if pad else ""
        locs = [f"{base}/sitemap-pages.xml?depth={depth}"]
        if depth < SITEMAP_TRAP_LEVELS:
            locs.append(f"{base}/sitemap-index.xml?depth={depth + 1}{suffix}")
        return web.Response(body=_sitemap_index(locs, pad), content_type="application/xml")

    async def wide(request: web.Request) -> web.Response:
        n = int(request.query.get("n", "100"))
        pad = int(request.query.get("pad", "0"))
        base = f"{request.scheme}://{request.host}"
        locs = [f"{base}/sitemap-pages.xml?depth={k}&pad={pad}" for k in range(n)]
        return web.Response(body=_sitemap_index(locs), content_type="application/xml")

    async def pages(request: web.Request) -> web.Response:
        depth = int(request.query.get("depth", "0"))
        pad = int(request.query.get("pad", "0"))
        base = f"{request.scheme}://{request.host}"
        return web.Response(
            body=_urlset([f"{base}/page/{depth}"], pad), content_type="application/xml"
        )

    async def page(request: web.Request) -> web.Response:
        return _page(f"Page {request.match_info['n']}", "<p>Nothing much.</p>")

    app.router.add_get("/robots.txt", robots)
    app.router.add_get("/sitemap-index.xml", index)
    app.router.add_get("/sitemap-wide.xml", wide)
    app.router.add_get("/sitemap-pages.xml", pages)
    app.router.add_get(r"/page/{n:\d+}", page)
    return app


def numeric_outlet_app(
    articles: int = 120,
    calendar_start: date = date(2026, 1, 1),
    *,
    listed: bool = True,
    all_on_home: bool = False,
) -> web.Application:
    """An outlet whose article URLs differ only by a number (``/a/s{n}.html``).

    * ``/`` -- links to every 10th article and to ``/calendar/<first day>``;
    * ``/sitemap.xml`` (named by robots.txt) -- a urlset of every article;
    * ``/feed.rss`` (linked from ``/``) -- RSS of the newest 20;
    * with ``listed=False`` neither: articles are found only by their links;
    * with ``all_on_home=True`` ``/`` lists every article, and articles link to no other;
    * ``/a/s{n}.html`` -- an article (``og:type=article``), linking to its neighbours;
    * ``/calendar/YYYY-MM-DD`` -- a day's (empty) events, linking to the next day and the
      day after, forever.
    """
    app = web.Application()
    ids = list(range(1000, 1000 + articles))

    async def robots(request: web.Request) -> web.Response:
        base = f"{request.scheme}://{request.host}"
        sitemap = f"Sitemap: {base}/sitemap.xml\n" if listed else ""
        return web.Response(text=f"User-agent: *\nAllow: /\n{sitemap}")

    async def home(request: web.Request) -> web.Response:
        shown = ids if all_on_home else ids[::10]
        links = "".join(f'<li><a href="/a/s{n}.html">Story {n}</a></li>' for n in shown)
        head = '<link rel="alternate" type="application/rss+xml" href="/feed.rss">'
        head = head if listed else ""
        cal = f'<a href="/calendar/{calendar_start.isoformat()}">Events</a>'
        return _page("Numeric outlet", f"{head}<ul>{links}</ul><footer>{cal}</footer>")

    async def sitemap(request: web.Request) -> web.Response:
        base = f"{request.scheme}://{request.host}"
        return web.Response(
            body=_urlset([f"{base}/a/s{n}.html" for n in ids]), content_type="application/xml"
        )

    async def feed(request: web.Request) -> web.Response:
        base = f"{request.scheme}://{request.host}"
        items = "".join(
            f"<item><title>Story {n}</title><link>{base}/a/s{n}.html</link></item>"
            for n in ids[-20:]
        )
        rss = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>N</title>'
            f"{items}</channel></rss>"
        )
        return web.Response(text=rss, content_type="application/rss+xml")

    async def article(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n not in ids:
            raise web.HTTPNotFound()
        near = "".join(
            f'<a href="/a/s{m}.html">Story {m}</a> '
            for m in (n - 1, n + 1)
            if m in ids and not all_on_home
        )
        body = (
            f"<article><h1>Story {n}</h1><p>{'Something happened. ' * 20}</p></article>"
            f"<nav>{near}</nav>"
        )
        html = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f'<meta property="og:type" content="article"><title>Story {n}</title></head>'
            f"<body>{body}</body></html>"
        )
        return web.Response(text=html, content_type="text/html")

    async def calendar(request: web.Request) -> web.Response:
        day = date.fromisoformat(request.match_info["day"])
        nxt, after = day + timedelta(days=1), day + timedelta(days=2)
        return _page(
            f"Events {day}",
            f'<p>No events.</p><a href="/calendar/{nxt.isoformat()}">Next day</a> '
            f'<a href="/calendar/{after.isoformat()}">The day after</a>',
        )

    app.router.add_get("/robots.txt", robots)
    app.router.add_get("/", home)
    if listed:
        app.router.add_get("/sitemap.xml", sitemap)
        app.router.add_get("/feed.rss", feed)
    app.router.add_get(r"/a/s{n:\d+}.html", article)
    app.router.add_get(r"/calendar/{day:\d{4}-\d{2}-\d{2}}", calendar)
    return app


def slow_app() -> web.Application:
    """Servers that hold a URL.

    * ``/robots.txt`` -- allows all, at once;
    * ``/silent`` -- accepts the request and never answers (until the client leaves);
    * ``/trickle`` -- ``Content-Length: 1000``, then one byte every ``?interval=S`` s;
    * ``/trickle-head`` -- the status line and headers themselves, a byte every ``?interval=S`` s.
    """
    app = web.Application()

    async def robots(request: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nAllow: /\n")

    async def silent(request: web.Request) -> web.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def trickle(request: web.Request) -> web.StreamResponse:
        interval = float(request.query.get("interval", "1"))
        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        resp.content_length = 1000
        await resp.prepare(request)
        with contextlib.suppress(ConnectionError):
            for _ in range(1000):
                await resp.write(b"s")
                await asyncio.sleep(interval)
        return resp

    async def trickle_head(request: web.Request) -> web.StreamResponse:
        interval = float(request.query.get("interval", "1"))
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
        transport = request.transport
        for byte in head:
            if transport is None or transport.is_closing():
                break
            transport.write(bytes([byte]))
            await asyncio.sleep(interval)
        if transport is not None:
            transport.close()
        return _AlreadySent()

    app.router.add_get("/robots.txt", robots)
    app.router.add_get("/silent", silent)
    app.router.add_get("/trickle-head", trickle_head)
    app.router.add_get("/trickle", trickle)
    return app


class _AlreadySent(web.StreamResponse):
    """What a raw handler returns: its bytes went straight to the socket, now closed."""

    async def prepare(self, request: web.BaseRequest) -> Any:
        raise ConnectionResetError("raw response already written; connection closed")


OVERLONG_DECLARED = b"<html><body><p>Sixty-four bytes declared, and this is them.</p>\n"
"""The 64 bytes ``/overlong`` declares with its Content-Length."""
assert len(OVERLONG_DECLARED) == 64
OVERLONG_EXTRA = b"<p>...and these bytes were never declared.</p></body></html>\n" * 4
"""What ``/overlong`` sends after the declared 64 bytes, on the same connection."""


class OverlongServer:
    """A raw HTTP/1.1 server on a loopback address: ``/overlong`` answers
    ``Content-Length: 64`` then sends :data:`OVERLONG_EXTRA` after the 64 bytes on the
    same keep-alive connection; every other path is a well-formed 200. Records each
    request line with its connection number in :attr:`requests`."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.requests: list[tuple[int, str]] = []
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connections = 0

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections += 1
        conn = self._connections
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                self.requests.append((conn, line))
                path = line.split(" ")[1]
                if path == "/overlong":
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                        b"Content-Length: 64\r\n\r\n" + OVERLONG_DECLARED + OVERLONG_EXTRA
                    )
                else:
                    body = b"User-agent: *\nAllow: /\n" if path == "/robots.txt" else b"fine\n"
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                        + str(len(body)).encode()
                        + b"\r\n\r\n"
                        + body
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    def __enter__(self) -> OverlongServer:
        """Serve from a background thread (its own event loop) until the block ends."""
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop

            async def start() -> None:
                self._server = await asyncio.start_server(self._handle, self.host, 0)
                self.port = self._server.sockets[0].getsockname()[1]

            loop.run_until_complete(start())
            ready.set()
            loop.run_forever()
            assert self._server is not None
            self._server.close()
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

        self._thread = threading.Thread(target=run, name="OverlongServer", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
