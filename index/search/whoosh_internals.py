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
  are read once into a list; the posting pool keeps a tuple a posting and
  sorts them all (past its memory limit, through runs of pickled postings
  and a heap merge), here a term's postings are packed in one buffer as
  they come, in order already, and only the terms are sorted
  (:class:`TermPool`).
- **Writers** the indexer drives step by step: workers' writers that write
  a segment and no TOC, the parent's writer that takes the lock itself and
  commits a TOC without deleting the previous generation's files.
- **Generations**: the latest one on disk, one generation opened as it was,
  the files no generation needs.
- **Matching and scoring**: BM25F's field lengths read once a segment.
- **Bulk scoring**: a query's matcher tree read as arrays (each word's
  posting blocks, its values not loaded), its scores computed with numpy in
  Whoosh's float operations and order (:func:`matcher_arrays`).
"""

from __future__ import annotations

import bisect
import heapq
import marshal
import os
import shutil
import struct
from array import array
from pathlib import Path

from whoosh import index, scoring
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3LeafMatcher
from whoosh.filedb.filestore import FileStorage
from whoosh.matching import (
    AndMaybeMatcher,
    ArrayUnionMatcher,
    FilterMatcher,
    IntersectionMatcher,
    ListMatcher,
    NullMatcher,
    RequireMatcher,
    UnionMatcher,
    WrappingMatcher,
)
from whoosh.query.spans import SpanNear2
from whoosh.writing import PostingPool, SegmentWriter

from . import whoosh_files
from .whoosh_files import INDEX_NAME

# ------------------------------------------------------------- bulk writing
_POSTING = struct.Struct("<IdI")  # docnum, weight, length of the value
_NO_VALUE = 0xFFFFFFFF  # (a posting without a value: None, not b"")


class TermPool(PostingPool):
    """Whoosh's posting pool, with postings grouped by term as they come.

    Whoosh's pool keeps one tuple a posting (about 170 bytes), sorts them all
    at the end and, past its memory limit, pickles every posting to a run file
    and reads it back through a heap merge: at 100k articles half a bulk
    build was that external sort (issue 15). A document's postings arrive in
    document order, so each term's postings are already sorted: here they are
    packed into one buffer a term (16 bytes a posting plus its value), only
    the terms are sorted, and a run past the limit is one record a term,
    merged term by term. The items come out in exactly the order Whoosh's
    pool gives (field, term, then document), so the segment is the same.
    """

    def __init__(self, tempstore, segment, limitmb=128, **kwargs):
        super().__init__(tempstore, segment, limitmb=limitmb, **kwargs)
        self._terms: dict[tuple[str, bytes], bytearray] = {}
        self._last = -1
        self._in_order = True  # every posting's document >= the one before

    def add(self, item):
        fieldname, tbytes, docnum, weight, vbytes = item
        key = (fieldname, tbytes)
        buf = self._terms.get(key)
        if buf is None:
            buf = self._terms[key] = bytearray()
            self.fieldnames.add(fieldname)
            self.currentsize += 120 + len(tbytes)
        if vbytes is None:
            buf += _POSTING.pack(docnum, weight, _NO_VALUE)
        else:
            buf += _POSTING.pack(docnum, weight, len(vbytes))
            buf += vbytes
            self.currentsize += len(vbytes)
        self.currentsize += _POSTING.size
        if docnum < self._last:
            self._in_order = False  # (not a bulk build: each term sorted at the end)
        self._last = docnum
        if self.currentsize > self.limit:
            self.save()

    def save(self):
        """Write the terms held so far as a run: one record a term, in order."""
        if not self._terms:
            return
        path, f = self._new_run()
        try:
            for key in sorted(self._terms):
                marshal.dump((key, bytes(self._terms[key])), f)
        finally:
            f.close()
        self.runs.append(path)
        self._terms = {}
        self.currentsize = 0

    def _read(self, n: int, path: str):
        f = self._open_run(path)
        try:
            while True:
                try:
                    key, blob = marshal.load(f)
                except EOFError:
                    return
                yield key, n, blob
        finally:
            f.close()
            self._remove_run(path)

    def _groups(self):
        """(key, its postings' bytes) in key order, runs joined in the order
        they were written (so each term's documents stay in order)."""
        if not self.runs:
            for key in sorted(self._terms):
                yield key, bytes(self._terms[key])
            return
        self.save()
        runs, self.runs = self.runs, []
        key, parts = None, []
        for k, _n, blob in heapq.merge(*(self._read(n, p) for n, p in enumerate(runs))):
            if k != key and parts:
                yield key, b"".join(parts)
                parts = []
            key = k
            parts.append(blob)
        if parts:
            yield key, b"".join(parts)

    @property
    def by_term(self) -> bool:
        """Whether :meth:`terms` may be used: every term's postings in
        document order (a bulk build's are)."""
        return self._in_order

    def terms(self):
        """``((fieldname, tbytes), docnums, weights, values)`` a term, in
        order (only when :attr:`by_term`)."""
        unpack, size = _POSTING.unpack_from, _POSTING.size
        for key, blob in self._groups():
            docs, weights, values = [], [], []
            at, end = 0, len(blob)
            while at < end:
                docnum, weight, n = unpack(blob, at)
                at += size
                docs.append(docnum)
                weights.append(weight)
                if n == _NO_VALUE:
                    values.append(None)
                else:
                    values.append(blob[at:at + n])
                    at += n
            yield key, docs, weights, values

    def iter_postings(self):
        for (fieldname, tbytes), docs, weights, values in self.terms():
            items = [(fieldname, tbytes, d, w, v)
                     for d, w, v in zip(docs, weights, values, strict=True)]
            if not self._in_order:
                items.sort()
            yield from items

    def items(self, maxfiles=128):
        return self.iter_postings()


class _FieldLengths:
    """``doc_field_length`` answered from one pass over each length column."""

    def __init__(self, pdr, doccount: int):
        self._pdr = pdr
        self._n = doccount
        self._cache: dict[str, list[int]] = {}

    def of(self, fieldname: str) -> list[int]:
        """Every document's length in ``fieldname``, by document number."""
        lengths = self._cache.get(fieldname)
        if lengths is None:
            dfl = self._pdr.doc_field_length
            lengths = self._cache[fieldname] = [dfl(d, fieldname) for d in range(self._n)]
        return lengths

    def doc_field_length(self, docnum, fieldname, default=0):
        return self.of(fieldname)[docnum]


class _HashBucket:
    """One of the 256 buckets of Whoosh's terms file writer (``HashWriter``:
    a list of ``(hash, position)`` tuples a bucket, appended to a term at a
    time and read whole once, when the file is closed), its entries kept in
    two arrays: 12 bytes a term instead of ~120 (a tuple and two ints). A
    segment of 50k generated articles has ~360k terms: 43 MB of tuples that
    a worker held through its segment's finish, growing with its articles
    (issue 15). What is written is Whoosh's, byte for byte."""

    __slots__ = ("hashes", "positions")

    def __init__(self) -> None:
        self.hashes = array("I")  # (hashes of 32 bits: struct "!Iq" writes them)
        self.positions = array("q")

    def append(self, entry: tuple[int, int]) -> None:
        self.hashes.append(entry[0])
        self.positions.append(entry[1])

    def __len__(self) -> int:
        return len(self.hashes)

    def __iter__(self):
        return zip(self.hashes, self.positions, strict=True)


class BulkSegmentWriter(SegmentWriter):
    def __init__(self, ix, **kwargs):
        # Level-1 zlib for posting blocks: readers decompress any level.
        kwargs.setdefault("codec", W3Codec(compression=1))
        super().__init__(ix, **kwargs)
        if isinstance(self.fieldwriter, W3FieldWriter):  # (its terms file: see _HashBucket)
            self.fieldwriter._tindex.buckets = [_HashBucket() for _ in range(256)]
        self.pool = TermPool(
            self._tempstorage, self.newsegment, limitmb=kwargs.get("limitmb", 128)
        )

    def _flush_segment(self):
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        lengths = _FieldLengths(pdr, self.docnum) if pdr is not None else None
        if getattr(self.pool, "by_term", False) and isinstance(self.fieldwriter, W3FieldWriter):
            _add_terms(self.fieldwriter, self.schema, lengths, self.pool.terms())
        else:
            self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if pdr is not None:
            pdr.close()


def _add_terms(fw: W3FieldWriter, schema, lengths: _FieldLengths | None, terms) -> None:
    """``FieldWriter.add_postings`` a term at a time: the same calls to the
    field writer, and each block's postings put in its buffers a slice at a
    time, with the statistics ``W3PostingsWriter.add_posting`` keeps
    (maximum weight, shortest and longest document), instead of a call
    with four type checks a posting (a third of a worker's time at 18k
    articles, issue 15). The segment is byte for byte the same (tested)."""
    lastfn = None
    doc_lengths: list[int] | None = None
    for (fieldname, btext), docs, weights, values in terms:
        if fieldname != lastfn:
            if lastfn is not None:
                fw.finish_field()
            fw.start_field(fieldname, schema[fieldname])
            lastfn = fieldname
            doc_lengths = lengths.of(fieldname) if lengths is not None else None
        fw.start_term(btext)
        pw = fw._postwriter
        limit = pw._blocklimit
        i, n = 0, len(docs)
        while i < n:
            if len(pw._ids) >= limit:
                pw._write_block()
            j = min(n, i + limit - len(pw._ids))
            w = weights[i:j]
            pw._ids.extend(docs[i:j])
            pw._weights.extend(w)
            top = max(w)
            if top > pw._maxweight:
                pw._maxweight = top
            pw._values.extend(v for v in values[i:j] if v)
            if doc_lengths is not None:
                ls = [x for x in map(doc_lengths.__getitem__, docs[i:j]) if x]
                if ls:
                    lo, hi = min(ls), max(ls)
                    if pw._minlength is None or lo < pw._minlength:
                        pw._minlength = lo
                    if hi > pw._maxlength:
                        pw._maxlength = hi
            i = j
        fw.finish_term()
    if lastfn is not None:
        fw.finish_field()


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
            (wdir / name).unlink(missing_ok=True)
    return keep, live


# ---------------------------------------------------- matching and scoring
def read_lengths_once(scorer, reader, fieldname: str) -> None:
    """Make a BM25F ``scorer`` read document lengths of ``fieldname`` from a
    list made once per segment (cached on the segment's ``reader``), not
    from the lengths column (a seek and a read) for every document."""
    scorer.dfl = field_lengths(reader, fieldname).__getitem__
    # the same lengths as an array, for scoring a word's postings in bulk
    # (:func:`matcher_arrays`)
    scorer.variorum_lengths = _field_lengths_array(reader, fieldname)


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


def lexicon(reader, fieldname: str) -> list[str]:
    """Every term of ``fieldname`` in ``reader``, sorted (made once per reader,
    cached on it: a searcher's readers live as long as its index generation)."""
    cache = reader.__dict__.setdefault("_variorum_lexicon", {})
    got = cache.get(fieldname)
    if got is None:
        if fieldname not in reader.schema:
            got = []
        elif reader.is_atomic():
            got = [b.decode("utf-8") for b in reader.lexicon(fieldname)]
        else:
            leaves = [lexicon(r, fieldname) for r, _offset in reader.leaf_readers()]
            got = leaves[0] if len(leaves) == 1 else sorted(set().union(*leaves))
        cache[fieldname] = got
    return got


class LexiconFuzzyTerm(wq.FuzzyTerm):
    """A fuzzy term (``goverment~``) whose words are found in the lexicon held
    in memory (:func:`terms_within`): the same words as Whoosh's, without a
    seek and a read of the terms file per step of its automaton."""

    def _btexts(self, ixreader):
        return terms_within(ixreader, self.fieldname, self.text, self.maxdist,
                            self.prefixlength)


def expanded_words(q: wq.MultiTerm, reader) -> list:
    """The words an expanding query (prefix, wildcard, fuzzy term) stands for
    in one segment's reader (Whoosh's private ``MultiTerm._btexts``)."""
    return list(q._btexts(reader))


def terms_within(reader, fieldname: str, text: str, maxdist: int, prefix: int) -> list[str]:
    """The terms of ``fieldname`` within Levenshtein distance ``maxdist`` of
    ``text`` that share its first ``prefix`` characters, in lexicon order:
    the words Whoosh's ``terms_within`` finds (its automaton allows
    insertions, deletions and substitutions; a common prefix does not change
    the distance), from the sorted lexicon in memory with rapidfuzz instead
    of walking the terms file with a DFA, a seek and a read per step (a
    multi-segment reader has no DFA: it computed the distance to every term
    with the prefix in Python). ``goverment~`` took 0.98 s at 100k articles
    (issue 15). A search expands a fuzzy term several times (its hit words,
    each segment's matcher, the count): the last expansions are kept on the
    reader, which lives as long as its index generation."""
    cache = reader.__dict__.setdefault("_variorum_within", {})
    key = (fieldname, text, maxdist, prefix)
    got = cache.get(key)
    if got is None:
        if len(cache) >= _WITHIN_CACHED:
            cache.pop(next(iter(cache)))
        got = cache[key] = _terms_within(reader, fieldname, text, maxdist, prefix)
    return got


_WITHIN_CACHED = 64  # fuzzy expansions kept per reader (a search expands each several times)


def _terms_within(reader, fieldname: str, text: str, maxdist: int, prefix: int) -> list[str]:
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    lex = lexicon(reader, fieldname)
    start = text[:prefix]
    lo = bisect.bisect_left(lex, start)
    hi = bisect.bisect_left(lex, start + "\U0010ffff", lo) if start else len(lex)
    while hi < len(lex) and lex[hi].startswith(start):  # a term with U+10FFFF after the prefix
        hi += 1
    cands = lex[lo:hi]
    found = process.extract(text, cands, scorer=Levenshtein.distance, score_cutoff=int(maxdist),
                            limit=None)
    return [cands[i] for i in sorted(i for _word, _dist, i in found)]


def term_docnums(reader, fieldname: str, text) -> list[int]:
    """The document numbers of a term's postings in one segment's ``reader``,
    deleted documents included, read a block at a time (no matcher stepped
    through document by document, nothing scored)."""
    if (fieldname, text) not in reader:
        return []
    m = reader.postings(fieldname, text)
    if isinstance(m, FilterMatcher):  # the reader's filter of deleted documents
        m = m.child
    return posting_arrays(m, weights=False)[0].tolist()


def phrase_docnums(reader, fieldname: str, words: list[str]) -> set[int]:
    """The document numbers (deleted ones included) of one segment's
    ``reader`` where ``words`` occur at consecutive positions of
    ``fieldname`` (as Whoosh's phrase matches them, slop 1): the documents
    that have every word, by sets of document numbers read a block at a
    time, then each one's positions compared (Whoosh's phrase matcher makes
    a span object per position of every candidate), for counts without
    scores (:func:`index.search.ranking.docnums`)."""
    field = reader.schema[fieldname]
    texts = []
    for w in words:
        try:
            t = field.to_bytes(w)
        except ValueError:
            return set()
        if (fieldname, t) not in reader:
            return set()
        texts.append(t)
    if not texts:
        return set()
    cands = set(term_docnums(reader, fieldname, texts[0]))
    for t in texts[1:]:
        cands.intersection_update(term_docnums(reader, fieldname, t))
    if len(texts) == 1 or not cands:
        return cands
    return consecutive([_unfiltered(reader.postings(fieldname, t)) for t in texts], cands)


def _unfiltered(m):
    """A term's postings without the reader's filter of deleted documents."""
    return m.child if isinstance(m, FilterMatcher) else m


def consecutive(leaves: list, cands: set[int]) -> set[int]:
    """The documents among ``cands`` where the words whose postings are
    ``leaves`` (each a segment's ``W3LeafMatcher``, at any position) occur
    at consecutive positions: Whoosh's phrase (slop 1, in order), whose
    matcher makes a span object per position of every candidate."""
    decode = leaves[0].format.decode_positions
    shifted: dict[int, set[int]] = {}  # docnum -> positions where the phrase so far could start
    for k, m in enumerate(leaves):
        got = {}
        for d, value in _leaf_values(m, cands):
            ps = decode(value)
            if k == 0:
                got[d] = set(ps)
            else:
                starts = shifted.get(d)
                if starts:
                    keep = starts.intersection(p - k for p in ps)
                    if keep:
                        got[d] = keep
        shifted = got
        cands = set(got)
        if not cands:
            break
    return cands


def _leaf_values(m, among: set[int]):
    """``(docnum, value)`` of a term's postings (``m``, from its first
    block) whose document is in ``among``."""
    m.reset()
    while m.is_active():
        if m._ids is None:
            m._read_ids()
        ids = m._ids
        if not among.isdisjoint(ids):
            if m._values is None:
                m._read_values()
            values = m._values
            for i in range(m._i, len(ids)):
                if ids[i] in among:
                    yield ids[i], values[i]
        m._next_block()


def deleted_docnums(reader) -> frozenset[int]:
    """The deleted document numbers of one segment's ``reader``."""
    return reader.deleted_docs_set if reader.has_deletions() else frozenset()


# ------------------------------------------------------------- bulk scoring
#
# A query's matches scored all at once from the posting arrays (issue 15).
# Whoosh scores one document a step: every match of a union or an
# intersection costs a dozen Python calls through the matcher tree (id, score,
# next at each level, the scorer, the collector), which is the whole cost of
# booleans, wildcards and most words. Here the same matcher tree Whoosh would
# step is read instead: each word's postings as arrays (a block at a time, as
# stored), scored with BM25F in numpy, and the tree's unions, intersections
# and filters done as array operations. The float operations are Whoosh's, in
# its order (each node adds its two sides as ``a + b``, a boost multiplies,
# BM25F is evaluated as ``scoring.bm25`` writes it), so every score is equal
# to the one its matcher gives, bit for bit, and the number of matches (the
# exact total) comes for free.


def posting_arrays(m: W3LeafMatcher, weights: bool = True):
    """``(docnums, weights)`` of all of one term's postings in a segment, as
    numpy arrays (int64, float64; weights None when not asked), deleted
    documents included, read from the first block whatever ``m``'s position
    (a parent matcher's constructor may have moved it). A block holds its
    document numbers as differences from the one before (its first from 0),
    its weights as None (all 1.0), one float (all that) or a tuple."""
    import numpy as np

    if m._byteids:  # (a vector's postings; never a field's)
        raise TypeError("postings of byte ids")
    deltas: list[int] = []
    lens: list[int] = []
    ws: list[float] = []
    m.reset()
    while m.is_active():
        n = m._blocklength
        ids, w = _block_ids_weights(m)
        deltas.extend(ids)
        lens.append(n)
        if weights:
            if w is None:
                ws.extend([1.0] * n)
            elif isinstance(w, float):
                ws.extend([w] * n)
            else:
                ws.extend(w)
        m._next_block()
    ids = np.cumsum(np.array(deltas, dtype=np.int64))
    if len(lens) > 1:  # each block counts from 0 again: take back the blocks before it
        ends = np.cumsum(lens)
        ids -= np.repeat(np.concatenate(([0], ids[ends[:-1] - 1])), lens)
    return ids, (np.array(ws, dtype=np.float64) if weights else None)


# The pickle (protocol 2) of a posting block is ``(ids, weights, values)``;
# protocol 2 writes each bytes value as a call of _codecs.encode on a str,
# which is most of the block and 9/10 of the time to load it (and to
# decompress it). The first value's call names that global, which can occur
# nowhere before it: the ids are ints and the weights floats, each an
# upper-case opcode (K, M, J, G) followed by at most 8 bytes of its own, and
# the name has no upper-case letter. So the block is decompressed only as far
# as that name, and the ids and weights loaded as a pickle of two.
_VALUES_START = b"c_codecs\nencode\n"
_MARK = 0x28  # "(": a tuple of more than 3 items starts with it (protocol 2)
# An id takes 2 to 5 bytes of the pickle, a weight 9: a block is decompressed
# this far first (most blocks' ids and weights are whole then), then on.
_BYTES_A_POSTING = 12


def _block_ids_weights(m: W3LeafMatcher):
    """The current block's raw ids (differences) and weights, without its
    values (see ``_VALUES_START``); the whole block's where its values are
    not bytes."""
    import pickle
    import zlib

    b = m._postfile.get(m._dataoffset, m._nextoffset - m._dataoffset)
    n = m._blocklength
    if m._compression:
        raw, d = b, zlib.decompressobj()
        b = d.decompress(raw, _BYTES_A_POSTING * n + 64)
        while b.find(_VALUES_START) < 0 and d.unconsumed_tail:
            b += d.decompress(d.unconsumed_tail, 4096)
    at = b.find(_VALUES_START)
    if n > 3:
        at -= 1  # the values' tuple's mark
    if at > 0 and (n <= 3 or b[at] == _MARK):
        ids, w = pickle.loads(b[:at] + b"\x86.")  # ids, weights, TUPLE2, STOP
        if len(ids) == n:
            return ids, w
    if m._data is None:
        m._read_data()
    return m._data[0], m._data[1]


def _field_lengths_array(reader, fieldname: str):
    """:func:`field_lengths` as a numpy array (cached on the reader)."""
    import numpy as np

    cache = reader.__dict__.setdefault("_variorum_lengths_np", {})
    got = cache.get(fieldname)
    if got is None:
        # (a document without the field has None, which no match of it has:
        # NaN here; as floats, the lengths' products are the same as of ints)
        got = cache[fieldname] = np.array(
            [np.nan if x is None else x for x in field_lengths(reader, fieldname)],
            dtype=np.float64)
    return got


def _leaf_arrays(m: W3LeafMatcher):
    """One word's matches and BM25F scores in a segment (its scorer a BM25F
    one whose lengths :func:`read_lengths_once` set up)."""
    sc = m.scorer
    ids, tf = posting_arrays(m)
    fl = sc.variorum_lengths[ids]
    idf, avgfl, B, K1 = sc.idf, sc.avgfl, sc.B, sc.K1
    # scoring.bm25, operation for operation (numpy does each elementwise, in
    # IEEE double precision as Python does; nothing fused)
    return ids, idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))


def matcher_arrays(m):
    """``(docnums, scores)`` of every match of the matcher ``m`` (a
    segment's, as its query made it), sorted by document number: what
    stepping ``m`` and asking each match's ``score()`` gives, computed on
    arrays where the node is one whose stepping is known (see the section's
    comment). A node of another kind (a phrase with slop, a range of dates) is stepped
    as a collector steps it, from where it is: a fresh matcher is at its
    first match, and a parent that moved it on (an intersection, a filter)
    moved it only past documents the parent does not match."""
    import numpy as np

    t = type(m)
    if t is W3LeafMatcher and _in_bulk(m):
        return _leaf_arrays(m)
    if t is WrappingMatcher:
        ids, s = matcher_arrays(m.child)
        return ids, s * m.boost
    if isinstance(m, FilterMatcher):  # a segment's deletions, an excluded set (query.py)
        ids, s = matcher_arrays(m.child)
        keep = np.isin(ids, np.fromiter(m._ids, dtype=np.int64, count=len(m._ids)),
                       invert=m._exclude)
        return ids[keep], s[keep] * m.boost
    if t is UnionMatcher:
        ia, sa = matcher_arrays(m.a)
        ib, sb = matcher_arrays(m.b)
        ids = np.union1d(ia, ib)
        s = np.zeros(len(ids))
        s[np.searchsorted(ids, ia)] = sa
        s[np.searchsorted(ids, ib)] += sb  # 0.0 + b is b; where both, a + b
        return ids, s
    if t is IntersectionMatcher or t is RequireMatcher:
        ia, sa = matcher_arrays(m.a)
        ib, sb = matcher_arrays(m.b)
        ids, ka, kb = np.intersect1d(ia, ib, assume_unique=True, return_indices=True)
        return ids, (sa[ka] + sb[kb] if t is IntersectionMatcher else sa[ka])
    if t is AndMaybeMatcher:
        ia, sa = matcher_arrays(m.a)
        ib, sb = matcher_arrays(m.b)
        _both, ka, kb = np.intersect1d(ia, ib, assume_unique=True, return_indices=True)
        s = sa.copy()
        s[ka] = sa[ka] + sb[kb]
        return ia, s
    if t is ArrayUnionMatcher and _in_bulk(m):  # an Or of many words in a small segment
        parts = [matcher_arrays(sub) for sub in m._submatchers]
        ids = np.unique(np.concatenate([p[0] for p in parts]))
        s = np.zeros(len(ids))
        boost = m._boost
        for pi, ps in parts:  # its sum: each one's score x boost, in turn
            s[np.searchsorted(ids, pi)] += ps * boost
        keep = s > 0  # it returns no document whose sum is 0
        return ids[keep], s[keep]
    if t is _PHRASE and _in_bulk(m):
        # a phrase's score is its words' (the intersection under it), where
        # they are consecutive; which is where they are is :func:`consecutive`
        ids, s = matcher_arrays(m.child)
        found = consecutive([_leaf(w) for w in m.ms], set(ids.tolist()))
        keep = np.isin(ids, np.fromiter(found, dtype=np.int64, count=len(found)))
        return ids[keep], s[keep] * m.boost
    if t is ListMatcher and m._scorer is None:  # a set clause (DocSetQuery), from its start
        ids = np.array(m._ids, dtype=np.int64)
        if m._all_weights:  # (its weight() and so its score, as Whoosh tests them)
            return ids, np.full(len(ids), float(m._all_weights))
        if m._weights:
            return ids, np.array(m._weights, dtype=np.float64)
        return ids, np.ones(len(ids))
    if m is NullMatcher or isinstance(m, type(NullMatcher)):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    if hasattr(m, "matched_arrays"):  # a matcher of ours that can (query._Complement)
        return m.matched_arrays()
    ids, scores = [], []
    while m.is_active():
        ids.append(m.id())
        scores.append(m.score())
        m.next()
    return np.array(ids, dtype=np.int64), np.array(scores, dtype=np.float64)


_PHRASE = SpanNear2.SpanNear2Matcher


def _leaf(m):
    """A word's ``W3LeafMatcher`` under the reader's filter of deleted
    documents, if ``m`` is one word's postings (else None)."""
    m = _unfiltered(m) if type(m) is FilterMatcher else m
    return m if type(m) is W3LeafMatcher else None


def _in_bulk(m) -> bool:
    """Whether :func:`matcher_arrays` reads all of ``m``'s matches from
    arrays, wherever ``m`` and the matchers under it are: an array union
    (Whoosh's Or in a small segment) steps its words through its first 2,048
    documents as it is made, so it is read in bulk only when all under it
    are (otherwise it is stepped on from there, as Whoosh does)."""
    t = type(m)
    if t is W3LeafMatcher:
        sc = m.scorer
        return type(sc) is scoring.BM25FScorer and hasattr(sc, "variorum_lengths")
    if t is WrappingMatcher or isinstance(m, FilterMatcher):
        return _in_bulk(m.child)
    if t in (UnionMatcher, IntersectionMatcher, RequireMatcher, AndMaybeMatcher):
        return _in_bulk(m.a) and _in_bulk(m.b)
    if t is ArrayUnionMatcher:
        return m._scored and all(_in_bulk(sub) for sub in m._submatchers)
    if t is ListMatcher:
        return m._scorer is None
    if t is _PHRASE:  # Whoosh's phrase: words at consecutive positions, in order
        return (m.slop == 1 and m.ordered and m.mindist == 1 and len(m.ms) > 1
                and type(m.child) is IntersectionMatcher
                and all(_leaf(w) is not None and _in_bulk(w) for w in m.ms))
    return m is NullMatcher or isinstance(m, type(NullMatcher)) or hasattr(m, "matched_arrays")
