# ruff: noqa: RUF001, E501  (typographic quotes and dashes; long lines of markup)
"""Latin-script pages (fr, de, es, pt, en): CMS shapes, furniture-like class names, AMP."""

from __future__ import annotations

import json

from tests.corpus.compose import (
    AD,
    CNT,
    NONCE,
    ORIGIN,
    REL,
    UPD,
    Page,
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
    read_also,
    related_list,
    share_bar,
    tags,
    tail_scripts,
    teasers,
    topbar,
)


@page
def fr_article_holds_page() -> Page:
    pg = Page(
        "fr-article-holds-whole-page",
        "/societe/article/2026/11/29/greve-des-controleurs-aeriens-des-centaines-de-vols-annules_6203311_3224.html",
        lang="fr",
        script="latin",
        title="Grève des contrôleurs aériens: des centaines de vols annulés",
        shape="one <article> wraps the whole page: header, menus, teasers, footer with recruitment and subject lists",
        authors=["Claire Dubois"],
        published="2026-11-29T08:10:00+01:00",
    )
    site = "Le Quotidien"
    body = "\n".join(
        [
            pg.p(
                "Des centaines de vols ont été annulés samedi dans les aéroports français en raison d'une grève des contrôleurs aériens, la troisième depuis le début de l'automne."
            ),
            pg.p(
                "La direction générale de l'aviation civile a demandé aux compagnies de réduire de moitié leurs programmes à Paris-Orly, Marseille et Nice. [Dans un communiqué](https://www.aviation-civile.example/communiques/2026-11-28-preavis-greve), elle recommande aux passagers de reporter leur voyage."
            ),
            pg.p(
                "Les syndicats réclament des recrutements supplémentaires et une revalorisation des salaires. Selon eux, les effectifs sont insuffisants pour faire face à la hausse du trafic prévue l'an prochain."
            ),
            AD,
            pg.p(
                "Le ministre des transports a dénoncé une grève « disproportionnée » et appelé à la reprise du dialogue. Une réunion est prévue mardi au ministère."
            ),
            pg.p(
                "Les compagnies à bas coût sont les plus touchées. L'une d'elles a annoncé l'annulation de 400 vols, affectant environ 70 000 passagers."
            ),
            pg.p(
                "Le mouvement pourrait se prolonger dimanche, selon [l'association européenne des compagnies](https://www.airlines-europe.example/fr/presse/greve-atc-france), qui chiffre le coût de ces grèves à plusieurs centaines de millions d'euros."
            ),
        ]
    )
    ld = news_ld(
        pg, desc="Troisième grève depuis le début de l'automne.", section="Société", publisher=site
    )
    html = doc(
        pg,
        head(
            pg, site, desc="Troisième grève depuis le début de l'automne.", ld=ld, section="Société"
        ),
        f"""<article id="page" class="page page--article">
  <header class="page__header">{topbar(pg, site)}{menu(pg, cls="nav-principal")}</header>
  {cookie_banner(pg, cls="didomi-popup")}
  <div class="page__col">
    <p class="page__rubrique"><a href="{ORIGIN}/societe/">Société</a></p>
    <h1 class="page__titre">{esc(pg.title)}</h1>
    <p class="page__chapo">Les syndicats réclament des recrutements et des hausses de salaires.</p>
    <p class="page__auteur">Par {byline_link("Claire Dubois")} · Publié le 29 novembre 2026 à 08h10 · <span>{UPD}</span></p>
    {figure("2026/11/orly", "Le tableau des départs à Orly, samedi matin.", "Photo AFP")}
    <div class="page__texte">
{body}
    </div>
    {read_also(pg, cls="page__lire", tag="p")}
    {tags(pg, ["Transport aérien", "Grève", "Syndicats"])}
    {share_bar(pg)}
  </div>
  <div class="page__services"><h2>Services</h2><p>Découvrez nos offres d'abonnement, nos jeux, nos mots croisés, notre boutique et nos voyages. Le Quotidien recrute des journalistes, des développeurs et des commerciaux: consultez nos offres d'emploi.</p><ul><li><a href="{ORIGIN}/recrutement/journaliste-web">Journaliste web (CDI)</a></li><li><a href="{ORIGIN}/recrutement/developpeur">Développeur front-end</a></li><li><a href="{ORIGIN}/recrutement/">Toutes nos offres</a></li></ul></div>
  <div class="page__a-la-une"><h2>À la une</h2>{teasers(pg, 8, tag="div", cls="teaser")}</div>
  <div class="page__sujets"><h2>Sujets</h2><p>Politique, international, économie, planète, sciences, santé, éducation, culture, sport, idées, vidéos, podcasts, régions: retrouvez toute l'actualité de nos rubriques.</p></div>
  {footer(pg, site, tag="footer", cls="page__footer")}
</article>
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def fr_article_content() -> Page:
    pg = Page(
        "fr-article-paragraph-classes",
        "/planete/article/2026/11/26/la-secheresse-menace-les-recoltes-de-printemps_6203107_3244.html",
        lang="fr",
        script="latin",
        title="La sécheresse hivernale menace les récoltes de printemps dans le Sud-Ouest",
        shape="section.article__content with p.article__paragraph, inline 'Lire aussi' paragraphs and sub-headings in the body; paywall-style 'réservé aux abonnés' promo",
        authors=["Julien Moreau"],
        published="2026-11-26T17:30:00+01:00",
    )
    site = "Le Quotidien"
    P = '<p class="article__paragraph">'
    body = "\n".join(
        [
            pg.p(
                "Les nappes phréatiques du Sud-Ouest sont à un niveau historiquement bas pour la saison, selon le dernier bulletin du service géologique national, et les agriculteurs redoutent une mauvaise récolte au printemps.",
                open=P,
            ),
            pg.p(
                "Dans le Gers et le Lot-et-Garonne, les précipitations d'octobre et de novembre ont été inférieures de 60 % à la normale, indique [le bulletin de situation hydrologique](https://www.geologie-nationale.example/bulletins/nappes-2026-11), le plus pessimiste depuis 2017.",
                open=P,
            ),
            f'<section class="catcher catcher--inline"><span class="catcher__title">Lire aussi</span> {"{{noise:related:a}}"}</section>',
            pg.h("Des arrêtés de restriction dès l'hiver", "h2", ' class="article__sub-title"'),
            pg.p(
                "Plusieurs préfectures ont déjà pris des arrêtés limitant l'irrigation, une mesure rare à cette période de l'année. Les semis de blé et d'orge ont été retardés dans certaines exploitations.",
                open=P,
            ),
            AD,
            pg.p(
                "« Si la pluie ne revient pas en janvier, nous perdrons une partie de la récolte », explique un céréalier installé près d'Auch, qui cultive 180 hectares.",
                open=P,
            ),
            pg.p(
                "Les climatologues rappellent que les épisodes de sécheresse hivernale deviennent plus fréquents. [Une étude publiée en septembre](https://www.climat-recherche.example/publications/secheresses-hivernales-2026) estime leur fréquence en hausse de 40 % depuis les années 1990.",
                open=P,
            ),
            pg.p(
                "Le ministère de l'agriculture doit présenter en décembre un plan de soutien aux exploitations les plus touchées.",
                open=P,
            ),
        ]
    )
    ld = news_ld(
        pg,
        desc="Les nappes phréatiques sont à un niveau historiquement bas.",
        section="Planète",
        publisher=site,
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="Les nappes phréatiques sont à un niveau historiquement bas.",
            ld=ld,
            section="Planète",
        ),
        f"""{cookie_banner(pg, cls="didomi-popup")}
<header class="Header">{topbar(pg, site, cls="Header__top")}{menu(pg, cls="Nav")}</header>
<main id="habillagepub" class="zone zone--article">
<section class="article article--content">
  <header class="article__header"><ul class="breadcrumb"><li><a href="{ORIGIN}/planete/">Planète</a></li><li><a href="{ORIGIN}/climat/">Climat</a></li></ul>
  <h1 class="article__title">{esc(pg.title)}</h1><p class="article__desc">Les nappes phréatiques sont à un niveau historiquement bas pour la saison.</p>
  <span class="author__detail">Par {byline_link("Julien Moreau")}</span> <span class="meta__date">Publié le 26 novembre 2026 à 17h30, {UPD}</span></header>
  {figure("2026/11/secheresse", "Un champ de blé près d'Auch, le 20 novembre.", "Photo: L. Martin", cls="article__media")}
  <section class="article__content old__article-content-single">
{body}
  </section>
  <section class="article__reactions"><a href="{ORIGIN}/planete/article/2026/11/26/la-secheresse-menace-les-recoltes-de-printemps_6203107_3244.html#reactions">Réactions ({CNT})</a></section>
  {share_bar(pg, cls="article__share")}
</section>
<aside class="aside__iso">{AD}{related_list(pg, tag="section", cls="aside__bloc")}{newsletter(pg)}</aside>
<section class="river">{teasers(pg, 6, tag="section", cls="teaser")}</section>
</main>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def de_main_grid() -> Page:
    pg = Page(
        "de-main-grid-with-teasers",
        "/wirtschaft/bahn-streik-pendler-100284311.html",
        lang="de",
        script="latin",
        title="Bahnstreik legt Pendlerverkehr in mehreren Bundesländern lahm",
        shape="story in a CSS grid cell inside <main>, among <article> teaser cards in the same grid",
        authors=["Katrin Vogel"],
        published="2026-11-27T05:45:00+01:00",
    )
    site = "Rundschau"
    body = "\n".join(
        [
            pg.p(
                "Ein Streik der Lokführergewerkschaft hat am Donnerstagmorgen den Regional- und S-Bahn-Verkehr in mehreren Bundesländern weitgehend zum Erliegen gebracht. Hunderttausende Pendler mussten auf Busse und Autos ausweichen.",
                open='<p class="text">',
            ),
            pg.p(
                "Die Bahn sprach von einem Notfahrplan, bei dem nur etwa jeder fünfte Zug fahre. Auf den Autobahnen rund um Frankfurt und München bildeten sich lange Staus, wie [die Verkehrszentrale meldete](https://www.verkehrszentrale.example/meldungen/2026-11-27).",
                open='<p class="text">',
            ),
            AD,
            pg.p(
                "Die Gewerkschaft fordert eine Arbeitszeitverkürzung auf 35 Stunden bei vollem Lohnausgleich. Die Bahn bietet bislang eine Lohnerhöhung von elf Prozent über drei Jahre an.",
                open='<p class="text">',
            ),
            pg.h("Verhandlungen ohne Ergebnis", "h2", ' class="subheadline"'),
            pg.p(
                "Die Tarifverhandlungen waren in der vergangenen Woche ohne Ergebnis abgebrochen worden. Beide Seiten warfen sich gegenseitig vor, nicht kompromissbereit zu sein.",
                open='<p class="text">',
            ),
            pg.p(
                "Der Streik soll bis Freitagabend dauern. Fahrgäste mit Fahrkarten für diese Tage können diese später nutzen oder sich den Preis erstatten lassen.",
                open='<p class="text">',
            ),
        ]
    )
    ld = news_ld(pg, desc="Nur etwa jeder fünfte Zug fährt.", section="Wirtschaft", publisher=site)
    html = doc(
        pg,
        head(pg, site, desc="Nur etwa jeder fünfte Zug fährt.", ld=ld, section="Wirtschaft"),
        f"""{cookie_banner(pg, cls="sp_message_container")}
<header class="page-header">{topbar(pg, site)}{menu(pg, cls="main-navigation")}</header>
<main class="grid grid--article" id="content">
  <article class="grid__item teaser teaser--top">{teasers(pg, 1, tag="div", cls="teaser__inner")}</article>
  <div class="grid__item grid__item--wide">
    <div class="kicker">Bahnstreik</div>
    <h1 class="headline">{esc(pg.title)}</h1>
    <div class="author-line">Von {byline_link("Katrin Vogel")} | 27.11.2026, 05:45 Uhr | <span class="author-line__updated">{UPD}</span></div>
    {figure("2026/11/bahnsteig", "Leere Bahnsteige am Frankfurter Hauptbahnhof.", "Foto: dpa")}
{body}
    <div class="article-tags">{tags(pg, ["Bahn", "Streik", "Tarifstreit"])}</div>
    {share_bar(pg)}
  </div>
  <article class="grid__item teaser">{teasers(pg, 1, tag="div", cls="teaser__inner", start=1)}</article>
  <article class="grid__item teaser">{teasers(pg, 1, tag="div", cls="teaser__inner", start=2)}</article>
  <article class="grid__item teaser">{teasers(pg, 1, tag="div", cls="teaser__inner", start=3)}</article>
  <article class="grid__item teaser teaser--long"><div class="teaser__inner"><h3><a href="{ORIGIN}/politik/haushalt-einigung-100283990.html">Haushalt: Koalition einigt sich in letzter Minute</a></h3><p>Nach wochenlangem Streit haben sich die Koalitionspartner in der Nacht auf einen Haushaltsentwurf für das kommende Jahr geeinigt. Der Entwurf sieht Kürzungen bei Förderprogrammen und höhere Investitionen in die Schiene vor. Die Opposition kritisierte das Verfahren scharf und kündigte an, den Entwurf im Bundestag genau zu prüfen. Auch aus den Ländern kam Kritik an den geplanten Kürzungen, die vor allem Kommunen treffen würden. Der Bundesrat soll sich im Januar mit dem Entwurf befassen.</p></div></article>
  <article class="grid__item teaser">{teasers(pg, 1, tag="div", cls="teaser__inner", start=4)}</article>
  <div class="grid__item grid__item--ad">{AD}</div>
  <div class="grid__item">{newsletter(pg)}</div>
</main>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def de_data_area() -> Page:
    pg = Page(
        "de-data-area-body-no-lang",
        "/wissenschaft/medizin/neues-antibiotikum-gegen-resistente-keime-a-8f3e2c1d",
        lang="de",
        script="latin",
        title="Forscher entwickeln neues Antibiotikum gegen resistente Keime",
        shape="no lang attribute; body in div[data-area=body] > div[data-sara-click-el=body_element] blocks, each paragraph in its own wrapper div",
        authors=["Jonas Albrecht"],
        published="2026-11-23T12:00:00+01:00",
    )
    site = "Wissen Aktuell"
    W = '<div data-sara-click-el="body_element" class="lg:w-8/12 md:w-10/12 lg:mx-auto md:mx-auto"><div class="RichText RichText--iconLinks lg:w-8/12 md:w-10/12 lg:mx-auto md:mx-auto lg:text-xl md:text-xl sm:text-l font-serifUI mb-24"><p>'
    E = "</p></div></div>"
    body = "\n".join(
        [
            pg.p(
                "Ein internationales Forschungsteam hat einen Wirkstoff entwickelt, der im Labor auch gegen Bakterien wirkt, bei denen gängige Antibiotika versagen. Die Ergebnisse stellen die Forscher im Fachjournal [»Nature Microbiology« vor](https://www.nature-journal.example/articles/s41564-026-01822-7).",
                open=W,
                close=E,
            ),
            pg.p(
                "Der Wirkstoff greift die äußere Hülle der Bakterien an einer Stelle an, die bisher kein Medikament nutzt. Dadurch sei es für die Erreger schwer, eine Resistenz zu entwickeln, schreiben die Autoren.",
                open=W,
                close=E,
            ),
            f'<div class="ad-wrapper lg:w-8/12 mx-auto">{AD}</div>',
            pg.p(
                "In Versuchen mit Mäusen senkte das Mittel die Zahl der Keime bei Lungenentzündungen deutlich. Klinische Studien am Menschen sollen in zwei Jahren beginnen.",
                open=W,
                close=E,
            ),
            pg.p(
                "Nach Schätzungen der [Weltgesundheitsorganisation](https://www.who-int.example/news-room/fact-sheets/detail/antimicrobial-resistance) sterben weltweit jedes Jahr mehr als eine Million Menschen an Infektionen mit resistenten Erregern.",
                open=W,
                close=E,
            ),
            pg.p(
                "Unabhängige Experten begrüßten die Arbeit, mahnten aber zur Vorsicht. Viele Wirkstoffe, die im Tierversuch erfolgreich seien, scheiterten später in klinischen Studien.",
                open=W,
                close=E,
            ),
        ]
    )
    ld = news_ld(
        pg,
        desc="Der Wirkstoff greift die Hülle der Bakterien an.",
        section="Wissenschaft",
        publisher=site,
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="Der Wirkstoff greift die Hülle der Bakterien an.",
            ld=ld,
            section="Wissenschaft",
        ),
        f"""{cookie_banner(pg, cls="sp_message_container")}
<div class="relative flex flex-col">
<div data-area="top_navigation">{topbar(pg, site)}{menu(pg, tag="div", cls="nav-bar")}</div>
<div data-area="main" class="relative">
  <div data-area="intro" class="lg:w-8/12 mx-auto"><span class="text-primary-base">Medizin</span>
  <h1 class="font-brandUI"><span class="align-middle">{esc(pg.title)}</span></h1>
  <div class="font-sansUI text-shade-dark">Der Wirkstoff greift die Hülle der Bakterien an.</div>
  <div data-area="author_bio" class="font-sansUI">Von {byline_link("Jonas Albrecht")}</div><div class="timeformat">23.11.2026, 12.00 Uhr {UPD}</div></div>
  {figure("2026/11/labor", "Bakterienkulturen in einem Labor.", "Foto: Imago", tag="div", cap="div")}
  <div data-area="body">
{body}
  </div>
  <div data-area="article-teaser-list"><h3>Mehr zum Thema</h3>{teasers(pg, 3, tag="div", cls="teaser")}</div>
  {share_bar(pg)}
</div>
<div data-area="footer">{footer(pg, site, tag="div", cls="footer")}</div>
</div>
{tail_scripts()}""",
        html_attrs="",
    )
    pg.html = html
    return pg


@page
def es_sidebar() -> Page:
    pg = Page(
        "es-sidebar-1-story-column",
        "/sociedad/2026/11/28/madrid-amplia-el-horario-del-metro-los-fines-de-semana.html",
        lang="es",
        script="latin",
        title="Madrid amplía el horario del metro los fines de semana",
        shape="the story column is div.sidebar-1 (a theme's name); real sidebar is sidebar-2; JSON-LD articleBody; no semantic tags",
        authors=["Lucía Fernández"],
        published="2026-11-28T10:00:00+01:00",
    )
    site = "Diario Central"
    body = "\n".join(
        [
            pg.p(
                "El metro de Madrid funcionará hasta las dos y media de la madrugada los viernes y sábados a partir del 1 de enero, según anunció este viernes la consejería de transportes."
            ),
            pg.p(
                "La medida, que costará unos 9 millones de euros al año, responde a una demanda de los vecinos y del sector de la hostelería. El anuncio se recoge en [la nota de prensa oficial](https://www.comunidad-madrid.example/noticias/2026/11/28/metro-horario-ampliado)."
            ),
            AD,
            pg.p(
                "Las líneas 1, 3, 5, 6 y 10 serán las primeras en ampliar su horario. El resto se sumará en primavera, una vez se contrate a más personal."
            ),
            pg.p(
                "Los sindicatos han pedido que la ampliación no se haga a costa de los turnos actuales. La empresa asegura que contratará a 150 nuevos maquinistas."
            ),
            pg.p(
                "Según [los datos de viajeros del consorcio](https://www.consorcio-transportes.example/datos-abiertos/viajeros-2025), el metro transportó el año pasado 690 millones de pasajeros, un récord."
            ),
        ]
    )
    ld = news_ld(
        pg,
        body=pg.text(),
        desc="El metro funcionará hasta las 2.30 los viernes y sábados.",
        section="Sociedad",
        publisher=site,
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="El metro funcionará hasta las 2.30 los viernes y sábados.",
            ld=ld,
            section="Sociedad",
        ),
        f"""{cookie_banner(pg)}
<div id="wrapper">
<div id="header">{topbar(pg, site)}{menu(pg, tag="div", cls="menu-principal")}</div>
<div id="content" class="row">
  <div class="col-md-8 sidebar-1">
    <div class="noticia">
      <div class="antetitulo"><a href="{ORIGIN}/sociedad/">Sociedad</a></div>
      <h1 class="titular">{esc(pg.title)}</h1>
      <div class="entradilla">El metro funcionará hasta las 2.30 los viernes y sábados.</div>
      <div class="firma">{byline_link("Lucía Fernández")} · Madrid · 28/11/2026 10:00 · {UPD}</div>
      {figure("2026/11/metro", "Un tren en la estación de Sol.", "Foto: Diario Central", tag="div", cap="span")}
      <div class="cuerpo">
{body}
      </div>
      <div class="relacionadas"><h3>{esc(pg.L["read_also"])}</h3><ul>{REL}</ul></div>
      {tags(pg, ["Metro", "Transporte", "Madrid"])}
      {share_bar(pg)}
    </div>
  </div>
  <div class="col-md-4 sidebar-2">{AD}{newsletter(pg)}<div class="lo-mas-visto"><h3>Lo más visto</h3>{teasers(pg, 4, tag="div", cls="mini")}</div></div>
</div>
{footer(pg, site, tag="div", cls="pie")}
</div>
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def es_arc() -> Page:
    pg = Page(
        "es-arc-xp-article-body-wrapper",
        "/america/2026/11/25/chile-aprueba-la-reforma-de-pensiones-tras-dos-anos-de-debate/",
        lang="es",
        script="latin",
        title="Chile aprueba la reforma de pensiones tras dos años de debate",
        shape="Arc XP: div.article-body-wrapper with p.paragraph, Fusion globalContent in a data-fusion script, dynamic ad divs",
        authors=["Andrés Rojas"],
        published="2026-11-25T23:10:00Z",
    )
    site = "Noticias América"
    P = '<p class="paragraph">'
    body = "\n".join(
        [
            pg.p(
                "El Congreso de Chile aprobó este martes la reforma del sistema de pensiones, después de dos años de negociaciones entre el Gobierno y la oposición.",
                open=P,
            ),
            pg.p(
                "La reforma eleva la cotización que pagan los empleadores en siete puntos porcentuales y crea un fondo solidario para las pensiones más bajas. El texto aprobado puede consultarse en [el boletín del Senado](https://www.senado-chile.example/tramitacion/boletin-15480-13).",
                open=P,
            ),
            f'<div id="arc-ad-{NONCE}" class="dfp-ad-unit" data-ad-type="mid">{AD}</div>',
            pg.p(
                "El presidente celebró la votación como «un paso histórico». Los partidos de derecha, que apoyaron la versión final, destacaron que se mantiene la capitalización individual.",
                open=P,
            ),
            pg.p(
                "Según el Ministerio del Trabajo, la pensión media de las mujeres subirá cerca de un 35% en los próximos diez años.",
                open=P,
            ),
            pg.p(
                "Economistas consultados advirtieron de que el aumento de la cotización podría afectar al empleo formal en el corto plazo.",
                open=P,
            ),
        ]
    )
    fusion = {
        "_id": "XK4L2QZ7JBEN5H3C2M6TDYR4WA",
        "type": "story",
        "canonical_url": "/america/2026/11/25/chile-aprueba-la-reforma-de-pensiones-tras-dos-anos-de-debate/",
        "headlines": {"basic": pg.title},
        "credits": {"by": [{"name": "Andrés Rojas", "type": "author"}]},
        "taxonomy": {
            "sections": [{"_id": "/america", "name": "América"}],
            "tags": [{"text": "Chile"}, {"text": "Pensiones"}],
        },
        "promo_items": {"basic": {"type": "image", "url": f"{ORIGIN}/resizer/pensiones.jpg"}},
        "publish_date": pg.published,
    }
    ld = news_ld(
        pg,
        desc="La reforma eleva la cotización de los empleadores.",
        section="América",
        publisher=site,
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="La reforma eleva la cotización de los empleadores.",
            ld=ld,
            section="América",
        ),
        f"""<div id="fusion-app" class="layout-section">
{cookie_banner(pg)}
<div class="nav-sections">{topbar(pg, site)}{menu(pg, tag="div", cls="nav-sections-menu")}</div>
<div class="default-article-color article-section">
  <div class="article-header"><div class="overline"><a href="{ORIGIN}/america/">América</a></div>
  <h1 class="headline-text">{esc(pg.title)}</h1><h2 class="subheadline">La reforma eleva la cotización de los empleadores.</h2></div>
  <div class="byline-container">Por {byline_link("Andrés Rojas")} <span class="date">25 Nov, 2026 11:10 p.m. EST</span> <span>{UPD}</span></div>
  {share_bar(pg, cls="sharebar-buttons")}
  {figure("2026/11/congreso-chile", "El Congreso chileno, en Valparaíso.", "Foto: EFE", cls="visual__image")}
  <div class="article-body-wrapper">
{body}
    <div class="interstitial-link"><span>{esc(pg.L["read_also"])}:</span> {"{{noise:related:a}}"}</div>
  </div>
  <div class="tags-container">{tags(pg, ["Chile", "Pensiones", "Congreso"])}</div>
</div>
<div class="recommended-articles">{teasers(pg, 6, tag="div", cls="story-card-ctr")}</div>
{footer(pg, site, tag="footer", cls="footer-section")}
</div>
<script id="fusion-metadata" type="application/javascript">window.Fusion=window.Fusion||{{}};Fusion.arcSite="noticias";Fusion.contextPath="/pf";Fusion.mxId="00000000";Fusion.deployment="1042";Fusion.globalContent={json.dumps(fusion, ensure_ascii=False)};Fusion.globalContentConfig={{"source":"content-api","query":{{"uri":"/america/2026/11/25/chile-aprueba-la-reforma-de-pensiones-tras-dos-anos-de-debate/"}}}};</script>
<script data-fusion="1" src="/pf/dist/engine/react.js?d=1042" defer></script>
<script data-fusion="2" src="/pf/dist/components/combinations/default.js?d=1042" defer></script>
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def pt_top_info() -> Page:
    pg = Page(
        "pt-c-article-top-info-container",
        "/economia/noticia/2026/11/24/governo-anuncia-aumento-do-salario-minimo.ghtml",
        lang="pt",
        script="latin",
        title="Governo anuncia aumento do salário mínimo para 2027",
        shape="the story container's ancestor has class c-article-top-info (looks like a metadata box); body in div.mc-column.content-text paragraphs",
        authors=["Mariana Costa"],
        published="2026-11-24T19:20:00-03:00",
    )
    site = "Portal Notícias"
    P = '<p class="content-text__container">'
    W = '<div class="mc-column content-text active-extra-styles">'
    body = "\n".join(
        [
            W
            + pg.p(
                "O governo anunciou nesta segunda-feira que o salário mínimo terá um aumento de 7,2% em janeiro, acima da inflação prevista para o ano.",
                open=P,
            )
            + "</div>",
            W
            + pg.p(
                "O reajuste foi calculado com base na regra de valorização aprovada no ano passado, que soma a inflação e o crescimento do PIB. Os números constam [do projeto de orçamento enviado ao Congresso](https://www.orcamento-federal.example/ploa-2027/anexo-salario-minimo.pdf).",
                open=P,
            )
            + "</div>",
            f'<div class="mc-column content-ads">{AD}</div>',
            W
            + pg.p(
                "Segundo o Ministério do Trabalho, cerca de 59 milhões de pessoas têm rendimentos ligados ao salário mínimo, entre trabalhadores, aposentados e pensionistas.",
                open=P,
            )
            + "</div>",
            W
            + pg.p(
                "Economistas alertam que o aumento terá impacto nas contas da Previdência, estimado em 38 bilhões de reais no próximo ano.",
                open=P,
            )
            + "</div>",
            f'<div class="mc-column saibamais"><strong>{esc(pg.L["read_also"])}</strong><ul>{REL}</ul></div>',
            W
            + pg.p(
                "As centrais sindicais consideraram o reajuste positivo, mas pedem uma política de longo prazo para recuperar o poder de compra perdido na última década.",
                open=P,
            )
            + "</div>",
        ]
    )
    ld = news_ld(
        pg, desc="Reajuste de 7,2% passa a valer em janeiro.", section="Economia", publisher=site
    )
    html = doc(
        pg,
        head(
            pg, site, desc="Reajuste de 7,2% passa a valer em janeiro.", ld=ld, section="Economia"
        ),
        f"""{cookie_banner(pg, cls="cookie-banner-lgpd")}
<div id="header-produto">{topbar(pg, site)}{menu(pg, cls="menu-produto")}</div>
<div class="glb-grid">
<div class="c-article-top-info">
  <div class="title"><h1 class="content-head__title" itemprop="headline">{esc(pg.title)}</h1><h2 class="content-head__subtitle">Reajuste de 7,2% passa a valer em janeiro.</h2></div>
  <div class="content-publication-data"><p class="content-publication-data__from">Por {byline_link("Mariana Costa")}, Portal Notícias — Brasília</p><p class="content-publication-data__updated"><time datetime="{pg.published}">24/11/2026 19h20</time> {UPD}</p></div>
  {share_bar(pg, cls="content-share")}
  <div class="mc-article-body">
    {figure("2026/11/carteira", "Carteira de trabalho.", "Foto: Agência", cls="content-media")}
{body}
  </div>
  <div class="content-tags">{tags(pg, ["Salário mínimo", "Economia", "Orçamento"])}</div>
</div>
<div class="feed-relacionadas"><h2>Veja também</h2>{teasers(pg, 6, tag="div", cls="feed-post")}</div>
</div>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def pt_wordpress() -> Page:
    pg = Page(
        "pt-wordpress-entry-content",
        "/2026/11/22/lisboa-vai-plantar-20-mil-arvores-ate-2030/",
        lang="pt-PT",
        script="latin",
        title="Lisboa vai plantar 20 mil árvores até 2030",
        shape="WordPress: article.post > div.entry-content with wp-block-paragraph/heading/quote/list/image and <!-- wp: --> comments; Jetpack related posts inside entry-content",
        authors=["Rui Almeida"],
        published="2026-11-22T09:00:00+00:00",
    )
    site = "Jornal da Cidade"
    body = "\n".join(
        [
            "<!-- wp:paragraph -->",
            pg.p(
                "A Câmara Municipal de Lisboa aprovou um plano para plantar 20 mil árvores na cidade até 2030, dando prioridade aos bairros com menos espaços verdes."
            ),
            "<!-- /wp:paragraph -->\n<!-- wp:paragraph -->",
            pg.p(
                "O plano, apresentado na reunião de câmara de quarta-feira, prevê um investimento de 14 milhões de euros. [O documento completo](https://www.cm-lisboa.example/fileadmin/ambiente/plano-arborizacao-2030.pdf) identifica 312 ruas onde serão plantadas árvores."
            ),
            "<!-- /wp:paragraph -->",
            f'<div class="wp-block-ad code-block code-block-2">{AD}</div>',
            "<!-- wp:heading -->",
            pg.h("Menos calor nas ruas", "h2", ' class="wp-block-heading"'),
            "<!-- /wp:heading -->\n<!-- wp:paragraph -->",
            pg.p(
                "Segundo a autarquia, as novas árvores poderão reduzir a temperatura à superfície em até quatro graus nos dias de maior calor."
            ),
            "<!-- /wp:paragraph -->\n<!-- wp:quote -->",
            pg.quote(
                "Queremos que cada lisboeta tenha uma árvore a menos de cinco minutos de casa, disse a vereadora do Ambiente.",
                open='<blockquote class="wp-block-quote"><p>',
                close="</p></blockquote>",
            ),
            "<!-- /wp:quote -->\n<!-- wp:list -->",
            pg.items(
                [
                    "Penha de França: 2.400 árvores",
                    "Arroios: 1.900 árvores",
                    "Marvila: 3.100 árvores",
                ],
                open='<ul class="wp-block-list">',
            ),
            "<!-- /wp:list -->\n<!-- wp:image -->",
            figure(
                "2026/11/arvores",
                "Plantação de árvores em Marvila.",
                "Foto: CML",
                cls="wp-block-image size-large",
            ),
            "<!-- /wp:image -->\n<!-- wp:paragraph -->",
            pg.p(
                "A oposição critica o prazo, que considera demasiado longo, e lembra que [um plano anterior](/2021/05/10/plano-verde-fica-no-papel/) ficou por cumprir."
            ),
            "<!-- /wp:paragraph -->",
            f'<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline"><em>Relacionado</em></h3><ul>{REL}</ul></div>',
            f'<div class="sharedaddy sd-sharing-enabled">{share_bar(pg, cls="sd-content")}</div>',
        ]
    )
    ld = news_ld(
        pg,
        desc="Plano dá prioridade aos bairros com menos espaços verdes.",
        section="Lisboa",
        publisher=site,
        kind="Article",
        graph=True,
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="Plano dá prioridade aos bairros com menos espaços verdes.",
            ld=ld,
            section="Lisboa",
            title_suffix="–",
            extra=f'<meta name="generator" content="WordPress 6.7.1"><link rel="https://api.w.org/" href="{ORIGIN}/wp-json/"><link rel="shortlink" href="{ORIGIN}/?p=48812"><script id="wp-emoji-settings" type="application/json">{{"baseUrl":"https://s.w.org/images/core/emoji/15.0.3/72x72/","ext":".png"}}</script>',
        ),
        f"""<div id="page" class="site">
{cookie_banner(pg, cls="cmplz-cookiebanner")}
<header id="masthead" class="site-header">{topbar(pg, site)}<nav id="site-navigation" class="main-navigation">{menu(pg, tag="", cls="menu")}</nav></header>
<div id="content" class="site-content">
<div id="primary" class="content-area"><main id="main" class="site-main">
<article id="post-48812" class="post-48812 post type-post status-publish format-standard has-post-thumbnail hentry category-lisboa tag-ambiente tag-arvores">
  <header class="entry-header"><h1 class="entry-title">{esc(pg.title)}</h1>
  <div class="entry-meta"><span class="posted-on"><time class="entry-date published" datetime="{pg.published}">22 Novembro, 2026</time></span> <span class="byline">por <span class="author vcard">{byline_link("Rui Almeida")}</span></span></div></header>
  <div class="post-thumbnail">{figure("2026/11/lisboa-jardim", "Jardim da Estrela.", "Foto: Jornal da Cidade", cls="wp-post-image")}</div>
  <div class="entry-content">
{body}
  </div>
  <footer class="entry-footer"><span class="cat-links">Publicado em <a href="{ORIGIN}/category/lisboa/" rel="category tag">Lisboa</a></span> <span class="tags-links"><a href="{ORIGIN}/tag/ambiente/" rel="tag">Ambiente</a>, <a href="{ORIGIN}/tag/arvores/" rel="tag">Árvores</a></span></footer>
</article>
<nav class="navigation post-navigation"><div class="nav-links"><div class="nav-previous"><a href="{ORIGIN}/2026/11/21/obras-na-avenida/" rel="prev">Obras na avenida terminam em março</a></div><div class="nav-next"><a href="{ORIGIN}/2026/11/23/festival-de-jazz/" rel="next">Festival de jazz regressa ao Tejo</a></div></div></nav>
<div id="comments" class="comments-area"><h2 class="comments-title">3 comentários</h2><ol class="comment-list"><li class="comment"><p>Finalmente! Na minha rua não há uma única árvore.</p></li><li class="comment"><p>E quem rega as árvores no verão?</p></li></ol></div>
</main></div>
<aside id="secondary" class="widget-area">{AD}<section class="widget widget_recent_entries"><h2 class="widget-title">Artigos recentes</h2><ul>{REL}</ul></section>{newsletter(pg, cls="widget widget_newsletter", tag="section")}</aside>
</div>
{footer(pg, site, tag="footer", cls="site-footer")}
</div>
<script id="jetpack-stats" nonce="{NONCE}">_stq=window._stq||[];_stq.push(['view',{{v:'ext',blog:'201773',post:'48812',tz:'0',srv:'jornal'}}]);</script>
{tail_scripts()}""",
    )
    pg.html = html
    return pg


def _amp_story(pg: Page) -> list[str]:
    return [
        "Scientists have confirmed that a comet discovered in March will be visible to the naked eye from the northern hemisphere next week, for the first time in more than a decade.",
        "The comet will be brightest in the hour after sunset on Tuesday and Wednesday, low in the western sky, astronomers said.",
        "Observers away from city lights should be able to see its tail with binoculars. [The observatory's viewing guide](https://www.royal-observatory.example/comet-2026/viewing-guide) gives times for each region.",
        "The comet last passed close to the Sun about 6,000 years ago. Its orbit was calculated using observations from telescopes on four continents.",
        "Cloud is forecast for parts of the west on Tuesday, but skies should clear later in the week.",
    ]


@page
def amp_main() -> Page:
    pg = Page(
        "en-amp-pair-main",
        "/science/2026/11/21/comet-visible-to-naked-eye-next-week",
        lang="en",
        script="latin",
        title="Comet to be visible to the naked eye next week",
        shape="the main page of an AMP pair: rel=amphtml to the AMP page; story in div.article__body",
        authors=["Nina Patel"],
        published="2026-11-21T10:00:00Z",
    )
    site = "Star Telegraph"
    texts = _amp_story(pg)
    body = "\n".join(
        [pg.p(texts[0]), pg.p(texts[1]), AD, pg.p(texts[2]), pg.p(texts[3]), pg.p(texts[4])]
    )
    ld = news_ld(pg, desc="Best seen in the hour after sunset.", section="Science", publisher=site)
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="Best seen in the hour after sunset.",
            ld=ld,
            section="Science",
            amphtml=f"{ORIGIN}/amp/science/2026/11/21/comet-visible-to-naked-eye-next-week",
        ),
        f"""{cookie_banner(pg)}
<header class="header">{topbar(pg, site)}{menu(pg)}</header>
<div class="page">
<div class="article">
  <h1 class="article__headline">{esc(pg.title)}</h1>
  <div class="article__byline">By {byline_link("Nina Patel")}, Science editor · 21 November 2026 · {UPD}</div>
  {figure("2026/11/comet", "The comet photographed from the Canary Islands.", "ESO")}
  <div class="article__body">
{body}
  </div>
  {share_bar(pg)}
</div>
{related_list(pg, tag="div")}
<div class="more">{teasers(pg, 6)}</div>
</div>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def amp_page() -> Page:
    pg = Page(
        "en-amp-pair-amp",
        "/amp/science/2026/11/21/comet-visible-to-naked-eye-next-week",
        lang="en",
        script="latin",
        title="Comet to be visible to the naked eye next week",
        shape="AMP page: <html amp>, amp-img, amp-ad, amp-analytics, amp-social-share; rel=canonical to the main page",
        authors=["Nina Patel"],
        published="2026-11-21T10:00:00Z",
    )
    site = "Star Telegraph"
    texts = _amp_story(pg)
    amp_ad = f'<amp-ad width="300" height="250" type="doubleclick" data-slot="/21775744923/outlet/science" data-multi-size="320x50" rtc-config=\'{{"vendors":{{"aps":{{"PUB_ID":"{NONCE}"}}}}}}\'><div fallback></div></amp-ad>'
    body = "\n".join(
        [pg.p(texts[0]), pg.p(texts[1]), amp_ad, pg.p(texts[2]), pg.p(texts[3]), pg.p(texts[4])]
    )
    canonical = f"{ORIGIN}/science/2026/11/21/comet-visible-to-naked-eye-next-week"
    ld = news_ld(pg, desc="Best seen in the hour after sunset.", section="Science", publisher=site)
    ld["mainEntityOfPage"]["@id"] = canonical
    amp_head = f"""<head>
<meta charset="utf-8">
<script async src="https://cdn.ampproject.example/v0.js"></script>
<script async custom-element="amp-ad" src="https://cdn.ampproject.example/v0/amp-ad-0.1.js"></script>
<script async custom-element="amp-analytics" src="https://cdn.ampproject.example/v0/amp-analytics-0.1.js"></script>
<script async custom-element="amp-social-share" src="https://cdn.ampproject.example/v0/amp-social-share-0.1.js"></script>
<script async custom-element="amp-consent" src="https://cdn.ampproject.example/v0/amp-consent-0.1.js"></script>
<title>{esc(pg.title)} | {site}</title>
<link rel="canonical" href="{canonical}">
<meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">
<meta name="description" content="Best seen in the hour after sunset.">
<meta property="og:title" content="{esc(pg.title)}"><meta property="og:url" content="{canonical}"><meta property="og:type" content="article">
<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>
<style amp-boilerplate>body{{-webkit-animation:-amp-start 8s steps(1,end) 0s 1 normal both;animation:-amp-start 8s steps(1,end) 0s 1 normal both}}@keyframes -amp-start{{from{{visibility:hidden}}to{{visibility:visible}}}}</style><noscript><style amp-boilerplate>body{{-webkit-animation:none;animation:none}}</style></noscript>
<style amp-custom>body{{font-family:Georgia,serif;margin:0}}.hdr{{background:#111;color:#fff;padding:8px}}.article{{padding:0 16px}}.article h1{{font-size:28px}}.menu a{{display:inline-block;padding:4px 8px;color:#fff}}.ftr{{background:#eee;padding:16px}}</style>
</head>"""
    menu_links = "".join(f'<a href="{ORIGIN}/{s.lower()}">{s}</a>' for s in pg.L["sections"])
    html = f"""<!doctype html>
<html amp lang="en">
{amp_head}
<body>
<amp-consent id="consent" layout="nodisplay"><script type="application/json">{{"consentInstanceId":"outlet","consentRequired":"remote","checkConsentHref":"{ORIGIN}/amp/consent","promptUI":"consent-ui"}}</script><div id="consent-ui"><p>{esc(pg.L["cookie"])}</p><button on="tap:consent.accept">{esc(pg.L["accept"])}</button><button on="tap:consent.reject">{esc(pg.L["reject"])}</button></div></amp-consent>
<div class="hdr"><a href="{ORIGIN}/"><amp-img src="{ORIGIN}/static/logo.png" width="180" height="32" alt="{site}"></amp-img></a><div class="menu">{menu_links}</div></div>
<div class="article">
<h1>{esc(pg.title)}</h1>
<div class="byline">By <a href="{ORIGIN}/author/nina-patel">Nina Patel</a>, Science editor · 21 November 2026 · {UPD}</div>
<figure><amp-img src="{ORIGIN}/media/2026/11/comet.jpg" srcset="{ORIGIN}/media/2026/11/comet.jpg?w=640 640w, {ORIGIN}/media/2026/11/comet.jpg?w=1200 1200w" width="1200" height="675" layout="responsive" alt="The comet"></amp-img><figcaption>The comet photographed from the Canary Islands. ESO</figcaption></figure>
<div class="body">
{body}
</div>
<div class="share"><amp-social-share type="twitter" width="40" height="40"></amp-social-share><amp-social-share type="facebook" data-param-app_id="1638347519757621" width="40" height="40"></amp-social-share><amp-social-share type="whatsapp" width="40" height="40"></amp-social-share></div>
<div class="related"><h2>More science</h2><ul>{REL}</ul></div>
</div>
<div class="more-stories"><h2>Latest</h2>{teasers(pg, 8, tag="div", cls="amp-card").replace("<img ", '<amp-img layout="responsive" ').replace('height="180">', 'height="180"></amp-img>')}</div>
{footer(pg, site, tag="div", cls="amp-footer")}
<div class="ftr"><a href="{canonical}">View full site</a> · <a href="{ORIGIN}/info/privacy">Privacy</a> · <a href="{ORIGIN}/info/terms">Terms</a> · <a href="{ORIGIN}/careers">Careers</a> · <a href="{ORIGIN}/contact">Contact</a><p>© 2026 {site}</p></div>
<amp-analytics type="gtag" data-credentials="include"><script type="application/json">{{"vars":{{"gtag_id":"G-7XK2Q9P4LM","config":{{"G-7XK2Q9P4LM":{{"groups":"default"}}}}}},"extraUrlParams":{{"cb":"{NONCE}"}}}}</script></amp-analytics>
</body>
</html>
"""
    pg.html = html
    return pg


@page
def liveblog() -> Page:
    pg = Page(
        "en-live-blog",
        "/world/live/2026/dec/01/election-results-live-updates",
        lang="en",
        script="latin",
        title="Election results live: counting under way as polls close",
        shape="live blog: LiveBlogPosting JSON-LD, entries as div.block with timestamps and per-entry share links; pinned summary list; body = entries in page order",
        authors=["Live team"],
        published="2026-12-01T20:00:00Z",
    )
    site = "The Courier"
    entries = [
        (
            "22:40",
            "Turnout",
            pg.h("Turnout", "h2", ' class="block-title"'),
            [
                pg.p(
                    "Turnout appears to be higher than at the last election, with several counting centres reporting queues at polling stations right up to the close of voting."
                )
            ],
        ),
        (
            "22:15",
            None,
            "",
            [
                pg.p(
                    "The electoral commission has reminded voters that results from the largest constituencies are not expected before 3am. [Its timetable](https://www.electoral-commission.example/results/2026/expected-declaration-times) lists expected declaration times for every seat."
                )
            ],
        ),
        (
            "22:01",
            "Exit poll",
            pg.h("Exit poll", "h2", ' class="block-title"'),
            [
                pg.p(
                    "The exit poll suggests the opposition is on course to be the largest party but short of a majority, with 302 of 650 seats."
                ),
                pg.p(
                    "Exit polls have been broadly accurate at the last four elections, though the margin of error is wider when the result is close."
                ),
            ],
        ),
        (
            "21:58",
            None,
            "",
            [
                pg.p(
                    "Polls close in two minutes. Anyone already in the queue at 10pm will still be allowed to vote."
                )
            ],
        ),
    ]
    blocks = []
    for n, (time, _, h, paras) in enumerate(entries):
        blocks.append(
            f'<div id="block-{7000 + n}" class="block" data-block-id="{7000 + n}"><div class="block-time"><time datetime="2026-12-01T{time}:00Z">{time}</time></div>'
            f'<div class="block-elements">{h}{"".join(paras)}</div>'
            f'<div class="block-share"><a href="https://www.facebook.example/sharer/sharer.php?u={pg.url}%23block-{7000 + n}">Share</a> <a href="{pg.url}#block-{7000 + n}">Link to this entry</a></div></div>'
            + (f'<div class="live-ad">{AD}</div>' if n == 1 else "")
        )
    summary = (
        '<div class="key-events"><h3>Key events</h3><ul>'
        + "".join(
            f'<li><a href="#block-{7000 + n}">{time} {esc(heading or "Update")}</a></li>'
            for n, (time, heading, _, _) in enumerate(entries)
        )
        + "</ul></div>"
    )
    ld = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "headline": pg.title,
        "url": pg.url,
        "coverageStartTime": "2026-12-01T20:00:00Z",
        "coverageEndTime": "2026-12-02T08:00:00Z",
        "datePublished": pg.published,
        "dateModified": "2026-12-01T22:40:00Z",
        "liveBlogUpdate": [
            {
                "@type": "BlogPosting",
                "headline": h or "Update",
                "datePublished": f"2026-12-01T{t}:00Z",
                "url": f"{pg.url}#block-{7000 + n}",
            }
            for n, (t, h, _, _) in enumerate(entries)
        ],
        "publisher": {"@type": "Organization", "name": site},
    }
    html = doc(
        pg,
        head(pg, site, desc="Follow the results as they come in.", ld=ld, section="World"),
        f"""{cookie_banner(pg)}
<header class="header">{topbar(pg, site)}{menu(pg)}</header>
<main>
<div class="live-wrap">
  <div class="live-header"><span class="live-badge">LIVE</span><h1>{esc(pg.title)}</h1>
  <p class="live-standfirst">Follow the results as they come in.</p><div class="live-byline">{byline_link("Live team")} · Updated <span>{UPD}</span> · {CNT} readers</div></div>
  {summary}
  <div class="live-blog" id="liveblog-body" data-live-poll="30">
  <button class="new-updates" hidden>New updates</button>
{chr(10).join(blocks)}
  </div>
  <div class="live-pagination"><a href="{pg.url}?page=with:block-6990">Older posts</a></div>
  {share_bar(pg)}
</div>
<aside>{related_list(pg, tag="div")}{AD}</aside>
</main>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg
