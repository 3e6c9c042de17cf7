"""Search latency per query class on a 100k-article news corpus (issue 15),
variorum against the body-only plain-Whoosh baseline, in the same run.

The corpus: ``--n`` synthetic news-size articles of real BBC sentences
(:func:`bench.bench_versions.synth_articles`, as bench_first_paint makes
them), written once under ``bench/out/search-scale-N/corpus``, with both
indexes built once beside it and kept (delete the folder to rebuild;
``--build variorum|baseline|corpus`` builds one part and exits, so the two
builds can run side by side, at low priority):

variorum
    ``Corpus.update(versions=False)``; searched with
    ``Corpus.search(q, limit=10)``: the top 10, each with a snippet and every
    hit span, and the exact total (``SearchResult.total``).

body-only baseline
    bench_index_search's plain-Whoosh index (``StemmingAnalyzer``, body
    stored with ``chars=True``; one writer, one segment) searched as there
    with ``QueryParser("body")``: ``searcher.search(q, limit=10)``,
    ``len(results)`` and ``hit.highlights("body")`` for each of the top 10.
    The parser gets Whoosh's ``FuzzyTermPlugin``, as variorum's has: without
    it ``goverment~`` is the plain word ``goverment`` to Whoosh (the fuzzy
    class would compare a term lookup with a fuzzy search).

Queries come in classes (common, rare, phrase, boolean, fuzzy, wildcard,
field), a few each. After one warm-up pass (variorum's time there, its first
search of each query with the caches of a new reader generation cold, is
printed as "1st v"; the first query also opens the searcher), ``--reps`` passes; in each pass
every query runs on both engines, which one goes first alternating. Per
class: p50 and p95 over its queries x passes, the ratio of the p50s, the p50
of this process's CPU time per search (``time.process_time``) and its ratio,
and the totals each engine returned. Also printed: the load average and the CPU
other processes used meanwhile (the machine is shared: read the ratios).

    python bench/bench_search_scale.py [--n 100000] [--reps 7] [--json PATH]
    python bench/bench_search_scale.py --n 100000 --build variorum   # one part only
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.bench_index_search import (  # noqa: E402
    LIMIT,
    BaselineSearcher,
    OtherLoad,
    baseline_schema,
    corpus_files,
    machine,
    percentile,
    read_text,
)

TARGET_RATIO = 0.4  # variorum p50 <= 0.4x the body-only baseline, every class

# Words picked on the BBC sentences the corpus is made of: common ones occur in
# a large share of the articles, rare ones in well under 1%.
QUERIES: dict[str, list[str]] = {
    "common": ["government", "people", "year", "said"],
    "rare": ["broadband", "oscar", "chelsea", "inflation"],
    "phrase": ['"prime minister"', '"world cup"', '"chief executive"', '"interest rates"'],
    "boolean": ["labour OR conservatives", "music AND album", "blair NOT brown",
                "game NOT football"],
    "fuzzy": ["goverment~", "electoin~", "finacial~", "mobil~"],
    "wildcard": ["econom*", "champion*", "digit*", "tele*"],
    "field": ["title:minister", "title:election", "title:(film OR music)", "title:market"],
}


def out_dir(n: int, seed: int) -> Path:
    return PROJECT / "bench" / "out" / f"search-scale-{n}-seed{seed}"


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def ensure_corpus(n: int, seed: int) -> Path:
    folder = out_dir(n, seed) / "corpus"
    marker = folder / ".complete"
    if marker.exists():
        return folder
    from bench.bench_versions import synth_articles

    log(f"writing {n} articles under {folder} ...")
    for k, t in enumerate(synth_articles(n, seed)):
        d = folder / f"{k // 1000:03}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{k:06}.txt").write_text(t, encoding="utf-8")
    marker.write_text(f"{n} {seed}\n")
    return folder


def ensure_variorum(n: int, seed: int) -> Path:
    folder = ensure_corpus(n, seed)
    ix = out_dir(n, seed) / "variorum-index"
    marker = ix.parent / ".variorum-complete"
    if marker.exists():
        return ix
    from index import Corpus

    log(f"building variorum's index in {ix} ...")
    t0 = time.perf_counter()
    with Corpus(folder, index_dir=ix) as c:
        c.update(versions=False)
    marker.write_text(f"{time.perf_counter() - t0:.1f} s\n")
    return ix


def ensure_baseline(n: int, seed: int) -> Path:
    """bench_index_search's baseline index (same schema and fields), written by
    one writer into one segment; its pool is given 512 MB (the default 128 MB
    spills at 100k and only makes the one-off build slower: the segment read
    is the same)."""
    from whoosh import index as windex

    folder = ensure_corpus(n, seed)
    ix_dir = out_dir(n, seed) / "baseline-index"
    marker = ix_dir.parent / ".baseline-complete"
    if marker.exists():
        return ix_dir
    log(f"building the baseline index in {ix_dir} ...")
    t0 = time.perf_counter()
    if ix_dir.exists():
        import shutil

        shutil.rmtree(ix_dir)
    ix_dir.mkdir(parents=True)
    ix = windex.create_in(ix_dir, baseline_schema())
    writer = ix.writer(limitmb=512)
    for p in corpus_files(folder):
        text = read_text(p)
        rel = p.relative_to(folder).as_posix()
        title = next((line.strip() for line in text.splitlines() if line.strip()), rel)
        writer.add_document(id=rel, path=rel, title=title, body=text)
    writer.commit()
    marker.write_text(f"{time.perf_counter() - t0:.1f} s\n")
    return ix_dir


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def engine_commit() -> str:
    try:
        got = subprocess.run(["git", "-C", str(PROJECT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=20)
        dirty = subprocess.run(["git", "--no-optional-locks", "-C", str(PROJECT), "status",
                                "--porcelain", "--", "index"], capture_output=True, text=True,
                               timeout=20).stdout.strip()
        return got.stdout.strip() + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "?"


def run(args: argparse.Namespace, command: str, engine: str | None) -> dict:
    from index import Corpus

    folder = ensure_corpus(args.n, args.seed)
    v_ix = ensure_variorum(args.n, args.seed)
    b_ix = None if args.no_baseline else ensure_baseline(args.n, args.seed)
    classes = {k: v for k, v in QUERIES.items() if not args.classes or k in args.classes}
    corpus = Corpus(folder, index_dir=v_ix)
    base = None
    if b_ix is not None:
        from whoosh.qparser import FuzzyTermPlugin

        base = BaselineSearcher(b_ix, ("body",))
        base.parser.add_plugin(FuzzyTermPlugin())  # else `word~` is the plain word to Whoosh
    load = OtherLoad()
    loads = [load_average()]
    per_q: dict[str, dict] = {}
    for cls, queries in classes.items():  # the warm-up pass, with the totals
        for q in queries:
            t0 = time.perf_counter()
            res = corpus.search(q, limit=LIMIT)
            first_ms = (time.perf_counter() - t0) * 1e3  # caches of this reader cold
            b_total = base.search(q)[0] if base is not None else None
            per_q[q] = {"class": cls, "variorum_total": res.total, "baseline_total": b_total,
                        "variorum_first_ms": first_ms,
                        "variorum_hits": len(res.hits), "variorum_ms": [], "baseline_ms": [],
                        "variorum_cpu_ms": [], "baseline_cpu_ms": []}
            if args.check:  # the top 10 and total of the search that scores every match
                full = corpus.search(q, limit=None, spans=False)
                same = ([(h.id, h.score) for h in res.hits]
                        == [(h.id, h.score) for h in full.hits[:LIMIT]]
                        and res.total == full.total == len(full.hits))
                per_q[q]["same_as_full_ranking"] = same
                if not same:
                    log(f"WARNING: {q!r}: the top {LIMIT} or the total differ from the full "
                        f"ranking's")
    engines = [("variorum_ms", lambda q: corpus.search(q, limit=LIMIT))]
    if base is not None:
        engines.append(("baseline_ms", base.search))
    clock, cpu = time.perf_counter, time.process_time
    for rep in range(args.reps):
        for q in per_q:
            order = engines if rep % 2 == 0 else engines[::-1]
            for key, search in order:
                t0, c0 = clock(), cpu()
                search(q)
                per_q[q][key].append((clock() - t0) * 1e3)
                # this process's CPU (the machine is shared: the wall time is inflated by others)
                per_q[q][key.replace("_ms", "_cpu_ms")].append((cpu() - c0) * 1e3)
        loads.append(load_average())
        log(f"pass {rep + 1}/{args.reps} done (load {loads[-1]})")
    corpus.close()
    if base is not None:
        base.close()
    per_class = {}
    for cls in classes:
        v = [x for d in per_q.values() if d["class"] == cls for x in d["variorum_ms"]]
        b = [x for d in per_q.values() if d["class"] == cls for x in d["baseline_ms"]]
        vc = [x for d in per_q.values() if d["class"] == cls for x in d["variorum_cpu_ms"]]
        bc = [x for d in per_q.values() if d["class"] == cls for x in d["baseline_cpu_ms"]]
        v50 = percentile(v, 50)
        b50 = percentile(b, 50) if b else None
        per_class[cls] = {"variorum_p50_ms": v50, "variorum_p95_ms": percentile(v, 95),
                          "baseline_p50_ms": b50,
                          "baseline_p95_ms": percentile(b, 95) if b else None,
                          "ratio": v50 / b50 if b else None,
                          "pass": v50 / b50 <= TARGET_RATIO if b else None,
                          "variorum_cpu_p50_ms": percentile(vc, 50),
                          "baseline_cpu_p50_ms": percentile(bc, 50) if bc else None,
                          "cpu_ratio": percentile(vc, 50) / percentile(bc, 50) if bc else None}
    import index

    where = f"{engine} (exported)" if engine else engine_commit()
    return {"command": command, "machine": machine(), "engine": f"{where}, {index.__file__}",
            "articles": args.n, "reps": args.reps, "limit": LIMIT,
            "load_average": loads, "other_load": load.report(),
            "per_class": per_class, "per_query": per_q}


def render(f: dict) -> str:
    med = statistics.median
    other = f.get("other_load") or {}
    out = [f"search at {f['articles']:,} articles: variorum Corpus.search(q, limit={f['limit']}) "
           f"vs plain Whoosh QueryParser('body'), {f['reps']} passes after a warm-up",
           f"engine: commit {f['engine']}",
           f"command: {f['command']}",
           f"load average (1/5/15 min) at start and after each pass: "
           f"{'; '.join(f['load_average'])}",
           f"other processes: {other.get('cores_on_average', '?')} cores on average "
           f"over {other.get('wall_seconds', '?')} s",
           "",
           f"{'class':9}  {'base p50':>9}  {'var p50':>9}  {'ratio':>6}  {'base p95':>9}  "
           f"{'var p95':>9}  {'cpu base':>8}  {'cpu var':>8}  {'cpu ratio':>9}  "
           f"target <= {TARGET_RATIO}x"]
    def ms(x):
        return "n/a" if x is None else f"{x:.1f}"

    for cls, d in f["per_class"].items():
        ratio = "n/a" if d["ratio"] is None else f"{d['ratio']:.2f}x"
        verdict = "n/a" if d["pass"] is None else "PASS" if d["pass"] else "FAIL"
        cpu_ratio = "n/a" if d.get("cpu_ratio") is None else f"{d['cpu_ratio']:.2f}x"
        out.append(f"{cls:9}  {ms(d['baseline_p50_ms']):>9}  {ms(d['variorum_p50_ms']):>9}  "
                   f"{ratio:>6}  {ms(d['baseline_p95_ms']):>9}  {ms(d['variorum_p95_ms']):>9}"
                   f"  {ms(d.get('baseline_cpu_p50_ms')):>8}  {ms(d.get('variorum_cpu_p50_ms')):>8}"
                   f"  {cpu_ratio:>9}  {verdict}")
    out.append("")
    qw = max(len(q) for q in f["per_query"])
    out.append(f"{'query'.ljust(qw)}  {'class':9}  {'total v':>8}  {'total b':>8}  "
               f"{'p50 v':>8}  {'p50 b':>8}  {'1st v':>8}  same top/total as full ranking")
    for q, d in f["per_query"].items():
        same = d.get("same_as_full_ranking")
        b_total = "n/a" if d["baseline_total"] is None else d["baseline_total"]
        b_ms = ms(med(d["baseline_ms"])) if d["baseline_ms"] else "n/a"
        out.append(f"{q.ljust(qw)}  {d['class']:9}  {d['variorum_total']:8d}  "
                   f"{b_total:>8}  {med(d['variorum_ms']):8.1f}  {b_ms:>8}  "
                   f"{d.get('variorum_first_ms', float('nan')):8.1f}  "
                   f"{'not checked' if same is None else 'yes' if same else 'NO'}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--classes", nargs="*", choices=list(QUERIES),
                    help="only these query classes")
    ap.add_argument("--build", choices=["corpus", "variorum", "baseline"],
                    help="only build this part (cached under bench/out) and exit")
    ap.add_argument("--engine-commit", metavar="REV",
                    help="search with the engine (index/) as of this commit, exported with "
                         "`git archive` (the indexes are built once, by the working tree's)")
    ap.add_argument("--check", action="store_true",
                    help="also check each query's top 10 and total against a search that "
                         "scores every match (limit=None), once")
    ap.add_argument("--no-baseline", action="store_true",
                    help="time variorum only (no baseline index needed)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--show", type=Path, help="print the report of a saved --json")
    args = ap.parse_args(argv)
    if args.show:
        print(render(json.loads(args.show.read_text(encoding="utf-8"))))
        return 0
    if args.build:
        {"corpus": ensure_corpus, "variorum": ensure_variorum,
         "baseline": ensure_baseline}[args.build](args.n, args.seed)
        return 0
    command = " ".join(shlex.quote(a) for a in ["python", *sys.argv])
    engine = None
    if args.engine_commit:
        import tempfile

        from bench.bench_index_search import export_engine

        dest = Path(tempfile.mkdtemp(prefix="variorum-engine-"))
        engine = export_engine(args.engine_commit, dest)[:10]
    figures = run(args, command, engine)
    print(render(figures))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
