"""One contract for crawl state: SQLiteState and RedisState behave the same.

Every CrawlStore method runs against both backends (SQLite in tmp_path, Redis on the
private test server). The Redis-only part covers the distributed frontier: host leases,
lease expiry, politeness times, items left in place until completed. Clocks are injected
(or passed as ``now``): nothing sleeps.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pytest
import redis

from tests.support.redis import RedisServer
from workers.core.errors import ConfigError, StateError
from workers.core.types import FrontierItem, StoredPayload
from workers.state.protocols import CrawlStore
from workers.state.redis_keys import FINISHED_CRAWL_TTL, Keys, pywb_index
from workers.state.redis_state import Claim, RedisState, TurnBatch, connect, text
from workers.state.sqlite import SQLiteState

T = 1_800_000_000.0  # the injected "now"


class Clock:
    """A settable clock for both backends (seconds for Redis, a datetime for SQLite)."""

    def __init__(self, now: float = T) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now

    def utc(self) -> datetime:
        """The same time as the datetime clock the SQLite state takes."""
        return datetime.fromtimestamp(self.now, UTC)


def item(url: str, seq: int = 0, kind: str = "page", **changes: object) -> FrontierItem:
    host = url.split("/")[2]
    base = FrontierItem(
        url=url,
        key=url,
        host=host,
        kind=kind,
        hops=1,
        cite_depth=0,
        via=None,
        found_by="link",
        priority=5,
        seq=seq,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "redis"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[CrawlStore, Clock]]:
    """(store, clock) for each backend; the clock drives every timestamp it takes."""
    clock = Clock()
    if request.param == "sqlite":
        with SQLiteState(tmp_path / "state.sqlite3", clock=clock.utc) as state:
            yield state, clock
    else:
        client = connect(request.getfixturevalue("redis_url"))
        try:
            yield RedisState(client, clock=clock), clock
        finally:
            client.close()


@pytest.fixture
def store(backend: tuple[CrawlStore, Clock]) -> CrawlStore:
    return backend[0]


@pytest.fixture
def rstate(redis_url: str) -> Iterator[RedisState]:
    client = connect(redis_url)
    try:
        yield RedisState(client, clock=Clock())
    finally:
        client.close()


# -- the contract ------------------------------------------------------------------------


def test_begin_crawl_resumes_the_unfinished_crawl_for_the_same_seeds(store: CrawlStore) -> None:
    first, resumed = store.begin_crawl(["http://b.test/", "http://a.test/", "http://a.test/"])
    assert not resumed
    assert store.begin_crawl(["http://a.test/", "http://b.test/"]) == (first, True)
    other, resumed = store.begin_crawl(["http://c.test/"])
    assert not resumed and other != first
    store.finish_crawl(first)
    store.finish_crawl(first)  # twice is fine
    store.finish_crawl(999_999)  # unknown: nothing happens
    again, resumed = store.begin_crawl(["http://b.test/", "http://a.test/"])
    assert not resumed and again not in (first, other)
    assert store.begin_crawl(["http://c.test/"]) == (other, True)


def test_add_url_queues_a_key_once_per_crawl(store: CrawlStore) -> None:
    crawl, _ = store.begin_crawl(["http://a.test/"])
    other, _ = store.begin_crawl(["http://z.test/"])
    first = item("http://a.test/1", seq=1)
    assert not store.seen(crawl, first.key)
    assert store.add_url(crawl, first)
    assert store.seen(crawl, first.key)
    assert not store.add_url(crawl, first)
    assert not store.add_url(crawl, replace(first, seq=9, hops=4, found_by="feed"))
    assert store.queued(crawl) == [first]  # the first one stays
    assert not store.seen(other, first.key)
    assert store.add_url(other, first)
    keys = [first.key, "http://a.test/never", first.key]
    assert store.seen_many(crawl, keys) == {first.key}
    assert store.seen_many(crawl, []) == set()


def test_queued_lists_queued_items_in_seq_order(store: CrawlStore) -> None:
    crawl, _ = store.begin_crawl(["http://a.test/"])
    items = [
        item("http://a.test/3", seq=3),
        item("http://b.test/1", seq=1, kind="feed"),
        item("http://a.test/2", seq=2, via="http://a.test/", cite_depth=1),
    ]
    for it in items:
        store.add_url(crawl, it)
    assert store.queued(crawl) == sorted(items, key=lambda i: i.seq)
    store.mark(crawl, "http://b.test/1", "done")
    assert [i.seq for i in store.queued(crawl)] == [2, 3]
    assert store.queued(crawl + 1000) == []


def test_mark_sets_outcomes_and_url_counts_follow(store: CrawlStore) -> None:
    crawl, _ = store.begin_crawl(["http://a.test/"])
    for n in range(5):
        store.add_url(crawl, item(f"http://a.test/{n}", seq=n))
    assert store.url_counts(crawl) == {"queued": 5}
    store.mark(crawl, "http://a.test/0", "done")
    store.mark(crawl, "http://a.test/0", "done", "again")  # idempotent
    store.mark(crawl, "http://a.test/1", "failed", "timeout — délai dépassé")
    store.mark(crawl, "http://a.test/2", "blocked", "robots.txt")
    store.mark(crawl, "http://a.test/nope", "done")  # unknown key: nothing happens
    assert store.url_counts(crawl) == {"queued": 2, "done": 1, "failed": 1, "blocked": 1}
    store.mark(crawl, "http://a.test/1", "queued")  # back in the queue
    assert [i.key for i in store.queued(crawl)] == [f"http://a.test/{n}" for n in (1, 3, 4)]
    assert store.url_counts(crawl) == {"queued": 3, "done": 1, "blocked": 1}
    assert store.url_counts(crawl + 1000) == {}


def test_host_page_counts_count_pages_of_any_status(store: CrawlStore) -> None:
    crawl, _ = store.begin_crawl(["http://a.test/"])
    store.add_url(crawl, item("http://a.test/1", seq=1))
    store.add_url(crawl, item("http://a.test/2", seq=2))
    store.add_url(crawl, item("http://a.test/feed", seq=3, kind="feed"))
    store.add_url(crawl, item("http://b.test/1", seq=4))
    store.add_url(crawl, item("http://b.test/robots.txt", seq=5, kind="robots"))
    store.mark(crawl, "http://a.test/1", "done")
    assert store.host_page_counts(crawl) == {"a.test": 2, "b.test": 1}


def test_max_seq_is_the_highest_seq_of_the_crawl(store: CrawlStore) -> None:
    crawl, _ = store.begin_crawl(["http://a.test/"])
    other, _ = store.begin_crawl(["http://b.test/"])
    assert store.max_seq(crawl) == 0
    for seq in (4, 17, 9):
        store.add_url(crawl, item(f"http://a.test/{seq}", seq=seq))
    store.mark(crawl, "http://a.test/17", "done")
    assert store.max_seq(crawl) == 17
    assert store.max_seq(other) == 0


def test_robots_cache_honours_max_age(backend: tuple[CrawlStore, Clock]) -> None:
    store, clock = backend
    assert store.robots_get("a.test", 3600) is None
    body = b"User-agent: *\nDisallow: /private\n\xff\x00"
    store.robots_put("a.test", 200, body)
    clock.now += 3600
    assert store.robots_get("a.test", 3600) == (200, body)
    clock.now += 1
    assert store.robots_get("a.test", 3600) is None
    assert store.robots_get("a.test", 7200) == (200, body)
    store.robots_put("a.test", None, b"")  # a failed fetch replaces it
    assert store.robots_get("a.test", 10) == (None, b"")
    assert store.robots_get("b.test", 10) is None


def test_citations_are_sorted_and_first_anchor_wins(store: CrawlStore) -> None:
    article = "http://a.test/story"
    store.add_citations(
        article,
        [
            ("http://z.test/", "Zed"),
            ("http://b.test/", "Bee"),
            ("http://z.test/", "dupe in one call"),
        ],
    )
    store.add_citations(article, [("http://b.test/", "later"), ("http://é.test/", "E")])
    store.add_citations(article, [])
    assert store.citations(article) == [
        ("http://b.test/", "Bee"),
        ("http://z.test/", "Zed"),
        ("http://é.test/", "E"),
    ]
    assert store.citations("http://a.test/other") == []


def test_remembered_payloads_first_one_wins(store: CrawlStore) -> None:
    first = StoredPayload(
        target_uri="http://a.test/1",
        warc_date="2026-11-24T06:00:00Z",
        record_id="<urn:uuid:1>",
        digest="sha1:AAAA",
    )
    later = replace(first, warc_date="2026-11-25T06:00:00Z", record_id="<urn:uuid:2>")
    assert store.lookup_payload("http://a.test/1", "sha1:AAAA") is None
    store.remember_payload("http://a.test/1", first)
    store.remember_payload("http://a.test/1", later)
    assert store.lookup_payload("http://a.test/1", "sha1:AAAA") == first
    assert store.lookup_payload("http://a.test/1", "sha1:BBBB") is None
    assert store.lookup_payload("http://a.test/2", "sha1:AAAA") is None
    other = replace(first, digest="sha1:BBBB", record_id="<urn:uuid:3>")
    store.remember_payload("http://a.test/1", other)
    assert store.lookup_payload("http://a.test/1", "sha1:BBBB") == other


# -- Redis only: the distributed frontier --------------------------------------------------


def test_add_url_fills_the_host_frontier_and_ready_set(rstate: RedisState) -> None:
    crawl, _ = rstate.begin_crawl(["http://a.test/"])
    one, two = item("http://a.test/1", seq=1), item("http://a.test/2", seq=2)
    assert rstate.add_url(crawl, one, due=T + 5)
    assert rstate.add_url(crawl, two, due=T + 1)
    assert not rstate.add_url(crawl, two, due=T)  # seen: the frontier is unchanged
    assert rstate.frontier_stats(now=T) == {
        "queued": {"a.test": 2},
        "ready": 1,
        "ready_now": 0,
        "backing_off": 1,
        "leased": 0,
        "joinable": 0,
    }
    assert rstate.lease_ready_host("w1", now=T, ttl=30) is None  # nothing due yet
    assert rstate.claim_items("a.test", "w1", now=T) == []
    assert rstate.lease_ready_host("w1", now=T + 1, ttl=30) == "a.test"
    assert rstate.claim_items("a.test", "w1", now=T + 10) == [Claim(crawl, two, retry=False)]


def test_claimed_items_stay_until_marked(rstate: RedisState) -> None:
    crawl, _ = rstate.begin_crawl(["http://a.test/"])
    first, second = item("http://a.test/1", seq=1), item("http://a.test/2", seq=2)
    rstate.add_url(crawl, first, due=T)
    rstate.add_url(crawl, second, due=T + 1)
    assert rstate.lease_ready_host("w1", now=T, ttl=30) == "a.test"
    assert rstate.claim_items("a.test", "w1", now=T + 2) == [Claim(crawl, first, retry=False)]
    # first is in flight: w1's next claim is the next item
    assert rstate.claim_items("a.test", "w1", now=T + 2, limit=5) == [
        Claim(crawl, second, retry=False)
    ]
    assert rstate.claim_items("a.test", "w1", now=T + 2) == []
    # while w1 holds the host, its items are in flight: nobody else claims them
    assert rstate.claim_items("a.test", "w2", now=T + 2, limit=5) == []
    # w1 died: once its lease is over, the next holder gets both again, as retries
    assert rstate.lease_ready_host("w2", now=T + 31, ttl=30) == "a.test"
    assert rstate.claim_items("a.test", "w2", now=T + 31, limit=5) == [
        Claim(crawl, first, retry=True),
        Claim(crawl, second, retry=True),
    ]
    rstate.mark(crawl, first.key, "done")
    assert rstate.url_counts(crawl) == {"queued": 1, "done": 1}
    rstate.mark(crawl, second.key, "failed", "timeout")  # a failure takes it out too
    assert rstate.claim_items("a.test", "w3", now=T + 2) == []
    # nothing is left of the claims once the items are done
    assert not rstate.client.exists(rstate.keys.claims("a.test"))
    assert rstate.url_counts(crawl) == {"done": 1, "failed": 1}


def test_a_sync_applies_a_turns_batch_then_claims(rstate: RedisState) -> None:
    crawl, _ = rstate.begin_crawl(["http://a.test/"])
    home = item("http://a.test/", seq=1)
    rstate.add_url(crawl, home, due=T)
    assert rstate.lease_ready_host("w1", now=T, ttl=30) == "a.test"
    assert rstate.claim_items("a.test", "w1", now=T) == [Claim(crawl, home, retry=False)]
    batch = TurnBatch()
    links = [item(f"http://a.test/{n}", seq=n + 1) for n in range(1, 4)]
    for link in [*links, home]:  # the home page is seen in this crawl already
        batch.add(crawl, link, T)
    batch.add(crawl, item("http://b.test/cited", seq=9, kind="cited"), T)
    batch.mark(crawl, home.key, "done", None)
    payload = StoredPayload("http://a.test/", "2027-01-15T08:00:00Z", "<urn:uuid:1>", "sha1:X")
    batch.payload("a.test/", payload)
    added, claims = rstate.sync("a.test", "w1", T, batch, limit=2)
    assert added == [True, True, True, False, True]
    assert [c.item for c in claims] == links[:2]  # the home page is done: not claimed
    assert rstate.url_counts(crawl) == {"queued": 4, "done": 1}
    assert rstate.lookup_payload("a.test/", "sha1:X") == payload
    assert rstate.frontier_stats(now=T)["queued"] == {"a.test": 3, "b.test": 1}
    assert batch.take() == ([], [], [])  # the batch was emptied
    # items claimed but never started go back as first attempts, not retries
    rstate.unclaim("a.test", "w1", claims[1:])
    assert rstate.lease_ready_host("w2", now=T + 31, ttl=30) == "a.test"  # w1's ran out
    assert rstate.claim_items("a.test", "w2", now=T + 31, limit=5) == [
        Claim(crawl, links[0], retry=True),  # w1 started it: a retry
        Claim(crawl, links[1], retry=False),
        Claim(crawl, links[2], retry=False),
    ]


def test_a_host_allowing_parallel_requests_is_shared_up_to_the_cap(redis_url: str) -> None:
    client = connect(redis_url)
    shared = RedisState(client, clock=Clock(), host_cap=2)
    crawl, _ = shared.begin_crawl(["http://a.test/"])
    items = [item(f"http://a.test/{n}", seq=n) for n in range(4)]
    for it in items:
        shared.add_url(crawl, it, due=T)
    shared.add_url(crawl, item("http://b.test/0", seq=9), due=T + 1)
    assert shared.lease_ready_host("w1", now=T + 1, ttl=30) == "a.test"
    assert shared.frontier_stats(now=T + 1)["joinable"] == 1
    # an unleased host first: sharing is for when no other host is ready
    assert shared.lease_ready_host("w2", now=T + 1, ttl=30) == "b.test"
    # and only once the first holder has read robots.txt
    assert shared.lease_ready_host("w3", now=T + 1, ttl=30) is None
    for host in ("a.test", "b.test"):
        shared.robots_put(host, 200, b"User-agent: *\nAllow: /\n")
    assert shared.lease_ready_host("w3", now=T + 1, ttl=30) == "a.test"
    assert shared.lease_ready_host("w4", now=T + 1, ttl=30) == "b.test"
    assert shared.lease_ready_host("w7", now=T + 1, ttl=30) is None  # two holders each: full
    assert shared.holders("a.test") == 2
    # holders never claim each other's items
    one = shared.claim_items("a.test", "w1", now=T + 1, limit=3)
    other = shared.claim_items("a.test", "w3", now=T + 1, limit=3)
    assert [c.item for c in one + other] == items and not any(c.retry for c in one + other)
    # w1 finishes its items and goes; the host keeps its other holder and has room again
    for done in one:
        shared.mark(crawl, done.item.key, "done")
    assert shared.release_host("a.test", "w1", next_at=T + 1)
    stats = shared.frontier_stats(now=T + 1)
    assert stats["leased"] == 2 and stats["joinable"] == 1  # a.test
    # w3 dies: once its lease is over, its items come back to the next holder as retries
    assert shared.lease_ready_host("w5", now=T + 40, ttl=30) == "a.test"
    assert shared.holders("a.test") == 1
    assert shared.claim_items("a.test", "w5", now=T + 40, limit=5) == [
        Claim(crawl, items[3], retry=True)
    ]
    # a host whose robots.txt sets a Crawl-delay is never shared
    shared.make_solo("a.test")
    assert shared.renew_lease("a.test", "w5", ttl=30, now=T + 41)
    assert shared.frontier_stats(now=T + 41)["joinable"] == 0
    assert shared.lease_ready_host("w6", now=T + 41, ttl=30) == "b.test"  # w2's, w4's ran out
    assert shared.lease_ready_host("w8", now=T + 41, ttl=30) == "b.test"
    assert shared.lease_ready_host("w9", now=T + 41, ttl=30) is None
    assert shared.holders("a.test") == 1
    client.close()


def test_service_crawls_finish_when_nothing_is_queued(redis_url: str) -> None:
    clock = Clock()
    client = connect(redis_url)
    rstate = RedisState(client, clock=clock)
    done, _ = rstate.begin_crawl(["discover:http://a.test/:1"])
    busy, _ = rstate.begin_crawl(["discover:http://b.test/:1"])
    one = item("http://a.test/1", seq=1)
    rstate.add_url(done, one)
    rstate.add_url(busy, item("http://b.test/1", seq=1))
    rstate.mark(done, one.key, "done")
    clock.now += 61
    fresh, _ = rstate.begin_crawl(["recrawl:9"])  # begun just now: its URLs may be coming
    assert rstate.finish_idle_crawls(grace=60) == [done]
    assert rstate.begin_crawl(["discover:http://a.test/:1"])[0] not in (done, busy, fresh)
    assert rstate.begin_crawl(["discover:http://b.test/:1"]) == (busy, True)
    assert rstate.begin_crawl(["recrawl:9"]) == (fresh, True)
    ttl = client.ttl(rstate.keys.urls(done))
    assert 0 < ttl <= FINISHED_CRAWL_TTL  # its records go, in time
    assert client.ttl(rstate.keys.urls(busy)) == -1
    client.close()


def test_two_workers_never_lease_the_same_host(rstate: RedisState) -> None:
    crawl, _ = rstate.begin_crawl(["http://a.test/"])
    for n, host in enumerate(("a.test", "b.test", "a.test")):
        rstate.add_url(crawl, item(f"http://{host}/{n}", seq=n), due=T + n)
    got = [rstate.lease_ready_host(f"w{n}", now=T + 5, ttl=30) for n in range(4)]
    assert got == ["a.test", "b.test", None, None]  # longest-waiting host first
    rstate.add_url(crawl, item("http://a.test/late", seq=9), due=T)
    assert rstate.lease_ready_host("w9", now=T + 5, ttl=30) is None  # a.test is leased
    stats = rstate.frontier_stats(now=T + 5)
    assert stats["leased"] == 2 and stats["ready"] == 0
    assert stats["queued"] == {"a.test": 3, "b.test": 1}


def test_an_expired_lease_returns_the_host(rstate: RedisState) -> None:
    crawl, _ = rstate.begin_crawl(["http://a.test/"])
    rstate.add_url(crawl, item("http://a.test/1", seq=1), due=T)
    assert rstate.lease_ready_host("dead", now=T, ttl=0.2) == "a.test"
    assert rstate.lease_ready_host("live", now=T + 0.1, ttl=0.2) is None
    assert rstate.lease_ready_host("live", now=T + 0.3, ttl=0.2) == "a.test"
    assert not rstate.renew_lease("a.test", "dead", ttl=30, now=T + 0.3)
    assert not rstate.release_host("a.test", "dead", next_at=T + 99)
    assert rstate.host_next_at("a.test") == 0.0  # the impostor set nothing
    assert rstate.claim_items("a.test", "live", now=T + 0.3)  # the dead worker's item
    assert rstate.renew_lease("a.test", "live", ttl=30, now=T + 0.4)


def test_renewing_keeps_the_lease(rstate: RedisState) -> None:
    crawl, _ = rstate.begin_crawl(["http://a.test/"])
    rstate.add_url(crawl, item("http://a.test/1", seq=1), due=T)
    assert rstate.lease_ready_host("w1", now=T, ttl=10) == "a.test"
    assert rstate.renew_lease("a.test", "w1", ttl=10, now=T + 8)  # now held to T + 18
    assert not rstate.renew_lease("a.test", "w2", ttl=10, now=T + 8)
    assert rstate.lease_ready_host("w2", now=T + 12, ttl=10) is None
    assert not rstate.renew_lease("a.test", "w1", ttl=10, now=T + 18)  # ran out
    assert rstate.lease_ready_host("w2", now=T + 18, ttl=10) == "a.test"


def test_release_puts_the_host_back_at_next_at(rstate: RedisState) -> None:
    crawl, _ = rstate.begin_crawl(["http://a.test/"])
    first = item("http://a.test/1", seq=1)
    rstate.add_url(crawl, first, due=T)
    rstate.add_url(crawl, item("http://a.test/2", seq=2), due=T)
    assert rstate.lease_ready_host("w1", now=T, ttl=30) == "a.test"
    rstate.mark(crawl, first.key, "done")
    assert rstate.release_host("a.test", "w1", next_at=T + 10)
    assert not rstate.release_host("a.test", "w1", next_at=T + 10)  # no longer the owner
    assert rstate.host_next_at("a.test") == T + 10
    assert rstate.frontier_stats(now=T)["backing_off"] == 1
    assert rstate.lease_ready_host("w2", now=T + 9.9, ttl=30) is None
    assert rstate.lease_ready_host("w2", now=T + 10, ttl=30) == "a.test"


def test_release_waits_for_the_earliest_due_item(rstate: RedisState) -> None:
    crawl, _ = rstate.begin_crawl(["http://a.test/"])
    rstate.add_url(crawl, item("http://a.test/1", seq=1), due=T)
    assert rstate.lease_ready_host("w1", now=T, ttl=30) == "a.test"
    rstate.add_url(crawl, item("http://a.test/2", seq=2), due=T + 50)  # while leased
    rstate.mark(crawl, item("http://a.test/1", seq=1).key, "done")
    assert rstate.release_host("a.test", "w1", next_at=T + 10)
    assert rstate.lease_ready_host("w2", now=T + 10, ttl=30) is None
    assert rstate.lease_ready_host("w2", now=T + 50, ttl=30) == "a.test"


def test_a_host_with_an_empty_frontier_is_not_ready(rstate: RedisState) -> None:
    crawl, _ = rstate.begin_crawl(["http://a.test/"])
    only = item("http://a.test/1", seq=1)
    rstate.add_url(crawl, only, due=T)
    assert rstate.lease_ready_host("w1", now=T, ttl=30) == "a.test"
    rstate.mark(crawl, only.key, "done")
    assert rstate.release_host("a.test", "w1", next_at=T + 1)
    assert rstate.lease_ready_host("w2", now=T + 100, ttl=30) is None
    # a redirect hop queued and marked at once never makes its host ready
    rstate.add_url(crawl, item("http://b.test/hop", seq=2), due=T)
    rstate.mark(crawl, "http://b.test/hop", "done", "followed as a redirect")
    assert rstate.lease_ready_host("w2", now=T + 100, ttl=30) is None
    assert rstate.frontier_stats(now=T + 100) == {
        "queued": {},
        "ready": 0,
        "ready_now": 0,
        "backing_off": 0,
        "leased": 0,
        "joinable": 0,
    }


def test_an_expired_lease_with_no_work_left_is_dropped(rstate: RedisState) -> None:
    crawl, _ = rstate.begin_crawl(["http://a.test/"])
    only = item("http://a.test/1", seq=1)
    rstate.add_url(crawl, only, due=T)
    assert rstate.lease_ready_host("dead", now=T, ttl=1) == "a.test"
    rstate.mark(crawl, only.key, "done")  # finished, then died unreleased
    assert rstate.lease_ready_host("w2", now=T + 5, ttl=1) is None
    assert rstate.frontier_stats(now=T + 5)["leased"] == 0


def test_requeued_url_goes_back_to_its_host(rstate: RedisState) -> None:
    crawl, _ = rstate.begin_crawl(["http://a.test/"])
    one = item("http://a.test/1", seq=1)
    rstate.add_url(crawl, one, due=T)
    rstate.mark(crawl, one.key, "failed")
    assert rstate.lease_ready_host("w1", now=T, ttl=30) is None
    rstate.mark(crawl, one.key, "queued")
    assert rstate.lease_ready_host("w1", now=T, ttl=30) == "a.test"
    assert rstate.claim_items("a.test", "w1", now=T) == [Claim(crawl, one, retry=False)]


def test_items_of_several_crawls_share_the_host_queue(rstate: RedisState) -> None:
    first, _ = rstate.begin_crawl(["http://a.test/"])
    second, _ = rstate.begin_crawl(["recrawl:1"])
    same = item("http://a.test/1", seq=1)
    rstate.add_url(first, same, due=T)
    rstate.add_url(second, same, due=T + 1)
    assert rstate.claim_items("a.test", "w1", now=T + 1) == [Claim(first, same, retry=False)]
    rstate.mark(first, same.key, "done")
    assert rstate.claim_items("a.test", "w1", now=T + 1) == [Claim(second, same, retry=False)]
    assert rstate.url_counts(second) == {"queued": 1}


def test_prefixes_keep_deployments_apart(redis_url: str) -> None:
    client = connect(redis_url)
    try:
        ours, theirs = RedisState(client, "sv"), RedisState(client, "other")
        crawl, _ = ours.begin_crawl(["http://a.test/"])
        ours.add_url(crawl, item("http://a.test/1"), due=T)
        assert theirs.begin_crawl(["http://a.test/"])[1] is False
        assert not theirs.seen(crawl, "http://a.test/1")
        assert theirs.lease_ready_host("w", now=T, ttl=5) is None
        names = {text(k).partition(":")[0] for k in cast(list[bytes], client.keys("*"))}
        assert names == {"sv", "other"}
    finally:
        client.close()


def test_key_names_live_in_one_module() -> None:
    keys = Keys("sv")
    assert keys.ready() == "sv:ready"
    assert keys.frontier("a.test:8080") == "sv:frontier:a.test:8080"
    assert keys.urls(3) == "sv:crawl:3:urls"
    assert Keys("{x}").lease("h") == "{x}:lease:h"
    assert pywb_index("storyvault") == "pywb:storyvault:cdxj"


# -- Redis only: the error boundary --------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_unreachable_redis_is_a_state_error_naming_the_url() -> None:
    url = f"redis://127.0.0.1:{_free_port()}/0"
    client = connect(url, retries=1, backoff_cap=0.01, socket_timeout=1.0)
    try:
        state = RedisState(client)
        with pytest.raises(StateError) as caught:
            state.begin_crawl(["http://a.test/"])
    finally:
        client.close()
    assert caught.value.url == url
    assert "start Redis" in caught.value.message
    assert isinstance(caught.value.__cause__, redis.ConnectionError)


def test_bad_urls_and_decoding_clients_are_config_errors(redis_url: str) -> None:
    with pytest.raises(ConfigError):
        connect("")
    with pytest.raises(ConfigError):
        connect("http://127.0.0.1:1/")
    decoding = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        with pytest.raises(ConfigError, match="connect"):
            RedisState(decoding)
    finally:
        decoding.close()


@pytest.mark.parametrize("hard", [False, True])
def test_a_redis_restart_mid_crawl_is_survived(hard: bool) -> None:
    with RedisServer(persist=True) as server:
        client = connect(server.url)
        try:
            state = RedisState(client, clock=Clock())
            crawl, _ = state.begin_crawl(["http://a.test/"])
            state.add_url(crawl, item("http://a.test/1", seq=1), due=T)
            server.restart(hard=hard)  # the client's pooled connection is now dead
            assert state.begin_crawl(["http://a.test/"]) == (crawl, True)
            assert state.add_url(crawl, item("http://a.test/2", seq=2), due=T)
            assert state.lease_ready_host("w1", now=T, ttl=5) == "a.test"  # scripts reloaded
            assert [i.seq for i in state.queued(crawl)] == [1, 2]
        finally:
            client.close()


def test_state_of_another_format_is_refused_not_misread(redis_url: str) -> None:
    """A Redis whose crawl state an older storyvault wrote (no format mark) is refused
    with what to do; a new prefix starts a fresh state beside it."""
    client = connect(redis_url)
    try:
        client.set("sv:crawl:seq", 3)  # what the first format left, with no format mark
        old = RedisState(client, clock=Clock())
        with pytest.raises(StateError, match=r"another storyvault version.*--redis-prefix"):
            old.begin_crawl(["http://a.test/"])
        fresh = RedisState(client, "sv2", clock=Clock())
        crawl, _ = fresh.begin_crawl(["http://a.test/"])
        assert fresh.add_url(crawl, FrontierItem.seed("http://a.test/"))
        assert client.get("sv2:state:format") == b"2"
    finally:
        client.close()
