"""Version families: the seeds, each label, incremental updates, edge cases,
the stored MinHash signatures and the synthetic evaluation set."""

from __future__ import annotations

import random
import shutil
import textwrap
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash

from bench.evalset import TRANSFORMS, EvalSet, Spinner, make_evalset
from index import Corpus
from index.versions import NUM_PERM, features, prepare, verify

BBC = Path("/work/shared/corpora/bbc")
KINDS = ("copy", "near-copy", "rewrite")

# One sentence on the seeds' story (a brief), and ones on other subjects.
BRIEF = "Kim Jong Un and Vladimir Putin signed a mutual defense treaty in Pyongyang on Wednesday."
OTHER_BRIEF = ("The president said the storm would flood coastal towns across Florida "
               "before it weakened on Friday.")
UNRELATED = (
    "The zebrafinch sang over the harbour at dawn while fishermen mended their nets.\n"
    "Birdwatchers gathered along the quay, binoculars raised, to listen for an hour.\n"
    "A herring gull stole a sandwich from a tourist, who laughed and bought another.\n"
    "By noon the ferry to the islands had left, half empty, under a grey sky.\n"
)


def read(sample_dir: Path, name: str) -> str:
    return (sample_dir / name).read_text(encoding="utf-8")


def by_path(c: Corpus) -> dict[str, str]:
    return {a.path: a.id for a in c.articles()}


def pair_map(c: Corpus) -> dict[frozenset[str], tuple]:
    """{frozenset of two paths: (kind, similarity, aligned)} of the stored pairs."""
    path = {a.id: a.path for a in c.articles()}
    return {frozenset((path[a], path[b])): (kind, sim, al)
            for a, b, kind, sim, al in c.store.version_pairs()}


def family_paths(c: Corpus) -> list[set[str]]:
    return [{m.path for m in f.members} for f in c.families()]


def copy_seeds(sample_dir: Path, root: Path, *numbers: str) -> None:
    for p in sorted(sample_dir.iterdir()):
        if not numbers or p.name[:3] in numbers:
            shutil.copy(p, root / p.name)


# ---------------------------------------------------------------- the seeds


def test_seeds_make_one_rewrite_family(sample_corpus, sample_files):
    s = sample_files
    fams = sample_corpus.families()
    assert len(fams) == 1
    fam = fams[0]
    assert {m.path for m in fam.members} == {s["001"], s["004"]}
    assert not fam.dated  # plain text files carry no dates: order by path
    assert [m.path for m in fam.members] == [s["001"], s["004"]]
    (pair,) = fam.pairs
    assert pair.kind == "rewrite"
    assert 0 < pair.similarity <= 1 and 0 < pair.aligned <= 1
    assert pair.similarity < 1  # a spun copy is not word-for-word the same
    ids = by_path(sample_corpus)
    assert (pair.a, pair.b) == (ids[s["001"]], ids[s["004"]])


def test_seeds_same_story_articles_are_not_versions(sample_corpus, sample_files):
    s = sample_files
    pairs = pair_map(sample_corpus)
    assert set(pairs) == {frozenset((s["001"], s["004"]))}
    for n in ("000", "002", "003"):
        assert not any(s[n] in p for p in pairs)
    ids = by_path(sample_corpus)
    assert sample_corpus.version_counts() == {ids[s["001"]]: 1, ids[s["004"]]: 1}
    assert sample_corpus.family_of("000_0e0738cec9c8d1ee.txt") is None
    fam = sample_corpus.family_of(s["004"])
    assert fam is not None and {m.id for m in fam.members} == {ids[s["001"]], ids[s["004"]]}


def test_verify_seeds_directly(sample_dir, sample_files):
    """The same verdicts without the LSH: every pair of seeds is verified."""
    texts = {n: prepare(read(sample_dir, f)) for n, f in sample_files.items()}
    verdicts = {(a, b): verify(a, texts[a], b, texts[b])
                for a in texts for b in texts if a < b}
    assert {k for k, v in verdicts.items() if v is not None} == {("001", "004")}
    assert verdicts[("001", "004")].kind == "rewrite"


# ---------------------------------------------------------------- the labels


def near_copy_of(text: str) -> str:
    """An update: one sentence reworded, one sentence added, the rest unchanged."""
    old = "glided through the crowd-packed streets of Pyongyang"
    assert text.count(old) == 1
    paras = text.replace(old, "rode along the packed avenues of Pyongyang").split("\n")
    paras.insert(12, "This story has been updated with comment from the Chinese "
                     "Foreign Ministry on Friday.")
    return "\n".join(paras)


def test_each_label(sample_dir, sample_files, write_files, open_corpus):
    t1 = read(sample_dir, sample_files["001"])
    paras = t1.split("\n")
    seeds = [read(sample_dir, f) for f in sample_files.values()]
    spun = Spinner(seeds, random.Random(7)).spin(t1, 0.4)
    root = write_files({
        "orig.txt": t1,
        # the same text with blank lines between paragraphs and trailing spaces
        "blank-lines.txt": "\n\n".join(p + "  " for p in paras) + "\n\n",
        # re-wrapped at 60 columns: new line breaks inside paragraphs
        "wrapped.txt": "\n\n".join(textwrap.fill(p, 60) for p in paras),
        "update.txt": near_copy_of(t1),
        "spun.txt": spun,
    })
    c = open_corpus(root)
    c.update(procs=1)
    pairs = pair_map(c)
    got = {name: pairs.get(frozenset(("orig.txt", name)))
           for name in ("blank-lines.txt", "wrapped.txt", "update.txt", "spun.txt")}
    assert got["blank-lines.txt"] == ("copy", 1.0, 1.0)
    assert got["wrapped.txt"] == ("copy", 1.0, 1.0)
    kind, sim_update, aligned_update = got["update.txt"]
    assert kind == "near-copy"
    # one sentence of ~48 changed, one added: almost everything is shared
    assert 0.9 < sim_update < 1 and 0.9 < aligned_update < 1
    kind, sim_spun, aligned_spun = got["spun.txt"]
    assert kind == "rewrite"
    assert 0 < sim_spun < sim_update and 0 < aligned_spun <= 1
    # all five are versions of one article: one family
    assert family_paths(c) == [{"orig.txt", "blank-lines.txt", "wrapped.txt", "update.txt",
                                "spun.txt"}]
    assert all(v[0] in KINDS and 0 < v[1] <= 1 and 0 < v[2] <= 1 for v in pairs.values())


@pytest.mark.parametrize("rate", [0.3, 0.5])
def test_spun_versions_are_rewrites_and_not_related_articles(sample_dir, sample_files, rate):
    texts = {n: read(sample_dir, f) for n, f in sample_files.items()}
    spinner = Spinner(list(texts.values()), random.Random(1))
    for n in ("000", "001", "002", "003"):
        spun = prepare(spinner.spin(texts[n], rate))
        vp = verify("orig", prepare(texts[n]), "spun", spun)
        assert vp is not None and vp.kind == "rewrite", (n, rate)
        for other in ("000", "001", "002", "003"):
            if other != n:  # same story, other outlet: still not a version
                assert verify(other, prepare(texts[other]), "spun", spun) is None, (n, other)


# ---------------------------------------------------------- incremental sync


def test_incremental_add_delete_change(sample_dir, sample_files, corpus_dir, open_corpus):
    s = sample_files
    copy_seeds(sample_dir, corpus_dir)
    c = open_corpus(corpus_dir)
    first = c.update(procs=1).versions
    assert first is not None and first.signed == 5 and first.pairs == 1
    assert family_paths(c) == [{s["001"], s["004"]}]

    again = c.update(procs=1).versions  # nothing changed: nothing to sign or verify
    assert (again.signed, again.removed, again.candidates, again.pairs) == (0, 0, 0, 0)

    shutil.copy(corpus_dir / s["001"], corpus_dir / "zz_reprint.txt")
    added = c.update(procs=1).versions
    assert added.signed == 1  # only the new article, not all six
    assert added.removed == 0
    assert added.pairs == 2  # the reprint against 001 and against 004
    assert family_paths(c) == [{s["001"], s["004"], "zz_reprint.txt"}]
    pairs = pair_map(c)
    assert pairs[frozenset((s["001"], "zz_reprint.txt"))][0] == "copy"
    assert pairs[frozenset((s["004"], "zz_reprint.txt"))][0] == "rewrite"
    ids = by_path(c)
    assert c.version_counts() == {ids[s["001"]]: 2, ids[s["004"]]: 2, ids["zz_reprint.txt"]: 2}

    (corpus_dir / "zz_reprint.txt").unlink()
    deleted = c.update(procs=1).versions
    assert (deleted.signed, deleted.removed) == (0, 1)
    assert family_paths(c) == [{s["001"], s["004"]}]
    assert set(pair_map(c)) == {frozenset((s["001"], s["004"]))}

    (corpus_dir / s["004"]).write_text(UNRELATED, encoding="utf-8")
    changed = c.update(procs=1).versions
    assert changed.signed == 1 and changed.removed == 0  # re-signed, not dropped
    assert c.families() == [] and c.version_counts() == {}
    assert c.store.version_pairs() == []
    assert c.family_of(s["001"]) is None
    assert len(list(c.store.each_sig())) == 5  # one signature per article, none stale


def test_a_run_cancelled_after_signing_leaves_the_store_as_it_was(
        sample_dir, sample_files, corpus_dir, open_corpus):
    """The signatures and keys a run computes are staged as they come and
    written with its pairs and counts in one transaction: a run cancelled
    once it has signed (here, as its verification starts) leaves every
    version table as the last complete run left it, and the next run finds
    what an uncancelled one would."""
    s = sample_files
    copy_seeds(sample_dir, corpus_dir, "000", "002", "003")
    c = open_corpus(corpus_dir)
    c.update(procs=1)

    def tables() -> dict:
        db = c.store.db
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall())
                for t in ("sigs", "sentkeys", "sentcounts", "pairs")}

    before = tables()
    assert len(before["sigs"]) == 3 and before["sentcounts"]
    copy_seeds(sample_dir, corpus_dir, "001", "004")
    phases: list[str] = []
    report = c.update(procs=1, progress=lambda phase, _d, _t: phases.append(phase),
                      cancel=lambda: "verifying" in phases or "signatures" in phases)
    assert report.cancelled and "signatures" in phases
    assert tables() == before
    c.update(procs=1)
    assert family_paths(c) == [{s["001"], s["004"]}]
    assert len(tables()["sigs"]) == 5


def test_versions_can_be_skipped_then_caught_up(sample_dir, sample_files, corpus_dir,
                                                open_corpus):
    copy_seeds(sample_dir, corpus_dir, "001", "004")
    c = open_corpus(corpus_dir)
    report = c.update(procs=1, versions=False)
    assert report.versions is None and c.families() == []
    caught_up = c.update(procs=1).versions
    assert caught_up.signed == 2 and caught_up.pairs == 1
    assert family_paths(c) == [{sample_files["001"], sample_files["004"]}]


# ----------------------------------------------------------------- edge cases


def test_empty_and_contentless_articles(sample_dir, sample_files, write_files, open_corpus):
    s = sample_files
    root = write_files({
        "empty.txt": "",
        "blank.txt": "\n  \n\n",
        "dashes.txt": "— … —\n",  # ingested, but without a single content word
        "dashes-again.txt": "—\n\n…\n",
    })
    copy_seeds(sample_dir, root, "001", "004")
    c = open_corpus(root)
    report = c.update(procs=1)
    assert {k.path for k in report.skipped} == {"empty.txt", "blank.txt"}
    assert report.versions.signed == 4
    # the two word-less articles have equal (empty) feature sets, yet are no pair
    assert family_paths(c) == [{s["001"], s["004"]}]
    assert verify("a", prepare(""), "b", prepare("")) is None
    assert verify("a", prepare("— … —"), "b", prepare(read(sample_dir, s["001"]))) is None


def test_one_sentence_articles(sample_dir, sample_files, write_files, open_corpus):
    s = sample_files
    root = write_files({
        "brief.txt": BRIEF + "\n",
        "brief-copy.txt": "\n" + BRIEF + "\n\n",
        "other-brief.txt": OTHER_BRIEF + "\n",
    })
    copy_seeds(sample_dir, root)
    c = open_corpus(root)
    c.update(procs=1)
    assert {frozenset(f) for f in family_paths(c)} == {
        frozenset({"brief.txt", "brief-copy.txt"}), frozenset({s["001"], s["004"]}),
    }
    assert pair_map(c)[frozenset(("brief.txt", "brief-copy.txt"))] == ("copy", 1.0, 1.0)
    assert c.family_of("other-brief.txt") is None


def test_one_sentence_is_no_version_of_a_long_article(sample_dir, sample_files):
    """Without the LSH's help: one sentence on the same story (it shares names
    and words with one sentence of each seed) is no version of any of them."""
    brief = prepare(BRIEF)
    assert len(brief.sentences) == 1
    for n, f in sample_files.items():
        assert verify("brief", brief, n, prepare(read(sample_dir, f))) is None, n
    # nor is a one-sentence article on another subject sharing a few words
    assert verify("a", brief, "b", prepare(OTHER_BRIEF)) is None
    assert verify("a", prepare("Putin signed the treaty on Wednesday in Moscow after talks."),
                  "b", brief) is None
    # but a one-sentence article still has versions of its own
    assert verify("a", brief, "b", prepare(BRIEF.replace("\n", " "))).kind == "copy"
    edited = prepare(BRIEF.replace("signed", "sealed"))
    vp = verify("a", brief, "b", edited)
    assert vp is not None and vp.similarity > 0.85


def test_strict_subset_is_a_version(sample_dir, sample_files, write_files, open_corpus):
    s = sample_files
    paras = read(sample_dir, s["001"]).split("\n")
    half = "\n".join(paras[: len(paras) // 2])
    root = write_files({"first-half.txt": half})
    copy_seeds(sample_dir, root)
    c = open_corpus(root)
    c.update(procs=1)
    kind, sim, aligned = pair_map(c)[frozenset((s["001"], "first-half.txt"))]
    # every sentence of the half is unchanged in 001: a near-copy, not all of it
    assert kind == "near-copy"
    assert 0 < sim < 1 and 0 < aligned < 1
    assert {s["001"], "first-half.txt"} <= family_paths(c)[0]
    assert not any(s[n] in f for f in family_paths(c) for n in ("000", "002", "003"))


# ----------------------------------------------------------------- signatures


def test_stored_signatures_round_trip(sample_dir, sample_files, corpus_dir, open_corpus):
    s = sample_files
    copy_seeds(sample_dir, corpus_dir, "000", "001", "004")
    shutil.copy(corpus_dir / s["001"], corpus_dir / "reprint.txt")
    c = open_corpus(corpus_dir)
    c.update(procs=1)
    ids = by_path(c)
    rows = {i: np.frombuffer(b, dtype=np.uint32) for i, b in c.store.each_sig()}
    assert set(rows) == set(ids.values())
    assert all(r.shape == (NUM_PERM,) for r in rows.values())

    def lean(path: str) -> LeanMinHash:
        return LeanMinHash(seed=1, hashvalues=rows[ids[path]].astype(np.uint64),
                           scheme="affine32")

    assert lean(s["001"]).jaccard(lean("reprint.txt")) == 1.0
    # lossless: the stored row is datasketch's own MinHash of the features
    text = read(sample_dir, s["001"])
    m = MinHash(num_perm=NUM_PERM, seed=1)
    m.update_batch([f.encode("utf-8") for f in features(text)])
    assert np.array_equal(rows[ids[s["001"]]].astype(np.uint64), m.hashvalues)
    # and the estimates track the true Jaccard of the feature sets
    f1 = features(text)
    for other in (s["000"], s["004"]):
        fo = features(read(sample_dir, other))
        true = len(f1 & fo) / len(f1 | fo)
        assert abs(lean(s["001"]).jaccard(lean(other)) - true) < 0.15, other


def test_batched_signatures_equal_datasketch_per_article(sample_dir, monkeypatch):
    """Many articles in one numpy batch, across batch boundaries, with an
    empty feature set among them: each row is what datasketch computes."""
    import index.versions as V

    texts = [p.read_text(encoding="utf-8") for p in sorted(sample_dir.iterdir())]
    sets = [features(t) for t in texts]
    sets += [set(), {"x"}, sets[0] - sets[1], {f"@w{k}" for k in range(3000)}]
    monkeypatch.setattr(V, "_SIG_BATCH", 700)  # forces several batches
    rows = V.signatures(iter(sets), V.permutations())
    assert rows.shape == (len(sets), NUM_PERM) and rows.dtype == np.uint32
    for fs, row in zip(sets, rows, strict=True):
        m = MinHash(num_perm=NUM_PERM, seed=1)
        m.update_batch([f.encode("utf-8") for f in fs] or [b""])
        assert np.array_equal(row, m.hashvalues)
    assert V.signatures([], V.permutations()).shape == (0, NUM_PERM)


def test_immutable_features_per_sentence():
    text = ("Officials in Seoul met Kim Jong Un on Tuesday. The talks in Geneva began at 9.\n"
            "Washington said 2,000 troops would stay. Trump agreed.")
    f = features(text)
    imm = {x for x in f if x.startswith("@")}
    # capitalised words and numbers, not the sentence's first word, no stop
    # words; pairs of consecutive immutables within a sentence only
    assert {"@seoul", "@kim", "@jong", "@un", "@tuesday", "@geneva", "@9", "@2", "@000",
            "@seoul@kim", "@kim@jong", "@jong@un", "@un@tuesday", "@geneva@9",
            "@2@000"} <= imm
    assert not {"@officials", "@washington", "@trump", "@the"} & imm
    assert not {"@9@2", "@tuesday@geneva", "@000@trump"} & imm  # not across sentences
    assert {"seoul", "talk", "troop"} <= f  # the stemmed content words


# ------------------------------------------------------------- evaluation set


def _originals(source: str, sample_dir: Path) -> list[tuple[str, str]]:
    if source == "sample":
        return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(sample_dir.iterdir())]
    if not BBC.is_dir():
        pytest.skip(f"{BBC} is absent")
    out = []
    for cat in ("business", "entertainment", "politics", "sport", "tech"):
        for f in sorted((BBC / cat).glob("*.txt"))[:4]:
            out.append((f"{cat}-{f.name}", f.read_bytes().decode("utf-8", "replace")))
    assert len(out) == 20
    return out


FLOORS = {"copy": 1.0, "near-copy": 1.0, "spin-30": 0.95, "spin-50": 0.9}


@pytest.mark.parametrize("source", ["sample", "bbc"])
def test_evalset_recall_and_precision(source, sample_dir, sample_files, tmp_path):
    originals = _originals(source, sample_dir)
    es: EvalSet = make_evalset(originals, seed=0)
    root = tmp_path / "eval"
    root.mkdir()
    for d in es.docs:
        (root / d.name).write_text(d.text, encoding="utf-8")
    with Corpus(root, index_dir=tmp_path / "ix") as c:
        report = c.update(procs=1)
        assert report.articles_total == len(es.docs) and not report.skipped
        found = {frozenset(p): v for p, v in pair_map(c).items()}

    # 001 and 004 of the seeds are versions of each other, so everything made
    # from either is one article's version: their origins form one class.
    origin = es.origin_of()
    cls = {o: o for o in origin.values()}
    if source == "sample":
        o1, o4 = (sample_files[n].rsplit(".", 1)[0] for n in ("001", "004"))
        cls[o4] = o1
        assert len(set(cls.values())) == 4
    positives = es.positives()
    assert Counter(positives.values()) == {t: len(es.docs) // (len(TRANSFORMS) + 1)
                                           for t in TRANSFORMS}

    recall: dict[str, list[bool]] = defaultdict(list)
    kinds: dict[str, Counter] = defaultdict(Counter)
    for pair, transform in positives.items():
        hit = found.get(frozenset(pair))
        recall[transform].append(hit is not None)
        if hit is not None:
            kinds[transform][hit[0]] += 1
    rates = {t: sum(v) / len(v) for t, v in recall.items()}
    for t, floor in FLOORS.items():
        assert rates[t] >= floor, (t, rates)

    wrong = [sorted(p) for p in found if len({cls[origin[x]] for x in p}) > 1]
    precision = 1 - len(wrong) / len(found)
    assert precision >= 0.98, wrong[:10]

    # labels: copies are copies (similarity 1); updates near-copies; spins rewrites
    assert kinds["copy"] == {"copy": len(recall["copy"])}
    assert all(found[frozenset(p)][1] == 1.0 for p, t in positives.items() if t == "copy")
    assert set(kinds["near-copy"]) == {"near-copy"}
    assert set(kinds["spin-30"]) == set(kinds["spin-50"]) == {"rewrite"}


def test_common_terms_are_frozen_once_and_left_out_of_signatures(tmp_path, sample_dir,
                                                                 monkeypatch):
    import json

    from index import versions
    from index.text.tokens import stem

    monkeypatch.setattr(versions, "FREEZE_AT", 3)
    monkeypatch.setattr(versions, "COMMON_SHARE", 0.8)  # in 4 of the 5 seeds
    root = tmp_path / "corpus"
    shutil.copytree(sample_dir, root)
    c = Corpus(root, index_dir=tmp_path / "ix")
    c.update()
    common = set(json.loads(c.store.get_meta("common_terms")))
    assert {stem("korea"), stem("china")} <= common  # every seed has them
    assert stem("soler") not in common
    assert "korea" not in features(read(sample_dir, "001_f563c122a25a09e3.txt"),
                                   common=frozenset(common))
    fams = c.families()
    assert len(fams) == 1 and {m.path[:3] for m in fams[0].members} == {"001", "004"}
    # frozen: more articles do not change the list, so nothing is re-signed
    (root / "extra.txt").write_text("Korea and China held talks again.\n\nNothing else.\n")
    r = c.update()
    assert set(json.loads(c.store.get_meta("common_terms"))) == common
    assert r.versions.signed == 1


def test_banding_is_the_one_datasketch_chooses_for_the_threshold():
    from datasketch.lsh import _optimal_param

    from index import versions

    chosen = _optimal_param(versions.LSH_THRESHOLD, versions.NUM_PERM, 0.5, 0.5)
    assert chosen == (versions.LSH_BANDS, versions.LSH_ROWS)


def test_band_candidates_find_similar_signatures_only():
    from index import versions

    rng = np.random.default_rng(0)
    base = rng.integers(0, 2**32, size=(50, NUM_PERM), dtype=np.uint64).astype(np.uint32)
    near = base[:5].copy()
    near[:, :42] = rng.integers(0, 2**32, size=(5, 42), dtype=np.uint64)  # 67% of values kept
    sigs = np.vstack([base, near])
    ids = [f"d{k:03}" for k in range(len(sigs))]
    found = versions.candidates(ids, sigs, set(ids[50:]))
    assert set(found) == {(f"d{k:03}", f"d{50 + k:03}") for k in range(5)}


# ------------------------------------------------ boilerplate and paraphrase
# Hand-written texts (no corpus text): template pages, articles sharing only a
# list of related links, one outlet's live blogs; a source article, a heavy
# paraphrase of it and a rewrite that copies its first two sentences.

FACT_SHEET = (
    "{c} is a country of {p} million people on the coast of the {sea} Sea.\n"
    "Its capital, {cap}, lies on the {river} river and is home to {cp} million residents.\n"
    "The official languages are {l1} and {l2}, and the currency is the {cur}.\n"
    "The country declared independence in {y1} and adopted its current constitution in {y2}.\n"
    "Its economy rests on farming, fishing and a growing services sector, with a gross "
    "domestic product of {gdp} billion dollars.\n"
    "Life expectancy at birth is {le} years, and {lit} per cent of adults can read and write.\n"
    "The head of state is President {pres}, elected in {y3} for a term of five years.\n"
    "{c} is a member of the United Nations and of the {bloc} trade bloc.\n"
)
FACT_FILLS = [
    dict(c="Norland", p=5, sea="Grey", cap="Ostby", river="Vell", cp=1.2, l1="Norlandic",
         l2="Swedish", cur="krona", y1=1905, y2=1992, gdp=310, le=81, lit=99, pres="Anna Holm",
         y3=2019, bloc="Northern"),
    dict(c="Pelaria", p=12, sea="Amber", cap="Sanport", river="Oru", cp=3.4, l1="Pelarian",
         l2="French", cur="franc", y1=1960, y2=2001, gdp=45, le=66, lit=71, pres="Jean Ossu",
         y3=2021, bloc="Coastal"),
    dict(c="Kestova", p=9, sea="Black", cap="Dravik", river="Lesk", cp=2.1, l1="Kestovan",
         l2="Russian", cur="lev", y1=1991, y2=1994, gdp=62, le=74, lit=98, pres="Milan Voss",
         y3=2018, bloc="Eastern"),
    dict(c="Tamura", p=30, sea="Coral", cap="Hanai", river="Mekai", cp=6.8, l1="Tamuran",
         l2="English", cur="dollar", y1=1947, y2=1987, gdp=480, le=77, lit=95,
         pres="Keiko Arai", y3=2020, bloc="Pacific"),
    dict(c="Oradia", p=3, sea="Inner", cap="Velar", river="Tusk", cp=0.6, l1="Oradian",
         l2="Greek", cur="drachma", y1=1830, y2=1975, gdp=28, le=79, lit=97, pres="Eleni Dros",
         y3=2022, bloc="Southern"),
]

RELATED = (
    "Related:\n"
    "Council approves budget for new library.\n"
    "Storm closes schools across the region for a second day.\n"
    "Local bakery wins national award for its sourdough.\n"
    "Rail strike called off after late-night talks.\n"
    "Five things to do in the city this weekend.\n"
)
STORIES = [
    "Hospital waiting times fall for the first time in three years\n"
    "Patients at the county's hospitals waited an average of 41 days for planned surgery "
    "in the spring, down from 52 days a year earlier.\n"
    "The health board said extra evening clinics and two new operating theatres had made "
    "the difference.\n"
    "Nurses' representatives welcomed the figures but warned that staff were exhausted.\n"
    "Emergency departments still missed their four-hour target on most days in May.\n"
    "The board will publish its plan for the winter in September.\n",
    "Farmers count the cost of the driest summer on record\n"
    "Barley yields on the eastern plains are down by a third after ten weeks without rain.\n"
    "Several growers have sold cattle early because they cannot afford to buy in hay.\n"
    "The farmers' union asked the government to delay this year's land tax payments.\n"
    "Water companies have banned the use of garden hoses in four districts.\n"
    "Forecasters expect showers next week, too late to save the harvest.\n",
    "Chess prodigy, 11, beats a grandmaster in a blitz game\n"
    "An eleven-year-old from the harbour district has beaten a grandmaster in a five-minute "
    "game at the open tournament.\n"
    "She sacrificed her queen on the twentieth move and mated three moves later.\n"
    "Her coach said she studies endgames for two hours every evening after school.\n"
    "The grandmaster shook her hand and called the sacrifice brilliant.\n"
    "She plays in the junior world championship in October.\n",
    "Bus fares to rise by ten pence in January\n"
    "Single bus fares in the metropolitan area will go up by ten pence from the new year.\n"
    "The transport authority blamed the price of diesel and a fall in passenger numbers.\n"
    "Weekly passes for students and pensioners will stay at their current price.\n"
    "Campaigners said the rise would push more people into their cars.\n"
    "Three new electric routes are due to open in the spring.\n",
]

LIVE_HEAD = ("Live: follow the latest updates on this story through the day, with reports "
             "from our correspondents (all times local).")
LIVE_FOOT = ("This live page has now closed. Our coverage continues on the home page, "
             "where you can also sign up for breaking news alerts.")
LIVE_ENTRIES = [
    ["The flood barrier on the east bank has been raised for the first time this year.",
     "Residents of the riverside streets have been told to move their cars to higher ground.",
     "The river is expected to peak at 4.2 metres shortly after midnight.",
     "Volunteers are filling sandbags at the sports centre on Mill Road."],
    ["Counting has begun in the mayoral election after polls closed at ten.",
     "Turnout appears higher than four years ago in the northern wards.",
     "The first result, from the harbour ward, is expected around two in the morning.",
     "Both leading candidates have said they will speak once the final count is in."],
    ["The marathon's elite women have passed the halfway mark in a group of six.",
     "Temperatures have climbed to 24 degrees and runners are being urged to drink.",
     "The course record of 2 hours 18 minutes looks safe in this heat.",
     "More than 40,000 amateur runners are still starting in waves at the park."],
    ["Firefighters are tackling a blaze at a warehouse on the industrial estate.",
     "Thick smoke can be seen across the city and people are asked to keep windows shut.",
     "Police have closed the ring road between junctions 3 and 5.",
     "No injuries have been reported and the cause of the fire is not yet known."],
]


LIVE_TOPICS = ("river flood warning", "mayoral election count", "city marathon",
               "warehouse fire")


def live_blog(k: int) -> str:
    """A live blog of the outlet: its header, time-stamped entries, its footer."""
    lines = [f"Live updates: {LIVE_TOPICS[k]}", LIVE_HEAD]
    minutes = 21 * 60 + 7 * k + 3
    for entry in LIVE_ENTRIES[k]:
        lines += [f"{minutes // 60 - 12}:{minutes % 60:02} p.m.", entry, "___"]
        minutes -= 13 + 5 * k
    return "\n".join([*lines, LIVE_FOOT]) + "\n"


SOURCE = (
    "Harbour bridge approved after six years of argument\n"
    "The city council voted 31 to 17 on Tuesday to build a new bridge across the harbour, "
    "ending six years of debate over the project.\n"
    "The bridge will carry a tram line, two cycle lanes and a footpath, but no cars.\n"
    "Construction is expected to cost 240 million euros and to start in the spring of 2027.\n"
    "Supporters say the link will cut the journey from the old town to the eastern docks "
    "from forty minutes to ten.\n"
    "Opponents argued that the money would be better spent on repairing the city's "
    "crumbling schools.\n"
    "Mayor Ingrid Vasser called the vote a historic day for the city and thanked residents "
    "for their patience.\n"
    "A group of shop owners on the eastern quay has threatened to challenge the decision in "
    "court, saying the works will drive away customers.\n"
    "The council said it had set aside 12 million euros to compensate businesses affected by "
    "the building work.\n"
    "The first trams are due to cross the bridge in 2031.\n"
)
# By hand: most words replaced, clauses turned around, sentences merged, one
# dropped; names and numbers kept, the order of the source kept.
PARAPHRASE = (
    "Councillors back harbour crossing after a six-year row\n"
    "After six years of wrangling, councillors on Tuesday backed plans for a fresh harbour "
    "crossing by 31 votes to 17.\n"
    "Trams, bicycles and pedestrians will share the span, while motorists will be kept off "
    "it.\n"
    "Work should begin in spring 2027, with a price tag of 240 million euros.\n"
    "Backers claim a trip between the old town and the eastern docks will shrink to ten "
    "minutes instead of forty.\n"
    "Critics had said the funds ought to go towards fixing decaying classrooms.\n"
    "Ingrid Vasser, the mayor, hailed a historic moment and praised locals for waiting so "
    "long, while traders on the eastern quay vowed to fight the plan in the courts because "
    "roadworks would scare off shoppers.\n"
    "Trams should start running over the span in 2031.\n"
)
# Heavier, by hand: only four sentences keep enough words to match on their
# own (the vote, the cost, the mayor, the first trams); the six others share
# a word or two with the sentence they render, in the source's order.
PARAPHRASE_HEAVY = (
    "Green light at last for a harbour crossing\n"
    "On Tuesday the city council voted 31 to 17 for a new bridge over the harbour.\n"
    "Only trams, bikes and people on foot will use the new link, not cars.\n"
    "Construction will cost 240 million euros and start in spring 2027.\n"
    "Backers expect far quicker rides between the old quarter and the docks.\n"
    "Critics wanted the money used to fix the city's ageing classrooms.\n"
    "Mayor Ingrid Vasser called it a historic day and thanked residents for waiting.\n"
    "Traders on the quay may go to court, fearing lost business.\n"
    "Firms hit by the disruption will share a 12 million fund.\n"
    "The first trams should cross the bridge in 2031.\n"
)
# The first two sentences copied word for word, the rest reworded by hand.
LEAD_COPY = "\n".join(SOURCE.split("\n")[:3]) + "\n" + (
    "Trams, bicycles and walkers will share it, with cars barred.\n"
    "Building should begin in spring 2027 at a price of 240 million euros.\n"
    "Backers claim a trip from the old town to the eastern docks will drop to ten minutes.\n"
    "Ingrid Vasser, the mayor, hailed a historic moment.\n"
    "Traders on the eastern quay vowed to fight the plan in court, and officials have put "
    "aside 12 million euros for firms hit by the works.\n"
    "Trams should start running over the span in 2031.\n"
)


def _boilerplate_corpus(write_files, sample_dir) -> dict[str, str]:
    files = {f"fact-{f['c'].lower()}.txt": FACT_SHEET.format(**f) for f in FACT_FILLS}
    files.update({f"story-{k}.txt": s + RELATED for k, s in enumerate(STORIES)})
    files.update({f"live-{k}.txt": live_blog(k) for k in range(len(LIVE_ENTRIES))})
    files.update({"bridge.txt": SOURCE, "bridge-paraphrase.txt": PARAPHRASE,
                  "bridge-lead-copy.txt": LEAD_COPY})
    return files


def test_without_boilerplate_the_negatives_would_be_versions():
    """The negatives are hard: on their words alone, they align (so the tests
    below can fail)."""
    a, b = (prepare(FACT_SHEET.format(**f)) for f in FACT_FILLS[:2])
    assert verify("a", a, "b", b) is not None
    assert verify("a", prepare(STORIES[0] + RELATED), "b",
                  prepare(STORIES[3] + RELATED)) is not None
    assert verify("a", prepare(live_blog(0)), "b", prepare(live_blog(1))) is not None


def test_template_links_and_live_blogs_are_not_versions(sample_dir, sample_files, write_files,
                                                        open_corpus):
    s = sample_files
    root = write_files(_boilerplate_corpus(write_files, sample_dir))
    copy_seeds(sample_dir, root)
    c = open_corpus(root)
    c.update(procs=1)
    fams = sorted(sorted(f) for f in family_paths(c))
    assert fams == sorted([
        sorted([s["001"], s["004"]]),
        ["bridge-lead-copy.txt", "bridge-paraphrase.txt", "bridge.txt"],
    ])
    pairs = pair_map(c)
    assert frozenset(("bridge.txt", "bridge-paraphrase.txt")) in pairs
    assert frozenset(("bridge.txt", "bridge-lead-copy.txt")) in pairs
    for name in c.store.db.execute("SELECT path FROM articles"):
        if name[0].startswith(("fact-", "story-", "live-")):
            assert c.family_of(name[0]) is None, name[0]


def test_hand_paraphrase_and_lead_copy_are_versions():
    src = prepare(SOURCE)
    para = verify("src", src, "para", prepare(PARAPHRASE))
    assert para is not None and para.kind == "rewrite"
    assert para.similarity < 0.4  # few words in common: found by its sentences' order
    lead = verify("src", src, "lead", prepare(LEAD_COPY))
    assert lead is not None and lead.kind == "rewrite"
    # the paraphrase is no version of the other hand-written articles
    for other in (*STORIES, FACT_SHEET.format(**FACT_FILLS[0]), live_blog(0)):
        assert verify("src", prepare(other), "para", prepare(PARAPHRASE)) is None


def _keys_of(texts: dict[str, str]) -> dict[str, bytes]:
    from index.versions import _pack_keys, sentence_keys

    return {n: _pack_keys(sentence_keys(t)) for n, t in texts.items()}


def test_a_sentence_shared_by_a_copy_and_its_original_is_not_boilerplate():
    from index.versions import merge_counts, pair_boilerplate, tally

    texts = {"src": SOURCE, "update": SOURCE + "This story has been updated.\n",
             **{f"story-{k}": s for k, s in enumerate(STORIES)}}
    keys = _keys_of(texts)
    counts = merge_counts(None, [tally(keys.values())], [])
    assert pair_boilerplate(keys["src"], keys["update"], counts) == frozenset()
    # and a story reprinted six times, each reprint with a line of its own,
    # keeps its sentences: they are in as many articles as the pair's own
    reprints = {f"r{k}": f"Reprinted by outlet number {k} of six.\n" + SOURCE for k in range(6)}
    keys = _keys_of({**texts, **reprints})
    counts = merge_counts(None, [tally(keys.values())], [])
    assert pair_boilerplate(keys["r0"], keys["r1"], counts) == frozenset()
    # but the related list in four stories is boilerplate for any two of them
    keys = _keys_of({f"s{k}": s + RELATED for k, s in enumerate(STORIES)})
    counts = merge_counts(None, [tally(keys.values())], [])
    drop = pair_boilerplate(keys["s0"], keys["s1"], counts)
    assert drop
    assert verify("a", prepare(STORIES[0] + RELATED), "b", prepare(STORIES[1] + RELATED),
                  drop) is None


def test_the_diff_of_two_versions_gives_their_familys_similarity(write_files, open_corpus):
    """Two versions sharing the related-links list of four other stories:
    the family's similarity leaves the list out; the diff shows the list but
    says the same figure, either way round (one figure per pair)."""
    from index.diff import diff_texts

    files = {f"story-{k}.txt": s + RELATED for k, s in enumerate(STORIES)}
    # the list in ten articles: past the floor of a pair whose own sentences
    # are in two articles each (3 x 2, see index.versions)
    files.update({f"fact-{f['c'].lower()}.txt": FACT_SHEET.format(**f) + RELATED
                  for f in FACT_FILLS})
    update = STORIES[0].replace("41 days", "39 days").replace("exhausted", "worn out")
    files["story-0-update.txt"] = update + RELATED
    c = open_corpus(write_files(files))
    c.update(procs=1)
    assert family_paths(c) == [{"story-0.txt", "story-0-update.txt"}]
    _kind, family_sim, _al = pair_map(c)[frozenset(("story-0.txt", "story-0-update.txt"))]
    own = diff_texts(files["story-0.txt"], files["story-0-update.txt"]).similarity
    assert own > family_sim + 0.01  # the shared list, counted by the diff alone, lifts it
    assert c.diff("story-0.txt", "story-0-update.txt", entities=False).similarity == family_sim
    assert c.diff("story-0-update.txt", "story-0.txt", entities=False).similarity == family_sim
    # two articles that are no versions: the diff's own figure
    other = c.diff("story-1.txt", "story-2.txt", entities=False)
    assert other.similarity == diff_texts(files["story-1.txt"], files["story-2.txt"]).similarity


def test_a_story_reprinted_many_times_is_one_family(write_files, open_corpus):
    files = {f"reprint-{k}.txt": f"Reprinted by outlet number {k} of eight.\n" + SOURCE
             for k in range(8)}
    files["paraphrase.txt"] = PARAPHRASE
    c = open_corpus(write_files(files))
    c.update(procs=1)
    assert family_paths(c) == [set(files)]


def _reprints(n: int) -> dict[str, str]:
    """``n`` dated reprints of SOURCE, each without one of its sentences and
    with a line of its own (near-copies of each other)."""
    lines = SOURCE.splitlines()
    return {f"reprint-{k:02}.md": f"---\ntitle: Bridge\ndate: 2024-06-20T08:{k:02}:00Z\n---\n"
            + "\n".join(x for j, x in enumerate(lines) if j != 2 + k % 8)
            + f"\nReprinted by outlet number {k}.\n" for k in range(n)}


def test_a_syndicated_story_is_verified_in_linear_not_quadratic_pairs(write_files, open_corpus):
    # every pair of n reprints is a candidate (n(n-1)/2: 66 at 12, 276 at 24,
    # each verified before); the family is found once: each reprint joined
    # to it, then verified against its likeliest closest versions only
    verified = {}
    for n in (12, 24):
        root = write_files({f"{n}/{name}": t for name, t in _reprints(n).items()}) / str(n)
        c = open_corpus(root, name=f"ix{n}")
        r = c.update(procs=1).versions
        [fam] = c.families()
        assert len(fam.members) == n
        # the timeline keeps a step to every later reprint from an earlier one
        assert fam.parents[0] is None and None not in fam.parents[1:]
        assert None not in fam.steps[1:]
        verified[n] = r.candidates
    assert verified[24] <= 4 * 24, verified
    assert verified[24] < 2.5 * verified[12], verified
    # one more reprint: joined to the family, not verified against each member
    (root / "reprint-late.md").write_text(_reprints(25)["reprint-24.md"], encoding="utf-8")
    r = c.update(procs=1).versions
    assert r.candidates <= 4 and len(c.families()[0].members) == 25


def test_a_bucket_past_the_cap_is_paired_with_its_representatives_only():
    from index import versions

    rng = np.random.default_rng(0)
    one = rng.integers(0, 2**32, size=(1, NUM_PERM), dtype=np.uint64).astype(np.uint32)
    others = rng.integers(0, 2**32, size=(50, NUM_PERM), dtype=np.uint64).astype(np.uint32)
    sigs = np.vstack([np.repeat(one, 300, axis=0), others])  # 300 alike: buckets of 300
    ids = [f"d{k:03}" for k in range(len(sigs))]
    reps = versions.BUCKET_REPS
    assert versions.BUCKET_CAP < 300
    found = versions.candidates(ids, sigs, set(ids))
    # each with the bucket's first BUCKET_REPS, not each with each (44,850 pairs)
    assert len(found) == reps * (reps - 1) // 2 + (300 - reps) * reps
    assert all(a in ids[:reps] or b in ids[:reps] for a, b in found)
    assert {x for p in found for x in p} == set(ids[:300])
    # new articles in the bucket: each with the representatives
    found = versions.candidates(ids, sigs, set(ids[200:]))
    assert len(found) == 100 * reps


def test_boilerplate_counts_are_kept_incrementally(sample_dir, write_files, open_corpus,
                                                   monkeypatch):
    from index.store import db
    from index.versions import merge_counts, tally

    monkeypatch.setattr(db, "_BLOB_PIECE", 100)  # the counts are written in pieces

    files = _boilerplate_corpus(write_files, sample_dir)
    root = write_files(files)
    c = open_corpus(root)
    c.update(procs=1)

    def stored() -> dict[int, int]:
        keys, counts = c.store.sentence_counts()
        return dict(zip(np.frombuffer(keys, dtype=np.uint64).tolist(),
                        np.frombuffer(counts, dtype=np.int64).tolist(), strict=True))

    def recount(texts: dict[str, str]) -> dict[int, int]:
        k, n = merge_counts(None, [tally(_keys_of(texts).values())], [])
        return dict(zip(k.tolist(), n.tolist(), strict=True))

    assert stored() == recount(files)
    (root / "fact-norland.txt").unlink()
    (root / "story-0.txt").write_text(STORIES[0], encoding="utf-8")  # the list removed
    (root / "live-4.txt").write_text(live_blog(3).replace("fire", "blaze"), encoding="utf-8")
    r = c.update(procs=1).versions
    assert r.signed == 2  # only the changed and the new article are read
    files = {n: t for n, t in files.items() if n != "fact-norland.txt"}
    files["story-0.txt"] = STORIES[0]
    files["live-4.txt"] = live_blog(3).replace("fire", "blaze")
    assert stored() == recount(files)
    assert len(c.store.sentence_keys([a.id for a in c.articles()])) == len(files)


def test_heavy_hand_paraphrase_is_found_by_its_sentences_order():
    from index.text.align import align

    src, para = prepare(SOURCE), prepare(PARAPHRASE_HEAVY)
    plain = align(src.sentence_tokens, para.sentence_tokens, gap_sim=0)
    assert plain.coverage == (0.4, 0.4)  # on overlap alone: four of ten sentences
    vp = verify("src", src, "para", para)
    assert vp is not None and vp.kind == "rewrite"
    assert vp.aligned == 0.9  # the six between them matched by their place; not the title
    for other in (*STORIES, FACT_SHEET.format(**FACT_FILLS[0]), live_blog(0)):
        assert verify("o", prepare(other), "para", para) is None


def test_a_family_is_a_timeline_first_publication_delays_and_steps(write_files, open_corpus):
    body = ("The council approved the new budget on Tuesday after a long debate about "
            "schools, roads and the harbour. Members said the plan would raise spending "
            "on repairs by a fifth over two years. The mayor called the vote a turning "
            "point for the town. Opponents warned that the harbour project had no "
            "money set aside for its second phase. A final reading is due next month.")
    root = write_files({
        "b.md": f"---\ntitle: Budget\ndate: 2024-06-20T11:30:00+02:00\n---\n{body}\n",
        "a.md": f"---\ntitle: Budget\ndate: 2024-06-20T08:00:00+02:00\n---\n{body}\n",
        "c.md": f"---\ntitle: Budget\n---\n{body}\n",  # undated
        "d.md": f"---\ntitle: Budget\ndate: 2024-06-23\n---\n{body}\n",
    })
    c = open_corpus(root)
    c.update()
    [fam] = c.families()
    assert [m.path for m in fam.members] == ["a.md", "b.md", "d.md", "c.md"]
    assert fam.first == fam.members[0].id and not fam.dated
    # d.md's day is its midnight (a date without a zone: read as UTC), 2 d 18 h after
    # a.md's 06:00 UTC
    assert fam.delays == (0.0, 3.5 * 3600, (2 * 24 + 18) * 3600, None)
    assert fam.steps == (None, "copy", "copy", "copy")
    j = fam.to_json()
    assert (j["first"], j["order"]) == (fam.members[0].id, "partly by date")
    assert [m["delay_s"] for m in j["members"]] == [0.0, 12600.0, 237600.0, None]
    # each later one came from its closest earlier version: all copies of a.md's text,
    # the first of the equally similar earlier ones
    assert fam.parents == (None, fam.members[0].id, fam.members[0].id, fam.members[0].id)
    assert [m["after"] for m in j["members"]] == list(fam.parents)
    from index import delay_label

    assert [delay_label(d) for d in fam.delays] == ["+0 min", "+3 h", "+2 d", "date unknown"]


def test_versions_brought_up_to_date_are_not_compared_again_until_an_article_changes(
        index_folder, write_files):
    """Issue 15: a versions run that has brought the pairs up to date marks the
    store's generation; the next run with the generation unmoved reads no
    article's or signature's hash (two reads of every row at 100k articles).
    A change of the articles moves the generation on: compared again."""
    from index import versions
    from index.store.db import STORE_FILE, Store

    story = "One story about the harbour and its new budget, told at length.\n"
    c, first = index_folder({"a.txt": story, "b.txt": UNRELATED})
    assert first.versions.signed == 2
    path = c.index_dir / STORE_FILE

    def sync() -> tuple[object, list[str]]:
        store = Store(path)
        said: list[str] = []
        store.db.set_trace_callback(said.append)
        try:
            return versions.sync(store, path, procs=1), said
        finally:
            store.close()

    report, said = sync()
    assert (report.signed, report.removed, report.pairs) == (0, 0, 0)
    assert not [q for q in said if "FROM sigs" in q or q.startswith("SELECT id, hash FROM")]
    write_files({"c.txt": story})  # a copy of a.txt: the generation moves on
    assert c.update(versions=False).articles_added == 1
    report, said = sync()
    assert (report.signed, report.pairs) == (1, 1)
    assert sync()[0].signed == 0  # marked again
    store = Store(path)
    try:
        store.clear_versions()  # (a new signature scheme): the mark goes with the signatures
    finally:
        store.close()
    assert sync()[0].signed == 3


def test_an_unchanged_corpus_reads_no_signature(index_folder):
    """Nothing new and nothing gone: the versions phase compares nothing, so
    it reads neither the signatures nor the sentence counts (issue 15: the
    signatures were a fifth of an unchanged re-index at 100k articles)."""
    from index import versions
    from index.store.db import STORE_FILE, Store

    c, _ = index_folder({"a.txt": "One story about the harbour and its new budget.\n",
                         "b.txt": "One story about the harbour and its new budget.\n"})
    path = c.index_dir / STORE_FILE
    store = Store(path)
    said: list[str] = []
    store.db.set_trace_callback(said.append)
    try:
        report = versions.sync(store, path, procs=1)
    finally:
        store.close()
    assert (report.signed, report.removed, report.pairs) == (0, 0, 0)
    assert said  # (the articles and signatures' hashes were read)
    assert not [q for q in said if q.startswith("SELECT id, sig FROM sigs") or "sentcounts" in q]


def test_key_counts_are_a_count_of_the_articles_holding_each_key(monkeypatch):
    """merge_counts against a plain count: each article counts a key once
    (repeated within it or not), articles tallied in several chunks add up,
    subtracted articles count out, a key no article holds any more is gone,
    and the keys come sorted; merged a few keys a step (the range of keys a
    step takes is the one thing that could lose or double a key)."""
    import random
    from collections import Counter

    from index import versions
    from index.versions import merge_counts, tally

    monkeypatch.setattr(versions, "_MERGE_ROWS", 37)
    rng = random.Random(3)
    pool = [rng.getrandbits(64) or 1 for _ in range(400)] + [1, 2**64 - 1, 2**63, 2**63 - 1]

    def article() -> list[tuple[int, int]]:  # (exact, shape) keys, 0 for none
        return [(rng.choice(pool), rng.choice([0, *pool[:20]])) for _ in range(rng.randint(0, 30))]

    def blob(keys) -> bytes:
        return np.array(keys, dtype=np.uint64).reshape(-1, 2).tobytes()

    def chunks(arts) -> list:
        return [tally(blob(a) for a in arts[k:k + 40]) for k in range(0, len(arts), 40)]

    def plain(arts) -> Counter:
        return Counter(k for a in arts for k in {x for pair in a for x in pair if x})

    arts = [article() for _ in range(300)]
    counts = merge_counts(None, chunks(arts), [])
    want = plain(arts)
    assert counts[0].tolist() == sorted(want)
    assert counts[1].tolist() == [want[k] for k in sorted(want)]
    gone, new = arts[:120], [article() for _ in range(50)]
    counts = merge_counts(counts, chunks(new), chunks(gone))
    want = plain(arts[120:] + new)
    assert counts[0].tolist() == sorted(want)
    assert counts[1].tolist() == [want[k] for k in sorted(want)]
    assert merge_counts(counts, [], chunks(arts[120:] + new))[0].tolist() == []


def test_a_rounds_pairs_are_chunked_by_family(monkeypatch):
    """The verifying's chunks (a chunk prepares each article of its pairs)
    keep each family's pairs together, though the families' ids interleave in
    id order; a family with more pairs than a chunk holds goes in pieces of a
    chunk; and the chunks are not mostly empty."""
    from itertools import combinations
    from math import ceil

    from index import versions

    monkeypatch.setattr(versions, "_CHUNK", 30)
    rng = random.Random(7)
    fams = [[f"{rng.getrandbits(64):016x}" for _ in range(rng.randint(2, 7))] for _ in range(40)]
    big = [f"{rng.getrandbits(64):016x}" for _ in range(10)]  # 45 pairs
    fams.append(big)
    pairs = sorted((min(a, b), max(a, b), frozenset()) for f in fams for a, b in combinations(f, 2))
    chunks = versions._pair_chunks(pairs)
    assert sorted(p for c in chunks for p in c) == pairs
    assert max(len(c) for c in chunks) <= 30
    assert len(chunks) <= 2 * len(pairs) / 30 + 1
    where = defaultdict(set)  # article -> the chunks that prepare it
    for k, c in enumerate(chunks):
        for a, b, _ in c:
            where[a].add(k)
            where[b].add(k)
    for f in fams:
        spread = set().union(*(where[x] for x in f))
        assert len(spread) == (ceil(45 / 30) if f is big else 1)


def test_pair_boilerplate_is_what_numpy_finds():
    """The boilerplate of a pair from the articles' profiles, made for many
    articles at once (versions._profiles: keys and counts looked up once, the
    lower quartile without numpy): the keys a plain numpy reading finds (the
    two articles' distinct keys intersected, their counts looked up, the
    floor from numpy.percentile's lower quartile)."""
    from index import versions

    rng = random.Random(11)
    pool = [rng.getrandbits(63) + 1 for _ in range(80)]

    def key() -> int:  # a few keys in many articles, most in few
        return pool[min(int(rng.expovariate(0.08)), len(pool) - 1)]

    arts = [np.array([(key(), rng.choice([0, key()])) for _ in range(rng.randint(0, 25))],
                     dtype=np.uint64).reshape(-1, 2).tobytes() for _ in range(60)]
    counts = versions.merge_counts(None, [versions.tally(arts)], [])
    count = dict(zip(counts[0].tolist(), counts[1].tolist(), strict=True))

    def plain(a: bytes, b: bytes) -> frozenset[int]:
        def profile(blob):
            k = np.frombuffer(blob, dtype=np.uint64).reshape(-1, 2)
            ex = [count[x] for x in k[:, 0].tolist() if x]
            flat = k.ravel()
            return (set(np.unique(flat[flat != 0]).tolist()),
                    int(np.percentile(ex, 25)) if ex else 1)

        (ka, ta), (kb, tb) = profile(a), profile(b)
        floor = max(versions.BOILER_MIN, versions.BOILER_RATIO * max(1, ta, tb))
        return frozenset(x for x in ka & kb if count[x] >= floor)

    profiles = versions._profiles(arts, counts)
    drops = [versions.pair_boilerplate(a, b, counts, profiles) for a in arts for b in arts]
    assert drops == [plain(a, b) for a in arts for b in arts]
    assert 0 < sum(map(bool, drops)) < len(drops)  # (some pairs have boilerplate, not all)
    # one at a time (no profiles kept), the same
    assert [versions.pair_boilerplate(a, b, counts) for a in arts[:10] for b in arts] \
        == drops[:10 * len(arts)]


def test_a_chunk_none_of_whose_articles_has_a_text_stages_nothing(sample_index, tmp_path):
    """A signature chunk whose articles have no text in the store (gone
    between the listing and the read) comes back empty and is staged as
    nothing, as the rest of the run goes on."""
    from conftest import copy_sample_index

    from index import versions
    from index.store.db import STORE_FILE, Store

    ix = copy_sample_index(sample_index, tmp_path / "ix")
    got = versions._sig_chunk(str(ix / STORE_FILE), frozenset(), versions.permutations(),
                              ["no-such-article", "nor-this-one"])
    assert got.ids == []
    store = Store(ix / STORE_FILE)
    try:
        store.stage_versions()
        store.stage_signed(*got.rows({}))
        assert list(store.each_sig(staged=True)) == []
    finally:
        store.close()


# ------------------------------------- the families parent's memory (issue 15)
# The banding reads a band at a time and the pairs' rows on demand (from a
# file in the phase), and the key counts are merged into, and looked up from,
# a file: each is checked against what it replaces, with steps and blocks
# tiny enough that every boundary is crossed.

def _made_up_signatures() -> np.ndarray:
    """Signatures with families of near-copies, and 150 articles sharing
    their first 13 bands (buckets over the cap in each), a few pairs of
    which share a later band too (proposed there, not by the capped ones)."""
    rng = np.random.default_rng(7)

    def rand(n: int) -> np.ndarray:
        return rng.integers(0, 2**32, size=(n, NUM_PERM), dtype=np.uint64).astype(np.uint32)

    capped = rand(150)
    capped[:, :39] = rand(1)[:, :39]  # bands 0-12 alike: buckets of 150
    for k in range(0, 20, 2):  # ... and these pairs band 20 too
        capped[k + 30, 60:63] = capped[k + 31, 60:63]
    fams = []
    for _ in range(12):  # families of 4 keeping 30-70% of their values
        one = rand(1)
        fam = np.repeat(one, 4, axis=0)
        for r in range(1, 4):
            redo = rng.random(NUM_PERM) < rng.uniform(0.3, 0.7)
            fam[r, redo] = rand(1)[0, redo]
        fams.append(fam)
    sigs = np.vstack([capped, *fams, rand(100)])
    return sigs[rng.permutation(len(sigs))]


def _banding_by_definition(sigs: np.ndarray, new: set[int]) -> dict[tuple[int, int], float]:
    """The candidates as the banding defines them, band by band and bucket
    by bucket, in plain Python: a bucket's pairs with a new article; past
    BUCKET_CAP, a new article's pairs with the bucket's first BUCKET_REPS
    rows only; those that estimate at least MIN_ESTIMATE."""
    from index import versions

    keys = versions.band_keys(sigs, versions.LSH_BANDS, versions.LSH_ROWS)
    proposed: set[tuple[int, int]] = set()
    for b in range(versions.LSH_BANDS):
        buckets: dict[int, list[int]] = defaultdict(list)
        for r in range(len(sigs)):
            buckets[int(keys[r, b])].append(r)
        for members in buckets.values():
            if len(members) > versions.BUCKET_CAP:
                reps = members[:versions.BUCKET_REPS]
                pairs = {(x, y) for x in members if x in new for y in reps if y != x}
            else:
                pairs = {(x, y) for x in members for y in members
                         if x != y and (x in new or y in new)}
            proposed |= {(min(p), max(p)) for p in pairs}
    out = {}
    for a, b in proposed:
        e = float((sigs[a] == sigs[b]).mean())
        if e >= versions.MIN_ESTIMATE:
            out[(a, b)] = e
    return out


def test_banding_a_band_at_a_time_finds_the_pairs_the_banding_defines(monkeypatch):
    """Band by band, with the pairs' rows read a few at a time: whether an
    earlier band proposed a pair is decided from its two rows and the capped
    buckets' keys; it finds the pairs of the definition (pairs of a capped
    bucket that a later band proposes included), with their estimates."""
    from index import versions

    monkeypatch.setattr(versions, "_ENTRIES", 7)
    monkeypatch.setattr(versions, "_ESTIMATES", 5)
    sigs = _made_up_signatures()
    ids = [f"d{k:03}" for k in range(len(sigs))]
    rng = random.Random(1)
    for new in (set(range(len(sigs))), {k for k in range(len(sigs)) if rng.random() < 0.4}):
        want = _banding_by_definition(sigs, new)
        got = versions.candidates(ids, sigs, {ids[k] for k in new})
        assert got == {(ids[a], ids[b]): e for (a, b), e in want.items()}
        assert len(got) > 100  # (the capped pairs, the families, the later band's)


def test_banding_from_the_signature_file_is_banding_the_matrix(monkeypatch, tmp_path):
    """The phase's signature file (written a few rows at a time) hands out
    the bands and rows of the matrix: the same pairs, estimates, in order;
    and a row asked for twice, or rows out of order, come as asked."""
    from index import versions

    monkeypatch.setattr(versions, "_ENTRIES", 50)
    monkeypatch.setattr(versions, "_ESTIMATES", 20)
    monkeypatch.setattr(versions._SigFile, "_BLOCK", 7)
    sigs = _made_up_signatures()
    n = len(sigs)
    is_new = np.arange(n) >= 200
    want = versions.banded(n, lambda b: sigs[:, b * 3:(b + 1) * 3], lambda r: sigs[r], is_new)
    with versions._SigFile(tmp_path, n) as f:
        f.fill(row.tobytes() for row in sigs)
        got = versions.banded(n, f.band, f.rows, is_new)
        rows = np.array([5, 3, 4, 5, n - 1, 0])
        assert np.array_equal(f.rows(rows), sigs[rows])
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert len(got[0]) > 50
    assert list(tmp_path.iterdir()) == []  # (unnamed files: nothing left in the folder)


def test_key_counts_merged_into_a_file_are_the_counts_in_memory(monkeypatch, tmp_path):
    """Counts merged into a file, from runs in memory and on disk (read a few
    records at a time) and a run counted out, are merge_counts's: the same
    bytes, and looked up by blocks of a few keys, the same counts (keys
    below the first, past the last, between two, and repeated)."""
    from index import versions
    from index.versions import _KeyCounts, _lookup, _Sorted, merge_counts, tally

    monkeypatch.setattr(versions, "_MERGE_ROWS", 37)
    monkeypatch.setattr(versions, "_READ_ROWS", 11)
    monkeypatch.setattr(versions, "_BLOCK_ROWS", 16)
    rng = random.Random(5)
    pool = [rng.getrandbits(64) | 2 for _ in range(500)] + [2**64 - 1, 2**63]

    def blobs(n: int) -> list[bytes]:
        return [np.array([(rng.choice(pool), rng.choice(pool)) for _ in range(rng.randint(1, 20))],
                         dtype=np.uint64).tobytes() for _ in range(n)]

    old, new = blobs(120), [blobs(30) for _ in range(4)]
    gone = old[:40]
    stored = merge_counts(None, [tally(old)], [])
    want = merge_counts(stored, [tally(b) for b in new], [tally(gone)])
    runs = [_Sorted.of(k, n) for k, n in (tally(b) for b in new[:2])]
    with _KeyCounts.merged(tmp_path, runs) as run, _KeyCounts.merged(
            tmp_path, [_Sorted.of(*stored), run.source()] + [_Sorted.of(*tally(b)) for b in new[2:]]
            + [_Sorted.of(*tally(gone), -1)]) as got:
        assert got.sizes() == (8 * len(want[0]),) * 2
        assert got.read(0, 0, got.sizes()[0]) == want[0].tobytes()
        assert got.read(1, 0, got.sizes()[1]) == want[1].tobytes()
        assert len(got._index) == -(-len(want[0]) // 16)
        absent = [rng.getrandbits(64) & ~2 for _ in range(50)]  # (every key has bit 1)
        asked = np.array([0, 1, 2**64 - 1, *pool, *absent, *want[0][::3].tolist(), pool[0]],
                         dtype=np.uint64)
        found = got.lookup(asked)
        assert np.array_equal(found, _lookup(want, asked))
        assert (found > 0).sum() > 100 and (found == 0).sum() > 50
    assert list(tmp_path.iterdir()) == []


def _version_tables(c: Corpus) -> dict:
    db = c.store.db
    return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
            for t in ("sigs", "sentkeys", "sentcounts", "pairs")}


def test_versions_through_files_in_tiny_pieces_store_what_they_store_in_one(
        sample_dir, write_files, open_corpus, monkeypatch):
    """A versions run whose counts are merged into runs on disk every few
    keys (and the runs merged into one every two), read back (and the stored
    blob) a few records at a time and looked up in blocks of a few keys, and
    whose signatures are written and banded in tiny steps, stores what a run
    in one piece stores: signatures, keys, counts and pairs, a first run and
    an incremental one."""
    from index import versions

    files = _boilerplate_corpus(write_files, sample_dir)
    root = write_files(files)
    whole, pieces = open_corpus(root, name="whole"), open_corpus(root, name="pieces")

    def tiny(m) -> None:
        m.setattr(versions, "_MERGE_ROWS", 29)
        m.setattr(versions, "_RUN_ROWS", 41)
        m.setattr(versions, "_MAX_RUNS", 2)  # (runs merged into one as they come)
        m.setattr(versions, "_READ_ROWS", 5)
        m.setattr(versions, "_BLOCK_ROWS", 4)
        m.setattr(versions, "_ENTRIES", 3)
        m.setattr(versions, "_ESTIMATES", 2)
        m.setattr(versions._SigFile, "_BLOCK", 3)
        m.setattr(versions, "_CHUNK", 4)  # (a tally a chunk: several runs)

    whole.update(procs=1)
    with monkeypatch.context() as m:
        tiny(m)
        pieces.update(procs=1)
    first = _version_tables(whole)
    assert first == _version_tables(pieces)
    assert first["pairs"] and first["sentcounts"]
    (root / "fact-norland.txt").unlink()
    (root / "story-0.txt").write_text(STORIES[0], encoding="utf-8")
    (root / "live-4.txt").write_text(live_blog(3).replace("fire", "blaze"), encoding="utf-8")
    whole.update(procs=1)
    with monkeypatch.context() as m:
        tiny(m)
        pieces.update(procs=1)
    assert _version_tables(whole) == _version_tables(pieces) != first


def _open_in(folder: Path) -> list[str]:
    """The unnamed (or deleted) files this process has open in ``folder``."""
    out = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target.startswith(str(folder) + "/") and target.endswith(" (deleted)"):
            out.append(target)
    return out


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc (Linux)")
def test_a_run_cancelled_while_verifying_leaves_no_temporary_file(
        sample_dir, sample_files, corpus_dir, open_corpus):
    """The signature and counts files of a run (unnamed, in the index folder)
    are closed when it is cancelled as it verifies (after both were made):
    none is left open, none in the folder."""
    copy_seeds(sample_dir, corpus_dir)
    c = open_corpus(corpus_dir)
    c.update(procs=1, versions=False)
    before = sorted(p.name for p in c.index_dir.iterdir())
    phases: list[str] = []
    seen: list[list[str]] = []

    def cancel() -> bool:  # (checked before each chunk: here, the first one verified)
        seen.append(_open_in(c.index_dir))
        return "signatures" in phases

    report = c.update_versions(procs=1, cancel=cancel,
                               progress=lambda phase, _d, _t: phases.append(phase))
    assert report.cancelled and phases == ["signatures"]
    assert len(seen[-1]) == 4  # (the signature file's two, the counts' two)
    assert _open_in(c.index_dir) == []
    assert sorted(p.name for p in c.index_dir.iterdir()) == before


def test_family_candidates_read_in_batches_are_those_read_a_family_at_a_time(monkeypatch):
    """The scanned families' signatures are read several families at a time:
    each family's pairs are those it gets read alone (its own rows, whatever
    batch it is in)."""
    from index import versions
    from index.models import ArticleMeta

    sigs = _made_up_signatures()
    ids = [f"d{k:03}" for k in range(len(sigs))]
    cands = versions.candidates(ids, sigs, set(ids))
    comp = versions._Components()
    for a, b in cands:
        comp.union(a, b)
    groups = [g for g in comp.groups().values() if len(g) > 1]
    assert len(groups) > 5
    new = set(ids[::2])
    metas = [ArticleMeta(i, f"{i}.txt", i, date=f"2024-01-{1 + k % 28:02}")
             for k, i in enumerate(ids)]
    row = {i: k for k, i in enumerate(ids)}

    def run(batch: int) -> list:
        monkeypatch.setattr(versions, "_FAMILY_ROWS", batch)
        return versions.family_candidates(groups, new, set(), cands, row, lambda r: sigs[r], metas)

    alone = run(1)
    assert alone and run(10) == alone and run(10_000) == alone


def test_key_counts_merged_into_a_file_hold_a_step_at_a_time(monkeypatch, tmp_path):
    """Merged into a file, the counts hold a step's keys at a time, not every
    step's (a view of each step's keys, kept for the block index, kept them
    all alive: 8 bytes a key, the families parent's peak at 300k)."""
    import tracemalloc

    from index import versions
    from index.versions import _KeyCounts, _Sorted

    monkeypatch.setattr(versions, "_MERGE_ROWS", 2_000)
    monkeypatch.setattr(versions, "_READ_ROWS", 2_000)
    keys = np.sort(np.random.default_rng(2).integers(1, 2**63, size=200_000, dtype=np.uint64))
    counts = np.ones(len(keys), np.int64)
    with tmp_path.joinpath("keys").open("wb") as f:  # (a run on disk: nothing held in memory)
        f.write(keys.tobytes())
    with tmp_path.joinpath("counts").open("wb") as f:
        f.write(counts.tobytes())
    del keys, counts

    def read(a: int, b: int):
        return (np.fromfile(tmp_path / "keys", np.uint64, b - a, offset=a * 8),
                np.fromfile(tmp_path / "counts", np.int64, b - a, offset=a * 8))

    tracemalloc.start()
    try:
        with _KeyCounts.merged(tmp_path, [_Sorted(200_000, read)]) as got:
            peak = tracemalloc.get_traced_memory()[1]
            assert got.size == 200_000
    finally:
        tracemalloc.stop()
    assert peak < 800_000  # (every key: 1.6 MB; a step's arrays: ~400 KB)
