"""The store's tables, and the migrations that bring a store up to date.

The store records the version of its schema (``meta.schema_version``). A
store opened for writing is migrated from the version it records to
:data:`SCHEMA_VERSION`, one migration at a time, each in its own
transaction; a store of a newer version than this code knows is refused
(:class:`index.errors.IndexVersionError`), for reading as well: its tables
may mean something this code would misread. A store opened read-only is
never migrated (the reader of an older one finds some tables missing and
does without them, as it always has).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import IndexVersionError

TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha TEXT,
    ids TEXT NOT NULL DEFAULT '', skipped TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, path TEXT NOT NULL, line INTEGER, title TEXT NOT NULL,
    source TEXT, date TEXT, author TEXT, url TEXT, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS articles_path ON articles(path, line);
CREATE TABLE IF NOT EXISTS bodies (hash TEXT PRIMARY KEY, z BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS vocab (word TEXT PRIMARY KEY, df INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sigs (id TEXT PRIMARY KEY, hash TEXT NOT NULL, sig BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS pairs (
    a TEXT NOT NULL, b TEXT NOT NULL, kind TEXT NOT NULL, similarity REAL NOT NULL,
    aligned REAL NOT NULL, PRIMARY KEY (a, b));
CREATE INDEX IF NOT EXISTS pairs_b ON pairs(b);
CREATE TABLE IF NOT EXISTS sentkeys (id TEXT PRIMARY KEY, keys BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sentcounts (
    one INTEGER PRIMARY KEY CHECK (one = 0), keys BLOB NOT NULL, counts BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS annotations (
    hash TEXT NOT NULL, extractor TEXT NOT NULL, z BLOB NOT NULL,
    PRIMARY KEY (hash, extractor));
CREATE TABLE IF NOT EXISTS entity_tokens (
    token TEXT NOT NULL, extractor TEXT NOT NULL, label TEXT NOT NULL, name TEXT NOT NULL,
    hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entity_tokens_token ON entity_tokens(token, extractor);
CREATE INDEX IF NOT EXISTS entity_tokens_hash ON entity_tokens(hash);
CREATE TABLE IF NOT EXISTS listing (
    one INTEGER PRIMARY KEY CHECK (one = 0), stamp TEXT NOT NULL, n INTEGER NOT NULL,
    z BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS listing_ins AFTER INSERT ON articles BEGIN DELETE FROM listing; END;
CREATE TRIGGER IF NOT EXISTS listing_upd AFTER UPDATE ON articles BEGIN DELETE FROM listing; END;
CREATE TRIGGER IF NOT EXISTS listing_del AFTER DELETE ON articles BEGIN DELETE FROM listing; END;
"""

# Issue 14's tables. ``langs``: the language each article says it is in
# (only those that say one), apart from ``articles`` so that a store is
# migrated by statements that can all run twice (no ALTER TABLE).
#
# ``spin``: what the spin report of one rewrite found, per pair of texts (body hashes,
# older first) and extractor (the annotations' cache key): how many entity
# and quote changes. The outlets table's "changed an entity or a quote"
# (index.outlets) is read from it.
ISSUE14 = """
CREATE TABLE IF NOT EXISTS langs (id TEXT PRIMARY KEY, language TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS langs_language ON langs(language);
CREATE TABLE IF NOT EXISTS spin (
    hash_a TEXT NOT NULL, hash_b TEXT NOT NULL, extractor TEXT NOT NULL,
    entities INTEGER NOT NULL, quotes INTEGER NOT NULL,
    PRIMARY KEY (hash_a, hash_b, extractor));
"""

# The digest of the manifest an unchanged re-index compares the corpus's walk
# with (``meta.manifest_digest``, see :meth:`index.store.db.Store.manifest_is`):
# any write to the manifest drops it, by these triggers, whichever code makes it
# (a variorum that knows nothing of the digest too). Not a migration: made by
# the transaction that first records a digest (a store without them has no
# digest to trust), so that a store stays at its schema version and readable
# by the variorum before (it is a cache, not data).
DIGEST_KEY = "manifest_digest"
DIGEST_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS files_digest_ins AFTER INSERT ON files
    BEGIN DELETE FROM meta WHERE key = 'manifest_digest'; END;
CREATE TRIGGER IF NOT EXISTS files_digest_upd AFTER UPDATE ON files
    BEGIN DELETE FROM meta WHERE key = 'manifest_digest'; END;
CREATE TRIGGER IF NOT EXISTS files_digest_del AFTER DELETE ON files
    BEGIN DELETE FROM meta WHERE key = 'manifest_digest'; END;
"""

# Where each record of the listing blob starts, and whether any has a date,
# a source (index.models.Listing: the reader's first list is then cut out of
# the blob, not split, nor searched for those; issue 15). Not a migration,
# like the manifest's digest: made by the transaction that first writes it
# (a store without it is read as before), with the trigger that deletes it
# with the listing's row, whoever deletes that (the articles' triggers, a
# variorum that knows nothing of it rewriting the listing): it never outlives
# the blob it describes. One statement each (run inside the listing's
# transaction).
LISTING_ROWS = (
    "CREATE TABLE IF NOT EXISTS listing_rows (one INTEGER PRIMARY KEY CHECK (one = 0), "
    "starts BLOB NOT NULL, dated INTEGER NOT NULL, sourced INTEGER NOT NULL)",
    "CREATE TRIGGER IF NOT EXISTS listing_rows_del AFTER DELETE ON listing "
    "BEGIN DELETE FROM listing_rows; END",
)

SCHEMA_VERSION = 3

# version -> the statements that bring a store of the version before up to it.
# (A migration that rebuilds the files table drops its triggers, not the
# manifest's digest: it must delete the meta row 'manifest_digest' too.)
MIGRATIONS: dict[int, str] = {
    1: TABLES + ISSUE14,  # a new store
    # Stores marked 1 before the mark was read got tables added to the
    # schema since (version pairs, sentence keys, annotations, the listing)
    # only because every open ran TABLES again; every statement of it is
    # IF NOT EXISTS, so running it once more completes such a store.
    2: TABLES,
    # articles' languages, the spin report's counts per rewrite; every file
    # but a .txt (which says no language) is read again by the next update,
    # so that its articles get the language they say they are in
    3: ISSUE14 + "UPDATE files SET mtime_ns = -1, sha = NULL WHERE path NOT LIKE '%.txt';",
}


def version(db: sqlite3.Connection) -> int:
    """The schema version the store records: 0 for a new, empty database,
    and for one whose version cannot be read (a damaged store: what reads or
    writes it next finds out, and says so, as it would have)."""
    try:
        row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    except sqlite3.DatabaseError:  # no meta table: nothing was ever written
        return 0
    return int(row[0]) if row and str(row[0]).isdigit() else 0


def check(db: sqlite3.Connection, path: Path) -> int:
    """The store's version, if this code can read it."""
    v = version(db)
    if v > SCHEMA_VERSION:
        raise IndexVersionError(
            f"the index at {Path(path).parent} was written by a newer variorum (store schema "
            f"{v}; this one knows up to {SCHEMA_VERSION}): use that variorum, or delete "
            f"the index folder and index the corpus again")
    return v


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the store up to :data:`SCHEMA_VERSION`: each migration it has
    not had, in order, with the new version, in one transaction. (Two
    processes that open a new store at once may both run a migration: each
    is idempotent, every statement IF NOT EXISTS.)"""
    for to in range(check(db, path) + 1, SCHEMA_VERSION + 1):
        # executescript commits what is pending and runs its own statements;
        # the BEGIN makes the migration and its version one transaction
        db.executescript(f"BEGIN IMMEDIATE;\n{MIGRATIONS[to]}\n"
                         f"INSERT OR REPLACE INTO meta VALUES ('schema_version', '{to}');\n"
                         "COMMIT;")
