# ruff: noqa: RUF001  (noise and edit texts in many scripts: the letters are intended)
"""The page corpus: hand-written article pages in the shapes real outlets serve.

Each page is ``tests/corpus/pages/<name>.html`` (a template) and ``<name>.json`` (what a
reader sees: title, body paragraphs, citations, ...). Templates hold placeholders:

* ``{{origin}}``: the outlet's own origin (``https://www.outlet.example`` or a test
  server's base URL), in the HTML and in the expected URLs;
* ``{{noise:KIND}}``: filled per fetch (:data:`NOISE_KINDS`), deterministic per fetch
  number; ``{{noise:related:a}}`` is a single related link instead of list items;
* ``{{p}}...{{/p}}``: around the markup of a plain body paragraph (no links, no inline
  markup); edits add and remove paragraphs there. Rendering removes the markers.

API:

* :func:`load_corpus` -> list of :class:`CorpusPage` (``name``, ``template``,
  ``expected``); :meth:`CorpusPage.render`, :meth:`CorpusPage.url`,
  :meth:`CorpusPage.expected_for`;
* :func:`edit` -> a new :class:`CorpusPage` with one edit of :data:`EDIT_KINDS`, applied
  to the visible text and to JSON copies of it (JSON-LD ``articleBody``, ``__NEXT_DATA__``);
* :func:`token_f1`, :func:`score_page` (against the project's extractor);
* :func:`corpus_app`: an aiohttp app serving the pages (see :class:`CorpusSite`);
* ``python -m tests.support.corpus``: the per-page report with totals.
"""

from __future__ import annotations

import dataclasses
import html as htmllib
import json
import random
import re
import sys
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from aiohttp import web

__all__ = [
    "CORPUS_DIR",
    "EDIT_KINDS",
    "NOISE_KINDS",
    "SITE",
    "CorpusPage",
    "CorpusSite",
    "PageScore",
    "corpus_app",
    "edit",
    "extract",
    "load_corpus",
    "main",
    "score_page",
    "token_f1",
    "tokens",
]

CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus" / "pages"
DEFAULT_ORIGIN = "https://www.outlet.example"
NOISE_KINDS = ("counter", "nonce", "related", "updated", "ad", "clock")
EditKind = Literal["word", "add", "remove", "headline"]
EDIT_KINDS: tuple[EditKind, ...] = ("word", "add", "remove", "headline")
WALL_KINDS = ("consent", "paywall", "challenge", "error")

_PLACEHOLDER = re.compile(r"\{\{noise:([a-z]+)(?::([a-z]+))?\}\}")
_MARK = re.compile(r"\{\{/?p\}\}")
_MARKED = re.compile(r"\{\{p\}\}(.*?)\{\{/p\}\}", re.S)
_SPACE = re.compile(r"\s+")
_CJK = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff"
    r"\u3130-\u318f]"
)
_SEGMENT = re.compile(
    r"(<script\b[^>]*>.*?</script\s*>|<style\b[^>]*>.*?</style\s*>|<!--.*?-->|<[^>]*>"
    r"|\{\{[^}]*\}\})",
    re.S | re.I,
)


# -- pages -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CorpusPage:
    """One corpus page: its template and what a reader of it sees."""

    name: str
    template: str
    expected: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.expected["kind"])

    @property
    def is_story(self) -> bool:
        return self.kind == "story"

    @property
    def path(self) -> str:
        """The page's path on its outlet (``/news/...``)."""
        return str(self.expected["url"]).removeprefix("{{origin}}") or "/"

    @property
    def status(self) -> int:
        return int(self.expected.get("status", 200))

    def url(self, origin: str = DEFAULT_ORIGIN) -> str:
        return str(self.expected["url"]).replace("{{origin}}", origin)

    def expected_for(self, origin: str = DEFAULT_ORIGIN) -> dict[str, Any]:
        """``expected`` with ``{{origin}}`` substituted."""
        return json.loads(json.dumps(self.expected).replace("{{origin}}", origin))  # type: ignore[no-any-return]

    def render(self, origin: str = DEFAULT_ORIGIN, fetch: int = 0) -> str:
        """The page as fetch number ``fetch`` serves it: same ``fetch``, same text."""
        noise = _Noise(self.name, fetch, str(self.expected.get("language") or "en"), origin)
        text = _MARK.sub("", self.template).replace("{{origin}}", origin)
        return _PLACEHOLDER.sub(noise.fill, text)


def load_corpus(directory: Path = CORPUS_DIR) -> list[CorpusPage]:
    """Every page of the corpus, by name. Raises ``ValueError`` on a page without its JSON."""
    pages = []
    for html_path in sorted(directory.glob("*.html")):
        json_path = html_path.with_suffix(".json")
        if not json_path.exists():
            raise ValueError(f"{html_path.name}: no {json_path.name} beside it")
        expected = json.loads(json_path.read_text(encoding="utf-8"))
        pages.append(CorpusPage(html_path.stem, html_path.read_text(encoding="utf-8"), expected))
    return pages


# -- noise -------------------------------------------------------------------------------------
_RELATED = {
    "en": [
        "Council votes to delay the budget again",
        "Storm warning extended to the coast",
        "What the new rail timetable means for commuters",
        "Inflation eases for a third month",
        "Local team signs striker on loan",
        "Hospital waiting lists at a record high",
        "Five things to know before the summit",
        "Airport strike called off at the last minute",
    ],
    "uk": [
        "У Києві оголосили повітряну тривогу",
        "Уряд ухвалив новий бюджет",
        "Ціни на пальне знову зросли",
        "Синоптики попередили про сильний вітер",
        "Збірна України зіграла внічию",
        "Як зміниться розклад потягів",
    ],
    "ru": [
        "В столице ожидается сильный снегопад",
        "Центробанк сохранил ключевую ставку",
        "Новые правила для водителей вступают в силу",
        "Цены на жильё продолжают расти",
        "Сборная проиграла в товарищеском матче",
    ],
    "fr": [
        "Grève dans les transports: ce qui change lundi",
        "Le gouvernement présente son budget",
        "Météo: alerte orange sur la côte",
        "Les prix de l'énergie repartent à la hausse",
        "Ligue 1: le classement après la 15e journée",
    ],
    "de": [
        "Bahnstreik: Was Reisende jetzt wissen müssen",
        "Bundestag berät über den Haushalt",
        "Unwetterwarnung für den Süden",
        "Inflation sinkt den dritten Monat in Folge",
        "Bundesliga: Die Ergebnisse des Spieltags",
    ],
    "es": [
        "El Gobierno aprueba los presupuestos",
        "Alerta por lluvias en el litoral",
        "La inflación se modera en noviembre",
        "Huelga de controladores aéreos desconvocada",
    ],
    "pt": [
        "Governo apresenta novo orçamento",
        "Chuvas fortes atingem o litoral",
        "Inflação desacelera pelo terceiro mês",
        "Greve dos transportes termina após acordo",
    ],
    "vi": [
        "Giá xăng tăng nhẹ từ chiều nay",
        "Hà Nội cấm đường phục vụ lễ hội",
        "Mưa lớn gây ngập nhiều tuyến phố",
        "Đội tuyển Việt Nam thắng trận giao hữu",
    ],
    "zh": [
        "央行宣布下调存款准备金率",
        "多地迎来强降温天气",
        "新能源汽车销量创新高",
        "高铁新线路正式开通",
    ],
    "ja": [
        "日銀が金融政策を据え置き",
        "東京で初雪を観測",
        "新幹線の運行が一時見合わせ",
        "円相場が一段安",
    ],
    "ko": [
        "한국은행 기준금리 동결",
        "서울 첫눈 관측",
        "수능 성적 발표 일정 공개",
        "주택 가격 하락세 지속",
    ],
    "ar": ["ارتفاع أسعار الوقود مجددا", "الحكومة تقر الموازنة الجديدة", "موجة حر تضرب المنطقة"],
    "hi": ["सरकार ने नई योजना की घोषणा की", "दिल्ली में बारिश से जलभराव", "शेयर बाज़ार में भारी गिरावट"],
}
_UPDATED = {
    "en": "Updated {n} minutes ago",
    "uk": "Оновлено {n} хв тому",
    "ru": "Обновлено {n} мин назад",
    "fr": "Mis à jour il y a {n} minutes",
    "de": "Aktualisiert vor {n} Minuten",
    "es": "Actualizado hace {n} minutos",
    "pt": "Atualizado há {n} minutos",
    "vi": "Cập nhật {n} phút trước",
    "zh": "{n}分钟前更新",
    "ja": "{n}分前に更新",
    "ko": "{n}분 전 업데이트",
    "ar": "تم التحديث قبل {n} دقيقة",
    "hi": "{n} मिनट पहले अपडेट किया गया",
}
_AD_LABEL = {
    "en": "Advertisement",
    "uk": "Реклама",
    "ru": "Реклама",
    "fr": "Publicité",
    "de": "Anzeige",
    "es": "Publicidad",
    "pt": "Publicidade",
    "vi": "Quảng cáo",
    "zh": "广告",
    "ja": "広告",
    "ko": "광고",
    "ar": "إعلان",
    "hi": "विज्ञापन",
}


class _Noise:
    """Fills noise placeholders for one fetch of one page (deterministic)."""

    def __init__(self, name: str, fetch: int, language: str, origin: str) -> None:
        self.rng = random.Random(f"{name}\0{fetch}")
        self.language = language.split("-")[0].lower()
        self.origin = origin

    def fill(self, match: re.Match[str]) -> str:
        kind, variant = match.group(1), match.group(2)
        rng = self.rng
        if kind == "counter":
            return str(rng.randint(120, 250_000))
        if kind == "nonce":
            return "".join(
                rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
                for _ in range(24)
            )
        if kind == "clock":
            return f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
        if kind == "updated":
            return _UPDATED.get(self.language, _UPDATED["en"]).format(n=rng.randint(1, 59))
        if kind == "related":
            return self._related(variant)
        if kind == "ad":
            return self._ad()
        raise ValueError(f"unknown noise placeholder {match.group(0)!r}")

    def _related(self, variant: str | None) -> str:
        pool = _RELATED.get(self.language, _RELATED["en"])
        picks = self.rng.sample(pool, 1 if variant == "a" else min(3, len(pool)))
        links = []
        for title in picks:
            slug = quote(title.lower().replace(" ", "-")[:40])
            href = f"{self.origin}/news/{slug}-{self.rng.randint(100_000, 999_999)}"
            links.append(f'<a href="{href}">{htmllib.escape(title)}</a>')
        if variant == "a":
            return links[0]
        return "".join(f"<li>{link}</li>" for link in links)

    def _ad(self) -> str:
        rng = self.rng
        slot = f"{rng.getrandbits(40):010x}"
        label = _AD_LABEL.get(self.language, _AD_LABEL["en"])
        style = rng.randrange(3)
        if style == 0:
            return (
                f'<div id="div-gpt-ad-{slot}" data-google-query-id="{rng.getrandbits(64):x}"'
                f' style="min-height:250px"></div>'
            )
        if style == 1:
            return (
                f'<div class="slot-wrap" id="sw-{slot}"><span class="slot-label">{label}</span>'
                f'<div id="gpt-{slot}" data-size="300x250"></div></div>'
            )
        return (
            f'<ins class="adsbygoogle" style="display:block" data-ad-client="ca-pub-{slot}"'
            f' data-ad-slot="{rng.randint(10**9, 10**10)}"></ins>'
            "<script>(adsbygoogle = window.adsbygoogle || []).push({});</script>"
        )


# -- edits -------------------------------------------------------------------------------------
_ADDED = {
    "en": "Update: officials said late on Wednesday that a further statement would follow.",
    "uk": "Оновлено: у міністерстві пізно ввечері пообіцяли оприлюднити окрему заяву.",
    "ru": "Обновление: поздно вечером в ведомстве пообещали выступить с отдельным заявлением.",
    "fr": "Mise à jour: le ministère a promis en fin de soirée un communiqué détaillé.",
    "de": "Aktualisierung: Das Ministerium kündigte am späten Abend eine weitere Erklärung an.",
    "es": "Actualización: el ministerio anunció a última hora un comunicado adicional.",
    "pt": "Atualização: o ministério anunciou ao fim da noite um novo comunicado.",
    "vi": "Cập nhật: tối muộn cùng ngày, bộ cho biết sẽ ra thông cáo bổ sung.",
    "zh": "更新：有关部门当晚表示，将另行发布详细说明。",
    "ja": "更新：同省は同日夜、追加の声明を出す方針を明らかにした。",
    "ko": "업데이트: 해당 부처는 이날 밤 추가 입장을 발표하겠다고 밝혔다.",
    "ar": "تحديث: أعلنت الوزارة في وقت متأخر من المساء أنها ستصدر بيانا إضافيا.",
    "hi": "अपडेट: मंत्रालय ने देर शाम कहा कि एक और बयान जारी किया जाएगा।",
}


def edit(page: CorpusPage, kind: EditKind, seed: int = 0) -> CorpusPage:
    """A copy of ``page`` with one edit of ``kind``: ``"word"`` (one word of a body
    paragraph replaced), ``"add"`` (a paragraph added after a plain one), ``"remove"``
    (a plain paragraph removed) or ``"headline"`` (one word of the headline replaced
    everywhere the headline appears). JSON copies of the text are edited alike.

    Raises ``ValueError`` if the page has nothing the edit could apply to.
    """
    rng = random.Random(f"{page.name}\0{kind}\0{seed}")
    expected = json.loads(json.dumps(page.expected))
    body: list[str] = expected["body"]
    if kind == "headline":
        old = expected["title"]
        new = _change_token(old, " ".join(body), rng)
        template = _replace_everywhere(page.template, old, new)
        expected["title"] = new
        return dataclasses.replace(page, template=template, expected=expected)
    if kind == "word":
        index, old, new = _pick_word(page, rng)
        template = _map_text(page.template, lambda s: _sub_token(s, old, new))
        body[index] = _sub_token(body[index], old, new)
        return dataclasses.replace(page, template=template, expected=expected)
    marked = _marked(page)
    if not marked:
        raise ValueError(f"{page.name}: no plain {{{{p}}}} paragraph to {kind}")
    start, end, index = marked[rng.randrange(len(marked))]
    text = body[index]
    if kind == "remove":
        template = page.template[:start] + page.template[end:]
        template = _map_json(template, lambda v: _json_remove(v, text))
        del body[index]
    elif kind == "add":
        added = _ADDED.get(str(expected.get("language") or "en")[:2], _ADDED["en"])
        chunk = page.template[start:end].replace(_esc(text), _esc(added))
        template = page.template[:end] + chunk + page.template[end:]
        template = _map_json(template, lambda v: _json_add(v, text, added))
        body.insert(index + 1, added)
    else:
        raise ValueError(f"unknown edit kind {kind!r}")
    return dataclasses.replace(page, template=template, expected=expected)


def _esc(text: str) -> str:
    return htmllib.escape(text, quote=False)


def _marked(page: CorpusPage) -> list[tuple[int, int, int]]:
    """(start, end, body index) of each ``{{p}}`` paragraph whose text is a body paragraph."""
    body = page.expected["body"]
    found = []
    for match in _MARKED.finditer(page.template):
        for index, text in enumerate(body):
            if _esc(text) in match.group(1) and body.count(text) == 1:
                found.append((match.start(), match.end(), index))
                break
    return found


# a word, with the combining vowel signs of Indic scripts (which \w leaves out)
_WORD = r"[\w\u0300-\u036f\u0900-\u0dff]"


def _word_tokens(text: str) -> list[str]:
    """Candidate tokens to change: words of 4+ letters, or CJK character pairs."""
    out = [
        w
        for w in re.findall(f"{_WORD}+", text)
        if len(w) >= 4 and not w.isdigit() and not _CJK.search(w)
    ]
    for run in re.findall(f"{_CJK.pattern}+", text):
        out.extend(run[i : i + 2] for i in range(0, len(run) - 1, 2))
    return out


def _sub_token(text: str, old: str, new: str) -> str:
    if _CJK.search(old):
        return text.replace(old, new)
    return re.sub(rf"(?<!{_WORD}){re.escape(old)}(?!{_WORD})", new, text)


def _count_token(text: str, token: str) -> int:
    if _CJK.search(token):
        return text.count(token)
    return len(re.findall(rf"(?<!{_WORD}){re.escape(token)}(?!{_WORD})", text))


def _pick_word(page: CorpusPage, rng: random.Random) -> tuple[int, str, str]:
    """(paragraph index, old token, new token) for a "word" edit."""
    body: list[str] = page.expected["body"]
    everything = " ".join(body)
    title = page.expected["title"]
    markup = " ".join(
        m.group(0)
        for m in _SEGMENT.finditer(page.template)
        if m.group(0).startswith(("<", "{{"))
        and not m.group(0).lower().startswith(("<script", "<style"))
    )
    choices = []
    for index, paragraph in enumerate(body):
        for token in dict.fromkeys(_word_tokens(paragraph)):
            if (
                _count_token(everything, token) == 1
                and token.lower() not in title.lower()
                and token.lower() not in markup.lower()
            ):
                choices.append((index, token))
    if not choices:
        raise ValueError(f"{page.name}: no word to edit")
    index, old = choices[rng.randrange(len(choices))]
    return index, old, _other_token(old, everything + " " + title, rng)


def _other_token(old: str, context: str, rng: random.Random) -> str:
    """A token like ``old`` (same script kind) that does not occur in ``context``."""
    pool = [
        t
        for t in dict.fromkeys(_word_tokens(context))
        if bool(_CJK.search(t)) == bool(_CJK.search(old)) and t != old
    ]
    rng.shuffle(pool)
    for a in pool:
        for b in pool:
            candidate = (
                (a[:2] + b[-1]) if _CJK.search(old) else (a[: len(a) // 2] + b[len(b) // 2 :])
            )
            if candidate != old and candidate not in context and candidate.lower() != old.lower():
                return candidate
    return old[::-1] + old[:1]


def _change_token(title: str, body: str, rng: random.Random) -> str:
    tokens = _word_tokens(title) or re.findall(r"\w+", title)
    old = tokens[rng.randrange(len(tokens))]
    new = _other_token(old, title + " " + body, rng)
    return _sub_token(title, old, new) if not _CJK.search(old) else title.replace(old, new, 1)


def _replace_everywhere(template: str, old: str, new: str) -> str:
    """``old`` -> ``new`` in text, attribute values and JSON strings, in every escaped form."""
    variants = {
        old: new,
        htmllib.escape(old, quote=False): htmllib.escape(new, quote=False),
        htmllib.escape(old, quote=True): htmllib.escape(new, quote=True),
        json.dumps(old, ensure_ascii=False)[1:-1]: json.dumps(new, ensure_ascii=False)[1:-1],
        json.dumps(old)[1:-1]: json.dumps(new)[1:-1],
    }
    for a, b in variants.items():
        template = template.replace(a, b)
    return template


def _map_text(template: str, fn: Callable[[str], str]) -> str:
    """``fn`` applied to the text between tags and to the strings of JSON scripts."""
    out = []
    pos = 0
    for match in _SEGMENT.finditer(template):
        out.append(fn(template[pos : match.start()]))
        out.append(
            _map_script(match.group(0), fn)
            if match.group(0).lower().startswith("<script")
            else match.group(0)
        )
        pos = match.end()
    out.append(fn(template[pos:]))
    return "".join(out)


def _map_json(template: str, fn: Callable[[Any], Any]) -> str:
    """``fn`` applied to every value (depth first) of the JSON scripts of ``template``."""
    return _SCRIPT_JSON.sub(
        lambda m: m.group(1) + _dump(_walk(json.loads(m.group(2)), fn), m.group(2)) + m.group(3),
        template,
    )


_SCRIPT_JSON = re.compile(
    r"(<script\b[^>]*(?:application/ld\+json|application/json|__NEXT_DATA__)[^>]*>)(.*?)(</script\s*>)",
    re.S | re.I,
)


def _map_script(script: str, fn: Callable[[str], str]) -> str:
    match = _SCRIPT_JSON.fullmatch(script)
    if match is None:
        return script
    data = _walk(json.loads(match.group(2)), lambda v: fn(v) if isinstance(v, str) else v)
    return match.group(1) + _dump(data, match.group(2)) + match.group(3)


def _dump(data: Any, original: str) -> str:
    indent = 2 if "\n  " in original else None
    return json.dumps(data, ensure_ascii=False, indent=indent).replace("</", "<\\/")


def _walk(value: Any, fn: Callable[[Any], Any]) -> Any:
    if isinstance(value, dict):
        value = {k: _walk(v, fn) for k, v in value.items()}
    elif isinstance(value, list):
        value = [_walk(v, fn) for v in value]
    return fn(value)


def _holds(value: Any, text: str) -> bool:
    """True if ``value`` (a JSON block object) holds ``text`` as one whole string."""
    if isinstance(value, dict):
        return any(_holds(v, text) for v in value.values())
    if isinstance(value, str):
        return re.sub(r"<[^>]+>", "", value).strip() == text
    return False


def _joiner(value: str, text: str) -> str:
    """The separator that joins ``text`` to its neighbours in ``value``."""
    for sep in ("\n\n", "\n", " "):
        if text + sep in value or sep + text in value:
            return sep
    return " "


def _json_remove(value: Any, text: str) -> Any:
    if isinstance(value, list):
        return [v for v in value if not (isinstance(v, dict | str) and _holds(v, text))]
    if isinstance(value, str) and text in value and not _holds(value, text):
        sep = _joiner(value, text)
        if text + sep in value:
            return value.replace(text + sep, "", 1)
        return value.replace(sep + text, "", 1)
    return value


def _json_add(value: Any, text: str, added: str) -> Any:
    if isinstance(value, list):
        out = []
        for v in value:
            out.append(v)
            if isinstance(v, dict | str) and _holds(v, text):
                old, new = (json.dumps(t, ensure_ascii=False)[1:-1] for t in (text, added))
                out.append(json.loads(json.dumps(v, ensure_ascii=False).replace(old, new)))
        return out
    if isinstance(value, str) and text in value and not _holds(value, text):
        return value.replace(text, text + _joiner(value, text) + added, 1)
    return value


# -- scoring -----------------------------------------------------------------------------------
def tokens(text: str) -> list[str]:
    """Unicode word tokens (``\\w+``), each CJK, kana or Hangul character its own token."""
    out: list[str] = []
    for word in re.findall(r"\w+", unicodedata.normalize("NFC", text)):
        if _CJK.search(word):
            out.extend(_CJK.sub(lambda m: f" {m.group(0)} ", word).split())
        else:
            out.append(word)
    return out


def token_f1(a: str, b: str) -> float:
    """F1 of the token multisets of ``a`` and ``b`` (1.0 for two empty texts)."""
    ta, tb = Counter(tokens(a)), Counter(tokens(b))
    if not ta and not tb:
        return 1.0
    overlap = sum((ta & tb).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(tb.values()), overlap / sum(ta.values())
    return 2 * precision * recall / (precision + recall)


def normalise(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def extract(html: str, url: str) -> Any:
    """``workers.parse.story.extract_story`` of ``html`` (with ``url=`` where it takes it)."""
    from workers.parse.story import extract_story

    try:
        return extract_story(html, url=url)  # type: ignore[call-arg]
    except TypeError:
        return extract_story(html)


def cited_urls(html: str, url: str) -> list[str]:
    """The citations ``workers.parse.discover.analyse_html`` finds in ``html``."""
    from workers.parse.discover import analyse_html

    return list(dict.fromkeys(link.url for link in analyse_html(url, html).cited))


@dataclass
class PageScore:
    """How the project's extractor reads one corpus page."""

    name: str
    kind: str
    title_ok: bool
    body_f1: float
    cited_expected: int
    cited_found: int
    cited_right: int
    stable: bool
    wall: str | None
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        if self.kind != "story":
            return self.wall == self.kind
        return self.title_ok and self.body_f1 >= 0.97 and self.stable


def score_page(page: CorpusPage, origin: str = DEFAULT_ORIGIN) -> PageScore:
    """The :class:`PageScore` of ``page`` (fetches 1-3 for stability)."""
    url = page.url(origin)
    exp = page.expected_for(origin)
    html = page.render(origin, fetch=1)
    story = extract(html, url)
    prints = {story.fingerprint} | {
        extract(page.render(origin, fetch=n), url).fingerprint for n in (2, 3)
    }
    found = cited_urls(html, url)
    expected = list(exp["citations"])
    right = [u for u in found if u in expected]
    return PageScore(
        name=page.name,
        kind=page.kind,
        title_ok=normalise(story.title) == exp["title"],
        body_f1=token_f1("\n".join(exp["body"]), story.body) if page.is_story else 0.0,
        cited_expected=len(expected),
        cited_found=len(found),
        cited_right=len(right),
        stable=len(prints) == 1,
        wall=getattr(story, "wall", None),
        missed=[u for u in expected if u not in found],
        extra=[u for u in found if u not in expected],
    )


# -- serving -----------------------------------------------------------------------------------
class CorpusSite:
    """The mutable state of a served corpus: pages by path, per-path fetch counts."""

    def __init__(self, pages: Iterable[CorpusPage], *, noise: bool = True) -> None:
        self.pages: dict[str, CorpusPage] = {p.path: p for p in pages}
        self.noise = noise
        self.fetches: Counter[str] = Counter()
        self.lock = threading.Lock()

    def swap(self, page: CorpusPage) -> None:
        """Serve ``page`` (e.g. an edited version) at its path from now on."""
        with self.lock:
            self.pages[page.path] = page

    def homepage(self, origin: str) -> str:
        items = "\n".join(
            f'<li><a href="{htmllib.escape(p.url(origin))}">'
            f"{htmllib.escape(p.expected['title'])}</a></li>"
            for p in self.pages.values()
        )
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            "<title>Corpus outlet</title></head><body><h1>Corpus outlet</h1>"
            f"<ul>\n{items}\n</ul></body></html>\n"
        )

    def app(self) -> web.Application:
        app = web.Application()
        app[SITE] = self
        app.router.add_get("/robots.txt", self._robots)
        app.router.add_get("/{tail:.*}", self._page)
        return app

    async def _robots(self, request: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nAllow: /\n")

    async def _page(self, request: web.Request) -> web.Response:
        origin = f"{request.scheme}://{request.host}"
        if request.path == "/":
            return web.Response(text=self.homepage(origin), content_type="text/html")
        with self.lock:
            key = request.path_qs if request.path_qs in self.pages else request.path
            page = self.pages.get(key)
            self.fetches[key] += 1
            fetch = self.fetches[key] if self.noise else 0
        if page is None:
            return web.Response(status=404, text="not found")
        return web.Response(
            status=page.status,
            text=page.render(origin, fetch=fetch),
            content_type="text/html",
            charset="utf-8",
        )


SITE: web.AppKey[CorpusSite] = web.AppKey("corpus_site", CorpusSite)


def corpus_app(pages: Sequence[CorpusPage], *, noise: bool = True) -> web.Application:
    """An app serving ``pages`` at their paths, a homepage ``/`` linking them all and a
    robots.txt allowing all; noise re-rendered per request. ``app[SITE]`` is its
    :class:`CorpusSite` (``swap`` an edited page in)."""
    return CorpusSite(pages, noise=noise).app()


# -- report ------------------------------------------------------------------------------------
def main(argv: Sequence[str] = ()) -> int:
    """Print one row per page and the totals; returns 0."""
    pages = [p for p in load_corpus() if not argv or p.name in argv]
    rows = [score_page(p) for p in pages]
    width = max(len(r.name) for r in rows)
    print(f"{'page':<{width}}  kind       title  body_f1  cite_p  cite_r  stable  wall")
    for r in rows:
        p = r.cited_right / r.cited_found if r.cited_found else 1.0
        rc = r.cited_right / r.cited_expected if r.cited_expected else 1.0
        print(
            f"{r.name:<{width}}  {r.kind:<9}  {'ok' if r.title_ok else 'NO':<5}  "
            f"{r.body_f1:7.3f}  {p:6.2f}  {rc:6.2f}  {'yes' if r.stable else 'no':<6}  {r.wall}"
        )
    stories = [r for r in rows if r.kind == "story"]
    walls = [r for r in rows if r.kind != "story"]
    found = sum(r.cited_found for r in rows)
    right = sum(r.cited_right for r in rows)
    expected = sum(r.cited_expected for r in rows)
    print(
        f"\nstories {len(stories)}: title ok {sum(r.title_ok for r in stories)}, "
        f"body F1 >= 0.97 {sum(r.body_f1 >= 0.97 for r in stories)}, "
        f"mean body F1 {sum(r.body_f1 for r in stories) / max(1, len(stories)):.3f}, "
        f"stable {sum(r.stable for r in stories)}"
    )
    print(
        f"citations: precision {right / found if found else 1.0:.3f} ({right}/{found}), "
        f"recall {right / expected if expected else 1.0:.3f} ({right}/{expected})"
    )
    print(f"non-story pages {len(walls)}: wall named {sum(r.wall == r.kind for r in walls)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
