"""Capture URLs into the archive: fetch, decide response or revisit, write, remember.

This is the engine entry point behind ``storyvault fetch``; the crawler calls
:func:`capture_url` for every URL it fetches. Safe to run twice: a second capture of an
unchanged payload becomes a small ``revisit`` record, never a duplicate payload.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog

from workers.core.errors import FetchError
from workers.core.settings import Settings
from workers.core.types import CaptureWritten, Exchange, StoredPayload
from workers.net.fetch import Fetcher
from workers.state.protocols import DigestIndex
from workers.state.sqlite import SQLiteState
from workers.warc.cdxj import surt_key
from workers.warc.root import writer_lock
from workers.warc.writer import Archive

log = structlog.get_logger(__name__)


@dataclass
class CaptureReport:
    """What happened to one requested URL: records written per hop, and any error."""

    url: str
    written: list[tuple[Exchange, CaptureWritten]] = field(default_factory=list)
    error: FetchError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict[str, object]:
        return {
            "url": self.url,
            "ok": self.ok,
            "error": str(self.error) if self.error else None,
            "records": [
                {
                    "url": ex.url,
                    "status": ex.status,
                    "type": cw.main.record_type,
                    "warc": cw.main.filename,
                    "offset": cw.main.offset,
                    "length": cw.main.length,
                    "truncated": ex.truncated,
                }
                for ex, cw in self.written
            ],
        }


def revisit_candidate(exchange: Exchange) -> bool:
    """Whether an identical earlier payload may replace this one by a revisit record."""
    return 200 <= exchange.status < 300 and not exchange.truncated and exchange.body_length > 0


def capture_metadata(exchange: Exchange) -> list[tuple[str, str]]:
    """Heritrix-style fields describing how this exchange was fetched."""
    fields = [("fetchTimeMs", str(exchange.elapsed_ms)), ("attempt", str(exchange.attempt))]
    if exchange.via:
        fields.append(("via", exchange.via))
        fields.append(("hopsFromSeed", "R" * exchange.hop))
    if exchange.truncated:
        fields.append(("truncated", exchange.truncated))
    fields.extend(sorted(exchange.extra.items()))  # e.g. overlongBytesDropped
    return fields


def write_exchange(
    archive: Archive,
    digests: DigestIndex,
    exchange: Exchange,
    extra_metadata: Sequence[tuple[str, str]] = (),
) -> CaptureWritten:
    """Archive one exchange (blocking): a revisit if its payload is already stored."""
    key = surt_key(exchange.url)
    previous = None
    if revisit_candidate(exchange):
        previous = digests.lookup_payload(key, exchange.payload_digest)
    metadata = [*capture_metadata(exchange), *extra_metadata]
    written = archive.write_capture(exchange, revisit_of=previous, metadata=metadata)
    if previous is None and revisit_candidate(exchange):
        digests.remember_payload(
            key,
            StoredPayload(
                target_uri=exchange.url,
                warc_date=written.main.warc_date,
                record_id=written.main.record_id,
                digest=exchange.payload_digest,
            ),
        )
    log.info(  # the one canonical line per fetch
        "fetched",
        url=exchange.url,
        status=exchange.status,
        bytes=exchange.body_length,
        ms=exchange.elapsed_ms,
        truncated=exchange.truncated,
        remote_ip=exchange.remote_ip,
        type=written.main.record_type,
        warc=written.main.filename,
        offset=written.main.offset,
        length=written.main.length,
    )
    return written


async def capture_url(
    url: str, fetcher: Fetcher, archive: Archive, digests: DigestIndex
) -> CaptureReport:
    """Fetch ``url`` with its redirect chain and archive every exchange as it arrives."""
    report = CaptureReport(url)
    try:
        async for exchange in fetcher.fetch(url):
            try:
                written = await asyncio.to_thread(write_exchange, archive, digests, exchange)
            finally:
                exchange.close()
            report.written.append((exchange, written))
    except FetchError as exc:
        report.error = exc
        log.warning("fetch_failed", url=url, error=exc.message, error_type=type(exc).__name__)
    return report


async def capture_urls(urls: Sequence[str], settings: Settings) -> list[CaptureReport]:
    """Capture each URL in turn into the archive named by ``settings``."""
    with (
        writer_lock(settings.archive, "fetch"),
        SQLiteState.beside(settings.archive) as state,
        Archive(settings, robots_policy="ignore (explicit fetch)") as archive,
    ):
        async with Fetcher(settings) as fetcher:
            return [await capture_url(url, fetcher, archive, state) for url in urls]
