"""The diff engine: its speed (``speed``, the default) and the quality of its
spin report (``quality``).

    python bench/bench_diff.py [--words 5000] [--runs 7]
    python bench/bench_diff.py quality [--bbc 40]

Speed: two 5,000-word articles, against difflib on the raw word sequences,
in the same run.

Article A is made of real BBC articles of one category, joined until it has
5,000 words; B is A spun at 30% of its content words (bench/evalset.py's
spinner), with a paragraph moved to the end, one dropped and one sentence
split in two. Timed, each as the median of ``--runs`` runs:

- baseline: ``difflib.SequenceMatcher(None, a.split(), b.split(),
  autojunk=False).get_opcodes()``, the raw word sequences;
- variorum: ``index.diff.diff_texts(a, b)`` (sentence split, alignment,
  word-level ops, substitutions, numbers, stats);
- variorum with entities: the same with both texts' entities, quotes and
  quoted phrases given (cached in the reader; their extraction is not timed
  here);
- the engine at ``--baseline`` (its diff.py), by turns with variorum's own
  runs, so that a busy machine slows both alike.

Quality: precision and recall of the report's listed substitution pairs,
number, entity and phrase changes against hand labels
(``tests/data/spin_001_004.json``: seeds 001 → 004;
``tests/data/spin_rewrites.json``: rewrites of texts written for the tests),
and on BBC articles rewritten by a generator here whose edits are known
(skipped when the corpus is absent), side by side with the baseline: the
report as computed by the engine at ``--baseline`` (default ``110fa31``, the
report before issue 10), loaded from git into a module of its own. A listed
pair is right when it lies inside a labelled pair or holds one, on both sides
(``tests/spinlabels.py``).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from difflib import SequenceMatcher
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.evalset import Spinner, spun_pair  # noqa: E402
from index.diff import diff_texts  # noqa: E402
from index.nlp import entities as E  # noqa: E402
from index.nlp.quotes import find_quoted  # noqa: E402

sys.path.insert(0, str(PROJECT / "tests"))
import spinlabels as L  # noqa: E402

# the shared BBC corpus, next to the checkout (or next to its worktrees' folder)
BBC = next((p / "shared" / "corpora" / "bbc" for p in (PROJECT.parent, PROJECT.parent.parent)
            if (p / "shared" / "corpora" / "bbc").is_dir()),
           PROJECT.parent / "shared" / "corpora" / "bbc")


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
    return spun_pair(paras, texts[:300], seed)


def timed(fn, runs: int) -> tuple[float, list[float]]:
    xs = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        xs.append((time.perf_counter() - t) * 1000)
    return statistics.median(xs), xs


def timed_by_turns(f, g, runs: int) -> tuple[tuple[float, list[float]],
                                              tuple[float, list[float]]]:
    xs: list[float] = []
    ys: list[float] = []
    for _ in range(runs):
        for fn, out in ((f, xs), (g, ys)):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1000)
    return (statistics.median(xs), xs), (statistics.median(ys), ys)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", nargs="?", default="speed", choices=("speed", "quality"))
    ap.add_argument("--words", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bbc", type=int, default=40, help="BBC articles to rewrite (quality)")
    ap.add_argument("--baseline", default="110fa31", help="engine commit of the baseline")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.mode == "quality":
        quality(args)
        return
    a, b = make_pair(args.words, args.seed)
    ex = E.load_extractor()
    ea, eb = E.extract([a, b], ex)
    qa, qb = find_quoted(a, ea), find_quoted(b, eb)  # quotes and phrases, as Corpus.diff
    prev_fn = baseline_diff(args.baseline)
    base, base_all = timed(lambda: SequenceMatcher(None, a.split(), b.split(),
                                                   autojunk=False).get_opcodes(), args.runs)
    # the engine now and at --baseline, run by turns (a busy machine slows both alike)
    (ours, ours_all), (prev, prev_all) = timed_by_turns(
        lambda: diff_texts(a, b), lambda: prev_fn(a, b), args.runs)
    full, full_all = timed(lambda: diff_texts(a, b, ents_a=ea, ents_b=eb, quotes_a=qa,
                                              quotes_b=qb), args.runs)
    r = diff_texts(a, b, ents_a=ea, ents_b=eb, quotes_a=qa, quotes_b=qb)
    result = {
        "words_a": len(a.split()), "words_b": len(b.split()), "runs": args.runs,
        "baseline_difflib_raw_words_ms": round(base, 1),
        "variorum_diff_ms": round(ours, 1),
        "variorum_diff_with_entities_ms": round(full, 1),
        "ratio_variorum_to_baseline": round(ours / base, 2),
        f"variorum_diff_at_{args.baseline}_ms": round(prev, 1),
        f"ratio_variorum_to_{args.baseline}": round(ours / prev, 2),
        "target_ms": 150,
        "all_runs_ms": {"baseline": [round(x, 1) for x in base_all],
                        "variorum": [round(x, 1) for x in ours_all],
                        f"variorum_at_{args.baseline}": [round(x, 1) for x in prev_all],
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


# ------------------------------------------------------------------ quality
def baseline_diff(commit: str):
    """``diff_texts`` of the engine at ``commit`` (its diff.py; the rest of the
    engine as now), as a module of its own."""
    import subprocess
    import types

    src = subprocess.run(["git", "-C", str(PROJECT), "show", f"{commit}:index/diff.py"],
                         capture_output=True, text=True, check=True).stdout
    mod = types.ModuleType("diff_baseline")
    mod.__dict__["__name__"] = "diff_baseline"
    sys.modules["diff_baseline"] = mod  # dataclasses and annotations look it up
    src = re.sub(r"from \.(\w+)", lambda m: f"from {_FLAT.get(m.group(1), 'index.' + m.group(1))}",
                 src)  # relative imports, of the flat layout's modules too
    exec(compile(src, f"{commit}:index/diff.py", "exec"), mod.__dict__)
    return mod.diff_texts


# where the modules of the flat layout (before the sub-packages) are now
_FLAT = {"align": "index.text.align", "entities": "index.nlp.entities",
         "gazetteer": "index.text.gazetteer", "numbers": "index.text.numbers",
         "sentences": "index.text.sentences", "analysis": "index.text.tokens"}


def report_items(r) -> dict[str, list[tuple]]:
    return {
        "substitutions": [(s.frm, s.to) for s in r.substitutions],
        "numbers": [(n.frm, n.to) for n in r.number_changes],
        "entities": [(e.label, e.frm, e.to) for e in r.entity_changes],
        "phrases": [(p.frm, p.to) for p in getattr(r, "phrase_changes", ())
                    if p.kind == "changed"],
    }


def add(total: dict, part: dict) -> None:
    for k in ("listed", "right", "labelled", "found"):
        total[k] = total.get(k, 0) + part.get(k, part["right"] if k == "found" else 0)
    total.setdefault("wrong", []).extend(part["wrong"])
    total.setdefault("missed", []).extend(part.get("missed", []))


def finish(t: dict) -> dict:
    t["precision"] = round(t["right"] / t["listed"], 3) if t.get("listed") else None
    t["recall"] = round(t["found"] / t["labelled"], 3) if t.get("labelled") else None
    return t


def score_report(r, gold: dict, tally: dict) -> None:
    got = report_items(r)
    for key in ("substitutions", "numbers", "entities", "phrases"):
        if key not in gold:
            continue
        if key == "substitutions":
            sc = L.score(got[key], [tuple(g) for g in gold[key]])
        else:
            sc = L.exact(got[key], [tuple(g) for g in gold[key]])
        add(tally.setdefault(key, {}), sc)


# a small thesaurus for the generated rewrites (general English, not from a corpus)
SYNONYMS = {
    "increase": "rise", "big": "large", "buy": "purchase", "help": "assist",
    "start": "begin", "show": "reveal", "important": "significant", "new": "fresh",
    "many": "numerous", "plan": "scheme", "said": "stated", "told": "informed",
    "people": "individuals", "group": "organisation", "company": "firm",
    "government": "administration", "expected": "anticipated", "major": "key",
    "need": "require", "hope": "wish", "think": "believe", "believe": "think",
    "support": "backing", "problem": "difficulty", "chance": "opportunity",
    "wanted": "wished", "decided": "chose", "strong": "robust", "rise": "increase",
    "cut": "reduction", "fall": "drop", "firm": "company", "began": "started",
    "final": "last", "early": "initial", "country": "nation", "main": "chief",
    "quickly": "rapidly", "likely": "probable", "enough": "sufficient",
}
SPUN_WORD = re.compile(r"[A-Za-z][a-z]+")  # the words bench/evalset.py's spinner replaces
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
NUMBER_WORDS = ["two", "three", "four", "five", "six", "seven", "eight", "nine"]
ALIASES = {"UK": "Britain", "US": "United States", "Britain": "UK", "America": "US"}
_AMOUNT_RE = re.compile(r"(?<![\w.,])([£$€])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?"
                        r"(bn|m| million| billion)?(?!\w)")


def rewrite(text: str, rng: random.Random) -> tuple[str, dict]:
    """An article rewritten with known edits: up to six synonym swaps, the
    first amount changed, the first weekday and number word moved on by one,
    one alias swapped, one all-capitals word lower-cased. Returns the
    rewrite and its labels (substitutions, numbers, case changes); the alias
    swap is a substitution, never an entity change."""
    edits: list[tuple[int, int, str]] = []
    gold: dict = {"substitutions": [], "numbers": [], "entities": [], "case": []}
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return not any(s < te and ts < e for ts, te in taken)

    def edit(s: int, e: int, new: str) -> None:
        edits.append((s, e, new))
        taken.append((s, e))

    words = list(re.finditer(r"\b[A-Za-z][A-Za-z]+\b", text))
    swaps = [m for m in words if m.group() in SYNONYMS]
    rng.shuffle(swaps)
    used: set[str] = set()
    for m in swaps:
        if len(used) >= 6 or m.group() in used:
            continue
        used.add(m.group())
        edit(m.start(), m.end(), SYNONYMS[m.group()])
        gold["substitutions"].append((m.group(), SYNONYMS[m.group()]))
    m = _AMOUNT_RE.search(text)
    if m and free(*m.span()):
        value = int(m.group(2).replace(",", ""))
        new = f"{value + max(1, value // 7):,}" if "," in m.group(2) else str(value + 3)
        out = m.group(1) + new + (m.group(3) or "") + (m.group(4) or "")
        edit(m.start(), m.end(), out)
        gold["numbers"].append((m.group(), out))
    for names in (WEEKDAYS, NUMBER_WORDS):
        m = next((w for w in words if w.group() in names and free(*w.span())), None)
        if m:
            new = names[(names.index(m.group()) + 1) % len(names)]
            edit(m.start(), m.end(), new)
            gold["numbers"].append((m.group(), new))
    # a country on its own, not part of a longer name ("Latin America", "US Open")
    m = next((w for w in re.finditer(r"(?<![\w-])(?:UK|US|Britain|America)(?![\w-])", text)
              if free(*w.span()) and not re.search(r"[A-Z][\w’'.-]*\s$", text[:w.start()])
              and not re.match(r"\s[A-Z]", text[w.end():])), None)
    if m:
        edit(m.start(), m.end(), ALIASES[m.group()])
        gold["substitutions"].append((m.group(), ALIASES[m.group()]))
    m = next((w for w in re.finditer(r"\b[A-Z]{3,}\b", text) if free(*w.span())
              and w.group() not in ALIASES), None)
    if m:
        edit(m.start(), m.end(), m.group().lower())
        gold["case"].append((m.group(), m.group().lower()))
    out, last = [], 0
    for s, e, new in sorted(edits):
        out.append(text[last:s])
        out.append(new)
        last = e
    out.append(text[last:])
    return "".join(out), gold


def quality(args) -> None:
    base = baseline_diff(args.baseline)
    ex = E.load_extractor()
    sets: dict[str, dict[str, dict]] = {}

    def run(name: str, a: str, b: str, gold: dict, kw: dict) -> None:
        for engine, fn in (("baseline", base), ("variorum", diff_texts)):
            r = fn(a, b, **kw)
            score_report(r, gold, sets.setdefault(name, {}).setdefault(engine, {}))
            if "case" in gold:
                cases = [(s.frm, s.to) for s in r.substitutions]
                t = sets[name][engine].setdefault("case-only listed as substitutions",
                                                  {"n": 0, "of": 0})
                t["n"] += sum(1 for c in gold["case"] if tuple(c) in cases)
                t["of"] += len(gold["case"])

    d = L.load("spin_001_004.json")
    a = (PROJECT / "sample_corpus" / d["a"]).read_text(encoding="utf-8")
    b = (PROJECT / "sample_corpus" / d["b"]).read_text(encoding="utf-8")
    ea, eb = E.extract([a, b], ex)
    run("seeds 001 → 004", a, b, {"substitutions": d["substitutions"],
                                  "numbers": d["number_changes"],
                                  "entities": d["entity_changes"],
                                  "phrases": d["phrase_changes"]},
        {"ents_a": ea, "ents_b": eb, "quotes_a": find_quoted(a, ea),
         "quotes_b": find_quoted(b, eb)})
    for case in L.load("spin_rewrites.json")["cases"]:
        a, b = case["a"], case["b"]
        run("my rewrites (3 texts)", a, b,
            {"substitutions": case["substitutions"], "numbers": case["numbers"],
             "entities": case["entity_changes"], "phrases": case["phrase_changes"],
             "case": case["case_changes"]},
            {"ents_a": L.entities(a, case["entities_a"]),
             "ents_b": L.entities(b, case["entities_b"]),
             "quotes_a": L.quotes(a, case["quotes_a"]), "quotes_b": L.quotes(b, case["quotes_b"])})
    n_bbc = 0
    if BBC.is_dir() and args.bbc:
        rng = random.Random(args.seed)
        files = sorted(BBC.glob("*/*.txt"))
        spinner = Spinner([f.read_text(encoding="utf-8", errors="replace")
                           for f in files[::7]], random.Random(args.seed))
        for f in rng.sample(files, min(args.bbc, len(files))):
            a = f.read_text(encoding="utf-8", errors="replace")
            b, gold = rewrite(a, rng)
            ea, eb = E.extract([a, b], ex)
            run(f"BBC rewrites ({args.bbc} articles, generated)", a, b, gold,
                {"ents_a": ea, "ents_b": eb, "quotes_a": find_quoted(a, ea),
                 "quotes_b": find_quoted(b, eb)})
            # denser: bench/evalset.py's spinner, 20% of content words, names kept;
            # its swaps are word for word, so they are read off the two texts
            # (numbers not scored: it also swaps "million" in "£4.7 million")
            b = spinner.spin(a, 0.2, name_rate=0.0)
            wa, wb = SPUN_WORD.findall(a), SPUN_WORD.findall(b)
            if len(wa) == len(wb):
                run(f"BBC spun 20% ({args.bbc} articles, evalset spinner)", a, b,
                    {"substitutions": [(x, y) for x, y in zip(wa, wb, strict=True) if x != y]},
                    {})
            n_bbc += 1
    result = {"baseline": args.baseline, "extractor": ex.name, "bbc_articles": n_bbc,
              "sets": {}, "command": " ".join([Path(sys.executable).name, *sys.argv])}
    print(f"{'set':<38} {'report':<14} {'baseline P / R':>18} {'variorum P / R':>18}")
    for name, engines in sets.items():
        result["sets"][name] = {}
        for key in ("substitutions", "numbers", "entities", "phrases"):
            if key not in engines["variorum"]:
                continue
            cells = []
            for engine in ("baseline", "variorum"):
                t = finish(engines[engine][key])
                result["sets"][name].setdefault(engine, {})[key] = {
                    k: v for k, v in t.items() if k not in ("wrong", "missed")} | {
                    "wrong": t["wrong"][:40], "missed": t["missed"][:40]}
                p = "—" if t["precision"] is None else f"{t['precision']:.2f}"
                rc = "—" if t["recall"] is None else f"{t['recall']:.2f}"
                cells.append(f"{p} / {rc} ({t['listed']})")
            print(f"{name:<38} {key:<14} {cells[0]:>18} {cells[1]:>18}")
        for engine in ("baseline", "variorum"):
            c = engines[engine].get("case-only listed as substitutions")
            if c:
                result["sets"][name].setdefault(engine, {})["case_as_substitution"] = c
    print(json.dumps(result, indent=1, ensure_ascii=False))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
