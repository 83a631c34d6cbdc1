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
_DROP = frozenset({"Cc", "Cf"})


def clean_text(text: str) -> str:
    """NFC, no control or zero-width characters, single spaces, trimmed."""
    text = unicodedata.normalize("NFC", text)
    if any(unicodedata.category(ch) in _DROP for ch in text):
        text = "".join(
            " " if ch in "\n\t\r" else ch
            for ch in text
            if unicodedata.category(ch) not in _DROP or ch in "\n\t\r"
        )
    return _SPACE.sub(" ", text).strip()


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
