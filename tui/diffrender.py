"""Rich text for a diff, shared by the CLI and the reader's diff view.

The wording and layout are the engine's (``index.report``: a diff and its
spin report as parts of text, each with a role); this module draws them.
Changes are marked with symbols as well as colour (wdiff's ``[-deleted-]``
and ``{+inserted+}``), so they read on a terminal without colour too; each
group has a one-character marker: ``~`` changed, ``-`` dropped, ``+``
added, ``↕`` moved, a space when nothing changed. Article text goes in as
plain ``Text``, never parsed as markup (the engine has put it through
:func:`index.safe.body`; names go through :func:`index.safe.terminal`). One renderer, two sets of
styles (:class:`Styles`): the CLI's rich styles by default, the reader's
from its widgets' component classes (the theme's colours).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import StyleType
from rich.text import Text

from index import DiffGroup, DiffResult, terminal
from index import diffreport as report

DELETE = "red strike"
INSERT = "green underline"
MOVED = "magenta"
SIDE_BY_SIDE_MIN = 120  # columns from which a diff is shown side by side (else inline)


def default_layout(width: int) -> str:
    """``"side"`` (two columns) or ``"inline"`` for a screen ``width`` wide:
    the CLI's and the reader's one rule."""
    return "side" if width >= SIDE_BY_SIDE_MIN else "inline"


@dataclass(frozen=True)
class Styles:
    """Every style a diff is drawn with. The defaults are the CLI's (rich
    styles); the reader passes its widgets' component styles (theme
    colours, and text styles that carry the meaning without colour)."""

    delete: StyleType = DELETE  # a deleted word (the "from" side)
    insert: StyleType = INSERT  # an inserted word (the "to" side)
    moved: StyleType = MOVED  # a moved sentence, as a whole
    mark: StyleType = ""  # added to the wdiff brackets ``[-``, ``-]``, ``{+``, ``+}``
    gap: StyleType = ""  # a space that is the deletion's (after it, or before one alone)
    dim: StyleType = "dim"  # context, "(none)", notes
    head: StyleType = "bold"  # a report line's kind
    note: StyleType = "yellow"  # a quote's gender note
    minus: StyleType = "red"  # the "from" sign (−)
    plus: StyleType = "green"  # the "to" sign (+)
    changed_marker: StyleType = "bold yellow"  # the group markers: ~ - + ↕
    dropped_marker: StyleType = "bold red"
    added_marker: StyleType = "bold green"
    moved_marker: StyleType = "bold magenta"
    same_marker: StyleType = "dim"


CLI = Styles()


marker = report.marker


def marker_style(m: str, st: Styles = CLI) -> StyleType:
    return {"-": st.dropped_marker, "+": st.added_marker, "↕": st.moved_marker,
            "~": st.changed_marker}.get(m, st.same_marker)


def _role_style(role: str, st: Styles) -> StyleType:
    return {"dim": st.dim, "head": st.head, "note": st.note, "delete": st.delete,
            "insert": st.insert, "minus": st.minus, "plus": st.plus, "gap": st.gap}.get(role, "")


def draw(parts, st: Styles = CLI, out: Text | None = None) -> Text:
    """Parts of text (``index.report``) appended to ``out`` (a new Text by
    default) in the styles ``st`` gives their roles; changed words between
    wdiff's marks, their trailing space outside."""
    out = Text() if out is None else out
    for p in parts:
        text = terminal(p.text) if p.name else p.text
        if p.role in report.WDIFF:
            open_, close = report.WDIFF[p.role]
            core, trail = report.split_trailing(text)
            style = st.delete if p.role == "del" else st.insert
            start = len(out)
            out.append(open_ + core + close, style)
            if st.mark:
                out.stylize(st.mark, start, start + len(open_))
                out.stylize(st.mark, len(out) - len(close), len(out))
            out.append(trail, st.gap if p.role == "del" else "")
        else:
            out.append(text, _role_style(p.role, st))
    return out


def draw_line(line: report.Line, st: Styles = CLI, **text_options) -> Text:
    """A report line: its own role the base style, its parts over it."""
    return draw(line.parts, st, Text(style=_role_style(line.role, st), **text_options))


def sides(g: DiffGroup, st: Styles = CLI) -> tuple[Text, Text]:
    """The group's first-text side (deletions marked) and second-text side
    (insertions marked)."""
    left, right = (draw(side, st) for side in report.group_sides(g))
    if g.moved:
        left.stylize(st.moved)
        right.stylize(st.moved)
    return left, right


def inline(g: DiffGroup, st: Styles = CLI) -> Text:
    """One text: the second version with the first's words struck out before
    what replaced them."""
    # "Kim Jong Un [-in a luxury car-], the…": a space before a change after a word
    out = draw(report.group_inline(g), st)
    if g.moved:
        out.stylize(st.moved)
    return out


def report_lines(r: DiffResult, limit: int = 20) -> list[Text]:
    """The spin report as lines of text (the CLI's)."""
    out = [Text(report.REPORT_TITLE, style="bold underline")]
    for section in report.spin_report(r, limit=limit):
        if section.heading:
            out.append(Text(section.heading, style="bold"))
        out += [draw_line(line) for line in section.lines]
    return out
