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
Families are the connected groups of verified pairs. A family is found once
(:func:`link`): not every pair of its members is verified, only enough to
join them and to give each member its likeliest closest versions
(:func:`family_candidates`).
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache, partial
from hashlib import blake2b
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

from .comparisons import Family, VersionPair
from .models import ArticleMeta, VersionsReport
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


# keys merged per step of _merge_sorted (its temporaries: ~80 bytes a key;
# 1M a step made the versions parent's peak, issue 15)
_MERGE_ROWS = 1 << 18
# the new articles' tallies held before they are merged into a run on disk
# (each run is two open files: ~10 at 300k articles)
_RUN_ROWS = 1 << 20
# runs on disk merged into one whenever there are this many: each is two open
# files and, in a merge, a read buffer of _READ_ROWS records (1 MB), so that
# neither grows with the corpus (a few hundred runs at millions of articles
# would pass the usual limit of 1,024 open files)
_MAX_RUNS = 16


class _Sorted:
    """A sorted run of (key, count) records, handed out a key range at a
    time, in order (:meth:`upto`): an array pair in memory, or records read
    ``_READ_ROWS`` at a time through ``read(start, stop) -> (keys, counts)``
    (a file, the store's blob)."""

    def __init__(self, size: int, read, sign: int = 1) -> None:
        self.size, self._read, self._sign = size, read, sign
        self._at = 0  # records handed out or buffered
        self._buf: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def of(cls, keys: np.ndarray, counts: np.ndarray, sign: int = 1) -> _Sorted:
        return cls(len(keys), lambda a, b: (keys[a:b], counts[a:b]), sign)

    def upto(self, edge) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The next records whose keys are below ``edge`` (None: all left),
        as pieces; their counts int64 and signed."""
        import numpy as np

        ks: list[np.ndarray] = []
        ns: list[np.ndarray] = []
        while True:
            if self._buf is None:
                if self._at >= self.size:
                    break
                stop = min(self.size, self._at + _READ_ROWS)
                self._buf = self._read(self._at, stop)
                self._at = stop
            k, n = self._buf
            cut = len(k) if edge is None else int(np.searchsorted(k, edge))
            ks.append(k[:cut])
            ns.append(n[:cut].astype(np.int64) * self._sign)
            if cut < len(k):
                self._buf = (k[cut:], n[cut:])
                break
            self._buf = None
        return ks, ns


_READ_ROWS = 1 << 16  # records of a run on disk read at a time


def _merge_sorted(sources: list[_Sorted], emit) -> None:
    """Merge sorted runs of (key, count) records into one (``emit(keys,
    counts)`` called with each range's, in order): each key's counts
    summed, the keys left with none dropped.

    Every run is sorted, and the keys are hashes, spread evenly: so they
    are merged a range of keys at a time, _MERGE_ROWS keys a step, and a
    step's sort and its temporaries are that big whatever the corpus. (One
    sort of all of them at once held four or five arrays of every key: at
    100k articles, the versions phase's peak, ~300 MB over what it kept,
    issue 15.)"""
    import numpy as np

    total = sum(s.size for s in sources)
    steps = max(1, -(-total // _MERGE_ROWS))
    edges = [np.uint64((s << 64) // steps) for s in range(1, steps)] + [None]
    for edge in edges:
        ks, ws = [], []
        for src in sources:
            k, n = src.upto(edge)
            ks += k
            ws += n
        ks, ws = (np.concatenate(ks), np.concatenate(ws)) if ks else ([], [])
        if not len(ks):
            continue
        order = np.argsort(ks, kind="stable")
        ks, ws = ks[order], ws[order]
        starts = np.flatnonzero(np.concatenate(([True], ks[1:] != ks[:-1])))
        c = np.add.reduceat(ws, starts)
        keep = c > 0
        emit(ks[starts[keep]], c[keep])


def merge_counts(counts: tuple[np.ndarray, np.ndarray] | None,
                 added: list[tuple[np.ndarray, np.ndarray]],
                 subtracted: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The corpus's key counts (sorted keys, counts) with the tallies (see
    :func:`tally`) of the articles ``added`` counted in and of those
    ``subtracted`` counted out (each article counts a key once), in memory
    (see :func:`_merge_sorted`; the versions phase merges into a file:
    :class:`_KeyCounts`)."""
    import numpy as np

    sources = [] if counts is None else [_Sorted.of(*counts)]
    sources += [_Sorted.of(k, n) for k, n in added if len(k)]
    sources += [_Sorted.of(k, n, -1) for k, n in subtracted if len(k)]
    # (the result is written in place: the steps' pieces and their
    # concatenation were two copies of it; what it holds is at most the
    # keys given)
    total = sum(s.size for s in sources)
    out_k, out_n, m = np.empty(total, np.uint64), np.empty(total, np.int64), 0

    def emit(k: np.ndarray, n: np.ndarray) -> None:
        nonlocal m
        out_k[m:m + len(k)] = k
        out_n[m:m + len(k)] = n
        m += len(k)

    _merge_sorted(sources, emit)
    return out_k[:m], out_n[:m]


class _FilePair:
    """Two unnamed temporary files in ``folder`` (gone when closed, or with
    the process however it ends), closed together, both if the second
    cannot be made: what the versions phase keeps on disk instead of in
    memory (:class:`_KeyCounts`, :class:`_SigFile`) is in two such files."""

    def __init__(self, folder: Path) -> None:
        import tempfile
        from contextlib import ExitStack

        with ExitStack() as files:
            self._pair = (files.enter_context(tempfile.TemporaryFile(dir=folder)),
                          files.enter_context(tempfile.TemporaryFile(dir=folder)))
            self._files = files.pop_all()  # (closed by close())

    def close(self) -> None:
        self._files.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _KeyCounts(_FilePair):
    """The corpus's sentence-key counts, on disk: the sorted keys (uint64)
    and their counts (int64), the store's blobs' format, in two unnamed
    temporary files in the index folder, with every _BLOCK_ROWS-th key in
    memory to find a key's block. Held as two arrays they were ~580 bytes
    an article of the families parent, all through the run (most sentences
    are in one article; issue 15). Made by :meth:`merged`; looked up by
    :meth:`lookup`; copied into the store by its ``read`` (see
    ``Store.apply_versions``)."""

    def __init__(self, folder: Path) -> None:
        import numpy as np

        super().__init__(folder)
        self._keys, self._counts = self._pair
        self.size = 0
        self._firsts: list[np.ndarray] = []
        self._index = np.zeros(0, np.uint64)

    def _append(self, keys: np.ndarray, counts: np.ndarray) -> None:
        _write_at(self._keys.fileno(), keys.tobytes(), self.size * 8)
        _write_at(self._counts.fileno(), counts.tobytes(), self.size * 8)
        # (a copy: a view kept every step's keys alive, 8 bytes a key until
        # the merge ended: the parent's peak, at its end)
        self._firsts.append(keys[(-self.size) % _BLOCK_ROWS::_BLOCK_ROWS].copy())
        self.size += len(keys)

    @classmethod
    def merged(cls, folder: Path, sources: list[_Sorted]) -> _KeyCounts:
        """The runs ``sources`` merged (see :func:`_merge_sorted`) into a file."""
        import numpy as np

        out = cls(folder)
        try:
            _merge_sorted(sources, out._append)
            out._index = np.concatenate(out._firsts) if out._firsts else out._index
            out._firsts = []
        except BaseException:
            out.close()
            raise
        return out

    def source(self) -> _Sorted:
        """Its records, as a run to merge."""
        import numpy as np

        return _Sorted(self.size, lambda a, b: (
            np.frombuffer(self.read(0, a * 8, (b - a) * 8), dtype=np.uint64),
            np.frombuffer(self.read(1, a * 8, (b - a) * 8), dtype=np.int64)))

    def read(self, column: int, at: int, size: int) -> bytes:
        """``size`` bytes from ``at`` of the keys (column 0) or the counts (1)."""
        return _read_at((self._keys, self._counts)[column].fileno(), size, at)

    def sizes(self) -> tuple[int, int]:
        return self.size * 8, self.size * 8

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Counts of ``keys`` (0 for unknown ones), reading the blocks they
        fall in, each once (a verification round's keys at once: see
        :func:`_profiles`)."""
        import numpy as np

        out = np.zeros(len(keys), np.int64)
        if not self.size or not len(keys):
            return out
        u, back = np.unique(keys, return_inverse=True)
        found = np.zeros(len(u), np.int64)
        block = np.searchsorted(self._index, u, side="right") - 1
        cuts = np.flatnonzero(np.diff(block)) + 1
        for s, e in zip([0, *cuts.tolist()], [*cuts.tolist(), len(u)], strict=True):
            b = int(block[s])
            if b < 0:  # (below the first key)
                continue
            a, z = b * _BLOCK_ROWS, min(self.size, (b + 1) * _BLOCK_ROWS)
            bk = np.frombuffer(self.read(0, a * 8, (z - a) * 8), dtype=np.uint64)
            bn = np.frombuffer(self.read(1, a * 8, (z - a) * 8), dtype=np.int64)
            found[s:e] = _lookup((bk, bn), u[s:e])
        return found[back.ravel()]


_BLOCK_ROWS = 4096  # records of the counts' file read at a time by a lookup


def tally(blobs: Iterable[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys of these articles, and in how many of them each is."""
    import numpy as np

    parts = [_distinct(b) for b in blobs]
    if not parts:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    u, n = np.unique(np.concatenate(parts), return_counts=True)
    return u, n.astype(np.int64)


def _lookup(counts: tuple[np.ndarray, np.ndarray], keys: np.ndarray) -> np.ndarray:
    """Counts of ``keys`` (0 for unknown ones)."""
    import numpy as np

    ck, cv = counts
    if not len(ck):
        return np.zeros(len(keys), np.int64)
    pos = np.minimum(np.searchsorted(ck, keys), len(ck) - 1)
    return np.where(ck[pos] == keys, cv[pos], 0)


def _counts_of(counts: tuple[np.ndarray, np.ndarray] | _KeyCounts, keys: np.ndarray
               ) -> np.ndarray:
    """Counts of ``keys`` (0 for unknown ones), from counts in memory or on disk."""
    return counts.lookup(keys) if isinstance(counts, _KeyCounts) else _lookup(counts, keys)


def _profiles(blobs: Iterable[bytes], counts: tuple[np.ndarray, np.ndarray] | _KeyCounts
              ) -> dict[bytes, tuple[dict[int, int], int]]:
    """Each article's profile (``blobs``: its sentence keys): the lower
    quartile of how many articles hold its sentences' exact keys (an article
    can be half boilerplate; 1 when it has none), and the keys it could leave
    out, each with its count: those in at least BOILER_MIN articles and
    BOILER_RATIO times its quartile (a pair's floor is at least each of its
    two articles' own: a key under either is never left out). Made for many
    articles at once, their keys looked up together (numpy's intersect1d, a
    lookup and a percentile a pair, ~50 us each, were the parent's own work
    between two rounds: 2.1 s for 35,000 pairs on syndicated news, issue 15);
    the few keys kept, not an array of each article's keys."""
    import numpy as np

    blobs = list(dict.fromkeys(blobs))
    out = {}
    if not blobs:
        return out
    # every article's keys looked up at once (counts on disk are read a
    # block at a time: each block once, not once a batch)
    unpacked = [_unpack_keys(b) for b in blobs]
    counted = _counts_of(counts, np.concatenate(unpacked).ravel())
    done = 0
    for k in range(0, len(blobs), _PROFILE_BATCH):  # (its keys' Python ints, bounded)
        batch = blobs[k:k + _PROFILE_BATCH]
        arrays = unpacked[k:k + _PROFILE_BATCH]
        every = np.concatenate(arrays)
        keys = every.tolist()
        n = counted[done * 2:(done + len(every)) * 2].reshape(-1, 2).tolist()
        done += len(every)
        pos = 0
        for blob, arr in zip(batch, arrays, strict=True):
            end = pos + len(arr)
            mine = list(zip(keys[pos:end], n[pos:end], strict=True))
            exact = [ne for (e, _), (ne, _) in mine if e != _NO_KEY]
            typical = _lower_quartile(exact) if exact else 1
            floor = max(BOILER_MIN, BOILER_RATIO * max(1, typical))
            often = {x: c for pair, cs in mine for x, c in zip(pair, cs, strict=True)
                     if c >= floor and x != _NO_KEY}
            out[blob] = often, typical
            pos = end
    return out


_PROFILE_BATCH = 500


def _lower_quartile(values: list[int]) -> int:
    """``int(numpy.percentile(values, 25))`` (its linear interpolation, exact
    for integers: the fraction is a multiple of 1/4), without numpy's
    overhead of a call."""
    v = sorted(values)
    h = (len(v) - 1) * 0.25
    lo = int(h)
    hi = min(lo + 1, len(v) - 1)
    return int(v[lo] + (v[hi] - v[lo]) * (h - lo))


def pair_boilerplate(blob_a: bytes, blob_b: bytes,
                     counts: tuple[np.ndarray, np.ndarray] | _KeyCounts,
                     profiles: dict[bytes, tuple] | None = None) -> frozenset[int]:
    """The keys shared by two articles that are boilerplate for the pair (see
    above): sentences with one of them are left out of its verification.
    ``profiles`` keeps each article's profile (:func:`_profiles`) across the
    pairs of one run."""
    cache = {} if profiles is None else profiles
    for b in (blob_a, blob_b):
        if b not in cache:
            cache.update(_profiles([b], counts))
    (ka, ta), (kb, tb) = cache[blob_a], cache[blob_b]
    if not ka or not kb:
        return frozenset()
    floor = max(BOILER_MIN, BOILER_RATIO * max(1, ta, tb))
    return frozenset(x for x in ka.keys() & kb.keys() if ka[x] >= floor)


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


def signatures(feature_sets: Iterable[set[str]],
               perms: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """MinHash signatures (rows of uint32) for many feature sets at once
    (``perms``: :func:`permutations`).

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
            rows.append(_minhash(hashes, perms))
            hashes, total = [], 0
    if hashes:
        rows.append(_minhash(hashes, perms))
    if not rows:
        return np.zeros((0, NUM_PERM), dtype=np.uint32)
    return np.vstack(rows)


# features per numpy batch: (batch x NUM_PERM) uint32, ~8 MB, and a copy as
# the permutations are applied (50k took the same CPU, and 25 MB a worker)
_SIG_BATCH = 16_000
_hash_cache: dict[str, int] = {}
# The hashes (and immutables) of the features met first: the frequent ones.
# Signing 20k generated articles took the same CPU with 30k entries as with
# 500k (most entries past the first thousands are pairs of names met once),
# and the signature workers ~100 MB less each (issue 15).
_HASH_CACHE_MAX = 50_000


def _feature_hashes(fs: set[str]) -> np.ndarray:
    """The 32-bit hashes of a feature set's members (an empty set hashes as
    the empty string, as :func:`signatures` always did)."""
    import hashlib

    import numpy as np

    if not fs:
        fs = {""}
    get = _hash_cache.get
    out = [get(f) for f in fs]
    if None in out:
        cache = _hash_cache if len(_hash_cache) < _HASH_CACHE_MAX else {}
        for i, f in enumerate(fs):
            if out[i] is None:
                # datasketch's sha1_hash32: the first 4 bytes of the SHA-1,
                # little-endian (not imported from it: see permutations())
                out[i] = cache[f] = int.from_bytes(
                    hashlib.sha1(f.encode("utf-8")).digest()[:4], "little")
    return np.fromiter(out, dtype=np.uint32, count=len(out))


@lru_cache(maxsize=1)
def permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine permutations for MinHash(num_perm=NUM_PERM,
    seed=1), as uint32. Importing datasketch imports SciPy (for its LSH's
    parameters): 57 MB a process. The versions phase takes them here once
    and hands them to its signature workers, which import neither."""
    import numpy as np
    from datasketch import MinHash

    m = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)
    a, b = m.permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def _minhash(hashes: list[np.ndarray], perms: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """One signature per hash array: the minimum over its members of each
    affine permutation of the fmix32-premixed hash (datasketch's affine32)."""
    import numpy as np

    a, b = perms
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


def band_keys(sigs: np.ndarray, bands: int, rows: int, first: int = 0) -> np.ndarray:
    """One 64-bit key per (article, band): the band's ``rows`` values mixed
    (``first``: the band the columns of ``sigs`` start at: a band's own
    columns alone give its keys, see :class:`_SigFile`)."""
    import numpy as np

    keys = np.zeros((sigs.shape[0], bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        # in place, a row of every band at a time (band b's row r is column
        # b * rows + r): the signatures widened to 64 bits at once were a
        # temporary of 1 KB an article, the families phase's peak (issue 15)
        for r in range(rows):
            keys *= np.uint64(0x100000001B3)
            keys ^= sigs[:, r:bands * rows:rows]
        keys ^= (np.arange(bands, dtype=np.uint64) + np.uint64(first)) \
            * np.uint64(0x9E3779B97F4A7C15)
    return keys


# An LSH bucket is the articles sharing one band's three minimal hashes. A
# story reprinted N times fills buckets of about N (copies share every band);
# a bucket of hundreds or thousands is a feature common to that many
# articles (a template's line, a byline, a promo the common terms did not
# catch): no evidence that any two of them are versions, and every pair of
# it would cost its square in memory and estimates. Past BUCKET_CAP articles
# (well above the size of a family of reprints: syndicated news makes
# families of about ten) a bucket is not paired out: each of its articles is
# paired with its first BUCKET_REPS articles only (the oldest in the index:
# the bucket's representatives), linear in its size. A real family that
# large is still found (every member meets the representatives, which are
# members, and the union-find of :func:`link` joins them); a template's
# pages meet the representatives and are rejected as before, BUCKET_REPS
# each, not each against each.
BUCKET_CAP = 100
BUCKET_REPS = 10
# Bucket entries (article pairs) handled per numpy step, so that the banding's
# memory is bounded whatever the corpus (before, every band's entries were
# held at once: 5.3M at 100k articles, ~350M extrapolated at 1M); their
# signature rows are read, and the pairs estimated, in smaller steps still
# (_ESTIMATES pairs: their rows, ~25 MB, and two earlier-band keys each).
_ENTRIES = 250_000
_ESTIMATES = 25_000


def candidates(ids: list[str], sigs: np.ndarray, new: set[str]) -> dict[tuple[str, str], float]:
    """LSH banding: pairs sharing a band key, involving at least one new article,
    whose signatures estimate a Jaccard of at least ``MIN_ESTIMATE`` (each
    with that estimate; a pair's ids in order). ``sigs``: the articles'
    signatures, a row each, in the order of ``ids`` (the families phase
    bands its signatures from a file instead: see :func:`banded`)."""
    import numpy as np

    n = len(ids)
    if n < 2:
        return {}
    is_new = np.array([i in new for i in ids], dtype=bool)
    codes, est = banded(n, lambda b: sigs[:, b * LSH_ROWS:(b + 1) * LSH_ROWS],
                        lambda rows: sigs[rows], is_new)
    return _pairs_of(codes, est, n, ids)


def _pairs_of(codes: np.ndarray, est: np.ndarray, n: int, ids) -> dict[tuple[str, str], float]:
    """:func:`banded`'s pairs (``code``: row a times ``n`` plus row b) by
    their articles' ids (``ids[row]``), each pair's in order, with their
    estimates."""
    out: dict[tuple[str, str], float] = {}
    for code, e in zip(codes.tolist(), est.tolist(), strict=True):
        i, j = ids[code // n], ids[code % n]
        out[(i, j) if i < j else (j, i)] = e
    return out


def banded(n: int, band, rows, is_new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The LSH banding of :func:`candidates`, over ``n`` articles' signatures
    read through ``band(b)`` (the ``LSH_ROWS`` columns of band ``b``, every
    article's, in order) and ``rows(indexes)`` (the signature rows of those
    articles); ``is_new``: which articles are new. The pairs found, as codes
    ``a * n + b`` (rows ``a < b``) in order, and their estimates.

    The buckets are sorted arrays, not datasketch's in-memory MinHashLSH: its
    dict of sets per band costs about 300 bytes per article and band (1.3 GB
    for 100,000 articles at 42 bands). A pair is estimated once, in the first
    band that proposes it, and only the pairs that pass are kept (see
    BUCKET_CAP for large buckets).

    A band at a time: one band's keys are in memory, not every band's (336
    bytes an article, and the whole signature matrix, 512 more, held while
    banding: the families parent's memory grew with the corpus, issue 15).
    Whether an earlier band proposed a pair already is decided from the two
    articles' signature rows (their earlier bands' keys, computed again),
    read with the rows the estimate needs; whether that band's bucket was
    over the cap, from the keys of the capped buckets, kept per band (few).
    """
    import numpy as np

    queries = np.flatnonzero(is_new)
    # per band: the keys of its buckets over the cap (a new article's pairs
    # there are only with the representatives, so a later band's pair is not
    # known to have been proposed by this one)
    capped: list[np.ndarray] = []
    inv = np.empty(n, dtype=np.int64)
    kept_codes: list[np.ndarray] = []
    kept_est: list[np.ndarray] = []
    for b in range(LSH_BANDS):
        col = band_keys(band(b), 1, LSH_ROWS, first=b)[:, 0]
        order = np.argsort(col, kind="stable")  # a bucket's articles by row: oldest first
        sorted_keys = col[order]
        inv[order] = np.arange(n)
        lo = np.searchsorted(sorted_keys, col[queries], side="left")
        size = np.searchsorted(sorted_keys, col[queries], side="right") - lo
        big = size > BUCKET_CAP
        capped.append(np.unique(col[queries[big]]))  # (a pair's left article is always new)
        del col, sorted_keys
        keep = size > 1
        q, lo, size, big = queries[keep], lo[keep], size[keep], big[keep]
        if not len(q):
            continue
        counts = np.where(big, BUCKET_REPS, size)
        # a query both sides of whose pairs are proposed by both (an uncapped
        # bucket, or a representative of a capped one): each pair from the
        # smaller row only when both are new
        both = ~big | (inv[q] - lo < BUCKET_REPS)
        ends = np.cumsum(counts)
        start = 0
        while start < len(q):
            stop = max(start + 1, int(np.searchsorted(ends, ends[start] - counts[start]
                                                      + _ENTRIES, side="right")))
            qq, cc = q[start:stop], counts[start:stop]
            left = np.repeat(qq, cc)
            offsets = np.arange(cc.sum()) - np.repeat(np.cumsum(cc) - cc, cc)
            right = order[np.repeat(lo[start:stop], cc) + offsets]
            mask = (left != right) & (~is_new[right] | ~np.repeat(both[start:stop], cc)
                                      | (left < right))
            left, right = left[mask], right[mask]
            for k in range(0, len(left), _ESTIMATES):
                sa, sc = left[k:k + _ESTIMATES], right[k:k + _ESTIMATES]
                got, at = np.unique(np.concatenate([sa, sc]), return_inverse=True)
                sigs = rows(got)
                ra, rc = at[:len(sa)], at[len(sa):]
                for e in range(b):  # proposed by an earlier, uncapped band: done there
                    if not len(sa):
                        break
                    # (band by band, the pairs left only: a family's pairs
                    # go at its first band, as they did with every band's
                    # keys in memory; all b bands' keys at once cost 7x the
                    # banding's CPU on reprints)
                    cols = slice(e * LSH_ROWS, (e + 1) * LSH_ROWS)
                    if 2 * len(ra) < len(sigs):  # (few pairs left: their rows' keys only)
                        ka = band_keys(sigs[ra, cols], 1, LSH_ROWS, first=e)[:, 0]
                        same = ka == band_keys(sigs[rc, cols], 1, LSH_ROWS, first=e)[:, 0]
                    else:
                        key = band_keys(sigs[:, cols], 1, LSH_ROWS, first=e)[:, 0]
                        ka = key[ra]
                        same = ka == key[rc]
                    if same.any():
                        same[same] = ~np.isin(ka[same], capped[e])
                        sa, sc, ra, rc = sa[~same], sc[~same], ra[~same], rc[~same]
                est = (sigs[ra] == sigs[rc]).mean(axis=1)
                ok = est >= MIN_ESTIMATE
                sa, sc = sa[ok], sc[ok]
                kept_codes.append(np.minimum(sa, sc).astype(np.int64) * n + np.maximum(sa, sc))
                kept_est.append(est[ok])
            start = stop
    if not kept_codes:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    # (a capped bucket's pairs can come again from another band)
    codes, first = np.unique(np.concatenate(kept_codes), return_index=True)
    return codes, np.concatenate(kept_est)[first]


class _SigFile(_FilePair):
    """The run's signatures, out of memory, in two unnamed temporary files
    in the index folder (see :class:`_FilePair`): the rows, 512 bytes an
    article, read a few at a time for the pairs' estimates (explicit reads:
    a memory map's pages would count as the process's once touched), and
    the same values band by band (each band's LSH_ROWS columns of every
    article, one after the other), read a band at a time for the banding.
    Held in memory, the matrix was 512 bytes an article of the families
    parent, and every band's keys 336 more (issue 15)."""

    _BLOCK = 4096  # rows written at a time

    def __init__(self, folder: Path, n: int) -> None:
        super().__init__(folder)
        self._rows, self._bands = self._pair
        self.n, self.filled = n, 0

    def fill(self, blobs: Iterable[bytes]) -> None:
        """Write the signatures (a blob each, in row order)."""
        import numpy as np

        block: list[bytes] = []
        for blob in blobs:
            block.append(blob)
            if len(block) == self._BLOCK:
                self._add(np.frombuffer(b"".join(block), dtype=np.uint32).reshape(-1, NUM_PERM))
                block.clear()
        if block:
            self._add(np.frombuffer(b"".join(block), dtype=np.uint32).reshape(-1, NUM_PERM))

    def _add(self, rows: np.ndarray) -> None:
        import numpy as np

        _write_at(self._rows.fileno(), rows.tobytes(), self.filled * NUM_PERM * 4)
        w = LSH_ROWS * 4
        for b in range(LSH_BANDS):
            part = np.ascontiguousarray(rows[:, b * LSH_ROWS:(b + 1) * LSH_ROWS])
            _write_at(self._bands.fileno(), part.tobytes(), (b * self.n + self.filled) * w)
        self.filled += len(rows)

    def band(self, b: int) -> np.ndarray:
        """Band ``b``'s columns, every article's."""
        import numpy as np

        w = LSH_ROWS * 4
        return np.frombuffer(_read_at(self._bands.fileno(), self.n * w, b * self.n * w),
                             dtype=np.uint32).reshape(self.n, LSH_ROWS)

    # rows of the file a read covers at most (4 MB): the rows asked for in
    # such a window are read in one read of the window's span when they are
    # many, else a run of consecutive ones at a time
    _WINDOW = 8192
    _RUNS = 32  # runs in a window from which its span is read instead

    def rows(self, rows: np.ndarray) -> np.ndarray:
        """The signature rows ``rows`` (each distinct one read once)."""
        import numpy as np

        w = NUM_PERM * 4
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) and bool(np.all(rows[1:] > rows[:-1])):
            got, back = rows, None  # (sorted and distinct already: the banding's)
        else:
            got, back = np.unique(rows, return_inverse=True)
        out = np.empty((len(got), NUM_PERM), dtype=np.uint32)
        fd = self._rows.fileno()
        windows = np.searchsorted(got, np.arange(0, self.n + self._WINDOW, self._WINDOW))
        for a, z in zip(windows[:-1].tolist(), windows[1:].tolist(), strict=True):
            if a == z:
                continue
            part = got[a:z]
            cuts = (np.flatnonzero(np.diff(part) != 1) + 1).tolist()
            if len(cuts) >= self._RUNS:
                first = int(part[0])
                span = np.frombuffer(_read_at(fd, (int(part[-1]) + 1 - first) * w, first * w),
                                     dtype=np.uint32).reshape(-1, NUM_PERM)
                out[a:z] = span[part - first]
                continue
            for s, e in zip([0, *cuts], [*cuts, len(part)], strict=True):
                out[a + s:a + e] = np.frombuffer(
                    _read_at(fd, (e - s) * w, int(part[s]) * w), dtype=np.uint32
                ).reshape(-1, NUM_PERM)
        return out if back is None else out[back.ravel()]


def _write_at(fd: int, data: bytes, at: int) -> None:
    import os

    view = memoryview(data)
    while len(view):
        k = os.pwrite(fd, view, at)
        view, at = view[k:], at + k


def _read_at(fd: int, size: int, at: int) -> bytes:
    import os

    parts = []
    while size:
        got = os.pread(fd, size, at)
        if not got:  # (the run's own file, written before: it was cut short)
            raise OSError("a temporary file of the versions phase ended early")
        parts.append(got)
        size, at = size - len(got), at + len(got)
    return b"".join(parts)


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


# ------------------------------------------------------------ the families
#
# A family is found once. On syndicated news every story comes with many
# near-copies, and every pair of them is a candidate: verifying each (and,
# before, closing every family by verifying each member pair the LSH missed)
# made the verified pairs grow as n^1.71. The candidates are verified instead
# in rounds, best estimate first, with a union-find of the families known so
# far (the stored pairs, then each verified pair as it comes):
#
# - a candidate whose two articles are in one family already is not verified
#   (the family is known; what it would add is pair data, see CLOSE_K);
# - the first BORUVKA_ROUNDS rounds verify, for each family (or lone
#   article), its best candidate outside it only (Borůvka's step: a family of
#   n new near-copies is joined in about n verifications, not n(n-1)/2);
# - then each two families (or a family and an article) are compared through
#   their best untried candidate, one a round, and judged different after
#   TRIES rejected ones: the same-story articles of two families share names
#   and words, and each of the n x m pairs between them is a candidate. (A
#   heavy paraphrase can fail against the original and pass against one of
#   its other versions, further down by estimate: on the quality bench, 3
#   tries lost 3 of them, 10 none, for 0.7% more verifications; rejections
#   are rare on syndicated news, where the pairs are versions.)
BORUVKA_ROUNDS = 2
TRIES = 10
# The pairs a family keeps are its data: the timeline's step to each member
# (the pair with its closest earlier version, by similarity), the outlets
# table's steps and kinds. Before, every family of up to 50 members was
# closed (each member pair verified: the explosion itself, n(n-1)/2 a
# family). Now each new member is verified against the CLOSE_K earlier
# members (in the family's order: the dated oldest first, then by path) whose
# signatures are the most alike, equal estimates going to the earlier one
# (its likeliest closest earlier versions: copies of one text have one
# signature, and the first of them is the one it came from), the family's
# first member (its first publication, the timeline's origin: a member's
# delay and change since then), and its most alike member overall (a member
# it is itself the earlier version of): at most CLOSE_K + 2 verifications a
# member, whatever the family's size (fewer when texts repeat: see
# Verdicts). In a family of up to CLOSE_SCAN members the estimates are taken
# against every member (the LSH misses a pair at the threshold's Jaccard half
# the time), in a larger one against its candidates only.
CLOSE_K = 2
CLOSE_SCAN = 200


class _Components:
    """Union-find over article ids (the smaller id a group's root)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for x in list(self.parent):
            out.setdefault(self.find(x), []).append(x)
        return out


class Verdicts:
    """Verification by the two texts. Articles with one text (body hash) are
    copies, and :func:`verify` gives a pair of texts one verdict whichever
    articles carry them (the boilerplate it leaves out is the texts' too): so
    a pair of texts is verified once. Syndicated news reprints one text many
    times, and every reprint's pairs but the first are read from here.
    ``verify_pairs(pairs) -> verified pairs`` does the verifying;
    ``texts``: article id -> body hash."""

    def __init__(self, verify_pairs, texts: dict[str, str]) -> None:
        self.verify_pairs, self.texts = verify_pairs, texts
        self.seen: dict[tuple[str, str], VersionPair | None] = {}

    def key(self, a: str, b: str) -> tuple[str, str]:
        ta, tb = self.texts.get(a, "id " + a), self.texts.get(b, "id " + b)
        return (ta, tb) if ta <= tb else (tb, ta)

    def known(self, a: str, b: str) -> bool:
        return self.key(a, b) in self.seen

    def __call__(self, pairs: list[tuple[str, str]]) -> list[VersionPair]:
        """The verified pairs of ``pairs`` (each text pair verified once)."""
        todo: dict[tuple[str, str], tuple[str, str]] = {}
        for a, b in pairs:
            k = self.key(a, b)
            if k not in self.seen:
                todo.setdefault(k, (a, b))
        # (in id order, not the rounds' order by estimate: the same chunks
        # every run; the verifying cuts them by family, see _pair_chunks)
        got = ({(vp.a, vp.b): vp for vp in self.verify_pairs(sorted(todo.values()))}
               if todo else {})
        for k, p in todo.items():
            self.seen[k] = got.get(p)
        out = []
        for a, b in pairs:
            v = self.seen[self.key(a, b)]
            if v is not None:
                out.append(v if (v.a, v.b) == (a, b) else
                           VersionPair(a, b, v.kind, v.similarity, v.aligned))
        return out


def link(cands: dict[tuple[str, str], float], known: Iterable[VersionPair],
         verdicts: Verdicts) -> tuple[list[VersionPair], set[tuple[str, str]], _Components]:
    """Verify the candidates ``cands`` (pair -> estimate) in rounds (see
    above); the ``known`` pairs' families to start from. The verified pairs,
    the pairs tried, and the families (union-find) at the end. A pair whose
    texts were verified already is settled at once, and a rejection of texts
    already rejected is no further evidence (it is not counted in TRIES)."""
    comp = _Components()
    for p in known:
        comp.union(p.a, p.b)
    todo = sorted(cands, key=lambda p: (-cands[p], p))
    found: list[VersionPair] = []
    failed: list[tuple[str, str]] = []
    tried: set[tuple[str, str]] = set()
    rounds = 0
    while todo:
        rejected: dict[tuple[str, str], int] = {}
        for a, b in failed:
            ra, rb = sorted((comp.find(a), comp.find(b)))
            if ra != rb:
                rejected[ra, rb] = rejected.get((ra, rb), 0) + 1
        boruvka = rounds < BORUVKA_ROUNDS
        batch: list[tuple[str, str]] = []
        later: list[tuple[str, str]] = []
        picked: set[str] = set()
        met: set[tuple[str, str]] = set()
        texts: set[tuple[str, str]] = set()
        for p in todo:
            ra, rb = sorted((comp.find(p[0]), comp.find(p[1])))
            if ra == rb or rejected.get((ra, rb), 0) >= TRIES:
                continue  # one family already; or judged different
            if verdicts.known(*p):  # its texts' verdict is known
                tried.add(p)
                for vp in verdicts([p]):
                    comp.union(vp.a, vp.b)
                    found.append(vp)
                continue
            k = verdicts.key(*p)
            if (ra, rb) in met or k in texts or (boruvka and ra in picked and rb in picked):
                later.append(p)
                continue
            batch.append(p)
            met.add((ra, rb))
            texts.add(k)
            picked.update((ra, rb))
        if not batch:
            break
        got = verdicts(batch)
        ok = set()
        for vp in got:
            comp.union(vp.a, vp.b)
            ok.add((vp.a, vp.b))
        found += got
        tried.update(batch)
        failed += [p for p in batch if p not in ok]
        todo = later
        rounds += 1
    return found, tried, comp


def family_candidates(groups: Iterable[list[str]], new: set[str], tried: set[tuple[str, str]],
                      cands: dict[tuple[str, str], float], row: dict[str, int], read,
                      metas: Iterable[ArticleMeta]) -> list[tuple[str, str]]:
    """The pairs that give each new member of a family (``groups``: the
    families' members; ``new``: those of them that are new) its likeliest
    closest versions (see CLOSE_K) not yet ``tried``: pair data, the family
    being known. ``row``: the members' signature rows, ``read(rows)`` their
    signatures; ``metas``: the metadata of the
    families' members (their order)."""
    import numpy as np

    place = {m.id: _order(m, _instant(m.date)) for m in metas}
    near: dict[str, list[tuple[float, str]]] = {}
    for (a, b), e in cands.items():
        near.setdefault(a, []).append((e, b))
        near.setdefault(b, []).append((e, a))
    out: set[tuple[str, str]] = set()
    todo = []
    for members in groups:
        if len(members) < 2 or new.isdisjoint(members):
            continue
        todo.append(sorted((m for m in members if m in row and m in place),
                           key=place.__getitem__))
    # the scanned families' signatures read _FAMILY_ROWS at a time (a read a
    # family cost ~1 ms each, the file's windows set up for a few rows)
    batch: list[list[str]] = []
    held = 0
    for k, members in enumerate(todo):
        if len(members) > CLOSE_SCAN:
            _close_versions(members, None, new, tried, near, place, out)
        elif members:
            batch.append(members)
            held += len(members)
        if batch and (held >= _FAMILY_ROWS or k == len(todo) - 1):
            got = read(np.array([row[m] for ms in batch for m in ms], dtype=np.int64))
            at = 0
            for ms in batch:
                _close_versions(ms, got[at:at + len(ms)], new, tried, near, place, out)
                at += len(ms)
            batch, held = [], 0
    return sorted(out)


_FAMILY_ROWS = 4096


def _close_versions(members: list[str], sigs: np.ndarray | None, new: set[str],
                    tried: set[tuple[str, str]], near: dict, place: dict,
                    out: set[tuple[str, str]]) -> None:
    """:func:`family_candidates` for one family (``members`` in order;
    ``sigs``: their signatures, when it is small enough to be scanned)."""
    if members:
        scan = sigs is not None
        inside = set(members)
        for k, x in enumerate(members):
            if x not in new:
                continue
            if scan:
                est = (sigs == sigs[k]).mean(axis=1).tolist()
                scored = [(e, y) for e, y in zip(est, members, strict=True) if y != x]
            else:
                scored = [(e, y) for e, y in near.get(x, ()) if y in inside]
            scored = [t for t in scored if t[0] >= MIN_ESTIMATE]
            scored.sort(key=lambda t: (-t[0], place[t[1]]))
            earlier = [y for _, y in scored if place[y] < place[x]][:CLOSE_K]
            first = [y for _, y in scored if y == members[0]]
            for y in earlier + first + [y for _, y in scored[:1]]:
                p = (x, y) if x < y else (y, x)
                if p not in tried:
                    out.add(p)


def families(pairs: Iterable[VersionPair]) -> list[list[VersionPair]]:
    """Connected groups of pairs (union-find), each group's pairs in a list."""
    comp = _Components()
    pairs = list(pairs)
    for p in pairs:
        comp.union(p.a, p.b)
    groups: dict[str, list[VersionPair]] = {}
    for p in pairs:
        groups.setdefault(comp.find(p.a), []).append(p)
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
    members.sort(key=lambda m: _order(m, when[m.id]))
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


def _order(m: ArticleMeta, when: datetime | None) -> tuple:
    """A member's place in its family: the dated oldest first, then the
    undated (order unknown) by path (ties broken by path, line and id: the
    same order every run, never the order of a set, which changes from one
    process to the next). ``when``: its :func:`_instant`."""
    return ((0, when, m.path, m.line or 0, m.id) if when is not None
            else (1, m.path, m.line or 0, m.id))


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


@dataclass(frozen=True)
class Signed:
    """A chunk of articles' signatures and sentence keys, each kind packed
    into one buffer: a bytes object an article, as before, cost the parent
    ~1 KB an article in overheads (issue 15)."""

    ids: list[str]
    sigs: bytes  # len(ids) rows of NUM_PERM uint32
    keys: bytes  # every article's sentence keys (see _pack_keys), one after the other
    ends: bytes  # int64: where each article's keys end, in key rows
    tally: tuple[bytes, bytes]  # the chunk's distinct keys, and how many of its articles hold each

    def rows(self, hashes: dict[str, str]) -> tuple[Iterator[tuple], Iterator[tuple]]:
        """The chunk's (id, content hash, signature) and (id, keys) rows
        (``hashes``: the articles' content hashes)."""
        import numpy as np

        ends = np.frombuffer(self.ends, dtype=np.int64).tolist()
        starts = [0, *ends][:-1]  # (none for a chunk whose articles had no text)
        w = NUM_PERM * 4
        return (((i, hashes[i], self.sigs[k * w:(k + 1) * w]) for k, i in enumerate(self.ids)),
                ((i, self.keys[a * 16:e * 16])
                 for i, a, e in zip(self.ids, starts, ends, strict=True)))

    def counted(self) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        return (np.frombuffer(self.tally[0], dtype=np.uint64),
                np.frombuffer(self.tally[1], dtype=np.int64))


def _sig_chunk(store_path: str, common: frozenset[str], perms: tuple[np.ndarray, np.ndarray],
               ids: list[str]) -> Signed:
    """The signatures and sentence keys of articles ``ids`` (or shipped with
    their texts, see :func:`_ship_ids`); ``perms``: :func:`permutations`."""
    import numpy as np

    from .jobs import unship

    ids, bodies = unship(ids)
    if bodies is None:
        bodies = _bodies(store_path, ids)
    done = [i for i in ids if i in bodies]
    prepared = [prepare(bodies[i]) for i in done]
    sigs = signatures((features(bodies[i], p, common=common)
                       for i, p in zip(done, prepared, strict=True)), perms)
    blobs = [_pack_keys(p.keys) for p in prepared]
    u, n = tally(blobs)
    ends = np.cumsum([len(b) // 16 for b in blobs], dtype=np.int64)
    return Signed(done, sigs.astype(np.uint32, copy=False).tobytes(), b"".join(blobs),
                  ends.tobytes(), (u.tobytes(), n.tobytes()))


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


def _pair_chunks(pairs: list[tuple]) -> list[list[tuple]]:
    """``pairs`` (``(a, b, ...)``) cut into chunks of about ``_CHUNK``, each
    connected group of them (a family's pairs, the articles they join) in one
    chunk, unless it is larger than a chunk: a chunk prepares each article of
    its pairs (:func:`_verify_chunk`), so an article is prepared about once a
    round. (Runs of pairs in id order, as before, scattered a family over the
    chunks, and each prepared its articles again: on syndicated news, 53,000
    preparations for the 36,500 pairs of 18,000 articles, issue 15.) The
    groups go by their smallest id; each group's pairs in their order."""
    comp = _Components()
    for p in pairs:
        comp.union(p[0], p[1])
    groups: dict[str, list[tuple]] = {}
    for p in pairs:
        groups.setdefault(comp.find(p[0]), []).append(p)
    chunks: list[list[tuple]] = []
    chunk: list[tuple] = []
    for root in sorted(groups):
        group = groups[root]
        if chunk and len(chunk) + len(group) > _CHUNK:
            chunks.append(chunk)
            chunk = []
        chunk += group
        while len(chunk) > _CHUNK:  # a group larger than a chunk: in pieces
            chunks.append(chunk[:_CHUNK])
            chunk = chunk[_CHUNK:]
    if chunk:
        chunks.append(chunk)
    return chunks


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


def _chunked(items: list) -> list[list]:
    return [items[k:k + _CHUNK] for k in range(0, len(items), _CHUNK)]


def _map(fn, chunks: list[list], procs: int | None, progress, cancel, executor=None,
         ship=None) -> list:
    """``fn(chunk)`` over ``chunks``, the results joined."""
    from .jobs import map_chunks

    return [r for rs in map_chunks(fn, chunks, procs=procs, progress=progress, cancel=cancel,
                                   executor=executor, ship=ship)
            for r in rs]


def _link_all(store, store_path: Path, cands: dict[tuple[str, str], float], removed: set[str],
              sig_file: _SigFile, report: VersionsReport, procs, progress, cancel, executor,
              ship, counts) -> list[VersionPair]:
    """The candidates verified and linked into families (see :func:`link`),
    and the pairs that give each new member of a family its closest versions
    (see :func:`family_candidates`)."""
    keys: dict[str, bytes] = {}  # the pairs' articles' keys, read once
    profiles: dict[bytes, tuple] = {}
    # the articles' content hashes (the texts verified once, see Verdicts),
    # read for the pairs' articles only
    texts = store.hash_by_id({x for p in cands for x in p})

    def verify_all(cands: list[tuple[str, str]]) -> list[VersionPair]:
        report.candidates += len(cands)
        need = {x for p in cands for x in p} - keys.keys()
        fresh = store.staged_among(need)
        keys.update(store.sentence_keys(need - fresh))
        keys.update(store.sentence_keys(fresh, staged=True))
        profiles.update(_profiles((keys[x] for p in cands for x in p if x in keys
                                   and keys[x] not in profiles), counts))
        items = [(a, b, pair_boilerplate(keys[a], keys[b], counts, profiles))
                 if a in keys and b in keys else (a, b, frozenset())
                 for a, b in cands]
        return _map(partial(_verify_chunk, str(store_path)), _pair_chunks(items), procs,
                    (lambda d, t: progress("verifying", d, t)) if progress else None,
                    cancel, executor,
                    partial(_ship_pairs, str(store_path)) if ship else None)

    known = [VersionPair(a, b, k, s, al) for a, b, k, s, al in store.version_pairs()
             if a not in removed and b not in removed]
    verdicts = Verdicts(verify_all, texts)
    pairs, tried, comp = link(cands, known, verdicts)
    # each new member's likeliest closest versions in its family (the pair
    # data the timeline and the outlets table read)
    groups = [g for g in comp.groups().values() if len(g) > 1]
    fresh = store.staged_among({x for g in groups for x in g})
    grown = [g for g in groups if not fresh.isdisjoint(g)]
    members = {x for g in grown for x in g}
    more = family_candidates(grown, fresh, tried, cands, store.rows_of_ids(members),
                             sig_file.rows, store.articles_for(members))
    if more:
        texts.update(store.hash_by_id({x for p in more for x in p}))
        pairs += verdicts(more)
    return pairs


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
    removed, report.removed, new = store.version_changes()
    if not removed and not new:
        # nothing to compare: the signatures (22% of an unchanged re-index
        # at 100k articles, issue 15), the sentence counts and the banding
        # are not read at all; nothing would have been written
        store.mark_versions_synced(scheme)
        report.seconds = time.perf_counter() - t0
        return report

    from contextlib import ExitStack

    import numpy as np  # (here: an unchanged corpus does not load it)

    from .errors import Cancelled
    from .jobs import map_chunks

    folder = store_path.parent
    temps = ExitStack()  # the run's temporary files (unnamed: see _SigFile)
    try:
        tallies: list[tuple[np.ndarray, np.ndarray]] = []
        runs: list[_KeyCounts] = []  # the new articles' tallies, merged, on disk
        store.stage_versions()

        def on_signed(_k: int, c: Signed) -> None:
            # each chunk's rows go to the store's staging tables as it comes,
            # and its tally is merged with the others' into a run on disk
            # once they hold _RUN_ROWS keys, so that neither adds up in
            # memory while the workers run (the runs are merged at the end:
            # before, into the counts, held in memory, each time the tallies
            # were as many keys as they, issue 15)
            store.stage_signed(*c.rows(store.hash_by_id(c.ids)))
            report.signed += len(c.ids)
            tallies.append(c.counted())
            if sum(len(k) for k, _ in tallies) >= _RUN_ROWS:
                runs.append(temps.enter_context(_KeyCounts.merged(
                    folder, [_Sorted.of(k, n) for k, n in tallies])))
                tallies.clear()
            if len(runs) >= _MAX_RUNS:
                one = temps.enter_context(_KeyCounts.merged(folder, [r.source() for r in runs]))
                for r in runs:
                    r.close()
                runs[:] = [one]

        map_chunks(partial(_sig_chunk, str(store_path), common, permutations()), _chunked(new),
                   procs=procs, cancel=cancel, executor=executor, each=on_signed, keep=False,
                   progress=(lambda d, t: progress("signatures", d, t)) if progress else None,
                   ship=partial(_ship_ids, str(store_path)) if ship else None)
        signed_any = bool(new)
        del new  # (every id: ~70 bytes an article)
        # the corpus's sentence-key counts: the stored ones (read from the
        # store's blob a piece at a time), the new articles' counted in, the
        # removed (and changed) ones' out, merged into a file
        old_keys = store.sentence_keys(removed)
        gone = tally(old_keys.values())
        stored = store.sentence_counts_size()
        counts = temps.enter_context(_KeyCounts.merged(folder, (
            ([_Sorted(stored, store.read_sentence_counts)] if stored else [])
            + [r.source() for r in runs] + [_Sorted.of(k, n) for k, n in tallies]
            + [_Sorted.of(*gone, -1)])))
        for r in runs:
            r.close()
        runs.clear()
        tallies.clear()
        del gone
        # every signature numbered, the stored ones first (oldest first: see
        # BUCKET_REPS), then the new ones; banded from a file (see _SigFile)
        first_new, n = store.number_sigs() if report.signed else (0, 0)
        pairs: list[VersionPair] = []
        if n > 1:
            with _SigFile(folder, n) as sig_file:
                sig_file.fill(store.each_numbered_sig())
                codes, est = banded(n, sig_file.band, sig_file.rows, np.arange(n) >= first_new)
                ids = store.ids_of_rows(np.unique(np.concatenate([codes // n, codes % n])).tolist())
                cands = _pairs_of(codes, est, n, ids)
                del codes, est, ids
                pairs = _link_all(store, store_path, cands, removed, sig_file, report, procs,
                                  progress, cancel, executor, ship, counts)
        changed = bool(report.signed or old_keys)
        store.apply_versions(removed, pairs, counts if changed else None, signed=signed_any)
    except Cancelled:
        store.discard_staged()
        report.cancelled = True
        report.seconds = time.perf_counter() - t0
        return report
    finally:
        temps.close()
    store.mark_versions_synced(scheme)
    report.pairs = len(pairs)
    report.seconds = time.perf_counter() - t0
    return report
