"""The reader's status line: where you are (article n of m, hit i of k, the
query) and what is going on (the last message, an error, the update's
progress bar).

Each of those is a reactive field: whoever knows a fact sets it, and the
line redraws itself (nobody builds the line by hand).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from index import error_line

SEP = "  ·  "


class StatusLine(Horizontal):
    DEFAULT_CSS = """
    StatusLine { height: auto; max-height: 3; }
    StatusLine > #status { width: 1fr; height: auto; max-height: 3; padding: 0 1;
        background: $panel; }
    StatusLine > #status.error { background: $error; color: $text; text-style: bold; }
    StatusLine > #progress { width: 22; height: 1; display: none; background: $panel; }
    StatusLine > #progress Bar { width: 14; }
    StatusLine > #progress.active { display: block; }
    """

    article: reactive[tuple[int, int]] = reactive((0, 0), init=False)
    """(the list's cursor, its length): "article n of m" when the list is not empty."""
    hit: reactive[tuple[int, int]] = reactive((-1, 0), init=False)
    """(the current hit, the hits in the article): shown with a query."""
    search_text: reactive[str | None] = reactive(None, init=False)
    """The query the list shows (None: the whole corpus)."""
    find_text: reactive[str | None] = reactive(None, init=False)
    """What is being found in the article (/ in the article: its hits are the
    ones counted then)."""
    message: reactive[str] = reactive("", init=False)
    """The last thing said (a result count, what the update is doing, …)."""
    activity: reactive[str] = reactive("", init=False)
    """What the background update is doing ("entities: 40 of 2226 articles"):
    said after the message, never instead of it (a step every few hundred
    milliseconds would otherwise hide an error as soon as it is said)."""
    error: reactive[bool] = reactive(False, init=False)
    """``message`` is an error (drawn as one)."""
    legend: reactive[list] = reactive(list, init=False)
    """``(word, style)`` of each word or phrase of a query of several, in its hit colour."""
    marks: reactive[int] = reactive(0, init=False)
    """How many articles are marked for a diff (m)."""
    progress: reactive[tuple[int, int] | None] = reactive(None, init=False)
    """(done, total) of the update's phase under way; None: no bar."""

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        # (the progress bar: mounted with the first progress, see watch_progress)

    def say(self, message: str) -> None:
        self.message, self.error = message, False

    def fail(self, message: str) -> None:
        self.message, self.error = message, True

    @property
    def text(self) -> str:
        parts: list[str] = []
        cursor, count = self.article
        if count:
            parts.append(f"article {cursor + 1} of {count}")
        index, total = self.hit
        if self.find_text:
            parts.append(f"match {index + 1} of {total}" if total else "no match")
            parts.append(f"find: {self.find_text}")
        elif self.search_text and total:
            parts.append(f"hit {index + 1} of {total}")
        if self.search_text:
            parts.append(f"query: {self.search_text}")
        if self.marks:
            parts.append("① marked" if self.marks == 1 else "①② marked")
        if self.message:
            # an error first: it is what must be read, whatever the width
            parts.insert(0, self.message) if self.error else parts.append(self.message)
        if self.activity:
            parts.append(self.activity)
        return error_line(SEP.join(parts))  # names and queries are data: one clean line

    def _show(self) -> None:
        status = self.query_one("#status", Static)
        status.set_class(self.error, "error")
        line = Text(self.text)
        if self.legend and not self.error:
            line.append(SEP)
            for k, (word, style) in enumerate(self.legend):
                line.append(" " if k else "")
                line.append(error_line(word, limit=40), style)
        status.update(line)

    watch_article = watch_hit = watch_search_text = watch_find_text = watch_marks = _show
    watch_legend = _show
    watch_message = watch_error = watch_activity = _show

    def watch_progress(self, progress: tuple[int, int] | None) -> None:
        bars = self.query("#progress")
        if progress is None:
            bars.remove_class("active")
            return
        done, total = progress
        if bars:
            bars.first().update(total=total, progress=done)
            bars.add_class("active")
            return
        # The first progress: the bar is made and mounted now, not with the
        # line. Hidden until then, it was three widgets to style at the reader's
        # start, its module to import, and a timer of its own: a bar with no
        # total is an animation, redrawn 15 times a second, shown or not
        # (issue 15).
        from textual.widgets import ProgressBar

        bar = ProgressBar(total=total, id="progress", classes="active", show_eta=False)
        bar.progress = done
        self.mount(bar)
