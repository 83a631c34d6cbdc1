"""`storyvault timeline`: a static page of a story's versions and diffs, as Chromium sees it.

The story: an article crawled, its headline edited (version 2), a paragraph added
(version 3), then removed by the outlet (a "gone" event). The page is opened from disk
by headless Chromium (installed from Debian when absent); assertions are on the DOM it
builds, and one screenshot is kept under ``test-artifacts/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import lxml.html
import pytest

from tests.support.chromium import dump_dom, ensure_chromium, screenshot
from tests.support.clock import ManualClock
from tests.support.newsoutlet import OutletSpec, start_outlet
from tests.support.pywb import ensure_pywb_venv
from tests.support.warc import assert_warcs_valid
from workers.core.settings import Settings
from workers.crawl.local import crawl
from workers.replay.env import replay_url
from workers.warc.reader import read_record

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
COLL = "storyvault"
NEW_HEADLINE = "Bridge repairs postponed until spring"
ADDED = "Update: the city council will vote on the new schedule on Friday."
BASE = "http://127.0.0.1:9999"


@dataclass
class Story:
    archive: Path
    url: str
    messages: list[dict[str, Any]]  # versions 1..3


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    root = tmp_path_factory.mktemp("timeline") / "archive"
    root.mkdir()
    settings = Settings(archive=root, allow_private=True, host_delay=0.0)
    spec = OutletSpec(
        sections=1, articles_per_section=2, calendar_trap=False, noise=False, validators=False
    )
    with start_outlet(spec) as fx:
        clock = ManualClock()  # captures are addressed by the second: move it on
        asyncio.run(crawl(settings, [fx.url("/")], clock=clock))
        path = fx.site.article_urls()[0]
        url = fx.url(path)
        clock.advance(60)
        fx.site.edit_headline(path, NEW_HEADLINE)
        asyncio.run(crawl(settings, [url], mode="recrawl", clock=clock))
        clock.advance(60)
        fx.site.add_paragraph(path, ADDED)
        asyncio.run(crawl(settings, [url], mode="recrawl", clock=clock))
        clock.advance(60)
        fx.site.remove_article(path, status=410)
        asyncio.run(crawl(settings, [url], mode="recrawl", clock=clock))
    lines = (root / "queue" / "clean.jsonl").read_text().splitlines()
    messages = [m for m in map(json.loads, lines) if m["url"] == url]
    assert [m["version"] for m in messages] == [1, 2, 3]
    yield Story(root, url, messages)
    assert_warcs_valid(root)


def storyvault(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "storyvault"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )


def timestamp(message: dict[str, Any]) -> str:
    return "".join(ch for ch in message["captured_at"] if ch.isdigit())[:14]


def write_page(story: Story, out: Path) -> Path:
    result = storyvault(
        "timeline",
        "--archive",
        str(story.archive),
        story.url,
        "--html",
        str(out),
        "--replay-base",
        BASE,
    )
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    return out


def test_page_is_self_contained(story: Story, tmp_path: Path) -> None:
    page = write_page(story, tmp_path / "timeline.html")
    doc = lxml.html.fromstring(page.read_bytes())
    assert doc.xpath("//script") == []
    assert doc.xpath("//link") == [] and doc.xpath("//*[@src]") == []
    assert doc.xpath("//style")  # the CSS is inline
    assert "@import" not in page.read_text() and "url(" not in page.read_text()
    hrefs = [a.get("href") for a in doc.xpath("//a[@href]")]
    assert all(h.startswith((BASE + "/", story.url)) for h in hrefs), hrefs


@pytest.mark.slow
@pytest.mark.timeout(900)  # may install Debian's chromium first
def test_chromium_shows_every_version_and_its_diff(story: Story, tmp_path: Path) -> None:
    chromium = ensure_chromium()
    page = write_page(story, tmp_path / "timeline.html")
    dom = lxml.html.fromstring(dump_dom(chromium, page))

    versions = dom.xpath('//ol[@class="timeline"]/li[@class="version"]')
    assert [li.get("data-version") for li in versions] == ["1", "2", "3"]
    titles = [li.xpath('string(.//h3[@class="title"])') for li in versions]
    assert titles == [m["title"] for m in story.messages]
    assert titles[1] == NEW_HEADLINE
    for li, message in zip(versions, story.messages, strict=True):
        (replay,) = li.xpath('.//a[@class="replay"]/@href')
        assert replay == replay_url(BASE, COLL, timestamp(message), story.url)
        (raw,) = li.xpath('.//a[@class="raw"]/@href')
        assert raw == replay_url(BASE, COLL, timestamp(message), story.url, "id_")
        assert li.xpath('.//details[@class="text"]//p')  # the full story text is there

    assert versions[0].xpath('.//section[@class="diff"]') == []
    (diff2,) = versions[1].xpath('.//section[@class="diff"]')
    rows = diff2.xpath('./div[contains(@class, "line")]')
    assert rows[0].get("class") == "line headline"  # the headline's change comes first
    assert headline_before_after(rows[0]) == (titles[0], NEW_HEADLINE)
    assert diff2.xpath('./div[not(@class="line headline")]//*[self::ins or self::del]') == []
    (diff3,) = versions[2].xpath('.//section[@class="diff"]')
    assert diff3.xpath(".//del") == []
    assert [i.text_content() for i in diff3.xpath(".//ins")] == [ADDED]

    (gone,) = dom.xpath('//ol[@class="timeline"]/li[@class="event"]')
    assert gone.get("data-kind") == "gone" and "410" in gone.text_content()
    items = dom.xpath('//ol[@class="timeline"]/li')
    assert items[-1] is gone  # in time order, after the last version
    assert dom.xpath("string(//h1)") == NEW_HEADLINE

    shot = screenshot(chromium, page, tmp_path / "timeline.png", width=1100, height=1700)
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1100, 1700)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(shot, ARTIFACTS / "timeline.png")


def headline_before_after(row: Any) -> tuple[str, str]:
    """The headlines a diff's headline row shows: its words but the inserted ones, and
    its words but the deleted ones."""
    before, after = [], []
    (spans,) = row.xpath("./span[not(@class)]") or [row]
    for node in spans.xpath("./node()"):
        if isinstance(node, str):
            before.append(node)
            after.append(node)
        elif node.tag == "del":
            before.append(node.text_content())
        elif node.tag == "ins":
            after.append(node.text_content())
    return " ".join("".join(before).split()), " ".join("".join(after).split())


SENTENCE = "The mayor said the works would resume once the river falls."


def test_one_sentence_edit_is_the_only_insertion(archive_dir: Path, tmp_path: Path) -> None:
    """Acceptance: a story edited by one sentence (inside a paragraph) shows that
    sentence as the only insertion of its version, with no deletion, and links to
    replay both versions."""
    settings = Settings(archive=archive_dir, allow_private=True, host_delay=0.0)
    spec = OutletSpec(
        sections=1, articles_per_section=1, calendar_trap=False, noise=False, validators=False
    )
    with start_outlet(spec) as fx:
        asyncio.run(crawl(settings, [fx.url("/")]))
        path = fx.site.article_urls()[0]
        url = fx.url(path)
        fx.site.extend_paragraph(path, 1, SENTENCE)
        asyncio.run(crawl(settings, [url], mode="recrawl"))
    out = tmp_path / "timeline.html"
    result = storyvault(
        "timeline", "--archive", str(archive_dir), url, "--html", str(out), "--replay-base", BASE
    )
    assert result.returncode == 0, result.stderr
    doc = lxml.html.fromstring(out.read_bytes())
    versions = doc.xpath('//ol[@class="timeline"]/li[@class="version"]')
    assert [li.get("data-version") for li in versions] == ["1", "2"]
    (diff,) = versions[1].xpath('.//section[@class="diff"]')
    assert [i.text_content() for i in diff.xpath(".//ins")] == [SENTENCE]
    assert diff.xpath(".//del") == []
    (edited,) = diff.xpath('./div[@class="line edit"]')  # inside its paragraph
    assert edited.text_content().strip().endswith(SENTENCE)
    assert diff.xpath('./div[@class="line headline"]') == []  # the headline is unchanged
    (before,) = diff.xpath('./nav[@class="compare"]/a[@class="replay-before"]/@href')
    (after,) = diff.xpath('./nav[@class="compare"]/a[@class="replay-after"]/@href')
    (v1,) = versions[0].xpath('.//a[@class="replay"]/@href')
    (v2,) = versions[1].xpath('.//a[@class="replay"]/@href')
    assert (before, after) == (v1, v2)


def test_text_timeline_and_errors(story: Story) -> None:
    result = storyvault("timeline", "--archive", str(story.archive), story.url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{story.url}  (gone, 3 versions)")
    assert f"    -{story.messages[0]['title']}" in lines
    assert f"    +{NEW_HEADLINE}" in lines and f"    +{ADDED}" in lines
    default = replay_url("http://127.0.0.1:8080", COLL, timestamp(story.messages[2]), story.url)
    assert f"    {default}" in lines
    assert any(" gone " in line for line in lines)

    result = storyvault(
        "timeline", "--archive", str(story.archive), story.url.rsplit("/", 1)[0] + "/no-such-story"
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no story archived" in result.stderr
    result = storyvault(
        "timeline", "--archive", str(story.archive), story.url, "--replay-base", "127.0.0.1:8080"
    )
    assert result.returncode == 2 and "--replay-base" in result.stderr


@pytest.mark.replay
@pytest.mark.timeout(900)  # the first run builds .venv-pywb
def test_replay_serves_the_timeline_links_until_interrupted(story: Story, tmp_path: Path) -> None:
    ensure_pywb_venv()
    log = (tmp_path / "replay.log").open("wb")
    proc = subprocess.Popen(
        [str(BIN / "storyvault"), "replay", "--archive", str(story.archive), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=dict(os.environ),
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(
        target=lambda: [lines.put(line) for line in proc.stdout or []], daemon=True
    )
    reader.start()
    try:
        printed = []
        deadline = time.monotonic() + 60
        while not any(line.startswith("  v") for line in printed):
            assert time.monotonic() < deadline and proc.poll() is None, _tail(tmp_path, printed)
            with contextlib.suppress(queue.Empty):
                printed.append(lines.get(timeout=0.5).rstrip("\n"))
        with contextlib.suppress(queue.Empty):
            while True:
                printed.append(lines.get(timeout=0.5).rstrip("\n"))
        base = printed[0].split(" on ")[1].split("/ ")[0]
        assert base.startswith("http://127.0.0.1:")
        assert f"collection {COLL}: {base}/{COLL}/" in printed
        assert f"outlet {urlsplit(story.url).netloc}:" in printed
        latest = replay_url(base, COLL, timestamp(story.messages[2]), story.url)
        assert any(line.startswith("  v3 ") and latest in line for line in printed), printed
        # the timeline's links, pointed at this server, replay each version
        page = write_page_with_base(story, tmp_path / "timeline.html", base)
        doc = lxml.html.fromstring(page.read_bytes())
        for li, message in zip(doc.xpath('//li[@class="version"]'), story.messages, strict=True):
            (raw,) = li.xpath('.//a[@class="raw"]/@href')
            (replay,) = li.xpath('.//a[@class="replay"]/@href')
            assert fetch(replay)[0] == 200
            status, body = fetch(raw)
            stored = read_record(story.archive / message["warc"]["path"], message["warc"]["offset"])
            assert (status, body) == (200, stored.payload)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the whole foreground process group
        assert proc.wait(timeout=20) == 0
        assert "wayback stopped" in (tmp_path / "replay.log").read_text()
        with pytest.raises(OSError):
            fetch(base + "/")  # wayback is gone with it
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
        log.close()


def write_page_with_base(story: Story, out: Path, base: str) -> Path:
    result = storyvault(
        "timeline",
        "--archive",
        str(story.archive),
        story.url,
        "--html",
        str(out),
        "--replay-base",
        base,
    )
    assert result.returncode == 0, result.stderr
    return out


def fetch(url: str) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    try:
        with opener.open(request, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        with contextlib.closing(err):
            return err.code, err.read()


def _tail(tmp_path: Path, printed: list[str]) -> str:
    return (
        "stdout:\n"
        + "\n".join(printed)
        + "\nstderr:\n"
        + (tmp_path / "replay.log").read_text(errors="replace")[-3000:]
    )
