"""The Celery application: the distributed engine of the background service.

The app is configured from the typed settings built at the edge: the CLI calls
:func:`configure` with its settings. A process with no edge of ours (``celery -A
tasks.celery_app worker``, which ``storyvault worker`` runs with its settings in the
environment) reads them once, from ``STORYVAULT_*`` and the file named by
``STORYVAULT_CONFIG``, when the configuration is first needed, not at import.

JSON only. Three queues: ``discover`` (beat's outlet discovery and dispatch), ``fetch``
(host turns), ``clean`` (the cleaning stage).

Delivery is at least once: ``acks_late`` with ``task_reject_on_worker_lost``, prefetch 1,
and a Redis ``visibility_timeout`` above every task time limit and countdown. Every task
is idempotent: the frontier forgets a URL only once its records are written, and the
catalogue ignores a capture it has applied before.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery import Celery, signals
from kombu import Queue  # type: ignore[attr-defined]

from workers.core.logs import configure_logging
from workers.core.settings import Settings, load_settings

TASK_TIME_LIMIT = 900
VISIBILITY_TIMEOUT = 4 * TASK_TIME_LIMIT


def service_settings() -> Settings:
    """Settings for the service, from the environment and ``STORYVAULT_CONFIG``."""
    config = os.environ.get("STORYVAULT_CONFIG")
    settings = load_settings(config_file=Path(config) if config else None)
    if not settings.redis_url:
        settings = settings.replace(redis_url="redis://127.0.0.1:6379/0")
    return settings


def celery_config(settings: Settings) -> dict[str, Any]:
    """The Celery configuration for these settings."""
    return dict(
        broker_url=settings.redis_url,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=TASK_TIME_LIMIT,
        task_soft_time_limit=TASK_TIME_LIMIT - 60,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        task_default_queue="fetch",
        task_queues=[Queue("discover"), Queue("fetch"), Queue("clean")],
        task_routes={
            "storyvault.discover_outlets": {"queue": "discover"},
            "storyvault.dispatch": {"queue": "discover"},
            "storyvault.crawl_host": {"queue": "fetch"},
            "storyvault.clean_version": {"queue": "clean"},
        },
        beat_schedule={
            "discover-outlets": {
                "task": "storyvault.discover_outlets",
                "schedule": timedelta(seconds=settings.discover_every),
            },
            "dispatch": {
                "task": "storyvault.dispatch",
                "schedule": timedelta(seconds=settings.dispatch_every),
            },
        },
    )


app = Celery("storyvault", include=["tasks.tasks"])
_settings: list[Settings] = []  # the settings the app runs with, once known


class _FromEnvironment(Mapping[str, Any]):
    """The configuration of a process started with no settings of ours: read from the
    environment when Celery first needs it."""

    def __init__(self) -> None:
        self._conf: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._conf is None:
            self._conf = celery_config(app_settings())
        return self._conf

    def __getitem__(self, key: str) -> Any:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


app.config_from_object(_FromEnvironment())


def configure(settings: Settings) -> Celery:
    """Run the app with ``settings`` (built by the caller: CLI > environment > file)."""
    if not settings.redis_url:
        settings = settings.replace(redis_url="redis://127.0.0.1:6379/0")
    _settings[:] = [settings]
    app.config_from_object(celery_config(settings), force=True)
    return app


def app_settings() -> Settings:
    """The settings the app runs with (from the environment if no edge gave any)."""
    if not _settings:
        _settings.append(service_settings())
    return _settings[0]


@signals.worker_ready.connect
def _serve_metrics(**_: Any) -> None:
    """The worker's main process serves the counters of this host's pool processes
    (``metrics_port``; 0: not served)."""
    settings = app_settings()
    if settings.metrics_port:
        from workers.crawl.metrics import registry_for, serve

        serve(registry_for(settings, None), settings.metrics_port, settings.metrics_bind)


@signals.setup_logging.connect
def _logging(**_: Any) -> None:
    """Celery hands logging to ours: JSON lines, stdlib loggers routed through structlog."""
    configure_logging(json=True, level=os.environ.get("STORYVAULT_LOG_LEVEL", "INFO"))
