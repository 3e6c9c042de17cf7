"""Re-index of an unchanged corpus: what every `variorum PATH` and `variorum
index` pays before anything else when nothing has changed (issue 15's target:
at most 1 s per 100k articles).

Each timing is a fresh process that imports the engine of a source tree and
runs ``Corpus(root, index_dir).update()``, the default pipeline run (index,
then versions), on an index of the corpus that is up to date. Two trees, in
turns, so that both see the same load: ``--base`` (a checkout of the code
before, e.g. ``git worktree add /tmp/startup-base 22bc363``) and this one.
Each corpus's index is copied into a temp folder first (the runs write to it
what an unchanged run writes: the given index is never touched), and each
tree runs once on it before the timed runs (Python's compiled files, the
page cache, the marks a first run leaves: see BENCHMARKS.md).

Printed for each tree and corpus: the medians of ``--runs`` runs of the
update alone (``update()``, as the child measures it: its wall time, and
the CPU time of the process meanwhile, which a busy machine changes less) and
of the whole process (start, imports, update, exit), the load average before
and after.

    python bench/bench_reindex.py --base /tmp/startup-base \\
        --corpus CORPUS:INDEX [--corpus CORPUS:INDEX ...] [--runs 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import sys, time
t0 = time.perf_counter()
sys.path.insert(0, sys.argv[1])
import index
assert index.__file__.startswith(sys.argv[1]), index.__file__  # the tree asked for
from index import Corpus
c = Corpus(sys.argv[2], index_dir=sys.argv[3])
t1, c1 = time.perf_counter(), time.process_time()
r = c.update(procs=2)
t2, c2 = time.perf_counter(), time.process_time()
c.close()
assert not r.changed_anything and not r.files_new and not r.files_changed, r
assert r.versions is not None and not r.versions.signed, r.versions
print("RESULT", t2 - t1, t1 - t0, c2 - c1, r.files_unchanged, r.articles_total, flush=True)
"""


def child_env() -> dict:
    env = dict(os.environ)
    # as a user runs it: with the compiled files of both trees written once
    # and then read (the helpers' shells set this; it would make every run
    # compile the tree's modules again)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPATH", None)
    return env


def one_run(tree: Path, corpus: Path, ix: Path) -> dict:
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _CHILD, str(tree), str(corpus), str(ix)],
                         capture_output=True, text=True, env=child_env(), check=False)
    wall = time.perf_counter() - t
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT")), None)
    if out.returncode or line is None:
        raise RuntimeError(f"{tree} on {corpus}: exit {out.returncode}\n{out.stderr[-2000:]}")
    _, update_s, import_s, cpu_s, files, articles = line.split()
    return {"update": float(update_s), "start": float(import_s), "cpu": float(cpu_s),
            "process": wall,
            "files": int(files), "articles": int(articles)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", type=Path, required=True, help="a checkout of the code before")
    ap.add_argument("--corpus", action="append", required=True,
                    help="CORPUS_FOLDER:INDEX_FOLDER, an index that is up to date")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    trees = {"before": args.base.resolve(), "after": PROJECT}
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-reindex-") as tmp:
        for k, spec in enumerate(args.corpus):
            corpus, _, given = spec.partition(":")
            ix = Path(tmp, f"ix{k}")
            print(f"copying {given} …", file=sys.stderr)
            shutil.copytree(given, ix)
            for tree in trees.values():  # compiled files, page cache, a first run's marks
                one_run(tree, Path(corpus), ix)
            load0 = os.getloadavg()[0]
            runs: dict[str, list[dict]] = {name: [] for name in trees}
            for _ in range(args.runs):
                for name, tree in trees.items():  # in turns: both see the same load
                    runs[name].append(one_run(tree, Path(corpus), ix))
            load1 = os.getloadavg()[0]
            shutil.rmtree(ix)
            n = runs["after"][0]["articles"]
            row = {"corpus": corpus, "articles": n, "files": runs["after"][0]["files"],
                   "load": [load0, load1], "runs": runs}
            for name in trees:
                for what in ("update", "cpu", "process"):
                    row[f"{name}_{what}"] = statistics.median(r[what] for r in runs[name])
            results.append(row)
            print(f"{n:>7} articles  load {load0:.1f}-{load1:.1f}", flush=True)
            for name in trees:
                ups = " ".join(f"{r['update']:.3f}" for r in sorted(runs[name],
                                                                  key=lambda r: r["update"]))
                print(f"  {name:6}  update {row[f'{name}_update']:.3f} s ({ups})  "
                      f"its CPU {row[f'{name}_cpu']:.3f} s  "
                      f"process {row[f'{name}_process']:.3f} s", flush=True)
            print(f"  ratio   update {row['before_update'] / row['after_update']:.2f}x  "
                  f"CPU {row['before_cpu'] / row['after_cpu']:.2f}x  "
                  f"process {row['before_process'] / row['after_process']:.2f}x  "
                  f"after: {row['after_update'] / n * 1e5:.2f} s per 100k articles "
                  f"({row['after_cpu'] / n * 1e5:.2f} s of CPU)", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
