"""The index's schema: the Whoosh analyzer and the body field, on the one
tokenizer (:mod:`index.text.tokens`).

- :class:`NewsAnalyzer` is a Whoosh analyzer equivalent to
  :func:`index.text.tokens.term_positions` (used for query parsing and for
  any Whoosh code path that wants tokens);
- :class:`BodyField` is a ``TEXT`` field whose ``index()`` builds the posting
  values directly from :func:`index.text.tokens.term_positions`, skipping
  Whoosh's per-token object pipeline (the hot loop of indexing).
"""

from __future__ import annotations

from array import array

from whoosh import fields, formats
from whoosh.analysis import Composable, Token
from whoosh.system import pack_uint

from ..text.tokens import MIN_SIZE, STOPS, TOKEN_RE, fold, stem, term_positions


def schema() -> fields.Schema:
    plain = NewsAnalyzer(stemming=False)
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        path=fields.ID(stored=True),
        title=fields.TEXT(analyzer=NewsAnalyzer(), stored=True, field_boost=2.0),
        source=fields.TEXT(analyzer=plain, stored=True),
        author=fields.TEXT(analyzer=plain, stored=True),
        date=fields.DATETIME(stored=True),
        hash=fields.STORED(),
        body=BodyField(),
    )


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
        a.frombytes(valuestring[_HEADER:])
        return a.tolist()

    def decode_position_boosts(self, valuestring):
        return [(pos, 1) for pos in self.decode_positions(valuestring)]


_HEADER = len(pack_uint(0))  # bytes of the frequency header pack_uint writes


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
