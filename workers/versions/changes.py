"""The change list: new versions of stories after their first, newest first.

A *change* is a version after a story's first: version N (N >= 2) with version N-1 before
it. First versions are the crawl discovering a story, not an edit, so they are left out;
``storyvault changes`` and the Atom feeds (:mod:`workers.versions.feeds`) list the same changes.

:func:`list_changes` reads the catalogue only (the stories whose ``last_change`` is
recent enough, then their versions). :class:`VersionReader` reads a version's story
text back from its WARC record with the extractor (:func:`workers.parse.story.extract_story`),
for the word diffs of the feeds and the text of WACZ pages, and keeps what it read.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from workers.parse.story import Story, extract_story
from workers.replay.captures import iso_seconds, ts14
from workers.replay.env import replay_url
from workers.versions.catalogue import Catalogue, StoryRow, VersionRow, from_iso, iso
from workers.versions.diff import Span, excerpt, word_spans
from workers.warc.reader import read_story_record


@dataclass(frozen=True)
class VersionChange:
    """Version ``after`` of ``story`` and the version ``before`` it."""

    story: StoryRow
    before: VersionRow
    after: VersionRow

    @property
    def time(self) -> datetime:
        """When the new version was first captured."""
        return from_iso(self.after.first_seen)

    @property
    def record_id(self) -> str:
        """The new version's WARC record id as an IRI (``urn:uuid:…``, no angle brackets)."""
        return str(self.after.warc.get("record_id", "")).strip("<>")

    def headline_before(self) -> str:
        return self.before.title or self.story.url

    def headline_after(self) -> str:
        return self.after.title or self.story.url

    def replay(self, base: str, collection: str) -> tuple[str, str]:
        """The pywb replay URLs of the version before and of the new one."""
        return (
            replay_url(base, collection, ts14(from_iso(self.before.first_seen)), self.before.url),
            replay_url(base, collection, ts14(self.time), self.after.url),
        )

    def as_dict(self, base: str, collection: str) -> dict[str, Any]:
        """The change as ``storyvault changes --json`` prints it."""
        before, after = self.replay(base, collection)
        return {
            "time": iso_seconds(self.time),
            "outlet": self.story.outlet,
            "story_id": self.story.story_id,
            "url": self.after.url,
            "story_url": self.story.url,
            "version": self.after.number,
            "previous_version": self.before.number,
            "headline_before": self.before.title,
            "headline_after": self.after.title,
            "fingerprint": self.after.fingerprint,
            "previous_fingerprint": self.before.fingerprint,
            "replay_before": before,
            "replay_after": after,
            "warc": self.after.warc,
            "previous_warc": self.before.warc,
        }


def list_changes(
    catalogue: Catalogue,
    *,
    since: datetime | None = None,
    outlet: str | None = None,
    keep: Callable[[VersionRow], bool] | None = None,
    limit: int | None = None,
) -> list[VersionChange]:
    """Changes captured at or after ``since`` (of ``outlet``'s stories), newest first
    (capture time, then story id and version), at most ``limit``; ``keep`` filters the
    new versions (e.g. only those in closed WARC files). Reads the catalogue only."""
    cutoff = iso(since) if since is not None else ""
    stories = [
        s
        for s in catalogue.stories(outlet)
        if s.versions > 1 and s.last_change is not None and s.last_change >= cutoff
    ]
    stories.sort(key=lambda s: s.last_change or "", reverse=True)
    found: list[VersionChange] = []
    for story in stories:
        if limit is not None and len(found) >= limit:
            # every change of the stories left is older than the story's last change
            oldest_kept = sorted(found, key=_order, reverse=True)[limit - 1].after.first_seen
            if (story.last_change or "") < oldest_kept:
                break
        versions = catalogue.versions(story.story_id)
        for before, after in itertools.pairwise(versions):
            if after.first_seen < cutoff or (keep is not None and not keep(after)):
                continue
            found.append(VersionChange(story, before, after))
    found.sort(key=_order, reverse=True)
    return found[:limit] if limit is not None else found


def _order(change: VersionChange) -> tuple[str, str, int]:
    return (change.after.first_seen, change.story.story_id, change.after.number)


class VersionReader:
    """Story text of versions, read from their WARC records (each record read once)."""

    def __init__(self, warc_dir: Path) -> None:
        self.warc_dir = warc_dir
        self._read: dict[tuple[str, int], Story] = {}

    def story(self, version: VersionRow) -> Story:
        """The :class:`Story` of ``version``'s record, as the extractor reads it.

        Raises :class:`workers.core.errors.ArchiveError` when the record cannot be read."""
        place = _place(version)
        if place not in self._read:
            record = read_story_record(self.warc_dir, place[0], place[1])
            self._read[place] = extract_story(record.text())
        return self._read[place]

    def retain(self, versions: Iterable[VersionRow]) -> None:
        """Forget what was read of every version but ``versions``."""
        keep = {_place(v) for v in versions}
        self._read = {k: story for k, story in self._read.items() if k in keep}

    def short_diff(self, change: VersionChange, context: int = 6, limit: int = 60) -> list[Span]:
        """The changed words of the body with a little context (see :func:`excerpt`)."""
        old, new = self.story(change.before), self.story(change.after)
        return excerpt(word_spans(old.body, new.body), context=context, limit=limit)


def _place(version: VersionRow) -> tuple[str, int]:
    return (str(version.warc["filename"]), int(version.warc["offset"]))
