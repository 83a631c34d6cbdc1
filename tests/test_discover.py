"""Discovery from HTML, sitemaps, feeds and robots.txt: pure functions on plain inputs."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

from workers.net.politeness import RobotsRules
from workers.parse.discover import analyse_html, parse_feed, parse_sitemap

STORY = "<p>" + "Talks resumed on Monday after a week of delays. " * 8 + "</p>"
ARTICLE = f"""<!doctype html><html lang="uk"><head><title>Talks resume</title>
<meta property="og:type" content="article">
<link rel="canonical" href="/news/politics/talks-resume-1234567">
<link rel="alternate" type="application/rss+xml" href="/feeds/rss.xml">
<link rel="stylesheet" href="/static/site.css"><script src="/static/app.js"></script>
</head><body>
<header><nav><a href="http://partner.example/nav">Partner</a>
<a href="/section/world/">World</a></nav></header>
<article _ngcontent-sc177="">
  <h1 _ngcontent-sc177="">Talks resume</h1>
  {STORY}
  <p>According to <a href="https://cited.example/report/1">the report</a>, and
     <a href="/news/politics/earlier-story-7654321">our earlier story</a>.</p>
  <p class="read-also">Read also: <a href="/news/world/teaser-1111111">Teaser</a></p>
  <img srcset="/img/a.webp 1x, /img/a@2x.webp 2x" src="/img/a.jpg">
  <div class="share-buttons"><a href="https://social.example/share?u=1">Share</a></div>
</article>
<aside class="related"><a href="https://other.example/related/2">Related</a></aside>
<section class="comments"><a href="https://commenter.example/x">me</a></section>
<footer><a href="https://footer.example/">Footer</a></footer>
</body></html>"""


def test_article_signals_citations_and_regions() -> None:
    page = analyse_html("http://news.example/news/politics/talks-resume-1234567", ARTICLE)
    assert page.is_article
    assert "og:type" in page.article_signals and "url-shape" in page.article_signals
    assert page.title == "Talks resume"
    assert page.language == "uk"
    assert page.canonical == "http://news.example/news/politics/talks-resume-1234567"
    assert [c.url for c in page.cited] == [
        "https://cited.example/report/1",
        "http://news.example/news/politics/earlier-story-7654321",
    ]
    assert page.cited[0].text == "the report"
    regions = {link.url: link.region for link in page.links}
    assert regions["http://partner.example/nav"] == "nav"
    assert regions["https://social.example/share?u=1"] == "share"
    assert regions["https://other.example/related/2"] in ("aside", "related")
    assert regions["https://commenter.example/x"] == "comments"
    assert regions["http://news.example/news/world/teaser-1111111"] == "related"  # read also
    assert regions["https://footer.example/"] == "footer"
    assert page.feeds == ["http://news.example/feeds/rss.xml"]
    assert page.requisites == [
        "http://news.example/static/site.css",
        "http://news.example/static/app.js",
        "http://news.example/img/a.webp",
        "http://news.example/img/a.jpg",
    ]


def test_a_section_page_is_not_an_article_and_cites_nothing() -> None:
    html = (
        "<html><body><nav><a href='/'>home</a></nav><article><h2><a href='/news/a-1'>"
        "A</a></h2></article><article><h2><a href='/news/b-2'>B</a></h2></article>"
        "</body></html>"
    )
    page = analyse_html("http://news.example/section/world/", html)
    assert not page.is_article
    assert page.cited == []
    assert {link.url for link in page.links} >= {"http://news.example/news/a-1"}


def test_json_ld_marks_an_article_without_og() -> None:
    html = (
        '<html><head><script type="application/ld+json">{"@graph": [{"@type": '
        '"NewsArticle", "datePublished": "2026-11-20T10:00:00Z", "inLanguage": "uk"}]}'
        f"</script></head><body><div>{STORY}</div></body></html>"
    )
    page = analyse_html("http://news.example/x", html)
    assert "json-ld" in page.article_signals and page.is_article
    assert page.published == "2026-11-20T10:00:00Z"


def test_garbage_and_empty_html_do_not_raise() -> None:
    for text in ["", "   ", "<<<>>>", "\x00\x01", "<?xml version='1.0'?><html/>"]:
        assert analyse_html("http://news.example/", text).links == []


def test_sitemap_index_news_sitemap_and_gzip() -> None:
    index = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>http://n.example/s/news.xml</loc></sitemap>
      <sitemap><loc>/s/all.xml.gz</loc></sitemap></sitemapindex>"""
    parsed = parse_sitemap(index, "http://n.example/sitemap_index.xml")
    assert parsed.kind == "index"
    assert parsed.sitemaps == ["http://n.example/s/news.xml", "http://n.example/s/all.xml.gz"]
    news = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
      xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url>
      <loc>http://n.example/a-1</loc><lastmod>2026-11-20T10:00:00+02:00</lastmod>
      <news:news><news:publication_date>2026-11-19</news:publication_date></news:news>
      </url></urlset>"""
    parsed = parse_sitemap(gzip.compress(news), "http://n.example/s/news.xml")
    assert parsed.kind == "news"
    (entry,) = parsed.entries
    assert entry.url == "http://n.example/a-1"
    assert entry.lastmod == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert entry.news_published == datetime(2026, 11, 19, tzinfo=UTC)
    assert parse_sitemap(b"not xml at all", "http://n.example/").kind == "invalid"


def test_rss_and_atom_feeds() -> None:
    rss = b"""<rss version="2.0"><channel><title>T</title><item><title>A</title>
      <link>http://n.example/a-1</link><pubDate>Thu, 19 Nov 2026 10:00:00 GMT</pubDate>
      </item></channel></rss>"""
    (entry,) = parse_feed(rss, "http://n.example/rss.xml") or []
    assert entry.url == "http://n.example/a-1"
    assert entry.updated == datetime(2026, 11, 19, 10, 0, tzinfo=UTC)
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><title>B</title>
      <link href="/b-2"/><updated>2026-11-20T00:00:00Z</updated><id>x</id></entry></feed>"""
    (entry,) = parse_feed(atom, "http://n.example/atom.xml") or []
    assert entry.url == "http://n.example/b-2"
    assert parse_feed(b"<html><body>no feed</body></html>", "http://n.example/") in (None, [])


def test_robots_rules() -> None:
    rules = RobotsRules.from_response(
        200,
        b"User-agent: *\nDisallow: /private/\nCrawl-delay: 3\nSitemap: http://n.example/sm.xml\n",
    )
    assert rules.allowed("http://n.example/news/a", "storyvault")
    assert not rules.allowed("http://n.example/private/x", "storyvault")
    assert rules.crawl_delay("storyvault") == 3.0
    assert rules.sitemaps() == ["http://n.example/sm.xml"]
    assert RobotsRules.from_response(404, b"").allowed("http://n.example/private/", "sv")
    assert not RobotsRules.from_response(503, b"").allowed("http://n.example/", "sv")
    assert not RobotsRules.from_response(None, b"").allowed("http://n.example/", "sv")
