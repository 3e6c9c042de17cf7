"""Building and incrementally updating a corpus index.

An index directory holds a Whoosh index (``whoosh/``) and a SQLite store
(``store.sqlite``, see :mod:`index.store.db`). One run:

1. scans the corpus and compares size/mtime with the manifest: unchanged files
   are not opened, so re-indexing an unchanged corpus costs a directory walk;
2. reads new and changed files in chunks (:mod:`index.jobs`: in worker
   processes when there are enough; a big web archive in pieces, one a
   worker), each chunk written into a Whoosh segment of its own, its bodies
   and vocabulary computed as it goes;
3. deletes the documents of changed/deleted files, adds the workers' segments
   and writes the new Whoosh TOC (a new generation), leaving the previous
   generation's files in place;
4. records the run in the store in one transaction, with the Whoosh
   generation it matches: the one atomic step. Readers open the generation
   the store names (:func:`open_generation`), so until this commit they see
   the previous index, whole, and after it the new one, whole;
5. deletes the files of every other generation.

A first index of a big corpus does steps 2-5 twice: for its first few hundred
files (so that readers list them at once), then for the rest.

A run killed anywhere leaves the previous pair of store and generation; the
next run first deletes whatever the killed one wrote (files of no generation
the store names: segments, a TOC the store never recorded, temp files) and
then does the work again.
"""

from __future__ import annotations

import errno
import fcntl
import gc
import heapq
import marshal
import math
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from functools import partial
from itertools import chain, groupby
from operator import attrgetter, itemgetter
from pathlib import Path

from .. import jobs
from .._lazy import lazy
from ..errors import Cancelled, CorpusError, DiskFullError, IndexBusyError
from ..ingest import (
    ARCHIVES,
    FileEntry,
    content_hash,
    entries_of,
    file_kind,
    read_file,
    shown_name,
    walk,
    walk_bytes,
    walk_digest,
)
from ..models import Article, ArticleMeta, Skipped, UpdateReport
from ..store.db import STORE_FILE, Store, compress
from ..text.tokens import spellable, spelling_words, term_positions
from . import whoosh_files

# Whoosh is loaded on first use: an unchanged re-index does not (see
# _no_strays; it was a third of one at 18k articles, issue 15).
index = lazy("whoosh.index")
wi = lazy("index.search.whoosh_internals")
_schema = lazy("index.search.schema")


def schema():
    """The index's schema (:func:`index.search.schema.schema`)."""
    return _schema.schema()

WHOOSH_DIR = "whoosh"
LOCK_FILE = "update.lock"
# Files worth a worker's start: the indexer's unit of work for the one rule
# of where work runs (index.jobs). A run that goes to workers deals its files
# into CHUNKS_PER_WORKER chunks a worker, each written as a Whoosh segment of
# its own: more segments made the index bigger (8 instead of 2 for 10,000
# articles: +20%) and every search slower until a later run merged them,
# for a progress that moves a chunk at a time.
FILES_PER_CHUNK = 100
CHUNKS_PER_WORKER = 1
# The fewest files read in workers (what the rule comes to here; tests size
# their corpora by it).
PARALLEL_MIN_FILES = FILES_PER_CHUNK * (jobs.PARALLEL_MIN_CHUNKS - 1) + 1
# A first index of a big corpus commits its first files on their own (read
# here: fewer than a pool's worth), so a reader lists them within seconds
# instead of when the whole corpus is read (15-30 s for a few thousand).
FIRST_BATCH = 200
FIRST_BATCH_MIN_FILES = 1000
# A worker's posting pool (whoosh_internals.TermPool: about the postings'
# own size, 16 bytes each plus positions). Past it the pool spills a run, one
# record a term, cheap to merge: what bounds a worker's memory as N grows.
# (Whoosh's own pool held ~170 bytes a posting and spilled them one by one
# through pickle and a heap merge: at 18,243 articles a worker took 719 MB
# and 90 s of CPU with a 512 MB limit; the term pool 204 MB and 53 s.)
# The count is the postings' bytes; a worker's resident memory is about 1.6
# times it (each term's buffer grows by reallocation, and the freed blocks
# stay with the process), plus its caches and vocabulary. One worker's
# segment of 40,000 generated articles (bench_segment.py): 256 MB, a peak of
# 457 MB and one run, 117 s of CPU; 32 MB, 180 MB and ten runs, 106 s (the
# runs are merged a term at a time). Two workers of 50k articles at 256 MB were
# most of a 1,078 MB tree at 100k articles (issue 15). A run file is open
# for each spill as the runs are merged: ~12 for 50k articles a worker.
WORKER_LIMIT_MB = 32
# A web archive holds many pages in one file: a big one counts as a unit of
# work for each of these many bytes (a file of 100 pages is ~250 KiB as
# .warc.gz), and a run with workers reads it in pieces, one a worker (each
# passes over all its records and extracts its share of the pages: see
# ingest.read_file), instead of one worker parsing all its pages.
ARCHIVE_BYTES_PER_UNIT = 1 << 20


def open_index(index_dir: Path, create: bool = False) -> index.Index | None:
    """The Whoosh index at its latest generation (what the writer builds on)."""
    wdir = index_dir / WHOOSH_DIR
    if _exists_in(wdir):
        return _open_dir(wdir)
    if not create:
        return None
    wdir.mkdir(parents=True, exist_ok=True)
    return index.create_in(wdir, schema())


def _open_dir(wdir: Path) -> index.FileIndex:
    """The Whoosh index in ``wdir``, read with the schema this code defines.

    Whoosh pickles the schema into each generation's TOC, naming its classes
    by the module that defines them; read back, an index written before one
    of them moved (``index.analysis`` became ``index.search.schema``) would
    not open. The schema is the code's, and has not changed since the first
    index: the TOC's copy is never read."""
    return index.open_dir(str(wdir), schema=schema())


def _exists_in(wdir: Path) -> bool:
    """``whoosh.index.exists_in``, reading the TOC as :func:`_open_dir` does."""
    if os.path.exists(wdir):
        try:
            return _open_dir(wdir).latest_generation() > -1
        except index.EmptyIndexError:
            pass
    return False


def latest_generation(index_dir: Path) -> int:
    """The newest Whoosh generation on disk (-1 when there is none)."""
    return wi.latest_generation(index_dir / WHOOSH_DIR)


def open_generation(index_dir: Path, generation: int) -> index.Index:
    """The Whoosh index as it was at ``generation`` (the one the store names).
    Raises FileNotFoundError when that generation's files are gone: an update
    has moved the store on since it was read, and removed them."""
    return wi.open_generation(index_dir / WHOOSH_DIR, generation, schema())


def is_disk_full(e: BaseException, where: Path) -> bool:
    """Whether ``e`` says the disk (or quota) holding ``where`` is full.
    SQLite says so as SQLITE_FULL, or, when it cannot grow its shared-memory
    file, as a plain "disk I/O error": that one is taken for a full disk
    only when the disk has (next to) no room left."""
    if isinstance(e, OSError):
        return e.errno in (errno.ENOSPC, errno.EDQUOT)
    if not isinstance(e, sqlite3.Error):
        return False
    code = getattr(e, "sqlite_errorcode", 0) & 0xFF
    if code == sqlite3.SQLITE_FULL:
        return True
    if code != sqlite3.SQLITE_IOERR:
        return False
    try:
        st = os.statvfs(where)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < _NEARLY_FULL


_NEARLY_FULL = 1 << 20  # bytes: less room than this, and SQLite's I/O errors mean a full disk


Progress = Callable[[int, int], None]


Piece = tuple[int, int] | None  # (k, n): piece k of n of an archive; None: the whole file
_Read = tuple[FileEntry, str | None, list[tuple[ArticleMeta, str]], list[Skipped]]


@dataclass
class _Part:
    """What one worker gives back for its share of the files: small things
    only (see _PartWriter)."""

    segment: object | None = None
    records: str | None = None  # the file its records are in (see _PartWriter)
    # the files it found unchanged (touched: their size or mtime moved), and
    # the archives it read a piece of (a piece found unchanged by one worker
    # and read by another is not touched: see _gather)
    unchanged: list[FileEntry] = field(default_factory=list)
    pieces_read: list[str] = field(default_factory=list)


# A worker's records go into a file beside the index, and its part says
# where: what it read of each file (entry, hash, articles' metadata, skips),
# the articles' compressed texts, and its vocabulary's counts. They had been
# handed back in the part (the texts until the previous change too), and a
# worker held every article's metadata and its whole vocabulary until its
# chunk was done, then the parent held every part's at once until the commit:
# memory that grew with the corpus (issue 15: at 300k articles a worker grew
# from 148 to ~400 MB, the parent to ~874 MB). The parent streams them into
# the store (see _gather, Store.put_bodies, Store.apply), and removes every
# such file once the run is recorded, cancelled or failed (it holds the
# update lock: each one in the folder is its own or a stray); those a killed
# run left, the next run (_remove_stray_parts).
_PART_SUFFIX = ".part.tmp"
# The files a worker is to read go to it the same way: its chunk (see
# _chunks) is written into a file beside the index (records of kind
# _ENTRIES, in the chunk's order) and it is handed the file's name
# (:class:`_Chunk`). As lists, the parent held every chunk (a tuple and a
# FileEntry a file) for the whole reading, and its pickled copies while they
# were sent, and each worker its own chunk's: ~0.25 KB a file in the parent,
# for as long as the workers ran (issue 15: memory that grows with the
# corpus). Removed with the parts' records, by the same function.
_CHUNK_SUFFIX = ".chunk.tmp"
# (".bodies.tmp": the texts' files of the versions before, which a killed run
# of theirs may have left)
_STRAY_SUFFIXES = (_PART_SUFFIX, _CHUNK_SUFFIX, ".bodies.tmp")
# A record: a kind byte, its length (8 bytes, little-endian), then a
# marshalled list. The length lets a reader of one kind seek past the others:
# the texts are copied before the Whoosh commit, the rest in the store's
# transaction after it.
_BODIES, _FILES, _VOCAB, _ENTRIES = b"b", b"f", b"v", b"e"
_HEAD = 9
# A list of texts or of files is written out at about this many bytes (of
# compressed text; metadata counts 256 bytes an article): what a worker, and
# the parent reading, holds of them at a time.
_RECORD_BYTES = 1 << 20
# A worker's vocabulary counts are written out whenever they hold this many
# words (~20 MB of Counter), as lists of this many pairs each: the parent adds
# them into the store's vocab table run by run (the table sums a word's
# counts), never holding a whole vocabulary, let alone every worker's.
VOCAB_FLUSH_WORDS = 1 << 17
_VOCAB_PAIRS = 1 << 14
# A chunk's files are written (and read back) this many to a record.
_ENTRY_BATCH = 1 << 12
_META_FIELDS = tuple(f.name for f in fields(ArticleMeta))
_meta_row = attrgetter(*_META_FIELDS)
# (every field, as the articles': one added later is not dropped on the way)
_skip_row = attrgetter(*(f.name for f in fields(Skipped)))


class _PartWriter:
    """Writes a worker's records (see _PART_SUFFIX) as it reads its chunk:
    what it holds of them between writes is bounded, whatever the chunk's
    size. A file's record is whole (its articles' metadata, its skips): a
    file is read whole too (ingest's limits bound it)."""

    def __init__(self, f) -> None:
        self.f = f
        self.bodies: list[tuple[str, bytes]] = []
        self.files: list[tuple] = []
        self.held = 0  # bytes of texts (and metadata) held
        self.vocab: Counter = Counter()

    def _put(self, kind: bytes, items: list) -> None:
        _put(self.f, kind, items)

    def body(self, h: str, z: bytes) -> None:
        self.bodies.append((h, z))
        self.held += len(z)
        if self.held >= _RECORD_BYTES:
            self._flush()

    def file(self, entry: FileEntry, sha: str | None, metas: list[tuple[ArticleMeta, str]],
             skips: list[Skipped], order: list[int] | None) -> None:
        """A file (or a piece of one) read: in path order (the chunk's)."""
        self.files.append((entry.path, entry.size, entry.mtime_ns, sha,
                           [(*_meta_row(m), h) for m, h in metas],
                           [_skip_row(s) for s in skips], order))
        self.held += 256 * (len(metas) + 1)
        if self.held >= _RECORD_BYTES:
            self._flush()

    def words(self, words) -> None:
        self.vocab.update(words)
        if len(self.vocab) >= VOCAB_FLUSH_WORDS:
            self._flush_vocab()

    def _flush(self) -> None:
        if self.bodies:
            self._put(_BODIES, self.bodies)
        if self.files:
            self._put(_FILES, self.files)
        self.bodies, self.files, self.held = [], [], 0

    def _flush_vocab(self) -> None:
        items = list(self.vocab.items())
        self.vocab = Counter()
        for k in range(0, len(items), _VOCAB_PAIRS):
            self._put(_VOCAB, items[k:k + _VOCAB_PAIRS])

    def close(self) -> None:
        self._flush()
        self._flush_vocab()


def _put(f, kind: bytes, items: list) -> None:
    """One record of ``kind`` (see _HEAD) into the file ``f``."""
    data = marshal.dumps(items)
    f.write(kind + len(data).to_bytes(_HEAD - 1, "little"))
    f.write(data)


def _records(path: str, kind: bytes) -> Iterator:
    """The items of a part's records of ``kind``, in the order written."""
    with open(path, "rb") as f:
        while head := f.read(_HEAD):
            n = int.from_bytes(head[1:], "little")
            if head[:1] == kind:
                yield from marshal.loads(f.read(n))
            else:
                f.seek(n, os.SEEK_CUR)


def _part_records(parts: list[_Part], kind: bytes) -> Iterator:
    """The parts' records of ``kind``, streamed from their files: the texts
    ((hash, zlib bytes)), or the vocabulary's counts (a word once each run
    it was in)."""
    for p in parts:
        if p.records:
            yield from _records(p.records, kind)


@dataclass(frozen=True)
class _Chunk:
    """A worker's share of the files to read: the file they are listed in
    (see _CHUNK_SUFFIX), and how many items it lists (for the progress)."""

    path: str
    items: int

    def __len__(self) -> int:
        return self.items


def _chunk_file(index_dir: str, chunk: list[tuple[FileEntry, str | None, Piece]]) -> _Chunk:
    """Write ``chunk`` (a file, the hash it had when last read, the piece of
    it to read: see :func:`_chunks`) into a chunk file in ``index_dir``."""
    path = os.path.join(index_dir, f"{os.urandom(8).hex()}{_CHUNK_SUFFIX}")
    with open(path, "wb") as f:
        for k in range(0, len(chunk), _ENTRY_BATCH):
            _put(f, _ENTRIES, [(e.path, e.size, e.mtime_ns, sha, piece)
                               for e, sha, piece in chunk[k:k + _ENTRY_BATCH]])
    return _Chunk(path, len(chunk))


def _chunk_items(chunk: _Chunk) -> Iterator[tuple[FileEntry, str | None, Piece]]:
    """What :func:`_chunk_file` wrote, in its order, read a record at a time."""
    for path, size, mtime_ns, sha, piece in _records(chunk.path, _ENTRIES):
        yield FileEntry(path, size, mtime_ns), sha, piece


def _chunk_paths(chunks: list[_Chunk]) -> Iterator[str]:
    """The path of each file the chunks list, once (a file read in pieces
    is in several chunks, piece 0 in one of them)."""
    for c in chunks:
        for e, _sha, piece in _chunk_items(c):
            if piece is None or piece[0] == 0:
                yield e.path


def _remove_stray_parts(index_dir: Path) -> None:
    """Every workers' records file in the index folder (under the update
    lock only: then none belongs to a run still going)."""
    for name in os.listdir(index_dir):
        if name.endswith(_STRAY_SUFFIXES):
            Path(index_dir, name).unlink(missing_ok=True)


def body_for_index(a: Article) -> str:
    """The text the body field indexes: the body, with the title in front when the
    body does not already open with it."""
    head = a.title.rstrip("…").strip()
    if not head or head in a.text[: len(head) + 200]:
        return a.text
    return f"{a.title}\n{a.text}"


def _doc_fields(a: Article, h: str, body) -> dict:
    doc = {"id": a.id, "path": a.path, "title": a.title, "hash": h, "body": body}
    if a.source:
        doc["source"] = a.source
    if a.author:
        doc["author"] = a.author
    if a.date:
        try:
            doc["date"] = datetime.fromisoformat(a.date).replace(tzinfo=None)
        except ValueError:
            pass
    return doc


# Segments are written as separate files, not one compound file: a compound
# segment is read through an mmap, and Whoosh copies each of its files whole
# into a BytesIO on opening, holding the GIL (at 100k articles the postings
# are ~150 MB a segment: a search froze the reader for 0.1-0.3 s while its
# searcher opened). Separate files are read as needed, and reads release it.
_COMPOUND = False


def _index_part(index_dir: str, root: str, chunk: _Chunk) -> _Part:
    """Read a chunk of files (each with the content hash it had when last
    read, if any, and the piece of it to read: see :func:`_chunks`; read
    from its file as it goes, see :class:`_Chunk`) and
    write them into a new Whoosh segment (no lock taken: the parent holds
    the index's write lock). A top-level function of plain data: it runs in
    a worker process, or here."""
    ix = _open_dir(Path(index_dir, WHOOSH_DIR))
    writer = wi.bulk_writer(ix, WORKER_LIMIT_MB, _COMPOUND)
    # Millions of posting tuples make the cyclic GC rescan the pool again and
    # again; nothing built here is cyclic, so pause it for the bulk work.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    part = _Part()
    rootp = Path(root)
    added = False
    records = os.path.join(index_dir, f"{os.urandom(8).hex()}{_PART_SUFFIX}")
    try:
        # (the chunk's reader closed as the block ends: a traceback that kept
        # the generator would keep the chunk file open past its removal, and
        # on NFS an open file removed stays as a .nfs file, see _record)
        with open(records, "wb") as f, closing(_chunk_items(chunk)) as items:
            out = _PartWriter(f)
            for entry, known_sha, piece in items:
                res = read_file(rootp, entry, piece)
                if res.sha is not None and known_sha == res.sha:
                    part.unchanged.append(entry)  # touched, not changed
                    continue
                if piece is not None:
                    part.pieces_read.append(entry.path)
                metas = []
                for a in res.articles:
                    h = content_hash(a.text)
                    words: set[str] = set()
                    # The body field answers plain queries alone (one posting list a
                    # term, not title OR body); a title that is not the body's
                    # opening is indexed with it.
                    positions = term_positions(body_for_index(a), words)
                    writer.add_document(**_doc_fields(a, h, positions))
                    added = True
                    out.body(h, compress(a.text))
                    out.words(spellable(words))
                    metas.append((a.meta, h))
                out.file(entry, res.sha, metas, res.skipped, res.order)
            out.close()
        part.records = records  # (a chunk of touched files only: records of nothing)
        if not added:
            wi.drop(writer)
        else:
            part.segment = wi.finish_segment(writer)
    except BaseException:
        wi.drop(writer)
        raise
    finally:
        if gc_was_enabled:
            gc.enable()
    return part


def _split(items: list[tuple[FileEntry, Piece]], n: int) -> list[list[tuple[FileEntry, Piece]]]:
    """Deal files (and pieces of files) into ``n`` chunks of about the same
    number of bytes."""
    parts: list[list[tuple[FileEntry, Piece]]] = [[] for _ in range(n)]
    loads = [0] * n
    held: list[set[str]] = [set() for _ in range(n)]  # the files a chunk has pieces of
    for e, piece in sorted(items, key=lambda it: -_size(*it)):
        # a piece goes where no other piece of its file is: two pieces in one
        # chunk are two passes over the archive by one worker, one after the other
        free = [i for i in range(n) if piece is None or e.path not in held[i]] or range(n)
        i = min(free, key=loads.__getitem__)
        held[i].add(e.path)
        parts[i].append((e, piece))
        loads[i] += _size(e, piece) + 2048
    return [sorted(p, key=lambda it: (it[0].path, it[1] or (0, 1))) for p in parts if p]


def _size(e: FileEntry, piece: Piece) -> int:
    return e.size // piece[1] if piece else e.size


def _archive_units(e: FileEntry) -> int:
    """The units of work a big web archive counts as (0: a file like others)."""
    return e.size // ARCHIVE_BYTES_PER_UNIT if file_kind(e.path)[0] in ARCHIVES else 0


def _units(entries: list[FileEntry]) -> int:
    """The units of work reading ``entries`` is, for the one rule of where it runs."""
    big = [n for e in entries if (n := _archive_units(e))]
    return math.ceil((len(entries) - len(big)) / FILES_PER_CHUNK) + sum(big)


def _chunks(entries: list[FileEntry], known_sha: dict[str, str],
            workers: int) -> list[list[tuple[FileEntry, str | None, Piece]]]:
    """The files to read, in chunks of about the same size: one here, or
    CHUNKS_PER_WORKER for each of ``workers`` workers; with workers, a big
    web archive in as many pieces as it has units, at most one a chunk."""
    n = max(1, workers * CHUNKS_PER_WORKER)
    items: list[tuple[FileEntry, Piece]] = []
    for e in entries:
        k = min(n, _archive_units(e)) if workers > 1 else 1
        items += [(e, (i, k)) for i in range(k)] if k > 1 else [(e, None)]
    return [[(e, known_sha.get(e.path), piece) for e, piece in part]
            for part in _split(items, n)]


def _gather(parts: list[_Part]) -> tuple[list[FileEntry], Iterator[_Read]]:
    """The files the parts found unchanged (touched), and those they read:
    streamed from the parts' records (see :func:`_read`), to be read once.
    A file some piece found unchanged and another read is read, not
    touched."""
    unchanged: dict[str, FileEntry] = {}
    for p in parts:
        unchanged.update((e.path, e) for e in p.unchanged)
    pieces = {path for p in parts for path in p.pieces_read}
    return [e for path, e in unchanged.items() if path not in pieces], _read(parts, unchanged)


def _read(parts: list[_Part], unchanged: dict[str, FileEntry]) -> Iterator[_Read]:
    """The files the parts read, in path order, a file read in pieces made
    whole again (its articles in the archive's order). Each part's records
    are in path order (its chunk's), so a merge of them brings a file's
    pieces together, and no more than one file is held at a time. Pieces
    that do not agree on a file's content (it changed while they read it),
    or a piece that found it unchanged beside one that read it, keep what
    they read, and the file is read again next run."""
    streams = [_records(p.records, _FILES) for p in parts if p.records]
    for path, group in groupby(heapq.merge(*streams, key=itemgetter(0)), key=itemgetter(0)):
        e = sha = None
        rows: list[tuple] = []
        skips: list[tuple] = []
        order: list[int] = []
        for _path, size, mtime_ns, got_sha, metas, skipped, pages in group:
            if e is None:
                e, sha = FileEntry(path, size, mtime_ns), got_sha
            elif got_sha != sha:
                e, sha = FileEntry(path, e.size, -1), None
            rows += metas
            skips += skipped
            order += pages or ()
        if path in unchanged:
            e, sha = FileEntry(path, e.size, -1), None
        if len(order) == len(rows) and rows:
            rows = [m for _n, m in sorted(zip(order, rows, strict=True), key=itemgetter(0))]
        yield (e, sha, [(ArticleMeta(*r[:-1]), r[-1]) for r in rows], [Skipped(*k) for k in skips])


def update(
    root: Path,
    index_dir: Path,
    *,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    procs: int | None = None,
    executor=None,
    on_batch: Callable[[UpdateReport], None] | None = None,
) -> UpdateReport:
    """Bring the index at ``index_dir`` up to date with the corpus at ``root``
    (``executor``: where the chunks are read, see :func:`index.jobs.map_chunks`;
    it must see ``root`` and ``index_dir`` at the same paths).

    ``on_batch(report)``: when given, a first index of at least
    :data:`FIRST_BATCH_MIN_FILES` files commits its first :data:`FIRST_BATCH`
    files (in list order) before the others, and then calls it with what is
    committed so far: readers can list those articles while the rest are read.
    The run is still one update: the index counts as complete
    (:func:`is_complete`) only once all of it is committed."""
    t0 = time.perf_counter()
    root = root.resolve()
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    index_dir.mkdir(parents=True, exist_ok=True)
    with update_lock(index_dir):
        store = None
        try:
            store = Store(index_dir / STORE_FILE)
            report = _update(root, index_dir, store, progress, cancel, procs, t0, executor,
                             on_batch)
            if not report.cancelled and store.get_meta("complete") != "1":
                store.set_meta("complete", "1")  # a first run that finished
            return report
        except (OSError, sqlite3.Error) as e:
            # the store (and so every reader) still names the previous index
            if is_disk_full(e, index_dir):
                raise DiskFullError(f"disk full while writing the index at {index_dir}; "
                                    f"the previous index is unchanged") from e
            raise
        finally:
            if store is not None:
                store.close()


@contextmanager
def update_lock(index_dir: Path):
    """One updater of an index at a time, from the scan to the last store write.

    Whoosh's own write lock covers only its commit; the manifest read before
    it and the store writes after it must not interleave with another run.
    """
    fd = os.open(index_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusyError(
                f"another indexer is updating {index_dir}; try again when it has finished"
            ) from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def is_complete(index_dir: Path) -> bool:
    """True once an update of this index has run to the end."""
    path = index_dir / STORE_FILE
    if not (_exists_in(index_dir / WHOOSH_DIR) and path.exists()):
        return False
    store = Store(path, readonly=True)
    try:
        return store.get_meta("complete") == "1"
    except Exception:  # an old or damaged store: treat as not indexed
        return False
    finally:
        store.close()


def _update(root, index_dir, store, progress, cancel, procs, t0, executor,
            on_batch) -> UpdateReport:
    report = UpdateReport(corpus=str(root), index_dir=str(index_dir))
    ix = None
    _remove_stray_parts(index_dir)  # (a listing of the index folder: cheap)
    wdir, generation = index_dir / WHOOSH_DIR, store.whoosh_generation()
    if not _no_strays(wdir, generation, store.whoosh_segments()):
        ix = open_index(index_dir, create=True)
        kept = wi.remove_strays(wdir, generation, schema())
        if kept is not None and store.whoosh_segments() is None:  # (recorded from now on)
            store.set_whoosh_segments(*kept)
    name = shown_name(str(root))  # the store keeps UTF-8 text
    if store.get_meta("corpus") != name:  # (not written again while it is the same)
        store.set_meta("corpus", name)
    found, scan_skips = walk(root)
    walked = walk_bytes(found)
    digest = walk_digest(walked)
    if store.manifest_is(found, digest):
        # Nothing new, changed or gone: the walk's digest is the one recorded
        # when the manifest last matched it (else one comparison of the walk
        # with the manifest's (path, size, mtime_ns)), and neither the hashes
        # nor the article ids read (issue 15: an unchanged corpus of 100k
        # articles).
        report.files_unchanged = len(found)
        return _unchanged(store, report, scan_skips, t0)
    # Each list of the corpus's files the parent holds while its workers read
    # is memory that grows with the corpus (issue 15: the walk's tuples, their
    # FileEntrys, a set of their paths and the chunks were ~0.6 KB a file,
    # 226 MB at 300k). The walk is kept as its bytes (for the manifest's
    # comparison at the end), its files as FileEntry until the batches are
    # made; each batch is emptied once its chunks' files are written (see
    # _write); a first index makes no set of paths.
    entries = entries_of(found)
    del found
    manifest = store.manifest()
    # (a first index has no manifest: no set of every path)
    seen = {e.path for e in entries} if manifest else set()
    deleted = [p for p in manifest if p not in seen]
    del seen
    to_read = []
    known_sha: dict[str, str] = {}
    for e in entries:
        old = manifest.get(e.path)
        if old is None:
            to_read.append(e)
        elif (old[0], old[1]) != (e.size, e.mtime_ns):
            to_read.append(e)
            if old[2]:
                known_sha[e.path] = old[2]
    report.files_unchanged = len(entries) - len(to_read)

    if not to_read and not deleted:  # (some files touched, none changed)
        return _unchanged(store, report, scan_skips, t0)

    if ix is None:
        ix = open_index(index_dir, create=True)
    batches = [to_read]
    if on_batch is not None and not manifest and len(to_read) >= FIRST_BATCH_MIN_FILES:
        # A first index: the first files in list order are committed on their
        # own, so that readers list them within seconds; then the rest.
        to_read = sorted(to_read, key=lambda e: e.path)
        batches = [to_read[:FIRST_BATCH], to_read[FIRST_BATCH:]]
    total, sizes = len(to_read), [len(b) for b in batches]
    del entries, to_read  # (held by the batches alone: see above)
    for k, batch in enumerate(batches):
        offset = k and sizes[0]
        step = None if progress is None else (
            lambda done, _t, offset=offset: progress(offset + done, total))
        _write(ix, index_dir, root, store, report, manifest, batch,
               deleted if k == len(batches) - 1 else [], known_sha, step, cancel, procs,
               executor)
        if report.cancelled:
            break
        if k < len(batches) - 1:
            store.set_meta("listable", "1")  # readers may show it: see StoreSnapshot
            report.articles_total = store.count()
            report.skipped = scan_skips + store.skipped()
            report.seconds = time.perf_counter() - t0
            on_batch(replace(report, skipped=list(report.skipped)))
    if not report.cancelled:
        # The manifest now is the walk (every file read, touched or gone is
        # written): compared once here, its digest is recorded, so that the
        # next run, if nothing changes, reads none of its rows.
        store.manifest_is(marshal.loads(walked), digest)
    report.articles_total = store.count()  # (the previous index, as it was, when cancelled)
    report.skipped = scan_skips + store.skipped()
    report.seconds = time.perf_counter() - t0
    return report


def _no_strays(wdir: Path, generation: int | None, segments: set[str] | None) -> bool:
    """Whether the Whoosh folder holds the generation the store names and
    nothing :func:`whoosh_internals.remove_strays` would delete, told from the
    file names and the segment ids the store recorded with the generation (no
    Whoosh loaded). False whenever that cannot be told: then Whoosh reads the
    generation and the strays go."""
    if generation is None or segments is None:
        return False
    try:
        names = os.listdir(wdir)
    except OSError:
        return False
    return whoosh_files.toc_name(generation) in names and not whoosh_files.strays(
        names, generation, segments)


def _unchanged(store, report: UpdateReport, scan_skips, t0: float) -> UpdateReport:
    """The report of a run with no file to read and none gone."""
    store.ensure_listing()
    report.articles_total = store.count()
    report.skipped = scan_skips + store.skipped()
    report.seconds = time.perf_counter() - t0
    return report


def _write(ix, index_dir, root, store, report, manifest, to_read, deleted, known_sha,
           progress, cancel, procs, executor) -> None:
    """Read ``to_read``, delete the documents of ``deleted`` (and of the files
    read again), commit a new Whoosh generation and record it in the store
    (the one atomic step); adds what it did to ``report``.

    ``to_read`` is emptied once its files are in the chunks' files, so that
    the parent does not hold them while its workers read (the caller's list:
    see _update)."""
    writer = wi.open_writer(ix, _COMPOUND)
    if writer is None:
        raise IndexBusyError(
            f"another indexer is writing {index_dir}; try again when it has finished")

    parts: list[_Part] = []
    try:
        try:
            units = _units(to_read)
            # a chunk a worker (each writes one segment), by the one rule,
            # for a cluster with its worker threads as the workers: the same
            # files make the same segments, so the same scores, either way
            width = jobs.pool_size(units, procs if executor is None
                                   else max(1, getattr(executor, "workers", 1)))
            # (into their files at once: only their names are held while the
            # workers read, see _CHUNK_SUFFIX)
            chunks = [_chunk_file(str(index_dir), c) for c in _chunks(to_read, known_sha, width)]
            files = len(to_read)
            to_read.clear()
            items = sum(len(c) for c in chunks)  # (pieces of a file count as it does)
            step = None if progress is None else (
                lambda done, _t: progress(done * files // items, files))
            parts = jobs.map_chunks(partial(_index_part, str(index_dir), str(root)), chunks,
                                    procs=procs, units=units, progress=step, cancel=cancel,
                                    executor=executor)
        except Cancelled:
            parts = None
        if parts is None or (cancel is not None and cancel()):
            _remove_stray_parts(index_dir)
            wi.abort(writer)
            report.cancelled = True
            return

        touched, changed_files = _gather(parts)
        touched_paths = {e.path for e in touched}
        # Documents of changed and deleted files go; so do any left by a run
        # that was killed after its Whoosh commit (hence new files too). The
        # files read are those the chunks list (read back from their files),
        # but the touched; of those, the ones in the manifest had articles.
        replaced = []
        for path in _chunk_paths(chunks):
            if path not in touched_paths:
                writer.delete_by_term("path", path)
                if path in manifest:
                    replaced.append(path)
        for path in deleted:
            writer.delete_by_term("path", path)
        # streamed from the workers' files: never all held at once
        store.put_bodies(_part_records(parts, _BODIES))

        # The new generation's TOC, the previous generation's files kept:
        # readers open it until the store names this one.
        segments = wi.commit_keeping_previous(
            writer, [p.segment for p in parts if p.segment is not None])
    except BaseException:
        _remove_stray_parts(index_dir)
        wi.abort(writer)
        raise

    try:
        _record(store, writer, segments, report, manifest, parts, touched, changed_files,
                replaced, deleted)
    finally:
        _remove_stray_parts(index_dir)  # (recorded, or failed: the previous index stands)


class _Tally:
    """What the files streamed into the store came to, counted as they go
    (for the report: the articles are never held together)."""

    def __init__(self, manifest: dict, removed_ids: list[str]) -> None:
        self.manifest, self.old_ids = manifest, set(removed_ids)
        self.files = self.new_files = self.new_ids = 0
        self.kept_ids: set[str] = set()  # the removed ids read again

    def count(self, reads: Iterator[_Read]) -> Iterator[_Read]:
        for r in reads:
            self.files += 1
            self.new_files += r[0].path not in self.manifest
            # (ids are their locators' hashes: distinct within a run)
            self.new_ids += len(r[2])
            self.kept_ids.update(m.id for m, _h in r[2] if m.id in self.old_ids)
            yield r


def _record(store, writer, segments, report, manifest, parts, touched, changed_files,
            replaced, deleted) -> None:
    """Whoosh has written the new generation: record the run, and with it the
    generation, in one transaction, the parts' records streamed into it."""
    removed_ids = [i for p in replaced + deleted for i in manifest.get(p, (0, 0, None, []))[3]]
    gone = Counter()
    for i in removed_ids:  # the words each removed article had added
        got = store.meta_by_id(i)
        body = store.body(got[1]) if got else None
        if body is not None:
            gone.update(spelling_words(body_for_index(Article(**got[0].__dict__, text=body))))
    tally = _Tally(manifest, removed_ids)
    vocab = _part_records(parts, _VOCAB)
    try:
        store.apply(
            files=tally.count(changed_files),
            deleted_paths=deleted,
            removed_ids=removed_ids,
            vocab_delta=chain(vocab, ((w, -n) for w, n in gone.items())),
            whoosh_generation=writer.generation,
            whoosh_segments=[seg.segment_id() for seg in segments],
        )
    finally:
        # (their records files are closed now, not when the traceback of a
        # failed apply lets go of them: the caller removes the files next,
        # and on NFS an open file removed stays as a .nfs file)
        changed_files.close()
        vocab.close()
    # Readers now open the new generation; the previous one's files can go
    # (readers that have them open keep reading them).
    index.clean_files(writer.storage, writer.indexname, writer.generation, segments)
    store.touch_files([(e.path, e.size, e.mtime_ns) for e in touched])

    report.files_new += tally.new_files
    report.files_changed += tally.files - tally.new_files
    report.files_unchanged += len(touched)
    report.files_deleted += len(deleted)
    updated = len(tally.kept_ids)
    report.articles_added += tally.new_ids - updated
    report.articles_updated += updated
    report.articles_removed += len(tally.old_ids) - updated
