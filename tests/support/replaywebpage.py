"""ReplayWeb.page in headless Chromium, for tests that replay a WACZ as a reader does.

:func:`ensure_replaywebpage` unpacks the ``replaywebpage`` package (``npm pack``, once,
into ``<repo>/.replaywebpage/<version>``; ``npm install`` of it fails on a warcio.js
version, the packed tarball works). :class:`ReplayWebPage` serves its ``index.html``,
``ui.js`` and ``sw.js`` and one WACZ from one server on 127.0.0.1 (a service worker
needs one origin, and loopback counts as a secure context), and drives Debian's
``chromium`` with Playwright (``executable_path``: Playwright never downloads a
browser here). The replayed page is an ``mp_`` frame inside the app's shadow DOM;
:meth:`ReplayWebPage.replay` returns its text and the replay response's headers::

    with replaywebpage(wacz_path) as rwp:
        shown = rwp.replay(url, "20261202161552", expect="Headline")

Tests are skipped (with the reason) when npm, Playwright or Chromium cannot be had.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.support.chromium import FLAGS, ensure_chromium
from tests.support.servers import LiveServer
from workers.replay.env import exclusive

REPO_ROOT = Path(__file__).resolve().parents[2]
RWP_VERSION = "2.5.3"  # bundles @webrecorder/wabac ^2.27.2
RWP_ROOT = REPO_ROOT / ".replaywebpage"
NPM_TIMEOUT = 300  # seconds
WACZ_PATH = "/archive.wacz"


def ensure_replaywebpage(version: str = RWP_VERSION, root: Path = RWP_ROOT) -> Path:
    """The unpacked ``replaywebpage`` package (its ``index.html``, ``ui.js``, ``sw.js``);
    packed with npm on first use. Skips the calling test when npm cannot get it."""
    target = root / version / "package"
    if (target / "sw.js").exists():
        return target
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("ReplayWeb.page unavailable: no npm on this machine")
    root.mkdir(parents=True, exist_ok=True)
    with exclusive(root / ".lock"):
        if (target / "sw.js").exists():
            return target
        with tempfile.TemporaryDirectory(prefix="rwp-pack-", dir=root) as tmp:
            result = subprocess.run(
                [npm, "pack", f"replaywebpage@{version}", "--silent"],
                cwd=tmp,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT,
                check=False,
            )
            tarballs = sorted(Path(tmp).glob("replaywebpage-*.tgz"))
            if result.returncode != 0 or not tarballs:
                pytest.skip(f"npm pack replaywebpage@{version} failed: {result.stderr[-500:]}")
            unpacked = Path(tmp) / "unpacked"
            with tarfile.open(tarballs[0]) as tar:
                tar.extractall(unpacked, filter="data")
            (root / version).mkdir(parents=True, exist_ok=True)
            os.replace(unpacked / "package", target)
    return target


def _app(package: Path, wacz: Path) -> web.Application:
    async def wacz_file(request: web.Request) -> web.StreamResponse:
        # FileResponse answers the Range requests wabac.js reads a WACZ with
        return web.FileResponse(wacz, headers={"Content-Type": "application/wacz"})

    async def index(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(package / "index.html")

    app = web.Application()
    app.router.add_get(WACZ_PATH, wacz_file)
    app.router.add_get("/", index)
    app.router.add_static("/", package)
    return app


@dataclass(frozen=True)
class Replayed:
    """One page as ReplayWeb.page showed it."""

    frame_url: str  # the replay frame's URL: ``…/w/<coll>/<ts>mp_/<url>``
    text: str  # the frame's visible text
    headers: dict[str, str]  # the replay response's headers, as the frame received them


class ReplayWebPage:
    """ReplayWeb.page serving ``wacz``, opened in headless Chromium via Playwright
    (use :func:`replaywebpage`, which closes it)."""

    def __init__(self, wacz: Path) -> None:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            pytest.skip("Playwright is not installed (the project's dev extra has it)")
        binary = ensure_chromium()
        package = ensure_replaywebpage()
        self._server = LiveServer(_app(package, wacz)).start()
        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(
                executable_path=binary,
                args=[a for a in FLAGS if a != "--headless"],
                headless=True,
            )
        except BaseException:
            self._pw.stop()
            self._server.stop()
            raise

    @property
    def base(self) -> str:
        return self._server.base

    def replay(self, url: str, ts: str, expect: str, *, timeout: float = 90.0) -> Replayed:
        """Open ``url`` at the 14-digit ``ts`` in ReplayWeb.page and wait until the replay
        frame shows ``expect`` (or ``timeout`` s pass); return what it showed."""
        source = self.base + WACZ_PATH
        hash_part = urllib.parse.urlencode({"view": "pages", "url": url, "ts": ts})
        page_url = f"{self.base}/?source={urllib.parse.quote(source, safe='')}#{hash_part}"
        context = self._browser.new_context(service_workers="allow")
        try:
            page = context.new_page()
            responses: dict[str, dict[str, str]] = {}

            def on_response(response: Any) -> None:
                if "mp_/" in response.url:
                    responses[response.url] = dict(response.headers)

            page.on("response", on_response)
            page.goto(page_url)
            deadline = time.monotonic() + timeout
            seen = ""
            while time.monotonic() < deadline:
                for frame in page.frames:
                    if "mp_/" not in frame.url:
                        continue
                    try:
                        seen = frame.inner_text("body", timeout=1000)
                    except Exception:  # the frame is still loading or was replaced
                        continue
                    if expect in seen:
                        headers = responses.get(frame.url, {})
                        return Replayed(frame.url, seen, headers)
                page.wait_for_timeout(250)
            frames = [f.url for f in page.frames]
            raise AssertionError(
                f"ReplayWeb.page did not show {expect!r} for {url} at {ts} within "
                f"{timeout:.0f}s; frames: {frames}; last text: {seen[:500]!r}"
            )
        finally:
            context.close()

    def close(self) -> None:
        try:
            self._browser.close()
        finally:
            self._pw.stop()
            self._server.stop()


@contextlib.contextmanager
def replaywebpage(wacz: Path) -> Iterator[ReplayWebPage]:
    """:class:`ReplayWebPage` on ``wacz`` for the block; browser and server stopped after."""
    rwp = ReplayWebPage(wacz)
    try:
        yield rwp
    finally:
        rwp.close()
