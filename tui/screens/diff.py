"""The diff screen: two versions side by side (or inline), with the spin report.

The diff view is one Line-API widget for both columns, so they scroll
together by construction: each group of aligned sentences is wrapped to the
column width and the shorter side padded, so a row on the left is the row on
the right. Changes are marked with symbols as well as colour (``[-…-]``,
``{+…+}``, a marker per group: ``~`` changed, ``-`` dropped, ``+`` added,
``↕`` moved). ``]``/``[`` jump between changes, ``i`` toggles inline.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, get_current_worker

from index import Article, DiffResult, error_line, terminal

from .. import diffrender as dr
from .. import messages as m
from ..commands import bindings
from .base import WorkerScreen, thread_worker

GUTTER = 2  # marker column


class DiffView(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    DiffView { scrollbar-gutter: stable; }
    """
    BINDINGS = bindings("diff-text")
    COMPONENT_CLASSES = {"diff-view--current", "diff-view--rule"}

    class ChangeChanged(Message):
        def __init__(self, index: int, total: int) -> None:
            self.index, self.total = index, total
            super().__init__()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.result: DiffResult | None = None
        self.inline = False
        self.placeholder = "Computing the diff…"
        self._rows: list[tuple[int, list[Segment], list[Segment]]] = []  # (group, left, right)
        self._group_first_row: list[int] = []
        self._width = 0
        self._col = 0
        self.current_group = -1

    # ------------------------------------------------------------- content
    def set_result(self, result: DiffResult | None, placeholder: str | None = None) -> None:
        self.result = result
        if placeholder:
            self.placeholder = placeholder
        self.current_group = -1
        self._rebuild(force=True)
        self.scroll_to(0, 0, animate=False)

    def set_inline(self, inline: bool) -> None:
        keep = self.current_group
        self.inline = inline
        self._rebuild(force=True)
        if keep >= 0:
            self.goto_group(keep)

    @property
    def changes(self) -> list[int]:
        """Indices of the groups with a change (words, dropped, added, moved)."""
        if self.result is None:
            return []
        return [k for k, g in enumerate(self.result.groups) if g.is_change]

    def _rebuild(self, force: bool = False) -> None:
        width = max(self.scrollable_content_region.width, 20)
        if not force and width == self._width:
            return
        self._width = width
        self._rows, self._group_first_row = [], []
        r = self.result
        if r is None:
            self.virtual_size = Size(width, 1)
            self.refresh()
            return
        console = self.app.console
        col = width - GUTTER if self.inline else (width - GUTTER - 3) // 2
        col = max(col, 8)
        for k, g in enumerate(r.groups):
            self._group_first_row.append(len(self._rows))
            if self.inline:
                left = [_segs(line, console) for line in dr.inline(g).wrap(console, col)]
                right: list[list[Segment]] = []
                n = len(left)
            else:
                lt, rt = dr.sides(g)
                left = [_segs(line, console) for line in lt.wrap(console, col)] if g.a else []
                right = [_segs(line, console) for line in rt.wrap(console, col)] if g.b else []
                n = max(len(left), len(right), 1)
            for i in range(n):
                self._rows.append((k, left[i] if i < len(left) else [],
                                   right[i] if i < len(right) else []))
        self._col = col
        self.virtual_size = Size(width, len(self._rows))
        self.refresh()

    def on_resize(self) -> None:
        keep = self.current_group
        self._rebuild()
        if keep >= 0:
            self.goto_group(keep, announce=False)

    # ------------------------------------------------------------ movement
    def goto_group(self, k: int, announce: bool = True) -> None:
        if not self._group_first_row or not 0 <= k < len(self._group_first_row):
            return
        self.current_group = k
        row = self._group_first_row[k]
        height = self.scrollable_content_region.height or 1
        if not (self.scroll_offset.y <= row < self.scroll_offset.y + height - 1):
            self.scroll_to(y=max(0, row - height // 3), animate=False)
        self.refresh()
        if announce:
            ch = self.changes
            self.post_message(self.ChangeChanged(ch.index(k) if k in ch else -1, len(ch)))

    def next_change(self, direction: int = 1) -> None:
        ch = self.changes
        if not ch:
            return
        cur = self.current_group
        if direction > 0:
            nxt = next((k for k in ch if k > cur), ch[0])
        else:
            nxt = next((k for k in reversed(ch) if k < cur), ch[-1])
        self.goto_group(nxt)

    # ------------------------------------------------------------ rendering
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        n = self.scroll_offset.y + y
        if self.result is None:
            text = self.placeholder if y == 0 else ""
            return Strip([Segment(text, base)]).crop(0, width).adjust_cell_length(width, base)
        if n >= len(self._rows):
            return Strip.blank(width, base)
        k, left, right = self._rows[n]
        g = self.result.groups[k]
        first = self._group_first_row[k] == n
        style = base
        if k == self.current_group:
            style = base + self.get_component_rich_style("diff-view--current")
        m = dr.marker(g) if first else " "
        segs = [Segment(m + " ", base + Style.parse(dr.marker_style(m)) if m != " " else style)]
        segs += _restyle(left, style)
        if not self.inline:
            used = sum(s.cell_length for s in left)
            segs.append(Segment(" " * max(0, self._col - used), style))
            rule = base + self.get_component_rich_style("diff-view--rule")
            segs.append(Segment(" │ ", rule))
            segs += _restyle(right, style)
        return Strip(segs).crop(0, width).adjust_cell_length(width, style)


def _segs(line: Text, console) -> list[Segment]:
    return [s for s in line.render(console) if s.text != "\n"]


def _restyle(segs: list[Segment], base: Style) -> list[Segment]:
    return [Segment(s.text, base + s.style if s.style else base) for s in segs]


class SpinPanel(OptionList):
    """The spin report; Enter on an item jumps to where it occurs."""


class DiffScreen(WorkerScreen):
    """Diff of two articles: computed in a worker, shown side by side."""

    COMMAND_CONTEXT = "diff"  # its commands in the palette (tui.commands)

    DEFAULT_CSS = """
    DiffScreen #diff-head { height: auto; max-height: 3; padding: 0 1;
        background: $primary-background; }
    DiffScreen #diff-main { height: 1fr; }
    DiffScreen DiffView { width: 1fr; }
    DiffScreen SpinPanel { width: 44; border: none; border-left: vkey $panel-lighten-2;
        scrollbar-gutter: stable; }
    DiffScreen SpinPanel.hidden { display: none; }
    DiffScreen #diff-status { height: 1; padding: 0 1; background: $panel; }
    DiffView > .diff-view--current { background: $boost; }
    DiffView > .diff-view--rule { color: $panel-lighten-2; }
    """
    BINDINGS = bindings("diff")

    def __init__(self, corpus, a: Article, b: Article) -> None:
        super().__init__()
        self.corpus, self.a, self.b = corpus, a, b
        self.result: DiffResult | None = None
        self._occurrence: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        head = Text(no_wrap=True, overflow="ellipsis")  # one line per article
        for sign, style, art, end in (("− ", "bold red", self.a, "\n"),
                                      ("+ ", "bold green", self.b, "")):
            head.append(sign, style)
            head.append(terminal(art.path) + "  ", "cyan")
            head.append(terminal(art.title) + end, "bold")
        yield Static(head, id="diff-head")
        with Horizontal(id="diff-main"):
            yield DiffView(id="diff-view")
            yield SpinPanel(id="spin")
        yield Static("", id="diff-status")
        yield Footer()

    @property
    def view(self) -> DiffView:
        return self.query_one(DiffView)

    def on_mount(self) -> None:
        self.view.focus()
        self.say("computing the diff…")
        self.compute()

    def say(self, text: str) -> None:
        self.query_one("#diff-status", Static).update(Text(error_line(text)))

    @thread_worker("diff")
    def compute(self) -> None:
        worker = get_current_worker()
        anns = []
        for art in (self.a, self.b):
            got = self.corpus.cached_annotations(art)
            if got is None:
                self.post_message(m.DiffProgress(
                    f"extracting entities and quotes of {art.path}…"))
                # in the engine's extraction process, never the reader's
                got = self.corpus.annotations(art, cancel=lambda: worker.is_cancelled,
                                              extract_here=False)
            anns.append(got)
        self.post_message(m.DiffProgress("aligning sentences…"))
        result = self.corpus.diff(self.a, self.b, annotations=(anns[0], anns[1]))
        if not worker.is_cancelled:
            self.post_message(m.DiffComputed(result))

    def worker_failed(self, worker: Worker, line: str) -> None:
        self.view.set_result(None, f"The diff failed: {line}")
        self.say(f"the diff failed: {line}")

    @on(m.DiffProgress)
    def progress(self, msg: m.DiffProgress) -> None:
        self.say(msg.text)

    @on(m.DiffComputed)
    def computed(self, msg: m.DiffComputed) -> None:
        self.result = r = msg.result
        self.view.set_result(r)
        self.fill_report(r)
        self.view.focus()
        st = r.stats
        self.say(f"similarity {r.similarity:.2f} · {len(self.view.changes)} changed groups · "
                 f"words changed {st.words_changed:.0%} · moved {st.moved} · dropped "
                 f"{st.dropped} · added {st.added} · ] next change, [ previous, i inline")

    def fill_report(self, r: DiffResult) -> None:
        panel = self.query_one(SpinPanel)
        opts: list[Option] = []
        st = r.stats
        opts.append(Option(Text(
            f"similarity {r.similarity:.2f}\nwords changed {st.words_changed:.0%}\n"
            f"sentences aligned {st.sentences_aligned:.0%}\nmoved {st.moved} · dropped "
            f"{st.dropped} · added {st.added}\nsplit or merged {st.split_or_merged}"),
            disabled=True))

        def head(title: str) -> None:
            opts.append(Option(Text(title, style="bold underline"), disabled=True))

        if r.substitutions:
            head(f"Substitutions ({len(r.substitutions)})")
            for k, s in enumerate(r.substitutions):
                t = Text(f"{s.count:>3}× ", no_wrap=True, overflow="ellipsis")
                opts.append(Option(dr.arrow(t, s.frm, s.to), id=f"s{k}"))
        minor = dr.minor_line(r)
        if minor:
            opts.append(Option(Text(minor, style="dim"), disabled=True))
        if r.entity_changes:
            head("Entities")
            for k, e in enumerate(r.entity_changes):
                t = Text(f"{e.label} ", style="dim", no_wrap=True, overflow="ellipsis")
                opts.append(Option(dr.arrow(t, e.frm, e.to), id=f"e{k}"))
        if r.quote_changes:
            head("Quotes")
            for k, q in enumerate(r.quote_changes):
                opts.append(Option(dr.quote_line(q, width=80), id=f"q{k}"))
        if r.phrase_changes:
            head("Quoted phrases")
            for k, p in enumerate(r.phrase_changes):
                opts.append(Option(dr.phrase_line(p), id=f"p{k}"))
        if r.number_changes:
            head("Numbers and dates")
            for k, n in enumerate(r.number_changes):
                opts.append(Option(dr.number_line(n, width=70), id=f"n{k}"))
        panel.clear_options()
        panel.add_options(opts)

    # ------------------------------------------------------------- actions
    def action_next_change(self) -> None:
        self.view.next_change(1)

    def action_prev_change(self) -> None:
        self.view.next_change(-1)

    def action_toggle_inline(self) -> None:
        self.view.set_inline(not self.view.inline)
        self.say("inline: the second version, with the first's words struck out"
                 if self.view.inline else "side by side")

    def action_toggle_report(self) -> None:
        self.query_one(SpinPanel).toggle_class("hidden")

    def action_help(self) -> None:
        from .help import HelpScreen

        self.app.push_screen(HelpScreen(self.app.config.keymap, "diff"))

    def action_close(self) -> None:
        self.workers.cancel_group(self, "diff")
        self.app.pop_screen()

    @on(DiffView.ChangeChanged)
    def change_changed(self, event: DiffView.ChangeChanged) -> None:
        if event.index >= 0:
            self.say(f"change {event.index + 1} of {event.total}")

    @on(OptionList.OptionSelected, "#spin")
    def report_chosen(self, event: OptionList.OptionSelected) -> None:
        r = self.result
        oid = event.option.id
        if r is None or not oid:
            return
        kind, k = oid[0], int(oid[1:])
        groups: tuple[int, ...] = ()
        label = ""
        if kind == "s":
            s = r.substitutions[k]
            groups, label = s.groups, f"“{s.frm}” → “{s.to}”"
        elif kind == "e":
            e = r.entity_changes[k]
            groups, label = e.groups, f"{e.frm} → {e.to}"
        elif kind == "q" and r.quote_changes[k].group is not None:
            groups, label = (r.quote_changes[k].group,), "quote"
        elif kind == "p" and r.phrase_changes[k].group is not None:
            groups, label = (r.phrase_changes[k].group,), "quoted phrase"
        elif kind == "n":
            groups, label = (r.number_changes[k].group,), "number"
        if not groups:
            return
        n = self._occurrence.get(oid, -1) + 1
        self._occurrence[oid] = n
        self.view.goto_group(groups[n % len(groups)], announce=False)
        self.say(f"{terminal(label)}: occurrence {n % len(groups) + 1} of {len(groups)}"
                 " (enter again for the next)")
