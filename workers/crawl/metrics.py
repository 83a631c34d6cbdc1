"""Prometheus metrics of the crawl, with prometheus_client.

The engine counts what it does (fetches by status class, bytes, fetch errors by class,
robots.txt blocks, new versions) in this process's registry. Under Celery's prefork pool
each worker process writes its counters to files in ``PROMETHEUS_MULTIPROC_DIR``
(``storyvault worker`` sets it to ``ARCHIVE/state/metrics/<hostname>``), which
``storyvault metrics`` adds up; it also reads the service's state from Redis at each
scrape (frontier size, hosts ready, leased and backing off, pending messages, the age of
each outlet's last capture).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from workers.core.settings import Settings
from workers.state.redis_state import RedisState, text

FETCHES = Counter(
    "storyvault_fetches", "HTTP exchanges archived, by status class", ["status_class"]
)
FETCH_BYTES = Counter("storyvault_fetch_bytes", "Body bytes archived")
FETCH_ERRORS = Counter("storyvault_fetch_errors", "URLs whose fetch failed, by error", ["error"])
ROBOTS_BLOCKED = Counter("storyvault_robots_blocked", "URLs robots.txt disallowed")
VERSIONS = Counter("storyvault_versions", "New story versions catalogued")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def status_class(status: int) -> str:
    """ "2xx", "3xx", ... for an HTTP status."""
    return f"{status // 100}xx" if 100 <= status < 600 else "other"


def multiproc_dir(settings: Settings) -> Path:
    """Where this host's worker processes write their counters."""
    return settings.archive / "state" / "metrics" / socket.gethostname()


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
        yield _gauge("hosts_ready", "Hosts with due URLs, waiting for a turn", stats["ready_now"])
        yield _gauge("hosts_backing_off", "Hosts waiting for their delay", stats["backing_off"])
        yield _gauge("hosts_leased", "Hosts a worker holds", stats["leased"])
        client, keys = self.state.client, self.state.keys
        yield _gauge(
            "messages_pending",
            "Version messages not yet on the clean queue",
            int(client.zcard(keys.outbox_pending())),
        )
        age = GaugeMetricFamily(
            "storyvault_last_capture_age_seconds",
            "Seconds since each outlet host's last capture",
            labels=["host"],
        )
        from datetime import datetime

        for host, when in client.hgetall(keys.last_capture()).items():
            seen = datetime.fromisoformat(text(when)).timestamp()
            age.add_metric([text(host)], max(0.0, now - seen))
        yield age


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"storyvault_{name}", doc, value=value)


def registry_for(settings: Settings, state: RedisState | None) -> CollectorRegistry:
    """The registry ``storyvault metrics`` serves: the counters of this host's worker
    processes (or of this process), and the service's state when Redis is given."""
    registry = CollectorRegistry()
    folder = Path(os.environ.get(MULTIPROC_ENV) or multiproc_dir(settings))
    if folder.is_dir():
        MultiProcessCollector(registry, path=str(folder))  # type: ignore[no-untyped-call]
    else:
        for metric in (FETCHES, FETCH_BYTES, FETCH_ERRORS, ROBOTS_BLOCKED, VERSIONS):
            registry.register(metric)
    if state is not None:
        registry.register(ServiceCollector(state))
    return registry
