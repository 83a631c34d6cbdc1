"""Story text and its fingerprint: what decides that a story has a new version.

The story text of an article is its title and body text, with markup, boilerplate and
per-request noise removed and whitespace and Unicode normalised. Noise that must never
make a version (view counters, ad slots, CSRF tokens, Angular ``_ngcontent-*``
attributes, share buttons, related links, comments) lives outside the text extracted here:
attributes are never text, and non-story regions are skipped.

The fingerprint is the sha256 of the story text. An extraction shorter than
``MIN_STORY_CHARS`` (a bot wall, an error page, a consent screen) is not a story: it never
makes a version.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from lxml.html import HtmlElement

from workers.discover import _region_of, article_body, parse_html

MIN_STORY_CHARS = 200
BLOCK_TAGS = (
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "li",
    "blockquote",
    "pre",
    "figcaption",
    "td",
    "th",
    "dd",
    "dt",
)
SKIP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "iframe",
        "button",
        "form",
        "select",
        "input",
        "textarea",
        "time",
    }
)
# classes/ids of inline noise inside an article body: counters, ads, timestamps of "now"
_NOISE = re.compile(
    r"views?|counter|hits|\bad[-_s]|^ad\b|advert|sponsor|banner|promo|"
    r"csrf|token|timestamp|clock|live-?time|share|social",
    re.I,
)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Story:
    """The normalised story of an article capture."""

    title: str
    body: str
    language: str | None = None

    @property
    def text(self) -> str:
        return f"{self.title}\n\n{self.body}" if self.title else self.body

    @property
    def fingerprint(self) -> str:
        return "sha256:" + hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def usable(self) -> bool:
        """False for near-empty extractions, which never make a version."""
        return len(self.body) >= MIN_STORY_CHARS


def normalise(text: str) -> str:
    """NFC, no control or zero-width characters, single spaces, trimmed."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(
        ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\n\t"
    )
    return _SPACE.sub(" ", text).strip()


def extract_story(html: str, *, doc: HtmlElement | None = None) -> Story:
    """The :class:`Story` of an article page's HTML (empty when there is none).

    ``doc``: the already parsed tree of ``html`` (read only), to parse a page once.
    """
    if doc is None:
        doc = parse_html(html)
    if doc is None:
        return Story("", "")
    language = doc.get("lang") or None
    body = article_body(doc)
    title = _title(doc, body)
    if body is None:
        return Story(title, "", language)
    paragraphs = []
    for el in body.iter(*BLOCK_TAGS):
        if _inside_block(el, body) or _excluded(el, body):
            continue
        text = normalise(_text_of(el))
        if text and text != title:
            paragraphs.append(text)
    return Story(title, "\n".join(paragraphs), language)


def _title(doc: HtmlElement, body: HtmlElement | None) -> str:
    for scope in (body, doc):
        if scope is None:
            continue
        for h1 in scope.iter("h1"):
            text = normalise(_text_of(h1))
            if text:
                return text
    for meta in doc.iter("meta"):
        if (meta.get("property") or "").lower() == "og:title" and meta.get("content"):
            return normalise(meta.get("content") or "")
    return normalise(doc.findtext(".//title") or "")


def _inside_block(el: HtmlElement, body: HtmlElement) -> bool:
    """True if an ancestor below ``body`` is itself a block we take whole (no doubles)."""
    node = el.getparent()
    while node is not None and node is not body:
        if node.tag in BLOCK_TAGS:
            return True
        node = node.getparent()
    return False


def _excluded(el: HtmlElement, body: HtmlElement) -> bool:
    return _region_of(el, stop=body) != "body"


def _text_of(el: HtmlElement) -> str:
    """Text of ``el`` without scripts, styles, noise elements or their tails' markup."""
    parts: list[str] = []

    def walk(node: HtmlElement) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        marks = f"{node.get('class') or ''} {node.get('id') or ''}" if tag else ""
        skip = tag in SKIP_TAGS or (node is not el and marks.strip() and _NOISE.search(marks))
        if not skip:
            if node.text and tag:
                parts.append(node.text)
            for child in node:
                walk(child)
        if node is not el and node.tail:
            parts.append(node.tail)

    walk(el)
    return " ".join(parts)
