"""What tests of the running service share: waiting for it to go idle, reading metrics."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_idle(
    status: Callable[[], dict[str, Any]],
    logs: Callable[[], str],
    *,
    timeout: float = 150.0,
    each: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Poll ``storyvault status --json`` (``status``) until nothing is queued, leased or
    in flight three times in a row; ``each`` runs before every poll (a supervisor)."""
    deadline = time.monotonic() + timeout
    calm = 0
    seen: dict[str, Any] = {}
    while time.monotonic() < deadline:
        if each is not None:
            each()
        seen = status()
        busy = (
            sum(seen["queues"].values())
            + seen["frontier"]["queued_total"]
            + seen["frontier"]["leased"]
        )
        calm = calm + 1 if busy == 0 else 0
        if calm >= 3:
            return seen
        time.sleep(0.5)  # polling other processes: nothing here runs on the test's clock
    raise AssertionError(f"the service did not go idle: {seen}\n{logs()}")


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text format: sample (name and labels) -> value."""
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
