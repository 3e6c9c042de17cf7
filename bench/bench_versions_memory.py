"""The versions (families) phase's memory, process by process (issue 15:
memory that does not grow with the corpus past the pools' fixed sizes).

Runs the versions phase alone (``pipeline.update(corpus, ("versions",))``:
what ``variorum index`` runs after the index phase) on a copy of an index
that the index phase alone built (``--index``: made once, by
``pipeline.update(corpus, ("index",))``, see ``--build``), in a fresh
process, from this tree and (``--base TREE``) from another checkout first,
each on its own copy of the same index, and samples every process of its
tree every 0.1 s from /proc (as ``bench_index_memory`` does): the parent's
peak RSS (where the banding and the counts are), each worker's, the tree's,
wall, the tree's CPU, the parent's own CPU, the load.

Then, when both trees ran, whether they stored the same thing: digests of
the signatures, sentence keys, sentence-key counts and pairs (with their
similarity), and the report's candidates and pairs.

    python bench/bench_versions_memory.py CORPUS --index IX [--base TREE]
        [--only both|base|this] [--workdir DIR] [--json OUT] [--keep]
    python bench/bench_versions_memory.py CORPUS --index IX --build
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from bench.bench_dask import Load  # noqa: E402
from bench.bench_index_memory import DRIVER, measured  # noqa: E402

# the versions phase's tables, digested row by row (a pair's similarity by repr)
_SNAPSHOT = (
    "import hashlib, json, sys\n"
    "from pathlib import Path\n"
    "from index.store.db import STORE_FILE, Store\n"
    "s = Store(Path(sys.argv[1]) / STORE_FILE, readonly=True)\n"
    "out = {}\n"
    "for table, order in (('sigs', 'id'), ('sentkeys', 'id'), ('sentcounts', 'rowid'), "
    "('pairs', 'a, b')):\n"
    "    h = hashlib.blake2b(digest_size=12)\n"
    "    n = 0\n"
    "    for row in s.db.execute(f'SELECT * FROM {table} ORDER BY {order}'):\n"
    "        h.update(repr(row).encode())\n"
    "        n += 1\n"
    "    out[table] = [n, h.hexdigest()]\n"
    "s.close()\n"
    "print(json.dumps(out))\n"
)


def snapshot(ix: Path, env: dict, tree: Path) -> dict:
    r = subprocess.run([sys.executable, "-c", _SNAPSHOT, str(ix)], cwd=tree,
                       env=dict(env, PYTHONPATH=str(tree)), capture_output=True, text=True,
                       check=True)
    return json.loads(r.stdout)


def one(corpus: Path, ix: Path, env: dict, tree: Path, phase: str = "versions") -> dict:
    with Load(every=2.0) as load:
        r = measured([sys.executable, "-c", DRIVER, str(corpus), str(ix), phase],
                     dict(env, PYTHONPATH=str(tree)), tree)
    r["load"] = load.summary()
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--index", type=Path, required=True,
                    help="an index the index phase alone built (copied for each run)")
    ap.add_argument("--build", action="store_true",
                    help="build --index first (the index phase alone, from this tree)")
    ap.add_argument("--base", type=Path, metavar="TREE",
                    help="also run the versions phase from this checkout (the code before), first")
    ap.add_argument("--only", choices=("both", "base", "this"), default="both",
                    help="run one tree only (two benches side by side: compare their 'stored')")
    ap.add_argument("--workdir", type=Path, help="where the copies go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the copies")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    env = dict(os.environ)
    env.pop("VARIORUM_DASK", None)
    if args.build:
        r = one(args.corpus, args.index, env, PROJECT, phase="index")
        print(json.dumps({k: v for k, v in r.items() if k != "timeline"}), flush=True)
        return
    work = args.workdir or Path(tempfile.mkdtemp(prefix="variorum-vmem-"))
    work.mkdir(parents=True, exist_ok=True)
    row: dict = {"corpus": args.corpus.name}
    runs = ([("before", args.base)] if args.base and args.only != "this" else []) \
        + ([("after", PROJECT)] if args.only != "base" else [])
    copies = {}
    for label, tree in runs:
        ix = copies[label] = work / f"vix-{label}-{args.corpus.name}-{time.time_ns()}"
        shutil.copytree(args.index, ix)
        row[label] = one(args.corpus, ix, env, tree)
        row[label]["stored"] = snapshot(ix, env, tree)
        print(json.dumps({label: {k: v for k, v in row[label].items() if k != "timeline"}}),
              file=sys.stderr, flush=True)
    if "before" in row and "after" in row:
        b, a = row["before"], row["after"]
        row["same"] = {**{t: b["stored"][t] == a["stored"][t] for t in a["stored"]},
                       "report": b["versions"] == {**a["versions"],
                                                   "seconds": b["versions"]["seconds"]}}
    if not args.keep:
        for ix in copies.values():
            shutil.rmtree(ix, ignore_errors=True)
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{args.corpus.name}")
    print(f"{'':<8}{'wall s':>8}{'CPU s':>8}{'par. CPU':>9}{'tree MB':>9}{'parent':>8}"
          f"  workers MB        cands  pairs  load")
    for label in ("before", "after"):
        v = row.get(label)
        if v is None:
            continue
        vs = v["versions"]
        print(f"{label:<8}{v['wall_s']:>8.1f}{v['cpu_s']:>8.1f}{v['parent_cpu_s']:>9.1f}"
              f"{v['tree_peak_mb']:>9}{v['parent_peak_mb']:>8}  {v['workers_peak_mb']!s:<18}"
              f"{vs['candidates']:>5}{vs['pairs']:>7}  {v['load']['mean']}")
    if "same" in row:
        print("same as before: " + ", ".join(f"{k} {'yes' if s else 'NO'}"
                                             for k, s in row["same"].items()))
    if args.json:
        args.json.write_text(json.dumps(row, indent=2))


if __name__ == "__main__":
    main()
