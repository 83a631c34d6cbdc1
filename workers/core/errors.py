"""The storyvault exception tree.

Every error names the URL or file it is about and says what to do. Third-party errors
(aiohttp, OS, sqlite) are translated at one boundary each, with ``raise X(...) from exc``.

::

    StoryvaultError
     ├── ConfigError                  a setting or argument is invalid
     ├── FetchError                   one URL could not be captured      (.url)
     │    ├── TransientFetchError     worth retrying later: connect reset, timeout, 5xx, 429
     │    └── PermanentFetchError     retrying will not help
     │         ├── BlockedAddressError    resolves to a private/reserved address
     │         ├── UnsupportedSchemeError not http or https
     │         ├── RedirectLoopError      too many redirect hops
     │         └── ProtocolError          the server's reply is not valid HTTP
     ├── StateError                   the crawl state (SQLite file, Redis) failed (.url)
     ├── ArchiveError                 a WARC file or index could not be written/read (.path)
     │    ├── RecoveryError           a left-over ``.open`` WARC could not be repaired
     │    └── ArchiveBusyError        another process is writing the embedded archive
     └── CrawlAborted                 a crawl stopped on a StateError or ArchiveError (.cause);
                                      what it had not done stays queued for the resume

A :class:`FetchError` is about one URL: the crawl records it and goes on. A
:class:`StateError` or :class:`ArchiveError` is about the crawl's own files: going on would
lose data, so the crawl stops (:class:`CrawlAborted`) and says which file.
"""

from __future__ import annotations

from pathlib import Path


class StoryvaultError(Exception):
    """Base class of every error storyvault raises on purpose."""


class ConfigError(StoryvaultError):
    """A setting, argument or configuration file is invalid."""


class FetchError(StoryvaultError):
    """A URL could not be captured."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.message = message


class TransientFetchError(FetchError):
    """A failure that may go away: retry later (connection error, timeout, 5xx, 429)."""

    def __init__(self, url: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(url, message)
        self.retry_after = retry_after


class PermanentFetchError(FetchError):
    """A failure that retrying will not fix."""


class BlockedAddressError(PermanentFetchError):
    """The host resolves to a loopback, private, link-local, reserved or metadata address."""


class UnsupportedSchemeError(PermanentFetchError):
    """The URL scheme is not http or https."""


class RedirectLoopError(PermanentFetchError):
    """A redirect chain went past the hop limit or came back to a URL already visited."""


class ProtocolError(PermanentFetchError):
    """The server's reply could not be parsed as HTTP (bad status line, oversized headers)."""


class StateError(StoryvaultError):
    """The crawl state (the SQLite file, or Redis) could not be reached or written."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.message = message


class ArchiveError(StoryvaultError):
    """A WARC file or the index could not be written or read."""

    def __init__(self, path: Path | str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = Path(path)
        self.message = message


class RecoveryError(ArchiveError):
    """A ``.open`` WARC left by a killed process could not be repaired."""


class ArchiveBusyError(ArchiveError):
    """Another process holds the embedded archive's writer lock (``.holder`` says which)."""

    def __init__(self, path: Path | str, holder: str) -> None:
        super().__init__(
            path,
            f"the archive is being written by {holder}; wait for it to finish, stop it, "
            "or give another --archive",
        )
        self.holder = holder


class CrawlAborted(StoryvaultError):
    """A crawl stopped because its archive or state failed (``cause``); ``queued`` URLs
    were left in the frontier, and the same command resumes them once the cause is fixed."""

    def __init__(self, cause: StateError | ArchiveError, queued: int) -> None:
        super().__init__(
            f"{cause}; the crawl stopped with {queued} URLs queued: "
            "fix this and run the same command again to resume"
        )
        self.cause = cause
        self.queued = queued
        self.summary: dict[str, object] = {}
