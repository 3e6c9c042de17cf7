"""Property-based fuzzing of ingestion: every format the engine reads, hostile
names, bytes, encodings, JSON shapes, front matter and HTML.

Each example writes a small corpus (in two batches: the second lands on an
existing index) and runs the real indexer in-process. Whatever the files, the
run never aborts; each bad file (each bad JSONL line) gets exactly one skip
reason; each good file (line) is found by a marker word unique to it; nothing
is both skipped and indexed; and every stored field stays within its limit.

Bounded in time: a fixed seed, a few dozen examples of a few small files each.
"""

from __future__ import annotations

import codecs
import html
import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import Corpus, ingest

# Small limits, so the over-limit paths are fuzzed on small files.
FILE_LIMIT = 96 * 1024
LINE_LIMIT = 24 * 1024


@pytest.fixture(autouse=True, scope="module")
def _small_limits():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ingest, "MAX_FILE_BYTES", FILE_LIMIT)
        mp.setattr(ingest, "MAX_LINE_BYTES", LINE_LIMIT)
        yield


WORDS = ["harbour", "ferry", "council", "river", "market", "winter", "school", "report",
         "minister", "village", "bridge", "station", "weather", "festival", "budget"]
ACCENTED = ["café", "naïve", "résumé", "façade", "über", "señor", "crème", "brûlée", "zoë"]

GOOD, BAD, EITHER = "good", "bad", "either"


def marker(n: int) -> str:
    """A word no generated text contains and no stemmer changes: q z v + letters + x."""
    letters = ""
    while True:
        n, r = divmod(n, 20)
        letters += "bcdfghjklmnprstvwyzq"[r]
        if not n:
            break
    return f"qzv{letters}x"


@dataclass
class Spec:
    """One generated file and what must come of it."""

    name: bytes  # corpus-relative
    content: bytes | None  # None: made by ``make`` (a FIFO, a link)
    expect: str  # GOOD, BAD or EITHER, for the file as a whole (not a .jsonl)
    markers: list[str] = field(default_factory=list)
    lines: dict[int, tuple[str, str | None]] = field(default_factory=dict)  # JSONL
    make: str | None = None

    @property
    def shown(self) -> str:
        return ingest.shown_name(os.fsdecode(self.name))


# ---------------------------------------------------------------- text parts

words = st.lists(st.sampled_from(WORDS + ACCENTED), min_size=3, max_size=25).map(" ".join)
# Any character but controls and surrogates (controls come from escapes below).
any_text = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=60)
latin_text = st.text(st.characters(codec="latin-1", categories=("L", "N", "P", "Zs")),
                     max_size=60)
# (No NUL: a NUL byte in the first 8 KiB marks a file as binary. In a JSON
# string it is an escape, and it is there: see good_line.)
escapes = st.sampled_from(["\x1b[31m", "\x1b]0;title\x07", "\x1b]8;;x", "\x9b2J", "\x07",
                           "\u202e", "\x1bP", "\ufeff", "\r\n", "\t", "\x85"])
noise = st.lists(st.one_of(any_text, escapes), max_size=4).map("".join)
long_text = st.integers(70, 700).map(lambda n: "Long " * n)
title_line = st.one_of(words, any_text, long_text)


def body(draw, mark: str, junk=noise) -> str:
    # The marker has a line of its own: a terminated escape string in the noise
    # removes what it encloses, but never across a line break.
    return "\n".join([draw(title_line), "", draw(words), mark, draw(junk), draw(words)])


# ----------------------------------------------------------------- per format

TEXT_ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32",
                  "cp1252", "latin-1", "utf-8 with a bad byte"]


@st.composite
def txt_file(draw, mark: str) -> tuple[bytes, str]:
    enc = draw(st.sampled_from(TEXT_ENCODINGS))
    if enc in ("cp1252", "latin-1", "utf-16-le", "utf-16-be"):
        # legacy code pages hold Latin-1 only; without a BOM, UTF-16 is told
        # by the NUL bytes of Latin text
        text = "\n".join([draw(words), "", draw(words), mark, draw(latin_text), draw(words)])
        text = text.encode(enc, "ignore").decode(enc)
    elif enc.startswith("utf-8"):
        text = body(draw, mark)
    else:
        # Escapes and controls only in UTF-8: in other encodings a control
        # character is a sign of binary data (and plausibly so).
        text = body(draw, mark, any_text)
    if enc == "utf-8 with a bad byte":
        return "café ".encode() + text.encode() + b" \xff end", enc
    return text.encode(enc, "surrogatepass"), enc


def yaml_front(draw) -> str:
    choice = draw(st.sampled_from(["mapping", "aliases", "bomb", "garbage", "toml", "none"]))
    if choice == "none":
        return ""
    if choice == "toml":
        return f'+++\ntitle = {json.dumps(draw(any_text))}\ndate = 2024-03-05\n+++\n'
    if choice == "garbage":
        return f"---\n{draw(any_text)}: [{{\n---\n"
    if choice == "bomb":
        width, depth = draw(st.integers(2, 9)), draw(st.integers(2, 9))
        lines = ['a0: &a0 ["lol"]']
        for i in range(1, depth):
            lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * width) + "]")
        return "---\n" + "\n".join(lines) + f"\ntitle: *a{depth - 1}\n---\n"
    meta = draw(st.dictionaries(
        st.sampled_from(["title", "date", "source", "author", "url", "tags", "x"]),
        st.one_of(any_text, st.integers(), st.lists(any_text, max_size=3), st.none(),
                  long_text),
        max_size=5,
    ))
    text = yaml.safe_dump(meta, allow_unicode=True)
    if choice == "aliases":
        text = "shared: &s value\nagain: *s\n" + text
    return f"---\n{text}---\n"


@st.composite
def md_file(draw, mark: str) -> bytes:
    return (yaml_front(draw) + body(draw, mark)).encode("utf-8")


@st.composite
def html_file(draw, mark: str) -> bytes:
    jsonld = draw(st.sampled_from(["", "dated", "deep", "malformed", "bigint"]))
    depth = draw(st.integers(ingest.MAX_JSON_DEPTH + 1, 5000))
    script = {
        "": "",
        "dated": '{"@graph": [{"datePublished": "2024-03-05"}]}',
        "deep": '{"@graph": ' * depth + "1" + "}" * depth,
        "malformed": '{"datePublished": ',
        "bigint": '{"n": ' + "7" * 5000 + "}",
    }[jsonld]
    head = f"<title>{html.escape(draw(title_line))}</title>"
    if script:
        head += f'<script type="application/ld+json">{script}</script>'
    paragraph = " ".join([draw(words), draw(words), mark, draw(words), draw(words)])
    page = (f"<!doctype html><html><head>{head}</head><body><article>"
            f"<p>{html.escape(paragraph)}</p><p>{html.escape(draw(noise))}</p>"
            "</article></body></html>")
    return page.encode("utf-8", "surrogatepass")


# ------------------------------------------------------------------- JSONL

json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), any_text)
json_value = st.recursive(json_scalar, lambda c: st.lists(c, max_size=3)
                          | st.dictionaries(any_text, c, max_size=3), max_leaves=12)
SURROGATES = ["\ud800", "\udfff", "\udc80x", "\ud83d"]


@st.composite
def good_line(draw, mark: str) -> str:
    obj = {"text": f"{draw(words)} {mark} {draw(noise)}{draw(st.sampled_from(['', chr(0)]))}"}
    for key in draw(st.lists(st.sampled_from(["title", "id", "author", "date", "source",
                                              "url", "extra"]), max_size=4, unique=True)):
        obj[key] = draw(st.one_of(json_value, st.sampled_from(SURROGATES), long_text))
    if draw(st.booleans()):
        obj["text"] += draw(st.sampled_from(SURROGATES))  # a lone one: U+FFFD
    if draw(st.booleans()):  # nested, within the limit
        obj["nest"] = json.loads("[" * 60 + "]" * 60)
    # not ASCII-escaped, a lone surrogate is written as its (invalid) UTF-8 bytes
    return json.dumps(obj, ensure_ascii=draw(st.booleans()))


def bad_lines():
    deep = st.integers(ingest.MAX_JSON_DEPTH + 1, 20_000).map(
        lambda n: '{"text": "deep", "x": ' + "[" * n + "]" * n + "}")
    return st.one_of(
        st.just("{not json"),
        st.just('{"text": "cut off'),
        deep,
        st.integers(ingest.MAX_JSON_INT_DIGITS + 1, 6000).map(
            lambda n: '{"text": "big", "n": ' + "9" * n + "}"),
        st.sampled_from(["[1, 2]", "42", '"just a string"', "null"]),
        st.just('{"title": "no text"}'),
        st.sampled_from(['{"text": 5}', '{"text": ["a"]}', '{"text": null}', '{"text": {}}']),
        st.just('{"text": "   \\u0000  "}'),
        st.just('{"text": "' + "long " * (LINE_LIMIT // 5 + 10) + '"}'),
    )


@st.composite
def jsonl_file(draw, next_mark) -> tuple[bytes, dict[int, tuple[str, str | None]]]:
    out: list[bytes] = []
    lines: dict[int, tuple[str, str | None]] = {}
    for n in range(1, draw(st.integers(1, 6)) + 1):
        kind = draw(st.sampled_from([GOOD, GOOD, BAD, EITHER, "blank"]))
        if kind == GOOD:
            mark = next_mark()
            out.append(draw(good_line(mark)).encode("utf-8", "surrogatepass"))
            lines[n] = (GOOD, mark)
        elif kind == BAD:
            line = draw(bad_lines()).encode()
            if draw(st.booleans()):
                line = b"\x00\x01" + line  # binary bytes
            out.append(line)
            lines[n] = (BAD, None)
        elif kind == EITHER:  # random bytes: may be text, may not
            line = draw(st.binary(min_size=1, max_size=200)).replace(b"\n", b" ")
            out.append(line if line.strip() else b"x" + line)  # a blank line is no line
            lines[n] = (EITHER, None)
        else:
            out.append(draw(st.sampled_from([b"", b"   ", b"\t"])))
    data = b"\n".join(out) + draw(st.sampled_from([b"\n", b"", b"\r\n"]))
    if not any(kind in (GOOD, BAD, EITHER) for kind, _ in lines.values()):
        lines = {}
    return data, lines


# ------------------------------------------------------------------ a corpus

SAFE_NAME = st.text(st.characters(exclude_characters="/\x00", exclude_categories=("Cs",)),
                    max_size=12)


@st.composite
def corpus(draw) -> list[Spec]:
    counter = iter(range(10**6))

    def next_mark() -> str:
        return marker(next(counter))

    specs: list[Spec] = []
    for i in range(draw(st.integers(1, 9))):
        stem = f"f{i}_{draw(SAFE_NAME)}".encode().replace(b"/", b"_")
        if draw(st.integers(0, 5)) == 0:
            stem = b"sub/" + stem
        kind = draw(st.sampled_from(["txt", "md", "html", "jsonl", "bad", "bad", "either"]))
        if kind == "txt":
            mark = next_mark()
            data, _ = draw(txt_file(mark))
            specs.append(Spec(stem + b".txt", data, GOOD, [mark]))
        elif kind == "md":
            mark = next_mark()
            specs.append(Spec(stem + b".md", draw(md_file(mark)), GOOD, [mark]))
        elif kind == "html":
            mark = next_mark()
            specs.append(Spec(stem + b".html", draw(html_file(mark)), GOOD, [mark]))
        elif kind == "jsonl":
            data, lines = draw(jsonl_file(next_mark))
            if lines:
                specs.append(Spec(stem + b".jsonl", data, "lines", lines=lines))
            else:
                specs.append(Spec(stem + b".jsonl", data, BAD))  # blank lines only
        elif kind == "bad":
            specs.append(draw(bad_file(stem)))
        else:
            # (random lines of a .jsonl: in jsonl_file)
            ext = draw(st.sampled_from([b".txt", b".md", b".html", b".htm"]))
            data = draw(st.binary(min_size=1, max_size=600))
            specs.append(Spec(stem + ext, data, EITHER))
    return specs


@st.composite
def bad_file(draw, stem: bytes) -> Spec:
    what = draw(st.sampled_from(["empty", "nul", "fifo", "link out", "bad name", "bad folder",
                                 "unsupported", "too large", "blank", "utf16 jsonl"]))
    ext = draw(st.sampled_from([b".txt", b".md", b".html"]))
    if what == "empty":
        return Spec(stem + ext, b"", BAD)
    if what == "nul":
        data = draw(st.binary(min_size=64, max_size=400))
        return Spec(stem + ext, b"\x00\x00\x01\x00" * 8 + data, BAD)
    if what == "fifo":
        return Spec(stem + ext, None, BAD, make="fifo")
    if what == "link out":
        return Spec(stem + ext, None, BAD, make="link out")
    if what == "bad name":
        return Spec(stem + b"\xff\xfe" + ext, b"Name\n\nA fine text.\n", BAD)
    if what == "bad folder":
        return Spec(b"dir\xe9" + stem + b"/inner.txt", b"Name\n\nA fine text.\n", BAD)
    if what == "unsupported":
        return Spec(stem + draw(st.sampled_from([b".pdf", b"", b".json", b".TXT~"])),
                    b"%PDF-1.4 data", BAD)
    if what == "too large":
        return Spec(stem + ext, b"Big\n\n" + b"word " * (FILE_LIMIT // 5 + 10), BAD)
    if what == "utf16 jsonl":
        return Spec(stem + b".jsonl", '{"text": "wide"}\n'.encode("utf-16"), BAD)
    blank = draw(st.sampled_from(["  \n\n\t", "\x1b[0m\n\x07"]))
    # (a page's control characters are dropped by its parser: "[0m" is text there)
    blank = {b".html": "<html><body> \n\t </body></html>",
             b".md": "---\ntitle: only\n---\n" + blank}.get(ext, blank)
    return Spec(stem + ext, blank.encode(), BAD)


# --------------------------------------------------------------------- check


def write(root: Path, outside: Path, spec: Spec) -> None:
    path = os.path.join(os.fsencode(root), spec.name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if spec.make == "fifo":
        os.mkfifo(path)
    elif spec.make == "link out":
        os.symlink(outside, path)
    else:
        with open(path, "wb") as f:
            f.write(spec.content)


def skip_key(spec: Spec) -> str:
    # a folder that is not UTF-8 is skipped as one, under its own name
    first, sep, _ = spec.name.partition(b"/")
    if sep and not ingest._is_utf8(os.fsdecode(first)):
        return ingest.shown_name(os.fsdecode(first))
    return spec.shown


@settings(derandomize=True, max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture,
                                 HealthCheck.large_base_example])
@given(corpus())
def test_ingestion_never_aborts_and_loses_nothing_good(specs):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        outside = tmp / "outside.txt"
        outside.write_text("Outside\n\nqzvoutsidex is never indexed.\n")
        root = tmp / "corpus"
        root.mkdir()
        c = Corpus(root, index_dir=tmp / "ix")
        try:
            half = len(specs) // 2
            for batch in (specs[:half], specs[half:]):  # the second on an existing index
                for spec in batch:
                    write(root, outside, spec)
                report = c.update(procs=1, versions=False)
            check(c, report, specs)
            assert c.update(procs=1, versions=False).skipped == report.skipped  # remembered
        finally:
            c.close()


def check(c: Corpus, report, specs: list[Spec]) -> None:
    skips = Counter((s.path, s.line) for s in report.skipped)
    assert all(n == 1 for n in skips.values()), skips
    for s in report.skipped:
        assert s.reason and "\n" not in s.reason and len(s.reason) <= ingest.MAX_REASON_CHARS
    metas = c.articles()
    indexed = Counter((m.path, m.line) for m in metas)
    by_path = Counter(m.path for m in metas)
    expected_skips = set()
    for spec in specs:
        path = spec.shown
        if spec.expect == GOOD:
            assert (path, None) not in skips, (spec, skips)
            for mark in spec.markers:
                assert [h.path for h in c.search(mark).hits] == [path], (spec, mark)
        elif spec.expect == BAD:
            key = (skip_key(spec), None)
            assert key in skips, (spec, skips)
            expected_skips.add(key)
            assert by_path[path] == 0, spec
        elif spec.expect == EITHER:
            assert (by_path[path] > 0) != ((path, None) in skips), (spec, skips)
            expected_skips.add((path, None))
        else:  # a .jsonl: line by line
            for n, (kind, mark) in spec.lines.items():
                if kind == GOOD:
                    hits = c.search(mark).hits
                    assert [(h.path, c.get(h.id).line) for h in hits] == [(path, n)], (spec, n)
                    assert (path, n) not in skips
                elif kind == BAD:
                    assert (path, n) in skips and indexed[(path, n)] == 0, (spec, n, skips)
                else:
                    assert (indexed[(path, n)] == 1) != ((path, n) in skips), (spec, n)
                expected_skips.add((path, n))
    assert set(skips) <= expected_skips, set(skips) - expected_skips
    assert c.search("qzvoutsidex").total == 0
    for m in metas:
        assert len(m.title) <= ingest.MAX_TITLE_CHARS
        for value in (m.source, m.author, m.url):
            assert value is None or len(value) <= ingest.MAX_FIELD_CHARS
        assert m.date is None or len(m.date) <= ingest.MAX_DATE_CHARS
        assert len(c.get(m.id).text) <= ingest.MAX_ARTICLE_CHARS


def test_marker_words_are_indexed_as_they_are():
    from index.text.tokens import term_positions

    marks = [marker(n) for n in (0, 1, 19, 20, 399, 400, 12345)]
    assert len(set(marks)) == len(marks)
    for m in marks:
        assert list(term_positions(m)) == [m]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_fuzz_encodings_round_trip(encoding):
    # the generator's own premise: BOM-less UTF-16 of Latin text is told apart
    text = "Ferries resumed après the storm.\n"
    assert ingest._wide_encoding(text.encode(encoding)) == encoding
    assert ingest._wide_encoding(codecs.BOM_UTF16_LE + text.encode("utf-16-le")) == "utf-16"
