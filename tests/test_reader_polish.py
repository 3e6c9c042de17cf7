"""The reader's keys and lines as people meet them (issue 13): Esc, Tab,
marks, the status line at 80 columns, the help, the palette, the keymap."""

from __future__ import annotations

from test_app import search, settle, snapshot_app, status

from tui.app import VariorumApp
from tui.commands import conflicts
from tui.config import load_config


async def test_escape_clears_a_query_that_could_not_be_searched(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await search(app, pilot, '"town college')  # unbalanced: an error, no results
        box = app.query_one("#search")
        assert app.query_one("#status").has_class("error")
        assert app.focused is app.reader.list  # Enter went to the list
        await pilot.press("escape")
        await settle(app, pilot)
        assert box.value == "" and not app.query_one("#status").has_class("error")
        assert "unbalanced" not in status(app) and len(app.reader.list.items) == 5


async def test_tab_cycles_the_panes_and_never_the_search_box(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(app, pilot)
        seen = []
        for _ in range(6):
            await pilot.press("tab")
            seen.append(app.focused.id)
        assert seen == ["article", "sidebar-list", "list"] * 2
        await pilot.press("slash")  # from the search box, Tab goes to the list
        await pilot.press("tab", "x")  # and a letter typed after it is not a query
        assert app.focused is app.reader.list and app.query_one("#search").value == ""
        app.reader.action_toggle_sidebar()  # hidden: two panes
        await pilot.pause()
        await pilot.press("tab", "tab")
        assert app.focused is app.reader.list


async def test_marks_say_what_they_are_after_a_diff_and_a_third_mark(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "j", "m")
        assert "①② marked" in status(app)
        await pilot.press("d")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "DiffScreen"
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.reader.list.marked == [] and "marked" not in status(app)
        # three marks: the third says which one gave way
        await pilot.press("g", "m", "j", "m", "j", "m")
        assert app.reader.list.marked == [app.reader.list.items[k].id for k in (1, 2)]
        assert "article 1 is no longer marked" in status(app)


async def test_a_long_error_is_read_whole_at_80_columns_beside_the_progress_bar(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        line = app.reader.status
        line.progress = (5, 10)
        message = ("unknown field 'foo:' (fields: title, body, source, author, url, date, "
                   "person, org, place, event) and more words at the end")
        line.fail(message)
        await pilot.pause()
        widget = app.query_one("#status")
        drawn = " ".join(widget.render_line(y).text.strip() for y in range(widget.size.height))
        assert " ".join(drawn.split()).startswith(message)  # all of it, first
        bar = app.query_one("#progress")
        assert bar.display and widget.size.width >= 50  # the bar takes little of the line


async def test_help_reads_at_80_columns_and_filters_as_you_type(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark", "slash", *"sidebar")
        await pilot.pause()
        rows = app.screen.rows
        assert rows and all("sidebar" in f"{keys} {words} {cid}".lower()
                            for _ctx, keys, words, cid in rows)
        assert {r[3] for r in rows} >= {"reader.sidebar", "reader.sidebar-wider"}
        assert "list.down" not in {r[3] for r in rows}
        # each row: keys, the description, then the id (the description is never cut)
        table = app.screen.query_one("#help-table")
        drawn = " ".join(" ".join(table.render_line(y).text.split())
                         for y in range(table.size.height))
        assert "make the sidebar wider (shows it when hidden) reader.sidebar-wider" in drawn


async def test_the_palette_has_variorums_commands_with_their_keys(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        commands = list(app.get_system_commands(app.screen))
        titles = [c.title for c in commands]
        assert titles.count("Quit") == 1
        assert not {"Maximize", "Screenshot", "Keys"} & set(titles)
        search = next(c for c in commands if c.title == "Search")
        assert search.help.startswith("/  ·  search the corpus")


def test_a_keymap_that_gives_one_key_to_two_commands_is_reported(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\n"reader.quit" = "n"\n"diff.inline" = "u"\n', encoding="utf-8")
    cfg = load_config(path)
    assert [p for p in cfg.problems if "one key for two commands" in p] == [
        f"config {path}: keymap: one key for two commands (n: reader.next-hit and "
        "reader.quit); rebind one of them"]
    # the default keys' overlaps (a pane's key shadowing its screen's) are by design
    assert conflicts({}) == []


async def test_slash_in_the_article_finds_in_it_and_n_follows_as_in_less(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await search(app, pilot, "korea")
        view = app.reader.view
        query_hits = list(view.spans)
        assert query_hits
        await pilot.press("enter")  # read it: the article has the focus
        assert app.focused is view
        await pilot.press("slash", *"the", "enter")
        text = view.text
        found = [text[a:b] for a, b in view.spans]
        assert len(found) > 3 and {f.lower() for f in found} == {"the"}
        assert app.focused is view and "find: the" in status(app)
        assert app.reader.search_text == "korea"  # the corpus query is untouched
        first = view.current_hit
        await pilot.press("n")
        assert view.current_hit == first + 1 and f"match {first + 2} of" in status(app)
        # ? finds backwards, and n then goes backwards too
        await pilot.press("question_mark", *"the", "enter")
        k = view.current_hit
        await pilot.press("n")
        assert view.current_hit == (k - 1) % len(view.spans)
        await pilot.press("escape")  # the query's hits again
        assert view.spans == query_hits and "find:" not in status(app)
        # smart case: a capital asks for that case
        await pilot.press("slash", *"The", "enter")
        assert {text[a:b] for a, b in view.spans} == {"The"}


def test_the_pager_opens_at_the_hits_when_it_is_less(tmp_path):
    from tui.screens.reader import find_spans, pager_argv

    path = tmp_path / "a.txt"
    assert pager_argv(["less", "-R"], path, ["Town College", "a.b (c)", "Town  College"]) == [
        "less", "-R", r"+/Town College|a\.b \(c\)", str(path)]
    assert pager_argv(["/usr/bin/less"], path, []) == ["/usr/bin/less", str(path)]
    assert pager_argv(["more"], path, ["x"]) == ["more", str(path)]
    # less reads a leading ! or @ as a search modifier: escaped
    assert pager_argv(["less"], path, ["!Bang", "x"])[1] == r"+/\!Bang|x"
    text = "Town\nCollege and town   college; TOWN COLLEGE"
    assert [text[a:b] for a, b in find_spans(text, "town college")] == [
        "Town\nCollege", "town   college", "TOWN COLLEGE"]
    assert find_spans(text, "Town College") == [(0, 12)]


async def test_the_find_line_goes_away_when_left(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        assert not app.query("#find")  # (issue 15: mounted when first asked for)
        await pilot.press("tab", "slash")
        box = app.query_one("#find")
        assert box.display and app.focused is box
        await pilot.press("tab")
        assert not box.display and app.focused is app.reader.list
        await pilot.press("tab", "slash")  # the same line, shown again
        assert app.query_one("#find") is box and box.display and app.focused is box
        await pilot.press("escape")
        assert not box.display and app.focused is app.reader.view


async def test_queries_are_kept_and_saved_searches_recalled_across_sessions(
        tmp_path, monkeypatch, sample_index):
    from test_app import sample_copy

    from index import Corpus

    monkeypatch.setenv("VARIORUM_DATA_DIR", str(tmp_path / "data"))
    corpus = sample_copy(sample_index, tmp_path)
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await search(app, pilot, "korea")
        await search(app, pilot, "Soler")
        await pilot.press("slash", "ctrl+s")  # name the query
        await settle(app, pilot)
        assert type(app.screen).__name__ == "SaveSearchScreen"
        await pilot.press(*"soler", "enter")
        await settle(app, pilot)
        assert app.reader.saved == {"soler": "Soler"}  # the name typed over the query
    # a new session on the same corpus (the state was written when saved)
    again = VariorumApp(Corpus(corpus.root, index_dir=corpus.index_dir, ner="rules"))
    async with again.run_test(size=(120, 30)) as pilot:
        await settle(again, pilot)
        assert again.reader.history == ["Soler", "korea"]
        await pilot.press("escape", "slash", "up", "up")
        assert again.query_one("#search").value == "korea"
        await pilot.press("escape", "escape", "apostrophe", "enter")
        await settle(again, pilot)
        assert again.reader.search_text == "Soler" and len(again.reader.list.items) == 1
        titles = [c.title for c in again.get_system_commands(again.screen)]
        assert "Saved search: soler" in titles


async def test_each_word_of_a_query_has_its_colour_and_the_status_line_a_legend(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(app, pilot)
        await search(app, pilot, 'korea "Town College"')
        view = app.reader.view
        text = view.text
        by_term = {}
        for (s, e), k in zip(view.spans, view.span_terms, strict=True):
            by_term.setdefault(k, set()).add(text[s:e])
        assert by_term == {0: {"Korea", "Koreas"}, 1: {"Town College"}}
        first, second = view.hit_style(0), view.hit_style(1)
        assert first.bgcolor != second.bgcolor and first.underline and second.underline
        # four hit colours, none the selected entity's
        selected = view.get_component_rich_style("article-view--selected")
        assert len({view.hit_style(k).bgcolor for k in range(4)} | {selected.bgcolor}) == 5
        # drawn so: a line with a "Town College" hit that is not the current one
        k = next(i for i, t in enumerate(view.span_terms) if t == 1 and i != view.current_hit)
        view.scroll_to(y=view.line_of_offset(view.spans[k][0]), animate=False)
        await pilot.pause()
        strip = view.render_line(0)
        assert [seg.style.bgcolor for seg in strip if seg.text == "Town College"] == [
            second.bgcolor]
        # the legend: each word as the article spells it, in its colour
        status = app.query_one("#status")
        assert [w for w, _st in app.reader.status.legend] == ["Korea", "Town College"]
        assert str(status.render()).endswith("·  Korea Town College")


def test_help_snapshot_80x24_filtered(snap_compare, tmp_path, monkeypatch, sample_index):
    app = snapshot_app(tmp_path, monkeypatch, sample_index)

    async def run_before(pilot) -> None:
        await settle(app, pilot)
        await pilot.press("question_mark", "slash", *"diff")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_saved_searches_and_keys_in_the_palette_are_text_never_markup(corpus):
    from tui.config import Config

    app = VariorumApp(corpus, config=Config(keymap={"reader.versions": "[/]"}))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        app.reader.saved = {"[b]x": "a [/] b [@click=app.quit]"}
        await pilot.press("ctrl+p")  # the palette lists them: nothing is parsed, nothing runs
        await settle(app, pilot)
        from textual import events

        app.post_message(events.Paste("Saved search: [b]x"))
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.is_running and app.query_one("#search").value == "a [/] b [@click=app.quit]"


async def test_a_hit_in_a_title_paragraph_shown_as_the_header_is_not_counted(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await search(app, pilot, "Alliance")
        app.reader.list.cursor = next(i for i, a in enumerate(app.reader.list.items)
                                      if a.path.startswith("003"))
        await settle(app, pilot)
        view = app.reader.view
        assert view._body_start > 0  # 003's first paragraph is its title
        body_hits = [s for s, _e in app.reader.corpus.spans(view.article, "Alliance")
                     if s >= view._body_start]
        assert [s for s, _e in view.spans] == body_hits and body_hits
        assert app.reader.status.hit == (0, len(body_hits))
        assert view.text[view.spans[0][0]:view.spans[0][1]].lower() == "alliance"


async def test_the_filter_menu_ticks_every_filter_in_force(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.reader.search_box.value = 'korea source:"Some Outlet" date:2024-06 has:versions'
        await pilot.press("F")
        await settle(app, pilot)
        menu = str(app.screen.query_one("#filters").render())
        ticked = {line.split()[2] for line in menu.splitlines() if line.startswith("✓")}
        assert ticked == {"Has", "This"}  # has:versions, this source, this month
        assert sum(line.startswith("✓") for line in menu.splitlines()) == 3


async def test_the_updates_progress_never_replaces_what_was_said(corpus):
    from tui import messages as m

    app = VariorumApp(corpus)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(app, pilot)
        await search(app, pilot, "foo:bar")  # an error
        said = status(app)
        assert said.startswith("unknown field 'foo:'")
        # the background update moves on: its step is said beside the error
        app.reader.post_message(m.IndexProgress(480, 2226, "entities"))
        await pilot.pause()
        assert status(app).startswith(said) and "entities: 480 of 2226 articles" in status(app)
        assert app.query_one("#status").has_class("error")
        await pilot.press("v")  # no versions: said, and it stays through the next step
        await settle(app, pilot)
        app.reader.post_message(m.IndexProgress(481, 2226, "entities"))
        await pilot.pause()
        assert "this article has no other versions" in status(app)
        assert "entities: 481 of 2226 articles" in status(app)


def test_the_inline_diff_puts_no_space_after_an_opening_quote(corpus):
    from tui import diffrender as dr

    ids = {a.path[:3]: a.id for a in corpus.article_list()}
    r = corpus.diff(ids["001"], ids["004"], entities=False)
    lines = [dr.inline(g).plain for g in r.groups]
    assert any("a “[-turning point-]{+watershed moment+}”" in t for t in lines)
    assert not any(f"{q} [" in t or f"{q} {{" in t for t in lines for q in "“‘(")
    # after a word, a change is still set apart
    assert any("called the [-new-] {+ancient+}" in t for t in lines)


async def test_the_sidebar_shown_at_80_columns_leaves_the_article_room(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert not app.reader.sidebar.display  # hidden on a narrow screen
        wide = app.reader.view.size.width
        await pilot.press("e")
        await settle(app, pilot)
        assert app.reader.sidebar.display
        assert app.reader.has_class("-cramped") and app.reader.view.size.width >= 20
        await pilot.press("e")
        await settle(app, pilot)
        assert app.reader.view.size.width == wide  # the list has its width back


async def test_a_sort_says_when_it_sorts_only_the_most_relevant_results(corpus, monkeypatch):
    from tui.screens import reader

    monkeypatch.setattr(reader, "LIST_LIMIT", 2)  # the sample's 5 stand for 100k
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await search(app, pilot, "korea")
        assert len(app.reader.list.items) == 2 and "(showing 2)" in status(app)
        await pilot.press("S")
        assert "; the 2 most relevant of 5 results" in status(app)


async def test_a_sort_by_what_no_article_has_says_so(corpus):
    app = VariorumApp(corpus)  # the sample's files: no dates, no sources, no folders
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        assert not any(e.date or e.source for e in app.reader.list.items)
        await pilot.press("S")
        assert "sorted by date" in status(app)
        assert "no article here has a date: the order stays as it was" in status(app)


async def test_a_search_asked_for_during_the_first_index_runs_when_it_is_made(tmp_path):
    import shutil
    import threading
    from pathlib import Path

    from index import Corpus

    folder = tmp_path / "news"
    shutil.copytree(Path(__file__).resolve().parent.parent / "sample_corpus", folder)
    go = threading.Event()

    class Held(Corpus):
        """The first index waits until the test has searched."""

        def update(self, *args, **kw):
            go.wait(120)
            return super().update(*args, **kw)

    app = VariorumApp(Held(folder, index_dir=tmp_path / "ix", ner="rules"))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        app.reader.search_for('"Town College"')
        for _ in range(10_000):  # until the search worker has found no index yet
            if app.reader._search_waits is not None:
                break
            await pilot.pause()
        assert status(app) == "the index is being made: the search runs when it is ready"
        go.set()
        await settle(app, pilot)
        assert app.reader.search_text == '"Town College"' and len(app.reader.list.items) == 1
        assert "not indexed" not in status(app)
