"""Tests proving the test infrastructure in ``tests/support`` behaves as documented."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import http.client
import io
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
import redis
from aiohttp import web
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.support.client import get, loopback_target, raw_get
from tests.support.redis import RedisServer
from tests.support.servers import (
    BAD_CHARSET_BODY,
    BIG_BODY_SIZE,
    CHUNKED_PARTS,
    CITED_URLS,
    EARLY_CLOSE_BODY,
    ENCODED_HTML,
    FALSE_GZIP_BODY,
    HUGE_HEADER_SIZE,
    PLAIN_BODY,
    PNG_BODY,
    LiveServer,
    big_body,
    outlet_app,
    sent_body,
)
from tests.support.warc import assert_warcs_valid, find_warcs

T = TypeVar("T")

TIMEOUT = aiohttp.ClientTimeout(total=15)


def run(factory: Callable[[aiohttp.ClientSession], Awaitable[T]], **session_kw: Any) -> T:
    """Run ``factory(session)`` in a fresh event loop with a fresh aiohttp session."""

    async def main() -> T:
        async with aiohttp.ClientSession(timeout=TIMEOUT, **session_kw) as session:
            return await factory(session)

    return asyncio.run(main())


def split_raw(raw: bytes) -> tuple[bytes, dict[str, str], bytes]:
    """Split raw response bytes into status line, headers (lower-cased names), body."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.split(b"\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status_line, headers, body


def sha1(data: bytes) -> str:
    """Hex sha1 of *data*."""
    return hashlib.sha1(data).hexdigest()


# --------------------------------------------------------------------------
# LiveServer and the outlet
# --------------------------------------------------------------------------


def test_outlet_and_cited_hosts_are_distinct_hosts(
    outlet: LiveServer, cited_hosts: list[LiveServer]
) -> None:
    assert [outlet.host, *(s.host for s in cited_hosts)] == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    assert len({outlet.base, *(s.base for s in cited_hosts)}) == 3
    assert cited_hosts[0].base == f"http://127.0.0.2:{cited_hosts[0].port}"

    home = get(outlet.url("/"))
    cited = get(cited_hosts[0].url("/"))
    assert home.status == cited.status == 200
    assert b"Storyvault Test Outlet" in home.body
    assert b"Cited Source 127.0.0.2" in cited.body
    assert [r.path for r in outlet.requests] == ["/"]
    assert [r.path for r in cited_hosts[0].requests] == ["/"]
    assert cited_hosts[1].requests == []


def test_request_log_records_method_path_headers_time(outlet: LiveServer) -> None:
    before = time.monotonic()
    get(outlet.url("/news/some-story-123?ref=front"), headers={"User-Agent": "sv-test/1"})
    after = time.monotonic()

    (entry,) = outlet.requests
    assert entry.method == "GET"
    assert entry.path_qs == "/news/some-story-123?ref=front"
    assert entry.path == "/news/some-story-123"
    assert entry.headers["User-Agent"] == "sv-test/1"
    assert before <= entry.monotonic_time <= after
    assert entry.remote.startswith("127.")
    assert outlet.requests_for("/news/some-story-123") == [entry]

    outlet.clear_log()
    assert outlet.requests == []


def test_outlet_pages(outlet: LiveServer) -> None:
    home = get(outlet.url("/"))
    assert b'href="/news/some-story-123"' in home.body
    assert b'href="/news/another-story-456"' in home.body
    assert home.body == sent_body(outlet, "/")

    article = get(outlet.url("/news/some-story-123"))
    assert article.status == 200
    assert b"<title>Council approves new harbour bridge" in article.body
    assert article.body.count(b"<p>") >= 3
    assert get(outlet.url("/news/no-such-story")).status == 404

    robots = get(outlet.url("/robots.txt"))
    assert robots.body == b"User-agent: *\nDisallow: /private/\n"

    plain = get(outlet.url("/plain"))
    assert plain.body == PLAIN_BODY == sent_body(outlet, "/plain")
    assert plain.header("Content-Length") == str(len(PLAIN_BODY))
    assert plain.header("Content-Type") == "text/html"

    image = get(outlet.url("/image.png"))
    assert image.header("Content-Type") == "image/png"
    assert image.body == PNG_BODY and image.body.startswith(b"\x89PNG\r\n\x1a\n")

    first, second = get(outlet.url("/counter")), get(outlet.url("/counter"))
    assert b'<span id="n">1</span>' in first.body
    assert b'<span id="n">2</span>' in second.body
    assert sent_body(outlet, "/counter") == second.body


def test_outlet_articles_link_to_cited_urls(
    outlet: LiveServer, cited_hosts: list[LiveServer]
) -> None:
    outlet.app[CITED_URLS].append(cited_hosts[0].url("/news/another-story-456"))
    body = get(outlet.url("/news/some-story-123")).body
    assert f'href="{cited_hosts[0].url("/news/another-story-456")}"'.encode() in body
    assert get(cited_hosts[0].url("/news/another-story-456")).status == 200


def test_gzip_route_sends_handler_compressed_bytes(outlet: LiveServer) -> None:
    resp = get(outlet.url("/gzip"), headers={"Accept-Encoding": "gzip"})
    assert resp.header("Content-Encoding") == "gzip"
    assert resp.body[:2] == b"\x1f\x8b"
    assert resp.header("Content-Length") == str(len(resp.body))
    assert sha1(resp.body) == sha1(sent_body(outlet, "/gzip"))
    assert gzip.decompress(resp.body) == ENCODED_HTML

    async def decoded(session: aiohttp.ClientSession) -> bytes:
        async with session.get(outlet.url("/gzip")) as r:
            return await r.read()

    assert run(decoded) == ENCODED_HTML  # aiohttp transparently gunzips


def test_brotli_route(outlet: LiveServer) -> None:
    brotli = pytest.importorskip("brotli")  # Brotli or brotlipy; both provide this API
    resp = get(outlet.url("/br"), headers={"Accept-Encoding": "br"})
    assert resp.header("Content-Encoding") == "br"
    assert resp.body == sent_body(outlet, "/br")
    assert brotli.decompress(resp.body) == ENCODED_HTML


def test_chunked_route_uses_several_chunks(outlet: LiveServer) -> None:
    status, headers, framed = split_raw(raw_get(outlet.url("/chunked")))
    assert status == b"HTTP/1.1 200 OK"
    assert headers["transfer-encoding"] == "chunked"
    assert "content-length" not in headers
    for part in CHUNKED_PARTS:
        assert f"{len(part):x}\r\n".encode() + part + b"\r\n" in framed
    assert framed.endswith(b"0\r\n\r\n")

    decoded = get(outlet.url("/chunked")).body
    assert decoded == b"".join(CHUNKED_PARTS) == sent_body(outlet, "/chunked")


def test_live_server_context_manager_and_loopback_guard() -> None:
    with LiveServer(outlet_app(), "127.0.0.3") as server:
        assert server.host == "127.0.0.3"
        assert get(server.url("plain")).body == PLAIN_BODY
    server.stop()  # idempotent
    with pytest.raises(ValueError, match=r"127\.0\.0\.0/8"):
        LiveServer(outlet_app(), "10.0.0.1")
    with pytest.raises(ValueError, match="non-loopback"):
        loopback_target("http://192.0.2.1/")


def test_server_side_errors_are_captured_not_printed() -> None:
    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("kaboom")

    app = web.Application()
    app.router.add_get("/boom", boom)
    with LiveServer(app) as server:
        assert get(server.url("/boom")).status == 500
    assert any("kaboom" in e for e in server.errors)
    with pytest.raises(AssertionError, match="kaboom"):
        server.assert_no_errors()


# --------------------------------------------------------------------------
# hostile routes
# --------------------------------------------------------------------------


def test_early_close_delivers_fewer_bytes_than_declared(hostile: LiveServer) -> None:
    status, headers, body = split_raw(raw_get(hostile.url("/early-close")))
    assert status == b"HTTP/1.1 200 OK"
    assert headers["content-length"] == "1000"
    assert body == EARLY_CLOSE_BODY == sent_body(hostile, "/early-close")
    assert len(body) == 100

    async def read(session: aiohttp.ClientSession) -> None:
        async with session.get(hostile.url("/early-close")) as r:
            await r.read()

    with pytest.raises(aiohttp.ClientPayloadError):
        run(read)


def test_false_gzip_breaks_decoding(hostile: LiveServer) -> None:
    resp = get(hostile.url("/false-gzip"))
    assert resp.header("Content-Encoding") == "gzip"
    assert resp.body == FALSE_GZIP_BODY == sent_body(hostile, "/false-gzip")

    async def read(session: aiohttp.ClientSession) -> None:
        async with session.get(hostile.url("/false-gzip")) as r:
            await r.read()

    with pytest.raises(aiohttp.ClientPayloadError):
        run(read)
    raw = run(_read_raw(hostile.url("/false-gzip")), auto_decompress=False)
    assert raw == FALSE_GZIP_BODY


def _read_raw(url: str) -> Callable[[aiohttp.ClientSession], Awaitable[bytes]]:
    async def read(session: aiohttp.ClientSession) -> bytes:
        async with session.get(url) as r:
            return await r.read()

    return read


def test_bad_chunking_is_malformed(hostile: LiveServer) -> None:
    _, headers, body = split_raw(raw_get(hostile.url("/bad-chunking")))
    assert headers["transfer-encoding"] == "chunked"
    assert body.startswith(b"5\r\nhello\r\nzz\r\n")

    # aiohttp reports a malformed chunk-size line as a (fake) 400 ClientResponseError,
    # not as a ClientPayloadError; accept either.
    with pytest.raises((aiohttp.ClientPayloadError, aiohttp.ClientResponseError)):
        run(_read_raw(hostile.url("/bad-chunking")))


def test_endless_streams_until_client_leaves(hostile: LiveServer) -> None:
    wanted = 8 * 1024 * 1024

    async def read_some(session: aiohttp.ClientSession) -> int:
        got = 0
        async with session.get(hostile.url("/endless")) as r:
            assert r.headers["Transfer-Encoding"] == "chunked"
            assert "Content-Length" not in r.headers
            async for chunk in r.content.iter_chunked(65536):
                got += len(chunk)
                if got >= wanted:
                    break
        return got

    started = time.monotonic()
    assert run(read_some) >= wanted
    assert time.monotonic() - started < 10
    hostile.wait_idle(timeout=5)  # the handler noticed the disconnect and returned
    assert get(hostile.url("/status/404")).status == 404  # server still healthy


def test_slow_trickle_is_slow(hostile: LiveServer) -> None:
    async def first_bytes(session: aiohttp.ClientSession) -> tuple[str, list[float]]:
        stamps = []
        async with session.get(hostile.url("/slow-trickle")) as r:
            length = r.headers["Content-Length"]
            start = time.monotonic()
            for _ in range(2):
                assert len(await r.content.readexactly(1)) == 1
                stamps.append(time.monotonic() - start)
        return length, stamps

    length, stamps = run(first_bytes)
    assert length == "120"
    assert stamps[0] >= 0.4 and stamps[1] - stamps[0] >= 0.4
    hostile.wait_idle(timeout=3)

    quick = get(hostile.url("/slow-trickle?bytes=4&interval=0.01"))
    assert quick.body == b"slow" == sent_body(hostile, "/slow-trickle")


def test_redirect_loop_never_ends(hostile: LiveServer) -> None:
    async def follow(session: aiohttp.ClientSession) -> None:
        async with session.get(hostile.url("/redirect-loop"), max_redirects=5) as r:
            await r.read()

    with pytest.raises(aiohttp.TooManyRedirects):
        run(follow)
    paths = [r.path for r in hostile.requests]
    assert paths[:4] == ["/redirect-loop", "/loop-a", "/loop-b", "/loop-a"]

    first = get(hostile.url("/loop-b"))
    assert first.status == 302 and first.header("Location") == "/loop-a"


def test_redirect_chain_ends_at_chain_end(hostile: LiveServer) -> None:
    async def follow(session: aiohttp.ClientSession) -> tuple[list[str], str, bytes]:
        async with session.get(hostile.url("/redirect-chain")) as r:
            hops = [str(h.url.path) for h in r.history]
            return hops, r.url.path, await r.read()

    hops, final, body = run(follow)
    assert hops == ["/redirect-chain", "/hop/1", "/hop/2", "/hop/3"]
    assert final == "/chain-end"
    assert body == sent_body(hostile, "/chain-end")


def test_big_body_is_20_mib_and_matches_sent_bytes(hostile: LiveServer) -> None:
    async def read(session: aiohttp.ClientSession) -> tuple[str, str]:
        digest = hashlib.sha1()
        async with session.get(hostile.url("/big")) as r:
            async for chunk in r.content.iter_chunked(1 << 20):
                digest.update(chunk)
            return r.headers["Content-Length"], digest.hexdigest()

    length, digest = run(read)
    assert length == str(BIG_BODY_SIZE)
    assert digest == sha1(sent_body(hostile, "/big")) == sha1(big_body())
    assert len(big_body()) == BIG_BODY_SIZE


def test_invalid_status_line(hostile: LiveServer) -> None:
    assert raw_get(hostile.url("/invalid-status")).startswith(b"HTTP/1.1 abc NOPE\r\n")
    with pytest.raises(aiohttp.ClientResponseError):
        run(_read_raw(hostile.url("/invalid-status")))
    with pytest.raises(http.client.BadStatusLine):
        get(hostile.url("/invalid-status"))


def test_huge_headers(hostile: LiveServer) -> None:
    with pytest.raises(aiohttp.ClientResponseError, match="8190"):
        run(_read_raw(hostile.url("/huge-headers")))  # aiohttp's default limit

    async def headers(session: aiohttp.ClientSession) -> str:
        async with session.get(hostile.url("/huge-headers")) as r:
            await r.read()
            return r.headers["X-Huge"]

    huge = run(headers, max_field_size=HUGE_HEADER_SIZE + 1024)
    assert len(huge) == HUGE_HEADER_SIZE


def test_bad_charset(hostile: LiveServer) -> None:
    async def read(session: aiohttp.ClientSession) -> tuple[str, bytes, str]:
        async with session.get(hostile.url("/bad-charset")) as r:
            body = await r.read()
            return r.headers["Content-Type"], body, r.get_encoding()

    ctype, body, encoding = run(read)
    assert ctype == "text/html; charset=klingon-42"
    assert body == BAD_CHARSET_BODY == sent_body(hostile, "/bad-charset")
    assert encoding == "utf-8"  # aiohttp silently falls back for unknown charsets
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


def test_503_then_200_per_query_string(hostile: LiveServer) -> None:
    first = get(hostile.url("/status/503-then-200?u=1"))
    assert first.status == 503 and first.header("Retry-After") == "1"
    assert get(hostile.url("/status/503-then-200?u=1")).status == 200
    assert get(hostile.url("/status/503-then-200?u=2")).status == 503
    assert get(hostile.url("/status/503-then-200?u=2")).status == 200


@pytest.mark.parametrize(("code", "retry_after"), [(429, "1"), (404, None), (500, None)])
def test_fixed_status_routes(hostile: LiveServer, code: int, retry_after: str | None) -> None:
    for _ in range(2):
        resp = get(hostile.url(f"/status/{code}"))
        assert resp.status == code
        assert resp.header("Retry-After") == retry_after
        assert resp.body == sent_body(hostile, f"/status/{code}")


# --------------------------------------------------------------------------
# redis
# --------------------------------------------------------------------------


def test_private_redis_answers(redis_server: RedisServer, redis_url: str) -> None:
    assert redis_server.port != 6379
    assert redis_url == redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.ping() is True
        client.set("storyvault:test", b"value")
        assert client.get("storyvault:test") == b"value"
        assert client.config_get("appendonly") == {"appendonly": "no"}
    finally:
        client.close()


def test_redis_restart_keeps_data_when_persistent() -> None:
    with RedisServer(persist=True) as server:
        port, data_dir = server.port, server.dir
        client = redis.Redis(host=server.host, port=server.port)
        try:
            client.set("kept", b"soft")
            server.restart()
            assert server.port == port and server.dir == data_dir
            assert client.get("kept") == b"soft"  # redis-py reconnects
            client.set("kept", b"hard")
            server.restart(hard=True)
            assert client.get("kept") == b"hard"
        finally:
            client.close()
    assert not data_dir.exists()
    assert not server.running


def test_redis_restart_loses_data_when_not_persistent() -> None:
    with RedisServer() as server:
        client = redis.Redis(host=server.host, port=server.port)
        try:
            client.set("gone", b"1")
            server.restart()
            assert client.get("gone") is None
        finally:
            client.close()


# --------------------------------------------------------------------------
# WARC checks
# --------------------------------------------------------------------------


def _write_warc(path: Path, payload: bytes) -> None:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        http_headers = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"
        )
        # Passing length= matters: without it warcio spools the payload into a
        # SpooledTemporaryFile it never closes (a ResourceWarning, i.e. an error here).
        record = writer.create_warc_record(
            "http://127.0.0.1/",
            "response",
            payload=io.BytesIO(payload),
            length=len(payload),
            http_headers=http_headers,
        )
        writer.write_record(record)


def test_archive_dir_accepts_valid_warcs(archive_dir: Path) -> None:
    (archive_dir / "sub").mkdir()
    _write_warc(archive_dir / "sub" / "ok.warc.gz", b"<html>fine</html>")
    (archive_dir / "sub" / "ignored.warc.gz.open").write_bytes(b"not checked")
    assert find_warcs(archive_dir) == [archive_dir / "sub" / "ok.warc.gz"]
    assert assert_warcs_valid(archive_dir) == [archive_dir / "sub" / "ok.warc.gz"]


def _corrupt(kind: str, good: bytes) -> bytes:
    raw = gzip.decompress(good)
    if kind == "digest-mismatch":
        return gzip.compress(raw.replace(b"original", b"tampered"))
    if kind == "single-gzip-member":
        return gzip.compress(raw + raw)
    if kind == "truncated-gzip":
        return good[: len(good) // 2]
    if kind == "not-a-warc":
        return gzip.compress(b"WARC/1.0\r\nnot: really\r\n\r\n")
    raise ValueError(kind)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("digest-mismatch", "digest failed"),
        ("single-gzip-member", "non-chunked gzip"),
        ("truncated-gzip", "broken gzip stream"),
        ("not-a-warc", "missing WARC-Record-ID"),  # warcio check itself accepts this one
    ],
)
def test_assert_warcs_valid_rejects_broken_warcs(tmp_path: Path, kind: str, expected: str) -> None:
    good = tmp_path / "good.warc.gz"
    _write_warc(good, b"<html>original payload</html>")
    bad = tmp_path / f"{kind}.warc.gz"
    bad.write_bytes(_corrupt(kind, good.read_bytes()))
    with pytest.raises(AssertionError, match=r"1 of 2 WARC file\(s\) failed") as excinfo:
        assert_warcs_valid(tmp_path)
    message = str(excinfo.value)
    assert f"{kind}.warc.gz" in message
    assert expected in message
