"""Atom feeds of story changes, one for the collection and one per outlet.

Where they live::

    ARCHIVE/collections/<collection>/static/feeds/changes.atom          every outlet
    ARCHIVE/collections/<collection>/static/feeds/outlets/<host>.atom   one outlet

Beside the collection, because a feed's links replay that collection; in its ``static/``
folder, because pywb serves ``collections/<c>/static/`` at ``/static/_/<c>/``: ``storyvault
replay`` (or any wayback over the archive) serves the feeds at
``<replay base>/static/_/<c>/feeds/changes.atom``, beside the captures they link to, with
no step of its own; pywb reads nothing else from that folder.

Each entry is a change (:mod:`workers.versions.changes`: a version after the story's first), newest
first, at most :data:`FEED_ENTRIES` a feed: the headline before and after, a short word
diff, and links to replay the two captures (``alternate``: the new version, ``related``:
the one before). Entry ids are the new version's WARC record id, so a reader sees each
change once however often a feed is rewritten.

:class:`ChangeFeeds` writes them when WARC files close: ``deliver(closed_files)`` has the
shape of :meth:`workers.versions.outbox.Outbox.deliver`, so both runners call it where they call
their outbox. A feed lists only versions whose WARC file is closed (named in
``closed_files`` or present under its final name), so every link in it replays. Feeds are
rebuilt from the catalogue each time (the catalogue is the state; they can be deleted and
made again), written to a temporary file and renamed into place, under a lock, and left
alone when their bytes would not change.
"""

from __future__ import annotations

import fcntl
import os
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from html import escape
from pathlib import Path

import structlog
from lxml import etree

from workers.core.errors import ArchiveError
from workers.core.settings import VERSION, Settings
from workers.versions.catalogue import Catalogue, VersionRow
from workers.versions.changes import VersionChange, VersionReader, list_changes
from workers.versions.diff import Span, render_marked
from workers.warc.root import collection_dir, warc_dir

log = structlog.get_logger(__name__)

ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 50  # entries per feed, newest first
COLLECTION_FEED = "changes.atom"


def feeds_dir(archive_root: Path, collection: str) -> Path:
    """``ARCHIVE/collections/<collection>/static/feeds``."""
    return collection_dir(archive_root, collection) / "static" / "feeds"


def outlet_feed_name(outlet: str) -> str:
    """The file name of an outlet's feed, under ``outlets/``: its host, made safe."""
    return "outlets/" + re.sub(r"[^A-Za-z0-9.-]+", "_", outlet) + ".atom"


def feed_url(replay_base: str, collection: str, name: str) -> str:
    """Where pywb serves the feed file ``name`` (``changes.atom``, ``outlets/…``)."""
    return f"{replay_base.rstrip('/')}/static/_/{collection}/feeds/{name}"


class ChangeFeeds:
    """Writes the collection's change feeds from the catalogue."""

    def __init__(
        self,
        archive_root: Path,
        catalogue: Catalogue,
        *,
        collection: str,
        replay_base: str,
        entries: int = FEED_ENTRIES,
    ) -> None:
        self.root = archive_root
        self.catalogue = catalogue
        self.collection = collection
        self.replay_base = replay_base.rstrip("/")
        self.entries = entries
        self.dir = feeds_dir(archive_root, collection)
        self.warc_dir = warc_dir(archive_root, collection)
        self.reader = VersionReader(self.warc_dir)  # texts of the listed versions, kept

    @classmethod
    def for_settings(cls, catalogue: Catalogue, settings: Settings) -> ChangeFeeds:
        """The feeds of the settings' archive and collection, linking to ``replay_base``."""
        return cls(
            settings.archive,
            catalogue,
            collection=settings.collection,
            replay_base=settings.replay_base,
        )

    def deliver(self, closed_files: Iterable[str] | None = None) -> int:
        """Rewrite the feeds with the changes whose WARC files are closed (``closed_files``
        or on disk under their final name); return how many feed files changed.

        Raises :class:`ArchiveError` naming the feed or WARC file that could not be
        written or read."""
        closed = set(closed_files or ())

        def replayable(version: VersionRow) -> bool:
            name = str(version.warc.get("filename", ""))
            return name in closed or (self.warc_dir / name).is_file()

        changes = list_changes(self.catalogue, keep=replayable)
        by_outlet: dict[str, list[VersionChange]] = defaultdict(list)
        for change in changes:
            by_outlet[change.story.outlet].append(change)
        wanted = {COLLECTION_FEED: ("every outlet", changes[: self.entries])}
        for outlet, listed in by_outlet.items():
            wanted[outlet_feed_name(outlet)] = (outlet, listed[: self.entries])
        written = 0
        with self._locked():
            for name, (scope, listed) in sorted(wanted.items()):
                if self._write(name, self.render(name, scope, listed)):
                    written += 1
        listed_now = [c for _, items in wanted.values() for c in items]
        self.reader.retain([v for c in listed_now for v in (c.before, c.after)])
        if written:
            log.info("feeds_written", feeds=written, changes=len(changes), dir=str(self.dir))
        return written

    def render(self, name: str, scope: str, changes: Sequence[VersionChange]) -> bytes:
        """The Atom document of feed ``name`` listing ``changes`` (newest first)."""
        url = feed_url(self.replay_base, self.collection, name)
        feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
        _sub(feed, "id", _feed_id(self.collection, name))
        _sub(feed, "title", f"Story changes in {self.collection}: {scope}")
        _sub(
            feed,
            "subtitle",
            "New versions of archived stories after their first, newest first, "
            "with links to replay both captures.",
        )
        newest = max((c.time for c in changes), default=None)
        _sub(feed, "updated", _rfc3339(newest) if newest else "1970-01-01T00:00:00Z")
        _link(feed, url, "self", "application/atom+xml")
        _link(feed, f"{self.replay_base}/{self.collection}/", "alternate", "text/html")
        author = _sub(feed, "author")
        _sub(author, "name", f"storyvault collection {self.collection}")
        generator = _sub(feed, "generator", "storyvault")
        generator.set("version", VERSION)
        for change in changes:
            feed.append(self._entry(change))
        return bytes(
            etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)
        )

    def _entry(self, change: VersionChange) -> etree._Element:
        before_url, after_url = change.replay(self.replay_base, self.collection)
        old, new = change.headline_before(), change.headline_after()
        try:
            diff: list[Span] | None = self.reader.short_diff(change)
        except ArchiveError as exc:  # a feed is a reading: one unreadable record is no stop
            log.warning("feed_version_unreadable", url=change.after.url, error=str(exc))
            diff = None
        entry = etree.Element(f"{{{ATOM}}}entry")
        _sub(entry, "id", change.record_id or _feed_id(self.collection, after_url))
        _sub(entry, "title", new)
        stamp = _rfc3339(change.time)
        _sub(entry, "published", stamp)
        _sub(entry, "updated", stamp)
        author = _sub(entry, "author")
        _sub(author, "name", change.story.outlet)
        _link(entry, after_url, "alternate", "text/html", f"version {change.after.number}")
        _link(entry, before_url, "related", "text/html", f"version {change.before.number}")
        category = _sub(entry, "category")
        category.set("term", change.story.outlet)
        headline = f"Headline: {old} → {new}" if old != new else f"Headline unchanged: {new}"
        text = "not readable" if diff is None else render_marked(diff) or "unchanged"
        summary = f"Version {change.after.number}. {headline}. Text: {text}"
        _sub(entry, "summary", summary)
        content = _sub(entry, "content", _content_html(change, diff, before_url, after_url))
        content.set("type", "html")
        return entry

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer of the feeds at a time (processes of one machine)."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fh = (self.dir / ".lock").open("a")
        except OSError as exc:
            raise ArchiveError(self.dir, f"cannot open the feeds folder: {exc}") from exc
        with fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            yield

    def _write(self, name: str, data: bytes) -> bool:
        path = self.dir / name
        try:
            if path.exists() and path.read_bytes() == data:
                return False
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            raise ArchiveError(path, f"cannot write the change feed: {exc}") from exc
        return True


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM}}}{tag}")
    if text is not None:
        element.text = _xml_safe(text)
    return element


def _link(parent: etree._Element, href: str, rel: str, kind: str, title: str | None = None) -> None:
    link = _sub(parent, "link")
    link.set("href", href)
    link.set("rel", rel)
    link.set("type", kind)
    if title:
        link.set("title", title)


_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (lxml refuses them)."""
    return _XML_UNSAFE.sub("", text)


def _feed_id(collection: str, name: str) -> str:
    """A stable ``urn:uuid:`` for a feed (or an entry without a record id)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"storyvault:{collection}:{name}").urn


def _rfc3339(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _content_html(
    change: VersionChange, diff: Sequence[Span] | None, before_url: str, after_url: str
) -> str:
    old, new = change.headline_before(), change.headline_after()
    parts = []
    if old != new:
        parts.append(
            f"<p>Headline before: <del>{escape(old)}</del><br>"
            f"Headline after: <ins>{escape(new)}</ins></p>"
        )
    else:
        parts.append(f"<p>Headline (unchanged): {escape(new)}</p>")
    tags: dict[str, Callable[[str], str]] = {
        "equal": escape,
        "delete": lambda t: f"<del>{escape(t)}</del>",
        "insert": lambda t: f"<ins>{escape(t)}</ins>",
    }
    if diff is None:
        parts.append("<p>The text of these versions could not be read from the archive.</p>")
    elif diff:
        parts.append("<p>" + " ".join(tags[s.op](s.text) for s in diff) + "</p>")
    else:
        parts.append("<p>The body text is unchanged.</p>")
    parts.append(
        f'<p><a href="{escape(before_url)}">Replay version {change.before.number}</a> · '
        f'<a href="{escape(after_url)}">replay version {change.after.number}</a></p>'
    )
    return "".join(parts)
