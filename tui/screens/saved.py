"""Saved searches: naming the query (ctrl+s) and the list that recalls one (').

They are kept with the reader's state of the corpus (tui.config), written
when one is saved or deleted, not only when the reader quits.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from index import error_line

from ..commands import bindings
from ..widgets.cursor_list import CursorList

NAME_MAX = 60  # characters of a saved search's name


class SaveSearchScreen(ModalScreen[str | None]):
    """Asks a name for ``query``; dismisses with it (None: cancelled)."""

    DEFAULT_CSS = """
    SaveSearchScreen { align: center middle; }
    SaveSearchScreen > Vertical { width: 70%; max-width: 80; height: auto;
        border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = bindings("save")

    def __init__(self, query: str) -> None:
        super().__init__()
        self.query_text = query

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"Save the search {error_line(self.query_text, limit=60)} as "
                             "(Enter saves, Esc cancels):", style="bold"))
            yield Input(value=error_line(self.query_text, limit=NAME_MAX), id="name")

    @on(Input.Submitted, "#name")
    def named(self, event: Input.Submitted) -> None:
        name = error_line(event.value.strip(), limit=NAME_MAX)
        if name:
            self.dismiss(name)


class SavedList(CursorList):
    BINDINGS = bindings("saved-list")


class SavedSearchesScreen(ModalScreen[str | None]):
    """The saved searches (name → query); dismisses with the query to run.
    ``on_delete(name)`` forgets one."""

    DEFAULT_CSS = """
    SavedSearchesScreen { align: center middle; }
    SavedSearchesScreen > Vertical { width: 80%; max-width: 100; height: auto;
        max-height: 80%; border: round $accent; background: $surface; padding: 0 1; }
    SavedSearchesScreen Label { width: 1fr; margin: 0 0 1 0; }
    SavedSearchesScreen OptionList { height: auto; max-height: 20; }
    """
    BINDINGS = bindings("saved")

    def __init__(self, saved: dict[str, str], on_delete) -> None:
        super().__init__()
        self.saved = saved
        self.on_delete = on_delete

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Saved searches: Enter runs one, x forgets it, Esc closes.",
                             style="bold"))
            yield SavedList(*self._options(), id="saved")

    def _options(self) -> list[Option]:
        out = []
        for name, query in self.saved.items():
            line = Text(error_line(name), style="bold")
            line.append("  " + error_line(query), style="dim")
            out.append(Option(line, id=name))
        return out

    def on_mount(self) -> None:
        self.query_one(SavedList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.saved.get(event.option.id))

    def action_delete(self) -> None:
        options = self.query_one(SavedList)
        k = options.highlighted
        if k is None:
            return
        name = options.get_option_at_index(k).id
        self.on_delete(name)
        options.clear_options()
        options.add_options(self._options())
        if self.saved:
            options.highlighted = min(k, len(self.saved) - 1)
