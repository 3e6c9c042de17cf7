"""Entities and quotes: quality against the hand annotation, and speed.

Quality: quote precision, recall and speaker accuracy on the seed articles
annotated by hand in tests/data/quotes_gold.json, for the spaCy extractor
and the rule fallback (scored by bench_quotes.py's run_seeds, which also
scores the PolNeAR development set).

Speed, each figure the median of ``--runs`` runs, with its baseline in the
same run:

- throughput, articles/s: the full en_core_web_sm pipeline (every
  component, as ``spacy.load`` gives it) on one core, the baseline; the
  NER-only pipeline on one core; and variorum's corpus-wide extraction
  (``Corpus.update_entities``: NER-only, clean-ups, aliases, quotes, SQLite
  cache) on both cores;
- on-demand latency of the article on screen (``Corpus.annotations`` of an
  article not extracted yet, model loaded): median and 95th percentile;
  and the first one, which loads the model;
- the UI thread while the whole corpus is being extracted in the
  background: the time from a key press (``j``, next article) to the list
  cursor moving, against the same with nothing running in the background.

    python bench/bench_entities.py [--n 400] [--runs 3] [--corpus PATH]

Articles come from ../shared/corpora/bbc when it is there, else the five
seeds (a smoke test only).

Entity quality on a development set (CoNLL-2003 English validation, 216
Reuters articles with gold PER/ORG/LOC/MISC spans, in
../shared/corpora/conll2003-valid; skipped with a message when absent):
per-label and micro precision, recall and F1, exact span and label, micro
over PER/ORG/LOC, for variorum's extractor (every mention of every entity
after the clean-ups), the plain spaCy pipeline (``spacy.load`` of the same
model, every component, its ``doc.ents``) and the rule fallback, all with
the labels mapped as the set's README says:

    python bench/bench_entities.py conll [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
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
sys.path.insert(0, str(PROJECT))

from index import Corpus  # noqa: E402
from index.nlp import entities as E  # noqa: E402


def _shared() -> Path:
    """The shared/ folder beside the project (or beside a folder above it, for
    a git worktree nested one level deeper)."""
    for up in PROJECT.parents:
        if (up / "shared" / "corpora").is_dir():
            return up / "shared"
    return PROJECT.parent / "shared"


BBC = _shared() / "corpora" / "bbc"
CONLL = _shared() / "corpora" / "conll2003-valid"


def quality() -> list[dict]:
    """The seeds' hand annotation of quotes and speakers, spaCy and rules (one
    scorer: bench_quotes's, which runs the parse pass as annotate does)."""
    from bench_quotes import run_seeds  # bench/ is this script's folder

    return [{"extractor": kind, **r} for kind, r in run_seeds().items()]


# The development set's label mapping (its README): everything else is dropped.
CONLL_LABELS = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC",
                "NORP": "MISC", "EVENT": "MISC", "PRODUCT": "MISC", "LAW": "MISC",
                "WORK_OF_ART": "MISC", "LANGUAGE": "MISC"}
SCORED = ("PER", "ORG", "LOC")


def conll_docs(root: Path) -> tuple[dict[str, str], set[tuple[str, int, int, str]]]:
    gold_rows = json.loads((root / "gold.json").read_text(encoding="utf-8"))
    names = sorted({g["file"] for g in gold_rows}
                   | {p.name for p in (root / "corpus").glob("*.txt")})
    texts = {n: (root / "corpus" / n).read_text(encoding="utf-8") for n in names}
    gold = {(g["file"], g["start"], g["end"], g["label"]) for g in gold_rows
            if g["label"] in SCORED}
    return texts, gold


def score(gold: set, pred: set) -> dict:
    """Per-label and micro precision, recall, F1 over PER/ORG/LOC: a
    prediction counts when its span and label are exactly a gold one's."""
    pred = {p for p in pred if p[3] in SCORED}
    out = {}
    for lab in (*SCORED, "micro"):
        g = {x for x in gold if lab == "micro" or x[3] == lab}
        p = {x for x in pred if lab == "micro" or x[3] == lab}
        tp = len(g & p)
        pr, rc = tp / max(len(p), 1), tp / max(len(g), 1)
        out[lab] = {"p": round(pr, 3), "r": round(rc, 3),
                    "f1": round(2 * pr * rc / max(pr + rc, 1e-9), 3),
                    "gold": len(g), "pred": len(p), "tp": tp}
    return out


def conll_variorum(texts: dict[str, str], kind: str) -> set:
    ex = E.load_extractor(kind)
    names = list(texts)
    pred = set()
    for n, ents in zip(names, E.extract([texts[n] for n in names], ex), strict=True):
        for ent in ents:
            lab = CONLL_LABELS.get(ent.label)
            if lab:
                pred.update((n, s, e, lab) for s, e in ent.mentions)
    return pred


def conll_plain_spacy(texts: dict[str, str]) -> set:
    import spacy

    nlp = spacy.load(E.choose_extractor("spacy").package)
    names = list(texts)
    pred = set()
    for n, doc in zip(names, nlp.pipe([texts[n] for n in names], batch_size=32),
                      strict=True):
        for e in doc.ents:
            lab = CONLL_LABELS.get(e.label_)
            if lab:
                pred.add((n, e.start_char, e.end_char, lab))
    return pred


def conll(root: Path = CONLL) -> dict | None:
    if not (root / "gold.json").is_file():
        print(f"skipped: no development set at {root}", file=sys.stderr)
        return None
    texts, gold = conll_docs(root)
    choice = E.choose_extractor("spacy")
    runs = {
        f"variorum ({choice.name}, NER only + clean-ups)": conll_variorum(texts, "spacy"),
        f"plain spaCy ({choice.package} {choice.version}, every component)":
            conll_plain_spacy(texts),
        "variorum rules (no model)": conll_variorum(texts, "rules"),
    }
    result = {"articles": len(texts), "gold_entities": len(gold),
              "scores": {name: score(gold, pred) for name, pred in runs.items()}}
    print(f"{len(texts)} articles, {len(gold)} gold PER/ORG/LOC entities; "
          "exact span and label")
    print(f"{'extractor':60} {'label':6} {'P':>6} {'R':>6} {'F1':>6}")
    for name, sc in result["scores"].items():
        for lab, v in sc.items():
            print(f"{name:60} {lab:6} {v['p']:6.3f} {v['r']:6.3f} {v['f1']:6.3f}")
    return result


def sources(corpus: Path | None, n: int) -> list[Path]:
    src = corpus or (BBC if BBC.is_dir() else PROJECT / "sample_corpus")
    files = sorted(p for p in src.rglob("*.txt") if p.name.lower() != "readme.txt")
    return files[:n]


def copy_corpus(files: list[Path], dest: Path) -> Path:
    dest.mkdir(parents=True)
    for k, f in enumerate(files):
        shutil.copy(f, dest / f"{k:05}_{f.parent.name}_{f.name}")
    return dest


_CHILD = r"""
import sys, time, json
sys.path.insert(0, sys.argv[1])
import spacy
from index.nlp import entities as E
mode, paths = sys.argv[2], sys.argv[3:]
texts = [open(p, encoding="utf-8", errors="replace").read() for p in paths]
choice = E.choose_extractor("spacy")
if mode == "full":
    nlp = spacy.load(choice.package)
    t = time.perf_counter()
    for doc in nlp.pipe(texts, batch_size=32):
        doc.ents
else:
    ex = E.load_extractor("spacy")
    t = time.perf_counter()
    E.extract(texts, ex)
print(json.dumps(len(texts) / (time.perf_counter() - t)))
"""


def one_core_rate(files: list[Path], mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(PROJECT), mode, *map(str, files)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def corpus_rate(files: list[Path], work: Path, run: int) -> tuple[float, float]:
    """variorum's corpus-wide extraction on both cores: articles/s, and the
    same without the model loading of the two worker processes."""
    folder = copy_corpus(files, work / f"c{run}")
    c = Corpus(folder, index_dir=work / f"ix{run}", ner="spacy")
    c.update(versions=False)
    t = time.perf_counter()
    r = c.update_entities(procs=2)
    s = time.perf_counter() - t
    c.close()
    return r.done / s, s


def on_demand(files: list[Path], work: Path) -> dict:
    folder = copy_corpus(files, work / "od")
    c = Corpus(folder, index_dir=work / "ix-od", ner="spacy")
    c.update(versions=False)
    arts = c.articles()
    E._load.cache_clear()  # the first one loads the model, as in a fresh reader
    t = time.perf_counter()
    c.annotations(arts[0].id)
    first = time.perf_counter() - t
    times = []
    for a in arts[1:51]:
        t = time.perf_counter()
        c.annotations(a.id)
        times.append(time.perf_counter() - t)
    c2 = Corpus(folder, index_dir=work / "ix-od2", ner="spacy")
    c2.update(versions=False)
    t = time.perf_counter()
    c2.annotations(arts[0].id, extract_here=False)
    first_pool = time.perf_counter() - t
    via_pool = []
    for a in arts[1:51]:
        t = time.perf_counter()
        c2.annotations(a.id, extract_here=False)
        via_pool.append(time.perf_counter() - t)
    c2.close()  # and its extraction process
    via_pool.sort()
    cached = []
    for a in arts[1:51]:
        t = time.perf_counter()
        c.annotations(a.id)
        cached.append(time.perf_counter() - t)
    c.close()
    times.sort()
    return {"first_with_model_load_ms": round(first * 1000),
            "median_ms": round(statistics.median(times) * 1000, 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))] * 1000, 1),
            "articles": len(times),
            "cached_median_ms": round(statistics.median(cached) * 1000, 2),
            "reader_path_ner_process": {
                "first_with_process_start_and_model_load_ms": round(first_pool * 1000),
                "median_ms": round(statistics.median(via_pool) * 1000, 1),
                "p95_ms": round(via_pool[int(0.95 * (len(via_pool) - 1))] * 1000, 1)}}


async def _ui_latency(folder: Path, ix: Path, background: bool) -> list[float]:
    from tui.app import VariorumApp

    c = Corpus(folder, index_dir=ix, ner="spacy")
    app = VariorumApp(c)
    lat: list[float] = []
    lag: list[float] = []
    async with app.run_test(size=(140, 40)) as pilot:
        if background:  # wait until the corpus-wide extraction is under way
            for _ in range(600):
                await pilot.pause(0.05)
                if app.reader.status.message.startswith("entities:"):
                    break
        else:
            await app.workers.wait_for_complete()
            await pilot.pause()
        for _ in range(40):  # how late the event loop wakes up: its lag
            t = time.perf_counter()
            await asyncio.sleep(0.05)
            lag.append(time.perf_counter() - t - 0.05)
        for _ in range(30):
            before = app.reader.list.cursor
            t = time.perf_counter()
            await pilot.press("j")
            while app.reader.list.cursor == before:
                await asyncio.sleep(0)
            lat.append(time.perf_counter() - t)
            await pilot.pause(0.05)
        still = app.reader.status.message.startswith("entities:")
        app.workers.cancel_all()
    c.close()
    if background and not still:
        print("warning: the extraction ended during the key presses", file=sys.stderr)
    return lat, lag


def ui_latency(files: list[Path], work: Path) -> dict:
    folder = copy_corpus(files, work / "ui")
    idle, idle_lag = asyncio.run(_ui_latency(folder, work / "ix-ui-idle", background=False))
    busy, busy_lag = asyncio.run(_ui_latency(folder, work / "ix-ui-busy", background=True))

    def ms(xs: list[float]) -> dict:
        xs = sorted(xs)
        return {"median_ms": round(statistics.median(xs) * 1000, 1),
                "max_ms": round(xs[-1] * 1000, 1)}

    return {"event_loop_lag_idle": ms(idle_lag),
            "event_loop_lag_during_extraction": ms(busy_lag),
            "key_to_cursor_idle": ms(idle), "key_to_cursor_during_extraction": ms(busy),
            "presses": len(idle)}


def main() -> None:
    if sys.argv[1:2] == ["conll"]:
        ap = argparse.ArgumentParser(prog="bench_entities.py conll")
        ap.add_argument("--json", type=Path)
        ap.add_argument("--data", type=Path, default=CONLL, help="the development set's folder")
        args = ap.parse_args(sys.argv[2:])
        result = conll(args.data)
        if result and args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            result["command"] = " ".join([Path(sys.executable).name, *sys.argv])
            args.json.write_text(json.dumps(result, indent=2))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=400, help="articles for the speed runs")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--parts", default="quality,throughput,ondemand,ui",
                    help="comma-separated: which measurements to run")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    files = sources(args.corpus, args.n)
    result: dict = {"articles": len(files), "source": str(files[0].parent.parent)}
    if "quality" in parts:
        result["quality"] = quality()
        print(json.dumps(result["quality"], indent=1))
    work = Path(tempfile.mkdtemp(prefix="variorum-bench-ent-"))
    try:
        if "throughput" in parts:
            throughput(files, work, args.runs, result)
        if "ondemand" in parts:
            result["on_demand"] = on_demand(files[:60], work)
            print(json.dumps(result["on_demand"], indent=1))
        if "ui" in parts:
            result["ui"] = ui_latency(files, work)
            print(json.dumps(result["ui"], indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["command"] = " ".join([Path(sys.executable).name, *sys.argv])
    result["machine"] = {"nproc": os.cpu_count(), "python": sys.version.split()[0]}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))


def throughput(files: list[Path], work: Path, runs: int, result: dict) -> None:
    full = [one_core_rate(files, "full") for _ in range(runs)]
    ner = [one_core_rate(files, "ner") for _ in range(runs)]
    both = [corpus_rate(files, work, k) for k in range(runs)]
    result["throughput_articles_per_s"] = {
        "baseline_full_pipeline_one_core": round(statistics.median(full), 1),
        "ner_only_one_core": round(statistics.median(ner), 1),
        "variorum_corpus_both_cores": round(statistics.median(r for r, _ in both), 1),
        "all_runs": {"full": [round(x, 1) for x in full], "ner": [round(x, 1) for x in ner],
                     "variorum": [round(r, 1) for r, _ in both]},
    }
    print(json.dumps(result["throughput_articles_per_s"], indent=1))


if __name__ == "__main__":
    main()
