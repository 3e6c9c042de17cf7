"""Aligning the sentences of two versions of an article: the one alignment
behind both the version families (:mod:`index.versions`) and the diff
(:mod:`index.diff`), so that a pair has one similarity figure wherever it is
shown.

A rewrite keeps most sentences in order and maps them one to one, or splits
and merges a few; articles that merely cover the same story share words but
not sentences. The aligner:

1. scores sentence pairs by the Dice overlap of their content-word sets
   (through an inverted index, so only pairs that share words are scored);
2. keeps the heaviest chain of pairs in order in both texts (a weighted
   longest-increasing-subsequence, O(k log k) in the number of scored pairs);
3. grows a pair into 1-2 or 2-1 when a free neighbouring sentence belongs
   to it (a sentence split in two, or two merged into one): when it makes
   the overlap better, or when it brings at least two of the other side's
   words that the pair lacks (the new half of a split brings words of its
   own, which can keep the overlap from rising);
4. fills the gaps between two aligned pairs (``gap_sim``): a sentence left
   between two anchors in one text and one left between the same anchors in
   the other are matched at a lower overlap, since their place already says
   they are likely versions of each other (a heavy paraphrase keeps the
   order of a source but few of its words);
5. matches what is left, out of order, when the match is strong: moved
   sentences.

The alignment is symmetric: ``align(sb, sa)`` is ``align(sa, sb)`` with the
two sides swapped, so the similarity and every group are the same in both
directions. Steps 2, 3 and 5 each choose among equals (two chains of the
same weight, two neighbours, two moved pairs of the same overlap), and a
rule that reads only positions cannot choose the same in both directions
(an ``x`` at the start of one text and a ``y`` at its end, the other way
round in the other: which pair anchors?). So the texts choose: each pair is
aligned with the smaller text (its sentences' tokens compared in order)
first, and the result is swapped back when the caller gave them the other
way round.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import chain as _chain
from itertools import pairwise

MIN_SIM = 0.3  # Dice overlap for two sentences to count as versions of each other
MOVED_SIM = 0.5  # stronger evidence needed for a match out of order
MAX_GAP = 3  # sentences between two anchors, on each side, for gap filling
# Dice overlap at which two sentences between the same two aligned pairs are
# matched (gap filling): a heavy paraphrase keeps a source's order and names
# but few of its words
GAP_SIM = 0.15
GROW_GAIN = 0.05  # overlap a neighbour must add to join a pair (1-2, 2-1)
GROW_WORDS = 2  # ... or words of the other side the pair lacks that it brings
# A word in more than COMMON sentences of the second text (a text of the same
# sentence over and over) pairs a sentence only with the NEAR sentences on
# either side of its own place there (its index scaled to the second text):
# pairing every sentence with every other one that has the word made such a
# text quadratic. Pairs found through rarer words are all kept, and every
# pair is scored on all the words the two sentences share.
COMMON = 100
NEAR = 20


@dataclass(frozen=True)
class Group:
    a: tuple[int, ...]  # sentence indices in the first text
    b: tuple[int, ...]  # sentence indices in the second text
    score: float  # Dice overlap of the two sides' content words
    moved: bool = False
    gap: bool = False  # matched between two anchors at a lower overlap


@dataclass(frozen=True)
class Alignment:
    groups: tuple[Group, ...]  # gap-filled groups have ``gap=True``
    n_a: int  # sentences with content words in the first text
    n_b: int
    shared: int  # content words the groups share (set overlap, summed)
    total: int  # content words of both texts (per-sentence sets, summed)
    identical: int  # groups whose two sides have the same words
    # the two texts' content words are the same, in the same order (a copy,
    # perhaps cut into sentences otherwise): similarity 1
    same_words: bool = False

    @property
    def matched_a(self) -> int:
        return sum(len(g.a) for g in self.groups)

    @property
    def matched_b(self) -> int:
        return sum(len(g.b) for g in self.groups)

    @property
    def aligned(self) -> float:
        """Share of all sentences (both texts) that are in a group."""
        n = self.n_a + self.n_b
        return (self.matched_a + self.matched_b) / n if n else 0.0

    @property
    def coverage(self) -> tuple[float, float]:
        return (
            self.matched_a / self.n_a if self.n_a else 0.0,
            self.matched_b / self.n_b if self.n_b else 0.0,
        )

    @property
    def similarity(self) -> float:
        """Word-level similarity in [0, 1]: shared content words over all of
        them (1 for the same content words in the same order; 0 when there are
        none)."""
        if self.same_words:
            return 1.0
        return 2 * self.shared / self.total if self.total else 0.0

    @property
    def moved(self) -> int:
        return sum(1 for g in self.groups if g.moved)

    def swapped(self) -> Alignment:
        """The same alignment with the two texts the other way round."""
        groups = sorted((replace(g, a=g.b, b=g.a) for g in self.groups),
                        key=lambda g: (g.a[0], g.b[0]))
        return replace(self, groups=tuple(groups), n_a=self.n_b, n_b=self.n_a)


def _dice(a: set, b: set) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


def align(sa: Sequence[tuple[str, ...]], sb: Sequence[tuple[str, ...]],
          min_sim: float = MIN_SIM, gap_sim: float = GAP_SIM) -> Alignment:
    """Align two texts given as lists of sentences' content tokens.

    ``gap_sim`` > 0 fills the gaps between anchors (see the module doc):
    sentences at most MAX_GAP apart from both neighbouring anchors, sharing
    at least one word and with a Dice overlap of at least ``gap_sim``; 0
    aligns on overlap alone. Symmetric: ``align(sb, sa)`` is
    ``align(sa, sb).swapped()``."""
    sa, sb = list(sa), list(sb)
    if sb < sa:  # the texts choose the orientation (see the module doc)
        return _align(sb, sa, min_sim, gap_sim).swapped()
    return _align(sa, sb, min_sim, gap_sim)


def _align(sa: list[tuple[str, ...]], sb: list[tuple[str, ...]],
           min_sim: float, gap_sim: float) -> Alignment:
    A = [set(t) for t in sa]
    B = [set(t) for t in sb]
    sizes_b = [len(s) for s in B]
    postings: dict[str, list[int]] = defaultdict(list)
    for j, s in enumerate(B):
        for t in s:
            postings[t].append(j)
    get = postings.get
    cells: list[tuple[int, int, float]] = []
    weak: dict[int, list[tuple[int, float]]] = defaultdict(list)  # i -> [(j, overlap)]
    for i, s in enumerate(A):
        if not s:
            continue
        hits = [js for t in s if (js := get(t))]
        if hits and max(map(len, hits)) > COMMON:
            counts = _near_counts(i, s, A, B, get)
        else:
            # (the common case: no word checked for its postings' length
            # in the loop that counts, most of an alignment's work)
            counts = {}
            for js in hits:
                for j in js:
                    counts[j] = counts.get(j, 0) + 1
        n = len(s)
        for j, c in counts.items():
            m = sizes_b[j]
            d = 2 * c / (n + m)
            if d >= min_sim and (c >= 2 or c >= n or c >= m):  # c >= min(2, n, m)
                cells.append((i, j, d))
            elif gap_sim and d >= gap_sim:
                weak[i].append((j, d))

    chain = _heaviest_chain(cells, len(B))
    used_a = {i for i, _, _ in chain}
    used_b = {j for _, j, _ in chain}
    groups: list[Group] = []
    for i, j, d in chain:
        ga, gb = _grow(i, j, A, B, used_a, used_b)
        if len(ga) + len(gb) > 2:
            wa = set().union(*(A[x] for x in ga))
            wb = set().union(*(B[x] for x in gb))
            d = _dice(wa, wb)
        groups.append(Group(ga, gb, d))

    if gap_sim and weak and chain:
        # between consecutive anchors (i0, j0) < (i1, j1): the heaviest chain of
        # weak cells inside the box, when the box is small on both sides
        bounds = [(i, j) for i, j, _ in chain]
        for (i0, j0), (i1, j1) in pairwise(bounds):
            if not (0 < i1 - i0 - 1 <= MAX_GAP and 0 < j1 - j0 - 1 <= MAX_GAP):
                continue
            box = [(i, j, d) for i in range(i0 + 1, i1) for j, d in weak.get(i, ())
                   if j0 < j < j1 and i not in used_a and j not in used_b]
            for i, j, d in _heaviest_chain([(i, j - j0 - 1, d) for i, j, d in box], j1 - j0 - 1):
                j += j0 + 1
                used_a.add(i)
                used_b.add(j)
                groups.append(Group((i,), (j,), d, gap=True))

    # moved sentences: strong matches left over, out of order; equal ones in
    # text order (the cells come in the order of a set's words, which
    # changes with the process's hash seed: a pair's similarity did)
    for i, j, d in sorted(cells, key=lambda c: (-c[2], c[0], c[1])):
        if d >= MOVED_SIM and i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            groups.append(Group((i,), (j,), d, moved=True))

    groups.sort(key=lambda g: (g.a[0], g.b[0]))
    shared = identical = 0
    for g in groups:
        # (most groups are one sentence a side: its set as it is)
        wa = A[g.a[0]] if len(g.a) == 1 else set().union(*(A[x] for x in g.a))
        wb = B[g.b[0]] if len(g.b) == 1 else set().union(*(B[x] for x in g.b))
        shared += len(wa & wb)
        identical += wa == wb
    total = sum(len(s) for s in A) + sum(len(s) for s in B)
    return Alignment(
        groups=tuple(groups),
        n_a=sum(1 for s in A if s),
        n_b=sum(1 for s in B if s),
        shared=shared,
        total=total,
        identical=identical,
        same_words=bool(total) and list(_chain.from_iterable(sa)) == list(
            _chain.from_iterable(sb)),
    )


def _near_counts(i: int, s: set, A: list[set], B: list[set], get) -> dict[int, int]:
    """The sentences of B sharing words with A's sentence ``i`` (``s``), each
    with how many, when one of its words is in more than COMMON of them: such
    a word finds the NEAR sentences on either side of ``i``'s place only."""
    counts: dict[int, int] = defaultdict(int)
    near = round(i * len(B) / len(A))
    for t in s:
        js = get(t, ())
        if len(js) > COMMON:
            k = bisect_left(js, near)
            js = js[max(0, k - NEAR):k + NEAR]
        for j in js:
            counts[j] += 1
    # (some words were not counted for every pair)
    return {j: len(s & B[j]) for j in counts}


def _grow(i: int, j: int, A: list[set], B: list[set], used_a: set[int],
          used_b: set[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """An anchor (i, j) with the free neighbour that joins it, if one does (a
    sentence split in two, 1-2, or two merged into one, 2-1): the first of
    the sentences after and before j, then after and before i, that raises
    the pair's overlap by more than GROW_GAIN or brings at least GROW_WORDS
    words of the other side that the pair lacks. The neighbour is marked
    used."""
    wa, wb = A[i], B[j]
    base = _dice(wa, wb)
    for pool, used, k, mine, theirs in ((B, used_b, j + 1, wb, wa), (B, used_b, j - 1, wb, wa),
                                        (A, used_a, i + 1, wa, wb), (A, used_a, i - 1, wa, wb)):
        if not 0 <= k < len(pool) or k in used or not pool[k]:
            continue
        new = pool[k]
        if (len((new & theirs) - mine) >= GROW_WORDS
                or _dice(mine | new, theirs) > base + GROW_GAIN):
            used.add(k)
            side = tuple(sorted(((i if pool is A else j), k)))
            return (side, (j,)) if pool is A else ((i,), side)
    return (i,), (j,)


def layout(al: Alignment, free_a: Sequence[str | None], free_b: Sequence[str | None]
           ) -> list[tuple[tuple[int, ...], tuple[int, ...], bool]]:
    """Every sentence of both texts in one group ``(a, b, moved)``, in reading
    order: the alignment's groups; sentences of the alignment's texts without
    content words, paired when their keys are equal (``free_a[i]``: a key for
    sentence i, "CNN", "—", or None for a sentence not to pair that way);
    dropped sentences ``(a, (), False)``; added ones ``((), b, False)``.

    Reading order is by position in the first text. An added sentence goes
    right after the group holding the sentence before it in the second text;
    one with nothing before it, right before the first group with a sentence
    of the second text (so a dropped sentence and the sentence added in its
    place sit next to each other)."""
    groups = [(g.a, g.b, g.moved) for g in al.groups]
    used_a = {i for g in al.groups for i in g.a}
    used_b = {j for g in al.groups for j in g.b}
    # keyed sentences left over: equal keys paired in order (the k-th of one
    # text with the k-th of the other, in either direction)
    waiting: dict[str, deque[int]] = defaultdict(deque)
    for j, key in enumerate(free_b):
        if key is not None and j not in used_b:
            waiting[key].append(j)
    for i, key in enumerate(free_a):
        if key is None or i in used_a or not waiting.get(key):
            continue
        j = waiting[key].popleft()
        groups.append(((i,), (j,), False))
        used_a.add(i)
        used_b.add(j)
    groups += [((i,), (), False) for i in range(len(free_a)) if i not in used_a]
    groups += [((), (j,), False) for j in range(len(free_b)) if j not in used_b]
    ordered_a = sorted((g for g in groups if g[0]), key=lambda g: g[0][0])
    added = sorted((g for g in groups if not g[0]), key=lambda g: g[1][0])
    holder = {j: k for k, g in enumerate(ordered_a) for j in g[1]}
    after: dict[int, list] = defaultdict(list)  # index in ordered_a -> added groups
    first_b = next((k for k, g in enumerate(ordered_a) if g[1]), len(ordered_a))
    # the holder of the nearest sentence before each one of the second text
    # (one pass, not a walk back from every added sentence)
    held_before: list[int | None] = []
    last = None
    for j in range(len(free_b)):
        held_before.append(last)
        if j in holder:
            last = holder[j]
    for g in added:
        prev = held_before[g[1][0]]
        after[first_b - 1 if prev is None else prev].append(g)
    out = list(after.get(-1, []))
    for k, g in enumerate(ordered_a):
        out.append(g)
        out.extend(after.get(k, []))
    return out


def _heaviest_chain(cells: list[tuple[int, int, float]], n_b: int) -> list[tuple[int, int, float]]:
    """The heaviest set of cells strictly increasing in both coordinates."""
    if not cells:
        return []
    # by i ascending, j descending: cells of one row can never chain together
    order = sorted(range(len(cells)), key=lambda k: (cells[k][0], -cells[k][1]))
    size = n_b + 1
    tree_val = [0.0] * (size + 1)
    tree_arg = [-1] * (size + 1)
    parent = [-1] * len(cells)

    def query(pos: int) -> tuple[float, int]:  # max over positions 1..pos
        v, arg = 0.0, -1
        while pos > 0:
            if tree_val[pos] > v:
                v, arg = tree_val[pos], tree_arg[pos]
            pos -= pos & -pos
        return v, arg

    def update(pos: int, v: float, arg: int) -> None:
        while pos <= size:
            if v > tree_val[pos]:
                tree_val[pos], tree_arg[pos] = v, arg
            pos += pos & -pos

    top, top_k = 0.0, -1
    for k in order:
        _i, j, w = cells[k]
        prev, arg = query(j)  # columns before j live at positions 1..j
        total = prev + w
        parent[k] = arg
        update(j + 1, total, k)
        if total > top:
            top, top_k = total, k
    chain = []
    while top_k != -1:
        chain.append(cells[top_k])
        top_k = parent[top_k]
    return chain[::-1]
