"""One worker's segment: the term pool against Whoosh's own posting pool, in
the same run (issue 15).

A worker of ``variorum index`` reads its share of the files and writes them
into one Whoosh segment (``index.search.indexer._index_part``). Its posting
pool is the part that grew faster than the corpus: Whoosh's ``PostingPool``
keeps a tuple a posting, sorts them all at the end and, past its memory
limit, pickles every posting to a run file and merges the runs through a
heap. ``whoosh_internals.TermPool`` groups postings by term as they come and
writes the segment a term at a time.

Each timing is a fresh process (so its peak RSS is its own) that builds the
segment of the first N files of a corpus with one pool or the other, with
the worker's pool limit (``--limit-mb``, default the indexer's), and
reports its CPU time, wall time and peak RSS; both pools run by turns, and
the segment files of the two are compared byte for byte once.

    python bench/bench_segment.py CORPUS [--n 5000,18000] [--runs 3] [--limit-mb 256]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import gc, hashlib, json, resource, sys, time, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from index.ingest import scan
from index.search import indexer, whoosh_internals as wi
corpus, n, pool = Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
limit, out = float(sys.argv[5]), sys.argv[6]
if pool == "whoosh":  # Whoosh's own pool (and so its add_postings path)
    from whoosh.writing import PostingPool
    wi.TermPool = PostingPool
entries = scan(corpus)[0][:n]
indexer.open_index(Path(out), create=True)
indexer.WORKER_LIMIT_MB = limit
t0, c0 = time.perf_counter(), time.process_time()
chunk = [(e, None, None) for e in entries]
if hasattr(indexer, "_chunk_file"):  # (a tree whose workers read their chunk from a file)
    chunk = indexer._chunk_file(out, chunk)
part = indexer._index_part(out, str(corpus), chunk)
cpu, wall = time.process_time() - c0, time.perf_counter() - t0
# the peak before the segment is read back for its digest (a file at a time,
# in pieces: reading each whole was the peak of a big segment)
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
wdir = Path(out, indexer.WHOOSH_DIR)
digest = hashlib.blake2b(digest_size=8)
for f in sorted(wdir.glob("MAIN_*.*"), key=lambda f: f.name.split(".", 1)[1]):
    with open(f, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
print(json.dumps({"files": len(entries), "cpu_s": cpu, "wall_s": wall, "digest": digest.hexdigest(),
                  "peak_mb": peak_mb}))
"""


def one(corpus: Path, n: int, pool: str, limit: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="variorum-seg-") as out:
        got = subprocess.run([sys.executable, "-c", _CHILD, str(PROJECT), str(corpus), str(n),
                              pool, str(limit), out], capture_output=True, text=True)
    if got.returncode:
        raise SystemExit(got.stderr[-2000:])
    return json.loads(got.stdout)


def main() -> None:
    from index.search import indexer

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--n", default="5000,18000", help="files a segment (comma-separated)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--limit-mb", type=float, default=indexer.WORKER_LIMIT_MB)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    rows = []
    print(f"{'files':>7} {'pool':<8}{'CPU s':>8}{'wall s':>8}{'peak MB':>9}  load  (medians of "
          f"{args.runs}; pool limit {args.limit_mb:g} MB)")
    for n in (int(x) for x in args.n.split(",")):
        runs: dict[str, list[dict]] = {"whoosh": [], "term": []}
        load = []
        for _ in range(args.runs):
            for pool in runs:
                load.append(os.getloadavg()[0])
                runs[pool].append(one(args.corpus, n, pool, args.limit_mb))
        same = len({r["digest"] for rs in runs.values() for r in rs}) == 1
        row = {"n": runs["term"][0]["files"], "same_segment": same,
               "load": round(statistics.fmean(load), 2)}
        for pool, rs in runs.items():
            row[pool] = {k: round(statistics.median(r[k] for r in rs), 2)
                         for k in ("cpu_s", "wall_s", "peak_mb")}
            print(f"{row['n']:>7,} {pool:<8}{row[pool]['cpu_s']:>8.1f}{row[pool]['wall_s']:>8.1f}"
                  f"{row[pool]['peak_mb']:>9.0f}  {row['load']}")
        print(f"        term/whoosh CPU {row['term']['cpu_s'] / row['whoosh']['cpu_s']:.2f}x, "
              f"memory {row['term']['peak_mb'] / row['whoosh']['peak_mb']:.2f}x; "
              f"segments {'byte for byte the same' if same else 'DIFFER'}")
        rows.append(row)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "when": time.time()}, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT))
    main()
