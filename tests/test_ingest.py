"""Reading a corpus folder: every format, and every kind of bad input."""

from __future__ import annotations

import os
import random
import re
import socket
import unicodedata
from pathlib import Path

import pytest

from index import DiskFullError, NotFoundError, ingest
from index.ingest import TITLE_MAX, derive_title, parse_date

HARBOUR = (
    "The harbour authority said on Tuesday that the ferries would resume service after "
    "the ice cleared from the northern channel, ending a week of disruption. "
)


def only_article(c):
    (meta,) = c.articles()
    return c.get(meta.id)


def reasons(report) -> dict[tuple[str, int | None], str]:
    """``{(path, line): reason}`` of every skipped file or line; all one line."""
    out = {}
    for s in report.skipped:
        assert s.reason and "\n" not in s.reason and "\r" not in s.reason, s
        out[(s.path, s.line)] = s.reason
    return out


# ------------------------------------------------------------------------ .txt


def test_txt_title_is_a_short_first_line_without_full_stop(index_folder):
    c, _ = index_folder({"a.txt": "Harbour Freezes Over\n\nThe harbour froze. It was cold.\n"})
    a = only_article(c)
    assert a.title == "Harbour Freezes Over"
    assert a.text == "Harbour Freezes Over\n\nThe harbour froze. It was cold."
    assert (a.path, a.source, a.date, a.author, a.url, a.line) == (
        "a.txt", None, None, None, None, None,
    )


def test_txt_title_is_the_first_sentence_when_the_first_line_is_prose(index_folder):
    c, _ = index_folder({"a.txt": "It snowed. Then the harbour froze over.\nMore.\n"})
    assert only_article(c).title == "It snowed."


def test_txt_long_first_sentence_is_cut_at_a_word_boundary(index_folder):
    words = [f"word{i}" for i in range(60)]
    text = " ".join(words) + ". Second sentence."
    c, _ = index_folder({"a.txt": text})
    title = only_article(c).title
    assert title.endswith("…")
    assert len(title) <= TITLE_MAX + 1
    cut = title[:-1]
    assert text.startswith(cut) and text[len(cut)] == " "  # whole words only
    assert len(cut) > TITLE_MAX // 2


def test_derive_title_rules():
    assert derive_title("Short headline\nbody") == "Short headline"
    assert derive_title("A headline that ends with a stop.\nbody") == (
        "A headline that ends with a stop."
    )
    assert derive_title("First one. Second one.") == "First one."
    # the engine's one sentence rule: no end at an abbreviation, nor before
    # a lower-case word ("…?" he said)
    assert derive_title("Mr. Kim said the talks resume in May. Both sides agreed.") == (
        "Mr. Kim said the talks resume in May.")
    assert derive_title('"Why not?" he asked, and left. Nobody followed.') == (
        '"Why not?" he asked, and left.')
    # A first line of more than 20 words is not a headline.
    many = " ".join(["w"] * 25)
    assert derive_title(many) == many


# ------------------------------------------------------------------------- .md


def test_md_front_matter_gives_metadata(index_folder):
    c, _ = index_folder({
        "story.md": (
            "---\ntitle: Ferries Resume\ndate: 2024-03-05\nsource: The Harbour Times\n"
            "author: Ann Lee\n---\n# A different heading\n\nThe ferries resumed.\n"
        )
    })
    a = only_article(c)
    assert (a.title, a.date, a.source, a.author) == (
        "Ferries Resume", "2024-03-05", "The Harbour Times", "Ann Lee",
    )
    assert a.text == "# A different heading\n\nThe ferries resumed."
    assert "source:" not in a.text and "---" not in a.text


def test_md_without_front_matter_takes_title_from_heading(index_folder):
    c, _ = index_folder({"story.md": "Intro line.\n\n# The Real Heading\n\nBody text.\n"})
    a = only_article(c)
    assert a.title == "The Real Heading"
    assert (a.date, a.source, a.author) == (None, None, None)


# ----------------------------------------------------------------------- .html

PAGE = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Ferries resume after ice clears</title>
<style>body {{ font-family: stylesecretword; }}</style>
<script>var scriptsecretword = 1;</script>
<link rel="stylesheet" href="http://example.invalid/site.css">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Ferries resume after ice clears</h1>
<p>{HARBOUR * 3}</p><p>{HARBOUR * 2}</p>
<img src="http://example.invalid/photo.jpg"></article>
<script>document.write("inlinescriptword")</script>
</body></html>"""


def test_html_main_text_without_scripts_styles_or_network(index_folder, monkeypatch):
    connects = []

    def no_network(*args, **kwargs):
        connects.append(args)
        raise OSError("network is not allowed in tests")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    c, report = index_folder({"page.html": PAGE})
    assert not report.skipped
    a = only_article(c)
    assert a.title == "Ferries resume after ice clears"
    assert "ferries would resume service" in a.text
    for word in ("stylesecretword", "scriptsecretword", "inlinescriptword", "<p>", "{"):
        assert word not in a.text
    assert a.date is None
    assert connects == []


def test_html_title_from_title_tag_or_h1(index_folder):
    c, report = index_folder({
        "t.html": "<html><head><title>Only &amp; Title</title></head>"
                  "<body><p>A short page body.</p></body></html>",
        "h.html": "<html><body><h1>Heading Title</h1><p>Another short body.</p></body></html>",
    })
    assert not report.skipped
    assert c.get("t.html").title == "Only & Title"
    assert c.get("t.html").text == "A short page body."
    assert c.get("h.html").title == "Heading Title"
    assert "Another short body." in c.get("h.html").text


def test_html_date_comes_from_metadata_never_from_text(index_folder):
    body = f"<article><p>The harbour froze on 2024-03-04. {HARBOUR * 2}</p></article>"

    def page(head: str = "", top: str = "") -> str:
        return f"<html><head><title>T</title>{head}</head><body>{top}{body}</body></html>"

    c, report = index_folder({
        "plain.html": page(),
        "meta.html": page("<meta property='article:published_time' "
                          "content='2024-03-05T10:00:00Z'>"),
        "jsonld.html": page('<script type="application/ld+json">{"@graph": '
                            '[{"@type": "NewsArticle", "datePublished": "2024-03-06"}]}</script>'),
        "itemprop.html": page(top='<time itemprop="datePublished" datetime="2024-03-07">'
                                  "7 March</time>"),
        "junk.html": page("<meta name='date' content='whenever'>"),
    })
    assert not report.skipped
    assert c.get("plain.html").date is None
    assert c.get("meta.html").date == "2024-03-05T10:00:00+00:00"
    assert c.get("jsonld.html").date == "2024-03-06"
    assert c.get("itemprop.html").date == "2024-03-07"
    assert c.get("junk.html").date is None


# ---------------------------------------------------------------------- .jsonl

JSONL = (
    '{"id": "a-1", "title": "First", "text": "The first body.", "url": "https://news.example/1",'
    ' "date": "2024-02-03", "source": "Wire", "author": ["Ann", "Bo"]}\n'
    '{"text": "The second body, no id."}\n'
    "\n"
    '{"id": 7, "text": "The third body.", "date": "2024-02-05T08:30:00Z"}\n'
)


def test_jsonl_several_articles_with_fields_and_lines(index_folder):
    c, report = index_folder({"feed.jsonl": JSONL})
    assert report.articles_total == 3 and not report.skipped
    arts = [c.get(m.id) for m in c.articles()]
    assert [a.line for a in arts] == [1, 2, 4]
    first, second, third = arts
    assert (first.title, first.text, first.url, first.date, first.source, first.author) == (
        "First", "The first body.", "https://news.example/1", "2024-02-03", "Wire", "Ann, Bo",
    )
    assert second.title == "The second body, no id."  # from the text
    assert (second.date, second.source) == (None, None)
    assert third.date == "2024-02-05T08:30:00+00:00"
    assert len({a.id for a in arts}) == 3
    assert all(a.path == "feed.jsonl" for a in arts)


NEWS_PLEASE = {  # one article as news-please writes it (its field names, its date format)
    "authors": ["Ann Example", "Bo Writer"], "date_download": "2024-06-21 10:00:00",
    "date_modify": None, "date_publish": "2024-06-20 08:15:00", "description": "A summary.",
    "filename": "https%3A%2F%2Fnews.example%2Fa.json", "image_url": None, "language": "en",
    "localpath": None, "maintext": "The body of the story.\n\nIts second paragraph.",
    "source_domain": "news.example", "title": "A story", "title_page": None,
    "title_rss": None, "url": "https://news.example/a"}


def test_a_news_please_json_file_is_one_article_with_its_fields(index_folder):
    import json

    undated = dict(NEWS_PLEASE, date_publish=None, maintext="Another body.", title="B")
    c, report = index_folder({"news.example/a.json": json.dumps(NEWS_PLEASE),
                              "news.example/b.json": json.dumps(undated),
                              "list.json": json.dumps([NEWS_PLEASE]),
                              "none.json": json.dumps({"title": "no text"}),
                              "bad.json": "{not json"})
    assert report.articles_total == 2
    a = c.get("news.example/a.json")
    assert (a.title, a.text, a.source, a.date, a.author, a.url) == (
        "A story", "The body of the story.\n\nIts second paragraph.", "news.example",
        "2024-06-20T08:15:00", "Ann Example, Bo Writer", "https://news.example/a")
    # no publication date: the page's last change, else when it was downloaded
    assert c.get("news.example/b.json").date == "2024-06-21T10:00:00"
    why = {s.path: s.reason for s in report.skipped}
    assert why == {"list.json": "a .json file holds one article object (many: .jsonl, one a "
                                "line)",
                   "none.json": "no text field (text/body/content/article/maintext)",
                   "bad.json": why["bad.json"]}
    assert why["bad.json"].startswith("malformed JSON (")


def test_news_please_field_names_in_jsonl_too(index_folder):
    import json

    c, _report = index_folder({"feed.jsonl": json.dumps(NEWS_PLEASE) + "\n"})
    [m] = c.articles()
    a = c.get(m.id)
    assert (a.source, a.date) == ("news.example", "2024-06-20T08:15:00")


def test_gzipped_json_and_jsonl_are_read_within_the_limits(index_folder, monkeypatch):
    import gzip
    import json

    from index import ingest

    lines = "".join(json.dumps(dict(NEWS_PLEASE, maintext=f"Story number {k}.", title=f"S{k}"))
                    + "\n" for k in range(50)).encode()
    whole = gzip.compress(lines)
    monkeypatch.setattr(ingest, "MAX_FILE_BYTES", 4096)  # a .json.gz that unpacks past it
    c, report = index_folder({
        "feed.jsonl.gz": whole,
        "one.json.gz": gzip.compress(json.dumps(NEWS_PLEASE).encode()),
        "cut.jsonl.gz": whole[: len(whole) * 2 // 3],  # a truncated member
        "bomb.json.gz": gzip.compress(b'{"text": "' + b"a " * 100_000 + b'"}'),
        "fake.jsonl.gz": b"not gzip at all\n",
        "other.gz": whole})
    titles = {m.title for m in c.articles()}
    assert {f"S{k}" for k in range(50)} <= titles and "A story" in titles
    cut = {m.title for m in c.articles() if m.path == "cut.jsonl.gz"}
    assert cut and cut == {f"S{k}" for k in range(len(cut))}  # the lines before the cut
    why = {s.path: s.reason for s in report.skipped}
    assert why["cut.jsonl.gz"] == ("gzip data ends early (a truncated file): what came before "
                                   "it is read")
    assert why["bomb.json.gz"] == "too large (over 0.0 MiB limit once unpacked)"
    assert why["fake.jsonl.gz"].startswith("not gzip data (")
    assert why["other.gz"] == "unsupported file type .gz"
    assert c.get("one.json.gz").source == "news.example"


def test_a_csv_file_is_one_article_a_row(index_folder, write_files, open_corpus):
    csv_text = ("\ufeffID,Title,Text,Date,Source,URL,Author,extra\r\n"
                "a1,First,\"The first body,\nwith a comma and a line.\",2024-06-20,Wire,"
                "https://news.example/1,Ann,x\r\n"
                ",Second,The second body.,,,,,\r\n"
                "a3,No text,,,,,,\r\n"
                "a1,Again,The same id again.,,,,,\r\n")
    c, report = index_folder({"feed.csv": csv_text, "notext.csv": "title,date\nA,2024\n"})
    arts = {m.title: c.get(m.id) for m in c.articles()}
    assert set(arts) == {"First", "Second", "Again"}
    first = arts["First"]
    assert (first.text, first.date, first.source, first.url, first.author, first.line) == (
        "The first body,\nwith a comma and a line.", "2024-06-20", "Wire",
        "https://news.example/1", "Ann", 2)  # the line the row starts on
    assert len({a.id for a in arts.values()}) == 3
    why = {(s.path, s.line): s.reason for s in report.skipped}
    assert why == {("feed.csv", 5): "no text field (text/body/content/article/maintext)",
                   ("notext.csv", None): "a .csv file needs a header with a text column "
                                         "(text/body/maintext)"}
    # ids are stable: the same file indexed again elsewhere gives the same ids
    root = write_files({"feed.csv": csv_text})
    again = open_corpus(root, "ix2")
    again.update(versions=False)
    assert {m.id for m in again.articles()} == {a.id for a in arts.values()}


def test_jsonl_ids_are_stable(write_files, open_corpus):
    root = write_files({"feed.jsonl": JSONL})
    c1 = open_corpus(root, "ix1")
    c1.update()
    ids1 = [m.id for m in c1.articles()]
    c2 = open_corpus(root, "ix2")
    c2.update()
    assert [m.id for m in c2.articles()] == ids1  # same file, same ids
    # An article with an explicit id keeps it when lines move.
    write_files({"feed.jsonl": '{"text": "A new first line."}\n' + JSONL})
    c1.update()
    by_title = {m.title: m.id for m in c1.articles()}
    assert by_title["First"] == ids1[0]


def test_jsonl_file_is_not_one_article(index_folder):
    c, _ = index_folder({"feed.jsonl": JSONL})
    with pytest.raises(NotFoundError, match="holds 3 articles"):
        c.get("feed.jsonl")


def test_malformed_jsonl_lines_are_skipped_and_the_rest_ingested(index_folder):
    c, report = index_folder({
        "feed.jsonl": (
            '{"text": "Good line one."}\n'
            "{not json\n"
            '{"title": "no body here"}\n'
            "[1, 2, 3]\n"
            '{"text": "   "}\n'
            '{"text": "Good line six."}\n'
        )
    })
    assert [c.get(m.id).text for m in c.articles()] == ["Good line one.", "Good line six."]
    why = reasons(report)
    assert set(why) == {("feed.jsonl", n) for n in (2, 3, 4, 5)}
    assert "malformed JSON" in why[("feed.jsonl", 2)]
    assert "no text field" in why[("feed.jsonl", 3)]
    assert "not a JSON object" in why[("feed.jsonl", 4)]
    assert "empty text" in why[("feed.jsonl", 5)]


# ------------------------------------------------------------------ bad input

CP1252 = (
    "Café owners said on Tuesday that the “crème brûlée tax” – a levy of €2 on desserts – "
    "would hurt trade. Les élèves étaient très contents de l’été à Paris, naïve façade.\n"
    "The mayor’s office declined to comment.\n"
)


def test_legacy_encoding_is_decoded_not_skipped(index_folder):
    c, report = index_folder({"latin.txt": CP1252.encode("cp1252")})
    assert not report.skipped
    assert only_article(c).text == CP1252.strip()


def test_bad_files_are_skipped_with_a_reason_and_ingestion_goes_on(
    index_folder, monkeypatch
):
    monkeypatch.setattr(ingest, "MAX_FILE_BYTES", 2000)
    c, report = index_folder({
        "good1.txt": "Good One\n\nA fine article.\n",
        "binary.txt": b"PK\x03\x04\x00\x00\x08\x00" + bytes(range(256)) * 4,
        "noise.txt": random.Random(7).randbytes(1500).replace(b"\x00", b"\xff"),
        "empty.txt": b"",
        "blank.md": "  \n\n\t \n",
        "huge.txt": "Too big\n\n" + "word " * 1000,
        "notes.pdf": b"%PDF-1.4",
        "sub/good2.md": "# Good Two\n\nAnother fine article.\n",
    })
    assert sorted(m.path for m in c.articles()) == ["good1.txt", "sub/good2.md"]
    why = reasons(report)
    skipped = ["binary.txt", "noise.txt", "empty.txt", "blank.md", "huge.txt", "notes.pdf"]
    assert set(why) == {(path, None) for path in skipped}
    assert "binary" in why[("binary.txt", None)]
    assert why[("noise.txt", None)] == "undecodable bytes (no text encoding fits)"
    assert "empty" in why[("empty.txt", None)]
    assert "no text" in why[("blank.md", None)]
    assert "too large" in why[("huge.txt", None)]
    assert "unsupported file type .pdf" in why[("notes.pdf", None)]
    # The skips are remembered: a no-op update still reports them.
    assert reasons(c.update()) == why


def test_broken_symlink_and_special_files_are_reported(write_files, open_corpus):
    root = write_files({"good.txt": "Good\n\nText.\n"})
    (root / "dangling.txt").symlink_to(root / "missing.txt")
    os.mkfifo(root / "pipe.txt")
    c = open_corpus(root)
    why = reasons(c.update())
    assert "unreadable" in why[("dangling.txt", None)]
    assert "not a regular file" in why[("pipe.txt", None)]
    assert [m.path for m in c.articles()] == ["good.txt"]


def test_hidden_files_and_folders_are_ignored_silently(index_folder):
    c, report = index_folder({
        "seen.txt": "Seen\n\nText.\n",
        ".hidden.txt": "Hidden\n\nText.\n",
        ".git/objects/x.txt": "Hidden too\n\nText.\n",
        ".DS_Store": b"\x00\x01",
    })
    assert [m.path for m in c.articles()] == ["seen.txt"]
    assert report.skipped == []


def test_parser_failure_is_a_one_line_skip(index_folder, monkeypatch):
    import trafilatura

    def choke(*args, **kwargs):
        raise ValueError("first line\nsecond line")

    monkeypatch.setattr(trafilatura, "bare_extraction", choke)
    c, report = index_folder({"bad.html": "<p>x</p>", "ok.txt": "Fine\n\nText.\n"})
    why = reasons(report)
    assert why[("bad.html", None)] == "could not parse html: ValueError: first line second line"
    assert [m.path for m in c.articles()] == ["ok.txt"]
    assert reasons(c.update()) == why  # read back from the store intact


# --------------------------------------------------------- folder is read-only


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            out[p.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


def test_corpus_folder_is_never_written(write_files, open_corpus):
    root = write_files({
        "a.txt": "A\n\nText.\n",
        "b.md": "---\ntitle: B\n---\nText.\n",
        "c.html": "<html><body><p>Text.</p></body></html>",
        "d.jsonl": '{"text": "x"}\n{bad\n',
        "e.txt": b"\x00\x01",
        "sub/f.txt": "F\n\nText.\n",
    })
    before = snapshot(root)
    c = open_corpus(root)
    c.update()
    c.search("text")
    c.update()
    assert snapshot(root) == before


# ------------------------------------------------------------- text clean-up


def test_dates_are_never_invented(index_folder):
    c, _ = index_folder({
        "a.txt": "Published 5 March 2024\n\nOn 2024-03-05 the harbour froze.\n",
        "b.md": "# Heading\n\nDated 2024-03-05 in the text only.\n",
        "c.jsonl": '{"text": "On 2024-03-05 it froze.", "date": "not a date"}\n',
    })
    assert [m.date for m in c.articles()] == [None, None, None]


def test_parse_date_reads_given_dates_only():
    assert parse_date("2024-03-05") == "2024-03-05"
    assert parse_date("2024-03-05T10:00:00Z") == "2024-03-05T10:00:00+00:00"
    assert parse_date("5 March 2024") == "2024-03-05"
    assert parse_date("March 5, 2024") == "2024-03-05"
    assert parse_date("Tue, 05 Mar 2024 10:00:00 +0000").startswith("2024-03-05T10:00")
    for nothing in (None, "", "soon", "last Tuesday", "2024-13-45"):
        assert parse_date(nothing) is None


def test_text_is_nfc_with_unix_newlines(index_folder):
    decomposed = "Cafe\u0301 Society\r\n\r\nThe cafe\u0301 reopened.\r\nIt was busy.\r\n"
    c, _ = index_folder({"a.txt": decomposed})
    a = only_article(c)
    assert "\r" not in a.text
    assert a.text == "Café Society\n\nThe café reopened.\nIt was busy."
    assert unicodedata.is_normalized("NFC", a.text)
    assert a.title == "Café Society" and "\u0301" not in a.title
    assert c.search("café").total == 1


@pytest.mark.parametrize("c1", ["\x90", "\x98", "\x9b", "\x9d", "\x9e", "\x9f"])
def test_a_c1_character_loses_only_itself_never_the_text_after_it(c1):
    from index.text.textclean import normalize_text, strip_controls

    # double-encoded UTF-8 brings C1 characters into ordinary prose
    text = f"She said \u00e2\x80{c1}yes\u00e2\x80\x9d and left.\nThe next paragraph stays."
    assert strip_controls(text) == "She said \u00e2yes\u00e2 and left.\nThe next paragraph stays."
    # an article body gets its characters back (U+2010, U+2018, U+201B, U+201D...)
    mended = bytes([0xE2, 0x80, ord(c1)]).decode("utf-8")
    assert normalize_text(text) == (
        f"She said {mended}yes\u201d and left.\nThe next paragraph stays."
    )
    # a C1 character that is no part of a UTF-8 sequence still goes alone
    assert normalize_text(f"one{c1}two \u00e9{c1}\u00e9 three") == "onetwo \u00e9\u00e9 three"


def test_double_encoded_utf8_is_mended_only_where_it_holds_a_c1_character():
    from index.text.textclean import normalize_text

    right = "It\u2019s \u201cdone\u201d \u2014 caf\u00e9 \u00e0 la carte \u20ac5 \U0001f600"
    assert normalize_text(right.encode("utf-8").decode("latin-1")) == (
        # the sequences with a C1 character are mended; é (C3 A9) and à (C3 A0)
        # spelt as Latin-1 hold none, so they may be meant as written and stay
        "It\u2019s \u201cdone\u201d \u2014 caf\u00c3\u00a9 \u00c3\u00a0 la carte \u20ac5 \U0001f600"
    )
    meant = "Ren\u00c3\u00a9 and Sm\u00c3\u00b8rgrav"
    assert normalize_text(meant) == meant


def test_an_unterminated_escape_string_loses_only_its_introducer():
    from index.text.textclean import strip_controls

    kept = "0;never closed, and the rest"
    assert strip_controls("Title\x1b]" + kept) == "Title" + kept
    assert strip_controls("a\x1bPq data, no end\nnext") == "aq data, no end\nnext"
    # terminated ones still go whole, whatever they hold
    assert strip_controls("a\x1b]52;c;aGVsbG8=\x07b\x1bP1$r\x1b\\c") == "abc"


def test_control_characters_and_escape_sequences_are_removed(index_folder):
    raw = (
        "Alert \x1b[31mRed\x1b[0m Headline\x07\n\n"
        "Body with [bold red]markup[/] kept, \x1b]0;window title\x07 gone, bell\x07 gone.\n"
    )
    c, _ = index_folder({"a.txt": raw})
    a = only_article(c)
    assert a.title == "Alert Red Headline"
    assert a.text == "Alert Red Headline\n\nBody with [bold red]markup[/] kept,  gone, bell gone."
    for field in (a.title, a.text):
        assert not any(ord(ch) < 32 and ch != "\n" for ch in field)


# ------------------------------------------------------------ hostile input
# One bad input is one skip reason (or, for text that can be read, one mended
# character); it never stops the run, nor, on an existing index, the next ones.


def write_bytes_name(root: Path, name: bytes, data: bytes) -> None:
    with open(os.path.join(os.fsencode(root), name), "wb") as f:
        f.write(data)


def test_a_file_name_that_is_not_utf8_is_one_skip_shown_escaped(write_files, open_corpus):
    root = write_files({"good.txt": "Good\n\nThe ferries resumed.\n"})
    c = open_corpus(root)
    c.update(procs=1)
    # on an existing index: the next runs must go on too
    write_bytes_name(root, b"caf\xe9.txt", b"Latin-1 name\n\nBody.\n")
    os.mkdir(os.path.join(os.fsencode(root), b"dir\xff"))
    write_bytes_name(root, b"dir\xff/inner.txt", b"Inner\n\nBody.\n")
    for _ in range(2):
        why = reasons(c.update(procs=1))
        assert why == {
            ("caf\\xe9.txt", None): "file name is not valid UTF-8",
            ("dir\\xff", None): "folder name is not valid UTF-8 (not read)",
        }
        assert [m.path for m in c.articles()] == ["good.txt"]
        assert c.search("ferries").total == 1


def test_a_lone_surrogate_in_jsonl_becomes_one_replacement_character(write_files, open_corpus):
    root = write_files({"good.txt": "Good\n\nThe ferries resumed.\n"})
    c = open_corpus(root)
    c.update(procs=1)
    # Any field the engine reads; the escapes are JSON's, the file is plain ASCII.
    write_files({"feed.jsonl": (
        '{"text": "Harbour \\ud800 news", "title": "T\\udfff", "source": "\\ud83d",'
        ' "author": ["A\\ud800"], "url": "u\\udc00", "date": "2024\\ud800", "id": "\\ud800"}\n'
        '{"text": "A pair \\ud83d\\ude00 is one character."}\n'
    )})
    for _ in range(2):
        report = c.update(procs=1)
        assert report.skipped == []
        assert report.articles_total == 3
    first = c.get(c.search("harbour").hits[0].id)
    assert (first.text, first.title, first.source, first.author, first.url, first.date) == (
        "Harbour \ufffd news", "T\ufffd", "\ufffd", "A\ufffd", "u\ufffd", None,
    )
    assert c.get(c.search("pair").hits[0].id).text == "A pair \U0001f600 is one character."


def test_jsonl_nested_too_deep_is_one_skipped_line(index_folder):
    deep = '{"text": "Deep body.", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    limit = ingest.MAX_JSON_DEPTH
    c, report = index_folder({"feed.jsonl": "\n".join([
        '{"text": "First fine line."}',
        deep,
        '{"text": "At the limit.", "x": ' + "[" * (limit - 1) + "]" * (limit - 1) + "}",
        '{"text": "Over the limit.", "x": ' + "[" * limit + "]" * limit + "}",
        # brackets inside strings are no nesting, and a string may hold quotes
        '{"text": "Brackets ' + "[{" * 200 + ' \\" and \\\\ in text."}',
        '{"text": "Last fine line."}',
    ]) + "\n"})
    assert reasons(report) == {
        ("feed.jsonl", 2): f"JSON nested too deeply (over {limit} levels)",
        ("feed.jsonl", 4): f"JSON nested too deeply (over {limit} levels)",
    }
    assert [c.get(m.id).line for m in c.articles()] == [1, 3, 5, 6]


def test_jsonl_integer_too_long_is_one_skipped_line(index_folder):
    c, report = index_folder({"feed.jsonl": (
        '{"text": "Huge count.", "views": ' + "9" * 5000 + "}\n"
        '{"text": "Long but allowed.", "views": -' + "9" * ingest.MAX_JSON_INT_DIGITS + "}\n"
    )})
    assert reasons(report) == {
        ("feed.jsonl", 1): f"number too long (over {ingest.MAX_JSON_INT_DIGITS} digits)"
    }
    assert [c.get(m.id).text for m in c.articles()] == ["Long but allowed."]


def test_an_unexpected_error_in_one_file_is_its_skip_reason(write_files, open_corpus,
                                                            monkeypatch):
    # Stands for a bug no test has met yet: the run must survive it.
    real = ingest.normalize_text

    def buggy(s):
        if "TRIGGER" in s:
            raise KeyError("an engine bug")
        return real(s)

    monkeypatch.setattr(ingest, "normalize_text", buggy)
    root = write_files({
        "bad.txt": "TRIGGER\n\nbody\n",
        "good.txt": "Good\n\nThe ferries resumed.\n",
        "feed.jsonl": '{"text": "TRIGGER line"}\n{"text": "Fine line."}\n',
    })
    c = open_corpus(root)
    for _ in range(2):
        assert reasons(c.update(procs=1)) == {
            ("bad.txt", None): "internal error reading this file: KeyError",
            ("feed.jsonl", 1): "internal error reading this line: KeyError",
        }
        assert sorted(m.path for m in c.articles()) == ["feed.jsonl", "good.txt"]


@pytest.mark.parametrize(("error", "stops_with"), [
    (OSError(28, "No space left on device"), DiskFullError),  # one clear line, index kept
    (MemoryError(), MemoryError),
])
def test_a_failure_that_is_not_the_files_doing_still_stops_the_run(
    write_files, open_corpus, monkeypatch, error, stops_with
):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(ingest, "decode", fail)
    c = open_corpus(write_files({"a.txt": "A\n\nText.\n"}))
    with pytest.raises(stops_with):
        c.update(procs=1)


BOMB = (
    "---\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "title: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "---\n"
    "Bomb body text.\n"
)


def test_yaml_aliases_in_front_matter_are_refused(index_folder):
    # 9**7 "lol"s (the 72-million-character title) if the aliases were expanded
    c, report = index_folder({"bomb.md": BOMB, "fine.md": "---\ntitle: &t Fine\n---\nBody.\n"})
    assert not report.skipped
    bomb = c.get("bomb.md")
    assert bomb.text == BOMB.strip()  # not front matter: the whole file is the text
    assert bomb.title == "---"
    assert c.get("fine.md").title == "Fine"  # an anchor alone is harmless


def test_toml_front_matter_is_read(index_folder):
    c, _ = index_folder({"story.md": (
        '+++\ntitle = "Ferries Resume"\ndate = 2024-03-05\nsource = "Harbour Times"\n+++\n'
        "The ferries resumed.\n"
    )})
    a = only_article(c)
    assert (a.title, a.date, a.source, a.text) == (
        "Ferries Resume", "2024-03-05", "Harbour Times", "The ferries resumed.",
    )


def test_front_matter_over_its_limit_is_not_read(index_folder, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_FRONT_MATTER_CHARS", 100)
    big = "---\ntitle: Big\nnote: " + "x" * 200 + "\n---\nBody.\n"
    c, _ = index_folder({"big.md": big, "small.md": "---\ntitle: Small\n---\nBody.\n"})
    assert c.get("big.md").title == "---" and c.get("big.md").text == big.strip()
    assert c.get("small.md").title == "Small"


def test_titles_and_fields_are_capped(index_folder):
    cap, field = ingest.MAX_TITLE_CHARS, ingest.MAX_FIELD_CHARS
    long_title = "Word " * 2000
    c, report = index_folder({
        "a.md": f"---\ntitle: {long_title}\nsource: {'S' * 5000}\nauthor: {'A ' * 5000}\n"
                f"url: https://x.example/{'p' * 5000}\ndate: {'2024-01-01 ' * 100}\n---\nBody.\n",
        "b.jsonl": '{"text": "Body.", "title": "' + "T" * 10**6 + '", "author": ["'
                   + '", "'.join(["Ann"] * 10_000) + '"]}\n',
        "c.html": f"<html><head><title>{'Headline ' * 10_000}</title></head>"
                  "<body><p>Body of the page.</p></body></html>",
        "d.md": f"# {'Heading ' * 10_000}\n\nBody.\n",
    })
    assert not report.skipped
    metas = {m.path: m for m in c.articles()}
    assert len(metas) == 4
    for m in metas.values():
        assert len(m.title) == cap and m.title.endswith("…"), m.path
    # (source, author, url): each one given is cut to the cap
    assert {p: tuple(v and len(v) for v in (m.source, m.author, m.url))
            for p, m in metas.items()} == {"a.md": (field, field, field),
                                           "b.jsonl": (None, field, None),
                                           "c.html": (None, None, None),
                                           "d.md": (None, None, None)}
    a = metas["a.md"]
    assert a.title == ("Word " * 60)[: cap - 1].rstrip() + "…"
    assert len(a.source) == len(a.author) == len(a.url) == field
    assert a.source.endswith("…") and a.date is None
    assert metas["b.jsonl"].author.startswith("Ann, Ann") and len(metas["b.jsonl"].author) == field
    # the whole title is still searchable through the body
    assert c.search("headline").total == 1


def test_a_utf8_file_with_a_bad_byte_keeps_its_text(index_folder):
    text = "Caf\u00e9 \u201cquotes\u201d and na\u00efve r\u00e9sum\u00e9s.\n\nSecond paragraph."
    raw = text.encode("utf-8")
    bad = raw.replace(b"and", b"a\xffd")
    c, report = index_folder({"one.txt": bad, "noise.txt": random.Random(7).randbytes(3000)})
    assert only_article(c).text == text.replace("and", "a\ufffdd")
    assert list(reasons(report)) == [("noise.txt", None)]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_text_is_decoded(index_folder, encoding):
    text = "Ferries Resume\n\nThe caf\u00e9 said the \u201cice\u201d had cleared. \u041c\u0438."
    c, report = index_folder({"wide.txt": text.encode(encoding)})
    assert not report.skipped
    assert only_article(c).text == text


def test_utf16_jsonl_is_one_skip_not_one_per_line(index_folder):
    _, report = index_folder({"feed.jsonl": JSONL.encode("utf-16")})
    assert reasons(report) == {
        ("feed.jsonl", None): "a .jsonl file must be UTF-8 (this one is UTF-16)"
    }


def test_html_with_json_ld_nested_too_deep_is_read(index_folder):
    deep = '{"@graph": ' * 5000 + "{}" + "}" * 5000
    dated = '{"@graph": [{"@type": "X"}, [{"datePublished": "2024-03-05"}]]}'
    page = ("<html><head><title>Ferries</title>"
            '<script type="application/ld+json">{}</script>'
            "</head><body><p>{}</p></body></html>")
    c, report = index_folder({"deep.html": page.format(deep, HARBOUR),
                              "dated.html": page.format(dated, HARBOUR)})
    assert not report.skipped
    assert c.get("deep.html").date is None
    assert c.get("dated.html").date == "2024-03-05"


def test_symlinks_out_of_the_corpus_are_skipped(tmp_path, open_corpus):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Secret\n\nThe password is swordfish.\n")
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "real.txt").write_text("Real\n\nThe ferries resumed.\n")
    (root / "secret.txt").symlink_to(outside / "secret.txt")
    (root / "up.txt").symlink_to("../outside/secret.txt")
    (root / "outdir").symlink_to(outside)  # a folder link is never followed
    (root / "inside.txt").symlink_to("sub/real.txt")
    (root / "loop.txt").symlink_to("loop.txt")
    c = open_corpus(root)
    why = reasons(c.update(procs=1))
    assert why[("secret.txt", None)] == "symbolic link out of the corpus"
    assert why[("up.txt", None)] == "symbolic link out of the corpus"
    assert why[("loop.txt", None)].startswith("unreadable")
    assert set(why) == {("secret.txt", None), ("up.txt", None), ("loop.txt", None)}
    assert sorted(m.path for m in c.articles()) == ["inside.txt", "sub/real.txt"]
    assert c.search("swordfish").total == 0


def test_a_corpus_reached_through_a_symlink_still_reads_its_links(tmp_path, open_corpus):
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.txt").write_text("Ferries\n\nThe ferries resumed.\n")
    (real / "b.txt").symlink_to("a.txt")
    (tmp_path / "alias").symlink_to(real)
    c = open_corpus(tmp_path / "alias")
    assert not c.update(procs=1).skipped
    assert sorted(m.path for m in c.articles()) == ["a.txt", "b.txt"]


def test_the_scan_tells_each_files_kind_whatever_the_case_of_its_suffix(corpus_dir):
    """The scan asks file_kind once a suffix (issue 15: it was a tenth of an
    unchanged re-index): the same answer for every name, "a.TXT" and "b.txt"
    alike, and ".gz" told by the suffix before it, whatever its case."""
    names = ["a.TXT", "b.txt", "c.Txt", "d.jsonl.gz", "e.JSONL.GZ", "f.gz", "g.GZ",
             "h.tar.gz", "i.Json.Gz", "j.XYZ", "k.xyz", "l", "m.MD"]
    for n in names:
        (corpus_dir / n).write_bytes(b"x")
    entries, skipped = ingest.scan(corpus_dir)
    assert [e.path for e in entries] == [n for n in sorted(names) if ingest.file_kind(n)[0]]
    assert [e.path for e in entries] == ["a.TXT", "b.txt", "c.Txt", "d.jsonl.gz",
                                         "e.JSONL.GZ", "i.Json.Gz", "m.MD"]
    assert {s.path: s.reason for s in skipped} == {
        n: f"unsupported file type {ingest.file_kind(n)[2] or '(none)'}"
        for n in names if not ingest.file_kind(n)[0]}
    assert {s.reason for s in skipped} == {"unsupported file type .gz",
                                           "unsupported file type .xyz",
                                           "unsupported file type (none)"}


def test_a_file_that_grew_or_became_a_fifo_after_the_scan(corpus_dir, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_FILE_BYTES", 100)
    (corpus_dir / "grew.txt").write_text("x" * 500)
    res = ingest.read_file(corpus_dir, ingest.FileEntry("grew.txt", 10, 0))
    assert [s.reason for s in res.skipped] == ["too large (over 0.0 MiB limit)"]
    os.mkfifo(corpus_dir / "pipe.txt")  # opening it for reading would block
    res = ingest.read_file(corpus_dir, ingest.FileEntry("pipe.txt", 10, 0))
    assert [s.reason for s in res.skipped] == ["not a regular file"]


def test_a_jsonl_line_over_its_limit_is_skipped_and_the_rest_read(index_folder, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_LINE_BYTES", 1000)
    c, report = index_folder({"feed.jsonl": (
        '{"text": "Before."}\n'
        '{"text": "' + "long " * 1000 + '"}\n'
        '{"text": "' + "x" * (1000 - 12) + '"}\r\n'  # exactly at the limit
        '{"text": "After."}'  # no final newline
    )})
    assert reasons(report) == {("feed.jsonl", 2): "line too large (over 0.0 MiB)"}
    assert [m.line for m in c.articles()] == [1, 3, 4]


def test_reading_a_one_line_jsonl_holds_no_more_than_the_line_limit(corpus_dir, monkeypatch):
    import tracemalloc

    monkeypatch.setattr(ingest, "MAX_LINE_BYTES", 1024 * 1024)
    size = 20 * 1024 * 1024
    with open(corpus_dir / "one.jsonl", "wb") as f:
        f.write(b'{"text": "')
        for _ in range(size // 65536):
            f.write(b"word " * 13107 + b"w")
        f.write(b'"}\n')
    entry = ingest.FileEntry("one.jsonl", (corpus_dir / "one.jsonl").stat().st_size, 0)
    tracemalloc.start()
    try:
        res = ingest.read_file(corpus_dir, entry)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(s.line, s.reason) for s in res.skipped] == [(1, "line too large (over 1.0 MiB)")]
    assert peak < 4 * 1024 * 1024  # the file is 20 MiB


def test_a_corpus_folder_whose_own_name_is_not_utf8(tmp_path, open_corpus):
    root = os.path.join(os.fsencode(tmp_path), b"corpus\xff")
    os.mkdir(root)
    write_bytes_name(Path(os.fsdecode(root)), b"a.txt", b"Ferries\n\nThe ferries resumed.\n")
    c = open_corpus(Path(os.fsdecode(root)))
    assert not c.update(procs=1).skipped
    assert c.search("ferries").total == 1


# ------------------------------------------------------------- web archives
def _page(title: str, words: str, date: str | None = None, site: str | None = None) -> bytes:
    meta = (f'<meta property="article:published_time" content="{date}">' if date else "")
    meta += f'<meta property="og:site_name" content="{site}">' if site else ""
    body = "".join(f"<p>{words} sentence {k} of the story goes on here.</p>" for k in range(8))
    return (f"<html><head><title>{title}</title>{meta}</head><body><article><h1>{title}</h1>"
            f"{body}</article></body></html>").encode()


def _warc(records, gz: bool = True) -> bytes:
    """A WARC made with warcio from ``(kind, uri, content_type, payload)``."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=gz)
    for kind, uri, ctype, payload in records:
        if kind == "request":
            rec = w.create_warc_record(uri, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n"
                                                                         b"\r\n"))
        else:
            http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            rec = w.create_warc_record(uri, kind, payload=io.BytesIO(payload),
                                       http_headers=http,
                                       warc_headers_dict={"WARC-Date": "2024-06-21T09:00:00Z"})
        w.write_record(rec)
    return buf.getvalue()


PAGES = [
    ("request", "https://www.news.example/a", None, None),
    ("response", "https://www.news.example/a", "text/html; charset=utf-8",
     _page("Council budget", "Alpha", date="2024-06-20T08:00:00+00:00", site="Example News")),
    ("response", "https://other.example:8080/b", "text/html",
     _page("Harbour plan", "Bravo")),  # no date, no publisher: the capture's and the host
    ("response", "https://other.example/logo.png", "image/png", b"\x89PNG..."),
    ("revisit", "https://www.news.example/a", "text/html", b""),
    ("response", "https://www.news.example/a", "text/html; charset=utf-8",  # the same again
     _page("Council budget", "Alpha", date="2024-06-20T08:00:00+00:00", site="Example News")),
]


def test_warc_pages_become_articles_with_the_captures_url_date_and_host(index_folder):
    c, report = index_folder({"crawl.warc.gz": _warc(PAGES), "plain.warc": _warc(PAGES[:3],
                                                                                   gz=False)})
    arts = [c.get(m.id) for m in c.articles() if m.path == "crawl.warc.gz"]
    by_title = {a.title: a for a in arts}
    assert set(by_title) == {"Council budget", "Harbour plan"}
    a, b = by_title["Council budget"], by_title["Harbour plan"]
    assert (a.url, a.date, a.source) == ("https://www.news.example/a", "2024-06-20T08:00:00+00:00",
                                         "Example News")
    assert (b.url, b.date, b.source) == ("https://other.example:8080/b",
                                         "2024-06-21T09:00:00+00:00", "other.example")
    assert "Bravo sentence 3 of the story" in b.text
    assert {m.title for m in c.articles() if m.path == "plain.warc"} == {"Council budget",
                                                                          "Harbour plan"}
    why = [s.reason for s in report.skipped if s.path == "crawl.warc.gz"]
    assert why == ["records not read: 1 not HTML, 1 revisits, 1 the same page again"]


def test_a_warcs_ids_are_stable_and_a_broken_archive_keeps_what_came_before(
        write_files, open_corpus):
    import zipfile

    data = _warc(PAGES)
    root = write_files({"crawl.warc.gz": data})
    first = open_corpus(root, "ix1")
    first.update(versions=False)
    again = open_corpus(root, "ix2")
    again.update(versions=False)
    assert {m.id for m in first.articles()} == {m.id for m in again.articles()}
    # a truncated gzip member, and a record whose Content-Length lies
    two = _warc(PAGES[1:3])
    plain = _warc(PAGES[1:3], gz=False)
    lying = plain.replace(b"Content-Length: ", b"Content-Length: 9", 1)
    wacz = root / "capture.wacz"
    with zipfile.ZipFile(wacz, "w") as z:
        z.writestr("archive/data.warc.gz", data)
        z.writestr("datapackage.json", "{}")
    write_files({"cut.warc.gz": two[: len(two) - 200], "lying.warc": lying,
                 "notzip.wacz": b"not a zip"})
    report = first.update(versions=False)
    by_path: dict[str, set[str]] = {}
    for m in first.articles():
        by_path.setdefault(m.path, set()).add(m.title)
    assert by_path["capture.wacz"] == {"Council budget", "Harbour plan"}
    assert by_path["cut.warc.gz"] == {"Council budget"}  # the page before the cut
    assert "lying.warc" not in by_path  # its first record swallowed the second: neither read
    why = {(s.path, s.reason) for s in report.skipped}
    [cut] = [r for p, r in why if p == "cut.warc.gz"]  # (the bytes: as zlib packed them)
    assert re.fullmatch(r"[\d,]+ bytes after the last whole record \(a truncated file\?\): "
                        r"the 1 records before them are read", cut)
    assert ("lying.warc", "https://www.news.example/a: the record's digest does not match "
                          "(cut short, or its Content-Length is wrong): not read") in why
    assert next(r for p, r in why if p == "notzip.wacz").startswith(
        "not a readable .wacz (zip) file (")


def test_an_articles_language_is_read_as_a_tag_never_guessed(index_folder):
    import json

    c, report = index_folder({
        "np/de.json": json.dumps(dict(NEWS_PLEASE, language="de", maintext="Der Text.")),
        "np/us.json": json.dumps(dict(NEWS_PLEASE, language="EN_us", maintext="The text.")),
        "np/word.json": json.dumps(dict(NEWS_PLEASE, language="English", maintext="Words.")),
        "np/none.json": json.dumps(dict(NEWS_PLEASE, language=None, maintext="No tag.")),
        "page.html": ('<html lang="pt-BR"><head><title>T</title></head><body><p>'
                      + "Um texto em portugu\u00eas. " * 20 + "</p></body></html>"),
        "meta.html": ('<html><head><meta http-equiv="Content-Language" content="fr">'
                      "<title>T</title></head><body><p>" + "Un texte. " * 20
                      + "</p></body></html>"),
        "plain.txt": "A text file says no language.\n",
    })
    assert report.articles_total == 7
    got = {p: c.get(p).language for p in ("np/de.json", "np/us.json", "np/word.json",
                                          "np/none.json", "page.html", "meta.html",
                                          "plain.txt")}
    assert got == {"np/de.json": "de", "np/us.json": "en-us", "np/word.json": None,
                   "np/none.json": None, "page.html": "pt-br", "meta.html": "fr",
                   "plain.txt": None}
    # lang: picks them, a tag's variants with it
    assert {h.path for h in c.search("lang:en", limit=None).hits} == {"np/us.json"}
    assert {h.path for h in c.search("lang:pt_BR", limit=None).hits} == {"page.html"}
    assert {h.path for h in c.search("lang:pt", limit=None).hits} == {"page.html"}
    assert {h.path for h in c.search("lang:de OR lang:fr", limit=None).hits} == {
        "np/de.json", "meta.html"}
    assert c.search("lang:en-gb", limit=None).total == 0
    from index import QueryError

    with pytest.raises(QueryError, match="lang: takes a language tag"):
        c.search("lang:English")
    # a changed file's new tag replaces the old; a deleted file's goes
    (c.root / "np/de.json").write_text(json.dumps(dict(NEWS_PLEASE, language="nl",
                                                       maintext="De tekst.")))
    (c.root / "page.html").unlink()
    c.update(procs=1)
    assert c.get("np/de.json").language == "nl"
    assert c.search("lang:de", limit=None).total == 0
    assert c.search("lang:pt", limit=None).total == 0


def test_an_index_of_before_languages_is_read_and_then_migrated(index_folder):
    import json
    import sqlite3

    c, _ = index_folder({"de.json": json.dumps(dict(NEWS_PLEASE, language="de"))})
    path = c.index_dir / "store.sqlite"
    c.close()
    with sqlite3.connect(path) as db:  # as the store of variorum before issue 14 was
        db.execute("DROP TABLE langs")
        db.execute("DROP TABLE spin")
        db.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    from index import Corpus

    old = Corpus(c.root, index_dir=c.index_dir)
    assert old.get("de.json").language is None  # read-only: not migrated, read as it is
    assert old.search("lang:de").total == 0
    again = Corpus(c.root, index_dir=c.index_dir)
    report = again.update(procs=1)  # migrates the store, then reads the file again
    # the reader that opened the store before: its next snapshot reads the languages
    assert old.get("de.json").language == "de"
    old.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
            "3",)
    assert report.files_changed == 1
    assert again.get("de.json").language == "de"
    assert again.update(procs=1).files_unchanged == 1  # once
    again.close()


def _story(n: int, words: str) -> tuple:
    return ("response", f"https://www.news.example/story-{n}", "text/html; charset=utf-8",
            _page(f"Story {n}", words))


def _warc_titles(c, path: str) -> dict[str, list[str]]:
    """title -> the ids of the articles of ``path`` with that title."""
    out: dict[str, list[str]] = {}
    for m in c.articles():
        if m.path == path:
            out.setdefault(m.title, []).append(m.id)
    return out


@pytest.mark.parametrize("gz", [True, False], ids=["warc.gz", "warc"])
def test_a_warc_that_grows_or_has_a_record_replaced_is_indexed_right(write_files,
                                                                      open_corpus, gz):
    # A .warc.gz grows by gzip members appended, a .warc by records appended:
    # re-indexed, every record is there once, the old ones with their ids.
    name = "crawl.warc.gz" if gz else "crawl.warc"
    first = [_story(1, "Alpha"), _story(2, "Bravo"), _story(3, "Charlie")]
    root = write_files({name: _warc(first, gz)})
    c = open_corpus(root)
    c.update(procs=1, versions=False)
    before = _warc_titles(c, name)
    assert sorted(before) == ["Story 1", "Story 2", "Story 3"]
    with open(root / name, "ab") as f:
        f.write(_warc([_story(4, "Delta"), _story(5, "Echo")], gz))
    report = c.update(procs=1, versions=False)
    after = _warc_titles(c, name)
    assert {t: len(ids) for t, ids in after.items()} == {f"Story {n}": 1 for n in range(1, 6)}
    assert {t: after[t] for t in before} == before
    assert (report.articles_added, report.articles_removed) == (2, 0)
    assert c.search("Delta").total == 1 and c.search("Alpha").total == 1
    # one record in the middle replaced (its payload changed): the old article
    # is gone, the new one is there, the others keep their ids
    write_files({name: _warc([first[0], _story(2, "Foxtrot"), first[2], _story(4, "Delta"),
                              _story(5, "Echo")], gz)})
    report = c.update(procs=1, versions=False)
    now = _warc_titles(c, name)
    assert {t: len(ids) for t, ids in now.items()} == {f"Story {n}": 1 for n in range(1, 6)}
    assert now["Story 2"] != after["Story 2"]
    assert {t: now[t] for t in now if t != "Story 2"} == {t: after[t] for t in now
                                                           if t != "Story 2"}
    assert (report.articles_added, report.articles_removed) == (1, 1)
    assert c.search("Bravo").total == 0
    assert [h.title for h in c.search("Foxtrot").hits] == ["Story 2"]
    assert "Foxtrot sentence 3" in c.get(now["Story 2"][0]).text


@pytest.mark.parametrize("gz", [True, False], ids=["warc.gz", "warc"])
def test_a_warc_cut_inside_a_record_after_indexing_keeps_the_records_before_the_cut(
        write_files, open_corpus, gz):
    name = "crawl.warc.gz" if gz else "crawl.warc"
    # (the third record made on its own: a record's id is random)
    third = _warc([_story(3, "Charlie")], gz)
    data = _warc([_story(1, "Alpha"), _story(2, "Bravo")], gz) + third
    root = write_files({name: data})
    c = open_corpus(root)
    c.update(procs=1, versions=False)
    before = _warc_titles(c, name)
    # cut in the middle of the third record's page
    write_files({name: data[: len(data) - len(third) // 2]})
    report = c.update(procs=1, versions=False)
    assert _warc_titles(c, name) == {t: before[t] for t in ("Story 1", "Story 2")}
    assert c.search("Charlie").total == 0
    why = [s.reason for s in report.skipped if s.path == name]
    if gz:  # (the cut gzip member's bytes: as zlib packed them)
        assert len(why) == 1
        assert re.fullmatch(r"[\d,]+ bytes after the last whole record \(a truncated file\?\): "
                            r"the 2 records before them are read", why[0])
    else:
        assert why == ["https://www.news.example/story-3: the record's digest does not match "
                       "(cut short, or its Content-Length is wrong): not read"]


# a crawl: pages, what is not a page, a page with no text, the same page twice
_CRAWL = [*PAGES, *(_story(n, w) for n, w in enumerate(
    ["Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India", "Juliet", "Kilo", "Lima"], 4)),
    ("response", "https://www.news.example/empty", "text/html", b"<html><body></body></html>"),
    _story(5, "Echo")]


def test_an_archive_read_in_pieces_gives_what_it_gives_read_whole(write_files):
    """Each piece passes over every record and parses its share of the pages:
    together they are the file read whole, its own skip lines said once."""
    root = write_files({"crawl.warc.gz": _warc(_CRAWL)})
    entry = ingest.scan(root)[0][0]
    whole = ingest.read_file(root, entry)
    assert len(whole.articles) == 11 and whole.order is None
    pieces = [ingest.read_file(root, entry, (k, 3)) for k in range(3)]
    assert all(p.articles for p in pieces)  # each did its share
    by_order = sorted((n, a) for p in pieces for n, a in zip(p.order, p.articles, strict=True))
    assert [a for _n, a in by_order] == whole.articles
    assert sorted(s.reason for p in pieces for s in p.skipped) == [
        "https://www.news.example/empty: no text",
        "records not read: 1 not HTML, 1 revisits, 2 the same page again"]
    assert sorted(whole.skipped, key=repr) == sorted((s for p in pieces for s in p.skipped),
                                                     key=repr)
    assert {p.sha for p in pieces} == {whole.sha}


def test_a_big_warc_is_read_by_every_worker_and_indexed_as_read_whole(
        write_files, open_corpus, monkeypatch):
    """One big archive is not one worker's job: with workers it is read in
    pieces, one a worker (each writes a segment), and the index holds what
    one process reading it whole gives, in its order."""
    from whoosh import index as windex

    from index.search import indexer

    root = write_files({"crawl.warc.gz": _warc(_CRAWL)})
    # (a unit of work per 1 KiB: this small file is "big")
    monkeypatch.setattr(indexer, "ARCHIVE_BYTES_PER_UNIT", 1024)
    assert indexer._units(ingest.scan(root)[0]) >= 4
    pieces, whole = open_corpus(root, "ix2"), open_corpus(root, "ix1")
    got = pieces.update(procs=2, versions=False)
    want = whole.update(procs=1, versions=False)
    assert len(windex.open_dir(pieces.index_dir / indexer.WHOOSH_DIR)._segments()) == 2
    assert len(windex.open_dir(whole.index_dir / indexer.WHOOSH_DIR)._segments()) == 1
    assert [(m.id, m.title) for m in pieces.articles()] == \
        [(m.id, m.title) for m in whole.articles()]
    assert len(pieces.articles()) == 11
    assert sorted(got.skipped, key=repr) == sorted(want.skipped, key=repr)
    assert len(got.skipped) == 2
    assert [h.title for h in pieces.search("Kilo").hits] == ["Story 11"]
    # read again in pieces when it changes: nothing twice, nothing stale
    with open(root / "crawl.warc.gz", "ab") as f:
        f.write(_warc([_story(20, "Mike")]))
    got = pieces.update(procs=2, versions=False)
    assert (got.articles_added, got.articles_removed, got.articles_total) == (1, 0, 12)
    assert len({m.id for m in pieces.articles()}) == 12


def _part(tmp_path, files=(), unchanged=()):
    """A worker's part whose records file holds ``files``: ``(entry, sha,
    metas, skips, order)`` each, pieces of an archive when ``order`` is a
    list (as ``_index_part`` writes them)."""
    from index.search import indexer

    path = tmp_path / f"{len(list(tmp_path.iterdir()))}{indexer._PART_SUFFIX}"
    with open(path, "wb") as f:
        out = indexer._PartWriter(f)
        for e, sha, metas, skips, order in files:
            out.file(e, sha, metas, skips, order)
        out.close()
    return indexer._Part(records=str(path), unchanged=list(unchanged),
                         pieces_read=[f[0].path for f in files if f[4] is not None])


def _gathered(parts):
    from index.search import indexer

    touched, read = indexer._gather(parts)
    return touched, list(read)


def test_pieces_that_disagree_on_an_archive_have_it_read_again_next_run(tmp_path):
    """A file that changed while its pieces were read (they hash it
    differently, or one found it as it was): what they read is kept, and the
    manifest gets a time no file has, so the next run reads it again."""
    e = ingest.FileEntry("crawl.warc.gz", 10, 5)
    again = (ingest.FileEntry("crawl.warc.gz", 10, -1), None, [], [])
    one, two = (_part(tmp_path, [(e, sha, [], [], [])]) for sha in ("s1", "s2"))
    assert _gathered([one, two]) == ([], [again])
    assert _gathered([one, _part(tmp_path, unchanged=[e])]) == ([], [again])
    same = _part(tmp_path, [(e, "s1", [], [], [])])
    assert _gathered([one, same]) == ([], [(e, "s1", [], [])])
    assert _gathered([_part(tmp_path, unchanged=[e])] * 2) == ([e], [])


def test_the_pieces_of_an_archive_go_to_different_chunks():
    """Two pieces of one archive in one chunk would be two passes over it by
    one worker, one after the other: slower than reading it whole."""
    from index import ingest
    from index.search import indexer

    mib = 1 << 20
    big = ingest.FileEntry("big.jsonl", 10 * mib, 1)
    archive = ingest.FileEntry("a.warc.gz", 12 * mib, 1)
    chunks = indexer._chunks([big, archive], {}, 2)
    where = [[(e.path, piece) for e, _sha, piece in c] for c in chunks]
    assert sorted(where) == [[("a.warc.gz", (0, 2))], [("a.warc.gz", (1, 2)), ("big.jsonl", None)]]
