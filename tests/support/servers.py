"""Live loopback HTTP servers for crawler tests.

:class:`LiveServer` runs an :class:`aiohttp.web.Application` on its own event
loop in a background thread, bound to one loopback address (``127.0.0.1``,
``127.0.0.2``, ... are distinct hosts; Linux routes all of 127/8 to ``lo``).
Every request is appended to :attr:`LiveServer.requests` by a middleware, and
anything aiohttp would have logged as an error, plus any exception reaching the
server loop, is collected in :attr:`LiveServer.errors` instead of going to
stderr (fixtures assert it stays empty).

Two applications are provided:

* :func:`outlet_app` -- a small, well-behaved news outlet;
* :func:`hostile_app` -- misbehaving routes (truncation, broken framing,
  garbage status lines, endless bodies, loops, ...).

Routes whose body is deterministic record the exact payload bytes they put on
the wire (after content-encoding, before chunk framing) in
``app[SENT_BODIES][path]``; read them back with :func:`sent_body`.  Routes with
a changing body (``/counter``) record the most recently sent body.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import ipaddress
import itertools
import logging
import random
import struct
import threading
import time
import traceback
import weakref
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from html import escape
from types import TracebackType
from typing import Any

from aiohttp import web

try:
    import brotli
except ImportError:  # pragma: no cover - brotli is a project dependency
    brotli = None

__all__ = [
    "BAD_CHARSET_BODY",
    "BIG_BODY_SIZE",
    "CHUNKED_PARTS",
    "CITED_URLS",
    "EARLY_CLOSE_BODY",
    "ENCODED_HTML",
    "ENDLESS_LIMIT",
    "FALSE_GZIP_BODY",
    "HUGE_HEADER_SIZE",
    "PLAIN_BODY",
    "PNG_BODY",
    "SENT_BODIES",
    "LiveServer",
    "RequestLogEntry",
    "big_body",
    "hostile_app",
    "outlet_app",
    "sent_body",
]

SENT_BODIES: web.AppKey[dict[str, bytes]] = web.AppKey("sent_bodies", dict)
"""App key: path -> exact body bytes most recently sent on that path."""

CITED_URLS: web.AppKey[list[str]] = web.AppKey("cited_urls", list)
"""App key (outlet only): absolute URLs every article links to as "cited
sources".  Mutable list, read at request time, so tests may append after start."""

BIG_BODY_SIZE = 20 * 1024 * 1024
"""Size in bytes of the hostile ``/big`` body."""

ENDLESS_LIMIT = 200 * 1024 * 1024
"""The hostile ``/endless`` route aborts the connection after this many bytes."""


@dataclass
class _AppState:
    """Mutable per-application state (mutating it after start is allowed)."""

    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    seen_queries: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


_STATE: web.AppKey[_AppState] = web.AppKey("storyvault_test_state", _AppState)
_log = logging.getLogger(__name__)


# --------------------------------------------------------------------------
# LiveServer
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestLogEntry:
    """One request as seen by a :class:`LiveServer` (before its handler ran)."""

    method: str
    path_qs: str
    headers: dict[str, str]
    monotonic_time: float
    remote: str

    @property
    def path(self) -> str:
        """``path_qs`` without the query string."""
        return self.path_qs.split("?", 1)[0]


class _ErrorSink(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Logger handed to aiohttp's request handlers: records warnings/errors."""

    def __init__(self, sink: list[str], lock: threading.Lock) -> None:
        super().__init__(_log, {})
        self._sink = sink
        self._lock = lock

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        """Record WARNING and above, drop everything else."""
        if level < logging.WARNING:
            return
        text = str(msg) % args if args else str(msg)
        exc_info = kwargs.get("exc_info")
        if isinstance(exc_info, BaseException):
            text += "\n" + "".join(traceback.format_exception(exc_info))
        elif exc_info:
            text += "\n" + traceback.format_exc()
        with self._lock:
            self._sink.append(f"aiohttp {logging.getLevelName(level)}: {text}")


def _check_loopback(host: str) -> None:
    """Refuse anything that is not an IPv4 loopback address."""
    if ipaddress.ip_address(host) not in ipaddress.ip_network("127.0.0.0/8"):
        raise ValueError(f"LiveServer only binds 127.0.0.0/8 addresses, not {host!r}")


class LiveServer:
    """An aiohttp application served from a background thread on one loopback host."""

    def __init__(
        self,
        app: web.Application,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        shutdown_timeout: float = 0.5,
    ) -> None:
        _check_loopback(host)
        self._app = app
        self._host = host
        self._requested_port = port
        self._port: int | None = None
        self._shutdown_timeout = shutdown_timeout
        self._lock = threading.Lock()
        self._requests: list[RequestLogEntry] = []
        self._errors: list[str] = []
        self._in_flight = 0
        self._max_in_flight = 0
        #: seconds every handler waits before it runs (to make concurrency observable)
        self.latency = 0.0
        # Touched in the loop thread only:
        self._handler_tasks: set[asyncio.Task[Any]] = set()
        self._transports: weakref.WeakSet[asyncio.BaseTransport] = weakref.WeakSet()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._stopped = False
        app.middlewares.append(self._log_middleware)

    # -- public API --------------------------------------------------------

    @property
    def app(self) -> web.Application:
        """The served application."""
        return self._app

    @property
    def host(self) -> str:
        """The loopback address the server is bound to."""
        return self._host

    @property
    def port(self) -> int:
        """The bound TCP port (only valid once started)."""
        if self._port is None:
            raise RuntimeError("LiveServer is not started")
        return self._port

    @property
    def base(self) -> str:
        """``http://HOST:PORT`` without a trailing slash."""
        return f"http://{self._host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """Absolute URL for *path* (a leading ``/`` is added if missing)."""
        if not path.startswith("/"):
            path = "/" + path
        return self.base + path

    @property
    def requests(self) -> list[RequestLogEntry]:
        """Snapshot of every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str) -> list[RequestLogEntry]:
        """Logged requests whose path (query string ignored) equals *path*."""
        return [r for r in self.requests if r.path == path]

    def clear_log(self) -> None:
        """Forget the logged requests."""
        with self._lock:
            self._requests.clear()

    @property
    def in_flight(self) -> int:
        """Number of handlers currently running (streams still being written count)."""
        with self._lock:
            return self._in_flight

    @property
    def max_in_flight(self) -> int:
        """The most handlers that ever ran at once (see :attr:`latency`)."""
        with self._lock:
            return self._max_in_flight

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Block until no handler is running; :class:`TimeoutError` after *timeout* s."""
        deadline = time.monotonic() + timeout
        while self.in_flight:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.base}: {self.in_flight} handler(s) still running")
            time.sleep(0.01)

    @property
    def errors(self) -> list[str]:
        """Errors aiohttp logged or that reached the server loop's exception handler."""
        with self._lock:
            return list(self._errors)

    def assert_no_errors(self) -> None:
        """Raise :class:`AssertionError` listing any server-side errors."""
        errors = self.errors
        if errors:
            joined = "\n\n".join(errors)
            raise AssertionError(f"{self.base}: server-side errors:\n{joined}")

    def start(self) -> LiveServer:
        """Start serving; returns once the socket is listening."""
        if self._thread is not None:
            raise RuntimeError("LiveServer can only be started once")
        self._thread = threading.Thread(
            target=self._run, name=f"LiveServer-{self._host}", daemon=True
        )
        self._thread.start()
        self._ready.wait(timeout=10)
        if self._startup_error is not None:
            self._thread.join(timeout=10)
            raise RuntimeError(
                f"LiveServer failed to start on {self._host}:{self._requested_port}"
            ) from self._startup_error
        if not self._ready.is_set():
            raise RuntimeError(f"LiveServer on {self._host} did not start within 10 s")
        return self

    def stop(self) -> None:
        """Close connections, clean up the runner, close the loop, join the thread."""
        if self._stopped or self._thread is None:
            return
        self._stopped = True
        loop = self._loop
        if loop is not None and self._startup_error is None:
            fut = asyncio.run_coroutine_threadsafe(self._cleanup(), loop)
            try:
                fut.result(timeout=30)
            finally:
                loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout=30)
        if self._thread.is_alive():
            raise RuntimeError(f"LiveServer thread for {self._host} did not stop")

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = f"{self._host}:{self._port}" if self._port is not None else self._host
        return f"<LiveServer {where}>"

    # -- internals ---------------------------------------------------------

    @web.middleware
    async def _log_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        entry = RequestLogEntry(
            method=request.method,
            path_qs=request.path_qs,
            headers=dict(request.headers),
            monotonic_time=time.monotonic(),
            remote=request.remote or "",
        )
        task = asyncio.current_task()
        with self._lock:
            self._requests.append(entry)
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
        if task is not None:
            self._handler_tasks.add(task)
        if request.transport is not None:
            self._transports.add(request.transport)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            response: web.StreamResponse = await handler(request)
        finally:
            if task is not None:
                self._handler_tasks.discard(task)
            with self._lock:
                self._in_flight -= 1
        return response

    def _exception_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        text = str(context.get("message", "unhandled exception in server loop"))
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            text += "\n" + "".join(traceback.format_exception(exc))
        with self._lock:
            self._errors.append(f"loop: {text}")

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        loop.set_exception_handler(self._exception_handler)
        try:
            try:
                loop.run_until_complete(self._setup())
            except BaseException as exc:
                self._startup_error = exc
                self._ready.set()
                if self._runner is not None:
                    loop.run_until_complete(self._runner.cleanup())
                return
            self._ready.set()
            loop.run_forever()
        finally:
            try:
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()

    async def _setup(self) -> None:
        runner = web.AppRunner(
            self._app,
            handle_signals=False,
            access_log=None,
            shutdown_timeout=self._shutdown_timeout,
            handler_cancellation=True,
            logger=_ErrorSink(self._errors, self._lock),
        )
        self._runner = runner
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._requested_port)
        await site.start()
        self._port = int(runner.addresses[0][1])

    async def _cleanup(self) -> None:
        runner = self._runner
        if runner is None:
            return
        transports = set(self._transports)
        if runner.server is not None:
            transports.update(h.transport for h in runner.server.connections if h.transport)
        # Cancel still-running handlers (trickles, endless streams) before the
        # runner's graceful shutdown: aiohttp's own shutdown can race a handler
        # that finishes just as its grace period expires (InvalidStateError).
        tasks = [t for t in self._handler_tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await runner.cleanup()
        # transport.close() waits for the write buffer to drain, which never
        # happens with a client that stopped reading: abort whatever is left.
        for transport in transports:
            if isinstance(transport, asyncio.WriteTransport):
                transport.abort()
            else:
                transport.close()
        await asyncio.sleep(0)  # let connection_lost() callbacks run


def serve(server: LiveServer) -> Iterator[LiveServer]:
    """Start *server*, yield it, stop it, then fail on any server-side error (a fixture body:
    ``yield from serve(LiveServer(app, "127.0.0.1"))``)."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
    server.assert_no_errors()


def sent_body(server: LiveServer | web.Application, path: str) -> bytes:
    """Exact body bytes the app last sent on *path* (after gzip, before chunking)."""
    app = server.app if isinstance(server, LiveServer) else server
    bodies = app[SENT_BODIES]
    try:
        return bodies[path]
    except KeyError:
        known = ", ".join(sorted(bodies)) or "none yet"
        raise KeyError(f"nothing sent on {path!r} yet (recorded: {known})") from None


# --------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------


def _new_app() -> web.Application:
    app = web.Application()
    app[SENT_BODIES] = {}
    app[_STATE] = _AppState()
    return app


def _record(request: web.Request, body: bytes) -> None:
    request.app[SENT_BODIES][request.path] = body


def _respond(
    request: web.Request,
    body: bytes,
    *,
    status: int = 200,
    content_type: str = "text/html; charset=utf-8",
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """A fixed-body response whose bytes are recorded in ``SENT_BODIES``."""
    _record(request, body)
    all_headers = {"Content-Type": content_type}
    if headers:
        all_headers.update(headers)
    return web.Response(body=body, status=status, headers=all_headers)


class _AlreadySent(web.StreamResponse):
    """Returned by raw handlers: the bytes are written and the socket is closed.

    Its ``prepare`` raises :class:`ConnectionResetError`, which aiohttp treats
    as a client that went away -- so nothing else is written and nothing is
    logged.
    """

    async def prepare(self, request: web.BaseRequest) -> Any:
        raise ConnectionResetError("raw response already written; connection closed")


def _send_raw(request: web.Request, data: bytes) -> web.StreamResponse:
    """Write *data* verbatim on the request's socket and close it."""
    transport = request.transport
    if transport is not None and not transport.is_closing():
        transport.write(data)
        transport.close()
    return _AlreadySent()


def _html_page(title: str, body_html: str) -> bytes:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n</head>\n<body>\n{body_html}\n</body>\n</html>\n"
    ).encode()


# --------------------------------------------------------------------------
# outlet_app
# --------------------------------------------------------------------------

_ARTICLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "some-story-123": (
        "Council approves new harbour bridge",
        (
            "The city council voted 7 to 2 on Tuesday to approve the harbour bridge.",
            "Construction is expected to begin next spring and last three years.",
            "Opponents said the cost estimate had doubled since the first proposal.",
        ),
    ),
    "another-story-456": (
        "Local library extends opening hours",
        (
            "From next month the central library will open until 9 pm on weekdays.",
            "The change follows a petition signed by more than four thousand residents.",
        ),
    ),
}


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


PNG_BODY: bytes = (
    b"\x89PNG\r\n\x1a\n"
    + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    + _png_chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00", 9))
    + _png_chunk(b"IEND", b"")
)
"""The 1x1 red PNG ``/image.png`` serves."""

PLAIN_BODY = _html_page("Plain page", "<p>A plain page with a fixed body.</p>")
"""The exact bytes ``/plain`` serves."""

ENCODED_HTML = _html_page(
    "Encoded page",
    "\n".join(
        f"<p>Paragraph {i}: the quick brown fox jumps over the lazy dog.</p>" for i in range(40)
    ),
)
"""The decoded HTML served (compressed) by ``/gzip`` and ``/br``."""

CHUNKED_PARTS: tuple[bytes, ...] = (
    b"<!doctype html>\n<html><head><title>Chunked page</title></head><body>\n",
    b"<p>First chunk of the story.</p>\n",
    b"<p>Second chunk of the story.</p>\n",
    b"<p>Third and final chunk.</p>\n</body></html>\n",
)
"""The chunks ``/chunked`` writes, one ``write()`` each."""


def outlet_app(
    name: str = "Storyvault Test Outlet", cited_urls: Sequence[str] = ()
) -> web.Application:
    """A tiny, well-behaved news outlet.

    Routes:

    * ``/`` -- homepage linking to ``/news/some-story-123`` and ``/news/another-story-456``;
    * ``/robots.txt`` -- allows everything except ``/private/``;
    * ``/news/{slug}`` -- article pages (``<title>``, paragraphs, an ``<img>``,
      links to ``app[CITED_URLS]``); unknown slugs 404;
    * ``/private/secret`` -- a page robots.txt disallows;
    * ``/plain`` -- fixed HTML bytes with Content-Length (:data:`PLAIN_BODY`);
    * ``/gzip`` -- :data:`ENCODED_HTML` gzip-compressed by the handler, ``Content-Encoding: gzip``;
    * ``/br`` -- the same with brotli, ``Content-Encoding: br`` (only if ``brotli`` imports);
    * ``/chunked`` -- :data:`CHUNKED_PARTS` sent with ``Transfer-Encoding: chunked``;
    * ``/counter`` -- HTML whose body contains a per-app request counter;
    * ``/image.png`` -- a 1x1 PNG.
    """
    app = _new_app()
    app[CITED_URLS] = list(cited_urls)

    async def home(request: web.Request) -> web.Response:
        links = "\n".join(
            f'<li><a href="/news/{slug}">{escape(title)}</a></li>'
            for slug, (title, _) in _ARTICLES.items()
        )
        return _respond(request, _html_page(name, f"<h1>{escape(name)}</h1>\n<ul>\n{links}\n</ul>"))

    async def robots(request: web.Request) -> web.Response:
        return _respond(request, b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")

    async def article(request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        if slug not in _ARTICLES:
            return _respond(request, _html_page("Not found", "<p>No such story.</p>"), status=404)
        title, paragraphs = _ARTICLES[slug]
        parts = [f"<h1>{escape(title)}</h1>", '<img src="/image.png" alt="">']
        parts += [f"<p>{escape(p)}</p>" for p in paragraphs]
        cited = request.app[CITED_URLS].copy()
        if cited:
            items = "\n".join(f'<li><a href="{escape(u)}">{escape(u)}</a></li>' for u in cited)
            parts.append(f'<h2>Sources</h2>\n<ul class="sources">\n{items}\n</ul>')
        parts.append('<p><a href="/">Back to the front page</a></p>')
        canonical = f'<link rel="canonical" href="{escape(str(request.url))}">\n'
        return _respond(request, _html_page(f"{title} | {name}", canonical + "\n".join(parts)))

    async def private(request: web.Request) -> web.Response:
        return _respond(request, _html_page("Private", "<p>Robots may not see this.</p>"))

    async def plain(request: web.Request) -> web.Response:
        return _respond(request, PLAIN_BODY, content_type="text/html")

    async def gzipped(request: web.Request) -> web.Response:
        body = gzip.compress(ENCODED_HTML, mtime=0)
        headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        return _respond(request, body, headers=headers)

    async def brotlied(request: web.Request) -> web.Response:
        assert brotli is not None
        body = brotli.compress(ENCODED_HTML)
        headers = {"Content-Encoding": "br", "Vary": "Accept-Encoding"}
        return _respond(request, body, headers=headers)

    async def chunked(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
        resp.enable_chunked_encoding()
        _record(request, b"".join(CHUNKED_PARTS))
        await resp.prepare(request)
        for part in CHUNKED_PARTS:
            await resp.write(part)
            await asyncio.sleep(0.002)
        await resp.write_eof()
        return resp

    async def counter(request: web.Request) -> web.Response:
        state = request.app[_STATE]
        with state.lock:
            n = next(state.counter)
        return _respond(
            request,
            _html_page(f"Counter {n}", f'<p>Served <span id="n">{n}</span> times.</p>'),
        )

    async def image(request: web.Request) -> web.Response:
        return _respond(request, PNG_BODY, content_type="image/png")

    app.router.add_get("/", home)
    app.router.add_get("/robots.txt", robots)
    app.router.add_get("/news/{slug}", article)
    app.router.add_get("/private/secret", private)
    app.router.add_get("/plain", plain)
    app.router.add_get("/gzip", gzipped)
    if brotli is not None:
        app.router.add_get("/br", brotlied)
    app.router.add_get("/chunked", chunked)
    app.router.add_get("/counter", counter)
    app.router.add_get("/image.png", image)
    return app


# --------------------------------------------------------------------------
# hostile_app
# --------------------------------------------------------------------------


@cache
def big_body() -> bytes:
    """The deterministic 20 MiB body of the hostile ``/big`` route (built once per process)."""
    return random.Random(20240101).randbytes(BIG_BODY_SIZE)


EARLY_CLOSE_BODY = b"<html><body>" + b"x" * 74 + b"</body></html>"
"""The 100 bytes ``/early-close`` sends (of a declared 1000)."""

FALSE_GZIP_BODY = b"<html><body><p>This is not gzip at all.</p></body></html>\n"
"""The plain bytes ``/false-gzip`` sends under ``Content-Encoding: gzip``."""

BAD_CHARSET_BODY = (
    b"<html><head><title>Bad charset</title></head><body><p>"
    b"caf\xe9 \xff\xfe \xc3\x28 \xa0\xa1 \xf0\x28\x8c\x28</p></body></html>\n"
)
"""The invalid-UTF-8 bytes ``/bad-charset`` sends."""

HUGE_HEADER_SIZE = 100 * 1024
"""Length of the ``X-Huge`` header value of ``/huge-headers``."""

_SLOW_TRICKLE_MAX = 120


async def _stream(resp: web.StreamResponse, parts: Iterable[bytes | memoryview]) -> bool:
    """Write *parts*; return False (quietly) if the client went away."""
    try:
        for part in parts:
            await resp.write(part)
    except ConnectionError:
        return False
    return True


def hostile_app() -> web.Application:
    """Misbehaving routes, each documented by one line below.

    * ``/early-close`` -- declares Content-Length: 1000, sends 100 bytes, closes the socket.
    * ``/false-gzip`` -- ``Content-Encoding: gzip`` over plain, non-gzip bytes.
    * ``/bad-chunking`` -- ``Transfer-Encoding: chunked``, one valid 5-byte chunk, then a
      malformed size line ``zz``, then close.
    * ``/endless`` -- chunked bytes at full speed until the client disconnects
      (aborted after :data:`ENDLESS_LIMIT` bytes).
    * ``/slow-trickle`` -- ``Content-Length: 120``, then 1 byte every 0.5 s
      (``?bytes=N&interval=S`` shrink it: N <= 120, S >= 0.01).
    * ``/redirect-loop`` -- 302 to ``/loop-a``; ``/loop-a`` and ``/loop-b`` 302 to each other.
    * ``/redirect-chain`` -- 302s ``/hop/1`` -> ``/hop/2`` -> ``/hop/3`` -> ``/chain-end`` (200).
    * ``/big`` -- 20 MiB of deterministic bytes (:func:`big_body`), Content-Length, streamed.
    * ``/invalid-status`` -- raw ``HTTP/1.1 abc NOPE`` status line, then close.
    * ``/huge-headers`` -- 200 with an ``X-Huge`` header of 100 KiB.
    * ``/bad-charset`` -- ``text/html; charset=klingon-42`` over invalid UTF-8 bytes.
    * ``/status/503-then-200`` -- 503 + ``Retry-After: 1`` on the first request per
      distinct query string, 200 afterwards.
    * ``/status/{code}`` -- always that status (e.g. 404, 429, 500); 429 and 503 add
      ``Retry-After: 1``.
    """
    app = _new_app()
    big_body()  # build the cached 20 MiB now, not inside the server loop

    async def early_close(request: web.Request) -> web.StreamResponse:
        _record(request, EARLY_CLOSE_BODY)
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
            b"Content-Length: 1000\r\nConnection: close\r\n\r\n"
        )
        return _send_raw(request, head + EARLY_CLOSE_BODY)

    async def false_gzip(request: web.Request) -> web.Response:
        return _respond(request, FALSE_GZIP_BODY, headers={"Content-Encoding": "gzip"})

    async def bad_chunking(request: web.Request) -> web.StreamResponse:
        return _send_raw(
            request,
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            b"5\r\nhello\r\nzz\r\nthis is not a chunk\r\n",
        )

    async def endless(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        block = bytes(range(256)) * 256  # 64 KiB
        sent = 0
        try:
            while sent < ENDLESS_LIMIT:
                transport = request.transport
                if transport is None or transport.is_closing():
                    break
                await resp.write(block)
                sent += len(block)
                await asyncio.sleep(0)  # never starve the loop
        except ConnectionError:
            return resp
        transport = request.transport
        if transport is not None:
            transport.close()  # abort: no terminating chunk
        return resp

    async def slow_trickle(request: web.Request) -> web.StreamResponse:
        total = max(1, min(_SLOW_TRICKLE_MAX, int(request.query.get("bytes", _SLOW_TRICKLE_MAX))))
        interval = max(0.01, float(request.query.get("interval", 0.5)))
        body = (b"slow" * 30)[:total]
        _record(request, body)
        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        resp.content_length = total
        await resp.prepare(request)
        try:
            for i in range(total):
                await asyncio.sleep(interval)
                await resp.write(body[i : i + 1])
            await resp.write_eof()
        except ConnectionError:
            pass
        return resp

    async def redirect_loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop-a")

    async def loop_a(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop-b")

    async def loop_b(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop-a")

    async def redirect_chain(request: web.Request) -> web.Response:
        raise web.HTTPFound("/hop/1")

    async def hop(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        raise web.HTTPFound(f"/hop/{n + 1}" if n < 3 else "/chain-end")

    async def chain_end(request: web.Request) -> web.Response:
        return _respond(request, _html_page("End of the chain", "<p>You followed 4 redirects.</p>"))

    async def big(request: web.Request) -> web.StreamResponse:
        body = big_body()
        _record(request, body)
        resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        resp.content_length = len(body)
        await resp.prepare(request)
        view = memoryview(body)
        step = 256 * 1024
        if await _stream(resp, (view[i : i + step] for i in range(0, len(body), step))):
            with contextlib.suppress(ConnectionError):
                await resp.write_eof()
        return resp

    async def invalid_status(request: web.Request) -> web.StreamResponse:
        return _send_raw(
            request,
            b"HTTP/1.1 abc NOPE\r\nContent-Type: text/plain\r\n"
            b"Content-Length: 5\r\nConnection: close\r\n\r\nhello",
        )

    async def huge_headers(request: web.Request) -> web.Response:
        return _respond(
            request,
            _html_page("Huge headers", "<p>Look at the X-Huge header.</p>"),
            headers={"X-Huge": "h" * HUGE_HEADER_SIZE},
        )

    async def bad_charset(request: web.Request) -> web.Response:
        return _respond(request, BAD_CHARSET_BODY, content_type="text/html; charset=klingon-42")

    async def then_200(request: web.Request) -> web.Response:
        state = request.app[_STATE]
        with state.lock:
            first = request.query_string not in state.seen_queries
            state.seen_queries.add(request.query_string)
        if first:
            return _respond(
                request,
                b"Service temporarily unavailable; retry in 1 s.\n",
                status=503,
                content_type="text/plain",
                headers={"Retry-After": "1"},
            )
        return _respond(request, _html_page("Back again", "<p>Now it works.</p>"))

    async def status(request: web.Request) -> web.Response:
        code = int(request.match_info["code"])
        if not 200 <= code <= 599 or code in (204, 304):
            raise web.HTTPBadRequest(text="status must be 200..599, not 204/304")
        headers = {"Retry-After": "1"} if code in (429, 503) else None
        return _respond(
            request,
            f"status {code}\n".encode(),
            status=code,
            content_type="text/plain",
            headers=headers,
        )

    app.router.add_get("/early-close", early_close)
    app.router.add_get("/false-gzip", false_gzip)
    app.router.add_get("/bad-chunking", bad_chunking)
    app.router.add_get("/endless", endless)
    app.router.add_get("/slow-trickle", slow_trickle)
    app.router.add_get("/redirect-loop", redirect_loop)
    app.router.add_get("/loop-a", loop_a)
    app.router.add_get("/loop-b", loop_b)
    app.router.add_get("/redirect-chain", redirect_chain)
    app.router.add_get(r"/hop/{n:[1-3]}", hop)
    app.router.add_get("/chain-end", chain_end)
    app.router.add_get("/big", big)
    app.router.add_get("/invalid-status", invalid_status)
    app.router.add_get("/huge-headers", huge_headers)
    app.router.add_get("/bad-charset", bad_charset)
    app.router.add_get("/status/503-then-200", then_200)
    app.router.add_get(r"/status/{code:\d{3}}", status)
    return app
