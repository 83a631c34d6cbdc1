"""Rebuild what the WARC files imply: the CDXJ index and the version catalogue.

The WARC files are the truth. :func:`captures_in` pairs every response/revisit record
with the ``metadata`` record concurrent to it; :func:`reindex` replays those captures,
in capture-time order, through :meth:`Catalogue.apply` — the same function the live crawl
uses — and rewrites the collection's index wherever it is kept (``index.cdxj``, and for
the service the Redis set pywb reads: :mod:`workers.state.index_store`). Each article capture is
read again by the current story extractor first (an extractor is a reading of the WARC),
so the rebuilt catalogue is the one today's extractor gives, and the report names the
stories whose version lists changed. :func:`reconcile` does the same for files repaired
after a crash, so a version whose record was written but whose bookkeeping was not is
catalogued, and its message queued, exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import structlog
from warcio.archiveiterator import ArchiveIterator

from workers.core.errors import ArchiveError
from workers.core.types import RecordLocation
from workers.parse.discover import PageInfo, analyse_html
from workers.parse.identity import story_url
from workers.parse.urls import canonical
from workers.state.index_store import IndexStore
from workers.versions.catalogue import Capture, Catalogue, story_fields
from workers.warc import cdxj
from workers.warc.reader import read_record

log = structlog.get_logger(__name__)


def parse_fields(body: bytes) -> dict[str, list[str]]:
    """``application/warc-fields`` → name → values (names may repeat)."""
    fields: dict[str, list[str]] = {}
    for line in body.decode("utf-8", errors="replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields.setdefault(name.strip(), []).append(value.strip())
    return fields


def warc_datetime(value: str) -> datetime:
    value = value.rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in value else "%Y-%m-%dT%H:%M:%S"
    return datetime.strptime(value, fmt).replace(tzinfo=UTC)


def captures_in(path: Path) -> Iterator[Capture]:
    """Each capture in one WARC file that has a storyvault metadata record."""
    mains: dict[str, RecordLocation] = {}
    try:
        with path.open("rb") as fh:
            it = ArchiveIterator(fh)
            for record in it:
                kind = record.rec_type
                headers = record.rec_headers
                if kind in ("response", "revisit"):
                    record.content_stream().read()
                    rid = headers.get_header("WARC-Record-ID")
                    mains[rid] = RecordLocation(
                        filename=path.name,
                        offset=it.get_record_offset(),
                        length=it.get_record_length(),
                        record_id=rid,
                        record_type=kind,
                        warc_date=headers.get_header("WARC-Date"),
                        target_uri=headers.get_header("WARC-Target-URI"),
                    )
                elif kind == "metadata":
                    main = mains.get(headers.get_header("WARC-Concurrent-To") or "")
                    fields = parse_fields(record.content_stream().read())
                    if main is not None and "storyStatus" in fields:
                        yield Capture(
                            url=main.target_uri,
                            time=warc_datetime(main.warc_date),
                            location=main,
                            fields=fields,
                        )
    except OSError as exc:
        raise ArchiveError(path, f"cannot read WARC: {exc}") from exc


@dataclass
class ReindexReport:
    files: int = 0
    index_lines: int = 0
    captures: int = 0
    versions: int = 0
    messages_queued: int = 0
    reread: int = 0  # article captures read again by the current extractor
    changed: list[str] = field(default_factory=list)  # stories whose version list changed


class Redeliverer(Protocol):
    """Where a rebuilt catalogue's messages go: the embedded outbox file, or the
    service's ``clean`` queue. ``scan_all``: skip every message delivered before."""

    def deliver(
        self, closed_files: Iterable[str] | None = None, *, scan_all: bool = False
    ) -> int: ...


def reindex(
    warc_dir: Path,
    catalogue: Catalogue,
    outbox: Redeliverer,
    indexes: Sequence[IndexStore],
) -> ReindexReport:
    """Rebuild every index in ``indexes`` and the catalogue from the closed WARC files in
    ``warc_dir``; queue the messages of versions not delivered before. Raises
    :class:`ArchiveError` or :class:`~workers.core.errors.StateError` naming what failed."""
    report = ReindexReport()
    files = sorted(warc_dir.glob("*.warc.gz"))
    lines: list[str] = []
    captures: list[Capture] = []
    for path in files:
        lines.extend(cdxj.index_warc(path))
        captures.extend(captures_in(path))
        report.files += 1
    for index in indexes:
        report.index_lines = index.replace(lines)
    before = _version_lists(catalogue)
    catalogue.clear()
    reader = _Rereader(warc_dir, captures)
    for capture in sorted(captures, key=lambda c: (c.time, c.location.record_id)):
        current = reader.reread(capture, catalogue)
        report.reread += current is not capture
        if catalogue.apply(current) is not None:
            report.versions += 1
        report.captures += 1
    after = _version_lists(catalogue)
    report.changed = sorted(
        u for u in before.keys() | after.keys() if before.get(u) != after.get(u)
    )
    # messages delivered before stay delivered; the others are queued now
    report.messages_queued = outbox.deliver(scan_all=True)
    log.info("reindexed", **report.__dict__)
    return report


def _version_lists(catalogue: Catalogue) -> dict[str, list[str]]:
    """Story URL -> the record ids of its versions, in order."""
    return {
        s.url: [str(v.warc.get("record_id")) for v in catalogue.versions(s.story_id)]
        for s in catalogue.stories()
    }


_STORY_FIELDS = frozenset(
    {
        "storyStatus",
        "storyVersion",
        "storyFingerprint",
        "previousFingerprint",
        "wallKind",
        "httpStatus",
        "extractor",
        "storyMethod",
        "storyTitle",
        "storyLanguage",
        "storyUrl",
    }
)
_REREAD = frozenset({"new-version", "unchanged", "variant", "wall", "empty-extraction"})


class _Rereader:
    """Reads article captures again with the current extractor, so that a rebuilt
    catalogue compares fingerprints made by one extractor (revisits are read through
    the response whose payload they repeat)."""

    def __init__(self, warc_dir: Path, captures: list[Capture]) -> None:
        self.warc_dir = warc_dir
        self.responses: dict[str, RecordLocation] = {}
        for c in captures:
            digest = c.one("payloadDigest")
            if digest and c.location.record_type == "response":
                self.responses.setdefault(digest, c.location)
        self.pages: dict[str, tuple[PageInfo, int] | None] = {}

    def reread(self, c: Capture, catalogue: Catalogue) -> Capture:
        """``c`` with its story fields decided again, or ``c`` itself if it cannot be."""
        if c.one("storyStatus") not in _REREAD:
            return c
        read = self._page(c)
        if read is None or read[0].extraction is None:
            return c
        page, status = read
        story = read[0].extraction.story
        named = story_url(c.url, page.canonical, page.og_url)
        prev = catalogue.story_for(c.url, named)
        fields = {k: v for k, v in c.fields.items() if k not in _STORY_FIELDS}
        decided = story_fields(
            story,
            prev,
            before=prev.fingerprint if prev is not None else None,
            variant=named != canonical(c.url),
            status=status,
        )
        decided.append(("storyUrl", named))
        for name, value in decided:
            fields.setdefault(name, []).append(" ".join(value.split()))
        return replace(c, fields=fields)

    def _page(self, c: Capture) -> tuple[PageInfo, int] | None:
        location = c.location
        if location.record_type != "response":
            found = self.responses.get(c.one("payloadDigest") or "")
            if found is None:
                return None
            location = found
        if location.record_id in self.pages:
            return self.pages[location.record_id]
        try:
            record = read_record(self.warc_dir / location.filename, location.offset)
        except ArchiveError as exc:
            log.warning("reindex_reread_failed", url=c.url, error=str(exc))
            self.pages[location.record_id] = None
            return None
        page = analyse_html(c.url, record.text(), story=True)
        result = (page, int(record.status or 200))
        self.pages[location.record_id] = result
        return result


class Deliverer(Protocol):
    def deliver(self, closed_files: Iterable[str] | None = None) -> int: ...


def reconcile(paths: list[Path], catalogue: Catalogue, outbox: Deliverer) -> int:
    """Catalogue the captures of files repaired after a crash; queue their messages."""
    applied = 0
    for path in paths:
        for capture in sorted(captures_in(path), key=lambda c: (c.time, c.location.record_id)):
            if catalogue.apply(capture) is not None:
                applied += 1
    if paths:
        outbox.deliver([p.name for p in paths])
    return applied
