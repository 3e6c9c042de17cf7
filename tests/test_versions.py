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

from index import Corpus
from index.evalset import TRANSFORMS, EvalSet, Spinner, make_evalset
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
    assert len(c.store.load_sigs()[0]) == 5  # one signature per article, none stale


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
    sig_ids, blobs = c.store.load_sigs()
    rows = {i: np.frombuffer(b, dtype=np.uint32) for i, b in zip(sig_ids, blobs, strict=True)}
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
    rows = V.signatures(iter(sets))
    assert rows.shape == (len(sets), NUM_PERM) and rows.dtype == np.uint32
    for fs, row in zip(sets, rows, strict=True):
        m = MinHash(num_perm=NUM_PERM, seed=1)
        m.update_batch([f.encode("utf-8") for f in fs] or [b""])
        assert np.array_equal(row, m.hashvalues)
    assert V.signatures([]).shape == (0, NUM_PERM)


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
    from index.analysis import stem

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
    assert found == {(f"d{k:03}", f"d{50 + k:03}") for k in range(5)}
