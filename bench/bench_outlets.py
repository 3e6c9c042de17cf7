"""The cost of the outlets table (``variorum outlets``) on a big corpus,
against the families it is read from.

The store of an index of N articles (default 100,000) is written directly:
its articles (dated, each at one of 40 sources) and the verified version
pairs of syndicated news, stories of 1 to 9 versions (the first
publication, then copies, near-copies and rewrites at other sources, 10
minutes to 3 days later), and the spin counts of every rewrite, as the
pipeline's "spin" phase leaves them. Pair *detection* is not measured here
(bench_versions.py and issue 15 do that): only what ``outlets`` costs once
the pairs exist.

Timed in the same process, by turns, medians over --runs:

- baseline: ``Corpus.families()``, the families every versions listing
  (``variorum versions``, the reader's badges) already assembles;
- ``Corpus.outlets(spin=False)``: the table from the stored counts;
- ``Corpus.outlets()``: the same after the spin phase has found nothing
  left to diff (the cost of asking again on an unchanged corpus).

    python bench/bench_outlets.py [--n 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index import Corpus


def write_store(ix: Path, n: int, seed: int, extractor_key: str) -> tuple[int, int]:
    """A store of ``n`` dated articles in stories of 1-9 versions; returns
    (pairs, rewrites)."""
    from index.store.db import STORE_FILE, Store

    rng = random.Random(seed)
    ix.mkdir(parents=True)
    store = Store(ix / STORE_FILE)
    sources = [f"outlet-{k:02d}.example" for k in range(40)]
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    articles, pairs, spin = [], [], []
    k = 0
    while k < n:
        size = min(rng.choice((1, 1, 1, 2, 2, 3, 4, 5, 7, 9)), n - k)
        first = t0 + timedelta(minutes=rng.randrange(365 * 24 * 60))
        ids = []
        later = sorted(rng.randrange(10, 3 * 24 * 60) for _ in range(size - 1))
        for j in range(size):
            when = first if j == 0 else first + timedelta(minutes=later[j - 1])
            aid = f"{k:012x}"
            articles.append((aid, f"{k // 1000:03d}/{k}.json", None, f"Story {k}",
                             rng.choice(sources), when.isoformat(), None, None, f"h{k}"))
            ids.append(aid)
            k += 1
        for j, b in enumerate(ids[1:], 1):
            a = ids[rng.randrange(j)]  # an earlier version
            r = rng.random()
            kind, sim = (("copy", 0.97) if r < 0.5 else ("near-copy", 0.8) if r < 0.8
                         else ("rewrite", 0.5))
            pairs.append((a, b, kind, sim, sim))
            if kind == "rewrite":
                spin.append((f"h{int(a, 16)}", f"h{int(b, 16)}", rng.randrange(2),
                             rng.randrange(2)))
    with store.db:
        store.db.executemany("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             articles)
        store.db.executemany("INSERT INTO pairs VALUES (?, ?, ?, ?, ?)", pairs)
    store.put_spin(extractor_key, spin)
    store.set_meta("complete", "1")
    store.close()
    return len(pairs), len(spin)


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        root, ix = Path(tmp) / "corpus", Path(tmp) / "ix"
        root.mkdir()
        c = Corpus(root, index_dir=ix, ner="rules")
        from index.nlp.annotate import cache_key

        t = time.perf_counter()
        npairs, nrew = write_store(ix, args.n, args.seed, cache_key(c.extractor_choice))
        print(f"store of {args.n:,} articles, {npairs:,} pairs ({nrew:,} rewrites) written "
              f"in {time.perf_counter() - t:.1f} s")
        table = c.outlets(spin=False)
        assert table.unchecked == 0, f"{table.unchecked} rewrites unchecked"
        print(f"table: {len(table.pairs):,} pairs of sources, {table.steps:,} steps")
        times: dict[str, list[float]] = {"families (baseline)": [], "outlets, stored counts":
                                          [], "outlets, spin phase first": []}
        for _ in range(args.runs):
            times["families (baseline)"].append(timed(c.families))
            times["outlets, stored counts"].append(timed(lambda: c.outlets(spin=False)))
            times["outlets, spin phase first"].append(timed(lambda: c.outlets(procs=1)))
        c.close()
    base = statistics.median(times["families (baseline)"])
    print(f"\n{'':28}{'median':>10}{'min':>10}{'× baseline':>12}")
    for name, xs in times.items():
        med = statistics.median(xs)
        print(f"{name:28}{med:>9.2f}s{min(xs):>9.2f}s{med / base:>11.2f}×")
    print(f"\nruns {args.runs}; cores {os.cpu_count()}; load before "
          f"{' '.join(f'{x:.2f}' for x in load0)}, after "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
