"""The sidebar: the open article's entities, grouped by label, its quotes,
and its quoted phrases (short quoted terms, with who used them).

One Line-API list holds everything (group headings are rows the cursor
skips), so it draws only the rows on screen. Names and quotes come from
articles: they are drawn as plain segments (never parsed as markup), through
:mod:`index.safe` (names escaped visibly, quote text as article text).
"""

from __future__ import annotations

import bisect
from typing import NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from index import LABEL_NAMES, Annotations, Entity, Quote, body, search_field, terminal

from ..commands import bindings

QUOTE_PREVIEW = 60  # characters of a quote shown in the list

def search_query(entity: Entity) -> str:
    field = search_field(entity.label)
    name = entity.name.replace('"', "")
    return f'{field}:"{name}"'


class _Row(NamedTuple):
    item: int  # the index of its entity or quote in SidebarList.items, -1 for none
    kind: str  # "heading", "entity", "speaker", "quote", "phrase", "note"
    text: str  # cleaned: no control characters
    extra: str = ""  # an entity's count; "dim" on the speaker row of an unnamed speaker;
    #                  who used a phrase


class SidebarList(ScrollView, can_focus=True):
    """Entities and quotes as one Line-API list: only the rows on screen are
    drawn, so a long article's thousands of entities cost nothing to show.
    The cursor moves over items (an entity is one row, a quote two); group
    headings are rows the cursor skips."""

    DEFAULT_CSS = """
    SidebarList { scrollbar-gutter: stable; overflow-x: hidden; }
    SidebarList > .sidebar-list--cursor { background: $accent; color: $text; text-style: bold; }
    SidebarList:blur > .sidebar-list--cursor { background: $panel-lighten-2; }
    SidebarList > .sidebar-list--heading { text-style: bold underline; }
    SidebarList > .sidebar-list--dim { color: $text-muted; }
    SidebarList > .sidebar-list--speaker { text-style: bold; }
    SidebarList > .sidebar-list--quote { text-style: italic; }
    """
    BINDINGS = bindings("sidebar")
    COMPONENT_CLASSES = {"sidebar-list--cursor", "sidebar-list--heading", "sidebar-list--dim",
                         "sidebar-list--speaker", "sidebar-list--quote"}

    cursor: reactive[int | None] = reactive(None, always_update=True)

    class Highlighted(Message):
        def __init__(self, item: Entity | Quote | None) -> None:
            self.item = item
            super().__init__()

    class Selected(Message):
        def __init__(self, item: Entity | Quote) -> None:
            self.item = item
            super().__init__()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.items: list[Entity | Quote] = []
        self._rows: list[_Row] = []
        self._first_row: list[int] = []  # item -> its first row

    def set_items(self, entities: list[Entity], quotes: list[Quote],
                  phrases: list[Quote] = ()) -> None:
        items: list[Entity | Quote] = []
        rows: list[_Row] = []
        first: list[int] = []
        label = None
        for e in entities:
            if e.label != label:
                label = e.label
                rows.append(_Row(-1, "heading", LABEL_NAMES.get(label, label)))
            first.append(len(rows))
            rows.append(_Row(len(items), "entity", terminal(e.name), f"{e.count:>3} "))
            items.append(e)
        rows.append(_Row(-1, "heading", "Quotes"))
        if not quotes:
            rows.append(_Row(-1, "note", "  none found"))
        for q in quotes:
            words = body(q.text.replace("\n", " "))
            if len(words) > QUOTE_PREVIEW:
                words = words[:QUOTE_PREVIEW - 1].rstrip() + "…"
            first.append(len(rows))
            who = terminal(q.speaker) if q.speaker else ""
            rows.append(_Row(len(items), "speaker", who or "(not named)", "" if who else "dim"))
            rows.append(_Row(len(items), "quote", f"  “{words}”"))
            items.append(q)
        if phrases:
            rows.append(_Row(-1, "heading", "Quoted phrases"))
        for q in phrases:
            words = body(q.text.replace("\n", " "))
            first.append(len(rows))
            who = terminal(q.speaker) if q.speaker else ""
            rows.append(_Row(len(items), "phrase", f"“{words}”", f"  {who}" if who else ""))
            items.append(q)
        self.items, self._rows, self._first_row = items, rows, first
        self.virtual_size = Size(0, len(rows))  # rows are cut to the width: no sideways scroll
        self.scroll_to(0, 0, animate=False)
        # focused (the user tabbed in while it was loading): on the first item;
        # else none; either way the app hears that the old one is gone
        self.cursor = 0 if self.has_focus and items else None
        self.refresh()

    def clear(self) -> None:
        self.items, self._rows, self._first_row = [], [], []
        self.cursor = None
        self.virtual_size = Size(0, 0)
        self.refresh()

    @property
    def current(self) -> Entity | Quote | None:
        c = self.cursor
        return self.items[c] if c is not None and 0 <= c < len(self.items) else None

    def validate_cursor(self, value: int | None) -> int | None:
        if value is None or not self.items:
            return None
        return max(0, min(value, len(self.items) - 1))

    def watch_cursor(self, new: int | None) -> None:
        if new is not None:
            top = self._first_row[new]
            bottom = top + (1 if self._rows[top].kind == "speaker" else 0)
            if new == 0:
                top = 0  # the first item: show its heading too
            height = self.scrollable_content_region.height or 1
            if top < self.scroll_offset.y:
                self.scroll_to(y=top, animate=False)
            elif bottom >= self.scroll_offset.y + height:
                self.scroll_to(y=bottom - height + 1, animate=False)
        self.refresh()
        self.post_message(self.Highlighted(self.current))

    def on_focus(self) -> None:
        if self.cursor is None and self.items:
            self.cursor = 0

    # -------------------------------------------------------------- actions
    def _move(self, delta: int) -> None:
        self.cursor = (self.cursor if self.cursor is not None else -1 if delta > 0 else 0) + delta

    def action_cursor(self, delta: int) -> None:
        self._move(delta)

    def action_page(self, direction: int) -> None:
        if not self.items:
            return
        height = max(1, self.scrollable_content_region.height - 1)
        row = self._first_row[self.cursor] if self.cursor is not None else 0
        target = max(0, min(len(self._rows) - 1, row + direction * height))
        k = bisect.bisect_right(self._first_row, target) - 1
        self.cursor = max(k, 0) if k != self.cursor else k + direction

    def action_first(self) -> None:
        if self.items:
            self.cursor = 0

    def action_last(self) -> None:
        if self.items:
            self.cursor = len(self.items) - 1

    def action_choose(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self.current))

    def action_search_entity(self) -> None:
        self.post_message(Sidebar.SearchEntity(self))

    def on_click(self, event) -> None:
        row = self.scroll_offset.y + event.y
        if 0 <= row < len(self._rows) and self._rows[row].item >= 0:
            self.cursor = self._rows[row].item
            self.action_choose()

    # ------------------------------------------------------------ rendering
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        row_no = self.scroll_offset.y + y
        if row_no >= len(self._rows):
            return Strip.blank(width, base)
        row = self._rows[row_no]
        style = base
        if row.item >= 0 and row.item == self.cursor:
            style = base + self.get_component_rich_style("sidebar-list--cursor")
        part = {"heading": "sidebar-list--heading", "note": "sidebar-list--dim",
                "speaker": "sidebar-list--dim" if row.extra else "sidebar-list--speaker",
                "quote": "sidebar-list--quote", "phrase": "sidebar-list--quote"}.get(row.kind)
        text_style = style + self.get_component_rich_style(part) if part else style
        segs = []
        if row.kind == "entity":  # the count, dim unless under the cursor
            dim = base + self.get_component_rich_style("sidebar-list--dim")
            segs.append(Segment(row.extra, dim if style is base else style))
        text = row.text
        room = width - sum(len(s.text) for s in segs)
        if cell_len(text) > room > 0:  # too long for the sidebar: an ellipsis
            text = set_cell_size(text, room - 1) + "…"
        segs.append(Segment(text, text_style))
        if row.kind == "phrase" and row.extra:  # who used it, in the room left
            segs.append(Segment(row.extra, style + self.get_component_rich_style(
                "sidebar-list--speaker")))
        return Strip(segs).crop(0, width).adjust_cell_length(width, style)


class Sidebar(Vertical):
    """Entities and quotes of one article."""

    DEFAULT_CSS = """
    Sidebar { width: 34; border-left: vkey $panel-lighten-2; }
    Sidebar.hidden, Sidebar.auto-hidden { display: none; }
    Sidebar > #sidebar-head { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    Sidebar > SidebarList { height: 1fr; border: none; padding: 0; scrollbar-gutter: stable; }
    """

    class EntityHighlighted(Message):
        def __init__(self, entity: Entity | None) -> None:
            self.entity = entity
            super().__init__()

    class EntityChosen(Message):
        def __init__(self, entity: Entity) -> None:
            self.entity = entity
            super().__init__()

    class QuoteChosen(Message):
        def __init__(self, quote: Quote) -> None:
            self.quote = quote
            super().__init__()

    class SearchEntity(Message):
        def __init__(self, source: SidebarList) -> None:
            self.source = source
            super().__init__()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.annotations: Annotations | None = None

    def compose(self) -> ComposeResult:
        yield Static("Entities and quotes", id="sidebar-head")
        yield SidebarList(id="sidebar-list")

    @property
    def options(self) -> SidebarList:
        return self.query_one(SidebarList)

    def show_message(self, message: str) -> None:
        self.annotations = None
        self.query_one("#sidebar-head", Static).update(Text(message))
        self.options.clear()

    def show(self, ann: Annotations) -> None:
        self.annotations = ann
        ne, nq = len(ann.entities), len(ann.quotes)
        head = Text(f"{ne} entit{'y' if ne == 1 else 'ies'} · {nq} quote{'' if nq == 1 else 's'}\n",
                    style="bold")
        head.append(ann.extractor, style="dim")
        self.query_one("#sidebar-head", Static).update(head)
        self.options.set_items(list(ann.entities), list(ann.quotes), list(ann.phrases))

    @property
    def highlighted(self) -> Entity | Quote | None:
        return self.options.current

    def on_sidebar_list_highlighted(self, event: SidebarList.Highlighted) -> None:
        event.stop()
        it = event.item
        self.post_message(self.EntityHighlighted(it if isinstance(it, Entity) else None))

    def on_sidebar_list_selected(self, event: SidebarList.Selected) -> None:
        event.stop()
        if isinstance(event.item, Entity):
            self.post_message(self.EntityChosen(event.item))
        elif isinstance(event.item, Quote):
            self.post_message(self.QuoteChosen(event.item))
