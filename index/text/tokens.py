"""Text analysis shared by indexing, querying and hit spans.

One tokeniser feeds three consumers, so the terms Whoosh indexes, the terms a
query is parsed into and the character spans the reader highlights can never
disagree:

- :class:`NewsAnalyzer` is a Whoosh analyzer (used for query parsing and for any
  Whoosh code path that wants tokens);
- :class:`BodyField` is a ``TEXT`` field whose ``index()`` builds the posting
  values directly from :func:`term_positions`, skipping Whoosh's per-token
  object pipeline (the hot loop of indexing);
- :func:`term_spans` gives ``(term, start, end)`` for every kept token, which is
  how search results get exact character spans without storing them in the
  index.

Terms are lower-cased, stop words and one-letter tokens are dropped (positions
are renumbered without them, as Whoosh's ``StopFilter`` does) and words are
stemmed with Snowball English (PyStemmer, a C extension).
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Iterator

import Stemmer
from whoosh import fields, formats
from whoosh.analysis import Composable, Token
from whoosh.analysis.filters import STOP_WORDS
from whoosh.system import _INT_SIZE, pack_uint

TOKEN_RE = re.compile(r"\w+(?:\.?\w+)*")
MIN_SIZE = 2
STOPS = frozenset(STOP_WORDS)

_stemmer = Stemmer.Stemmer("english")
_stem_cache: dict[str, str] = {}
_STEM_CACHE_MAX = 200_000


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
_TERM_CACHE_MAX = 500_000


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


def spelling_words(text: str) -> set[str]:
    """Unstemmed lower-case words worth offering as spelling suggestions."""
    return spellable({fold(w) for w in TOKEN_RE.findall(text)})


def spellable(words: set[str]) -> set[str]:
    return {w for w in words if len(w) > 2 and w not in STOPS and w.isalpha()}


class NewsAnalyzer(Composable):
    """Whoosh analyzer equivalent to :func:`term_positions` (used for queries)."""

    def __init__(self, stemming: bool = True):
        self.stemming = stemming

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NewsAnalyzer) and other.stemming == self.stemming

    def __hash__(self) -> int:
        return hash(("NewsAnalyzer", self.stemming))

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        no_morph = kwargs.get("no_morph", False) or not self.stemming
        matches = TOKEN_RE.finditer(value) if tokenize else [_Whole(value)]
        pos = start_pos
        for m in matches:
            word = fold(m.group())
            stopped = len(word) < MIN_SIZE or word in STOPS
            if stopped and removestops:
                continue
            t.stopped = stopped
            t.text = word if no_morph else stem(word)
            t.boost = 1.0
            if keeporiginal:
                t.original = m.group()
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + m.start()
                t.endchar = start_char + m.end()
            if not stopped:
                pos += 1
            yield t


class _Whole:
    """A stand-in regex match for ``tokenize=False`` (the whole value is one token)."""

    def __init__(self, value: str):
        self._v = value

    def group(self) -> str:
        return self._v

    def start(self) -> int:
        return 0

    def end(self) -> int:
        return len(self._v)


class CompactPositions(formats.Positions):
    """``Positions`` stored as a frequency header plus raw uint32 positions.

    Whoosh's own encoding pickles a list of deltas for every posting, which is
    a large share of indexing time; this is a byte copy. Posting blocks are
    zlib-compressed by the codec either way.
    """

    def encode(self, poslist):
        return _encode_positions(poslist)

    def decode_positions(self, valuestring):
        a = array("I")
        a.frombytes(valuestring[_INT_SIZE:])
        return a.tolist()

    def decode_position_boosts(self, valuestring):
        return [(pos, 1) for pos in self.decode_positions(valuestring)]


def _encode_positions(poslist: list[int]) -> bytes:
    return pack_uint(len(poslist)) + array("I", poslist).tobytes()


class BodyField(fields.TEXT):
    """A positional, stemmed text field with a fast indexing path.

    Query-time behaviour is the ordinary ``TEXT`` one with :class:`NewsAnalyzer`;
    only ``index()`` is replaced, by code that yields exactly what
    ``formats.Positions.word_values`` would for the same analyzer.
    """

    def __init__(self, field_boost: float = 1.0):
        super().__init__(analyzer=NewsAnalyzer(), phrase=True, field_boost=field_boost)
        self.format = CompactPositions(field_boost=field_boost)

    def index(self, value, **kwargs):
        """Index a body: text, or the ``term_positions()`` of it already computed."""
        if isinstance(value, dict):
            return self.index_terms(value)
        return self.index_terms(term_positions(value))

    def index_terms(self, positions: dict[str, list[int]]):
        fb = self.format.field_boost
        return [
            (term.encode("utf-8"), len(p), len(p) * fb, _encode_positions(p))
            for term, p in positions.items()
        ]
