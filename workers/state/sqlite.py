"""Crawl state behind one interface; this module holds the embedded (SQLite) backend.

The SQLite file lives beside the archive (``ARCHIVE/state/embedded.sqlite3``). It is a
cache of what the WARC files say: everything in it can be rebuilt from them.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from workers.core.errors import ArchiveError, StateError
from workers.core.types import (
    Clock,
    FrontierItem,
    StoredPayload,
    utcnow,
)
from workers.warc.root import STATE_FILE

SCHEMA = """
CREATE TABLE IF NOT EXISTS crawls (
    id          INTEGER PRIMARY KEY,
    seeds       TEXT NOT NULL,
    started     REAL NOT NULL,
    finished    REAL
);
CREATE TABLE IF NOT EXISTS urls (
    crawl_id    INTEGER NOT NULL,
    url_key     TEXT NOT NULL,
    url         TEXT NOT NULL,
    host        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    hops        INTEGER NOT NULL,
    cite_depth  INTEGER NOT NULL,
    via         TEXT,
    found_by    TEXT NOT NULL,
    priority    INTEGER NOT NULL,
    status      TEXT NOT NULL DEFAULT 'queued',
    note        TEXT,
    seq         INTEGER NOT NULL,
    PRIMARY KEY (crawl_id, url_key)
);
CREATE INDEX IF NOT EXISTS urls_status ON urls (crawl_id, status);
CREATE TABLE IF NOT EXISTS budget_counts (
    crawl_id    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (crawl_id, name)
);
CREATE TABLE IF NOT EXISTS parked (
    crawl_id    INTEGER NOT NULL,
    shape       TEXT NOT NULL,
    url_key     TEXT NOT NULL,
    candidate   TEXT NOT NULL,
    PRIMARY KEY (crawl_id, shape, url_key)
);
CREATE TABLE IF NOT EXISTS robots (
    host        TEXT PRIMARY KEY,
    fetched_at  REAL NOT NULL,
    status      INTEGER,
    body        BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS citations (
    article_url TEXT NOT NULL,
    cited_url   TEXT NOT NULL,
    anchor      TEXT NOT NULL,
    first_seen  REAL NOT NULL,
    PRIMARY KEY (article_url, cited_url)
);
CREATE TABLE IF NOT EXISTS payload_digests (
    url_key     TEXT NOT NULL,
    digest      TEXT NOT NULL,
    target_uri  TEXT NOT NULL,
    warc_date   TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    PRIMARY KEY (url_key, digest)
);
"""


class SQLiteState:
    """The embedded state backend. Thread-safe (one connection behind a lock)."""

    def __init__(self, path: Path, *, clock: Clock = utcnow) -> None:
        self.path = path
        self._clock = clock
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ArchiveError(
                path,
                f"cannot open the state database ({exc}); give --archive a directory "
                "that can be created and written",
            ) from exc
        self._lock = threading.RLock()

    @contextmanager
    def _tx(self, what: str) -> Iterator[None]:
        """Hold the lock; translate a SQLite failure (disk full, I/O error, a damaged
        file) into a :class:`StateError` naming the file and what was being done."""
        with self._lock:
            try:
                yield
            except sqlite3.Error as exc:
                raise StateError(
                    str(self.path),
                    f"{what} failed: {exc} (check the disk and the file)",
                ) from exc

    @property
    def db(self) -> sqlite3.Connection:
        """The connection (for modules that keep their own tables, under :attr:`lock`)."""
        return self._db

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    @classmethod
    def beside(cls, archive_root: Path, *, clock: Clock = utcnow) -> SQLiteState:
        return cls(archive_root / STATE_FILE, clock=clock)

    def _time(self) -> float:
        return self._clock().timestamp()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> SQLiteState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def lookup_payload(self, url_key: str, digest: str) -> StoredPayload | None:
        with self._tx("looking up a payload digest"):
            row = self._db.execute(
                "SELECT target_uri, warc_date, record_id FROM payload_digests"
                " WHERE url_key = ? AND digest = ?",
                (url_key, digest),
            ).fetchone()
        if row is None:
            return None
        return StoredPayload(target_uri=row[0], warc_date=row[1], record_id=row[2], digest=digest)

    def remember_payload(self, url_key: str, payload: StoredPayload) -> None:
        with self._tx("remembering a payload digest"):
            self._db.execute(
                "INSERT OR IGNORE INTO payload_digests VALUES (?, ?, ?, ?, ?)",
                (url_key, payload.digest, payload.target_uri, payload.warc_date, payload.record_id),
            )

    # -- crawls and frontier -------------------------------------------------------------
    def begin_crawl(self, seeds: Iterable[str]) -> tuple[int, bool]:
        """The crawl for these seeds: the unfinished one (resumed=True) or a new one."""
        key = "\n".join(sorted(set(seeds)))
        with self._tx("starting the crawl"):
            row = self._db.execute(
                "SELECT id FROM crawls WHERE seeds = ? AND finished IS NULL"
                " ORDER BY id DESC LIMIT 1",
                (key,),
            ).fetchone()
            if row is not None:
                return int(row[0]), True
            cur = self._db.execute(
                "INSERT INTO crawls (seeds, started) VALUES (?, ?)", (key, self._time())
            )
            return int(cur.lastrowid or 0), False

    def finish_crawl(self, crawl_id: int) -> None:
        with self._tx("finishing the crawl"):
            self._db.execute(
                "UPDATE crawls SET finished = ? WHERE id = ?", (self._time(), crawl_id)
            )

    def add_url(self, crawl_id: int, item: FrontierItem) -> bool:
        """Queue ``item`` unless its key was already seen in this crawl; True if queued."""
        with self._tx("queueing a URL"):
            cur = self._db.execute(
                "INSERT OR IGNORE INTO urls (crawl_id, url_key, url, host, kind, hops,"
                " cite_depth, via, found_by, priority, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    crawl_id,
                    item.key,
                    item.url,
                    item.host,
                    item.kind,
                    item.hops,
                    item.cite_depth,
                    item.via,
                    item.found_by,
                    item.priority,
                    item.seq,
                ),
            )
            return cur.rowcount == 1

    def seen(self, crawl_id: int, key: str) -> bool:
        with self._tx("reading the seen set"):
            return (
                self._db.execute(
                    "SELECT 1 FROM urls WHERE crawl_id = ? AND url_key = ?", (crawl_id, key)
                ).fetchone()
                is not None
            )

    def seen_many(self, crawl_id: int, keys: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        with self._tx("reading the seen set"):
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT url_key FROM urls WHERE crawl_id = ? AND url_key IN ({marks})",
                    (crawl_id, *chunk),
                ).fetchall()
                found.update(str(row[0]) for row in rows)
        return found

    def queued(self, crawl_id: int) -> list[FrontierItem]:
        """Every URL still to fetch in this crawl, in queue order."""
        with self._tx("reading the frontier"):
            rows = self._db.execute(
                "SELECT url, url_key, host, kind, hops, cite_depth, via, found_by, priority,"
                " seq FROM urls WHERE crawl_id = ? AND status = 'queued' ORDER BY seq",
                (crawl_id,),
            ).fetchall()
        return [FrontierItem(*row) for row in rows]

    def mark(self, crawl_id: int, key: str, status: str, note: str | None = None) -> None:
        """Set a URL's outcome: "done", "failed", "blocked", "skipped"."""
        with self._tx("marking a URL done"):
            self._db.execute(
                "UPDATE urls SET status = ?, note = ? WHERE crawl_id = ? AND url_key = ?",
                (status, note, crawl_id, key),
            )

    def url_counts(self, crawl_id: int) -> dict[str, int]:
        with self._tx("counting URLs"):
            rows = self._db.execute(
                "SELECT status, COUNT(*) FROM urls WHERE crawl_id = ? GROUP BY status", (crawl_id,)
            ).fetchall()
        return {str(status): int(n) for status, n in rows}

    def host_page_counts(self, crawl_id: int) -> dict[str, int]:
        with self._tx("counting pages per host"):
            rows = self._db.execute(
                "SELECT host, COUNT(*) FROM urls WHERE crawl_id = ?"
                " AND kind = 'page' GROUP BY host",
                (crawl_id,),
            ).fetchall()
        return {str(host): int(n) for host, n in rows}

    def max_seq(self, crawl_id: int) -> int:
        with self._tx("reading the frontier"):
            row = self._db.execute(
                "SELECT MAX(seq) FROM urls WHERE crawl_id = ?", (crawl_id,)
            ).fetchone()
        return int(row[0] or 0)

    # -- budgets of a crawl (workers.crawl.budgets) ----------------------------------------------
    def budget_counts(self, crawl_id: int) -> dict[str, int]:
        """The crawl's budget counters as stored (a resumed crawl starts from them)."""
        with self._tx("reading the crawl's budgets"):
            rows = self._db.execute(
                "SELECT name, n FROM budget_counts WHERE crawl_id = ?", (crawl_id,)
            ).fetchall()
        return {str(name): int(n) for name, n in rows}

    def add_budget_counts(self, crawl_id: int, delta: dict[str, int]) -> None:
        if not delta:
            return
        with self._tx("counting the crawl's budgets"):
            self._db.executemany(
                "INSERT INTO budget_counts VALUES (?, ?, ?) ON CONFLICT (crawl_id, name)"
                " DO UPDATE SET n = n + excluded.n",
                [(crawl_id, name, n) for name, n in delta.items()],
            )

    def park(self, crawl_id: int, shape: str, key: str, candidate: str) -> None:
        """Keep a URL the shape budget left out aside (``candidate``: its JSON)."""
        with self._tx("keeping a URL aside"):
            self._db.execute(
                "INSERT OR IGNORE INTO parked VALUES (?, ?, ?, ?)",
                (crawl_id, shape, key, candidate),
            )

    def unpark(self, crawl_id: int, shape: str) -> list[str]:
        """Take back every URL kept aside for ``shape`` (their JSON)."""
        with self._tx("handing back URLs kept aside"):
            rows = self._db.execute(
                "SELECT candidate FROM parked WHERE crawl_id = ? AND shape = ?",
                (crawl_id, shape),
            ).fetchall()
            self._db.execute(
                "DELETE FROM parked WHERE crawl_id = ? AND shape = ?", (crawl_id, shape)
            )
        return [str(row[0]) for row in rows]

    # -- robots cache --------------------------------------------------------------------
    def robots_get(self, host: str, max_age: float) -> tuple[int | None, bytes] | None:
        """A cached robots.txt fetch (status, body) younger than ``max_age`` seconds."""
        with self._tx("reading the robots.txt cache"):
            row = self._db.execute(
                "SELECT fetched_at, status, body FROM robots WHERE host = ?", (host,)
            ).fetchone()
        if row is None or self._time() - float(row[0]) > max_age:
            return None
        return (None if row[1] is None else int(row[1])), bytes(row[2])

    def robots_put(self, host: str, status: int | None, body: bytes) -> None:
        with self._tx("caching robots.txt"):
            self._db.execute(
                "INSERT OR REPLACE INTO robots VALUES (?, ?, ?, ?)",
                (host, self._time(), status, body),
            )

    # -- citation graph ------------------------------------------------------------------
    def add_citations(self, article_url: str, cited: Iterable[tuple[str, str]]) -> None:
        now = self._time()
        with self._tx("recording citations"):
            self._db.executemany(
                "INSERT OR IGNORE INTO citations VALUES (?, ?, ?, ?)",
                [(article_url, url, anchor, now) for url, anchor in cited],
            )

    def citations(self, article_url: str) -> list[tuple[str, str]]:
        with self._tx("reading citations"):
            rows = self._db.execute(
                "SELECT cited_url, anchor FROM citations WHERE article_url = ? ORDER BY cited_url",
                (article_url,),
            ).fetchall()
        return [(str(u), str(a)) for u, a in rows]
