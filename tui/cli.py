"""The ``variorum`` command line: a thin layer over :mod:`index`.

Every subcommand prints for people (rich on a terminal, plain text when piped)
or, with ``--json``, the stable shapes documented in README.md. Errors are one
line on stderr and a non-zero exit: 1 when nothing was found, 2 for usage and
input errors.
"""

from __future__ import annotations

import difflib
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

# (The engine's names whose modules `index` imports when first read, the
# cluster, the export and the outlets table, are imported where they are
# used: `variorum PATH` imports this module to start the reader, whose first
# paint needs none of them, issue 15.)
from index import (
    DEFAULT_PHASES,
    EXPORT_FORMATS,
    EXTRACTORS,
    LABEL_NAMES,
    PAIR_KINDS,
    Corpus,
    IndexBusyError,
    UpdateReport,
    VariorumError,
    delay_label,
    run_pipeline,
    sanitize,
)

EXIT_NOT_FOUND = 1
CLI_EXTRACT_MAX = 500  # articles an entity search extracts on the spot (about 10 s)
EXIT_USAGE = 2
HIT_STYLE = "bold black on yellow"


class Failure(click.ClickException):
    """A one-line error with an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.exit_code = code

    def show(self, file=None) -> None:
        say_error(self.format_message())


def say_error(message: object, prefix: str = "error: ") -> None:
    """One line on stderr, control-free: messages carry paths and names."""
    click.echo(f"variorum: {prefix}{sanitize.error_line(message)}", err=True)


class Terminated(BaseException):
    """SIGTERM during ``variorum index``, raised where the program is so that
    it stops as after Ctrl-C: workers cancelled, the previous index kept, one
    line said. (Not a KeyboardInterrupt: click would print a blank line for
    the terminal's ``^C`` echo, which a SIGTERM has none of.)"""


_STOPPED: list[int] = []  # the stop signals this process received, first first


def _on_stop_signal(signum, _frame) -> None:
    """Ctrl-C or SIGTERM during an update: noted, then raised where the
    program is. The note is also the pipeline's ``cancel()``: Python prints
    and drops an exception raised inside a garbage-collector callback
    (distributed sets one), and a run whose interrupt was dropped there went
    on to commit; the pipeline polls ``cancel()`` and stops before that."""
    _STOPPED.append(signum)
    raise KeyboardInterrupt if signum == signal.SIGINT else Terminated


@contextmanager
def _stoppable() -> Iterator[None]:
    """Within it, Ctrl-C and SIGTERM cancel this process's update cleanly;
    the handlers (and the note of a stop) are as before once it is left."""
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    outermost = before[signal.SIGINT] is not _on_stop_signal
    hook = sys.unraisablehook
    for s in before:
        signal.signal(s, _on_stop_signal)
    sys.unraisablehook = _unraisable
    try:
        yield
    finally:
        for s, handler in before.items():
            if handler is not None:  # (None: not set from Python, cannot be put back)
                signal.signal(s, handler)
        sys.unraisablehook = hook
        if outermost:
            _STOPPED.clear()


def _unraisable(unraisable) -> None:
    """A stop that Python could not raise where it came (a garbage-collector
    callback) is not lost, the pipeline's ``cancel()`` has it; nor is it
    printed as a traceback: the user gets the run's one line."""
    if _STOPPED and unraisable.exc_type is not None and issubclass(
            unraisable.exc_type, (KeyboardInterrupt, Terminated)):
        return
    sys.__unraisablehook__(unraisable)


def _stop_requested() -> bool:
    return bool(_STOPPED)


def _raise_if_stopped() -> None:
    """A stop whose exception was dropped (see :func:`_on_stop_signal`) ends
    the run as it would have: after the pipeline saw it and cancelled."""
    if _STOPPED:
        raise KeyboardInterrupt if _STOPPED[0] == signal.SIGINT else Terminated


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # A reader that closed the pipe (`variorum search x | head`) is not an
        # error; rich's default exits 1, which here means "nothing found".
        raise SystemExit(0)


def out() -> Console:
    """Standard output for people. On a terminal rich wraps at its width; piped,
    every line is printed as it is (``soft_wrap``: no wrapping at 80 columns,
    no padding), so `grep` finds a sentence of an article whole."""
    # markup=False: nothing printed here is ever parsed as Rich markup.
    con = _Console(markup=False, highlight=False, emoji=False)
    con.soft_wrap = not con.is_terminal
    return con


def hit_line(con: Console, n: int, title: str | None, rest: str) -> None:
    """``  n. title  rest`` (a path, an id, a score) as one line: on a terminal
    the title is cut with … so that the rest still fits."""
    head = Text(f"{n:>3}. ")
    title_text = Text(safe(title), style="bold")
    tail = Text(rest, style="dim")
    if con.is_terminal:
        room = con.width - head.cell_len - tail.cell_len
        if room >= 12:
            title_text.truncate(room, overflow="ellipsis")
    one_line(con, Text.assemble(head, title_text, tail))


def one_line(con: Console, text: Text) -> None:
    """A line of a list (a hit, a version, a similar article): on a terminal cut
    with … at its width, never wrapped; piped, whole."""
    if con.is_terminal:
        con.print(text, no_wrap=True, overflow="ellipsis", crop=True)
    else:
        con.print(text)


def err() -> Console:
    con = _Console(stderr=True, markup=False, highlight=False, emoji=False)
    con.soft_wrap = not con.is_terminal  # as out()
    return con


def safe(s: str | None) -> str:
    """Metadata (a path, title, name, query) as one line for the terminal."""
    return sanitize.terminal(s)


def echo_json(data) -> None:
    click.echo(sanitize.dumps_json(data))


def echo_table(fmt: str, columns: list[str], rows: list[dict]) -> None:
    """Rows as a spreadsheet reads them: ``csv`` (a header, every text cell
    made safe: no formula can run), or ``jsonl`` (an object a line, escaped
    as --json is)."""
    if fmt == "jsonl":
        for row in rows:
            click.echo(sanitize.dumps_json({c: row.get(c) for c in columns}, indent=None))
        return
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([sanitize.csv_cell(row.get(c)) for c in columns])
    click.echo(buf.getvalue(), nl=False)


def default_corpus() -> Path:
    env = os.environ.get("VARIORUM_CORPUS")
    if env:
        return Path(env)
    if Path("sample_corpus").is_dir():
        return Path("sample_corpus")
    raise Failure("no corpus given: pass a folder (or --corpus PATH, or set VARIORUM_CORPUS)")


def open_corpus(corpus: str | None, index_dir: str | None, build: bool = True,
                ner: str | None = None) -> Corpus:
    root = Path(corpus) if corpus else default_corpus()
    if not root.is_dir():
        raise Failure(f"corpus folder not found: {root}")
    c = Corpus(root, index_dir, ner=ner)
    if build and not c.has_index:
        try:
            run_update(c, quiet=not sys.stderr.isatty())
        except IndexBusyError:  # one line, not a note that it is indexing and then an error
            raise Failure(f"another process is indexing {root} for the first time; try "
                          "again when it has finished") from None
        err().print(Text(f"indexed {safe(str(root))} (first use)", style="dim"))
    return c


class RateColumn(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} files/s" if speed else "", style="cyan")


def run_update(c: Corpus, quiet: bool, procs: int | None = None,
               phases: tuple[str, ...] = DEFAULT_PHASES,
               executor=None) -> UpdateReport:
    """The engine's update pipeline, with a progress bar on a terminal;
    Ctrl-C or SIGTERM cancels it (the previous index stays)."""
    with _stoppable():
        report = _run_update(c, quiet, procs, phases, executor)
        _raise_if_stopped()
    return report


def _run_update(c: Corpus, quiet: bool, procs, phases, executor) -> UpdateReport:
    if quiet:
        return run_pipeline(c, phases, procs=procs, executor=executor, cancel=_stop_requested)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        console=err(),
        transient=True,
    ) as bar:
        task = bar.add_task("reading", total=None)

        def progress(phase: str, done: int, total: int) -> None:
            if phase == "reading" and done >= total:
                # the texts and search terms are saved after the last file is read:
                # say so, with a pulsing bar (there is no count to show)
                bar.update(task, completed=0, total=None, description="saving the index")
                return
            what = {"reading": "reading", "entities": "entities",
                    "spin": "spin reports"}.get(phase, f"versions: {phase}")
            bar.update(task, completed=done, total=total, description=what)

        return run_pipeline(c, phases, progress=progress, procs=procs, executor=executor,
                            cancel=_stop_requested)


class DefaultGroup(click.Group):
    """``variorum [PATH]`` opens the reader; anything else is a subcommand."""

    def parse_args(self, ctx, args):
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h",
                                                                          "--version")):
            if args and not args[0].startswith("-"):
                self.check_folder(args[0])
            args = ["open", *args]
        return super().parse_args(ctx, args)

    def check_folder(self, word: str) -> None:
        """``variorum WORD``: WORD is a corpus folder, else a mistyped command
        (one line naming the closest commands) or a folder that is not there."""
        if Path(word).expanduser().is_dir():
            return
        if os.sep in word or word.startswith((".", "~")):  # meant as a path
            raise Failure(f"corpus folder not found: {word}")
        close = difflib.get_close_matches(word, list(self.commands), n=2, cutoff=0.6)
        if close:
            raise Failure(f"no command '{word}'; did you mean "
                          + " or ".join(f"'{c}'" for c in close) + "?")
        raise Failure(f"no command or corpus folder '{word}' (the commands: "
                      + ", ".join(self.commands) + ")")


corpus_option = click.option(
    "--corpus", "corpus", metavar="PATH",
    help="Corpus folder (default: $VARIORUM_CORPUS, else ./sample_corpus).",
)
index_dir_option = click.option(
    "--index-dir", metavar="DIR",
    help="Where the index lives (default: one per corpus, in the user data dir).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (see README).")
format_option = click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]),
                             default=None, help="Print a table: CSV or JSON Lines (see README).")
ner_option = click.option(
    "--ner", type=click.Choice(EXTRACTORS), default=None,
    help="Entity extractor (default: $VARIORUM_NER, else auto: spaCy if a model is "
         "installed, else rules).",
)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="variorum")
def cli() -> None:
    """variorum: read, search and compare versions of news articles in a terminal.

    Run `variorum [PATH]` to open the reader on a corpus folder.
    """


@cli.command("open")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@index_dir_option
@click.option("--config", "config_file", metavar="PATH",
              help="Config file (default: $VARIORUM_CONFIG, else config.toml in the user "
                   "config dir).")
def open_cmd(path: str | None, index_dir: str | None, config_file: str | None) -> None:
    """Open the reader on PATH (default: the config's corpus, else ./sample_corpus)."""
    from tui import gctune

    gctune.before_imports()  # the reader's: its start makes a million objects
    from tui.config import load_config

    cfg = load_config(config_file)
    for problem in cfg.problems:  # said here too: the reader shows only the last one
        err().print(Text(f"variorum: {sanitize.error_line(problem)}", style="yellow"),
                    soft_wrap=True)
    root = Path(path) if path else (Path(cfg.corpus).expanduser() if cfg.corpus
                                    else default_corpus())
    if not root.is_dir():
        raise Failure(f"corpus folder not found: {root}")
    if not sys.stdout.isatty() and not os.environ.get("VARIORUM_FORCE_TUI"):
        raise Failure("the reader needs a terminal; for scripts use `variorum search` or `show`")
    corpus = Corpus(root, index_dir, ner=cfg.ner)
    corpus.prefetch_list()  # the list is read while Textual is imported
    from tui.app import VariorumApp

    app = VariorumApp(corpus, config=cfg, quiet_gc=True)
    app.run()
    if app.return_code:
        sys.exit(app.return_code)


def _index_run(c: Corpus, quiet: bool, procs: int | None, phases: tuple[str, ...],
               dask_spec: str | None) -> tuple[UpdateReport, dict | None]:
    """``variorum index``'s update, on a Dask cluster when asked."""
    dask = None
    if dask_spec and dask_spec.strip():
        # (Dask itself is imported only when connecting: without --dask, never;
        # the engine's cluster module when asked for, see the imports above)
        from index import connect_dask, parse_dask_target

        target = parse_dask_target(dask_spec)
        if procs and target.address is not None:
            raise Failure("--procs sets local worker processes; with a Dask scheduler the "
                          "cluster's workers run the work")
        with connect_dask(target, c.root, c.index_dir, local_workers=procs) as ex:
            dask = {"scheduler": ex.address, "workers": ex.workers}
            if not quiet:
                err().print(Text(f"dask: {ex.workers} worker threads at {ex.address}",
                                 style="dim"), soft_wrap=True)
            report = run_update(c, quiet, procs, phases, executor=ex)
    else:
        report = run_update(c, quiet, procs, phases)
    return report, dask


@cli.command("index")
@click.argument("path", type=click.Path(file_okay=False))
@index_dir_option
@click.option("--procs", type=click.IntRange(1, 64),
              help="Worker processes (default: the cores, at most 4).")
@click.option("--entities", "with_entities", is_flag=True,
              help="Also extract the entities and quotes of every article (for entity "
                   "search), and diff the rewrites (for `variorum outlets`).")
@click.option("--dask", "dask_spec", metavar="ADDRESS", envvar="VARIORUM_DASK",
              help="Run the work on a Dask cluster: a scheduler address (tcp://host:8786), or "
                   "`local` / `local:N` for N local worker processes (default: "
                   "$VARIORUM_DASK). PATH and the index dir must be on storage every worker "
                   "reads at the same paths.")
@ner_option
@json_option
def index_cmd(path: str, index_dir: str | None, procs: int | None, with_entities: bool,
              dask_spec: str | None, ner: str | None, as_json: bool) -> None:
    """Index (or re-index, incrementally) the corpus folder PATH."""
    root = Path(path)
    if not root.is_dir():
        raise Failure(f"corpus folder not found: {root}")
    quiet = as_json or not sys.stderr.isatty()
    phases = DEFAULT_PHASES + ("entities", "spin") * with_entities
    with _stoppable():  # SIGTERM too is a clean cancel, as Ctrl-C (also while connecting)
        c = Corpus(root, index_dir, ner=ner)
        report, dask = _index_run(c, quiet, procs, phases, dask_spec)
    ents = report.entities
    if as_json:
        data = report.to_dict()
        if dask is not None:
            data["dask"] = dask
        if ents is not None:
            data["entities"] = {"extractor": ents.extractor, "extracted": ents.done,
                                "cached": ents.cached, "articles": ents.total,
                                "seconds": round(ents.seconds, 3)}
        echo_json(data)
        return
    con = out()
    v = report.versions
    con.print(Text.assemble(
        ("indexed ", ""), (safe(str(root)), "bold"),
        f": {report.files_new} new, {report.files_changed} changed, "
        f"{report.files_deleted} deleted, {report.files_unchanged} unchanged files; "
        f"{report.articles_total} articles ({report.seconds:.2f} s)",
    ))
    if v is not None:
        con.print(Text(f"versions: {v.signed} new signatures, {v.candidates} candidate pairs "
                       f"verified, {v.pairs} kept ({v.seconds:.2f} s)"))
    if ents is not None:
        con.print(Text(f"entities: {ents.done} articles extracted, {ents.cached} already done "
                       f"({ents.extractor}; {ents.seconds:.1f} s)"))
    if report.skipped:
        con.print(Text(f"skipped {len(report.skipped)}:", style="yellow"))
        for s in report.skipped:
            con.print(Text(f"  {safe(str(s))}"))


@cli.command("search")
@click.argument("query")
@corpus_option
@index_dir_option
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@format_option
def search_cmd(query: str, corpus: str | None, index_dir: str | None, limit: int,
               as_json: bool, fmt: str | None) -> None:
    """Search the corpus with the Whoosh query language (see README)."""
    c = open_corpus(corpus, index_dir)
    if c.needs_entities(query):
        done, total = c.entity_coverage()
        # entity search needs every article's entities: extract what is missing when
        # that is quick; a big backlog is left to `variorum index --entities` (the
        # result's note says how much the search covered)
        if 0 < total - done <= CLI_EXTRACT_MAX:
            run_update(c, as_json or not sys.stderr.isatty(), phases=("entities",))
        elif done < total and not as_json:
            err().print(Text(f"{total - done} articles have no entities extracted yet: run "
                             f"`variorum index --entities {safe(str(c.root))}` for all of "
                             "them", style="yellow"), soft_wrap=True)
    res = c.search(query, limit=limit)
    if fmt:
        echo_table(fmt, ["rank", "id", "path", "title", "source", "date", "score", "snippet"],
                   [{"rank": i, "id": h.id, "path": h.path, "title": h.title, "source": h.source,
                     "date": h.date, "score": round(h.score, 4), "snippet": h.snippet}
                    for i, h in enumerate(res.hits, 1)])
    elif as_json:
        echo_json(res.to_json())
    else:
        con = out()
        head = Text(f"{res.total} result{'s' if res.total != 1 else ''} for ")
        head.append(safe(query), style="bold")
        if res.total > len(res.hits):
            head.append(f" (showing {len(res.hits)})", style="dim")
        con.print(head)
        if res.suggestion:
            con.print(Text.assemble(("did you mean: ", "yellow"), (safe(res.suggestion), "bold")))
        if res.note:
            err().print(Text(f"note: {sanitize.error_line(res.note)}", style="yellow"))
        for i, h in enumerate(res.hits, 1):
            hit_line(con, i, h.title, f"  {safe(h.path)}  {h.id}  {h.score:.2f}")
            # offsets of the hits in it: the length-keeping body policy
            snip = Text("     " + sanitize.body(h.snippet).replace("\n", " "))
            for s, e in h.snippet_spans:
                snip.stylize(HIT_STYLE, s + 5, e + 5)
            one_line(con, snip)
    if res.total == 0:
        sys.exit(EXIT_NOT_FOUND)


@cli.command("show")
@click.argument("ref", metavar="ID_OR_PATH")
@corpus_option
@index_dir_option
@click.option("--query", "-q", metavar="Q", help="Highlight the hits of this query.")
@json_option
def show_cmd(ref: str, corpus: str | None, index_dir: str | None, query: str | None,
             as_json: bool) -> None:
    """Print one article: by id, a unique start of an id (4+ characters) or of a
    file's name or path (001 for 001_f563….txt), or a path."""
    c = open_corpus(corpus, index_dir)
    art = c.get(ref)
    spans = c.spans(art, query) if query else []
    if as_json:
        data = {"id": art.id, "path": art.path, "title": art.title, "source": art.source,
                "date": art.date, "language": art.language, "text": art.text}
        if query:
            data["spans"] = [list(s) for s in spans]
        echo_json(data)
        return
    con = out()
    con.print(Text(safe(art.title), style="bold"))
    meta = " · ".join(safe(x) for x in (art.source, art.date, art.language, art.path, art.id)
                      if x)
    con.print(Text(meta, style="dim"))
    con.print()
    body = Text(sanitize.body(art.text))
    for s, e in spans:
        body.stylize(HIT_STYLE, s, e)
    con.print(body)
    if query:
        con.print(Text(f"\n{len(spans)} hit{'s' if len(spans) != 1 else ''} for {safe(query)}",
                       style="dim"))


@cli.command("versions")
@click.argument("ref", metavar="[ID_OR_PATH]", required=False)
@corpus_option
@index_dir_option
@json_option
@format_option
def versions_cmd(ref: str | None, corpus: str | None, index_dir: str | None,
                 as_json: bool, fmt: str | None) -> None:
    """List version families (copies, near-copies, rewrites), or one article's versions."""
    c = open_corpus(corpus, index_dir)
    try:
        c.update_versions()  # an index made before version detection, or interrupted
    except IndexBusyError:  # the other process finds them; show what is there now
        err().print(Text("variorum: another process is updating the index: these are the "
                         "versions found before it", style="yellow"), soft_wrap=True)
    fams = [f] if ref and (f := c.family_of(ref)) else ([] if ref else c.families())
    if fmt:  # one row a member, its family's timeline with it
        echo_table(fmt, ["family", "id", "path", "title", "date", "first", "delay_s", "step",
                         "after"], [
            {"family": n, "id": m.id, "path": m.path, "title": m.title, "date": m.date,
             "first": m.id == f.first, "delay_s": d, "step": k, "after": after}
            for n, f in enumerate(fams, 1)
            for (m, d, k), after in zip(f.timeline(), f.parents, strict=True)])
    elif as_json:
        echo_json({"families": [f.to_json() for f in fams]})
    else:
        con = out()
        if not fams:
            con.print(Text("no versions found" + (f" of {safe(ref)}" if ref else "")))
        for n, f in enumerate(fams, 1):
            order = ("by date" if f.dated else "by date where known, then the undated"
                     if f.first else "order unknown: no dates")
            con.print(Text(f"family {n}: {len(f.members)} versions ({order})", style="bold"))
            for k, (m, d, step) in enumerate(f.timeline()):
                when = ("first" if k == 0 and f.first else delay_label(d) if d is not None
                        else "undated")
                one_line(con, Text.assemble(f"  {when:>8}  {(step or ''):<9}  {m.id}  ",
                                            (safe(m.path), "cyan"),
                                            f"  {safe(m.date) or '-'}  ", safe(m.title)))
            for p in f.pairs:
                con.print(Text(f"    {p.a} ~ {p.b}  {p.kind:<9}  similarity {p.similarity:.2f}"
                               f"  aligned {p.aligned:.2f}", style="dim"))
    if not fams:
        sys.exit(EXIT_NOT_FOUND)


@cli.command("outlets")
@corpus_option
@index_dir_option
@click.option("--from", "origin", metavar="SOURCE",
              help="Only what SOURCE published first (with it, or --to, each version is listed).")
@click.option("--to", "republisher", metavar="SOURCE",
              help="Only the later versions at SOURCE.")
@click.option("--no-spin", is_flag=True,
              help="Do not diff the rewrites not checked yet (their entities and quotes are "
                   "extracted first: slow on first use).")
@ner_option
@json_option
@format_option
def outlets_cmd(corpus: str | None, index_dir: str | None, origin: str | None,
                republisher: str | None, no_spin: bool, ner: str | None, as_json: bool,
                fmt: str | None) -> None:
    """Who republishes whom: for each pair of sources, how many of the first's
    articles appear as later versions at the second, by kind, after how long,
    and how many of the rewrites changed a name or a quote."""
    c = open_corpus(corpus, index_dir, ner=ner)
    quiet = as_json or fmt is not None or not sys.stderr.isatty()
    try:
        # (the families of an index made before them, or interrupted; then the spin counts)
        run_update(c, quiet, phases=("versions",) + ("spin",) * (not no_spin))
    except IndexBusyError:
        err().print(Text("variorum: another process is updating the index: this is the "
                         "table as it stands", style="yellow"), soft_wrap=True)
    report = c.outlets(spin=False)
    pairs = list(report.pairs)
    for name, side in ((origin, "origin"), (republisher, "republisher")):
        if name is None:
            continue
        names = sorted({getattr(p, side) for p in pairs}, key=str.casefold)
        pairs = [p for p in pairs if getattr(p, side).casefold() == name.casefold()]
        if not pairs:
            shown = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
            raise Failure(f"no outlet {name!r} among the "
                          f"{'first publishers' if side == 'origin' else 'republishers'}"
                          f" ({shown or 'none'})", EXIT_NOT_FOUND)
    listing = origin is not None or republisher is not None
    _echo_outlets(report, pairs, listing, no_spin, as_json, fmt)
    if not report.pairs:
        sys.exit(EXIT_NOT_FOUND)


def _echo_outlets(report, pairs, listing: bool, no_spin: bool, as_json: bool,
                  fmt: str | None) -> None:
    """The outlets table (``listing``: the versions behind its rows ``pairs``)
    as --format, --json or for people."""
    if fmt and listing:  # one row a later version
        echo_table(fmt, ["origin", "republisher", "kind", "delay_s", "earlier_id",
                         "earlier_path", "later_id", "later_path", "later_title",
                         "later_date"], [
            {"origin": p.origin, "republisher": p.republisher, "kind": s.kind,
             "delay_s": s.delay_s, "earlier_id": s.earlier.id, "earlier_path": s.earlier.path,
             "later_id": s.later.id, "later_path": s.later.path, "later_title": s.later.title,
             "later_date": s.later.date} for p in pairs for s in p.steps])
        return
    if fmt:
        cols = ["origin", "republisher", "total", *PAIR_KINDS, "median_delay_s",
                "rewrites_checked", "rewrites_changed", "changed_share"]
        echo_table(fmt, cols, [p.to_json(steps=False) for p in pairs])
        return
    if as_json:
        data = report.to_json(steps=listing)
        data["pairs"] = [p.to_json(steps=listing) for p in pairs]
        echo_json(data)
        return
    con = out()
    if listing:
        for p in pairs:
            con.print(Text(f"{safe(p.origin)} → {safe(p.republisher)}: {p.total} later "
                           f"version{'s' * (p.total != 1)}", style="bold"))
            for s in p.steps:
                one_line(con, Text.assemble(
                    f"  {delay_label(s.delay_s):>7}  {s.kind:<9}  ", (safe(s.later.path), "cyan"),
                    f"  {safe(s.later.title)}  ", (f"← {safe(s.earlier.path)}", "dim")))
        return
    _outlets_table(con, pairs)
    if report.undated_note:
        con.print(Text(report.undated_note, style="dim"))
    if report.unchecked:
        con.print(Text(f"{report.unchecked} rewrites not checked for changed names and quotes"
                       + (" (--no-spin)" if no_spin else ""), style="dim"))


def _outlets_table(con: Console, pairs) -> None:
    """The outlets table: one line a pair of sources, columns aligned."""
    from index import OUTLET_COLUMNS, outlet_cells  # (see the imports above)

    head = list(OUTLET_COLUMNS)
    rows = [[safe(c) if k < 2 else c for k, c in enumerate(outlet_cells(p))] for p in pairs]
    if not rows:
        con.print(Text("no later versions between dated articles"))
        return
    widths = [max(len(r[k]) for r in [head, *rows]) for k in range(len(head))]
    for n, r in enumerate([head, *rows]):
        cells = [c.ljust(w) if k < 2 else c.rjust(w)
                 for k, (c, w) in enumerate(zip(r, widths, strict=True))]
        one_line(con, Text("  ".join(cells).rstrip(), style="bold" if n == 0 else ""))


@cli.command("entities")
@click.argument("ref", metavar="ID_OR_PATH")
@corpus_option
@index_dir_option
@ner_option
@json_option
def entities_cmd(ref: str, corpus: str | None, index_dir: str | None, ner: str | None,
                 as_json: bool) -> None:
    """The named entities of one article, grouped by label, with their mentions."""
    c = open_corpus(corpus, index_dir, ner=ner)
    ann = c.annotations(c.get(ref))
    if as_json:
        echo_json([e.to_json() for e in ann.entities])
    elif not ann.entities:  # an answer, not a failure
        out().print(Text(f"no entities found · {ann.extractor}"))
    else:
        con = out()
        con.print(Text(f"{len(ann.entities)} entities · {ann.extractor}", style="dim"))
        label = None
        for e in ann.entities:
            if e.label != label:
                label = e.label
                con.print(Text(f"{LABEL_NAMES.get(label, label)} ({label})", style="bold"))
            line = Text(f"  {e.count:>3}  ")
            line.append(safe(e.name), style="cyan")
            if e.aliases:
                line.append("  also: " + ", ".join(safe(a) for a in e.aliases), style="dim")
            con.print(line)


@cli.command("quotes")
@click.argument("ref", metavar="ID_OR_PATH")
@corpus_option
@index_dir_option
@ner_option
@json_option
def quotes_cmd(ref: str, corpus: str | None, index_dir: str | None, ner: str | None,
               as_json: bool) -> None:
    """The direct quotations of one article, with who said them, then its
    quoted phrases (short quoted terms) with who used them."""
    c = open_corpus(corpus, index_dir, ner=ner)
    ann = c.annotations(c.get(ref))
    if as_json:
        echo_json([q.to_json() for q in ann.quoted])
    elif not ann.quoted:  # an answer, not a failure
        out().print(Text(f"no quotes found · {ann.extractor}"))
    else:
        con = out()
        con.print(Text(f"{len(ann.quotes)} quotes · {len(ann.phrases)} quoted phrases · "
                       f"{ann.extractor}", style="dim"))
        for q in ann.quotes:
            who = safe(q.speaker) if q.speaker else "(speaker not named)"
            con.print(Text.assemble((who, "bold" if q.speaker else "dim italic"),
                                    (f"  [{q.start}–{q.end}]", "dim")))
            con.print(Text("  “" + safe(q.text.replace("\n", " ¶ ")) + "”"))
        if ann.phrases:
            con.print(Text("Quoted phrases", style="bold underline"))
        for q in ann.phrases:
            con.print(Text.assemble(("  “" + safe(q.text) + "”", ""),
                                    ("  " + (safe(q.speaker) if q.speaker else "(the writer's)"),
                                     "bold" if q.speaker else "dim italic"),
                                    (f"  [{q.start}–{q.end}]", "dim")))


@cli.command("diff")
@click.argument("ref_a", metavar="A")
@click.argument("ref_b", metavar="B")
@corpus_option
@index_dir_option
@click.option("--inline", "layout", flag_value="inline", help="One column, changes inline.")
@click.option("--side-by-side", "layout", flag_value="side", help="Two aligned columns.")
@click.option("--no-entities", is_flag=True,
              help="Skip the entity and quote changes (no NER: faster on first use).")
@click.option("--changes-only", is_flag=True, help="Leave out sentences that did not change.")
@ner_option
@json_option
@click.option("--format", "fmt", type=click.Choice(list(EXPORT_FORMATS)), default=None,
              help="Write a self-contained report instead: HTML (side by side, printable) "
                   "or Markdown (see README, Exports).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="With --format: write the report to this file (else to standard output).")
def diff_cmd(ref_a: str, ref_b: str, corpus: str | None, index_dir: str | None,
             layout: str | None, no_entities: bool, changes_only: bool, ner: str | None,
             as_json: bool, fmt: str | None, output: str | None) -> None:
    """What changed from article A to article B (ids or paths): aligned
    sentences, word changes, and the spin report."""
    from rich.table import Table

    from . import diffrender as dr

    if output is not None and fmt is None:
        raise Failure("-o needs --format html or --format md")
    if fmt is not None and (as_json or layout or changes_only):
        raise Failure("--format writes the whole report: it goes with none of "
                      "--json, --inline, --side-by-side, --changes-only")
    c = open_corpus(corpus, index_dir, ner=ner)
    a, b = c.get(ref_a), c.get(ref_b)
    r = c.diff(a, b, entities=not no_entities)
    if as_json:
        echo_json(r.to_json())
        return
    if fmt is not None:
        from index import export_diff  # (see the imports above)

        report = export_diff(fmt, r, a, b)
        if output is None:
            click.echo(report, nl=False)
            return
        try:
            with open(output, "w", encoding="utf-8", newline="\n") as f:
                f.write(report)
        except OSError as e:
            raise Failure(f"cannot write {output}: {e.strerror or e}") from None
        click.echo(f"wrote {sanitize.terminal(output)}", err=True)
        return
    con = out()
    con.print(Text.assemble(("− ", "bold red"), (safe(a.title), "bold"),
                            f"  {safe(a.path)}  {a.id}"))
    con.print(Text.assemble(("+ ", "bold green"), (safe(b.title), "bold"),
                            f"  {safe(b.path)}  {b.id}"))
    con.print()
    if layout is None:
        layout = dr.default_layout(con.width)
    groups = [g for g in r.groups if g.is_change or not changes_only]
    if layout == "side":
        table = Table(box=None, show_header=False, expand=True, padding=(0, 1))
        table.add_column(width=1, no_wrap=True)
        table.add_column(ratio=1)
        table.add_column(ratio=1)
        for g in groups:
            left, right = dr.sides(g)
            m = dr.marker(g)
            table.add_row(Text(m, dr.marker_style(m)), left, right)
        if con.is_terminal:
            con.print(table)
        else:  # its columns wrap at the width, piped too; with no padding at the ends
            with con.capture() as cap:
                con.print(table, soft_wrap=False)
            con.print("\n".join(line.rstrip() for line in cap.get().splitlines()))
    else:
        for g in groups:
            m = dr.marker(g)
            line = Text(m + " ", dr.marker_style(m))
            line.append_text(dr.inline(g))
            con.print(line)
    con.print()
    for line in dr.report_lines(r):
        con.print(line)


@cli.command("similar")
@click.argument("ref", metavar="ID_OR_PATH")
@corpus_option
@index_dir_option
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
@json_option
def similar_cmd(ref: str, corpus: str | None, index_dir: str | None, limit: int,
                as_json: bool) -> None:
    """Articles most like this one (more-like-this over body terms)."""
    c = open_corpus(corpus, index_dir)
    art = c.get(ref)
    hits = c.similar(art.id, limit=limit)
    if as_json:
        echo_json({"id": art.id, "hits": [
            {k: v for k, v in h.to_json().items() if k != "spans"} for h in hits
        ]})
    else:
        con = out()
        con.print(Text.assemble("like ", (safe(art.title), "bold"), f" ({art.id}):"))
        for i, h in enumerate(hits, 1):
            hit_line(con, i, h.title, f"  {safe(h.path)}  {h.id}  {h.score:.2f}")
    if not hits:
        sys.exit(EXIT_NOT_FOUND)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="variorum", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("variorum: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        say_error(e.format_message())
        sys.exit(e.exit_code)
    except VariorumError as e:
        say_error(e)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("variorum: interrupted", err=True)
        sys.exit(130)
    except Terminated:
        click.echo("variorum: terminated", err=True)
        sys.exit(128 + signal.SIGTERM)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as e:  # never a traceback for the user
        if os.environ.get("VARIORUM_DEBUG"):
            raise
        say_error(f"{type(e).__name__}: {e} (set VARIORUM_DEBUG=1 for a traceback)",
                  prefix="internal error: ")
        sys.exit(3)


if __name__ == "__main__":
    main()
