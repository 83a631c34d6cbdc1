"""The reference cleaner: consumes ``storyvault.article-version/1`` messages.

For each message it reads the record with warcio from the location the message gives,
checks that the story text there has the fingerprint the message names, and writes
``ARCHIVE/clean/<outlet>/<story_id>/v<N>.json``: title, authors, dates, language, clean
text (markup and Angular noise gone) and cited links. Idempotent: a version already
cleaned is skipped, so messages delivered twice do no harm.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import lxml.html
import structlog

from workers.errors import ArchiveError
from workers.reader import read_record
from workers.story import extract_story

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
    story = extract_story(html)
    meta = _metadata(html)
    return {
        "schema": "storyvault.clean-article/1",
        "message_id": message["message_id"],
        "url": message["url"],
        "story_id": message["story_id"],
        "version": message["version"],
        "captured_at": message["captured_at"],
        "fingerprint": story.fingerprint,
        "fingerprint_verified": story.fingerprint == message["fingerprint"],
        "title": story.title,
        "authors": meta["authors"],
        "published": meta["published"],
        "modified": meta["modified"],
        "language": story.language or message.get("language"),
        "text": story.body,
        "cited_links": message.get("cited_sources", []),
    }


def _metadata(html: str) -> dict[str, Any]:
    out: dict[str, Any] = {"authors": [], "published": None, "modified": None}
    try:
        doc = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return out
    for script in doc.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content() or "null")
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if not isinstance(item, dict):
                continue
            out["published"] = out["published"] or item.get("datePublished")
            out["modified"] = out["modified"] or item.get("dateModified")
            authors = item.get("author") or []
            for author in authors if isinstance(authors, list) else [authors]:
                name = author.get("name") if isinstance(author, dict) else author
                if isinstance(name, str) and name not in out["authors"]:
                    out["authors"].append(name)
    for meta in doc.iter("meta"):
        content = meta.get("content")
        is_author = (meta.get("name") or "").lower() == "author"
        if is_author and content and content not in out["authors"]:
            out["authors"].append(content)
    return out


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
        if not doc["fingerprint_verified"]:
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
