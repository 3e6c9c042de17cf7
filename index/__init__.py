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

Importing it is light: Whoosh, numpy and spaCy are loaded when first used,
and so are the modules the reader's first paint does not need (see
:data:`_ON_FIRST_USE`).
"""

import importlib

from . import safe as sanitize
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
from .labels import (
    ENTITY_FIELDS,
    EXPORT_FORMATS,
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
    EntitiesReport,
    Entity,
    ListEntry,
    Listing,
    Quote,
    SearchHit,
    SearchResult,
    Skipped,
    SpinReport,
    TermHits,
    UpdateReport,
    VersionsReport,
    index_of,
    list_entry,
    sort_entries,
)
from .paths import config_dir, data_dir, index_dir_for, state_dir
from .pipeline import DEFAULT_PHASES, PHASES
from .pipeline import update as run_pipeline
from .safe import body, clipboard, dumps_json, error_line, terminal
from .text.spans import merge_spans

# Names of the API whose modules are imported when the name is first read
# (PEP 562): the diff report and its exports, the outlets table, the Dask
# cluster and the data of comparisons (index.comparisons) are never used by
# the reader's first paint, and importing them (13 frozen dataclasses,
# statistics, hashlib, secrets, ...) was over a third of importing the engine
# (issue 15). name -> (module, its attribute; None: the module itself).
_ON_FIRST_USE = {
    "diffreport": ("report", None),
    "DASK_ENV": ("cluster", "DASK_ENV"),
    "ClusterError": ("cluster", "ClusterError"),
    "DaskTarget": ("cluster", "Target"),
    "connect_dask": ("cluster", "connect"),
    "parse_dask_target": ("cluster", "parse_target"),
    "diff_html": ("export", "diff_html"),
    "diff_markdown": ("export", "diff_markdown"),
    "export_file_name": ("export", "file_name"),
    "export_diff": ("export", "render"),
    "write_new_file": ("export", "write_new"),
    "OUTLET_COLUMNS": ("outlets", "COLUMNS"),
    "OUTLET_SHORT_COLUMNS": ("outlets", "SHORT_COLUMNS"),
    "outlet_cells": ("outlets", "cells"),
    **{name: ("comparisons", name) for name in (
        "DiffGroup", "DiffResult", "DiffStats", "EntityChange", "Family", "NumberChange",
        "OutletPair", "OutletsReport", "PhraseChange", "QuoteChange", "Step", "Substitution",
        "VersionPair")},
}


def __getattr__(name: str):
    try:
        module, attr = _ON_FIRST_USE[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    # (import_module under the import system's per-module lock: safe from the
    # reader's worker threads, as index._lazy says)
    found = importlib.import_module(f".{module}", __name__)
    value = found if attr is None else getattr(found, attr)
    globals()[name] = value  # read once: the next read is a plain global
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_ON_FIRST_USE})

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
