"""Aligning the sentences of two versions of an article.

A rewrite keeps most sentences in order and maps them one to one, or splits
and merges a few; articles that merely cover the same story share words but
not sentences. The aligner:

1. scores sentence pairs by the Dice overlap of their content-word sets
   (through an inverted index, so only pairs that share words are scored);
2. keeps the heaviest chain of pairs in order in both texts (a weighted
   longest-increasing-subsequence, O(k log k) in the number of scored pairs);
3. grows a pair into 1-2 or 2-1 when a neighbouring unmatched sentence makes
   the match better (a sentence split in two, or two merged into one);
4. optionally (``gap_sim``), fills the gaps between two aligned pairs: a
   sentence left between two anchors in one text and one left between the
   same anchors in the other are matched at a lower overlap, since their
   place already says they are likely versions of each other (a heavy
   paraphrase keeps the order of a source but few of its words);
5. matches what is left, out of order, when the match is strong: moved
   sentences.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise

MIN_SIM = 0.3  # Dice overlap for two sentences to count as versions of each other
MOVED_SIM = 0.5  # stronger evidence needed for a match out of order
MAX_GAP = 3  # sentences between two anchors, on each side, for gap filling
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
        """Word-level similarity in [0, 1]: shared content words over all of them."""
        return 2 * self.shared / self.total if self.total else 0.0

    @property
    def moved(self) -> int:
        return sum(1 for g in self.groups if g.moved)


def _dice(a: set, b: set) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


def align(sa: list[tuple[str, ...]], sb: list[tuple[str, ...]],
          min_sim: float = MIN_SIM, gap_sim: float = 0.0) -> Alignment:
    """Align two texts given as lists of sentences' content tokens.

    ``gap_sim`` > 0 fills the gaps between anchors (see the module doc):
    sentences at most MAX_GAP apart from both neighbouring anchors, sharing
    at least one word and with a Dice overlap of at least ``gap_sim``."""
    A = [set(t) for t in sa]
    B = [set(t) for t in sb]
    postings: dict[str, list[int]] = defaultdict(list)
    for j, s in enumerate(B):
        for t in s:
            postings[t].append(j)
    cells: list[tuple[int, int, float]] = []
    weak: dict[int, list[tuple[int, float]]] = defaultdict(list)  # i -> [(j, overlap)]
    for i, s in enumerate(A):
        if not s:
            continue
        counts: dict[int, int] = defaultdict(int)
        near = None
        for t in s:
            js = postings.get(t, ())
            if len(js) > COMMON:
                if near is None:
                    near = round(i * len(B) / len(A))
                k = bisect_left(js, near)
                js = js[max(0, k - NEAR):k + NEAR]
            for j in js:
                counts[j] += 1
        if near is not None:  # some words were not counted for every pair
            counts = {j: len(s & B[j]) for j in counts}
        for j, c in counts.items():
            d = 2 * c / (len(s) + len(B[j]))
            if d >= min_sim and c >= min(2, len(s), len(B[j])):
                cells.append((i, j, d))
            elif gap_sim and d >= gap_sim:
                weak[i].append((j, d))

    chain = _heaviest_chain(cells, len(B))
    used_a = {i for i, _, _ in chain}
    used_b = {j for _, j, _ in chain}
    groups: list[Group] = []
    for i, j, _d in chain:
        ga, gb = [i], [j]
        # a sentence split in two (1-2) or two merged into one (2-1)
        for side, k in ((gb, j + 1), (gb, j - 1), (ga, i + 1), (ga, i - 1)):
            if len(ga) + len(gb) > 2:
                break
            pool, used = (B, used_b) if side is gb else (A, used_a)
            if not 0 <= k < len(pool) or k in used or not pool[k]:
                continue
            cur_a = set().union(*(A[x] for x in ga))
            cur_b = set().union(*(B[x] for x in gb))
            grown = (cur_a, cur_b | pool[k]) if side is gb else (cur_a | pool[k], cur_b)
            if _dice(*grown) > _dice(cur_a, cur_b) + 0.05:
                side.append(k)
                used.add(k)
        sa_words = set().union(*(A[x] for x in ga))
        sb_words = set().union(*(B[x] for x in gb))
        groups.append(Group(tuple(sorted(ga)), tuple(sorted(gb)), _dice(sa_words, sb_words)))

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

    # moved sentences: strong matches left over, out of order
    for i, j, d in sorted(cells, key=lambda c: -c[2]):
        if d >= MOVED_SIM and i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            groups.append(Group((i,), (j,), d, moved=True))

    groups.sort(key=lambda g: (g.a[0], g.b[0]))
    shared = identical = 0
    for g in groups:
        wa = set().union(*(A[x] for x in g.a))
        wb = set().union(*(B[x] for x in g.b))
        shared += len(wa & wb)
        identical += wa == wb
    return Alignment(
        groups=tuple(groups),
        n_a=sum(1 for s in A if s),
        n_b=sum(1 for s in B if s),
        shared=shared,
        total=sum(len(s) for s in A) + sum(len(s) for s in B),
        identical=identical,
    )


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
