"""``make bench``: crawler throughput against a bare aiohttp loop and wget, on loopback.

One run, each measurement against a fresh synthetic outlet (``bench/serve.py``, its own
process, so that the server does not share the GIL with the client being measured):

1. ``storyvault crawl`` of the outlet (fresh archive), once per ``--log-levels`` entry
   (INFO, what a user gets, and WARNING, to show the cost of logging). The URLs the
   server saw during the first crawl become the URL list of step 2.
2. ``bench/bare_loop.py``: aiohttp with the same concurrency fetches exactly that URL
   list, reading every body, nothing more (no parsing, no WARC, no state); run
   ``--bare-repeats`` times, the fastest counts.
3. ``wget -r -l inf --warc-file`` where wget is installed (one connection: wget has no
   concurrency; it finds pages by following HTML links only).
4. The distributed crawl (``bench/service_bench.py``): a private redis-server, one
   ``storyvault worker --concurrency 2`` (two worker processes) and ``storyvault beat``,
   the same outlet (fresh server process), per-host delay 0, the same budgets; wall time
   from ``storyvault outlets add`` (which queues the outlet's discovery) to idle, workers
   and beat started before. Its figure is service/crawl (log INFO, the level
   the service logs at) on the same outlet; the issue's target is >= 0.9. The service's
   frontier is per host and a host is leased to one worker process at a time, so on the
   default single-host outlet the second process gets no host turn (only cleaning and
   dispatch tasks): the run is repeated with ``--service-cited-hosts`` cited hosts
   (default 4), beside an embedded crawl of that same outlet, to show what a second
   process adds when there are hosts to share.

"Pages" are the HTTP requests the server answered during the run; pages/s divides them by
the wall time of the measured process, from spawn to exit (interpreter start-up and the
archive's closing included, as a user sees it). The figure is crawl/bare at the same
concurrency with per-host delay 0; the issue's target is >= 0.8. It is a benchmark, not a
test: nothing here fails on a low ratio.

Also shown: CPU seconds and peak RSS of each measured process (``wait4`` rusage of that
very child) and the server's CPU use during the run (near 100% means the server, not the
client, was the limit: the bare figure is then a lower bound of what the client can do).
For the service, CPU and RSS are the sums over its worker processes, beat and redis-server.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
TICKS = os.sysconf("SC_CLK_TCK")


# -- processes ------------------------------------------------------------------------------


@dataclass
class Measured:
    """One measured child process."""

    cmd: list[str]
    returncode: int | None = None
    wall_s: float = 0.0
    cpu_user_s: float = 0.0
    cpu_sys_s: float = 0.0
    maxrss_mb: float = 0.0
    timed_out: bool = False

    @property
    def cpu_s(self) -> float:
        return self.cpu_user_s + self.cpu_sys_s


def run_measured(
    cmd: list[str],
    *,
    timeout: float,
    stdout: IO[bytes] | int | None = None,
    stderr: IO[bytes] | int | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Measured:
    """Run ``cmd``; its own wall time and CPU (``wait4`` rusage) and peak RSS. SIGTERM
    after ``timeout`` (the crawler then stops cleanly and prints its summary), SIGKILL 20 s
    later.

    The peak RSS is the larger of the child's ``VmHWM`` (``/proc/PID/status``, read every
    0.1 s while it runs: Linux carries the parent's high-water mark into an exec'd child's
    ``ru_maxrss``, so that figure is never below this bench's own memory) and the peak of
    the resident sets of the child and all its descendants added up (the crawl's page
    reading processes count: they are its memory too)."""
    result = Measured(cmd=cmd)
    t0 = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=env, cwd=cwd
    )
    done: dict[str, Any] = {}

    def reap() -> None:
        _, status, usage = os.wait4(proc.pid, 0)
        done["t"] = time.monotonic()
        done["status"], done["usage"] = status, usage

    waiter = threading.Thread(target=reap, daemon=True)
    waiter.start()
    hwm_kb = 0
    end = t0 + timeout
    while waiter.is_alive() and time.monotonic() < end:
        hwm_kb = max(hwm_kb, _vm_hwm_kb(proc.pid), _tree_rss_kb(proc.pid))
        waiter.join(min(0.1, max(0.0, end - time.monotonic())))
    if waiter.is_alive():
        result.timed_out = True
        proc.send_signal(signal.SIGTERM)
        waiter.join(20)
        if waiter.is_alive():
            proc.kill()
            waiter.join(10)
    if "status" not in done:  # pragma: no cover - unkillable child
        raise RuntimeError(f"could not reap {cmd[0]} (pid {proc.pid})")
    proc.returncode = os.waitstatus_to_exitcode(done["status"])  # Popen must not reap again
    usage = done["usage"]
    result.returncode = proc.returncode
    result.wall_s = done["t"] - t0
    result.cpu_user_s, result.cpu_sys_s = usage.ru_utime, usage.ru_stime
    result.maxrss_mb = (hwm_kb or usage.ru_maxrss) / 1024  # Linux: KiB
    return result


def _vm_hwm_kb(pid: int, field: str = "VmHWM") -> int:
    """The peak (or, field "VmRSS", current) resident set of a running process (KiB), 0
    once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _tree_rss_kb(pid: int) -> int:
    """The resident sets of ``pid`` and its descendants now, added up (KiB)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += _vm_hwm_kb(current, "VmRSS")
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


class Server:
    """``bench/serve.py`` in a child process; one fresh outlet per measurement."""

    def __init__(
        self,
        pages: int,
        cited_hosts: int,
        timeout: float = 60.0,
        outlet: str = "bench",
        cites_per_article: int | None = None,
    ) -> None:
        cites = [] if cites_per_article is None else ["--cites-per-article", str(cites_per_article)]
        self.proc = subprocess.Popen(
            [
                PYTHON,
                str(BENCH / "serve.py"),
                "--pages",
                str(pages),
                "--cited-hosts",
                str(cited_hosts),
                "--outlet",
                outlet,
                *cites,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        hello = self._reply(timeout)
        self.base: str = hello["base"]
        self.bases: list[str] = [self.base, *hello["cited"]]
        self.articles: int = hello["articles"]

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _reply(self, timeout: float = 60.0) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError("bench server did not answer in time") from None
        if line is None:
            raise RuntimeError(f"bench server exited (status {self.proc.poll()})")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._reply()

    def cpu_s(self) -> float:
        """CPU seconds the server process has used so far (all its threads)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()  # serve.py exits when stdin closes
            except OSError:
                pass
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(10)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- runs -----------------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    concurrency: int
    kind: str = "crawl"  # crawl, bare, wget, service
    cited_hosts: int = 0
    pages: int = 0  # requests the server answered
    wall_s: float = 0.0
    pages_per_s: float = 0.0
    cpu_s: float = 0.0
    maxrss_mb: float = 0.0
    server_cpu_pct: float = 0.0
    ok: bool = True
    timed_out: bool = False
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def take(self, m: Measured, pages: int, server_cpu_s: float) -> None:
        self.pages = pages
        self.wall_s = round(m.wall_s, 3)
        self.pages_per_s = round(pages / m.wall_s, 1) if m.wall_s > 0 else 0.0
        self.cpu_s = round(m.cpu_s, 2)
        self.maxrss_mb = round(m.maxrss_mb, 1)
        self.server_cpu_pct = round(100 * server_cpu_s / m.wall_s) if m.wall_s > 0 else 0
        self.timed_out = m.timed_out
        self.ok = m.returncode == 0 and not m.timed_out


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.deadline: float = time.monotonic() + float(args.deadline)
        self.urls: list[str] | None = None  # from the first crawl
        self.url_bases: list[str] = []
        # cited hosts -> (URLs the server saw during the first embedded crawl, its bases)
        self.crawled: dict[int, tuple[list[str], list[str]]] = {}
        self.runs: list[Run] = []
        self.profile: dict[str, Any] | None = None

    def timeout(self) -> float:
        """Per-process timeout: the smaller of --timeout and what the deadline leaves
        (for the service: from `outlets add` to idle)."""
        left = self.deadline - time.monotonic() - 60  # leave room to stop and report
        if left < 5:
            raise TimeoutError("bench deadline reached")
        return min(float(self.args.timeout), left)

    def server(self, cited_hosts: int | None = None) -> Server:
        cited = self.args.cited_hosts if cited_hosts is None else cited_hosts
        return Server(self.args.pages, cited)

    def crawl_cmd(self, srv: Server, archive: Path, level: str) -> list[str]:
        c = str(self.args.concurrency)
        cmd = [
            str(Path(PYTHON).with_name("storyvault")),
            "--log-json",
            "--log-level",
            level,
            "crawl",
            srv.base + "/",
            "--allow-private",
            "--archive",
            str(archive),
            "--delay",
            "0",
            "--concurrency",
            c,
            "--host-concurrency",
            c,
            "--json",
        ]
        if not self.args.requisites:
            cmd.append("--no-requisites")
        return cmd

    def crawl_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STORYVAULT_")}
        big = str(10 * self.args.pages + 10_000)  # the whole site, never a budget
        env["STORYVAULT_HOST_PAGE_BUDGET"] = big
        env["STORYVAULT_PATTERN_BUDGET"] = big
        return env

    def run_crawl(self, level: str, cited_hosts: int | None = None) -> Run:
        cited = self.args.cited_hosts if cited_hosts is None else cited_hosts
        suffix = "" if cited == self.args.cited_hosts else f", {cited} cited"
        run = Run(f"storyvault crawl (log {level}{suffix})", self.args.concurrency)
        run.cited_hosts = cited
        tag = f"{level.lower()}-{cited}"
        archive = self.work / f"archive-{tag}"
        out, log = self.work / f"crawl-{tag}.json", self.work / f"crawl-{tag}.log"
        with self.server(cited) as srv:
            cpu0 = srv.cpu_s()
            with out.open("wb") as o, log.open("wb") as e:
                m = run_measured(
                    self.crawl_cmd(srv, archive, level),
                    timeout=self.timeout(),
                    stdout=o,
                    stderr=e,
                    env=self.crawl_env(),
                    cwd=self.work,
                )
            server_cpu = srv.cpu_s() - cpu0
            seen = srv.ask("log")
        requests = [url for _, url in seen["requests"]]
        run.take(m, len(requests), server_cpu)
        try:
            summary = json.loads(out.read_text())
        except ValueError:
            summary = {}
            run.ok = False
            run.note = f"no JSON summary (exit {m.returncode}); see {log}"
        run.detail = {
            "summary": summary,
            "log_lines": sum(1 for _ in log.open("rb")),
            "log_mb": round(log.stat().st_size / 2**20, 1),
            "server_errors": seen["errors"][:5],
        }
        if summary:
            run.detail["internal_pages_per_s"] = summary.get("pages_per_s")
            if summary.get("exchanges") != len(requests):
                run.note = f"crawler says {summary.get('exchanges')} exchanges"
        if self.urls is None and cited == self.args.cited_hosts:
            self.urls, self.url_bases = requests, srv.bases
        self.crawled.setdefault(cited, (requests, srv.bases))
        return run

    def run_bare(self) -> Run:
        """The bare loop, ``--bare-repeats`` times on one fresh server; the fastest counts
        (it is seconds long, so one disturbance by another process would weigh a lot)."""
        run = Run("bare aiohttp loop", self.args.concurrency, kind="bare")
        run.cited_hosts = self.args.cited_hosts
        assert self.urls is not None
        walls: list[float] = []
        best: tuple[Measured, int, float, dict[str, Any]] | None = None
        with self.server() as srv:
            urls = [rebase(u, self.url_bases, srv.bases) for u in self.urls]
            url_file = self.work / "urls.txt"
            url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
            out = self.work / "bare.json"
            for _ in range(max(1, self.args.bare_repeats)):
                srv.ask("clear")
                cpu0 = srv.cpu_s()
                with out.open("wb") as o:
                    m = run_measured(
                        [
                            PYTHON,
                            str(BENCH / "bare_loop.py"),
                            str(url_file),
                            "--concurrency",
                            str(self.args.concurrency),
                        ],
                        timeout=self.timeout(),
                        stdout=o,
                        cwd=self.work,
                    )
                server_cpu = srv.cpu_s() - cpu0
                served = srv.ask("count")["requests"]
                try:
                    detail = json.loads(out.read_text())
                except ValueError:
                    detail = {"error": f"no result (exit {m.returncode})"}
                walls.append(round(m.wall_s, 3))
                if m.returncode == 0 and (best is None or m.wall_s < best[0].wall_s):
                    best = (m, served, server_cpu, detail)
                if best is None:
                    best = (m, served, server_cpu, detail)
        assert best is not None
        m, served, server_cpu, detail = best
        run.take(m, served, server_cpu)
        run.detail = {**detail, "walls_s": walls}
        run.detail["internal_pages_per_s"] = detail.get("pages_per_s")
        if "error" in detail:
            run.ok, run.note = False, str(detail["error"])
        elif len(walls) > 1:
            run.note = f"fastest of {len(walls)} runs; walls {', '.join(map(str, walls))} s"
        statuses = detail.get("statuses") or {}
        if any(not code.startswith(("2", "3")) for code in statuses):
            run.note += f"; statuses {statuses}"
        return run

    def run_wget(self, wget: str) -> Run:
        run = Run("wget -r --warc-file", 1, kind="wget")
        run.cited_hosts = self.args.cited_hosts
        target = self.work / "wget"
        target.mkdir()
        with self.server() as srv:
            cmd = [
                wget,
                "-r",
                "-l",
                "inf",
                "--no-parent",
                "-e",
                "robots=on",
                "--warc-file",
                str(target / "wget"),
                "-P",
                str(target / "files"),
                "--no-verbose",
                "-o",
                str(target / "wget.log"),
                "--timeout",
                "10",
                "--tries",
                "1",
                srv.base + "/",
            ]
            cpu0 = srv.cpu_s()
            m = run_measured(
                cmd,
                timeout=self.timeout(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=target,
            )
            server_cpu = srv.cpu_s() - cpu0
            seen = srv.ask("log")
        run.take(m, len(seen["requests"]), server_cpu)
        run.ok = not m.timed_out and m.returncode in (0, 8)  # 8: some 404 (robots-blocked...)
        run.detail = {"exit": m.returncode, "warc_responses": _count_warc_responses(target)}
        run.note = "1 connection (wget has no concurrency); follows HTML links only"
        return run

    def service_env(self) -> dict[str, str]:
        """The embedded run's budgets and concurrency, as the service reads them."""
        c = str(self.args.concurrency)
        env = self.crawl_env()
        env.update(
            {
                "STORYVAULT_ALLOW_PRIVATE": "true",
                "STORYVAULT_HOST_DELAY": "0",
                "STORYVAULT_CONCURRENCY": c,
                "STORYVAULT_HOST_CONCURRENCY": c,
                "STORYVAULT_REQUISITES": "true" if self.args.requisites else "false",
                "STORYVAULT_DISPATCH_EVERY": str(self.args.dispatch_every),
                "STORYVAULT_DISCOVER_EVERY": "100000",  # one pass: ours
                "STORYVAULT_LEASE_TTL": "60",  # the defaults
                "STORYVAULT_BATCH_SECONDS": "20",
            }
        )
        return env

    def run_service(self, cited_hosts: int | None = None) -> Run:
        """The distributed crawl: worker (``--worker-concurrency`` processes) + beat."""
        from service_bench import Service, turn_analysis

        cited = self.args.cited_hosts if cited_hosts is None else cited_hosts
        n = self.args.worker_concurrency
        suffix = "" if cited == self.args.cited_hosts else f", {cited} cited"
        run = Run(f"service: {n} worker procs (log INFO{suffix})", n, kind="service")
        run.cited_hosts = cited
        work = self.work / f"service-{cited}"
        with (
            self.server(cited) as srv,
            Service(work=work, env=self.service_env(), worker_concurrency=n) as service,
        ):
            # warm first: `outlets add` queues the outlet's discovery, so it starts the clock
            service.start(None, timeout=min(60.0, self.timeout()))
            cpu0 = srv.cpu_s()
            m = service.measure(
                lambda: int(srv.ask("count")["requests"]),
                self.timeout(),
                begin=("outlets", "add", srv.base + "/"),
            )
            server_cpu = srv.cpu_s() - cpu0
            seen = srv.ask("log")
            bases = srv.bases
            service.stop()  # workers flush and close their WARC files before the count
        requests = [url for _, url in seen["requests"]]
        run.pages = len(requests)
        run.wall_s = round(m.wall_s, 3)
        run.pages_per_s = round(run.pages / m.wall_s, 1) if m.wall_s > 0 else 0.0
        run.cpu_s = round(m.cpu_s, 2)
        run.maxrss_mb = round(m.rss_mb, 1)
        run.server_cpu_pct = round(100 * server_cpu / m.wall_s) if m.wall_s > 0 else 0
        run.timed_out, run.ok, run.note = m.timed_out, m.ok, m.note
        dupes = sum(c - 1 for c in Counter(requests).values() if c > 1)
        run.detail = {
            "cpu_s": m.cpu_detail,
            "discover_cmd_s": m.discover_s,
            "drained_s": m.drained_s,
            "redis_commands": sum(m.redis_calls.values()),
            "redis_commands_top": dict(list(m.redis_calls.items())[:8]),
            "redis_commands_all": m.redis_calls,
            "redis_busy_s": round(m.redis_usec / 1e6, 2),
            "status": {k: m.status.get(k) for k in ("queues", "frontier", "captures_last_hour")},
            "duplicate_requests": dupes,
            "server_errors": seen["errors"][:5],
            "warc_responses": _count_warc_responses_under(service.archive),
            "turns": turn_analysis(work / "worker.log", m.t0_epoch, m.end_epoch),
        }
        embedded = self.crawled.get(cited)
        if embedded is not None:
            theirs = {rebase(u, embedded[1], bases) for u in embedded[0]}
            ours = set(requests)
            run.detail["vs_embedded_urls"] = {
                "only_service": len(ours - theirs),
                "only_embedded": len(theirs - ours),
                "examples_only_service": sorted(ours - theirs)[:3],
                "examples_only_embedded": sorted(theirs - ours)[:3],
            }
        if dupes:
            run.note = (run.note + "; " if run.note else "") + f"{dupes} URLs requested twice"
        return run

    def run_profile(self) -> None:
        """One more crawl (log WARNING) under cProfile or py-spy; not part of the figures."""
        archive = self.work / "archive-profile"
        prof = self.work / "crawl.prof"
        with self.server() as srv:
            crawl = self.crawl_cmd(srv, archive, "WARNING")
            if self.args.profile == "py-spy":
                cmd = [
                    self.args.py_spy,
                    "record",
                    "--nonblocking",
                    "--gil",
                    "--function",
                    "-r",
                    "200",
                    "-f",
                    "raw",
                    "-o",
                    str(self.work / "crawl.folded"),
                    "--",
                    *crawl,
                ]
            else:
                cmd = [PYTHON, "-m", "cProfile", "-o", str(prof), "-m", "tasks.cli", *crawl[1:]]
            with (
                (self.work / "profile.out").open("wb") as o,
                (self.work / "profile.log").open("wb") as e,
            ):
                m = run_measured(
                    cmd,
                    timeout=self.timeout(),
                    stdout=o,
                    stderr=e,
                    env=self.crawl_env(),
                    cwd=self.work,
                )
        self.profile = {"tool": self.args.profile, "wall_s": round(m.wall_s, 2)}
        if self.args.profile == "py-spy":
            self.profile.update(_folded_summary(self.work / "crawl.folded"))
        elif prof.exists():
            self.profile.update(_cprofile_summary(prof))


def rebase(url: str, old: list[str], new: list[str]) -> str:
    for a, b in zip(old, new, strict=True):
        if url.startswith(a + "/") or url == a:
            return b + url[len(a) :]
    return url


def _count_warc_responses_under(folder: Path) -> int | None:
    try:
        from warcio.archiveiterator import ArchiveIterator
    except ImportError:
        return None
    count = 0
    for path in folder.rglob("*.warc.gz"):
        with path.open("rb") as f:
            count += sum(1 for r in ArchiveIterator(f) if r.rec_type in ("response", "revisit"))
    return count


def _count_warc_responses(folder: Path) -> int | None:
    try:
        from warcio.archiveiterator import ArchiveIterator
    except ImportError:
        return None
    count = 0
    for path in folder.glob("*.warc.gz"):
        with path.open("rb") as f:
            count += sum(1 for r in ArchiveIterator(f) if r.rec_type == "response")
    return count


def _cprofile_summary(path: Path, top: int = 25) -> dict[str, Any]:
    import pstats

    stats = pstats.Stats(str(path))
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]

    def name(key: tuple[str, int, str]) -> str:
        file, line, func = key
        for marker in ("/workers/", "/tasks/"):
            if marker in file:
                file = marker[1:] + file.split(marker, 1)[1]
                break
        else:
            for marker in ("/site-packages/", "/lib/python3"):
                if marker in file:
                    file = file.split(marker, 1)[1]
                    break
        return f"{file}:{line}({func})"

    ours = [(v[3], v[2], k) for k, v in raw.items() if "/workers/" in k[0] or "/tasks/" in k[0]]
    ours.sort(reverse=True)
    by_self = sorted(((v[2], v[3], k) for k, v in raw.items()), reverse=True)
    return {
        "total_s": round(total, 2),
        "top_cumulative_in_workers": [
            {"cum_s": round(c, 2), "self_s": round(s, 2), "fn": name(k)} for c, s, k in ours[:top]
        ],
        "top_self_overall": [
            {"self_s": round(s, 2), "cum_s": round(c, 2), "fn": name(k)}
            for s, c, k in by_self[:top]
        ],
    }


def _folded_summary(path: Path, top: int = 25) -> dict[str, Any]:
    """Inclusive and self sample shares per function from py-spy's folded stacks."""
    if not path.exists():
        return {"error": "py-spy wrote no output"}
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        count = int(n)
        total += count
        frames = stack.split(";")
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
        own[frames[-1]] = own.get(frames[-1], 0) + count

    def pct(n: int) -> float:
        return round(100 * n / max(total, 1), 1)

    ours = sorted(
        ((n, f) for f, n in inclusive.items() if "workers/" in f or "tasks/" in f), reverse=True
    )
    return {
        "samples": total,
        "top_inclusive_in_workers": [{"pct": pct(n), "fn": f} for n, f in ours[:top]],
        "top_self_overall": [
            {"pct": pct(n), "fn": f}
            for n, f in sorted(((n, f) for f, n in own.items()), reverse=True)[:top]
        ],
    }


# -- report ---------------------------------------------------------------------------------


def engine_version() -> str:
    """HEAD and whether the engine has uncommitted changes (others edit it meanwhile)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "workers", "tasks"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + (" + uncommitted changes in workers/ or tasks/" if dirty else "")


def report(bench: Bench, args: argparse.Namespace, wget: str | None) -> dict[str, Any]:
    runs = bench.runs
    engine = engine_version()
    print()
    print(
        f"storyvault bench: {args.pages} articles (+ listings, feeds, sitemaps"
        f"{', requisites' if args.requisites else ''}), {args.cited_hosts} cited host(s), "
        f"concurrency {args.concurrency}, per-host delay 0, loopback, {os.cpu_count()} cores"
    )
    print(f"engine: {engine}")
    w = max([30, *(len(r.name) for r in runs)])
    head = (
        f"{'run':<{w}} {'conc':>4} {'pages':>6} {'wall s':>7} {'pages/s':>8} {'cpu s':>6} "
        f"{'RSS MB':>7} {'srv cpu':>7}"
    )
    print(head)
    print("-" * len(head))
    for r in runs:
        flag = "" if r.ok else ("  TIMED OUT" if r.timed_out else "  FAILED")
        print(
            f"{r.name:<{w}} {r.concurrency:>4} {r.pages:>6} {r.wall_s:>7.2f} {r.pages_per_s:>8.1f} "
            f"{r.cpu_s:>6.1f} {r.maxrss_mb:>7.1f} {r.server_cpu_pct:>6}%{flag}"
        )
    for r in runs:
        if r.note:
            print(f"  {r.name}: {r.note}")
        if "log_lines" in r.detail:
            print(
                f"  {r.name}: {r.detail['log_lines']} log lines ({r.detail['log_mb']} MB), "
                f"crawler-reported {r.detail.get('internal_pages_per_s')} pages/s"
            )
        if r.kind == "service":
            print_service_detail(r)
    bare = next((r for r in runs if r.kind == "bare" and r.ok), None)
    wget_run = next((r for r in runs if r.kind == "wget" and r.ok), None)
    ratios: dict[str, float] = {}
    targets: dict[str, str] = {}
    print()
    for r in runs:
        if r.kind != "crawl" or r.cited_hosts != args.cited_hosts:
            continue
        level = _level(r)
        if bare is not None and bare.pages_per_s:
            ratios[f"crawl_{level}/bare"] = round(r.pages_per_s / bare.pages_per_s, 3)
            targets[f"crawl_{level}/bare"] = "  (target >= 0.8)"
        if wget_run is not None and wget_run.pages_per_s:
            ratios[f"crawl_{level}/wget"] = round(r.pages_per_s / wget_run.pages_per_s, 3)
    for r in runs:
        if r.kind != "service" or not r.ok:
            continue
        embedded = next(
            (
                e
                for e in runs
                if e.kind == "crawl"
                and e.ok
                and e.cited_hosts == r.cited_hosts
                and _level(e) == "INFO"
            ),
            None,
        )
        if embedded is None or not embedded.pages_per_s:
            continue
        headline = r.cited_hosts == args.cited_hosts
        tag = "" if headline else f"_cited{r.cited_hosts}"
        key = f"service{tag}/crawl_INFO{tag}"
        ratios[key] = round(r.pages_per_s / embedded.pages_per_s, 3)
        targets[key] = "  (target >= 0.9)" + (
            "  <- headline: the same outlet as every other run"
            if headline
            else f"  (variant: outlet + {r.cited_hosts} cited hosts, both crawls)"
        )
    for key, value in ratios.items():
        print(f"ratio {key:<32} {value:6.3f}{targets.get(key, '')}")
    if wget is None:
        print("wget: skipped" if not args.wget else "wget: not installed, skipped")
    if bare is not None and bare.server_cpu_pct >= 85:
        print(
            f"note: the server used {bare.server_cpu_pct}% of a core during the bare loop: "
            "it, not the client, may be the limit there (the bare figure is then a floor)."
        )
    if bench.profile:
        print_profile(bench.profile)
    result = {
        "params": {
            "pages": args.pages,
            "concurrency": args.concurrency,
            "cited_hosts": args.cited_hosts,
            "requisites": args.requisites,
            "cores": os.cpu_count(),
            "engine": engine,
            "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "runs": [asdict(r) for r in runs],
        "ratios": ratios,
        "profile": bench.profile,
    }
    return result


def _level(run: Run) -> str:
    return run.name.split("log ", 1)[1].split(")", 1)[0].split(",", 1)[0]


def print_service_detail(r: Run) -> None:
    d = r.detail
    cpu = d.get("cpu_s", {})
    print(
        f"  {r.name}: CPU s workers {cpu.get('workers')} (pool processes {cpu.get('pool')}, "
        f"celery main {cpu.get('celery_main')}), beat {cpu.get('beat')}, "
        f"redis {cpu.get('redis')}; `storyvault outlets add` itself {d.get('discover_cmd_s')} s; "
        f"WARC responses {d.get('warc_responses')}"
    )
    print(
        f"  {r.name}: crawl done (every version sent to the clean queue) at {r.wall_s} s; "
        f"clean queue consumed by the reference cleaner at {d.get('drained_s')} s"
    )
    vs = d.get("vs_embedded_urls")
    if vs is not None:
        print(
            f"  {r.name}: URLs vs the embedded crawl of the same outlet: "
            f"{vs['only_service']} only here, {vs['only_embedded']} only there"
        )
    if d.get("redis_commands") and r.pages:
        print(
            f"  {r.name}: {d['redis_commands']} Redis commands "
            f"({d['redis_commands'] / r.pages:.0f} per page; the bench's own polling included), "
            f"redis-server busy {d.get('redis_busy_s')} s; top {d.get('redis_commands_top')}"
        )
    tasks = {
        k: v
        for k, v in d.get("turns", {}).items()
        if k != "turns" and isinstance(v, dict) and "count" in v
    }
    if tasks:
        print(
            f"  {r.name}: Celery tasks (count, busy s): "
            + ", ".join(f"{k} {v['count']}, {v['busy_s']}" for k, v in tasks.items())
        )
    t = d.get("turns", {}).get("turns")
    if t and r.ok:
        print(
            f"  {r.name}: {t['with_host']} host turns ({t['empty']} found no host), "
            f"{t['urls']} URLs; turns ran {t['one_or_more_turns_running_s']} s of the "
            f"{r.wall_s:.1f} s, two at once {t['two_turns_running_s']} s; per host "
            f"{t['per_host']}"
        )
        print(
            f"  {r.name}: URLs/s while one turn ran {t['urls_per_s_one_turn']}, "
            f"while two ran {t['urls_per_s_two_turns']}"
        )
        print(
            f"  {r.name}: time line: first fetch {t.get('first_fetch_after_discover_s')} s "
            f"after outlets add; fetching {t['fetching_s']} s ({t['ms_per_url_fetching']} ms/URL); "
            f"turns' ends after their last fetch (WARC close, index, clean tasks) "
            f"{t['after_last_fetch_s']} s; idle {t.get('idle_after_last_fetch_s')} s "
            f"after the last fetch"
        )


def print_profile(profile: dict[str, Any]) -> None:
    print()
    print(f"profile ({profile['tool']}, wall {profile['wall_s']} s, inflated by the profiler):")
    if "top_cumulative_in_workers" in profile:
        print("  (cProfile sees the event-loop thread only: parsing and WARC writes run in")
        print("  worker threads and are missing here; --profile py-spy sees every thread)")
        print(f"  top cumulative in workers/ and tasks/ (of {profile['total_s']} s profiled):")
        for e in profile["top_cumulative_in_workers"]:
            print(f"    {e['cum_s']:8.2f} s cum {e['self_s']:7.2f} s self  {e['fn']}")
        print("  top self time overall:")
        for e in profile["top_self_overall"]:
            print(f"    {e['self_s']:8.2f} s self {e['cum_s']:7.2f} s cum  {e['fn']}")
    elif "top_inclusive_in_workers" in profile:
        print("  (--gil: only the thread holding the GIL is sampled; native code that releases")
        print("  it, such as lxml parsing, zlib or sqlite, is under-counted)")
        print(f"  top inclusive in workers/ and tasks/ (% of {profile['samples']} samples):")
        for e in profile["top_inclusive_in_workers"]:
            print(f"    {e['pct']:5.1f}%  {e['fn']}")
        print("  top self overall:")
        for e in profile["top_self_overall"]:
            print(f"    {e['pct']:5.1f}%  {e['fn']}")
    else:
        print(f"  {profile}")


# -- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pages", type=int, default=3000, help="articles on the outlet (3000)")
    p.add_argument("--concurrency", type=int, default=16, help="requests in flight (16)")
    p.add_argument(
        "--cited-hosts",
        type=int,
        default=0,
        help="cited hosts beside the outlet (0: the outlet alone, what wget can crawl too)",
    )
    p.add_argument(
        "--no-requisites",
        dest="requisites",
        action="store_false",
        help="crawl pages only (no images, CSS, JS)",
    )
    p.add_argument(
        "--log-levels",
        default="INFO,WARNING",
        help="one crawl per level, comma-separated (INFO,WARNING); the first gives the URLs",
    )
    p.add_argument(
        "--bare-repeats", type=int, default=3, help="bare loop runs, the fastest counts (3)"
    )
    p.add_argument("--no-wget", dest="wget", action="store_false", help="skip wget")
    p.add_argument(
        "--no-service",
        dest="service",
        action="store_false",
        help="skip the distributed runs (redis-server, storyvault worker + beat)",
    )
    p.add_argument(
        "--service-cited-hosts",
        type=int,
        default=4,
        choices=range(5),
        help="cited hosts of the second distributed run, beside an embedded crawl of the "
        "same outlet (4; the --cited-hosts value or 0 skips it)",
    )
    p.add_argument(
        "--worker-concurrency",
        type=int,
        default=2,
        help="processes of the one `storyvault worker` (2)",
    )
    p.add_argument(
        "--dispatch-every",
        type=float,
        default=1.0,
        help="STORYVAULT_DISPATCH_EVERY of the service runs, seconds (1.0, the default)",
    )
    p.add_argument(
        "--profile",
        choices=("cprofile", "py-spy"),
        help="one more crawl (log WARNING) under a profiler, summary printed",
    )
    p.add_argument(
        "--py-spy",
        default=shutil.which("py-spy") or "py-spy",
        help="py-spy executable for --profile py-spy (default: the one on PATH)",
    )
    p.add_argument("--timeout", type=float, default=300.0, help="per measured process (300 s)")
    p.add_argument(
        "--deadline",
        type=float,
        default=1200.0,
        help="whole bench (1200 s; the default run takes about 10 min on 2 cores)",
    )
    p.add_argument("--json-out", type=Path, help="also write the results as JSON here")
    p.add_argument("--keep", action="store_true", help="keep the work directory (archives, logs)")
    return p.parse_args(argv)


def _interrupt(signum: int, _: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("bench: interrupted; every child process was stopped", file=sys.stderr)
        return 130


def _main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    levels = [lv.strip().upper() for lv in args.log_levels.split(",") if lv.strip()]
    if not levels:
        raise SystemExit("--log-levels: at least one level")
    wget = shutil.which("wget") if args.wget else None
    load = os.getloadavg()[0]
    if load > 0.5:
        print(
            f"bench: load average {load:.2f} before start: other processes share the "
            f"{os.cpu_count()} cores, figures will be noisy",
            file=sys.stderr,
        )
    work = Path(tempfile.mkdtemp(prefix="storyvault-bench-"))
    bench = Bench(args, work)
    # SIGTERM (make, a CI timeout) unwinds like Ctrl-C: every child is stopped on the way
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        steps: list[tuple[str, Any]] = [
            (f"crawl, log {lv}", lambda lv=lv: bench.run_crawl(lv)) for lv in levels
        ]
        steps.append(("bare loop", bench.run_bare))
        if wget is not None:
            steps.append(("wget", lambda: bench.run_wget(wget)))
        if args.service:
            steps.append(("service (distributed)", bench.run_service))
            extra = args.service_cited_hosts
            if extra and extra != args.cited_hosts:
                label = f"{extra} cited hosts"
                steps.append((f"crawl, log INFO, {label}", lambda: bench.run_crawl("INFO", extra)))
                steps.append((f"service, {label}", lambda: bench.run_service(extra)))
        for label, step in steps:
            print(f"bench: {label} ...", file=sys.stderr, flush=True)
            try:
                run = step()
            except TimeoutError as exc:
                print(f"bench: {exc}, skipping {label}", file=sys.stderr)
                continue
            except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                print(f"bench: {label} failed: {exc}", file=sys.stderr)
                continue
            bench.runs.append(run)
            print(
                f"bench:   {run.pages} pages in {run.wall_s:.2f} s = {run.pages_per_s} pages/s"
                + ("" if run.ok else " (not ok)"),
                file=sys.stderr,
                flush=True,
            )
        if args.profile:
            print(f"bench: profiling a crawl with {args.profile} ...", file=sys.stderr, flush=True)
            try:
                bench.run_profile()
            except TimeoutError:
                print("bench: deadline reached, no profile", file=sys.stderr)
        result = report(bench, args, wget)
        if args.json_out:
            args.json_out.parent.mkdir(parents=True, exist_ok=True)
            args.json_out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
            print(f"results: {args.json_out}")
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
