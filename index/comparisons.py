"""Plain data of comparisons between articles: version families, the outlets
table, diffs (the engine's, like :mod:`index.models`, to callers as plain data).

Apart from :mod:`index.models` so that the reader's first paint, which shows
none of them, does not make their classes: each frozen dataclass is some
generated code compiled at import, and these 13 were about half of importing
the engine's models (issue 15). Imported by the modules that make them
(versions, outlets, diff) and, through ``index``, when a name is first read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from .models import ArticleMeta


@dataclass(frozen=True)
class VersionPair:
    a: str
    b: str
    kind: str  # "copy" | "near-copy" | "rewrite"
    similarity: float  # word-level, in [0, 1]
    aligned: float  # share of the two texts' sentences that align

    def to_json(self) -> dict:
        return {"a": self.a, "b": self.b, "kind": self.kind,
                "similarity": round(self.similarity, 4), "aligned": round(self.aligned, 4)}


@dataclass(frozen=True)
class Family:
    """Connected versions of one article."""

    members: tuple[ArticleMeta, ...]  # the dated ones oldest first, then the undated by path
    pairs: tuple[VersionPair, ...]
    dated: bool  # every member is dated: the order is by date (else only the dated ones')
    # the timeline: per member, seconds after the first publication (None: no
    # date), and the kind of the step that led to it (its closest earlier
    # version's pair: copy, near-copy, rewrite; None for the first)
    delays: tuple[float | None, ...]
    steps: tuple[str | None, ...]
    # per member, the id of that closest earlier version (None for the first,
    # and for a member with no pair to an earlier one)
    parents: tuple[str | None, ...]

    @property
    def first(self) -> str | None:
        """The id of the first publication (None: no member is dated)."""
        return self.members[0].id if self.delays[0] is not None else None

    def timeline(self) -> Iterator[tuple[ArticleMeta, float | None, str | None]]:
        """``(member, delay_s, step)`` of each member, in the family's order."""
        return zip(self.members, self.delays, self.steps, strict=True)

    def to_json(self) -> dict:
        return {
            "members": [{"id": m.id, "path": m.path, "title": m.title, "date": m.date,
                         "delay_s": d, "step": k, "after": p}
                        for (m, d, k), p in zip(self.timeline(), self.parents, strict=True)],
            "order": "date" if self.dated else ("partly by date" if self.first else "unknown"),
            "first": self.first,
            "pairs": [p.to_json() for p in self.pairs],
        }


# ------------------------------------------------------------ outlets
@dataclass(frozen=True)
class Step:
    """A later version and the earlier one it came from."""

    earlier: ArticleMeta
    later: ArticleMeta
    kind: str  # "copy" | "near-copy" | "rewrite"
    delay_s: float | None  # the later one's date minus the earlier one's (None: one undated)


@dataclass(frozen=True)
class OutletPair:
    """How many of ``origin``'s articles appear as later versions at
    ``republisher``, by kind; the median delay; and, of the rewrites whose
    spin report is known (``checked``), how many changed an entity or a quote."""

    origin: str
    republisher: str
    counts: tuple[tuple[str, int], ...]  # (kind, versions) for each kind, in PAIR_KINDS' order
    median_delay_s: float
    checked: int  # rewrites whose spin report is known
    changed: int  # of those, rewrites that changed an entity or a quote
    steps: tuple[Step, ...] = field(repr=False, compare=False, default=())

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)

    @property
    def changed_share(self) -> float | None:
        """The share of the checked rewrites that changed an entity or a quote."""
        return self.changed / self.checked if self.checked else None

    def to_json(self, steps: bool = True) -> dict:
        d = {"origin": self.origin, "republisher": self.republisher, "total": self.total,
             **dict(self.counts),
             "median_delay_s": self.median_delay_s,
             "rewrites_checked": self.checked, "rewrites_changed": self.changed,
             "changed_share": None if self.changed_share is None
             else round(self.changed_share, 4)}
        if steps:
            d["steps"] = [{"earlier": s.earlier.id, "later": s.later.id, "kind": s.kind,
                           "delay_s": s.delay_s} for s in self.steps]
        return d


@dataclass(frozen=True)
class OutletsReport:
    """The table, by volume (most steps first), and what it left out."""

    pairs: tuple[OutletPair, ...]
    steps: int  # steps counted in the table
    undated: int  # later versions left out: one of the two articles has no date
    unchecked: int  # rewrites in the table whose spin report is not known
    same_time: int = 0  # later versions left out: dated the same instant as the earlier one

    @property
    def undated_note(self) -> str:
        """What the table left out because which came first is not known, in
        words ("" for nothing)."""
        n, t = self.undated, self.same_time
        parts = []
        if n:
            parts.append(f"{n} later version{'s' * (n != 1)} left out: "
                         f"{'it or its' if n == 1 else 'they or their'} earlier version"
                         f"{'s' * (n != 1)} {'has' if n == 1 else 'have'} no date")
        if t:
            parts.append(f"{t} left out: dated the same time as {'its' if t == 1 else 'their'} "
                         f"earlier version{'s' * (t != 1)}")
        return "; ".join(parts)

    def to_json(self, steps: bool = True) -> dict:
        return {"pairs": [p.to_json(steps) for p in self.pairs], "steps": self.steps,
                "left_out_undated": self.undated, "left_out_same_time": self.same_time,
                "rewrites_unchecked": self.unchecked}


# ------------------------------------------------------------------- diffs
@dataclass(frozen=True)
class DiffGroup:
    """Sentences of the two texts that correspond: aligned (both sides),
    dropped (``b`` empty) or added (``a`` empty); ``ops`` are the word-level
    changes, each ``(kind, text in a, text in b)``."""

    a: tuple[int, ...]  # sentence indices in the first text
    b: tuple[int, ...]
    moved: bool
    ops: tuple[tuple[str, str, str], ...]

    @property
    def changed(self) -> bool:
        """Words changed, or the sentence is only in one text."""
        return any(k != "equal" for k, _, _ in self.ops)

    @property
    def is_change(self) -> bool:
        """Anything a reader should see: changed words, or a moved sentence."""
        return self.changed or self.moved

    def to_json(self) -> dict:
        return {"a": list(self.a), "b": list(self.b), "moved": self.moved,
                "ops": [list(op) for op in self.ops]}


@dataclass(frozen=True)
class Substitution:
    """Words of the first text replaced by other words in the second, at a
    place the alignment is sure of (see :mod:`index.diff`)."""

    frm: str
    to: str
    count: int
    groups: tuple[int, ...]  # where it occurs (indices into DiffResult.groups)

    def to_json(self) -> dict:
        return {"from": self.frm, "to": self.to, "count": self.count}


@dataclass(frozen=True)
class EntityChange:
    """A name replaced, at the same place of an aligned sentence, by a name of
    the same label that is not another name of the same referent."""

    label: str
    frm: str
    to: str
    groups: tuple[int, ...] = ()  # where it occurs (indices into DiffResult.groups)

    def to_json(self) -> dict:
        return {"label": self.label, "from": self.frm, "to": self.to}


@dataclass(frozen=True)
class QuoteChange:
    """A quote of the first text whose words changed ("words"), that is gone
    ("lost"), whose speaker changed ("speaker"); or one only the second has
    ("added"). ``excerpt`` is the quote's word-level diff around its first
    change (``(kind, text in a, text in b)`` like a group's ops; a leading or
    trailing ``("equal", "…", "…")`` where it was cut)."""

    kind: str
    speaker: str | None  # in the first text (the second's, for "added")
    frm: str | None
    to: str | None
    to_speaker: str | None
    gender: str | None  # e.g. "she → he", from the pronoun of the attribution
    group: int | None
    excerpt: tuple[tuple[str, str, str], ...] = ()
    changes: tuple[tuple[str, str], ...] = ()  # the changed words: (in a, in b)

    def to_json(self) -> dict:
        return {"kind": self.kind, "speaker": self.speaker, "from": self.frm, "to": self.to,
                "to_speaker": self.to_speaker, "gender": self.gender,
                "excerpt_from": marked(self.excerpt, "a") if self.excerpt else None,
                "excerpt_to": marked(self.excerpt, "b") if self.excerpt else None,
                "changes": [list(c) for c in self.changes]}


def marked(ops, side: str) -> str:
    """One side of word-level ops as text, changes marked as wdiff does
    (``[-deleted-]`` in the first text's side, ``{+inserted+}`` in the
    second's)."""
    out = []
    for kind, x, y in ops:
        t = x if side == "a" else y
        if kind == "equal" or not t:
            out.append(t)
            continue
        core = t.rstrip()
        out.append(("[-" + core + "-]" if side == "a" else "{+" + core + "+}") + t[len(core):])
    return "".join(out)


@dataclass(frozen=True)
class PhraseChange:
    """A quoted phrase (``Quote.kind == "phrase"``, a “turning point”) of an
    aligned sentence replaced by another at the same place ("changed"), gone
    ("lost") or new ("added"), with the sentence it is in."""

    kind: str  # "changed" | "lost" | "added"
    frm: str | None
    to: str | None
    speaker: str | None  # who uses it in the first text (None: the writer's)
    to_speaker: str | None
    group: int | None
    context_a: str | None = None  # the sentence of the first text
    context_b: str | None = None

    def to_json(self) -> dict:
        return {"kind": self.kind, "from": self.frm, "to": self.to, "speaker": self.speaker,
                "to_speaker": self.to_speaker, "context_from": self.context_a,
                "context_to": self.context_b}


@dataclass(frozen=True)
class NumberChange:
    """A number, amount, date or number word of an aligned sentence that
    differs (``frm`` → ``to``), or is only in one text (the other ``None``);
    ``kind`` is "amount" (with a currency or unit: "£1,400", "15%", "3.5m"),
    "number" (digits, an ordinal or a number word), "year", "date" ("May 16, 2024"),
    "weekday" or "month"."""

    frm: str | None
    to: str | None
    group: int
    kind: str = "amount"
    context_a: str | None = None  # the sentence it is in, in the first text
    context_b: str | None = None
    # where ``frm`` starts in ``context_a`` and ``to`` in ``context_b`` (None
    # when not known): the number itself, not the first text like it
    offsets: tuple[int | None, int | None] = (None, None)

    def to_json(self) -> dict:
        return {"from": self.frm, "to": self.to, "kind": self.kind,
                "context_from": self.context_a, "context_to": self.context_b}


@dataclass(frozen=True)
class DiffStats:
    words_a: int
    words_b: int
    words_changed: float  # share of the two texts' words not in an equal run
    sentences_a: int
    sentences_b: int
    sentences_aligned: float  # share of both texts' sentences in an aligned group
    moved: int
    dropped: int  # sentences only in the first text
    added: int  # sentences only in the second text
    split_or_merged: int  # aligned groups of 1-2 or 2-1 sentences

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class DiffResult:
    a: str
    b: str
    # the sentence alignment's (index.text.align): content words shared by aligned
    # sentences over all, the same either way round; for two versions, their
    # family's figure (Corpus.diff: the corpus's boilerplate sentences left out)
    similarity: float
    groups: tuple[DiffGroup, ...]
    substitutions: tuple[Substitution, ...]
    entity_changes: tuple[EntityChange, ...]
    quote_changes: tuple[QuoteChange, ...]
    number_changes: tuple[NumberChange, ...]
    stats: DiffStats
    sentences_a: tuple[tuple[int, int], ...] = ()  # character spans of each sentence
    sentences_b: tuple[tuple[int, int], ...] = ()
    phrase_changes: tuple[PhraseChange, ...] = ()
    # replaced runs whose words differ only in case ("CNN" → "cnn"), or only
    # in punctuation and spelling ("U.S." → "US"): counted apart, not substitutions
    case_changes: tuple[Substitution, ...] = ()
    punctuation_changes: tuple[Substitution, ...] = ()

    def to_json(self) -> dict:
        return {
            "a": self.a, "b": self.b, "similarity": round(self.similarity, 4),
            "groups": [g.to_json() for g in self.groups],
            "substitutions": [s.to_json() for s in self.substitutions],
            "entity_changes": [e.to_json() for e in self.entity_changes],
            "quote_changes": [q.to_json() for q in self.quote_changes],
            "number_changes": [n.to_json() for n in self.number_changes],
            "phrase_changes": [p.to_json() for p in self.phrase_changes],
            "case_changes": [c.to_json() for c in self.case_changes],
            "punctuation_changes": [c.to_json() for c in self.punctuation_changes],
            "stats": self.stats.to_json(),
        }
