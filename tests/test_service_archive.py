"""The ops CLI reads, exports and rebuilds an archive the background service wrote.

One real service crawl (private redis-server, a `storyvault worker`, beat; see
tests/test_service.py) of the test outlet, then one story edited and re-crawled through
the service, feeds every test of this module. Commands run as an operator runs them,
`storyvault … --redis URL` in a fresh process with no STORYVAULT_* in its environment,
and the tests check what the operator would: the versions listed are the Redis
catalogue's, the export opens with warcio and holds the captures, and `reindex` after the
catalogue is lost gives the same versions back.
"""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from warcio.archiveiterator import ArchiveIterator

from tasks.replay_commands import replay_listing
from tests.support.newsoutlet import OutletFixture, OutletSpec, start_outlet
from tests.support.redis import RedisServer
from tests.support.warc import assert_warcs_valid
from tests.test_service import BIN, Service, captured
from workers.core.settings import Settings
from workers.replay.opening import open_archive
from workers.state.redis_keys import pywb_index
from workers.state.redis_state import connect
from workers.versions.catalogue import Catalogue
from workers.versions.redis_catalogue import RedisCatalogueStore
from workers.warc.reader import read_record
from workers.warc.root import BACKEND_FILE, read_backend_marker, write_backend_marker

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

NEW_HEADLINE = "Службу перевірено: новий заголовок"


@dataclass
class Served:
    """The archive the service wrote, its Redis and the outlet it crawled."""

    archive: Path
    redis_url: str
    site: OutletFixture
    edited: str  # the article edited between the two passes: two versions

    @property
    def settings(self) -> Settings:
        return Settings(archive=self.archive, redis_url=self.redis_url)

    def catalogue(self) -> tuple[redis.Redis, Catalogue]:
        client = connect(self.redis_url)
        return client, Catalogue(RedisCatalogueStore(client))

    def index_lines(self) -> list[str]:
        client = redis.Redis.from_url(self.redis_url)
        try:
            return [m.decode() for m in client.zrange(pywb_index("storyvault"), 0, -1)]
        finally:
            client.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("service-archive")
    archive = tmp / "archive"
    spec = OutletSpec(sections=1, articles_per_section=3, calendar_trap=False, noise=False)
    with RedisServer() as server, start_outlet(spec) as site:
        service = Service(server.url, archive, tmp)
        try:
            service.crawl(site.url("/"), 2)
            service.wait_idle()
            path = site.site.article_urls()[0]
            site.site.edit_headline(path, NEW_HEADLINE)
            queued = service.cli("recrawl", site.url(path))
            assert queued.returncode == 0, queued.stderr
            service.wait_idle()
        finally:
            service.stop()  # the workers close their WARC files
        assert set(site.article_urls()) <= captured(archive), service.logs()
        assert not list(archive.rglob("*.open"))
        yield Served(archive, server.url, site, site.url(path))
    assert_warcs_valid(archive)


def storyvault(
    served: Served,
    *args: str,
    redis: bool = True,
    text: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[Any]:
    """``storyvault ARGS --archive A --redis URL`` (without --redis if not ``redis``) in a
    fresh process whose environment has no STORYVAULT_* but ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STORYVAULT_")}
    flags = ["--archive", str(served.archive)]
    if redis:
        flags += ["--redis", served.redis_url]
    return subprocess.run(
        [str(BIN / "storyvault"), *args, *flags],
        capture_output=True,
        text=text,
        timeout=120,
        env={**clean, **(env or {})},
    )


def listed_versions(served: Served, url: str) -> dict[str, Any]:
    result = storyvault(served, "versions", "--json", url)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def read_warcs(paths: list[Path]) -> list[tuple[str, str, str]]:
    """(type, record id, target URI) of every record, read with warcio."""
    found = []
    for path in paths:
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                headers = record.rec_headers
                found.append(
                    (
                        record.rec_type,
                        headers.get_header("WARC-Record-ID"),
                        headers.get_header("WARC-Target-URI") or "",
                    )
                )
    return found


# -- the marker --------------------------------------------------------------------------
def test_the_worker_marks_its_archive_as_kept_in_redis(served: Served) -> None:
    marker = read_backend_marker(served.archive)
    assert marker is not None
    assert (marker.backend, marker.redis_prefix, marker.collection) == ("redis", "sv", "storyvault")
    assert marker.redis_server == served.redis_url


def test_the_marker_never_holds_the_password(tmp_path: Path) -> None:
    write_backend_marker(
        tmp_path,
        redis_url="redis://ops:s3cret-pass@db.example:6390/3?socket_timeout=5",
        redis_prefix="{prod}",
        collection="news",
    )
    text = (tmp_path / BACKEND_FILE).read_text()
    assert "s3cret" not in text and "ops" not in text
    marker = read_backend_marker(tmp_path)
    assert marker is not None
    assert (marker.redis_server, marker.redis_prefix) == ("redis://db.example:6390/3", "{prod}")


@pytest.mark.parametrize(
    "command",
    [
        ["versions", "URL"],
        ["diff", "URL"],
        ["show", "URL"],
        ["timeline", "URL"],
        ["export", "--wacz", "OUT"],
        ["replay", "--port", "0"],
        ["reindex"],
    ],
    ids=lambda c: c[0],
)
def test_without_a_redis_url_a_reader_says_to_pass_one(
    served: Served, command: list[str], tmp_path: Path
) -> None:
    args = [{"URL": served.edited, "OUT": str(tmp_path / "out.wacz")}.get(a, a) for a in command]
    result = storyvault(served, *args, redis=False)
    assert result.returncode == 2, result.stderr
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith(f"storyvault: error: {served.archive}: ")
    assert "in Redis" in line and "--redis URL" in line and "STORYVAULT_REDIS_URL" in line
    assert not (tmp_path / "out.wacz").exists()


def test_another_key_prefix_than_the_services_is_refused(served: Served) -> None:
    result = storyvault(
        served, "versions", served.edited, env={"STORYVAULT_REDIS_PREFIX": "elsewhere"}
    )
    assert result.returncode == 2
    assert (
        "'sv', not 'elsewhere'" in result.stderr and "STORYVAULT_REDIS_PREFIX=sv" in result.stderr
    )


@pytest.mark.parametrize("command", ["crawl", "fetch", "watch"])
def test_an_embedded_writer_refuses_a_service_archive(served: Served, command: str) -> None:
    before = sorted(p.name for p in served.archive.rglob("*.warc.gz"))
    result = storyvault(served, command, "--allow-private", served.site.url("/"), redis=False)
    assert result.returncode == 2
    assert "the service writes this archive" in result.stderr
    assert f"storyvault {command}" in result.stderr
    assert sorted(p.name for p in served.archive.rglob("*.warc.gz")) == before
    assert not (served.archive / "state" / "embedded.sqlite3").exists()


# -- reading ------------------------------------------------------------------------------
def test_versions_lists_the_redis_catalogue(served: Served) -> None:
    client, catalogue = served.catalogue()
    try:
        for url in (served.edited, served.site.article_urls()[1]):
            listed = listed_versions(served, url)
            story = catalogue.find(url)
            assert story is not None and listed["story_id"] == story.story_id
            assert listed["versions"] == [asdict(v) for v in catalogue.versions(story.story_id)]
    finally:
        client.close()
    numbers = [v["number"] for v in listed_versions(served, served.edited)["versions"]]
    assert numbers == [1, 2]


def test_show_reads_each_version_through_the_redis_index(served: Served) -> None:
    versions = listed_versions(served, served.edited)["versions"]
    index_file = served.archive / "collections/storyvault/indexes/index.cdxj"
    kept = index_file.read_bytes()
    index_file.unlink()  # what show finds must come from the Redis index
    try:
        texts = []
        for v in versions:
            shown = storyvault(
                served, "show", served.edited, "--version", str(v["number"]), "--text"
            )
            assert shown.returncode == 0, shown.stderr
            texts.append(shown.stdout)
        raw = storyvault(served, "show", served.edited, "--raw", text=False)
    finally:
        index_file.write_bytes(kept)
    assert NEW_HEADLINE not in texts[0] and NEW_HEADLINE in texts[1]
    assert raw.returncode == 0, raw.stderr
    latest = versions[-1]["warc"]
    stored = read_record(
        served.archive / "collections/storyvault/archive" / latest["filename"],
        int(latest["offset"]),
    )
    assert raw.stdout == stored.payload


def test_diff_and_timeline_show_the_edit(served: Served, tmp_path: Path) -> None:
    diff = storyvault(served, "diff", served.edited)
    assert diff.returncode == 0, diff.stderr
    added = [line for line in diff.stdout.splitlines() if line.startswith("+")]
    assert any(NEW_HEADLINE in line for line in added)
    page = tmp_path / "timeline.html"
    timeline = storyvault(served, "timeline", served.edited, "--html", str(page))
    assert timeline.returncode == 0, timeline.stderr
    assert timeline.stdout.startswith(f"wrote {page}: 2 versions of ")
    assert NEW_HEADLINE in page.read_text(encoding="utf-8")
    text = storyvault(served, "timeline", served.edited)
    assert text.returncode == 0 and NEW_HEADLINE in text.stdout


def test_the_replay_listing_names_the_services_stories(served: Served) -> None:
    with open_archive(served.settings) as archive:
        assert archive.backend == "redis"
        lines = replay_listing(archive, "http://127.0.0.1:1")
    host = served.site.base.split("//")[1]
    assert f"outlet {host}:" in lines
    assert any(line.strip().startswith("v2") and NEW_HEADLINE in line for line in lines)


def test_export_writes_the_services_captures(served: Served, tmp_path: Path) -> None:
    versions = listed_versions(served, served.edited)["versions"]
    story = tmp_path / "story.wacz"
    result = storyvault(served, "export", "--wacz", str(story), "--story", served.edited, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    whole = tmp_path / "all.wacz"
    everything = storyvault(served, "export", "--wacz", str(whole), "--json")
    assert everything.returncode == 0, everything.stderr
    # the story's export: one new WARC with both versions' responses
    records = read_warcs(unpack(story, tmp_path / "story"))
    assert len(report["warc_files"]) == 1 and report["pages"] == 2
    ids = {rid for kind, rid, _ in records if kind == "response"}
    assert {v["warc"]["record_id"] for v in versions} <= ids
    # the whole export: the WARC files as the service wrote them, every capture in them
    warcs = unpack(whole, tmp_path / "all")
    assert sorted(p.name for p in warcs) == sorted(
        p.name for p in (served.archive / "collections/storyvault/archive").glob("*.warc.gz")
    )
    urls = {uri for kind, _, uri in read_warcs(warcs) if kind in ("response", "revisit")}
    assert set(served.site.article_urls()) <= urls
    assert json.loads(everything.stdout)["captures"] == len(served.index_lines())


def unpack(wacz: Path, into: Path) -> list[Path]:
    with zipfile.ZipFile(wacz) as zf:
        names = [n for n in zf.namelist() if n.startswith("archive/") and n.endswith(".warc.gz")]
        zf.extractall(into, names)
    assert names
    return sorted(into / n for n in names)


# -- rebuilding (last: it rewrites what the tests above read) ------------------------------
def test_reindex_gives_the_lost_catalogue_and_index_back(served: Served) -> None:
    urls = served.site.article_urls()
    before = {u: listed_versions(served, u) for u in urls}
    client, catalogue = served.catalogue()
    try:
        snapshot = catalogue.snapshot()
        index_before = served.index_lines()
        versions = sum(len(s["versions"]) for s in snapshot)
        assert versions == len(urls) + 1
        # Redis lost the catalogue and the index; the crawl state and outlets stay
        doomed = [
            k
            for pattern in ("sv:story*", "sv:stories*", "sv:applied", "sv:outbox*")
            for k in client.scan_iter(match=pattern)
        ]
        client.delete(*doomed, pywb_index("storyvault"))
        assert catalogue.stories() == []
        lost = storyvault(served, "versions", served.edited)
        assert lost.returncode == 2 and "no story archived" in lost.stderr

        result = storyvault(served, "reindex", "--json")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["versions"] == versions and report["index_lines"] == len(index_before)
        assert served.index_lines() == index_before
        assert catalogue.snapshot() == snapshot
        for u in urls:
            after = listed_versions(served, u)
            assert after["versions"] == before[u]["versions"], u
        # the outbox was lost too, so every version goes to the clean queue again
        assert report["messages_queued"] == versions
        assert client.llen("clean") == versions
        # a reindex of an intact catalogue sends nothing twice
        again = storyvault(served, "reindex", "--json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["messages_queued"] == 0
        assert client.llen("clean") == versions
        assert catalogue.snapshot() == snapshot
    finally:
        client.close()
