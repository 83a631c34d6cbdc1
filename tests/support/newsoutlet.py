# ruff: noqa: RUF001  (Ukrainian text: Cyrillic letters are intended)
"""A configurable synthetic news outlet for crawler tests and benchmarks.

Think of a Ukrainian news site rendered by Angular (24tv.ua-like): a homepage,
several sections with paginated listings, articles that cite other outlets,
sitemaps (index, Google News, gzipped urlset), RSS and Atom feeds, a robots.txt,
an endless events calendar, and plenty of markup noise.

* :class:`OutletSpec` -- what the site looks like (deterministic: the same spec,
  with an explicit ``epoch``, gives the same site byte for byte, per-request
  noise aside);
* :class:`NewsOutlet` -- the mutable state of one site (edit, move, remove
  articles between crawls) and its :meth:`NewsOutlet.app`;
* :func:`cited_source_app` -- the app of a cited host (``/report/<id>`` pages);
* :func:`start_outlet` -- starts the cited hosts, then the outlet, on loopback
  addresses; returns an :class:`OutletFixture`;
* :func:`bench_spec` -- a spec of a few thousand pages for benchmarks.

Link map of an article page (see :meth:`NewsOutlet.expected_cited` and
:meth:`NewsOutlet.expected_not_cited`)::

    <article>
      <h1>                                   headline
      <div class="meta"> ... <span class="views">N</span>      (noise)
      <div class="article-body" itemprop="articleBody">
        <p>...</p>                           paragraphs
        <p>... <a href="CITED">...</a>...</p>     in-body CITATIONS (other hosts)
        <figure> <img srcset=... src=...>    same-host images
        <div id="ad-RANDOM" class="ad-slot"> (noise, empty)
        <p class="read-also"><a href="/news/...">  same-host link, not a citation
      </div>
    </article>
    <div class="share">       other hosts' /share?u=...     NOT citations
    <aside class="related">   other hosts' /related/...     NOT citations
    <section class="comments" id="comments">  other host /comments/...  NOT citations
    header <nav>: other host /nav-partner; footer: other hosts /footer/...  NOT citations
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import itertools
import json
import math
import random
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import web

from tests.support.servers import LiveServer, RequestLogEntry

__all__ = [
    "NEWS_NS",
    "PEERS",
    "SITEMAP_NS",
    "ArticleInfo",
    "NewsOutlet",
    "OutletFixture",
    "OutletSpec",
    "bench_spec",
    "cited_source_app",
    "start_outlet",
]

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
ATOM_NS = "http://www.w3.org/2005/Atom"

PEERS: web.AppKey[list[str]] = web.AppKey("newsoutlet_peers", list)
"""App key (cited hosts): bases of the other cited hosts, linked from ``/report/<id>``.
A mutable list read at request time (:func:`start_outlet` fills it after start)."""

_HTML = "text/html; charset=utf-8"
_XML = "application/xml; charset=utf-8"

# Angular's emulated-encapsulation attributes, as server-side rendering emits them.
_NG_ROOT = '_ngcontent-ng-c1=""'
_NG_HDR = '_ngcontent-ng-c60=""'
_NG = '_ngcontent-sc177=""'
_NG_FTR = '_ngcontent-ng-c88=""'

_SECTIONS: tuple[tuple[str, str], ...] = (
    ("politics", "Політика"),
    ("economics", "Економіка"),
    ("world", "Світ"),
    ("sport", "Спорт"),
    ("tech", "Технології"),
    ("culture", "Культура"),
    ("health", "Здоров'я"),
    ("science", "Наука"),
    ("kyiv", "Київ"),
    ("auto", "Авто"),
    ("education", "Освіта"),
    ("lifestyle", "Лайфстайл"),
)

_SUBJECTS: tuple[tuple[str, str], ...] = (
    ("Уряд", "uriad"),
    ("Верховна Рада", "verkhovna-rada"),
    ("НБУ", "nbu"),
    ("Мерія Києва", "meriia-kyieva"),
    ("Збірна України", "zbirna-ukrainy"),
    ("Укренерго", "ukrenerho"),
    ("Міносвіти", "minosvity"),
    ("Науковці", "naukovtsi"),
    ("Синоптики", "synoptyky"),
    ("Аграрії", "ahrarii"),
)
_VERBS: tuple[tuple[str, str], ...] = (
    ("ухвалили", "ukhvalyly"),
    ("оголосили", "oholosyly"),
    ("представили", "predstavyly"),
    ("перевірили", "perevirily"),
    ("відклали", "vidklaly"),
    ("підтримали", "pidtrymaly"),
    ("оновили", "onovyly"),
)
_OBJECTS: tuple[tuple[str, str], ...] = (
    ("новий бюджет", "novyi-biudzhet"),
    ("реформу освіти", "reformu-osvity"),
    ("графік відключень", "hrafik-vidkliuchen"),
    ("ремонт мостів", "remont-mostiv"),
    ("нові правила", "novi-pravyla"),
    ("прогноз погоди", "prohnoz-pohody"),
    ("план відновлення", "plan-vidnovlennia"),
    ("тарифи на воду", "taryfy-na-vodu"),
)
_TAILS = (
    "на наступний рік",
    "після тривалих переговорів",
    "у понеділок увечері",
    "попри критику опозиції",
    "вперше за десять років",
    "за підсумками засідання",
)
_ANCHORS = ("звіті", "заяві", "дослідженні", "публікації", "документі")

_JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\x00" * 32
    + (b"\xff\xd9")
)
_WEBP_PAYLOAD = b"VP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
_WEBP = b"RIFF" + (len(_WEBP_PAYLOAD) + 4).to_bytes(4, "little") + b"WEBP" + _WEBP_PAYLOAD
_CSS = (
    b"body{font-family:sans-serif;margin:0}.header{display:flex}"
    b".article-body p{line-height:1.6}.ad-slot{min-height:90px}\n"
)
_JS = b"(()=>{document.documentElement.classList.add('js');})();\n"


# --------------------------------------------------------------------------
# spec
# --------------------------------------------------------------------------


@dataclass
class OutletSpec:
    """What the synthetic outlet looks like.

    Articles are numbered ``g = 0 .. N-1`` newest first (``N = sections *
    articles_per_section``); article ``g`` belongs to section ``g % sections``.
    Publication dates are spread evenly over ``spread`` before ``epoch``; the
    OLDEST article (``g = N-1``) is instead published ``old_article_age`` before
    ``epoch`` (it is in the news sitemap, the gzipped sitemap and on the last
    listing page of its section, never on the homepage).
    """

    sections: int = 2
    articles_per_section: int = 4
    cited_bases: list[str] = field(default_factory=list)
    """Bases (``http://127.0.0.2:PORT``) of the other hosts articles cite and link to."""
    calendar_trap: bool = True
    crawl_delay: float | None = None
    noise: bool = True
    """Per-request noise: view counter, random ad-slot id, CSRF meta (articles; the
    last two on every HTML page).  False: repeated requests are byte-identical."""
    validators: bool = True
    """Articles send ``ETag``/``Last-Modified`` and answer conditional requests with 304."""
    removed_status: int = 404
    """Status of a removed article (404 or 410); :meth:`NewsOutlet.remove_article` can override."""
    per_page: int = 2
    """Articles per section listing page (``/section/<name>/?page=N``)."""
    home_teasers: int = 6
    feed_size: int = 20
    news_sitemap_size: int = 1000
    """Newest articles in the news sitemap (the old article is always added)."""
    cites_per_article: int | None = None
    """In-body citations per article; None: one per cited base."""
    paragraphs: int = 4
    page_state_kb: int = 0
    """Extra kilobytes of Angular TransferState JSON inlined in each article page, as
    real Angular outlets ship (24tv.ua articles weigh ~300 KB of HTML); 0: none."""
    old_article_age: timedelta | None = timedelta(days=60)
    spread: timedelta = timedelta(days=7)
    epoch: datetime | None = None
    """The site's "now"; None: midnight UTC of the day the :class:`NewsOutlet` is built."""
    seed: int = 24
    name: str = "Тестовий Канал 24"

    def __post_init__(self) -> None:
        if self.sections < 1 or self.articles_per_section < 1:
            raise ValueError("sections and articles_per_section must be >= 1")
        if self.per_page < 1 or self.paragraphs < 1:
            raise ValueError("per_page and paragraphs must be >= 1")
        if self.removed_status not in (404, 410):
            raise ValueError("removed_status must be 404 or 410")
        for base in self.cited_bases:
            parts = urlsplit(base)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
                raise ValueError(f"cited base must be scheme://host:port, not {base!r}")


def _transfer_state(seed: int, kilobytes: int) -> list[dict[str, object]]:
    """Deterministic filler shaped like an Angular TransferState cache of teasers."""
    rng = random.Random(seed)
    words = [
        "новини",
        "україна",
        "київ",
        "уряд",
        "економіка",
        "спорт",
        "світ",
        "війна",
        "культура",
        "технології",
        "погода",
        "здоров'я",
        "освіта",
        "політика",
    ]
    items: list[dict[str, object]] = []
    size = 0
    while size < kilobytes * 1024:
        item: dict[str, object] = {
            "id": rng.randrange(10**6, 10**7),
            "title": " ".join(rng.choice(words) for _ in range(8)),
            "image": f"/images/{rng.randrange(10**6, 10**7)}/{rng.getrandbits(64):016x}.webp",
            "views": rng.randrange(100000),
        }
        items.append(item)
        size += len(json.dumps(item, ensure_ascii=False).encode())
    return items


def bench_spec(n_pages: int, cited_bases: Sequence[str] = ()) -> OutletSpec:
    """A spec with about *n_pages* articles (rounded up to fill every section).

    Up to 10 sections, 25 articles per listing page, noise on, no calendar trap.
    Crawling it fetches the articles plus ``ceil(n/25)``-ish listing pages,
    the homepage, robots, sitemaps and feeds.
    """
    if n_pages < 1:
        raise ValueError("n_pages must be >= 1")
    sections = max(1, min(10, n_pages // 50))
    return OutletSpec(
        sections=sections,
        articles_per_section=math.ceil(n_pages / sections),
        cited_bases=list(cited_bases),
        calendar_trap=False,
        noise=True,
        per_page=25,
        home_teasers=30,
        spread=timedelta(days=20),
    )


# --------------------------------------------------------------------------
# state
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Para:
    text: str
    link: tuple[str, str] | None = None  # (absolute url, anchor text): a citation
    tail: str = ""


@dataclass
class _Article:
    id: int
    order: int  # 0 = newest
    section: str
    path: str
    headline: str
    paras: list[_Para]
    published: datetime
    modified: datetime
    read_also: tuple[str, str] | None  # (path, headline), fixed at build time
    old: bool = False


@dataclass(frozen=True)
class ArticleInfo:
    """A snapshot of one live article."""

    path: str
    id: int
    section: str
    headline: str
    paragraphs: tuple[str, ...]
    """Plain text of each body paragraph (link anchors included)."""
    cited: tuple[str, ...]
    published: datetime
    modified: datetime
    etag: str
    """The ``ETag`` header value (``W/"…"`` when ``noise`` is on, ``"…"`` otherwise)."""


def _utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).replace(microsecond=0)


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def _http_date(dt: datetime) -> str:
    return format_datetime(dt, usegmt=True)


def _base(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _para_text(p: _Para) -> str:
    if p.link is None:
        return p.text
    return f"{p.text} {p.link[1]}{p.tail}"


def _json_script(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")


class NewsOutlet:
    """Mutable state of one synthetic outlet; :meth:`app` serves it.

    Every mutator is thread-safe and takes effect on the next request.  Article
    *paths* identify articles (after :meth:`move_article`, use the new path).
    """

    def __init__(self, spec: OutletSpec | None = None) -> None:
        self.spec = spec = spec if spec is not None else OutletSpec()
        self._lock = threading.RLock()
        self._epoch = _utc(
            spec.epoch
            if spec.epoch is not None
            else datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        )
        self._sections = [
            _SECTIONS[i % len(_SECTIONS)]
            if i < len(_SECTIONS)
            else (
                f"{_SECTIONS[i % len(_SECTIONS)][0]}-{i // len(_SECTIONS)}",
                f"{_SECTIONS[i % len(_SECTIONS)][1]} {i // len(_SECTIONS)}",
            )
            for i in range(spec.sections)
        ]
        self._articles: dict[str, _Article] = {}
        self._redirects: dict[str, str] = {}
        self._gone: dict[str, int] = {}
        self._views: dict[int, int] = {}
        self._cache: dict[Any, Any] = {}
        self._generate()

    # -- generation ----------------------------------------------------------

    def _generate(self) -> None:
        spec = self.spec
        rng = random.Random(spec.seed)
        n = spec.sections * spec.articles_per_section
        ids = sorted(rng.sample(range(1_000_000, 10_000_000), n), reverse=True)
        step = spec.spread / n
        bases = spec.cited_bases
        n_cites = (
            0
            if not bases
            else (len(bases) if spec.cites_per_article is None else spec.cites_per_article)
        )
        articles: list[_Article] = []
        for g in range(n):
            section = self._sections[g % spec.sections][0]
            subj, verb, obj = rng.choice(_SUBJECTS), rng.choice(_VERBS), rng.choice(_OBJECTS)
            headline = f"{subj[0]} {verb[0]} {obj[0]}"
            slug = f"{subj[1]}-{verb[1]}-{obj[1]}"
            aid = ids[g]
            old = spec.old_article_age is not None and g == n - 1
            if old:
                assert spec.old_article_age is not None
                published = self._epoch - spec.old_article_age
            else:
                published = _utc(self._epoch - timedelta(minutes=30) - g * step)
            modified = published + step / 2 if g % 3 == 1 and not old else published
            plain = [self._sentence_para(rng) for _ in range(spec.paragraphs)]
            cites = []
            for k in range(n_cites):
                base = bases[(g + k) % len(bases)]
                url = f"{base}/report/{aid}" if k < len(bases) else f"{base}/report/{aid}-{k}"
                anchor = f"{rng.choice(_ANCHORS)} джерела {k + 1}"
                cites.append(_Para("Про це йдеться у", (url, anchor), f", {rng.choice(_TAILS)}."))
            paras: list[_Para] = []
            for i, p in enumerate(plain):
                paras.append(p)
                if i < len(cites):
                    paras.append(cites[i])
            paras.extend(cites[len(plain) :])
            articles.append(
                _Article(
                    id=aid,
                    order=g,
                    section=section,
                    path=f"/news/{section}/{slug}-{aid}",
                    headline=headline,
                    paras=paras,
                    published=published,
                    modified=_utc(modified),
                    read_also=None,
                    old=old,
                )
            )
        # "Read also": the next older article of the same section, fixed at build time.
        by_section: dict[str, list[_Article]] = {}
        for art in articles:
            by_section.setdefault(art.section, []).append(art)
        for group in by_section.values():
            for a, b in itertools.pairwise(group):
                a.read_also = (b.path, b.headline)
        self._articles = {a.path: a for a in articles}

    @staticmethod
    def _sentence_para(rng: random.Random) -> _Para:
        sentences = []
        for _ in range(rng.randint(2, 3)):
            s, v, o = rng.choice(_SUBJECTS)[0], rng.choice(_VERBS)[0], rng.choice(_OBJECTS)[0]
            sentences.append(f"{s} {v} {o} {rng.choice(_TAILS)}.")
        return _Para(" ".join(sentences))

    # -- queries ---------------------------------------------------------------

    @property
    def epoch(self) -> datetime:
        """The site's "now" (UTC) that publication dates are relative to."""
        return self._epoch

    def sections(self) -> list[str]:
        """Section slugs, e.g. ``["politics", "economics"]``."""
        return [slug for slug, _ in self._sections]

    def article_urls(self) -> list[str]:
        """Paths of all live articles, newest first."""
        with self._lock:
            return [a.path for a in self._live()]

    def section_articles(self, section: str) -> list[str]:
        """Paths of the live articles of *section*, newest first (listing order)."""
        with self._lock:
            return [a.path for a in self._live_in(section)]

    def section_pages(self, section: str) -> list[str]:
        """Listing page paths: ``/section/<s>/`` then ``/section/<s>/?page=2`` ..."""
        with self._lock:
            pages = self._page_count(section)
        first = f"/section/{section}/"
        return [first] + [f"{first}?page={i}" for i in range(2, pages + 1)]

    def homepage_articles(self) -> list[str]:
        """Paths of the articles teased on the homepage (newest ``home_teasers``)."""
        with self._lock:
            return [a.path for a in self._live()[: self.spec.home_teasers]]

    def feed_articles(self) -> list[str]:
        """Paths in ``/feeds/rss.xml`` and ``/feeds/atom.xml`` (first section, newest first)."""
        with self._lock:
            return [a.path for a in self._feed()]

    def news_sitemap_articles(self) -> list[str]:
        """Paths in ``/sitemaps/news.xml`` (newest first; the old article last)."""
        with self._lock:
            return [a.path for a in self._news()]

    def old_article(self) -> str | None:
        """Path of the article published ``old_article_age`` ago, if it is live."""
        with self._lock:
            return next((a.path for a in self._live() if a.old), None)

    def article(self, path: str) -> ArticleInfo:
        """Snapshot of the live article at *path* (KeyError if none)."""
        with self._lock:
            art = self._get(path)
            return ArticleInfo(
                path=art.path,
                id=art.id,
                section=art.section,
                headline=art.headline,
                paragraphs=tuple(_para_text(p) for p in art.paras),
                cited=tuple(p.link[0] for p in art.paras if p.link),
                published=art.published,
                modified=art.modified,
                etag=self._etag(art),
            )

    def expected_cited(self, path: str) -> list[str]:
        """Absolute URLs of the in-body citations (links to other hosts) of an article,
        in document order: exactly the ``href`` values inside ``div.article-body``
        that point to another host."""
        return list(self.article(path).cited)

    def expected_not_cited(self, path: str, base: str) -> list[str]:
        """Absolute other-host URLs on the article page that are NOT citations
        (nav, share, related, comments, footer).  *base* is the outlet's base
        (the share links embed the article's absolute URL)."""
        with self._lock:
            art = self._get(path)
            return [url for url, _ in self._outside_links(art, base)]

    def disallowed_paths(self) -> list[str]:
        """The ``Disallow`` prefixes robots.txt gives ``User-agent: *``."""
        return ["/private/", "/search"]

    def redirects(self) -> dict[str, str]:
        """Moved paths: old path -> the path it 301s to (one hop)."""
        with self._lock:
            return dict(self._redirects)

    # -- mutators --------------------------------------------------------------

    def edit_headline(self, path: str, new: str) -> None:
        """Replace the headline (``<h1>``, ``<title>``, JSON-LD, feeds); bumps dateModified."""
        with self._mutate(path) as art:
            art.headline = new

    def add_paragraph(self, path: str, text: str) -> None:
        """Append a plain paragraph to the article body; bumps dateModified."""
        with self._mutate(path) as art:
            art.paras.append(_Para(text))

    def extend_paragraph(self, path: str, index: int, sentence: str) -> None:
        """Append a sentence to body paragraph *index* (after its link, if it cites);
        bumps dateModified."""
        with self._mutate(path) as art:
            p = art.paras[index]
            if p.link is None:
                art.paras[index] = dataclasses.replace(p, text=f"{p.text} {sentence}")
            else:
                art.paras[index] = dataclasses.replace(p, tail=f"{p.tail} {sentence}")

    def add_cited_link(self, path: str, url: str, anchor: str) -> None:
        """Append a body paragraph citing absolute *url*; bumps dateModified."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"cited URL must be absolute http(s), not {url!r}")
        with self._mutate(path) as art:
            art.paras.append(_Para("Згодом з'явилися нові дані у", (url, anchor), "."))

    def set_modified(self, path: str, when: datetime) -> None:
        """Set dateModified (JSON-LD, Last-Modified, sitemap lastmod, Atom updated).
        Naive datetimes are taken as UTC; sub-second precision is dropped."""
        with self._mutate(path, touch=False) as art:
            art.modified = _utc(when)

    def remove_article(self, path: str, status: int | None = None) -> None:
        """Unpublish: *path* answers 404 (or 410: ``status`` or ``spec.removed_status``)
        and the article leaves every listing, sitemap and feed."""
        status = self.spec.removed_status if status is None else status
        if status not in (404, 410):
            raise ValueError("status must be 404 or 410")
        with self._lock:
            art = self._get(path)
            del self._articles[path]
            self._gone[art.path] = status
            self._cache.clear()

    def move_article(self, path: str, new_path: str) -> None:
        """Move an article: *path* 301s (absolute Location) to *new_path*, which
        becomes its canonical URL everywhere.  Earlier redirects to *path* stay
        (so A->B then B->C gives a two-hop chain)."""
        if not new_path.startswith("/") or "?" in new_path or "#" in new_path:
            raise ValueError(f"new_path must be a plain absolute path, not {new_path!r}")
        with self._lock:
            art = self._get(path)
            if new_path in self._articles or new_path in self._redirects:
                raise ValueError(f"{new_path!r} is already in use")
            del self._articles[path]
            art.path = new_path
            self._articles[new_path] = art
            self._redirects[path] = new_path
            self._gone.pop(new_path, None)
            self._cache.clear()

    # -- internals -------------------------------------------------------------

    def _get(self, path: str) -> _Article:
        try:
            return self._articles[path]
        except KeyError:
            raise KeyError(f"no live article at {path!r}") from None

    def _mutate(self, path: str, *, touch: bool = True) -> _Mutation:
        return _Mutation(self, path, touch)

    def _live(self) -> list[_Article]:
        key = ("live",)
        if key not in self._cache:
            self._cache[key] = sorted(self._articles.values(), key=lambda a: a.order)
        result: list[_Article] = self._cache[key]
        return result

    def _live_in(self, section: str) -> list[_Article]:
        key = ("section", section)
        if key not in self._cache:
            self._cache[key] = [a for a in self._live() if a.section == section]
        result: list[_Article] = self._cache[key]
        return result

    def _page_count(self, section: str) -> int:
        return max(1, math.ceil(len(self._live_in(section)) / self.spec.per_page))

    def _feed(self) -> list[_Article]:
        return self._live_in(self._sections[0][0])[: self.spec.feed_size]

    def _news(self) -> list[_Article]:
        fresh = [a for a in self._live() if not a.old][: self.spec.news_sitemap_size]
        return fresh + [a for a in self._live() if a.old]

    def _etag(self, art: _Article) -> str:
        state = [
            art.path,
            art.headline,
            [[p.text, list(p.link) if p.link else None, p.tail] for p in art.paras],
            list(art.read_also) if art.read_also else None,
            _iso(art.published),
            _iso(art.modified),
        ]
        digest = hashlib.sha256(json.dumps(state, ensure_ascii=False).encode()).hexdigest()[:24]
        return f'W/"{digest}"' if self.spec.noise else f'"{digest}"'

    def _cited_base(self, k: int) -> str | None:
        bases = self.spec.cited_bases
        return bases[k % len(bases)] if bases else None

    # -- rendering: shared chrome ------------------------------------------------

    def _header(self) -> str:
        links = "\n".join(
            f'<a {_NG_HDR} class="nav-link ng-star-inserted" href="/section/{slug}/">'
            f"{escape(title)}</a><!---->"
            for slug, title in self._sections
        )
        partner = self._cited_base(0)
        if partner is not None:
            links += (
                f'\n<a {_NG_HDR} class="nav-link partner" href="{escape(partner)}/nav-partner"'
                ' target="_blank" rel="noopener">Партнерський проєкт</a>'
            )
        return (
            f'<app-header {_NG_ROOT} _nghost-ng-c60="">\n'
            f'<header {_NG_HDR} class="header">\n'
            f'<a {_NG_HDR} class="logo" href="/"><img {_NG_HDR} src="/static/logo.webp"'
            f' alt="{escape(self.spec.name)}" width="120" height="32"></a>\n'
            f'<nav {_NG_HDR} class="main-nav">\n{links}\n</nav>\n'
            f'<a {_NG_HDR} class="search" href="/search?q=%D0%BD%D0%BE%D0%B2%D0%B8%D0%BD%D0%B8">'
            "Пошук</a>\n"
            f'<a {_NG_HDR} class="menu-toggle" href="javascript:void(0)">Меню</a>\n'
            "</header>\n</app-header>"
        )

    def _footer(self) -> str:
        parts = []
        for k, base in enumerate(self.spec.cited_bases):
            parts.append(f'<a {_NG_FTR} href="{escape(base)}/footer/about">Партнер {k + 1}</a>')
        if self.spec.cited_bases:
            netloc = urlsplit(self.spec.cited_bases[-1]).netloc
            parts.append(f'<a {_NG_FTR} href="//{escape(netloc)}/footer/app">Застосунок</a>')
        if self.spec.calendar_trap:
            parts.append(
                f'<a {_NG_FTR} href="/calendar/{self._epoch.year:04d}/{self._epoch.month:02d}/">'
                "Календар подій</a>"
            )
        parts += [
            f'<a {_NG_FTR} href="/private/secret">Кабінет редакції</a>',
            f'<a {_NG_FTR} href="mailto:redaktsiia@outlet.invalid">Написати нам</a>',
            f'<a {_NG_FTR} href="tel:+380441234567">+38 044 123 45 67</a>',
        ]
        return (
            f'<app-footer {_NG_ROOT} _nghost-ng-c88="">\n<footer {_NG_FTR} class="footer">\n'
            + "\n".join(parts)
            + f"\n<p {_NG_FTR}>© {escape(self.spec.name)}</p>\n</footer>\n</app-footer>"
        )

    def _page(
        self,
        *,
        title: str,
        head: str = "",
        main: str,
        og_type: str = "website",
        state: dict[str, Any] | None = None,
    ) -> bytes:
        csrf = (
            f'<meta name="csrf-token" content="{secrets.token_hex(16)}">\n'
            if self.spec.noise
            else ""
        )
        ng_state = _json_script(state or {})
        return (
            '<!doctype html>\n<html lang="uk" data-critters-container>\n<head>\n'
            '<meta charset="utf-8">\n'
            f"<title>{escape(title)}</title>\n"
            '<base href="/">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"{csrf}"
            f'<meta property="og:type" content="{og_type}">\n'
            f'<meta property="og:site_name" content="{escape(self.spec.name)}">\n'
            f"{head}"
            '<link rel="alternate" type="application/rss+xml" title="RSS" href="/feeds/rss.xml">\n'
            '<link rel="alternate" type="application/atom+xml" title="Atom"'
            ' href="/feeds/atom.xml">\n'
            '<link rel="stylesheet" href="/static/site.css">\n'
            '<style ng-app-id="ng">.article-body[_ngcontent-sc177]{margin:0 auto}</style>\n'
            '<script src="/static/app.js" type="module"></script>\n'
            "</head>\n<body>\n"
            f'<app-root _nghost-ng-c1="" ng-version="17.3.0" ng-server-context="ssr">\n'
            f"{self._header()}\n"
            f"<router-outlet {_NG_ROOT}></router-outlet>\n"
            f"{main}\n"
            f"{self._footer()}\n"
            "</app-root>\n"
            f'<script id="ng-state" type="application/json">{ng_state}</script>\n'
            "</body>\n</html>\n"
        ).encode()

    def _ad(self) -> str:
        slot = secrets.token_hex(6) if self.spec.noise else "slot"
        return f'<div {_NG} id="ad-{slot}" class="ad-slot ng-star-inserted"></div><!---->'

    # -- rendering: pages ----------------------------------------------------------

    def _teaser(self, art: _Article) -> str:
        return (
            f'<article {_NG} class="teaser ng-star-inserted">'
            f'<a {_NG} href="{escape(art.path)}"><h2 {_NG}>{escape(art.headline)}</h2></a>'
            f'<time {_NG} datetime="{_iso(art.published)}">'
            f"{art.published:%d.%m.%Y %H:%M}</time></article><!---->"
        )

    def _render_home(self, base: str) -> bytes:
        live = self._live()
        teasers = [self._teaser(a) for a in live[: self.spec.home_teasers]]
        promo = ""
        if live:
            top = escape(live[0].path)
            promo = (
                f'<div {_NG} class="promo">\n'
                f'<a {_NG} href="{top}?utm_source=x&amp;utm_medium=y">Головне за день</a>\n'
                f'<a {_NG} href="{top}#comments">Коментарі</a>\n'
                f'<a {_NG} href="{escape(base)}{top}">Читати повністю</a>\n'
                f'<a {_NG} href="/private/secret">Для редакції</a>\n'
                f'<a {_NG} href="data:text/html;base64,PGgxPmFkPC9oMT4=">Реклама</a>\n'
                "</div>"
            )
        main = (
            '<app-home-page _nghost-sc177="" class="ng-star-inserted">\n'
            f'<main {_NG} class="home">\n'
            f"{self._ad()}\n"
            f'<section {_NG} class="top-news">\n' + "\n".join(teasers) + "\n</section>\n"
            f"{promo}\n</main>\n</app-home-page>"
        )
        return self._page(
            title=f"{self.spec.name} — новини України",
            head=f'<link rel="canonical" href="{escape(base)}/">\n',
            main=main,
            state={"page": "home"},
        )

    def _render_section(self, base: str, section: str, title: str, page: int) -> bytes:
        pages = self._page_count(section)
        per = self.spec.per_page
        items = self._live_in(section)[(page - 1) * per : page * per]
        first = f"/section/{section}/"

        def href(n: int) -> str:
            return first if n == 1 else f"{first}?page={n}"

        nav = []
        if page > 1:
            nav.append(f'<a {_NG} rel="prev" href="{href(page - 1)}">Попередня</a>')
        nav += [
            f'<a {_NG} href="{href(n)}">{n}</a>' if n != page else f"<span {_NG}>{n}</span>"
            for n in range(1, pages + 1)
        ]
        if page < pages:
            nav.append(f'<a {_NG} rel="next" href="{href(page + 1)}">Наступна</a>')
        canonical = escape(base + href(page))
        main = (
            f'<app-section-page _nghost-sc177="" class="ng-star-inserted">\n'
            f'<main {_NG} class="section">\n<h1 {_NG}>{escape(title)}</h1>\n'
            f"{self._ad()}\n"
            + "\n".join(self._teaser(a) for a in items)
            + f'\n<nav {_NG} class="pagination">'
            + " ".join(nav)
            + "</nav>\n"
            "</main>\n</app-section-page>"
        )
        return self._page(
            title=f"{title} — {self.spec.name}" + (f", сторінка {page}" if page > 1 else ""),
            head=f'<link rel="canonical" href="{canonical}">\n',
            main=main,
            state={"page": "section", "section": section, "n": page},
        )

    def _outside_links(self, art: _Article, base: str) -> list[tuple[str, str]]:
        """(absolute url, region) of every other-host link outside the article body."""
        out: list[tuple[str, str]] = []
        bases = self.spec.cited_bases
        if not bases:
            return out
        out.append((f"{bases[0]}/nav-partner", "nav"))
        u = quote(base + art.path, safe="")
        out.append((f"{self._cited_base(0)}/share?u={u}", "share"))
        out.append((f"{self._cited_base(1)}/share?u={u}&text=news", "share"))
        out.append((f"{self._cited_base(art.order)}/related/{art.id}-1", "related"))
        out.append((f"{self._cited_base(art.order + 1)}/related/{art.id}-2", "related"))
        out.append((f"{self._cited_base(-1)}/comments/{art.id}", "comments"))
        out += [(f"{b}/footer/about", "footer") for b in bases]
        out.append((f"{urlsplit(base).scheme}://{urlsplit(bases[-1]).netloc}/footer/app", "footer"))
        return out

    def _render_article(self, base: str, art: _Article) -> bytes:
        spec = self.spec
        canonical = base + art.path
        section_title = dict(self._sections)[art.section]
        img = f"/images/{art.id}"
        body: list[str] = []
        for i, p in enumerate(art.paras):
            if p.link is None:
                body.append(f"<p {_NG}>{escape(p.text)}</p>")
            else:
                url, anchor = p.link
                body.append(
                    f'<p {_NG}>{escape(p.text)} <a {_NG} href="{escape(url)}" target="_blank"'
                    f' rel="noopener">{escape(anchor)}</a>{escape(p.tail)}</p>'
                )
            if i == 0:
                body.append(
                    f'<figure {_NG} class="photo"><picture {_NG}>'
                    f'<source {_NG} type="image/webp" srcset="{img}/a.webp 1x, {img}/a@2x.webp 2x">'
                    f'<img {_NG} srcset="{img}/a.webp 1x, {img}/a@2x.webp 2x" src="{img}/a.jpg"'
                    f' alt="{escape(art.headline)}" loading="lazy" width="800" height="450">'
                    f"</picture><figcaption {_NG}>Фото ілюстративне</figcaption></figure>"
                )
            if i == 1:
                body.append(self._ad())
        if art.read_also is not None:
            target, label = art.read_also
            body.append(
                f'<p {_NG} class="read-also">Читайте також: '
                f'<a {_NG} href="{escape(target)}">{escape(label)}</a></p>'
            )
        views = (
            f' <span {_NG} class="views">{self._views.get(art.id, 0)}</span>' if spec.noise else ""
        )
        outside = self._outside_links(art, base)
        by_region: dict[str, list[str]] = {}
        for url, region in outside:
            by_region.setdefault(region, []).append(url)
        share = "".join(
            f'<a {_NG} class="share-{n}" href="{escape(url)}" target="_blank">{label}</a>'
            for n, (url, label) in enumerate(
                zip(by_region.get("share", []), ("Facebook", "X"), strict=False)
            )
        )
        related = "".join(
            f'<li {_NG}><a {_NG} href="{escape(url)}">Схожа тема {n + 1}</a></li>'
            for n, url in enumerate(by_region.get("related", []))
        )
        comments = "".join(
            f'<a {_NG} href="{escape(url)}">Обговорення у спільноті</a>'
            for url in by_region.get("comments", [])
        )
        main = (
            f'<app-article-page _nghost-sc177="" class="ng-star-inserted">\n'
            f'<main {_NG} class="article-page">\n'
            f'<article {_NG} class="article" itemscope itemtype="https://schema.org/NewsArticle">\n'
            f'<a {_NG} class="section-label" href="/section/{art.section}/">'
            f"{escape(section_title)}</a>\n"
            f'<h1 {_NG} itemprop="headline">{escape(art.headline)}</h1>\n'
            f'<div {_NG} class="meta"><time {_NG} datetime="{_iso(art.published)}">'
            f"{art.published:%d.%m.%Y %H:%M}</time>{views}</div>\n"
            f'<div {_NG} class="article-body" itemprop="articleBody">\n'
            + "\n".join(body)
            + "\n</div>\n</article>\n"
            f'<div {_NG} class="share">{share}'
            f'<a {_NG} href="javascript:window.print()">Друк</a></div>\n'
            f'<aside {_NG} class="related"><h3 {_NG}>Схожі матеріали</h3>'
            f"<ul {_NG}>{related}</ul></aside>\n"
            f'<section {_NG} class="comments" id="comments"><h3 {_NG}>Коментарі</h3>{comments}'
            "</section>\n</main>\n</app-article-page>"
        )
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": art.headline,
            "datePublished": _iso(art.published),
            "dateModified": _iso(art.modified),
            "inLanguage": "uk",
            "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
            "url": canonical,
            "image": [f"{base}{img}/a.jpg"],
            "articleSection": section_title,
            "author": {"@type": "Person", "name": "Редакція"},
            "publisher": {"@type": "Organization", "name": spec.name},
        }
        head = (
            f'<meta property="og:title" content="{escape(art.headline)}">\n'
            f'<meta property="og:url" content="{escape(canonical)}">\n'
            f'<meta property="og:image" content="{escape(base)}{img}/a.jpg">\n'
            f'<meta property="article:published_time" content="{_iso(art.published)}">\n'
            f'<meta property="article:modified_time" content="{_iso(art.modified)}">\n'
            f'<link rel="canonical" href="{escape(canonical)}">\n'
            f'<script type="application/ld+json">{_json_script(ld)}</script>\n'
        )
        return self._page(
            title=f"{art.headline} — {spec.name}",
            head=head,
            main=main,
            og_type="article",
            state={
                "article": {"id": art.id, "api": f"/api/v1/articles/{art.id}"},
                "feed": _transfer_state(art.id, spec.page_state_kb),
            },
        )

    # -- rendering: xml ----------------------------------------------------------

    def _sitemap_index(self, base: str) -> bytes:
        live = self._live()
        news = self._news()
        entries = [
            ("/sitemaps/news.xml", max((a.modified for a in news), default=self._epoch)),
            ("/sitemaps/articles.xml.gz", max((a.modified for a in live), default=self._epoch)),
        ]
        rows = "".join(
            f"<sitemap><loc>{escape(base)}{p}</loc><lastmod>{_iso(m)}</lastmod></sitemap>\n"
            for p, m in entries
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<sitemapindex xmlns="{SITEMAP_NS}">\n{rows}</sitemapindex>\n'
        ).encode()

    def _news_sitemap(self, base: str) -> bytes:
        name = escape(self.spec.name)
        rows = "".join(
            f"<url><loc>{escape(base + a.path)}</loc><lastmod>{_iso(a.modified)}</lastmod>"
            "<news:news><news:publication>"
            f"<news:name>{name}</news:name><news:language>uk</news:language>"
            "</news:publication>"
            f"<news:publication_date>{_iso(a.published)}</news:publication_date>"
            f"<news:title>{escape(a.headline)}</news:title></news:news></url>\n"
            for a in self._news()
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}">\n{rows}</urlset>\n'
        ).encode()

    def _articles_sitemap(self, base: str) -> bytes:
        rows = "".join(
            f"<url><loc>{escape(base + a.path)}</loc><lastmod>{_iso(a.modified)}</lastmod>"
            "<changefreq>hourly</changefreq></url>\n"
            for a in self._live()
        )
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="{SITEMAP_NS}">\n{rows}</urlset>\n'
        )
        return gzip.compress(xml.encode(), mtime=0)

    def _rss(self, base: str) -> bytes:
        feed = self._feed()
        slug, title = self._sections[0]
        items = "".join(
            f"<item><title>{escape(a.headline)}</title><link>{escape(base + a.path)}</link>"
            f'<guid isPermaLink="false">{a.id}</guid>'
            f"<pubDate>{_http_date(a.published)}</pubDate>"
            f"<category>{escape(title)}</category>"
            f"<description>{escape(_para_text(a.paras[0]))}</description></item>\n"
            for a in feed
        )
        built = max((a.modified for a in feed), default=self._epoch)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<rss version="2.0" xmlns:atom="{ATOM_NS}">\n<channel>\n'
            f"<title>{escape(self.spec.name)}: {escape(title)}</title>\n"
            f"<link>{escape(base)}/section/{slug}/</link>\n"
            "<description>Останні новини</description>\n<language>uk</language>\n"
            f"<lastBuildDate>{_http_date(built)}</lastBuildDate>\n"
            f'<atom:link href="{escape(base)}/feeds/rss.xml" rel="self"'
            ' type="application/rss+xml"/>\n'
            f"{items}</channel>\n</rss>\n"
        ).encode()

    def _atom(self, base: str) -> bytes:
        feed = self._feed()
        slug, title = self._sections[0]
        entries = "".join(
            f"<entry><title>{escape(a.headline)}</title>"
            f'<link rel="alternate" type="text/html" href="{escape(base + a.path)}"/>'
            f"<id>urn:storyvault-test:article:{a.id}</id>"
            f"<published>{_iso(a.published)}</published><updated>{_iso(a.modified)}</updated>"
            f"<author><name>Редакція</name></author>"
            f"<summary>{escape(_para_text(a.paras[0]))}</summary></entry>\n"
            for a in feed
        )
        updated = max((a.modified for a in feed), default=self._epoch)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<feed xmlns="{ATOM_NS}" xml:lang="uk">\n'
            f"<title>{escape(self.spec.name)}: {escape(title)}</title>\n"
            f"<id>urn:storyvault-test:feed:{slug}</id>\n<updated>{_iso(updated)}</updated>\n"
            f'<link rel="self" type="application/atom+xml" href="{escape(base)}/feeds/atom.xml"/>\n'
            f'<link rel="alternate" type="text/html" href="{escape(base)}/section/{slug}/"/>\n'
            f"{entries}</feed>\n"
        ).encode()

    # -- app -----------------------------------------------------------------------

    def app(self) -> web.Application:
        """A new :class:`aiohttp.web.Application` serving this (shared) state."""
        app = web.Application()
        r = app.router
        r.add_get("/", self._h_home)
        r.add_get("/robots.txt", self._h_robots)
        r.add_get("/sitemap_index.xml", self._xml_handler(self._sitemap_index, _XML))
        r.add_get("/sitemaps/news.xml", self._xml_handler(self._news_sitemap, _XML))
        r.add_get(
            "/sitemaps/articles.xml.gz",
            self._xml_handler(self._articles_sitemap, "application/x-gzip"),
        )
        r.add_get(
            "/feeds/rss.xml", self._xml_handler(self._rss, "application/rss+xml; charset=utf-8")
        )
        r.add_get(
            "/feeds/atom.xml", self._xml_handler(self._atom, "application/atom+xml; charset=utf-8")
        )
        r.add_get("/section/{name}/", self._h_section)
        r.add_get("/section/{name}", self._h_section_noslash)
        r.add_get("/private/secret", self._h_private)
        r.add_get("/search", self._h_search)
        if self.spec.calendar_trap:
            r.add_get(r"/calendar/{yyyy:\d{4}}/{mm:\d{2}}/", self._h_calendar)
        r.add_get("/static/{name}", self._h_static)
        r.add_get(r"/images/{id:\d+}/{name}", self._h_image)
        r.add_get("/{tail:.*}", self._h_dynamic)
        return app

    def _xml_handler(
        self, render: Callable[[str], bytes], content_type: str
    ) -> Callable[[web.Request], Any]:
        async def handler(request: web.Request) -> web.Response:
            base = _base(request)
            with self._lock:
                key = (render.__name__, base)
                if key not in self._cache:
                    self._cache[key] = render(base)
                body: bytes = self._cache[key]
            return web.Response(body=body, headers={"Content-Type": content_type})

        return handler

    async def _h_robots(self, request: web.Request) -> web.Response:
        lines = [
            f"# robots.txt for {self.spec.name}",
            "User-agent: BadBot",
            "Disallow: /",
            "",
            "User-agent: *",
            *(f"Disallow: {p}" for p in self.disallowed_paths()),
        ]
        if self.spec.crawl_delay is not None:
            lines.append(f"Crawl-delay: {self.spec.crawl_delay:g}")
        lines += ["", f"Sitemap: {_base(request)}/sitemap_index.xml", ""]
        return web.Response(
            body="\n".join(lines).encode(), headers={"Content-Type": "text/plain; charset=utf-8"}
        )

    async def _h_home(self, request: web.Request) -> web.Response:
        with self._lock:
            body = self._render_home(_base(request))
        return _html(body)

    async def _h_section(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        titles = dict(self._sections)
        raw = request.query.get("page", "1")
        if name not in titles or not raw.isdigit() or raw.startswith("0"):
            return _not_found()
        page = int(raw)
        with self._lock:
            if page > self._page_count(name):
                return _not_found()
            body = self._render_section(_base(request), name, titles[name], page)
        return _html(body)

    async def _h_section_noslash(self, request: web.Request) -> web.Response:
        if request.match_info["name"] not in dict(self._sections):
            return _not_found()
        raise web.HTTPMovedPermanently(location=f"{_base(request)}{request.path}/")

    async def _h_private(self, request: web.Request) -> web.Response:
        main = "<main><p>Лише для редакції.</p></main>"
        return _html(self._page(title="Кабінет редакції", main=main))

    async def _h_search(self, request: web.Request) -> web.Response:
        return _html(self._page(title="Пошук", main="<main><p>Нічого не знайдено.</p></main>"))

    async def _h_calendar(self, request: web.Request) -> web.Response:
        year, month = int(request.match_info["yyyy"]), int(request.match_info["mm"])
        if not (1 <= month <= 12 and year >= 1):
            return _not_found()
        prev_y, prev_m = (year, month - 1) if month > 1 else (year - 1, 12)
        next_y, next_m = (year, month + 1) if month < 12 else (year + 1, 1)
        links = []
        if prev_y >= 1:
            links.append(f'<a {_NG} rel="prev" href="/calendar/{prev_y:04d}/{prev_m:02d}/">←</a>')
        if next_y <= 9999:
            links.append(f'<a {_NG} rel="next" href="/calendar/{next_y:04d}/{next_m:02d}/">→</a>')
        main = (
            f'<main {_NG} class="calendar"><h1 {_NG}>Події: {month:02d}.{year:04d}</h1>'
            f"<p {_NG}>Подій не заплановано.</p>{' '.join(links)}</main>"
        )
        return _html(self._page(title=f"Календар подій {month:02d}.{year:04d}", main=main))

    async def _h_static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        files = {
            "site.css": (_CSS, "text/css; charset=utf-8"),
            "app.js": (_JS, "text/javascript; charset=utf-8"),
            "logo.webp": (_WEBP, "image/webp"),
        }
        if name not in files:
            return _not_found()
        body, ctype = files[name]
        return web.Response(
            body=body, headers={"Content-Type": ctype, "Cache-Control": "max-age=86400"}
        )

    async def _h_image(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name.endswith(".webp"):
            return web.Response(body=_WEBP, headers={"Content-Type": "image/webp"})
        if name.endswith(".jpg"):
            return web.Response(body=_JPEG, headers={"Content-Type": "image/jpeg"})
        return _not_found()

    async def _h_dynamic(self, request: web.Request) -> web.Response:
        path = request.path
        base = _base(request)
        with self._lock:
            art = self._articles.get(path)
            if art is None:
                if path in self._redirects:
                    raise web.HTTPMovedPermanently(location=base + self._redirects[path])
                if path in self._gone:
                    status = self._gone[path]
                    body = self._page(
                        title="Матеріал видалено", main="<main><p>Матеріал видалено.</p></main>"
                    )
                    return _html(body, status=status)
                return _not_found()
            headers: dict[str, str] = {}
            if self.spec.validators:
                etag = self._etag(art)
                headers = {"ETag": etag, "Last-Modified": _http_date(art.modified)}
                if _not_modified(request, etag, art.modified):
                    return web.Response(status=304, headers=headers)
            self._views[art.id] = self._views.get(art.id, 0) + 1
            body = self._render_article(base, art)
        return _html(body, headers=headers)


class _Mutation:
    """``with outlet._mutate(path) as art:`` -- lock, edit, bump dateModified, drop caches."""

    def __init__(self, outlet: NewsOutlet, path: str, touch: bool) -> None:
        self._outlet = outlet
        self._path = path
        self._touch = touch

    def __enter__(self) -> _Article:
        self._outlet._lock.acquire()
        try:
            return self._outlet._get(self._path)
        except BaseException:
            self._outlet._lock.release()
            raise

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            if exc_type is None:
                art = self._outlet._articles[self._path]
                if self._touch:
                    now = datetime.now(UTC).replace(microsecond=0)
                    art.modified = max(now, art.modified + timedelta(seconds=1))
                self._outlet._cache.clear()
        finally:
            self._outlet._lock.release()


def _html(body: bytes, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    all_headers = {"Content-Type": _HTML, **(headers or {})}
    return web.Response(body=body, status=status, headers=all_headers)


def _not_found() -> web.Response:
    return web.Response(
        body=b"<!doctype html><html><body><h1>404</h1></body></html>\n",
        status=404,
        headers={"Content-Type": _HTML},
    )


def _not_modified(request: web.Request, etag: str, modified: datetime) -> bool:
    """RFC 9110 s13.2.2: If-None-Match (weak comparison) wins over If-Modified-Since."""
    inm = request.headers.get("If-None-Match")
    if inm is not None:
        if inm.strip() == "*":
            return True
        mine = etag.removeprefix("W/")
        return any(tag.strip().removeprefix("W/") == mine for tag in inm.split(","))
    ims = request.headers.get("If-Modified-Since")
    if ims is not None:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return modified <= since
    return False


# --------------------------------------------------------------------------
# cited hosts
# --------------------------------------------------------------------------


def _cited_page(name: str, title: str, body: str) -> bytes:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)} | {escape(name)}</title>\n</head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n{body}\n</body>\n</html>\n"
    ).encode()


def cited_source_app(name: str, peers: Sequence[str] = ()) -> web.Application:
    """The app of a cited host.  Every route is 200 HTML (unknown paths 404), and
    pages carry NO requisites, so any request other than ``/robots.txt`` and the
    cited ``/report/<id>`` URLs in the log is a link the crawler should not have
    followed.

    * ``/robots.txt`` -- allows everything;
    * ``/report/<id>`` -- the cited page: title, paragraphs, and links to
      ``/deeper/<id>`` (same host) and ``<peer>/elsewhere/<id>`` for each peer in
      ``app[PEERS]`` (``/elsewhere/<id>`` when there is none) -- depth 2;
    * ``/deeper/<id>``, ``/elsewhere/<id>``, ``/share``, ``/related/<x>``,
      ``/nav-partner``, ``/comments/<x>``, ``/footer/<x>``.
    """
    app = web.Application()
    app[PEERS] = list(peers)

    def page(title: str, body: str) -> web.Response:
        return _html(_cited_page(name, title, body))

    async def robots(request: web.Request) -> web.Response:
        return web.Response(
            body=b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain; charset=utf-8"}
        )

    async def report(request: web.Request) -> web.Response:
        rid = request.match_info["id"]
        peers_now: list[str] = request.app[PEERS]
        elsewhere = [f"{p}/elsewhere/{rid}" for p in list(peers_now)] or [f"/elsewhere/{rid}"]
        more = " ".join(f'<a href="{escape(u)}">coverage elsewhere</a>' for u in elsewhere)
        return page(
            f"Report {rid}",
            f"<p>{escape(name)} publishes report {escape(rid)} with the full figures.</p>\n"
            f'<p>See the <a href="/deeper/{escape(rid)}">underlying data</a> and {more}.</p>',
        )

    def simple(title: str) -> Callable[[web.Request], Any]:
        async def handler(request: web.Request) -> web.Response:
            return page(title, f"<p>{escape(title)}: {escape(request.path_qs)}</p>")

        return handler

    app.router.add_get("/robots.txt", robots)
    app.router.add_get("/report/{id}", report)
    app.router.add_get("/deeper/{id}", simple("Deeper data"))
    app.router.add_get("/elsewhere/{id}", simple("Coverage elsewhere"))
    app.router.add_get("/share", simple("Share"))
    app.router.add_get("/related/{x}", simple("Related"))
    app.router.add_get("/nav-partner", simple("Partner"))
    app.router.add_get("/comments/{x}", simple("Comments"))
    app.router.add_get("/footer/{x}", simple("Footer link"))
    return app


# --------------------------------------------------------------------------
# fixture
# --------------------------------------------------------------------------


class OutletFixture:
    """A running outlet (``.outlet``) with its cited hosts (``.cited``)."""

    def __init__(self, outlet: LiveServer, cited: list[LiveServer], site: NewsOutlet) -> None:
        self.outlet = outlet
        self.cited = cited
        self.site = site

    @property
    def base(self) -> str:
        """The outlet's base URL."""
        return self.outlet.base

    def url(self, path: str = "/") -> str:
        """Absolute outlet URL for *path*."""
        return self.outlet.url(path)

    def article_urls(self) -> list[str]:
        """Absolute URLs of the live articles, newest first."""
        return [self.outlet.url(p) for p in self.site.article_urls()]

    def expected_not_cited(self, path: str) -> list[str]:
        """:meth:`NewsOutlet.expected_not_cited` with this outlet's base."""
        return self.site.expected_not_cited(path, self.outlet.base)

    def cited_requests(self) -> list[tuple[str, RequestLogEntry]]:
        """``(absolute url, entry)`` of every request the cited hosts received."""
        return [(s.base + e.path_qs, e) for s in self.cited for e in s.requests]

    def unexpected_cited_requests(self) -> list[str]:
        """Absolute URLs requested on cited hosts that are neither a ``/robots.txt``
        nor the in-body citation of a live article (should stay empty at cite depth 1)."""
        allowed = {s.base + "/robots.txt" for s in self.cited}
        for path in self.site.article_urls():
            allowed.update(self.site.expected_cited(path))
        return [url for url, _ in self.cited_requests() if url not in allowed]

    def clear_logs(self) -> None:
        """Forget the request logs of every server."""
        for server in (self.outlet, *self.cited):
            server.clear_log()

    def assert_no_errors(self) -> None:
        """Fail on any server-side error of any server."""
        for server in (self.outlet, *self.cited):
            server.assert_no_errors()

    def stop(self) -> None:
        """Stop the outlet, then the cited hosts."""
        servers = [self.outlet, *self.cited]
        errors: list[BaseException] = []
        for server in servers:
            try:
                server.stop()
            except Exception as exc:  # keep stopping the others
                errors.append(exc)
        if errors:
            raise errors[0]

    def __enter__(self) -> OutletFixture:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if exc_type is None:
            self.assert_no_errors()


def start_outlet(
    spec: OutletSpec | None = None,
    cited_hosts: Sequence[str] = ("127.0.0.2", "127.0.0.3"),
    host: str = "127.0.0.1",
    middlewares: Sequence[Any] = (),
) -> OutletFixture:
    """Start one :func:`cited_source_app` per host in *cited_hosts*, then the outlet
    on *host* with their bases appended to ``spec.cited_bases``.  *middlewares* (e.g.
    :class:`tests.support.cuts.BodyCutter`'s) wrap every one of these apps.  Use as a
    context manager (stops everything, then asserts no server-side errors)."""
    spec = spec if spec is not None else OutletSpec()
    cited: list[LiveServer] = []

    def wrapped(app: web.Application) -> web.Application:
        app.middlewares.extend(middlewares)
        return app

    try:
        for i, cited_host in enumerate(cited_hosts):
            server = LiveServer(wrapped(cited_source_app(f"Cited Source {i + 1}")), cited_host)
            cited.append(server.start())
        bases = [s.base for s in cited]
        for server in cited:
            peers: list[str] = server.app[PEERS]
            peers[:] = [b for b in bases if b != server.base]
        site = NewsOutlet(dataclasses.replace(spec, cited_bases=[*spec.cited_bases, *bases]))
        outlet = LiveServer(wrapped(site.app()), host).start()
    except BaseException:
        for server in cited:
            server.stop()
        raise
    return OutletFixture(outlet, cited, site)
