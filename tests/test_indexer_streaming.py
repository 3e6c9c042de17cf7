"""The index phase's records streamed through files, not held (issue 15):
a worker writes what it read into a records file beside the index as it
goes, and the parent streams those files into the store."""

from __future__ import annotations

import gc
import os
import tracemalloc
from collections import Counter
from pathlib import Path

from test_ingest import _CRAWL, _warc

from index import Corpus
from index.ingest import FileEntry, scan
from index.models import ArticleMeta, Listing, Skipped
from index.search import indexer
from index.store import db as store


def _meta(path: str, n: int, **kw) -> ArticleMeta:
    return ArticleMeta(f"{path}-{n}", path, f"Title {n} of {path}", line=n, **kw)


def _record_kinds(path: str) -> Counter:
    """How many records of each kind a part's file holds."""
    kinds: Counter = Counter()
    with open(path, "rb") as f:
        while head := f.read(indexer._HEAD):
            kinds[head[:1]] += 1
            f.seek(int.from_bytes(head[1:], "little"), os.SEEK_CUR)
    return kinds


def _write_part(path: Path, files, bodies=(), words=(), unchanged=()) -> indexer._Part:
    with open(path, "wb") as f:
        out = indexer._PartWriter(f)
        for h, z in bodies:
            out.body(h, z)
        for w in words:
            out.words(w)
        for e, sha, metas, skips, order in files:
            out.file(e, sha, metas, skips, order)
        out.close()
    return indexer._Part(records=str(path), unchanged=list(unchanged),
                         pieces_read=[f[0].path for f in files if f[4] is not None])


def test_a_parts_records_come_back_as_they_went_in(tmp_path, monkeypatch):
    """What a worker writes (files with their articles and skips, texts,
    vocabulary counts) reads back the same, though written out in many
    records as it went (small limits here: a few files, texts and words a
    record), the vocabulary's counts summing to the worker's."""
    monkeypatch.setattr(indexer, "_RECORD_BYTES", 1000)
    monkeypatch.setattr(indexer, "VOCAB_FLUSH_WORDS", 5)
    monkeypatch.setattr(indexer, "_VOCAB_PAIRS", 2)
    files = []
    for k in range(20):
        path = f"f{k:02d}.jsonl"
        metas = [(_meta(path, n, source="Wire", date=f"2024-01-0{n + 1}", language="en"),
                  f"h{k}-{n}") for n in range(k % 4)]
        skips = [Skipped(path, "a bad line", 7)] if k % 5 == 0 else []
        files.append((FileEntry(path, 100 + k, 10**18 + k), f"sha{k}", metas, skips, None))
    bodies = [(f"h{k}", bytes([k]) * 300) for k in range(12)]
    words = [{"alpha", "beta"}, {"beta", "gamma", "delta"}, {"alpha", "epsilon", "zeta"},
             {"eta", "theta", "beta"}, {"alpha"}]
    part = _write_part(tmp_path / f"a{indexer._PART_SUFFIX}", files, bodies, words)

    kinds = _record_kinds(part.records)
    assert kinds[indexer._FILES] > 1 and kinds[indexer._BODIES] > 1 and kinds[indexer._VOCAB] > 1
    touched, read = indexer._gather([part])
    assert touched == []
    assert list(read) == [(e, sha, metas, skips) for e, sha, metas, skips, _o in files]
    assert list(indexer._part_records([part], indexer._BODIES)) == bodies
    summed: Counter = Counter()
    for w, n in indexer._part_records([part], indexer._VOCAB):
        summed[w] += n
    assert summed == Counter(w for ws in words for w in ws)


def test_pieces_of_archives_are_made_whole_in_order_among_whole_files(tmp_path):
    """Each part's records are in path order; merged, every file comes once,
    in path order, and an archive read in pieces by several workers comes
    whole, its articles in the archive's page order, whatever the parts."""
    a, b = FileEntry("a.warc.gz", 900, 1), FileEntry("b.warc.gz", 800, 2)
    early, mid, late = (FileEntry(p, 10, 3) for p in ("0.txt", "a.zz.txt", "z.txt"))

    def pages(e, ns):
        return [(_meta(e.path, n), f"{e.path}-h{n}") for n in ns]

    def piece(e, k, n_pages, skips=()):
        ns = list(range(k, n_pages, 3))  # piece k of 3: every third page from the k-th
        return (e, "s-" + e.path, pages(e, ns), list(skips), ns)

    skip = Skipped("a.warc.gz", "records not read: 2 not HTML")
    one = _write_part(tmp_path / "1.part.tmp", [piece(a, 0, 8, [skip]), piece(b, 2, 5),
                                               (late, "sz", pages(late, [0]), [], None)])
    two = _write_part(tmp_path / "2.part.tmp", [(early, "s0", pages(early, [0]), [], None),
                                               piece(a, 1, 8), (mid, "sm", [], [], None)])
    three = _write_part(tmp_path / "3.part.tmp", [piece(a, 2, 8), piece(b, 0, 5),
                                                 piece(b, 1, 5)])
    touched, read = indexer._gather([one, two, three])
    assert touched == []
    assert list(read) == [
        (early, "s0", pages(early, [0]), []),
        (a, "s-a.warc.gz", pages(a, range(8)), [skip]),
        (mid, "sm", [], []),
        (b, "s-b.warc.gz", pages(b, range(5)), []),
        (late, "sz", pages(late, [0]), []),
    ]


def test_an_archive_read_in_pieces_by_workers_is_listed_in_its_order(
        write_files, open_corpus, monkeypatch):
    """End to end, with worker processes: the store lists a big archive's
    pages in the archive's order, as one process reading it whole does."""
    root = write_files({"crawl.warc.gz": _warc(_CRAWL), "zz.txt": "Last\n\nA last story.\n",
                        "aa.txt": "First\n\nA first story.\n"})
    monkeypatch.setattr(indexer, "ARCHIVE_BYTES_PER_UNIT", 1024)
    pieces, whole = open_corpus(root, "ix2"), open_corpus(root, "ix1")
    pieces.update(procs=2, versions=False)
    whole.update(procs=1, versions=False)
    got = pieces.store.db.execute("SELECT ids FROM files ORDER BY path").fetchall()
    assert got == whole.store.db.execute("SELECT ids FROM files ORDER BY path").fetchall()
    assert [tuple(e) for e in pieces.article_list()] == [tuple(e) for e in whole.article_list()]
    assert len(pieces.article_list()) == 13


def test_a_killed_runs_records_are_removed_by_the_next_run(tmp_path, sample_dir):
    """A worker's records file (or the texts' file of the versions before)
    left by a run killed before its commit is a stray: the next run removes
    it, and the index is what a clean run gives."""
    ix = tmp_path / "ix"
    with Corpus(sample_dir, index_dir=ix) as c:
        c.update(procs=1, versions=False)
        clean = [tuple(e) for e in c.article_list()], c.store.vocab()
    # what a worker killed before its part was handed back leaves (its
    # segment's files are Whoosh strays: see whoosh_internals.remove_strays)
    entries, _ = scan(sample_dir)
    chunk = indexer._chunk_file(str(ix), [(e, None, None) for e in entries])
    part = indexer._index_part(str(ix), str(sample_dir), chunk)
    (ix / f"0123456789abcdef{'.bodies.tmp'}").write_bytes(b"texts of a run of before")
    strays = sorted(n for n in os.listdir(ix) if n.endswith(indexer._STRAY_SUFFIXES))
    assert strays == sorted([Path(part.records).name, Path(chunk.path).name,
                             "0123456789abcdef.bodies.tmp"])
    (sample_dir / "new-story.txt").write_text("Newest\n\nA story that came late.\n")
    try:
        with Corpus(sample_dir, index_dir=ix) as c:
            report = c.update(procs=1, versions=False)
            assert report.articles_added == 1
            assert [n for n in os.listdir(ix) if n.endswith(indexer._STRAY_SUFFIXES)] == []
            assert len(c.article_list()) == len(clean[0]) + 1
    finally:
        (sample_dir / "new-story.txt").unlink()


def test_the_store_sums_a_streamed_vocabulary_and_files_in_batches(tmp_path, monkeypatch):
    """apply reads its files and vocabulary once, as they come: files in
    batches, a word's counts from many runs summed, counts that fall to
    zero dropped."""
    monkeypatch.setattr(store, "APPLY_BATCH", 3)
    s = store.Store(tmp_path / store.STORE_FILE)
    files = [((f"f{k}.txt", k, k), f"sha{k}", [(_meta(f"f{k}.txt", 0), f"h{k}")], [])
             for k in range(10)]
    read: list[str] = []

    def stream():
        for f in files:
            read.append(f[0][0])
            yield f

    s.apply(stream(), [], [], iter([("okapi", 2), ("zebra", 1), ("okapi", 3)]))
    assert read == [f[0][0] for f in files]  # each once
    assert s.count() == 10 and len(s.manifest()) == 10
    assert dict(zip(*s.vocab(), strict=True)) == {"okapi": 5, "zebra": 1}
    s.apply([], [], [], iter([("zebra", -1), ("okapi", -1), ("quagga", 1)]))
    assert dict(zip(*s.vocab(), strict=True)) == {"okapi": 4, "quagga": 1}
    s.close()


def test_the_listing_is_written_without_holding_its_entries(tmp_path, monkeypatch):
    """The listing blob is the encoding of every entry, but its writing
    allocates a small part of it at a time: its entries made whole, and
    their text, had been the indexer's commit's peak (issue 15)."""
    monkeypatch.setattr(store, "LISTING_BATCH", 500)
    s = store.Store(tmp_path / store.STORE_FILE)
    n = 40_000
    files = [((f"d{k // 1000:02d}/{k:05d}.txt", 1, 1), None,
              [(_meta(f"d{k // 1000:02d}/{k:05d}.txt", 0, date="2024-05-06T07:08:09"),
                f"h{k}")], []) for k in range(n)]
    s.apply(files, [], [], [])
    want = Listing.encode(s._entries()).encode("utf-8")
    with s.db:
        tracemalloc.start()
        try:
            s._write_listing()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert s.db.execute("SELECT n, z FROM listing").fetchone() == (n, want)
    assert peak < len(want) // 2
    s.close()


def test_a_workers_terms_file_is_whoosh_s_and_its_table_small(tmp_path, sample_dir):
    """The bulk writer's terms file keeps its table of every term's hash and
    position in arrays (see whoosh_internals._HashBucket): the segment is
    byte for byte the one Whoosh's own lists of tuples make, and the table
    takes a few bytes a term, not a tuple's ~120 (it grew with a worker's
    articles until its segment was written)."""
    from whoosh import index as windex

    from index.ingest import content_hash, iter_corpus
    from index.search.whoosh_internals import BulkSegmentWriter, drop
    from index.text.tokens import term_positions

    docs = [(a, content_hash(a.text)) for r in iter_corpus(sample_dir) for a in r.articles]

    def build(name, whoosh_lists: bool) -> dict[str, bytes]:
        folder = tmp_path / name
        folder.mkdir()
        w = BulkSegmentWriter(windex.create_in(folder, indexer.schema()), limitmb=0.02,
                              compound=False)
        if whoosh_lists:
            w.fieldwriter._tindex.buckets = [[] for _ in range(256)]
        for a, h in docs:
            w.add_document(id=a.id, path=a.path, title=a.title, hash=h,
                           body=term_positions(a.text))
        w.commit()
        return {f.name.split(".", 1)[1]: f.read_bytes() for f in folder.glob("MAIN_*.*")}

    assert build("arrays", False) == build("lists", True)

    folder = tmp_path / "table"
    folder.mkdir()
    w = BulkSegmentWriter(windex.create_in(folder, indexer.schema()), limitmb=1, compound=False)
    tindex = w.fieldwriter._tindex
    n = 50_000
    tracemalloc.start()
    try:
        for k in range(n):
            tindex.add(b"term%08d" % k, b"info")
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        drop(w)
    assert held < 32 * n


def test_a_chunk_goes_to_its_worker_as_a_file_read_back_whole(tmp_path, monkeypatch):
    """A worker's share of the files is written to a file (in records of a
    few entries here) and read back as it was: every entry, its hash and its
    piece, in order; the part then holds no list of them."""
    monkeypatch.setattr(indexer, "_ENTRY_BATCH", 2)
    chunk = [(FileEntry("a/one.txt", 10, 1), None, None),
             (FileEntry("a/two.warc.gz", 1 << 30, 2), "f" * 40, (1, 3)),
             (FileEntry("b/é.html", 7, -1), "0" * 40, None),
             (FileEntry("c.txt", 0, 3), None, None),
             (FileEntry("d.txt", 5, 4), None, (0, 2))]
    written = indexer._chunk_file(str(tmp_path), chunk)
    assert len(written) == 5
    assert Path(written.path).parent == tmp_path
    assert written.path.endswith(indexer._STRAY_SUFFIXES)
    got = list(indexer._chunk_items(written))
    assert got == chunk
    assert all(type(e) is FileEntry for e, _sha, _piece in got)


def test_the_chunk_files_are_the_runs_and_gone_once_it_is_recorded(tmp_path, sample_dir,
                                                                   monkeypatch):
    """The reader of a chunk is handed its file, which lists the files to
    read; none is left in the index folder once the run is recorded."""
    ix = tmp_path / "ix"
    seen = []
    index_part = indexer._index_part

    def reading(index_dir, root, chunk):
        seen.append((os.path.exists(chunk.path), [e.path for e, _s, _p in
                                                  indexer._chunk_items(chunk)]))
        return index_part(index_dir, root, chunk)

    monkeypatch.setattr(indexer, "_index_part", reading)
    with Corpus(sample_dir, index_dir=ix) as c:
        report = c.update(procs=1, versions=False)
    assert report.articles_added == 5
    assert seen == [(True, sorted(p.name for p in sample_dir.iterdir()))]
    assert [n for n in os.listdir(ix) if n.endswith(indexer._STRAY_SUFFIXES)] == []


def test_the_parent_holds_no_list_of_the_files_while_they_are_read(tmp_path, monkeypatch):
    """While the files are read (here in the parent's own process, procs=1),
    what the parent holds of the run grows by tens of bytes a file (the walk
    as bytes), not by the ~400 of the walk's tuples, their FileEntrys, a set
    of paths and the chunks' lists (issue 15)."""
    root = tmp_path / "corpus"
    for k in range(40):
        folder = root / f"desk-{k:02}"
        folder.mkdir(parents=True)
        for j in range(100):
            (folder / f"story-number-{j:04}.txt").write_text(f"Title {k} {j}\n\nText {k}.\n")
    (tmp_path / "warm").mkdir()
    (tmp_path / "warm" / "one.txt").write_text("One\n\nA story.\n")
    with Corpus(tmp_path / "warm", index_dir=tmp_path / "ix0") as c:
        c.update(procs=1, versions=False)  # (every module the run needs imported)
    held = []
    index_part = indexer._index_part

    def reading(index_dir, root, chunk):
        gc.collect()  # (a full collection empties the free lists: tuples freed stay traced)
        held.append(tracemalloc.get_traced_memory()[0])
        return index_part(index_dir, root, chunk)

    monkeypatch.setattr(indexer, "_index_part", reading)
    with Corpus(root, index_dir=tmp_path / "ix") as c:
        tracemalloc.start()
        try:
            report = c.update(procs=1, versions=False)
        finally:
            tracemalloc.stop()
    assert report.articles_added == 4000
    assert len(held) == 1
    assert held[0] / 4000 < 100, held[0] / 4000  # (before: 396 bytes a file)


def test_a_file_read_in_pieces_is_one_path_of_the_chunks(tmp_path):
    """The files a run read, found from its chunk files: each once, a file
    read in pieces by several chunks too (its removed ids would otherwise be
    counted out of the vocabulary once a piece)."""
    archive = FileEntry("big.warc.gz", 1 << 30, 1)
    chunks = [indexer._chunk_file(str(tmp_path), [(archive, None, (k, 3)), *rest])
              for k, rest in ((0, [(FileEntry("a.txt", 1, 1), None, None)]), (1, []),
                              (2, [(FileEntry("b.txt", 1, 1), "f" * 40, None)]))]
    assert sorted(indexer._chunk_paths(chunks)) == ["a.txt", "b.txt", "big.warc.gz"]
