"""The diff engine: alignment, word-level changes and the spin report, on the
seeds 001/004 and on constructed cases."""

from __future__ import annotations

from index import entities as E
from index.diff import diff_texts
from index.quotes import find_quotes

PARAS = [
    "The council approved the new budget on Monday after a long debate.",
    "Mayor Anna Berg said the plan would fund twelve new schools by 2027.",
    "Opposition members argued that the tax rise was far too steep for families and shops.",
    "The vote passed by 31 to 20, with three members absent from the chamber.",
    "Construction of the first school is expected to begin next spring in Northfield.",
]


def text_of(paras: list[str]) -> str:
    return "\n".join(paras)


def changed_groups(r):
    return [g for g in r.groups if g.changed]


def test_identical_texts_have_no_changes():
    t = text_of(PARAS)
    r = diff_texts(t, t)
    assert r.similarity == 1.0 and not changed_groups(r)
    assert r.substitutions == () and r.number_changes == ()
    assert r.stats.words_changed == 0 and r.stats.sentences_aligned == 1.0
    assert all(len(g.a) == len(g.b) == 1 and not g.moved for g in r.groups)


def test_against_an_empty_text_everything_is_dropped():
    t = text_of(PARAS)
    r = diff_texts(t, "")
    assert r.similarity == 0.0
    assert all(not g.b and [k for k, _, _ in g.ops] == ["delete"] for g in r.groups)
    assert r.stats.dropped == len(PARAS) and r.stats.added == 0
    r2 = diff_texts("", t)
    assert r2.stats.added == len(PARAS) and all(not g.a for g in r2.groups)


def test_unrelated_texts_align_little():
    other = text_of([
        "Heavy snow closed the mountain pass for the third day in a row.",
        "Drivers were told to expect long delays on the coastal road instead.",
        "Forecasters predict milder weather by the end of the week.",
    ])
    r = diff_texts(text_of(PARAS), other)
    assert r.stats.sentences_aligned == 0.0
    assert r.similarity < 0.1


def test_a_paragraph_moved_to_the_end():
    moved = PARAS[1:] + PARAS[:1]
    r = diff_texts(text_of(PARAS), text_of(moved))
    assert r.stats.moved == 1
    (g,) = [g for g in r.groups if g.moved]
    assert g.a == (0,) and g.b == (4,)
    assert not g.changed  # moved, not rewritten
    assert r.stats.dropped == r.stats.added == 0


def test_a_sentence_split_in_two():
    split = list(PARAS)
    split[2] = ("Opposition members argued that the tax rise was far too steep. "
                "Families and shops would suffer most, they said.")
    r = diff_texts(text_of(PARAS), text_of(split))
    (g,) = [g for g in r.groups if 2 in g.a]
    assert g.b == (2, 3) and r.stats.split_or_merged == 1
    kinds = [k for k, _, _ in g.ops]
    assert "equal" in kinds and kinds != ["equal"]


def test_substitutions_are_counted_and_sorted():
    a = text_of(["The new plan is bold.", "A new road opens soon.",
                 "The new mayor spoke today.", "Prices rose sharply."])
    b = text_of(["The ancient plan is bold.", "A ancient road opens soon.",
                 "The ancient mayor spoke today.", "Prices climbed sharply."])
    r = diff_texts(a, b)
    assert [(s.frm, s.to, s.count) for s in r.substitutions] == [
        ("new", "ancient", 3), ("rose", "climbed", 1)]
    assert r.substitutions[0].groups == (0, 1, 2)


def test_numbers_that_differ():
    b = list(PARAS)
    b[3] = "The vote passed by 33 to 20, with three members absent from the chamber."
    b[1] = "Mayor Anna Berg said the plan would fund twelve new schools by 2029."
    r = diff_texts(text_of(PARAS), text_of(b))
    assert {(n.frm, n.to) for n in r.number_changes} == {("31", "33"), ("2027", "2029")}


def test_seed_rewrite_substitutions(sample_dir, sample_files):
    a = (sample_dir / sample_files["001"]).read_text(encoding="utf-8")
    b = (sample_dir / sample_files["004"]).read_text(encoding="utf-8")
    r = diff_texts(a, b)
    subs = {(s.frm, s.to): s.count for s in r.substitutions}
    assert subs[("new", "ancient")] >= 2  # several times in 001 → 004
    ops = [(k, x.strip(), y.strip()) for g in r.groups for k, x, y in g.ops]
    assert ("replace", "important partners looked on", "estranged wives watched") in ops
    assert ("replace", "Sun", "Soler") in ops
    assert r.stats.sentences_aligned > 0.8 and 0.4 < r.similarity < 0.7
    # the spinner split sentences ("… Its door, Liu noted."): 1-2 groups
    splits = [g for g in r.groups if g.a and g.b and len(g.a) + len(g.b) > 2]
    assert splits and r.stats.split_or_merged == len(splits)
    # every sentence of both texts is in exactly one group
    assert sorted(i for g in r.groups for i in g.a) == list(range(r.stats.sentences_a))
    assert sorted(j for g in r.groups for j in g.b) == list(range(r.stats.sentences_b))


def test_seed_entity_and_quote_changes(sample_dir, sample_files):
    a = (sample_dir / sample_files["001"]).read_text(encoding="utf-8")
    b = (sample_dir / sample_files["004"]).read_text(encoding="utf-8")
    ea, eb = E.extract([a, b], E.load_extractor("spacy"))
    r = diff_texts(a, b, ents_a=ea, ents_b=eb, quotes_a=find_quotes(a, ea),
                   quotes_b=find_quotes(b, eb))
    changes = {(e.label, e.frm, e.to) for e in r.entity_changes}
    assert ("PERSON", "Yun Sun", "Yun Soler") in changes
    assert ("ORG", "City University of Hong Kong", "Hong Kong Town College") in changes
    yun = next(q for q in r.quote_changes if q.speaker == "Yun Sun")
    assert yun.to_speaker == "Yun Soler" and yun.gender == "she → he"
    assert yun.kind == "words" and "invaluable" in yun.frm and "irreplaceable" in yun.to
    assert any(q.kind == "lost" and q.frm.startswith("Neither country")
               for q in r.quote_changes)  # 004 never closes that quote
    js = r.to_json()
    assert set(js) >= {"a", "b", "similarity", "groups", "substitutions", "entity_changes",
                       "quote_changes", "stats"}
    assert all(op[0] in ("equal", "replace", "delete", "insert")
               for g in js["groups"] for op in g["ops"])


def test_ops_rebuild_both_texts(sample_dir, sample_files):
    """Nothing is lost: each group's ops put back together give its sentences."""
    a = (sample_dir / sample_files["001"]).read_text(encoding="utf-8")
    b = (sample_dir / sample_files["004"]).read_text(encoding="utf-8")
    r = diff_texts(a, b)
    for g in r.groups:
        left = "".join(x for _, x, _ in g.ops)
        right = "".join(y for _, _, y in g.ops)
        if g.a:
            s, e = r.sentences_a[min(g.a)][0], r.sentences_a[max(g.a)][1]
            assert left == a[s:e]
        if g.b:
            s, e = r.sentences_b[min(g.b)][0], r.sentences_b[max(g.b)][1]
            assert right == b[s:e]
