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

Speakers, in order of preference:

1. a cue right after the quote: ``,” Liu said``, ``,” said Yun Sun, director
   of …``, ``,” she said`` (pronouns are resolved, below);
2. a cue before it in the same sentence: ``Liu said … “``,
   ``Kim laughed, saying, “``, ``what he called the “``: the nearest person
   before the speech verb (an organisation if no person is named);
3. no cue: the current speaker, carried from a quote or a "X said" in the
   same or the previous paragraph.

Pronouns (he, she) are the nearest person earlier in the same sentence, else
the first person of the previous sentence, else the current speaker. Short
names resolve to the full name through the entity aliases ("Liu" is "Liu
Dongshu"). Anyone the text does not name is ``None``: never guessed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from .entities import norm
from .gazetteer import word_set
from .models import Entity, Quote
from .sentences import paragraphs, split_spans

# Bump when what is found changes: cached annotations are made again.
QUOTE_SCHEME = "q2"
MIN_WORDS = 4  # fewer words: a phrase, not a quote
_WORD = re.compile(r"\w+(?:['’.\-]\w+)*")
_SMALL = word_set("a an and as at but by for from in into of on or the to with between "
                  "about over under via vs versus")
_VERBS = (r"said|says|say|saying|told|tells|telling|added|adds|adding|asked|asks|explained"
          r"|explains|stated|states|wrote|writes|noted|notes|argued|argues|insisted|insists"
          r"|warned|warns|continued|recalled|replied|answered|acknowledged|admitted|claimed"
          r"|claims|declared|emphasized|emphasised|stressed|suggested|observed|remarked"
          r"|commented|posted|tweeted|pointed out|called|calls|calling|referred to"
          r"|according to")
_VERB_RE = re.compile(rf"\b(?:{_VERBS})\b")
_AFTER_VERB = re.compile(rf"\s*,?\s*(?:{_VERBS})\b\s*")
_PRONOUN = re.compile(r"\b(?:he|she|He|She)\b")
_PRONOUN_AT = re.compile(r"(?:he|she|He|She)\b")
_NAME_AT = re.compile(r"(?:[A-Z][\w’'\-]*\w|[A-Z]\.)(?:\s+(?:[A-Z][\w’'\-]*\w|[A-Z]\.))*")
_LEAD = re.compile(r"[\s,]*")
_TRAILING = re.compile(
    rf"[,;–—-]\s*(?P<subj>(?:[A-Z][\w’'\-]*\w\s*){{1,3}}|he|she)\s+(?:{_VERBS})\.?\s*$")


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
        if pending is not None:
            lead = len(para) - len(para.lstrip())
            if para[lead:lead + 1] in ("“", '"'):
                parts, qstart = pending
                close = _closing(para, lead + 1, para[lead])
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
                close = _closing(para, i + 1, ch)
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


def _closing(para: str, start: int, opener: str) -> int | None:
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
    cands = [m.start() for m in re.finditer("’", para[start:])]
    cands = [start + c for c in cands
             if start + c + 1 >= len(para) or not para[start + c + 1].isalnum()]
    for c in cands:
        if para[c - 1] in ",.!?…":
            return c
    for c in cands:
        if para[c - 1] not in "sS":
            return c
    return None


def _is_title(words: list[str]) -> bool:
    return all(w[0].isupper() or w.lower() in _SMALL for w in words) and words[0][0].isupper()


def find_quotes(text: str, entities: list[Entity]) -> list[Quote]:
    """The quotes of ``text`` (speech, kind "quote") with their speakers."""
    return [q for q in find_quoted(text, entities) if q.kind == "quote"]


def find_quoted(text: str, entities: list[Entity]) -> list[Quote]:
    """Quotes and phrases (kind "phrase": short quoted terms), in text order."""
    mentions = _mentions(entities)
    starts = [m.start for m in mentions]
    sentences = split_spans(text)
    sent_starts = [s for s, _ in sentences]
    para_of = _paragraph_index(text)
    aliases = _alias_map(entities)
    quotes = []
    raw = find_quote_spans(text)
    inside = [(s, e) for _, s, e in raw]

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

    def resolve_pronoun(pos: int, current: str | None) -> str | None:
        s, _ = sentence_of(pos)
        people = [m for m in persons_between(s, pos) if m.label == "PERSON"]
        if people:
            return people[-1].name
        k = bisect_right(sent_starts, pos) - 2
        if k >= 0:
            ps, pe = sentences[k]
            people = [m for m in persons_between(ps, pe) if m.label == "PERSON"]
            if people:
                return people[0].name
        return current

    def subject_at(pos: int, end: int, current: str | None) -> tuple[bool, str | None]:
        """A speaker named at ``pos`` (an entity, a pronoun or a capitalised
        name): (found a subject, who)."""
        k = bisect_right(starts, pos) - 1
        if 0 <= k < len(mentions) and mentions[k].start <= pos < mentions[k].end:
            return True, mentions[k].name
        if k + 1 < len(mentions) and mentions[k + 1].start == pos:
            return True, mentions[k + 1].name
        if _PRONOUN_AT.match(text, pos, end):
            return True, resolve_pronoun(pos, current)
        m = _NAME_AT.match(text, pos, end)
        if m:
            inner = persons_between(m.start(), m.end())
            if inner:  # "Lord Falconer" where the model tagged "Falconer"
                return True, inner[0].name
            return True, aliases.get(norm(m.group()), m.group())
        return False, None

    def after_cue(e: int, current: str | None) -> tuple[bool, str | None]:
        """``,” Liu said`` / ``,” said Liu`` / ``,” she said``."""
        para_end = text.find("\n", e)
        para_end = len(text) if para_end == -1 else para_end
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
        para_end = text.find("\n", e)
        para_end = len(text) if para_end == -1 else para_end
        rest = text[e:para_end]
        if "“" in rest or '"' in rest:
            return False, None
        m = _TRAILING.search(rest)
        if not m:
            return False, None
        found, who = subject_at(e + m.start("subj"), e + m.end("subj"), current)
        return found, who

    def before_cue(s: int, current: str | None) -> tuple[bool, str | None]:
        ss, _ = sentence_of(s)
        region = text[ss:s]
        verbs = [m for m in _VERB_RE.finditer(region) if not _inside(inside, ss + m.start())]
        if not verbs:
            return False, None
        v = verbs[-1]
        vpos = ss + v.start()
        if v.group() == "according to":
            found, who = subject_at(ss + v.end() + 1, s, current)
            return True, who if found else None
        cands = persons_between(ss, vpos)
        people = [m for m in cands if m.label == "PERSON"]
        pron = [m for m in _PRONOUN.finditer(text, ss, vpos) if not _inside(inside, m.start())]
        if pron and (not people or pron[-1].start() > people[-1].start):
            return True, resolve_pronoun(pron[-1].start(), current)
        if people:
            return True, people[-1].name
        orgs = [m for m in cands if m.label == "ORG"]
        if orgs:
            return True, orgs[-1].name
        return True, None

    def speech_events() -> list[tuple[int, str]]:
        """(position, person) for each "X said" / "she told" outside quotes:
        whoever said something last is who a quote with no cue carries on."""
        out = []
        for v in _VERB_RE.finditer(text):
            if _inside(inside, v.start()):
                continue
            ss, _ = sentence_of(v.start())
            people = [m for m in persons_between(ss, v.start()) if m.label == "PERSON"]
            pron = [m for m in _PRONOUN.finditer(text, ss, v.start())
                    if not _inside(inside, m.start())]
            if pron and (not people or pron[-1].start() > people[-1].start):
                who = resolve_pronoun(pron[-1].start(), out[-1][1] if out else None)
                if who:
                    out.append((v.start(), who))
            elif people:
                out.append((v.start(), people[-1].name))
        return out

    current: str | None = None
    current_para = -10
    events = speech_events()
    ev_k = 0
    for parts, s, e in raw:
        words = [w for a, b in parts for w in _WORD.findall(text[a:b])]
        while ev_k < len(events) and events[ev_k][0] < s:
            current, current_para = events[ev_k][1], para_of(events[ev_k][0])
            ev_k += 1
        if not words or _is_title(words):
            continue
        if len(words) < MIN_WORDS:  # a phrase: its user is named by a cue, never carried
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
        found, who = after_cue(e, carried)
        if not found:
            found, who = before_cue(s, carried)
        if not found:
            found, who = trailing_cue(e, carried)
        if not found:
            who = carried
        if who is not None:
            who = aliases.get(norm(who), who)
        quotes.append(Quote("\n".join(text[a:b].strip() for a, b in parts), who, s, e))
        if who is not None or found:
            current, current_para = who, para_of(e)
    return quotes


def _subject_end(mentions, starts, text: str, p: int) -> int:
    k = bisect_right(starts, p) - 1
    if 0 <= k < len(mentions) and mentions[k].start <= p < mentions[k].end:
        return mentions[k].end
    m = _PRONOUN_AT.match(text, p) or _NAME_AT.match(text, p)
    return m.end() if m else p


def _inside(spans: list[tuple[int, int]], pos: int) -> bool:
    k = bisect_right(spans, (pos, float("inf"))) - 1
    return k >= 0 and spans[k][0] <= pos < spans[k][1]


def _mentions(entities: list[Entity]) -> list[_Mention]:
    out = [_Mention(s, e, ent.name, ent.label) for ent in entities
           if ent.label in ("PERSON", "ORG") for s, e in ent.mentions]
    out.sort(key=lambda m: m.start)
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
