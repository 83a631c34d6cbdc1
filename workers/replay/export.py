"""Export captures as a WACZ that ReplayWeb.page opens with its stories listed.

A WACZ holds WARC files, a CDXJ index, ``pages/pages.jsonl`` and a ``datapackage.json``
with each file's hash. storyvault writes the WARC and the page list; the ``wacz`` tool
(py-wacz, the Webrecorder reference) indexes them and packs the zip, so the index and
the package are what every WACZ reader expects.

What goes in
------------
* No filter: every closed WARC file of the collection, as it is.
* ``--outlet`` / ``--since`` / ``--until`` / ``--story``: a new WARC file holding only the
  selected captures, each record copied byte for byte from the archive, with

  - the ``request`` and ``metadata`` records concurrent to each capture,
  - the original of every revisit (so the revisit replays its payload),
  - for article captures, their cited sources (``cited:`` lines of the metadata record
    and the state's ``citations`` table) and page requisites (from the archived HTML),
    each the capture closest in time to the article capture,
  - the targets of archived redirects, closest in time.

  The primary captures are those of the outlet's host (``--outlet``), of the story's
  URLs (``--story``: every version, revisit, move and removal), within
  ``since <= capture time < until`` (to the second, as replay addresses captures).

``pages.jsonl`` lists one page per story version in the export: URL, time, title and its
story text, read from the version's record (:func:`workers.replay.pages.story_pages`).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import structlog

from workers.core.errors import ArchiveError, ConfigError
from workers.core.settings import VERSION, Settings
from workers.core.types import utcnow
from workers.parse.discover import analyse_html
from workers.parse.urls import host_of
from workers.replay.captures import (
    CaptureGroup,
    CollectionIndex,
    IndexEntry,
    RawRecord,
    copy_records,
    iso_seconds,
    read_group,
    resolve,
    ts14,
)
from workers.replay.opening import CitationGraph, OpenedArchive
from workers.replay.pages import pack_wacz, story_pages, write_pages
from workers.versions.catalogue import Catalogue, StoryRow, VersionRow
from workers.warc.reader import read_record
from workers.warc.records import RecordWriter

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ExportQuery:
    """Which captures to export; all ``None``: the whole collection."""

    outlet: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    story: str | None = None

    @property
    def filtered(self) -> bool:
        return any(v is not None for v in (self.outlet, self.since, self.until, self.story))

    @property
    def outlet_host(self) -> str | None:
        """``--outlet`` as :func:`host_of` spells hosts (a URL is accepted too)."""
        if self.outlet is None:
            return None
        value = self.outlet.strip()
        return host_of(value if "://" in value else f"http://{value.rstrip('/')}/")

    def in_window(self, timestamp: str) -> bool:
        """``since <= timestamp < until``, on 14-digit timestamps."""
        if self.since is not None and timestamp < ts14(self.since):
            return False
        return not (self.until is not None and timestamp >= ts14(self.until))

    def describe(self) -> str:
        """The query in words, for messages and the WACZ title."""
        parts = []
        if self.story:
            parts.append(f"story {self.story}")
        if self.outlet:
            parts.append(f"outlet {self.outlet_host}")
        if self.since:
            parts.append(f"since {iso_seconds(self.since)}")
        if self.until:
            parts.append(f"until {iso_seconds(self.until)}")
        return ", ".join(parts) or "the whole collection"


@dataclass
class ExportReport:
    """What an export wrote."""

    output: Path
    warc_files: list[str] = field(default_factory=list)
    captures: int = 0
    records: int = 0
    warc_bytes: int = 0
    pages: int = 0
    pages_with_text: int = 0
    filtered: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "output": str(self.output)}


# -- selection --------------------------------------------------------------------------
@dataclass
class Selection:
    """Capture groups chosen for a filtered export, keyed by their main record's place."""

    groups: dict[tuple[str, int], CaptureGroup] = field(default_factory=dict)
    primary: set[tuple[str, int]] = field(default_factory=set)

    def records(self) -> list[RawRecord]:
        """Every record to copy, in archive order (file name, then offset)."""
        seen: dict[tuple[str, int], RawRecord] = {}
        for group in self.groups.values():
            for record in group.records:
                seen[record.location] = record
        return [seen[k] for k in sorted(seen)]


class _Selector:
    """Walks from the primary captures to what replaying them needs."""

    def __init__(self, index: CollectionIndex, state: CitationGraph) -> None:
        self.index = index
        self.state = state
        self.selection = Selection()
        self._queue: deque[tuple[IndexEntry, bool]] = deque()
        self._refs_done: set[tuple[str, str]] = set()
        self._expanded: set[tuple[str, int]] = set()
        self._requisites: dict[tuple[str, int], list[str]] = {}

    def run(self, primaries: Iterable[IndexEntry]) -> Selection:
        """Select ``primaries`` and everything they lead to; raises ArchiveError."""
        for entry in primaries:
            self._queue.append((entry, True))
        while self._queue:
            entry, primary = self._queue.popleft()
            place = entry.location
            group = self.selection.groups.get(place)
            if group is None:
                group = read_group(self.index.path_of(entry), entry.offset)
                self.selection.groups[place] = group
            if place not in self._expanded:
                self._expanded.add(place)
                self._follow(entry, group)
            if primary and place not in self.selection.primary:
                self.selection.primary.add(place)
                self._follow_article(entry, group)
        return self.selection

    def _follow(self, entry: IndexEntry, group: CaptureGroup) -> None:
        """A revisit's original; an archived redirect's target."""
        main = group.main
        if main.record_type == "revisit":
            original = self.index.original_of(
                main.refers_to_uri or entry.url,
                main.payload_digest or entry.digest,
                main.refers_to_date,
                entry.timestamp,
            )
            if original is None:
                log.warning("export_revisit_unresolved", url=entry.url, ts=entry.timestamp)
            else:
                self._queue.append((original, False))
        if entry.status and entry.status.startswith("3"):
            location = read_record(self.index.path_of(entry), entry.offset).header("Location")
            if location:
                self._ref(urljoin(entry.url, location.strip()), entry.when)

    def _follow_article(self, entry: IndexEntry, group: CaptureGroup) -> None:
        """An article capture's cited sources and page requisites."""
        fields = group.metadata
        if "storyStatus" not in fields and "article" not in fields:
            return
        cited = [line.partition(" ")[0] for line in fields.get("cited", [])]
        cited += [url for url, _anchor in self.state.citations(entry.url)]
        for url in [*cited, *self._requisites_of(entry)]:
            self._ref(url, entry.when)

    def _requisites_of(self, entry: IndexEntry) -> list[str]:
        """Requisites named by the article's HTML (a revisit's original's), cached."""
        if entry.status != "200":
            return []
        try:
            resolved = resolve(self.index, entry)
        except ArchiveError:
            return []
        if "html" not in (resolved.header("Content-Type") or "").lower():
            return []
        place = resolved.original.location if resolved.original else entry.location
        if place not in self._requisites:
            self._requisites[place] = analyse_html(entry.url, resolved.text()).requisites
        return self._requisites[place]

    def _ref(self, url: str, when: datetime) -> None:
        key = (url, ts14(when))
        if key in self._refs_done:
            return
        self._refs_done.add(key)
        entry = self.index.closest(url, when)
        if entry is not None:
            self._queue.append((entry, False))


def story_urls(catalogue: Catalogue, story: StoryRow) -> list[str]:
    """Every URL a story was captured at: first URL, versions' URLs, moves and removals."""
    urls = [story.url, *(v.url for v in catalogue.versions(story.story_id))]
    for event in catalogue.events(story.story_id):
        urls.append(event["url"])
        if event["kind"] == "moved" and event["detail"]:
            urls.append(event["detail"])
    return list(dict.fromkeys(urls))


def primary_entries(
    index: CollectionIndex, catalogue: Catalogue, query: ExportQuery
) -> tuple[list[IndexEntry], list[StoryRow]]:
    """The captures a query asks for and the stories whose versions are pages."""
    outlet = query.outlet_host
    if query.story:
        story = catalogue.find(query.story)
        if story is None:
            raise ConfigError(
                f"{query.story}: no story archived at this URL (crawl it first, or check "
                "--archive/--collection)"
            )
        seen: set[tuple[str, int]] = set()
        entries = []
        for url in story_urls(catalogue, story):
            for entry in index.captures_of(url):
                if entry.location not in seen and query.in_window(entry.timestamp):
                    seen.add(entry.location)
                    entries.append(entry)
        if outlet is not None:
            entries = [e for e in entries if host_of(e.url) == outlet]
        return entries, [story]
    entries = [
        e
        for e in index.entries
        if query.in_window(e.timestamp) and (outlet is None or host_of(e.url) == outlet)
    ]
    return entries, catalogue.stories(outlet)


# -- writing ----------------------------------------------------------------------------
def export_wacz(
    archive: OpenedArchive,
    query: ExportQuery,
    output: Path,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> ExportReport:
    """Write the WACZ ``output`` for ``query``; return what it holds.

    Raises :class:`ConfigError` when nothing matches or the ``wacz`` package is missing,
    :class:`ArchiveError` when the archive cannot be read or the WACZ not written.
    """
    if importlib.util.find_spec("wacz") is None:
        raise ConfigError(
            "the `wacz` package is not installed: run `pip install -e .` in the project"
        )
    if output.suffix != ".wacz":
        raise ConfigError(f"{output}: the output file name must end in .wacz")
    settings, catalogue = archive.settings, archive.catalogue
    index = archive.index()
    report = ExportReport(output=output, filtered=query.filtered)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".storyvault-export-", dir=output.parent) as tmp:
        work = Path(tmp)
        if query.filtered:
            primaries, stories = primary_entries(index, catalogue, query)
            if not primaries:
                raise ConfigError(
                    f"nothing to export: no capture of {query.describe()} in collection "
                    f"{settings.collection!r} of {settings.archive} (check the filters; "
                    "run `storyvault reindex` if the index is out of date)"
                )
            selection = _Selector(index, archive.state).run(primaries)
            warc = work / _export_name(clock(), query, stories)
            report.records, report.warc_bytes = _write_warc(
                warc, selection.records(), index, settings, query, clock
            )
            report.captures = len(selection.groups)
            warcs = [warc]
            in_export = selection.primary
            pages = story_pages(
                settings.archive, catalogue, stories, lambda v: _place(v) in in_export
            )
        else:
            warcs = sorted(index.warc_dir.glob("*.warc.gz"))
            if not warcs:
                raise ConfigError(f"nothing to export: {index.warc_dir} holds no closed WARC file")
            report.captures = len(index.entries)
            report.warc_bytes = sum(p.stat().st_size for p in warcs)
            names = {p.name for p in warcs}  # not versions in a file still being written
            pages = story_pages(
                settings.archive, catalogue, catalogue.stories(), lambda v: _place(v)[0] in names
            )
        report.warc_files = [p.name for p in warcs]
        report.pages = len(pages)
        report.pages_with_text = sum(1 for p in pages if p.text)
        title = f"Story versions: {query.describe()}"
        pages_path = write_pages(work / "pages.jsonl", pages, title)
        desc = (
            f"Exported by storyvault {VERSION} from collection {settings.collection!r}: "
            f"{report.captures} captures, {report.pages} story versions."
        )
        # a story export opens on the story's latest version
        main = max(pages, key=lambda p: (p.version, p.ts)) if query.story and pages else None
        pack_wacz(warcs, pages_path, output, f"storyvault: {query.describe()}", desc, main)
    log.info("exported", **report.as_dict())
    return report


def _place(version: VersionRow) -> tuple[str, int]:
    return (str(version.warc.get("filename", "")), int(version.warc.get("offset", -1)))


def _export_name(now: datetime, query: ExportQuery, stories: list[StoryRow]) -> str:
    if query.story and stories:
        slug = f"story-{stories[0].story_id}"
    elif query.outlet_host:
        slug = "outlet-" + "".join(
            c if c.isalnum() or c in ".-" else "_" for c in query.outlet_host
        )
    else:
        slug = "captures"
    return f"storyvault-export-{ts14(now)}-{slug}.warc.gz"


def _write_warc(
    path: Path,
    records: list[RawRecord],
    index: CollectionIndex,
    settings: Settings,
    query: ExportQuery,
    clock: Callable[[], datetime],
) -> tuple[int, int]:
    """A warcinfo record, then ``records`` copied byte for byte; (records, bytes)."""
    sources = sorted({r.filename for r in records})
    try:
        with path.open("wb") as out:
            writer = RecordWriter(out, clock=clock)
            info = {
                "software": f"storyvault/{VERSION}",
                "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
                "warc-format/warc-1.1/",
                "isPartOf": settings.collection,
                "description": f"storyvault export of {query.describe()}: records copied "
                f"unchanged from {len(sources)} WARC files of collection {settings.collection}",
            }
            writer.write_record(writer.warcinfo(path.name, info))
            written = copy_records(records, index.warc_dir, out)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        raise ArchiveError(path, f"cannot write the export WARC: {exc}") from exc
    log.debug("export_warc_written", path=str(path), records=len(records), copied=written)
    return len(records), path.stat().st_size
