# ruff: noqa: RUF001  (furniture words in many scripts: full-width colons and dashes are intended)
"""Where the story sits in a page: its headline and body blocks. Pure functions over lxml.

Real outlets rarely mark their story up: the body sits in layout divs with meaningless
classes, among teaser cards that are ``<article>`` elements, in a ``<main>`` that holds
the whole page, inside an ASP.NET ``<form>``, or under an ancestor whose class reads like
furniture (``node--promoted``, ``sidebar-1``). So the body is found by what it *is*:

1. Every text block of the page is collected in document order: block elements
   (``p``, ``li``, ``h2``…) and runs of inline text between ``<br>``\\ s in layout divs.
2. Blocks that read as prose (long enough, few link characters) score, and their score
   flows to their parent, grandparent and great-grandparent (halving each step). A
   *guide* text (JSON-LD ``articleBody``, or a library's extraction) multiplies the score
   of the blocks it contains. Blocks under furniture marks (share, related, comments…)
   score less; blocks under ``nav``/``footer``/``aside`` or hidden never count.
3. The best-scoring element that is not another story (a container preceded by a headline
   of its own, or inside another ``<article>`` than the page's headline) is the
   container; it grows to its parent while the parent holds substantial prose outside
   it, and takes in prose between the headline and itself (a lead inside ``<header>``).
4. The body is the container's blocks, minus furniture *inside* it (marks below the
   container only: a mark on the container or above it says nothing), bylines, "read
   also" lines, ad labels, relative times, counters and link lists.

The links of the body blocks are the page's cited sources (see :mod:`workers.parse.discover`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from lxml.html import HtmlElement

from workers.parse.textnorm import clean_text, similarity, tokens

BLOCK_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd"})
HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
INLINE_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "big",
        "cite",
        "code",
        "data",
        "del",
        "dfn",
        "em",
        "font",
        "i",
        "img",
        "ins",
        "kbd",
        "label",
        "mark",
        "nobr",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "time",
        "tt",
        "u",
        "var",
        "wbr",
        "amp-img",
    }
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
        "select",
        "option",
        "input",
        "textarea",
        "figure",
        "figcaption",
        "picture",
        "video",
        "audio",
        "object",
        "embed",
        "canvas",
        "map",
        "head",
        "dialog",
        "amp-ad",
        "amp-analytics",
    }
)
# regions that are never the story, wherever they sit
HARD_TAGS = frozenset({"nav", "footer", "aside"})
HARD_ROLES = frozenset({"navigation", "contentinfo", "complementary", "banner", "dialog"})

# class/id words of furniture: matched against the words of class and id values
_MARK_WORDS = {
    "share": {"share", "sharing", "sharebar", "social", "socials", "sociallinks", "sharer"},
    "related": {
        "related",
        "recommended",
        "recommendations",
        "recommend",
        "teaser",
        "teasers",
        "trending",
        "popular",
        "mostread",
        "readalso",
        "readmore",
        "seealso",
        "alsoread",
        "promo",
        "outbrain",
        "taboola",
        "more-stories",
        "inline-related",
    },
    "comments": {"comment", "comments", "disqus", "discussion"},
    "nav": {"nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "pagination"},
    "footer": {"footer"},
    "aside": {
        "sidebar",
        "newsletter",
        "subscribe",
        "subscription",
        "signup",
        "widget",
        "paywall",
        "regwall",
    },
    "consent": {
        "consent",
        "cmp",
        "cookie",
        "cookies",
        "gdpr",
        "didomi",
        "onetrust",
        "usercentrics",
        "cookiebot",
        "qc-cmp2",
    },
    "media": {"video", "embed", "player", "gallery", "slideshow", "podcast", "audio"},
    "ad": {"ad", "ads", "adv", "advert", "advertisement", "adslot", "banner", "sponsor", "dfp"},
    "meta": {
        "byline",
        "author",
        "authors",
        "dateline",
        "meta",
        "credit",
        "credits",
        "caption",
        "timestamp",
        "date",
        "tags",
        "tag",
        "taglist",
        "keywords",
        "topics",
        "bio",
        "views",
        "counter",
        "toolbar",
    },
}
_MARK_BIGRAMS = {
    ("read", "also"): "related",
    ("also", "read"): "related",
    ("read", "more"): "related",
    ("see", "also"): "related",
    ("most", "read"): "related",
    ("more", "stories"): "related",
    ("more", "news"): "related",
    ("ad", "slot"): "ad",
    ("ad", "container"): "ad",
}
_WORD_OF_MARK = {w: region for region, words in _MARK_WORDS.items() for w in words}
_SPLIT_MARK = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")

# lines that are furniture by what they say (any script); matched on short blocks only
_READ_ALSO = re.compile(
    r"^\W*(read also|also read|read more|see also|related|more on this|recommended|"
    r"you may (also )?(like|be interested)|te puede interesar|te recomendamos|"
    r"vous aimerez aussi|das könnte sie auch interessieren|"
    r"lesen sie auch|mehr zum thema|lire aussi|à lire aussi|voir aussi|lee también|"
    r"leer más|leia também|veja também|leggi anche|czytaj też|czytaj także|"
    r"читайте також|також читайте|читайте также|также читайте|дивіться також|смотрите также|"
    r"اقرأ أيضا|اقرأ أيضاً|اقرأ ايضا|यह भी पढ़ें|ये भी पढ़ें|xem thêm|đọc thêm|"
    r"相关阅读|延伸阅读|相关新闻|推荐阅读|関連記事|あわせて読みたい|관련 기사|관련기사|"
    r"함께 볼 기사)\b\s*[:：\-–—]?",
    re.I,
)
_AD_LABEL = re.compile(
    r"^\W*(advertisement|advertising|anzeige|werbung|publicité|publicidad|publicidade|"
    r"pubblicità|реклама|إعلان|विज्ञापन|quảng cáo|广告|廣告|広告|광고|sponsored)\W*$",
    re.I,
)
_BYLINE = re.compile(
    r"^\W*(by|von|par|por|de|di|door|av|af|od|від|автор|авторка|автори|от|بقلم|द्वारा|"
    r"bởi|tác giả|作者|記者|文|기자)[\s:：]",
    re.I,
)
_RELATIVE_TIME = re.compile(
    r"\d+\s*(sec|secs|seconds?|min|mins|minutes?|hours?|hrs?|h|days?)\s+ago|"
    r"\d+\s*(хв|хвилин\w*|годин\w*|секунд\w*|минут\w*|час\w*)\s*(тому|назад)|"
    r"\bvor \d+|\bil y a \d+|\bhace \d+|\bhá \d+|منذ \d+|\d+ (मिनट|घंटे) पहले|"
    r"\d+\s*(分钟前|小时前|分前|時間前|분 전|시간 전)|\d+ (phút|giờ) trước|"
    r"^\W*(updated|update|оновлено|обновлено|aktualisiert|mis à jour|actualizado|"
    r"atualizado|cập nhật|更新)\W*(at|on|um|à|a las|lúc|о|в)?\s*\d",
    re.I,
)
_COUNTER = re.compile(
    r"^[\d\s.,kKmM]+\s*(views?|reads?|comments?|shares?|переглядів|просмотров|aufrufe|vues|"
    r"visitas|visualizações|lượt xem|次阅读|阅读|閲覧|조회|مشاهدة|बार देखा)?\W*$",
    re.I,
)
_COPYRIGHT = re.compile(
    r"^\W*(©|ⓒ|\(c\)|copyright\b|저작권자|版权所有|無断転載|all rights reserved)", re.I
)
_CREDITS = re.compile(
    r"^\W*((additional )?reporting|writing|editing|compiled|translated) by\b", re.I
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_KO_BYLINE = re.compile(r"\S+\s?(기자|특파원)(\s|$)")
_CLOCK = re.compile(r"^[\d\s:.,/\-]+(am|pm|h|uhr|ч)?$", re.I)  # 08:15, 1.12.2026
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")

MIN_PROSE = 25  # weighted characters of a block that reads as prose
MAX_PROSE_LINKS = 0.4  # share of a prose block's characters that are link text
MAX_BODY_LINKS = 0.6  # a body block with more link text is a link list


@dataclass(eq=False)
class Block:
    """One text block: a block element, or an inline run inside a layout element."""

    el: HtmlElement  # the block element, or the element holding the run
    run: bool
    text: str
    links: list[HtmlElement]
    link_chars: int
    order: int
    score: float = 0.0

    @property
    def tag(self) -> str:
        return "run" if self.run else str(self.el.tag)

    @property
    def link_density(self) -> float:
        return self.link_chars / max(1, len(self.text))

    @property
    def weight(self) -> int:
        """Length with CJK characters counted three times (they carry a word each)."""
        return len(self.text) + 2 * len(_CJK.findall(self.text))


@dataclass
class Body:
    """The located story: headline element, its text, the body blocks, the container."""

    headline: HtmlElement | None
    title: str
    blocks: list[Block] = field(default_factory=list)
    container: HtmlElement | None = None

    @property
    def paragraphs(self) -> list[str]:
        return [b.text for b in self.blocks]


def locate_body(
    doc: HtmlElement,
    *,
    titles: Iterable[str] = (),
    guide: str | None = None,
    trusted: bool = False,
) -> Body:
    """The :class:`Body` of a parsed page.

    ``titles``: what the page says its title is (og:title, JSON-LD headline, ``<title>``),
    to tell the story's ``h1`` from a logo or a second story's. ``guide``: a text known
    to be (most of) the story, to prefer the blocks it contains; ``trusted`` (the page's
    own structured body): short blocks it does not hold are dropped when it agrees with
    the rest.
    """
    blocks = list(collect_blocks(doc))
    headline = _headline(doc, list(titles))
    title = clean_text(_plain_text(headline)) if headline is not None else ""
    guide_grams = _grams(guide) if guide else None
    foreign = _foreign_blocks(blocks, headline)
    scores: dict[HtmlElement, float] = {}
    for block in blocks:
        block.score = _prose_score(block, guide_grams)
        if block in foreign:
            block.score *= 0.15
        node = block.el if block.run else block.el.getparent()
        share = block.score
        for _ in range(3):
            if node is None or share <= 0:
                break
            scores[node] = scores.get(node, 0.0) + share
            share /= 2
            node = node.getparent()
    if not scores:
        return Body(headline, title)
    container = _choose(scores, headline)
    if container is None:
        return Body(headline, title)
    container = _grow(container, headline, blocks)
    chosen = [b for b in blocks if _within(b.el, container)]
    chosen = _lead_blocks(blocks, chosen, headline, container) + chosen
    modules = _link_modules(chosen, container)
    body = [
        b
        for b in chosen
        if _is_body(b, container, title, headline) and not any(_within(b.el, m) for m in modules)
    ]
    if guide_grams is not None and trusted:
        body = _agreeing(body, guide_grams)
    return Body(headline, title, body, container)


# -- blocks ------------------------------------------------------------------------------
def collect_blocks(doc: HtmlElement) -> Iterator[Block]:
    """Every text block outside skipped and hard regions, in document order."""
    counter = iter(range(1 << 30))
    body = doc.find("body")
    yield from _walk(body if body is not None else doc, counter)


def _walk(el: HtmlElement, counter: Iterator[int]) -> Iterator[Block]:
    parts: list[str] = [el.text or ""]
    links: list[HtmlElement] = []
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if not tag or _skipped(child):
            pass
        elif tag == "br":
            yield from _run(el, parts, links, counter)
            parts, links = [], []
        elif tag in INLINE_TAGS and not _has_structure(child):
            _inline(child, parts, links)
        else:
            yield from _run(el, parts, links, counter)
            parts, links = [], []
            if tag in BLOCK_TAGS:
                block_parts: list[str] = []
                block_links: list[HtmlElement] = []
                _inline(child, block_parts, block_links, top=True)
                made = _block(child, False, block_parts, block_links, next(counter))
                if made is not None:
                    yield made
            else:
                yield from _walk(child, counter)
        if child.tail:
            parts.append(child.tail)
    yield from _run(el, parts, links, counter)


def _run(
    el: HtmlElement, parts: list[str], links: list[HtmlElement], counter: Iterator[int]
) -> Iterator[Block]:
    if any(p.strip() for p in parts):
        made = _block(el, True, parts, links, next(counter))
        if made is not None:
            yield made


def _block(
    el: HtmlElement, run: bool, parts: list[str], links: list[HtmlElement], order: int
) -> Block | None:
    text = clean_text("".join(parts))
    if not text:
        return None
    link_chars = sum(len(clean_text(_plain_text(a))) for a in links)
    return Block(el, run, text, links, min(link_chars, len(text)), order)


def _inline(
    el: HtmlElement, parts: list[str], links: list[HtmlElement], *, top: bool = False
) -> None:
    """Append the text of ``el`` (not its tail) to ``parts``; its links to ``links``."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if not top and (not tag or _skipped(el) or _inline_noise(el)):
        return
    if tag == "br":
        parts.append("\n")
        return
    if tag == "a" and el.get("href"):
        links.append(el)
    if tag in BLOCK_TAGS or tag in ("div", "section", "ul", "ol", "table", "tr"):
        parts.append(" ")  # a block inside a block still separates words
    parts.append(el.text or "")
    for child in el:
        _inline(child, parts, links)
        if child.tail:
            parts.append(child.tail)
    if tag in BLOCK_TAGS or tag in ("div", "section", "td", "th", "tr"):
        parts.append(" ")


def _plain_text(el: HtmlElement | None) -> str:
    if el is None:
        return ""
    parts: list[str] = []
    _inline(el, parts, [], top=True)
    return "".join(parts)


def _skipped(el: HtmlElement) -> bool:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in SKIP_TAGS or tag in HARD_TAGS:
        return True
    if (el.get("role") or "").lower() in HARD_ROLES:
        return True
    if el.get("hidden") is not None or (el.get("aria-hidden") or "").lower() == "true":
        return True
    style = (el.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def _inline_noise(el: HtmlElement) -> bool:
    """An inline element inside a paragraph that is furniture: a counter, an ad, a share."""
    region = mark_of(el)
    return region in ("ad", "share") or (region == "meta" and el.tag != "a")


def _has_structure(el: HtmlElement) -> bool:
    """True if an inline element wraps block structure (a teaser card in an ``<a>``)."""
    for d in el.iterdescendants():
        tag = d.tag if isinstance(d.tag, str) else ""
        if tag and tag not in INLINE_TAGS and tag != "br":
            return True
    return False


# -- marks -------------------------------------------------------------------------------
def mark_of(el: HtmlElement) -> str | None:
    """The furniture region an element's class or id names ("share", "related"…), or None."""
    value = f"{el.get('class') or ''} {el.get('id') or ''}"
    if not value.strip():
        return None
    words: list[str] = []
    for token in value.split():
        token_words = [w for w in _SPLIT_MARK.split(_CAMEL.sub("-", token).lower()) if w]
        whole = "".join(token_words)
        if whole in _WORD_OF_MARK:
            return _WORD_OF_MARK[whole]
        if token_words and token_words[0] == "more" and len(token_words) > 1:
            return "related"  # more-politics, more-from-section
        words.extend(token_words)
    for word in words:
        if word in _WORD_OF_MARK:
            return _WORD_OF_MARK[word]
    for pair in itertools.pairwise(words):
        if pair in _MARK_BIGRAMS:
            return _MARK_BIGRAMS[pair]
    return None


def _marked_below(el: HtmlElement, stop: HtmlElement | None) -> str | None:
    """The nearest furniture mark of ``el`` or an ancestor strictly below ``stop``."""
    node: HtmlElement | None = el
    while node is not None and node is not stop:
        region = mark_of(node)
        if region is not None:
            return region
        node = node.getparent()
    return None


# -- scoring -----------------------------------------------------------------------------
def _foreign_blocks(blocks: list[Block], headline: HtmlElement | None) -> set[Block]:
    """Blocks of other stories: teaser cards and appended stories, each opening with a
    heading of its own (an ``<article>`` without the page headline that starts with a
    heading, or a small box that starts with a linked heading)."""
    foreign: set[Block] = set()
    opens: dict[HtmlElement, bool] = {}  # element -> its first block is a heading
    for b in blocks:
        for node in _path(b.el):
            if node not in opens:
                opens[node] = b.tag in HEADINGS or b.tag == "h1"
    for b in blocks:
        article = _nearest(b.el, "article")
        if (
            article is not None
            and opens.get(article)
            and (headline is None or not _within(headline, article))
        ):
            foreign.add(b)
            continue
        node = b.el.getparent()
        for _ in range(2):
            if node is None:
                break
            first = next((c for c in node if isinstance(c.tag, str)), None)
            if (
                first is not None
                and first.tag in HEADINGS
                and first is not b.el
                and first.find(".//a") is not None
            ):
                foreign.add(b)
                break
            node = node.getparent()
    return foreign


def _prose_score(block: Block, guide: set[tuple[str, ...]] | None) -> float:
    if block.weight < MIN_PROSE or block.link_density > MAX_PROSE_LINKS:
        return 0.0
    if block.tag in HEADINGS or block.tag == "h1" or _furniture_text(block):
        return 0.0
    score = (1.0 + min(block.weight, 500) / 100) * (1.0 - block.link_density)
    if guide is not None:
        score *= 3.0 if _agrees(block.text, guide) else 0.5
    if _marked_below(block.el, None) is not None:
        score *= 0.3
    return score


def _furniture_text(block: Block) -> bool:
    """Bylines, "read also" lines, ad labels, relative times and counters, by their text."""
    text = block.text
    if len(text) > 250:
        return False
    if _READ_ALSO.match(text) or _AD_LABEL.match(text) or _COUNTER.match(text):
        return True
    if len(text) <= 120 and (_BYLINE.match(text) or _author_links(block)):
        return True
    if _CLOCK.match(text) or (len(text) <= 160 and _COPYRIGHT.match(text)):
        return True
    if len(text) <= 160 and _CREDITS.match(text):
        return True
    if len(text) <= 80 and (_EMAIL.search(text) or _KO_BYLINE.search(text)):
        return True
    if len(text) <= 40 and _all_bold(block):
        return True  # a signature line: the author's name, set in bold
    return len(text) <= 80 and bool(_RELATIVE_TIME.search(text))


def _all_bold(block: Block) -> bool:
    """True if every character of a paragraph sits in one ``<strong>``/``<b>``."""
    el = block.el
    if block.run or (el.text or "").strip():
        return False
    children = [c for c in el if isinstance(c.tag, str)]
    if len(children) != 1 or children[0].tag not in ("strong", "b"):
        return False
    return not (children[0].tail or "").strip()


def _author_links(block: Block) -> bool:
    for a in block.links:
        rel = (a.get("rel") or "").lower()
        href = (a.get("href") or "").lower()
        if "author" in rel or re.search(r"/(authors?|autor(en)?|auteurs?|journalist)/", href):
            return True
    return False


def _choose(scores: dict[HtmlElement, float], headline: HtmlElement | None) -> HtmlElement | None:
    """The best-scoring element that is not another story's (else the best one)."""
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    for el, score in ranked[:12]:
        if score <= 0:
            break
        if headline is not None and _other_story(el, headline):
            continue
        return el
    return ranked[0][0] if ranked and ranked[0][1] > 0 else None


def _other_story(el: HtmlElement, headline: HtmlElement) -> bool:
    """True if ``el`` belongs to another story than the page headline's."""
    if _within(headline, el):
        return False
    own = _nearest(headline, "article")
    theirs = _nearest(el, "article")
    if theirs is not None and own is not None and theirs is not own:
        return True
    common = _common_ancestor(el, headline)
    node = el.getparent()
    while node is not None and node is not common:
        for h in node.iter("h1", "h2"):
            if (
                h is not headline
                and not _within(h, el)
                and len(clean_text(_plain_text(h))) >= 15
                and (h.tag == "h1" or _precedes(h, el))
            ):
                return True
        node = node.getparent()
    return False


def _grow(container: HtmlElement, headline: HtmlElement | None, blocks: list[Block]) -> HtmlElement:
    """The container's nearest ancestor (up to four levels) holding substantial prose
    outside it (a body split by ad slots, live-blog entries), unless that prose is another
    story's."""
    node = container.getparent()
    for _ in range(4):
        if node is None or node.tag in ("body", "html"):
            break
        inside = outside = 0.0
        outside_blocks = []
        for b in blocks:
            if b.score <= 0 or not _within(b.el, node):
                continue
            if _within(b.el, container):
                inside += b.score
            elif b.weight >= 80:
                outside += b.score
                outside_blocks.append(b)
        if outside_blocks and _another_story(node, container, headline, outside_blocks):
            break
        if outside >= 0.3 * inside:
            container = node
        node = node.getparent()
    return container


def _another_story(
    node: HtmlElement, container: HtmlElement, headline: HtmlElement | None, found: list[Block]
) -> bool:
    """True if prose ``found`` in ``node`` (outside ``container``) is another story's: inside
    an ``<article>`` without the headline, or after a headline of its own."""
    for b in found:
        article = _nearest(b.el, "article")
        if (
            article is not None
            and (headline is None or not _within(headline, article))
            and not _within(container, article)
        ):
            return True
    for h in node.iter("h1", "h2", "h3"):
        if h is headline or _within(h, container) or not _headline_like(h):
            continue
        if any(_precedes(h, b.el) for b in found):
            return True
    return False


def _headline_like(h: HtmlElement) -> bool:
    """A heading that titles a story (not a subhead): an ``h1``, or a linked heading."""
    if h.tag == "h1":
        return True
    return h.find(".//a") is not None


def _lead_blocks(
    blocks: list[Block], chosen: list[Block], headline: HtmlElement | None, container: HtmlElement
) -> list[Block]:
    """Prose between the headline and the container (a lead inside ``<header>``)."""
    if headline is None or not chosen or _within(headline, container):
        return []
    common = _common_ancestor(headline, container)
    if common is None or _depth(container) - _depth(common) > 3:
        return []
    start = _order_after(blocks, headline)
    end = chosen[0].order
    return [
        b
        for b in blocks
        if start <= b.order < end
        and b.score > 0
        and b.weight >= 80  # a lead paragraph; a one-line standfirst is not the story
        and _within(b.el, common)
        and not _within(b.el, headline)
    ]


def _order_after(blocks: list[Block], el: HtmlElement) -> int:
    for b in blocks:
        if b.el is el or _within(b.el, el):
            return b.order + 1
    for b in blocks:
        if _precedes(el, b.el):
            return b.order
    return 1 << 30


def _link_modules(chosen: list[Block], container: HtmlElement) -> list[HtmlElement]:
    """Teaser modules inside the body: elements below the container whose text is a list
    of links with short decks (three or more links, a third of the characters linked)."""
    text: dict[HtmlElement, int] = {}
    linked: dict[HtmlElement, int] = {}
    links: dict[HtmlElement, int] = {}
    for b in chosen:
        for node in _path(b.el):
            if node is container:
                break
            text[node] = text.get(node, 0) + len(b.text)
            linked[node] = linked.get(node, 0) + b.link_chars
            links[node] = links.get(node, 0) + len(b.links)
    return [
        el
        for el, chars in text.items()
        if links[el] >= 3 and linked[el] >= 0.33 * chars and el is not container
    ]


def _is_body(
    block: Block, container: HtmlElement, title: str, headline: HtmlElement | None
) -> bool:
    if block.text == title or block.tag == "h1":
        return False
    card = _nearest(block.el, "article")
    if (
        card is not None
        and card is not container
        and _within(card, container)
        and (headline is None or not _within(headline, card))
    ):
        return False  # a teaser card inside the body
    if _marked_below(block.el, container) is not None:
        return False
    if block.link_density > MAX_BODY_LINKS:
        return False
    return not _furniture_text(block)


def _agreeing(body: list[Block], guide: set[tuple[str, ...]]) -> list[Block]:
    """With a guide that agrees with the body, drop the prose blocks it does not hold."""
    if not body:
        return body
    agree = [b for b in body if _agrees(b.text, guide)]
    covered = sum(len(b.text) for b in agree) / max(1, sum(len(b.text) for b in body))
    if covered < 0.7:
        return body  # a stale or partial guide: keep what the page shows
    return [b for b in body if b in agree or b.tag in HEADINGS or b.weight >= 80]


# -- guide text --------------------------------------------------------------------------
def _grams(text: str) -> set[tuple[str, ...]]:
    words = tokens(text)
    grams: set[tuple[str, ...]] = {(w,) for w in words}
    grams.update(zip(words, words[1:], words[2:], strict=False))
    return grams


def _agrees(text: str, guide: set[tuple[str, ...]]) -> bool:
    words = tokens(text)
    if len(words) < 3:
        return bool(words) and all((w,) in guide for w in words)
    trigrams = list(zip(words, words[1:], words[2:], strict=False))
    found = sum(1 for g in trigrams if g in guide)
    return found >= 0.6 * len(trigrams)


# -- the headline ------------------------------------------------------------------------
def _headline(doc: HtmlElement, titles: list[str]) -> HtmlElement | None:
    """The ``h1`` that names the story (the one most like the page's titles)."""
    candidates = [
        h
        for h in doc.iter("h1")
        if not _in_skipped(h) and _marked_below(h, None) not in ("consent", "aside")
    ]
    if not candidates:
        candidates = [h for h in doc.xpath('//*[@itemprop="headline"]') if isinstance(h.tag, str)]
    texts = [t for t in (clean_text(t) for t in titles) if t]
    best, best_score = None, -1.0
    for h in candidates:
        text = clean_text(_plain_text(h))
        if not text:
            continue
        score = max((similarity(text, t) for t in texts), default=0.0)
        score += 0.01 * min(len(text), 100) / 100  # a real headline over a logo
        if score > best_score:
            best, best_score = h, score
    return best


def _in_skipped(el: HtmlElement) -> bool:
    return any(_skipped(node) for node in _path(el))


# -- tree helpers ------------------------------------------------------------------------
def _path(el: HtmlElement) -> Iterator[HtmlElement]:
    node: HtmlElement | None = el
    while node is not None:
        yield node
        node = node.getparent()


def _within(el: HtmlElement, ancestor: HtmlElement) -> bool:
    return any(node is ancestor for node in _path(el))


def _nearest(el: HtmlElement, tag: str) -> HtmlElement | None:
    return next((node for node in _path(el) if node.tag == tag), None)


def _common_ancestor(a: HtmlElement, b: HtmlElement) -> HtmlElement | None:
    ancestors = set(_path(a))
    return next((node for node in _path(b) if node in ancestors), None)


def _depth(el: HtmlElement) -> int:
    return sum(1 for _ in _path(el))


def _precedes(a: HtmlElement, b: HtmlElement) -> bool:
    """True if ``a`` starts before ``b`` in document order."""
    line_a, line_b = a.sourceline or 0, b.sourceline or 0
    if line_a != line_b:
        return line_a < line_b
    for el in a.getroottree().getroot().iter():
        if el is a:
            return True
        if el is b:
            return False
    return False
