"""The checks ``make chaos`` runs on an archive after each scenario (see ``bench/chaos.py``).

They read only what an operator or a consumer can read: the WARC files (with warcio and
``warcio check``), the messages of the cleaning queue (the embedded outbox file, or the
Celery ``clean`` queue's message bodies), and the version catalogue as ``storyvault
versions --json`` (or, embedded, the SQLite catalogue) shows it. Each finding is counted
into :class:`Checks`; each failed check adds a one-line problem.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from tests.support.warc import assert_warc_valid
from workers.parse.urls import canonical

COLLECTION_DIR = Path("collections") / "storyvault"


@dataclass
class Checks:
    """What the archive holds, and what is wrong with it."""

    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.problems.append(problem)


@dataclass(frozen=True)
class Record:
    """One WARC record, as the checks need it."""

    file: str
    offset: int
    kind: str
    record_id: str
    uri: str
    status: str | None
    truncated: str | None

    @property
    def complete_capture(self) -> bool:
        """A whole 2xx/3xx response, or a revisit (of a whole one: revisits are only
        written for untruncated payloads)."""
        if self.kind == "revisit":
            return True
        status = self.status or ""
        return self.kind == "response" and status[:1] in ("2", "3") and self.truncated is None


def records_of(path: Path) -> Iterator[Record]:
    """Every record of ``path``."""
    with path.open("rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            status = record.http_headers.get_statuscode() if record.http_headers else None
            yield Record(
                file=path.name,
                offset=it.get_record_offset(),
                kind=record.rec_type,
                record_id=record.rec_headers.get_header("WARC-Record-ID"),
                uri=record.rec_headers.get_header("WARC-Target-URI") or "",
                status=status,
                truncated=record.rec_headers.get_header("WARC-Truncated"),
            )


def check_warcs(archive: Path, checks: Checks) -> dict[str, Record]:
    """``warcio check`` and the tests' structural checks on every WARC file; no ``.open``
    file may be left. Returns every record of the files that passed, by record id."""
    warc_dir = archive / COLLECTION_DIR / "archive"
    left_open = sorted(warc_dir.glob("*.open"))
    checks.counts["files left .open"] += len(left_open)
    for path in left_open:
        checks.fail(f"{path.name}: left .open")
    by_id: dict[str, Record] = {}
    for path in sorted(warc_dir.glob("*.warc.gz")):
        checks.counts["WARC files"] += 1
        try:
            assert_warc_valid(path)
        except AssertionError as exc:
            checks.counts["WARC files failing warcio check"] += 1
            checks.fail(f"{path.name}: {str(exc).splitlines()[0]}")
            continue
        for record in records_of(path):
            checks.counts["records"] += 1
            checks.counts[f"{record.kind} records"] += 1
            if record.truncated:
                checks.counts[f"records truncated ({record.truncated})"] += 1
            by_id[record.record_id] = record
    return by_id


def check_captured(
    by_id: dict[str, Record], expected: Mapping[str, Sequence[str]], checks: Checks
) -> None:
    """Every URL of each group of ``expected`` ("outlet articles": [...]) has a complete
    capture (see :attr:`Record.complete_capture`)."""
    complete = {canonical(r.uri) for r in by_id.values() if r.complete_capture}
    cut = {canonical(r.uri) for r in by_id.values() if r.truncated}
    for what, urls in expected.items():
        checks.counts[what] = len(urls)
        missing = [u for u in urls if canonical(u) not in complete]
        checks.counts[f"{what} captured whole"] = len(urls) - len(missing)
        for url in missing:
            how = "only a truncated capture" if canonical(url) in cut else "not captured"
            checks.fail(f"{url}: {how} ({what})")


def read_record_at(archive: Path, path: str, offset: int) -> tuple[str, str, str | None]:
    """(record id, target URI, WARC-Truncated) of the record at ``path``:``offset``."""
    with (archive / path).open("rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)))
        return (
            record.rec_headers.get_header("WARC-Record-ID"),
            record.rec_headers.get_header("WARC-Target-URI"),
            record.rec_headers.get_header("WARC-Truncated"),
        )


def check_messages(
    archive: Path,
    messages: Sequence[dict[str, Any]],
    by_id: dict[str, Record],
    checks: Checks,
    *,
    where: str,
    repeats_allowed: bool,
) -> dict[tuple[str, int], str]:
    """Each version message must point to its record: read with warcio at its offset, it
    has the message's record id and URL, is whole, and is in a checked file. A message id
    seen twice is a failure unless ``repeats_allowed`` (at-least-once delivery); two
    messages naming the same version with different records always are.

    Returns the record id of each (story id, version number) the messages announce."""
    ids: Counter[str] = Counter()
    announced: dict[tuple[str, int], str] = {}
    for n, msg in enumerate(messages, 1):
        checks.counts[f"messages ({where})"] += 1
        try:
            warc = msg["warc"]
            record_id, url = warc["record_id"], msg["url"]
            version = (str(msg["story_id"]), int(msg["version"]))
            ids[msg["message_id"]] += 1
            path, offset = str(warc["path"]), int(warc["offset"])
        except (KeyError, TypeError, ValueError) as exc:
            checks.fail(f"{where} message {n}: not a version message ({exc!r})")
            continue
        other = announced.setdefault(version, record_id)
        if other != record_id:
            checks.fail(f"story {version[0]} v{version[1]}: messages name {other} and {record_id}")
        try:
            found_id, found_uri, truncated = read_record_at(archive, path, offset)
        except (OSError, StopIteration, ValueError) as exc:
            checks.fail(f"{where} message {n}: no record at {path}:{offset} ({exc})")
            continue
        if found_id != record_id or found_uri != url:
            checks.fail(
                f"{where} message {n}: {path}:{offset} holds {found_id} {found_uri}, "
                f"not {record_id} {url}"
            )
            continue
        if truncated:
            checks.fail(f"{where} message {n}: {url} v{version[1]} is a truncated record")
            continue
        if record_id not in by_id:
            checks.fail(f"{where} message {n}: record {record_id} is not in a checked WARC file")
            continue
        checks.counts[f"messages ({where}) pointing to their record"] += 1
    twice = [i for i, k in ids.items() if k > 1]
    checks.counts[f"messages ({where}) sent more than once"] = len(twice)
    if not repeats_allowed:
        for message_id in twice:
            checks.fail(f"message {message_id} queued {ids[message_id]} times")
    return announced


def check_versions(
    catalogued: dict[tuple[str, int], str],
    announced: dict[tuple[str, int], str],
    by_id: dict[str, Record],
    checks: Checks,
) -> None:
    """Every version in the catalogue has a message naming its record, and that record is
    in a checked WARC file; no version message names a version the catalogue lacks."""
    checks.counts["versions in the catalogue"] = len(catalogued)
    without = 0
    for (story_id, number), record_id in sorted(catalogued.items()):
        if record_id not in by_id:
            checks.fail(f"story {story_id} v{number}: its record {record_id} is in no WARC file")
        sent = announced.get((story_id, number))
        if sent is None:
            without += 1
            checks.fail(f"story {story_id} v{number}: in the catalogue, no message")
        elif sent != record_id:
            checks.fail(f"story {story_id} v{number}: catalogue {record_id}, message {sent}")
    checks.counts["versions without a message"] = without
    for story_id, number in sorted(set(announced) - set(catalogued)):
        checks.fail(f"story {story_id} v{number}: a message, not in the catalogue")


def cli_versions(
    storyvault: Sequence[str], urls: Iterable[str], checks: Checks, *, timeout: float = 60.0
) -> dict[tuple[str, int], str]:
    """(story id, number) → record id of every version of the stories at ``urls``, as
    ``storyvault versions --json URL`` lists them (``storyvault`` is the command with its
    options before the URL). A story of the synthetic outlet never changes: more than one
    version is a false one."""
    out: dict[tuple[str, int], str] = {}
    for url in urls:
        try:
            result = subprocess.run(
                [*storyvault, url], capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            checks.fail(f"storyvault versions {url}: no answer in {timeout:.0f} s")
            continue
        if result.returncode != 0:
            checks.fail(
                f"storyvault versions {url}: exit {result.returncode} {result.stderr[-200:]}"
            )
            continue
        story = json.loads(result.stdout)
        versions = story["versions"]
        if len(versions) != 1:
            checks.fail(f"{url}: {len(versions)} versions of a story that never changed")
        for version in versions:
            out[(str(story["story_id"]), int(version["number"]))] = version["warc"]["record_id"]
    return out
