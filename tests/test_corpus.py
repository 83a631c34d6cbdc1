"""The page corpus against the project's extractor: titles, bodies, citations, walls,
fingerprints under per-fetch noise and under edits, and one crawl of the corpus served on
loopback (see ``tests/support/corpus.py`` and ``tests/corpus/``)."""

from __future__ import annotations

import asyncio
import html as htmllib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from tests.support.corpus import (
    EDIT_KINDS,
    SITE,
    CorpusPage,
    EditKind,
    corpus_app,
    edit,
    extract,
    load_corpus,
    score_page,
    tokens,
)
from tests.support.servers import LiveServer
from workers.crawl import crawl
from workers.settings import Settings

PAGES = load_corpus()
STORIES = [p for p in PAGES if p.is_story]
WALLS = [p for p in PAGES if not p.is_story]
ORIGIN = "https://www.outlet.example"
BIN = Path(sys.executable).parent


def by_name(pages: list[CorpusPage]) -> Any:
    return pytest.mark.parametrize("page", pages, ids=[p.name for p in pages])


# -- 1. the corpus itself ---------------------------------------------------------------------
def test_corpus_has_enough_stories_scripts_and_walls() -> None:
    assert len(STORIES) >= 32
    assert len({p.expected["script"] for p in STORIES}) >= 6
    assert {p.kind for p in WALLS} == {"consent", "paywall", "challenge", "error"}
    for page in PAGES:
        size = len(page.render(ORIGIN).encode())
        assert 8 * 1024 <= size <= 60 * 1024, (page.name, size)
        kinds = set(re.findall(r"\{\{noise:([a-z]+)", page.template))
        assert len(kinds) >= 3, (page.name, kinds)


@by_name(PAGES)
def test_expected_reading_is_in_the_page(page: CorpusPage) -> None:
    exp = page.expected_for(ORIGIN)
    html = page.render(ORIGIN, fetch=1)
    doc = lxml.html.document_fromstring(html)
    hrefs = {
        lxml.html.urljoin(exp["url"], a.get("href")) for a in doc.iter("a") if a.get("href")
    }
    for url in exp["citations"]:
        assert url in hrefs, url
    visible = set(tokens(htmllib.unescape(re.sub(r"<[^>]+>", " ", html))))
    for paragraph in exp["body"]:
        missing = [t for t in tokens(paragraph) if t not in visible]
        assert not missing, (paragraph, missing)
    if page.is_story:
        assert 4 <= len(exp["body"]) <= 15 or page.name == "en-breaking-brief"
        titles = [" ".join(" ".join(h.itertext()).split()) for h in doc.iter("h1")]
        assert exp["title"] in titles
    assert page.render(ORIGIN, fetch=2) == page.render(ORIGIN, fetch=2)
    assert page.render(ORIGIN, fetch=2) != page.render(ORIGIN, fetch=3)


@by_name(STORIES)
@pytest.mark.parametrize("kind", EDIT_KINDS)
def test_edits_change_the_expected_reading(page: CorpusPage, kind: EditKind) -> None:
    edited = edit(page, kind, seed=1)
    before, after = page.expected, edited.expected
    if kind == "headline":
        assert after["title"] != before["title"]
        assert after["title"] in edited.template
        assert before["title"] not in edited.template
    else:
        assert after["body"] != before["body"]
        delta = {"add": 1, "remove": -1, "word": 0}[kind]
        assert len(after["body"]) == len(before["body"]) + delta
    for script in re.findall(
        r"<script[^>]*(?:ld\+json|application/json)[^>]*>(.*?)</script>", edited.template, re.S
    ):
        json.loads(script)  # JSON copies stay valid JSON
    test_expected_reading_is_in_the_page(edited)
    # a JSON-LD articleBody made from the body is made from the edited body
    for old, new in zip(article_bodies(page), article_bodies(edited), strict=True):
        for joiner in ("\n", " ", "\n\n"):
            if old == joiner.join(before["body"]):
                assert new == joiner.join(after["body"])


def article_bodies(page: CorpusPage) -> list[str]:
    found = []
    for script in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page.template):
        stack = [json.loads(script)]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                if isinstance(item.get("articleBody"), str):
                    found.append(item["articleBody"])
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    return found


# -- 2. extraction ----------------------------------------------------------------------------
@by_name(STORIES)
def test_story_title_and_body(page: CorpusPage) -> None:
    score = score_page(page, ORIGIN)
    assert score.title_ok, page.name
    assert score.body_f1 >= 0.97, (page.name, round(score.body_f1, 3))
    assert score.wall is None


def test_citations_precision_and_recall_over_the_corpus() -> None:
    scores = [score_page(p, ORIGIN) for p in PAGES]
    found = sum(s.cited_found for s in scores)
    right = sum(s.cited_right for s in scores)
    expected = sum(s.cited_expected for s in scores)
    wrong = {s.name: s.extra for s in scores if s.extra}
    missed = {s.name: s.missed for s in scores if s.missed}
    assert right / max(1, found) >= 0.9, ("precision", right, found, wrong)
    assert right / max(1, expected) >= 0.9, ("recall", right, expected, missed)


@by_name(WALLS)
def test_non_story_pages_are_walls(page: CorpusPage) -> None:
    story = extract(page.render(ORIGIN, fetch=1), page.url(ORIGIN))
    assert getattr(story, "wall", None) == page.kind


def test_the_brief_is_a_usable_story() -> None:
    (page,) = [p for p in STORIES if p.name == "en-breaking-brief"]
    story = extract(page.render(ORIGIN, fetch=1), page.url(ORIGIN))
    assert getattr(story, "wall", None) is None
    assert story.usable and story.body == page.expected["body"][0]


# -- 3. noise, 4. edits -----------------------------------------------------------------------
def fingerprint(page: CorpusPage, fetch: int) -> str:
    story = extract(page.render(ORIGIN, fetch=fetch), page.url(ORIGIN))
    return str(story.fingerprint)


@by_name(STORIES)
def test_noise_does_not_change_the_fingerprint(page: CorpusPage) -> None:
    assert len({fingerprint(page, n) for n in (1, 2, 3)}) == 1


@by_name(STORIES)
@pytest.mark.parametrize("kind", EDIT_KINDS)
def test_an_edit_changes_the_fingerprint(page: CorpusPage, kind: EditKind) -> None:
    assert fingerprint(edit(page, kind, seed=1), 1) != fingerprint(page, 1)


# -- 5. a crawl of the served corpus ----------------------------------------------------------
@pytest.fixture
def served() -> Iterator[LiveServer]:
    server = LiveServer(corpus_app(PAGES), "127.0.0.1")
    server.start()
    try:
        yield server
    finally:
        server.stop()
    server.assert_no_errors()


def versions(archive_dir: Path, url: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(BIN / "storyvault"), "versions", "--archive", str(archive_dir), "--json", url],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    if result.returncode != 0:
        return []
    return json.loads(result.stdout)["versions"]  # type: ignore[no-any-return]


def numbers(archive_dir: Path, urls: list[str]) -> dict[str, list[int]]:
    return {url: [v["number"] for v in versions(archive_dir, url)] for url in urls}


EDITED = {"word": 3, "add": 2, "remove": 2, "headline": 2}


def test_crawl_versions_noise_and_edits(served: LiveServer, archive_dir: Path) -> None:
    settings = Settings(
        archive=archive_dir,
        allow_private=True,
        host_delay=0.0,
        cite_depth=0,
        requisites=False,
        max_hops=1,
        concurrency=8,
        backoff_base=0.01,
    )
    origin = served.base
    site = served.app[SITE]
    urls = {p.name: p.url(origin) for p in STORIES}
    asyncio.run(crawl(settings, [served.url("/")]))
    first = numbers(archive_dir, list(urls.values()))
    assert {n: first[u] for n, u in urls.items() if first[u] != [1]} == {}

    summary = asyncio.run(crawl(settings, list(urls.values()), mode="recrawl")).as_dict()
    again = numbers(archive_dir, list(urls.values()))
    assert summary["new_versions"] == 0, {n: again[u] for n, u in urls.items() if again[u] != [1]}

    # edit a few pages per kind (not the AMP pair: one story, two URLs)
    candidates = [p for p in STORIES if not p.name.startswith("en-amp-pair")]
    edited: dict[str, EditKind] = {}
    pos = 0
    for kind, count in EDITED.items():
        for page in candidates[pos : pos + count]:
            site.swap(edit(page, kind, seed=2))
            edited[page.name] = kind
        pos += count
    asyncio.run(crawl(settings, list(urls.values()), mode="recrawl"))
    after = numbers(archive_dir, list(urls.values()))
    wrong = {
        (n, edited.get(n)): after[u]
        for n, u in urls.items()
        if after[u] != ([1, 2] if n in edited else [1])
    }
    assert wrong == {}
