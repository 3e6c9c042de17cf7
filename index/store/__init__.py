"""The SQLite side of an index: the store (:mod:`index.store.db`), its tables
and the migrations keyed on the schema version it records
(:mod:`index.store.schema`), a reader's read snapshot of it
(:mod:`index.store.snapshot`) and articles named by id, prefix or path
(:mod:`index.store.refs`)."""
