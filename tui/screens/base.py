"""The one place a worker's failure is turned into what the user sees.

Every slow step (indexing, a search, reading an article, a diff) runs in a
thread worker started with :func:`thread_worker`. Such a worker does not
catch errors to format them: whatever it raises ends it in Textual's ERROR
state, and :meth:`WorkerScreen.on_worker_state_changed` says it in one line.
An engine error (:class:`~index.VariorumError`) is a sentence meant for the
user: its message is the line. Anything else is a bug: the line says
"internal error: …" and the traceback is appended to the log file
(:func:`log_path`), so the reader stays usable and the cause is kept.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path

from textual import work
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from index import Cancelled, VariorumError, clipboard, error_line, state_dir

LOG_NAME = "reader.log"
LOG_MAX = 1 << 20  # bytes: past this the log starts again (the last one kept as .1)


def sentence(s: str) -> str:
    """``s`` with a capital first letter: a phrase made the start of a sentence."""
    return s[:1].upper() + s[1:]


def thread_worker(group: str):
    """A screen's worker in a thread: a new one cancels the group's last
    (``exclusive``), and its failure is reported, never ends the app
    (``exit_on_error=False``, Textual's default being to exit)."""
    return work(thread=True, exclusive=True, group=group, exit_on_error=False)


def log_path() -> Path:
    return state_dir() / LOG_NAME


def log_failure(error: BaseException, where: str) -> Path | None:
    """Append ``error``'s traceback to the log; its path, or None if it
    cannot be written (a full disk: the status line still says the error)."""
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > LOG_MAX:
            path.replace(path.with_name(LOG_NAME + ".1"))
        with path.open("a", encoding="utf-8") as f:
            f.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} internal error in {where}\n")
            f.write("".join(traceback.format_exception(error)) + "\n")
    except OSError:
        return None
    return path


def failure_line(error: BaseException | None, where: str = "a worker") -> str | None:
    """A worker's failure as one line for the user (None: a stop that is not
    a failure, the job layer's ``Cancelled``)."""
    if error is None or isinstance(error, Cancelled):
        return None
    if isinstance(error, VariorumError):
        return error_line(error)
    path = log_failure(error, where)
    logged = f" (logged in {path})" if path is not None else ""
    return error_line(f"internal error: {type(error).__name__}: {error}{logged}")


class WorkerScreen(Screen):
    """A screen whose workers' failures are said in one line (see the module)."""

    def copy_out(self, text: str) -> str:
        """Put ``text`` on the terminal's clipboard (OSC 52), made safe for it
        (no ESC can end a bracketed paste early; at most CLIPBOARD_MAX): the
        one way out of the reader. Its first line, as a status line says it."""
        text = clipboard(text)
        self.app.copy_to_clipboard(text)
        first = text.lstrip("\n").split("\n", 1)[0]
        return f"copied: {error_line(first, limit=60)}"

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The screen's workers, and those of its widgets (which hand their
        workers' state on to their screen, e.g. ArticleView's)."""
        worker = event.worker
        node = worker.node
        if event.state is not WorkerState.ERROR or (
                node is not self and getattr(node, "screen", None) is not self):
            return
        # A worker of the same group that is still registered started after
        # this one (each start cancels the last): this failure is out of date.
        if any(w is not worker and w.node is node and w.group == worker.group
               for w in self.workers):
            return
        line = failure_line(worker.error, f"{type(node).__name__}.{worker.name}")
        if line is not None:
            self.worker_failed(worker, line)

    def worker_failed(self, worker: Worker, line: str) -> None:
        """Show a failure (``line``: one line, control-free). A screen says
        it where it belongs; by default, a toast."""
        self.notify(line, title="error", severity="error", markup=False)
