"""Fuzzing the parsers that read what servers send: HTML (story and discovery), feeds,
sitemaps and robots.txt. Whatever the bytes, they return a value and never raise.

A few seconds in ``make test`` (``max_examples`` below); ``make chaos`` runs them longer
with ``HYPOTHESIS_PROFILE=chaos``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workers.net.politeness import RobotsRules
from workers.parse.discover import analyse_html, parse_feed, parse_sitemap
from workers.parse.story import extract_story

settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("chaos", max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

URL = "http://127.0.0.1/news/2026/12/01/story-1234567"
TAGS = ["p", "div", "article", "main", "h1", "h2", "a", "br", "script", "li", "ul", "form"]
ATTRS = [
    "",
    ' class="article-body"',
    ' class="share"',
    ' class="node--promoted"',
    ' href="/x"',
    ' href="https://other.example/report"',
    ' itemprop="articleBody"',
    ' role="dialog"',
    " hidden",
]
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=60)


@st.composite
def html_like(draw: st.DrawFn) -> str:
    """Tag soup: real tag names and classes, unbalanced, with any text between."""
    parts = []
    for _ in range(draw(st.integers(0, 40))):
        tag = draw(st.sampled_from(TAGS))
        kind = draw(st.sampled_from(["open", "close", "text", "jsonld"]))
        if kind == "open":
            parts.append(f"<{tag}{draw(st.sampled_from(ATTRS))}>")
        elif kind == "close":
            parts.append(f"</{tag}>")
        elif kind == "jsonld":
            body = draw(TEXT).replace("<", "")
            parts.append(
                '<script type="application/ld+json">{"@type": "NewsArticle", '
                f'"headline": "{body}", "articleBody": {draw(st.sampled_from(["1", "null", "[]"]))}'
                "}</script>"
            )
        else:
            parts.append(draw(TEXT))
    return "".join(parts)


@given(html_like())
def test_story_and_discovery_of_tag_soup_never_raise(html: str) -> None:
    story = extract_story(html)
    assert isinstance(story.fingerprint, str)
    page = analyse_html(URL, html)
    assert all(link.url.startswith(("http://", "https://")) for link in page.cited)


@given(st.binary(max_size=2000))
def test_html_from_any_bytes_never_raises(body: bytes) -> None:
    text = body.decode("utf-8", errors="replace")
    extract_story(text)
    analyse_html(URL, text)


@given(st.binary(max_size=2000) | html_like().map(str.encode))
def test_feeds_and_sitemaps_from_any_bytes_never_raise(body: bytes) -> None:
    parse_feed(body, URL)
    sitemap = parse_sitemap(body, URL)
    assert sitemap.kind in ("index", "urlset", "news", "invalid")


@given(st.integers(100, 599) | st.none(), st.binary(max_size=2000))
def test_robots_from_any_response_never_raises(status: int | None, body: bytes) -> None:
    rules = RobotsRules.from_response(status, body)
    assert isinstance(rules.allowed(URL, "storyvault"), bool)
