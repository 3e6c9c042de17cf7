"""A set clause (an entity, ``has:``, ``kind:``, ``lang:``) of many articles:
matched as one list of document numbers a segment (``DocSetQuery``), against
the baseline of before issue 15, an ``Or`` of one ``id`` term an article.

On the index of CORPUS (made first if it has none: the text index only),
for sets of K article ids drawn at random (K in --sizes), alone and ANDed
with a common word, by turns in one process, medians of --runs. The first
query of a segment reader also builds its id map (once a reader: a new
index generation builds it again); that cost is printed apart.

    python bench/bench_set_clause.py CORPUS [--index-dir D] [--sizes 1000,5000,20000]
                                     [--runs 5] [--word said]

(A corpus: e.g. bench/bench_dask.py's generated one, or any folder; the
issue's figure is 20k matches.)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from whoosh import query as wq

from index import Corpus
from index.search.whoosh_internals import DocSetQuery


def baseline(ids) -> wq.Query:
    """The rewrite of before: one id term an article."""
    return wq.Or([wq.Term("id", i) for i in sorted(ids)])


def run(searcher, q) -> tuple[float, int]:
    t = time.perf_counter()
    n = len(searcher.search(q, limit=10))
    return (time.perf_counter() - t) * 1000, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--index-dir", type=Path)
    ap.add_argument("--sizes", default="1000,5000,20000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--word", default="said")
    ap.add_argument("--seed", type=int, default=15)
    args = ap.parse_args()
    c = Corpus(args.corpus, index_dir=args.index_dir, ner="rules")
    if not c.has_index:
        c.update(versions=False)
    ids = [a.id for a in c.articles()]
    searcher = c._s()
    reader = searcher.reader()
    t = time.perf_counter()
    for leaf, _offset in searcher.leaf_searchers():
        DocSetQuery(ids[:1]).matcher(leaf)  # builds each segment's id map
    build = (time.perf_counter() - t) * 1000
    print(f"{len(ids):,} articles in {len(searcher.leaf_searchers())} segments "
          f"({reader.doc_count():,} documents); the id maps: {build:.0f} ms, once a reader")
    rng = random.Random(args.seed)
    load0 = os.getloadavg()
    print(f"\n{'ids':>7} {'query':<16}{'Or of ids (ms)':>16}{'doc set (ms)':>14}{'ratio':>8}"
          f"{'hits':>8}")
    for k in (int(x) for x in args.sizes.split(",")):
        sample = rng.sample(ids, min(k, len(ids)))
        for label, extra in (("alone", None), (f"AND {args.word}", wq.Term("body", args.word))):
            qs = {"base": baseline(sample), "set": DocSetQuery(sample)}
            if extra is not None:
                qs = {name: wq.And([q, extra]) for name, q in qs.items()}
            times: dict[str, list[float]] = {"base": [], "set": []}
            hits = {}
            for _ in range(args.runs):
                for name, q in qs.items():
                    ms, hits[name] = run(searcher, q)
                    times[name].append(ms)
            assert hits["base"] == hits["set"], hits  # the same articles
            b, s = statistics.median(times["base"]), statistics.median(times["set"])
            print(f"{len(sample):>7} {label:<16}{b:>16.1f}{s:>14.1f}{b / s:>7.1f}×"
                  f"{hits['set']:>8}")
    print(f"\nmedians of {args.runs}, by turns; cores {os.cpu_count()}; load before "
          f"{' '.join(f'{x:.2f}' for x in load0)}, after "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    c.close()


if __name__ == "__main__":
    main()
