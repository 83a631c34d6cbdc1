"""Rebuild what the WARC files imply: the CDXJ index and the version catalogue.

The WARC files are the truth. :func:`captures_in` pairs every response/revisit record
with the ``metadata`` record concurrent to it; :func:`reindex` replays those captures,
in capture-time order, through :meth:`Catalogue.apply` — the same function the live crawl
uses — and rewrites ``index.cdxj``. :func:`reconcile` does the same for files repaired
after a crash, so a version whose record was written but whose bookkeeping was not is
catalogued, and its message queued, exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import structlog
from warcio.archiveiterator import ArchiveIterator

from workers import cdxj
from workers.archive import Archive, RecordLocation
from workers.catalogue import Capture, Catalogue
from workers.errors import ArchiveError
from workers.outbox import Outbox

log = structlog.get_logger(__name__)


def parse_fields(body: bytes) -> dict[str, list[str]]:
    """``application/warc-fields`` → name → values (names may repeat)."""
    fields: dict[str, list[str]] = {}
    for line in body.decode("utf-8", errors="replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields.setdefault(name.strip(), []).append(value.strip())
    return fields


def warc_datetime(value: str) -> datetime:
    value = value.rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in value else "%Y-%m-%dT%H:%M:%S"
    return datetime.strptime(value, fmt).replace(tzinfo=UTC)


def captures_in(path: Path) -> Iterator[Capture]:
    """Each capture in one WARC file that has a storyvault metadata record."""
    mains: dict[str, RecordLocation] = {}
    try:
        with path.open("rb") as fh:
            it = ArchiveIterator(fh)
            for record in it:
                kind = record.rec_type
                headers = record.rec_headers
                if kind in ("response", "revisit"):
                    record.content_stream().read()
                    rid = headers.get_header("WARC-Record-ID")
                    mains[rid] = RecordLocation(
                        filename=path.name,
                        offset=it.get_record_offset(),
                        length=it.get_record_length(),
                        record_id=rid,
                        record_type=kind,
                        warc_date=headers.get_header("WARC-Date"),
                        target_uri=headers.get_header("WARC-Target-URI"),
                    )
                elif kind == "metadata":
                    main = mains.get(headers.get_header("WARC-Concurrent-To") or "")
                    fields = parse_fields(record.content_stream().read())
                    if main is not None and "storyStatus" in fields:
                        yield Capture(
                            url=main.target_uri,
                            time=warc_datetime(main.warc_date),
                            location=main,
                            fields=fields,
                        )
    except OSError as exc:
        raise ArchiveError(path, f"cannot read WARC: {exc}") from exc


@dataclass
class ReindexReport:
    files: int = 0
    index_lines: int = 0
    captures: int = 0
    versions: int = 0
    messages_queued: int = 0


def reindex(archive: Archive, catalogue: Catalogue, outbox: Outbox) -> ReindexReport:
    """Rebuild ``index.cdxj`` and the catalogue from every closed WARC of the collection."""
    report = ReindexReport()
    files = sorted(archive.warc_dir.glob("*.warc.gz"))
    lines: list[str] = []
    captures: list[Capture] = []
    for path in files:
        lines.extend(cdxj.index_warc(path))
        captures.extend(captures_in(path))
        report.files += 1
    tmp = archive.index_path.with_name(".reindex.cdxj")
    tmp.unlink(missing_ok=True)
    cdxj.merge_into(tmp, lines)
    tmp.replace(archive.index_path) if tmp.exists() else archive.index_path.write_text("")
    report.index_lines = len(set(lines))
    catalogue.clear()
    for capture in sorted(captures, key=lambda c: (c.time, c.location.record_id)):
        if catalogue.apply(capture) is not None:
            report.versions += 1
        report.captures += 1
    # messages already in the outbox file stay delivered; the others are queued now
    report.messages_queued = outbox.deliver(scan_all=True)
    log.info("reindexed", **report.__dict__)
    return report


class Deliverer(Protocol):
    def deliver(self, closed_files: Iterable[str] | None = None) -> int: ...


def reconcile(paths: list[Path], catalogue: Catalogue, outbox: Deliverer) -> int:
    """Catalogue the captures of files repaired after a crash; queue their messages."""
    applied = 0
    for path in paths:
        for capture in sorted(captures_in(path), key=lambda c: (c.time, c.location.record_id)):
            if catalogue.apply(capture) is not None:
                applied += 1
    if paths:
        outbox.deliver([p.name for p in paths])
    return applied
