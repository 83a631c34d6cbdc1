"""One contract for both frontiers: the embedded one and the service's Redis host queues.

Each test drives a frontier as its runner does (add what an item found, take what is
due, give back the outcome) and checks what a crawl would: what was fetched, what was
left out and why. The service is driven in host turns, each with a new HostFrontier as
each Celery task makes, so a budget that held only within one turn would show here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from workers.core.settings import Settings
from workers.crawl.budgets import Budgets
from workers.crawl.frontier import (
    Admission,
    Candidate,
    CrawlBook,
    LocalFrontier,
    Outcome,
    Work,
)
from workers.crawl.host_frontier import HostFrontier
from workers.crawl.stats import CrawlStats
from workers.net.politeness import HostGate
from workers.parse.urls import Scope
from workers.state.redis_state import RedisState, connect
from workers.state.sqlite import SQLiteState

HOST = "outlet.example"
ROOT = f"http://{HOST}"
NOW = 1_800_000_000.0
CRAWLS = itertools.count()


def settings(**changes: object) -> Settings:
    return Settings(host_delay=0.0, host_concurrency=4, **changes)  # type: ignore[arg-type]


def scope() -> Scope:
    return Scope(hosts=frozenset({HOST}))


@dataclass
class Driver:
    """Runs a frontier turn by turn: ``step(found_by_url)`` maps a fetched URL to what
    its page leads to and whether it is an article."""

    turn: Callable[[], list[Work]]
    finish: Callable[[Work, Outcome], None]
    end_turn: Callable[[], None]
    add: Callable[[list[Candidate]], None]
    skipped: Callable[[], dict[str, int]]
    fetched: list[str] = field(default_factory=list)

    def crawl(
        self, leads: Callable[[str], tuple[list[Candidate], bool]], max_turns: int = 500
    ) -> list[str]:
        for _ in range(max_turns):
            works = self.turn()
            if not works:
                self.end_turn()
                return self.fetched
            for work in works:
                self.fetched.append(work.item.url)
                found, article = leads(work.item.url)
                self.finish(work, Outcome(found=found, article=article))
            self.end_turn()
        raise AssertionError("the frontier never ran dry")


def local_driver(tmp_path: Path, s: Settings) -> Iterator[Driver]:
    with SQLiteState(tmp_path / "state.sqlite3") as state:
        crawl_id, _ = state.begin_crawl([f"contract {next(CRAWLS)}"])
        budgets = Budgets(s)
        book = CrawlBook(state, crawl_id, Admission(s, scope(), budgets))
        frontier = LocalFrontier(book, HostGate(0.0, 4, max_delay=s.max_crawl_delay), CrawlStats())
        yield Driver(
            turn=lambda: frontier.take(4),
            finish=frontier.done,
            end_turn=lambda: None,
            add=lambda found: frontier.add(crawl_id, found) and None,
            skipped=lambda: dict(budgets.skipped),
        )


def redis_driver(redis_url: str, s: Settings) -> Iterator[Driver]:
    client = connect(redis_url)
    state = RedisState(client, clock=lambda: NOW)
    crawl_id, _ = state.begin_crawl([f"contract {next(CRAWLS)}"])  # a new crawl each time
    current: list[HostFrontier] = []

    def frontier() -> HostFrontier:
        if not current:  # a new task, a new process's view: only Redis carries over
            current.append(
                HostFrontier(
                    state,
                    HOST,
                    "worker",
                    settings=s,
                    scope=scope(),
                    catalogue=None,
                    clock=lambda: NOW,
                    claim_ahead=4,
                )
            )
        return current[0]

    def turn() -> list[Work]:
        if state.lease_ready_host("worker", NOW, 60) is None:
            return []
        return frontier().take(4)

    def end_turn() -> None:
        if current:
            current.pop().close()
            state.release_host(HOST, "worker", NOW)

    def add(found: list[Candidate]) -> None:
        frontier().add(crawl_id, found)
        end_turn()

    def skipped() -> dict[str, int]:
        counts = state.budget_counts(crawl_id)
        return {k[5:]: n for k, n in counts.items() if k.startswith("skip|") and n > 0}

    try:
        yield Driver(
            turn=turn,
            finish=lambda w, o: frontier().done(w, o),
            end_turn=end_turn,
            add=add,
            skipped=skipped,
        )
    finally:
        client.close()


@pytest.fixture(params=["embedded", "service"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Driver]]:
    made: list[Iterator[Driver]] = []

    def build(**changes: object) -> Driver:
        s = settings(**changes)
        if request.param == "embedded":
            gen = local_driver(tmp_path, s)
        else:
            gen = redis_driver(request.getfixturevalue("redis_url"), s)
        made.append(gen)
        return next(gen)

    yield build
    for gen in made:
        gen.close()


def page(path: str, found_by: str = "link", self_linked: bool = False) -> Candidate:
    return Candidate(f"{ROOT}{path}", "page", 1, 0, f"{ROOT}/", found_by, self_linked)


def test_a_url_found_twice_is_fetched_once(make: Callable[..., Driver]) -> None:
    d = make()
    d.add([page("/a"), page("/a"), page("/a#top")])
    fetched = d.crawl(lambda url: ([page("/a"), page("/b")], False))
    assert sorted(fetched) == [f"{ROOT}/a", f"{ROOT}/b"]


def test_a_calendar_chain_stops_at_trap_chain_max_across_turns(
    make: Callable[..., Driver],
) -> None:
    d = make(trap_chain_max=5)
    d.add([page("/calendar/day-1")])

    def next_day(url: str) -> tuple[list[Candidate], bool]:
        day = int(url.rsplit("-", 1)[1])
        # each day links back too: a URL seen in an earlier turn is not counted again
        back = [page(f"/calendar/day-{day - 1}", self_linked=True)] if day > 1 else []
        return [*back, page(f"/calendar/day-{day + 1}", self_linked=True)], False

    fetched = d.crawl(next_day)
    assert len(fetched) == 1 + 5  # the first day, then five days of the chain
    assert d.skipped() == {"trap-chain": 1}


def test_the_shape_budget_holds_per_crawl_and_hands_back_article_shapes(
    make: Callable[..., Driver],
) -> None:
    d = make(pattern_budget=3)
    d.add([page(f"/tag/t{n}") for n in range(6)])  # listings: not articles
    listings = d.crawl(lambda url: ([], False))
    assert len(listings) == 3
    assert d.skipped() == {"shape-budget": 3}

    d = make(pattern_budget=3)
    d.add([page(f"/a/s{n}.html") for n in range(8)])  # numeric ids: articles
    articles = d.crawl(lambda url: ([], True))
    assert len(articles) == 8  # kept aside, handed back once the shape proved articles'
    assert d.skipped() == {}


def test_the_host_page_budget_is_per_crawl(make: Callable[..., Driver]) -> None:
    d = make(host_page_budget=4)
    d.add([page("/p0")])

    def more(url: str) -> tuple[list[Candidate], bool]:
        n = int(url.rsplit("p", 1)[1])
        return [page(f"/x{n}/p{n + 1}"), page(f"/y{n}/p{n + 2}")], False

    assert len(d.crawl(more)) == 4
    assert d.skipped().get("host-budget", 0) > 0


def test_sitemaps_stop_at_their_nesting_depth_and_count(make: Callable[..., Driver]) -> None:
    d = make(sitemap_max_depth=3, sitemap_budget=50)
    d.add([Candidate(f"{ROOT}/sitemap.xml", "sitemap", 0, 0, None, "robots")])

    def deeper(url: str) -> tuple[list[Candidate], bool]:
        depth = url.count("/idx")
        child = Candidate(
            f"{url.removesuffix('.xml')}/idx.xml", "sitemap", depth + 1, 0, url, "sitemap"
        )
        return [child], False

    assert len(d.crawl(deeper)) == 4  # depths 0 to 3
    assert d.skipped() == {"sitemap-depth": 1}


def test_an_embedded_resume_keeps_the_crawls_budgets(tmp_path: Path) -> None:
    """Killed halfway through a calendar chain, the resumed crawl goes on counting."""
    s = settings(trap_chain_max=6)

    def run(stop_after: int | None) -> int:
        with SQLiteState(tmp_path / "state.sqlite3") as state:
            crawl_id, resumed = state.begin_crawl(["resumed crawl"])
            budgets = Budgets(s)
            book = CrawlBook(state, crawl_id, Admission(s, scope(), budgets))
            frontier = LocalFrontier(book, HostGate(0.0, 1, max_delay=1.0), CrawlStats())
            frontier.resume()
            if not resumed:
                frontier.add(crawl_id, [page("/calendar/day-1")])
            fetched = 0
            while (works := frontier.take(1)) and (stop_after is None or fetched < stop_after):
                (work,) = works
                fetched += 1
                day = int(work.item.url.rsplit("-", 1)[1])
                nxt = page(f"/calendar/day-{day + 1}", self_linked=True)
                frontier.done(work, Outcome(found=[nxt], article=False))
            return fetched

    first = run(stop_after=3)  # the process dies with day 4 taken, never done
    assert first == 3
    rest = run(stop_after=None)  # day 4 again, then on until the chain's budget
    assert first + rest == 1 + 6  # a budget counted from zero again would allow 1 + 9
