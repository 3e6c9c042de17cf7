"""Version-family detection: quality against the standard baseline, and speed.

Quality (``quality`` mode): real articles are turned into versions by
``bench/evalset.py`` (copies, near-copies, 10/30/50% spin, reordering,
split/merge, paragraph edits, boilerplate, heavy human-style paraphrase, the
same keeping the first two sentences), other real articles into hard
negatives (template pages, articles sharing only a list of related links,
one outlet's different live blogs); everything is indexed with the
real engine and the families it finds are scored per transformation, side by
side with the standard near-duplicate baseline (datasketch MinHash over word
5-grams, LSH threshold 0.5, pairs kept at estimated Jaccard >= 0.5), in the
same run. Recall is per (original, version) pair: the pair stored by variorum
(a family's pairs), and, in the "(family)" column, the two in one family
whether or not a pair joins them (co-membership: a family is found once, and
not every member pair is verified and stored). Precision counts a found pair
as wrong when its two documents come from different originals;
"same-subject" restricts that to originals of the same BBC category (the hard
negatives). Family co-membership recall and precision are printed too: over
all pairs of documents from one original, and over all pairs of documents
sharing a family.

Speed (``speed`` mode): signatures per second on one core, and the time and
peak memory of building families for N news-size articles (default 100,000)
made of sentences drawn from real articles of one category (so topics
cluster as in a news corpus), 5% of them given a spun version.

    python bench/bench_versions.py quality [--originals 300] [--negatives 30] [--corpus PATH]
    python bench/bench_versions.py speed [--n 100000] [--runs 5] [--signatures-only]

Originals come from ../shared/corpora/bbc when it is there (2,225 real BBC
articles), else from sample_corpus/ (five articles: a smoke test only).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.evalset import (  # noqa: E402
    NEGATIVES,
    TRANSFORMS,
    corpus_texts,
    make_evalset,
    make_negatives,
)
from index import Corpus  # noqa: E402
from index.ingest import decode  # noqa: E402

# next to the checkout (../shared) or, from a git worktree in /work/wt/NAME, two up
BBC = next((p for p in (PROJECT.parent / "shared" / "corpora" / "bbc",
                        PROJECT.parent.parent / "shared" / "corpora" / "bbc") if p.is_dir()),
           PROJECT.parent / "shared" / "corpora" / "bbc")
WORDS = re.compile(r"\w+")


def load_originals(corpus: Path | None, n: int, seed: int,
                   extra: int = 0) -> tuple[list[tuple[str, str]], str, list[str]]:
    """``n`` originals, and ``extra`` other articles (for hard negatives)."""
    if corpus is None:
        corpus = BBC if BBC.is_dir() else PROJECT / "sample_corpus"
    out = []
    for name, text in corpus_texts(corpus, seed):
        out.append((name, text))
        if len(out) >= n * 1.2 + 10 + extra * 1.2:
            break
    # drop natural near-duplicates (the baseline's own definition) among originals
    pairs = baseline_pairs({name: text for name, text in out})
    drop = {b for _, b in pairs}
    out = [o for o in out if o[0] not in drop]
    return out[:n], str(corpus), [t for _, t in out[n:n + extra]]


def shingles(text: str, n: int = 5) -> set[bytes]:
    w = [x.lower() for x in WORDS.findall(text)]
    return {" ".join(w[i:i + n]).encode() for i in range(max(1, len(w) - n + 1))}


def baseline_pairs(docs: dict[str, str], threshold: float = 0.5) -> set[tuple[str, str]]:
    """datasketch MinHash over word 5-grams + LSH at 0.5: the usual near-dup detector."""
    from datasketch import MinHash, MinHashLSH

    names = sorted(docs)
    hashes = MinHash.bulk([list(shingles(docs[n])) for n in names], num_perm=128)
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    for n, m in zip(names, hashes, strict=True):
        lsh.insert(n, m)
    by_name = dict(zip(names, hashes, strict=True))
    found = set()
    for n, m in by_name.items():
        for o in lsh.query(m):
            if o != n and m.jaccard(by_name[o]) >= threshold:
                found.add((min(n, o), max(n, o)))
    return found


def quality(args) -> dict:
    originals, source, extras = load_originals(args.corpus, args.originals, args.seed,
                                               extra=5 * args.negatives)
    ev = make_evalset(originals, seed=args.seed)
    ev.docs += make_negatives(extras, seed=args.seed, per_class=args.negatives)
    negative = ev.negative_of()
    docs = {d.name: d for d in ev.docs}
    origin = ev.origin_of()
    positives = ev.positives()
    work = Path(tempfile.mkdtemp(prefix="variorum-vbench-"))
    try:
        folder = work / "corpus"
        folder.mkdir()
        for d in ev.docs:
            (folder / d.name).write_text(d.text, encoding="utf-8")
        c = Corpus(folder, index_dir=work / "ix")
        t0 = time.perf_counter()
        report = c.update()
        build_s = time.perf_counter() - t0
        by_path = {a.id: a.path for a in c.articles()}
        ours = set()
        family_of: dict[str, int] = {}  # document -> its family's number
        fams = c.families()
        for k, f in enumerate(fams):
            for p in f.pairs:
                a, b = by_path[p.a], by_path[p.b]
                ours.add((min(a, b), max(a, b)))
            for m in f.members:
                family_of[m.path] = k
        t0 = time.perf_counter()
        base = baseline_pairs({n: d.text for n, d in docs.items()})
        base_s = time.perf_counter() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def subject(name: str) -> str:
        return name.split("_", 1)[0] if source.endswith("bbc") else "all"

    def together(p: tuple[str, str]) -> bool:
        return p[0] in family_of and family_of[p[0]] == family_of.get(p[1])

    rows = []
    for tr in TRANSFORMS:
        want = {p for p, t in positives.items() if t == tr}
        rows.append({
            "transform": tr, "pairs": len(want),
            "variorum_recall": len(want & ours) / len(want) if want else None,
            "variorum_family_recall": sum(map(together, want)) / len(want) if want else None,
            "baseline_recall": len(want & base) / len(want) if want else None,
        })

    def precision(found: set) -> dict:
        wrong = [p for p in found if origin[p[0]] != origin[p[1]]]
        same_subject = [p for p in wrong if subject(origin[p[0]]) == subject(origin[p[1]])]
        per_negative = {c: sum(1 for p in wrong if c in (negative.get(p[0]), negative.get(p[1])))
                        for c in NEGATIVES}
        return {"found": len(found), "wrong": len(wrong), "wrong_same_subject": len(same_subject),
                "wrong_by_negative_class": per_negative,
                "precision": 1 - len(wrong) / len(found) if found else None,
                "examples": sorted(wrong)[:8]}

    def comembers() -> dict:
        """Family co-membership: two documents in one family count as found
        (whether or not a pair joins them); right when they come from one
        original. Over all pairs of documents from one original (recall) and
        over all pairs of documents sharing a family (precision)."""
        from collections import Counter
        from math import comb

        truth = sum(comb(n, 2) for n in Counter(origin.values()).values())
        found = right = 0
        for f in fams:
            found += comb(len(f.members), 2)
            right += sum(comb(n, 2) for n in Counter(origin[by_path[m.id]]
                                                     for m in f.members).values())
        return {"true_pairs": truth, "found_pairs": found, "right": right,
                "recall": right / truth if truth else None,
                "precision": right / found if found else None}

    return {
        "mode": "quality", "source": source,
        "variorum_families": comembers(),
        "originals": sum(1 for d in ev.docs if d.transform == "original"),
        "negatives": {c: sum(1 for v in negative.values() if v == c) for c in NEGATIVES},
        "documents": len(ev.docs), "seed": args.seed,
        "index_and_families_seconds": round(build_s, 2),
        "versions_report": vars(report.versions) if report.versions else None,
        "baseline_seconds": round(base_s, 2),
        "per_transform": rows, "variorum": precision(ours), "baseline": precision(base),
    }


def synth_articles(n: int, seed: int) -> list[str]:
    """News-size articles of 15-30 sentences drawn from real articles of one category."""
    from index.text.sentences import split_spans

    rng = random.Random(seed)
    pools: dict[str, list[str]] = defaultdict(list)
    src = BBC if BBC.is_dir() else PROJECT / "sample_corpus"
    for p in sorted(src.rglob("*.txt")):
        text, _ = decode(p.read_bytes())
        if text:
            pools[p.parent.name].extend(text[s:e] for s, e in split_spans(text) if e - s > 40)
    cats = sorted(pools)
    out = []
    for _ in range(n):
        pool = pools[rng.choice(cats)]
        k = rng.randrange(15, 31)
        sents = [rng.choice(pool) for _ in range(k)]
        out.append("\n".join(" ".join(sents[i:i + 3]) for i in range(0, k, 3)))
    return out


SIG_SAMPLE = 3000  # articles per signature timing


def _sigrate_child(path: str, mode: str) -> None:
    """One timing in a fresh process (so caches start cold): features plus
    signatures of the texts in ``path``, by variorum or by the baseline."""
    from datasketch import MinHash

    from index import versions as V

    texts = json.loads(Path(path).read_text(encoding="utf-8"))
    warm, timed = texts["warm"], texts["timed"]
    if mode == "steady":  # caches warmed by other articles first, as in a long run
        V.signatures((V.features(t) for t in warm), V.permutations())
    t0 = time.perf_counter()
    if mode == "datasketch":  # the same features, hashed by datasketch per feature
        feats = [V.features(t) for t in timed]
        MinHash.bulk([[f.encode("utf-8") for f in fs] or [b""] for fs in feats],
                     num_perm=V.NUM_PERM, seed=1)
    else:
        V.signatures((V.features(t) for t in timed), V.permutations())
    print(json.dumps(len(timed) / (time.perf_counter() - t0)))


def signature_rates(texts: list[str], runs: int) -> dict:
    """Articles/s from raw text to signature on one core (one process), the
    median of ``runs`` fresh processes each: cold caches, steady state (after
    3,000 other articles), and the baseline datasketch ``MinHash.bulk`` over
    the same features with its default per-feature hashing, in the same run."""
    import statistics

    n = min(SIG_SAMPLE, len(texts) // 2)
    tmp = Path(tempfile.mkdtemp(prefix="variorum-sigrate-"))
    try:
        f = tmp / "texts.json"
        f.write_text(json.dumps({"timed": texts[:n], "warm": texts[n:2 * n]}), encoding="utf-8")
        rates: dict[str, list[float]] = defaultdict(list)
        for _ in range(runs):
            for mode in ("cold", "steady", "datasketch"):
                out = subprocess.run([sys.executable, __file__, "_sigrate", str(f), mode],
                                     capture_output=True, text=True, check=True)
                rates[mode].append(json.loads(out.stdout))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: round(statistics.median(v), 1) for k, v in rates.items()}
    return {
        "signature_articles_timed": n, "signature_runs": runs,
        "signatures_per_s_one_core": med["cold"],
        "signatures_per_s_one_core_steady": med["steady"],
        "signatures_per_s_one_core_baseline_datasketch_bulk": med["datasketch"],
        "signature_speedup_vs_baseline": round(med["cold"] / med["datasketch"], 2),
        "signature_rates_all_runs": {k: [round(x) for x in v] for k, v in rates.items()},
    }


def speed(args) -> dict:
    from bench.evalset import Spinner

    texts = synth_articles(args.n, args.seed)
    rng = random.Random(args.seed)
    spinner = Spinner(texts[:2000], rng)
    n_versions = args.n // 20
    for k in range(n_versions):  # 5% get a spun version (replacing another article)
        texts[-1 - k] = spinner.spin(texts[k], 0.3)
    sig = signature_rates(texts, args.runs)
    if args.signatures_only:
        return {"mode": "speed", "articles": args.n, **sig,
                "targets": {"signatures_per_s_one_core": 1000}}

    work = Path(tempfile.mkdtemp(prefix="variorum-vspeed-"))
    try:
        folder = work / "corpus"
        for k, t in enumerate(texts):
            d = folder / f"{k // 1000:03}"
            d.mkdir(parents=True, exist_ok=True)
            (d / f"{k:06}.txt").write_text(t, encoding="utf-8")
        c = Corpus(folder, index_dir=work / "ix")
        t0 = time.perf_counter()
        c.update(versions=False)
        index_s = time.perf_counter() - t0
        # the family build in a child process, so its peak memory is its own
        code = ("import sys, json, resource, time; sys.path.insert(0, sys.argv[1]);"
                "from index import Corpus; c = Corpus(sys.argv[2], index_dir=sys.argv[3]);"
                "t = time.perf_counter(); r = c.update_versions(); s = time.perf_counter() - t;"
                "f = c.families();"
                "print(json.dumps({'seconds': s, 'families': len(f), 'pairs': r.pairs,"
                "'candidates': r.candidates, 'signed': r.signed,"
                "'rss_self_mb': [int(l.split()[1]) / 1024 for l in open('/proc/self/status')"
                " if l.startswith('VmHWM')][0],"
                "'rss_children_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss"
                " / 1024}))")
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code, str(PROJECT), str(folder),
                              str(work / "ix")], capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t0
        fam = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    found_versions = fam["pairs"]
    return {
        "mode": "speed", "articles": args.n, "spun_versions_planted": n_versions,
        **sig,
        "index_seconds_excluded": round(index_s, 1),
        "families_seconds": round(fam["seconds"], 1), "families_wall_seconds": round(wall, 1),
        "families": fam["families"], "pairs": found_versions, "candidates": fam["candidates"],
        # VmHWM: the family builder's own peak since exec (ru_maxrss would
        # include what the parent held when it forked)
        "peak_rss_mb_main": round(fam["rss_self_mb"], 1),
        # ru_maxrss of its worker processes: an upper bound (see above)
        "peak_rss_mb_largest_worker": round(fam["rss_children_mb"], 1),
        "targets": {"signatures_per_s_one_core": 1000, "families_seconds": 120,
                    "peak_rss_mb": 1024},
    }


def show(result: dict) -> None:
    if result["mode"] == "quality":
        print(f"originals: {result['originals']} from {result['source']}; "
              f"hard negatives {result['negatives']}; "
              f"{result['documents']} documents; seed {result['seed']}")
        # pair recall: the (original, version) pair is stored; family: the two
        # are in one family (co-membership), whether or not a pair joins them
        print(f"{'transform':<16}{'pairs':>6}{'variorum':>10}{'(family)':>10}{'baseline':>10}")
        for r in result["per_transform"]:
            print(f"{r['transform']:<16}{r['pairs']:>6}{r['variorum_recall']:>10.3f}"
                  f"{r['variorum_family_recall']:>10.3f}{r['baseline_recall']:>10.3f}")
        fm = result["variorum_families"]
        print(f"variorum families, co-membership: recall {fm['recall']:.4f} "
              f"({fm['right']}/{fm['true_pairs']} same-original document pairs in one family), "
              f"precision {fm['precision']:.4f} ({fm['right']}/{fm['found_pairs']} document "
              f"pairs sharing a family)")
        for who in ("variorum", "baseline"):
            p = result[who]
            prec = "n/a" if p["precision"] is None else f"{p['precision']:.4f}"
            print(f"{who}: {p['found']} pairs found, {p['wrong']} wrong "
                  f"({p['wrong_same_subject']} same subject; by negative class "
                  f"{p['wrong_by_negative_class']}), precision {prec}")
            for ex in p["examples"]:
                print(f"    wrong: {ex[0]} ~ {ex[1]}")
        vr = result["versions_report"] or {}
        print(f"variorum versions: {vr.get('candidates')} candidate pairs verified, "
              f"{vr.get('pairs')} pairs stored")
        print(f"variorum index+families {result['index_and_families_seconds']} s; "
              f"baseline {result['baseline_seconds']} s")
    else:
        for k, v in result.items():
            print(f"{k}: {v}")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "_sigrate":
        _sigrate_child(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("quality", "speed"))
    ap.add_argument("--originals", type=int, default=300)
    ap.add_argument("--negatives", type=int, default=30, help="hard negatives per class")
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5, help="signature timings (median)")
    ap.add_argument("--signatures-only", action="store_true",
                    help="speed: time signatures only, skip the family build")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    result = quality(args) if args.mode == "quality" else speed(args)
    result["command"] = " ".join([Path(sys.executable).name, *sys.argv])
    result["machine"] = {"nproc": os.cpu_count(), "python": sys.version.split()[0],
                         "maxrss_mb_this": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                         / 1024}
    show(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
