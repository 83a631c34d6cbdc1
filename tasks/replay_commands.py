"""Command handlers for reading the archive back: replay, export, show, timeline."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from workers.core.errors import ConfigError
from workers.core.settings import Settings

if TYPE_CHECKING:
    from workers.replay.opening import OpenedArchive
    from workers.versions.catalogue import StoryRow

STORIES_PER_OUTLET = 5


def add_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], archive_options: object
) -> None:
    """Add ``replay``, ``export``, ``show`` and ``timeline`` to the CLI's subcommands."""
    add = archive_options  # a callable adding --archive/--collection/--allow-private
    assert callable(add)

    p = sub.add_parser(
        "replay",
        help="serve the archive with pywb on 127.0.0.1",
        description="Serve the archive with pywb (from its own virtualenv, built on first "
        "use) on 127.0.0.1 and print the replay URLs of the collection and of each "
        "outlet's latest captures. Ctrl-C stops it.",
    )
    p.add_argument(
        "--port", type=int, default=8080, help="port to listen on (default 8080; 0: any)"
    )
    p.add_argument(
        "--pywb-venv", type=Path, help="pywb's virtualenv (default .venv-pywb in the checkout)"
    )
    add(p, redis=True)
    p.set_defaults(handler=cmd_replay)

    p = sub.add_parser(
        "export",
        help="export captures as a WACZ for ReplayWeb.page",
        description="Write a WACZ (WARCs, CDXJ index, pages.jsonl of story versions). With "
        "filters, a new WARC holds only the chosen captures with their request/metadata "
        "records, revisit originals, cited sources and page requisites.",
    )
    p.add_argument("--wacz", type=Path, required=True, metavar="OUT.wacz", help="file to write")
    p.add_argument("--outlet", metavar="HOST", help="only captures of this outlet host")
    p.add_argument("--since", metavar="TIME", help="captures at or after TIME (20261124, ISO, 2d)")
    p.add_argument("--until", metavar="TIME", help="captures before TIME")
    p.add_argument(
        "--story", metavar="URL", help="every version of one story and its cited sources"
    )
    add(p, redis=True)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser(
        "show",
        help="print an archived capture",
        description="Print the capture of URL closest to a time (default: the latest) or a "
        "story's version N, decoded for reading; revisits show their original payload.",
    )
    p.add_argument("url", metavar="URL")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--at", metavar="TIME", help="closest capture to TIME (20261124223107, ISO)")
    which.add_argument("--version", type=int, metavar="N", help="the story's version N")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--raw", action="store_true", help="the payload bytes exactly as stored")
    what.add_argument(
        "--headers",
        action="store_true",
        help="the HTTP status line and headers as stored (a revisit's own)",
    )
    what.add_argument("--text", action="store_true", help="the story text (title and body)")
    add(p, redis=True)
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser(
        "timeline",
        help="a story's versions and their diffs",
        description="Every version of the story at URL with the diff from the one before, "
        "as text or (--html) a static page that opens in a browser without a server.",
    )
    p.add_argument("url", metavar="URL")
    p.add_argument("--html", type=Path, metavar="OUT", help="write a static HTML page to OUT")
    replay_base_option(p)
    add(p, redis=True)
    p.set_defaults(handler=cmd_timeline)


# -- replay --------------------------------------------------------------------------------
def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the archive with wayback until Ctrl-C/SIGTERM (exit 0) or wayback dies (1)."""
    from workers.replay.opening import open_archive

    if args.port < 0 or args.port > 65535:
        raise ConfigError(f"--port {args.port}: give a port between 0 and 65535")
    with open_archive(settings) as archive:
        archive.index()  # the collection and its index are there, before pywb is built
        return _serve(archive, args.pywb_venv, args.port)


def _serve(archive: OpenedArchive, pywb_venv: Path | None, port: int) -> int:
    from workers.replay.env import WaybackServer, default_pywb_venv, ensure_pywb_venv

    venv = ensure_pywb_venv(pywb_venv or default_pywb_venv(), on_build=_building)
    server = WaybackServer(venv, archive.root.resolve(), port=port)
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    for sig in previous:
        signal.signal(sig, _interrupt)
    try:
        server.start()
        print(f"pywb is serving {archive.root} on {server.base}/ (Ctrl-C stops it)")
        for line in replay_listing(archive, server.base):
            print(line)
        sys.stdout.flush()
        code = server.wait()
        print(f"storyvault: wayback exited unexpectedly with status {code}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        server.stop()
        print("storyvault: wayback stopped", file=sys.stderr)
        return 0
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM/SIGHUP stop ``replay`` the way Ctrl-C does."""
    raise KeyboardInterrupt


def _building(venv: Path) -> None:
    print(
        f"storyvault: first use: building pywb's virtualenv in {venv} "
        "(pip install pywb; about a minute)...",
        file=sys.stderr,
        flush=True,
    )


def replay_listing(archive: OpenedArchive, base: str) -> list[str]:
    """The lines ``replay`` prints: the collection, then per outlet its latest captures."""
    from workers.replay.env import replay_url

    coll = archive.collection
    index = archive.index()
    lines = [f"collection {coll}: {base}/{coll}/"]
    stories = archive.catalogue.stories()
    by_outlet: dict[str, list[StoryRow]] = defaultdict(list)
    for story in stories:
        by_outlet[story.outlet].append(story)
    hosts = sorted(set(by_outlet) or index.hosts())
    for host in hosts:
        lines.append(f"outlet {host}:")
        scheme = "http"
        home = index.latest(f"http://{host}/")  # SURT keys ignore the scheme
        if home is not None:
            scheme = urlsplit(home.url).scheme
            lines.append(f"  homepage  {replay_url(base, coll, home.timestamp, home.url)}")
        lines.append(f"  captures  {base}/{coll}/*/{scheme}://{host}/*")
        latest = sorted(by_outlet.get(host, []), key=lambda s: s.last_seen, reverse=True)
        for story in latest[:STORIES_PER_OUTLET]:
            # the newest capture that shows the story (not a gone story's 404/410)
            shown = [e for e in index.captures_of(story.url) if (e.status or "").startswith("2")]
            if not shown:
                continue
            entry = shown[-1]
            gone = "  (gone)" if story.status == "gone" else ""
            lines.append(
                f"  v{story.versions:<3}      {replay_url(base, coll, entry.timestamp, entry.url)}"
                f"  {story.title or ''}{gone}"
            )
        if len(latest) > STORIES_PER_OUTLET:
            lines.append(f"  ... and {len(latest) - STORIES_PER_OUTLET} more stories")
    return lines


# -- export --------------------------------------------------------------------------------
def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the WACZ and print what it holds."""
    from workers.replay.captures import parse_when
    from workers.replay.export import ExportQuery, export_wacz
    from workers.replay.opening import open_archive

    query = ExportQuery(
        outlet=args.outlet,
        since=parse_when(args.since) if args.since else None,
        until=parse_when(args.until) if args.until else None,
        story=args.story,
    )
    if query.since and query.until and query.since >= query.until:
        raise ConfigError(f"--since {args.since} is not before --until {args.until}")
    with open_archive(settings) as archive:
        report = export_wacz(archive, query, args.wacz)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        what = "filtered WARC" if report.filtered else "WARC files"
        print(
            f"wrote {report.output}: {report.captures} captures ({len(report.warc_files)} "
            f"{what}, {report.warc_bytes} bytes), {report.pages} story versions in "
            f"pages.jsonl ({report.pages_with_text} with text)"
        )
    return 0


# -- show ----------------------------------------------------------------------------------
def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    """Print one capture; exit 1 when --text finds no story text."""
    from workers.replay.captures import parse_when
    from workers.replay.opening import open_archive
    from workers.replay.show import (
        find_capture,
        render_headers,
        render_raw,
        render_reading,
        render_text,
    )

    at = parse_when(args.at) if args.at else None
    with open_archive(settings) as archive:
        index = archive.index()
        shown = find_capture(index, archive.catalogue, args.url, at=at, version=args.version)
    if args.raw:
        sys.stdout.buffer.write(render_raw(shown))
        sys.stdout.buffer.flush()
        return 0
    if args.headers:
        sys.stdout.buffer.write(render_headers(index, shown))
        sys.stdout.buffer.flush()
        return 0
    if args.text:
        text = render_text(shown)
        if not text:
            print(
                f"storyvault: {shown.entry.url} at {shown.entry.timestamp} has no story text "
                "(not an article page?)",
                file=sys.stderr,
            )
            return 1
        print(text)
        return 0
    print(render_reading(shown))
    return 0


# -- timeline ------------------------------------------------------------------------------
def cmd_timeline(args: argparse.Namespace, settings: Settings) -> int:
    """Print the timeline, or write it as a static HTML page with --html."""
    from workers.replay.opening import open_archive
    from workers.replay.timeline import build_timeline, render_html, render_text
    from workers.versions.catalogue import from_iso

    base = (args.replay_base or settings.replay_base).rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ConfigError(f"--replay-base {args.replay_base}: give an http(s) URL")
    with open_archive(settings) as archive:
        timeline = build_timeline(archive.root, archive.catalogue, args.url, archive.collection)
    if args.html is None:
        print(render_text(timeline, base))
        return 0
    try:
        args.html.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.html.with_name(args.html.name + ".tmp")
        tmp.write_text(render_html(timeline, base), encoding="utf-8")
        tmp.replace(args.html)
    except OSError as exc:
        raise ConfigError(f"{args.html}: cannot write the timeline page: {exc}") from exc
    last = timeline.versions[-1] if timeline.versions else None
    print(
        f"wrote {args.html}: {len(timeline.versions)} versions of {timeline.story.url}"
        + (f" (latest {from_iso(timeline.story.last_seen):%Y-%m-%d %H:%M} UTC)" if last else "")
    )
    return 0


def replay_base_option(p: argparse.ArgumentParser) -> None:
    """``--replay-base URL``: where pywb runs, for the replay links a command writes."""
    p.add_argument(
        "--replay-base",
        default=None,
        metavar="URL",
        help="where pywb runs, for the replay links (default: setting replay_base, "
        "http://127.0.0.1:8080)",
    )
