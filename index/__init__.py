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
from .labels import ENTITY_FIELDS, EXTRACTORS, LABEL_NAMES, LABELS, or_list, search_field
from .models import Article, ArticleMeta, SearchHit, SearchResult, Skipped, UpdateReport

__all__ = [
    "ENTITY_FIELDS",
    "EXTRACTORS",
    "LABELS",
    "LABEL_NAMES",
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
    "or_list",
    "search_field",
]
