"""The version catalogue: stories, their versions and events, and the cleaning outbox.

It lives in the embedded SQLite state and is *derived from the WARC files*: every change
is :meth:`Catalogue.apply` of one capture's metadata fields (the ``metadata`` record
written beside each article response) and the location of its main record. The live
crawl and ``storyvault reindex`` call the same function, so deleting the state and
reindexing gives the same catalogue.

Metadata fields read here (all optional but ``storyStatus``):

``storyStatus``       new-version | unchanged | not-modified | empty-extraction | gone | moved
``storyVersion``      version number after this capture
``storyFingerprint``  sha256 of the story text; ``previousFingerprint`` the one before
``storyTitle``, ``storyLanguage``, ``published``, ``etag``, ``lastModified``, ``movedTo``
``cited``             "URL anchor" lines
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from workers.archive import RecordLocation
from workers.discover import parse_date
from workers.schedule import DEFAULT_CURVE, Step, next_due
from workers.state import SQLiteState
from workers.urls import canonical, host_of

SCHEMA = """
CREATE TABLE IF NOT EXISTS stories (
    story_id     TEXT PRIMARY KEY,
    url          TEXT NOT NULL,
    outlet       TEXT NOT NULL,
    first_seen   TEXT NOT NULL,
    last_seen    TEXT NOT NULL,
    born         TEXT NOT NULL,
    last_change  TEXT,
    versions     INTEGER NOT NULL DEFAULT 0,
    fingerprint  TEXT,
    title        TEXT,
    language     TEXT,
    status       TEXT NOT NULL DEFAULT 'live',
    next_due     TEXT,
    etag         TEXT,
    last_modified TEXT,
    payload      TEXT
);
CREATE TABLE IF NOT EXISTS story_urls (
    url_key      TEXT PRIMARY KEY,
    story_id     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    story_id     TEXT NOT NULL,
    number       INTEGER NOT NULL,
    fingerprint  TEXT NOT NULL,
    previous     TEXT,
    first_seen   TEXT NOT NULL,
    last_seen    TEXT NOT NULL,
    title        TEXT,
    language     TEXT,
    url          TEXT NOT NULL,
    warc         TEXT NOT NULL,
    PRIMARY KEY (story_id, number)
);
CREATE TABLE IF NOT EXISTS events (
    story_id     TEXT NOT NULL,
    time         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    url          TEXT NOT NULL,
    detail       TEXT,
    record_id    TEXT NOT NULL,
    PRIMARY KEY (story_id, record_id)
);
CREATE TABLE IF NOT EXISTS applied (
    record_id    TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS outbox (
    message_id   TEXT PRIMARY KEY,
    story_id     TEXT NOT NULL,
    number       INTEGER NOT NULL,
    warc_file    TEXT NOT NULL,
    body         TEXT NOT NULL,
    delivered    TEXT
);
"""

MESSAGE_SCHEMA = "storyvault.article-version/1"


@dataclass(frozen=True)
class Capture:
    """One archived article capture, as the catalogue sees it."""

    url: str
    time: datetime
    location: RecordLocation  # the response or revisit record
    fields: dict[str, list[str]]  # metadata fields (a name may repeat, e.g. "cited")

    def one(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None


@dataclass
class StoryRow:
    story_id: str
    url: str
    outlet: str
    first_seen: str
    last_seen: str
    born: str
    last_change: str | None
    versions: int
    fingerprint: str | None
    title: str | None
    language: str | None
    status: str
    next_due: str | None
    etag: str | None
    last_modified: str | None
    payload: str | None  # JSON of the last 200 payload: uri, date, record_id, digest

    def payload_ref(self) -> dict[str, str] | None:
        return json.loads(self.payload) if self.payload else None


@dataclass
class VersionRow:
    number: int
    fingerprint: str
    previous: str | None
    first_seen: str
    last_seen: str
    title: str | None
    language: str | None
    url: str
    warc: dict[str, Any] = field(default_factory=dict)


def story_id_for(url: str) -> str:
    """A story's stable id: derived from the canonical URL it was first seen at."""
    return hashlib.sha256(canonical(url).encode()).hexdigest()[:16]


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class Catalogue:
    """Version catalogue and outbox over an :class:`SQLiteState` connection."""

    def __init__(
        self,
        state: SQLiteState,
        curve: Sequence[Step] = DEFAULT_CURVE,
        collection: str = "storyvault",
    ) -> None:
        self.collection = collection
        self._db = state.db
        self._lock = state.lock
        self.curve = tuple(curve)
        with self._lock:
            self._db.executescript(SCHEMA)

    # -- reading ------------------------------------------------------------------------
    def story_for(self, url: str) -> StoryRow | None:
        with self._lock:
            row = self._db.execute(
                "SELECT s.* FROM stories s JOIN story_urls u ON u.story_id = s.story_id"
                " WHERE u.url_key = ?",
                (canonical(url),),
            ).fetchone()
        return StoryRow(*row) if row else None

    def stories(self, outlet: str | None = None) -> list[StoryRow]:
        query = "SELECT * FROM stories"
        args: tuple[str, ...] = ()
        if outlet:
            query += " WHERE outlet = ?"
            args = (outlet,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY first_seen, story_id", args).fetchall()
        return [StoryRow(*r) for r in rows]

    def due(self, now: datetime, outlet: str | None = None) -> list[StoryRow]:
        """Live stories whose next re-crawl is due at ``now``."""
        return [
            s
            for s in self.stories(outlet)
            if s.status == "live" and s.next_due is not None and s.next_due <= iso(now)
        ]

    def versions(self, story_id: str) -> list[VersionRow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT number, fingerprint, previous, first_seen, last_seen, title, language,"
                " url, warc FROM versions WHERE story_id = ? ORDER BY number",
                (story_id,),
            ).fetchall()
        return [
            VersionRow(
                number=r[0],
                fingerprint=r[1],
                previous=r[2],
                first_seen=r[3],
                last_seen=r[4],
                title=r[5],
                language=r[6],
                url=r[7],
                warc=json.loads(r[8]),
            )
            for r in rows
        ]

    def events(self, story_id: str) -> list[dict[str, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT time, kind, url, detail FROM events WHERE story_id = ?"
                " ORDER BY time, record_id",
                (story_id,),
            ).fetchall()
        return [{"time": t, "kind": k, "url": u, "detail": d or ""} for t, k, u, d in rows]

    def snapshot(self) -> list[dict[str, Any]]:
        """Every story with its versions and events (what reindex must reproduce)."""
        out = []
        for story in self.stories():
            out.append(
                {
                    "story": {k: v for k, v in asdict(story).items() if k != "next_due"},
                    "versions": [asdict(v) for v in self.versions(story.story_id)],
                    "events": self.events(story.story_id),
                }
            )
        return out

    # -- writing ------------------------------------------------------------------------
    def apply(self, capture: Capture) -> dict[str, Any] | None:
        """Fold one capture into the catalogue; return the outbox message of a new version.

        Idempotent: applying the same capture twice changes nothing the second time.
        """
        status = capture.one("storyStatus")
        if status is None:
            return None
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                message = self._apply(capture, status)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return message

    def _apply(self, c: Capture, status: str) -> dict[str, Any] | None:
        cur = self._db.execute("INSERT OR IGNORE INTO applied VALUES (?)", (c.location.record_id,))
        if cur.rowcount == 0:
            return None  # this capture is already in the catalogue
        when = iso(c.time)
        key = canonical(c.url)
        row = self._db.execute(
            "SELECT story_id FROM story_urls WHERE url_key = ?", (key,)
        ).fetchone()
        if row is None:
            if status in ("gone", "moved", "not-modified"):
                return None  # nothing known to be gone
            story_id = story_id_for(c.url)
            published = parse_date(c.one("published"))
            born_at = iso(min(published, c.time)) if published else when
            self._db.execute(
                "INSERT OR IGNORE INTO stories (story_id, url, outlet, first_seen, last_seen,"
                " born) VALUES (?, ?, ?, ?, ?, ?)",
                (story_id, c.url, host_of(c.url), when, when, born_at),
            )
            self._db.execute("INSERT OR IGNORE INTO story_urls VALUES (?, ?)", (key, story_id))
        else:
            story_id = row[0]
        story = StoryRow(
            *self._db.execute("SELECT * FROM stories WHERE story_id = ?", (story_id,)).fetchone()
        )
        if when < story.last_seen:
            return None  # an older capture applied again (idempotence)
        if self._db.execute(
            "SELECT 1 FROM events WHERE story_id = ? AND record_id = ?",
            (story_id, c.location.record_id),
        ).fetchone():
            return None
        message = None
        updates: dict[str, Any] = {"last_seen": when}
        etag, modified = c.one("etag"), c.one("lastModified")
        if etag or modified:
            updates.update(etag=etag, last_modified=modified)
        if status == "new-version":
            number = int(c.one("storyVersion") or story.versions + 1)
            fingerprint = c.one("storyFingerprint") or ""
            warc = {
                "filename": c.location.filename,
                "offset": c.location.offset,
                "length": c.location.length,
                "record_id": c.location.record_id,
            }
            self._db.execute(
                "INSERT OR IGNORE INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    story_id,
                    number,
                    fingerprint,
                    story.fingerprint,
                    when,
                    when,
                    c.one("storyTitle"),
                    c.one("storyLanguage"),
                    c.url,
                    json.dumps(warc),
                ),
            )
            updates.update(
                versions=number,
                fingerprint=fingerprint,
                title=c.one("storyTitle"),
                language=c.one("storyLanguage"),
                status="live",
                last_change=when if story.versions else story.last_change,
            )
            message = self._message(story, c, number, fingerprint, warc)
            self._db.execute(
                "INSERT OR IGNORE INTO outbox VALUES (?, ?, ?, ?, ?, NULL)",
                (
                    message["message_id"],
                    story_id,
                    number,
                    c.location.filename,
                    json.dumps(message, ensure_ascii=False, sort_keys=True),
                ),
            )
        elif status in ("unchanged", "not-modified") and story.versions:
            self._db.execute(
                "UPDATE versions SET last_seen = ? WHERE story_id = ? AND number = ?",
                (when, story_id, story.versions),
            )
            updates["status"] = "live"
        if status in ("new-version", "unchanged") and c.location.record_type == "response":
            digest = c.one("payloadDigest") or ""
            updates["payload"] = json.dumps(
                {
                    "uri": c.url,
                    "date": c.location.warc_date,
                    "record_id": c.location.record_id,
                    "digest": digest,
                }
            )
        if status in ("gone", "moved", "empty-extraction"):
            detail = c.one("movedTo") or c.one("httpStatus") or ""
            self._db.execute(
                "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?)",
                (story_id, when, status, c.url, detail, c.location.record_id),
            )
            if status == "gone":
                updates["status"] = "gone"
            elif status == "moved" and c.one("movedTo"):
                updates["status"] = "live"
                self._db.execute(
                    "INSERT OR IGNORE INTO story_urls VALUES (?, ?)",
                    (canonical(c.one("movedTo") or ""), story_id),
                )
        born = from_iso(story.born)
        last_change = updates.get("last_change", story.last_change)
        due = next_due(
            born=born,
            last_change=from_iso(last_change) if last_change else None,
            last_capture=c.time,
            curve=self.curve,
        )
        updates["next_due"] = (
            iso(due) if due and updates.get("status", story.status) == "live" else None
        )
        assignments = ", ".join(f"{k} = ?" for k in updates)
        self._db.execute(
            f"UPDATE stories SET {assignments} WHERE story_id = ?", (*updates.values(), story_id)
        )
        return message

    def _message(
        self, story: StoryRow, c: Capture, number: int, fingerprint: str, warc: dict[str, Any]
    ) -> dict[str, Any]:
        cited = []
        for line in c.fields.get("cited", []):
            url, _, anchor = line.partition(" ")
            cited.append({"url": url, "anchor": anchor})
        return {
            "schema": MESSAGE_SCHEMA,
            "message_id": warc["record_id"].strip("<>").removeprefix("urn:uuid:"),
            "story_id": story.story_id,
            "url": c.url,
            "canonical_url": c.one("canonical") or canonical(c.url),
            "outlet": story.outlet,
            "captured_at": iso(c.time),
            "version": number,
            "fingerprint": fingerprint,
            "previous_fingerprint": story.fingerprint,
            "warc": {
                **warc,
                "collection": self.collection,
                "path": f"collections/{self.collection}/archive/{warc['filename']}",
            },
            "title": c.one("storyTitle"),
            "language": c.one("storyLanguage"),
            "cited_sources": cited,
        }

    def announce(self, url: str, when: datetime, now: datetime) -> bool:
        """A feed or sitemap says ``url`` changed at ``when``: due now if after last seen."""
        story = self.story_for(url)
        if story is None or story.status != "live" or iso(when) <= story.last_seen:
            return False
        with self._lock:
            self._db.execute(
                "UPDATE stories SET next_due = ? WHERE story_id = ?", (iso(now), story.story_id)
            )
        return True

    # -- outbox -------------------------------------------------------------------------
    def pending_messages(self, closed_files: Iterable[str] | None = None) -> list[tuple[str, str]]:
        """(message_id, body) not yet delivered, for records in ``closed_files`` (or all)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT message_id, body, warc_file FROM outbox WHERE"
                " delivered IS NULL ORDER BY rowid"
            ).fetchall()
        files = set(closed_files) if closed_files is not None else None
        return [(m, b) for m, b, f in rows if files is None or f in files]

    def mark_delivered(self, message_ids: Iterable[str], when: datetime) -> None:
        with self._lock:
            self._db.executemany(
                "UPDATE outbox SET delivered = ? WHERE message_id = ?",
                [(iso(when), m) for m in message_ids],
            )

    def clear(self) -> None:
        """Forget everything (before a reindex)."""
        with self._lock:
            for table in ("stories", "story_urls", "versions", "events", "outbox", "applied"):
                self._db.execute(f"DELETE FROM {table}")


def is_db_error(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error)
