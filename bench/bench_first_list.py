"""The reader on a corpus it has never indexed: how long until its article
list first shows articles, and until it holds them all (the first index
ends), with what the status line said meanwhile and when.

Each run is a fresh process and a fresh index dir: the app runs headless at
120×40 as `variorum PATH` starts it (prefetch, then the app), with its one
update pipeline indexing the corpus in the background.

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


def run_once(corpus: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="variorum-first-list-") as ix:
        p = subprocess.run([sys.executable, "-c", _CHILD, str(PROJECT), str(corpus), ix],
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
    args = ap.parse_args()
    firsts, alls = [], []
    for k in range(args.runs):
        r = run_once(Path(args.corpus))
        firsts.append(r["first"][0])
        alls.append(r["all"][0])
        print(f"run {k + 1}: list first non-empty at {r['first'][0]:.2f} s "
              f"({r['first'][1]} articles); all {r['all'][1]} at {r['all'][0]:.2f} s")
        for t, msg in r["said"]:
            print(f"    {t:6.2f}  {msg}")
    print(f"median: first articles {statistics.median(firsts):.2f} s, "
          f"whole list {statistics.median(alls):.2f} s (load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
