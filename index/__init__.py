"""variorum's engine: ingestion, Whoosh index, search (headless: no UI imports)."""

from .corpus import Corpus
from .errors import (
    Cancelled,
    CorpusError,
    DiskFullError,
    IndexBusyError,
    IndexMissingError,
    IndexVersionError,
    NotFoundError,
    QueryError,
    VariorumError,
    WorkerDied,
)
from .models import Article, ArticleMeta, SearchHit, SearchResult, Skipped, UpdateReport

__all__ = [
    "Article",
    "ArticleMeta",
    "Cancelled",
    "Corpus",
    "CorpusError",
    "DiskFullError",
    "IndexBusyError",
    "IndexMissingError",
    "IndexVersionError",
    "NotFoundError",
    "QueryError",
    "SearchHit",
    "SearchResult",
    "Skipped",
    "UpdateReport",
    "VariorumError",
    "WorkerDied",
]
