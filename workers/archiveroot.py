"""The archive's root directory: whether there is an archive at a path.

An archive is a directory that a crawl wrote into: it holds the embedded state
(``state/embedded.sqlite3``) or a pywb collection (``collections/``; WARC files copied
from elsewhere, before ``storyvault reindex``). Commands that only read an archive check
with :func:`existing_archive` first, so that a mistyped ``--archive`` is an error instead
of a new, empty archive.
"""

from __future__ import annotations

from pathlib import Path

from workers.errors import ConfigError

STATE_FILE = Path("state") / "embedded.sqlite3"
COLLECTIONS = "collections"


def is_archive(root: Path) -> bool:
    """Whether ``root`` holds an archive (its state database or a collections folder)."""
    return (root / STATE_FILE).is_file() or (root / COLLECTIONS).is_dir()


def existing_archive(root: Path) -> Path:
    """Return ``root`` if an archive is there; create nothing.

    Raises :class:`ConfigError` naming the path when there is none.
    """
    if not is_archive(root):
        what = "no such directory" if not root.exists() else "no state or collections in it"
        raise ConfigError(
            f"{root}: no archive at this path ({what}); give --archive the directory "
            "a crawl wrote into, or crawl into it first"
        )
    return root
