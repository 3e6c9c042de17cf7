"""Rich text for a diff, shared by the CLI and the reader's diff view.

Changes are marked with symbols as well as colour (wdiff's ``[-deleted-]``
and ``{+inserted+}``), so they read on a terminal without colour too; each
group has a one-character marker: ``~`` changed, ``-`` dropped, ``+``
added, ``↕`` moved, a space when nothing changed. Article text goes in as
plain ``Text``, never parsed as markup, through :func:`index.safe.body`
(names through :func:`index.safe.terminal`). One renderer, two sets of
styles (:class:`Styles`): the CLI's rich styles by default, the reader's
from its widgets' component classes (the theme's colours).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import StyleType
from rich.text import Text

from index import DiffGroup, DiffResult, body, terminal

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


def marker(g: DiffGroup) -> str:
    if not g.b:
        return "-"
    if not g.a:
        return "+"
    if g.moved:
        return "↕"
    return "~" if g.changed else " "


def marker_style(m: str, st: Styles = CLI) -> StyleType:
    return {"-": st.dropped_marker, "+": st.added_marker, "↕": st.moved_marker,
            "~": st.changed_marker}.get(m, st.same_marker)


def sides(g: DiffGroup, st: Styles = CLI) -> tuple[Text, Text]:
    """The group's first-text side (deletions marked) and second-text side
    (insertions marked)."""
    left, right = Text(), Text()
    for kind, x, y in g.ops:
        x, y = body(x), body(y)
        if kind == "equal":
            left.append(x)
            right.append(y)
            continue
        if x:
            _marked(left, x, "[-", "-]", st.delete, st.mark)
        if y:
            _marked(right, y, "{+", "+}", st.insert, st.mark)
    if g.moved:
        left.stylize(st.moved)
        right.stylize(st.moved)
    return left, right


def inline(g: DiffGroup, st: Styles = CLI) -> Text:
    """One text: the second version with the first's words struck out before
    what replaced them."""
    # "Kim Jong Un [-in a luxury car-], the…": a space before a change after a word
    out = _append_ops(Text(), g.ops, _ends_a_word, st)
    if g.moved:
        out.stylize(st.moved)
    return out


def _ends_a_word(p: str) -> bool:
    """Whether a change after the character ``p`` needs a space before it:
    after a word or closing punctuation, not after a space or an opening
    quote or bracket (“[-turning point-]…, not “ [-turning point-])."""
    return bool(p) and not p.isspace() and p not in "“‘«‹„‚([{\"'¿¡"


def _append_ops(out: Text, ops, spaced, st: Styles = CLI) -> Text:
    """Word ops onto ``out``: equal text as it is, deletions ``[-…-]`` and
    insertions ``{+…+}``, with a space before a change where ``spaced(last
    character so far)`` says so."""
    for kind, x, y in ops:
        x, y = body(x), body(y)
        if kind == "equal":
            out.append(y)
            continue
        if spaced(out.plain[-1:]) and (x or y)[:1].isalnum():
            out.append(" ", st.gap if not y else "")
        if x:
            _marked(out, x, "[-", "-]", st.delete, st.mark, st.gap)
        if y:
            _marked(out, y, "{+", "+}", st.insert, st.mark)
    return out


def _marked(t: Text, s: str, open_: str, close: str, style: StyleType,
            mark: StyleType = "", trail: StyleType = "") -> None:
    """``s`` between the markers, its trailing space outside them (``mark``:
    a style added to the markers alone; ``trail``: the trailing space's)."""
    core = s.rstrip()
    start = len(t)
    t.append(open_ + core + close, style)
    if mark:
        t.stylize(mark, start, start + len(open_))
        t.stylize(mark, len(t) - len(close), len(t))
    t.append(s[len(core):], trail)


def arrow(t: Text, frm: str | None, to: str | None, st: Styles = CLI) -> Text:
    """Append ``frm → to`` to ``t`` (deleted and inserted styles; a side that
    is missing reads "(none)")."""
    t.append(body(frm) if frm else "(none)", st.delete if frm else st.dim)
    t.append(" → ")
    t.append(body(to) if to else "(none)", st.insert if to else st.dim)
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
    minor = minor_line(r)
    if minor:
        out.append(Text("  " + minor, style="dim"))
    if r.entity_changes:
        out.append(Text("Entities", style="bold"))
        for e in r.entity_changes:
            out.append(arrow(Text(f"  {e.label:<7} "), e.frm, e.to))
    if r.quote_changes:
        out.append(Text("Quotes", style="bold"))
        for q in r.quote_changes:
            out.append(quote_line(q))
    if r.phrase_changes:
        out.append(Text("Quoted phrases", style="bold"))
        for p in r.phrase_changes:
            out.append(phrase_line(p))
    if r.number_changes:
        out.append(Text("Numbers and dates", style="bold"))
        for n in r.number_changes:
            out.append(number_line(n))
    return out


def minor_line(r: DiffResult) -> str:
    """How many changes were only of case or only of punctuation and
    spelling (counted, not listed among the substitutions)."""
    nc = sum(c.count for c in r.case_changes)
    npu = sum(c.count for c in r.punctuation_changes)
    if not nc and not npu:
        return ""
    return f"not listed: {nc} case-only, {npu} punctuation/spelling-only changes"


def quote_line(q, width: int = 150, st: Styles = CLI) -> Text:
    """A quote change: who said it, and the changed words in context
    (``[-deleted-]{+inserted+}`` within an excerpt centred on the first
    change); a lost or added quote, shortened."""
    who = terminal(q.speaker) if q.speaker else "(not named)"
    line = Text(f"  {q.kind:<7} ", style=st.head)
    line.append(who)
    if q.to_speaker != q.speaker and q.kind != "added":
        line.append(" → " + (terminal(q.to_speaker) if q.to_speaker else "(not named)"))
    if q.gender:
        line.append(f" ({q.gender})", style=st.note)
    line.append(": ")
    if q.kind == "words" and q.excerpt:
        line.append("“")
        _append_ops(line, q.excerpt, str.isalnum, st)
        line.append("”")
        return line
    if q.frm:
        line.append("“" + _short(q.frm, width) + "”",
                    st.delete if q.kind in ("words", "lost") else "")
    if q.frm and q.to and q.kind == "words":
        line.append(" → ")
    if q.to and q.kind in ("words", "added"):
        line.append("“" + _short(q.to, width) + "”", st.insert)
    return line


def phrase_line(p, st: Styles = CLI) -> Text:
    """A quoted phrase changed, lost or added, with who uses it."""
    line = Text(f"  {p.kind:<7} ", style=st.head)
    line.append("“" + body(p.frm) + "”" if p.frm else "(none)",
                st.delete if p.frm else st.dim)
    line.append(" → ")
    line.append("“" + body(p.to) + "”" if p.to else "(none)",
                st.insert if p.to else st.dim)
    who = p.speaker or p.to_speaker
    line.append(f"  ({terminal(who)})" if who else "  (the writer's)", st.dim)
    return line


def number_line(n, width: int = 100, st: Styles = CLI) -> Text:
    """A number change and the sentence it is in (each side's, when they
    differ), cut around the number."""
    line = arrow(Text(f"  {n.kind:<8} "), n.frm, n.to, st)
    if n.context_a and n.frm:
        line.append("\n      − ", st.minus)
        line.append_text(context(n.context_a, n.frm, width, st.delete, n.offsets[0], st))
    if n.context_b and n.to:
        line.append("\n      + ", st.plus)
        line.append_text(context(n.context_b, n.to, width, st.insert, n.offsets[1], st))
    if not n.frm and n.context_a:
        line.append("\n      − ", st.minus)
        line.append(_short(n.context_a, width), st.dim)
    if not n.to and n.context_b:
        line.append("\n      + ", st.plus)
        line.append(_short(n.context_b, width), st.dim)
    return line


def context(sentence: str, word: str, width: int, style: StyleType, at: int | None = None,
            st: Styles = CLI) -> Text:
    """``sentence`` cut to about ``width`` characters around ``word``, which
    is marked: at offset ``at`` when given (the number itself, not the "1"
    inside "2015"), else where it first occurs."""
    sentence = body(sentence.replace("\n", " "))
    word = body(word)
    i = at if at is not None and sentence[at:at + len(word)] == word else sentence.find(word)
    if i < 0:
        return Text(_short(sentence, width), st.dim)
    lo = max(0, i - (width - len(word)) // 2)
    hi = min(len(sentence), lo + width)
    lo = max(0, min(lo, hi - width))
    if lo:
        lo = sentence.find(" ", lo) + 1 or lo
    if hi < len(sentence):
        hi = sentence.rfind(" ", i + len(word), hi) if sentence.rfind(
            " ", i + len(word), hi) > 0 else hi
    t = Text("…" if lo else "", st.dim)
    t.append(sentence[lo:i], st.dim)
    t.append(word, style)
    t.append(sentence[i + len(word):hi], st.dim)
    if hi < len(sentence):
        t.append("…", st.dim)
    return t


def _short(s: str, n: int = 70) -> str:
    s = body(s.replace("\n", " "))
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"
