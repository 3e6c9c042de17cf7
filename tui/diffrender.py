"""Rich text for a diff, shared by the CLI and the reader's diff view.

Changes are marked with symbols as well as colour (wdiff's ``[-deleted-]``
and ``{+inserted+}``), so they read on a terminal without colour too; each
group has a one-character marker: ``~`` changed, ``-`` dropped, ``+``
added, ``↕`` moved, a space when nothing changed. Article text goes in as
plain ``Text``, never parsed as markup, through :func:`index.safe.body`
(names through :func:`index.safe.terminal`).
"""

from __future__ import annotations

from rich.text import Text

from index import DiffGroup, DiffResult, body, terminal

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
        x, y = body(x), body(y)
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
    # "Kim Jong Un [-in a luxury car-], the…": a space before a change after a word
    out = _append_ops(Text(), g.ops, lambda p: bool(p) and not p.isspace(),
                      delete_style, insert_style)
    if g.moved:
        out.stylize(MOVED)
    return out


def _append_ops(out: Text, ops, spaced, delete_style: str = DELETE,
                insert_style: str = INSERT) -> Text:
    """Word ops onto ``out``: equal text as it is, deletions ``[-…-]`` and
    insertions ``{+…+}``, with a space before a change where ``spaced(last
    character so far)`` says so."""
    for kind, x, y in ops:
        x, y = body(x), body(y)
        if kind == "equal":
            out.append(y)
            continue
        if spaced(out.plain[-1:]) and (x or y)[:1].isalnum():
            out.append(" ")
        if x:
            _marked(out, x, "[-", "-]", delete_style)
        if y:
            _marked(out, y, "{+", "+}", insert_style)
    return out


def _marked(t: Text, s: str, open_: str, close: str, style: str) -> None:
    """``s`` between the markers, its trailing space outside them."""
    core = s.rstrip()
    t.append(open_ + core + close, style)
    t.append(s[len(core):])


def arrow(t: Text, frm: str | None, to: str | None) -> Text:
    """Append ``frm → to`` to ``t`` (deleted and inserted styles; a side that
    is missing reads "(none)")."""
    t.append(body(frm) if frm else "(none)", DELETE if frm else "dim")
    t.append(" → ")
    t.append(body(to) if to else "(none)", INSERT if to else "dim")
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


def quote_line(q, width: int = 150) -> Text:
    """A quote change: who said it, and the changed words in context
    (``[-deleted-]{+inserted+}`` within an excerpt centred on the first
    change); a lost or added quote, shortened."""
    who = terminal(q.speaker) if q.speaker else "(not named)"
    line = Text(f"  {q.kind:<7} ", style="bold")
    line.append(who)
    if q.to_speaker != q.speaker and q.kind != "added":
        line.append(" → " + (terminal(q.to_speaker) if q.to_speaker else "(not named)"))
    if q.gender:
        line.append(f" ({q.gender})", style="yellow")
    line.append(": ")
    if q.kind == "words" and q.excerpt:
        line.append("“")
        _append_ops(line, q.excerpt, str.isalnum)
        line.append("”")
        return line
    if q.frm:
        line.append("“" + _short(q.frm, width) + "”",
                    DELETE if q.kind in ("words", "lost") else "")
    if q.frm and q.to and q.kind == "words":
        line.append(" → ")
    if q.to and q.kind in ("words", "added"):
        line.append("“" + _short(q.to, width) + "”", INSERT)
    return line


def phrase_line(p) -> Text:
    """A quoted phrase changed, lost or added, with who uses it."""
    line = Text(f"  {p.kind:<7} ", style="bold")
    line.append("“" + body(p.frm) + "”" if p.frm else "(none)",
                DELETE if p.frm else "dim")
    line.append(" → ")
    line.append("“" + body(p.to) + "”" if p.to else "(none)",
                INSERT if p.to else "dim")
    who = p.speaker or p.to_speaker
    line.append(f"  ({terminal(who)})" if who else "  (the writer's)", "dim")
    return line


def number_line(n, width: int = 100) -> Text:
    """A number change and the sentence it is in (each side's, when they
    differ), cut around the number."""
    line = arrow(Text(f"  {n.kind:<8} "), n.frm, n.to)
    if n.context_a and n.frm:
        line.append("\n      − ", "red")
        line.append_text(context(n.context_a, n.frm, width, DELETE, n.offsets[0]))
    if n.context_b and n.to:
        line.append("\n      + ", "green")
        line.append_text(context(n.context_b, n.to, width, INSERT, n.offsets[1]))
    if not n.frm and n.context_a:
        line.append("\n      − ", "red")
        line.append(_short(n.context_a, width), "dim")
    if not n.to and n.context_b:
        line.append("\n      + ", "green")
        line.append(_short(n.context_b, width), "dim")
    return line


def context(sentence: str, word: str, width: int, style: str, at: int | None = None) -> Text:
    """``sentence`` cut to about ``width`` characters around ``word``, which
    is marked: at offset ``at`` when given (the number itself, not the "1"
    inside "2015"), else where it first occurs."""
    sentence = body(sentence.replace("\n", " "))
    word = body(word)
    i = at if at is not None and sentence[at:at + len(word)] == word else sentence.find(word)
    if i < 0:
        return Text(_short(sentence, width), "dim")
    lo = max(0, i - (width - len(word)) // 2)
    hi = min(len(sentence), lo + width)
    lo = max(0, min(lo, hi - width))
    if lo:
        lo = sentence.find(" ", lo) + 1 or lo
    if hi < len(sentence):
        hi = sentence.rfind(" ", i + len(word), hi) if sentence.rfind(
            " ", i + len(word), hi) > 0 else hi
    t = Text("…" if lo else "", "dim")
    t.append(sentence[lo:i], "dim")
    t.append(word, style)
    t.append(sentence[i + len(word):hi], "dim")
    if hi < len(sentence):
        t.append("…", "dim")
    return t


def _short(s: str, n: int = 70) -> str:
    s = body(s.replace("\n", " "))
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"
