"""The outlets screen (O in the reader): who republishes whom, a pair's
versions, and the diff of one, through Pilot on a real index of the dated
corpus (conftest's ``dated_corpus``) and of the undated sample."""

from __future__ import annotations

from pathlib import Path

from test_app import settle, status, toasts

from index import Corpus, NotFoundError, OutletPair, OutletsReport
from tui.app import VariorumApp
from tui.screens.outlets import HEADS, SHORT_HEADS, OutletsScreen, head_line, table_rows


def dated_app(root: Path, tmp_path: Path) -> VariorumApp:
    """The reader over the dated corpus; its own background update makes the
    index (versions, entities, and the rewrites' spin counts)."""
    return VariorumApp(Corpus(root, index_dir=tmp_path / "ix", ner="rules"), watch_interval=None)


def lines(widget) -> list[str]:
    """A widget's lines as drawn, without their trailing spaces (blank ones left out)."""
    out = [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]
    return [t for t in out if t]


async def open_outlets(app, pilot) -> OutletsScreen:
    await settle(app, pilot)
    await pilot.press("O")
    await settle(app, pilot)
    assert isinstance(app.screen, OutletsScreen)
    return app.screen


async def test_the_table_counts_each_pair_by_kind_with_delay_and_changed_share(
        dated_corpus, tmp_path):
    app = dated_app(dated_corpus, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        # the reader's update ends with the rewrites' spin reports, and says so
        assert ("1 rewrite checked for changed names and quotes (O: who republishes whom)"
                in status(app))
        screen = await open_outlets(app, pilot)
        head = " ".join(lines(screen.query_one("#outlets-head")))
        assert head.startswith("Who republishes whom: 3 later versions between dated articles")
        assert "1 later version left out: it or its earlier version has no date" in head
        # the reader's update checked the one rewrite: nothing said unchecked
        assert "not checked" not in head
        cols, = lines(screen.query_one("#outlets-cols"))
        assert [c.strip() for c in cols.split("  ") if c.strip()] == list(HEADS)
        rows = [r.split() for r in lines(screen.options)]
        # by volume; versions, copy, near-copy, rewrite, median delay, changed
        assert rows == [["Wire", "Mirror", "2", "2", "0", "0", "+13", "h", "-"],
                        ["Wire", "Spinner", "1", "0", "0", "1", "+3", "h", "1/1", "100%"]]
        # the columns line up: each number ends where its heading does
        table = [cols, *lines(screen.options)]
        end = cols.index("versions") + len("versions")
        assert {t[:end].rstrip()[-1:] for t in table[1:]} == {"2", "1"}
        assert all(len(t[:end].rstrip()) == end for t in table)


async def test_enter_lists_a_pairs_versions_and_opens_the_diff_of_one(dated_corpus, tmp_path):
    from tui.screens.diff import DiffScreen

    app = dated_app(dated_corpus, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_outlets(app, pilot)
        await pilot.press("enter")  # Wire → Mirror
        await settle(app, pilot)
        assert app.screen is screen and screen.pair is not None
        assert lines(screen.query_one("#outlets-head"))[0].startswith(
            "Wire → Mirror: 2 later versions, the newest first.")
        shown = lines(screen.options)
        assert [t.split() for t in shown] == [
            ["+2", "h", "copy", "mirror/e.md", "Budget"], ["←", "wire/d.md"],
            ["+24", "h", "copy", "mirror/c.md", "Summit"], ["←", "wire/a.md"]]
        await pilot.press("j", "enter")  # a day later, the mirror's copy of the summit
        await settle(app, pilot)
        assert isinstance(app.screen, DiffScreen)
        assert (app.screen.a.path, app.screen.b.path) == ("wire/a.md", "mirror/c.md")
        # Esc: the diff, then the versions, then the table (its row kept), then the reader
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is screen and screen.pair is not None
        await pilot.press("escape")
        assert screen.pair is None and screen.options.option_count == 2
        await pilot.press("j", "enter")  # Wire → Spinner: the rewrite
        await settle(app, pilot)
        assert lines(screen.options)[0].split()[:4] == [
            "+3", "h", "rewrite", "spin/b.md"]
        await pilot.press("escape")
        assert screen.options.highlighted == 1
        await pilot.press("escape")
        assert app.screen is app.reader


async def test_opened_before_the_update_ends_the_table_is_read_again_when_it_does(
        dated_corpus, tmp_path):
    """O pressed at once, before the reader's first index (or before its
    spin counts): the table is read again when the update's last phase ends,
    so it shows the rewrite's spin report."""
    app = dated_app(dated_corpus, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("O")
        # (at once there is no index yet: the head says the reader is making it)
        screen = app.screen
        assert isinstance(screen, OutletsScreen)
        await settle(app, pilot)
        assert app.screen is screen
        assert lines(screen.options)[1].split()[-2:] == ["1/1", "100%"]


async def test_narrow_the_headings_shorten_and_every_column_stays(dated_corpus, tmp_path):
    app = dated_app(dated_corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_outlets(app, pilot)
        cols, = lines(screen.query_one("#outlets-cols"))
        assert cols.split() == list(SHORT_HEADS) and len(cols) <= 78
        assert lines(screen.options)[1].split() == ["Wire", "Spinner", "1", "0", "0", "1",
                                                    "+3", "h", "1/1", "100%"]


def test_long_sources_are_cut_and_a_very_narrow_table_leaves_the_kinds_out():
    pairs = [OutletPair("A wire service with a very long name indeed", "Another long name, too",
                        (("copy", 12), ("near-copy", 3), ("rewrite", 1)), 3 * 86400, 1, 1),
             OutletPair("Short", "X", (("copy", 1), ("near-copy", 0), ("rewrite", 0)), 600,
                        0, 0)]
    rows = [t.plain for t in table_rows(pairs, 78)]
    assert rows[0].split() == list(SHORT_HEADS)
    assert all(len(r) <= 78 for r in rows)
    assert rows[1].split()[:3] == ["A", "wire", "service"] and "…" in rows[1]
    assert rows[1].endswith("+3 d  1/1 100%") and rows[2].endswith("+10 min         -")
    # every number ends under the end of its heading
    for head in ("vers", "copy", "near", "rewr"):
        end = rows[0].index(head) + len(head)
        assert [r[end - 1] for r in rows[1:]] == {"vers": ["6", "1"], "copy": ["2", "1"],
                                                  "near": ["3", "0"], "rewr": ["1", "0"]}[head]
    narrow = [t.plain for t in table_rows(pairs, 38)]
    assert narrow[0].split() == ["from", "to", "vers", "delay", "changed"]
    assert all(len(r) <= 38 for r in narrow)
    assert narrow[2].split() == ["Short", "X", "1", "+10", "min", "-"]


def test_the_head_says_what_is_unchecked_and_why_a_table_is_empty():
    rewrite = OutletPair("Wire", "Spinner", (("copy", 0), ("near-copy", 0), ("rewrite", 2)),
                         3600, 0, 0)
    head = head_line(OutletsReport((rewrite,), 2, 0, 2))
    assert head.startswith("Who republishes whom: 2 later versions between dated articles")
    assert "2 rewrites not checked yet: the reader checks them after it extracts the entities" \
        in head
    assert "left out" not in head
    assert head_line(OutletsReport((), 0, 0, 0)) == (
        "No later versions between dated articles: no article has another version yet (the "
        "reader finds them as it indexes). Esc goes back.")
    assert head_line(OutletsReport((), 0, 3, 0)).startswith(
        "No later versions between dated articles: 3 later versions left out: they or their "
        "earlier versions have no date")


async def test_the_undated_sample_says_why_the_table_is_empty(corpus):
    app = VariorumApp(corpus, watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_outlets(app, pilot)
        head = " ".join(lines(screen.query_one("#outlets-head")))
        assert head.startswith("No later versions between dated articles: 1 later version left "
                               "out: it or its earlier version has no date")
        assert not screen.options.display and not screen.query_one("#outlets-cols").display
        await pilot.press("escape")
        assert app.screen is app.reader


async def test_a_failure_to_make_the_table_is_said_on_the_screen(corpus, monkeypatch):
    def broken(*a, **kw):
        raise RuntimeError("store gone")

    monkeypatch.setattr(corpus, "outlets", broken)
    app = VariorumApp(corpus, watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_outlets(app, pilot)
        head = " ".join(lines(screen.query_one("#outlets-head")))
        assert head.startswith("The table could not be made: internal error: RuntimeError: "
                               "store gone")
        assert app.is_running


async def test_a_diff_that_cannot_open_is_said_over_the_outlets_screen(dated_corpus, tmp_path):
    app = dated_app(dated_corpus, tmp_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_outlets(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)

        def gone(ref):
            raise NotFoundError(f"no article {ref!r}: removed by an update")

        app.reader.corpus.get = gone
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is screen  # the reader's status line is under it: a toast says it
        gone_id = screen.pair.steps[0].earlier.id
        assert toasts(app) == [f"error no article {gone_id!r}: removed by an update"]


def test_outlets_snapshot_80x24(snap_compare, dated_corpus, tmp_path):
    app = dated_app(dated_corpus, tmp_path)

    async def run_before(pilot) -> None:
        await open_outlets(app, pilot)
        await pilot.press("j")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
