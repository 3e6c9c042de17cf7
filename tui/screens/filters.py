"""The filter menu (F in the list): one key a filter, each made from the
"filters" commands of :mod:`tui.commands`; those in force are ticked."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from ..commands import COMMANDS, bindings, key_label


class FiltersScreen(ModalScreen[str | None]):
    """Dismisses with the filter picked (a query clause such as
    ``has:versions``, or ``source``, ``month``, ``dates``, ``bookmarks``,
    ``clear``), or None."""

    DEFAULT_CSS = """
    FiltersScreen { align: center middle; }
    FiltersScreen > Vertical { width: 84; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1; }
    FiltersScreen Static { width: 1fr; height: auto; }
    """
    BINDINGS = bindings("filters")

    def __init__(self, active: set[str], keymap: dict[str, str] | None = None) -> None:
        """``active``: the filters in force (ticked)."""
        super().__init__()
        self.active, self.keymap = active, keymap or {}

    def compose(self) -> ComposeResult:
        text = Text("Filter the list (again: off)\n", style="bold")
        for c in COMMANDS:
            if c.context != "filters" or c.id == "filter.close":
                continue
            what = c.action[len("pick('"):-2]
            text.append("✓ " if what in self.active else "  ")
            text.append(f"{key_label(self.keymap.get(c.id, c.keys)):>3}  ", style="bold")
            text.append(f"{c.title:<13}")
            text.append(f" {c.help}\n", style="dim")
        text.append("Esc closes", style="dim")
        with Vertical():
            yield Static(text, id="filters")

    def action_pick(self, what: str) -> None:
        self.dismiss(what)
