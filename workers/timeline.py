"""A story's timeline: its versions, what changed between them, and where to replay them.

:func:`build_timeline` reads every version's story text back from the WARC records and
diffs each with the one before (:func:`workers.textdiff.unified`); :func:`render_html`
makes one static page of it, with its CSS inline and no script or external asset, which
opens from disk in any browser; :func:`render_text` is the same for a terminal. Each
version links to its pywb replay, ``<base>/<collection>/<timestamp>/<url>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from workers.captures import iso_seconds, ts14
from workers.catalogue import Catalogue, StoryRow, from_iso
from workers.errors import ConfigError
from workers.reader import read_record
from workers.replayenv import replay_url
from workers.settings import VERSION
from workers.story import extract_story
from workers.textdiff import unified


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

    @property
    def timestamp(self) -> str:
        return ts14(self.first_seen)

    @property
    def added(self) -> int:
        return sum(1 for line in self.diff if line.startswith("+") and not line.startswith("+++"))

    @property
    def removed(self) -> int:
        return sum(1 for line in self.diff if line.startswith("-") and not line.startswith("---"))


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
    warc_dir = archive_root / "collections" / collection / "archive"
    views: list[VersionView] = []
    previous = ""
    for v in catalogue.versions(story.story_id):
        record = read_record(warc_dir / str(v.warc["filename"]), int(v.warc["offset"]))
        extracted = extract_story(record.text())
        text = extracted.text
        diff = unified(previous, text, f"v{v.number - 1}", f"v{v.number}") if views else ""
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
            )
        )
        previous = text
    events = [
        Event(from_iso(e["time"]), e["kind"], e["url"], e["detail"])
        for e in catalogue.events(story.story_id)
    ]
    return Timeline(story, views, events, collection)


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
.diff .line.hunk { color: var(--muted); background: transparent; font-size: .8rem;
  border-top: 1px solid var(--line); }
.diff .line.hunk:first-child { border-top: 0; }
.diff .line .sign { flex: none; width: 1.1rem; font-weight: 700; }
.diff .line.hunk { display: block; }
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
        stats = f"+{v.added} / -{v.removed} paragraphs"
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
        parts.append(_diff_html(v))
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


def _diff_html(v: VersionView) -> str:
    rows = []
    for line in v.diff:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            rows.append(f'<div class="line hunk">{escape(line)}</div>')
        elif line.startswith("+"):
            sign = '<span class="sign">+</span>'
            rows.append(f'<div class="line add">{sign}<ins>{escape(line[1:])}</ins></div>')
        elif line.startswith("-"):
            sign = '<span class="sign">&minus;</span>'
            rows.append(f'<div class="line del">{sign}<del>{escape(line[1:])}</del></div>')
        elif line[1:].strip():  # context; the blank line after the title is not worth a row
            sign = '<span class="sign"> </span>'
            rows.append(f'<div class="line ctx">{sign}<span>{escape(line[1:])}</span></div>')
    if not rows:
        return '<p class="nochange">No change in the story text.</p>'
    return (
        f'<section class="diff" data-from="{v.number - 1}" data-to="{v.number}" '
        f'aria-label="Changes from version {v.number - 1} to {v.number}">'
        + "".join(rows)
        + "</section>"
    )


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
