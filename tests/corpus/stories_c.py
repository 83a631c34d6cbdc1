# ruff: noqa: RUF001, E501  (Cyrillic, CJK, Arabic, Devanagari and Vietnamese text; long lines of markup)
"""Pages in other scripts: Cyrillic (uk, ru), CJK (zh, ja, ko), Arabic, Devanagari, Vietnamese."""

from __future__ import annotations

import base64
import hashlib
import json
import re

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
    share_bar,
    tags,
    tail_scripts,
    teasers,
    topbar,
)


def ng(markup: str, host: str = "sc177") -> str:
    """Angular's emulated encapsulation: ``_ngcontent-*`` on every element."""
    return re.sub(r"<([a-z][a-z0-9-]*)(?=[\s>/])", rf'<\1 _ngcontent-{host}=""', markup)


@page
def uk_angular() -> Page:
    pg = Page(
        "uk-angular-ssr",
        "/economy/nbu-zalyshyv-oblikovu-stavku-bez-zmin_n2718831",
        lang="uk",
        script="cyrillic",
        title="НБУ залишив облікову ставку без змін: що це означає для гривні",
        shape="Angular server-rendered: <app-root ng-version>, _ngcontent-sc177 on every element, ng-state TransferState JSON with the story, body in div.article-body (no semantic tags)",
        authors=["Олена Коваленко"],
        published="2026-12-01T14:05:00+02:00",
    )
    site = "Новини 24"
    P = '<p class="news-paragraph">'
    body = "\n".join(
        [
            pg.p(
                "Національний банк України залишив облікову ставку на рівні 14,5% річних. Таке рішення ухвалило правління регулятора на засіданні в четвер.",
                open=P,
            ),
            pg.p(
                "У НБУ пояснили, що інфляція сповільнюється швидше, ніж очікувалося, але ризики для цін залишаються високими. Про це йдеться в [повідомленні регулятора](https://bank-gov-ua.example/news/all/rishennya-oblikova-stavka-2026-12), опублікованому після засідання.",
                open=P,
            ),
            f'<div class="read-also-inline">{read_also(pg, cls="read-also-inline__box", tag="div")}</div>',
            pg.p(
                "За даними Держстату, у жовтні споживча інфляція сповільнилася до 6,8% у річному вимірі. Детальні цифри наведено в [статистичному бюлетені](https://www.ukrstat-gov.example/operativ/2026/ct/is_c/isc_10_2026.html).",
                open=P,
            ),
            AD,
            pg.p(
                "Аналітики банків вважають, що регулятор може почати знижувати ставку вже навесні, якщо інфляція продовжить сповільнюватися.",
                open=P,
            ),
            pg.p(
                "Курс гривні після оголошення рішення практично не змінився. На міжбанку долар торгувався на рівні 41,3 гривні.",
                open=P,
            ),
            pg.p(
                "Наступне засідання правління НБУ з монетарної політики відбудеться 23 січня.",
                open=P,
            ),
        ]
    )
    state = {
        "article-2718831": {
            "id": 2718831,
            "title": pg.title,
            "lead": "Регулятор зберіг ставку на рівні 14,5% річних.",
            "author": {"name": "Олена Коваленко", "url": "/authors/olena-kovalenko"},
            "publishedAt": pg.published,
            "content": [],
            "views": CNT,
        },
        "config": {
            "apiUrl": "https://api.novyny24.example",
            "cdn": "https://static.novyny24.example",
            "csrf": NONCE,
        },
    }
    # the TransferState holds the paragraphs as the CMS stores them
    state["article-2718831"]["content"] = [f"<p>{esc(t)}</p>" for t in pg.body]
    inner = f"""<div class="app-layout">
<app-header class="header">{topbar(pg, site)}{menu(pg, tag="div", cls="header-menu")}</app-header>
<div class="page-content">
  <div class="breadcrumbs-block"><a href="{ORIGIN}/">Головна</a> / <a href="{ORIGIN}/economy">Економіка</a></div>
  <div class="news-wrapper">
    <h1 class="news-title">{esc(pg.title)}</h1>
    <div class="news-info"><span class="author-name">{byline_link("Олена Коваленко")}</span> <span class="news-date">1 грудня 2026, 14:05</span> <span class="news-views">{CNT}</span> <span class="news-upd">{UPD}</span></div>
    {figure("2026/12/nbu", "Будівля Національного банку в Києві.", "Фото: Новини 24", tag="div", cap="span")}
    <div class="article-body">
{body}
    </div>
    {tags(pg, ["НБУ", "Облікова ставка", "Гривня", "Інфляція"])}
    {share_bar(pg)}
    {newsletter(pg)}
  </div>
  <div class="news-feed-right"><div class="news-feed-title">Стрічка новин</div>{teasers(pg, 6, tag="div", cls="news-feed-item", summary=False)}</div>
</div>
<div class="main-news-block">{teasers(pg, 6, tag="div", cls="main-news-card", start=2)}</div>
<app-footer>{footer(pg, site, tag="div", cls="footer")}</app-footer>
</div>"""
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="Регулятор зберіг ставку на рівні 14,5% річних.",
            ld=news_ld(
                pg,
                desc="Регулятор зберіг ставку на рівні 14,5% річних.",
                section="Економіка",
                publisher=site,
            ),
            section="Економіка",
            extra='<style ng-app-id="ng">.news-title[_ngcontent-sc177]{font-size:32px}.article-body[_ngcontent-sc177] p[_ngcontent-sc177]{margin:0 0 16px}</style>',
        ),
        f"""<app-root _nghost-sc1="" ng-version="17.3.12" ng-server-context="ssr">{ng(inner)}</app-root>
<script id="ng-state" type="application/json">{json.dumps(state, ensure_ascii=False)}</script>
<script src="https://static.novyny24.example/runtime.8a1f3c2d.js" type="module"></script>
<script src="https://static.novyny24.example/main.5b7e9d1a.js" type="module"></script>
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def uk_wrong_lang() -> Page:
    pg = Page(
        "uk-wrong-lang-attribute",
        "/news/2026/11/30/u-kharkovi-vidnovyly-rukh-metro",
        lang="uk",
        script="cyrillic",
        title="У Харкові повністю відновили рух метро після ремонту тунелю",
        shape="Ukrainian page with lang=\"en\" (wrong); the site name is the first <h1>; 'Читайте також' paragraphs with links inside the body div; <article> holds only the header",
        authors=["Андрій Мельник"],
        published="2026-11-30T09:30:00+02:00",
    )
    site = "Слобідські новини"
    body = "\n".join(
        [
            pg.p(
                "У Харкові з понеділка повністю відновили рух поїздів на Салтівській лінії метро. Рух обмежили на два тижні через ремонт тунелю між станціями."
            ),
            pg.p(
                "Про завершення робіт повідомили в [міській раді](https://www.city-kharkiv.example/news/metro-saltivska-liniya-vidnovleno). Ремонт коштував 38 мільйонів гривень, кошти виділили з міського бюджету."
            ),
            f'<p class="read-more"><strong>{esc(pg.L["read_also"])}:</strong> <a href="{ORIGIN}/news/2026/11/12/u-kharkovi-zakryly-chastynu-metro">У Харкові тимчасово закрили частину Салтівської лінії</a></p>',
            pg.p(
                "Під час ремонту пасажирів перевозили автобуси, які курсували з інтервалом у п'ять хвилин. Мешканці Салтівки скаржилися на затори в години пік."
            ),
            AD,
            pg.p(
                "У метрополітені зазначили, що станції також використовуються як укриття під час повітряних тривог. Щоночі в них ночують сотні людей."
            ),
            pg.p(
                "Наступного року місто планує оновити ще два перегони на Холодногірсько-Заводській лінії."
            ),
            f'<p class="read-more"><strong>{esc(pg.L["read_also"])}:</strong> {"{{noise:related:a}}"}</p>',
        ]
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="Ремонт тунелю тривав два тижні.",
            ld=news_ld(
                pg, desc="Ремонт тунелю тривав два тижні.", section="Новини", publisher=site
            ),
            section="Новини",
        ),
        f"""{cookie_banner(pg)}
<div class="top-line"><h1 class="site-logo"><a href="{ORIGIN}/">{esc(site)}</a></h1>{topbar(pg, site)}</div>
<nav class="main-menu">{menu(pg, tag="", cls="main-menu")}</nav>
<div class="container">
  <div class="row">
    <div class="col-lg-8">
      <article class="post-header"><div class="post-category"><a href="{ORIGIN}/news">Новини</a></div><h1 class="post-title">{esc(pg.title)}</h1><div class="post-meta">{byline_link("Андрій Мельник")} · 30.11.2026 09:30 · {UPD} · 👁 {CNT}</div></article>
      {figure("2026/11/metro-kharkiv", "Станція метро в Харкові.", "Фото: Слобідські новини")}
      <div class="post-content">
{body}
      </div>
      {tags(pg, ["Харків", "Метро", "Транспорт"])}
      {share_bar(pg)}
    </div>
    <div class="col-lg-4"><div class="widget widget-latest"><h3>Останні новини</h3>{teasers(pg, 6, tag="div", cls="latest-item", summary=False)}</div>{AD}</div>
  </div>
</div>
{footer(pg, site)}
{tail_scripts()}""",
        html_attrs=' lang="en"',
    )
    pg.html = html
    return pg


@page
def ru_navbar_offset() -> Page:
    pg = Page(
        "ru-navbar-offset-ancestor-no-lang",
        "/society/20261128/snegopad-paralizoval-dvizhenie-1947221.html",
        lang="ru",
        script="cyrillic",
        title="Снегопад парализовал движение на дорогах области",
        shape="no lang attribute; every ancestor of the story has 'nav' in a class (has-nav-open, navbar-offset); JSON-LD articleBody; no semantic tags",
        authors=["Ирина Соколова"],
        published="2026-11-28T08:40:00+03:00",
    )
    site = "Областные вести"
    body = "\n".join(
        [
            pg.p(
                "Сильный снегопад, начавшийся в пятницу вечером, парализовал движение на трассах области. На некоторых участках водители провели в пробках более шести часов."
            ),
            pg.p(
                "По данным регионального управления МЧС, за ночь выпало до 30 сантиметров снега. На дороги вышли более 400 единиц снегоуборочной техники, [сообщили в ведомстве](https://www.mchs-region.example/deyatelnost/press-centr/novosti/4821736)."
            ),
            AD,
            pg.p(
                "Движение грузовиков на федеральной трассе временно ограничено. Автобусные рейсы в соседние регионы отменены до воскресенья."
            ),
            pg.p(
                "Синоптики предупреждают, что снегопад продолжится до вечера субботы, а затем ударят морозы до минус 20 градусов. Прогноз опубликован на [сайте гидрометцентра](https://meteo-center.example/forecasts/region/2026-11-28)."
            ),
            pg.p(
                "Власти призвали жителей по возможности не пользоваться личным транспортом и следить за сообщениями экстренных служб."
            ),
            pg.p(
                "В школах области занятия в понедельник могут перевести в дистанционный формат, сообщили в министерстве образования."
            ),
        ]
    )
    ld = news_ld(
        pg,
        body=" ".join(pg.body),
        desc="За ночь выпало до 30 сантиметров снега.",
        section="Общество",
        publisher=site,
    )
    html = doc(
        pg,
        head(pg, site, desc="За ночь выпало до 30 сантиметров снега.", ld=ld, section="Общество"),
        f"""<div class="page has-nav-open navbar-offset">
{cookie_banner(pg)}
<div class="navbar navbar-fixed-top">{topbar(pg, site)}{menu(pg, tag="div", cls="navbar-menu")}</div>
<div class="navbar-offset__inner layout-nav-aware">
  <div class="b-content">
    <div class="b-material-head"><div class="b-material-head__rubric"><a href="{ORIGIN}/society/">Общество</a></div>
    <h1 class="b-material-head__title">{esc(pg.title)}</h1>
    <div class="b-material-head__date">28.11.2026, 08:40 · {UPD} · <span class="b-views">{CNT}</span></div>
    <div class="b-material-head__author">{byline_link("Ирина Соколова")}</div></div>
    {figure("2026/11/sneg", "Снегоуборочная техника на трассе.", "Фото: Областные вести", tag="div", cap="div")}
    <div class="b-material-body">
      <div class="b-material-wrapper">
{body}
      </div>
    </div>
    {tags(pg, ["Погода", "Снегопад", "Дороги"])}
    {share_bar(pg)}
    <div class="b-read-more"><h3>{esc(pg.L["read_also"])}</h3><ul>{REL}</ul></div>
  </div>
  <div class="b-sidebar">{AD}{teasers(pg, 5, tag="div", cls="b-news-item")}</div>
</div>
{footer(pg, site, tag="div", cls="b-footer")}
</div>
{tail_scripts()}""",
        html_attrs="",
    )
    pg.html = html
    return pg


@page
def zh_rm_txt() -> Page:
    pg = Page(
        "zh-rm-txt-con-layout-divs",
        "/n1/2026/1127/c1004-40612345.html",
        lang="zh-CN",
        script="cjk",
        title="我国首条跨海高铁全线贯通",
        shape="people.cn-like: body in div.rm_txt_con (no article/main), editor line and 'related' links inside it; JSON-LD articleBody; GBK-era meta tags",
        authors=["王磊"],
        published="2026-11-27T10:30:00+08:00",
    )
    site = "人民新闻网"
    P = '<p style="text-indent: 2em;">'
    body = "\n".join(
        [
            pg.p(
                "11月27日上午，我国首条跨海高速铁路全线贯通。这条铁路全长277公里，设计时速350公里，其中跨海段长约20公里。",
                open=P,
            ),
            pg.p(
                "据介绍，该铁路建成后，两座城市之间的旅行时间将从三个多小时缩短至一小时左右。铁路建设单位在[官方网站](https://www.railway-group.example/xwzx/2026-11/27/content_8841.html)发布了相关消息。",
                open=P,
            ),
            pg.p(
                "施工人员克服了海上大风、大浪和复杂地质条件等困难，创造了多项世界纪录。跨海大桥采用了新型抗腐蚀材料。",
                open=P,
            ),
            f'<div class="ad_box">{AD}</div>',
            pg.p(
                "专家表示，这条铁路对促进区域经济发展、加强沿海城市之间的联系具有重要意义。根据[国家统计部门的数据](https://www.stats-gov.example/sj/zxfb/202611/t20261120_1957.html)，沿线地区去年的经济总量超过五万亿元。",
                open=P,
            ),
            pg.p("该铁路预计明年上半年开通运营。", open=P),
        ]
    )
    ld = news_ld(
        pg,
        body="\n".join(pg.body),
        desc="全长277公里，设计时速350公里。",
        section="社会",
        publisher=site,
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="全长277公里，设计时速350公里。",
            ld=ld,
            section="社会",
            title_suffix="--",
            extra='<meta name="keywords" content="高铁,跨海,贯通"><meta name="filetype" content="0"><meta name="publishedtype" content="1"><meta name="pagetype" content="1"><meta name="catalogs" content="1004"><meta name="contentid" content="40612345"><meta name="source" content="来源：人民新闻网"><meta name="editor" content="张敏">',
        ),
        f"""<div class="w1000 top_nav">{topbar(pg, site, cls="top")}</div>
<div class="w1000 nav_box">{menu(pg, tag="div", cls="nav_list", mega=False)}</div>
<div class="w1000 route"><a href="{ORIGIN}/">首页</a>&gt;&gt;<a href="{ORIGIN}/society/">社会</a></div>
<div class="w1000 clearfix">
  <div class="col col-1 fl">
    <div class="rm_txt">
      <h1>{esc(pg.title)}</h1>
      <div class="col-1-1 fl">{byline_link("王磊")} 2026年11月27日10:30 | 来源：<a href="{ORIGIN}/">人民新闻网</a></div>
      <div class="col-1-1 fr"><span>{CNT}</span>{share_bar(pg, cls="share_box")}</div>
      <div class="rm_txt_con cf">
{figure("2026/11/gaotie", "跨海大桥施工现场。", "新华社记者 摄", tag="div", cap="p", cls="pic")}
{body}
        <p class="paper_num">（责任编辑：张敏、李华）</p>
        <div class="rm_relevant"><h3>{esc(pg.L["read_also"])}</h3><ul>{REL}</ul></div>
      </div>
      <div class="edit cf">{tags(pg, ["高铁", "基础设施"])}</div>
    </div>
  </div>
  <div class="col col-2 fr"><div class="rm_ranking"><h3>热点排行</h3>{teasers(pg, 6, tag="div", cls="ranking_item", summary=False)}</div>{AD}</div>
</div>
<div class="w1000 foot">{footer(pg, site, tag="div", cls="footer")}</div>
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def zh_detail() -> Page:
    pg = Page(
        "zh-detail-div-teaser-articles",
        "/tech/2026-11/24/c_1130245678.htm",
        lang="zh",
        script="cjk",
        title="国产新型燃料电池汽车实现量产",
        shape="body in div#detail > div.main-aticle (sic) paragraphs; the logo is the first <h1>; headline region and 12 teaser <article> cards elsewhere",
        authors=["刘洋"],
        published="2026-11-24T16:00:00+08:00",
    )
    site = "新闻社"
    body = "\n".join(
        [
            pg.p(
                "一家国内汽车企业24日宣布，其自主研发的新型氢燃料电池汽车正式实现量产，首批车辆将于明年一月交付用户。"
            ),
            pg.p(
                "该车型续航里程达到800公里，加氢时间仅需五分钟。企业负责人说，燃料电池系统的成本比三年前下降了约六成。"
            ),
            AD,
            pg.p(
                "业内人士指出，加氢站数量不足仍是制约氢能汽车推广的主要因素。根据[行业协会发布的报告](https://www.hydrogen-association.example/reports/2026/infrastructure.pdf)，全国目前建成的加氢站约有五百座。"
            ),
            pg.p("有关部门表示，将继续支持氢能产业发展，力争到2030年加氢站数量翻一番。"),
            pg.p("分析人士认为，随着技术进步和规模扩大，氢燃料电池汽车有望在商用车领域率先普及。"),
        ]
    )
    cards = "\n".join(
        f'<article class="list-item">{teasers(pg, 1, tag="div", cls="tit", start=i)}</article>'
        for i in range(12)
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="续航里程达到800公里。",
            ld=news_ld(pg, desc="续航里程达到800公里。", section="科技", publisher=site),
            section="科技",
        ),
        f"""<div class="header"><h1 class="logo"><a href="{ORIGIN}/"><img src="{ORIGIN}/static/logo.png" alt="{site}">{esc(site)}</a></h1>{topbar(pg, site)}{menu(pg, tag="div", cls="nav", mega=False)}</div>
<div class="area" id="detail">
  <div class="head-line clearfix"><h1><span class="title">{esc(pg.title)}</span></h1><div class="header-cont clearfix"><div class="source">来源：新闻社 | {byline_link("刘洋")}</div><div class="time">2026-11-24 16:00:00</div><div class="clock">{UPD}</div></div></div>
  <div class="main clearfix">
    <div class="main-left left">
      <div id="detailContent" class="main-aticle">
{figure("2026/11/qingneng", "新型燃料电池汽车。", "记者 摄", tag="div", cap="p", cls="img-box")}
{body}
      </div>
      <div class="editor">【纠错】 【责任编辑：陈静】</div>
      {share_bar(pg, cls="fenxiang")}
    </div>
    <div class="main-right right">{AD}<div class="columBox"><h3>{esc(pg.L["more"])}</h3><ul>{REL}</ul></div></div>
  </div>
  <div class="list-news">{cards}</div>
</div>
{footer(pg, site, tag="div", cls="foot")}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def ja_br_divs() -> Page:
    pg = Page(
        "ja-br-paragraph-divs",
        "/articles/8c1f3a2e9d7b4c60a51e2f8d3b6a9c0e71d4f2a8",
        lang="ja",
        script="cjk",
        title="東京で今季初の積雪、交通機関に乱れ",
        shape="paragraphs are text runs separated by <br><br> inside one div.article_body (no <p>), Yahoo-style; hashed sc-* class names",
        authors=["佐藤健"],
        published="2026-12-01T07:20:00+09:00",
    )
    site = "ニュース速報"
    B = "<br><br>\n"
    body = "".join(
        [
            pg.p(
                "東京都心で1日朝、今季初めての積雪が観測された。気象庁によると、都心での12月上旬の積雪は15年ぶり。",
                open="",
                close=B,
            ),
            pg.p(
                "雪の影響で、首都圏の鉄道各線では朝の通勤時間帯に遅れが相次いだ。一部の路線では運転を見合わせ、駅には長い列ができた。",
                open="",
                close=B,
            ),
            pg.p(
                "[気象庁の発表](https://www.jma-weather.example/press/2026/12/01snow.html)によると、雪は昼前には雨に変わる見込みだが、路面の凍結に注意が必要だという。",
                open="",
                close=B,
            ),
            pg.p(
                "高速道路でも一部区間で通行止めとなり、物流への影響も出ている。", open="", close=B
            ),
            pg.p("都内の小学校の中には、始業時間を遅らせるところもあった。", open="", close=""),
        ]
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="都心での12月上旬の積雪は15年ぶり。",
            ld=news_ld(
                pg, desc="都心での12月上旬の積雪は15年ぶり。", section="国内", publisher=site
            ),
            section="国内",
        ),
        f"""<div id="wrapper" class="sc-1x2y3z">
<div class="sc-header">{topbar(pg, site)}{menu(pg, tag="div", cls="sc-gnav", mega=False)}</div>
<div id="contentsWrap" class="sc-kDvujY">
  <div class="sc-gKPRtg">
    <div class="sc-eDvSVe"><h1 class="sc-jSUZER">{esc(pg.title)}</h1><div class="sc-hLBbgP"><time>12/1(月) 7:20</time> 配信 {UPD}</div><div class="sc-author">{byline_link("佐藤健")}</div></div>
    {figure("2026/12/yuki", "雪が降る都心の交差点。", "撮影：ニュース速報", tag="div", cap="p", cls="sc-picture")}
    <div class="article_body highLightSearchTarget">
{body}
    </div>
    <div class="sc-ad">{AD}</div>
    <div class="sc-source">【関連記事】<ul>{REL}</ul></div>
    {share_bar(pg, cls="sc-share")}
    <div class="sc-comment"><a href="{pg.url}/comments">コメント（{CNT}）</a></div>
  </div>
  <div class="sc-side">{AD}<div class="sc-ranking"><h2>アクセスランキング</h2>{teasers(pg, 6, tag="div", cls="sc-rank", summary=False)}</div></div>
</div>
{footer(pg, site, tag="div", cls="sc-footer")}
</div>
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def ja_nhk() -> Page:
    pg = Page(
        "ja-section-body-text",
        "/news/html/20261125/k10014521111000.html",
        lang="ja",
        script="cjk",
        title="政府 来年度予算案の規模 過去最大の見通し",
        shape="<article> with body split across several section.content--body blocks, each with its own h2 and div.body-text paragraphs",
        authors=[],
        published="2026-11-25T19:00:00+09:00",
    )
    site = "放送ニュース"
    body = "\n".join(
        [
            '<section class="content--summary">'
            + pg.p(
                "政府は来年度予算案の総額を、過去最大となる115兆円程度とする方向で調整に入りました。"
            )
            + "</section>",
            '<section class="content--body">'
            + pg.h("社会保障費が増加", "h2", ' class="body-title"')
            + '<div class="body-text">'
            + pg.p("高齢化に伴う社会保障費の増加に加え、防衛費の増額が全体を押し上げています。")
            + pg.p("財務省は、国債の利払い費も金利の上昇で増える見込みだとしています。")
            + "</div></section>",
            f'<div class="module--ad">{AD}</div>',
            '<section class="content--body">'
            + pg.h("財政健全化に課題", "h2", ' class="body-title"')
            + '<div class="body-text">'
            + pg.p(
                "[財務省の資料](https://www.mof-japan.example/budget/budger_workflow/budget/fy2027/seifuan.html)によりますと、歳入の3割余りを国債に頼る状況が続きます。"
            )
            + pg.p("専門家からは、財政健全化の道筋が見えないという指摘も出ています。")
            + "</div></section>",
        ]
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="総額は115兆円程度となる見通し。",
            ld=news_ld(pg, desc="総額は115兆円程度となる見通し。", section="政治", publisher=site),
            section="政治",
        ),
        f"""{cookie_banner(pg)}
<header id="header">{topbar(pg, site)}{menu(pg, mega=False)}</header>
<main id="main">
<article class="module module--detail">
  <header class="content--header"><h1 class="content--title"><span>{esc(pg.title)}</span></h1><p class="content--date"><time datetime="{pg.published}">2026年11月25日 19時00分</time></p>
  <ul class="content--items"><li><a href="{ORIGIN}/news/cat04.html">政治</a></li></ul></header>
  {figure("2026/11/yosan", "財務省。", "", tag="div", cap="p", cls="content--thumb")}
  <div class="content--detail-body">
{body}
  </div>
  {share_bar(pg, cls="module--share")}
</article>
<section class="module module--list"><h2>{esc(pg.L["more"])}</h2>{teasers(pg, 8, tag="article", cls="list-item")}</section>
</main>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def ko_article_view() -> Page:
    pg = Page(
        "ko-article-view-br",
        "/news/articleView.html?idxno=301245",
        lang="ko",
        script="cjk",
        title="서울 지하철 요금 내년 3월부터 150원 인상",
        shape="Korean CMS: div#article-view-content-div with text runs split by <br> and a few <p>; reporter email line and copyright line inside the body div",
        authors=["김민수"],
        published="2026-11-26T11:00:00+09:00",
    )
    site = "서울일보"
    body = "".join(
        [
            pg.p(
                "서울시가 내년 3월부터 지하철 기본요금을 150원 인상한다고 26일 밝혔다. 인상이 확정되면 성인 기본요금은 1,550원이 된다.",
                open="",
                close="<br><br>\n",
            ),
            pg.p(
                "시는 적자 누적과 노후 전동차 교체 비용 등을 인상 이유로 들었다. 자세한 내용은 [서울시 보도자료](https://www.seoul-city.example/news/press/2026-11-26-subway-fare)에서 확인할 수 있다.",
                open="",
                close="<br><br>\n",
            ),
            f'<div class="ad-template">{AD}</div>\n',
            pg.p(
                "시민단체는 물가 상승으로 부담이 커진 상황에서 요금 인상은 시기적으로 적절하지 않다고 비판했다.",
                open="<p>",
                close="</p>\n",
            ),
            pg.p(
                "서울시는 청소년과 어르신 요금 할인은 현행대로 유지하겠다고 설명했다.",
                open="<p>",
                close="</p>\n",
            ),
            pg.p(
                "버스 요금 인상 여부는 내년 상반기 중에 결정될 예정이다.",
                open="",
                close="<br><br>\n",
            ),
            '<p class="reporter">김민수 기자 minsu.kim@seoulilbo.example</p>\n<p class="copyright">저작권자 © 서울일보 무단전재 및 재배포 금지</p>\n',
        ]
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="성인 기본요금은 1,550원이 된다.",
            ld=news_ld(pg, desc="성인 기본요금은 1,550원이 된다.", section="사회", publisher=site),
            section="사회",
        ),
        f"""<div id="user-wrap">
<div id="user-header">{topbar(pg, site)}{menu(pg, tag="div", cls="header-menu", mega=False)}</div>
<div id="user-container">
  <div class="user-content">
    <section class="article-view-header"><div class="article-head-title">{esc(pg.title)}</div><h1 class="heading">{esc(pg.title)}</h1>
    <ul class="infomation"><li>{byline_link("김민수")} 기자</li><li>입력 2026.11.26 11:00</li><li>{UPD}</li><li>조회수 {CNT}</li></ul></section>
    <section class="article-veiw-body view-page font-size17">
      {figure("2026/11/subway", "서울 지하철 역사.", "서울일보 자료사진", cls="photo-layout")}
      <div id="article-view-content-div" itemprop="articleBody">
{body}
      </div>
      {tags(pg, ["지하철", "요금", "서울시"])}
    </section>
    {share_bar(pg, cls="social-group")}
    <section class="article-relation"><h2>{esc(pg.L["read_also"])}</h2><ul>{REL}</ul></section>
  </div>
  <div class="user-aside">{AD}<div class="auto-article"><h2>{esc(pg.L["more"])}</h2>{teasers(pg, 6, tag="div", cls="item", summary=False)}</div></div>
</div>
{footer(pg, site, tag="div", cls="user-footer")}
</div>
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def ar_rtl() -> Page:
    pg = Page(
        "ar-rtl-wysiwyg",
        "/news/2026/11/29/افتتاح-أكبر-محطة-لتحلية-المياه",
        lang="ar",
        script="arabic",
        title="افتتاح أكبر محطة لتحلية المياه في المنطقة",
        shape="right-to-left page (dir=rtl); body in div.wysiwyg inside <main> alongside teaser <article>s and a 'اقرأ أيضا' block in the body",
        authors=["أحمد الخطيب"],
        published="2026-11-29T13:00:00+03:00",
    )
    site = "الأخبار اليوم"
    body = "\n".join(
        [
            pg.p(
                "افتتحت السلطات اليوم السبت أكبر محطة لتحلية مياه البحر في المنطقة، بطاقة إنتاجية تبلغ مليون متر مكعب يوميا."
            ),
            pg.p(
                "وقالت وزارة المياه في [بيان رسمي](https://www.water-ministry.example/ar/news/2026/11/29/desalination-plant) إن المحطة ستوفر مياه الشرب لنحو أربعة ملايين نسمة."
            ),
            f'<div class="more-on-topic"><span>{esc(pg.L["read_also"])}:</span> {"{{noise:related:a}}"}</div>',
            pg.p(
                "وتعمل المحطة جزئيا بالطاقة الشمسية، مما يقلل من انبعاثات الكربون بنسبة الثلث مقارنة بالمحطات التقليدية."
            ),
            AD,
            pg.p(
                "وأشار خبراء إلى أن المنطقة تعاني من شح شديد في الموارد المائية، وأن تحلية المياه أصبحت ضرورة لا غنى عنها."
            ),
            pg.p("وبلغت تكلفة المشروع نحو ثلاثة مليارات دولار، واستغرق بناؤه أربع سنوات."),
        ]
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="بطاقة إنتاجية تبلغ مليون متر مكعب يوميا.",
            ld=news_ld(
                pg, desc="بطاقة إنتاجية تبلغ مليون متر مكعب يوميا.", section="أخبار", publisher=site
            ),
            section="أخبار",
        ),
        f"""{cookie_banner(pg)}
<header class="site-header">{topbar(pg, site)}{menu(pg)}</header>
<main id="main-content-area" class="container--main">
  <div class="article-header"><div class="topics"><a href="{ORIGIN}/news/">أخبار</a></div><h1>{esc(pg.title)}</h1>
  <div class="article-b-l"><span class="author">{byline_link("أحمد الخطيب")}</span> <span class="date">29/11/2026</span> <span>{UPD}</span></div></div>
  {figure("2026/11/tahlia", "محطة تحلية المياه الجديدة.", "الأخبار اليوم")}
  <div class="wysiwyg wysiwyg--all-content">
{body}
  </div>
  {tags(pg, ["المياه", "الطاقة الشمسية", "البنية التحتية"])}
  {share_bar(pg)}
  <div class="more-stories">{teasers(pg, 6, tag="article", cls="gc")}</div>
</main>
{footer(pg, site)}
{tail_scripts()}""",
        html_attrs=' lang="ar" dir="rtl"',
    )
    pg.html = html
    return pg


@page
def hi_story() -> Page:
    pg = Page(
        "hi-story-content-jsonld",
        "/india/delhi-metro-new-line-opens-2026-11-23",
        lang="hi",
        script="devanagari",
        title="दिल्ली मेट्रो की नई लाइन यात्रियों के लिए खुली",
        shape="body in div.story-content divs (no article/main); JSON-LD NewsArticle articleBody; 'यह भी पढ़ें' links between paragraphs",
        authors=["राहुल शर्मा"],
        published="2026-11-23T18:00:00+05:30",
    )
    site = "समाचार भारत"
    body = "\n".join(
        [
            pg.p(
                "दिल्ली मेट्रो की नई लाइन रविवार से यात्रियों के लिए खोल दी गई। इस लाइन पर कुल बारह स्टेशन हैं और इसकी लंबाई लगभग उन्नीस किलोमीटर है।"
            ),
            pg.p(
                "मेट्रो निगम ने [अपनी प्रेस विज्ञप्ति](https://www.delhi-metro.example/press-release/2026/11/new-corridor-opening) में बताया कि इस लाइन से रोज़ाना करीब तीन लाख लोग सफ़र करेंगे।"
            ),
            f'<div class="also-read"><b>{esc(pg.L["read_also"])}:</b> {"{{noise:related:a}}"}</div>',
            pg.p(
                "नई लाइन शहर के पूर्वी हिस्से को हवाई अड्डे से जोड़ती है। इससे यात्रा का समय लगभग आधा हो जाएगा।"
            ),
            AD,
            pg.p("अधिकारियों ने कहा कि सुबह और शाम के व्यस्त समय में हर चार मिनट पर ट्रेन चलेगी।"),
            pg.p(
                "यात्रियों ने नई लाइन का स्वागत किया, लेकिन कुछ लोगों ने स्टेशनों पर पार्किंग की कमी की शिकायत की।"
            ),
        ]
    )
    ld = news_ld(
        pg,
        body=" ".join(pg.body),
        desc="इस लाइन पर कुल बारह स्टेशन हैं।",
        section="भारत",
        publisher=site,
    )
    html = doc(
        pg,
        head(pg, site, desc="इस लाइन पर कुल बारह स्टेशन हैं।", ld=ld, section="भारत"),
        f"""{cookie_banner(pg)}
<div class="header-wrap">{topbar(pg, site)}{menu(pg, tag="div", cls="main-nav-wrap")}</div>
<div class="container">
  <div class="row">
    <div class="col-8 left-section">
      <div class="breadcrumb"><a href="{ORIGIN}/">होम</a> / <a href="{ORIGIN}/india">भारत</a></div>
      <h1 class="story-title">{esc(pg.title)}</h1>
      <div class="story-byline">{byline_link("राहुल शर्मा")} | 23 नवंबर 2026 | {UPD}</div>
      {share_bar(pg, cls="social-share-top")}
      {figure("2026/11/metro-delhi", "नई लाइन की पहली ट्रेन।", "फ़ोटो: समाचार भारत", tag="div", cap="span", cls="story-img")}
      <div class="story-content">
{body}
      </div>
      {tags(pg, ["दिल्ली", "मेट्रो", "परिवहन"])}
    </div>
    <div class="col-4 right-section">{AD}<div class="trending-news"><h3>ट्रेंडिंग</h3>{teasers(pg, 6, tag="div", cls="tn-item", summary=False)}</div>{newsletter(pg)}</div>
  </div>
</div>
{footer(pg, site, tag="div", cls="footer-wrap")}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


def _viewstate(seed: str, n: int = 2400) -> str:
    raw = b"".join(hashlib.sha256(f"{seed}{i}".encode()).digest() for i in range(n // 32))
    return (
        "/wEPDwUKMTY3NjE5NzM0Nw9kFgJmD2QWAgIDD2QWBgIBD2QWAmYPZBYCZg8WAh4E"
        + base64.b64encode(raw).decode()
    )


@page
def vi_aspnet() -> Page:
    pg = Page(
        "vi-aspnet-form",
        "/thoi-su/ha-noi-thi-diem-xe-buyt-dien-tren-10-tuyen-20261126101530123.htm",
        lang="vi",
        script="vietnamese",
        title="Hà Nội thí điểm xe buýt điện trên 10 tuyến",
        shape='ASP.NET WebForms: the whole page inside <form id="aspnetForm"> with __VIEWSTATE/__EVENTVALIDATION; body in div#ctl00_cphContent_divContent; JSON-LD articleBody',
        authors=["Nguyễn Văn Hùng"],
        published="2026-11-26T10:15:00+07:00",
    )
    site = "Tin Tức Thủ Đô"
    body = "\n".join(
        [
            pg.p(
                "Từ ngày 1/12, Hà Nội sẽ thí điểm xe buýt điện trên 10 tuyến nội đô nhằm giảm ô nhiễm không khí và tiếng ồn, theo thông báo của Sở Giao thông vận tải."
            ),
            pg.p(
                "Tổng cộng 150 xe buýt điện sẽ được đưa vào khai thác trong giai đoạn đầu. Kế hoạch chi tiết được công bố trên [cổng thông tin của thành phố](https://www.hanoi-gov.example/tin-tuc/2026/11/26/xe-buyt-dien-thi-diem)."
            ),
            AD,
            pg.p(
                "Giá vé xe buýt điện được giữ nguyên như xe buýt thông thường. Người dân có thể thanh toán bằng thẻ hoặc ứng dụng trên điện thoại."
            ),
            pg.p(
                "Theo các chuyên gia, giao thông là một trong những nguồn gây ô nhiễm không khí lớn nhất tại Hà Nội, đặc biệt vào mùa đông."
            ),
            pg.p(
                "Nếu thí điểm thành công, thành phố dự kiến chuyển toàn bộ xe buýt sang sử dụng điện hoặc năng lượng xanh trước năm 2030."
            ),
        ]
    )
    ld = news_ld(
        pg,
        body="\n".join(pg.body),
        desc="150 xe buýt điện được đưa vào khai thác.",
        section="Thời sự",
        publisher=site,
    )
    html = doc(
        pg,
        head(pg, site, desc="150 xe buýt điện được đưa vào khai thác.", ld=ld, section="Thời sự"),
        f"""<form method="post" action="./thoi-su/ha-noi-thi-diem-xe-buyt-dien-tren-10-tuyen-20261126101530123.htm" id="aspnetForm">
<div class="aspNetHidden">
<input type="hidden" name="__EVENTTARGET" id="__EVENTTARGET" value="">
<input type="hidden" name="__EVENTARGUMENT" id="__EVENTARGUMENT" value="">
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="{_viewstate(pg.name)}{NONCE}">
</div>
<script type="text/javascript">//<![CDATA[
var theForm = document.forms['aspnetForm'];if (!theForm) {{theForm = document.aspnetForm;}}function __doPostBack(eventTarget, eventArgument) {{if (!theForm.onsubmit || (theForm.onsubmit() != false)) {{theForm.__EVENTTARGET.value = eventTarget;theForm.__EVENTARGUMENT.value = eventArgument;theForm.submit();}}}}
//]]></script>
<div class="aspNetHidden"><input type="hidden" name="__VIEWSTATEGENERATOR" id="__VIEWSTATEGENERATOR" value="CA0B0334"><input type="hidden" name="__EVENTVALIDATION" id="__EVENTVALIDATION" value="/wEdAAOtM{NONCE}"></div>
{cookie_banner(pg)}
<div id="ctl00_header" class="header">{topbar(pg, site).replace("<form", "<div").replace("</form>", "</div>")}{menu(pg, tag="div", cls="menu-top")}</div>
<div class="main-content">
  <div id="ctl00_cphContent_divDetail" class="detail-content">
    <div class="detail-cate"><a href="{ORIGIN}/thoi-su.htm">Thời sự</a></div>
    <h1 class="detail-title" id="ctl00_cphContent_lblTitle">{esc(pg.title)}</h1>
    <div class="detail-time"><span id="ctl00_cphContent_lblDate">26/11/2026 10:15 GMT+7</span> {UPD}</div>
    <h2 class="detail-sapo" id="ctl00_cphContent_lblSapo">Sở Giao thông vận tải Hà Nội thông báo kế hoạch thí điểm xe buýt điện.</h2>
    <div id="ctl00_cphContent_divContent" class="detail-content-body">
{figure("2026/11/xe-buyt", "Xe buýt điện chạy thử trên phố Tràng Tiền.", "Ảnh: Tin Tức Thủ Đô", tag="div", cap="p", cls="VCSortableInPreviewMode")}
{body}
    </div>
    <div class="detail-author" id="ctl00_cphContent_lblAuthor">{byline_link("Nguyễn Văn Hùng")}</div>
    <div class="detail-tinlienquan"><h3>Tin liên quan</h3><ul>{REL}</ul></div>
    {tags(pg, ["Xe buýt điện", "Hà Nội", "Giao thông"])}
    {share_bar(pg)}
    <div class="comment-box"><textarea name="ctl00$cphContent$txtComment" rows="3"></textarea><input type="submit" name="ctl00$cphContent$btnSend" value="Gửi bình luận"></div>
  </div>
  <div class="sidebar-right">{AD}{teasers(pg, 6, tag="div", cls="box-news", summary=False)}</div>
</div>
{footer(pg, site, tag="div", cls="footer")}
</form>
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def vi_fck() -> Page:
    pg = Page(
        "vi-fck-detail-many-articles",
        "/gia-vang-hom-nay-tang-manh-4811237.html",
        lang="vi",
        script="vietnamese",
        title="Giá vàng hôm nay tăng mạnh, vượt mốc 90 triệu đồng mỗi lượng",
        shape="article.fck_detail holds the body (p.Normal, author as last p.Normal with right alignment), while the page has a dozen <article class=item-news> teasers",
        authors=["Minh Anh"],
        published="2026-11-25T09:00:00+07:00",
    )
    site = "Báo Điện Tử"
    P = '<p class="Normal">'
    body = "\n".join(
        [
            pg.p(
                "Sáng nay, giá vàng miếng trong nước tăng thêm 1,2 triệu đồng mỗi lượng, lên mức cao nhất từ trước đến nay, vượt mốc 90 triệu đồng.",
                open=P,
            ),
            pg.p(
                "Giá vàng thế giới cũng tăng mạnh trong phiên giao dịch đêm qua, khi nhà đầu tư tìm đến tài sản an toàn. Theo [dữ liệu của hiệp hội vàng](https://www.gold-council.example/goldhub/data/gold-prices), giá vàng giao ngay đã tăng 8% trong tháng này.",
                open=P,
            ),
            pg.p(
                "Nhiều người dân xếp hàng từ sáng sớm tại các cửa hàng vàng trên phố Trần Nhân Tông, Hà Nội để mua vàng.",
                open=P,
            ),
            f'<div class="box-tinlienquanv2">{read_also(pg, cls="tlq", tag="div")}</div>',
            pg.p(
                "Các chuyên gia khuyến cáo người dân thận trọng khi mua vàng ở thời điểm giá cao, bởi chênh lệch giữa giá mua và giá bán hiện lên tới hai triệu đồng mỗi lượng.",
                open=P,
            ),
            pg.p(
                "Ngân hàng Nhà nước cho biết sẽ tiếp tục theo dõi diễn biến thị trường và có biện pháp bình ổn khi cần thiết.",
                open=P,
            ),
            '<p class="Normal" style="text-align:right;"><strong>Minh Anh</strong></p>',
        ]
    )
    cards = "\n".join(teasers(pg, 12, tag="article", cls="item-news item-news-common"))
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="Giá vàng miếng vượt 90 triệu đồng mỗi lượng.",
            ld=news_ld(
                pg,
                desc="Giá vàng miếng vượt 90 triệu đồng mỗi lượng.",
                section="Kinh doanh",
                publisher=site,
            ),
            section="Kinh doanh",
        ),
        f"""{cookie_banner(pg)}
<header class="header">{topbar(pg, site)}{menu(pg, cls="main-nav")}</header>
<section class="section page-detail top-detail">
<div class="container">
  <div class="sidebar-1">
    <div class="header-content width_common"><ul class="breadcrumb"><li><a href="{ORIGIN}/kinh-doanh">Kinh doanh</a></li></ul><span class="date">Thứ tư, 25/11/2026, 09:00 (GMT+7)</span></div>
    <h1 class="title-detail">{esc(pg.title)}</h1>
    <p class="description">Giá vàng miếng vượt 90 triệu đồng mỗi lượng.</p>
    <article class="fck_detail">
{figure("2026/11/vang", "Người dân mua vàng tại Hà Nội.", "Ảnh: Báo Điện Tử", cls="tplCaption")}
{body}
    </article>
    <div class="footer-content">{tags(pg, ["Giá vàng", "Thị trường"])}{share_bar(pg)}</div>
    <div class="box-comment"><h3>Ý kiến ({CNT})</h3></div>
  </div>
  <div class="sidebar-2">{AD}{cards}</div>
</div>
</section>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg
