"""Reading a corpus folder: every format, and every kind of bad input."""

from __future__ import annotations

import os
import random
import socket
import unicodedata
from pathlib import Path

import pytest

from index import NotFoundError, ingest
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
    assert "undecodable" in why[("noise.txt", None)] or "binary" in why[("noise.txt", None)]
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
    from index.textclean import normalize_text, strip_controls

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
    from index.textclean import normalize_text

    right = "It\u2019s \u201cdone\u201d \u2014 caf\u00e9 \u00e0 la carte \u20ac5 \U0001f600"
    assert normalize_text(right.encode("utf-8").decode("latin-1")) == (
        # the sequences with a C1 character are mended; é (C3 A9) and à (C3 A0)
        # spelt as Latin-1 hold none, so they may be meant as written and stay
        "It\u2019s \u201cdone\u201d \u2014 caf\u00c3\u00a9 \u00c3\u00a0 la carte \u20ac5 \U0001f600"
    )
    meant = "Ren\u00c3\u00a9 and Sm\u00c3\u00b8rgrav"
    assert normalize_text(meant) == meant


def test_an_unterminated_escape_string_loses_only_its_introducer():
    from index.textclean import strip_controls

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
