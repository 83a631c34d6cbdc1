"""BENCHMARKS.md from the figures of ``bench/scale_bench.py``: method, machine, targets, tables.

Pure rendering apart from :func:`machine` and :func:`commit`, which read this host (CPU
model, cores, memory, OS, tool versions) and the checkout's HEAD; no path of the machine
goes into the report.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scale_bench import Figure, SizeResult

ROOT = Path(__file__).resolve().parents[1]

# the targets ("Speed: the embedded crawl near the bare fetch loop ...")
CRAWL_VS_BARE = 0.5
CRAWL_VS_BARE_AIM = 0.8
CRAWL_VS_WGET = 5.0
RSS_MB = 250.0
RSS_AT = 50_000
REDIS_B_PER_URL = 300.0
RECRAWL_SHARE = 0.05
MIN_PARTIAL_S = 45.0  # as scale_bench's


# -- this machine ---------------------------------------------------------------------------


def _first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return "not found"
    return out.strip().splitlines()[0] if out.strip() else "unknown"


def machine() -> dict[str, Any]:
    """CPU model, cores, memory, Python, OS and tool versions of this host."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = int(line.split()[1]) / 2**20
    except OSError:
        pass
    os_name = platform.system()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    try:
        import aiohttp

        aiohttp_version = aiohttp.__version__
    except ImportError:
        aiohttp_version = "not installed"
    from tests.support.redis import RedisServerError, find_redis_server

    try:
        redis_version = _first_line([find_redis_server(), "--version"])
    except RedisServerError:
        redis_version = "not found"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_gib, 1),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{os_name}, Linux {platform.release()}",
        "aiohttp": aiohttp_version,
        "wget": _first_line(["wget", "--version"]),
        "redis": redis_version.split(" sha=")[0],
        "load_at_start": [round(x, 2) for x in os.getloadavg()],
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def commit() -> str:
    """The measured commit and whether the engine differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "workers", "tasks", "bench"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"`{head}`" + (
        " with uncommitted changes in workers/, tasks/ or bench/" if dirty else ""
    )


# -- formatting -----------------------------------------------------------------------------


def _n(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


def _ratio(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _met(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "**missed**")


def _ratio_to(f: Figure, bare: Figure | None, attr: str) -> float | None:
    if bare is None or bare.status != "ok":
        return None
    mine, theirs = getattr(f, attr), getattr(bare, attr)
    return mine / theirs if theirs else None


def _status(f: Figure) -> str:
    return f.status if not f.note else f"{f.status}; {f.note}"


def size_table(res: SizeResult) -> list[str]:
    bare = res.figure("bare")
    rows = [
        "| run | pages | MB | wall s | pages/s | MB/s | CPU s | CPU ms/page | peak RSS MB "
        "| server CPU | pages/s ÷ bare | CPU/page ÷ bare | RSS ÷ bare | status |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for f in res.figures:
        rows.append(
            f"| {f.label} | {_n(f.pages)} | {_n(f.bytes / 1e6, 1)} | {_n(f.wall_s, 1)} "
            f"| {_n(f.pages_per_s)} | {_n(f.mb_per_s, 1)} | {_n(f.cpu_s, 1)} "
            f"| {_n(f.cpu_ms_per_page, 2)} | {_n(f.rss_mb)} | {_n(f.server_cpu_pct)} % "
            f"| {_ratio(_ratio_to(f, bare, 'pages_per_s'))} "
            f"| {_ratio(_ratio_to(f, bare, 'cpu_ms_per_page'), 1)} "
            f"| {_ratio(_ratio_to(f, bare, 'rss_mb'), 1)} | {_status(f)} |"
        )
    return rows


def size_notes(res: SizeResult) -> list[str]:
    out: list[str] = []
    crawl = res.figure("crawl")
    if crawl is not None and crawl.detail.get("summary"):
        s = crawl.detail["summary"]
        keep = ("exchanges", "fetched", "articles", "cited", "versions", "revisits", "errors")
        shown = ", ".join(f"{k} {s[k]}" for k in keep if k in s)
        if shown:
            out.append(f"- The crawl's own summary: {shown}.")
    r = res.recrawl
    if r:
        records = ", ".join(
            f"{k} {n:,} ({b / max(n, 1):,.0f} B each)" for k, (n, b) in r.get("records", {}).items()
        )
        out.append(
            f"- Re-crawl of the unchanged outlet: {_n(r['recrawl_warc_bytes'])} B of WARC "
            f"written against {_n(r['first_crawl_warc_bytes'])} B by the first crawl "
            f"(**{100 * (r['ratio'] or 0):.2f} %**); its records: {records or 'none'}."
        )
    d = res.redis
    if "bytes_per_url" in d:
        parts = "; ".join(f"{k} {v:.0f} B" for k, v in d["by_key_per_url"].items())
        out.append(
            f"- Redis: {_n(d['urls'])} URLs queued ({_n(d['queued'])} counted queued), "
            f"`used_memory` {_n(d['used_memory_before'])} → {_n(d['used_memory_after'])} B: "
            f"**{d['bytes_per_url']:.0f} B per queued URL** (mean URL "
            f"{d['mean_url_chars']:.0f} characters); `MEMORY USAGE` per URL: {parts}."
        )
    elif d:
        out.append(f"- Redis: {d.get('error', d)}")
    for run, why in res.skipped:
        out.append(f"- Not run: {run}: {why}.")
    return out


def targets_table(results: list[SizeResult]) -> list[str]:
    rows = [
        "| target | size | figure | ratio | |",
        "|---|--:|---|---|---|",
    ]
    for res in results:
        crawl, bare, wget = res.figure("crawl"), res.figure("bare"), res.figure("wget")
        if crawl is not None and bare is not None and bare.pages_per_s:
            r = crawl.pages_per_s / bare.pages_per_s
            rows.append(
                f"| embedded crawl ≥ {CRAWL_VS_BARE} of the bare loop (aim {CRAWL_VS_BARE_AIM}) "
                f"| {_n(res.size)} | {_n(crawl.pages_per_s)} vs {_n(bare.pages_per_s)} pages/s "
                f"| {r:.3f} of bare | {_met(r >= CRAWL_VS_BARE)} |"
            )
        if crawl is not None and wget is not None and wget.pages_per_s:
            r = crawl.pages_per_s / wget.pages_per_s
            to_bare = _ratio_to(wget, bare, "pages_per_s")
            rows.append(
                f"| embedded crawl ≥ {CRAWL_VS_WGET:g}x `wget -r` | {_n(res.size)} "
                f"| {_n(crawl.pages_per_s)} vs {_n(wget.pages_per_s)} pages/s "
                f"| {r:.2f}x wget (wget {_ratio(to_bare, 3)} of bare) "
                f"| {_met(r >= CRAWL_VS_WGET)} |"
            )
    for res in results:
        crawl = res.figure("crawl")
        if crawl is None:
            continue
        at_target = res.size >= RSS_AT
        bare = res.figure("bare")
        to_bare = _ratio_to(crawl, bare, "rss_mb")
        verdict = _met(crawl.rss_mb <= RSS_MB) if at_target else "- (target is at 50,000)"
        rows.append(
            f"| peak RSS of the embedded crawl ≤ {RSS_MB:g} MB at {RSS_AT:,} "
            f"| {_n(res.size)} | {_n(crawl.rss_mb)} MB | {_ratio(to_bare, 1)}x bare | {verdict} |"
        )
    for res in results:
        d = res.redis
        if "bytes_per_url" in d:
            b = d["bytes_per_url"]
            rows.append(
                f"| Redis ≤ {REDIS_B_PER_URL:g} B per queued URL | {_n(res.size)} | {b:.0f} B "
                f"| no bare-loop counterpart ({b / d['mean_url_chars']:.1f}x the mean URL) "
                f"| {_met(b <= REDIS_B_PER_URL)} |"
            )
    for res in results:
        r = res.recrawl
        if r and r.get("ratio") is not None:
            again = res.figure("recrawl")
            bare = res.figure("bare")
            speed = _ratio_to(again, bare, "pages_per_s") if again is not None else None
            rows.append(
                f"| unchanged re-crawl ≤ {100 * RECRAWL_SHARE:g} % of the first crawl's bytes "
                f"| {_n(res.size)} | {100 * r['ratio']:.2f} % "
                f"| re-crawl at {_ratio(speed, 3)} of bare pages/s "
                f"| {_met(r['ratio'] <= RECRAWL_SHARE)} |"
            )
    return rows


def method(args: argparse.Namespace) -> list[str]:
    sizes = ", ".join(f"{s:,}" for s in args.sizes)
    workers = " and ".join(str(n) for n in args.service_workers) or "no"
    return [
        f"- **Outlet.** The bench outlet of `tests/support/newsoutlet.py` (`bench_spec`): "
        f"{sizes} articles in up to 10 sections, listings of 25 articles a page, a homepage, "
        "robots.txt, a sitemap index, a news sitemap (newest 1,000), a gzipped sitemap of "
        "every article, RSS and Atom feeds; per-request noise on (view counter, ad-slot id, "
        "CSRF token), `ETag`/`Last-Modified` with 304 answers. About 9 KB of HTML an "
        f"article. {args.cited_hosts} cited hosts on their own loopback addresses "
        f"(127.0.0.2 to 127.0.0.{1 + args.cited_hosts}); each article cites "
        f"{args.cites_per_article} of them in its body (round robin), and the crawl follows "
        "each citation one step (its default). Nav, share, related and footer links to the "
        "cited hosts are on every article and are not citations. No page requisites "
        "(`--no-requisites`): pages only.",
        "- **Page.** One HTTP request the servers answered during the run: articles, listings, "
        "homepage, robots.txt, sitemaps, feeds and cited pages. pages/s divides them by the "
        "run's wall time; MB/s divides the response body bytes the servers sent (counted by "
        "the server, a 304 counts 0).",
        "- **Wall time.** From the spawn of the measured process to its exit (interpreter "
        "start-up and the archive's closing included, as a user sees it). For the service: "
        "worker and beat started and answering first, then from `storyvault outlets add` "
        "to the crawl being done (frontier empty, no host leased, every version sent to "
        "the `clean` queue).",
        f"- **Concurrency {args.concurrency}, per-host delay 0** for every runner but wget "
        "(one connection: it has no concurrency). All traffic is on loopback.",
        "- **Runners.** `storyvault crawl` (embedded; fresh archive, default log level); the "
        "bare loop (`bench/bare_loop.py`: aiohttp, the crawl's own URL list, bodies read and "
        f"dropped, nothing else; fastest of {args.bare_repeats} runs); `wget -r -l inf "
        "--warc-file` (the outlet only: wget follows no other host without `-H`); the service "
        f"with {workers} worker process(es) (`storyvault worker --concurrency N` + "
        "`storyvault beat`, private `redis-server` on a free port, started and stopped by "
        "the bench).",
        "- **CPU and memory.** CPU seconds are the measured process's own (`wait4` "
        "rusage, its page-reading processes included); peak RSS is the larger of its "
        "`VmHWM` and the peak of its and its descendants' resident sets added up, read "
        "every 0.1 s while it runs (`ru_maxrss` of an exec'd child starts at its parent's "
        "high-water mark, here the bench's own); for "
        "the service, CPU is the sum over its worker, pool, beat and "
        "redis-server processes and RSS their sum at the end (not a peak).",
        "- **The server** runs in its own process (no GIL shared with the client measured), "
        "renders every page from its in-memory model (about 0.1 ms an article), and its CPU "
        "use during each run is shown as a share of one core (server CPU): near 100 % means "
        "the server, not the client, was the limit, and the figure is then a floor.",
        "- **Redis per queued URL.** The first crawl's URLs as its state queued them (kind, "
        "hops, via, found by, priority, sequence) are queued into the service frontier of a "
        "fresh private `redis-server` the way a host turn queues what it found "
        "(`RedisState.sync` of a `TurnBatch`, 500 a round trip): per URL one entry in the "
        "crawl's seen set (a 16-character digest of its key -> its status and item) and one "
        "member in its host's frontier (crawl, sequence and that digest). `used_memory` "
        "after minus before, divided by the URLs.",
        "- **Re-crawl.** The same `storyvault crawl` command again on the same archive and "
        "the same (unchanged) outlet: the bytes of the WARC files it added against those of "
        "the first crawl. Articles answer its conditional requests with 304; listings and "
        "the homepage differ by their noise every time.",
        f"- **Plan.** Crawl, bare loop and Redis run at every size, and every run at the "
        f"smallest; at the larger sizes the re-crawl up to {args.recrawl_max:,} articles, wget "
        f"up to {args.wget_max:,} and the service up to {args.service_max:,}. Why: at "
        "50,000 articles the embedded crawl alone takes "
        "minutes on 2 cores, and wget (one connection), the re-crawl or the service once "
        f"or twice more would not fit the {args.deadline / 60:.0f}-minute budget; the RSS "
        "target is the embedded crawl's. So crawl, bare loop and Redis run first at every "
        "size (smallest first), then the optional runs of the larger sizes, their outlet "
        "server and archive kept waiting, each given what the deadline leaves less a share "
        "kept for the optional runs after it (estimated from the rates measured before); "
        "one that needs more is stopped at that timeout (SIGTERM) and shown as *timed out* "
        "with the rate it reached, one that would get less than "
        f"{MIN_PARTIAL_S:.0f} s is not run. Every measured process has its own timeout "
        f"(at most {args.timeout:.0f} s, less when the deadline leaves less).",
        "- **Noise.** Every figure is also a ratio to the bare loop of the same run and "
        "size: the cores are shared with other work, so absolute figures vary between runs "
        "while ratios vary less. The load average at start and end is above.",
    ]


def write_report(
    args: argparse.Namespace,
    results: list[SizeResult],
    host: dict[str, Any],
    total_s: float,
    interrupted: bool,
) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`bench/scale_bench.py`), {host['started']}; "
        "do not edit by hand. Commit measured: " + commit() + ".",
        "",
        f"Total run time {total_s / 60:.1f} min"
        + (" (interrupted: figures are partial)" if interrupted else "")
        + f"; load average at start {host['load_at_start']}, at end "
        f"{host.get('load_at_end')} (1, 5, 15 min).",
        "",
        "## Targets",
        "",
        *targets_table(results),
        "",
        "## Machine",
        "",
        f"- CPU: {host['cpu']}, {host['cores']} cores (shared with other work during the run)",
        f"- Memory: {host['memory_gib']} GiB",
        f"- Python: {host['python']}; aiohttp {host['aiohttp']}",
        f"- OS: {host['os']}",
        f"- {host['wget']}; {host['redis']}",
        "",
        "## Method",
        "",
        *method(args),
        "",
    ]
    for res in results:
        lines += [f"## {res.size:,} articles", ""]
        if res.figures:
            lines += size_table(res)
            lines.append("")
        lines += size_notes(res)
        lines.append("")
    return "\n".join(lines)
