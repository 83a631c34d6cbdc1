"""Reading records back from the archive by location, as any warcio user would."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from workers.core.errors import ArchiveError
from workers.net.content import to_text


@dataclass(frozen=True)
class StoredResponse:
    uri: str
    date: str
    record_type: str
    status: str | None
    headers: list[tuple[str, str]]
    payload: bytes  # entity body as stored (content-encoding intact)
    refers_to: str | None = None  # a revisit's WARC-Refers-To: the record it repeats

    def header(self, name: str) -> str | None:
        return header_of(self.headers, name)

    def text(self) -> str:
        return text_of(self.payload, self.headers)


def header_of(headers: list[tuple[str, str]], name: str) -> str | None:
    """The first header called ``name`` (case-insensitive), or None."""
    wanted = name.lower()
    return next((v for k, v in headers if k.lower() == wanted), None)


def text_of(payload: bytes, headers: list[tuple[str, str]]) -> str:
    """A stored payload as text: content-encoding undone, charset applied."""
    return to_text(
        payload, header_of(headers, "Content-Type"), header_of(headers, "Content-Encoding")
    )


def read_record(path: Path, offset: int) -> StoredResponse:
    """The record at ``offset`` of the WARC at ``path`` (raises ArchiveError)."""
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            record = next(iter(ArchiveIterator(fh)))
            http = record.http_headers
            return StoredResponse(
                uri=record.rec_headers.get_header("WARC-Target-URI"),
                date=record.rec_headers.get_header("WARC-Date"),
                record_type=record.rec_type,
                status=http.get_statuscode() if http else None,
                headers=list(http.headers) if http else [],
                payload=record.raw_stream.read(),
                refers_to=record.rec_headers.get_header("WARC-Refers-To"),
            )
    except (OSError, StopIteration, ValueError) as exc:
        raise ArchiveError(path, f"no readable WARC record at offset {offset}: {exc}") from exc


def read_story_record(warc_dir: Path, filename: str, offset: int) -> StoredResponse:
    """The record holding the page of a version: the one at ``offset`` of ``filename``,
    or, when that is a revisit (a story edited back to bytes stored before), the record it
    repeats, found by its WARC-Record-ID in the same file, then in the others, newest
    first. Raises ArchiveError if either cannot be read."""
    record = read_record(warc_dir / filename, offset)
    if record.record_type != "revisit" or not record.refers_to:
        return record
    first = warc_dir / filename
    others = sorted(
        (p for p in warc_dir.glob("*.warc.gz") if p != first), key=lambda p: p.name, reverse=True
    )
    for path in (first, *others):
        found = _find_record(path, record.refers_to)
        if found is not None:
            return read_record(path, found)
    raise ArchiveError(
        first, f"the revisit at offset {offset} refers to {record.refers_to}, not in the archive"
    )


def _find_record(path: Path, record_id: str) -> int | None:
    """The offset of the record ``record_id`` in one WARC file, or None."""
    try:
        with path.open("rb") as fh:
            it = ArchiveIterator(fh)
            for rec in it:
                if rec.rec_headers.get_header("WARC-Record-ID") == record_id:
                    return int(it.get_record_offset())
    except (OSError, ValueError):
        return None
    return None
