"""The service backend of crawl state: Redis, shared by every Celery worker.

:class:`RedisState` implements :class:`workers.state.sqlite.CrawlStore` exactly as
:class:`workers.state.sqlite.SQLiteState` does (one contract suite, tests/test_state_contract.py)
and adds a distributed, Heritrix-like frontier: one queue per host, a host leased to one
worker at a time, and a per-host "not before" time so every worker keeps the politeness
delay.

Life of a URL in the frontier::

    add_url ──> frontier:{host} (scored by due) ──> host in `ready` (scored by max(due, host_next))
    lease_ready_host ──> host out of `ready`, into `leased` (expiry) + lease:{host} = worker
    claim_items ──> the earliest due items, claimed but *left in place* (a killed worker
                    loses nothing: the next holder claims them again, as retries)
    mark(done, ...) ──> item removed, claim dropped, URL marked (sync marks in batches)
    release_host(next_at) ──> lease dropped, host back in `ready` at max(next_at, due)
    (lease expired) ──> the next lease_ready_host moves the host back to `ready`

Every multi-key update is one Lua script, so it is atomic; the scripts take per-host key
names from the stems in :mod:`workers.state.redis_keys`. Times (``now``, ``due``, ``next_at``) are
the callers' clock, passed in; only a lease key's PX expiry uses Redis's.

Redis errors are translated here, and only here, into :class:`workers.core.errors.StateError`.
Clients built by :func:`connect` first retry connection errors and timeouts with
exponential backoff, so a Redis restart (with its append-only file) in the middle of a
crawl is survived. A retried script may run twice; every script is idempotent except that
a retried ``add_url`` then answers False and a retried ``lease_ready_host`` may leave a
second host leased until its ttl runs out.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import NamedTuple, TypedDict, cast

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry
from redis.typing import EncodableT

from workers.core.errors import ConfigError, StateError
from workers.core.types import FrontierItem, StoredPayload
from workers.state import redis_lua as lua
from workers.state.redis_keys import (
    DEFAULT_PREFIX,
    FINISHED_CRAWL_TTL,
    HOST_NEXT_TTL,
    ROBOTS_TTL,
    Keys,
)

# -- connecting and the error boundary -----------------------------------------------------


def connect(
    url: str,
    *,
    retries: int = 10,
    backoff_base: float = 0.05,
    backoff_cap: float = 2.0,
    socket_timeout: float = 10.0,
    health_check_interval: int = 30,
) -> redis.Redis:
    """A client for ``url`` that survives a Redis restart.

    Connection errors and timeouts are retried ``retries`` times with exponential
    backoff (twice ``backoff_base``, doubling up to ``backoff_cap`` s: about 13 s in all
    by default); idle connections are checked every ``health_check_interval`` seconds.
    Responses are bytes (robots.txt bodies are binary). Raises :class:`ConfigError` for
    an empty or malformed URL; never connects eagerly.
    """
    if not url:
        raise ConfigError("no Redis URL: set redis_url (e.g. redis://127.0.0.1:6379/0)")
    retry = Retry(
        ExponentialBackoff(cap=backoff_cap, base=backoff_base),
        retries,
        supported_errors=(RedisConnectionError, RedisTimeoutError),
    )
    try:
        return redis.Redis.from_url(
            url,
            retry=retry,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            health_check_interval=health_check_interval,
            decode_responses=False,
        )
    except ValueError as exc:
        raise ConfigError(f"invalid Redis URL {url!r}: {exc}") from exc


def url_of(client: redis.Redis) -> str:
    """The client's server as a URL without credentials (for error messages)."""
    kw = client.connection_pool.connection_kwargs
    db = kw.get("db", 0)
    if kw.get("path"):
        return f"unix://{kw['path']}?db={db}"
    return f"redis://{kw.get('host', 'localhost')}:{kw.get('port', 6379)}/{db}"


def check_client(client: redis.Redis) -> None:
    """Raise :class:`ConfigError` unless ``client`` returns bytes (see :func:`connect`)."""
    if client.connection_pool.connection_kwargs.get("decode_responses"):
        raise ConfigError(
            f"{url_of(client)}: the Redis client decodes responses; build it with"
            " workers.state.redis_state.connect(url)"
        )


@contextmanager
def translate_errors(url: str, what: str) -> Iterator[None]:
    """Turn redis-py errors raised inside the block into :class:`StateError`."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise StateError(
            url,
            f"cannot reach Redis while {what} ({exc}); start Redis or fix redis_url,"
            " then run the command again (a crawl resumes where it stopped)",
        ) from exc
    except RedisError as exc:
        raise StateError(
            url, f"Redis refused {what}: {exc}; check the server's log and memory limit"
        ) from exc


def text(value: object) -> str:
    """A Redis reply (bytes or str) as str."""
    return value.decode() if isinstance(value, bytes) else str(value)


#: The layout of the crawl state below (``{p}:state:format``). A Redis holding crawl state
#: of another layout is refused with an error saying what to do, never misread.
STATE_FORMAT = "2"


def url_field(key: str) -> str:
    """A URL key's field in its crawl's ``urls`` hash (the seen set): 96 bits of
    BLAKE2b, 16 characters, whatever the URL's length."""
    digest = hashlib.blake2b(key.encode(), digest_size=12).digest()
    return base64.urlsafe_b64encode(digest).decode()


def member_of(crawl_id: int, item: FrontierItem) -> str:
    """A URL's member in its host's frontier and claims: ``crawl_id:seq:field`` (seq in
    8 hex digits: items due at the same time come in queue order); the item itself is
    stored once, in the crawl's ``urls`` hash."""
    return f"{crawl_id}:{item.seq:08x}:{url_field(item.key)}"


def item_json(item: FrontierItem) -> str:
    """The item as stored: a JSON array in field order, the key omitted (0) when it is
    the URL itself."""
    fields = [
        item.url,
        0 if item.key == item.url else item.key,
        item.host,
        item.kind,
        item.hops,
        item.cite_depth,
        item.via,
        item.found_by,
        item.priority,
        item.seq,
    ]
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)


def item_from(raw: str | bytes) -> FrontierItem:
    url, key, host, kind, hops, cite_depth, via, found_by, priority, seq = json.loads(raw)
    return FrontierItem(
        url=url,
        key=key or url,
        host=host,
        kind=kind,
        hops=hops,
        cite_depth=cite_depth,
        via=via,
        found_by=found_by,
        priority=priority,
        seq=seq,
    )


def record_of(status: str, item: str) -> str:
    """A URL's value in the seen set: ``status TAB item-json [TAB note]`` (a JSON text
    holds no raw tab, so the scripts split it without decoding it)."""
    return f"{status}\t{item}"


Arg = str | int | float | bytes  # a script argument


class Claim(NamedTuple):
    """A frontier item claimed by a worker (see :meth:`RedisState.claim_items`)."""

    crawl_id: int
    item: FrontierItem
    retry: bool  # claimed before by a worker that did not complete it


class FrontierStats(TypedDict):
    """What ``storyvault status`` shows of the shared frontier."""

    queued: dict[str, int]  # host -> items in its frontier
    ready: int  # unleased hosts with work: ready_now + backing_off
    ready_now: int  # hosts a worker may lease now
    backing_off: int  # hosts with work whose politeness time or due time is in the future
    leased: int  # hosts held by a worker (including expired, not yet reclaimed, leases)
    joinable: int  # leased hosts another worker may share (see RedisState.host_cap)


class RedisState:
    """Crawl state in Redis (see the module docstring). Thread-safe like the client."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str = DEFAULT_PREFIX,
        *,
        clock: Callable[[], float] = time.time,
        host_cap: int = 1,
    ) -> None:
        check_client(client)
        self._r = client
        self.keys = Keys(prefix)
        self.url = url_of(client)
        self._clock = clock
        #: how many workers may hold one host at once (see Settings.host_holders)
        self.host_cap = max(1, host_cap)
        self._owns_client = False
        self._begin = client.register_script(lua.BEGIN)
        self._finish = client.register_script(lua.FINISH)
        self._add = client.register_script(lua.ADD)
        self._mark = client.register_script(lua.MARK)
        self._lease = client.register_script(lua.LEASE)
        self._renew = client.register_script(lua.RENEW)
        self._release = client.register_script(lua.RELEASE)
        self._claim = client.register_script(lua.CLAIM)
        self._sync = client.register_script(lua.SYNC)
        self._format_checked = False

    def _check_format(self) -> None:
        """Mark a new state with :data:`STATE_FORMAT`; refuse one written in another.
        Once per instance, before its first crawl or frontier step."""
        if self._format_checked:
            return
        key = self.keys.state_format()
        with self._guard("reading the state's format"):
            found = self._r.get(key)
            if found is None and not self._r.exists(self.keys.crawl_seq()):
                self._r.setnx(key, STATE_FORMAT)
                found = self._r.get(key)
        if found is None or text(found) != STATE_FORMAT:
            raise StateError(
                self.url,
                f"Redis holds crawl state of another storyvault version (format "
                f"{text(found) if found else 1}, this one reads {STATE_FORMAT}) under the prefix "
                f"{self.keys.prefix!r}: let the old workers finish the crawl, or give the "
                "new ones another --redis-prefix (archives and versions are not affected)",
            )
        self._format_checked = True

    @classmethod
    def from_url(cls, url: str, prefix: str = DEFAULT_PREFIX) -> RedisState:
        """A state on its own :func:`connect` client, closed by :meth:`close`."""
        state = cls(connect(url), prefix)
        state._owns_client = True
        return state

    @property
    def client(self) -> redis.Redis:
        """The Redis client (for the catalogue store sharing it)."""
        return self._r

    def close(self) -> None:
        """Close the client if this state built it (:meth:`from_url`)."""
        if self._owns_client:
            self._r.close()

    def __enter__(self) -> RedisState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _guard(self, what: str) -> AbstractContextManager[None]:
        return translate_errors(self.url, what)

    # -- payload digests -----------------------------------------------------------------
    def lookup_payload(self, url_key: str, digest: str) -> StoredPayload | None:
        """The payload first archived for ``url_key`` with ``digest``, or None."""
        with self._guard("looking up a payload digest"):
            raw = self._r.hget(self.keys.digests(url_key), digest)
        if raw is None:
            return None
        data = json.loads(cast(bytes, raw))
        return StoredPayload(digest=digest, **data)

    def remember_payload(self, url_key: str, payload: StoredPayload) -> None:
        """Record an archived payload; the first one per (url_key, digest) wins."""
        with self._guard("remembering a payload digest"):
            self._r.hsetnx(self.keys.digests(url_key), payload.digest, _payload_json(payload))

    # -- crawls --------------------------------------------------------------------------
    def begin_crawl(self, seeds: Iterable[str]) -> tuple[int, bool]:
        """The crawl for these seeds: the unfinished one (resumed=True) or a new one."""
        self._check_format()
        key = "\n".join(sorted(set(seeds)))
        digest = hashlib.sha256(key.encode()).hexdigest()
        args: list[Arg] = [digest, key, repr(self._clock()), self.keys.crawl("")]
        with self._guard("beginning a crawl"):
            reply = cast(list[int], self._begin([self.keys.crawls(), self.keys.crawl_seq()], args))
        return int(reply[0]), bool(reply[1])

    def finish_crawl(self, crawl_id: int) -> None:
        """Mark the crawl finished: the next begin_crawl with its seeds starts a new one."""
        keys = [self.keys.crawl(crawl_id), self.keys.crawls()]
        with self._guard("finishing a crawl"):
            self._finish(keys, [str(crawl_id), repr(self._clock())])

    def finish_idle_crawls(self, grace: float) -> list[int]:
        """Finish every open crawl begun more than ``grace`` s ago with nothing queued (a
        service pass that is over); its records expire after FINISHED_CRAWL_TTL."""
        k = self.keys
        now = self._clock()
        finished = []
        with self._guard("finishing idle crawls"):
            open_ids = [int(i) for i in cast(list[bytes], self._r.hvals(k.crawls()))]
            pipe = self._r.pipeline(transaction=False)
            for crawl_id in open_ids:
                pipe.hget(k.crawl(crawl_id), "started")
                pipe.hget(k.counts(crawl_id), "queued")
            replies = cast(list[bytes | None], pipe.execute())
        for crawl_id, started, queued in zip(open_ids, replies[::2], replies[1::2], strict=True):
            if int(queued or 0) == 0 and float(started or 0) < now - grace:
                self.finish_crawl(crawl_id)
                finished.append(crawl_id)
        if finished:
            with self._guard("expiring finished crawls"):
                pipe = self._r.pipeline(transaction=False)
                for crawl_id in finished:
                    for key in (
                        k.crawl,
                        k.urls,
                        k.queued,
                        k.counts,
                        k.host_pages,
                        k.budget,
                        k.parked,
                    ):
                        pipe.expire(key(crawl_id), FINISHED_CRAWL_TTL)
                pipe.execute()
        return finished

    def add_url(self, crawl_id: int, item: FrontierItem, *, due: float | None = None) -> bool:
        """Queue ``item`` unless its key was already seen in this crawl; True if queued.

        A queued item also enters its host's frontier, due at ``due`` (default: now).
        """
        self._check_format()
        args = self._add_args(crawl_id, item, self._clock() if due is None else due)
        with self._guard(f"queueing {item.url}"):
            added = self._add(args=[*self._globals(), *args])
        return bool(added)

    def _globals(self) -> list[Arg]:
        """The key names every frontier script starts its ARGV with (see lua.FRONTIER)."""
        k = self.keys
        crawl = k.crawl("0")
        return [
            k.ready(),
            k.leased(),
            k.frontier_hosts(),
            k.frontier(""),
            k.host_next(""),
            k.claims(""),
            k.crawl(""),
            *(name(0).removeprefix(crawl) for name in (k.urls, k.queued, k.counts, k.host_pages)),
            k.lease(""),
        ]

    @staticmethod
    def _add_args(crawl_id: int, item: FrontierItem, due: float) -> list[Arg]:
        field = url_field(item.key)
        record = record_of("queued", item_json(item))
        page = int(item.kind == "page")
        member = member_of(crawl_id, item)
        return [crawl_id, field, record, member, item.seq, page, item.host, repr(due)]

    def seen(self, crawl_id: int, key: str) -> bool:
        """True if ``key`` was ever queued in this crawl."""
        with self._guard("checking the seen set"):
            return bool(self._r.hexists(self.keys.urls(crawl_id), url_field(key)))

    def seen_many(self, crawl_id: int, keys: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return set()
        fields = [url_field(key) for key in wanted]
        with self._guard("checking the seen set"):
            values = cast(list[bytes | None], self._r.hmget(self.keys.urls(crawl_id), fields))
        return {key for key, value in zip(wanted, values, strict=True) if value is not None}

    def queued(self, crawl_id: int) -> list[FrontierItem]:
        """Every URL still to fetch in this crawl, in queue order (by seq)."""
        items: list[FrontierItem] = []
        with self._guard("listing the queue"):
            for _, raw in self._r.hscan_iter(self.keys.urls(crawl_id), count=1000):
                status, rest = cast(bytes, raw).split(b"\t", 1)
                if status == b"queued":
                    items.append(item_from(rest.split(b"\t", 1)[0]))
        return sorted(items, key=lambda item: item.seq)

    def mark(self, crawl_id: int, key: str, status: str, note: str | None = None) -> None:
        """Set a URL's outcome ("done", "failed", "blocked", "skipped").

        Any status but "queued" also takes the URL out of its host's frontier; "queued"
        puts it back (due now) if it was not there.
        """
        args: list[Arg] = [crawl_id, url_field(key), status, int(note is not None), note or ""]
        with self._guard(f"marking {key} {status}"):
            self._mark(args=[*self._globals(), *args, repr(self._clock())])

    def url_counts(self, crawl_id: int) -> dict[str, int]:
        """Number of URLs per status in this crawl."""
        with self._guard("counting URLs"):
            raw = cast(dict[bytes, bytes], self._r.hgetall(self.keys.counts(crawl_id)))
        counts = {text(s): int(n) for s, n in raw.items()}
        return {s: n for s, n in counts.items() if n > 0}

    def host_page_counts(self, crawl_id: int) -> dict[str, int]:
        """Number of URLs of kind "page" per host in this crawl (whatever their status)."""
        with self._guard("counting pages per host"):
            raw = cast(dict[bytes, bytes], self._r.hgetall(self.keys.host_pages(crawl_id)))
        return {text(h): int(n) for h, n in raw.items()}

    def max_seq(self, crawl_id: int) -> int:
        """The highest seq queued in this crawl (0 if none)."""
        with self._guard("reading the crawl's sequence"):
            raw = self._r.hget(self.keys.crawl(crawl_id), "max_seq")
        return int(cast(bytes, raw)) if raw is not None else 0

    # -- robots cache --------------------------------------------------------------------
    def robots_get(self, host: str, max_age: float) -> tuple[int | None, bytes] | None:
        """A cached robots.txt fetch (status, body) younger than ``max_age`` seconds."""
        with self._guard(f"reading robots.txt of {host}"):
            raw = cast(dict[bytes, bytes], self._r.hgetall(self.keys.robots(host)))
        if not raw or self._clock() - float(raw[b"fetched_at"]) > max_age:
            return None
        status = raw.get(b"status", b"")
        return (int(status) if status else None), raw.get(b"body", b"")

    def robots_put(self, host: str, status: int | None, body: bytes) -> None:
        """Cache a robots.txt fetch (expires after ROBOTS_TTL)."""
        key = self.keys.robots(host)
        mapping: dict[EncodableT, EncodableT] = {
            "fetched_at": repr(self._clock()),
            "status": "" if status is None else str(status),
            "body": body,
        }
        with self._guard(f"caching robots.txt of {host}"):
            pipe = self._r.pipeline(transaction=True)
            pipe.hset(key, mapping=mapping)
            pipe.expire(key, ROBOTS_TTL)
            pipe.execute()

    # -- citation graph ------------------------------------------------------------------
    def add_citations(self, article_url: str, cited: Iterable[tuple[str, str]]) -> None:
        """Record (cited URL, anchor) pairs of an article; the first anchor per URL wins."""
        key = self.keys.citations(article_url)
        now = self._clock()
        with self._guard(f"recording citations of {article_url}"):
            pipe = self._r.pipeline(transaction=True)
            for url, anchor in cited:
                pipe.hsetnx(key, url, json.dumps([anchor, now]))
            pipe.execute()

    def citations(self, article_url: str) -> list[tuple[str, str]]:
        """(cited URL, anchor) pairs of an article, sorted by cited URL."""
        with self._guard(f"reading citations of {article_url}"):
            raw = cast(dict[bytes, bytes], self._r.hgetall(self.keys.citations(article_url)))
        return sorted((text(url), str(json.loads(v)[0])) for url, v in raw.items())

    # -- budgets of a crawl (workers.crawl.budgets), shared by every worker -----------------------
    def budget_counts(self, crawl_id: int) -> dict[str, int]:
        with self._guard("reading a crawl's budgets"):
            raw = cast(dict[bytes, bytes], self._r.hgetall(self.keys.budget(crawl_id)))
        return {text(k): int(v) for k, v in raw.items()}

    def add_budget_counts(self, crawl_id: int, delta: dict[str, int]) -> None:
        self.sync_budget_counts(crawl_id, delta, read=False)

    def sync_budget_counts(
        self, crawl_id: int, delta: dict[str, int], *, read: bool = True
    ) -> dict[str, int]:
        """Add ``delta`` to the crawl's budget counters and return them all (one round
        trip): what every worker process counted so far."""
        key = self.keys.budget(crawl_id)
        with self._guard("counting a crawl's budgets"):
            pipe = self._r.pipeline(transaction=False)
            for name, n in delta.items():
                pipe.hincrby(key, name, n)
            if read:
                pipe.hgetall(key)
            replies = pipe.execute() if delta or read else []
        if not read:
            return {}
        raw = cast(dict[bytes, bytes], replies[-1])
        return {text(k): int(v) for k, v in raw.items()}

    def park(self, crawl_id: int, shape: str, key: str, candidate: str) -> None:
        with self._guard("keeping a URL aside"):
            self._r.hsetnx(self.keys.parked(crawl_id), f"{shape}\n{key}", candidate)

    def unpark(self, crawl_id: int, shape: str) -> list[str]:
        name = self.keys.parked(crawl_id)
        with self._guard("handing back URLs kept aside"):
            fields = [
                f
                for f in cast(list[bytes], self._r.hkeys(name))
                if text(f).split("\n", 1)[0] == shape
            ]
            if not fields:
                return []
            pipe = self._r.pipeline(transaction=True)
            pipe.hmget(name, fields)
            pipe.hdel(name, *fields)
            values, _ = pipe.execute()
        return [text(v) for v in values if v is not None]

    # -- distributed frontier ------------------------------------------------------------
    def _lease_args(self) -> list[Arg]:
        k = self.keys
        stems = [k.frontier(""), k.host_next(""), k.lease(""), k.host_solo(""), k.robots("")]
        return [k.ready(), k.leased(), k.joinable(), *stems, self.host_cap]

    def lease_ready_host(self, worker_id: str, now: float, ttl: float) -> str | None:
        """Lease a host for ``ttl`` s: the unleased one that has waited longest (ready
        score <= ``now``), else a leased one with room for another holder and due work.

        First drops holders whose lease expired (a dead worker's hosts come back). Returns
        None if no host is ready. A host has one holder at a time, or up to
        ``host_cap`` when that is above 1, its robots.txt is cached (its first holder
        fetches it alone) and it is not solo (:meth:`make_solo`).
        """
        args: list[Arg] = [repr(now), repr(now + ttl), worker_id, *self._lease_args()]
        with self._guard("leasing a host"):
            host = self._lease(args=args)
        return None if host is None else text(host)

    def renew_lease(self, host: str, worker_id: str, ttl: float, now: float) -> bool:
        """Extend ``worker_id``'s lease of ``host`` to ``now + ttl``; False if it is not
        (or no longer, at ``now``) a holder: the worker must then leave the host alone."""
        args: list[Arg] = [worker_id, repr(now + ttl), repr(now), host, *self._lease_args()]
        with self._guard(f"renewing the lease of {host}"):
            return bool(self._renew(args=args))

    def release_host(self, host: str, worker_id: str, next_at: float) -> bool:
        """Give ``host`` back; no worker may fetch from it before ``next_at``.

        Only a holder can release (False otherwise). Once it has no holder, the host
        returns to ``ready`` at max(``next_at``, its earliest due item) if its frontier
        is not empty.
        """
        now = self._clock()
        args: list[Arg] = [worker_id, repr(next_at), host, repr(now), HOST_NEXT_TTL]
        with self._guard(f"releasing {host}"):
            return bool(self._release(args=[*args, *self._lease_args()]))

    def holders(self, host: str) -> int:
        """How many workers hold ``host`` now."""
        with self._guard(f"counting the holders of {host}"):
            return int(self._r.hlen(self.keys.lease(host)))

    def make_solo(self, host: str) -> None:
        """From now on (ROBOTS_TTL) ``host`` has one holder at a time: its robots.txt
        sets a Crawl-delay, which one worker's gate keeps and several would not."""
        with self._guard(f"making {host} solo"):
            self._r.set(self.keys.host_solo(host), "1", ex=ROBOTS_TTL)

    def claim_items(self, host: str, worker_id: str, now: float, limit: int = 1) -> list[Claim]:
        """Up to ``limit`` items of ``host`` due at ``now``, earliest first, claimed for
        ``worker_id``; items it claimed already (still in flight) are skipped.

        Claimed items stay in the frontier until :meth:`mark` (or a :meth:`sync`) takes
        them out, so a worker killed mid-fetch loses nothing: once its lease expires the
        next holder of the host claims them again, as retries (``Claim.retry``): the
        dead worker may have written their records without following their links.
        """
        self._check_format()
        args: list[Arg] = [host, worker_id, repr(now), limit, 0]
        with self._guard(f"claiming items of {host}"):
            reply = cast(list[bytes], self._claim(args=[*self._globals(), *args]))
        return _claims(reply)

    def unclaim(self, host: str, worker_id: str, claims: Iterable[Claim]) -> None:
        """Give back claimed items ``worker_id`` did not start (they stay first attempts)."""
        members = [member_of(c.crawl_id, c.item) for c in claims]
        if not members:
            return
        args: list[Arg] = [host, worker_id, "0", 0, len(members), *members]
        with self._guard(f"giving back items of {host}"):
            self._claim(args=[*self._globals(), *args])

    def sync(
        self, host: str, worker_id: str, now: float, batch: TurnBatch, limit: int
    ) -> tuple[list[bool], list[Claim]]:
        """Apply what a turn of ``host`` queued, finished and archived since its last sync
        (``batch``, emptied), then claim up to ``limit`` more items: one round trip.

        Returns whether each queued item was new to its crawl, and the claims
        (:meth:`claim_items`). Queued items are applied before finished ones, so a URL
        leaves the frontier only after what it links to is queued.
        """
        self._check_format()
        adds, marks, payloads = batch.take()
        args: list[Arg] = [host, worker_id, repr(now), limit, len(adds), len(marks), len(payloads)]
        for crawl_id, item, due in adds:
            args += self._add_args(crawl_id, item, due)
        for crawl_id, key, status, note in marks:
            args += [crawl_id, url_field(key), status, int(note is not None), note or ""]
        for url_key, payload in payloads:
            args += [self.keys.digests(url_key), payload.digest, _payload_json(payload)]
        with self._guard(f"syncing the turn of {host}"):
            added, reply = cast(
                tuple[list[int], list[bytes]], self._sync(args=[*self._globals(), *args])
            )
        return [bool(a) for a in added], _claims(reply)

    def expired_leases(self, now: float) -> int:
        """Hosts whose lease ran out (a dead worker's): the next lease call reclaims them."""
        with self._guard("counting expired leases"):
            return int(self._r.zcount(self.keys.leased(), "-inf", repr(now)))

    def host_next_at(self, host: str) -> float:
        """The time before which no worker may fetch from ``host`` (0.0: no limit)."""
        with self._guard(f"reading the politeness time of {host}"):
            raw = self._r.get(self.keys.host_next(host))
        return float(cast(bytes, raw)) if raw is not None else 0.0

    def frontier_stats(self, now: float | None = None) -> FrontierStats:
        """Queued items per host and the number of ready, backing-off and leased hosts."""
        k = self.keys
        at = self._clock() if now is None else now
        with self._guard("reading frontier statistics"):
            hosts = sorted(text(h) for h in cast(set[bytes], self._r.smembers(k.frontier_hosts())))
            pipe = self._r.pipeline(transaction=True)
            for host in hosts:
                pipe.zcard(k.frontier(host))
            pipe.zcount(k.ready(), "-inf", repr(at))
            pipe.zcount(k.ready(), f"({at!r}", "+inf")
            pipe.zcard(k.leased())
            pipe.zcard(k.joinable())
            replies = cast(list[int], pipe.execute())
        sizes = dict(zip(hosts, replies, strict=False))
        ready, backing_off, leased, joinable = replies[len(hosts) :]
        return FrontierStats(
            queued={h: n for h, n in sizes.items() if n},
            ready=int(ready) + int(backing_off),
            ready_now=int(ready),
            backing_off=int(backing_off),
            leased=int(leased),
            joinable=int(joinable),
        )


def _payload_json(payload: StoredPayload) -> str:
    data = {
        "target_uri": payload.target_uri,
        "warc_date": payload.warc_date,
        "record_id": payload.record_id,
    }
    return json.dumps(data)


def _claims(reply: list[bytes]) -> list[Claim]:
    """Claims from a script's (member, owner, item) triples."""
    claims = []
    for member, owner, item in zip(reply[::3], reply[1::3], reply[2::3], strict=True):
        crawl_id = int(text(member).split(":", 1)[0])
        claims.append(Claim(crawl_id, item_from(item), retry=bool(owner)))
    return claims


class TurnBatch:
    """What a host turn queued, finished and archived since its last
    :meth:`RedisState.sync`. Thread-safe: records are written in threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._adds: list[tuple[int, FrontierItem, float]] = []
        self._marks: list[tuple[int, str, str, str | None]] = []
        self._payloads: list[tuple[str, StoredPayload]] = []

    def add(self, crawl_id: int, item: FrontierItem, due: float) -> None:
        with self._lock:
            self._adds.append((crawl_id, item, due))

    def mark(self, crawl_id: int, key: str, status: str, note: str | None) -> None:
        with self._lock:
            self._marks.append((crawl_id, key, status, note))

    def payload(self, url_key: str, payload: StoredPayload) -> None:
        with self._lock:
            self._payloads.append((url_key, payload))

    @property
    def queued(self) -> int:
        """URLs queued since the last sync (they may give the host more work)."""
        return len(self._adds)

    def take(
        self,
    ) -> tuple[
        list[tuple[int, FrontierItem, float]],
        list[tuple[int, str, str, str | None]],
        list[tuple[str, StoredPayload]],
    ]:
        """Everything recorded so far, in order; the batch is empty afterwards."""
        with self._lock:
            taken = self._adds, self._marks, self._payloads
            self._adds, self._marks, self._payloads = [], [], []
        return taken
