"""A dialog listing the open article's versions; Enter opens one."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from index import Family, delay_label, terminal

from ..commands import bindings
from ..widgets.cursor_list import CursorList


class VersionList(CursorList):
    BINDINGS = bindings("versions-list")


class VersionsScreen(ModalScreen[str | None]):
    """Dismisses with the chosen article id, or None."""

    DEFAULT_CSS = """
    VersionsScreen { align: center middle; }
    VersionsScreen > Vertical { width: 90%; max-width: 110; height: auto; max-height: 80%;
        border: round $accent; background: $surface; padding: 0 1; }
    VersionsScreen Label { width: 1fr; margin: 0 0 1 0; }
    VersionsScreen OptionList { height: auto; max-height: 20; }
    VersionsScreen > .versions--path { color: $text-primary; text-style: bold; }
    """
    COMPONENT_CLASSES = {"versions--path"}
    BINDINGS = bindings("versions")

    def __init__(self, family: Family, current: str, diff: bool = False) -> None:
        """With ``diff``, Enter diffs the open article against the chosen
        version (dismissing with ``"diff:ID"``); d does so in either mode."""
        super().__init__()
        self.family, self.current, self.diff = family, current, diff

    def compose(self) -> ComposeResult:
        f = self.family
        order = ("a timeline, the first publication first" if f.dated else
                 "the dated first, by date, then the undated" if f.first else
                 "order unknown (no dates)")
        with Vertical():
            what = ("Enter shows what changed against it" if self.diff
                    else "Enter opens one, d shows what changed")
            others = len(f.members) - 1
            yield Label(Text(f"This article and its {others} other version"
                             f"{'' if others == 1 else 's'}, {order}. "
                             f"{what}; Esc closes.", style="bold"))
            yield VersionList(*[self._option(k, m) for k, m in enumerate(f.members)],
                              id="versions")

    def _option(self, k: int, m) -> Option:
        f = self.family
        line = Text()
        line.append("▶ " if m.id == self.current else "  ")
        if f.first:  # the timeline: the first publication, then each one's delay
            delay = f.delays[k]
            when = "first" if k == 0 else delay_label(delay) if delay is not None else "undated"
            line.append(f"{when:>8}  ", style="bold")
        line.append(terminal(m.path), style=self.get_component_rich_style("versions--path"))
        if m.date:
            line.append(f"  {terminal(m.date)}")
        pair = next((p for p in self.family.pairs if self.current in (p.a, p.b)
                     and m.id in (p.a, p.b) and m.id != self.current), None)
        if m.id == self.current:
            line.append("  (this article)", style="dim")
        elif pair:
            line.append(f"  {pair.kind}, similarity {pair.similarity:.2f}, "
                        f"{pair.aligned:.0%} of sentences aligned", style="dim")
        else:
            line.append("  (related through another version)", style="dim")
        line.append("\n  " + terminal(m.title))
        return Option(line, id=m.id)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        ids = [m.id for m in self.family.members]
        others = [k for k, i in enumerate(ids) if i != self.current]
        options.highlighted = others[0] if others else 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if self.diff:
            if event.option.id != self.current:  # not against itself
                self.dismiss(f"diff:{event.option.id}")
            return
        self.dismiss(event.option.id)

    def action_diff(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            oid = options.get_option_at_index(options.highlighted).id
            if oid != self.current:
                self.dismiss(f"diff:{oid}")
