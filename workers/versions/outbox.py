"""The embedded cleaning queue: ``ARCHIVE/queue/clean.jsonl``, an outbox a consumer tails.

A message (``storyvault.article-version/1``) is appended only once the WARC file holding
its record is closed: renamed to its final name, fsynced and indexed, so a consumer can
open it with warcio by the name in the message, and pywb can replay it. Delivery is
idempotent by ``message_id``: a message found in the file's tail is not appended again
(a crash between append and bookkeeping), and consumers skip ids they have seen.

The same moment publishes the change feeds (:mod:`workers.versions.feeds`): when a delivery holds
a version after a story's first, :class:`ChangeFeeds` rewrites the collection's Atom feeds
before the messages are marked delivered (a failure leaves them pending, and the next
delivery tries both again). The service, whose outbox is Celery's ``clean`` queue, calls
:func:`publish_changes` the same way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import structlog

from workers.core.errors import ArchiveError
from workers.core.settings import Settings
from workers.versions.catalogue import Catalogue
from workers.versions.feeds import ChangeFeeds

log = structlog.get_logger(__name__)

TAIL_BYTES = 1024 * 1024


class Outbox:
    """Appends pending catalogue messages to the outbox file."""

    def __init__(
        self,
        archive_root: Path,
        catalogue: Catalogue,
        *,
        replay_base: str = Settings.replay_base,
    ) -> None:
        self.path = archive_root / "queue" / "clean.jsonl"
        self.catalogue = catalogue
        self.feeds = ChangeFeeds(
            archive_root, catalogue, collection=catalogue.collection, replay_base=replay_base
        )

    @classmethod
    def for_settings(cls, catalogue: Catalogue, settings: Settings) -> Outbox:
        """The outbox of the settings' archive, its feeds linking to ``replay_base``."""
        return cls(settings.archive, catalogue, replay_base=settings.replay_base)

    def deliver(self, closed_files: Iterable[str] | None = None, *, scan_all: bool = False) -> int:
        """Append the pending messages whose WARC files are closed, and publish the change
        feeds if one is a change; return how many messages were appended. Raises
        :class:`ArchiveError` naming the outbox or feed file that could not be written."""
        pending = self.catalogue.pending_messages(closed_files)
        if not pending:
            return 0
        publish_changes(self.feeds, closed_files, [body for _, body in pending])
        already = self.delivered_ids(full=scan_all)
        fresh = [(mid, body) for mid, body in pending if mid not in already]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                for _, body in fresh:
                    fh.write(body + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise ArchiveError(self.path, f"cannot append to the cleaning outbox: {exc}") from exc
        self.catalogue.mark_delivered([mid for mid, _ in pending], datetime.now(UTC))
        for mid, _ in fresh:
            log.info("version_queued", message_id=mid, outbox=str(self.path))
        return len(fresh)

    def delivered_ids(self, *, full: bool = False) -> set[str]:
        """Message ids in the outbox file (its last MiB, or all of it with ``full``)."""
        if not self.path.exists():
            return set()
        with self.path.open("rb") as fh:
            if not full:
                fh.seek(max(0, self.path.stat().st_size - TAIL_BYTES))
                fh.readline() if fh.tell() else None  # skip a partial first line
            ids = set()
            for line in fh:
                try:
                    ids.add(json.loads(line)["message_id"])
                except (ValueError, KeyError, TypeError):
                    continue
        return ids

    def messages(self) -> list[dict[str, object]]:
        """Every message in the outbox file, in order (for tests and the cleaner)."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]


def publish_changes(
    feeds: ChangeFeeds, closed_files: Iterable[str] | None, bodies: Iterable[str]
) -> int:
    """Rewrite ``feeds`` if the message ``bodies`` being delivered (JSON, as the catalogue
    keeps them) hold a change, a version after a story's first; return the feed files
    written (0 when none is a change)."""
    if not any(_version(body) > 1 for body in bodies):
        return 0
    return feeds.deliver(closed_files)


def _version(body: str) -> int:
    try:
        return int(json.loads(body).get("version") or 0)
    except (ValueError, TypeError, AttributeError):
        return 0
