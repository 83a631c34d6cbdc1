"""Walls: pages that stand where a story should be. Pure functions over lxml.

A consent wall, a paywall teaser, a bot challenge or an error page served with 200 is
not a version of the story it hides: it is recorded as an event naming its kind. Each
is recognised by its own signals, and only when the page holds little story text of its
own (every real article carries a cookie banner somewhere):

``consent``    consent-manager markup (CMP, cookie, GDPR dialogs) holding more text than
               the story, or the story found inside it
``paywall``    JSON-LD ``isAccessibleForFree: false`` or paywall markup, with a teaser
``challenge``  bot-check pages (titles such as "Just a moment…", challenge forms, captchas)
``error``      "page not found" and the like in the title or headline, with no story
"""

from __future__ import annotations

import re
from typing import Literal

from lxml.html import HtmlElement

from workers.parse.structured import Structured

WallKind = Literal["consent", "paywall", "challenge", "error"]

_CONSENT = re.compile(
    r"consent|\bcmp|cookie|gdpr|didomi|onetrust|usercentrics|sp_message|qc-cmp|"
    r"truste|cookiebot|privacy-?wall",
    re.I,
)
_PAYWALL = re.compile(r"paywall|regwall|piano|premium-?(wall|content|only)|subscriber-?only", re.I)
_CHALLENGE_TITLE = re.compile(
    r"just a moment|attention required|checking your browser|are you a (robot|human)|"
    r"access denied|verify you are human|security check|ddos-guard|captcha|bot protection",
    re.I,
)
_CHALLENGE_MARKUP = re.compile(
    r"cf-challenge|cf-browser-verification|challenge-(form|platform|running)|g-recaptcha|"
    r"h-captcha|px-captcha|datadome",
    re.I,
)
_NOT_FOUND = re.compile(
    r"\b404\b|not found|page (does not|doesn't) exist|seite nicht gefunden|"
    r"page introuvable|no encontrada|não encontrada|non trovata|не найдена|не знайдено|"
    r"сторінку не знайдено|找不到|页面不存在|見つかりません|찾을 수 없|غير موجودة|नहीं मिला|"
    r"không tìm thấy",
    re.I,
)
SHORT_BODY = 600  # characters: a teaser, not a story


def detect_wall(
    doc: HtmlElement,
    *,
    title: str,
    body_chars: int,
    container: HtmlElement | None,
    structured: Structured,
) -> WallKind | None:
    """The kind of wall ``doc`` is, or None when it is (or may be) a story."""
    page_title = " ".join((doc.findtext(".//title") or "").split())
    markup = _markup(doc)
    if body_chars < 1000 and (
        _CHALLENGE_TITLE.search(page_title) or _CHALLENGE_MARKUP.search(markup)
    ):
        return "challenge"
    consent_chars, consent_holds_body = _consent_text(doc, container)
    if consent_holds_body or (
        body_chars < SHORT_BODY and consent_chars and consent_chars >= 2 * body_chars
    ):
        return "consent"
    if body_chars < SHORT_BODY and (structured.free is False or _PAYWALL.search(markup)):
        return "paywall"
    if body_chars < SHORT_BODY and (_NOT_FOUND.search(page_title) or _NOT_FOUND.search(title)):
        return "error"
    return None


def _markup(doc: HtmlElement) -> str:
    """The class, id and script-source values of the page, one string to search."""
    values = []
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for name in ("class", "id", "src", "action"):
            value = el.get(name)
            if value:
                values.append(value)
    return " ".join(values)


def _consent_text(doc: HtmlElement, container: HtmlElement | None) -> tuple[int, bool]:
    """Characters of text inside consent dialogs, and whether one holds ``container``."""
    total, holds = 0, False
    for el in doc.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "body", "script", "style"):
            continue
        marks = f"{el.get('class') or ''} {el.get('id') or ''}"
        if not _CONSENT.search(marks):
            continue
        parent = el.getparent()
        if parent is not None and any(
            _CONSENT.search(f"{p.get('class') or ''} {p.get('id') or ''}")
            for p in parent.iterancestors()
        ):
            continue  # counted with its outermost consent ancestor
        total += len(" ".join(" ".join(el.itertext()).split()))
        if container is not None and (container is el or el in container.iterancestors()):
            holds = True
    return total, holds
