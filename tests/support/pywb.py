"""Replay the archive with pywb, from pywb's own virtualenv, for tests.

pywb 2.10 pins ``redis==2.10.6`` (the project needs ``redis>=5``), so it cannot
live in the project venv.  :func:`ensure_pywb_venv` builds ``<repo>/.venv-pywb``
once (first run: roughly 20 s on a warm pip cache, more with a cold one) and
:class:`Wayback` runs ``.venv-pywb/bin/wayback`` as a subprocess on a free
loopback port.  pywb only *replays* by default (no ``--live``/``--record``), so
it never fetches from the network.

Usage::

    ensure_pywb_venv()
    with Wayback(archive_root) as wb:          # serves archive_root/collections/*
        status, headers, body = wb.replay_raw("coll", "20240101000000", url)
        rows = wb.cdx("coll", url)

pywb behaviour found empirically (pywb 2.10.0 + warcio 1.8.1, Python 3.11)
--------------------------------------------------------------------------
Nothing beyond ``pip install "pywb>=2.10,<2.11"`` is needed to start on
Python 3.11: pywb 2.10 does not import ``pkg_resources`` (and ``venv`` still
seeds setuptools on 3.11 anyway); it pulls werkzeug 3.x and gevent, not an
old werkzeug.  ``wayback -d ROOT`` ``chdir``s into ROOT, so a
``ROOT/config.yaml`` would be honoured; without one it logs
``[Errno 2] No such file or directory: './config.yaml'`` and uses defaults.

``id_`` (identity, no rewriting) with a stored ``Content-Encoding: gzip`` body
depends on the request's ``Accept-Encoding`` (pywb
``rewrite/content_rewriter.py``: "if content-encoding is set but encoding is
not in accept encoding, force decompression")::

    Accept-Encoding contains "gzip"  -> the stored compressed bytes, as-is,
                                        with Content-Encoding: gzip and the
                                        stored Content-Length;
    anything else (e.g. "identity")  -> pywb gunzips the payload, renames the
                                        header to X-Archive-Orig-Content-Encoding,
                                        moves Content-Length to
                                        X-Archive-Orig-Content-Length and sends
                                        the decoded body chunked.

The test is a plain substring check (``"gzip" in accept_encoding``), so
``Accept-Encoding: gzip;q=0`` still counts as accepting gzip and ``*`` does
not.  Plain (unencoded) payloads are returned as stored either way.
:meth:`Wayback.get` therefore always sends an explicit ``Accept-Encoding``
(default ``"identity"``: decoded bodies) and never decompresses itself.

Other findings (``tests/test_pywb_harness.py`` asserts the first ones):

* ``revisit`` records (identical-payload-digest profile) are resolved:
  ``id_`` at the revisit's timestamp returns the *original* payload, with
  ``Memento-Datetime`` = the revisit's date and the revisit's own HTTP headers
  (the original's when the revisit stores no HTTP headers).  pywb looks the
  original up in the CDX index by ``WARC-Refers-To-Target-URI`` (required; a
  different URL than the revisit's is fine), closest to
  ``WARC-Refers-To-Date`` (optional: falls back to the revisit's own
  timestamp; a wrong date still resolves), filtered on ``!mime:warc/revisit``
  and ``digest`` *contains* the revisit's digest.
* When a revisit cannot be resolved (no Refers-To-Target-URI, digest not
  matching, original not indexed) pywb silently serves the next-closest
  capture of the same URL if there is one (e.g. the original, with the
  original's ``Memento-Datetime``), else answers HTTP 503.  Tests must check
  ``memento-datetime``, not just the body.
* Digest prefix: cdxj-indexer copies ``WARC-Payload-Digest`` verbatim (warcio
  writes ``sha1:<base32>``).  Because the match is a substring test, original
  ``sha1:X`` + revisit ``sha1:X`` (or ``X``+``X``, or revisit ``X`` +
  original ``sha1:X``) resolve; revisit ``sha1:X`` + original ``X`` does
  not (falls back as above).  Write both the same way.
* CDXJ fields: ``url`` is required (HTTP 500 without); ``mime: "warc/revisit"``
  is required on revisit lines (without it the revisit replays with an EMPTY
  body, status 200); ``filename`` + ``offset`` are required, ``filename``
  relative to ``collections/<coll>/archive/`` (cdxj-indexer writes the
  basename unless ``--dir-root``); ``length``, ``status``, ``digest`` are
  optional for plain responses.  The index must be sorted (``cdxj-indexer
  --sort``); an unsorted index makes lookups miss (404) silently.
* ``id_`` at a timestamp without an exact capture serves the closest capture
  (status 200, no redirect); ``/<coll>/id_/<url>`` serves the latest; an
  unknown URL gives 404.  An archived 3xx is replayed as-is (Location
  unrewritten under ``id_``, rewritten under ``mp_``).
* Stored HTTP headers are replayed verbatim under ``id_``: a stored
  ``Content-Length`` that is smaller than the payload truncates the body, a
  larger one makes the client fail (:class:`WaybackError` here).  A stored
  ``Transfer-Encoding: chunked`` is handled whether the payload is stored
  chunked or de-chunked.  A payload stored *decoded* while keeping
  ``Content-Encoding: gzip`` replays as plain bytes labelled gzip for
  gzip-accepting clients (broken in browsers).  ``Content-Encoding: br``
  behaves like gzip (decoded unless the client sends ``br``).
* warcio: pass ``length=`` to ``create_warc_record``; otherwise it buffers
  the payload in a ``SpooledTemporaryFile`` it never closes, which is a
  ``ResourceWarning`` (an error under this project's pytest settings).
"""

from __future__ import annotations

import contextlib
import email.message
import http.client
import json
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from workers.core.errors import ConfigError
from workers.replay import env as replayenv

REPO_ROOT = Path(__file__).resolve().parents[2]
PYWB_VENV = REPO_ROOT / ".venv-pywb"
PYWB_REQUIREMENT = "pywb>=2.10,<2.11"
# Extra packages pywb 2.10 needs to start on this Python; empty: none were needed.
PYWB_EXTRA_REQUIREMENTS: tuple[str, ...] = ()
STAMP_NAME = ".storyvault-pywb-stamp"

_PIP_TIMEOUT = 900  # seconds, per pip invocation


class PywbVenvError(RuntimeError):
    """Building or checking ``.venv-pywb`` failed."""


class WaybackError(RuntimeError):
    """The wayback subprocess failed to start or answered unexpectedly."""


# --------------------------------------------------------------------------
# virtualenv
# --------------------------------------------------------------------------


def _clean_env() -> dict[str, str]:
    return replayenv._clean_env()


def ensure_pywb_venv(venv: Path = PYWB_VENV) -> Path:
    """``.venv-pywb`` with a working pywb, built on first use by the project's own code
    (:func:`workers.replay.env.ensure_pywb_venv`); raises :class:`PywbVenvError`."""
    try:
        return replayenv.ensure_pywb_venv(venv)
    except ConfigError as exc:
        raise PywbVenvError(str(exc)) from exc


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _headers_dict(msg: email.message.Message) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in msg.items():
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


# Characters left as-is when putting an archived URL into a replay path:
# everything legal in a URL; only spaces, non-ASCII etc. get %-escaped.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


class Wayback:
    """``wayback`` from ``.venv-pywb`` serving ``archive_root/collections/*``.

    Starts on construction; use as a context manager (or call :meth:`stop`).

    * ``base`` -- ``http://127.0.0.1:<port>``
    * :meth:`get` -- ``(status, headers, body)``; no redirects followed, no
      decompression; header names lower-cased, repeated headers joined by
      ``", "``.
    * :meth:`replay_raw` -- the archived bytes (``id_``) of ``url`` at ``ts``.
    * :meth:`replay` -- the same with another modifier (``mp_``: rewritten page).
    * :meth:`cdx` -- CDX API rows as dicts.
    * ``log_path`` / :meth:`log_tail` -- wayback's stdout+stderr.
    """

    def __init__(
        self,
        archive_root: Path,
        *,
        venv: Path = PYWB_VENV,
        startup_timeout: float = 20.0,
        extra_args: tuple[str, ...] = (),
        log_dir: Path | None = None,
    ) -> None:
        self.archive_root = Path(archive_root).resolve()
        self.venv = Path(venv)
        self.port = 0
        self.base = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        if log_dir is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="storyvault-wayback-")
            log_dir = Path(self._tmpdir.name)
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        self.log_path = Path(log_dir) / "wayback.log"

        exe = self.venv / "bin" / "wayback"
        if not exe.exists():
            self._cleanup_tmp()
            raise WaybackError(f"{exe} missing: call ensure_pywb_venv() first")
        if not (self.archive_root / "collections").is_dir():
            self._cleanup_tmp()
            raise WaybackError(f"{self.archive_root}/collections is not a directory")

        try:
            self._start(exe, startup_timeout, extra_args)
        except BaseException:
            self.stop()
            raise

    # -- lifecycle ---------------------------------------------------------

    def _start(self, exe: Path, timeout: float, extra_args: tuple[str, ...]) -> None:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        for _attempt in range(3):  # the free port may be taken before wayback binds it
            self.port = _free_port()
            self.base = f"http://127.0.0.1:{self.port}"
            cmd = [str(exe), "-b", "127.0.0.1", "-p", str(self.port), "-d", str(self.archive_root)]
            self._log.write(f"$ {' '.join(cmd + list(extra_args))}\n".encode())
            self._log.flush()
            self._proc = subprocess.Popen(
                [*cmd, *extra_args],
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env=_clean_env(),
                cwd=self.archive_root,
            )
            if self._wait_ready(timeout):
                return
            if self._proc.poll() is not None and "Address already in use" in self.log_tail():
                self._proc.wait()
                self._proc = None
                continue
            break
        rc = self._proc.poll() if self._proc else None
        state = f"did not answer HTTP within {timeout:.0f}s" if rc is None else f"exited with {rc}"
        raise WaybackError(
            f"wayback on {self.base} {state} (root {self.archive_root}); "
            f"log tail:\n{self.log_tail()}"
        )

    def _wait_ready(self, timeout: float) -> bool:
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            try:
                status, _, _ = self.get("/", timeout=2.0)
            except OSError:
                time.sleep(0.1)
                continue
            if status < 500:
                return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        """Terminate wayback, wait for it, close the log.  Idempotent."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            else:
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        self._cleanup_tmp()

    def _cleanup_tmp(self) -> None:
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> Wayback:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- HTTP --------------------------------------------------------------

    def get(
        self,
        path: str,
        *,
        accept_encoding: str = "identity",
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> tuple[int, dict[str, str], bytes]:
        """GET ``base + path``; return ``(status, headers, body)``.

        Redirects are returned, not followed; the body is returned exactly as
        sent (no Content-Encoding decoding; chunked framing is removed).
        ``accept_encoding`` is always sent -- it decides whether pywb hands
        back stored gzip bodies compressed (module docstring).
        """
        if not path.startswith("/"):
            path = "/" + path
        req_headers = {"Accept-Encoding": accept_encoding, **(headers or {})}
        req = urllib.request.Request(self.base + path, headers=req_headers, method="GET")
        try:
            with _OPENER.open(req, timeout=timeout) as resp:
                return resp.status, _headers_dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            with contextlib.closing(err):
                return err.code, _headers_dict(err.headers), err.read()
        except http.client.IncompleteRead as exc:
            # pywb forwards the *archived* Content-Length for id_; a record whose
            # stored header disagrees with its payload ends up here.
            raise WaybackError(
                f"GET {path}: body shorter than Content-Length ({exc!r}); "
                "is the archived Content-Length header wrong for the stored payload?"
            ) from exc

    def replay(
        self, coll: str, ts: str, url: str, modifier: str = "mp_", **kwargs: Any
    ) -> tuple[int, dict[str, str], bytes]:
        """``GET /<coll>/<ts><modifier>/<url>`` (``mp_``: rewritten page)."""
        return self.get(
            f"/{coll}/{ts}{modifier}/{urllib.parse.quote(url, safe=_URL_SAFE)}", **kwargs
        )

    def replay_raw(
        self, coll: str, ts: str, url: str, **kwargs: Any
    ) -> tuple[int, dict[str, str], bytes]:
        """The archived response for ``url`` nearest ``ts`` (14 digits), unrewritten (``id_``)."""
        return self.replay(coll, ts, url, modifier="id_", **kwargs)

    def cdx(self, coll: str, url: str, **params: str) -> list[dict[str, Any]]:
        """Rows of ``/<coll>/cdx?url=<url>&output=json`` (extra ``params`` such as
        ``matchType="prefix"``, ``limit="10"`` are passed through)."""
        query = urllib.parse.urlencode({"url": url, "output": "json", **params})
        status, _, body = self.get(f"/{coll}/cdx?{query}")
        if status != 200:
            raise WaybackError(f"CDX query {query!r} on {coll!r} -> HTTP {status}: {body[:500]!r}")
        return [json.loads(line) for line in body.decode("utf-8").splitlines() if line.strip()]
