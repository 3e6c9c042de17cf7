"""The one update pipeline: index, then version families, then entities.

:meth:`Corpus.update` (and with it the CLI's ``variorum index``, its first
use of a corpus, its entity search, and the reader) runs :func:`update`; no
caller puts the phases together itself. Each phase runs its parallel work
through :mod:`index.jobs`; a phase that is cancelled ends the run, and later
phases do not start.

Phases, in this order:

``"index"``
    the text index, incrementally (:func:`index.search.indexer.update`); progress
    phase ``"reading"``.
``"versions"``
    version families of the new articles (:func:`index.versions.sync`);
    progress phases ``"signatures"`` and ``"verifying"``.
``"entities"``
    entities and quotes of every article not done yet
    (:func:`index.nlp.annotate.sync`), each finished chunk stored at once;
    progress phase ``"entities"`` (in articles).
``"spin"``
    the spin counts of the rewrites between dated versions, for the outlets
    table (:func:`index.outlets.sync`): the annotations they lack, then one
    diff each not done yet; progress phases ``"entities"`` and ``"spin"``.

``progress(phase, done, total)`` is the one progress signature; ``on_phase(
name, report)`` is called as each phase ends (the reader shows the index
before the families are found), and with ``"index-batch"`` when a first index
of a big corpus has committed its first files (the rest still to come; the
reader lists them meanwhile).

``executor``: where every phase's chunks run instead of local worker
processes, e.g. a Dask cluster (:func:`index.cluster.connect`); this process
still scans, commits the index and writes the store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable

from .errors import DiskFullError
from .models import UpdateReport
from .store.db import STORE_FILE, Store

PHASES = ("index", "versions", "entities", "spin")
DEFAULT_PHASES = ("index", "versions")

Progress = Callable[[str, int, int], None]


def update(corpus, phases: Iterable[str] = DEFAULT_PHASES, *,
           progress: Progress | None = None,
           cancel: Callable[[], bool] | None = None,
           procs: int | None = None,
           first: list[str] | Callable[[], list[str]] | None = None,
           extract_here: bool = True,
           on_phase: Callable[[str, object], None] | None = None,
           executor=None) -> UpdateReport:
    """Bring ``corpus``'s index up to date, phase by phase (see the module's
    docstring). ``procs``: worker processes (default: the job layer's);
    ``first``: article ids whose entities are extracted before the others
    (or a function giving them, asked when that phase starts);
    ``extract_here=False``: entity extraction never runs in this process but
    in the corpus's extraction worker (see :meth:`Corpus.annotations`);
    ``executor``: see the module's docstring."""
    from .search import indexer

    phases = tuple(phases)
    unknown = [p for p in phases if p not in PHASES]
    if unknown:
        raise ValueError(f"unknown update phases {unknown}; the phases are {PHASES}")
    if executor is not None:  # the indexer sizes its chunks by the workers there
        procs = getattr(executor, "workers", None) or procs
    report = UpdateReport(corpus=str(corpus.root), index_dir=str(corpus.index_dir))
    if "index" in phases:
        report = indexer.update(corpus.root, corpus.index_dir, cancel=cancel, procs=procs,
                                progress=_phase(progress, "reading"), executor=executor,
                                on_batch=None if on_phase is None else
                                (lambda r: _batch(corpus, on_phase, r)))
        if report.changed_anything:
            corpus._index_changed()  # the next query opens the new generation
        _done(on_phase, "index", report)
        if report.cancelled:
            return report
    if "versions" in phases:
        if _stop(cancel, report):
            return report
        report.versions = _versions(corpus, progress, cancel, procs, executor)
        _done(on_phase, "versions", report.versions)
        if report.versions.cancelled:
            report.cancelled = True
            return report
    if "entities" in phases:
        if _stop(cancel, report):
            return report
        ids = first() if callable(first) else first
        report.entities = _entities(corpus, progress, cancel, procs, ids, extract_here,
                                    executor)
        _done(on_phase, "entities", report.entities)
        report.cancelled = report.entities.cancelled
    if "spin" in phases:
        if _stop(cancel, report):
            return report
        report.spin = _spin(corpus, progress, cancel, procs, extract_here, executor)
        _done(on_phase, "spin", report.spin)
        report.cancelled = report.spin.cancelled
    return report


def _stop(cancel, report: UpdateReport) -> bool:
    """Whether the run was cancelled between two phases (then it says so)."""
    if cancel is not None and cancel():
        report.cancelled = True
    return report.cancelled


def _phase(progress: Progress | None, name: str):
    if progress is None:
        return None
    return lambda done, total: progress(name, done, total)


def _done(on_phase, name: str, report) -> None:
    if on_phase is not None:
        on_phase(name, report)


def _batch(corpus, on_phase, report) -> None:
    corpus._index_changed()  # the first files are committed: the next query sees them
    on_phase("index-batch", report)


def _versions(corpus, progress, cancel, procs, executor):
    from . import versions
    from .search import indexer

    path = corpus.index_dir / STORE_FILE
    with indexer.update_lock(corpus.index_dir):
        store = None
        try:
            store = Store(path)
            return versions.sync(store, path, progress=progress, cancel=cancel, procs=procs,
                                 executor=executor)
        except (OSError, sqlite3.Error) as e:
            if indexer.is_disk_full(e, corpus.index_dir):
                raise DiskFullError(
                    f"disk full while writing the version pairs at {corpus.index_dir}; the "
                    f"articles are indexed, and the next run finds the pairs") from e
            raise
        finally:
            if store is not None:
                store.close()


def _entities(corpus, progress, cancel, procs, first, extract_here: bool, executor):
    from .nlp import annotate

    path = corpus.index_dir / STORE_FILE
    first_hashes = corpus._hashes_of(first or [])
    if executor is None and not extract_here:
        executor = corpus._extraction_worker()
    store = Store(path)
    try:
        return annotate.sync(store, path, corpus.extractor_choice, progress=_phase(
            progress, "entities"), cancel=cancel, procs=procs, first=first_hashes,
            executor=executor)
    finally:
        store.close()


def _spin(corpus, progress, cancel, procs, extract_here: bool, executor):
    from . import outlets

    path = corpus.index_dir / STORE_FILE
    if executor is None and not extract_here:  # the texts' extraction, as _entities does
        executor = corpus._extraction_worker()
    store = Store(path)
    try:
        return outlets.sync(store, path, corpus.extractor_choice, progress=progress,
                            cancel=cancel, procs=procs, executor=executor)
    finally:
        store.close()
