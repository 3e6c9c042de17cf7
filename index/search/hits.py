"""Search hits as the engine returns them: ranked, with the character spans
of every hit in the article's body and a snippet around the densest ones.

Bodies come from the store (``body(hash)``), so a hit's spans are in the
exact text it was indexed from; the spans of the entity mentions an entity
clause matches (:mod:`index.nlp.annotate`) are passed in, as the search
layer does not read annotations itself.
"""

from __future__ import annotations

from collections.abc import Callable

from ..models import Article, SearchHit, TermHits
from ..text.spans import merge_spans
from . import ranking
from .query import grouped_hit_spans, hit_spans, match_groups, match_sets, snippet_with_spans

Span = tuple[int, int]


def search(searcher, q, limit: int | None, body: Callable[[str], str | None] | None = None,
           more_spans: Callable[[str], list[Span]] | None = None
           ) -> tuple[list[SearchHit], int]:
    """The hits of ``q`` (top ``limit``, all with None) and the exact total.
    With ``body`` (body hash -> text), each hit carries the spans of its hits
    and a snippet, the spans ``more_spans(hash)`` gives merged in; without,
    only ids, titles and scores (what a list needs, for many hits at once)."""
    terms, phrases = match_sets(q, searcher.reader())
    found, total = ranking.run(searcher, q, limit, terms | {w for p in phrases for w in p})
    hits = []
    for score, fields in found:
        text = body(fields["hash"]) if body is not None else None
        sp = hit_spans(text, terms, phrases) if text else []
        if text and more_spans is not None:
            sp = merge_spans(sp + more_spans(fields["hash"]))
        hits.append(hit(fields, score, text or "", sp))
    return hits, total


def count(searcher, q) -> int:
    """How many articles ``q`` finds, exactly, without ranking them."""
    return ranking.count(searcher, q)


def article_spans(searcher, q, text: str, more: list[Span] | None = None) -> list[Span]:
    """The spans of the hits of ``q`` in one body, ``more`` merged in."""
    terms, phrases = match_sets(q, searcher.reader())
    sp = hit_spans(text, terms, phrases)
    return merge_spans(sp + more) if more else sp


def article_term_hits(searcher, q, text: str,
                      more: list[tuple[str, list[Span]]] = ()) -> TermHits:
    """The hits of ``q`` in one body, each with its clause; ``more``: the
    entity clauses' labels and mention spans."""
    groups = match_groups(q, searcher.reader())
    spans = grouped_hit_spans(text, groups, [sp for _label, sp in more])
    return TermHits([label for label, _t, _p in groups] + [label for label, _sp in more], spans)


def similar(searcher, art: Article, limit: int,
            body: Callable[[str], str | None]) -> list[SearchHit]:
    """Articles most like ``art`` (Whoosh's more-like-this over body terms)."""
    docnum = searcher.document_number(id=art.id)
    if docnum is None:
        return []
    results = searcher.more_like(docnum, "body", text=art.text, top=limit)
    return [hit(r.fields(), r.score, body(r["hash"]) or "", []) for r in results]


def hit(r: dict, score: float, text: str, spans: list[Span]) -> SearchHit:
    """A hit from its stored fields, its body and the spans in it."""
    snip, snip_spans = snippet_with_spans(text, spans) if text else ("", [])
    return SearchHit(
        id=r["id"],
        path=r["path"],
        title=r["title"],
        score=float(score),
        snippet=snip,
        spans=spans,
        source=r.get("source"),
        date=r["date"].date().isoformat() if r.get("date") else None,
        snippet_spans=snip_spans,
    )
