"""Synthetic versions of real articles, for measuring version-family detection.

Given real articles, :func:`make_evalset` writes versions of each one the way
republishers make them, and records which pairs are true versions:

- ``copy``: the same text (re-wrapped);
- ``near-copy``: light edits, an "Updated" line, a word or two changed;
- ``spin-10``/``spin-30``/``spin-50``: that share of content words replaced,
  the way a synonym spinner does (DSpin's model: the spinner rewrites words in
  its dictionary, so names and numbers survive, and occasionally a name too);
- ``reorder``: sentences swapped within paragraphs, plus 10% spin;
- ``split-merge``: long sentences split in two and short neighbours merged,
  plus 10% spin;
- ``paragraphs``: a paragraph deleted and one from another article inserted,
  plus 10% spin;
- ``boilerplate``: "Editor's note" and newsletter lines around 30% spin.

The originals' same-subject neighbours (other real articles) are the hard
negatives: related, but not versions of each other.

Substitutes are drawn from the corpus's own vocabulary in the same frequency
band as the word replaced. A spinner uses synonyms; for detection the two are
alike, as neither shares a surface form or a stem with the word it replaces.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field

from .analysis import STOPS

TRANSFORMS = (
    "copy", "near-copy", "spin-10", "spin-30", "spin-50", "reorder", "split-merge",
    "paragraphs", "boilerplate",
)
_WORD = re.compile(r"[A-Za-z][a-z]+")
_SENT = re.compile(r"(?<=[.!?])[\"”’]?\s+(?=[\"“A-Z])")
BOILER_TOP = (
    "Editor's note: Sign up for our daily briefing to get the news that matters in your inbox.",
    "Editor's Note: This story has been updated with additional reporting.",
)
BOILER_BOTTOM = (
    "Subscribe to our newsletter for more stories like this.",
    "Follow us on social media and share this article with your friends.",
)


@dataclass(frozen=True)
class EvalDoc:
    name: str  # file name to write
    text: str
    origin: str  # the original's name (its own name for originals)
    transform: str  # "original" or one of TRANSFORMS


@dataclass
class EvalSet:
    docs: list[EvalDoc] = field(default_factory=list)

    def positives(self) -> dict[tuple[str, str], str]:
        """Every pair of documents from the same original -> its transform."""
        by_origin: dict[str, list[EvalDoc]] = {}
        for d in self.docs:
            by_origin.setdefault(d.origin, []).append(d)
        out = {}
        for group in by_origin.values():
            orig = next(d for d in group if d.transform == "original")
            for d in group:
                if d is not orig:
                    out[tuple(sorted((orig.name, d.name)))] = d.transform
        return out

    def origin_of(self) -> dict[str, str]:
        return {d.name: d.origin for d in self.docs}


class Spinner:
    """Replaces a share of lower-case content words, keeping names and numbers."""

    def __init__(self, texts: list[str], rng: random.Random):
        counts = Counter(w for t in texts for w in _WORD.findall(t) if w.islower())
        self.rng = rng
        ranked = [w for w, _ in counts.most_common() if w not in STOPS and len(w) > 2]
        # frequency bands of ~200 words: a replacement is as common as the word
        self.band_of = {w: i // 200 for i, w in enumerate(ranked)}
        self.bands: dict[int, list[str]] = {}
        for w, b in self.band_of.items():
            self.bands.setdefault(b, []).append(w)

    def spin(self, text: str, rate: float, name_rate: float = 0.02) -> str:
        if rate <= 0:
            return text
        out, last = [], 0
        for m in _WORD.finditer(text):
            w = m.group()
            lw = w.lower()
            if lw in STOPS or len(lw) < 3:
                continue
            is_name = not w.islower()
            if self.rng.random() >= (name_rate if is_name else rate):
                continue
            band = self.bands.get(self.band_of.get(lw, -1)) or self.bands.get(
                max(self.bands), []
            )
            choices = [c for c in band if c != lw] if band else []
            if not choices:
                continue
            new = self.rng.choice(choices)
            if is_name:
                new = new.capitalize()
            out.append(text[last:m.start()])
            out.append(new)
            last = m.end()
        out.append(text[last:])
        return "".join(out)


def _sentences(par: str) -> list[str]:
    return [s for s in _SENT.split(par) if s.strip()]


def _reorder(text: str, rng: random.Random, share: float = 0.3) -> str:
    pars = []
    for par in text.split("\n"):
        ss = _sentences(par)
        for i in range(len(ss) - 1):
            if rng.random() < share:
                ss[i], ss[i + 1] = ss[i + 1], ss[i]
        pars.append(" ".join(ss))
    return "\n".join(pars)


def _split_merge(text: str, rng: random.Random) -> str:
    pars = []
    for par in text.split("\n"):
        out: list[str] = []
        for s in _sentences(par):
            words = s.split()
            if len(words) > 18 and rng.random() < 0.5:
                cut = len(words) // 2
                first = " ".join(words[:cut]).rstrip(",;:") + "."
                rest = words[cut:]
                out.append(first)
                out.append(" ".join([rest[0][:1].upper() + rest[0][1:], *rest[1:]]))
            elif out and len(words) < 14 and rng.random() < 0.5:
                prev = out.pop().rstrip(".!?")
                out.append(f"{prev}, and {s[:1].lower()}{s[1:]}")
            else:
                out.append(s)
        pars.append(" ".join(out))
    return "\n".join(pars)


def _paragraphs(text: str, other: str, rng: random.Random) -> str:
    pars = [p for p in text.split("\n") if p.strip()]
    extra = [p for p in other.split("\n") if len(p.split()) > 15]
    if len(pars) > 3:
        del pars[rng.randrange(1, len(pars))]
    if extra:  # a short passage (two sentences at most), as an editor would add
        passage = " ".join(_sentences(rng.choice(extra))[:2])
        pars.insert(rng.randrange(1, len(pars) + 1), passage)
    return "\n".join(pars)


def _near_copy(text: str, rng: random.Random, spinner: Spinner) -> str:
    return spinner.spin(text, 0.02, name_rate=0.0) + "\nUpdated: this article has been updated."


def make_evalset(
    originals: list[tuple[str, str]],
    seed: int = 0,
    transforms: tuple[str, ...] = TRANSFORMS,
    donors: list[str] | None = None,
) -> EvalSet:
    """Versions of each ``(name, text)`` original, all transforms each.

    ``donors`` are texts the ``paragraphs`` transform takes inserted
    paragraphs from; they are not part of the set (a paragraph from another
    article of the set would make the two share text for real). By default
    every tenth original is set aside as a donor.
    """
    rng = random.Random(seed)
    if donors is None:
        donors = [t for k, (_, t) in enumerate(originals) if k % 10 == 9] or [""]
        originals = [o for k, o in enumerate(originals) if k % 10 != 9]
    spinner = Spinner([t for _, t in originals], rng)
    out = EvalSet()
    stems = [n.rsplit(".", 1)[0] for n, _ in originals]
    for i, (_name, text) in enumerate(originals):
        stem = stems[i]
        out.docs.append(EvalDoc(f"{stem}.txt", text, stem, "original"))
        other = rng.choice(donors)
        for t in transforms:
            if t == "copy":
                v = text.replace("\n", "\n\n")
            elif t == "near-copy":
                v = _near_copy(text, rng, spinner)
            elif t.startswith("spin-"):
                v = spinner.spin(text, int(t[5:]) / 100)
            elif t == "reorder":
                v = spinner.spin(_reorder(text, rng), 0.1)
            elif t == "split-merge":
                v = spinner.spin(_split_merge(text, rng), 0.1)
            elif t == "paragraphs":
                v = spinner.spin(_paragraphs(text, other, rng), 0.1)
            elif t == "boilerplate":
                v = "\n".join([rng.choice(BOILER_TOP), spinner.spin(text, 0.3),
                               rng.choice(BOILER_BOTTOM)])
            else:
                raise ValueError(f"unknown transform {t!r}")
            out.docs.append(EvalDoc(f"{stem}~{t}.txt", v, stem, t))
    return out
