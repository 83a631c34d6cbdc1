"""pywb (from .venv-pywb) replays a WARC written with warcio and indexed with cdxj-indexer.

Pins the pywb behaviour that ``tests/support/pywb.py`` documents and that the
crawler's WARC writer relies on.  Hosts are fake (``example.test``); pywb only
replays, nothing is fetched.
"""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.support.pywb import Wayback, ensure_pywb_venv

COLL = "news"
PAGE_URL = "http://example.test/page"
GZ_URL = "http://example.test/gz-page"
REDIRECT_URL = "http://example.test/old"
T_ORIG, TS_ORIG = "2024-01-01T00:00:00Z", "20240101000000"
T_REVISIT, TS_REVISIT = "2024-06-01T12:30:00Z", "20240601123000"

PAGE_BODY = (
    b"<!doctype html><html><head><title>Story</title></head>"
    b"<body><h1>Headline</h1><p>First version of the story.</p></body></html>\n"
)
GZ_PLAIN = b"<!doctype html><html><body><p>" + b"compressible text " * 40 + b"</p></body></html>\n"
GZ_BODY = gzip.compress(GZ_PLAIN, mtime=0)
REVISIT_PROFILE = "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"


def _response(
    writer: WARCWriter,
    url: str,
    date: str,
    status: str,
    headers: list[tuple[str, str]],
    body: bytes,
) -> str:
    http_headers = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    record = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(body),
        # Passing length matters under filterwarnings=error: without it warcio
        # buffers the payload in a SpooledTemporaryFile it never closes
        # (ResourceWarning at garbage collection).
        length=len(body),
        http_headers=http_headers,
        warc_headers_dict={"WARC-Date": date},
    )
    writer.write_record(record)
    digest = record.rec_headers.get_header("WARC-Payload-Digest")
    assert digest.startswith("sha1:")  # warcio's form; cdxj-indexer copies it verbatim
    return str(digest)


def _write_collection(root: Path) -> Path:
    coll = root / "collections" / COLL
    (coll / "archive").mkdir(parents=True)
    (coll / "indexes").mkdir()
    warc = coll / "archive" / "harness-00000.warc.gz"
    with warc.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        page_digest = _response(
            writer,
            PAGE_URL,
            T_ORIG,
            "200 OK",
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(PAGE_BODY)))],
            PAGE_BODY,
        )
        _response(
            writer,
            GZ_URL,
            T_ORIG,
            "200 OK",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Encoding", "gzip"),
                ("Content-Length", str(len(GZ_BODY))),  # length of the stored (compressed) bytes
            ],
            GZ_BODY,
        )
        _response(
            writer,
            REDIRECT_URL,
            T_ORIG,
            "301 Moved Permanently",
            [("Location", PAGE_URL), ("Content-Length", "0")],
            b"",
        )
        revisit = writer.create_revisit_record(
            PAGE_URL,
            digest=page_digest,
            refers_to_uri=PAGE_URL,
            refers_to_date=T_ORIG,
            http_headers=StatusAndHeaders(
                "200 OK",
                [("Content-Type", "text/html; charset=utf-8"), ("X-Crawl", "revisit")],
                protocol="HTTP/1.1",
            ),
        )
        revisit.rec_headers.replace_header("WARC-Date", T_REVISIT)
        assert revisit.rec_headers.get_header("WARC-Profile") == REVISIT_PROFILE
        assert revisit.rec_headers.get_header("WARC-Refers-To-Target-URI") == PAGE_URL
        assert revisit.rec_headers.get_header("WARC-Refers-To-Date") == T_ORIG
        writer.write_record(revisit)

    index = coll / "indexes" / "index.cdxj"
    indexer = Path(sys.executable).parent / "cdxj-indexer"
    subprocess.run(
        [str(indexer), "--sort", "-o", str(index), str(warc)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    lines = index.read_text().splitlines()
    assert len(lines) == 4
    assert lines == sorted(lines), "pywb binary-searches index.cdxj: it must be sorted"
    return index


@pytest.mark.replay
@pytest.mark.timeout(900)  # the first run builds .venv-pywb (~20 s warm cache, minutes cold)
def test_pywb_replays_warcio_written_collection(tmp_path: Path) -> None:
    ensure_pywb_venv()
    index = _write_collection(tmp_path)

    with Wayback(tmp_path) as wb:
        # Plain page: exact bytes, archived headers kept.
        status, headers, body = wb.replay_raw(COLL, TS_ORIG, PAGE_URL)
        assert (status, body) == (200, PAGE_BODY)
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert headers["content-length"] == str(len(PAGE_BODY))
        assert headers["memento-datetime"] == "Mon, 01 Jan 2024 00:00:00 GMT"

        # gzip page, client accepts gzip: the stored compressed bytes, untouched.
        status, headers, body = wb.replay_raw(COLL, TS_ORIG, GZ_URL, accept_encoding="gzip")
        assert (status, body) == (200, GZ_BODY)
        assert headers["content-encoding"] == "gzip"
        assert headers["content-length"] == str(len(GZ_BODY))

        # gzip page, client does not accept gzip: pywb gunzips, renames the headers.
        status, headers, body = wb.replay_raw(COLL, TS_ORIG, GZ_URL, accept_encoding="identity")
        assert (status, body) == (200, GZ_PLAIN)
        assert "content-encoding" not in headers
        assert headers["x-archive-orig-content-encoding"] == "gzip"
        assert headers["x-archive-orig-content-length"] == str(len(GZ_BODY))
        assert "content-length" not in headers  # decoded body is sent chunked

        # Revisit: original payload, revisit's own headers and datetime.  The
        # Memento-Datetime check matters: when pywb cannot resolve a revisit it
        # silently falls back to the nearest other capture (here the original),
        # which would also yield PAGE_BODY.
        status, headers, body = wb.replay_raw(COLL, TS_REVISIT, PAGE_URL)
        assert (status, body) == (200, PAGE_BODY)
        assert headers["memento-datetime"] == "Sat, 01 Jun 2024 12:30:00 GMT"
        assert headers["x-crawl"] == "revisit"

        # id_ at an in-between timestamp: the closest capture, no redirect.
        status, headers, body = wb.replay_raw(COLL, "20240301000000", PAGE_URL)
        assert (status, body) == (200, PAGE_BODY)
        assert headers["memento-datetime"] == "Mon, 01 Jan 2024 00:00:00 GMT"

        # Archived redirect is returned, not followed by the harness.
        status, headers, body = wb.replay_raw(COLL, TS_ORIG, REDIRECT_URL)
        assert (status, body) == (301, b"")
        assert headers["location"] == PAGE_URL

        # Unknown URL: 404, not a live fetch.
        status, _, _ = wb.replay_raw(COLL, TS_ORIG, "http://example.test/never-archived")
        assert status == 404

        # CDX API: both captures of the page, revisit flagged by mime.
        rows = wb.cdx(COLL, PAGE_URL)
        assert [(r["timestamp"], r["mime"], r["status"]) for r in rows] == [
            (TS_ORIG, "text/html", "200"),
            (TS_REVISIT, "warc/revisit", "200"),
        ]
        assert rows[0]["digest"] == rows[1]["digest"]
        assert rows[0]["filename"] == "harness-00000.warc.gz"
        assert {"url", "offset", "length"} <= rows[0].keys()
        assert wb.cdx(COLL, "http://example.test/never-archived") == []

    assert index.exists()
