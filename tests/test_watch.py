"""`storyvault watch`: the embedded service discovers, re-crawls on schedule, stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.newsoutlet import OutletSpec, start_outlet

BIN = Path(sys.executable).parent


def messages(archive: Path) -> list[dict[str, object]]:
    path = archive / "queue" / "clean.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_for(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_watch_recrawls_on_schedule_and_stops_on_sigterm(archive_dir: Path, tmp_path: Path) -> None:
    spec = OutletSpec(sections=1, articles_per_section=2, calendar_trap=False, noise=False)
    with start_outlet(spec) as fx:
        env = {**os.environ, "STORYVAULT_RECRAWL_CURVE": "400d:1s", "STORYVAULT_HOST_DELAY": "0"}
        log = (tmp_path / "watch.log").open("wb")
        proc = subprocess.Popen(
            [
                str(BIN / "storyvault"),
                "watch",
                "--allow-private",
                "--archive",
                str(archive_dir),
                "--discover-every",
                "1h",
                fx.url("/"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        log.close()
        try:
            articles = fx.article_urls()
            assert wait_for(lambda: len(messages(archive_dir)) >= len(articles), 60), (
                tmp_path / "watch.log"
            ).read_text()[-3000:]
            path = fx.site.article_urls()[0]
            fx.site.edit_headline(path, "Edited while watched")
            assert wait_for(lambda: any(m["version"] == 2 for m in messages(archive_dir)), 60)
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=60)
    assert code == 0
    assert not list(archive_dir.rglob("*.open"))
    second = [m for m in messages(archive_dir) if m["version"] == 2]
    assert [m["url"] for m in second] == [fx.url(path)]
    assert second[0]["title"] == "Edited while watched"
