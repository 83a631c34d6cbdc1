"""Where a collection's CDXJ index lives: the sorted ``index.cdxj`` file, or pywb's Redis set.

Both hold the same lines (see :mod:`workers.warc.cdxj`). The embedded archive has the file;
the service's workers merge each closed WARC's lines into the file and into the Redis
sorted set pywb reads (``pywb:<collection>:cdxj``, every member scored 0, so its order is
the lines' own). An :class:`IndexStore` reads all the lines back (for
:class:`workers.replay.captures.CollectionIndex`) and replaces them all (``storyvault reindex``),
atomically in each: the file by rename, the Redis set by ``RENAME`` of a set built aside.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol, cast

import redis

from workers.core.errors import ArchiveError, StateError
from workers.state.redis_keys import pywb_index, pywb_index_rebuild
from workers.state.redis_state import translate_errors, url_of
from workers.warc import cdxj

#: Members read or written per Redis command.
CHUNK = 5000


class IndexStore(Protocol):
    """One place a collection's CDXJ lines are kept."""

    #: the file or Redis key, for messages
    where: str

    def lines(self) -> list[str]:
        """Every line, sorted. Raises :class:`ArchiveError` or :class:`StateError` when
        there is no index (``storyvault reindex`` builds it) or it cannot be read."""
        ...

    def replace(self, lines: Iterable[str]) -> int:
        """Make ``lines`` (deduplicated) the whole index; return how many it holds."""
        ...


class CdxjFile:
    """The collection's ``indexes/index.cdxj``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    def lines(self) -> list[str]:
        if not self.path.exists():
            raise ArchiveError(self.path, "the collection has no index: run `storyvault reindex`")
        try:
            with self.path.open(encoding="utf-8") as fh:
                return [line.rstrip("\n") for line in fh if line.strip()]
        except OSError as exc:
            raise ArchiveError(self.path, f"cannot read the index: {exc}") from exc

    def replace(self, lines: Iterable[str]) -> int:
        return cdxj.replace_index(self.path, lines)


class RedisIndex:
    """pywb's Redis index of one collection (``pywb:<collection>:cdxj``)."""

    def __init__(self, client: redis.Redis, collection: str) -> None:
        self._r = client
        self.key = pywb_index(collection)
        self._rebuild = pywb_index_rebuild(collection)
        self.url = url_of(client)
        self.where = f"{self.url} key {self.key}"

    def lines(self) -> list[str]:
        with translate_errors(self.url, f"reading the index {self.key}"):
            total = int(self._r.zcard(self.key))
            members: list[bytes] = []
            for start in range(0, total, CHUNK):
                members += cast(list[bytes], self._r.zrange(self.key, start, start + CHUNK - 1))
        if not members:
            raise StateError(
                self.url,
                f"no index at key {self.key} (the service writes it as WARC files close): "
                "run `storyvault reindex --redis URL` to build it from the WARC files",
            )
        return sorted(m.decode("utf-8") for m in members)

    def replace(self, lines: Iterable[str]) -> int:
        fresh = sorted(set(lines))
        with translate_errors(self.url, f"rewriting the index {self.key}"):
            pipe = self._r.pipeline(transaction=False)
            pipe.delete(self._rebuild)
            for start in range(0, len(fresh), CHUNK):
                pipe.zadd(self._rebuild, dict.fromkeys(fresh[start : start + CHUNK], 0))
            pipe.execute()
            if fresh:
                self._r.rename(self._rebuild, self.key)
            else:
                self._r.delete(self.key)
        return len(fresh)
