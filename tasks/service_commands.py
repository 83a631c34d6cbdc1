"""Command handlers for the background service: worker, beat, outlets, status."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

import structlog

from workers.core.errors import ConfigError
from workers.core.settings import Settings, check_flag

log = structlog.get_logger(__name__)


def add_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    archive_options: Callable[..., None],
) -> None:
    p = sub.add_parser(
        "worker",
        help="run a Celery worker of the service",
        description="A Celery worker (tasks.celery_app) with the right queues "
        "and settings; `celery -A tasks.celery_app worker` works "
        "too. Needs STORYVAULT_REDIS_URL or --redis.",
    )
    p.add_argument(
        "--queues",
        default="discover,fetch,clean",
        help="comma-separated queues (default discover,fetch,clean)",
    )
    p.add_argument("--concurrency", type=int, default=2, help="worker processes (default 2)")
    p.add_argument(
        "--metrics-port",
        type=int,
        help="serve this host's Prometheus counters here (setting metrics_port, 9464; 0: off)",
    )
    _service_options(p, archive_options)
    p.set_defaults(handler=cmd_worker)

    p = sub.add_parser(
        "beat",
        help="run Celery beat (discovery and dispatch schedule)",
        description="Celery beat: outlet discovery every 5 min, dispatch of "
        "due re-crawls and host turns every second.",
    )
    _service_options(p, archive_options)
    p.set_defaults(handler=cmd_beat)

    p = sub.add_parser(
        "outlets",
        help="register, list or remove outlets",
        description="Outlets the service discovers and re-crawls.",
    )
    osub = p.add_subparsers(dest="outlets_command", required=True, metavar="ACTION")
    a = osub.add_parser("add", help="register an outlet")
    a.add_argument("url", metavar="URL")
    a.add_argument("--cite-depth", type=int, default=1)
    a.add_argument("--delay", type=float, help="seconds between requests to its host")
    a.add_argument("--scope", action="append", default=[], help="path prefix (repeatable)")
    _service_options(a, archive_options)
    a.set_defaults(handler=cmd_outlets_add)
    ls = osub.add_parser("list", help="list outlets")
    ls.add_argument("--json", action="store_true")
    _service_options(ls, archive_options)
    ls.set_defaults(handler=cmd_outlets_list)
    rm = osub.add_parser("remove", help="remove an outlet")
    rm.add_argument("url", metavar="URL")
    _service_options(rm, archive_options)
    rm.set_defaults(handler=cmd_outlets_remove)

    p = sub.add_parser(
        "discover",
        help="start a discovery pass over the outlets now",
        description="Queue outlet discovery now instead of waiting for beat.",
    )
    _service_options(p, archive_options)
    p.set_defaults(handler=cmd_discover)

    p = sub.add_parser(
        "health",
        help="is this node healthy: broker, archive, (--worker) its worker",
        description="Exit 0 if the broker answers and the archive takes a write (and, with "
        "--worker, a worker of this host answers a ping); else exit 1, one line per "
        "check. What containers and units use as their health check.",
    )
    p.add_argument("--worker", action="store_true", help="also ask this host's worker")
    p.add_argument("--json", action="store_true")
    _service_options(p, archive_options)
    p.set_defaults(handler=cmd_health)

    p = sub.add_parser(
        "metrics",
        help="serve Prometheus metrics of this host's workers and the service",
        description="Counters of this host's worker processes (fetches by status class, "
        "bytes, fetch errors, robots.txt blocks, versions) and the service's state read "
        "from Redis (frontier, hosts, pending messages, age of each outlet's last "
        "capture), on http://HOST:PORT/metrics; --once prints them and exits.",
    )
    p.add_argument("--port", type=int, default=9464, help="port to listen on (9464)")
    p.add_argument("--bind", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--once", action="store_true", help="print the metrics once and exit")
    _service_options(p, archive_options)
    p.set_defaults(handler=cmd_metrics)

    p = sub.add_parser(
        "status",
        help="queues, hosts, captures and workers of the service",
        description="Queue depths, hosts ready/leased/backing off, captures in "
        "the last hour, last capture per outlet, workers online.",
    )
    p.add_argument("--json", action="store_true")
    _service_options(p, archive_options)
    p.set_defaults(handler=cmd_status)


def _service_options(p: argparse.ArgumentParser, archive_options: Callable[..., None]) -> None:
    archive_options(p, redis=True)


def export_env(settings: Settings) -> None:
    """Hand the resolved settings to a worker process we start (it reads them from the
    environment: see tasks.celery_app)."""
    defaults = Settings(hostname=settings.hostname)
    for f in fields(Settings):
        value = getattr(settings, f.name)
        if value != getattr(defaults, f.name):
            if isinstance(value, tuple):
                value = ",".join(value)
            os.environ[f"STORYVAULT_{f.name.upper()}"] = str(value)


def _require_redis(settings: Settings) -> None:
    if not settings.redis_url:
        raise ConfigError(
            "the service needs Redis: set STORYVAULT_REDIS_URL or pass --redis redis://host:6379/0"
        )


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """Become a Celery worker (``exec``): SIGTERM then reaches Celery itself, whose warm
    shutdown lets the running host turns finish and closes the WARC files. Restarting a
    worker that died is the supervisor's job (systemd ``Restart=on-failure``, Compose
    ``restart:``, Kubernetes); nothing is lost meanwhile (leases expire, tasks are
    acknowledged late and idempotent)."""
    from workers.warc.root import write_backend_marker

    _require_redis(settings)
    if args.metrics_port is not None:
        port = check_flag("metrics_port", args.metrics_port, "--metrics-port")
        settings = settings.replace(metrics_port=port)
    # commands given this archive later must know its catalogue is in Redis
    marker = write_backend_marker(
        settings.archive,
        redis_url=settings.redis_url,
        redis_prefix=settings.redis_prefix,
        collection=settings.collection,
    )
    log.info("backend_marker_written", path=str(marker), redis_prefix=settings.redis_prefix)
    export_env(settings)
    from workers.crawl.metrics import MULTIPROC_ENV, prepare_multiproc_dir

    # each pool process writes its counters there; the worker's main process (and
    # `storyvault metrics`) add them up
    os.environ[MULTIPROC_ENV] = str(prepare_multiproc_dir(settings))
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "tasks.celery_app",
        "worker",
        "-Q",
        args.queues,
        "--concurrency",
        str(args.concurrency),
        "--without-mingle",
        "--without-gossip",
        "--loglevel",
        args.log_level.upper(),
        "-n",
        f"storyvault-{os.getpid()}@{socket.gethostname()}",
    ]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)
    return 0  # not reached


def cmd_beat(args: argparse.Namespace, settings: Settings) -> int:
    _require_redis(settings)
    from tasks.celery_app import configure

    app = configure(settings)
    schedule = settings.archive / "state" / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    app.start(["beat", "--schedule", str(schedule), "--loglevel", args.log_level.upper()])
    return 0


def _client(settings: Settings) -> Any:
    from workers.state.redis_state import connect

    _require_redis(settings)
    return connect(settings.redis_url)


def cmd_outlets_add(args: argparse.Namespace, settings: Settings) -> int:
    from workers.crawl import service
    from workers.net.fetch import check_url
    from workers.state.redis_state import RedisState

    check_url(args.url)
    check_flag("cite_depth", args.cite_depth, "--cite-depth")
    if args.delay is not None:
        check_flag("host_delay", args.delay, "--delay")
    options = {"cite_depth": args.cite_depth, "delay": args.delay, "scope": args.scope}
    state = RedisState(_client(settings), settings.redis_prefix)
    service.register_outlet(state, args.url, options)
    # its discovery starts now: the next dispatch (every second) sends the host turn
    started = service.start_discovery(state, settings, datetime.now(UTC), [args.url])
    print(f"outlet added: {args.url}" + ("; discovery queued" if started else ""))
    return 0


def cmd_outlets_list(args: argparse.Namespace, settings: Settings) -> int:
    from workers.state.redis_keys import Keys

    raw = _client(settings).hgetall(Keys(settings.redis_prefix).outlets())
    found = {k.decode(): json.loads(v) for k, v in sorted(raw.items())}
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        for url, options in found.items():
            print(f"{url}  {options}")
    return 0


def cmd_outlets_remove(args: argparse.Namespace, settings: Settings) -> int:
    from workers.state.redis_keys import Keys

    removed = _client(settings).hdel(Keys(settings.redis_prefix).outlets(), args.url)
    if not removed:
        raise ConfigError(f"{args.url}: not a registered outlet (see `storyvault outlets list`)")
    print(f"outlet removed: {args.url}")
    return 0


def cmd_discover(args: argparse.Namespace, settings: Settings) -> int:
    _require_redis(settings)
    from tasks.celery_app import configure

    configure(settings).send_task("storyvault.discover_outlets", queue="discover")
    print("discovery queued")
    return 0


def service_status(settings: Settings, *, ping_workers: bool = True) -> dict[str, Any]:
    """The numbers `storyvault status` shows."""
    from workers.state.redis_keys import Keys
    from workers.state.redis_state import RedisState

    client = _client(settings)
    keys = Keys(settings.redis_prefix)
    state = RedisState(client, settings.redis_prefix)
    frontier = state.frontier_stats()
    minute = int(time.time() // 60)
    hour = range(minute - 59, minute + 1)
    captures = sum(int(n or 0) for n in client.mget([keys.captures_minute(m) for m in hour]))
    errors = sum(int(n or 0) for n in client.mget([keys.errors_minute(m) for m in hour]))
    workers: list[str] = []
    if ping_workers:
        from tasks.celery_app import configure

        replies = configure(settings).control.ping(timeout=1.0) or []
        workers = sorted(name for reply in replies for name in reply)
    return {
        "queues": {q: int(client.llen(q)) for q in ("discover", "fetch", "clean")},
        "frontier": {**frontier, "queued_total": sum(frontier["queued"].values())},
        "captures_last_hour": captures,
        "errors_last_hour": errors,
        "last_capture": {
            k.decode(): v.decode() for k, v in client.hgetall(keys.last_capture()).items()
        },
        "outlets": sorted(k.decode() for k in client.hkeys(keys.outlets())),
        "workers": workers,
    }


def cmd_health(args: argparse.Namespace, settings: Settings) -> int:
    from workers.crawl.service import Check, health_checks

    checks = health_checks(settings)
    if args.worker and checks[0].ok:
        from tasks.celery_app import configure

        replies = configure(settings).control.ping(timeout=2.0) or []
        mine = sorted(n for r in replies for n in r if n.endswith("@" + socket.gethostname()))
        detail = ", ".join(mine) if mine else f"no worker of {socket.gethostname()} answered"
        checks.append(Check("worker", bool(mine), detail))
    if args.json:
        print(json.dumps([c.__dict__ for c in checks], indent=2))
    else:
        for check in checks:
            print(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    return 0 if all(c.ok for c in checks) else 1


def cmd_metrics(args: argparse.Namespace, settings: Settings) -> int:
    from prometheus_client import generate_latest

    from workers.crawl.metrics import registry_for, serve
    from workers.state.redis_state import RedisState

    state = RedisState(_client(settings), settings.redis_prefix) if settings.redis_url else None
    registry = registry_for(settings, state)
    if args.once:
        sys.stdout.write(generate_latest(registry).decode())
        return 0
    stop_serving = serve(registry, args.port, args.bind)
    if stop_serving is None:
        raise ConfigError(f"cannot listen on {args.bind}:{args.port}: give another --port")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    stop_serving()
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    status = service_status(settings)
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    print("queues:   " + ", ".join(f"{q} {n}" for q, n in status["queues"].items()))
    print(
        "frontier: "
        + ", ".join(f"{k} {v}" for k, v in status["frontier"].items() if not isinstance(v, dict))
    )
    print(
        f"last hour: {status['captures_last_hour']} captured, {status['errors_last_hour']} failed"
    )
    for outlet, when in status["last_capture"].items():
        print(f"  last capture {outlet}: {when}")
    print(f"workers online: {len(status['workers'])} {' '.join(status['workers'])}")
    return 0
