"""Command handler for the change list: ``storyvault changes``."""

from __future__ import annotations

import argparse
import json

from tasks.replay_commands import replay_base_option
from workers.core.errors import ConfigError
from workers.core.settings import Settings, check_flag

DESCRIPTION = (
    "List the changes of archived stories, newest first. A change is a new version of a "
    "story after its first (version 2 and later): a first version is the crawl finding "
    "the story, not an edit. Each shows the headline before and after and the replay "
    "links of both captures. The same changes are published as Atom feeds, rewritten "
    "when a WARC file holding one is closed: one for the collection (ARCHIVE/collections/"
    "<c>/static/feeds/changes.atom) and one per outlet (…/feeds/outlets/<host>.atom), which "
    "`storyvault replay` serves at <replay base>/static/_/<c>/feeds/."
)


def add_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], archive_options: object
) -> None:
    """Add ``changes`` to the CLI's subcommands."""
    add = archive_options  # a callable adding --archive/--collection/--allow-private
    assert callable(add)
    p = sub.add_parser(
        "changes", help="list story edits (new versions), newest first", description=DESCRIPTION
    )
    p.add_argument(
        "--since", metavar="TIME", help="changes captured at or after TIME (20261124, ISO, 2d)"
    )
    p.add_argument("--outlet", metavar="HOST", help="only the stories of this outlet host")
    p.add_argument("--limit", type=int, metavar="N", help="at most N changes (the newest)")
    replay_base_option(p)
    add(p, redis=True)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_changes)


def cmd_changes(args: argparse.Namespace, settings: Settings) -> int:
    """Print the changes (``--json``: a JSON object with the list and the feeds' URLs)."""
    from workers.replay.captures import iso_seconds, parse_when
    from workers.replay.opening import open_archive
    from workers.versions.changes import list_changes
    from workers.versions.feeds import COLLECTION_FEED, feed_url, outlet_feed_name

    base = settings.replay_base
    if args.replay_base is not None:
        base = check_flag("replay_base", args.replay_base, "--replay-base")
    base = base.rstrip("/")
    since = parse_when(args.since) if args.since else None
    outlet = _host(args.outlet) if args.outlet else None
    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"--limit {args.limit}: give 1 or more")
    with open_archive(settings) as archive:
        changes = list_changes(archive.catalogue, since=since, outlet=outlet, limit=args.limit)
    coll = settings.collection
    feed = feed_url(base, coll, outlet_feed_name(outlet) if outlet else COLLECTION_FEED)
    if args.json:
        listed = [c.as_dict(base, coll) for c in changes]
        print(json.dumps({"feed": feed, "changes": listed}, indent=2, ensure_ascii=False))
        return 0
    if not changes:
        print("no changes" + (f" since {iso_seconds(since)}" if since else ""))
        return 0
    for change in changes:
        before, after = change.replay(base, coll)
        print(
            f"{iso_seconds(change.time)}  {change.story.outlet}  "
            f"v{change.before.number} -> v{change.after.number}  {change.after.url}"
        )
        old, new = change.headline_before(), change.headline_after()
        print(f"    headline: {old} -> {new}" if old != new else f"    headline: {new}")
        print(f"    before: {before}")
        print(f"    after:  {after}")
    print(f"feed: {feed}")
    return 0


def _host(value: str) -> str:
    """``--outlet`` as the catalogue spells hosts (a URL is accepted too)."""
    from workers.parse.urls import host_of

    value = value.strip()
    return host_of(value if "://" in value else f"http://{value.rstrip('/')}/")
