"""The sidebar: the open article's entities, grouped by label, and its quotes.

One OptionList (a Line-API widget) holds everything: group headings are
disabled options. Names and quotes come from articles, so they go in as
``rich.text.Text`` (never parsed as markup), control characters stripped.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from index.models import Annotations, Entity, Quote
from index.textclean import strip_controls

from ..commands import bindings

QUOTE_PREVIEW = 60  # characters of a quote shown in the list

# Which query field searches an entity of each label.
SEARCH_FIELD = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place",
                "FAC": "place"}


def search_query(entity: Entity) -> str:
    field = SEARCH_FIELD.get(entity.label, "entity")
    name = entity.name.replace('"', "")
    return f'{field}:"{name}"'


class SidebarList(OptionList):
    BINDINGS = bindings("sidebar")

    def action_search_entity(self) -> None:
        self.post_message(Sidebar.SearchEntity(self))


class Sidebar(Vertical):
    """Entities and quotes of one article."""

    DEFAULT_CSS = """
    Sidebar { width: 34; border-left: vkey $panel-lighten-2; }
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
        self._entities: list[Entity] = []
        self._quotes: list[Quote] = []

    def compose(self) -> ComposeResult:
        yield Static("Entities and quotes", id="sidebar-head")
        yield SidebarList(id="sidebar-list")

    @property
    def options(self) -> SidebarList:
        return self.query_one(SidebarList)

    def show_message(self, message: str) -> None:
        self.annotations = None
        self._entities, self._quotes = [], []
        self.query_one("#sidebar-head", Static).update(Text(message))
        self.options.clear_options()

    def show(self, ann: Annotations) -> None:
        from index.entities import LABEL_NAMES

        self.annotations = ann
        self._entities = list(ann.entities)
        self._quotes = list(ann.quotes)
        head = Text(f"{len(ann.entities)} entities · {len(ann.quotes)} quotes\n", style="bold")
        head.append(ann.extractor, style="dim")
        self.query_one("#sidebar-head", Static).update(head)
        opts: list[Option] = []
        label = None
        for k, e in enumerate(self._entities):
            if e.label != label:
                label = e.label
                opts.append(Option(Text(LABEL_NAMES.get(label, label), style="bold underline"),
                                   disabled=True))
            line = Text(f"{e.count:>3} ", style="dim", no_wrap=True, overflow="ellipsis")
            line.append(strip_controls(e.name))
            opts.append(Option(line, id=f"e{k}"))
        opts.append(Option(Text("Quotes", style="bold underline"), disabled=True))
        if not self._quotes:
            opts.append(Option(Text("  none found", style="dim italic"), disabled=True))
        for k, q in enumerate(self._quotes):
            who = strip_controls(q.speaker) if q.speaker else "(not named)"
            words = strip_controls(q.text.replace("\n", " "))
            if len(words) > QUOTE_PREVIEW:
                words = words[:QUOTE_PREVIEW - 1].rstrip() + "…"
            line = Text(who, style="bold" if q.speaker else "dim italic", no_wrap=True,
                        overflow="ellipsis")
            line.append(f"\n  “{words}”", style="italic")
            opts.append(Option(line, id=f"q{k}"))
        lst = self.options
        lst.clear_options()
        lst.add_options(opts)
        lst.scroll_home(animate=False)

    def item(self, option_id: str | None) -> Entity | Quote | None:
        if not option_id:
            return None
        k = int(option_id[1:])
        return self._entities[k] if option_id[0] == "e" else self._quotes[k]

    @property
    def highlighted(self) -> Entity | Quote | None:
        lst = self.options
        if lst.highlighted is None:
            return None
        return self.item(lst.get_option_at_index(lst.highlighted).id)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        it = self.item(event.option.id)
        self.post_message(self.EntityHighlighted(it if isinstance(it, Entity) else None))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        it = self.item(event.option.id)
        if isinstance(it, Entity):
            self.post_message(self.EntityChosen(it))
        elif isinstance(it, Quote):
            self.post_message(self.QuoteChosen(it))
