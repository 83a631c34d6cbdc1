"""``make chaos``: kill an embedded crawl at random points, resume it, and check the archive.

Against a synthetic outlet on loopback (``tests/support/newsoutlet.py``, with its cited
hosts), ``storyvault crawl`` is started ``--kills`` times (default 20) and SIGKILLed at a
random point of each run: after a random number of fetches (read from its JSON log) plus
a random few milliseconds, or after a random time, so that kills land between records,
inside a record, between a record and its state, and in the closing of a file. Each run
resumes the one before. A last run goes to the end, then the archive is checked:

* every WARC file passes ``warcio check`` and the structural checks of the tests (after
  the crawler's own repair of ``.open`` files on restart), and no ``.open`` file is left;
* every article of the outlet has a response (or revisit) record;
* every line of ``ARCHIVE/queue/clean.jsonl`` points to a record that exists: read with
  warcio at its offset, it has the message's record id and URL; no message is there twice,
  and every version in the catalogue has its message.

Then a full disk: where this runs as root and can mount a 2 MiB tmpfs, a crawl of an
outlet with heavy pages is run into it; it must stop by itself with one error line naming
the file, and the archive it leaves (copied to a normal disk) must pass the same checks
once ``storyvault reindex`` has repaired it. Elsewhere that part is skipped with a note.

Every process has a timeout and the whole run a deadline (``--deadline``, 18 min; make
adds a hard 20 min bound); the exit status is 0 when every check passed, 1 otherwise.
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
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from warcio.archiveiterator import ArchiveIterator  # noqa: E402

from tests.support.newsoutlet import OutletSpec, start_outlet  # noqa: E402
from tests.support.warc import assert_warc_valid  # noqa: E402
from workers.parse.urls import canonical  # noqa: E402
from workers.state.sqlite import SQLiteState  # noqa: E402
from workers.versions.catalogue import Catalogue  # noqa: E402

BIN = Path(sys.executable).parent
RUN_TIMEOUT = 60.0  # seconds for one crawl run (a whole crawl of the outlet takes ~2 s)


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


@dataclass
class Checks:
    """What the archive holds, and what is wrong with it."""

    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.problems.append(problem)


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


def records_of(path: Path) -> Iterator[tuple[int, str, str, str, str | None]]:
    """(offset, type, record id, target URI, HTTP status) of each record of ``path``."""
    with path.open("rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            status = record.http_headers.get_statuscode() if record.http_headers else None
            yield (
                it.get_record_offset(),
                record.rec_type,
                record.rec_headers.get_header("WARC-Record-ID"),
                record.rec_headers.get_header("WARC-Target-URI") or "",
                status,
            )


def check_archive(archive: Path, articles: list[str] | None, checks: Checks) -> None:
    """The checks of the module docstring, counted into ``checks``."""
    warc_dir = archive / "collections" / "storyvault" / "archive"
    left_open = sorted(warc_dir.glob("*.open"))
    checks.counts["files left .open"] += len(left_open)
    for path in left_open:
        checks.fail(f"{path.name}: left .open")
    captured: set[str] = set()
    by_id: dict[str, tuple[str, int, str]] = {}
    for path in sorted(warc_dir.glob("*.warc.gz")):
        checks.counts["WARC files"] += 1
        try:
            assert_warc_valid(path)
        except AssertionError as exc:
            checks.counts["WARC files failing warcio check"] += 1
            checks.fail(f"{path.name}: {str(exc).splitlines()[0]}")
            continue
        for offset, kind, record_id, uri, status in records_of(path):
            checks.counts["records"] += 1
            checks.counts[f"{kind} records"] += 1
            by_id[record_id] = (path.name, offset, uri)
            if kind == "revisit" or (kind == "response" and status and status[0] in "23"):
                captured.add(canonical(uri))
    if articles is not None:
        checks.counts["outlet articles"] = len(articles)
        missing = [a for a in articles if canonical(a) not in captured]
        checks.counts["articles captured"] = len(articles) - len(missing)
        for url in missing:
            checks.fail(f"{url}: article not captured")
    check_queue(archive, by_id, checks)


def check_queue(archive: Path, by_id: dict[str, tuple[str, int, str]], checks: Checks) -> None:
    queue = archive / "queue" / "clean.jsonl"
    lines = queue.read_text(encoding="utf-8").splitlines() if queue.exists() else []
    ids: Counter[str] = Counter()
    versions: set[tuple[str, int]] = set()
    for n, line in enumerate(lines, 1):
        checks.counts["queue lines"] += 1
        try:
            msg = json.loads(line)
            warc = msg["warc"]
            path = archive / warc["path"]
            record_id, url = warc["record_id"], msg["url"]
            ids[msg["message_id"]] += 1
            versions.add((msg["story_id"], int(msg["version"])))
        except (ValueError, KeyError, TypeError) as exc:
            checks.fail(f"queue line {n}: not a message ({exc})")
            continue
        try:
            with path.open("rb") as fh:
                fh.seek(int(warc["offset"]))
                record = next(iter(ArchiveIterator(fh)))
                found_id = record.rec_headers.get_header("WARC-Record-ID")
                found_uri = record.rec_headers.get_header("WARC-Target-URI")
        except (OSError, StopIteration, ValueError) as exc:
            checks.fail(f"queue line {n}: no record at {warc['path']}:{warc['offset']} ({exc})")
            continue
        if found_id != record_id or found_uri != url:
            checks.fail(
                f"queue line {n}: {warc['path']}:{warc['offset']} holds {found_id} {found_uri}, "
                f"not {record_id} {url}"
            )
            continue
        if record_id not in by_id:
            checks.fail(f"queue line {n}: record {record_id} is not in a checked WARC file")
            continue
        checks.counts["queue lines pointing to their record"] += 1
    twice = [i for i, k in ids.items() if k > 1]
    checks.counts["messages queued twice"] = len(twice)
    for message_id in twice:
        checks.fail(f"message {message_id} queued {ids[message_id]} times")
    catalogued = catalogue_versions(archive)
    checks.counts["versions in the catalogue"] = len(catalogued)
    unqueued = catalogued - versions
    checks.counts["versions without a message"] = len(unqueued)
    for story_id, number in sorted(unqueued):
        checks.fail(f"story {story_id} v{number}: in the catalogue, not in the queue")


def catalogue_versions(archive: Path) -> set[tuple[str, int]]:
    """(story id, version number) of every version in the archive's catalogue."""
    if not (archive / "state" / "embedded.sqlite3").exists():
        return set()
    with SQLiteState.beside(archive) as state:
        catalogue = Catalogue(state)
        return {
            (story.story_id, version.number)
            for story in catalogue.stories()
            for version in catalogue.versions(story.story_id)
        }


def chaos(
    archive: Path, kills: int, rng: random.Random, deadline: Deadline
) -> tuple[list[Run], Checks]:
    spec = OutletSpec(sections=3, articles_per_section=6, calendar_trap=True)
    runs: list[Run] = []
    checks = Checks()
    with start_outlet(spec) as fx:
        cmd = crawl_cmd(archive, fx.url("/"))
        estimate = 60  # fetches of a whole crawl, refined by each run that gets to the end
        lasts = 2.0  # seconds of a whole crawl, likewise
        attempts = 0
        while sum(r.killed for r in runs) < kills and attempts < 3 * kills:
            if deadline.left() < 4 * RUN_TIMEOUT:  # room for the last run and the full disk
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
        articles = fx.article_urls()
    check_archive(archive, articles, checks)
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
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs (default 20)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--deadline", type=float, default=1080, help="seconds (default 1080)")
    parser.add_argument("--no-enospc", action="store_true", help="skip the full-disk part")
    args = parser.parse_args()
    # SIGTERM (make's timeout, Ctrl-C's cousin) unwinds: the outlet stops, temp files go
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed)
    deadline = Deadline(args.deadline)
    print(f"chaos: seed {seed}, {args.kills} kills", flush=True)
    with tempfile.TemporaryDirectory(prefix="storyvault-chaos-") as tmp:
        work = Path(tmp)
        runs, checks = chaos(work / "archive", args.kills, rng, deadline)
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
        ]
        print("\nkilled and resumed:")
        print(table(rows))
        problems = list(checks.problems)
        if args.no_enospc:
            print("\nfull disk: skipped (--no-enospc)")
        else:
            run, disk_checks, note = full_disk(work, deadline)
            print(f"\nfull disk (2 MiB tmpfs): {note}")
            if disk_checks is not None and run is not None:
                print(
                    table(
                        [
                            ("fetches before the disk was full", run.fetched),
                            *sorted(disk_checks.counts.items()),
                        ]
                    )
                )
                problems += [f"full disk: {p}" for p in disk_checks.problems]
    if problems:
        print(f"\nchaos: {len(problems)} problems (seed {seed}):")
        for problem in problems[:50]:
            print(f"  {problem}")
        return 1
    print(f"\nchaos: every check passed (seed {seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
