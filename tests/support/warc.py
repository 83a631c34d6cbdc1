"""WARC assertions backed by the real ``warcio check`` command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = ["assert_warc_valid", "assert_warcs_valid", "find_warcs", "warcio_command"]


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


def assert_warc_valid(path: Path, *, timeout: float = 120.0) -> None:
    """Run ``warcio check -v <path>``; raise AssertionError with its output on failure."""
    cmd = [warcio_command(), "check", "-v", str(path)]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, errors="replace", timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"`{' '.join(cmd)}` exited {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
        )


def assert_warcs_valid(
    root: Path, patterns: Iterable[str] = ("*.warc.gz", "*.warc")
) -> list[Path]:
    """Check every WARC under *root* with ``warcio check``; return the checked paths.

    All files are checked before failing, so one AssertionError reports them all.
    """
    warcs = find_warcs(root, patterns)
    failures: list[str] = []
    for warc in warcs:
        try:
            assert_warc_valid(warc)
        except AssertionError as exc:
            failures.append(str(exc))
    if failures:
        raise AssertionError(
            f"{len(failures)} of {len(warcs)} WARC file(s) failed `warcio check`:\n\n"
            + "\n\n".join(failures)
        )
    return warcs
