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

An archive the service writes keeps its catalogue and index in Redis, which the directory
alone does not show: each service worker writes :data:`BACKEND_FILE` at the archive root
when it starts (:func:`write_backend_marker`: the backend, the key prefix and the Redis
server without its credentials), so that a command given that archive without a Redis URL
says what to pass instead of finding nothing (:func:`read_backend_marker`).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from workers.core.errors import ArchiveBusyError, ArchiveError, ConfigError

STATE_FILE = Path("state") / "embedded.sqlite3"
LOCK_FILE = Path("state") / "writer.lock"
COLLECTIONS = "collections"
#: At the root of an archive whose catalogue and index live in Redis (the service's).
BACKEND_FILE = Path("storyvault-backend.json")


def collection_dir(archive_root: Path, collection: str) -> Path:
    """A collection's folder in pywb's layout: ``ARCHIVE/collections/<collection>``."""
    return archive_root / COLLECTIONS / collection


def warc_dir(archive_root: Path, collection: str) -> Path:
    """Where a collection's WARC files are: ``ARCHIVE/collections/<collection>/archive``."""
    return collection_dir(archive_root, collection) / "archive"


def is_archive(root: Path) -> bool:
    """Whether ``root`` holds an archive (its state database, a collections folder, or
    the marker of a service that writes it)."""
    return (
        (root / STATE_FILE).is_file()
        or (root / COLLECTIONS).is_dir()
        or (root / BACKEND_FILE).is_file()
    )


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


# -- where the catalogue lives -------------------------------------------------------------
@dataclass(frozen=True)
class BackendMarker:
    """What :data:`BACKEND_FILE` says: the catalogue and index of this archive are in
    Redis under ``redis_prefix``, on ``redis_server`` (a URL without credentials)."""

    backend: Literal["redis"]
    redis_prefix: str
    redis_server: str
    collection: str


def public_redis_url(url: str) -> str:
    """``url`` without user, password or query options, keeping its database:
    ``redis://:secret@db1:6380/2`` -> ``redis://db1:6380/2``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    if parts.scheme == "unix":
        db = parse_qs(parts.query).get("db", ["0"])[0]
        return f"unix://{parts.path}?db={db}"
    return f"{parts.scheme}://{netloc}{parts.path}"


def write_backend_marker(root: Path, *, redis_url: str, redis_prefix: str, collection: str) -> Path:
    """Write :data:`BACKEND_FILE` into ``root`` (created if missing); return its path.

    Written whole (temp file, then rename) and never holding the password. Raises
    :class:`ArchiveError` naming the file if it cannot be written.
    """
    path = root / BACKEND_FILE
    info = {
        "backend": "redis",
        "redis_prefix": redis_prefix,
        "redis_server": public_redis_url(redis_url),
        "collection": collection,
        "written_by": f"storyvault worker, pid {os.getpid()} on host {socket.gethostname()}",
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ArchiveError(
            path,
            f"cannot write the service's backend marker ({exc}); give --archive a "
            "directory the worker can write",
        ) from exc
    return path


def read_backend_marker(root: Path) -> BackendMarker | None:
    """What :data:`BACKEND_FILE` in ``root`` says, or ``None`` when there is none.

    Raises :class:`ConfigError` naming the file when it is there but unreadable.
    """
    path = root / BACKEND_FILE
    try:
        raw = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):  # no marker, or no archive at all
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the backend marker: {exc}") from exc
    try:
        info = json.loads(raw)
        if info["backend"] != "redis":
            raise ValueError(f"unknown backend {info['backend']!r}")
        return BackendMarker(
            backend="redis",
            redis_prefix=str(info["redis_prefix"]),
            redis_server=str(info.get("redis_server", "")),
            collection=str(info.get("collection", "")),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"{path}: not a storyvault backend marker ({exc}); a service worker writes "
            "it when it starts: start one, or delete the file if no service writes here"
        ) from exc
