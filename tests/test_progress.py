"""The live progress table on a terminal: `storyvault crawl` run under a pseudo-terminal,
its output replayed on a small terminal model, and the screen it leaves checked: every
log line whole and in order above where the table was, no table row left behind."""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.support.newsoutlet import OutletSpec, start_outlet
from workers.core.logs import configure_logging, logs_to

BIN = Path(sys.executable).parent
COLS, ROWS = 1000, 60  # wide enough that no log line wraps
_CSI = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")
_OSC = re.compile(r"\x1b\][^\x07]*(\x07|\x1b\\)")
TABLE_ROWS = ("pages per s", "cited sources", "in flight", "robots blocked")


class Screen:
    """Enough of a VT100 for rich's live display: text, CR, LF, cursor up/down, erase
    line, colours (ignored); the scrollback is kept, lines wrap at the width."""

    def __init__(self, cols: int) -> None:
        self.cols = cols
        self.lines: list[list[str]] = [[]]
        self.row = 0
        self.col = 0

    def feed(self, text: str) -> None:
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "\x1b":
                m = _CSI.match(text, i) or _OSC.match(text, i)
                if m is None:
                    i += 2  # a two-character escape (charset selection and the like)
                    continue
                if m.re is _CSI:
                    self._csi(m.group(1), m.group(2))
                i = m.end()
                continue
            if ch == "\r":
                self.col = 0
            elif ch == "\n":
                self._line_feed()
            elif ch == "\b":
                self.col = max(0, self.col - 1)
            elif ch >= " ":
                if self.col >= self.cols:
                    self._line_feed()
                    self.col = 0
                line = self.lines[self.row]
                line.extend(" " * (self.col - len(line) + 1))
                line[self.col] = ch
                self.col += 1
            i += 1

    def _line_feed(self) -> None:
        self.row += 1
        if self.row == len(self.lines):
            self.lines.append([])

    def _csi(self, params: str, final: str) -> None:
        n = int(params) if params.isdigit() else 1
        if final == "A":
            self.row = max(0, self.row - n)
        elif final == "B":
            self.row = min(len(self.lines) - 1, self.row + n)
        elif final == "G":
            self.col = max(0, n - 1)
        elif final == "K":
            line = self.lines[self.row]
            if params == "2":
                line.clear()
            elif params in ("", "0"):
                del line[self.col :]

    def text(self) -> list[str]:
        return ["".join(line).rstrip() for line in self.lines]


def run_in_pty(args: list[str], timeout: float = 120) -> tuple[int, str]:
    """Run ``args`` with stdin, stdout and stderr a pseudo-terminal; its exit status and
    everything it wrote to the terminal."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError(f"{args}: still running after {timeout} s")
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer of the terminal is gone
                break
            if not data:
                break
            chunks.append(data)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=60)
        os.close(master)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


def exchanges_in(archive: Path) -> list[str]:
    uris = []
    for path in sorted(archive.rglob("*.warc.gz")):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type in ("response", "revisit"):
                    uris.append(record.rec_headers.get_header("WARC-Target-URI"))
    return uris


@pytest.mark.parametrize("verbose", [True, False], ids=["verbose", "quiet"])
def test_log_lines_stay_out_of_the_live_table(tmp_path: Path, verbose: bool) -> None:
    archive = tmp_path / "archive"
    spec = OutletSpec(sections=1, articles_per_section=3, calendar_trap=False)
    with start_outlet(spec) as fx:
        code, output = run_in_pty(
            [
                str(BIN / "storyvault"),
                "crawl",
                "--allow-private",
                "--delay",
                "0.05",
                "--no-requisites",
                "--archive",
                str(archive),
                *(["--verbose"] if verbose else []),
                fx.url("/"),
            ]
        )
    assert code == 0, output
    assert "storyvault crawl" in output  # the live table was shown
    screen = Screen(COLS)
    screen.feed(output)
    lines = screen.text()
    # the table is gone, none of its rows left behind on the screen
    assert not [line for line in lines if line.strip() == "storyvault crawl"], "\n".join(lines)
    assert not [line for line in lines if line.strip().startswith(TABLE_ROWS)], "\n".join(lines)
    # every log line is whole: it starts with its timestamp and level, never mid-line
    logged = [line for line in lines if re.match(r"\d{4}-\d\d-\d\dT[\d:.]+Z \[", line)]
    assert any("crawl_started" in line for line in logged)
    assert any("crawl_finished" in line for line in logged)
    fetched = [line for line in logged if re.search(r"\] fetched\b", line)]
    if verbose:  # one INFO line per exchange, each whole (its URL and where it went)
        assert len(fetched) == len(exchanges_in(archive)) > 5
        broken = [
            line
            for line in fetched
            if not re.search(r"\[info +\] fetched .* url='?http.* warc=", line)
        ]
        assert broken == []
    else:
        assert fetched == []
    assert [line for line in lines if line][-1].startswith("archive: ")  # the summary, last


class Lines:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def _events(text: str) -> list[tuple[str, str]]:
    return [(e["event"], e["level"]) for e in map(json.loads, text.splitlines())]


@pytest.mark.parametrize(
    ("level", "verbose", "fetched"),
    [
        ("INFO", False, []),
        ("DEBUG", False, [("fetched", "debug")]),
        ("INFO", True, [("fetched", "info")]),
    ],
)
def test_logs_to_sends_lines_to_the_sink_and_back(
    level: str, verbose: bool, fetched: list[tuple[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    import structlog

    configure_logging(json=True, level=level, verbose=verbose)
    try:
        log = structlog.get_logger(f"test-{level}-{verbose}")  # a logger of this configuration
        sink = Lines()
        with logs_to(sink):
            log.info("inside", n=1)
            log.info("fetched", url="http://x.example/")  # the per-fetch line
            logging.getLogger("aiohttp.client").warning("stdlib too")
        log.info("outside")
        assert _events(sink.text) == [("inside", "info"), *fetched, ("stdlib too", "warning")]
        assert _events(capsys.readouterr().err) == [("outside", "info")]
    finally:
        configure_logging(json=True)
