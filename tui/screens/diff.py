"""The diff screen: two versions side by side (or inline), with the spin report.

The diff view is one Line-API widget for both columns, so they scroll
together by construction: each group of aligned sentences is wrapped to the
column width and the shorter side padded, so a row on the left is the row on
the right. Changes are marked with symbols as well as colour (``[-…-]``,
``{+…+}``, a marker per group: ``~`` changed, ``-`` dropped, ``+`` added,
``↕`` moved), the current change with a ``▌`` bar on each of its rows.
``]``/``[`` jump between changes, ``i`` toggles inline (the layout follows
the width until then: inline below 120 columns, as the CLI), ``s`` swaps
the direction. Colours come from the theme (component classes); without
colour (``NO_COLOR``) the text keeps its full contrast.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, get_current_worker

from index import (
    Article,
    DiffResult,
    body,
    diffreport,
    error_line,
    export_diff,
    export_file_name,
    terminal,
    write_new_file,
)

from .. import diffrender as dr
from .. import messages as m
from ..commands import bindings
from ..widgets import textselect as ts
from ..widgets.cursor_list import CursorList
from ..widgets.footer import Footer
from .base import WorkerScreen, thread_worker

EXPORT_FORMAT = "html"  # what e writes (the CLI's diff --format writes either)
GUTTER = 3  # the current change's bar, the group's marker, a space
RIGHT = 1 << 20  # selection offsets of the right column start here (the left's at 0)


class _Side(NamedTuple):
    """One column of one row: its segments, which of them are text (not a
    wdiff bracket; inline, not a deleted word), and that text."""

    segs: list[Segment]
    is_text: list[bool]
    plain: str


_EMPTY = _Side([], [], "")


class DiffView(ScrollView, can_focus=True):
    """Both columns (or the inline text) of a diff, in one Line-API view.

    Its styles are component classes (theme colours, and text styles that
    carry the meaning without colour: deleted struck, inserted underlined,
    moved italic, the current change a ``▌`` bar); :meth:`styles_for_text`
    hands them to :mod:`tui.diffrender`, the renderer the CLI shares. A mouse drag
    selects text in one column (Textual's selection API); ctrl+c copies it
    without the wdiff brackets (inline: the second text, deletions left out).
    """

    DEFAULT_CSS = """
    DiffView { scrollbar-gutter: stable; }
    /* the colours are tints behind text in the theme's foreground, so every
       theme (dark or light) keeps the text's contrast; the text style says
       what changed on its own (struck, underlined, italic, the symbols) */
    DiffView > .diff-view--delete { color: $foreground; background: $error 30%;
        text-style: strike; }
    DiffView > .diff-view--insert { color: $foreground; background: $success 30%;
        text-style: bold underline; }
    DiffView > .diff-view--moved { color: $foreground; background: $secondary 20%;
        text-style: italic; }
    DiffView > .diff-view--dim { color: $foreground 75%; }
    DiffView > .diff-view--head { text-style: bold; }
    DiffView > .diff-view--note { color: $foreground 75%; text-style: italic; }
    DiffView > .diff-view--minus { color: $foreground; background: $error 40%;
        text-style: bold; }
    DiffView > .diff-view--plus { color: $foreground; background: $success 40%;
        text-style: bold; }
    DiffView > .diff-view--path { color: $text-secondary; }
    DiffView > .diff-view--marker-changed { color: $foreground; background: $warning 40%;
        text-style: bold; }
    DiffView > .diff-view--marker-dropped { color: $foreground; background: $error 40%;
        text-style: bold; }
    DiffView > .diff-view--marker-added { color: $foreground; background: $success 40%;
        text-style: bold; }
    DiffView > .diff-view--marker-moved { color: $foreground; background: $secondary 40%;
        text-style: bold; }
    DiffView > .diff-view--current { background: $accent 20%; }
    DiffView > .diff-view--bar { color: $foreground; text-style: bold; }
    DiffView > .diff-view--rule { color: $foreground 60%; }
    /* no colour (NO_COLOR: greys): the text at full contrast on the plain
       background; struck, underlined, italic and the symbols carry it all */
    DiffView:nocolor > .diff-view--delete { color: $text; background: $background 0%; }
    DiffView:nocolor > .diff-view--insert { color: $text; background: $background 0%; }
    DiffView:nocolor > .diff-view--moved { color: $text; background: $background 0%; }
    DiffView:nocolor > .diff-view--minus { color: $text; background: $background 0%; }
    DiffView:nocolor > .diff-view--plus { color: $text; background: $background 0%; }
    DiffView:nocolor > .diff-view--path { color: $text; }
    DiffView:nocolor > .diff-view--marker-changed { background: $background 0%; }
    DiffView:nocolor > .diff-view--marker-dropped { background: $background 0%; }
    DiffView:nocolor > .diff-view--marker-added { background: $background 0%; }
    DiffView:nocolor > .diff-view--marker-moved { background: $background 0%; }
    DiffView:nocolor > .diff-view--current { background: $foreground 15%; }
    DiffView:nocolor > .diff-view--rule { color: $text; }
    """
    BINDINGS = bindings("diff-text")
    COMPONENT_CLASSES = {
        "diff-view--delete", "diff-view--insert", "diff-view--moved", "diff-view--dim",
        "diff-view--head", "diff-view--note", "diff-view--minus", "diff-view--plus",
        "diff-view--path", "diff-view--marker-changed", "diff-view--marker-dropped",
        "diff-view--marker-added", "diff-view--marker-moved", "diff-view--current",
        "diff-view--bar", "diff-view--rule",
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.result: DiffResult | None = None
        self.inline = False
        self.placeholder = "Computing the diff…"
        self._rows: list[tuple[int, _Side, _Side]] = []  # (group, left, right)
        self._group_first_row: list[int] = []
        self._width = 0
        self._col = 0
        self._st = dr.Styles()
        self.current_group = -1

    # -------------------------------------------------------------- styles
    def styles_for_text(self) -> dr.Styles:
        """The diff's styles from this widget's component classes (see
        :meth:`component`). Deleted words (and a space that goes with
        them) and the wdiff brackets carry a role in their style's meta, so
        a selection can leave the brackets (and, inline, the deleted words)
        out."""
        c = self.component

        return dr.Styles(
            delete=c("delete") + _ROLE_DEL, insert=c("insert"), moved=c("moved"),
            mark=_ROLE_MARK, gap=_ROLE_DEL, dim=c("dim"), head=c("head"), note=c("note"),
            minus=c("minus"), plus=c("plus"), changed_marker=c("marker-changed"),
            dropped_marker=c("marker-dropped"), added_marker=c("marker-added"),
            moved_marker=c("marker-moved"), same_marker=c("dim"))

    def component(self, name: str) -> Style:
        """The component class ``diff-view--{name}`` as a style to lay over
        a row: its colours resolved (alpha blended over the view's
        background), a background only where the class sets one."""
        full = self.get_component_rich_style(f"diff-view--{name}")
        partial = self.get_component_rich_style(f"diff-view--{name}", partial=True)
        colours = Style(color=full.color if partial.color else None,
                        bgcolor=full.bgcolor if partial.bgcolor else None)
        return colours + partial.without_color

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.is_mounted:  # a theme change: the rows hold the old styles
            self.call_after_refresh(self._restyle)

    def _restyle(self) -> None:
        # (after a refresh: the diff may be closed by then, and a removed
        # widget has no component styles left to read)
        if not self.is_attached:
            return
        if self.styles_for_text() != self._st:
            self._rebuild(force=True)
            self.post_message(self.Restyled())

    class Restyled(Message):
        """The view's styles changed (another theme): what else is drawn in
        them (the header, the report) is drawn again."""

    # ------------------------------------------------------------- content
    def set_result(self, result: DiffResult | None, placeholder: str | None = None) -> None:
        self.result = result
        if placeholder:
            self.placeholder = placeholder
        self.current_group = -1
        self.screen.clear_selection()
        self._rebuild(force=True)
        self.scroll_to(0, 0, animate=False)

    def set_inline(self, inline: bool) -> None:
        if inline == self.inline:
            return
        keep = self.current_group
        self.inline = inline
        self.screen.clear_selection()
        self._rebuild(force=True)
        if keep >= 0:
            self.goto_group(keep, announce=False)

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
        if self.text_selection is not None:  # its offsets were into the rows gone
            self.screen.clear_selection()
        r = self.result
        if r is None:
            self.virtual_size = Size(width, 1)
            self.refresh()
            return
        console = self.app.console
        self._st = st = self.styles_for_text()
        col = width - GUTTER if self.inline else (width - GUTTER - 3) // 2
        col = max(col, 8)
        for k, g in enumerate(r.groups):
            self._group_first_row.append(len(self._rows))
            if self.inline:
                left = [_side(line, console, inline=True)
                        for line in dr.inline(g, st).wrap(console, col)]
                right: list[_Side] = []
                n = len(left)
            else:
                lt, rt = dr.sides(g, st)
                left = [_side(line, console) for line in lt.wrap(console, col)] if g.a else []
                right = [_side(line, console) for line in rt.wrap(console, col)] if g.b else []
                n = max(len(left), len(right), 1)
            for i in range(n):
                self._rows.append((k, left[i] if i < len(left) else _EMPTY,
                                   right[i] if i < len(right) else _EMPTY))
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
        last = (self._group_first_row[k + 1] if k + 1 < len(self._group_first_row)
                else len(self._rows)) - 1
        height = self.scrollable_content_region.height or 1
        top = self.scroll_offset.y
        # the whole group in view (its top, when it is taller than the screen)
        if row < top or min(last, row + height - 1) >= top + height:
            self.scroll_to(y=max(0, row - height // 3 if last - row < height * 2 // 3 else row),
                           animate=False)
        self.refresh()
        if announce:
            ch = self.changes
            self.post_message(m.Position(ch.index(k) if k in ch else -1, len(ch)))

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
        current = k == self.current_group
        if current:
            style = base + self.component("current")
        sel = self.text_selection
        span = sel.get_span(n) if sel is not None else None
        on_right = sel is not None and sel.start is not None and sel.start.x >= RIGHT
        bar = (Segment("▌", style + self.component("bar"))
               if current else Segment(" ", style))
        m = dr.marker(g) if first else " "
        mark = Segment(m, style + dr.marker_style(m, self._st) if m != " " else style)
        segs = ts.pinned([bar, mark, Segment(" ", style)], 0, n)
        segs += self._column(left, style, n, 0, None if on_right else span)
        if not self.inline:
            used = sum(s.cell_length for s in left.segs)
            segs += ts.pinned([Segment(" " * max(0, self._col - used), style)],
                              len(left.plain), n)
            rule = style + self.component("rule")
            segs += ts.pinned([Segment(" │ ", rule)], RIGHT, n)
            segs += self._column(right, style, n, RIGHT, span if on_right else None)
        return Strip(segs).crop(0, width).adjust_cell_length(width, style)

    def _column(self, side: _Side, base: Style, y: int, x0: int,
                span: tuple[int, int] | None) -> list[Segment]:
        """One column's segments over ``base``: the text ones with their
        selection offsets (and the selected part painted), the brackets
        pinned to the text position they stand at."""
        sel_style = self.screen.get_component_rich_style("screen--selection") if span else None
        out: list[Segment] = []
        x = 0
        for seg, is_text in zip(side.segs, side.is_text, strict=True):
            s = Segment(seg.text, base + seg.style if seg.style else base)
            if not is_text:
                out += ts.pinned([s], x0 + x, y)
                continue
            piece = [s]
            if span is not None and sel_style is not None:
                # (an end before this column's offsets: the selection ends in the other
                # column, so this line is selected to its end)
                a = max(span[0] - x0, 0)
                b = len(side.plain) if span[1] < x0 else span[1] - x0
                pa, pb = max(a - x, 0), min(b - x, len(seg.text))
                if pa < pb:
                    piece = ts.paint(piece, pa, pb, sel_style)
            out += ts.with_offset(piece, x0 + x, y)
            x += len(seg.text)
        return out

    # ------------------------------------------------------------ selection
    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text of the column the selection started in: the
        article's words, without the wdiff brackets (inline: without the
        deleted words); a sentence group per line."""
        if not self._rows:
            return None
        start, end = selection.start, selection.end
        right = start is not None and start.x >= RIGHT
        x0 = RIGHT if right else 0
        pieces: list[tuple[int, str]] = []  # (group, text)
        y0 = 0 if start is None else start.y
        y1 = len(self._rows) - 1 if end is None else min(end.y, len(self._rows) - 1)
        for y in range(y0, y1 + 1):
            k, left, rside = self._rows[y]
            plain = (rside if right else left).plain
            a = start.x - x0 if start is not None and y == start.y else 0
            b = len(plain)
            if end is not None and y == end.y and (end.x >= x0 if right else end.x < RIGHT):
                b = end.x - x0
            if plain:
                pieces.append((k, plain[max(a, 0):max(b, 0)]))
        out = ""
        last = None
        for k, t in pieces:
            if last is not None:
                out += "\n" if k != last else ("" if out[-1:].isspace() or not out else " ")
            out += t
            last = k
        return out, "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()


_ROLE_DEL = Style.from_meta({"diff": "del"})
_ROLE_MARK = Style.from_meta({"diff": "mark"})


def _side(line: Text, console, inline: bool = False) -> _Side:
    """A wrapped line of one column: its segments (roles taken out of their
    styles) and which are text."""
    segs, is_text, plain = [], [], []
    for s in line.render(console):
        if s.text == "\n" or not s.text:
            continue
        role = s.style.meta.get("diff") if s.style is not None and s.style._meta else None
        text = role != "mark" and not (inline and role == "del")
        style = s.style.clear_meta_and_links() if s.style is not None else None
        segs.append(Segment(s.text, style))
        is_text.append(text)
        if text:
            plain.append(s.text)
    return _Side(segs, is_text, "".join(plain))


class SpinPanel(CursorList):
    """The spin report; Enter on an item jumps to where it occurs. Its
    words are drawn in the diff view's styles (one set of component
    classes for the diff)."""

    BINDINGS = bindings("diff-report")

    def action_choose(self) -> None:
        self.action_select()


class DiffScreen(WorkerScreen):
    """Diff of two articles: computed in a worker, shown side by side."""

    COMMAND_CONTEXT = "diff"  # its commands in the palette (tui.commands)

    # The spin report takes a third of the width (at most 48 columns); on a
    # narrow screen (-narrow) the text comes first: the report is hidden, and
    # r shows it below the text.
    DEFAULT_CSS = """
    DiffScreen #diff-head { height: auto; max-height: 2; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis; }
    DiffScreen #diff-main { height: 1fr; }
    DiffScreen DiffView { width: 1fr; }
    DiffScreen SpinPanel { width: 36%; max-width: 48; min-width: 24; border: none;
        border-left: vkey $foreground 30%; scrollbar-gutter: stable; }
    DiffScreen SpinPanel.hidden { display: none; }
    DiffScreen.-narrow #diff-main { layout: vertical; }
    DiffScreen.-narrow DiffView { width: 1fr; height: 1fr; }
    DiffScreen.-narrow SpinPanel { width: 1fr; max-width: 100%; height: 45%;
        border-left: none; border-top: hkey $foreground 30%; }
    DiffScreen #diff-status { height: auto; max-height: 3; padding: 0 1; background: $panel; }
    SpinPanel > .option-list--option-disabled { color: $foreground; }
    SpinPanel:nocolor > .option-list--option-highlighted { color: $text;
        background: $background; text-style: reverse bold; }
    """
    NARROW = 60  # columns below which the report gives the text the width
    BINDINGS = bindings("diff")

    def __init__(self, corpus, a: Article, b: Article) -> None:
        super().__init__()
        self.corpus, self.a, self.b = corpus, a, b
        self.result: DiffResult | None = None
        self._keep_change: int | None = None  # the change to go back to after a swap
        self._occurrence: dict[str, int] = {}
        self._layout_chosen = False  # i pressed: the layout no longer follows the width
        self._report_chosen = False  # r pressed: nor does the report's showing

    def compose(self) -> ComposeResult:
        yield Static("", id="diff-head")
        with Horizontal(id="diff-main"):
            yield DiffView(id="diff-view")
            yield SpinPanel(id="spin")
        yield Static("", id="diff-status")
        yield Footer()

    @property
    def view(self) -> DiffView:
        return self.query_one(DiffView)

    def on_mount(self) -> None:
        self.fit(self.app.size.width)
        self.show_head()
        self.view.focus()
        self.say("computing the diff…")
        self.compute(self.a, self.b)

    def on_resize(self) -> None:
        self.fit(self.size.width)

    def fit(self, width: int) -> None:
        """The layout for ``width`` columns (the CLI's rule: inline below
        :data:`~tui.diffrender.SIDE_BY_SIDE_MIN`), unless ``i`` chose it;
        a narrow screen hides the report, unless ``r`` chose it."""
        narrow = width < self.NARROW
        self.set_class(narrow, "-narrow")
        if not self._layout_chosen:
            self.view.set_inline(dr.default_layout(width) == "inline")
        if not self._report_chosen:
            self.query_one(SpinPanel).set_class(narrow, "hidden")

    def show_head(self) -> None:
        """The two articles, one line each: − the first ("from"), + the second."""
        st = self.view.styles_for_text()
        path = self.view.component("path")
        head = Text(no_wrap=True, overflow="ellipsis")
        for sign, style, art, end in (("− ", st.minus, self.a, "\n"),
                                      ("+ ", st.plus, self.b, "")):
            head.append(sign, style)
            head.append(terminal(art.path) + "  ", path)
            head.append(terminal(art.title) + end, st.head)
        self.query_one("#diff-head", Static).update(head)

    def say(self, text: str) -> None:
        self.query_one("#diff-status", Static).update(Text(error_line(text)))

    @thread_worker("diff")
    def compute(self, a: Article, b: Article) -> None:
        worker = get_current_worker()
        anns = []
        for art in (a, b):
            got = self.corpus.cached_annotations(art)
            if got is None:
                self.post_message(m.DiffProgress(
                    f"extracting entities and quotes of {art.path}…"))
                # in the engine's extraction process, never the reader's
                got = self.corpus.annotations(art, cancel=lambda: worker.is_cancelled,
                                              extract_here=False)
            anns.append(got)
        self.post_message(m.DiffProgress("aligning sentences…"))
        result = self.corpus.diff(a, b, annotations=(anns[0], anns[1]))
        if not worker.is_cancelled:
            self.post_message(m.DiffComputed(result))

    @thread_worker("export")
    def export(self, r: DiffResult, a: Article, b: Article) -> None:
        """Write the report as HTML in the current directory (a new file,
        never over one)."""
        text = export_diff(EXPORT_FORMAT, r, a, b)
        where = "the current directory"
        try:
            where = str(Path.cwd())
            path = write_new_file(where, export_file_name(a, b, EXPORT_FORMAT), text)
        except OSError as e:
            self.post_message(m.DiffExported(None, f"cannot write the report in {where}: "
                                                   f"{e.strerror or e}"))
            return
        self.post_message(m.DiffExported(str(path)))

    @on(m.DiffExported)
    def exported(self, msg: m.DiffExported) -> None:
        self.say(f"wrote {msg.path} (HTML: both texts side by side and the spin report)"
                 if msg.path else msg.error)

    def worker_failed(self, worker: Worker, line: str) -> None:
        if worker.group == "export":
            self.say(f"the export failed: {line}")
            return
        self.view.set_result(None, f"The diff failed: {line}")
        self.say(f"the diff failed: {line}")

    @on(m.DiffProgress)
    def progress(self, msg: m.DiffProgress) -> None:
        self.say(msg.text)

    @on(m.DiffComputed)
    def computed(self, msg: m.DiffComputed) -> None:
        r = msg.result
        if (r.a, r.b) != (self.a.id, self.b.id):
            return  # the other direction's, finished just as s swapped them
        self.result = r
        self.view.set_result(r)
        keep, self._keep_change = self._keep_change, None
        if keep is not None and self.view.changes:  # where it was before a swap
            self.view.goto_group(self.view.changes[min(keep, len(self.view.changes) - 1)],
                                 announce=False)
        self.fill_report(r)
        self.view.focus()
        st = r.stats
        self.say(f"similarity {r.similarity:.2f} · {len(self.view.changes)} changed groups · "
                 f"words changed {st.words_changed:.0%} · moved {st.moved} · dropped "
                 f"{st.dropped} · added {st.added} · ] next change, [ previous, i inline, "
                 "s swap")

    def fill_report(self, r: DiffResult) -> None:
        """The spin report (the engine's, compact: a narrow pane), each item
        an option whose id says what it reports."""
        panel = self.query_one(SpinPanel)
        sty = self.view.styles_for_text()
        opts: list[Option] = []
        for section in diffreport.spin_report(r, limit=None, compact=True, quote_width=80,
                                             number_width=70):
            if section.heading:
                opts.append(Option(Text(section.heading, style=sty.head + Style(underline=True)),
                                   disabled=True))
            one_row = section.key in ("substitutions", "entities")
            for line in section.lines:
                text = (dr.draw_line(line, sty, no_wrap=True, overflow="ellipsis") if one_row
                        else dr.draw_line(line, sty))
                opts.append(Option(text, id=line.ref, disabled=line.ref is None))
        panel.clear_options()
        panel.add_options(opts)

    # ------------------------------------------------------------- actions
    def action_next_change(self) -> None:
        self.view.next_change(1)

    def action_prev_change(self) -> None:
        self.view.next_change(-1)

    def action_toggle_inline(self) -> None:
        self._layout_chosen = True
        self.view.set_inline(not self.view.inline)
        self.say("inline: the second version, with the first's words struck out"
                 if self.view.inline else "side by side")

    def action_toggle_report(self) -> None:
        self._report_chosen = True
        self.query_one(SpinPanel).toggle_class("hidden")

    def action_swap(self) -> None:
        """The other direction: the second article becomes the "from" side
        (the n-th change stays the current one)."""
        changes, current = self.view.changes, self.view.current_group
        self._keep_change = changes.index(current) if current in changes else None
        self.a, self.b = self.b, self.a
        self.result = None
        self._occurrence = {}
        self.show_head()
        self.view.set_result(None, "Computing the diff…")
        self.query_one(SpinPanel).clear_options()
        self.say(f"swapped: from {terminal(self.a.path)} to {terminal(self.b.path)}; "
                 "computing the diff…")
        self.compute(self.a, self.b)

    def action_copy(self) -> None:
        """ctrl+c: the text selected with the mouse (one column's words)."""
        selected = self.get_selected_text()
        if not selected:
            self.say("nothing selected: drag over the text with the mouse, then ctrl+c")
            return
        self.say(self.copy_out(body(selected)))

    def action_export(self) -> None:
        """e: the diff and its spin report as an HTML page, written in the
        current directory (the one the reader was started in), in a worker."""
        if self.result is None:
            self.say("the diff is not ready yet: press e again when it is")
            return
        self.say("writing the report…")
        self.export(self.result, self.a, self.b)

    def action_help(self) -> None:
        from .help import HelpScreen

        self.app.push_screen(HelpScreen(self.app.config.keymap, "diff"))

    def action_close(self) -> None:
        self.workers.cancel_group(self, "diff")
        self.app.pop_screen()

    @on(DiffView.Restyled)
    def restyled(self) -> None:
        self.show_head()
        if self.result is not None:
            panel = self.query_one(SpinPanel)
            keep = panel.highlighted
            self.fill_report(self.result)
            panel.highlighted = keep

    @on(m.Position)
    def change_changed(self, event: m.Position) -> None:
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
