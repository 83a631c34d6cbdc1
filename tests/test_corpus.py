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
from tests.support.servers import LiveServer, serve
from workers.core.settings import Settings
from workers.crawl.local import crawl
from workers.state.sqlite import SQLiteState
from workers.versions.catalogue import Catalogue

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
    hrefs = {lxml.html.urljoin(exp["url"], a.get("href")) for a in doc.iter("a") if a.get("href")}
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
    assert len(story.body) < 200  # shorter than a version could once be
    assert story.usable and story.body == "\n".join(page.expected["body"])


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
    yield from serve(LiveServer(corpus_app(PAGES), "127.0.0.1"))


def versions_cli(archive_dir: Path, url: str) -> list[int]:
    """Version numbers of the story at ``url``, as ``storyvault versions --json`` lists them."""
    result = subprocess.run(
        [str(BIN / "storyvault"), "versions", "--archive", str(archive_dir), "--json", url],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    return [v["number"] for v in json.loads(result.stdout)["versions"]]


def numbers(settings: Settings, urls: dict[str, str]) -> dict[str, list[int]]:
    """Page name -> version numbers of its story in the catalogue ([] if none)."""
    out = {}
    with SQLiteState.beside(settings.archive) as state:
        catalogue = Catalogue.for_settings(state, settings)
        for name, url in urls.items():
            story = catalogue.story_for(url)
            out[name] = [v.number for v in catalogue.versions(story.story_id)] if story else []
    return out


# pages edited between the second and the third crawl: a few per kind, varied shapes
EDITED: dict[str, EditKind] = {
    "en-inline-link-punctuation": "word",
    "zh-rm-txt-con-layout-divs": "word",
    "ar-rtl-wysiwyg": "word",
    "ja-section-body-text": "add",
    "en-nextjs-next-data": "add",
    "vi-aspnet-form": "add",
    "pt-wordpress-entry-content": "remove",
    "en-infinite-scroll-two-stories": "remove",
    "uk-angular-ssr": "remove",
    "en-lead-in-article-header": "headline",
    "es-sidebar-1-story-column": "headline",
    "ru-navbar-offset-ancestor-no-lang": "headline",
}


def test_crawl_versions_noise_and_edits(served: LiveServer, archive_dir: Path) -> None:
    """Crawl from the homepage, re-crawl with noise only, re-crawl after edits; the
    catalogue must show version 1 for every story, then no new version, then exactly one
    new version for each edited page. Every stage is checked before the test fails."""
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
    site = served.app[SITE]
    urls = {p.name: p.url(served.base) for p in STORIES}
    problems: dict[str, dict[str, list[int]]] = {}

    asyncio.run(crawl(settings, [served.url("/")]))
    first = numbers(settings, urls)
    problems["no version 1 after the first crawl"] = {n: v for n, v in first.items() if v != [1]}

    asyncio.run(crawl(settings, list(urls.values()), mode="recrawl"))
    noise = numbers(settings, urls)
    problems["a new version from noise alone"] = {n: v for n, v in noise.items() if v != first[n]}

    edited = EDITED
    for page in STORIES:
        if page.name in edited:
            site.swap(edit(page, edited[page.name], seed=2))
    asyncio.run(crawl(settings, list(urls.values()), mode="recrawl"))
    after = numbers(settings, urls)
    problems["not exactly one new version after an edit"] = {
        f"{n} ({edited[n]})": v
        for n, v in after.items()
        if n in edited and v != [*noise[n], len(noise[n]) + 1]
    }
    problems["a new version of an unedited page"] = {
        n: v for n, v in after.items() if n not in edited and v != noise[n]
    }
    for name in [n for n, v in after.items() if v][:1]:
        assert versions_cli(archive_dir, urls[name]) == after[name]  # the CLI reads the same
    failed = {k: v for k, v in problems.items() if v}
    assert not failed, json.dumps(failed, indent=1)
