"""Tiny synchronous HTTP clients for tests -- loopback only, no proxies.

:func:`get` uses :mod:`http.client` (no redirects followed, no decompression,
no proxy environment variables honoured).  :func:`raw_get` speaks HTTP/1.1 on a
bare socket and returns every byte the server sent, for inspecting broken
framing.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["SimpleResponse", "get", "loopback_target", "raw_get"]


@dataclass(frozen=True)
class SimpleResponse:
    """A fully read response; ``headers`` keeps the last value of repeated names."""

    status: int
    reason: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup."""
        lname = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lname:
                return value
        return None


def loopback_target(url: str) -> tuple[str, int, str]:
    """Split an ``http://127.x.y.z:PORT/path?q`` URL; refuse non-loopback hosts."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or parts.hostname is None:
        raise ValueError(f"only http:// URLs are supported, not {url!r}")
    host = parts.hostname
    if ipaddress.ip_address(host) not in ipaddress.ip_network("127.0.0.0/8"):
        raise ValueError(f"refusing non-loopback host {host!r}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return host, parts.port or 80, path


def get(
    url: str, *, headers: Mapping[str, str] | None = None, timeout: float = 10.0
) -> SimpleResponse:
    """GET *url* with :mod:`http.client` and read the whole body."""
    host, port, path = loopback_target(url)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=dict(headers or {}))
        resp = conn.getresponse()
        try:
            body = resp.read()
        finally:
            resp.close()
        return SimpleResponse(resp.status, resp.reason, dict(resp.getheaders()), body)
    finally:
        conn.close()


def raw_get(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    max_bytes: int = 64 * 1024 * 1024,
) -> bytes:
    """Send a ``Connection: close`` GET and return all bytes received until EOF.

    Stops early (and closes the socket) once *max_bytes* have been read.
    """
    host, port, path = loopback_target(url)
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    received = bytearray()
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(request)
        while len(received) < max_bytes:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    return bytes(received)
