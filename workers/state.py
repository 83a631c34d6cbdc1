"""Crawl state behind one interface; this module holds the embedded (SQLite) backend.

The SQLite file lives beside the archive (``ARCHIVE/state/embedded.sqlite3``). It is a
cache of what the WARC files say: everything in it can be rebuilt from them.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Protocol

from workers.archive import StoredPayload
from workers.errors import ArchiveError

SCHEMA = """
CREATE TABLE IF NOT EXISTS payload_digests (
    url_key     TEXT NOT NULL,
    digest      TEXT NOT NULL,
    target_uri  TEXT NOT NULL,
    warc_date   TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    PRIMARY KEY (url_key, digest)
);
"""


class DigestIndex(Protocol):
    """Payloads already archived, by URL key and payload digest (for revisit records)."""

    def lookup_payload(self, url_key: str, digest: str) -> StoredPayload | None: ...

    def remember_payload(self, url_key: str, payload: StoredPayload) -> None: ...


class SQLiteState:
    """The embedded state backend. Thread-safe (one connection behind a lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise ArchiveError(path, f"cannot open state database: {exc}") from exc
        self._lock = threading.Lock()

    @classmethod
    def beside(cls, archive_root: Path) -> SQLiteState:
        return cls(archive_root / "state" / "embedded.sqlite3")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> SQLiteState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def lookup_payload(self, url_key: str, digest: str) -> StoredPayload | None:
        with self._lock:
            row = self._db.execute(
                "SELECT target_uri, warc_date, record_id FROM payload_digests"
                " WHERE url_key = ? AND digest = ?",
                (url_key, digest),
            ).fetchone()
        if row is None:
            return None
        return StoredPayload(target_uri=row[0], warc_date=row[1], record_id=row[2], digest=digest)

    def remember_payload(self, url_key: str, payload: StoredPayload) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO payload_digests VALUES (?, ?, ?, ?, ?)",
                (url_key, payload.digest, payload.target_uri, payload.warc_date, payload.record_id),
            )
