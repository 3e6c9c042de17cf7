"""The article pane: a Line-API view of one article with its hits highlighted.

The body is word-wrapped into ``(start, end)`` offsets of the text, so a line
is rendered from a slice of the text on demand and a hit's character span maps
straight to a line. Text is emitted as plain segments: nothing in an article
is ever parsed as markup.
"""

from __future__ import annotations

import bisect
import re

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from index.models import Article
from index.textclean import strip_controls

_WORD = re.compile(r"\S+\s*")


def wrap_offsets(text: str, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap of ``text`` to ``width`` cells, as ``(start, end)`` offsets."""
    width = max(width, 8)
    lines: list[tuple[int, int]] = []
    pos = 0
    for para in text.split("\n"):
        pstart, pend = pos, pos + len(para)
        pos = pend + 1
        if not para:
            lines.append((pstart, pstart))
            continue
        ascii_ = para.isascii()
        line_start, line_w = pstart, 0
        for m in _WORD.finditer(para):
            word = m.group()
            ws = pstart + m.start()
            w = len(word.rstrip()) if ascii_ else cell_len(word.rstrip())
            if line_w and line_w + w > width:
                lines.append((line_start, ws))
                line_start, line_w = ws, 0
            while w > width:  # a word longer than the line: hard split
                cut = ws + width
                lines.append((line_start, cut))
                line_start, ws, w = cut, cut, w - width
            line_w += len(word) if ascii_ else cell_len(word)
        lines.append((line_start, pend))
    return lines


class ArticleView(ScrollView, can_focus=True):
    """Shows an article; ``n``/``N`` (bound by the app) move between hits."""

    DEFAULT_CSS = """
    ArticleView { padding: 0 1; scrollbar-gutter: stable; }
    """
    BINDINGS = [
        Binding("j,down", "scroll_down", "Down", show=False),
        Binding("k,up", "scroll_up", "Up", show=False),
        Binding("space,pagedown", "page_down", "Page down", show=False),
        Binding("b,pageup", "page_up", "Page up", show=False),
        Binding("g,home", "scroll_home", "Top", show=False),
        Binding("G,end", "scroll_end", "Bottom", show=False),
    ]
    COMPONENT_CLASSES = {
        "article-view--title",
        "article-view--meta",
        "article-view--hit",
        "article-view--current-hit",
    }

    current_hit: reactive[int] = reactive(-1, layout=False)

    class HitChanged(Message):
        def __init__(self, index: int, total: int) -> None:
            self.index, self.total = index, total
            super().__init__()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.article: Article | None = None
        self.text = ""
        self.spans: list[tuple[int, int]] = []
        self._span_starts: list[int] = []
        self._lines: list[tuple[int, int]] = []
        self._line_starts: list[int] = []
        self._header: list[str] = []
        self._wrap_width = 0
        self._title_lines = 1
        self.placeholder = "No article selected."

    # ------------------------------------------------------------- content
    def show_article(self, article: Article | None, spans: list[tuple[int, int]] = ()) -> None:
        self.article = article
        self.text = article.text if article else ""
        self.set_spans(spans, reset_scroll=True)

    def set_spans(self, spans, reset_scroll: bool = False) -> None:
        self.spans = sorted(spans)
        self._span_starts = [s for s, _ in self.spans]
        self._rewrap(force=True)
        if reset_scroll:
            self.scroll_to(0, 0, animate=False)
        self.current_hit = -1
        if self.spans:
            self.goto_hit(0)
        else:
            self.post_message(self.HitChanged(-1, 0))

    def show_placeholder(self, message: str) -> None:
        self.placeholder = message
        self.show_article(None)

    def _rewrap(self, force: bool = False) -> None:
        width = max(self.scrollable_content_region.width, 8)
        if not force and width == self._wrap_width:
            return
        self._wrap_width = width
        if self.article is None:
            self._header = [self.placeholder]
            self._title_lines = 0
            self._lines = []
        else:
            a = self.article
            meta = " · ".join(x for x in (a.source, a.date, a.path, a.id) if x)
            title = strip_controls(a.title)
            self._header = [title[s:e] for s, e in wrap_offsets(title, width)]
            self._title_lines = len(self._header)
            self._header += [strip_controls(meta), ""]
            self._lines = wrap_offsets(self.text, width)
        self._line_starts = [s for s, _ in self._lines]
        self.virtual_size = Size(width, len(self._header) + len(self._lines))
        self.refresh()

    def on_resize(self) -> None:
        self._rewrap()

    # ---------------------------------------------------------------- hits
    def line_of_offset(self, offset: int) -> int:
        """The virtual line (header included) showing character ``offset``."""
        i = bisect.bisect_right(self._line_starts, offset) - 1
        return len(self._header) + max(i, 0)

    def goto_hit(self, index: int) -> None:
        if not self.spans:
            return
        index %= len(self.spans)
        self.current_hit = index
        line = self.line_of_offset(self.spans[index][0])
        height = self.scrollable_content_region.height or 1
        if not (self.scroll_offset.y <= line < self.scroll_offset.y + height):
            self.scroll_to(y=max(0, line - height // 3), animate=False)
        self.refresh()
        self.post_message(self.HitChanged(index, len(self.spans)))

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
            return Strip([Segment(self._header[n], style)]).crop(0, width).adjust_cell_length(
                width, base
            )
        n -= len(self._header)
        if n >= len(self._lines):
            return Strip.blank(width, base)
        start, end = self._lines[n]
        return Strip(self._segments(start, end, base)).crop(0, width).adjust_cell_length(
            width, base
        )

    def _segments(self, start: int, end: int, base: Style) -> list[Segment]:
        text = self.text
        segs: list[Segment] = []
        i = max(bisect.bisect_right(self._span_starts, start) - 1, 0)
        pos = start
        hit = base + self.get_component_rich_style("article-view--hit")
        current = base + self.get_component_rich_style("article-view--current-hit")
        while i < len(self.spans) and pos < end:
            s, e = self.spans[i]
            if e <= pos:
                i += 1
                continue
            if s >= end:
                break
            if s > pos:
                segs.append(Segment(text[pos:s], base))
                pos = s
            stop = min(e, end)
            segs.append(Segment(text[pos:stop], current if i == self.current_hit else hit))
            pos = stop
            if e <= end:
                i += 1
        if pos < end:
            segs.append(Segment(text[pos:end], base))
        return segs
