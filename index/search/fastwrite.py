"""A Whoosh segment writer tuned for bulk indexing of news articles.

Whoosh 2.7's ``SegmentWriter`` spends most of a bulk build on per-posting
bookkeeping. Two of its costs are avoidable without changing anything a
reader sees (the segment files are byte-for-byte what Whoosh would write for
the same postings):

- finishing a segment asks the length column for every posting's document
  length (a seek and a read each time); here each field's lengths are read
  once into a list;
- the posting pool re-checks types and sizes each posting with asserts and a
  long sum; here a flat estimate does, and runs still spill to disk at the
  memory limit.

This module relies on ``SegmentWriter`` internals of whoosh-reloaded 2.7.5,
which is pinned; ``tests/test_indexer.py`` checks the results against
Whoosh's plain writer.
"""

from __future__ import annotations

from whoosh.codec.whoosh3 import W3Codec
from whoosh.writing import PostingPool, SegmentWriter


class LeanPostingPool(PostingPool):
    def add(self, item):
        self.fieldnames.add(item[0])
        self.currentsize += 160 + len(item[1]) * 2 + len(item[4] or b"")
        if self.currentsize > self.limit:
            self.save()
        self.current.append(item)


class _FieldLengths:
    """``doc_field_length`` answered from one pass over each length column."""

    def __init__(self, pdr, doccount: int):
        self._pdr = pdr
        self._n = doccount
        self._cache: dict[str, list[int]] = {}

    def doc_field_length(self, docnum, fieldname, default=0):
        lengths = self._cache.get(fieldname)
        if lengths is None:
            dfl = self._pdr.doc_field_length
            lengths = self._cache[fieldname] = [dfl(d, fieldname) for d in range(self._n)]
        return lengths[docnum]


class BulkSegmentWriter(SegmentWriter):
    def __init__(self, ix, **kwargs):
        # Level-1 zlib for posting blocks: readers decompress any level.
        kwargs.setdefault("codec", W3Codec(compression=1))
        super().__init__(ix, **kwargs)
        self.pool = LeanPostingPool(
            self._tempstorage, self.newsegment, limitmb=kwargs.get("limitmb", 128)
        )

    def _flush_segment(self):
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        lengths = _FieldLengths(pdr, self.docnum) if pdr is not None else None
        self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if pdr is not None:
            pdr.close()
