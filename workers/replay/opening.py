"""One way for every command to open an archive, whichever backend holds its state.

:func:`open_archive` reads the settings and yields an :class:`OpenedArchive`: the version
catalogue, the state a reader needs (the citation graph) and the collection's index::

    backend    chosen when                        catalogue and state    index read
    embedded   no Redis URL in the settings       state/embedded.sqlite3 index.cdxj
    redis      settings.redis_url is set          Redis, redis_prefix    pywb:<coll>:cdxj

The service's workers mark the archives they write (:data:`workers.warc.root.BACKEND_FILE`).
Such an archive opened without a Redis URL, or with another key prefix than its marker's,
is a :class:`ConfigError` naming the archive and what to pass, never an empty catalogue.
``storyvault reindex`` rewrites every index store the backend keeps (the service keeps
both the Redis set and ``index.cdxj``): see :attr:`OpenedArchive.indexes`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from workers.core.errors import ConfigError
from workers.core.settings import Settings
from workers.replay.captures import CollectionIndex
from workers.state.index_store import CdxjFile, IndexStore, RedisIndex
from workers.state.redis_state import RedisState, connect
from workers.state.sqlite import SQLiteState
from workers.versions.catalogue import Catalogue
from workers.versions.redis_catalogue import RedisCatalogueStore
from workers.warc.root import collection_dir, existing_archive, read_backend_marker, writer_lock

Backend = Literal["embedded", "redis"]


class CitationGraph(Protocol):
    """What readers ask of the crawl state: the sources an article cites."""

    def citations(self, article_url: str) -> list[tuple[str, str]]: ...


@dataclass
class OpenedArchive:
    """An archive opened for a command: what :func:`open_archive` yields."""

    settings: Settings
    backend: Backend
    catalogue: Catalogue
    #: the crawl state, for reads (citations)
    state: CitationGraph
    #: where the collection's CDXJ lines are kept; :meth:`index` reads the first,
    #: ``reindex`` rewrites them all
    indexes: tuple[IndexStore, ...]
    _index: CollectionIndex | None = field(default=None, init=False, repr=False)

    @property
    def root(self) -> Path:
        return self.settings.archive

    @property
    def collection(self) -> str:
        return self.settings.collection

    @property
    def warc_dir(self) -> Path:
        """The collection's WARC files (``collections/<collection>/archive``)."""
        return collection_dir(self.settings.archive, self.settings.collection) / "archive"

    def index(self) -> CollectionIndex:
        """The collection's captures, read from its index once, on first use.

        Raises :class:`ConfigError` when the archive has no such collection,
        :class:`~workers.core.errors.ArchiveError` or :class:`~workers.core.errors.StateError`
        when the collection has no index (``storyvault reindex`` builds it).
        """
        if self._index is None:
            self._index = CollectionIndex(self.root, self.collection, self.indexes[0])
        return self._index


def backend_of(settings: Settings, root: Path) -> Backend:
    """The backend holding the state of the archive at ``root`` under ``settings``.

    Raises :class:`ConfigError` when the archive's marker says its catalogue is in Redis
    and the settings give no Redis URL, or another key prefix than the marker's.
    """
    marker = read_backend_marker(root)
    if not settings.redis_url:
        if marker is None:
            return "embedded"
        server = f"; its workers used {marker.redis_server}" if marker.redis_server else ""
        raise ConfigError(
            f"{root}: this archive's catalogue and index are in Redis (the service writes "
            f"it, key prefix {marker.redis_prefix!r}{server}): pass --redis URL or set "
            "STORYVAULT_REDIS_URL"
        )
    if marker is not None and marker.redis_prefix != settings.redis_prefix:
        raise ConfigError(
            f"{root}: the service keeps this archive's catalogue under the Redis key prefix "
            f"{marker.redis_prefix!r}, not {settings.redis_prefix!r}: set "
            f"STORYVAULT_REDIS_PREFIX={marker.redis_prefix} (or redis_prefix in --config)"
        )
    return "redis"


@contextmanager
def open_archive(settings: Settings, *, writer: str | None = None) -> Iterator[OpenedArchive]:
    """Open the archive the settings name, for the ``with`` block.

    ``writer`` names a command that rewrites the catalogue and the index (``reindex``):
    the archive's writer lock is held for the block under that name. Readers pass
    nothing and take no lock. The connection (SQLite file, Redis client) is closed at
    the end of the block.

    Raises :class:`ConfigError` when there is no archive at ``settings.archive`` (nothing
    is created) or the backend cannot be chosen (see :func:`backend_of`),
    :class:`~workers.core.errors.ArchiveBusyError` when another process holds the writer lock,
    :class:`~workers.core.errors.StateError` when the state cannot be opened.
    """
    root = existing_archive(settings.archive)
    backend = backend_of(settings, root)
    lock: AbstractContextManager[None] = writer_lock(root, writer) if writer else nullcontext()
    index_file = CdxjFile(
        collection_dir(settings.archive, settings.collection) / "indexes" / "index.cdxj"
    )
    with lock:
        if backend == "embedded":
            with SQLiteState.beside(root) as state:
                catalogue = Catalogue.for_settings(state, settings)
                yield OpenedArchive(settings, backend, catalogue, state, (index_file,))
            return
        client = connect(settings.redis_url)
        try:
            store = RedisCatalogueStore(client, settings.redis_prefix)
            yield OpenedArchive(
                settings,
                backend,
                Catalogue.for_settings(store, settings),
                RedisState(client, settings.redis_prefix),
                (RedisIndex(client, settings.collection), index_file),
            )
        finally:
            client.close()


def refuse_service_archive(settings: Settings, command: str) -> None:
    """Raise :class:`ConfigError` if the service writes the archive at ``settings.archive``:
    an embedded ``command`` (crawl, fetch, watch) would keep a catalogue of its own
    beside the service's."""
    marker = read_backend_marker(settings.archive)
    if marker is not None:
        raise ConfigError(
            f"{settings.archive}: the service writes this archive (its catalogue is in "
            f"Redis, key prefix {marker.redis_prefix!r}), so `storyvault {command}` would "
            "keep a second catalogue beside it: use `storyvault outlets add URL` or "
            "`storyvault recrawl --redis URL`, or give another --archive"
        )
