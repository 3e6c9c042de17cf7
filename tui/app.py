"""The reader: article list, article text with hits, search box, status line.

Everything slow runs in thread workers (indexing, searching, loading an
article) and reports back with messages; the UI thread only renders.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, Input, ProgressBar, Static
from textual.worker import get_current_worker

from index import (
    Annotations,
    Article,
    Corpus,
    EntitiesReport,
    Entity,
    IndexBusyError,
    ListEntry,
    NotFoundError,
    SearchResult,
    UpdateReport,
    VariorumError,
    index_of,
    sanitize,
)

from .commands import COMMANDS, bindings
from .config import Config, checked_theme, load_state, save_state
from .widgets.article_list import ArticleList
from .widgets.article_view import ArticleView
from .widgets.sidebar import Sidebar, search_query

SEARCH_DEBOUNCE = 0.3  # seconds after the last keystroke
GC_THRESHOLD = 10_000  # allocations between young collections (Python's default: 700)
LIST_LIMIT = 2000  # most results shown in the list
SIDEBAR_MIN_WIDTH = 100  # columns: on a narrower screen the sidebar starts hidden
WATCH_INTERVAL = 1.0  # seconds between looks at the index's generation (one SQLite read)
BUSY = "another process is indexing this corpus"
REMOVED = "this article was removed by an update"


@dataclass
class _Loaded:
    article: Article
    spans: list[tuple[int, int]]
    query: str | None


def _while_open(handler):
    """A handler of what a worker posted: skipped once the app is exiting (its
    widgets may be gone already: a worker's progress that arrives as the app
    closes must not raise)."""

    @functools.wraps(handler)
    def handle(self, msg):
        if self._exit or not self.is_running:
            return None
        return handler(self, msg)

    return handle


def _say(e: Exception) -> str:
    """An engine error as one line for the status bar."""
    return str(e) if isinstance(e, VariorumError) else f"{type(e).__name__}: {e}"


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker now, while ``sys.stderr`` is
    the real one. Started later, from inside the running app (the first
    worker process: indexing, versions, NER), it would be handed the file
    descriptor of Textual's stderr capture, -1, and every worker process
    would fail to start ("bad value(s) in fds_to_keep")."""
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()


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
    import re

    stem = re.sub(r"[^\w.-]+", "_", Path(art.path).stem)[:80].strip("._") or "article"
    path = directory / f"{stem}.txt"
    path.write_text(f"{sanitize.terminal(art.title)}\n{sanitize.terminal(art.path)}\n\n"
                    f"{sanitize.body(art.text)}\n", encoding="utf-8")
    path.chmod(0o444)
    return path


def _quiet_gc() -> None:
    """Keep the cyclic GC's full collections short: they stop every thread,
    the reader's too, and on a big corpus the background update makes them
    frequent. What exists once the reader is up (Textual's widgets, the
    modules) is frozen out of them, and young collections run less often."""
    import gc

    gc.collect()  # what is garbage now is not frozen with the rest
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 10, 10)


class VariorumApp(App):
    TITLE = "variorum"
    CSS = """
    Screen { layout: vertical; }
    #topbar { height: 1; background: $primary-background; color: $text; padding: 0 1; }
    #search { height: 3; margin: 0 0; }
    #main { height: 1fr; }
    #list { width: 30%; min-width: 24; border-right: vkey $panel-lighten-2; }
    #article { width: 1fr; }
    #statusrow { height: 1; }
    #status { width: 1fr; height: 1; padding: 0 1; background: $panel; }
    #status.error { background: $error; color: $text; }
    #progress { width: 40; height: 1; display: none; }
    #progress.active { display: block; }
    ArticleList > .article-list--cursor { background: $accent; color: $text; text-style: bold; }
    ArticleList:blur > .article-list--cursor { background: $panel-lighten-2; }
    ArticleList > .article-list--meta { color: $text-muted; }
    ArticleList > .article-list--badge { color: $success; text-style: bold; }
    ArticleList > .article-list--mark { color: $warning; text-style: bold; }
    ArticleView > .article-view--title { text-style: bold; color: $text; }
    ArticleView > .article-view--meta { color: $text-muted; }
    ArticleView > .article-view--hit { background: $warning 50%; text-style: underline; }
    ArticleView > .article-view--current-hit { background: $warning; color: $background;
        text-style: bold underline; }
    ArticleView > .article-view--entity { color: $accent-lighten-2; }
    ArticleView > .article-view--quote { text-style: italic; }
    ArticleView > .article-view--selected { background: $success 45%; text-style: bold; }
    #sidebar.hidden, #sidebar.auto-hidden { display: none; }
    """
    BINDINGS = bindings("reader")

    class Indexed(Message):
        def __init__(self, report: UpdateReport | None, error: str | None = None) -> None:
            self.report, self.error = report, error
            super().__init__()

    class ArticlesLoaded(Message):
        def __init__(self, articles: Sequence[ListEntry], generation: int | None = None) -> None:
            self.articles, self.generation = articles, generation
            super().__init__()

    class GenerationSeen(Message):
        """What the index's generation is now (None: no complete index yet)."""

        def __init__(self, generation: int | None) -> None:
            self.generation = generation
            super().__init__()

    class Busy(Message):
        """Another process holds the index's update lock."""

    class BadgesLoaded(Message):
        def __init__(self, counts: dict[str, int]) -> None:
            self.counts = counts
            super().__init__()

    class FamilyLoaded(Message):
        def __init__(self, article_id: str, family, diff: bool = False) -> None:
            self.article_id, self.family, self.diff = article_id, family, diff
            super().__init__()

    class OpenDiff(Message):
        def __init__(self, a: Article, b: Article) -> None:
            self.a, self.b = a, b
            super().__init__()

    class Failed(Message):
        def __init__(self, error: str) -> None:
            self.error = error
            super().__init__()

    class VersionsFound(Message):
        def __init__(self, counts: dict[str, int], generation: int | None = None) -> None:
            self.counts, self.generation = counts, generation
            super().__init__()

    class IndexProgress(Message):
        def __init__(self, done: int, total: int, phase: str = "reading") -> None:
            self.done, self.total, self.phase = done, total, phase
            super().__init__()

    class Searched(Message):
        def __init__(self, query: str, result: SearchResult | None, error: str | None) -> None:
            self.query, self.result, self.error = query, result, error
            super().__init__()

    class Loaded(Message):
        def __init__(self, loaded: _Loaded | None, error: str | None = None,
                     removed: str | None = None) -> None:
            """``removed``: the id of an article that is no longer in the index."""
            self.loaded, self.error, self.removed = loaded, error, removed
            super().__init__()

    class Placeholder(Message):
        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    class AnnotationsLoaded(Message):
        def __init__(self, article_id: str, ann: Annotations | None,
                     error: str | None = None) -> None:
            self.article_id, self.ann, self.error = article_id, ann, error
            super().__init__()

    class EntitiesDone(Message):
        def __init__(self, report: EntitiesReport) -> None:
            self.report = report
            super().__init__()

    def __init__(self, corpus: Corpus, config: Config | None = None, *,
                 quiet_gc: bool = False, watch_interval: float | None = WATCH_INTERVAL,
                 **kwargs) -> None:
        """``quiet_gc``: tune the process's garbage collector for the reader
        (the CLI does; it is the process's own app there, not in a test run).
        ``watch_interval``: seconds between looks at the index's generation
        (None: only when :meth:`watch_generation` is called)."""
        super().__init__(**kwargs)
        self._watch_interval = watch_interval
        _start_resource_tracker()
        self.corpus = corpus
        self._quiet_gc = quiet_gc
        self.config = config or Config()
        theme = checked_theme(self.config, self.available_themes)
        if theme is not None:
            self.theme = theme
        self.set_keymap(self.config.keymap)
        self.state = load_state(corpus.index_dir)
        self.all_articles: Sequence[ListEntry] = []
        self.query: str | None = None
        self.result: SearchResult | None = None
        self.hit_index, self.hit_total = -1, 0
        self.message: str = ""
        self.index_summary: str = ""
        self._debounce: Timer | None = None
        self._mention_index: dict[str, int] = {}  # entity name -> mention last shown
        self._sidebar_wanted = False  # shown with e on a narrow screen
        self._current_id: str | None = None  # the list's current article, for workers
        self._restore: dict | None = None
        self._keep: str | None = None  # article to put the cursor on when the list fills
        self._generation: int | None = None  # the index generation the list was read at
        self._watching = False  # a look at the generation is under way
        self._busy = False  # another process holds the index's update lock
        self._stay_on: str | None = None  # the article shown when the list is read again

    # ---------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield Static(id="topbar")
        yield Input(placeholder='/ search: words, "a phrase", title:…, source:…, '
                                'date:[2024-01-01 to 2024-06-30], presid*, putn~',
                    id="search")
        with Horizontal(id="main"):
            yield ArticleList(id="list")
            yield ArticleView(id="article")
            yield Sidebar(id="sidebar")
        with Horizontal(id="statusrow"):
            yield Static(id="status")
            yield ProgressBar(id="progress", show_eta=False)
        yield Footer()

    def on_mount(self) -> None:
        self.list.focus()
        self.sidebar.styles.width = self.config.sidebar_width
        self._restore = dict(self.state)  # applied when the list first fills
        for problem in self.config.problems:  # a toast: the status line moves on
            self.notify(sanitize.error_line(problem), title="config", severity="warning",
                        timeout=15, markup=False)  # config text is data, never markup
        self.update_topbar()
        # Nothing here touches the index: the list loads in a worker. The update
        # (scan, versions, entities) starts once the list is painted, so that on a
        # big corpus it does not compete with the first paint; at once when there
        # is no index yet.
        self._update_started = False
        self.reload_articles()
        # Another process (`variorum index`, another reader) may update the
        # index: its generation moves on with every commit; the list follows.
        if self._watch_interval:
            self.set_interval(self._watch_interval, self.watch_generation)

    @property
    def list(self) -> ArticleList:
        return self.query_one("#list", ArticleList)

    @property
    def view(self) -> ArticleView:
        return self.query_one("#article", ArticleView)

    # ------------------------------------------------------------- indexing
    @work(thread=True, exclusive=True, group="index")
    def index_corpus(self) -> None:
        worker = get_current_worker()
        ended: set[str] = set()  # the phases that ran to their end

        def on_phase(name: str, report) -> None:
            # The list is refreshed as soon as the text index is up to date;
            # version families follow, and then the badges; then every
            # article's entities and quotes (for entity search), the article
            # on screen first (it is also done on demand meanwhile).
            if name == "index":
                self.post_message(self.Indexed(report))
            elif name == "versions" and not report.cancelled:
                counts = self.corpus.version_counts()
                # this process's own commits: not another's update to follow
                generation = self.corpus.generation()
                self.post_message(self.VersionsFound(counts, generation))
            elif name == "entities" and not report.cancelled:
                self.post_message(self.EntitiesDone(report))
            ended.add(name)

        try:
            if self.all_articles:  # an index exists: open its searcher before the update
                self.corpus.warm()  # runs, so that the first query does not wait for it
            self.corpus.update(
                progress=lambda phase, d, t: self.post_message(self.IndexProgress(d, t, phase)),
                cancel=lambda: worker.is_cancelled, entities=True,
                first=lambda: [c] if (c := self._current_id) else [],  # read when it starts
                extract_here=False,  # NER never runs in the reader's own process
                on_phase=on_phase)
        except IndexBusyError:  # tried again when the generation is next looked at
            self.post_message(self.Busy())
        except Exception as e:  # shown, not raised: the reader stays usable
            if "versions" in ended:
                self.post_message(self.Failed(f"entity extraction failed: {_say(e)}"))
            elif isinstance(e, VariorumError):
                self.post_message(self.Indexed(None, str(e)))
            else:
                self.post_message(self.Indexed(None, f"indexing failed: {type(e).__name__}: {e}"))

    @_while_open
    def on_variorum_app_index_progress(self, msg: IndexProgress) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.add_class("active")
        bar.update(total=msg.total, progress=msg.done)
        if msg.phase == "entities":
            self.message = f"entities: {msg.done} of {msg.total} articles"
        elif msg.phase != "reading":
            self.message = f"versions: {msg.phase} {msg.done} of {msg.total}"
        elif msg.done < msg.total:
            self.message = f"indexing: read {msg.done} of {msg.total} files"
        else:
            self.message = "indexing: writing the index"
        self.update_status()

    @_while_open
    def on_variorum_app_indexed(self, msg: Indexed) -> None:
        self.query_one("#progress", ProgressBar).remove_class("active")
        if msg.error:
            self.set_error(msg.error)
            return
        r = msg.report
        if r.cancelled:
            return
        parts = [f"{r.articles_total} articles"]
        if r.changed_anything:
            parts.append(f"{r.files_new} new, {r.files_changed} changed, "
                         f"{r.files_deleted} deleted files")
        if r.skipped:
            parts.append(f"{len(r.skipped)} skipped (see `variorum index`)")
        self.message = self.index_summary = "; ".join(parts)
        if r.changed_anything or not self.all_articles:
            self.reload_articles()
        self.update_status()

    @_while_open
    def on_variorum_app_versions_found(self, msg: VersionsFound) -> None:
        self.query_one("#progress", ProgressBar).remove_class("active")
        self.list.set_badges(msg.counts)
        if msg.generation is not None and self.all_articles:
            self._generation = msg.generation
        parts = [self.index_summary] if self.index_summary else []
        if msg.counts:
            parts.append(f"{len(msg.counts)} articles have versions (v)")
        self.message = "; ".join(parts)
        self.update_status()

    @_while_open
    def on_variorum_app_entities_done(self, msg: EntitiesDone) -> None:
        self.query_one("#progress", ProgressBar).remove_class("active")
        r = msg.report
        if r.done:
            parts = [self.index_summary] if self.index_summary else []
            parts.append(f"entities of {r.total} articles ready for search ({r.extractor})")
            self.message = "; ".join(parts)
        self.update_status()

    def reload_articles(self) -> None:
        self.articles_worker()

    @work(thread=True, exclusive=True, group="articles")
    def articles_worker(self) -> None:
        from index import IndexMissingError

        try:
            # read first: the list read after it is at least as new
            generation = self.corpus.generation()
            articles = self.corpus.article_list()
        except IndexMissingError:  # the first run: the update builds the index
            self.post_message(self.Placeholder(
                f"{BUSY[0].upper()}{BUSY[1:]}; the list will load when it finishes."
                if self._busy else "Indexing… the list fills in when it is done."))
            return
        except Exception as e:  # shown, not raised: the reader stays usable (and re-indexes)
            self.post_message(self.Failed(_say(e)))
            self.post_message(self.Placeholder(f"The article list could not be read: {_say(e)}"))
            return
        self.post_message(self.ArticlesLoaded(articles, generation))

    # -------------------------------------------------- another process's update
    def watch_generation(self) -> None:
        """Every WATCH_INTERVAL: look at the index's generation (in a worker:
        the UI thread never waits on the store or the index lock)."""
        if self._watching or self._exit:
            return
        self._watching = True
        self.generation_worker()

    @work(thread=True, exclusive=True, group="watch")
    def generation_worker(self) -> None:
        try:
            generation = self.corpus.generation()
        except Exception:  # no complete index yet (another process is making it)
            generation = None
        self.post_message(self.GenerationSeen(generation))

    @_while_open
    def on_variorum_app_generation_seen(self, msg: GenerationSeen) -> None:
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

    @work(thread=True, exclusive=True, group="badges")
    def badges_worker(self) -> None:
        try:
            counts = self.corpus.version_counts()
        except Exception:  # the badges stay as they were; the next update redoes them
            return
        self.post_message(self.BadgesLoaded(counts))

    @_while_open
    def on_variorum_app_badges_loaded(self, msg: BadgesLoaded) -> None:
        self.list.set_badges(msg.counts)

    @_while_open
    def on_variorum_app_busy(self, msg: Busy) -> None:
        self.query_one("#progress", ProgressBar).remove_class("active")
        self._busy = True
        self._update_started = False  # started again once the other process is done
        if self.all_articles:
            self.message = f"{BUSY}; the list will reload when it finishes"
        else:
            self.message = f"{BUSY}; the list will load when it finishes"
            self.view.show_placeholder(
                f"{BUSY[0].upper()}{BUSY[1:]}; the list will load when it finishes.")
        self.update_status()

    @_while_open
    def on_variorum_app_placeholder(self, msg: Placeholder) -> None:
        if not self.all_articles:
            self.view.show_placeholder(msg.text)
        self.start_update()

    def start_update(self) -> None:
        if not self._update_started:
            self._update_started = True
            self.index_corpus()

    @_while_open
    def on_variorum_app_articles_loaded(self, msg: ArticlesLoaded) -> None:
        if self._quiet_gc:
            self._quiet_gc = False  # once, when the first list is on screen
            self.call_after_refresh(_quiet_gc)
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
                    self.query_one("#search", Input).value = query
                self.run_search(query)
                return
        if self.query:
            self.run_search(self.query)
        else:
            keep = self._keep or (self.list.current.id if self.list.current else None)
            self._keep = None
            self.list.set_items(self.all_articles, keep=keep, near=self.list.cursor)
            if not self.all_articles:
                self.view.show_placeholder("This corpus has no readable articles.")

    # --------------------------------------------------------------- search
    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        value = event.value
        self._debounce = self.set_timer(SEARCH_DEBOUNCE, lambda: self._debounced(value))

    def _debounced(self, value: str) -> None:
        # the timer may fire while the app is closing (its widgets already gone)
        if self._exit or self._closing:
            return
        self.run_search(value)

    @on(Input.Submitted, "#search")
    def search_submitted(self, event: Input.Submitted) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self.run_search(event.value)
        self.list.focus()

    def run_search(self, value: str) -> None:
        value = value.strip()
        if not value:
            self.clear_search()
            return
        self.message = f"searching {value}…"
        self.update_status()
        self.search_worker(value)

    @work(thread=True, exclusive=True, group="search")
    def search_worker(self, value: str) -> None:
        try:
            result = self.corpus.search(value, limit=LIST_LIMIT, spans=False)
        except Exception as e:
            self.post_message(self.Searched(value, None, _say(e)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Searched(value, result, None))

    @_while_open
    def on_variorum_app_searched(self, msg: Searched) -> None:
        if msg.query != self.query_one("#search", Input).value.strip():
            return  # the box has changed since: a newer search (or none) applies
        if msg.error:
            self.set_error(msg.error)
            return
        same = msg.query == self.query  # the same query again (debounce, re-index): stay put
        keep = self._keep or (self.list.current.id if same and self.list.current else None)
        self._keep = None
        self.query, self.result = msg.query, msg.result
        items = [ListEntry(h.id, h.path, h.title) for h in msg.result.hits]
        self.list.set_items(items, keep=keep, near=self.list.cursor if same else 0)
        total = msg.result.total
        self.message = f"{total} result{'s' if total != 1 else ''}"
        if total > len(items):
            self.message += f" (showing {len(items)})"
        if msg.result.suggestion:
            self.message += f" · did you mean: {msg.result.suggestion}"
        if not items:
            self.view.show_placeholder("No article matches this query.")
        self.update_status()

    def clear_search(self) -> None:
        self.workers.cancel_group(self, "search")
        self.query, self.result = None, None
        keep = self.list.current.id if self.list.current else None
        self.list.set_items(self.all_articles, keep=keep)
        self.message = ""
        self.update_status()

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            self.list.focus()
        elif self.query:
            search.value = ""
            self.clear_search()

    # -------------------------------------------------------------- reading
    @on(ArticleList.Highlighted)
    def article_highlighted(self, event: ArticleList.Highlighted) -> None:
        self._current_id = event.article.id if event.article is not None else None
        if event.article is not None:
            self.load_article(event.article.id, self.query)
        self.update_status()

    @on(ArticleList.Chosen)
    def article_chosen(self, event: ArticleList.Chosen) -> None:
        self.view.focus()

    @work(thread=True, exclusive=True, group="article")
    def load_article(self, article_id: str, query: str | None) -> None:
        try:
            article = self.corpus.get(article_id)
            spans = self.corpus.spans(article, query) if query else []
        except NotFoundError:  # an update by another process removed it
            self.post_message(self.Loaded(None, removed=article_id))
            return
        except Exception as e:
            self.post_message(self.Loaded(None, _say(e)))
            return
        text = sanitize.body(article.text)  # here, not on the UI thread: one scan
        if text is not article.text:
            article = dataclasses.replace(article, text=text)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(_Loaded(article, spans, query)))

    @_while_open
    def on_variorum_app_loaded(self, msg: Loaded) -> None:
        if msg.error:
            self.set_error(msg.error)
            return
        current = self.list.current
        if msg.removed:
            if current is not None and current.id == msg.removed:
                self.view.show_placeholder(f"{REMOVED[0].upper()}{REMOVED[1:]}.")
                self.sidebar.show_message("")
                self.message = REMOVED
                self.update_status()
                self.watch_generation()  # at once, not at the next tick
            return
        if current is None or current.id != msg.loaded.article.id:
            return  # the cursor has moved on
        stay, self._stay_on = self._stay_on, None
        shown = self.view.article
        if (stay == current.id and shown is not None and shown == msg.loaded.article
                and self.view.spans == sorted(msg.loaded.spans)):
            return  # read again after another process's update, unchanged: stay put
        self.view.show_article(msg.loaded.article, msg.loaded.spans)
        self._mention_index.clear()
        self.sidebar.show_message("Extracting entities and quotes…")
        # after the text is on screen: decoding a long article's entities in a
        # worker would otherwise hold the GIL while the first frame is drawn
        self.call_after_refresh(self.annotations_worker, msg.loaded.article)

    # ----------------------------------------------------- entities, quotes
    @property
    def sidebar(self) -> Sidebar:
        return self.query_one("#sidebar", Sidebar)

    @work(thread=True, exclusive=True, group="annotations")
    def annotations_worker(self, article: Article) -> None:
        from index import Cancelled

        worker = get_current_worker()
        try:
            ann = self.corpus.cached_annotations(article)
            if ann is None:
                # NER runs in the engine's extraction process, never in the
                # reader's; a cursor that moved on stops the wait (and the
                # queued job). (A process that died is replaced by the engine.)
                ann = self.corpus.annotations(article, cancel=lambda: worker.is_cancelled,
                                              extract_here=False)
        except Cancelled:
            return
        except Exception as e:
            self.post_message(self.AnnotationsLoaded(article.id, None, _say(e)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.AnnotationsLoaded(article.id, ann))

    # ------------------------------------------------------ commands, state
    def get_system_commands(self, screen):
        """The palette: Textual's own commands, then variorum's (the ones
        that apply to the screen shown)."""
        yield from super().get_system_commands(screen)
        from textual.app import SystemCommand

        from .widgets.diff_screen import DiffScreen

        context = "reader" if screen is self.screen_stack[0] else (
            "diff" if isinstance(screen, DiffScreen) else None)
        for c in COMMANDS:
            if c.palette and c.context == context:
                target = self if context == "reader" else screen
                yield SystemCommand(c.title, c.help,
                                    lambda t=target, a=c.action: t.run_action(a))

    def action_help(self) -> None:
        from .widgets.diff_screen import DiffScreen
        from .widgets.help_screen import HelpScreen

        focused = self.focused
        ctx = ("diff" if isinstance(self.screen, DiffScreen) else
               "list" if focused is self.list else
               "article" if focused is self.view else
               "sidebar" if focused is not None and focused.id == "sidebar-list" else "reader")
        self.push_screen(HelpScreen(self.config.keymap, ctx))

    def action_sidebar_width(self, delta: int) -> None:
        """Wider or narrower by ``delta`` columns: narrower than the least
        width hides the sidebar, wider shows a hidden one."""
        from .config import SIDEBAR_MAX, SIDEBAR_MIN

        sb = self.sidebar
        hidden = sb.has_class("hidden") or sb.has_class("auto-hidden")
        width = self.config.sidebar_width
        if delta < 0 and (hidden or width <= SIDEBAR_MIN):
            if not hidden:
                self.action_toggle_sidebar()
            self.message = "sidebar hidden"
        elif delta > 0 and hidden:
            self.action_toggle_sidebar()
            self.message = f"sidebar: {width} columns"
        else:
            width = max(SIDEBAR_MIN, min(SIDEBAR_MAX, width + delta))
            self.config.sidebar_width = width
            sb.styles.width = width
            self.message = f"sidebar: {width} columns"
        self.update_status()

    def action_copy(self) -> None:
        """y: the quote selected in the sidebar, else the article's title and path
        (through the terminal's clipboard, OSC 52)."""
        from index import Quote

        item = self.sidebar.highlighted if self.sidebar.display else None
        art = self.view.article
        if isinstance(item, Quote):
            text = f"“{item.text}”" + (f" ({sanitize.terminal(item.speaker)})"
                                       if item.speaker else "")
        elif art is not None:  # each one line: a newline in a name shows as \x0a
            text = f"{sanitize.terminal(art.title)}\n{sanitize.terminal(art.path)}"
        else:
            return
        text = sanitize.clipboard(text)  # OSC 52: no ESC can end a bracketed paste early
        self.copy_to_clipboard(text)
        self.message = f"copied: {sanitize.error_line(text.splitlines()[0], limit=60)}"
        self.update_status()

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
            self.set_error(f"cannot open: {cmd!r} is not installed (set $PAGER or $EDITOR)")
            return
        with tempfile.TemporaryDirectory(prefix="variorum-") as d:
            try:
                path = write_pager_copy(art, Path(d))
            except OSError as e:  # a full disk, say: one line, no traceback
                self.set_error(f"cannot write a copy to open: {e.strerror or type(e).__name__}")
                return
            try:
                with self.suspend():
                    subprocess.run([*argv, str(path)], check=False)
            except Exception as e:  # no terminal to hand over (headless, or a test)
                self.set_error(f"cannot open {cmd}: {type(e).__name__}")
                return
        self.refresh()

    def save_state(self) -> None:
        current = self.list.current
        save_state(self.corpus.index_dir, {
            "query": self.query, "article": current.id if current else None,
            "marks": list(self.list.marked)})

    def on_unmount(self) -> None:
        self.corpus.stop_workers()

    async def action_quit(self) -> None:
        self.save_state()
        self.workers.cancel_all()  # workers waiting on the NER process give up now
        # and the extraction it is doing ends: quitting must not wait for it
        self.corpus.stop_workers()
        await super().action_quit()

    @_while_open
    def on_variorum_app_annotations_loaded(self, msg: AnnotationsLoaded) -> None:
        if self.view.article is None or self.view.article.id != msg.article_id:
            return  # another article is on screen now
        if msg.error:
            self.sidebar.show_message(sanitize.error_line(f"No entities: {msg.error}"))
            return
        self.sidebar.show(msg.ann)
        self.view.set_tints([m for e in msg.ann.entities if e.label != "DATE"
                             for m in e.mentions],
                            [(q.start, q.end) for q in msg.ann.quotes])

    @on(Sidebar.EntityHighlighted)
    def entity_highlighted(self, event: Sidebar.EntityHighlighted) -> None:
        e = event.entity
        self.view.select_spans(e.mentions if e else [])
        if e is not None:
            self.message = (f"{e.name}: {e.count} mention{'s' if e.count != 1 else ''}"
                            f" · enter: next mention · s: search the corpus for "
                            f"{search_query(e)}")
            self.update_status()

    @on(Sidebar.EntityChosen)
    def entity_chosen(self, event: Sidebar.EntityChosen) -> None:
        e = event.entity
        k = self._mention_index.get(e.name, -1) + 1
        self._mention_index[e.name] = k
        self.view.select_spans(e.mentions, scroll_to=k)
        self.message = (f"{e.name}: mention {k % max(e.count, 1) + 1} of {e.count}"
                        f" · s: search the corpus for {search_query(e)}")
        self.update_status()

    @on(Sidebar.QuoteChosen)
    def quote_chosen(self, event: Sidebar.QuoteChosen) -> None:
        q = event.quote
        self.view.select_spans([(q.start, q.end)], scroll_to=0)
        what = "quoted phrase" if q.kind == "phrase" else "quote"
        self.message = (f"{what} by {q.speaker}" if q.speaker
                        else "quoted phrase (the writer's)" if q.kind == "phrase"
                        else "quote (speaker not named)")
        self.update_status()

    @on(Sidebar.SearchEntity)
    def search_entity(self, event: Sidebar.SearchEntity) -> None:
        e = self.sidebar.highlighted
        if not isinstance(e, Entity):
            return
        self.search_for(search_query(e))

    def search_for(self, value: str) -> None:
        box = self.query_one("#search", Input)
        box.value = value
        if self._debounce is not None:
            self._debounce.stop()
        self.run_search(value)
        self.list.focus()

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

    def on_resize(self, event) -> None:
        # On a narrow screen the sidebar starts hidden (e shows it anyway).
        narrow = event.size.width < SIDEBAR_MIN_WIDTH
        self.sidebar.set_class(narrow and not self._sidebar_wanted, "auto-hidden")

    def action_toggle_tints(self) -> None:
        on_ = self.view.toggle_tints()
        self.message = "entities and quotes tinted" if on_ else "tints off"
        self.update_status()

    @on(ArticleView.HitChanged)
    def hit_changed(self, event: ArticleView.HitChanged) -> None:
        self.hit_index, self.hit_total = event.index, event.total
        self.update_status()

    # ------------------------------------------------------------- versions
    def action_versions(self) -> None:
        current = self.list.current
        if current is not None:
            self.family_worker(current.id)

    @work(thread=True, exclusive=True, group="versions")
    def family_worker(self, article_id: str, diff: bool = False) -> None:
        try:
            family = self.corpus.family_of(article_id)
        except Exception as e:
            self.post_message(self.Failed(_say(e)))
            return
        self.post_message(self.FamilyLoaded(article_id, family, diff))

    @_while_open
    def on_variorum_app_family_loaded(self, msg: FamilyLoaded) -> None:
        current = self.list.current
        if current is None or current.id != msg.article_id:
            return  # the cursor has moved on
        if msg.family is None:
            self.message = "this article has no other versions"
            self.update_status()
            return
        if msg.diff and len(msg.family.members) == 2:  # only one other version: diff it
            other = next(m.id for m in msg.family.members if m.id != msg.article_id)
            self.diff_worker(msg.article_id, other)
            return
        from .widgets.versions_screen import VersionsScreen

        self.push_screen(VersionsScreen(msg.family, msg.article_id, diff=msg.diff),
                         self.open_version)

    @_while_open
    def on_variorum_app_failed(self, msg: Failed) -> None:
        self.set_error(msg.error)

    _MAIN_ONLY = frozenset({"focus_search", "next_hit", "prev_hit", "versions", "diff", "mark",
                            "toggle_sidebar", "toggle_tints", "back", "sidebar_width",
                            "open_external", "copy"})

    def check_action(self, action: str, parameters) -> bool | None:
        # The reader's keys belong to the reader: not over the diff or a dialog.
        return not (action in self._MAIN_ONLY and self.screen is not self.screen_stack[0])

    # ------------------------------------------------------------------ diff
    def action_mark(self) -> None:
        marked = self.list.toggle_mark()
        self.message = (f"{len(marked)} of 2 articles marked" if len(marked) < 2
                        else "2 articles marked: d shows what changed from ① to ②")
        self.update_status()

    def action_diff(self) -> None:
        marked = self.list.marked
        if len(marked) == 2:
            self.list.clear_marks()
            self.diff_worker(marked[0], marked[1])
            return
        current = self.list.current
        if current is None:
            return
        if self.list.badges.get(current.id):
            self.family_worker(current.id, True)
        else:
            self.message = ("this article has no versions: mark two articles with m, "
                            "then d shows what changed")
            self.update_status()

    @work(thread=True, exclusive=True, group="open-diff")
    def diff_worker(self, id_a: str, id_b: str) -> None:
        try:
            a, b = self.corpus.get(id_a), self.corpus.get(id_b)
        except Exception as e:
            self.post_message(self.Failed(_say(e)))
            return
        self.post_message(self.OpenDiff(a, b))

    @_while_open
    def on_variorum_app_open_diff(self, msg: OpenDiff) -> None:
        from .widgets.diff_screen import DiffScreen

        self.push_screen(DiffScreen(self.corpus, msg.a, msg.b))

    def open_version(self, article_id: str | None) -> None:
        if not article_id:
            return
        if article_id.startswith("diff:"):
            current = self.list.current
            if current is not None:
                self.diff_worker(current.id, article_id[5:])
            return
        if index_of(self.list.items, article_id) is None:
            self.query_one("#search", Input).value = ""
            self.clear_search()
        k = index_of(self.list.items, article_id)
        if k is not None:
            self.list.cursor = k
        self.list.focus()

    def action_next_hit(self) -> None:
        self.view.next_hit()

    def action_prev_hit(self) -> None:
        self.view.prev_hit()

    # --------------------------------------------------------------- status
    def set_error(self, text: str) -> None:
        self.message = text
        self.update_status(error=True)

    def update_topbar(self) -> None:
        bar = Text("variorum", style="bold")
        bar.append(f"  {sanitize.terminal(display_path(self.corpus.root))}")
        if self.all_articles:
            bar.append(f"  ·  {len(self.all_articles)} articles", style="dim")
        self.query_one("#topbar", Static).update(bar)

    def update_status(self, error: bool = False) -> None:
        status = self.query_one("#status", Static)
        status.set_class(error, "error")
        parts: list[str] = []
        lst = self.list
        if lst.items:
            parts.append(f"article {lst.cursor + 1} of {len(lst.items)}")
        if self.query:
            if self.hit_total:
                parts.append(f"hit {self.hit_index + 1} of {self.hit_total}")
            parts.append(f"query: {self.query}")
        if self.message:
            parts.append(self.message)
        status.update(Text(sanitize.error_line("  ·  ".join(parts))))
