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
- ``boilerplate``: "Editor's note" and newsletter lines around 30% spin;
- ``paraphrase``: a model of a heavy human rewrite: 30% of the sentences
  after the first dropped, clauses of the rest turned around ("A, B." ->
  "B, A.") in half of them, neighbouring sentences swapped now and then, long
  sentences split and short neighbours merged, then 70% of the content words
  replaced (2% of the names);
- ``paraphrase-lead``: the same, but the first two sentences kept word for
  word (a rewrite that copies the source's opening).

What the paraphrase classes model, and their limits: the sentence-level
moves of a person rewriting a source (dropping, splitting, merging,
reordering clauses, rewording most words), made mechanically from real text.
Replacement words are drawn as the spinner draws them (same frequency band,
no shared stem), not true synonyms: a detector gets no credit for knowing
that two words mean the same, so the class measures what survives on the
surface (names, numbers, the few words kept, sentence order). A person also
adds material of their own and rewrites sentence structure more freely than
this; the class is a lower bound on the overlap of a real paraphrase, not a
sample of real ones.

Hard negatives (:func:`make_negatives`), built from other real articles (not
originals of the set, so none is a version of anything): each negative
document is its own origin, and any pair found among them, or between them
and the set, is wrong:

- ``template``: reference pages made from one template: the opening
  sentences of one real article with every name and number replaced by
  made-up ones per page (a fact sheet about another country, club, company),
  plus two sentences of facts of the page's own;
- ``related``: different short posts (a real article's title and first three
  sentences) ending in the same "Related:" list of six headlines (one of them
  varies);
- ``liveblog``: one outlet's different live blogs: the same header and
  footer, entries of one sentence each time-stamped on the quarter hour (so
  blogs share many time stamps) and separated by the same line, each blog's
  entries from a different real article.

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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index.text.tokens import STOPS

TRANSFORMS = (
    "copy", "near-copy", "spin-10", "spin-30", "spin-50", "reorder", "split-merge",
    "paragraphs", "boilerplate", "paraphrase", "paraphrase-lead",
)
NEGATIVES = ("template", "related", "liveblog")
PARAPHRASE_RATE = 0.7  # share of the content words a paraphrase replaces
_WORD = re.compile(r"[A-Za-z][a-z]+")
# Sentences as the rewriter modelled here cuts them. Not the engine's splitter
# (index.text.sentences) on purpose: data cut by the detector's own rule would
# reorder and split exactly where the detector looks, and the versions
# benchmark would measure the splitter against itself.
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
    origin: str  # the original's name (its own name for originals and negatives)
    transform: str  # "original", one of TRANSFORMS, or "negative"
    negative: str = ""  # for hard negatives: one of NEGATIVES


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
            orig = next((d for d in group if d.transform == "original"), None)
            if orig is None:
                continue
            for d in group:
                if d is not orig:
                    out[tuple(sorted((orig.name, d.name)))] = d.transform
        return out

    def origin_of(self) -> dict[str, str]:
        return {d.name: d.origin for d in self.docs}

    def negative_of(self) -> dict[str, str]:
        """Hard negative documents -> their class."""
        return {d.name: d.negative for d in self.docs if d.negative}


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


def spun_pair(paras: list[str], texts: list[str], seed: int) -> tuple[str, str]:
    """A long diff benchmark's pair: A, the paragraphs ``paras``; B, each
    spun at 30% of its content words (a :class:`Spinner` of ``texts``), with
    a paragraph moved to the end, one dropped and a sentence split off into
    a paragraph of its own."""
    spinner = Spinner(texts, random.Random(seed))
    b = [spinner.spin(p, 0.3) for p in paras]
    b.append(b.pop(3))  # a paragraph moved to the end
    del b[len(b) // 2]  # one dropped
    k = len(b) // 3
    b[k] = b[k].replace(". ", ".\n", 1)  # a sentence split off into a paragraph of its own
    return "\n".join(paras), "\n".join(b)


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


def _turn_clauses(s: str) -> str:
    """ "A, B." -> "B, A." at the comma nearest the middle (both parts 4+ words)."""
    body, end = (s[:-1], s[-1]) if s[-1:] in ".!?" else (s, ".")
    best, gap = -1, len(body)
    for m in re.finditer(r", ", body):
        a, b = body[:m.start()], body[m.end():]
        if len(a.split()) >= 4 and len(b.split()) >= 4 and abs(len(a) - len(b)) < gap:
            best, gap = m.start(), abs(len(a) - len(b))
    if best < 0:
        return s
    a, b = body[:best], body[best + 2:]
    if a.split()[0].lower() in STOPS:  # "The ..." inside a sentence: "the ..."
        a = a[:1].lower() + a[1:]
    return f"{b[:1].upper()}{b[1:]}, {a}{end}"


def _paraphrase(text: str, rng: random.Random, spinner: Spinner, keep_lead: int = 0) -> str:
    """A heavy human-style rewrite (see the module doc): the first ``keep_lead``
    sentences kept word for word; of the rest, 30% dropped, clauses turned
    around in half, neighbours swapped now and then, long ones split and short
    neighbours merged, and most of their words replaced."""
    out_pars, seen = [], 0
    for par in text.split("\n"):
        lead: list[str] = []
        rest: list[str] = []
        for s in _sentences(par):
            seen += 1
            if seen <= keep_lead:
                lead.append(s)
            elif seen == 1 or rng.random() >= 0.3:
                rest.append(_turn_clauses(s) if rng.random() < 0.5 else s)
        for i in range(len(rest) - 1):  # neighbours swapped now and then
            if rng.random() < 0.2:
                rest[i], rest[i + 1] = rest[i + 1], rest[i]
        parts = lead[:]
        if rest:
            parts.append(spinner.spin(_split_merge(" ".join(rest), rng), PARAPHRASE_RATE))
        if parts:
            out_pars.append(" ".join(parts))
    return "\n".join(out_pars)


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
    # the paraphrase classes draw from their own generator, so that adding
    # them left every other class's documents as they were
    prng = random.Random(f"{seed}-paraphrase")
    pspinner = Spinner([t for _, t in originals], prng)
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
            elif t == "paraphrase":
                v = _paraphrase(text, prng, pspinner)
            elif t == "paraphrase-lead":
                v = _paraphrase(text, prng, pspinner, keep_lead=2)
            else:
                raise ValueError(f"unknown transform {t!r}")
            out.docs.append(EvalDoc(f"{stem}~{t}.txt", v, stem, t))
    return out


# ------------------------------------------------------------ hard negatives

_IMMUTABLE_WORD = re.compile(r"\b(?:[A-Z][\w'’-]*|\d[\d,.]*\d|\d)\b")
_SYLLABLES = ("ka", "lo", "mir", "ten", "sa", "vor", "bel", "du", "ran", "ost", "ge", "li",
              "tam", "be", "no", "wen", "cha", "ri", "gal", "e")
LIVE_HEADER = ("Live updates: the latest on the story as it develops, with reports from our "
               "correspondents (all times are local).")
LIVE_FOOTER = ("This live page is no longer being updated. Follow our live coverage for the "
               "latest developments throughout the day.")
LIVE_SEPARATOR = "___"


def _made_up_name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randrange(2, 4))).capitalize()


def _fill_template(template: list[str], rng: random.Random) -> list[str]:
    """Every name and number of ``template`` (not a sentence's first word)
    replaced by a made-up one, the same one for the same word within a page."""
    names: dict[str, str] = {}

    def sub(m: re.Match) -> str:
        w = m.group()
        if m.start() == 0 or w.lower() in STOPS:
            return w
        if w not in names:
            names[w] = (str(rng.randrange(2, 999)) if w[0].isdigit() else _made_up_name(rng))
        return names[w]

    return [_IMMUTABLE_WORD.sub(sub, s) for s in template]


def _title(text: str) -> str:
    return next((p.strip() for p in text.split("\n") if p.strip()), "")


def _body_sentences(text: str) -> list[str]:
    pars = [p for p in text.split("\n") if p.strip()][1:]  # the title line left out
    return [s for p in pars for s in _sentences(p)]


def make_negatives(extras: list[str], seed: int = 0, per_class: int = 30) -> list[EvalDoc]:
    """Hard negatives from ``extras`` (real articles that are no original of
    the set), ``per_class`` documents of each class in NEGATIVES (fewer if
    ``extras`` runs out). See the module doc."""
    rng = random.Random(seed)
    pool = [t for t in extras if len(_body_sentences(t)) >= 6]
    rng.shuffle(pool)
    docs: list[EvalDoc] = []

    def take() -> str | None:
        return pool.pop() if pool else None

    def add(cls: str, k: int, text: str) -> None:
        name = f"neg-{cls}-{k:03}"
        docs.append(EvalDoc(f"{name}.txt", text, name, "negative", cls))

    # one template per six pages; each page its own names, numbers and two facts
    k = 0
    while k < per_class:
        src = take()
        if src is None:
            break
        template = _body_sentences(src)[:8]
        for _ in range(min(6, per_class - k)):
            facts = _body_sentences(rng.choice(extras))
            page = [_made_up_name(rng), *_fill_template(template, rng)]
            page += rng.sample(facts, 2)
            add("template", k, "\n".join(page))
            k += 1
    # different articles ending in one list of related headlines, five a list
    k = 0
    while k < per_class:
        heads = [_title(t) for t in (take(), take(), take(), take(), take(), take(), take())
                 if t is not None]
        if len(heads) < 7:
            break
        for _ in range(min(5, per_class - k)):
            src = take()
            if src is None:
                break
            links = heads[:6]
            links[rng.randrange(6)] = heads[6] if rng.random() < 0.5 else links[0]
            short = [_title(src), *_body_sentences(src)[:3]]  # a short post
            add("related", k, "\n".join([*short, "Related:", *links]))
            k += 1
    # different live blogs of one outlet
    for k in range(per_class):
        src = take()
        if src is None:
            break
        body = _body_sentences(src)
        minutes = 22 * 60  # entries on the quarter hour, back from 10 p.m.
        parts = [f"The latest: {_title(src)}", LIVE_HEADER]
        for entry in body[:8]:
            minutes -= 15 * rng.choice((1, 1, 2))
            h, m = divmod(minutes, 60)
            parts += [f"{h - 12}:{m:02} p.m.", entry, LIVE_SEPARATOR]
        parts.append(LIVE_FOOTER)
        add("liveblog", k, "\n".join(parts))
    return docs


def corpus_texts(corpus: Path, seed: int) -> Iterator[tuple[str, str]]:
    """(name, text) of each distinct ``.txt`` article below ``corpus`` (its
    README left out), in an order shuffled by ``seed``; the name is the file's
    with its folder's in front ("business_012")."""
    from index.ingest import decode

    files = sorted(p for p in corpus.rglob("*.txt") if p.name.lower() != "readme.txt")
    random.Random(seed).shuffle(files)
    seen: set[str] = set()
    for p in files:
        text, _ = decode(p.read_bytes())
        if text and text not in seen:
            seen.add(text)
            yield (f"{p.parent.name}_{p.stem}" if p.parent != corpus else p.stem), text
