"""Bodies the server cuts mid-way: captured whole in the end, never read as a version."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from tests.support.cuts import BodyCutter
from tests.support.newsoutlet import OutletSpec, start_outlet
from workers.core.settings import Settings
from workers.crawl.local import crawl

SPEC = OutletSpec(sections=1, articles_per_section=3, calendar_trap=False, noise=False)


def settings_for(archive: Path) -> Settings:
    return Settings(archive=archive, allow_private=True, host_delay=0.0, backoff_base=0.01)


def captures(archive: Path) -> dict[str, list[str | None]]:
    """URL → the WARC-Truncated value of each of its response records, in order."""
    out: dict[str, list[str | None]] = {}
    for path in sorted(archive.rglob("*.warc.gz")):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    out.setdefault(record.rec_headers.get_header("WARC-Target-URI"), []).append(
                        record.rec_headers.get_header("WARC-Truncated")
                    )
    return out


def messages(archive: Path) -> list[dict[str, Any]]:
    path = archive / "queue" / "clean.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [json.loads(line) for line in lines]


def test_bodies_cut_once_are_captured_whole_with_one_version_each(archive_dir: Path) -> None:
    cutter = BodyCutter(rate=1.0, attempts=1)  # the first response of every URL is cut
    with start_outlet(SPEC, middlewares=[cutter.middleware]) as fx:
        asyncio.run(crawl(settings_for(archive_dir), [fx.url("/")]))
        articles = fx.article_urls()
    assert {fx.url("/"), *articles} <= cutter.cut_urls()
    stored = captures(archive_dir)
    assert {url: stored.get(url) for url in articles} == {url: [None] for url in articles}
    assert sorted((m["url"], m["version"]) for m in messages(archive_dir)) == sorted(
        (url, 1) for url in articles
    )


def test_a_body_cut_on_every_attempt_makes_no_version(archive_dir: Path) -> None:
    cutter = BodyCutter(rate=1.0, attempts=100, only=lambda path: path.startswith("/news/"))
    with start_outlet(SPEC, middlewares=[cutter.middleware]) as fx:
        asyncio.run(crawl(settings_for(archive_dir), [fx.url("/")]))
        articles = fx.article_urls()
    stored = captures(archive_dir)
    assert all(stored[url][-1] == "disconnect" for url in articles)  # kept, marked as cut
    cut_versions = [m["url"] for m in messages(archive_dir) if m["url"] in articles]
    assert cut_versions == []
