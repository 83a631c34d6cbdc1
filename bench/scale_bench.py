"""``make bench``: the crawl at three sizes against a bare aiohttp loop; writes BENCHMARKS.md.

For each ``--sizes`` entry (default 1,000, 10,000 and 50,000 articles) one outlet server
(``bench/serve.py`` in its own process: the bench outlet with ``--cited-hosts`` cited hosts
on 127.0.0.2, 127.0.0.3, ..., each article citing ``--cites-per-article`` of them in its
body), and against it, one after the other (the server's log and byte count cleared
before each):

1. ``storyvault crawl`` into a fresh archive (concurrency 16, per-host delay 0, no page
   requisites, budgets above the site's size). The URLs the server answered become the
   URL list of the bare loop, and the URLs the crawl queued (its SQLite state) those of
   the Redis measure.
2. ``bench/bare_loop.py`` on that URL list, ``--bare-repeats`` times, the fastest counts.
3. Redis memory per queued URL: a private ``redis-server``; the crawl's URLs (as its
   state holds them: kind, hops, via, found by, priority, sequence) queued into the
   service's frontier the way a host turn queues what it found (``RedisState.sync`` of
   a ``TurnBatch``, 500 a round trip); ``used_memory`` after minus before, over N.
4. The re-crawl of the unchanged outlet: ``storyvault crawl`` again, the same command on
   the same archive and server; the bytes of the WARC files it added against the bytes
   of the first crawl's WARC files.
5. ``wget -r -l inf --warc-file`` (one connection; outlet only: wget follows no link to
   another host without ``-H``).
6. The service (``bench/service_bench.py``): a private ``redis-server``, ``storyvault
   worker --concurrency N`` for N = 1 and 2 and ``storyvault beat``, warm; wall time from
   ``storyvault outlets add`` to the crawl being done (frontier empty, no host leased,
   every version sent to the ``clean`` queue).

Steps 1-3 run at every size, smallest first, and every step at the smallest size; then
4-6 at the larger sizes up to ``--recrawl-max``, ``--wget-max`` and ``--service-max``
articles (default 10,000; their server and archive wait meanwhile), each given what
``--deadline`` leaves, less a share kept for the optional steps after it (their time
estimated from the rates measured before), and skipped when that is under
``MIN_PARTIAL_S``. Every measured
process has its own timeout, after which it is stopped (SIGTERM, the crawler's clean
stop) and reported as timed out with the rate it reached. It is a benchmark, not a test:
it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from crawl_bench import PYTHON, ROOT, Measured, Server, run_measured  # noqa: E402

STORYVAULT = str(Path(PYTHON).with_name("storyvault"))
RESERVE_S = 25.0  # kept back from the deadline for stopping and writing the report
MIN_TIMEOUT_S = 10.0  # a step that would get less is skipped
MIN_PARTIAL_S = 45.0  # an optional step stopped sooner than this would say little
BARE_REPEAT_S = 20.0  # bare-loop repeats stop once they took this long


# -- figures --------------------------------------------------------------------------------


@dataclass
class Figure:
    """One measured run at one size."""

    kind: str  # crawl, bare, recrawl, wget, service-1, service-2
    label: str
    size: int
    pages: int = 0  # requests the servers answered during the run
    bytes: int = 0  # response body bytes the servers sent
    wall_s: float = 0.0
    cpu_s: float = 0.0
    rss_mb: float = 0.0
    server_cpu_s: float = 0.0
    status: str = "ok"  # ok, timed out, failed
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.cpu_s / self.pages if self.pages else 0.0

    @property
    def server_cpu_pct(self) -> float:
        return 100 * self.server_cpu_s / self.wall_s if self.wall_s > 0 else 0.0

    def take(self, m: Measured, served: dict[str, Any], server_cpu_s: float) -> None:
        self.pages, self.bytes = int(served["requests"]), int(served["bytes"])
        self.wall_s, self.cpu_s, self.rss_mb = m.wall_s, m.cpu_s, m.maxrss_mb
        self.server_cpu_s = server_cpu_s
        if m.timed_out:
            self.status = "timed out"
        elif m.returncode != 0:
            self.status = "failed"
            self.note = f"exit {m.returncode}"

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            pages_per_s=round(self.pages_per_s, 1),
            mb_per_s=round(self.mb_per_s, 2),
            cpu_ms_per_page=round(self.cpu_ms_per_page, 3),
            server_cpu_pct=round(self.server_cpu_pct),
        )
        return out


@dataclass
class SizeResult:
    size: int
    articles: int = 0
    figures: list[Figure] = field(default_factory=list)
    redis: dict[str, Any] = field(default_factory=dict)
    recrawl: dict[str, Any] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (run, why)

    def figure(self, kind: str) -> Figure | None:
        return next((f for f in self.figures if f.kind == kind), None)


# -- the bench ------------------------------------------------------------------------------


class ScaleBench:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.t0 = time.monotonic()
        self.deadline = self.t0 + float(args.deadline)
        self.results: list[SizeResult] = []
        # rates measured so far (pages/s), to estimate the next size's steps
        self.rates: dict[str, float] = {}
        self.pages_per_article = 2.1  # until measured: article + citation + listings
        self.after: list[tuple[str, int]] = []  # optional steps still to run (kind, size)
        self.smallest = False  # the optional steps running are the smallest size's

    # -- budget

    def left(self) -> float:
        return self.deadline - time.monotonic() - RESERVE_S

    def estimate(self, kind: str, size: int) -> float:
        """Expected seconds of step ``kind`` at ``size`` articles."""
        pages = self.pages_per_article * size
        guess = {"crawl": 150.0, "recrawl": 300.0, "bare": 1500.0, "wget": 300.0}
        rate = self.rates.get(kind, guess.get(kind, 80.0))
        if kind == "bare":
            single = pages / rate + 1.0
            return single + min(single * (self.args.bare_repeats - 1), BARE_REPEAT_S)
        if kind == "redis":
            return pages / 20000 + 2.0
        if kind == "recrawl":
            pages = size * 1.05  # articles answer 304: their citations are not fetched again
        if kind == "wget":
            pages = size * 1.05  # the outlet only
        overhead = 15.0 if kind.startswith("service") else 3.0
        return pages / max(rate, 1.0) + overhead

    def optional_timeout(self, kind: str, size: int, after: list[tuple[str, int]]) -> float:
        """The timeout of optional step ``kind`` at ``size``, the optional steps ``after``
        (kind, size) still to run: what the deadline leaves, less a share kept for each of
        those (its estimate, at most an equal share), at most ``--timeout``. A step that
        needs more is stopped at its timeout and shown with the rate it reached."""
        spare = self.left()
        share = spare / (len(after) + 1)
        kept = sum(min(self.estimate(k, s), share) for k, s in after)
        return min(float(self.args.timeout), spare - kept)

    def fits(self, kind: str, size: int, after: list[tuple[str, int]]) -> str | None:
        """Why optional step ``kind`` is skipped, or None."""
        need = self.estimate(kind, size)
        timeout = self.optional_timeout(kind, size, after)
        if timeout < min(need, MIN_PARTIAL_S):
            return (
                f"expected to take {need:.0f} s; the deadline left {max(timeout, 0):.0f} s "
                "after every size's crawl, bare loop and Redis"
            )
        return None

    # -- the plan

    def optional_kinds(self, size: int) -> list[str]:
        """The optional steps of ``size``, in order (the plan's maxima applied)."""
        return [k for k, most in self._optional_plan() if size <= most]

    def _optional_plan(self) -> list[tuple[str, int]]:
        a = self.args
        kinds = [("recrawl", a.recrawl_max), ("wget", a.wget_max)]
        return kinds + [(f"service-{n}", a.service_max) for n in a.service_workers]

    def run(self) -> None:
        """Every size's crawl, bare loop and Redis first (and every step of the smallest
        size), smallest size first; then the larger sizes' optional steps with the time
        left. The server and archive of a size wait meanwhile for its re-crawl."""
        waiting: list[tuple[SizeResult, Server, Path]] = []
        try:
            for size in self.args.sizes:
                if self.left() < MIN_TIMEOUT_S:
                    self.results.append(SizeResult(size, skipped=[("every run", "deadline")]))
                    continue
                a = self.args
                res, archive = SizeResult(size), self.work / f"archive-{size}"
                self.results.append(res)
                srv: Server | None = None
                keep = False
                try:
                    srv = Server(size, a.cited_hosts, cites_per_article=a.cites_per_article)
                    self.run_required(res, srv, archive)
                    if size == a.sizes[0]:
                        self.run_optional(res, srv, archive, [], smallest=True)
                    elif self.optional_kinds(size):
                        waiting.append((res, srv, archive))
                        keep = True
                except (RuntimeError, OSError, subprocess.SubprocessError, TimeoutError) as exc:
                    res.skipped.append(("the rest of this size", f"failed: {exc}"))
                    self._say(f"{size} articles: {exc}")
                finally:
                    if srv is not None and not keep:
                        srv.stop()
                for kind, most in self._optional_plan():
                    if size > most:
                        res.skipped.append((kind, f"runs up to {most:,} articles (plan)"))
            for i, (res, srv, archive) in enumerate(waiting):
                later = [
                    (k, r.size) for r, _, _ in waiting[i + 1 :] for k in self.optional_kinds(r.size)
                ]
                self._say(f"{res.size} articles, the optional runs:")
                try:
                    self.run_optional(res, srv, archive, later)
                finally:
                    srv.stop()
        finally:
            for _, srv, _ in waiting:
                srv.stop()

    def run_required(self, res: SizeResult, srv: Server, archive: Path) -> None:
        """The crawl, the bare loop on its URLs and the Redis measure of one size."""
        size = res.size
        res.articles = srv.articles
        self._say(f"{size} articles: outlet on {srv.base} + {len(srv.bases) - 1} cited hosts")
        timeout = self.mandatory_timeout("crawl", size, ("bare", "redis"))
        crawl = self.run_crawl(srv, res, archive, "crawl", timeout=timeout)
        urls = crawl.detail.pop("urls", [])
        if crawl.pages and crawl.status == "ok":
            self.rates["crawl"] = crawl.pages_per_s
            self.pages_per_article = crawl.pages / max(res.articles, 1)
        if urls:
            self.step(res, "bare", lambda: self.run_bare(srv, res, urls))
            bare = res.figure("bare")
            if bare is not None and bare.status == "ok" and bare.pages:
                self.rates["bare"] = bare.pages_per_s
        else:
            res.skipped.append(("bare aiohttp loop", "the crawl gave no URL list"))
        self.step(res, "redis", lambda: self.run_redis(res, archive))

    def run_optional(
        self,
        res: SizeResult,
        srv: Server,
        archive: Path,
        later: list[tuple[str, int]],
        smallest: bool = False,
    ) -> None:
        """Re-crawl, wget and the service runs of one size; ``later``: the optional steps
        of larger sizes still to come. At the smallest size every one runs."""
        runs: dict[str, Callable[[], None]] = {
            "recrawl": lambda: self.run_recrawl(srv, res, archive),
            "wget": lambda: self.run_wget(srv, res),
        }
        for n in self.args.service_workers:
            runs[f"service-{n}"] = lambda n=n: self.run_service(srv, res, n)
        kinds = self.optional_kinds(res.size)
        for i, kind in enumerate(kinds):
            self.smallest = smallest
            self.after = [(k, res.size) for k in kinds[i + 1 :]] + later
            if not smallest:
                why = self.fits(kind, res.size, self.after)
                if why is not None:
                    res.skipped.append((kind, why))
                    self._say(f"  {kind}: skipped, {why}")
                    continue
            self.step(res, kind, runs[kind])

    def mandatory_timeout(self, kind: str, size: int, rest: tuple[str, ...]) -> float:
        """The timeout of step ``kind`` of every size (crawl, bare loop), ``rest`` of them
        still to run at ``size``: what the deadline leaves after those, at most four times
        the step's estimate (a minute at least) and ``--timeout``. Larger sizes get what
        is left then: a step is never skipped for a later one."""
        own = max(60.0, 4 * self.estimate(kind, size))
        after = sum(self.estimate(k, size) for k in rest)
        return min(float(self.args.timeout), own, self.left() - after)

    def step(self, res: SizeResult, kind: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except (RuntimeError, OSError, subprocess.SubprocessError, TimeoutError) as exc:
            res.skipped.append((kind, f"failed: {exc}"))
            self._say(f"  {kind}: failed: {exc}")

    def _say(self, text: str) -> None:
        elapsed = time.monotonic() - self.t0
        print(f"bench [{elapsed:6.0f} s] {text}", file=sys.stderr, flush=True)

    def _report(self, f: Figure) -> None:
        flag = "" if f.status == "ok" else f" ({f.status})"
        self._say(
            f"  {f.label}: {f.pages} pages in {f.wall_s:.1f} s = {f.pages_per_s:.0f} pages/s, "
            f"{f.mb_per_s:.1f} MB/s, peak RSS {f.rss_mb:.0f} MB{flag}"
        )

    # -- the runs

    def crawl_cmd(self, srv: Server, archive: Path) -> list[str]:
        c = str(self.args.concurrency)
        return [
            STORYVAULT,
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
            "--no-requisites",
            "--json",
        ]

    def crawl_env(self, size: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STORYVAULT_")}
        big = str(10 * size + 10_000)  # the whole site, never a budget
        env["STORYVAULT_HOST_PAGE_BUDGET"] = big
        env["STORYVAULT_PATTERN_BUDGET"] = big
        return env

    def run_crawl(
        self, srv: Server, res: SizeResult, archive: Path, kind: str, timeout: float
    ) -> Figure:
        label = "storyvault crawl" if kind == "crawl" else "storyvault crawl, again (re-crawl)"
        fig = Figure(kind, label, res.size)
        self._say(f"  {label} (timeout {timeout:.0f} s) ...")
        if timeout < MIN_TIMEOUT_S:
            raise TimeoutError("bench deadline reached")
        tag = f"{kind}-{res.size}"
        out, log = self.work / f"{tag}.json", self.work / f"{tag}.log"
        srv.ask("clear")
        cpu0 = srv.cpu_s()
        with out.open("wb") as o, log.open("wb") as e:
            m = run_measured(
                self.crawl_cmd(srv, archive),
                timeout=timeout,
                stdout=o,
                stderr=e,
                env=self.crawl_env(res.size),
                cwd=self.work,
            )
        server_cpu = srv.cpu_s() - cpu0
        fig.take(m, srv.ask("count"), server_cpu)
        try:
            summary = json.loads(out.read_text())
        except ValueError:
            summary = {}
            if fig.status == "ok":
                fig.status, fig.note = "failed", f"no JSON summary (exit {m.returncode})"
        fig.detail["summary"] = summary
        if m.returncode not in (0, None) and fig.status != "timed out":
            fig.detail["stderr_tail"] = log.read_text(errors="replace")[-1500:]
        if kind == "crawl":
            fig.detail["urls"] = [url for _, url in srv.ask("log")["requests"]]
        res.figures.append(fig)
        self._report(fig)
        return fig

    def run_bare(self, srv: Server, res: SizeResult, urls: list[str]) -> Figure:
        fig = Figure("bare", "bare aiohttp loop", res.size)
        url_file = self.work / f"urls-{res.size}.txt"
        url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
        out = self.work / "bare.json"
        best: Figure | None = None
        walls = []
        for _ in range(max(1, self.args.bare_repeats)):
            if sum(walls) > BARE_REPEAT_S:
                break
            timeout = self.mandatory_timeout("bare", res.size, ("redis",))
            if timeout < MIN_TIMEOUT_S:
                break
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
                    timeout=timeout,
                    stdout=o,
                    cwd=self.work,
                )
            trial = Figure("bare", fig.label, res.size)
            trial.take(m, srv.ask("count"), srv.cpu_s() - cpu0)
            try:
                trial.detail = json.loads(out.read_text())
            except ValueError:
                trial.detail = {}
            walls.append(round(m.wall_s, 3))
            if (
                best is None
                or (trial.status == "ok" and trial.wall_s < best.wall_s)
                or (best.status != "ok" and trial.status == "ok")
            ):
                best = trial
        if best is None:
            raise TimeoutError("bench deadline reached before the bare loop")
        best.detail["walls_s"] = walls
        best.note = f"fastest of {len(walls)}: " + ", ".join(f"{w:.2f}" for w in walls) + " s"
        statuses = best.detail.get("statuses") or {}
        bad = {k: v for k, v in statuses.items() if not k.startswith(("2", "3"))}
        if bad:
            best.note += f"; statuses {bad}"
        res.figures.append(best)
        self._report(best)
        return best

    def run_recrawl(self, srv: Server, res: SizeResult, archive: Path) -> None:
        before = warc_files(archive)
        first = res.figure("crawl")
        fig = self.run_crawl(
            srv, res, archive, "recrawl", timeout=self._optional(res.size, "recrawl")
        )
        after = warc_files(archive)
        added = {p: n for p, n in after.items() if p not in before}
        grown = sum(n - before[p] for p, n in after.items() if p in before)
        first_bytes = sum(before.values())
        added_bytes = sum(added.values()) + grown
        res.recrawl = {
            "first_crawl_warc_bytes": first_bytes,
            "recrawl_warc_bytes": added_bytes,
            "ratio": added_bytes / first_bytes if first_bytes else None,
            "records": record_types(list(added)),
            "first_pages": first.pages if first else None,
            "recrawl_pages": fig.pages,
            "status": fig.status,
        }
        if fig.pages and fig.status == "ok":
            self.rates["recrawl"] = fig.pages_per_s
        self._say(
            f"  re-crawl wrote {added_bytes:,} B of WARC against {first_bytes:,} B first "
            f"({100 * (res.recrawl['ratio'] or 0):.2f} %)"
        )

    def _optional(self, size: int, kind: str) -> float:
        """Timeout of the optional step running now (see :meth:`optional_timeout`); at the
        smallest size, where every step runs, that of a step of every size."""
        if self.smallest:
            rest = tuple(k for k, _ in self.after)
            return self.mandatory_timeout(kind, size, rest)
        return self.optional_timeout(kind, size, self.after)

    def run_wget(self, srv: Server, res: SizeResult) -> None:
        wget = shutil.which("wget")
        if wget is None:
            res.skipped.append(("wget", "wget is not installed"))
            return
        fig = Figure("wget", "wget -r --warc-file (1 connection)", res.size)
        target = self.work / f"wget-{res.size}"
        target.mkdir()
        timeout = self._optional(res.size, "wget")
        self._say(f"  {fig.label} (timeout {timeout:.0f} s) ...")
        cmd = [
            wget, "-r", "-l", "inf", "--no-parent", "-e", "robots=on",
            "--warc-file", str(target / "wget"), "-P", str(target / "files"),
            "--no-verbose", "-o", str(target / "wget.log"),
            "--reject-regex", "/(images|static)/",  # pages only, as the crawl
            "--timeout", "10", "--tries", "1", srv.base + "/",
        ]  # fmt: skip
        srv.ask("clear")
        cpu0 = srv.cpu_s()
        m = run_measured(
            cmd, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=target
        )
        fig.take(m, srv.ask("count"), srv.cpu_s() - cpu0)
        if fig.status == "failed" and m.returncode == 8:  # some 404 (robots-blocked ...)
            fig.status, fig.note = "ok", ""
        fig.note = (fig.note + "; " if fig.note else "") + "outlet only (no -H), pages only"
        res.figures.append(fig)
        if fig.status == "ok" and fig.pages:
            self.rates["wget"] = fig.pages_per_s
        self._report(fig)
        shutil.rmtree(target, ignore_errors=True)

    def service_env(self, size: int) -> dict[str, str]:
        c = str(self.args.concurrency)
        env = self.crawl_env(size)
        env.update(
            {
                "STORYVAULT_ALLOW_PRIVATE": "true",
                "STORYVAULT_HOST_DELAY": "0",
                "STORYVAULT_CONCURRENCY": c,
                "STORYVAULT_HOST_CONCURRENCY": c,
                "STORYVAULT_REQUISITES": "false",
                "STORYVAULT_DISCOVER_EVERY": "100000",  # one pass: ours
            }
        )
        return env

    def run_service(self, srv: Server, res: SizeResult, n: int) -> None:
        from service_bench import Service

        kind = f"service-{n}"
        fig = Figure(kind, f"service, {n} worker process{'es' if n > 1 else ''}", res.size)
        timeout = self._optional(res.size, kind)
        self._say(f"  {fig.label} (timeout {timeout:.0f} s) ...")
        work = self.work / f"{kind}-{res.size}"
        with Service(work=work, env=self.service_env(res.size), worker_concurrency=n) as service:
            service.start(None, timeout=min(60.0, timeout))
            timeout = self._optional(res.size, kind)
            srv.ask("clear")
            cpu0 = srv.cpu_s()
            m = service.measure(
                lambda: int(srv.ask("count")["requests"]),
                timeout,
                begin=("outlets", "add", srv.base + "/"),
            )
            server_cpu = srv.cpu_s() - cpu0
            served = srv.ask("count")
            service.stop()
        fig.pages, fig.bytes = int(served["requests"]), int(served["bytes"])
        fig.wall_s, fig.cpu_s, fig.rss_mb = m.wall_s, m.cpu_s, m.rss_mb
        fig.server_cpu_s = server_cpu
        # done (the wall time's end) but the clean queue not consumed yet when the timeout
        # came: the crawl's figure stands
        done = m.wall_s < m.drained_s - 1.0
        fig.status = "ok" if m.ok or done else ("timed out" if m.timed_out else "failed")
        fig.note = "RSS: all its processes at the end, summed"
        if done and not m.ok:
            fig.note += "; crawl done, its clean queue not consumed by the timeout"
        elif m.note:
            fig.note += f"; {m.note[:200]}"
        fig.detail = {"cpu_s": m.cpu_detail, "drained_s": m.drained_s}
        res.figures.append(fig)
        if fig.status == "ok" and fig.pages:
            self.rates[kind] = fig.pages_per_s
        self._report(fig)
        shutil.rmtree(work, ignore_errors=True)

    def run_redis(self, res: SizeResult, archive: Path) -> None:
        self._say("  Redis memory per queued URL ...")
        res.redis = redis_per_url(archive)
        if "bytes_per_url" in res.redis:
            self._say(
                f"  Redis: {res.redis['urls']} URLs queued, "
                f"{res.redis['bytes_per_url']:.0f} B per URL"
            )


# -- helpers --------------------------------------------------------------------------------


def warc_files(archive: Path) -> dict[Path, int]:
    """Every WARC file of the archive (closed or open) and its size."""
    out = {}
    for path in archive.rglob("*.warc.gz*"):
        if path.name.endswith((".warc.gz", ".warc.gz.open")):
            out[path] = path.stat().st_size
    return out


def record_types(paths: list[Path]) -> dict[str, list[int]]:
    """Records by type (revisits by profile) in these WARC files: [count, gzipped bytes]."""
    from warcio.archiveiterator import ArchiveIterator

    counts: dict[str, list[int]] = {}
    for path in paths:
        with path.open("rb") as f:
            records = ArchiveIterator(f)
            for record in records:
                kind = record.rec_type
                if kind == "revisit":
                    profile = record.rec_headers.get_header("WARC-Profile") or ""
                    kind += " (not modified)" if "server-not-modified" in profile else " (digest)"
                records.read_to_end(record)
                entry = counts.setdefault(kind, [0, 0])
                entry[0] += 1
                entry[1] += records.get_record_length()
    return dict(sorted(counts.items(), key=lambda kv: -kv[1][1]))


def crawl_items(archive: Path) -> list[Any]:
    """The URLs the first crawl of ``archive`` queued, as its SQLite state holds them."""
    from workers.core.types import FrontierItem
    from workers.state.sqlite import STATE_FILE

    db = sqlite3.connect(f"file:{archive / STATE_FILE}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT url, url_key, host, kind, hops, cite_depth, via, found_by, priority, seq"
            " FROM urls WHERE crawl_id = (SELECT MIN(id) FROM crawls) ORDER BY seq"
        ).fetchall()
    finally:
        db.close()
    return [FrontierItem(*row) for row in rows]


def redis_per_url(archive: Path, batch_size: int = 500) -> dict[str, Any]:
    """Queue the first crawl's URLs into the service frontier of a private redis-server
    (as a host turn does: :meth:`RedisState.sync` of a :class:`TurnBatch`) and return the
    memory they took."""
    from tests.support.redis import RedisServer
    from workers.state.redis_state import RedisState, TurnBatch, connect

    items = crawl_items(archive)
    if not items:
        return {"error": "the crawl queued no URL"}
    server = RedisServer().start()
    try:
        client = connect(server.url)
        try:
            state = RedisState(client)
            crawl_id, _ = state.begin_crawl(["bench:redis-per-url"])
            client.execute_command("MEMORY", "PURGE")
            before = int(client.info("memory")["used_memory"])
            now = time.time()
            t0 = time.monotonic()
            for i in range(0, len(items), batch_size):
                batch = TurnBatch()
                chunk = items[i : i + batch_size]
                for item in chunk:
                    batch.add(crawl_id, item, now)
                state.sync(chunk[0].host, "bench", now, batch, limit=0)
            elapsed = time.monotonic() - t0
            after = int(client.info("memory")["used_memory"])
            queued = int(client.hget(state.keys.counts(crawl_id), "queued") or 0)
            hosts = {item.host for item in items}
            parts = {
                "seen set (digest field -> status and item)": [state.keys.urls(crawl_id)],
                "host frontier zsets (crawl:seq:digest members)": [
                    state.keys.frontier(h) for h in hosts
                ],
            }
            usage = {
                name: sum(int(client.memory_usage(k, samples=0) or 0) for k in keys)
                for name, keys in parts.items()
            }
        finally:
            client.close()
    finally:
        server.stop()
    n = len(items)
    return {
        "urls": n,
        "queued": queued,
        "used_memory_before": before,
        "used_memory_after": after,
        "bytes_per_url": (after - before) / n,
        "by_key_per_url": {k: v / n for k, v in usage.items()},
        "mean_url_chars": sum(len(i.url) for i in items) / n,
        "queue_s": round(elapsed, 2),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--sizes",
        default="1000,10000,50000",
        help="articles on the outlet, one run of every step per size (1000,10000,50000)",
    )
    p.add_argument("--concurrency", type=int, default=16, help="requests in flight (16)")
    p.add_argument(
        "--cited-hosts", type=int, default=4, choices=range(1, 5), help="cited hosts (4)"
    )
    p.add_argument(
        "--cites-per-article",
        type=int,
        default=1,
        help="in-body citations per article, round robin over the cited hosts (1)",
    )
    p.add_argument("--bare-repeats", type=int, default=3, help="bare loop runs, fastest counts (3)")
    p.add_argument(
        "--recrawl-max", type=int, default=10_000, help="largest size re-crawled (10000)"
    )
    p.add_argument("--wget-max", type=int, default=10_000, help="largest size for wget (10000)")
    p.add_argument(
        "--service-max", type=int, default=10_000, help="largest size for the service (10000)"
    )
    p.add_argument(
        "--service-workers",
        default="1,2",
        help="worker processes of each service run, comma-separated (1,2; empty: none)",
    )
    p.add_argument("--timeout", type=float, default=900.0, help="per measured process (900 s)")
    p.add_argument("--deadline", type=float, default=1140.0, help="the whole bench, seconds (1140)")
    p.add_argument(
        "--markdown-out",
        type=Path,
        default=ROOT / "BENCHMARKS.md",
        help="the report (BENCHMARKS.md at the repository root)",
    )
    p.add_argument("--json-out", type=Path, help="also write every figure as JSON here")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    args = p.parse_args(argv)
    args.sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    args.service_workers = [int(n) for n in args.service_workers.split(",") if n.strip()]
    if not args.sizes:
        p.error("--sizes: at least one size")
    return args


def _interrupt(signum: int, _: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    from scale_report import machine, write_report

    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="storyvault-scale-"))
    bench = ScaleBench(args, work)
    signal.signal(signal.SIGTERM, _interrupt)
    host = machine()
    interrupted = False
    try:
        bench.run()
    except KeyboardInterrupt:
        interrupted = True
        print("bench: interrupted; every child process was stopped", file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory kept: {work}", file=sys.stderr)
    host["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    total_s = time.monotonic() - bench.t0
    text = write_report(args, bench.results, host, total_s, interrupted)
    args.markdown_out.write_text(text, encoding="utf-8")
    print(text)
    if args.json_out:
        data = {
            "machine": host,
            "total_s": round(total_s, 1),
            "sizes": [
                {**asdict(r), "figures": [f.as_dict() for f in r.figures]} for r in bench.results
            ],
        }
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
