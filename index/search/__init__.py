"""The Whoosh side of the engine: the schema, the indexer, queries and ranking.

Every use of Whoosh's private API is in :mod:`index.search.whoosh_internals`.
"""
