"""The update pipeline on a Dask cluster (``variorum index --dask``).

:func:`connect` gives an executor for :func:`index.pipeline.update`: every
phase's chunks (reading files into Whoosh segments, signatures, verification,
entities and quotes) run as Dask tasks through the job layer
(:func:`index.jobs.map_chunks`), the same top-level chunk functions as in
local worker processes, with the same results. This process still does what
is central: the scan, the LSH banding of the signatures (numpy sorts of a
few bytes an article and band: ~3 s for 18,000 articles, minutes at a
million, and the
signature matrix is here anyway), committing the Whoosh segments the workers
wrote, and every write to the SQLite store.

Where (the ``spec``)
    ``tcp://host:8786`` (or any Dask address): a running scheduler and its
    workers; ``local`` or ``local:N``: a ``LocalCluster`` of N worker
    processes (one thread each) on this machine, started and ended here.

Shared storage
    Workers read the corpus folder and write segments (and the records of
    what they read: see ``index.search.indexer._PartWriter``) into the index
    dir themselves, at the same paths as here: both must be on storage every
    worker sees (NFS, Lustre, CephFS...). :func:`connect` checks that first,
    from every worker: the corpus is a folder it can list, a file written
    here into the index dir reads back the same there, and it can write
    there. Workers never open the SQLite store: its WAL (the ``-shm``
    shared-memory index) does not work across machines, and it is written
    here while chunks run. The chunks that need article texts
    (signatures, verification, entities) are sent with them, read here as
    each chunk is sent (:class:`index.jobs.Shipped`: zlib-compressed, about
    1 KB an article).

Cancelling, failures
    Chunks not yet sent are never sent and sent ones are cancelled, as in
    the job layer. A task already running on a remote worker cannot be
    stopped (Dask has no way to kill a thread): it finishes and its result
    is dropped; a segment it writes is a stray the next run removes. A
    ``local`` cluster's workers are ended with the run. A worker that dies
    (killed, out of memory) has its chunks run again on another by Dask;
    a chunk whose workers died ``allowed-failures`` + 1 times (Dask's
    setting: 3 by default, so 4 deaths) stops the run with :class:`WorkerDied`.

Dask is imported only here, and only when :func:`connect` is called.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, InvalidStateError
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import VariorumError, WorkerDied

__all__ = ["DASK_ENV", "ClusterError", "DaskExecutor", "Target", "connect", "parse_target"]

DASK_ENV = "VARIORUM_DASK"  # the CLI's default for --dask
LOCAL = "local"
MAX_LOCAL_WORKERS = 64
CONNECT_TIMEOUT = 30  # s to reach a scheduler
WORKERS_TIMEOUT = 60  # s for a scheduler to have a worker at all
LOCAL_HTTP = "127.0.0.1:0"  # a local cluster's scheduler's HTTP server
QUICK_CLOSE = 0.5  # s a stopped run's local workers get before they are killed
INSTALL_HINT = "pip install 'variorum[dask]'"
_ADDRESS = re.compile(r"[a-z][a-z0-9+.-]*://\S+|[^\s:/]+:[0-9]+")


class ClusterError(VariorumError):
    """The cluster cannot be used: unreachable, no workers, or workers that
    cannot see the corpus or the index dir."""


@dataclass(frozen=True)
class Target:
    """Where to run: a scheduler's ``address``, or (``address`` None) a
    local cluster of ``workers`` processes (None: the job layer's default)."""

    address: str | None
    workers: int | None = None

    def __str__(self) -> str:
        if self.address is not None:
            return self.address
        return LOCAL if self.workers is None else f"{LOCAL}:{self.workers}"


def parse_target(spec: str) -> Target:
    """``tcp://host:8786`` (any Dask address, ``host:port`` too), ``local``
    or ``local:N``."""
    s = spec.strip()
    if s == LOCAL:
        return Target(None)
    m = re.fullmatch(rf"{LOCAL}:(\d+)", s)
    if m:
        n = int(m.group(1))
        if not 1 <= n <= MAX_LOCAL_WORKERS:
            raise ClusterError(f"local:N takes 1 to {MAX_LOCAL_WORKERS} workers, not {n}")
        return Target(None, n)
    if _ADDRESS.fullmatch(s):
        return Target(s)
    raise ClusterError(f"--dask takes a scheduler address (tcp://host:8786), `{LOCAL}` or "
                       f"`{LOCAL}:N`, not {spec!r}")


class DaskExecutor:
    """An executor for :func:`index.jobs.map_chunks` over a Dask client.

    ``submit(fn, chunk)`` gives a ``concurrent.futures.Future``; cancelling
    it cancels the task. ``workers``: the cluster's worker threads, counted
    when asked (the job layer keeps two chunks each in flight, and the
    indexer makes its chunks by it). ``address``: the scheduler's."""

    # workers may be on other machines: chunks come with the texts they need
    ships_texts = True

    def __init__(self, client):
        self.client = client
        self.address = client.scheduler.address
        # pure=False: a chunk is a task of its own, never one Dask thinks it
        # has already run (its key is not a hash of the chunk)
        self._executor = client.get_executor(pure=False)

    @property
    def workers(self) -> int:
        """The cluster's worker threads now (asked each time: workers join
        while a run goes on, e.g. a SLURM cluster scaling up)."""
        return max(1, sum(self.client.nthreads().values()))

    def submit(self, fn: Callable, *args) -> Future:
        inner = self._executor.submit(fn, *args)
        outer: Future = Future()

        def relay(f: Future) -> None:
            try:
                if f.cancelled():  # not by the job layer (that cancels ``outer``)
                    outer.set_exception(WorkerDied(
                        "the Dask cluster dropped a chunk (the scheduler lost or shut "
                        "down); the run was stopped and nothing it did was kept"))
                elif (err := f.exception()) is not None:
                    outer.set_exception(_translated(err))
                else:
                    outer.set_result(f.result())
            except InvalidStateError:  # ``outer`` was cancelled meanwhile
                pass

        outer.add_done_callback(lambda o: inner.cancel() if o.cancelled() else None)
        inner.add_done_callback(relay)
        return outer


def _translated(err: BaseException) -> BaseException:
    from distributed.scheduler import KilledWorker

    if isinstance(err, KilledWorker):
        died = WorkerDied(
            f"Dask workers died running one chunk {err.allowed_failures + 1} times (killed, "
            "or out of memory: see the workers' logs); the run was stopped and nothing it "
            "did was kept")
        died.__cause__ = err
        return died
    return err


# ---------------------------------------------------------------- connecting

@contextmanager
def connect(spec: str | Target, root: Path, index_dir: Path,
            local_workers: int | None = None) -> Iterator[DaskExecutor]:
    """An executor on the cluster ``spec`` names (see :func:`parse_target`),
    checked to see ``root`` and ``index_dir`` as this process does; a local
    cluster started for it (of ``local_workers`` processes when ``spec`` is
    plain ``local``) ends with the block, and so does the connection."""
    target = spec if isinstance(spec, Target) else parse_target(spec)
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"--dask needs Dask's distributed package: {INSTALL_HINT}") from None
    root, index_dir = Path(root).resolve(), Path(index_dir).resolve()
    with ExitStack() as stack:
        if target.address is None:
            from .jobs import default_workers

            n = target.workers or local_workers or default_workers()
            client = distributed.Client(_local_cluster(stack, n), set_as_default=False)
        else:
            try:
                client = distributed.Client(target.address, timeout=CONNECT_TIMEOUT,
                                            set_as_default=False)
            except (OSError, TimeoutError) as e:
                raise ClusterError(f"cannot reach the Dask scheduler at {target.address}: "
                                   f"{e}") from None
        stack.callback(client.close)  # (before a local cluster's close: callbacks run last first)
        try:
            client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        except TimeoutError:
            raise ClusterError(f"the Dask scheduler at {target} has no workers (waited "
                               f"{WORKERS_TIMEOUT} s)") from None
        check_workers(client, root, index_dir)
        yield DaskExecutor(client)


def _local_cluster(stack: ExitStack, n: int):
    """A LocalCluster of ``n`` one-thread worker processes that ignore
    Ctrl-C (this process cancels them: a worker interrupted prints a
    traceback), closed by ``stack``."""
    import logging
    from multiprocessing import resource_tracker

    from distributed import LocalCluster

    from .pools import _signals_deferred

    # The workers are started from the cluster's event-loop thread, made
    # below with SIGINT blocked: they inherit the blocked signal, and keep
    # it. Multiprocessing's resource tracker unblocks SIGINT in the thread
    # that starts it (it starts on first use): started here, first, it is
    # not the loop thread that starts it.
    resource_tracker.ensure_running()
    with _signals_deferred():  # (a Ctrl-C now acts once the cluster can be closed)
        # silence_logs: the workers' own logs are not shown (what goes wrong
        # in a chunk comes back here as its error; a worker stopped early
        # logs the scheduler it can no longer reach). No dashboard; the
        # scheduler's HTTP server (health checks) on a free local port, not
        # on 8787 (taken by another cluster, it prints a warning).
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.CRITICAL,
                               scheduler_kwargs={"dashboard_address": LOCAL_HTTP})

        def close(exc_type, _exc, _tb) -> None:
            if exc_type is not None:
                # Stopped early (cancelled, interrupted, failed): a worker busy
                # with a chunk is not waited for (Dask's default: 4 s), it is
                # killed; nothing it writes is kept.
                cluster.sync(_close_now, list(cluster.workers.values()))
            cluster.close()

        stack.push(close)
    return cluster


async def _close_now(nannies: list) -> None:
    import asyncio

    await asyncio.gather(*(n.close(timeout=QUICK_CLOSE) for n in nannies),
                         return_exceptions=True)


def check_workers(client, root: Path, index_dir: Path) -> None:
    """Raise :class:`ClusterError` unless every worker runs this engine's
    code, lists the corpus folder ``root``, and sees the index dir: a file
    written here reads back the same there, and it can write there."""
    index_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    probe = index_dir / f".dask-probe-{token}"
    probe.write_text(token)
    try:
        seen = client.run(_probe, str(root), str(index_dir), probe.name, token,
                          engine_fingerprint(), on_error="return")
    finally:
        probe.unlink(missing_ok=True)
    problems = []
    for address, said in sorted(seen.items()):
        if isinstance(said, BaseException):
            problems.append(f"worker {address} cannot run variorum's engine ("
                            f"{type(said).__name__}: {said}): install variorum there")
        elif said:
            problems.append(f"worker {address} {said}")
    if problems:
        more = f" (and {len(problems) - 1} more workers)" if len(problems) > 1 else ""
        raise ClusterError(f"{problems[0]}{more}; the corpus folder and the index dir must be "
                           "on storage every Dask worker can read, at the same paths")


def _probe(root: str, index_dir: str, name: str, token: str, fingerprint: str) -> str | None:
    """On a worker: what is wrong with it for this run (None: nothing)."""
    if fingerprint != engine_fingerprint():
        return "runs other variorum engine code than this machine: install the same version"
    try:
        os.listdir(root)
    except OSError as e:
        return f"cannot list the corpus folder {root}: {e.strerror or e}"
    try:
        got = Path(index_dir, name).read_text()
    except OSError:
        got = None
    if got != token:
        return f"does not see this index dir at {index_dir} (another folder, or none, is there)"
    try:
        fd, path = tempfile.mkstemp(prefix=".dask-write-", dir=index_dir)
        os.close(fd)
        os.unlink(path)
    except OSError as e:
        return f"cannot write the index dir {index_dir}: {e.strerror or e}"
    return None


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """A hash of the engine's sources: the client and every worker must run
    the same chunk functions, or their results would differ."""
    here = Path(__file__).resolve().parent
    h = hashlib.blake2b(digest_size=8)
    for p in sorted(here.rglob("*.py")):
        h.update(str(p.relative_to(here)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()
