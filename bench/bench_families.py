"""Version families on syndicated news: the versions phase at two or more
sizes, this checkout against a baseline checkout, in the same run.

Corpus: bench_dask's generated "BBC x9" corpus (every real BBC article with 8
generated versions, in folders of 1,000 files; ``bench/bench_dask.py
--corpus-dir DIR`` makes one). A size is the first K folders of it, copied
into a temp dir (the corpus itself is only read). Each size is indexed once
without versions (this checkout's indexer); then, for each checkout, a copy of
that index gets its versions phase (``Corpus.update_versions()``) in a fresh
child process, which reports:

- ``candidates``: the pairs given to ``verify()`` (VersionsReport.candidates);
- ``pairs``: the verified pairs stored; ``families``;
- ``seconds`` (wall, the phase alone) and ``cpu_s`` (the child's own CPU plus
  its workers'), ``rss_mb`` (VmHWM of the child: the LSH banding runs there)
  and ``worker_rss_mb`` (ru_maxrss of its workers);
- quality against the corpus's truth (a file ``X~kind.txt`` is a version of
  ``X.txt``): *pair* recall (the stored pairs that join an original to one of
  its versions, over all such pairs) and precision (stored pairs within one
  story), and *co-membership* recall and precision (two files in one family
  count as found: over all same-story pairs, and over all pairs of files
  sharing a family).

The growth exponent of candidates, CPU, seconds and memory between the
smallest and the largest size is printed for each checkout (log of the ratio
over log of the size ratio), and the ratios after/before at each size. The
load average is sampled before and after each run (the machine is shared).

    .venv/bin/python bench/bench_families.py --corpus /tmp/bench-dask-corpus-20k \\
        --folders 5,19 --baseline /tmp/fam-base [--procs 2] [--json out.json]

``--banding 20000,60000`` measures the LSH banding alone (``candidates()``),
each checkout's in a fresh child process, on the signatures of
bench_versions' synthetic news articles (sentences of real articles of one
category, 5% given a spun version; the stems in 1% of them left out, as the
index does): seconds, peak memory of its allocations (tracemalloc: the
output's Python objects included) and the candidates, all articles new (a
first build). These articles are dense (random sentences of one category:
17% of all pairs estimate 0.22 or more at 10,000), so the run is slow and the
bucket cap changes the candidates; the signatures are the bench's, not an
index's.

    .venv/bin/python bench/bench_families.py --banding 20000,60000 --baseline /tmp/fam-base
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

# runs in the child, with the checkout to measure first on sys.path
CHILD = r"""
import json, os, resource, sys, time
from collections import Counter
from itertools import combinations
sys.path.insert(0, sys.argv[1])
from index import Corpus
procs = int(sys.argv[4]) or None
c = Corpus(sys.argv[2], index_dir=sys.argv[3])
t0, c0 = time.perf_counter(), time.process_time()
r = c.update_versions(procs=procs)
seconds, cpu_self = time.perf_counter() - t0, time.process_time() - c0
ch = resource.getrusage(resource.RUSAGE_CHILDREN)
fams = c.families()
path = {a.id: a.path for a in c.articles()}
def story(p):
    return os.path.basename(p).rsplit(".", 1)[0].split("~", 1)[0]
def original(p):
    return "~" not in os.path.basename(p)
sizes = Counter(story(p) for p in path.values())
true_pairs = sum(n * (n - 1) // 2 for n in sizes.values())
in_fam = correct = 0
pairs = right = orig_pairs = steps = 0
kinds = Counter()
for f in fams:
    n = len(f.members)
    in_fam += n * (n - 1) // 2
    correct += sum(k * (k - 1) // 2 for k in Counter(story(m.path) for m in f.members).values())
    for p in f.pairs:
        a, b = path[p.a], path[p.b]
        pairs += 1
        kinds[p.kind] += 1
        if story(a) == story(b):
            right += 1
            orig_pairs += original(a) != original(b)
    steps += sum(1 for k in f.steps if k is not None)
versions = sum(n - 1 for n in sizes.values())  # (original, version) pairs there are
print(json.dumps({
    "articles": len(path), "candidates": r.candidates, "pairs": r.pairs, "families": len(fams),
    "seconds": seconds, "cpu_s": cpu_self + ch.ru_utime + ch.ru_stime,
    "rss_mb": [int(x.split()[1]) / 1024 for x in open("/proc/self/status")
               if x.startswith("VmHWM")][0],
    "worker_rss_mb": ch.ru_maxrss / 1024,
    "pair_recall": orig_pairs / versions, "pair_precision": right / pairs if pairs else None,
    "comember_recall": correct / true_pairs, "comember_precision": correct / in_fam
    if in_fam else None,
    "kinds": dict(kinds), "members_with_step": steps,
}))
"""


BANDING_CHILD = r"""
import json, sys, time, tracemalloc
import numpy as np
sys.path.insert(0, sys.argv[1])
from index import versions
sigs = np.load(sys.argv[2])[: int(sys.argv[3])]
ids = [f"a{k:07}" for k in range(len(sigs))]
tracemalloc.start()
t = time.perf_counter()
found = versions.candidates(ids, sigs, set(ids))
s = time.perf_counter() - t
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"articles": len(ids), "candidates": len(found), "seconds": s,
                  "peak_mb": peak / 2**20}))
"""


def banding(args) -> dict:
    """The LSH banding alone, this checkout and the baseline, at each size."""
    import random

    from bench.bench_versions import synth_articles
    from bench.evalset import Spinner
    from index import versions
    from index.text.sentences import content_tokens

    sizes = sorted(int(x) for x in args.banding.split(","))
    n = sizes[-1]
    texts = synth_articles(n, 1)
    rng = random.Random(1)
    spinner = Spinner(texts[:2000], rng)
    for k in range(n // 20):  # as bench_versions speed: 5% get a spun version
        texts[-1 - k] = spinner.spin(texts[k], 0.3)
    df: dict[str, int] = {}
    for t in texts:
        for w in set(content_tokens(t)):
            df[w] = df.get(w, 0) + 1
    common = frozenset(w for w, c in df.items() if c >= versions.COMMON_SHARE * n)
    # (the same signatures for every size: the first k articles of them)
    sigs = versions.signatures((versions.features(t, common=common) for t in texts),
                               versions.permutations())
    work = Path(tempfile.mkdtemp(prefix="variorum-banding-"))
    out: dict[str, dict[int, dict]] = {"baseline": {}, "this": {}}
    try:
        import numpy as np

        np.save(work / "sigs.npy", sigs)
        for k in sizes:
            for name, checkout in (("baseline", args.baseline.resolve()), ("this", PROJECT)):
                la = load()
                res = subprocess.run([sys.executable, "-c", BANDING_CHILD, str(checkout),
                                      str(work / "sigs.npy"), str(k)], capture_output=True,
                                     text=True, check=True)
                r = json.loads(res.stdout.strip().splitlines()[-1])
                r["load"] = (la, load())
                out[name][k] = r
                print(f"  banding {name:<8} {k:>7} articles: {r['candidates']:>8} candidates, "
                      f"{r['seconds']:6.1f} s, peak {r['peak_mb']:7.1f} MB; load {r['load']}",
                      flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    small, large = sizes[0], sizes[-1]
    for name, by in out.items():
        if small != large:
            print(f"banding {name}: exponents " + str({
                key: exponent(by[small], by[large], key)
                for key in ("candidates", "seconds", "peak_mb")}))
    return out


def load() -> float:
    return round(os.getloadavg()[0], 2)


def run(checkout: Path, folder: Path, ix: Path, procs: int) -> dict:
    la0 = load()
    out = subprocess.run([sys.executable, "-c", CHILD, str(checkout), str(folder), str(ix),
                          str(procs)], capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["load"] = (la0, load())
    return res


def exponent(small: dict, large: dict, key: str) -> float | None:
    if not small[key] or not large[key]:
        return None
    return round(math.log(large[key] / small[key]) / math.log(large["articles"]
                                                               / small["articles"]), 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path,
                    help="bench_dask's generated corpus (folders of 1,000 files)")
    ap.add_argument("--banding", help="sizes: time the LSH banding alone instead")
    ap.add_argument("--folders", default="5,19", help="sizes, in folders of the corpus")
    ap.add_argument("--baseline", type=Path, required=True, help="a checkout to compare with")
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--only", choices=("both", "baseline", "this"), default="both")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    sys.path.insert(0, str(PROJECT))
    from index import Corpus

    if args.banding:
        out = banding(args)
        if args.json:
            args.json.write_text(json.dumps({"banding": out, "nproc": os.cpu_count()}, indent=2))
        return

    folders = sorted(p for p in args.corpus.iterdir() if p.is_dir())
    who = {"baseline": args.baseline.resolve(), "this": PROJECT}
    if args.only != "both":
        who = {args.only: who[args.only]}
    work = Path(tempfile.mkdtemp(prefix="variorum-fambench-"))
    results: dict[str, dict[int, dict]] = {k: {} for k in who}
    try:
        for k in sorted(int(x) for x in args.folders.split(",")):
            corpus = work / f"corpus-{k}"
            for f in folders[:k]:
                shutil.copytree(f, corpus / f.name)
            base_ix = work / f"ix-{k}"
            t0 = time.perf_counter()
            with Corpus(corpus, index_dir=base_ix) as c:
                c.update(versions=False, procs=args.procs)
            print(f"{k} folders indexed in {time.perf_counter() - t0:.1f} s", flush=True)
            for name, checkout in who.items():
                ix = work / f"ix-{k}-{name}"
                shutil.copytree(base_ix, ix)
                res = run(checkout, corpus, ix, args.procs)
                shutil.rmtree(ix, ignore_errors=True)
                results[name][k] = res
                print(f"  {name:<8} {res['articles']:>6} articles: "
                      f"{res['candidates']:>8} candidates, {res['pairs']:>7} pairs, "
                      f"{res['families']:>5} families, {res['seconds']:7.1f} s, "
                      f"cpu {res['cpu_s']:7.1f} s, rss {res['rss_mb']:6.0f} MB "
                      f"(workers {res['worker_rss_mb']:.0f}), pair recall "
                      f"{res['pair_recall']:.4f} precision {res['pair_precision']:.4f}, "
                      f"co-member recall {res['comember_recall']:.4f} precision "
                      f"{res['comember_precision']:.4f}; load {res['load']}", flush=True)
            shutil.rmtree(corpus, ignore_errors=True)
            shutil.rmtree(base_ix, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary: dict = {"results": results, "exponents": {}, "ratios": {}}
    for name, by in results.items():
        ks = sorted(by)
        if len(ks) >= 2:
            small, large = by[ks[0]], by[ks[-1]]
            summary["exponents"][name] = {key: exponent(small, large, key) for key in
                                          ("candidates", "pairs", "cpu_s", "seconds", "rss_mb")}
            print(f"{name}: exponents {ks[0]}k..{ks[-1]}k folders: "
                  f"{summary['exponents'][name]}")
    if len(results) == 2:
        for k in sorted(results["this"]):
            b, a = results["baseline"][k], results["this"][k]
            summary["ratios"][k] = {key: round(a[key] / b[key], 3) if b[key] else None
                                    for key in ("candidates", "pairs", "cpu_s", "seconds",
                                                "rss_mb")}
            print(f"{k} folders, this/baseline: {summary['ratios'][k]}")
    summary["command"] = " ".join([Path(sys.executable).name, *sys.argv])
    summary["nproc"] = os.cpu_count()
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
