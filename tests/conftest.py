"""Shared fixtures: loopback HTTP servers, a private redis, a checked archive dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.support.redis import RedisServer
from tests.support.servers import LiveServer, hostile_app, outlet_app, serve
from tests.support.warc import assert_warcs_valid

CITED_HOSTS = ("127.0.0.2", "127.0.0.3")


@pytest.fixture
def outlet() -> Iterator[LiveServer]:
    """A well-behaved news outlet (:func:`outlet_app`) on 127.0.0.1."""
    yield from serve(LiveServer(outlet_app(), "127.0.0.1"))


@pytest.fixture
def hostile() -> Iterator[LiveServer]:
    """The misbehaving server (:func:`hostile_app`) on 127.0.0.1."""
    yield from serve(LiveServer(hostile_app(), "127.0.0.1"))


@pytest.fixture
def cited_hosts() -> Iterator[list[LiveServer]]:
    """Two more outlets, on 127.0.0.2 and 127.0.0.3, i.e. distinct hosts."""
    servers = [LiveServer(outlet_app(f"Cited Source {h}"), h) for h in CITED_HOSTS]
    started: list[LiveServer] = []
    try:
        for server in servers:
            started.append(server.start())
        yield started
    finally:
        for server in started:
            server.stop()
    for server in started:
        server.assert_no_errors()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A private, non-persistent redis-server for the whole session (never :6379)."""
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """URL of db 0 on the session redis, flushed (all dbs) before the test."""
    client = redis.Redis.from_url(redis_server.url)
    try:
        client.flushall()
    finally:
        client.close()
    return redis_server.url


@pytest.fixture
def archive_dir(tmp_path: Path) -> Iterator[Path]:
    """An empty ``archive`` directory; every WARC left in it must pass ``warcio check``."""
    path = tmp_path / "archive"
    path.mkdir()
    yield path
    assert_warcs_valid(path)
