"""What changed between two versions of an article: aligned, word by word,
with a spin report.

1. The sentences are aligned by content (:mod:`index.align`: content-word
   overlap, the heaviest chain in order, 1-2 and 2-1 groups for split and
   merged sentences, moved sentences matched out of order); sentences left
   over are dropped (only in the first text) or added (only in the second);
   a sentence with no content words ("CNN", "—") pairs with the same
   sentence in the other text when there is one.
2. Inside each aligned group, a word-level diff (difflib, ``autojunk=False``,
   over words and punctuation marks): ``equal``, ``replace`` (a deletion next
   to an insertion is a substitution), ``delete``, ``insert``.
3. The spin report: the substitution pairs with their counts, entities of one
   text replaced by another in the aligned sentence of the other ("Yun Sun"
   → "Yun Soler"), quotes whose words or speaker changed or that were lost,
   numbers and dates that differ, and the overall figures.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from difflib import SequenceMatcher

from .align import align
from .entities import norm
from .models import (
    DiffGroup,
    DiffResult,
    DiffStats,
    Entity,
    EntityChange,
    NumberChange,
    Quote,
    QuoteChange,
    Substitution,
)
from .sentences import Sentence, sentences

_TOKEN = re.compile(r"\w+(?:['’.\-]\w+)*|[^\w\s]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:\s?(?:%|percent|per cent))?")
_PRONOUNS = {"he": "he", "she": "she", "him": "he", "her": "she", "his": "he", "hers": "she"}
SUBSTITUTION_MAX_WORDS = 4  # longer replaced runs are rewrites, not word substitutions
_SUB_TRIM = " \t\n,.;:!?\"“”‘’'()[]—–-"


def diff_texts(a: str, b: str, *, ents_a: list[Entity] | None = None,
               ents_b: list[Entity] | None = None, quotes_a: list[Quote] | None = None,
               quotes_b: list[Quote] | None = None, a_id: str = "", b_id: str = ""
               ) -> DiffResult:
    """Diff two article bodies; entities and quotes (when given) feed the
    entity and quote changes of the spin report."""
    sa, sb = sentences(a), sentences(b)
    pairs = _align(a, b, sa, sb)
    groups: list[DiffGroup] = []
    words_a = words_b = equal_words = 0
    subs: Counter[tuple[str, str]] = Counter()
    sub_surface: dict[tuple[str, str], Counter[tuple[str, str]]] = defaultdict(Counter)
    sub_groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    texts: list[tuple[str, str]] = []
    for ga, gb, moved in pairs:
        ta = _span_text(a, sa, ga)
        tb = _span_text(b, sb, gb)
        texts.append((ta, tb))
        ops = _word_ops(ta, tb)
        k = len(groups)
        for kind, x, y in ops:
            nx, ny = len(_words(x)), len(_words(y))
            words_a += nx
            words_b += ny
            if kind == "equal":
                equal_words += nx
            elif kind == "replace" and ga and gb:
                fx, fy = x.strip(_SUB_TRIM), y.strip(_SUB_TRIM)
                if (fx and fy and len(fx.split()) <= SUBSTITUTION_MAX_WORDS
                        and len(fy.split()) <= SUBSTITUTION_MAX_WORDS):
                    key = (fx.lower(), fy.lower())
                    subs[key] += 1
                    sub_surface[key][(fx, fy)] += 1
                    sub_groups[key].append(k)
        groups.append(DiffGroup(tuple(ga), tuple(gb), moved, tuple(ops)))
    substitutions = []
    for key, n in sorted(subs.items(), key=lambda kv: (-kv[1], kv[0])):
        fx, fy = sub_surface[key].most_common(1)[0][0]
        substitutions.append(Substitution(fx, fy, n, tuple(sub_groups[key])))
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
    similarity = round(2 * equal_words / total_words, 4) if total_words else 1.0
    ent_changes = _entity_changes(groups, sa, sb, ents_a, ents_b) if ents_a is not None \
        and ents_b is not None else []
    quote_changes = _quote_changes(a, b, groups, sa, sb, quotes_a, quotes_b) \
        if quotes_a is not None and quotes_b is not None else []
    numbers = _number_changes(texts)
    return DiffResult(a_id, b_id, similarity, tuple(groups), tuple(substitutions),
                      tuple(ent_changes), tuple(quote_changes), tuple(numbers), stats,
                      tuple((s.start, s.end) for s in sa), tuple((s.start, s.end) for s in sb))


# ------------------------------------------------------------------ alignment
def _align(a: str, b: str, sa: list[Sentence], sb: list[Sentence]
           ) -> list[tuple[list[int], list[int], bool]]:
    """Groups in reading order: aligned, dropped (a only) and added (b only)."""
    al = align([s.tokens for s in sa], [s.tokens for s in sb])
    groups = [(list(g.a), list(g.b), g.moved) for g in al.groups]
    used_a = {i for g in groups for i in g[0]}
    used_b = {j for g in groups for j in g[1]}
    # A split or merge the aligner's overall score did not take (the new half
    # brings words of its own): a free neighbour that carries at least two of
    # the other side's words that the group lacks joins the group.
    ta = [set(s.tokens) for s in sa]
    tb = [set(s.tokens) for s in sb]
    for ga, gb, moved in groups:
        if moved or len(ga) + len(gb) != 2:
            continue
        wa, wb = set().union(*(ta[i] for i in ga)), set().union(*(tb[j] for j in gb))
        for side, others, used, mine, theirs in ((gb, tb, used_b, wb, wa),
                                                 (ga, ta, used_a, wa, wb)):
            for k in (side[-1] + 1, side[0] - 1):
                if 0 <= k < len(others) and k not in used and len(
                        (others[k] & theirs) - mine) >= 2:
                    side.append(k)
                    side.sort()
                    used.add(k)
                    break
            if len(ga) + len(gb) > 2:
                break
    # sentences without content words ("CNN", "—"): pair equal ones in order
    free_b: dict[str, list[int]] = defaultdict(list)
    for j, s in enumerate(sb):
        if j not in used_b:
            free_b[_norm_sentence(b[s.start:s.end])].append(j)
    for i, s in enumerate(sa):
        if i in used_a:
            continue
        cands = free_b.get(_norm_sentence(a[s.start:s.end]))
        if cands:
            j = cands.pop(0)
            groups.append(([i], [j], False))
            used_a.add(i)
            used_b.add(j)
    for i in range(len(sa)):
        if i not in used_a:
            groups.append(([i], [], False))
    for j in range(len(sb)):
        if j not in used_b:
            groups.append(([], [j], False))
    # Reading order: by position in the first text. An added sentence goes
    # right after the group holding the sentence before it in the second
    # text; one with nothing before it, right before the first group with a
    # sentence of the second text (so a dropped sentence and the sentence
    # added in its place sit next to each other).
    ordered_a = sorted((g for g in groups if g[0]), key=lambda g: g[0][0])
    added = sorted((g for g in groups if not g[0]), key=lambda g: g[1][0])
    holder = {j: k for k, g in enumerate(ordered_a) for j in g[1]}
    after: dict[int, list] = defaultdict(list)  # index in ordered_a -> added groups
    first_b = next((k for k, g in enumerate(ordered_a) if g[1]), len(ordered_a))
    for g in added:
        j = g[1][0]
        prev = next((holder[jj] for jj in range(j - 1, -1, -1) if jj in holder), None)
        if prev is None:
            after[first_b - 1].append(g)
        else:
            after[prev].append(g)
    out: list[tuple[list[int], list[int], bool]] = list(after.get(-1, []))
    for k, g in enumerate(ordered_a):
        out.append(g)
        out.extend(after.get(k, []))
    return out


def _norm_sentence(s: str) -> str:
    return " ".join(s.split()).casefold()


def _span_text(text: str, ss: list[Sentence], idx: list[int]) -> str:
    if not idx:
        return ""
    return text[ss[min(idx)].start:ss[max(idx)].end]


def _words(s: str) -> list[str]:
    return [t for t in _TOKEN.findall(s) if t[0].isalnum() or t[0] == "_"]


def _word_ops(ta: str, tb: str) -> list[tuple[str, str, str]]:
    """Word-level opcodes over words and punctuation; each op carries the
    original text of both sides (spacing kept)."""
    if not tb:
        return [("delete", ta, "")] if ta else []
    if not ta:
        return [("insert", "", tb)]
    ma, mb = list(_TOKEN.finditer(ta)), list(_TOKEN.finditer(tb))
    xa, xb = [m.group() for m in ma], [m.group() for m in mb]
    sm = SequenceMatcher(None, xa, xb, autojunk=False)
    ops: list[tuple[str, str, str]] = []

    def piece(ms, text, i, j, nxt) -> str:
        if i == j:
            return ""
        start = ms[i].start() if i else 0
        end = ms[nxt].start() if nxt < len(ms) else len(text)
        return text[start:end]

    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        ops.append((tag, piece(ma, ta, i1, i2, i2), piece(mb, tb, j1, j2, j2)))
    return _merge_small_equals(ops)


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


# ------------------------------------------------------------- spin report
def _mentions_in(ents: list[Entity], start: int, end: int) -> dict[tuple[str, str], str]:
    out = {}
    for e in ents:
        if e.label == "DATE":
            continue
        if any(start <= s < end for s, _ in e.mentions):
            out[(e.label, norm(e.name))] = e.name
            for al in e.aliases:
                out.setdefault((e.label, norm(al)), e.name)
    return out


def _entity_changes(groups: list[DiffGroup], sa, sb, ents_a, ents_b) -> list[EntityChange]:
    found: dict[tuple[str, str, str], list[int]] = {}
    for k, g in enumerate(groups):
        if not g.a or not g.b:
            continue
        ra = (sa[min(g.a)].start, sa[max(g.a)].end)
        rb = (sb[min(g.b)].start, sb[max(g.b)].end)
        ma, mb = _mentions_in(ents_a, *ra), _mentions_in(ents_b, *rb)
        names_a = {k_[1] for k_ in ma}
        names_b = {k_[1] for k_ in mb}
        gone = [(lab, n) for (lab, n), full in ma.items()
                if n not in names_b and norm(full) not in names_b and n == norm(full)]
        new = [(lab, n) for (lab, n), full in mb.items()
               if n not in names_a and norm(full) not in names_a and n == norm(full)]
        for lab, n in gone:
            match = next((m for m in new if m[0] == lab), None)
            if match is None:
                continue
            new.remove(match)
            found.setdefault((lab, ma[(lab, n)], mb[match]), []).append(k)
    return [EntityChange(lab, a, b, tuple(ks)) for (lab, a, b), ks in found.items()]


def _group_of(groups: list[DiffGroup], ss, pos: int, side: str) -> int | None:
    for k, g in enumerate(groups):
        idx = g.a if side == "a" else g.b
        if idx and ss[min(idx)].start <= pos < ss[max(idx)].end:
            return k
    return None


def _quote_changes(a: str, b: str, groups: list[DiffGroup], sa, sb, quotes_a, quotes_b
                   ) -> list[QuoteChange]:
    out: list[QuoteChange] = []
    used_b: set[int] = set()
    for q in quotes_a:
        k = _group_of(groups, sa, q.start, "a")
        g = groups[k] if k is not None else None
        match = None
        if g is not None and g.b:
            lo, hi = sb[min(g.b)].start, sb[max(g.b)].end
            best = 0.0
            for n, qb in enumerate(quotes_b):
                if n in used_b or not (lo <= qb.start < hi or qb.start <= lo < qb.end):
                    continue
                r = SequenceMatcher(None, _words(q.text.lower()), _words(qb.text.lower()),
                                    autojunk=False).ratio()
                if r > best:
                    best, match = r, n
        if match is None:
            out.append(QuoteChange("lost", q.speaker, q.text, None, q.speaker, None, k))
            continue
        used_b.add(match)
        qb = quotes_b[match]
        gender = _gender_change(a, b, q, qb)
        if _words(q.text) != _words(qb.text):
            out.append(QuoteChange("words", q.speaker, q.text, qb.text, qb.speaker, gender, k))
        elif (q.speaker or "") != (qb.speaker or "") or gender:
            out.append(QuoteChange("speaker", q.speaker, q.text, qb.text, qb.speaker, gender, k))
    for n, qb in enumerate(quotes_b):
        if n not in used_b:
            k = _group_of(groups, sb, qb.start, "b")
            out.append(QuoteChange("added", qb.speaker, None, qb.text, qb.speaker, None, k))
    return out


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


def _number_changes(texts: list[tuple[str, str]]) -> list[NumberChange]:
    """Numbers of each group's first side that the second side does not have,
    paired with the ones it has instead."""
    out: list[NumberChange] = []
    for k, (ta, tb) in enumerate(texts):
        ca = Counter(m.group() for m in _NUMBER.finditer(ta))
        cb = Counter(m.group() for m in _NUMBER.finditer(tb))
        if ca == cb:
            continue
        gone = list((ca - cb).elements())
        new = list((cb - ca).elements())
        for x, y in zip(gone, new, strict=False):
            out.append(NumberChange(x, y, k))
        for x in gone[len(new):]:
            out.append(NumberChange(x, None, k))
        for y in new[len(gone):]:
            out.append(NumberChange(None, y, k))
    return out
