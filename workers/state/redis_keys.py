"""Every Redis key storyvault uses, and their lifetimes: the one place key names live.

All keys but pywb's index start with a configurable prefix (``Settings.redis_prefix``,
default ``"sv"``), so two deployments can share one Redis and :meth:`Catalogue.clear`
deletes only its own keys. A prefix in braces (``"{sv}"``) puts every key in one Redis
Cluster slot, which the Lua scripts in :mod:`workers.state.redis_state` need there: they build
per-host key names from the stems returned by ``Keys.frontier("")`` and friends.

Crawl state (:class:`workers.state.redis_state.RedisState`)::

    {p}:crawl:seq                    string  last crawl id handed out (INCR)
    {p}:crawls                       hash    sha256(sorted seeds) -> id of the unfinished crawl
    {p}:crawl:{id}                   hash    seeds, digest, started, finished, max_seq
    {p}:crawl:{id}:urls              hash    url field -> "status TAB item [TAB note]" (seen set)
    {p}:crawl:{id}:counts            hash    status -> number of URLs
    {p}:crawl:{id}:pages             hash    host -> number of URLs of kind "page"
    {p}:robots:{host}                hash    fetched_at, status ("" for none), body
    {p}:digests:{url_key}            hash    payload digest -> JSON StoredPayload
    {p}:citations:{article_url}      hash    cited URL -> JSON [anchor, first_seen]

Distributed frontier (Heritrix-like: one queue per host, one worker per host)::

    {p}:frontier:{host}              zset    "crawl_id:seq:url field", scored by due time
    {p}:claims:{host}                hash    frontier member -> id of the worker fetching it
    {p}:state:format                 string  layout of these keys (redis_state.STATE_FORMAT)

A URL's field is 16 characters of its key's BLAKE2b digest (``redis_state.url_field``); its
item (a JSON array, see ``redis_state.item_json``) is stored once, in the urls hash, so a
queued URL costs one hash entry and one frontier member.
    {p}:hosts:frontier               set     hosts whose frontier is not empty
    {p}:ready                        zset    host -> earliest time it may be leased
    {p}:leased                       zset    host -> earliest lease expiry of its holders
    {p}:joinable                     zset    leased host another worker may share -> since
    {p}:lease:{host}                 hash    holding worker id -> lease expiry (caller's clock)
    {p}:host:solo:{host}             string  "1": the host is never shared (Crawl-delay), TTL
    {p}:host:next:{host}             string  time before which the host must not be fetched

Version catalogue (:class:`workers.versions.redis_catalogue.RedisCatalogueStore`)::

    {p}:story:{story_id}             string  JSON StoryRow
    {p}:story:urls                   hash    canonical URL key -> story id (aliases)
    {p}:story:{story_id}:versions    hash    version number -> JSON VersionRow
    {p}:story:{story_id}:events      hash    record id -> JSON event
    {p}:stories                      zset    "first_seen<TAB>story_id", all scores 0 (lex order)
    {p}:stories:outlet:{outlet}      zset    same, per outlet
    {p}:stories:outlets              set     outlets that have stories
    {p}:stories:due                  zset    story id of a live story, scored by next_due (epoch)
    {p}:applied                      set     WARC record ids already folded in
    {p}:outbox                       hash    message id -> JSON {story_id, number, warc_file, body}
    {p}:outbox:pending               zset    message ids not yet delivered, scored by outbox:seq
    {p}:outbox:delivered             hash    message id -> delivery time
    {p}:outbox:seq                   string  insertion counter of the outbox

Service bookkeeping (written by ``tasks/``)::

    {p}:outlets                      hash    registered outlet URL -> JSON options
    {p}:captures:{minute}            string  URLs captured in that minute (epoch // 60), TTL
    {p}:errors:{minute}              string  fetches that failed in that minute, TTL
    {p}:last_capture                 hash    host -> ISO time of its last capture

pywb's own index (no prefix): ``pywb:{collection}:cdxj``, see :func:`pywb_index`; while
``storyvault reindex`` rebuilds it, the new lines go to ``pywb:{collection}:cdxj:rebuild``
(:func:`pywb_index_rebuild`), renamed over it when complete.

Crawl records carry no TTL while the crawl is open; the service finishes its crawls once
nothing is queued in them (``RedisState.finish_idle_crawls``) and their records then
expire after FINISHED_CRAWL_TTL. The catalogue carries no TTL: like the SQLite file it is
kept until deleted, and the catalogue can be rebuilt from the WARC files (``storyvault reindex``).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PREFIX = "sv"

#: robots.txt cache entries expire after this many seconds. ``robots_get(max_age=...)``
#: with a larger ``max_age`` sees a miss past it (the default max_age is one day).
ROBOTS_TTL = 7 * 86400

#: ``host:next`` (the per-host politeness time) expires after this many seconds: no
#: politeness delay or ``Retry-After`` the crawler honours is longer.
HOST_NEXT_TTL = 86400

#: ``captures:{minute}`` counters expire after this many seconds (status shows one hour).
CAPTURES_MINUTE_TTL = 7200

#: The records of a finished service crawl (its URLs and their outcomes) expire after this
#: many seconds; what was fetched stays in the WARC files.
FINISHED_CRAWL_TTL = 14 * 86400

#: A sensible lease length for callers of ``lease_ready_host``/``renew_lease``, seconds.
#: A worker renews well before it runs out (e.g. every ttl/3); a dead worker's hosts come
#: back to ``ready`` once it has passed.
LEASE_TTL = 60.0


@dataclass(frozen=True)
class Keys:
    """Key names under one prefix. ``Keys("sv").ready() == "sv:ready"``."""

    prefix: str = DEFAULT_PREFIX

    def _k(self, *parts: object) -> str:
        return ":".join((self.prefix, *(str(p) for p in parts)))

    # -- crawls ------------------------------------------------------------------------
    def state_format(self) -> str:
        """String: the layout of the crawl state (``redis_state.STATE_FORMAT``)."""
        return self._k("state", "format")

    def crawl_seq(self) -> str:
        """Counter of crawl ids (string, INCR)."""
        return self._k("crawl", "seq")

    def crawls(self) -> str:
        """Hash: seed-set digest -> id of the unfinished crawl for those seeds."""
        return self._k("crawls")

    def crawl(self, crawl_id: int | str) -> str:
        """Hash: one crawl's seeds, digest, started, finished and max_seq."""
        return self._k("crawl", crawl_id)

    def urls(self, crawl_id: int | str) -> str:
        """Hash: URL key -> JSON {"item": member JSON, "status": ..., "note": ...}."""
        return self._k("crawl", crawl_id, "urls")

    def queued(self, crawl_id: int | str) -> str:
        """Zset of the first state format (URL keys queued, by seq); no longer written,
        expired with its crawl."""
        return self._k("crawl", crawl_id, "queued")

    def counts(self, crawl_id: int | str) -> str:
        """Hash: status -> number of URLs in that status."""
        return self._k("crawl", crawl_id, "counts")

    def host_pages(self, crawl_id: int | str) -> str:
        """Hash: host -> number of URLs of kind "page" ever queued for it."""
        return self._k("crawl", crawl_id, "pages")

    def budget(self, crawl_id: int | str) -> str:
        """Hash: budget counter name -> count, the crawl's budgets shared by every worker
        (names from workers.crawl.budgets)."""
        return self._k("crawl", crawl_id, "budget")

    def parked(self, crawl_id: int | str) -> str:
        """Hash: "shape\nurl key" -> the JSON of a URL the shape budget kept aside."""
        return self._k("crawl", crawl_id, "parked")

    # -- caches shared by crawls -------------------------------------------------------
    def robots(self, host: str) -> str:
        """Hash: a cached robots.txt fetch (TTL :data:`ROBOTS_TTL`)."""
        return self._k("robots", host)

    def digests(self, url_key: str) -> str:
        """Hash: payload digest -> JSON of the stored payload (for revisit records)."""
        return self._k("digests", url_key)

    def citations(self, article_url: str) -> str:
        """Hash: cited URL -> JSON [anchor, first_seen]."""
        return self._k("citations", article_url)

    # -- distributed frontier ----------------------------------------------------------
    def frontier(self, host: str) -> str:
        """Zset: one host's queue, JSON items scored by due time. ``frontier("")`` is
        the stem the Lua scripts append host names to."""
        return self._k("frontier", host)

    def claims(self, host: str) -> str:
        """Hash: frontier item -> worker fetching it (an entry left by a dead worker marks
        the item's next claim as a retry; completing the item deletes its entry)."""
        return self._k("claims", host)

    def frontier_hosts(self) -> str:
        """Set: hosts whose frontier is not empty."""
        return self._k("hosts", "frontier")

    def ready(self) -> str:
        """Zset: unleased hosts with work, scored by the earliest time they may be leased."""
        return self._k("ready")

    def leased(self) -> str:
        """Zset: leased hosts scored by lease expiry (in the callers' clock)."""
        return self._k("leased")

    def joinable(self) -> str:
        """Zset: leased hosts with room for another holder (see ``host_workers``), scored
        by the time they became so."""
        return self._k("joinable")

    def lease(self, host: str) -> str:
        """Hash: worker id -> expiry of its lease of the host (in the callers' clock)."""
        return self._k("lease", host)

    def host_solo(self, host: str) -> str:
        """String: set while the host must have one holder at a time (its robots.txt sets
        a Crawl-delay); TTL ROBOTS_TTL."""
        return self._k("host", "solo", host)

    def host_next(self, host: str) -> str:
        """String: time before which no worker fetches from the host (TTL HOST_NEXT_TTL)."""
        return self._k("host", "next", host)

    # -- catalogue ---------------------------------------------------------------------
    def story(self, story_id: str) -> str:
        """String: JSON of one StoryRow."""
        return self._k("story", story_id)

    def story_urls(self) -> str:
        """Hash: canonical URL key -> story id."""
        return self._k("story", "urls")

    def versions(self, story_id: str) -> str:
        """Hash: version number -> JSON VersionRow."""
        return self._k("story", story_id, "versions")

    def events(self, story_id: str) -> str:
        """Hash: WARC record id -> JSON event (time, kind, url, detail, record_id)."""
        return self._k("story", story_id, "events")

    def all_stories(self) -> str:
        """Zset (lex): "first_seen<TAB>story_id" for every story."""
        return self._k("stories")

    def stories_by_outlet(self, outlet: str) -> str:
        """Zset (lex): "first_seen<TAB>story_id" for one outlet's stories."""
        return self._k("stories", "outlet", outlet)

    def story_outlets(self) -> str:
        """Set: outlets that have stories."""
        return self._k("stories", "outlets")

    def stories_due(self) -> str:
        """Zset: ids of live stories with a next re-crawl time, scored by it (epoch s)."""
        return self._k("stories", "due")

    def applied(self) -> str:
        """Set: WARC record ids already folded into the catalogue."""
        return self._k("applied")

    def outbox(self) -> str:
        """Hash: message id -> JSON {story_id, number, warc_file, body}."""
        return self._k("outbox")

    def outbox_pending(self) -> str:
        """Zset: undelivered message ids scored by insertion order."""
        return self._k("outbox", "pending")

    def outbox_delivered(self) -> str:
        """Hash: message id -> time it was delivered."""
        return self._k("outbox", "delivered")

    def outbox_seq(self) -> str:
        """String: the outbox insertion counter."""
        return self._k("outbox", "seq")

    # -- service bookkeeping -----------------------------------------------------------
    def outlets(self) -> str:
        """Hash: registered outlet URL -> JSON options (the service's outlet list)."""
        return self._k("outlets")

    def captures_minute(self, minute: int) -> str:
        """String: URLs captured in ``minute`` (epoch seconds // 60); TTL
        :data:`CAPTURES_MINUTE_TTL`."""
        return self._k("captures", minute)

    def errors_minute(self, minute: int) -> str:
        """String: fetches that failed in ``minute`` (after their retries; robots.txt
        included); TTL :data:`CAPTURES_MINUTE_TTL`."""
        return self._k("errors", minute)

    def last_capture(self) -> str:
        """Hash: host -> ISO time of its last capture."""
        return self._k("last_capture")

    def last_version(self) -> str:
        """Hash: host -> ISO time of the last turn that made a new version."""
        return self._k("last_version")


def pywb_index(collection: str) -> str:
    """pywb's own Redis CDXJ index key for a collection (not under our prefix)."""
    return f"pywb:{collection}:cdxj"


def pywb_index_rebuild(collection: str) -> str:
    """Where ``reindex`` builds a collection's new pywb index before renaming it in place."""
    return pywb_index(collection) + ":rebuild"
