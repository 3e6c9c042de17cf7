"""Rich text for a diff, shared by the CLI and the reader's diff view.

Changes are marked with symbols as well as colour (wdiff's ``[-deleted-]``
and ``{+inserted+}``), so they read on a terminal without colour too; each
group has a one-character marker: ``~`` changed, ``-`` dropped, ``+``
added, ``↕`` moved, a space when nothing changed. Article text goes in as
plain ``Text``, never parsed as markup.
"""

from __future__ import annotations

from rich.text import Text

from index.models import DiffGroup, DiffResult
from index.textclean import strip_controls

DELETE = "red strike"
INSERT = "green underline"
MOVED = "magenta"


def marker(g: DiffGroup) -> str:
    if not g.b:
        return "-"
    if not g.a:
        return "+"
    if g.moved:
        return "↕"
    return "~" if g.changed else " "


def marker_style(m: str) -> str:
    return {"-": "bold red", "+": "bold green", "↕": "bold magenta", "~": "bold yellow"}.get(
        m, "dim")


def sides(g: DiffGroup, delete_style: str = DELETE, insert_style: str = INSERT
          ) -> tuple[Text, Text]:
    """The group's first-text side (deletions marked) and second-text side
    (insertions marked)."""
    left, right = Text(), Text()
    for kind, x, y in g.ops:
        x, y = strip_controls(x), strip_controls(y)
        if kind == "equal":
            left.append(x)
            right.append(y)
            continue
        if x:
            _marked(left, x, "[-", "-]", delete_style)
        if y:
            _marked(right, y, "{+", "+}", insert_style)
    if g.moved:
        left.stylize(MOVED)
        right.stylize(MOVED)
    return left, right


def inline(g: DiffGroup, delete_style: str = DELETE, insert_style: str = INSERT) -> Text:
    """One text: the second version with the first's words struck out before
    what replaced them."""
    out = Text()
    for kind, x, y in g.ops:
        x, y = strip_controls(x), strip_controls(y)
        if kind == "equal":
            out.append(y)
            continue
        if out.plain and not out.plain[-1].isspace() and (x or y)[:1].isalnum():
            out.append(" ")  # "Kim Jong Un [-in a luxury car-], the…"
        if x:
            _marked(out, x, "[-", "-]", delete_style)
        if y:
            _marked(out, y, "{+", "+}", insert_style)
    if g.moved:
        out.stylize(MOVED)
    return out


def _marked(t: Text, s: str, open_: str, close: str, style: str) -> None:
    """``s`` between the markers, its trailing space outside them."""
    core = s.rstrip()
    t.append(open_ + core + close, style)
    t.append(s[len(core):])


def arrow(t: Text, frm: str | None, to: str | None) -> Text:
    """Append ``frm → to`` to ``t`` (deleted and inserted styles; a side that
    is missing reads "(none)")."""
    t.append(strip_controls(frm) if frm else "(none)", DELETE if frm else "dim")
    t.append(" → ")
    t.append(strip_controls(to) if to else "(none)", INSERT if to else "dim")
    return t


def report_lines(r: DiffResult, limit: int = 20) -> list[Text]:
    """The spin report as lines of text."""
    st = r.stats
    out = [Text("Spin report", style="bold underline")]
    out.append(Text(
        f"similarity {r.similarity:.2f} · words changed {st.words_changed:.0%} · sentences "
        f"aligned {st.sentences_aligned:.0%} · moved {st.moved} · dropped {st.dropped} · "
        f"added {st.added} · split/merged {st.split_or_merged}"))
    if r.substitutions:
        out.append(Text(f"Substitutions ({len(r.substitutions)})", style="bold"))
        for s in r.substitutions[:limit]:
            out.append(arrow(Text(f"  {s.count:>3}× "), s.frm, s.to))
        if len(r.substitutions) > limit:
            out.append(Text(f"  … {len(r.substitutions) - limit} more", style="dim"))
    if r.entity_changes:
        out.append(Text("Entities", style="bold"))
        for e in r.entity_changes:
            out.append(arrow(Text(f"  {e.label:<7} "), e.frm, e.to))
    if r.quote_changes:
        out.append(Text("Quotes", style="bold"))
        for q in r.quote_changes:
            out.append(quote_line(q))
    if r.number_changes:
        out.append(Text("Numbers and dates", style="bold"))
        for n in r.number_changes:
            out.append(arrow(Text("  "), n.frm, n.to))
    return out


def quote_line(q) -> Text:
    who = strip_controls(q.speaker) if q.speaker else "(not named)"
    line = Text(f"  {q.kind:<7} ", style="bold")
    line.append(who)
    if q.to_speaker != q.speaker and q.kind != "added":
        line.append(" → " + (strip_controls(q.to_speaker) if q.to_speaker else "(not named)"))
    if q.gender:
        line.append(f" ({q.gender})", style="yellow")
    line.append(": ")
    if q.frm:
        line.append("“" + _short(q.frm) + "”", DELETE if q.kind in ("words", "lost") else "")
    if q.frm and q.to and q.kind == "words":
        line.append(" → ")
    if q.to and q.kind in ("words", "added"):
        line.append("“" + _short(q.to) + "”", INSERT)
    return line


def _short(s: str, n: int = 70) -> str:
    s = strip_controls(s.replace("\n", " "))
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"
