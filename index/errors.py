"""Errors the engine raises for bad input: each carries a one-line message."""


class VariorumError(Exception):
    """Base class: ``str(err)`` is a complete, user-facing sentence."""


class CorpusError(VariorumError):
    """The corpus folder is missing or unusable."""


class IndexMissingError(VariorumError):
    """No index for this corpus yet."""


class DiskFullError(VariorumError):
    """The disk filled up while the index was written (it is left as it was)."""


class IndexVersionError(VariorumError):
    """The index was written by a newer variorum, whose store this one cannot read."""


class IndexBusyError(VariorumError):
    """Another process holds the index's write lock."""


class QueryError(VariorumError):
    """A search query that cannot be parsed or run."""


class NotFoundError(VariorumError):
    """No article matches an id or path."""


class WorkerDied(VariorumError):
    """A worker process ended abruptly (killed, out of memory) mid-run."""


class Cancelled(Exception):
    """The caller's ``cancel()`` said stop (or it gave up waiting): raised by
    the job layer (:mod:`index.jobs`), turned into a report's ``cancelled``
    by each stage."""
