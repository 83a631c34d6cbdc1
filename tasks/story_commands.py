"""Command handlers for stories: versions, diff, recrawl, watch, reindex, clean."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from workers.core.errors import ConfigError, StoryvaultError
from workers.core.settings import Settings

if TYPE_CHECKING:
    from workers.replay.opening import OpenedArchive
    from workers.versions.catalogue import Catalogue, StoryRow, VersionRow
    from workers.versions.reindex import Redeliverer

log = structlog.get_logger(__name__)


def add_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], archive_options: object
) -> None:
    add = archive_options  # a callable adding --archive/--collection/--allow-private
    assert callable(add)

    p = sub.add_parser(
        "versions",
        help="list a story's versions",
        description="List the versions of the story at URL: number, first "
        "and last seen, fingerprint, title, WARC location.",
    )
    p.add_argument("url", metavar="URL")
    add(p, redis=True)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_versions)

    p = sub.add_parser(
        "diff",
        help="diff two versions of a story",
        description="Diff the story text of two versions (default: the last two).",
    )
    p.add_argument("url", metavar="URL")
    p.add_argument("a", nargs="?", type=int, metavar="A", help="older version number")
    p.add_argument("b", nargs="?", type=int, metavar="B", help="newer version number")
    p.add_argument("--words", action="store_true", help="word-level diff")
    add(p, redis=True)
    p.set_defaults(handler=cmd_diff)

    p = sub.add_parser(
        "recrawl",
        help="re-crawl stories now",
        description="Fetch stories again now: the URLs given, every story of "
        "an outlet, or every story not seen for a while.",
    )
    p.add_argument("urls", nargs="*", metavar="URL")
    p.add_argument("--outlet", metavar="HOST", help="every live story of this outlet host")
    p.add_argument(
        "--stale", metavar="DURATION", help="live stories not seen for this long (e.g. 6h, 2d)"
    )
    add(p, redis=True)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=cmd_recrawl)

    p = sub.add_parser(
        "watch",
        help="discover and re-crawl on schedule until stopped",
        description="The embedded background service: discovery passes over "
        "the outlets and re-crawls of due stories, until "
        "SIGTERM/SIGINT; files are closed cleanly.",
    )
    p.add_argument("urls", nargs="+", metavar="URL")
    p.add_argument(
        "--discover-every",
        default="5m",
        metavar="DURATION",
        help="time between discovery passes (default 5m)",
    )
    add(p)
    p.set_defaults(handler=cmd_watch)

    p = sub.add_parser(
        "reindex",
        help="rebuild the index and catalogue from the WARCs",
        description="Rebuild the index and the version catalogue from the "
        "WARC files, the archive's truth: index.cdxj and the SQLite state, or, "
        "with --redis, the service's catalogue and pywb index in Redis too. "
        "Stop the service's workers first.",
    )
    add(p, redis=True)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=cmd_reindex)

    p = sub.add_parser(
        "clean",
        help="run the reference cleaner over the outbox",
        description="Consume ARCHIVE/queue/clean.jsonl and write clean JSON per "
        "version under ARCHIVE/clean/.",
    )
    add(p)
    p.set_defaults(handler=cmd_clean)


def _story(catalogue: Catalogue, url: str) -> StoryRow:
    story = catalogue.find(url)
    if story is None:
        raise ConfigError(
            f"{url}: no story archived at this URL (crawl it first, or check "
            "--archive/--collection)"
        )
    return story


def cmd_versions(args: argparse.Namespace, settings: Settings) -> int:
    from workers.replay.opening import open_archive

    with open_archive(settings) as archive:
        story = _story(archive.catalogue, args.url)
        versions = archive.catalogue.versions(story.story_id)
        events = archive.catalogue.events(story.story_id)
    if args.json:
        print(
            json.dumps(
                {
                    "story_id": story.story_id,
                    "url": story.url,
                    "status": story.status,
                    "next_due": story.next_due,
                    "versions": [asdict(v) for v in versions],
                    "events": events,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    print(
        f"{story.url}  ({story.status}, {len(versions)} versions, next re-crawl "
        f"{story.next_due or 'none'})"
    )
    for v in versions:
        print(
            f"  v{v.number}  {v.first_seen} .. {v.last_seen}  {v.fingerprint[:19]}  {v.title or ''}"
        )
    for e in events:
        print(f"  {e['time']}  {e['kind']}  {e['detail']}")
    return 0


def version_text(archive: OpenedArchive, version: VersionRow) -> str:
    """The story text of ``version``, read from its WARC record."""
    from workers.parse.story import extract_story
    from workers.warc.reader import read_story_record

    record = read_story_record(
        archive.warc_dir, version.warc["filename"], int(version.warc["offset"])
    )
    return extract_story(record.text()).text


def cmd_diff(args: argparse.Namespace, settings: Settings) -> int:
    from workers.replay.opening import open_archive
    from workers.versions.diff import unified, words

    with open_archive(settings) as archive:
        story = _story(archive.catalogue, args.url)
        versions = {v.number: v for v in archive.catalogue.versions(story.story_id)}
    if len(versions) < 2 and args.a is None:
        print(f"{story.url} has {len(versions)} version(s): nothing to diff")
        return 0
    b = args.b if args.b is not None else max(versions)
    a = args.a if args.a is not None else b - 1
    for n in (a, b):
        if n not in versions:
            raise ConfigError(f"{story.url} has no version {n} (it has 1..{max(versions)})")
    old, new = version_text(archive, versions[a]), version_text(archive, versions[b])
    if args.words:
        print(words(old, new))
    else:
        print(unified(old, new, f"v{a}", f"v{b}"))
    return 0


def cmd_recrawl(args: argparse.Namespace, settings: Settings) -> int:
    from workers.crawl.local import crawl
    from workers.replay.opening import open_archive
    from workers.versions.catalogue import iso

    urls = list(args.urls)
    stale = flag_duration("--stale", args.stale) if args.stale else None
    with open_archive(settings) as archive:
        catalogue = archive.catalogue
        if args.outlet:
            urls += [s.url for s in catalogue.stories(args.outlet) if s.status == "live"]
        if stale is not None:
            cutoff = iso(datetime.now(UTC) - stale)
            urls += [
                s.url for s in catalogue.stories() if s.status == "live" and s.last_seen <= cutoff
            ]
    if not urls:
        if args.outlet or args.stale:
            print("no stories to re-crawl")
            return 0
        raise ConfigError("give URLs, --outlet HOST or --stale DURATION")
    if settings.redis_url:
        queued = enqueue_recrawl(settings, urls)
        print(f"queued {queued} stories for re-crawl by the service")
        return 0
    summary = asyncio.run(crawl(settings, urls, mode="recrawl", install_signals=True))
    result = summary.as_dict()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"re-crawled {len(set(urls))} stories: {result['new_versions']} new versions, "
            f"{result['revisits']} unchanged payloads, {result['errors']} errors"
        )
    if summary.interrupted:
        return 130
    for url, reason in summary.seeds_failed.items():
        print(f"storyvault: error: {url} was not captured: {reason}", file=sys.stderr)
    return 1 if summary.seeds_failed else 0


def enqueue_recrawl(settings: Settings, urls: list[str]) -> int:
    """Put stories in the service's frontier now (the service fetches them next)."""
    import time

    from workers.core.types import FrontierItem
    from workers.state.redis_state import RedisState, connect

    client = connect(settings.redis_url)
    try:
        state = RedisState(client, settings.redis_prefix)
        crawl_id, _ = state.begin_crawl([f"recrawl:cli:{time.time()}"])
        for url in dict.fromkeys(urls):
            state.add_url(crawl_id, FrontierItem.recrawl(url))
        state.finish_crawl(crawl_id)
    finally:
        client.close()
    return len(dict.fromkeys(urls))


def cmd_watch(args: argparse.Namespace, settings: Settings) -> int:
    from workers.crawl.watch import watch
    from workers.replay.opening import refuse_service_archive

    refuse_service_archive(settings, "watch")
    every = flag_duration("--discover-every", args.discover_every)
    passes = asyncio.run(watch(settings, args.urls, discover_every=every))
    print(f"stopped after {passes} passes", file=sys.stderr)
    return 0


def flag_duration(flag: str, text: str) -> timedelta:
    """The duration given with ``flag``, above zero. Raises :class:`ConfigError` naming it."""
    from workers.versions.schedule import parse_duration

    try:
        value = parse_duration(text)
    except ConfigError as exc:
        raise ConfigError(f"{flag} {text}: {exc}") from exc
    if value <= timedelta(0):
        raise ConfigError(f"{flag} {text}: give a duration above 0 (e.g. 90s, 15m, 3h, 7d)")
    return value


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    from workers.parse.story import EXTRACTOR
    from workers.replay.opening import open_archive
    from workers.versions.reindex import reindex
    from workers.warc.writer import Archive

    with open_archive(settings, writer="reindex") as opened:
        outbox = rebuilt_outbox(opened)
        archive = Archive(settings)
        repaired = archive.open()  # repairs the .open files of dead writers: they count too
        try:
            report = reindex(opened.warc_dir, opened.catalogue, outbox, opened.indexes)
            archive.reconciled(repaired)  # every file was read again
        finally:
            archive.close()
    if args.json:
        print(json.dumps(report.__dict__, indent=2))
    else:
        print(
            f"reindexed {report.files} WARC files: {report.index_lines} index lines, "
            f"{report.captures} article captures ({report.reread} read again by {EXTRACTOR}), "
            f"{report.versions} versions"
        )
        if report.changed:
            print(f"{len(report.changed)} stories' version lists changed:")
            for url in report.changed:
                print(f"  {url}")
    return 0


def rebuilt_outbox(opened: OpenedArchive) -> Redeliverer:
    """Where ``reindex`` sends the messages of versions not delivered before: the
    embedded outbox file, or the service's ``clean`` queue."""
    from workers.versions.outbox import Outbox
    from workers.versions.redis_catalogue import RedisCatalogueStore

    if opened.backend == "embedded":
        return Outbox.for_settings(opened.catalogue, opened.settings)
    store = opened.catalogue.store
    assert isinstance(store, RedisCatalogueStore)
    return CleanQueue(opened.settings, opened.catalogue, store.delivered_ids())


class CleanQueue:
    """Sends a rebuilt Redis catalogue's pending messages to the service's ``clean``
    queue, as the workers do, except those delivered before the rebuild (same message
    ids: a message is named by its WARC record)."""

    def __init__(self, settings: Settings, catalogue: Catalogue, delivered: set[str]) -> None:
        from workers.versions.feeds import ChangeFeeds

        self.settings = settings
        self.catalogue = catalogue
        self.delivered = delivered
        self.feeds = ChangeFeeds.for_settings(catalogue, settings)

    def deliver(self, closed_files: Iterable[str] | None = None, *, scan_all: bool = False) -> int:
        """Rewrite the change feeds if a pending message is a change, then queue the
        pending messages (of ``closed_files``, or all) not delivered before; return how
        many were sent (``scan_all`` is the default here: every id delivered before is
        known)."""
        from tasks.celery_app import configure
        from workers.versions.outbox import publish_changes

        pending = self.catalogue.pending_messages(closed_files)
        if not pending:
            return 0
        publish_changes(self.feeds, closed_files, [body for _, body in pending])
        fresh = [(mid, body) for mid, body in pending if mid not in self.delivered]
        if fresh:
            app = configure(self.settings)
            with app.producer_or_acquire() as producer:
                for mid, body in fresh:
                    app.send_task(
                        "storyvault.clean_version",
                        args=[json.loads(body)],
                        queue="clean",
                        producer=producer,
                    )
                    log.info("version_queued", message_id=mid, queue="clean")
        self.catalogue.mark_delivered([mid for mid, _ in pending], datetime.now(UTC))
        return len(fresh)


def cmd_clean(args: argparse.Namespace, settings: Settings) -> int:
    from workers.versions.cleaner import consume_outbox
    from workers.warc.root import existing_archive

    written, skipped = consume_outbox(existing_archive(settings.archive))
    print(f"cleaned {written} versions ({skipped} already clean) into {settings.archive / 'clean'}")
    return 0


__all__ = ["StoryvaultError", "add_parsers"]
