"""Entities: the spaCy extractor and the rule fallback on the real seeds, the
clean-ups, aliases, caching, corpus-wide extraction and entity search."""

from __future__ import annotations

import re
import shutil

import pytest

from index import Corpus, CorpusError, QueryError
from index.nlp import annotate as A
from index.nlp import entities as E
from index.nlp.entities import RawEntity, build_entities, clean, load_extractor


def read(sample_dir, name: str) -> str:
    return (sample_dir / name).read_text(encoding="utf-8")


def by_name(ents) -> dict[str, E.Entity]:
    return {e.name: e for e in ents}


@pytest.fixture(scope="module")
def spacy_ex():
    return load_extractor("spacy")


@pytest.fixture(params=["spacy", "rules"])
def extractor(request):
    return load_extractor(request.param)


def test_auto_prefers_spacy_and_env_forces_rules(monkeypatch):
    monkeypatch.delenv("VARIORUM_NER", raising=False)
    E.choose_extractor.cache_clear()
    assert E.choose_extractor().kind == "spacy"
    monkeypatch.setenv("VARIORUM_NER", "rules")
    E.choose_extractor.cache_clear()
    assert E.choose_extractor().kind == "rules"
    assert E.load_extractor().name.startswith("rules")
    E.choose_extractor.cache_clear()


def test_spacy_loads_only_what_ner_needs(spacy_ex):
    assert spacy_ex.nlp.pipe_names == ["ner"]
    assert spacy_ex.package in E.MODEL_PACKAGES


def test_seed_people_and_organisations(sample_dir, sample_files, extractor):
    ents = E.extract([read(sample_dir, sample_files["001"])], extractor)[0]
    got = by_name(ents)
    liu = got["Liu Dongshu"]
    assert liu.label == "PERSON" and "Liu" in liu.aliases
    text = read(sample_dir, sample_files["001"])
    # every mention, the short form included: "Liu Dongshu" once, "Liu" four times
    assert [text[s:e] for s, e in liu.mentions] == ["Liu Dongshu"] + ["Liu"] * 4
    assert got["Kim Jong Un"].label == "PERSON" and "Kim" in got["Kim Jong Un"].aliases
    assert got["Yun Sun"].label == "PERSON"
    assert got["Stimson Center"].label == "ORG"  # "the Stimson Center": no "the"
    assert got["City University of Hong Kong"].label == "ORG"
    assert got["North Korea"].label == "GPE"
    assert not [n for n in got if n.lower().startswith("the ")]
    assert not [n for n in got if n.endswith(("’s", "'s"))]


def test_spun_copy_keeps_the_changed_names(sample_dir, sample_files, spacy_ex):
    got = by_name(E.extract([read(sample_dir, sample_files["004"])], spacy_ex)[0])
    assert got["Yun Soler"].label == "PERSON"
    assert got["Hong Kong Town College"].label == "ORG"


def test_entities_are_grouped_by_label_most_mentioned_first(sample_dir, sample_files,
                                                           spacy_ex):
    ents = E.extract([read(sample_dir, sample_files["001"])], spacy_ex)[0]
    order = [E.LABELS.index(e.label) for e in ents]
    assert order == sorted(order)
    people = [e.count for e in ents if e.label == "PERSON"]
    assert people == sorted(people, reverse=True)
    assert all(e.count == len(e.mentions) > 0 for e in ents)
    assert all(s < e for ent in ents for s, e in ent.mentions)


def test_clean_ups():
    text = "the Stimson Center said. Putin’s visit took decades. Acme Institute met on May 5."
    raw = [RawEntity(0, 18, "FAC"), RawEntity(25, 32, "PERSON"),
           RawEntity(44, 51, "DATE"), RawEntity(53, 67, "PERSON"), RawEntity(75, 81, "DATE"),
           RawEntity(0, 3, "CARDINAL")]
    got = [(text[r.start:r.end], r.label) for r in clean(text, raw)]
    assert got == [("Stimson Center", "ORG"), ("Putin", "PERSON"),
                   ("Acme Institute", "ORG"), ("May 5", "DATE")]


def raw_at(text: str, sub: str, label: str, nth: int = 0) -> RawEntity:
    """A raw entity over the ``nth`` occurrence of ``sub``."""
    pos = -1
    for _ in range(nth + 1):
        pos = text.index(sub, pos + 1)
    return RawEntity(pos, pos + len(sub), label)


def test_aliases_join_short_names_and_count_every_mention():
    text = ("Liu Dongshu teaches. Liu said no. Kim Jong Un came; Kim left. "
            "Liu again, and Kim.")
    raw = [raw_at(text, "Liu Dongshu", "PERSON"), raw_at(text, "Liu", "PERSON", 1),
           raw_at(text, "Kim Jong Un", "PERSON"), raw_at(text, "Kim", "ORG", 1)]
    got = by_name(build_entities(text, raw))
    assert set(got) == {"Liu Dongshu", "Kim Jong Un"}
    assert got["Liu Dongshu"].count == 3 and got["Liu Dongshu"].aliases == ("Liu",)
    assert got["Kim Jong Un"].count == 3 and got["Kim Jong Un"].label == "PERSON"


def test_honorifics_are_not_part_of_a_name():
    text = "Oona King won. Ms King said so. Mr. King agreed."
    raw = [raw_at(text, "Oona King", "PERSON"), raw_at(text, "Ms King", "PERSON"),
           raw_at(text, "Mr. King", "PERSON")]
    got = by_name(build_entities(text, raw))
    assert set(got) == {"Oona King"} and got["Oona King"].count == 3


def test_ambiguous_short_name_goes_to_the_most_mentioned_full_name():
    text = "Kim Jong Un spoke. Kim Jong Un left. Kim Yo Jong stayed. Kim waved."
    raw = [raw_at(text, "Kim Jong Un", "PERSON"), raw_at(text, "Kim Jong Un", "PERSON", 1),
           raw_at(text, "Kim Yo Jong", "PERSON"), raw_at(text, "Kim", "PERSON", 3)]
    got = by_name(build_entities(text, raw))
    assert got["Kim Jong Un"].count == 3 and got["Kim Yo Jong"].count == 1


def test_rule_fallback_finds_dates_places_and_organisations(sample_dir, sample_files):
    ents = E.extract([read(sample_dir, sample_files["001"])], load_extractor("rules"))[0]
    got = by_name(ents)
    assert got["June 21, 2019"].label == "DATE"
    assert got["China"].label == "GPE"
    assert got["National Security Council"].label == "ORG"
    assert got["Chinese"].label == "NORP"
    assert "Beijing" in got and got["Beijing"].label == "GPE"


def test_empty_and_huge_texts(spacy_ex):
    assert E.extract([""], spacy_ex) == [[]]
    para = "Angela Merkel met Emmanuel Macron in Berlin on Monday.\n"
    big = para * 2000  # 110,000 characters: handed to spaCy in pieces
    ents = by_name(E.extract([big], spacy_ex)[0])
    assert ents["Angela Merkel"].count == 2000
    assert ents["Berlin"].count == 2000


# ------------------------------------------------------------ corpus level


def test_annotations_are_cached_per_text(sample_dir, sample_files, corpus_dir, open_corpus):
    shutil.copy(sample_dir / sample_files["001"], corpus_dir / "a.txt")
    shutil.copy(sample_dir / sample_files["001"], corpus_dir / "copy.txt")
    c = open_corpus(corpus_dir)
    c.update(procs=1)
    key = A.cache_key(E.choose_extractor())
    assert c.entity_coverage() == (0, 2)
    ann = c.annotations("a.txt")
    assert ann.extractor.startswith("spaCy")
    # the copy has the same text: its annotations are already there
    assert c.entity_coverage() == (2, 2)
    assert c.annotations("copy.txt").entities == ann.entities
    row = c.store.annotation(c.store.meta_by_id(c.resolve("a.txt"))[1], key)
    assert row is not None


def test_update_entities_resumes_after_cancel_and_forgets_deleted(
        sample_dir, sample_files, corpus_dir, open_corpus, monkeypatch):
    import index.nlp.annotate as A

    monkeypatch.setattr(A, "CHUNK", 2)
    for k in ("000", "001", "002", "003", "004"):
        shutil.copy(sample_dir / sample_files[k], corpus_dir / sample_files[k])
    c = open_corpus(corpus_dir, ner="rules")
    c.update(procs=1)
    calls = []
    # progress is called once at the start, then after each chunk: stop after the first
    r = c.update_entities(procs=1, cancel=lambda: len(calls) > 1,
                          progress=lambda _phase, d, t: calls.append((d, t)))
    assert r.cancelled and calls == [(0, 5), (2, 5)]
    assert c.entity_coverage() == (2, 5)  # what was finished is kept
    r2 = c.update_entities(procs=1)
    assert not r2.cancelled and c.entity_coverage() == (5, 5)
    assert (r2.cached, r2.done) == (2, 3)
    # deleting an article drops what was stored for it
    (corpus_dir / sample_files["003"]).unlink()
    c.update(procs=1)
    assert c.entity_coverage() == (4, 4)
    assert c.search('person:"John Delury"').total == 0


def test_update_entities_in_worker_processes(sample_dir, sample_files, corpus_dir,
                                             open_corpus, monkeypatch):
    import index.nlp.annotate as A
    from index import jobs, pools

    monkeypatch.setattr(A, "CHUNK", 1)
    monkeypatch.setattr(jobs, "PARALLEL_MIN_CHUNKS", 3)  # three chunks go to workers
    made = []
    real_pool = pools.process_pool
    monkeypatch.setattr(pools, "process_pool",
                        lambda n, *a: made.append(n) or real_pool(n, *a))
    for k in ("001", "003", "004"):
        shutil.copy(sample_dir / sample_files[k], corpus_dir / sample_files[k])
    c = open_corpus(corpus_dir)
    c.update(procs=1)
    r = c.update_entities(procs=2)
    assert made == [2]
    assert (r.done, r.total) == (3, 3) and c.entity_coverage() == (3, 3)
    # the workers' results are the same as extracting here
    ann = c.annotations(sample_files["003"])
    assert "John Delury" in by_name(ann.entities)


def test_entity_search(sample_corpus, sample_files):
    c = sample_corpus
    c.update_entities(procs=1)

    def paths(q: str) -> set[str]:
        return {h.path for h in c.search(q, limit=50).hits}

    assert paths('person:"Liu Dongshu"') == {sample_files["001"], sample_files["004"]}
    assert paths("person:liu") == {sample_files["001"], sample_files["004"]}
    assert paths('entity:"Stimson Center"') == {sample_files["001"], sample_files["003"],
                                               sample_files["004"]}
    assert paths('org:"Hong Kong Town College"') == {sample_files["004"]}
    assert paths('person:"Yun Soler"') == {sample_files["004"]}
    # composes with the rest of the query language
    assert paths('person:"Yun Sun" AND delury') == {sample_files["003"]}
    assert sample_files["001"] not in paths("place:pyongyang -person:liu")
    assert paths("person:nobody") == set()
    with pytest.raises(QueryError, match="person: takes a name"):
        c.search("person:li*")
    # the hits of an entity clause are the entity's mentions, short forms too
    hit = c.search('person:"Liu Dongshu"', limit=5).hits
    art = next(h for h in hit if h.path == sample_files["001"])
    text = c.get(art.id).text
    assert {text[s:e] for s, e in art.spans} == {"Liu Dongshu", "Liu"}
    assert len(art.spans) == 5
    assert c.search('person:"Liu Dongshu"').note is None


def test_entity_search_says_when_extraction_is_incomplete(sample_dir, sample_files,
                                                          corpus_dir, open_corpus):
    for k in ("001", "003"):
        shutil.copy(sample_dir / sample_files[k], corpus_dir / sample_files[k])
    c = open_corpus(corpus_dir, ner="rules")
    c.update(procs=1)
    c.annotations(sample_files["003"])
    res = c.search('person:"Yun Sun"')
    assert res.total == 1 and "1 of 2 articles" in res.note


def test_extractor_change_redoes_annotations(sample_dir, sample_files, corpus_dir):
    shutil.copy(sample_dir / sample_files["003"], corpus_dir / "a.txt")
    ix = corpus_dir.parent / "ix"
    rules = Corpus(corpus_dir, index_dir=ix, ner="rules")
    rules.update(procs=1)
    assert rules.annotations("a.txt").extractor.startswith("rules")
    rules.close()
    spacy = Corpus(corpus_dir, index_dir=ix, ner="spacy")
    assert spacy.entity_coverage() == (0, 1)  # the rules' annotations are not spaCy's
    assert spacy.annotations("a.txt").extractor.startswith("spaCy")
    spacy.close()


def test_a_shorter_name_inside_a_longer_one_is_not_its_mention():
    text = "North Korea tested a missile. Korea was divided in 1945. North Korea denied it."
    raw = [raw_at(text, "North Korea", "GPE"), raw_at(text, "Korea", "GPE", 1)]
    got = by_name(build_entities(text, raw))
    nk, k = got["North Korea"], got["Korea"]
    assert [text[s:e] for s, e in nk.mentions] == ["North Korea", "North Korea"]
    assert [text[s:e] for s, e in k.mentions] == ["Korea"]
    assert not {(s, e) for s, e in k.mentions} & set(nk.mentions)
    assert all(not (a < d and c < b) for a, b in k.mentions for c, d in nk.mentions)


def test_entity_search_with_apostrophes_and_dots(write_files, open_corpus):
    root = write_files({
        "a.txt": "Council meeting\nPresident Conan O'Neill met U.S. officials in Dublin.\n"
                 "O'Neill said the talks went well.\n",
        "b.txt": "Weather\nRain is expected in Dublin all week.\n",
    })
    c = open_corpus(root, ner="rules")
    c.update(procs=1)
    c.update_entities(procs=1)
    ents = {e.name for e in c.annotations("a.txt").entities}
    assert "Conan O'Neill" in ents
    assert [h.path for h in c.search("person:\"O'Neill\"").hits] == ["a.txt"]
    assert [h.path for h in c.search("person:o'neill").hits] == ["a.txt"]
    assert c.search("person:\"Conan O'Neill\"").total == 1


# ------------------------------------------------- the small model's slips


def test_numbers_and_amounts_are_never_names():
    text = ("Spending reached 280bn last year, Ada Pike said; a ticket costs £1,400, "
            "up 15%, and 9X paid $2m.")
    raw = [raw_at(text, "280bn", "PERSON"), raw_at(text, "Ada Pike", "PERSON"),
           raw_at(text, "£1,400", "ORG"), raw_at(text, "15%", "GPE"),
           raw_at(text, "9X", "ORG"), raw_at(text, "$2m", "PERSON")]
    got = [(text[r.start:r.end], r.label) for r in clean(text, raw)]
    assert got == [("Ada Pike", "PERSON"), ("9X", "ORG")]


def test_trailing_scores_and_numbers_are_not_part_of_a_name():
    text = ("Marsh Rovers 2-1 at home. Dunmore 3 Kilbride 0. T. Okafor 63 not out. "
            "Studio 9 aired it.")
    raw = [raw_at(text, "Marsh Rovers 2-1", "ORG"), raw_at(text, "Dunmore 3", "PERSON"),
           raw_at(text, "T. Okafor 63", "PERSON"), raw_at(text, "Studio 9", "ORG")]
    got = [text[r.start:r.end] for r in clean(text, raw)]
    assert got == ["Marsh Rovers", "Dunmore", "T. Okafor", "Studio 9"]


def test_titles_alone_are_not_names_and_do_not_start_a_persons_name():
    text = ("The Shadow Secretary of State for Housing, Jane Ostrowska, spoke. Rep. Tom "
            "Halvorsen and Sen. Ada Pike agreed; Sen said no, Rep nodded, Mr. waved. Mr King, "
            "Mara King's son, laughed.")
    raw = [raw_at(text, "Shadow", "ORG"), raw_at(text, "State", "ORG"),
           raw_at(text, "Secretary of State", "ORG"),
           raw_at(text, "Rep. Tom Halvorsen", "PERSON"), raw_at(text, "Sen. Ada Pike", "PERSON"),
           raw_at(text, "Sen", "PERSON", 1), raw_at(text, "Rep", "PERSON", 1),
           raw_at(text, "Mr.", "PERSON"), raw_at(text, "Mr King", "PERSON"),
           raw_at(text, "Mara King", "PERSON")]
    got = [(text[r.start:r.end], r.label) for r in clean(text, raw)]
    assert got == [("Tom Halvorsen", "PERSON"), ("Ada Pike", "PERSON"), ("King", "PERSON"),
                   ("Mara King", "PERSON")]


def test_a_section_label_before_a_spaced_dash_is_not_part_of_a_name():
    text = ("TENNIS - Halvorsen wins in Ashford.\nThe Tarrow Union - the largest - grew. "
            "Top picks: The Larks - Ever Onward. Band of 2004 tops it.")
    raw = [raw_at(text, "TENNIS - Halvorsen", "PERSON"),
           raw_at(text, "Tarrow Union - the", "ORG"), raw_at(text, "Larks - Ever Onward", "ORG"),
           raw_at(text, "Band of 2004", "ORG")]
    got = [text[r.start:r.end] for r in clean(text, raw)]
    assert got == ["Halvorsen", "Tarrow Union", "Band of 2004"]


def test_a_side_in_a_game_is_an_organisation_in_the_whole_article():
    text = ("Kilbride beat Ashford on Saturday. Kilbride's striker Tom Reyes scored twice, "
            "and Ashford won 3-1 at Dunmore last week. Ellisford's goalkeeper was hurt.\n"
            "Dunmore 2 Marsh Rovers 0\nNorway beat Iceland 2-0.\n")
    raw = [raw_at(text, "Kilbride", "GPE"), raw_at(text, "Ashford", "GPE"),
           raw_at(text, "Kilbride", "PERSON", 1), raw_at(text, "Tom Reyes", "PERSON"),
           raw_at(text, "Ashford", "PERSON", 1), raw_at(text, "Dunmore", "GPE"),
           raw_at(text, "Ellisford", "PERSON"), raw_at(text, "Dunmore 2", "PERSON"),
           raw_at(text, "Norway", "GPE"), raw_at(text, "Iceland", "GPE")]
    got = {e.name: (e.label, e.count) for e in build_entities(text, raw)}
    assert got == {"Kilbride": ("ORG", 2), "Ashford": ("ORG", 2), "Dunmore": ("ORG", 2),
                   "Marsh Rovers": ("ORG", 1), "Ellisford": ("ORG", 1),
                   "Tom Reyes": ("PERSON", 1), "Norway": ("GPE", 1), "Iceland": ("GPE", 1)}


def test_places_and_people_without_a_game_stay_what_they_are():
    text = ("Flooding hit Ashford and Dunmore on Monday. Halvard's side lost, and "
            "Ada Pike's coach said Dunmore 2 was the bus route.")
    raw = [raw_at(text, "Ashford", "GPE"), raw_at(text, "Dunmore", "GPE"),
           raw_at(text, "Halvard", "PERSON"), raw_at(text, "Ada Pike", "PERSON")]
    got = {e.name: e.label for e in build_entities(text, raw)}
    assert got == {"Ashford": "GPE", "Dunmore": "GPE", "Halvard": "PERSON",
                   "Ada Pike": "PERSON"}


def test_result_verbs_and_roles_make_no_side_of_a_place_outside_sports():
    for text, places in [
        ("Ottawa held Brasilia responsible for the failure of the trade talks.",
         ("Ottawa", "Brasilia")),
        ("Oregon's lead in wind power grew again this year, and Nevada's win in the water "
         "case came late.", ("Oregon", "Nevada")),
        ("Madrid's lead over Lisbon as a hub for start-ups narrowed; Quebec's side of the "
         "border and Ontario's team of negotiators met. Iowa's victory in court stood.",
         ("Madrid", "Lisbon", "Quebec", "Ontario", "Iowa")),
        ("Republicans have held Arizona since 1996, and Kansas lost to Oregon in the "
         "rankings of school funding, the league tables of a think tank.",
         ("Arizona", "Kansas", "Oregon")),
        ("The Senate voted 51-49 on the bill. Ottawa held Brasilia to its word. Ottawa's "
         "coach tour was about trade.", ("Ottawa", "Brasilia")),
    ]:
        raw = [raw_at(text, p, "GPE") for p in places]
        got = {e.name: e.label for e in build_entities(text, raw)}
        assert got == {p: "GPE" for p in places}, text


def test_result_verbs_and_roles_make_a_side_of_a_place_in_sports():
    for text, sides in [
        ("Ottawa held Brasilia to a 1-1 draw.", ("Ottawa", "Brasilia")),
        ("Kilbride beat Ashford in the league on Saturday.", ("Kilbride", "Ashford")),
        ("Ashford's lead lasted until half-time.\nDunmore's coach was pleased.",
         ("Ashford", "Dunmore")),
        ("Kilbride lost to Ashford. Ashford's striker was the difference.",
         ("Kilbride", "Ashford")),
    ]:
        raw = [raw_at(text, p, "GPE") for p in sides]
        got = {e.name: e.label for e in build_entities(text, raw)}
        assert got == {p: "ORG" for p in sides}, text


def test_spacy_keeps_places_of_political_and_business_text_places(spacy_ex):
    text = ("Ottawa held Brasilia responsible for the failure of the trade talks. "
            "Oregon's lead in wind power grew again this year. "
            "Madrid's lead over Lisbon as a hub for start-ups narrowed. "
            "Republicans have held Arizona since 1996, and Kansas lost to Oregon in the "
            "rankings.")
    got = {e.name: e.label for e in E.extract([text], spacy_ex)[0]}
    assert "ORG" not in got.values(), got


def test_the_verbs_of_speech_are_one_list():
    from index.nlp import quotes
    from index.text import gazetteer as G

    speech = set(G.SPEECH_VERBS.split("|"))
    assert set(G.SAID_VERBS.split("|")) <= speech
    for pattern in (E._SAID, E._SAID_BEFORE, E._APPOSITION_AFTER, E._SAID_AFTER):
        words = set(re.findall(r"(?<![\\\w])[a-z]{2,}(?: to\b)?", pattern.pattern))
        assert "said" in words
        assert words <= speech | {"who", "has", "had", "is", "was"}
    assert quotes._VERBS is G.SPEECH_VERBS  # quotes attribute with the same list


def test_a_name_in_capitals_is_a_mention_too():
    text = "KILBRIDE MAYOR RESIGNS\n\nKILBRIDE 2024-05-01\n\nThe mayor of Kilbride resigned."
    raw = [raw_at(text, "Kilbride", "GPE")]
    got = by_name(build_entities(text, raw))
    assert [text[s:e] for s, e in got["Kilbride"].mentions] == ["KILBRIDE", "KILBRIDE",
                                                                "Kilbride"]


def test_runs_of_words_in_a_headline_in_capitals_are_not_names():
    text = ("VARGA FOCUSED ON JOBS AS UNAF MEETS IN KILBRIDE\n\n"
            "Tom Varga spoke in Kilbride on Monday. Kilbride is small.")
    raw = [raw_at(text, "VARGA FOCUSED", "PERSON"), raw_at(text, "UNAF", "ORG"),
           raw_at(text, "KILBRIDE", "ORG"), raw_at(text, "Tom Varga", "PERSON"),
           raw_at(text, "Kilbride", "GPE"), raw_at(text, "Kilbride", "GPE", 1)]
    ents = build_entities(text, raw)
    got = {e.name: (e.label, e.count) for e in ents}
    assert got == {"Tom Varga": ("PERSON", 2), "UNAF": ("ORG", 1),
                   "Kilbride": ("GPE", 3)}
    # the headline's VARGA is a mention of him (his surname, in capitals)
    varga = by_name(ents)["Tom Varga"]
    assert [text[s:e] for s, e in varga.mentions] == ["VARGA", "Tom Varga"]


def test_countries_are_places_even_where_the_model_missed_them():
    text = ("MINSK TALKS\n\nEnvoys from Moldova met in Belarus, as BELARUS had asked; "
            "Northern Ireland sent nobody. Jordan Whitlock flew to Europe. "
            "In Peru, turkey is a dish; Chile’s envoy came to Peru.")
    raw = [raw_at(text, "Moldova", "PERSON"), raw_at(text, "Jordan Whitlock", "PERSON")]
    got = {e.name: (e.label, e.count) for e in build_entities(text, raw)}
    assert got == {"Moldova": ("GPE", 1), "Belarus": ("GPE", 2), "Europe": ("LOC", 1),
                   "Peru": ("GPE", 2), "Chile": ("GPE", 1),
                   "Jordan Whitlock": ("PERSON", 1)}


def test_a_surname_alone_is_a_mention_of_the_person_named_in_full():
    text = ("Ada Pike met Tom Reyes and Sam Reyes Jr. Pike said no; Reyes left. Tom Reyes "
            "came back. Ruth Green paints, green is her colour. Green smiled.")
    raw = [raw_at(text, "Ada Pike", "PERSON"), raw_at(text, "Tom Reyes", "PERSON"),
           raw_at(text, "Tom Reyes", "PERSON", 1), raw_at(text, "Sam Reyes Jr.", "PERSON"),
           raw_at(text, "Ruth Green", "PERSON")]
    got = {e.name: (e.count, e.aliases) for e in build_entities(text, raw)}
    assert got == {"Ada Pike": (2, ("Pike",)), "Tom Reyes": (3, ("Reyes",)),
                   "Sam Reyes Jr.": (1, ()), "Ruth Green": (1, ())}


def test_a_person_set_off_after_a_title_or_before_said_is_found_when_the_model_missed_it():
    text = ("The Shadow Minister for Rural Affairs, June Halloway, said: \"We will act.\" "
            "Tom Reyes said no. Harbour Street said yes. In March May said nothing.")
    raw = [raw_at(text, "Shadow", "ORG"), raw_at(text, "June", "DATE"),
           raw_at(text, "March May", "DATE")]
    got = {e.name: e.label for e in build_entities(text, raw)}
    assert got == {"June Halloway": "PERSON", "Tom Reyes": "PERSON", "March May": "DATE"}


def test_the_place_of_a_dateline_is_a_place():
    for text, places in [("Harbour talks\n\nPORT ELLIS 2024-05-01\n\nTalks began.",
                           {"PORT ELLIS"}),
                          ("KILBRIDE (Wire) - Talks began.", {"KILBRIDE"}),
                          ("DUNMORE, Ireland, May 1 - Talks began.", {"DUNMORE", "Ireland"}),
                          ("HARBOUR TALKS BEGIN\n\nTalks began.", set())]:
        got = {(text[s:e], ent.label) for ent in build_entities(text, [])
               for s, e in ent.mentions}
        assert got == {(p, "GPE") for p in places}


def test_field_labels_and_words_for_groups_are_not_names():
    text = "Men's singles, second round\nAttendance: 20,000\nScorers:\nVarga: no deal\n"
    raw = [raw_at(text, "Men", "ORG"), raw_at(text, "Attendance", "PERSON"),
           raw_at(text, "Scorers", "PERSON"), raw_at(text, "Varga", "PERSON")]
    got = [(text[r.start:r.end], r.label) for r in E.drop_labels(text, clean(text, raw))]
    assert got == [("Varga", "PERSON")]


def test_a_role_in_a_club_or_company_and_shares_name_an_organisation():
    text = ("At the ground, Kilbride captain Ann Cole scored. Tarrow chairman Tom Reyes "
            "resigned and Tarrow shares fell. Ada Pike shares a view; Ada Pike's stock answer "
            "came. The Russian coach Ivan Dorokhov and U.S. officials watched.")
    raw = [raw_at(text, "Kilbride", "GPE"), raw_at(text, "Ann Cole", "PERSON"),
           raw_at(text, "Tarrow", "PERSON"), raw_at(text, "Tom Reyes", "PERSON"),
           raw_at(text, "Tarrow", "PERSON", 1), raw_at(text, "Russian", "NORP"),
           raw_at(text, "Ivan Dorokhov", "PERSON"), raw_at(text, "U.S.", "ORG"),
           raw_at(text, "Ada Pike", "PERSON"), raw_at(text, "Ada Pike", "PERSON", 1)]
    got = {e.name: e.label for e in build_entities(text, raw)}
    assert got == {"Kilbride": "ORG", "Ann Cole": "PERSON", "Tarrow": "ORG",
                   "Tom Reyes": "PERSON", "Russian": "NORP", "Ivan Dorokhov": "PERSON",
                   "Ada Pike": "PERSON",
                   "U.S.": "GPE"}


def test_a_company_named_in_full_is_named_by_its_first_word_later():
    text = "Tarrow Holdings Inc bought a mill. Tarrow said the price was fair."
    raw = [raw_at(text, "Tarrow Holdings Inc", "ORG"), raw_at(text, "Tarrow", "PERSON", 1)]
    got = {e.name: (e.label, e.count, e.aliases) for e in build_entities(text, raw)}
    assert got == {"Tarrow Holdings Inc": ("ORG", 2, ("Tarrow",))}


def test_a_royal_title_stays_and_markets_and_tennis_sets_do_not_make_an_organisation():
    text = ("Prince Aldric met Aldric Dunmore. Kilbride shares fell. Ada Pike beat Jo Reyes "
            "of Port Ellis 6-7 7-5 6-3. The row - the worst yet - went on.")
    raw = [raw_at(text, "Prince Aldric", "PERSON"), raw_at(text, "Aldric Dunmore", "PERSON"),
           raw_at(text, "Kilbride", "GPE"), raw_at(text, "Ada Pike", "PERSON"),
           raw_at(text, "Jo Reyes", "PERSON"), raw_at(text, "Port Ellis 6-7", "GPE"),
           raw_at(text, "row - the worst", "ORG")]
    got = {e.name: e.label for e in build_entities(text, raw)}
    assert got == {"Prince Aldric": "PERSON", "Aldric Dunmore": "PERSON", "Kilbride": "GPE",
                   "Ada Pike": "PERSON", "Jo Reyes": "PERSON", "Port Ellis": "GPE"}


def test_a_spin_report_pairs_no_amount_with_a_person():
    from index.diff import diff_texts

    a = "The plan costs 280bn over ten years, officials said.\n\nIt began in Kilbride."
    b = "The plan costs Ada Pike over ten years, officials said.\n\nIt began in Kilbride."
    ents_a = build_entities(a, [raw_at(a, "280bn", "PERSON"), raw_at(a, "Kilbride", "GPE")])
    ents_b = build_entities(b, [raw_at(b, "Ada Pike", "PERSON"), raw_at(b, "Kilbride", "GPE")])
    changes = diff_texts(a, b, ents_a=ents_a, ents_b=ents_b).entity_changes
    assert [(c.label, c.frm, c.to) for c in changes] == []


def test_the_other_side_of_a_result_with_a_team_is_a_team():
    text = ("Kilbride's striker Tom Reyes scored as Kilbride beat Ashford. "
            "Ada Pike beat Jo Reyes in the final.")
    raw = [raw_at(text, "Kilbride", "PERSON"), raw_at(text, "Tom Reyes", "PERSON"),
           raw_at(text, "Kilbride", "PERSON", 1), raw_at(text, "Ashford", "PERSON"),
           raw_at(text, "Ada Pike", "PERSON"), raw_at(text, "Jo Reyes", "PERSON")]
    got = {e.name: e.label for e in build_entities(text, raw)}
    assert got == {"Kilbride": "ORG", "Ashford": "ORG", "Tom Reyes": "PERSON",
                   "Ada Pike": "PERSON", "Jo Reyes": "PERSON"}


def test_the_rows_of_a_table_of_standings_are_sides():
    text = ("NORTHERN GROUP\n\nW L PCT GB\n\nPORT ELLIS 74 59 .556 -\n\nKilbride 70 63 .526 4\n\n"
            "Peru 69 65 .515 5 1/2\n")
    got = {e.name: e.label for e in build_entities(text, [raw_at(text, "Kilbride", "GPE")])}
    assert got == {"PORT ELLIS": "ORG", "Kilbride": "ORG", "Peru": "GPE"}
    # the same rows without the won/lost header: a table of places (votes, say)
    votes = "Kilbride 70 63 12\n\nAshford 52 48 9\n"
    got = {e.name: e.label for e in build_entities(votes, [raw_at(votes, "Kilbride", "GPE")])}
    assert got == {"Kilbride": "GPE"}


def test_one_table_of_query_fields_and_entity_labels():
    """Entity search, the query parser and the sidebar's "search for this
    entity" read one table: the field the sidebar searches an entity's label
    with is a query field that covers that label."""
    from index import ENTITY_FIELDS, LABELS, search_field
    from index.search.query import QUERY_FIELDS

    for label in LABELS:
        field = search_field(label)
        labels = ENTITY_FIELDS[field]
        assert field in QUERY_FIELDS and (labels is None or label in labels)
    assert [search_field(x) for x in ("PERSON", "ORG", "GPE", "LOC", "FAC", "NORP")] == [
        "person", "org", "place", "place", "place", "entity"]
    with pytest.raises(CorpusError, match=r"'gpt' \(auto, spacy or rules\)"):
        E.choose_extractor("gpt")
