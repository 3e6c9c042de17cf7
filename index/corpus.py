"""The engine's front door: one object per corpus, used by the CLI and the TUI.

>>> c = Corpus("sample_corpus", index_dir=tmp)
>>> c.update()                       # UpdateReport
>>> c.search('"Town College"')       # SearchResult with spans into bodies
>>> c.get("004_f4557d851bb201a9.txt")  # Article (id, id prefix or path)

All methods are thread-safe (one lock per corpus): the TUI calls them from
worker threads. Each call reads one state of the index, the Whoosh generation
and the store together, even while another process updates it; calls made
inside ``with corpus.snapshot():`` share one.

A facade: the work is done by the sub-packages (docs/architecture.md). It
holds what lives as long as the corpus object: the lock, the one read
snapshot (:class:`index.store.snapshot.StoreSnapshot`, and its Whoosh side,
:class:`index.search.reader.Reader`), a writable store for caching
annotations and the extraction worker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import pipeline
from ._lazy import lazy
from .errors import IndexMissingError
from .labels import LANGUAGE_FIELD
from .models import (
    Annotations,
    Article,
    ArticleMeta,
    EntitiesReport,
    Entity,
    ListEntry,
    Quote,
    SearchHit,
    SearchResult,
    TermHits,
    UpdateReport,
    VersionsReport,
)
from .paths import index_dir_for
from .store import refs
from .store.db import STORE_FILE, Store
from .store.snapshot import SnapshotLock, StoreSnapshot

if TYPE_CHECKING:  # (made by the modules that compute them, imported when used)
    from .comparisons import DiffResult, Family, OutletsReport

# Loaded on first use: opening a corpus and listing its articles need none of
# them (the reader paints its list before Whoosh is even imported).
ann = lazy("index.nlp.annotate")
diff_mod = lazy("index.diff")
ents_mod = lazy("index.nlp.entities")
hits = lazy("index.search.hits")
indexer = lazy("index.search.indexer")
jobs = lazy("index.jobs")
qs = lazy("index.search.query")
rd = lazy("index.search.reader")
vers = lazy("index.versions")
outlets_mod = lazy("index.outlets")


class Corpus:
    def __init__(self, root: str | Path, index_dir: str | Path | None = None,
                 ner: str | None = None):
        """``ner``: the entity extractor, "auto" (default: spaCy if a model is
        installed, else rules), "spacy" or "rules"."""
        self.root = Path(root).expanduser().resolve()
        self.ner = ner
        self._wstore: Store | None = None
        self._prefetch = None  # a Future of the article list, from prefetch_list()
        self.index_dir = Path(index_dir).expanduser() if index_dir else index_dir_for(self.root)
        self._snap = StoreSnapshot(self.root, self.index_dir)
        self._lock = SnapshotLock(self._snap.end)
        self._reader: rd.Reader | None = None  # the snapshot's Whoosh side, see _whoosh()
        self._extraction: jobs.Worker | None = None  # see _extraction_worker()

    # ------------------------------------------------------------- lifecycle
    @property
    def has_index(self) -> bool:
        """An index exists and an update of it has run to the end (an
        interrupted first run leaves an index that does not count)."""
        return indexer.is_complete(self.index_dir)

    def update(self, progress: Callable[[str, int, int], None] | None = None,
               cancel: Callable[[], bool] | None = None, procs: int | None = None,
               versions: bool = True, entities: bool = False, *,
               first: list[str] | Callable[[], list[str]] | None = None,
               extract_here: bool = True,
               on_phase: Callable[[str, object], None] | None = None) -> UpdateReport:
        """Index the corpus incrementally, then (``versions``) find version
        families, then (``entities``) extract entities and quotes and the
        rewrites' spin counts: the one update pipeline,
        :func:`index.pipeline.update` (which says what the arguments do;
        ``progress(phase, done, total)``)."""
        phases = ("index",) + ("versions",) * versions + ("entities", "spin") * entities
        return pipeline.update(self, phases, progress=progress, cancel=cancel, procs=procs,
                               first=first, extract_here=extract_here, on_phase=on_phase)

    def _index_changed(self) -> None:
        with self._lock:
            if self._reader is not None:
                self._reader.index_changed()  # the next query opens the new generation

    def warm(self) -> None:
        """Open the searcher now (the reader does it in a worker once its list
        is up), so the first query does not pay for opening the index."""
        with self._lock:
            try:
                self._s()
            except IndexMissingError:
                pass

    def generation(self) -> int:
        """The index's generation as the store records it now (inside a
        :meth:`snapshot`, as the snapshot does): it moves on with every
        committed update, by this process or another one."""
        with self._lock:
            return self._snap.open().generation()

    def snapshot(self):
        """``with corpus.snapshot():`` every call inside reads the same state
        of the index (a search's hits can all be shown, whatever another
        process commits meanwhile); the next call after the block reads the
        state of then. Holds the corpus's lock: keep it short."""
        return self._lock

    def update_versions(self, progress: Callable[[str, int, int], None] | None = None,
                        cancel: Callable[[], bool] | None = None,
                        procs: int | None = None) -> VersionsReport:
        """Compare new articles with all others and record verified version
        pairs (the pipeline's "versions" phase alone)."""
        return pipeline.update(self, ("versions",), progress=progress, cancel=cancel,
                               procs=procs).versions

    def stop_workers(self) -> None:
        """End the corpus's extraction worker now, and the work it is doing
        (quitting must not wait for an extraction); the next extraction that
        needs one starts another."""
        worker = self._extraction
        if worker is not None:
            worker.stop()

    def _extraction_worker(self) -> jobs.Worker:
        """The one process that extracts entities for a caller that keeps NER
        out of its own process (``extract_here=False``): the model is loaded
        there once, on first use."""
        with self._lock:
            if self._extraction is None:
                self._extraction = jobs.Worker()
            return self._extraction

    def close(self) -> None:
        self.stop_workers()
        with self._lock:
            if self._reader is not None:
                self._reader.close()
            self._snap.close()
            if self._wstore is not None:
                self._wstore.close()
            self._wstore = None

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _whoosh(self) -> rd.Reader:
        """The Whoosh side of the read snapshot (made on first use: listing
        articles reads the store alone)."""
        if self._reader is None:
            self._reader = rd.Reader(self._snap)
        return self._reader

    def _s(self):
        """The searcher of the snapshot's Whoosh generation."""
        return self._whoosh().searcher()

    @property
    def store(self) -> Store:
        """The store, in the read snapshot, with the Whoosh generation it names open."""
        with self._lock:
            self._whoosh().open()
            return self._snap.store

    # -------------------------------------------------------------- articles
    def articles(self) -> list[ArticleMeta]:
        with self._lock:
            return self.store.list_articles()

    def article_list(self) -> Sequence[ListEntry]:
        """(id, path, title, day, source) of every article, in list order: what the
        reader's list needs, read without opening Whoosh (a ``Listing``, whose
        entries are made as they are read; a plain list in the rare index
        where a path or title holds a separator character)."""
        return self.listed()[1]

    def listed(self) -> tuple[int, Sequence[ListEntry]]:
        """The index's generation and :meth:`article_list`, the generation
        read first (the list read after it is at least as new); the pair
        read ahead by :meth:`prefetch_list` if there is one, taken once. (A
        generation read apart from a read-ahead list could be newer than
        it: a reader that recorded it would not load the list again until
        the next commit.)"""
        pending, self._prefetch = self._prefetch, None
        if pending is not None:  # read ahead by prefetch_list(): take it once
            return pending.result()
        with self._lock:
            store = self._snap.open()
            return store.generation(), store.list_entries()

    def prefetch_list(self) -> None:
        """Start reading the article list in a thread now (the reader calls it
        before it imports Textual; SQLite reads while Python imports), and
        the generation it is of (see :meth:`prefetched_list`)."""
        from concurrent.futures import Future

        fut: Future = Future()

        def run() -> None:
            try:
                with self._lock:  # (as listed() reads them)
                    store = self._snap.open()
                    fut.set_result((store.generation(), store.list_entries()))
            except BaseException as e:  # handed to whoever takes the result
                fut.set_exception(e)

        self._prefetch = fut
        threading.Thread(target=run, name="variorum-prefetch", daemon=True).start()

    def prefetched_list(self) -> tuple[int, Sequence[ListEntry]] | None:
        """The index's generation and the article list read ahead by
        :meth:`prefetch_list`, if it has been read by now (taken once, as
        :meth:`article_list` takes it); None if there is none, it is still
        being read, or its read failed (:meth:`article_list` raises that).
        Never waits: the reader asks as it starts, and shows the list in its
        first frame when it is there (issue 15)."""
        pending = self._prefetch
        if pending is None or not pending.done() or pending.exception() is not None:
            return None
        return self.listed()  # (takes it)

    def count(self) -> int:
        with self._lock:
            return self.store.count()

    def resolve(self, ref: str) -> str:
        """An article id from an id, a unique id prefix or a file path."""
        with self._lock:
            return refs.resolve(self.store, self.root, ref)

    def get(self, ref: str) -> Article:
        with self._lock:
            id_ = self.resolve(ref)
            meta, h = self.store.meta_by_id(id_)
            text = self.store.body(h) or ""
            return Article(**meta.__dict__, text=text)

    # ---------------------------------------------------------------- search
    def _query(self, qstring: str):
        """Parse a query; entity and version clauses become the sets of
        articles they match."""
        def ids_for(field: str, words: list[str]) -> set[str]:
            if field == "has":  # has:versions
                return self._snap.store.ids_with_versions()
            if field == "kind":  # kind:rewrite
                return self._snap.store.ids_with_versions(words[0])
            if field == LANGUAGE_FIELD:  # lang:de
                return self._snap.store.ids_with_language(words[0])
            return ann.article_ids(self._snap.store, ann.cache_key(self.extractor_choice),
                                   field, words)

        return qs.parse_entities(qstring, self._whoosh().ix.schema, ids_for)  # opened by _s()

    def _entity_spans(self, eclauses) -> Callable[[str], list[tuple[int, int]]]:
        """Body hash -> the spans of the mentions ``eclauses`` match in it."""
        key = ann.cache_key(self.extractor_choice)
        return lambda h: ann.clause_spans(self._snap.store, key, h, eclauses)

    def search(self, qstring: str, limit: int | None = 10, spans: bool = True) -> SearchResult:
        """Run a query. With ``spans``, each hit carries a snippet and the
        character spans of all its hits; without, only ids/titles/scores
        (what a list needs, for many hits at once)."""
        with self._lock:
            searcher = self._s()
            q, eclauses = self._query(qstring)
            found, total = hits.search(searcher, q, limit,
                                       self._snap.store.body if spans else None,
                                       self._entity_spans(eclauses) if eclauses else None)
            suggestion = self.suggest(qstring, total) if total < qs.SUGGEST_BELOW else None
            note = ann.coverage_note(*self.entity_coverage()) if eclauses else None
            return SearchResult(query=qstring, total=total, hits=found, suggestion=suggestion,
                                note=note)

    def spans(self, ref: str | Article, qstring: str) -> list[tuple[int, int]]:
        """The hit spans of ``qstring`` in one article's body (pass the Article
        itself when it is already loaded, to save reading it again)."""
        with self._lock:
            searcher = self._s()
            q, eclauses = self._query(qstring)
            art = ref if isinstance(ref, Article) else self.get(ref)
            meta = self._snap.store.meta_by_id(art.id) if eclauses else None
            more = self._entity_spans(eclauses)(meta[1]) if meta else None
            return hits.article_spans(searcher, q, art.text, more)

    def term_hits(self, ref: str | Article, qstring: str) -> TermHits:
        """The hits of ``qstring`` in one article's body, each with the
        clause it is a hit of (the same hits as :meth:`spans`, told apart)."""
        with self._lock:
            searcher = self._s()
            q, eclauses = self._query(qstring)
            art = ref if isinstance(ref, Article) else self.get(ref)
            meta = self._snap.store.meta_by_id(art.id) if eclauses else None
            more = [(f'{field}:"{" ".join(words)}"', self._entity_spans([(field, words)])(meta[1])
                     if meta else []) for field, words in eclauses]
            return hits.article_term_hits(searcher, q, art.text, more)

    def suggest(self, qstring: str, total: int | None = None) -> str | None:
        """A corrected query that finds more, or None."""
        with self._lock:
            def count(q: str) -> int:
                return hits.count(self._s(), self._query(q)[0])

            return qs.suggest(qstring, self._whoosh().vocab(), count, total)

    def similar(self, ref: str, limit: int = 10) -> list[SearchHit]:
        """Articles most like this one (Whoosh's more-like-this over body terms)."""
        with self._lock:
            art = self.get(ref)
            return hits.similar(self._s(), art, limit, self._snap.store.body)

    # ------------------------------------------------------------------ diff
    def diff(self, ref_a: str | Article, ref_b: str | Article, entities: bool = True,
             extract_here: bool = True,
             annotations: tuple[Annotations, Annotations] | None = None) -> DiffResult:
        """What changed from one article to another (any two, not only
        versions): aligned sentences, word-level changes, the spin report.
        With ``entities``, the entity and quote changes too, from
        ``annotations`` when the caller has them, else extracted (see
        :meth:`annotations`) unless cached.

        Its ``similarity`` is the pair's one figure: for two versions, the
        one their family holds (the same aligner, with the sentences the
        corpus shares as boilerplate left out, see index.versions), so the
        versions dialog, ``variorum versions`` and the diff agree."""
        a = ref_a if isinstance(ref_a, Article) else self.get(ref_a)
        b = ref_b if isinstance(ref_b, Article) else self.get(ref_b)
        if entities:
            annotations = annotations or (self.annotations(a, extract_here=extract_here),
                                          self.annotations(b, extract_here=extract_here))
        with self._lock:  # (the store alone: a diff never needs Whoosh)
            pair = self._snap.open().version_pair(a.id, b.id)
        return diff_mod.diff_articles(a, b, annotations if entities else None,
                                      similarity=None if pair is None else pair[3])

    # -------------------------------------------------------------- entities
    @property
    def extractor_choice(self) -> ents_mod.ExtractorChoice:
        """The entity extractor this corpus uses (known without loading it)."""
        return ents_mod.choose_extractor(self.ner)

    def annotations(self, ref: str | Article, cancel: Callable[[], bool] | None = None,
                    extract_here: bool = True) -> Annotations:
        """An article's entities and quotes: from the cache, else extracted
        now and cached. Extraction runs in this thread, or with
        ``extract_here=False`` in the corpus's extraction worker (the reader's
        choice: its own process never runs NER), where ``cancel()`` stops the
        wait (:class:`index.errors.Cancelled`) and a worker that died raises
        :class:`index.errors.WorkerDied` (the next call starts another)."""
        art = ref if isinstance(ref, Article) else self.get(ref)
        got = self.cached_annotations(art)
        if got is not None:
            return got
        choice = self.extractor_choice
        worker = None if extract_here else self._extraction_worker()
        # outside the lock: loading a model takes a second
        e, q = ann.extract_one(choice, art.text, worker, cancel=cancel)
        self._save_annotations(art, e, q)
        return Annotations.of(art.id, choice.name, e, q)

    def cached_annotations(self, ref: str | Article) -> Annotations | None:
        """An article's stored entities and quotes, or None if not extracted yet."""
        with self._lock:
            art = ref if isinstance(ref, Article) else self.get(ref)
            choice = self.extractor_choice
            z = ann.stored(self.store, art.id, choice)
        return ann.as_annotations(art.id, choice, z)

    def _save_annotations(self, art: Article, e: list[Entity], q: list[Quote]) -> None:
        with self._lock:
            ann.save(self.store, self._writable(), art.id, self.extractor_choice, e, q)

    def _writable(self) -> Store | None:
        """A writable connection to the store, for caching annotations (None
        where the index cannot be written: then nothing is cached)."""
        if self._wstore is None:
            try:
                self._wstore = Store(self.index_dir / STORE_FILE)
            except Exception:
                return None
        return self._wstore

    def update_entities(self, progress: Callable[[str, int, int], None] | None = None,
                        cancel: Callable[[], bool] | None = None, procs: int | None = None,
                        first: list[str] | None = None,
                        extract_here: bool = True) -> EntitiesReport:
        """Extract the entities and quotes of every article not done yet
        (the pipeline's "entities" phase alone; ``first``: article ids to do
        before the others). Each finished chunk is stored at once, so a
        cancelled run resumes."""
        return pipeline.update(self, ("entities",), progress=progress, cancel=cancel,
                               procs=procs, first=first, extract_here=extract_here).entities

    def _hashes_of(self, ids: list[str]) -> list[str]:
        """The body hashes of the articles ``ids`` (unknown ones left out)."""
        if not ids:
            return []
        with self._lock:
            return self.store.hashes_of(ids)

    def needs_entities(self, qstring: str) -> bool:
        """Whether a query searches entities (``person:``, ``org:``, …)."""
        with self._lock:
            return qs.has_entity_fields(qs.parse(qstring, self._whoosh().open().schema))

    def entity_coverage(self) -> tuple[int, int]:
        """(articles with entities extracted, articles)."""
        with self._lock:
            return self.store.annotation_coverage(ann.cache_key(self.extractor_choice))

    # -------------------------------------------------------------- versions
    def families(self) -> list[Family]:
        """Every version family, largest first."""
        with self._lock:  # (the store alone: families never need Whoosh)
            store = self._snap.open()
            rows, articles = store.version_pairs(), store.paired_articles()
        return vers.assemble(rows, articles)

    def family_of(self, ref: str) -> Family | None:
        """The family an article belongs to, or None when it has no versions."""
        with self._lock:
            id_ = self.resolve(ref)
        return vers.family_with(self.families(), id_)

    def outlets(self, progress: Callable[[str, int, int], None] | None = None,
                cancel: Callable[[], bool] | None = None, procs: int | None = None,
                spin: bool = True) -> OutletsReport:
        """Who republishes whom (:mod:`index.outlets`). With ``spin``, the
        rewrites' spin counts not stored yet are found first (the pipeline's
        "spin" phase: their entities and quotes, then a diff each; cancelled,
        the table says how many are unchecked). An index that cannot be
        written is read as it is."""
        if spin and self._writable() is not None:
            pipeline.update(self, ("spin",), progress=progress, cancel=cancel, procs=procs)
        with self._lock:  # the reads; the families are assembled after (seconds at 100k)
            store = self._snap.open()
            rows, articles = store.version_pairs(), store.paired_articles()
            hashes = store.hash_by_id(a.id for a in articles)
            counts = store.spin_counts(ann.cache_key(self.extractor_choice))
        return outlets_mod.table(vers.assemble(rows, articles), hashes, counts)

    def version_counts(self) -> dict[str, int]:
        """Article id -> number of other versions it has (articles with none left out)."""
        return vers.version_counts(self.families())
