"""Structured data a page says about itself: JSON-LD and microdata. Pure functions.

News pages describe their story in ``<script type="application/ld+json">`` (schema.org
``NewsArticle`` and kin, often inside an ``@graph``) and sometimes in microdata
(``itemprop=headline``/``articleBody``). :func:`read_structured` gathers what the story
extractor, the article detector and the reference cleaner need from both, in one pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "blogposting",
        "liveblogposting",
        "report",
    }
)


@dataclass
class Structured:
    """What JSON-LD and microdata say about a page's story (all optional)."""

    types: set[str] = field(default_factory=set)  # every @type seen, lower-case
    headline: str | None = None
    body: str | None = None  # articleBody (JSON-LD or microdata text)
    free: bool | None = None  # isAccessibleForFree
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    language: str | None = None
    url: str | None = None  # the article's own url / mainEntityOfPage

    @property
    def is_article(self) -> bool:
        return bool(self.types & ARTICLE_TYPES)


def read_structured(doc: HtmlElement) -> Structured:
    """The :class:`Structured` data of a parsed page (empty when it has none)."""
    out = Structured()
    for item in _json_ld_items(doc):
        kind = item.get("@type")
        kinds = {str(k).lower() for k in (kind if isinstance(kind, list) else [kind]) if k}
        out.types |= kinds
        if kinds & ARTICLE_TYPES:
            _take_article(out, item)
    if out.headline is None:
        out.headline = _microdata_text(doc, "headline")
    if out.body is None:
        out.body = _microdata_text(doc, "articleBody")
    return out


def _take_article(out: Structured, item: dict[str, Any]) -> None:
    """Fill what is still unknown from one article item (the first article wins)."""
    for attr, key in (
        ("headline", "headline"),
        ("body", "articleBody"),
        ("published", "datePublished"),
        ("modified", "dateModified"),
        ("language", "inLanguage"),
    ):
        value = item.get(key)
        if isinstance(value, str) and value.strip() and getattr(out, attr) is None:
            setattr(out, attr, value)
    if out.url is None:
        for key in ("url", "mainEntityOfPage"):
            value = item.get(key)
            if isinstance(value, dict):
                value = value.get("@id") or value.get("url")
            if isinstance(value, str) and value.startswith(("http://", "https://", "/")):
                out.url = value
                break
    free = item.get("isAccessibleForFree")
    if out.free is None and free is not None:
        out.free = str(free).strip().lower() not in ("false", "0", "no")
    authors = item.get("author") or []
    for author in authors if isinstance(authors, list) else [authors]:
        name = author.get("name") if isinstance(author, dict) else author
        if isinstance(name, str) and name.strip() and name.strip() not in out.authors:
            out.authors.append(name.strip())


def _json_ld_items(doc: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object of the page's JSON-LD scripts, ``@graph`` members included."""
    for script in doc.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "null", strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                yield item
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(reversed(graph))


def _microdata_text(doc: HtmlElement, prop: str) -> str | None:
    for el in doc.xpath(f'//*[@itemprop="{prop}"]'):
        text = el.get("content") or " ".join(el.itertext())
        if text.strip():
            return text
    return None
