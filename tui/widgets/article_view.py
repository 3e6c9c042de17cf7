"""The article pane: a Line-API view of one article with its hits highlighted.

The body is word-wrapped into ``(start, end)`` offsets of the text, so a line
is rendered from a slice of the text on demand and a hit's character span maps
straight to a line. Text is emitted as plain segments: nothing in an article
is ever parsed as markup. The text comes through :func:`index.safe.body`
(the app's loading worker applies it), the title and metadata through
:func:`index.safe.terminal`.

Wrapping a long article is the one thing here that grows with it (a 16 MiB
text is 200k lines): the UI thread wraps at most ``WRAP_INLINE`` characters
(the first screens), a worker wraps the whole text, and each width's
wrapping is kept, so a resize back to a width seen costs nothing.
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections import OrderedDict
from itertools import pairwise

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.geometry import Offset, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.worker import Worker, get_current_worker

from index import Article, merge_spans, terminal

from ..commands import bindings
from ..messages import Position
from . import textselect as ts

_WORD = re.compile(r"\S+\s*")
# A character not known to be one cell wide: a paragraph without any is
# wrapped by a regex (in C); one with some, word by word with cell widths.
_NOT_NARROW = re.compile(
    "[^\x20-\x7e\xa0-\xac\xae-\u02ff\u0370-\u0482\u2010-\u2027\u2030-\u205e]")
_LINE_RES: dict[int, re.Pattern] = {}

WRAP_INLINE = 64 * 1024  # characters wrapped on the UI thread; a longer text's rest in a worker
TITLE_MAX = 2000  # characters of a title or metadata line shown
WRAP_CACHE = 4  # widths whose wrapping of the article shown is kept (a resize back is free)


def _line_re(width: int) -> re.Pattern:
    """One line of a one-cell-per-character paragraph, from a word start: the
    longest run of at most ``width`` characters that ends at a word end, or
    (a word longer than the line) ``width`` characters of it; then the
    spaces after it."""
    rx = _LINE_RES.get(width)
    if rx is None:
        rx = _LINE_RES[width] = re.compile(
            rf"\S(?:[^\n]{{0,{width - 2}}}\S)?(?=\s|$)[^\S\n]*|\S{{{width}}}[^\S\n]*")
    return rx


def wrap_into(text: str, width: int, starts, ends, stop: int | None = None,
              cancelled=None, start: int = 0, spaced: bool = False) -> bool:
    """Greedy word wrap of ``text[start:stop]`` to ``width`` cells, appending
    each line's ``(start, end)`` offsets to ``starts`` and ``ends``. A word
    longer than the line is split. With ``spaced``, a paragraph that a single
    newline ends is followed by an empty line (at that newline's offset: the
    offsets still cover the text in order). Returns False if ``cancelled()``
    said so (checked between paragraphs)."""
    width = max(width, 8)
    stop = len(text) if stop is None else stop
    rx = _line_re(width)
    add_start, add_end = starts.append, ends.append
    pos, n = start, 0
    while True:
        nl = text.find("\n", pos, stop)
        pend = stop if nl < 0 else nl
        if pos == pend:
            add_start(pos)
            add_end(pos)
        elif _NOT_NARROW.search(text, pos, pend) is None:
            first = True
            for m in rx.finditer(text, pos, pend):
                add_start(pos if first else m.start())  # leading spaces stay on line 1
                add_end(m.end())
                first = False
            if first:  # only spaces
                add_start(pos)
                add_end(pend)
        else:
            _wrap_cells(text, pos, pend, width, add_start, add_end)
        if nl < 0:
            return True
        if spaced and pos != pend and nl + 1 < stop and text[nl + 1] != "\n":
            add_start(nl)  # a blank line between two paragraphs
            add_end(nl)
        pos = nl + 1
        n += 1
        if cancelled is not None and not n % 64 and cancelled():
            return False


def _wrap_cells(text: str, pos: int, pend: int, width: int, add_start, add_end) -> None:
    """One paragraph, word by word, measured in cells (wide and zero-width
    characters)."""
    line_start, line_w = pos, 0
    for m in _WORD.finditer(text, pos, pend):
        word = m.group()
        core = word.rstrip()
        ws = m.start()
        w = len(core) if core.isascii() else cell_len(core)
        if line_w and line_w + w > width:
            add_start(line_start)
            add_end(ws)
            line_start, line_w = ws, 0
        while w > width:  # a word longer than the line: hard split
            cut = ws + width
            add_start(line_start)
            add_end(cut)
            line_start, ws, w = cut, cut, w - width
        line_w += w + len(word) - len(core)
    add_start(line_start)
    add_end(pend)


def wrap_offsets(text: str, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap of ``text`` to ``width`` cells, as ``(start, end)`` offsets."""
    starts: list[int] = []
    ends: list[int] = []
    wrap_into(text, width, starts, ends)
    return list(zip(starts, ends, strict=True))


def wrap_prefix(text: str, width: int, limit: int, start: int = 0,
                spaced: bool = False) -> tuple[array, array, int]:
    """The lines of the first ``limit`` characters that are certainly lines of
    the whole text (the last one may continue past the cut: dropped), and the
    offset they reach."""
    starts, ends = array("q"), array("q")
    wrap_into(text, width, starts, ends, stop=min(limit, len(text)), start=start,
              spaced=spaced)
    if limit < len(text) and len(starts) > 1:
        starts.pop()
        ends.pop()
    return starts, ends, (ends[-1] if ends else 0)


class ArticleView(ScrollView, can_focus=True):
    """Shows an article; ``n``/``N`` (bound by the app) move between hits."""

    DEFAULT_CSS = """
    ArticleView { padding: 0 1; scrollbar-gutter: stable; }
    ArticleView > .article-view--title { text-style: bold; color: $text; }
    ArticleView > .article-view--meta { color: $text-muted; }
    ArticleView > .article-view--badge { color: $text-success; text-style: bold; }
    ArticleView > .article-view--hit { background: $warning 50%; text-style: underline; }
    ArticleView > .article-view--hit-2 { background: $accent 45%; text-style: underline; }
    ArticleView > .article-view--hit-3 { background: $primary 45%; text-style: underline; }
    ArticleView > .article-view--hit-4 { background: $error 40%; text-style: underline; }
    ArticleView > .article-view--current-hit { background: $warning; color: $background;
        text-style: bold underline; }
    ArticleView > .article-view--entity { color: $text-primary; text-style: bold; }
    ArticleView > .article-view--quote { text-style: italic; }
    ArticleView > .article-view--selected { background: $success 45%; text-style: bold; }
    """
    BINDINGS = bindings("article")
    COMPONENT_CLASSES = {
        "article-view--title",
        "article-view--meta",
        "article-view--badge",
        "article-view--hit",
        "article-view--hit-2",
        "article-view--hit-3",
        "article-view--hit-4",
        "article-view--current-hit",
        "article-view--entity",
        "article-view--quote",
        "article-view--selected",
    }

    current_hit: reactive[int] = reactive(-1, layout=False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.article: Article | None = None
        self.text = ""
        self.spans: list[tuple[int, int]] = []
        self.span_terms: list[int] = []  # each hit's clause of the query: its colour
        self._span_starts: list[int] = []
        # the wrapped body: line k is text[_starts[k]:_ends[k]]; until a worker
        # has wrapped a long text (not _complete), only the lines up to offset
        # _reached are known and the height is an estimate
        self._starts: array = array("q")
        self._ends: array = array("q")
        self._complete = True
        self._reached = 0
        self._wraps: OrderedDict[int, tuple[array, array]] = OrderedDict()  # width -> lines
        self._wrap_token = 0  # which wrapping a worker's result is for
        self._pending: int | None = None  # an offset to bring into view once wrapped
        self._anchor: int | None = None  # an offset to put at the top once wrapped (a resize)
        self._header: list[str] = []
        self._wrap_width = 0
        self._title_lines = 1
        self.versions = 0  # the article's other versions (the header's badge)
        self._body_start = 0  # where the body shown starts (after a first line that is the title)
        self._title = ""  # the title shown (the first paragraph, when it is the title)
        self.placeholder = "No article selected."
        # tint layers, each sorted and non-overlapping: entity mentions, quotes
        # (shown when ``show_tints``), and the selected entity's mentions or quote
        self.entity_spans: list[tuple[int, int]] = []
        self.quote_spans: list[tuple[int, int]] = []
        self.selected_spans: list[tuple[int, int]] = []
        self.show_tints = False  # t turns them on
        self._kbd_selection: tuple[int, int] | None = None  # (start, end) selected with V

    # ------------------------------------------------------------- content
    class Wrapped(Message):
        """A worker has wrapped the whole text to ``width``."""

        def __init__(self, token: int, width: int, starts: array, ends: array) -> None:
            self.token, self.width, self.starts, self.ends = token, width, starts, ends
            super().__init__()

    @property
    def lines(self) -> list[tuple[int, int]]:
        """The body's lines known so far, as ``(start, end)`` offsets."""
        return list(zip(self._starts, self._ends, strict=True))

    @property
    def wrapped(self) -> bool:
        """Whether the whole text is wrapped to the current width."""
        return self._complete

    def show_article(self, article: Article | None, spans: list[tuple[int, int]] = (),
                     terms: list[int] = (), versions: int = 0) -> None:
        """Show ``article`` with its hits ``spans`` (``terms``: the query's
        clause each is a hit of); ``versions``: how many other versions it
        has (the header says so)."""
        self.article = article
        self.text = article.text if article else ""
        self.versions = versions
        self._body_start, self._title = (body_start(self.text, article.title) if article
                                         else (0, ""))
        self._wraps.clear()
        self._wrap_token += 1  # a worker still wrapping the last article: its result is stale
        self._pending = self._anchor = None
        self._wrap_width = 0
        self.entity_spans, self.quote_spans, self.selected_spans = [], [], []
        self.set_spans(spans, reset_scroll=True, terms=terms)

    def set_tints(self, entity_spans, quote_spans) -> None:
        """Entity mentions and quotes of the article shown (tinted when
        ``show_tints``)."""
        self.entity_spans = merge_spans(entity_spans)
        self.quote_spans = merge_spans(quote_spans)
        self.refresh()

    def toggle_tints(self) -> bool:
        self.show_tints = not self.show_tints
        self.refresh()
        return self.show_tints

    def select_spans(self, spans, scroll_to: int | None = None) -> None:
        """Mark the selected entity's mentions (or a quote); with
        ``scroll_to``, bring that one into view."""
        self.selected_spans = merge_spans(spans)
        if scroll_to is not None and self.selected_spans:
            k = scroll_to % len(self.selected_spans)
            self.scroll_to_offset(self.selected_spans[k][0])
        self.refresh()

    def scroll_to_offset(self, offset: int) -> None:
        """Bring character ``offset`` into view (once it is wrapped: a long
        article's worker may not have got there yet)."""
        if not self._complete and offset >= self._reached:
            self._pending = offset
            return
        self._pending = None
        line = self.line_of_offset(offset)
        height = self.scrollable_content_region.height or 1
        if not (self.scroll_offset.y <= line < self.scroll_offset.y + height):
            self.scroll_to(y=max(0, line - height // 3), animate=False)

    def hit_style(self, term: int) -> Style:
        """The style of the hits of the query's clause ``term`` (four colours, in turn)."""
        cls = "article-view--hit" + ("" if term % 4 == 0 else f"-{term % 4 + 1}")
        return self.get_component_rich_style(cls)

    def set_spans(self, spans, reset_scroll: bool = False, terms: list[int] = ()) -> None:
        """The hits: ``spans`` (sorted, disjoint), and ``terms``, the clause
        of the query each is a hit of (its colour; none: one colour)."""
        terms = list(terms) if len(terms) == len(spans) else [0] * len(spans)
        # a hit in a first paragraph that is the title, shown in the header
        # instead, is not one to go to (nor counted)
        pairs = sorted((sp, k) for sp, k in zip(spans, terms, strict=True)
                       if sp[0] >= self._body_start)
        self.spans = [sp for sp, _k in pairs]
        self.span_terms = [k for _sp, k in pairs]
        self._span_starts = [s for s, _ in self.spans]
        self._rewrap(force=True)
        if reset_scroll:
            self.scroll_to(0, 0, animate=False)
        self.current_hit = -1
        if self.spans:
            self.goto_hit(0)
        else:
            self.post_message(Position(-1, 0))

    def show_placeholder(self, message: str) -> None:
        self.placeholder = message
        self.show_article(None)

    def _rewrap(self, force: bool = False) -> None:
        """Lay the article out for the current width (``force``: the article
        or its hits changed). A resize keeps the line at the top in view."""
        width = max(self.scrollable_content_region.width, 8)
        if not force and width == self._wrap_width:
            return
        anchor = None
        top = self.scroll_offset.y - len(self._header)
        if not force and 0 < top < len(self._starts):
            anchor = self._starts[top]
        self._wrap_width = width
        if self.is_attached and self.text_selection is not None:
            self.screen.clear_selection()  # its offsets were into the lines gone
        if self.article is None:
            self._header = [self.placeholder[s:e]
                            for s, e in wrap_offsets(self.placeholder, width)]
            self._title_lines = 0
            self._starts, self._ends = array("q"), array("q")
            self._complete, self._reached = True, 0
        else:
            a = self.article
            title = terminal(self._title, limit=TITLE_MAX)
            self._header = [title[s:e] for s, e in wrap_offsets(title, width)]
            self._title_lines = len(self._header)
            meta = terminal(" · ".join(x for x in (a.source, a.date, a.language, a.path) if x),
                            limit=TITLE_MAX)
            if self.versions:
                meta += f" · {self.badge}"
            self._header += [meta[s:e] for s, e in wrap_offsets(meta, width)] + [""]
            self._lay_out(width)
        self._resize_virtual()
        if anchor is not None:
            if not self._complete and anchor >= self._reached:
                self._anchor = anchor  # where the worker's lines will put it
            else:
                self._anchor = None
                self.scroll_to(y=self.line_of_offset(anchor), animate=False)
        self.refresh()

    def set_versions(self, versions: int) -> None:
        """The article's number of other versions, known after it was shown."""
        if versions != self.versions and self.article is not None:
            self.versions = versions
            self._wrap_width = 0  # the header again; the body's lines are kept
            self._rewrap()

    @property
    def badge(self) -> str:
        """The header's family badge: "≈2 versions" (the list's ≈2)."""
        n = self.versions
        return f"≈{n} version{'s' if n != 1 else ''} (v)" if n else ""

    def _lay_out(self, width: int) -> None:
        """The body's lines for ``width``: kept from before, else wrapped here
        when the text is short, else the first screens here and the rest in
        a worker."""
        cached = self._wraps.get(width)
        if cached is not None:
            self._wraps.move_to_end(width)
            self._starts, self._ends = cached
            self._complete, self._reached = True, len(self.text)
            return
        if len(self.text) <= WRAP_INLINE:
            starts, ends = array("q"), array("q")
            wrap_into(self.text, width, starts, ends, start=self._body_start, spaced=True)
            self._keep_wrap(width, starts, ends)
            self._starts, self._ends = starts, ends
            self._complete, self._reached = True, len(self.text)
            return
        self._starts, self._ends, self._reached = wrap_prefix(
            self.text, width, WRAP_INLINE, start=self._body_start, spaced=True)
        self._complete = False
        self._wrap_token += 1
        self._wrap_rest(self.text, width, self._wrap_token, self._body_start)

    def _keep_wrap(self, width: int, starts: array, ends: array) -> None:
        self._wraps[width] = (starts, ends)
        self._wraps.move_to_end(width)
        while len(self._wraps) > WRAP_CACHE:
            self._wraps.popitem(last=False)

    @work(thread=True, exclusive=True, group="wrap", exit_on_error=False)
    def _wrap_rest(self, text: str, width: int, token: int, start: int = 0) -> None:
        worker = get_current_worker()
        starts, ends = array("q"), array("q")
        if wrap_into(text, width, starts, ends, cancelled=lambda: worker.is_cancelled,
                     start=start, spaced=True):
            self.post_message(self.Wrapped(token, width, starts, ends))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Textual sends a worker's state to its node only: handed on to the
        # screen's one handler (tui/screens/base.py), which says a failure
        event.stop()
        hand_on = getattr(self.screen, "on_worker_state_changed", None)
        if hand_on is not None:
            hand_on(event)

    def on_article_view_wrapped(self, msg: Wrapped) -> None:
        msg.stop()
        if msg.token != self._wrap_token:
            return  # for another article, or a width since left
        self._keep_wrap(msg.width, msg.starts, msg.ends)
        if msg.width != self._wrap_width:
            return
        at_end = 0 < self.scroll_offset.y >= self.max_scroll_y  # G before the rest was known
        self._starts, self._ends = msg.starts, msg.ends
        self._complete, self._reached = True, len(self.text)
        self._resize_virtual()
        if self._anchor is not None:
            anchor, self._anchor = self._anchor, None
            self.scroll_to(y=self.line_of_offset(anchor), animate=False)
        elif self._pending is not None:
            self.scroll_to_offset(self._pending)
        elif at_end:
            self.scroll_end(animate=False)
        self.refresh()

    def _resize_virtual(self) -> None:
        n = len(self._starts)
        if not self._complete and self._reached:  # the rest estimated from what is wrapped
            n = max(n, n * len(self.text) // self._reached)
        self.virtual_size = Size(self._wrap_width, len(self._header) + n)

    def on_resize(self) -> None:
        self._rewrap()

    # ---------------------------------------------------------------- hits
    def line_of_offset(self, offset: int) -> int:
        """The virtual line (header included) showing character ``offset``."""
        i = bisect.bisect_right(self._starts, offset) - 1
        return len(self._header) + max(i, 0)

    def offset_at_top(self) -> int:
        """The text offset of the first body line on screen (0 above the body)."""
        i = self.scroll_offset.y - len(self._header)
        return self._starts[i] if 0 <= i < len(self._starts) else 0

    def goto_hit(self, index: int) -> None:
        if not self.spans:
            return
        index %= len(self.spans)
        self.current_hit = index
        self.scroll_to_offset(self.spans[index][0])
        self.refresh()
        self.post_message(Position(index, len(self.spans)))

    def next_hit(self) -> None:
        if self.spans:
            self.goto_hit(self.current_hit + 1)

    def prev_hit(self) -> None:
        if self.spans:
            self.goto_hit(self.current_hit - 1 if self.current_hit >= 0 else -1)

    # ------------------------------------------------------------ rendering
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        n = self.scroll_offset.y + y
        if n < len(self._header):
            cls = "article-view--title" if n < self._title_lines else "article-view--meta"
            style = base + self.get_component_rich_style(cls)
            line, segs = self._header[n], []
            badge = self.badge if n >= self._title_lines else ""
            if badge and line.endswith(badge):  # the family badge, in its own style
                bstyle = base + self.get_component_rich_style("article-view--badge")
                segs = [Segment(line[:-len(badge)], style), Segment(badge, bstyle)]
            segs = self._selected(segs or [Segment(line, style)], n)
            return Strip(segs).crop(0, width).adjust_cell_length(width, base).apply_offsets(0, n)
        body = n - len(self._header)
        if body >= len(self._starts):  # not wrapped yet (a long article's worker is on it)
            return Strip.blank(width, base)
        start, end = self._starts[body], self._ends[body]
        segs = self._selected(self._segments(start, end, base), n)
        return Strip(segs).crop(0, width).adjust_cell_length(width, base).apply_offsets(0, n)

    # ------------------------------------------------------------ selection
    # Textual's selection API: each line's characters carry their (column,
    # line) offsets, so a mouse drag selects; the selected text is the
    # article's own (its line breaks, not the wrapping's).
    def _selected(self, segs: list[Segment], n: int) -> list[Segment]:
        """Line ``n``'s segments with the selected part painted."""
        sel = self.text_selection
        span = sel.get_span(n) if sel is not None else None
        if span is None:
            return segs
        return ts.paint(segs, span[0], span[1],
                        self.screen.get_component_rich_style("screen--selection"))

    def _offset_of(self, line: int, column: int) -> int:
        """The text offset of ``column`` of body line ``line`` (clamped to it)."""
        line = max(0, min(line, len(self._starts) - 1))
        start, end = self._starts[line], self._ends[line]
        return min(start + max(column, 0), end)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        if self.article is None:
            return None
        h = len(self._header)
        start = selection.start or Offset(0, 0)
        end = selection.end or Offset(len(self.text), h + len(self._starts))
        parts = []
        if start.y < h:  # the title and metadata lines, one per line
            lines = list(self._header[start.y:min(end.y, h - 1) + 1])
            if end.y < h:
                lines[-1] = lines[-1][:end.x]
            lines[0] = lines[0][start.x:]
            parts.append("\n".join(lines))
        if end.y >= h and self._starts:
            a = self._offset_of(start.y - h, start.x) if start.y >= h else 0
            b = self._offset_of(end.y - h, end.x) if end.y - h < len(self._starts) \
                else len(self.text)
            parts.append(self.text[a:b])
        return "\n".join(p for p in parts if p), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        if selection is None:
            self._kbd_selection = None
        self.refresh()

    def select_paragraph(self, extend: bool = False) -> tuple[int, int] | None:
        """Select, with the keyboard, the paragraph of the current hit when it
        is on screen, else the one at the top of the screen; ``extend``: add
        the next paragraph to the selection made so. The text offsets
        selected (None: no article)."""
        text = self.text
        if self.article is None or not self._starts:
            return None
        if extend and self._kbd_selection is not None:
            start, end = self._kbd_selection
            nxt = end
            while nxt < len(text) and text[nxt] == "\n":  # over the blank lines
                nxt += 1
            end = text.find("\n", nxt) if nxt < len(text) else end
            end = len(text) if end < 0 else end
        else:
            at = self.offset_at_top()
            if 0 <= self.current_hit < len(self.spans):
                hit = self.spans[self.current_hit][0]
                line = self.line_of_offset(hit)
                if self.scroll_offset.y <= line < self.scroll_offset.y + self.size.height:
                    at = hit
            at = max(at, self._body_start)
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
        self._kbd_selection = (start, end)
        h = len(self._header)

        def offset(pos: int) -> Offset:
            line = max(bisect.bisect_right(self._starts, pos) - 1, 0)
            return Offset(pos - self._starts[line], h + line)

        self.screen.selections = {self: Selection(offset(start), offset(end))}
        self.refresh()
        return start, end

    def _segments(self, start: int, end: int, base: Style) -> list[Segment]:
        """The line ``text[start:end]`` cut where any layer starts or ends;
        each piece styled by the layers over it (hits on top)."""
        text = self.text
        style_of = self.get_component_rich_style
        layers: list[tuple[list[tuple[int, int]], Style]] = []
        if self.show_tints:
            layers.append((self.quote_spans, style_of("article-view--quote")))
            layers.append((self.entity_spans, style_of("article-view--entity")))
        layers.append((self.selected_spans, style_of("article-view--selected")))
        current = style_of("article-view--current-hit")
        cuts = {start, end}
        active: list[tuple[list[tuple[int, int]], Style]] = []
        for spans, style in layers:
            inside = _overlapping(spans, start, end)
            if inside:
                active.append((inside, style))
                for s, e in inside:
                    cuts.update((max(s, start), min(e, end)))
        hits = _overlapping(self.spans, start, end)
        first_hit = bisect.bisect_left(self.spans, hits[0]) if hits else 0
        for s, e in hits:
            cuts.update((max(s, start), min(e, end)))
        if len(cuts) == 2:  # nothing on this line
            return [Segment(text[start:end], base)] if end > start else []
        edges = sorted(cuts)
        segs: list[Segment] = []
        for a, b in pairwise(edges):
            style = base
            for spans, st in active:
                if any(s <= a < e for s, e in spans):
                    style = style + st
            for k, (s, e) in enumerate(hits):
                if s <= a < e:
                    style = style + (current if first_hit + k == self.current_hit
                                     else self.hit_style(self.span_terms[first_hit + k]))
                    break
            segs.append(Segment(text[a:b], style))
        return segs


TITLE_PARAGRAPH = 400  # characters: a first paragraph up to this long may stand as the title


def body_start(text: str, title: str) -> tuple[int, str]:
    """Where the body to show starts, and the title to show above it.

    When the text's first paragraph is the title, or the title is that
    paragraph cut short ("…", a first sentence the ingester shortened) and it
    is not too long, the paragraph is the title (in full) and the body starts
    after it and the empty lines that follow; else the body is the whole text
    under the title as given."""
    nl = text.find("\n")
    first = " ".join(text[: nl if nl >= 0 else len(text)].split())
    want = " ".join(title.split())
    cut = want.endswith("…") and len(want) > 1 and first.startswith(want[:-1].rstrip())
    if not want or not (first == want or (cut and len(first) <= TITLE_PARAGRAPH)):
        return 0, title
    if nl < 0:
        return len(text), first
    pos = nl + 1
    while pos < len(text) and text[pos] in "\r\n":
        pos += 1
    return pos, first


def _overlapping(spans: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """The spans of a sorted, non-overlapping list that overlap [start, end)."""
    if not spans:
        return []
    i = max(bisect.bisect_right(spans, (start, float("inf"))) - 1, 0)
    out = []
    while i < len(spans) and spans[i][0] < end:
        if spans[i][1] > start:
            out.append(spans[i])
        i += 1
    return out
