"""What changed between two versions of an article: aligned, word by word,
with a spin report.

1. The sentences are aligned by content (:mod:`index.text.align`: content-word
   overlap, the heaviest chain in order, 1-2 and 2-1 groups for split and
   merged sentences, moved sentences matched out of order); sentences left
   over are dropped (only in the first text) or added (only in the second);
   a sentence with no content words ("CNN", "—") pairs with the same
   sentence in the other text when there is one.
2. Inside each aligned group, a word-level diff (difflib, ``autojunk=False``,
   over words, whole numbers and amounts ("£1,400", "$280bn", "15%", "2.5kg") and
   punctuation marks): ``equal``, ``replace`` (a deletion next to an
   insertion is a substitution), ``delete``, ``insert``.
3. The spin report, built to be read without filtering:

   - substitutions: only replaced runs the alignment is sure of (between
     equal anchors or a sentence edge, of comparable length, the same
     punctuation on both sides, not function words on one side against
     content words on the other, no word of one run found elsewhere in the
     other sentence, no number on one side only). Runs that differ only in
     case ("CNN" → "cnn") or only in punctuation and spelling ("U.S." →
     "US") are counted apart;
   - number changes: numbers and amounts as whole tokens (:mod:`index.text.numbers`:
     "US$5m", "2.5kg", "-5"), number words, years, weekdays and months,
     compared by exact value ("four" = "4"), each with its sentence; in an
     aligned group paired by position through the word ops (swapped figures
     are two changes), elsewhere a value the other text has as often is
     never reported;
   - entity changes: a name replaced at the same place by a name of the same
     label that is not another name of the same referent (curated aliases,
     acronyms, a name inside the other: "US" = "United States", "Putin" =
     "Vladimir Putin");
   - quote changes (``Quote.kind == "quote"``): the changed words in an
     excerpt centred on the first change; phrase changes (``"phrase"``):
     a quoted term replaced at the same place, lost or added.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict, deque
from dataclasses import replace
from decimal import Decimal
from difflib import SequenceMatcher
from functools import lru_cache

from .comparisons import (
    DiffGroup,
    DiffResult,
    DiffStats,
    EntityChange,
    NumberChange,
    PhraseChange,
    QuoteChange,
    Substitution,
)
from .models import Annotations, Article, Entity, Quote
from .nlp.entities import norm
from .text.align import Alignment, align, layout
from .text.gazetteer import MONTHS, WEEKDAYS
from .text.numbers import AMOUNT, CURRENCY, DIGITS, SIGN, value
from .text.sentences import Sentence, sentences

# An amount is one token: currency, digits with their thousands separators and
# decimals, and a unit ("£1,400", "US$5m", "2.5kg", "15%"): :mod:`index.text.numbers`.
_TOKEN = re.compile(AMOUNT + r"|\w+(?:['’.\-]\w+)*|[^\w\s]")
_WORD_TOKEN = re.compile(AMOUNT + r"|\w+(?:['’.\-]\w+)*")  # _TOKEN's words only


def _wordlist(s: str) -> tuple[str, ...]:
    return tuple(s.split())


_PRONOUNS = {"he": "he", "she": "she", "him": "he", "her": "she", "his": "he", "hers": "she"}
SUBSTITUTION_MAX_WORDS = 4  # longer replaced runs are rewrites, not word substitutions
_SUB_TRIM = " \t\n,.;:!?\"“”‘’'()[]—–-"
# function words: a run of them against content words is an alignment artefact
# ("a" → "North Korea’s"), not a substitution
_FUNCTION = frozenset(_wordlist("""
a an the this that these those it its it's they them their theirs we us our you your i me my
he him his she her hers who whom whose which what there here
and or but nor so yet if as than then because while whether though although
of in on at by for with from to into onto upon over under about after before between through
during against among without within across toward towards around up down out off
is are was were be been being am has have had having do does did will would shall should can
could may might must not no don't doesn't didn't isn't aren't wasn't weren't won't can't
"""))


def diff_articles(a: Article, b: Article,
                  annotations: tuple[Annotations, Annotations] | None = None,
                  similarity: float | None = None) -> DiffResult:
    """Diff two articles; with their ``annotations``, the entity, quote and
    phrase changes too (see :func:`diff_texts`). ``similarity``: the pair's
    figure when it is known (a version pair's, verified without the
    corpus's boilerplate sentences), else the diff's own alignment's."""
    kw = {}
    if annotations is not None:
        ann_a, ann_b = annotations
        kw = {"ents_a": list(ann_a.entities), "ents_b": list(ann_b.entities),
              "quotes_a": ann_a.quoted, "quotes_b": ann_b.quoted}
    result = diff_texts(a.text, b.text, a_id=a.id, b_id=b.id, **kw)
    return result if similarity is None else replace(result, similarity=similarity)


def diff_texts(a: str, b: str, *, ents_a: list[Entity] | None = None,
               ents_b: list[Entity] | None = None, quotes_a: list[Quote] | None = None,
               quotes_b: list[Quote] | None = None, a_id: str = "", b_id: str = ""
               ) -> DiffResult:
    """Diff two article bodies; entities and quotes (when given) feed the
    entity, quote and phrase changes of the spin report. ``quotes_a`` and
    ``quotes_b`` may hold both kinds of :class:`Quote`: speech goes to the
    quote changes, phrases to the phrase changes."""
    sa, sb = sentences(a), sentences(b)
    al, pairs = _align(a, b, sa, sb)
    groups: list[DiffGroup] = []
    words_a = words_b = equal_words = 0
    tallies = {"sub": _Tally(), "case": _Tally(), "punct": _Tally()}
    subs, case, punct = tallies["sub"], tallies["case"], tallies["punct"]
    texts: list[tuple[str, str]] = []
    for ga, gb, moved in pairs:
        ta = _span_text(a, sa, ga)
        tb = _span_text(b, sb, gb)
        texts.append((ta, tb))
        ops, raw = _word_ops(ta, tb)
        k = len(groups)
        for kind, x, y in ops:
            nx, ny = len(_words(x)), len(_words(y))
            words_a += nx
            words_b += ny
            if kind == "equal":
                equal_words += nx
        if ga and gb and any(op[0] == "replace" for op in raw):
            folds = _Folds(raw, ta, tb)
            for tag, xm, ym in raw:
                if tag != "replace":
                    continue
                for what, fx, fy in _substitutions(xm, ym, ta, tb, folds):
                    tallies[what].add(fx, fy, k)
        groups.append(DiffGroup(tuple(ga), tuple(gb), moved, tuple(ops)))
    aligned_a = sum(len(g.a) for g in groups if g.a and g.b)
    aligned_b = sum(len(g.b) for g in groups if g.a and g.b)
    total_words = words_a + words_b
    stats = DiffStats(
        words_a=words_a, words_b=words_b,
        words_changed=round(1 - 2 * equal_words / total_words, 4) if total_words else 0.0,
        sentences_a=len(sa), sentences_b=len(sb),
        sentences_aligned=round((aligned_a + aligned_b) / (len(sa) + len(sb)), 4)
        if sa or sb else 1.0,
        moved=sum(1 for g in groups if g.moved),
        dropped=sum(len(g.a) for g in groups if not g.b),
        added=sum(len(g.b) for g in groups if not g.a),
        split_or_merged=sum(1 for g in groups if g.a and g.b and len(g.a) + len(g.b) > 2),
    )
    # the alignment's figure, as the version families report it; two texts
    # without content words are alike when their words are
    similarity = al.similarity if al.total else float(_words(a) == _words(b))
    ent_changes = _entity_changes(a, b, groups, sa, sb, ents_a, ents_b) \
        if ents_a is not None and ents_b is not None else []
    quote_changes: list[QuoteChange] = []
    phrase_changes: list[PhraseChange] = []
    if quotes_a is not None and quotes_b is not None:
        quote_changes = _quote_changes(
            a, b, groups, sa, sb, [q for q in quotes_a if q.kind != "phrase"],
            [q for q in quotes_b if q.kind != "phrase"])
        phrase_changes = _phrase_changes(
            a, b, groups, sa, sb, [q for q in quotes_a if q.kind == "phrase"],
            [q for q in quotes_b if q.kind == "phrase"])
    numbers = _number_changes(a, b, groups, sa, sb, texts)
    return DiffResult(a_id, b_id, similarity, tuple(groups), subs.result(),
                      tuple(ent_changes), tuple(quote_changes), tuple(numbers), stats,
                      tuple((s.start, s.end) for s in sa), tuple((s.start, s.end) for s in sb),
                      phrase_changes=tuple(phrase_changes), case_changes=case.result(),
                      punctuation_changes=punct.result())


class _Tally:
    """Pairs counted case-insensitively, shown in their most common spelling."""

    def __init__(self) -> None:
        self.n: Counter[tuple[str, str]] = Counter()
        self.surface: dict[tuple[str, str], Counter[tuple[str, str]]] = defaultdict(Counter)
        self.groups: dict[tuple[str, str], list[int]] = defaultdict(list)

    def add(self, fx: str, fy: str, k: int) -> None:
        key = (fx.lower(), fy.lower())
        self.n[key] += 1
        self.surface[key][(fx, fy)] += 1
        self.groups[key].append(k)

    def result(self) -> tuple[Substitution, ...]:
        out = []
        for key, n in sorted(self.n.items(), key=lambda kv: (-kv[1], kv[0])):
            fx, fy = self.surface[key].most_common(1)[0][0]
            out.append(Substitution(fx, fy, n, tuple(self.groups[key])))
        return tuple(out)


# ------------------------------------------------------------------ alignment
def _align(a: str, b: str, sa: list[Sentence], sb: list[Sentence]) -> tuple[Alignment, list]:
    """The sentences' alignment (:func:`index.text.align.align`, the one the
    version families use), and its groups in reading order with every
    sentence in one (:func:`index.text.align.layout`): a sentence without content
    words ("CNN", "—") pairs with the same sentence left in the other text."""
    al = align([s.tokens for s in sa], [s.tokens for s in sb])
    return al, layout(al, [None if s.tokens else _norm_sentence(a[s.start:s.end]) for s in sa],
                      [None if s.tokens else _norm_sentence(b[s.start:s.end]) for s in sb])


def _norm_sentence(s: str) -> str:
    return " ".join(s.split()).casefold()


def _span_text(text: str, ss: list[Sentence], idx: list[int]) -> str:
    if not idx:
        return ""
    return text[ss[min(idx)].start:ss[max(idx)].end]


def _words(s: str) -> list[str]:
    return _WORD_TOKEN.findall(s)


def _word_ops(ta: str, tb: str) -> tuple[list[tuple[str, str, str]], list]:
    """Word-level opcodes over words and punctuation; each op carries the
    original text of both sides (spacing kept). Also difflib's own opcodes,
    before the clean-up, as ``(tag, matches in ta, matches in tb)``: the
    substitutions are read from those."""
    if not tb:
        return ([("delete", ta, "")] if ta else []), []
    if not ta:
        return [("insert", "", tb)], []
    ma, mb = list(_TOKEN.finditer(ta)), list(_TOKEN.finditer(tb))
    xa, xb = [m.group() for m in ma], [m.group() for m in mb]
    # (equal sides: the one equal run difflib would find, without the search)
    codes = [("equal", 0, len(xa), 0, len(xb))] if xa and xa == xb else _opcodes(xa, xb)
    ops: list[tuple[str, str, str]] = []

    def piece(ms, text, i, j, nxt) -> str:
        if i == j:
            return ""
        start = ms[i].start() if i else 0
        end = ms[nxt].start() if nxt < len(ms) else len(text)
        return text[start:end]

    raw = []
    for tag, i1, i2, j1, j2 in codes:
        ops.append((tag, piece(ma, ta, i1, i2, i2), piece(mb, tb, j1, j2, j2)))
        raw.append((tag, ma[i1:i2], mb[j1:j2]))
    return _merge_small_equals(ops), raw


# difflib compares every token of one side with every equal token of the
# other: a pair of long, repetitive sides costs the product of their lengths
# for each matching block. Past this product (tokens, on a sentence pair far
# longer than news sentences: a 2,000-character list cut by the splitter),
# difflib's own heuristic for long sequences is used (autojunk: a token making
# up more than 1% of the second side does not start a match).
DIFF_CELLS = 250 * 250


def _matcher(xa: list[str], xb: list[str]) -> SequenceMatcher:
    return SequenceMatcher(None, xa, xb, autojunk=len(xa) * len(xb) > DIFF_CELLS)


_SWAPPED = {"insert": "delete", "delete": "insert"}


def _opcodes(xa: list[str], xb: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes from ``xa`` to ``xb``, the same whichever side comes
    first. difflib chooses among equally long matches by their place in its
    first sequence ("Kim Jong Un" or "in a luxury", three words each, where
    the two sentences put them in the other order), so a pair's ops, and its
    substitutions, would depend on the order it was given in. Both orders
    are tried; the one kept matches more tokens, else keeps its matches
    nearer the same relative place in both sides (a rewrite keeps its word
    order: "the build-up of its" → "its accumulation of" matches "of", not
    "its"), else starts from the side whose tokens sort first."""
    ab = _matcher(xa, xb).get_opcodes()
    ba = [(_SWAPPED.get(t, t), j1, j2, i1, i2)
          for t, i1, i2, j1, j2 in _matcher(xb, xa).get_opcodes()]
    la, lb = len(xa), len(xb)

    def rank(codes) -> tuple[int, int]:
        eq = [(i1, i2, j1) for t, i1, i2, j1, _j2 in codes if t == "equal"]
        # (displacement in integers, so that it is the same computed either way)
        return (-sum(i2 - i1 for i1, i2, _ in eq),
                sum((i2 - i1) * abs(i1 * lb - j1 * la) for i1, i2, j1 in eq))

    ra, rb = rank(ab), rank(ba)
    if ra != rb:
        return ab if ra < rb else ba
    return ab if xa <= xb else ba


def _merge_small_equals(ops: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Semantic clean-up: an equal run of a single short word or mark between
    two changes joins them ("the two dictators’ most important" vs "the two
    tyrants’ most estranged": one change, not three)."""
    out: list[tuple[str, str, str]] = []
    k = 0
    while k < len(ops):
        tag, x, y = ops[k]
        if (tag == "equal" and out and out[-1][0] != "equal" and k + 1 < len(ops)
                and ops[k + 1][0] != "equal" and len(_TOKEN.findall(x)) == 1
                and len(x.strip()) <= 3):
            _pt, px, py = out.pop()
            _nt, nx, ny = ops[k + 1]
            out.append(("replace", px + x + nx, py + y + ny))
            k += 2
            continue
        if out and tag != "equal" and out[-1][0] != "equal":
            _pt, px, py = out.pop()
            out.append(("replace", px + x, py + y))
        else:
            out.append((tag, x, y))
        k += 1
    return [(("delete" if not y else "insert" if not x else t), x, y) if t == "replace"
            else (t, x, y) for t, x, y in out]


# ------------------------------------------------------------ substitutions
def _is_word(t: str) -> bool:
    return t[0].isalnum() or t[0] == "_" or (len(t) > 1 and t[0] in "£$€¥-−")


def _is_function(w: str) -> bool:
    return (w.lower().replace("’", "'") in _FUNCTION
            and not (len(w) > 1 and w.isupper()))  # "US" is a name


_NOT_ALNUM = re.compile(r"[\W_]+")


@lru_cache(maxsize=1 << 16)
def _fold(w: str) -> str:
    """A word as the moved-word check compares it: lower case, no possessive."""
    w = w.lower().replace("’", "'")
    return w[:-2] if w.endswith("'s") else w


class _Folds:
    """How often each folded token occurs in the two sides of a group,
    counted on first use; and the two sides lower-cased, to see at once that
    a word is not there at all (the usual case)."""

    def __init__(self, raw: list, ta: str, tb: str) -> None:
        self.raw = raw
        self.sides: list[Counter] | None = None
        self.texts = (ta, tb)
        self.lowered: list[str | None] = [None, None]

    def has(self, side: int, folded: str) -> bool:
        low = self.lowered[side]
        if low is None:
            low = self.lowered[side] = self.texts[side].lower().replace("’", "'")
        return folded in low

    def __getitem__(self, side: int) -> Counter:
        if self.sides is None:
            self.sides = [Counter(map(_fold, (m.group() for _t, xm, _y in self.raw
                                               for m in xm))),
                          Counter(map(_fold, (m.group() for _t, _x, ym in self.raw
                                               for m in ym)))]
        return self.sides[side]


def _substitutions(xm: list[re.Match], ym: list[re.Match], ta: str, tb: str,
                   folds: _Folds) -> list[tuple[str, str, str]]:
    """The substitutions in a replaced run of an aligned group (``xm`` in
    ``ta`` replaced by ``ym`` in ``tb``): the run as a whole when sure, else,
    when both sides have as many words (at most SUBSTITUTION_MAX_WORDS: a
    longer run is a rewrite, whose words pair up by chance: "would likely be
    debated at the summit" → "will also include a debate on trade") and
    no punctuation, each word pair that is sure on its own, content words
    both ("a weak" → "Norway’s fragile": "weak" → "fragile")."""
    got = _substitution(xm, ym, ta, tb, folds)
    if got is not None:
        return [got]
    if SUBSTITUTION_MAX_WORDS >= len(xm) == len(ym) > 1 and all(
            _is_word(m.group()) for m in (*xm, *ym)):
        pairs = (_substitution([x], [y], ta, tb, folds) for x, y in zip(xm, ym, strict=True)
                 if not _is_function(x.group()) and not _is_function(y.group()))
        return [p for p in pairs if p is not None and p[0] == "sub"]
    return []


def _substitution(xm: list[re.Match], ym: list[re.Match], ta: str, tb: str,
                  folds: _Folds) -> tuple[str, str, str] | None:
    """What a replaced run of an aligned group is: a sure substitution
    ``("sub", from, to)``, a case-only (``"case"``) or punctuation/spelling-only
    (``"punct"``) change, or ``None`` (an alignment artefact, a rewrite, an
    insertion, or a number change). ``folds`` counts the group's words."""
    if len(xm) == len(ym) == 1:
        x, y = xm[0].group(), ym[0].group()
        if _is_word(x) and _is_word(y) and "’" not in x + y and "'" not in x + y:
            return _one_word(x, y, folds)  # the usual case, made quick
    xs, ys = [m.group() for m in xm], [m.group() for m in ym]
    wx, wy = [t for t in xs if _is_word(t)], [t for t in ys if _is_word(t)]

    def surface(text, ms) -> str:
        return text[ms[0].start():ms[-1].end()].strip(_SUB_TRIM) if ms else ""

    if not wx or not wy:
        if not wx and not wy:  # ", " → " – "
            return "punct", "".join(xs), "".join(ys)
        return None
    if "\n" in surface(ta, xm) or "\n" in surface(tb, ym):
        return None  # across paragraphs
    if [w.lower() for w in wx] == [w.lower() for w in wy]:
        return ("punct" if wx == wy else "case"), surface(ta, xm), surface(tb, ym)
    if _NOT_ALNUM.sub("", "".join(wx)).lower() == _NOT_ALNUM.sub("", "".join(wy)).lower():
        return "punct", surface(ta, xm), surface(tb, ym)  # "U.S." → "US"
    # difflib is case-sensitive: "The" / "Meanwhile, the" is an insertion (and
    # "Kong" / "Kong’s Town College" one after a possessive)
    i, j = 0, 0
    while i < len(xm) and i < len(ym) and _fold(xs[i]) == _fold(ys[i]):
        i += 1
    while j < len(xm) - i and j < len(ym) - i and _fold(xs[-1 - j]) == _fold(ys[-1 - j]):
        j += 1
    xm, ym = xm[i:len(xm) - j], ym[i:len(ym) - j]
    xs, ys = xs[i:len(xs) - j], ys[i:len(ys) - j]
    wx, wy = [t for t in xs if _is_word(t)], [t for t in ys if _is_word(t)]
    if not wx or not wy:
        return None
    # the same punctuation on both sides (a trailing comma aside: "But" →
    # "However,"): ", saying" → "on" or "whether" → "it. Whether" are not
    # substitutions but a sentence restructured around them
    px = [t for t in xs if not _is_word(t)]
    py = [t for t in ys if not _is_word(t)]
    if xs and xs[-1] == ",":
        px.pop()
    if ys and ys[-1] == ",":
        py.pop()
    if px != py:
        return None
    # numbers and dates are number changes; a number on one side only is a rewrite
    if any(_maybe_number(w) and _number_key(w) is not None for w in (*wx, *wy)):
        return None
    lx, ly = len(wx), len(wy)
    if max(lx, ly) > SUBSTITUTION_MAX_WORDS or max(lx, ly) > 2 * min(lx, ly) + 1:
        return None
    fx, fy = all(map(_is_function, wx)), all(map(_is_function, wy))
    if fx != fy and not lx == ly == 1:
        return None  # "a" → "North Korea’s"
    # a content word of one run that the other sentence has more often than
    # this one has outside the run: moved words, not a substitution ("been
    # elevated" → "taken relations", "relations" being earlier in the first)
    for words, run, side in ((wy, ym, 1), (wx, xm, 0)):
        content = {_fold(w) for w in words if not _is_function(w)}
        if not content:
            continue
        for w in content:
            if not folds.has(1 - side, w):
                continue
            inside = sum(1 for m in run if _fold(m.group()) == w)
            if folds[1 - side][w] > folds[side][w] - inside:
                return None
    return "sub", surface(ta, xm), surface(tb, ym)


def _one_word(x: str, y: str, folds: _Folds) -> tuple[str, str, str] | None:
    """_substitution for one word replaced by one word (no apostrophes)."""
    if x.lower() == y.lower():
        return "case", x.strip(_SUB_TRIM), y.strip(_SUB_TRIM)
    if _NOT_ALNUM.sub("", x).lower() == _NOT_ALNUM.sub("", y).lower():
        return "punct", x.strip(_SUB_TRIM), y.strip(_SUB_TRIM)
    if (_maybe_number(x) and _number_key(x) is not None) or (
            _maybe_number(y) and _number_key(y) is not None):
        return None
    for w, side in ((y.lower(), 1), (x.lower(), 0)):
        if w in _FUNCTION or not folds.has(1 - side, w):
            continue
        if folds[1 - side][w] > folds[side][w] - 1:
            return None
    return "sub", x.strip(_SUB_TRIM), y.strip(_SUB_TRIM)


# ------------------------------------------------------------------ numbers
_UNITS = _wordlist("zero one two three four five six seven eight nine ten eleven twelve "
                   "thirteen fourteen fifteen sixteen seventeen eighteen nineteen")
_TENS = _wordlist("twenty thirty forty fifty sixty seventy eighty ninety")
_NUMBER_WORDS: dict[str, Decimal] = {w: Decimal(i) for i, w in enumerate(_UNITS)}
_NUMBER_WORDS.update({w: Decimal(20 + 10 * i) for i, w in enumerate(_TENS)})
_NUMBER_WORDS.update({"dozen": Decimal(12), "hundred": Decimal(100), "thousand": Decimal(10**3),
                      "million": Decimal(10**6), "billion": Decimal(10**9)})
_WEEKDAYS = tuple(WEEKDAYS.split("|"))
_SCALE = {"k": Decimal(10**3), "thousand": Decimal(10**3), "m": Decimal(10**6),
          "million": Decimal(10**6), "bn": Decimal(10**9), "billion": Decimal(10**9),
          "tn": Decimal(10**12), "trillion": Decimal(10**12)}
_PERCENT = frozenset(("%", "per cent", "percent", "pc"))
# the months written out (the gazetteer's list has the abbreviations too)
_MONTH_NAMES = "|".join(m for m in MONTHS.split("|")
                        if not any(o != m and o.startswith(m) for o in MONTHS.split("|")))
_VERB_MONTHS = ("March", "May")  # months only next to a day's number (or another month)
_NUM = re.compile(
    r"(?P<date>\b(?:" + _MONTH_NAMES + r")\s\d{1,2}(?:st|nd|rd|th)?(?:,?\s\d{4})?\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s(?:" + _MONTH_NAMES + r")(?:,?\s\d{4})?\b)"
    r"|(?P<ordinal>(?<![\w.,])\d{1,4}(?:st|nd|rd|th)\b)"
    r"|(?P<amount>" + SIGN + r"?(?<![\w.,£$€¥])(?>(?:" + CURRENCY + r")?" + DIGITS +
    r"(?:\s?(?:%|per ?cent\b|percent\b)|\s(?:million|billion|trillion|thousand)\b"
    r"|[^\W\d_]+|°[CFcf]?)?)(?![\w£$€¥]))"
    r"|(?P<word>\b(?i:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b)"
    r"|(?P<day>\b(?:" + "|".join(_WEEKDAYS) + r")s?\b)"
    r"|(?P<month>\b(?:" + "|".join(m for m in _MONTH_NAMES.split("|") if m not in _VERB_MONTHS)
    + r")\b|\b(?:March|May)(?=\s\d)|(?<=\d\s)(?:March|May)\b)")
_AMOUNT = re.compile(r"([-−]?)(" + CURRENCY + r"|)(" + DIGITS + r")\s?(.*)", re.S)


def _maybe_number(w: str) -> bool:
    """Whether a word can be a number, amount or date at all (cheap)."""
    if w[0].isdigit() or w[-1].isdigit() or _HAS_DIGIT.search(w):
        return True
    w = w.lower()
    return w in _CANDIDATE_WORDS or (w.endswith("s") and w[:-2] in _CANDIDATE_WORDS)


def _number_key(s: str) -> tuple | None:
    """What a number, amount, number word, weekday or month means, as compared
    ("four" = "4", "15 per cent" = "15%", "3.5m" = "3.5 million"); ``None``
    for anything else."""
    s = re.sub(r"['’]s$", "", s)  # "Wednesday’s"
    if s in _VERB_MONTHS:  # a month only next to a day's number, in running text
        return ("month", s.lower())
    m = _NUM.fullmatch(s)
    if m is None:
        return None
    return _match_key(m)


def _match_key(m: re.Match) -> tuple:
    s = m.group()
    if m.group("date"):
        return ("date", " ".join(re.sub(r"(?<=\d)(?:st|nd|rd|th)|,", "", s).lower().split()))
    if m.group("ordinal"):
        return ("num", "", Decimal(s[:-2]), "th")  # "the 19th"
    if m.group("day"):
        return ("day", s.rstrip("s").lower())
    if m.group("month"):
        return ("month", s.lower())
    if m.group("word"):
        return ("num", "", _NUMBER_WORDS[s.lower()], "")
    sign, cur, digits, unit = _AMOUNT.fullmatch(s).groups()
    unit = " ".join(unit.lower().split())
    v = value(digits)  # exact: a Decimal, or the digits as written ("12.03.2024")
    if sign:
        v = -v if not isinstance(v, str) else "-" + v
    if unit in _SCALE and not isinstance(v, str):
        v *= _SCALE[unit]
        unit = ""
    elif unit in _PERCENT:
        unit = "%"
    # (four digits read before int(): a run of thousands of digits is no year,
    # and int() refuses to read more than 4,300)
    if (not sign and not cur and not unit and len(digits) == 4 and digits.isdigit()
            and 1000 <= int(digits) <= 2100):
        return ("year", "", v, "")
    return ("num", cur, v, unit)


def _kind(key: tuple, surface: str) -> str:
    if key[0] in ("day", "month", "year", "date"):
        return {"day": "weekday"}.get(key[0], key[0])
    if key[3] == "th":
        return "number"
    if key[1] or key[3] or not (surface[:1].isalpha() or surface[-1:].isdigit()):
        return "amount"  # a currency, a unit or a scale: "£1,400", "15%", "3.5m"
    return "number"


_ALPHA = re.compile(r"[A-Za-z]+")
_CANDIDATE_WORDS = frozenset((*_NUMBER_WORDS, *(w.lower() for w in _WEEKDAYS),
                              *(w.lower() + "s" for w in _WEEKDAYS),
                              *_MONTH_NAMES.lower().split("|")))


_DIGITS = re.compile(r"[-−]?(?:" + CURRENCY + r")?\d+")
_HAS_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=256)
def _word_at(word: str) -> re.Pattern:
    return re.compile(word + r"\b")


_YEAR_BEFORE = re.compile(r"(?:\b(?:in|since|by|of|until|till|from|before|after|during|"
                          + _MONTH_NAMES + r")|\d{1,2}(?:st|nd|rd|th)?),?\s+$", re.I)
_PLURAL_AFTER = re.compile(r"\s+(?!(?:is|was|has|as|this|its|his|us|yes|thus|plus|less)\b)"
                           r"[a-z]+s\b")


def _year_here(text: str, start: int, end: int) -> bool:
    """Whether a plain number from 1000 to 2100 is a year where it stands: not
    when a plural noun follows ("1500 troops"), unless the words before say
    it is ("in 1500 soldiers marched", "May 2020")."""
    if _YEAR_BEFORE.search(text, max(0, start - 20), start):
        return True
    return _PLURAL_AFTER.match(text, end) is None


def _numbers_in(text: str) -> list[tuple[tuple, str, int]]:
    """(key, surface, position) of each number, amount or date of ``text``,
    in order. The number pattern is tried only where a number can start: at
    a run of digits, or at one of the few number words, weekdays and months
    the text has (searched as plain words, which the regex engine finds
    fast; the whole pattern searched everywhere is several times slower)."""
    starts = []
    for m in _DIGITS.finditer(text):
        s = m.start()
        if text[s] in "-−" and s and (text[s - 1].isalnum() or text[s - 1] in "_.,"):
            s += 1  # the dash of a range or a score ("10-15", "3-1"), not a sign
        if not s or not (text[s - 1].isalnum() or text[s - 1] in "_.,"):
            starts.append(s)
    for w in {w for w in set(_ALPHA.findall(text)) if w.lower() in _CANDIDATE_WORDS}:
        for m in _word_at(w).finditer(text):
            s = m.start()
            if not s or not (text[s - 1].isalnum() or text[s - 1] == "_"):
                starts.append(s)
    starts.sort()
    out = []
    end = 0
    match = _NUM.match
    for s in starts:
        if s < end:
            continue  # inside the number just found ("May 16, 2024")
        d = match(text, s)
        if d is not None:
            key = _match_key(d)
            if key[0] == "year" and not _year_here(text, s, d.end()):
                key = ("num", "", key[2], "")  # "1500 troops"
            out.append((key, d.group(), s))
            end = d.end()
    return out


def _number_changes(a: str, b: str, groups: list[DiffGroup], sa, sb,
                    texts: list[tuple[str, str]]) -> list[NumberChange]:
    """Numbers, amounts and dates that differ, each with its sentence.

    In an aligned group they are paired by position through the word ops: a
    number of a replaced run against a number of the same kind in what
    replaced it ("Some 20 people died and 30 were hurt" → "Some 30 … and 20
    …": both are changes); what is left of the group's side (deleted,
    inserted, or unpaired) is paired by kind in order, a value on both sides
    of the group cancelling out. Sentences that did not align (dropped,
    added, or moved and rewritten) keep the article-wide rule: a value the
    other text has as often overall is never reported. A lone number word
    ("one") is reported only in a pair."""
    all_a, all_b = _numbers_in(a), _numbers_in(b)
    pos_a, pos_b = [x[2] for x in all_a], [x[2] for x in all_b]
    budget_gone = Counter(k for k, _, _ in all_a)
    budget_new = Counter(k for k, _, _ in all_b)
    budget_gone, budget_new = budget_gone - budget_new, budget_new - budget_gone

    def within(items, pos, lo, hi):
        return items[bisect_left(pos, lo):bisect_left(pos, hi)]

    def span(ss, idx):
        return ss[min(idx)].start, ss[max(idx)].end

    out: list[NumberChange] = []

    def change(k, it_a, it_b, ctx_a, ctx_b):
        sen_a, off_a = _sentence_and_offset(a, sa, it_a[2]) if it_a else (ctx_a, None)
        sen_b, off_b = _sentence_and_offset(b, sb, it_b[2]) if it_b else (ctx_b, None)
        first = it_a or it_b
        out.append(NumberChange(it_a[1] if it_a else None, it_b[1] if it_b else None, k,
                                _kind(first[0], first[1]), sen_a, sen_b, (off_a, off_b)))

    def report(k, gone, new, ctx_a, ctx_b, pairs=()):
        for it_a, it_b in pairs:
            change(k, it_a, it_b, ctx_a, ctx_b)
        for it in gone:
            match = next((m for m in new if m[0][0] == it[0][0]), None)
            if match is not None:
                new.remove(match)
                change(k, it, match, ctx_a, ctx_b)
            elif _reportable_alone(it[0], it[1]):
                change(k, it, None, ctx_a, ctx_b)
        for it in new:
            if _reportable_alone(it[0], it[1]):
                change(k, None, it, ctx_a, ctx_b)

    for k, (g, (ta, tb)) in enumerate(zip(groups, texts, strict=True)):
        if not g.changed:
            continue
        ctx_a = " ".join(ta.split()) if g.a else None
        ctx_b = " ".join(tb.split()) if g.b else None
        if g.a and g.b:
            pa, pb = span(sa, g.a)[0], span(sb, g.b)[0]
            pairs, gone, new = [], [], []
            ranges = []  # each op's character ranges in a and in b
            for kind, x, y in g.ops:
                ranges.append((kind, pa, pa + len(x), pb, pb + len(y), x, y))
                pa += len(x)
                pb += len(y)
            # each number goes to the first changed op it overlaps ("May 16,
            # 2024" → "May 17, 2024" starts in an equal op); one that overlaps
            # none is unchanged
            per_op: list[tuple[list, list]] = [([], []) for _ in ranges]
            for side, items, pos in ((0, all_a, pos_a), (1, all_b, pos_b)):
                lo, hi = span(sa, g.a) if side == 0 else span(sb, g.b)
                for it in within(items, pos, lo, hi):
                    end = it[2] + len(it[1])
                    for n, r in enumerate(ranges):
                        r0, r1 = r[1 + 2 * side], r[2 + 2 * side]
                        if r[0] != "equal" and r0 < end and (r1 > it[2] if r1 > r0
                                                            else r0 > it[2]):
                            per_op[n][side].append(it)
                            break
            for (kind, a0, _a1, b0, _b1, x, y), (xa, xb) in zip(ranges, per_op, strict=True):
                if kind == "replace":  # "in May" → "in June": May is a month here
                    xa, xb = _bare_months(x, a0, xa, xb), _bare_months(y, b0, xb, xa)
                if not xa and not xb:
                    continue
                if (len(xa) == len(xb) > 1 and Counter(it[0] for it in xa) == Counter(
                        it[0] for it in xb)):  # "20 to 30" → "30 to 20": by position
                    pairs += [(x_, y_) for x_, y_ in zip(xa, xb, strict=True)
                              if x_[0] != y_[0] and x_[0][0] == y_[0][0]]
                    continue
                xa, xb = _cancel(xa, xb)
                for it in list(xa):
                    match = next((m for m in xb if m[0][0] == it[0][0]), None)
                    if match is not None:
                        xa.remove(it)
                        xb.remove(match)
                        pairs.append((it, match))
                gone += xa
                new += xb
            gone, new = _cancel(gone, new)
            report(k, gone, new, ctx_a, ctx_b, pairs)
            continue
        if not budget_gone and not budget_new:
            continue
        xa = within(all_a, pos_a, *span(sa, g.a)) if g.a else []
        xb = within(all_b, pos_b, *span(sb, g.b)) if g.b else []
        gone = [it for it in xa if budget_gone[it[0]] > 0]
        new = [it for it in xb if budget_new[it[0]] > 0]
        for it in gone:
            budget_gone[it[0]] -= 1
        for it in new:
            budget_new[it[0]] -= 1
        report(k, gone, new, ctx_a, ctx_b)
    return out


_BARE_MONTH = re.compile(r"\b(?:" + "|".join(_VERB_MONTHS) + r")\b")


def _bare_months(text: str, start: int, mine: list, other: list) -> list:
    """``mine`` with the bare "May" and "March" of ``text`` (a replaced run
    starting at ``start``) as months, when the run that replaced it (whose
    numbers are ``other``) has a month: alone they are too often a verb."""
    if not any(it[0][0] == "month" for it in other) or "Ma" not in text:
        return mine
    known = {it[2] for it in mine}
    extra = [(("month", m.group().lower()), m.group(), start + m.start())
             for m in _BARE_MONTH.finditer(text) if start + m.start() not in known]
    return sorted([*mine, *extra], key=lambda it: it[2]) if extra else mine


def _as_value(key: tuple) -> tuple:
    """A year as the plain number it also is ("2,000" = "2000")."""
    return ("num", *key[1:]) if key[0] == "year" else key


def _cancel(xa: list, xb: list) -> tuple[list, list]:
    """Both sides without the values they share (as often as they share
    them); of equal values, the spelling the other side lacks is the one
    that goes ("two" → "three" beside an unchanged "Two")."""
    common = Counter(_as_value(it[0]) for it in xa) & Counter(_as_value(it[0]) for it in xb)
    if not common:
        return list(xa), list(xb)
    kept = []
    for items, other in ((xa, xb), (xb, xa)):
        left = Counter(common)
        spelled = {it[1] for it in other}
        drop = set()
        for n, it in sorted(enumerate(items), key=lambda p: (p[1][1] not in spelled, p[0])):
            if left[_as_value(it[0])] > 0:
                left[_as_value(it[0])] -= 1
                drop.add(n)
        kept.append([it for n, it in enumerate(items) if n not in drop])
    return kept[0], kept[1]


def _reportable_alone(key: tuple, surf: str) -> bool:
    """A number on one side only is reported unless it is a lone number word."""
    return key[0] != "num" or bool(key[1]) or bool(_HAS_DIGIT.search(surf))


def _sentence_and_offset(text: str, ss: list[Sentence], pos: int
                         ) -> tuple[str | None, int | None]:
    """The sentence holding ``pos`` as :func:`_sentence_at` gives it (spaces
    folded) and where ``pos`` falls in it."""
    k = bisect_right(ss, pos, key=lambda s: s.start) - 1
    if k >= 0 and pos < ss[k].end:
        s = ss[k]
        return (" ".join(text[s.start:s.end].split()),
                len(" ".join((text[s.start:pos] + "x").split())) - 1)
    return None, None


def _sentence_at(text: str, ss: list[Sentence], pos: int) -> str | None:
    return _sentence_and_offset(text, ss, pos)[0]


# ----------------------------------------------------------------- entities
_NAME_LABELS = frozenset(("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT",
                          "WORK_OF_ART", "LAW"))
# words of letters, with "'", "’", "&" or "." inside one ("O'Brien", "AT&T", "U.S.")
_NAME_WORD = r"[^\W\d_]+(?:['’&.][^\W\d_]+)*\.?"
_NAME = re.compile(_NAME_WORD + r"(?:[\s\-]" + _NAME_WORD + r")*")
# Other names of one place or organisation (general knowledge, not from any
# corpus), capitals as their governments included ("Pyongyang said").
_ALIAS_GROUPS = (
    ("united states", "united states of america", "us", "usa", "america", "washington"),
    ("united kingdom", "uk", "britain", "great britain", "london"),
    ("european union", "eu"), ("united nations", "un"),
    ("russia", "russian federation", "moscow", "kremlin"),
    ("china", "people's republic of china", "prc", "mainland china", "beijing"),
    ("north korea", "dprk", "democratic people's republic of korea", "pyongyang"),
    ("south korea", "republic of korea", "rok", "seoul"),
    ("soviet union", "ussr"), ("japan", "tokyo"), ("ukraine", "kyiv", "kiev"),
    ("france", "paris"), ("germany", "berlin"), ("iran", "tehran", "islamic republic of iran"),
    ("india", "new delhi"), ("canada", "ottawa"), ("australia", "canberra"),
    ("italy", "rome"), ("spain", "madrid"), ("turkey", "turkiye", "ankara"),
    ("netherlands", "holland"), ("czech republic", "czechia"), ("myanmar", "burma"),
    ("ivory coast", "cote d'ivoire"), ("united arab emirates", "uae"),
    ("nato", "north atlantic treaty organization", "north atlantic treaty organisation"),
    ("world health organization", "world health organisation", "who"),
    ("international monetary fund", "imf"), ("world trade organization", "wto"),
    ("federal bureau of investigation", "fbi"), ("central intelligence agency", "cia"),
    ("british broadcasting corporation", "bbc"),
)
_ALIAS = {name: k for k, group in enumerate(_ALIAS_GROUPS) for name in group}
_ACRONYM_SKIP = frozenset(("of", "the", "and", "for", "&"))


@lru_cache(maxsize=4096)
def _canon(name: str) -> str:
    n = norm(name).replace(".", "")
    n = re.sub(r"'s$", "", n)
    n = re.sub(r"^the ", "", n)
    return " ".join(n.split())


def _acronym(name: str) -> str:
    words = [w for w in _canon(name).split() if w not in _ACRONYM_SKIP]
    return "".join(w[0] for w in words) if len(words) >= 2 else ""


@lru_cache(maxsize=1 << 14)
def same_referent(x: str, y: str, label: str = "") -> bool:
    """Whether two names of one label can name the same person, place or
    organisation: spelling, a curated alias ("Britain" = "UK"), an acronym of
    the other ("NSC" = "National Security Council"), or one name inside the
    other where what is left over is not a name ("Cold War" = "a Cold War";
    for people any part: "Putin" = "Vladimir Putin")."""
    cx, cy = _canon(x), _canon(y)
    if cx == cy:
        return True
    # the alias table names places and organisations, never people (PERSON
    # "Washington" is not the US)
    gx, gy = (None, None) if label == "PERSON" else (_ALIAS.get(cx), _ALIAS.get(cy))
    if gx is not None and gx == gy:
        return True
    if cx.replace(" ", "") == _acronym(y) or cy.replace(" ", "") == _acronym(x):
        return True
    wx, wy = x.replace("’", "'").split(), y.replace("’", "'").split()
    short, long_ = (wx, wy) if len(wx) <= len(wy) else (wy, wx)
    fs = [_canon(w) for w in short]
    fl = [_canon(w) for w in long_]
    if label == "PERSON":
        return set(fs) <= set(fl)
    for i in range(len(fl) - len(fs) + 1):
        if fl[i:i + len(fs)] == fs:
            rest = long_[:i] + long_[i + len(fs):]
            return all(not w[:1].isupper() for w in rest)
    return False


def _forms(e: Entity) -> tuple[str, ...]:
    return (e.name, *e.aliases)


def _entity_changes(a: str, b: str, groups: list[DiffGroup], sa, sb, ents_a, ents_b
                    ) -> list[EntityChange]:
    """Names replaced at the same place of an aligned group (a mention of the
    first text inside a replaced run, a mention of the second inside what
    replaced it) by a name of the same label that is not another name of the
    same referent."""
    ma = sorted(((s, e_, ent) for ent in ents_a if ent.label in _NAME_LABELS
                 for s, e_ in ent.mentions), key=lambda m: m[0])
    mb = sorted(((s, e_, ent) for ent in ents_b if ent.label in _NAME_LABELS
                 for s, e_ in ent.mentions), key=lambda m: m[0])
    starts_a, starts_b = [m[0] for m in ma], [m[0] for m in mb]
    found: dict[tuple[str, str, str], list[int]] = {}

    def changed(e: Entity, others) -> bool:
        """A name, not another name of one the other side's group has."""
        return bool(_NAME.fullmatch(e.name)) and not any(
            same_referent(f, h, e.label) for m in others for f in _forms(e)
            for h in _forms(m[2]))

    def pair(ea: Entity, eb: Entity, k: int) -> None:
        paired.update((id(ea), id(eb)))  # the group's names already paired
        ks = found.setdefault((ea.label, ea.name, eb.name), [])
        if k not in ks:
            ks.append(k)

    for k, g in enumerate(groups):
        if not g.a or not g.b or not g.changed:
            continue
        a0, a1 = sa[min(g.a)].start, sa[max(g.a)].end
        b0, b1 = sb[min(g.b)].start, sb[max(g.b)].end
        in_a = ma[bisect_left(starts_a, a0):bisect_left(starts_a, a1)]
        in_b = mb[bisect_left(starts_b, b0):bisect_left(starts_b, b1)]
        if not in_a or not in_b:
            continue
        pa, pb = a0, b0
        gone_all: list[Entity] = []
        new_all: list[Entity] = []
        paired: set[int] = set()
        for kind, x, y in g.ops:
            if kind != "equal":
                gone = [m[2] for m in in_a if m[0] < pa + len(x.rstrip()) and m[1] > pa]
                new = [m[2] for m in in_b if m[0] < pb + len(y.rstrip()) and m[1] > pb]
                gone = [e for e in gone if changed(e, in_b)]
                new = [e for e in new if changed(e, in_a)]
                # a name grown or cut by the insertion or deletion next to it
                # ("Sudan" → "South Sudan", "North Korea" → "Korea")
                if kind in ("insert", "delete"):
                    grown, other, pos = ((new, in_a, pa) if kind == "insert"
                                         else (gone, in_b, pb))
                    for e in list(grown):
                        o = _grown(e, [m for m in other if _next_to(m, pos)])
                        if o is not None:
                            grown.remove(e)
                            pair(*((o, e) if kind == "insert" else (e, o)), k)
                gone_all += gone
                new_all += new
                for ea in gone:
                    eb = next((e for e in new if e.label == ea.label), None)
                    if eb is not None:
                        new.remove(eb)
                        pair(ea, eb, k)
            pa += len(x)
            pb += len(y)
        # a name moved within the sentence as it changed ("Liu, of City
        # University, said …" → "…, said Liu at Town College"): the one name of
        # its label gone and the one new, when both are alone
        left_a = {id(e): e for e in gone_all if id(e) not in paired}
        left_b = {id(e): e for e in new_all if id(e) not in paired}
        for label in {e.label for e in left_a.values()}:
            ga_ = [e for e in left_a.values() if e.label == label]
            gb_ = [e for e in left_b.values() if e.label == label]
            if len(ga_) == 1 and len(gb_) == 1:
                pair(ga_[0], gb_[0], k)
    return [EntityChange(lab, x, y, tuple(ks)) for (lab, x, y), ks in found.items()]


def _next_to(m: tuple, pos: int) -> bool:
    """Whether a mention starts or ends at ``pos`` (a space between allowed)."""
    return pos <= m[0] <= pos + 1 or pos - 1 <= m[1] <= pos


def _grown(e: Entity, beside: list[tuple]) -> Entity | None:
    """The mention next to an insertion (or deletion) that ``e`` grew from
    (or was cut to): same label, a name inside ``e``'s ("Sudan" in "South
    Sudan", not "Smith" beside an added "Jones and"), and not the same
    referent."""
    inner = f" {_canon(e.name)} "
    for m in beside:
        o = m[2]
        if o.label == e.label and _NAME.fullmatch(o.name) and (
                f" {_canon(o.name)} " in inner) and not any(
                same_referent(f, h, e.label) for f in _forms(e) for h in _forms(o)):
            return o
    return None


# ------------------------------------------------------------------- quotes
class _Locator:
    """Which group holds a character of either text (by bisection)."""

    def __init__(self, groups: list[DiffGroup], sa, sb) -> None:
        self.spans = {}
        for side, ss in (("a", sa), ("b", sb)):
            rows = sorted((ss[min(idx)].start, ss[max(idx)].end, k)
                          for k, g in enumerate(groups) if (idx := g.a if side == "a" else g.b))
            self.spans[side] = ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])

    def of(self, pos: int, side: str) -> int | None:
        starts, ends, ks = self.spans[side]
        i = bisect_right(starts, pos) - 1
        return ks[i] if i >= 0 and pos < ends[i] else None


QUOTES_COMPARED = 8  # quotes of the other side compared, on either side of a quote's rank


def _quote_changes(a: str, b: str, groups: list[DiffGroup], sa, sb, quotes_a, quotes_b
                   ) -> list[QuoteChange]:
    """Each quote of the first text against the quotes of its group's other
    side (found by bisection): the same words if they are there, else the
    most similar of the QUOTES_COMPARED nearest in rank on either side (a
    sentence of hundreds of quotes compares each with a few, not all)."""
    out: list[QuoteChange] = []
    used_b: set[int] = set()
    loc = _Locator(groups, sa, sb)
    order = sorted(range(len(quotes_b)), key=lambda n: quotes_b[n].start)
    starts = [quotes_b[n].start for n in order]
    reach: list[int] = []  # the furthest end of the quotes up to each rank
    for n in order:
        reach.append(max(reach[-1], quotes_b[n].end) if reach else quotes_b[n].end)
    words_b = [_words(qb.text.lower()) for qb in quotes_b]
    rank_a: dict[int | None, int] = defaultdict(int)
    for q in quotes_a:
        k = loc.of(q.start, "a")
        g = groups[k] if k is not None else None
        match = None
        rank = rank_a[k]
        rank_a[k] += 1
        if g is not None and g.b:
            lo, hi = sb[min(g.b)].start, sb[max(g.b)].end
            r0, r1 = bisect_left(starts, lo), bisect_left(starts, hi)
            cands = list(order[r0:r1])  # starting in the group
            i = r0 - 1
            while i >= 0 and reach[i] > lo:  # or running into it
                if quotes_b[order[i]].end > lo:
                    cands.append(order[i])
                i -= 1
            cands = sorted(n for n in cands if n not in used_b)
            words = _words(q.text.lower())
            match = next((n for n in cands if words_b[n] == words), None)
            if match is None:
                best = 0.0
                for n in cands[max(0, rank - QUOTES_COMPARED):rank + QUOTES_COMPARED + 1]:
                    r = _matcher(words, words_b[n]).ratio()
                    if r > best:
                        best, match = r, n
        if match is None:
            out.append(QuoteChange("lost", q.speaker, q.text, None, q.speaker, None, k))
            continue
        used_b.add(match)
        qb = quotes_b[match]
        gender = _gender_change(a, b, q, qb)
        if _words(q.text) != _words(qb.text):
            excerpt, changes = _excerpt(q.text, qb.text)
            out.append(QuoteChange("words", q.speaker, q.text, qb.text, qb.speaker, gender, k,
                                   excerpt, changes))
        elif (q.speaker or "") != (qb.speaker or "") or gender:
            out.append(QuoteChange("speaker", q.speaker, q.text, qb.text, qb.speaker, gender, k))
    for n, qb in enumerate(quotes_b):
        if n not in used_b:
            k = loc.of(qb.start, "b")
            out.append(QuoteChange("added", qb.speaker, None, qb.text, qb.speaker, None, k))
    return out


EXCERPT_BEFORE = 40  # characters of context before a quote's first change
EXCERPT_WIDTH = 150  # characters an excerpt runs to, at most (its first change whole)


def _excerpt(x: str, y: str) -> tuple[tuple[tuple[str, str, str], ...],
                                      tuple[tuple[str, str], ...]]:
    """A quote's word-level diff around its first change (cut with "…"), and
    all its changed words."""
    x, y = " ".join(x.split()), " ".join(y.split())
    ops, _raw = _word_ops(x, y)
    changes = tuple((p.strip(), q.strip()) for kind, p, q in ops if kind != "equal")
    first = next((i for i, op in enumerate(ops) if op[0] != "equal"), None)
    if first is None:
        return (), changes
    out: list[tuple[str, str, str]] = []
    if first:
        _k, p, q = ops[first - 1]
        if len(p) > EXCERPT_BEFORE:
            p = p[p.find(" ", len(p) - EXCERPT_BEFORE) + 1:]
            q = q[q.find(" ", len(q) - EXCERPT_BEFORE) + 1:]
            out.append(("equal", "…", "…"))
        out.append(("equal", p, q))
    used = sum(max(len(p), len(q)) for _k, p, q in out)
    for n in range(first, len(ops)):
        kind, p, q = ops[n]
        size = max(len(p), len(q))
        if n > first and used + size > EXCERPT_WIDTH:
            if kind == "equal" and EXCERPT_WIDTH - used > 12:
                cut = EXCERPT_WIDTH - used
                p = p[:max(p.rfind(" ", 0, cut), 1)]
                q = q[:max(q.rfind(" ", 0, cut), 1)]
                out.append(("equal", p + " ", q + " "))
            out.append(("equal", "…", "…"))
            break
        out.append((kind, p, q))
        used += size
    return tuple(out), changes


def _cue_pronoun(text: str, q: Quote) -> str | None:
    """he or she in the attribution right after a quote (", she said")."""
    tail = text[q.end:q.end + 40].split("\n", 1)[0]
    for w in re.findall(r"[A-Za-z]+", tail)[:4]:
        p = _PRONOUNS.get(w.lower())
        if p:
            return p
    return None


def _gender_change(a: str, b: str, qa: Quote, qb: Quote) -> str | None:
    pa, pb = _cue_pronoun(a, qa), _cue_pronoun(b, qb)
    if pa and pb and pa != pb:
        return f"{pa} → {pb}"
    return None


# ------------------------------------------------------------------ phrases
def _phrase_changes(a: str, b: str, groups: list[DiffGroup], sa, sb, phrases_a, phrases_b
                    ) -> list[PhraseChange]:
    """Quoted phrases of aligned sentences: the same phrase on both sides is
    no change; what is left is paired by position in the group (where the
    first text's phrase maps to through the word ops), not by shared words:
    "turning point" → "watershed moment"; the rest are lost or added."""
    loc = _Locator(groups, sa, sb)
    where_a = [loc.of(q.start, "a") for q in phrases_a]
    where_b = [loc.of(q.start, "b") for q in phrases_b]
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs: list[tuple[int, int]] = []
    key = [" ".join(_words(q.text.lower())) for q in phrases_a]
    key_b = [" ".join(_words(q.text.lower())) for q in phrases_b]
    # (phrases of the second text indexed by group and words, and by group:
    # each phrase finds its match by a look-up, not by going through all)
    same: dict[tuple[int, str], deque[int]] = defaultdict(deque)
    for j, kb in enumerate(where_b):
        if kb is not None:
            same[kb, key_b[j]].append(j)
    for i, ka in enumerate(where_a):
        if ka is not None and same.get((ka, key[i])):
            used_a.add(i)
            used_b.add(same[ka, key[i]].popleft())
    free: dict[int, list[tuple[int, int]]] = defaultdict(list)  # group -> [(start, j)]
    for j, kb in enumerate(where_b):
        if j not in used_b:
            free[kb].append((phrases_b[j].start, j))
    for f in free.values():
        f.sort()
    offsets: dict[int, tuple[list[int], list[int]]] = {}
    for i, q in enumerate(phrases_a):
        k = where_a[i]
        if i in used_a or k is None or not groups[k].b:
            continue
        g = groups[k]
        cands = free.get(k)
        if not cands:
            continue
        if k not in offsets:
            offsets[k] = _op_offsets(g)
        target = _map_offset(g, q.start - sa[min(g.a)].start, offsets[k]) + sb[min(g.b)].start
        # the nearest to the target (the first on a tie)
        n = bisect_left(cands, (target, -1))
        left = bisect_left(cands, (cands[n - 1][0], -1)) if n else None
        n = min((m for m in (left, n) if m is not None and m < len(cands)),
                key=lambda m: (abs(cands[m][0] - target), cands[m][1]))
        j = cands.pop(n)[1]
        used_a.add(i)
        used_b.add(j)
        pairs.append((i, j))
    paired = dict(pairs)
    out: list[PhraseChange] = []
    for i, q in enumerate(phrases_a):
        j = paired.get(i)
        if j is not None:
            qb = phrases_b[j]
            out.append(PhraseChange("changed", q.text, qb.text, q.speaker, qb.speaker,
                                    where_a[i], _sentence_at(a, sa, q.start),
                                    _sentence_at(b, sb, qb.start)))
        elif i not in used_a:
            out.append(PhraseChange("lost", q.text, None, q.speaker, None, where_a[i],
                                    _sentence_at(a, sa, q.start), None))
    for j, qb in enumerate(phrases_b):
        if j not in used_b:
            out.append(PhraseChange("added", None, qb.text, None, qb.speaker, where_b[j],
                                    None, _sentence_at(b, sb, qb.start)))
    out.sort(key=lambda p: (p.group if p.group is not None else 1 << 30))
    return out


def _op_offsets(g: DiffGroup) -> tuple[list[int], list[int]]:
    """Where each op of a group starts on either side (and, last on the
    second, where the group ends)."""
    sa, sb, pa, pb = [], [], 0, 0
    for _kind, x, y in g.ops:
        sa.append(pa)
        sb.append(pb)
        pa += len(x)
        pb += len(y)
    sb.append(pb)
    return sa, sb


def _map_offset(g: DiffGroup, pos: int,
                offsets: tuple[list[int], list[int]] | None = None) -> int:
    """Where a character offset of the group's first side falls in its second
    (``offsets``: :func:`_op_offsets` of the group, to find its op by
    bisection)."""
    if offsets is not None and pos >= 0:
        sa, sb = offsets
        n = bisect_right(sa, pos) - 1
        while n >= 0 and not g.ops[n][1]:
            n -= 1  # an op with nothing on the first side holds no offset of it
        if n < 0 or pos >= sa[n] + len(g.ops[n][1]):
            return sb[-1]
        kind, _x, y = g.ops[n]
        return sb[n] + (min(pos - sa[n], len(y)) if kind == "equal" else 0)
    pa = pb = 0
    for kind, x, y in g.ops:
        if pos < pa + len(x):
            return pb + (min(pos - pa, len(y)) if kind == "equal" else 0)
        pa += len(x)
        pb += len(y)
    return pb
