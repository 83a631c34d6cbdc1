"""The service's outbox when a worker process dies at the wrong moment (found by make chaos).

A version's message goes to the Celery ``clean`` queue once its WARC file is closed. The
process that closes the file (its writer at rollover, or a live worker repairing a dead
one's ``.open`` file) sends it right after; if that process is SIGKILLed in between, the
file is closed on disk and the message stays pending, and no other process ever sends it:
each one retries only the files it closed itself. Likewise a live worker renames a dead
one's ``.open`` file before it catalogues the captures in it: if it dies in between, the
captures the dead writer had not catalogued are never catalogued.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from warcio.archiveiterator import ArchiveIterator

from tests.support.newsoutlet import OutletSpec, start_outlet
from workers.state.redis_keys import Keys

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

# a worker process crawls the outlet; it closes its WARC file and dies before the file's
# version messages are sent
CLOSE_THEN_DIE = """
import os, signal
import tasks.tasks as t

def die_if_closed(self, closed_files=None):
    if closed_files:
        os.kill(os.getpid(), signal.SIGKILL)
    return 0

t.CeleryOutbox.deliver = die_if_closed
t.discover_outlets()
for _ in range(100):
    if not t.crawl_host()["host"] and not t.resources().state.frontier_stats()["ready_now"]:
        break
t.resources().archive.close()  # on_closed: index, then deliver -> killed
raise SystemExit("not killed")
"""

# a live worker process: what its dispatch task and its rollover thread do
LIVE_WORKER = """
import json
import tasks.tasks as t

t.dispatch()
res = t.resources()
sent = res.outbox.deliver([p.name for p in list(res.archive.closed_files)])  # as _rollover
print(json.dumps({"sent": sent}))
"""


# a worker process dies after writing an article's records, before cataloguing them
WRITE_THEN_DIE = """
import os, signal
import workers.versions.catalogue as catalogue

real_apply = catalogue.Catalogue.apply

def apply_then_die(self, capture):
    if capture.one("storyStatus") == "new-version":
        os.kill(os.getpid(), signal.SIGKILL)
    return real_apply(self, capture)

catalogue.Catalogue.apply = apply_then_die
import tasks.tasks as t

t.discover_outlets()
for _ in range(100):
    t.crawl_host()
raise SystemExit("not killed")
"""

# a live worker process starts, repairs the dead one's .open file, and is killed before
# it has catalogued what the file holds
REPAIR_THEN_DIE = """
import os, signal
import tasks.tasks as t

def die(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

t.reconcile = die
t.resources()  # repairs dead workers' files first
raise SystemExit("not killed")
"""


def run(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def service_env(redis_url: str, archive: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("STORYVAULT_")},
        "STORYVAULT_REDIS_URL": redis_url,
        "STORYVAULT_ARCHIVE": str(archive),
        "STORYVAULT_ALLOW_PRIVATE": "true",
        "STORYVAULT_HOST_DELAY": "0",
        "STORYVAULT_REQUISITES": "false",
        "STORYVAULT_WARC_IDLE_SECONDS": "3600",  # the scripts close files themselves
    }


def storyvault(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "storyvault"), *args], env=env, capture_output=True, text=True, timeout=60
    )


def captured_articles(archive: Path, articles: list[str]) -> list[str]:
    """The articles with a response record in the archive (``.open`` files too)."""
    found = set()
    for path in archive.rglob("*.warc.gz*"):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    found.add(record.rec_headers.get_header("WARC-Target-URI"))
    return [url for url in articles if url in found]


def test_captures_of_a_file_whose_repairer_died_are_catalogued_in_the_end(
    redis_url: str, archive_dir: Path
) -> None:
    spec = OutletSpec(sections=1, articles_per_section=2, calendar_trap=False, noise=False)
    with start_outlet(spec, cited_hosts=()) as fx:
        env = service_env(redis_url, archive_dir)
        assert storyvault("outlets", "add", fx.url("/"), env=env).returncode == 0
        writer = run(WRITE_THEN_DIE, env)
        assert writer.returncode == -9, writer.stderr[-2000:]
        assert list(archive_dir.rglob("*.warc.gz.open"))
        (article,) = captured_articles(archive_dir, fx.article_urls())
        repairer = run(REPAIR_THEN_DIE, env)
        assert repairer.returncode == -9, repairer.stderr[-2000:]
        assert not list(archive_dir.rglob("*.open"))  # renamed: nobody will repair it again
        live = run(LIVE_WORKER, env)
        assert live.returncode == 0, live.stderr[-2000:]
        listed = storyvault("versions", "--json", article, env=env)
        assert listed.returncode == 0, listed.stderr  # no story: the capture is lost
        assert [v["number"] for v in json.loads(listed.stdout)["versions"]] == [1]


def test_messages_of_a_file_closed_by_a_killed_worker_are_sent_by_a_live_one(
    redis_url: str, archive_dir: Path
) -> None:
    spec = OutletSpec(sections=1, articles_per_section=2, calendar_trap=False, noise=False)
    with start_outlet(spec, cited_hosts=()) as fx:
        env = service_env(redis_url, archive_dir)
        client = redis.Redis.from_url(redis_url)
        try:
            added = storyvault("outlets", "add", fx.url("/"), env=env)
            assert added.returncode == 0, added.stderr
            killed = run(CLOSE_THEN_DIE, env)
            assert killed.returncode == -9, killed.stderr[-2000:]
            assert list(archive_dir.rglob("*.warc.gz")) and not list(archive_dir.rglob("*.open"))
            versions = len(fx.site.article_urls())
            assert client.zcard(Keys().outbox_pending()) == versions  # written, closed, not sent
            live = run(LIVE_WORKER, env)
            assert live.returncode == 0, live.stderr[-2000:]
            assert client.llen("clean") == versions
        finally:
            client.close()
