"""``make bench``, politeness step: the service against the embedded crawl at a per-host delay.

Issue 12's acceptance 2: the service crawl of the test outlet at a 0.25 s and a 1 s
per-host delay is within 10 % of the embedded crawl's wall time, measured in the same run.

For each ``--delays`` entry, two crawls, each of a fresh server process
(``bench/serve.py --outlet test``: the test suite's outlet, 2 sections of 6 articles, the
calendar trap on, on 127.0.0.1, citing ``--cited-hosts`` hosts on 127.0.0.2, 127.0.0.3),
so that both see the same site:

1. embedded: ``storyvault crawl --allow-private --delay D`` into a fresh archive;
2. service (``bench/service_bench.py``'s :class:`Service`): a private redis-server,
   ``storyvault worker --concurrency N`` and ``storyvault beat`` with
   ``STORYVAULT_HOST_DELAY=D``, warm (the worker answers a ping), then
   ``storyvault outlets add URL``, which queues the outlet's discovery, and a wait until
   the service is idle.

Both use the settings' defaults otherwise (budgets, concurrency, requisites), so the
trap is cut by the same budgets. Each wall time is the issue's measure: from the first to
the last request the outlet's servers saw (the server's clock, start-up and shutdown of
either runner left out). The two must fetch the same set of URLs (ports differ between
the two server processes and are mapped); any difference is reported.

Beside the wall times, per host: the requests, their span and the time the gaps between
consecutive requests exceed the delay (``excess``): a runner that keeps a host at its
delay has an excess near 0; what the service adds shows there. For the service, the host
turns from the worker's log: how many, the URLs each took and the time between one turn's
end and the host's next turn's start. And each crawl's budget counters as its state keeps
them (SQLite, Redis): pages queued per shape from pages of that shape (the trap chain),
URLs skipped by reason, so that a different URL set can be traced to its budget.

It is a measurement, not a test: it exits 0 whatever the ratios, every process has a
timeout and the whole step a ``--deadline``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from crawl_bench import PYTHON, ROOT, Server, engine_version, rebase, run_measured  # noqa: E402
from service_bench import Service  # noqa: E402

TARGET = 1.10  # service/embedded wall time


@dataclass
class Crawl:
    """One crawl of the test outlet, as its servers saw it."""

    runner: str  # embedded, service
    delay: float
    ok: bool = True
    note: str = ""
    requests: int = 0
    wall_s: float = 0.0  # first to last request the servers saw
    process_s: float = 0.0  # the embedded process / the service from `outlets add` to idle
    hosts: dict[str, dict[str, float]] = field(default_factory=dict)
    turns: dict[str, Any] = field(default_factory=dict)
    budgets: dict[str, int] = field(default_factory=dict)  # as stored: SQLite or Redis
    urls: list[str] = field(default_factory=list)  # method + URL, server order
    bases: list[str] = field(default_factory=list)


def seen(crawl: Crawl, log: dict[str, Any], bases: list[str]) -> list[float]:
    """Fill ``crawl`` from a server ``log`` reply; the request times, sorted."""
    entries = sorted(zip(log["times"], log["requests"], strict=True))
    crawl.bases = bases
    crawl.urls = [f"{method} {url}" for _, (method, url) in entries]
    crawl.requests = len(entries)
    times = [t for t, _ in entries]
    crawl.wall_s = round(times[-1] - times[0], 3) if times else 0.0
    by_host: dict[str, list[float]] = defaultdict(list)
    for t, (_, url) in entries:
        by_host[urlsplit(url).hostname or "?"].append(t)
    for host, ts in sorted(by_host.items()):
        gaps = [b - a for a, b in pairwise(ts)]
        crawl.hosts[host] = {
            "requests": len(ts),
            "span_s": round(ts[-1] - ts[0], 3),
            "first_s": round(ts[0] - times[0], 3),
            "excess_s": round(sum(max(0.0, g - crawl.delay) for g in gaps), 3),
            "max_gap_s": round(max(gaps, default=0.0), 3),
        }
    if log.get("errors"):
        crawl.note = f"server errors: {log['errors'][:3]}"
    return times


def turn_gaps(worker_log: Path) -> dict[str, Any]:
    """Host turns from the worker's JSON log: per host, the turns, the URLs they took and
    the idle time between one turn's end and the host's next turn's start."""
    turns: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    empty = 0
    for raw in worker_log.read_text(errors="replace").splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        msg = str(line.get("event", "")) if isinstance(line, dict) else ""
        if not msg.startswith("Task storyvault.crawl_host[") or " succeeded in " not in msg:
            continue
        try:
            runtime = float(msg.split(" succeeded in ", 1)[1].split("s:", 1)[0])
            end = datetime.fromisoformat(str(line["timestamp"])).timestamp()
            ret = ast.literal_eval(msg.split("s: ", 1)[1])
        except (KeyError, ValueError, IndexError, SyntaxError):
            continue
        if not isinstance(ret, dict) or not ret.get("host"):
            empty += 1
            continue
        turns[str(ret["host"])].append((end - runtime, end, int(ret.get("urls", 0))))
    out: dict[str, Any] = {"empty_turns": empty, "hosts": {}}
    for host, runs in sorted(turns.items()):
        runs.sort()
        between = [b[0] - a[1] for a, b in pairwise(runs)]
        out["hosts"][host] = {
            "turns": len(runs),
            "urls": [n for _, _, n in runs],
            "turn_s": [round(b - a, 2) for a, b, _ in runs],
            "between_turns_s": [round(g, 2) for g in between],
            "between_total_s": round(sum(between), 2),
        }
    return out


BUDGET_COUNTERS = ("pages|", "linked|", "skip|")


def embedded_budget_counts(archive: Path) -> dict[str, int]:
    """The embedded crawl's budget counters as its SQLite state keeps them (pages queued
    per host and per shape reached from pages of that shape, URLs skipped by reason)."""
    from workers.state.sqlite import SQLiteState
    from workers.warc.root import STATE_FILE

    if not (archive / STATE_FILE).is_file():  # the crawl did not start
        return {}
    state = SQLiteState.beside(archive)
    try:
        counts = state.budget_counts(1)  # a fresh archive's one crawl
    finally:
        state.close()
    return {k: n for k, n in sorted(counts.items()) if k.startswith(BUDGET_COUNTERS) and n}


def budget_counts(svc: Service) -> dict[str, int]:
    """The service's budget counters, as :func:`embedded_budget_counts`, from Redis,
    summed over its crawls."""
    import redis

    assert svc.redis is not None
    client = redis.Redis.from_url(svc.redis.url)
    counts: Counter[str] = Counter()
    try:
        for key in client.scan_iter(match="*crawl*budget"):
            for name, n in client.hgetall(key).items():
                counts[name.decode()] += int(n)
    finally:
        client.close()
    return {k: n for k, n in sorted(counts.items()) if k.startswith(BUDGET_COUNTERS) and n}


def outlet_rate_ratio(embedded: Crawl, service: Crawl) -> float | None:
    """Service over embedded seconds per request on the busiest host (the outlet): the
    wall-time ratio corrected for a different number of requests."""

    def rate(crawl: Crawl) -> float | None:
        if not crawl.hosts:
            return None
        host = max(crawl.hosts.values(), key=lambda h: h["requests"])
        return host["span_s"] / (host["requests"] - 1) if host["requests"] > 1 else None

    e, s = rate(embedded), rate(service)
    return round(s / e, 3) if e and s else None


class DelayBench:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.deadline = time.monotonic() + float(args.deadline)

    def timeout(self) -> float:
        left = self.deadline - time.monotonic() - 30  # room to stop and report
        if left < 10:
            raise TimeoutError("delay bench deadline reached")
        return min(float(self.args.timeout), left)

    def server(self) -> Server:
        return Server(0, self.args.cited_hosts, outlet="test")

    @staticmethod
    def env() -> dict[str, str]:
        return {k: v for k, v in os.environ.items() if not k.startswith("STORYVAULT_")}

    def embedded(self, delay: float) -> Crawl:
        crawl = Crawl("embedded", delay)
        tag = f"embedded-{delay:g}"
        cmd = [
            str(Path(PYTHON).with_name("storyvault")),
            "--log-json",
            "crawl",
            "--allow-private",
            "--delay",
            f"{delay:g}",
            "--archive",
            str(self.work / f"archive-{tag}"),
            "--json",
        ]
        with self.server() as srv:
            cmd.append(srv.base + "/")
            with (
                (self.work / f"{tag}.json").open("wb") as out,
                (self.work / f"{tag}.log").open("wb") as err,
            ):
                m = run_measured(
                    cmd, timeout=self.timeout(), stdout=out, stderr=err, env=self.env()
                )
            seen(crawl, srv.ask("log"), srv.bases)
        crawl.budgets = embedded_budget_counts(self.work / f"archive-{tag}")
        crawl.process_s = round(m.wall_s, 3)
        crawl.ok = m.returncode == 0 and not m.timed_out
        if not crawl.ok:
            crawl.note = f"exit {m.returncode}{', timed out' if m.timed_out else ''}; " + crawl.note
        return crawl

    def service(self, delay: float) -> Crawl:
        crawl = Crawl("service", delay)
        work = self.work / f"service-{delay:g}"
        env = self.env()
        env.update(
            {
                "STORYVAULT_ALLOW_PRIVATE": "true",
                "STORYVAULT_HOST_DELAY": f"{delay:g}",
                "STORYVAULT_DISCOVER_EVERY": "100000",  # one pass: the one outlets add queues
            }
        )
        if self.args.dispatch_every is not None:
            env["STORYVAULT_DISPATCH_EVERY"] = str(self.args.dispatch_every)
        env.update(self.args.service_settings)
        with (
            self.server() as srv,
            Service(work=work, env=env, worker_concurrency=self.args.worker_concurrency) as svc,
        ):
            svc.start(None, timeout=min(60.0, self.timeout()))
            m = svc.measure(
                lambda: int(srv.ask("count")["requests"]),
                self.timeout(),
                begin=("outlets", "add", srv.base + "/"),
            )
            crawl.budgets = budget_counts(svc)
            svc.stop()
            seen(crawl, srv.ask("log"), srv.bases)
        crawl.process_s = round(m.wall_s, 3)
        crawl.ok = m.ok
        if m.note:
            crawl.note = m.note + ("; " + crawl.note if crawl.note else "")
        crawl.turns = turn_gaps(work / "worker.log")
        return crawl


def compare(embedded: Crawl, service: Crawl) -> dict[str, Any]:
    """URLs one fetched and the other did not (ports mapped), and repeated requests."""
    theirs = Counter(
        " ".join([m, rebase(u, embedded.bases, service.bases)])
        for m, u in (x.split(" ", 1) for x in embedded.urls)
    )
    ours = Counter(service.urls)
    return {
        "only_embedded": sorted(set(theirs) - set(ours)),
        "only_service": sorted(set(ours) - set(theirs)),
        "repeated_embedded": sum(n - 1 for n in theirs.values()),
        "repeated_service": sum(n - 1 for n in ours.values()),
    }


def report(rows: list[dict[str, Any]]) -> None:
    print()
    print(
        "storyvault delay bench: the test outlet (2 sections x 6 articles, calendar trap) "
        "and its cited hosts, loopback; wall = first to last request the servers saw"
    )
    head = (
        f"{'delay s':>7} {'embedded s':>10} {'service s':>9} {'ratio':>6} "
        f"{'req emb':>7} {'req svc':>7} {'s/req ratio':>11}  target"
    )
    print(head)
    print("-" * len(head))
    for row in rows:
        e, s = row["embedded"], row.get("service")
        if s is None:
            print(f"{row['delay']:>7g} {e['wall_s']:>10.2f} {'-':>9} {'-':>6} {e['requests']:>7}")
            continue
        ratio, per = row.get("ratio"), row.get("ratio_per_outlet_request")
        verdict = "" if ratio is None else ("met" if ratio <= TARGET else "MISSED")
        print(
            f"{row['delay']:>7g} {e['wall_s']:>10.2f} {s['wall_s']:>9.2f} "
            f"{ratio if ratio is not None else '-':>6} {e['requests']:>7} {s['requests']:>7}"
            f" {per if per is not None else '-':>11}  <= {TARGET:.2f} {verdict}"
        )
    print(
        "(ratio: service/embedded wall time; s/req ratio: the same per request on the "
        "outlet's host, which is the crawl's longest queue)"
    )
    for row in rows:
        for crawl in (row["embedded"], row.get("service")):
            if crawl is None:
                continue
            tag = f"  delay {row['delay']:g} {crawl['runner']}"
            if not crawl["ok"] or crawl["note"]:
                print(f"{tag}: {'FAILED ' if not crawl['ok'] else ''}{crawl['note']}")
            hosts = ", ".join(
                f"{h} {v['requests']} req span {v['span_s']:.1f} s excess {v['excess_s']:.1f} s"
                for h, v in crawl["hosts"].items()
            )
            print(f"{tag}: {hosts}")
            if crawl.get("budgets"):
                shown = ", ".join(
                    f"{k} {n}" for k, n in crawl["budgets"].items() if not k.startswith("pages|")
                )
                print(f"{tag}: budget counters: {shown}")
            for host, t in crawl.get("turns", {}).get("hosts", {}).items():
                print(
                    f"{tag}: {host}: {t['turns']} turns, URLs per turn {t['urls'][:12]}"
                    f"{' ...' if len(t['urls']) > 12 else ''}, "
                    f"{t['between_total_s']:.1f} s between turns {t['between_turns_s'][:8]}"
                )
        diff = row.get("urls")
        if diff is not None:
            same = not diff["only_embedded"] and not diff["only_service"]
            print(
                f"  delay {row['delay']:g} URLs: "
                + (
                    "the same set"
                    if same
                    else f"{len(diff['only_embedded'])} only embedded "
                    f"{diff['only_embedded'][:3]}, {len(diff['only_service'])} only service "
                    f"{diff['only_service'][:3]}"
                )
                + f"; repeated: embedded {diff['repeated_embedded']}, "
                f"service {diff['repeated_service']}"
            )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--delays", default="0.25,1", help="per-host delays, seconds (default 0.25,1)"
    )
    parser.add_argument("--cited-hosts", type=int, default=2, choices=range(0, 5))
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument(
        "--dispatch-every",
        type=float,
        default=None,
        help="STORYVAULT_DISPATCH_EVERY for the service (default: the setting's default)",
    )
    parser.add_argument(
        "--service-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a further setting of the service, e.g. STORYVAULT_BATCH_SECONDS=5 (repeatable)",
    )
    parser.add_argument("--no-service", action="store_true", help="the embedded crawls only")
    parser.add_argument("--timeout", type=float, default=180, help="per crawl, s (180)")
    parser.add_argument("--deadline", type=float, default=600, help="the whole step, s (600)")
    parser.add_argument("--json-out", type=Path, help="write the figures here as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    try:
        args.delay_list = [float(d) for d in args.delays.split(",") if d.strip()]
    except ValueError:
        parser.error(f"--delays: a comma-separated list of seconds, not {args.delays!r}")
    if not args.delay_list or min(args.delay_list) < 0:
        parser.error("--delays: one or more delays >= 0")
    args.service_settings = {}
    for pair in args.service_env:
        name, sep, value = pair.partition("=")
        if not sep or not name.startswith("STORYVAULT_"):
            parser.error(f"--service-env: STORYVAULT_NAME=VALUE, not {pair!r}")
        args.service_settings[name] = value
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="storyvault-delay-bench-"))
    bench = DelayBench(args, work)
    rows: list[dict[str, Any]] = []
    try:
        for delay in args.delay_list:
            row: dict[str, Any] = {"delay": delay}
            rows.append(row)
            try:
                embedded = bench.embedded(delay)
                row["embedded"] = asdict(embedded)
                if args.no_service:
                    continue
                service = bench.service(delay)
                row["service"] = asdict(service)
                if embedded.wall_s > 0 and embedded.ok and service.ok:
                    row["ratio"] = round(service.wall_s / embedded.wall_s, 3)
                    row["ratio_per_outlet_request"] = outlet_rate_ratio(embedded, service)
                row["urls"] = compare(embedded, service)
            except (TimeoutError, RuntimeError, OSError, subprocess.SubprocessError) as exc:
                row["error"] = f"{type(exc).__name__}: {exc}"
                print(f"delay {delay:g}: {row['error']}", file=sys.stderr)
                if isinstance(exc, TimeoutError):
                    break
        rows = [r for r in rows if "embedded" in r]
        report(rows)
        print(f"engine: {engine_version()}; load average {os.getloadavg()[0]:.2f}")
        if args.json_out:
            figures = {
                "params": {
                    "delays": args.delay_list,
                    "cited_hosts": args.cited_hosts,
                    "worker_concurrency": args.worker_concurrency,
                    "dispatch_every": args.dispatch_every,
                    "service_env": args.service_settings,
                    "engine": engine_version(),
                    "cores": os.cpu_count(),
                    "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
                },
                "target_ratio": TARGET,
                "rows": rows,
            }
            args.json_out.write_text(json.dumps(figures, indent=2) + "\n")
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
