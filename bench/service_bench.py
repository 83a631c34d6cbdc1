"""The distributed run of ``make bench``: the background service on a private redis-server.

Exactly what an operator runs (see ``tests/test_service.py``): a throw-away
``redis-server`` on a free loopback port (``tests.support.redis.RedisServer``, never the
shared :6379), one ``storyvault worker --concurrency N`` (N worker processes) and
``storyvault beat``, each in its own session so that the whole process group can be
stopped; then the command that starts the crawl (``storyvault outlets add URL``, which
queues the outlet's discovery, or ``storyvault discover`` for an outlet added before) and
a wait until the service is idle: queues empty, frontier ``queued_total`` 0, no host
leased.

Two ends are taken. The crawl is *done* when the frontier is empty, no host is leased,
the ``discover`` and ``fetch`` queues are empty and every new version has been sent to
the ``clean`` queue (the outbox has nothing pending): the point where the embedded crawl
ends, its messages in ``queue/clean.jsonl``. The service is *drained* when the reference
cleaner has also consumed the ``clean`` queue, work the embedded crawl does not do. The
ratio against the embedded crawl is taken at *done*; *drained* is reported beside it.

Each measured wall time runs from the spawn of that command to the first of a
streak of idle observations (polled every ``POLL_S`` in-process with the numbers
``storyvault status --json`` shows: queue lengths and ``RedisState.frontier_stats``,
without its 1 s worker ping and its per-minute capture counters); the streak must
last ``CALM_S`` with the server answering no request, so a gap between two host turns is
not taken for the end. Workers and beat are started, and answer a ping, before the clock
starts: a service is warm when an outlet's discovery pass begins.

CPU seconds are those of every process of the worker's and beat's sessions and of
redis-server during the measured interval (``/proc``, children reaped meanwhile included).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.redis import RedisServer  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") / 1024
POLL_S = 0.2
CALM_S = 1.5


# -- /proc ----------------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def processes_of(sessions: set[int], extra: frozenset[int] | set[int] = frozenset()) -> list[int]:
    """Live processes in ``sessions`` (session ids) plus ``extra`` pids."""
    out = []
    for pid in _pids():
        fields = _stat(pid)
        if fields is None:
            continue
        if pid in extra or int(fields[3]) in sessions:
            out.append(pid)
    return out


def cpu_of(pids: list[int]) -> dict[int, float]:
    """utime+stime+cutime+cstime of each pid, seconds (children reaped so far included)."""
    out = {}
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            out[pid] = sum(int(x) for x in fields[11:15]) / TICKS
    return out


def rss_mb(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            total += int(fields[21]) * PAGE_KB / 1024
    return total


def group_members(pgid: int) -> list[int]:
    return [pid for pid in _pids() if (f := _stat(pid)) is not None and int(f[2]) == pgid]


def stop_group(proc: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """SIGTERM to the process group (warm shutdown), SIGKILL to whatever is left."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)
    if group_members(proc.pid):  # the leader, or children it left behind
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):  # unkillable: nothing more to do
        proc.wait(10)


# -- the service ----------------------------------------------------------------------------


@dataclass
class ServiceMeasure:
    wall_s: float = 0.0
    timed_out: bool = False
    ok: bool = True
    note: str = ""
    cpu_s: float = 0.0
    cpu_detail: dict[str, float] = field(default_factory=dict)
    rss_mb: float = 0.0
    status: dict[str, Any] = field(default_factory=dict)
    discover_s: float = 0.0  # wall of the begin command (`storyvault discover`) itself
    t0_epoch: float = 0.0  # wall clock at the spawn of the begin command
    redis_calls: dict[str, int] = field(default_factory=dict)  # commands run meanwhile
    redis_usec: int = 0  # redis-server's own time executing them
    end_epoch: float = 0.0  # wall clock when the crawl was done
    drained_s: float = 0.0  # from discover until the clean queue was consumed too


class Service:
    """A private redis-server, one ``storyvault worker`` and ``storyvault beat``."""

    def __init__(
        self,
        *,
        work: Path,
        env: dict[str, str],
        worker_concurrency: int,
        log_level: str = "INFO",
    ) -> None:
        self.work = work
        self.base_env = env
        self.worker_concurrency = worker_concurrency
        self.log_level = log_level
        self.storyvault = str(Path(sys.executable).with_name("storyvault"))
        self.redis: RedisServer | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.beat: subprocess.Popen[bytes] | None = None
        self.env: dict[str, str] = {}
        self.archive = work / "archive"

    # -- lifecycle

    def __enter__(self) -> Service:
        self.work.mkdir(parents=True, exist_ok=True)
        self.redis = RedisServer().start()
        self.env = {
            **self.base_env,
            "STORYVAULT_REDIS_URL": self.redis.url,
            "STORYVAULT_ARCHIVE": str(self.archive),
        }
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        for proc in (self.beat, self.worker):
            if proc is not None:
                stop_group(proc)
        self.beat = self.worker = None
        if self.redis is not None:
            self.redis.stop()
            self.redis = None

    def cli(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.storyvault, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            stdin=subprocess.DEVNULL,
            cwd=self.work,
        )

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with (self.work / f"{name}.log").open("wb") as log:
            return subprocess.Popen(
                [self.storyvault, "--log-level", self.log_level, *args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.work,
                start_new_session=True,
            )

    def start(self, outlet: str | None, timeout: float) -> None:
        """Register the outlet (unless None: then ``measure`` may add it), start worker
        and beat, wait until the worker answers."""
        if outlet is not None:
            added = self.cli("outlets", "add", outlet)
            if added.returncode != 0:
                raise RuntimeError(f"storyvault outlets add failed: {added.stderr.strip()}")
        self.worker = self._spawn("worker", "worker", "--concurrency", str(self.worker_concurrency))
        self.beat = self._spawn("beat", "beat")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            status = self.cli("status", "--json", timeout=max(5.0, deadline - time.monotonic()))
            if status.returncode == 0 and json.loads(status.stdout).get("workers"):
                return
            time.sleep(0.3)
        raise TimeoutError("storyvault worker did not answer a ping in time")

    def _check_alive(self) -> None:
        for name, proc in (("worker", self.worker), ("beat", self.beat)):
            if proc is not None and proc.poll() is not None:
                tail = (self.work / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"storyvault {name} exited ({proc.returncode}):\n{tail}")

    # -- measurement

    def _busy(self) -> tuple[Callable[[], tuple[int, int, dict[str, Any]]], Any]:
        """A probe: (work left: queued, leased, unsent and clean tasks; the clean tasks of
        it; the numbers behind them), as `status` counts them; and its client, to close."""
        from workers.core.settings import Settings
        from workers.state.redis_state import RedisState, connect

        assert self.redis is not None
        settings = Settings(redis_url=self.redis.url, archive=self.archive)
        client = connect(settings.redis_url)
        state = RedisState(client, settings.redis_prefix)

        def probe() -> tuple[int, int, dict[str, Any]]:
            """(crawl work left, of which clean tasks, the numbers behind them)."""
            pipe = client.pipeline(transaction=False)
            for q in ("discover", "fetch", "clean"):
                pipe.llen(q)
            pipe.zcard(state.keys.outbox_pending())
            *queues, pending = [int(n) for n in pipe.execute()]
            frontier = state.frontier_stats()
            queued = sum(frontier["queued"].values())
            numbers = {
                "queues": queues,
                "queued_total": queued,
                "leased": frontier["leased"],
                "outbox_pending": pending,
            }
            return sum(queues) + queued + int(frontier["leased"]) + pending, queues[2], numbers

        return probe, client

    def _commandstats(self) -> tuple[dict[str, int], int]:
        """Commands redis-server has run so far, by name (our polling included), and its
        time executing them (microseconds)."""
        import redis

        assert self.redis is not None
        client = redis.Redis.from_url(self.redis.url)
        try:
            stats = client.info("commandstats")
        finally:
            client.close()
        calls = {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items()}
        return calls, sum(int(v["usec"]) for v in stats.values())

    def measure(
        self,
        served: Callable[[], int],
        timeout: float,
        begin: tuple[str, ...] = ("discover",),
    ) -> ServiceMeasure:
        """Run ``storyvault BEGIN...`` (by default ``discover``; ``outlets add URL`` also
        queues a discovery), then wait for idle; ``served()`` counts server requests."""
        assert self.worker is not None and self.beat is not None and self.redis is not None
        probe, client = self._busy()
        try:
            return self._measure(probe, served, timeout, begin)
        finally:
            client.close()

    def _measure(
        self,
        probe: Callable[[], tuple[int, int, dict[str, Any]]],
        served: Callable[[], int],
        timeout: float,
        begin: tuple[str, ...],
    ) -> ServiceMeasure:
        assert self.worker is not None and self.beat is not None and self.redis is not None
        sessions = {self.worker.pid, self.beat.pid}
        redis_pid = self.redis.pid or -1
        pids = processes_of(sessions, {redis_pid})
        cpu0 = cpu_of(pids)
        calls0, usec0 = self._commandstats()
        result = ServiceMeasure()
        t0 = time.monotonic()
        result.t0_epoch = time.time()
        discover = self.cli(*begin)
        result.discover_s = round(time.monotonic() - t0, 3)
        if discover.returncode != 0:
            what = " ".join(begin)
            raise RuntimeError(f"storyvault {what} failed: {discover.stderr.strip()}")
        deadline = t0 + timeout
        idle_since: float | None = None  # of the crawl (clean tasks aside)
        idle_count = -1
        status: dict[str, Any] = {}
        end = drained = None
        while time.monotonic() < deadline:
            now = time.monotonic()
            busy, cleaning, status = probe()
            if busy - cleaning:
                idle_since = None
            else:
                count = served()
                if count == 0:  # the discovery task has not queued the seed yet
                    idle_since = None
                elif idle_since is None or count != idle_count:
                    idle_since, idle_count = now, count
                elif now - idle_since >= CALM_S:
                    end = idle_since if end is None else end
                    if not cleaning:
                        drained = now
                        break
            self._check_alive()
            pids = sorted(set(pids) | set(processes_of(sessions, {redis_pid})))
            time.sleep(POLL_S)
        t1 = time.monotonic()
        cpu1 = cpu_of(pids)
        calls1, usec1 = self._commandstats()
        calls = {k: n - calls0.get(k, 0) for k, n in calls1.items()}
        result.redis_calls = dict(
            sorted(((k, n) for k, n in calls.items() if n), key=lambda kv: -kv[1])
        )
        result.redis_usec = usec1 - usec0
        if end is None or drained is None:
            result.timed_out, result.ok = True, False
            result.note = f"not idle after {timeout:.0f} s: {json.dumps(status)}"
            end = t1 if end is None else end
        result.wall_s = end - t0
        result.drained_s = round((drained or t1) - t0, 3)
        result.end_epoch = result.t0_epoch + result.wall_s
        # CPU over [t0, t1]: the calm tail costs next to nothing (beat's dispatch ticks)
        # the worker's session: supervisor (`storyvault worker`) > celery main > pool processes
        parents = {pid: int(f[1]) for pid in cpu1 if (f := _stat(pid)) is not None}
        celery_main = {pid for pid, pp in parents.items() if pp == self.worker.pid}
        pool = {pid for pid, pp in parents.items() if pp in celery_main}
        worker_pids = set(processes_of({self.worker.pid}))
        by = {"workers": 0.0, "pool": 0.0, "celery_main": 0.0, "beat": 0.0, "redis": 0.0}
        for pid, c1 in cpu1.items():
            delta = c1 - cpu0.get(pid, 0.0)
            key = "redis" if pid == redis_pid else "workers" if pid in worker_pids else "beat"
            by[key] += delta
            if pid in pool:
                by["pool"] += delta
            elif pid in celery_main:
                by["celery_main"] += delta
        result.cpu_detail = {k: round(v, 2) for k, v in by.items()}
        result.cpu_s = by["workers"] + by["beat"] + by["redis"]
        result.rss_mb = rss_mb(processes_of(sessions, {redis_pid}))
        final = self.cli("status", "--json")
        result.status = json.loads(final.stdout) if final.returncode == 0 else status
        return result


# -- where the time went ----------------------------------------------------------------------


def turn_analysis(
    log: Path, t_start: float | None = None, t_end: float | None = None
) -> dict[str, Any]:
    """From the worker's JSON log: host turns, how long they took, how busy the pool was.

    Celery logs ``Task storyvault.crawl_host[...] succeeded in Xs: {...}`` for each turn;
    the log line's timestamp is the task's end, so each turn spans [end - runtime, end].
    The crawler logs ``fetched`` once per fetch: a turn's fetching runs from its first
    to its last ``fetched`` line; what follows in the turn is closing the WARC file,
    indexing it into Redis and sending one ``clean`` task per new version. (With one host
    the turns run one after the other; with several, a turn's window can hold another
    turn's fetches, so the split is approximate there.)
    """
    import bisect

    tasks: dict[str, list[tuple[float, float, dict[str, Any]]]] = {}
    events: Counter[str] = Counter()
    fetched: list[float] = []
    for raw in log.read_text(errors="replace").splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(line, dict):
            continue
        events[str(line.get("event", ""))[:60]] += 1
        msg = str(line.get("event", ""))
        if msg == "fetched" and "timestamp" in line:
            with contextlib.suppress(ValueError):
                fetched.append(datetime.fromisoformat(str(line["timestamp"])).timestamp())
            continue
        if not msg.startswith("Task storyvault.") or " succeeded in " not in msg:
            continue
        name = msg.split("[", 1)[0].removeprefix("Task storyvault.")
        try:
            runtime = float(msg.split(" succeeded in ", 1)[1].split("s:", 1)[0])
            end = datetime.fromisoformat(str(line["timestamp"])).timestamp()
        except (KeyError, ValueError, IndexError):
            continue
        ret: dict[str, Any] = {}
        tail = msg.split("s: ", 1)[1] if "s: " in msg else ""
        if name == "crawl_host" and tail.startswith("{"):
            try:
                import ast

                ret = ast.literal_eval(tail)
            except (ValueError, SyntaxError):
                ret = {}
        tasks.setdefault(name, []).append((end - runtime, end, ret))
    out: dict[str, Any] = {}
    for name, runs in sorted(tasks.items()):
        runtimes = [b - a for a, b, _ in runs]
        out[name] = {"count": len(runs), "busy_s": round(sum(runtimes), 2)}
    turns = sorted(tasks.get("crawl_host", []))
    worked = [(a, b, r) for a, b, r in turns if r.get("host")]
    if worked:
        first, last = worked[0][0], max(b for _, b, _ in worked)
        urls = sum(int(r.get("urls", 0)) for _, _, r in worked)
        busy = sum(b - a for a, b, _ in worked)
        # time with at least one / two host turns running at once, and the URLs fetched
        # while exactly one / two or more ran: what a second process adds
        edges = sorted([(a, 1) for a, _, _ in worked] + [(b, -1) for _, b, _ in worked])
        fetched.sort()
        level, prev, covered = 0, first, {1: 0.0, 2: 0.0}
        alone, shared = [0.0, 0], [0.0, 0]  # seconds, URLs
        for t, d in edges:
            for k in covered:
                if level >= k:
                    covered[k] += t - prev
            if level >= 1:
                phase = alone if level == 1 else shared
                phase[0] += t - prev
                phase[1] += bisect.bisect_right(fetched, t) - bisect.bisect_right(fetched, prev)
            level, prev = level + d, t
        hosts = Counter(str(r.get("host")) for _, _, r in worked)
        spans: list[tuple[float, float]] = []
        tails: list[float] = []
        for start, stop, _ in worked:
            i, j = bisect.bisect_left(fetched, start), bisect.bisect_right(fetched, stop)
            if j > i:
                spans.append((fetched[i], fetched[j - 1]))
                tails.append(stop - fetched[j - 1])
        union, reach = 0.0, float("-inf")
        for lo, hi in sorted(spans):
            if hi > reach:
                union += hi - max(lo, reach)
                reach = hi
        out["turns"] = {
            "with_host": len(worked),
            "empty": len(turns) - len(worked),
            "urls": urls,
            "busy_s": round(busy, 2),
            "ms_per_url_in_turn": round(1000 * busy / max(urls, 1), 2),
            "fetching_s": round(union, 2),
            "ms_per_url_fetching": round(1000 * union / max(urls, 1), 2),
            "after_last_fetch_s": round(sum(tails), 2),
            "span_s": round(last - first, 2),
            "one_or_more_turns_running_s": round(covered[1], 2),
            "two_turns_running_s": round(covered[2], 2),
            "urls_per_s_one_turn": round(alone[1] / alone[0], 1) if alone[0] > 1 else None,
            "urls_per_s_two_turns": round(shared[1] / shared[0], 1) if shared[0] > 1 else None,
            "per_host": dict(hosts.most_common()),
            "first_turn_start_epoch": round(first, 3),
            "last_turn_end_epoch": round(last, 3),
        }
        if t_start is not None:
            out["turns"]["first_turn_after_discover_s"] = round(first - t_start, 2)
            if fetched:
                out["turns"]["first_fetch_after_discover_s"] = round(fetched[0] - t_start, 2)
        if t_end is not None and fetched:
            out["turns"]["idle_after_last_fetch_s"] = round(t_end - fetched[-1], 2)
    out["log_lines"] = sum(events.values())
    return out
