"""Live crawl progress on a terminal (rich), and the end-of-crawl summary."""

from __future__ import annotations

import contextlib
import threading
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from workers.core.logs import logs_to
from workers.core.settings import Settings
from workers.warc.root import collection_dir


class ConsoleLines:
    """A text stream that prints whole lines through a rich console: while a live
    display is shown, each line appears above it (rich moves the display down) instead
    of being written over it. Thread-safe: log lines come from worker threads too."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._pending = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            *lines, self._pending = (self._pending + text).split("\n")
            for line in lines:
                self.console.print(Text.from_ansi(line), soft_wrap=True, highlight=False)
        return len(text)

    def flush(self) -> None:
        """Lines are printed when complete; a partial line waits for its end."""


class CrawlProgress:
    """A live table of crawl numbers on stderr; does nothing when disabled (not a TTY).

    While it is shown, log lines go through its console (:func:`workers.core.logs.logs_to`),
    above the table, never into it.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._live: Live | None = None
        self._routing = contextlib.ExitStack()

    def __enter__(self) -> CrawlProgress:
        if self.enabled:
            console = Console(stderr=True)
            self._live = Live(
                self._render({}), console=console, refresh_per_second=4, transient=True
            )
            self._live.__enter__()
            self._routing.enter_context(logs_to(ConsoleLines(console)))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._routing.close()
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)

    def update(self, stats: dict[str, object]) -> None:
        if self._live is not None:
            self._live.update(self._render(stats))

    @staticmethod
    def _render(stats: dict[str, object]) -> Table:
        table = Table(title="storyvault crawl", show_header=False, box=None)
        for key in (
            "pages",
            "pages_per_s",
            "bytes",
            "articles",
            "cited_sources",
            "hosts",
            "queued",
            "in_flight",
            "errors",
            "robots_blocked",
        ):
            table.add_row(key.replace("_", " "), str(stats.get(key, "-")))
        return table

    @staticmethod
    def summary_text(result: dict[str, object], settings: Settings) -> str:
        coll = collection_dir(settings.archive, settings.collection)
        return (
            f"crawl {result['crawl_id']}{' (resumed)' if result['resumed'] else ''}: "
            f"{result['pages']} URLs, {result['articles']} articles, "
            f"{result['cited_sources']} cited sources, {result['bytes']} bytes from "
            f"{result['hosts']} hosts in {result['elapsed_s']} s "
            f"({result['pages_per_s']} pages/s); {result['errors']} errors, "
            f"{result['robots_blocked']} blocked by robots.txt\n"
            f"{_skipped_line(result)}"
            f"archive: {coll}"
        )


def _skipped_line(result: dict[str, object]) -> str:
    """What the crawl left out and why (budgets, traps, robots.txt that failed), or ""."""
    skipped = result.get("skipped")
    reasons = dict(skipped) if isinstance(skipped, dict) else {}
    unavailable = result.get("robots_unavailable")
    if isinstance(unavailable, int) and unavailable:
        reasons["robots.txt unavailable"] = unavailable
    if not reasons:
        return ""
    total = sum(int(n) for n in reasons.values())
    parts = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
    return f"skipped: {total} URLs ({parts})\n"
