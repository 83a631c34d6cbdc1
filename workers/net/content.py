"""Turning stored payload bytes into text for parsing: content decoding and charsets.

The archive keeps bodies exactly as sent; parsers need them decoded. Decoding is capped
(a small gzip can inflate to gigabytes) and lenient: a body that claims gzip but is not
is parsed as it is, and an unknown charset falls back to UTF-8 with replacement.
"""

from __future__ import annotations

import codecs
import re
import zlib

MAX_DECODED = 32 * 1024 * 1024
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def decode_content(body: bytes, content_encoding: str | None) -> bytes:
    """The entity body with its Content-Encoding undone (capped at :data:`MAX_DECODED`)."""
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("", "identity"):
        return body[:MAX_DECODED]
    try:
        if encoding in ("gzip", "x-gzip"):
            return _inflate(body, zlib.MAX_WBITS | 16)
        if encoding == "deflate":
            try:
                return _inflate(body, zlib.MAX_WBITS)
            except zlib.error:
                return _inflate(body, -zlib.MAX_WBITS)
        if encoding == "br":
            import brotli  # optional: only a server that ignores Accept-Encoding sends br

            return bytes(brotli.decompress(body))[:MAX_DECODED]
    except (zlib.error, ImportError, Exception):
        return body[:MAX_DECODED]
    return body[:MAX_DECODED]


def _inflate(body: bytes, wbits: int) -> bytes:
    decomp = zlib.decompressobj(wbits)
    out = decomp.decompress(body, MAX_DECODED)
    return out


def charset_of(content_type: str | None, head: bytes) -> str:
    """The charset to decode with: header, then ``<meta charset>``, then UTF-8."""
    candidates = []
    if content_type:
        for param in content_type.split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset":
                candidates.append(value.strip().strip("\"'"))
    match = _META_CHARSET.search(head[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii", "replace"))
    for candidate in candidates:
        try:
            return codecs.lookup(candidate).name
        except LookupError:
            continue
    return "utf-8"


def to_text(body: bytes, content_type: str | None, content_encoding: str | None) -> str:
    """Decoded, charset-decoded text of a stored body, never raising."""
    raw = decode_content(body, content_encoding)
    return raw.decode(charset_of(content_type, raw), errors="replace")


def mime_of(content_type: str | None) -> str:
    """``text/html`` from ``text/html; charset=utf-8``; empty if unknown."""
    return (content_type or "").split(";", 1)[0].strip().lower()
