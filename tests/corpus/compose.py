# ruff: noqa: RUF001, E501  (page text in many scripts; long lines of markup)
"""Writes ``pages/<name>.html`` and ``pages/<name>.json`` from the hand-written pages in
``stories_*.py``. Run ``python -m tests.corpus.compose`` after changing a page.

Each page function writes its own skeleton (the structure it reproduces) and story text;
the furniture an outlet repeats on every page (menus, footers, consent banners, share
bars, scripts) comes from the helpers here, in the page's language. The body helpers of
:class:`Page` record what a reader sees (``body``) and the in-body links (``citations``),
so the JSON is what the HTML shows. A link written ``[text](href)`` in a body paragraph
is a citation; any other link in the markup is not.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

PAGES = Path(__file__).resolve().parent / "pages"
ORIGIN = "{{origin}}"
_FAKE = "https://origin.invalid"
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
REGISTRY: list[Callable[[], Page]] = []


def page(fn: Callable[[], Page]) -> Callable[[], Page]:
    """Register a page function (it returns a saved-ready :class:`Page`)."""
    REGISTRY.append(fn)
    return fn


def esc(text: str) -> str:
    return htmllib.escape(text, quote=False)


def attr(text: str) -> str:
    return htmllib.escape(text, quote=True)


class Page:
    """One page being written: its expected reading grows as body helpers are called."""

    def __init__(
        self,
        name: str,
        path: str,
        *,
        lang: str,
        script: str,
        title: str,
        shape: str,
        authors: Iterable[str] = (),
        published: str | None = None,
        kind: str = "story",
        status: int = 200,
    ) -> None:
        self.name = name
        self.path = path
        self.lang = lang
        self.script = script
        self.title = title
        self.shape = shape
        self.authors = list(authors)
        self.published = published
        self.kind = kind
        self.status = status
        self.body: list[str] = []
        self.citations: list[str] = []
        self.html = ""

    @property
    def url(self) -> str:
        return ORIGIN + self.path

    @property
    def L(self) -> dict[str, Any]:
        return LANG[self.lang.split("-")[0]]

    def md(self, text: str) -> tuple[str, str, bool]:
        """(html, plain text, plain?) of a paragraph written with ``[t](href)``, ``**b**``."""
        plain = _BOLD.sub(r"\1", _LINK.sub(r"\1", text))
        out, pos, links = [], 0, False
        for m in _LINK.finditer(text):
            out.append(_bold(esc(text[pos : m.start()])))
            href = m.group(2)
            out.append(f'<a href="{attr(href)}">{_bold(esc(m.group(1)))}</a>')
            absolute = urljoin(self.url.replace(ORIGIN, _FAKE), href.replace(ORIGIN, _FAKE))
            absolute = absolute.replace(_FAKE, ORIGIN)
            if absolute not in self.citations:
                self.citations.append(absolute)
            pos = m.end()
            links = True
        out.append(_bold(esc(text[pos:])))
        return "".join(out), " ".join(plain.split()), not links and "**" not in text

    def p(self, text: str, open: str = "<p>", close: str = "</p>", mark: bool = True) -> str:
        """A body paragraph; plain ones are wrapped in edit markers."""
        markup, plain, simple = self.md(text)
        self.body.append(plain)
        chunk = f"{open}{markup}{close}"
        return f"{{{{p}}}}{chunk}{{{{/p}}}}" if simple and mark else chunk

    def ps(
        self, texts: Iterable[str], open: str = "<p>", close: str = "</p>", sep: str = "\n"
    ) -> str:
        return sep.join(self.p(t, open, close) for t in texts)

    def h(self, text: str, tag: str = "h2", attrs: str = "") -> str:
        """An in-body subheading."""
        self.body.append(" ".join(text.split()))
        return f"<{tag}{attrs}>{esc(text)}</{tag}>"

    def quote(
        self, text: str, open: str = "<blockquote><p>", close: str = "</p></blockquote>"
    ) -> str:
        markup, plain, _ = self.md(text)
        self.body.append(plain)
        return f"{open}{markup}{close}"

    def items(
        self, texts: Iterable[str], open: str = "<ul>", close: str = "</ul>", li: str = "<li>"
    ) -> str:
        parts = []
        for text in texts:
            markup, plain, _ = self.md(text)
            self.body.append(plain)
            parts.append(f"{li}{markup}</li>")
        return open + "".join(parts) + close

    def text(self) -> str:
        return "\n".join(self.body)

    def save(self) -> None:
        if self.html is None or not self.html.strip():
            raise ValueError(f"{self.name}: no html")
        expected = {
            "url": self.url,
            "shape": self.shape,
            "script": self.script,
            "language": self.lang,
            "kind": self.kind,
            "title": " ".join(self.title.split()),
            "body": self.body if self.kind == "story" else [],
            "citations": self.citations if self.kind == "story" else [],
            "authors": self.authors,
            "published": self.published,
        }
        if self.status != 200:
            expected["status"] = self.status
        PAGES.mkdir(parents=True, exist_ok=True)
        (PAGES / f"{self.name}.html").write_text(self.html, encoding="utf-8")
        (PAGES / f"{self.name}.json").write_text(
            json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )


def _bold(text: str) -> str:
    return _BOLD.sub(r"<strong>\1</strong>", text)


# -- the languages of the furniture -------------------------------------------------------------
LANG: dict[str, dict[str, Any]] = {
    "en": {
        "sections": [
            "News",
            "World",
            "Politics",
            "Business",
            "Markets",
            "Technology",
            "Science",
            "Health",
            "Climate",
            "Sport",
            "Culture",
            "Opinion",
            "Travel",
            "Video",
            "Podcasts",
        ],
        "topics": [
            "Elections",
            "Ukraine",
            "Middle East",
            "Energy",
            "Inflation",
            "AI",
            "Football",
            "Tennis",
            "Weather",
            "Obituaries",
            "Crosswords",
            "Puzzles",
        ],
        "corp": [
            "About us",
            "Contact",
            "Careers",
            "Advertise with us",
            "Privacy policy",
            "Terms of use",
            "Cookie settings",
            "Accessibility",
            "Corrections",
            "RSS feeds",
            "Newsletters",
            "Archive",
            "Help centre",
            "Subscribe",
        ],
        "cookie": "We and our 847 partners use cookies and similar technologies to store and access information on your device, to personalise content and ads and to analyse our traffic.",
        "accept": "Accept all",
        "reject": "Reject all",
        "manage": "Manage preferences",
        "read_also": "Read also",
        "more": "More from this section",
        "share": "Share this article",
        "newsletter": "Get the morning briefing: the stories you need to know, in your inbox at 6am.",
        "signup": "Sign up",
        "email": "Your email address",
        "tags": "Topics",
        "skip": "Skip to content",
        "search": "Search",
        "login": "Sign in",
        "copyright": "All rights reserved.",
        "teasers": [
            (
                "Ministers split over plans for new runway",
                "The cabinet is expected to decide before the end of the month.",
            ),
            (
                "Why house prices are falling in the north",
                "Economists point to higher mortgage rates and weaker demand.",
            ),
            (
                "Champions League: five things we learned",
                "A late winner and a red card shaped the night.",
            ),
            (
                "Scientists map the ocean floor in record detail",
                "The survey covered an area the size of France.",
            ),
            (
                "Rail fares to rise by 4.6% in March",
                "Passenger groups called the increase unaffordable.",
            ),
            (
                "The village that banned cars for a year",
                "Residents say the experiment changed daily life.",
            ),
            (
                "Heatwave warning issued for the weekend",
                "Temperatures could reach 38C in some areas.",
            ),
            (
                "Central bank holds rates for a fourth time",
                "Policymakers said inflation was still too high.",
            ),
        ],
    },
    "uk": {
        "sections": [
            "Новини",
            "Політика",
            "Економіка",
            "Світ",
            "Війна",
            "Суспільство",
            "Технології",
            "Здоров'я",
            "Спорт",
            "Культура",
            "Погода",
            "Блоги",
            "Відео",
            "Фото",
        ],
        "topics": [
            "Київ",
            "Харків",
            "Одеса",
            "Львів",
            "Енергетика",
            "Мобілізація",
            "НБУ",
            "Курс валют",
            "Футбол",
            "Освіта",
        ],
        "corp": [
            "Про нас",
            "Контакти",
            "Вакансії",
            "Реклама",
            "Політика конфіденційності",
            "Правила користування",
            "Редакційна політика",
            "RSS",
            "Розсилки",
            "Архів",
        ],
        "cookie": "Ми використовуємо файли cookie, щоб покращити роботу сайту, аналізувати трафік і показувати персоналізовану рекламу.",
        "accept": "Прийняти все",
        "reject": "Відхилити",
        "manage": "Налаштування",
        "read_also": "Читайте також",
        "more": "Більше новин розділу",
        "share": "Поділитися",
        "newsletter": "Підпишіться на нашу розсилку: головні новини дня щоранку.",
        "signup": "Підписатися",
        "email": "Ваш email",
        "tags": "Теги",
        "skip": "Перейти до змісту",
        "search": "Пошук",
        "login": "Увійти",
        "copyright": "Усі права захищені.",
        "teasers": [
            (
                "Уряд затвердив нові тарифи на електроенергію",
                "Зміни набудуть чинності з першого числа наступного місяця.",
            ),
            (
                "У Львові відкрили новий міст через залізницю",
                "Рух транспортом мостом запустили в понеділок.",
            ),
            (
                "Синоптики прогнозують сильні морози",
                "Температура вночі опуститься до мінус 18 градусів.",
            ),
            ("НБУ змінив облікову ставку", "Рішення ухвалили на засіданні правління."),
            ("Збірна України перемогла у відборі", "Єдиний гол забили на 87-й хвилині."),
            ("Як оформити субсидію взимку", "Пояснюємо, які документи потрібні."),
        ],
    },
    "ru": {
        "sections": [
            "Новости",
            "Политика",
            "Экономика",
            "В мире",
            "Общество",
            "Происшествия",
            "Наука",
            "Технологии",
            "Спорт",
            "Культура",
            "Авто",
            "Недвижимость",
            "Мнения",
            "Видео",
        ],
        "topics": [
            "Москва",
            "Выборы",
            "Нефть",
            "Курс рубля",
            "Хоккей",
            "Футбол",
            "Погода",
            "Здоровье",
            "Образование",
            "Транспорт",
        ],
        "corp": [
            "О проекте",
            "Контакты",
            "Вакансии",
            "Реклама на сайте",
            "Политика конфиденциальности",
            "Пользовательское соглашение",
            "RSS",
            "Рассылки",
            "Архив",
        ],
        "cookie": "Мы используем файлы cookie, чтобы сайт работал лучше. Оставаясь на сайте, вы соглашаетесь с условиями их использования.",
        "accept": "Принять",
        "reject": "Отклонить",
        "manage": "Настроить",
        "read_also": "Читайте также",
        "more": "Ещё по теме",
        "share": "Поделиться",
        "newsletter": "Подпишитесь на вечернюю рассылку с главными новостями дня.",
        "signup": "Подписаться",
        "email": "Ваш e-mail",
        "tags": "Теги",
        "skip": "Перейти к содержанию",
        "search": "Поиск",
        "login": "Войти",
        "copyright": "Все права защищены.",
        "teasers": [
            ("В регионах повысят тарифы на проезд", "Новые цены начнут действовать с января."),
            (
                "Учёные нашли новый вид глубоководных рыб",
                "Находку сделали во время экспедиции в Тихом океане.",
            ),
            (
                "Сборная сыграла вничью в контрольном матче",
                "Главный тренер остался доволен игрой в обороне.",
            ),
            (
                "Спрос на ипотеку снизился второй месяц подряд",
                "Банки ужесточают требования к заёмщикам.",
            ),
            ("Метро откроет три новые станции", "Строительство завершат к концу года."),
        ],
    },
    "fr": {
        "sections": [
            "Actualité",
            "International",
            "Politique",
            "Société",
            "Économie",
            "Planète",
            "Sciences",
            "Santé",
            "Culture",
            "Sport",
            "Idées",
            "Vidéos",
            "Podcasts",
            "Régions",
        ],
        "topics": [
            "Élections",
            "Retraites",
            "Climat",
            "Ukraine",
            "Logement",
            "Éducation",
            "Justice",
            "Football",
            "Rugby",
            "Cinéma",
        ],
        "corp": [
            "Qui sommes-nous",
            "Contact",
            "Recrutement",
            "Publicité",
            "Mentions légales",
            "Conditions générales",
            "Gestion des cookies",
            "Charte de déontologie",
            "Flux RSS",
            "Newsletters",
            "Archives",
        ],
        "cookie": "Avec votre accord, nous et nos 612 partenaires utilisons des cookies ou technologies similaires pour stocker et accéder à des informations personnelles comme votre visite sur ce site.",
        "accept": "Accepter et fermer",
        "reject": "Continuer sans accepter",
        "manage": "Paramétrer les cookies",
        "read_also": "Lire aussi",
        "more": "Dans la même rubrique",
        "share": "Partager",
        "newsletter": "Recevez chaque matin l'essentiel de l'actualité.",
        "signup": "S'inscrire",
        "email": "Votre adresse e-mail",
        "tags": "Mots-clés",
        "skip": "Aller au contenu",
        "search": "Rechercher",
        "login": "Se connecter",
        "copyright": "Tous droits réservés.",
        "teasers": [
            (
                "Réforme des retraites: le Conseil constitutionnel tranche",
                "La décision est attendue en fin de semaine.",
            ),
            (
                "À Marseille, la rénovation des écoles prend du retard",
                "Les travaux devaient s'achever à la rentrée.",
            ),
            (
                "Tempête Ciarán: des milliers de foyers privés d'électricité",
                "Les équipes d'Enedis sont mobilisées.",
            ),
            ("Le prix du gazole repasse sous les deux euros", "Une baisse liée au recul du baril."),
            ("Rugby: le XV de France dévoile sa liste", "Trois nouveaux joueurs font leur entrée."),
        ],
    },
    "de": {
        "sections": [
            "Startseite",
            "Politik",
            "Ausland",
            "Wirtschaft",
            "Börse",
            "Panorama",
            "Wissen",
            "Gesundheit",
            "Kultur",
            "Sport",
            "Digital",
            "Reise",
            "Auto",
            "Meinung",
        ],
        "topics": [
            "Bundestag",
            "Ukraine",
            "Nahost",
            "Energie",
            "Klima",
            "Bahn",
            "Bundesliga",
            "Wetter",
            "Rente",
            "Migration",
        ],
        "corp": [
            "Impressum",
            "Kontakt",
            "Karriere",
            "Mediadaten",
            "Datenschutz",
            "AGB",
            "Cookie-Einstellungen",
            "Barrierefreiheit",
            "RSS",
            "Newsletter",
            "Archiv",
            "Abo",
        ],
        "cookie": "Wir verwenden Cookies und ähnliche Technologien, um Inhalte und Anzeigen zu personalisieren und die Zugriffe auf unsere Website zu analysieren.",
        "accept": "Alle akzeptieren",
        "reject": "Ablehnen",
        "manage": "Einstellungen",
        "read_also": "Lesen Sie auch",
        "more": "Mehr zum Thema",
        "share": "Artikel teilen",
        "newsletter": "Der Morgen-Newsletter: die wichtigsten Nachrichten des Tages, jeden Morgen um sechs.",
        "signup": "Anmelden",
        "email": "E-Mail-Adresse",
        "tags": "Themen",
        "skip": "Zum Inhalt springen",
        "search": "Suche",
        "login": "Anmelden",
        "copyright": "Alle Rechte vorbehalten.",
        "teasers": [
            (
                "Bahn kündigt neuen Fahrplan an",
                "Auf mehreren Strecken fahren die Züge künftig seltener.",
            ),
            (
                "Mieten steigen in Großstädten weiter",
                "Besonders betroffen sind München und Berlin.",
            ),
            (
                "Bundesliga: Spitzenreiter patzt erneut",
                "Das Team verliert zum zweiten Mal in Folge.",
            ),
            (
                "Forscher entdecken neuen Exoplaneten",
                "Der Planet liegt in der habitablen Zone seines Sterns.",
            ),
            (
                "Wetter: Erster Schnee im Flachland erwartet",
                "Der Deutsche Wetterdienst warnt vor Glätte.",
            ),
        ],
    },
    "es": {
        "sections": [
            "Portada",
            "España",
            "Internacional",
            "Política",
            "Economía",
            "Sociedad",
            "Ciencia",
            "Tecnología",
            "Salud",
            "Cultura",
            "Deportes",
            "Opinión",
            "Vídeos",
            "Gente",
        ],
        "topics": [
            "Elecciones",
            "Vivienda",
            "Sequía",
            "Ucrania",
            "Fútbol",
            "LaLiga",
            "Tiempo",
            "Educación",
            "Empleo",
            "Pensiones",
        ],
        "corp": [
            "Quiénes somos",
            "Contacto",
            "Trabaja con nosotros",
            "Publicidad",
            "Aviso legal",
            "Política de privacidad",
            "Configuración de cookies",
            "RSS",
            "Newsletters",
            "Hemeroteca",
        ],
        "cookie": "Utilizamos cookies propias y de terceros para mejorar nuestros servicios y mostrarle publicidad relacionada con sus preferencias.",
        "accept": "Aceptar",
        "reject": "Rechazar",
        "manage": "Configurar",
        "read_also": "Lee también",
        "more": "Más noticias",
        "share": "Compartir",
        "newsletter": "Suscríbete al boletín de la mañana y recibe las claves del día.",
        "signup": "Suscribirme",
        "email": "Tu correo electrónico",
        "tags": "Temas",
        "skip": "Ir al contenido",
        "search": "Buscar",
        "login": "Iniciar sesión",
        "copyright": "Todos los derechos reservados.",
        "teasers": [
            (
                "El precio de la luz baja un 12% en noviembre",
                "La bajada se debe al aumento de la producción eólica.",
            ),
            ("Madrid amplía la zona de bajas emisiones", "La medida entrará en vigor en enero."),
            ("El Real Madrid remonta en el último minuto", "Un gol de cabeza decidió el partido."),
            ("Los embalses siguen por debajo del 40%", "La sequía afecta sobre todo al sur."),
        ],
    },
    "pt": {
        "sections": [
            "Últimas",
            "Política",
            "Economia",
            "Mundo",
            "Sociedade",
            "Ciência",
            "Saúde",
            "Tecnologia",
            "Cultura",
            "Desporto",
            "Opinião",
            "Vídeos",
            "Local",
            "Podcasts",
        ],
        "topics": [
            "Eleições",
            "Habitação",
            "Inflação",
            "Ucrânia",
            "Futebol",
            "Clima",
            "Educação",
            "Saúde pública",
            "Transportes",
            "Turismo",
        ],
        "corp": [
            "Quem somos",
            "Contactos",
            "Trabalhe connosco",
            "Publicidade",
            "Estatuto editorial",
            "Política de privacidade",
            "Definições de cookies",
            "RSS",
            "Newsletters",
            "Arquivo",
        ],
        "cookie": "Utilizamos cookies para melhorar a sua experiência, analisar o tráfego e mostrar publicidade personalizada.",
        "accept": "Aceitar",
        "reject": "Rejeitar",
        "manage": "Definições",
        "read_also": "Leia também",
        "more": "Mais notícias",
        "share": "Partilhar",
        "newsletter": "Receba todas as manhãs as notícias mais importantes do dia.",
        "signup": "Subscrever",
        "email": "O seu e-mail",
        "tags": "Tópicos",
        "skip": "Saltar para o conteúdo",
        "search": "Pesquisar",
        "login": "Entrar",
        "copyright": "Todos os direitos reservados.",
        "teasers": [
            ("Governo aprova aumento do salário mínimo", "O novo valor entra em vigor em janeiro."),
            (
                "Lisboa testa autocarros elétricos sem motorista",
                "O projeto-piloto dura seis meses.",
            ),
            ("Benfica vence e isola-se na liderança", "O golo surgiu já nos descontos."),
            ("Preço das casas volta a subir no Porto", "A procura continua acima da oferta."),
        ],
    },
    "vi": {
        "sections": [
            "Thời sự",
            "Thế giới",
            "Kinh doanh",
            "Bất động sản",
            "Khoa học",
            "Giải trí",
            "Thể thao",
            "Pháp luật",
            "Giáo dục",
            "Sức khỏe",
            "Đời sống",
            "Du lịch",
            "Số hóa",
            "Xe",
        ],
        "topics": [
            "Hà Nội",
            "TP HCM",
            "Giá vàng",
            "Giá xăng",
            "Bóng đá",
            "Thời tiết",
            "Tuyển sinh",
            "Giao thông",
            "Chứng khoán",
            "Covid-19",
        ],
        "corp": [
            "Giới thiệu",
            "Liên hệ",
            "Tuyển dụng",
            "Quảng cáo",
            "Điều khoản sử dụng",
            "Chính sách bảo mật",
            "RSS",
            "Bản tin",
            "Lưu trữ",
        ],
        "cookie": "Chúng tôi sử dụng cookie để cải thiện trải nghiệm của bạn và phân tích lưu lượng truy cập.",
        "accept": "Đồng ý",
        "reject": "Từ chối",
        "manage": "Tùy chỉnh",
        "read_also": "Xem thêm",
        "more": "Tin cùng chuyên mục",
        "share": "Chia sẻ",
        "newsletter": "Đăng ký nhận bản tin sáng với những tin tức quan trọng nhất.",
        "signup": "Đăng ký",
        "email": "Email của bạn",
        "tags": "Chủ đề",
        "skip": "Chuyển đến nội dung",
        "search": "Tìm kiếm",
        "login": "Đăng nhập",
        "copyright": "Bản quyền thuộc về tòa soạn.",
        "teasers": [
            ("Giá vàng miếng tăng mạnh phiên đầu tuần", "Mỗi lượng vàng tăng thêm 500.000 đồng."),
            ("Hà Nội mở thêm tuyến buýt điện mới", "Tuyến buýt kết nối trung tâm với sân bay."),
            (
                "Đội tuyển Việt Nam chốt danh sách dự giải",
                "Huấn luyện viên gọi thêm ba cầu thủ trẻ.",
            ),
            ("Mưa lớn kéo dài ở miền Trung", "Nhiều tuyến đường bị chia cắt."),
        ],
    },
    "zh": {
        "sections": [
            "首页",
            "国内",
            "国际",
            "财经",
            "科技",
            "体育",
            "娱乐",
            "汽车",
            "房产",
            "教育",
            "健康",
            "军事",
            "评论",
            "视频",
        ],
        "topics": [
            "经济",
            "股市",
            "人工智能",
            "新能源",
            "高铁",
            "天气",
            "足球",
            "篮球",
            "航天",
            "环保",
        ],
        "corp": [
            "关于我们",
            "联系我们",
            "招聘信息",
            "广告服务",
            "隐私政策",
            "用户协议",
            "网站地图",
            "违法和不良信息举报",
            "订阅",
            "存档",
        ],
        "cookie": "我们使用Cookie来改善您的浏览体验、分析网站流量并提供个性化内容。",
        "accept": "接受",
        "reject": "拒绝",
        "manage": "设置",
        "read_also": "相关阅读",
        "more": "更多新闻",
        "share": "分享",
        "newsletter": "订阅我们的早间简报，每天获取最重要的新闻。",
        "signup": "订阅",
        "email": "电子邮箱",
        "tags": "标签",
        "skip": "跳到正文",
        "search": "搜索",
        "login": "登录",
        "copyright": "版权所有",
        "teasers": [
            ("多地出台措施稳定楼市", "业内人士认为政策效果将逐步显现。"),
            ("新一代运载火箭首飞成功", "火箭将三颗卫星送入预定轨道。"),
            ("国产大飞机完成首次商业航班", "航班从上海飞往北京。"),
            ("冬季用电高峰即将到来", "电网公司提前做好保供准备。"),
        ],
    },
    "ja": {
        "sections": [
            "トップ",
            "国内",
            "国際",
            "政治",
            "経済",
            "社会",
            "科学",
            "IT",
            "スポーツ",
            "エンタメ",
            "地域",
            "天気",
            "動画",
            "特集",
        ],
        "topics": [
            "衆院選",
            "円安",
            "物価",
            "地震",
            "台風",
            "野球",
            "サッカー",
            "AI",
            "教育",
            "医療",
        ],
        "corp": [
            "会社概要",
            "お問い合わせ",
            "採用情報",
            "広告掲載",
            "プライバシーポリシー",
            "利用規約",
            "Cookieの設定",
            "RSS",
            "ニュースレター",
            "アーカイブ",
        ],
        "cookie": "当サイトでは、利便性の向上やアクセス解析のためにCookieを使用しています。",
        "accept": "同意する",
        "reject": "拒否する",
        "manage": "設定",
        "read_also": "あわせて読みたい",
        "more": "関連ニュース",
        "share": "シェアする",
        "newsletter": "毎朝のニュースレターで、主要ニュースをお届けします。",
        "signup": "登録する",
        "email": "メールアドレス",
        "tags": "タグ",
        "skip": "本文へ移動",
        "search": "検索",
        "login": "ログイン",
        "copyright": "無断転載を禁じます。",
        "teasers": [
            ("政府、経済対策の規模を決定", "総額は過去最大規模となる見通し。"),
            ("北海道で大雪、交通に乱れ", "JRは一部の列車を運休した。"),
            ("プロ野球、ドラフト会議の結果", "12球団が指名選手を発表した。"),
            ("新型ロケットの打ち上げ延期", "天候不良のため。"),
        ],
    },
    "ko": {
        "sections": [
            "홈",
            "정치",
            "경제",
            "사회",
            "국제",
            "문화",
            "연예",
            "스포츠",
            "IT·과학",
            "오피니언",
            "사람",
            "지역",
            "영상",
            "포토",
        ],
        "topics": [
            "국회",
            "부동산",
            "금리",
            "반도체",
            "날씨",
            "야구",
            "축구",
            "교육",
            "의료",
            "북한",
        ],
        "corp": [
            "회사소개",
            "고객센터",
            "채용",
            "광고안내",
            "개인정보처리방침",
            "이용약관",
            "청소년보호정책",
            "RSS",
            "뉴스레터",
            "기사제보",
        ],
        "cookie": "이 웹사이트는 더 나은 서비스를 위해 쿠키를 사용합니다.",
        "accept": "동의",
        "reject": "거부",
        "manage": "설정",
        "read_also": "함께 읽기",
        "more": "많이 본 뉴스",
        "share": "공유하기",
        "newsletter": "매일 아침 주요 뉴스를 메일로 받아보세요.",
        "signup": "구독하기",
        "email": "이메일 주소",
        "tags": "태그",
        "skip": "본문 바로가기",
        "search": "검색",
        "login": "로그인",
        "copyright": "무단전재 및 재배포 금지",
        "teasers": [
            ("정부, 내년 예산안 국회 제출", "총지출은 올해보다 3% 늘었다."),
            ("서울 아파트값 3주 연속 하락", "거래량도 크게 줄었다."),
            ("프로야구 한국시리즈 일정 확정", "1차전은 다음 주 화요일 열린다."),
            ("반도체 수출 다시 증가세", "석 달 만에 플러스로 돌아섰다."),
        ],
    },
    "ar": {
        "sections": [
            "الرئيسية",
            "أخبار",
            "سياسة",
            "اقتصاد",
            "العالم",
            "رياضة",
            "ثقافة",
            "علوم",
            "تكنولوجيا",
            "صحة",
            "منوعات",
            "رأي",
            "فيديو",
            "صور",
        ],
        "topics": [
            "الانتخابات",
            "النفط",
            "الطاقة",
            "كرة القدم",
            "الطقس",
            "التعليم",
            "الصحة",
            "الاقتصاد العالمي",
            "غزة",
            "السودان",
        ],
        "corp": [
            "من نحن",
            "اتصل بنا",
            "وظائف",
            "أعلن معنا",
            "سياسة الخصوصية",
            "شروط الاستخدام",
            "إعدادات ملفات تعريف الارتباط",
            "RSS",
            "النشرة البريدية",
            "الأرشيف",
        ],
        "cookie": "نستخدم ملفات تعريف الارتباط لتحسين تجربتك وتحليل حركة الزوار وعرض إعلانات مخصصة.",
        "accept": "موافق",
        "reject": "رفض",
        "manage": "الإعدادات",
        "read_also": "اقرأ أيضا",
        "more": "المزيد من الأخبار",
        "share": "شارك",
        "newsletter": "اشترك في نشرتنا الصباحية لتصلك أهم الأخبار.",
        "signup": "اشترك",
        "email": "بريدك الإلكتروني",
        "tags": "الوسوم",
        "skip": "انتقل إلى المحتوى",
        "search": "بحث",
        "login": "تسجيل الدخول",
        "copyright": "جميع الحقوق محفوظة.",
        "teasers": [
            ("ارتفاع أسعار الذهب إلى مستوى قياسي", "يأتي ذلك وسط مخاوف من تباطؤ الاقتصاد."),
            ("افتتاح أكبر محطة للطاقة الشمسية في المنطقة", "تبلغ قدرة المحطة ألفي ميغاواط."),
            ("المنتخب يتأهل إلى نهائي البطولة", "سجل هدف الفوز في الدقيقة الأخيرة."),
            ("توقعات بأمطار غزيرة نهاية الأسبوع", "دعت السلطات إلى توخي الحذر."),
        ],
    },
    "hi": {
        "sections": [
            "होम",
            "देश",
            "विदेश",
            "राज्य",
            "राजनीति",
            "बिज़नेस",
            "खेल",
            "मनोरंजन",
            "टेक",
            "शिक्षा",
            "स्वास्थ्य",
            "धर्म",
            "वीडियो",
            "फ़ोटो",
        ],
        "topics": [
            "चुनाव",
            "क्रिकेट",
            "मौसम",
            "शेयर बाज़ार",
            "बजट",
            "दिल्ली",
            "मुंबई",
            "नौकरी",
            "परीक्षा",
            "किसान",
        ],
        "corp": [
            "हमारे बारे में",
            "संपर्क करें",
            "करियर",
            "विज्ञापन",
            "गोपनीयता नीति",
            "उपयोग की शर्तें",
            "कुकी नीति",
            "आरएसएस",
            "न्यूज़लेटर",
            "आर्काइव",
        ],
        "cookie": "हम आपके अनुभव को बेहतर बनाने और ट्रैफ़िक का विश्लेषण करने के लिए कुकीज़ का उपयोग करते हैं।",
        "accept": "स्वीकार करें",
        "reject": "अस्वीकार करें",
        "manage": "सेटिंग्स",
        "read_also": "यह भी पढ़ें",
        "more": "और खबरें",
        "share": "शेयर करें",
        "newsletter": "हर सुबह सबसे ज़रूरी ख़बरें अपने इनबॉक्स में पाएं।",
        "signup": "सब्सक्राइब करें",
        "email": "आपका ईमेल",
        "tags": "टैग",
        "skip": "मुख्य सामग्री पर जाएं",
        "search": "खोजें",
        "login": "लॉग इन",
        "copyright": "सर्वाधिकार सुरक्षित।",
        "teasers": [
            ("रेलवे ने चलाईं नई स्पेशल ट्रेनें", "त्योहारों में भीड़ को देखते हुए फैसला लिया गया।"),
            ("सोने के दाम में फिर उछाल", "दिल्ली में दस ग्राम सोना महंगा हुआ।"),
            ("भारत ने तीसरा टेस्ट जीता", "गेंदबाज़ों ने शानदार प्रदर्शन किया।"),
            ("कई राज्यों में भारी बारिश का अलर्ट", "मौसम विभाग ने चेतावनी जारी की।"),
        ],
    },
}


def slug(text: str, n: int) -> str:
    base = re.sub(r"[^\w]+", "-", text.lower()).strip("-")[:48] or "story"
    return f"{base}-{n}"


# -- furniture ----------------------------------------------------------------------------------
def head(
    pg: Page,
    site: str,
    *,
    desc: str,
    image: str = "/media/lead.jpg",
    ld: Any = None,
    extra: str = "",
    title_suffix: str | None = None,
    og_type: str = "article",
    section: str = "News",
    amphtml: str | None = None,
    canonical: str | None = None,
) -> str:
    """A full ``<head>``: metas, Open Graph, Twitter, preloads, stylesheets, analytics."""
    title = pg.title if title_suffix == "" else f"{pg.title} {title_suffix or '|'} {site}"
    canon = canonical or pg.url
    parts = [
        '<meta charset="utf-8">',
        '<meta http-equiv="X-UA-Compatible" content="IE=edge">',
        '<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">',
        f"<title>{esc(title)}</title>",
        f'<meta name="description" content="{attr(desc)}">',
        '<meta name="robots" content="index, follow, max-image-preview:large, max-snippet:-1">',
        f'<meta name="author" content="{attr(", ".join(pg.authors))}">' if pg.authors else "",
        f'<link rel="canonical" href="{canon}">',
        f'<link rel="amphtml" href="{amphtml}">' if amphtml else "",
        f'<meta property="og:site_name" content="{attr(site)}">',
        f'<meta property="og:type" content="{og_type}">',
        f'<meta property="og:title" content="{attr(pg.title)}">',
        f'<meta property="og:description" content="{attr(desc)}">',
        f'<meta property="og:url" content="{canon}">',
        f'<meta property="og:image" content="{ORIGIN}{image}?w=1200&amp;h=630&amp;fit=crop">',
        '<meta property="og:image:width" content="1200"><meta property="og:image:height" content="630">',
        f'<meta property="og:locale" content="{pg.lang.replace("-", "_")}">',
        f'<meta property="article:published_time" content="{pg.published}">'
        if pg.published
        else "",
        f'<meta property="article:modified_time" content="{pg.published}">' if pg.published else "",
        f'<meta property="article:section" content="{attr(section)}">',
        '<meta name="twitter:card" content="summary_large_image">',
        f'<meta name="twitter:site" content="@{re.sub(r"[^A-Za-z]", "", site) or "outlet"}">',
        f'<meta name="twitter:title" content="{attr(pg.title)}">',
        f'<meta name="twitter:description" content="{attr(desc)}">',
        '<meta property="fb:app_id" content="1638347519757621">',
        '<meta name="theme-color" content="#121212">',
        '<meta name="apple-mobile-web-app-capable" content="yes">',
        '<meta name="format-detection" content="telephone=no">',
        '<meta name="google-site-verification" content="q1w2e3r4t5y6u7i8o9p0aSdFgHjKlZxCvBnM">',
        '<meta name="csrf-token" content="{{noise:nonce}}">',
        '<link rel="preconnect" href="https://cdn.outlet-static.example" crossorigin>',
        '<link rel="dns-prefetch" href="https://securepubads.g.doubleclick.example">',
        '<link rel="dns-prefetch" href="https://www.googletagmanager.example">',
        f'<link rel="icon" href="{ORIGIN}/favicon.ico" sizes="any">',
        f'<link rel="apple-touch-icon" href="{ORIGIN}/apple-touch-icon.png">',
        f'<link rel="manifest" href="{ORIGIN}/manifest.json">',
        f'<link rel="alternate" type="application/rss+xml" title="{attr(site)}" href="{ORIGIN}/rss.xml">',
        f'<link rel="preload" as="image" href="{ORIGIN}{image}?w=960" imagesrcset="{ORIGIN}{image}?w=480 480w, {ORIGIN}{image}?w=960 960w">',
        '<link rel="stylesheet" href="https://cdn.outlet-static.example/css/main.7f3a9c1e.css">',
        '<link rel="stylesheet" href="https://cdn.outlet-static.example/css/article.2b8d4e0f.css" media="print" onload="this.media=\'all\'">',
        "<style>:root{--brand:#c00;--ink:#121212}body{margin:0;font-family:Georgia,serif}.visually-hidden{position:absolute!important;clip:rect(1px,1px,1px,1px)}</style>",
    ]
    if ld is not None:
        for item in ld if isinstance(ld, list) else [ld]:
            parts.append(
                f'<script type="application/ld+json">{json.dumps(item, ensure_ascii=False)}</script>'
            )
    parts.append(analytics(site))
    parts.append(extra)
    return "<head>\n" + "\n".join(p for p in parts if p) + "\n</head>"


def analytics(site: str) -> str:
    """Tag manager, a consent stub and an inline JSON config, as outlets ship them."""
    config = {
        "site": site,
        "env": "production",
        "release": "2026.11.28-4f1c2a7",
        "ads": {
            "network": "/21775744923/outlet",
            "lazy": True,
            "refresh": 30,
            "slots": ["top", "mid1", "mid2", "mid3", "rail"],
        },
        "paywall": {"meter": 5, "provider": "piano"},
        "features": {"comments": True, "liveUpdates": False, "darkMode": True, "audio": False},
        "endpoints": {
            "api": "/api/v2",
            "search": "/search",
            "comments": "https://comments.outlet-static.example",
        },
    }
    return (
        f'<script nonce="{{{{noise:nonce}}}}">window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments);}}'
        "gtag('consent','default',{'ad_storage':'denied','analytics_storage':'denied','wait_for_update':500});"
        "gtag('js',new Date());gtag('config','G-7XK2Q9P4LM',{'anonymize_ip':true});</script>\n"
        f'<script async src="https://www.googletagmanager.example/gtm.js?id=GTM-K8Q2ZL&amp;cb={{{{noise:nonce}}}}"></script>\n'
        '<script async src="https://securepubads.g.doubleclick.example/tag/js/gpt.js"></script>\n'
        f'<script id="site-config" type="text/x-config">{json.dumps(config)}</script>\n'
        "<script>!function(e,t){var n=t.createElement('script');n.async=1;n.src='https://cdn.outlet-static.example/js/cmp.3.2.1.js';"
        "t.head.appendChild(n);e.__tcfapi=e.__tcfapi||function(){(e.__tcfapi.a=e.__tcfapi.a||[]).push(arguments)}}(window,document);</script>"
    )


def nav_links(pg: Page, prefix: str = "/") -> list[tuple[str, str]]:
    L = pg.L
    return [
        (name, f"{ORIGIN}{prefix}{slug(name, i)[:-2] or 'section'}")
        for i, name in enumerate(L["sections"])
    ]


def menu(
    pg: Page,
    cls: str = "site-nav",
    *,
    tag: str = "nav",
    item_cls: str = "menu-item",
    mega: bool = True,
) -> str:
    """The main navigation: sections, and a mega-menu of topics under each."""
    L = pg.L
    items = []
    for i, (name, href) in enumerate(nav_links(pg)):
        sub = ""
        if mega and i < 6:
            sub = (
                '<ul class="submenu">'
                + "".join(
                    f'<li><a href="{href}/{slug(t, j)}">{esc(t)}</a></li>'
                    for j, t in enumerate(L["topics"][i : i + 5])
                )
                + "</ul>"
            )
        items.append(f'<li class="{item_cls}"><a href="{href}">{esc(name)}</a>{sub}</li>')
    open_tag = f'<{tag} class="{cls}" aria-label="Main">' if tag else ""
    close_tag = f"</{tag}>" if tag else ""
    return f'{open_tag}<ul class="{cls}__list">' + "".join(items) + f"</ul>{close_tag}"


def topbar(pg: Page, site: str, cls: str = "masthead") -> str:
    L = pg.L
    return (
        f'<a class="skip-link" href="#content">{esc(L["skip"])}</a>'
        f'<div class="{cls}"><a class="{cls}__logo" href="{ORIGIN}/"><img src="{ORIGIN}/static/logo.svg" alt="{attr(site)}" width="180" height="32"></a>'
        f'<form class="{cls}__search" action="{ORIGIN}/search" method="get"><input type="search" name="q" placeholder="{attr(L["search"])}"><button type="submit">{esc(L["search"])}</button></form>'
        f'<a class="{cls}__login" href="{ORIGIN}/account/login?return={{{{noise:nonce}}}}">{esc(L["login"])}</a>'
        f'<a class="{cls}__subscribe" href="{ORIGIN}/subscribe?src=header">{esc(L["corp"][-1])}</a>'
        f'<span class="{cls}__time">{{{{noise:clock}}}}</span></div>'
    )


def footer(pg: Page, site: str, *, tag: str = "footer", cls: str = "site-footer") -> str:
    """A footer: sections, topics, corporate links (careers, contact), social links."""
    L = pg.L
    sections = "".join(f'<li><a href="{href}">{esc(n)}</a></li>' for n, href in nav_links(pg))
    topics = "".join(
        f'<li><a href="{ORIGIN}/topic/{slug(t, i)}">{esc(t)}</a></li>'
        for i, t in enumerate(L["topics"])
    )
    corp = "".join(
        f'<li><a href="{ORIGIN}/info/{slug(c, i)}">{esc(c)}</a></li>'
        for i, c in enumerate(L["corp"])
    )
    social = "".join(
        f'<a class="social social--{n}" href="https://www.{n}.example/{re.sub(r"[^a-z]", "", site.lower()) or "outlet"}" rel="noopener">{n.title()}</a>'
        for n in ("facebook", "x", "instagram", "youtube", "telegram", "tiktok")
    )
    body = (
        f'<div class="{cls}__cols"><div class="{cls}__col"><h4>{esc(L["sections"][0])}</h4><ul>{sections}</ul></div>'
        f'<div class="{cls}__col"><h4>{esc(L["tags"])}</h4><ul>{topics}</ul></div>'
        f'<div class="{cls}__col"><h4>{esc(site)}</h4><ul>{corp}</ul></div></div>'
        f'<div class="{cls}__social">{social}</div>'
        f'<p class="{cls}__legal">© 2026 {esc(site)}. {esc(L["copyright"])}</p>'
    )
    return f'<{tag} class="{cls}">{body}</{tag}>' if tag else f'<div class="{cls}">{body}</div>'


def cookie_banner(pg: Page, cls: str = "onetrust-banner-sdk") -> str:
    L = pg.L
    return (
        f'<div id="{cls}" class="{cls} otFlat" role="dialog" aria-modal="false" aria-label="Cookie banner" style="display:none">'
        f'<div class="ot-sdk-container"><p id="onetrust-policy-text">{esc(L["cookie"])} '
        f'<a href="{ORIGIN}/info/cookies" class="ot-cookie-policy-link">{esc(L["corp"][4])}</a></p>'
        f'<div class="ot-btn-container"><button id="onetrust-reject-all-handler">{esc(L["reject"])}</button>'
        f'<button id="onetrust-pc-btn-handler">{esc(L["manage"])}</button>'
        f'<button id="onetrust-accept-btn-handler">{esc(L["accept"])}</button></div></div></div>'
    )


def share_bar(pg: Page, cls: str = "share-tools", *, tag: str = "div") -> str:
    u = pg.url
    t = attr(pg.title)
    nets = [
        ("facebook", f"https://www.facebook.example/sharer/sharer.php?u={u}"),
        ("x", f"https://x.example/intent/tweet?url={u}&amp;text={t}"),
        ("whatsapp", f"https://api.whatsapp.example/send?text={u}"),
        ("telegram", f"https://t.example/share/url?url={u}"),
        ("linkedin", f"https://www.linkedin.example/shareArticle?mini=true&amp;url={u}"),
        ("email", f"mailto:?subject={t}&amp;body={u}"),
    ]
    links = "".join(
        f'<a class="{cls}__btn {cls}__btn--{n}" href="{h}" target="_blank" rel="noopener" aria-label="{n}">{n}</a>'
        for n, h in nets
    )
    return f'<{tag} class="{cls}"><span class="{cls}__label">{esc(pg.L["share"])}</span>{links}<span class="{cls}__count">{{{{noise:counter}}}}</span></{tag}>'


def newsletter(pg: Page, cls: str = "newsletter-signup", *, tag: str = "div") -> str:
    L = pg.L
    return (
        f'<{tag} class="{cls}"><p class="{cls}__pitch">{esc(L["newsletter"])}</p>'
        f'<form action="{ORIGIN}/newsletters/subscribe" method="post"><input type="hidden" name="csrf" value="{{{{noise:nonce}}}}">'
        f'<input type="email" name="email" placeholder="{attr(L["email"])}" required><button type="submit">{esc(L["signup"])}</button></form>'
        f'<a class="{cls}__more" href="{ORIGIN}/newsletters">{esc(L["corp"][-2])}</a></{tag}>'
    )


def tags(pg: Page, names: Iterable[str], cls: str = "tag-list", *, tag: str = "ul") -> str:
    items = "".join(
        f'<li><a href="{ORIGIN}/tag/{slug(n, i)}" rel="tag">{esc(n)}</a></li>'
        for i, n in enumerate(names)
    )
    inner = f'<span class="{cls}__label">{esc(pg.L["tags"])}:</span>'
    if tag == "ul":
        return f'<div class="{cls}">{inner}<ul>{items}</ul></div>'
    return f'<{tag} class="{cls}">{inner}<ul>{items}</ul></{tag}>'


def author_box(pg: Page, name: str, bio: str, cls: str = "author-bio", *, tag: str = "div") -> str:
    s = slug(name, 1)[:-2]
    return (
        f'<{tag} class="{cls}"><img class="{cls}__photo" src="{ORIGIN}/media/authors/{s}.jpg" alt="{attr(name)}" width="64" height="64">'
        f'<div class="{cls}__text"><a class="{cls}__name" href="{ORIGIN}/author/{s}">{esc(name)}</a>'
        f'<p class="{cls}__about">{esc(bio)}</p>'
        f'<a class="{cls}__follow" href="https://x.example/{s.replace("-", "")}">@{s.replace("-", "")}</a></div></{tag}>'
    )


def byline_link(name: str) -> str:
    return f'<a href="{ORIGIN}/author/{slug(name, 1)[:-2]}" rel="author">{esc(name)}</a>'


def teasers(
    pg: Page,
    n: int,
    *,
    tag: str = "article",
    cls: str = "card",
    start: int = 0,
    section: str = "news",
    heading: str = "h3",
    summary: bool = True,
) -> str:
    """``n`` teaser cards (image, headline link, standfirst, time), each its own ``tag``."""
    pool = pg.L["teasers"]
    out = []
    for i in range(n):
        title, dek = pool[(start + i) % len(pool)]
        href = f"{ORIGIN}/{section}/{slug(title, 4000000 + start * 97 + i * 13)}"
        img = f"{ORIGIN}/media/t/{start + i}.jpg"
        out.append(
            f'<{tag} class="{cls}"><a class="{cls}__media" href="{href}" tabindex="-1">'
            f'<img src="{img}?w=320" srcset="{img}?w=320 320w, {img}?w=640 640w" sizes="(max-width: 600px) 100vw, 320px" alt="" loading="lazy" width="320" height="180"></a>'
            f'<{heading} class="{cls}__title"><a href="{href}">{esc(title)}</a></{heading}>'
            + (f'<p class="{cls}__dek">{esc(dek)}</p>' if summary else "")
            + f'<time class="{cls}__time" datetime="2026-12-01T{8 + i % 10:02d}:15:00Z">{8 + i % 10:02d}:15</time></{tag}>'
        )
    return "\n".join(out)


def figure(
    src: str,
    caption: str,
    credit: str,
    *,
    cls: str = "article-figure",
    tag: str = "figure",
    cap: str = "figcaption",
    w: int = 1200,
) -> str:
    s = f"{ORIGIN}/media/{src}"
    return (
        f'<{tag} class="{cls}"><picture><source type="image/webp" srcset="{s}.webp?w=640 640w, {s}.webp?w={w} {w}w">'
        f'<img src="{s}.jpg?w=960" srcset="{s}.jpg?w=640 640w, {s}.jpg?w=960 960w, {s}.jpg?w={w} {w}w" sizes="(max-width: 960px) 100vw, 960px" alt="{attr(caption)}" width="960" height="540" decoding="async"></picture>'
        f'<{cap} class="{cls}__caption">{esc(caption)} <span class="{cls}__credit">{esc(credit)}</span></{cap}></{tag}>'
    )


def read_also(
    pg: Page, *, cls: str = "read-also", static: tuple[str, str] | None = None, tag: str = "div"
) -> str:
    """A "read also" block: a rotating related link (noise), or a fixed one."""
    label = esc(pg.L["read_also"])
    link = f'<a href="{static[1]}">{esc(static[0])}</a>' if static else "{{noise:related:a}}"
    return f'<{tag} class="{cls}"><strong>{label}:</strong> {link}</{tag}>'


def related_list(
    pg: Page, *, cls: str = "related-stories", tag: str = "aside", heading: str | None = None
) -> str:
    return f'<{tag} class="{cls}"><h2>{esc(heading or pg.L["more"])}</h2><ul>{{{{noise:related}}}}</ul></{tag}>'


def doc(
    pg: Page, head_html: str, body_html: str, *, html_attrs: str | None = None, body_attrs: str = ""
) -> str:
    attrs = f' lang="{pg.lang}"' if html_attrs is None else html_attrs
    return f"<!DOCTYPE html>\n<html{attrs}>\n{head_html}\n<body{body_attrs}>\n{body_html}\n</body>\n</html>\n"


def tail_scripts(extra: str = "") -> str:
    return (
        '<script src="https://cdn.outlet-static.example/js/vendor.91ab3c.js" defer></script>\n'
        '<script src="https://cdn.outlet-static.example/js/article.5e7d21.js?v={{noise:nonce}}" defer></script>\n'
        "<script>window.addEventListener('load',function(){if(window.googletag){googletag.cmd.push(function(){googletag.display('top');});}});</script>\n"
        '<noscript><img src="https://pixel.metrics.example/p.gif?site=outlet" width="1" height="1" alt=""></noscript>\n'
        + extra
    )


def news_ld(
    pg: Page,
    *,
    body: str | None = None,
    desc: str = "",
    section: str = "",
    kind: str = "NewsArticle",
    graph: bool = False,
    publisher: str = "Outlet",
    extra: dict[str, Any] | None = None,
) -> Any:
    """JSON-LD for the story; ``body`` is its ``articleBody`` (omitted when ``None``)."""
    item: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": kind,
        "mainEntityOfPage": {"@type": "WebPage", "@id": pg.url},
        "headline": pg.title,
        "description": desc,
        "image": [f"{ORIGIN}/media/lead.jpg"],
        "datePublished": pg.published,
        "dateModified": pg.published,
        "author": [
            {"@type": "Person", "name": a, "url": f"{ORIGIN}/author/{slug(a, 1)[:-2]}"}
            for a in pg.authors
        ],
        "publisher": {
            "@type": "Organization",
            "name": publisher,
            "logo": {"@type": "ImageObject", "url": f"{ORIGIN}/static/logo.png"},
        },
        "inLanguage": pg.lang,
    }
    if section:
        item["articleSection"] = section
    if body is not None:
        item["articleBody"] = body
    if extra:
        item.update(extra)
    if graph:
        del item["@context"]
        return {
            "@context": "https://schema.org",
            "@graph": [
                {
                    "@type": "WebSite",
                    "@id": f"{ORIGIN}/#website",
                    "url": f"{ORIGIN}/",
                    "name": publisher,
                    "potentialAction": {
                        "@type": "SearchAction",
                        "target": f"{ORIGIN}/search?q={{search_term_string}}",
                        "query-input": "required name=search_term_string",
                    },
                },
                {
                    "@type": "BreadcrumbList",
                    "itemListElement": [
                        {"@type": "ListItem", "position": 1, "name": "Home", "item": f"{ORIGIN}/"},
                        {
                            "@type": "ListItem",
                            "position": 2,
                            "name": section or "News",
                            "item": f"{ORIGIN}/news",
                        },
                    ],
                },
                item,
            ],
        }
    return item


def main() -> int:
    import importlib

    for module in ("stories_a", "stories_b", "stories_c", "stories_d", "walls"):
        try:
            importlib.import_module(f"tests.corpus.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.corpus.{module}":
                raise
    from tests.corpus import compose

    names = set()
    for fn in compose.REGISTRY:
        pg = fn()
        if pg.name in names:
            raise ValueError(f"two pages named {pg.name}")
        names.add(pg.name)
        pg.save()
        size = len(pg.html.encode())
        print(
            f"{pg.name:<34} {size / 1024:6.1f} KB  {pg.lang:<3} {len(pg.body):>2} paragraphs  {len(pg.citations)} citations"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


AD = "{{noise:ad}}"
REL = "{{noise:related}}"
RELA = "{{noise:related:a}}"
CNT = "{{noise:counter}}"
NONCE = "{{noise:nonce}}"
UPD = "{{noise:updated}}"
CLOCK = "{{noise:clock}}"
