"""Quotes and speakers: the hand annotation of the seeds, and the hard cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.nlp import entities as E
from index.nlp.entities import load_extractor
from index.nlp.quotes import find_quote_spans, find_quoted, find_quotes

GOLD = Path(__file__).resolve().parent / "data" / "quotes_gold.json"


def quotes_of(text: str, kind: str = "rules"):
    """As variorum annotates: with the spaCy extractor, speakers from the parse."""
    from index.nlp.speakers import load_parser

    ents = E.extract([text], load_extractor(kind))[0]
    return find_quotes(text, ents, load_parser() if kind == "spacy" else None)


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


# ------------------------------------------------- speakers read from the parse
# Every sentence below is made up (invented people); each case is a class of
# speaker errors the regex cues made on real campaign coverage.
def parsed(text: str):
    """Quotes and phrases with speakers read from the parse (spaCy NER and
    parser)."""
    from index.nlp.speakers import load_parser

    parser = load_parser()
    if parser is None:
        pytest.skip("spaCy's model is not installed")
    ents = E.extract([text], load_extractor("spacy"))[0]
    return find_quoted(text, ents, parser=parser)


def speakers_of(text: str) -> list[str | None]:
    return [q.speaker for q in parsed(text) if q.kind == "quote"]


def test_a_title_is_never_the_speaker():
    text = ("The committee met on Tuesday to debate the bill.\n"
            "“We will fight this bill until the very last vote,” said Rep. Dana Whitlow "
            "(D-Ore.), who has opposed it from the start.")
    assert speakers_of(text) == ["Dana Whitlow"]


def test_the_name_in_an_apposition_or_after_a_title():
    text = ("Campaign chairman Elias Tormund said the polls were wrong. "
            "Later, the Shadow Minister for Rural Affairs, Petra Hallgrim, said: "
            "“We will not accept these cuts to farming at all.”")
    assert speakers_of(text) == ["Petra Hallgrim"]
    text = ("“The numbers simply do not add up for our side,” campaign chairman Elias "
            "Tormund said in a statement.")
    assert speakers_of(text) == ["Elias Tormund"]


def test_a_speaker_of_a_relative_clause_is_not_the_subject():
    # the regex cue took the last person before the speech verb (Lindqvist)
    text = ("Tom Becker, who joined Ava Lindqvist on the ticket in July, told reporters: "
            "“We will bring these jobs back home to this state.”")
    assert speakers_of(text) == ["Tom Becker"]


def test_the_subject_of_the_verb_not_the_nearest_name():
    text = ("Tom Becker responded to Senator Ava Lindqvist on Monday: “That is simply "
            "not what happened on that night in March.”")
    assert speakers_of(text) == ["Tom Becker"]


def test_a_quote_about_someone_is_not_theirs():
    text = ("Ava Lindqvist said on Monday that she would stay in the race.\n"
            "“Ava Lindqvist is a danger to this country and to its people,” her critics "
            "said in a letter.")
    assert speakers_of(text) == [None]


def test_a_speech_verb_the_cues_did_not_know():
    # "responded" was not a cue: the speaker was null with the name right there
    text = ("The debate turned to taxes.\n"
            "Marta Quill responded: “Nobody in this room believes that plan will work.”")
    assert speakers_of(text) == ["Marta Quill"]


def test_an_organisation_speaks():
    text = ("“We are reviewing the report carefully and will respond in due course,” "
            "the Foreign Office said in a statement on Friday.")
    got = speakers_of(text)
    assert got == ["Foreign Office"]


def test_a_pronoun_agrees_in_gender():
    text = ("Ava Lindqvist launched her campaign in May.\n"
            "Tom Becker met Ava Lindqvist in Ames on Monday.\n"
            "“We agreed on nothing at all, frankly, and that is fine,” she said.")
    assert speakers_of(text) == ["Ava Lindqvist"]


def test_headline_capitals_are_never_a_speaker():
    text = ("DONNA HALVORSEN VOWS TO FIGHT ON\n"
            "“This race is far from over for anyone in it,” he said.")
    assert speakers_of(text) == [None]


def test_transcript_lines():
    text = ("BECKER: I have said this many times before, and I will say it again.\n"
            "LINDQVIST: As I told the voters, “We will win this state in November.”\n"
            "BECKER: Thank you.")
    got = parsed(text)
    assert [(q.text, q.speaker) for q in got] == [
        ("We will win this state in November.", "Lindqvist")]


def test_a_question_then_its_cue():
    text = ("“Why would anyone vote for a plan like this one?” Marta Quill asked the "
            "crowd in Ames.")
    assert speakers_of(text) == ["Marta Quill"]


def test_phrases_get_their_user_through_verbs_of_expression():
    text = ("Marta Quill expressed “serious concerns” about the plan, which her rival "
            "Tom Becker had called “a bold step” only a week earlier.")
    got = [(q.text, q.speaker) for q in parsed(text) if q.kind == "phrase"]
    assert got == [("serious concerns", "Marta Quill"), ("a bold step", "Tom Becker")]


def test_without_a_parser_the_regex_cues_still_work():
    text = "“We will win this election easily,” Jones said."
    ents = E.extract([text], load_extractor("rules"))[0]
    got = find_quoted(text, ents, parser=None)
    assert [(q.text, q.speaker) for q in got] == [("We will win this election easily,", "Jones")]


def test_a_name_only_the_headline_gives_is_not_the_speakers_name():
    text = ("Marta Quill Says She Will Stay In Race\n"
            "Marta Quill spoke to supporters in Ames on Monday.\n"
            "“I am not going anywhere before the vote in March,” Quill said.")
    assert speakers_of(text) == ["Marta Quill"]


def test_a_verb_with_no_subject_defers_to_the_verb_above():
    text = ("Dana Whitlow said it was foolish to think that “the money will simply appear "
            "out of nowhere next year.”")
    assert speakers_of(text) == ["Dana Whitlow"]


def test_annotate_reads_speakers_from_the_parse_with_the_spacy_extractor():
    from index.nlp.annotate import annotate_texts

    text = ("Tom Becker, who joined Ava Lindqvist on the ticket in July, told reporters: "
            "“We will bring these jobs back home to this state.”")
    ex = load_extractor("spacy")
    if not ex.key.startswith("spacy-"):
        pytest.skip("spaCy's model is not installed")
    (_, quotes), = annotate_texts([text], ex)
    assert [q.speaker for q in quotes] == ["Tom Becker"]
