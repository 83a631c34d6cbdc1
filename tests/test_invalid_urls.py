"""Links that are not valid URLs as written (spaces, non-ASCII) are fetched, recorded and
compared as valid ones: the WARC holds percent-encoded ``WARC-Target-URI`` values that
warcio reads back without "Replacing spaces" warnings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from warcio.archiveiterator import ArchiveIterator

from tests.support.servers import LiveServer, serve
from workers.core.settings import Settings
from workers.crawl.local import crawl

HOME = """<!doctype html><html><head><title>Links</title></head><body>
<a href="/a b.html">spaced</a> <a href="/straße">german</a> <a href="/a%20b.html">again</a>
</body></html>"""


def _app() -> web.Application:
    async def page(request: web.Request) -> web.Response:
        if request.path == "/robots.txt":
            return web.Response(status=404)
        if request.path == "/":
            return web.Response(text=HOME, content_type="text/html")
        if request.path in ("/a b.html", "/straße"):
            return web.Response(text=f"<p>{request.path}</p>", content_type="text/html")
        return web.Response(status=404)

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", page)
    return app


@pytest.fixture
def linking() -> Iterator[LiveServer]:
    yield from serve(LiveServer(_app(), "127.0.0.1"))


def test_links_with_spaces_and_non_ascii_are_recorded_as_valid_uris(
    linking: LiveServer, archive_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(archive=archive_dir, allow_private=True, host_delay=0.0)
    summary = asyncio.run(crawl(settings, [linking.url("/")]))
    assert summary.stats["errors"] == 0
    caplog.clear()
    uris: dict[str, list[str]] = {}
    with caplog.at_level(logging.WARNING):
        for path in sorted((archive_dir / "collections" / "storyvault" / "archive").glob("*.gz")):
            with path.open("rb") as fh:
                for record in ArchiveIterator(fh):
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    if uri:
                        uris.setdefault(record.rec_type, []).append(uri)
    assert caplog.records == []  # warcio had nothing to repair
    assert all(" " not in u and u.isascii() for kind in uris.values() for u in kind)
    responses = uris["response"]
    # each fetched once: /a%20b.html written two ways is one URL
    assert responses.count(linking.url("/a%20b.html")) == 1
    assert linking.url("/stra%C3%9Fe") in responses
    asked = [r.path for r in linking.requests]
    assert asked.count("/a%20b.html") == 1 and asked.count("/stra%C3%9Fe") == 1
