"""The service backend of crawl state: Redis, shared by every Celery worker.

:class:`RedisState` implements :class:`workers.state.CrawlStore` exactly as
:class:`workers.state.SQLiteState` does (one contract suite, tests/test_state_contract.py)
and adds a distributed, Heritrix-like frontier: one queue per host, a host leased to one
worker at a time, and a per-host "not before" time so every worker keeps the politeness
delay.

Life of a URL in the frontier::

    add_url ──> frontier:{host} (scored by due) ──> host in `ready` (scored by max(due, host_next))
    lease_ready_host ──> host out of `ready`, into `leased` (expiry) + lease:{host} = worker
    claim_items ──> the earliest due items, claimed but *left in place* (a killed worker
                    loses nothing: the next holder claims them again, as retries)
    complete_item ──> item removed, claim dropped, URL marked
    release_host(next_at) ──> lease dropped, host back in `ready` at max(next_at, due)
    (lease expired) ──> the next lease_ready_host moves the host back to `ready`

Every multi-key update is one Lua script, so it is atomic; the scripts take per-host key
names from the stems in :mod:`workers.rediskeys`. Times (``now``, ``due``, ``next_at``) are
the callers' clock, passed in; only a lease key's PX expiry uses Redis's.

Redis errors are translated here, and only here, into :class:`workers.errors.StateError`.
Clients built by :func:`connect` first retry connection errors and timeouts with
exponential backoff, so a Redis restart (with its append-only file) in the middle of a
crawl is survived. A retried script may run twice; every script is idempotent except that
a retried ``add_url`` then answers False and a retried ``lease_ready_host`` may leave a
second host leased until its ttl runs out.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict
from typing import NamedTuple, TypedDict, cast

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry
from redis.typing import EncodableT

from workers.archive import StoredPayload
from workers.errors import ConfigError, StateError
from workers.rediskeys import (
    DEFAULT_PREFIX,
    FINISHED_CRAWL_TTL,
    HOST_NEXT_TTL,
    ROBOTS_TTL,
    Keys,
)
from workers.state import FrontierItem

# -- Lua ---------------------------------------------------------------------------------

# Put `host` in `ready` at max(earliest due, host_next), or take it out if it has no work.
_SCHEDULE = """
local function schedule(ready, fstem, nstem, host)
  local first = redis.call('ZRANGE', fstem .. host, 0, 0, 'WITHSCORES')
  if #first == 0 then
    redis.call('ZREM', ready, host)
    return
  end
  local at = first[2]
  local nxt = redis.call('GET', nstem .. host)
  if nxt and tonumber(nxt) > tonumber(at) then at = nxt end
  redis.call('ZADD', ready, at, host)
end
"""

# KEYS crawls, crawl_seq | ARGV digest, seeds, started, crawl-key stem
_BEGIN = """
local open = redis.call('HGET', KEYS[1], ARGV[1])
if open then return {tonumber(open), 1} end
local id = redis.call('INCR', KEYS[2])
redis.call('HSET', ARGV[4] .. id, 'seeds', ARGV[2], 'digest', ARGV[1], 'started', ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], id)
return {id, 0}
"""

# KEYS crawl, crawls | ARGV id, now
_FINISH = """
if redis.call('HEXISTS', KEYS[1], 'started') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'finished', ARGV[2])
local digest = redis.call('HGET', KEYS[1], 'digest')
if digest and redis.call('HGET', KEYS[2], digest) == ARGV[1] then
  redis.call('HDEL', KEYS[2], digest)
end
return 1
"""

# Queueing and marking URLs, shared by the one-URL scripts and the batched SYNC script.
# `g` holds the key names: ARGV[1..12] of each of those scripts (see RedisState._globals).
_FRONTIER = (
    _SCHEDULE
    + """
local function globals(argv)
  return {ready = argv[1], leased = argv[2], fhosts = argv[3], fstem = argv[4],
          nstem = argv[5], cstem = argv[6], crawl = argv[7], urls = argv[8],
          queued = argv[9], counts = argv[10], pages = argv[11], lstem = argv[12]}
end

local function add_url(g, crawl_id, url_key, record, member, seq, is_page, host, due)
  local crawl = g.crawl .. crawl_id
  if redis.call('HSETNX', crawl .. g.urls, url_key, record) == 0 then return 0 end
  redis.call('ZADD', crawl .. g.queued, seq, url_key)
  local top = redis.call('HGET', crawl, 'max_seq')
  if not top or tonumber(seq) > tonumber(top) then
    redis.call('HSET', crawl, 'max_seq', seq)
  end
  redis.call('HINCRBY', crawl .. g.counts, 'queued', 1)
  if is_page == '1' then redis.call('HINCRBY', crawl .. g.pages, host, 1) end
  redis.call('ZADD', g.fstem .. host, due, member)
  redis.call('SADD', g.fhosts, host)
  if not redis.call('ZSCORE', g.leased, host) then schedule(g.ready, g.fstem, g.nstem, host) end
  return 1
end

local function mark(g, crawl_id, url_key, status, has_note, note, now)
  local crawl = g.crawl .. crawl_id
  local raw = redis.call('HGET', crawl .. g.urls, url_key)
  if not raw then return 0 end
  local rec = cjson.decode(raw)
  local item = cjson.decode(rec['item'])
  local host = item['host']
  local old = rec['status']
  rec['status'] = status
  if has_note == '1' then rec['note'] = note else rec['note'] = cjson.null end
  redis.call('HSET', crawl .. g.urls, url_key, cjson.encode(rec))
  if old ~= status then
    local counts = crawl .. g.counts
    if redis.call('HINCRBY', counts, old, -1) <= 0 then redis.call('HDEL', counts, old) end
    redis.call('HINCRBY', counts, status, 1)
  end
  local frontier = g.fstem .. host
  if status == 'queued' then
    redis.call('ZADD', crawl .. g.queued, item['seq'], url_key)
    redis.call('ZADD', frontier, 'NX', now, rec['item'])
    redis.call('SADD', g.fhosts, host)
  else
    redis.call('ZREM', crawl .. g.queued, url_key)
    redis.call('ZREM', frontier, rec['item'])
    redis.call('HDEL', g.cstem .. host, rec['item'])
    if redis.call('EXISTS', frontier) == 0 then redis.call('SREM', g.fhosts, host) end
  end
  if not redis.call('ZSCORE', g.leased, host) then schedule(g.ready, g.fstem, g.nstem, host) end
  return 1
end

-- Claim up to `wanted` due items of `host` not claimed by `worker` or another holder of
-- the host; each comes with the id of the worker that claimed it before ('' if none: a
-- first attempt; else a worker that no longer holds the host, i.e. died with it).
local function claim(g, host, worker, now, wanted)
  local frontier, claims = g.fstem .. host, g.cstem .. host
  local out = {}
  local got = 0
  local offset = 0
  while got < wanted do
    local batch = redis.call('ZRANGEBYSCORE', frontier, '-inf', now, 'LIMIT', offset, wanted)
    if #batch == 0 then break end
    for _, member in ipairs(batch) do
      local owner = redis.call('HGET', claims, member)
      if owner and owner ~= worker and redis.call('HEXISTS', g.lstem .. host, owner) == 1 then
        owner = worker  -- in flight at another holder: skip it
      end
      if owner ~= worker then
        redis.call('HSET', claims, member, worker)
        out[#out + 1] = member
        out[#out + 1] = owner or ''
        got = got + 1
        if got >= wanted then break end
      end
    end
    offset = offset + #batch
  end
  return out
end
"""
)

# ARGV globals (12) | crawl_id, url_key, record, member, seq, is_page, host, due
_ADD = _FRONTIER + "return add_url(globals(ARGV), unpack(ARGV, 13, 20))\n"

# ARGV globals (12) | crawl_id, url_key, status, has_note, note, now
_MARK = _FRONTIER + "return mark(globals(ARGV), unpack(ARGV, 13, 18))\n"

# ARGV globals (12) | host, worker, now, wanted | host's claims to drop: n, members...
_CLAIM = (
    _FRONTIER
    + """
local g = globals(ARGV)
local n = tonumber(ARGV[17])
for i = 18, 17 + n do
  if redis.call('HGET', g.cstem .. ARGV[13], ARGV[i]) == ARGV[14] then
    redis.call('HDEL', g.cstem .. ARGV[13], ARGV[i])
  end
end
return claim(g, ARGV[13], ARGV[14], ARGV[15], tonumber(ARGV[16]))
"""
)

# One round trip per batch of a host turn: what the turn found and finished, then more
# work. ARGV globals (12) | host, worker, now, wanted, #adds, #marks, #payloads,
# adds (8 each, as _ADD), marks (5 each: crawl_id, url_key, status, has_note, note),
# payloads (3 each: digests key, digest, JSON). Adds come before marks: a URL leaves the
# frontier only after what it links to is queued.
_SYNC = (
    _FRONTIER
    + """
local g = globals(ARGV)
local host, worker, now, wanted = ARGV[13], ARGV[14], ARGV[15], tonumber(ARGV[16])
local nadd, nmark, npay = tonumber(ARGV[17]), tonumber(ARGV[18]), tonumber(ARGV[19])
local i = 20
local added = {}
for _ = 1, nadd do
  added[#added + 1] = add_url(g, unpack(ARGV, i, i + 7))
  i = i + 8
end
for _ = 1, nmark do
  mark(g, ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], now)
  i = i + 5
end
for _ = 1, npay do
  redis.call('HSETNX', ARGV[i], ARGV[i + 1], ARGV[i + 2])
  i = i + 3
end
return {added, claim(g, host, worker, now, wanted)}
"""
)

# KEYS ready, leased, frontier_hosts, claims | ARGV member, host, frontier stem, host_next stem
_REMOVE = (
    _SCHEDULE
    + """
local frontier = ARGV[3] .. ARGV[2]
local removed = redis.call('ZREM', frontier, ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
if redis.call('EXISTS', frontier) == 0 then redis.call('SREM', KEYS[3], ARGV[2]) end
if not redis.call('ZSCORE', KEYS[2], ARGV[2]) then schedule(KEYS[1], ARGV[3], ARGV[4], ARGV[2]) end
return removed
"""
)

# Host leases. A host is held by one worker, or, when its politeness allows parallel
# requests, by up to `cap` workers at once (`joinable` lists those with room). Each holder's
# expiry is in lease:{host}; `leased` scores a host by its earliest one.
# L: ready, leased, joinable, frontier/host_next/lease/solo/robots stems, cap (_lease_args)
_LEASES = (
    _SCHEDULE
    + """
local function leases(argv, at)
  return {ready = argv[at], leased = argv[at + 1], joinable = argv[at + 2],
          fstem = argv[at + 3], nstem = argv[at + 4], lstem = argv[at + 5],
          sstem = argv[at + 6], rstem = argv[at + 7], cap = tonumber(argv[at + 8])}
end

local function cap_of(L, host)
  if redis.call('EXISTS', L.sstem .. host) == 1 then return 1 end
  return L.cap
end

-- after a host's holders changed: fix its place in leased, joinable and ready
local function settle(L, host, now)
  local lease = L.lstem .. host
  local expiries = redis.call('HVALS', lease)
  if #expiries == 0 then
    redis.call('DEL', lease)
    redis.call('ZREM', L.leased, host)
    redis.call('ZREM', L.joinable, host)
    schedule(L.ready, L.fstem, L.nstem, host)
    return
  end
  local earliest = tonumber(expiries[1])
  for _, e in ipairs(expiries) do earliest = math.min(earliest, tonumber(e)) end
  redis.call('ZADD', L.leased, earliest, host)
  if #expiries < cap_of(L, host) then
    redis.call('ZADD', L.joinable, 'NX', now, host)
  else
    redis.call('ZREM', L.joinable, host)
  end
end
"""
)

# ARGV now, expiry, worker | L (9)
_LEASE = (
    _LEASES
    + """
local now, expiry, worker = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local L = leases(ARGV, 4)
for _, host in ipairs(redis.call('ZRANGEBYSCORE', L.leased, '-inf', now)) do
  local lease = L.lstem .. host
  local held = redis.call('HGETALL', lease)
  for i = 1, #held, 2 do
    if tonumber(held[i + 1]) <= now then redis.call('HDEL', lease, held[i]) end
  end
  settle(L, host, now)
end
while true do  -- an unleased host, the one that waited longest
  local pick = redis.call('ZRANGEBYSCORE', L.ready, '-inf', now, 'LIMIT', 0, 1)
  if #pick == 0 then break end
  local host = pick[1]
  redis.call('ZREM', L.ready, host)
  if redis.call('EXISTS', L.fstem .. host) == 1 then
    redis.call('HSET', L.lstem .. host, worker, expiry)
    settle(L, host, now)
    return host
  end
end
for _, host in ipairs(redis.call('ZRANGE', L.joinable, 0, 99)) do  -- else share one
  local lease = L.lstem .. host
  local due = redis.call('ZRANGEBYSCORE', L.fstem .. host, '-inf', now, 'LIMIT', 0, 1)
  -- shared once its robots.txt is known: one holder fetches it, the others read it
  if #due > 0 and redis.call('HLEN', lease) < cap_of(L, host)
      and redis.call('EXISTS', L.rstem .. host) == 1 then
    redis.call('HSET', lease, worker, expiry)
    settle(L, host, now)
    return host
  end
end
return false
"""
)

# ARGV worker, expiry, now, host | L (9)
_RENEW = (
    _LEASES
    + """
local L = leases(ARGV, 5)
local held = redis.call('HGET', L.lstem .. ARGV[4], ARGV[1])
if not held or tonumber(held) <= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', L.lstem .. ARGV[4], ARGV[1], ARGV[2])
settle(L, ARGV[4], tonumber(ARGV[3]))
return 1
"""
)

# ARGV worker, next_at, host, now, host_next ttl | L (9)
_RELEASE = (
    _LEASES
    + """
local L = leases(ARGV, 6)
local host = ARGV[3]
if redis.call('HDEL', L.lstem .. host, ARGV[1]) == 0 then return 0 end
redis.call('SET', L.nstem .. host, ARGV[2], 'EX', ARGV[5])
settle(L, host, tonumber(ARGV[4]))
return 1
"""
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
            " workers.redisstate.connect(url)"
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
            " then run the command again: the crawl resumes where it stopped",
        ) from exc
    except RedisError as exc:
        raise StateError(
            url, f"Redis refused {what}: {exc}; check the server's log and memory limit"
        ) from exc


def text(value: object) -> str:
    """A Redis reply (bytes or str) as str."""
    return value.decode() if isinstance(value, bytes) else str(value)


def member_of(crawl_id: int, item: FrontierItem) -> str:
    """The frontier member for an item: canonical JSON including the crawl id."""
    return json.dumps({"crawl_id": crawl_id, **asdict(item)}, sort_keys=True, separators=(",", ":"))


def item_of(member: str | bytes) -> tuple[int, FrontierItem]:
    """Parse a frontier member back into (crawl_id, item)."""
    data = json.loads(member)
    crawl_id = int(data.pop("crawl_id"))
    return crawl_id, FrontierItem(**data)


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
        self._begin = client.register_script(_BEGIN)
        self._finish = client.register_script(_FINISH)
        self._add = client.register_script(_ADD)
        self._mark = client.register_script(_MARK)
        self._lease = client.register_script(_LEASE)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)
        self._remove = client.register_script(_REMOVE)
        self._claim = client.register_script(_CLAIM)
        self._sync = client.register_script(_SYNC)

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

    def _stems(self) -> list[str]:
        return [self.keys.frontier(""), self.keys.host_next("")]

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
                    for key in (k.crawl, k.urls, k.queued, k.counts, k.host_pages):
                        pipe.expire(key(crawl_id), FINISHED_CRAWL_TTL)
                pipe.execute()
        return finished

    def add_url(self, crawl_id: int, item: FrontierItem, *, due: float | None = None) -> bool:
        """Queue ``item`` unless its key was already seen in this crawl; True if queued.

        A queued item also enters its host's frontier, due at ``due`` (default: now).
        """
        args = self._add_args(crawl_id, item, self._clock() if due is None else due)
        with self._guard(f"queueing {item.url}"):
            added = self._add(args=[*self._globals(), *args])
        return bool(added)

    def _globals(self) -> list[Arg]:
        """The key names every frontier script starts its ARGV with (see _FRONTIER)."""
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
        member = member_of(crawl_id, item)
        record = json.dumps({"item": member, "status": "queued", "note": None})
        page = int(item.kind == "page")
        return [crawl_id, item.key, record, member, item.seq, page, item.host, repr(due)]

    def seen(self, crawl_id: int, key: str) -> bool:
        """True if ``key`` was ever queued in this crawl."""
        with self._guard("checking the seen set"):
            return bool(self._r.hexists(self.keys.urls(crawl_id), key))

    def queued(self, crawl_id: int) -> list[FrontierItem]:
        """Every URL still to fetch in this crawl, in queue order (by seq)."""
        k = self.keys
        with self._guard("listing the queue"):
            url_keys = cast(list[bytes], self._r.zrange(k.queued(crawl_id), 0, -1))
            items: list[FrontierItem] = []
            for start in range(0, len(url_keys), 1000):
                chunk = url_keys[start : start + 1000]
                for raw in cast(list[bytes | None], self._r.hmget(k.urls(crawl_id), chunk)):
                    if raw is not None:
                        items.append(item_of(json.loads(raw)["item"])[1])
        return items

    def mark(self, crawl_id: int, key: str, status: str, note: str | None = None) -> None:
        """Set a URL's outcome ("done", "failed", "blocked", "skipped").

        Any status but "queued" also takes the URL out of its host's frontier; "queued"
        puts it back (due now) if it was not there.
        """
        args: list[Arg] = [crawl_id, key, status, int(note is not None), note or ""]
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

    def claim_items(
        self, host: str, worker_id: str, now: float, limit: int = 1
    ) -> list[Claim]:
        """Up to ``limit`` items of ``host`` due at ``now``, earliest first, claimed for
        ``worker_id``; items it claimed already (still in flight) are skipped.

        Claimed items stay in the frontier until :meth:`complete_item`, so a worker killed
        mid-fetch loses nothing: once its lease expires the next holder of the host claims
        them again, as retries (``Claim.retry``): the dead worker may have written their
        records without following their links.
        """
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
        adds, marks, payloads = batch.take()
        args: list[Arg] = [host, worker_id, repr(now), limit, len(adds), len(marks), len(payloads)]
        for crawl_id, item, due in adds:
            args += self._add_args(crawl_id, item, due)
        for crawl_id, key, status, note in marks:
            args += [crawl_id, key, status, int(note is not None), note or ""]
        for url_key, payload in payloads:
            args += [self.keys.digests(url_key), payload.digest, _payload_json(payload)]
        with self._guard(f"syncing the turn of {host}"):
            added, reply = cast(
                tuple[list[int], list[bytes]], self._sync(args=[*self._globals(), *args])
            )
        return [bool(a) for a in added], _claims(reply)

    def complete_item(
        self,
        host: str,
        crawl_id: int,
        item: FrontierItem,
        status: str | None = None,
        note: str | None = None,
    ) -> None:
        """Take a fetched item out of the frontier and mark its URL ``status``.

        ``status=None`` leaves the URL's status as it is (the engine marked it already:
        :meth:`mark` with any status but "queued" takes it out of the frontier too).
        Raises ValueError if ``item`` is not ``host``'s.
        """
        if host != item.host:
            raise ValueError(f"{item.url} belongs to {item.host}, not {host}")
        if status is not None:
            self.mark(crawl_id, item.key, status, note)
        k = self.keys
        args: list[Arg] = [member_of(crawl_id, item), host, *self._stems()]
        with self._guard(f"completing {item.url}"):
            self._remove([k.ready(), k.leased(), k.frontier_hosts(), k.claims(host)], args)

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
    claims = []
    for member, owner in zip(reply[::2], reply[1::2], strict=True):
        crawl_id, item = item_of(member)
        claims.append(Claim(crawl_id, item, retry=bool(owner)))
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

