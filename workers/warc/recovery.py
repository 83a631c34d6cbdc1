"""Repair a ``.open`` WARC left behind by a killed process.

Every record is one gzip member and is flushed when written, so a killed writer leaves
complete members followed by at most one partial member. :func:`complete_prefix` walks
the members and checks each holds a whole WARC record (headers, ``Content-Length`` bytes
of block, the closing CRLFs); :func:`recover_open_file` cuts the file after the last good
one and renames it to its final name. Nothing before the cut is lost.
"""

from __future__ import annotations

import fcntl
import os
import zlib
from pathlib import Path

import structlog

from workers.core.errors import RecoveryError

log = structlog.get_logger(__name__)

OPEN_SUFFIX = ".open"
_READ = 256 * 1024
_HEAD_KEEP = 64 * 1024


def complete_prefix(path: Path) -> tuple[int, int]:
    """Return (bytes, records) of the longest prefix of whole, valid WARC records."""
    good_end = 0
    records = 0
    with path.open("rb") as fh:
        offset = 0
        pending = b""
        while True:
            end = _member_end(fh, offset, pending)
            if end is None:
                break
            offset, pending = end
            good_end = offset
            records += 1
    return good_end, records


def _member_end(fh: object, start: int, pending: bytes) -> tuple[int, bytes] | None:
    """Decode one gzip member starting at ``start``; return (end offset, unread bytes)."""
    assert hasattr(fh, "read")
    decomp = zlib.decompressobj(zlib.MAX_WBITS | 16)
    head = bytearray()
    tail = b""
    total_out = 0
    consumed = 0
    data = pending
    while True:
        if not data:
            data = fh.read(_READ)
            if not data:
                return None  # file ends inside this member
        try:
            out = decomp.decompress(data)
        except zlib.error:
            return None
        if len(head) < _HEAD_KEEP:
            head.extend(out[: _HEAD_KEEP - len(head)])
        total_out += len(out)
        tail = (tail + out)[-4:]
        if decomp.eof:
            used = len(data) - len(decomp.unused_data)
            consumed += used
            if not _is_whole_record(bytes(head), total_out, tail):
                return None
            return start + consumed, decomp.unused_data
        consumed += len(data)
        data = b""


def _is_whole_record(head: bytes, total: int, tail: bytes) -> bool:
    if not head.startswith(b"WARC/"):
        return False
    sep = head.find(b"\r\n\r\n")
    if sep < 0:
        return False
    length = None
    for line in head[:sep].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                return False
    if length is None:
        return False
    return total == sep + 4 + length + 4 and tail == b"\r\n\r\n"


def try_lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; ``False`` if a live writer holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def recover_open_file(path: Path) -> Path | None:
    """Repair one ``.open`` WARC whose writer is gone; return the final path.

    Returns ``None`` when a live process still holds the file (nothing is done) or when
    the file held no complete record (it is removed). Raises :class:`RecoveryError` if
    the file cannot be repaired.
    """
    if not path.name.endswith(OPEN_SUFFIX):
        raise RecoveryError(path, "not a .open WARC file")
    final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RecoveryError(path, f"cannot open for repair: {exc}") from exc
    try:
        if not try_lock(fd):
            return None
        size = os.fstat(fd).st_size
        good, records = complete_prefix(path)
        if records == 0:
            os.unlink(path)
            log.warning("warc_recovered", path=str(path), records=0, removed=True)
            return None
        if good < size:
            os.ftruncate(fd, good)
        os.fsync(fd)
        os.rename(path, final)
        log.warning("warc_recovered", path=str(final), records=records, cut_bytes=size - good)
        return final
    except OSError as exc:
        raise RecoveryError(path, f"repair failed: {exc}; copy the file aside and retry") from exc
    finally:
        os.close(fd)
