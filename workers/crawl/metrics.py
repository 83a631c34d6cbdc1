"""Prometheus metrics of the crawl, with prometheus_client.

The engine counts what it does (fetches by status class, bytes, fetch errors by class,
robots.txt blocks, new versions) in this process's registry. Under Celery's prefork pool
each worker process writes its counters to files in ``PROMETHEUS_MULTIPROC_DIR``
(``storyvault worker`` sets it to ``ARCHIVE/state/metrics/<hostname>``), which
``storyvault metrics`` adds up; it also reads the service's state from Redis at each
scrape (frontier size and due URLs, hosts ready, leased and backing off, pending
messages, the age of each outlet host's last capture and last new version). Both count
the collection's WARC files still being written.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import structlog
from prometheus_client import CollectorRegistry, Counter, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from workers.core.settings import Settings
from workers.state.redis_state import RedisState, text
from workers.warc.root import warc_dir

log = structlog.get_logger(__name__)

FETCHES = Counter(
    "storyvault_fetches", "HTTP exchanges archived, by status class", ["status_class"]
)
FETCH_BYTES = Counter("storyvault_fetch_bytes", "Body bytes archived")
FETCH_ERRORS = Counter("storyvault_fetch_errors", "URLs whose fetch failed, by error", ["error"])
ROBOTS_BLOCKED = Counter("storyvault_robots_blocked", "URLs robots.txt disallowed")
VERSIONS = Counter("storyvault_versions", "New story versions catalogued")
WALLS = Counter(
    "storyvault_walls", "Story pages answered with a wall instead of the story, by kind", ["kind"]
)
CLEAN_SENT = Counter("storyvault_clean_sent", "Version messages sent to the clean queue")
CLEAN_DONE = Counter("storyvault_clean_done", "Version messages the cleaner has handled")
COUNTERS = (
    FETCHES,
    FETCH_BYTES,
    FETCH_ERRORS,
    ROBOTS_BLOCKED,
    VERSIONS,
    WALLS,
    CLEAN_SENT,
    CLEAN_DONE,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def status_class(status: int) -> str:
    """ "2xx", "3xx", ... for an HTTP status."""
    return f"{status // 100}xx" if 100 <= status < 600 else "other"


def multiproc_dir(settings: Settings) -> Path:
    """Where this host's worker processes write their counters: ``PROMETHEUS_MULTIPROC_DIR``
    if set (a pod's own emptyDir, say), else ``ARCHIVE/state/metrics/<hostname>``."""
    given = os.environ.get(MULTIPROC_ENV)
    return Path(given) if given else settings.archive / "state" / "metrics" / socket.gethostname()


def prepare_multiproc_dir(settings: Settings) -> Path:
    """The counter folder of this host's workers, without the files of processes that
    are gone (their counters end with them: Prometheus reads that as a reset)."""
    folder = multiproc_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*_*.db"):
        pid = old.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            old.unlink(missing_ok=True)
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ServiceCollector(Collector):
    """The service's state, read from Redis at each scrape."""

    def __init__(self, state: RedisState, now: float | None = None) -> None:
        self.state = state
        self._now = now

    def collect(self) -> Iterator[Metric]:
        now = time.time() if self._now is None else self._now
        stats = self.state.frontier_stats(now)
        yield _gauge("frontier_urls", "URLs queued in the frontier", sum(stats["queued"].values()))
        yield _gauge("frontier_due_urls", "Queued URLs whose time has come", self._due(now))
        yield _gauge("hosts_ready", "Hosts with due URLs, waiting for a turn", stats["ready_now"])
        yield _gauge("hosts_backing_off", "Hosts waiting for their delay", stats["backing_off"])
        yield _gauge("hosts_leased", "Hosts a worker holds", stats["leased"])
        client, keys = self.state.client, self.state.keys
        yield _gauge(
            "messages_pending",
            "Version messages not yet on the clean queue",
            int(client.zcard(keys.outbox_pending())),
        )
        for key, name, doc in (
            (keys.last_capture(), "last_capture", "Seconds since each host's last capture"),
            (keys.last_version(), "last_version", "Seconds since each host's last new version"),
        ):
            age = GaugeMetricFamily(f"storyvault_{name}_age_seconds", doc, labels=["host"])
            for host, when in client.hgetall(key).items():
                seen = datetime.fromisoformat(text(when)).timestamp()
                age.add_metric([text(host)], max(0.0, now - seen))
            yield age

    def _due(self, now: float) -> int:
        client, keys = self.state.client, self.state.keys
        hosts = client.smembers(keys.frontier_hosts())
        pipe = client.pipeline(transaction=False)
        for host in hosts:
            pipe.zcount(keys.frontier(text(host)), "-inf", repr(now))
        return sum(int(n) for n in pipe.execute())


class ArchiveCollector(Collector):
    """The collection's WARC files still being written (``.open``), read at each scrape:
    one stays open per worker process between turns; more, or old ones, mean a process
    died before it closed its file (a live worker repairs it)."""

    def __init__(self, settings: Settings) -> None:
        self.folder = warc_dir(settings.archive, settings.collection)

    def collect(self) -> Iterator[Metric]:
        files = list(self.folder.glob("*.open")) if self.folder.is_dir() else []
        yield _gauge("warc_files_open", "WARC files being written in the collection", len(files))


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"storyvault_{name}", doc, value=value)


def registry_for(settings: Settings, state: RedisState | None) -> CollectorRegistry:
    """The registry ``storyvault metrics`` serves: the counters of this host's worker
    processes (or of this process), and the service's state when Redis is given."""
    registry = CollectorRegistry()
    folder = multiproc_dir(settings)
    if folder.is_dir():
        MultiProcessCollector(registry, path=str(folder))  # type: ignore[no-untyped-call]
    else:
        for metric in COUNTERS:
            registry.register(metric)
    registry.register(ArchiveCollector(settings))
    if state is not None:
        registry.register(ServiceCollector(state))
    return registry


def serve(registry: CollectorRegistry, port: int, bind: str) -> Callable[[], None] | None:
    """Serve ``registry`` on http://BIND:PORT/metrics from a daemon thread; return the
    function that stops it, or None (logged) if the port is taken: the process holding
    it serves the same folder of counters (one per host)."""
    try:
        server, thread = start_http_server(port, addr=bind, registry=registry)
    except OSError as exc:
        log.warning("metrics_not_served", url=f"http://{bind}:{port}/metrics", error=str(exc))
        return None
    log.info("metrics_serving", url=f"http://{bind}:{port}/metrics")

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=5)

    return stop
