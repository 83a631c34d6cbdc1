"""The WARC archive: a pywb collection on disk, and the one owner of its open WARC file.

Layout (pywb's own)::

    ARCHIVE/collections/<collection>/archive/<prefix>-<ts>-<serial>-<host>-<pid>.warc.gz
    ARCHIVE/collections/<collection>/indexes/index.cdxj

A file is written as ``….warc.gz.open`` under an exclusive ``flock``, starts with a
``warcinfo`` record, is rotated once it reaches ``warc_max_bytes`` and renamed when
closed. Each record is flushed as written, so a killed process leaves only complete
records plus at most one partial one; :meth:`Archive.open` repairs such files
(:mod:`workers.warc.recovery`). Index lines are merged into the sorted ``index.cdxj`` when a
file is closed: pywb resolves records by the file's final name.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.metadata
import os
import re
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import IO

import structlog
from warcio.recordloader import ArcWarcRecord

from workers.core.errors import ArchiveError
from workers.core.settings import VERSION, Settings
from workers.core.types import (
    CaptureWritten,
    Clock,
    Exchange,
    RecordLocation,
    StoredPayload,
    utcnow,
)
from workers.warc import cdxj, recovery
from workers.warc.records import (
    REVISIT_IDENTICAL,
    REVISIT_NOT_MODIFIED,
    IdSource,
    RecordWriter,
    new_record_id,
    not_modified_fields,
    warc_date,
)
from workers.warc.root import collection_dir

log = structlog.get_logger(__name__)

WARC_SUFFIX = ".warc.gz"
MARKER_SUFFIX = ".to-catalogue"  # a repaired file whose captures are not catalogued yet


class WarcFile:
    """One open WARC file, owned by one writer. Not thread-safe: :class:`Archive` locks."""

    def __init__(
        self,
        directory: Path,
        name: str,
        writer_factory: type[RecordWriter],
        clock: Clock,
        ids: IdSource,
        info: dict[str, str],
    ) -> None:
        self.name = name
        self._clock = clock
        self.final_path = directory / name
        self.open_path = directory / (name + recovery.OPEN_SUFFIX)
        try:
            fd = os.open(self.open_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as exc:
            raise ArchiveError(self.open_path, f"cannot create WARC file: {exc}") from exc
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._fh: IO[bytes] = os.fdopen(fd, "wb")
        self.writer = writer_factory(self._fh, clock=clock, ids=ids)
        self.index_lines: list[str] = []
        self.records = 0
        self.opened = self.last_write = clock().timestamp()  # ages by the archive's clock
        try:
            self.write(self.writer.warcinfo(name, info))
        except ArchiveError:
            with contextlib.suppress(OSError):
                self._fh.close()
            with contextlib.suppress(OSError):
                os.unlink(self.open_path)  # holds nothing but a partial warcinfo
            raise

    @property
    def size(self) -> int:
        return self._fh.tell()

    def write(self, record: ArcWarcRecord, *, flush: bool = True) -> RecordLocation:
        """Append one record (one gzip member), flush it, and note its index line."""
        offset = self._fh.tell()
        try:
            self.writer.write_record(record)
            if flush:
                self._fh.flush()
        except OSError as exc:
            raise ArchiveError(
                self.open_path,
                f"write failed at offset {offset}: {exc} (free space or fix the disk)",
            ) from exc
        length = self._fh.tell() - offset
        self.records += 1
        self.last_write = self._clock().timestamp()
        line = cdxj.cdxj_line(record, offset, length, self.name)
        if line:
            self.index_lines.append(line)
        headers = record.rec_headers
        return RecordLocation(
            filename=self.name,
            offset=offset,
            length=length,
            record_id=headers.get_header("WARC-Record-ID"),
            record_type=record.rec_type,
            warc_date=headers.get_header("WARC-Date"),
            target_uri=headers.get_header("WARC-Target-URI") or "",
        )

    def abandon(self, keep: int) -> Path | None:
        """After a failed write: cut the file back to its first ``keep`` bytes (the
        records written before the failed capture), close it and give it its final name.

        Returns the final path, or None if even that failed: the ``.open`` file is then
        repaired (cut back to its last complete record) at the next start.
        """
        with contextlib.suppress(OSError):
            self._fh.close()  # its flush may fail again; the descriptor is closed anyway
        try:
            os.truncate(self.open_path, keep)
            fd = os.open(self.open_path, os.O_WRONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(self.open_path, self.final_path)
        except OSError as exc:
            log.error("warc_abandon_failed", path=str(self.open_path), error=str(exc))
            return None
        log.warning("warc_cut_back", path=str(self.final_path), bytes=keep)
        return self.final_path

    def close(self) -> Path:
        """fsync, unlock and rename to the final name; return the final path."""
        try:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            os.rename(self.open_path, self.final_path)
        except OSError as exc:
            raise ArchiveError(self.open_path, f"cannot close WARC file: {exc}") from exc
        finally:
            self._fh.close()  # closing the fd releases the flock
        log.info(
            "warc_closed",
            path=str(self.final_path),
            records=self.records,
            bytes=self.final_path.stat().st_size,
        )
        return self.final_path


#: How many closed files an Archive remembers (see Archive.closed_files).
CLOSED_FILES_KEPT = 1000


class Archive:
    """A collection of WARC files and its CDXJ index. Thread-safe; one per process."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = utcnow,
        ids: IdSource = new_record_id,
        pid: int | None = None,
        robots_policy: str = "obey",
        writer_factory: type[RecordWriter] = RecordWriter,
    ) -> None:
        self.settings = settings
        self.collection_dir = collection_dir(settings.archive, settings.collection)
        self.warc_dir = self.collection_dir / "archive"
        self.index_path = self.collection_dir / "indexes" / "index.cdxj"
        self._clock = clock
        self._ids = ids
        self._pid = os.getpid() if pid is None else pid
        self._robots_policy = robots_policy
        self._writer_factory = writer_factory
        self._lock = threading.Lock()
        self._current: WarcFile | None = None
        self._serial = 0
        # the files this process closed, newest last; bounded, as a service worker runs
        # for months: a version's message is delivered when its file closes, or with the
        # next close (a record applied just after a size rotation)
        self.closed_files: list[Path] = []
        # called with each file's final path and its CDXJ lines once closed and indexed
        self.on_closed: list[Callable[[Path, list[str]], object]] = []

    # -- life cycle -------------------------------------------------------------------
    def open(self) -> list[Path]:
        """Create the layout and repair ``.open`` files of dead writers; return the files
        whose captures are to be catalogued: those repaired now, and those a repairer
        that died repaired but did not get to catalogue (:meth:`reconciled` ends that).

        Before a file is renamed to its final name, a marker naming it is written under
        ``ARCHIVE/state/reconcile/``, so that a repairer killed between the rename and the
        catalogue leaves the file to the next one.
        """
        try:
            self.warc_dir.mkdir(parents=True, exist_ok=True)
            self.index_path.parent.mkdir(parents=True, exist_ok=True)
            self.reconcile_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveError(self.collection_dir, f"cannot create collection: {exc}") from exc
        for path in sorted(self.warc_dir.glob("*" + WARC_SUFFIX + recovery.OPEN_SUFFIX)):
            final = path.with_name(path.name[: -len(recovery.OPEN_SUFFIX)])
            marker = self._marker(final)
            _write_marker(marker)
            if recovery.recover_open_file(path) is None and not final.exists():
                marker.unlink(missing_ok=True)  # held by a live writer, or held nothing
        pending: list[Path] = []
        for marker in sorted(self.reconcile_dir.glob("*" + WARC_SUFFIX + MARKER_SUFFIX)):
            final = self.warc_dir / marker.name[: -len(MARKER_SUFFIX)]
            if final.exists():
                cdxj.merge_into(self.index_path, cdxj.index_warc(final))
                pending.append(final)
        return pending

    @property
    def reconcile_dir(self) -> Path:
        """Markers of repaired files whose captures are not catalogued yet."""
        return self.settings.archive / "state" / "reconcile" / self.settings.collection

    def reconciled(self, paths: Iterable[Path]) -> None:
        """The captures of these repaired files are catalogued: drop their markers."""
        for path in paths:
            self._marker(path).unlink(missing_ok=True)

    def _marker(self, final: Path) -> Path:
        return self.reconcile_dir / (final.name + MARKER_SUFFIX)

    def close(self) -> None:
        """Close the open WARC file (if any) and merge its lines into the index."""
        with self._lock:
            self._close_current()

    def close_if_stale(self, idle: float, max_age: float) -> bool:
        """Close the open file if nothing was written to it for ``idle`` s or it has been
        open for ``max_age`` s; True if it was closed.

        A long-running writer's rollover (like warcprox's idle rollover): the service
        keeps one file open across host turns, and this makes what it holds replayable
        and its versions' messages deliverable without waiting for the size limit.
        """
        with self._lock:
            current = self._current
            if current is None:
                return False
            now = self._clock().timestamp()
            if now - current.last_write < idle and now - current.opened < max_age:
                return False
            self._close_current()
            return True

    def __enter__(self) -> Archive:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ----------------------------------------------------------------------
    def write_capture(
        self,
        exchange: Exchange,
        *,
        revisit_of: StoredPayload | None = None,
        metadata: Iterable[tuple[str, str]] | None = None,
        revisit_profile: str | None = None,
    ) -> CaptureWritten:
        """Write the response (or a revisit of ``revisit_of``), request and metadata.

        The three records go to the same file, in that order, linked by
        ``WARC-Concurrent-To``. With ``revisit_profile=REVISIT_NOT_MODIFIED`` (a 304) the
        revisit has no HTTP block and refers to ``revisit_of`` with its digest, and the
        304's status line and headers are added to the metadata record (written even when
        ``metadata`` is None), so that pywb and ReplayWeb.page replay the confirmed
        payload at the 304's time (see :mod:`workers.warc.records`). Returns their locations.
        Raises :class:`ArchiveError`.
        """
        with self._lock:
            current = self._file()
            start, lines = current.size, len(current.index_lines)
            try:
                return self._write_capture(current, exchange, revisit_of, metadata, revisit_profile)
            except ArchiveError as exc:
                raise self._abandon(current, start, lines, exc) from exc

    def _write_capture(
        self,
        current: WarcFile,
        exchange: Exchange,
        revisit_of: StoredPayload | None,
        metadata: Iterable[tuple[str, str]] | None,
        revisit_profile: str | None,
    ) -> CaptureWritten:
        w = current.writer
        record_id = w.new_id()
        fields = None if metadata is None else list(metadata)
        if revisit_of is None:
            main = current.write(w.response(exchange, record_id), flush=False)
        else:
            profile = revisit_profile or REVISIT_IDENTICAL
            main = current.write(
                w.revisit(
                    exchange,
                    record_id,
                    revisit_of.target_uri,
                    revisit_of.warc_date,
                    revisit_of.record_id,
                    profile=profile,
                    payload_digest=revisit_of.digest or None,
                ),
                flush=False,
            )
            if profile == REVISIT_NOT_MODIFIED:
                # the revisit has no HTTP block: the 304 itself is kept here
                fields = [*(fields or []), *not_modified_fields(exchange)]
        request = current.write(w.request(exchange, record_id), flush=fields is None)
        meta = None
        if fields is not None:
            meta = current.write(w.metadata(exchange.url, record_id, exchange.started, fields))
        if current.size >= self.settings.warc_max_bytes:
            self._close_current()
        return CaptureWritten(main=main, request=request, metadata=meta)

    def write_metadata(
        self, target_uri: str, concurrent_to: str, when: datetime, fields: Iterable[tuple[str, str]]
    ) -> RecordLocation:
        """Write a standalone ``metadata`` record (events, failed fetches)."""
        with self._lock:
            current = self._file()
            start, lines = current.size, len(current.index_lines)
            try:
                return current.write(
                    current.writer.metadata(target_uri, concurrent_to, when, list(fields))
                )
            except ArchiveError as exc:
                raise self._abandon(current, start, lines, exc) from exc

    def flush(self) -> None:
        """Close the current file so that its records become replayable and indexed."""
        self.close()

    # -- policy -----------------------------------------------------------------------
    def next_filename(self) -> str:
        """``{prefix}-{UTC yyyymmddHHMMSSfff}-{serial:05d}-{hostname}-{pid}.warc.gz``."""
        now = self._clock()
        stamp = now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"
        host = re.sub(r"[^A-Za-z0-9.]+", "_", self.settings.hostname) or "localhost"
        name = (
            f"{self.settings.warc_prefix}-{stamp}-{self._serial:05d}-{host}-"
            f"{self._pid}{WARC_SUFFIX}"
        )
        self._serial += 1
        return name

    def warcinfo(self) -> dict[str, str]:
        s = self.settings
        return {
            "software": f"storyvault/{VERSION} (warcio/{warcio_version()})",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
            "warc-format/warc-1.1/",
            "hostname": s.hostname,
            "operator": s.operator,
            "robots": self._robots_policy,
            "http-header-user-agent": s.full_user_agent,
            "isPartOf": s.collection,
        }

    # -- internals --------------------------------------------------------------------
    def _file(self) -> WarcFile:
        if self._current is None:
            name = self.next_filename()
            while (self.warc_dir / name).exists():
                name = self.next_filename()
            self._current = WarcFile(
                self.warc_dir, name, self._writer_factory, self._clock, self._ids, self.warcinfo()
            )
            log.info("warc_opened", path=str(self._current.open_path))
        return self._current

    def _abandon(self, current: WarcFile, keep: int, lines: int, exc: ArchiveError) -> ArchiveError:
        """A write to ``current`` failed: cut it back to the records before the failed
        capture and close it (never leaving a partial record); return the error to raise."""
        self._current = None
        del current.index_lines[lines:]
        path = current.abandon(keep)
        if path is None:
            return exc
        self.closed_files.append(path)
        try:
            cdxj.merge_into(self.index_path, current.index_lines)
            for callback in self.on_closed:
                callback(path, current.index_lines)
        except (OSError, ArchiveError) as again:  # the index can be rebuilt (reindex)
            log.error("index_update_failed", path=str(self.index_path), error=str(again))
        return ArchiveError(
            path, f"{exc.message}; the file was cut back to its last complete record"
        )

    def _close_current(self) -> None:
        current, self._current = self._current, None
        if current is None:
            return
        path = current.close()
        self.closed_files.append(path)
        if len(self.closed_files) > 2 * CLOSED_FILES_KEPT:
            del self.closed_files[:-CLOSED_FILES_KEPT]
        cdxj.merge_into(self.index_path, current.index_lines)
        for callback in self.on_closed:
            callback(path, current.index_lines)


def warcio_version() -> str:
    try:
        return importlib.metadata.version("warcio")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def location_of(record: RecordLocation) -> StoredPayload:
    """The :class:`StoredPayload` a later revisit of ``record`` refers to."""
    return StoredPayload(record.target_uri, record.warc_date, record.record_id, "")


__all__ = [
    "Archive",
    "CaptureWritten",
    "RecordLocation",
    "StoredPayload",
    "WarcFile",
    "warc_date",
]


def _write_marker(path: Path) -> None:
    """Create ``path`` durably (its directory entry fsynced)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o644)
        os.fsync(fd)
        os.close(fd)
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError as exc:
        raise ArchiveError(path, f"cannot write a repair marker: {exc}") from exc
