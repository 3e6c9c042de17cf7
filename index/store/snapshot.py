"""A reader's view of an index's store: one read snapshot at a time.

The store is opened read-only, once, and read inside a read transaction
that begins with the first read and ends when the outermost holder of the
reader's lock lets go (:class:`SnapshotLock`): in WAL mode such a
transaction sees the database as of its first read, whatever is committed
after, so the articles, the bodies and the Whoosh generation they match are
read together. Nothing here needs Whoosh (listing articles opens the store
alone); :mod:`index.search.reader` opens the generation the snapshot names.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from ..errors import IndexMissingError
from .db import STORE_FILE, Store


class SnapshotLock:
    """A reader's lock (re-entrant), and the extent of a read snapshot: the
    snapshot begins with the first read of the store under it and ends when
    the outermost holder lets go."""

    def __init__(self, on_release: Callable[[], None]):
        self._lock = threading.RLock()
        self._depth = 0
        self._on_release = on_release

    def __enter__(self) -> SnapshotLock:
        self._lock.acquire()
        self._depth += 1
        return self

    def __exit__(self, *exc) -> None:
        self._depth -= 1
        try:
            if self._depth == 0:
                self._on_release()
        finally:
            self._lock.release()


class StoreSnapshot:
    """The store of the index at ``index_dir`` (of the corpus at ``root``),
    read in one snapshot at a time. Not thread-safe by itself: its owner
    calls it under a :class:`SnapshotLock` whose release calls :meth:`end`."""

    def __init__(self, root: Path, index_dir: Path):
        self.root = root
        self.index_dir = index_dir
        self.store: Store | None = None
        self.whoosh_generation: int | None = None  # what the snapshot names (None: not recorded)

    def open(self) -> Store:
        """The store, in a read snapshot that lasts until :meth:`end`.
        Raises IndexMissingError when no update of the index has completed
        (nor committed the first batch of a first index)."""
        if self.store is None:
            path = self.index_dir / STORE_FILE
            store = Store(path, readonly=True) if path.exists() else None
            try:
                # complete, or the first batch of a first index committed
                # (see index.search.indexer.update): readers list it meanwhile
                complete = store is not None and "1" in (store.get_meta("complete"),
                                                         store.get_meta("listable"))
            except Exception:  # an old or damaged store: not an index
                complete = False
            if not complete:
                if store is not None:
                    store.close()
                raise IndexMissingError(
                    f"{self.root} is not indexed yet: run `variorum index {self.root}`")
            self.store = store
        if not self.store.db.in_transaction:
            self.begin()
        return self.store

    def begin(self) -> None:
        # In WAL mode a read transaction sees the database as of its first
        # read, whatever is committed after: the articles, bodies and the
        # Whoosh generation they match, together.
        self.store.db.execute("BEGIN")
        self.whoosh_generation = self.store.whoosh_generation()
        self.store.refresh_columns()

    def end(self) -> None:
        if self.store is not None and self.store.db.in_transaction:
            self.store.db.execute("COMMIT")  # a read: nothing to write, the snapshot ends

    def restart(self) -> None:
        """End the snapshot and begin another, at the state of now."""
        self.end()
        self.begin()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None
