"""The one tokenizer: the terms of a text, as indexing, querying and hit
spans see them.

One tokeniser feeds three consumers, so the terms Whoosh indexes, the terms a
query is parsed into and the character spans the reader highlights can never
disagree:

- the Whoosh analyzer and body field (:mod:`index.search.schema`) index and
  parse queries with :func:`term_positions` and the same folding, stop words
  and stemming;
- :func:`term_spans` gives ``(term, start, end)`` for every kept token, and
  :func:`tokens_pattern` finds chosen words where they are whole tokens: how
  search results get exact character spans without storing them in the
  index;
- :func:`term` and the sentence tokens of :mod:`index.text.sentences` (the
  versions phase and the diff) see the words as the index does.

Terms are lower-cased, stop words and one-letter tokens are dropped (positions
are renumbered without them, as Whoosh's ``StopFilter`` does) and words are
stemmed with Snowball English (PyStemmer, a C extension). No Whoosh here:
the diff and the versions phase tokenize without loading it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

import Stemmer

TOKEN_RE = re.compile(r"\w+(?:\.?\w+)*")
MIN_SIZE = 2
# Whoosh's default stop words (whoosh.analysis.STOP_WORDS), written out so the
# tokenizer does not import Whoosh; tests/test_search.py checks the two agree.
STOPS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "for", "from", "have", "if", "in",
    "is", "it", "may", "not", "of", "on", "or", "tbd", "that", "the", "this", "to", "us", "we",
    "when", "will", "with", "yet", "you", "your",
))

_stemmer = Stemmer.Stemmer("english")
_stem_cache: dict[str, str] = {}
# The caches keep the words met first, which in news are the frequent ones
# (Zipf): past ~50k, a word kept is one seen once or twice. Tokenising 30k
# generated articles took the same CPU with 50k entries as with 200k, and a
# worker 17 MB less (issue 15: memory that grew with the corpus).
_STEM_CACHE_MAX = 50_000


def stem(word: str) -> str:
    """Stem one lower-cased word (cached: news vocabularies repeat a lot)."""
    try:
        return _stem_cache[word]
    except KeyError:
        s = _stemmer.stemWord(word)
        if len(_stem_cache) < _STEM_CACHE_MAX:
            _stem_cache[word] = s
        return s


_term_cache: dict[str, str] = {}
_TERM_CACHE_MAX = 50_000  # (see _STEM_CACHE_MAX)


def term(word: str) -> str:
    """The index term of one word as it appears in the text (folded and
    stemmed), or "" if the word is not indexed (a stop word, one letter).
    Cached by the raw word, so the common case is one dictionary lookup."""
    t = _term_cache.get(word)
    if t is None:
        w = fold(word)
        t = stem(w) if len(w) >= MIN_SIZE and w not in STOPS else ""
        if len(_term_cache) < _TERM_CACHE_MAX:
            _term_cache[word] = t
    return t


def fold(word: str) -> str:
    """A word as the index sees it: lower case, and without accents, so that
    İstanbul, istanbul, São and Sao match (offsets in the text are unchanged:
    only the term is folded)."""
    w = word.lower()
    if w.isascii():
        return w
    decomposed = unicodedata.normalize("NFKD", w)
    return "".join(c for c in decomposed if not unicodedata.combining(c)) or w


def kept_words(text: str) -> Iterator[re.Match[str]]:
    """Yield the regex matches of the words that become terms, in order."""
    for m in TOKEN_RE.finditer(text):
        w = fold(m.group())
        if len(w) >= MIN_SIZE and w not in STOPS:
            yield m


def term_positions(text: str, words: set[str] | None = None) -> dict[str, list[int]]:
    """Map each stemmed term of ``text`` to its (renumbered) positions.

    If ``words`` is given, the unstemmed kept words are added to it as well
    (one tokenising pass serves both the index and the vocabulary).
    """
    out: dict[str, list[int]] = {}
    pos = 0
    cache = _stem_cache
    # Lower-case word by word, as the query analyzer and term_spans do: some
    # characters change length when lowered (İ becomes i + a combining dot),
    # which would split words differently if the whole text were lowered.
    for w in TOKEN_RE.findall(text):
        w = fold(w)
        if len(w) < MIN_SIZE or w in STOPS:
            continue
        t = cache.get(w)
        if t is None:
            t = stem(w)
        lst = out.get(t)
        if lst is None:
            out[t] = [pos]
        else:
            lst.append(pos)
        if words is not None:
            words.add(w)
        pos += 1
    return out


def term_spans(text: str) -> list[tuple[str, int, int]]:
    """``(stemmed term, start, end)`` for every kept token, in order.

    The list index of an entry is the token's position, as indexed.
    """
    return [(stem(fold(m.group())), m.start(), m.end()) for m in kept_words(text)]


def tokens_pattern(words) -> re.Pattern:
    """A pattern that finds ``words`` where they are whole tokens of
    :data:`TOKEN_RE`: a token starts at a word character that follows neither
    a word character nor one and a dot, and ends before neither (its words
    run on over single dots). Search hits find the words they highlight with
    it: the regex engine looks at the tokens sought only, instead of a loop
    over every token (tests check its spans equal :func:`term_spans`')."""
    alts = "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))
    return re.compile(rf"(?<!\w)(?<!\w\.)(?:{alts})(?!\w)(?!\.\w)")


def spelling_words(text: str) -> set[str]:
    """Unstemmed lower-case words worth offering as spelling suggestions."""
    return spellable({fold(w) for w in TOKEN_RE.findall(text)})


def spellable(words: set[str]) -> set[str]:
    return {w for w in words if len(w) > 2 and w not in STOPS and w.isalpha()}
