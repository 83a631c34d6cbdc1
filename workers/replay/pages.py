"""Story versions as a WACZ page list, and the WACZ packed around it.

``pages/pages.jsonl`` is what ReplayWeb.page lists: a ``json-pages-1.0`` header line,
then one line per page (``id``, ``url``, ``ts``, ``title``, optional ``text``). storyvault
lists one page per story version with its title and story text (headline and body, the
text its fingerprint is the sha256 of), read from the version's WARC record by the
extractor (:class:`workers.versions.changes.VersionReader`), so no cleaning step need run first;
and ``story_id`` and ``version`` for tools. :func:`pack_wacz` runs py-wacz's
``wacz create -p pages.jsonl -c`` (copy the page list as is: ``--detect-pages`` finds no
pages in crawls made without a browser) over the WARC files: it writes the CDXJ index,
``datapackage.json`` with every file's hash and ``datapackage-digest.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from workers.core.errors import ArchiveError
from workers.replay.captures import iso_seconds, ts14
from workers.versions.catalogue import Catalogue, StoryRow, VersionRow, from_iso
from workers.versions.changes import VersionReader
from workers.warc.root import warc_dir

log = structlog.get_logger(__name__)

WACZ_TIMEOUT = 3600.0  # seconds for `wacz create`


@dataclass(frozen=True)
class Page:
    """One line of ``pages.jsonl``: a story version."""

    id: str
    url: str
    ts: str
    title: str
    story_id: str
    version: int
    text: str | None = None
    location: tuple[str, int] = ("", 0)

    def as_json(self) -> str:
        """The ``pages.jsonl`` line (no newline)."""
        line: dict[str, Any] = {"id": self.id, "url": self.url, "ts": self.ts}
        line["title"] = self.title
        if self.text:
            line["text"] = self.text
        line.update(story_id=self.story_id, version=self.version)
        return json.dumps(line, ensure_ascii=False)


def story_pages(
    archive_root: Path,
    catalogue: Catalogue,
    stories: Iterable[StoryRow],
    keep: Callable[[VersionRow], bool],
) -> list[Page]:
    """One :class:`Page` per version kept, with its title and story text read from its
    record (a record that cannot be read is logged and its page has no text)."""
    reader = VersionReader(warc_dir(archive_root, catalogue.collection))
    pages = []
    for story in stories:
        for version in catalogue.versions(story.story_id):
            if not keep(version):
                continue
            text, title = None, None
            try:
                read = reader.story(version)
                text, title = read.text or None, read.title or None
            except ArchiveError as exc:
                log.warning("export_version_unreadable", url=version.url, error=str(exc))
            record_id = str(version.warc.get("record_id", ""))
            pages.append(
                Page(
                    id=record_id.strip("<>").removeprefix("urn:uuid:")
                    or f"{story.story_id}-v{version.number}",
                    url=version.url,
                    ts=iso_seconds(from_iso(version.first_seen)),
                    title=version.title or title or story.title or version.url,
                    story_id=story.story_id,
                    version=version.number,
                    text=text,
                    location=(str(version.warc["filename"]), int(version.warc["offset"])),
                )
            )
    return sorted(pages, key=lambda p: (p.ts, p.url, p.version))


def write_pages(path: Path, pages: list[Page], title: str) -> Path:
    """Write ``pages.jsonl`` (header line, then one line per page) to ``path``; return it."""
    header: dict[str, Any] = {"format": "json-pages-1.0", "id": "pages", "title": title}
    if any(p.text for p in pages):
        header["hasText"] = True
    lines = [json.dumps(header, ensure_ascii=False), *(p.as_json() for p in pages)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def pack_wacz(
    warcs: list[Path], pages: Path, output: Path, title: str, desc: str, main: Page | None
) -> None:
    """``wacz create`` the WACZ ``output`` from ``warcs`` and the page list ``pages``
    (``main``: the page it opens on). Written beside ``pages``, then moved into place.
    Raises :class:`ArchiveError` naming ``output`` with the tool's last words."""
    # `wacz create` runs in the work directory: every path it is given must be absolute
    # (the README's `--wacz OUT.wacz` and `--archive archive` are relative to our cwd)
    pages = pages.absolute()
    tmp_out = pages.with_name("export.wacz")
    cmd = [sys.executable, "-m", "wacz", "create", "-o", str(tmp_out), "-p", str(pages), "-c"]
    cmd += ["--title", title, "--desc", desc]
    if main is not None:
        cmd += ["--url", main.url, "--ts", ts14(datetime.fromisoformat(main.ts))]
    cmd += [str(p.absolute()) for p in warcs]
    try:
        proc = subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=WACZ_TIMEOUT,
            check=False,
            cwd=pages.parent,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ArchiveError(output, f"`wacz create` could not run: {exc}") from exc
    if proc.returncode != 0 or not tmp_out.exists():
        tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
        raise ArchiveError(output, f"`wacz create` failed (exit {proc.returncode}): {tail}")
    log.debug("wacz_create", output=proc.stdout.strip().splitlines())
    try:
        os.replace(tmp_out, output)
    except OSError as exc:
        raise ArchiveError(output, f"cannot move the WACZ into place: {exc}") from exc
