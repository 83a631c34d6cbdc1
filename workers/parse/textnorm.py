"""Text normalisation and comparison for story text. Pure functions.

* :func:`clean_text`: NFC, no control or zero-width characters, whitespace collapsed;
* :func:`tokens`: Unicode words, with each CJK character a token of its own (Chinese and
  Japanese have no spaces; a Hangul syllable block is counted the same way);
* :func:`similarity`: how much of one short text (a headline) the other holds.
"""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# control (Cc) and format (Cf) characters: C0/C1 controls, soft hyphen, zero-width and
# bidi marks, word joiners, BOM; tab, newline and carriage return become spaces below
_DROP = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u180e"
    "\u0890\u0891\u08e2\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    "\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


def clean_text(text: str) -> str:
    """NFC, no control or zero-width characters, single spaces, trimmed."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return _SPACE.sub(" ", _DROP.sub("", text)).strip()


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens of ``text``; each CJK character is one token."""
    out: list[str] = []
    for word in _WORD.findall(text.lower()):
        if _CJK_CHAR.search(word):
            out.extend(_split_cjk(word))
        else:
            out.append(word)
    return out


def _split_cjk(word: str) -> list[str]:
    out: list[str] = []
    run = ""
    for ch in word:
        if _CJK_CHAR.match(ch):
            if run:
                out.append(run)
                run = ""
            out.append(ch)
        else:
            run += ch
    if run:
        out.append(run)
    return out


def similarity(a: str, b: str) -> float:
    """Share of ``a``'s tokens found in ``b`` (1.0: ``b`` holds all of ``a``)."""
    ta = tokens(a)
    if not ta:
        return 0.0
    tb = set(tokens(b))
    return sum(1 for t in ta if t in tb) / len(ta)
