"""Headless Chromium for tests that look at a page as a browser renders it.

:func:`ensure_chromium` finds Debian's ``chromium`` (or another Chromium/Chrome on
``$PATH``); when there is none and we are root with ``apt-get``, it installs the
``chromium`` package (``apt-get update`` first when the package is unknown), under a
lock so parallel test processes install once. When it cannot be had the test is skipped
with the reason. :func:`dump_dom` and :func:`screenshot` run one headless Chromium each,
with a fresh profile, no network services and a time limit.

Flags (FIELD-NOTES): ``--headless --no-sandbox --disable-gpu --no-first-run
--disable-background-networking --disable-component-update --disable-sync`` and a fresh
``--user-data-dir``; ``--no-sandbox`` is needed as root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from workers.replay.env import exclusive

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
)
INSTALL_TIMEOUT = 900  # seconds per apt-get run
RUN_TIMEOUT = 90  # seconds per Chromium run


def find_chromium() -> str | None:
    """The first Chromium-like browser on ``$PATH``, or ``None``."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(
        ["apt-get", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        env=env,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )


def _install() -> str:
    """Why installing failed, or "" when it worked."""
    if os.geteuid() != 0:
        return "not root, so `apt-get install chromium` is not possible here"
    if shutil.which("apt-get") is None:
        return "no apt-get on this machine to install chromium with"
    result = _apt("install", "-y", "chromium")
    if result.returncode != 0:
        update = _apt("update")
        if update.returncode != 0:
            return "apt-get update failed: " + " | ".join(update.stderr.splitlines()[-3:])
        result = _apt("install", "-y", "chromium")
    if result.returncode != 0:
        return "apt-get install chromium failed: " + " | ".join(result.stderr.splitlines()[-3:])
    return ""


def ensure_chromium() -> str:
    """Path of a headless-capable Chromium, installing Debian's when absent (as root);
    skips the calling test with the reason when it cannot be had."""
    found = find_chromium()
    if found:
        return found
    lock = Path(tempfile.gettempdir()) / "storyvault-chromium-install.lock"
    with exclusive(lock):
        found = find_chromium()
        if found:
            return found
        try:
            problem = _install()
        except (OSError, subprocess.TimeoutExpired) as exc:
            problem = f"apt-get could not run: {exc!r}"
    found = find_chromium()
    if found:
        return found
    pytest.skip(f"headless Chromium unavailable: {problem or 'installed, but not on $PATH'}")


def run_chromium(
    binary: str, url: str, *args: str, timeout: float = RUN_TIMEOUT
) -> subprocess.CompletedProcess[bytes]:
    """One headless Chromium run on ``url`` with a fresh, deleted-after profile."""
    with tempfile.TemporaryDirectory(prefix="storyvault-chromium-") as profile:
        cmd = [binary, *FLAGS, f"--user-data-dir={profile}", *args, url]
        result = subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "HOME": profile},
        )
    if result.returncode != 0:
        tail = result.stderr.decode("utf-8", "replace").splitlines()[-10:]
        raise AssertionError(f"chromium exited {result.returncode} on {url}:\n" + "\n".join(tail))
    return result


def dump_dom(binary: str, page: Path) -> str:
    """The DOM Chromium builds for the local file ``page`` (``--dump-dom``)."""
    result = run_chromium(binary, page.resolve().as_uri(), "--dump-dom")
    return result.stdout.decode("utf-8")


def screenshot(
    binary: str, page: Path, out: Path, *, width: int = 1100, height: int = 1600
) -> Path:
    """A PNG of the local file ``page`` as Chromium renders it, written to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    run_chromium(
        binary,
        page.resolve().as_uri(),
        f"--screenshot={out.resolve()}",
        f"--window-size={width},{height}",
    )
    if not out.exists() or out.stat().st_size == 0:
        raise AssertionError(f"chromium wrote no screenshot to {out}")
    return out
