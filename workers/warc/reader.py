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
            )
    except (OSError, StopIteration, ValueError) as exc:
        raise ArchiveError(path, f"no readable WARC record at offset {offset}: {exc}") from exc
