"""The update pipeline on Dask against the local process pool, on one corpus.

Corpus ("BBC x9"): the real BBC articles of ../shared/corpora/bbc (2,225),
each with 8 generated versions (``bench/evalset.py``: a copy, a near-copy, 10,
30 and 50% spin, reordered, split/merged and paragraph-edited), so 9 files an
original and families of 9 for the versions phase: ``--n 20000`` takes 2,222
originals (all there are, near enough), ``--n 5000`` 555. Made once in a temp
folder (or ``--corpus-dir``, kept for later runs). Skipped, with a note, when
the BBC folder is absent.

Two runs of the whole pipeline (index, versions, entities and quotes), each
into a fresh index dir:

local
    ``pipeline.update(corpus, PHASES, procs=W)``: a process pool of W workers
    (the default path of ``variorum index --procs W --entities``);
dask
    the same with ``executor=`` a ``LocalCluster(n_workers=W,
    threads_per_worker=1)`` (``variorum index --dask local:W``), connected
    before the clock starts (its start-up is reported apart).

Reported: wall time of each stage (from the progress callbacks: reading the
files into segments, the commit, signatures, the LSH banding between them and
the verification, verification, entities) and end to end; the overhead ratio
dask / local; articles/s, and per worker; the bytes of chunks sent to the
workers (pickled; the texts shipped with them included); and the load
average (1 min) sampled every 5 s during each run, since the machine is
shared. Entities use the rules extractor unless ``--ner spacy``. The local
pool runs the entities phase niced (background work, as always); Dask's
workers are not reniced, so the ratio is also given for index + versions.

    .venv/bin/python bench/bench_dask.py --n 5000
    .venv/bin/python bench/bench_dask.py --n 20000 --workers 2 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.evalset import corpus_texts, make_evalset  # noqa: E402
from index import Corpus, pipeline  # noqa: E402

# next to the checkout (../shared) or, from a git worktree in /work/wt/NAME, two up
BBC = next((p for p in (PROJECT.parent / "shared" / "corpora" / "bbc",
                        PROJECT.parent.parent / "shared" / "corpora" / "bbc") if p.is_dir()),
           PROJECT.parent / "shared" / "corpora" / "bbc")
VERSIONS = ("copy", "near-copy", "spin-10", "spin-30", "spin-50", "reorder", "split-merge",
            "paragraphs")
PER_ORIGINAL = 1 + len(VERSIONS)
DONORS = 100  # articles the paragraph edits take paragraphs from (not in the corpus)


def make_corpus(dest: Path, n: int, seed: int) -> int:
    """``n`` files (or as many as the BBC articles give) into ``dest``; the
    number of files written."""
    texts = list(corpus_texts(BBC, seed))
    donors = [t for _, t in texts[:DONORS]]
    originals = texts[DONORS:DONORS + max(1, n // PER_ORIGINAL)]
    evalset = make_evalset(originals, seed=seed, transforms=VERSIONS, donors=donors)
    dest.mkdir(parents=True, exist_ok=True)
    for k, doc in enumerate(evalset.docs):
        sub = dest / f"{k // 1000:03d}"  # folders of 1,000 files
        sub.mkdir(exist_ok=True)
        (sub / doc.name).write_text(doc.text, encoding="utf-8")
    return len(evalset.docs)


class Load:
    """The 1-minute load average, sampled every few seconds in a thread."""

    def __init__(self, every: float = 5.0):
        self.every, self.samples = every, [os.getloadavg()[0]]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])

    def summary(self) -> dict:
        s = self.samples
        return {"min": round(min(s), 2), "mean": round(sum(s) / len(s), 2),
                "max": round(max(s), 2)}


class Stages:
    """Wall-clock stages from the pipeline's progress callbacks: the first
    and last report of each progress phase, and each pipeline phase's end."""

    def __init__(self):
        self.t0 = time.perf_counter()
        self.banding = 0.0  # s in the candidate search, here (see timed_banding)
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self.ended: dict[str, float] = {}

    def progress(self, phase: str, done: int, total: int) -> None:
        now = time.perf_counter() - self.t0
        self.first.setdefault(phase, now)
        self.last[phase] = now

    def on_phase(self, name: str, _report) -> None:
        self.ended[name] = time.perf_counter() - self.t0

    def table(self) -> dict[str, float]:
        la, e = self.last, self.ended
        out = {"index: read files, write segments": la.get("reading", 0.0),
               "index: commit": e["index"] - la.get("reading", 0.0)}
        if "signatures" in la:
            out["versions: signatures"] = la["signatures"] - e["index"]
            out["versions: LSH banding (central)"] = self.banding
            out["versions: verification"] = e["versions"] - la["signatures"] - self.banding
        else:
            out["versions"] = e["versions"] - e["index"]
        out["entities and quotes"] = e["entities"] - e["versions"]
        return {k: round(v, 2) for k, v in out.items()}


class Measured:
    """The executor as it is, adding up the pickled size of what it sends."""

    def __init__(self, ex):
        self.ex, self.workers, self.ships_texts = ex, ex.workers, ex.ships_texts
        self.bytes = self.chunks = 0

    def submit(self, fn, *args):
        self.bytes += len(pickle.dumps((fn, args), protocol=5))
        self.chunks += 1
        return self.ex.submit(fn, *args)


def timed_banding(stages: Stages) -> None:
    """Time the versions phase's central step, the LSH banding (and the
    search for the rest of each family), by wrapping the functions the phase
    calls (a benchmark's instrument: the phase runs as it is)."""
    from index import versions

    def timed(fn):
        real = getattr(fn, "__wrapped__", fn)

        def wrapper(*a, **kw):
            t = time.perf_counter()
            try:
                return real(*a, **kw)
            finally:
                stages.banding += time.perf_counter() - t

        wrapper.__wrapped__ = real
        return wrapper

    versions.candidates = timed(versions.candidates)
    versions.family_candidates = timed(versions.family_candidates)


def run(root: Path, index_dir: Path, ner: str, workers: int, executor=None) -> dict:
    stages = Stages()
    timed_banding(stages)
    with Load() as load, Corpus(root, index_dir=index_dir, ner=ner) as c:
        t0 = time.perf_counter()
        report = pipeline.update(c, pipeline.PHASES, procs=workers, executor=executor,
                                 progress=stages.progress, on_phase=stages.on_phase)
        wall = time.perf_counter() - t0
    assert not report.cancelled
    n = report.articles_total
    return {"wall_s": round(wall, 2), "articles": n, "stages_s": stages.table(),
            "articles_per_s": round(n / wall, 1),
            "articles_per_s_per_worker": round(n / wall / workers, 1),
            "pairs": report.versions.pairs, "candidates": report.versions.candidates,
            "entities": report.entities.done, "load_1min": load.summary()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20000, help="files (default 20,000)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--ner", choices=["rules", "spacy"], default="rules")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--corpus-dir", type=Path, help="make the corpus here, or reuse it")
    ap.add_argument("--only", choices=["local", "dask"], help="one of the two runs")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()
    if not BBC.is_dir():
        print(f"skipped: the BBC corpus is not at {BBC}")
        return
    try:
        from index import cluster
    except ImportError as e:  # (it imports Dask only when connecting)
        print(f"skipped: {e}")
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    root = args.corpus_dir or tmp / "corpus"
    try:
        if root.is_dir() and any(root.iterdir()):
            files = sum(1 for p in root.rglob("*.txt"))
            print(f"corpus: {files:,} files in {root} (reused)")
        else:
            t = time.perf_counter()
            files = make_corpus(root, args.n, args.seed)
            print(f"corpus: {files:,} files in {root} ({time.perf_counter() - t:.0f} s to make)")
        out = {"files": files, "workers": args.workers, "ner": args.ner, "cores": os.cpu_count()}
        if args.only != "dask":
            out["local"] = run(root, tmp / "ix-local", args.ner, args.workers)
            print("local:", json.dumps(out["local"], indent=1))
        if args.only != "local":
            t = time.perf_counter()
            with cluster.connect(f"local:{args.workers}", root, tmp / "ix-dask") as ex:
                out["dask_start_s"] = round(time.perf_counter() - t, 2)
                measured = Measured(ex)
                out["dask"] = run(root, tmp / "ix-dask", args.ner, args.workers, measured)
                out["dask"]["shipped_mb"] = round(measured.bytes / 1e6, 1)
                out["dask"]["chunks"] = measured.chunks
            print("dask:", json.dumps(out["dask"], indent=1))
        if "local" in out and "dask" in out:
            out["overhead_ratio"] = round(out["dask"]["wall_s"] / out["local"]["wall_s"], 3)
            out["overhead_ratio_with_start"] = round(
                (out["dask"]["wall_s"] + out["dask_start_s"]) / out["local"]["wall_s"], 3)
            # without the entities phase, which the local pool runs niced
            # (background work) and the Dask workers do not
            iv = {k: sum(v for s, v in out[k]["stages_s"].items() if not s.startswith("ent"))
                  for k in ("local", "dask")}
            out["overhead_ratio_index_versions"] = round(iv["dask"] / iv["local"], 3)
        print(json.dumps({k: v for k, v in out.items() if k not in ("local", "dask")}))
        if args.json:
            args.json.write_text(json.dumps(out, indent=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # (a --corpus-dir is elsewhere: kept)


if __name__ == "__main__":
    main()
