"""Exporting a diff (issue 14, item 4): the time to write a 5,000-word diff
and its spin report as HTML and as Markdown, against two baselines timed in
the same run, by turns (a busy machine slows them all alike):

- ``diff``: computing the diff itself (``index.diff.diff_texts`` with both
  texts' entities, quotes and phrases given, as ``Corpus.diff`` does with
  cached annotations: what the reader does before ``e`` can be pressed);
- ``json``: ``variorum diff --json``'s output of the same diff
  (``dumps_json(result.to_json())``), the export that exists already;
- ``html`` and ``md``: ``index.export.diff_html`` / ``diff_markdown``.

    python bench/bench_export.py [--words 5000] [--runs 15]

The pair is made from the sample corpus's text only (its paragraphs, cycled
until ``--words``, each copy numbered so no two are alike): B is A spun at 30%
of its content words (bench/evalset.py's spinner), with a paragraph moved to
the end, one dropped and a sentence split off. Each figure is the median of
``--runs``; the 1-minute load average is recorded before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.evalset import spun_pair  # noqa: E402
from index import ArticleMeta, dumps_json  # noqa: E402
from index.diff import diff_texts  # noqa: E402
from index.export import diff_html, diff_markdown  # noqa: E402
from index.nlp import entities as E  # noqa: E402
from index.nlp.quotes import find_quoted  # noqa: E402


def make_pair(words: int, seed: int) -> tuple[str, str]:
    """A and B (see the module's docstring), from the sample corpus alone."""
    texts = [f.read_text(encoding="utf-8") for f in sorted((PROJECT / "sample_corpus")
                                                           .glob("*.txt"))]
    source = [p.strip() for t in texts for p in t.split("\n") if len(p.split()) > 8]
    paras: list[str] = []
    n = 0
    while n < words:
        p = source[len(paras) % len(source)]
        copy = len(paras) // len(source)
        p = f"{p} (Part {copy + 1}.)" if copy else p
        paras.append(p)
        n += len(p.split())
    return spun_pair(paras, texts, seed)


def by_turns(fns: dict, runs: int) -> dict[str, list[float]]:
    """Each function once per round, ``runs`` rounds: milliseconds."""
    out: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(runs):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            out[k].append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--words", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    a, b = make_pair(args.words, args.seed)
    ex = E.load_extractor()
    ea, eb = E.extract([a, b], ex)
    qa, qb = find_quoted(a, ea), find_quoted(b, eb)
    meta_a = ArticleMeta(id="a" * 12, path="a.txt", title="A, 5,000 words", source="Sample")
    meta_b = ArticleMeta(id="b" * 12, path="b.txt", title="B, spun", source="Sample")

    def diff():
        return diff_texts(a, b, ents_a=ea, ents_b=eb, quotes_a=qa, quotes_b=qb)

    r = diff()
    load_before = os.getloadavg()
    runs = by_turns({
        "diff": diff,
        "json": lambda: dumps_json(r.to_json()),
        "html": lambda: diff_html(r, meta_a, meta_b),
        "md": lambda: diff_markdown(r, meta_a, meta_b),
    }, args.runs)
    load_after = os.getloadavg()
    med = {k: statistics.median(v) for k, v in runs.items()}
    sizes = {"json": len(dumps_json(r.to_json()).encode()),
             "html": len(diff_html(r, meta_a, meta_b).encode()),
             "md": len(diff_markdown(r, meta_a, meta_b).encode())}
    print(f"{len(a.split())} → {len(b.split())} words, {len(r.groups)} groups, "
          f"{len(r.substitutions)} substitutions, {len(r.entity_changes)} entity, "
          f"{len(r.quote_changes)} quote, {len(r.number_changes)} number changes "
          f"({ex.name} extractor); median of {args.runs} runs, by turns")
    print(f"{'step':<26}{'median ms':>10}{'min':>8}{'max':>8}{'× diff':>8}{'× json':>8}"
          f"{'bytes':>10}")
    names = {"diff": "diff (baseline)", "json": "--json output (baseline)",
             "html": "export HTML", "md": "export Markdown"}
    for k, name in names.items():
        print(f"{name:<26}{med[k]:>10.1f}{min(runs[k]):>8.1f}{max(runs[k]):>8.1f}"
              f"{med[k] / med['diff']:>8.2f}{med[k] / med['json']:>8.2f}"
              f"{sizes.get(k, 0) or '':>10}")
    print(f"load average (1, 5, 15 min): before {' '.join(f'{x:.2f}' for x in load_before)}, "
          f"after {' '.join(f'{x:.2f}' for x in load_after)}; {os.cpu_count()} cores")
    if args.json:
        args.json.write_text(json.dumps({
            "words": [len(a.split()), len(b.split())], "runs": args.runs,
            "median_ms": {k: round(v, 2) for k, v in med.items()},
            "all_ms": {k: [round(x, 2) for x in v] for k, v in runs.items()},
            "bytes": sizes, "load_before": load_before, "load_after": load_after,
        }, indent=2))


if __name__ == "__main__":
    main()
