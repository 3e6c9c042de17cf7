"""Plain data passed between the engine and its callers (CLI, TUI, pipelines).

What compares articles (version families, the outlets table, diffs) is in
:mod:`index.comparisons`, imported with the modules that make it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from itertools import repeat
from typing import NamedTuple


@dataclass(frozen=True)
class ArticleMeta:
    """What the article list needs: everything but the body."""

    id: str
    path: str  # corpus-relative, POSIX separators
    title: str
    source: str | None = None
    date: str | None = None  # ISO 8601 as given by the file; never invented
    author: str | None = None
    url: str | None = None
    line: int | None = None  # 1-based line for articles from a .jsonl file
    language: str | None = None  # a BCP 47 tag as given ("en", "de-ch"), folded; never guessed


class ListEntry(NamedTuple):
    """An article as the list shows it (a tuple: 100k of them load in a blink).

    ``date`` is the day (``YYYY-MM-DD``, "" when the file gives none);
    ``source`` the article's source, else its folder ("" at the corpus's top):
    the list's outlet column. Made by :func:`list_entry`."""

    id: str
    path: str
    title: str
    date: str = ""
    source: str = ""


def list_entry(id: str, path: str, title: str, date: str | None,
               source: str | None) -> ListEntry:
    """The list's entry of an article: its day, and its source or else its
    folder (the one rule: the store's listing and search hits are made by it)."""
    return ListEntry(id, path, title, (date or "")[:10], source or path.rpartition("/")[0])


SORTS = ("date", "source", "title")  # the list's sort keys (None: the list's own order)


def sort_entries(entries: Sequence[ListEntry], key: str | None) -> Sequence[ListEntry]:
    """``entries`` in the order ``key`` names: "date" (newest first, undated
    last), "source" (then newest first), "title"; None: as they are (file
    order, or a search's relevance). A stable sort: ties keep their order."""
    if key is None:
        return entries
    if key not in SORTS:
        raise ValueError(f"unknown sort {key!r} (sorts: {', '.join(SORTS)})")
    items = list(entries)
    if key == "title":
        items.sort(key=lambda e: e.title.casefold())
    else:
        items.sort(key=lambda e: e.date, reverse=True)  # "" (undated) sorts last
        if key == "source":
            items.sort(key=lambda e: (e.source == "", e.source.casefold()))
    return items


US, RS = "\x1f", "\x1e"  # the field and record separators of a Listing's text


class Listing(Sequence):
    """The article list as one UTF-8 text (fields split by US, records by RS),
    made into ``ListEntry`` tuples only as they are read.

    100k articles load as the store's bytes split once, in C; the list pane
    reads (and decodes) the few rows it draws. The bytes are not decoded as a
    whole until every entry is asked for (a sort, a filter): at 100k articles
    the text is 13 MB, and its decoding and splitting as text were two fifths
    of the list's load at the reader's start (issue 15). ``index_of`` finds an
    id without making an entry.

    Given where each record starts (``starts``, the store keeps them with its
    blob), the bytes are not even split: a record is cut out of them when it
    is read (the split made 100k objects, 15 ms at the reader's start).
    """

    __slots__ = ("_cols", "_data", "_decoded", "_recs", "_starts")

    def __init__(self, text: str | bytes, starts: Sequence[int] | None = None,
                 columns: tuple[bool, bool] | None = None):
        """``text``: :meth:`encode`'s text, or its UTF-8 bytes (the store's blob).
        ``starts``: :meth:`starts_of` these bytes; ``columns``: their
        :meth:`columns_of` (both known to the store: neither is computed)."""
        self._data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        self._cols = columns
        self._starts = starts
        # the records as bytes, until every entry is read: then as text (one
        # list of them either way, not both); none while records are cut out
        # at ``starts``
        self._recs: list | None = (None if starts is not None else
                                   self._data.split(_RS) if self._data else [])
        self._decoded = False

    @staticmethod
    def encode(entries: Sequence[Sequence[str]]) -> str | None:
        """The text of a Listing of ``entries`` (each a ListEntry's fields),
        or None when a field holds a separator (a file name may hold any
        byte but / and NUL): the one encoding, for the list and the store's
        listing blob alike."""
        if any(US in f or RS in f for e in entries for f in e):
            return None
        return RS.join(map(US.join, entries))

    @classmethod
    def of(cls, entries: Sequence[ListEntry]) -> Listing | list[ListEntry]:
        """A Listing of ``entries``, or the entries themselves when a field
        holds a separator."""
        text = cls.encode(entries)
        return list(entries) if text is None else cls(text)

    @staticmethod
    def starts_of(data: bytes, offset: int = 0) -> list[int]:
        """Where each record of ``data`` (a Listing's bytes, or a run of its
        records, found at ``offset`` of them) starts. The ``starts`` a
        Listing is given are those of all its records and, last, where one
        after them would: one past the end (see :meth:`valid_starts`)."""
        out, at = [], offset
        for rec in data.split(_RS) if data else []:
            out.append(at)
            at += len(rec) + 1
        return out

    @staticmethod
    def valid_starts(data: bytes, starts: Sequence[int], n: int) -> bool:
        """Whether ``starts`` (kept apart from ``data``) can be those of
        ``data``'s ``n`` records: one more, from 0 to its end."""
        return (n > 0 and len(starts) == n + 1 and starts[0] == 0
                and starts[-1] == len(data) + 1)

    @staticmethod
    def columns_of(data: bytes) -> tuple[bool, bool]:
        """Whether any record of ``data`` has a date, and whether any has a
        source (a search of the bytes, in C)."""
        return _DATED.search(data) is not None, _SOURCED.search(data) is not None

    def __len__(self) -> int:
        return len(self._recs) if self._recs is not None else len(self._starts) - 1

    def _all(self) -> list[str]:
        """Every record as text: the bytes decoded in one step, the first
        time every entry is read."""
        if not self._decoded:
            self._recs = self._data.decode("utf-8").split(RS) if self._data else []
            self._decoded = True
        return self._recs

    def _entry(self, rec) -> ListEntry:
        return ListEntry._make((rec if self._decoded else rec.decode("utf-8")).split(US))

    def _cut(self, i: int) -> bytes:
        """Record ``i`` (a position in range) cut out of the bytes at its start.
        A cut that is not between two separators (starts kept for other bytes:
        the store's trigger keeps them with the blob they were made for) gives
        up the starts: the bytes are split, as without them."""
        s, data = self._starts, self._data
        start, end = s[i], s[i + 1] - 1
        # (between two separators, and none inside: a record's length of
        # search, what a wrong cut would cost a reader that made entries of it)
        if ((start and data[start - 1] != _RS[0]) or (end < len(data) and data[end] != _RS[0])
                or data.find(_RS, start, end) != -1):
            self._recs, self._starts = data.split(_RS), None
            return self._recs[i]
        return data[start:end]

    def __getitem__(self, i):
        if self._recs is not None:
            if isinstance(i, slice):
                return [self._entry(r) for r in self._recs[i]]
            return self._entry(self._recs[i])
        n = len(self)
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(n))]
        k = i + n if i < 0 else i
        if not 0 <= k < n:
            raise IndexError("Listing index out of range")
        return self._entry(self._cut(k))

    def __iter__(self) -> Iterator[ListEntry]:
        return map(ListEntry._make, map(str.split, self._all(), repeat(US)))

    def __eq__(self, other) -> bool:
        if isinstance(other, Listing):
            return self._data == other._data
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Listing of {len(self)} articles>"

    def has_columns(self) -> tuple[bool, bool]:
        """Whether any entry has a date, and whether any has a source (a
        search of the bytes, in C, once: no entries are made)."""
        if self._cols is None:
            self._cols = self.columns_of(self._data)
        return self._cols

    def index_of(self, article_id: str) -> int | None:
        """The position of article ``article_id``, or None (a search of the
        bytes, then a count of the records before it: no entries are made)."""
        data, key, start = self._data, (article_id + US).encode("utf-8"), 0
        while (pos := data.find(key, start)) >= 0:
            if pos == 0 or data[pos - 1] == _RS[0]:  # an id field, not the end of a path
                return data.count(_RS, 0, pos)
            start = pos + 1
        return None


# (the separators as bytes: a UTF-8 text's bytes below 0x80 are its ASCII
# characters alone, so a search of the bytes finds what one of the text would)
_US, _RS = US.encode("ascii"), RS.encode("ascii")
# a date field (then the source field's separator); a source field: the
# separator after a date field, empty or not, then a character of a source
_DATED = re.compile(_US + rb"\d{4}-\d\d-\d\d" + _US)
_SOURCED = re.compile(_US + rb"(?:\d{4}-\d\d-\d\d)?" + _US + b"[^" + _RS + b"]")


def index_of(entries: Sequence[ListEntry], article_id: str) -> int | None:
    """The position of ``article_id`` in a Listing or a list of entries."""
    if isinstance(entries, Listing):
        return entries.index_of(article_id)
    return next((i for i, e in enumerate(entries) if e.id == article_id), None)


@dataclass(frozen=True)
class Article(ArticleMeta):
    """One article with its body text (Unicode-normalised, paragraphs kept)."""

    text: str = ""

    @property
    def meta(self) -> ArticleMeta:
        return ArticleMeta(
            id=self.id,
            path=self.path,
            title=self.title,
            source=self.source,
            date=self.date,
            author=self.author,
            url=self.url,
            line=self.line,
            language=self.language,
        )


@dataclass(frozen=True)
class Skipped:
    """A file (or a line of a .jsonl file) that was not ingested, and why."""

    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"


@dataclass
class VersionsReport:
    """What one run of version detection did."""

    signed: int = 0  # new signatures computed
    removed: int = 0  # articles dropped from the version data
    candidates: int = 0  # candidate pairs verified (see index.versions.link)
    pairs: int = 0  # verified pairs added
    seconds: float = 0.0
    cancelled: bool = False


@dataclass
class SpinReport:
    """One run of the pipeline's ``"spin"`` phase (:mod:`index.outlets`)."""

    rewrites: int = 0  # dated rewrites in the families
    cached: int = 0  # whose spin counts were stored already
    done: int = 0  # diffed in this run
    seconds: float = 0.0
    cancelled: bool = False


@dataclass
class UpdateReport:
    """What one run of the indexer did."""

    corpus: str
    index_dir: str
    files_new: int = 0
    files_changed: int = 0
    files_deleted: int = 0
    files_unchanged: int = 0
    articles_added: int = 0
    articles_updated: int = 0
    articles_removed: int = 0
    articles_total: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    cancelled: bool = False
    versions: VersionsReport | None = None  # None when version detection did not run
    entities: EntitiesReport | None = None  # None when entity extraction did not run
    spin: SpinReport | None = None  # None when the spin phase did not run

    @property
    def changed_anything(self) -> bool:
        return bool(self.files_new or self.files_changed or self.files_deleted)

    def to_dict(self) -> dict:
        d = asdict(self)
        del d["entities"]  # the CLI says what extraction did in a shape of its own
        d["skipped"] = [
            {"path": s.path, "line": s.line, "reason": s.reason} for s in self.skipped
        ]
        return d


@dataclass(frozen=True)
class SearchHit:
    id: str
    path: str
    title: str
    score: float
    snippet: str
    spans: list[tuple[int, int]]  # character offsets into the article body
    source: str | None = None
    date: str | None = None
    snippet_spans: list[tuple[int, int]] = field(default_factory=list)  # hits in the snippet

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "spans": [list(s) for s in self.spans],
        }

    @property
    def entry(self) -> ListEntry:
        """The hit as the article list shows it."""
        return list_entry(self.id, self.path, self.title, self.date, self.source)


@dataclass(frozen=True)
class TermHits:
    """The hits of a query in one article, each with the clause it is a hit of
    (a reader colours each clause's hits apart)."""

    terms: list[str]  # the query's clauses that can be hits, as parsed (words stemmed)
    spans: list[tuple[int, int, int]]  # (start, end, index into terms), sorted, disjoint

    @property
    def plain(self) -> list[tuple[int, int]]:
        """The spans alone."""
        return [(s, e) for s, e, _k in self.spans]


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    hits: list[SearchHit]
    suggestion: str | None = None
    note: str | None = None  # e.g. entity search over a corpus not fully extracted yet

    def to_json(self) -> dict:
        return {
            "query": self.query,
            "total": self.total,
            "suggestion": self.suggestion,
            "note": self.note,
            "hits": [h.to_json() for h in self.hits],
        }


# ------------------------------------------------------- entities and quotes
@dataclass(frozen=True)
class Entity:
    """One named entity of an article: every mention of it, aliases included
    ("Liu" and "Liu Dongshu" are one PERSON, named by the fuller form)."""

    name: str  # canonical: the fullest form the article uses
    label: str  # spaCy's labels: PERSON, ORG, GPE, LOC, NORP, FAC, EVENT, DATE, ...
    mentions: tuple[tuple[int, int], ...]  # character spans into the article body
    aliases: tuple[str, ...] = ()  # the other forms the article uses

    @property
    def count(self) -> int:
        return len(self.mentions)

    def to_json(self) -> dict:
        return {"name": self.name, "label": self.label, "count": self.count,
                "mentions": [list(m) for m in self.mentions]}


@dataclass(frozen=True)
class Quote:
    """A direct quotation: its words (between the marks; the parts of a quote
    that runs over paragraphs joined by a line break), who said it (``None``
    when the article does not say) and its span in the body, marks included.

    ``kind`` is ``"quote"`` for speech (four words or more) or ``"phrase"`` for
    a short quoted term ("a “turning point”"), whose ``speaker`` is who the
    sentence says used it (``None`` for the writer's own scare quotes)."""

    text: str
    speaker: str | None
    start: int
    end: int
    kind: str = "quote"

    def to_json(self) -> dict:
        return {"text": self.text, "speaker": self.speaker, "start": self.start,
                "end": self.end, "kind": self.kind}


@dataclass(frozen=True)
class Annotations:
    """What the sidebar shows for one article, and which extractor made it."""

    article_id: str
    extractor: str  # e.g. "spaCy en_core_web_sm 3.8.0" or "rules (no spaCy model)"
    entities: tuple[Entity, ...]
    quotes: tuple[Quote, ...]  # speech (kind "quote")
    phrases: tuple[Quote, ...] = ()  # short quoted terms (kind "phrase")

    @classmethod
    def of(cls, article_id: str, extractor: str, entities, quoted) -> Annotations:
        """Annotations from everything quoted, split into quotes and phrases."""
        quoted = tuple(quoted)
        return cls(article_id, extractor, tuple(entities),
                   tuple(q for q in quoted if q.kind == "quote"),
                   tuple(q for q in quoted if q.kind == "phrase"))

    @property
    def quoted(self) -> list[Quote]:
        """Quotes and phrases together, in text order."""
        return sorted(self.quotes + self.phrases, key=lambda q: q.start)


@dataclass
class EntitiesReport:
    """One corpus-wide extraction run."""

    extractor: str
    done: int = 0  # articles extracted in this run
    cached: int = 0  # articles whose entities were already stored
    total: int = 0
    seconds: float = 0.0
    cancelled: bool = False
