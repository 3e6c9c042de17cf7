"""The diff engine's speed: two 5,000-word articles, against difflib on the
raw word sequences, in the same run.

Article A is made of real BBC articles of one category, joined until it has
5,000 words; B is A spun at 30% of its content words (index.evalset's
spinner), with a paragraph moved to the end, one dropped and one sentence
split in two. Timed, each as the median of ``--runs`` runs:

- baseline: ``difflib.SequenceMatcher(None, a.split(), b.split(),
  autojunk=False).get_opcodes()``, the raw word sequences;
- variorum: ``index.diff.diff_texts(a, b)`` (sentence split, alignment,
  word-level ops, substitutions, numbers, stats);
- variorum with entities: the same with both texts' entities and quotes
  given (cached in the reader; their extraction is not timed here).

    python bench/bench_diff.py [--words 5000] [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from difflib import SequenceMatcher
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from index import entities as E  # noqa: E402
from index.diff import diff_texts  # noqa: E402
from index.evalset import Spinner  # noqa: E402
from index.quotes import find_quotes  # noqa: E402

BBC = PROJECT.parent / "shared" / "corpora" / "bbc"


def make_pair(words: int, seed: int) -> tuple[str, str]:
    src = BBC / "politics" if BBC.is_dir() else PROJECT / "sample_corpus"
    files = sorted(src.glob("*.txt"))
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    paras: list[str] = []
    n = 0
    for t in texts:
        for p in t.split("\n"):
            if p.strip():
                paras.append(p.strip())
                n += len(p.split())
        if n >= words:
            break
    rng = random.Random(seed)
    spinner = Spinner(texts[:300], rng)
    b = [spinner.spin(p, 0.3) for p in paras]
    b.append(b.pop(3))  # a paragraph moved to the end
    del b[len(b) // 2]  # one dropped
    k = len(b) // 3
    b[k] = b[k].replace(". ", ".\n", 1)  # a sentence split off into a paragraph of its own
    return "\n".join(paras), "\n".join(b)


def timed(fn, runs: int) -> tuple[float, list[float]]:
    xs = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        xs.append((time.perf_counter() - t) * 1000)
    return statistics.median(xs), xs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--words", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    a, b = make_pair(args.words, args.seed)
    ex = E.load_extractor()
    ea, eb = E.extract([a, b], ex)
    qa, qb = find_quotes(a, ea), find_quotes(b, eb)
    base, base_all = timed(lambda: SequenceMatcher(None, a.split(), b.split(),
                                                   autojunk=False).get_opcodes(), args.runs)
    ours, ours_all = timed(lambda: diff_texts(a, b), args.runs)
    full, full_all = timed(lambda: diff_texts(a, b, ents_a=ea, ents_b=eb, quotes_a=qa,
                                              quotes_b=qb), args.runs)
    r = diff_texts(a, b, ents_a=ea, ents_b=eb, quotes_a=qa, quotes_b=qb)
    result = {
        "words_a": len(a.split()), "words_b": len(b.split()), "runs": args.runs,
        "baseline_difflib_raw_words_ms": round(base, 1),
        "variorum_diff_ms": round(ours, 1),
        "variorum_diff_with_entities_ms": round(full, 1),
        "ratio_variorum_to_baseline": round(ours / base, 2),
        "target_ms": 150,
        "all_runs_ms": {"baseline": [round(x, 1) for x in base_all],
                        "variorum": [round(x, 1) for x in ours_all],
                        "with_entities": [round(x, 1) for x in full_all]},
        "diff": {"similarity": r.similarity, "groups": len(r.groups),
                 "substitutions": len(r.substitutions), "moved": r.stats.moved,
                 "split_or_merged": r.stats.split_or_merged, "dropped": r.stats.dropped,
                 "added": r.stats.added, "entity_changes": len(r.entity_changes)},
        "extractor": ex.name,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
