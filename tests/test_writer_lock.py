"""One writer per embedded archive: a second crawl is refused at once, naming the first;
readers are not held up; a finished or killed writer leaves the archive free."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.support.servers import LiveServer

BIN = Path(sys.executable).parent
PAGE = b"<!doctype html><html><head><title>Held</title></head><body><p>held</p></body></html>"


class Gate:
    """A homepage that answers only once the test opens the gate."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()

    def app(self) -> web.Application:
        async def home(request: web.Request) -> web.Response:
            self.entered.set()
            await asyncio.get_running_loop().run_in_executor(None, self.opened.wait, 60)
            return web.Response(body=PAGE, content_type="text/html")

        async def missing(request: web.Request) -> web.Response:
            return web.Response(status=404, text="not here")

        app = web.Application()
        app.router.add_get("/", home)
        app.router.add_get("/{tail:.+}", missing)
        return app


@pytest.fixture
def gate() -> Iterator[tuple[Gate, LiveServer]]:
    held = Gate()
    server = LiveServer(held.app(), "127.0.0.1")
    server.start()
    try:
        yield held, server
    finally:
        held.opened.set()
        server.stop()
    server.assert_no_errors()


def crawl_cmd(archive: Path, url: str) -> list[str]:
    return [
        str(BIN / "storyvault"),
        "crawl",
        "--allow-private",
        "--delay",
        "0",
        "--archive",
        str(archive),
        url,
    ]


def test_second_crawl_on_one_archive_is_refused_naming_the_first(
    gate: tuple[Gate, LiveServer], archive_dir: Path
) -> None:
    held, server = gate
    first = subprocess.Popen(
        crawl_cmd(archive_dir, server.url("/")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert held.entered.wait(60), "the first crawl never reached the homepage"
        second = subprocess.run(
            crawl_cmd(archive_dir, server.url("/")), capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 3, second.stderr
        errors = [line for line in second.stderr.splitlines() if line.startswith("storyvault:")]
        assert len(errors) == 1, second.stderr
        assert f"pid {first.pid} on host {socket.gethostname()}" in errors[0]
        assert str(archive_dir) in errors[0]
        # the refused crawl fetched nothing: the homepage was asked for once, robots.txt once
        assert len(server.requests_for("/")) == 1
        assert len(server.requests_for("/robots.txt")) == 1
        # readers are not held up by the writer
        reader = subprocess.run(
            [str(BIN / "storyvault"), "clean", "--archive", str(archive_dir)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert reader.returncode == 0, reader.stderr
    finally:
        held.opened.set()
        _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    # once the first has finished, the archive is free again
    again = subprocess.run(
        crawl_cmd(archive_dir, server.url("/")), capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 0, again.stderr


def test_a_killed_writer_leaves_the_archive_free(
    gate: tuple[Gate, LiveServer], archive_dir: Path
) -> None:
    held, server = gate
    first = subprocess.Popen(
        crawl_cmd(archive_dir, server.url("/")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert held.entered.wait(60)
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=60)
    held.opened.set()
    again = subprocess.run(
        crawl_cmd(archive_dir, server.url("/")), capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 0, again.stderr


def test_the_lock_is_reentrant_in_one_process_and_exclusive_across(tmp_path: Path) -> None:
    from workers.core.errors import ArchiveBusyError
    from workers.warc.root import writer_lock

    holder = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from workers.warc.root import writer_lock\n"
        "with writer_lock(Path(sys.argv[1]), 'test'):\n"
        "    print('held', flush=True)\n"
        "    sys.stdin.read()\n"
    )
    with writer_lock(tmp_path, "outer"), writer_lock(tmp_path, "inner"):
        other = subprocess.run(
            [sys.executable, "-c", holder, str(tmp_path)],
            input="",
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert other.returncode == 1
        assert "ArchiveBusyError" in other.stderr
        assert f"pid {os.getpid()}" in other.stderr
        assert "(outer, " in other.stderr
    child = subprocess.Popen(
        [sys.executable, "-c", holder, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "held\n"
        with (
            pytest.raises(ArchiveBusyError, match=f"pid {child.pid} on host"),
            writer_lock(tmp_path, "late"),
        ):
            pass
    finally:
        child.communicate("", timeout=60)
    with writer_lock(tmp_path, "after"):
        pass
