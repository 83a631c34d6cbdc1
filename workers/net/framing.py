"""Response framing: no byte past a response's declared length reaches aiohttp's parser.

storyvault never pipelines: it sends one request on a connection and waits for the whole
response before the next. So bytes that arrive after a response's declared
``Content-Length`` (and before the next request) are the server's fault. aiohttp's parser
would read them as the start of the next response and fail the whole exchange ("bad status
line"), losing the response that was fine. :class:`Framing` finds where each response
ends from its head (a pure state machine, no I/O); :class:`DeclaredLengthHandler` is
aiohttp's client protocol with that guard in front of its parser: the surplus is dropped,
counted in :attr:`DeclaredLengthHandler.overlong`, and the connection is never reused.

Chunked bodies, bodies read until close and heads it cannot read are passed through
untouched: aiohttp's parser frames those itself.
"""

from __future__ import annotations

from typing import Any, Literal

import structlog
from aiohttp.client_proto import ResponseHandler

log = structlog.get_logger(__name__)

MAX_HEAD = 256 * 1024  # past this a head is aiohttp's to refuse (max_line_size, ...)
_NO_BODY = frozenset({204, 304})

State = Literal["head", "body", "done", "pass"]


class Framing:
    """Splits what a connection receives into the response (kept) and a surplus (dropped).

    ``expect_response()`` is called as each request is sent; ``feed(data)`` returns
    ``(bytes for the parser, count of surplus bytes dropped)``.
    """

    def __init__(self) -> None:
        self.state: State = "head"
        self._head = bytearray()
        self._left = 0

    def expect_response(self) -> None:
        self.state = "head"
        self._head.clear()
        self._left = 0

    def feed(self, data: bytes) -> tuple[bytes, int]:
        keep = bytearray()
        while data:
            if self.state == "pass":
                keep += data
                break
            if self.state == "done":
                return bytes(keep), len(data)
            if self.state == "body":
                take = min(self._left, len(data))
                keep += data[:take]
                data = data[take:]
                self._left -= take
                if self._left == 0:
                    self.state = "done"
                continue
            before = len(self._head)  # "head": scan for its end, passing bytes through
            self._head += data
            end = self._head.find(b"\r\n\r\n")
            if end < 0:
                if len(self._head) > MAX_HEAD:
                    self.state = "pass"
                keep += data
                break
            in_head = end + 4 - before
            keep += data[:in_head]
            data = data[in_head:]
            head = bytes(self._head[: end + 4])
            self._head.clear()
            self._start_body(head)
        return bytes(keep), 0

    def _start_body(self, head: bytes) -> None:
        """Set the state for the body that follows ``head``."""
        lines = head.split(b"\r\n")
        parts = lines[0].split(None, 2)
        try:
            status = int(parts[1])
        except (IndexError, ValueError):
            self.state = "pass"  # not a status line: the parser will say so
            return
        if 100 <= status < 200:
            self.state = "head"  # an interim response; the real one follows
            return
        if status in _NO_BODY:
            self.state = "done"
            return
        lengths: set[bytes] = set()
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"transfer-encoding":
                self.state = "pass"
                return
            if name == b"content-length":
                lengths.add(value.strip())
        if len(lengths) != 1 or not next(iter(lengths)).isdigit():
            self.state = "pass"  # read until close, or a length the parser must refuse
            return
        self._left = int(next(iter(lengths)))
        self.state = "body" if self._left else "done"


class DeclaredLengthHandler(ResponseHandler):
    """aiohttp's client protocol behind a :class:`Framing` guard (see the module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.framing = Framing()
        self.overlong = 0  # surplus bytes dropped on this connection

    def set_response_params(self, **kwargs: Any) -> None:
        self.framing.expect_response()  # a request is about to be sent
        super().set_response_params(**kwargs)

    def data_received(self, data: bytes) -> None:
        if not data:  # aiohttp resuming decompression
            super().data_received(data)
            return
        keep, dropped = self.framing.feed(data)
        if dropped:
            self.overlong += dropped
            # never reused (what else it would send is unknown), even if it already is
            # back in the pool: the response itself is complete and buffered
            self.force_close()
            if self.transport is not None:
                self.transport.close()
            log.warning("overlong_body_dropped", bytes=dropped)
        if keep:
            super().data_received(keep)
