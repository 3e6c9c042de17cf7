"""The article list: a Line-API list that renders only the rows on screen,
so 100k articles cost no more than 10.

Its top line names the columns (the sorted one marked ▼) and the filters
in force; each row is: unread (•), marked for a diff (①②) or bookmarked
(★), the day, the source (else the folder), the title at the width left
and the version badge (≈n) at the right edge. On a narrow list the source,
then the day, give way to the title.

The reader gives it the articles in their own order (file order, or a
search's relevance); the list shows them sorted (``S`` cycles the sort) and,
with ``only_bookmarks``, only the bookmarked ones. Sorting a long list runs
in a thread (100k entries take about half a second).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.cells import cell_len
from rich.segment import Segment
from textual import work
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import Worker, get_current_worker

from index import SORTS, ListEntry, Listing, index_of, sort_entries, terminal

from ..commands import bindings

SORT_INLINE = 5000  # entries sorted on the UI thread; a longer list is sorted in a thread
HEADER = 1  # the column line above the rows
# the query's clauses that filter (shown in the top line): fields that pick
# articles by what they are, not by their words
FILTER_CLAUSE = re.compile(r'-?\b(?:has|kind|source|date|path):(?:"[^"]*"|\[[^\]]*\]|\S+)')


def query_filters(query: str | None) -> list[str]:
    """The filter clauses of a query (``has:versions``, ``date:[… to …]``, …)."""
    return FILTER_CLAUSE.findall(query or "")


def without_filters(query: str) -> str:
    """The query with its filter clauses taken out."""
    return " ".join(FILTER_CLAUSE.sub(" ", query).split())


def filter_clause(what: str, entry: ListEntry | None) -> tuple[str | None, str | None]:
    """The query clause of a filter of the menu (``has:versions``, …, or
    ``source``, ``month``: the article ``entry``'s), or None and why not."""
    if what == "source":
        if entry is None or not entry.source:
            return None, "this article has no source or folder"
        folder = entry.path.rpartition("/")[0]
        if entry.source != folder:
            return 'source:"{}"'.format(entry.source.replace('"', " ")), None
        if len(folder.split()) > 1 or '"' in folder:
            return None, "a folder whose name has spaces cannot be a filter: type path:…"
        return f"path:{folder}/*", None
    if what == "month":
        if entry is None or not entry.date:
            return None, "this article has no date"
        return f"date:{entry.date[:7]}", None
    return what, None


def toggle_clause(query: str, clause: str) -> str:
    """``query`` with ``clause`` added, or taken out when it is there."""
    if clause in query_filters(query):
        return " ".join(query.replace(clause, " ").split())
    return f"{query} {clause}".strip()


def layout(width: int, dates: bool, sources: bool) -> tuple[int, int]:
    """(day, source) column widths for a list ``width`` cells wide, 0 for a
    column left out: the title keeps most of the width (the source at most a
    quarter of what the day leaves)."""
    day = (10 if width >= 60 else 8 if width >= 26 else 0) if dates else 0
    source = min(16, (width - 3 - (day + 1 if day else 0)) // 4) if sources else 0
    return day, (source if source >= 6 else 0)


def day_text(day: str, width: int) -> str:
    """``2024-06-30`` in ``width`` cells: as it is, or ``24-06-30``."""
    return day if width >= 10 or not day else day[2:]


def fit(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, cut with an ellipsis."""
    if cell_len(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = cell_len(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…" if width > 0 else ""


class ArticleList(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    ArticleList { scrollbar-gutter: stable; overflow-x: hidden; }
    ArticleList > .article-list--header { color: $text-muted; text-style: bold underline; }
    ArticleList > .article-list--cursor { background: $accent; color: $text; text-style: bold; }
    ArticleList:blur > .article-list--cursor { background: $panel-lighten-2; }
    ArticleList > .article-list--meta { color: $text-muted; }
    ArticleList > .article-list--read { color: $text-muted; }
    ArticleList > .article-list--unread { color: $text-accent; text-style: bold; }
    ArticleList > .article-list--badge { color: $text-success; text-style: bold; }
    ArticleList > .article-list--mark { color: $text-warning; text-style: bold; }
    """
    BINDINGS = bindings("list")
    COMPONENT_CLASSES = {"article-list--header", "article-list--cursor", "article-list--meta",
                         "article-list--read", "article-list--unread", "article-list--badge",
                         "article-list--mark"}

    cursor: reactive[int] = reactive(0, always_update=True)
    marked: reactive[list[str]] = reactive(list, init=False)
    """Article ids marked for a diff, in marking order (two at most); a new
    list each change, so whoever watches it (the status line) follows."""

    class Highlighted(Message):
        """The cursor moved to an article."""

        def __init__(self, article: ListEntry | None, index: int, count: int) -> None:
            self.article, self.index, self.count = article, index, count
            super().__init__()

    class Chosen(Message):
        """Enter was pressed on an article."""

        def __init__(self, article: ListEntry) -> None:
            self.article = article
            super().__init__()

    class Sorted(Message):
        """A thread has sorted the list (``token``: for which request)."""

        def __init__(self, token: int, items: Sequence[ListEntry], keep: str | None,
                     near: int) -> None:
            self.token, self.items, self.keep, self.near = token, items, keep, near
            super().__init__()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.given: Sequence[ListEntry] = []  # the articles in the reader's order
        self.items: Sequence[ListEntry] = []  # as shown: sorted, maybe only bookmarks
        self.ranked = False  # ``given`` is a search's, by relevance
        self.sort: str | None = None  # one of SORTS; None: the given order
        self.only_bookmarks = False
        self.query: str | None = None  # the query the list shows (its filters are named)
        self._rows: dict[int, tuple[str, str, str]] = {}  # row -> (day, source, title) cleaned
        self.badges: dict[str, int] = {}  # article id -> number of other versions
        self.read: set[str] = set()  # article ids read (kept per corpus)
        self.bookmarks: set[str] = set()  # article ids bookmarked (kept per corpus)
        self._columns = (False, False)  # any article with a day, with a source
        self._sort_token = 0

    # ------------------------------------------------------------- content
    def set_items(self, items: Sequence[ListEntry], keep: str | None = None,
                  near: int = 0, ranked: bool | None = None) -> None:
        """Show ``items`` (in the list's sort); keep the cursor on article
        ``keep`` if it is there, else put it at row ``near`` (an update
        removed the article: the one that took its place, or the last).
        ``ranked``: the items are a search's, by relevance."""
        self.given = items
        if ranked is not None:
            self.ranked = ranked
        if isinstance(items, Listing):
            self._columns = items.has_columns()
        else:
            self._columns = (any(e.date for e in items), any(e.source for e in items))
        self._arrange(keep, near)

    def _arrange(self, keep: str | None, near: int) -> None:
        """Sort and filter ``given`` into ``items``: here when it is short,
        else in a thread (the rows shown meanwhile stay as they were)."""
        self._sort_token += 1
        if self.sort is None and not self.only_bookmarks:
            self._show(self.given, keep, near)
        elif len(self.given) <= SORT_INLINE:
            self._show(self._sorted(self.given), keep, near)
        else:
            self._sort_worker(self._sort_token, self.given, keep, near)

    def _sorted(self, items: Sequence[ListEntry]) -> Sequence[ListEntry]:
        if self.only_bookmarks:
            marks = self.bookmarks
            items = [e for e in items if e.id in marks]
        return sort_entries(items, self.sort)

    @work(thread=True, exclusive=True, group="sort", exit_on_error=False)
    def _sort_worker(self, token: int, items: Sequence[ListEntry], keep: str | None,
                     near: int) -> None:
        result = self._sorted(items)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Sorted(token, result, keep, near))

    def on_article_list_sorted(self, msg: Sorted) -> None:
        msg.stop()
        if msg.token == self._sort_token:
            self._show(msg.items, msg.keep, msg.near)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # handed on to the screen's one handler, which says a failure
        event.stop()
        hand_on = getattr(self.screen, "on_worker_state_changed", None)
        if hand_on is not None:
            hand_on(event)

    def _show(self, items: Sequence[ListEntry], keep: str | None, near: int) -> None:
        self.items = items
        self._rows = {}  # rows are cleaned as they are drawn: 100k titles cost nothing here
        self.virtual_size = Size(0, len(items) + HEADER)  # cut to the width: no sideways scroll
        found = index_of(items, keep) if keep is not None else None
        self.cursor = found if found is not None else near
        self.refresh()

    def cycle_sort(self) -> str:
        """The next sort (the given order, then each of SORTS); its name."""
        order = [None, *SORTS]
        self.sort = order[(order.index(self.sort) + 1) % len(order)]
        current = self.current
        self._arrange(current.id if current else None, 0)
        return self.sort_name

    @property
    def sort_name(self) -> str:
        return self.sort or ("relevance" if self.ranked else "file order")

    def toggle_only_bookmarks(self) -> bool:
        self.only_bookmarks = not self.only_bookmarks
        current = self.current
        self._arrange(current.id if current else None, 0)
        return self.only_bookmarks

    def set_query(self, query: str | None) -> None:
        self.query = query
        self.refresh()

    def toggle_mark(self) -> list[str]:
        """Mark the current article for a diff, or unmark it (two at most: a
        third mark replaces the oldest)."""
        cur = self.current
        if cur is not None:
            if cur.id in self.marked:
                self.marked = [i for i in self.marked if i != cur.id]
            else:
                self.marked = [*self.marked, cur.id][-2:]
            self.refresh()
        return self.marked

    def clear_marks(self) -> None:
        self.marked = []
        self.refresh()

    def toggle_bookmark(self) -> bool | None:
        """Bookmark the current article, or drop its bookmark: whether it
        is bookmarked now (None: no article)."""
        cur = self.current
        if cur is None:
            return None
        on = cur.id not in self.bookmarks
        (self.bookmarks.add if on else self.bookmarks.discard)(cur.id)
        self.refresh()
        return on

    def mark_read(self, article_id: str) -> None:
        if article_id not in self.read:
            self.read.add(article_id)
            self.refresh()

    def set_badges(self, counts: dict[str, int]) -> None:
        self.badges = dict(counts)
        self.refresh()

    @property
    def current(self) -> ListEntry | None:
        return self.items[self.cursor] if 0 <= self.cursor < len(self.items) else None

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.items) - 1)) if self.items else 0

    @property
    def _rows_shown(self) -> int:
        return max(1, self.scrollable_content_region.height - HEADER)

    def watch_cursor(self, old: int, new: int) -> None:
        height = self._rows_shown
        if new < self.scroll_offset.y:
            self.scroll_to(y=new, animate=False)
        elif new >= self.scroll_offset.y + height:
            self.scroll_to(y=new - height + 1, animate=False)
        self.refresh()
        self.post_message(self.Highlighted(self.current, new, len(self.items)))

    # -------------------------------------------------------------- actions
    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self._rows_shown - 1)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self.items) - 1

    def action_choose(self) -> None:
        if self.current is not None:
            self.post_message(self.Chosen(self.current))

    def on_click(self, event) -> None:
        row = self.scroll_offset.y + event.y - HEADER
        if event.y >= HEADER and 0 <= row < len(self.items):
            self.cursor = row

    # ------------------------------------------------------------ rendering
    def header_text(self, width: int) -> str:
        """The top line: the columns, the sorted one marked ▼, the order
        when unsorted, and the filters in force."""
        day, source = layout(width, *self._columns)
        arrow = {s: " ▼" if self.sort == s else "" for s in SORTS}
        cols = "   "
        if day:
            cols += f"{'date' + arrow['date']:<{day}} "
        if source:
            cols += f"{'source' + arrow['source']:<{source}} "
        cols += "title" + arrow["title"]
        filters = query_filters(self.query) + ["★ only"] * self.only_bookmarks
        if filters:  # first: what is left out matters more than the order
            cols += " · " + " ".join(filters)
        if self.sort is None:
            cols += f" · by {self.sort_name}"
        elif (self.sort == "date" and not day) or (self.sort == "source" and not source):
            cols += f" · by {self.sort}"
        return cols

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y < HEADER:
            style = base + self.get_component_rich_style("article-list--header")
            return Strip([Segment(fit(terminal(self.header_text(width)), width), style)]
                         ).adjust_cell_length(width, style)
        row = self.scroll_offset.y + y - HEADER
        if row >= len(self.items):
            return Strip.blank(width, base)
        entry = self.items[row]
        aid = entry.id
        cursor = row == self.cursor
        style = base + self.get_component_rich_style("article-list--cursor") if cursor else base

        def part(cls: str) -> object:  # on the cursor's row, the cursor's style
            return style if cursor else base + self.get_component_rich_style(cls)

        unread = aid not in self.read
        segs = [Segment("•" if unread else " ", part("article-list--unread"))]
        if aid in self.marked:  # ①/②: marked for a diff, in order
            segs.append(Segment("①②"[self.marked.index(aid)], part("article-list--mark")))
        elif aid in self.bookmarks:
            segs.append(Segment("★", part("article-list--mark")))
        else:
            segs.append(Segment(" ", style))
        segs.append(Segment(" ", style))
        cells = self._rows.get(row)
        if cells is None:
            cells = self._rows[row] = (entry.date, terminal(entry.source),
                                       terminal(entry.title or entry.path))
        day, source = layout(width, *self._columns)
        meta = style if cursor else part("article-list--meta")
        if day:
            segs.append(Segment(f"{day_text(cells[0], day):<{day}} ", meta))
        if source:
            segs.append(Segment(f"{fit(cells[1], source):<{source}} ", meta))
        n = self.badges.get(aid)
        badge = f" ≈{n}" if n else ""  # "≈1": one other version of this article exists
        room = width - 3 - (day + 1 if day else 0) - (source + 1 if source else 0) - len(badge)
        title = fit(cells[2], max(room, 0))
        segs.append(Segment(title, style if cursor or unread else part("article-list--read")))
        if badge:
            segs.append(Segment(" " * max(room - cell_len(title), 0), style))
            segs.append(Segment(badge, part("article-list--badge")))
        return Strip(segs).crop(0, width).adjust_cell_length(width, style)
