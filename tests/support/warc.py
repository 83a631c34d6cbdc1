"""WARC assertions backed by the real ``warcio check`` command.

``warcio check`` only verifies digests: it exits 0 for a text file that is not
a WARC at all, for a truncated gzip and for records whose Content-Length is
wrong (it merely prints a warning on stderr).  :func:`assert_warc_valid`
therefore also fails on any stderr output from it and runs a structural check
in-process (:func:`structural_problems`): complete gzip members, at least one
record, ``WARC/1.x`` version lines and the mandatory headers on every record.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import shutil
import subprocess
import sys
import zlib
from collections.abc import Iterable
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

__all__ = [
    "REQUIRED_HEADERS",
    "assert_warc_valid",
    "assert_warcs_valid",
    "find_warcs",
    "structural_problems",
    "warcio_command",
]

REQUIRED_HEADERS = ("WARC-Record-ID", "WARC-Type", "WARC-Date", "Content-Length")
"""Headers WARC 1.1 makes mandatory on every record."""


def warcio_command() -> str:
    """The ``warcio`` console script of the running interpreter's environment."""
    candidate = Path(sys.executable).parent / "warcio"
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("warcio")
    if found:
        return found
    raise FileNotFoundError(f"no warcio script next to {sys.executable} nor on $PATH")


def find_warcs(root: Path, patterns: Iterable[str] = ("*.warc.gz", "*.warc")) -> list[Path]:
    """Every file under *root* (recursively) matching one of *patterns*, sorted."""
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in root.rglob(pattern) if p.is_file())
    return sorted(found)


def structural_problems(path: Path) -> list[str]:
    """Problems ``warcio check`` does not report; empty if the file looks sound."""
    problems: list[str] = []
    if path.name.endswith(".gz"):
        try:
            with gzip.open(path, "rb") as fh:
                while fh.read(1 << 20):
                    pass
        except (OSError, EOFError, zlib.error) as exc:
            return [f"broken gzip stream: {exc!r}"]
    count = 0
    stderr = io.StringIO()
    try:
        with path.open("rb") as fh, contextlib.redirect_stderr(stderr):
            records = ArchiveIterator(fh)
            for record in records:
                where = f"record {count} at offset {records.get_record_offset()}"
                count += 1
                protocol = record.rec_headers.protocol
                if not protocol.startswith("WARC/1."):
                    problems.append(f"{where}: version line {protocol!r} is not WARC/1.x")
                missing = [h for h in REQUIRED_HEADERS if not record.rec_headers.get_header(h)]
                if missing:
                    problems.append(f"{where}: missing {', '.join(missing)}")
                stream = record.content_stream()
                while stream.read(1 << 20):
                    pass
            if records.err_count:
                problems.append(f"{records.err_count} record(s) not followed by a blank line")
    except Exception as exc:
        problems.append(f"unparseable after {count} record(s): {exc!r}")
    if count == 0 and not problems:
        problems.append("no WARC records")
    if stderr.getvalue().strip():
        problems.append("warcio warnings:\n" + stderr.getvalue().strip())
    return problems


def assert_warc_valid(path: Path, *, timeout: float = 120.0) -> None:
    """``warcio check -v`` must exit 0 silently on stderr, and the structure must be sound.

    Raises AssertionError with the command output / the problems found.
    """
    __tracebackhide__ = True
    cmd = [warcio_command(), "check", "-v", str(path)]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, errors="replace", timeout=timeout, check=False
    )
    if proc.returncode != 0 or proc.stderr.strip():
        raise AssertionError(
            f"`{' '.join(cmd)}` exited {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
        )
    problems = structural_problems(path)
    if problems:
        raise AssertionError(f"{path}: " + "\n  ".join(["not a sound WARC:", *problems]))


def assert_warcs_valid(root: Path, patterns: Iterable[str] = ("*.warc.gz", "*.warc")) -> list[Path]:
    """Check every WARC under *root* with ``warcio check``; return the checked paths.

    All files are checked before failing, so one AssertionError reports them all.
    """
    __tracebackhide__ = True
    warcs = find_warcs(root, patterns)
    failures: list[str] = []
    for warc in warcs:
        try:
            assert_warc_valid(warc)
        except AssertionError as exc:
            failures.append(str(exc))
    if failures:
        raise AssertionError(
            f"{len(failures)} of {len(warcs)} WARC file(s) failed validation:\n\n"
            + "\n\n".join(failures)
        )
    return warcs
