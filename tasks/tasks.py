"""Celery tasks: thin shells over engine functions (see tasks.celery_app).

Each decodes JSON-able arguments, calls the engine once and returns a small dict.
Per-process resources (Redis state, catalogue, this process's WARC writer) are opened
in the worker process on first use and closed at process shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from celery import signals
from redis.exceptions import LockError

from tasks.celery_app import app, app_settings
from workers.core.settings import Settings
from workers.crawl import metrics, service
from workers.crawl.host_turn import HostCrawler
from workers.state.redis_keys import Keys, pywb_index
from workers.state.redis_state import RedisState, connect
from workers.versions.catalogue import Catalogue
from workers.versions.cleaner import write_clean
from workers.versions.feeds import ChangeFeeds
from workers.versions.outbox import publish_changes
from workers.versions.redis_catalogue import RedisCatalogueStore
from workers.versions.reindex import reconcile
from workers.warc import cdxj
from workers.warc.writer import Archive

log = structlog.get_logger(__name__)


class CeleryOutbox:
    """Sends pending version messages as ``clean`` tasks once their WARC file is closed.

    One process of the service delivers at a time (a Redis lock): the process that
    closed a file and another's dispatch would otherwise both read the same pending
    messages and send each twice. Delivery stays at least once: a process that dies
    holding the lock lets it expire, and one that waits too long sends anyway."""

    LOCK_SECONDS = 60.0
    LOCK_WAIT = 15.0

    def __init__(self, catalogue: Catalogue, settings: Settings, lock: Any) -> None:
        self.catalogue = catalogue
        self.feeds = ChangeFeeds.for_settings(catalogue, settings)
        self.lock = lock

    @classmethod
    def on_redis(
        cls, catalogue: Catalogue, settings: Settings, client: Any, keys: Keys
    ) -> CeleryOutbox:
        lock = client.lock(
            keys.outbox() + ":lock", timeout=cls.LOCK_SECONDS, blocking_timeout=cls.LOCK_WAIT
        )
        return cls(catalogue, settings, lock)

    def deliver(self, closed_files: Iterable[str] | None = None) -> int:
        held = self.lock.acquire()
        try:
            return self._deliver(closed_files)
        finally:
            if held:
                with contextlib.suppress(LockError):  # expired meanwhile: nothing to give back
                    self.lock.release()

    def _deliver(self, closed_files: Iterable[str] | None) -> int:
        pending = self.catalogue.pending_messages(closed_files)
        if not pending:
            return 0
        # the change feeds first: if writing them fails, the messages stay pending
        publish_changes(self.feeds, closed_files, [body for _, body in pending])
        with app.producer_or_acquire() as producer:  # one connection for the whole batch
            for message_id, body in pending:
                clean_version.apply_async(args=[json.loads(body)], queue="clean", producer=producer)
                log.info("version_queued", message_id=message_id, queue="clean")
                metrics.CLEAN_SENT.inc()
        # a crash before this line sends the batch again: the cleaner is idempotent
        self.catalogue.mark_delivered([m for m, _ in pending], datetime.now(UTC))
        return len(pending)


@dataclass
class Resources:
    pid: int
    settings: Settings
    state: RedisState
    catalogue: Catalogue
    archive: Archive
    outbox: CeleryOutbox
    keys: Keys
    index_in_redis: Callable[[Path, list[str]], None]


_resources: Resources | None = None


def resources() -> Resources:
    """This process's resources (opened on first use; a forked child opens its own)."""
    global _resources
    if _resources is not None and _resources.pid == os.getpid():
        return _resources
    settings = app_settings()
    client = connect(settings.redis_url)
    keys = Keys(settings.redis_prefix)
    state = RedisState(client, settings.redis_prefix, host_cap=settings.host_holders)
    catalogue = Catalogue.for_settings(RedisCatalogueStore(client, settings.redis_prefix), settings)
    outbox = CeleryOutbox.on_redis(catalogue, settings, client, keys)
    archive = Archive(settings)

    def index_in_redis(_: Path, lines: list[str]) -> None:
        if lines:
            client.zadd(pywb_index(settings.collection), dict.fromkeys(lines, 0))

    archive.on_closed.append(index_in_redis)
    archive.on_closed.append(lambda *_: outbox.deliver([p.name for p in archive.closed_files]))
    _resources = Resources(
        os.getpid(), settings, state, catalogue, archive, outbox, keys, index_in_redis
    )
    repair_dead_files(_resources)
    threading.Thread(
        target=_rollover, args=(_resources,), name="warc-rollover", daemon=True
    ).start()
    return _resources


def _rollover(res: Resources) -> None:
    """This process's WARC file stays open across host turns; close it once idle or old
    (settings ``warc_idle_seconds``, ``warc_max_seconds``), and retry sending versions
    whose file is closed but whose message did not go (Redis or the broker was away)."""
    s = res.settings
    tick = max(0.05, min(1.0, s.warc_idle_seconds / 4))
    retry_every, last_retry = 10.0, time.monotonic()
    while True:
        time.sleep(tick)
        try:
            closed = res.archive.close_if_stale(s.warc_idle_seconds, s.warc_max_seconds)
            if not closed and time.monotonic() - last_retry >= retry_every:
                last_retry = time.monotonic()
                res.outbox.deliver([p.name for p in list(res.archive.closed_files)])
        except Exception:  # never let the thread die: the next tick tries again
            log.warning("warc_rollover_failed", exc_info=True)


def repair_dead_files(res: Resources) -> list[Path]:
    """Repair WARCs left ``.open`` by dead workers; index and catalogue what they hold."""
    repaired = res.archive.open()
    for path in repaired:
        res.index_in_redis(path, cdxj.index_warc(path))
    reconcile(repaired, res.catalogue, res.outbox)
    res.archive.reconciled(repaired)  # a repairer killed before this leaves them to the next
    return repaired


@signals.worker_process_shutdown.connect
def _close_resources(**_: Any) -> None:
    if _resources is not None and _resources.pid == os.getpid():
        _resources.archive.close()


@signals.worker_shutdown.connect
def _close_main(**_: Any) -> None:
    _close_resources()


@app.task(name="storyvault.discover_outlets")
def discover_outlets() -> dict[str, Any]:
    """Start a discovery pass over every registered outlet (beat, every 5 minutes)."""
    res = resources()
    return {"outlets": service.start_discovery(res.state, res.settings, datetime.now(UTC))}


@app.task(name="storyvault.dispatch")
def dispatch() -> dict[str, Any]:
    """Queue due re-crawls and send host turns for ready hosts (beat, every second)."""
    res = resources()
    repair_dead_files(res)
    service.deliver_closed(res.catalogue, res.archive.warc_dir, res.outbox)
    now = datetime.now(UTC)
    recrawls = service.queue_due_recrawls(res.state, res.catalogue, now)
    finished = res.state.finish_idle_crawls(grace=60.0)  # passes that are over
    if finished:
        log.info("crawls_finished", crawl_ids=finished)
    waiting = int(res.state.client.llen("fetch"))  # turns sent and not yet taken
    sent = service.turns_wanted(res.state, now, waiting)
    for _ in range(sent):
        crawl_host.apply_async(queue="fetch")
    return {"recrawls": recrawls, "turns_sent": sent, "crawls_finished": len(finished)}


@app.task(name="storyvault.crawl_host", bind=True)
def crawl_host(self: Any) -> dict[str, Any]:
    """One host's turn: lease a ready host, fetch its due URLs, release it."""
    res = resources()
    worker_id = f"{socket.gethostname()}:{os.getpid()}:{self.request.id}"
    crawler = HostCrawler(
        res.settings,
        list(service.registered_outlets(res.state)),
        state=res.state,
        archive=res.archive,
        catalogue=res.catalogue,
        worker_id=worker_id,
        outbox=res.outbox,
    )
    s = res.settings
    turn = asyncio.run(crawler.take_turn(lease_ttl=s.lease_ttl, batch_seconds=s.batch_seconds))
    # the WARC file stays open for the next turn (see _rollover)
    service.record_turn(res.state, turn, datetime.now(UTC))
    if turn.host is not None:  # keep going without waiting for beat
        wait = service.next_turn_in(res.state, turn.host, datetime.now(UTC))
        if wait is not None:
            crawl_host.apply_async(queue="fetch", countdown=wait or None)
    return turn.as_dict()


@app.task(name="storyvault.clean_version")
def clean_version(message: dict[str, Any]) -> dict[str, Any]:
    """The reference cleaner on the ``clean`` queue (idempotent by version)."""
    settings = app_settings()
    written, skipped = write_clean(settings.archive, [message])
    metrics.CLEAN_DONE.inc()
    return {"message_id": message.get("message_id"), "written": written, "skipped": skipped}
