"""Faithful capture against real loopback servers, read back with warcio.

Every hostile route gets a logged outcome and either a valid (possibly truncated) record
or a clear refusal; none crashes the process or corrupts the file (the ``archive_dir``
fixture runs ``warcio check`` on every WARC afterwards).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog
from warcio.archiveiterator import ArchiveIterator

from tests.support.cuts import BodyCutter
from tests.support.servers import (
    BAD_CHARSET_BODY,
    EARLY_CLOSE_BODY,
    FALSE_GZIP_BODY,
    LiveServer,
    big_body,
    outlet_app,
    sent_body,
    serve,
)
from workers.core.errors import ProtocolError, RedirectLoopError, TransientFetchError
from workers.core.settings import Settings
from workers.crawl.capture import CaptureReport, capture_url
from workers.net.fetch import Fetcher
from workers.state.sqlite import SQLiteState
from workers.warc.writer import Archive


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


@dataclass
class Stored:
    rec_type: str
    url: str
    headers: Any  # warcio StatusAndHeaders of the WARC record
    http: Any  # warcio StatusAndHeaders of the HTTP message, or None
    payload: bytes


def read_archive(settings: Settings) -> list[Stored]:
    out = []
    for path in sorted((settings.archive / "collections").rglob("*.warc.gz")):
        with path.open("rb") as fh:
            for r in ArchiveIterator(fh):
                out.append(
                    Stored(
                        r.rec_type,
                        r.rec_headers.get_header("WARC-Target-URI"),
                        r.rec_headers,
                        r.http_headers,
                        r.raw_stream.read(),
                    )
                )
    return out


def capture(
    settings: Settings, *urls: str, sleeps: list[float] | None = None
) -> list[CaptureReport]:
    async def run() -> list[CaptureReport]:
        with SQLiteState.beside(settings.archive) as state, Archive(settings) as archive:
            fetcher = Fetcher(
                settings, sleep=(sleeps.append if sleeps is not None else None), rand=lambda: 0.5
            )
            async with fetcher:
                return [await capture_url(u, fetcher, archive, state) for u in urls]

    return asyncio.run(run())


@pytest.fixture
def settings(archive_dir: Path) -> Settings:
    return Settings(
        archive=archive_dir,
        allow_private=True,
        backoff_base=0.01,
        max_retries=2,
        max_fetch_seconds=20,
    )


def responses(settings: Settings, url_suffix: str) -> list[Stored]:
    return [
        s
        for s in read_archive(settings)
        if s.rec_type in ("response", "revisit") and s.url.endswith(url_suffix)
    ]


def test_gzip_payload_is_the_bytes_the_server_sent(outlet: LiveServer, settings: Settings) -> None:
    (report,) = capture(settings, outlet.url("/gzip"))
    assert report.ok
    (stored,) = responses(settings, "/gzip")
    sent = sent_body(outlet, "/gzip")
    assert sent[:2] == b"\x1f\x8b"
    assert stored.payload == sent
    assert stored.headers.get_header("WARC-Payload-Digest") == sha1_b32(sent)
    assert stored.http.get_header("Content-Encoding") == "gzip"


def test_brotli_payload_stays_compressed(outlet: LiveServer, settings: Settings) -> None:
    capture(settings, outlet.url("/br"))
    (stored,) = responses(settings, "/br")
    assert stored.payload == sent_body(outlet, "/br")
    assert stored.http.get_header("Content-Encoding") == "br"


def test_chunked_page_is_stored_without_a_lying_header(
    outlet: LiveServer, settings: Settings
) -> None:
    capture(settings, outlet.url("/chunked"))
    (stored,) = responses(settings, "/chunked")
    assert stored.payload == sent_body(outlet, "/chunked")
    assert stored.http.get_header("Transfer-Encoding") is None
    assert stored.http.get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert stored.http.get_header("Content-Length") == str(len(stored.payload))


def test_request_and_metadata_records_are_linked(outlet: LiveServer, settings: Settings) -> None:
    capture(settings, outlet.url("/plain"))
    records = read_archive(settings)
    assert [r.rec_type for r in records] == ["warcinfo", "response", "request", "metadata"]
    info, response, request, metadata = records
    assert b"storyvault" in info.payload and b"http-header-user-agent" in info.payload
    rid = response.headers.get_header("WARC-Record-ID")
    assert request.headers.get_header("WARC-Concurrent-To") == rid
    assert metadata.headers.get_header("WARC-Concurrent-To") == rid
    assert request.http.protocol == "GET"
    assert request.http.get_header("User-Agent").startswith("storyvault/")
    assert response.headers.get_header("WARC-IP-Address") == "127.0.0.1"
    assert b"fetchTimeMs: " in metadata.payload


def test_unchanged_payload_becomes_a_revisit(outlet: LiveServer, settings: Settings) -> None:
    capture(settings, outlet.url("/plain"))
    capture(settings, outlet.url("/plain"))  # a second run: digests persist in state
    first, second = responses(settings, "/plain")
    assert (first.rec_type, second.rec_type) == ("response", "revisit")
    assert second.payload == b""
    assert second.headers.get_header("WARC-Refers-To-Target-URI") == outlet.url("/plain")
    assert second.headers.get_header("WARC-Refers-To-Date") == first.headers.get_header("WARC-Date")
    assert second.headers.get_header("WARC-Payload-Digest") == first.headers.get_header(
        "WARC-Payload-Digest"
    )
    # a page whose bytes change is stored in full each time
    capture(settings, outlet.url("/counter"), outlet.url("/counter"))
    assert [s.rec_type for s in responses(settings, "/counter")] == ["response", "response"]


def test_redirect_chain_hops_are_separate_captures(hostile: LiveServer, settings: Settings) -> None:
    (report,) = capture(settings, hostile.url("/redirect-chain"))
    assert report.ok
    stored = [s for s in read_archive(settings) if s.rec_type == "response"]
    paths = [s.url.removeprefix(hostile.base) for s in stored]
    assert paths == ["/redirect-chain", "/hop/1", "/hop/2", "/hop/3", "/chain-end"]
    assert [s.http.get_statuscode() for s in stored] == ["302"] * 4 + ["200"]
    assert stored[-1].payload == sent_body(hostile, "/chain-end")
    metas = [s.payload for s in read_archive(settings) if s.rec_type == "metadata"]
    assert b"via: " + hostile.url("/hop/2").encode() in metas[3]
    assert b"hopsFromSeed: RRR" in metas[3]


def outcome(report: CaptureReport) -> tuple[list[str | None], type | None]:
    return [ex.truncated for ex, _ in report.written], type(report.error) if report.error else None


def test_early_close_keeps_the_bytes_and_says_so(hostile: LiveServer, settings: Settings) -> None:
    with structlog.testing.capture_logs() as logs:
        (report,) = capture(settings, hostile.url("/early-close"))
    assert outcome(report) == (["disconnect"], None)
    (stored,) = responses(settings, "/early-close")
    assert stored.payload == EARLY_CLOSE_BODY
    assert stored.headers.get_header("WARC-Truncated") == "disconnect"
    assert stored.http.get_header("X-Archive-Orig-Content-Length") == "1000"
    assert stored.http.get_header("Content-Length") == str(len(EARLY_CLOSE_BODY))
    assert any(e["event"] == "body_cut" for e in logs)


def test_a_body_cut_once_is_fetched_again_and_stored_whole(settings: Settings) -> None:
    cutter = BodyCutter(rate=1.0, attempts=1)  # the first response of each URL is cut
    app = outlet_app()
    app.middlewares.append(cutter.middleware)
    for server in serve(LiveServer(app, "127.0.0.1")):
        with structlog.testing.capture_logs() as logs:
            (report,) = capture(settings, server.url("/plain"))
        whole = sent_body(server, "/plain")
    assert [c.attempt for c in cutter.cuts] == [1]
    assert outcome(report) == ([None], None)
    (stored,) = responses(settings, "/plain")
    assert stored.payload == whole
    assert stored.headers.get_header("WARC-Truncated") is None
    assert [e["error"] for e in logs if e["event"] == "fetch_retry"] == ["body cut (disconnect)"]


def test_false_gzip_is_stored_as_sent(hostile: LiveServer, settings: Settings) -> None:
    (report,) = capture(settings, hostile.url("/false-gzip"))
    assert report.ok
    (stored,) = responses(settings, "/false-gzip")
    assert stored.payload == FALSE_GZIP_BODY
    assert stored.http.get_header("Content-Encoding") == "gzip"


def test_bad_chunking_is_refused_or_stored_truncated(
    hostile: LiveServer, settings: Settings
) -> None:
    # aiohttp parses the chunk framing while reading the headers when both arrive in one
    # packet: then the reply is refused as invalid HTTP; otherwise what came is kept.
    (report,) = capture(settings, hostile.url("/bad-chunking"))
    stored = responses(settings, "/bad-chunking")
    if report.error is not None:
        assert isinstance(report.error, ProtocolError)
        assert "chunk" in str(report.error) and hostile.url("/bad-chunking") in str(report.error)
        assert stored == []
    else:
        (one,) = stored
        assert one.headers.get_header("WARC-Truncated") == "disconnect"
        assert one.http.get_header("Transfer-Encoding") is None
        assert one.http.get_header("Content-Length") == str(len(one.payload))


def test_endless_body_is_cut_at_the_size_cap(hostile: LiveServer, settings: Settings) -> None:
    capped = settings.replace(max_body_bytes=1_000_000)
    (report,) = capture(capped, hostile.url("/endless"))
    assert outcome(report) == (["length"], None)
    (stored,) = responses(capped, "/endless")
    assert len(stored.payload) == 1_000_000
    assert stored.headers.get_header("WARC-Truncated") == "length"


def test_slow_trickle_is_cut_at_the_time_cap(hostile: LiveServer, settings: Settings) -> None:
    capped = settings.replace(max_fetch_seconds=1.2)
    (report,) = capture(capped, hostile.url("/slow-trickle"))
    assert outcome(report) == (["time"], None)
    (stored,) = responses(capped, "/slow-trickle")
    assert 0 < len(stored.payload) < 120
    assert stored.headers.get_header("WARC-Truncated") == "time"


def test_redirect_loop_is_refused_after_archiving_the_hops(
    hostile: LiveServer, settings: Settings
) -> None:
    with structlog.testing.capture_logs() as logs:
        (report,) = capture(settings, hostile.url("/redirect-loop"))
    assert isinstance(report.error, RedirectLoopError)
    assert len(report.written) == 3  # /redirect-loop, /loop-a, /loop-b, then back to /loop-a
    assert any(
        e["event"] == "fetch_failed" and e["error_type"] == "RedirectLoopError" for e in logs
    )


def test_twenty_megabyte_body_is_stored_whole(hostile: LiveServer, settings: Settings) -> None:
    (report,) = capture(settings, hostile.url("/big"))
    assert report.ok
    (stored,) = responses(settings, "/big")
    assert stored.headers.get_header("WARC-Payload-Digest") == sha1_b32(big_body())
    assert stored.headers.get_header("WARC-Truncated") is None


@pytest.mark.parametrize("path", ["/invalid-status", "/huge-headers"])
def test_unparseable_replies_are_refused_clearly(
    hostile: LiveServer, settings: Settings, path: str
) -> None:
    with structlog.testing.capture_logs() as logs:
        (report,) = capture(settings, hostile.url(path))
    assert isinstance(report.error, ProtocolError)
    assert hostile.url(path) in str(report.error)
    assert report.written == []
    assert any(e["event"] == "fetch_failed" for e in logs)


def test_bad_charset_bytes_are_kept(hostile: LiveServer, settings: Settings) -> None:
    capture(settings, hostile.url("/bad-charset"))
    (stored,) = responses(settings, "/bad-charset")
    assert stored.payload == BAD_CHARSET_BODY


def test_retry_after_is_honoured_and_every_attempt_archived(
    hostile: LiveServer, settings: Settings
) -> None:
    sleeps: list[float] = []
    (report,) = capture(settings, hostile.url("/status/503-then-200?x=1"), sleeps=sleeps)
    assert report.ok
    assert sleeps == [1.0]
    assert [s.http.get_statuscode() for s in responses(settings, "?x=1")] == ["503", "200"]


def test_persistent_5xx_and_429_give_up_after_bounded_retries(
    hostile: LiveServer, settings: Settings
) -> None:
    sleeps: list[float] = []
    r429, r500, r404 = capture(
        settings,
        hostile.url("/status/429"),
        hostile.url("/status/500"),
        hostile.url("/status/404"),
        sleeps=sleeps,
    )
    assert isinstance(r429.error, TransientFetchError) and len(r429.written) == 3
    assert isinstance(r500.error, TransientFetchError) and len(r500.written) == 3
    assert sleeps[:2] == [1.0, 1.0]  # Retry-After: 1 on the 429s
    assert sleeps[2:] == [0.005, 0.01]  # jittered exponential backoff (rand pinned to 0.5)
    assert r404.ok and len(r404.written) == 1  # a 404 is a capture, not an error
