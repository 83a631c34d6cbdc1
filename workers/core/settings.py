"""Typed settings, built once at the edge and passed down.

Precedence (highest first): command-line flags > environment (``STORYVAULT_<NAME>``) >
TOML config file (``--config``, keys as below) > the defaults written here.
Unknown keys in the file or the environment are an error, never silently ignored.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import socket
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from workers.core.errors import ConfigError

VERSION = "0.1.0"
ENV_PREFIX = "STORYVAULT_"


@dataclass(frozen=True)
class Settings:
    """Every tunable of storyvault, with its default."""

    # archive
    archive: Path = Path("archive")
    collection: str = "storyvault"
    warc_prefix: str = "storyvault"
    warc_max_bytes: int = 1024**3
    operator: str = ""
    hostname: str = field(default_factory=socket.gethostname)

    # fetch
    user_agent: str = f"storyvault/{VERSION}"
    contact_url: str = "https://github.com/storyvault/storyvault"
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_fetch_seconds: float = 300.0
    # the most time one URL may take, redirect hops and retries included: a server that
    # never answers or sends a byte a second holds a URL no longer (a cut body is kept,
    # marked WARC-Truncated: time)
    url_max_seconds: float = 60.0
    max_body_bytes: int = 64 * 1024**2
    max_header_bytes: int = 64 * 1024
    max_redirects: int = 10
    max_retries: int = 2
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    retry_after_max: float = 120.0
    allow_private: bool = False

    # crawl
    cite_depth: int = 1
    requisites: bool = True
    concurrency: int = 16
    host_concurrency: int = 1
    host_delay: float = 1.0
    max_crawl_delay: float = 30.0
    host_page_budget: int = 5000
    # pages per URL shape (digits as N) per host; pages listed by feeds and sitemaps and
    # shapes whose pages are articles are exempt
    pattern_budget: int = 100
    # pages of one URL shape found on non-article pages of that same shape (a calendar's
    # "next day", a listing's "page 2"), per host, before the chain is taken for a trap
    trap_chain_max: int = 20
    max_hops: int = 25
    max_path_depth: int = 12
    news_window_days: float = 30.0
    # sitemaps and feeds, per host: nesting depth of sitemap indexes, how many, how many
    # bytes (an index listing the next index forever is a trap like any other)
    sitemap_max_depth: int = 5
    sitemap_budget: int = 500
    sitemap_bytes_budget: int = 256 * 1024**2
    # re-crawl interval by story age (age:interval, ages increasing), then never
    recrawl_curve: str = "3h:15m,1d:1h,7d:3h,30d:3d"
    robots_max_age: float = 86400.0
    # a robots.txt that answered 5xx or nothing disallows its host for this long, then
    # is fetched again (RFC 9309); a 4xx allows all, a 2xx is kept robots_max_age
    robots_retry_seconds: float = 300.0
    # processes that read pages (HTML, story text, feeds, sitemaps) beside the embedded
    # crawl's own, which fetches and writes; 0 reads in its threads (the service always
    # does: its Celery pool has the processes). Default: one per core beyond the first.
    parse_processes: int = field(default_factory=lambda: max(0, (os.cpu_count() or 1) - 1))
    scope_hosts: tuple[str, ...] = ()
    scope_prefixes: tuple[str, ...] = ()
    scope_exclude: tuple[str, ...] = ()

    # service (Celery workers and beat on Redis)
    redis_url: str = ""
    redis_prefix: str = "sv"
    discover_every: float = 300.0
    dispatch_every: float = 1.0
    lease_ttl: float = 60.0
    batch_seconds: float = 20.0
    # workers that may share one host whose politeness allows parallel requests
    host_workers: int = 2
    # a worker's WARC file stays open across host turns; it is closed (its records
    # replayable, its versions queued) after this long without a write, or this long open
    warc_idle_seconds: float = 5.0
    warc_max_seconds: float = 300.0
    # Prometheus metrics of a host's workers, served by `storyvault worker` on this port
    # (0: not served) and address; `storyvault metrics` adds the service's state
    metrics_port: int = 9464
    metrics_bind: str = "127.0.0.1"

    # reading: where pywb serves the archive, for the replay links of the change feeds
    # (and the default of `timeline --replay-base` and `changes --replay-base`)
    replay_base: str = "http://127.0.0.1:8080"

    @property
    def full_user_agent(self) -> str:
        """The User-Agent header: the project and a contact URL, as crawlers should."""
        return f"{self.user_agent} (+{self.contact_url})" if self.contact_url else self.user_agent

    @property
    def host_holders(self) -> int:
        """Workers of the service that may hold one host at once: ``host_workers`` when
        its politeness allows parallel requests (no delay, ``host_concurrency`` above 1),
        else 1. Each holder then keeps its share of ``host_concurrency``."""
        if self.host_delay > 0 or self.host_concurrency < 2:
            return 1
        return max(1, min(self.host_workers, self.host_concurrency))

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied and type-checked."""
        return dataclasses.replace(self, **_coerce_all(changes, source="arguments"))


def load_settings(
    *,
    cli: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    cli_flags: Mapping[str, str] | None = None,
) -> Settings:
    """Merge defaults < config file < environment < CLI into one :class:`Settings`.

    ``env`` defaults to ``os.environ``; ``cli_flags`` names the flag of each CLI setting
    (``host_delay`` -> ``--delay``) for error messages. Raises :class:`ConfigError` on an
    unknown key, a value of the wrong type or out of range (a negative delay, zero
    concurrency, a regular expression that does not compile), naming the key or flag and
    where it came from.
    """
    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            raw = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{config_file}: cannot read config file: {exc}") from exc
        values.update(_coerce_all(raw, source=str(config_file)))
    environ = os.environ if env is None else env
    from_env = {
        key[len(ENV_PREFIX) :].lower(): value
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX) and key not in _ENV_NOT_SETTINGS
    }
    values.update(_coerce_all(from_env, source="environment"))
    given = {k: v for k, v in (cli or {}).items() if v is not None}
    values.update(_coerce_all(given, "CLI", flags=cli_flags or {}))
    return Settings(**values)


def check_flag(key: str, value: Any, flag: str) -> Any:
    """``value`` of setting ``key`` as given with ``flag`` (a command's own option),
    type- and range-checked like every setting. Raises :class:`ConfigError` naming ``flag``."""
    return _coerce_all({key: value}, "CLI", flags={key: flag})[key]


# Environment variables with the prefix that are read elsewhere, not settings.
_ENV_NOT_SETTINGS = frozenset({"STORYVAULT_CONFIG"})

_HINTS = typing.get_type_hints(Settings)
_NAMES = {f.name for f in fields(Settings)}


# Lowest accepted value of numeric settings; below it a crawl would hang (no worker, no
# slot per host), crawl nothing, or wait forever.
_MINIMUM: dict[str, float] = {
    "warc_max_bytes": 1,
    "max_body_bytes": 1,
    "max_header_bytes": 1,
    "max_redirects": 0,
    "max_retries": 0,
    "backoff_base": 0,
    "backoff_max": 0,
    "retry_after_max": 0,
    "cite_depth": 0,
    "parse_processes": 0,
    "concurrency": 1,
    "host_concurrency": 1,
    "host_delay": 0,
    "max_crawl_delay": 0,
    "host_page_budget": 1,
    "pattern_budget": 1,
    "max_hops": 0,
    "max_path_depth": 1,
    "news_window_days": 0,
    "robots_max_age": 0,
    "host_workers": 1,
    "trap_chain_max": 1,
    "robots_retry_seconds": 0,  # 0: ask again at the next URL of the host
    "sitemap_max_depth": 0,
    "sitemap_budget": 1,
    "sitemap_bytes_budget": 1,
    "metrics_port": 0,
}
# Durations that must be above zero (a zero timeout or period never lets work happen).
_POSITIVE = frozenset(
    {
        "connect_timeout",
        "read_timeout",
        "max_fetch_seconds",
        "discover_every",
        "dispatch_every",
        "lease_ttl",
        "batch_seconds",
        "warc_idle_seconds",
        "warc_max_seconds",
        "url_max_seconds",
    }
)


def _coerce_all(
    raw: Mapping[str, Any], source: str, flags: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Type-check and range-check each of ``raw``; ``flags`` (CLI only) names the flag."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _NAMES:
            known = ", ".join(sorted(_NAMES))
            raise ConfigError(f"unknown setting {key!r} in {source}; known settings: {known}")
        coerced = _coerce(key, value, _HINTS[key], source)
        problem = _problem(key, coerced)
        if problem is not None:
            if flags is not None:
                flag = flags.get(key, "--" + key.replace("_", "-"))
                if isinstance(value, list | tuple):  # the problem names the bad item
                    raise ConfigError(f"{flag} {problem}")
                raise ConfigError(f"{flag} {value}: {problem}")
            raise ConfigError(f"setting {key!r} from {source} is {value!r}: {problem}")
        out[key] = coerced
    return out


def _problem(key: str, value: Any) -> str | None:
    """What is wrong with a well-typed ``value`` of setting ``key``, or ``None``."""
    if isinstance(value, float) and not math.isfinite(value):
        return "give a finite number"
    if key in _MINIMUM and value < _MINIMUM[key]:
        low = _MINIMUM[key]
        return f"give {int(low) if low == int(low) else low} or more" + (
            " (0: no delay)" if key == "host_delay" else ""
        )
    if key in _POSITIVE and value <= 0:
        return "give a number of seconds above 0"
    if key == "metrics_port" and value > 65535:
        return "give a TCP port (1-65535, or 0: not served)"
    if key == "replay_base" and not re.match(r"https?://[^/\s]+", value):
        return "give the http(s) URL where pywb serves the archive"
    if key == "scope_exclude":
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                return (
                    f"{pattern!r}: not a regular expression ({exc}); "
                    "escape its special characters with a backslash"
                )
    return None


def _coerce(key: str, value: Any, hint: Any, source: str) -> Any:
    if isinstance(hint, types.UnionType):
        hint = next(h for h in typing.get_args(hint) if h is not type(None))
    try:
        if hint is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(f"not a boolean: {value!r}")
        if typing.get_origin(hint) is tuple:
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            return tuple(str(v) for v in value)
        if hint is Path:
            return Path(value).expanduser()
        if hint is int and isinstance(value, float):
            raise ValueError(f"not an integer: {value!r}")
        return hint(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {key!r} from {source}: {exc}") from exc
