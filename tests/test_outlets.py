"""Who republishes whom (index.outlets, ``variorum outlets``): version
families read as steps between sources, with delays and spin counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import md_article

from index import run_pipeline

ROOT = Path(__file__).resolve().parent.parent

def _pairs(report) -> dict[tuple[str, str], object]:
    return {(p.origin, p.republisher): p for p in report.pairs}


def test_outlets_count_each_later_version_at_the_source_it_came_from(dated_corpus,
                                                                     open_corpus):
    c = open_corpus(dated_corpus, ner="rules")
    c.update(procs=1)
    r = c.outlets(procs=1, spin=False)
    pairs = _pairs(r)
    assert set(pairs) == {("Wire", "Mirror"), ("Wire", "Spinner")}
    mirror, spinner = pairs["Wire", "Mirror"], pairs["Wire", "Spinner"]
    # c.md's closest earlier version is the identical a.md, not the spun b.md
    assert mirror.counts == (("copy", 2), ("near-copy", 0), ("rewrite", 0))
    assert mirror.median_delay_s == (24 + 2) / 2 * 3600  # a day, and 2 h
    assert dict(spinner.counts) == {"copy": 0, "near-copy": 0, "rewrite": 1}
    assert spinner.median_delay_s == 3 * 3600
    assert [p.origin + ">" + p.republisher for p in r.pairs] == ["Wire>Mirror", "Wire>Spinner"]
    assert r.steps == 3
    assert r.undated == 1  # the blog's copy: which came first is not known
    # without the spin phase, the rewrite is unchecked, and said so
    assert (spinner.checked, spinner.changed_share, r.unchecked) == (0, None, 1)
    assert {(s.earlier.path, s.later.path) for s in mirror.steps} == {
        ("wire/a.md", "mirror/c.md"), ("wire/d.md", "mirror/e.md")}


def test_the_spin_phase_diffs_each_rewrite_once_and_the_table_reads_it(dated_corpus,
                                                                      open_corpus):
    c = open_corpus(dated_corpus, ner="rules")
    c.update(procs=1)
    seen: list[tuple[str, int, int]] = []
    r = c.outlets(procs=1, progress=lambda *a: seen.append(a))
    spinner = _pairs(r)["Wire", "Spinner"]
    # the texts it needed were extracted for it, and no others (a.md's text is
    # c.md's too: three articles of six)
    assert c.entity_coverage() == (3, 6)
    # the spun copy renames people and institutions (the seed's spin report)
    d = c.diff("wire/a.md", "spin/b.md")
    assert d.entity_changes and d.quote_changes
    assert (spinner.checked, spinner.changed, spinner.changed_share) == (1, 1, 1.0)
    assert r.unchecked == 0
    assert ("spin", 1, 1) in seen
    # stored: the next run diffs nothing
    again = run_pipeline(c, ("spin",), procs=1).spin
    assert (again.rewrites, again.cached, again.done) == (1, 1, 0)


def test_a_rewrite_whose_text_changed_is_diffed_again(dated_corpus, open_corpus,
                                                     sample_dir, sample_files):
    c = open_corpus(dated_corpus, ner="rules")
    c.update(procs=1)
    c.outlets(procs=1)
    spun = (sample_dir / sample_files["004"]).read_text(encoding="utf-8")
    (dated_corpus / "spin/b.md").write_text(
        md_article("Summit", spun + "\n\nThe talks end on Friday.", "Spinner",
                   "2024-06-20T11:00:00+00:00"), encoding="utf-8")
    c.update(procs=1)
    again = run_pipeline(c, ("spin",), procs=1).spin
    assert (again.rewrites, again.cached, again.done) == (1, 0, 1)
    import sqlite3

    with sqlite3.connect(c.index_dir / "store.sqlite") as db:  # the old text's row is gone
        assert db.execute("SELECT COUNT(*) FROM spin").fetchone() == (1,)
    spinner = _pairs(c.outlets(procs=1, spin=False))["Wire", "Spinner"]
    assert (dict(spinner.counts)["rewrite"], spinner.checked, spinner.changed) == (1, 1, 1)


def run_cli(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, VARIORUM_DATA_DIR=str(tmp_path / "cli-data"), COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)


def test_outlets_cli_table_json_and_csv(dated_corpus, tmp_path):
    ix = str(tmp_path / "cli-ix")
    base = ["--corpus", str(dated_corpus), "--index-dir", ix, "--ner", "rules"]

    def run_cli_(args):
        return run_cli(args, tmp_path)
    got = run_cli_(["outlets", *base])
    assert got.returncode == 0, got.stderr
    lines = got.stdout.splitlines()
    assert lines[0].split() == ["from", "to", "versions", "copy", "near-copy", "rewrite",
                                "median", "delay", "changed", "entity/quote"]
    assert lines[1].split() == ["Wire", "Mirror", "2", "2", "0", "0", "+13", "h", "-"]
    assert lines[2].split() == ["Wire", "Spinner", "1", "0", "0", "1", "+3", "h", "1/1",
                                "100%"]
    assert "1 later version left out: it or its earlier version has no date" in got.stdout
    data = json.loads(run_cli_(["outlets", *base, "--json"]).stdout)
    assert [(p["origin"], p["republisher"], p["total"], p["rewrites_changed"])
            for p in data["pairs"]] == [("Wire", "Mirror", 2, 0), ("Wire", "Spinner", 1, 1)]
    assert data["left_out_undated"] == 1
    csv_out = run_cli_(["outlets", *base, "--format", "csv"]).stdout.splitlines()
    assert csv_out[0] == ("origin,republisher,total,copy,near-copy,rewrite,median_delay_s,"
                          "rewrites_checked,rewrites_changed,changed_share")
    assert csv_out[2] == "Wire,Spinner,1,0,0,1,10800.0,1,1,1.0"
    steps = run_cli_(["outlets", *base, "--from", "Wire", "--to", "Mirror"])
    assert steps.returncode == 0, steps.stderr
    assert [ln.split()[:3] for ln in steps.stdout.splitlines()[1:]] == [
        ["+2", "h", "copy"], ["+24", "h", "copy"]]
    assert "mirror/e.md" in steps.stdout.splitlines()[1]
    undated = run_cli_(["outlets", "--corpus", str(ROOT / "sample_corpus"), "--index-dir",
                        str(tmp_path / "sample-ix"), "--json"])
    assert undated.returncode == 1  # no dates: no table, as the human output says
    assert json.loads(undated.stdout)["left_out_undated"] == 1
    none = run_cli_(["outlets", *base, "--from", "Nobody"])
    assert none.returncode == 1
    assert none.stderr.strip() == ("variorum: error: no outlet 'Nobody' among the first "
                                   "publishers (Wire)")


def test_versions_dated_the_same_time_are_left_out_in_a_stable_order(write_files, open_corpus,
                                                                    sample_dir, sample_files):
    seed = (sample_dir / sample_files["001"]).read_text(encoding="utf-8")
    spun = (sample_dir / sample_files["004"]).read_text(encoding="utf-8")
    # two outlets' articles in one feed, of one day (the feed's order: the spun one first)
    lines = [json.dumps({"id": "z", "title": "Summit", "text": spun, "source": "Zeta",
                         "date": "2024-03-01"}),
             json.dumps({"id": "a", "title": "Summit", "text": seed, "source": "Alpha",
                         "date": "2024-03-01"})]
    root = write_files({"feed.jsonl": "\n".join(lines) + "\n"})
    c = open_corpus(root, ner="rules")
    c.update(procs=1)
    r = c.outlets(procs=1)
    # one day, no time: who republished whom is not known, and not made up
    assert (r.pairs, r.steps, r.undated, r.same_time) == ((), 0, 0, 1)
    assert r.undated_note == "1 left out: dated the same time as its earlier version"
    assert r.to_json()["left_out_same_time"] == 1
    # the family's order between them is the file's, whatever the process's hash seed
    [fam] = c.families()
    assert [m.line for m in fam.members] == [1, 2]
    second = subprocess.run(
        [sys.executable, "-c", "import sys; from index import Corpus; c = Corpus(sys.argv[1], "
         "index_dir=sys.argv[2]); print(*[m.line for m in c.families()[0].members])",
         str(root), str(c.index_dir)], capture_output=True, text=True, cwd=ROOT,
        env=dict(os.environ, PYTHONHASHSEED="7"), check=True)
    assert second.stdout.split() == ["1", "2"]
