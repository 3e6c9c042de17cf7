"""The Whoosh side of the engine: the schema, the indexer, queries, ranking,
hits, and the reader that opens the generation a store's snapshot names.

Every use of Whoosh's private API is in :mod:`index.search.whoosh_internals`.
"""
