"""The deployed service, run as plain processes: the exact commands and environment of
the Compose file's worker, cleaner, beat and metrics containers (there is no container engine
here), against a real password-protected redis-server, crawling the test outlet.

What an operator checks: the outlet and its cited sources are captured, every version is
cleaned, the workers' metrics port shows the fetches and versions, ``storyvault metrics``
the service's state, and SIGTERM mid-crawl stops every process within the Compose
``stop_grace_period`` with every WARC file closed and readable.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from warcio.archiveiterator import ArchiveIterator

from tests.support.newsoutlet import OutletFixture, OutletSpec, start_outlet
from tests.support.redis import RedisServer
from tests.support.service import parse_metrics, wait_idle
from tests.support.warc import assert_warcs_valid
from workers.core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "deploy" / "docker-compose.yml"
BIN = Path(sys.executable).parent
SERVICES = ("worker", "cleaner", "beat", "metrics")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(360)]

# what the test changes in the containers' environment: where Redis and the archive are
# on this machine, loopback outlets allowed, and short periods so that it runs in seconds
LOCAL = {
    "STORYVAULT_ALLOW_PRIVATE": "true",
    "STORYVAULT_HOST_DELAY": "0.2",
    "STORYVAULT_DISPATCH_EVERY": "0.3",
    "STORYVAULT_DISCOVER_EVERY": "100000",
    "STORYVAULT_LEASE_TTL": "5",
    "STORYVAULT_BATCH_SECONDS": "3",
    "STORYVAULT_WARC_IDLE_SECONDS": "0.5",
    "STORYVAULT_TRAP_CHAIN_MAX": "3",
    "STORYVAULT_METRICS_BIND": "127.0.0.1",
}
_VAR = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}``."""

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3) or ""
        if env.get(name):
            return env[name]
        if op == "?":
            raise AssertionError(f"{COMPOSE.name} needs {name}: {arg}")
        return arg if op == "-" else ""

    return _VAR.sub(one, value)


def compose_services() -> dict[str, dict[str, Any]]:
    doc = yaml.safe_load(COMPOSE.read_text())  # resolves the x-storyvault anchor
    services: dict[str, dict[str, Any]] = doc["services"]
    return services


def grace_seconds(service: Mapping[str, Any]) -> float:
    """``stop_grace_period`` in seconds (Compose's default is 10 s)."""
    text = str(service.get("stop_grace_period", "10s"))
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text):
        total += float(number) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Deployment:
    """The Compose services as processes, with the containers' command and environment."""

    def __init__(self, redis: RedisServer, archive: Path, logs: Path) -> None:
        self.services = compose_services()
        self.archive = archive
        self.logs = logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.metrics_ports: dict[str, int] = {}
        host_env = {"STORYVAULT_REDIS_PASSWORD": redis.password}
        self.env: dict[str, dict[str, str]] = {}
        for name in SERVICES:
            service = self.services[name]
            env = {k: interpolate(str(v), host_env) for k, v in service["environment"].items()}
            # the container's Redis URL, pointed at this machine's server
            container_url = env["STORYVAULT_REDIS_URL"]
            assert f":{redis.password}@" in container_url, container_url
            env["STORYVAULT_REDIS_URL"] = redis.url
            env["STORYVAULT_ARCHIVE"] = str(archive)
            env.update(LOCAL)
            if service["command"][:2] == ["storyvault", "worker"]:
                # a worker serves its host's counters on metrics_port, which its
                # container exposes: here on a free port of this machine
                port = env.get("STORYVAULT_METRICS_PORT", str(Settings().metrics_port))
                assert port in [str(p) for p in service.get("expose", [])], (name, port)
                self.metrics_ports[name] = free_port()
                env["STORYVAULT_METRICS_PORT"] = str(self.metrics_ports[name])
            self.env[name] = env

    def command(self, name: str) -> list[str]:
        command: list[str] = list(self.services[name]["command"])
        assert command[0] == "storyvault", command
        if "--port" in command:  # `storyvault metrics --port P --bind 0.0.0.0`
            self.metrics_ports[name] = free_port()
            command[command.index("--port") + 1] = str(self.metrics_ports[name])
            command[command.index("--bind") + 1] = "127.0.0.1"
        return [str(BIN / "storyvault"), *command[1:]]

    def base_env(self, name: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith("STORYVAULT_")}
        return {**keep, **self.env[name]}

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``docker compose run --rm worker storyvault ARGS``, as the Compose file says."""
        return subprocess.run(
            [str(BIN / "storyvault"), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=self.base_env("worker"),
        )

    def start(self) -> None:
        for name in SERVICES:
            log = (self.logs / f"{name}.log").open("ab")
            self.procs[name] = subprocess.Popen(
                self.command(name),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.base_env(name),
                start_new_session=True,
            )
            log.close()

    def terminate(self) -> dict[str, float]:
        """SIGTERM to each container's main process (what ``docker compose stop`` sends);
        seconds until each exited. Killed after its grace period (then infinite)."""
        sent = time.monotonic()
        for proc in self.procs.values():
            proc.send_signal(signal.SIGTERM)
        took: dict[str, float] = {}
        for name, proc in self.procs.items():
            grace = grace_seconds(self.services[name])
            try:
                proc.wait(timeout=max(0.0, sent + grace - time.monotonic()))
                took[name] = time.monotonic() - sent
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
                took[name] = float("inf")
        for proc in self.procs.values():  # no pool process left behind
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                continue
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError(f"processes of {proc.args} outlived it")
        self.procs.clear()
        return took

    def kill(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.procs.clear()

    def status(self) -> dict[str, Any]:
        result = self.cli("status", "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    def wait_idle(self) -> None:
        wait_idle(self.status, self.log_tail)

    def log_tail(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self.logs.glob("*.log"))


def scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        return parse_metrics(reply.read().decode())


@pytest.fixture
def site() -> Iterator[OutletFixture]:
    spec = OutletSpec(sections=3, articles_per_section=4, calendar_trap=True, noise=False)
    with start_outlet(spec) as fx:
        yield fx


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    with RedisServer(persist=True, password="s3cret-for-tests") as redis:
        logs = tmp_path / "logs"
        logs.mkdir()
        deploy = Deployment(redis, tmp_path / "archive", logs)
        try:
            yield deploy
        finally:
            deploy.kill()


def open_warcs(archive: Path) -> list[Path]:
    return sorted(archive.rglob("*.open"))


def test_the_compose_services_crawl_report_and_stop_in_time(
    site: OutletFixture, deployment: Deployment
) -> None:
    assert set(SERVICES) <= set(deployment.services), "worker, cleaner and beat in Compose"
    assert "worker" in deployment.metrics_ports, "the worker container serves its metrics"
    deployment.start()
    added = deployment.cli("outlets", "add", site.url("/"))
    assert added.returncode == 0, added.stderr

    # SIGTERM mid-crawl: every process stops within its grace, every WARC file is closed
    deadline = time.monotonic() + 60
    while len(site.outlet.requests) < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(site.outlet.requests) >= 8, deployment.log_tail()
    took = deployment.terminate()
    assert all(t != float("inf") for t in took.values()), (took, deployment.log_tail())
    assert open_warcs(deployment.archive) == [], deployment.log_tail()
    assert_warcs_valid(deployment.archive)
    first_versions = new_versions(deployment.archive)

    # started again (as `docker compose up` would), the crawl runs to its end
    deployment.start()
    deployment.wait_idle()
    articles = site.article_urls()
    cited = {c for p in site.site.article_urls() for c in site.site.expected_cited(p)}
    captured = captured_urls(deployment.archive)
    assert set(articles) <= captured and cited <= captured
    # the cleaner container cleaned each new version once
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        cleaned = list((deployment.archive / "clean").rglob("v*.json"))
        if len(cleaned) >= len(articles):
            break
        time.sleep(0.3)
    assert len(cleaned) == len(articles)

    assert new_versions(deployment.archive) == len(articles)

    # the worker container's metrics port: the counters of this host's running worker
    # processes (those of the first start ended with them: Prometheus sees a reset)
    served = scrape(deployment.metrics_ports["worker"])
    assert served['storyvault_fetches_total{status_class="2xx"}'] >= len(articles) - first_versions
    assert served["storyvault_versions_total"] == len(articles) - first_versions
    # the metrics container: the counters of every worker process of this host (here the
    # cleaner's too: one host) and the service's state from Redis
    service = scrape(deployment.metrics_ports["metrics"])
    assert service["storyvault_versions_total"] == len(articles) - first_versions
    assert service["storyvault_clean_done_total"] >= len(articles) - first_versions
    assert service["storyvault_frontier_urls"] == 0
    assert service["storyvault_hosts_leased"] == 0
    outlet_host = site.outlet.base.split("//")[1]
    assert service[f'storyvault_last_capture_age_seconds{{host="{outlet_host}"}}'] < 300
    # the containers' health check passes
    healthy = deployment.cli("health", "--worker")
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr

    took = deployment.terminate()
    assert all(t != float("inf") for t in took.values()), (took, deployment.log_tail())
    assert open_warcs(deployment.archive) == []
    assert_warcs_valid(deployment.archive)


def records(archive: Path) -> Iterator[Any]:
    for path in sorted(archive.rglob("*.warc.gz")):
        with path.open("rb") as fh:
            yield from ArchiveIterator(fh)


def captured_urls(archive: Path) -> set[str]:
    return {
        r.rec_headers.get_header("WARC-Target-URI")
        for r in records(archive)
        if r.rec_type in ("response", "revisit")
    }


def new_versions(archive: Path) -> int:
    """Captures whose metadata record says they are a new version of their story."""
    return sum(
        1
        for r in records(archive)
        if r.rec_type == "metadata" and b"storyStatus: new-version" in r.content_stream().read()
    )
