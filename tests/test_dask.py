"""The update pipeline on a Dask cluster (index/cluster.py, ``variorum index --dask``).

One real ``LocalCluster`` (two worker processes, one thread each) serves the
module; the engine connects to it by its scheduler's address, as it would to
a remote one. Its results must equal a local run's on the same corpus, big
enough that every stage ships several chunks: 240 generated articles with
near-copies, names and quotes, plus the sample corpus (version chunks of 100,
not 500, for the module). The CLI tests start
``--dask local:2`` clusters of their own.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
# Tests that share the module's cluster are one xdist group (on one worker);
# the CLI runs share theirs. The local run they compare with is made in each.
ON_THE_CLUSTER = pytest.mark.xdist_group("dask")
CLI_RUNS = pytest.mark.xdist_group("dask-cli")

from processes import left_behind, marked_env, new_marker  # noqa: E402

from index import Corpus, WorkerDied, cluster, jobs, pipeline  # noqa: E402
from index.search.indexer import WHOOSH_DIR  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["harbour", '"quiet harbour"', "lantern OR beacon", "zebr*", "putin", "ferry NOT quiet"]
ARTICLES = 240  # generated, one in four a near-copy of the one before
ENDS_WITHIN = 300.0  # s for a CLI run to end (a bound for a hang)

_SYLLABLES = ["ka", "lo", "mi", "ra", "te", "su", "no", "vi", "de", "pa", "go", "ri", "ze",
              "bu", "fa", "tor", "mel", "quin", "dar", "sol"]
_MARKED = ["harbour", "narwhal", "ferry", "quiet", "lantern", "beacon", "zebra", "zebu"]


# ----------------------------------------------------------------- corpora

@pytest.fixture(scope="module", autouse=True)
def _small_version_chunks():
    """Version chunks of 100 articles instead of 500 (chunks are cut in this
    process): a corpus this small still makes several of each, so every
    stage is shipped in more than one chunk."""
    from index import versions

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(versions, "_CHUNK", 100)
        yield


def _words(rng: random.Random, n: int) -> list[str]:
    return sorted({"".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
                   for _ in range(n)})


def _sentence(rng: random.Random, words: list[str], names: list[str]) -> str:
    body = " ".join(rng.choice(_MARKED) if rng.random() < 0.05 else rng.choice(words)
                    for _ in range(rng.randint(8, 16)))
    r = rng.random()
    if r < 0.2:  # a quote with its speaker
        return f"“{body.capitalize()},” said {rng.choice(names)}."
    if r < 0.4:  # names in the text
        return f"{rng.choice(names)} met {rng.choice(names)} in {body}."
    return f"{body.capitalize()}."


def _article(rng: random.Random, words: list[str], names: list[str]) -> tuple[str, list[str]]:
    title = " ".join(rng.choice(words) for _ in range(4)).title()
    return title, [_sentence(rng, words, names) for _ in range(rng.randint(8, 14))]


def _near_copy(rng: random.Random, title: str, sents: list[str], words: list[str]) -> str:
    """The same article lightly edited: a word changed in some sentences, one
    sentence dropped, an update line at the end."""
    out = []
    for s in sents:
        if rng.random() < 0.3:
            toks = s.split(" ")
            toks[rng.randrange(len(toks))] = rng.choice(words)
            s = " ".join(toks)
        out.append(s)
    del out[rng.randrange(1, len(out))]
    return f"{title}\n\n" + "\n\n".join(out) + "\n\nThis article was updated.\n"


def write_corpus(root: Path, seed: int, n: int = ARTICLES, first: int = 0) -> None:
    rng = random.Random(seed)
    words = _words(rng, 2500)
    names = [f"{rng.choice(words).title()} {rng.choice(words).title()}" for _ in range(60)]
    k = first
    while k < first + n:
        title, sents = _article(rng, words, names)
        (root / f"{k:05d}.txt").write_text(f"{title}\n\n" + "\n\n".join(sents) + "\n")
        k += 1
        if rng.random() < 0.33:
            (root / f"{k:05d}.txt").write_text(_near_copy(rng, title, sents, words))
            k += 1


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory, sample_dir) -> Path:
    root = tmp_path_factory.mktemp("dask") / "corpus"
    root.mkdir()
    write_corpus(root, seed=3)
    for p in sample_dir.iterdir():
        if p.is_file():
            shutil.copy2(p, root / p.name)
    return root


def state(c: Corpus) -> dict:
    """Everything the pipeline makes, as readers see it."""
    arts = c.articles()
    return {
        "articles": [(a.id, a.path, a.title) for a in arts],
        "search": {q: [(h.id, round(h.score, 9)) for h in c.search(q, limit=None).hits]
                   for q in QUERIES},
        "families": [sorted((p.a, p.b, p.kind, p.similarity, p.aligned) for p in f.pairs)
                     for f in c.families()],
        "annotations": {a.id: c.cached_annotations(a.id) for a in arts},
    }


def local_state(root: Path, index_dir: Path, phases=pipeline.PHASES) -> dict:
    with Corpus(root, index_dir=index_dir, ner="rules") as c:
        report = pipeline.update(c, phases, procs=2)
        assert not report.cancelled
        return state(c)


@pytest.fixture(scope="module")
def local_ix(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("local") / "ix"


@pytest.fixture(scope="module")
def local(corpus_dir, local_ix) -> dict:
    """The local run's state (a process pool of two), checked not vacuous."""
    got = local_state(corpus_dir, local_ix)
    assert len(got["articles"]) == ARTICLES + 5
    assert all(got["search"][q] for q in QUERIES)
    assert len(got["families"]) >= ARTICLES // 10
    anns = [a for a in got["annotations"].values() if a is not None]
    assert len(anns) == ARTICLES + 5
    assert sum(len(a.entities) for a in anns) > 2 * ARTICLES
    assert sum(len(a.quotes) for a in anns) > ARTICLES
    return got


# ----------------------------------------------------------------- cluster

@contextmanager
def local_cluster():
    """Two worker processes. A chunk is given up after its workers died
    twice (Dask's default: four times), to keep the killed-worker tests
    short."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        lc = distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
            silence_logs=logging.ERROR, scheduler_kwargs={"dashboard_address": cluster.LOCAL_HTTP})
    try:
        yield lc
    finally:
        lc.close()


@pytest.fixture(scope="module")
def two_workers():
    with local_cluster() as lc:
        yield lc


@pytest.fixture
def dask_cluster(two_workers):
    """The module's cluster with both its workers up: a test before may have
    killed one, whose nanny starts another (the executor counts the workers
    when it connects)."""
    with distributed.Client(two_workers) as client:
        client.wait_for_workers(2, timeout=ENDS_WITHIN)
    return two_workers


class Counting:
    """The executor as it is, counting what is submitted to it by chunk function."""

    def __init__(self, ex: cluster.DaskExecutor):
        self.ex, self.workers, self.sent = ex, ex.workers, Counter()
        self.ships_texts = ex.ships_texts

    def submit(self, fn, *args):
        self.sent[getattr(fn, "func", fn).__qualname__] += 1
        return self.ex.submit(fn, *args)


def dask_state(root: Path, index_dir: Path, address: str, progress=None) -> tuple[dict, Counter]:
    with cluster.connect(address, root, index_dir) as ex, \
            Corpus(root, index_dir=index_dir, ner="rules") as c:
        counting = Counting(ex)
        report = pipeline.update(c, pipeline.PHASES, executor=counting,
                                 progress=(lambda *a: progress(ex, *a)) if progress else None)
        assert not report.cancelled
        return state(c), counting.sent


@pytest.fixture(scope="module")
def dask_ix(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dask") / "ix"


@ON_THE_CLUSTER
def test_a_dask_run_equals_a_local_one(corpus_dir, local, dask_cluster, dask_ix):
    got, sent = dask_state(corpus_dir, dask_ix, dask_cluster.scheduler_address)
    # every stage shipped its chunks to the cluster (the files: 245, under
    # the rule's four units of 100, one chunk; the stopping tests' make two)
    assert sent["_index_part"] == 1 and sent["_sig_chunk"] >= 2
    assert sent["_verify_chunk"] >= 1 and sent["_chunk"] >= 20
    assert got == local


@ON_THE_CLUSTER
def test_an_incremental_dask_run_equals_a_local_one(corpus_dir, local, local_ix, dask_cluster,
                                                    dask_ix, tmp_path):
    """Files added, rewritten and deleted since the last run (the two
    above), on both sides."""
    root = tmp_path / "corpus"
    shutil.copytree(corpus_dir, root)  # (copy2: the files unchanged for the indexes)
    if not (dask_ix / "store.sqlite").exists():  # the test above was not run
        dask_state(corpus_dir, dask_ix, dask_cluster.scheduler_address)
    dask_ix = shutil.copytree(dask_ix, tmp_path / "dask")
    local_ix = shutil.copytree(local_ix, tmp_path / "local")
    for p in sorted(root.glob("00*.txt"))[:40]:
        p.unlink()
    write_corpus(root, seed=4, n=120, first=40)  # rewrites 40-159 (some near-copies)
    write_corpus(root, seed=5, n=80, first=ARTICLES + 10)
    got, sent = dask_state(root, dask_ix, dask_cluster.scheduler_address)
    assert sent["_index_part"] == 1  # 200 files: under the rule's four units, one chunk
    assert got == local_state(root, local_ix)


@ON_THE_CLUSTER
def test_a_worker_killed_mid_run_is_replaced_and_the_result_is_the_same(
        corpus_dir, local, dask_cluster, tmp_path):
    """SIGKILL of a worker busy with a chunk, at the first progress report
    that finds one busy (signatures, verification or entities: the files
    are one chunk here, whose only report is its last):
    Dask runs its chunks again on the other worker (and the one the nanny
    starts), and the index is the same."""
    killed = []

    def kill_a_busy_worker(ex, phase, done, total):
        if killed or done >= total:
            return
        pids = ex.client.run(os.getpid)
        busy = [w for w, keys in ex.client.processing().items() if keys]
        if busy:  # (else every chunk sent is done: the next report)
            os.kill(pids[busy[0]], signal.SIGKILL)
            killed.append(pids[busy[0]])

    got, _ = dask_state(corpus_dir, tmp_path / "ix", dask_cluster.scheduler_address,
                        progress=kill_a_busy_worker)
    assert killed
    assert got == local


def dies_on_two(chunk: list[int]) -> list[int]:
    if 2 in chunk:
        os.kill(os.getpid(), signal.SIGKILL)
    return chunk


def test_a_chunk_whose_workers_keep_dying_is_one_clear_error(tmp_path):
    """(On a cluster of its own: the module's would be left with workers its
    nannies may not bring back in time on a busy machine.)"""
    with local_cluster() as lc, \
            cluster.connect(lc.scheduler_address, tmp_path, tmp_path / "ix") as ex, \
            pytest.raises(WorkerDied) as caught:
        jobs.map_chunks(dies_on_two, [[k] for k in range(6)], executor=ex)
    said = str(caught.value)
    assert "\n" not in said
    assert said.startswith("Dask workers died running one chunk 2 times (killed, or out of "
                           "memory")


@ON_THE_CLUSTER
def test_chunk_errors_and_cancel_are_the_job_layers(dask_cluster, tmp_path):
    """A chunk's own exception comes up as it is. A cancel (here once the
    first chunk is in, the others waiting for a file this test makes after)
    stops the run: chunks past the in-flight window are never sent, and the
    cluster goes on with the next run."""
    from index.errors import Cancelled

    marks, release = tmp_path / "marks", tmp_path / "release"
    marks.mkdir()
    with cluster.connect(dask_cluster.scheduler_address, tmp_path, tmp_path / "ix") as ex:
        with pytest.raises(ValueError, match="chunk 0 is bad"):
            jobs.map_chunks(_boom, [[0]], executor=ex)
        sent = Counting(ex)
        done = []
        try:
            with pytest.raises(Cancelled):
                jobs.map_chunks(partial(first_then_wait, str(marks), str(release)),
                                [[k] for k in range(40)], executor=sent,
                                each=lambda i, r: done.append(i), cancel=lambda: bool(done))
            assert done == [0]
            # the window, and the one sent as chunk 0 came back
            assert sum(sent.sent.values()) <= ex.workers * jobs.IN_FLIGHT_PER_WORKER + 1
        finally:
            release.touch()
        assert jobs.map_chunks(_double, [[1], [2]], executor=ex) == [[2], [4]]


def _boom(chunk):
    raise ValueError(f"chunk {chunk[0]} is bad")


def first_then_wait(marks: str, release: str, chunk: list[int]) -> int:
    """Chunk 0 returns at once; every other one leaves a mark and waits for
    the file ``release`` (a Dask worker's thread cannot be killed)."""
    i = chunk[0]
    if i:
        Path(marks, str(i)).touch()
        while not os.path.exists(release):
            time.sleep(0.01)  # (in the chunk: its wait for the test to let go)
    return i


def _double(chunk):
    return [2 * x for x in chunk]


# ----------------------------------------------------- what workers must see

def namespaced_worker(address: str, setup: str) -> subprocess.Popen:
    """A real Dask worker (no nanny) in a mount namespace of its own, where
    the shell commands ``setup`` ran first: it sees another file system."""
    return subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         f'{setup} && exec "$0" -m distributed.cli.dask_worker "$1" --nthreads 1 '
         f'--no-nanny --no-dashboard', sys.executable, address],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def scheduler_alone():
    return distributed.LocalCluster(
        n_workers=0, processes=True, dashboard_address=None, silence_logs=logging.ERROR,
        scheduler_kwargs={"dashboard_address": cluster.LOCAL_HTTP})


needs_unshare = pytest.mark.skipif(
    shutil.which("unshare") is None or subprocess.run(
        ["unshare", "-m", "true"], capture_output=True).returncode != 0,
    reason="needs `unshare -m` (root, or user namespaces)")


@needs_unshare
def test_a_worker_that_cannot_see_the_folders_is_named(tmp_path, corpus_dir):
    """A worker with an empty file system over ``hidden``: it sees neither
    the corpus nor the index dir that are there for this process."""
    hidden = tmp_path / "hidden"
    (hidden / "corpus").mkdir(parents=True)
    (hidden / "ix").mkdir()
    lc = scheduler_alone()
    worker = namespaced_worker(lc.scheduler_address,
                               f'mount -t tmpfs none "{hidden}" && mkdir "{hidden}/ix"')
    try:
        with pytest.raises(cluster.ClusterError) as caught, \
                cluster.connect(lc.scheduler_address, hidden / "corpus", tmp_path / "ix"):
            pass
        said = str(caught.value)
        assert f"cannot list the corpus folder {hidden / 'corpus'}" in said
        assert said.endswith("the corpus folder and the index dir must be on storage every "
                             "Dask worker can read, at the same paths")
        with pytest.raises(cluster.ClusterError, match=r"does not see this index dir at .*hidden"
                           r"/ix \(another folder, or none, is there\)"), \
                cluster.connect(lc.scheduler_address, corpus_dir, hidden / "ix"):
            pass
    finally:
        worker.kill()
        worker.wait()
        lc.close()


@needs_unshare
def test_workers_never_open_the_store(tmp_path, sample_dir):
    """The one worker sees the corpus and the index dir, but /dev/null where
    the SQLite store is (its WAL would not work from another machine): an
    update with every phase still equals a local one."""
    root = tmp_path / "corpus"
    root.mkdir()
    write_corpus(root, seed=7, n=150)
    dask_ix, local_ix = tmp_path / "dask", tmp_path / "local"
    local_state(root, dask_ix, pipeline.DEFAULT_PHASES)  # the store must exist to be hidden
    shutil.copytree(dask_ix, local_ix)
    write_corpus(root, seed=8, n=150, first=200)
    for p in sample_dir.iterdir():
        if p.is_file():
            shutil.copy2(p, root / p.name)
    lc = scheduler_alone()
    worker = namespaced_worker(lc.scheduler_address,
                               f'mount --bind /dev/null "{dask_ix}/store.sqlite"')
    try:
        got, sent = dask_state(root, dask_ix, lc.scheduler_address)
    finally:
        worker.kill()
        worker.wait()
        lc.close()
    assert sent["_index_part"] and sent["_sig_chunk"] and sent["_verify_chunk"]
    assert sent["_chunk"]
    assert got == local_state(root, local_ix)
    assert sum(len(a.quotes) for a in got["annotations"].values()) > 100


def test_targets_are_parsed_or_refused():
    assert cluster.parse_target("local") == cluster.Target(None, None)
    assert cluster.parse_target(" local:3 ") == cluster.Target(None, 3)
    assert cluster.parse_target("tcp://10.0.0.5:8786") == cluster.Target("tcp://10.0.0.5:8786")
    assert cluster.parse_target("sched:8786") == cluster.Target("sched:8786")
    for bad in ("local:0", "lokal", "tcp:/x", "local:x"):
        with pytest.raises(cluster.ClusterError):
            cluster.parse_target(bad)


# ---------------------------------------------------------------------- CLI

def cli(*args: str, marker: bytes, **kw) -> subprocess.Popen:
    env = marked_env(marker, dict(os.environ, PYTHONPATH=str(ROOT)))
    env.pop("VARIORUM_DASK", None)
    env.update(kw.pop("env", {}))
    return subprocess.Popen([sys.executable, "-m", "tui.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kw)


@CLI_RUNS
def test_the_cli_on_a_local_cluster_equals_a_local_run(corpus_dir, local, tmp_path):
    """``VARIORUM_DASK=local:2 variorum index --entities``, the same as
    ``--dask local:2``; nothing is left running."""
    marker = new_marker()
    proc = cli("index", str(corpus_dir), "--index-dir", str(tmp_path / "ix"), "--entities",
               "--ner", "rules", "--json", marker=marker, env={"VARIORUM_DASK": "local:2"})
    out, err = proc.communicate(timeout=ENDS_WITHIN)
    assert proc.returncode == 0, err
    said = json.loads(out)
    assert said["dask"]["workers"] == 2 and said["dask"]["scheduler"].startswith("tcp://")
    assert said["entities"]["articles"] == ARTICLES + 5
    assert left_behind(marker) == {}
    with Corpus(corpus_dir, index_dir=tmp_path / "ix", ner="rules") as c:
        assert state(c) == local


@pytest.fixture(scope="module")
def previous(corpus_dir, tmp_path_factory) -> dict:
    """An index (index and versions phases) of a copy of the corpus, and that
    copy grown by 480 files: updating the index to it takes a while."""
    top = tmp_path_factory.mktemp("previous")
    base, bigger = top / "base", top / "bigger"
    shutil.copytree(corpus_dir, base)  # (copy2: modification times kept)
    before = local_state(base, top / "ix", pipeline.DEFAULT_PHASES)
    shutil.copytree(base, bigger)
    write_corpus(bigger, seed=6, n=2 * ARTICLES, first=ARTICLES + 100)
    return {"ix": top / "ix", "state": before, "bigger": bigger}


@CLI_RUNS
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_stopping_a_dask_run_keeps_the_previous_index_and_leaves_no_process(
        previous, tmp_path, how):
    """Ctrl-C (SIGINT to the whole process group, workers included) or
    SIGTERM (to the main process) while the workers write segments: the
    run ends at once with its one line, no process of it is left, the
    index is the previous one, whole, and the next run completes it."""
    ix, root = tmp_path / "ix", previous["bigger"]
    shutil.copytree(previous["ix"], ix)
    wdir = ix / WHOOSH_DIR
    before = set(os.listdir(wdir))
    marker = new_marker()
    proc = cli("index", str(root), "--index-dir", str(ix), "--dask", "local:2", "--json",
               marker=marker)
    try:
        # a poll for the workers' first segment files (not a synchronisation)
        while proc.poll() is None and not any(
                n.endswith((".trm", ".pst")) for n in set(os.listdir(wdir)) - before):
            time.sleep(0.02)
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=ENDS_WITHIN)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    code, line = ((130, "variorum: interrupted") if how == "ctrl-c"
                  else (143, "variorum: terminated"))
    assert (proc.returncode, err.strip(), out) == (code, line, "")
    assert left_behind(marker) == {}
    with Corpus(root, index_dir=ix, ner="rules") as c:  # the previous index, whole
        assert state(c) == previous["state"]
    if how == "sigterm":  # (once is enough) the next run does what a local one does
        local_ix = tmp_path / "local"
        shutil.copytree(previous["ix"], local_ix)
        done = cli("index", str(root), "--index-dir", str(ix), "--dask", "local:2", "--json",
                   marker=marker)
        _out, err = done.communicate(timeout=ENDS_WITHIN)
        assert done.returncode == 0, err
        assert left_behind(marker) == {}
        with Corpus(root, index_dir=ix, ner="rules") as c:
            got = state(c)
        assert got == local_state(root, local_ix, pipeline.DEFAULT_PHASES)


def test_without_dask_the_cli_never_imports_it(sample_dir, tmp_path):
    code = (
        "import sys\n"
        "from tui import cli\n"
        "try:\n"
        "    cli.main(['index', sys.argv[1], '--index-dir', sys.argv[2], '--json'])\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "assert not bad, bad\n"
        "assert 'index.search.indexer' in sys.modules\n"
        "print('clean')\n")
    for env in ({}, {"VARIORUM_DASK": ""}):
        proc = subprocess.run([sys.executable, "-c", code, str(sample_dir), str(tmp_path / "ix")],
                              cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT), **env),
                              capture_output=True, text=True)
        assert proc.stdout.endswith("clean\n"), proc.stderr


def test_the_cli_refuses_bad_dask_options_in_one_line(sample_dir, tmp_path):
    for args, said in (
            (["--dask", "lokal"], "--dask takes a scheduler address (tcp://host:8786), `local` "
                                  "or `local:N`, not 'lokal'"),
            (["--dask", "tcp://127.0.0.1:9", "--procs", "2"],
             "--procs sets local worker processes; with a Dask scheduler the cluster's workers "
             "run the work")):
        proc = subprocess.run(
            [sys.executable, "-m", "tui.cli", "index", str(sample_dir), "--index-dir",
             str(tmp_path / "ix"), *args], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
            capture_output=True, text=True)
        assert (proc.returncode, proc.stderr) == (2, f"variorum: error: {said}\n")
        assert not (tmp_path / "ix").exists()
