"""Direct quotations and who said them.

Finding quotes. Double quotation marks, curly (“ ”) or straight ("), pair up
within a paragraph; a paragraph that ends inside an open quote continues in
the next paragraph if that one opens with a quotation mark (news style for a
quote over several paragraphs), and is dropped as unbalanced otherwise.
Single curly quotes (‘ ’) pair up only where the opening one starts a word
and the closing one ends a quote (after punctuation, or not after an "s"):
‘’’ is mostly an apostrophe (Workers’, dictators’, don’t) and never opens or
closes anything by itself. Straight single quotes are apostrophes.

What counts: four words or more is a quote. Shorter quoted fragments are
phrases (kind ``"phrase"``): scare quotes or terms (“new level”, “axis of
evil”), kept with who the sentence says used them ("Kim called the new
“alliance” a “turning point”": Kim), ``None`` when no cue names anyone (the
writer's own). A quoted Title In Capitals is a title or a name (“Never Give
an Inch”), neither speech nor a phrase.

Speakers. With a parser (``find_quoted(..., parser=load_parser())``, what
:mod:`index.nlp.annotate` does with the spaCy extractor), they are read from the
parse of the sentences around each quote (:mod:`index.nlp.speakers`): the
subject of the verb the quote belongs to, its head word's name, an
apposition, a person inside it, an organisation. A transcript line
("KIM: …") is spoken by its label. Where the parse names no one, and
without a parser, the regex cues, in order of preference:

1. a cue right after the quote: ``,” Liu said``, ``,” said Yun Sun, director
   of …``, ``,” she said`` (pronouns are resolved, below);
2. a cue before it in the same sentence: ``Liu said … “``,
   ``Kim laughed, saying, “``, ``what he called the “``: the nearest person
   before the speech verb (an organisation if no person is named);
3. no cue: the current speaker, carried from a quote or a "X said" in the
   same or the previous paragraph.

Never a speaker: a bare title or honorific ("Rep", "Mr"), all-capitals text
(a headline, a dateline), anything in the headline, anyone named inside the
quote. Pronouns (he, she) are the nearest person earlier in the same
sentence, else the first person of one of the three sentences before, else
the current speaker, never someone of the other gender where the text tells
it (an honorific or gendered title before the name, the pronouns of the
sentences that name only that person). Short names resolve to the full
name through the entity aliases ("Liu" is "Liu
Dongshu"). Anyone the text does not name is ``None``: never guessed.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from ..models import Entity, Quote
from ..text.gazetteer import PERSON_TITLES, SPEECH_VERBS, word_set
from ..text.sentences import paragraphs, split_spans
from .entities import norm

# Bump when what is found changes: cached annotations are made again.
QUOTE_SCHEME = "q3"
MIN_WORDS = 4  # fewer words: a phrase, not a quote
_WORD = re.compile(r"\w+(?:['’.\-]\w+)*")
_SMALL = word_set("a an and as at but by for from in into of on or the to with between "
                  "about over under via vs versus")
_VERBS = SPEECH_VERBS  # one list (the gazetteer's), shared with entities
_VERB_RE = re.compile(rf"\b(?:{_VERBS})\b")
# The cue patterns cannot backtrack more than linearly: the white space before
# a comma is taken whole (possessive), a name is a handful of words of
# bounded length, a trailing cue's words are taken whole (atomic: "AAAA…"
# is one word, never split two or three ways to try again).
_AFTER_VERB = re.compile(rf"\s*+(?:,\s*+)?(?:{_VERBS})\b\s*")
_PRONOUN = re.compile(r"\b(?:he|she|He|She)\b")
_PRONOUN_AT = re.compile(r"(?:he|she|He|She)\b")
_NAME_WORD = r"(?:[A-Z][\w’'\-]{0,60}\w|[A-Z]\.)"
_NAME_AT = re.compile(rf"{_NAME_WORD}(?:\s{{1,8}}{_NAME_WORD}){{0,9}}")  # up to ten words
_LEAD = re.compile(r"[\s,]*")
_TITLE_AT = re.compile(r"(?:(?:" + "|".join(sorted(PERSON_TITLES, key=len, reverse=True))
                       + r")\.?\s{1,8}){1,4}(?=[A-Z])")
_TRAILING = re.compile(
    rf"[,;–—-]\s*(?P<subj>(?:(?>[A-Z][\w’'\-]*)(?<=\w)\s*){{1,3}}|he|she)\s+(?:{_VERBS})\.?\s*$")
_TRAILING_WINDOW = 200  # characters before a paragraph's end a trailing cue starts in
_QUOTE_MARK = re.compile("[“\"]")
_PEOPLE_LOOKED_AT = 20  # people of one sentence a pronoun is resolved among


@dataclass
class _Mention:
    start: int
    end: int
    name: str  # the entity's canonical name
    label: str


def find_quote_spans(text: str) -> list[tuple[list[tuple[int, int]], int, int]]:
    """Every balanced quotation: ``(inner parts, start, end)``; parts are
    ``(start, end)`` of the words between the marks (one per paragraph)."""
    out = []
    pending: tuple[list[tuple[int, int]], int] | None = None  # an open multi-paragraph quote
    for base, para in paragraphs(text):
        i = 0
        singles = _SingleClosers(para)
        if pending is not None:
            lead = len(para) - len(para.lstrip())
            if para[lead:lead + 1] in ("“", '"'):
                parts, qstart = pending
                close = _closing(para, lead + 1, para[lead], singles)
                if close is None:  # still open: it goes on
                    parts.append((base + lead + 1, base + len(para.rstrip())))
                    continue
                parts.append((base + lead + 1, base + close))
                out.append((parts, qstart, base + close + 1))
                pending = None
                i = close + 1
            else:
                pending = None  # never closed: unbalanced, dropped
        while i < len(para):
            ch = para[i]
            if ch in ("“", '"') or (ch == "‘" and _opens_single(para, i)):
                if ch == '"' and not _opens_straight(para, i):
                    i += 1
                    continue
                close = _closing(para, i + 1, ch, singles)
                if close is None:
                    if ch == "‘":  # a stray ‘ (“the ‘90s”): not a quote, go on
                        i += 1
                        continue
                    # a double quote may run on into the next paragraph
                    pending = ([(base + i + 1, base + len(para.rstrip()))], base + i)
                    break
                out.append(([(base + i + 1, base + close)], base + i, base + close + 1))
                i = close + 1
                continue
            i += 1
    return out


def _opens_straight(para: str, i: int) -> bool:
    prev = para[i - 1] if i else " "
    nxt = para[i + 1] if i + 1 < len(para) else " "
    return not prev.isalnum() and not nxt.isspace() and not (prev.isdigit())


def _opens_single(para: str, i: int) -> bool:
    prev = para[i - 1] if i else " "
    nxt = para[i + 1] if i + 1 < len(para) else " "
    return (prev.isspace() or prev in "(—–-\"“") and nxt.isalnum()


class _SingleClosers:
    """The ’ of a paragraph that can close a single quote (not followed by a
    letter or digit), found once, in two sorted lists: those after
    punctuation, and those not after an "s". Every ‘ opener then finds its
    closer by bisection; looking through the rest of the paragraph for each
    opener made a paragraph of many ‘ without a closer quadratic."""

    def __init__(self, para: str) -> None:
        self.para = para
        self.punct: list[int] | None = None
        self.not_s: list[int] = []

    def first(self, start: int) -> int | None:
        if self.punct is None:
            para, self.punct = self.para, []
            for m in _RIGHT_SINGLE.finditer(para):
                c = m.start()
                if c + 1 < len(para) and para[c + 1].isalnum():
                    continue
                if para[c - 1] in ",.!?…":
                    self.punct.append(c)
                if para[c - 1] not in "sS":
                    self.not_s.append(c)
        for cands in (self.punct, self.not_s):
            k = bisect_left(cands, start)
            if k < len(cands):
                return cands[k]
        return None


_RIGHT_SINGLE = re.compile("’")


def _closing(para: str, start: int, opener: str, singles: _SingleClosers) -> int | None:
    """Index of the mark that closes a quote opened just before ``start``."""
    if opener == "“":
        k = para.find("”", start)
        return k if k != -1 else None
    if opener == '"':
        k = start
        while True:
            k = para.find('"', k)
            if k == -1:
                return None
            nxt = para[k + 1] if k + 1 < len(para) else " "
            if not nxt.isalnum():
                return k
            k += 1
    # a single quote: the first ’ after punctuation, else the first not after "s"
    return singles.first(start)


def _is_title(words: list[str]) -> bool:
    return all(w[0].isupper() or w.lower() in _SMALL for w in words) and words[0][0].isupper()


def find_quotes(text: str, entities: list[Entity], parser=None) -> list[Quote]:
    """The quotes of ``text`` (speech, kind "quote") with their speakers."""
    return [q for q in find_quoted(text, entities, parser) if q.kind == "quote"]


def find_quoted(text: str, entities: list[Entity], parser=None) -> list[Quote]:
    """Quotes and phrases (kind "phrase": short quoted terms), in text order.

    ``parser``: a spaCy pipeline with a dependency parser
    (:func:`index.nlp.speakers.load_parser`): speakers are then read from the
    parse of the sentences around each quote; without one, from the regex
    cues only.

    Linear in the text: what every quote looks up around itself (its line,
    the last verb of speech, person and pronoun before it) is found once for
    the whole text and reached by bisection, never by searching the text
    again from the quote."""
    renamed = _body_names(entities, text)  # a name only the headline gives: the body's
    mentions = _mentions(entities, text, renamed)
    starts = [m.start for m in mentions]
    sentences = split_spans(text)
    sent_starts = [s for s, _ in sentences]
    para_of = _paragraph_index(text)
    aliases = {a: renamed.get(full, full) for a, full in _alias_map(entities).items()}
    gender = _genders(text, mentions, sentences)
    quotes = []
    raw = find_quote_spans(text)
    inside = [(s, e) for _, s, e in raw]
    lines = _Lines(text)
    marks = [m.start() for m in _QUOTE_MARK.finditer(text)]  # double quotation marks
    # outside quotes: the verbs of speech, the pronouns, the people and the
    # organisations, in text order
    verbs = [(m.start(), m.end(), m.group()) for m in _VERB_RE.finditer(text)
             if not _inside(inside, m.start())]
    verb_starts = [v[0] for v in verbs]
    pronouns = [m.start() for m in _PRONOUN.finditer(text) if not _inside(inside, m.start())]
    people = [m for m in mentions if m.label == "PERSON" and not _inside(inside, m.start)]
    people_starts = [m.start for m in people]
    orgs = [m for m in mentions if m.label == "ORG" and not _inside(inside, m.start)]
    org_starts = [m.start for m in orgs]

    def sentence_of(pos: int) -> tuple[int, int]:
        k = bisect_right(sent_starts, pos) - 1
        return sentences[k] if k >= 0 else (0, 0)

    def persons_between(a: int, b: int) -> list[_Mention]:
        k = bisect_right(starts, a - 1)
        out = []
        while k < len(mentions) and mentions[k].start < b:
            m = mentions[k]
            if m.end <= b and not _inside(inside, m.start):
                out.append(m)
            k += 1
        return out

    def last_of(items: list[_Mention], item_starts: list[int], a: int, b: int
                ) -> _Mention | None:
        """The last of ``items`` inside [a, b)."""
        k = bisect_left(item_starts, b) - 1
        while k >= 0 and items[k].start >= a:
            if items[k].end <= b:
                return items[k]
            k -= 1
        return None

    def last_pronoun(a: int, b: int) -> int | None:
        k = bisect_left(pronouns, b) - 1
        return pronouns[k] if k >= 0 and pronouns[k] >= a else None

    def resolve_pronoun(pos: int, current: str | None, sex: str | None = None) -> str | None:
        """He/she at ``pos``: the nearest person before it in its sentence,
        else the first person of an earlier sentence (up to three back),
        else the current speaker; never a person of the other gender. A
        person known to agree beats one of unknown gender in the same
        sentence. At most _PEOPLE_LOOKED_AT people of a sentence are looked
        at (a sentence naming more is a list)."""
        if sex is None:
            w = text[pos:pos + 3].lower()
            sex = "f" if w.startswith("she") or w.startswith("her") else "m"

        def pick(ks) -> str | None:
            unknown = None
            for n, k in enumerate(ks):
                if n == _PEOPLE_LOOKED_AT:
                    break
                g = gender.get(people[k].name)
                if g == sex:
                    return people[k].name
                if g is None and unknown is None:
                    unknown = people[k].name
            return unknown

        def backwards(a: int, b: int):
            k = bisect_left(people_starts, b) - 1
            while k >= 0 and people[k].start >= a:
                if people[k].end <= b:
                    yield k
                k -= 1

        def forwards(a: int, b: int):
            k = bisect_left(people_starts, a)
            while k < len(people) and people[k].start < b:
                if people[k].end <= b:
                    yield k
                k += 1

        s, _ = sentence_of(pos)
        who = pick(backwards(s, pos))
        if who is not None:
            return who
        k = bisect_right(sent_starts, pos) - 2
        for back in range(3):
            if k - back < 0:
                break
            who = pick(forwards(*sentences[k - back]))
            if who is not None:
                return who
        return current if current is not None and gender.get(current, sex) == sex else None

    def subject_at(pos: int, end: int, current: str | None) -> tuple[bool, str | None]:
        """A speaker named at ``pos`` (an entity, a pronoun or a capitalised
        name): (found a subject, who)."""
        t = _TITLE_AT.match(text, pos, end)
        if t:  # "said Rep. Bobby Scott": the name after the title
            pos = t.end()
        k = bisect_right(starts, pos) - 1
        if 0 <= k < len(mentions) and mentions[k].start <= pos < mentions[k].end:
            return True, mentions[k].name
        if k + 1 < len(mentions) and mentions[k + 1].start == pos:
            return True, mentions[k + 1].name
        if _PRONOUN_AT.match(text, pos, end):
            return True, resolve_pronoun(pos, current)
        m = _NAME_AT.match(text, pos, end)
        if m and not _is_caps(m.group()):
            inner = persons_between(m.start(), m.end())
            if inner:  # "Lord Falconer" where the model tagged "Falconer"
                return True, inner[0].name
            return True, aliases.get(norm(m.group()), m.group())
        return False, None

    def after_cue(e: int, current: str | None) -> tuple[bool, str | None]:
        """``,” Liu said`` / ``,” said Liu`` / ``,” she said``."""
        para_end = lines.end(e)
        p = _LEAD.match(text, e, para_end).end()
        if p >= para_end or text[p] in "“\"":
            return False, None
        v = _AFTER_VERB.match(text, e, para_end)
        if v:  # said Liu / said Yun Sun, director of … / said a spokesman
            found, who = subject_at(v.end(), para_end, current)
            return True, who if found else None
        found, who = subject_at(p, para_end, current)
        if not found:
            return False, None
        # the subject must be followed by a speech verb within a few words
        sub_end = _subject_end(mentions, starts, text, p)
        if _AFTER_VERB.match(text, sub_end, min(para_end, sub_end + 40)):
            return True, who
        return False, None

    def trailing_cue(e: int, current: str | None) -> tuple[bool, str | None]:
        """``“…” – a position that …, Liu noted.``: a cue closing the paragraph,
        with no other quote after this one."""
        para_end = lines.end(e)
        k = bisect_left(marks, e)
        if k < len(marks) and marks[k] < para_end:
            return False, None
        # the cue is a handful of words at the very end: only the paragraph's
        # last _TRAILING_WINDOW characters (before its trailing space) are searched
        end = para_end
        while end > e and text[end - 1].isspace():
            end -= 1
        m = _TRAILING.search(text, max(e, end - _TRAILING_WINDOW), para_end)
        if not m:
            return False, None
        found, who = subject_at(m.start("subj"), m.end("subj"), current)
        return found, who

    def before_cue(s: int, current: str | None) -> tuple[bool, str | None]:
        ss, _ = sentence_of(s)
        k = bisect_left(verb_starts, s) - 1
        if k < 0 or verbs[k][0] < ss:
            return False, None
        vpos, vend, verb = verbs[k]
        if verb == "according to":
            found, who = subject_at(vend + 1, s, current)
            return True, who if found else None
        person = last_of(people, people_starts, ss, vpos)
        pron = last_pronoun(ss, vpos)
        if pron is not None and (person is None or pron > person.start):
            return True, resolve_pronoun(pron, current)
        if person is not None:
            return True, person.name
        org = last_of(orgs, org_starts, ss, vpos)
        if org is not None:
            return True, org.name
        return True, None

    def speech_events() -> list[tuple[int, str]]:
        """(position, person) for each "X said" / "she told" outside quotes:
        whoever said something last is who a quote with no cue carries on."""
        out = []
        for vpos, _end, _verb in verbs:
            ss, _ = sentence_of(vpos)
            person = last_of(people, people_starts, ss, vpos)
            pron = last_pronoun(ss, vpos)
            if pron is not None and (person is None or pron > person.start):
                who = resolve_pronoun(pron, out[-1][1] if out else None)
                if who:
                    out.append((vpos, who))
            elif person is not None:
                out.append((vpos, person.name))
        return out

    # ---- the parse pass: frames around the quotes, parsed in one batch
    kept = []  # (raw index, parts, s, e, words)
    for k, (parts, s, e) in enumerate(raw):
        words = [w for a, b in parts for w in _WORD.findall(text[a:b])]
        if words and not _is_title(words):
            kept.append((k, parts, s, e, words))
    parsed: dict[int, tuple] = {}  # raw index -> (doc, frame, intro doc, intro frame)
    if parser is not None and kept:
        parsed = _parse_frames(parser, text, raw, kept, sentences)

    def mention_at(pos: int) -> _Mention | None:
        k = bisect_right(starts, pos) - 1
        if 0 <= k < len(mentions) and mentions[k].start <= pos < mentions[k].end:
            return mentions[k]
        return None

    def token_name(tok, frame, current: str | None, me: str | None = None) -> str | None:
        """The speaker a subject token names (None: a description); ``me``:
        who "I" is (a transcript line's speaker)."""
        from .speakers import PRONOUNS, name_tokens

        if tok.lower_ in ("i", "we"):
            return me
        if tok.lower_ in PRONOUNS:
            pos = frame.to_text(tok.idx)
            return None if pos is None else resolve_pronoun(pos, current,
                                                            PRONOUNS[tok.lower_])
        later: list[_Mention] = []
        proper = None
        for n, t in enumerate(name_tokens(tok)):
            pos = frame.to_text(t.idx)
            if pos is None:
                continue
            m = mention_at(pos)
            head = n == 0 or t.dep_ == "appos"
            if m is not None and head:
                return m.name
            if m is not None:
                later.append(m)
            if head and proper is None and t.pos_ == "PROPN":
                proper = t
        if proper is not None and proper.text.rstrip(".") not in PERSON_TITLES:
            # a name the model missed, on the subject's head: its proper nouns
            # ("Deborah Lee, the chairwoman of the county GOP": Lee, not GOP)
            words = [c for c in proper.children
                     if c.pos_ == "PROPN" and c.dep_ in ("compound", "flat")] + [proper]
            name = " ".join(w.text for w in sorted(words, key=lambda w: w.i)
                            if w.text.rstrip(".") not in PERSON_TITLES)
            if name and not _is_caps(name) and name[0].isupper():
                return aliases.get(norm(name), name)
        for label in ("PERSON", "ORG"):
            for m in later:
                if m.label == label:
                    return m.name
        return None

    def parse_cue(k: int, phrase: bool, current: str | None,
                  me: str | None = None) -> tuple[bool, str | None]:
        from .speakers import candidate_verbs, colon_clause, subject

        doc, frame, idoc, iframe = parsed[k]
        for v, certain in candidate_verbs(doc, frame, k, phrase):
            sub = subject(v, frame)
            if (sub is None or frame.to_text(sub.idx) is None
                    or sub.lower_ in ("it", "there", "this", "that", "what", "which")):
                continue  # no subject ("it was foolish to think that “…”"): a verb further up
            who = token_name(sub, frame, current, me)
            if who is not None or certain:
                return True, who
        if phrase:
            return False, None
        clause = colon_clause(doc, frame, k)
        if clause:  # "Lee had a message: “…”" / "… doesn't surprise pollster Lee: “…”"
            roots = [t for t in clause if t.head.i == t.i or t.head.i < clause[0].i
                     or t.head.i > clause[-1].i]
            for r in roots:
                sub = subject(r, frame) if r.pos_ in ("VERB", "AUX") else None
                if sub is not None and frame.to_text(sub.idx) is not None:
                    who = token_name(sub, frame, current)
                    if who is not None:
                        return True, who
            people = [m for t in clause if (pos := frame.to_text(t.idx)) is not None
                      and (m := mention_at(pos)) is not None and m.label == "PERSON"]
            if people:
                return True, people[-1].name
        if idoc is not None:  # "Kim was blunt:" / "Kim explained." then the quote alone
            roots = [t for t in idoc if t.dep_ == "ROOT"]
            if roots:
                sub = subject(roots[-1], iframe)
                if sub is not None and iframe.to_text(sub.idx) is not None:
                    who = token_name(sub, iframe, current)
                    if who is not None:
                        return True, who
        return False, None

    current: str | None = None
    current_para = -10
    events = speech_events()
    ev_k = 0
    for k, parts, s, e, words in kept:
        while ev_k < len(events) and events[ev_k][0] < s:
            current, current_para = events[ev_k][1], para_of(events[ev_k][0])
            ev_k += 1
        label = lines.label(s)
        if len(words) < MIN_WORDS:  # a phrase: its user is named by a cue, never carried
            if k in parsed:
                found, who = parse_cue(k, True, None)
            else:
                found, who = after_cue(e, None)
                if not found:
                    found, who = before_cue(s, None)
            if who is not None:
                who = aliases.get(norm(who), who)
            phrase = text[parts[0][0]:parts[-1][1]].strip().rstrip(".,;:!?…")
            quotes.append(Quote(phrase, who, s, e, "phrase"))
            continue
        para = para_of(s)
        carried = current if para - current_para <= 1 else None
        found = False
        who = None
        if label is not None and label[1] == s:  # "KIM: “…”": the line's speaker
            found, who = True, _label_name(label[0], aliases)
        if not found and k in parsed:
            found, who = parse_cue(k, False, carried,
                                   _label_name(label[0], aliases) if label else None)
        if not found:
            found, who = after_cue(e, carried)
        if not found:
            found, who = before_cue(s, carried)
        if not found:
            found, who = trailing_cue(e, carried)
        if not found and label is not None:
            found, who = True, _label_name(label[0], aliases)
        if not found:
            who = carried
        if who is not None:
            who = aliases.get(norm(who), who)
        quotes.append(Quote("\n".join(text[a:b].strip() for a, b in parts), who, s, e))
        if who is not None or found:
            current, current_para = who, para_of(e)
    return quotes


def _parse_frames(parser, text: str, raw, kept, sentences) -> dict[int, tuple]:
    """Parse, in one batch, the sentence of every quote (its quotes replaced
    by stand-ins) and, for a quote standing alone, the sentence before it.
    Quotes of one sentence share its frame: each stretch of text is framed
    and parsed once, however many quotes it holds."""
    from .speakers import Frame

    spans = [(s, e) for _, s, e in raw]
    quote_starts = [s for _, s, _ in raw]
    bounds = [a for a, _ in sentences if not any(s < a < e for s, e in _near(spans, a))]
    bounds = [b for b in bounds if not _cue_sentence(text, spans, b)]
    para_starts = [p for p, _ in paragraphs(text)]
    kept_idx = {k for k, *_ in kept}

    def region(pos: int) -> tuple[int, int]:
        j = bisect_right(bounds, pos) - 1
        a = bounds[j] if j >= 0 else 0
        b = bounds[j + 1] if j + 1 < len(bounds) else len(text)
        return a, b

    frames: dict[tuple[int, int], Frame] = {}

    def frame_of(a: int, b: int) -> Frame:
        if (a, b) in frames:
            return frames[a, b]
        f = Frame()
        p = a
        k = bisect_left(quote_starts, a)
        while k < len(raw) and raw[k][1] < b:  # the quotes that start in [a, b)
            parts, s, e = raw[k]
            f.add_text(text, p, s)
            inner = text[parts[0][0]:parts[-1][1]]
            f.add_quote(inner, k, k not in kept_idx or len(_WORD.findall(inner)) < MIN_WORDS)
            p = e
            k += 1
        end = b
        while end > p and text[end - 1].isspace():
            end -= 1
        f.add_text(text, p, end)
        frames[a, b] = f
        return f

    def ends_with_colon(a: int, b: int) -> bool:
        while b > a and text[b - 1].isspace():
            b -= 1
        return b > a and text[b - 1] == ":"

    jobs: list[tuple[int, Frame, Frame | None]] = []
    intros: dict[tuple[int, int], Frame | None] = {}
    for k, _parts, s, e, _words in kept:
        a, b = region(s)
        b = max(b, region(e - 1)[1])
        f = frame_of(a, b)
        if (a, b) not in intros:
            intros[a, b] = None
            if a > 0 and not any(c.isalpha() for _, ts, ln in f.map
                                 for c in text[ts:ts + ln]):
                pa, pb = region(a - 1)
                prev_para = bisect_right(para_starts, pa) != bisect_right(para_starts, a)
                if not prev_para or ends_with_colon(pa, pb):
                    intros[a, b] = frame_of(pa, pb)
        jobs.append((k, f, intros[a, b]))
    # every frame parsed once (cut to _MAX_FRAME characters)
    order = list({id(f): f for _, f, intro in jobs for f in (f, intro) if f is not None}.values())
    docs = dict(zip((id(f) for f in order),
                    parser.pipe((f.text[:_MAX_FRAME] for f in order), batch_size=64),
                    strict=True))
    out = {}
    for k, f, intro in jobs:
        out[k] = (docs[id(f)], f, docs[id(intro)] if intro is not None else None, intro)
    return out


_MAX_FRAME = 2000  # characters: a frame longer than this is a sentence-splitting failure


def _near(spans: list[tuple[int, int]], pos: int) -> list[tuple[int, int]]:
    k = bisect_right(spans, (pos, float("inf"))) - 1
    return spans[max(k, 0):k + 1]


_SEG_TOKEN = re.compile(r"\S+")


def _cue_sentence(text: str, spans, b: int) -> bool:
    """A sentence that only says who spoke the quote just before it ("“Why?”
    Kim asked."): part of the quote's sentence. (Read from ``b`` on for at
    most eleven words, and back from ``b`` over white space only.)"""
    j = b
    while j > 0 and text[j - 1].isspace():
        j -= 1
    if not j or text[j - 1] not in "”\"" or not any(e == j for _, e in _near(spans, j - 1)):
        return False
    if text[b:b + 1] in "“\"" or "\n" in text[j:b]:
        return False
    # the sentence runs to the first ". " or the end of the line; it is a cue
    # in ten words at most, so no more than eleven are read
    pos, seg_end = b, None
    for count, w in enumerate(_SEG_TOKEN.finditer(text, b), 1):
        nl = text.find("\n", pos, w.start())
        if nl != -1:
            seg_end = nl
            break
        if count > 10:
            return False
        pos = w.end()
        if text[pos - 1] == "." and text[pos:pos + 1] == " ":
            seg_end = pos
            break
    if seg_end is None:  # the text ends in this line
        nl = text.find("\n", pos)
        seg_end = len(text) if nl == -1 else nl
    seg = text[b:seg_end]
    return (len(seg.split()) <= 10 and not seg.rstrip().endswith(":")
            and bool(_VERB_RE.search(seg)))


_TRANSCRIPT = re.compile(r"[ \t]*((?:(?:MR|MRS|MS|DR)\.\s+)?[A-Z][A-Z’'\-]+"
                         r"(?:\s+[A-Z][A-Z’'\-]+){0,3}):\s*")


class _Lines:
    """Where the lines of a text start and end (by bisection over its line
    breaks, found once), and each line's transcript label, matched once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.breaks = [m.start() for m in _LINE_BREAK.finditer(text)]
        self.labels: dict[int, re.Match | None] = {}

    def start(self, pos: int) -> int:
        """Where the line holding ``pos`` starts (as ``text.rfind("\\n", 0, pos) + 1``)."""
        k = bisect_left(self.breaks, pos) - 1
        return self.breaks[k] + 1 if k >= 0 else 0

    def end(self, pos: int) -> int:
        """The first line break at or after ``pos``, else the text's end."""
        k = bisect_left(self.breaks, pos)
        return self.breaks[k] if k < len(self.breaks) else len(self.text)

    def label(self, s: int) -> tuple[str, int] | None:
        """The speaker label of a transcript line ("KIM: …", "MR. LEE: …")
        the position ``s`` is in, and where the line's speech starts."""
        ps = self.start(s)
        if ps not in self.labels:
            self.labels[ps] = _TRANSCRIPT.match(self.text, ps)
        m = self.labels[ps]
        if not m or m.end() > s:
            return None
        return m.group(1), m.end()


_LINE_BREAK = re.compile("\n")


def _label_name(label: str, aliases: dict[str, str]) -> str:
    words = [w for w in label.split() if w.rstrip(".").title() not in PERSON_TITLES]
    name = " ".join(words) or label
    return aliases.get(norm(name), name.title())


def _subject_end(mentions, starts, text: str, p: int) -> int:
    k = bisect_right(starts, p) - 1
    if 0 <= k < len(mentions) and mentions[k].start <= p < mentions[k].end:
        return mentions[k].end
    m = _PRONOUN_AT.match(text, p) or _NAME_AT.match(text, p)
    return m.end() if m else p


def _inside(spans: list[tuple[int, int]], pos: int) -> bool:
    k = bisect_right(spans, (pos, float("inf"))) - 1
    return k >= 0 and spans[k][0] <= pos < spans[k][1]


def _mentions(entities: list[Entity], text: str, renamed: dict[str, str]) -> list[_Mention]:
    """Mentions of people and organisations that can speak: not a bare title
    or honorific ("Rep", "Mr"), not all-capitals text (a headline, a
    dateline: "OBAMA FOCUSED", "NASHUA"; an acronym such as "CNN" is kept),
    each under the name the body uses (``renamed``, from :func:`_body_names`)."""
    head = _headline_end(text)
    out = []
    for ent in entities:
        if ent.label not in ("PERSON", "ORG") or _is_bare_title(ent.name):
            continue
        name = renamed.get(ent.name, ent.name)
        out.extend(_Mention(s, e, name, ent.label) for s, e in ent.mentions
                   if s >= head and not _is_caps(text[s:e]))
    out.sort(key=lambda m: m.start)
    return out


def _body_names(entities: list[Entity], text: str) -> dict[str, str]:
    """Entity name -> the fullest form the body uses, for a name only the
    headline gives ("Lee Says He", from a headline in Title Case)."""
    head = _headline_end(text)
    out = {}
    if not head:
        return out
    for ent in entities:
        forms = [text[s:e] for s, e in ent.mentions if s >= head]
        if forms and norm(ent.name) not in {norm(f) for f in forms}:
            out[ent.name] = max(forms, key=lambda f: (len(f.split()), f))
    return out


def _headline_end(text: str) -> int:
    """Where the body starts when the first line is a headline (short, no
    final full stop, its words mostly capitalised): no speaker is taken
    from a headline."""
    nl = text.find("\n")
    if nl == -1:
        return 0
    line = text[:nl].strip()
    words = [w for w in line.split() if w[:1].isalpha()]
    if not words or len(words) > 25 or line.endswith((".", "”", '"')):
        return 0
    caps = sum(1 for w in words if w[0].isupper() or w.lower() in _SMALL)
    return nl + 1 if caps >= 0.8 * len(words) else 0


def _is_bare_title(name: str) -> bool:
    words = name.replace(".", " ").split()
    return bool(words) and all(w.title() in PERSON_TITLES or w in PERSON_TITLES
                               or w.lower() in _SMALL for w in words)


def _is_caps(s: str) -> bool:
    """All-capitals text that is not an acronym: two words or more, or one
    of more than five letters."""
    letters = [c for c in s if c.isalpha()]
    return (bool(letters) and all(c.isupper() for c in letters)
            and (len(s.split()) > 1 or len(letters) > 5))


_GENDERED = {"mr": "m", "mrs": "f", "ms": "f", "miss": "f", "sir": "m", "dame": "f",
             "lord": "m", "lady": "f", "king": "m", "queen": "f", "congressman": "m",
             "congresswoman": "f", "spokesman": "m", "spokeswoman": "f", "chairman": "m",
             "chairwoman": "f", "businessman": "m", "businesswoman": "f", "wife": "f",
             "husband": "m", "mother": "f", "father": "m", "son": "m", "daughter": "f",
             "brother": "m", "sister": "f", "uncle": "m", "aunt": "f", "grandmother": "f",
             "grandfather": "m", "widow": "f", "actress": "f", "councilwoman": "f",
             "councilman": "m", "assemblywoman": "f", "assemblyman": "m"}
_GENDER_WORD = re.compile(r"\b(?:he|him|his|himself)\b|\b(?:she|her|hers|herself)\b",
                          re.IGNORECASE)
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\.?,?\s*$")


def _genders(text: str, mentions: list[_Mention], sentences) -> dict[str, str]:
    """Person -> "m"/"f" where the text says: an honorific or a gendered
    title right before a mention ("Mrs.", "Congresswoman"), else the
    pronouns of the sentences that name only that person (he/his/him or
    she/her after the name)."""
    votes: dict[str, list[int]] = {}
    persons = [m for m in mentions if m.label == "PERSON"]
    for m in persons:
        w = _WORD_BEFORE.search(text, max(0, m.start - 20), m.start)
        if w and w.group(1).lower() in _GENDERED:
            v = votes.setdefault(m.name, [0, 0])
            v[0 if _GENDERED[w.group(1).lower()] == "m" else 1] += 5
    starts = [m.start for m in persons]
    for a, b in sentences:
        k = bisect_right(starts, a - 1)
        names = set()
        first = None
        while k < len(persons) and persons[k].start < b:
            names.add(persons[k].name)
            first = persons[k] if first is None else first
            k += 1
        if len(names) != 1:
            continue
        for g in _GENDER_WORD.finditer(text, first.end, b):
            v = votes.setdefault(first.name, [0, 0])
            v[0 if g.group().lower() in ("he", "him", "his", "himself") else 1] += 1
    out = {}
    for name, (m, f) in votes.items():
        if m > 2 * f:
            out[name] = "m"
        elif f > 2 * m:
            out[name] = "f"
    return out


def _alias_map(entities: list[Entity]) -> dict[str, str]:
    out: dict[str, str] = {}
    for ent in entities:
        if ent.label != "PERSON":
            continue
        for n in (ent.name, *ent.aliases):
            out.setdefault(norm(n), ent.name)
    return out


def _paragraph_index(text: str):
    """pos -> paragraph number (counting only non-empty paragraphs)."""
    starts = [p for p, _ in paragraphs(text)]

    def index(p: int) -> int:
        return max(bisect_right(starts, p) - 1, 0)

    return index
