"""``variorum index`` end to end as the corpus grows, against plain Whoosh,
and the growth exponents of each stage (issue 15).

Corpora, made once under ``--workdir`` and reused:

news-N
    N generated news articles (``bench_index_search.NewsGenerator``: real
    sentences resampled, a vocabulary that grows at Heaps'-law rate), for the
    growth from 10k up (``--sizes``).
syndicated
    BBC x9 (``bench_dask.make_corpus``: each real BBC article with 8 versions:
    a copy, a near-copy, 10/30/50% spin, reordered, split/merged, edited), the
    news agencies' case: ``--syndicated N`` (at most ~20,000). Skipped when
    ../shared/corpora/bbc is absent.

Each run is a fresh process, timed from its start to its exit, into a fresh
index folder:

variorum
    ``python -m tui.cli index DIR --index-dir IX --json``: the index and the
    version families, worker processes as the defaults choose.
baseline
    plain Whoosh (``bench_index_search.baseline_build``: one writer with
    default arguments, every file added, one commit) in a child process; no
    version families (it has nothing like them). ``--baseline`` runs it on
    the news corpora too (it is slow: ~135 articles/s).

Measured for each: wall time; CPU time of the process tree (the reaped
children's rusage: workers included); peak memory of the whole tree (the sum
of its processes' RSS, sampled every 0.1 s from /proc); for variorum, its
report's split (index phase seconds, families seconds, candidate pairs,
verified pairs). The load average is sampled during each run: the machine
may be shared, so the ratios of one run matter more than the times.

Growth: the exponent k of ``t ~ N^k`` fit by least squares on log-log over
the sizes, for wall, tree CPU, the index phase, the families phase, the
candidates and peak memory.

    python bench/bench_scale.py --sizes 10000,30000,100000 [--syndicated 20000]
        [--baseline] [--base TREE] [--workdir DIR] [--json OUT]

``--base TREE``: also variorum from another checkout (``git worktree add
/tmp/base REV``), run first on each corpus: before and after in one run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from bench.bench_dask import BBC, Load  # noqa: E402
from bench.bench_dask import make_corpus as make_syndicated  # noqa: E402
from bench.bench_index_search import generate_corpus  # noqa: E402

_BASELINE = (
    "import sys\n"
    "from pathlib import Path\n"
    "from bench.bench_index_search import baseline_build\n"
    "baseline_build(Path(sys.argv[1]), Path(sys.argv[2]))\n"
)


def _tree(root: int) -> list[int]:
    """``root`` and every process descended from it (from /proc)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def measured(argv: list[str], env: dict, cwd: Path = PROJECT) -> dict:
    """Run ``argv`` to its end: wall, tree CPU, peak tree RSS, its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = [0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], sum(_rss(p) for p in _tree(proc.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{argv[:4]} failed ({proc.returncode}):\n{err[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "peak_mb": round(peak[0] / 2**20), "stdout": out}


def run_variorum(corpus: Path, ix: Path, env: dict, tree: Path = PROJECT) -> dict:
    env = dict(env, PYTHONPATH=str(tree))
    r = measured([sys.executable, "-m", "tui.cli", "index", str(corpus), "--index-dir",
                  str(ix), "--json"], env, cwd=tree)
    rep = json.loads(r.pop("stdout"))
    v = rep.get("versions") or {}
    r.update(articles=rep["articles_total"], index_s=round(rep["seconds"], 2),
             families_s=round(v.get("seconds", 0.0), 2), candidates=v.get("candidates", 0),
             pairs=v.get("pairs", 0))
    return r


def run_baseline(corpus: Path, ix: Path, env: dict) -> dict:
    r = measured([sys.executable, "-c", _BASELINE, str(corpus), str(ix)], env)
    r.pop("stdout")
    return r


def exponent(ns: list[int], ys: list[float]) -> float | None:
    """Least-squares slope of log y on log n (None with fewer than 2 points)."""
    pts = [(math.log(n), math.log(y)) for n, y in zip(ns, ys, strict=True) if y > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else None


def one(name: str, corpus: Path, work: Path, env: dict, baseline: bool,
        base: Path | None) -> dict:
    row: dict = {"corpus": name}
    if base is not None:  # the code before, first (then this tree: the same page cache)
        with Load(every=2.0) as load:
            row["before"] = run_variorum(corpus, work / f"ixb-{name}-{time.time_ns()}", env,
                                         base)
        row["before"]["load"] = load.summary()
    with Load(every=2.0) as load:
        row["variorum"] = run_variorum(corpus, work / f"ix-{name}-{time.time_ns()}", env)
    row["variorum"]["load"] = load.summary()
    if baseline:
        with Load(every=2.0) as load:
            row["baseline"] = run_baseline(corpus, work / f"base-{name}-{time.time_ns()}", env)
        row["baseline"]["load"] = load.summary()
        row["speedup"] = round(row["baseline"]["wall_s"] / row["variorum"]["wall_s"], 2)
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def show(result: dict) -> None:
    print(f"{'corpus':<16}{'articles':>9}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}"
          f"{'index s':>9}{'famil. s':>9}{'cands':>9}{'pairs':>9}"
          f"{'base s':>9}{'base MB':>9}{'speedup':>9}  load")
    for r in result["rows"]:
        b = r.get("baseline")
        base = (f"{b['wall_s']:>9.1f}{b['peak_mb']:>9}{r['speedup']:>8.2f}x" if b
                else f"{'':>9}{'':>9}{'':>9}")
        for label, v in (("before: ", r.get("before")), ("", r["variorum"])):
            if v is None:
                continue
            print(f"{label + r['corpus']:<16}{v['articles']:>9,}{v['wall_s']:>9.1f}"
                  f"{v['cpu_s']:>9.1f}{v['peak_mb']:>9}{v['index_s']:>9.1f}"
                  f"{v['families_s']:>9.1f}{v['candidates']:>9,}{v['pairs']:>9,}"
                  f"{base if not label else ''}  {v['load']['mean']}")
    g = result.get("growth")
    if g:
        print("growth exponents (t ~ N^k) over " + ", ".join(f"{n:,}" for n in g["n"]) + ":")
        for k, e in g["exponents"].items():
            print(f"  {k:<12} {'-' if e is None else f'{e:.2f}'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,30000,100000",
                    help="generated news corpora, comma-separated (default: %(default)s)")
    ap.add_argument("--syndicated", type=int, default=0, metavar="N",
                    help="also BBC x9 with N files, variorum against the baseline")
    ap.add_argument("--baseline", action="store_true",
                    help="run the plain-Whoosh baseline on the news corpora too")
    ap.add_argument("--base", type=Path, metavar="TREE",
                    help="also run variorum from this checkout (the code before), first")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, help="where corpora are kept (default: a temp dir)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="variorum-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    env.pop("VARIORUM_DASK", None)
    rows = []
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    for n in sizes:
        corpus = work / f"news-{n}"
        generate_corpus(corpus, n, args.seed)
        rows.append(one(f"news-{n}", corpus, work, env, args.baseline, args.base))
    if args.syndicated:
        if not BBC.is_dir():
            print(f"skipped the syndicated corpus: {BBC} is absent", file=sys.stderr)
        else:
            corpus = work / f"syndicated-{args.syndicated}"
            if not corpus.is_dir():
                make_syndicated(corpus, args.syndicated, args.seed)
            rows.append(one(f"syndicated-{args.syndicated}", corpus, work, env, True, args.base))
    result = {"rows": rows, "cores": os.cpu_count()}
    news = [r for r in rows if r["corpus"].startswith("news-")]
    if len(news) >= 2:
        ns = [r["variorum"]["articles"] for r in news]
        result["growth"] = {"n": ns, "exponents": {
            k: exponent(ns, [r["variorum"][k] for r in news])
            for k in ("wall_s", "cpu_s", "index_s", "families_s", "candidates", "peak_mb")}}
    show(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
