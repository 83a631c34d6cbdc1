"""Discovery: what a fetched page, feed, sitemap or robots.txt points to. Pure functions.

* :func:`analyse_html` finds a page's links (each tagged with the page region it sits
  in: body, nav, header, footer, aside, share, related, comments), feeds, page
  requisites, canonical URL, language and the signals that make it an article; and the
  **cited sources**: links inside the article body, not in its nav, share buttons,
  related-article blocks or comments.
* :func:`parse_sitemap` reads sitemap indexes, URL sets and Google News sitemaps (gzip
  or not); :func:`parse_feed` reads RSS and Atom with feedparser.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import feedparser
import lxml.etree
import lxml.html
from lxml.html import HtmlElement

from workers.parse.storybody import Block
from workers.parse.structured import read_structured
from workers.parse.urls import absolute_link, host_of

if TYPE_CHECKING:
    from workers.parse.story import Extraction

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "text/xml",
        "application/xml",
    }
)
# class/id/role words that mark a block as not part of the story
_REGION_WORDS = (
    ("share", re.compile(r"share|sharing|social|sociallinks", re.I)),
    (
        "related",
        re.compile(
            r"related|recommend|more-stories|read-more|readmore|also-read|read-also|see-also|"
            r"teaser|promo|trending|popular|most-read",
            re.I,
        ),
    ),
    ("comments", re.compile(r"comment|disqus|discussion", re.I)),
    ("nav", re.compile(r"\bnav|menu|breadcrumb|pagination", re.I)),
    ("footer", re.compile(r"footer", re.I)),
    ("aside", re.compile(r"sidebar|newsletter|subscribe|banner|advert|\bads?\b", re.I)),
)
_REGION_TAGS = {
    "nav": "nav",
    "header": "header",
    "footer": "footer",
    "aside": "aside",
    "form": "form",
}
_REGION_ROLES = {
    "navigation": "nav",
    "banner": "header",
    "contentinfo": "footer",
    "complementary": "aside",
}
_ARTICLE_URL = re.compile(
    r"(/\d{4}/\d{1,2}/\d{1,2}/)|([a-z0-9]+(?:-[a-z0-9]+){2,}[-_/.]?\d{4,})"
    r"|(-\d{5,}(?:\.html?)?/?$)",
    re.I,
)
_MIN_BODY_CHARS = 200


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    region: str  # "body" (story text), "nav", "header", "footer", "aside", "share", ...


@dataclass
class PageInfo:
    """What an HTML page says about itself and where it points."""

    url: str
    base: str = ""  # what relative links resolve against (``<base href>`` or the URL)
    title: str = ""
    canonical: str | None = None
    og_url: str | None = None
    language: str | None = None
    links: list[Link] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    requisites: list[str] = field(default_factory=list)
    cited: list[Link] = field(default_factory=list)  # links inside the article body
    article_signals: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    extraction: Extraction | None = None  # the story, for article pages

    @property
    def is_article(self) -> bool:
        strong = {"og:type", "json-ld"}
        return bool(strong & set(self.article_signals)) or len(self.article_signals) >= 2


def analyse_html(
    url: str,
    text: str,
    *,
    origin: str | None = None,
    doc: HtmlElement | None = None,
    story: bool = False,
) -> PageInfo:
    """Analyse the HTML ``text`` of ``url``; ``origin`` ("feed", "sitemap") adds a signal.

    ``doc``: the already parsed tree of ``text`` (see :func:`parse_html`), read only.
    Pages with an article signal (and any page with ``story``: one of a known story's
    URLs) carry their :class:`~workers.parse.story.Extraction`, whose body decides the cited
    sources of an article.
    """
    info = PageInfo(url=url)
    doc = doc if doc is not None else parse_html(text)
    if doc is None:
        return info
    base = url
    for el in doc.iter("base"):
        href = el.get("href")
        if href:
            base = absolute_link(url, href) or url
        break
    info.base = base
    info.title = " ".join((doc.findtext(".//title") or "").split())
    info.language = doc.get("lang") or None
    og_type = None
    for el in doc.iter("meta"):
        prop = (el.get("property") or el.get("name") or "").lower()
        if prop == "og:type":
            og_type = (el.get("content") or "").strip().lower()
        elif prop == "og:url" and el.get("content") and info.og_url is None:
            info.og_url = absolute_link(base, el.get("content") or "")
        elif prop == "article:published_time" and not info.published:
            info.published = el.get("content")
        elif prop == "article:modified_time" and not info.modified:
            info.modified = el.get("content")
    for el in doc.iter("link"):
        rel = (el.get("rel") or "").lower().split()
        href = el.get("href")
        if not href:
            continue
        absolute = absolute_link(base, href)
        if absolute is None:
            continue
        if "canonical" in rel and info.canonical is None:
            info.canonical = absolute
        elif "alternate" in rel and (el.get("type") or "").lower() in FEED_TYPES:
            info.feeds.append(absolute)
        elif "stylesheet" in rel or "icon" in rel:
            info.requisites.append(absolute)
    structured = read_structured(doc)
    if og_type == "article":
        info.article_signals.append("og:type")
    if structured.is_article:
        info.article_signals.append("json-ld")
        info.published = info.published or structured.published
        info.modified = info.modified or structured.modified
        info.language = info.language or structured.language
    if _ARTICLE_URL.search(url):
        info.article_signals.append("url-shape")
    if origin in ("feed", "sitemap"):
        info.article_signals.append(origin)
    body = None
    # the story's own body is a signal too, but never the only one: look for it (and
    # for walls, which stand at article URLs) only where there is another
    if story or info.article_signals:
        from workers.parse.story import extract  # the story extractor reads pages parsed here

        info.extraction = extract(text, doc=doc)
        body = info.extraction.body
        if sum(len(b.text) for b in body.blocks) >= _MIN_BODY_CHARS:
            info.article_signals.append("story-body")
    info.requisites.extend(_requisites(doc, base))
    in_body = {id(a) for b in body.blocks for a in b.links} if body is not None else set()
    info.links = list(_links(doc, base, in_body))
    if info.is_article and body is not None:
        info.cited = cited_links(body.blocks, base)
    info.requisites = _unique(info.requisites)
    info.feeds = _unique(info.feeds)
    return info


def parse_html(text: str) -> HtmlElement | None:
    """The lxml tree of an HTML document, or ``None`` for an empty or unparsable one."""
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError):
        return None


def _region_of(el: HtmlElement, stop: HtmlElement | None) -> str:
    """The region of ``el``: the nearest marked ancestor below ``stop``, else "body"."""
    node: HtmlElement | None = el
    while node is not None and node is not stop:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _REGION_TAGS:
            return _REGION_TAGS[tag]
        role = (node.get("role") or "").lower()
        if role in _REGION_ROLES:
            return _REGION_ROLES[role]
        marks = f"{node.get('class') or ''} {node.get('id') or ''}"
        if marks.strip():
            for region, pattern in _REGION_WORDS:
                if pattern.search(marks):
                    return region
        node = node.getparent()
    return "body"


def _links(doc: HtmlElement, base: str, in_body: set[int]) -> Iterable[Link]:
    seen: set[tuple[str, str]] = set()
    for a in doc.iter("a", "area"):
        href = a.get("href")
        if not href:
            continue
        url = absolute_link(base, href)
        if url is None:
            continue
        if id(a) in in_body:
            region = _link_kind(a, url) or "body"
        else:
            region = _region_of(a, stop=None)
            region = "page" if region == "body" else region
        key = (url, region)
        if key in seen:
            continue
        seen.add(key)
        yield Link(url=url, text=_anchor(a), region=region)


def cited_links(blocks: Iterable[Block], base: str) -> list[Link]:
    """The cited sources of a story: the links of its body blocks that are not furniture
    (author, tag, topic, newsletter and share links), each URL once, in page order."""
    cited: dict[str, Link] = {}
    for block in blocks:
        for a in block.links:
            url = absolute_link(base, a.get("href") or "")
            if url is None or url in cited or _link_kind(a, url) is not None:
                continue
            cited[url] = Link(url=url, text=_anchor(a), region="body")
    return list(cited.values())


_NOT_CITED_PATH = re.compile(
    r"/(authors?|autor(en|es)?|auteurs?|journalists?|profiles?|people|redaktion|"
    r"tags?|topics?|themen?|thema|temas?|sujets?|keywords?|newsletters?|subscribe|"
    r"subscription|abo|abonnement|login|signin|register)(/|$|\?|\.)",
    re.I,
)
_SHARE_URL = re.compile(
    r"(facebook\.com/(sharer|share|dialog)|twitter\.com/(intent|share)|x\.com/intent|"
    r"t\.me/share|telegram\.me/share|wa\.me/|api\.whatsapp\.com/send|whatsapp:|"
    r"linkedin\.com/(share|cws/share)|reddit\.com/submit|pinterest\.[a-z.]+/pin/create|"
    r"vk\.com/share|viber:|mailto:|/share\?|[?&](share|u)=https?)",
    re.I,
)


def _link_kind(a: HtmlElement, url: str) -> str | None:
    """Why a link inside the body is not a citation ("author", "tag", "share"), or None."""
    rel = set((a.get("rel") or "").lower().split())
    if "author" in rel:
        return "author"
    if "tag" in rel:
        return "tag"
    if "sponsored" in rel:
        return "ad"
    if _SHARE_URL.search(url):
        return "share"
    if _NOT_CITED_PATH.search(urlsplit(url).path):
        return "author-or-tag"
    return None


def _anchor(a: HtmlElement) -> str:
    return " ".join(a.text_content().split())[:300]


def _requisites(doc: HtmlElement, base: str) -> Iterable[str]:
    for el in doc.iter("script"):
        if el.get("src"):
            yield from _abs(base, el.get("src"))
    for el in doc.iter("img", "source", "video", "audio"):
        srcset = el.get("srcset")
        if srcset:
            first = srcset.strip().split(",")[0].strip().split(" ")[0]
            yield from _abs(base, first)  # one candidate per srcset
        if el.get("src"):
            yield from _abs(base, el.get("src"))


def _abs(base: str, href: str | None) -> list[str]:
    url = absolute_link(base, href or "")
    return [url] if url else []


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# -- sitemaps --------------------------------------------------------------------------------
@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: datetime | None = None
    news_published: datetime | None = None


@dataclass
class Sitemap:
    kind: str  # "index", "urlset", "news", or "invalid"
    sitemaps: list[str] = field(default_factory=list)
    entries: list[SitemapEntry] = field(default_factory=list)


MAX_SITEMAP_BYTES = 64 * 1024 * 1024


def parse_sitemap(body: bytes, base: str) -> Sitemap:
    """Parse a sitemap index, URL set or Google News sitemap (plain or gzip)."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(body, MAX_SITEMAP_BYTES)
        except (zlib.error, gzip.BadGzipFile):
            return Sitemap("invalid")
    parser = lxml.etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, huge_tree=False
    )
    try:
        root = lxml.etree.fromstring(body, parser)
    except lxml.etree.XMLSyntaxError:
        return Sitemap("invalid")
    if root is None:
        return Sitemap("invalid")
    tag = lxml.etree.QName(root).localname
    if tag == "sitemapindex":
        locs = [_text(el, "loc") for el in root if _local(el) == "sitemap"]
        return Sitemap("index", sitemaps=[u for loc in locs if (u := absolute_link(base, loc))])
    if tag != "urlset":
        return Sitemap("invalid")
    sitemap = Sitemap("urlset")
    for el in root:
        if _local(el) != "url":
            continue
        url = absolute_link(base, _text(el, "loc"))
        if url is None:
            continue
        published = None
        for child in el.iter():
            if _local(child) == "publication_date":
                published = parse_date(child.text)
                sitemap.kind = "news"
        sitemap.entries.append(SitemapEntry(url, parse_date(_text(el, "lastmod")), published))
    return sitemap


def _local(el: lxml.etree._Element) -> str:
    return lxml.etree.QName(el).localname if isinstance(el.tag, str) else ""


def _text(el: lxml.etree._Element, name: str) -> str:
    for child in el:
        if _local(child) == name:
            return (child.text or "").strip()
    return ""


def parse_date(value: str | None) -> datetime | None:
    """An ISO-8601 / W3C datetime as aware UTC, or ``None``."""
    if not value:
        return None
    value = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# -- feeds -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FeedEntry:
    url: str
    updated: datetime | None
    title: str = ""


def parse_feed(body: bytes, base: str) -> list[FeedEntry] | None:
    """Entries of an RSS/Atom feed, or ``None`` if ``body`` is not a feed."""
    parsed = feedparser.parse(body, response_headers={"content-location": base})
    if not parsed.get("version") and not parsed.entries:
        return None
    entries = []
    for entry in parsed.entries:
        link = entry.get("link")
        url = absolute_link(base, link) if link else None
        if url is None:
            continue
        # "updated" only when the feed has it: feedparser warns on its fallback mapping
        stamp = (entry["updated_parsed"] if "updated" in entry else None) or entry.get(
            "published_parsed"
        )
        updated = datetime(*stamp[:6]).replace(tzinfo=UTC) if stamp else None
        entries.append(FeedEntry(url, updated, entry.get("title", "")))
    return entries


def is_feed_like(url: str, mime: str) -> bool:
    return (
        mime in FEED_TYPES
        or mime in ("application/rss+xml", "application/atom+xml")
        or url.endswith((".rss", ".atom", "/feed", "/rss", "/feed/", "/rss/"))
    )


def offsite(link: Link, page_url: str) -> bool:
    return host_of(link.url) != host_of(page_url)
