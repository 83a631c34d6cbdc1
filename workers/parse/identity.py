"""Story identity: which story a capture belongs to. Pure functions.

A story is named by its same-host canonical URL (``rel=canonical``, else ``og:url``),
not by the URL a link happened to use: ``story.html?ref=homepage`` and the AMP page both
name ``story.html``. Outlets that carry an article id in their URLs
(``/politics/old-slug-1234567``) keep it when an editor changes the slug, so the id is a
second name of the story (:func:`id_key`), and a slug change continues the story.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from workers.parse.urls import canonical, host_of

# the last run of 5-12 digits in the path, not a date (20241203) and not a year range
_ARTICLE_ID = re.compile(r"(?<![0-9])([0-9]{5,12})(?![0-9])")
_DATE_LIKE = re.compile(r"^(19|20)[0-9]{2}(0[1-9]|1[0-2])([0-2][0-9]|3[01])$")


def story_url(page_url: str, canonical_url: str | None, og_url: str | None = None) -> str:
    """The canonical form of the URL naming the story of a page fetched at ``page_url``."""
    host = host_of(page_url)
    for candidate in (canonical_url, og_url):
        if candidate and host_of(candidate) == host:
            return canonical(candidate)
    return canonical(page_url)


def article_id(url: str) -> str | None:
    """The outlet's article id in ``url`` (the last 5-12 digit run of its path), or None."""
    path = urlsplit(url).path
    found = [m for m in _ARTICLE_ID.findall(path) if not _DATE_LIKE.match(m)]
    return found[-1] if found else None


def id_key(url: str) -> str | None:
    """The catalogue key naming a story by its host and article id, or None."""
    found = article_id(url)
    return f"id:{host_of(url)}:{found}" if found else None


def lookup_keys(url: str, story: str | None = None, *, loose: bool = False) -> list[str]:
    """Keys to look a story up by, best first: its story URL, the URL, the article id;
    ``loose`` adds the URL without its query (a ``?ref=`` variant never fetched), for
    a person's lookup, never to file a capture."""
    keys = [story] if story else []
    keys.append(canonical(url))
    if loose:
        keys.append(canonical(url.split("?", 1)[0]))
    for candidate in (story, url):
        key = id_key(candidate) if candidate else None
        if key:
            keys.append(key)
    return list(dict.fromkeys(keys))
