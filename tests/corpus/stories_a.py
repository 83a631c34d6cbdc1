# ruff: noqa: RUF001, E501  (typographic quotes and dashes; long lines of markup)
"""English pages: layout-div bodies, teaser-card articles, whole-page containers."""

from __future__ import annotations

from tests.corpus.compose import (
    AD,
    CNT,
    NONCE,
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
    read_also,
    related_list,
    share_bar,
    tags,
    tail_scripts,
    teasers,
    topbar,
)


@page
def tailwind_prose() -> Page:
    pg = Page(
        "en-tailwind-prose",
        "/2026/12/01/water-utility-fined-over-sewage-spills",
        lang="en",
        script="latin",
        title="Water utility fined record £48m over sewage spills into rivers",
        shape="no article/main/articleBody: body in Tailwind layout divs (xl:col-span-9 prose); JSON-LD articleBody",
        authors=["Hannah Price"],
        published="2026-12-01T09:12:00Z",
    )
    site = "The Courier"
    body = "\n".join(
        [
            pg.p(
                "A regional water company has been fined a record £48m after regulators found it had discharged untreated sewage into rivers on more than 3,000 occasions over four years."
            ),
            pg.p(
                "The penalty, announced on Monday by the environment regulator, is the largest ever imposed on a water firm in England. Investigators said the company had failed to upgrade treatment works despite repeated warnings, according to [the regulator's final notice](https://www.environment-agency.example/enforcement/notices/2026-118), which runs to 212 pages."
            ),
            f'<div class="my-8 flex justify-center" data-slot="mid1">{AD}</div>',
            pg.p(
                "Campaigners, who have photographed brown water flowing from outfall pipes for years, said the fine was overdue. One group said local swimmers had reported stomach illnesses every summer since 2021."
            ),
            pg.p(
                "The company said it accepted the findings and apologised to customers. Its chief executive said a £1.2bn investment programme would cut spills by half by 2030."
            ),
            f'<div class="not-prose my-6 rounded border-l-4 border-red-600 bg-gray-50 p-4 text-sm">{read_also(pg, cls="flex gap-2", tag="div")}</div>',
            pg.h("How the spills were found", "h2", ' class="mt-10 text-2xl font-bold"'),
            pg.p(
                "Data from monitors fitted to storm overflows, published under a transparency rule introduced in 2023, showed that some sites discharged on dry days, when overflows are meant to be used only in heavy rain. The figures are set out in [the national overflow dataset](https://data.environment-agency.example/storm-overflows/2025), the numbers the regulator relied on."
            ),
            pg.p(
                "Ministers said the money from the fine would be ring-fenced for river restoration projects in the affected catchments."
            ),
            pg.p("Shares in the company's parent group fell 3% in early trading."),
        ]
    )
    text = pg.text()
    ld = news_ld(
        pg,
        body=text,
        desc="Regulator imposes largest ever penalty on a water firm.",
        section="Environment",
        publisher=site,
        graph=True,
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="Regulator imposes largest ever penalty on a water firm.",
            ld=ld,
            section="Environment",
        ),
        f"""<div id="__app" class="min-h-screen bg-white text-gray-900">
{cookie_banner(pg)}
<div class="sticky top-0 z-50 border-b bg-white">{topbar(pg, site, cls="container mx-auto flex items-center")}</div>
<div class="hidden lg:block border-b">{menu(pg, cls="container mx-auto flex gap-4 text-sm", tag="div")}</div>
<div class="container mx-auto grid grid-cols-12 gap-8 px-4 pt-6">
  <div class="col-span-12 xl:col-span-9">
    <div class="mb-2 text-xs uppercase tracking-wide text-red-700"><a href="{ORIGIN}/environment">Environment</a></div>
    <h1 class="font-serif text-3xl font-bold leading-tight md:text-5xl">{esc(pg.title)}</h1>
    <div class="mt-4 flex items-center gap-3 text-sm text-gray-600"><img class="h-8 w-8 rounded-full" src="{ORIGIN}/media/authors/hannah-price.jpg" alt=""><span>By {byline_link("Hannah Price")}</span><span>1 December 2026</span><span class="text-gray-400">{UPD}</span></div>
    {figure("2026/12/river-outfall", "Brown water at an outfall on the River Test last summer.", "Photo: Sam Hollis", cls="my-6", w=1600)}
    <div class="prose prose-lg max-w-none font-serif">
{body}
    </div>
    {tags(pg, ["Water", "Pollution", "Rivers", "Regulation"], cls="mt-8 flex flex-wrap gap-2")}
    {share_bar(pg, cls="mt-6 flex gap-3")}
    {author_box(pg, "Hannah Price", "Hannah Price is the environment correspondent. She has covered water and energy since 2015.", cls="mt-10 flex gap-4 border-t pt-6")}
  </div>
  <div class="col-span-12 xl:col-span-3">
    <div class="sticky top-24">{AD}<div class="mt-6"><h2 class="font-bold">Most read</h2><ol class="list-decimal pl-5">{REL}</ol></div>{newsletter(pg, cls="mt-6 rounded bg-gray-100 p-4")}</div>
  </div>
</div>
<div class="container mx-auto mt-12 grid grid-cols-1 gap-6 px-4 md:grid-cols-4">{teasers(pg, 8, tag="div", cls="group")}</div>
<div class="mt-16 bg-gray-900 text-gray-200">{footer(pg, site, tag="div", cls="container mx-auto py-10")}</div>
</div>
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def teaser_articles() -> Page:
    pg = Page(
        "en-teaser-articles-plain-story",
        "/news/business/supermarket-chain-to-close-60-stores-8817263",
        lang="en",
        script="latin",
        title="Supermarket chain to close 60 stores, putting 4,000 jobs at risk",
        shape="many <article> teaser cards around a story in a plain div container",
        authors=["Ravi Mistry"],
        published="2026-11-30T15:40:00Z",
    )
    site = "Daily Ledger"
    body = "\n".join(
        [
            pg.p(
                "One of the country's largest supermarket chains is to close 60 stores by the end of March, putting about 4,000 jobs at risk, the company said on Sunday."
            ),
            pg.p(
                "The retailer blamed rising rents, higher energy bills and a shift to online shopping. In [a statement to the stock exchange](https://www.stock-exchange.example/news/rns/2026/11/30/SMKT-closures), it said the closures would save £85m a year."
            ),
            pg.p(
                "Most of the affected stores are smaller outlets in town centres. Staff were told at meetings on Saturday, union officials said."
            ),
            f'<div class="inline-promo">{AD}</div>',
            pg.p(
                'The shop workers\' union called the decision a "hammer blow" to high streets that were already struggling. It said it would seek talks to find redeployment options for as many staff as possible.'
            ),
            pg.p(
                "Analysts said the chain had lost market share to discount rivals for six consecutive quarters, as [industry figures](https://www.retail-analytics.example/grocery-share/2026-q3) show, and that more closures could follow."
            ),
            pg.p("The company employs about 110,000 people across 1,400 stores."),
        ]
    )
    ld = news_ld(
        pg, desc="Closures blamed on rents and energy costs.", section="Business", publisher=site
    )
    html = doc(
        pg,
        head(
            pg, site, desc="Closures blamed on rents and energy costs.", ld=ld, section="Business"
        ),
        f"""{cookie_banner(pg)}
<header class="site-header">{topbar(pg, site)}{menu(pg)}</header>
<div class="page-wrap">
  <section class="rail rail--top">
    {teasers(pg, 4, tag="article", cls="story-card", section="news/business")}
  </section>
  <div class="layout layout--two-col">
    <div class="layout__main">
      <div class="story">
        <div class="story__kicker"><a href="{ORIGIN}/news/business">Business</a></div>
        <h1 class="story__headline">{esc(pg.title)}</h1>
        <div class="story__meta"><span class="story__byline">By {byline_link("Ravi Mistry")}, Business reporter</span> <span class="story__date">30 November 2026</span> <span class="story__views">{CNT} views</span></div>
        {figure("2026/11/store-front", "A branch in Leeds that is among those earmarked for closure.", "Getty Images")}
        <div class="story__text">
{body}
        </div>
        {share_bar(pg)}
      </div>
      <section class="more-on-this">
        <h2>More on this story</h2>
        {teasers(pg, 3, tag="article", cls="story-card story-card--small", start=4, section="news/business")}
      </section>
    </div>
    <div class="layout__rail">
      {AD}
      <section class="trending"><h2>Trending</h2>{teasers(pg, 5, tag="article", cls="story-card story-card--text", start=2, summary=False)}</section>
      {newsletter(pg)}
    </div>
  </div>
  <section class="rail rail--bottom"><h2>Latest</h2>{teasers(pg, 8, tag="article", cls="story-card", start=1)}</section>
</div>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def main_holds_page() -> Page:
    pg = Page(
        "en-main-holds-whole-page",
        "/local/2026/11/29/bridge-reopens-after-three-years",
        lang="en",
        script="latin",
        title="Town bridge reopens after three years of repairs",
        shape="<main> wraps the whole page: header, menu, footer with careers and subject lists inside it",
        authors=["Owen Teague"],
        published="2026-11-29T07:05:00Z",
    )
    site = "Valley Gazette"
    body = "\n".join(
        [
            pg.p(
                "The old stone bridge over the river in the town centre reopened to traffic on Saturday, three years after it was closed when engineers found cracks in two of its arches."
            ),
            pg.p(
                "Hundreds of residents gathered on the banks to watch the first cars cross. The repairs cost £6.4m, more than double the original estimate, the county council said."
            ),
            pg.p(
                "Shopkeepers on both sides of the river said the closure had cut their takings by a third. A bakery owner said she had kept her business going only with help from a hardship fund set up in 2024."
            ),
            f"{AD}",
            pg.p(
                "Council engineers said the bridge, built in 1792, had been strengthened with steel ties hidden inside the arches, following [the heritage body's guidance](https://www.heritage-trust.example/advice/historic-bridges-repair.pdf) for listed structures."
            ),
            pg.p(
                "A weight limit of 18 tonnes will remain in place, meaning lorries will still have to use the bypass."
            ),
            pg.p(
                "The council said it would review the cost overrun at a meeting next month, after questions raised in [our report in March](/local/2026/03/14/bridge-repair-costs-double), the figures in which it has not disputed."
            ),
        ]
    )
    ld = news_ld(
        pg, desc="The 18th-century bridge was closed in 2023.", section="Local", publisher=site
    )
    html = doc(
        pg,
        head(pg, site, desc="The 18th-century bridge was closed in 2023.", ld=ld, section="Local"),
        f"""<main id="main" class="site">
  <header class="site__header">{topbar(pg, site)}{menu(pg, cls="primary-menu")}</header>
  {cookie_banner(pg)}
  <div class="breadcrumbs"><a href="{ORIGIN}/">Home</a> › <a href="{ORIGIN}/local">Local</a></div>
  <div class="site__content">
    <h1 class="entry-title">{esc(pg.title)}</h1>
    <p class="entry-meta">By {byline_link("Owen Teague")} · 29 November 2026 · <span class="upd">{UPD}</span></p>
    {figure("2026/11/bridge", "The first cars cross the bridge on Saturday morning.", "Valley Gazette")}
    <div class="entry-text">
{body}
    </div>
    {tags(pg, ["Roads", "County council", "Heritage"])}
    {share_bar(pg)}
    <div class="comments-cta"><a href="{ORIGIN}/local/2026/11/29/bridge-reopens-after-three-years#comments">Join the discussion ({CNT})</a></div>
  </div>
  <div class="site__more"><h2>More local news</h2><div class="grid">{teasers(pg, 6, tag="div", cls="tile")}</div></div>
  <div class="site__jobs"><h2>Jobs at the Valley Gazette</h2><p>We are hiring a court reporter and a data journalist. Applications close on 15 December; see our careers page for the full descriptions and how to apply.</p><ul><li><a href="{ORIGIN}/careers/court-reporter">Court reporter</a></li><li><a href="{ORIGIN}/careers/data-journalist">Data journalist</a></li><li><a href="{ORIGIN}/careers">All vacancies</a></li></ul></div>
  <div class="site__subjects"><h2>Subjects</h2><p>Browse our coverage of schools, housing, transport, health, crime, courts, planning, the environment, business, farming, arts, music, theatre, rugby, cricket and football across the valley and its villages.</p></div>
  {footer(pg, site, tag="div", cls="site__footer")}
</main>
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def drupal_promoted() -> Page:
    pg = Page(
        "en-drupal-node-promoted",
        "/news/city-hall/council-approves-new-cycle-lanes",
        lang="en",
        script="latin",
        title="Council approves 40km of protected cycle lanes despite objections",
        shape="Drupal: node--promoted node--type-article, field--name-body, field__item paragraphs",
        authors=["Grace Okafor"],
        published="2026-11-27T18:30:00Z",
    )
    site = "Metro Record"
    body = "\n".join(
        [
            pg.p(
                "City councillors voted 31 to 19 on Thursday night to build 40km of protected cycle lanes over the next three years, ending a row that had dragged on since the spring."
            ),
            pg.p(
                "The plan will remove about 1,100 parking spaces on main roads. Opponents, including a group of shop owners, said the loss of parking would drive customers away."
            ),
            pg.p(
                "Supporters pointed to [a university study](https://www.transport-research.example/papers/2026/protected-lanes-retail-footfall) which found that footfall on streets with protected lanes rose by 8% on average, and to [the city's own casualty figures](https://data.city-hall.example/road-safety/casualties-2025.csv), which show cyclist injuries at a ten-year high."
            ),
            AD,
            pg.quote(
                "We cannot keep asking people to cycle in traffic and then act surprised when they don't.",
                open='<blockquote class="quote"><p>',
                close="</p></blockquote>",
            ),
            pg.p(
                "The first section, on the road between the station and the hospital, is due to open next summer. The council said the scheme would cost £52m, most of it from a national fund."
            ),
            pg.p(
                "A petition against the plan gathered 9,400 signatures. Its organisers said they would consider a legal challenge."
            ),
        ]
    )
    ld = news_ld(
        pg, desc="Plan will remove about 1,100 parking spaces.", section="City Hall", publisher=site
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="Plan will remove about 1,100 parking spaces.",
            ld=ld,
            section="City Hall",
            extra='<meta name="Generator" content="Drupal 10 (https://www.drupal.org)">',
        ),
        f"""<div class="dialog-off-canvas-main-canvas" data-off-canvas-main-canvas>
<div class="layout-container">
{cookie_banner(pg, cls="eu-cookie-compliance-banner")}
<header role="banner" class="region region-header">{topbar(pg, site)}<div id="block-mainnavigation" class="block block-menu">{menu(pg, cls="menu menu--main")}</div></header>
<div class="region region-highlighted"><div data-drupal-messages-fallback class="hidden"></div></div>
<div class="layout-content">
<div class="region region-content">
<div id="block-metro-content" class="block block-system block-system-main-block">
<div data-history-node-id="48213" class="node node--type-article node--promoted node--view-mode-full">
  <h1 class="page-title"><span class="field field--name-title field--type-string">{esc(pg.title)}</span></h1>
  <div class="node__meta"><span class="field field--name-uid">{byline_link("Grace Okafor")}</span> <span class="field--name-created">Thu, 11/27/2026 - 18:30</span></div>
  <div class="node__content">
    <div class="field field--name-field-image field--type-image field__item">{figure("2026/11/cycle-lane", "A trial protected lane on Station Road.", "Metro Record", tag="div", cap="div")}</div>
    <div class="clearfix text-formatted field field--name-body field--type-text-with-summary field--label-hidden field__item">
{body}
    </div>
    <div class="field field--name-field-tags field--type-entity-reference field--label-above"><div class="field__label">Tags</div><div class="field__items"><div class="field__item"><a href="{ORIGIN}/taxonomy/term/12" hreflang="en">Transport</a></div><div class="field__item"><a href="{ORIGIN}/taxonomy/term/31" hreflang="en">City Hall</a></div><div class="field__item"><a href="{ORIGIN}/taxonomy/term/77" hreflang="en">Cycling</a></div></div></div>
    {share_bar(pg, cls="addtoany")}
  </div>
</div>
</div>
<div class="views-element-container block block-views"><h2>Promoted stories</h2><div class="view view-frontpage">{teasers(pg, 6, tag="div", cls="node node--type-article node--promoted node--view-mode-teaser")}</div></div>
</div>
</div>
<aside class="layout-sidebar-second" role="complementary">{AD}{related_list(pg, tag="div", cls="block block-views")}{newsletter(pg, cls="block block-simplenews")}</aside>
{footer(pg, site, tag="footer", cls="site-footer")}
</div>
</div>
<script type="application/json" data-drupal-selector="drupal-settings-json">{{"path":{{"baseUrl":"\\/","pathPrefix":"","currentPath":"node\\/48213","isFront":false}},"ajaxPageState":{{"theme":"metro","libraries":"core\\/drupal,metro\\/global"}},"csrf":"{NONCE}"}}</script>
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def lead_in_header() -> Page:
    pg = Page(
        "en-lead-in-article-header",
        "/world/2026/11/28/ceasefire-talks-resume-in-cairo",
        lang="en",
        script="latin",
        title="Ceasefire talks resume in Cairo as mediators push for a deal",
        shape="lead paragraph, holding the only citation, inside the <header> of the <article>",
        authors=["Leila Haddad"],
        published="2026-11-28T11:00:00Z",
    )
    site = "Global Dispatch"
    lead = pg.p(
        "Negotiators returned to Cairo on Friday for a new round of ceasefire talks, a week after the previous round collapsed, [mediators said in a joint statement](https://www.foreign-ministry.example/statements/2026-11-28-cairo-talks).",
        open='<p class="article-header__lead">',
    )
    rest = "\n".join(
        [
            pg.p(
                "Delegations from both sides arrived in the Egyptian capital late on Thursday. Officials familiar with the talks said the main sticking points were the sequencing of prisoner releases and the withdrawal of troops from border areas."
            ),
            pg.p(
                "The mediators have proposed a six-week first phase, during which aid deliveries would be doubled. Aid agencies have warned that hundreds of thousands of people face severe food shortages."
            ),
            AD,
            pg.p(
                "Previous rounds have repeatedly stalled over guarantees that a first phase would lead to a permanent end to the fighting."
            ),
            pg.p(
                "Diplomats said a breakthrough was not expected before next week, but described the atmosphere as constructive."
            ),
        ]
    )
    ld = news_ld(
        pg, desc="Mediators push for a six-week first phase.", section="World", publisher=site
    )
    html = doc(
        pg,
        head(pg, site, desc="Mediators push for a six-week first phase.", ld=ld, section="World"),
        f"""{cookie_banner(pg)}
<header class="global-header" role="banner">{topbar(pg, site)}{menu(pg)}</header>
<main id="content">
<article class="article">
  <header class="article-header">
    <a class="article-header__section" href="{ORIGIN}/world">World</a>
    <h1 class="article-header__title">{esc(pg.title)}</h1>
    {lead}
    <div class="article-header__byline">By {byline_link("Leila Haddad")} in Cairo · <time datetime="{pg.published}">28 November 2026</time> <span>{UPD}</span></div>
    {share_bar(pg)}
  </header>
  {figure("2026/11/cairo", "Delegates arrive at the talks venue in Cairo.", "Reuters")}
  <div class="article-body">
{rest}
  </div>
  <footer class="article-footer">{tags(pg, ["Middle East", "Diplomacy", "Egypt"])}{author_box(pg, "Leila Haddad", "Leila Haddad is our Middle East correspondent, based in Cairo.")}</footer>
</article>
{related_list(pg)}
<section class="latest">{teasers(pg, 6)}</section>
</main>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def infinite_scroll() -> Page:
    pg = Page(
        "en-infinite-scroll-two-stories",
        "/sport/2026/11/30/marathon-record-falls-in-valencia",
        lang="en",
        script="latin",
        title="Marathon world record falls in Valencia",
        shape="two <article>s: the page's story, then a longer 'next story' appended (infinite scroll); canonical, h1 and og:url name the first",
        authors=["Tom Ridley"],
        published="2026-11-30T12:20:00Z",
    )
    site = "Sport Wire"
    body = "\n".join(
        [
            pg.p(
                "The men's marathon world record fell in Valencia on Sunday as the winner crossed the line in 2hr 0min 12sec, taking 23 seconds off the previous mark."
            ),
            pg.p(
                "He ran the second half faster than the first, helped by cool conditions and a flat course. [World Athletics confirmed](https://www.worldathletics.example/news/press-releases/valencia-marathon-record-2026) that the result would be ratified once doping tests were complete."
            ),
            pg.p(
                '"I knew at 30 kilometres that the record was possible," he said afterwards. "The crowd carried me for the last part."'
            ),
            AD,
            pg.p("The women's race was won in 2hr 14min 40sec, the third-fastest time in history."),
            pg.p("Organisers said 34,000 runners had taken part, a record for the event."),
        ]
    )
    other = "\n".join(
        f"<p>{esc(t)}</p>"
        for t in [
            "The season's final Grand Prix ended in chaos on Sunday evening when a collision on the first lap eliminated both championship contenders, handing the title to a driver who had started the race in fifth place.",
            "Stewards spent more than two hours reviewing footage of the incident at the first corner before deciding that no further action was needed, a ruling that angered both teams involved.",
            'The new champion, who had not won a race all season, said he had been "as surprised as anyone" when the safety car came out and the order was shuffled.',
            "His team principal described the title as the reward for consistency, pointing out that the driver had finished in the points in every race of the year.",
            'The two drivers involved in the crash traded accusations in interviews, with one saying his rival had "left no room at all" and the other calling the move "desperate".',
            "Television audiences for the race were the highest for a decade, broadcasters said, with a peak of 4.1 million viewers in the final ten minutes.",
            "The sport's governing body said it would review the rules on first-lap incidents over the winter, after several teams asked for clearer guidance.",
            "Next season begins in March, with two new races on the calendar and a revised points system that rewards fastest laps.",
            "Tickets for the opening race sold out within an hour of going on sale, organisers said.",
            "Several drivers are expected to change teams before then, with contracts due to be announced in the coming weeks.",
        ]
    )
    ld = news_ld(
        pg,
        desc="The winner took 23 seconds off the previous mark.",
        section="Athletics",
        publisher=site,
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="The winner took 23 seconds off the previous mark.",
            ld=ld,
            section="Athletics",
        ),
        f"""{cookie_banner(pg)}
<header class="header">{topbar(pg, site)}{menu(pg)}</header>
<div id="infinite-container" class="stream" data-next="{ORIGIN}/sport/2026/11/30/grand-prix-title-decided-after-first-lap-crash">
<article class="post" data-url="{pg.url}" data-post-id="771203">
  <h1 class="post__title">{esc(pg.title)}</h1>
  <div class="post__byline">{byline_link("Tom Ridley")} · 30 Nov 2026 · {UPD}</div>
  {figure("2026/11/valencia", "The winner crosses the line in Valencia.", "AFP")}
  <div class="post__content">
{body}
  </div>
  {share_bar(pg)}
  {tags(pg, ["Athletics", "Marathon"])}
</article>
<div class="stream__divider">{AD}<p class="stream__label">Next story</p></div>
<article class="post post--next" data-url="{ORIGIN}/sport/2026/11/30/grand-prix-title-decided-after-first-lap-crash" data-post-id="771188">
  <h2 class="post__title"><a href="{ORIGIN}/sport/2026/11/30/grand-prix-title-decided-after-first-lap-crash">Grand Prix title decided after first-lap crash takes out both contenders</a></h2>
  <div class="post__byline">{byline_link("Marta Kowalski")} · 30 Nov 2026</div>
  {figure("2026/11/gp-crash", "The first-corner collision.", "Getty Images")}
  <div class="post__content">
{other}
  <p>The stewards' decision can be read in <a href="https://www.motorsport-federation.example/decisions/2026-abu-dhabi-doc-58.pdf">the federation's published document</a>, which sets out their reasoning.</p>
  </div>
  {share_bar(pg)}
</article>
</div>
<aside class="sidebar">{related_list(pg, tag="div")}{AD}</aside>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def jsonld_stale() -> Page:
    pg = Page(
        "en-jsonld-stale-articlebody",
        "/politics/2026/12/01/minister-resigns-over-contracts-row",
        lang="en",
        script="latin",
        title="Health minister resigns over contracts row",
        shape="JSON-LD articleBody stale and truncated (an earlier draft); visible text differs; no semantic tags",
        authors=["Priya Nair", "Daniel Cho"],
        published="2026-12-01T16:45:00Z",
    )
    site = "The Standard"
    body = "\n".join(
        [
            pg.p(
                "The health minister resigned on Monday evening, days after it emerged that a company run by a family friend had been awarded contracts worth £14m without a competitive tender."
            ),
            pg.p(
                'In a letter to the prime minister, she said she had "done nothing wrong" but that the row had become a distraction from the government\'s work. The letter was [published in full by Downing Street](https://www.gov-uk.example/government/publications/resignation-letter-2026-12-01).'
            ),
            pg.p(
                "The contracts, for the supply of testing equipment to hospitals, were first reported by this newspaper last week. [Our investigation](/investigations/2026/11/25/testing-contracts-awarded-without-tender) found that officials had raised concerns about the company's lack of experience."
            ),
            f'<div class="inread">{AD}</div>',
            pg.p(
                "Opposition parties called for an independent inquiry. The prime minister's spokesman said the standards adviser would look at the case."
            ),
            pg.p(
                "A junior health minister will take over the department's duties until a successor is appointed, expected on Tuesday."
            ),
            pg.p(
                "The company has denied any wrongdoing and said its equipment met every requirement."
            ),
        ]
    )
    stale = (
        "The health minister is under pressure to resign after it emerged that a company run by a family friend was awarded contracts worth £12m. "
        "In a statement, she said she had done nothing wrong. The contracts, for the supply of testing equipment to hospitals, were first reported by this newspaper last week."
    )
    ld = news_ld(
        pg,
        body=stale,
        desc="Contracts worth £14m were awarded without a tender.",
        section="Politics",
        publisher=site,
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="Contracts worth £14m were awarded without a tender.",
            ld=ld,
            section="Politics",
        ),
        f"""{cookie_banner(pg)}
<div class="hdr">{topbar(pg, site)}<div class="hdr__menu">{menu(pg, tag="div", cls="menu-bar")}</div></div>
<div class="wrapper">
  <div class="content-area">
    <div class="headline-block"><span class="label label--breaking">Breaking</span><h1>{esc(pg.title)}</h1>
    <div class="bylines">By {byline_link("Priya Nair")} and {byline_link("Daniel Cho")}, Political correspondents</div><div class="dateline">1 December 2026, {UPD}</div></div>
    {figure("2026/12/minister", "The minister leaving her department on Monday.", "PA")}
    <div class="text-block">
{body}
    </div>
    {share_bar(pg)}
    <div class="more-politics"><h3>More politics</h3>{teasers(pg, 4, tag="div", cls="item", start=3)}</div>
  </div>
  <div class="rail">{AD}{newsletter(pg)}<div class="popular"><h3>Most popular</h3><ol>{REL}</ol></div></div>
</div>
{footer(pg, site, tag="div", cls="ftr")}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def nextjs() -> Page:
    import json

    pg = Page(
        "en-nextjs-next-data",
        "/tech/chipmaker-unveils-2nm-processor",
        lang="en",
        script="latin",
        title="Chipmaker unveils first 2nm processor for laptops",
        shape="Next.js: __NEXT_DATA__ JSON holds the story blocks; server-rendered HTML in div#__next with hashed class names",
        authors=["Alex Moreno"],
        published="2026-11-26T14:00:00Z",
    )
    site = "Circuit"
    paragraphs = [
        "A leading chipmaker on Wednesday unveiled its first processor built on a 2-nanometre process, promising laptops that run up to 30% longer on a single charge.",
        "The chip packs 28 billion transistors and will appear in machines from four manufacturers early next year, the company said at an event in San Jose.",
        "Independent analysts said the efficiency claims looked plausible but would need to be tested. Benchmarks published by the company compare the chip with its own previous generation rather than with rivals.",
        "The launch comes as competition in laptop processors intensifies, with several phone chip designers moving into the market.",
        "Prices for laptops with the new chip have not been announced. The company said the first models would be aimed at business users.",
    ]
    cites = [
        (
            "the company's technical briefing",
            "https://newsroom.chipmaker.example/2026/11/2nm-laptop-platform",
        ),
        (
            "a report from a market research firm",
            "https://www.market-research.example/reports/pc-processors-2026",
        ),
    ]
    parts = []
    md_paras = [
        paragraphs[0],
        paragraphs[1] + f" Details are in [{cites[0][0]}]({cites[0][1]}).",
        paragraphs[2],
        paragraphs[3]
        + f" According to [{cites[1][0]}]({cites[1][1]}), shipments of such laptops doubled this year.",
        paragraphs[4],
    ]
    for i, t in enumerate(md_paras):
        parts.append(pg.p(t, open='<p class="ArticleBody_paragraph__x7Kq2">'))
        if i == 1:
            parts.append(f'<div class="AdSlot_wrapper__9dLx0">{AD}</div>')
        if i == 3:
            parts.append(
                f'<div class="RelatedInline_box__Qm3Zd">{read_also(pg, tag="p", cls="RelatedInline_text__a1B2c")}</div>'
            )
    body = "\n".join(parts)
    blocks = []
    for t in md_paras:
        import re as _re

        htmlp = _re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r'<a href="\2">\1</a>', t)
        blocks.append({"type": "paragraph", "html": htmlp})
    next_data = {
        "props": {
            "pageProps": {
                "article": {
                    "id": "c7f1e2a0-4b8d-4c51-9a3f-2d6e8b1f0c44",
                    "slug": "chipmaker-unveils-2nm-processor",
                    "title": pg.title,
                    "dek": "The chip will appear in laptops early next year.",
                    "authors": [{"name": "Alex Moreno", "slug": "alex-moreno"}],
                    "publishedAt": pg.published,
                    "section": {"name": "Tech", "slug": "tech"},
                    "body": blocks,
                    "tags": ["Chips", "Laptops", "Semiconductors"],
                },
                "related": [
                    {"title": t, "slug": f"story-{i}"}
                    for i, (t, _) in enumerate(pg.L["teasers"][:4])
                ],
                "adConfig": {"targeting": {"section": "tech", "kw": ["chips", "laptops"]}},
            },
            "__N_SSP": True,
        },
        "page": "/tech/[slug]",
        "query": {"slug": "chipmaker-unveils-2nm-processor"},
        "buildId": "Xr2vQ9mKpL3nT7sW1aZc",
        "isFallback": False,
        "gssp": True,
        "scriptLoader": [],
    }
    ld = news_ld(
        pg, desc="The chip will appear in laptops early next year.", section="Tech", publisher=site
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="The chip will appear in laptops early next year.",
            ld=ld,
            section="Tech",
            extra='<meta name="next-head-count" content="42"><link rel="preload" href="/_next/static/css/8f2c1d0e9b7a6f54.css" as="style"><link rel="stylesheet" href="/_next/static/css/8f2c1d0e9b7a6f54.css" data-n-g="">',
        ),
        f"""<div id="__next"><div class="Layout_root__Zx81q">
{cookie_banner(pg)}
<div class="Header_bar__0kP2s">{topbar(pg, site, cls="Header_inner__t9Vbm")}{menu(pg, tag="div", cls="Header_nav__3Lw2r")}</div>
<div class="Article_grid__hN4tY">
  <div class="Article_main__pQ8e1">
    <span class="Article_section__2aSdF"><a href="{ORIGIN}/tech">Tech</a></span>
    <h1 class="Article_headline__yU7kL">{esc(pg.title)}</h1>
    <p class="Article_dek__cV0bN">The chip will appear in laptops early next year.</p>
    <div class="Byline_root__mN3oP">By {byline_link("Alex Moreno")} <span class="Byline_date__e4Rt5">Nov 26, 2026</span> <span class="Byline_reads__Lk9Jh">{CNT} reads</span></div>
    {figure("2026/11/chip", "The new processor on a test board.", "Circuit", cls="Figure_root__Wq2Er")}
    <div class="ArticleBody_root__pL0oK">
{body}
    </div>
    {share_bar(pg, cls="ShareBar_root__kJ8hG")}
    {tags(pg, ["Chips", "Laptops", "Semiconductors"], cls="Tags_root__Bn5Vc")}
  </div>
  <div class="Article_aside__Fg6Hj">{AD}<div class="MostRead_root__Ty7Ui"><h2>Most read</h2><ol>{REL}</ol></div></div>
</div>
<div class="Footer_root__As1Df">{footer(pg, site, tag="footer", cls="Footer_inner__Zx2Cv")}</div>
</div></div>
<script id="__NEXT_DATA__" type="application/json">{json.dumps(next_data, ensure_ascii=False)}</script>
<script src="/_next/static/chunks/webpack-7b1e2c3d4f5a6b7c.js" defer></script>
<script src="/_next/static/chunks/framework-0a1b2c3d4e5f6a7b.js" defer></script>
<script src="/_next/static/chunks/pages/tech/%5Bslug%5D-9f8e7d6c5b4a3f2e.js" defer></script>
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def byline_first_p() -> Page:
    pg = Page(
        "en-byline-first-paragraph",
        "/world/europe/kyiv-power-restored-after-strikes-6629014",
        lang="en",
        script="latin",
        title="Power restored to most of Kyiv after overnight strikes on grid",
        shape="byline as the first <p> of the body ('By Jane Doe, Kyiv'), wire-service style",
        authors=["Jane Doe"],
        published="2026-11-25T06:30:00Z",
    )
    site = "Newswire"
    body = "\n".join(
        [
            '<p class="byline-para">By <a href="'
            + ORIGIN
            + '/author/jane-doe">Jane Doe</a>, Kyiv</p>',
            pg.p(
                "KYIV (Newswire) - Power was restored to most of Kyiv on Tuesday morning, hours after an overnight attack on energy facilities left hundreds of thousands of homes without electricity, the city's military administration said."
            ),
            pg.p(
                "Engineers worked through the night in temperatures below freezing. The national grid operator said [in a post on its website](https://www.grid-operator.example/en/news/2026-11-25-restoration) that scheduled outages could still be needed in some districts in the evening peak."
            ),
            pg.p(
                "The mayor said 14 people had been injured in the capital, two of them seriously. Debris fell on a residential building in the Darnytskyi district, starting a fire that was put out within an hour."
            ),
            AD,
            pg.p(
                "Ukraine's air force said it had shot down most of the drones and missiles launched overnight."
            ),
            pg.p(
                "The attack was the third on the energy system this month. Officials have urged residents to keep power banks and water supplies at home."
            ),
            '<p class="contributor">Reporting by Jane Doe; Editing by Mark Ellis</p>',
        ]
    )
    ld = news_ld(
        pg,
        desc="Hundreds of thousands of homes were left without electricity.",
        section="Europe",
        publisher=site,
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="Hundreds of thousands of homes were left without electricity.",
            ld=ld,
            section="Europe",
        ),
        f"""{cookie_banner(pg)}
<header class="site-header">{topbar(pg, site)}{menu(pg)}</header>
<main id="main-content">
<article class="article-wrap">
  <div class="article-header"><a class="section-label" href="{ORIGIN}/world/europe">Europe</a><h1 class="article-title">{esc(pg.title)}</h1>
  <div class="timestamps"><time datetime="{pg.published}">November 25, 2026 6:30 AM UTC</time> <span class="updated">{UPD}</span></div></div>
  {share_bar(pg)}
  {figure("2026/11/kyiv-grid", "Repair crews at a substation in Kyiv.", "Newswire/Photographer")}
  <div class="article-body" data-testid="ArticleBody">
{body}
  </div>
  <div class="trust-principles"><a href="{ORIGIN}/about/trust-principles">Our Standards: The Trust Principles.</a></div>
</article>
<section class="more-news"><h2>More from Newswire</h2>{teasers(pg, 6, tag="article", cls="story-card")}</section>
</main>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def inline_links() -> Page:
    pg = Page(
        "en-inline-link-punctuation",
        "/economy/2026/11/24/inflation-falls-to-2-point-9-percent",
        lang="en",
        script="latin",
        title="Inflation falls to 2.9% as food prices ease",
        shape="many inline links with punctuation right after </a>; <em>/<strong> inside paragraphs; same-outlet older stories cited",
        authors=["Marcus Webb"],
        published="2026-11-24T07:00:00Z",
    )
    site = "Economy Today"
    body = "\n".join(
        [
            pg.p(
                "Inflation fell to 2.9% in October, down from 3.4% in September, according to [the statistics office](https://www.statistics-office.example/economy/inflation/cpi-october-2026), the lowest rate in three years."
            ),
            pg.p(
                "Food prices rose by 4.1% over the year, compared with 5.6% a month earlier. Fuel prices fell, with petrol down 6p a litre, as [the motoring group's survey](https://www.motoring-group.example/fuel-watch/october-2026), the [energy regulator's price cap](https://www.energy-regulator.example/price-cap/2026-q4) and wholesale markets all showed."
            ),
            pg.p(
                "The fall makes an interest rate cut next month more likely, economists said. The central bank [held rates in November](/economy/2026/11/06/central-bank-holds-rates), citing stubborn services inflation."
            ),
            AD,
            pg.p(
                "Services inflation, which the bank watches closely, eased to 4.8%. Economists had expected **5.0%**."
            ),
            pg.p(
                "The finance minister said the figures showed the government's plan was working, but opposition parties said families were still paying far more for essentials than before the surge in prices. [Our calculator](/economy/2026/01/12/how-much-have-prices-risen-calculator) shows how much prices have risen since 2021."
            ),
            pg.p("Core inflation, which strips out food and energy, fell to 3.3%."),
        ]
    )
    ld = news_ld(pg, desc="The lowest rate in three years.", section="Economy", publisher=site)
    html = doc(
        pg,
        head(pg, site, desc="The lowest rate in three years.", ld=ld, section="Economy"),
        f"""{cookie_banner(pg)}
<header class="header" role="banner">{topbar(pg, site)}{menu(pg)}</header>
<main>
<article class="story" itemscope itemtype="https://schema.org/NewsArticle">
  <h1 itemprop="headline">{esc(pg.title)}</h1>
  <div class="meta">By <span itemprop="author">{byline_link("Marcus Webb")}</span> · <time itemprop="datePublished" datetime="{pg.published}">24 November 2026</time></div>
  {figure("2026/11/groceries", "Shoppers in a supermarket.", "Alamy")}
  <div class="story-body" itemprop="articleBody">
{body}
    {read_also(pg, cls="read-more-inline", static=("How the central bank sets interest rates", f"{ORIGIN}/explainers/how-interest-rates-are-set"), tag="p")}
  </div>
  {tags(pg, ["Inflation", "Cost of living", "Interest rates"])}
  {share_bar(pg)}
</article>
{related_list(pg)}
</main>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg
