"""The storyvault command line.

``storyvault fetch URL…`` archives URLs with their redirect chains. Exit status: 0 when
every URL was captured, 1 when some could not be (each named on stderr), 2 on a usage or
configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import structlog

from workers.errors import StoryvaultError
from workers.logs import configure_logging
from workers.settings import Settings, load_settings

log = structlog.get_logger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storyvault",
        description="Preserve news as it changes: capture pages into WARC archives.",
    )
    parser.add_argument("--config", type=Path, help="TOML settings file")
    parser.add_argument(
        "--log-json", action="store_true", default=None, help="log JSON lines even on a terminal"
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
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
    return parser


def _archive_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--archive", type=Path, help="archive root directory (default ./archive)")
    parser.add_argument("--collection", help="collection name (default storyvault)")
    parser.add_argument(
        "--allow-private",
        action="store_true",
        default=None,
        help="allow loopback/private addresses (local tests and demos only)",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    cli = {
        "archive": getattr(args, "archive", None),
        "collection": getattr(args, "collection", None),
        "allow_private": getattr(args, "allow_private", None),
    }
    return load_settings(cli=cli, config_file=args.config)


def cmd_fetch(args: argparse.Namespace, settings: Settings) -> int:
    from workers.capture import capture_urls

    reports = asyncio.run(capture_urls(args.urls, settings))
    if args.json:
        print(json.dumps([r.as_dict() for r in reports], indent=2))
    else:
        warc_dir = settings.archive / "collections" / settings.collection / "archive"
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(json=args.log_json, level=args.log_level.upper())
    try:
        settings = settings_from(args)
        code: int = args.handler(args, settings)
        return code
    except StoryvaultError as exc:
        print(f"storyvault: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("storyvault: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
