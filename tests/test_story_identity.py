"""Which story a capture belongs to, and when it is a version: identity, walls, extractors.

Pages come from the corpus (``tests/corpus``) and are served on 127.0.0.1; crawls are
the embedded crawler's; assertions are on ``storyvault versions --json`` and the catalogue.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.support.corpus import SITE, CorpusPage, corpus_app, edit, load_corpus
from tests.support.servers import LiveServer, serve
from tests.test_versions import versions
from workers.core.settings import Settings
from workers.crawl.local import crawl
from workers.parse.story import EXTRACTOR, Story
from workers.state.sqlite import SQLiteState
from workers.versions.catalogue import Catalogue, story_fields

BIN = Path(sys.executable).parent
PAGES = {p.name: p for p in load_corpus()}


def settings_for(archive_dir: Path) -> Settings:
    return Settings(
        archive=archive_dir,
        allow_private=True,
        host_delay=0.0,
        cite_depth=0,
        requisites=False,
        max_hops=1,
        concurrency=8,
        backoff_base=0.01,
    )


@pytest.fixture
def served() -> Iterator[LiveServer]:
    names = ["en-amp-pair-main", "en-amp-pair-amp", "en-breaking-brief", "wall-consent"]
    names += ["wall-paywall-teaser", "en-inline-link-punctuation", "zh-rm-txt-con-layout-divs"]
    yield from serve(LiveServer(corpus_app([PAGES[n] for n in names]), "127.0.0.1"))


def test_a_brief_is_a_version_and_walls_are_events(served: LiveServer, archive_dir: Path) -> None:
    asyncio.run(crawl(settings_for(archive_dir), [served.url("/")]))
    brief = versions(archive_dir, PAGES["en-breaking-brief"].url(served.base))
    assert [v["number"] for v in brief["versions"]] == [1]
    for name, kind in (("wall-consent", "consent"), ("wall-paywall-teaser", "paywall")):
        wall = versions(archive_dir, PAGES[name].url(served.base))
        assert wall["versions"] == [], name
        assert [(e["kind"], e["detail"]) for e in wall["events"]] == [("wall", kind)], name


def outlet(pages: dict[str, CorpusPage], home: list[str]) -> web.Application:
    """An outlet serving ``pages`` by path (the page's own path in its HTML replaced by
    the one it is served at) and a homepage linking the paths in ``home``."""

    async def handler(request: web.Request) -> web.Response:
        origin = f"http://{request.host}"
        if request.path == "/":
            links = "".join(f'<p><a href="{origin}{path}">story</a></p>' for path in home)
            body = f"<!doctype html><html><body>{links}</body></html>"
            return web.Response(text=body, content_type="text/html")
        page = pages.get(request.path)
        if page is None:
            raise web.HTTPNotFound()
        html = page.render(origin, fetch=len(request.query)).replace(page.path, request.path)
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    return app


def test_one_story_by_its_canonical_amp_and_ref_urls(archive_dir: Path) -> None:
    """The homepage links only a ``?ref=`` variant and the AMP page: both are one story,
    named by the canonical URL, and ``versions`` finds it by any of the three."""
    main, amp = PAGES["en-amp-pair-main"], PAGES["en-amp-pair-amp"]
    app = outlet({main.path: main, amp.path: amp}, [f"{main.path}?ref=homepage", amp.path])
    with LiveServer(app, "127.0.0.1") as server:
        asyncio.run(crawl(settings_for(archive_dir), [server.url("/")]))
        canonical = main.url(server.base)
        found = [
            versions(archive_dir, url)
            for url in (canonical, amp.url(server.base), f"{canonical}?ref=homepage")
        ]
    assert len({f["story_id"] for f in found}) == 1
    assert found[0]["url"] == canonical
    assert [v["number"] for v in found[0]["versions"]] == [1]


def test_a_new_slug_with_the_same_article_id_continues_the_story(archive_dir: Path) -> None:
    """An editor shortens the slug, keeping the article id, with no redirect: the new URL
    continues the story (same id, no new version: the text did not change)."""
    page = PAGES["en-byline-first-paragraph"]
    old = page.path
    new = "/world/europe/kyiv-power-restored-6629014"
    assert old.endswith("-6629014") and old != new
    pages = {old: page}
    settings = settings_for(archive_dir)
    with LiveServer(outlet(pages, [old]), "127.0.0.1") as server:
        asyncio.run(crawl(settings, [server.url("/")]))
    pages.pop(old)
    pages[new] = page
    with LiveServer(outlet(pages, [new]), "127.0.0.1") as server:
        asyncio.run(crawl(settings, [server.url("/")]))
        before, after = (
            versions(archive_dir, server.url(old)),
            versions(archive_dir, server.url(new)),
        )
    assert before["story_id"] == after["story_id"]
    assert [v["number"] for v in after["versions"]] == [1]
    assert after["url"] == server.url(new)


def test_a_new_extractor_makes_no_false_versions(served: LiveServer, archive_dir: Path) -> None:
    """Two versions per story, then the catalogue as an older extractor left it (other
    fingerprints, another name): re-crawling unchanged pages makes no new version."""
    settings = settings_for(archive_dir)
    site = served.app[SITE]
    stories = [p for p in site.pages.values() if p.is_story]
    urls = [p.url(served.base) for p in stories]
    asyncio.run(crawl(settings, [served.url("/")]))
    for page in stories:
        site.swap(edit(page, "word", seed=3))
    asyncio.run(crawl(settings, urls, mode="recrawl"))
    with SQLiteState.beside(archive_dir) as state:
        catalogue = Catalogue.for_settings(state, settings)
        assert all(len(catalogue.versions(catalogue.story_for(u).story_id)) == 2 for u in urls)  # type: ignore[union-attr]
        old = "'sha256:' || substr(story_id || story_id || story_id || story_id, 1, 64)"
        state.db.execute(
            f"UPDATE stories SET extractor = 'storyvault-story/1', fingerprint = {old}"
        )
        state.db.commit()
    asyncio.run(crawl(settings, urls, mode="recrawl"))
    with SQLiteState.beside(archive_dir) as state:
        catalogue = Catalogue.for_settings(state, settings)
        rows = [catalogue.story_for(u) for u in urls]
        assert [len(catalogue.versions(r.story_id)) for r in rows if r] == [2] * len(urls)
        assert {r.extractor for r in rows if r} == {EXTRACTOR}


def test_the_cleaner_reads_title_body_authors_dates_and_language(
    served: LiveServer, archive_dir: Path
) -> None:
    asyncio.run(crawl(settings_for(archive_dir), [served.url("/")]))
    result = subprocess.run(
        [str(BIN / "storyvault"), "clean", "--archive", str(archive_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    cleaned = {}
    for path in (archive_dir / "clean").rglob("v1.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        cleaned[doc["url"]] = doc
    site = served.app[SITE]
    pair = {PAGES[n].url(served.base) for n in ("en-amp-pair-main", "en-amp-pair-amp")}
    stories = [p for p in site.pages.values() if p.is_story and p.url(served.base) not in pair]
    assert {p.url(served.base) for p in stories} == set(cleaned) - pair
    assert len(set(cleaned) & pair) == 1  # the AMP page and its canonical are one story
    for page in stories:
        doc, want = cleaned[page.url(served.base)], page.expected_for(served.base)
        assert doc["title"] == want["title"]
        assert doc["paragraphs"] == want["body"], page.name  # no byline, no " ," spacing
        assert doc["authors"] == want["authors"], page.name
        assert doc["published"] == want["published"], page.name
        assert doc["language"].split("-")[0] == want["language"].split("-")[0], page.name
        assert doc["fingerprint_verified"] is True
        assert doc["extractor"] == EXTRACTOR


def test_reindex_reads_every_capture_with_the_current_extractor(
    served: LiveServer, archive_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An archive made by a past extractor that took each fetch's noise for story text (a
    version at every re-crawl): ``reindex`` rebuilds the catalogue as today's extractor
    reads the same records, and names the stories whose version lists changed."""
    settings = settings_for(archive_dir)
    site = served.app[SITE]
    urls = [p.url(served.base) for p in site.pages.values() if p.is_story]
    asyncio.run(crawl(settings, [served.url("/")]))
    reads = itertools.count()

    def past_reading(story: Story, prev: Any, **kw: Any) -> list[tuple[str, str]]:
        noisy = dataclasses.replace(story, body=f"{story.body} {next(reads)}")
        fields = story_fields(noisy, prev, **kw)
        return [(k, "storyvault-story/1" if k == "extractor" else v) for k, v in fields]

    monkeypatch.setattr("workers.crawl.engine.story_fields", past_reading)
    asyncio.run(crawl(settings, urls, mode="recrawl"))
    monkeypatch.undo()
    stories = {versions(archive_dir, u)["url"] for u in urls}
    assert all(len(versions(archive_dir, u)["versions"]) >= 2 for u in stories)

    result = subprocess.run(
        [str(BIN / "storyvault"), "reindex", "--archive", str(archive_dir), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["changed"]) == stories
    assert report["reread"] == report["captures"]
    assert all([v["number"] for v in versions(archive_dir, u)["versions"]] == [1] for u in stories)
