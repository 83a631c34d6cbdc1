"""Logging set-up: the one place where structlog and stdlib logging are configured.

Call :func:`configure_logging` once, at the edge (CLI ``main()``, the Celery app). Modules
only ever call ``structlog.get_logger()``. Output is JSON lines when stderr is not a TTY
(services, CI) and coloured key=value lines on a terminal.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def configure_logging(*, json: bool | None = None, level: str | int = "INFO") -> None:
    """Route structlog and stdlib loggers (aiohttp, celery) through one renderer.

    ``json=None`` picks JSON unless stderr is a TTY.
    """
    if json is None:
        json = not sys.stderr.isatty()
    renderer: Any
    if json:
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())

    structlog.configure(
        processors=[
            *_SHARED,
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


def _identity(_: Any, __: str, event: Any) -> Any:
    return event
