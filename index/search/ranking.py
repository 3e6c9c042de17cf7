"""Ranking: BM25F over the body, the top re-ranked by the title, exact totals."""

from __future__ import annotations

from whoosh import query as wq
from whoosh import scoring
from whoosh.searching import Searcher

from ..text.tokens import term_positions
from .whoosh_internals import (
    DocSetQuery,
    deleted_docnums,
    docnums_of,
    expanded_words,
    matcher_arrays,
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
    ``scoring.BM25F``'s. The lengths are also kept as an array, for scoring
    postings in bulk (:func:`best`).
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

    With a limit, every match is scored in bulk from the posting arrays and
    the exact total is the number of matches (:func:`best`); without one,
    Whoosh's own collector steps the matcher through every match (the
    straightforward search the tests compare the bulk one with).

    (Issue 15's first go skipped posting blocks that could not enter the top
    of one word, and counted its total in a second pass; skipping blocks
    exactly in unions, intersections and phrases measured slower than scoring
    them in full. Scoring all matches in bulk is faster than both: ``said``
    at 20k articles, 19,329 matches, took 32 ms with the skipping and 20 ms
    in bulk; at 100k, 96,664 matches, about the same, 44 and 46 ms, while
    unions, intersections, phrases and wildcards took a third to a half.)
    """
    depth = None if limit is None else max(limit, RERANK_DEPTH)
    if depth is None:
        results = searcher.search(q, limit=None)  # unlimited: scores and counts all
        total = len(results)
        hits = [(r.score, r.fields()) for r in results]
    else:
        found, total = best(searcher, q, depth)
        hits = [(score, searcher.stored_fields(docnum)) for score, docnum in found]
    if terms:  # only the top is re-ranked; further down, BM25 order stands
        top = hits[:RERANK_DEPTH]
        for k, (score, f) in enumerate(top):
            title_terms = set(term_positions(f.get("title", "")))
            share = len(terms & title_terms) / len(terms)
            top[k] = (score * (1 + TITLE_BONUS * share), f)
        top.sort(key=lambda h: -h[0])
        hits[:RERANK_DEPTH] = top
    return hits[:limit] if limit is not None else hits, total


def best(searcher: Searcher, q: wq.Query, depth: int) -> tuple[list[tuple[float, int]], int]:
    """The ``depth`` best ``(score, document number)`` of ``q`` and the exact
    number of its matches: each segment's matches scored in bulk
    (:func:`~index.search.whoosh_internals.matcher_arrays`, the matcher tree
    Whoosh's collector would step, from the same context), then the best by
    score, ties by document number, as Whoosh's top-N collector keeps them
    (a later document replaces one only with a higher score)."""
    import numpy as np

    context = searcher.context()
    ids, scores = [], []
    for leaf, offset in searcher.leaf_searchers():
        i, s = matcher_arrays(q.matcher(leaf, context))
        ids.append(i + offset)
        scores.append(s)
    if not ids:
        return [], 0
    doc, score = np.concatenate(ids), np.concatenate(scores)
    total = len(doc)
    pick = np.arange(total)
    if total > depth:  # all with at least the depth-th best score, ties included
        pick = np.flatnonzero(score >= np.partition(score, total - depth)[total - depth])
    top = pick[np.lexsort((doc[pick], -score[pick]))][:depth]
    return [(float(score[k]), int(doc[k])) for k in top], total


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
