"""The re-crawl schedule, tested with an injected clock: no sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workers.core.errors import ConfigError
from workers.core.types import RecordLocation
from workers.state.sqlite import SQLiteState
from workers.versions.catalogue import Capture, Catalogue, from_iso
from workers.versions.schedule import interval_for, next_due, parse_curve, pulled_forward

T0 = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("age", "interval"),
    [
        (timedelta(0), timedelta(minutes=15)),
        (2.9 * H, timedelta(minutes=15)),
        (3 * H, H),
        (23 * H, H),
        (24 * H, 3 * H),
        (6 * 24 * H, 3 * H),
        (7 * 24 * H, 3 * 24 * H),
        (29 * 24 * H, 3 * 24 * H),
        (30 * 24 * H, None),
        (400 * 24 * H, None),
    ],
)
def test_default_curve(age: timedelta, interval: timedelta | None) -> None:
    assert interval_for(age) == interval


def test_clock_restarts_after_a_change() -> None:
    aged = next_due(born=T0, last_change=None, last_capture=T0 + 2 * 24 * H)
    assert aged == T0 + 2 * 24 * H + 3 * H
    changed = next_due(born=T0, last_change=T0 + 2 * 24 * H, last_capture=T0 + 2 * 24 * H)
    assert changed == T0 + 2 * 24 * H + timedelta(minutes=15)
    assert next_due(born=T0, last_change=None, last_capture=T0 + 31 * 24 * H) is None


def test_announcement_pulls_forward_only_news() -> None:
    due = T0 + 3 * H
    now = T0 + H
    assert pulled_forward(due, T0 + 0.5 * H, last_capture=T0, now=now) == now
    assert pulled_forward(due, T0 - H, last_capture=T0, now=now) == due
    assert pulled_forward(None, T0 + 0.5 * H, last_capture=T0, now=now) == now


def test_custom_curve_and_bad_curves() -> None:
    curve = parse_curve("1h:5m,1d:30m")
    assert interval_for(30 * timedelta(minutes=1), curve) == timedelta(minutes=5)
    assert interval_for(2 * H, curve) == timedelta(minutes=30)
    assert interval_for(25 * H, curve) is None
    for bad in ("", "1d:1h,1h:5m", "soon:5m", "1h"):
        with pytest.raises(ConfigError):
            parse_curve(bad)


def capture(
    url: str, when: datetime, n: int, status: str, version: int, fingerprint: str
) -> Capture:
    location = RecordLocation(
        filename="f.warc.gz",
        offset=n * 1000,
        length=900,
        record_id=f"<urn:uuid:{n:08d}-0000-0000-0000-000000000000>",
        record_type="response",
        warc_date=when.isoformat(),
        target_uri=url,
    )
    return Capture(
        url=url,
        time=when,
        location=location,
        fields={
            "storyStatus": [status],
            "storyVersion": [str(version)],
            "storyFingerprint": [fingerprint],
            "storyTitle": ["T"],
        },
    )


def test_catalogue_due_times_follow_the_curve_and_reset(tmp_path: Path) -> None:
    url = "http://news.test/story-1234567"
    with SQLiteState(tmp_path / "s.sqlite3") as state:
        cat = Catalogue(state)
        assert cat.apply(capture(url, T0, 1, "new-version", 1, "sha256:a")) is not None
        story = cat.story_for(url)
        assert story is not None and from_iso(story.next_due or "") == T0 + timedelta(minutes=15)
        cat.apply(capture(url, T0 + 4 * H, 2, "unchanged", 1, "sha256:a"))
        story = cat.story_for(url)
        assert story is not None and from_iso(story.next_due or "") == T0 + 5 * H
        assert cat.due(T0 + 5 * H) and not cat.due(T0 + 4.9 * H)
        message = cat.apply(capture(url, T0 + 5 * H, 3, "new-version", 2, "sha256:b"))
        assert message is not None and message["previous_fingerprint"] == "sha256:a"
        story = cat.story_for(url)
        assert story is not None
        assert from_iso(story.next_due or "") == T0 + 5 * H + timedelta(minutes=15)
        # applying the same capture again changes nothing (at-least-once safe)
        assert cat.apply(capture(url, T0 + 5 * H, 3, "new-version", 2, "sha256:b")) is None
        cat.apply(capture(url, T0 + 40 * 24 * H, 4, "unchanged", 2, "sha256:b"))
        story = cat.story_for(url)
        assert story is not None and story.next_due is None  # past the horizon
        assert [v.number for v in cat.versions(story.story_id)] == [1, 2]
