"""Plain data passed between the engine and its callers (CLI, TUI, pipelines)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


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
    candidates: int = 0  # pairs the LSH proposed
    pairs: int = 0  # verified pairs added
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

    @property
    def changed_anything(self) -> bool:
        return bool(self.files_new or self.files_changed or self.files_deleted)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["skipped"] = [
            {"path": s.path, "line": s.line, "reason": s.reason} for s in self.skipped
        ]
        return d


@dataclass(frozen=True)
class VersionPair:
    a: str
    b: str
    kind: str  # "copy" | "near-copy" | "rewrite"
    similarity: float  # word-level, in [0, 1]
    aligned: float  # share of the two texts' sentences that align

    def to_json(self) -> dict:
        return {"a": self.a, "b": self.b, "kind": self.kind,
                "similarity": round(self.similarity, 4), "aligned": round(self.aligned, 4)}


@dataclass(frozen=True)
class Family:
    """Connected versions of one article."""

    members: tuple[ArticleMeta, ...]  # oldest first when every member is dated
    pairs: tuple[VersionPair, ...]
    dated: bool  # the members' order is by date (else by path: order unknown)

    def to_json(self) -> dict:
        return {
            "members": [{"id": m.id, "path": m.path, "title": m.title, "date": m.date}
                        for m in self.members],
            "order": "date" if self.dated else "unknown",
            "pairs": [p.to_json() for p in self.pairs],
        }


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
    when the article does not say) and its span in the body, marks included."""

    text: str
    speaker: str | None
    start: int
    end: int

    def to_json(self) -> dict:
        return {"text": self.text, "speaker": self.speaker, "start": self.start,
                "end": self.end}


@dataclass(frozen=True)
class Annotations:
    """What the sidebar shows for one article, and which extractor made it."""

    article_id: str
    extractor: str  # e.g. "spaCy en_core_web_sm 3.8.0" or "rules (no spaCy model)"
    entities: tuple[Entity, ...]
    quotes: tuple[Quote, ...]


@dataclass
class EntitiesReport:
    """One corpus-wide extraction run."""

    extractor: str
    done: int = 0  # articles extracted in this run
    cached: int = 0  # articles whose entities were already stored
    total: int = 0
    seconds: float = 0.0
    cancelled: bool = False
