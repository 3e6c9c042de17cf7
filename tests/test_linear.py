"""The text passes grow linearly on adversarial text.

Every regex-heavy function (the sentence splitter, titles, the quote finder
and its speaker cues, the parse pass's frames, the rule entities and their
clean-up, numbers, the aligner and the diff) is run on a 16 KB and a 256 KB
text of the same adversarial pattern: long runs without spaces, repeated
openers and cues, runs of initials and abbreviations, many capitalised words,
long numbers, many identical sentences. Linear growth makes the big run cost
about 16 times the small one, quadratic 256 times, cubic 4,096 times; the
test allows 40.

What is compared is CPU time of this process (``time.process_time``): other
processes on a busy machine do not count. The small run is repeated until it
has taken a measurable time (its best batch counts), garbage collection is
off while timing, and a big run that passes the bound once passes. The big
run is stopped (a failure, never a hang) once it has used more CPU than the
bound allows: a cubic pattern would take hours.
"""

from __future__ import annotations

import gc
import re
import signal
import time
from collections.abc import Callable
from contextlib import contextmanager

import pytest

from index import diff as D
from index.ingest import derive_title
from index.models import Entity, Quote
from index.nlp import entities as E
from index.nlp import quotes as Q
from index.text import align as A
from index.text import sentences as S

SMALL = 16 * 1024
BIG = 256 * 1024
BOUND = 40  # linear: 16; quadratic: 256
SMALL_LIMIT = 10.0  # CPU seconds: a hang guard for the small run, never reached when linear


class _OverBudget(BaseException):  # (not an Exception: nothing under test catches it)
    pass


def _on_budget(signum, frame):
    raise _OverBudget


def _cpu(fn: Callable[[], object]) -> float:
    t = time.process_time()
    fn()
    return time.process_time() - t


def _per_run(fn: Callable[[], object]) -> float:
    """CPU seconds of one run: the best of three batches of runs, each
    batch long enough (20 ms) to measure."""
    def batch(n: int) -> float:
        return _cpu(lambda: [fn() for _ in range(n)]) / n

    n, t = 1, _cpu(fn)
    while t < 0.02:
        n *= 2
        t = batch(n) * n
    return min(t / n, batch(n), batch(n))


@contextmanager
def _cpu_limit(seconds: float, what: str):
    """Stop the block (a failure) once it has used ``seconds`` of CPU."""
    old = signal.signal(signal.SIGPROF, _on_budget)
    signal.setitimer(signal.ITIMER_PROF, seconds, 0.05)  # (and again, until it stops)
    try:
        yield
    except _OverBudget:
        pytest.fail(f"{what} took over {seconds:.2f} s of CPU: super-linear")
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


def grows_linearly(fn: Callable[[object], object], make: Callable[[int], object]) -> None:
    small, big = make(SMALL), make(BIG)
    gc.collect()
    gc.disable()
    try:
        # 16 KB takes milliseconds when linear; minutes (or more) when not
        with _cpu_limit(SMALL_LIMIT, "16 KB"):
            t_small = _per_run(lambda: fn(small))
        budget = BOUND * t_small
        for _attempt in range(2):
            limit = 1.5 * budget + 0.5  # (and half a second to start)
            with _cpu_limit(limit, f"256 KB (16 KB: {t_small * 1000:.1f} ms)"):
                t_big = _cpu(lambda: fn(big))
            if t_big < budget:
                return
    finally:
        gc.enable()
    pytest.fail(f"256 KB / 16 KB = {t_big / t_small:.0f} (16 KB: {t_small * 1000:.1f} ms, "
                f"256 KB: {t_big * 1000:.0f} ms): over {BOUND}, super-linear")


def rep(unit: str) -> Callable[[int], str]:
    """``unit`` repeated to ``n`` characters."""
    return lambda n: (unit * (n // len(unit) + 1))[:n]


# ------------------------------------------------------------------ sentences
@pytest.mark.parametrize("unit", ["A. ", "Mr. ", "J. F. K. "],
                         ids=["letters", "titles", "initials"])
def test_sentence_splitter_on_runs_of_abbreviations(unit):
    # every boundary is an abbreviation, so the sentence so far grows
    # (it was copied at every boundary)
    grows_linearly(S.split_spans, rep(unit))


def test_sentences_cut_a_run_without_an_end():
    spans = S.split_spans("word " * 2000)
    assert len(spans) == 5 and max(e - s for s, e in spans) <= S.MAX_SENTENCE
    # a word longer than the limit stays whole: a number is still one number
    text = "1" * 5000 + " people"
    assert S.split_spans(text) == [(0, 5000), (5001, 5007)]


# --------------------------------------------------------------------- titles
@pytest.mark.parametrize("make", [rep("a"), rep("A. "), rep('."')],
                         ids=["word", "initials", "dots"])
def test_derive_title(make):
    grows_linearly(derive_title, make)


# --------------------------------------------------------------------- quotes
def test_quote_spans_on_single_quote_openers():
    # many ‘ that open nothing ("the ‘90s"), each looking for its closer
    grows_linearly(Q.find_quote_spans, rep("‘a bs’ "))


def _quoted(text: str) -> object:
    return Q.find_quoted(text, [])


@pytest.mark.parametrize("make", [
    # a trailing cue's subject over letters without a space: cubic
    lambda n: "“one two three four” , " + "A" * n,
    lambda n: "“one two three four” " + rep("-A")(n),
    rep("“one two three four” "),  # many quotes in one paragraph
    lambda n: "“one two three four” " + rep("x said he ")(n),  # repeated cues
    lambda n: "“one two three four”" + " " * n + "x",  # space before a cue
    rep("“one two three four” Aa Bb Cc "),  # a name after every quote
    rep("‘one two three four,’ "),  # single quotes: no double mark after them
    lambda n: "A" * (n // 2) + rep(" “one two three four”")(n // 2),  # a long line label
], ids=["trailing-cue", "hyphens", "many-quotes", "said-he", "spaces", "names",
        "single-quotes", "label"])
def test_find_quoted(make):
    grows_linearly(_quoted, make)


def _people(text: str, name: str) -> list[Entity]:
    """``name`` as a person mentioned wherever it stands (made by hand: the
    setup is not what is timed)."""
    spans = tuple(m.span() for m in re.finditer(re.escape(name), text))
    return [Entity(name, "PERSON", spans, ())]


def test_find_quoted_with_people():
    # a pronoun in every cue, resolved among the people before it
    def make(n: int) -> tuple:
        text = rep("Mr. Kim Lee, she said, “one two three four” ")(n)
        return text, _people(text, "Kim Lee")

    grows_linearly(lambda args: Q.find_quoted(*args), make)


def test_parse_pass_frames_each_sentence_once():
    spacy = pytest.importorskip("spacy")
    blank = spacy.blank("en")  # a real pipeline (tokens, no parse): the frames are what is timed
    grows_linearly(lambda t: Q.find_quoted(t, [], parser=blank),
                   rep("“one two three four,” Kim said “five six seven eight” "))


# ------------------------------------------------------------------- entities
@pytest.mark.parametrize("make", [
    rep("x Aa went home. "),  # a name after every sentence end (searched for from 0)
    rep("May 1999 Aa Bb "),  # names among dates (each checked against all dates)
], ids=["sentence-starts", "dates"])
def test_rule_entities(make):
    grows_linearly(E.rule_entities, make)


def test_build_entities_with_many_names():
    # distinct people, each named once: every name was looked for in the whole text
    def make(n: int) -> tuple[str, list[E.RawEntity]]:
        text = "".join(f"Ka{i} Lb{i} said so then. " for i in range(n // 24))
        return text, [E.RawEntity(*m.span(), "PERSON")
                      for m in re.finditer(r"Ka\d+ Lb\d+", text)]

    grows_linearly(lambda args: E.build_entities(*args), make)


def test_build_entities_with_headlines_in_capitals():
    def caps(n: int) -> str:
        return "".join(f"KA{i} LB{i} AND MORE\nthe body of line {i} here.\n"
                       for i in range(n // 44))

    grows_linearly(lambda t: E.build_entities(t, E.rule_entities(t)), caps)


@pytest.mark.parametrize("make, label", [
    (lambda n: rep("the ")(n) + "Kim", "PERSON"),  # trimmed a word at a time
    (lambda n: "Aa" + " " * n + "Bb", "ORG"),  # a run of spaces inside a span
    (lambda n: rep("Sen. ")(n) + "Kim", "PERSON"),  # titles before a name
], ids=["leading-the", "spaces", "titles"])
def test_clean_on_long_spans(make, label):
    grows_linearly(lambda t: E.clean(t, [E.RawEntity(0, len(t), label)]), make)


def test_whole_words_finds_what_str_find_finds():
    text = "Liu met Liuzhou’s Liu-Kim, O’Neil and o’neil; LIU said liu. " * 3
    words = {"Liu", "LIU", "O’Neil", "Kim", "liu", "’Neil", "said liu"}
    for ok in (E._occurrence_ok, E._alone_ok):
        assert E._whole_words(text, words, ok, few=0) == E._whole_words(text, words, ok,
                                                                         few=100)


# -------------------------------------------------------------------- numbers
def test_numbers_in_long_amounts():
    grows_linearly(D._numbers_in, rep("In 2024 some 1,500,000,000 paid £3.5m or 15% on May 1. "))


def test_a_number_of_thousands_of_digits_is_a_number():
    # (int() refuses more than 4,300 digits: the year check read it first)
    d = D.diff_texts("1" * 5000 + " people came.", "1" * 5000 + "2 people came.")
    assert [c.to for c in d.number_changes if c.to] == ["1" * 5000 + "2"]


# ------------------------------------------------------------------ alignment
def _tokens(n: int) -> list[tuple[str, ...]]:
    return [("alpha", "beta", "gamma")] * (n // 20)  # one sentence over and over


def test_align_many_identical_sentences():
    grows_linearly(lambda ss: A.align(ss, ss, gap_sim=0.15), _tokens)
    al = A.align(_tokens(SMALL), _tokens(SMALL))
    assert al.identical == len(al.groups) == SMALL // 20  # still one to one, in order


def test_diff_many_identical_sentences():
    grows_linearly(lambda t: D.diff_texts(t, t),
                   rep("Alpha beta gamma delta epsilon zeta eta theta iota kappa lambda. "))


def test_diff_many_added_sentences():
    def added(n: int) -> str:
        return " ".join(f"W{i} x{i} y{i}." for i in range(n // 14))

    grows_linearly(lambda t: D.diff_texts("Alpha beta.", t), added)


def _quotes(text: str) -> list[Quote]:
    """The quotes and phrases of ``text`` (made by hand, as for _people)."""
    return [Quote(m.group(1), "Kim", m.start(), m.end(),
                  "quote" if len(m.group(1).split()) >= Q.MIN_WORDS else "phrase")
            for m in re.finditer("“([^”]*)”", text)]


def test_diff_quotes_and_phrases():
    # each quote and phrase was compared with all of the other text's
    def make(n: int) -> dict:
        a = rep("Kim said “one two three four” and “a”. "
                + "Lee said “one two three six” and “b”. " * 9)(n)
        b = a.replace("four", "five")
        return {"a": a, "b": b, "ents_a": [], "ents_b": [],
                "quotes_a": _quotes(a), "quotes_b": _quotes(b)}

    grows_linearly(lambda kw: D.diff_texts(**kw), make)
