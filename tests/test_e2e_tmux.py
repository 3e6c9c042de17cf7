"""End to end: the real `variorum` in a real terminal (tmux), as a user runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TMUX = shutil.which("tmux")
VARIORUM = Path(sys.executable).parent / "variorum"

pytestmark = pytest.mark.skipif(
    TMUX is None, reason="tmux is not installed: the end-to-end terminal test needs it")


class Term:
    def __init__(self, socket: str):
        self.socket = socket

    def tmux(self, *args: str) -> str:
        return subprocess.run([TMUX, "-L", self.socket, *args], capture_output=True,
                              text=True, timeout=10).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "e2e")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "e2e", *keys)

    def wait_until(self, done: Callable[[str], bool], what: str, timeout: float = 60) -> str:
        """Poll the screen until ``done(screen)``; the screen then. The
        deadline is generous (a loaded machine), and only ever a failure:
        it fails with what was on the screen last."""
        end = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if done(screen):
                return screen
            if time.monotonic() > end:
                raise AssertionError(f"{what}: not within {timeout} s; the screen:\n{screen}")
            time.sleep(0.1)  # between two looks, not a wait for anything

    def wait_for(self, text: str, timeout: float = 60) -> str:
        return self.wait_until(lambda screen: text in screen, f"{text!r} never appeared",
                               timeout)


def footer(screen: str) -> str:
    return screen.rstrip("\n").rsplit("\n", 1)[-1]


@pytest.fixture
def term(tmp_path):
    t = Term(f"variorum-e2e-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    yield t
    t.tmux("kill-server")


def start(term: Term, tmp_path: Path, corpus: Path, status: Path, size: tuple[int, int],
          env: str = "") -> None:
    """Run the installed `variorum` on ``corpus`` in a tmux session ``e2e`` of
    ``size``, with its own data and config folders; its exit status goes to
    ``status``."""
    env = (f"VARIORUM_DATA_DIR={tmp_path / 'data'} VARIORUM_CONFIG_DIR={tmp_path / 'cfg'} "
           f"TERM=xterm-256color {env}")
    # COLUMNS/LINES from the test runner would fix the app at their size
    cmd = f"unset COLUMNS LINES; {env} {VARIORUM} {corpus}; echo $? > {status}; sleep 30"
    x, y = (str(n) for n in size)
    term.tmux("new-session", "-d", "-x", x, "-y", y, "-s", "e2e", cmd)
    # a detached session may still get tmux's 80x24 default: set the size outright
    term.tmux("set-option", "-t", "e2e", "window-size", "manual")
    term.tmux("resize-window", "-t", "e2e", "-x", x, "-y", y)


def test_search_next_hit_help_and_quit_in_a_real_terminal(term, tmp_path):
    if not VARIORUM.exists():
        pytest.skip(f"{VARIORUM} is not installed (run through `make test`)")
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "sample_corpus", corpus)
    status = tmp_path / "exit-status"
    paged = tmp_path / "paged"
    pager = tmp_path / "pager.sh"  # a $PAGER that notes what it was given, then returns
    pager.write_text(f'#!/bin/sh\n{{ head -n 1 "$1"; stat -c %a "$1"; }} > {paged}\n')
    pager.chmod(0o755)
    start(term, tmp_path, corpus, status, (120, 40), f"PAGER={pager}")
    term.wait_for("article 1 of 5")
    # the first indexing, then the background entity extraction, are done: nothing
    # replaces the status message after this
    term.wait_for("entities of 5 articles ready for search")
    term.keys("/")
    # keys typed before the box has focus would go to the list: the footer
    # shows the focused widget's keys, and the search box has no q
    term.wait_until(lambda screen: "q Quit" not in footer(screen),
                    "the search box never took the focus")
    term.keys('"Town College"', "Enter")
    term.wait_for("article 1 of 1")  # one result (the status line, not a passing message)
    screen = term.wait_for("hit 1 of 2")  # the article loads after the list
    assert "Town College" in screen.split("\n", 4)[-1]  # the hit, in the text
    term.keys("n")
    term.wait_for("hit 2 of 2")
    term.keys("?")
    screen = term.wait_for("variorum keys")
    assert "reader.next-hit" in screen
    term.keys("Escape")  # a lone Esc is told from a key sequence after a pause
    term.wait_until(lambda screen: "variorum keys" not in screen, "Esc did not close the help")
    # o: the article goes to $PAGER as a read-only copy; the reader comes back
    term.keys("o")
    term.wait_until(lambda _: paged.exists() and paged.read_text().count("\n") == 2,
                    "o did not run $PAGER")
    title, mode = paged.read_text().splitlines()
    assert title.startswith("Essayist’s Information"), title  # 004, the article open
    assert mode == "444"  # a read-only copy
    term.wait_for("hit 2 of 2")  # the screen is drawn again
    term.keys("q")
    # the shell makes the file, then writes its line: wait for the whole line
    term.wait_until(lambda _: status.exists() and status.read_text().endswith("\n"),
                    "variorum did not quit")
    assert status.read_text() == "0\n"


def test_the_diff_at_80x24_opens_inline_moves_and_closes_in_a_real_terminal(term, tmp_path):
    if not VARIORUM.exists():
        pytest.skip(f"{VARIORUM} is not installed (run through `make test`)")
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "sample_corpus", corpus)
    status = tmp_path / "exit-status"
    start(term, tmp_path, corpus, status, (80, 24))
    term.wait_for("article 1 of 5")
    # the versions are found (the badges drawn): d has a version to diff against
    term.wait_until(lambda screen: screen.count("≈1") == 2, "no version badges")
    term.keys("j")  # 001, which has one other version: 004
    term.wait_for("article 2 of 5")
    term.keys("d")
    # below 120 columns the diff opens inline: one text column, no │ between two
    screen = term.wait_for("changed groups")
    assert "[-Editor’s note" in screen and "{+Essayist’s" in screen
    assert " │ " not in screen
    assert "] Next change" in footer(screen)
    term.keys("]")
    term.wait_for("change 1 of")
    term.keys("]")
    screen = term.wait_for("change 2 of")
    assert "▌" in screen  # the current change's bar
    term.keys("Escape")  # alone: a lone Esc is told from a key sequence after a pause
    term.wait_until(lambda screen: "] Next change" not in footer(screen)
                    and "[-" not in screen, "Esc did not close the diff")
    term.keys("q")
    term.wait_until(lambda _: status.exists() and status.read_text().endswith("\n"),
                    "variorum did not quit")
    assert status.read_text() == "0\n"


def test_sort_and_filter_the_list_in_a_real_terminal(term, tmp_path):
    from test_list import write_dated

    if not VARIORUM.exists():
        pytest.skip(f"{VARIORUM} is not installed (run through `make test`)")
    corpus = tmp_path / "news"
    write_dated(corpus)
    start(term, tmp_path, corpus, tmp_path / "exit-status", (120, 40))
    term.wait_for("article 1 of 5")
    # the update's last message (its spin phase, after the entities'): said
    # after the sort's, it would take the sort's place on the status line
    term.wait_for("1 rewrite checked")
    screen = term.wait_for("by file order")
    assert "date" in screen and "source" in screen
    term.keys("S")  # by date, newest first
    screen = term.wait_for("sorted by date")
    days = [d for d in ("24-06-23", "24-06-22", "24-06-21", "24-06-20", "24-05-25")
            if d in screen]
    assert len(days) == 5
    assert sorted(days, key=screen.index) == days  # top to bottom, newest first
    assert "date ▼" in screen
    term.keys("F")
    term.wait_for("Filter the list")
    term.keys("v")  # has:versions: the spun pair only
    screen = term.wait_for("2 results")
    pane = [line.split("▕")[0] for line in screen.split("\n")]  # the list, left of its border
    top = next(line for line in pane if "date ▼" in line)
    assert "has:versions" in top  # the filter in force, on the list's top line
    rows = [line for line in pane if "≈1" in line]
    assert len(rows) == 2 and "24-06-23" in rows[0] and "24-06-20" in rows[1]
    assert not any("24-06-21" in line for line in pane)  # 000: no versions, filtered out
    term.keys("q")
