"""Killing the indexer: no process is left behind, search and `show` always
agree, and the next run equals a clean build.

Each trial starts ``variorum index`` in a process group of its own, on a corpus
big enough for worker processes (``indexer.PARALLEL_MIN_FILES``, two workers),
as a first index or as an incremental update, and SIGKILLs it (the whole group,
or the main process only) at a point it can be seen to have reached, plus a
random delay: its workers started, their segment files growing, or the store
committed (the versions phase, or the end). While it runs, a reader in this
process searches it and fetches every hit. Every process of a trial carries a
marker in its environment, so whatever outlives the kill is found in /proc.

The trials come from a fixed seed; ``VARIORUM_KILL_TRIALS=24`` runs more.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from processes import left_behind, marked_env, new_marker, ours

from index import Corpus, IndexMissingError, NotFoundError
from index.search import indexer
from index.store.db import STORE_FILE, Store

ROOT = Path(__file__).resolve().parent.parent
SEED = 11
TRIALS = int(os.environ.get("VARIORUM_KILL_TRIALS", "4"))
FILES = indexer.PARALLEL_MIN_FILES + 20  # a first index reads them in workers
CHANGED = indexer.PARALLEL_MIN_FILES  # and so does the incremental update
PROCS = "2"
QUERIES = ["harbour", "narwhal ferry", '"quiet harbour"', "lantern OR beacon", "zebr*"]
POINTS = ("workers", "segments", "committed")
ENDS_WITHIN = 300.0  # seconds for a run (killed or not) to end: past it, a hang

pytestmark = [pytest.mark.skipif(not Path("/proc/self/environ").exists(),
                                 reason="finds processes through /proc"),
              # one xdist worker runs them all: the module's indexes are made once
              pytest.mark.xdist_group("kill")]

_SYLLABLES = ["ka", "lo", "mi", "ra", "te", "su", "no", "vi", "de", "pa", "go", "ri", "ze",
              "bu", "fa", "tor", "mel", "quin", "dar", "sol"]
_MARKED = ["harbour", "narwhal", "ferry", "quiet", "lantern", "beacon", "zebra", "zebu"]


def _article(rng: random.Random, words: list[str]) -> str:
    title = " ".join(rng.choice(words) for _ in range(4)).title()
    body = []
    for _ in range(rng.randint(60, 110)):
        body.append(rng.choice(_MARKED) if rng.random() < 0.04 else rng.choice(words))
        if rng.random() < 0.05:
            body.append("quiet harbour")
    return f"{title}\n\n{' '.join(body)}.\n"


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict[str, Path]:
    """``base`` and ``changed``: the latter is the former with files deleted,
    rewritten and added (enough to read in workers), modification times of
    the untouched ones kept."""
    rng = random.Random(SEED)
    words = sorted({"".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
                    for _ in range(3000)})
    top = tmp_path_factory.mktemp("kill")
    base = top / "base"
    base.mkdir()
    for i in range(FILES):
        (base / f"{i:04d}.txt").write_text(_article(rng, words))
    changed = top / "changed"
    shutil.copytree(base, changed)  # copy2: mtimes kept, so these files are unchanged
    for i in range(10):
        (changed / f"{i:04d}.txt").unlink()
    for i in range(10, 10 + CHANGED - 10):
        (changed / f"{i:04d}.txt").write_text(_article(rng, words))
    for i in range(FILES, FILES + 10):
        (changed / f"{i:04d}.txt").write_text(_article(rng, words))
    return {"base": base, "changed": changed}


def state(c: Corpus) -> dict:
    """What must equal a clean build's: every article's id, path and title,
    and the articles each query finds."""
    return {"articles": [(a.id, a.path, a.title) for a in c.articles()],
            **{q: sorted(h.id for h in c.search(q, limit=None).hits) for q in QUERIES}}


@pytest.fixture(scope="module")
def clean(corpora, tmp_path_factory) -> dict[str, dict]:
    """The state of a clean build of each corpus, and the base's index (the
    previous index of the incremental trials)."""
    out = {}
    for name, root in corpora.items():
        with Corpus(root, index_dir=tmp_path_factory.mktemp("clean") / name) as c:
            c.update(procs=1, versions=False)
            out[name] = state(c)
            out[f"{name}-index"] = c.index_dir
    assert all(out["base"][q] for q in QUERIES)  # the comparisons are not vacuous
    assert out["base"] != out["changed"]
    return out


# ------------------------------------------------------------- processes

def start(root: Path, ix: Path, marker: bytes, *, code: str | None = None) -> subprocess.Popen:
    """``variorum index`` (or ``code`` run as it) in a process group of its
    own; its stderr (and its workers') goes to a file that ``finish`` reads."""
    # (faulthandler: a process that hangs prints every thread's stack on SIGABRT)
    env = marked_env(marker, dict(os.environ, PYTHONPATH=str(ROOT), PYTHONFAULTHANDLER="1"))
    cmd = ["-m", "tui.cli"] if code is None else ["-c", code]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, *cmd, "index", str(root), "--index-dir", str(ix), "--procs", PROCS,
             "--json"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err,
            start_new_session=True)
        proc.stderr_file = os.fdopen(os.dup(err.fileno()), "rb")
    return proc


def finish(proc: subprocess.Popen, marker: bytes) -> tuple[int, str]:
    """Wait for ``proc`` to end: (exit code, what it wrote to stderr). A run
    that has not ended within ENDS_WITHIN is a hang, and fails with the stack
    of every thread of every process of the run (faulthandler, on SIGABRT)
    instead of hanging the test run."""
    try:
        proc.wait(timeout=ENDS_WITHIN)
    except subprocess.TimeoutExpired:
        hung = ours(marker)
        for pid in hung:
            try:
                os.kill(pid, signal.SIGABRT)
            except ProcessLookupError:
                pass
        time.sleep(1.0)  # (not a synchronisation: the test has failed; the dumps are written)
        left_behind(marker)
        proc.wait()
        pytest.fail(f"the run did not end within {ENDS_WITHIN:.0f} s; its processes "
                    f"{sorted(hung.values())}\n{_stderr(proc)}", pytrace=False)
    return proc.returncode, _stderr(proc)


def _stderr(proc: subprocess.Popen) -> str:
    with proc.stderr_file as f:
        f.seek(0)
        return f.read().decode(errors="replace")


# ------------------------------------------------------------ what is seen

def store_generation(ix: Path) -> int:
    try:
        st = Store(ix / STORE_FILE, readonly=True)
    except Exception:  # not made yet
        return -1
    try:
        return st.generation()
    except Exception:
        return -1
    finally:
        st.close()


def segment_bytes(ix: Path, before: set[str]) -> int:
    """Bytes in segment files that were not there before the run."""
    try:
        names = os.listdir(ix / indexer.WHOOSH_DIR)
    except OSError:
        return 0
    total = 0
    for n in names:
        if n.startswith("MAIN_") and n not in before:
            try:
                total += (ix / indexer.WHOOSH_DIR / n).stat().st_size
            except OSError:
                pass
    return total


def reached(point: str, ix: Path, marker: bytes, before: set[str], gen0: int) -> bool:
    if point == "workers":
        return sum("spawn_main" in cmd for cmd in ours(marker).values()) >= int(PROCS)
    if point == "segments":
        return segment_bytes(ix, before) > 64 * 1024
    return store_generation(ix) > gen0  # "committed"


def disagreements(c: Corpus, queries: list[str] = QUERIES) -> list[str]:
    """Hits of the queries that `show` (Corpus.get) cannot fetch, or fetches
    as another article; each query read in one snapshot."""
    bad = []
    try:
        for q in queries:
            with c.snapshot():
                for h in c.search(q, limit=None).hits:
                    try:
                        art = c.get(h.id)
                    except NotFoundError:
                        bad.append(f"{q}: {h.id} {h.path} not found")
                        continue
                    if (art.path, art.title) != (h.path, h.title):
                        bad.append(f"{q}: {h.id} is {art.path} {art.title!r}, "
                                   f"found as {h.path} {h.title!r}")
    except IndexMissingError:  # a first index that never finished: nothing to disagree
        pass
    return bad


def trials() -> list[tuple]:
    """(kind, target, point, delay): the first four cover each kind with each
    target, the main process killed both while its workers run and after;
    the delays come from the seed."""
    rng = random.Random(SEED)
    out = []
    for k in range(TRIALS):
        kind = ("first", "incremental")[k % 2]
        target = ("group", "main")[k // 2 % 2]
        point = POINTS[(2 * k + 1) % len(POINTS)]
        out.append((kind, target, point, round(rng.uniform(0.0, 0.4), 3)))
    return out


# ------------------------------------------------------------------ trials

@pytest.mark.parametrize("kind, target, point, delay", trials())
def test_a_killed_indexer_leaves_no_process_no_disagreement_and_is_repaired(
        corpora, clean, tmp_path, kind, target, point, delay):
    root = corpora["base" if kind == "first" else "changed"]
    ix = tmp_path / "ix"
    if kind == "incremental":
        shutil.copytree(clean["base-index"], ix)
    before = set(os.listdir(ix / indexer.WHOOSH_DIR)) if ix.exists() else set()
    gen0 = max(store_generation(ix), 0)
    marker = new_marker()
    seen: list[str] = []
    with Corpus(root, index_dir=ix) as reader:
        proc = start(root, ix, marker)
        try:
            polls = 0
            while proc.poll() is None and not reached(point, ix, marker, before, gen0):
                polls += 1  # a reader searching while the indexer runs, a query at a time
                seen += disagreements(reader, [QUERIES[polls % len(QUERIES)]])
            time.sleep(delay)  # a random moment past the point (not a synchronisation)
            if target == "group":
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:  # the run had finished
            pass
        finally:
            finish(proc, marker)
        left = left_behind(marker)
        # (seen with -s: how each trial ended; a run that finished before
        # the kill exits 0)
        print(f"\nkill trial: {kind} {target} {point}+{delay}s: exit {proc.returncode}, "
              f"{len(seen)} disagreements while it ran, {len(left)} processes left")
        assert left == {}
        assert seen == []
        assert disagreements(reader) == []  # a reader open across the kill
    with Corpus(root, index_dir=ix) as after:
        assert disagreements(after) == []  # and one opened after it

    marker = new_marker()
    assert finish(start(root, ix, marker), marker)[0] == 0  # the next run ...
    assert left_behind(marker) == {}
    # (the workers' records, moved into the store)
    assert [n for n in os.listdir(ix) if n.endswith(indexer._STRAY_SUFFIXES)] == []
    with Corpus(root, index_dir=ix) as repaired:
        assert state(repaired) == clean["base" if kind == "first" else "changed"]


def test_killed_between_the_whoosh_commit_and_the_store_commit(corpora, tmp_path):
    """The indexer SIGKILLs itself where the store would commit, its new Whoosh
    generation written: readers see the previous index, whole; the next run
    equals a clean build. (A small corpus: no workers are running by then.)"""
    root = tmp_path / "corpus"
    root.mkdir()
    for p in sorted(corpora["base"].iterdir())[:30]:
        shutil.copy2(p, root)
    ix = tmp_path / "ix"
    with Corpus(root, index_dir=ix) as c:
        c.update(procs=1)
        before = state(c)
    names = sorted(p.name for p in root.iterdir())
    for n in names[:3]:
        (root / n).unlink()
    for n, m in zip(names[3:8], names[-5:], strict=True):  # rewritten, as another article
        (root / n).write_text((corpora["base"] / m).read_text().replace("harbour", "lantern"))
    shutil.copy2(corpora["changed"] / f"{FILES:04d}.txt", root)
    with Corpus(root, index_dir=tmp_path / "clean") as c:
        c.update(procs=1, versions=False)
        after = state(c)
    assert after != before

    gen0 = indexer.latest_generation(ix)
    marker = new_marker()
    code = ("import os, signal, sys\n"
            "from index.store import db as store\n"
            "store.Store.apply = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n"
            "from tui.cli import main\n"
            "main(sys.argv[1:])\n")
    assert finish(start(root, ix, marker, code=code), marker)[0] == -signal.SIGKILL
    assert left_behind(marker) == {}
    assert indexer.latest_generation(ix) > gen0  # Whoosh had committed
    with Corpus(root, index_dir=ix) as c:
        assert state(c) == before and disagreements(c) == []
    marker = new_marker()
    assert finish(start(root, ix, marker), marker)[0] == 0
    with Corpus(root, index_dir=ix) as c:
        assert state(c) == after


@pytest.mark.parametrize("signum, target, said", [
    (signal.SIGTERM, "group", "variorum: terminated\n"),
    (signal.SIGTERM, "main", "variorum: terminated\n"),
    # (click's blank line closes the terminal's ^C echo)
    (signal.SIGINT, "group", "\nvariorum: interrupted\n"),
])
def test_sigterm_and_ctrl_c_are_a_clean_cancel(corpora, clean, tmp_path, signum, target, said):
    """SIGTERM, to the indexer or its whole group, as Ctrl-C: one line, a
    non-zero exit, no process left, the previous index as it was; sent as the
    workers start (a worker that got it while importing printed a traceback)."""
    ix = tmp_path / "ix"
    shutil.copytree(clean["base-index"], ix)
    before = set(os.listdir(ix / indexer.WHOOSH_DIR))
    marker = new_marker()
    proc = start(corpora["changed"], ix, marker)
    while proc.poll() is None and not reached("workers", ix, marker, before, 0):
        time.sleep(0.02)
    (os.killpg if target == "group" else os.kill)(proc.pid, signum)
    assert finish(proc, marker) == (128 + signum, said)
    assert left_behind(marker) == {}
    with Corpus(corpora["changed"], index_dir=ix) as c:
        assert state(c) == clean["base"]


@pytest.mark.parametrize("signum, said", [(signal.SIGTERM, "variorum: terminated"),
                                           (signal.SIGINT, "variorum: interrupted")])
def test_a_stop_whose_exception_python_dropped_still_cancels(corpora, clean, tmp_path,
                                                             signum, said):
    """A Ctrl-C or SIGTERM that arrives while a garbage-collector callback
    runs (distributed sets one) has its exception printed and dropped by
    Python; the run went on and committed (seen once in a Dask run). The
    stop is also the pipeline's cancel: the run ends as after any stop, with
    its one line (not Python's "Exception ignored" and a traceback)."""
    ix = tmp_path / "ix"
    shutil.copytree(clean["base-index"], ix)
    marker = new_marker()
    dropped = tmp_path / "dropped"
    code = ("import gc, signal, sys\n"
            "from index import jobs\n"
            "real, armed = jobs.map_chunks, []\n"
            "def drop(phase, info):\n"  # the signal comes inside a gc callback
            "    gc.callbacks.remove(drop)\n"
            f"    open({str(dropped)!r}, 'w').close()\n"
            f"    signal.raise_signal({int(signum)})\n"
            "def map_chunks(*a, **k):\n"  # (the index phase's reading, in workers)
            "    if not armed:\n"
            "        armed.append(1)\n"
            "        gc.callbacks.append(drop)\n"
            "        gc.collect()\n"
            "    return real(*a, **k)\n"
            "jobs.map_chunks = map_chunks\n"
            "from tui.cli import main\n"
            "main(sys.argv[1:])\n")
    code_, err = finish(start(corpora["changed"], ix, marker, code=code), marker)
    assert dropped.exists()  # the signal came inside the callback
    assert (code_, err.strip()) == (128 + signum, said)
    assert left_behind(marker) == {}
    with Corpus(corpora["changed"], index_dir=ix) as c:
        assert state(c) == clean["base"]


# ------------------------------------------------------------------- pools

def test_pool_workers_exit_when_their_parent_is_killed():
    """Workers busy (or idle) when the process that made their pool dies
    exit with it; multiprocessing's resource tracker then exits too."""
    marker = new_marker()
    code = ("import os, sys, time\n"
            "from index.pools import process_pool\n"
            "pool = process_pool(3)\n"
            "pids = {f.result() for f in [pool.submit(os.getpid) for _ in range(6)]}\n"
            "pool.submit(time.sleep, 600)\n"
            "print(len(pids), flush=True)\n"
            "time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                            env=marked_env(marker, dict(os.environ, PYTHONPATH=str(ROOT))),
                            start_new_session=True)
    try:
        assert int(proc.stdout.readline()) >= 1  # the workers are up
        workers = [pid for pid, cmd in ours(marker).items() if "spawn_main" in cmd]
        assert len(workers) == 3
        for pid in workers:  # started with SIGINT blocked: a Ctrl-C as it imports is no traceback
            blocked = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                           if line.startswith("SigBlk:"))
            assert int(blocked.split()[1], 16) & (1 << (signal.SIGINT - 1))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert left_behind(marker) == {}


class _Stop(Exception):
    pass


def test_a_signal_while_a_worker_starts_waits_until_it_has_started(monkeypatch):
    """Raised half-way through starting a worker, a Ctrl-C or SIGTERM left a
    worker whose start-up data was cut short (it printed a traceback) or one
    its pool did not know of; it is acted on once the worker has started."""
    from concurrent.futures import ProcessPoolExecutor

    from index.pools import process_pool

    started = []
    real_spawn = ProcessPoolExecutor._spawn_process

    def spawn(self):
        os.kill(os.getpid(), signal.SIGTERM)  # arrives as the worker is being started
        real_spawn(self)
        started.append(len(self._processes))

    def stop(_signum, _frame):
        raise _Stop

    monkeypatch.setattr(ProcessPoolExecutor, "_spawn_process", spawn)
    previous = signal.signal(signal.SIGTERM, stop)
    pool = process_pool(1)
    try:
        with pytest.raises(_Stop):
            pool.submit(os.getpid)
        assert started == [1]
        assert signal.getsignal(signal.SIGTERM) is stop  # put back
        assert pool.submit(os.getpid).result() in pool._processes  # the pool knows its worker
    finally:
        signal.signal(signal.SIGTERM, previous)
        pool.shutdown()


def test_every_engine_pool_is_made_by_the_one_helper():
    """The indexer's, the versions phase's and the extractors' pools all come
    from index.pools.process_pool (and so exit with their parent), made by
    the one job layer."""
    makers = ("ProcessPoolExecutor(", "multiprocessing.Pool(", "mp.Pool(", ".Pool(")
    offenders = [f"{p.name}: {m}" for p in sorted((ROOT / "index").glob("*.py"))
                 if p.name != "pools.py" for m in makers if m in p.read_text()]
    assert offenders == []
    users = [p.name for p in sorted((ROOT / "index").glob("*.py"))
             if "process_pool(" in p.read_text() and p.name != "pools.py"]
    assert users == ["jobs.py"]
