"""Every command of the command list, through every one of its keys, in the
real app (Pilot) on the real sample corpus; and every palette entry through
the real palette (ctrl+p, its title, Enter).

Each context has a list of steps ``(command id, key, check)``: the key is
pressed and ``check(app, before)`` must hold, ``before`` being what
``state(app)`` was just before the key. A test fails if a command or one
of its keys has no step, so a new command cannot go untested.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from test_app import SPUN, settle, status

from tui.app import VariorumApp
from tui.commands import COMMANDS

ORIGINAL = "001_f563c122a25a09e3.txt"


@dataclass
class Step:
    command: str  # its id
    key: str  # one of its keys, as Pilot names it
    check: Callable  # (app, state before the key) -> bool
    setup: Callable | None = None  # async (app, pilot): the state the key needs


async def run_steps(app, pilot, steps: list[Step], state: Callable) -> None:
    for step in steps:
        if step.setup is not None:
            await step.setup(app, pilot)
            await settle(app, pilot)
        before = state(app)
        await pilot.press(step.key)
        await settle(app, pilot)
        assert step.check(app, before), (
            f"{step.command} ({step.key!r}): before {before!r}, after {state(app)!r}")


async def goto(app, pilot, path: str) -> None:
    """Put the list cursor on the article at ``path`` (focus on the list; a
    query that hides it is cleared)."""
    if not any(a.path == path for a in app.reader.list.items):
        app.query_one("#search").value = ""
        app.reader.clear_search()
        await settle(app, pilot)
    app.reader.list.focus()
    app.reader.list.cursor = next(i for i, a in enumerate(app.reader.list.items) if a.path == path)
    await settle(app, pilot)


async def search(app, pilot, text: str) -> None:
    box = app.query_one("#search")
    box.focus()
    box.value = text
    await pilot.press("enter")
    await settle(app, pilot)


def screen_name(app) -> str:
    return type(app.screen).__name__


# ------------------------------------------------------------------ the list
def _list_state(app):
    return app.reader.list.cursor


async def _top(app, pilot):
    app.reader.list.focus()
    app.reader.list.cursor = 0


async def _bottom(app, pilot):
    app.reader.list.focus()
    app.reader.list.cursor = len(app.reader.list.items) - 1


LIST_STEPS = [
    Step("list.down", "j", lambda app, b: app.reader.list.cursor == b + 1, _top),
    Step("list.down", "down", lambda app, b: app.reader.list.cursor == b + 1),
    Step("list.up", "k", lambda app, b: app.reader.list.cursor == b - 1),
    Step("list.up", "up", lambda app, b: app.reader.list.cursor == b - 1),
    Step("list.last", "G", lambda app, b: app.reader.list.cursor == 4),
    Step("list.first", "g", lambda app, b: app.reader.list.cursor == 0),
    Step("list.last", "end", lambda app, b: app.reader.list.cursor == 4),
    Step("list.first", "home", lambda app, b: app.reader.list.cursor == 0),
    Step("list.page-down", "pagedown", lambda app, b: app.reader.list.cursor == 4, _top),
    Step("list.page-down", "space", lambda app, b: app.reader.list.cursor == 4, _top),
    Step("list.page-up", "pageup", lambda app, b: app.reader.list.cursor == 0, _bottom),
    Step("list.page-up", "b", lambda app, b: app.reader.list.cursor == 0, _bottom),
    Step("list.open", "enter", lambda app, b: app.focused is app.reader.view),
    Step("list.sort", "S", lambda app, b: app.reader.list.sort == "date", _top),
    Step("list.filter", "F", lambda app, b: screen_name(app) == "FiltersScreen"),
]


async def test_list_keys(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 20)) as pilot:
        await settle(app, pilot)
        assert len(app.reader.list.items) == 5
        await run_steps(app, pilot, LIST_STEPS, _list_state)


# -------------------------------------------------------------- the article
async def _read_original(app, pilot):
    await goto(app, pilot, ORIGINAL)
    app.reader.view.focus()
    app.reader.view.scroll_to(y=10, animate=False)


def _scroll_steps(prefix: str, view_of: Callable, setup: Callable) -> list[Step]:
    """The six scroll commands of a text view; ``before`` is its scroll offset."""
    def y(app):
        return view_of(app).scroll_offset.y

    def bottom(app, b):
        return y(app) == view_of(app).max_scroll_y > 0

    return [
        Step(f"{prefix}.down", "j", lambda app, b: y(app) == b + 1, setup),
        Step(f"{prefix}.down", "down", lambda app, b: y(app) == b + 1),
        Step(f"{prefix}.up", "k", lambda app, b: y(app) == b - 1),
        Step(f"{prefix}.up", "up", lambda app, b: y(app) == b - 1),
        Step(f"{prefix}.page-down", "space", lambda app, b: y(app) > b + 5),
        Step(f"{prefix}.page-down", "pagedown", lambda app, b: y(app) > b + 5),
        Step(f"{prefix}.page-up", "b", lambda app, b: y(app) < b - 5),
        Step(f"{prefix}.page-up", "pageup", lambda app, b: y(app) < b - 5),
        Step(f"{prefix}.bottom", "G", bottom),
        Step(f"{prefix}.top", "g", lambda app, b: y(app) == 0),
        Step(f"{prefix}.bottom", "end", bottom),
        Step(f"{prefix}.top", "home", lambda app, b: y(app) == 0),
    ]


ARTICLE_STEPS = [
    *_scroll_steps("article", lambda app: app.reader.view, _read_original),
    Step("article.select", "V", lambda app, b: bool(app.screen.get_selected_text()),
         _read_original),
    Step("article.find", "slash", lambda app, b: app.focused.id == "find"
         and app.focused.placeholder.startswith("find in this article"), _read_original),
    Step("article.find-back", "question_mark", lambda app, b: app.focused.id == "find"
         and app.focused.placeholder.startswith("find backwards"), _read_original),
]


async def test_article_keys(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 20)) as pilot:
        await settle(app, pilot)
        await run_steps(app, pilot, ARTICLE_STEPS, lambda app: app.reader.view.scroll_offset.y)


# -------------------------------------------------------------- the sidebar
def _side_state(app):
    lst = app.reader.sidebar.options
    return lst.items.index(lst.current) if lst.current is not None else None


def _side_last(app):
    return len(app.reader.sidebar.options.items) - 1


async def _sidebar_first(app, pilot):
    await goto(app, pilot, ORIGINAL)
    lst = app.reader.sidebar.options
    lst.focus()
    lst.cursor = 0


async def _sidebar_last(app, pilot):
    lst = app.reader.sidebar.options
    lst.cursor = len(lst.items) - 1


async def _on_liu(app, pilot):
    lst = app.reader.sidebar.options
    lst.cursor = next(i for i, e in enumerate(lst.items) if getattr(e, "name", "") == "Liu Dongshu")


SIDEBAR_STEPS = [
    Step("sidebar.down", "j", lambda app, b: _side_state(app) == b + 1, _sidebar_first),
    Step("sidebar.down", "down", lambda app, b: _side_state(app) == b + 1),
    Step("sidebar.up", "k", lambda app, b: _side_state(app) == b - 1),
    Step("sidebar.up", "up", lambda app, b: _side_state(app) == b - 1),
    Step("sidebar.last", "G", lambda app, b: _side_state(app) == _side_last(app)),
    Step("sidebar.first", "g", lambda app, b: _side_state(app) == 0),
    Step("sidebar.last", "end", lambda app, b: _side_state(app) == _side_last(app)),
    Step("sidebar.first", "home", lambda app, b: _side_state(app) == 0),
    Step("sidebar.page-down", "pagedown", lambda app, b: _side_state(app) > b + 5),
    Step("sidebar.page-down", "space", lambda app, b: _side_state(app) > b + 5),
    Step("sidebar.page-up", "pageup", lambda app, b: _side_state(app) < b - 5, _sidebar_last),
    Step("sidebar.page-up", "b", lambda app, b: _side_state(app) < b - 5),
    Step("sidebar.choose", "enter",
         lambda app, b: "Liu Dongshu: mention 1 of" in status(app)
         and app.reader.view.selected_spans != [], _on_liu),
    Step("sidebar.search", "s",
         lambda app, b: app.reader.search_text == 'person:"Liu Dongshu"'
         and len(app.reader.list.items) == 2),
]


async def test_sidebar_keys(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(app, pilot)
        await run_steps(app, pilot, SIDEBAR_STEPS, _side_state)


# --------------------------------------------------------------- the reader
def _reader_state(app):
    sb = app.reader.sidebar
    return {"focus": app.focused.id if app.focused else None, "query": app.reader.search_text,
            "hit": app.reader.view.current_hit, "screen": screen_name(app),
            "sidebar": bool(sb.display), "width": sb.size.width,
            "tints": app.reader.view.show_tints, "marked": list(app.reader.list.marked)}


async def _with_hits(app, pilot):
    await search(app, pilot, '"Town College"')
    app.reader.list.focus()


async def _close_screen(app, pilot):
    while len(app.screen_stack) > 1:
        app.pop_screen()
        await settle(app, pilot)
    app.reader.list.focus()


async def _on_spun(app, pilot):
    await _close_screen(app, pilot)
    await goto(app, pilot, SPUN)


async def _on_original(app, pilot):
    await _close_screen(app, pilot)
    await goto(app, pilot, ORIGINAL)


async def _list_focused(app, pilot):
    await _close_screen(app, pilot)


async def _with_saved(app, pilot):
    await _list_focused(app, pilot)
    app.reader.saved = {"one": "korea"}


async def _narrowest(app, pilot):
    from tui.config import SIDEBAR_MIN

    app.config.sidebar_width = SIDEBAR_MIN
    app.reader.sidebar.styles.width = SIDEBAR_MIN


def _shown(name: str):
    return lambda app, b: screen_name(app) == name


READER_STEPS = [
    Step("reader.search", "slash", lambda app, b: app.focused.id == "search"),
    Step("reader.back", "escape", lambda app, b: app.focused is app.reader.list),
    Step("reader.next-hit", "n", lambda app, b: app.reader.view.current_hit == b["hit"] + 1,
         _with_hits),
    Step("reader.prev-hit", "N", lambda app, b: app.reader.view.current_hit == b["hit"] - 1),
    Step("reader.back", "escape",
         lambda app, b: app.reader.search_text is None and len(app.reader.list.items) == 5),
    Step("reader.mark", "m", lambda app, b: app.reader.list.marked == [app.reader.list.current.id]),
    Step("reader.sidebar", "e", lambda app, b: app.reader.sidebar.display != b["sidebar"]),
    Step("reader.sidebar", "e", lambda app, b: app.reader.sidebar.display != b["sidebar"]),
    Step("reader.sidebar-wider", "greater_than_sign",
         lambda app, b: app.reader.sidebar.size.width == b["width"] + 4),
    Step("reader.sidebar-narrower", "less_than_sign",
         lambda app, b: app.reader.sidebar.size.width == b["width"] - 4),
    Step("reader.sidebar-narrower", "less_than_sign",
         lambda app, b: not app.reader.sidebar.display and "hidden" in status(app), _narrowest),
    Step("reader.sidebar-wider", "greater_than_sign", lambda app, b: app.reader.sidebar.display),
    Step("reader.tints", "t", lambda app, b: app.reader.view.show_tints != b["tints"]),
    Step("reader.copy", "y", lambda app, b: app.copied[-1].endswith(app.reader.view.article.path)),
    Step("reader.copy", "ctrl+c",
         lambda app, b: app.copied[-1].endswith(app.reader.view.article.path)),
    Step("reader.open-external", "o", lambda app, b: "cannot open true" in status(app)),
    Step("reader.next-pane", "tab", lambda app, b: app.focused is app.reader.view, _list_focused),
    Step("reader.next-pane", "tab", lambda app, b: app.focused is app.reader.sidebar.options),
    Step("reader.next-pane", "tab", lambda app, b: app.focused is app.reader.list),
    Step("reader.prev-pane", "shift+tab", lambda app, b: app.focused is app.reader.sidebar.options),
    Step("reader.prev-pane", "shift+tab", lambda app, b: app.focused is app.reader.view),
    Step("reader.help", "question_mark", _shown("HelpScreen"), _list_focused),
    Step("reader.help", "f1", _shown("HelpScreen"), _list_focused),
    Step("reader.versions", "v", _shown("VersionsScreen"), _on_original),
    Step("reader.diff", "d", _shown("DiffScreen"), _on_spun),
    Step("reader.outlets", "O", _shown("OutletsScreen"), _list_focused),
    Step("reader.quit", "q", lambda app, b: app.return_code == 0, _list_focused),
]


async def test_reader_keys(corpus, monkeypatch):
    monkeypatch.setenv("PAGER", "true")  # headless: there is no terminal to hand over
    app = VariorumApp(corpus)
    app.copied = []
    app.copy_to_clipboard = app.copied.append
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(app, pilot)
        app.reader.list.focus()
        await run_steps(app, pilot, READER_STEPS, _reader_state)


# ------------------------------------------------- the diff and the versions
def _diff_state(app):
    s = app.screen
    if screen_name(app) != "DiffScreen":
        return {"screen": screen_name(app)}
    return {"screen": "DiffScreen", "a": s.a.path, "group": s.view.current_group,
            "inline": s.view.inline,
            "report": s.query_one("#spin").has_class("hidden"),
            "focus": app.focused.id if app.focused else None,
            "y": s.view.scroll_offset.y}


async def _back_to_diff(app, pilot):
    while screen_name(app) != "DiffScreen":
        app.pop_screen()
        await settle(app, pilot)


async def _diff_open(app, pilot):
    if any(type(s).__name__ == "DiffScreen" for s in app.screen_stack):
        await _back_to_diff(app, pilot)
    else:
        await _close_screen(app, pilot)
        await goto(app, pilot, SPUN)
        await pilot.press("d")
        await settle(app, pilot)
    app.screen.view.focus()


async def _diff_scrolled(app, pilot):
    await _diff_open(app, pilot)
    app.screen.view.scroll_to(y=10, animate=False)


async def _diff_second_change(app, pilot):
    await _diff_open(app, pilot)
    await pilot.press("right_square_bracket", "right_square_bracket")


async def _diff_dragged(app, pilot):
    """A mouse drag over "As Russian President" in the diff's right column."""
    await _diff_open(app, pilot)
    view = app.screen.view
    rows = [view.render_line(y).text for y in range(view.size.height)]
    y = next(y for y, t in enumerate(rows) if "{+As+} Russian President" in t)
    x = rows[y].index("{+As+}")
    await pilot.mouse_down(view, offset=(x, y))
    await pilot.hover(view, offset=(x + len("{+As+} Russian Presiden"), y))
    await pilot.mouse_up(view, offset=(x + len("{+As+} Russian Presiden"), y))


DIFF_TEXT_STEPS = _scroll_steps("diff-text", lambda app: app.screen.view, _diff_scrolled)


def _exported(app, before) -> bool:
    """e wrote the report in the current directory (a test's tmp dir), and said so."""
    said = str(app.screen.query_one("#diff-status").render())
    name = f"variorum-diff-{app.screen.a.id}-{app.screen.b.id}"
    return said.startswith(f"wrote {Path.cwd() / name}") and any(Path.cwd().glob(name + "*"))

DIFF_STEPS = [
    Step("diff.next-change", "right_square_bracket",
         lambda app, b: app.screen.view.current_group != b["group"], _diff_open),
    Step("diff.next-change", "right_square_bracket",
         lambda app, b: app.screen.view.current_group > b["group"]),
    Step("diff.prev-change", "left_square_bracket",
         lambda app, b: app.screen.view.current_group < b["group"]),
    Step("diff.inline", "i", lambda app, b: app.screen.view.inline != b["inline"]),
    Step("diff.swap", "s", lambda app, b: app.screen.a.path != b["a"]
         and app.screen.result is not None and app.screen.result.a == app.screen.a.id),
    Step("diff.export", "e", _exported),
    Step("diff.report", "r", lambda app, b: app.screen.query_one("#spin").has_class("hidden")),
    Step("diff.report", "r",
         lambda app, b: not app.screen.query_one("#spin").has_class("hidden")),
    Step("diff.next-pane", "tab", lambda app, b: app.focused.id == "spin"),
    Step("diff.next-pane", "tab", lambda app, b: app.focused.id == "diff-view"),
    Step("diff.copy", "ctrl+c", lambda app, b: app.copied[-1:] == ["As Russian President"],
         _diff_dragged),
    Step("diff.help", "question_mark", _shown("HelpScreen")),
    Step("diff.help", "f1", _shown("HelpScreen"), _diff_open),
    Step("diff.close", "escape", _shown("ReaderScreen"), _diff_open),
    Step("diff.close", "q", _shown("ReaderScreen"), _diff_open),
]


def _report_state(app):
    return app.screen.query_one("#spin").highlighted


def _report_enabled(app) -> list[int]:
    panel = app.screen.query_one("#spin")
    return [i for i in range(panel.option_count) if not panel.get_option_at_index(i).disabled]


async def _report_first(app, pilot):
    await _diff_open(app, pilot)
    panel = app.screen.query_one("#spin")
    panel.focus()
    panel.highlighted = _report_enabled(app)[0]


async def _report_last(app, pilot):
    app.screen.query_one("#spin").highlighted = _report_enabled(app)[-1]


def _report_moved(by: int):
    def check(app, b):
        on = _report_enabled(app)
        return _report_state(app) == on[on.index(b) + by]
    return check


DIFF_REPORT_STEPS = [
    Step("diff-report.down", "j", _report_moved(1), _report_first),
    Step("diff-report.down", "down", _report_moved(1)),
    Step("diff-report.up", "k", _report_moved(-1)),
    Step("diff-report.up", "up", _report_moved(-1)),
    Step("diff-report.last", "G", lambda app, b: _report_state(app) == _report_enabled(app)[-1]),
    Step("diff-report.first", "g", lambda app, b: _report_state(app) == _report_enabled(app)[0]),
    Step("diff-report.last", "end",
         lambda app, b: _report_state(app) == _report_enabled(app)[-1]),
    Step("diff-report.first", "home",
         lambda app, b: _report_state(app) == _report_enabled(app)[0]),
    Step("diff-report.page-down", "pagedown", lambda app, b: _report_state(app) > b + 5),
    Step("diff-report.page-down", "space", lambda app, b: _report_state(app) > b + 5),
    Step("diff-report.page-up", "pageup", lambda app, b: _report_state(app) < b - 5,
         _report_last),
    Step("diff-report.page-up", "b", lambda app, b: _report_state(app) < b - 5),
    Step("diff-report.choose", "enter",
         lambda app, b: "occurrence 1 of" in str(app.screen.query_one("#diff-status").render()),
         _report_first),
]


async def _versions_open(app, pilot):
    await _close_screen(app, pilot)
    await goto(app, pilot, ORIGINAL)
    await pilot.press("v")
    await settle(app, pilot)
    assert screen_name(app) == "VersionsScreen"


VERSIONS_STEPS = [
    Step("versions.close", "escape", _shown("ReaderScreen"), _versions_open),
    Step("versions.close", "v", _shown("ReaderScreen"), _versions_open),
    Step("versions.diff", "d",
         lambda app, b: screen_name(app) == "DiffScreen" and {app.screen.a.path,
                                                             app.screen.b.path} == {ORIGINAL,
                                                                                   SPUN},
         _versions_open),
]


def option_list_steps(context: str, list_id: str, opened, rows: int) -> list[Step]:
    """The six cursor commands of an option list of ``rows`` rows (a
    CursorList), each key from the first row or the last one: the list is
    ``#list_id`` on the screen ``opened`` (async (app, pilot)) shows."""
    def row(app):
        return app.screen.query_one(f"#{list_id}").highlighted

    def at(k: int):
        async def setup(app, pilot):
            await opened(app, pilot)
            app.screen.query_one(f"#{list_id}").highlighted = k % rows
        return setup

    last = rows - 1
    wanted = [("down", "j", 0, 1), ("down", "down", 0, 1), ("up", "k", -1, last - 1),
              ("up", "up", -1, last - 1), ("last", "G", 0, last), ("last", "end", 0, last),
              ("first", "g", -1, 0), ("first", "home", -1, 0), ("page-down", "space", 0, last),
              ("page-down", "pagedown", 0, last), ("page-up", "b", -1, 0),
              ("page-up", "pageup", -1, 0)]
    return [Step(f"{context}.{cid}", key, (lambda want: lambda app, b: row(app) == want)(to),
                 at(start)) for cid, key, start, to in wanted]


# the sample's family has two versions
VERSIONS_LIST_STEPS = option_list_steps("versions-list", "versions", _versions_open, 2)


async def test_diff_and_versions_keys(corpus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where e writes the report
    app = VariorumApp(corpus)
    app.copied = []
    app.copy_to_clipboard = app.copied.append
    async with app.run_test(size=(150, 30)) as pilot:
        await settle(app, pilot)
        await run_steps(app, pilot, DIFF_STEPS, _diff_state)
        await run_steps(app, pilot, DIFF_TEXT_STEPS, lambda app: app.screen.view.scroll_offset.y)
        await run_steps(app, pilot, DIFF_REPORT_STEPS, _report_state)
        await run_steps(app, pilot, VERSIONS_STEPS, _diff_state)
        await run_steps(app, pilot, VERSIONS_LIST_STEPS, _diff_state)


# ----------------------------------------------- the filter menu, bookmarks
async def _filters_open(app, pilot):
    await _close_screen(app, pilot)
    if app.reader.list.only_bookmarks:
        app.reader.list.toggle_only_bookmarks()
    await goto(app, pilot, ORIGINAL)
    if app.reader.search_box.value:
        app.reader.search_for("")
        await settle(app, pilot)
    await pilot.press("F")
    await settle(app, pilot)
    assert screen_name(app) == "FiltersScreen"


def _filter_state(app):
    return {"box": app.reader.search_box.value, "only": app.reader.list.only_bookmarks}


async def _filters_open_filtered(app, pilot):
    """The menu, over the list with has:versions and only the bookmarked."""
    await _filters_open(app, pilot)
    for key in ("v", "F", "b", "F"):
        await pilot.press(key)
        await settle(app, pilot)
    assert app.reader.search_box.value == "has:versions" and app.reader.list.only_bookmarks


def _query_is(text: str):
    return lambda app, b: screen_name(app) == "ReaderScreen" and \
        app.reader.search_box.value == text


FILTER_STEPS = [
    Step("reader.bookmark", "B",
         lambda app, b: app.reader.list.bookmarks == {app.reader.list.current.id},
         _list_focused),
    Step("filter.versions", "v", _query_is("has:versions"), _filters_open),
    Step("filter.copy", "c", _query_is("kind:copy"), _filters_open),
    Step("filter.near-copy", "n", _query_is("kind:near-copy"), _filters_open),
    Step("filter.rewrite", "r", _query_is("kind:rewrite"), _filters_open),
    # the sample's articles have no source, no folder, no date: said so
    Step("filter.source", "s", lambda app, b: "no source or folder" in status(app),
         _filters_open),
    Step("filter.month", "m", lambda app, b: "has no date" in status(app), _filters_open),
    Step("filter.dates", "d", lambda app, b: app.focused.id == "search"
         and app.reader.search_box.value == "date:[ to ]", _filters_open),
    Step("filter.bookmarks", "b", lambda app, b: app.reader.list.only_bookmarks
         and len(app.reader.list.items) == 1, _filters_open),
    Step("filter.clear", "x", lambda app, b: not app.reader.list.only_bookmarks
         and app.reader.search_box.value == "" and len(app.reader.list.items) == 5,
         _filters_open_filtered),
    Step("filter.close", "escape", _shown("ReaderScreen"), _filters_open),
    Step("filter.close", "F", _shown("ReaderScreen"), _filters_open),
]


async def test_filter_menu_and_bookmark_keys(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await run_steps(app, pilot, FILTER_STEPS, _filter_state)


# ------------------------------------------------------------- the outlets
async def _outlets_open(app, pilot):
    """The outlets table of the dated corpus (two pairs of sources), its first row."""
    await _close_screen(app, pilot)
    await pilot.press("O")
    await settle(app, pilot)
    assert screen_name(app) == "OutletsScreen" and app.screen.options.option_count == 2
    app.screen.options.highlighted = 0


async def _outlets_versions(app, pilot):
    """The versions of the first pair (Wire → Mirror: two)."""
    await _outlets_open(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    assert app.screen.pair is not None


def _outlets_table_shown(app, b):
    return screen_name(app) == "OutletsScreen" and app.screen.pair is None


OUTLETS_STEPS = [
    Step("outlets-list.open", "enter", lambda app, b: app.screen.pair is not None
         and app.screen.options.option_count == 2, _outlets_open),
    Step("outlets-list.open", "enter", lambda app, b: screen_name(app) == "DiffScreen"
         and (app.screen.a.path, app.screen.b.path) == ("wire/d.md", "mirror/e.md")),
    Step("outlets.back", "escape", _outlets_table_shown, _outlets_versions),
    Step("outlets.back", "q", _outlets_table_shown, _outlets_versions),
    Step("outlets.back", "escape", _shown("ReaderScreen"), _outlets_open),
    Step("outlets.back", "q", _shown("ReaderScreen"), _outlets_open),
    *option_list_steps("outlets-list", "outlets", _outlets_open, 2),
]


async def test_outlets_keys(dated_corpus, tmp_path):
    from index import Corpus

    app = VariorumApp(Corpus(dated_corpus, index_dir=tmp_path / "ix", ner="rules"),
                      watch_interval=None)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await run_steps(app, pilot, OUTLETS_STEPS, screen_name)


# ------------------------------------------------------------- the palette
async def _with_second_hit(app, pilot):
    await _with_hits(app, pilot)
    await pilot.press("n")


async def _unmarked(app, pilot):
    await _list_focused(app, pilot)
    app.reader.list.clear_marks()


# palette entry -> (setup, check): the checks of the key steps
PALETTE = {
    "reader.search": (_list_focused, READER_STEPS[0].check),
    "reader.next-hit": (_with_hits, lambda app, b: app.reader.view.current_hit == b["hit"] + 1),
    "reader.prev-hit": (_with_second_hit,
                        lambda app, b: app.reader.view.current_hit == b["hit"] - 1),
    "reader.versions": (_on_original, _shown("VersionsScreen")),
    "reader.diff": (_on_spun, _shown("DiffScreen")),
    "reader.mark": (_unmarked,
                    lambda app, b: app.reader.list.marked == [app.reader.list.current.id]),
    "reader.sidebar": (_list_focused, lambda app, b: app.reader.sidebar.display != b["sidebar"]),
    "reader.tints": (_list_focused, lambda app, b: app.reader.view.show_tints != b["tints"]),
    "reader.bookmark": (_list_focused,
                        lambda app, b: app.reader.list.current.id in app.reader.list.bookmarks),
    "reader.open-external": (_list_focused, lambda app, b: "cannot open true" in status(app)),
    "reader.copy": (_list_focused, lambda app, b: app.copied),
    "reader.help": (_list_focused, _shown("HelpScreen")),
    "reader.saved": (_with_saved, _shown("SavedSearchesScreen")),
    "reader.save-search": (_with_hits, _shown("SaveSearchScreen")),
    "reader.outlets": (_list_focused, _shown("OutletsScreen")),
    "diff.next-change": (_diff_open, lambda app, b: app.screen.view.current_group > b["group"]),
    "diff.prev-change": (_diff_second_change,
                         lambda app, b: app.screen.view.current_group < b["group"]),
    "diff.inline": (_diff_open, lambda app, b: app.screen.view.inline != b["inline"]),
    "diff.swap": (_diff_open, lambda app, b: app.screen.a.path != b["a"]),
    "diff.report": (_diff_open, lambda app, b: app.screen.query_one("#spin").has_class(
        "hidden") != b["report"]),
    "diff.export": (_diff_open, _exported),
    "diff.help": (_diff_open, _shown("HelpScreen")),
    "diff.close": (_diff_open, _shown("ReaderScreen")),
    "reader.quit": (_list_focused, lambda app, b: app.return_code == 0),  # last: it ends the app
}


async def test_every_palette_entry_through_the_palette(corpus, monkeypatch, tmp_path):
    """ctrl+p, the command's title, Enter: each entry does what its key does.

    The title is pasted (the event a terminal's bracketed paste gives), not
    typed key by key: the palette searches on the same Input.Changed either
    way, and typing every title was half of this test's time."""
    from textual import events

    monkeypatch.setenv("PAGER", "true")
    monkeypatch.chdir(tmp_path)  # where e writes the report
    in_palette = {c.id for c in COMMANDS if c.palette}
    assert in_palette == set(PALETTE), "palette entries without a test, or tests of none"
    by_id = {c.id: c for c in COMMANDS}
    app = VariorumApp(corpus)
    app.copied = []
    app.copy_to_clipboard = app.copied.append
    async with app.run_test(size=(150, 30)) as pilot:
        await settle(app, pilot)
        for cid, (setup, check) in PALETTE.items():
            c = by_id[cid]
            await setup(app, pilot)
            await settle(app, pilot)
            state = _diff_state if c.context == "diff" else _reader_state
            before = state(app)
            await pilot.press("ctrl+p")
            await settle(app, pilot)
            app.post_message(events.Paste(c.title))
            await settle(app, pilot)
            await pilot.press("enter")
            await settle(app, pilot)
            assert check(app, before), f"palette {c.title!r} ({cid}): {state(app)!r}"


# ------------------------------------------- the search box, saved searches
async def _typed_then_history(app, pilot):
    await _close_screen(app, pilot)
    app.reader.history = ["older", "newest"][::-1]  # newest first
    app.reader._history_pos = -1
    box = app.query_one("#search")
    box.focus()
    box.value = "draft"


async def _saved_open(app, pilot):
    await _close_screen(app, pilot)
    app.reader.saved = {"one": "korea", "two": '"Town College"', "three": "Soler"}
    await pilot.press("apostrophe")
    await settle(app, pilot)
    assert screen_name(app) == "SavedSearchesScreen"


async def _saved_first(app, pilot):
    await _saved_open(app, pilot)
    app.screen.query_one("#saved").highlighted = 0


SEARCH_STEPS = [
    Step("search.older", "up", lambda app, b: app.query_one("#search").value == "newest",
         _typed_then_history),
    Step("search.older", "up", lambda app, b: app.query_one("#search").value == "older"),
    Step("search.newer", "down", lambda app, b: app.query_one("#search").value == "newest"),
    Step("search.newer", "down", lambda app, b: app.query_one("#search").value == "draft"),
    Step("reader.save-search", "ctrl+s", _shown("SaveSearchScreen")),
    Step("save.cancel", "escape", lambda app, b: screen_name(app) == "ReaderScreen"
         and not app.reader.saved),
    Step("reader.saved", "apostrophe", _shown("SavedSearchesScreen"), _with_saved),
    Step("saved.close", "apostrophe", _shown("ReaderScreen")),
    Step("saved.close", "escape", _shown("ReaderScreen"), _saved_open),
    Step("saved.delete", "x", lambda app, b: list(app.reader.saved) == ["two", "three"],
         _saved_first),
    Step("saved.delete", "delete", lambda app, b: list(app.reader.saved) == ["three"]),
    *option_list_steps("saved-list", "saved", _saved_open, 3),
]


async def test_search_box_and_saved_search_keys(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await run_steps(app, pilot, SEARCH_STEPS, _reader_state)


# ------------------------------------------------------------------ the help
async def _help_open(app, pilot):
    await _close_screen(app, pilot)
    await pilot.press("question_mark")
    await settle(app, pilot)
    assert screen_name(app) == "HelpScreen"


async def _help_scrolled(app, pilot):
    if screen_name(app) != "HelpScreen":
        await _help_open(app, pilot)
    text = app.screen.query_one("HelpText")
    text.focus()
    text.scroll_to(y=10, animate=False)


HELP_TEXT_STEPS = _scroll_steps("help-text", lambda app: app.screen.query_one("HelpText"),
                                _help_scrolled)

HELP_STEPS = [
    Step("help.filter", "slash", lambda app, b: app.focused.id == "help-filter", _help_open),
    # typed into the filter, not taken as keys: q, ? and / are letters there
    Step("help.close", "q", lambda app, b: screen_name(app) == "HelpScreen"
         and app.focused.value == "q"),
    Step("help.close", "escape", lambda app, b: screen_name(app) == "HelpScreen"
         and app.focused.id != "help-filter" and len(app.screen.rows) > 50),
    Step("help.close", "escape", _shown("ReaderScreen")),
    Step("help.close", "q", _shown("ReaderScreen"), _help_open),
    Step("help.close", "question_mark", _shown("ReaderScreen"), _help_open),
    Step("help.close", "f1", _shown("ReaderScreen"), _help_open),
]


async def test_help_keys(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await run_steps(app, pilot, HELP_STEPS, _reader_state)
        await run_steps(app, pilot, HELP_TEXT_STEPS,
                        lambda app: app.screen.query_one("HelpText").scroll_offset.y)


# ---------------------------------------------------------------- coverage
def test_every_command_and_key_has_a_step():
    steps = (LIST_STEPS + ARTICLE_STEPS + SIDEBAR_STEPS + READER_STEPS + DIFF_STEPS
             + DIFF_TEXT_STEPS + DIFF_REPORT_STEPS + VERSIONS_STEPS + VERSIONS_LIST_STEPS
             + HELP_STEPS + HELP_TEXT_STEPS + SEARCH_STEPS + FILTER_STEPS + OUTLETS_STEPS)
    pressed = {(s.command, s.key) for s in steps}
    wanted = {(c.id, k.strip()) for c in COMMANDS for k in c.keys.split(",")}
    assert wanted - pressed == set(), "commands or keys without a step"
    assert pressed - wanted == set(), "steps for keys the command list does not have"
