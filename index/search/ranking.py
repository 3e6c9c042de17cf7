"""Ranking: BM25F over the body, the top re-ranked by the title, exact totals."""

from __future__ import annotations

from whoosh import collectors, scoring
from whoosh import query as wq
from whoosh.searching import Searcher

from ..text.tokens import term_positions
from .whoosh_internals import read_lengths_once

TITLE_BONUS = 0.25  # re-ranking: score x (1 + bonus x share of query terms in the title)
RERANK_DEPTH = 30  # how much of the top is re-ranked


class FastBM25F(scoring.BM25F):
    """BM25F with each segment's field lengths read once into a list.

    Whoosh's scorer reads a document's field length from the lengths column
    (a seek and a read) for every document it scores; on a query matching
    most of a corpus that is a third of the time. Scores are the same as
    ``scoring.BM25F``'s.
    """

    def scorer(self, searcher, fieldname, text, qf=1):
        sc = super().scorer(searcher, fieldname, text, qf=qf)
        if isinstance(sc, scoring.BM25FScorer):
            read_lengths_once(sc, searcher.reader(), fieldname)
        return sc


def run(searcher: Searcher, q: wq.Query, limit: int | None, terms: set[str] | None = None):
    """Search; returns ([(score, stored fields)], exact total).

    The top of the ranking is re-ranked with a bonus for query terms in the
    title (BM25 over the body alone is one posting list a term; a title field
    searched alongside would double the work of every query).
    """
    depth = None if limit is None else max(limit, RERANK_DEPTH)
    # A single term with no deletions is counted for free (its document
    # frequency): let Whoosh skip blocks for the top of the ranking. Anything
    # else is scored and counted in one pass, with matcher replacement off:
    # Whoosh 2.7's TopCollector drops documents that cannot reach the top N
    # when it replaces matchers, and then undercounts (2,700 matches of
    # econom* reported as 585).
    if depth is None or (isinstance(q, wq.Term) and not searcher.reader().has_deletions()):
        results = searcher.search(q, limit=depth)  # unlimited: scores and counts all
    else:
        collector = collectors.TopCollector(limit=depth, usequality=False, replace=0)
        searcher.search_with_collector(q, collector)
        results = collector.results()
    hits = [(r.score, r.fields()) for r in results]
    if terms:  # only the top is re-ranked; further down, BM25 order stands
        top = hits[:RERANK_DEPTH]
        for k, (score, f) in enumerate(top):
            title_terms = set(term_positions(f.get("title", "")))
            share = len(terms & title_terms) / len(terms)
            top[k] = (score * (1 + TITLE_BONUS * share), f)
        top.sort(key=lambda h: -h[0])
        hits[:RERANK_DEPTH] = top
    return hits[:limit] if limit is not None else hits, exact_total(searcher, q, results)


def exact_total(searcher: Searcher, q: wq.Query, results) -> int:
    """The number of matching documents, cheaply when the query is one term."""
    reader = searcher.reader()
    if isinstance(q, wq.Term) and not reader.has_deletions():
        return reader.doc_frequency(q.fieldname, q.text)
    return len(results)
