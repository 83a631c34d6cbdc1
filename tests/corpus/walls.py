# ruff: noqa: E501  (long lines of markup)
"""Pages that are not stories (consent wall, paywall, bot challenge, soft 404), and a
breaking-news brief that is one."""

from __future__ import annotations

import json

from tests.corpus.compose import (
    AD,
    CLOCK,
    CNT,
    NONCE,
    ORIGIN,
    REL,
    UPD,
    Page,
    byline_link,
    doc,
    esc,
    footer,
    head,
    menu,
    news_ld,
    page,
    share_bar,
    tail_scripts,
    teasers,
    topbar,
)


def _opaque(seed: str, n: int) -> str:
    """Opaque challenge data, as long as the real thing."""
    import base64
    import hashlib

    raw = b"".join(hashlib.sha256(f"{seed}{i}".encode()).digest() for i in range(n // 32 + 1))
    return base64.urlsafe_b64encode(raw).decode()[:n]


@page
def consent_wall() -> Page:
    pg = Page(
        "wall-consent",
        "/news/world/ministers-meet-in-brussels-over-migration-pact-9912873",
        lang="en",
        script="latin",
        title="Before you continue to Daily Ledger",
        shape="full-page cookie consent wall (TCF): long purpose and partner text, buttons, no story",
        kind="consent",
    )
    site = "Daily Ledger"
    purposes = [
        (
            "Store and/or access information on a device",
            "Cookies, device or similar online identifiers (e.g. login-based identifiers, randomly assigned identifiers, network based identifiers) together with other information (e.g. browser type and information, language, screen size, supported technologies etc.) can be stored or read on your device to recognise it each time it connects to an app or to a website, for one or several of the purposes presented here.",
        ),
        (
            "Use limited data to select advertising",
            "Advertising presented to you on this service can be based on limited data, such as the website or app you are using, your non-precise location, your device type or which content you are (or have been) interacting with (for example, to limit the number of times an ad is presented to you).",
        ),
        (
            "Create profiles for personalised advertising",
            "Information about your activity on this service (such as forms you submit, content you look at) can be stored and combined with other information about you (for example, information from your previous activity on this service and other websites or apps) or similar users. This is then used to build or improve a profile about you (that might include possible interests and personal aspects).",
        ),
        (
            "Measure content performance",
            "Information regarding which content is presented to you and how you interact with it can be used to determine whether the (non-advertising) content e.g. reached its intended audience and matched your interests. For instance, whether you read an article, watch a video, listen to a podcast or look at a product description, how long you spent on this service and the web pages you visit etc.",
        ),
        (
            "Understand audiences through statistics or combinations of data from different sources",
            "Reports can be generated based on the combination of data sets (like user profiles, statistics, market research, analytics data) regarding your interactions and those of other users with advertising or (non-advertising) content to identify common characteristics (for instance, to determine which target audiences are more receptive to an ad campaign or to certain contents).",
        ),
        (
            "Develop and improve services",
            "Information about your activity on this service, such as your interaction with ads or content, can be very helpful to improve products and services and to build new products and services based on user interactions, the type of audience, etc.",
        ),
    ]
    items = "\n".join(
        f'<li class="purpose"><h3>{esc(t)}</h3><p>{esc(d)}</p><label class="switch"><input type="checkbox" name="purpose-{i}"><span>Consent</span></label></li>'
        for i, (t, d) in enumerate(purposes)
    )
    partners = ", ".join(
        f"{a} {b} {c}"
        for a in ("Adform", "Blue", "Criteo", "Data", "Echo", "Flux")
        for b in ("Media", "Metrics", "Audience", "Exchange", "Signals", "Labs")
        for c in ("Ltd", "GmbH", "SAS", "Inc", "BV")
    )
    html = doc(
        pg,
        f"""<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{esc(pg.title)}</title>
<meta name="robots" content="noindex, nofollow"><link rel="stylesheet" href="https://consent.outlet-static.example/css/wall.3.1.css">
<script nonce="{NONCE}">window.__tcfapiLocator=true;window.__cmpConfig={{"vendorListVersion":231,"gdprApplies":true,"publisherCountryCode":"GB","sessionId":"{NONCE}"}};</script>
<script async src="https://consent.outlet-static.example/js/cmp-wall.3.1.js"></script></head>""",
        f"""<div class="consent-page" id="consent-page">
  <div class="consent-page__header"><img src="{ORIGIN}/static/logo.svg" alt="{site}" width="180" height="32"></div>
  <div class="consent-page__content" role="dialog" aria-labelledby="consent-title">
    <h1 id="consent-title">{esc(pg.title)}</h1>
    <p>We use cookies and data to deliver and maintain our services, like tracking outages and protecting against spam, fraud and abuse; to measure audience engagement and site statistics to understand how our services are used and enhance the quality of those services.</p>
    <p>If you choose to "Accept all", we and our partners will also use cookies and data to develop and improve new services, deliver and measure the effectiveness of ads, and show personalised content and ads depending on your settings. If you choose to "Reject all", we will not use cookies for these additional purposes.</p>
    <p>Non-personalised content is influenced by things like the content you're currently viewing, activity in your active search session, and your location. Non-personalised ads are influenced by the content you're currently viewing and your general location. Personalised content and ads can also include more relevant results, recommendations and tailored ads based on past activity from this browser.</p>
    <form action="{ORIGIN}/consent/collect" method="post"><input type="hidden" name="csrfToken" value="{NONCE}"><input type="hidden" name="continue" value="{pg.url}"><input type="hidden" name="sessionStart" value="{CLOCK}"><input type="hidden" name="visit" value="{CNT}">
    <button type="submit" name="agree" value="agree" class="btn btn--primary">Accept all</button>
    <button type="submit" name="reject" value="reject" class="btn">Reject all</button>
    <a class="btn btn--link" href="{ORIGIN}/consent/manage?continue={pg.url}">Manage privacy settings</a></form>
    <details class="consent-page__purposes"><summary>Purposes</summary><ul>{items}</ul></details>
    <details class="consent-page__partners"><summary>Our 847 partners</summary><p>{partners}.</p></details>
    <p class="consent-page__legal">You can change your choices at any time by visiting Privacy settings, linked from every page. <a href="{ORIGIN}/info/privacy-policy">Privacy policy</a> · <a href="{ORIGIN}/info/cookie-policy">Cookie policy</a></p>
  </div>
</div>""",
    )
    pg.html = html
    return pg


@page
def paywall() -> Page:
    pg = Page(
        "wall-paywall-teaser",
        "/business/2026/11/30/inside-the-collapse-of-a-fintech-darling",
        lang="en",
        script="latin",
        title="Inside the collapse of a fintech darling",
        shape="paywall: JSON-LD isAccessibleForFree false with hasPart .paywall; a 2-sentence teaser, then a subscription offer with long plan text",
        authors=["Sofia Brandt"],
        published="2026-11-30T05:00:00Z",
        kind="paywall",
    )
    site = "Financial Review"
    ld = news_ld(
        pg,
        desc="How a lender valued at $9bn ran out of money in six weeks.",
        section="Business",
        publisher=site,
        extra={
            "isAccessibleForFree": False,
            "hasPart": {
                "@type": "WebPageElement",
                "isAccessibleForFree": False,
                "cssSelector": ".paywall",
            },
        },
    )
    plans = "".join(
        f'<li class="plan"><h3>{esc(n)}</h3><p class="plan__price">{esc(p)}</p><p>{esc(d)}</p><a class="plan__cta" href="{ORIGIN}/subscribe/{n.lower().replace(" ", "-")}?ref=article&amp;t={NONCE}">Subscribe</a></li>'
        for n, p, d in [
            (
                "Digital",
                "$1 for 4 weeks, then $29 a month",
                "Unlimited access to all our journalism on any device, including the app, newsletters and the archive going back to 1985. Cancel anytime.",
            ),
            (
                "Digital Plus",
                "$39 a month",
                "Everything in Digital, plus exclusive analysis from our markets team, the weekend magazine and ten gift articles to share each month.",
            ),
            (
                "Print and Digital",
                "$59 a month",
                "The printed newspaper delivered six days a week, with full digital access, the weekend edition and the crossword archive.",
            ),
        ]
    )
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="How a lender valued at $9bn ran out of money in six weeks.",
            ld=ld,
            section="Business",
            extra='<meta name="access" content="subscription">',
        ),
        f"""<header class="site-header">{topbar(pg, site)}{menu(pg)}</header>
<main>
<article class="article article--locked">
  <h1 class="article__title">{esc(pg.title)}</h1>
  <div class="article__byline">By {byline_link("Sofia Brandt")} · 30 November 2026</div>
  <div class="article__body">
    <p>A year ago the lender was valued at $9bn and its founder was a fixture at conferences. By October it had run out of money, leaving 400,000 customers unable to reach their savings.</p>
    <div class="paywall" aria-hidden="true" data-views="{CNT}"></div>
  </div>
  <div class="paywall-offer" id="paywall-offer">
    <h2>Subscribe to continue reading</h2>
    <p>Already a subscriber? <a href="{ORIGIN}/account/login?return={pg.url}">Sign in</a>. Get unlimited access to award-winning journalism, expert analysis and the daily markets briefing, trusted by professionals in 140 countries. Join more than a million readers who rely on us to understand business and finance.</p>
    <ul class="plans">{plans}</ul>
    <p class="paywall-offer__small">Prices include sales tax. Offer available to new subscribers only. You can cancel your subscription at any time from your account page; your access continues until the end of the billing period. See the terms and conditions for full details, including our refund policy and how we handle your data.</p>
  </div>
</article>
<section class="more">{teasers(pg, 6)}</section>
</main>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def challenge() -> Page:
    pg = Page(
        "wall-bot-challenge",
        "/news/2026/11/29/port-strike-ends-after-pay-deal-4418210",
        lang="en-US",
        script="latin",
        title="Just a moment...",
        shape="Cloudflare-style managed challenge served with 403: 'Just a moment...', noscript, Ray ID, _cf_chl_opt script",
        kind="challenge",
        status=403,
    )
    opt = {
        "cvId": "3",
        "cZone": "www.outlet.example",
        "cType": "managed",
        "cRay": NONCE,
        "cH": NONCE,
        "cUPMDTk": "/news/2026/11/29/port-strike-ends-after-pay-deal-4418210?__cf_chl_tk=" + NONCE,
        "cFPWv": "b",
        "cITimeS": "17644" + CNT,
        "cTTimeMs": "1000",
        "cMTimeMs": "390000",
        "cTplV": 5,
        "cTplB": "cf",
        "cK": "",
        "fa": "/news/2026/11/29/port-strike-ends-after-pay-deal-4418210?__cf_chl_f_tk=" + NONCE,
        "md": _opaque("md", 3200),
        "mdrd": _opaque("mdrd", 1800),
    }
    html = f"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta http-equiv="X-UA-Compatible" content="IE=Edge"><meta name="robots" content="noindex,nofollow"><meta name="viewport" content="width=device-width,initial-scale=1"><style>*{{box-sizing:border-box;margin:0;padding:0}}html{{line-height:1.15;-webkit-text-size-adjust:100%;color:#313131;font-family:system-ui,-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif}}body{{display:flex;flex-direction:column;height:100vh;min-height:100vh}}.main-content{{margin:8rem auto;max-width:60rem;padding-left:1.5rem}}@media (width <= 720px){{.main-content{{margin-top:4rem}}}}.h2{{font-size:1.5rem;font-weight:500;line-height:2.25rem}}@media (width <= 720px){{.h2{{font-size:1.25rem;line-height:1.5rem}}}}#challenge-error-text{{background-image:url("data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHdpZHRoPSIzMiIgaGVpZ2h0PSIzMiIgZmlsbD0ibm9uZSI+PHBhdGggZmlsbD0iI0IyMEYwMyIgZD0iTTE2IDNhMTMgMTMgMCAxIDAgMTMgMTNBMTMuMDE1IDEzLjAxNSAwIDAgMCAxNiAzbTAgMjRhMTEgMTEgMCAxIDEgMTEtMTEgMTEuMDEgMTEuMDEgMCAwIDEtMTEgMTEiLz48L3N2Zz4=");padding-left:34px}}.footer{{margin:0 auto;max-width:60rem;padding:1rem 1.5rem;font-size:.75rem;line-height:1.125rem;text-align:center}}.footer-inner{{border-top:1px solid #d9d9d9;padding-bottom:1rem;padding-top:1rem}}.clearfix:after{{clear:both;content:"";display:table}}.ray-id{{display:inline-block}}</style><meta http-equiv="refresh" content="390"></head><body><div class="main-wrapper" role="main"><div class="main-content"><h1 class="zone-name-title h1">www.outlet.example</h1><p id="Truv1" class="h2 spacer-bottom">Verifying you are human. This may take a few seconds.</p><div id="challenge-stage" style="display:none"></div><div id="challenge-body-text" class="core-msg spacer">www.outlet.example needs to review the security of your connection before proceeding.</div><noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></noscript></div></div>
<script>(function(){{window._cf_chl_opt={json.dumps(opt)};var cpo=document.createElement('script');cpo.src='/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray=8e1f2a3b4c5d6e7f&amp;t={NONCE}';window._cf_chl_opt.cOgUHash=location.hash===''&&location.href.indexOf('#')!==-1?'#':location.hash;window._cf_chl_opt.cOgUQuery=location.search===''&&location.href.slice(0,location.href.length-window._cf_chl_opt.cOgUHash.length).indexOf('?')!==-1?'?':location.search;if(window.history&&window.history.replaceState){{var ogU=location.pathname+window._cf_chl_opt.cOgUQuery+window._cf_chl_opt.cOgUHash;history.replaceState(null,null,"\\/news\\/2026\\/11\\/29\\/port-strike-ends-after-pay-deal-4418210?__cf_chl_rt_tk={NONCE}"+window._cf_chl_opt.cOgUHash);cpo.onload=function(){{history.replaceState(null,null,ogU);}};}}document.getElementsByTagName('head')[0].appendChild(cpo);}}());</script>
<div class="footer" role="contentinfo"><div class="footer-inner"><div class="clearfix diagnostic-wrapper"><div class="ray-id">Ray ID: <code>{NONCE}</code></div><div class="ray-time">{CLOCK} UTC</div></div><div class="text-center" id="footer-text">Performance &amp; security by <a rel="noopener noreferrer" href="https://www.cloudflare.example?utm_source=challenge&amp;utm_campaign=m" target="_blank">Cloudflare</a></div></div></div></body></html>
"""
    pg.html = html
    return pg


@page
def soft_404() -> Page:
    pg = Page(
        "wall-soft-404",
        "/news/2026/10/02/council-tax-rises-explained-3381920",
        lang="en",
        script="latin",
        title="Page not found",
        shape="soft 404 served with status 200: full site furniture, 'Page not found' h1, apology text, search box and a grid of popular stories with standfirsts",
        kind="error",
    )
    site = "The Courier"
    html = doc(
        pg,
        head(
            pg,
            site,
            desc="The page you were looking for could not be found.",
            og_type="website",
            section="Error",
            extra='<meta name="prerender-status-code" content="404">',
        ),
        f"""<header class="site-header">{topbar(pg, site)}{menu(pg)}</header>
<main id="content" class="error-page">
  <div class="error-page__message">
    <h1>Page not found</h1>
    <p>Sorry, we couldn't find the page you were looking for. It may have been moved, or the address may have been typed incorrectly. Some older stories are removed from the website for legal reasons or after a period of time.</p>
    <p>Try searching for what you need, or go back to the homepage to see our latest news, sport, business and culture coverage from across the region and around the world.</p>
    <form class="error-page__search" action="{ORIGIN}/search"><input type="search" name="q" placeholder="Search"><button>Search</button></form>
    <p><a href="{ORIGIN}/">Go to the homepage</a></p>
  </div>
  <section class="error-page__popular"><h2>Most popular right now</h2>{teasers(pg, 8, tag="article", cls="card")}</section>
  <section class="error-page__latest"><h2>Latest</h2><ul>{REL}</ul></section>
  {AD}
</main>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg


@page
def brief() -> Page:
    pg = Page(
        "en-breaking-brief",
        "/news/2026/12/01/earthquake-strikes-off-coast-breaking-5510023",
        lang="en",
        script="latin",
        title="Earthquake of magnitude 6.1 strikes off the coast",
        shape="a breaking-news brief of about 150 characters: a real story, shorter than any paragraph threshold",
        authors=["News desk"],
        published="2026-12-01T23:58:00Z",
    )
    site = "Newswire"
    body = (
        pg.p(
            "An earthquake of magnitude 6.1 struck off the coast late on Monday, the [seismology centre said](https://www.seismology-centre.example/events/2026-12-01-m61)."
        )
        + "\n"
        + pg.p("No damage or injuries were reported in nearby towns.")
    )
    ld = news_ld(pg, desc="This is a developing story.", section="World", publisher=site)
    html = doc(
        pg,
        head(pg, site, desc="This is a developing story.", ld=ld, section="World"),
        f"""<header class="site-header">{topbar(pg, site)}{menu(pg)}</header>
<main id="main-content">
<article class="article-wrap article-wrap--brief">
  <div class="article-header"><span class="label-breaking">Breaking</span><h1 class="article-title">{esc(pg.title)}</h1>
  <div class="timestamps"><time datetime="{pg.published}">December 1, 2026 11:58 PM UTC</time> <span class="updated">{UPD}</span></div></div>
  <div class="article-body">
{body}
  </div>
  {share_bar(pg)}
</article>
<section class="more-news"><h2>More from Newswire</h2>{teasers(pg, 6, tag="article", cls="story-card")}</section>
<div>{AD} <span>{CNT}</span></div>
</main>
{footer(pg, site)}
{tail_scripts()}""",
    )
    pg.html = html
    return pg
