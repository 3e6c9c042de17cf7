"""The diff screen for people: readable without colour and on a light theme,
laid out for the terminal's width, the current change plain to see, the
direction swappable, the report's keys, and text selection (the diff's and
the article's) through Textual's selection API."""

from __future__ import annotations

import pytest
from conftest import copy_sample_index
from rich.color import Color as RichColor
from test_app import ROOT, SPUN, open_seed_diff, settle

from index import Corpus
from tui.app import VariorumApp

ORIGINAL = "001_f563c122a25a09e3.txt"


# ------------------------------------------------------------------ helpers
def _luminance(c: RichColor) -> float:
    r, g, b = c.get_truecolor()

    def ch(v: int) -> float:
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b)


def contrast(style) -> float:
    """The WCAG contrast ratio of a drawn cell's text on its background."""
    fg, bg = style.color, style.bgcolor
    if style.reverse:
        fg, bg = bg, fg
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def screen_rows(app) -> list[list]:
    """What the terminal is sent, row by row: the segments after the app's
    filters (NO_COLOR's monochrome, the theme's ANSI colours)."""
    return [list(strip) for strip in app.screen._compositor.render_strips()]


def row_text(row) -> str:
    return "".join(s.text for s in row)


def cells(row, x0: int, x1: int) -> list:
    """The styles of the cells ``x0:x1`` of a row (one cell a character here)."""
    out, x = [], 0
    for s in row:
        for _ in s.text:
            if x0 <= x < x1:
                out.append(s.style)
            x += 1
    return out


def region_rows(app, widget) -> list[tuple[int, list]]:
    """The screen rows of ``widget``'s region, each cut to it: (y, segments)."""
    r = widget.content_region
    rows = screen_rows(app)
    out = []
    for y in range(r.y, r.bottom):
        row = rows[y]
        segs, x = [], 0
        for s in row:
            for ch in s.text:
                if r.x <= x < r.right:
                    segs.append(type(s)(ch, s.style))
                x += 1
        out.append((y, segs))
    return out


def sample(tmp_path, sample_index) -> Corpus:
    return Corpus(ROOT / "sample_corpus", ner="rules",
                  index_dir=copy_sample_index(sample_index, tmp_path / "ix"))


def make_app(tmp_path, sample_index, monkeypatch, *, theme: str | None = None,
             no_color: bool = False) -> VariorumApp:
    """The app as a user starts it with these settings in the environment
    (set before the app is made: Textual reads NO_COLOR when it starts)."""
    from tui.config import load_config

    if theme is not None:
        monkeypatch.setenv("VARIORUM_THEME", theme)
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    return VariorumApp(sample(tmp_path, sample_index), config=load_config())


BLOCKS = set("▁▂▃▄▅▆▇█▔▏▕▎")  # scrollbars and borders: not text


def worst_contrast(app, widget, *, symbols: bool = False) -> tuple[float, str]:
    """The lowest contrast of any character drawn in ``widget`` (its text;
    with ``symbols`` only the one-cell symbols: │ ▌ and the markers)."""
    worst = (99.0, "")
    for y, segs in region_rows(app, widget):
        for s in segs:
            if not s.text.strip() or s.text in BLOCKS:
                continue
            if symbols != (s.text in "│▌~-+↕−"):
                continue
            worst = min(worst, (contrast(s.style), f"{s.text!r} on row {y}"))
    return worst


def diff_widgets(screen):
    return [screen.view, screen.query_one("#spin"), screen.query_one("#diff-head")]


# -------------------------------------------------- 1, 2: readable everywhere
@pytest.mark.parametrize("inline", [False, True])
async def test_without_colour_every_change_reads_at_full_contrast(
        tmp_path, sample_index, monkeypatch, inline):
    app = make_app(tmp_path, sample_index, monkeypatch, no_color=True)
    async with app.run_test(size=(150, 40)) as pilot:
        assert app.no_color
        screen = await open_seed_diff(app, pilot)
        if inline:
            await pilot.press("i")
        await pilot.press("right_square_bracket")  # a current change on screen too
        await settle(app, pilot)
        # the substitution's two sides: struck and underlined, at full contrast
        rows = screen_rows(app)
        y = next(y for y, r in enumerate(rows) if "[-While-]" in row_text(r))
        text = row_text(rows[y])
        frm = cells(rows[y], text.index("While"), text.index("While") + 5)
        to = cells(rows[y], text.index("{+As+}") + 2, text.index("{+As+}") + 4)
        assert all(s.strike for s in frm) and all(s.underline for s in to)
        assert min(contrast(s) for s in frm + to) >= 7
        # the header's − and + are there and as clear as the text
        head = screen.query_one("#diff-head").content_region
        signs = [row_text(rows[head.y + i])[head.x] for i in (0, 1)]
        assert signs == ["−", "+"]
        assert min(contrast(cells(rows[head.y + i], head.x, head.x + 1)[0])
                   for i in (0, 1)) >= 7
        # nothing drawn in the diff, its header or its report is dim
        for w in diff_widgets(screen):
            low, where = worst_contrast(app, w)
            assert low >= 7, f"{type(w).__name__}: {where} at {low:.2f}"
        # nor the report's highlighted item, once the report has the focus
        await pilot.press("tab", "j")
        await settle(app, pilot)
        low, where = worst_contrast(app, screen.query_one("#spin"))
        assert low >= 7, f"the report's cursor: {where} at {low:.2f}"


@pytest.mark.parametrize("theme", ["textual-light", "textual-dark"])
async def test_every_diff_style_is_readable_on_a_light_and_a_dark_theme(
        tmp_path, sample_index, monkeypatch, theme):
    app = make_app(tmp_path, sample_index, monkeypatch, theme=theme)
    async with app.run_test(size=(150, 40)) as pilot:
        assert app.theme == theme
        screen = await open_seed_diff(app, pilot)
        for keys in (["right_square_bracket"], ["i", "right_square_bracket"]):
            await pilot.press(*keys)
            await settle(app, pilot)
            for w in diff_widgets(screen):
                low, where = worst_contrast(app, w)  # text: WCAG AA
                assert low >= 4.5, f"{theme} {type(w).__name__}: {where} at {low:.2f}"
                low, where = worst_contrast(app, w, symbols=True)  # symbols: 3 to 1
                assert low >= 3, f"{theme} {type(w).__name__}: {where} at {low:.2f}"


async def test_a_theme_change_redraws_the_diff_in_the_new_themes_styles(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await open_seed_diff(app, pilot)
        await pilot.press("right_square_bracket")
        app.theme = "textual-light"
        await settle(app, pilot)
        for w in diff_widgets(screen):
            low, where = worst_contrast(app, w)
            assert low >= 4.5, f"{type(w).__name__}: {where} at {low:.2f}"
        assert screen.view.current_group >= 0


async def test_a_restyle_that_comes_after_the_diff_closed_does_nothing(corpus):
    """A style update asks for a restyle after the next refresh: by then the
    diff may be closed, and its removed view has no component styles left
    (a KeyError there ended the app, seen in a busy test run)."""
    app = VariorumApp(corpus)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await open_seed_diff(app, pilot)
        view = screen.view
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is app.reader and not view.is_attached
        # a style update asked for it before the close: the style cache is
        # emptied, the restyle runs after
        view._rich_style_cache.clear()
        view._restyle()  # what the callback does once it runs
        await settle(app, pilot)
        assert app.is_running


# ------------------------------------------------------------ 3: the layout
async def test_the_layout_follows_the_width_and_the_text_comes_first(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_seed_diff(app, pilot)
        view, panel = screen.view, screen.query_one("#spin")
        # below 120 columns: inline (the CLI's rule), the report beside it, narrower
        assert view.inline
        assert panel.display and 24 <= panel.outer_size.width <= 30
        assert view.size.width >= 80 - 30 - 1
        await pilot.press("i")  # i still toggles
        assert not view.inline
        await pilot.resize_terminal(120, 40)
        await settle(app, pilot)
        assert not view.inline  # chosen by i: the width no longer decides

    # 120 columns and more: side by side
    app2 = VariorumApp(corpus)
    async with app2.run_test(size=(120, 40)) as pilot:
        screen = await open_seed_diff(app2, pilot)
        assert not screen.view.inline
        assert screen.query_one("#spin").outer_size.width == 43  # 36% of 120
        # narrowed to 40×12: inline, the report hidden, the diff text on screen
        await pilot.resize_terminal(40, 12)
        await settle(app2, pilot)
        view, panel = screen.view, screen.query_one("#spin")
        assert view.inline and not panel.display
        assert view.size.width >= 36 and view.size.height >= 6
        shown = "\n".join(row_text(r) for r in screen_rows(app2))
        assert "[-Editor’s note" in shown  # the first change, in the text
        # r shows the report below the text, not beside it
        await pilot.press("r")
        await settle(app2, pilot)
        assert panel.display and panel.region.y > view.region.y
        assert panel.region.width == view.region.width
        assert view.size.height >= 3


# ------------------------------------------------------ 4: the current change
@pytest.mark.parametrize("no_color", [False, True])
async def test_the_current_change_is_marked_on_every_row_with_and_without_colour(
        tmp_path, sample_index, monkeypatch, no_color):
    app = make_app(tmp_path, sample_index, monkeypatch, no_color=no_color)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await open_seed_diff(app, pilot)
        view = screen.view
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(app, pilot)
        k = view.current_group
        first = view._group_first_row[k]
        nrows = sum(1 for g, _l, _r in view._rows if g == k)
        assert nrows >= 2  # a group that wraps: the bar is on each of its rows
        top = view.content_region
        rows = screen_rows(app)
        bars = [y - top.y + view.scroll_offset.y for y in range(top.y, top.bottom)
                if row_text(rows[y])[top.x] == "▌"]
        assert bars == list(range(first, first + nrows))
        bar = cells(rows[top.y + first - view.scroll_offset.y], top.x, top.x + 1)[0]
        assert bar.bold and contrast(bar) >= 7
        # and a background of its own: the row is told from the next group's
        gap = top.x + 2  # the space after the marker
        cur = cells(rows[top.y + first - view.scroll_offset.y], gap, gap + 1)[0]
        other = cells(rows[top.y + first + nrows - view.scroll_offset.y], gap, gap + 1)[0]
        assert cur.bgcolor != other.bgcolor


# ------------------------------------------------------ 7: the report's keys
async def test_the_report_pane_moves_with_the_cursor_keys(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await open_seed_diff(app, pilot)
        panel = screen.query_one("#spin")
        await pilot.press("tab")
        assert app.focused is panel
        enabled = [i for i in range(panel.option_count)
                   if not panel.get_option_at_index(i).disabled]
        panel.highlighted = enabled[0]
        await pilot.press("j")
        assert panel.highlighted == enabled[1]
        await pilot.press("j", "k")
        assert panel.highlighted == enabled[1]
        await pilot.press("G")
        assert panel.highlighted == enabled[-1]
        await pilot.press("g")
        assert panel.highlighted == enabled[0]
        await pilot.press("space")
        paged = panel.highlighted
        assert paged > enabled[5]
        await pilot.press("b")
        assert panel.highlighted < paged
        # Enter still jumps to the item's place in the text
        await pilot.press("g", "enter")
        assert screen.view.current_group == screen.result.substitutions[0].groups[0]


# --------------------------------------------------- 11: swap the direction
async def test_s_swaps_the_direction(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await open_seed_diff(app, pilot)
        before = screen.result
        head = str(screen.query_one("#diff-head").render())
        assert head.startswith("− 001_") and "\n+ 004_" in head
        await pilot.press("s")
        await settle(app, pilot)
        assert (screen.a.path, screen.b.path) == (SPUN, ORIGINAL)
        head = str(screen.query_one("#diff-head").render())
        assert head.startswith("− 004_") and "\n+ 001_" in head
        r = screen.result
        assert r is not before
        # new → ancient read the other way round, and the text's brackets too
        assert any(s.frm == "ancient" and s.to == "new" for s in r.substitutions)
        assert not any(s.frm == "new" and s.to == "ancient" for s in r.substitutions)
        assert (r.stats.dropped, r.stats.added) == (before.stats.added, before.stats.dropped)
        rows = [screen.view.render_line(y).text for y in range(screen.view.size.height)]
        assert any("[-As-]" in t and "{+While+}" in t for t in rows)
        await pilot.press("s")
        await settle(app, pilot)
        assert (screen.a.path, screen.b.path) == (ORIGINAL, SPUN)


async def test_s_keeps_the_current_change(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await open_seed_diff(app, pilot)
        await pilot.press(*["right_square_bracket"] * 3)
        assert screen.view.changes.index(screen.view.current_group) == 2
        await pilot.press("s")
        await settle(app, pilot)
        assert screen.view.changes.index(screen.view.current_group) == 2


# ------------------------------------------------------- 17: select and copy
async def drag(pilot, widget, start: tuple[int, int], end: tuple[int, int]) -> None:
    """A mouse drag over ``widget`` from ``start`` to ``end`` (its offsets)."""
    await pilot.mouse_down(widget, offset=start)
    await pilot.hover(widget, offset=end)
    await pilot.mouse_up(widget, offset=end)
    await pilot.pause()


async def copied_by_ctrl_c(app, pilot) -> str:
    got: list[str] = []
    app.copy_to_clipboard = got.append
    await pilot.press("ctrl+c")
    assert len(got) == 1
    return got[0]


async def test_a_drag_in_the_article_selects_its_text_and_ctrl_c_copies_it(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        view = app.reader.view
        body = len(view._header)  # the first line of the text
        line0 = view.render_line(body).text
        assert line0.startswith("Russia and North Korea have signed")
        # from "Korea" on the first line to the third line's 20th character
        x0 = line0.index("Korea") + 1  # (the view's left padding)
        await drag(pilot, view, (x0, body), (20, body + 2))
        s, e = view._starts[0] + x0 - 1, view._starts[2] + 20
        assert app.screen.get_selected_text() == view.text[s:e]
        # the article's own text: a line the wrapping broke is not broken
        assert "treaty, elevating" in view.text[s:e]
        # the selection is drawn
        painted = app.screen.get_component_rich_style("screen--selection").bgcolor
        first = list(view.render_line(body))
        styles = cells(first, x0 - 1, x0 + 4)
        assert all(st.bgcolor == painted for st in styles)
        assert all(st.bgcolor != painted for st in cells(first, 0, x0 - 1))
        assert await copied_by_ctrl_c(app, pilot) == view.text[s:e]


async def test_a_drag_in_the_diff_copies_one_columns_words_without_markers(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await open_seed_diff(app, pilot)
        view = screen.view
        rows = [view.render_line(y).text for y in range(view.size.height)]
        y = next(y for y, t in enumerate(rows) if "[-While-]" in t)
        right = rows[y].index("{+As+}")
        # the right column, from its "{+As+}" to the next row: the second
        # article's words, as they are in it, without {+ +}
        await drag(pilot, view, (right, y), (right + 12, y + 1))
        got = screen.get_selected_text()
        assert got.startswith("As Russian President Vladimir")
        assert "{+" not in got and "+}" not in got and "[-" not in got
        assert got.count("\n") == 0  # one sentence: its rows joined with spaces
        assert "While" not in got  # nothing from the left column
        # the left column: the first article's words, its deletions unbracketed
        left = rows[y].index("[-While-]")
        await drag(pilot, view, (left, y), (left + 20, y))  # to the "e" of "Pre…"
        assert screen.get_selected_text() == "While Russian Pre"
        assert await copied_by_ctrl_c(app, pilot) == "While Russian Pre"
        # inline: the second text, the deleted words left out
        await pilot.press("i")
        rows = [view.render_line(y).text for y in range(view.size.height)]
        y = next(y for y, t in enumerate(rows) if "[-While-] {+As+}" in t)
        x = rows[y].index("[-While-]")
        await drag(pilot, view, (x, y), (x + len("[-While-] {+As+} Russia"), y))
        assert screen.get_selected_text() == "As Russian"


# ------------------------------------------------------ e: the report as HTML
async def test_e_writes_the_report_beside_the_user_never_over_a_file(
        tmp_path, monkeypatch, sample_index):
    from html import escape

    out = tmp_path / "here"
    out.mkdir()
    app = make_app(tmp_path, sample_index, monkeypatch)
    monkeypatch.chdir(out)  # the reader's working directory
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_seed_diff(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        path = out / f"variorum-diff-{screen.a.id}-{screen.b.id}.html"
        said = str(screen.query_one("#diff-status").render())
        assert said == f"wrote {path} (HTML: both texts side by side and the spin report)"
        html = path.read_text(encoding="utf-8")
        for art in (screen.a, screen.b):
            assert f"<h2>{escape(art.title)}</h2>" in html
        # the text, escaped: a sentence with quotes and an apostrophe of the first text
        assert "<del>While</del> Russian President Vladimir Putin <del>glided</del>" in html
        assert "paled in comparison to the “<del>groundbreaking” new</del> partnership" in html
        assert "<h2>Spin report</h2>" in html and "<script" not in html
        # again: a new file, the first one kept
        await pilot.press("e")
        await settle(app, pilot)
        again = path.with_name(path.stem + "-1.html")
        assert again.read_text(encoding="utf-8") == html
        assert str(screen.query_one("#diff-status").render()) == (
            f"wrote {again} (HTML: both texts side by side and the spin report)")
        assert {p.name for p in out.iterdir()} == {path.name, again.name}


async def test_an_export_that_cannot_be_written_is_one_line_in_the_status(
        tmp_path, monkeypatch, sample_index):
    gone = tmp_path / "gone"
    gone.mkdir()
    app = make_app(tmp_path, sample_index, monkeypatch)
    monkeypatch.chdir(gone)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_seed_diff(app, pilot)
        gone.rmdir()  # the working directory removed under the reader
        await pilot.press("e")
        await settle(app, pilot)
        said = str(screen.query_one("#diff-status").render())
        assert said == ("cannot write the report in the current directory: "
                        "No such file or directory")
        assert app.is_running and screen.result is not None and screen.view.result is not None


# ---------------------------------------------------------------- snapshots
def _snapshot(snap_compare, tmp_path, monkeypatch, sample_index, size, keys, **env):
    monkeypatch.chdir(ROOT)
    app = make_app(tmp_path, sample_index, monkeypatch, **env)

    async def run_before(pilot) -> None:
        await open_seed_diff(app, pilot)
        await pilot.press(*keys)
        await settle(app, pilot)

    return snap_compare(app, terminal_size=size, run_before=run_before)


def test_snapshot_120x40_side_by_side(snap_compare, tmp_path, monkeypatch, sample_index):
    assert _snapshot(snap_compare, tmp_path, monkeypatch, sample_index, (120, 40),
                     ["right_square_bracket", "right_square_bracket"])


def test_snapshot_80x24_inline(snap_compare, tmp_path, monkeypatch, sample_index):
    assert _snapshot(snap_compare, tmp_path, monkeypatch, sample_index, (80, 24),
                     ["right_square_bracket", "right_square_bracket"])


def test_snapshot_40x12_text_first(snap_compare, tmp_path, monkeypatch, sample_index):
    assert _snapshot(snap_compare, tmp_path, monkeypatch, sample_index, (40, 12),
                     ["right_square_bracket", "right_square_bracket"])


def test_snapshot_80x24_no_color(snap_compare, tmp_path, monkeypatch, sample_index):
    assert _snapshot(snap_compare, tmp_path, monkeypatch, sample_index, (80, 24),
                     ["right_square_bracket", "right_square_bracket"], no_color=True)


def test_snapshot_120x40_light_theme(snap_compare, tmp_path, monkeypatch, sample_index):
    assert _snapshot(snap_compare, tmp_path, monkeypatch, sample_index, (120, 40),
                     ["right_square_bracket", "right_square_bracket"], theme="textual-light")
