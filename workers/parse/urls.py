"""URLs: canonical form for the seen set, link filtering, and crawl scope. Pure functions.

Every URL is first made valid (:func:`safe_url`, WHATWG rules through w3lib's
``safe_url_string``): spaces and non-ASCII characters in the path and query are
percent-encoded as UTF-8, an internationalised host becomes its IDNA (``xn--``) form.
A link written ``/a b.html`` is fetched, recorded (``WARC-Target-URI``) and compared as
``/a%20b.html``, never with the space.

The canonical form is what decides "already seen": scheme and host lower-cased, default
port dropped, fragment dropped, tracking parameters (``utm_*``, ``fbclid``, ``gclid`` …)
removed, an empty path made ``/``. The URL actually fetched and archived is the one
found, made valid and minus its fragment: the archive keeps what the server was asked for.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

IGNORED_SCHEMES = frozenset({"javascript", "mailto", "tel", "data", "sms", "about", "blob"})
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "_ga",
        "_gl",
        "ocid",
        "cmpid",
        "__twitter_impression",
    }
)
TRACKING_PREFIXES = ("utm_",)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"


def absolute_link(base: str, href: str) -> str | None:
    """Resolve ``href`` against ``base``; ``None`` for non-http links or garbage.

    The fragment is dropped: it never reaches the server. Absolute and root-relative
    links (most links on a news page, repeated on every page) take a cached fast path.
    """
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    if href.startswith(("http://", "https://")):
        return _checked(href)
    if href.startswith("/") and not href.startswith("//") and "/." not in href:
        start = base.find("://")
        end = base.find("/", start + 3) if start >= 0 else -1
        origin = base if end < 0 else base[:end]
        return _checked(origin + href)
    scheme = href.split(":", 1)[0].lower() if ":" in href[:12] else ""
    if scheme in IGNORED_SCHEMES:
        return None
    try:
        return _checked(urljoin(base, href))
    except ValueError:
        return None


@functools.lru_cache(maxsize=65536)
def safe_url(url: str) -> str:
    """``url`` made valid as WHATWG says a browser sends it: spaces and non-ASCII in the
    path, query and fragment percent-encoded (UTF-8), the host in IDNA form, existing
    ``%XX`` escapes kept. A URL it cannot make sense of is returned stripped, unchanged
    (the caller's own checks refuse it)."""
    url = url.strip()
    try:
        return safe_url_string(url)
    except (ValueError, UnicodeError):
        return url


@functools.lru_cache(maxsize=65536)
def _checked(url: str) -> str | None:
    """``url`` made valid and without its fragment if it is a well-formed http(s) URL,
    else ``None``."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    safe = safe_url(urlunsplit(parts._replace(fragment="")))
    try:
        if not urlsplit(safe).hostname:
            return None
    except ValueError:
        return None
    return safe


@functools.lru_cache(maxsize=65536)
def canonical(url: str) -> str:
    """The canonical form used as the seen-set key (see module docstring)."""
    parts = urlsplit(safe_url(url))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = quote(unquote(parts.path), safe=_SAFE_PATH) or "/"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def host_of(url: str) -> str:
    """``host[:port]`` of ``url`` lower-cased, default port dropped: the politeness key."""
    return urlsplit(canonical(url)).netloc


def same_site(a: str, b: str) -> bool:
    return host_of(a) == host_of(b)


@dataclass(frozen=True)
class Scope:
    """Which URLs of an outlet to crawl.

    ``hosts``: the outlet's hosts (``host[:port]``); ``prefixes``: path prefixes to keep
    (empty: all); ``exclude``: regular expressions matched against the canonical URL.
    ``max_path_depth`` and ``max_repeats`` stop traps such as ``/a/b/a/b/a/b/`` or
    endless calendars.
    """

    hosts: frozenset[str]
    prefixes: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_path_depth: int = 12
    max_repeats: int = 2
    _patterns: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_patterns", tuple(re.compile(p) for p in self.exclude))

    @classmethod
    def for_seeds(cls, seeds: list[str], **kwargs: object) -> Scope:
        hosts = frozenset(host_of(s) for s in seeds)
        return cls(hosts=hosts, **kwargs)  # type: ignore[arg-type]

    def reason_out(self, url: str) -> str | None:
        """Why ``url`` is out of scope, or ``None`` if the outlet crawl covers it."""
        canon = canonical(url)
        parts = urlsplit(canon)
        if parts.netloc not in self.hosts:
            return "other host"
        if self.prefixes and not parts.path.startswith(self.prefixes):
            return "outside path prefixes"
        for pattern in self._patterns:
            if pattern.search(canon):
                return f"excluded by {pattern.pattern!r}"
        return trap_reason(parts.path, self.max_path_depth, self.max_repeats)


def trap_reason(path: str, max_depth: int, max_repeats: int) -> str | None:
    """A crawler-trap verdict for ``path``: too deep, or a segment repeated too often."""
    segments = [s for s in path.split("/") if s]
    if len(segments) > max_depth:
        return f"path deeper than {max_depth} segments"
    counts: dict[str, int] = {}
    for segment in segments:
        counts[segment] = counts.get(segment, 0) + 1
        if counts[segment] > max_repeats:
            return f"path segment {segment!r} repeated more than {max_repeats} times"
    return None


def robots_url(url: str) -> str:
    """The robots.txt URL governing ``url``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
