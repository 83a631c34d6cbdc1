"""Diffs between two versions of a story's text: unified by line, or word by word."""

from __future__ import annotations

import difflib


def unified(old: str, new: str, old_label: str, new_label: str) -> str:
    """A unified diff of the two texts, paragraph per line."""
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), old_label, new_label, lineterm=""
    )
    return "\n".join(lines)


def words(old: str, new: str) -> str:
    """Word-level diff: ``[-removed-]`` and ``{+added+}`` inline, unchanged words as is."""
    a, b = old.split(), new.split()
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(" ".join(a[i1:i2]))
        if op in ("delete", "replace"):
            out.append("[-" + " ".join(a[i1:i2]) + "-]")
        if op in ("insert", "replace"):
            out.append("{+" + " ".join(b[j1:j2]) + "+}")
    return " ".join(part for part in out if part)
