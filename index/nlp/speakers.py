"""Who said a quote, read from its sentence with spaCy's dependency parser.

Only the sentences around quotes are parsed (the quote's sentence and, for a
quote standing alone, the sentence that introduces it), never the whole
article. The quote's own words are replaced by a short stand-in before
parsing ("“this,” Kim said"): the parser sees the attribution, not the
quoted speech, so it is cheap and the speech's own subjects are never taken
for the speaker.

In a parsed frame the speaker is the subject of the verb the quote belongs
to, tried in this order (:func:`candidate_verbs`): the verbs of speech,
writing, thought or expression among the stand-in's ancestors ("said",
"told", "wrote", "called", "believes"), nearest first; the verb a quote
before it hangs on ("“…,” Kim fumed"); the other verbs of speech of the
sentence, nearest first ("“Why?” Kim asked." parses as two sentences); any
other verb above the quote. A verb of speech whose subject names no one
("a spokesman said") gives no speaker; a verb with no subject at all ("… to
think that “…”") defers to the next. The subject (:func:`subject`) is the
verb's ``nsubj`` (so "said Kim" as well as "Kim said"), the agent of a
passive ("was quoted by Kim"), the pobj of "according to", the subject of
the verb it is joined to ("Kim stood and said", "Kim left, saying"), the
noun a relative clause hangs on ("Kim, who said"); never a word of the
stand-in. The caller turns the subject into a name through the entity
mentions (:func:`name_tokens` gives the order): the one on its head word
("campaign chairman John Podesta", "Sen. Ron Johnson"), else on an
apposition ("The Shadow Secretary of State, Theresa May,"), else a proper
noun the model did not tag on the head word, else the first person in the
subject outside relative clauses ("an adviser to Kim"), else an
organisation ("the State Department said"). Pronouns are resolved by the
caller. A quote after a colon with no verb of speech ("… doesn't surprise
pollster Kim: “…”") belongs to the subject of the clause before the colon
if it names someone, else to the last person it names.

:func:`load_parser` loads the pipeline once per process, lazily; without
spaCy or its model it is ``None`` and the regex cues of :mod:`index.nlp.quotes`
do all the work.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache

from ..text.gazetteer import word_set

# Verbs whose subject is who a quote belongs to (lemmas).
SPEECH = word_set("""
say tell add ask explain state write note argue insist warn recall reply answer
acknowledge admit claim declare emphasize emphasise stress suggest observe remark comment post
tweet announce predict promise vow pledge complain joke quip concede contend maintain allege
boast counter respond urge testify proclaim shout yell scream chant whisper mutter lament
exclaim assert repeat conclude reiterate caution confirm deny plead recount retort wonder
thunder report reveal disclose estimate recommend propose demand offer brag muse sigh
scoff snap tease read agree disagree charge accuse speak talk
think believe feel know hope fear worry expect
""")
# Verbs of naming and judging: whoever calls something a “phrase” uses it.
EXPRESSION = word_set("""
call describe dub label term brand refer express characterize characterise decry denounce
condemn criticize criticise slam blast praise hail mock deride tout dismiss promise vow pledge
cite invoke use quote
""")
# Nouns of speech whose owner speaks ("Kim's statement read", "in Kim's words").
SPEECH_NOUNS = word_set("""
statement remark remarks comment tweet post letter email memo release speech message words
interview testimony response reply op-ed column note
""")
PRONOUNS = {"he": "m", "she": "f", "him": "m", "her": "f"}
STAND_IN = "this"


@lru_cache(maxsize=2)
def load_parser(package: str | None = None):
    """spaCy's small English pipeline without NER (tok2vec, tagger, parser,
    attribute ruler, lemmatizer) of ``package`` (the spaCy extractor's; by
    default the one ``auto`` chooses), once per process; ``None`` without
    spaCy or a model."""
    try:
        import spacy

        if package is None:
            from .entities import choose_extractor

            choice = choose_extractor("auto")
            if choice.kind != "spacy":
                return None
            package = choice.package
        return spacy.load(package, exclude=["ner", "senter"])
    except (ImportError, OSError, ValueError):
        return None  # no spaCy or no model: the regex cues do the work


class Frame:
    """A stretch of text to parse: the pieces of the article outside quotes,
    with every quote replaced by a stand-in; token offsets map back (by
    bisection: a frame may hold many quotes, and every token is looked up).
    One frame serves all the quotes of its sentence; what the quotes look up
    in its parse (each quote's tokens, the verbs of speech) is gathered once."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.map: list[tuple[int, int, int]] = []  # (frame start, text start, length)
        self.quotes: list[tuple[int, int, int]] = []  # (frame start, frame end, quote index)
        self.n = 0
        self._map_starts: list[int] = []
        self._quote_starts: list[int] = []
        self._by_quote: dict[int, list] | None = None
        self._speech: list | None = None

    def add_text(self, text: str, a: int, b: int) -> None:
        if b > a:
            self.map.append((self.n, a, b - a))
            self._map_starts.append(self.n)
            self.parts.append(text[a:b])
            self.n += b - a

    def add_quote(self, inner: str, k: int, phrase: bool) -> None:
        tail = inner.rstrip()[-1:] if inner.rstrip()[-1:] in ",.?!" else ""
        body = inner.strip() if phrase else STAND_IN + tail
        s = "“" + body + "”"
        self.quotes.append((self.n, self.n + len(s), k))
        self._quote_starts.append(self.n)
        self.parts.append(s)
        self.n += len(s)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def to_text(self, i: int) -> int | None:
        """The article offset of frame offset ``i`` (None inside a stand-in)."""
        j = bisect_right(self._map_starts, i) - 1
        if j >= 0:
            fs, ts, ln = self.map[j]
            if i < fs + ln:
                return ts + i - fs
        return None

    def quote_at(self, i: int) -> int | None:
        j = bisect_right(self._quote_starts, i) - 1
        if j >= 0 and i < self.quotes[j][1]:
            return self.quotes[j][2]
        return None

    def tokens_of(self, doc, k: int) -> list:
        """The tokens of quote ``k``'s stand-in in ``doc`` (this frame's parse)."""
        if self._by_quote is None:
            self._by_quote = {}
            for t in doc:
                q = self.quote_at(t.idx)
                if q is not None:
                    self._by_quote.setdefault(q, []).append(t)
        return self._by_quote.get(k, [])

    def speech_verbs(self, doc) -> list:
        """The verbs of speech of ``doc`` outside stand-ins, not in a relative
        clause (what a quote standing alone may belong to)."""
        if self._speech is None:
            self._speech = [t for t in doc if t.pos_ in ("VERB", "AUX")
                            and self.quote_at(t.idx) is None
                            and (t.lemma_.lower() in SPEECH or t.lower_ == "according")
                            and t.dep_ not in ("relcl", "acl")]
        return self._speech


def candidate_verbs(doc, frame: Frame, k: int, phrase: bool) -> list[tuple[object, bool]]:
    """The verbs a quote (index ``k``) may belong to, best first, each with
    whether it is certain (a verb of speech over the quote: its subject is
    the speaker even when it names no one, "a spokesman said")."""
    toks = frame.tokens_of(doc, k)
    if not toks:
        return []
    inner = [t for t in toks if t.text not in "“”\"',.?!"] or toks
    # the stand-in's top token: its head lies outside it
    top = next((t for t in inner if frame.quote_at(t.head.idx) != k or t.head.i == t.i),
               inner[0])
    words = SPEECH | EXPRESSION
    ancestors = [h for h in top.ancestors if frame.quote_at(h.idx) is None]
    out: list[tuple[object, bool]] = []
    for h in ancestors:  # Kim said (that) … “…” / Kim called it “…”
        if (h.pos_ in ("VERB", "AUX") and h.lemma_.lower() in words) or h.lower_ == "according":
            out.append((h, True))
    if phrase:
        return out[:1]
    h = top.head
    if (h.i != top.i and frame.quote_at(h.idx) is None and h.pos_ == "VERB" and top.i < h.i
            and top.dep_ in ("ccomp", "parataxis", "dep", "dobj", "xcomp", "advcl")):
        out.append((h, True))  # “…,” Kim fumed
    # the quote is its own root ("“Why?” Kim asked." parses as two roots):
    # verbs of speech elsewhere in the frame, nearest first
    above = {h.i for h in ancestors}
    near = sorted((t for t in frame.speech_verbs(doc) if t.i not in above),
                  key=lambda t: abs(t.i - top.i))
    out.extend((t, False) for t in near)
    out.extend((h, False) for h in ancestors if h.pos_ in ("VERB", "AUX"))
    return out


def colon_clause(doc, frame: Frame, k: int):
    """The clause before a colon that introduces quote ``k`` ("Lee had a
    message for them: “…”"): its tokens, or []."""
    toks = frame.tokens_of(doc, k)
    if not toks:
        return []
    first = toks[0].i
    j = first - 1
    while j >= 0 and doc[j].is_space:
        j -= 1
    if j < 0 or doc[j].text != ":":
        return []
    start = j
    while start > 0 and doc[start - 1].text not in ".;:!?" and frame.quote_at(
            doc[start - 1].idx) is None:
        start -= 1
    return list(doc[start:j])


def subject(v, frame: Frame | None = None):
    """The token that names who speaks through verb ``v`` (never a token of
    a quote's stand-in: "“this,” added Kim" may parse "this" as a subject)."""
    def outside(t) -> bool:
        return frame is None or frame.quote_at(t.idx) is None

    if v.lower_ == "according":
        for c in v.children:
            if c.lower_ == "to":
                return next((g for g in c.children if g.dep_ == "pobj"), None)
        return None
    for _ in range(6):
        for c in v.children:
            if c.dep_ == "nsubj" and outside(c):
                return c
        for c in v.children:
            if c.dep_ == "agent":
                return next((g for g in c.children if g.dep_ == "pobj"), None)
        for c in v.children:  # "according to Kim" hanging on the verb
            if c.lower_ == "according":
                return subject(c, frame)
        if v.dep_ in ("conj", "xcomp", "advcl") and v.head.i != v.i:
            v = v.head
            continue
        if v.dep_ in ("relcl", "acl") and v.head.i != v.i:
            return v.head
        return None
    return None


def name_tokens(tok):
    """Tokens to look for a name in, in order of preference: the head word,
    its appositions, then the rest of the subject outside clauses."""
    yield tok
    for c in tok.children:
        if c.dep_ == "appos":
            yield c
    if tok.dep_ == "poss":  # "Kim's statement"
        return
    for c in tok.children:
        if c.dep_ == "poss" and tok.lemma_.lower() in SPEECH_NOUNS:
            yield c
    stack = [c for c in tok.children if c.dep_ not in ("relcl", "acl", "appos", "punct")]
    out = []
    while stack:
        t = stack.pop()
        out.append(t)
        stack.extend(c for c in t.children if c.dep_ not in ("relcl", "acl"))
    yield from sorted(out, key=lambda t: t.i)
