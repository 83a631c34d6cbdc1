"""One archived capture, for reading: the closest to a time, or a story's version N.

:func:`find_capture` picks the capture (:class:`Shown`), following a revisit to the record
holding its payload; the ``render_*`` functions turn it into what ``storyvault show``
prints: a readable summary and decoded body, the story text, the HTTP head exactly as
stored, or the payload bytes exactly as stored (Content-Encoding intact).
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from datetime import datetime

from workers.core.errors import ArchiveError, ConfigError
from workers.net.content import mime_of
from workers.parse.story import extract_story
from workers.replay.captures import (
    CollectionIndex,
    IndexEntry,
    Resolved,
    from_ts14,
    iso_seconds,
    read_group,
    resolve,
    ts14,
)
from workers.versions.catalogue import Catalogue, StoryRow, VersionRow, from_iso
from workers.warc.cdxj import surt_key

TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")
TEXT_SUFFIXES = ("+xml", "+json")


@dataclass(frozen=True)
class Shown:
    """A capture picked for showing, with its story context when it has one."""

    resolved: Resolved
    story: StoryRow | None
    versions: list[VersionRow]
    version: VersionRow | None  # the version this capture shows (None: not a story)

    @property
    def entry(self) -> IndexEntry:
        return self.resolved.entry


def find_capture(
    index: CollectionIndex,
    catalogue: Catalogue,
    url: str,
    *,
    at: datetime | None = None,
    version: int | None = None,
) -> Shown:
    """The capture of ``url`` closest to ``at``, the story's version ``version``, or (with
    neither) the latest. Raises :class:`ConfigError` when there is none."""
    story = catalogue.find(url)
    versions = catalogue.versions(story.story_id) if story else []
    if version is not None:
        if story is None:
            raise ConfigError(
                f"{url}: no story archived at this URL, so no version {version} "
                "(use --at for any capture, or check --archive/--collection)"
            )
        chosen = next((v for v in versions if v.number == version), None)
        if chosen is None:
            raise ConfigError(f"{story.url} has no version {version} (it has 1..{len(versions)})")
        entry = _entry_of(index, chosen)
    else:
        found = index.closest(url, at) if at is not None else index.latest(url)
        if found is None:
            raise ConfigError(
                f"{url}: no capture of this URL in collection {index.collection!r} "
                "(check the URL, --archive and --collection)"
            )
        entry = found
    resolved = resolve(index, entry)
    return Shown(resolved, story, versions, _version_at(versions, entry.timestamp))


def _entry_of(index: CollectionIndex, version: VersionRow) -> IndexEntry:
    """The index entry of a version's record (built from the catalogue if not indexed)."""
    filename, offset = str(version.warc["filename"]), int(version.warc["offset"])
    for entry in index.captures_of(version.url):
        if entry.location == (filename, offset):
            return entry
    return IndexEntry(
        key=surt_key(version.url),
        timestamp=ts14(from_iso(version.first_seen)),
        url=version.url,
        mime="",
        status=None,
        digest=None,
        filename=filename,
        offset=offset,
        length=int(version.warc.get("length", 0)),
    )


def _version_at(versions: list[VersionRow], timestamp: str) -> VersionRow | None:
    """The version current at ``timestamp`` (the last one first seen by then)."""
    current = None
    for v in versions:
        if ts14(from_iso(v.first_seen)) <= timestamp:
            current = v
    return current


# -- rendering ---------------------------------------------------------------------------
def is_textual(content_type: str | None) -> bool:
    """True for a Content-Type worth printing as text (HTML, XML, JSON, JS, CSS...)."""
    mime = mime_of(content_type)
    return mime.startswith(TEXT_TYPES) or mime.endswith(TEXT_SUFFIXES)


def render_raw(shown: Shown) -> bytes:
    """The payload exactly as archived (a revisit's original's), encoding intact."""
    return shown.resolved.payload


def render_headers(index: CollectionIndex, shown: Shown) -> bytes:
    """The capture's HTTP status line and headers exactly as stored (a revisit's own).

    A 304 re-crawl's revisit has no HTTP block (see :mod:`workers.warc.records`): its head is
    rebuilt from the ``httpResponse`` and ``httpHeader`` fields of its metadata record.
    """
    entry = shown.entry
    head = http_head(index, entry)
    if head == b"\r\n\r\n" and shown.resolved.is_revisit:
        fields = read_group(index.path_of(entry), entry.offset).metadata
        if fields.get("httpResponse"):
            lines = [*fields["httpResponse"][:1], *fields.get("httpHeader", [])]
            return "".join(f"{line}\r\n" for line in lines).encode("latin-1") + b"\r\n"
    return head


def render_text(shown: Shown) -> str:
    """The story text (title, blank line, paragraphs), empty if the page has none."""
    return extract_story(shown.resolved.text()).text


def render_reading(shown: Shown) -> str:
    """A short summary of the capture, a blank line, then its body decoded to text."""
    r = shown.resolved
    entry = shown.entry
    lines = [f"URL       {entry.url}", f"Captured  {iso_seconds(from_ts14(entry.timestamp))}"]
    if r.is_revisit and r.original is not None:
        lines[-1] += (
            f"  (revisit: payload of {r.original.url} "
            f"captured {iso_seconds(from_ts14(r.original.timestamp))})"
        )
    if shown.story is not None:
        if shown.version is not None:
            v = shown.version
            lines.append(
                f"Story     version {v.number} of {len(shown.versions)}, seen "
                f"{iso_seconds(from_iso(v.first_seen))} .. {iso_seconds(from_iso(v.last_seen))}"
            )
        else:
            lines.append(f"Story     before its first version ({len(shown.versions)} versions)")
    lines.append(f"Record    {r.record.record_type} in {entry.filename} at offset {entry.offset}")
    lines.append(f"Status    {r.status or '-'}")
    content_type = r.header("Content-Type")
    lines.append(f"Type      {content_type or '-'}")
    encoding = r.header("Content-Encoding")
    if encoding:
        lines.append(f"Encoding  {encoding} (decoded below; --raw gives the stored bytes)")
    lines.append(f"Length    {len(r.payload)} bytes stored")
    if is_textual(content_type) or (not content_type and r.payload[:1] in (b"<", b"{")):
        body = r.text()
    elif not r.payload:
        body = "(no body)"
    else:
        mime = mime_of(content_type) or "unknown type"
        body = f"({len(r.payload)} bytes of {mime}: use --raw to write them out)"
    return "\n".join(lines) + "\n\n" + body


def http_head(index: CollectionIndex, entry: IndexEntry) -> bytes:
    """The HTTP head (status line and headers, up to the blank line) of the record at
    ``entry``, byte for byte as stored. Raises :class:`ArchiveError`."""
    path = index.path_of(entry)
    try:
        with path.open("rb") as fh:
            fh.seek(entry.offset)
            data = fh.read(entry.length) if entry.length else fh.read(1 << 20)
    except OSError as exc:
        raise ArchiveError(path, f"cannot read the record at {entry.offset}: {exc}") from exc
    if data[:2] == b"\x1f\x8b":
        try:
            data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
        except (zlib.error, gzip.BadGzipFile) as exc:
            raise ArchiveError(path, f"the record at {entry.offset} is not gzip: {exc}") from exc
    _warc_head, sep, block = data.partition(b"\r\n\r\n")
    head, sep2, _body = block.partition(b"\r\n\r\n")
    if not sep or not sep2:
        raise ArchiveError(path, f"the record at {entry.offset} holds no HTTP head")
    return head + b"\r\n\r\n"
