"""The SQLite side of an index (:mod:`index.store.db`)."""
