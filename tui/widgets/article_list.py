"""The article list: a Line-API list that renders only the rows on screen,
so 100k articles cost no more than 10."""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from index import ListEntry, index_of, terminal

from ..commands import bindings


class ArticleList(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    ArticleList { scrollbar-gutter: stable; overflow-x: hidden; }
    ArticleList > .article-list--cursor { background: $accent; color: $text; text-style: bold; }
    ArticleList:blur > .article-list--cursor { background: $panel-lighten-2; }
    ArticleList > .article-list--meta { color: $text-muted; }
    ArticleList > .article-list--badge { color: $success; text-style: bold; }
    ArticleList > .article-list--mark { color: $warning; text-style: bold; }
    """
    BINDINGS = bindings("list")
    COMPONENT_CLASSES = {"article-list--cursor", "article-list--meta", "article-list--badge",
                         "article-list--mark"}

    cursor: reactive[int] = reactive(0, always_update=True)

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

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.items: Sequence[ListEntry] = []
        self._rows: dict[int, str] = {}  # row -> its text, made when first drawn
        self.badges: dict[str, int] = {}  # article id -> number of other versions
        self.marked: list[str] = []  # article ids marked for a diff, in marking order

    def set_items(self, items: Sequence[ListEntry], keep: str | None = None,
                  near: int = 0) -> None:
        """Show ``items``; keep the cursor on article ``keep`` if it is there,
        else put it at row ``near`` (an update removed the article: the one
        that took its place, or the last)."""
        self.items = items
        self._rows = {}  # rows are cleaned as they are drawn: 100k titles cost nothing here
        self.virtual_size = Size(0, len(items))  # rows are cut to the width: no sideways scroll
        found = index_of(items, keep) if keep is not None else None
        self.cursor = found if found is not None else near
        self.refresh()

    def toggle_mark(self) -> list[str]:
        """Mark the current article for a diff, or unmark it (two at most: a
        third mark replaces the oldest)."""
        cur = self.current
        if cur is not None:
            if cur.id in self.marked:
                self.marked.remove(cur.id)
            else:
                self.marked = [*self.marked, cur.id][-2:]
            self.refresh()
        return self.marked

    def clear_marks(self) -> None:
        self.marked = []
        self.refresh()

    def set_badges(self, counts: dict[str, int]) -> None:
        self.badges = dict(counts)
        self.refresh()

    @property
    def current(self) -> ListEntry | None:
        return self.items[self.cursor] if 0 <= self.cursor < len(self.items) else None

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.items) - 1)) if self.items else 0

    def watch_cursor(self, old: int, new: int) -> None:
        height = self.scrollable_content_region.height or 1
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
        self.cursor += direction * max(1, self.scrollable_content_region.height - 1)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self.items) - 1

    def action_choose(self) -> None:
        if self.current is not None:
            self.post_message(self.Chosen(self.current))

    def on_click(self, event) -> None:
        row = self.scroll_offset.y + event.y
        if 0 <= row < len(self.items):
            self.cursor = row

    # ------------------------------------------------------------ rendering
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        row = self.scroll_offset.y + y
        if row >= len(self.items):
            return Strip.blank(width, base)
        style = base
        if row == self.cursor:
            style = base + self.get_component_rich_style("article-list--cursor")
        number = f"{row + 1:>{len(str(len(self.items)))}} "
        meta = base + self.get_component_rich_style("article-list--meta")
        segs = [Segment(number, meta if row != self.cursor else style)]
        aid = self.items[row].id
        if aid in self.marked:  # ①/②: marked for a diff, in order
            mark = base + self.get_component_rich_style("article-list--mark")
            segs.append(Segment("①② "[self.marked.index(aid)] + " ",
                                mark if row != self.cursor else style + mark))
        n = self.badges.get(self.items[row].id)
        if n:  # "≈1": one other version of this article exists
            badge = base + self.get_component_rich_style("article-list--badge")
            segs.append(Segment(f"≈{n}", badge if row != self.cursor else style + badge))
            segs.append(Segment(" ", style))
        text = self._rows.get(row)
        if text is None:
            a = self.items[row]
            text = self._rows[row] = terminal(a.title or a.path)
        segs.append(Segment(text, style))
        return Strip(segs).crop(0, width).adjust_cell_length(width, style)
