"""WARC records built from exchanges, compared byte for byte with a pinned clock and ids."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import itertools
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from workers.core.settings import Settings
from workers.core.types import Exchange, StoredPayload
from workers.net.fetch import honest_headers
from workers.warc.records import REVISIT_NOT_MODIFIED, RecordWriter, not_modified_fields
from workers.warc.writer import Archive

WHEN = datetime(2026, 11, 24, 12, 30, 45, 123456, tzinfo=UTC)


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def make_exchange(body: bytes, headers: list[tuple[bytes, bytes]]) -> Exchange:
    return Exchange(
        url="http://news.test/story-1",
        method="GET",
        request_block=b"GET /story-1 HTTP/1.1\r\nHost: news.test\r\nUser-Agent: sv\r\n\r\n",
        status=200,
        reason="OK",
        http_version="1.1",
        headers=headers,
        body=io.BytesIO(body),
        body_length=len(body),
        payload_digest=sha1_b32(body),
        started=WHEN,
        elapsed_ms=12,
        remote_ip="192.0.2.7",
    )


def pinned_writer(out: io.BytesIO) -> RecordWriter:
    ids = (f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>" for n in itertools.count(1))
    return RecordWriter(out, clock=lambda: WHEN, ids=lambda: next(ids))


def test_response_record_is_exactly_the_wire_bytes() -> None:
    body = gzip.compress(b"<html><title>Story</title><p>Text</p></html>", mtime=0)
    headers = [
        (b"Content-Type", b"text/html; charset=utf-8"),
        (b"Content-Encoding", b"gzip"),
        (b"Content-Length", str(len(body)).encode()),
        (b"X-Odd", b"caf\xe9"),
    ]
    exchange = make_exchange(body, headers)
    out = io.BytesIO()
    writer = pinned_writer(out)
    writer.write_record(writer.response(exchange, "<urn:uuid:r1>"))

    http = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        b"Content-Encoding: gzip\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nX-Odd: caf\xe9\r\n\r\n"
    )
    block = http + body
    expected = (
        b"WARC/1.1\r\n"
        b"WARC-Record-ID: <urn:uuid:r1>\r\n"
        b"WARC-Date: 2026-11-24T12:30:45.123456Z\r\n"
        b"WARC-Payload-Digest: " + sha1_b32(body).encode() + b"\r\n"
        b"WARC-IP-Address: 192.0.2.7\r\n"
        b"WARC-Type: response\r\n"
        b"WARC-Target-URI: http://news.test/story-1\r\n"
        b"WARC-Block-Digest: " + sha1_b32(block).encode() + b"\r\n"
        b"Content-Type: application/http; msgtype=response\r\n"
        b"Content-Length: " + str(len(block)).encode() + b"\r\n\r\n" + block + b"\r\n\r\n"
    )
    assert gzip.decompress(out.getvalue()) == expected


def test_two_writers_with_the_same_clock_and_ids_write_identical_files() -> None:
    def write() -> bytes:
        out = io.BytesIO()
        w = pinned_writer(out)
        ex = make_exchange(b"hello", [(b"Content-Length", b"5")])
        w.write_record(w.warcinfo("f.warc.gz", {"software": "storyvault"}))
        rid = w.new_id()
        w.write_record(w.response(ex, rid))
        w.write_record(w.request(ex, rid))
        w.write_record(w.metadata(ex.url, rid, WHEN, [("fetchTimeMs", "12")]))
        w.write_record(w.revisit(ex, w.new_id(), ex.url, "2026-11-01T00:00:00Z"))
        return out.getvalue()

    first = write()
    assert first == write()
    records = list(ArchiveIterator(io.BytesIO(first)))
    assert [r.rec_type for r in records] == [
        "warcinfo",
        "response",
        "request",
        "metadata",
        "revisit",
    ]
    response, request, metadata, revisit = records[1:]
    rid = response.rec_headers.get_header("WARC-Record-ID")
    assert request.rec_headers.get_header("WARC-Concurrent-To") == rid
    assert metadata.rec_headers.get_header("WARC-Concurrent-To") == rid
    assert revisit.rec_headers.get_header("WARC-Refers-To-Target-URI") == ex_url()
    assert revisit.rec_headers.get_header("WARC-Refers-To-Date") == "2026-11-01T00:00:00Z"
    assert revisit.rec_headers.get_header("WARC-Payload-Digest") == sha1_b32(b"hello")
    assert revisit.rec_headers.get_header("WARC-Profile").endswith("identical-payload-digest")


def ex_url() -> str:
    return "http://news.test/story-1"


def test_honest_headers_never_claim_chunking_or_a_wrong_length() -> None:
    raw = [(b"Transfer-Encoding", b"chunked"), (b"Content-Type", b"text/html")]
    assert honest_headers(raw, 42) == [
        (b"X-Archive-Orig-Transfer-Encoding", b"chunked"),
        (b"Content-Type", b"text/html"),
        (b"Content-Length", b"42"),
    ]
    short = [(b"Content-Length", b"1000")]
    assert honest_headers(short, 100) == [
        (b"X-Archive-Orig-Content-Length", b"1000"),
        (b"Content-Length", b"100"),
    ]
    exact = [(b"content-length", b"100")]
    assert honest_headers(exact, 100) == exact


def not_modified_exchange() -> Exchange:
    exchange = make_exchange(
        b"",
        [
            (b"ETag", b'"v1"'),
            (b"Last-Modified", b"Sat, 03 Oct 2026 00:00:00 GMT"),
            (b"Date", b"Tue, 24 Nov 2026 12:30:45 GMT"),
        ],
    )
    exchange.status, exchange.reason = 304, "Not Modified"
    return exchange


def test_a_304_is_a_server_not_modified_revisit_with_no_http_block() -> None:
    ex = not_modified_exchange()
    out = io.BytesIO()
    w = pinned_writer(out)
    original = "2026-11-01T00:00:00.000000Z"
    record = w.revisit(
        ex,
        "<urn:uuid:r2>",
        ex.url,
        original,
        "<urn:uuid:r1>",
        profile=REVISIT_NOT_MODIFIED,
        payload_digest=sha1_b32(b"hello"),
    )
    w.write_record(record)
    expected = (
        b"WARC/1.1\r\n"
        b"WARC-Record-ID: <urn:uuid:r2>\r\n"
        b"WARC-Date: 2026-11-24T12:30:45.123456Z\r\n"
        b"WARC-IP-Address: 192.0.2.7\r\n"
        b"WARC-Type: revisit\r\n"
        b"WARC-Target-URI: http://news.test/story-1\r\n"
        b"WARC-Profile: http://netpreserve.org/warc/1.1/revisit/server-not-modified\r\n"
        b"WARC-Refers-To-Target-URI: http://news.test/story-1\r\n"
        b"WARC-Refers-To-Date: 2026-11-01T00:00:00.000000Z\r\n"
        b"WARC-Payload-Digest: " + sha1_b32(b"hello").encode() + b"\r\n"
        b"WARC-Refers-To: <urn:uuid:r1>\r\n"
        b'WARC-Etag: "v1"\r\n'
        b"WARC-Last-Modified: Sat, 03 Oct 2026 00:00:00 GMT\r\n"
        b"WARC-Block-Digest: " + sha1_b32(b"").encode() + b"\r\n"
        b"Content-Type: application/http; msgtype=response\r\n"
        b"Content-Length: 0\r\n\r\n\r\n\r\n"
    )
    assert gzip.decompress(out.getvalue()) == expected
    assert not_modified_fields(ex) == [
        ("httpResponse", "HTTP/1.1 304 Not Modified"),
        ("httpHeader", 'ETag: "v1"'),
        ("httpHeader", "Last-Modified: Sat, 03 Oct 2026 00:00:00 GMT"),
        ("httpHeader", "Date: Tue, 24 Nov 2026 12:30:45 GMT"),
    ]


def test_write_capture_of_a_304_keeps_the_304_in_a_metadata_record(tmp_path: Path) -> None:
    archive = Archive(Settings(archive=tmp_path))
    original = StoredPayload(ex_url(), "2026-11-01T00:00:00Z", "<urn:uuid:r1>", sha1_b32(b"hi"))
    with archive:
        written = archive.write_capture(
            not_modified_exchange(), revisit_of=original, revisit_profile=REVISIT_NOT_MODIFIED
        )
    assert written.is_revisit and written.metadata is not None
    (path,) = archive.closed_files
    with path.open("rb") as fh:
        records = [(r, r.content_stream().read()) for r in ArchiveIterator(fh)]
    (revisit, block), (metadata, fields) = [
        (r, b) for r, b in records if r.rec_type in ("revisit", "metadata")
    ]
    assert block == b"" and revisit.http_headers is None
    assert revisit.rec_headers.get_header("WARC-Payload-Digest") == sha1_b32(b"hi")
    assert revisit.rec_headers.get_header("WARC-Refers-To") == "<urn:uuid:r1>"
    rid = revisit.rec_headers.get_header("WARC-Record-ID")
    assert metadata.rec_headers.get_header("WARC-Concurrent-To") == rid
    assert fields.decode().splitlines()[:2] == [
        "httpResponse: HTTP/1.1 304 Not Modified",
        'httpHeader: ETag: "v1"',
    ]
    # the index line: a revisit with the original's digest and no status (read as 200)
    (line,) = [ln for ln in archive.index_path.read_text().splitlines() if '"warc/revisit"' in ln]
    assert '"status"' not in line and sha1_b32(b"hi") in line
