"""A clock tests set instead of sleeping: the time of captures, WARC records and state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class ManualClock:
    """Stands still until :meth:`advance` moves it; pass it as ``clock=`` to
    :func:`workers.crawl.local.crawl` (captures, records and the state all read it)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def timestamp(self) -> float:
        return self.now.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
