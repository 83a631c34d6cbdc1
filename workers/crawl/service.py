"""What the background service does, as engine functions the Celery tasks call.

Each function takes the shared state (and the catalogue) and returns plain numbers, so
a task stays a thin shell (tasks/tasks.py) and the ops CLI can call the same function
(``storyvault outlets add`` starts the outlet's discovery at once).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import redis
import structlog

from workers.core.errors import ConfigError, StateError
from workers.core.settings import Settings
from workers.core.types import FrontierItem
from workers.crawl.engine import Delivery
from workers.crawl.host_turn import TurnResult
from workers.parse.urls import host_of
from workers.state.redis_keys import CAPTURES_MINUTE_TTL, Keys
from workers.state.redis_state import RedisState, text
from workers.versions.catalogue import Catalogue, iso

log = structlog.get_logger(__name__)

RECRAWL_HOLD = timedelta(days=365)  # a queued re-crawl is not due again until applied


def registered_outlets(state: RedisState) -> dict[str, dict[str, Any]]:
    """Registered outlets: URL -> options."""
    raw = state.client.hgetall(state.keys.outlets())
    return {text(k): json.loads(v) for k, v in raw.items()}


def register_outlet(state: RedisState, url: str, options: dict[str, Any]) -> None:
    state.client.hset(state.keys.outlets(), url, json.dumps(options))


def start_discovery(
    state: RedisState, settings: Settings, now: datetime, urls: list[str] | None = None
) -> list[str]:
    """Queue a discovery pass of ``urls`` (default: every registered outlet); one pass per
    outlet per ``discover_every`` period, so running it twice starts nothing more.
    Returns the outlets whose pass started now."""
    bucket = int(now.timestamp() // max(1.0, settings.discover_every))
    started = []
    for url in urls if urls is not None else list(registered_outlets(state)):
        crawl_id, _ = state.begin_crawl([f"discover:{url}:{bucket}"])
        if state.add_url(crawl_id, FrontierItem.seed(url)):
            started.append(url)
    if started:
        log.info("discovery_started", outlets=started)
    return started


def queue_due_recrawls(state: RedisState, catalogue: Catalogue, now: datetime) -> int:
    """Queue the re-crawl of every registered outlet's story that is due; how many."""
    hosts = {host_of(u) for u in registered_outlets(state)}
    due = [s for s in catalogue.due(now) if s.outlet in hosts]
    if not due:
        return 0
    crawl_id, _ = state.begin_crawl([f"recrawl:{int(now.timestamp() // 60)}"])
    for story in due:
        state.add_url(crawl_id, FrontierItem.recrawl(story.url))
        # not due again until this capture is applied, which reschedules it
        catalogue.store.set_next_due(story.story_id, iso(now + RECRAWL_HOLD))
    return len(due)


def deliver_closed(catalogue: Catalogue, warc_dir: Path, outbox: Delivery) -> int:
    """Send the pending version messages whose WARC file is closed, whichever worker
    process closed it (one killed between closing a file and sending its messages leaves
    them pending; the archive folder is shared). Returns how many were sent."""
    files = {f for _, _, f in catalogue.store.pending_messages()}
    closed = [f for f in files if (warc_dir / f).is_file()]
    return outbox.deliver(closed) if closed else 0


def turns_wanted(state: RedisState, now: datetime, waiting: int) -> int:
    """How many more host turns to send: hosts ready to lease or to share, and hosts a
    dead worker held, less the turns already ``waiting`` in the broker."""
    stats = state.frontier_stats()
    ready = stats["ready_now"] + stats["joinable"]
    ready += state.expired_leases(now.timestamp())
    return max(0, ready - waiting)


def next_turn_in(state: RedisState, host: str | None, now: datetime) -> float | None:
    """When a turn that just ended should send the next one: now (0.0) if a host is
    ready, at the host's next allowed time if it still has queued URLs, else None. A
    host's turns follow each other at its own pace, not at beat's dispatch tick."""
    stats = state.frontier_stats()
    if stats["ready_now"] + stats["joinable"]:
        return 0.0
    if host is None or not stats["queued"].get(host):
        return None
    return max(0.0, state.host_next_at(host) - now.timestamp())


def record_turn(state: RedisState, turn: TurnResult, now: datetime) -> None:
    """Count a turn's captures and errors per minute, the host's last capture (what
    ``storyvault status`` shows) and last new version (for the metrics)."""
    if not turn.urls:
        return
    keys: Keys = state.keys
    minute = int(now.timestamp() // 60)
    pipe = state.client.pipeline(transaction=False)
    for key, n in (
        (keys.captures_minute(minute), turn.urls - turn.errors),
        (keys.errors_minute(minute), turn.errors),
    ):
        if n > 0:
            pipe.incrby(key, n)
            pipe.expire(key, CAPTURES_MINUTE_TTL)
    if turn.host:
        pipe.hset(keys.last_capture(), turn.host, now.isoformat())
        if turn.new_versions:
            pipe.hset(keys.last_version(), turn.host, now.isoformat())
    pipe.execute()


@dataclass(frozen=True)
class Check:
    """One health check: what was checked, whether it passed, and what was seen."""

    name: str
    ok: bool
    detail: str


def health_checks(settings: Settings) -> list[Check]:
    """Whether the broker answers and the archive takes a write (what a container's or a
    unit's health check asks; the worker's own node is asked by the task layer)."""
    return [_broker_check(settings), _archive_check(settings)]


def _broker_check(settings: Settings) -> Check:
    from workers.state.redis_state import connect, url_of

    if not settings.redis_url:
        return Check("broker", False, "no Redis URL: set STORYVAULT_REDIS_URL or pass --redis")
    try:
        client = connect(settings.redis_url)
    except (StateError, ConfigError) as exc:
        return Check("broker", False, str(exc))
    try:
        client.ping()
        return Check("broker", True, url_of(client))
    except redis.RedisError as exc:
        return Check("broker", False, f"{url_of(client)}: {exc}")
    finally:
        client.close()


def _archive_check(settings: Settings) -> Check:
    probe = settings.archive / "state" / f".health-{os.getpid()}"
    try:
        probe.parent.mkdir(parents=True, exist_ok=True)
        with probe.open("wb") as fh:
            fh.write(b"ok")
            fh.flush()
            os.fsync(fh.fileno())
        probe.unlink()
    except OSError as exc:
        return Check("archive", False, f"{settings.archive}: cannot write ({exc})")
    return Check("archive", True, f"{settings.archive} writable")
