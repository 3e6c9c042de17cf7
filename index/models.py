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

    def to_json(self) -> dict:
        return {
            "query": self.query,
            "total": self.total,
            "suggestion": self.suggestion,
            "hits": [h.to_json() for h in self.hits],
        }
