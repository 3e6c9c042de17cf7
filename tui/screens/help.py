"""The help screen: every command and its keys, from the command list (the
user's keymap applied), so it always says what the keys really do."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..commands import COMMANDS, CONTEXTS, key_label


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%;
        border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,question_mark,f1,q", "dismiss(None)", "Close")]

    def __init__(self, keymap: dict[str, str], focus_context: str | None = None) -> None:
        super().__init__()
        self.keymap = keymap
        self.focus_context = focus_context
        self.rows: list[tuple[str, str, str, str]] = []  # (context, keys, help, id) shown

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("variorum keys · Esc closes · rebind any of them by its id in "
                              "the config file's [keymap]", style="bold"))
            order = list(CONTEXTS)
            if self.focus_context in order:  # where you are first
                order.remove(self.focus_context)
                order.insert(0, self.focus_context)
            for ctx in order:
                cmds = [c for c in COMMANDS if c.context == ctx]
                table = Table(title=CONTEXTS[ctx], title_justify="left", expand=True,
                              show_header=False, box=None, padding=(0, 1))
                table.add_column(width=22, no_wrap=True, style="bold cyan")
                table.add_column(ratio=1)
                table.add_column(width=24, style="dim", no_wrap=True)
                for c in cmds:
                    keys = key_label(self.keymap.get(c.id, c.keys))
                    table.add_row(Text(keys), Text(c.help), Text(c.id))  # never markup
                    self.rows.append((ctx, keys, c.help, c.id))
                yield Static(table)
