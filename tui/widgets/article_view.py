"""The article pane: a Line-API view of one article with its hits highlighted.

The body is word-wrapped into ``(start, end)`` offsets of the text, so a line
is rendered from a slice of the text on demand and a hit's character span maps
straight to a line. Text is emitted as plain segments: nothing in an article
is ever parsed as markup.
"""

from __future__ import annotations

import bisect
import re
from itertools import pairwise

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from index.models import Article
from index.spans import merge_spans
from index.textclean import strip_controls

from ..commands import bindings

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
    BINDINGS = bindings("article")
    COMPONENT_CLASSES = {
        "article-view--title",
        "article-view--meta",
        "article-view--hit",
        "article-view--current-hit",
        "article-view--entity",
        "article-view--quote",
        "article-view--selected",
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
        # tint layers, each sorted and non-overlapping: entity mentions, quotes
        # (shown when ``show_tints``), and the selected entity's mentions or quote
        self.entity_spans: list[tuple[int, int]] = []
        self.quote_spans: list[tuple[int, int]] = []
        self.selected_spans: list[tuple[int, int]] = []
        self.show_tints = True

    # ------------------------------------------------------------- content
    def show_article(self, article: Article | None, spans: list[tuple[int, int]] = ()) -> None:
        self.article = article
        self.text = article.text if article else ""
        self.entity_spans, self.quote_spans, self.selected_spans = [], [], []
        self.set_spans(spans, reset_scroll=True)

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
        line = self.line_of_offset(offset)
        height = self.scrollable_content_region.height or 1
        if not (self.scroll_offset.y <= line < self.scroll_offset.y + height):
            self.scroll_to(y=max(0, line - height // 3), animate=False)

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
        """The line ``text[start:end]`` cut where any layer starts or ends;
        each piece styled by the layers over it (hits on top)."""
        text = self.text
        style_of = self.get_component_rich_style
        layers: list[tuple[list[tuple[int, int]], Style]] = []
        if self.show_tints:
            layers.append((self.quote_spans, style_of("article-view--quote")))
            layers.append((self.entity_spans, style_of("article-view--entity")))
        layers.append((self.selected_spans, style_of("article-view--selected")))
        hit, current = style_of("article-view--hit"), style_of("article-view--current-hit")
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
                    style = style + (current if first_hit + k == self.current_hit else hit)
                    break
            segs.append(Segment(text[a:b], style))
        return segs


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
