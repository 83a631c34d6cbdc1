"""One contract for the version catalogue: SQLite and Redis stores behave the same.

Captures are built by hand (no crawling): a story is born, seen unchanged, changes, is
captured twice, moves, loses its text and disappears; both backends must give the same
snapshot, the same schedule and the same outbox.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, cast

import pytest
import redis

from tests.support.redis import RedisServer
from workers.core.types import RecordLocation
from workers.parse.urls import canonical
from workers.state.redis_keys import Keys
from workers.state.redis_state import connect, text
from workers.state.sqlite import SQLiteState
from workers.versions.catalogue import (
    Capture,
    Catalogue,
    CatalogueStore,
    Change,
    SQLiteCatalogueStore,
    StoryRow,
    fold,
    iso,
)
from workers.versions.redis_catalogue import RedisCatalogueStore

T0 = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)
STORY = "http://news.test/world/talks-resume-1234"
MOVED = "http://news.test/world/talks-collapse-1234"
OTHER = "http://other.test/2026/11/24/markets"


def capture(
    url: str,
    when: datetime,
    n: int,
    status: str,
    *,
    warc: str = "a.warc.gz",
    record_type: str = "response",
    **fields: str,
) -> Capture:
    """Capture ``n``: its record id (and so its outbox message id) is derived from ``n``."""
    location = RecordLocation(
        filename=warc,
        offset=n * 1000,
        length=900,
        record_id=f"<urn:uuid:{n:08d}-0000-4000-8000-000000000000>",
        record_type=record_type,
        warc_date=iso(when),
        target_uri=url,
    )
    names = {
        "version": "storyVersion",
        "fingerprint": "storyFingerprint",
        "title": "storyTitle",
        "moved_to": "movedTo",
        "http_status": "httpStatus",
    }
    values = {"storyStatus": [status]}
    values.update({names.get(k, k): [v] for k, v in fields.items()})
    return Capture(url=url, time=when, location=location, fields=values)


def new_version(
    url: str, when: datetime, n: int, version: int, fingerprint: str, **fields: str
) -> Capture:
    return capture(
        url,
        when,
        n,
        "new-version",
        version=str(version),
        fingerprint=fingerprint,
        title=f"Title v{version}",
        storyLanguage="en",
        payloadDigest=f"sha1:{fingerprint}",
        **fields,
    )


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[CatalogueStore]:
    with SQLiteState(tmp_path / "state.sqlite3") as state:
        yield SQLiteCatalogueStore(state)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = connect(redis_url)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest) -> CatalogueStore:
    if request.param == "sqlite":
        sqlite: CatalogueStore = request.getfixturevalue("sqlite_store")
        return sqlite
    return RedisCatalogueStore(request.getfixturevalue("redis_client"))


@pytest.fixture
def cat(store: CatalogueStore) -> Catalogue:
    return Catalogue(store, collection="news")


def story_id(cat: Catalogue, url: str) -> str:
    story = cat.story_for(url)
    assert story is not None, url
    return story.story_id


# -- the contract ------------------------------------------------------------------------


def test_a_new_story_gets_version_one_and_a_message(cat: Catalogue) -> None:
    message = cat.apply(new_version(STORY, T0, 1, 1, "fp-a", published="2026-11-24T05:00:00Z"))
    assert message is not None
    assert message["version"] == 1 and message["previous_fingerprint"] is None
    assert message["message_id"] == "00000001-0000-4000-8000-000000000000"
    assert message["warc"]["path"] == "collections/news/archive/a.warc.gz"
    story = cat.story_for(STORY)
    assert story is not None
    assert (story.url, story.outlet, story.status, story.versions) == (
        STORY,
        "news.test",
        "live",
        1,
    )
    assert story.born == iso(T0 - H) and story.first_seen == iso(T0)
    assert story.next_due == iso(T0 + 15 * M)
    assert story.payload_ref() == {
        "uri": STORY,
        "date": iso(T0),
        "digest": "sha1:fp-a",
        "record_id": "<urn:uuid:00000001-0000-4000-8000-000000000000>",
    }
    [v1] = cat.versions(story.story_id)
    assert (v1.number, v1.fingerprint, v1.previous, v1.title) == (1, "fp-a", None, "Title v1")
    assert v1.warc == {
        "filename": "a.warc.gz",
        "offset": 1000,
        "length": 900,
        "record_id": "<urn:uuid:00000001-0000-4000-8000-000000000000>",
    }
    assert cat.events(story.story_id) == []
    assert cat.story_for(STORY + "?utm_source=x") == story  # found by canonical key


def test_unchanged_touches_the_version(cat: Catalogue) -> None:
    cat.apply(new_version(STORY, T0, 1, 1, "fp-a"))
    assert (
        cat.apply(capture(STORY, T0 + H, 2, "unchanged", version="1", fingerprint="fp-a")) is None
    )
    sid = story_id(cat, STORY)
    [v1] = cat.versions(sid)
    assert (v1.first_seen, v1.last_seen) == (iso(T0), iso(T0 + H))
    story = cat.story_for(STORY)
    assert story is not None and story.last_seen == iso(T0 + H)
    assert story.next_due == iso(T0 + H + 15 * M)


def test_a_new_version_carries_the_previous_fingerprint(cat: Catalogue) -> None:
    cat.apply(new_version(STORY, T0, 1, 1, "fp-a"))
    message = cat.apply(new_version(STORY, T0 + 2 * H, 3, 2, "fp-b"))
    assert message is not None and message["previous_fingerprint"] == "fp-a"
    versions = cat.versions(story_id(cat, STORY))
    assert [(v.number, v.fingerprint, v.previous) for v in versions] == [
        (1, "fp-a", None),
        (2, "fp-b", "fp-a"),
    ]
    story = cat.story_for(STORY)
    assert story is not None and story.last_change == iso(T0 + 2 * H)


def test_a_duplicate_capture_changes_nothing(cat: Catalogue) -> None:
    cat.apply(new_version(STORY, T0, 1, 1, "fp-a"))
    again = new_version(STORY, T0 + H, 2, 2, "fp-b")
    assert cat.apply(again) is not None
    before = cat.snapshot()
    assert cat.apply(again) is None
    assert cat.apply(new_version(STORY, T0, 1, 1, "fp-a")) is None
    assert cat.snapshot() == before
    assert len(cat.pending_messages()) == 2


def test_an_older_capture_applied_late_is_ignored(cat: Catalogue) -> None:
    cat.apply(new_version(STORY, T0 + H, 1, 1, "fp-a"))
    before = cat.snapshot()
    assert cat.apply(new_version(STORY, T0, 2, 2, "fp-old")) is None
    assert cat.snapshot() == before


def test_a_moved_story_is_found_at_its_new_url(cat: Catalogue) -> None:
    cat.apply(new_version(STORY, T0, 1, 1, "fp-a"))
    assert cat.apply(capture(STORY, T0 + H, 2, "moved", moved_to=MOVED, http_status="301")) is None
    sid = story_id(cat, STORY)
    assert story_id(cat, MOVED) == sid
    assert cat.events(sid) == [
        {"time": iso(T0 + H), "kind": "moved", "url": STORY, "detail": MOVED}
    ]
    message = cat.apply(new_version(MOVED, T0 + 2 * H, 3, 2, "fp-b"))
    assert message is not None and message["story_id"] == sid
    assert [v.url for v in cat.versions(sid)] == [STORY, MOVED]
    assert [s.story_id for s in cat.stories()] == [sid]


def test_gone_and_empty_extraction_are_events(cat: Catalogue) -> None:
    cat.apply(new_version(STORY, T0, 1, 1, "fp-a"))
    assert cat.apply(capture(STORY, T0 + H, 2, "empty-extraction")) is None
    assert cat.apply(capture(STORY, T0 + 2 * H, 3, "gone", http_status="410")) is None
    sid = story_id(cat, STORY)
    assert cat.events(sid) == [
        {"time": iso(T0 + H), "kind": "empty-extraction", "url": STORY, "detail": ""},
        {"time": iso(T0 + 2 * H), "kind": "gone", "url": STORY, "detail": "410"},
    ]
    story = cat.story_for(STORY)
    assert story is not None and story.status == "gone" and story.next_due is None
    assert cat.due(T0 + 100 * H) == []
    # gone or moved before anything is known: nothing to record (but applied)
    assert cat.apply(capture(OTHER, T0, 4, "gone", http_status="404")) is None
    assert cat.story_for(OTHER) is None


def test_stories_are_ordered_and_filtered_by_outlet(cat: Catalogue) -> None:
    cat.apply(new_version(OTHER, T0 + 30 * M, 2, 1, "fp-o"))
    cat.apply(new_version(STORY, T0, 1, 1, "fp-a"))
    cat.apply(new_version(MOVED, T0, 3, 1, "fp-m"))  # same first_seen: by story id
    ids = sorted([story_id(cat, STORY), story_id(cat, MOVED)])
    assert [s.story_id for s in cat.stories()] == [*ids, story_id(cat, OTHER)]
    assert [s.url for s in cat.stories("other.test")] == [OTHER]
    assert {s.url for s in cat.stories("news.test")} == {STORY, MOVED}
    assert cat.stories("nobody.test") == []


def test_due_and_announce(cat: Catalogue) -> None:
    cat.apply(new_version(STORY, T0, 1, 1, "fp-a"))
    cat.apply(new_version(OTHER, T0, 2, 1, "fp-o"))
    assert cat.due(T0 + 14 * M) == []
    assert {s.url for s in cat.due(T0 + 15 * M)} == {STORY, OTHER}
    assert [s.url for s in cat.due(T0 + 15 * M, outlet="other.test")] == [OTHER]
    cat.apply(capture(STORY, T0 + 4 * H, 3, "unchanged", version="1", fingerprint="fp-a"))
    assert [s.url for s in cat.due(T0 + 4 * H + 30 * M)] == [OTHER]
    # a feed says STORY changed after it was last seen: due now
    assert cat.announce(STORY, T0 + 4 * H + 10 * M, now=T0 + 4 * H + 20 * M)
    assert {s.url for s in cat.due(T0 + 4 * H + 20 * M)} == {STORY, OTHER}
    assert not cat.announce(STORY, T0 + 3 * H, now=T0 + 5 * H)  # older than the last capture
    assert not cat.announce("http://news.test/unknown", T0 + 9 * H, now=T0 + 9 * H)
    cat.store.set_next_due("0123456789abcdef", iso(T0))  # unknown story: nothing happens
    cat.apply(capture(OTHER, T0 + H, 4, "gone"))
    assert not cat.announce(OTHER, T0 + 9 * H, now=T0 + 9 * H)  # gone stories stay gone


def test_outbox_pending_and_delivered(cat: Catalogue) -> None:
    m1 = cat.apply(new_version(STORY, T0, 1, 1, "fp-a", warc="a.warc.gz"))
    m2 = cat.apply(new_version(OTHER, T0 + M, 2, 1, "fp-o", warc="b.warc.gz"))
    m3 = cat.apply(new_version(STORY, T0 + 2 * M, 3, 2, "fp-b", warc="b.warc.gz"))
    assert m1 and m2 and m3
    pending = cat.pending_messages()
    assert [m for m, _ in pending] == [m1["message_id"], m2["message_id"], m3["message_id"]]
    assert [m for m, _ in cat.pending_messages(["b.warc.gz"])] == [
        m2["message_id"],
        m3["message_id"],
    ]
    assert cat.pending_messages([]) == []
    assert json.loads(pending[0][1]) == m1
    cat.mark_delivered([m2["message_id"], "no-such-message"], T0 + H)
    cat.mark_delivered([], T0 + H)
    assert [m for m, _ in cat.pending_messages()] == [m1["message_id"], m3["message_id"]]
    cat.mark_delivered([m1["message_id"], m3["message_id"]], T0 + H)
    assert cat.pending_messages() == []


def test_clear_forgets_the_catalogue(cat: Catalogue) -> None:
    first = new_version(STORY, T0, 1, 1, "fp-a")
    cat.apply(first)
    cat.apply(capture(STORY, T0 + H, 2, "moved", moved_to=MOVED))
    cat.clear()
    assert cat.stories() == [] and cat.snapshot() == []
    assert cat.story_for(STORY) is None and cat.story_for(MOVED) is None
    assert cat.pending_messages() == []
    assert cat.apply(first) is not None  # applied ids are forgotten too: reindex replays
    assert [s.url for s in cat.stories()] == [STORY]
    cat.clear()
    cat.clear()


# -- both backends, one transcript ---------------------------------------------------------


def scenario(cat: Catalogue) -> dict[str, Any]:
    """Every kind of capture, in an order with a late duplicate; what can be observed."""
    captures = [
        new_version(STORY, T0, 1, 1, "fp-a", published="2026-11-23T22:00:00Z"),
        new_version(
            OTHER,
            T0 + 20 * M,
            2,
            1,
            "fp-o",
            canonical=OTHER,
            cited=("http://gov.test/report Report"),
        ),
        capture(
            STORY,
            T0 + H,
            3,
            "unchanged",
            version="1",
            fingerprint="fp-a",
            etag='"v1"',
            lastModified="Tue, 24 Nov 2026 06:00:00 GMT",
        ),
        new_version(STORY, T0 + 2 * H, 4, 2, "fp-b"),
        capture(STORY, T0 + 2 * H + M, 5, "not-modified", record_type="revisit"),
        new_version(STORY, T0 + 2 * H, 4, 2, "fp-b"),  # duplicate delivery
        capture(STORY, T0 + 3 * H, 6, "moved", moved_to=MOVED, http_status="301"),
        new_version(MOVED, T0 + 4 * H, 7, 3, "fp-c"),
        capture(MOVED, T0 + 5 * H, 8, "empty-extraction"),
        capture(OTHER, T0 + 5 * H, 9, "gone", http_status="410"),
        capture("http://news.test/never-seen", T0, 10, "gone"),
        capture(STORY, T0 + 6 * H, 11, "unchanged", version="3", fingerprint="fp-c"),
    ]
    messages = [cat.apply(c) for c in captures]
    announced = cat.announce(MOVED, T0 + 7 * H, now=T0 + 7 * H + M)
    first = [m for m, _ in cat.pending_messages()][:1]
    cat.mark_delivered(first, T0 + 8 * H)
    return {
        "messages": messages,
        "snapshot": cat.snapshot(),
        "stories": cat.stories(),
        "due": [s.story_id for s in cat.due(T0 + 7 * H + M)],
        "announced": announced,
        "pending": cat.pending_messages(),
        "pending_b": cat.pending_messages(["b.warc.gz"]),
    }


def test_both_backends_give_the_same_catalogue(
    sqlite_store: CatalogueStore, redis_client: redis.Redis
) -> None:
    sqlite = scenario(Catalogue(sqlite_store, collection="news"))
    redis_side = scenario(Catalogue(RedisCatalogueStore(redis_client), collection="news"))
    assert redis_side == sqlite
    assert len(sqlite["snapshot"]) == 2
    assert [m is not None for m in sqlite["messages"]] == [
        True,
        True,
        False,
        True,
        False,
        False,
        False,
        True,
        False,
        False,
        False,
        False,
    ]
    assert len(sqlite["pending"]) == 3


# -- Redis only --------------------------------------------------------------------------


def test_redis_update_retries_when_another_worker_wins_the_race(
    redis_client: redis.Redis,
) -> None:
    store = RedisCatalogueStore(redis_client)
    rival = RedisCatalogueStore(connect_like(redis_client))
    cat = Catalogue(store)
    cat.apply(new_version(STORY, T0, 1, 1, "fp-a"))
    theirs = new_version(STORY, T0 + H, 2, 2, "fp-b")
    mine = new_version(STORY, T0 + 2 * H, 3, 3, "fp-c")
    calls: list[StoryRow | None] = []

    def change_for(story: StoryRow | None) -> Change | None:
        calls.append(story)
        if len(calls) == 1:  # another worker commits between our read and our write
            Catalogue(rival).apply(theirs)
        return fold(story, mine, curve=cat.curve, collection=cat.collection)

    change = store.update(canonical(STORY), mine.location.record_id, change_for)
    assert change is not None and change.message is not None
    assert [s.versions if s else None for s in calls] == [1, 2]  # folded again on fresh data
    assert change.message["previous_fingerprint"] == "fp-b"
    assert [v.number for v in cat.versions(story_id(cat, STORY))] == [1, 2, 3]


def connect_like(client: redis.Redis) -> redis.Redis:
    kw = client.connection_pool.connection_kwargs
    return connect(f"redis://{kw['host']}:{kw['port']}/{kw.get('db', 0)}")


def test_redis_concurrent_duplicates_give_one_message(redis_client: redis.Redis) -> None:
    cat = Catalogue(RedisCatalogueStore(redis_client))
    same = new_version(STORY, T0, 1, 1, "fp-a")
    results: list[dict[str, Any] | None] = []
    lock = threading.Lock()

    def apply() -> None:
        message = cat.apply(same)
        with lock:
            results.append(message)

    run_threads([apply] * 8)
    assert sum(m is not None for m in results) == 1
    assert len(cat.pending_messages()) == 1


def test_redis_concurrent_new_stories_all_land(redis_client: redis.Redis) -> None:
    cat = Catalogue(RedisCatalogueStore(redis_client))
    urls = [f"http://news.test/story-{n}" for n in range(12)]
    run_threads(
        [partial(cat.apply, new_version(url, T0, n + 1, 1, f"fp{n}")) for n, url in enumerate(urls)]
    )
    assert sorted(s.url for s in cat.stories()) == sorted(urls)
    assert len(cat.pending_messages()) == 12


def run_threads(jobs: list[Callable[[], object]]) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs))

    def run(job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            job()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors


def test_redis_clear_leaves_other_keys_alone(redis_client: redis.Redis) -> None:
    ours, theirs = RedisCatalogueStore(redis_client), RedisCatalogueStore(redis_client, "other")
    Catalogue(ours).apply(new_version(STORY, T0, 1, 1, "fp-a"))
    Catalogue(theirs).apply(new_version(STORY, T0, 1, 1, "fp-a"))
    keys = Keys("sv")
    redis_client.hset(keys.outlets(), "http://news.test/", "{}")
    redis_client.hset(keys.crawl(1), "seeds", "x")
    Catalogue(ours).clear()
    left = sorted(text(k) for k in cast(list[bytes], redis_client.keys("sv:*")))
    assert left == [keys.crawl(1), keys.outlets()]
    assert Catalogue(theirs).story_for(STORY) is not None


def test_redis_catalogue_survives_a_restart() -> None:
    with RedisServer(persist=True) as server:
        client = connect(server.url)
        try:
            cat = Catalogue(RedisCatalogueStore(client))
            first = cat.apply(new_version(STORY, T0, 1, 1, "fp-a"))
            cat.mark_delivered(["none-yet"], T0)  # loads the delivery script
            server.restart(hard=True)  # connections dead, script cache empty
            assert cat.apply(new_version(STORY, T0 + H, 2, 2, "fp-b")) is not None
            assert first is not None
            cat.mark_delivered([first["message_id"]], T0 + H)
            assert len(cat.pending_messages()) == 1
            server.restart()
            cat.store.set_next_due(story_id(cat, STORY), iso(T0))
            assert [s.url for s in cat.due(T0)] == [STORY]
        finally:
            client.close()
