"""A diff and its spin report as plain data: what each renderer draws.

The CLI and the reader draw a diff as rich text (``tui/diffrender.py``), the
exports write it as HTML or Markdown (:mod:`index.export`): all of them take
their wording and layout from here, so each is written once. A report is a
list of :class:`Section`; a section, an optional heading and
:class:`Line`\\ s; a line, :class:`Part`\\ s, each a piece of text and the
*role* it plays. Each renderer decides how a role looks:

``plain``, ``dim``, ``head``, ``note``
    ordinary text, context and asides, a line's kind, a quote's gender note;
``delete``, ``insert``
    a value of the first text and what replaced it (an arrow's two sides, a
    lost or added quote, a number in its sentence);
``del``, ``ins``
    changed words inside a running text (a group's word ops, a quote's
    excerpt): a terminal shows them between wdiff's ``[-…-]`` and ``{+…+}``,
    their trailing white space outside the marks (:func:`split_trailing`);
``gap``
    the space a deletion brings before it (shown as plain space);
``minus``, ``plus``
    the signs of the first and the second text (a newline inside a part
    starts a new row of the same item).

Article text in a part has gone through :func:`index.safe.body` (controls
become U+FFFD, one for one); a part with ``name`` set is metadata (a
speaker's name) that a terminal shows through :func:`index.safe.terminal`.
Every destination still escapes every part for itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

from .comparisons import DiffGroup, DiffResult, NumberChange, PhraseChange, QuoteChange
from .safe import body

REPORT_TITLE = "Spin report"
NONE = "(none)"  # a side of a change that is missing
NOT_NAMED = "(not named)"  # a quote whose speaker is not known
ARROW = " → "
WDIFF = {"del": ("[-", "-]"), "ins": ("{+", "+}")}  # the terminal's marks of changed words
# opening quotes and brackets: a change right after one needs no space before it
_OPENERS = "“‘«‹„‚([{\"'¿¡"
_AFTER_A_CHANGE = ")"  # what a change's closing mark counts as, for the spacing rule


class Part(NamedTuple):
    """A piece of a line: its role (see the module's docstring) and text."""

    role: str
    text: str
    name: bool = False  # metadata (a name), not article text


class Line(NamedTuple):
    """An item of a report: its parts; ``role`` is the whole line's (its
    parts' roles are laid over it); ``ref`` names what it reports (``s3``:
    the fourth substitution; ``e``, ``q``, ``p``, ``n``: entity, quote,
    phrase and number changes), None for a line that is no item."""

    parts: tuple[Part, ...]
    role: str = "plain"
    ref: str | None = None

    @property
    def plain(self) -> str:
        return "".join(p.text for p in self.parts)


class Section(NamedTuple):
    """``key`` (stats, substitutions, more, minor, entities, quotes,
    phrases, numbers), a heading ("" for none) and the lines."""

    key: str
    heading: str
    lines: tuple[Line, ...]


# ------------------------------------------------------------- word changes
def split_trailing(s: str) -> tuple[str, str]:
    """A changed run's words and the white space after them (which a
    renderer puts after its closing mark)."""
    core = s.rstrip()
    return core, s[len(core):]


def ends_a_word(p: str) -> bool:
    """Whether a change after the character ``p`` needs a space before it:
    after a word or closing punctuation, not after a space or an opening
    quote or bracket (“[-turning point-]…, not “ [-turning point-])."""
    return bool(p) and not p.isspace() and p not in _OPENERS


def word_parts(ops: Iterable[tuple[str, str, str]],
               spaced: Callable[[str], bool] = ends_a_word) -> list[Part]:
    """Word ops as one running text: equal text as it is, deleted words
    (``del``) before the words that replaced them (``ins``), and a space
    before a change where ``spaced(the character before it)`` says so (a
    change's closing mark counts as ``)``)."""
    out: list[Part] = []
    last = ""
    for kind, x, y in ops:
        x, y = body(x), body(y)
        if kind == "equal":
            if y:
                out.append(Part("plain", y))
                last = y[-1]
            continue
        if spaced(last) and (x or y)[:1].isalnum():
            out.append(Part("gap" if not y else "plain", " "))
            last = " "
        for role, t in (("del", x), ("ins", y)):
            if t:
                out.append(Part(role, t))
                trail = split_trailing(t)[1]
                last = trail[-1] if trail else _AFTER_A_CHANGE
    return out


def group_sides(g: DiffGroup) -> tuple[list[Part], list[Part]]:
    """A group's first-text side (its deleted words ``del``) and its
    second-text side (inserted words ``ins``)."""
    left: list[Part] = []
    right: list[Part] = []
    for kind, x, y in g.ops:
        x, y = body(x), body(y)
        if kind == "equal":
            if x:
                left.append(Part("plain", x))
            if y:
                right.append(Part("plain", y))
            continue
        if x:  # (the space after deleted words is the text's, not the deletion's)
            core, trail = split_trailing(x)
            left += [Part("del", core), Part("plain", trail)] if trail else [Part("del", x)]
        if y:
            right.append(Part("ins", y))
    return left, right


def group_inline(g: DiffGroup) -> list[Part]:
    """A group as one text: the second version with the first's words
    deleted before what replaced them."""
    return word_parts(g.ops)


def marker(g: DiffGroup) -> str:
    """A group's one-character marker: ``~`` changed, ``-`` dropped, ``+``
    added, ``↕`` moved, a space when nothing changed."""
    if not g.b:
        return "-"
    if not g.a:
        return "+"
    if g.moved:
        return "↕"
    return "~" if g.changed else " "


MARKER_NAMES = {"~": "changed", "-": "dropped", "+": "added", "↕": "moved", " ": "same"}


# --------------------------------------------------------------- the report
def short(s: str, n: int = 70) -> str:
    """Text on one line, cut to ``n`` characters."""
    s = body(s.replace("\n", " "))
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


def arrow_parts(frm: str | None, to: str | None) -> list[Part]:
    """``frm → to``; a side that is missing reads "(none)"."""
    return [Part("delete", body(frm)) if frm else Part("dim", NONE), Part("plain", ARROW),
            Part("insert", body(to)) if to else Part("dim", NONE)]


def stats_text(r: DiffResult, compact: bool = False) -> str:
    st = r.stats
    if compact:
        return (f"similarity {r.similarity:.2f}\nwords changed {st.words_changed:.0%}\n"
                f"sentences aligned {st.sentences_aligned:.0%}\nmoved {st.moved} · dropped "
                f"{st.dropped} · added {st.added}\nsplit or merged {st.split_or_merged}")
    return (f"similarity {r.similarity:.2f} · words changed {st.words_changed:.0%} · sentences "
            f"aligned {st.sentences_aligned:.0%} · moved {st.moved} · dropped {st.dropped} · "
            f"added {st.added} · split/merged {st.split_or_merged}")


def minor_text(r: DiffResult) -> str:
    """How many changes were only of case or only of punctuation and
    spelling (counted, not listed among the substitutions)."""
    nc = sum(c.count for c in r.case_changes)
    npu = sum(c.count for c in r.punctuation_changes)
    if not nc and not npu:
        return ""
    return f"not listed: {nc} case-only, {npu} punctuation/spelling-only changes"


def quote_line(q: QuoteChange, width: int = 150, ref: str | None = None) -> Line:
    """A quote change: who said it, and the changed words in context (the
    excerpt centred on the first change); a lost or added quote, shortened."""
    parts = [Part("plain", f"  {q.kind:<7} ")]
    parts.append(Part("plain", q.speaker, True) if q.speaker else Part("plain", NOT_NAMED))
    if q.to_speaker != q.speaker and q.kind != "added":
        parts.append(Part("plain", ARROW + (q.to_speaker or NOT_NAMED), bool(q.to_speaker)))
    if q.gender:
        parts.append(Part("note", f" ({q.gender})"))
    parts.append(Part("plain", ": "))
    if q.kind == "words" and q.excerpt:
        parts += [Part("plain", "“"), *word_parts(q.excerpt, str.isalnum), Part("plain", "”")]
        return Line(tuple(parts), "head", ref)
    if q.frm:
        parts.append(Part("delete" if q.kind in ("words", "lost") else "plain",
                          "“" + short(q.frm, width) + "”"))
    if q.frm and q.to and q.kind == "words":
        parts.append(Part("plain", ARROW))
    if q.to and q.kind in ("words", "added"):
        parts.append(Part("insert", "“" + short(q.to, width) + "”"))
    return Line(tuple(parts), "head", ref)


def phrase_line(p: PhraseChange, ref: str | None = None) -> Line:
    """A quoted phrase changed, lost or added, with who uses it."""
    who = p.speaker or p.to_speaker
    parts = (Part("plain", f"  {p.kind:<7} "),
             Part("delete", "“" + body(p.frm) + "”") if p.frm else Part("dim", NONE),
             Part("plain", ARROW),
             Part("insert", "“" + body(p.to) + "”") if p.to else Part("dim", NONE),
             Part("dim", f"  ({who})", True) if who else Part("dim", "  (the writer's)"))
    return Line(parts, "head", ref)


def number_line(n: NumberChange, width: int = 100, ref: str | None = None) -> Line:
    """A number change and the sentence it is in (each side's, when they
    differ), cut around the number."""
    parts = [Part("plain", f"  {n.kind:<8} "), *arrow_parts(n.frm, n.to)]
    if n.context_a and n.frm:
        parts.append(Part("minus", "\n      − "))
        parts += context_parts(n.context_a, n.frm, width, "delete", n.offsets[0])
    if n.context_b and n.to:
        parts.append(Part("plus", "\n      + "))
        parts += context_parts(n.context_b, n.to, width, "insert", n.offsets[1])
    if not n.frm and n.context_a:
        parts += [Part("minus", "\n      − "), Part("dim", short(n.context_a, width))]
    if not n.to and n.context_b:
        parts += [Part("plus", "\n      + "), Part("dim", short(n.context_b, width))]
    return Line(tuple(parts), "plain", ref)


def context_parts(sentence: str, word: str, width: int, role: str,
                  at: int | None = None) -> list[Part]:
    """``sentence`` cut to about ``width`` characters around ``word``, which
    plays ``role``: at offset ``at`` when given (the number itself, not the
    "1" inside "2015"), else where it first occurs; the rest ``dim``."""
    sentence = body(sentence.replace("\n", " "))
    word = body(word)
    i = at if at is not None and sentence[at:at + len(word)] == word else sentence.find(word)
    if i < 0:
        return [Part("dim", short(sentence, width))]
    lo = max(0, i - (width - len(word)) // 2)
    hi = min(len(sentence), lo + width)
    lo = max(0, min(lo, hi - width))
    if lo:
        lo = sentence.find(" ", lo) + 1 or lo
    if hi < len(sentence):
        hi = sentence.rfind(" ", i + len(word), hi) if sentence.rfind(
            " ", i + len(word), hi) > 0 else hi
    out = [Part("dim", "…" if lo else ""), Part("dim", sentence[lo:i]), Part(role, word),
           Part("dim", sentence[i + len(word):hi])]
    if hi < len(sentence):
        out.append(Part("dim", "…"))
    return out


def spin_report(r: DiffResult, *, limit: int | None = 20, compact: bool = False,
                quote_width: int = 150, number_width: int = 100) -> list[Section]:
    """The spin report, section by section (those with nothing to say left
    out): the figures, substitutions (the first ``limit``; None: all, and a
    "more" line after them when some are left out), the count of minor
    changes, then the entity, quote, quoted phrase and number changes.
    ``compact`` (a narrow pane): the figures one to a row, items not
    indented."""
    ind = "" if compact else "  "
    out = [Section("stats", "", (Line((Part("plain", stats_text(r, compact)),)),))]
    subs = r.substitutions if limit is None else r.substitutions[:limit]
    if subs:
        out.append(Section("substitutions", f"Substitutions ({len(r.substitutions)})", tuple(
            Line((Part("plain", f"{ind}{s.count:>3}× "), *arrow_parts(s.frm, s.to)), ref=f"s{k}")
            for k, s in enumerate(subs))))
    if len(subs) < len(r.substitutions):
        out.append(Section("more", "", (Line(
            (Part("plain", f"  … {len(r.substitutions) - len(subs)} more"),), "dim"),)))
    minor = minor_text(r)
    if minor:
        out.append(Section("minor", "", (Line((Part("plain", ind + minor),), "dim"),)))
    if r.entity_changes:
        out.append(Section("entities", "Entities", tuple(
            Line((Part("plain", f"{e.label} " if compact else f"  {e.label:<7} "),
                  *arrow_parts(e.frm, e.to)), "dim" if compact else "plain", f"e{k}")
            for k, e in enumerate(r.entity_changes))))
    if r.quote_changes:
        out.append(Section("quotes", "Quotes", tuple(
            quote_line(q, quote_width, f"q{k}") for k, q in enumerate(r.quote_changes))))
    if r.phrase_changes:
        out.append(Section("phrases", "Quoted phrases", tuple(
            phrase_line(p, f"p{k}") for k, p in enumerate(r.phrase_changes))))
    if r.number_changes:
        out.append(Section("numbers", "Numbers and dates", tuple(
            number_line(n, number_width, f"n{k}") for k, n in enumerate(r.number_changes))))
    return out
