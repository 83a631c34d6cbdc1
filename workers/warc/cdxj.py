"""CDXJ index lines, identical to what ``cdxj-indexer`` writes for the same records.

A line is ``<SURT key> <14-digit timestamp> <JSON>`` with the JSON fields, in order,
``url mime status digest length offset filename`` (absent ones left out). ``response``,
``revisit`` and ``resource`` records are indexed; ``request``, ``warcinfo`` and
``application/warc-fields`` metadata are not, as cdxj-indexer does by default.
The index file is kept sorted so that pywb can binary-search it.

A revisit's ``status`` comes from its own HTTP head, so a 304 re-crawl's revisit (no
HTTP block, see :mod:`workers.warc.records`) has none: pywb then replays the original's status
and ReplayWeb.page reads a missing status as 200, and both show the confirmed payload.
A ``"status": "304"`` line would make ReplayWeb.page serve an empty 304.
"""

from __future__ import annotations

import fcntl
import functools
import heapq
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import surt as surt_lib
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.timeutils import iso_date_to_timestamp

from workers.core.errors import ArchiveError

INDEXED_TYPES = frozenset({"response", "revisit", "resource", "metadata"})
_MIME_SPLIT = re.compile(r"[;\s]")


@functools.lru_cache(maxsize=4096)  # a capture asks twice (digest index, CDXJ line)
def surt_key(url: str) -> str:
    """The SURT sort key of ``url`` (``com,example)/path``), as pywb computes it."""
    try:
        return str(surt_lib.surt(url))
    except Exception:  # surt raises assorted errors on odd URLs; cdxj-indexer falls back too
        return url


def cdxj_line(record: ArcWarcRecord, offset: int, length: int, filename: str) -> str | None:
    """The index line for one record at ``offset``/``length`` in ``filename``, or ``None``."""
    rec_type = record.rec_type
    if rec_type not in INDEXED_TYPES:
        return None
    content_type = record.rec_headers.get_header("Content-Type")
    if rec_type in ("resource", "metadata") and content_type == "application/warc-fields":
        return None
    url = record.rec_headers.get_header("WARC-Target-URI")
    fields: dict[str, str] = {"url": url}
    if rec_type == "revisit":
        mime: str | None = "warc/revisit"
    elif rec_type == "response":
        mime = record.http_headers.get_header("Content-Type") if record.http_headers else None
    else:
        mime = content_type
    if mime:
        fields["mime"] = _MIME_SPLIT.split(mime, 1)[0].strip()
    elif mime is not None:
        fields["mime"] = mime
    if rec_type in ("response", "revisit") and record.http_headers:
        status = record.http_headers.get_statuscode()
        if status is not None:
            fields["status"] = status
    digest = record.rec_headers.get_header("WARC-Payload-Digest")
    if digest:
        fields["digest"] = digest
    fields.update(length=str(length), offset=str(offset), filename=filename)
    ts = iso_date_to_timestamp(record.rec_headers.get_header("WARC-Date"))
    return f"{surt_key(url)} {ts} {json.dumps(fields)}"


def index_warc(path: Path, filename: str | None = None) -> list[str]:
    """Index every record of the WARC at ``path`` (reading it back with warcio)."""
    name = filename or path.name
    lines: list[str] = []
    try:
        with path.open("rb") as fh:
            it = ArchiveIterator(fh)
            for record in it:
                record.content_stream().read()  # compute offsets past the content
                offset, length = it.get_record_offset(), it.get_record_length()
                line = cdxj_line(record, offset, length, name)
                if line:
                    lines.append(line)
    except OSError as exc:
        raise ArchiveError(path, f"cannot read WARC to index it: {exc}") from exc
    return lines


def merge_into(index_path: Path, new_lines: Iterable[str]) -> int:
    """Merge ``new_lines`` into the sorted index at ``index_path``; return lines added.

    Safe against concurrent writers (an ``fcntl`` lock beside the index) and against a
    crash (written to a temp file, then renamed). Duplicate lines are kept once.
    """
    fresh = sorted(set(new_lines))
    if not fresh:
        return 0
    index_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = index_path.with_name(index_path.name + ".lock")
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            tmp = index_path.with_name(f".{index_path.name}.{os.getpid()}.tmp")
            existing = _read_lines(index_path)
            with tmp.open("w", encoding="utf-8") as out:
                previous = None
                for line in heapq.merge(existing, fresh):
                    if line == previous:
                        continue
                    out.write(line + "\n")
                    previous = line
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, index_path)
        except OSError as exc:
            raise ArchiveError(index_path, f"cannot update the CDXJ index: {exc}") from exc
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return len(fresh)


def replace_index(index_path: Path, lines: Iterable[str]) -> int:
    """Replace the index at ``index_path`` with ``lines`` (sorted, each once); return how
    many it holds.

    Under the same lock as :func:`merge_into`, so a writer merging at the same time
    waits; written to a temp file, fsynced, then renamed. Raises :class:`ArchiveError`
    naming the index if it cannot be written.
    """
    fresh = sorted(set(lines))
    lock_path = index_path.with_name(index_path.name + ".lock")
    try:
        index_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                tmp = index_path.with_name(f".{index_path.name}.{os.getpid()}.tmp")
                with tmp.open("w", encoding="utf-8") as out:
                    out.writelines(line + "\n" for line in fresh)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, index_path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    except OSError as exc:
        raise ArchiveError(index_path, f"cannot rewrite the CDXJ index: {exc}") from exc
    return len(fresh)


def _read_lines(path: Path) -> Iterator[str]:
    if not path.exists():
        return
    with path.open("r", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield line.rstrip("\n")
