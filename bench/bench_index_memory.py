"""The index phase's memory, process by process (issue 15: memory that does
not grow with the corpus past the pools' fixed sizes).

Runs the index phase alone (``pipeline.update(corpus, ("index",))``: what
``variorum index`` runs before the version families) on a corpus into a
fresh index folder, in a fresh process, from this tree and (``--base TREE``)
from another checkout first, and samples every process of its tree every
0.1 s from /proc:

- each process's peak RSS: the parent (split into while its workers run and
  after they have ended: the commit into the store), each index worker;
- the tree's peak (the sum of its processes' RSS at one sample, as
  ``bench_scale`` measures it);
- wall time, the tree's CPU time (the reaped children's rusage), the
  parent's own, the report's index seconds, and the load average during
  the run;
- (in ``--json``) each process's RSS a second at a time.

Then, when both trees ran, whether they built the same thing: the article
count, the listing, the vocabulary table and the hits of a few queries.

    python bench/bench_index_memory.py CORPUS [CORPUS...] --base TREE
        [--workdir DIR] [--json OUT] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from bench.bench_dask import Load  # noqa: E402
from bench.bench_scale import _rss, _tree  # noqa: E402

# one phase of the pipeline (argv[3]) in a fresh process: what each bench of
# a phase's memory runs (this one, bench_versions_memory)
DRIVER = (
    "import json, resource, sys\n"
    "from pathlib import Path\n"
    "from index import pipeline\n"
    "from index.corpus import Corpus\n"
    "with Corpus(Path(sys.argv[1]), index_dir=Path(sys.argv[2])) as c:\n"
    "    r = pipeline.update(c, (sys.argv[3],))\n"
    "u = resource.getrusage(resource.RUSAGE_SELF)\n"
    "v = r.versions\n"
    "print(json.dumps({'articles': r.articles_total, 'index_s': r.seconds,\n"
    "                  'parent_cpu_s': round(u.ru_utime + u.ru_stime, 1),\n"
    "                  'versions': None if v is None else {'signed': v.signed, 'candidates':\n"
    "                  v.candidates, 'pairs': v.pairs, 'seconds': round(v.seconds, 1)}}))\n"
)

# what the trees' indexes are compared by (words of the generated news)
QUERIES = ("said", "government minister", '"the government"', "market OR shares",
           "title:police", "police -court")

_SNAPSHOT = (
    "import hashlib, json, sys\n"
    "from pathlib import Path\n"
    "from index.corpus import Corpus\n"
    "from index.store.db import STORE_FILE, Store\n"
    "out = {}\n"
    "with Corpus(Path(sys.argv[1]), index_dir=Path(sys.argv[2])) as c:\n"
    "    for q in json.loads(sys.argv[3]):\n"
    "        r = c.search(q, limit=50, spans=False)\n"
    "        out[q] = [r.total, [h.id for h in r.hits]]\n"
    "s = Store(Path(sys.argv[2]) / STORE_FILE, readonly=True)\n"
    "h = hashlib.blake2b(digest_size=12)\n"
    "for e in s.list_entries():\n"
    "    h.update(repr(tuple(e)).encode())\n"
    "out['count'] = s.count()\n"
    "out['listing'] = h.hexdigest()\n"
    "for table, order in (('articles', 'id'), ('files', 'path'), ('vocab', 'word'), "
    "('bodies', 'hash')):\n"
    "    h = hashlib.blake2b(digest_size=12)\n"
    "    for row in s.db.execute(f'SELECT * FROM {table} ORDER BY {order}'):\n"
    "        h.update(repr(row).encode())\n"
    "    out[table] = h.hexdigest()\n"
    "s.close()\n"
    "print(json.dumps(out))\n"
)


def _rss_parts(pid: int) -> dict[str, int]:
    """The RSS's kinds (MB): anonymous, file-backed (mapped files), shared."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("RssAnon:", "RssFile:", "RssShmem:")):
                key, value = line.split(":")
                out[key] = round(int(value.split()[0]) / 1024)
    except OSError:
        pass
    return out


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float | None:
    """The CPU seconds ``pid`` has used so far (user + system)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def _role(pid: int, root: int) -> str:
    if pid == root:
        return "parent"
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "?"
    if "resource_tracker" in cmd:
        return "tracker"
    return "worker" if "spawn_main" in cmd or "forkserver" in cmd else "other"


def measured(argv: list[str], env: dict, cwd: Path) -> dict:
    """Run ``argv`` to its end, sampling each process of its tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    done = threading.Event()
    peaks: dict[int, dict] = {}
    tree_peak = [0]
    timeline: dict[int, list] = {}  # pid -> [(s, MB)], a sample a second
    parent_after = [0]  # the parent's peak once its workers have ended

    def sample() -> None:
        had_workers = False
        k = 0
        while not done.wait(0.1):
            k += 1
            now = time.perf_counter() - t0
            total = 0
            workers = 0
            for pid in _tree(proc.pid):
                rss = _rss(pid)
                total += rss
                p = peaks.get(pid)
                if p is None:
                    p = peaks[pid] = {"role": _role(pid, proc.pid), "peak": 0, "at": 0.0,
                                      "first": now}
                p["last"] = now
                if (cpu := _cpu(pid)) is not None:
                    p["cpu"] = cpu  # (the last seen: a worker's own, up to its end)
                if k % 10 == 0:
                    timeline.setdefault(pid, []).append((round(now, 1), round(rss / 2**20)))
                if rss > p["peak"]:
                    p["peak"], p["at"] = rss, now
                    p["parts"] = _rss_parts(pid)
                workers += p["role"] == "worker"
            had_workers = had_workers or workers > 0
            if had_workers and not workers:
                parent_after[0] = max(parent_after[0], _rss(proc.pid))
            tree_peak[0] = max(tree_peak[0], total)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{argv[:4]} failed ({proc.returncode}):\n{err[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    mb = 2 ** 20
    parent = peaks.get(proc.pid, {"peak": 0, "at": 0})
    workers = [p for p in peaks.values() if p["role"] == "worker"]
    workers.sort(key=lambda p: p["first"])
    return {
        "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
        "tree_peak_mb": round(tree_peak[0] / mb),
        "parent_peak_mb": round(parent["peak"] / mb), "parent_peak_at_s": round(parent["at"], 1),
        "parent_after_workers_mb": round(parent_after[0] / mb),
        "parent_peak_parts": parent.get("parts", {}),
        "workers_peak_parts": [p.get("parts", {}) for p in workers],
        "workers_peak_mb": [round(p["peak"] / mb) for p in workers],
        "workers_cpu_s": [round(p.get("cpu", 0), 1) for p in workers],
        "workers_s": [[round(p["first"], 1), round(p["last"], 1)] for p in workers],
        "timeline": {f"{peaks[pid]['role']} {pid}": series for pid, series in timeline.items()
                     if peaks[pid]["role"] in ("parent", "worker")},
        **json.loads(out.strip().splitlines()[-1]),
    }


def snapshot(corpus: Path, ix: Path, env: dict, tree: Path) -> dict:
    r = subprocess.run([sys.executable, "-c", _SNAPSHOT, str(corpus), str(ix),
                        json.dumps(QUERIES)], cwd=tree, env=dict(env, PYTHONPATH=str(tree)),
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def one(corpus: Path, ix: Path, env: dict, tree: Path) -> dict:
    with Load(every=2.0) as load:
        r = measured([sys.executable, "-c", DRIVER, str(corpus), str(ix), "index"],
                     dict(env, PYTHONPATH=str(tree)), tree)
    r["load"] = load.summary()
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpora", type=Path, nargs="+")
    ap.add_argument("--base", type=Path, metavar="TREE",
                    help="also run the index phase from this checkout (the code before), first")
    ap.add_argument("--workdir", type=Path, help="where the indexes go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the indexes")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="variorum-ixmem-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.pop("VARIORUM_DASK", None)
    rows = []
    for corpus in args.corpora:
        row: dict = {"corpus": corpus.name}
        runs = ([("before", args.base)] if args.base else []) + [("after", PROJECT)]
        for label, tree in runs:
            ix = work / f"ix-{label}-{corpus.name}-{time.time_ns()}"
            row[label] = one(corpus, ix, env, tree)
            print(json.dumps({corpus.name: {label: {k: v for k, v in row[label].items()
                                                    if k != "timeline"}}}),
                  file=sys.stderr, flush=True)
            row[label + "_ix"] = ix
        if args.base:
            same = {}
            snaps = {label: snapshot(corpus, row[label + "_ix"], env, tree)
                     for label, tree in runs}
            for k in snaps["after"]:
                same[k] = snaps["before"][k] == snaps["after"][k]
            row["same"] = same
            row["count"] = snaps["after"]["count"]
        for label, _t in runs:
            ix = row.pop(label + "_ix")
            if not args.keep:
                shutil.rmtree(ix, ignore_errors=True)
        rows.append(row)
    if args.workdir is None and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    for r in rows:
        print(f"\n{r['corpus']}")
        print(f"{'':<8}{'wall s':>8}{'CPU s':>8}{'par. CPU':>9}{'index s':>9}{'tree MB':>9}"
              f"{'parent':>8}{'after w.':>9}  workers MB        load")
        for label in ("before", "after"):
            v = r.get(label)
            if v is None:
                continue
            print(f"{label:<8}{v['wall_s']:>8.1f}{v['cpu_s']:>8.1f}{v['parent_cpu_s']:>9.1f}"
                  f"{v['index_s']:>9.1f}"
                  f"{v['tree_peak_mb']:>9}{v['parent_peak_mb']:>8}"
                  f"{v['parent_after_workers_mb']:>9}  {v['workers_peak_mb']!s:<18}"
                  f"{v['load']['mean']}")
        if "same" in r:
            print("same as before: " + ", ".join(f"{k} {'yes' if s else 'NO'}"
                                                 for k, s in r["same"].items()))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
