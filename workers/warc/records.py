"""WARC record building on warcio: pure functions from exchanges to records.

:class:`RecordWriter` is warcio's ``WARCWriter`` with its clock and record-id source
injected, so tests can pin both and compare whole records byte for byte. All records are
WARC/1.1, one gzip member each, with ``WARC-Block-Digest`` and (where the type has a
payload) ``WARC-Payload-Digest`` in one form: ``sha1:`` + base32.

Revisits come in two kinds.

* **identical-payload-digest** (a full response whose payload was already stored): the
  revisit's block holds the response's own status line and headers, as received.
* **server-not-modified** (the server answered a conditional request with 304): the
  revisit has **no block** (``Content-Length: 0``), ``WARC-Payload-Digest`` is the digest
  of the payload it confirms, ``WARC-Refers-To``/``-Target-URI``/``-Date`` name that
  record, ``WARC-Etag``/``WARC-Last-Modified`` (Heritrix's fields) carry the validators
  the 304 sent, and the 304's status line and headers are written, field by field, in
  the concurrent ``metadata`` record (:func:`not_modified_fields`: ``httpResponse`` and
  one ``httpHeader`` per header).

Why no block for a 304: a 304 head in the revisit replays as an empty 304 in both
replay tools. pywb (``warcserver/resource/resolvingloader.py``,
``ResolvingLoader.load_headers_and_payload``) replays a revisit whose own head says
``3…`` with ``Content-Length: 0`` and never loads the original; wabac.js (ReplayWeb.page's
engine, ``src/archivedb.ts`` ``getResource``) takes the status from the index line, which
``cdxj-indexer`` copies from that head, and loads no body for 101/204/205/304
(``isNullBodyStatus``). With an empty block, pywb's
record loader (warcio ``load_http_headers``: no headers at length 0) and warcio.js
(``WARCParser.parse`` skips HTTP headers of a revisit with ``Content-Length: 0``) find
no HTTP headers; pywb then looks the original up by ``WARC-Refers-To-Target-URI``,
closest to ``WARC-Refers-To-Date``, filtered on ``!mime:warc/revisit`` and the digest,
and replays its headers and payload at the revisit's own ``WARC-Date``
(``responseloader.py`` ``WARCPathLoader.load_resource``); wabac.js reads the index line's
missing status as 200 (``cdxloader.ts`` ``addCdx``), resolves the original the same way
(``remotearchivedb.ts`` ``loadPayload``) and uses the original's headers because the
revisit has none. The WARC 1.1 text allows exactly this record ("A 'revisit' record
using this profile may have no content body, in which case a Content-Length of zero
shall be written"; its payload "is defined as the original payload content from which a
'Last-Modified' and/or 'ETag' value was taken"). Neither tool reads ``WARC-Profile``.
The alternatives fail or lie: the 304 headers in the block replay empty in both; the
original's 200 headers copied into the block, or an identical-payload-digest profile,
would claim a response or a payload digest the server never sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from io import BytesIO
from typing import IO, Any

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from workers.core.types import (
    Clock,
    Exchange,
    utcnow,
)

WARC_VERSION = "WARC/1.1"
REVISIT_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
REVISIT_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
#: WARC fields of a server-not-modified revisit holding the 304's validators (Heritrix's)
VALIDATOR_FIELDS = (("WARC-Etag", "ETag"), ("WARC-Last-Modified", "Last-Modified"))

IdSource = Callable[[], str]


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def warc_date(when: datetime) -> str:
    """WARC/1.1 date: UTC, microseconds, ``Z`` suffix."""
    naive = when.astimezone(UTC).replace(tzinfo=None)
    return str(datetime_to_iso_date(naive, use_micros=True))


class RawHttpHeaders(StatusAndHeaders):  # type: ignore[misc]
    """HTTP headers whose stored bytes are given, not re-serialised by warcio.

    warcio rebuilds the header block from parsed values and percent-encodes non-ASCII
    bytes; an archive must keep the bytes that crossed the wire.
    """

    def __init__(
        self,
        raw_block: bytes,
        statusline: str,
        headers: list[tuple[str, str]],
        protocol: str,
        is_request: bool = False,
    ) -> None:
        super().__init__(statusline, headers, protocol=protocol, is_http_request=False)
        self._raw_block = raw_block
        self.is_request = is_request

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        self.headers_buff = self._raw_block


def response_http_headers(exchange: Exchange) -> RawHttpHeaders:
    """The stored response status line and headers of ``exchange``, as raw bytes."""
    lines = [exchange.status_line.encode("latin-1")]
    lines.extend(name + b": " + value for name, value in exchange.headers)
    raw = b"\r\n".join(lines) + b"\r\n\r\n"
    decoded = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in exchange.headers]
    return RawHttpHeaders(
        raw,
        f"{exchange.status} {exchange.reason}".rstrip(),
        decoded,
        protocol=f"HTTP/{exchange.http_version}",
    )


def request_http_headers(exchange: Exchange) -> RawHttpHeaders:
    """The request line and headers of ``exchange`` as sent."""
    head = exchange.request_block.split(b"\r\n\r\n", 1)[0]
    first, *rest = head.split(b"\r\n")
    method, _, remainder = first.decode("latin-1").partition(" ")
    target, _, protocol = remainder.rpartition(" ")
    headers = []
    for line in rest:
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name, value.strip()))
    return RawHttpHeaders(
        exchange.request_block, f"{method} {target}", headers, protocol=protocol, is_request=True
    )


class RecordWriter(WARCWriter):  # type: ignore[misc]
    """warcio's WARC writer with an injected clock and record-id source."""

    def __init__(
        self, out: IO[bytes], *, clock: Clock = utcnow, ids: IdSource = new_record_id
    ) -> None:
        super().__init__(out, gzip=True, warc_version=WARC_VERSION)
        self._clock = clock
        self._ids = ids

    # warcio calls these to fill WARC-Record-ID and WARC-Date.
    def _make_warc_id(self) -> str:
        return self._ids()

    def _make_warc_date(self, use_micros: bool = False) -> str:
        return warc_date(self._clock())

    def new_id(self) -> str:
        return self._ids()

    def warcinfo(self, filename: str, info: dict[str, str]) -> ArcWarcRecord:
        """The ``warcinfo`` record that opens each file."""
        return self.create_warcinfo_record(filename, info)

    def response(self, exchange: Exchange, record_id: str) -> ArcWarcRecord:
        """The ``response`` record: status line, headers and body as received."""
        headers = {
            "WARC-Record-ID": record_id,
            "WARC-Date": warc_date(exchange.started),
            "WARC-Payload-Digest": exchange.payload_digest,
        }
        if exchange.remote_ip:
            headers["WARC-IP-Address"] = exchange.remote_ip
        if exchange.truncated:
            headers["WARC-Truncated"] = exchange.truncated
        exchange.body.seek(0)
        return self.create_warc_record(
            exchange.url,
            "response",
            payload=exchange.body,
            length=exchange.body_length,
            warc_headers_dict=headers,
            http_headers=response_http_headers(exchange),
        )

    def request(self, exchange: Exchange, concurrent_to: str) -> ArcWarcRecord:
        """The ``request`` record, linked to its response by ``WARC-Concurrent-To``."""
        headers = {
            "WARC-Date": warc_date(exchange.started),
            "WARC-Concurrent-To": concurrent_to,
        }
        return self.create_warc_record(
            exchange.url,
            "request",
            payload=BytesIO(b""),
            length=0,
            warc_headers_dict=headers,
            http_headers=request_http_headers(exchange),
        )

    def revisit(
        self,
        exchange: Exchange,
        record_id: str,
        refers_to_uri: str,
        refers_to_date: str,
        refers_to_id: str | None = None,
        profile: str = REVISIT_IDENTICAL,
        payload_digest: str | None = None,
    ) -> ArcWarcRecord:
        """A ``revisit`` record pointing at the stored payload.

        identical-payload-digest: the block is the response's status line and headers.
        server-not-modified: no block; ``payload_digest`` (default: the exchange's) is the
        digest of the payload the 304 confirmed, and the 304's ``ETag`` and
        ``Last-Modified`` become ``WARC-Etag`` and ``WARC-Last-Modified`` (see the module
        docstring for why, and :func:`not_modified_fields` for where the 304 is kept).
        """
        headers = {
            "WARC-Record-ID": record_id,
            "WARC-Date": warc_date(exchange.started),
        }
        if exchange.remote_ip:
            headers["WARC-IP-Address"] = exchange.remote_ip
        not_modified = profile == REVISIT_NOT_MODIFIED
        record = self.create_revisit_record(
            exchange.url,
            payload_digest or exchange.payload_digest,
            refers_to_uri,
            refers_to_date,
            http_headers=None if not_modified else response_http_headers(exchange),
            warc_headers_dict=headers,
        )
        record.rec_headers.replace_header("WARC-Profile", profile)
        if refers_to_id:
            record.rec_headers.add_header("WARC-Refers-To", refers_to_id)
        if not_modified:
            for warc_name, http_name in VALIDATOR_FIELDS:
                value = exchange.header(http_name)
                if value:
                    record.rec_headers.add_header(warc_name, value)
        return record

    def metadata(
        self, target_uri: str, concurrent_to: str, when: datetime, fields: Iterable[tuple[str, str]]
    ) -> ArcWarcRecord:
        """A ``metadata`` record (``application/warc-fields``) about a capture."""
        body = "".join(f"{k}: {_one_line(v)}\r\n" for k, v in fields).encode("utf-8")
        headers = {"WARC-Date": warc_date(when), "WARC-Concurrent-To": concurrent_to}
        return self.create_warc_record(
            target_uri,
            "metadata",
            payload=BytesIO(body),
            length=len(body),
            warc_content_type="application/warc-fields",
            warc_headers_dict=headers,
        )


def not_modified_fields(exchange: Exchange) -> list[tuple[str, str]]:
    """The response a server-not-modified revisit stands for, as ``metadata`` fields.

    Returns ``httpResponse`` (the status line, e.g. ``HTTP/1.1 304 Not Modified``) and one
    ``httpHeader`` per response header (``Name: value``, in the order received; header
    values are unfolded single lines already, runs of blanks become one space).
    """
    fields = [("httpResponse", exchange.status_line)]
    for name, value in exchange.headers:
        fields.append(("httpHeader", f"{name.decode('latin-1')}: {value.decode('latin-1')}"))
    return fields


def _one_line(value: str) -> str:
    return " ".join(str(value).split())
