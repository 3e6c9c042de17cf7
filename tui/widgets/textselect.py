"""Text selection in the reader's Line-API views (Textual's selection API).

A Line-API widget takes part in Textual's mouse selection by giving each
segment it draws an ``offset`` meta (``Strip.apply_offsets``): the
compositor turns the cell under the mouse into a (column, line) of the
widget's own text, the screen keeps a :class:`~textual.selection.Selection`
per widget, and ``get_selection`` gives the text back for ctrl+c (the
screen's copy). The views here keep their text as plain strings; these
helpers mark a line's segments and paint the selected part.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style


def with_offset(segs: list[Segment], x: int, y: int) -> list[Segment]:
    """``segs`` carrying the offsets ``(x…, y)`` of their characters (each
    segment at the column after the one before it)."""
    out = []
    for s in segs:
        meta = Style.from_meta({"offset": (x, y)})
        out.append(Segment(s.text, s.style + meta if s.style else meta))
        x += len(s.text)
    return out


def pinned(segs: list[Segment], x: int, y: int) -> list[Segment]:
    """``segs`` that are not text (a marker, a gutter): every character at
    offset ``(x, y)``, so a drag that starts or ends on them takes the text
    from ``x``."""
    meta = Style.from_meta({"offset": (x, y)})
    return [Segment(ch, s.style + meta if s.style else meta)
            for s in segs for ch in s.text]


def paint(segs: list[Segment], start: int, end: int, style: Style) -> list[Segment]:
    """``style`` added over the characters ``start:end`` of the line made of
    ``segs`` (an ``end`` of -1: to the line's end)."""
    if end < 0:
        end = sum(len(s.text) for s in segs)
    if end <= start:
        return segs
    out: list[Segment] = []
    pos = 0
    for s in segs:
        n = len(s.text)
        a, b = max(start - pos, 0), min(end - pos, n)
        if a >= b:
            out.append(s)
        else:
            base = s.style or Style()
            if a:
                out.append(Segment(s.text[:a], s.style))
            out.append(Segment(s.text[a:b], base + style))
            if b < n:
                out.append(Segment(s.text[b:], s.style))
        pos += n
    return out

