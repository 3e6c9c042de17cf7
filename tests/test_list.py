"""The article list (columns, sort, filters, read and bookmarked articles)
and the article's header, driven through Pilot over a small dated corpus:
the sample articles with dates and sources (two without a source, in a
folder), 001 and 004 the spun pair."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SAMPLE
from test_app import search, settle, status

from index import Corpus
from tui.app import VariorumApp
from tui.config import Config

ROOT = Path(__file__).resolve().parent.parent
# number -> (date, source, folder)
META = {"000": ("2024-06-21", "Epoch Weekly", ""), "001": ("2024-06-20", "CNN", ""),
        "002": ("2024-06-22", "", "wire"), "003": ("2024-05-25", "Asia Desk", ""),
        "004": ("2024-06-23", "", "wire")}
PATHS = {k: f"{folder}/{k}.md".lstrip("/") for k, (_d, _s, folder) in META.items()}
FILE_ORDER = ["000.md", "001.md", "003.md", "wire/002.md", "wire/004.md"]


def write_dated(root: Path) -> None:
    for k, name in SAMPLE.items():
        date, source, _folder = META[k]
        text = (ROOT / "sample_corpus" / name).read_text(encoding="utf-8")
        front = f"---\ndate: {date}\n" + (f"source: {source}\n" if source else "") + "---\n\n"
        p = root / PATHS[k]
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(front + text, encoding="utf-8")


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory) -> tuple[Path, Path]:
    """The dated corpus and its index (versions, the rule extractor's
    entities), made once: copy the index, never open it."""
    base = tmp_path_factory.mktemp("dated")
    root = base / "news"
    write_dated(root)
    with Corpus(root, index_dir=base / "ix", ner="rules") as c:
        assert c.update(procs=1).articles_total == 5
        c.update_entities(procs=1)
        assert c.store.version_pairs()  # 001 and 004
    return root, base / "ix"


@pytest.fixture
def dated(dated_index, tmp_path, monkeypatch) -> Corpus:
    root, ix = dated_index
    monkeypatch.setenv("VARIORUM_DATA_DIR", str(tmp_path / "data"))
    shutil.copytree(ix, tmp_path / "ix")
    return Corpus(root, index_dir=tmp_path / "ix", ner="rules")


def rows(app) -> list[str]:
    """The list's lines as drawn: the column line, then a line an article."""
    lst = app.reader.list
    return [lst.render_line(y).text for y in range(len(lst.items) + 1)]


def listed(app) -> list[str]:
    return [e.path for e in app.reader.list.items]


# ------------------------------------------------------------------ columns


async def test_rows_show_the_day_the_source_or_folder_the_title_and_the_badge(dated):
    app = VariorumApp(dated)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        head, *lines = rows(app)
        assert head.split()[:3] == ["date", "source", "title"] and "by file order" in head
        by_path = dict(zip(listed(app), lines, strict=True))
        cnn = by_path["001.md"]
        assert "24-06-20" in cnn and "CNN" in cnn and "Editor’s note" in cnn
        assert cnn.rstrip().endswith("≈1")  # the version badge, at the right edge
        assert "wire" in by_path["wire/002.md"]  # no source: the folder
        assert not by_path["wire/002.md"].rstrip().endswith("≈1")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_title_keeps_most_of_the_list_width(dated, size):
    app = VariorumApp(dated)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        lst = app.reader.list
        width = lst.scrollable_content_region.width
        title = lst.items[2].title  # 003: a long title, no badge
        row = rows(app)[3]
        shown = row.rstrip().removesuffix("…")
        start = shown.index(title[:8])
        assert title.startswith(shown[start:])
        assert len(shown) - start >= width // 2


# --------------------------------------------------------------------- sort


async def test_S_cycles_the_sort_and_the_top_line_says_which(dated):
    app = VariorumApp(dated)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("j")  # 001
        await settle(app, pilot)
        await pilot.press("S")
        await settle(app, pilot)
        assert listed(app) == ["wire/004.md", "wire/002.md", "000.md", "001.md", "003.md"]
        assert "date ▼" in rows(app)[0] and "sorted by date" in status(app)
        assert app.reader.list.current.path == "001.md"  # the cursor stays on its article
        assert app.reader.view.article.path == "001.md"
        await pilot.press("S")
        await settle(app, pilot)
        # by source (the folder for those without), newest first within one
        assert listed(app) == ["003.md", "001.md", "000.md", "wire/004.md", "wire/002.md"]
        assert "source ▼" in rows(app)[0]
        await pilot.press("S")
        await settle(app, pilot)
        titles = [e.title.casefold() for e in app.reader.list.items]
        assert titles == sorted(titles) and "title ▼" in rows(app)[0]
        await pilot.press("S")
        await settle(app, pilot)
        assert listed(app) == FILE_ORDER and "by file order" in rows(app)[0]


async def test_a_search_is_by_relevance_until_sorted(dated):
    app = VariorumApp(dated)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await search(app, pilot, "putin")
        ranked = listed(app)
        assert "by relevance" in rows(app)[0] and len(ranked) == 5
        await pilot.press("S")
        await settle(app, pilot)
        assert listed(app) == ["wire/004.md", "wire/002.md", "000.md", "001.md", "003.md"]
        await pilot.press("S", "S", "S")
        await settle(app, pilot)
        assert listed(app) == ranked


async def test_a_long_list_is_sorted_off_the_ui_thread(dated, monkeypatch):
    import threading

    from index import models
    from tui.widgets import article_list

    monkeypatch.setattr(article_list, "SORT_INLINE", 2)  # the five articles are "long"
    threads = []
    real = models.sort_entries

    def spy(entries, key):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(entries, key)

    monkeypatch.setattr(article_list, "sort_entries", spy)
    app = VariorumApp(dated)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("S")
        await settle(app, pilot)
        assert threads == [False]
        assert listed(app) == ["wire/004.md", "wire/002.md", "000.md", "001.md", "003.md"]
        assert app.reader.list.current.path == "000.md"


# ------------------------------------------------------------------ filters


async def test_F_filters_by_versions_and_their_kind_as_query_fields(dated):
    from tui.screens.filters import FiltersScreen

    app = VariorumApp(dated)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("F")
        assert isinstance(app.screen, FiltersScreen)
        await pilot.press("v")
        await settle(app, pilot)
        assert app.reader.search_box.value == "has:versions"
        assert sorted(listed(app)) == ["001.md", "wire/004.md"]
        assert "has:versions" in rows(app)[0]  # the filter in force, on the top line
        await pilot.press("F", "v")  # again: off
        await settle(app, pilot)
        assert app.reader.search_box.value == "" and listed(app) == FILE_ORDER
        await pilot.press("F", "r")
        await settle(app, pilot)
        assert sorted(listed(app)) == ["001.md", "wire/004.md"]
        await pilot.press("F", "r", "F", "c")  # rewrites off, copies on: there are none
        await settle(app, pilot)
        assert app.reader.search_box.value == "kind:copy" and listed(app) == []


async def test_F_filters_by_source_folder_and_month_and_x_keeps_the_words(dated):
    app = VariorumApp(dated)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("j")  # 001, from CNN
        await settle(app, pilot)
        await pilot.press("F", "s")
        await settle(app, pilot)
        assert app.reader.search_box.value == 'source:"CNN"' and listed(app) == ["001.md"]
        await pilot.press("F", "s")
        await settle(app, pilot)
        await pilot.press("G")  # wire/004: no source, its folder
        await settle(app, pilot)
        await pilot.press("F", "s")
        await settle(app, pilot)
        assert app.reader.search_box.value == "path:wire/*"
        assert listed(app) == ["wire/002.md", "wire/004.md"]
        await pilot.press("F", "x")
        await settle(app, pilot)
        await search(app, pilot, "putin")
        await pilot.press("F", "m")  # 004's month: June (003 is from May)
        await settle(app, pilot)
        assert app.reader.search_box.value == "putin date:2024-06"
        assert sorted(listed(app)) == ["000.md", "001.md", "wire/002.md", "wire/004.md"]
        assert "date:2024-06" in rows(app)[0]
        await pilot.press("F", "x")
        await settle(app, pilot)
        assert app.reader.search_box.value == "putin" and len(listed(app)) == 5


# ------------------------------------------------------- read, bookmarks


async def test_unread_articles_are_marked_and_reading_is_remembered(dated):
    app = VariorumApp(dated)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        marks = [r[0] for r in rows(app)[1:]]
        assert marks == [" ", "•", "•", "•", "•"]  # the first is open: read
        await pilot.press("j")
        await settle(app, pilot)
        assert [r[0] for r in rows(app)[1:]] == [" ", " ", "•", "•", "•"]
        await pilot.press("q")
    app = VariorumApp(Corpus(dated.root, index_dir=dated.index_dir, ner="rules"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert [r[0] for r in rows(app)[1:]] == [" ", " ", "•", "•", "•"]


async def test_B_bookmarks_and_F_b_shows_only_the_bookmarked(dated):
    app = VariorumApp(dated)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "j", "B")  # 003
        await settle(app, pilot)
        assert rows(app)[3][1] == "★" and "bookmarked" in status(app)
        await pilot.press("F", "b")
        await settle(app, pilot)
        assert listed(app) == ["003.md"] and "★ only" in rows(app)[0]
        await pilot.press("F", "b")
        await settle(app, pilot)
        assert listed(app) == FILE_ORDER
        await pilot.press("q")
    app = VariorumApp(Corpus(dated.root, index_dir=dated.index_dir, ner="rules"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert [r[1] for r in rows(app)[1:]] == [" ", " ", "★", " ", " "]
        await pilot.press("g", "j", "j", "B")  # dropped again
        assert [r[1] for r in rows(app)[1:]] == [" "] * 5


# ------------------------------------------------------------------ header


def view_lines(app) -> list[str]:
    view = app.reader.view
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


async def test_the_header_names_source_date_path_and_versions(dated):
    app = VariorumApp(dated)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("j")  # 001
        await settle(app, pilot)
        lines = view_lines(app)
        k = next(i for i, line in enumerate(lines) if "CNN · 2024-06-20 · 001.md" in line)
        assert lines[k].endswith("≈1 version (v)")
        view = app.reader.view
        badge = view.render_line(k)
        style = view.get_component_rich_style("article-view--badge")
        assert [s.text for s in badge if s.style and s.style.bold == style.bold
                and s.style.color == style.color] == ["≈1 version (v)"]
        # the title is the first paragraph (the ingester cut it short): in full,
        # above the text, and the text does not repeat it
        title = " ".join(lines[:k])
        assert "its impact on the world." in title
        assert not any("Editor’s note" in line for line in lines[k + 1:])


async def test_the_header_says_the_language_the_file_gives(tmp_path):
    import json

    root = tmp_path / "np"
    root.mkdir()
    (root / "a.json").write_text(json.dumps({
        "title": "Ein Artikel", "maintext": "Der Text des Artikels.", "language": "de",
        "source_domain": "zeitung.example", "date_publish": "2024-06-20 08:15:00"}))
    app = VariorumApp(Corpus(root, index_dir=tmp_path / "ix", ner="rules"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        head = " ".join(view_lines(app)[1:4])  # (wrapped at the pane's width)
        assert "zeitung.example · 2024-06-20T08:15:00 · de · a.json" in head
        await pilot.press("q")


async def test_paragraphs_are_apart_and_a_first_line_that_is_the_title_is_not_repeated(
        dated):
    app = VariorumApp(dated)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "j")  # 003: its first line is its title
        await settle(app, pilot)
        view = app.reader.view
        lines = view_lines(app)
        title = view.article.title
        assert lines[0] == title and sum(title in line for line in lines) == 1
        text = view.text
        assert text.startswith(title + "\n")
        assert view.lines[0][0] > len(title)  # the body starts after it
        # two lines of text with a paragraph break between them have an empty line
        # between them; the offsets still cover the text in order
        pairs = list(zip(view.lines, view.lines[1:], strict=False))
        assert all(s2 >= e1 for (_s1, e1), (s2, _e2) in pairs)
        breaks = [(a, b) for a, b in pairs if "\n" in text[a[1]:b[0]]]
        assert breaks and all(a[0] == a[1] or b[0] == b[1] for a, b in breaks)
        assert text.count("\n\n") < text.count("\n")  # the text has single newlines


async def test_hits_map_to_their_lines_with_the_blank_lines_and_the_title_skipped(dated):
    app = VariorumApp(dated)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await search(app, pilot, "owner")  # 003's third paragraph ("Credits to the owner")
        view = app.reader.view
        assert view.article.path == "003.md" and view.spans
        for k, (s, e) in enumerate(view.spans):
            view.goto_hit(k)
            await pilot.pause()
            y = view.line_of_offset(s) - view.scroll_offset.y
            strip = view.render_line(y)
            hit = view.get_component_rich_style("article-view--current-hit")
            assert "".join(seg.text for seg in strip if seg.style
                           and seg.style.bgcolor == hit.bgcolor) == view.text[s:e]


# -------------------------------------------------------------------- tints


def test_entity_tints_read_on_light_and_dark_and_without_colour():
    """Item 2: the entity tint against the background, in both themes: far
    apart in brightness, never the hit's colour, and bold (seen in NO_COLOR)."""
    import asyncio

    from textual.app import App

    from tui.widgets.article_view import ArticleView

    class Host(App):
        def compose(self):
            yield ArticleView()

    async def run(theme: str):
        app = Host()
        async with app.run_test(size=(60, 10)) as pilot:
            app.theme = theme
            await pilot.pause()
            view = app.query_one(ArticleView)
            ent = view.get_component_rich_style("article-view--entity")
            hit = view.get_component_rich_style("article-view--hit")
            bg = view.rich_style.bgcolor
            return ent, hit, bg

    from textual.color import Color

    for theme in ("textual-light", "textual-dark"):
        ent, hit, bg = asyncio.run(run(theme))
        fg = Color.from_rich_color(ent.color)
        back = Color.from_rich_color(bg)
        assert back.brightness > 0.5 if theme == "textual-light" else back.brightness < 0.5
        assert abs(fg.brightness - back.brightness) > 0.35, theme
        assert ent.bgcolor != hit.bgcolor  # a tint is the text's colour, never a hit's background
        assert ent.color != Color.from_rich_color(hit.bgcolor).rich_color
        assert ent.bold


# ---------------------------------------------------------------- snapshots


def _snapshot(snap_compare, dated_index, tmp_path, monkeypatch, size, keys=(),
              config=None, query=None):
    root, ix = dated_index
    shutil.copytree(ix, tmp_path / "ix")
    monkeypatch.setenv("VARIORUM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(root.parent)  # the top bar says "news"
    app = VariorumApp(Corpus(Path("news"), index_dir=tmp_path / "ix", ner="rules"),
                      config)

    async def run_before(pilot) -> None:
        await settle(app, pilot)
        if query:
            await search(app, pilot, query)
        for k in keys:
            await pilot.press(k)
            await settle(app, pilot)

    return snap_compare(app, terminal_size=size, run_before=run_before)


def test_list_snapshot_120x40_sorted_and_filtered(snap_compare, dated_index, tmp_path,
                                                 monkeypatch):
    assert _snapshot(snap_compare, dated_index, tmp_path, monkeypatch, (120, 40),
                     query="putin", keys=["S", "F", "v", "j"])


def test_list_snapshot_80x24(snap_compare, dated_index, tmp_path, monkeypatch):
    assert _snapshot(snap_compare, dated_index, tmp_path, monkeypatch, (80, 24),
                     keys=["j", "B"])


def test_list_snapshot_40x12(snap_compare, dated_index, tmp_path, monkeypatch):
    assert _snapshot(snap_compare, dated_index, tmp_path, monkeypatch, (40, 12), keys=["j"])


def test_list_snapshot_no_color(snap_compare, dated_index, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert _snapshot(snap_compare, dated_index, tmp_path, monkeypatch, (120, 40),
                     query="putin", keys=["j", "t"])


def test_list_snapshot_light_theme(snap_compare, dated_index, tmp_path, monkeypatch):
    assert _snapshot(snap_compare, dated_index, tmp_path, monkeypatch, (120, 40),
                     keys=["j", "t"], config=Config(theme="textual-light"))
