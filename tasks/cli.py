"""The storyvault command line.

``storyvault fetch URL…`` archives URLs with their redirect chains. Exit status: 0 when
every URL was captured, 1 when some could not be (each named on stderr) or when the reader
of stdout went away (a pipe into ``head``), 2 on a usage or configuration error, 3 when
another process is writing the archive (its pid and host are named).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import structlog

from workers.core.errors import ArchiveBusyError, StoryvaultError
from workers.core.logs import configure_logging
from workers.core.settings import Settings, load_settings
from workers.warc.root import warc_dir as warc_dir_of

log = structlog.get_logger(__name__)

#: Exit status when another process is writing the archive (crawl, fetch, watch, reindex)
EXIT_BUSY = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storyvault",
        description="Preserve news as it changes: capture pages into WARC archives.",
    )
    parser.add_argument("--config", type=Path, help="TOML settings file")
    parser.add_argument(
        "--log-json", action="store_true", default=None, help="log JSON lines even on a terminal"
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="DEBUG, INFO, WARNING or ERROR (default INFO)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fetch = sub.add_parser(
        "fetch",
        help="archive URLs with their redirect chains",
        description="Fetch each URL (following redirects, each hop its own "
        "capture) and write the exchanges into the archive.",
    )
    fetch.add_argument("urls", nargs="+", metavar="URL")
    _archive_options(fetch)
    fetch.add_argument("--json", action="store_true", help="print the result as JSON")
    fetch.set_defaults(handler=cmd_fetch)

    crawl = sub.add_parser(
        "crawl",
        help="crawl an outlet and the sources its articles cite",
        description="Crawl news outlets (homepage, sections, feeds, sitemaps), their "
        "articles, page requisites and cited sources into the archive. "
        "Interrupt with Ctrl-C: the same command resumes.",
    )
    crawl.add_argument("urls", nargs="+", metavar="URL", help="outlet homepage, feed or sitemap")
    _archive_options(crawl)
    crawl.add_argument("--cite-depth", type=int, help="citation steps to follow (default 1)")
    crawl.add_argument(
        "--delay",
        type=float,
        dest="host_delay",
        help="seconds between requests to one host (default 1)",
    )
    crawl.add_argument("--host-concurrency", type=int, help="requests in flight per host (1)")
    crawl.add_argument("--concurrency", type=int, help="requests in flight in all (16)")
    crawl.add_argument(
        "--no-requisites",
        action="store_false",
        dest="requisites",
        default=None,
        help="skip stylesheets, scripts and images",
    )
    crawl.add_argument(
        "--host-budget", type=int, dest="host_page_budget", help="most pages per outlet host (5000)"
    )
    crawl.add_argument(
        "--scope-prefix",
        action="append",
        dest="scope_prefixes",
        help="only crawl outlet paths starting with this (repeatable)",
    )
    crawl.add_argument(
        "--exclude",
        action="append",
        dest="scope_exclude",
        help="skip outlet URLs matching this regex (repeatable)",
    )
    crawl.add_argument("--contact", dest="contact_url", help="contact URL put in the User-Agent")
    crawl.add_argument("--json", action="store_true", help="print the summary as JSON")
    crawl.add_argument(
        "--verbose",
        action="store_true",
        help="log one INFO line per fetch (else they are DEBUG: see --log-level)",
    )
    crawl.set_defaults(handler=cmd_crawl)

    from tasks import change_commands, replay_commands, service_commands, story_commands

    story_commands.add_parsers(sub, _archive_options)
    change_commands.add_parsers(sub, _archive_options)
    replay_commands.add_parsers(sub, _archive_options)
    service_commands.add_parsers(sub, _archive_options)
    return parser


def _archive_options(parser: argparse.ArgumentParser, *, redis: bool = False) -> None:
    """--archive, --collection, --allow-private; with ``redis``, --redis too (a command
    that reads or rewrites an archive the service may write, or the service itself)."""
    parser.add_argument("--archive", type=Path, help="archive root directory (default ./archive)")
    if redis:
        parser.add_argument(
            "--redis",
            dest="redis_url",
            metavar="URL",
            help="the service's Redis, where its archives' catalogue and index are "
            "(else STORYVAULT_REDIS_URL)",
        )
    parser.add_argument("--collection", help="collection name (default storyvault)")
    parser.add_argument(
        "--allow-private",
        action="store_true",
        default=None,
        help="allow loopback/private addresses (local tests and demos only)",
    )


CLI_SETTINGS = (
    "archive",
    "collection",
    "allow_private",
    "cite_depth",
    "host_delay",
    "host_concurrency",
    "concurrency",
    "requisites",
    "host_page_budget",
    "scope_prefixes",
    "scope_exclude",
    "contact_url",
    "redis_url",
)


# The flag of each CLI setting whose name is not simply ``--`` + the setting's name.
CLI_FLAGS = {
    "host_delay": "--delay",
    "requisites": "--no-requisites",
    "host_page_budget": "--host-budget",
    "scope_prefixes": "--scope-prefix",
    "scope_exclude": "--exclude",
    "contact_url": "--contact",
    "redis_url": "--redis",
}


def settings_from(args: argparse.Namespace) -> Settings:
    cli = {name: getattr(args, name, None) for name in CLI_SETTINGS}
    return load_settings(cli=cli, config_file=args.config, cli_flags=CLI_FLAGS)


def cmd_fetch(args: argparse.Namespace, settings: Settings) -> int:
    from workers.crawl.capture import capture_urls
    from workers.replay.opening import refuse_service_archive

    refuse_service_archive(settings, "fetch")

    reports = asyncio.run(capture_urls(args.urls, settings))
    if args.json:
        print(json.dumps([r.as_dict() for r in reports], indent=2))
    else:
        warc_dir = warc_dir_of(settings.archive, settings.collection)
        for report in reports:
            for exchange, written in report.written:
                main = written.main
                print(
                    f"{main.record_type:8} {exchange.status} {exchange.url} -> "
                    f"{warc_dir / main.filename} offset={main.offset} length={main.length}"
                    + (f" truncated={exchange.truncated}" if exchange.truncated else "")
                )
    failed = [r for r in reports if not r.ok]
    for report in failed:
        print(f"storyvault: error: {report.error}", file=sys.stderr)
    return 1 if failed else 0


def cmd_crawl(args: argparse.Namespace, settings: Settings) -> int:
    from tasks.progress import CrawlProgress
    from workers.crawl.local import crawl
    from workers.replay.opening import refuse_service_archive

    refuse_service_archive(settings, "crawl")

    for url in args.urls:
        from workers.net.fetch import check_url

        check_url(url)
    from workers.core.errors import CrawlAborted

    try:
        with CrawlProgress(enabled=sys.stderr.isatty() and not args.json) as progress:
            summary = asyncio.run(
                crawl(settings, args.urls, on_progress=progress.update, install_signals=True)
            )
    except CrawlAborted as exc:  # the archive or the state failed: nothing more is written
        if args.json:
            print(json.dumps(exc.summary, indent=2))
        print(f"storyvault: error: {exc}", file=sys.stderr)
        return 1
    result = summary.as_dict()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(CrawlProgress.summary_text(result, settings))
    if summary.interrupted:
        print("storyvault: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    for url, reason in summary.seeds_failed.items():
        print(f"storyvault: error: {url} was not captured: {reason}", file=sys.stderr)
    return 1 if summary.seeds_failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status (see the module docstring)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # commands with a --verbose flag (crawl) keep their per-fetch lines at DEBUG without it
    configure_logging(
        json=args.log_json, level=args.log_level, verbose=getattr(args, "verbose", True)
    )
    try:
        settings = settings_from(args)
        code: int = args.handler(args, settings)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except ArchiveBusyError as exc:
        print(f"storyvault: error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except StoryvaultError as exc:
        print(f"storyvault: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("storyvault: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`storyvault show URL | head`): stop quietly. Python's
        # own recipe: point stdout at devnull so the flush at exit cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
