"""A story's timeline: its versions, what changed between them, and where to replay them.

:func:`build_timeline` reads every version's story text back from the WARC records and
diffs each with the one before; :func:`render_html` makes one static page of it, with its
CSS inline and no script or external asset, which opens from disk in any browser: each
version's headline change first, then its paragraphs with the words inserted and deleted
within them (:func:`workers.versions.diff.paragraph_diff`, the differ of ``diff --words``).
:func:`render_text` is the same for a terminal, as unified lines. Each version links to
its pywb replay, ``<base>/<collection>/<timestamp>/<url>``, and each diff to the replays of
both its versions, side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from workers.core.errors import ConfigError
from workers.core.settings import VERSION
from workers.parse.story import Story, extract_story
from workers.replay.captures import iso_seconds, ts14
from workers.replay.env import replay_url
from workers.versions.catalogue import Catalogue, StoryRow, from_iso
from workers.versions.diff import ParagraphDiff, Span, changed, paragraph_diff, unified, word_spans
from workers.warc.reader import read_story_record
from workers.warc.root import warc_dir as warc_dir_of


@dataclass(frozen=True)
class VersionView:
    """One version as the timeline shows it."""

    number: int
    url: str
    title: str
    first_seen: datetime
    last_seen: datetime
    fingerprint: str
    text: str
    diff: list[str]  # unified diff lines against the previous version (empty for the first)
    headline: tuple[Span, ...] = ()  # word diff of the headline (empty: unchanged or first)
    paragraphs: tuple[ParagraphDiff, ...] = ()  # the body's diff (empty for the first)
    previous: VersionView | None = None

    @property
    def timestamp(self) -> str:
        return ts14(self.first_seen)

    @property
    def added(self) -> int:
        """Words inserted since the previous version (headline and body)."""
        return _count(self, "insert")

    @property
    def removed(self) -> int:
        """Words deleted since the previous version (headline and body)."""
        return _count(self, "delete")


def _count(v: VersionView, op: str) -> int:
    spans = [*v.headline, *(s for p in v.paragraphs for s in p.spans)]
    return sum(len(s.text.split()) for s in spans if s.op == op)


@dataclass(frozen=True)
class Event:
    time: datetime
    kind: str
    url: str
    detail: str


@dataclass(frozen=True)
class Timeline:
    story: StoryRow
    versions: list[VersionView]
    events: list[Event]
    collection: str


def build_timeline(archive_root: Path, catalogue: Catalogue, url: str, collection: str) -> Timeline:
    """Every version of the story at ``url`` with its text and diff. Raises
    :class:`ConfigError` when no story is archived there, :class:`ArchiveError` when a
    version's record cannot be read."""
    story = catalogue.find(url)
    if story is None:
        raise ConfigError(
            f"{url}: no story archived at this URL (crawl it first, or check "
            "--archive/--collection)"
        )
    warc_dir = warc_dir_of(archive_root, collection)
    views: list[VersionView] = []
    before: Story | None = None
    for v in catalogue.versions(story.story_id):
        record = read_story_record(warc_dir, str(v.warc["filename"]), int(v.warc["offset"]))
        extracted = extract_story(record.text())
        text = extracted.text
        diff = unified(before.text, text, f"v{v.number - 1}", f"v{v.number}") if before else ""
        headline: tuple[Span, ...] = ()
        paragraphs: tuple[ParagraphDiff, ...] = ()
        if before is not None:
            spans = word_spans(before.title, extracted.title)
            headline = tuple(spans) if changed(spans) else ()
            paragraphs = tuple(paragraph_diff(_paras(before), _paras(extracted)))
        views.append(
            VersionView(
                number=v.number,
                url=v.url,
                title=v.title or extracted.title or v.url,
                first_seen=from_iso(v.first_seen),
                last_seen=from_iso(v.last_seen),
                fingerprint=v.fingerprint,
                text=text,
                diff=[line for line in diff.splitlines() if line],
                headline=headline,
                paragraphs=paragraphs,
                previous=views[-1] if views else None,
            )
        )
        before = extracted
    events = [
        Event(from_iso(e["time"]), e["kind"], e["url"], e["detail"])
        for e in catalogue.events(story.story_id)
    ]
    return Timeline(story, views, events, collection)


def _paras(story: Story) -> list[str]:
    return [p for p in story.body.split("\n") if p.strip()]


# -- text ---------------------------------------------------------------------------------
def render_text(timeline: Timeline, replay_base: str) -> str:
    """The timeline for a terminal: one block per version, diffs as unified lines."""
    story = timeline.story
    out = [f"{story.url}  ({story.status}, {len(timeline.versions)} versions)"]
    for v in timeline.versions:
        out.append("")
        out.append(
            f"v{v.number}  {iso_seconds(v.first_seen)} .. {iso_seconds(v.last_seen)}  {v.title}"
        )
        out.append(f"    {replay_url(replay_base, timeline.collection, v.timestamp, v.url)}")
        out.extend(f"    {line}" for line in v.diff if not line.startswith(("---", "+++")))
    for e in timeline.events:
        out.append(f"{iso_seconds(e.time)}  {e.kind}  {e.detail or e.url}")
    return "\n".join(out)


# -- HTML ---------------------------------------------------------------------------------
CSS = """
:root { color-scheme: light dark; --fg: #1d1d1f; --muted: #5f6368; --line: #d9d9de;
  --card: #ffffff; --bg: #f4f4f6; --add: #e6f6ea; --add-fg: #0b5d1e; --del: #fdeaea;
  --del-fg: #8e1b1b; --accent: #0b57d0; }
@media (prefers-color-scheme: dark) { :root { --fg: #e8e8ea; --muted: #a0a3a8;
  --line: #3a3b40; --card: #1f2023; --bg: #151618; --add: #12351d; --add-fg: #9be2ad;
  --del: #3d1616; --del-fg: #f3a5a5; --accent: #8ab4f8; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
main { max-width: 56rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
a { color: var(--accent); }
header.story h1 { font-size: 1.7rem; line-height: 1.25; margin: 0 0 .4rem; }
header.story .url { margin: 0 0 .3rem; overflow-wrap: anywhere; font-size: .95rem; }
header.story .summary { color: var(--muted); margin: 0; }
ol.timeline { list-style: none; margin: 2rem 0 0; padding: 0 0 0 1.1rem;
  border-left: 3px solid var(--line); }
ol.timeline > li { position: relative; margin: 0 0 1.5rem; padding: 1rem 1.2rem;
  background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
ol.timeline > li::before { content: ""; position: absolute; left: -1.72rem; top: 1.35rem;
  width: .85rem; height: .85rem; border-radius: 50%; background: var(--accent);
  border: 3px solid var(--bg); }
ol.timeline > li.event::before { background: var(--del-fg); }
.head { display: flex; flex-wrap: wrap; align-items: baseline; gap: .4rem 1rem; }
.head h2 { font-size: 1.1rem; margin: 0; }
.head .when, .head .stats { color: var(--muted); font-size: .9rem; }
.head .links { margin-left: auto; font-size: .9rem; }
.head .links a + a { margin-left: .8rem; }
h3.title { font-size: 1.15rem; margin: .6rem 0 .4rem; line-height: 1.3; }
.diff { margin: .6rem 0; border: 1px solid var(--line); border-radius: 6px;
  overflow: hidden; font-size: .93rem; }
.diff .line { display: flex; padding: .2rem .7rem; white-space: pre-wrap;
  overflow-wrap: anywhere; }
.diff .line.add { background: var(--add); color: var(--add-fg); }
.diff .line.del { background: var(--del); color: var(--del-fg); }
.diff .line.del del, .diff .line.add ins { text-decoration: none; }
.diff .line.edit ins, .diff .line.headline ins { background: var(--add); color: var(--add-fg);
  text-decoration: none; border-radius: 3px; padding: 0 .15rem; }
.diff .line.edit del, .diff .line.headline del { background: var(--del); color: var(--del-fg);
  border-radius: 3px; padding: 0 .15rem; }
.diff .line.headline { font-weight: 600; border-bottom: 1px solid var(--line); gap: .6rem; }
.diff .line.headline .label { flex: none; color: var(--muted); font-weight: 400;
  font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; padding-top: .15rem; }
.diff .line.ctx { color: var(--muted); }
.diff .line.gap { color: var(--muted); display: block; text-align: center; }
.diff nav.compare { display: flex; gap: 1rem; justify-content: space-between;
  padding: .35rem .7rem; border-bottom: 1px solid var(--line); font-size: .85rem; }
.nochange { color: var(--muted); font-style: italic; }
details.text { margin-top: .6rem; }
details.text summary { cursor: pointer; color: var(--muted); }
details.text p { margin: .5rem 0; }
.fp { color: var(--muted); font: .75rem ui-monospace, SFMono-Regular, Menlo, monospace;
  overflow-wrap: anywhere; margin: .4rem 0 0; }
footer { color: var(--muted); font-size: .8rem; margin-top: 2rem; }
@media print { body { background: #fff; } ol.timeline > li { break-inside: avoid; } }
"""


def render_html(timeline: Timeline, replay_base: str) -> str:
    """A self-contained HTML page of the timeline (inline CSS, no script, no assets)."""
    story = timeline.story
    versions = timeline.versions
    title = versions[-1].title if versions else story.title or story.url
    items: list[tuple[datetime, int, str]] = []
    for v in versions:
        items.append((v.first_seen, 0, _version_html(v, timeline, replay_base)))
    for e in timeline.events:
        items.append((e.time, 1, _event_html(e)))
    items.sort(key=lambda item: (item[0], item[1]))
    first = _human(versions[0].first_seen) if versions else story.first_seen
    summary = (
        f"{len(versions)} version{'s' if len(versions) != 1 else ''} · {escape(story.outlet)}"
        f" · first seen {escape(first)}"
        f" · last seen {escape(_human(from_iso(story.last_seen)))}"
        f" · {escape(story.status)}"
    )
    lang = f' lang="{escape(story.language)}"' if story.language else ""
    return f"""<!DOCTYPE html>
<html{lang}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="storyvault {VERSION}">
<title>Timeline: {escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header class="story">
<h1>{escape(title)}</h1>
<p class="url"><a href="{escape(story.url)}">{escape(story.url)}</a></p>
<p class="summary">{summary}</p>
</header>
<ol class="timeline">
{"".join(html for _, _, html in items)}</ol>
<footer>Story {escape(story.story_id)} in collection {escape(timeline.collection)}.
Replay links point at pywb on {escape(replay_base)} (run <code>storyvault replay</code>).
Generated by storyvault {VERSION}.</footer>
</main>
</body>
</html>
"""


def _version_html(v: VersionView, timeline: Timeline, base: str) -> str:
    replay = replay_url(base, timeline.collection, v.timestamp, v.url)
    raw = replay_url(base, timeline.collection, v.timestamp, v.url, "id_")
    if v.number == 1 or not v.diff:
        stats = "first version" if v.number == 1 else "no text change"
    else:
        stats = f"+{v.added} / -{v.removed} words"
    when = iso_seconds(v.first_seen)
    seen = (
        f"seen {escape(_human(v.first_seen))}"
        if v.last_seen == v.first_seen
        else f"seen {escape(_human(v.first_seen))} to {escape(_human(v.last_seen))}"
    )
    parts = [
        f'<li class="version" id="v{v.number}" data-version="{v.number}" '
        f'data-timestamp="{v.timestamp}">',
        '<div class="head">',
        f"<h2>Version {v.number}</h2>",
        f'<time class="when" datetime="{escape(when)}">{seen}</time>',
        f'<span class="stats">{escape(stats)}</span>',
        f'<span class="links"><a class="replay" href="{escape(replay)}">replay</a>'
        f'<a class="raw" href="{escape(raw)}">archived bytes</a></span>',
        "</div>",
        f'<h3 class="title">{escape(v.title)}</h3>',
    ]
    if v.number > 1:
        parts.append(_diff_html(v, timeline, base))
    is_open = " open" if v.number == 1 else ""
    body = v.text.split("\n")
    if body and body[0] == v.title:  # the title is shown above: the paragraphs only
        body = body[1:]
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in body if p.strip())
    parts.append(
        f'<details class="text"{is_open}><summary>Story text of version {v.number}</summary>'
        f"{paragraphs}</details>"
    )
    parts.append(f'<p class="fp">{escape(v.fingerprint)}</p>')
    parts.append("</li>\n")
    return "".join(parts)


def _diff_html(v: VersionView, timeline: Timeline, base: str) -> str:
    """The headline's change first, then the body paragraphs: unchanged ones as context,
    edited ones with their words marked (``<ins>``/``<del>``), added and removed ones
    whole; a bar above links to the replays of the two versions, side by side."""
    rows: list[tuple[bool, str]] = []  # (unchanged context?, the row)
    if v.headline:
        head = _spans_html(v.headline)
        rows.append(
            (False, f'<div class="line headline"><span class="label">Headline</span>{head}</div>')
        )
    for p in v.paragraphs:
        if p.kind == "same":
            rows.append((True, f'<div class="line ctx"><span>{escape(p.new)}</span></div>'))
        elif p.kind == "added":
            rows.append((False, f'<div class="line add"><ins>{escape(p.new)}</ins></div>'))
        elif p.kind == "removed":
            rows.append((False, f'<div class="line del"><del>{escape(p.old)}</del></div>'))
        else:
            body = _spans_html(p.spans)
            rows.append((False, f'<div class="line edit"><span>{body}</span></div>'))
    if all(context for context, _ in rows):
        return '<p class="nochange">No change in the story text.</p>'
    compare = ""
    if v.previous is not None:
        coll, before = timeline.collection, v.previous
        old = replay_url(base, coll, before.timestamp, before.url)
        new = replay_url(base, coll, v.timestamp, v.url)
        compare = (
            '<nav class="compare">'
            f'<a class="replay-before" href="{escape(old)}">replay version {before.number}</a>'
            f'<a class="replay-after" href="{escape(new)}">replay version {v.number}</a></nav>'
        )
    return (
        f'<section class="diff" data-from="{v.number - 1}" data-to="{v.number}" '
        f'aria-label="Changes from version {v.number - 1} to {v.number}">'
        + compare
        + "".join(_fold_context(rows))
        + "</section>"
    )


def _spans_html(spans: tuple[Span, ...]) -> str:
    tags = {"equal": ("", ""), "delete": ("<del>", "</del>"), "insert": ("<ins>", "</ins>")}
    return " ".join(tags[s.op][0] + escape(s.text) + tags[s.op][1] for s in spans if s.text)


def _fold_context(rows: list[tuple[bool, str]], keep: int = 1) -> list[str]:
    """Unchanged paragraphs more than ``keep`` away from a change become one ``…`` row."""
    near = {k for i, (ctx, _) in enumerate(rows) if not ctx for k in range(i - keep, i + keep + 1)}
    out: list[str] = []
    for i, (ctx, row) in enumerate(rows):
        if i in near or not ctx:
            out.append(row)
        elif not out or out[-1] != _GAP:
            out.append(_GAP)
    return out


_GAP = '<div class="line gap">…</div>'


def _event_html(e: Event) -> str:
    labels = {"gone": "Removed", "moved": "Moved", "empty-extraction": "No story text"}
    label = labels.get(e.kind, e.kind)
    detail = e.detail
    if e.kind == "moved" and detail:
        body = f'to <a href="{escape(detail)}">{escape(detail)}</a>'
    elif e.kind == "gone":
        body = f"answered HTTP {escape(detail)}" if detail else "no longer served"
    else:
        body = escape(detail)
    when = iso_seconds(e.time)
    return (
        f'<li class="event" data-kind="{escape(e.kind)}"><div class="head">'
        f"<h2>{escape(label)}</h2>"
        f'<time class="when" datetime="{escape(when)}">{escape(_human(e.time))}</time></div>'
        f"<p>{body}</p></li>\n"
    )


def _human(when: datetime) -> str:
    """``2026-11-24 22:31:07 UTC``."""
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
