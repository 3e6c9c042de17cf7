"""The Whoosh side of a reader's snapshot: the generation the store names.

A :class:`Reader` opens the Whoosh generation that its
:class:`index.store.snapshot.StoreSnapshot` names (once a generation), and
a searcher on it, so what a query finds and what the store shows for it are
one state of the index, even while another process updates it. Like the
snapshot, it is called under its owner's lock (see :class:`index.Corpus`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from whoosh import index as windex

from ..errors import IndexMissingError
from ..store.snapshot import StoreSnapshot
from . import indexer
from .ranking import FastBM25F

T = TypeVar("T")

# The store's vocabulary for spelling suggestions: words, their document
# frequencies (in the same order), and word -> frequency.
Vocab = tuple[list[str], list[int], dict[str, int]]


class Reader:
    def __init__(self, snapshot: StoreSnapshot):
        self.snapshot = snapshot
        self.ix: windex.Index | None = None
        self._ix_gen: int | None = None  # the Whoosh generation ix is
        self._searcher = None
        self._vocab: Vocab | None = None

    def open(self) -> windex.Index:
        """The Whoosh generation the store's snapshot names, opened (once a
        generation)."""
        self.snapshot.open()
        if self.ix is not None and self._ix_gen == self.named_generation():
            return self.ix
        self.drop_searcher()
        self.ix = self._vocab = None
        self._ix_gen, self.ix = self.at_named_generation(
            lambda gen: indexer.open_generation(self.snapshot.index_dir, gen))
        return self.ix

    def searcher(self):
        """A searcher on the generation the snapshot names (kept open until
        the generation changes, :meth:`drop_searcher` or :meth:`close`)."""
        self.open()
        if self._searcher is None:
            def open_searcher(gen: int):
                ix = self.ix if gen == self._ix_gen else indexer.open_generation(
                    self.snapshot.index_dir, gen)
                searcher = ix.searcher(weighting=FastBM25F())
                try:
                    open_columns(searcher)
                except BaseException:
                    searcher.close()
                    raise
                return ix, searcher

            gen, (ix, searcher) = self.at_named_generation(open_searcher)
            if gen != self._ix_gen:
                self._vocab = None
            self._ix_gen, self.ix, self._searcher = gen, ix, searcher
        return self._searcher

    def vocab(self) -> Vocab:
        """The vocabulary of the generation open (read once a generation)."""
        self.searcher()
        if self._vocab is None:
            words, dfs = self.snapshot.store.vocab()
            self._vocab = (words, dfs, dict(zip(words, dfs, strict=True)))
        return self._vocab

    def index_changed(self) -> None:
        """This process updated the index: the next query opens the new
        generation, and the vocabulary is read again."""
        self._vocab = None
        self.drop_searcher()

    def drop_searcher(self) -> None:
        # Not ``Searcher.refresh()``: it reuses the open reader of every segment
        # that is still in the index, with that segment's deletions as they were
        # when it was opened, so documents deleted since (a changed or deleted
        # file) would still be found. A new searcher reads the deletions anew.
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def close(self) -> None:
        self.drop_searcher()
        self.ix = None

    def named_generation(self) -> int:
        """The Whoosh generation to read: the one the store names (in an
        index from before stores named one, the latest)."""
        gen = self.snapshot.whoosh_generation
        return gen if gen is not None else indexer.latest_generation(self.snapshot.index_dir)

    def at_named_generation(self, open_at: Callable[[int], T]) -> tuple[int, T]:
        """``(generation, open_at(generation))`` for the generation the store
        names. Its files are gone when an update committed and cleaned up
        after this snapshot began: then the snapshot starts again, at the
        state that update left."""
        snap = self.snapshot
        for attempt in range(4):
            # a generation the store goes on naming with its files missing
            # (a damaged index): the latest one there is, as before stores named one
            gen = self.named_generation() if attempt < 3 else indexer.latest_generation(
                snap.index_dir)
            try:
                return gen, open_at(gen)
            except FileNotFoundError:
                if attempt == 3:
                    raise IndexMissingError(
                        f"the index of {snap.root} is damaged: delete {snap.index_dir} and "
                        f"run `variorum index {snap.root}`") from None
                snap.restart()


def open_columns(searcher) -> None:
    """Open every segment's per-document files now. Whoosh opens a segment's
    stored fields and field lengths on first use; an update that merges
    segments deletes their files, so a searcher that first reads them after
    such a commit (a query that runs while the reader's update commits) fails.
    Open, they stay readable until the searcher closes."""
    lengths = list(searcher.schema.scorable_names())
    for leaf, _offset in searcher.reader().leaf_readers():
        if leaf.doc_count_all():
            leaf.stored_fields(0)
            for name in lengths:
                leaf.doc_field_length(0, name)
