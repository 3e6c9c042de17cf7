"""Who republishes whom (O in the reader): the outlets table, and a pair's versions.

The table is :meth:`index.Corpus.outlets` read in a worker (without its spin
phase: the reader's background update does that, after the entities), one
row a pair of sources, by volume as the engine sorts it. Enter on a row
lists that pair's later versions in the same list (newest first); Enter on
one of them opens the diff of the earlier version against it through the
reader's own path (``open_diff``), over this screen, so Esc comes back here.
Esc goes back a level: the versions → the table → the reader.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from index import (
    OUTLET_COLUMNS,
    OUTLET_SHORT_COLUMNS,
    Corpus,
    IndexMissingError,
    OutletPair,
    OutletsReport,
    delay_label,
    outlet_cells,
    terminal,
)

from .. import messages as m
from ..commands import bindings
from ..widgets.cursor_list import CursorList
from ..widgets.footer import Footer
from .base import WorkerScreen, sentence, thread_worker

# The columns' headings, and their short forms for a narrow screen (where
# the full ones leave the two sources less than SOURCE_MIN cells each).
HEADS, SHORT_HEADS = OUTLET_COLUMNS, OUTLET_SHORT_COLUMNS
KINDS = (3, 4, 5)  # the columns a very narrow screen leaves out (the total stays)
GAP = 2  # spaces between columns
SOURCE_MIN = 8  # the least width a source column is given before columns shorten or go


def _fit(text: str, width: int) -> Text:
    """``text`` in exactly ``width`` cells: cut with an ellipsis, or padded."""
    t = Text(text, no_wrap=True)
    t.truncate(width, overflow="ellipsis", pad=True)
    return t


def table_rows(pairs: Sequence[OutletPair], width: int) -> list[Text]:
    """The column headings, then one line a pair, aligned in ``width``
    cells: the numbers right-aligned. Where the full headings leave the
    sources too little room they shorten, then the three kinds' columns go;
    the sources are cut to what is left (and a line never wraps)."""
    cells = [[terminal(c) if k < 2 else c for k, c in enumerate(outlet_cells(p))]
             for p in pairs]
    every = range(len(HEADS))
    for heads, keep in ((HEADS, every), (SHORT_HEADS, every),
                        (SHORT_HEADS, [k for k in every if k not in KINDS])):
        table = [[row[k] for k in keep] for row in [list(heads), *cells]]
        nums = [max(cell_len(r[k]) for r in table) for k in range(2, len(keep))]
        room = width - sum(nums) - GAP * (len(keep) - 1)
        if room >= 2 * SOURCE_MIN:
            break
    natural = [max(cell_len(r[k]) for r in table) for k in (0, 1)]
    if sum(natural) <= room:
        src = natural
    else:  # each source its share of the room, the shorter one giving the other what it leaves
        least = max(min(SOURCE_MIN, room // 2), 3)  # (less than SOURCE_MIN on a tiny screen)
        first = min(natural[0], max(room // 2, least, room - natural[1]))
        src = [first, max(min(natural[1], room - first), least)]
    out = []
    for row in table:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append_text(_fit(row[0], src[0]))
        line.append(" " * GAP)
        line.append_text(_fit(row[1], src[1]))
        for cell, w in zip(row[2:], nums, strict=True):
            line.append(" " * (GAP + w - cell_len(cell)) + cell)
        line.truncate(width, overflow="ellipsis")
        out.append(line)
    return out


def head_line(report: OutletsReport) -> str:
    """What the table counts and what it leaves out, or why it is empty."""
    n, unchecked = report.steps, report.unchecked
    left = (report.undated_note + ", so which came first is not known"
            if report.undated_note else "")
    if not report.pairs:
        return "No later versions between dated articles: " + (
            left + "." if left else "no article has another version yet (the reader "
            "finds them as it indexes).") + " Esc goes back."
    parts = [f"Who republishes whom: {n} later version{'s' * (n != 1)} between dated articles, "
             "from the source that published first to the one that republished."]
    if left:
        parts.append(sentence(left) + ".")
    parts.append("Changed: of the rewrites checked, those that changed an entity or a quote.")
    if unchecked:
        parts.append(f"{unchecked} rewrite{'s' * (unchecked != 1)} not checked yet: the "
                     "reader checks them after it extracts the entities, and this table is "
                     "read again then.")
    parts.append("Enter lists a pair's versions.")
    return " ".join(parts)



class OutletsList(CursorList):
    BINDINGS = bindings("outlets-list")


class OutletsScreen(WorkerScreen):
    """The table; Enter on a row lists the pair's versions; Enter on one
    calls ``open_diff(earlier id, later id)``."""

    COMMAND_CONTEXT = "outlets"
    DEFAULT_CSS = """
    OutletsScreen #outlets-head { height: auto; max-height: 30%; padding: 0 1; }
    OutletsScreen #outlets-cols { height: 1; padding: 0 1; text-style: bold;
        background: $panel; }
    OutletsScreen #outlets-cols.hidden { display: none; }
    OutletsScreen OutletsList { height: 1fr; max-height: 100%; padding: 0 1; }
    OutletsScreen OutletsList, OutletsScreen OutletsList:focus { border: none; }
    OutletsScreen OutletsList.hidden { display: none; }
    OutletsScreen > .outlets--path { text-style: bold; }
    OutletsScreen > .outlets--dim { color: $text-muted; }
    OutletsScreen > .outlets--rewrite { color: $text-warning; text-style: italic; }
    OutletsScreen OutletsList:nocolor > .option-list--option-highlighted { color: $text;
        background: $background; text-style: reverse bold; }
    """
    COMPONENT_CLASSES = {"outlets--path", "outlets--dim", "outlets--rewrite"}
    BINDINGS = bindings("outlets")

    def __init__(self, corpus: Corpus, open_diff: Callable[[str, str], None]) -> None:
        super().__init__()
        self.corpus, self.open_diff = corpus, open_diff
        self.report: OutletsReport | None = None
        self.pair: OutletPair | None = None  # the pair whose versions are listed (None: the table)
        self._table_row = 0  # the table's row to come back to

    def compose(self) -> ComposeResult:
        yield Static("Reading the version families…", id="outlets-head", markup=False)
        yield Static("", id="outlets-cols", classes="hidden", markup=False)
        yield OutletsList(id="outlets", classes="hidden")
        yield Footer()

    @property
    def options(self) -> OutletsList:
        return self.query_one(OutletsList)

    def on_mount(self) -> None:
        self.options.focus()
        self.load()

    @thread_worker("outlets")
    def load(self) -> None:
        self.post_message(m.OutletsLoaded(self.corpus.outlets(spin=False)))

    def worker_failed(self, worker: Worker, line: str) -> None:
        """Said in the head; no index yet is no failure: the reader is making
        it, and reads the table again when its update ends."""
        if isinstance(worker.error, IndexMissingError):
            line = ("Not indexed yet: the reader is making the index; the table shows when "
                    "its update is done.")
        else:
            line = f"The table could not be made: {line}"
        self.query_one("#outlets-head", Static).update(Text(line))

    @on(m.OutletsLoaded)
    def loaded(self, msg: m.OutletsLoaded) -> None:
        """The table (again, after the reader's update: the pair whose
        versions are listed is found in it again, else the table is shown)."""
        self.report = msg.report
        if self.pair is not None:
            key = (self.pair.origin, self.pair.republisher)
            self.pair = next((p for p in msg.report.pairs
                              if (p.origin, p.republisher) == key), None)
        self.show()

    def on_resize(self) -> None:
        if self.report is not None:
            self.show()

    # ------------------------------------------------------------- showing
    def _width(self) -> int:
        """The cells a row has: the screen's less the list's padding and a scrollbar."""
        return max(self.size.width - 2 - self.options.styles.scrollbar_size_vertical, 20)

    def show(self, highlight: int | None = None) -> None:
        """The table, or the versions of ``pair``, for the width there is now;
        the row ``highlight`` highlighted (None: the one that was)."""
        report = self.report
        if report is None:
            return
        head = self.query_one("#outlets-head", Static)
        cols = self.query_one("#outlets-cols", Static)
        options = self.options
        keep = options.highlighted if highlight is None else highlight
        options.clear_options()
        if self.pair is None:
            head.update(Text(head_line(report)))
            rows = table_rows(report.pairs, self._width())
            cols.update(rows[0])
            options.add_options(Option(r, id=f"p{k}") for k, r in enumerate(rows[1:]))
        else:
            p = self.pair
            head.update(Text(f"{terminal(p.origin)} → {terminal(p.republisher)}: {p.total} later "
                             f"version{'s' * (p.total != 1)}, the newest first. Enter shows what "
                             "changed from the earlier version; Esc: back to the table."))
            cols.update(Text(f"{'delay':>7}  {'kind':<9}  the later version and its title; "
                             "← the earlier one"))
            options.add_options(self._step_option(k, s) for k, s in enumerate(p.steps))
        has_rows = options.option_count > 0
        cols.set_class(not has_rows, "hidden")
        options.set_class(not has_rows, "hidden")
        if has_rows:
            options.highlighted = min(keep or 0, options.option_count - 1)

    def _style(self, name: str):
        """A component class's style, alone (no background: the row's highlight shows through)."""
        return self.get_component_rich_style(f"outlets--{name}", partial=True)

    def _step_option(self, k: int, s) -> Option:
        width = self._width()
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{delay_label(s.delay_s):>7}  ")
        line.append(f"{s.kind:<9}", self._style("rewrite") if s.kind == "rewrite" else "")
        line.append("  ")
        line.append(terminal(s.later.path), self._style("path"))
        line.append("  " + terminal(s.later.title))
        line.truncate(width, overflow="ellipsis")
        back = Text(" " * 9 + "← " + terminal(s.earlier.path), no_wrap=True,
                    overflow="ellipsis", style=self._style("dim"))
        back.truncate(width, overflow="ellipsis")
        return Option(Text("\n").join([line, back]), id=f"s{k}")

    # ------------------------------------------------------------- actions
    @on(OptionList.OptionSelected, "#outlets")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        oid = event.option.id or ""
        if self.report is None:
            return
        if self.pair is None and oid.startswith("p"):
            self._table_row = int(oid[1:])
            self.pair = self.report.pairs[self._table_row]
            self.show(highlight=0)
        elif self.pair is not None and oid.startswith("s"):
            s = self.pair.steps[int(oid[1:])]
            self.open_diff(s.earlier.id, s.later.id)

    def action_back(self) -> None:
        if self.pair is None:
            self.dismiss()
            return
        self.pair = None
        self.show(highlight=self._table_row)
