"""Version families: finding rewrites that standard near-duplicate detection misses.

Two stages, the way DSpin (Zhang, Wang, Voelker, NDSS 2014) attacks spun
content:

1. **Candidates**, sub-quadratic: a MinHash signature (datasketch) per article
   over features that survive spinning (a spinner rewrites words in its
   synonym dictionary, so names and numbers, the "immutables", stay): the
   stemmed content words, the capitalised words and numbers, and pairs of
   consecutive immutables within a sentence. MinHash LSH proposes pairs whose
   feature sets overlap; word 5-gram shingles, the usual choice, do not survive
   a spinner (001~004 of the seeds share 8.5% of them).
2. **Verification**: the candidates' sentences are aligned
   (:mod:`index.text.align`). A rewrite maps most sentences of one text onto the
   other in order; articles on the same story share names and words but few
   sentences, and are rejected.

Each verified pair is labelled ``copy`` (same words in the same order),
``near-copy`` (most sentences unchanged: an update, a correction) or
``rewrite`` (spun or paraphrased: most sentences changed but still aligned).
Families are the connected groups of verified pairs.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache, partial
from hashlib import blake2b
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

from .models import ArticleMeta, Family, VersionPair, VersionsReport
from .text.align import MOVED_SIM, Alignment, align
from .text.sentences import Sentence, content_tokens, sentences, split_spans
from .text.tokens import STOPS, stem

NUM_PERM = 128
SCHEME = "affine32"  # datasketch 2.x hash scheme; 32-bit values, stored as uint32
# Bump when features() or the signature parameters change: stored signatures
# made under another scheme are recomputed at the next sync.
SIGNATURE_SCHEME = f"v3-{NUM_PERM}-{SCHEME}-folded-immutables-sentkeys1"
LSH_THRESHOLD = 0.25  # feature-set Jaccard at which LSH proposes a pair
# LSH banding also proposes pairs well below its threshold; a pair is verified
# only if its signatures estimate at least this Jaccard. (On BBC-based test
# sets, 99.9% of random same-subject pairs estimate below 0.23; spun versions
# at 50% above 0.38; the seeds' 001~004 estimates 0.44.)
MIN_ESTIMATE = 0.22
# The banding datasketch's MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
# chooses (a test checks they still agree).
LSH_BANDS, LSH_ROWS = 42, 3
MIN_COVERAGE = 0.5  # share of the better-covered text's sentences that must align
MIN_GROUPS = 3  # aligned sentence groups needed (fewer if a text is that short)
NEAR_COPY_IDENTICAL = 0.5  # share of aligned groups with unchanged words
# a word with a digit, or a capitalised word (apostrophes, dots, hyphens inside)
_IMMUTABLE = re.compile(r"\b(?:\w*\d[\w’'.-]*\w|\d|[A-Z][\w’'.-]*\w|[A-Z])\b")
_FIRST_WORD = re.compile(r"\W*\w+(?:[’'.-]\w+)*")


@dataclass(frozen=True)
class Prepared:
    """What verification needs of one article, computed once."""

    sentences: list[Sentence]
    tokens: tuple[str, ...]  # all content tokens in order (for exact copies)
    text: str = ""

    @property
    def sentence_tokens(self) -> list[tuple[str, ...]]:
        return [s.tokens for s in self.sentences]

    @functools.cached_property
    def keys(self) -> list[tuple[int, int]]:
        """Each sentence's (exact, shape) key, computed once per article (an
        article verified against many others is hashed once)."""
        return sentence_keys(self.text, self)


def prepare(text: str) -> Prepared:
    ss = sentences(text)
    return Prepared(ss, tuple(t for s in ss for t in s.tokens), text)


# ------------------------------------------------------------- boilerplate
#
# Text that recurs across many articles of a corpus (link lists, newsletter
# promos, bylines, live-blog headers and time stamps, the sentences of a
# template filled with other names and numbers) is no evidence that two
# articles are versions. Each sentence gets two 64-bit keys: its *exact* key
# (its content words) and its *shape* key (its words with every name and
# number replaced by one placeholder: template sentences share it). The index
# keeps, per article, its sentences' keys, and for the corpus, in how many
# articles each key occurs (added and subtracted as articles come and go).
#
# A line in many articles is ambiguous on its own: a template line, or one
# sentence of a story reprinted that many times. What tells them apart is
# whether the rest of the articles agree. So the threshold is per pair: a
# shared sentence is left out of a pair's verification when its key occurs
# in at least BOILER_MIN articles and in at least BOILER_RATIO times as many
# articles as the pair's own sentences typically do (the lower quartile of
# the counts of an article's exact keys, the larger of the two articles': 1
# for an article whose text is its own, about N for one of N reprints; a
# quartile, not the median, as an article can be half boilerplate). A
# sentence shared by a copy and its original only (2 articles) is never
# left out; a story reprinted 20 times keeps its
# sentences (their count is the pair's typical count); a template line in
# six pages whose other sentences are their own is left out.

BOILER_MIN = 3  # articles a sentence key must occur in to be boilerplate at all
BOILER_RATIO = 3  # ... and times the pair's typical count of its sentences
_NO_KEY = 0


def _key(s: str) -> int:
    k = int.from_bytes(blake2b(s.encode("utf-8"), digest_size=8).digest(), "little")
    return k or 1


# a run of names and numbers: words starting with a capital or a digit, with
# the spaces and punctuation between them ("Sadu Galri Katen", "9:05", "1.1bn")
_NAME_RUN = re.compile(r"\b[A-Z0-9À-Ý]\w*(?:[^\w\n]+[A-Z0-9À-Ý]\w*)*")
_LETTER = re.compile(r"[^\W\d_]")


def _shape(raw: str) -> str:
    """A sentence lower-cased, with each run of names and numbers made one "#"
    and white space collapsed ("" when no letter is left)."""
    shape = _NAME_RUN.sub("#", raw).lower()
    return " ".join(shape.split()) if _LETTER.search(shape) else ""


def sentence_keys(text: str, prepared: Prepared | None = None) -> list[tuple[int, int]]:
    """(exact key, shape key) of each sentence, 0 for none (no content words;
    nothing but names and numbers)."""
    p = prepared or prepare(text)
    out = []
    for s in p.sentences:
        shape = _shape(p.text[s.start:s.end])
        out.append((_key("e " + " ".join(s.tokens)) if s.tokens else _NO_KEY,
                    _key("s " + shape) if shape else _NO_KEY))
    return out


def _pack_keys(keys: list[tuple[int, int]]) -> bytes:
    import numpy as np

    return np.array(keys, dtype=np.uint64).reshape(-1, 2).tobytes()


def _unpack_keys(blob: bytes):
    import numpy as np

    return np.frombuffer(blob, dtype=np.uint64).reshape(-1, 2)


def _distinct(blob: bytes):
    """An article's distinct keys (exact and shape together), as counted."""
    import numpy as np

    k = _unpack_keys(blob).ravel()
    return np.unique(k[k != _NO_KEY])


def update_counts(counts: tuple[np.ndarray, np.ndarray] | None, added: Iterable[bytes],
                  subtracted: Iterable[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """The corpus's key counts (sorted keys, counts) with the articles
    ``added`` counted in and ``subtracted`` counted out (each article counts
    a key once)."""
    import numpy as np

    keys, vals = counts if counts is not None else (
        np.zeros(0, np.uint64), np.zeros(0, np.int64))
    add = [_distinct(b) for b in added]
    sub = [_distinct(b) for b in subtracted]
    parts = [keys, *add, *sub]
    weights = [vals.astype(np.int64)] + [np.ones(len(a), np.int64) for a in add] + [
        -np.ones(len(x), np.int64) for x in sub]
    allk = np.concatenate(parts)  # parts always holds keys
    if not len(allk):
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    u, inv = np.unique(allk, return_inverse=True)
    c = np.zeros(len(u), np.int64)
    np.add.at(c, inv, np.concatenate(weights))
    keep = c > 0
    return u[keep], c[keep]


def _lookup(counts: tuple[np.ndarray, np.ndarray], keys: np.ndarray) -> np.ndarray:
    """Counts of ``keys`` (0 for unknown ones)."""
    import numpy as np

    ck, cv = counts
    if not len(ck):
        return np.zeros(len(keys), np.int64)
    pos = np.minimum(np.searchsorted(ck, keys), len(ck) - 1)
    return np.where(ck[pos] == keys, cv[pos], 0)


def _profile(blob: bytes, counts: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, int]:
    """An article's distinct keys, and the lower quartile of how many articles
    hold its sentences' exact keys (an article can be half boilerplate); 1
    when it has none."""
    import numpy as np

    k = _unpack_keys(blob)
    ex = k[:, 0][k[:, 0] != _NO_KEY]
    typical = int(np.percentile(_lookup(counts, ex), 25)) if len(ex) else 1
    return _distinct(blob), typical


def pair_boilerplate(blob_a: bytes, blob_b: bytes, counts: tuple[np.ndarray, np.ndarray],
                     profiles: dict[bytes, tuple] | None = None) -> frozenset[int]:
    """The keys shared by two articles that are boilerplate for the pair (see
    above): sentences with one of them are left out of its verification.
    ``profiles`` keeps each article's profile across the pairs of one run."""
    import numpy as np

    cache = {} if profiles is None else profiles
    pa, pb = (cache.get(b) or cache.setdefault(b, _profile(b, counts))
              for b in (blob_a, blob_b))
    shared = np.intersect1d(pa[0], pb[0])
    if not len(shared):
        return frozenset()
    floor = max(BOILER_MIN, BOILER_RATIO * max(1, pa[1], pb[1]))
    n = _lookup(counts, shared)
    return frozenset(int(x) for x in shared[n >= floor])


def without(p: Prepared, drop: frozenset[int]) -> Prepared:
    """``p`` without the sentences whose exact or shape key is in ``drop``."""
    if not drop:
        return p
    keep = [s for s, (e, sh) in zip(p.sentences, p.keys, strict=True)
            if e not in drop and sh not in drop]
    return Prepared(keep, tuple(t for s in keep for t in s.tokens), p.text)


def features(text: str, prepared: Prepared | None = None,
             common: frozenset[str] = frozenset()) -> set[str]:
    """The feature set a MinHash signature is computed over.

    ``common`` terms (the corpus's most widespread stems, see
    :func:`common_terms`) are left out: a spinner rewrites common words, and
    same-topic articles share them, so they only blur the signatures.
    """
    if prepared is not None:
        tokens, spans = prepared.tokens, [(s.start, s.end) for s in prepared.sentences]
    else:  # the same tokens, without building per-sentence objects
        tokens, spans = content_tokens(text), split_spans(text)
    feats = set(tokens)
    if common:
        feats -= common
    # The immutables of each sentence, found in one pass over the whole text
    # (sentences are separated by white space only, so no match straddles
    # two): a match belongs to the sentence it starts in.
    starts = [s for s, _ in spans]
    k, end, skip, prev = -1, -1, -1, ""
    add = feats.add
    known = _immutable_feature.get
    for m in _IMMUTABLE.finditer(text):
        pos, stop = m.span()
        if pos >= end:  # a new sentence
            k = bisect_right(starts, pos, k + 1) - 1
            start, end = spans[k]
            first = _FIRST_WORD.match(text, start, end)
            skip = first.end() if first else -1
            prev = ""
        if stop == skip:
            continue
        raw = m.group()
        f = known(raw)
        if f is None:
            f = _immutable(raw)
        if f:
            add(f)
            if prev:
                add(prev + f)
            prev = f
    return feats


_immutable_feature: dict[str, str] = {}


def _immutable(raw: str) -> str:
    """``@word`` for an immutable as it appears in the text ("" if it is a
    stop word: "The", "A"), cached."""
    w = raw.lower()
    f = "" if w in STOPS else "@" + w
    if len(_immutable_feature) < _HASH_CACHE_MAX:
        _immutable_feature[raw] = f
    return f


def signatures(feature_sets: Iterable[set[str]]) -> np.ndarray:
    """MinHash signatures (rows of uint32) for many feature sets at once.

    The same values as datasketch's ``MinHash(num_perm=NUM_PERM, seed=1)``
    (scheme affine32, features hashed with ``sha1_hash32`` of their UTF-8)
    fed each set with ``update_batch`` (a test holds them equal); but the
    permutations run over many articles in one numpy operation, and each
    distinct feature is hashed once per process, where datasketch spends a
    Python call per feature and per article.
    """
    import numpy as np

    rows: list[np.ndarray] = []
    hashes: list[np.ndarray] = []
    total = 0
    for fs in feature_sets:
        h = _feature_hashes(fs)
        hashes.append(h)
        total += len(h)
        if total >= _SIG_BATCH:
            rows.append(_minhash(hashes))
            hashes, total = [], 0
    if hashes:
        rows.append(_minhash(hashes))
    if not rows:
        return np.zeros((0, NUM_PERM), dtype=np.uint32)
    return np.vstack(rows)


_SIG_BATCH = 100_000  # features per numpy batch: (batch x NUM_PERM) uint32, ~50 MB
_hash_cache: dict[str, int] = {}
_HASH_CACHE_MAX = 500_000


def _feature_hashes(fs: set[str]) -> np.ndarray:
    """The 32-bit hashes of a feature set's members (an empty set hashes as
    the empty string, as :func:`signatures` always did)."""
    import numpy as np
    from datasketch.hashfunc import sha1_hash32

    if not fs:
        fs = {""}
    get = _hash_cache.get
    out = [get(f) for f in fs]
    if None in out:
        cache = _hash_cache if len(_hash_cache) < _HASH_CACHE_MAX else {}
        for i, f in enumerate(fs):
            if out[i] is None:
                out[i] = cache[f] = sha1_hash32(f.encode("utf-8"))
    return np.fromiter(out, dtype=np.uint32, count=len(out))


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    import numpy as np
    from datasketch import MinHash

    m = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)
    a, b = m.permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def _minhash(hashes: list[np.ndarray]) -> np.ndarray:
    """One signature per hash array: the minimum over its members of each
    affine permutation of the fmix32-premixed hash (datasketch's affine32)."""
    import numpy as np

    a, b = _permutations()
    hv = np.concatenate(hashes)
    hv ^= hv >> np.uint32(16)  # the MurmurHash3 32-bit finaliser
    hv *= np.uint32(0x85EBCA6B)
    hv ^= hv >> np.uint32(13)
    hv *= np.uint32(0xC2B2AE35)
    hv ^= hv >> np.uint32(16)
    phv = a[:, None] * hv  # (NUM_PERM, features): each article's columns contiguous
    phv += b[:, None]
    offsets = np.cumsum([0] + [len(h) for h in hashes[:-1]])
    return np.minimum.reduceat(phv, offsets, axis=1).T


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per (article, band): the band's ``rows`` values mixed."""
    import numpy as np

    n = sigs.shape[0]
    parts = sigs[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    keys = np.zeros((n, bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows):
            keys = (keys * np.uint64(0x100000001B3)) ^ parts[:, :, r]
        keys ^= np.arange(bands, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return keys


def candidates(ids: list[str], sigs: np.ndarray, new: set[str]) -> set[tuple[str, str]]:
    """LSH banding: pairs sharing a band key, involving at least one new article,
    whose signatures estimate a Jaccard of at least ``MIN_ESTIMATE``.

    The buckets are sorted arrays, not datasketch's in-memory MinHashLSH: its
    dict of sets per band costs about 300 bytes per article and band (1.3 GB
    for 100,000 articles at 42 bands); these cost 8.
    """
    import numpy as np

    n = len(ids)
    if n < 2:
        return set()
    keys = band_keys(sigs, LSH_BANDS, LSH_ROWS)
    is_new = np.array([i in new for i in ids])
    found: list[np.ndarray] = []
    for b in range(LSH_BANDS):
        col = keys[:, b]
        order = np.argsort(col, kind="stable")
        sorted_keys = col[order]
        q = np.nonzero(is_new)[0]
        lo = np.searchsorted(sorted_keys, col[q], side="left")
        hi = np.searchsorted(sorted_keys, col[q], side="right")
        counts = hi - lo
        keep = counts > 1
        q, lo, counts = q[keep], lo[keep], counts[keep]
        if not len(q):
            continue
        left = np.repeat(q, counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        right = order[np.repeat(lo, counts) + offsets]
        mask = left != right
        a, c = np.minimum(left[mask], right[mask]), np.maximum(left[mask], right[mask])
        found.append(a.astype(np.int64) * n + c)
    if not found:
        return set()
    pairs = np.unique(np.concatenate(found))
    a, c = pairs // n, pairs % n
    out: set[tuple[str, str]] = set()
    for k in range(0, len(pairs), 200_000):  # estimate in chunks: bounded memory
        sa, sc = a[k:k + 200_000], c[k:k + 200_000]
        est = (sigs[sa] == sigs[sc]).mean(axis=1)
        for x, y in zip(sa[est >= MIN_ESTIMATE], sc[est >= MIN_ESTIMATE], strict=True):
            i, j = ids[x], ids[y]
            out.add((i, j) if i < j else (j, i))
    return out


def verify(a_id: str, a: Prepared, b_id: str, b: Prepared,
           boilerplate: frozenset[int] = frozenset()) -> VersionPair | None:
    """A labelled pair if ``a`` and ``b`` are versions of one article, else None.

    Sentences with a ``boilerplate`` key (see :func:`pair_boilerplate`) are
    left out: the two must share content beyond them (word-for-word copies
    are copies all the same)."""
    if not a.tokens or not b.tokens:
        return None
    if a.tokens == b.tokens:
        return VersionPair(a_id, b_id, "copy", 1.0, 1.0)
    # a text is short by its own sentences, not by those left out: a page of a
    # template keeps one or two sentences of its own, which prove nothing
    n_a, n_b = (sum(1 for s in p.sentences if s.tokens) for p in (a, b))
    a, b = without(a, boilerplate), without(b, boilerplate)
    if not a.tokens or not b.tokens:
        return None
    # the one alignment the diff shows too (gap filling included): one
    # similarity figure for the pair, the same either way round
    al: Alignment = align(a.sentence_tokens, b.sentence_tokens)
    need = min(MIN_GROUPS, n_a, n_b)
    if len(al.groups) < need or max(al.coverage) < MIN_COVERAGE:
        return None
    if len(al.groups) < MIN_GROUPS and (min(al.coverage) < MIN_COVERAGE
                                        or al.similarity < MOVED_SIM):
        # A text too short for MIN_GROUPS: one or two sentences sharing a few
        # words (a quote, a same-story lede) prove nothing. Both texts must be
        # mostly aligned, and strongly.
        return None
    kind = "near-copy" if al.identical >= NEAR_COPY_IDENTICAL * len(al.groups) else "rewrite"
    return VersionPair(a_id, b_id, kind, al.similarity, al.aligned)


MAX_CLOSE = 50  # families up to this size are closed (every member pair verified)


def family_candidates(stored: list[tuple], found: list[VersionPair], new: set[str],
                      done: set[tuple[str, str]], ids: list[str], sigs: np.ndarray,
                      removed: set[str] = frozenset()) -> list[tuple[str, str]]:
    """Pairs within the families of new articles (stored and ``found``
    pairs), with a new article, not yet verified (``done``), whose signatures
    estimate a Jaccard of at least MIN_ESTIMATE; families larger than
    MAX_CLOSE are left as they are."""
    known = [VersionPair(a, b, k, s, al) for a, b, k, s, al in stored
             if a not in removed and b not in removed]
    row = {i: k for k, i in enumerate(ids)}
    out = []
    for fam in families(known + found):
        members = sorted({x for p in fam for x in (p.a, p.b)})
        if len(members) > MAX_CLOSE or not new.intersection(members):
            continue
        have = {(p.a, p.b) for p in fam} | {(p.b, p.a) for p in fam}
        for x in members:
            for y in members:
                if (x < y and (x in new or y in new) and (x, y) not in have
                        and (x, y) not in done and x in row and y in row
                        and (sigs[row[x]] == sigs[row[y]]).mean() >= MIN_ESTIMATE):
                    out.append((x, y))
    return out


def families(pairs: Iterable[VersionPair]) -> list[list[VersionPair]]:
    """Connected groups of pairs (union-find), each group's pairs in a list."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    pairs = list(pairs)
    for p in pairs:
        ra, rb = find(p.a), find(p.b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[VersionPair]] = {}
    for p in pairs:
        groups.setdefault(find(p.a), []).append(p)
    return list(groups.values())


def assemble(rows: Iterable[tuple], articles: Iterable[ArticleMeta]) -> list[Family]:
    """Every version family, largest first, from the stored pairs ``rows``
    (``(a, b, kind, similarity, aligned)``) and the metadata of the articles
    in them (a pair with an article gone is left out)."""
    meta = {a.id: a for a in articles}
    live = (VersionPair(*r) for r in rows if r[0] in meta and r[1] in meta)
    fams = [f for g in families(live) if (f := _family(g, meta)) is not None]
    fams.sort(key=lambda f: (-len(f.members), f.members[0].path))
    return fams


def _family(group: list[VersionPair], meta: dict[str, ArticleMeta]) -> Family | None:
    ids = {x for p in group for x in (p.a, p.b)}
    members = [meta[i] for i in ids if i in meta]
    if len(members) < 2:
        return None
    when = {m.id: _instant(m.date) for m in members}
    dated = all(when[m.id] is not None for m in members)
    # the dated oldest first, then the undated (order unknown) by path
    # (ties broken by path, line and id: the same order every run, never the
    # order of a set, which changes from one process to the next)
    members.sort(key=lambda m: (0, when[m.id], m.path, m.line or 0, m.id)
                 if when[m.id] is not None else (1, m.path, m.line or 0, m.id))
    order = {m.id: k for k, m in enumerate(members)}
    # each pair reads older/first -> newer/second
    pairs = [p if order[p.a] < order[p.b] else VersionPair(p.b, p.a, p.kind, p.similarity,
                                                           p.aligned)
             for p in group if p.a in order and p.b in order]
    pairs.sort(key=lambda p: (order[p.a], order[p.b]))
    t0 = when[members[0].id]
    delays = tuple(None if t0 is None or when[m.id] is None
                   else (when[m.id] - t0).total_seconds() for m in members)
    closest: dict[str, VersionPair] = {}  # a member -> its pair with the closest earlier one
    for p in pairs:
        if p.b not in closest or p.similarity > closest[p.b].similarity:
            closest[p.b] = p
    steps = tuple(closest[m.id].kind if m.id in closest else None for m in members)
    parents = tuple(closest[m.id].a if m.id in closest else None for m in members)
    return Family(tuple(members), tuple(pairs), dated, delays, steps, parents)


def _instant(value: str | None) -> datetime | None:
    """A member's date as a naive UTC instant (a day alone: its midnight);
    None when it has none or it cannot be read."""
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return None
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t



def family_with(fams: Iterable[Family], id_: str) -> Family | None:
    """The family whose members include the article ``id_``, or None."""
    return next((f for f in fams if any(m.id == id_ for m in f.members)), None)


def version_counts(fams: Iterable[Family]) -> dict[str, int]:
    """Article id -> number of other versions it has (articles with none left out)."""
    return {m.id: len(f.members) - 1 for f in fams for m in f.members}


# ------------------------------------------------------------------ the index


# Articles (or candidate pairs) a chunk holds: enough to be worth a worker's
# start (index.jobs has the one rule of where chunks run).
_CHUNK = 500


def _sig_chunk(store_path: str, common: frozenset[str],
               ids: list[str]) -> list[tuple[str, bytes, bytes]]:
    """(id, signature, sentence keys) of each article (``ids``: or shipped
    with their texts, see :func:`_ship_ids`)."""
    from .jobs import unship

    ids, bodies = unship(ids)
    if bodies is None:
        bodies = _bodies(store_path, ids)
    done = [i for i in ids if i in bodies]
    prepared = [prepare(bodies[i]) for i in done]
    sigs = signatures(features(bodies[i], p, common=common)
                      for i, p in zip(done, prepared, strict=True))
    return [(i, row.tobytes(), _pack_keys(p.keys))
            for i, row, p in zip(done, sigs, prepared, strict=True)]


def _verify_chunk(store_path: str,
                  pairs: list[tuple[str, str, frozenset[int]]]) -> list[VersionPair]:
    from .jobs import unship

    pairs, bodies = unship(pairs)
    if bodies is None:
        bodies = _bodies(store_path, sorted({x for p in pairs for x in p[:2]}))
    prepared = {i: prepare(t) for i, t in bodies.items()}
    out = []
    for a, b, drop in pairs:
        if a in prepared and b in prepared:
            vp = verify(a, prepared[a], b, prepared[b], drop)
            if vp is not None:
                out.append(vp)
    return out


def _bodies(store_path: str, ids: list[str], compressed: bool = False) -> dict:
    from .store.db import Store

    store = Store(Path(store_path), readonly=True)
    try:
        return store.bodies_for(ids, compressed=compressed)
    finally:
        store.close()


def _ship_ids(store_path: str, ids: list[str]):
    """A chunk of article ids with their texts (for an executor whose
    workers cannot read the store: see index.jobs)."""
    from .jobs import Shipped

    return Shipped(ids, _bodies(store_path, ids, compressed=True))


def _ship_pairs(store_path: str, pairs: list[tuple]):
    """A chunk of pairs with the texts of both of each."""
    from .jobs import Shipped

    ids = sorted({x for p in pairs for x in p[:2]})
    return Shipped(pairs, _bodies(store_path, ids, compressed=True))


FREEZE_AT = 2000  # articles: from this size on, common terms are left out of signatures
COMMON_SHARE = 0.01  # a stem in at least this share of the articles is common


def common_terms(store, n_articles: int) -> frozenset[str]:
    """The stems left out of signatures, frozen once the corpus is large enough.

    Below ``FREEZE_AT`` articles nothing is left out (small corpora have no
    candidate explosion to avoid, and too few articles to tell common words).
    At that size the stems in at least ``COMMON_SHARE`` of the articles are
    computed once and kept in the store: signatures are incremental, so the
    feature set must not drift as the corpus grows.
    """
    import json

    frozen = store.get_meta("common_terms")
    if frozen is not None:
        return frozenset(json.loads(frozen))
    if n_articles < FREEZE_AT:
        return frozenset()
    words, dfs = store.vocab()
    floor = COMMON_SHARE * n_articles
    common: dict[str, int] = {}
    for w, df in zip(words, dfs, strict=True):
        if df >= floor:
            t = stem(w)
            common[t] = max(common.get(t, 0), df)
    store.set_meta("common_terms", json.dumps(sorted(common)))
    return frozenset(common)


def _digest(terms: frozenset[str]) -> str:
    import hashlib

    return hashlib.blake2b("\n".join(sorted(terms)).encode(), digest_size=6).hexdigest()


def _map(fn, items: list, procs: int | None, progress, cancel, executor=None,
         ship=None) -> list:
    """``fn(chunk)`` over chunks of ``items``, the results joined."""
    from .jobs import map_chunks

    chunks = [items[k:k + _CHUNK] for k in range(0, len(items), _CHUNK)]
    return [r for rs in map_chunks(fn, chunks, procs=procs, progress=progress, cancel=cancel,
                                   executor=executor, ship=ship)
            for r in rs]


def sync(store, store_path: Path, *, progress=None, cancel=None,
         procs: int | None = None, executor=None) -> VersionsReport:
    """Bring version data up to date with the store's articles, incrementally
    (``executor``: where the signatures and verifications run, see
    :func:`index.jobs.map_chunks`; the LSH banding between them runs here).

    Articles whose content changed since their signature count as removed and
    added; only new articles are compared (against every article).
    """
    import time

    t0 = time.perf_counter()
    report = VersionsReport()
    # (its workers cannot read the store: the chunks go with their texts)
    ship = getattr(executor, "ships_texts", False)
    common = common_terms(store, store.count())
    scheme = f"{SIGNATURE_SCHEME}-common{_digest(common)}"
    if store.get_meta("signature_scheme") != scheme:
        store.clear_versions()  # made with other features: redo all
        store.set_meta("signature_scheme", scheme)
    if store.versions_synced(scheme):
        # No article changed since the last run that brought the versions up
        # to date (the store's generation has not moved on): nothing is read,
        # not even the hashes of the articles and of their signatures (two
        # reads of every row: 0.26 s at 18k articles, issue 15)
        report.seconds = time.perf_counter() - t0
        return report
    articles = store.article_hashes()
    signed = store.sig_hashes()
    removed = {i for i, h in signed.items() if articles.get(i) != h}
    new = sorted(i for i, h in articles.items() if signed.get(i) != h)
    report.removed = len(removed - set(new))
    if not removed and not new:
        # nothing to compare: the signatures (22% of an unchanged re-index
        # at 100k articles, issue 15), the sentence counts and the banding
        # are not read at all; nothing would have been written
        store.mark_versions_synced(scheme)
        report.seconds = time.perf_counter() - t0
        return report

    import numpy as np  # (here: an unchanged corpus does not load it)

    from .errors import Cancelled

    try:
        fresh = _map(partial(_sig_chunk, str(store_path), common), new, procs,
                     (lambda d, t: progress("signatures", d, t)) if progress else None, cancel,
                     executor, partial(_ship_ids, str(store_path)) if ship else None)
        new_sigs = {i: sig for i, sig, _ in fresh}
        new_keys = {i: k for i, _, k in fresh}
        report.signed = len(new_sigs)
        # the corpus's sentence-key counts: the removed (and changed) articles'
        # keys counted out, the new ones' in
        old_keys = store.sentence_keys(removed)
        stored = store.sentence_counts()
        counts = update_counts(
            None if stored is None else (np.frombuffer(stored[0], dtype=np.uint64),
                                         np.frombuffer(stored[1], dtype=np.int64)),
            new_keys.values(), old_keys.values())
        ids, blobs = store.load_sigs()
        keep = [(i, b) for i, b in zip(ids, blobs, strict=True) if i not in removed]
        keep += sorted(new_sigs.items())
        pairs: list[VersionPair] = []
        if new_sigs and len(keep) > 1:
            all_ids = [i for i, _ in keep]
            matrix = np.frombuffer(b"".join(b for _, b in keep), dtype=np.uint32).reshape(
                len(keep), NUM_PERM)
            cands = sorted(candidates(all_ids, matrix, set(new_sigs)))
            keys = dict(new_keys)
            profiles: dict[bytes, tuple] = {}

            def verify_all(cands: list[tuple[str, str]]) -> list[VersionPair]:
                report.candidates += len(cands)
                keys.update(store.sentence_keys({x for p in cands for x in p} - set(keys)))
                items = [(a, b, pair_boilerplate(keys[a], keys[b], counts, profiles))
                         if a in keys and b in keys else (a, b, frozenset())
                         for a, b in cands]
                return _map(partial(_verify_chunk, str(store_path)), items, procs,
                            (lambda d, t: progress("verifying", d, t)) if progress else None,
                            cancel, executor,
                            partial(_ship_pairs, str(store_path)) if ship else None)

            pairs = verify_all(cands)
            # LSH banding finds a pair at the threshold's Jaccard only half
            # the time; a new article's other versions are likely versions of
            # each other too: the rest of its family is verified as well
            more = family_candidates(store.version_pairs(), pairs, set(new_sigs),
                                     set(cands), all_ids, matrix, removed)
            if more:
                pairs += verify_all(more)
    except Cancelled:
        report.cancelled = True
        report.seconds = time.perf_counter() - t0
        return report
    changed = bool(new_keys or old_keys)
    store.apply_versions(
        removed | set(new), [(i, articles[i], b) for i, b in new_sigs.items()], pairs,
        sorted(new_keys.items()),
        (counts[0].tobytes(), counts[1].astype(np.int64).tobytes()) if changed else None,
    )
    store.mark_versions_synced(scheme)
    report.pairs = len(pairs)
    report.seconds = time.perf_counter() - t0
    return report
