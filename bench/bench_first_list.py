"""The reader on a corpus it has never indexed: how long until its article
list first shows articles, and until it holds them all (the first index
ends), with what the status line said meanwhile and when.

Each run is a fresh process and a fresh index dir: the app runs headless at
120×40 as `variorum PATH` starts it (prefetch, then the app), with its one
update pipeline indexing the corpus in the background. The baseline, run
alternately in the same process tree: the same pipeline without the early
first batch (one commit at the end, as before issue 13), so the list stays
empty until the whole index is written.

    python bench/bench_first_list.py [CORPUS] [--runs 3]

(CORPUS defaults to ../shared/corpora/bbc, from the current directory; the numbers of a run are in
the issue the bench was written for, #13 item 6.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import time
T0 = time.perf_counter()
import asyncio, json, os, sys
sys.path.insert(0, sys.argv[1])
from index import Corpus
if sys.argv[4] == "baseline":  # no early first batch: one commit at the end
    from index.search import indexer
    indexer.FIRST_BATCH_MIN_FILES = 1 << 62
corpus = Corpus(sys.argv[2], index_dir=sys.argv[3])
corpus.prefetch_list()
from tui.app import VariorumApp

async def main():
    app = VariorumApp(corpus, quiet_gc=True)
    said, first, last_msg = [], None, None
    async with app.run_test(size=(120, 40)):
        reader = app.reader
        while True:
            now = time.perf_counter() - T0
            msg = reader.status.message
            if msg != last_msg:
                said.append((round(now, 2), msg))
                print(round(now, 2), msg, file=sys.stderr, flush=True)
                last_msg = msg
            n = len(reader.list.items)
            if n and first is None:
                first = (round(now, 2), n)
            if reader.status.error:
                raise SystemExit(f"the reader failed: {msg}")
            summary = reader.index_summary  # "N articles; …" once the index is up to date
            if summary and n and n == int(summary.split()[0]):
                total = (round(now, 2), n)
                break
            await asyncio.sleep(0.02)
    print("RESULT", json.dumps({"first": first, "all": total, "said": said}), flush=True)
    import multiprocessing
    for child in multiprocessing.active_children():
        child.kill()
    os._exit(0)

asyncio.run(main())
"""


def run_once(corpus: Path, mode: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="variorum-first-list-") as ix:
        p = subprocess.run([sys.executable, "-c", _CHILD, str(PROJECT), str(corpus), ix, mode],
                           stdout=subprocess.PIPE, text=True, timeout=600,
                           env=dict(os.environ, VARIORUM_NER="rules"))
        for line in p.stdout.splitlines():
            if line.startswith("RESULT "):
                return json.loads(line[7:])
        raise RuntimeError(f"no result (exit {p.returncode})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", default="../shared/corpora/bbc")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--verbose", action="store_true", help="what the status line said, when")
    args = ap.parse_args()
    got: dict[str, dict[str, list[float]]] = {m: {"first": [], "all": []}
                                             for m in ("early", "baseline")}
    loads = []
    for k in range(args.runs):
        for mode in ("early", "baseline"):  # alternately: the same load for both
            r = run_once(Path(args.corpus), mode)
            loads.append(os.getloadavg()[0])
            got[mode]["first"].append(r["first"][0])
            got[mode]["all"].append(r["all"][0])
            print(f"run {k + 1} {mode:>8}: list first non-empty at {r['first'][0]:.2f} s "
                  f"({r['first'][1]} articles); all {r['all'][1]} at {r['all'][0]:.2f} s")
            if args.verbose:
                for t, msg in r["said"]:
                    print(f"    {t:6.2f}  {msg}")
    med = {m: {k: statistics.median(v) for k, v in d.items()} for m, d in got.items()}
    for m in ("early", "baseline"):
        print(f"median {m:>8}: first articles {med[m]['first']:.2f} s, "
              f"whole list {med[m]['all']:.2f} s")
    print(f"first articles: {med['baseline']['first'] / med['early']['first']:.1f}× sooner; "
          f"whole list: {med['early']['all'] / med['baseline']['all']:.2f}× the baseline's time "
          f"(load {min(loads):.1f}–{max(loads):.1f}, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
