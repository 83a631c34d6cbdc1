"""Story text and its fingerprint: what decides that a story has a new version.

The story text of an article is its headline and body paragraphs, with markup,
furniture and per-request noise removed and whitespace and Unicode normalised. It is made
by a named, versioned extractor (:data:`EXTRACTOR`), in layers:

1. **structured data**: JSON-LD ``NewsArticle``/``Article`` (or microdata) ``headline``
   and ``articleBody``, used as the *guide* to the visible body when they agree with it
   (the paragraphs always come from what the page shows, so noise stays out and the
   fingerprint does not depend on how a CMS serialises its JSON);
2. **a library**: trafilatura's extraction is the guide where there is no structured
   body (and the text itself when the page shows no body of its own);
3. **our own scoring** of the page's blocks (:mod:`workers.parse.storybody`), which needs no
   ``<article>`` or ``<main>``.

A page with a headline and a body is a story whatever its length; a wall (consent,
paywall, bot challenge, error page; :mod:`workers.parse.walls`) is not, and says which it is.
The fingerprint is the sha256 of the story text; fingerprints are only compared when the
same extractor made them (see :mod:`workers.crawl.local`).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import threading
from dataclasses import dataclass
from typing import Any

import structlog
from lxml.html import HtmlElement

from workers.parse.discover import parse_html
from workers.parse.storybody import Body, locate_body
from workers.parse.structured import Structured, read_structured
from workers.parse.textnorm import clean_text
from workers.parse.walls import WallKind, detect_wall

log = structlog.get_logger(__name__)

# Bump STORY_RULES whenever a change to this module, storybody or walls can change the
# story text of some page: stories captured before are then fingerprinted again.
STORY_RULES = 2
MIN_GUIDE_CHARS = 80  # a structured body shorter than this is a teaser, not a guide


def _library_version() -> str:
    try:
        return importlib.metadata.version("trafilatura")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a broken install
        return "none"


EXTRACTOR = f"storyvault-story/{STORY_RULES} trafilatura/{_library_version()}"


@dataclass(frozen=True)
class Story:
    """The normalised story of an article capture."""

    title: str
    body: str  # paragraphs joined by "\n"
    language: str | None = None
    method: str = "none"  # "json-ld", "trafilatura", "scoring", "json-ld-text", ...
    wall: WallKind | None = None
    extractor: str = EXTRACTOR

    @property
    def text(self) -> str:
        return f"{self.title}\n\n{self.body}" if self.title else self.body

    @property
    def fingerprint(self) -> str:
        return "sha256:" + hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def usable(self) -> bool:
        """True for a story (a headline and a body, and not a wall): it can make a version."""
        return bool(self.title and self.body) and self.wall is None


@dataclass(frozen=True)
class Extraction:
    """A story and where it was found, for the callers that need the blocks (citations)."""

    story: Story
    body: Body
    structured: Structured


def extract_story(html: str, *, doc: HtmlElement | None = None, library: bool = True) -> Story:
    """The :class:`Story` of an article page's HTML (empty when there is none).

    ``doc``: the already parsed tree of ``html`` (read only), to parse a page once.
    ``library``: consult the extraction library when the page has no structured body.
    """
    return extract(html, doc=doc, library=library).story


def extract(html: str, *, doc: HtmlElement | None = None, library: bool = True) -> Extraction:
    """The story of a page with the body blocks it came from (see :func:`extract_story`)."""
    if doc is None:
        doc = parse_html(html)
    if doc is None:
        return Extraction(Story("", ""), Body(None, ""), Structured())
    structured = read_structured(doc)
    titles = [t for t in (_meta(doc, "og:title"), structured.headline, _page_title(doc)) if t]
    guide, method, trusted = None, "scoring", False
    if structured.body and len(clean_text(structured.body)) >= MIN_GUIDE_CHARS:
        guide, method, trusted = structured.body, "json-ld", True
    elif library:
        guide = _library_text(html)
        method = "trafilatura" if guide else "scoring"
    body = locate_body(doc, titles=titles, guide=guide, trusted=trusted)
    paragraphs = body.paragraphs
    if not paragraphs and guide:
        paragraphs = [p for p in (clean_text(line) for line in guide.splitlines()) if p]
        method += "-text"
    title = (
        body.title
        or clean_text(structured.headline or "")
        or clean_text(titles[0] if titles else "")
    )
    paragraphs = [p for p in paragraphs if p != title]
    text = "\n".join(paragraphs)
    wall = detect_wall(
        doc,
        title=title,
        body_chars=sum(len(p) for p in body.paragraphs),  # what the page shows
        container=body.container,
        structured=structured,
    )
    language = _language(doc, structured, f"{title}\n{text}")
    story = Story(title, "" if wall else text, language, method, wall)
    return Extraction(story, body, structured)


def _meta(doc: HtmlElement, name: str) -> str | None:
    for meta in doc.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == name:
            content = meta.get("content")
            if content and content.strip():
                return str(content)
    return None


def _page_title(doc: HtmlElement) -> str | None:
    title = doc.findtext(".//title")
    return str(title) if title else None


def _library_text(html: str) -> str | None:
    """trafilatura's main text of ``html`` (precision first, no comments or tables).

    ``fast``: no second opinion from its justext/readability fallbacks; measured on the
    corpus it changes no story and halves the library's time (about 3.5 ms a page).
    """
    import trafilatura  # lazy: a second of imports that only article pages need

    try:
        text = trafilatura.extract(
            html,
            include_comments=False,
            include_tables=False,
            favor_precision=True,
            fast=True,
            deduplicate=False,
        )
    except Exception as exc:  # the library's own parse failures: fall back to scoring
        log.debug("library_extraction_failed", error=repr(exc))
        return None
    return text if text and len(text) >= MIN_GUIDE_CHARS else None


# -- language ------------------------------------------------------------------------------
def _language(doc: HtmlElement, structured: Structured, text: str) -> str | None:
    """The markup's language, unless the text says otherwise with confidence."""
    declared = doc.get("lang") or structured.language or _meta(doc, "og:locale")
    declared = declared.strip().replace("_", "-") if declared else None
    if len(text) < 40:
        return declared or None
    detected, confidence = _detect(text[:4000])
    if declared is None:
        return detected if confidence >= 0.5 else None
    if detected != declared.split("-")[0].lower() and confidence >= 0.95:
        return detected
    return declared


def _detect(text: str) -> tuple[str, float]:
    lang, prob = _identifier().classify(text)
    return str(lang), float(prob)


def warm_up() -> None:
    """Load what the first story would otherwise wait for: the extraction library and
    the language model (a process that reads pages calls this once, at its start)."""
    import trafilatura  # noqa: F401

    _identifier()


_IDENTIFIER_LOCK = threading.Lock()


@functools.cache
def _identifier() -> Any:
    # loaded once: parse threads reaching here together would each load the model
    with _IDENTIFIER_LOCK:
        return _load_identifier()


@functools.cache
def _load_identifier() -> Any:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
