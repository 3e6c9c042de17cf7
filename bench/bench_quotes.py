"""Quotes and speakers on a development set: quality and cost.

Quality on PolNeAR (train split, ../shared/corpora/polnear-train: 837 US
campaign articles, 5,318 gold direct quotes), scored exactly as its README
says:

- a found quote (kind "quote") matches a gold quote of the same file when
  their character ranges overlap by at least 50% of the gold quote's length,
  one to one; precision, recall and F1 over quotes;
- speaker accuracy: over the matched gold quotes whose speaker is named by
  the source span itself (``resolved_by == "span"``), the share whose found
  speaker contains the gold surname (case-insensitive).

Rows, all in the same run, on the same entities (spaCy NER):

- baseline "nearest person": variorum's quotes, each given the PERSON
  mention closest to it in its sentence or the sentence before (outside
  quotes);
- variorum with the regex cues only (what runs without a spaCy model);
- variorum with the parse pass (spaCy's parser on the sentences around
  quotes).

Also the seeds' hand annotation (tests/data/quotes_gold.json), the cost
(seconds and articles/s of NER, of the quotes without and with the parse
pass) and a breakdown of the speaker errors by class.

    python bench/bench_quotes.py [--n 837] [--json] [--examples 5] [--corpus PATH]

Without the development set the PolNeAR part is skipped with a message.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from index.nlp import entities as E  # noqa: E402
from index.nlp import quotes as Q  # noqa: E402

# ../shared/corpora/polnear-train, from the project or any folder above it (a worktree)
POLNEAR = next((d / "shared" / "corpora" / "polnear-train" for d in PROJECT.parents
                if (d / "shared" / "corpora" / "polnear-train").is_dir()),
               PROJECT.parent / "shared" / "corpora" / "polnear-train")
SEEDS = PROJECT / "tests" / "data" / "quotes_gold.json"
_HAS_PARSER = "parser" in inspect.signature(Q.find_quoted).parameters
_TITLE_WORD = re.compile(r"^(?:mr|mrs|ms|dr|sen|rep|gov|gen|pres|president|senator|governor|"
                         r"secretary|state|shadow|minister|chairman|rev|prof|judge|sir|"
                         r"lord|lady|mayor|speaker|leader)\.?$", re.I)


# ------------------------------------------------------------------ scoring
def match(found: list[tuple[int, int]], gold: list[tuple[int, int]]) -> dict[int, int]:
    """gold index -> found index: overlap ≥ half the gold quote, one to one
    (largest overlaps first)."""
    pairs = []
    for gi, (gs, ge) in enumerate(gold):
        need = 0.5 * (ge - gs)
        for fi, (fs, fe) in enumerate(found):
            ov = min(ge, fe) - max(gs, fs)
            if ov > 0 and ov >= need:
                pairs.append((ov, gi, fi))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    out: dict[int, int] = {}
    used: set[int] = set()
    for _, gi, fi in pairs:
        if gi not in out and fi not in used:
            out[gi] = fi
            used.add(fi)
    return out


class Score:
    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0
        self.span = self.right = 0
        self.errors: Counter = Counter()
        self.examples: dict[str, list[str]] = defaultdict(list)

    def as_dict(self) -> dict:
        p = self.tp / max(self.tp + self.fp, 1)
        r = self.tp / max(self.tp + self.fn, 1)
        return {"precision": round(p, 3), "recall": round(r, 3),
                "f1": round(2 * p * r / max(p + r, 1e-9), 3),
                "speaker_accuracy": round(self.right / max(self.span, 1), 3),
                "quotes_found": self.tp + self.fp, "gold_quotes": self.tp + self.fn,
                "speaker_scored": self.span,
                "speaker_errors": dict(self.errors.most_common())}


def add(score: Score, text: str, gold: list[dict], quotes: list, examples: int) -> None:
    found = [(q.start + 1, q.end - 1) for q in quotes]
    m = match(found, [(g["start"], g["end"]) for g in gold])
    score.tp += len(m)
    score.fn += len(gold) - len(m)
    score.fp += len(found) - len(m)
    for gi, fi in m.items():
        g = gold[gi]
        if g["resolved_by"] != "span" or not g["surname"]:
            continue
        score.span += 1
        who = quotes[fi].speaker
        if who and g["surname"].casefold() in who.casefold():
            score.right += 1
            continue
        cls = error_class(text, g, quotes[fi])
        score.errors[cls] += 1
        if len(score.examples[cls]) < examples:
            q = quotes[fi]
            ctx = text[max(0, q.start - 120):q.end + 120].replace("\n", " ¶ ")
            score.examples[cls].append(f"found {who!r}, gold {g['speaker']!r} "
                                       f"({g['source_span']!r}): …{ctx}…")


def error_class(text: str, g: dict, q) -> str:
    who = q.speaker
    surname = g["surname"].casefold()
    near = text[max(0, q.start - 300):q.end + 300].casefold()
    if who is None:
        return "null, gold named nearby" if surname in near else "null, gold named far"
    if _TITLE_WORD.match(who.split()[-1]) and len(who.split()) == 1:
        return "a title as the speaker"
    if who.isupper() and len(who) > 3:
        return "all-caps text as the speaker"
    if who.casefold() in text[q.start:q.end].casefold():
        return "someone named in the quote"
    if " " in g["source_span"].strip() and g["surname"] not in g["source_span"].split()[0]:
        return "wrong person, gold source has a title/apposition"
    return "wrong person"


# --------------------------------------------------------------- baseline
def nearest_person(text: str, ents: list, quotes: list) -> list:
    """Each quote gets the PERSON mention nearest to it in its sentence or
    the one before, outside quotes; None if there is none."""
    from index.models import Quote
    from index.text.sentences import split_spans

    sents = split_spans(text)
    inside = sorted((s, e) for _, s, e in Q.find_quote_spans(text))
    persons = sorted((s, e, ent.name) for ent in ents if ent.label == "PERSON"
                     for s, e in ent.mentions)
    out = []
    for q in quotes:
        k = max((i for i, (s, _) in enumerate(sents) if s <= q.start), default=0)
        lo = sents[max(k - 1, 0)][0] if sents else 0
        hi = q.end
        while k < len(sents) and sents[k][0] < q.end:
            hi = sents[k][1]
            k += 1
        best = None
        for s, e, name in persons:
            if s < lo or e > hi or Q._inside(inside, s):
                continue
            d = q.start - e if e <= q.start else s - q.end
            if d >= 0 and (best is None or d < best[0]):
                best = (d, name)
        out.append(Quote(q.text, best[1] if best else None, q.start, q.end, q.kind))
    return out


# ---------------------------------------------------------------- running
def run_polnear(n: int, examples: int, corpus: Path) -> dict | None:
    gold_path = corpus / "gold.json"
    if not gold_path.is_file():
        print(f"development set not found at {corpus}: PolNeAR figures skipped")
        return None
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    by_file: dict[str, list[dict]] = defaultdict(list)
    for g in gold:
        by_file[g["file"]].append(g)
    files = sorted(p.name for p in (corpus / "corpus").glob("*.txt"))[:n]
    texts = [(corpus / "corpus" / f).read_text(encoding="utf-8") for f in files]
    ex = E.load_extractor("spacy")
    t = time.perf_counter()
    ents = E.extract(texts, ex)
    t_ner = time.perf_counter() - t

    rows: dict[str, Score] = {}
    cost: dict[str, float] = {"ner": t_ner}
    t = time.perf_counter()
    plain = [Q.find_quoted(tx, en, **({"parser": None} if _HAS_PARSER else {}))
             for tx, en in zip(texts, ents, strict=True)]
    cost["quotes_regex"] = time.perf_counter() - t
    outputs = {"baseline: nearest person": [nearest_person(tx, en, [q for q in qs
                                                                   if q.kind == "quote"])
                                            for tx, en, qs in zip(texts, ents, plain,
                                                                  strict=True)],
               "variorum, regex cues only": plain}
    if _HAS_PARSER:
        from index.nlp.speakers import load_parser

        t = time.perf_counter()
        parser = load_parser()
        cost["parser_load"] = time.perf_counter() - t
        t = time.perf_counter()
        parsed = [Q.find_quoted(tx, en, parser=parser) for tx, en in zip(texts, ents, strict=True)]
        cost["quotes_parsed"] = time.perf_counter() - t
        outputs["variorum, parse pass"] = parsed
    for name, outs in outputs.items():
        sc = rows[name] = Score()
        for f, tx, qs in zip(files, texts, outs, strict=True):
            add(sc, tx, by_file.get(f, []), [q for q in qs if q.kind == "quote"], examples)
    last = list(outputs)[-1]
    phrases = [(f, q) for f, qs in zip(files, outputs[last], strict=True) for q in qs
               if q.kind == "phrase"]
    art = len(files)
    result = {
        "articles": art, "extractor": ex.name,
        "rows": {k: v.as_dict() for k, v in rows.items()},
        "phrases": {"found": len(phrases),
                    "with_speaker": sum(1 for _, q in phrases if q.speaker)},
        "cost_seconds": {k: round(v, 2) for k, v in cost.items()},
        "articles_per_s": {
            "ner + quotes, regex cues": round(art / (t_ner + cost["quotes_regex"]), 1),
            "quotes and speakers alone, regex cues": round(art / cost["quotes_regex"], 1),
            **({"ner + quotes, parse pass": round(art / (t_ner + cost["quotes_parsed"]), 1),
                "quotes and speakers alone, parse pass": round(art / cost["quotes_parsed"], 1),
                "extra seconds of the parse pass per article": round(
                    (cost["quotes_parsed"] - cost["quotes_regex"]) / art, 4)}
               if "quotes_parsed" in cost else {})},
        "examples": {k: dict(v.examples) for k, v in rows.items()},
    }
    return result


def run_seeds() -> dict:
    """The seeds' hand annotation (exact text match), spaCy and rules."""
    gold = json.loads(SEEDS.read_text(encoding="utf-8"))
    out = {}
    for kind in ("spacy", "rules"):
        ex = E.load_extractor(kind)
        kw = {}
        if _HAS_PARSER and kind == "spacy":
            from index.nlp.speakers import load_parser

            kw = {"parser": load_parser()}
        elif _HAS_PARSER:
            kw = {"parser": None}
        tp = fp = fn = right = 0
        for name, quotes in gold.items():
            if name.startswith("_"):
                continue
            text = (PROJECT / "sample_corpus" / name).read_text(encoding="utf-8")
            want = {q["text"]: q["speaker"] for q in quotes}
            got = [q for q in Q.find_quoted(text, E.extract([text], ex)[0], **kw)
                   if q.kind == "quote"]
            for q in got:
                if q.text in want:
                    tp += 1
                    right += q.speaker in want[q.text]
                else:
                    fp += 1
            fn += len(set(want) - {q.text for q in got})
        out[kind] = {"quotes": tp + fn, "precision": round(tp / max(tp + fp, 1), 3),
                     "recall": round(tp / max(tp + fn, 1), 3),
                     "speaker_accuracy": round(right / max(tp, 1), 3)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="at most this many articles")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--examples", type=int, default=0, help="print N examples per error class")
    ap.add_argument("--corpus", type=Path, default=POLNEAR)
    a = ap.parse_args()
    res = {"polnear": run_polnear(a.n, a.examples, a.corpus), "seeds": run_seeds()}
    if a.json:
        print(json.dumps(res, indent=1, ensure_ascii=False))
        return
    pn = res["polnear"]
    if pn:
        print(f"PolNeAR train (development set), {pn['articles']} articles, {pn['extractor']}")
        print(f"{'':32} {'P':>6} {'R':>6} {'F1':>6} {'speaker':>8} {'found':>6} {'gold':>6}")
        for name, r in pn["rows"].items():
            print(f"{name:32} {r['precision']:6.3f} {r['recall']:6.3f} {r['f1']:6.3f} "
                  f"{r['speaker_accuracy']:8.3f} {r['quotes_found']:6} {r['gold_quotes']:6}")
        print("cost, seconds:", pn["cost_seconds"])
        print("articles/s:", pn["articles_per_s"])
        print("phrases:", pn["phrases"])
        for name, r in pn["rows"].items():
            print(f"speaker errors, {name} (of {r['speaker_scored']}):")
            for cls, k in r["speaker_errors"].items():
                print(f"  {k:5}  {cls}")
                for ex_ in pn["examples"][name].get(cls, []):
                    print(f"         {ex_[:400]}")
    for kind, r in res["seeds"].items():
        print(f"seeds' hand annotation, {kind}: {r}")


if __name__ == "__main__":
    main()
