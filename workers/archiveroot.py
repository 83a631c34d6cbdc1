"""The archive's root directory: whether there is an archive at a path, and who writes it.

An archive is a directory that a crawl wrote into: it holds the embedded state
(``state/embedded.sqlite3``) or a pywb collection (``collections/``; WARC files copied
from elsewhere, before ``storyvault reindex``). Commands that only read an archive check
with :func:`existing_archive` first, so that a mistyped ``--archive`` is an error instead
of a new, empty archive.

An embedded archive has one writer process at a time: :func:`writer_lock` holds an
exclusive ``flock`` on ``state/writer.lock`` (which names the holder: pid, host, command)
for as long as a crawl, fetch, watch or reindex runs; a second writer is refused at once
with :class:`ArchiveBusyError`. The kernel drops the lock when its process dies, so a
killed crawl never leaves the archive locked. Readers take no lock. (The service's
workers share an archive by design and do not use this lock: each owns its own WARC file
and their state is in Redis.)
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from workers.errors import ArchiveBusyError, ArchiveError, ConfigError

STATE_FILE = Path("state") / "embedded.sqlite3"
LOCK_FILE = Path("state") / "writer.lock"
COLLECTIONS = "collections"


def is_archive(root: Path) -> bool:
    """Whether ``root`` holds an archive (its state database or a collections folder)."""
    return (root / STATE_FILE).is_file() or (root / COLLECTIONS).is_dir()


def existing_archive(root: Path) -> Path:
    """Return ``root`` if an archive is there; create nothing.

    Raises :class:`ConfigError` naming the path when there is none.
    """
    if not is_archive(root):
        what = "no such directory" if not root.exists() else "no state or collections in it"
        raise ConfigError(
            f"{root}: no archive at this path ({what}); give --archive the directory "
            "a crawl wrote into, or crawl into it first"
        )
    return root


# Locks this process holds, by lock file: flock belongs to an open file, so a second
# open in the same process would conflict with the first (``watch`` runs many crawls).
_HELD: dict[Path, tuple[int, int]] = {}
_HELD_LOCK = threading.Lock()


@contextmanager
def writer_lock(root: Path, command: str) -> Iterator[None]:
    """Hold the archive's writer lock for the ``with`` block; re-entrant in one process.

    Creates ``root/state/`` if needed. Raises :class:`ArchiveBusyError` naming the holder
    (pid, host, command, since when) if another process holds it, :class:`ArchiveError`
    if the lock file cannot be created.
    """
    path = root / LOCK_FILE
    key = Path(os.path.abspath(path))
    with _HELD_LOCK:
        if key in _HELD:
            fd, count = _HELD[key]
            _HELD[key] = (fd, count + 1)
        else:
            _HELD[key] = (_acquire(path, command), 1)
    try:
        yield
    finally:
        with _HELD_LOCK:
            fd, count = _HELD[key]
            if count > 1:
                _HELD[key] = (fd, count - 1)
            else:
                del _HELD[key]
                _release(fd)


def _acquire(path: Path, command: str) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ArchiveError(
            path,
            f"cannot create the writer lock ({exc}); give --archive a directory that can "
            "be created and written",
        ) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _describe(os.pread(fd, 4096, 0))
        os.close(fd)
        raise ArchiveBusyError(path.parent.parent, holder) from None
    except OSError as exc:
        os.close(fd)
        raise ArchiveError(path, f"cannot lock: {exc}") from exc
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": command,
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
    return fd


def _release(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the file releases the flock


def _describe(raw: bytes) -> str:
    """The holder named in a lock file: "pid 123 on host h (crawl, since ...)"."""
    try:
        info = json.loads(raw.decode())
        text = f"pid {int(info['pid'])} on host {info['host']}"
    except (ValueError, KeyError, TypeError):
        return "another process (it has not named itself yet)"
    extra = ", ".join(str(info[k]) for k in ("command", "since") if info.get(k))
    return f"{text} ({extra})" if extra else text
