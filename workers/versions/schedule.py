"""The re-crawl schedule: dense while a story is young, sparse as it ages, then never.

The age is counted from the story's last real change (a new version restarts the
clock), or from its first capture (or its published date when known) before any change.
The default curve is close to NewsDiffs': every 15 min under 3 h old, hourly to 1 day,
every 3 h to 7 days, every 3 days to 30 days, then stop. A feed or sitemap entry newer
than the last capture pulls the next re-crawl forward to "now".
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from workers.core.errors import ConfigError


@dataclass(frozen=True)
class Step:
    """Stories younger than ``until`` are re-crawled every ``every``."""

    until: timedelta
    every: timedelta


DEFAULT_CURVE: tuple[Step, ...] = (
    Step(timedelta(hours=3), timedelta(minutes=15)),
    Step(timedelta(days=1), timedelta(hours=1)),
    Step(timedelta(days=7), timedelta(hours=3)),
    Step(timedelta(days=30), timedelta(days=3)),
)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> timedelta:
    """``"15m"``, ``"3h"``, ``"7d"``, ``"90s"``, ``"1w"`` → timedelta (ConfigError if not)."""
    text = text.strip().lower()
    try:
        return timedelta(seconds=float(text[:-1]) * _UNITS[text[-1]])
    except (KeyError, ValueError, IndexError) as exc:
        raise ConfigError(f"not a duration: {text!r} (use e.g. 90s, 15m, 3h, 7d)") from exc


def parse_curve(text: str) -> tuple[Step, ...]:
    """``"3h:15m,1d:1h,7d:3h,30d:3d"`` → steps (age limit : interval), ages increasing."""
    steps = []
    for part in text.split(","):
        until, _, every = part.partition(":")
        steps.append(Step(parse_duration(until), parse_duration(every)))
    if not steps or any(a.until >= b.until for a, b in itertools.pairwise(steps)):
        raise ConfigError(f"recrawl curve {text!r}: give age:interval pairs, ages increasing")
    return tuple(steps)


def interval_for(age: timedelta, curve: Sequence[Step] = DEFAULT_CURVE) -> timedelta | None:
    """The re-crawl interval for a story of ``age``, or ``None`` past the horizon."""
    for step in curve:
        if age < step.until:
            return step.every
    return None


def next_due(
    *,
    born: datetime,
    last_change: datetime | None,
    last_capture: datetime,
    curve: Sequence[Step] = DEFAULT_CURVE,
) -> datetime | None:
    """When to re-crawl next, or ``None`` once the story is past the horizon.

    ``born``: first capture (or published time); ``last_change``: the latest new version.
    """
    anchor = max(born, last_change) if last_change else born
    interval = interval_for(last_capture - anchor, curve)
    if interval is None:
        return None
    return last_capture + interval


def pulled_forward(
    due: datetime | None, announced: datetime | None, last_capture: datetime, now: datetime
) -> datetime | None:
    """A feed/sitemap saying the story changed after ``last_capture`` makes it due now."""
    if announced is not None and announced > last_capture:
        return now if due is None else min(due, now)
    return due
