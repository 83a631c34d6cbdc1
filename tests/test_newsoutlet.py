"""Tests proving the synthetic news outlet (``tests/support/newsoutlet.py``) is what it claims."""

from __future__ import annotations

import gzip
import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from tests.support.client import SimpleResponse, get
from tests.support.newsoutlet import (
    NEWS_NS,
    SITEMAP_NS,
    NewsOutlet,
    OutletFixture,
    OutletSpec,
    bench_spec,
    start_outlet,
)

SM = f"{{{SITEMAP_NS}}}"
NEWS = f"{{{NEWS_NS}}}"
ATOM = "{http://www.w3.org/2005/Atom}"
EPOCH = datetime(2024, 5, 20, tzinfo=UTC)

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}  # fmt: skip


class Links(HTMLParser):
    """Collects ``<a href>`` with their ancestors (``tag`` and ``tag.class``), and head links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[set[str]] = []
        self.anchors: list[tuple[str, frozenset[str]]] = []
        self.rel: dict[str, str] = {}  # rel value -> href of the last <a rel=...>
        self.head_links: list[dict[str, str]] = []
        self.metas: list[dict[str, str]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._script: dict[str, str] | None = None
        self.h1 = ""
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "href" in a:
            self.anchors.append((a["href"], frozenset().union(*self.stack)))
            if "rel" in a:
                self.rel[a["rel"]] = a["href"]
        elif tag == "link":
            self.head_links.append(a)
        elif tag == "meta":
            self.metas.append(a)
        elif tag == "script":
            self._script = a
        elif tag == "h1":
            self._in_h1 = True
        if tag not in _VOID:
            self.stack.append({tag, *(f"{tag}.{c}" for c in a.get("class", "").split())})

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False
        if tag not in _VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.scripts.append((self._script, data))
            self._script = None
        if self._in_h1:
            self.h1 += data

    def hrefs(self, inside: str | None = None, outside: str | None = None) -> list[str]:
        return [
            h
            for h, anc in self.anchors
            if (inside is None or inside in anc) and (outside is None or outside not in anc)
        ]

    def meta(self, prop: str) -> str | None:
        return next((m.get("content") for m in self.metas if m.get("property") == prop), None)


def parse(body: bytes) -> Links:
    p = Links()
    p.feed(body.decode("utf-8"))
    p.close()
    return p


def ok(url: str, headers: dict[str, str] | None = None) -> SimpleResponse:
    r = get(url, headers=headers)
    assert r.status == 200, (url, r.status, r.body[:200])
    return r


@pytest.fixture(scope="module")
def fx() -> Iterator[OutletFixture]:
    """A read-only outlet for this module (tests that mutate start their own)."""
    with start_outlet(OutletSpec(epoch=EPOCH)) as fixture:
        yield fixture


def test_robots_points_to_sitemap_index_on_the_request_host(fx: OutletFixture) -> None:
    text = ok(fx.url("/robots.txt")).body.decode()
    star = text.split("User-agent: *", 1)[1]
    assert f"Sitemap: {fx.base}/sitemap_index.xml" in text.splitlines()
    assert [ln.split(": ")[1] for ln in star.splitlines() if ln.startswith("Disallow")] == (
        fx.site.disallowed_paths()
    )
    assert "/private/" in fx.site.disallowed_paths()
    assert "Crawl-delay" not in text
    other = get(fx.url("/robots.txt"), headers={"Host": "outlet.test:8080"}).body.decode()
    assert "Sitemap: http://outlet.test:8080/sitemap_index.xml" in other
    with start_outlet(OutletSpec(crawl_delay=2.5), cited_hosts=()) as fx2:
        assert "Crawl-delay: 2.5" in ok(fx2.url("/robots.txt")).body.decode().splitlines()


def test_sitemaps_parse_and_list_the_articles(fx: OutletFixture) -> None:
    index = ET.fromstring(ok(fx.url("/sitemap_index.xml")).body)
    assert index.tag == f"{SM}sitemapindex"
    locs = [e.findtext(f"{SM}loc") for e in index.iter(f"{SM}sitemap")]
    assert locs == [fx.url("/sitemaps/news.xml"), fx.url("/sitemaps/articles.xml.gz")]

    news = ET.fromstring(ok(fx.url("/sitemaps/news.xml")).body)
    urls = list(news.iter(f"{SM}url"))
    assert [u.findtext(f"{SM}loc") for u in urls] == [
        fx.url(p) for p in fx.site.news_sitemap_articles()
    ]
    published = {}
    for u in urls:
        assert u.findtext(f"{SM}lastmod")
        pub = u.findtext(f"{NEWS}news/{NEWS}publication_date")
        assert pub is not None
        assert u.findtext(f"{NEWS}news/{NEWS}publication/{NEWS}language") == "uk"
        published[u.findtext(f"{SM}loc")] = datetime.fromisoformat(pub)
    old = fx.site.old_article()
    assert old is not None
    assert published[fx.url(old)] == EPOCH - timedelta(days=60)
    window = [loc for loc, when in published.items() if when >= EPOCH - timedelta(days=30)]
    assert set(published) - set(window) == {fx.url(old)}

    gz = ok(fx.url("/sitemaps/articles.xml.gz"))
    assert gz.header("Content-Type") in ("application/x-gzip", "application/gzip")
    assert gz.header("Content-Encoding") is None
    urlset = ET.fromstring(gzip.decompress(gz.body))
    assert [u.findtext(f"{SM}loc") for u in urlset.iter(f"{SM}url")] == fx.article_urls()
    assert all(u.findtext(f"{SM}lastmod") for u in urlset.iter(f"{SM}url"))
    assert len(fx.article_urls()) == 8


def test_feeds_parse_and_are_linked_from_the_homepage(fx: OutletFixture) -> None:
    expected = [fx.url(p) for p in fx.site.feed_articles()]
    assert expected and all("/news/politics/" in u for u in expected)
    rss = ET.fromstring(ok(fx.url("/feeds/rss.xml")).body)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    assert [i.findtext("link") for i in rss.iter("item")] == expected
    atom = ET.fromstring(ok(fx.url("/feeds/atom.xml")).body)
    assert atom.tag == f"{ATOM}feed"
    entries = list(atom.iter(f"{ATOM}entry"))
    assert [e.find(f"{ATOM}link").get("href") for e in entries] == expected  # type: ignore[union-attr]
    assert all(e.findtext(f"{ATOM}updated") for e in entries)

    home = parse(ok(fx.url("/")).body)
    alternates = {
        link["type"]: link["href"] for link in home.head_links if link.get("rel") == "alternate"
    }
    assert alternates == {
        "application/rss+xml": "/feeds/rss.xml",
        "application/atom+xml": "/feeds/atom.xml",
    }


def test_homepage_has_the_link_zoo(fx: OutletFixture) -> None:
    home = parse(ok(fx.url("/")).body)
    hrefs = home.hrefs()
    top = fx.site.homepage_articles()[0]
    for variant in (top, f"{top}?utm_source=x&utm_medium=y", f"{top}#comments", fx.url(top)):
        assert variant in hrefs
    for scheme in ("javascript:", "mailto:", "tel:", "data:"):
        assert any(h.startswith(scheme) for h in hrefs), scheme
    assert "/private/secret" in hrefs
    nav = home.hrefs(inside="nav")
    assert f"{fx.cited[0].base}/nav-partner" in nav
    assert {f"/section/{s}/" for s in fx.site.sections()} <= set(nav)
    footer = home.hrefs(inside="footer")
    assert "/calendar/2024/05/" in footer
    assert {f"{c.base}/footer/about" for c in fx.cited} <= set(footer)
    teasers = {h for h in hrefs if h.startswith("/news/") and "?" not in h and "#" not in h}
    assert teasers == set(fx.site.homepage_articles())
    assert fx.site.old_article() not in teasers


def test_section_pages_paginate_to_every_article(fx: OutletFixture) -> None:
    found: list[str] = []
    for section in fx.site.sections():
        pages = [f"/section/{section}/"]
        while True:
            page = parse(ok(fx.url(pages[-1])).body)
            found += [h for h in page.hrefs(inside="main") if h.startswith("/news/")]
            if "next" not in page.rel:
                break
            pages.append(urljoin(pages[-1], page.rel["next"]))
        assert pages == fx.site.section_pages(section)
        assert pages[1:] == [f"/section/{section}/?page=2"]
    assert sorted(found) == sorted(fx.site.article_urls())
    assert fx.site.old_article() in found
    assert get(fx.url("/section/politics/?page=3")).status == 404
    assert get(fx.url("/section/nope/")).status == 404
    assert get(fx.url("/section/politics")).status == 301


def test_article_markup_and_citations(fx: OutletFixture) -> None:
    path = fx.site.article_urls()[0]
    assert re.fullmatch(r"/news/politics/[a-z0-9-]+-\d{7}", path)
    r = ok(fx.url(path))
    body = r.body.decode()
    page = parse(r.body)
    info = fx.site.article(path)
    assert page.meta("og:type") == "article"
    ld = [json.loads(d) for a, d in page.scripts if a.get("type") == "application/ld+json"]
    assert len(ld) == 1 and ld[0]["@type"] == "NewsArticle"
    assert ld[0]["headline"] == info.headline == page.h1
    assert ld[0]["inLanguage"] == "uk"
    assert datetime.fromisoformat(ld[0]["datePublished"]) == info.published
    assert datetime.fromisoformat(ld[0]["dateModified"]) == info.modified
    canon = [link["href"] for link in page.head_links if link.get("rel") == "canonical"]
    assert canon == [fx.url(path)]
    assert '<link rel="stylesheet" href="/static/site.css">' in body
    assert '<script src="/static/app.js"' in body
    assert '_ngcontent-sc177=""' in body and 'srcset="' in body and "a@2x.webp 2x" in body

    in_body = page.hrefs(inside="div.article-body")
    cited = [h for h in in_body if urlsplit(h).netloc not in ("", urlsplit(fx.base).netloc)]
    assert cited == fx.site.expected_cited(path)
    assert cited == [f"{c.base}/report/{info.id}" for c in fx.cited]
    assert [h for h in in_body if h not in cited] == [fx.site.article_urls()[2]]  # "read also"

    outside = {urljoin(fx.url(path), h) for h in page.hrefs(outside="div.article-body")}
    not_cited = fx.expected_not_cited(path)
    assert set(not_cited) <= outside
    other_hosts = {u for u in outside if urlsplit(u).netloc != urlsplit(fx.base).netloc}
    other_hosts = {u for u in other_hosts if urlsplit(u).scheme in ("http", "https")}
    assert other_hosts == set(not_cited)
    assert not set(cited) & other_hosts
    for cls in ("div.share", "aside.related", "section.comments", "footer", "nav"):
        assert any(urlsplit(h).netloc in {urlsplit(c.base).netloc for c in fx.cited}
                   for h in page.hrefs(inside=cls)), cls  # fmt: skip


def test_requisites_are_served(fx: OutletFixture) -> None:
    assert ok(fx.url("/static/site.css")).header("Content-Type") == "text/css; charset=utf-8"
    assert ok(fx.url("/static/app.js")).body
    info = fx.site.article(fx.site.article_urls()[0])
    webp = ok(fx.url(f"/images/{info.id}/a@2x.webp"))
    assert webp.header("Content-Type") == "image/webp" and webp.body[8:12] == b"WEBP"
    assert ok(fx.url(f"/images/{info.id}/a.jpg")).header("Content-Type") == "image/jpeg"
    assert ok(fx.url("/private/secret")).body  # exists; robots forbids it


def test_noise_varies_unless_disabled(fx: OutletFixture) -> None:
    url = fx.article_urls()[0]
    first, second = ok(url).body, ok(url).body
    assert first != second
    strip = re.compile(rb'class="views">\d+<|content="[0-9a-f]{32}"|id="ad-[0-9a-f]+"')
    assert strip.sub(b"", first) == strip.sub(b"", second)  # only the noise differs
    with start_outlet(OutletSpec(noise=False), cited_hosts=("127.0.0.2",)) as quiet:
        url = quiet.article_urls()[0]
        assert ok(url).body == ok(url).body
        assert ok(quiet.url("/")).body == ok(quiet.url("/")).body


def test_same_spec_same_site() -> None:
    spec = OutletSpec(epoch=EPOCH, noise=False, cited_bases=["http://127.0.0.2:1"])
    a, b = NewsOutlet(spec), NewsOutlet(OutletSpec(**vars(spec)))
    assert a.article_urls() == b.article_urls()
    with start_outlet(spec, cited_hosts=()) as fa, start_outlet(spec, cited_hosts=()) as fb:
        host = {"Host": "outlet.test"}
        for path in ("/", fa.site.article_urls()[3], "/sitemaps/articles.xml.gz", "/feeds/rss.xml"):
            assert get(fa.url(path), headers=host).body == get(fb.url(path), headers=host).body
        assert fa.site.expected_cited(fa.site.article_urls()[0]) == [
            f"http://127.0.0.2:1/report/{fa.site.article(fa.site.article_urls()[0]).id}"
        ]


def test_conditional_requests() -> None:
    with start_outlet(cited_hosts=()) as fx:
        path = fx.site.article_urls()[1]
        r = ok(fx.url(path))
        etag, lm = r.header("ETag"), r.header("Last-Modified")
        assert etag is not None and lm is not None
        assert etag == fx.site.article(path).etag and etag.startswith('W/"')
        assert lm == format_datetime(fx.site.article(path).modified, usegmt=True)
        assert get(fx.url(path), headers={"If-None-Match": etag}).status == 304
        assert get(fx.url(path), headers={"If-Modified-Since": lm}).status == 304
        assert get(fx.url(path), headers={"If-None-Match": '"nope"'}).status == 200
        fx.site.add_paragraph(path, "Оновлення: нові подробиці.")
        again = get(fx.url(path), headers={"If-None-Match": etag})
        assert again.status == 200 and again.header("ETag") != etag
        assert "Оновлення: нові подробиці." in again.body.decode()
        assert get(fx.url(path), headers={"If-Modified-Since": lm}).status == 200
    with start_outlet(OutletSpec(noise=False), cited_hosts=()) as strong:
        etag = ok(strong.article_urls()[0]).header("ETag")
        assert etag is not None and etag.startswith('"')
    with start_outlet(OutletSpec(validators=False), cited_hosts=()) as none:
        r = get(none.article_urls()[0], headers={"If-None-Match": "*"})
        assert r.status == 200 and r.header("ETag") is None and r.header("Last-Modified") is None


def test_edits_move_and_remove() -> None:
    with start_outlet(OutletSpec(epoch=EPOCH)) as fx:
        site = fx.site
        a, b, c = site.article_urls()[:3]
        site.edit_headline(a, "Новий заголовок")
        page = parse(ok(fx.url(a)).body)
        assert page.h1 == "Новий заголовок"
        assert site.article(a).modified > EPOCH
        extra = f"{fx.cited[1].base}/report/extra"
        site.add_cited_link(a, extra, "нове джерело")
        page = parse(ok(fx.url(a)).body)
        assert page.hrefs(inside="div.article-body")[-2] == extra
        assert site.expected_cited(a)[-1] == extra

        when = datetime(2024, 5, 21, 8, 0, tzinfo=UTC)
        site.set_modified(b, when)
        urlset = ET.fromstring(gzip.decompress(ok(fx.url("/sitemaps/articles.xml.gz")).body))
        lastmod = {u.findtext(f"{SM}loc"): u.findtext(f"{SM}lastmod") for u in urlset}
        assert lastmod[fx.url(b)] == "2024-05-21T08:00:00+00:00"
        assert ok(fx.url(b)).header("Last-Modified") == "Tue, 21 May 2024 08:00:00 GMT"

        new = "/news/politics/renamed-story-7777777"
        site.move_article(b, new)
        moved = get(fx.url(b))
        assert moved.status == 301 and moved.header("Location") == fx.url(new)
        assert parse(ok(fx.url(new)).body).head_links[0]  # served at the new path
        assert new in site.article_urls() and b not in site.article_urls()
        news = ok(fx.url("/sitemaps/news.xml")).body.decode()
        assert fx.url(new) in news and fx.url(b) not in news

        site.remove_article(c)
        assert get(fx.url(c)).status == 404
        assert c not in ok(fx.url("/")).body.decode()
        site.remove_article(a, status=410)
        assert get(fx.url(a)).status == 410
        with pytest.raises(KeyError):
            site.edit_headline(a, "x")
    with start_outlet(OutletSpec(removed_status=410), cited_hosts=()) as fx:
        path = fx.site.article_urls()[0]
        fx.site.remove_article(path)
        assert get(fx.url(path)).status == 410


def test_calendar_trap() -> None:
    with start_outlet(cited_hosts=()) as fx:
        page = parse(ok(fx.url("/calendar/2024/12/")).body)
        assert {"/calendar/2024/11/", "/calendar/2025/01/"} <= set(page.hrefs(inside="main"))
        assert get(fx.url("/calendar/2024/13/")).status == 404
    with start_outlet(OutletSpec(calendar_trap=False), cited_hosts=()) as fx:
        assert get(fx.url("/calendar/2024/12/")).status == 404
        assert "/calendar/" not in ok(fx.url("/")).body.decode()


def test_cited_hosts_serve_reports_and_deeper_pages(fx: OutletFixture) -> None:
    fx.clear_logs()
    cited = fx.site.expected_cited(fx.site.article_urls()[0])[0]
    host = next(c for c in fx.cited if cited.startswith(c.base))
    other = next(c for c in fx.cited if c is not host)
    assert "Allow: /" in ok(host.url("/robots.txt")).body.decode()
    report = parse(ok(cited).body)
    rid = cited.rsplit("/", 1)[1]
    assert report.hrefs() == [f"/deeper/{rid}", f"{other.base}/elsewhere/{rid}"]
    assert ok(host.url(f"/deeper/{rid}")).body
    for path in ("/share?u=x", "/related/a", "/nav-partner", "/comments/1", "/footer/about"):
        ok(host.url(path))
    assert get(host.url("/nope")).status == 404
    assert fx.unexpected_cited_requests() == [
        host.url(p)
        for p in (f"/deeper/{rid}", "/share?u=x", "/related/a", "/nav-partner", "/comments/1",
                  "/footer/about", "/nope")
    ]  # fmt: skip


def test_bench_spec_is_big_and_quick() -> None:
    started = time.monotonic()
    spec = bench_spec(3000)
    site = NewsOutlet(spec)
    assert len(site.article_urls()) >= 3000 and len(set(site.article_urls())) == 3000
    assert not spec.calendar_trap and spec.noise
    assert sum(len(site.section_pages(s)) for s in site.sections()) == 120
    assert time.monotonic() - started < 3
