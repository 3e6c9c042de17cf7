"""Querying an index: parsing, hit spans, snippets, suggestions (ranking:
:mod:`index.search.ranking`).

Hit spans are computed from the body text rather than stored in the index:
the body is re-tokenised with the same tokenizer that indexed it
(:data:`index.text.tokens.TOKEN_RE`, :func:`index.text.tokens.term`) and every
token whose term the query matches (after expanding wildcards and fuzzy terms against the index's
lexicon) is a hit; phrases match as whole runs of tokens; terms under ``NOT``
are never hits.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator

from whoosh import fields
from whoosh import query as wq
from whoosh.analysis import LowercaseFilter, RegexTokenizer
from whoosh.matching import FilterMatcher, Matcher, NullMatcher, ReadTooFar
from whoosh.qparser import FuzzyTermPlugin, GtLtPlugin, PlusMinusPlugin, QueryParser, syntax
from whoosh.qparser.dateparse import DateParserPlugin

from ..errors import QueryError
from ..labels import (
    ENTITY_FIELDS,  # fields that search entities (see index.nlp.annotate)
    LANGUAGE_FIELD,  # the field that picks articles in a language
    VERSION_FIELDS,  # fields that pick articles with versions
)
from ..text.spans import merge_spans
from ..text.textclean import language_code
from ..text.tokens import STOPS, TOKEN_RE, term, tokens_pattern
from .ranking import docnums
from .whoosh_internals import DocSetQuery, LexiconFuzzyTerm, deleted_docnums

DEFAULT_FIELD = "body"  # it also holds each title (see indexer.body_for_index)
QUERY_FIELDS = ("title", "body", "source", "author", "date", "path", "id", *ENTITY_FIELDS,
                *VERSION_FIELDS, LANGUAGE_FIELD)
# clauses that become sets of articles
SET_FIELDS = (*ENTITY_FIELDS, *VERSION_FIELDS, LANGUAGE_FIELD)
SNIPPET_WIDTH = 180
SUGGEST_BELOW = 3  # offer "did you mean" when a query finds fewer articles than this


_parsers: dict[int, tuple[object, QueryParser]] = {}


def _parser(schema) -> QueryParser:
    """One parser per schema object (schemas are unhashable; key by identity).

    The parser knows the entity fields (``person:``, ``org:``, ...) that the
    index does not have: their words are split at white space only and
    lower-cased (no stemming, no stop words dropped; "O'Neill" and "U.S." stay
    whole, as entity names are stored) and :func:`rewrite_entities` turns them
    into sets of articles; so are the version fields (``has:``, ``kind:``).
    """
    got = _parsers.get(id(schema))
    if got is None or got[0] is not schema:
        parse_schema = schema.copy()
        for name in SET_FIELDS:
            parse_schema.add(name, fields.TEXT(
                analyzer=RegexTokenizer(r"\S+") | LowercaseFilter()))
        p = QueryParser(DEFAULT_FIELD, parse_schema)
        p.add_plugin(FuzzyTermPlugin())
        p.add_plugin(GtLtPlugin())
        # putin -korea / +soler, but only at the start of a word: not in well-known.
        p.add_plugin(_NestedPlusMinus(plusexpr=r"(?<![^\s(])\+", minusexpr=r"(?<![^\s(])-"))
        p.add_plugin(DateParserPlugin(free=False))
        got = _parsers[id(schema)] = (schema, p)
    return got[1]


class _NestedPlusMinus(PlusMinusPlugin):
    """``+``/``-`` inside parentheses as well as at the top level.

    Whoosh's plugin sorts only the top-level group into required, optional
    and banned words; a ``-`` inside parentheses (``gas OR (oil -price)``)
    was left as a marker that cannot become a query ("cannot parse the
    query: Minus")."""

    def do_plusminus(self, parser, group):
        return self._sort(parser, group, top=True)

    def _sort(self, parser, group, top=False):
        for i, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                group[i] = self._sort(parser, node)
        if top or any(isinstance(n, (self.Plus, self.Minus)) for n in group):
            return super().do_plusminus(parser, group)
        return group


_ONLY_EXCLUSIONS = re.compile(r"^(?:-\S+\s*)+$")
_FIELD_PREFIX = re.compile(r"(?:^|(?<=[\s(+\-]))([A-Za-z_]\w*):(?=[^\s])")
_DATE_CLAUSE = re.compile(r"\bdate:(\[[^\]]*\]?|\{[^}]*\}?|\S+)", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})(?:-(\d{2}))?\b")


def _compact_dates(qstring: str) -> str:
    """Whoosh's date parser misreads ISO dates with hyphens (2024-06-30 becomes
    the whole year 2024); give it the compact form it does read (20240630)."""

    def fix(m: re.Match) -> str:
        return "date:" + _ISO_DATE.sub(lambda d: "".join(g for g in d.groups() if g), m.group(1))

    return _DATE_CLAUSE.sub(fix, qstring)


def parse(qstring: str, schema) -> wq.Query:
    """Parse the Whoosh query language, or raise :class:`QueryError` saying why not."""
    s = (qstring or "").strip()
    if not s:
        raise QueryError("empty query: type some words to search for")
    if s.count('"') % 2:
        raise QueryError('unbalanced quote: a "phrase" needs a closing "')
    depth = 0
    for ch in s:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            break
    if depth:
        raise QueryError("unbalanced parentheses in the query")
    for m in _FIELD_PREFIX.finditer(s):
        name = m.group(1)
        if name not in QUERY_FIELDS:
            raise QueryError(
                f"unknown field '{name}:' (fields: {', '.join(QUERY_FIELDS)})"
            )
    try:
        q = _parser(schema).parse(_compact_dates(s))
    except Exception as e:  # whoosh raises assorted errors on odd input
        raise QueryError(f"cannot parse the query: {e}") from None
    for node in [q, *q.leaves()] if not q.is_leaf() else [q]:
        err = getattr(node, "error", None)
        if err:
            raise QueryError(f"cannot understand {err!r} in the query")
    if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
        if _ONLY_EXCLUSIONS.match(s):
            raise QueryError(
                "nothing to search for: -word only excludes; add a word to look for "
                "(or use NOT word)"
            )
        raise QueryError(
            "nothing to search for: the query has only words too common to index"
        )
    if any(n.boost <= 0 for n in _nodes(q)):
        # A word boosted by 0 matches with a score of 0, and Whoosh's own
        # matchers disagree on whether such a document is a match (its union
        # of many words drops all but the first of a block of 2,048): the
        # total could not be exact, so the query is refused.
        raise QueryError("a boost must be above 0 (word^0.5 weighs a word less; "
                         "leave a word out not to count it)")
    return segment_independent(q)


def _nodes(q: wq.Query):
    yield q
    for c in q.children():
        yield from _nodes(c)


# ------------------------------------------------------------------ negation
#
# Whoosh 2.7's own negation matchers return documents they should exclude:
#
# - ``AndNotMatcher`` (``oil -price``, ``oil ANDNOT price``) checks its first
#   document against the excluded side only when both sides start on the same
#   document: when the excluded side starts earlier, the first positive
#   document is returned even if it is excluded. That happens at most once
#   per segment, so how many wrong hits a query gets depends on how the index
#   happens to be cut into segments (a clean, a parallel and an incremental
#   build of one corpus disagreed);
# - ``InverseMatcher`` (``NOT price``, ``oil OR NOT price``) stops skipping
#   deleted documents once the excluded side runs out: the deleted document
#   right after the excluded side's last one is returned, and an incremental
#   update's deletions are the replaced versions of changed articles, so the
#   old version of an article came back as a hit beside the new one.
#
# Both are replaced: the excluded side is read once per segment into a set of
# document numbers, and the matchers below filter by it using nothing but the
# other side's plain ``next``/``skip_to``.


def _doc_set(q: wq.Query, searcher) -> frozenset[int]:
    """The document numbers ``q`` matches in ``searcher``'s segment (deleted
    ones possibly included, which no matcher returns anyway): the counting
    pass's set algebra over postings read a block at a time
    (:func:`~index.search.ranking.docnums`), not a matcher stepped a
    document at a time (``game NOT football``: 6,580 football articles of 20k
    stepped for every search)."""
    if searcher.is_atomic():
        return frozenset(docnums(q, searcher))
    m = q.matcher(searcher, searcher.boolean_context())
    ids = []
    while m.is_active():
        ids.append(m.id())
        m.next()
    return frozenset(ids)


class _Complement(Matcher):
    """Every live document of a segment that is not in a set (constant score)."""

    def __init__(self, limit: int, ids, deleted: frozenset[int], weight: float = 1.0,
                 start: int = 0):
        self._limit, self._ids, self._deleted, self._weight = limit, ids, deleted, weight
        self._id = start
        self._advance()

    def _advance(self) -> None:
        ids, deleted = self._ids, self._deleted
        while self._id < self._limit and (self._id in ids or self._id in deleted):
            self._id += 1

    def is_active(self) -> bool:
        return self._id < self._limit

    def id(self) -> int:
        return self._id

    def next(self) -> None:
        if self._id >= self._limit:
            raise ReadTooFar
        self._id += 1
        self._advance()

    def skip_to(self, id: int) -> None:
        if self._id >= self._limit:
            raise ReadTooFar
        if id > self._id:
            self._id = id
            self._advance()

    def reset(self) -> None:
        self._id = 0
        self._advance()

    def copy(self) -> _Complement:
        return _Complement(self._limit, self._ids, self._deleted, self._weight, self._id)

    def replace(self, minquality=0):
        if not self.is_active() or (minquality and self._weight < minquality):
            return NullMatcher()
        return self

    def supports(self, astype) -> bool:
        return False

    def supports_block_quality(self) -> bool:
        return False

    def matched_arrays(self):
        """``(docnums, scores)`` of every document it matches, as numpy arrays
        (:func:`~index.search.whoosh_internals.matcher_arrays`: stepping a
        complement is a Python step per document of the segment)."""
        import numpy as np

        keep = np.ones(self._limit, dtype=bool)
        for gone in (self._ids, self._deleted):
            if gone:
                keep[np.fromiter(gone, dtype=np.int64, count=len(gone))] = False
        ids = np.flatnonzero(keep)
        return ids, np.full(len(ids), self._weight)

    def max_quality(self) -> float:
        return self._weight

    def block_quality(self) -> float:
        return self._weight

    def weight(self) -> float:
        return self._weight

    def score(self) -> float:
        return self._weight


class ExactAndNot(wq.AndNot):
    """``a ANDNOT b`` whose matcher never returns a document of ``b``."""

    def matcher(self, searcher, context=None):
        scored = self.a.matcher(searcher, context)
        if not scored.is_active():
            return scored
        excluded = _doc_set(self.b, searcher)
        return FilterMatcher(scored, excluded, exclude=True) if excluded else scored


class ExactNot(wq.Not):
    """``NOT q`` whose matcher never returns a document of ``q``."""

    def matcher(self, searcher, context=None):
        reader = searcher.reader()
        return _Complement(reader.doc_count_all(), _doc_set(self.query, searcher),
                           deleted_docnums(reader))


def segment_independent(q: wq.Query) -> wq.Query:
    """``q`` rewritten so that its hits and scores do not depend on how the
    index is cut into segments: every ``AndNot`` and ``Not`` replaced by its
    exact version, and every expanding query (prefix, wildcard, fuzzy term,
    range of words) scored.

    Whoosh gives an expanding query's hits one constant score in a segment
    where it expands to three words or more and that holds at most 5,000
    documents, and BM25 scores (summed over the expanded words) elsewhere:
    which articles ranked first depended on the segments. They are always
    BM25-scored now, as a large index's segments already were. A fuzzy term
    becomes a :class:`LexiconFuzzyTerm` (the same words, found faster).
    """
    if isinstance(q, wq.AndNot) and not isinstance(q, ExactAndNot):
        q = ExactAndNot(q.a, q.b)
    elif isinstance(q, wq.Not) and not isinstance(q, ExactNot):
        q = ExactNot(q.query, boost=q.boost)
    elif isinstance(q, wq.FuzzyTerm) and type(q) is not LexiconFuzzyTerm:
        q = LexiconFuzzyTerm(q.fieldname, q.text, boost=q.boost, maxdist=q.maxdist,
                             prefixlength=q.prefixlength, constantscore=False)
    elif isinstance(q, wq.MultiTerm) and q.constantscore:
        q = copy.copy(q)
        q.constantscore = False
    if q.is_leaf():
        return q
    return q.apply(segment_independent)


def positive_leaves(q: wq.Query) -> Iterator[wq.Query]:
    """The leaves of ``q`` (a phrase counts as one) that are not under NOT:
    what can be a hit."""
    if isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndNot):
        yield from positive_leaves(q.a)
        return
    if isinstance(q, wq.Phrase) or q.is_leaf():
        yield q
        return
    for child in q.children():
        yield from positive_leaves(child)


def has_entity_fields(q: wq.Query) -> bool:
    """Whether any clause of ``q``, negated or not, searches entities."""
    return any(getattr(n, "fieldname", None) in ENTITY_FIELDS
               for n in ([q] if q.is_leaf() else q.leaves()))


def entity_clauses(q: wq.Query) -> list[tuple[str, list[str]]]:
    """``(field, words)`` of every entity clause of ``q`` (not under NOT)."""
    return [(n.fieldname, _entity_words(n)) for n in positive_leaves(q)
            if getattr(n, "fieldname", None) in ENTITY_FIELDS]


def _entity_words(node: wq.Query) -> list[str]:
    if isinstance(node, wq.Phrase):
        return list(node.words)
    if type(node) is wq.Term:
        return [node.text]
    raise QueryError(f"{node.fieldname}: takes a name or a \"quoted name\" "
                     f"(no wildcards, fuzzy terms or ranges)")


def version_words(field: str, words: list[str]) -> list[str]:
    """The words of a version clause (``has:versions``, ``kind:rewrite``), or
    QueryError saying what it takes."""
    allowed = VERSION_FIELDS[field]
    if len(words) != 1 or words[0] not in allowed:
        raise QueryError(f"{field}: takes {' or '.join(allowed)} "
                         f"(not {' '.join(words) or 'nothing'})")
    return words


def language_words(words: list[str]) -> list[str]:
    """The tag of a language clause (``lang:de``), or QueryError saying what it takes."""
    tag = language_code(words[0]) if len(words) == 1 else None
    if tag is None:
        raise QueryError(f"{LANGUAGE_FIELD}: takes a language tag such as en, de or pt-br "
                         f"(not {' '.join(words) or 'nothing'})")
    return [tag]


def has_set_fields(q: wq.Query) -> bool:
    """Whether any clause of ``q`` becomes a set of articles (entities, versions)."""
    return any(getattr(n, "fieldname", None) in SET_FIELDS
               for n in ([q] if q.is_leaf() else q.leaves()))


def rewrite_entities(q: wq.Query, ids_for) -> wq.Query:
    """Replace each entity or version clause by the articles it matches:
    ``ids_for(field, words)`` gives their ids."""
    if q.is_leaf():
        field = getattr(q, "fieldname", None)
        if field in SET_FIELDS:
            words = _entity_words(q)
            if field in VERSION_FIELDS:
                words = version_words(field, words)
            elif field == LANGUAGE_FIELD:
                words = language_words(words)
            ids = ids_for(field, words)
            return DocSetQuery(ids) if ids else wq.NullQuery
        return q
    return q.apply(lambda child: rewrite_entities(child, ids_for))


def parse_entities(qstring: str, schema, ids_for) -> tuple[wq.Query, list[tuple[str, list[str]]]]:
    """Parse a query whose entity clauses become the sets of articles they
    match (``ids_for(field, words)``, see :func:`rewrite_entities`), and
    those clauses (:func:`entity_clauses`), whose mentions are hits too."""
    q = parse(qstring, schema)
    eclauses = entity_clauses(q)
    if has_set_fields(q):
        q = rewrite_entities(q, ids_for)
    return q, eclauses


def clause_label(node: wq.Query) -> str:
    """A clause as parsed (its words stemmed): ``korea``, ``"town colleg"``,
    ``presid*``, ``putn~``."""
    if isinstance(node, wq.Phrase):
        return '"' + " ".join(node.words) + '"'
    text = getattr(node, "text", None)
    if not isinstance(text, str):
        return str(node)
    if isinstance(node, wq.FuzzyTerm):
        return text + "~"
    if isinstance(node, wq.Prefix):
        return text + "*"
    return text


def match_groups(q: wq.Query, reader, fieldname: str = "body"
                 ) -> list[tuple[str, set[str], list[list[str]]]]:
    """``(label, terms, phrases)`` of each clause of ``q`` that can be a hit
    in ``fieldname``, in the query's order (a clause given twice: once), its
    terms expanded (a wildcard's or a fuzzy term's words in the index)."""
    groups: dict[str, tuple[set[str], list[list[str]]]] = {}
    for node in positive_leaves(q):
        if getattr(node, "fieldname", None) != fieldname:
            continue
        terms, phrases = groups.setdefault(clause_label(node), (set(), []))
        if isinstance(node, wq.Phrase):
            if node.words:
                phrases.append(list(node.words))
            continue
        for f, t in node.existing_terms(reader, expand=True):
            if f == fieldname:
                terms.add(t.decode("utf-8") if isinstance(t, bytes) else t)
    return [(label, t, p) for label, (t, p) in groups.items() if t or p]


def match_sets(q: wq.Query, reader, fieldname: str = "body"):
    """The terms (expanded) and phrases of ``q`` that can be hits in ``fieldname``."""
    terms: set[str] = set()
    phrases: list[list[str]] = []
    for _label, t, p in match_groups(q, reader, fieldname):
        terms |= t
        phrases += p
    return terms, phrases


def _token_hits(text: str, terms: set[str], phrases: list[list[str]]) -> list[tuple[int, int]]:
    """The spans of ``terms`` and ``phrases`` in ``text``, unmerged: the tokens
    (:data:`TOKEN_RE`, as indexed) whose term is one of ``terms``, and the runs
    of kept tokens whose terms are a phrase's words.

    Only the text's distinct words are folded and stemmed (:func:`term`,
    cached), and only where a phrase's first word occurs are the tokens after
    it looked at: stemming every token of every hit's body (what
    :func:`index.text.tokens.term_spans` does) was most of the time of a
    search's top 10 (issue 15). The spans are the same."""
    if not terms and not phrases:
        return []
    words = set(TOKEN_RE.findall(text))
    hit = {w for w in words if term(w) in terms}
    firsts: dict[str, list[list[str]]] = {}
    for ph in phrases:
        for w in words:
            if term(w) == ph[0]:
                firsts.setdefault(w, []).append(ph)
    if not hit and not firsts:
        return []
    spans = []
    for m in tokens_pattern(hit | firsts.keys()).finditer(text):
        w = m.group()
        if w in hit:
            spans.append(m.span())
        for ph in firsts.get(w, ()):
            end = _phrase_end(text, m.end(), ph)
            if end is not None:
                spans.append((m.start(), end))
    return spans


def _phrase_end(text: str, pos: int, phrase: list[str]) -> int | None:
    """Where a phrase whose first word ends at ``pos`` ends, if the kept
    tokens after ``pos`` are its other words; else None."""
    if len(phrase) == 1:
        return pos
    k = 1
    for m in TOKEN_RE.finditer(text, pos):
        t = term(m.group())
        if not t:  # a stop word or one letter: not a position
            continue
        if t != phrase[k]:
            return None
        k += 1
        if k == len(phrase):
            return m.end()
    return None


def hit_spans(text: str, terms: set[str], phrases: list[list[str]]) -> list[tuple[int, int]]:
    """Character spans in ``text`` of every hit, sorted, overlaps merged."""
    return merge_spans(_token_hits(text, terms, phrases))


def grouped_hit_spans(text: str, groups: list[tuple[str, set[str], list[list[str]]]],
                      more: list[list[tuple[int, int]]] = ()) -> list[tuple[int, int, int]]:
    """``(start, end, k)``: every hit in ``text`` with the index ``k`` of the
    clause it is a hit of (``groups`` from :func:`match_groups`, then the
    clauses whose spans are given in ``more``), sorted; where hits of two
    clauses overlap, the one that starts first is kept (when they start
    together, the longer: a phrase over a word of it; then the earlier clause)."""
    per = [merge_spans(_token_hits(text, t, p)) for _label, t, p in groups]
    per += [merge_spans(list(spans)) for spans in more]
    tagged = sorted(((s, e, k) for k, spans in enumerate(per) for s, e in spans),
                    key=lambda t: (t[0], -t[1], t[2]))
    out: list[tuple[int, int, int]] = []
    for s, e, k in tagged:
        if out and s < out[-1][1]:
            continue
        out.append((s, e, k))
    return out


def snippet_with_spans(
    text: str, spans: list[tuple[int, int]], width: int = SNIPPET_WIDTH
) -> tuple[str, list[tuple[int, int]]]:
    """A one-line excerpt of about ``width`` characters around the densest hits, and
    the hits' spans inside it."""
    if not spans:
        start = 0
    else:
        best, best_n, j = 0, 0, 0
        for i, (s, _e) in enumerate(spans):
            j = max(j, i)
            while j + 1 < len(spans) and spans[j + 1][1] <= s + width - 40:
                j += 1
            if j - i + 1 > best_n:
                best, best_n = i, j - i + 1
        start = max(0, spans[best][0] - 40)
    if start:
        sp = text.rfind(" ", 0, start)
        start = sp + 1 if sp >= start - 20 else start
    end = min(len(text), start + width)
    if end < len(text):
        sp = text.rfind(" ", start, end)
        end = sp if sp > start + width // 2 else end
    # One character of output per character of input, so spans map by offset.
    body = _WS.sub(" ", text[start:end])
    lead = "…" if start else ""
    shift = len(lead) - start
    inner = [
        (max(s, start) + shift, min(e, end) + shift) for s, e in spans if s < end and e > start
    ]
    return lead + body + ("…" if end < len(text) else ""), inner


_WS = re.compile(r"\s")


_OPERATORS = frozenset({"AND", "OR", "NOT", "TO", "ANDNOT", "ANDMAYBE"})


def words_to_correct(qstring: str) -> list[tuple[int, int, str]]:
    """Plain words of a query that a spelling suggestion may replace."""
    out = []
    for m in TOKEN_RE.finditer(qstring):
        w = m.group()
        after = qstring[m.end(): m.end() + 1]
        before = qstring[m.start() - 1: m.start()] if m.start() else ""
        if (after and after in ":*?~") or (before and before in "*?~") or w in _OPERATORS:
            continue
        lw = w.lower()
        if len(lw) < 3 or lw in STOPS or not lw.isalpha():
            continue
        out.append((m.start(), m.end(), lw))
    return out


def correct(qstring: str, known_df, candidates) -> str | None:
    """Replace each unknown word of ``qstring`` by its best known neighbour.

    ``known_df(word)`` gives a word's document frequency; ``candidates(word)``
    gives ``[(word, distance, df), ...]`` of close known words.
    """
    pieces, last, changed = [], 0, False
    for s, e, w in words_to_correct(qstring):
        if known_df(w):
            continue
        cands = candidates(w)
        if not cands:
            continue
        best = min(cands, key=lambda c: (c[1], -c[2], c[0]))[0]
        pieces.append(qstring[last:s])
        pieces.append(best)
        last, changed = e, True
    if not changed:
        return None
    pieces.append(qstring[last:])
    return "".join(pieces)


def suggest(qstring: str, vocab, count, total: int | None = None) -> str | None:
    """A corrected query that finds more articles than ``qstring``, or None.

    ``vocab``: ``(words, document frequencies, word -> frequency)`` of the
    index (:meth:`index.search.reader.Reader.vocab`); ``count(qstring)``: how
    many articles a query finds; ``total``: what ``qstring`` finds, when the
    caller knows it."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    words, dfs, df_of = vocab

    def candidates(w: str):
        maxd = 1 if len(w) <= 4 else 2
        found = process.extract(w, words, scorer=Levenshtein.distance, score_cutoff=maxd,
                                limit=25)
        return [(c, d, dfs[i]) for c, d, i in found]

    fixed = correct(qstring, df_of.get, candidates)
    if not fixed:
        return None
    if total is None:
        total = count(qstring)
    try:
        found = count(fixed)
    except Exception:  # a correction that does not parse is no suggestion
        return None
    return fixed if found > total else None
