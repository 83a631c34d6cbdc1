"""Canonical URLs, link filtering and scope: pure functions."""

from __future__ import annotations

import pytest

from workers.parse.urls import Scope, absolute_link, canonical, host_of, safe_url, trap_reason


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://News.Example:80/a?utm_source=x&id=1#top", "http://news.example/a?id=1"),
        ("https://news.example:443", "https://news.example/"),
        ("http://news.example/a?fbclid=1&gclid=2&utm_medium=m", "http://news.example/a"),
        ("http://news.example/%7Euser/", "http://news.example/~user/"),
    ],
)
def test_canonical_equivalents(a: str, b: str) -> None:
    assert canonical(a) == canonical(b) == b


def test_canonical_keeps_meaningful_query_and_port() -> None:
    assert canonical("http://n.example:8080/a?page=2&q=x") == "http://n.example:8080/a?page=2&q=x"
    assert host_of("http://N.example:8080/x") == "n.example:8080"


@pytest.mark.parametrize(
    "href",
    [
        "javascript:void(0)",
        "mailto:a@b.c",
        "tel:+380",
        "data:,x",
        "#top",
        "",
        "ftp://x/y",
        "http://[bad",
    ],
)
def test_links_that_are_not_fetched(href: str) -> None:
    assert absolute_link("http://news.example/a/b", href) is None


def test_relative_links_resolve_without_fragment() -> None:
    assert absolute_link("http://news.example/a/b", "../c?x=1#f") == "http://news.example/c?x=1"


def test_scope_hosts_prefixes_exclusions_and_traps() -> None:
    scope = Scope(
        hosts=frozenset({"news.example"}),
        prefixes=("/news/", "/section/"),
        exclude=(r"/print/",),
        max_path_depth=5,
        max_repeats=2,
    )
    assert scope.reason_out("http://news.example/news/a-1") is None
    assert scope.reason_out("http://other.example/news/a") == "other host"
    assert scope.reason_out("http://news.example/about") == "outside path prefixes"
    assert "excluded" in (scope.reason_out("http://news.example/news/print/a") or "")
    assert trap_reason("/a/b/a/b/a/b", 12, 2) is not None
    assert trap_reason("/1/2/3/4/5/6", 5, 2) is not None
    assert trap_reason("/news/politics/story-1", 12, 2) is None


@pytest.mark.parametrize(
    ("href", "valid"),
    [
        ("/a b.html", "http://news.example/a%20b.html"),
        ("a b.html", "http://news.example/dir/a%20b.html"),
        ("/straße", "http://news.example/stra%C3%9Fe"),
        ("/stra%C3%9Fe", "http://news.example/stra%C3%9Fe"),
        ("/s?q=ä b", "http://news.example/s?q=%C3%A4%20b"),
        ("http://bücher.example/", "http://xn--bcher-kva.example/"),
        ("http://BÜCHER.example/a b", "http://xn--bcher-kva.example/a%20b"),
    ],
)
def test_links_are_made_valid_urls(href: str, valid: str) -> None:
    """WHATWG: spaces and non-ASCII percent-encoded as UTF-8, hosts in IDNA form."""
    assert absolute_link("http://news.example/dir/", href) == valid
    assert safe_url(valid) == valid
    assert canonical(valid) == canonical(absolute_link("http://news.example/dir/", href) or "")


def test_spelled_differently_is_the_same_url() -> None:
    assert canonical("http://news.example/a b") == canonical("http://news.example/a%20b")
    assert canonical("http://bücher.example/x") == "http://xn--bcher-kva.example/x"
    assert host_of("http://bücher.example:8080/") == "xn--bcher-kva.example:8080"
    assert safe_url(" http://news.example/a b ") == "http://news.example/a%20b"


def test_frontier_start_pages_are_valid_urls() -> None:
    from workers.core.types import FrontierItem

    for item in (
        FrontierItem.seed("http://bücher.example/a b"),
        FrontierItem.recrawl("http://bücher.example/a b"),
    ):
        assert item.url == "http://xn--bcher-kva.example/a%20b"
        assert item.host == "xn--bcher-kva.example"
