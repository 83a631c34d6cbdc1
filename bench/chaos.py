"""``make chaos``: kill the crawlers at random points, cut connections, fill the disk, and
check the archive each time.

Three scenarios, each against a synthetic outlet on loopback (``tests/support/newsoutlet.py``,
with its cited hosts on 127.0.0.2 and 127.0.0.3) that cuts some first responses mid-body
(``tests/support/cuts.py``, ``--cut-rate``); each is checked with ``bench/chaos_checks.py``.

1. The embedded crawl. ``storyvault crawl`` is started ``--kills`` times (default 20) and
   SIGKILLed at a random point of each run: after a random number of fetches (read from
   its JSON log) plus a random few milliseconds, or after a random time, so that kills
   land between records, inside a record, between a record and its state, and in the
   closing of a file. Each run resumes the one before. A last run goes to the end, then:

   * every WARC file passes ``warcio check`` and the structural checks of the tests (after
     the crawler's own repair of ``.open`` files on restart), and no ``.open`` file is left;
   * every article of the outlet, and every source it cites, has a whole response (no
     ``WARC-Truncated``) or a revisit record;
   * every line of ``ARCHIVE/queue/clean.jsonl`` points to a whole record that exists:
     read with warcio at its offset, it has the message's record id and URL; no message is
     there twice, every version in the catalogue has its message, and no story of the
     (never changing) outlet has more than one version.

2. The background service (``bench/chaos_service.py``, skipped with ``--no-service``):
   redis-server, ``storyvault worker`` twice and ``storyvault beat``, run from the command
   line as an operator does; ``--kills`` SIGKILLs of a Celery pool process, Celery main
   process or whole worker process group, and ``--redis-restarts`` restarts of Redis, at
   random points of the crawl; then the same checks on the WARC files, the Celery
   ``clean`` queue and ``storyvault versions``, and the queue drained by the reference
   cleaner.

3. A full disk: where this runs as root and can mount a 2 MiB tmpfs, a crawl of an
   outlet with heavy pages is run into it; it must stop by itself with one error line
   naming the file, and the archive it leaves (copied to a normal disk) must pass the same
   checks once ``storyvault reindex`` has repaired it. Elsewhere that part is skipped with
   a note (``--no-enospc`` skips it).

Every process has a timeout and the whole run a deadline (``--deadline``, 14 min; make
adds a hard 15 min bound, and 5 min for the fuzzing before it); the exit status is 0 when
every check passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.chaos_checks import (  # noqa: E402
    Checks,
    check_captured,
    check_messages,
    check_versions,
    check_warcs,
)
from tests.support.cuts import BodyCutter  # noqa: E402
from tests.support.newsoutlet import OutletSpec, start_outlet  # noqa: E402
from workers.state.sqlite import SQLiteState  # noqa: E402
from workers.versions.catalogue import Catalogue  # noqa: E402

BIN = Path(sys.executable).parent
RUN_TIMEOUT = 60.0  # seconds for one crawl run (a whole crawl of the outlet takes ~2 s)
SERVICE_RESERVE = 300.0  # seconds of the deadline kept for the service part (~2 min)
DISK_RESERVE = 90.0  # and for the full-disk part (~30 s)


@dataclass
class Run:
    """One crawl run and how it ended."""

    how: str  # "fetches N" / "time S" / "to the end"
    fetched: int = 0
    killed: bool = False
    returncode: int | None = None
    repaired: int = 0
    last_error: str = ""
    seconds: float = 0.0


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def check(self, what: str) -> None:
        if self.left() <= 0:
            raise SystemExit(f"chaos: deadline passed before {what}")


def crawl_cmd(archive: Path, url: str) -> list[str]:
    return [
        str(BIN / "storyvault"),
        "--log-json",
        "crawl",
        "--allow-private",
        "--delay",
        "0",
        "--verbose",
        "--archive",
        str(archive),
        url,
    ]


def run_crawl(
    cmd: list[str],
    *,
    kill_after_fetches: int | None,
    kill_after_s: float | None,
    rng: random.Random,
) -> Run:
    """Run ``cmd``; SIGKILL it after that many ``fetched`` events (plus a few random ms)
    or that many seconds, or let it finish (both ``None``)."""
    how = (
        f"fetches {kill_after_fetches}"
        if kill_after_fetches is not None
        else f"time {kill_after_s:.2f}s"
        if kill_after_s is not None
        else "to the end"
    )
    run = Run(how)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace"
    )
    reached = threading.Event()
    lines: list[str] = []

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            try:
                event = json.loads(line).get("event")
            except (ValueError, AttributeError):
                continue
            if event == "fetched":
                run.fetched += 1
                if kill_after_fetches is not None and run.fetched >= kill_after_fetches:
                    reached.set()
            elif event == "warc_recovered":
                run.repaired += 1
        reached.set()  # the run ended before that many fetches

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    started = time.monotonic()
    try:
        if kill_after_fetches is not None or kill_after_s is not None:
            wait = kill_after_s if kill_after_s is not None else RUN_TIMEOUT
            if kill_after_fetches is not None:
                reached.wait(RUN_TIMEOUT)
                time.sleep(rng.uniform(0, 0.03))  # somewhere inside the next write
            else:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(wait)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                run.killed = True
        proc.wait(max(1.0, RUN_TIMEOUT - (time.monotonic() - started)))
    except subprocess.TimeoutExpired:
        run.last_error = f"still running after {RUN_TIMEOUT} s: killed"
    finally:
        if proc.poll() is None:  # timed out, or chaos itself is stopping
            proc.kill()
            proc.wait(30)
    reader.join(30)
    run.seconds = time.monotonic() - started
    run.returncode = proc.returncode
    errors = [line.strip() for line in lines if line.startswith("storyvault:")]
    if errors and not run.last_error:
        run.last_error = errors[-1]
    return run


def check_archive(
    archive: Path, expected: Mapping[str, Sequence[str]] | None, checks: Checks
) -> None:
    """The checks of the module docstring, counted into ``checks``."""
    by_id = check_warcs(archive, checks)
    if expected is not None:
        check_captured(by_id, expected, checks)
    queue = archive / "queue" / "clean.jsonl"
    lines = queue.read_text(encoding="utf-8").splitlines() if queue.exists() else []
    messages = []
    for n, line in enumerate(lines, 1):
        try:
            messages.append(json.loads(line))
        except ValueError as exc:
            checks.fail(f"queue line {n}: not JSON ({exc})")
    announced = check_messages(
        archive, messages, by_id, checks, where="clean.jsonl", repeats_allowed=False
    )
    check_versions(catalogue_versions(archive, checks), announced, by_id, checks)


def catalogue_versions(archive: Path, checks: Checks) -> dict[tuple[str, int], str]:
    """(story id, version number) → record id of every version in the archive's
    catalogue; a story of the synthetic outlet with more than one version is a problem
    (it never changes)."""
    if not (archive / "state" / "embedded.sqlite3").exists():
        return {}
    out = {}
    with SQLiteState.beside(archive) as state:
        catalogue = Catalogue(state)
        for story in catalogue.stories():
            versions = catalogue.versions(story.story_id)
            if len(versions) > 1:
                checks.fail(f"{story.url}: {len(versions)} versions of a story that never changed")
            for version in versions:
                out[(story.story_id, version.number)] = version.warc["record_id"]
    return out


def chaos(
    archive: Path,
    kills: int,
    cut_rate: float,
    rng: random.Random,
    deadline: Deadline,
    reserve: float = 0.0,
) -> tuple[list[Run], Checks]:
    """The embedded part; ``reserve``: seconds of the deadline kept for the parts after it."""
    spec = OutletSpec(sections=3, articles_per_section=6, calendar_trap=True)
    runs: list[Run] = []
    checks = Checks()
    cutter = BodyCutter(rate=cut_rate, attempts=1, seed=rng.randrange(1 << 30))
    with start_outlet(spec, middlewares=[cutter.middleware]) as fx:
        cmd = crawl_cmd(archive, fx.url("/"))
        estimate = 60  # fetches of a whole crawl, refined by each run that gets to the end
        lasts = 2.0  # seconds of a whole crawl, likewise
        attempts = 0
        while sum(r.killed for r in runs) < kills and attempts < 3 * kills:
            if deadline.left() < 2 * RUN_TIMEOUT + reserve:  # room for the last run and more
                checks.fail(f"deadline: stopped after {sum(r.killed for r in runs)} kills")
                break
            attempts += 1
            if rng.random() < 0.7:
                run = run_crawl(
                    cmd,
                    kill_after_fetches=rng.randint(1, estimate),
                    kill_after_s=None,
                    rng=rng,
                )
            else:
                run = run_crawl(
                    cmd, kill_after_fetches=None, kill_after_s=rng.uniform(0.05, lasts), rng=rng
                )
            if not run.killed and run.fetched >= estimate:
                estimate, lasts = run.fetched, run.seconds
            runs.append(run)
            print(
                f"run {len(runs):2}: {run.how:14} fetched {run.fetched:4}  "
                f"{'killed' if run.killed else f'exit {run.returncode}'}"
                f"{f'  repaired {run.repaired}' if run.repaired else ''}",
                flush=True,
            )
        deadline.check("the last run")
        last = run_crawl(cmd, kill_after_fetches=None, kill_after_s=None, rng=rng)
        runs.append(last)
        print(f"last run: to the end, fetched {last.fetched}, exit {last.returncode}", flush=True)
        if last.returncode != 0:
            checks.fail(f"the last run exited {last.returncode}: {last.last_error}")
        expected = {
            "outlet articles": fx.article_urls(),
            "cited sources": sorted(
                {c for p in fx.site.article_urls() for c in fx.site.expected_cited(p)}
            ),
        }
    checks.counts["responses cut mid-body"] = len(cutter.cuts)
    check_archive(archive, expected, checks)
    return runs, checks


@contextlib.contextmanager
def small_tmpfs(size: str) -> Iterator[Path | None]:
    """A tmpfs of ``size`` mounted on a fresh directory, or ``None`` where that fails."""
    where = Path(tempfile.mkdtemp(prefix="storyvault-enospc-"))
    mounted = False
    try:
        if os.geteuid() == 0 and shutil.which("mount"):
            result = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            mounted = result.returncode == 0
            if not mounted:
                print(f"chaos: cannot mount a tmpfs ({result.stderr.strip()})", flush=True)
        yield where if mounted else None
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(where)], timeout=30, check=False)
        shutil.rmtree(where, ignore_errors=True)


def full_disk(workdir: Path, deadline: Deadline) -> tuple[Run | None, Checks | None, str]:
    """A crawl into a 2 MiB tmpfs; (its run, the checks of the repaired copy, a note)."""
    with small_tmpfs("2m") as mount:
        if mount is None:
            return None, None, "skipped: this user cannot mount a tmpfs"
        deadline.check("the full-disk crawl")
        archive = mount / "archive"
        spec = OutletSpec(sections=2, articles_per_section=8, page_state_kb=300)
        with start_outlet(spec) as fx:
            run = run_crawl(
                crawl_cmd(archive, fx.url("/")),
                kill_after_fetches=None,
                kill_after_s=None,
                rng=random.Random(0),
            )
        copy = workdir / "enospc-archive"
        shutil.copytree(archive, copy, symlinks=True)
    checks = Checks()
    if run.returncode == 0:
        checks.fail("a crawl into a full disk exited 0")
    elif run.last_error and "Traceback" in run.last_error:
        checks.fail(f"a full disk gave a traceback: {run.last_error}")
    elif not run.last_error:
        checks.fail(f"a full disk: exit {run.returncode} without an error line")
    repaired = subprocess.run(
        [str(BIN / "storyvault"), "reindex", "--archive", str(copy)],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    if repaired.returncode != 0:
        checks.fail(f"reindex of the full-disk archive exited {repaired.returncode}")
    check_archive(copy, None, checks)
    return run, checks, f"exit {run.returncode}: {run.last_error or '(no error line)'}"


def table(rows: Sequence[tuple[str, object]]) -> str:
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs of each part (20)")
    parser.add_argument(
        "--service-kills", type=int, default=None, help="SIGKILLs of workers (--kills)"
    )
    parser.add_argument(
        "--redis-restarts", type=int, default=2, help="Redis restarts mid-crawl (2)"
    )
    parser.add_argument(
        "--cut-rate",
        type=float,
        default=0.2,
        help="share of first responses cut mid-body (0.2; 0: none)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--deadline", type=float, default=840, help="seconds (default 840)")
    parser.add_argument("--no-embedded", action="store_true", help="skip the embedded part")
    parser.add_argument("--no-service", action="store_true", help="skip the service part")
    parser.add_argument("--no-enospc", action="store_true", help="skip the full-disk part")
    parser.add_argument(
        "--keep", type=Path, default=None, help="work in this directory and leave it there"
    )
    args = parser.parse_args()
    if args.kills < 0 or args.redis_restarts < 0 or not 0 <= args.cut_rate <= 1:
        parser.error("--kills and --redis-restarts are counts, --cut-rate is in [0, 1]")
    # SIGTERM (make's timeout, Ctrl-C's cousin) unwinds: servers stop, temp files go
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed)
    deadline = Deadline(args.deadline)
    service_kills = args.kills if args.service_kills is None else args.service_kills
    print(
        f"chaos: seed {seed}, {args.kills} kills embedded, {service_kills} kills and "
        f"{args.redis_restarts} Redis restarts in the service, cut rate {args.cut_rate}",
        flush=True,
    )
    problems: list[str] = []
    with contextlib.ExitStack() as stack:
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            work = args.keep.resolve()
        else:
            work = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="storyvault-chaos-"))
            )
        if args.no_embedded:
            print("\nembedded crawl: skipped (--no-embedded)")
        else:
            reserve = (0 if args.no_service else SERVICE_RESERVE) + (
                0 if args.no_enospc else DISK_RESERVE
            )
            problems += embedded_part(work, args.kills, args.cut_rate, rng, deadline, reserve)
        if args.no_service:
            print("\nservice: skipped (--no-service)")
        else:
            problems += service_part(
                work / "service",
                service_kills,
                args.redis_restarts,
                args.cut_rate,
                rng,
                deadline,
                keep_redis=args.keep is not None,
            )
        if args.no_enospc:
            print("\nfull disk: skipped (--no-enospc)")
        else:
            problems += full_disk_part(work, deadline)
    if problems:
        print(f"\nchaos: {len(problems)} problems (seed {seed}):")
        for problem in problems[:50]:
            print(f"  {problem}")
        return 1
    print(f"\nchaos: every check passed (seed {seed})")
    return 0


def embedded_part(
    work: Path,
    kills: int,
    cut_rate: float,
    rng: random.Random,
    deadline: Deadline,
    reserve: float,
) -> list[str]:
    t0 = time.monotonic()
    runs, checks = chaos(work / "archive", kills, cut_rate, rng, deadline, reserve)
    killed = [r for r in runs if r.killed]
    rows: list[tuple[str, object]] = [
        ("runs", len(runs)),
        ("SIGKILLs", len(killed)),
        ("  by fetch count", sum(r.how.startswith("fetches") for r in killed)),
        ("  by time", sum(r.how.startswith("time") for r in killed)),
        ("runs that ended by themselves", len(runs) - len(killed)),
        ("fetches, all runs", sum(r.fetched for r in runs)),
        ("files repaired on restart", sum(r.repaired for r in runs)),
        *sorted(checks.counts.items()),
        ("seconds", round(time.monotonic() - t0)),
    ]
    print("\nembedded crawl, killed and resumed:")
    print(table(rows))
    return [f"embedded: {p}" for p in checks.problems]


def service_part(
    work: Path,
    kills: int,
    redis_restarts: int,
    cut_rate: float,
    rng: random.Random,
    deadline: Deadline,
    *,
    keep_redis: bool = False,
) -> list[str]:
    from bench.chaos_service import run_service_chaos

    reserve = DISK_RESERVE
    if deadline.left() < reserve + SERVICE_RESERVE / 2:
        return ["service: skipped, too little time left before the deadline"]
    out = run_service_chaos(
        work,
        kills=kills,
        redis_restarts=redis_restarts,
        cut_rate=cut_rate,
        rng=rng,
        time_left=deadline.left() - reserve,
        keep_redis=keep_redis,
    )
    done = [f for f in out.faults if f.done]
    kinds = ("pool process", "celery main", "worker group", "redis SIGTERM", "redis SIGKILL")
    rows: list[tuple[str, object]] = [
        ("faults injected", len(done)),
        *((f"  {kind}", sum(f.kind == kind for f in done)) for kind in kinds),
        *((name, n) for name, n in out.counts.items() if not name.startswith("  ")),
        *sorted(out.checks.counts.items()),
        ("seconds", round(out.seconds)),
    ]
    print(
        "\nservice (2 workers, beat, Redis), workers killed and Redis restarted; "
        "killed worker groups are started again by this harness (as systemd would), "
        "Celery main processes by `storyvault worker`, pool processes by Celery:"
    )
    print(table(rows))
    errors = [(name.strip(), n) for name, n in out.counts.items() if name.startswith("  ")]
    if errors:
        print("  most frequent error events: " + ", ".join(f"{e} {n}" for e, n in errors))
    return [f"service: {p}" for p in out.checks.problems]


def full_disk_part(work: Path, deadline: Deadline) -> list[str]:
    run, disk_checks, note = full_disk(work, deadline)
    print(f"\nfull disk (2 MiB tmpfs): {note}")
    if disk_checks is None or run is None:
        return []
    print(
        table(
            [("fetches before the disk was full", run.fetched), *sorted(disk_checks.counts.items())]
        )
    )
    return [f"full disk: {p}" for p in disk_checks.problems]


if __name__ == "__main__":
    sys.exit(main())
