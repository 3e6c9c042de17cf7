"""The hand labels of the spin report (``tests/data/spin_*.json``) and how a
report is scored against them; shared by tests/test_diff.py and
bench/bench_diff.py's quality mode."""

from __future__ import annotations

import json
import re
from pathlib import Path

from index.models import Entity, Quote

DATA = Path(__file__).resolve().parent / "data"
_WORD = re.compile(r"[\w£$€¥][\w’'.,\-–]*\w|[\w£$€¥%]")


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def entities(text: str, spec: list) -> list[Entity]:
    """Entities from ``[name, label, [forms]]``: every whole-word occurrence
    of a form (longest forms first, no overlaps) is a mention."""
    taken: list[tuple[int, int]] = []
    out = []
    forms = sorted(((f, k) for k, (_n, _l, fs) in enumerate(spec) for f in fs),
                   key=lambda fk: -len(fk[0]))
    mentions: dict[int, list[tuple[int, int]]] = {k: [] for k in range(len(spec))}
    for form, k in forms:
        for m in re.finditer(r"(?<!\w)" + re.escape(form) + r"(?!\w)", text):
            if not any(s < m.end() and m.start() < e for s, e in taken):
                taken.append(m.span())
                mentions[k].append(m.span())
    for k, (name, label, fs) in enumerate(spec):
        out.append(Entity(name, label, tuple(sorted(mentions[k])),
                          tuple(f for f in fs if f != name)))
    return out


def quotes(text: str, spec: list) -> list[Quote]:
    """Quotes from ``[words, speaker, kind]``: found between quotation marks."""
    out = []
    for words, speaker, kind in spec:
        start = text.index("“" + words) if "“" + words in text else text.index(words) - 1
        end = text.index("”", start) + 1
        out.append(Quote(words, speaker, start, end, kind))
    return out


def words(s: str) -> list[str]:
    """Lower-case words, possessives dropped, hyphenated words and
    contractions in parts."""
    out = []
    for w in _WORD.findall(s):
        w = w.lower().replace("’", "'")
        w = w[:-2] if w.endswith("'s") else w
        out.extend(p for p in re.split(r"[-']", w) if p)
    return out


def _inside(small: list[str], big: list[str]) -> bool:
    n = len(small)
    return n > 0 and any(big[i:i + n] == small for i in range(len(big) - n + 1))


def matches(listed: tuple[str, str], gold: tuple[str, str]) -> bool:
    """A listed pair is the labelled one when one lies inside the other on
    both sides (whole words, case-insensitive)."""
    f, t = words(listed[0]), words(listed[1])
    gf, gt = words(gold[0]), words(gold[1])
    return (_inside(gf, f) and _inside(gt, t)) or (_inside(f, gf) and _inside(t, gt))


def score(listed: list[tuple[str, str]], gold: list[tuple[str, str]]) -> dict:
    """Precision of the listed pairs, recall of the labelled ones, and the
    listed pairs that match no label."""
    wrong = [p for p in listed if not any(matches(p, g) for g in gold)]
    found = [g for g in gold if any(matches(p, g) for p in listed)]
    return {"listed": len(listed), "right": len(listed) - len(wrong), "labelled": len(gold),
            "found": len(found),
            "precision": round((len(listed) - len(wrong)) / len(listed), 3) if listed else 1.0,
            "recall": round(len(found) / len(gold), 3) if gold else 1.0,
            "wrong": wrong, "missed": [g for g in gold if g not in found]}


def exact(listed: list[tuple], gold: list[tuple]) -> dict:
    """Precision and recall of exact items (numbers, entity and phrase changes)."""
    gold_left = [tuple(g) for g in gold]
    right = 0
    for p in listed:
        if tuple(p) in gold_left:
            gold_left.remove(tuple(p))
            right += 1
    return {"listed": len(listed), "right": right, "labelled": len(gold),
            "precision": round(right / len(listed), 3) if listed else 1.0,
            "recall": round(right / len(gold), 3) if gold else 1.0,
            "wrong": [p for p in listed if tuple(p) not in [tuple(g) for g in gold]]}
