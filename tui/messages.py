"""What the reader's workers report back to the UI thread: one dataclass each.

A worker runs in a thread and never touches a widget; it posts one of these to
its screen, whose handler (on the UI thread) shows it. A worker that fails
posts nothing: Textual's ``Worker.StateChanged`` carries the error to the one
handler in :mod:`tui.screens.base`. (The widgets' own messages, such as
``ArticleList.Highlighted``, stay with their widgets.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    # (the fields' types, read by no one at run time: a diff's, a family's and
    # the outlets table's classes are made when the engine first makes one, not
    # at the reader's start, issue 15)
    from index import (
        Annotations,
        Article,
        DiffResult,
        EntitiesReport,
        Family,
        ListEntry,
        OutletsReport,
        SearchResult,
        SpinReport,
        UpdateReport,
    )

# ------------------------------------------------------------ the update


@dataclass
class IndexProgress(Message):
    """How far a phase of the update is (``phase``: reading, a versions step, entities)."""

    done: int
    total: int
    phase: str = "reading"


@dataclass
class Indexed(Message):
    """The text index is up to date (the versions and entities phases follow);
    or, ``partial``, a first index has committed its first files (the list
    can show them) and reads the rest."""

    report: UpdateReport
    partial: bool = False


@dataclass
class VersionsFound(Message):
    """The versions phase ended: every article's number of other versions.
    ``generation``: the index's, after this process's own commits."""

    counts: dict[str, int]
    generation: int | None = None


@dataclass
class EntitiesDone(Message):
    report: EntitiesReport


@dataclass
class SpinDone(Message):
    """The update's last phase ended: the rewrites' spin counts are stored
    (the outlets table, if shown, is read again)."""

    report: SpinReport


@dataclass
class Busy(Message):
    """Another process holds the index's update lock."""


# ------------------------------------------------------------ the list


@dataclass
class ArticlesLoaded(Message):
    articles: Sequence[ListEntry]
    generation: int | None = None


@dataclass
class Placeholder(Message):
    """No list yet (no index, or it could not be read): what the text pane says."""

    text: str


@dataclass
class GenerationSeen(Message):
    """What the index's generation is now (None: no complete index yet)."""

    generation: int | None


@dataclass
class BadgesLoaded(Message):
    counts: dict[str, int]


@dataclass
class SearchWaits(Message):
    """A query asked for while the first index is made: it runs once it is."""

    query: str


@dataclass
class Searched(Message):
    query: str
    result: SearchResult


# ------------------------------------------------------------ the article


@dataclass
class Loaded(Message):
    """An article read for the text pane, with the hits of ``query`` in it."""

    article: Article
    spans: list[tuple[int, int]]
    query: str | None
    terms: list[int] = dataclasses.field(default_factory=list)  # each span's clause of the query


@dataclass
class ArticleRemoved(Message):
    """The article is no longer in the index (another process's update removed it)."""

    article_id: str


@dataclass
class AnnotationsLoaded(Message):
    article_id: str
    annotations: Annotations


# ------------------------------------------------------ versions, diff


@dataclass
class FamilyLoaded(Message):
    """The versions of an article (None: it has none); ``diff``: asked for by d."""

    article_id: str
    family: Family | None
    diff: bool = False


@dataclass
class OpenDiff(Message):
    a: Article
    b: Article


@dataclass
class OutletsLoaded(Message):
    """Who republishes whom: the table (:meth:`index.Corpus.outlets`)."""

    report: OutletsReport


@dataclass
class DiffProgress(Message):
    text: str


@dataclass
class DiffComputed(Message):
    result: DiffResult


@dataclass
class DiffExported(Message):
    """The diff's report was written to ``path``; or not, and ``error``
    says why (one line)."""

    path: str | None
    error: str = ""


# ------------------------------------------------ where in a text view


@dataclass
class Position(Message):
    """A text view's current place among its marks changed: the article's
    hits (``ArticleView``), the diff's changes (``DiffView``). ``index`` -1:
    none current; ``total``: how many there are."""

    index: int
    total: int

