"""Building and incrementally updating an index; failures, locks, recovery."""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from whoosh import index as windex
from whoosh.writing import PostingPool, SegmentWriter

from index import (
    Corpus,
    CorpusError,
    DiskFullError,
    IndexBusyError,
    IndexMissingError,
    NotFoundError,
    pools,
)
from index.ingest import content_hash, iter_corpus
from index.search import indexer
from index.search.query import parse
from index.search.whoosh_internals import BulkSegmentWriter
from index.store import db as store
from index.text.tokens import term_positions

STORIES = {
    "a.txt": "Alpha Story\n\nThe zebrafinch sang over the harbour.\n",
    "b.txt": "Beta Story\n\nThe quokka smiled at the harbour ferry.\n",
    "c.md": "# Gamma Story\n\nThe axolotl swam beside the harbour wall.\n",
}


def hits(c: Corpus, q: str) -> list[str]:
    return sorted(h.path for h in c.search(q, limit=None).hits)


def paths(c: Corpus, q: str) -> set[str]:
    return set(hits(c, q))


def counts(report) -> tuple[int, int, int, int]:
    return (report.files_new, report.files_changed, report.files_deleted,
            report.files_unchanged)


@pytest.fixture
def stories(write_files, open_corpus):
    """A small indexed corpus, searched once so the Corpus holds a searcher."""
    root = write_files(STORIES)
    c = open_corpus(root)
    report = c.update()
    assert counts(report) == (3, 0, 0, 0) and report.articles_total == 3
    assert hits(c, "harbour") == ["a.txt", "b.txt", "c.md"]
    return root, c


# ---------------------------------------------------------------- incremental


def test_second_update_of_unchanged_corpus_changes_nothing(open_corpus, sample_dir):
    c = open_corpus(sample_dir)
    first = c.update()
    assert counts(first) == (5, 0, 0, 0)
    assert (first.articles_added, first.articles_total) == (5, 5)
    again = c.update()
    assert counts(again) == (0, 0, 0, 5)
    assert (again.articles_added, again.articles_updated, again.articles_removed) == (0, 0, 0)
    assert again.articles_total == 5 and not again.changed_anything


def test_an_unchanged_corpus_reads_no_hash_and_writes_nothing(stories, monkeypatch):
    """Issue 15: an unchanged re-index compares the walk's (path, size,
    mtime_ns) with the manifest's as they are read, in one pass: no file's
    hash or article ids, no article's or signature's hash is read, and the
    store is not written (the corpus's name, "complete", the versions' mark
    are there already)."""
    from index import pipeline

    _root, c = stories
    said: list[str] = []

    class Traced(store.Store):  # the store the update opens, its statements recorded
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.db.set_trace_callback(said.append)

    monkeypatch.setattr(indexer, "Store", Traced)
    monkeypatch.setattr(pipeline, "Store", Traced)
    report = c.update()
    assert counts(report) == (0, 0, 0, 3) and report.articles_total == 3
    assert report.versions is not None and report.versions.signed == 0
    statements = [" ".join(q.split()) for q in said]
    # the walk's digest is the one the first update recorded: no row of the
    # manifest is read (issue 15)
    assert not [q for q in statements if q.startswith("SELECT path, size, mtime_ns FROM files")]
    assert not [q for q in statements if re.search(r"\b(sha|ids)\b", q)]
    assert not [q for q in statements if "FROM sigs" in q or "id, hash FROM articles" in q]
    assert [q for q in statements if not q.startswith(("SELECT", "PRAGMA"))] == []


def _traced_statements(c: Corpus, monkeypatch) -> list[str]:
    """The statements of the indexer's store during one ``c.update()``."""
    said: list[str] = []

    class Traced(store.Store):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.db.set_trace_callback(said.append)

    with monkeypatch.context() as m:
        m.setattr(indexer, "Store", Traced)
        c.update()
    return [" ".join(q.split()) for q in said]


def _digest(c: Corpus) -> str | None:
    s = store.Store(c.index_dir / store.STORE_FILE, readonly=True)
    try:
        return s.get_meta("manifest_digest")
    finally:
        s.close()


def _write_store(c: Corpus, sql: str, *args) -> None:
    """A write as any other code would make it (a variorum that knows nothing
    of the digest): plain SQL."""
    db = sqlite3.connect(c.index_dir / store.STORE_FILE)
    with db:
        db.execute(sql, args)
    db.close()


def test_without_its_digest_the_manifest_is_compared_and_the_digest_recorded(
        stories, monkeypatch):
    """No digest (a store of before it, or one written since): the walk is
    compared with the manifest's (path, size, mtime_ns), none of its hashes
    or ids read, and the digest is recorded, the one write; the next run
    reads no row."""
    _root, c = stories
    recorded = _digest(c)
    assert recorded is not None  # (the first update recorded it)
    _write_store(c, "DELETE FROM meta WHERE key = 'manifest_digest'")
    statements = _traced_statements(c, monkeypatch)
    assert "SELECT path, size, mtime_ns FROM files" in statements
    assert not [q for q in statements if re.search(r"\b(sha|ids)\b", q)]
    writes = [q for q in statements
              if not q.startswith(("SELECT", "PRAGMA", "BEGIN", "COMMIT", "CREATE TRIGGER"))]
    assert len(writes) == 1 and writes[0].startswith("INSERT OR REPLACE INTO meta VALUES "
                                                     "('manifest_digest'")
    assert _digest(c) == recorded
    assert "SELECT path, size, mtime_ns FROM files" not in _traced_statements(c, monkeypatch)


def test_a_digest_that_is_not_the_walks_falls_back_to_the_manifest(stories, monkeypatch):
    """A recorded digest that differs from the walk's is no answer: the rows
    are compared (here equal: the digest is recorded again, the run changes
    nothing)."""
    _root, c = stories
    recorded = _digest(c)
    assert recorded is not None
    _write_store(c, "UPDATE meta SET value = ? WHERE key = 'manifest_digest'", "0" * 40)
    statements = _traced_statements(c, monkeypatch)
    assert "SELECT path, size, mtime_ns FROM files" in statements
    assert _digest(c) == recorded


def test_any_write_to_the_manifest_drops_its_digest(stories, monkeypatch):
    """The digest is only ever of the manifest as it is: a write to its rows
    by any code (here plain SQL: a file's mtime as an older variorum might
    have recorded it) drops it, and the next update compares the rows, so
    the file whose recorded mtime is not the walk's is opened again."""
    _root, c = stories
    assert _digest(c) is not None
    _write_store(c, "UPDATE files SET mtime_ns = 1 WHERE path = 'a.txt'")
    assert _digest(c) is None
    opened = []
    real = indexer.read_file

    def reading(root, entry, *args, **kwargs):
        opened.append(entry.path)
        return real(root, entry, *args, **kwargs)

    monkeypatch.setattr(indexer, "read_file", reading)
    report = c.update()
    assert counts(report) == (0, 0, 0, 3) and opened == ["a.txt"]  # same bytes: touched
    assert _digest(c) is not None


def test_changes_are_seen_when_a_digest_was_recorded(stories, write_files):
    """With the digest of the unchanged corpus recorded, every kind of change
    is still seen: a file rewritten in place with the same size and a new
    mtime, one added, one removed, one renamed."""
    root, c = stories
    assert c.update().files_unchanged == 3 and _digest(c) is not None
    a = root / "a.txt"
    before = a.stat()
    text = a.read_text(encoding="utf-8").replace("zebrafinch", "kingfisher")
    a.write_text(text, encoding="utf-8")
    os.utime(a, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
    assert a.stat().st_size == before.st_size
    assert counts(c.update()) == (0, 1, 0, 2)
    assert hits(c, "kingfisher") == ["a.txt"] and hits(c, "zebrafinch") == []

    write_files({"d.txt": "Delta Story\n\nA narwhal surfaced in the harbour.\n"})
    assert counts(c.update()) == (1, 0, 0, 3)
    assert hits(c, "narwhal") == ["d.txt"]

    os.remove(root / "b.txt")
    assert counts(c.update()) == (0, 0, 1, 3)
    assert hits(c, "quokka") == []

    os.rename(root / "c.md", root / "e.md")  # same size and mtime, another path
    assert counts(c.update()) == (1, 0, 1, 2)
    assert hits(c, "axolotl") == ["e.md"]
    assert counts(c.update()) == (0, 0, 0, 3)


def test_generation_moves_on_with_each_change_seen_by_another_process(stories, write_files,
                                                                      open_corpus):
    root, c = stories
    other = open_corpus(root)  # another reader of the same index
    seen = other.generation()
    assert seen == c.generation() and seen > 0
    c.update()  # nothing changed: nothing for a reader to reload
    assert other.generation() == seen
    write_files({"d.txt": "Delta Story\n\nA narwhal surfaced in the harbour.\n"})
    c.update()
    assert other.generation() > seen


def test_new_file_is_added_and_searchable(stories, write_files):
    _root, c = stories
    assert c.search("narwhal").total == 0
    write_files({"d.txt": "Delta Story\n\nA narwhal surfaced in the harbour.\n"})
    report = c.update()
    assert counts(report) == (1, 0, 0, 3)
    assert (report.articles_added, report.articles_total) == (1, 4)
    assert hits(c, "narwhal") == ["d.txt"]
    assert c.get("d.txt").title == "Delta Story"


def test_changed_file_replaces_its_words(stories, write_files):
    _root, c = stories
    old_id = c.get("b.txt").id
    write_files({"b.txt": "Beta Story\n\nThe wombat dozed on the pier.\n"})
    report = c.update()
    assert counts(report) == (0, 1, 0, 2)
    assert (report.articles_added, report.articles_updated, report.articles_removed) == (0, 1, 0)
    assert hits(c, "quokka") == []
    assert hits(c, "wombat") == ["b.txt"]
    assert hits(c, "harbour") == ["a.txt", "c.md"]
    assert c.get("b.txt").id == old_id
    assert "wombat" in c.get("b.txt").text
    assert c.count() == 3


def test_deleted_file_is_gone_everywhere(stories):
    root, c = stories
    os.remove(root / "a.txt")
    report = c.update()
    assert counts(report) == (0, 0, 1, 2)
    assert (report.articles_removed, report.articles_total) == (1, 2)
    assert hits(c, "zebrafinch") == []
    assert hits(c, "harbour") == ["b.txt", "c.md"]
    assert [m.path for m in c.articles()] == ["b.txt", "c.md"]
    with pytest.raises(NotFoundError):
        c.get("a.txt")
    # The deleted article's words leave the spelling vocabulary too.
    assert c.suggest("zebrafinsh") is None


def test_touched_file_counts_as_unchanged(stories, monkeypatch):
    root, c = stories
    st = (root / "a.txt").stat()
    os.utime(root / "a.txt", ns=(st.st_atime_ns, st.st_mtime_ns + 10**10))
    report = c.update()
    assert counts(report) == (0, 0, 0, 3)
    assert (report.articles_added, report.articles_updated, report.articles_total) == (0, 0, 3)
    assert hits(c, "zebrafinch") == ["a.txt"]

    # The new mtime was recorded: the next update does not open the file again.
    def no_reading(*args, **kwargs):
        raise AssertionError("an unchanged file was read")

    monkeypatch.setattr(indexer, "read_file", no_reading)
    assert counts(c.update()) == (0, 0, 0, 3)


def test_jsonl_line_edit_updates_that_article(write_files, open_corpus):
    line1 = '{"id": "1", "text": "otters"}\n'
    root = write_files({"feed.jsonl": line1 + '{"id": "2", "text": "seals"}\n'})
    c = open_corpus(root)
    c.update()
    ids = {c.get(m.id).text: m.id for m in c.articles()}
    write_files({"feed.jsonl": line1 + '{"id": "2", "text": "walruses"}\n'})
    report = c.update()
    assert (report.articles_added, report.articles_updated, report.articles_removed) == (0, 2, 0)
    assert hits(c, "seals") == []
    assert [h.id for h in c.search("walruses").hits] == [ids["seals"]]
    assert [h.id for h in c.search("otters").hits] == [ids["otters"]]


def test_missing_corpus_and_missing_index(tmp_path, open_corpus):
    with pytest.raises(CorpusError, match="not found"):
        open_corpus(tmp_path / "nowhere").update()
    (tmp_path / "empty").mkdir()
    c = open_corpus(tmp_path / "empty")
    with pytest.raises(IndexMissingError, match="not indexed"):
        c.search("anything")


def test_default_index_dir_is_under_the_data_dir(data_dir, write_files):
    root = write_files(STORIES)
    with Corpus(root) as c:
        assert c.index_dir.is_relative_to(data_dir)
        c.update()
        assert hits(c, "quokka") == ["b.txt"]
    assert any(data_dir.rglob(indexer.STORE_FILE))


# ---------------------------------------------------------- failure and locks


def lock_is_free(index_dir) -> bool:
    lock = windex.open_dir(index_dir / indexer.WHOOSH_DIR).lock("WRITELOCK")
    if not lock.acquire():
        return False
    lock.release()
    return True


def test_failed_commit_raises_keeps_old_index_and_releases_lock(stories, write_files,
                                                               monkeypatch):
    root, c = stories
    write_files({"d.txt": "Delta Story\n\nA narwhal surfaced.\n"})
    os.remove(root / "a.txt")

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(windex.TOC, "write", disk_full)
        with pytest.raises(DiskFullError) as err:
            c.update()
    assert str(err.value) == (f"disk full while writing the index at {c.index_dir}; "
                              "the previous index is unchanged")

    assert lock_is_free(c.index_dir)
    assert hits(c, "zebrafinch") == ["a.txt"]  # the previous index, as it was
    assert hits(c, "narwhal") == []
    assert c.count() == 3

    report = c.update()
    assert counts(report) == (1, 0, 1, 2)
    assert hits(c, "narwhal") == ["d.txt"]
    assert hits(c, "zebrafinch") == []


def test_second_writer_gets_index_busy(stories, write_files):
    _root, c = stories
    lock = windex.open_dir(c.index_dir / indexer.WHOOSH_DIR).lock("WRITELOCK")
    assert lock.acquire()
    try:
        write_files({"d.txt": "Delta Story\n\nA narwhal surfaced.\n"})
        with pytest.raises(IndexBusyError) as err:
            c.update()
        assert "\n" not in str(err.value) and str(c.index_dir) in str(err.value)
        assert hits(c, "zebrafinch") == ["a.txt"]  # readers are not blocked
    finally:
        lock.release()
    assert counts(c.update()) == (1, 0, 0, 3)
    assert hits(c, "narwhal") == ["d.txt"]


def test_crash_after_whoosh_commit_is_repaired_without_duplicates(stories, write_files,
                                                                 monkeypatch):
    _root, c = stories
    write_files({"d.txt": "Delta Story\n\nA narwhal surfaced.\n"})
    write_files({"b.txt": "Beta Story\n\nThe wombat dozed.\n"})

    def killed(*args, **kwargs):
        raise RuntimeError("killed before the store was updated")

    with monkeypatch.context() as m:
        m.setattr(store.Store, "apply", killed)
        with pytest.raises(RuntimeError, match="killed"):
            c.update()

    assert lock_is_free(c.index_dir)
    c.update()
    with Corpus(c.root, index_dir=c.index_dir) as fresh:
        for reader in (c, fresh):  # the one that searched before, and a new one
            assert reader.search("narwhal").total == 1
            assert reader.search("wombat").total == 1
            assert reader.search("quokka").total == 0
            assert reader.search("harbour").total == 2
    assert [m.path for m in c.articles()] == ["a.txt", "b.txt", "c.md", "d.txt"]
    assert counts(c.update()) == (0, 0, 0, 4)


def test_cancel_leaves_previous_index(stories, write_files):
    root, c = stories
    write_files({"d.txt": "Delta Story\n\nA narwhal surfaced.\n"})
    os.remove(root / "a.txt")
    report = c.update(cancel=lambda: True)
    assert report.cancelled
    assert report.articles_total == 3
    assert hits(c, "narwhal") == []
    assert hits(c, "zebrafinch") == ["a.txt"]
    assert [m.path for m in c.articles()] == ["a.txt", "b.txt", "c.md"]
    assert lock_is_free(c.index_dir)
    done = c.update()
    assert not done.cancelled and counts(done) == (1, 0, 1, 2)
    assert hits(c, "narwhal") == ["d.txt"]


# ------------------------------------------------------- parallel and writers

QUERIES = ["putin", '"Yun Sun"', "presid*", "Putn~", "korea NOT stimson", "title:korea"]


def results(c: Corpus) -> dict[str, list[tuple[str, float, list]]]:
    out = {}
    for q in QUERIES:
        out[q] = [(h.id, h.score, h.spans) for h in c.search(q, limit=None).hits]
    return out


def test_parallel_workers_give_the_same_index(open_corpus, sample_dir, monkeypatch):
    serial = open_corpus(sample_dir, "serial")
    serial.update(procs=1)

    made = []
    real_pool = pools.process_pool

    def spy_pool(workers, *args):
        made.append(workers)
        return real_pool(workers, *args)

    monkeypatch.setattr(indexer, "FILES_PER_CHUNK", 1)  # five files: enough for workers
    monkeypatch.setattr(pools, "process_pool", spy_pool)
    progress = []
    parallel = open_corpus(sample_dir, "parallel")
    report = parallel.update(procs=2, versions=False,
                             progress=lambda *phase_done_total: progress.append(phase_done_total))
    assert made == [2]  # worker processes really ran
    assert counts(report) == (5, 0, 0, 0) and report.articles_total == 5
    # a worker's chunk at a time
    assert len(progress) == 2 and progress[-1] == ("reading", 5, 5)

    assert parallel.articles() == serial.articles()
    want, got = results(serial), results(parallel)
    for q in QUERIES:
        assert [(i, s) for i, _, s in got[q]] == [(i, s) for i, _, s in want[q]], q
        assert [sc for _, sc, _ in got[q]] == pytest.approx([sc for _, sc, _ in want[q]]), q
    assert want["putin"]  # the comparison is not vacuous


def positions(reader, term) -> list[tuple[int, list[int]]]:
    return list(reader.postings("body", term).items_as("positions"))


def segment_files(ix) -> dict[str, bytes]:
    """A one-segment index's files by their kind (their names are random)."""
    folder = Path(ix.storage.folder)
    return {f.name.split(".", 1)[1]: f.read_bytes() for f in folder.glob("MAIN_*.*")}


def blocks(reader, field, term) -> list[tuple]:
    """The per-block statistics Whoosh uses to skip blocks in top-N searches."""
    m = reader.postings(field, term)
    out = []
    while m.is_active():
        out.append((m.block_min_id(), m.block_max_id(), m.block_min_length(),
                    m.block_max_length(), m.block_max_weight()))
        m.skip_to(m.block_max_id() + 1)
    return out


@pytest.mark.parametrize("limitmb", [0.02, 512])
def test_bulk_segment_writer_matches_whoosh_writer(tmp_path, sample_dir, sample_files,
                                                   limitmb):
    docs = [(a, content_hash(a.text)) for r in iter_corpus(sample_dir) for a in r.articles]
    assert len(docs) == len(sample_files)

    def build(name, make_writer, body):
        folder = tmp_path / name
        folder.mkdir()
        ix = windex.create_in(folder, indexer.schema())
        w = make_writer(ix)
        for a, h in docs:
            w.add_document(id=a.id, path=a.path, title=a.title, hash=h, body=body(a.text))
        w.commit()
        return ix

    plain = build("plain", lambda ix: ix.writer(), lambda text: text)
    # A tiny pool limit makes the term pool spill runs to disk and merge them;
    # a large one keeps every term in memory.
    # (separate files, not a compound one: that one holds the files' random names)
    bulk = build("bulk", lambda ix: BulkSegmentWriter(ix, limitmb=limitmb, compound=False),
                 term_positions)

    def whoosh_pool(ix):  # the same bulk writer with Whoosh's own posting pool
        w = BulkSegmentWriter(ix, limitmb=limitmb, compound=False)
        w.pool = PostingPool(w._tempstorage, w.newsegment, limitmb=limitmb)
        return w

    # the term pool's segment is byte for byte the one Whoosh's pool makes
    assert segment_files(build("whoosh-pool", whoosh_pool, term_positions)) == \
        segment_files(bulk)
    with plain.searcher() as ps, bulk.searcher() as bs:
        pr, br = ps.reader(), bs.reader()
        assert list(br.all_terms()) == list(pr.all_terms())
        for field, term in pr.all_terms():
            assert br.doc_frequency(field, term) == pr.doc_frequency(field, term)
            assert blocks(br, field, term) == blocks(pr, field, term)
            if field == "body":
                assert positions(br, term) == positions(pr, term)
        for d in range(len(docs)):
            assert br.doc_field_length(d, "body") == pr.doc_field_length(d, "body")
        for q in QUERIES:
            query = parse(q, plain.schema)
            want = [(r["id"], r.score) for r in ps.search(query, limit=None)]
            got = [(r["id"], r.score) for r in bs.search(query, limit=None)]
            assert [i for i, _ in got] == [i for i, _ in want], q
            assert [s for _, s in got] == pytest.approx([s for _, s in want]), q


def test_readers_keep_working_while_a_writer_runs(tmp_path, open_corpus, sample_dir,
                                                  sample_files):
    root = tmp_path / "corpus"
    shutil.copytree(sample_dir, root)
    writer = open_corpus(root)
    writer.update()
    readers = [Corpus(root, index_dir=writer.index_dir) for _ in range(2)]
    try:
        assert [r.search("stimson").total for r in readers] == [3, 3]
        (root / "005_new.txt").write_text("Narwhal Story\n\nA narwhal met Yun Sun.\n")
        os.remove(root / sample_files["000"])
        seen_mid_update = []

        def during(_phase, done, total):
            # Called while the writer holds the lock, its new segment written
            # but not yet committed: readers see the previous index.
            assert not lock_is_free(writer.index_dir)
            for r in readers:
                seen_mid_update.append(
                    (r.search("narwhal").total, r.search("treaty").total, r.count())
                )

        writer.update(progress=during, versions=False)
        assert seen_mid_update and set(seen_mid_update) == {(0, 4, 5)}
        for r in readers:
            assert [h.path for h in r.search("narwhal").hits] == ["005_new.txt"]
            assert r.search('"Yun Sun"').total == 3
            assert sample_files["000"] not in paths(r, "treaty")
            assert r.count() == 5
    finally:
        for r in readers:
            r.close()


def test_a_bad_field_in_one_jsonl_line_skips_that_line_only(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    lines = [
        {"id": "a", "title": "Fine", "text": "Giraffes crossed the road today."},
        {"id": "b", "title": "Odd date", "text": "Okapis too.",
         "date": "Mon, 1 Jan 99999999999 00:00:00"},  # overflows the date parser
        {"id": "c", "title": "Also fine", "text": "Zebras watched them."},
    ]
    (folder / "feed.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    c = Corpus(folder, index_dir=tmp_path / "ix")
    r = c.update(versions=False)
    assert r.articles_total == 3 and not r.skipped
    assert c.search("giraffes").total == 1 and c.search("okapis").total == 1
    (odd,) = [a for a in c.articles() if a.title == "Odd date"]
    assert odd.date is None  # an unreadable date is no date, never a guess


def test_an_interrupted_first_index_does_not_count_as_indexed(tmp_path, sample_dir):
    c = Corpus(sample_dir, index_dir=tmp_path / "ix")
    r = c.update(cancel=lambda: True)
    assert r.cancelled and not c.has_index
    c.update()
    assert c.has_index and c.search("stimson").total == 3


def test_one_updater_at_a_time(tmp_path, sample_dir):
    from index.search.indexer import update_lock

    c = Corpus(sample_dir, index_dir=tmp_path / "ix")
    c.update()
    with update_lock(c.index_dir), pytest.raises(IndexBusyError):
        c.update()
    c.update()  # released


def test_index_dir_with_uri_characters(tmp_path, sample_dir):
    c = Corpus(sample_dir, index_dir=tmp_path / "odd #1 ?x" / "ix")
    c.update()
    assert c.search("stimson").total == 3 and c.families()


def test_vocabulary_counts_every_word_and_forgets_removed_ones(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "a.md").write_text(
        "---\ntitle: Okapi parade\n---\nLeaders were signing; they sign.\n")
    (folder / "b.txt").write_text("Signing ceremony\n\nThey sign again.\n")
    c = Corpus(folder, index_dir=tmp_path / "ix")
    c.update(versions=False)

    def vocab() -> dict[str, int]:
        words, dfs = c.store.vocab()
        return dict(zip(words, dfs, strict=True))

    v = vocab()
    assert v["sign"] == 2 and v["signing"] == 2  # a word and its stem's other forms
    assert v["okapi"] == 1  # the title is indexed with the body, so it is spellable
    (folder / "a.md").unlink()
    c.update(versions=False)
    v = vocab()
    assert "okapi" not in v and "leaders" not in v
    assert v["sign"] == 1 and v["signing"] == 1


def test_prefetched_article_list_is_the_list(sample_dir, tmp_path):
    from index import Corpus, IndexMissingError

    c = Corpus(sample_dir, index_dir=tmp_path / "ix")
    c.prefetch_list()
    with pytest.raises(IndexMissingError):  # not indexed yet: the error comes through
        c.article_list()
    c.update(procs=1)
    direct = c.article_list()
    c.prefetch_list()
    assert c.article_list() == direct and [e.path for e in direct] == sorted(
        p.name for p in sample_dir.iterdir())
    assert c.article_list() == direct  # taken once; then read again
    c.close()


def join_read_ahead() -> None:
    """Wait for the thread of Corpus.prefetch_list to end (its read done)."""
    import threading

    for t in threading.enumerate():
        if t.name == "variorum-prefetch":
            t.join()


def test_a_list_read_ahead_is_handed_over_when_read_never_waited_for(sample_dir, tmp_path):
    """Issue 15: ``prefetched_list`` gives the read-ahead's generation and
    list once it has been read (the reader's first frame shows it), never
    waits for it, and leaves a failed read to ``article_list``."""
    from index import Corpus, IndexMissingError

    c = Corpus(sample_dir, index_dir=tmp_path / "ix")
    assert c.prefetched_list() is None  # none read ahead
    c.prefetch_list()
    join_read_ahead()
    assert c.prefetched_list() is None  # failed (no index yet): article_list says so
    with pytest.raises(IndexMissingError):
        c.article_list()
    c.update(procs=1)
    with c.snapshot():  # (the corpus's lock held: the read-ahead cannot read yet)
        c.prefetch_list()
        assert c.prefetched_list() is None  # still being read: not waited for
    join_read_ahead()
    generation, listing = c.prefetched_list()
    assert generation == c.generation() and listing == c.article_list()
    assert [e.path for e in listing] == sorted(p.name for p in sample_dir.iterdir())
    assert c.prefetched_list() is None  # taken once
    c.close()


def test_a_list_read_ahead_is_listed_with_its_own_generation(tmp_path):
    """A list read ahead, then a commit (another process's update), then the
    list asked for: ``listed`` gives the read-ahead's list with the
    generation read with it, not the newer one (the reader would record the
    new generation with the old list, and not load it again until the next
    commit); the next call reads both anew."""
    from index import Corpus

    root = tmp_path / "news"
    root.mkdir()
    (root / "one.txt").write_text("One\n\nThe first story.\n")
    c = Corpus(root, index_dir=tmp_path / "ix")
    c.update(procs=1, versions=False)
    before = c.generation()
    c.prefetch_list()
    join_read_ahead()
    (root / "two.txt").write_text("Two\n\nThe second story.\n")
    c.update(procs=1, versions=False)
    assert c.generation() > before
    generation, listing = c.listed()
    assert (generation, [e.path for e in listing]) == (before, ["one.txt"])
    generation, listing = c.listed()
    assert (generation, [e.path for e in listing]) == (c.generation(), ["one.txt", "two.txt"])
    c.close()


def _rename_schema_module(wdir: Path, old: str, new: str) -> None:
    """Make the latest TOC's pickled schema name its classes' module ``new``
    (what an index written before the module was renamed holds)."""
    import io

    from whoosh.filedb.structfile import StructFile

    toc = max(wdir.glob("_MAIN_*.toc"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    raw = toc.read_bytes()
    f = StructFile(io.BytesIO(raw))
    for read in ("read_varint",) * 3 + ("read_int",) * 2 + ("read_varint",) * 3:
        getattr(f, read)()  # sizes, byte order, TOC version, Whoosh release
    start = f.tell()
    pickled = f.read_string()
    end = f.tell()
    assert f"{old}\n".encode() in pickled  # protocol 2: a class is "c<module>\n<name>\n"
    out = io.BytesIO()
    StructFile(out).write_string(pickled.replace(f"{old}\n".encode(), f"{new}\n".encode()))
    toc.write_bytes(raw[:start] + out.getvalue() + raw[end:])


def test_an_index_is_read_with_the_schema_of_the_code(stories, write_files, open_corpus):
    """Whoosh pickles the schema into each TOC, naming its classes by module;
    an index written before they moved (the flat layout's ``index.analysis``)
    still opens, searches and updates: the engine reads every index with the
    schema its code defines."""
    root, c = stories
    c.close()
    wdir = c.index_dir / indexer.WHOOSH_DIR
    _rename_schema_module(wdir, type(indexer.schema()["body"]).__module__, "index.analysis")
    with pytest.raises(ModuleNotFoundError):
        windex.open_dir(wdir)  # what reading the TOC's schema would do
    again = open_corpus(root)
    assert again.has_index and hits(again, "zebrafinch") == ["a.txt"]
    write_files({"d.txt": "Delta Story\n\nThe pangolin crossed the harbour.\n"})
    assert counts(again.update()) == (1, 0, 0, 3)
    assert hits(again, "pangolin") == ["d.txt"] and len(hits(again, "harbour")) == 4


# ------------------------------------------------------- the store's schema
def _schema_version(path: Path) -> str:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
    finally:
        db.close()


def test_a_store_written_by_a_newer_variorum_is_refused(stories):
    """The schema version is read and acted on: a store of a version this
    code does not know is neither read nor written (one line, which says so)."""
    from index import IndexVersionError
    from index.store.schema import SCHEMA_VERSION

    root, c = stories
    c.close()
    path = c.index_dir / store.STORE_FILE
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE meta SET value=? WHERE key='schema_version'",
                   (str(SCHEMA_VERSION + 1),))
    db.close()
    for readonly in (True, False):
        with pytest.raises(IndexVersionError, match="written by a newer variorum"):
            store.Store(path, readonly=readonly)
    again = Corpus(root, index_dir=c.index_dir)
    with pytest.raises(IndexVersionError):
        again.search("harbour")
    with pytest.raises(IndexVersionError):
        again.update()
    assert _schema_version(path) == str(SCHEMA_VERSION + 1)  # left as it was


def test_a_store_of_the_first_version_is_migrated_once_complete(stories):
    """A store marked version 1 may lack the tables added later without a
    version of their own (they were made by every open): the migration to
    the next version makes them, once, and records it; readers of the old
    store still work without them."""
    from index.store.schema import SCHEMA_VERSION

    root, c = stories
    c.close()
    path = c.index_dir / store.STORE_FILE
    db = sqlite3.connect(path)
    with db:
        for trigger in ("listing_ins", "listing_upd", "listing_del"):
            db.execute(f"DROP TRIGGER {trigger}")
        for table in ("listing", "annotations", "entity_tokens", "sentkeys", "sentcounts"):
            db.execute(f"DROP TABLE {table}")
        db.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    db.close()
    old = Corpus(root, index_dir=c.index_dir)
    assert [e.path for e in old.article_list()] == ["a.txt", "b.txt", "c.md"]
    old.close()
    assert _schema_version(path) == "1"  # a reader migrates nothing

    store.Store(path).close()
    assert _schema_version(path) == str(SCHEMA_VERSION)
    db = sqlite3.connect(path)
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    db.close()
    assert {"listing", "annotations", "entity_tokens", "sentkeys", "sentcounts",
            "listing_ins", "listing_upd", "listing_del"} <= names
    again = Corpus(root, index_dir=c.index_dir)
    # the .md is read once more (the migration to 3: the languages files may
    # give), the .txt files are not
    assert counts(again.update()) == (0, 1, 0, 2)
    assert counts(again.update()) == (0, 0, 0, 3)
    assert hits(again, "harbour") == ["a.txt", "b.txt", "c.md"]


def test_a_new_store_records_the_version_of_its_schema(tmp_path):
    from index.store.schema import SCHEMA_VERSION

    store.Store(tmp_path / "s.sqlite").close()
    assert _schema_version(tmp_path / "s.sqlite") == str(SCHEMA_VERSION)


# ------------------------------------------------------------ the listing


def _table_list(c: Corpus) -> list:
    """The list as the articles table gives it (the listing blob not read)."""
    return [tuple(e) for e in c.store._entries()]


def test_listing_blob_follows_every_change_to_the_articles(stories, write_files):
    from index.models import Listing

    root, c = stories
    listing = c.article_list()
    assert isinstance(listing, Listing)  # read from the blob written with the index
    assert [tuple(e) for e in listing] == _table_list(c)
    write_files({"d.txt": "Delta Story\n\nThe numbat dug by the harbour.\n"})
    (root / "a.txt").unlink()
    (root / "b.txt").write_text("Beta Retitled\n\nThe quokka left.\n", encoding="utf-8")
    c.update()
    listing = c.article_list()
    assert isinstance(listing, Listing)
    assert [(e.path, e.title) for e in listing] == [
        ("b.txt", "Beta Retitled"), ("c.md", "Gamma Story"), ("d.txt", "Delta Story")]
    assert [tuple(e) for e in listing] == _table_list(c)


def test_a_listing_not_written_with_the_articles_is_not_used(stories):
    """Changes made to the articles by anything but the indexer (an older
    variorum, say) drop the listing: the list is read from the table."""
    import sqlite3

    from index.models import Listing

    _root, c = stories
    db = sqlite3.connect(c.index_dir / store.STORE_FILE)
    with db:  # an in-place edit: same count, same rowids
        db.execute("UPDATE articles SET title='Changed Behind Its Back' WHERE path='a.txt'")
    assert "Changed Behind Its Back" in [e.title for e in c.article_list()]
    c.update()  # nothing changed on disk: the update writes the listing all the same
    assert isinstance(c.article_list(), Listing)
    with db:  # the last row replaced by another with the same rowid: same count and top rowid
        top = db.execute("SELECT MAX(rowid) FROM articles").fetchone()[0]
        row = db.execute("SELECT * FROM articles WHERE rowid=?", (top,)).fetchone()
        db.execute("DELETE FROM articles WHERE rowid=?", (top,))
        db.execute("INSERT INTO articles (rowid, id, path, line, title, source, date, author, "
                   "url, hash) VALUES (?, 'ffffffffffff', 'zz.txt', NULL, 'Slipped In', NULL, "
                   "NULL, NULL, NULL, ?)", (top, row[-1]))
    assert [e.title for e in c.article_list()][-1] == "Slipped In"
    with db:
        db.execute("DROP TABLE listing")  # an index from before the listing,
        # which says schema version 1, as every store then did
        db.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    db.close()
    assert [tuple(e) for e in c.article_list()] == _table_list(c)
    c.update()
    assert isinstance(c.article_list(), Listing)
    assert [tuple(e) for e in c.article_list()] == _table_list(c)


def test_listing_entries_and_lookups():
    from index.models import ListEntry, Listing, index_of

    ids = ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"]
    entries = [ListEntry(ids[0], "x/one.txt", "One"),
               ListEntry(ids[1], f"x/{ids[2]}", "A path that ends like an id"),
               ListEntry(ids[2], "x/three.txt", "Three, “quoted”")]
    listing = Listing.of(entries)
    assert isinstance(listing, Listing) and len(listing) == 3
    assert listing == entries and list(listing) == entries and listing[-1] == entries[2]
    assert listing[1:] == entries[1:]
    assert [index_of(listing, i) for i in ids] == [0, 1, 2]  # not fooled by the path
    assert index_of(listing, "dddddddddddd") is None and index_of(listing, "aaaa") is None
    assert len(Listing("")) == 0 and index_of(Listing(""), ids[0]) is None
    odd = [*entries, ListEntry("dddddddddddd", "x/a\x1fb.txt", "A file name with a US")]
    kept = Listing.of(odd)
    assert kept == odd and index_of(kept, "dddddddddddd") == 3
    # one encoding, for the list and the store's listing blob
    assert Listing(Listing.encode(entries)) == entries and Listing.encode(odd) is None


def test_a_listing_of_the_stores_bytes_is_decoded_as_its_rows_are_read():
    """Issue 15: the store's listing blob is handed over as its bytes: a row
    read is decoded alone (the first paint reads a screenful of 100k), every
    row only when all are read; the entries, lookups and columns are those of
    the text, with titles and paths beyond ASCII."""
    from index.models import ListEntry, Listing, index_of

    entries = [ListEntry("aaaaaaaaaaaa", "été/un.txt", "Un “été” à Zürich", "", "été"),
               ListEntry("bbbbbbbbbbbb", "x/ünï.txt", "Ünïcode — 東京", "2024-05-06", "Wire"),
               ListEntry("cccccccccccc", "y/three.txt", "", "", "y")]
    data = Listing.encode(entries).encode("utf-8")
    listing = Listing(data)
    assert len(listing) == 3 and listing[1] == entries[1] and listing[-1] == entries[2]
    assert listing[:2] == entries[:2]
    assert not listing._decoded  # (rows read one by one: the whole is not decoded)
    assert [index_of(listing, e.id) for e in entries] == [0, 1, 2]
    assert listing.has_columns() == (True, True)
    assert list(listing) == entries and listing == Listing.of(entries)
    assert listing[0] == entries[0] and listing[1:] == entries[1:]  # (after: from the text)
    undated = Listing(Listing.encode([entries[0], entries[2]]).encode("utf-8"))
    assert undated.has_columns() == (False, True)
    bare = Listing(Listing.encode([ListEntry("dddddddddddd", "d.txt", "D")]).encode("utf-8"))
    assert bare.has_columns() == (False, False)


def test_the_stores_listing_is_cut_at_its_records_starts_not_split(stories, write_files):
    """Issue 15: the store keeps where each record of its listing blob starts
    and its columns; the list it gives is cut out of the bytes at those (no
    split, no search of them for a date), and is the one the articles table
    gives, row by row, in slices, from the end, after every change."""
    from index.models import Listing

    root, c = stories
    write_files({"d.txt": "Delta Story\n\nThe numbat dug by the harbour.\n",
                 "e/ë.txt": "Épsilon “Story”\n\nThe quoll ran.\n"})
    c.update()
    for _ in range(2):
        listing = c.article_list()
        table = _table_list(c)
        assert isinstance(listing, Listing) and listing._recs is None  # not split
        assert listing._cols is not None  # (given by the store, not searched for)
        assert [tuple(listing[k]) for k in range(len(listing))] == table
        assert [tuple(e) for e in listing[1:4]] == table[1:4]
        assert tuple(listing[-1]) == table[-1] and tuple(listing[-len(table)]) == table[0]
        assert [tuple(e) for e in listing[::-2]] == table[::-2]
        assert listing._recs is None  # (read row by row: still cut, not split)
        with pytest.raises(IndexError):
            listing[len(table)]
        assert listing.has_columns() == Listing(Listing.encode(listing)).has_columns()
        assert [tuple(e) for e in listing] == table
        (root / "a.txt").unlink(missing_ok=True)
        (root / "b.txt").write_text("Beta Retitled\n\nThe quokka left.\n", encoding="utf-8")
        c.update()


def test_the_listings_starts_go_with_it(stories):
    """The starts are deleted with the listing, whoever deletes it (a
    variorum that knows nothing of them writing the listing again after an
    edit of its own): the list is then split as before and is right; a store
    from before them gets them with its next update; starts that are not the
    blob's are given up on the first row they cut wrong."""
    import sqlite3

    from index.models import Listing, list_entry

    _root, c = stories
    db = sqlite3.connect(c.index_dir / store.STORE_FILE)
    assert db.execute("SELECT COUNT(*) FROM listing_rows").fetchone() == (1,)
    with db:  # an older variorum: the article edited, the listing written again
        db.execute("UPDATE articles SET title='Renamed Elsewhere' WHERE path='a.txt'")
        assert db.execute("SELECT COUNT(*) FROM listing_rows").fetchone() == (0,)
        entries = [list_entry(*row) for row in db.execute(store._LIST_SQL)]
        db.execute("INSERT INTO listing VALUES (0, ?, ?, ?)",
                   (c.store._stamp(), len(entries), Listing.encode(entries).encode("utf-8")))
    listing = c.article_list()
    assert listing._starts is None and listing._recs is not None  # split, as before
    assert [tuple(e) for e in listing] == _table_list(c)
    assert "Renamed Elsewhere" in [e.title for e in listing]
    with db:
        db.execute("DROP TRIGGER listing_rows_del")  # a store from before them
        db.execute("DROP TABLE listing_rows")
    assert [tuple(e) for e in c.article_list()] == _table_list(c)
    c.update()  # nothing changed on disk: the update writes them all the same
    assert c.article_list()._starts is not None
    # starts kept for other bytes (by hand: the trigger never lets it happen)
    entries = c.store._entries()
    data = Listing.encode(entries).encode("utf-8")
    wrong = Listing.starts_of(data)[::-1]  # the same count, from the end
    wrong = [0, *(len(data) + 1 - w for w in wrong[:-1]), len(data) + 1]
    listing = Listing(data, wrong, (False, False))
    assert [listing[k] for k in range(len(entries))] == entries
    assert listing._starts is None  # given up
    # starts whose first cut ends and starts at separators but spans two
    # records (the second start left out, the third given twice)
    right = [*Listing.starts_of(data), len(data) + 1]
    spanning = Listing(data, [0, right[2], *right[2:]], (False, False))
    assert spanning[0] == entries[0] and spanning._starts is None
    db.close()


def name_latest_generation(index_dir) -> None:
    """Have the store name the Whoosh generation a test committed by hand,
    as an indexer run records the one it commits (readers open that one)."""
    st = store.Store(index_dir / store.STORE_FILE)
    with st.db:
        st.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                      (store.WHOOSH_GENERATION, str(indexer.latest_generation(index_dir))))
    st.close()


def test_segments_are_separate_files_and_compound_ones_still_read(stories, write_files):
    """A compound segment is copied whole into memory (GIL held) each time a
    searcher opens it, so the indexer writes separate files, in new segments
    and in merged ones; a compound segment from an older index still reads."""
    _root, c = stories
    wdir = c.index_dir / indexer.WHOOSH_DIR
    # an older index's compound segment, next to the indexer's own
    ix = windex.open_dir(wdir)
    w = ix.writer()
    assert w.compound
    w.add_document(id="old0000compd", path="old.txt", title="Old", hash="x",
                   body=term_positions("The okapi grazed by the harbour."))
    w.commit(merge=False)
    name_latest_generation(c.index_dir)
    assert any(s.is_compound() for s in windex.open_dir(wdir)._segments())
    assert hits(c, "okapi") == ["old.txt"]
    for k in range(12):  # enough new segments for Whoosh to merge some
        write_files({f"n{k}.txt": f"Story {k}\n\nThe numbat number {k} dug by the harbour.\n"})
        c.update(versions=False)
    segments = windex.open_dir(wdir)._segments()
    assert len(segments) < 14  # merged
    assert not any(s.is_compound() for s in segments)
    assert not list(wdir.glob("*.seg"))
    assert len(hits(c, "numbat")) == 12 and len(hits(c, "harbour")) == 3 + 12 + 1


def test_a_searcher_open_before_a_merge_still_reads(stories, write_files):
    """Separate segment files are deleted when a commit merges their segment
    away; a query already running on the older searcher must still read its
    stored fields and field lengths (they are opened with the searcher)."""
    root, first = stories
    c = Corpus(root, index_dir=first.index_dir)
    c.warm()  # a searcher opened, nothing read through it yet (as the reader warms it)
    with c.snapshot():
        searcher = c._s()  # as a query in the reader holds it while the update commits
    other = Corpus(root, index_dir=c.index_dir)
    write_files({"d.txt": "Delta Story\n\nThe numbat dug by the harbour.\n"})
    other.update(versions=False)
    ix = windex.open_dir(c.index_dir / indexer.WHOOSH_DIR)
    w = SegmentWriter(ix, compound=False)
    w.commit(optimize=True)  # every segment merged into one; the old files deleted
    name_latest_generation(c.index_dir)
    other.close()
    assert searcher.reader().generation() < indexer.latest_generation(c.index_dir)
    docs = [searcher.stored_fields(d)["path"] for d in range(searcher.doc_count_all())]
    assert sorted(docs) == ["a.txt", "b.txt", "c.md"]
    reader = searcher.reader()
    assert all(reader.doc_field_length(d, "body") > 0 for d in range(searcher.doc_count_all()))
    assert hits(c, "numbat") == ["d.txt"]  # and the next query opens the new generation
    c.close()


# ------------------------------------------- one state: the store and Whoosh

def whoosh_strays(index_dir) -> list[str]:
    """Files in the Whoosh folder that its one generation does not need
    (and any second generation's TOC)."""
    wdir = index_dir / indexer.WHOOSH_DIR
    tocs = sorted(wdir.glob("_MAIN_*.toc*"))
    assert tocs, "no TOC at all"
    live = {s.segment_id() for s in windex.open_dir(wdir)._segments()}
    return sorted([p.name for p in tocs[1:]] + [
        p.name for p in wdir.iterdir()
        if p.name.startswith("MAIN_") and p.name != "MAIN_WRITELOCK"
        and p.name.split(".")[0] not in live] + [
        p.name for p in wdir.iterdir() if p.is_dir()])


def test_the_store_records_the_segments_of_its_generation(stories):
    """What an unchanged re-index checks the Whoosh folder against (without
    loading Whoosh): the segment ids, written with the generation; an index
    from before has them recorded by its next run."""
    _root, c = stories
    live = {s.segment_id() for s in windex.open_dir(c.index_dir / indexer.WHOOSH_DIR)._segments()}
    st = store.Store(c.index_dir / store.STORE_FILE)
    try:
        assert live and st.whoosh_segments() == live
        with st.db:
            st.db.execute("DELETE FROM meta WHERE key = ?", (store.WHOOSH_SEGMENTS,))
        assert st.whoosh_segments() is None
        assert counts(c.update(versions=False)) == (0, 0, 0, 3)
        assert st.whoosh_segments() == live
    finally:
        st.close()
    (c.index_dir / indexer.WHOOSH_DIR / "MAIN_zzz.seg").write_bytes(b"")  # a killed run's
    assert counts(c.update(versions=False)) == (0, 0, 0, 3)
    assert whoosh_strays(c.index_dir) == []


def shown_hits(c: Corpus, q: str) -> list[str]:
    """The paths of every hit, each one fetched as `show` fetches it."""
    res = c.search(q, limit=None)
    return sorted(c.get(h.id).path for h in res.hits)


def test_readers_between_the_two_commits_see_the_previous_index_whole(stories, write_files,
                                                                      monkeypatch):
    """The store commits after Whoosh: in between, a reader (one that searched
    before, and a new one) reads the previous index, never Whoosh's new
    documents with the store's old articles."""
    root, c = stories
    write_files({"d.txt": "Delta Story\n\nA narwhal surfaced in the harbour.\n"})
    os.remove(root / "a.txt")
    seen = []
    real_apply = store.Store.apply

    def apply(self, *args, **kwargs):
        with Corpus(root, index_dir=c.index_dir) as fresh:
            for reader in (c, fresh):
                seen.append((shown_hits(reader, "harbour"), shown_hits(reader, "narwhal")))
        return real_apply(self, *args, **kwargs)

    monkeypatch.setattr(store.Store, "apply", apply)
    c.update(versions=False)
    assert seen == [(["a.txt", "b.txt", "c.md"], [])] * 2
    assert shown_hits(c, "harbour") == ["b.txt", "c.md", "d.txt"]
    assert whoosh_strays(c.index_dir) == []


def test_a_snapshot_shows_every_hit_it_found_while_another_process_updates(stories,
                                                                           write_files):
    root, c = stories
    other = Corpus(root, index_dir=c.index_dir)
    try:
        with c.snapshot():
            found = c.search("harbour", limit=None).hits
            assert len(found) == 3
            os.remove(root / "a.txt")
            write_files({"b.txt": "Beta Story\n\nThe wombat dozed.\n"})
            other.update(versions=False)  # a.txt's article and b.txt's old text are gone
            texts = {h.path: c.get(h.id).text for h in found}
            assert "zebrafinch" in texts["a.txt"] and "quokka" in texts["b.txt"]
            assert c.search("wombat").total == 0 and c.count() == 3
        # the next call reads the state of then
        assert shown_hits(c, "harbour") == ["c.md"] and shown_hits(c, "wombat") == ["b.txt"]
    finally:
        other.close()


def test_a_reader_whose_generation_was_cleaned_follows_the_update(stories, write_files):
    """A snapshot that began before another process's update, with no Whoosh
    searcher open yet: the generation it names is deleted once the store moves
    on, so its first search moves on to the new state."""
    root, first = stories
    c = Corpus(root, index_dir=first.index_dir)
    other = Corpus(root, index_dir=first.index_dir)
    try:
        with c.snapshot():
            assert len(c.article_list()) == 3  # the store's snapshot has begun, not Whoosh
            write_files({"d.txt": "Delta Story\n\nA narwhal surfaced in the harbour.\n"})
            other.update(versions=False)
            assert shown_hits(c, "narwhal") == ["d.txt"]
            assert c.count() == 4  # the store read with it is the new one too
    finally:
        c.close()
        other.close()


def test_a_run_killed_between_the_commits_leaves_no_strays_for_the_next(stories, write_files,
                                                                        monkeypatch):
    root, c = stories
    write_files({"d.txt": "Delta Story\n\nA narwhal surfaced in the harbour.\n"})

    def killed(*args, **kwargs):
        raise RuntimeError("killed before the store was updated")

    with monkeypatch.context() as m:
        m.setattr(store.Store, "apply", killed)
        with pytest.raises(RuntimeError, match="killed"):
            c.update(versions=False)
    assert latest_toc(c.index_dir) > named_generation(c.index_dir)  # Whoosh committed
    assert shown_hits(c, "narwhal") == [] and shown_hits(c, "harbour") == ["a.txt", "b.txt",
                                                                         "c.md"]
    os.remove(root / "d.txt")  # the next run has nothing to read
    assert counts(c.update(versions=False)) == (0, 0, 0, 3)
    assert whoosh_strays(c.index_dir) == []
    assert latest_toc(c.index_dir) == named_generation(c.index_dir)
    assert shown_hits(c, "narwhal") == []


def latest_toc(index_dir) -> int:
    return indexer.latest_generation(index_dir)


def named_generation(index_dir) -> int | None:
    st = store.Store(index_dir / store.STORE_FILE, readonly=True)
    try:
        return st.whoosh_generation()
    finally:
        st.close()


def test_a_full_disk_is_one_line_and_the_next_run_leaves_no_strays(stories, write_files,
                                                                  monkeypatch):
    """Whoosh's segment files fill the disk (an OSError as the OS raises it):
    one clear error, the previous index intact, and the next run (even one
    with nothing to read) removes what the failed one wrote."""
    from whoosh.filedb import filestore

    root, c = stories
    write_files({"d.txt": "Delta Story\n\nA narwhal surfaced in the harbour.\n"})
    real_create = filestore.FileStorage.create_file

    def create_file(self, name, *args, **kwargs):
        f = real_create(self, name, *args, **kwargs)
        if name.endswith(".trm"):  # the postings come after the stored fields
            def write(*_a, **_k):
                raise OSError(28, "No space left on device")
            f.file.write = write
        return f

    with monkeypatch.context() as m:
        m.setattr(filestore.FileStorage, "create_file", create_file)
        with pytest.raises(DiskFullError) as err:
            c.update(versions=False)
    assert str(err.value) == (f"disk full while writing the index at {c.index_dir}; "
                              "the previous index is unchanged")
    assert whoosh_strays(c.index_dir)  # the failed run's segment files
    assert lock_is_free(c.index_dir)
    assert shown_hits(c, "harbour") == ["a.txt", "b.txt", "c.md"]
    os.remove(root / "d.txt")
    assert counts(c.update(versions=False)) == (0, 0, 0, 3)
    assert whoosh_strays(c.index_dir) == []


# ------------------------------------------------ the OS says no: ENOSPC, EROFS

ROOT = Path(__file__).resolve().parent.parent


def in_private_mounts(code: str, *args: str) -> dict:
    """Run ``code`` (which mounts what it needs, and prints JSON) in a mount
    namespace of its own, so nothing it mounts outlives it or is seen
    outside. Skips where that is not allowed."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("mount"):
        pytest.skip("mounting a private file system needs root and unshare(1)")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable,
                           "-c", code, *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300, check=False)
    if proc.returncode == 77:
        pytest.skip(f"cannot mount here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


_DRIVER_HEAD = """
import json, os, random, subprocess, sys
from pathlib import Path
from whoosh import index as windex

def mount(*args):
    if subprocess.run(["mount", *args], capture_output=True).returncode:
        sys.exit(77)

def cli(*args):
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], capture_output=True,
                          text=True)

def whoosh_files(ix):
    wdir = ix / "whoosh"
    live = sorted(s.segment_id() for s in windex.open_dir(wdir)._segments())
    return {"files": sorted(os.listdir(wdir)), "live": live}

def shown(corpus, ix, q):
    from index import Corpus
    with Corpus(corpus, index_dir=ix) as c:
        return sorted(c.get(h.id).path for h in c.search(q, limit=None).hits)
"""


def strays_of(listing: dict) -> list[str]:
    tocs = sorted(n for n in listing["files"] if n.startswith("_MAIN_"))
    return tocs[1:] + [n for n in listing["files"] if n.startswith("MAIN_")
                       and n != "MAIN_WRITELOCK" and n.split(".")[0] not in listing["live"]]


def test_a_really_full_disk_is_one_line_and_leaves_the_previous_index(tmp_path, sample_dir):
    """The index on a small file system filled up to its last 256 KB, and a
    600 KB article to index: the ENOSPC comes from the kernel."""
    corpus = tmp_path / "corpus"
    shutil.copytree(sample_dir, corpus)
    (tmp_path / "fs").mkdir()
    code = _DRIVER_HEAD + """
fs, corpus = Path(sys.argv[1]), Path(sys.argv[2])
mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(fs))
ix = fs / "ix"
out = {"first": cli("index", str(corpus), "--index-dir", str(ix), "--procs", "1").returncode}
st = os.statvfs(fs)
with open(fs / "filler", "wb") as f:
    f.write(b"x" * (st.f_bavail * st.f_frsize - 256 * 1024))
rng = random.Random(5)  # 600 KB of words that do not compress away
words = " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7))
                 for _ in range(75000))
(corpus / "new.txt").write_text("Narwhal News\\n\\nThe narwhal surfaced. " + words)
full = cli("index", str(corpus), "--index-dir", str(ix), "--procs", "1")
out["full"] = [full.returncode, full.stderr]
out["after_failure"] = whoosh_files(ix)
out["stimson"] = shown(corpus, ix, "stimson")
out["narwhal"] = shown(corpus, ix, "narwhal")
os.remove(fs / "filler")
os.remove(corpus / "new.txt")
out["repair"] = cli("index", str(corpus), "--index-dir", str(ix), "--procs", "1").returncode
out["after_repair"] = whoosh_files(ix)
print(json.dumps(out))
"""
    out = in_private_mounts(code, str(tmp_path / "fs"), str(corpus))
    ix = tmp_path / "fs" / "ix"
    assert out["first"] == 0
    assert out["full"] == [2, f"variorum: error: disk full while writing the index at {ix}; "
                              "the previous index is unchanged\n"]
    assert len(out["stimson"]) == 3 and out["narwhal"] == []  # the previous index, whole
    assert strays_of(out["after_failure"])  # what the failed run wrote ...
    assert out["repair"] == 0
    assert strays_of(out["after_repair"]) == []  # ... the next one removed


def test_a_worker_hands_back_no_texts(tmp_path, sample_dir):
    """A worker's part carries where its compressed texts are, not the texts:
    the parent held every text of a run until the commit (issue 15)."""
    from index.ingest import scan

    ix = tmp_path / "ix"
    indexer.open_index(ix, create=True)
    entries, _ = scan(sample_dir)
    part = indexer._index_part(str(ix), str(sample_dir),
                               indexer._chunk_file(str(ix), [(e, None, None) for e in entries]))
    texts = {content_hash(a.text): a.text for r in iter_corpus(sample_dir) for a in r.articles}
    shipped = pickle.dumps(part)
    assert [h for h, t in texts.items() if store.compress(t) in shipped] == []
    bodies = indexer._part_records([part], indexer._BODIES)
    assert {h: store.decompress(z) for h, z in bodies} == texts


def test_an_index_that_cannot_be_written_is_read(tmp_path, sample_dir):
    """On read-only media (or in a folder the user may not write) the store
    has no -shm file and none can be made; the index is still read."""
    ix = tmp_path / "ix"
    with Corpus(sample_dir, index_dir=ix) as c:
        c.update(procs=1)
    # the indexer's connection, the last to close, took the -wal and -shm files with it
    assert sorted(p.name for p in ix.iterdir()) == ["store.sqlite", "update.lock", "whoosh"]
    if os.geteuid() != 0:  # permissions bind everyone but root
        os.chmod(ix, 0o555)
        try:
            with Corpus(sample_dir, index_dir=ix) as ro:
                assert ro.has_index
                got = shown_hits(ro, "stimson")
        finally:
            os.chmod(ix, 0o755)
        with Corpus(sample_dir, index_dir=ix) as c:
            assert got == shown_hits(c, "stimson") and len(got) == 3
        return
    code = _DRIVER_HEAD + """
ix, corpus = Path(sys.argv[1]), Path(sys.argv[2])
mount("--bind", str(ix), str(ix))
mount("-o", "remount,bind,ro", str(ix))
try:
    (ix / "probe").write_text("x")
    writable = True
except OSError:
    writable = False
search = cli("search", "stimson", "--corpus", str(corpus), "--index-dir", str(ix), "--json")
print(json.dumps({"writable": writable, "hits": shown(corpus, ix, "stimson"),
                  "cli": [search.returncode, search.stderr]}))
"""
    out = in_private_mounts(code, str(ix), str(sample_dir))
    with Corpus(sample_dir, index_dir=ix) as c:
        want = shown_hits(c, "stimson")
    assert len(want) == 3
    assert out == {"writable": False, "hits": want, "cli": [0, ""]}


def test_a_full_disk_in_the_versions_phase_is_one_line(tmp_path, sample_dir, monkeypatch):
    import sqlite3

    def disk_full(*args, **kwargs):
        e = sqlite3.OperationalError("database or disk is full")
        e.sqlite_errorcode = sqlite3.SQLITE_FULL  # as SQLite sets it
        raise e

    c = Corpus(sample_dir, index_dir=tmp_path / "ix")
    with monkeypatch.context() as m:
        m.setattr(store.Store, "apply_versions", disk_full)
        with pytest.raises(DiskFullError) as err:
            c.update(procs=1)
    assert str(err.value) == (f"disk full while writing the version pairs at {c.index_dir}; "
                              "the articles are indexed, and the next run finds the pairs")
    assert c.search("stimson").total == 3 and not c.families()
    c.update(procs=1)
    assert c.families()
    c.close()


def _many_files(folder: Path, n: int) -> list[str]:
    folder.mkdir()
    words = ["harbour", "lantern", "ferry", "gull", "tide", "pier", "rope", "mast"]
    for i in range(n):
        body = " ".join(words[(i * 7 + k) % len(words)] for k in range(40))
        (folder / f"{i:04d}.txt").write_text(f"Story {i}\n\nA narwhal {body}.\n")
    return sorted(p.name for p in folder.iterdir())


def test_a_first_index_lists_its_first_files_before_the_rest(tmp_path):
    """Issue 13 (6): on a first index of a big corpus the one update commits its
    first files on their own; another reader lists and searches them while the
    rest are read, and the index counts as complete only at the end."""
    names = _many_files(tmp_path / "big", indexer.FIRST_BATCH_MIN_FILES)
    ix = tmp_path / "ix"
    seen: dict = {}

    def on_phase(name: str, report) -> None:
        seen.setdefault("phases", []).append(name)
        if name == "index-batch":
            with Corpus(tmp_path / "big", index_dir=ix) as other:  # as the reader's own
                seen["list"] = [e.path for e in other.article_list()]
                seen["found"] = other.search("narwhal", limit=None).total
                seen["complete"] = other.has_index
            seen["total"] = report.articles_total

    with Corpus(tmp_path / "big", index_dir=ix) as c:
        r = c.update(procs=1, versions=False, on_phase=on_phase)
        assert seen["phases"] == ["index-batch", "index"]
        assert seen["list"] == names[:indexer.FIRST_BATCH]
        assert seen["found"] == seen["total"] == indexer.FIRST_BATCH
        assert seen["complete"] is False
        assert (r.files_new, r.articles_added, r.articles_total) == (len(names),) * 3
        assert [e.path for e in c.article_list()] == names
        assert c.has_index and c.search("narwhal", limit=None).total == len(names)


def test_a_first_index_cancelled_after_its_first_files_keeps_them_listed(tmp_path):
    names = _many_files(tmp_path / "big", indexer.FIRST_BATCH_MIN_FILES)
    ix = tmp_path / "ix"
    batches = []
    with Corpus(tmp_path / "big", index_dir=ix) as c:
        r = c.update(procs=1, versions=False, cancel=lambda: bool(batches),
                     on_phase=lambda name, rep: batches.append(name))
        assert r.cancelled and batches == ["index-batch", "index"]  # (the phase's end: cancelled)
        assert r.articles_total == indexer.FIRST_BATCH
    with Corpus(tmp_path / "big", index_dir=ix) as c:
        assert not c.has_index  # so `variorum search` builds it first
        assert [e.path for e in c.article_list()] == names[:indexer.FIRST_BATCH]
        r = c.update(procs=1, versions=False)  # the next run reads the rest
        assert (r.files_new, r.files_unchanged) == (len(names) - indexer.FIRST_BATCH,
                                                    indexer.FIRST_BATCH)
        assert c.has_index and [e.path for e in c.article_list()] == names
        assert c.search("narwhal", limit=None).total == len(names)


def test_an_article_is_named_by_a_unique_prefix_of_its_file_name(write_files, open_corpus):
    """Issue 13 (13b): `variorum diff 001 004`; in folders, the name's or the
    path's start; several files: one error naming a few of them."""
    root = write_files({"001_a1.txt": "One\n\nOtters.\n", "004_b2.txt": "Four\n\nSeals.\n",
                        "world/001.txt": "World one\n\nGulls.\n",
                        "world/0021.txt": "World two\n\nTerns.\n",
                        "feed.jsonl": '{"id": "1", "text": "a"}\n{"id": "2", "text": "b"}\n'})
    c = open_corpus(root)
    c.update(versions=False)
    assert c.get("004").path == "004_b2.txt"
    assert c.get("002").path == "world/0021.txt"  # the name's start, in a folder
    assert c.get("world/001").path == "world/001.txt"
    with pytest.raises(NotFoundError) as e:
        c.get("00")
    assert str(e.value) == ("'00' is the start of several file names: 001_a1.txt, "
                            "004_b2.txt, world/001.txt, …")
    with pytest.raises(NotFoundError, match=r"'001' is the start of several file names: "
                                            r"001_a1\.txt, world/001\.txt$"):
        c.get("001")
    with pytest.raises(NotFoundError, match=r"feed\.jsonl holds 2 articles"):
        c.get("fe")
    with pytest.raises(NotFoundError, match="no article with id, path or file name 'zz'"):
        c.get("zz")


def test_a_prefix_of_one_articles_id_and_anothers_file_name_is_said(write_files, open_corpus):
    root = write_files({"first.txt": "One\n\nOtters swim.\n"})
    c = open_corpus(root)
    c.update(versions=False)
    first = c.get("first.txt")
    prefix = first.id[:6]
    (root / f"{prefix}-second.txt").write_text("Two\n\nSeals bark.\n", encoding="utf-8")
    c.update(versions=False)
    with pytest.raises(NotFoundError, match=rf"'{prefix}' starts the id {first.id} and the "
                                            rf"file name {prefix}-second\.txt of another"):
        c.get(prefix)
    assert c.get(first.id[:8]).id == first.id  # more of the id: no clash
    assert c.get(f"{prefix}-s").path == f"{prefix}-second.txt"
