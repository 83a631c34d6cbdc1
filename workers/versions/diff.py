"""Diffs between two versions of a story's text: unified by line, or word by word.

One word differ, :func:`word_spans`, serves every reader: the CLI's ``diff --words``
(:func:`words`), the HTML timeline (:func:`paragraph_diff`, paragraphs aligned first and
words diffed within each changed pair) and the change feed (:func:`excerpt`, the changed
words with a little context). All are pure functions over ``str``.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

SpanOp = Literal["equal", "delete", "insert"]
ParagraphKind = Literal["same", "changed", "added", "removed"]

# Two paragraphs of a replaced block are taken for one edited paragraph (and diffed word
# by word) when at least this share of their words match; below it, one was removed and
# another added.
PAIR_RATIO = 0.5


@dataclass(frozen=True)
class Span:
    """A run of words that both versions share (``equal``), or that one of them has."""

    op: SpanOp
    text: str


@dataclass(frozen=True)
class ParagraphDiff:
    """One paragraph of a diff: unchanged, edited (its word spans), added or removed."""

    kind: ParagraphKind
    spans: tuple[Span, ...]

    @property
    def old(self) -> str:
        return " ".join(s.text for s in self.spans if s.op != "insert")

    @property
    def new(self) -> str:
        return " ".join(s.text for s in self.spans if s.op != "delete")


def unified(old: str, new: str, old_label: str, new_label: str) -> str:
    """A unified diff of the two texts, paragraph per line."""
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), old_label, new_label, lineterm=""
    )
    return "\n".join(lines)


def word_spans(old: str, new: str) -> list[Span]:
    """The word-level diff of two texts (split on whitespace): equal, deleted and
    inserted runs in reading order, a replacement as its deletion then its insertion."""
    a, b = old.split(), new.split()
    spans: list[Span] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            spans.append(Span("equal", " ".join(a[i1:i2])))
        if op in ("delete", "replace"):
            spans.append(Span("delete", " ".join(a[i1:i2])))
        if op in ("insert", "replace"):
            spans.append(Span("insert", " ".join(b[j1:j2])))
    return spans


def words(old: str, new: str) -> str:
    """Word-level diff: ``[-removed-]`` and ``{+added+}`` inline, unchanged words as is."""
    return render_marked(word_spans(old, new))


def render_marked(spans: Sequence[Span]) -> str:
    """Spans as text, with ``[-removed-]`` and ``{+added+}`` (``diff --words``'s notation)."""
    marks = {"equal": ("", ""), "delete": ("[-", "-]"), "insert": ("{+", "+}")}
    return " ".join(marks[s.op][0] + s.text + marks[s.op][1] for s in spans if s.text)


def changed(spans: Sequence[Span]) -> bool:
    return any(s.op != "equal" for s in spans)


def paragraph_diff(old: Sequence[str], new: Sequence[str]) -> list[ParagraphDiff]:
    """The diff of two lists of paragraphs: the paragraphs are aligned first (unchanged
    ones match), then each edited pair is diffed word by word, so one added sentence is
    one insertion inside its paragraph rather than the paragraph struck out and added."""
    out: list[ParagraphDiff] = []
    matcher = difflib.SequenceMatcher(a=list(old), b=list(new), autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.extend(ParagraphDiff("same", (Span("equal", p),)) for p in old[i1:i2])
        elif op == "delete":
            out.extend(_removed(p) for p in old[i1:i2])
        elif op == "insert":
            out.extend(_added(p) for p in new[j1:j2])
        else:
            out.extend(_pair_block(old[i1:i2], new[j1:j2]))
    return out


def _removed(paragraph: str) -> ParagraphDiff:
    return ParagraphDiff("removed", (Span("delete", paragraph),))


def _added(paragraph: str) -> ParagraphDiff:
    return ParagraphDiff("added", (Span("insert", paragraph),))


def _pair_block(old: Sequence[str], new: Sequence[str]) -> list[ParagraphDiff]:
    """A replaced block: each new paragraph paired, in order, with the most similar old
    one after the last pair (if similar enough); the rest removed or added."""
    out: list[ParagraphDiff] = []
    i = 0
    for paragraph in new:
        best, best_ratio = None, PAIR_RATIO
        for k in range(i, len(old)):
            ratio = difflib.SequenceMatcher(
                a=old[k].split(), b=paragraph.split(), autojunk=False
            ).ratio()
            if ratio >= best_ratio:
                best, best_ratio = k, ratio
        if best is None:
            out.append(_added(paragraph))
            continue
        out.extend(_removed(p) for p in old[i:best])
        out.append(ParagraphDiff("changed", tuple(word_spans(old[best], paragraph))))
        i = best + 1
    out.extend(_removed(p) for p in old[i:])
    return out


def excerpt(spans: Sequence[Span], context: int = 6, limit: int = 60) -> list[Span]:
    """The changed spans with at most ``context`` words of unchanged text around each
    (``…`` where words are left out), cut after about ``limit`` words: a short diff."""
    if not changed(spans):
        return []
    out: list[Span] = []
    count = 0
    for n, span in enumerate(spans):
        if count >= limit:
            out.append(Span("equal", "…"))
            break
        if span.op != "equal":
            cut = span.text.split()
            if len(cut) > limit - count:
                span = Span(span.op, " ".join([*cut[: max(1, limit - count)], "…"]))
            out.append(span)
            count += len(cut)
            continue
        text = span.text.split()
        before = n > 0  # a change precedes this run
        after = n < len(spans) - 1  # a change follows it
        if before and after and len(text) > 2 * context:
            kept = [*text[:context], "…", *text[-context:]]
        elif before and not after and len(text) > context:
            kept = [*text[:context], "…"]
        elif after and not before and len(text) > context:
            kept = ["…", *text[-context:]]
        else:
            kept = text
        out.append(Span("equal", " ".join(kept)))
        count += len([w for w in kept if w != "…"])
    return out
