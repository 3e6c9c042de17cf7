"""variorum's engine: ingestion, Whoosh index, search (headless: no UI imports).

The engine's public API is what this package exports: the UI (``tui/``)
imports nothing else (``[tool.importlinter]`` in pyproject.toml holds it to
that). The sub-packages are the engine's own business; docs/architecture.md
says what each holds.

- :class:`Corpus`, the front door, and :func:`run_pipeline`, the one update
  pipeline it runs (with its phases); :func:`connect_dask`, an executor that
  runs the pipeline's work on a Dask cluster (Dask is imported only then);
- the plain data the engine takes and returns (``index.models``);
- its errors, each a one-line, user-facing message;
- the one sanitiser for what leaves the program, by destination
  (``index.safe``): its functions, or the namespace ``sanitize``;
- a diff and its spin report as parts of text with roles, the wording every
  renderer draws (``diffreport``, that is ``index.report``), and the diff's
  exports as HTML and Markdown (:func:`export_diff`, :func:`write_new_file`);
- the per-user folders (``index.paths``), the tables of names the engine and
  the UI share (``index.labels``) and :func:`merge_spans`, the one rule for
  merging character spans.

Importing it is light: Whoosh, numpy and spaCy are loaded when first used.
"""

from . import report as diffreport
from . import safe as sanitize
from .cluster import DASK_ENV, ClusterError
from .cluster import Target as DaskTarget
from .cluster import connect as connect_dask
from .cluster import parse_target as parse_dask_target
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
from .export import FORMATS as EXPORT_FORMATS
from .export import diff_html, diff_markdown
from .export import file_name as export_file_name
from .export import render as export_diff
from .export import write_new as write_new_file
from .labels import (
    ENTITY_FIELDS,
    EXTRACTORS,
    LABEL_NAMES,
    LABELS,
    PAIR_KINDS,
    VERSION_FIELDS,
    delay_label,
    or_list,
    search_field,
)
from .models import (
    SORTS,
    Annotations,
    Article,
    ArticleMeta,
    DiffGroup,
    DiffResult,
    DiffStats,
    EntitiesReport,
    Entity,
    EntityChange,
    Family,
    ListEntry,
    Listing,
    NumberChange,
    OutletPair,
    OutletsReport,
    PhraseChange,
    Quote,
    QuoteChange,
    SearchHit,
    SearchResult,
    Skipped,
    SpinReport,
    Step,
    Substitution,
    TermHits,
    UpdateReport,
    VersionPair,
    VersionsReport,
    index_of,
    list_entry,
    sort_entries,
)
from .outlets import COLUMNS as OUTLET_COLUMNS
from .outlets import SHORT_COLUMNS as OUTLET_SHORT_COLUMNS
from .outlets import cells as outlet_cells
from .paths import config_dir, data_dir, index_dir_for, state_dir
from .pipeline import DEFAULT_PHASES, PHASES
from .pipeline import update as run_pipeline
from .safe import body, clipboard, dumps_json, error_line, terminal
from .text.spans import merge_spans

__all__ = [
    "DASK_ENV",
    "DEFAULT_PHASES",
    "ENTITY_FIELDS",
    "EXPORT_FORMATS",
    "EXTRACTORS",
    "LABELS",
    "LABEL_NAMES",
    "OUTLET_COLUMNS",
    "OUTLET_SHORT_COLUMNS",
    "PAIR_KINDS",
    "PHASES",
    "SORTS",
    "VERSION_FIELDS",
    "Annotations",
    "Article",
    "ArticleMeta",
    "Cancelled",
    "ClusterError",
    "Corpus",
    "CorpusError",
    "DaskTarget",
    "DiffGroup",
    "DiffResult",
    "DiffStats",
    "DiskFullError",
    "EntitiesReport",
    "Entity",
    "EntityChange",
    "Family",
    "IndexBusyError",
    "IndexMissingError",
    "IndexVersionError",
    "ListEntry",
    "Listing",
    "NotFoundError",
    "NumberChange",
    "OutletPair",
    "OutletsReport",
    "PhraseChange",
    "QueryError",
    "Quote",
    "QuoteChange",
    "SearchHit",
    "SearchResult",
    "Skipped",
    "SpinReport",
    "Step",
    "Substitution",
    "TermHits",
    "UpdateReport",
    "VariorumError",
    "VersionPair",
    "VersionsReport",
    "WorkerDied",
    "body",
    "clipboard",
    "config_dir",
    "connect_dask",
    "data_dir",
    "delay_label",
    "diff_html",
    "diff_markdown",
    "diffreport",
    "dumps_json",
    "error_line",
    "export_diff",
    "export_file_name",
    "index_dir_for",
    "index_of",
    "list_entry",
    "merge_spans",
    "or_list",
    "outlet_cells",
    "parse_dask_target",
    "run_pipeline",
    "sanitize",
    "search_field",
    "sort_entries",
    "state_dir",
    "terminal",
    "write_new_file",
]
