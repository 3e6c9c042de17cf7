"""The SQLite side of an index: file manifest, article metadata, bodies, vocabulary.

Whoosh holds the inverted index; this store holds what Whoosh is slow or
clumsy at: the manifest that makes re-indexing incremental, the article list
(read in one query for the list pane), the bodies (zlib, keyed by content hash
so a Whoosh document always points at the exact text it was indexed from) and
the unstemmed vocabulary with document frequencies for spelling suggestions.

WAL mode lets readers (the TUI, a second CLI) read while an indexer writes.
The store records which Whoosh generation its articles match (see
:meth:`Store.whoosh_generation`): a reader opens that generation, never a
newer one the store has not caught up with, so what it searches and what it
shows are one state.
"""

from __future__ import annotations

import sqlite3
import tempfile
import zlib
from array import array
from collections.abc import Iterable, Iterator
from itertools import chain, islice
from pathlib import Path

from ..models import RS, ArticleMeta, ListEntry, Listing, Skipped, list_entry
from . import schema

STORE_FILE = "store.sqlite"  # in the index directory
IN_BATCH = 500  # values in one "IN (...)": SQLite allows 999 parameters a statement (older builds)
APPLY_BATCH = 1000  # files :meth:`Store.apply` writes at a time (of a stream of them)
LISTING_BATCH = 4096  # entries of the listing made at a time (see Store._write_listing)
_BLOB_PIECE = 1 << 18  # bytes copied into a blob at a time (the listing's text, the counts)

# (the language from its own table: a lookup by primary key, no join to
# qualify every column of the queries that use these; a store of before the
# table, read-only so not migrated, has none)
_META_COLS = ("id, path, title, source, date, author, url, line, "
              "(SELECT language FROM langs WHERE langs.id = articles.id)")
_META_COLS_NO_LANGS = "id, path, title, source, date, author, url, line, NULL"
# what a ListEntry is made of (by models.list_entry: the one rule for the day
# and the source-else-folder), in list order
_LIST_SQL = "SELECT id, path, title, date, source FROM articles ORDER BY path, line"
LISTING_FORMAT = 2  # in the stamp: a listing of another format (fewer fields) is not read
_STARTS = "Q"  # the array type of the listing's record starts (the machine's byte order:
# a store copied to one of the other order has starts that fail Listing.valid_starts)
_RS_BYTE = RS.encode("ascii")
# The listing blob: the article list as the UTF-8 text of a Listing, written
# with every change to the articles. Read in one step, it loads 100k entries
# in a fraction of the time of 100k rows (and, read while the app imports, it
# does not hand the GIL back and forth once a row).


WHOOSH_GENERATION = "whoosh_generation"  # meta key: see Store.whoosh_generation
VERSIONS_SYNCED = "versions_synced"  # meta key: see Store.versions_synced
WHOOSH_SEGMENTS = "whoosh_segments"  # meta key: see Store.whoosh_segments


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection, also where nothing can be written.

    A WAL database opened read-only still needs its ``-shm`` file, and SQLite
    creates it when it is missing (the last writer to close deletes it, with
    the ``-wal``): in a folder that cannot be written (read-only media,
    another user's index) or on a full disk the open fails. Then, when the
    ``-wal`` is gone or empty (the database file holds every committed
    change: a writer at work would have its changes in the -wal), the
    database is opened as immutable. Such a connection does not see later
    changes: none can come on read-only media; on a full disk, none until
    space is freed and an indexer runs.

    (The alternative, taking the store out of WAL mode at the end of each
    run, would make readers wait whenever an indexer commits, and switching
    needs the database to itself.)
    """
    uri = path.resolve().as_uri()  # quotes '#', '?' in paths
    try:
        db = sqlite3.connect(uri + "?mode=ro", uri=True, check_same_thread=False)
        try:
            db.execute("SELECT 1 FROM sqlite_master LIMIT 1")  # the -shm is opened on first read
        except BaseException:
            db.close()
            raise
        return db
    except sqlite3.OperationalError as e:
        code = getattr(e, "sqlite_errorcode", 0) & 0xFF
        wal = Path(f"{path}-wal")
        if code not in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR) or not path.is_file() \
                or (wal.exists() and wal.stat().st_size):
            raise
    return sqlite3.connect(uri + "?mode=ro&immutable=1", uri=True, check_same_thread=False)


def _batches(items: Iterable, n: int) -> Iterator[list]:
    """``items`` in lists of ``n`` (the last one shorter), read as they come."""
    it = iter(items)
    while batch := list(islice(it, n)):
        yield batch


def compress(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 1)


def decompress(z: bytes) -> str:
    return zlib.decompress(z).decode("utf-8")


class Store:
    def __init__(self, path: Path, readonly: bool = False):
        self.path = path
        if readonly:
            self.db = _connect_readonly(Path(path))
        else:
            self.db = sqlite3.connect(path, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=10000")
        try:
            if readonly:
                schema.check(self.db, path)
            else:
                schema.migrate(self.db, path)
        except BaseException:
            self.db.close()
            raise
        self._meta_cols = _META_COLS_NO_LANGS
        self.refresh_columns()

    def refresh_columns(self) -> None:
        """Read the languages too once their table exists (a read-only store
        opened before another process migrated it: its reader's snapshot
        calls this as each snapshot begins)."""
        if self._meta_cols is _META_COLS:  # found once: a table is never dropped
            return
        try:
            if self.db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type='table' AND name='langs'").fetchone():
                self._meta_cols = _META_COLS
        except sqlite3.DatabaseError:  # a damaged store: what reads it next says so
            pass

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------------ meta
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def whoosh_generation(self) -> int | None:
        """The Whoosh generation the articles here match (None in an index
        made before it was recorded): written in the same transaction as the
        articles, so a reader that opens this generation sees one state."""
        value = self.get_meta(WHOOSH_GENERATION)
        return int(value) if value is not None else None

    def whoosh_segments(self) -> set[str] | None:
        """The segment ids of :meth:`whoosh_generation` (None: not recorded,
        an index from before they were), written with it: what an unchanged
        re-index checks the Whoosh folder against without loading Whoosh."""
        value = self.get_meta(WHOOSH_SEGMENTS)
        return set(value.split()) if value is not None else None

    def set_whoosh_segments(self, generation: int, segments: Iterable[str]) -> None:
        """Record the segments of ``generation`` if it is the one the store
        names (read from Whoosh by a run that found them unrecorded)."""
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO meta SELECT ?, ? WHERE (SELECT value FROM meta "
                "WHERE key = ?) = ?", (WHOOSH_SEGMENTS, " ".join(sorted(segments)),
                                       WHOOSH_GENERATION, str(generation)))

    def generation(self) -> int:
        """A counter that every committed change of what readers see (an
        indexer run's articles, a versions run's pairs) moves on: a reader that
        remembers it can tell when another process has updated the index."""
        row = self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def _bump_generation(self) -> None:
        """Inside the caller's transaction."""
        self.db.execute(
            "INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE "
            "SET value = CAST(value AS INTEGER) + 1"
        )

    # ------------------------------------------------------------- manifest
    def manifest(self) -> dict[str, tuple[int, int, str | None, list[str]]]:
        """path -> (size, mtime_ns, sha, article ids)."""
        out = {}
        for path, size, mtime, sha, ids in self.db.execute(
            "SELECT path, size, mtime_ns, sha, ids FROM files"
        ):
            out[path] = (size, mtime, sha, ids.split() if ids else [])
        return out

    def manifest_is(self, files: list[tuple[str, int, int]], digest: str | None = None) -> bool:
        """Whether the manifest holds exactly these ``(path, size, mtime_ns)``
        and no other file. With ``digest`` (of ``files``: :func:`index.ingest.
        walk_digest`): true at once when it is the one recorded the last time
        they were found equal, and no row of the manifest was written since
        (the triggers of :data:`schema.DIGEST_TRIGGERS` drop it with any write:
        100k rows are then not read, issue 15). Otherwise the rows are read and
        compared, and when they are equal the digest is recorded for the next
        run (the caller holds the index's update lock: no other writer of the
        manifest runs meanwhile)."""
        if digest is not None and self.get_meta(schema.DIGEST_KEY) == digest:
            return True
        # read as plain rows and compared, none of the hashes and article ids
        # :meth:`manifest` makes a dict of
        rows = self.db.execute("SELECT path, size, mtime_ns FROM files").fetchall()
        # two sorted lists (both come nearly in path order: a sort of them is
        # a pass, cheaper than hashing 100k tuples into a set)
        rows.sort()
        same = rows == sorted(files)
        if same and digest is not None:
            self._record_digest(digest)
        return same

    def _record_digest(self, digest: str) -> None:
        """Record the walk's digest, with the triggers that drop it first, in
        one transaction: a digest is never in a store that would not drop it.
        It is a cache: when it cannot be written (the store busy past its
        timeout), the run that did its work does not fail for it; the next
        one compares the rows again."""
        try:
            self.db.executescript(f"BEGIN IMMEDIATE;\n{schema.DIGEST_TRIGGERS}")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                            (schema.DIGEST_KEY, digest))
            self.db.commit()
        except sqlite3.OperationalError:
            if self.db.in_transaction:
                self.db.rollback()

    def skipped(self) -> list[Skipped]:
        out = []
        for path, reasons in self.db.execute(
            "SELECT path, skipped FROM files WHERE skipped != '' ORDER BY path"
        ):
            for line in reasons.split("\n"):
                lineno, _, reason = line.partition("\t")
                out.append(Skipped(path, reason, int(lineno) if lineno else None))
        return out

    # --------------------------------------------------------------- bodies
    def put_bodies(self, items: Iterable[tuple[str, bytes]]) -> None:
        """Content-addressed, so always safe to add before Whoosh commits."""
        with self.db:
            self.db.executemany("INSERT OR IGNORE INTO bodies VALUES (?, ?)", items)

    def body(self, hash_: str) -> str | None:
        row = self.db.execute("SELECT z FROM bodies WHERE hash=?", (hash_,)).fetchone()
        return decompress(row[0]) if row else None

    # --------------------------------------------------------------- commit
    def apply(
        self,
        files: Iterable[tuple[tuple[str, int, int], str | None,
                              list[tuple[ArticleMeta, str]], list[Skipped]]],
        deleted_paths: list[str],
        removed_ids: list[str],
        vocab_delta: Iterable[tuple[str, int]],
        whoosh_generation: int | None = None,
        whoosh_segments: Iterable[str] = (),
    ) -> None:
        """Record one indexer run, in one transaction, after Whoosh committed
        ``whoosh_generation`` (of the segments ``whoosh_segments``): from this
        commit on, readers open it.

        ``files``: each file read, ``((path, size, mtime_ns), sha, [(article,
        body hash)...], skips)``; ``vocab_delta``: ``(word, change of its document count)``
        pairs, a word any number of times (its changes are summed here). Both
        are read once, as they come (the indexer streams them from its
        workers' files): a run's files are written APPLY_BATCH at a time, and
        neither they nor the vocabulary are ever held whole (issue 15)."""
        with self.db:
            db = self.db
            self._bump_generation()
            if whoosh_generation is not None:
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                           (WHOOSH_GENERATION, str(whoosh_generation)))
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                           (WHOOSH_SEGMENTS, " ".join(sorted(whoosh_segments))))
            db.executemany("DELETE FROM files WHERE path=?", ((p,) for p in deleted_paths))
            db.executemany("DELETE FROM articles WHERE id=?", ((i,) for i in removed_ids))
            db.executemany("DELETE FROM langs WHERE id=?", ((i,) for i in removed_ids))
            added = False
            for batch in _batches(files, APPLY_BATCH):
                articles = [am for _e, _sha, metas, _skips in batch for am in metas]
                added = added or bool(articles)
                self._put_files(batch, articles)
            vocab = iter(vocab_delta)
            for first in vocab:  # (any at all: else the table is not scanned below)
                db.executemany(
                    "INSERT INTO vocab VALUES (?, ?) "
                    "ON CONFLICT(word) DO UPDATE SET df = df + excluded.df",
                    chain((first,), vocab),
                )
                db.execute("DELETE FROM vocab WHERE df <= 0")
            if removed_ids or added or not self._has_listing():
                self._write_listing()
            if removed_ids:  # bodies (and their annotations) no article points at any more
                for table in ("bodies", "annotations", "entity_tokens"):
                    db.execute(
                        f"DELETE FROM {table} WHERE hash NOT IN (SELECT hash FROM articles)"
                    )
                db.execute("DELETE FROM spin WHERE hash_a NOT IN (SELECT hash FROM articles) "
                           "OR hash_b NOT IN (SELECT hash FROM articles)")

    def _put_files(self, files: list, articles: list[tuple[ArticleMeta, str]]) -> None:
        """A batch of :meth:`apply`'s files and their articles (inside its
        transaction)."""
        db = self.db
        db.executemany("DELETE FROM langs WHERE id=?", ((a.id,) for a, _ in articles))
        db.executemany("INSERT OR REPLACE INTO langs VALUES (?, ?)",
                       ((a.id, a.language) for a, _ in articles if a.language))
        db.executemany(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)",
            (
                (path, size, mtime_ns, sha, " ".join(a.id for a, _ in metas),
                 "\n".join(f"{s.line or ''}\t{s.reason}" for s in skips))
                for (path, size, mtime_ns), sha, metas, skips in files
            ),
        )
        db.executemany(
            "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (a.id, a.path, a.line, a.title, a.source, a.date, a.author, a.url, h)
                for a, h in articles
            ),
        )

    def touch_files(self, rows: list[tuple[str, int, int]]) -> None:
        """Files whose mtime changed but whose bytes did not."""
        with self.db:
            self.db.executemany(
                "UPDATE files SET size=?, mtime_ns=? WHERE path=?",
                ((s, m, p) for p, s, m in rows),
            )

    # -------------------------------------------------------------- queries
    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def list_articles(self) -> list[ArticleMeta]:
        rows = self.db.execute(
            f"SELECT {self._meta_cols} FROM articles ORDER BY path, line"
        ).fetchall()
        return [ArticleMeta(*r) for r in rows]

    def list_entries(self) -> Listing | list[ListEntry]:
        """What the article list shows (ListEntry), in list order: from
        the listing blob when it is current, else from the articles table."""
        try:
            row = self.db.execute("SELECT stamp, n, z FROM listing").fetchone()
        except sqlite3.OperationalError:  # an index made before the listing existed
            row = None
        if row is not None and row[0] == self._stamp():
            # (its bytes: decoded as rows are read; cut out at the records'
            # starts when the store has them)
            listing = Listing(row[2], *self._listing_rows(row[2], row[1]))
            if len(listing) == row[1]:
                return listing
        return Listing.of(self._entries())

    def _listing_rows(self, data: bytes, n: int) -> tuple[array | None, tuple | None]:
        """Where the ``n`` records of the listing blob ``data`` start, and its
        columns (see :data:`schema.LISTING_ROWS`); (None, None) when the
        store has none for it."""
        try:
            row = self.db.execute("SELECT starts, dated, sourced FROM listing_rows").fetchone()
        except sqlite3.OperationalError:  # a store from before them
            return None, None
        starts = array(_STARTS)
        if row is None or len(row[0]) % starts.itemsize:
            return None, None
        starts.frombytes(row[0])
        if not Listing.valid_starts(data, starts, n):
            return None, None
        return starts, (bool(row[1]), bool(row[2]))

    def _entries(self) -> list[ListEntry]:
        return [list_entry(*row) for row in self.db.execute(_LIST_SQL)]

    def _stamp(self) -> str:
        """The article count and top rowid when the listing was written: a second
        check (the triggers on ``articles`` drop the listing on any change, even
        one made by a variorum that knows nothing of it)."""
        # (two subqueries: each alone is answered from the b-tree, a count
        # without a scan and the last rowid; together in one SELECT they scan
        # every row, 5 ms at 100k articles on each unchanged re-index)
        n, top = self.db.execute("SELECT (SELECT COUNT(*) FROM articles), "
                                 "(SELECT MAX(rowid) FROM articles)").fetchone()
        return f"{LISTING_FORMAT}:{n}:{top}"

    def _has_listing(self) -> bool:
        return self.db.execute("SELECT 1 FROM listing").fetchone() is not None

    def ensure_listing(self) -> None:
        """Write the listing blob if there is none (an index from before it, or
        one changed since) or it does not match the articles."""
        row = self.db.execute("SELECT stamp FROM listing").fetchone()
        if row is None or row[0] != self._stamp() or not self._has_listing_rows():
            with self.db:
                self._write_listing()

    def _has_listing_rows(self) -> bool:
        try:
            return self.db.execute("SELECT 1 FROM listing_rows").fetchone() is not None
        except sqlite3.OperationalError:  # a store from before them: written now
            return False

    def _write_listing(self) -> None:
        """Rewrite the listing blob (inside the caller's transaction). Not
        written when a field holds a separator: the table is read instead.

        Its text is made LISTING_BATCH entries at a time into an unnamed
        temp file, and copied into the blob in pieces: made whole, the
        entries of 300k articles and their text (as str, then bytes) were
        ~200 MB of the indexer's commit, growing with the corpus (issue 15).
        (An unnamed file: nothing is left behind, whatever ends the run.)"""
        self.db.execute("DELETE FROM listing")  # (and its rows: schema.LISTING_ROWS)
        n = 0
        starts = array(_STARTS)  # where each record starts (see Listing.starts_of)
        dated = sourced = False  # Listing.columns_of, of the batches
        with tempfile.TemporaryFile(dir=self.path.parent) as spool:
            rows = self.db.execute(_LIST_SQL)
            while batch := rows.fetchmany(LISTING_BATCH):
                text = Listing.encode([list_entry(*row) for row in batch])
                if text is None:
                    return
                data = text.encode("utf-8")
                if n:
                    spool.write(_RS_BYTE)
                starts.extend(Listing.starts_of(data, spool.tell()))
                d, s = Listing.columns_of(data)  # (a record is never cut between batches)
                dated, sourced = dated or d, sourced or s
                spool.write(data)
                n += len(batch)
            size = spool.tell()
            self.db.execute("INSERT INTO listing VALUES (0, ?, ?, zeroblob(?))",
                            (self._stamp(), n, size))
            if size:
                spool.seek(0)
                with self.db.blobopen("listing", "z", 0) as blob:
                    while piece := spool.read(_BLOB_PIECE):
                        blob.write(piece)
        # (an empty listing's too: without them ensure_listing would write it
        # again at every run)
        starts.append(size + 1)  # where a record after the last would start
        for statement in schema.LISTING_ROWS:
            self.db.execute(statement)
        self.db.execute("INSERT OR REPLACE INTO listing_rows VALUES (0, ?, ?, ?)",
                        (starts.tobytes(), dated, sourced))

    def meta_by_id(self, id_: str) -> tuple[ArticleMeta, str] | None:
        row = self.db.execute(
            f"SELECT {self._meta_cols}, hash FROM articles WHERE id=?", (id_,)
        ).fetchone()
        return (ArticleMeta(*row[:-1]), row[-1]) if row else None

    def hashes_of(self, ids: Iterable[str]) -> list[str]:
        """The body hashes of the articles ``ids`` (unknown ones left out)."""
        return [m[1] for i in ids if (m := self.meta_by_id(i))]

    def ids_with_prefix(self, prefix: str, limit: int = 3) -> list[str]:
        rows = self.db.execute(
            "SELECT id FROM articles WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
            (prefix, prefix + "\uffff", limit),
        ).fetchall()
        return [r[0] for r in rows]

    def paths_with_prefix(self, prefix: str, limit: int = 4) -> list[str]:
        """Up to ``limit`` article files (corpus-relative paths, sorted) whose
        path, or whose file name, starts with ``prefix``."""
        rows = self.db.execute(
            "SELECT DISTINCT path FROM articles WHERE substr(path, 1, ?) = ? "
            "OR instr(path, ?) > 0 ORDER BY path", (len(prefix), prefix, "/" + prefix))
        out: list[str] = []
        for (path,) in rows:
            if path.startswith(prefix) or path.rsplit("/", 1)[-1].startswith(prefix):
                out.append(path)
                if len(out) == limit:
                    break
        return out

    def ids_for_path(self, path: str) -> list[str]:
        return [
            r[0]
            for r in self.db.execute(
                "SELECT id FROM articles WHERE path=? ORDER BY line", (path,)
            )
        ]

    def vocab(self) -> tuple[list[str], list[int]]:
        words, dfs = [], []
        for w, df in self.db.execute("SELECT word, df FROM vocab"):
            words.append(w)
            dfs.append(df)
        return words, dfs

    # ------------------------------------------------------------ versions
    def hash_by_id(self, ids: Iterable[str]) -> dict[str, str]:
        """Article id -> body hash, for the known ones of ``ids``."""
        return dict(self._where_in("SELECT id, hash FROM articles WHERE id", ids))

    def version_changes(self) -> tuple[set[str], int, list[str]]:
        """What a versions run has to do: the signed articles whose signature
        is stale (the article gone, or its text changed), how many of them
        are gone, and the articles to sign (new or changed), in id order.
        Compared here, in SQL: two dicts of every article's id and hash were
        ~350 bytes an article in the families parent (issue 15)."""
        removed, gone = set(), 0
        for id_, is_gone in self.db.execute(
                "SELECT s.id, a.id IS NULL FROM sigs s LEFT JOIN articles a ON a.id = s.id "
                "WHERE a.hash IS NOT s.hash"):
            removed.add(id_)
            gone += is_gone
        new = [r[0] for r in self.db.execute(
            "SELECT a.id FROM articles a LEFT JOIN sigs s ON s.id = a.id "
            "WHERE s.hash IS NOT a.hash ORDER BY a.id")]
        return removed, gone, new

    def paired_articles(self) -> list[ArticleMeta]:
        """The metadata of every article in a version pair (not all of them:
        at 100k articles, families need a few thousand)."""
        rows = self.db.execute(
            f"SELECT {self._meta_cols} FROM articles "
            f"WHERE id IN (SELECT a FROM pairs UNION SELECT b FROM pairs)"
        ).fetchall()
        return [ArticleMeta(*r) for r in rows]

    def articles_for(self, ids: Iterable[str]) -> list[ArticleMeta]:
        """The metadata of the articles ``ids`` (unknown ones left out)."""
        return [ArticleMeta(*r) for r in self._where_in(
            f"SELECT {self._meta_cols} FROM articles WHERE id", ids)]

    def _where_in(self, select: str, values: Iterable[str]) -> Iterator[tuple]:
        """The rows of ``select`` (ending in the column to match: "... WHERE
        id") ``IN`` the ``values``, asked IN_BATCH values at a time (SQLite
        caps the parameters of one statement)."""
        values = list(values)
        for k in range(0, len(values), IN_BATCH):
            batch = values[k:k + IN_BATCH]
            yield from self.db.execute(f"{select} IN ({','.join('?' * len(batch))})", batch)

    def bodies_for(self, ids: list[str], compressed: bool = False) -> dict:
        """Article id -> body text, for many ids at once (``compressed``:
        as stored, zlib bytes)."""
        rows = self._where_in("SELECT a.id, b.z FROM articles a JOIN bodies b "
                              "ON a.hash = b.hash WHERE a.id", ids)
        return {id_: z if compressed else decompress(z) for id_, z in rows}

    def compressed_bodies(self, hashes: list[str]) -> dict[str, bytes]:
        """Body hash -> the body as stored (zlib bytes), for many at once."""
        return dict(self._where_in("SELECT hash, z FROM bodies WHERE hash", hashes))

    def versions_synced(self, scheme: str) -> bool:
        """Whether the version data was brought up to date with the articles,
        with signatures of ``scheme``, and no article has changed since: the
        mark :meth:`mark_versions_synced` left names the generation of then,
        and every change of the articles (:meth:`apply`, by any variorum that
        can write this store) moves the generation on."""
        return self.get_meta(VERSIONS_SYNCED) == f"{scheme} {self.generation()}"

    def mark_versions_synced(self, scheme: str) -> None:
        """The version data is up to date with the articles as they are now
        (after the run's :meth:`apply_versions`, which moved the generation on
        if it wrote anything)."""
        with self.db:  # (one statement: the generation read as it is written)
            self.db.execute(
                "INSERT OR REPLACE INTO meta SELECT ?, ? || ' ' || COALESCE((SELECT "
                "CAST(value AS INTEGER) FROM meta WHERE key = 'generation'), 0)",
                (VERSIONS_SYNCED, scheme))

    def clear_versions(self) -> None:
        with self.db:
            self.db.execute("DELETE FROM meta WHERE key = ?", (VERSIONS_SYNCED,))
            self.db.execute("DELETE FROM sigs")
            self.db.execute("DELETE FROM pairs")
            self.db.execute("DELETE FROM sentkeys")
            self.db.execute("DELETE FROM sentcounts")

    def each_sig(self, staged: bool = False) -> Iterator[tuple[str, bytes]]:
        """(id, signature) of every signed article (``staged``: of every
        article signed by the run going on, see :meth:`stage_versions`), in
        id order, a row at a time: for the tests and benches that read the
        signatures (the versions phase reads them numbered, into its
        signature file: :meth:`each_numbered_sig`)."""
        table = "temp.staged_sigs" if staged else "sigs"
        yield from self.db.execute(f"SELECT id, sig FROM {table} ORDER BY id")

    def number_sigs(self) -> tuple[int, int]:
        """Number the run's signatures (a temporary table, row -> id): the
        stored ones still current (their article's text unchanged), in id
        order, then the staged ones (see :meth:`stage_versions`), in id
        order: the rows the versions phase bands (its signature file, read
        by :meth:`each_numbered_sig`; a list of every id was ~70 bytes an
        article, and a dict of them, as many again, issue 15). How many are
        stored, and in all."""
        with self.db:
            db = self.db
            db.execute("CREATE TEMP TABLE IF NOT EXISTS sig_rows "
                       "(row INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE)")
            db.execute("DELETE FROM temp.sig_rows")
            db.execute("INSERT INTO temp.sig_rows SELECT ROW_NUMBER() OVER (ORDER BY s.id) - 1, "
                       "s.id FROM sigs s JOIN articles a ON a.id = s.id AND a.hash = s.hash")
            (stored,) = db.execute("SELECT count(*) FROM temp.sig_rows").fetchone()
            db.execute("INSERT INTO temp.sig_rows SELECT ? + ROW_NUMBER() OVER (ORDER BY id) - 1, "
                       "id FROM temp.staged_sigs", (stored,))
            (total,) = db.execute("SELECT count(*) FROM temp.sig_rows").fetchone()
        return stored, total

    def each_numbered_sig(self) -> Iterator[bytes]:
        """Every numbered signature (see :meth:`number_sigs`), in row order."""
        yield from (r[0] for r in self.db.execute(
            "SELECT coalesce(t.sig, s.sig) FROM temp.sig_rows r "
            "LEFT JOIN temp.staged_sigs t ON t.id = r.id LEFT JOIN sigs s ON s.id = r.id "
            "ORDER BY r.row"))

    def ids_of_rows(self, rows: Iterable[int]) -> dict[int, str]:
        """Row -> article id, for these rows of :meth:`number_sigs`."""
        return dict(self._where_in("SELECT row, id FROM temp.sig_rows WHERE row", rows))

    def rows_of_ids(self, ids: Iterable[str]) -> dict[str, int]:
        """Article id -> its row (see :meth:`number_sigs`), for the numbered ones of ``ids``."""
        return dict(self._where_in("SELECT id, row FROM temp.sig_rows WHERE id", ids))

    def staged_among(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` signed by the run going on (see :meth:`stage_versions`)."""
        return {r[0] for r in self._where_in("SELECT id FROM temp.staged_sigs WHERE id", ids)}

    def sentence_keys(self, ids: Iterable[str], staged: bool = False) -> dict[str, bytes]:
        """Article id -> its stored sentence keys (see versions.sentence_keys);
        ``staged``: those of the run going on (see :meth:`stage_versions`)."""
        table = "temp.staged_keys" if staged else "sentkeys"
        return dict(self._where_in(f"SELECT id, keys FROM {table} WHERE id", ids))

    # The signatures and sentence keys a versions run computes are written
    # as they come, into temporary tables of this connection (a file of
    # SQLite's own, gone with the connection: a cancelled or killed run
    # leaves nothing), and moved into the store's tables by apply_versions,
    # in the one transaction that makes the run's results visible. Held in
    # memory until then, they were ~1 KB an article in the parent process,
    # while the signature workers ran: the versions phase's peak grew with
    # the corpus (issue 15).
    def stage_versions(self) -> None:
        """Empty temporary tables for a versions run's signatures and keys."""
        with self.db:
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS staged_sigs "
                            "(id TEXT PRIMARY KEY, hash TEXT NOT NULL, sig BLOB NOT NULL)")
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS staged_keys "
                            "(id TEXT PRIMARY KEY, keys BLOB NOT NULL)")
            self.db.execute("DELETE FROM temp.staged_sigs")
            self.db.execute("DELETE FROM temp.staged_keys")

    def _staged(self) -> bool:
        """Whether this connection has a run's temporary tables."""
        return self.db.execute(
            "SELECT 1 FROM temp.sqlite_master WHERE name = 'staged_sigs'").fetchone() is not None

    def discard_staged(self) -> None:
        """Empty the run's temporary tables (applied, or the run ended
        without: ~1 KB an article, which the reader's long-lived store would
        otherwise keep until it closes)."""
        if self._staged():
            self.db.execute("DELETE FROM temp.staged_sigs")
            self.db.execute("DELETE FROM temp.staged_keys")
            self.db.execute("DROP TABLE IF EXISTS temp.sig_rows")

    def stage_signed(self, sigs: Iterable[tuple[str, str, bytes]],
                     keys: Iterable[tuple[str, bytes]]) -> None:
        """Add (id, content hash, signature) and (id, sentence keys) rows to
        the run's temporary tables."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO temp.staged_sigs VALUES (?, ?, ?)", sigs)
            self.db.executemany("INSERT OR REPLACE INTO temp.staged_keys VALUES (?, ?)", keys)

    def sentence_counts(self) -> tuple[bytes, bytes] | None:
        """The corpus's sentence-key counts: (keys, counts) blobs, or None;
        whole, for the tests and benches that read them (the versions phase
        reads them a piece at a time: :meth:`read_sentence_counts`)."""
        return self.db.execute("SELECT keys, counts FROM sentcounts").fetchone()

    def sentence_counts_size(self) -> int:
        """How many keys the stored counts hold (0: none stored)."""
        row = self.db.execute("SELECT length(keys) FROM sentcounts").fetchone()
        return 0 if row is None else row[0] // 8

    def read_sentence_counts(self, start: int, stop: int):
        """Keys ``start`` to ``stop`` of the stored counts, and their counts
        (numpy arrays), read from the blobs in place (read whole, with their
        copies, they were ~580 bytes an article, issue 15)."""
        import numpy as np

        out = []
        for column, dtype in (("keys", np.uint64), ("counts", np.int64)):
            with self.db.blobopen("sentcounts", column, 0, readonly=True) as blob:
                blob.seek(start * 8)
                out.append(np.frombuffer(blob.read((stop - start) * 8), dtype=dtype))
        return out[0], out[1]

    def apply_versions(self, removed: set[str], pairs: list,
                       counts=None, signed: bool = False) -> None:
        """Drop what ``removed`` had, then add the staged signatures and
        sentence keys (see :meth:`stage_versions`), the counts (see
        :meth:`_write_counts`), and verified pairs. ``signed``: the run had articles to
        sign (the generation moves on, as for removed articles and pairs:
        an article never signed has no rows to drop)."""
        with self.db:
            db = self.db
            db.executemany("DELETE FROM sigs WHERE id=?", ((i,) for i in removed))
            db.executemany("DELETE FROM sentkeys WHERE id=?", ((i,) for i in removed))
            if self._staged():
                db.execute("INSERT OR REPLACE INTO sentkeys (id, keys) "
                           "SELECT id, keys FROM temp.staged_keys")
                db.execute("INSERT OR REPLACE INTO sigs (id, hash, sig) "
                           "SELECT id, hash, sig FROM temp.staged_sigs")
                self.discard_staged()
            if counts is not None:
                self._write_counts(counts)
            db.executemany("DELETE FROM pairs WHERE a=? OR b=?", ((i, i) for i in removed))
            db.executemany(
                "INSERT OR REPLACE INTO pairs VALUES (?, ?, ?, ?, ?)",
                ((p.a, p.b, p.kind, p.similarity, p.aligned) for p in pairs),
            )
            if removed or pairs or signed:  # (in the same transaction as the rows;
                # every article signed before whose text changed is in
                # ``removed``: its old rows go)
                self._bump_generation()

    def _write_counts(self, counts) -> None:
        """The counts (``counts.sizes()``: the bytes of the keys and of the
        counts; ``counts.read(column, at, size)``: those bytes, column 0 the
        keys, 1 the counts; see versions._KeyCounts) into their row, a piece
        at a time. (Bound as parameters, SQLite copies each whole, and the
        cached statement keeps the copies until it is next run: 0.6 KB an
        article, the versions phase's peak once the signatures were staged,
        issue 15.)"""
        sizes = counts.sizes()
        self.db.execute("INSERT OR REPLACE INTO sentcounts VALUES (0, zeroblob(?), zeroblob(?))",
                        list(sizes))
        for k, (column, size) in enumerate(zip(("keys", "counts"), sizes, strict=True)):
            with self.db.blobopen("sentcounts", column, 0) as blob:
                for at in range(0, size, _BLOB_PIECE):
                    blob.write(counts.read(k, at, min(_BLOB_PIECE, size - at)))

    def version_pair(self, a: str, b: str) -> tuple | None:
        """The stored pair of ``a`` and ``b`` (either order): (a, b, kind,
        similarity, aligned), or None."""
        return self.db.execute(
            "SELECT a, b, kind, similarity, aligned FROM pairs "
            "WHERE (a = ? AND b = ?) OR (a = ? AND b = ?)", (a, b, b, a)).fetchone()

    def ids_with_language(self, tag: str) -> set[str]:
        """The articles in language ``tag`` or a variant of it ("en" is
        "en-us" too; "en-us" is only that)."""
        try:
            return {r[0] for r in self.db.execute(
                "SELECT id FROM langs WHERE language = ? OR substr(language, 1, ?) = ?",
                (tag, len(tag) + 1, tag + "-"))}
        except sqlite3.OperationalError:  # an index made before languages (read-only)
            return set()

    def ids_with_versions(self, kind: str | None = None) -> set[str]:
        """The articles with a version (of ``kind``, when given: "copy",
        "near-copy", "rewrite")."""
        where, args = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        return {r[0] for r in self.db.execute(
            f"SELECT a FROM pairs {where} UNION SELECT b FROM pairs {where}", args * 2)}

    def version_pairs(self) -> list[tuple]:
        """Every stored pair: (a, b, kind, similarity, aligned)."""
        return self.db.execute(
            "SELECT a, b, kind, similarity, aligned FROM pairs ORDER BY a, b"
        ).fetchall()

    # ---------------------------------------------------- entities, quotes
    # Keyed by body hash and extractor: the same text is extracted once, and
    # a change of model (or of variorum's post-processing) redoes it.
    def annotation(self, hash_: str, extractor: str) -> bytes | None:
        try:
            row = self.db.execute(
                "SELECT z FROM annotations WHERE hash=? AND extractor=?", (hash_, extractor)
            ).fetchone()
        except sqlite3.OperationalError:  # an index made before entities existed
            return None
        return row[0] if row else None

    def annotated_hashes(self, extractor: str) -> set[str]:
        try:
            return {r[0] for r in self.db.execute(
                "SELECT hash FROM annotations WHERE extractor=?", (extractor,))}
        except sqlite3.OperationalError:
            return set()

    def put_annotations(self, rows: list[tuple[str, str, bytes, list[tuple[str, str]]]]) -> None:
        """``(hash, extractor, blob, [(label, folded name), ...])`` per article text."""
        with self.db:
            db = self.db
            for hash_, ex, z, names in rows:
                db.execute("INSERT OR REPLACE INTO annotations VALUES (?, ?, ?)", (hash_, ex, z))
                db.execute("DELETE FROM entity_tokens WHERE hash=? AND extractor=?", (hash_, ex))
                db.executemany(
                    "INSERT INTO entity_tokens VALUES (?, ?, ?, ?, ?)",
                    ((tok, ex, label, name, hash_) for label, name in names
                     for tok in set(name.split())),
                )

    def entity_matches(self, extractor: str, token: str,
                       labels: tuple[str, ...] | None) -> list[tuple[str, str, str]]:
        """``(hash, label, name)`` of every entity name holding ``token``."""
        sql = "SELECT hash, label, name FROM entity_tokens WHERE token=? AND extractor=?"
        args: list = [token, extractor]
        if labels:
            sql += f" AND label IN ({','.join('?' * len(labels))})"
            args += labels
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.OperationalError:
            return []

    def ids_for_hashes(self, hashes: set[str]) -> set[str]:
        return {r[0] for r in self._where_in("SELECT id FROM articles WHERE hash", hashes)}

    def annotation_coverage(self, extractor: str) -> tuple[int, int]:
        """(articles whose text is annotated, articles)."""
        try:
            done = self.db.execute(
                "SELECT COUNT(*) FROM articles WHERE hash IN "
                "(SELECT hash FROM annotations WHERE extractor=?)", (extractor,)
            ).fetchone()[0]
        except sqlite3.OperationalError:
            done = 0
        return done, self.count()

    # ------------------------------------------------------------ spin report
    def spin_counts(self, extractor: str) -> dict[tuple[str, str], tuple[int, int]]:
        """(hash_a, hash_b) -> (entity changes, quote changes) of every pair
        of texts whose spin report is stored for ``extractor``."""
        try:
            return {(a, b): (e, q) for a, b, e, q in self.db.execute(
                "SELECT hash_a, hash_b, entities, quotes FROM spin WHERE extractor=?",
                (extractor,))}
        except sqlite3.OperationalError:  # an index made before the table (read-only)
            return {}

    def put_spin(self, extractor: str, rows: Iterable[tuple[str, str, int, int]]) -> None:
        """Store ``(hash_a, hash_b, entity changes, quote changes)`` rows."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO spin VALUES (?, ?, ?, ?, ?)",
                                ((a, b, extractor, e, q) for a, b, e, q in rows))

    def article_hashes_list(self) -> list[tuple[str, str]]:
        """(id, hash) of every article, in list order."""
        return self.db.execute("SELECT id, hash FROM articles ORDER BY path, line").fetchall()
