"""Every use of Whoosh's private API, in one module.

whoosh-reloaded 2.7.5 is pinned; what here relies on its internals is
checked against Whoosh's own code paths by tests/test_indexer.py (segments
byte for byte, generations, strays) and tests/test_search.py (hits and
counts of every build of a corpus).

- **Bulk writing** (:class:`BulkSegmentWriter`). Whoosh 2.7's
  ``SegmentWriter`` spends most of a bulk build on per-posting bookkeeping.
  Two of its costs are avoidable without changing anything a reader sees
  (the segment files are byte-for-byte what Whoosh would write for the same
  postings): finishing a segment asks the length column for every posting's
  document length (a seek and a read each time), here each field's lengths
  are read once into a list; the posting pool re-checks types and sizes
  each posting with asserts and a long sum, here a flat estimate does, and
  runs still spill to disk at the memory limit.
- **Writers** the indexer drives step by step: workers' writers that write
  a segment and no TOC, the parent's writer that takes the lock itself and
  commits a TOC without deleting the previous generation's files.
- **Generations**: the latest one on disk, one generation opened as it was,
  the files no generation needs.
- **Matching and scoring**: a filter matcher that skips to quality without
  stopping on an excluded document, BM25F's field lengths read once a
  segment.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from whoosh import index
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.matching import FilterMatcher, ListMatcher, NullMatcher
from whoosh.writing import PostingPool, SegmentWriter

from . import whoosh_files
from .whoosh_files import INDEX_NAME


# ------------------------------------------------------------- bulk writing
class LeanPostingPool(PostingPool):
    def add(self, item):
        self.fieldnames.add(item[0])
        self.currentsize += 160 + len(item[1]) * 2 + len(item[4] or b"")
        if self.currentsize > self.limit:
            self.save()
        self.current.append(item)


class _FieldLengths:
    """``doc_field_length`` answered from one pass over each length column."""

    def __init__(self, pdr, doccount: int):
        self._pdr = pdr
        self._n = doccount
        self._cache: dict[str, list[int]] = {}

    def doc_field_length(self, docnum, fieldname, default=0):
        lengths = self._cache.get(fieldname)
        if lengths is None:
            dfl = self._pdr.doc_field_length
            lengths = self._cache[fieldname] = [dfl(d, fieldname) for d in range(self._n)]
        return lengths[docnum]


class BulkSegmentWriter(SegmentWriter):
    def __init__(self, ix, **kwargs):
        # Level-1 zlib for posting blocks: readers decompress any level.
        kwargs.setdefault("codec", W3Codec(compression=1))
        super().__init__(ix, **kwargs)
        self.pool = LeanPostingPool(
            self._tempstorage, self.newsegment, limitmb=kwargs.get("limitmb", 128)
        )

    def _flush_segment(self):
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        lengths = _FieldLengths(pdr, self.docnum) if pdr is not None else None
        self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if pdr is not None:
            pdr.close()


def bulk_writer(ix: index.Index, limitmb: int, compound: bool) -> BulkSegmentWriter:
    """A worker's writer: no lock taken (the parent holds the index's write
    lock), its segment handed back by :func:`finish_segment`."""
    return BulkSegmentWriter(ix, _lk=False, limitmb=limitmb, compound=compound)


def finish_segment(writer: SegmentWriter):
    """Write a worker's segment and return it, for the parent's TOC."""
    return writer._finalize_segment()


def drop(writer: SegmentWriter) -> None:
    """Give up a worker's writer without ``cancel()``.

    Whoosh's ``cancel()`` deletes the writer's temp folder (``MAIN.tmp``), and
    every writer of an index shares that folder: the parent's writer keeps its
    column file there until it commits, so a worker that found nothing to add
    (a touched file, a run that only deletes) made the parent's commit fail.
    """
    try:
        writer._close_segment()
    finally:
        writer.is_closed = True


# ------------------------------------------------------------------ writers
def open_writer(ix: index.Index, compound: bool) -> SegmentWriter | None:
    """A writer holding the index's write lock (None when another holds it).
    The lock is taken here, not by ``SegmentWriter``: when its constructor
    fails after locking (a full disk as it creates the new segment's files),
    it keeps the lock, in a writer nobody can release it from, for as long as
    this process lives."""
    lock = ix.lock("WRITELOCK")
    if not lock.acquire():
        return None
    try:
        writer = SegmentWriter(ix, _lk=False, compound=compound)
    except BaseException:
        lock.release()
        raise
    writer.writelock = lock  # released by the writer's _finish(), or by abort()
    return writer


def abort(writer: SegmentWriter) -> None:
    """Give up a write and always release the lock.

    Whoosh 2.7's ``commit()`` leaves the write lock held when it raises; a
    writer that failed must never keep the index locked. Segment files the
    workers wrote are not in any TOC; Whoosh's ``clean_files`` removes them at
    the next commit.
    """
    try:
        if not writer.is_closed:
            writer.cancel()
    except Exception:
        pass
    finally:
        lock = getattr(writer, "writelock", None)
        if lock is not None:
            try:
                lock.release()
            except Exception:
                pass


def commit_keeping_previous(writer: SegmentWriter, added: list) -> list:
    """Commit ``writer`` with the segments ``added`` (the workers'): its
    merges, its own segment, and the new generation's TOC, without Whoosh's
    clean-up (``_commit_toc`` deletes the previous generation's files at
    once): readers keep opening the previous generation until the store
    names this one. Returns the new generation's segments (for
    ``whoosh.index.clean_files`` once the store does)."""
    segments = writer._merge_segments(None, None, None)
    segments += added
    if writer._added:  # the merge policy merged small segments into this writer
        segments.append(writer._finalize_segment())
    else:
        writer._close_segment()
    index.TOC(writer.schema, segments, writer.generation).write(
        writer.storage, writer.indexname)
    writer._finish()
    return segments


# -------------------------------------------------------------- generations
class GenerationIndex(index.FileIndex):
    """One generation of a Whoosh index, its TOC read once: neither a later
    commit nor the deletion of this generation's TOC changes what it reads
    (``FileIndex`` reads the latest TOC again at every use)."""

    def __init__(self, storage, toc: index.TOC):
        self.storage, self.indexname, self._schema = storage, INDEX_NAME, None
        self._toc = toc

    def _read_toc(self) -> index.TOC:
        return self._toc

    def latest_generation(self) -> int:
        return self._toc.generation


def latest_generation(wdir: Path) -> int:
    """The newest Whoosh generation on disk in ``wdir`` (-1 when there is none)."""
    return index.TOC._latest_generation(FileStorage(str(wdir)), INDEX_NAME)


def open_generation(wdir: Path, generation: int, schema) -> index.Index:
    """The Whoosh index in ``wdir`` as it was at ``generation``, read with
    ``schema``. Raises FileNotFoundError when that generation's files are
    gone."""
    storage = FileStorage(str(wdir), readonly=True)
    return GenerationIndex(storage, index.TOC.read(storage, INDEX_NAME, gen=generation,
                                                   schema=schema))


def remove_strays(wdir: Path, keep: int | None, schema) -> tuple[int, set[str]] | None:
    """Delete every Whoosh file that no generation but ``keep`` (the one the
    store names; the latest when it names none) needs: what a killed or failed
    run wrote (its workers' segments, a TOC the store never recorded, a half
    written TOC, spilled posting pools) and what a run removed too late to
    delete. Only under the update lock: no writer is running. Returns the
    generation kept and its segments' ids (None: there is none)."""
    storage = FileStorage(str(wdir))
    latest = index.TOC._latest_generation(storage, INDEX_NAME)
    if keep is None or not storage.file_exists(index.TOC._filename(INDEX_NAME, keep)):
        keep = latest  # an index from before the store named it (or a damaged one)
    if keep < 0:
        return None
    kept = index.TOC.read(storage, INDEX_NAME, gen=keep, schema=schema)
    live = {s.segment_id() for s in kept.segments}
    for name in whoosh_files.strays(os.listdir(wdir), keep, live):
        if name == whoosh_files.TEMP_DIR:
            shutil.rmtree(wdir / name, ignore_errors=True)  # writers' temp storage
        else:
            _unlink(wdir / name)
    return keep, live


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


# ---------------------------------------------------- matching and scoring
class ExcludingMatcher(FilterMatcher):
    """The documents of a matcher that are not in a set."""

    def __init__(self, child, ids, exclude=True, boost=1.0):
        super().__init__(child, ids, exclude=True, boost=boost)

    def skip_to_quality(self, minquality):
        # FilterMatcher leaves this to the child, which may stop on an excluded document.
        skipped = self.child.skip_to_quality(minquality / self.boost)
        self._find_next()
        return skipped


def read_lengths_once(scorer, reader, fieldname: str) -> None:
    """Make a BM25F ``scorer`` read document lengths of ``fieldname`` from a
    list made once per segment (cached on the segment's ``reader``), not
    from the lengths column (a seek and a read) for every document."""
    scorer.dfl = field_lengths(reader, fieldname).__getitem__


def field_lengths(reader, fieldname: str) -> list[int]:
    """Every document's length of ``fieldname`` in one segment (cached on the reader)."""
    cache = reader.__dict__.setdefault("_variorum_lengths", {})
    got = cache.get(fieldname)
    if got is None:
        dfl = reader.doc_field_length
        got = cache[fieldname] = [dfl(d, fieldname, 1) for d in range(reader.doc_count_all())]
    return got


class DocSetQuery(wq.Query):
    """The articles ``ids``, matched in each segment as one sorted list of
    its document numbers (a constant weight): what a set clause (an entity,
    ``has:``, ``kind:``, ``lang:``) becomes. An ``Or`` of one id term an
    article made one term matcher each, united in a heap: 4.1 s for 20k
    articles (issue 15). The numbers come from a map of the segment's ids,
    made once per segment reader (cached on it) from its stored fields."""

    def __init__(self, ids, boost: float = 1.0):
        self.ids = frozenset(ids)
        self.boost = boost

    def __repr__(self) -> str:
        return f"DocSetQuery({len(self.ids)} ids)"

    def __eq__(self, other) -> bool:
        return (type(other) is DocSetQuery and self.ids == other.ids
                and self.boost == other.boost)

    def __hash__(self) -> int:
        return hash((DocSetQuery, self.ids, self.boost))

    def estimate_size(self, ixreader) -> int:
        return len(self.ids)

    def matcher(self, searcher, context=None):
        docnums = docnums_of(searcher.reader(), self.ids)
        return ListMatcher(docnums, all_weights=self.boost) if docnums else NullMatcher()


def docnums_of(reader, ids) -> list[int]:
    """The sorted document numbers of the live documents among ``ids`` in a
    segment's ``reader`` (a multi-segment reader's leaves are searched one by
    one: Whoosh asks a query for each leaf's matcher)."""
    by_id = reader.__dict__.get("_variorum_docnums")
    if by_id is None:
        by_id = reader.__dict__["_variorum_docnums"] = {
            fields["id"]: n for n, fields in reader.iter_docs()}
    return sorted(n for i in ids if (n := by_id.get(i)) is not None)
