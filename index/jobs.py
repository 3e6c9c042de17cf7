"""The engine's one way to run work in parallel: a chunked map.

Every stage that uses worker processes (the indexer's parse→segment, the
versions phase's signatures and verification, the extraction of entities and
quotes) hands :func:`map_chunks` a plain top-level function and a list of
chunks; the function turns one chunk of inputs into plain, picklable results.
Nothing else crosses to a worker: no Event, Queue or shared state, so any
``concurrent.futures``-style executor can run the chunks, a local process
pool or a Dask cluster (:mod:`index.cluster`'s executor, around a
``distributed.Client``'s ``get_executor()``).

Where the chunks run (one rule, for every stage)
    Each stage sizes a *unit* of its work (a chunk, usually) to be worth about
    as much as starting a worker. Units run here, in the calling thread, when
    ``procs`` is 1 or there are fewer than :data:`PARALLEL_MIN_CHUNKS` of
    them; else in a pool of ``min(procs, chunks)`` local worker processes
    (see :mod:`index.pools`: spawned, dying with this process, SIGINT
    ignored). ``procs`` defaults to :func:`default_workers`. (The indexer
    deals its units into one chunk a worker: each chunk writes a Whoosh
    segment of its own, and more segments made a bigger index and slower
    searches.)

Progress
    ``progress(done, total)`` in items (the chunks' lengths) after each
    finished chunk, in the caller's thread. A remote worker can report
    nothing else: no queue from worker to caller is needed.

Cancelling
    ``cancel()`` is polled in the caller's thread. When it says so, chunks not
    yet submitted are never submitted (at most two a worker are in flight at a
    time) and submitted ones are cancelled; then :class:`Cancelled` is raised.
    Chunks that are already *running* in the local pool are not asked to stop
    (no cooperative flag): their workers are killed. Every chunk function
    here is safe to kill at any point, as a SIGKILL of the whole run is (what
    a worker writes is either returned or, for the indexer's segments, files
    the next run removes as strays), so a flag would only add a channel that
    a remote worker could not use. On an executor passed in (not owned here),
    running chunks finish on their own and their results are dropped.

Interrupts (Ctrl-C, SIGTERM raised as an exception)
    Python runs signal handlers in the main thread, between any two bytecodes,
    including the one between a ``with lock:``'s acquire and the block that
    releases it. An interrupted main thread that was inside
    ``Future.done()``, ``pool.submit()`` or a ``Queue.get()`` can so keep a
    lock of the pool's for ever; the pool's manager thread then blocks on it,
    and ``shutdown(wait=True)`` (or the interpreter's exit, which joins every
    pool's manager thread) hangs. So the calling thread never touches the
    pool: a driver thread (signals never reach it) submits, waits and shuts
    down, and hands each result over a ``queue.SimpleQueue`` (C code: its
    ``put`` never blocks, its ``get`` is interruptible without leaving a lock
    held). Interrupted, the calling thread only sets a flag and waits for the
    driver, which kills the workers before it shuts the pool down: nothing it
    joins can wait on a lock of the interrupted thread.

Shipping
    A chunk function of a stage that reads article texts reads them from
    the store. A worker on another machine cannot (SQLite's WAL, its
    shared-memory index, does not work across machines): for an executor
    whose ``ships_texts`` is true (a Dask cluster's), the stage passes
    ``ship``, which turns each chunk, as it is sent, into a :class:`Shipped`
    one carrying its texts, read here; its function takes either.

Errors
    A chunk that raises stops the run (the other chunks are dropped as on a
    cancel) and its exception is raised in the caller, once. A worker that
    died (killed, out of memory) raises :class:`WorkerDied`.
"""

from __future__ import annotations

import os
import queue
import threading
import zlib
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from . import pools
from .errors import Cancelled, WorkerDied

__all__ = [
    "PARALLEL_MIN_CHUNKS",
    "Cancelled",
    "Shipped",
    "Worker",
    "WorkerDied",
    "default_workers",
    "map_chunks",
    "pool_size",
    "unship",
]

# A pool pays off from this many chunks on: each stage sizes a chunk to be
# worth about one worker's start (spawning and its imports, ~0.3-1 s).
PARALLEL_MIN_CHUNKS = 4
# The default number of workers: the cores, at most this many (an extraction
# worker holds a spaCy model, hundreds of MB; an indexing worker writes a
# Whoosh segment of its own per chunk).
MAX_DEFAULT_WORKERS = 4
IN_FLIGHT_PER_WORKER = 2  # chunks submitted ahead: a worker never waits for the next
_POLL = 0.1  # s: how often cancel() is asked while chunks run (its latency, not a sync)


def default_workers() -> int:
    """Worker processes when the caller names none: the cores this process
    may run on, at most :data:`MAX_DEFAULT_WORKERS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_WORKERS))


def pool_size(units: int, procs: int | None = None, chunks: int | None = None) -> int:
    """The one "go parallel" rule: how many worker processes ``units`` units
    of work in ``chunks`` chunks (default: a chunk a unit) get, 0 when they
    are run here (``procs`` 1, or fewer than :data:`PARALLEL_MIN_CHUNKS`
    units)."""
    procs = procs or default_workers()
    if procs <= 1 or units < PARALLEL_MIN_CHUNKS:
        return 0
    return min(procs, units if chunks is None else chunks)


def map_chunks(fn: Callable, chunks: Sequence[Sequence], *, executor=None,
               procs: int | None = None, units: int | None = None,
               progress: Callable[[int, int], None] | None = None,
               cancel: Callable[[], bool] | None = None,
               each: Callable[[int, object], None] | None = None,
               nice: int = 0, ship: Callable | None = None, keep: bool = True) -> list:
    """``[fn(c) for c in chunks]``, in chunk order, run where the rule says
    (see the module's docstring) or in ``executor`` (anything with
    ``submit(fn, chunk) -> Future``, e.g. a :class:`Worker`, or
    :class:`index.cluster.DaskExecutor`; its ``workers``, when it has one,
    is how many chunks it runs at once).

    ``units``: how much work the chunks are, in the stage's units (default:
    a unit a chunk), for the rule. ``each(i, result)`` is called for each
    chunk as it finishes (in the order they finish) and ``progress(
    done_items, total_items)`` after it, both in the calling thread.
    ``nice``: added to the niceness of the local workers this call starts
    (background work that yields to the caller's process).
    ``ship(chunk)``: what is sent instead of each chunk, made as it is sent
    (see "Shipping" in the module's docstring). ``keep=False``: each result
    is handed to ``each`` only, and not kept (the list returned holds None):
    for results that ``each`` stores, and that would add up to the whole
    run's in memory.
    Raises :class:`Cancelled` when ``cancel()``; a chunk's exception; or
    :class:`WorkerDied`.
    """
    chunks = list(chunks)
    total = sum(len(c) for c in chunks)
    workers = 0 if executor is not None else pool_size(
        len(chunks) if units is None else units, procs, len(chunks))
    if executor is None and not workers:
        return _here(fn, chunks, total, progress, cancel, each, ship, keep)
    results: list = [None] * len(chunks)
    done = 0
    run = _Driver(fn, chunks, executor, workers, nice, ship)
    try:
        run.start()  # (in the try: an interrupt right after it must still stop the run)
        for _ in range(len(chunks)):
            while True:
                try:
                    i, ok, value = run.results.get(timeout=_POLL)
                    break
                except queue.Empty:
                    if cancel is not None and cancel():
                        raise Cancelled from None
            if not ok:
                raise value
            if keep:
                results[i] = value
            done += len(chunks[i])
            if each is not None:
                each(i, value)
            if progress is not None:
                progress(done, total)
            if cancel is not None and cancel() and done < total:
                raise Cancelled
        run.join()
    except BaseException:
        run.stop()
        raise
    return results


def _here(fn, chunks, total, progress, cancel, each, ship, keep=True) -> list:
    results = []
    done = 0
    for i, c in enumerate(chunks):
        if cancel is not None and cancel():
            raise Cancelled
        r = fn(ship(c) if ship is not None else c)
        results.append(r if keep else None)
        done += len(c)
        if each is not None:
            each(i, r)
        if progress is not None:
            progress(done, total)
    return results


class _Driver:
    """Runs the chunks in a pool from a thread of its own (see "Interrupts"
    in the module's docstring). The calling thread talks to it through two
    things only: ``results`` (a SimpleQueue of ``(index, ok, value)``) and
    the plain attribute ``stopping``."""

    def __init__(self, fn, chunks, executor, workers: int, nice: int, ship=None):
        self.fn, self.chunks, self.executor = fn, chunks, executor
        self.workers, self.nice, self.ship = workers, nice, ship
        self.results: queue.SimpleQueue = queue.SimpleQueue()
        self._ended: queue.SimpleQueue = queue.SimpleQueue()
        self.stopping = False
        self.began = self.ended = False
        # daemon: a driver that an interrupted Thread.start() left waiting to
        # begin must not keep the interpreter from exiting
        self._thread = threading.Thread(target=self._run, name="variorum-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the run and wait until the driver has let go of its workers
        (bounded: it kills them). The caller's thread may have been
        interrupted anywhere; this touches no lock of the pool's."""
        self.stopping = True
        if self.began:  # else it sees ``stopping`` before it makes a pool
            self.join()

    def join(self) -> None:
        """Wait until the driver has ended (the flag, not the queue, says so:
        a wait interrupted after it took the queue's item is waited again)."""
        while not self.ended:
            try:
                self._ended.get(timeout=_POLL)
            except queue.Empty:
                pass

    def _run(self) -> None:
        self.began = True
        try:
            if not self.stopping:
                self._drive()
        except BaseException as e:  # handed to the caller: this thread has nobody else
            self.results.put((-1, False, e))
        finally:
            self.ended = True
            self._ended.put(None)

    def _drive(self) -> None:
        own = None
        executor = self.executor
        if executor is None:
            init, args = (_renice, (self.nice,)) if self.nice else (None, ())
            executor = own = pools.process_pool(self.workers, init, args)
        procs: list = []
        finished = died = False
        pending: dict[Future, int] = {}
        try:
            # an executor passed in says how many chunks it runs at once
            # (a Dask cluster's worker threads); else it is one worker
            width = self.workers or getattr(executor, "workers", 1)
            window = max(1, width) * IN_FLIGHT_PER_WORKER
            todo = iter(range(len(self.chunks)))
            failed = False
            while not self.stopping and not failed:
                # (the window is checked before each chunk is sent: a poll that
                # found none finished sends none)
                while len(pending) < window and (i := next(todo, None)) is not None:
                    chunk = self.chunks[i] if self.ship is None else self.ship(self.chunks[i])
                    pending[executor.submit(self.fn, chunk)] = i
                if own is not None:
                    procs = _processes(own) or procs
                if not pending:
                    finished = True
                    break
                ready, _ = wait(pending, timeout=_POLL, return_when=FIRST_COMPLETED)
                for f in ready:
                    i = pending.pop(f)
                    err = f.exception()
                    if err is None:
                        self.results.put((i, True, f.result()))
                    elif isinstance(err, BrokenProcessPool):
                        failed = died = True  # said once the pool has reaped its workers
                    else:
                        failed = True
                        self.results.put((i, False, err))
        finally:
            if own is None:
                for f in pending:  # not started there yet: never started
                    f.cancel()
            else:
                # Not cancel(): a future cancelled while queued makes the
                # pool's manager thread die (InvalidStateError, CPython 3.11)
                # when the pool then breaks, before it cleans up.
                if not finished and not died:
                    # running chunks are not waited for: their workers go
                    # (all of them: one killed holding a queue's lock would
                    # block the others). A pool that broke ends its
                    # workers itself.
                    for p in _processes(own) or procs:
                        _kill(p)
                own.shutdown(wait=True, cancel_futures=True)
        if died:
            raise WorkerDied(_died(procs))


@dataclass(frozen=True)
class Shipped:
    """A chunk sent with the article texts its function needs (see
    "Shipping" in the module's docstring): ``chunk`` as it was, ``texts``
    key (an article id or a body hash) -> the text, zlib-compressed as the
    store keeps it."""

    chunk: list
    texts: dict[str, bytes]


def unship(chunk) -> tuple[list, dict[str, str] | None]:
    """``(chunk, texts)`` of a :class:`Shipped` chunk (texts decompressed);
    ``(chunk, None)`` of a plain one, whose function reads the store."""
    if isinstance(chunk, Shipped):
        return chunk.chunk, {k: zlib.decompress(z).decode("utf-8")
                             for k, z in chunk.texts.items()}
    return chunk, None


def _processes(pool) -> list:
    return list((getattr(pool, "_processes", None) or {}).values())


def _kill(p) -> None:
    try:
        p.kill()
    except (OSError, ValueError):  # gone already, or closed
        pass


def _died(procs: list) -> str:
    import signal

    codes = [p.exitcode for p in procs if p.exitcode not in (None, 0, -signal.SIGTERM)]
    how = ""
    if codes and codes[0] < 0:
        try:
            how = f" (killed by {signal.Signals(-codes[0]).name})"
        except ValueError:
            how = f" (signal {-codes[0]})"
    elif codes:
        how = f" (exit status {codes[0]})"
    return (f"a worker process died{how}, killed or out of memory; the run was stopped "
            f"and nothing it did was kept")


def _renice(nice: int) -> None:
    try:
        os.nice(nice)
    except (OSError, AttributeError):
        pass


class Worker:
    """One long-lived worker process for work asked for one piece at a time
    (the reader's extraction of the article on screen): started on first
    use, replaced when it died, ended by :meth:`stop`. Its ``submit`` makes
    it an executor for :func:`map_chunks` too. Thread-safe.

    Jobs wait here, in order, and go to the process one at a time: a job
    cancelled while it waits is dropped here, never sent (a future cancelled
    inside a process pool that then breaks kills the pool's manager thread,
    and with it the other jobs' futures, on CPython 3.11)."""

    def __init__(self, nice: int = 0):
        self.nice = nice
        self._lock = threading.Lock()
        self._pool = None
        self._waiting: deque = deque()
        self._busy = False  # a job is in the process

    def submit(self, fn: Callable, *args) -> Future:
        future: Future = Future()
        with self._lock:
            self._waiting.append((future, fn, args))
        self._next()
        return future

    def _next(self) -> None:
        with self._lock:
            if self._busy:
                return
            while self._waiting:
                future, fn, args = self._waiting.popleft()
                if future.set_running_or_notify_cancel():
                    break
            else:
                return
            if self._pool is None:
                init, iargs = (_renice, (self.nice,)) if self.nice else (None, ())
                self._pool = pools.process_pool(1, init, iargs)
            pool = self._pool
            try:
                inner = pool.submit(fn, *args)
            except BaseException as e:  # broken meanwhile: the next job gets a new process
                self._pool = None
                future.set_exception(_worker_died(e))
                inner = None
            else:
                self._busy = True
        if inner is None:
            self._next()
            return
        # (called in the pool's manager thread, or here if already done)
        inner.add_done_callback(lambda done: self._finished(future, done, pool))

    def _finished(self, future: Future, inner: Future, pool) -> None:
        err = inner.exception()
        if isinstance(err, BrokenProcessPool):
            err = _worker_died(err)
            with self._lock:
                if self._pool is pool:
                    self._pool = None  # died: the next job gets a new process
        with self._lock:
            self._busy = False
        if err is None:
            future.set_result(inner.result())
        else:
            future.set_exception(err)
        self._next()

    def call(self, fn: Callable, *args, cancel: Callable[[], bool] | None = None):
        """``fn(*args)`` in the worker: its result or exception;
        :class:`Cancelled` (the job dropped if it has not started) when
        ``cancel()``; :class:`WorkerDied` if the process died meanwhile."""
        from concurrent.futures import TimeoutError as FutureTimeout

        if cancel is not None and cancel():
            raise Cancelled
        future = self.submit(fn, *args)
        while True:
            try:
                return future.result(timeout=_POLL)
            except FutureTimeout:
                if cancel is not None and cancel():
                    future.cancel()
                    raise Cancelled from None

    def pids(self) -> list[int]:
        """The worker's process id (none when it is not running)."""
        with self._lock:
            return [p.pid for p in _processes(self._pool)] if self._pool else []

    def stop(self) -> None:
        """End the worker now, and the work it is doing (an unfinished job
        fails with :class:`WorkerDied`; waiting ones are cancelled).
        ``shutdown(wait=False)`` alone would return, but the process would
        go on with its job, and the interpreter waits for it at exit."""
        with self._lock:
            pool, self._pool = self._pool, None
            waiting = list(self._waiting)
            self._waiting.clear()
        for future, _fn, _args in waiting:
            future.cancel()
        if pool is None:
            return
        procs = _processes(pool)  # before shutdown(), which lets go of them
        pool.shutdown(wait=False)
        for p in procs:
            _kill(p)
        _gone(procs)


def _worker_died(cause: BaseException) -> WorkerDied:
    err = WorkerDied("the worker process died (killed, or out of memory); the next "
                     "request starts another")
    err.__cause__ = cause
    return err


def _gone(procs: list, within: float = 10.0) -> None:
    """Wait (boundedly) until killed processes have died: their sentinels
    (pipes the kernel closes at exit) are ready. Not a join: the pool's
    manager thread reaps them."""
    from multiprocessing.connection import wait as ready

    try:
        ready([p.sentinel for p in procs], timeout=within)
    except (OSError, ValueError):  # a process already closed
        pass
