"""Sentence splitting and per-sentence content tokens (for versions and diffs)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .tokens import TOKEN_RE, _term_cache, term

# A boundary: sentence-final punctuation, optional closing quotes/brackets (group 1,
# which end the sentence), white space, then something that can open a sentence.
_BOUNDARY = re.compile(r"(?<=[.!?…])([\"”’)\]]*)\s+(?=[\"“‘(\[]?[A-Z0-9À-Ý])")
_ABBREV = frozenset((
    "mr", "mrs", "ms", "dr", "st", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt",
    "capt", "jr", "sr", "inc", "ltd", "co", "corp", "no", "vs", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "u.n", "e.u",
    "a.m", "p.m", "etc",
))
_LAST_WORD = re.compile(r"([\w.]+)\.$")
_ABBREV_SCAN = max(map(len, _ABBREV)) + 3  # longer runs are never abbreviations
# A sentence is at most this many characters: a longer run with no sentence
# end (a list, a table flattened into one line, a text without punctuation) is
# cut at the last space before the limit. News sentences stay far below it
# (the longest of the development sets has under 1,000); a bound keeps every
# per-sentence pass (speaker cues, the word diff of an aligned pair, the
# parse frames) to a constant cost per sentence.
MAX_SENTENCE = 2000


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    tokens: tuple[str, ...]  # stemmed content words, in order


def paragraphs(text: str) -> Iterator[tuple[int, str]]:
    """``(offset, paragraph)`` of each line of ``text`` that is not blank."""
    pos = 0
    for para in text.split("\n"):
        if para.strip():
            yield pos, para
        pos += len(para) + 1


def boundaries(para: str, pos: int = 0, endpos: int | None = None, *,
               begun: int | None = None) -> Iterator[re.Match[str]]:
    """The sentence boundaries of the paragraph ``para`` (no line breaks)
    from ``pos`` to ``endpos``, in order: the one rule of where a sentence
    ends. ``m.end(1)`` ends a sentence (closing quotes kept), ``m.end()``
    starts the next. ``begun``: where the sentence ``pos`` is in began (by
    default ``pos``), as far back as an abbreviation is looked for."""
    start = pos if begun is None else begun
    for m in _BOUNDARY.finditer(para, pos, len(para) if endpos is None else endpos):
        # the run of word characters and dots ending the sentence so far
        # (it ends in the final mark: the lookbehind); only its last few
        # characters can make an abbreviation. Searched in place, never
        # sliced: after a run of skipped abbreviations ("A. A. A. …") the
        # sentence so far is long, and copying it at every boundary made
        # the split quadratic.
        w = _LAST_WORD.search(para, max(start, m.start() - _ABBREV_SCAN), m.start())
        if w and (w.group(1).lower() in _ABBREV or len(w.group(1)) == 1):
            continue  # "Mr. Kim", "U.S. officials", "John F. Kennedy"
        yield m
        start = m.end()


def split_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence; paragraphs always end a sentence."""
    spans: list[tuple[int, int]] = []
    for pstart, para in paragraphs(text):
        start = 0
        for m in boundaries(para):
            _add(spans, para, pstart, start, m.end(1))  # closing quotes kept
            start = m.end()
        _add(spans, para, pstart, start, len(para))
    return [s for s in spans if s[1] > s[0]]


def first_sentence(line: str) -> str:
    """The first sentence of one line (the whole line if it has one), not
    trimmed; only as much of the line is looked at as it takes."""
    m = next(boundaries(line), None)
    return line[: m.end(1)] if m else line


def sentence_around(text: str, s: int, e: int, reach: int) -> tuple[int, int]:
    """The sentence that holds ``text[s:e]``: from the boundary before it to
    the one after it in the same paragraph, each looked for up to ``reach``
    characters away (a bound, for text with no sentence ends)."""
    a = max(0, s - reach)
    nl = text.rfind("\n", a, s)
    a = nl + 1 if nl != -1 else a
    # up to s + 1: a boundary just before s is seen with the word it opens
    for m in boundaries(text, a, min(len(text), s + 1)):
        if m.end() <= s:
            a = m.end()
    b = min(len(text), e + reach)
    nl = text.find("\n", e, b)
    b = nl if nl != -1 else b
    m = next(boundaries(text, e, b, begun=a), None)
    return a, (m.end(1) if m else b)


def _add(spans: list[tuple[int, int]], para: str, base: int, s: int, e: int) -> None:
    """The sentence ``para[s:e]``, trimmed, in pieces of at most MAX_SENTENCE."""
    s, e = _trim(para, 0, s, e)
    while e - s > MAX_SENTENCE:
        # at the last space before the limit, else after the last other mark
        # that is not part of a word; a word longer than the limit is kept
        # whole (a number of thousands of digits is still one number)
        lim = s + MAX_SENTENCE
        cut = para.rfind(" ", s + 1, lim)
        if cut == -1:
            mark = _NOT_WORD_BEFORE.search(para, s + 1, lim)
            cut = mark.end() if mark else _WORD_RUN.match(para, lim).end()
        if cut >= e:
            break
        spans.append(_trim(para, base, s, cut))
        s = _trim(para, 0, cut, e)[0]
    spans.append((base + s, base + e))


_WORD_RUN = re.compile(r"\w*")
_NOT_WORD_BEFORE = re.compile(r"\W(?=\w*$)")  # the last character that is not a word's


def _trim(para: str, base: int, s: int, e: int) -> tuple[int, int]:
    while s < e and para[s].isspace():
        s += 1
    while e > s and para[e - 1].isspace():
        e -= 1
    return base + s, base + e


def content_tokens(text: str) -> tuple[str, ...]:
    """Stemmed, lower-cased words that are not stop words (as the index sees them)."""
    get = _term_cache.get
    out = []
    for w in TOKEN_RE.findall(text):
        t = get(w)
        if t is None:
            t = term(w)
        if t:
            out.append(t)
    return tuple(out)


def sentences(text: str) -> list[Sentence]:
    return [Sentence(s, e, content_tokens(text[s:e])) for s, e in split_spans(text)]
