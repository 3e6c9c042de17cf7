"""Sentence splitting and per-sentence content tokens (for versions and diffs)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .analysis import TOKEN_RE, _term_cache, term

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


def split_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence; paragraphs always end a sentence."""
    spans: list[tuple[int, int]] = []
    for pstart, para in paragraphs(text):
        start = 0
        for m in _BOUNDARY.finditer(para):
            head = para[start:m.start()].rstrip("\"”’)] ")
            # the run of word characters and dots ending the head; only its
            # last few characters can make an abbreviation (searching the
            # whole head would scan the sentence from its start)
            w = _LAST_WORD.search(head, max(0, len(head) - _ABBREV_SCAN))
            if w and (w.group(1).lower() in _ABBREV or len(w.group(1)) == 1):
                continue  # "Mr. Kim", "U.S. officials", "John F. Kennedy"
            spans.append(_trim(para, pstart, start, m.end(1)))  # closing quotes kept
            start = m.end()
        spans.append(_trim(para, pstart, start, len(para)))
    return [s for s in spans if s[1] > s[0]]


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
