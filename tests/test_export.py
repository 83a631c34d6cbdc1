"""`storyvault export`: WACZ files that `wacz validate` accepts and pywb replays.

One archive for the module: an article crawled (with its cited sources and requisites),
its headline edited and re-crawled (version 2), re-crawled unchanged (a revisit); no
cleaning step runs: pages.jsonl carries each version's story text read from its record.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.support.clock import ManualClock
from tests.support.newsoutlet import OutletSpec, start_outlet
from tests.support.pywb import PYWB_VENV, Wayback, ensure_pywb_venv
from tests.support.servers import LiveServer
from tests.support.warc import assert_warc_valid, assert_warcs_valid
from workers.core.settings import Settings
from workers.crawl.local import crawl
from workers.parse.story import extract_story
from workers.parse.urls import host_of
from workers.replay.captures import CollectionIndex, IndexEntry
from workers.warc.reader import read_record

BIN = Path(sys.executable).parent
COLL = "storyvault"
NEW_HEADLINE = "Bridge repairs postponed until spring"


@dataclass
class Edited:
    archive: Path
    url: str
    outlet: str
    cited_hosts: list[str]
    messages: list[dict[str, Any]]  # every version message in the queue
    captures: list[IndexEntry]  # of the edited article: response v1, response v2, revisit

    def mine(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["url"] == self.url]


def build_edited_archive(root: Path) -> Edited:
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
        asyncio.run(crawl(settings, [url], mode="recrawl", clock=clock))  # unchanged: a revisit
        cited_hosts = [host_of(server.base) for server in fx.cited]
    lines = (root / "queue" / "clean.jsonl").read_text().splitlines()
    messages = [json.loads(line) for line in lines]
    captures = CollectionIndex(root, COLL).captures_of(url)
    assert [c.is_revisit for c in captures] == [False, False, True]
    return Edited(root, url, host_of(url), cited_hosts, messages, captures)


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edited]:
    root = tmp_path_factory.mktemp("export") / "archive"
    root.mkdir()
    yield build_edited_archive(root)
    assert_warcs_valid(root)


def storyvault(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "storyvault"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )


def export(archive: Path, out: Path, *args: str) -> dict[str, Any]:
    result = storyvault("export", "--archive", str(archive), "--wacz", str(out), "--json", *args)
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    validate = subprocess.run(
        [str(BIN / "wacz"), "validate", "-f", str(out)], capture_output=True, text=True, timeout=300
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "the passed WACZ is valid" in validate.stdout
    return report


def pages_of(wacz: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with zipfile.ZipFile(wacz) as zf:
        lines = zf.read("pages/pages.jsonl").decode("utf-8").splitlines()
    header, *pages = (json.loads(line) for line in lines if line.strip())
    return header, pages


def warcs_in(wacz: Path, into: Path) -> list[Path]:
    with zipfile.ZipFile(wacz) as zf:
        names = [n for n in zf.namelist() if n.startswith("archive/")]
        zf.extractall(into, members=names)
    return [into / n for n in names]


def originals(archive: Path) -> dict[str, bytes]:
    """Every record of the archive's WARCs, by WARC-Record-ID, as stored (gzip member)."""
    out: dict[str, bytes] = {}
    for path in sorted((archive / "collections" / COLL / "archive").glob("*.warc.gz")):
        data = path.read_bytes()
        for record_id, offset, length in _records(path):
            out[record_id] = data[offset : offset + length]
    return out


def _records(path: Path) -> list[tuple[str, int, int]]:
    found = []
    with path.open("rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            record.content_stream().read()
            found.append(
                (
                    record.rec_headers.get_header("WARC-Record-ID"),
                    it.get_record_offset(),
                    it.get_record_length(),
                )
            )
    return found


def exported_records(warc: Path) -> list[tuple[str, str, str | None, bytes]]:
    """(type, record id, target URI, stored bytes) of each record of an exported WARC."""
    data = warc.read_bytes()
    out = []
    with warc.open("rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            record.content_stream().read()
            offset, length = it.get_record_offset(), it.get_record_length()
            out.append(
                (
                    record.rec_type,
                    record.rec_headers.get_header("WARC-Record-ID"),
                    record.rec_headers.get_header("WARC-Target-URI"),
                    data[offset : offset + length],
                )
            )
    return out


def test_story_export_bundles_versions_sources_and_validates(
    edited: Edited, tmp_path: Path
) -> None:
    out = tmp_path / "story.wacz"
    report = export(edited.archive, out, "--story", edited.url)
    assert report["filtered"] and report["pages"] == 2 and report["pages_with_text"] == 2

    header, pages = pages_of(out)
    assert header["format"] == "json-pages-1.0" and header["hasText"] is True
    assert not (edited.archive / "clean").exists()  # no `storyvault clean` ran
    mine = edited.mine()
    assert [(p["url"], p["version"]) for p in pages] == [(edited.url, 1), (edited.url, 2)]
    for page, message in zip(pages, mine, strict=True):
        assert page["ts"] == message["captured_at"][:19] + "Z"
        assert page["title"] == message["title"]
        # the story text whose sha256 is the version's fingerprint: headline, then body
        assert page["text"].startswith(message["title"] + "\n\n")
        digest = hashlib.sha256(page["text"].encode("utf-8")).hexdigest()
        assert "sha256:" + digest == message["fingerprint"]
    assert pages[1]["title"] == NEW_HEADLINE

    (warc,) = warcs_in(out, tmp_path / "unzipped")
    assert_warc_valid(warc)
    records = exported_records(warc)
    assert records[0][0] == "warcinfo"
    stored = originals(edited.archive)
    for kind, record_id, _, data in records[1:]:
        assert data == stored[record_id], f"{kind} {record_id} not copied byte for byte"
    ids = {record_id for _, record_id, _, _ in records}
    for message in mine:  # both versions' responses, with their request and metadata
        assert message["warc"]["record_id"] in ids
    by_uri: dict[str | None, list[str]] = {}
    for kind, _, uri, _ in records[1:]:
        by_uri.setdefault(uri, []).append(kind)
    # the article's three captures: two responses and a revisit, each with request+metadata
    assert sorted(by_uri[edited.url]) == sorted(
        ["response", "response", "revisit"] + ["request", "metadata"] * 3
    )
    # cited sources on the other hosts, each with its request and metadata
    cited = {uri for uri in by_uri if uri and host_of(uri) in edited.cited_hosts}
    assert len(cited) == len(edited.cited_hosts)
    assert all(sorted(by_uri[uri]) == ["metadata", "request", "response"] for uri in cited)
    # requisites (a stylesheet at least); nothing of the crawl that is not the story's
    assert any(uri and uri.endswith(".css") for uri in by_uri)
    for unrelated in ("/", "/robots.txt", "/feeds/rss.xml", "/sitemap_index.xml"):
        assert f"http://{edited.outlet}{unrelated}" not in by_uri


def test_filters_by_outlet_and_time(edited: Edited, tmp_path: Path) -> None:
    first, second, revisit = edited.captures
    # one cited host: its captures only, no story versions
    host = edited.cited_hosts[0]
    export(edited.archive, tmp_path / "host.wacz", "--outlet", host)
    _, pages = pages_of(tmp_path / "host.wacz")
    assert pages == []
    (warc,) = warcs_in(tmp_path / "host.wacz", tmp_path / "host")
    uris = {uri for _, _, uri, _ in exported_records(warc)[1:]}
    assert uris and all(host_of(uri or "") == host for uri in uris)

    # the outlet since the edit: version 2 and the revisit, not version 1
    report = export(
        edited.archive,
        tmp_path / "since.wacz",
        "--outlet",
        edited.outlet,
        "--since",
        second.timestamp,
    )
    _, pages = pages_of(tmp_path / "since.wacz")
    assert [(p["url"], p["version"]) for p in pages] == [(edited.url, 2)]
    assert report["pages"] == 1
    (warc,) = warcs_in(tmp_path / "since.wacz", tmp_path / "since")
    ids = {record_id for _, record_id, _, _ in exported_records(warc)}
    v1, v2 = (m["warc"]["record_id"] for m in edited.mine())
    assert v2 in ids and v1 not in ids

    # only the revisit's second: its original (version 2's response) comes along
    export(
        edited.archive,
        tmp_path / "revisit.wacz",
        "--story",
        edited.url,
        "--since",
        revisit.timestamp,
    )
    (warc,) = warcs_in(tmp_path / "revisit.wacz", tmp_path / "revisit")
    records = exported_records(warc)
    kinds = [(kind, record_id) for kind, record_id, uri, _ in records if uri == edited.url]
    assert ("response", v2) in kinds and ("response", v1) not in kinds
    assert [k for k, _ in kinds].count("revisit") == 1

    # until the edit: version 1 only
    export(edited.archive, tmp_path / "until.wacz", "--until", second.timestamp)
    _, pages = pages_of(tmp_path / "until.wacz")
    assert (edited.url, 2) not in {(p["url"], p["version"]) for p in pages}
    assert (edited.url, 1) in {(p["url"], p["version"]) for p in pages}
    assert first.timestamp < second.timestamp


def test_unfiltered_export_ships_the_warcs_as_they_are(edited: Edited, tmp_path: Path) -> None:
    out = tmp_path / "all.wacz"
    report = export(edited.archive, out)
    assert not report["filtered"]
    source = sorted((edited.archive / "collections" / COLL / "archive").glob("*.warc.gz"))
    packed = warcs_in(out, tmp_path / "all")
    assert sorted(p.name for p in packed) == [p.name for p in source]
    for path in packed:
        assert path.read_bytes() == (source[0].parent / path.name).read_bytes()
    _, pages = pages_of(out)
    expected = sorted((m["url"], m["version"]) for m in edited.messages)
    assert sorted((p["url"], p["version"]) for p in pages) == expected


def test_export_errors_are_one_line_naming_what_to_do(edited: Edited, tmp_path: Path) -> None:
    result = storyvault(
        "export",
        "--archive",
        str(edited.archive),
        "--wacz",
        str(tmp_path / "x.wacz"),
        "--story",
        edited.url.rsplit("/", 1)[0] + "/no-such-story",
    )
    assert result.returncode == 2
    missing = edited.url.rsplit("/", 1)[0] + "/no-such-story"
    assert result.stderr.count("\n") == 1 and missing in result.stderr
    result = storyvault(
        "export", "--archive", str(edited.archive), "--wacz", str(tmp_path / "x.zip")
    )
    assert result.returncode == 2 and "must end in .wacz" in result.stderr
    result = storyvault(
        "export",
        "--archive",
        str(edited.archive),
        "--wacz",
        str(tmp_path / "x.wacz"),
        "--outlet",
        "nowhere.example",
    )
    assert result.returncode == 2 and "nothing to export" in result.stderr
    result = storyvault(
        "export",
        "--archive",
        str(edited.archive),
        "--wacz",
        str(tmp_path / "x.wacz"),
        "--since",
        "2030",
        "--until",
        "2029",
    )
    assert result.returncode == 2 and "is not before" in result.stderr
    assert not list(tmp_path.glob("*.wacz")) and not list(tmp_path.glob(".storyvault-export-*"))


@pytest.mark.replay
@pytest.mark.timeout(900)  # the first run builds .venv-pywb
def test_unpacked_export_replays_every_version_in_pywb(edited: Edited, tmp_path: Path) -> None:
    ensure_pywb_venv()
    out = tmp_path / "story.wacz"
    export(edited.archive, out, "--story", edited.url)
    root = tmp_path / "replay"
    root.mkdir()
    for cmd in (["init", "exported"], ["add", "--unpack-wacz", "exported", str(out)]):
        result = subprocess.run(
            [str(PYWB_VENV / "bin" / "wb-manager"), *cmd],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
            env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
        )
        assert result.returncode == 0, result.stdout + result.stderr
    first, second, revisit = edited.captures
    mine = edited.mine()
    with Wayback(root) as wb:
        for entry, message in ((first, mine[0]), (second, mine[1])):
            stored = read_record(
                edited.archive / message["warc"]["path"], message["warc"]["offset"]
            )
            status, _, body = wb.replay_raw("exported", entry.timestamp, edited.url)
            assert (status, body) == (200, stored.payload)
            status, _, page = wb.replay("exported", entry.timestamp, edited.url)
            assert status == 200
            # the rewritten page still holds the whole story text
            assert extract_story(page.decode("utf-8")).text == extract_story(stored.text()).text
        # the revisit replays version 2's payload, at its own time
        status, headers, body = wb.replay_raw("exported", revisit.timestamp, edited.url)
        latest = read_record(edited.archive / mine[1]["warc"]["path"], mine[1]["warc"]["offset"])
        assert (status, body) == (200, latest.payload)
        assert headers["memento-datetime"] == _http_date(revisit.timestamp)
        # a cited source replays from the export too
        cited = next(c for c in _cited_urls(edited) if host_of(c) in edited.cited_hosts)
        rows = wb.cdx("exported", cited)
        assert rows and rows[0]["status"] == "200"
        status, _, _ = wb.replay_raw("exported", rows[0]["timestamp"], cited)
        assert status == 200


def _cited_urls(edited: Edited) -> list[str]:
    return [c["url"] for c in edited.mine()[0]["cited_sources"]]


def _http_date(ts: str) -> str:
    from email.utils import format_datetime

    from workers.replay.captures import from_ts14

    return format_datetime(from_ts14(ts), usegmt=True)


@pytest.mark.parametrize("out", ["out.wacz", "exports/new/out.wacz"])
@pytest.mark.parametrize("filtered", [False, True], ids=["all", "outlet"])
def test_export_with_relative_paths_from_the_working_directory(
    outlet: LiveServer, tmp_path: Path, out: str, filtered: bool
) -> None:
    """The README's form: `--archive archive --wacz OUT.wacz`, both relative to the cwd."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "storyvault"), *args],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )

    fetched = run("fetch", "--allow-private", "--archive", "archive", outlet.url("/plain"))
    assert fetched.returncode == 0, fetched.stderr
    filters = ["--outlet", host_of(outlet.base)] if filtered else []
    result = run("export", "--archive", "archive", "--wacz", out, "--json", *filters)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["captures"] >= 1
    wacz = tmp_path / out
    validate = subprocess.run(
        [str(BIN / "wacz"), "validate", "-f", str(wacz)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr
    (warc,) = warcs_in(wacz, tmp_path / "unpacked")
    with warc.open("rb") as fh:
        uris = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(fh)]
    assert outlet.url("/plain") in uris
    assert not list(tmp_path.rglob(".storyvault-export-*"))  # the work directory is gone
    assert_warcs_valid(tmp_path / "archive")
