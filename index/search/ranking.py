"""Ranking: BM25F over the body, the top re-ranked by the title, exact totals."""

from __future__ import annotations

from whoosh import query as wq
from whoosh import scoring
from whoosh.searching import Searcher

from ..text.tokens import term_positions
from .whoosh_internals import (
    DocSetQuery,
    QualityTopCollector,
    deleted_docnums,
    docnums_of,
    exact_block_quality,
    expanded_words,
    phrase_docnums,
    read_lengths_once,
    term_docnums,
)

TITLE_BONUS = 0.25  # re-ranking: score x (1 + bonus x share of query terms in the title)
RERANK_DEPTH = 30  # how much of the top is re-ranked


class FastBM25F(scoring.BM25F):
    """BM25F with each segment's field lengths read once into a list.

    Whoosh's scorer reads a document's field length from the lengths column
    (a seek and a read) for every document it scores; on a query matching
    most of a corpus that is a third of the time. Scores are the same as
    ``scoring.BM25F``'s. A posting block's quality is the best score in it
    (:func:`~index.search.whoosh_internals.exact_block_quality`), so that
    the top of a common word's ranking skips most blocks.
    """

    def scorer(self, searcher, fieldname, text, qf=1):
        sc = super().scorer(searcher, fieldname, text, qf=qf)
        if isinstance(sc, scoring.BM25FScorer):
            read_lengths_once(sc, searcher.reader(), fieldname)
            exact_block_quality(sc, searcher.reader(), fieldname, text)
        return sc


def run(searcher: Searcher, q: wq.Query, limit: int | None, terms: set[str] | None = None):
    """Search; returns ([(score, stored fields)], exact total).

    The top of the ranking is re-ranked with a bonus for query terms in the
    title (BM25 over the body alone is one posting list a term; a title field
    searched alongside would double the work of every query).

    With a limit, a one-word query scores only what the top needs: the
    posting blocks whose best score cannot enter the top are skipped
    (:class:`~index.search.whoosh_internals.QualityTopCollector`), and the
    exact total is the word's document frequency, or after deletions a second
    pass that reads document numbers and scores nothing (:func:`count`). Any
    other query scores every match and counts them in the same pass (see
    :func:`~index.search.whoosh_internals.exact_skipping` for why). Whoosh's
    own top-N collector undercounts when it replaces matchers (2,700 matches
    of ``econom*`` reported as 585), so matchers are never replaced.
    """
    depth = None if limit is None else max(limit, RERANK_DEPTH)
    if depth is None:
        results = searcher.search(q, limit=None)  # unlimited: scores and counts all
        total = len(results)
    else:
        collector = QualityTopCollector(depth)
        searcher.search_with_collector(q, collector)
        results = collector.results()
        total = count(searcher, q) if collector.may_skip else collector.total
    hits = [(r.score, r.fields()) for r in results]
    if terms:  # only the top is re-ranked; further down, BM25 order stands
        top = hits[:RERANK_DEPTH]
        for k, (score, f) in enumerate(top):
            title_terms = set(term_positions(f.get("title", "")))
            share = len(terms & title_terms) / len(terms)
            top[k] = (score * (1 + TITLE_BONUS * share), f)
        top.sort(key=lambda h: -h[0])
        hits[:RERANK_DEPTH] = top
    return hits[:limit] if limit is not None else hits, total


def count(searcher: Searcher, q: wq.Query) -> int:
    """The exact number of live documents ``q`` matches, nothing scored: a
    single term's document frequency when nothing is deleted, else per
    segment the set algebra of :func:`docnums` less the deleted documents."""
    reader = searcher.reader()
    if type(q) is wq.Term and not reader.has_deletions():
        return reader.doc_frequency(q.fieldname, q.text)
    n = 0
    for leaf, _offset in searcher.leaf_searchers():
        found = docnums(q, leaf)
        n += len(found - deleted_docnums(leaf.reader())) if found else 0
    return n


def docnums(q: wq.Query, leaf: Searcher) -> set[int]:
    """The document numbers ``q`` matches in one segment's searcher, deleted
    ones possibly included: terms' postings read a block at a time and
    combined as sets (And, Or, AndNot, Not, expanded words, article sets,
    phrases: :func:`phrase_docnums`); any other clause (a range of dates) by
    its own matcher, unscored."""
    reader = leaf.reader()
    if type(q) is wq.Term:
        return set(term_docnums(reader, q.fieldname, q.text)) if q.fieldname in reader.schema \
            else set()
    # (a range of words, TermRange, is a MultiTerm with no ``text``; an empty
    # prefix or pattern expands to nothing)
    if isinstance(q, wq.MultiTerm) and q.fieldname in reader.schema and \
            getattr(q, "text", None) != "":
        out: set[int] = set()
        for text in expanded_words(q, reader):
            out.update(term_docnums(reader, q.fieldname, text))
        return out
    if type(q) is wq.Phrase and q.slop == 1 and q.fieldname in reader.schema:
        return phrase_docnums(reader, q.fieldname, list(q.words))
    if type(q) is wq.And:  # not Ordered, a subclass
        sets = sorted((docnums(c, leaf) for c in q.subqueries), key=len)
        return set.intersection(*sets) if sets else set()
    if type(q) is wq.Or and not q.minmatch:
        return set().union(*(docnums(c, leaf) for c in q.subqueries))
    if isinstance(q, wq.AndNot):
        return docnums(q.a, leaf) - docnums(q.b, leaf)
    if type(q) is wq.AndMaybe:
        return docnums(q.a, leaf)
    if type(q) is wq.Require:
        return docnums(q.a, leaf) & docnums(q.b, leaf)
    if isinstance(q, wq.Not):
        return set(range(reader.doc_count_all())) - docnums(q.query, leaf)
    if isinstance(q, DocSetQuery):
        return set(docnums_of(reader, q.ids))
    if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
        return set()
    return set(q.matcher(leaf, leaf.boolean_context()).all_ids())
