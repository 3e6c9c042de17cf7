"""The job layer (index/jobs.py) with real local worker processes, and the one
update pipeline (index/pipeline.py) through the CLI and through Corpus."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index import Corpus, jobs, pipeline
from index.errors import Cancelled, WorkerDied

ROOT = Path(__file__).resolve().parent.parent


# Chunk functions: top-level, so that worker processes can run them.

def double(chunk: list[int]) -> tuple[int, list[int]]:
    return os.getpid(), [x * 2 for x in chunk]


def first_then_block(marks: str, fifo: str, chunk: list[int]) -> int:
    """Chunk 0 returns at once; every other chunk leaves a mark and then
    blocks for ever (it opens a FIFO nobody writes to), until it is killed."""
    i = chunk[0]
    if i == 0:
        return i
    Path(marks, f"{i}-{os.getpid()}").touch()
    with open(fifo):  # never returns: no writer ever opens it
        pass
    return i


def fails_on_three(chunk: list[int]) -> list[int]:
    if 3 in chunk:
        raise ValueError("chunk three is bad")
    return chunk


def dies_on_two(chunk: list[int]) -> list[int]:
    if 2 in chunk:
        os.kill(os.getpid(), signal.SIGKILL)
    return chunk


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def started(marks: Path) -> dict[int, int]:
    """chunk -> pid of the worker that started it."""
    return {int(i): int(p) for i, p in (m.name.split("-") for m in marks.iterdir())}


# ------------------------------------------------------------------ the rule

def test_one_rule_says_where_chunks_run():
    assert jobs.pool_size(jobs.PARALLEL_MIN_CHUNKS - 1, 8) == 0  # too little work: here
    assert jobs.pool_size(jobs.PARALLEL_MIN_CHUNKS, 1) == 0  # one process asked for
    assert jobs.pool_size(jobs.PARALLEL_MIN_CHUNKS, 2) == 2
    assert jobs.pool_size(jobs.PARALLEL_MIN_CHUNKS, 64) == jobs.PARALLEL_MIN_CHUNKS  # <= chunks
    # work in bigger chunks than its units (the indexer: a chunk a worker)
    assert jobs.pool_size(jobs.PARALLEL_MIN_CHUNKS, 2, chunks=2) == 2
    assert jobs.pool_size(jobs.PARALLEL_MIN_CHUNKS - 1, 2, chunks=2) == 0
    assert 1 <= jobs.default_workers() <= jobs.MAX_DEFAULT_WORKERS


def test_few_chunks_run_here():
    got = jobs.map_chunks(double, [[1], [2]], procs=2)
    assert got == [(os.getpid(), [2]), (os.getpid(), [4])]
    # two chunks that are enough work for workers
    pids = {r[0] for r in jobs.map_chunks(double, [[1], [2]], procs=2,
                                          units=jobs.PARALLEL_MIN_CHUNKS)}
    assert os.getpid() not in pids


# ------------------------------------------------------------- a real pool

def test_results_come_in_chunk_order_with_progress_by_chunks():
    chunks = [[k, k + 100] for k in range(12)]
    progress, finished = [], []
    got = jobs.map_chunks(double, chunks, procs=2,
                          progress=lambda done, total: progress.append((done, total)),
                          each=lambda i, _r: finished.append(i))
    assert [r[1] for r in got] == [[2 * k, 2 * k + 200] for k in range(12)]
    pids = {r[0] for r in got}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2  # in two worker processes
    assert progress == [(2 * n, 24) for n in range(1, 13)]  # two items a chunk
    assert sorted(finished) == list(range(12))
    assert not any(alive(p) for p in pids)  # the pool is gone with the call


def test_cancel_stops_the_remaining_chunks_and_ends_the_running_ones(tmp_path):
    marks, fifo = tmp_path / "marks", tmp_path / "fifo"
    marks.mkdir()
    os.mkfifo(fifo)
    finished = []
    n = 40
    with pytest.raises(Cancelled):
        jobs.map_chunks(_partial(first_then_block, str(marks), str(fifo)),
                        [[k] for k in range(n)], procs=2,
                        each=lambda i, r: finished.append(r), cancel=lambda: bool(finished))
    assert finished == [0]
    ran = started(marks)
    window = 2 * jobs.IN_FLIGHT_PER_WORKER
    assert ran and max(ran) <= window  # chunks past those in flight were never sent
    assert not any(alive(p) for p in ran.values())  # blocked workers were ended, not awaited


def test_no_more_chunks_are_in_flight_than_the_window_while_none_finish():
    """While no chunk finishes (here for ten of the caller's polls), the
    driver sends nothing more: it kept adding a chunk at every poll, so a
    slow first chunk (a Dask cluster's round trip) let the whole run be
    queued on the executor, past what a cancel could keep from starting."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    release, after = threading.Event(), threading.Event()
    polls, done, sent = [], [], []

    def wait_for_release(chunk: list[int]) -> list[int]:
        (after if chunk[0] else release).wait()  # the others wait for the run's end
        return chunk

    def cancel() -> bool:
        polls.append(1)
        if len(polls) == 10:
            release.set()
        return bool(done)

    class Counted(ThreadPoolExecutor):  # one chunk at a time: a window of two
        def submit(self, fn, *args):
            sent.append(args[0][0])
            return super().submit(fn, *args)

    with Counted(1) as ex:
        try:
            with pytest.raises(Cancelled):
                jobs.map_chunks(wait_for_release, [[k] for k in range(40)], executor=ex,
                                each=lambda i, r: done.append(i), cancel=cancel)
        finally:
            release.set()
            after.set()
    assert len(polls) >= 10 and done == [0]
    # the window, and the one sent when chunk 0 came back
    assert len(sent) <= jobs.IN_FLIGHT_PER_WORKER + 1


def test_a_chunk_that_raises_is_one_error():
    with pytest.raises(ValueError, match="chunk three is bad"):
        jobs.map_chunks(fails_on_three, [[k] for k in range(8)], procs=2)


def test_a_worker_that_dies_is_a_clear_error_not_a_hang():
    with pytest.raises(WorkerDied, match="killed by SIGKILL"):
        jobs.map_chunks(dies_on_two, [[k] for k in range(8)], procs=2)


def test_an_interrupt_in_the_calling_thread_ends_the_workers(tmp_path):
    """A KeyboardInterrupt raised in the caller while chunks run (here from
    its progress callback) goes up as it is, and no worker outlives it."""
    marks, fifo = tmp_path / "marks", tmp_path / "fifo"
    marks.mkdir()
    os.mkfifo(fifo)

    def interrupt(_done, _total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        jobs.map_chunks(_partial(first_then_block, str(marks), str(fifo)),
                        [[k] for k in range(10)], procs=2, progress=interrupt)
    assert not any(alive(p) for p in started(marks).values())


def test_ctrl_c_while_chunks_run_ends_the_run_and_its_workers(tmp_path):
    """A real SIGINT to the whole process group, while the workers are busy
    (blocked): the caller raises KeyboardInterrupt, exits, and no process is
    left."""
    marks, fifo = tmp_path / "marks", tmp_path / "fifo"
    marks.mkdir()
    os.mkfifo(fifo)
    code = (
        "import sys\n"
        "from functools import partial\n"
        "from index import jobs\n"
        "from tests.test_jobs import first_then_block\n"
        "try:\n"
        "    jobs.map_chunks(partial(first_then_block, sys.argv[1], sys.argv[2]),\n"
        "                    [[k] for k in range(10)], procs=2)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True)\n"
        "    sys.exit(130)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(marks), str(fifo)], cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        # both workers are blocked in a chunk once two marks are there (the
        # FIFO opened by this test for writing would release them: it is not)
        while len(list(marks.iterdir())) < 2 and proc.poll() is None:
            time.sleep(0.02)  # a poll for the marks (not a synchronisation)
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=120)  # a bound for a hang, not a measurement
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert (proc.returncode, out) == (130, "interrupted\n")
    assert not any(alive(p) for p in started(marks).values())


# ------------------------------------------------------ the long-lived worker

def test_a_worker_answers_is_replaced_when_it_died_and_stops(tmp_path):
    w = jobs.Worker()
    try:
        pid = w.call(os.getpid)
        assert pid != os.getpid() and w.pids() == [pid]
        with pytest.raises(Cancelled):
            w.call(os.getpid, cancel=lambda: True)
        with pytest.raises(WorkerDied):
            w.call(os.kill, pid, signal.SIGKILL)
        again = w.call(os.getpid)  # the next job gets a new process
        assert again != pid
        # as an executor of map_chunks (all chunks there, however few)
        assert [r[0] for r in jobs.map_chunks(double, [[1], [2]], executor=w)] == [again] * 2
        # stopped while busy (blocked for ever), the process ends, and the job
        # waiting behind it is dropped
        marks, fifo = tmp_path / "marks", tmp_path / "fifo"
        marks.mkdir()
        os.mkfifo(fifo)
        busy = w.submit(first_then_block, str(marks), str(fifo), [1])
        queued = w.submit(os.getpid)
        while not list(marks.iterdir()):
            time.sleep(0.02)  # a poll for the mark (not a synchronisation)
    finally:
        w.stop()
    assert queued.cancelled()
    with pytest.raises(WorkerDied):
        busy.result(timeout=60)  # a bound for a hang, not a measurement
    assert gone(again)


def gone(pid: int, within: float = 20.0) -> bool:
    """Whether ``pid`` has exited (a zombie has) within a bounded poll."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                return True
        except OSError:  # reaped
            return True
        time.sleep(0.02)
    return False


def _partial(fn, *args):
    from functools import partial

    return partial(fn, *args)


# ------------------------------------------------------------------ pipeline

def _state(c: Corpus) -> dict:
    return {
        "articles": [(a.id, a.path, a.title) for a in c.articles()],
        "search": {q: [h.id for h in c.search(q, limit=None).hits]
                   for q in ("putin", '"Town College"', "korea OR kim")},
        "families": [sorted((p.a, p.b, p.kind) for p in f.pairs) for f in c.families()],
        "entities": {a.id: [(e.name, e.label, e.mentions) for e in
                            c.cached_annotations(a.id).entities] for a in c.articles()},
        "coverage": c.entity_coverage(),
    }


def test_the_pipeline_is_the_same_through_the_cli_and_corpus(sample_dir, sample_files,
                                                             tmp_path):
    cli = subprocess.run(
        [sys.executable, "-m", "tui.cli", "index", str(sample_dir), "--index-dir",
         str(tmp_path / "cli"), "--entities", "--ner", "rules", "--json"],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True,
        text=True, check=True)
    said = json.loads(cli.stdout)
    assert said["entities"]["articles"] == 5 and said["versions"]["pairs"] >= 1
    phases = []
    with Corpus(sample_dir, index_dir=tmp_path / "api", ner="rules") as c:
        report = c.update(entities=True, on_phase=lambda name, _r: phases.append(name))
        assert phases == ["index", "versions", "entities", "spin"]
        assert (report.entities.done, report.entities.total) == (5, 5)
        api = _state(c)
    with Corpus(sample_dir, index_dir=tmp_path / "cli", ner="rules") as c:
        assert _state(c) == api
    # as before: the spun copy and its original are one family, and entity
    # search covers every article
    spun = {sample_files["001"], sample_files["004"]}
    with Corpus(sample_dir, index_dir=tmp_path / "api", ner="rules") as c:
        fams = c.families()
        assert [{m.path for m in f.members} for f in fams] == [spun]
        assert fams[0].pairs[0].kind == "rewrite"
    assert api["coverage"] == (5, 5) and api["search"]["putin"]


def test_a_cancel_between_phases_ends_the_run(sample_dir, tmp_path):
    seen = []
    with Corpus(sample_dir, index_dir=tmp_path / "ix", ner="rules") as c:
        report = pipeline.update(c, pipeline.PHASES, cancel=lambda: "index" in seen,
                                 on_phase=lambda name, _r: seen.append(name))
        assert report.cancelled and seen == ["index"] and report.versions is None
        with pytest.raises(ValueError, match="unknown update phases"):
            pipeline.update(c, ("indexing",))


def test_the_reader_holds_no_pool():
    """Pools are the engine's: the UI neither makes, holds nor repairs one."""
    words = ("BrokenProcessPool", "process_pool", "ProcessPoolExecutor", "concurrent.futures",
             "start_worker", "_pool")
    offenders = [f"{p.relative_to(ROOT)}: {w}" for p in sorted((ROOT / "tui").rglob("*.py"))
                 for w in words if w in p.read_text()]
    assert offenders == []


@pytest.mark.parametrize("procs", [1, 2])
def test_results_handed_to_each_alone_are_not_kept(procs):
    """keep=False: every result reaches each(), in the calling thread, and
    none is held in the list returned (the versions phase stores each chunk's
    signatures as it comes, and would otherwise hold them all)."""
    seen = {}
    out = jobs.map_chunks(double, [[k] for k in range(6)], procs=procs,
                          each=lambda i, r: seen.__setitem__(i, r[1]), keep=False)
    assert out == [None] * 6
    assert seen == {k: [2 * k] for k in range(6)}
