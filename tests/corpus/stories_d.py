# ruff: noqa: RUF001, E501  (Cyrillic, Arabic and CJK text; long lines of markup)
"""More shapes: an articleBody wrapper that is too wide, citations in lists and quotes,
pages without citations, a card <article> inside the body, Traditional Chinese."""

from __future__ import annotations

from tests.corpus.compose import (
    AD,
    CNT,
    ORIGIN,
    REL,
    UPD,
    Page,
    author_box,
    byline_link,
    cookie_banner,
    doc,
    esc,
    figure,
    footer,
    head,
    menu,
    news_ld,
    newsletter,
    page,
    related_list,
    share_bar,
    tags,
    tail_scripts,
    teasers,
    topbar,
)


@page
def ru_wide_articlebody() -> Page:
    pg = Page(
        "ru-itemprop-articlebody-too-wide",
        "/news/2026/11/27/v-gorode-otkrylas-novaya-biblioteka",
        lang="ru",
        script="cyrillic",
        title="В городе открылась новая центральная библиотека",
        shape="itemprop=articleBody on a wrapper that also holds the comments, a poll and related teasers; no citations",
        authors=["Павел Орлов"],
        published="2026-11-27T12:30:00+03:00",
    )
    site = "Городские новости"
    body = "\n".join(
        [
            pg.p(
                "В субботу в центре города открылась новая центральная библиотека. Здание площадью восемь тысяч квадратных метров строили три года."
            ),
            pg.p(
                "В библиотеке есть читальные залы на четыреста мест, детский этаж, студия звукозаписи и лекторий. Фонд насчитывает более трёхсот тысяч книг."
            ),
            AD,
            pg.p(
                "В первый день библиотеку посетили почти пять тысяч человек. Многие пришли целыми семьями, чтобы записаться и получить читательский билет."
            ),
            pg.p(
                "Директор библиотеки рассказала, что по выходным здесь будут проходить бесплатные занятия для детей и встречи с писателями."
            ),
            pg.p("Библиотека работает ежедневно с девяти утра до десяти вечера. Вход свободный."),
        ]
    )
    comments = "".join(
        f'<div class="comment"><div class="comment__author"><a href="{ORIGIN}/users/{n}">{esc(a)}</a></div><p class="comment__text">{esc(t)}</p><span class="comment__likes">{CNT}</span></div>'
        for n, (a, t) in enumerate(
            [
                (
                    "Марина К.",
                    "Были сегодня с детьми, очень понравилось! Особенно детский этаж и зона для настольных игр.",
                ),
                (
                    "Сергей",
                    "Наконец-то. Старое здание было в ужасном состоянии, там даже отопление не работало.",
                ),
                ("Гость", "А парковку сделали? В прошлый раз негде было поставить машину."),
                ("Ольга Н.", "Записалась в клуб любителей фантастики, первая встреча в четверг."),
            ]
        )
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="Здание строили три года.",
            ld=news_ld(pg, desc="Здание строили три года.", section="Город", publisher=site),
            section="Город",
        ),
        f"""{cookie_banner(pg)}
<div class="header">{topbar(pg, site)}{menu(pg, tag="div", cls="menu")}</div>
<div class="content" itemscope itemtype="https://schema.org/NewsArticle">
  <h1 itemprop="headline">{esc(pg.title)}</h1>
  <div class="info"><span itemprop="author">{byline_link("Павел Орлов")}</span> <span itemprop="datePublished" content="{pg.published}">27 ноября 2026, 12:30</span> <span>{UPD}</span></div>
  <div class="article-wrapper" itemprop="articleBody">
    {figure("2026/11/biblioteka", "Читальный зал новой библиотеки.", "Фото: Городские новости")}
    <div class="text">
{body}
    </div>
    {tags(pg, ["Культура", "Библиотеки", "Город"])}
    {share_bar(pg)}
    <div class="poll"><p class="poll__q">Как часто вы ходите в библиотеку?</p><ul><li>Каждую неделю</li><li>Раз в месяц</li><li>Раз в год</li><li>Никогда</li></ul></div>
    <div class="similar"><p class="similar__title">Похожие новости</p>{teasers(pg, 4, tag="div", cls="similar__item")}</div>
    <div class="comments-block"><p class="comments-block__title">Комментарии ({CNT})</p>{comments}</div>
  </div>
</div>
<div class="right-col">{AD}{related_list(pg, tag="div")}</div>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def en_investigation() -> Page:
    pg = Page(
        "en-investigation-six-citations",
        "/news/2026/nov/22/care-homes-staffing-investigation",
        lang="en-GB",
        script="latin",
        title="Revealed: care homes run with half the staff they report to inspectors",
        shape="long read in div#maincontent[data-gu-name=body] with gu-island elements, h2 subheadings, a citation in a list item and one in a blockquote, a pull quote aside repeating a sentence, 6 citations",
        authors=["Helen Carter", "Samir Khan"],
        published="2026-11-22T06:00:00Z",
    )
    site = "The Observer Post"
    body = "\n".join(
        [
            pg.p(
                "Care homes across the country have been operating with barely half the staff they reported to inspectors, an investigation by this newspaper has found, leaving residents without help to eat, wash or get to the toilet."
            ),
            pg.p(
                "Rotas obtained from 41 homes run by three of the largest providers show that on one night in five, a single carer was responsible for more than 20 residents. The providers told inspectors that staffing levels were at least twice as high."
            ),
            pg.p(
                "The findings are based on leaked documents, interviews with 37 current and former staff, and an analysis of [the inspectorate's published ratings](https://www.care-inspectorate.example/ratings/download/2026-11.csv)."
            ),
            f'<gu-island name="AdSlot" deferuntil="visible"><div class="ad-slot-container">{AD}</div></gu-island>',
            pg.h("'We were just running from room to room'", "h2"),
            pg.p(
                "Former carers described shifts on which they could not answer call bells for an hour. One said she had found a resident on the floor of his room at 5am, where he had lain since midnight."
            ),
            '<aside class="pullquote"><blockquote><p>We were just running from room to room.</p></blockquote></aside>',
            pg.quote(
                "Staffing levels are the single biggest factor in the quality of care. Where they fall, harm follows, as [our own review found](https://www.care-inspectorate.example/publications/state-of-care-2025).",
                open='<blockquote class="block-quote"><p>',
                close="</p></blockquote>",
            ),
            pg.p(
                "The providers said the rotas did not reflect agency staff brought in at short notice, and that they met every legal requirement."
            ),
            pg.h("What the law requires", "h2"),
            pg.p(
                'There is no legal minimum ratio of staff to residents in England. Homes must employ "sufficient numbers" of staff, a standard campaigners say is impossible to enforce. The main rules are:'
            ),
            pg.items(
                [
                    "Homes must assess the needs of each resident, under [the 2014 regulations](https://www.legislation.example/uksi/2014/2936/regulation/18).",
                    "They must keep accurate staffing records for inspection.",
                    "Inspectors can take enforcement action when staffing is unsafe, as [the enforcement policy](https://www.care-inspectorate.example/guidance/enforcement-policy) sets out.",
                ]
            ),
            pg.p(
                "Ministers said they would look closely at the findings. Campaigners repeated their call, made in [a petition signed by 240,000 people](https://petition.parliament.example/petitions/700412), for a legal minimum."
            ),
            pg.p(
                "Two of the three providers were warned about staffing last year, as [we reported in March](/news/2026/mar/14/care-provider-staffing-warning), and both promised to recruit more carers."
            ),
        ]
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="Leaked rotas show homes run with barely half the staff they report.",
            ld=news_ld(
                pg,
                desc="Leaked rotas show homes run with barely half the staff they report.",
                section="Society",
                publisher=site,
                kind="ReportageNewsArticle",
            ),
            section="Society",
        ),
        f"""<div id="bannerandheader"><gu-island name="TopBar">{topbar(pg, site)}</gu-island>{menu(pg, cls="nav-primary")}</div>
{cookie_banner(pg, cls="sp_message_container_1021")}
<div class="dcr-1aul2ye" data-gu-name="content">
  <div class="dcr-kicker"><a href="{ORIGIN}/society">Society</a></div>
  <div data-gu-name="headline" class="dcr-headline"><h1 class="dcr-u0152o">{esc(pg.title)}</h1></div>
  <div data-gu-name="standfirst" class="dcr-standfirst"><p>Leaked rotas show homes run with barely half the staff they report.</p></div>
  <div data-gu-name="meta" class="dcr-meta">{byline_link("Helen Carter")} and {byline_link("Samir Khan")} · Sun 22 Nov 2026 06.00 GMT · {UPD} · <gu-island name="ShareButton">{share_bar(pg, cls="dcr-share")}</gu-island></div>
  <div data-gu-name="media">{figure("2026/11/care-home", "A corridor in a care home in the Midlands.", "Photograph: Chris Lane/The Observer Post", cls="dcr-figure")}</div>
  <div id="maincontent" data-gu-name="body" class="article-body-commercial-selector article-body-viewer-selector dcr-1pvsdn">
{body}
  </div>
  <div class="dcr-submeta">{tags(pg, ["Care homes", "Social care", "Health"], cls="dcr-tags")}</div>
  {author_box(pg, "Helen Carter", "Helen Carter is the social affairs editor.", cls="dcr-author")}
  <gu-island name="OnwardsUpper"><div class="onward"><h2>More on this story</h2>{teasers(pg, 4, tag="div", cls="dcr-card")}</div></gu-island>
  <gu-island name="MostViewedFooter"><div class="most-viewed"><h2>Most viewed</h2><ol>{REL}</ol></div></gu-island>
  {newsletter(pg, cls="dcr-newsletter")}
</div>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def ar_no_citations() -> Page:
    pg = Page(
        "ar-body-text-teaser-articles",
        "/sport/2026/11/30/المنتخب-يتأهل-إلى-كأس-العالم",
        lang="ar",
        script="arabic",
        title="المنتخب الوطني يتأهل إلى نهائيات كأس العالم",
        shape="rtl; story in div#body-text inside a plain div among many <article> teaser cards; no citations; inline 'اقرأ أيضا' list inside the body",
        authors=["خالد منصور"],
        published="2026-11-30T22:15:00+03:00",
    )
    site = "الرياضة اليوم"
    body = "\n".join(
        [
            pg.p(
                "تأهل المنتخب الوطني لكرة القدم إلى نهائيات كأس العالم بعد فوزه مساء الأحد على ضيفه بهدفين دون رد في المباراة الحاسمة من التصفيات."
            ),
            pg.p(
                "وسجل هدفي المباراة مهاجم المنتخب في الشوط الثاني، وسط حضور جماهيري كبير تجاوز خمسين ألف متفرج."
            ),
            f'<div class="read-more-box"><h4>{esc(pg.L["read_also"])}</h4><ul>{REL}</ul></div>',
            pg.p(
                "وقال المدرب في المؤتمر الصحفي بعد المباراة إن اللاعبين قدموا أداء رائعا، وإن التأهل ثمرة عمل استمر ثلاث سنوات."
            ),
            AD,
            pg.p(
                "وخرجت الجماهير إلى الشوارع للاحتفال حتى ساعات الصباح الأولى، فيما هنأ المسؤولون اللاعبين والجهاز الفني."
            ),
            pg.p("وهذه هي المرة الثالثة في تاريخه التي يتأهل فيها المنتخب إلى نهائيات كأس العالم."),
        ]
    )
    cards = "\n".join(
        f'<article class="news-card">{teasers(pg, 1, tag="div", cls="news-card__in", start=i)}</article>'
        for i in range(10)
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="فوز بهدفين دون رد في المباراة الحاسمة.",
            ld=news_ld(
                pg, desc="فوز بهدفين دون رد في المباراة الحاسمة.", section="رياضة", publisher=site
            ),
            section="رياضة",
        ),
        f"""{cookie_banner(pg)}
<header class="main-header">{topbar(pg, site)}{menu(pg)}</header>
<div class="page-container">
  <section class="top-cards">{cards}</section>
  <div class="article-content">
    <h1 class="article-title">{esc(pg.title)}</h1>
    <div class="article-meta"><span>{byline_link("خالد منصور")}</span> <span>30 نوفمبر 2026</span> <span>{UPD}</span></div>
    {figure("2026/11/muntakhab", "لاعبو المنتخب يحتفلون بالتأهل.", "تصوير: الرياضة اليوم")}
    <div id="body-text">
{body}
    </div>
    {tags(pg, ["كرة القدم", "كأس العالم", "المنتخب"])}
    {share_bar(pg)}
  </div>
  <section class="bottom-cards">{cards}</section>
</div>
{footer(pg, site)}
{tail_scripts()}""",
        html_attrs=' lang="ar" dir="rtl"',
    )
    pg.html = html
    return pg


@page
def es_card_inside_body() -> Page:
    pg = Page(
        "es-card-article-inside-body",
        "/mexico/2026/11/23/la-ciudad-de-mexico-estrena-tren-ligero-al-aeropuerto",
        lang="es-MX",
        script="latin",
        title="La Ciudad de México estrena tren ligero al aeropuerto",
        shape="story in <main> grid; a 'Te puede interesar' teaser <article> card and an embedded video block sit inside the body container between paragraphs",
        authors=["Daniela Ruiz"],
        published="2026-11-23T13:40:00-06:00",
    )
    site = "Crónica Capital"
    card = f'<article class="card-inline"><span class="card-inline__label">Te puede interesar</span><a href="{ORIGIN}/mexico/2026/11/20/el-metro-sube-la-tarifa"><img src="{ORIGIN}/media/t/metro.jpg" alt="" width="120" height="80"><h3>El Metro sube la tarifa a partir de enero</h3><p>La tarifa pasará de cinco a seis pesos por viaje en toda la red.</p></a></article>'
    video = f'<div class="video-embed"><div class="video-embed__player" data-video-id="vid-88213"></div><p class="video-embed__title">Video: así es el nuevo tren ligero</p><span class="video-embed__views">{CNT} reproducciones</span></div>'
    body = "\n".join(
        [
            pg.p(
                "La Ciudad de México inauguró este lunes una línea de tren ligero que conecta el centro con el aeropuerto internacional en 25 minutos, la mitad de lo que tarda hoy el trayecto en automóvil."
            ),
            pg.p(
                "La línea tiene 14 kilómetros y nueve estaciones. Según [el informe del gobierno capitalino](https://www.cdmx-gob.example/movilidad/tren-ligero-aeropuerto/informe-2026.pdf), transportará a unos 130 mil pasajeros al día."
            ),
            card,
            pg.p(
                "El pasaje costará 15 pesos, con descuento para estudiantes y personas mayores. Los trenes pasarán cada cinco minutos en horas pico."
            ),
            video,
            pg.p(
                "Vecinos de las colonias por las que pasa la línea se quejaron del ruido durante los dos años de obras, y algunos comercios cerraron por la caída de clientes."
            ),
            AD,
            pg.p(
                "La jefa de Gobierno dijo que la obra costó 9 mil millones de pesos, un 20 % más de lo previsto, y prometió una segunda etapa hacia el norte de la ciudad."
            ),
        ]
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="El trayecto al aeropuerto se reduce a 25 minutos.",
            ld=news_ld(
                pg,
                desc="El trayecto al aeropuerto se reduce a 25 minutos.",
                section="México",
                publisher=site,
            ),
            section="México",
        ),
        f"""{cookie_banner(pg)}
<header class="header">{topbar(pg, site)}{menu(pg)}</header>
<main class="main-grid">
  <div class="main-grid__col main-grid__col--8">
    <div class="nota">
      <h1 class="nota__titulo">{esc(pg.title)}</h1>
      <div class="nota__autor">{byline_link("Daniela Ruiz")} · 23 de noviembre de 2026 · {UPD}</div>
      {figure("2026/11/tren-ligero", "El tren ligero en la estación Terminal 1.", "Foto: Crónica Capital")}
      <div class="nota__cuerpo">
{body}
      </div>
      {tags(pg, ["Movilidad", "CDMX", "Aeropuerto"])}
      {share_bar(pg)}
    </div>
  </div>
  <div class="main-grid__col main-grid__col--4">{AD}{teasers(pg, 6, tag="article", cls="card")}</div>
  <div class="main-grid__row">{teasers(pg, 4, tag="article", cls="card card--wide", start=2)}</div>
</main>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def zh_tw() -> Page:
    pg = Page(
        "zh-tw-no-lang-no-citations",
        "/news/20261126/4412908",
        lang="zh-TW",
        script="cjk",
        title="台北捷運環狀線北段動工 預計2031年通車",
        shape="Traditional Chinese, no lang attribute; story in div.story > div.paragraph with <p>s; <article> teaser cards in a list beside it; no citations",
        authors=["陳怡君"],
        published="2026-11-26T15:20:00+08:00",
    )
    site = "新聞網"
    body = "\n".join(
        [
            pg.p(
                "台北捷運環狀線北段工程今天舉行動工典禮，預計2031年通車，屆時將串連北部多個行政區。"
            ),
            pg.p(
                "北段全長約十四公里，共設十二座車站，總經費約一千億元。市府表示，通車後每天可服務約十五萬人次。"
            ),
            AD,
            pg.p(
                "捷運局指出，工程將分段施工，以減少對周邊交通的影響。部分路段施工期間將實施交通管制。"
            ),
            pg.p("沿線居民對工程表示期待，但也擔心施工噪音與交通壅塞問題。"),
            pg.p("市長在典禮上致詞時表示，環狀線完成後，將大幅改善跨區通勤的便利性。"),
        ]
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="北段全長約十四公里，共設十二座車站。",
            ld=news_ld(
                pg, desc="北段全長約十四公里，共設十二座車站。", section="生活", publisher=site
            ),
            section="生活",
        ),
        f"""<div class="wrapper">
<div class="header">{topbar(pg, site)}{menu(pg, tag="div", cls="nav-menu", mega=False)}</div>
<div class="main-content clearfix">
  <div class="left-content">
    <div class="story">
      <h1 class="story_art_title">{esc(pg.title)}</h1>
      <div class="story_bady_info_author">{byline_link("陳怡君")} / 台北報導 <span>2026-11-26 15:20</span> <span>{UPD}</span></div>
      {figure("2026/11/mrt", "環狀線北段動工典禮。", "記者陳怡君／攝影", tag="div", cap="p", cls="photo_center")}
      <div class="paragraph">
{body}
      </div>
      <div class="keywords">{tags(pg, ["捷運", "環狀線", "台北"])}</div>
      {share_bar(pg)}
    </div>
  </div>
  <div class="right-content"><div class="list-news">{teasers(pg, 8, tag="article", cls="news-item", summary=False)}</div>{AD}</div>
</div>
{footer(pg, site, tag="div", cls="footer")}
</div>
{tail_scripts()}""",
        html_attrs="",
    )
    pg.html = html
    return pg


@page
def en_comments_inside_article() -> Page:
    pg = Page(
        "en-comments-inside-article",
        "/opinion/2026/11/21/four-day-week-trial-results",
        lang="en",
        script="latin",
        title="The four-day week trial is over. Here is what we learned",
        shape="one <article> holds the story and, below it, a comment thread with more text than the story and a 'most read' list; comments are <article>s too",
        authors=["Ruth Levene"],
        published="2026-11-21T08:00:00Z",
    )
    site = "Weekly Argument"
    body = "\n".join(
        [
            pg.p(
                "Six months ago, 61 companies agreed to let their staff work four days a week for the same pay. The results, published this week, are more positive than even the organisers expected."
            ),
            pg.p(
                "Revenue at the participating firms was broadly unchanged, while sick days fell by two-thirds, according to [the researchers' final report](https://www.work-research.example/reports/four-day-week-pilot-final.pdf). Of the 61 companies, 56 have decided to continue."
            ),
            pg.p(
                "The trial had limits. Most of the firms were small, and few were in manufacturing or retail, where hours are harder to compress."
            ),
            AD,
            pg.p(
                "But the lesson is not that everyone should work four days. It is that many of the hours we spend at work are not as productive as we assume, and that employers who measure output rather than attendance can find that out."
            ),
            pg.p(
                "The government has said it has no plans to legislate. It does not need to: the firms that keep the four-day week will compete for staff, and the rest will have to respond."
            ),
        ]
    )
    comments = "\n".join(
        f'<article class="comment" id="comment-{900 + n}"><header class="comment__head"><a href="{ORIGIN}/profile/{n}">{esc(a)}</a> <time>{n + 1} days ago</time></header><p>{esc(t)}</p><footer class="comment__foot"><button>Reply</button> <span>{CNT} recommends</span></footer></article>'
        for n, (a, t) in enumerate(
            [
                (
                    "gardener_77",
                    "I have worked a compressed week for three years now and I would never go back. The extra day is when I do everything that used to eat my weekends: the shopping, the appointments, the paperwork. My output has not dropped at all, if anything I am more focused on the four days I am at my desk.",
                ),
                (
                    "Not Convinced",
                    "Small firms in professional services are exactly the ones that could always have done this. Try running a hospital ward or a bus route on four days. The article admits as much but then waves it away, which is a bit too convenient for an opinion piece.",
                ),
                (
                    "M. Okoye",
                    "The sick-day figure is the one that matters. Absence costs employers a fortune and nobody measures presenteeism. If people are less burnt out they are less ill, and that is worth more than the lost hours.",
                ),
                (
                    "retired_engineer",
                    "We had a nine-day fortnight in the 1980s at the plant where I worked. It was popular, productivity held up, and it was scrapped when new management arrived who wanted to see people at their benches. Culture matters more than any trial.",
                ),
                (
                    "Ana",
                    "What happens to part-time workers who already work four days for four days' pay? Do they get a raise? Nobody ever answers this question.",
                ),
            ]
        )
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="Sick days fell by two-thirds at the participating firms.",
            ld=news_ld(
                pg,
                desc="Sick days fell by two-thirds at the participating firms.",
                section="Opinion",
                publisher=site,
                kind="OpinionNewsArticle",
            ),
            section="Opinion",
        ),
        f"""{cookie_banner(pg)}
<header class="masthead">{topbar(pg, site)}{menu(pg)}</header>
<div class="content">
<article class="opinion-piece">
  <div class="opinion-piece__label">Opinion</div>
  <h1>{esc(pg.title)}</h1>
  <div class="opinion-piece__byline">{byline_link("Ruth Levene")} · 21 November 2026 · {UPD}</div>
  {figure("2026/11/office", "An empty office on a Friday.", "Photograph: Weekly Argument")}
  <div class="opinion-piece__text">
{body}
  </div>
  {author_box(pg, "Ruth Levene", "Ruth Levene writes about work and the economy. Her book on working time is published next spring.")}
  {share_bar(pg)}
  <section class="thread" id="comments"><h2>{CNT} comments</h2>
{comments}
  </section>
  <div class="most-read"><h2>Most read</h2><ol>{REL}</ol></div>
</article>
<div class="below">{teasers(pg, 6)}</div>
</div>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def de_div_paragraphs() -> Page:
    pg = Page(
        "de-div-paragraphs-no-p",
        "/regional/hamburg/hafen-containerumschlag-sinkt-id240981133.html",
        lang="de",
        script="latin",
        title="Hamburger Hafen: Containerumschlag sinkt auf Zehnjahrestief",
        shape="no <p> anywhere in the body: each paragraph a div.absatz, subheadings h3 inside the same container; 'Auch interessant' block and a paywall-free 'Mehr zum Thema' list between paragraphs",
        authors=["Lars Petersen"],
        published="2026-11-20T17:10:00+01:00",
    )
    site = "Nordblick"
    D = '<div class="absatz">'
    E = "</div>"
    body = "\n".join(
        [
            pg.p(
                "Im Hamburger Hafen sind in den ersten neun Monaten des Jahres so wenige Container umgeschlagen worden wie seit zehn Jahren nicht mehr. Das geht aus [den Zahlen des Hafenmarketings](https://www.hafen-hamburg.example/de/statistiken/umschlag-q3-2026) hervor.",
                open=D,
                close=E,
            ),
            pg.p(
                "Insgesamt wurden 5,6 Millionen Standardcontainer bewegt, ein Rückgang von vier Prozent im Vergleich zum Vorjahr. Besonders der Handel mit Asien ging zurück.",
                open=D,
                close=E,
            ),
            f'<div class="auch-interessant"><span>Auch interessant</span> {"{{noise:related:a}}"}</div>',
            pg.h("Konkurrenz aus Rotterdam und Antwerpen", "h3"),
            pg.p(
                "Die Häfen in Rotterdam und Antwerpen konnten ihren Umschlag dagegen leicht steigern. Fachleute sehen einen Grund in der langen Verzögerung bei der Elbvertiefung.",
                open=D,
                close=E,
            ),
            AD,
            pg.p(
                "Der Wirtschaftssenator sagte, der Hafen bleibe das Herz der Hamburger Wirtschaft. Die Stadt wolle in den kommenden Jahren mehr in die Digitalisierung der Abläufe investieren.",
                open=D,
                close=E,
            ),
            f'<div class="mehr-zum-thema"><strong>Mehr zum Thema</strong><ul>{REL}</ul></div>',
            pg.p(
                "Die Gewerkschaft warnte vor einem Stellenabbau bei den Terminalbetreibern und forderte eine Beschäftigungsgarantie.",
                open=D,
                close=E,
            ),
        ]
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="5,6 Millionen Standardcontainer in neun Monaten.",
            ld=news_ld(
                pg,
                desc="5,6 Millionen Standardcontainer in neun Monaten.",
                section="Hamburg",
                publisher=site,
            ),
            section="Hamburg",
        ),
        f"""{cookie_banner(pg, cls="sp_message_container")}
<div class="page">
<div class="page__header">{topbar(pg, site)}{menu(pg, tag="div", cls="navigation")}</div>
<div class="page__content">
  <div class="article-head"><span class="article-head__kicker">Hafen</span><h1 class="article-head__title">{esc(pg.title)}</h1>
  <div class="article-head__meta">{byline_link("Lars Petersen")} · 20.11.2026, 17:10 Uhr · {UPD}</div></div>
  {figure("2026/11/hafen", "Containerbrücken am Burchardkai.", "Foto: Nordblick", tag="div", cap="div")}
  <div class="article-text">
{body}
  </div>
  {tags(pg, ["Hafen", "Hamburg", "Wirtschaft"])}
  {share_bar(pg)}
</div>
<div class="page__aside">{AD}{teasers(pg, 5, tag="div", cls="aside-teaser")}</div>
{footer(pg, site, tag="div", cls="page__footer")}
</div>
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def uk_split_body() -> Page:
    pg = Page(
        "uk-body-split-by-teaser-module",
        "/ukraine/2026/11/19/u-lvovi-vidkryly-tsentr-reabilitatsii-8841002",
        lang="uk",
        script="cyrillic",
        title="У Львові відкрили новий центр реабілітації для військових",
        shape="the body is split into two sibling divs by a large 'Головне за день' teaser module with longer text than either half",
        authors=["Марія Гнатюк"],
        published="2026-11-19T16:45:00+02:00",
    )
    site = "Західний вісник"
    first = "\n".join(
        [
            pg.p(
                "У Львові відкрили новий центр реабілітації для військових, які отримали поранення. Центр розрахований на двісті пацієнтів одночасно."
            ),
            pg.p(
                "У закладі працюватимуть фізичні терапевти, психологи та протезисти. Обладнання закупили за кошти міжнародних партнерів, повідомили в [міській раді](https://www.city-lviv.example/news/2026/11/19/rehab-centre)."
            ),
        ]
    )
    second = "\n".join(
        [
            pg.p(
                "Перших пацієнтів центр прийме вже наступного тижня. Лікування буде безкоштовним."
            ),
            pg.p(
                "Директор центру розповів, що особливу увагу приділятимуть поверненню ветеранів до роботи та навчання."
            ),
            AD,
            pg.p("Міська влада планує відкрити ще два подібні заклади до кінця наступного року."),
        ]
    )
    module = (
        '<div class="day-main"><div class="day-main__title">Головне за день</div>'
        + "".join(
            f'<div class="day-main__item"><a href="{ORIGIN}/ukraine/2026/11/19/{i}">{esc(t)}</a><p>{esc(d)}</p></div>'
            for i, (t, d) in enumerate(pg.L["teasers"])
        )
        + "</div>"
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="Центр розрахований на двісті пацієнтів.",
            ld=news_ld(
                pg,
                desc="Центр розрахований на двісті пацієнтів.",
                section="Україна",
                publisher=site,
            ),
            section="Україна",
        ),
        f"""{cookie_banner(pg)}
<header class="header">{topbar(pg, site)}{menu(pg)}</header>
<div class="article-page">
  <h1 class="article-page__title">{esc(pg.title)}</h1>
  <div class="article-page__meta">{byline_link("Марія Гнатюк")} · 19 листопада 2026, 16:45 · {UPD} · {CNT}</div>
  {figure("2026/11/reabilitatsiya", "Зала фізичної терапії в новому центрі.", "Фото: Західний вісник")}
  <div class="article-page__text article-page__text--first">
{first}
  </div>
  {module}
  <div class="article-page__text article-page__text--second">
{second}
  </div>
  {tags(pg, ["Львів", "Реабілітація", "Ветерани"])}
  {share_bar(pg)}
</div>
<div class="sidebar-news">{AD}{teasers(pg, 5, tag="div", cls="sidebar-news__item", summary=False)}</div>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def pt_photo_story() -> Page:
    pg = Page(
        "pt-photo-story-long-captions",
        "/brasil/2026/11/18/enchentes-no-sul-em-imagens",
        lang="pt-BR",
        script="latin",
        title="Enchentes no Sul: cidades tentam se reerguer após a água baixar",
        shape="photo story: short paragraphs between many figures whose captions are longer than the paragraphs",
        authors=["Beatriz Lima"],
        published="2026-11-18T10:30:00-03:00",
    )
    site = "Jornal do País"
    captions = [
        "Moradores retiram móveis destruídos de uma casa no bairro Navegantes, em Porto Alegre, onde a água chegou a dois metros de altura durante a pior fase da enchente, na semana passada.",
        "Voluntários organizam doações de roupas, água potável e produtos de limpeza em um ginásio de Canoas que funciona como centro de distribuição para mais de três mil famílias desabrigadas.",
        "Uma ponte destruída pela correnteza no Vale do Taquari deixou comunidades inteiras isoladas por quatro dias, até que o Exército instalasse uma passagem provisória sobre o rio.",
        "Comerciantes do centro histórico de Lajeado limpam suas lojas com a ajuda de vizinhos; muitos dizem que não têm seguro e que não sabem se conseguirão reabrir antes do Natal.",
    ]
    body = "\n".join(
        [
            pg.p(
                "Duas semanas depois das chuvas que atingiram o Rio Grande do Sul, a água baixou na maioria das cidades, mas a reconstrução está apenas começando."
            ),
            figure("2026/11/enchente-1", captions[0], "Foto: Beatriz Lima/Jornal do País"),
            pg.p(
                "Segundo a [Defesa Civil do estado](https://www.defesacivil-rs.example/boletins/2026-11-17), 92 mil pessoas ainda estão fora de casa."
            ),
            figure("2026/11/enchente-2", captions[1], "Foto: Beatriz Lima/Jornal do País"),
            pg.p(
                "As doações continuam chegando de todo o país, e os centros de distribuição pedem sobretudo água e colchões."
            ),
            AD,
            figure("2026/11/enchente-3", captions[2], "Foto: Divulgação/Exército"),
            pg.p(
                "Nas áreas rurais, o maior desafio é recuperar estradas e pontes para que a produção agrícola volte a circular."
            ),
            figure("2026/11/enchente-4", captions[3], "Foto: Beatriz Lima/Jornal do País"),
            pg.p(
                "O governo federal anunciou uma linha de crédito para pequenos comerciantes afetados, com juros reduzidos e carência de um ano."
            ),
        ]
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="A reconstrução está apenas começando.",
            ld=news_ld(
                pg, desc="A reconstrução está apenas começando.", section="Brasil", publisher=site
            ),
            section="Brasil",
        ),
        f"""{cookie_banner(pg, cls="cookie-banner-lgpd")}
<header class="header">{topbar(pg, site)}{menu(pg)}</header>
<main>
<article class="materia materia--fotos">
  <h1 class="materia__titulo">{esc(pg.title)}</h1>
  <div class="materia__autor">Por {byline_link("Beatriz Lima")}, enviada especial a Porto Alegre · {UPD}</div>
  <div class="materia__corpo">
{body}
  </div>
  {tags(pg, ["Enchentes", "Rio Grande do Sul", "Clima"])}
  {share_bar(pg)}
</article>
{related_list(pg)}
</main>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def en_plain_read_more() -> Page:
    pg = Page(
        "en-plain-read-more-paragraphs",
        "/news/article-14472031/zoo-welcomes-twin-red-panda-cubs.html",
        lang="en",
        script="latin",
        title="Zoo welcomes twin red panda cubs, the first born there in 20 years",
        shape="'READ MORE:' and 'RELATED:' lines are plain <p>s without classes among the body paragraphs, linking to the outlet's other stories (not citations)",
        authors=["Emma Collins"],
        published="2026-11-17T14:20:00Z",
    )
    site = "Daily Lantern"
    body = "\n".join(
        [
            pg.p(
                "A zoo has welcomed twin red panda cubs, the first to be born there in more than 20 years, keepers said on Tuesday."
            ),
            pg.p(
                "The cubs, a male and a female, were born in July but spent their first months in a nest box with their mother and have only now been seen by visitors."
            ),
            f'<p><strong>READ MORE:</strong> <a href="{ORIGIN}/news/article-14401877/zoo-lion-cubs-named.html">Zoo reveals names of three lion cubs after public vote</a></p>',
            pg.p(
                "Red pandas are listed as endangered, with fewer than 10,000 thought to remain in the wild, according to [the conservation union's assessment](https://www.conservation-union.example/species/714/ailurus-fulgens)."
            ),
            AD,
            pg.p(
                "Keepers said the cubs were healthy and had started to eat bamboo. Names will be chosen by a public vote next month."
            ),
            f"<p><strong>RELATED:</strong> {'{{noise:related:a}}'}</p>",
            pg.p(
                "The zoo is part of a European breeding programme that aims to keep a healthy population of the animals in captivity."
            ),
        ]
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="The cubs were born in July.",
            ld=news_ld(pg, desc="The cubs were born in July.", section="News", publisher=site),
            section="News",
        ),
        f"""{cookie_banner(pg)}
<div class="page-header">{topbar(pg, site)}{menu(pg, tag="div", cls="nav-primary")}</div>
<div id="content" class="article-text wide">
  <h1>{esc(pg.title)}</h1>
  <p class="author-section byline-plain">By {byline_link("Emma Collins")}</p>
  <p class="byline-section"><span class="article-timestamp">Published: 14:20 GMT, 17 November 2026</span> | {UPD}</p>
  <div class="share-top">{share_bar(pg)}</div>
  <div itemprop="articleBody">
{figure("2026/11/red-panda", "The cubs in their enclosure.", "Zoo handout")}
{body}
  </div>
  <div class="related-carousel"><h3>Most read</h3><ul>{REL}</ul></div>
</div>
<div class="column-split">{teasers(pg, 8, tag="div", cls="femail-item")}</div>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def en_metered_full_text() -> Page:
    pg = Page(
        "en-metered-paywall-full-text",
        "/2026/11/16/business/shipping-rates-red-sea.html",
        lang="en-US",
        script="latin",
        title="Shipping rates jump as carriers avoid the Red Sea again",
        shape="metered paywall: JSON-LD isAccessibleForFree false and a .meteredContent wrapper, but the full story is served (a story, not a paywall); a hidden paywall dialog",
        authors=["Peter Lindqvist"],
        published="2026-11-16T11:00:00-05:00",
    )
    site = "Metro Times"
    body = "\n".join(
        [
            pg.p(
                "The cost of shipping a container from Asia to Europe has jumped by more than 40 percent in two weeks, as the largest carriers once again send their ships around southern Africa rather than through the Red Sea."
            ),
            pg.p(
                "The detour adds about ten days and thousands of miles to each voyage. [A freight index published on Thursday](https://www.freight-index.example/indices/asia-north-europe/2026-11-12) put the average rate at $4,800 per container."
            ),
            pg.p(
                "Retailers said the delays could affect stock in the spring, although most goods for the holiday season are already in warehouses."
            ),
            AD,
            pg.p(
                "Insurers have raised premiums for ships that still use the route, and several carriers said they would not return until the security situation improved."
            ),
            pg.p(
                "Economists said the impact on consumer prices was likely to be small but could add to inflation in Europe if the disruption lasted into next year."
            ),
        ]
    )
    ld = news_ld(
        pg,
        desc="The detour around Africa adds about ten days to each voyage.",
        section="Business",
        publisher=site,
        extra={
            "isAccessibleForFree": False,
            "hasPart": {
                "@type": "WebPageElement",
                "isAccessibleForFree": False,
                "cssSelector": ".meteredContent",
            },
        },
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="The detour around Africa adds about ten days to each voyage.",
            ld=ld,
            section="Business",
        ),
        f"""<div id="app">
<header class="css-1a2b3c">{topbar(pg, site)}{menu(pg, tag="div", cls="css-nav")}</header>
<main id="site-content">
<article id="story" class="meteredContent css-story">
  <header class="css-story-header"><h1 data-testid="headline">{esc(pg.title)}</h1>
  <p class="css-summary">The detour around Africa adds about ten days to each voyage.</p>
  <div class="css-byline">By {byline_link("Peter Lindqvist")} · Nov. 16, 2026 · {UPD}</div></header>
  {figure("2026/11/container-ship", "A container ship off Cape Town.", "Credit: Metro Times")}
  <section name="articleBody" class="meteredContent">
{body}
  </section>
  {share_bar(pg)}
</article>
<div id="gateway-content" class="css-gateway" hidden><h2>Thank you for reading Metro Times.</h2><p>You have read all your free articles this month. Subscribe for unlimited access to everything we publish, including the archive, games, cooking and the audio app.</p><a href="{ORIGIN}/subscription?campaign={CNT}">Subscribe now</a></div>
<section class="css-more">{teasers(pg, 6)}</section>
</main>
{footer(pg, site)}
</div>
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def fr_visible_consent_overlay() -> Page:
    pg = Page(
        "fr-story-under-visible-consent-overlay",
        "/faits-divers/2026/11/15/incendie-dans-un-entrepot-a-lyon-4479120.php",
        lang="fr",
        script="latin",
        title="Incendie dans un entrepôt à Lyon: 200 pompiers mobilisés",
        shape="a visible (not hidden) Didomi consent overlay with long text sits over a full story: a story, not a consent wall",
        authors=["Sophie Garnier"],
        published="2026-11-15T07:50:00+01:00",
    )
    site = "Le Progrès du Rhône"
    body = "\n".join(
        [
            pg.p(
                "Un violent incendie s'est déclaré dans la nuit de vendredi à samedi dans un entrepôt de la zone industrielle de Lyon-Gerland. Deux cents pompiers ont été mobilisés."
            ),
            pg.p(
                "Le feu a pris vers 2 heures du matin dans un bâtiment de stockage de 5 000 mètres carrés. Aucun blessé n'est à déplorer, selon [la préfecture du Rhône](https://www.prefecture-rhone.example/actualites/2026/11/15/incendie-gerland)."
            ),
            pg.p(
                "Un important panache de fumée était visible depuis plusieurs quartiers de la ville. Les habitants ont été invités à fermer leurs fenêtres par précaution."
            ),
            AD,
            pg.p(
                "L'incendie a été maîtrisé en fin de matinée. Une enquête a été ouverte pour déterminer son origine."
            ),
            pg.p(
                "L'entrepôt appartenait à une entreprise de logistique qui emploie une centaine de salariés sur le site."
            ),
        ]
    )
    overlay = (
        '<div id="didomi-host" class="didomi-host"><div class="didomi-popup-backdrop didomi-notice-popup" role="dialog" aria-modal="true">'
        '<div class="didomi-popup-container"><div class="didomi-popup-notice"><h1 id="didomi-notice-title" class="didomi-notice-title">Vos choix concernant l\'utilisation de cookies</h1>'
        "<p>Avec votre accord, nos partenaires et nous utilisons des cookies ou technologies similaires pour stocker, consulter et traiter des données personnelles telles que votre visite sur ce site internet, les adresses IP et les identifiants de cookie. Certains partenaires ne demandent pas votre consentement pour traiter vos données et se fondent sur leur intérêt commercial légitime.</p>"
        "<p>À tout moment, vous pouvez retirer votre consentement ou vous opposer au traitement des données fondé sur l'intérêt légitime en cliquant sur « En savoir plus » ou en allant dans notre politique de confidentialité sur ce site internet. Vos données personnelles sont traitées pour les finalités suivantes: stocker et/ou accéder à des informations sur un appareil, publicités et contenu personnalisés, mesure de performance des publicités et du contenu, études d'audience et développement de services.</p>"
        f'<button id="didomi-notice-agree-button">{esc(pg.L["accept"])}</button><button id="didomi-notice-disagree-button">{esc(pg.L["reject"])}</button><a href="{ORIGIN}/cookies">En savoir plus</a></div></div></div></div>'
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="Aucun blessé n'est à déplorer.",
            ld=news_ld(
                pg, desc="Aucun blessé n'est à déplorer.", section="Faits divers", publisher=site
            ),
            section="Faits divers",
        ),
        f"""{overlay}
<header class="header">{topbar(pg, site)}{menu(pg)}</header>
<main class="main">
<article class="article-full">
  <h1 class="article-full__title">{esc(pg.title)}</h1>
  <div class="article-full__byline">Par {byline_link("Sophie Garnier")} · Le 15 novembre 2026 à 07h50 · {UPD}</div>
  {figure("2026/11/incendie", "Le panache de fumée au-dessus de Gerland.", "Photo: Le Progrès du Rhône")}
  <div class="article-full__body">
{body}
  </div>
  {tags(pg, ["Lyon", "Incendie", "Pompiers"])}
  {share_bar(pg)}
</article>
{related_list(pg)}
<section class="a-la-une">{teasers(pg, 6)}</section>
</main>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg
