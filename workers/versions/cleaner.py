"""The reference cleaner: consumes ``storyvault.article-version/1`` messages.

For each message it reads the record with warcio from the location the message gives,
checks that the story text there has the fingerprint the message names, and writes
``ARCHIVE/clean/<outlet>/<story_id>/v<N>.json``: title, authors, dates (JSON-LD, then
``<meta>``, then byline markup), language (the markup's, or the text's when the markup
lacks it or contradicts it), the body paragraphs (no byline; spacing as the page sets
it around inline elements), the extractor that read it and the cited links. Idempotent:
a version already cleaned is skipped, so messages delivered twice do no harm.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import structlog
from lxml.html import HtmlElement

from workers.core.errors import ArchiveError
from workers.parse.discover import parse_html
from workers.parse.story import extract
from workers.parse.structured import Structured
from workers.warc.reader import read_record

log = structlog.get_logger(__name__)


def clean_path(archive_root: Path, message: dict[str, Any]) -> Path:
    outlet = re.sub(r"[^A-Za-z0-9.-]+", "_", str(message["outlet"]))
    return (
        archive_root
        / "clean"
        / outlet
        / str(message["story_id"])
        / f"v{int(message['version'])}.json"
    )


def clean_message(archive_root: Path, message: dict[str, Any]) -> dict[str, Any]:
    """Read the message's record and build the clean JSON document for it."""
    warc = message["warc"]
    record = read_record(archive_root / warc["path"], int(warc["offset"]))
    html = record.text()
    extraction = extract(html)
    story = extraction.story
    doc = parse_html(html)
    meta = _metadata(doc, extraction.structured) if doc is not None else _metadata_empty()
    return {
        "schema": "storyvault.clean-article/2",
        "message_id": message["message_id"],
        "url": message["url"],
        "story_id": message["story_id"],
        "version": message["version"],
        "captured_at": message["captured_at"],
        "extractor": story.extractor,
        "fingerprint": story.fingerprint,
        # the crawl's extractor made the message's fingerprint: compare like with like
        "fingerprint_verified": (
            story.fingerprint == message["fingerprint"]
            if message.get("extractor") in (None, story.extractor)
            else None
        ),
        "title": story.title,
        "authors": meta["authors"],
        "published": meta["published"],
        "modified": meta["modified"],
        "language": story.language or message.get("language"),
        "paragraphs": story.body.split("\n") if story.body else [],
        "text": story.body,
        "cited_links": message.get("cited_sources", []),
    }


_BY = re.compile(r"^\W*(by|von|par|por|de|di|door|від|автор\w*|от)\s+", re.I)
_NAMES = re.compile(
    r",|;| and | & | und | et | y | e | \u0456 | \u0438 "
)  # Ukrainian and Russian "and"
_BYLINE_MARKS = re.compile(r"byline|author", re.I)


def _metadata_empty() -> dict[str, Any]:
    return {"authors": [], "published": None, "modified": None}


def _metadata(doc: HtmlElement, structured: Structured) -> dict[str, Any]:
    """Authors and dates: JSON-LD first, then ``<meta>`` tags, then byline markup."""
    out = _metadata_empty()
    authors: list[str] = list(structured.authors)
    out["published"] = structured.published
    out["modified"] = structured.modified
    for meta in doc.iter("meta"):
        name = (meta.get("property") or meta.get("name") or "").lower()
        content = " ".join((meta.get("content") or "").split())
        if not content:
            continue
        if name in ("author", "article:author", "dc.creator") and not content.startswith("http"):
            authors.extend(n.strip() for n in _NAMES.split(content))
        elif name == "article:published_time" and not out["published"]:
            out["published"] = content
        elif name == "article:modified_time" and not out["modified"]:
            out["modified"] = content
    if not authors:
        authors = _byline_authors(doc)
    if not out["published"]:
        stamp = doc.xpath("//time[@datetime]/@datetime")
        out["published"] = str(stamp[0]) if stamp else None
    out["authors"] = list(dict.fromkeys(a for a in authors if a))
    return out


def _byline_authors(doc: HtmlElement) -> list[str]:
    """Names in byline markup: ``rel=author`` links, else the text of a byline element."""
    names = [" ".join(a.text_content().split()) for a in doc.xpath('//a[@rel="author"]')]
    if names:
        return names
    for el in doc.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "meta", "body", "html"):
            continue
        marks = f"{el.get('class') or ''} {el.get('id') or ''}"
        if _BYLINE_MARKS.search(marks):
            text = " ".join(el.text_content().split())
            text = _BY.sub("", text).split(",")[0].split("|")[0].strip()
            if 0 < len(text) <= 80:
                return [text]
    return []


def write_clean(archive_root: Path, messages: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """Clean each message not cleaned yet; return (written, skipped)."""
    written = skipped = 0
    for message in messages:
        target = clean_path(archive_root, message)
        if target.exists():
            skipped += 1
            continue
        try:
            doc = clean_message(archive_root, message)
        except ArchiveError as exc:
            log.error("clean_failed", message_id=message.get("message_id"), error=str(exc))
            continue
        if doc["fingerprint_verified"] is False:
            log.warning(
                "clean_fingerprint_mismatch", url=message["url"], version=message["version"]
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, target)
        written += 1
        log.info("cleaned", url=message["url"], version=message["version"], path=str(target))
    return written, skipped


def consume_outbox(archive_root: Path) -> tuple[int, int]:
    """Clean every message in ``ARCHIVE/queue/clean.jsonl`` (idempotent)."""
    outbox = archive_root / "queue" / "clean.jsonl"
    if not outbox.exists():
        return 0, 0
    with outbox.open(encoding="utf-8") as fh:
        messages = [json.loads(line) for line in fh if line.strip()]
    return write_clean(archive_root, messages)
