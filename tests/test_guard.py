"""The address guard refuses private and reserved targets unless explicitly allowed."""

from __future__ import annotations

import asyncio
import http.server
import socket
import threading
from pathlib import Path

import pytest

from tests.support.servers import LiveServer
from workers.core.errors import BlockedAddressError, UnsupportedSchemeError
from workers.core.settings import Settings
from workers.net.fetch import Fetcher, fetch_all
from workers.net.guard import forbidden_reason, literal_refusal


def fetch(url: str, allow_private: bool) -> tuple[list[int], Exception | None]:
    async def run() -> tuple[list[int], Exception | None]:
        settings = Settings(
            archive=Path("unused"), allow_private=allow_private, max_retries=0, connect_timeout=2
        )
        async with Fetcher(settings) as fetcher:
            exchanges, error = await fetch_all(fetcher, url)
        for ex in exchanges:
            ex.close()
        return [ex.status for ex in exchanges], error

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.0.0.1", "private"),
        ("192.168.1.10", "private"),
        ("169.254.169.254", "metadata"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),
        ("100.64.0.1", "address"),
    ],
)
def test_forbidden_addresses(address: str, reason: str) -> None:
    found = forbidden_reason(address)
    assert found is not None and reason in found


def test_public_addresses_pass() -> None:
    assert forbidden_reason("93.184.216.34") is None
    assert forbidden_reason("2606:2800:220:1:248:1893:25c8:1946") is None


@pytest.mark.parametrize("host", ["10.0.0.1", "169.254.169.254", "127.0.0.1", "[::1]"])
def test_literal_refusal_is_lifted_only_when_allowed(host: str) -> None:
    assert literal_refusal(host, allow_private=False) is not None
    assert literal_refusal(host, allow_private=True) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/",
        "http://localhost:9/",
    ],
)
def test_fetch_refuses_private_targets_by_default(url: str) -> None:
    statuses, error = fetch(url, allow_private=False)
    assert statuses == []
    assert isinstance(error, BlockedAddressError)
    assert url in str(error) and "--allow-private" in str(error)


def test_a_name_resolving_to_loopback_is_refused_then_allowed(outlet: LiveServer) -> None:
    # "localhost" is a name, not a literal: the guard must act on the resolved address
    url = f"http://localhost:{outlet.port}/plain"
    statuses, error = fetch(url, allow_private=False)
    assert isinstance(error, BlockedAddressError) and statuses == []
    assert outlet.requests_for("/plain") == []
    statuses, error = fetch(url, allow_private=True)
    assert error is None and statuses == [200]


def test_loopback_literals_are_allowed_when_allowed(outlet: LiveServer) -> None:
    statuses, error = fetch(outlet.url("/plain"), allow_private=True)
    assert error is None and statuses == [200]


def test_ipv6_loopback_allowed_when_allowed() -> None:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    class Server6(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6

    try:
        server = Server6(("::1", 0), Handler)
    except OSError as exc:
        pytest.skip(f"cannot bind ::1 here: {exc}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://[::1]:{server.server_address[1]}/"
        statuses, error = fetch(url, allow_private=False)
        assert isinstance(error, BlockedAddressError) and statuses == []
        statuses, error = fetch(url, allow_private=True)
        assert error is None and statuses == [200]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("url", ["ftp://example.org/x", "file:///etc/passwd", "gopher://x/"])
def test_other_schemes_are_refused(url: str) -> None:
    _, error = fetch(url, allow_private=True)
    assert isinstance(error, UnsupportedSchemeError)
