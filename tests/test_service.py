"""The background service: real redis-server, real Celery workers and beat, real outlet.

Workers run as `storyvault worker` subprocesses, exactly as an operator starts them;
assertions are on the servers' request logs, the WARC files and `storyvault status`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.support.newsoutlet import OutletFixture, OutletSpec, start_outlet
from tests.support.redis import RedisServer
from tests.support.service import parse_metrics, wait_idle
from workers.core.settings import Settings
from workers.crawl.local import crawl

BIN = Path(sys.executable).parent
DELAY = 0.1
TRAP_CHAIN_MAX = 4  # the outlets' calendar trap is on: a short chain keeps the tests quick
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


class Service:
    """Workers and beat as subprocesses sharing one archive and one Redis."""

    def __init__(self, redis_url: str, archive: Path, tmp: Path) -> None:
        self.redis_url = redis_url
        self.archive = archive
        self.tmp = tmp
        self.procs: list[subprocess.Popen[bytes]] = []
        self.args: dict[int, tuple[str, ...]] = {}  # pid -> how it was started
        self.restarts = 0
        self.env = {
            **os.environ,
            "STORYVAULT_REDIS_URL": redis_url,
            "STORYVAULT_ARCHIVE": str(archive),
            "STORYVAULT_ALLOW_PRIVATE": "true",
            "STORYVAULT_HOST_DELAY": str(DELAY),
            "STORYVAULT_DISPATCH_EVERY": "0.3",
            "STORYVAULT_DISCOVER_EVERY": "100000",
            "STORYVAULT_LEASE_TTL": "4",
            "STORYVAULT_BATCH_SECONDS": "3",
            "STORYVAULT_WARC_IDLE_SECONDS": "0.5",
            "STORYVAULT_TRAP_CHAIN_MAX": str(TRAP_CHAIN_MAX),
            "STORYVAULT_METRICS_PORT": "0",
        }

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "storyvault"), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=self.env,
        )

    def start(self, *args: str, name: str) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}-{len(self.args)}.log").open("wb")
        proc = subprocess.Popen(
            [str(BIN / "storyvault"), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )
        log.close()
        self.procs.append(proc)
        self.args[proc.pid] = args
        return proc

    def metrics(self) -> dict[str, float]:
        """``storyvault metrics --once``: sample -> value."""
        scraped = self.cli("metrics", "--once")
        assert scraped.returncode == 0, scraped.stderr
        return parse_metrics(scraped.stdout)

    def supervise(self) -> None:
        """Start again what exited with an error code, as systemd's ``Restart=on-failure``
        (and Compose's ``restart:``) does for the deployed units (one the test killed
        stays dead: the other workers take over its hosts)."""
        for i, proc in enumerate(self.procs):
            code = proc.poll()
            if code is not None and code > 0:
                self.restarts += 1
                args = self.args[proc.pid]
                self.procs[i] = self.start(*args, name=args[0])
                self.procs.pop()  # start() appended it; it takes the dead one's place

    def worker(self, concurrency: int = 2) -> subprocess.Popen[bytes]:
        return self.start("worker", "--concurrency", str(concurrency), name="worker")

    def beat(self) -> subprocess.Popen[bytes]:
        return self.start("beat", name="beat")

    def crawl(self, outlet: str, *concurrency: int) -> list[subprocess.Popen[bytes]]:
        """Register ``outlet`` (which queues its discovery), start one worker per
        ``concurrency`` and beat; return the workers."""
        added = self.cli("outlets", "add", outlet)
        assert added.returncode == 0 and "discovery queued" in added.stdout, added.stderr
        workers = [self.worker(concurrency=n) for n in concurrency]
        self.beat()
        return workers

    def status(self) -> dict[str, Any]:
        result = self.cli("status", "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    def wait_idle(self, timeout: float = 150.0) -> dict[str, Any]:
        """Until nothing is queued, leased or in flight, three times in a row."""
        return wait_idle(self.status, self.logs, timeout=timeout, each=self.supervise)

    def logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-3000:] for p in sorted(self.tmp.glob("*.log"))
        )

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.fixture
def site() -> Iterator[OutletFixture]:
    with start_outlet(
        OutletSpec(sections=2, articles_per_section=3, calendar_trap=True, noise=False)
    ) as fx:
        yield fx


@pytest.fixture
def service(redis_url: str, archive_dir: Path, tmp_path: Path) -> Iterator[Service]:
    svc = Service(redis_url, archive_dir, tmp_path)
    try:
        yield svc
    finally:
        svc.stop()


def captured(archive: Path) -> set[str]:
    urls = set()
    for path in archive.rglob("*.warc.gz"):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type in ("response", "revisit"):
                    urls.add(record.rec_headers.get_header("WARC-Target-URI"))
    return urls


def server_requests(fx: OutletFixture) -> list[tuple[str, str]]:
    return [(s.base, e.path_qs) for s in (fx.outlet, *fx.cited) for e in s.requests]


def test_two_workers_crawl_what_the_embedded_crawl_does(
    site: OutletFixture, service: Service, tmp_path: Path
) -> None:
    service.crawl(site.url("/"), 2)
    status = service.wait_idle()
    distributed = captured(service.archive)
    requests = server_requests(site)
    # no URL fetched twice in one pass
    assert [k for k, n in Counter(requests).items() if n > 1] == []
    # per-host delay held across worker processes, measured at the servers
    for server in (site.outlet, *site.cited):
        times = [e.monotonic_time for e in server.requests]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert not gaps or min(gaps) >= DELAY, (server.base, min(gaps))
    assert status["captures_last_hour"] >= len(site.article_urls())
    assert status["errors_last_hour"] == 0
    assert len(status["workers"]) == 1 and status["queues"] == {
        "discover": 0,
        "fetch": 0,
        "clean": 0,
    }
    # the ops CLI reads the Redis catalogue
    listed = service.cli("versions", "--json", site.article_urls()[0])
    assert listed.returncode == 0, listed.stderr
    assert [v["number"] for v in json.loads(listed.stdout)["versions"]] == [1]
    assert status["frontier"]["queued_total"] == 0
    # the check a container runs: broker, archive, and this host's worker answer
    healthy = service.cli("health", "--worker")
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert "ok   worker: storyvault-" in healthy.stdout
    # the metrics: the workers' counters added up, and the service's state
    samples = service.metrics()
    assert samples['storyvault_fetches_total{status_class="2xx"}'] >= len(site.article_urls())
    assert samples["storyvault_versions_total"] == len(site.article_urls())
    assert samples["storyvault_frontier_urls"] == 0 and samples["storyvault_hosts_leased"] == 0
    assert site.outlet.base.split("//")[1] in status["last_capture"]
    assert status["outlets"] == [site.url("/")]
    # the same set of URLs as the embedded crawl of the same outlet
    embedded_dir = tmp_path / "embedded"
    settings = Settings(
        archive=embedded_dir, allow_private=True, host_delay=0.0, trap_chain_max=TRAP_CHAIN_MAX
    )
    asyncio.run(crawl(settings, [site.url("/")]))
    assert set(site.article_urls()) <= distributed
    assert distributed == captured(embedded_dir)
    # the calendar trap is cut at the same point: the chain budget holds per crawl
    calendar = {u for u in distributed if "/calendar/" in u}
    assert len(calendar) == 1 + TRAP_CHAIN_MAX
    # each new version went to the clean queue once and was cleaned
    deadline = time.monotonic() + 30
    cleaned: list[Path] = []
    while time.monotonic() < deadline:
        cleaned = list((service.archive / "clean").rglob("v*.json"))
        if len(cleaned) >= len(site.site.article_urls()):
            break
        time.sleep(0.3)
    assert len(cleaned) == len(site.site.article_urls())
    # every WARC file closed, every version message sent and cleaned, each host's last
    # new version seen
    samples = service.metrics()
    assert samples["storyvault_warc_files_open"] == 0
    assert samples["storyvault_clean_sent_total"] == len(cleaned)
    assert samples["storyvault_clean_done_total"] == len(cleaned)
    outlet_host = site.outlet.base.split("//")[1]
    assert 0 <= samples[f'storyvault_last_version_age_seconds{{host="{outlet_host}"}}'] < 300
    # pywb replays an article from the Redis index the workers wrote
    replay_from_redis_index(service, site.article_urls()[0], tmp_path / "pywb-root")


def test_two_workers_share_a_host_that_allows_parallel_requests(
    redis_url: str, archive_dir: Path, tmp_path: Path
) -> None:
    spec = OutletSpec(sections=3, articles_per_section=8, calendar_trap=False, noise=False)
    with start_outlet(spec) as site:
        site.outlet.latency = 0.05
        # one article cites a source nobody answers at: its failure shows in `status`
        dead = "http://127.0.0.9:9/gone"
        site.site.add_cited_link(site.site.article_urls()[0], dead, "a source that is gone")
        service = Service(redis_url, archive_dir, tmp_path)
        service.env |= {
            "STORYVAULT_HOST_DELAY": "0",
            "STORYVAULT_HOST_CONCURRENCY": "4",
            "STORYVAULT_BACKOFF_BASE": "0.01",
            # a worker stalled past its lease (a loaded machine) hands its claims on, to
            # be fetched again: right, but not what this test counts
            "STORYVAULT_LEASE_TTL": "30",
        }
        try:
            service.crawl(site.url("/"), 2)
            status = service.wait_idle()
        finally:
            service.stop()
        assert status["errors_last_hour"] >= 1  # robots.txt and the page of the dead host
        requests = server_requests(site)
        # both processes fetched from the outlet at once, within its concurrency of 4
        # (2 each); nothing was fetched twice
        assert 2 < site.outlet.max_in_flight <= 4
        assert [k for k, n in Counter(requests).items() if n > 1] == []
    assert set(site.article_urls()) <= captured(archive_dir)


def replay_from_redis_index(service: Service, url: str, root: Path) -> None:
    import redis

    from tests.support.pywb import Wayback, ensure_pywb_venv
    from workers.warc.cdxj import surt_key

    client = redis.Redis.from_url(service.redis_url)
    try:
        lines = [m.decode() for m in client.zrange("pywb:storyvault:cdxj", 0, -1)]
    finally:
        client.close()
    assert lines == sorted(lines) and lines
    mine = [line for line in lines if line.startswith(surt_key(url) + " ")]
    assert mine, f"{url} is not in the Redis index"
    _, ts, data = mine[0].split(" ", 2)
    entry = json.loads(data)
    warc = service.archive / "collections/storyvault/archive" / entry["filename"]
    from workers.warc.reader import read_record

    stored = read_record(warc, int(entry["offset"]))
    (root / "collections").mkdir(parents=True)  # the harness checks the layout exists
    (root / "config.yaml").write_text(
        "collections:\n"
        "  storyvault:\n"
        f"    index: {service.redis_url}/pywb:storyvault:cdxj\n"
        f"    archive_paths: {warc.parent}/\n"
    )
    ensure_pywb_venv()
    with Wayback(root) as wb:
        status, _, body = wb.replay_raw("storyvault", ts, url)
    assert (status, body) == (200, stored.payload)


def test_a_killed_worker_loses_nothing(site: OutletFixture, service: Service) -> None:
    doomed, _ = service.crawl(site.url("/"), 1, 1)
    deadline = time.monotonic() + 60
    while len(site.outlet.requests) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(doomed.pid, signal.SIGKILL)  # the worker and its pool child, mid-crawl
    doomed.wait(timeout=10)
    service.wait_idle()
    got = captured(service.archive)
    assert set(site.article_urls()) <= got
    assert {c for p in site.site.article_urls() for c in site.site.expected_cited(p)} <= got
    # the dead worker's .open WARC was repaired by a live one
    deadline = time.monotonic() + 20
    while list(service.archive.rglob("*.open")) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not list(service.archive.rglob("*.open"))


def test_workers_survive_a_redis_restart(
    site: OutletFixture, archive_dir: Path, tmp_path: Path
) -> None:
    with RedisServer(persist=True) as redis_server:
        service = Service(redis_server.url, archive_dir, tmp_path)
        try:
            service.crawl(site.url("/"), 2)
            deadline = time.monotonic() + 60
            while len(site.outlet.requests) < 5 and time.monotonic() < deadline:
                time.sleep(0.05)
            redis_server.restart()
            service.wait_idle()
        finally:
            service.stop()
    assert set(site.article_urls()) <= captured(archive_dir)
