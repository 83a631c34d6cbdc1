"""The service part of ``make chaos``: kill Celery workers and restart Redis mid-crawl.

The background service is run exactly as an operator runs it, from the command line
only: a private ``redis-server`` with an append-only file in a temporary directory
(``tests.support.redis.RedisServer(persist=True)``, a free loopback port, never :6379),
``storyvault outlets add URL``, ``storyvault worker`` twice (``--concurrency 2`` and
``--concurrency 1``, queues ``discover,fetch``) and ``storyvault beat``, each in its own
session, with ``--allow-private`` and a settings file (short leases and turns, no host
delay). The synthetic outlet and its cited hosts cut some first responses mid-body
(``tests.support.cuts.BodyCutter``).

Faults, at random points of the crawl (after a random number of requests served by the
outlet and its cited hosts, plus a few random milliseconds):

* ``--kills`` SIGKILLs of a Celery worker: of the busiest prefork pool process (Celery
  starts another), of the Celery main process (``storyvault worker`` itself, which
  becomes it; its pool processes are killed with it, as systemd's ``KillMode=mixed``
  does) or of the whole process group; this harness starts the worker again after a
  moment, as systemd's ``Restart=on-failure`` would;
* ``--redis-restarts`` restarts of redis-server on the same port and directory (SIGTERM,
  then SIGKILL, in turn). A worker or beat that exits with an error within a minute of
  one (Celery gives up on a broker connection lost at the wrong moment) is started again
  by the harness, as systemd would, and counted; one that exits at any other time is a
  failure.

Faults are spread over about one crawl of the outlet (as many requests as an embedded
crawl of it makes); if the crawl ends first, ``storyvault recrawl --outlet HOST`` gives
the service more work for the faults left.

When the crawl has run out of work (``storyvault status --json``: nothing queued or
leased, and the servers quiet), workers and beat get SIGTERM, and then:

* every WARC file passes ``warcio check`` (``.open`` files of killed workers must have
  been repaired by the live ones) and every outlet article and cited source of the
  outlet has a whole capture, as does every URL an embedded crawl of the same outlet
  captured whole (run first, without cuts, as the reference; the calendar trap's pages
  aside, since where the trap budget cuts that chain depends on the order of fetches);
* every ``storyvault.clean_version`` task on the Celery ``clean`` queue (read from
  Redis: no worker consumed it meanwhile) points to its record, whole; every version
  ``storyvault versions --json`` lists for an article has such a message, one version
  per story (the outlet never changes a story);
* a ``storyvault worker --queues clean`` then drains the queue: every version gets its
  clean document, with the fingerprint the message named.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from bench.chaos_checks import (
    Checks,
    check_captured,
    check_messages,
    check_versions,
    check_warcs,
    cli_versions,
)
from bench.service_bench import group_members, stop_group
from tests.support.cuts import BodyCutter
from tests.support.newsoutlet import OutletFixture, OutletSpec, start_outlet
from tests.support.redis import RedisServer

BIN = Path(sys.executable).parent
STORYVAULT = str(BIN / "storyvault")
CRAWL = [STORYVAULT, "crawl", "--allow-private", "--delay", "0"]
CLI_TIMEOUT = 60.0  # one `storyvault ...` command
WAIT_TIMEOUT = 90.0  # the crawl making progress to the next fault point, or going idle
CLEAN_QUEUES = ("clean", "clean\x06\x163", "clean\x06\x166", "clean\x06\x169")  # kombu priorities

SETTINGS = """\
# the service as the chaos runs it: short leases and turns so that a killed worker's
# host comes back in seconds; no per-host delay on loopback; one discovery pass
host_delay = 0.0
host_concurrency = 4
dispatch_every = 0.3
discover_every = 100000.0
lease_ttl = 4.0
batch_seconds = 3.0
warc_idle_seconds = 0.5
backoff_base = 0.05
"""


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def children_of(pid: int) -> list[int]:
    """Live (not zombie) child processes of ``pid``."""
    out = []
    for entry in os.listdir("/proc"):
        f = _stat(int(entry)) if entry.isdigit() else None
        if f is not None and int(f[1]) == pid and f[0] != "Z":
            out.append(int(entry))
    return out


def cpu_ticks(pid: int) -> int:
    f = _stat(pid)
    return int(f[11]) + int(f[12]) if f is not None else -1


@dataclass
class Fault:
    """One fault injected into the service, and what became of it."""

    kind: str  # "pool process" / "celery main" / "worker group" / "redis SIGTERM" / ...
    after: int  # requests to wait for after the fault before
    done: bool = False
    note: str = ""
    when: str = ""  # UTC time of the injection, to read beside the service's logs


@dataclass
class Worker:
    """One ``storyvault worker`` (a systemd unit, as it were)."""

    name: str
    concurrency: int
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    exited_by_itself: int = 0
    killed: bool = False


@dataclass
class Outcome:
    """What the service scenario did and found."""

    faults: list[Fault] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    checks: Checks = field(default_factory=Checks)
    seconds: float = 0.0


class Service:
    """Redis, two workers and beat, driven through the ``storyvault`` command line."""

    def __init__(self, work: Path, outcome: Outcome) -> None:
        self.work = work
        self.archive = work / "archive"
        self.config = work / "storyvault.toml"
        self.outcome = outcome
        self.redis = RedisServer(persist=True)
        self.workers = [Worker("worker-a", 2), Worker("worker-b", 1)]
        self.beat: subprocess.Popen[bytes] | None = None
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("STORYVAULT_")}
        self.env["STORYVAULT_METRICS_PORT"] = "0"  # two workers on one host
        self.redis_restarted_at = float("-inf")

    # -- processes

    def _cmd(self, *args: str) -> list[str]:
        """``storyvault --config FILE ARGS --allow-private`` (the file names the archive and
        Redis, as /etc/storyvault/storyvault.toml does for an operator)."""
        return [STORYVAULT, "--config", str(self.config), *args, "--allow-private"]

    def cli(self, *args: str, timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._cmd(*args),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with (self.work / f"{name}.log").open("ab") as log:
            return subprocess.Popen(
                self._cmd("--log-json", *args),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.work,
                start_new_session=True,
            )

    def start_worker(self, w: Worker, queues: str = "discover,fetch") -> None:
        w.proc = self._spawn(
            w.name, "worker", "--queues", queues, "--concurrency", str(w.concurrency)
        )
        w.starts += 1
        w.killed = False

    def start_beat(self) -> None:
        self.beat = self._spawn("beat", "beat")
        self.outcome.counts["beat exits (started again by the harness)"] += 0

    def __enter__(self) -> Service:
        self.work.mkdir(parents=True, exist_ok=True)
        self.redis.start()
        self.config.write_text(
            f"archive = {json.dumps(str(self.archive))}\n"
            f"redis_url = {json.dumps(self.redis.url)}\n{SETTINGS}",
            encoding="utf-8",
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()
        self.redis.stop()

    def stop_all(self, grace: float = 30.0) -> int:
        """SIGTERM to every worker and beat (a warm shutdown), SIGKILL to what is left of
        their process groups after ``grace`` (systemd's TimeoutStopSec); returns how many
        processes needed that SIGKILL."""
        procs = [p for p in (self.beat, *(w.proc for w in self.workers)) if p is not None]
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        end = time.monotonic() + grace
        while time.monotonic() < end and any(group_members(p.pid) for p in procs):
            for proc in procs:
                proc.poll()  # reap the leaders
            time.sleep(0.1)
        left = [pid for p in procs for pid in group_members(p.pid)]
        for proc in procs:
            stop_group(proc, 0)  # SIGKILL to the rest, and reap
        for w in self.workers:
            w.proc = None
        self.beat = None
        return len(left)

    def supervise(self) -> None:
        """Start again whatever exited by itself (systemd's ``Restart=on-failure``)."""
        after_redis = time.monotonic() - self.redis_restarted_at < 60
        for w in self.workers:
            if w.proc is not None and w.proc.poll() is not None and not w.killed:
                w.exited_by_itself += 1
                if not after_redis:
                    self.outcome.checks.fail(f"storyvault {w.name} exited {w.proc.returncode}")
                self.start_worker(w)
        if self.beat is not None and self.beat.poll() is not None:
            self.outcome.counts["beat exits (started again by the harness)"] += 1
            self.start_beat()

    # -- faults

    def pool_processes(self, w: Worker) -> tuple[int | None, list[int]]:
        """(Celery main pid, its pool processes) of one worker: ``storyvault worker``
        becomes the Celery main process."""
        if w.proc is None or w.proc.poll() is not None:
            return None, []
        return w.proc.pid, children_of(w.proc.pid)

    def busiest(self, rng: random.Random) -> tuple[Worker, int | None, int | None]:
        """(worker, its Celery main, its busiest pool process) by CPU over 50 ms."""
        pools = {w.name: self.pool_processes(w) for w in self.workers}
        before = {p: cpu_ticks(p) for _, kids in pools.values() for p in kids}
        time.sleep(0.05)
        ranked = sorted(
            ((cpu_ticks(p) - before[p], rng.random(), w, main, p)
             for w in self.workers for main, kids in [pools[w.name]] for p in kids),
            key=lambda t: t[:2],
        )  # fmt: skip
        if not ranked:
            return rng.choice(self.workers), None, None
        _, _, w, main, pid = ranked[-1]
        return w, main, pid

    def inject(self, fault: Fault, rng: random.Random) -> None:
        def now() -> str:
            return datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3]

        fault.when = now()
        if fault.kind.startswith("redis"):
            hard = fault.kind == "redis SIGKILL"
            t0 = time.monotonic()
            self.redis.restart(hard=hard)
            self.redis_restarted_at = time.monotonic()
            fault.done, fault.note = True, f"back in {time.monotonic() - t0:.2f} s"
            return
        w, main, child = self.busiest(rng)
        fault.when = now()  # the kill itself, after the 50 ms of sampling
        if fault.kind == "pool process" and child is not None:
            os.kill(child, signal.SIGKILL)
            fault.done, fault.note = True, f"{w.name} pool pid {child}"
        elif fault.kind == "celery main" and main is not None and w.proc is not None:
            w.killed = True
            os.kill(main, signal.SIGKILL)
            w.proc.wait(10)
            time.sleep(0.5)  # the pool processes notice their parent is gone
            with contextlib.suppress(ProcessLookupError):
                os.killpg(w.proc.pid, signal.SIGKILL)  # KillMode=mixed: the rest of the unit
            fault.done, fault.note = True, f"{w.name} celery pid {main}"
            time.sleep(rng.uniform(0.2, 2.0))  # RestartSec, shortened
            self.start_worker(w)
        elif w.proc is not None:  # "worker group", or no pool process to be found
            fault.kind = "worker group"
            w.killed = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(w.proc.pid, signal.SIGKILL)
            w.proc.wait(10)
            fault.done, fault.note = True, f"{w.name} pgid {w.proc.pid}"
            time.sleep(rng.uniform(0.2, 2.0))  # RestartSec, shortened
            self.start_worker(w)

    # -- observing

    def status(self) -> dict[str, Any] | None:
        try:
            result = self.cli("status", "--json")
        except subprocess.TimeoutExpired:
            return None
        if result.returncode != 0:
            return None
        status: dict[str, Any] = json.loads(result.stdout)
        return status

    def clean_messages(self) -> list[dict[str, Any]]:
        """The version messages of the ``storyvault.clean_version`` tasks on the Celery
        ``clean`` queue, read from Redis without taking them."""
        client = redis.Redis.from_url(self.redis.url)
        out = []
        try:
            for queue in CLEAN_QUEUES:
                for raw in client.lrange(queue, 0, -1):
                    envelope = json.loads(raw)
                    body = envelope["body"]
                    if envelope.get("properties", {}).get("body_encoding") == "base64":
                        body = base64.b64decode(body)
                    args, _kwargs, _embed = json.loads(body)
                    if envelope.get("headers", {}).get("task") == "storyvault.clean_version":
                        out.append(args[0])
        finally:
            client.close()
        return out

    def save_redis(self, where: Path) -> None:
        """A snapshot of Redis (``dump.rdb``) in ``where``, to look into afterwards."""
        client = redis.Redis.from_url(self.redis.url)
        try:
            client.save()
        finally:
            client.close()
        where.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.redis.dir / "dump.rdb", where / "dump.rdb")

    def clean_queue_length(self) -> int:
        """Tasks on the ``clean`` queue, and taken from it but not acknowledged yet."""
        client = redis.Redis.from_url(self.redis.url)
        try:
            waiting = sum(int(client.llen(q)) for q in CLEAN_QUEUES)
            # kombu's unacked hash: delivery tag -> [message, exchange, routing key]
            taken = [json.loads(v) for v in client.hvals("unacked")]
            return waiting + sum(1 for t in taken if t[2] in CLEAN_QUEUES)
        finally:
            client.close()


def served(fx: OutletFixture) -> int:
    return sum(len(s.requests) for s in (fx.outlet, *fx.cited))


def busy(status: dict[str, Any]) -> int:
    """Work the service has left, as ``storyvault status --json`` counts it."""
    queues, frontier = status["queues"], status["frontier"]
    return int(queues["discover"] + queues["fetch"] + frontier["queued_total"] + frontier["leased"])


def wait_served(fx: OutletFixture, target: int, svc: Service, *, idle_ok: bool = True) -> str:
    """Until the servers have answered ``target`` requests: "reached"; "idle" if the
    service ran out of work first (only if ``idle_ok``); "stalled" if no request came
    for ``WAIT_TIMEOUT`` s."""
    last, last_at, asked = served(fx), time.monotonic(), time.monotonic()
    while (now := served(fx)) < target:
        if now != last:
            last, last_at = now, time.monotonic()
        quiet = time.monotonic() - last_at
        if quiet > WAIT_TIMEOUT:
            return "stalled"
        if idle_ok and quiet > 5 and time.monotonic() - asked > 3:
            asked = time.monotonic()
            status = svc.status()
            if status is not None and not busy(status):
                return "idle"
        svc.supervise()
        time.sleep(0.01)
    return "reached"


def wait_idle(fx: OutletFixture, svc: Service, timeout: float) -> dict[str, Any] | None:
    """Until ``storyvault status`` shows nothing queued or leased three times in a row,
    with no request served meanwhile; the last status, or None on timeout."""
    end = time.monotonic() + timeout
    calm, count = 0, -1
    while time.monotonic() < end:
        svc.supervise()
        status = svc.status()
        now = served(fx)
        calm = calm + 1 if status is not None and not busy(status) and now == count else 0
        count = now
        if calm >= 3 and status is not None:
            return status
        time.sleep(1.0)
    return None


def baseline(fx: OutletFixture, cutter: BodyCutter, work: Path) -> tuple[int, set[str]]:
    """An embedded crawl of the outlet, cuts off: (requests it made, URLs it captured whole)."""
    from bench.chaos_checks import check_warcs

    cutter.paused = True
    before = served(fx)
    archive = work / "reference"
    try:
        subprocess.run(
            [*CRAWL, "--archive", str(archive), fx.url("/")],
            capture_output=True,
            timeout=CLI_TIMEOUT,
            check=True,
        )
    finally:
        cutter.paused = False
    requests = served(fx) - before
    by_id = check_warcs(archive, Checks())
    return requests, {r.uri for r in by_id.values() if r.complete_capture}


def plan(kills: int, redis_restarts: int, estimate: int, rng: random.Random) -> list[Fault]:
    """Faults at random request counts over most of a crawl of ``estimate`` requests, each
    at least one request after the one before (a crawl that waits for a lease to expire
    after a kill is not killed again meanwhile)."""
    kinds = rng.choices(["pool process", "celery main", "worker group"], [6, 1, 3], k=kills)
    kinds += [("redis SIGTERM", "redis SIGKILL")[i % 2] for i in range(redis_restarts)]
    points = sorted(rng.randint(3, max(4, int(0.85 * estimate))) for _ in kinds)
    gaps = [max(1, b - a) for a, b in zip([0, *points], points, strict=False)]
    rng.shuffle(kinds)
    return [Fault(kind, gap) for kind, gap in zip(kinds, gaps, strict=True)]


def run_service_chaos(
    work: Path,
    *,
    kills: int,
    redis_restarts: int,
    cut_rate: float,
    rng: random.Random,
    time_left: float,
    keep_redis: bool = False,
) -> Outcome:
    """The scenario of the module docstring; faults, counts and problems in the outcome."""
    started = time.monotonic()
    out = Outcome()
    checks = out.checks
    spec = OutletSpec(sections=3, articles_per_section=6, calendar_trap=True)
    cutter = BodyCutter(rate=cut_rate, attempts=1, seed=rng.randrange(1 << 30))
    with start_outlet(spec, middlewares=[cutter.middleware]) as fx, Service(work, out) as svc:
        estimate, reference = baseline(fx, cutter, work)
        out.counts["requests of the embedded reference crawl"] = estimate
        start_served = served(fx)
        added = svc.cli("outlets", "add", fx.url("/"))
        if added.returncode != 0:
            raise RuntimeError(f"storyvault outlets add: {added.stderr.strip()}")
        for w in svc.workers:
            svc.start_worker(w)
        svc.start_beat()
        if svc.status() is None:
            raise RuntimeError("storyvault status failed")
        discover = svc.cli("discover")
        if discover.returncode != 0:
            raise RuntimeError(f"storyvault discover: {discover.stderr.strip()}")
        out.faults = plan(kills, redis_restarts, estimate, rng)
        budget = started + time_left
        for n, fault in enumerate(out.faults, 1):
            if time.monotonic() > budget - 200:  # room to go idle, check and drain
                checks.fail(f"deadline: stopped after {n - 1} faults")
                break
            got = wait_served(fx, served(fx) + fault.after, svc)
            if got == "idle":  # the pass ended before every fault: queue its stories again
                out.counts["re-crawls queued (the pass ended first)"] += 1
                before = served(fx)  # the service may be done with it before the CLI is
                svc.cli("recrawl", "--outlet", fx.outlet.base.split("//")[1])
                got = wait_served(fx, before + rng.randint(1, 5), svc, idle_ok=False)
            if got != "reached":
                checks.fail(f"service {got} before fault {n}: no request for a while")
                break
            time.sleep(rng.uniform(0, 0.03))
            svc.inject(fault, rng)
            print(
                f"service fault {n:2}: {fault.kind:13} at request {served(fx) - start_served:4}"
                f"  {fault.when}  {fault.note}",
                flush=True,
            )
        last_fault = time.monotonic()
        final = wait_idle(fx, svc, max(30.0, min(180.0, budget - time.monotonic() - 60)))
        out.counts["seconds from the last fault to idle"] = round(time.monotonic() - last_fault)
        if final is None:
            checks.fail("the service did not run out of work: a hang")
        out.counts["requests served to the service"] = served(fx) - start_served
        out.counts["responses cut mid-body"] = len(cutter.cuts)
        out.counts["processes alive 30 s after SIGTERM"] = svc.stop_all()
        out.counts["storyvault worker starts (2 + after group kills)"] = sum(
            w.starts for w in svc.workers
        )
        out.counts["storyvault worker exits after a Redis restart (started again)"] = sum(
            w.exited_by_itself for w in svc.workers
        )
        log_counts(work, out)
        # the archive, the queue, the catalogue
        by_id = check_warcs(svc.archive, checks)
        cited = sorted({c for p in fx.site.article_urls() for c in fx.site.expected_cited(p)})
        check_captured(
            by_id,
            {
                "outlet articles": fx.article_urls(),
                "cited sources": cited,
                # the calendar trap's pages are cut by budgets in an order that varies
                "URLs of the embedded crawl": sorted(u for u in reference if "/calendar/" not in u),
            },
            checks,
        )
        messages = svc.clean_messages()
        announced = check_messages(
            svc.archive, messages, by_id, checks, where="clean queue", repeats_allowed=True
        )
        catalogued = cli_versions(svc._cmd("versions", "--json"), fx.article_urls(), checks)
        check_versions(catalogued, announced, by_id, checks)
        if keep_redis:
            svc.save_redis(work / "redis")
        drain(svc, messages, checks, out)
    out.seconds = time.monotonic() - started
    return out


def drain(svc: Service, messages: Sequence[dict[str, Any]], checks: Checks, out: Outcome) -> None:
    """A ``clean`` worker consumes the queue; every version gets its clean document."""
    cleaner = svc.workers[1]
    svc.start_worker(cleaner, queues="clean")
    end = time.monotonic() + WAIT_TIMEOUT
    while svc.clean_queue_length() and time.monotonic() < end:
        time.sleep(0.5)
    if svc.clean_queue_length():
        checks.fail(f"the clean queue still holds {svc.clean_queue_length()} tasks")
    svc.stop_all()
    from workers.versions.cleaner import clean_path

    verified = 0
    for msg in {m["message_id"]: m for m in messages}.values():
        path = clean_path(svc.archive, msg)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            checks.fail(f"{msg['url']} v{msg['version']}: no clean document ({exc})")
            continue
        if doc.get("fingerprint_verified") is not True or doc.get("url") != msg["url"]:
            checks.fail(f"{path.name} of {msg['url']}: {doc.get('fingerprint_verified')=}")
            continue
        verified += 1
    out.counts["clean documents, fingerprint verified"] = verified


#: events of the service's logs worth a row of the table: how it recovered
RECOVERY_EVENTS = {
    "warc_recovered": ".open files repaired by live workers",
    "frontier_retry": "URLs fetched again after their worker died",
    "lease_lost": "host leases lost by a live worker",
}


def log_counts(work: Path, out: Outcome) -> None:
    """How the service recovered, and the errors it logged (counted, not judged: the
    faults cause many)."""
    events: Counter[str] = Counter()
    recovered: Counter[str] = Counter({name: 0 for name in RECOVERY_EVENTS.values()})
    for path in sorted(work.glob("*.log")):
        for line in path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                if "Traceback" in line:
                    events["tracebacks outside the JSON log"] += 1
                continue
            if not isinstance(entry, dict):
                continue
            event = str(entry.get("event", ""))
            if event in RECOVERY_EVENTS:
                recovered[RECOVERY_EVENTS[event]] += 1
            if entry.get("level") in ("error", "critical"):
                events[event[:50]] += 1
    out.counts.update(recovered)
    out.counts["error lines in the service logs"] = sum(events.values())
    out.counts.update({f"  {k}": v for k, v in events.most_common(5)})
