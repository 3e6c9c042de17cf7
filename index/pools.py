"""Worker process pools that never outlive the process that made them.

Every pool the engine starts is made here, by the job layer
(:mod:`index.jobs`: the indexer's readers, the versions phase, the entity
extractors, the reader's extraction worker), so all of them get the same
treatment:

- workers are *spawned*, which is safe from a threaded caller (the reader
  runs its updates in threads);
- each worker holds the read end of a "lifeline" pipe whose write end only
  the parent has. When the parent dies, however it dies (SIGKILL included),
  the kernel closes the write end, a thread in the worker reads end-of-file
  and the worker exits at once. Without it, the workers of a killed parent
  waited forever on the pool's call queue (every worker holds that queue's
  write end too, so it never reads end-of-file), and with them
  multiprocessing's resource tracker, which exits only when every holder of
  its pipe has gone.
  Linux's ``PR_SET_PDEATHSIG`` is not used: it fires when the *thread* that
  spawned the worker ends, not the process, and pools are started from the
  reader's short-lived worker threads;
- workers ignore SIGINT: a Ctrl-C reaches the whole process group, and the
  parent cancels its workers itself (a worker interrupted while idle would
  print a traceback instead);
- a Ctrl-C or SIGTERM that comes while a worker is being started waits until
  it has started: raised half-way, it left a worker that printed a
  traceback (its start-up data cut short), or one the pool did not know of.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

# What a worker exits with when its parent has gone (nobody is left to read it).
ORPHANED_EXIT = 70


def context():
    """The multiprocessing context every pool uses."""
    return mp.get_context("spawn")


class _Pool(ProcessPoolExecutor):
    def _spawn_process(self) -> None:
        # ProcessPoolExecutor starts each worker in here (CPython 3.11-3.13)
        with _signals_deferred():
            super()._spawn_process()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=wait, cancel_futures=cancel_futures)
        if wait:  # the workers have exited: the lifeline is no longer needed
            self._variorum_lifeline.close()
        # else: it closes when the pool is collected (or this process exits),
        # and any worker still finishing a task then exits with it


def process_pool(workers: int, initializer: Callable | None = None,
                 initargs: tuple = ()) -> ProcessPoolExecutor:
    """A ``ProcessPoolExecutor`` of ``workers`` spawned processes that exit
    when this process dies; ``initializer(*initargs)`` runs in each one."""
    ctx = context()
    reader, writer = ctx.Pipe(duplex=False)
    pool = _Pool(workers, mp_context=ctx, initializer=_start_worker,
                 initargs=(reader, initializer, initargs))
    pool._variorum_lifeline = writer
    # The pool keeps ``reader`` (in its initargs) for the workers it starts
    # later; closing it here would leave nothing to hand them.
    weakref.finalize(pool, writer.close)
    return pool


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while a worker is started, then act on the
    first one that came as the handler in place would have.

    SIGINT is also blocked in this thread meanwhile, so the worker starts with
    it blocked (a process inherits its parent's signal mask): a Ctrl-C while
    it imports (before its initializer ignores SIGINT) would print a
    traceback. Python runs signal handlers in the main thread only, so
    elsewhere the mask is all there is to set."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    came: list[tuple[int, object]] = []
    before = {}
    if threading.current_thread() is threading.main_thread():
        # (None: a handler not set from Python, which could not be put back)
        before = {s: h for s in (signal.SIGINT, signal.SIGTERM)
                  if (h := signal.getsignal(s)) is not None}
    for s in before:
        signal.signal(s, lambda signum, frame: came.append((signum, frame)))
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a SIGINT held here comes now
        if came:
            signum, frame = came[0]
            handler = before[signum]
            if callable(handler):
                handler(signum, frame)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


def _start_worker(lifeline, initializer, initargs) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(lifeline,), daemon=True,
                     name="variorum-lifeline").start()
    if initializer is not None:
        initializer(*initargs)


def _exit_with_parent(lifeline) -> None:
    """Block until the parent's end of the lifeline closes, then exit now:
    whatever this worker was doing has nobody to hand it to."""
    try:
        lifeline.recv_bytes()  # nothing is ever sent: this returns at end-of-file
    except (EOFError, OSError):
        pass
    os._exit(ORPHANED_EXIT)
