"""The reader screen, driven through Textual's Pilot on the real sample corpus."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import copy_sample_index
from rich.cells import cell_len

from index import Corpus
from tui.app import VariorumApp
from tui.screens.reader import SEARCH_DEBOUNCE

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_corpus"
SPUN = "004_f4557d851bb201a9.txt"


SETTLE_ROUNDS = 200  # a bound on the rounds, not a time: each round waits as long as it must


async def settle(app, pilot) -> None:
    """Until the app is quiet: no worker running at the end of two rounds in a
    row, a round being "wait for the workers, then for the messages they
    posted to be handled" (a handled message may start another worker after
    the next refresh: a fixed number of rounds could return before it started)."""
    quiet = 0
    for _ in range(SETTLE_ROUNDS):
        # (a worker that fails is the app's to report: waiting must not raise)
        await asyncio.gather(*(w.wait() for w in list(app.workers)), return_exceptions=True)
        await pilot.pause()
        quiet = quiet + 1 if all(w.is_finished for w in app.workers) else 0
        if quiet == 2:
            return
    raise AssertionError(f"the app never settled; workers still running: {list(app.workers)}")


def sample_copy(sample_index: Path, tmp_path: Path, ner: str = "rules") -> Corpus:
    """The sample corpus over a copy of the session's index (see conftest)."""
    return Corpus(SAMPLE, index_dir=copy_sample_index(sample_index, tmp_path / "ix"), ner=ner)


def snapshot_app(tmp_path: Path, monkeypatch, sample_index: Path) -> VariorumApp:
    """The reader as a snapshot shows it: run from the project folder (the
    top bar names ``sample_corpus``), over a copy of the session's index, with
    the rule extractor (the same sidebar on every machine, whatever model it
    has)."""
    monkeypatch.setenv("VARIORUM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(ROOT)
    return VariorumApp(Corpus(Path("sample_corpus"), ner="rules",
                              index_dir=copy_sample_index(sample_index, tmp_path / "ix")))


def status(app) -> str:
    """The status line as drawn."""
    return str(app.query_one("#status").render())


def toasts(app) -> list[str]:
    """The notifications on screen, each as drawn (its lines joined by spaces)."""
    return [" ".join(" ".join(t.render_line(y).text.strip() for y in range(t.size.height))
                     .split()) for t in app.screen.query("Toast")]


async def search(app, pilot, text: str) -> None:
    await pilot.press("slash")
    assert app.focused is app.query_one("#search")
    await pilot.press(*[("space" if c == " " else c) for c in text])
    await pilot.press("enter")
    await settle(app, pilot)


def view_text(app) -> list[str]:
    view = app.reader.view
    return [view.render_line(y).text for y in range(view.size.height)]


async def test_opens_with_the_list_and_first_article(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert [a.path for a in app.reader.list.items] == sorted(
            p.name for p in SAMPLE.glob("*.txt"))
        assert app.reader.view.article is not None
        assert app.reader.view.article.path == app.reader.list.items[0].path
        await pilot.press("j", "j")
        await settle(app, pilot)
        assert app.reader.list.cursor == 2
        assert app.reader.view.article.path == app.reader.list.items[2].path
        await pilot.press("k")
        await settle(app, pilot)
        assert app.reader.view.article.path == app.reader.list.items[1].path


async def test_a_list_read_ahead_is_in_the_readers_first_frame(sample_index, tmp_path):
    """Issue 15: the list read ahead (as `variorum PATH` reads it, before it
    imports Textual) and read by the time the reader mounts is in its first
    frame, not in a frame after an empty one; the index's generation it is of
    is the reader's (the look at the generation does not read it again)."""
    import threading

    c = sample_copy(sample_index, tmp_path)
    c.prefetch_list()
    for t in threading.enumerate():  # the read done: as at 100k articles, where it
        if t.name == "variorum-prefetch":  # ends before Textual is imported
            t.join()
    app = VariorumApp(c)
    drawn = []  # the list's length at each frame the app draws
    display = app._display

    def counted(screen, renderable) -> None:
        drawn.append(len(app.reader.list.items))
        display(screen, renderable)

    app._display = counted
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        n = len(list(SAMPLE.glob("*.txt")))
        assert drawn and drawn[0] == n, drawn
        assert app.reader._generation == c.generation()
        assert app.reader.view.article is not None  # the first article opened, as before
        assert app.reader.view.article.path == app.reader.list.items[0].path


async def test_search_filters_highlights_and_n_moves_between_hits(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await search(app, pilot, '"Town College"')
        assert [a.path for a in app.reader.list.items] == [SPUN]
        view = app.reader.view
        assert view.article.path == SPUN
        assert [view.text[s:e] for s, e in view.spans] == ["Town College", "Town College"]
        assert app.reader.status.hit == (0, 2)
        status = str(app.query_one("#status").render())
        assert "hit 1 of 2" in status and '"Town College"' in status
        await pilot.press("n")
        assert view.current_hit == 1 and app.reader.status.hit == (1, 2)
        # the current hit is on screen
        line = view.line_of_offset(view.spans[1][0])
        assert view.scroll_offset.y <= line < view.scroll_offset.y + view.size.height
        await pilot.press("n")  # wraps around
        assert view.current_hit == 0
        await pilot.press("N")
        assert view.current_hit == 1
        # the hit is drawn with the hit style, the rest is not
        y = line - view.scroll_offset.y
        strip = view.render_line(y)
        hit_style = view.get_component_rich_style("article-view--current-hit")
        styled = "".join(seg.text for seg in strip if seg.style and seg.style.bgcolor
                         and seg.style.bgcolor == hit_style.bgcolor)
        assert styled == "Town College"


async def test_escape_clears_the_query(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await search(app, pilot, "Soler")
        assert len(app.reader.list.items) == 1
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.reader.search_text is None and len(app.reader.list.items) == 5


async def test_bad_query_explains_itself_and_keeps_the_list(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await search(app, pilot, '"unclosed')
        status = app.query_one("#status")
        assert status.has_class("error")
        assert "unbalanced quote" in str(status.render())
        assert len(app.reader.list.items) == 5


async def test_the_status_line_draws_its_fields():
    from textual.app import App
    from textual.widgets import ProgressBar

    from tui.widgets.status_line import StatusLine

    class Host(App):
        def compose(self):
            yield StatusLine()

    app = Host()
    async with app.run_test(size=(120, 3)) as pilot:
        line = app.query_one(StatusLine)
        text = app.query_one("#status")
        # no progress yet, no bar (issue 15: mounted with the first progress)
        assert not app.query("#progress")

        def shown() -> str:
            return str(text.render())

        line.article, line.hit = (2, 5), (0, 3)
        await pilot.pause()
        assert shown() == "article 3 of 5"  # hits belong to a query
        line.search_text = "korea"
        line.fail("a [bold]bad\x1b[31m\nthing")
        await pilot.pause()
        # an error first (it must be read at any width), as data: one line, no escapes
        assert shown() == ("a [bold]bad\\x1b[31m thing  ·  article 3 of 5  ·  hit 1 of 3  ·  "
                           "query: korea")
        assert text.has_class("error")
        line.say("fine")
        line.progress = (3, 10)
        await pilot.pause()
        assert not text.has_class("error") and shown().endswith("query: korea  ·  fine")
        bar = app.query_one("#progress", ProgressBar)
        assert bar.display and (bar.progress, bar.total) == (3, 10)
        assert "10" not in shown() and bar.region.width == 22  # beside the text, its width
        line.progress = None
        await pilot.pause()
        assert not bar.display
        line.progress = (7, 20)
        await pilot.pause()
        assert app.query_one("#progress", ProgressBar) is bar  # the same bar, shown again
        assert bar.display and (bar.progress, bar.total) == (7, 20)


class _BuggyCorpus(Corpus):
    """The sample corpus with a bug in the engine: one call raises what no
    engine error is (the reader must say it and go on, not exit)."""

    broken = ""

    def family_of(self, article_id):
        if self.broken == "family_of":
            raise RuntimeError("family lost\nsecond line")
        return super().family_of(article_id)

    def diff(self, a, b, **kw):
        if self.broken == "diff":
            raise KeyError("no such group")
        return super().diff(a, b, **kw)

    def annotations(self, article, **kw):
        if self.broken == "annotations":
            raise MemoryError
        return super().annotations(article, **kw)

    def cached_annotations(self, article):
        return None if self.broken == "annotations" else super().cached_annotations(article)


def _buggy(tmp_path, broken: str) -> _BuggyCorpus:
    c = _BuggyCorpus(SAMPLE, index_dir=tmp_path / "ix", ner="rules")
    c.broken = broken
    return c


async def test_a_worker_failure_is_one_status_line_and_the_reader_goes_on(tmp_path):
    from tui.screens.base import log_path

    app = VariorumApp(_buggy(tmp_path, "family_of"), watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert not log_path().exists()  # nothing failed yet
        await pilot.press("v")
        await settle(app, pilot)
        status = app.query_one("#status")
        said = str(status.render())
        assert status.has_class("error") and "\n" not in said
        assert "internal error: RuntimeError: family lost second line (logged in " in said
        assert app.is_running and app.screen is app.reader
        await pilot.press("j")  # still reading
        await settle(app, pilot)
        assert app.reader.view.article.path == app.reader.list.items[1].path
    logged = log_path().read_text(encoding="utf-8")
    assert "internal error in ReaderScreen.family_worker" in logged
    assert "Traceback" in logged and "RuntimeError: family lost" in logged


async def test_a_widgets_worker_failure_is_said_by_the_screen_and_the_reader_goes_on(
        corpus, monkeypatch):
    """The article view's own worker (wrapping a long text's rest) fails:
    the screen's one handler says it, and the app does not exit (Textual's
    default for a worker's error)."""
    from index.models import Article
    from tui.screens.base import log_path
    from tui.widgets import article_view as av

    real = av.wrap_into

    def broken(text, width, starts, ends, stop=None, cancelled=None, **kw):
        if cancelled is not None:  # in the worker
            raise RuntimeError("wrap lost its width")
        return real(text, width, starts, ends, stop, cancelled, **kw)

    monkeypatch.setattr(av, "wrap_into", broken)
    app = VariorumApp(corpus, watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        text = "A long paragraph of words.\n" * (2 * av.WRAP_INLINE // 27)
        app.reader.view.show_article(Article(id="x", path="long.txt", title="Long", text=text))
        await settle(app, pilot)
        said = str(app.query_one("#status").render())
        assert "internal error: RuntimeError: wrap lost its width" in said
        assert app.is_running and app.screen is app.reader
        await pilot.press("j")
        await settle(app, pilot)
        assert app.reader.view.article.path == app.reader.list.items[1].path
    assert "internal error in ArticleView._wrap_rest" in log_path().read_text(encoding="utf-8")


async def test_an_engine_error_is_said_as_its_message_and_not_logged(corpus):
    from tui.screens.base import log_path

    app = VariorumApp(corpus, watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await search(app, pilot, '"unclosed')  # a QueryError, raised in the search worker
        status = app.query_one("#status")
        said = str(status.render())
        assert status.has_class("error") and "internal error" not in said
        assert said.startswith("unbalanced quote") and said.endswith("  ·  article 1 of 5")
    assert not log_path().exists()


async def test_a_failed_diff_says_so_in_its_pane(tmp_path):
    app = VariorumApp(_buggy(tmp_path, "diff"), watch_interval=None)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await open_seed_diff(app, pilot)
        said = str(screen.query_one("#diff-status").render())
        assert said.startswith("the diff failed: internal error: KeyError: 'no such group'")
        assert screen.result is None and app.is_running


async def test_failed_entities_are_said_in_the_sidebar(tmp_path):
    app = VariorumApp(_buggy(tmp_path, "annotations"), watch_interval=None)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        head = str(app.reader.sidebar.query_one("#sidebar-head").render())
        assert head.startswith("No entities: internal error: MemoryError")
        assert app.reader.view.article is not None and app.is_running


async def test_the_apps_own_actions_can_query_the_dom(corpus):
    """Textual's own actions call ``DOMNode.query``: the reader's query is
    ``search_text`` and shadows nothing (``focus`` failed with 'NoneType'
    object is not callable)."""
    app = VariorumApp(corpus, watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await app.run_action("focus('search')")
        await pilot.pause()
        assert app.focused is app.query_one("#search")
        assert app.reader.search_text is None and callable(app.reader.query)


async def test_q_quits_but_types_in_the_search_box(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", "q")
        assert app.query_one("#search").value == "q"
        assert app.is_running
        await pilot.press("escape")  # back to the list
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_article_text_is_data_not_markup(tmp_path, monkeypatch):
    monkeypatch.setenv("VARIORUM_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "Title with [bold red]markup[/bold red]\n"
        "Body \x1b[31mred\x1b[0m text [b]x[/b] and \x1b]52;c;aGVsbG8=\x07 osc.\n",
        encoding="utf-8",
    )
    app = VariorumApp(Corpus(folder, index_dir=tmp_path / "ix", ner="rules"))
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(app, pilot)
        lines = view_text(app)
        joined = "\n".join(lines)
        assert "Title with [bold red]markup[/bold red]" in joined
        assert "Body red text [b]x[/b] and  osc." in joined
        assert "\x1b" not in joined and "\x07" not in joined
        row = app.reader.list.render_line(1).text  # (line 0: the column names)
        assert row.startswith("   Title with [bold red]markup")  # (read: no •)


async def test_resizing_rewraps_without_losing_text(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        wide = len(app.reader.view.lines)
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        narrow = len(app.reader.view.lines)
        assert narrow > wide
        width = app.reader.view.scrollable_content_region.width
        assert all(len(app.reader.view.text[s:e].rstrip()) <= width
                   for s, e in app.reader.view.lines)
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert len(app.reader.view.lines) == wide


def test_reader_snapshot_after_search(snap_compare, tmp_path, monkeypatch, sample_index):
    app = snapshot_app(tmp_path, monkeypatch, sample_index)

    async def run_before(pilot) -> None:
        await settle(app, pilot)
        await search(app, pilot, '"Town College"')
        await pilot.press("n")

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_wrap_offsets_cover_the_text():
    from tui.widgets.article_view import wrap_offsets

    text = "alpha beta gamma delta\n\nε ζ η θ 中文字符 wide\n" + "x" * 50
    lines = wrap_offsets(text, 10)
    # every character but the newlines, once and in order
    assert "".join(text[s:e] for s, e in lines) == text.replace("\n", "")
    # greedy, in cells (wide characters count two), trailing spaces kept on
    # their line, an empty paragraph an empty line, a long word split
    assert [text[s:e] for s, e in lines] == [
        "alpha beta ", "gamma ", "delta", "", "ε ζ η θ ", "中文字符 ", "wide", *["x" * 10] * 5]
    assert all(cell_len(text[s:e].rstrip()) <= 10 for s, e in lines)


async def test_versions_badge_and_dialog_open_the_other_version(corpus):
    from tui.screens.versions import VersionsScreen

    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        rows = [app.reader.list.render_line(y + 1).text for y in range(5)]
        badged = [k for k, r in enumerate(rows) if r.rstrip().endswith("≈1")]
        assert badged == [1, 4]  # 001 and 004, the spun pair
        await pilot.press("j")  # 001
        await settle(app, pilot)
        assert app.reader.view.article.path.startswith("001")
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, VersionsScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, VersionsScreen)
        await pilot.press("v")
        await pilot.pause()
        await pilot.press("enter")  # the highlighted option is the other version
        await settle(app, pilot)
        assert app.reader.view.article.path == SPUN
        await pilot.press("k", "k")  # 000 has no versions: v says so
        await settle(app, pilot)
        await pilot.press("v")
        await pilot.pause()
        assert not isinstance(app.screen, VersionsScreen)
        assert "no other versions" in str(app.query_one("#status").render())


async def test_versions_dialog_clears_a_query_that_hides_the_version(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await search(app, pilot, '"Yun Sun"')  # 001 and 003: 004 is filtered out
        paths = [a.path[:3] for a in app.reader.list.items]
        assert "004" not in paths
        app.reader.list.cursor = paths.index("001")
        await settle(app, pilot)
        await pilot.press("v")
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.reader.search_text is None and app.reader.view.article.path == SPUN


# ------------------------------------------------------ entities and quotes


async def test_sidebar_lists_entities_and_quotes_and_highlights_mentions(sample_index, tmp_path):
    # spaCy, really (the other UI tests use the rules): the index copy has only
    # the rules' annotations, so the reader's NER process extracts this article
    app = VariorumApp(sample_copy(sample_index, tmp_path, ner="spacy"))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("j")  # 001, the CNN original
        await settle(app, pilot)
        view, sidebar = app.reader.view, app.reader.sidebar
        assert view.article.path == "001_f563c122a25a09e3.txt"
        ann = sidebar.annotations
        assert ann is not None and ann.article_id == view.article.id
        assert ann.extractor.startswith("spaCy ")
        assert "spaCy " in str(sidebar.query_one("#sidebar-head").render())
        names = [e.name for e in ann.entities]
        assert "Liu Dongshu" in names and "Stimson Center" in names
        # entities and quotes are tinted in the text
        assert view.quote_spans == sorted((q.start, q.end) for q in ann.quotes)
        assert view.entity_spans
        # move the sidebar cursor onto Liu Dongshu: his mentions are marked
        sidebar.options.focus()
        await pilot.pause()
        liu = next(e for e in ann.entities if e.name == "Liu Dongshu")
        sidebar.options.cursor = sidebar.options.items.index(liu)
        await pilot.pause()
        assert view.selected_spans == list(liu.mentions)
        assert "s: search the corpus for person:\"Liu Dongshu\"" in str(
            app.query_one("#status").render())
        # enter goes to the next mention (scrolls it into view)
        await pilot.press("enter", "enter")
        line = view.line_of_offset(liu.mentions[1][0])
        assert view.scroll_offset.y <= line < view.scroll_offset.y + view.size.height
        # s searches the corpus for him
        await pilot.press("s")
        await settle(app, pilot)
        assert app.query_one("#search").value == 'person:"Liu Dongshu"'
        assert {a.path for a in app.reader.list.items} == {"001_f563c122a25a09e3.txt", SPUN}
        assert {view.text[s:e] for s, e in view.spans} == {"Liu Dongshu", "Liu"}


async def test_choosing_a_quote_scrolls_to_it(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("j")
        await settle(app, pilot)
        sidebar, view = app.reader.sidebar, app.reader.view
        last = sidebar.annotations.quotes[-1]
        sidebar.options.focus()
        sidebar.options.cursor = sidebar.options.items.index(last)
        await pilot.press("enter")
        await pilot.pause()
        assert view.selected_spans == [(last.start, last.end)]
        line = view.line_of_offset(last.start)
        assert view.scroll_offset.y <= line < view.scroll_offset.y + view.size.height
        assert "quote by Liu Dongshu" in str(app.query_one("#status").render())


async def test_quoted_phrases_are_listed_apart_with_who_used_them(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(140, 100)) as pilot:
        await settle(app, pilot)
        await pilot.press("j")  # 001: Kim called the alliance a “turning point”
        await settle(app, pilot)
        sidebar, view = app.reader.sidebar, app.reader.view
        opts = sidebar.options
        phrase = next(q for q in sidebar.annotations.phrases if q.text == "turning point")
        assert phrase.speaker == "Kim Jong Un"
        assert all(q.kind == "quote" for q in sidebar.annotations.quotes)
        opts.focus()
        await pilot.press("G")  # the last item: a phrase, under the "Quoted phrases" heading
        await pilot.pause()
        assert opts.current.kind == "phrase"
        opts.cursor = opts.items.index(phrase)
        await pilot.pause()
        drawn = ["".join(seg.text for seg in opts.render_line(y))
                 for y in range(opts.scrollable_content_region.height)]
        assert opts.scroll_offset.y == 0  # tall enough: every row is drawn
        heading = next(k for k, line in enumerate(drawn) if line.strip() == "Quoted phrases")
        assert any(line.strip() == "Quotes" for line in drawn[:heading])
        assert any("“turning point”  Kim Jong Un" in line for line in drawn[heading:])
        await pilot.press("enter")
        await pilot.pause()
        assert view.selected_spans == [(phrase.start, phrase.end)]
        assert "quoted phrase by Kim Jong Un" in str(app.query_one("#status").render())


async def test_sidebar_hides_and_tints_toggle(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        width_with = app.reader.view.size.width
        await pilot.press("e")
        await pilot.pause()
        assert not app.reader.sidebar.display
        assert app.reader.view.size.width > width_with
        await pilot.press("e")
        await pilot.pause()
        assert app.reader.sidebar.display
        view = app.reader.view
        assert not view.show_tints and view.entity_spans  # tints start off
        s, _e = view.entity_spans[0]
        line = view.line_of_offset(s) - view.scroll_offset.y
        plain = view.render_line(line)
        await pilot.press("t")
        assert view.show_tints
        assert "entities and quotes tinted" in str(app.query_one("#status").render())
        assert view.render_line(line) != plain  # the mention is tinted now
        await pilot.press("t")
        assert not view.show_tints and view.render_line(line) == plain


async def test_narrow_screen_starts_without_the_sidebar(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(80, 30)) as pilot:
        await settle(app, pilot)
        assert not app.reader.sidebar.display
        await pilot.press("e")
        await pilot.pause()
        assert app.reader.sidebar.display


async def test_sidebar_names_are_data_not_markup(tmp_path, monkeypatch):
    monkeypatch.setenv("VARIORUM_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "Markup people\n"
        "Officials met [bold]Anna Berg[/bold] in Geneva. \"We will appeal the ruling soon,\" "
        "said Anna Berg.\n",
        encoding="utf-8",
    )
    app = VariorumApp(Corpus(folder, index_dir=tmp_path / "ix", ner="rules"))
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(app, pilot)
        lines = [app.reader.sidebar.options.render_line(y).text
                 for y in range(app.reader.sidebar.options.size.height)]
        joined = "\n".join(lines)
        assert "Anna Berg" in joined and "We will appeal" in joined
        head = str(app.reader.sidebar.query_one("#sidebar-head").render())
        assert "rules" in head  # the UI says which extractor is in use


# ------------------------------------------------------------------- diff


async def open_seed_diff(app, pilot):
    await settle(app, pilot)
    await pilot.press("j")  # 001: it has one other version, 004
    await settle(app, pilot)
    await pilot.press("d")
    await settle(app, pilot)
    await settle(app, pilot)
    from tui.screens.diff import DiffScreen

    assert isinstance(app.screen, DiffScreen)
    return app.screen


async def choose_in_report(screen, pilot, option_id: str) -> None:
    """Enter on one entry of the diff's report panel."""
    panel = screen.query_one("#spin")
    ids = [panel.get_option_at_index(i).id for i in range(panel.option_count)]
    panel.focus()
    panel.highlighted = ids.index(option_id)
    await pilot.press("enter")


async def test_d_on_an_article_with_one_version_opens_the_diff(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await open_seed_diff(app, pilot)
        assert (screen.a.path, screen.b.path) == ("001_f563c122a25a09e3.txt", SPUN)
        r = screen.result
        assert r is not None and any(s.frm == "new" and s.to == "ancient"
                                     for s in r.substitutions)
        view = screen.view
        # both columns on one row: the left side has the deletion, the right the insertion
        rows = [view.render_line(y).text for y in range(view.size.height)]
        row = next(t for t in rows if "[-While-]" in t)
        assert "{+As+}" in row and "│" in row
        # ] goes from change to change, [ back
        await pilot.press("right_square_bracket")
        first = view.current_group
        assert r.groups[first].changed
        await pilot.press("right_square_bracket")
        assert view.current_group > first
        await pilot.press("left_square_bracket")
        assert view.current_group == first
        # i: one column, the first text's words struck out before their replacement
        await pilot.press("i")
        rows = [view.render_line(y).text for y in range(view.size.height)]
        assert view.inline and not any("│" in t for t in rows)
        assert any("[-While-] {+As+}" in t for t in rows)
        # the reader's keys do nothing here
        await pilot.press("v")
        assert app.screen is screen
        await pilot.press("escape")
        assert app.screen is not screen


async def test_marking_two_articles_diffs_any_two(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("m")  # 000
        await pilot.press("j", "j", "j")
        await settle(app, pilot)
        await pilot.press("m")  # 003
        assert "2 articles marked" in str(app.query_one("#status").render())
        assert app.reader.list.render_line(1).text.startswith(" ① ")
        await pilot.press("d")
        await settle(app, pilot)
        await settle(app, pilot)
        screen = app.screen
        assert (screen.a.path, screen.b.path) == ("000_0e0738cec9c8d1ee.txt",
                                                  "003_1cc552ea7276300b.txt")
        # same story, different articles: little aligns
        assert screen.result.stats.sentences_aligned < 0.2
        assert app.reader.list.marked == []


async def test_choosing_a_substitution_jumps_to_its_occurrences(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await open_seed_diff(app, pilot)
        r = screen.result
        k = next(i for i, s in enumerate(r.substitutions) if s.frm == "new")
        await choose_in_report(screen, pilot, f"s{k}")
        assert screen.view.current_group == r.substitutions[k].groups[0]
        await pilot.press("enter")
        assert screen.view.current_group == r.substitutions[k].groups[1]
        status = str(screen.query_one("#diff-status").render())
        assert "occurrence 2 of 3" in status


async def test_the_report_panel_lists_phrase_changes_and_jumps_to_them(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await open_seed_diff(app, pilot)
        r = screen.result
        k = next(i for i, p in enumerate(r.phrase_changes) if p.frm == "turning point")
        assert r.phrase_changes[k].to == "watershed moment"
        await choose_in_report(screen, pilot, f"p{k}")
        assert screen.view.current_group == r.phrase_changes[k].group
        assert "quoted phrase" in str(screen.query_one("#diff-status").render())


def _diff_snapshot(snap_compare, tmp_path, monkeypatch, sample_index, keys: list[str]):
    app = snapshot_app(tmp_path, monkeypatch, sample_index)

    async def run_before(pilot) -> None:
        await open_seed_diff(app, pilot)
        await pilot.press(*keys)
        await pilot.pause()

    return snap_compare(app, terminal_size=(150, 40), run_before=run_before)


def test_diff_snapshot_side_by_side(snap_compare, tmp_path, monkeypatch, sample_index):
    assert _diff_snapshot(snap_compare, tmp_path, monkeypatch, sample_index,
                          ["right_square_bracket", "right_square_bracket"])


def test_diff_snapshot_inline(snap_compare, tmp_path, monkeypatch, sample_index):
    assert _diff_snapshot(snap_compare, tmp_path, monkeypatch, sample_index,
                          ["i", "right_square_bracket"])


# ------------------------------------------------- commands, config, state


async def test_help_lists_every_command_with_its_keys(corpus):
    from tui.commands import COMMANDS, CONTEXTS
    from tui.screens.help import HelpScreen

    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        # every command once: first those of where the focus is (the list),
        # then the other contexts in their order, each in the command list's order
        order = ["list", *(ctx for ctx in CONTEXTS if ctx != "list")]
        assert [r[3] for r in app.screen.rows] == [
            c.id for ctx in order for c in COMMANDS if c.context == ctx]
        shown = {r[3]: r[1] for r in app.screen.rows}
        assert shown["reader.search"] == "/" and shown["reader.help"] == "? / F1"
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


async def test_keymap_from_config_rebinds_by_id(corpus):
    from tui.config import Config

    cfg = Config(keymap={"reader.next-hit": "ctrl+n", "reader.sidebar": "x"})
    app = VariorumApp(corpus, config=cfg)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await search(app, pilot, '"Town College"')
        assert app.reader.view.current_hit == 0
        await pilot.press("n")  # no longer bound
        assert app.reader.view.current_hit == 0
        await pilot.press("ctrl+n")
        assert app.reader.view.current_hit == 1
        await pilot.press("x")
        await pilot.pause()
        assert not app.reader.sidebar.display


async def test_palette_offers_the_reader_commands(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for t in ("Search", "Versions", "Diff", "Sidebar", "Help", "Quit"):
            assert t in titles


async def test_bad_config_is_said_and_defaults_stand(corpus):
    from tui.config import Config

    cfg = Config(theme="no-such-theme")
    app = VariorumApp(corpus, config=cfg)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        [toast] = toasts(app)  # its title, then the message
        assert toast.startswith("config config: unknown theme 'no-such-theme' (themes: ")
        assert app.theme == "textual-dark"


async def test_config_text_is_shown_as_it_is_never_as_markup(corpus):
    from tui.config import Config

    # a keymap value given in code (the file's are checked) and a theme name,
    # both markup: the help lists the keys as text, the toast says the name
    app = VariorumApp(corpus, config=Config(theme="[/nope]",
                                            keymap={"reader.versions": "[/nope]"}))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        [toast] = toasts(app)
        assert toast.startswith("config config: unknown theme '[/nope]' (themes: ")
        await pilot.press("question_mark")
        await pilot.pause()
        help_rows = app.screen.rows
        assert ("reader", "[/nope]") in {(ctx, keys) for ctx, keys, _h, _id in help_rows}


async def test_state_is_remembered_per_corpus(tmp_path, monkeypatch, sample_index):
    monkeypatch.setenv("VARIORUM_DATA_DIR", str(tmp_path / "data"))
    app = VariorumApp(sample_copy(sample_index, tmp_path))
    ix = app.reader.corpus.index_dir
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "m")
        await search(app, pilot, "korea")
        await pilot.press("j")
        await settle(app, pilot)
        where = app.reader.list.current.id
        await pilot.press("q")
    again = VariorumApp(Corpus(SAMPLE, index_dir=ix, ner="rules"))
    searched = []
    real = again.reader.run_search
    again.reader.run_search = lambda v: (searched.append(v), real(v))
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(again, pilot)
        assert again.query_one("#search").value == "korea" and again.reader.search_text == "korea"
        assert again.reader.list.current.id == where
        assert len(again.reader.list.marked) == 1
        await pilot.pause(SEARCH_DEBOUNCE * 3)
        assert searched == ["korea"]  # restored once, not searched again on a timer


async def test_sidebar_width_keys_and_copy(corpus):
    app = VariorumApp(corpus)
    copied = []
    app.copy_to_clipboard = copied.append
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        before = app.reader.sidebar.size.width
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert app.reader.sidebar.size.width == before + 4
        await pilot.press("less_than_sign", "less_than_sign")
        await pilot.pause()
        assert app.reader.sidebar.size.width == before - 4
        await pilot.press("y")
        assert copied and copied[-1].endswith(app.reader.view.article.path)


async def test_open_external_says_why_when_it_cannot(corpus, monkeypatch):
    monkeypatch.setenv("PAGER", "no-such-pager-xyz")
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("o")
        assert "no-such-pager-xyz" in str(app.query_one("#status").render())


async def test_open_external_copes_with_a_file_name_of_255_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("PAGER", "true")  # headless: the hand-over itself fails, said in a line
    folder = tmp_path / "corpus"
    folder.mkdir()
    name = "y" * 252 + ".md"  # the longest name a file system takes; as .txt, one too long
    (folder / name).write_text("# A long name\n\nThe text of an article.\n", encoding="utf-8")
    app = VariorumApp(Corpus(folder, index_dir=tmp_path / "ix", ner="rules"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.reader.view.article.path == name
        await pilot.press("o")
        await pilot.pause()
        assert "cannot open true" in str(app.query_one("#status").render())


async def test_small_and_resized_terminals_never_crash(corpus):
    app = VariorumApp(corpus)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(app, pilot)
        await search(app, pilot, "korea")
        await pilot.press("n", "e", "tab", "question_mark", "escape")
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert app.reader.view.spans and app.is_running


async def test_hits_show_without_colour(corpus):
    from rich.style import Style

    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await search(app, pilot, '"Town College"')
        view = app.reader.view
        s, _e = view.spans[0]
        line = view.render_line(view.line_of_offset(s) - view.scroll_offset.y)
        styles = [seg.style for seg in line if seg.text and "Town" in seg.text]
        # the hit is underlined (and bold): visible on a terminal with no colour
        assert styles and all(isinstance(st, Style) and st.underline for st in styles)


def test_reader_snapshot_80x24(snap_compare, tmp_path, monkeypatch, sample_index):
    app = snapshot_app(tmp_path, monkeypatch, sample_index)

    async def run_before(pilot) -> None:
        await settle(app, pilot)
        await search(app, pilot, "korea")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_sidebar_with_thousands_of_entities_moves_and_draws(corpus):
    from index.models import Annotations, Entity, Quote

    ents = tuple(Entity(f"Person Number {k} " + "x" * (k % 40), "PERSON", ((k, k + 1),))
                 for k in range(3000))
    quotes = tuple(Quote(f"Quote {k} says something long enough to be cut short", None,
                         k, k + 10) for k in range(300))
    app = VariorumApp(corpus)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(app, pilot)
        app.reader.sidebar.show(Annotations("x", "test", ents, quotes))
        lst = app.reader.sidebar.options
        lst.focus()
        await pilot.pause()
        assert lst.virtual_size.height == 1 + 3000 + 1 + 2 * 300  # headings, 2 rows a quote
        assert not lst.show_horizontal_scrollbar
        assert lst.current == ents[0]
        rows = [lst.render_line(y).text for y in range(lst.size.height)]
        assert rows[0].startswith("People") and "Person Number 0" in rows[1]
        assert all(len(r) == lst.scrollable_content_region.width for r in rows)
        assert any(r.rstrip().endswith("…") for r in rows)  # a name too long for the column
        await pilot.press("G")
        assert lst.current == quotes[-1]
        rows = [lst.render_line(y).text for y in range(lst.size.height)]
        assert "Quote 299" in rows[-1] and "(not named)" in rows[-2]
        await pilot.press("k", "k")
        assert lst.current == quotes[-3]
        await pilot.press("g", "j", "pagedown")
        assert lst.items.index(lst.current) > 1 + lst.size.height // 2
        await pilot.press("end", "down")  # stays on the last item
        assert lst.current == quotes[-1]
        await pilot.press("enter")
        await pilot.pause()
        assert "quote (speaker not named)" in str(app.query_one("#status").render())
        # entities that arrive while the sidebar has focus: the cursor is on the first
        app.reader.sidebar.show(Annotations("y", "test", ents[:3], ()))
        await pilot.pause()
        assert lst.current == ents[0]
        app.reader.list.focus()
        await pilot.pause()
        app.reader.sidebar.show(Annotations("z", "test", ents[:3], ()))
        await pilot.pause()
        assert lst.current is None and app.reader.view.selected_spans == []


async def test_worker_messages_that_arrive_while_the_app_closes_are_dropped(corpus):
    """Progress a worker posts while Textual removes the screen at exit is
    dropped (the CI failure: '#progress' gone, NoMatches, on a busy machine)."""
    from textual.widget import Widget

    from tui.messages import IndexProgress

    app = VariorumApp(corpus)

    class Probe(Widget):  # posts what a worker would, as the screen is torn down
        def on_unmount(self) -> None:
            for k in range(10):
                app.reader.post_message(IndexProgress(k, 10, "reading"))

    async with app.run_test(size=(120, 40)) as pilot:
        await app.screen.mount(Probe())
        await pilot.pause()


# ------------------------------------------------------------------ issue 11
HOSTILE_NAME = "evil\x1b[201~\u202egnp\x9b.txt"
SHOWN_NAME = "evil\\x1b[201~\\u202egnp\\x9b.txt"
RAW = ("\x1b", "\x9b", "\u202e", "\x07")


def _stories(folder: Path, names) -> None:
    folder.mkdir(exist_ok=True)
    for n in names:
        (folder / f"{n}.txt").write_text(f"Story {n}\n\nThe walrus of story {n} swam.\n",
                                         encoding="utf-8")


async def test_hostile_file_name_is_escaped_on_screen_in_the_copy_and_the_pager_copy(tmp_path):
    from tui.screens.reader import write_pager_copy

    folder = tmp_path / "c"
    folder.mkdir()
    (folder / HOSTILE_NAME).write_text("Hostile name story\n\nA narwhal surfaced.\n",
                                       encoding="utf-8")
    app = VariorumApp(Corpus(folder, index_dir=tmp_path / "ix", ner="rules"))
    copied: list[str] = []
    app.copy_to_clipboard = copied.append
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(app, pilot)
        shown = "\n".join(view_text(app))
        assert SHOWN_NAME in shown and not any(c in shown for c in RAW)
        await pilot.press("y")
        # OSC 52 carries no ESC: a paste cannot end the bracketed paste early
        assert copied == [f"Hostile name story\n{SHOWN_NAME}"]
        status = str(app.query_one("#status").render())
        assert "copied: Hostile name story" in status and not any(c in status for c in RAW)
        art = app.reader.view.article
    copy = write_pager_copy(art, tmp_path)
    lines = copy.read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["Hostile name story", SHOWN_NAME, ""]
    assert lines[-1] == "A narwhal surfaced."


async def test_a_long_article_is_wrapped_off_the_ui_thread_once_per_width(monkeypatch):
    """The UI thread wraps at most WRAP_INLINE characters of a long article
    (on open and on a resize); a worker wraps the rest; a width seen before
    costs nothing. (A 16 MiB article froze the UI 2.5 s per open and resize.)"""
    import threading

    from textual.app import App

    from index.models import Article
    from tui.widgets import article_view as av

    real = av.wrap_into
    calls: list[tuple[bool, int]] = []  # (on the UI thread, characters wrapped)

    def counting(text_, width, starts, ends, stop=None, cancelled=None, **kw):
        if text_ is text:  # the body (not the title)
            calls.append((threading.current_thread() is threading.main_thread(),
                          len(text) if stop is None else stop))
        return real(text_, width, starts, ends, stop, cancelled, **kw)

    monkeypatch.setattr(av, "wrap_into", counting)

    def expected(width: int) -> list[tuple[int, int]]:
        starts: list[int] = []
        ends: list[int] = []
        real(text, width, starts, ends, spaced=True)
        return list(zip(starts, ends, strict=True))

    # one line at 100 columns, two at 70
    text = "".join(f"Paragraph {k} of a long article, with “curly quotes” and words, "
                   "and more words.\n" for k in range(16_000))  # about 1.3 MB
    assert len(text) > 10 * av.WRAP_INLINE
    last = text.rindex("Paragraph 15999")

    class Host(App):
        def compose(self):
            yield av.ArticleView()

    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(av.ArticleView)
        view.show_article(Article(id="x", path="long.txt", title="Long", text=text),
                          [(last, last + 9)])  # a hit near the end, past the first screens
        ui = sum(n for main, n in calls if main)
        assert 0 < ui <= av.WRAP_INLINE and not view.wrapped
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [n for main, n in calls if not main] == [len(text)]
        assert view.wrapped and view.lines == expected(view.scrollable_content_region.width)
        hit_line = view.line_of_offset(last)  # brought into view once wrapped
        assert view.scroll_offset.y <= hit_line < view.scroll_offset.y + view.size.height
        wide = view.scrollable_content_region.width
        view.scroll_to(y=len(view.lines) // 2, animate=False)  # reading in the middle
        await pilot.pause()
        top = view.lines[view.scroll_offset.y - view.line_of_offset(0)][0]  # text at the top
        calls.clear()
        await pilot.resize_terminal(70, 30)
        await pilot.pause()
        assert 0 < sum(n for main, n in calls if main) <= av.WRAP_INLINE
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [n for main, n in calls if not main] == [len(text)]
        assert view.lines == expected(view.scrollable_content_region.width)
        assert view.line_of_offset(top) == view.scroll_offset.y  # still at the top
        calls.clear()
        await pilot.resize_terminal(100, 30)  # back: that wrapping was kept
        await pilot.pause()
        assert calls == [] and view.wrapped
        assert view.scrollable_content_region.width == wide and view.lines == expected(wide)


async def test_the_list_follows_another_process_update_and_a_removed_article_says_so(tmp_path):
    folder, ix = tmp_path / "c", tmp_path / "ix"
    _stories(folder, ["a", "b", "c", "d"])
    app = VariorumApp(Corpus(folder, index_dir=ix, ner="rules"), watch_interval=None)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "j")
        await settle(app, pilot)
        assert app.reader.view.article.path == "c.txt"
        # another process: c.txt deleted, e.txt added
        (folder / "c.txt").unlink()
        _stories(folder, ["e"])
        with Corpus(folder, index_dir=ix) as other:
            other.update(procs=1)
        await pilot.press("k", "j")  # back onto c.txt: the list is not read again yet
        await settle(app, pilot)
        status = app.query_one("#status")
        assert "this article was removed by an update" in str(status.render())
        assert not status.has_class("error")
        # ... and the list was read again at once: c.txt gone, e.txt there, the
        # cursor on the article that took c.txt's place
        assert [a.path for a in app.reader.list.items] == ["a.txt", "b.txt", "d.txt", "e.txt"]
        assert app.reader.list.current.path == "d.txt" and app.reader.view.article.path == "d.txt"
        # an update that adds an article before it: the cursor stays on d.txt
        _stories(folder, ["0"])
        with Corpus(folder, index_dir=ix) as other:
            other.update(procs=1)
        app.reader.watch_generation()  # what the timer does every second
        await settle(app, pilot)
        assert app.reader.list.items[0].path == "0.txt"
        assert app.reader.list.current.path == "d.txt" and app.reader.view.article.path == "d.txt"


async def test_opened_while_another_process_indexes_it_loads_when_that_one_finishes(tmp_path):
    from index.search.indexer import update_lock

    folder, ix = tmp_path / "c", tmp_path / "ix"
    _stories(folder, ["a", "b", "c"])
    ix.mkdir()
    lock = update_lock(ix)
    lock.__enter__()  # another process is making the first index
    try:
        app = VariorumApp(Corpus(folder, index_dir=ix, ner="rules"), watch_interval=None)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(app, pilot)
            shown = " ".join(" ".join(view_text(app)).split())
            assert "Another process is indexing this corpus; the list will load when it " \
                   "finishes." in shown
            assert not app.query_one("#status").has_class("error")
            app.reader.watch_generation()  # still busy, no index yet: nothing changes
            await settle(app, pilot)
            assert app.reader.list.items == [] and app.is_running
            lock.__exit__(None, None, None)
            lock = None
            with Corpus(folder, index_dir=ix) as other:  # what the other process did
                other.update(procs=1)
            app.reader.watch_generation()
            await settle(app, pilot)
            assert [a.path for a in app.reader.list.items] == ["a.txt", "b.txt", "c.txt"]
            assert app.reader.view.article.path == "a.txt"
    finally:
        if lock is not None:
            lock.__exit__(None, None, None)


async def test_q_quits_without_waiting_for_a_busy_extraction_process(corpus):
    import asyncio
    import os
    import time

    app = VariorumApp(corpus, watch_interval=None)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        worker = app.reader.corpus._extraction_worker()  # the engine's, which the reader uses
        await asyncio.wrap_future(worker.submit(os.getpid))  # the process is up
        stuck = worker.submit(time.sleep, 45)  # an extraction in slow, quadratic work

        def until_running() -> None:  # handed to the process: no longer cancellable
            while not stuck.running():
                time.sleep(0.01)

        await asyncio.to_thread(until_running)
        pids = worker.pids()
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert pids
    for pid in pids:
        deadline = time.monotonic() + 20  # a bound for a slow machine, not a measurement
        while _running(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _running(pid), "the extraction process is still running"


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not exited: a zombie has)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


async def test_a_state_file_with_controls_or_odd_shapes_is_not_restored(corpus):
    from tui.config import save_state

    save_state(corpus.index_dir, {"query": "korea\x1b]52;c;cm0gLXJm\x07", "marks": 5,
                                  "article": None})
    app = VariorumApp(corpus, watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.query_one("#search").value == "" and app.reader.search_text is None
        assert len(app.reader.list.items) == 5 and app.reader.list.marked == []


async def test_a_first_index_lists_the_first_articles_before_it_ends(tmp_path):
    """Issue 13 (6): on a first index of a big corpus the list shows the first
    files' articles while the rest are still being read, then all of them."""
    import random

    from index.search import indexer

    rng = random.Random(5)
    words = ["".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3))
             for _ in range(2000)]
    folder = tmp_path / "big"
    folder.mkdir()
    n = indexer.FIRST_BATCH_MIN_FILES
    for i in range(n):
        body = " ".join(rng.choice(words) for _ in range(60))
        (folder / f"{i:04d}.txt").write_text(f"Story {i}\n\n{body}.\n")
    import threading

    listed = threading.Event()  # the reader shows the first files

    class Held(Corpus):
        """The rest of the files are read only once the reader lists the
        first ones (on a fast machine they could be done before the list is
        read again; this test is about the order, not a race)."""

        def update(self, *args, on_phase=None, **kw):
            def held(name, report):
                on_phase(name, report)
                if name == "index-batch":
                    listed.wait(120)  # (not set: the assertions below say so)

            return super().update(*args, on_phase=held if on_phase else None, **kw)

    app = VariorumApp(Held(folder, index_dir=tmp_path / "ix", ner="rules"))
    counts: list[tuple[int, bool]] = []  # (the list's length, the update still running)
    async with app.run_test(size=(120, 40)) as pilot:
        reader = app.reader

        def seen(article: tuple[int, int]) -> None:
            running = any(w.group == "index" and not w.is_finished for w in app.workers)
            counts.append((article[1], running))
            if article[1] == indexer.FIRST_BATCH:
                listed.set()

        reader.watch(reader.status, "article", seen, init=False)
        await settle(app, pilot)
        assert (indexer.FIRST_BATCH, True) in counts  # listed while the update ran
        assert counts[-1][0] == n and len(reader.list.items) == n
        assert [c for c, _ in counts if c] == sorted(c for c, _ in counts if c)


async def test_the_footers_keys_are_styled_once_as_they_are_mounted(corpus, monkeypatch):
    """Issue 15: each of Textual's footer keys starts compact and is then
    bound to its footer's setting (not compact): two changes of its class,
    each a styling of the key and its two parts again, at the reader's start.
    Given the footer's setting before they are mounted, no key is restyled,
    and none is compact (but the palette's, which Textual does not bind to
    the footer's setting: compact, as it was drawn)."""
    from textual.app import App
    from textual.widgets._footer import FooterKey

    restyled = []
    real = App.update_styles

    def update_styles(self, node, *args, **kwargs):
        restyled.append(node)
        return real(self, node, *args, **kwargs)

    monkeypatch.setattr(App, "update_styles", update_styles)
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        keys = [k for k in app.reader.query(FooterKey) if not k.has_class("-command-palette")]
        assert len(keys) > 5
        assert not [n for n in restyled if n in keys]
        assert not [k for k in keys if k.compact or k.has_class("-compact")]
        assert app.reader.query_one("FooterKey.-command-palette").compact


async def test_the_footer_is_composed_again_only_when_its_keys_change(corpus, monkeypatch):
    """Issue 15: Textual's footer composes itself again for every change of
    bindings its screen signals, one recompose a signal (three at the reader's
    start, two of them at once), each mounting and styling every key. Two
    signals at once make at most one recompose; one whose keys would be those
    shown (the same bindings, as enabled) makes none; a change of the keys
    shown (the search box focused: its keys, not the list's) makes one."""
    from textual.widgets import Footer as TextualFooter

    from tui.widgets.footer import Footer

    calls = []
    real = TextualFooter.recompose

    async def counted(self):
        calls.append(self)
        await real(self)

    monkeypatch.setattr(TextualFooter, "recompose", counted)
    app = VariorumApp(corpus)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        footer = app.reader.query_one(Footer)

        def keys() -> list[str]:
            return [k.key for k in footer.query("FooterKey")]

        shown = keys()
        assert "slash" in shown and "q" in shown, shown
        mounted = list(footer.query("FooterKey"))
        calls.clear()
        app.reader.refresh_bindings()
        app.reader.refresh_bindings()
        await settle(app, pilot)
        assert calls == [] and list(footer.query("FooterKey")) == mounted  # the same widgets
        app.reader.search_box.focus()
        await settle(app, pilot)
        assert calls == [footer] and keys() != shown
        app.reader.list.focus()
        await settle(app, pilot)
        assert calls == [footer, footer] and keys() == shown
