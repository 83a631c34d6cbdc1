"""The version catalogue: stories, their versions and events, and the cleaning outbox.

It lives in the embedded SQLite state and is *derived from the WARC files*: every change
is :meth:`Catalogue.apply` of one capture's metadata fields (the ``metadata`` record
written beside each article response) and the location of its main record. The live
crawl and ``storyvault reindex`` call the same function, so deleting the state and
reindexing gives the same catalogue.

Metadata fields read here (all optional but ``storyStatus``):

``storyStatus``       new-version | unchanged | not-modified | variant | wall |
                      empty-extraction | gone | moved
``storyVersion``      version number after this capture
``storyFingerprint``  sha256 of the story text; ``previousFingerprint`` the one before
``extractor``         the extractor that made the fingerprint (``workers.parse.story.EXTRACTOR``)
``storyUrl``          the story's canonical URL (same-host ``rel=canonical``/``og:url``)
``wallKind``          consent | paywall | challenge | error (with ``storyStatus: wall``)
``storyTitle``, ``storyLanguage``, ``published``, ``etag``, ``lastModified``, ``movedTo``
``cited``             "URL anchor" lines

A ``variant`` is a capture at another URL of a known story (an AMP page, a ``?ref=``
link) whose text differs from the story's: it names the story, and never makes a version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from workers.core.settings import Settings
from workers.core.types import RecordLocation
from workers.parse.discover import parse_date
from workers.parse.identity import lookup_keys
from workers.parse.story import Story
from workers.parse.urls import canonical, host_of
from workers.state.sqlite import SQLiteState
from workers.versions.schedule import DEFAULT_CURVE, Step, next_due, parse_curve

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
    payload      TEXT,
    extractor    TEXT
);
CREATE INDEX IF NOT EXISTS stories_due ON stories (next_due) WHERE status = 'live';
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
    extractor: str | None = None  # the extractor that made ``fingerprint``

    def payload_ref(self) -> dict[str, str] | None:
        return json.loads(self.payload) if self.payload else None


# the stories columns in StoryRow's field order (rows are built by position)
_STORY_COLUMNS = ", ".join(f.name for f in fields(StoryRow))
_STORY_COLUMNS_OF_S = ", ".join(f"s.{f.name}" for f in fields(StoryRow))
_STORY_PLACES = ", ".join("?" for _ in fields(StoryRow))


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


def capture_keys(c: Capture) -> list[str]:
    """The catalogue keys a capture's story is looked up by, best first."""
    return lookup_keys(c.url, c.one("storyUrl"))


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass
class Change:
    """What folding one capture into a story changes (pure data, see :func:`fold`)."""

    story: StoryRow
    version: VersionRow | None = None  # a new version to insert
    touch_version: int | None = None  # a version whose last_seen becomes story.last_seen
    event: dict[str, str] | None = None  # time, kind, url, detail, record_id
    aliases: list[str] = field(default_factory=list)  # URL keys that now name this story
    message: dict[str, Any] | None = None  # outbox message of a new version


def story_fields(
    story: Story, prev: StoryRow | None, *, before: str | None, variant: bool, status: int
) -> list[tuple[str, str]]:
    """The metadata fields saying what a capture's ``story`` is to the catalogued story
    ``prev``: a new version, unchanged, a variant, a wall or an empty extraction. Pure.

    ``before``: the last version's fingerprint as the current extractor reads it;
    ``variant``: the capture is at another URL than the one its page names.
    """
    fields: list[tuple[str, str]]
    if story.wall is not None:
        fields = [("storyStatus", "wall"), ("wallKind", story.wall), ("httpStatus", str(status))]
    elif not story.usable:
        fields = [("storyStatus", "empty-extraction"), ("httpStatus", str(status))]
    elif prev is not None and prev.versions and before != story.fingerprint and variant:
        fields = [("storyStatus", "variant"), ("storyFingerprint", story.fingerprint)]
    elif prev is None or not prev.versions or before != story.fingerprint:
        fields = [
            ("storyStatus", "new-version"),
            ("storyVersion", str((prev.versions if prev else 0) + 1)),
            ("storyFingerprint", story.fingerprint),
        ]
        if prev is not None and prev.fingerprint:
            fields.append(("previousFingerprint", prev.fingerprint))
    else:
        fields = [
            ("storyStatus", "unchanged"),
            ("storyVersion", str(prev.versions)),
            ("storyFingerprint", story.fingerprint),
        ]
    fields += [("extractor", story.extractor), ("storyMethod", story.method)]
    fields.append(("storyTitle", story.title))
    if story.language:
        fields.append(("storyLanguage", story.language))
    return fields


def fold(
    story: StoryRow | None, c: Capture, *, curve: Sequence[Step], collection: str
) -> Change | None:
    """The change one capture makes to a story (``None``: nothing to record). Pure."""
    status = c.one("storyStatus")
    if status is None:
        return None
    when = iso(c.time)
    aliases: list[str] = []
    if story is None:
        if status in ("gone", "moved", "not-modified"):
            return None  # nothing known to be gone
        published = parse_date(c.one("published"))
        url = c.one("storyUrl") or c.url
        story = StoryRow(
            story_id=story_id_for(url),
            url=url,
            outlet=host_of(c.url),
            first_seen=when,
            last_seen=when,
            born=iso(min(published, c.time)) if published else when,
            last_change=None,
            versions=0,
            fingerprint=None,
            title=None,
            language=None,
            status="live",
            next_due=None,
            etag=None,
            last_modified=None,
            payload=None,
        )
    elif when < story.last_seen:
        return None  # an older capture applied late: the story has moved on
    aliases.extend(capture_keys(c))
    new = replace(story, last_seen=when)
    change = Change(story=new, aliases=aliases)
    etag, modified = c.one("etag"), c.one("lastModified")
    if (etag or modified) and status != "variant":
        new.etag, new.last_modified = etag, modified
    if status == "new-version":
        number = int(c.one("storyVersion") or story.versions + 1)
        fingerprint = c.one("storyFingerprint") or ""
        warc = {
            "filename": c.location.filename,
            "offset": c.location.offset,
            "length": c.location.length,
            "record_id": c.location.record_id,
        }
        change.version = VersionRow(
            number=number,
            fingerprint=fingerprint,
            previous=story.fingerprint,
            first_seen=when,
            last_seen=when,
            title=c.one("storyTitle"),
            language=c.one("storyLanguage"),
            url=c.url,
            warc=warc,
        )
        new.versions, new.fingerprint = number, fingerprint
        new.title, new.language, new.status = c.one("storyTitle"), c.one("storyLanguage"), "live"
        new.last_change = when if story.versions else story.last_change
        change.message = _message(story, c, number, fingerprint, warc, collection)
    elif status in ("unchanged", "not-modified") and story.versions:
        change.touch_version = story.versions
        new.status = "live"
    if status in ("new-version", "unchanged") and c.one("storyFingerprint"):
        # an unchanged story read by a newer extractor: its fingerprint under that one
        new.fingerprint = c.one("storyFingerprint")
        new.extractor = c.one("extractor")
        if c.one("storyUrl") and c.one("storyUrl") == canonical(c.url):
            new.url = c.one("storyUrl") or new.url  # a slug change continues the story
    if status in ("new-version", "unchanged") and c.location.record_type == "response":
        new.payload = json.dumps(
            {
                "uri": c.url,
                "date": c.location.warc_date,
                "record_id": c.location.record_id,
                "digest": c.one("payloadDigest") or "",
            }
        )
    if status in ("gone", "moved", "empty-extraction", "wall"):
        change.event = {
            "time": when,
            "kind": status,
            "url": c.url,
            "detail": c.one("wallKind") or c.one("movedTo") or c.one("httpStatus") or "",
            "record_id": c.location.record_id,
        }
        if status == "gone":
            new.status = "gone"
        elif status == "moved" and c.one("movedTo"):
            new.status = "live"
            change.aliases.append(canonical(c.one("movedTo") or ""))
    due = next_due(
        born=from_iso(new.born),
        last_change=from_iso(new.last_change) if new.last_change else None,
        last_capture=c.time,
        curve=curve,
    )
    new.next_due = iso(due) if due and new.status == "live" else None
    return change


def _message(
    story: StoryRow,
    c: Capture,
    number: int,
    fingerprint: str,
    warc: dict[str, Any],
    collection: str,
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
        "extractor": c.one("extractor"),
        "warc": {
            **warc,
            "collection": collection,
            "path": f"collections/{collection}/archive/{warc['filename']}",
        },
        "title": c.one("storyTitle"),
        "language": c.one("storyLanguage"),
        "cited_sources": cited,
    }


class CatalogueStore(Protocol):
    """Where the catalogue lives: SQLite (embedded) or Redis (service). One contract."""

    def update(
        self, url_key: str, record_id: str, change_for: Callable[[StoryRow | None], Change | None]
    ) -> Change | None:
        """Atomically: unless ``record_id`` was applied before, load the story named by
        ``url_key``, compute ``change_for(story)`` and persist it (with its message)."""
        ...

    def story_by_key(self, url_key: str) -> StoryRow | None: ...

    def stories(self, outlet: str | None = None) -> list[StoryRow]: ...

    def due_stories(self, cutoff: str, outlet: str | None = None) -> list[StoryRow]:
        """Live stories (of ``outlet``) whose next re-crawl (ISO) is at or before ``cutoff``,
        ordered by (first_seen, story_id); without reading every story."""
        ...

    def versions(self, story_id: str) -> list[VersionRow]: ...

    def events(self, story_id: str) -> list[dict[str, str]]: ...

    def set_next_due(self, story_id: str, when: str) -> None: ...

    def pending_messages(self) -> list[tuple[str, str, str]]:
        """(message_id, JSON body, WARC file name) not yet delivered, oldest first."""
        ...

    def mark_delivered(self, message_ids: Iterable[str], when: str) -> None: ...

    def clear(self) -> None: ...


class SQLiteCatalogueStore:
    """The catalogue in the embedded SQLite state."""

    def __init__(self, state: SQLiteState) -> None:
        self._db = state.db
        self._lock = state.lock
        with self._lock:
            self._db.executescript(SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(stories)")}
            if "extractor" not in columns:  # a catalogue made before extractors were named
                self._db.execute("ALTER TABLE stories ADD COLUMN extractor TEXT")

    def update(
        self, url_key: str, record_id: str, change_for: Callable[[StoryRow | None], Change | None]
    ) -> Change | None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                change = self._update(url_key, record_id, change_for)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return change

    def _update(
        self, url_key: str, record_id: str, change_for: Callable[[StoryRow | None], Change | None]
    ) -> Change | None:
        cur = self._db.execute("INSERT OR IGNORE INTO applied VALUES (?)", (record_id,))
        if cur.rowcount == 0:
            return None  # this capture is already in the catalogue
        change = change_for(self.story_by_key(url_key))
        if change is None:
            return None
        st = change.story
        self._db.execute(
            f"INSERT OR REPLACE INTO stories ({_STORY_COLUMNS}) VALUES ({_STORY_PLACES})",
            tuple(asdict(st).values()),
        )
        for alias in change.aliases:
            self._db.execute("INSERT OR IGNORE INTO story_urls VALUES (?, ?)", (alias, st.story_id))
        if change.version is not None:
            v = change.version
            self._db.execute(
                "INSERT OR IGNORE INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    st.story_id,
                    v.number,
                    v.fingerprint,
                    v.previous,
                    v.first_seen,
                    v.last_seen,
                    v.title,
                    v.language,
                    v.url,
                    json.dumps(v.warc),
                ),
            )
        if change.touch_version is not None:
            self._db.execute(
                "UPDATE versions SET last_seen = ? WHERE story_id = ? AND number = ?",
                (st.last_seen, st.story_id, change.touch_version),
            )
        if change.event is not None:
            e = change.event
            self._db.execute(
                "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?)",
                (st.story_id, e["time"], e["kind"], e["url"], e["detail"], e["record_id"]),
            )
        if change.message is not None:
            m = change.message
            self._db.execute(
                "INSERT OR IGNORE INTO outbox VALUES (?, ?, ?, ?, ?, NULL)",
                (
                    m["message_id"],
                    st.story_id,
                    m["version"],
                    m["warc"]["filename"],
                    json.dumps(m, ensure_ascii=False, sort_keys=True),
                ),
            )
        return change

    def story_by_key(self, url_key: str) -> StoryRow | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_STORY_COLUMNS_OF_S} FROM stories s"
                " JOIN story_urls u ON u.story_id = s.story_id WHERE u.url_key = ?",
                (url_key,),
            ).fetchone()
        return StoryRow(*row) if row else None

    def stories(self, outlet: str | None = None) -> list[StoryRow]:
        query, args = f"SELECT {_STORY_COLUMNS} FROM stories", cast(tuple[str, ...], ())
        if outlet:
            query, args = query + " WHERE outlet = ?", (outlet,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY first_seen, story_id", args).fetchall()
        return [StoryRow(*r) for r in rows]

    def due_stories(self, cutoff: str, outlet: str | None = None) -> list[StoryRow]:
        query = f"SELECT {_STORY_COLUMNS} FROM stories WHERE status = 'live' AND next_due <= ?"
        args: tuple[str, ...] = (cutoff,)
        if outlet:
            query, args = query + " AND outlet = ?", (cutoff, outlet)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY first_seen, story_id", args).fetchall()
        return [StoryRow(*r) for r in rows]

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

    def set_next_due(self, story_id: str, when: str) -> None:
        with self._lock:
            self._db.execute("UPDATE stories SET next_due = ? WHERE story_id = ?", (when, story_id))

    def pending_messages(self) -> list[tuple[str, str, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT message_id, body, warc_file FROM outbox WHERE"
                " delivered IS NULL ORDER BY rowid"
            ).fetchall()
        return [(str(m), str(b), str(f)) for m, b, f in rows]

    def mark_delivered(self, message_ids: Iterable[str], when: str) -> None:
        with self._lock:
            self._db.executemany(
                "UPDATE outbox SET delivered = ? WHERE message_id = ?",
                [(when, m) for m in message_ids],
            )

    def clear(self) -> None:
        with self._lock:
            for table in ("stories", "story_urls", "versions", "events", "outbox", "applied"):
                self._db.execute(f"DELETE FROM {table}")


class Catalogue:
    """The version catalogue: :func:`fold` over a :class:`CatalogueStore`."""

    def __init__(
        self,
        store: CatalogueStore | SQLiteState,
        curve: Sequence[Step] = DEFAULT_CURVE,
        collection: str = "storyvault",
    ) -> None:
        self.store: CatalogueStore = (
            SQLiteCatalogueStore(store) if isinstance(store, SQLiteState) else store
        )
        self.curve = tuple(curve)
        self.collection = collection

    @classmethod
    def for_settings(cls, store: CatalogueStore | SQLiteState, settings: Settings) -> Catalogue:
        """The catalogue with the configured re-crawl curve and collection."""
        return cls(store, parse_curve(settings.recrawl_curve), settings.collection)

    def apply(self, capture: Capture) -> dict[str, Any] | None:
        """Fold one capture in; return the outbox message of a new version, if any.

        Idempotent: applying the same capture twice changes nothing the second time.
        """
        if capture.one("storyStatus") is None:
            return None
        keys = capture_keys(capture)
        key = next((k for k in keys if self.store.story_by_key(k) is not None), keys[0])
        change = self.store.update(
            key,
            capture.location.record_id,
            lambda story: fold(story, capture, curve=self.curve, collection=self.collection),
        )
        return change.message if change is not None else None

    def story_for(self, url: str, story_url: str | None = None) -> StoryRow | None:
        """The story a capture of ``url`` (whose page names ``story_url``) belongs to."""
        for key in lookup_keys(url, story_url):
            story = self.store.story_by_key(key)
            if story is not None:
                return story
        return None

    def find(self, url: str) -> StoryRow | None:
        """The story a person means by ``url``: any of its URLs (canonical, AMP, a
        ``?ref=`` variant, another slug with the same article id), or None."""
        for key in lookup_keys(url, loose=True):
            story = self.store.story_by_key(key)
            if story is not None:
                return story
        return None

    def stories(self, outlet: str | None = None) -> list[StoryRow]:
        return self.store.stories(outlet)

    def due(self, now: datetime, outlet: str | None = None) -> list[StoryRow]:
        """Live stories whose next re-crawl is due at ``now``."""
        return self.store.due_stories(iso(now), outlet)

    def versions(self, story_id: str) -> list[VersionRow]:
        return self.store.versions(story_id)

    def events(self, story_id: str) -> list[dict[str, str]]:
        return self.store.events(story_id)

    def snapshot(self) -> list[dict[str, Any]]:
        """Every story with its versions and events (what reindex must reproduce)."""
        return [
            {
                "story": {k: v for k, v in asdict(s).items() if k != "next_due"},
                "versions": [asdict(v) for v in self.versions(s.story_id)],
                "events": self.events(s.story_id),
            }
            for s in self.stories()
        ]

    def announce(self, url: str, when: datetime, now: datetime) -> bool:
        """A feed or sitemap says ``url`` changed at ``when``: due now if after last seen."""
        story = self.story_for(url)
        if story is None or story.status != "live" or iso(when) <= story.last_seen:
            return False
        self.store.set_next_due(story.story_id, iso(now))
        return True

    def pending_messages(self, closed_files: Iterable[str] | None = None) -> list[tuple[str, str]]:
        """(message_id, body) not yet delivered, for records in ``closed_files`` (or all)."""
        files = set(closed_files) if closed_files is not None else None
        return [(m, b) for m, b, f in self.store.pending_messages() if files is None or f in files]

    def mark_delivered(self, message_ids: Iterable[str], when: datetime) -> None:
        self.store.mark_delivered(message_ids, iso(when))

    def clear(self) -> None:
        """Forget everything (before a reindex)."""
        self.store.clear()
