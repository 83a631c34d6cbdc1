"""The version catalogue in Redis: the service's
:class:`~workers.versions.catalogue.CatalogueStore`.

It behaves exactly as :class:`~workers.versions.catalogue.SQLiteCatalogueStore` (one
contract suite, tests/test_catalogue_contract.py). :meth:`RedisCatalogueStore.update` is
optimistic: it WATCHes the alias hash and the story's keys, reads, lets the pure
:func:`~workers.versions.catalogue.fold` compute the
:class:`~workers.versions.catalogue.Change`, and writes all of it in one MULTI/EXEC,
starting again if another worker touched those keys first.
A record id is applied at most once, so a task that runs twice changes nothing the
second time. Key names are in :mod:`workers.state.redis_keys`; errors become
:class:`workers.core.errors.StateError` (see :mod:`workers.state.redis_state`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import asdict
from typing import Any, cast

import redis
from redis.client import Pipeline
from redis.exceptions import WatchError

from workers.core.errors import StateError
from workers.state.redis_keys import DEFAULT_PREFIX, Keys
from workers.state.redis_state import check_client, text, translate_errors, url_of
from workers.versions.catalogue import Change, StoryRow, VersionRow, from_iso

#: How often :meth:`RedisCatalogueStore.update` starts again after losing a race.
MAX_ATTEMPTS = 100

# KEYS outbox, outbox_pending, outbox_seq | ARGV message_id, record
_OUTBOX_ADD = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
return 1
"""

# KEYS outbox, outbox_pending, outbox_delivered | ARGV message_id, when
_DELIVER = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return 1
"""


def _watch(pipe: Pipeline, *keys: str) -> None:
    """WATCH ``keys`` (redis-py leaves ``Pipeline.watch`` untyped)."""
    pipe.watch(*keys)  # type: ignore[no-untyped-call]


def _is_due(story: StoryRow, cutoff: str) -> bool:
    return story.status == "live" and story.next_due is not None and story.next_due <= cutoff


def _schedule(pipe: Pipeline, due_key: str, story: StoryRow) -> None:
    """Keep ``stories:due`` in step with the story row written in the same MULTI."""
    if story.status == "live" and story.next_due:
        pipe.zadd(due_key, {story.story_id: from_iso(story.next_due).timestamp()})
    else:
        pipe.zrem(due_key, story.story_id)


def _index_member(story: StoryRow) -> str:
    """The lex-ordered index member of a story: (first_seen, story_id) order."""
    return f"{story.first_seen}\t{story.story_id}"


def _story_json(story: StoryRow) -> str:
    return json.dumps(asdict(story), sort_keys=True, ensure_ascii=False)


def _version_json(version: VersionRow) -> str:
    return json.dumps(asdict(version), sort_keys=True, ensure_ascii=False)


class RedisCatalogueStore:
    """The catalogue in Redis under one key prefix. Thread-safe like the client."""

    def __init__(self, client: redis.Redis, prefix: str = DEFAULT_PREFIX) -> None:
        check_client(client)
        self._r = client
        self.keys = Keys(prefix)
        self.url = url_of(client)
        self._deliver = client.register_script(_DELIVER)

    def _guard(self, what: str) -> AbstractContextManager[None]:
        return translate_errors(self.url, what)

    def _contention(self, what: str) -> StateError:
        return StateError(
            self.url,
            f"gave up {what} after {MAX_ATTEMPTS} attempts: other workers kept changing"
            " the same story; run the task again",
        )

    # -- writing -------------------------------------------------------------------------
    def update(
        self, url_key: str, record_id: str, change_for: Callable[[StoryRow | None], Change | None]
    ) -> Change | None:
        """Atomically: unless ``record_id`` was applied before, load the story named by
        ``url_key``, compute ``change_for(story)`` and persist it (with its message).

        Returns the change persisted, or None (already applied, or nothing to record:
        the record id is remembered either way). ``change_for`` may run more than once.
        Raises :class:`StateError`.
        """
        with self._guard(f"updating the catalogue for {url_key}"), self._r.pipeline() as pipe:
            for _ in range(MAX_ATTEMPTS):
                try:
                    return self._try_update(pipe, url_key, record_id, change_for)
                except WatchError:
                    continue
        raise self._contention(f"updating the catalogue for {url_key}")

    def _try_update(
        self,
        pipe: Pipeline,
        url_key: str,
        record_id: str,
        change_for: Callable[[StoryRow | None], Change | None],
    ) -> Change | None:
        k = self.keys
        _watch(pipe, k.story_urls())
        if pipe.sismember(k.applied(), record_id):
            pipe.unwatch()
            return None
        story: StoryRow | None = None
        found = cast(bytes | None, pipe.hget(k.story_urls(), url_key))
        if found is not None:
            sid = text(found)
            _watch(pipe, k.story(sid), k.versions(sid))
            story = self._load_story(pipe, sid)
        change = change_for(story)
        if change is None:
            pipe.multi()
            pipe.sadd(k.applied(), record_id)
            pipe.execute()
            return None
        st = change.story
        sid = st.story_id
        _watch(pipe, k.story(sid), k.versions(sid))  # (again) to replace the row as SQLite does
        old = self._load_story(pipe, sid)
        touched: VersionRow | None = None
        if change.touch_version is not None:
            raw = cast(bytes | None, pipe.hget(k.versions(sid), str(change.touch_version)))
            if raw is not None:
                touched = VersionRow(**json.loads(raw))
            elif change.version is not None and change.version.number == change.touch_version:
                touched = change.version
        pipe.multi()
        if old is not None and (old.first_seen, old.outlet) != (st.first_seen, st.outlet):
            pipe.zrem(k.all_stories(), _index_member(old))
            pipe.zrem(k.stories_by_outlet(old.outlet), _index_member(old))
        pipe.set(k.story(sid), _story_json(st))
        _schedule(pipe, k.stories_due(), st)
        pipe.zadd(k.all_stories(), {_index_member(st): 0})
        pipe.zadd(k.stories_by_outlet(st.outlet), {_index_member(st): 0})
        pipe.sadd(k.story_outlets(), st.outlet)
        for alias in change.aliases:
            pipe.hsetnx(k.story_urls(), alias, sid)
        if change.version is not None:
            pipe.hsetnx(k.versions(sid), str(change.version.number), _version_json(change.version))
        if touched is not None:
            touched_json = _version_json(_with_last_seen(touched, st.last_seen))
            pipe.hset(k.versions(sid), str(touched.number), touched_json)
        if change.event is not None:
            event = change.event
            pipe.hsetnx(k.events(sid), event["record_id"], json.dumps(event, sort_keys=True))
        if change.message is not None:
            m = change.message
            record = {
                "story_id": sid,
                "number": m["version"],
                "warc_file": m["warc"]["filename"],
                "body": json.dumps(m, ensure_ascii=False, sort_keys=True),
            }
            outbox_keys = (k.outbox(), k.outbox_pending(), k.outbox_seq())
            pipe.eval(_OUTBOX_ADD, 3, *outbox_keys, m["message_id"], json.dumps(record))
        pipe.sadd(k.applied(), record_id)
        pipe.execute()
        return change

    def _load_story(self, client: redis.Redis, story_id: str) -> StoryRow | None:
        raw = cast(bytes | None, client.get(self.keys.story(story_id)))
        return StoryRow(**json.loads(raw)) if raw is not None else None

    def set_next_due(self, story_id: str, when: str) -> None:
        """Set a story's next re-crawl time (ISO); nothing if there is no such story."""
        key = self.keys.story(story_id)
        with self._guard(f"rescheduling story {story_id}"), self._r.pipeline() as pipe:
            for _ in range(MAX_ATTEMPTS):
                try:
                    _watch(pipe, key)
                    story = self._load_story(pipe, story_id)
                    if story is None:
                        pipe.unwatch()
                        return
                    story.next_due = when
                    pipe.multi()
                    pipe.set(key, _story_json(story))
                    _schedule(pipe, self.keys.stories_due(), story)
                    pipe.execute()
                    return
                except WatchError:
                    continue
        raise self._contention(f"rescheduling story {story_id}")

    def mark_delivered(self, message_ids: Iterable[str], when: str) -> None:
        """Record outbox messages as delivered at ``when`` (unknown ids are ignored)."""
        k = self.keys
        keys = [k.outbox(), k.outbox_pending(), k.outbox_delivered()]
        with self._guard("marking messages delivered"):
            pipe = self._r.pipeline(transaction=True)
            for message_id in message_ids:
                self._deliver(keys, [message_id, when], client=pipe)
            pipe.execute()

    def clear(self) -> None:
        """Forget the whole catalogue under this prefix (before a reindex). Crawl state,
        registered outlets and other prefixes are left alone; never FLUSHALL."""
        k = self.keys
        fixed = [
            k.story_urls(),
            k.all_stories(),
            k.story_outlets(),
            k.stories_due(),
            k.applied(),
            k.outbox(),
            k.outbox_pending(),
            k.outbox_delivered(),
            k.outbox_seq(),
        ]
        with self._guard("clearing the catalogue"), self._r.pipeline() as pipe:
            for _ in range(MAX_ATTEMPTS):
                try:
                    _watch(pipe, k.all_stories(), k.story_outlets())
                    members = cast(list[bytes], pipe.zrange(k.all_stories(), 0, -1))
                    outlets = cast(set[bytes], pipe.smembers(k.story_outlets()))
                    doomed = list(fixed)
                    for member in members:
                        sid = text(member).rpartition("\t")[2]
                        doomed += [k.story(sid), k.versions(sid), k.events(sid)]
                    doomed += [k.stories_by_outlet(text(o)) for o in outlets]
                    pipe.multi()
                    for start in range(0, len(doomed), 500):
                        pipe.delete(*doomed[start : start + 500])
                    pipe.execute()
                    return
                except WatchError:
                    continue
        raise self._contention("clearing the catalogue")

    # -- reading -------------------------------------------------------------------------
    def story_by_key(self, url_key: str) -> StoryRow | None:
        """The story a canonical URL key names (first URL or alias), or None."""
        with self._guard(f"looking up the story of {url_key}"):
            found = cast(bytes | None, self._r.hget(self.keys.story_urls(), url_key))
            return self._load_story(self._r, text(found)) if found is not None else None

    def due_stories(self, cutoff: str, outlet: str | None = None) -> list[StoryRow]:
        """Live stories (of ``outlet``) due at ISO time ``cutoff``, by (first_seen, id)."""
        until = from_iso(cutoff).timestamp()
        with self._guard("listing due stories"):
            ids = cast(list[bytes], self._r.zrangebyscore(self.keys.stories_due(), "-inf", until))
            rows: list[StoryRow] = []
            for start in range(0, len(ids), 500):
                chunk = [self.keys.story(text(i)) for i in ids[start : start + 500]]
                raws = cast(list[bytes | None], self._r.mget(chunk))
                rows += [StoryRow(**json.loads(raw)) for raw in raws if raw is not None]
        due = [s for s in rows if _is_due(s, cutoff) and (not outlet or s.outlet == outlet)]
        return sorted(due, key=lambda s: (s.first_seen, s.story_id))

    def stories(self, outlet: str | None = None) -> list[StoryRow]:
        """Every story (of ``outlet``), ordered by (first_seen, story_id)."""
        k = self.keys
        index = k.stories_by_outlet(outlet) if outlet else k.all_stories()
        with self._guard("listing stories"):
            members = cast(list[bytes], self._r.zrange(index, 0, -1))
            rows: list[StoryRow] = []
            for start in range(0, len(members), 500):
                ids = [text(m).rpartition("\t")[2] for m in members[start : start + 500]]
                raws = cast(list[bytes | None], self._r.mget([k.story(i) for i in ids]))
                rows += [StoryRow(**json.loads(raw)) for raw in raws if raw is not None]
        return rows

    def versions(self, story_id: str) -> list[VersionRow]:
        """A story's versions, by number."""
        with self._guard(f"listing versions of story {story_id}"):
            raw = cast(dict[bytes, bytes], self._r.hgetall(self.keys.versions(story_id)))
        rows = [VersionRow(**json.loads(v)) for v in raw.values()]
        return sorted(rows, key=lambda v: v.number)

    def events(self, story_id: str) -> list[dict[str, str]]:
        """A story's events (time, kind, url, detail), ordered by (time, record id)."""
        with self._guard(f"listing events of story {story_id}"):
            raw = cast(dict[bytes, bytes], self._r.hgetall(self.keys.events(story_id)))
        found: list[dict[str, Any]] = [json.loads(v) for v in raw.values()]
        found.sort(key=lambda e: (e["time"], e["record_id"]))
        return [
            {"time": e["time"], "kind": e["kind"], "url": e["url"], "detail": e["detail"] or ""}
            for e in found
        ]

    def delivered_ids(self) -> set[str]:
        """Ids of the messages delivered so far (``reindex`` sends these no second time)."""
        with self._guard("reading the delivered messages"):
            return {text(m) for m in cast(list[bytes], self._r.hkeys(self.keys.outbox_delivered()))}

    def pending_messages(self) -> list[tuple[str, str, str]]:
        """(message_id, JSON body, WARC file name) not yet delivered, oldest first."""
        k = self.keys
        with self._guard("reading the outbox"):
            ids = [text(m) for m in cast(list[bytes], self._r.zrange(k.outbox_pending(), 0, -1))]
            raws = cast(list[bytes | None], self._r.hmget(k.outbox(), ids)) if ids else []
        pending = []
        for message_id, raw in zip(ids, raws, strict=True):
            if raw is not None:
                record = json.loads(raw)
                pending.append((message_id, str(record["body"]), str(record["warc_file"])))
        return pending


def _with_last_seen(version: VersionRow, last_seen: str) -> VersionRow:
    return VersionRow(**{**asdict(version), "last_seen": last_seen})
