"""The reader: article list, article text with hits, search box, sidebar of
entities and quotes, status line.

Everything slow runs in thread workers (indexing, searching, loading an
article) and reports back with the messages of :mod:`tui.messages`; the UI
thread only renders. A worker that fails is said by the one handler of
:class:`~tui.screens.base.WorkerScreen`.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Sequence
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import Worker, get_current_worker

from index import (
    Article,
    Corpus,
    Entity,
    IndexBusyError,
    ListEntry,
    NotFoundError,
    Quote,
    index_of,
    sanitize,
)

from .. import gctune
from .. import messages as m
from ..commands import bindings
from ..config import SIDEBAR_MAX, SIDEBAR_MIN, Config, load_state, save_state
from ..widgets.article_list import (
    ArticleList,
    filter_clause,
    query_filters,
    toggle_clause,
    without_filters,
)
from ..widgets.article_view import ArticleView
from ..widgets.footer import Footer
from ..widgets.sidebar import Sidebar, search_query
from ..widgets.status_line import StatusLine
from .base import WorkerScreen, sentence, thread_worker

SEARCH_DEBOUNCE = 0.3  # seconds after the last keystroke
LIST_LIMIT = 2000  # most results shown in the list
SIDEBAR_MIN_WIDTH = 100  # columns: on a narrower screen the sidebar starts hidden
ARTICLE_MIN = 40  # columns the article keeps, where it can, beside the list and the sidebar
WATCH_INTERVAL = 1.0  # seconds between looks at the index's generation (one SQLite read)
BUSY = "another process is indexing this corpus"
REMOVED = "this article was removed by an update"



def display_path(p: Path) -> str:
    """A corpus path as a person would type it: relative to here, or from ~."""
    for base, prefix in ((Path.cwd(), ""), (Path.home(), "~/")):
        try:
            rel = p.relative_to(base)
        except ValueError:
            continue
        return prefix + (rel.as_posix() if rel.parts else ".")
    return str(p)


def write_pager_copy(art: Article, directory: Path) -> Path:
    """The private, read-only copy ``o`` hands to the pager: a header (title
    and path, escaped as for a terminal: the pager shows it to one) and the
    text (the article-text policy). Named after the file's stem, made safe and
    short (a 255-byte name with another suffix would be too long as .txt)."""
    stem = re.sub(r"[^\w.-]+", "_", Path(art.path).stem)[:80].strip("._") or "article"
    path = directory / f"{stem}.txt"
    path.write_text(f"{sanitize.terminal(art.title)}\n{sanitize.terminal(art.path)}\n\n"
                    f"{sanitize.body(art.text)}\n", encoding="utf-8")
    path.chmod(0o444)
    return path


def find_spans(text: str, what: str) -> list[tuple[int, int]]:
    """Where ``what`` occurs in ``text``, as less's / would find it: the words
    literally, any run of spaces or line breaks between them, ignoring case
    unless ``what`` has a capital (smart case)."""
    words = what.split()
    if not words:
        return []
    flags = 0 if any(c.isupper() for c in what) else re.IGNORECASE
    rx = re.compile(r"\s+".join(map(re.escape, words)), flags)
    return [m.span() for m in rx.finditer(text)]


def less_pattern(texts) -> str:
    """A pattern for less's ``+/`` that finds any of ``texts`` literally
    (less reads a regular expression: its special characters escaped)."""
    unique = list(dict.fromkeys(" ".join(t.split()) for t in texts if t.strip()))
    pattern = "|".join(re.sub(r"([\\.^$*+?()\[\]{}|])", r"\\\1", t) for t in unique)
    # a leading ! or @ (or ^N, ^E, …) would be one of less's search modifiers
    return "\\" + pattern if pattern[:1] in ("!", "@") else pattern


def pager_argv(argv: list[str], path: Path, texts) -> list[str]:
    """The pager's command line: with less, ``+/pattern`` opens it at the
    first of ``texts`` (the hits on screen: the query's, or the find's),
    highlighted; other pagers get the file alone."""
    pattern = less_pattern(texts)
    if pattern and Path(argv[0]).name == "less":
        return [*argv, f"+/{pattern}", str(path)]
    return [*argv, str(path)]


HISTORY_MAX = 100  # queries kept per corpus


class SearchBox(Input):
    """The search box: up and down recall the corpus's earlier queries."""

    BINDINGS = bindings("search")


class FindBox(Input):
    """The find line of the article (/ or ? there): hidden again when left."""

    def on_blur(self) -> None:
        self.remove_class("shown")


class ReaderScreen(WorkerScreen):
    """The reader. Its public attributes (``list``, ``view``, ``sidebar``,
    ``status``, ``search_text``) are what tests and benchmarks look at."""

    COMMAND_CONTEXT = "reader"  # its commands in the palette (tui.commands)
    AUTO_FOCUS = "#list"
    DEFAULT_CSS = """
    ReaderScreen { layout: vertical; }
    ReaderScreen #topbar { height: 1; background: $primary-background; color: $text;
        padding: 0 1; }
    ReaderScreen #search { height: 3; margin: 0 0; }
    ReaderScreen #main { height: 1fr; }
    ReaderScreen #list { width: 38%; min-width: 24; border-right: vkey $panel-lighten-2; }
    ReaderScreen.-cramped #list { width: 22; min-width: 22; }
    ReaderScreen #article { width: 1fr; }
    ReaderScreen #find { display: none; height: 1; border: none; padding: 0 1;
        background: $boost; }
    ReaderScreen #find.shown { display: block; }
    """
    BINDINGS = bindings("reader")

    def __init__(self, corpus: Corpus, config: Config, *, quiet_gc: bool = False,
                 watch_interval: float | None = WATCH_INTERVAL) -> None:
        """``quiet_gc``: tune the process's garbage collector once the list is
        up. ``watch_interval``: seconds between looks at the index's
        generation (None: only when :meth:`watch_generation` is called)."""
        super().__init__()
        self.corpus = corpus
        self.config = config
        self._quiet_gc = quiet_gc
        self._watch_interval = watch_interval
        self.all_articles: Sequence[ListEntry] = []
        self.search_text: str | None = None  # the query the list shows
        self.index_summary = ""  # what the last update did, kept under later messages
        self._debounce: Timer | None = None
        self._mention_index: dict[str, int] = {}  # entity name -> mention last shown
        self._sidebar_wanted = False  # shown with e on a narrow screen
        self._current_id: str | None = None  # the list's current article, for workers
        self._restore: dict | None = load_state(corpus.index_dir)  # applied when the list fills
        history = self._restore.get("history")
        self.history: list[str] = [q for q in history if isinstance(q, str)][:HISTORY_MAX] \
            if isinstance(history, list) else []  # newest first
        saved = self._restore.get("saved")
        self.saved: dict[str, str] = {k: v for k, v in saved.items() if isinstance(v, str)} \
            if isinstance(saved, dict) else {}  # name -> query, in saving order
        self._history_pos = -1  # where up/down is in the history (-1: what was typed)
        self._history_draft = ""  # what was typed before up was pressed
        self._keep: str | None = None  # article to put the cursor on when the list fills
        self._generation: int | None = None  # the index generation the list was read at
        self._watching = False  # a look at the generation is under way
        self._busy = False  # another process holds the index's update lock
        self._stay_on: str | None = None  # the article shown when the list is read again
        self._update_started = False
        self._entities_said: str | None = None  # what the entities phase said it did
        self._search_waits: str | None = None  # a query asked for before the first index
        self._found = 0  # how many articles the query shown matches (the list: LIST_LIMIT at most)
        self._find: str | None = None  # what / in the article found (its matches are the hits)
        self._find_direction = 1  # ?: backwards, and n follows it (as in less)
        self._pending_direction = 1  # the direction of the find box open now
        self._query_spans: list[tuple[int, int]] = []  # the query's hits, back after a find
        self._query_terms: list[int] = []  # the clause of the query each of those is a hit of

    # ---------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield Static(id="topbar")
        yield SearchBox(placeholder='/ search: words, "a phrase", title:…, source:…, '
                                    'date:[2024-01-01 to 2024-06-30], presid*, putn~',
                        id="search")
        with Horizontal(id="main"):
            yield ArticleList(id="list")
            yield ArticleView(id="article")
            yield Sidebar(id="sidebar")
        # (the find box: mounted when first asked for, see find_box)
        yield StatusLine(id="statusrow")
        yield Footer()

    @property
    def list(self) -> ArticleList:
        return self.query_one("#list", ArticleList)

    @property
    def view(self) -> ArticleView:
        return self.query_one("#article", ArticleView)

    @property
    def sidebar(self) -> Sidebar:
        return self.query_one("#sidebar", Sidebar)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    @property
    def search_box(self) -> Input:
        return self.query_one("#search", Input)

    def on_mount(self) -> None:
        self.list.focus()
        self.watch(self.list, "marked", lambda marked: setattr(self.status, "marks", len(marked)),
                   init=False)
        state = self._restore or {}  # what was read and bookmarked, kept per corpus
        for name in ("read", "bookmarks"):
            ids = state.get(name)
            if isinstance(ids, list):
                setattr(self.list, name, {i for i in ids if isinstance(i, str)})
        self.sidebar.styles.width = self.config.sidebar_width
        self.update_topbar()
        # Nothing here touches the index: the list loads in a worker, unless it
        # was read ahead (`variorum PATH` starts reading it before it imports
        # Textual) and is there now: then the first frame shows it, not an empty
        # list and another frame with it (issue 15: at 100k articles the frame
        # with the list came ~40 ms of CPU later). The update (scan, versions,
        # entities) starts once the list is painted, so that on a big corpus it
        # does not compete with the first paint; at once when there is no index.
        ready = self.corpus.prefetched_list()
        if ready is not None:
            self.articles_loaded(m.ArticlesLoaded(ready[1], ready[0]))
        else:
            self.reload_articles()
        # Another process (`variorum index`, another reader) may update the
        # index: its generation moves on with every commit; the list follows.
        if self._watch_interval:
            self.set_interval(self._watch_interval, self.watch_generation)

    def on_unmount(self) -> None:
        self.corpus.stop_workers()

    def leave(self) -> None:
        """Before the app exits: remember where the reader was; workers
        waiting on the NER process give up now, and the extraction it is
        doing ends (quitting must not wait for it)."""
        self.remember()
        self.workers.cancel_all()
        self.corpus.stop_workers()

    def remember(self) -> None:
        """Write the reader's state of this corpus (on quitting, and when a
        search is saved: that must not wait for a clean exit)."""
        current = self.list.current
        save_state(self.corpus.index_dir, {
            "query": self.search_text, "article": current.id if current else None,
            "marks": list(self.list.marked), "history": self.history[:HISTORY_MAX],
            "saved": self.saved,
            "read": sorted(self.list.read), "bookmarks": sorted(self.list.bookmarks)})

    def worker_failed(self, worker: Worker, line: str) -> None:
        """A worker's failure, said where it belongs (see WorkerScreen)."""
        if worker.group == "annotations":  # the sidebar says why it is empty
            self.sidebar.show_message(f"No entities: {line}")
            return
        if worker.group == "index":
            self.status.progress, self.status.activity = None, ""
        elif worker.group == "articles":
            if not self.all_articles:
                self.view.show_placeholder(f"The article list could not be read: {line}")
            self.start_update()  # the update may mend the index
        elif worker.group == "open-diff" and self.app.screen is not self:
            super().worker_failed(worker, line)  # asked for over another screen (O): a toast
        self.status.fail(line)

    # ------------------------------------------------------------- indexing
    @thread_worker("index")
    def index_corpus(self) -> None:
        worker = get_current_worker()

        def on_phase(name: str, report) -> None:
            # The list is refreshed as soon as the text index is up to date;
            # version families follow, and then the badges; then every
            # article's entities and quotes (for entity search), the article
            # on screen first (it is also done on demand meanwhile).
            if name in ("index", "index-batch"):
                self.post_message(m.Indexed(report, partial=name == "index-batch"))
            elif name == "versions" and not report.cancelled:
                counts = self.corpus.version_counts()
                # this process's own commits: not another's update to follow
                self.post_message(m.VersionsFound(counts, self.corpus.generation()))
            elif name == "entities" and not report.cancelled:
                self.post_message(m.EntitiesDone(report))
            elif name == "spin" and not report.cancelled:
                self.post_message(m.SpinDone(report))

        if self.all_articles:  # an index exists: open its searcher before the update
            self.corpus.warm()  # runs, so that the first query does not wait for it
        try:
            self.corpus.update(
                progress=lambda phase, d, t: self.post_message(m.IndexProgress(d, t, phase)),
                cancel=lambda: worker.is_cancelled, entities=True,
                first=lambda: [c] if (c := self._current_id) else [],  # read when it starts
                extract_here=False,  # NER never runs in the reader's own process
                on_phase=on_phase)
        except IndexBusyError:  # tried again when the generation is next looked at
            self.post_message(m.Busy())

    def start_update(self) -> None:
        if not self._update_started:
            self._update_started = True
            self.index_corpus()

    @on(m.IndexProgress)
    def index_progress(self, msg: m.IndexProgress) -> None:
        status = self.status  # the activity, beside what was said (an error stays)
        status.progress = (msg.done, msg.total)
        if msg.phase == "entities":
            status.activity = f"entities: {msg.done} of {msg.total} articles"
        elif msg.phase == "spin":
            status.activity = f"spin reports: {msg.done} of {msg.total} rewrites"
        elif msg.phase != "reading":
            status.activity = f"versions: {msg.phase} {msg.done} of {msg.total}"
        elif msg.done < msg.total:
            status.activity = f"indexing: read {msg.done} of {msg.total} files"
        else:  # no bar: this step has no count to show
            status.progress = None
            status.activity = (f"indexing: read all {msg.total} files; saving their texts "
                               "and search terms")

    @on(m.Indexed)
    def indexed(self, msg: m.Indexed) -> None:
        r = msg.report
        if msg.partial:  # the first files of a first index: listed while the rest are read
            self.status.activity = (f"indexing: the first {r.articles_total} articles are "
                                    "listed; reading the others")
            self.reload_articles()
            return
        self.status.progress, self.status.activity = None, ""
        if r.cancelled:
            return
        parts = [f"{r.articles_total} articles"]
        if r.changed_anything:
            parts.append(f"{r.files_new} new, {r.files_changed} changed, "
                         f"{r.files_deleted} deleted files")
        if r.skipped:
            parts.append(f"{len(r.skipped)} skipped (see `variorum index`)")
        self.index_summary = "; ".join(parts)
        self._after_summary(None)
        if r.changed_anything or not self.all_articles:
            self.reload_articles()
        waiting, self._search_waits = self._search_waits, None
        if waiting and waiting == self.search_box.value.strip():  # asked for while it was made
            self.run_search(waiting)

    def _after_summary(self, what: str | None) -> None:
        """Say ``what`` after what the update did (an error said stays: the
        summary waits for the next message)."""
        self.status.activity = ""
        if not self.status.error:
            self.status.say("; ".join(p for p in (self.index_summary, what) if p))

    @on(m.VersionsFound)
    def versions_found(self, msg: m.VersionsFound) -> None:
        self.status.progress = None
        self.list.set_badges(msg.counts)
        if self.view.article is not None:
            self.view.set_versions(msg.counts.get(self.view.article.id, 0))
        if msg.generation is not None and self.all_articles:
            self._generation = msg.generation
        self._after_summary(f"{len(msg.counts)} articles have versions (v)"
                            if msg.counts else None)

    @on(m.EntitiesDone)
    def entities_done(self, msg: m.EntitiesDone) -> None:
        self.status.progress = None
        r = msg.report
        self._entities_said = (f"entities of {r.total} articles ready for search "
                               f"({r.extractor})" if r.done else None)
        self._after_summary(self._entities_said)  # (none new: the progress said is over)

    @on(m.SpinDone)
    def spin_done(self, msg: m.SpinDone) -> None:
        """The families and the rewrites' spin counts are up to date: an
        outlets table opened before then is read again."""
        from .outlets import OutletsScreen

        self.status.progress = None
        r = msg.report
        if r.done:  # said after what the entities phase said, which it must not hide
            self._after_summary("; ".join(p for p in (
                self._entities_said, f"{r.done} rewrite{'s' * (r.done != 1)} checked for "
                "changed names and quotes (O: who republishes whom)") if p))
        else:  # none new: what was said stays, the progress is over
            self.status.activity = ""
        for screen in self.app.screen_stack:
            if isinstance(screen, OutletsScreen):
                screen.load()

    @on(m.Busy)
    def busy(self, msg: m.Busy) -> None:
        self.status.progress, self.status.activity = None, ""
        self._busy = True
        self._update_started = False  # started again once the other process is done
        if self.all_articles:
            self.status.say(f"{BUSY}; the list will reload when it finishes")
        else:
            self.status.say(f"{BUSY}; the list will load when it finishes")
            self.view.show_placeholder(f"{sentence(BUSY)}; the list will load when it finishes.")

    # ------------------------------------------------------------- the list
    def reload_articles(self) -> None:
        self.articles_worker()

    @thread_worker("articles")
    def articles_worker(self) -> None:
        from index import IndexMissingError

        try:
            # together (the list at least as new as the generation: see listed)
            generation, articles = self.corpus.listed()
        except IndexMissingError:  # the first run: the update builds the index
            self.post_message(m.Placeholder(
                f"{sentence(BUSY)}; the list will load when it finishes."
                if self._busy else "Indexing… articles are listed as soon as they are read."))
            return
        self.post_message(m.ArticlesLoaded(articles, generation))

    @on(m.Placeholder)
    def placeholder(self, msg: m.Placeholder) -> None:
        if not self.all_articles:
            self.view.show_placeholder(msg.text)
        self.start_update()

    @on(m.ArticlesLoaded)
    def articles_loaded(self, msg: m.ArticlesLoaded) -> None:
        if self._quiet_gc:
            self._quiet_gc = False  # once, when the first list is on screen
            self.call_after_refresh(gctune.settle)
        self.all_articles = msg.articles
        if msg.generation is not None:
            self._generation = msg.generation
        self.update_topbar()
        self.call_after_refresh(self.start_update)  # after the list is on screen
        restore, self._restore = self._restore, None
        if restore:  # where the reader was last time on this corpus
            def known(i) -> bool:
                return isinstance(i, str) and index_of(msg.articles, i) is not None

            marks = restore.get("marks")
            self.list.marked = [i for i in marks if known(i)][:2] \
                if isinstance(marks, list) else []
            self._keep = restore.get("article") if known(restore.get("article")) else None
            query = restore.get("query")
            if isinstance(query, str) and query and sanitize.error_line(query) == query:
                # (a state file edited to hold controls is not put in the search box)
                with self.prevent(Input.Changed):  # searched just below, not again on a timer
                    self.search_box.value = query
                self.run_search(query)
                return
        if self.search_text:
            self.run_search(self.search_text)
        else:
            keep = self._keep or (self.list.current.id if self.list.current else None)
            self._keep = None
            self.list.set_items(self.all_articles, keep=keep, near=self.list.cursor,
                                ranked=False)
            if not self.all_articles:
                self.view.show_placeholder("This corpus has no readable articles.")

    def update_topbar(self) -> None:
        bar = Text("variorum", style="bold")
        bar.append(f"  {sanitize.terminal(display_path(self.corpus.root))}")
        if self.all_articles:
            bar.append(f"  ·  {len(self.all_articles)} articles", style="dim")
        self.query_one("#topbar", Static).update(bar)

    # -------------------------------------------------- another process's update
    def watch_generation(self) -> None:
        """Every WATCH_INTERVAL: look at the index's generation (in a worker:
        the UI thread never waits on the store or the index lock)."""
        if self._watching:
            return
        self._watching = True
        self.generation_worker()

    @thread_worker("watch")
    def generation_worker(self) -> None:
        try:
            generation = self.corpus.generation()
        except Exception:  # no complete index yet (another process is making it)
            generation = None
        self.post_message(m.GenerationSeen(generation))

    @on(m.GenerationSeen)
    def generation_seen(self, msg: m.GenerationSeen) -> None:
        self._watching = False
        if self._busy:  # the other process may be done: try the update again
            self._busy = False
            self.start_update()
        if msg.generation is None or msg.generation == self._generation:
            return
        # another process committed an update (or this one did and the list is
        # about to reload anyway): read the list again, and the badges
        self._generation = msg.generation
        self._stay_on = self.view.article.id if self.view.article is not None else None
        self.reload_articles()
        self.badges_worker()

    @thread_worker("badges")
    def badges_worker(self) -> None:
        try:
            counts = self.corpus.version_counts()
        except Exception:  # the badges stay as they were; the next update redoes them
            return
        self.post_message(m.BadgesLoaded(counts))

    @on(m.BadgesLoaded)
    def badges_loaded(self, msg: m.BadgesLoaded) -> None:
        self.list.set_badges(msg.counts)
        if self.view.article is not None:
            self.view.set_versions(msg.counts.get(self.view.article.id, 0))

    # --------------------------------------------------------------- search
    def action_focus_search(self) -> None:
        self.search_box.focus()

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        if self._history_pos >= 0 and event.value != self.history[self._history_pos]:
            self._history_pos = -1  # edited: a new query, not the history's
        if self._debounce is not None:
            self._debounce.stop()
        value = event.value
        self._debounce = self.set_timer(SEARCH_DEBOUNCE, lambda: self.run_search(value))

    @on(Input.Submitted, "#search")
    def search_submitted(self, event: Input.Submitted) -> None:
        self.search_for(event.value, fill_box=False)

    def search_for(self, value: str, fill_box: bool = True) -> None:
        """Search now (not after the typing pause), then go to the results."""
        if fill_box:
            self.search_box.value = value
        if self._debounce is not None:
            self._debounce.stop()
        query = value.strip()
        if query:  # the history: queries gone to (Enter), not every prefix typed
            self.history = [query, *(q for q in self.history if q != query)][:HISTORY_MAX]
        self._history_pos = -1
        self.run_search(value)
        self.list.focus()

    def run_search(self, value: str) -> None:
        value = value.strip()
        if not value:
            self.clear_search()
            return
        self.status.say(f"searching {value}…")
        self.search_worker(value)

    @thread_worker("search")
    def search_worker(self, value: str) -> None:
        from index import IndexMissingError

        try:
            result = self.corpus.search(value, limit=LIST_LIMIT, spans=False)
        except IndexMissingError:
            if not self._update_started:
                raise
            self.post_message(m.SearchWaits(value))  # the first index is being made
            return
        if not get_current_worker().is_cancelled:
            self.post_message(m.Searched(value, result))

    @on(m.SearchWaits)
    def search_waits(self, msg: m.SearchWaits) -> None:
        self._search_waits = msg.query
        self.status.say("the index is being made: the search runs when it is ready")

    @on(m.Searched)
    def searched(self, msg: m.Searched) -> None:
        if msg.query != self.search_box.value.strip():
            return  # the box has changed since: a newer search (or none) applies
        same = msg.query == self.search_text  # the same query again (debounce, re-index)
        keep = self._keep or (self.list.current.id if same and self.list.current else None)
        self._keep = None
        self.search_text = self.status.search_text = msg.query
        items = [h.entry for h in msg.result.hits]
        self.list.set_query(msg.query)
        self.list.set_items(items, keep=keep, near=self.list.cursor if same else 0, ranked=True)
        total = self._found = msg.result.total
        said = f"{total} result{'s' if total != 1 else ''}"
        if total > len(items):
            said += f" (showing {len(items)})"
        if msg.result.suggestion:
            said += f" · did you mean: {msg.result.suggestion}"
        if not items:
            self.view.show_placeholder("No article matches this query.")
        self.status.say(said)

    # -------------------------------------------- history, saved searches
    def action_history(self, step: int) -> None:
        """Up (1) and down (-1) in the search box: older and newer queries."""
        if not self.history:
            return
        box = self.search_box
        if self._history_pos == -1:
            self._history_draft = box.value
            if step > 0 and box.value.strip() == self.history[0]:
                step = 2  # the newest is what the box holds: the one before it
        pos = max(-1, min(len(self.history) - 1, self._history_pos + step))
        if pos == self._history_pos:
            return
        self._history_pos = pos
        box.value = self._history_draft if pos == -1 else self.history[pos]
        box.cursor_position = len(box.value)
        self.status.say("" if pos == -1 else
                        f"query {pos + 1} of {len(self.history)} in the history (↑ older, "
                        "↓ newer, Enter searches)")

    def action_save_search(self) -> None:
        query = self.search_box.value.strip() or self.search_text
        if not query:
            self.status.say("no query to save: type one in the search box (/) first")
            return
        from .saved import SaveSearchScreen

        def saved(name: str | None) -> None:
            if name:
                self.saved.pop(name, None)  # saved again: it moves to the end
                self.saved[name] = query
                self.remember()
                self.status.say(f"saved as {name}: ' lists the saved searches")

        self.app.push_screen(SaveSearchScreen(query), saved)

    def action_saved_searches(self) -> None:
        if not self.saved:
            self.status.say("no saved searches yet: ctrl+s saves the query")
            return
        from .saved import SavedSearchesScreen

        def forget(name: str) -> None:
            self.saved.pop(name, None)
            self.remember()

        def chosen(query: str | None) -> None:
            if query:
                self.search_for(query)

        self.app.push_screen(SavedSearchesScreen(self.saved, forget), chosen)

    def clear_search(self) -> None:
        self.workers.cancel_group(self, "search")
        self.search_text = self.status.search_text = None
        keep = self.list.current.id if self.list.current else None
        self.list.set_query(None)
        self.list.set_items(self.all_articles, keep=keep, ranked=False)
        self.status.say("")

    def key_escape(self) -> bool:
        """Before Esc's binding (reader.back): Textual's own Esc clears a
        selection, and would do so before the binding could tell that Esc
        was meant for it; here the selection is left to action_back."""
        return False  # not handled here: the binding runs

    def action_back(self) -> None:
        """Esc: leave the search box; elsewhere, clear the query (one that
        could not be searched too, with its error)."""
        search = self.search_box
        finding = self.focused is not None and self.focused.id == "find"
        if self.selections and not (finding or search.has_focus):
            self.clear_selection()  # a selection first: what Esc undoes is what was done last
            self.status.say("")
        elif finding:
            self.focused.remove_class("shown")
            self.view.focus()
        elif search.has_focus:
            self.list.focus()
        elif self._find is not None:
            self.clear_find()
        elif self.search_text or search.value:
            if self._debounce is not None:
                self._debounce.stop()
            with self.prevent(Input.Changed):
                search.value = ""
            self.clear_search()

    def action_focus_pane(self, direction: int) -> None:
        """Tab / shift+Tab: the panes in turn, list → article → sidebar (when
        shown); never the search box (/ goes there)."""
        panes = [self.list, self.view]
        if self.sidebar.display:
            panes.append(self.query_one("#sidebar-list"))
        focused = self.focused
        if focused in panes:
            k = (panes.index(focused) + direction) % len(panes)
        else:  # the search box, or nothing: the list first (backwards: the last pane)
            k = 0 if direction > 0 else len(panes) - 1
        panes[k].focus()

    # -------------------------------------------------------------- reading
    @on(ArticleList.Highlighted)
    def article_highlighted(self, event: ArticleList.Highlighted) -> None:
        self._current_id = event.article.id if event.article is not None else None
        self.status.article = (event.index, event.count)
        if event.article is not None:
            self.load_article(event.article.id, self.search_text)
        else:  # an empty list: nothing of the last article stays on screen
            self.workers.cancel_group(self, "article")
            self.workers.cancel_group(self, "annotations")
            if self.view.article is not None:
                self.view.show_placeholder("No article in the list." if self.all_articles
                                           else self.view.placeholder)
            self.sidebar.show_message("")

    @on(ArticleList.Chosen)
    def article_chosen(self, event: ArticleList.Chosen) -> None:
        self.view.focus()

    @thread_worker("article")
    def load_article(self, article_id: str, query: str | None) -> None:
        try:
            article = self.corpus.get(article_id)
            hits = self.corpus.term_hits(article, query) if query else None
        except NotFoundError:  # an update by another process removed it
            self.post_message(m.ArticleRemoved(article_id))
            return
        text = sanitize.body(article.text)  # here, not on the UI thread: one scan
        if text is not article.text:
            article = dataclasses.replace(article, text=text)
        if not get_current_worker().is_cancelled:
            self.post_message(m.Loaded(article, hits.plain if hits else [], query,
                                       [k for _s, _e, k in hits.spans] if hits else []))

    @on(m.ArticleRemoved)
    def article_removed(self, msg: m.ArticleRemoved) -> None:
        current = self.list.current
        if current is not None and current.id == msg.article_id:
            self.view.show_placeholder(f"{sentence(REMOVED)}.")
            self.sidebar.show_message("")
            self.status.say(REMOVED)
            self.watch_generation()  # at once, not at the next tick

    @on(m.Loaded)
    def loaded(self, msg: m.Loaded) -> None:
        current = self.list.current
        if current is None or current.id != msg.article.id:
            return  # the cursor has moved on
        stay, self._stay_on = self._stay_on, None
        shown = self.view.article
        if (stay == current.id and shown is not None and shown == msg.article
                and self.view.spans == sorted(msg.spans)):
            return  # read again after another process's update, unchanged: stay put
        self._query_spans = list(msg.spans)
        self._query_terms = list(msg.terms)
        self.clear_find(show=False)
        self.view.show_article(msg.article, msg.spans, msg.terms,
                               versions=self.list.badges.get(current.id, 0))
        self.status.legend = self.legend()
        self.list.mark_read(current.id)
        self._mention_index.clear()
        self.sidebar.show_message("Extracting entities and quotes…")
        # after the text is on screen: decoding a long article's entities in a
        # worker would otherwise hold the GIL while the first frame is drawn
        self.call_after_refresh(self.annotations_worker, msg.article)

    @on(m.Position)
    def hit_changed(self, event: m.Position) -> None:
        self.status.hit = (event.index, event.total)

    def action_next_hit(self) -> None:
        self.view.next_hit() if self._find_direction > 0 else self.view.prev_hit()

    def action_prev_hit(self) -> None:
        self.view.prev_hit() if self._find_direction > 0 else self.view.next_hit()

    # ------------------------------------------------------ find in the article
    def action_find(self, direction: int) -> None:
        """/ (or ? backwards) in the article: find in its text, as less does."""
        if self.view.article is None:
            return
        box = self.find_box()
        box.placeholder = ("find in this article" if direction > 0 else
                           "find backwards in this article") + ": Enter finds, Esc cancels"
        self._pending_direction = direction
        box.value = ""
        box.add_class("shown")
        box.focus()

    def find_box(self) -> FindBox:
        """The find line, mounted the first time it is asked for (below the
        article, above the status line): a hidden Input at the reader's start
        was one more widget to style before the first paint (issue 15)."""
        found = self.query("#find")
        if found:
            return found.first(FindBox)
        box = FindBox(id="find")
        self.mount(box, before=self.status)
        return box

    @on(Input.Submitted, "#find")
    def find_submitted(self, event: Input.Submitted) -> None:
        event.input.remove_class("shown")
        self.view.focus()
        what = event.value.strip()
        if what:
            self.find(what, self._pending_direction)

    def find(self, what: str, direction: int = 1) -> None:
        """Mark every match of ``what`` in the article as its hits and go to
        the first one after the top of the screen (``direction`` -1: the
        last one before it); n and N then move in that direction."""
        view = self.view
        spans = find_spans(view.text, what)
        self._find, self._find_direction = what, direction
        self.status.find_text = what
        self.status.legend = []
        top = view.offset_at_top()
        view.set_spans(spans)
        if not spans:
            self.status.say(f"not in this article: {what}")
            return
        if direction > 0:
            k = next((i for i, (s, _e) in enumerate(spans) if s >= top), 0)
        else:
            k = next((i for i in range(len(spans) - 1, -1, -1) if spans[i][0] < top),
                     len(spans) - 1)
        view.goto_hit(k)
        self.status.say("n: next match, N: previous, Esc: the query's hits again")

    def clear_find(self, show: bool = True) -> None:
        """The find is over: the query's hits are the hits again."""
        if self._find is None:
            return
        self._find, self._find_direction = None, 1
        self.status.find_text = None
        if show:
            self.view.set_spans(self._query_spans, terms=self._query_terms)
            self.status.legend = self.legend()
            self.status.say("")

    def legend(self) -> list[tuple[str, Style]]:
        """With a query of several words or phrases: each one's hits as this
        article spells them most often, in its hit colour (the status line's
        legend)."""
        view = self.view
        forms: dict[int, dict[str, int]] = {}
        for (s, e), k in zip(view.spans, view.span_terms, strict=False):
            word = " ".join(view.text[s:e].split())
            forms.setdefault(k, {}).setdefault(word, 0)
            forms[k][word] += 1
        if len(forms) < 2:
            return []
        return [(max(forms[k], key=forms[k].get), view.hit_style(k)) for k in sorted(forms)]

    # ----------------------------------------------------- entities, quotes
    @thread_worker("annotations")
    def annotations_worker(self, article: Article) -> None:
        worker = get_current_worker()
        ann = self.corpus.cached_annotations(article)
        if ann is None:
            # NER runs in the engine's extraction process, never in the
            # reader's; a cursor that moved on stops the wait (and the
            # queued job). (A process that died is replaced by the engine.)
            ann = self.corpus.annotations(article, cancel=lambda: worker.is_cancelled,
                                          extract_here=False)
        if not worker.is_cancelled:
            self.post_message(m.AnnotationsLoaded(article.id, ann))

    @on(m.AnnotationsLoaded)
    def annotations_loaded(self, msg: m.AnnotationsLoaded) -> None:
        if self.view.article is None or self.view.article.id != msg.article_id:
            return  # another article is on screen now
        ann = msg.annotations
        self.sidebar.show(ann)
        self.view.set_tints([span for e in ann.entities if e.label != "DATE"
                             for span in e.mentions],
                            [(q.start, q.end) for q in ann.quotes])

    @on(Sidebar.EntityHighlighted)
    def entity_highlighted(self, event: Sidebar.EntityHighlighted) -> None:
        e = event.entity
        self.view.select_spans(e.mentions if e else [])
        if e is not None:
            self.status.say(f"{e.name}: {e.count} mention{'s' if e.count != 1 else ''}"
                            f" · enter: next mention · s: search the corpus for "
                            f"{search_query(e)}")

    @on(Sidebar.EntityChosen)
    def entity_chosen(self, event: Sidebar.EntityChosen) -> None:
        e = event.entity
        k = self._mention_index.get(e.name, -1) + 1
        self._mention_index[e.name] = k
        self.view.select_spans(e.mentions, scroll_to=k)
        self.status.say(f"{e.name}: mention {k % max(e.count, 1) + 1} of {e.count}"
                        f" · s: search the corpus for {search_query(e)}")

    @on(Sidebar.QuoteChosen)
    def quote_chosen(self, event: Sidebar.QuoteChosen) -> None:
        q = event.quote
        self.view.select_spans([(q.start, q.end)], scroll_to=0)
        what = "quoted phrase" if q.kind == "phrase" else "quote"
        self.status.say(f"{what} by {q.speaker}" if q.speaker
                        else "quoted phrase (the writer's)" if q.kind == "phrase"
                        else "quote (speaker not named)")

    @on(Sidebar.SearchEntity)
    def search_entity(self, event: Sidebar.SearchEntity) -> None:
        e = self.sidebar.highlighted
        if isinstance(e, Entity):
            self.search_for(search_query(e))

    def action_toggle_sidebar(self) -> None:
        sb = self.sidebar
        if sb.has_class("hidden") or sb.has_class("auto-hidden"):
            sb.remove_class("hidden", "auto-hidden")
            self._sidebar_wanted = True
        else:
            sb.add_class("hidden")
            self._sidebar_wanted = False
        if not sb.display and sb.has_focus_within:
            self.list.focus()
        self.fit_panes()

    def action_sidebar_width(self, delta: int) -> None:
        """Wider or narrower by ``delta`` columns: narrower than the least
        width hides the sidebar, wider shows a hidden one."""
        sb = self.sidebar
        hidden = sb.has_class("hidden") or sb.has_class("auto-hidden")
        width = self.config.sidebar_width
        if delta < 0 and (hidden or width <= SIDEBAR_MIN):
            if not hidden:
                self.action_toggle_sidebar()
            self.status.say("sidebar hidden")
            return
        if delta > 0 and hidden:
            self.action_toggle_sidebar()
        else:
            width = max(SIDEBAR_MIN, min(SIDEBAR_MAX, width + delta))
            self.config.sidebar_width = width
            sb.styles.width = width
            self.fit_panes()
        self.status.say(f"sidebar: {width} columns")

    def on_resize(self, event) -> None:
        # On a narrow screen the sidebar starts hidden (e shows it anyway).
        narrow = event.size.width < SIDEBAR_MIN_WIDTH
        self.sidebar.set_class(narrow and not self._sidebar_wanted, "auto-hidden")
        self.fit_panes()

    def fit_panes(self) -> None:
        """With the sidebar shown on a narrow screen, the list gives up width
        so that the article keeps ARTICLE_MIN columns where it can."""
        sb = self.sidebar
        shown = not (sb.has_class("hidden") or sb.has_class("auto-hidden"))
        width = self.size.width
        article = width - round(width * 0.38) - self.config.sidebar_width
        self.set_class(shown and article < ARTICLE_MIN, "-cramped")

    def action_toggle_tints(self) -> None:
        on_ = self.view.toggle_tints()
        self.status.say("entities and quotes tinted" if on_ else "tints off")

    # ------------------------------------------------ sort, filter, bookmarks
    def action_cycle_sort(self) -> None:
        name = self.list.cycle_sort()
        said = f"sorted by {name} (S: the next sort)"
        shown = len(self.list.items)
        if name in ("date", "source") and shown and not any(
                getattr(e, name) for e in self.list.items):
            said += f"; no article here has a {name}: the order stays as it was"
        if self.search_text and self._found > shown:  # the list holds the most relevant only
            said += f"; the {shown} most relevant of {self._found} results"
        self.status.say(said)

    def action_filter_menu(self) -> None:
        from .filters import FiltersScreen

        def menu_entry(clause: str) -> str:  # the menu's name for a clause in force
            if clause.startswith(("source:", "path:")):
                return "source"
            if clause.startswith("date:"):
                return "dates" if clause.startswith("date:[") else "month"
            return clause

        active = {menu_entry(c) for c in query_filters(self.search_box.value)}
        if self.list.only_bookmarks:
            active.add("bookmarks")
        self.app.push_screen(FiltersScreen(active, self.config.keymap), self.apply_filter)

    def apply_filter(self, what: str | None) -> None:
        """A filter of the menu, on or off: a query field added to the
        search or taken out of it (``dates``: typed in the search box)."""
        if not what:
            return
        query = self.search_box.value.strip()
        current = self.list.current
        if what == "bookmarks":
            on = self.list.toggle_only_bookmarks()
            self.status.say("only the bookmarked articles" if on else "every article")
            return
        if what == "clear":
            if self.list.only_bookmarks:
                self.list.toggle_only_bookmarks()
            self.search_for(without_filters(query))
            return
        if what == "dates":
            day = (current.date if current else "") or ""
            self.search_box.value = f"{query} date:[{day} to {day}]".strip()
            self.search_box.focus()
            self.status.say("type the first and last day (YYYY-MM-DD), then Enter")
            return
        clause, problem = filter_clause(what, current)
        if clause is None:
            self.status.say(problem or "")
            return
        self.search_for(toggle_clause(query, clause))

    def action_bookmark(self) -> None:
        on = self.list.toggle_bookmark()
        if on is not None:
            self.remember()  # at once, as saved searches are: a crash must not lose it
            self.status.say("bookmarked (★)" if on else "bookmark dropped")

    # ------------------------------------------------------------- versions
    def action_versions(self) -> None:
        current = self.list.current
        if current is not None:
            self.family_worker(current.id)

    @thread_worker("versions")
    def family_worker(self, article_id: str, diff: bool = False) -> None:
        self.post_message(m.FamilyLoaded(article_id, self.corpus.family_of(article_id), diff))

    @on(m.FamilyLoaded)
    def family_loaded(self, msg: m.FamilyLoaded) -> None:
        current = self.list.current
        if current is None or current.id != msg.article_id:
            return  # the cursor has moved on
        if msg.family is None:
            self.status.say("this article has no other versions")
            return
        if msg.diff and len(msg.family.members) == 2:  # only one other version: diff it
            other = next(x.id for x in msg.family.members if x.id != msg.article_id)
            self.diff_worker(msg.article_id, other)
            return
        from .versions import VersionsScreen

        self.app.push_screen(VersionsScreen(msg.family, msg.article_id, diff=msg.diff),
                             self.open_version)

    def open_version(self, article_id: str | None) -> None:
        if not article_id:
            return
        if article_id.startswith("diff:"):
            current = self.list.current
            if current is not None:
                self.diff_worker(current.id, article_id[5:])
            return
        if index_of(self.list.items, article_id) is None:
            self.search_box.value = ""
            self.clear_search()
        k = index_of(self.list.items, article_id)
        if k is not None:
            self.list.cursor = k
        self.list.focus()

    # ------------------------------------------------------------------ diff
    def action_mark(self) -> None:
        before = list(self.list.marked)
        marked = self.list.toggle_mark()
        if len(before) == 2 and len(marked) == 2:  # a third mark: the oldest gave way
            dropped = next(i for i in before if i not in marked)
            k = index_of(self.list.items, dropped)
            name = f"article {k + 1}" if k is not None else "an article no longer listed"
            self.status.say(f"marked as ②; {name} is no longer marked (two marks at most): "
                            "d shows what changed from ① to ②")
        elif len(marked) < len(before):
            self.status.say("unmarked")
        else:
            self.status.say("mark another with m: d then shows what changed"
                            if len(marked) == 1
                            else "2 articles marked: d shows what changed from ① to ②")

    def action_diff(self) -> None:
        marked = self.list.marked
        if len(marked) == 2:
            self.list.clear_marks()
            self.status.say("the marks are cleared: the diff is of ① and ②")
            self.diff_worker(marked[0], marked[1])
            return
        current = self.list.current
        if current is None:
            return
        if self.list.badges.get(current.id):
            self.family_worker(current.id, True)
        else:
            self.status.say("this article has no versions: mark two articles with m, "
                            "then d shows what changed")

    @thread_worker("open-diff")
    def diff_worker(self, id_a: str, id_b: str) -> None:
        self.post_message(m.OpenDiff(self.corpus.get(id_a), self.corpus.get(id_b)))

    @on(m.OpenDiff)
    def open_diff(self, msg: m.OpenDiff) -> None:
        from .diff import DiffScreen

        self.app.push_screen(DiffScreen(self.corpus, msg.a, msg.b))

    # --------------------------------------------------------------- outlets
    def action_outlets(self) -> None:
        """O: who republishes whom; a version chosen there opens its diff
        through :meth:`diff_worker`, over that screen."""
        from .outlets import OutletsScreen

        self.app.push_screen(OutletsScreen(self.corpus, self.diff_worker))

    # ------------------------------------------------------- help, copy, open
    def action_help(self) -> None:
        from .help import HelpScreen

        focused = self.focused
        context = ("list" if focused is self.list else
                   "article" if focused is self.view else
                   "sidebar" if focused is not None and focused.id == "sidebar-list" else
                   "reader")
        self.app.push_screen(HelpScreen(self.config.keymap, context))

    def action_select_paragraph(self) -> None:
        """V in the article: select a paragraph; again: the next one too."""
        view = self.view
        extend = view._kbd_selection is not None and bool(self.selections)
        got = view.select_paragraph(extend=extend)
        if got is not None:
            words = len(view.text[got[0]:got[1]].split())
            self.status.say(f"selected {words} words · V: and the next paragraph · y copies "
                            "· Esc clears")

    def action_copy(self) -> None:
        """y: the text selected (a mouse drag, or V), else the quote selected
        in the sidebar, else the article's title and path (through the
        terminal's clipboard, OSC 52)."""
        item = self.sidebar.highlighted if self.sidebar.display else None
        art = self.view.article
        selected = self.get_selected_text()
        if selected:
            text = sanitize.body(selected)
        elif isinstance(item, Quote):
            text = f"“{item.text}”" + (f" ({sanitize.terminal(item.speaker)})"
                                       if item.speaker else "")
        elif art is not None:  # each one line: a newline in a name shows as \x0a
            text = f"{sanitize.terminal(art.title)}\n{sanitize.terminal(art.path)}"
        else:
            return
        self.status.say(self.copy_out(text))

    def action_open_external(self) -> None:
        """o: the article in $PAGER (else $EDITOR, else less), read-only: a
        private copy of its text, never the corpus file."""
        import shlex
        import shutil
        import subprocess
        import tempfile

        art = self.view.article
        if art is None:
            return
        cmd = os.environ.get("PAGER") or os.environ.get("EDITOR") or "less"
        try:
            argv = shlex.split(cmd)
        except ValueError:  # an unbalanced quote in $PAGER
            argv = []
        if not argv or shutil.which(argv[0]) is None:
            self.status.fail(f"cannot open: {cmd!r} is not installed (set $PAGER or $EDITOR)")
            return
        with tempfile.TemporaryDirectory(prefix="variorum-") as d:
            try:
                path = write_pager_copy(art, Path(d))
            except OSError as e:  # a full disk, say: one line, no traceback
                self.status.fail(f"cannot write a copy to open: "
                                 f"{e.strerror or type(e).__name__}")
                return
            try:
                view = self.view
                texts = [view.text[a:b] for a, b in view.spans]
                with self.app.suspend():
                    subprocess.run(pager_argv(argv, path, texts), check=False)
            except Exception as e:  # no terminal to hand over (headless, or a test)
                self.status.fail(f"cannot open {cmd}: {type(e).__name__}")
                return
        self.app.refresh()
