"""Quotes and speakers: the hand annotation of the seeds, and the hard cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import entities as E
from index.entities import load_extractor
from index.quotes import find_quote_spans, find_quotes

GOLD = Path(__file__).resolve().parent / "data" / "quotes_gold.json"


def quotes_of(text: str, kind: str = "rules"):
    ents = E.extract([text], load_extractor(kind))[0]
    return find_quotes(text, ents)


def score(kind: str, sample_dir: Path) -> tuple[float, float, float, list[str]]:
    """Quote precision, recall and speaker accuracy against the annotation."""
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    tp = fp = fn = right = 0
    wrong: list[str] = []
    for name, quotes in gold.items():
        if name.startswith("_"):
            continue
        text = (sample_dir / name).read_text(encoding="utf-8")
        want = {q["text"]: q["speaker"] for q in quotes}
        got = quotes_of(text, kind)
        for q in got:
            if q.text in want:
                tp += 1
                if q.speaker in want[q.text]:
                    right += 1
                else:
                    wrong.append(f"{name}: {q.speaker!r} for {q.text[:40]!r}")
            else:
                fp += 1
                wrong.append(f"{name}: not a quote {q.text[:40]!r}")
        fn += len(set(want) - {q.text for q in got})
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1), right / max(tp, 1), wrong


@pytest.mark.parametrize("kind", ["spacy", "rules"])
def test_seed_quotes_against_the_hand_annotation(kind, sample_dir):
    precision, recall, speakers, wrong = score(kind, sample_dir)
    assert precision >= 0.9 and recall >= 0.9 and speakers >= 0.9, wrong


def test_gold_file_covers_at_least_two_articles_with_quotes():
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    assert sum(1 for k, v in gold.items() if not k.startswith("_") and len(v) >= 3) >= 2


def test_the_liu_betrayal_quote(sample_dir, sample_files):
    text = (sample_dir / sample_files["001"]).read_text(encoding="utf-8")
    got = {q.text: q for q in quotes_of(text, "spacy")}
    q = got["China does not believe that the alliance between Russia and North Korea will "
            "be a betrayal,"]
    assert q.speaker == "Liu Dongshu"  # "said Liu" → the full name through the aliases
    assert text[q.start] == "“" and text[q.end - 1] == "”"
    yun = next(q for q in got.values() if q.text.startswith("But they know"))
    assert yun.speaker == "Yun Sun"  # "she said": the person who spoke last


def test_spun_copy_attributes_the_changed_name(sample_dir, sample_files):
    text = (sample_dir / sample_files["004"]).read_text(encoding="utf-8")
    got = quotes_of(text, "spacy")
    assert any(q.speaker == "Yun Soler" for q in got)  # "… he said" after Yun Soler


def test_article_without_quotes(sample_dir, sample_files):
    text = (sample_dir / sample_files["002"]).read_text(encoding="utf-8")
    assert quotes_of(text) == []  # “Asian NATO” is two words: a term, not a quote


def test_apostrophes_are_not_quote_marks():
    text = ("The Workers’ Party met. The dictators’ allies said nothing. "
            "“We don’t know what the Workers’ Party will do,” Kim said. It’s late.")
    got = quotes_of(text)
    assert [q.text for q in got] == ["We don’t know what the Workers’ Party will do,"]
    assert got[0].speaker == "Kim"


def test_single_curly_quotes_with_possessives_inside():
    text = "Smith said: ‘The dictators’ friends are not our friends.’ Then he left."
    got = quotes_of(text)
    assert [q.text for q in got] == ["The dictators’ friends are not our friends."]
    assert got[0].speaker == "Smith"


def test_unbalanced_quotes_are_dropped_not_guessed():
    text = ("“This quote never closes and the paragraph ends.\n"
            "A plain paragraph follows.\n"
            "A stray closing mark” here, and “a proper quote of five words,” Lee said.")
    got = quotes_of(text)
    assert [q.text for q in got] == ["a proper quote of five words,"]


def test_quote_over_two_paragraphs():
    text = ("“The first part of the quote runs to the end of this paragraph.\n"
            "“And the second part closes it here,” said Maria Lopez, a teacher.\n"
            "Another paragraph.")
    got = quotes_of(text)
    assert len(got) == 1
    q = got[0]
    assert q.text == ("The first part of the quote runs to the end of this paragraph.\n"
                      "And the second part closes it here,")
    assert q.speaker == "Maria Lopez"
    assert (q.start, q.end) == (0, text.index("” said") + 1)
    parts, _, _ = find_quote_spans(text)[0]
    assert len(parts) == 2


def test_straight_quotes_and_inch_marks():
    text = 'He is 5\'11" tall. "We will win this election easily," Jones said.'
    got = quotes_of(text)
    assert [(q.text, q.speaker) for q in got] == [
        ("We will win this election easily,", "Jones")]


def test_cues_before_after_and_carried():
    text = ("Anna Berg, a lawyer, said on Monday: “The ruling changes nothing for us.”\n"
            "“We will appeal it in the coming weeks,” she added.\n"
            "“The court has made a serious mistake here.”\n"
            "Officials declined to comment.\n"
            "“Nobody has told us anything about the plan.”")
    got = quotes_of(text)
    assert [q.speaker for q in got] == ["Anna Berg", "Anna Berg", "Anna Berg", None]


def test_short_scare_quotes_and_titles_are_not_quotes():
    text = ('The so-called “no limits” partnership and the memoir “Never Give an Inch” '
            'were discussed, along with the "Treaty of Friendship and Mutual Assistance".')
    assert quotes_of(text) == []


def test_a_stray_opening_single_quote_does_not_hide_later_quotes():
    text = "Back in the ‘90s, Kim said “this is a long quote indeed,” and then left."
    got = quotes_of(text)
    assert [q.text for q in got] == ["this is a long quote indeed,"]
