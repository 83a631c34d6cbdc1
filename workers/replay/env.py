"""pywb, from its own virtualenv: building it, running ``wayback``, replay addresses.

pywb 2.10 pins ``redis==2.10.6`` while storyvault needs ``redis>=5``, so pywb cannot live
in the project's environment. :func:`ensure_pywb_venv` builds a separate virtualenv
(``<project>/.venv-pywb`` in a source checkout, else ``~/.cache/storyvault/venv-pywb``) on
first use, under a lock, and stamps it when complete; the test harness
(``tests/support/pywb.py``) builds and recognises the same venv with the same stamp.
:class:`WaybackServer` runs its ``wayback`` on a loopback port, ignoring the terminal's
Ctrl-C: storyvault gets it, then stops wayback (SIGTERM) and waits for it; on Linux wayback
is also told to end if storyvault dies without doing so.

Replay addresses (:func:`replay_url`): ``<base>/<coll>/<14-digit ts><modifier>/<url>``;
no modifier is pywb's framed page, ``id_`` the archived bytes, ``mp_`` the rewritten page.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import structlog

from workers.core.errors import ConfigError
from workers.warc.root import COLLECTIONS

log = structlog.get_logger(__name__)

PYWB_REQUIREMENT = "pywb>=2.10,<2.11"
PYWB_EXTRA_REQUIREMENTS: tuple[str, ...] = ()
STAMP_NAME = ".storyvault-pywb-stamp"
PIP_TIMEOUT = 900.0  # seconds per pip run
DEFAULT_REPLAY_BASE = "http://127.0.0.1:8080"
# left as they are in a replay path: everything legal in a URL
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


# -- replay addresses --------------------------------------------------------------------
def replay_url(base: str, collection: str, timestamp: str, url: str, modifier: str = "") -> str:
    """``<base>/<collection>/<timestamp><modifier>/<url>``, the way pywb addresses captures."""
    quoted = urllib.parse.quote(url, safe=_URL_SAFE)
    return f"{base.rstrip('/')}/{collection}/{timestamp}{modifier}/{quoted}"


# -- the virtualenv ------------------------------------------------------------------------
def project_root() -> Path:
    """The source checkout this package runs from (the folder holding ``workers/``)."""
    return Path(__file__).resolve().parents[1]


def default_pywb_venv() -> Path:
    """``<checkout>/.venv-pywb`` when running from a checkout, else a per-user cache."""
    root = project_root()
    if (root / "pyproject.toml").exists():
        return root / ".venv-pywb"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "storyvault" / "venv-pywb"


def _stamp_content() -> dict[str, Any]:
    return {
        "requirements": [PYWB_REQUIREMENT, *PYWB_EXTRA_REQUIREMENTS],
        "python": "{}.{}".format(*sys.version_info[:2]),
    }


def pywb_venv_ready(venv: Path) -> bool:
    """True when ``venv`` holds a complete pywb build for these requirements."""
    if not (venv / "bin" / "wayback").exists():
        return False
    try:
        stamp = json.loads((venv / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(stamp, dict) and all(stamp.get(k) == v for k, v in _stamp_content().items())


def _base_python() -> str:
    base = getattr(sys, "_base_executable", None) or sys.executable
    return base if Path(base).exists() else sys.executable


def _clean_env() -> dict[str, str]:
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PIP_USER"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONNOUSERSITE="1")
    return env


def _lock_path(venv: Path) -> Path:
    # outside the venv, which is deleted on a rebuild; the same path the test harness uses
    digest = hashlib.sha256(str(venv.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"storyvault-pywb-venv-{digest}.lock"


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on ``path`` (created if missing) for the block: one
    process at a time builds what another would otherwise build too."""
    with open(path, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _run(cmd: list[str], venv: Path, what: str) -> None:
    try:
        proc = subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env=_clean_env(),
            timeout=PIP_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"{venv}: building pywb's virtualenv: {what} failed: {exc}") from exc
    if proc.returncode != 0:
        tail = " | ".join(proc.stdout.strip().splitlines()[-8:])
        raise ConfigError(
            f"{venv}: building pywb's virtualenv: {what} exited {proc.returncode} "
            f"(pip needs to reach the package index; delete the folder to retry): {tail}"
        )


def ensure_pywb_venv(venv: Path, *, on_build: Callable[[Path], None] | None = None) -> Path:
    """``venv`` with a working pywb, built first if needed (``on_build(venv)`` is called
    before a build starts, to tell the user). Safe across processes. Raises
    :class:`ConfigError` naming the venv when the build fails."""
    if pywb_venv_ready(venv):
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(_lock_path(venv)):
        if pywb_venv_ready(venv):
            return venv
        if on_build is not None:
            on_build(venv)
        started = time.monotonic()
        if venv.exists() or venv.is_symlink():
            shutil.rmtree(venv)
        py = str(venv / "bin" / "python")
        _run([_base_python(), "-m", "venv", str(venv)], venv, "python -m venv")
        _run([py, "-m", "pip", "install", "--upgrade", "pip"], venv, "pip upgrade")
        _run(
            [py, "-m", "pip", "install", PYWB_REQUIREMENT, *PYWB_EXTRA_REQUIREMENTS],
            venv,
            "pip install pywb",
        )
        _run([py, "-c", "import pywb.apps.cli, pywb.apps.frontendapp"], venv, "importing pywb")
        stamp = {**_stamp_content(), "build_seconds": round(time.monotonic() - started, 1)}
        tmp = venv / (STAMP_NAME + ".tmp")
        tmp.write_text(json.dumps(stamp))
        tmp.replace(venv / STAMP_NAME)
        log.info("pywb_venv_built", venv=str(venv), seconds=stamp["build_seconds"])
    return venv


# -- wayback ------------------------------------------------------------------------------
def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_free(host: str, port: int) -> bool:
    """True if ``host:port`` can be bound right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_PR_SET_PDEATHSIG = 1


def _child_setup() -> None:
    """In the wayback child, before exec: ignore the terminal's Ctrl-C (storyvault gets it
    and stops wayback in order; an ignored signal stays ignored across exec, and Python
    leaves it so), and on Linux ask for SIGTERM should storyvault die without stopping it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class WaybackServer:
    """``wayback`` serving ``archive_root/collections/*`` on ``host:port``.

    :meth:`start` returns once it answers HTTP; :meth:`wait` blocks until it exits;
    :meth:`stop` terminates it and waits (idempotent). Its output goes to ``log``
    (default: inherited stderr).
    """

    venv: Path
    archive_root: Path
    host: str = "127.0.0.1"
    port: int = 8080
    log: Any = None  # a binary file for wayback's output; None: our stderr
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        """Start wayback; raise :class:`ConfigError` if the port is taken or it fails."""
        exe = self.venv / "bin" / "wayback"
        if not exe.exists():
            raise ConfigError(f"{exe} is missing: pywb's virtualenv is incomplete; delete it")
        if not (self.archive_root / COLLECTIONS).is_dir():
            raise ConfigError(
                f"{self.archive_root}: no collections/ folder here (crawl first, or --archive)"
            )
        if self.port == 0:
            self.port = free_port(self.host)
        elif not port_free(self.host, self.port):
            raise ConfigError(f"{self.host}:{self.port} is in use: choose another --port")
        cmd = [str(exe), "-b", self.host, "-p", str(self.port), "-d", str(self.archive_root)]
        log.info("wayback_starting", cmd=" ".join(cmd))
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self.log if self.log is not None else 2,  # never our stdout
            stderr=subprocess.STDOUT,
            env=_clean_env(),
            cwd=self.archive_root,
            preexec_fn=_child_setup,  # the CLI runs no threads when it starts wayback
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._proc = None
                raise ConfigError(
                    f"wayback exited with {code} before serving {self.base} "
                    f"(archive {self.archive_root}); see its output above"
                )
            if self._answers():
                log.info("wayback_ready", url=self.base)
                return
            time.sleep(0.1)
        self.stop()
        raise ConfigError(f"wayback did not answer on {self.base} within {timeout:.0f}s")

    def _answers(self) -> bool:
        try:
            with _OPENER.open(self.base + "/", timeout=2.0) as resp:
                return int(resp.status) < 500
        except urllib.error.HTTPError as err:
            err.close()
            return err.code < 500
        except OSError:
            return False

    def wait(self) -> int:
        """Block until wayback exits; its exit status."""
        if self._proc is None:
            return 0
        code = self._proc.wait()
        self._proc = None
        return code

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate wayback (SIGTERM, then SIGKILL after ``timeout``) and wait for it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.info("wayback_stopped", url=self.base, code=proc.returncode)

    def __enter__(self) -> WaybackServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
