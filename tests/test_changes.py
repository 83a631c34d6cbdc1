"""The change list and its Atom feeds: exactly the new versions of a two-pass crawl.

A synthetic outlet on loopback is crawled, three of its stories are edited (a headline,
a sentence inside a paragraph, a new paragraph) and every story is crawled again. A
change is a version after a story's first: ``storyvault changes --json`` and the feeds,
written by the embedded runner as its WARC files close, must list those three new
versions and nothing else, newest first, each with the headline before and after, a word
diff and the replay links of both captures. The feeds parse with feedparser.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.html
import pytest

from tests.support.newsoutlet import OutletSpec, start_outlet
from tests.support.pywb import Wayback, ensure_pywb_venv
from tests.support.warc import assert_warcs_valid
from tests.test_versions import storyvault
from workers.core.settings import Settings
from workers.crawl.local import crawl
from workers.replay.env import replay_url
from workers.state.sqlite import SQLiteState
from workers.versions.catalogue import Catalogue
from workers.versions.feeds import ChangeFeeds, feeds_dir

COLL = "storyvault"
BASE = "http://127.0.0.1:8080"
HEADLINE = "Ferry service suspended after the storm"
SENTENCE = "Officials expect the line to reopen on Monday."
PARAGRAPH = "Update: the harbour master has published a new timetable."


@dataclass
class Crawled:
    archive: Path
    host: str
    messages: list[dict[str, Any]]  # the outbox, every version
    edited: dict[str, str]  # url -> what was changed


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    root = tmp_path_factory.mktemp("changes") / "archive"
    root.mkdir()
    settings = Settings(archive=root, allow_private=True, host_delay=0.0, concurrency=8)
    spec = OutletSpec(
        sections=1, articles_per_section=5, calendar_trap=False, noise=False, validators=False
    )
    with start_outlet(spec) as fx:
        asyncio.run(crawl(settings, [fx.url("/")]))
        paths = fx.site.article_urls()
        assert len(paths) >= 4
        fx.site.edit_headline(paths[0], HEADLINE)
        fx.site.extend_paragraph(paths[1], 0, SENTENCE)
        fx.site.add_paragraph(paths[2], PARAGRAPH)
        edited = {
            fx.url(paths[0]): "headline",
            fx.url(paths[1]): "sentence",
            fx.url(paths[2]): "paragraph",
        }
        asyncio.run(crawl(settings, [fx.url(p) for p in paths], mode="recrawl"))
        host = urlsplit(fx.url("/")).netloc
    lines = (root / "queue" / "clean.jsonl").read_text().splitlines()
    yield Crawled(root, host, [json.loads(line) for line in lines], edited)
    assert_warcs_valid(root)


def ts(message: dict[str, Any]) -> str:
    return "".join(ch for ch in message["captured_at"] if ch.isdigit())[:14]


def expected(crawled: Crawled) -> list[dict[str, Any]]:
    """The new versions after the first, newest first (as the outbox recorded them)."""
    changes = [m for m in crawled.messages if m["version"] > 1]
    return sorted(changes, key=lambda m: (m["captured_at"], m["story_id"]), reverse=True)


def previous(crawled: Crawled, message: dict[str, Any]) -> dict[str, Any]:
    (before,) = [
        m
        for m in crawled.messages
        if m["story_id"] == message["story_id"] and m["version"] == message["version"] - 1
    ]
    return before


def test_changes_json_lists_exactly_the_new_versions(crawled: Crawled) -> None:
    want = expected(crawled)
    assert sorted(m["url"] for m in want) == sorted(crawled.edited)  # only the edited three
    result = storyvault("changes", "--archive", str(crawled.archive), "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert listed["feed"] == f"{BASE}/static/_/{COLL}/feeds/changes.atom"
    changes = listed["changes"]
    assert [(c["url"], c["version"]) for c in changes] == [(m["url"], 2) for m in want]
    assert [c["warc"]["record_id"] for c in changes] == [m["warc"]["record_id"] for m in want]
    for change, message in zip(changes, want, strict=True):
        before = previous(crawled, message)
        assert change["previous_version"] == 1
        assert change["headline_before"] == before["title"]
        assert change["headline_after"] == message["title"]
        assert change["replay_after"] == replay_url(BASE, COLL, ts(message), message["url"])
        assert change["replay_before"] == replay_url(BASE, COLL, ts(before), before["url"])
    headline = next(c for c in changes if crawled.edited[c["url"]] == "headline")
    assert headline["headline_after"] == HEADLINE != headline["headline_before"]

    # --since the newest change's time, --outlet, --limit
    newest = changes[0]["time"]
    result = storyvault("changes", "--archive", str(crawled.archive), "--json", "--since", newest)
    since = json.loads(result.stdout)["changes"]
    assert since and all(c["time"] == newest for c in since)
    assert [c["url"] for c in since] == [c["url"] for c in changes[: len(since)]]
    result = storyvault(
        "changes", "--archive", str(crawled.archive), "--json", "--outlet", crawled.host
    )
    assert [c["url"] for c in json.loads(result.stdout)["changes"]] == [c["url"] for c in changes]
    result = storyvault("changes", "--archive", str(crawled.archive), "--outlet", "elsewhere.test")
    assert result.returncode == 0 and result.stdout.startswith("no changes")
    result = storyvault("changes", "--archive", str(crawled.archive), "--json", "--limit", "1")
    assert [c["url"] for c in json.loads(result.stdout)["changes"]] == [changes[0]["url"]]

    text = storyvault("changes", "--archive", str(crawled.archive))
    assert text.returncode == 0, text.stderr
    assert sum(1 for line in text.stdout.splitlines() if " v1 -> v2 " in line) == 3


def entry_html(entry: Any) -> Any:
    (content,) = entry.content
    assert content.type == "text/html"
    return lxml.html.fragment_fromstring(content.value, create_parent="div")


@pytest.mark.parametrize("which", ["collection", "outlet"])
def test_feeds_list_the_new_versions_newest_first(crawled: Crawled, which: str) -> None:
    folder = feeds_dir(crawled.archive, COLL)
    assert folder == crawled.archive / "collections" / COLL / "static" / "feeds"
    name = "changes.atom" if which == "collection" else f"outlets/{crawled.host}.atom"
    name = name.replace(":", "_")
    feed = feedparser.parse(str(folder / name))
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.id.startswith("urn:uuid:") and feed.feed.title and feed.feed.updated
    (self_link,) = [link.href for link in feed.feed.links if link.rel == "self"]
    assert self_link == f"{BASE}/static/_/{COLL}/feeds/{name}"
    want = expected(crawled)
    assert [e.id for e in feed.entries] == [m["warc"]["record_id"].strip("<>") for m in want]
    times = [e.updated_parsed for e in feed.entries]
    assert times == sorted(times, reverse=True)
    for entry, message in zip(feed.entries, want, strict=True):
        before = previous(crawled, message)
        links = {link.rel: link.href for link in entry.links}
        assert links["alternate"] == replay_url(BASE, COLL, ts(message), message["url"])
        assert links["related"] == replay_url(BASE, COLL, ts(before), before["url"])
        assert entry.title == message["title"]
        assert entry.author == crawled.host and entry.summary
        assert entry.id.startswith("urn:uuid:") and entry.published == entry.updated
        doc = entry_html(entry)
        inserted = [i.text_content() for i in doc.iter("ins")]
        deleted = [d.text_content() for d in doc.iter("del")]
        hrefs = [a.get("href") for a in doc.iter("a")]
        assert hrefs == [links["related"], links["alternate"]]
        kind = crawled.edited[message["url"]]
        if kind == "headline":
            assert inserted == [HEADLINE] and deleted == [before["title"]]
        elif kind == "sentence":
            assert inserted == [SENTENCE] and deleted == []
        else:
            assert inserted == [PARAGRAPH] and deleted == []


def test_feeds_are_rewritten_only_when_they_change(crawled: Crawled) -> None:
    settings = Settings(archive=crawled.archive, collection=COLL)
    folder = feeds_dir(crawled.archive, COLL)
    before = {p: p.read_bytes() for p in folder.rglob("*.atom")}
    assert len(before) == 2
    with SQLiteState.beside(crawled.archive) as state:
        feeds = ChangeFeeds.for_settings(Catalogue.for_settings(state, settings), settings)
        assert feeds.deliver() == 0  # same catalogue, same bytes: nothing written
        (folder / "changes.atom").unlink()
        assert feeds.deliver() == 1  # a feed can always be made again from the catalogue
    assert {p: p.read_bytes() for p in folder.rglob("*.atom")} == before


@pytest.mark.replay
@pytest.mark.timeout(900)  # the first run builds .venv-pywb
def test_pywb_serves_the_feeds_beside_the_replays_they_link_to(crawled: Crawled) -> None:
    ensure_pywb_venv()
    folder = feeds_dir(crawled.archive, COLL)
    with Wayback(crawled.archive) as wb:
        status, headers, body = wb.get(f"/static/_/{COLL}/feeds/changes.atom")
        assert status == 200, wb.log_tail()
        assert headers["content-type"].startswith("application/atom+xml")
        assert body == (folder / "changes.atom").read_bytes()
        for entry in feedparser.parse(body).entries:
            for link in entry.links:  # both captures replay, the links rebased on this pywb
                path = link.href.removeprefix(BASE)
                assert path != link.href
                ts, url = path.split("/", 3)[2], path.split("/", 3)[3]
                assert wb.replay_raw(COLL, ts, url)[0] == 200, link.href
