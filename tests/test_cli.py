"""The CLI as a user runs it: real subprocesses, real index, JSON shapes, exit codes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_corpus"
# one xdist worker runs them all, in order: they share the module's index
pytestmark = pytest.mark.xdist_group("cli")


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    data = tmp_path_factory.mktemp("data")
    e = dict(os.environ, VARIORUM_DATA_DIR=str(data), COLUMNS="200")
    e.pop("VARIORUM_CORPUS", None)
    return e


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A copy of the sample corpus plus a hostile file, so the user's folder is untouched."""
    d = tmp_path_factory.mktemp("corpus")
    for f in SAMPLE.glob("*.txt"):
        shutil.copy(f, d / f.name)
    (d / "hostile.txt").write_text(
        "Markup test [bold red]not bold[/bold red] \x1b[31mred?\x1b[0m and \x1b]0;title\x07 end.\n"
        "Second paragraph with [link=http://x]a link[/link].\n",
        encoding="utf-8",
    )
    (d / "junk.bin.txt").write_bytes(b"\x00\x01\x02binary\x00")
    return d


def run(env: dict, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True, text=True, env=env, cwd=cwd or ROOT, timeout=120,
    )


def test_index_reports_counts_then_incremental(env, corpus):
    first = run(env, "index", str(corpus), "--json")
    assert first.returncode == 0, first.stderr
    r = json.loads(first.stdout)
    assert r["files_new"] == 7  # 5 seeds, hostile.txt and the binary file (skipped)
    assert r["articles_total"] == 6
    assert [s["path"] for s in r["skipped"]] == ["junk.bin.txt"]
    assert "binary" in r["skipped"][0]["reason"]
    second = json.loads(run(env, "index", str(corpus), "--json").stdout)
    assert (second["files_new"], second["files_changed"], second["files_deleted"]) == (0, 0, 0)
    assert second["files_unchanged"] == 7


def test_search_json_shape_and_spans(env, corpus):
    p = run(env, "search", '"Town College"', "--corpus", str(corpus), "--json")
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    assert set(res) == {"query", "total", "suggestion", "note", "hits"}
    assert res["query"] == '"Town College"' and res["total"] == 1
    (hit,) = res["hits"]
    assert set(hit) == {"id", "path", "title", "score", "snippet", "spans"}
    assert hit["path"] == "004_f4557d851bb201a9.txt"
    shown = json.loads(run(env, "show", hit["id"], "--corpus", str(corpus), "--json").stdout)
    assert set(shown) == {"id", "path", "title", "source", "date", "language", "text"}
    assert [shown["text"][s:e] for s, e in hit["spans"]] == ["Town College"] * len(hit["spans"])
    assert hit["spans"], "the phrase occurs in 004"
    assert "Town College" in hit["snippet"]


def test_show_by_path_with_query_highlights(env, corpus):
    p = run(env, "show", "004_f4557d851bb201a9.txt", "--corpus", str(corpus),
            "--query", "Soler", "--json")
    data = json.loads(p.stdout)
    assert data["spans"] and all(data["text"][s:e] == "Soler" for s, e in data["spans"])


def test_nothing_found_exits_1_with_suggestion(env, corpus):
    p = run(env, "search", "stimsen", "--corpus", str(corpus), "--json")
    assert p.returncode == 1
    res = json.loads(p.stdout)
    assert res["total"] == 0 and res["suggestion"] == "stimson"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("search", '"unclosed'), "unbalanced quote"),
        (("search", "nosuchfield:x"), "unknown field"),
        (("search", "(a OR b"), "parentheses"),
        (("show", "does-not-exist"), "no article"),
        (("index", "/no/such/folder"), "not found"),
        (("search",), "Missing argument"),
    ],
)
def test_errors_are_one_line_exit_2(env, corpus, args, needle):
    extra = ("--corpus", str(corpus)) if args[0] in ("search", "show") and len(args) > 1 else ()
    p = run(env, *args, *extra)
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert needle in lines[0] and "Traceback" not in p.stderr


def test_piped_output_is_plain_and_markup_is_data(env, corpus):
    p = run(env, "show", "hostile.txt", "--corpus", str(corpus))
    assert p.returncode == 0, p.stderr
    assert "[bold red]not bold[/bold red]" in p.stdout  # shown literally, not interpreted
    assert "[link=http://x]a link[/link]" in p.stdout
    assert "\x1b" not in p.stdout and "\x07" not in p.stdout
    s = run(env, "search", "markup", "--corpus", str(corpus))
    assert s.returncode == 0 and "\x1b" not in s.stdout


def test_human_search_output_lists_hits(env, corpus):
    p = run(env, "search", "Stimson", "--corpus", str(corpus))
    assert p.returncode == 0
    assert p.stdout.splitlines()[0].startswith("3 results for Stimson")
    assert "001_f563c122a25a09e3.txt" in p.stdout


def test_similar_excludes_itself(env, corpus):
    p = run(env, "similar", "001_f563c122a25a09e3.txt", "--corpus", str(corpus), "--json")
    data = json.loads(p.stdout)
    paths = [h["path"] for h in data["hits"]]
    assert "001_f563c122a25a09e3.txt" not in paths and paths


def test_reader_refuses_without_a_terminal(env, corpus):
    p = run(env, str(corpus))
    assert p.returncode == 2 and "terminal" in p.stderr


def test_no_corpus_given_is_a_clear_error(env, tmp_path):
    p = run(env, "search", "x", cwd=tmp_path)
    assert p.returncode == 2 and "no corpus given" in p.stderr


def test_entities_json_shape(env, corpus):
    r = run(env, "entities", "001_f563c122a25a09e3.txt", "--corpus", str(corpus), "--json")
    assert r.returncode == 0, r.stderr
    ents = json.loads(r.stdout)
    assert all(set(e) == {"name", "label", "count", "mentions"} for e in ents)
    liu = next(e for e in ents if e["name"] == "Liu Dongshu")
    assert liu["label"] == "PERSON" and liu["count"] == len(liu["mentions"]) == 5
    text = (corpus / "001_f563c122a25a09e3.txt").read_text(encoding="utf-8")
    assert {text[s:e] for s, e in liu["mentions"]} == {"Liu Dongshu", "Liu"}


def test_quotes_json_shape_and_no_quotes_exits_0(env, corpus):
    r = run(env, "quotes", "001_f563c122a25a09e3.txt", "--corpus", str(corpus), "--json")
    assert r.returncode == 0, r.stderr
    quoted = json.loads(r.stdout)
    assert all(set(q) == {"text", "speaker", "start", "end", "kind"} for q in quoted)
    quotes = [q for q in quoted if q["kind"] == "quote"]
    phrases = {q["text"]: q["speaker"] for q in quoted if q["kind"] == "phrase"}
    assert phrases["turning point"] == "Kim Jong Un" and phrases["old friends"] is None
    text = (corpus / "001_f563c122a25a09e3.txt").read_text(encoding="utf-8")
    last = quotes[-1]
    assert last["speaker"] == "Liu Dongshu"
    assert text[last["start"]:last["end"]].startswith("“Neither country")
    none = run(env, "quotes", "002_48ed843bf2c6f299.txt", "--corpus", str(corpus), "--json")
    assert none.returncode == 0 and json.loads(none.stdout) == []  # an answer (issue 13)


def test_human_entities_and_quotes(env, corpus):
    r = run(env, "entities", "003_1cc552ea7276300b.txt", "--corpus", str(corpus))
    assert r.returncode == 0 and "People (PERSON)" in r.stdout and "John Delury" in r.stdout
    assert "spaCy" in r.stdout
    r = run(env, "quotes", "003_1cc552ea7276300b.txt", "--corpus", str(corpus), "--ner", "rules")
    assert r.returncode == 0 and "John Delury" in r.stdout and "rules" in r.stdout


def test_entity_search_extracts_what_is_missing_first(env, corpus):
    r = run(env, "search", 'person:"Yun Sun"', "--corpus", str(corpus), "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert {h["path"] for h in res["hits"]} == {"001_f563c122a25a09e3.txt",
                                                "003_1cc552ea7276300b.txt"}
    assert res["note"] is None
    bad = run(env, "search", "person:yu*", "--corpus", str(corpus))
    assert bad.returncode == 2 and "person: takes a name" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_diff_json_shape(env, corpus):
    r = run(env, "diff", "001_f563c122a25a09e3.txt", "004_f4557d851bb201a9.txt",
            "--corpus", str(corpus), "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert set(d) >= {"a", "b", "similarity", "groups", "substitutions", "entity_changes",
                      "quote_changes", "stats"}
    assert all(set(g) == {"a", "b", "moved", "ops"} for g in d["groups"])
    assert {"from": "new", "to": "ancient", "count": 3} in d["substitutions"]
    assert {"label": "PERSON", "from": "Yun Sun", "to": "Yun Soler"} in d["entity_changes"]
    assert any(q["speaker"] == "Yun Sun" and q["to_speaker"] == "Yun Soler"
               for q in d["quote_changes"])
    # issue 10: phrases apart from quotes, case-only changes apart, numbers in context
    assert {(p["kind"], p["from"], p["to"]) for p in d["phrase_changes"]} >= {
        ("changed", "turning point", "watershed moment")}
    assert not any(q["from"] == "turning point" for q in d["quote_changes"])
    assert {"from": "CNN", "to": "cnn", "count": 1} in d["case_changes"]
    assert not any(s["from"] == "CNN" for s in d["substitutions"])
    # two dates only the first has, each with the sentence it is in
    assert [(n["kind"], n["from"], n["to"], n["context_to"]) for n in d["number_changes"]] == [
        ("date", "June 21, 2019", None, None), ("date", "May 16, 2024", None, None)]
    assert all(n["from"] in n["context_from"] for n in d["number_changes"])
    yun = next(q for q in d["quote_changes"] if q["speaker"] == "Yun Sun")
    assert "[-invaluable-]" in yun["excerpt_from"] and "{+irreplaceable+}" in yun["excerpt_to"]


def test_diff_human_inline_and_side_by_side(env, corpus):
    args = ("diff", "001_f563c122a25a09e3.txt", "004_f4557d851bb201a9.txt", "--corpus",
            str(corpus), "--no-entities")
    inline = run(env, *args, "--inline")
    assert inline.returncode == 0 and "[-While-] {+As+}" in inline.stdout
    assert "Spin report" in inline.stdout and "new → ancient" in inline.stdout
    assert "not listed: 2 case-only" in inline.stdout
    assert "date     June 21, 2019 → (none)" in inline.stdout
    side = run(env, *args, "--side-by-side", "--changes-only")
    assert side.returncode == 0 and "[-While-]" in side.stdout and "{+As+}" in side.stdout
    bad = run(env, "diff", "001_f563c122a25a09e3.txt", "nope.txt", "--corpus", str(corpus))
    assert bad.returncode == 2 and "nope.txt" in bad.stderr


def test_diff_exports_html_and_markdown(env, corpus, tmp_path):
    args = ("diff", "001_f563c122a25a09e3.txt", "004_f4557d851bb201a9.txt", "--corpus",
            str(corpus), "--no-entities")
    md = run(env, *args, "--format", "md")
    assert md.returncode == 0, md.stderr
    assert md.stdout.startswith("# Diff: ") and "\n## Spin report\n" in md.stdout
    assert "`~` ~~While~~ **As** Russian President" in md.stdout
    target = tmp_path / "report.html"
    html = run(env, *args, "--format", "html", "-o", str(target))
    assert html.returncode == 0, html.stderr
    assert html.stdout == "" and html.stderr == f"wrote {target}\n"
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<td><del>While</del> Russian" in page
    assert "<h3>Substitutions (" in page
    # a file's markup is text in a report (its terminal escapes were dropped when indexed)
    hostile = run(env, "diff", "hostile.txt", "001_f563c122a25a09e3.txt", "--corpus",
                  str(corpus), "--no-entities", "--format", "html")
    assert hostile.returncode == 0, hostile.stderr
    assert "<h2>Markup test [bold red]not bold[/bold red] red? and  end.</h2>" in hostile.stdout
    assert "[link=http://x]a link[/link]" in hostile.stdout and "href" not in hostile.stdout
    assert "\x1b" not in hostile.stdout and "\x07" not in hostile.stdout
    # -o alone, or --format with another output
    bad = run(env, *args, "-o", str(tmp_path / "x.md"))
    assert bad.returncode == 2 and "-o needs --format html or --format md" in bad.stderr
    both = run(env, *args, "--format", "md", "--json")
    assert both.returncode == 2 and "--format writes the whole report" in both.stderr
    assert not (tmp_path / "x.md").exists()


# A file name holding a bracketed-paste end, a right-to-left override and an
# 8-bit CSI (issue 11): the terminal and JSON must never get them raw.
HOSTILE_NAME = "evil\x1b[201~\u202egnp\x9b.txt"
RAW = ("\x1b", "\x9b", "\u202e")


@pytest.fixture(scope="module")
def hostile_names(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("names")
    (d / HOSTILE_NAME).write_text("Hostile name story\n\nA narwhal surfaced near the pier.\n",
                                  encoding="utf-8")
    (d / "plain.txt").write_text("Plain story\n\nA narwhal and a walrus met.\n",
                                 encoding="utf-8")
    return d


def test_hostile_file_names_leave_escaped_in_json_and_human_output(env, hostile_names):
    args = ("--corpus", str(hostile_names))
    js = run(env, "search", "narwhal", *args, "--json")
    assert js.returncode == 0, js.stderr
    assert not any(c in js.stdout for c in RAW)
    assert "\\u009b" in js.stdout and "\\u202e" in js.stdout  # escaped, not dropped
    paths = {h["path"] for h in json.loads(js.stdout)["hits"]}
    assert paths == {HOSTILE_NAME, "plain.txt"}  # the data round-trips exactly
    hid = next(h["id"] for h in json.loads(js.stdout)["hits"] if h["path"] == HOSTILE_NAME)
    shown = run(env, "show", hid, *args, "--json")
    assert not any(c in shown.stdout for c in RAW)
    assert json.loads(shown.stdout)["path"] == HOSTILE_NAME
    human = run(env, "search", "narwhal", *args)
    assert human.returncode == 0 and not any(c in human.stdout for c in RAW)
    assert "evil\\x1b[201~\\u202egnp\\x9b.txt" in human.stdout  # visible, recognisable
    versions = run(env, "show", hid, *args)
    assert not any(c in versions.stdout for c in RAW)


def test_error_messages_carry_paths_escaped_on_one_line(env, tmp_path):
    missing = tmp_path / "gone\x1b]0;pwned\x07\n\u202edir"
    for args in (("search", "x", "--corpus", str(missing)), ("index", str(missing))):
        p = run(env, *args)
        assert p.returncode == 2
        assert len(p.stderr.splitlines()) == 1, p.stderr
        assert not any(c in p.stderr for c in (*RAW, "\x07"))
        assert "gone\\x1b]0;pwned\\x07 \\u202edir" in p.stderr


def test_commands_during_another_update_say_so_in_one_line(env, corpus, tmp_path):
    from index.search.indexer import update_lock

    ix = tmp_path / "ix"
    assert run(env, "index", str(corpus), "--index-dir", str(ix)).returncode == 0
    with update_lock(ix):  # another process is updating this index
        busy = run(env, "index", str(corpus), "--index-dir", str(ix))
        assert busy.returncode == 2
        assert len(busy.stderr.splitlines()) == 1 and "another" in busy.stderr
        # reading commands go on with the index as it is
        found = run(env, "search", "Stimson", "--corpus", str(corpus), "--index-dir", str(ix))
        assert found.returncode == 0, found.stderr
        vers = run(env, "versions", "--corpus", str(corpus), "--index-dir", str(ix))
        assert vers.returncode == 0, vers.stderr
        assert "family 1: 2 versions" in vers.stdout
        assert len(vers.stderr.splitlines()) == 1 and "another process" in vers.stderr
    first = tmp_path / "ix-first"
    first.mkdir()
    with update_lock(first):  # another process is making the first index
        p = run(env, "search", "Stimson", "--corpus", str(corpus), "--index-dir", str(first))
        assert p.returncode == 2
        assert p.stderr.splitlines() == [
            f"variorum: error: another process is indexing {corpus} for the first time; "
            "try again when it has finished"]


# ------------------------------------------------- issue 13: piped and terminal

ANSI = re.compile(r"\x1b\[[0-9;]*m")
HUMAN = [
    ("show", "003_1cc552ea7276300b.txt"),
    ("search", "Stimson"),
    ("similar", "003_1cc552ea7276300b.txt"),
    ("versions",),
    ("entities", "003_1cc552ea7276300b.txt"),
    ("quotes", "003_1cc552ea7276300b.txt"),
    ("diff", "001_f563c122a25a09e3.txt", "004_f4557d851bb201a9.txt", "--no-entities"),
]


def piped(env: dict, *args: str, columns: str | None = None) -> str:
    e = {k: v for k, v in env.items() if k not in ("COLUMNS", "FORCE_COLOR", "TTY_COMPATIBLE")}
    if columns:
        e["COLUMNS"] = columns
    p = run(e, *args)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_piped_show_is_the_text_as_it_is(env, corpus):
    """Issue 13 (12): no wrapping at 80 columns, no trailing spaces: every
    paragraph of the article is one line of the output, as in its file."""
    name = "003_1cc552ea7276300b.txt"
    out = piped(env, "show", name, "--corpus", str(corpus)).splitlines()
    text = json.loads(run(env, "show", name, "--corpus", str(corpus), "--json").stdout)["text"]
    paragraphs = [p for p in text.splitlines() if len(p) > 100]
    assert paragraphs and all(p in out for p in paragraphs)
    assert [line for line in out if line != line.rstrip()] == []


@pytest.mark.parametrize("args", HUMAN, ids=[a[0] for a in HUMAN])
def test_piped_human_output_does_not_depend_on_columns(env, corpus, args):
    """Piped, every subcommand prints whole lines: the same at 40 columns as at
    the default, and no line ends in padding."""
    wide = piped(env, *args, "--corpus", str(corpus))
    narrow = piped(env, *args, "--corpus", str(corpus), columns="40")
    assert wide.splitlines() == narrow.splitlines()
    if args[0] != "entities":  # (its lines are short) long lines were there to wrap
        assert max(len(line) for line in wide.splitlines()) > 80
    assert [line for line in wide.splitlines() if line != line.rstrip()] == []


def test_piped_search_lines_are_whole_and_on_a_terminal_fit_its_width(env, corpus):
    args = ("search", "Stimson", "--corpus", str(corpus))
    res = json.loads(run(env, *args, "--json").stdout)
    lines = piped(env, *args).splitlines()
    for i, h in enumerate(res["hits"], 1):
        assert f"{i:>3}. {h['title']}  {h['path']}  {h['id']}  {h['score']:.2f}" in lines
        assert "     " + h["snippet"] in lines
    term = dict(env, TTY_COMPATIBLE="1", COLUMNS="120")  # rich takes it for a terminal
    shown = ANSI.sub("", run(term, *args).stdout).splitlines()
    assert len(shown) == len(lines)  # nothing wrapped onto a line of its own
    assert max(len(line) for line in shown) == 120
    snippets = [line for line in shown if line.startswith("     ")]
    long = [x for x in lines if x.startswith("     ") and len(x) > 120]
    assert long and len(snippets) == len(res["hits"])
    assert sum(x.endswith("…") and len(x) == 120 for x in snippets) == len(long)
    for i, h in enumerate(res["hits"], 1):  # titles are cut, the path and id stay
        (line,) = [x for x in shown if x.startswith(f"{i:>3}. ")]
        assert line.endswith(f"  {h['path']}  {h['id']}  {h['score']:.2f}")


def test_a_mistyped_command_names_the_closest(env, tmp_path):
    """Issue 13 (13a): one line, exit 2; a word that is neither a command nor a
    folder says so."""
    for args, said in [
        (("serach", "putin"), "no command 'serach'; did you mean 'search'?"),
        (("diffs", "a", "b"), "no command 'diffs'; did you mean 'diff'?"),
        (("nosuchcommand",), "no command or corpus folder 'nosuchcommand' (the commands: "
                             "open, index, search, show, versions, outlets, entities, quotes, "
                             "diff, "
                             "similar)"),
        (("./nosuchfolder",), "corpus folder not found: ./nosuchfolder"),
    ]:
        p = run(env, *args, cwd=tmp_path)
        assert p.returncode == 2 and p.stdout == ""
        assert p.stderr.splitlines() == [f"variorum: error: {said}"]
    (tmp_path / "serach").mkdir()  # a folder of that name is a corpus folder: the reader
    p = run(env, "serach", cwd=tmp_path)
    assert p.returncode == 2 and "the reader needs a terminal" in p.stderr


def test_articles_are_named_by_a_unique_file_name_prefix(env, corpus):
    """Issue 13 (13b): `variorum diff 001 004`, as the README names them."""
    args = ("--corpus", str(corpus), "--json")
    short = run(env, "diff", "001", "004", "--no-entities", *args)
    assert short.returncode == 0, short.stderr
    full = run(env, "diff", "001_f563c122a25a09e3.txt", "004_f4557d851bb201a9.txt",
               "--no-entities", *args)
    assert json.loads(short.stdout) == json.loads(full.stdout)
    bad = run(env, "show", "00", *args)
    assert bad.returncode == 2 and bad.stderr.splitlines() == [
        "variorum: error: '00' is the start of several file names: 000_0e0738cec9c8d1ee.txt, "
        "001_f563c122a25a09e3.txt, 002_48ed843bf2c6f299.txt, …"]


def test_an_article_with_no_quotes_or_entities_is_an_answer(env, tmp_path):
    """Issue 13 (13c): exit 0, one clear line; JSON an empty list."""
    (tmp_path / "calm.txt").write_text("quiet notes\n\nthe tide came in and went out.\n")
    args = ("calm.txt", "--corpus", str(tmp_path), "--ner", "rules")
    for cmd in ("quotes", "entities"):
        human = run(env, cmd, *args)
        assert human.returncode == 0, human.stderr
        (line,) = human.stdout.splitlines()
        assert line.startswith(f"no {cmd} found · rules")
        js = run(env, cmd, *args, "--json")
        assert js.returncode == 0 and json.loads(js.stdout) == []


def test_search_as_csv_and_jsonl_tables_no_formula_runs(env, tmp_path):
    import csv
    import io

    d = tmp_path / "formula"
    d.mkdir()
    # a title a spreadsheet would run as a formula, and one with a comma and quotes
    (d / "a.md").write_text('---\ntitle: "=HYPERLINK(\\"http://x\\",\\"y\\")"\n---\n'
                            "Harbour budget story one.\n", encoding="utf-8")
    (d / "b.md").write_text('---\ntitle: "Harbour, \\"quoted\\" news"\ndate: 2024-06-20\n---\n'
                            "Harbour budget story two.\n", encoding="utf-8")
    assert run(env, "index", str(d)).returncode == 0
    p = run(env, "search", "harbour", "--corpus", str(d), "--format", "csv")
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert list(rows[0]) == ["rank", "id", "path", "title", "source", "date", "score", "snippet"]
    titles = {r["path"]: r["title"] for r in rows}
    assert titles == {"a.md": "'=HYPERLINK(\"http://x\",\"y\")", "b.md": 'Harbour, "quoted" news'}
    p = run(env, "search", "harbour", "--corpus", str(d), "--format", "jsonl")
    lines = [json.loads(line) for line in p.stdout.splitlines()]
    assert [x["rank"] for x in lines] == [1, 2] and {x["path"] for x in lines} == {"a.md",
                                                                                   "b.md"}
    assert {x["title"] for x in lines} == {'=HYPERLINK("http://x","y")', 'Harbour, "quoted" news'}


def test_versions_as_a_csv_table_one_row_a_member(env, corpus):
    import csv
    import io

    p = run(env, "versions", "--corpus", str(corpus), "--format", "csv")
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert [(r["family"], r["path"][:3], r["first"], r["delay_s"], r["step"]) for r in rows] == [
        ("1", "001", "False", "", ""), ("1", "004", "False", "", "rewrite")]
    assert [r["after"] for r in rows] == ["", rows[0]["id"]]


def test_an_update_leaves_the_signal_handlers_as_they_were(tmp_path, sample_dir):
    """The clean-cancel handlers of Ctrl-C and SIGTERM (and the hook that
    keeps a dropped stop quiet) hold while an update runs, not for the rest
    of the process: a search after building an index on first use, or a
    caller of the CLI's functions, gets its own handlers back."""
    import signal

    from index import Corpus
    from tui import cli as tcli

    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM),
              sys.unraisablehook)
    with Corpus(sample_dir, index_dir=tmp_path / "ix") as c:
        report = tcli.run_update(c, quiet=True)
    assert report.articles_total == 5
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM),
            sys.unraisablehook) == before
