"""The help screen: every command and its keys, from the command list (the
user's keymap applied), so it always says what the keys really do.

It reads at 80 columns: the keys, then what the command does, its id dimmed
after it (the id is what the config's ``[keymap]`` rebinds). ``/`` filters:
what is typed keeps the commands whose keys, words or id match.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..commands import COMMANDS, CONTEXTS, bindings, key_label


class HelpText(VerticalScroll):
    BINDINGS = bindings("help-text")


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 90%; max-width: 100; height: 90%;
        border: round $accent; background: $surface; padding: 0 1; }
    HelpScreen #help-filter { height: 1; border: none; padding: 0; margin: 0 0 1 0;
        background: $surface; }
    HelpScreen #help-filter:focus { background: $boost; }
    HelpScreen HelpText { height: 1fr; }
    """
    BINDINGS = bindings("help")

    def __init__(self, keymap: dict[str, str], focus_context: str | None = None) -> None:
        super().__init__()
        self.keymap = keymap
        self.focus_context = focus_context
        self.rows: list[tuple[str, str, str, str]] = []  # (context, keys, help, id) shown

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("variorum keys · / filters · Esc closes · rebind a command by "
                              "its id (dimmed) in the config file's [keymap]", style="bold"))
            yield Input(placeholder="/ filter: keys, words or ids", id="help-filter")
            yield HelpText(Static(id="help-table"))

    def on_mount(self) -> None:
        self.query_one(HelpText).focus()
        self.show("")

    def show(self, needle: str) -> None:
        """The commands whose keys, description or id contain ``needle``
        (case-insensitive): a table per context, where the focus was first."""
        needle = needle.strip().lower()
        order = list(CONTEXTS)
        if self.focus_context in order:  # where you are first
            order.remove(self.focus_context)
            order.insert(0, self.focus_context)
        self.rows = []
        tables = []
        for ctx in order:
            table = Table(title=CONTEXTS[ctx], title_justify="left", title_style="bold underline",
                          expand=True, show_header=False, box=None, padding=(0, 1))
            table.add_column(width=16, style="bold", no_wrap=True)
            table.add_column(ratio=1)
            for c in COMMANDS:
                if c.context != ctx:
                    continue
                keys = key_label(self.keymap.get(c.id, c.keys))
                if needle and needle not in f"{keys}\n{c.help}\n{c.id}\n{c.title}".lower():
                    continue
                what = Text(c.help)  # never markup: keys and words are data here
                what.append(f"  {c.id}", style="dim")
                table.add_row(Text(keys, overflow="fold"), what)
                self.rows.append((ctx, keys, c.help, c.id))
            if table.row_count:
                tables.append(table)
        shown = Group(*tables) if tables else Text(f"no command matches {needle!r}",
                                                     style="italic")
        self.query_one("#help-table", Static).update(shown)

    @on(Input.Changed, "#help-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.show(event.value)

    @on(Input.Submitted, "#help-filter")
    def filter_done(self, event: Input.Submitted) -> None:
        self.query_one(HelpText).focus()

    def action_filter(self) -> None:
        self.query_one("#help-filter", Input).focus()

    def action_close(self) -> None:
        """Esc in the filter: all commands again; elsewhere (or with no
        filter): close."""
        box = self.query_one("#help-filter", Input)
        if box.has_focus and box.value:
            box.value = ""
            self.query_one(HelpText).focus()
            return
        self.dismiss(None)
