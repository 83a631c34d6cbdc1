"""Fetch a URL and record the HTTP exchange exactly as it crossed the wire.

:class:`Fetcher` owns one aiohttp session (per job or per process, never per request).
``Fetcher.fetch(url)`` is an async generator: it yields one :class:`Exchange` per HTTP
response received (each redirect hop, each retried 5xx/429), so the caller can archive
each as soon as it arrives, then raises a :class:`~workers.core.errors.FetchError` if the URL
could not be captured in the end.

Faithfulness rules:

* ``auto_decompress=False``: a gzip or br body is stored compressed, ``Content-Encoding``
  intact; the payload digest covers those bytes.
* aiohttp always removes chunked framing. The stored headers then say so honestly: the
  original ``Transfer-Encoding`` is renamed ``X-Archive-Orig-Transfer-Encoding`` and the
  real ``Content-Length`` is given (see :func:`honest_headers`).
* Bodies stream into a spooled temp file under a size cap and a time cap; a body cut by
  either, or by the server closing early, is kept and marked ``truncated``
  (``length`` / ``time`` / ``disconnect``, the WARC-Truncated reasons). A body the server
  cut is first asked for again, like a 5xx (up to ``max_retries``, within the URL's time
  budget): only the last attempt is yielded, whole or still cut.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import functools
import hashlib
import random
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from types import TracebackType
from typing import IO, Any, Protocol, Self
from urllib.parse import urljoin, urlsplit

import aiohttp
import structlog
from aiohttp.client_proto import ResponseHandler

from workers.core.errors import (
    BlockedAddressError,
    FetchError,
    PermanentFetchError,
    ProtocolError,
    RedirectLoopError,
    TransientFetchError,
    UnsupportedSchemeError,
)
from workers.core.settings import Settings
from workers.core.types import (
    Exchange,
    Headers,
)
from workers.net import guard
from workers.net.framing import DeclaredLengthHandler
from workers.parse.urls import safe_url

log = structlog.get_logger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SPOOL_MAX_MEMORY = 1024 * 1024
CHUNK = 64 * 1024


def honest_headers(raw: Sequence[tuple[bytes, bytes]], body_length: int) -> Headers:
    """Response headers that do not lie about the body stored after them.

    aiohttp hands over the body de-chunked: ``Transfer-Encoding`` is renamed
    ``X-Archive-Orig-Transfer-Encoding``. A ``Content-Length`` that does not match the
    stored body (an early close, a cap) is renamed ``X-Archive-Orig-Content-Length``. In
    both cases the true ``Content-Length`` is appended. Everything else is kept, in order.
    """
    out: Headers = []
    had_te = False
    length_ok = False
    for name, value in raw:
        lname = name.lower()
        if lname == b"transfer-encoding":
            out.append((b"X-Archive-Orig-" + name, value))
            had_te = True
        elif lname == b"content-length":
            if value.strip() == str(body_length).encode() and not had_te and not length_ok:
                out.append((name, value))
                length_ok = True
            else:
                out.append((b"X-Archive-Orig-" + name, value))
        else:
            out.append((name, value))
    if not length_ok:
        out.append((b"Content-Length", str(body_length).encode()))
    return out


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def backoff_delay(attempt: int, base: float, cap: float, rand: Callable[[], float]) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**(attempt-1))]."""
    return float(rand() * min(cap, base * (2 ** (attempt - 1))))


def check_url(url: str) -> None:
    """Raise :class:`UnsupportedSchemeError` unless ``url`` is an absolute http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsupportedSchemeError(url, "only http and https URLs can be fetched")
    if not parts.hostname:
        raise UnsupportedSchemeError(url, "URL has no host")


class RequestGate(Protocol):
    """Politeness: every request to a host waits for ``slot(url)`` (see politeness.py)."""

    def slot(self, url: str) -> AbstractAsyncContextManager[None]: ...


class Fetcher:
    """An aiohttp session that records exchanges. Use as ``async with Fetcher(settings)``."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], object] | None = None,
        rand: Callable[[], float] = random.random,
        gate: RequestGate | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self._gate = gate
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sleep = sleep or asyncio.sleep
        self._rand = rand
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        s = self.settings
        resolver = None if s.allow_private else guard.GuardedResolver()
        connector = _PeerRecordingConnector(
            limit=0, limit_per_host=0, resolver=resolver, ttl_dns_cache=300
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(
                total=None, connect=s.connect_timeout, sock_read=s.read_timeout
            ),
            headers={
                "User-Agent": s.full_user_agent,
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                # No "br": warcio and pywb read brotli bodies only with brotlipy installed,
                # so an archive meant to open anywhere asks for gzip, as Heritrix does.
                # A server that sends br anyway is stored as sent.
                "Accept-Encoding": "gzip, deflate",
            },
            cookie_jar=aiohttp.DummyCookieJar(),
            max_line_size=s.max_header_bytes,
            max_field_size=s.max_header_bytes,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(
        self,
        url: str,
        *,
        extra_headers: dict[str, str] | None = None,
        follow: Callable[[str], bool] | None = None,
    ) -> AsyncIterator[Exchange]:
        """Fetch ``url``, following redirects; yield each exchange as it completes.

        ``follow(target)`` decides whether a redirect is followed here; when it says no,
        the chain ends with the 3xx exchange (its ``redirect_to`` tells the caller where).

        Raises :class:`FetchError` (after yielding what was received) when the URL could
        not be captured: :class:`TransientFetchError` once retries are spent,
        :class:`PermanentFetchError` at once.
        """
        visited: set[str] = set()
        current, via = safe_url(url), None  # fetched and recorded as a valid URL
        deadline = time.monotonic() + self.settings.url_max_seconds  # hops and retries too
        for hop in range(self.settings.max_redirects + 1):
            visited.add(current)
            last: Exchange | None = None
            async for exchange in self._fetch_with_retries(
                current, hop, via, extra_headers, deadline
            ):
                last = exchange
                yield exchange
            assert last is not None  # _fetch_with_retries yields or raises
            if last.redirect_to is None:
                return
            if follow is not None and not follow(last.redirect_to):
                return
            if last.redirect_to in visited:
                raise RedirectLoopError(url, f"redirect loop back to {last.redirect_to}")
            current, via = last.redirect_to, current
        raise RedirectLoopError(url, f"more than {self.settings.max_redirects} redirects")

    async def _fetch_with_retries(
        self,
        url: str,
        hop: int,
        via: str | None,
        extra_headers: dict[str, str] | None,
        deadline: float,
    ) -> AsyncIterator[Exchange]:
        s = self.settings
        attempts = s.max_retries + 1
        for attempt in range(1, attempts + 1):
            wait: float | None
            try:
                exchange = await self._fetch_once(url, extra_headers, deadline)
            except TransientFetchError as exc:
                if attempt == attempts:
                    raise
                wait = backoff_delay(attempt, s.backoff_base, s.backoff_max, self._rand)
                if time.monotonic() + wait >= deadline:
                    raise TransientFetchError(
                        url, f"{exc.message}; no time left to retry ({self._budget})"
                    ) from exc
                log.info("fetch_retry", url=url, attempt=attempt, error=exc.message, wait=wait)
                await self._sleep_for(wait)
                continue
            exchange.attempt, exchange.hop, exchange.via = attempt, hop, via
            if exchange.truncated == "disconnect" and attempt < attempts:
                # the server closed mid-body: ask again rather than keep a partial page (a
                # story read from it would be a false version); the last attempt is kept
                wait = backoff_delay(attempt, s.backoff_base, s.backoff_max, self._rand)
                if time.monotonic() + wait < deadline:
                    exchange.close()
                    log.info(
                        "fetch_retry",
                        url=url,
                        attempt=attempt,
                        error="body cut (disconnect)",
                        bytes=exchange.body_length,
                        wait=wait,
                    )
                    await self._sleep_for(wait)
                    continue
            yield exchange
            if exchange.status not in RETRY_STATUSES:
                return
            retry_after = parse_retry_after(exchange.header("Retry-After"))
            if retry_after is not None and retry_after > s.retry_after_max:
                raise TransientFetchError(
                    url, f"HTTP {exchange.status}, Retry-After {retry_after:.0f}s", retry_after
                )
            if attempt == attempts:
                raise TransientFetchError(
                    url, f"HTTP {exchange.status} after {attempts} attempts", retry_after
                )
            wait = retry_after
            if wait is None:
                wait = backoff_delay(attempt, s.backoff_base, s.backoff_max, self._rand)
            if time.monotonic() + wait >= deadline:
                raise TransientFetchError(
                    url, f"HTTP {exchange.status}; no time left to retry ({self._budget})"
                )
            log.info("fetch_retry", url=url, attempt=attempt, status=exchange.status, wait=wait)
            await self._sleep_for(wait)

    async def _sleep_for(self, seconds: float) -> None:
        result = self._sleep(seconds)
        if asyncio.iscoroutine(result):
            await result

    @property
    def _budget(self) -> str:
        return f"url_max_seconds is {self.settings.url_max_seconds:g} s per URL"

    async def _fetch_once(
        self, url: str, extra_headers: dict[str, str] | None, deadline: float
    ) -> Exchange:
        check_url(url)
        host = urlsplit(url).hostname or ""
        reason = guard.literal_refusal(host, allow_private=self.settings.allow_private)
        if reason:
            raise BlockedAddressError(url, f"refused: {reason} (use --allow-private)")
        if self._gate is None:
            return await self._request(url, extra_headers, deadline)
        async with self._gate.slot(url):
            return await self._request(url, extra_headers, deadline)

    async def _request(
        self, url: str, extra_headers: dict[str, str] | None, deadline: float
    ) -> Exchange:
        assert self._session is not None, "use Fetcher as an async context manager"
        s = self.settings
        started = self._clock()
        t0 = time.monotonic()
        remaining = deadline - t0
        if remaining <= 0:
            raise TransientFetchError(url, f"no time left ({self._budget})")
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=min(s.connect_timeout, remaining),
            sock_read=min(s.read_timeout, remaining),
        )
        try:
            async with asyncio.timeout(remaining):
                resp = await self._session.get(
                    url, allow_redirects=False, headers=extra_headers or None, timeout=timeout
                )
        except TimeoutError as exc:
            raise TransientFetchError(
                url,
                f"no connection or response within {min(s.read_timeout, remaining):.3g} s "
                f"(read_timeout {s.read_timeout:g} s, {self._budget})",
            ) from exc
        except aiohttp.ClientResponseError as exc:
            raise ProtocolError(url, f"invalid HTTP response: {exc.message}") from exc
        except aiohttp.InvalidURL as exc:
            raise PermanentFetchError(url, f"invalid URL: {exc}") from exc
        except (aiohttp.ClientError, OSError) as exc:
            blocked = guard.describe(exc)
            if blocked is not None:
                raise BlockedAddressError(url, f"refused: {blocked} (use --allow-private)") from exc
            raise TransientFetchError(url, f"{type(exc).__name__}: {exc}") from exc
        try:
            return await self._read(url, resp, started, t0, deadline)
        finally:
            resp.release()

    async def _read(
        self,
        url: str,
        resp: aiohttp.ClientResponse,
        started: datetime,
        t0: float,
        url_deadline: float,
    ) -> Exchange:
        s = self.settings
        remote_ip = _peer_ip(resp)
        # a connection that sent more than it declared is never reused: what it dropped
        # belongs to this response (it may have arrived with the head)
        protocol = getattr(resp, "_protocol", None)
        body: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_MEMORY)  # noqa: SIM115 - owned by the Exchange
        digest = hashlib.sha1()
        length = 0
        truncated: str | None = None
        deadline = min(t0 + s.max_fetch_seconds, url_deadline)
        try:
            async with asyncio.timeout_at(_loop_time_at(deadline)):
                async for chunk in resp.content.iter_chunked(CHUNK):
                    room = s.max_body_bytes - length
                    if len(chunk) > room:
                        chunk = chunk[:room]
                        truncated = "length"
                    body.write(chunk)
                    digest.update(chunk)
                    length += len(chunk)
                    if truncated:
                        break
        except TimeoutError:
            truncated = "time"
        except aiohttp.ClientPayloadError as exc:
            truncated = "disconnect"
            log.warning("body_cut", url=url, error=str(exc), bytes=length)
        except (aiohttp.ClientError, OSError) as exc:
            truncated = "disconnect"
            log.warning("body_cut", url=url, error=f"{type(exc).__name__}: {exc}", bytes=length)
        if truncated in ("length", "time"):
            resp.close()  # do not reuse a connection with unread body
        overlong = int(getattr(protocol, "overlong", 0))
        if overlong:
            log.warning("overlong_body", url=url, declared=length, dropped=overlong)
        body.seek(0)
        location = resp.headers.get("Location")
        redirect_to = None
        if resp.status in REDIRECT_STATUSES and location:
            redirect_to = safe_url(urljoin(url, location.strip()))
        version = f"{resp.version.major}.{resp.version.minor}" if resp.version else "1.1"
        exchange = Exchange(
            url=url,
            method=resp.method,
            request_block=_request_block(resp, version),
            status=resp.status,
            reason=resp.reason or "",
            http_version=version,
            headers=honest_headers(resp.raw_headers, length),
            body=body,
            body_length=length,
            payload_digest="sha1:" + base64.b32encode(digest.digest()).decode("ascii"),
            started=started,
            elapsed_ms=int((time.monotonic() - t0) * 1000),
            remote_ip=remote_ip,
            truncated=truncated,
            redirect_to=redirect_to,
        )
        if overlong:
            exchange.extra["overlongBytesDropped"] = str(overlong)
        log.debug(
            "response_read",
            url=url,
            status=exchange.status,
            bytes=length,
            ms=exchange.elapsed_ms,
            truncated=truncated,
            remote_ip=remote_ip,
        )
        return exchange


class _PeerRecordingConnector(aiohttp.TCPConnector):
    """Notes each new connection's peer address on its protocol (for WARC-IP-Address),
    and speaks through :class:`~workers.net.framing.DeclaredLengthHandler` (no byte past a
    declared ``Content-Length`` reaches the parser; such a connection is not reused).

    aiohttp drops the connection of a short or closed response before the caller can
    ask it for its peer, so the address is taken when the connection is made.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # aiohttp has no public hook for its protocol class; this is its own default
        # (functools.partial(ResponseHandler, loop=loop)) with the guard in front
        factory: Callable[[], ResponseHandler] = functools.partial(
            DeclaredLengthHandler, loop=self._loop
        )
        self._factory = factory  # type: ignore[assignment]

    async def _create_connection(self, req: Any, traces: Any, timeout: Any) -> Any:
        protocol = await super()._create_connection(req, traces, timeout)
        transport = getattr(protocol, "transport", None)
        peer = transport.get_extra_info("peername") if transport is not None else None
        protocol.storyvault_peer = str(peer[0]) if peer else None  # type: ignore[attr-defined]
        return protocol


def _peer_ip(resp: aiohttp.ClientResponse) -> str | None:
    """The server's IP address as noted by :class:`_PeerRecordingConnector`."""
    protocol = getattr(resp, "_protocol", None)
    peer = getattr(protocol, "storyvault_peer", None)
    return str(peer) if peer else None


def _loop_time_at(monotonic_deadline: float) -> float:
    loop = asyncio.get_running_loop()
    return loop.time() + (monotonic_deadline - time.monotonic())


def _request_block(resp: aiohttp.ClientResponse, version: str) -> bytes:
    info = resp.request_info
    target = info.url.raw_path_qs or "/"
    lines = [f"{info.method} {target} HTTP/{version}".encode("latin-1")]
    lines.extend(
        k.encode("latin-1") + b": " + v.encode("latin-1", "replace")
        for k, v in info.headers.items()
    )
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def fetch_all(fetcher: Fetcher, url: str) -> tuple[list[Exchange], FetchError | None]:
    """Collect every exchange of ``fetcher.fetch(url)``; return them and the final error."""
    exchanges: list[Exchange] = []
    try:
        async for exchange in fetcher.fetch(url):
            exchanges.append(exchange)
    except FetchError as exc:
        return exchanges, exc
    return exchanges, None
