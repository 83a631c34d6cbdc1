"""Captures in a collection, found through its CDXJ index and read back with warcio.

The sorted ``index.cdxj`` (one line per response, revisit or resource record) is the way
in: :class:`CollectionIndex` finds a URL's captures by SURT key, as pywb does, picks the
one closest to a time, and resolves a revisit to the record holding its payload (by
``WARC-Refers-To-Target-URI``, payload digest and ``WARC-Refers-To-Date``, pywb's rule).
:func:`read_group` reads a capture's main record and the ``request``/``metadata`` records
concurrent to it, which storyvault writes right after it in the same file, with their
exact offsets and lengths, so they can be copied byte for byte.

Times given by people (:func:`parse_when`): 4 to 14 digit timestamps (``2026``,
``20261124``, ``20261124223107``), ISO 8601 (``2026-11-24``, ``2026-11-24T22:31:07Z``)
or a duration ago (``90s``, ``15m``, ``6h``, ``2d``, ``1w``).
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from workers.core.errors import ArchiveError, ConfigError
from workers.parse.urls import host_of
from workers.state.index_store import CdxjFile, IndexStore
from workers.versions.reindex import parse_fields, warc_datetime
from workers.versions.schedule import parse_duration
from workers.warc.cdxj import surt_key
from workers.warc.reader import StoredResponse, header_of, read_record, text_of
from workers.warc.root import collection_dir

REVISIT_MIME = "warc/revisit"
_DIGITS = re.compile(r"\d{4,14}")
_PAD = "0101000000"  # month, day, hours, minutes, seconds of a padded timestamp


# -- times ------------------------------------------------------------------------------
def ts14(when: datetime) -> str:
    """The 14-digit UTC timestamp pywb and CDXJ use (``20261124223107``)."""
    return when.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def from_ts14(ts: str) -> datetime:
    """The UTC datetime of a 14-digit timestamp."""
    return datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def iso_seconds(when: datetime) -> str:
    """``2026-11-24T22:31:07Z``: UTC to the second, as ``pages.jsonl`` writes times."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_when(text: str, *, now: datetime | None = None) -> datetime:
    """A point in time from a timestamp, an ISO 8601 date/time or a duration ago.

    Partial timestamps are padded down (``2026`` is 2026-01-01 00:00:00); times without
    a zone are UTC. Raises :class:`ConfigError` naming the value and the forms accepted.
    """
    value = text.strip()
    if _DIGITS.fullmatch(value):
        padded = value + _PAD[len(value) - 4 :] if len(value) < 14 else value
        try:
            return from_ts14(padded)
        except ValueError:
            pass
    else:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
        if value[-1:].lower() in ("s", "m", "h", "d", "w") and value[:-1]:
            try:
                return (now or datetime.now(UTC)) - parse_duration(value)
            except ConfigError:
                pass
    raise ConfigError(
        f"not a time: {text!r} (use a timestamp such as 20261124 or 20261124223107, "
        "an ISO date such as 2026-11-24T22:31:07Z, or a duration ago such as 6h or 2d)"
    )


# -- the index --------------------------------------------------------------------------
@dataclass(frozen=True)
class IndexEntry:
    """One CDXJ line: a capture's key, time and where its main record is."""

    key: str
    timestamp: str  # 14 digits, UTC
    url: str
    mime: str
    status: str | None
    digest: str | None
    filename: str
    offset: int
    length: int

    @property
    def is_revisit(self) -> bool:
        return self.mime == REVISIT_MIME

    @property
    def when(self) -> datetime:
        return from_ts14(self.timestamp)

    @property
    def location(self) -> tuple[str, int]:
        return (self.filename, self.offset)


def parse_line(line: str) -> IndexEntry | None:
    """The :class:`IndexEntry` of a CDXJ line, or ``None`` for a line it cannot read."""
    parts = line.rstrip("\n").split(" ", 2)
    if len(parts) != 3:
        return None
    key, timestamp, data = parts
    try:
        fields = json.loads(data)
        return IndexEntry(
            key=key,
            timestamp=timestamp,
            url=str(fields["url"]),
            mime=str(fields.get("mime", "")),
            status=fields.get("status"),
            digest=fields.get("digest"),
            filename=str(fields["filename"]),
            offset=int(fields["offset"]),
            length=int(fields.get("length", 0)),
        )
    except (ValueError, KeyError, TypeError):
        return None


def same_digest(a: str | None, b: str | None) -> bool:
    """Payload digests equal, with or without the ``sha1:`` prefix."""
    if not a or not b:
        return False
    return a.split(":")[-1].upper() == b.split(":")[-1].upper()


class CollectionIndex:
    """The captures of one collection, from its sorted ``index.cdxj``.

    The whole index is held in memory (one small object per line), which suits archives
    of up to a few million captures.
    """

    def __init__(
        self, archive_root: Path, collection: str, store: IndexStore | None = None
    ) -> None:
        """The index of ``collection`` as ``store`` holds it (default: its ``index.cdxj``).

        Raises :class:`ConfigError` when the archive has no such collection, and what
        :meth:`IndexStore.lines` raises when it has no index.
        """
        self.archive_root = archive_root
        self.collection = collection
        self.collection_dir = collection_dir(archive_root, collection)
        self.warc_dir = self.collection_dir / "archive"
        self.index_path = self.collection_dir / "indexes" / "index.cdxj"
        if not self.warc_dir.is_dir():
            raise ConfigError(
                f"{self.warc_dir}: no collection {collection!r} in the archive {archive_root} "
                "(crawl something first, or check --archive/--collection)"
            )
        lines = (store or CdxjFile(self.index_path)).lines()
        parsed = [parse_line(line) for line in lines]
        self.entries = [e for e in parsed if e is not None]
        self.entries.sort(key=lambda e: (e.key, e.timestamp, e.filename, e.offset))
        self._keys = [e.key for e in self.entries]

    def path_of(self, entry: IndexEntry | str) -> Path:
        """The WARC file holding ``entry`` (or named ``entry``)."""
        name = entry if isinstance(entry, str) else entry.filename
        return self.warc_dir / name

    def for_url(self, url: str) -> list[IndexEntry]:
        """Every capture of ``url`` (same SURT key, as pywb matches), oldest first."""
        key = surt_key(url)
        lo = bisect.bisect_left(self._keys, key)
        hi = bisect.bisect_right(self._keys, key)
        return self.entries[lo:hi]

    def captures_of(self, url: str) -> list[IndexEntry]:
        """:meth:`for_url` restricted to responses, revisits and resources."""
        return [e for e in self.for_url(url) if e.mime != "application/warc-fields"]

    def closest(self, url: str, when: datetime) -> IndexEntry | None:
        """The capture of ``url`` nearest ``when`` (the earlier one on a tie)."""
        target = when.timestamp()
        best: tuple[float, str] | None = None
        found = None
        for entry in self.captures_of(url):
            rank = (abs(entry.when.timestamp() - target), entry.timestamp)
            if best is None or rank < best:
                best, found = rank, entry
        return found

    def latest(self, url: str) -> IndexEntry | None:
        """The newest capture of ``url``."""
        entries = self.captures_of(url)
        return entries[-1] if entries else None

    def original_of(
        self, refers_to_uri: str, digest: str | None, refers_to_date: str | None, own_ts: str
    ) -> IndexEntry | None:
        """The non-revisit capture a revisit points at (pywb's lookup), or ``None``."""
        candidates = [
            e
            for e in self.captures_of(refers_to_uri)
            if not e.is_revisit and same_digest(e.digest, digest)
        ]
        if not candidates:
            return None
        when = warc_datetime(refers_to_date) if refers_to_date else from_ts14(own_ts)
        target = when.timestamp()
        return min(candidates, key=lambda e: (abs(e.when.timestamp() - target), e.timestamp))

    def hosts(self) -> set[str]:
        """Every host (``host[:port]``) with a capture."""
        return {host_of(e.url) for e in self.entries}


# -- records ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RawRecord:
    """One WARC record's place in its file and the headers that link it to others."""

    filename: str
    offset: int
    length: int
    record_type: str
    record_id: str
    uri: str
    date: str
    concurrent_to: str | None = None
    refers_to_uri: str | None = None
    refers_to_date: str | None = None
    payload_digest: str | None = None
    fields: dict[str, list[str]] = field(default_factory=dict)  # metadata records

    @property
    def location(self) -> tuple[str, int]:
        return (self.filename, self.offset)


@dataclass(frozen=True)
class CaptureGroup:
    """A capture's main record and the records concurrent to it, in file order."""

    main: RawRecord
    related: tuple[RawRecord, ...]

    @property
    def records(self) -> tuple[RawRecord, ...]:
        return (self.main, *self.related)

    @property
    def metadata(self) -> dict[str, list[str]]:
        """The fields of the storyvault ``metadata`` record, empty if there is none."""
        for record in self.related:
            if record.record_type == "metadata":
                return record.fields
        return {}


def _raw(record: ArcWarcRecord, body: bytes, filename: str, offset: int, length: int) -> RawRecord:
    headers = record.rec_headers
    kind = str(record.rec_type)
    fields: dict[str, list[str]] = {}
    if kind == "metadata" and headers.get_header("Content-Type") == "application/warc-fields":
        fields = parse_fields(body)
    return RawRecord(
        filename=filename,
        offset=offset,
        length=length,
        record_type=kind,
        record_id=headers.get_header("WARC-Record-ID") or "",
        uri=headers.get_header("WARC-Target-URI") or "",
        date=headers.get_header("WARC-Date") or "",
        concurrent_to=headers.get_header("WARC-Concurrent-To"),
        refers_to_uri=headers.get_header("WARC-Refers-To-Target-URI"),
        refers_to_date=headers.get_header("WARC-Refers-To-Date"),
        payload_digest=headers.get_header("WARC-Payload-Digest"),
        fields=fields,
    )


def read_group(path: Path, offset: int) -> CaptureGroup:
    """The capture whose main record is at ``offset`` of ``path``, with its concurrent
    ``request``/``metadata`` records (those right after it). Raises :class:`ArchiveError`."""
    try:
        with path.open("rb") as fh:
            return _read_group(fh, path.name, offset)
    except OSError as exc:
        raise ArchiveError(path, f"cannot read the capture at offset {offset}: {exc}") from exc


def _read_group(fh: IO[bytes], filename: str, offset: int) -> CaptureGroup:
    fh.seek(offset)
    it = ArchiveIterator(fh)
    main: RawRecord | None = None
    related: list[RawRecord] = []
    try:
        for record in it:
            body = record.content_stream().read()
            raw = _raw(record, body, filename, it.get_record_offset(), it.get_record_length())
            if main is None:
                main = raw
                continue
            if raw.record_type in ("request", "metadata") and raw.concurrent_to == main.record_id:
                related.append(raw)
                continue
            break
    except ValueError as exc:
        raise ArchiveError(Path(filename), f"no readable WARC record at {offset}: {exc}") from exc
    if main is None:
        raise ArchiveError(Path(filename), f"no WARC record at offset {offset}")
    return CaptureGroup(main, tuple(related))


def copy_records(records: Iterable[RawRecord], warc_dir: Path, out: IO[bytes]) -> int:
    """Append each record's bytes, exactly as stored, to ``out``; return bytes written."""
    written = 0
    handles: dict[str, IO[bytes]] = {}
    try:
        for record in records:
            fh = handles.get(record.filename)
            if fh is None:
                path = warc_dir / record.filename
                try:
                    fh = handles[record.filename] = path.open("rb")
                except OSError as exc:
                    raise ArchiveError(path, f"cannot read WARC to copy from: {exc}") from exc
            fh.seek(record.offset)
            data = fh.read(record.length)
            if len(data) != record.length:
                raise ArchiveError(
                    warc_dir / record.filename,
                    f"record at {record.offset} is cut short ({len(data)} of {record.length} "
                    "bytes): run `storyvault reindex`",
                )
            out.write(data)
            written += len(data)
    finally:
        for fh in handles.values():
            fh.close()
    return written


# -- reading a capture for people --------------------------------------------------------
@dataclass(frozen=True)
class Resolved:
    """A capture ready to show: its own record and the one holding its payload."""

    entry: IndexEntry
    record: StoredResponse  # the capture's own record (response or revisit)
    payload_record: StoredResponse  # the record whose payload it has (itself, or original)
    original: IndexEntry | None  # the revisited capture, when ``record`` is a revisit
    refers_to_uri: str | None = None

    @property
    def is_revisit(self) -> bool:
        return self.record.record_type == "revisit"

    @property
    def payload(self) -> bytes:
        return self.payload_record.payload

    @property
    def headers(self) -> list[tuple[str, str]]:
        """The HTTP headers replayed: the capture's own, or the original's for a revisit
        with no HTTP head (a 304 re-crawl) or with a 304 head (archives written before
        304 revisits had no block), as pywb does."""
        if self.is_revisit and self.record.status == "304":
            return self.payload_record.headers
        return self.record.headers or self.payload_record.headers

    @property
    def status(self) -> str | None:
        if self.is_revisit and self.record.status == "304":
            return self.payload_record.status
        return self.record.status or self.payload_record.status

    def header(self, name: str) -> str | None:
        return header_of(self.headers, name)

    def text(self) -> str:
        """The payload decoded (content-encoding undone, charset applied)."""
        return text_of(self.payload, self.headers)


def resolve(index: CollectionIndex, entry: IndexEntry) -> Resolved:
    """Read ``entry`` and, if it is a revisit, the original payload it refers to.

    Raises :class:`ArchiveError` when a revisit's original cannot be found.
    """
    record = read_record(index.path_of(entry), entry.offset)
    if record.record_type != "revisit":
        return Resolved(entry, record, record, None)
    group = read_group(index.path_of(entry), entry.offset)
    target = group.main.refers_to_uri or entry.url
    original = index.original_of(
        target,
        group.main.payload_digest or entry.digest,
        group.main.refers_to_date,
        entry.timestamp,
    )
    if original is None:
        raise ArchiveError(
            index.path_of(entry),
            f"the revisit of {entry.url} at {entry.timestamp} refers to {target} "
            f"({group.main.refers_to_date}) but no capture with its payload is indexed: "
            "run `storyvault reindex`",
        )
    payload = read_record(index.path_of(original), original.offset)
    return Resolved(entry, record, payload, original, target)
