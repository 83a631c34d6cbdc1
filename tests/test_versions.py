"""Every version of a story: change detection, the catalogue, the queue, reindex.

The synthetic outlet's articles are edited between crawls; assertions are on the
catalogue (``storyvault versions --json``), the WARC records (warcio) and the outbox.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.support.newsoutlet import OutletFixture, OutletSpec, start_outlet
from workers.core.settings import Settings
from workers.crawl.local import crawl
from workers.parse.story import extract_story

BIN = Path(sys.executable).parent


def settings_for(archive_dir: Path, **kw: Any) -> Settings:
    return Settings(
        archive=archive_dir, allow_private=True, host_delay=0.0, concurrency=8, backoff_base=0.01
    ).replace(**kw)


def storyvault(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "storyvault"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )


def versions(archive_dir: Path, url: str) -> dict[str, Any]:
    result = storyvault("versions", "--archive", str(archive_dir), "--json", url)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def outbox(archive_dir: Path) -> list[dict[str, Any]]:
    path = archive_dir / "queue" / "clean.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def recrawl(settings: Settings, *urls: str) -> dict[str, object]:
    return asyncio.run(crawl(settings, list(urls), mode="recrawl")).as_dict()


@pytest.fixture
def quiet_site() -> Iterator[OutletFixture]:
    """No per-request noise, no validators: repeated fetches are byte-identical."""
    with start_outlet(
        OutletSpec(
            sections=1, articles_per_section=3, calendar_trap=False, noise=False, validators=False
        )
    ) as fx:
        yield fx


def test_edits_make_versions_in_order_and_diff_shows_them(
    quiet_site: OutletFixture, archive_dir: Path
) -> None:
    fx = quiet_site
    settings = settings_for(archive_dir)
    asyncio.run(crawl(settings, [fx.url("/")]))
    path = fx.site.article_urls()[0]
    url = fx.url(path)
    assert [v["number"] for v in versions(archive_dir, url)["versions"]] == [1]

    fx.site.edit_headline(path, "Talks collapse after midnight")
    recrawl(settings, url)
    fx.site.add_paragraph(path, "Update: the delegations will meet again on Friday.")
    recrawl(settings, url)
    cited = fx.cited[0].url("/report/new-evidence")
    fx.site.add_cited_link(path, cited, "new evidence")
    summary = recrawl(settings, url)
    assert summary["new_versions"] == 1

    story = versions(archive_dir, url)
    listed = story["versions"]
    assert [v["number"] for v in listed] == [1, 2, 3, 4]
    assert [v["first_seen"] for v in listed] == sorted(v["first_seen"] for v in listed)
    assert listed[1]["title"] == "Talks collapse after midnight"
    assert all(v["previous"] == p["fingerprint"] for p, v in itertools.pairwise(listed))
    # the new citation was captured by the re-crawl
    assert [e for e in fx.cited[0].requests if e.path == "/report/new-evidence"]

    diff = storyvault("diff", "--archive", str(archive_dir), url, "1", "2")
    assert diff.returncode == 0, diff.stderr
    changed = [
        line
        for line in diff.stdout.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed[0].startswith("-") and changed[-1] == "+Talks collapse after midnight"
    assert len(changed) == 2
    diff = storyvault("diff", "--archive", str(archive_dir), url)  # the last two
    assert (
        "+new evidence" in diff.stdout.replace("+According", "+").replace("  ", " ")
        or "new evidence" in diff.stdout
    )
    words = storyvault("diff", "--archive", str(archive_dir), "--words", url, "2", "3")
    assert "{+Update: the delegations will meet again on Friday.+}" in words.stdout
    # one queue message per version, each pointing at the record it names
    messages = [m for m in outbox(archive_dir) if m["url"] == url]
    assert [m["version"] for m in messages] == [1, 2, 3, 4]
    for message in messages:
        assert message["schema"] == "storyvault.article-version/1"
        warc = archive_dir / message["warc"]["path"]
        with warc.open("rb") as fh:
            fh.seek(message["warc"]["offset"])
            record = next(iter(ArchiveIterator(fh)))
            assert record.rec_headers.get_header("WARC-Record-ID") == message["warc"]["record_id"]
            html = record.content_stream().read().decode("utf-8")
        assert extract_story(html).fingerprint == message["fingerprint"]


def test_noise_alone_makes_no_version(archive_dir: Path) -> None:
    spec = OutletSpec(
        sections=1, articles_per_section=2, calendar_trap=False, noise=True, validators=False
    )
    with start_outlet(spec) as fx:
        settings = settings_for(archive_dir)
        asyncio.run(crawl(settings, [fx.url("/")]))
        url = fx.url(fx.site.article_urls()[0])
        before = len(outbox(archive_dir))
        summary = recrawl(settings, url)
    assert summary["new_versions"] == 0 and summary["revisits"] == 0  # bytes differed
    assert len(outbox(archive_dir)) == before
    story = versions(archive_dir, url)
    assert len(story["versions"]) == 1
    assert story["versions"][0]["last_seen"] > story["versions"][0]["first_seen"]


def test_identical_refetch_is_a_revisit_and_304_a_not_modified_revisit(
    archive_dir: Path, quiet_site: OutletFixture
) -> None:
    fx = quiet_site
    settings = settings_for(archive_dir)
    asyncio.run(crawl(settings, [fx.url("/")]))
    url = fx.url(fx.site.article_urls()[0])
    summary = recrawl(settings, url)
    assert summary["revisits"] == 1 and summary["new_versions"] == 0
    types = [
        (r.rec_type, r.rec_headers.get_header("WARC-Profile"))
        for p in sorted(archive_dir.rglob("*.warc.gz"))
        for r in _iter(p)
        if r.rec_headers.get_header("WARC-Target-URI") == url
        and r.rec_type in ("response", "revisit")
    ]
    assert types[-1] == (
        "revisit",
        "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
    )


def test_validators_give_304_revisits_and_a_small_recrawl(archive_dir: Path) -> None:
    # article pages as heavy as a real Angular outlet's (inline TransferState JSON)
    spec = OutletSpec(
        sections=1,
        articles_per_section=4,
        calendar_trap=False,
        noise=False,
        validators=True,
        page_state_kb=300,
    )
    with start_outlet(spec) as fx:
        settings = settings_for(archive_dir)
        asyncio.run(crawl(settings, [fx.url("/")]))
        first_files = set(archive_dir.rglob("*.warc.gz"))
        urls = fx.article_urls()
        fx.outlet.clear_log()
        summary = recrawl(settings, *urls)
        conditional = [e for e in fx.outlet.requests if "If-None-Match" in e.headers]
    assert len(conditional) == len(urls)
    assert summary["new_versions"] == 0 and summary["revisits"] == len(urls)
    # bytes written for these stories: first capture vs the unchanged re-crawl
    first = record_bytes(first_files, set(urls))
    again = record_bytes(set(archive_dir.rglob("*.warc.gz")) - first_files, set(urls))
    assert again <= 0.05 * first, (again, first)
    profiles = {
        r.rec_headers.get_header("WARC-Profile")
        for p in sorted(archive_dir.rglob("*.warc.gz"))
        for r in _iter(p)
        if r.rec_type == "revisit"
    }
    assert "http://netpreserve.org/warc/1.1/revisit/server-not-modified" in profiles


def record_bytes(files: set[Path], urls: set[str]) -> int:
    """Compressed bytes of every record about ``urls`` in ``files`` (warcinfo included)."""
    total = 0
    for path in files:
        with path.open("rb") as fh:
            it = ArchiveIterator(fh)
            for record in it:
                record.content_stream().read()
                uri = record.rec_headers.get_header("WARC-Target-URI")
                if record.rec_type == "warcinfo" or uri in urls:
                    total += it.get_record_length()
    return total


def test_gone_and_moved_articles_are_events_and_history_is_kept(
    archive_dir: Path, quiet_site: OutletFixture
) -> None:
    fx = quiet_site
    settings = settings_for(archive_dir)
    asyncio.run(crawl(settings, [fx.url("/")]))
    gone_path, moved_path = fx.site.article_urls()[:2]
    fx.site.remove_article(gone_path, status=410)
    fx.site.move_article(moved_path, "/news/moved/new-home-7777777")
    recrawl(settings, fx.url(gone_path), fx.url(moved_path))
    gone = versions(archive_dir, fx.url(gone_path))
    assert gone["status"] == "gone"
    assert [e["kind"] for e in gone["events"]] == ["gone"]
    moved = versions(archive_dir, fx.url(moved_path))
    assert [e["kind"] for e in moved["events"]] == ["moved"]
    assert moved["events"][0]["detail"] == fx.url("/news/moved/new-home-7777777")
    # the new URL continues the same story
    at_new = versions(archive_dir, fx.url("/news/moved/new-home-7777777"))
    assert at_new["story_id"] == moved["story_id"]
    assert len(at_new["versions"]) >= 1


def test_reindex_rebuilds_the_same_catalogue(archive_dir: Path, quiet_site: OutletFixture) -> None:
    fx = quiet_site
    settings = settings_for(archive_dir)
    asyncio.run(crawl(settings, [fx.url("/")]))
    path = fx.site.article_urls()[0]
    fx.site.edit_headline(path, "A second headline")
    recrawl(settings, fx.url(path))
    fx.site.remove_article(fx.site.article_urls()[1])
    recrawl(settings, fx.url(fx.site.article_urls()[0]))
    urls = sorted({fx.url(p) for p in fx.site.article_urls()} | {fx.url(path)})
    before = {u: versions(archive_dir, u) for u in urls}
    messages_before = outbox(archive_dir)
    shutil.rmtree(archive_dir / "state")
    (archive_dir / "collections/storyvault/indexes/index.cdxj").unlink()
    result = storyvault("reindex", "--archive", str(archive_dir))
    assert result.returncode == 0, result.stderr
    after = {u: versions(archive_dir, u) for u in urls}
    for u in urls:
        b, a = before[u], after[u]
        b.pop("next_due"), a.pop("next_due")
        assert a == b, u
    assert outbox(archive_dir) == messages_before  # nothing sent twice
    indexer = subprocess.run(
        [str(BIN / "cdxj-indexer"), "--sort", str(archive_dir / "collections/storyvault/archive")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert (archive_dir / "collections/storyvault/indexes/index.cdxj").read_text() == indexer.stdout


def test_cleaner_writes_clean_text_per_version(
    archive_dir: Path, quiet_site: OutletFixture
) -> None:
    fx = quiet_site
    settings = settings_for(archive_dir)
    asyncio.run(crawl(settings, [fx.url("/")]))
    result = storyvault("clean", "--archive", str(archive_dir))
    assert result.returncode == 0, result.stderr
    docs = [json.loads(p.read_text()) for p in (archive_dir / "clean").rglob("v*.json")]
    assert len(docs) == len(outbox(archive_dir)) > 0
    for doc in docs:
        assert doc["fingerprint_verified"] is True
        assert doc["text"] and "_ngcontent" not in doc["text"] and "<" not in doc["text"]
        assert doc["title"]
    again = storyvault("clean", "--archive", str(archive_dir))
    assert "0 versions" in again.stdout  # idempotent


def _iter(path: Path) -> list[Any]:
    with path.open("rb") as fh:
        out = []
        for record in ArchiveIterator(fh):
            record.content_stream().read()
            out.append(record)
        return out


CRASH_AFTER_WRITE = """
import asyncio, os, signal, sys
from pathlib import Path

import workers.versions.catalogue as catalogue

real_apply = catalogue.Catalogue.apply


def apply_then_die(self, capture):
    if capture.one("storyStatus") == "new-version":
        # the WARC record is written and flushed; the catalogue and queue are not
        os.kill(os.getpid(), signal.SIGKILL)
    return real_apply(self, capture)


catalogue.Catalogue.apply = apply_then_die
from workers.crawl.local import crawl
from workers.core.logs import configure_logging
from workers.core.settings import Settings

configure_logging(json=True)
settings = Settings(archive=Path(sys.argv[1]), allow_private=True, host_delay=0.0)
asyncio.run(crawl(settings, [sys.argv[2]], mode="recrawl"))
"""


def test_killed_between_write_and_enqueue_sends_the_message_once(
    archive_dir: Path, quiet_site: OutletFixture
) -> None:
    fx = quiet_site
    settings = settings_for(archive_dir)
    asyncio.run(crawl(settings, [fx.url("/")]))
    path = fx.site.article_urls()[0]
    url = fx.url(path)
    fx.site.edit_headline(path, "Edited just before the crash")
    repo = Path(__file__).resolve().parents[1]
    killed = subprocess.run(
        [sys.executable, "-c", CRASH_AFTER_WRITE, str(archive_dir), url],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -9, killed.stderr
    assert list(archive_dir.rglob("*.warc.gz.open")), "the killed run left its WARC open"
    assert [m["version"] for m in outbox(archive_dir) if m["url"] == url] == [1]

    again = storyvault("recrawl", "--archive", str(archive_dir), "--allow-private", url)
    assert again.returncode == 0, again.stderr
    assert not list(archive_dir.rglob("*.open"))
    messages = [m for m in outbox(archive_dir) if m["url"] == url]
    assert [m["version"] for m in messages] == [1, 2]  # sent once, not lost, not doubled
    assert [v["title"] for v in versions(archive_dir, url)["versions"]][
        -1
    ] == "Edited just before the crash"
    # the message points into the file repaired after the kill, and reads back
    warc = archive_dir / messages[1]["warc"]["path"]
    with warc.open("rb") as fh:
        fh.seek(messages[1]["warc"]["offset"])
        record = next(iter(ArchiveIterator(fh)))
        html = record.content_stream().read().decode()
    assert extract_story(html).fingerprint == messages[1]["fingerprint"]


CRASH_BEFORE_FOLLOWING = """
import asyncio, os, signal, sys
from pathlib import Path

import workers.crawl.engine

real_follow = workers.crawl.engine.Engine._follow


def follow_then_die(self, job, page_url, found):
    if job.item.found_by == "recrawl":
        # the new version is written and catalogued; what it cites is not queued yet
        os.kill(os.getpid(), signal.SIGKILL)
    return real_follow(self, job, page_url, found)


workers.crawl.engine.Engine._follow = follow_then_die
from workers.crawl.local import crawl
from workers.core.logs import configure_logging
from workers.core.settings import Settings

configure_logging(json=True)
settings = Settings(archive=Path(sys.argv[1]), allow_private=True, host_delay=0.0)
asyncio.run(crawl(settings, [sys.argv[2]], mode="recrawl"))
"""


def test_a_version_killed_before_its_citations_are_queued_gets_them_on_resume(
    archive_dir: Path,
) -> None:
    spec = OutletSpec(sections=1, articles_per_section=2, calendar_trap=False, noise=False)
    with start_outlet(spec) as fx:
        settings = settings_for(archive_dir)
        asyncio.run(crawl(settings, [fx.url("/")]))
        path = fx.site.article_urls()[0]
        url = fx.url(path)
        new_source = fx.cited[0].url("/report/added-after-the-first-capture")
        fx.site.add_cited_link(path, new_source, "a new source")
        repo = Path(__file__).resolve().parents[1]
        killed = subprocess.run(
            [sys.executable, "-c", CRASH_BEFORE_FOLLOWING, str(archive_dir), url],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert killed.returncode == -9, killed.stderr
        fx.clear_logs()

        again = storyvault("recrawl", "--archive", str(archive_dir), "--allow-private", url)
        assert again.returncode == 0, again.stderr
        # the resumed run fetched the page in full (a 304 would show no links) ...
        fetched = fx.outlet.requests_for(path)
        assert len(fetched) == 1
        assert "If-None-Match" not in fetched[0].headers
        # ... and queued the source the new version cites, which the killed run never did
        assert [e.path for e in fx.cited[0].requests_for("/report/added-after-the-first-capture")]
        assert [v["number"] for v in versions(archive_dir, url)["versions"]] == [1, 2]


def test_a_story_edited_back_reads_as_its_text_though_its_record_is_a_revisit(
    archive_dir: Path,
) -> None:
    """Edited, then edited back to the bytes stored first: the third version's record is a
    revisit of the first one's, and every reader of version text follows it there."""
    from tests.support.clock import ManualClock
    from workers.replay.opening import open_archive
    from workers.versions.changes import VersionReader
    from workers.warc.reader import read_record

    spec = OutletSpec(
        sections=1, articles_per_section=1, calendar_trap=False, noise=False, validators=False
    )
    settings = settings_for(archive_dir)
    clock = ManualClock()
    with start_outlet(spec, cited_hosts=()) as fx:
        asyncio.run(crawl(settings, [fx.url("/")], clock=clock))
        path = fx.site.article_urls()[0]
        url = fx.url(path)
        first = fx.site.article(path).headline
        with fx.site._mutate(path, touch=False) as art:
            art.headline = "An edited headline"
        clock.advance(60)
        asyncio.run(crawl(settings, [url], mode="recrawl", clock=clock))
        with fx.site._mutate(path, touch=False) as art:
            art.headline = first  # back to the very bytes of the first capture
        clock.advance(60)
        asyncio.run(crawl(settings, [url], mode="recrawl", clock=clock))
    with open_archive(settings) as opened:
        story = opened.catalogue.find(url)
        assert story is not None
        versions = opened.catalogue.versions(story.story_id)
        assert [v.number for v in versions] == [1, 2, 3]
        third = versions[2].warc
        stored = read_record(opened.warc_dir / third["filename"], int(third["offset"]))
        assert stored.record_type == "revisit" and stored.payload == b""
        reader = VersionReader(opened.warc_dir)
        assert reader.story(versions[2]).title == reader.story(versions[0]).title
        assert first in reader.story(versions[2]).title
    shown = storyvault("diff", "--archive", str(archive_dir), url, "2", "3")
    assert shown.returncode == 0, shown.stderr
    assert first in shown.stdout
