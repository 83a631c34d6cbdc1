"""`storyvault health`: what a container's or a unit's health check runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def health(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "storyvault"), "health", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_node_with_its_broker_and_a_writable_archive_is_healthy(
    redis_url: str, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    result = health("--archive", str(archive), "--redis", redis_url, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert checks["broker"]["ok"] and checks["archive"]["ok"]
    assert list((archive / "state").iterdir()) == []  # the probe leaves nothing behind


def test_each_failed_check_is_named_and_the_node_is_unhealthy(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = health("--archive", str(blocker / "archive"), "--redis", "redis://127.0.0.1:9/0")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("FAIL broker: ") and "127.0.0.1:9" in line for line in lines)
    assert any(line.startswith("FAIL archive: ") and str(blocker) in line for line in lines)


def test_a_node_whose_worker_does_not_answer_is_unhealthy(redis_url: str, tmp_path: Path) -> None:
    result = health("--archive", str(tmp_path / "archive"), "--redis", redis_url, "--worker")
    assert result.returncode == 1
    assert any(line.startswith("FAIL worker: ") for line in result.stdout.splitlines())
