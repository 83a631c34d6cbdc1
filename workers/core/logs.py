"""Logging set-up: the one place where structlog and stdlib logging are configured.

Call :func:`configure_logging` once, at the edge (CLI ``main()``, the Celery app). Modules
only ever call ``structlog.get_logger()``. Output is JSON lines when stderr is not a TTY
(services, CI) and coloured key=value lines on a terminal.

The per-fetch line (``fetched``, one per exchange) is INFO when ``verbose`` (the default:
services, ``storyvault fetch``) and DEBUG otherwise (``storyvault crawl`` without
``--verbose``, whose live table already counts the fetches). While a live display holds
the terminal, :func:`logs_to` sends the lines through it, so that they appear above the
display instead of inside it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, Protocol

import structlog

#: Events logged once per fetch: INFO when verbose, else DEBUG.
PER_FETCH_EVENTS = frozenset({"fetched"})

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


class LineSink(Protocol):
    """Where log lines go: a text stream (``write``/``flush``)."""

    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


_HANDLER: logging.StreamHandler[Any] | None = None


def configure_logging(
    *, json: bool | None = None, level: str | int = "INFO", verbose: bool = True
) -> None:
    """Route structlog and stdlib loggers (aiohttp, celery) through one renderer.

    ``json=None`` picks JSON unless stderr is a TTY; ``verbose=False`` makes the
    per-fetch lines (:data:`PER_FETCH_EVENTS`) DEBUG.
    """
    global _HANDLER
    if json is None:
        json = not sys.stderr.isatty()
    renderer: Any
    if json:
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())

    threshold = (
        level if isinstance(level, int) else logging.getLevelNamesMapping().get(level.upper(), 0)
    )
    per_fetch = _PerFetchAsDebug(debug_shown=threshold <= logging.DEBUG)
    structlog.configure(
        processors=[
            # drop what the level hides before any processor works on it (a per-fetch
            # cost: timestamps, contextvars)
            structlog.stdlib.filter_by_level,
            *([] if verbose else [per_fetch]),
            *_SHARED,
            *([] if verbose else [per_fetch]),  # after add_log_level: relabels as debug
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if json else _identity,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # trafilatura warns about every page it finds nothing in ("discarding data"): the
    # story extractor falls back on its own reading, so only its errors are news
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    _HANDLER = handler


@contextmanager
def logs_to(sink: LineSink) -> Iterator[None]:
    """Send every log line to ``sink`` for the ``with`` block (a live display's console),
    then back to where it went before. Does nothing before :func:`configure_logging`."""
    handler = _HANDLER
    if handler is None:
        yield
        return
    previous = handler.setStream(sink)
    try:
        yield
    finally:
        if previous is not None:
            handler.setStream(previous)


class _PerFetchAsDebug:
    """A processor: per-fetch events are DEBUG (dropped unless DEBUG is shown)."""

    def __init__(self, *, debug_shown: bool) -> None:
        self.debug_shown = debug_shown

    def __call__(
        self, _: Any, method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        if event_dict.get("event") in PER_FETCH_EVENTS and method == "info":
            if not self.debug_shown:
                raise structlog.DropEvent
            event_dict["level"] = "debug"
        return event_dict


def _identity(_: Any, __: str, event: Any) -> Any:
    return event
