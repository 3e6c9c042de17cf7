"""Shared fixtures for the engine's tests.

Every index lives in a pytest tmp dir; ``VARIORUM_DATA_DIR`` points at a tmp dir
too, so no test writes into the user's data directory.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from index import Corpus

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_corpus"
MAX_TEST_PROCESSES = 5

# Tests press Ctrl-C (SIGINT to a run's process group) as a terminal would. A
# test run started with SIGINT ignored (a background job of a shell without
# job control: `make test &` in a script, some CI runners) would pass that on
# to every process it starts, which would then ignore the tests' Ctrl-C, as a
# program must when its parent asks. Python's own handler here makes the
# children start with the default (a handler, unlike "ignore", is not
# inherited across exec).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
# A user's $VARIORUM_DASK would send every test's CLI run to a cluster.
os.environ.pop("VARIORUM_DASK", None)


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto`` (pyproject's addopts): one test process more than cores.
    A test waits about a third of its time (on its subprocesses and worker
    pools, on the UI's next frame); the extra process runs meanwhile. On
    two cores: 236 s for the suite against 261 s with two processes."""
    return min((os.cpu_count() or 1) + 1, MAX_TEST_PROCESSES)

# The sample corpus: five real articles; 004 is a machine-"spun" copy of 001.
SAMPLE = {
    "000": "000_0e0738cec9c8d1ee.txt",
    "001": "001_f563c122a25a09e3.txt",
    "002": "002_48ed843bf2c6f299.txt",
    "003": "003_1cc552ea7276300b.txt",
    "004": "004_f4557d851bb201a9.txt",
}


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The real sample corpus folder (read it, never write to it)."""
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def sample_files() -> dict[str, str]:
    """``{"000": "000_….txt", ...}``: the sample articles' file names by number."""
    return dict(SAMPLE)


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "variorum-data"
    monkeypatch.setenv("VARIORUM_DATA_DIR", str(data))
    # and never the user's config
    monkeypatch.setenv("VARIORUM_CONFIG_DIR", str(tmp_path / "variorum-config"))
    for var in ("VARIORUM_CONFIG", "VARIORUM_THEME", "VARIORUM_SIDEBAR_WIDTH", "VARIORUM_NER"):
        monkeypatch.delenv(var, raising=False)
    return data


@pytest.fixture
def data_dir(_data_dir: Path) -> Path:
    """The data dir this test's ``VARIORUM_DATA_DIR`` points at."""
    return _data_dir


@pytest.fixture(scope="session")
def sample_corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    """The real sample corpus, indexed once (read-only: tests must not update it)."""
    c = Corpus(SAMPLE_DIR, index_dir=tmp_path_factory.mktemp("sample") / "ix")
    report = c.update(procs=1)
    assert report.articles_total == len(SAMPLE) and not report.skipped
    yield c
    c.close()


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the sample corpus made once per session, with its versions
    and the rule extractor's entities and quotes: copy it (:func:`copy_sample_index`),
    never open it. Indexing and extracting for every UI test was most of the
    suite's time."""
    ix = tmp_path_factory.mktemp("sample-index") / "ix"
    with Corpus(SAMPLE_DIR, index_dir=ix, ner="rules") as c:
        report = c.update(procs=1)
        assert report.articles_total == len(SAMPLE) and not report.skipped
        ents = c.update_entities(procs=1)
        assert (ents.cached + ents.done, ents.total) == (len(SAMPLE), len(SAMPLE))
    return ix


def copy_sample_index(sample_index: Path, dest: Path) -> Path:
    """A copy of the session's sample index at ``dest``, for one test to open and change."""
    shutil.copytree(sample_index, dest)
    return dest


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_index: Path) -> Corpus:
    """The sample corpus with an index of its own, a copy of :func:`sample_index`
    (for the app's tests). The rule extractor: the UI is what these tests are
    about; spaCy in the reader is tested by one sidebar test in test_app.py, its
    results in test_entities.py and test_cli.py."""
    monkeypatch.setenv("VARIORUM_DATA_DIR", str(tmp_path / "data"))
    ix = copy_sample_index(sample_index, tmp_path / "ix")
    return Corpus(SAMPLE_DIR, index_dir=ix, ner="rules")


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    return root


@pytest.fixture
def write_files(corpus_dir: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Write ``{relative path: text or bytes}`` into the corpus folder.

    Text is written as UTF-8 exactly as given (``\\r\\n`` is kept).
    """

    def write(files: dict[str, str | bytes]) -> Path:
        for rel, content in files.items():
            p = corpus_dir / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, encoding="utf-8", newline="")
        return corpus_dir

    return write


@pytest.fixture
def open_corpus(tmp_path: Path) -> Iterator[Callable[..., Corpus]]:
    """``open_corpus(root, name="ix", ner=None)``: a Corpus whose index is ``tmp_path/name``."""
    opened: list[Corpus] = []

    def open_(root: Path, name: str = "ix", ner: str | None = None) -> Corpus:
        c = Corpus(root, index_dir=tmp_path / name, ner=ner)
        opened.append(c)
        return c

    yield open_
    for c in opened:
        c.close()


@pytest.fixture
def index_folder(write_files, open_corpus):
    """Write files, index them; returns ``(corpus, report)``."""

    def run(files: dict[str, str | bytes]):
        root = write_files(files)
        c = open_corpus(root)
        return c, c.update(procs=1)

    return run


# ------------------------------------------------ a dated corpus with sources
COUNCIL = ("The council approved the new budget on Tuesday after a long debate about "
           "schools, roads and the harbour. Members said the plan would raise spending "
           "on repairs by a fifth over two years. The mayor called the vote a turning "
           "point for the town. Opponents warned that the harbour project had no "
           "money set aside for its second phase. A final reading is due next month.")


def md_article(title: str, body: str, source: str | None, date: str | None) -> str:
    """A Markdown article with its front matter (a source or a date None: left out)."""
    head = [f"title: {title}"]
    if source:
        head.append(f"source: {source}")
    if date:
        head.append(f"date: {date}")
    return "---\n" + "\n".join(head) + "\n---\n" + body + "\n"


@pytest.fixture
def dated_corpus(write_files, sample_dir: Path, sample_files):
    """Two stories: the wire's (the seed 001) spun by a second site 3 h
    later and copied by a third a day later; the council story, the wire's
    too, copied by the third 2 h later and by a blog without a date."""
    seed = (sample_dir / sample_files["001"]).read_text(encoding="utf-8")
    spun = (sample_dir / sample_files["004"]).read_text(encoding="utf-8")
    return write_files({
        "wire/a.md": md_article("Summit", seed, "Wire", "2024-06-20T08:00:00+00:00"),
        "spin/b.md": md_article("Summit", spun, "Spinner", "2024-06-20T11:00:00+00:00"),
        "mirror/c.md": md_article("Summit", seed, "Mirror", "2024-06-21T08:00:00+00:00"),
        "wire/d.md": md_article("Budget", COUNCIL, "Wire", "2024-07-01T09:00:00+00:00"),
        "mirror/e.md": md_article("Budget", COUNCIL, "Mirror", "2024-07-01T11:00:00+00:00"),
        "blog/f.md": md_article("Budget", COUNCIL, "Blog", None),
    })
