"""Building and incrementally updating an index; failures, locks, recovery."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from whoosh import index as windex
from whoosh.writing import SegmentWriter

from index import (
    Corpus,
    CorpusError,
    IndexBusyError,
    IndexMissingError,
    NotFoundError,
    indexer,
    pools,
    store,
)
from index.analysis import term_positions
from index.fastwrite import BulkSegmentWriter
from index.ingest import content_hash, iter_corpus
from index.search import parse

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
        with pytest.raises(OSError, match="No space left"):
            c.update()

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

    monkeypatch.setattr(indexer, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(pools, "process_pool", spy_pool)
    progress = []
    parallel = open_corpus(sample_dir, "parallel")
    report = parallel.update(procs=2, progress=lambda done, total: progress.append((done, total)))
    assert made == [2]  # worker processes really ran
    assert counts(report) == (5, 0, 0, 0) and report.articles_total == 5
    assert progress[-1] == (5, 5)

    assert parallel.articles() == serial.articles()
    want, got = results(serial), results(parallel)
    for q in QUERIES:
        assert [(i, s) for i, _, s in got[q]] == [(i, s) for i, _, s in want[q]], q
        assert [sc for _, sc, _ in got[q]] == pytest.approx([sc for _, sc, _ in want[q]]), q
    assert want["putin"]  # the comparison is not vacuous


def positions(reader, term) -> list[tuple[int, list[int]]]:
    return list(reader.postings("body", term).items_as("positions"))


def blocks(reader, field, term) -> list[tuple]:
    """The per-block statistics Whoosh uses to skip blocks in top-N searches."""
    m = reader.postings(field, term)
    out = []
    while m.is_active():
        out.append((m.block_min_id(), m.block_max_id(), m.block_min_length(),
                    m.block_max_length(), m.block_max_weight()))
        m.skip_to(m.block_max_id() + 1)
    return out


def test_bulk_segment_writer_matches_whoosh_writer(tmp_path, sample_dir, sample_files):
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
    # A tiny pool limit makes the lean pool spill runs to disk and merge them.
    bulk = build("bulk", lambda ix: BulkSegmentWriter(ix, limitmb=0.02), term_positions)

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

        def during(done, total):
            # Called while the writer holds the lock, its new segment written
            # but not yet committed: readers see the previous index.
            assert not lock_is_free(writer.index_dir)
            for r in readers:
                seen_mid_update.append(
                    (r.search("narwhal").total, r.search("treaty").total, r.count())
                )

        writer.update(progress=during)
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
    from index.indexer import update_lock

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


# ------------------------------------------------------------ the listing


def _table_list(c: Corpus) -> list:
    return [tuple(r) for r in c.store.db.execute(store._LIST_SQL)]


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
        db.execute("DROP TABLE listing")  # an index from before the listing
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
    searcher = c._s()  # as a query in the reader holds it while the update commits
    other = Corpus(root, index_dir=c.index_dir)
    write_files({"d.txt": "Delta Story\n\nThe numbat dug by the harbour.\n"})
    other.update(versions=False)
    ix = windex.open_dir(c.index_dir / indexer.WHOOSH_DIR)
    w = SegmentWriter(ix, compound=False)
    w.commit(optimize=True)  # every segment merged into one; the old files deleted
    other.close()
    assert not searcher.up_to_date()
    docs = [searcher.stored_fields(d)["path"] for d in range(searcher.doc_count_all())]
    assert sorted(docs) == ["a.txt", "b.txt", "c.md"]
    reader = searcher.reader()
    assert all(reader.doc_field_length(d, "body") > 0 for d in range(searcher.doc_count_all()))
    assert hits(c, "numbat") == ["d.txt"]  # and the next query opens the new generation
    c.close()
