"""Benchmark variorum's indexing and search against a plain-Whoosh baseline, in one run.

Both engines index the same files and answer the same queries with the same
limit in the same process, so the ratios printed are like for like:

variorum
    ``Corpus(folder, index_dir=...).update()`` (worker processes, lean schema,
    body text in a zlib SQLite store) and ``Corpus.search(q, limit=10)``, which
    returns a snippet and every hit span for each of the top 10 hits.

plain-Whoosh baseline
    ``Schema(id=ID(stored, unique), path=ID(stored), title=TEXT(stored),
    body=TEXT(StemmingAnalyzer(), stored=True, chars=True))``; one
    ``ix.writer()`` with default arguments, every file read from disk and
    added, one commit. Search: ``MultifieldParser(["title", "body"])``,
    ``searcher.search(q, limit=10)``, ``len(results)`` for the total (Whoosh
    2.7's top-N collector can undercount it: the per-query table shows both
    engines' totals) and ``hit.highlights("body")`` for each of the top 10
    hits; timed again with ``QueryParser("body")``, which finds the same
    articles (the baseline's body is the whole file, headline included) with
    one posting list per term. The p50 target is judged against both forms.

Measured: full index build from empty (articles/s, median of --runs, fresh
index folders each run), re-index of the unchanged corpus (variorum only:
plain Whoosh has no incremental update), and search latency p50/p95 over all
queries x --reps repetitions on warm searchers after one warm-up pass.

The index build is variorum's indexing step, ``update(versions=False)`` on
engines whose ``update()`` also finds version families (issue 3): the
baseline has nothing like that step. ``--versions`` times it too, apart, and
prints build + versions as well.

The engine is imported from the working tree, or with ``--engine-commit REV``
from a ``git archive`` export of one commit, so that edits made while a long
run is going cannot mix code versions. The report names the engine's commit
and a hash of its sources and warns if they changed during the run. It also
reports the CPU time other processes used while it ran, and warns above 0.1
cores: variorum builds on both cores, the baseline on one, so a busy machine
lowers the build ratio. ``--show PATH`` prints the report of a saved --json.

Corpora:

* default: --n articles generated into a temp folder from the real text of
  sample_corpus/*.txt (sentences resampled, words, names and numbers varied,
  a vocabulary that grows with N; deterministic for a given --seed);
* --corpus PATH: an existing folder, e.g. ../shared/corpora/bbc (2,225 real
  BBC News articles, relative to the project root), when present;
* --replicate-bbc K: K copies of that BBC folder in a temp folder (K=9 gives
  20,025 real articles, 20,034 files with the README.TXT copies, which both
  engines index). Nothing is copied into the project. Exact copies are
  unlike a real corpus for term statistics and for version families.

Run from the project root::

    .venv/bin/python bench/bench_index_search.py --n 500 --runs 1      # quick
    .venv/bin/python bench/bench_index_search.py --n 20000 --runs 3    # as reported
    .venv/bin/python bench/bench_index_search.py --n 20000 --runs 3 --engine-commit HEAD
    .venv/bin/python bench/bench_index_search.py --replicate-bbc 9 --runs 3
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import os
import platform
import random
import re
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT / "sample_corpus"
BBC_DIR = PROJECT.parent / "shared" / "corpora" / "bbc"
BBC_DIR_SHOWN = "../shared/corpora/bbc"
FILES_PER_FOLDER = 1000
LIMIT = 10

TARGET_BUILD_RATIO = 4.0  # variorum articles/s >= 4x baseline
TARGET_REINDEX_S = 2.0  # re-index of an unchanged corpus, seconds
TARGET_P50_RATIO = 0.5  # variorum search p50 <= 0.5x baseline

# Queries of mixed kinds over words that occur in the corpus: single words,
# two words, phrases, OR, NOT and prefix wildcards.
QUERIES_SAMPLE = [
    "korea",
    "treaty",
    "sanctions",
    "pyongyang",
    "munitions",
    "putin kim",
    "nuclear weapons",
    "economic cooperation",
    "beijing summit",
    '"north korea"',
    '"strategic partnership"',
    '"kim jong un"',
    '"mutual defense"',
    "japan OR ukraine",
    "missile OR satellite",
    "russia NOT ukraine",
    "alliance NOT nuclear",
    "sanction*",
    "strateg*",
    "diplom*",
]
QUERIES_BBC = [
    "election",
    "economy",
    "broadband",
    "chelsea",
    "oscar",
    "interest rates",
    "mobile phone",
    "gordon brown",
    "film festival",
    '"prime minister"',
    '"world cup"',
    '"chief executive"',
    '"six nations"',
    "labour OR conservatives",
    "music OR album",
    "blair NOT brown",
    "game NOT football",
    "econom*",
    "champion*",
    "digit*",
]
QUERY_SETS = {"sample": QUERIES_SAMPLE, "bbc": QUERIES_BBC}

WORD_RE = re.compile(r"[A-Za-z]+|\d+")
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"”’)])\s+")
# Function words are never varied (they stay as frequent as in real text).
_FUNCTION_WORDS = """
    a about above after again against all also am an and any are as at be been before being
    below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers him his how if in into is it its
    itself just may me might more most much must my no nor not now of off on once only or
    other our out over own same shall she should so some such than that the their them
    then there these they this those through to too under until up upon us very was we
    were what when where which while who whom why will with would you your"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())


# ------------------------------------------------------------------ the corpus


class NewsGenerator:
    """News-size articles resampled from the real text of the sample articles.

    Each article takes whole sentences from the sample articles (most from one
    "source" article, so articles have topics), grouped into paragraphs, under
    a headline cut from another sentence. In every sentence numbers are varied,
    some content words are swapped for other words of the sample vocabulary
    (drawn by frequency) and some content words and names are replaced by
    words from a long tail that grows with the corpus: pseudo-English words of
    a character-trigram model trained on the sample vocabulary, created at a
    Heaps'-law rate (about 13k distinct tail words at 500 articles, 110k+ at
    20k) and reused with preferential attachment (a Zipf-like tail).
    """

    P_SWAP = 0.15  # a lower-case content word becomes another sample word
    P_TAIL = 0.07  # ... or a long-tail word
    P_NAME = 0.30  # a capitalised word (not sentence-initial) becomes a tail word
    P_NUMBER = 0.8  # a number is varied
    HEAPS_K, HEAPS_BETA = 36.0, 0.6  # distinct tail words ~ K * draws ** beta

    def __init__(self, sample_dir: Path, seed: int):
        self.rng = random.Random(seed)
        texts = [p.read_text(encoding="utf-8") for p in sorted(sample_dir.glob("*.txt"))]
        if not texts:
            raise SystemExit(f"no sample articles in {sample_dir}")
        self.by_source: list[list[str]] = []
        freq: Counter[str] = Counter()
        for text in texts:
            sentences = []
            for line in text.splitlines():
                for s in SENTENCE_SPLIT.split(line.strip()):
                    if len(s.split()) >= 6:
                        sentences.append(s)
                freq.update(w.lower() for w in re.findall(r"[A-Za-z]+", line))
            self.by_source.append(sentences)
        self.all_sentences = [s for src in self.by_source for s in src]
        content = [(w, n) for w, n in sorted(freq.items())
                   if len(w) >= 3 and w not in FUNCTION_WORDS]
        self.swap_words = [w for w, _ in content]
        self.swap_cum = list(itertools.accumulate(n for _, n in content))
        self.known = set(freq)
        self.tail: list[str] = []  # distinct tail words, in order of creation
        self.tail_draws: list[str] = []  # every tail draw (preferential reuse)
        self._trans: dict[str, list[str]] = defaultdict(list)
        for w in sorted(freq):
            if len(w) >= 3:
                s = "^^" + w + "$"
                for i in range(2, len(s)):
                    self._trans[s[i - 2 : i]].append(s[i])

    def _pseudo_word(self) -> str:
        rng = self.rng
        for _ in range(200):
            ctx, out = "^^", []
            while len(out) < 14:
                c = rng.choice(self._trans[ctx])
                if c == "$":
                    break
                out.append(c)
                ctx = ctx[1] + c
            w = "".join(out)
            if 4 <= len(w) <= 13 and w not in self.known:
                self.known.add(w)
                return w
        w = f"{rng.choice(self.swap_words)}{len(self.tail)}x"  # practically never
        self.known.add(w)
        return w

    def _tail_word(self) -> str:
        n = len(self.tail_draws) + 1
        p_new = self.HEAPS_K * self.HEAPS_BETA * n ** (self.HEAPS_BETA - 1)
        if not self.tail or self.rng.random() < p_new:
            w = self._pseudo_word()
            self.tail.append(w)
        else:
            w = self.rng.choice(self.tail_draws)
        self.tail_draws.append(w)
        return w

    def _swap_word(self) -> str:
        x = self.rng.random() * self.swap_cum[-1]
        return self.swap_words[bisect.bisect_right(self.swap_cum, x)]

    def _vary(self, sentence: str) -> str:
        rng = self.rng

        def sub(m: re.Match[str]) -> str:
            w = m.group()
            if w.isdigit():
                if rng.random() < self.P_NUMBER:
                    lo = 10 ** (len(w) - 1) if len(w) > 1 else 0
                    return str(rng.randint(lo, 10 ** len(w) - 1))
                return w
            lw = w.lower()
            if len(lw) < 3 or lw in FUNCTION_WORDS:
                return w
            r = rng.random()
            if w[0].isupper() and m.start() > 0:
                return self._tail_word().capitalize() if r < self.P_NAME else w
            if r < self.P_TAIL:
                new = self._tail_word()
            elif r < self.P_TAIL + self.P_SWAP:
                new = self._swap_word()
            else:
                return w
            if w.isupper() and len(w) > 1:
                return new.upper()
            return new.capitalize() if w[0].isupper() else new

        return WORD_RE.sub(sub, sentence)

    def article(self) -> str:
        rng = self.rng
        target = rng.randint(300, 720)  # a last sentence may add up to ~50 words
        own = self.by_source[rng.randrange(len(self.by_source))]
        headline_words = self._vary(rng.choice(self.all_sentences)).split()
        headline = " ".join(headline_words[: rng.randint(5, 10)]).rstrip(".,;:!?—–-“”\"'’")
        headline = headline[:1].upper() + headline[1:]
        paragraphs, words = [], 0
        while words < target:
            para = []
            for _ in range(rng.randint(1, 4)):
                pool = own if rng.random() < 0.7 else self.all_sentences
                s = self._vary(rng.choice(pool))
                para.append(s)
                words += len(s.split())
                if words >= target:
                    break
            paragraphs.append(" ".join(para))
        return headline + "\n" + "\n".join(paragraphs) + "\n"


def generate_corpus(dest: Path, n: int, seed: int) -> float:
    """Write ``n`` generated articles under ``dest`` (reused if already complete)."""
    marker = dest / ".complete"
    if marker.exists() and marker.read_text() == f"{n} {seed}\n":
        return 0.0
    if dest.exists():
        shutil.rmtree(dest)
    t0 = time.perf_counter()
    gen = NewsGenerator(SAMPLE_DIR, seed)
    for i in range(n):
        folder = dest / f"{i // FILES_PER_FOLDER:04d}"
        if i % FILES_PER_FOLDER == 0:
            folder.mkdir(parents=True)
        (folder / f"{i:07d}.txt").write_text(gen.article(), encoding="utf-8")
    marker.write_text(f"{n} {seed}\n")
    return time.perf_counter() - t0


def replicate_bbc(dest: Path, copies: int) -> float:
    marker = dest / ".complete"
    if marker.exists() and marker.read_text() == f"bbc x{copies}\n":
        return 0.0
    if dest.exists():
        shutil.rmtree(dest)
    t0 = time.perf_counter()
    for i in range(copies):
        shutil.copytree(BBC_DIR, dest / f"copy{i:02d}")
    marker.write_text(f"bbc x{copies}\n")
    return time.perf_counter() - t0


def corpus_files(root: Path) -> list[Path]:
    """The .txt files under ``root``, sorted, hidden files and folders skipped
    (what both engines index)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and name.lower().endswith(".txt"):
                out.append(Path(dirpath, name))
    return out


def read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def corpus_stats(root: Path) -> dict:
    """Size and vocabulary of the corpus (this pass also warms the page cache,
    so neither engine is the first to read the files)."""
    files = corpus_files(root)
    vocab: set[str] = set()
    counts = []
    nbytes = 0
    for p in files:
        text = read_text(p)
        nbytes += len(text.encode("utf-8"))
        toks = re.findall(r"\w+", text.lower())
        counts.append(len(toks))
        vocab.update(toks)
    return {
        "files": len(files),
        "megabytes": round(nbytes / 1e6, 1),
        "words_mean": round(statistics.fmean(counts)) if counts else 0,
        "words_min": min(counts, default=0),
        "words_max": max(counts, default=0),
        "distinct_words": len(vocab),
    }


# ------------------------------------------------------------------- baseline


def baseline_schema():
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema

    return Schema(
        id=ID(stored=True, unique=True),
        path=ID(stored=True),
        title=TEXT(stored=True),
        body=TEXT(analyzer=StemmingAnalyzer(), stored=True, chars=True),
    )


def baseline_build(root: Path, ix_dir: Path) -> tuple[float, int]:
    """Plain Whoosh: one writer (default arguments), every file added, one commit."""
    from whoosh import index as windex

    t0 = time.perf_counter()
    ix_dir.mkdir(parents=True)
    ix = windex.create_in(ix_dir, baseline_schema())
    writer = ix.writer()
    n = 0
    for p in corpus_files(root):
        text = read_text(p)
        rel = p.relative_to(root).as_posix()
        title = next((line.strip() for line in text.splitlines() if line.strip()), rel)
        writer.add_document(id=rel, path=rel, title=title, body=text)
        n += 1
    writer.commit()
    return time.perf_counter() - t0, n


class BaselineSearcher:
    """Plain Whoosh search over the baseline index, in one of two forms:
    ``MultifieldParser(["title", "body"])`` or ``QueryParser("body")``. Both
    find the same articles (the baseline's body is the whole file, headline
    included); the first also scores the title, at the cost of a second
    posting list per term."""

    def __init__(self, ix_dir: Path, fields: tuple[str, ...] = ("title", "body")):
        from whoosh import index as windex
        from whoosh.qparser import MultifieldParser, QueryParser

        self.ix = windex.open_dir(ix_dir)
        self.searcher = self.ix.searcher()
        if len(fields) == 1:
            self.parser = QueryParser(fields[0], self.ix.schema)
        else:
            self.parser = MultifieldParser(list(fields), self.ix.schema)

    def search(self, qstring: str) -> tuple[int, list]:
        q = self.parser.parse(qstring)
        results = self.searcher.search(q, limit=LIMIT)
        total = len(results)
        hits = [(h["id"], h["title"], h.score, h.highlights("body")) for h in results]
        return total, hits

    def close(self) -> None:
        self.searcher.close()


# --------------------------------------------------------------------- variorum


def _has_versions() -> bool:
    """Whether this engine's ``Corpus.update()`` also finds version families."""
    import inspect

    from index import Corpus

    return "versions" in inspect.signature(Corpus.update).parameters


def variorum_build(root: Path, index_dir: Path) -> tuple[float, int]:
    """The indexing step: ``update(versions=False)`` on engines that also find
    version families (issue 3), which the baseline has no counterpart of; that
    step is timed on its own by :func:`variorum_versions`."""
    from index import Corpus

    kwargs = {"versions": False} if _has_versions() else {}
    t0 = time.perf_counter()
    with Corpus(root, index_dir=index_dir) as c:
        report = c.update(**kwargs)
    return time.perf_counter() - t0, report.articles_total


def variorum_versions(root: Path, index_dir: Path) -> tuple[float, dict]:
    """Version-family detection over a freshly built index: the rest of what a
    default ``update()`` does on a new corpus."""
    from index import Corpus

    t0 = time.perf_counter()
    with Corpus(root, index_dir=index_dir) as c:
        rep = c.update_versions()
    secs = time.perf_counter() - t0
    return secs, {"signed": rep.signed, "candidates": rep.candidates, "pairs": rep.pairs}


def variorum_reindex(root: Path, index_dir: Path, versions: bool) -> tuple[float, dict]:
    """``update()`` of an unchanged corpus (with version families unless they
    were not measured, so that the first re-index does not compute them all)."""
    from index import Corpus

    kwargs = {"versions": False} if _has_versions() and not versions else {}
    t0 = time.perf_counter()
    with Corpus(root, index_dir=index_dir) as c:
        report = c.update(**kwargs)
    secs = time.perf_counter() - t0
    return secs, {"files_unchanged": report.files_unchanged,
                  "changed": report.changed_anything}


# ----------------------------------------------------------------------- engine


def export_engine(rev: str, dest: Path) -> str:
    """Extract ``index/`` as of commit ``rev`` into ``dest`` (``git archive``,
    read-only for the repository) and import the engine from there; returns
    the full commit id."""
    import io
    import subprocess
    import tarfile

    def git(*a: str) -> bytes:
        return subprocess.run(["git", "-C", str(PROJECT), *a], check=True,
                              capture_output=True).stdout

    commit = git("rev-parse", "--verify", f"{rev}^{{commit}}").decode().strip()
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(git("archive", "--format=tar", commit, "index"))) as t:
        t.extractall(dest, filter="data")
    sys.path.insert(0, str(dest))  # spawned workers inherit sys.path
    return commit


def engine_sources() -> tuple[Path, str]:
    """Where the engine is imported from and a hash of its sources."""
    import hashlib

    import index

    pkg = Path(index.__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(pkg.rglob("*.py")):
        h.update(p.relative_to(pkg).as_posix().encode())
        h.update(p.read_bytes())
    return pkg, h.hexdigest()[:16]


def engine_info(commit: str | None) -> dict:
    import subprocess

    pkg, digest = engine_sources()
    info = {"path": str(pkg), "sources_sha256": digest, "commit": commit}
    if commit is None:  # the installed engine: say which commit it is at, if a checkout
        try:
            got = subprocess.run(["git", "-C", str(pkg), "rev-parse", "HEAD"],
                                 capture_output=True, text=True, timeout=20)
            if got.returncode == 0:
                info["commit"] = got.stdout.strip()
                dirty = subprocess.run(
                    ["git", "--no-optional-locks", "-C", str(pkg), "status", "--porcelain",
                     "--", "."], capture_output=True, text=True, timeout=20,
                ).stdout.strip()
                info["uncommitted_changes"] = bool(dirty)
        except (OSError, subprocess.SubprocessError):
            pass
    return info


# ---------------------------------------------------------------------- helpers


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def percentile(values: list[float], pct: float) -> float:
    """Linear-interpolated percentile (the "inclusive" method)."""
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


class OtherLoad:
    """CPU time used by other processes (and the hypervisor) since creation:
    the machine's busy time from /proc/stat minus this process's and its
    reaped children's. The figures are only comparable on an idle machine."""

    def __init__(self):
        self.t0 = time.perf_counter()
        self.busy0 = self._busy()
        self.own0 = self._own()

    @staticmethod
    def _busy() -> float | None:
        try:
            vals = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        except (OSError, ValueError):
            return None
        return (sum(vals) - vals[3] - vals[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait

    @staticmethod
    def _own() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def report(self) -> dict | None:
        busy = self._busy()
        if busy is None or self.busy0 is None:
            return None
        wall = time.perf_counter() - self.t0
        other = max(0.0, (busy - self.busy0) - (self._own() - self.own0))
        return {"cpu_seconds": round(other, 1), "wall_seconds": round(wall, 1),
                "cores_on_average": round(other / wall, 3) if wall else 0.0}


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    from importlib.metadata import version

    return {
        "nproc": usable,
        "cpu_count": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "whoosh": version("whoosh-reloaded"),
    }


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def fmt_int(x: float) -> str:
    return f"{x:,.0f}"


# ------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=(
            "Benchmark variorum's indexing and search against a plain-Whoosh baseline "
            "(same files, same queries, same limit, same run)."
        ),
        epilog=(
            f"Real data: --corpus {BBC_DIR_SHOWN} (2,225 BBC News articles, path relative to "
            f"the project root; its README.TXT is indexed by both engines too) or "
            f"--replicate-bbc 9 (9 copies of it in a temp folder: 20,034 files). Without "
            f"either, --n articles are generated from sample_corpus/*.txt."
        ),
    )
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--corpus", type=Path, metavar="PATH",
                     help=f"index an existing folder (e.g. {BBC_DIR_SHOWN}) instead of "
                          f"generating one")
    src.add_argument("--replicate-bbc", type=int, metavar="K",
                     help=f"index K copies of {BBC_DIR_SHOWN} made in a temp folder "
                          f"(exits with status 2 if that folder is absent)")
    ap.add_argument("--n", type=int, default=20000,
                    help="articles to generate (default 20000)")
    ap.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    ap.add_argument("--runs", type=int, default=3,
                    help="index builds / re-indexes per engine; medians reported (default 3)")
    ap.add_argument("--reps", type=int, default=5,
                    help="timed passes over the queries after one warm-up pass (default 5)")
    ap.add_argument("--queries", default="auto",
                    help="query set: 'sample' (for generated corpora), 'bbc', or a file "
                         "with one query a line; 'auto' (default) picks 'bbc' for BBC "
                         "corpora and 'sample' otherwise")
    ap.add_argument("--versions", action="store_true",
                    help="also time version-family detection (issue 3), which a default "
                         "Corpus.update() runs after indexing, separately from the index "
                         "build, and include it in the re-index; off by default (the "
                         "baseline has no such step; bench/bench_versions.py measures it)")
    ap.add_argument("--engine-commit", metavar="REV",
                    help="benchmark the engine (index/) as of this commit, exported with "
                         "`git archive` into the work folder, instead of the working tree "
                         "(which someone may be editing during a long run)")
    ap.add_argument("--workdir", type=Path,
                    help="where corpora and indexes go (default: a temp folder, removed "
                         "at the end); a generated corpus there is reused by later runs")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    ap.add_argument("--show", type=Path, metavar="PATH",
                    help="print the report of figures saved by --json, and run nothing")
    return ap.parse_args(argv)


def load_queries(spec: str, is_bbc: bool) -> tuple[str, list[str]]:
    if spec == "auto":
        spec = "bbc" if is_bbc else "sample"
    if spec in QUERY_SETS:
        return spec, list(QUERY_SETS[spec])
    lines = Path(spec).read_text(encoding="utf-8").splitlines()
    return spec, [q.strip() for q in lines if q.strip() and not q.startswith("#")]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.show:
        print(render(json.loads(args.show.read_text(encoding="utf-8"))))
        return 0
    command = " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])
    if args.replicate_bbc is not None and not BBC_DIR.is_dir():
        print(f"skipped: --replicate-bbc needs the BBC corpus at {BBC_DIR} "
              f"({BBC_DIR_SHOWN}), which is absent.", file=sys.stderr)
        return 2
    if args.corpus is not None and not args.corpus.is_dir():
        print(f"error: corpus folder not found: {args.corpus}", file=sys.stderr)
        return 2

    temp = args.workdir is None
    work = Path(tempfile.mkdtemp(prefix="variorum-bench-")) if temp else args.workdir
    work.mkdir(parents=True, exist_ok=True)
    try:
        commit = None
        if args.engine_commit:
            commit = export_engine(args.engine_commit, work / "engine")
        return run(args, work, command, commit)
    finally:
        if temp and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"\nwork folder kept: {work}")


def run(args: argparse.Namespace, work: Path, command: str, commit: str | None) -> int:
    from index import Corpus

    engine = engine_info(commit)
    log(f"engine: {engine}")
    versions = _has_versions() and args.versions
    gen_seconds = 0.0
    if args.corpus is not None:
        root = args.corpus.expanduser().resolve()
        desc = f"folder {args.corpus}"
        is_bbc = root.name.lower() == "bbc"
    elif args.replicate_bbc is not None:
        root = work / f"bbc-x{args.replicate_bbc}"
        log(f"copying {BBC_DIR_SHOWN} x{args.replicate_bbc} into {root} ...")
        gen_seconds = replicate_bbc(root, args.replicate_bbc)
        desc = f"{BBC_DIR_SHOWN} copied {args.replicate_bbc}x"
        is_bbc = True
    else:
        root = work / f"generated-n{args.n}-seed{args.seed}"
        log(f"generating {args.n} articles into {root} ...")
        gen_seconds = generate_corpus(root, args.n, args.seed)
        desc = f"generated from sample_corpus/*.txt (seed {args.seed})"
        is_bbc = False
    qset, queries = load_queries(args.queries, is_bbc)
    stats = corpus_stats(root)
    log(f"corpus: {stats} (prepared in {gen_seconds:.1f} s)")

    # 1. Full builds, alternating which engine goes first. Version families
    #    (variorum only) are timed apart, right after each variorum build.
    load_all = OtherLoad()
    load_build = OtherLoad()
    v_build, b_build, v_vers = [], [], []
    vers_info: dict = {}
    v_dir = b_dir = None
    v_articles = b_docs = 0
    for r in range(args.runs):
        for who in (("variorum", "baseline") if r % 2 == 0 else ("baseline", "variorum")):
            if who == "variorum":
                if v_dir is not None:
                    shutil.rmtree(v_dir)
                v_dir = work / f"ix-variorum-{r}"
                secs, v_articles = variorum_build(root, v_dir)
                v_build.append(secs)
                log(f"run {r + 1}/{args.runs}: variorum build {secs:7.2f} s")
                if versions:
                    secs, vers_info = variorum_versions(root, v_dir)
                    v_vers.append(secs)
                    log(f"run {r + 1}/{args.runs}: variorum version families {secs:7.2f} s "
                        f"{vers_info}")
            else:
                if b_dir is not None:
                    shutil.rmtree(b_dir)
                b_dir = work / f"ix-baseline-{r}"
                secs, b_docs = baseline_build(root, b_dir)
                b_build.append(secs)
                log(f"run {r + 1}/{args.runs}: baseline build {secs:7.2f} s")
    other_build = load_build.report()
    if v_articles != b_docs:
        log(f"WARNING: variorum indexed {v_articles} articles, the baseline {b_docs} documents")
    v_build_s, b_build_s = statistics.median(v_build), statistics.median(b_build)
    v_rate, b_rate = v_articles / v_build_s, b_docs / b_build_s
    v_mb, b_mb = dir_mb(v_dir), dir_mb(b_dir)
    v_full_rate = None
    if versions:  # articles / (build + versions), median over the runs
        v_full_rate = v_articles / statistics.median(
            [b + v for b, v in zip(v_build, v_vers, strict=True)])

    # 2. Re-index of the unchanged corpus (variorum's incremental update).
    reindex = []
    for r in range(args.runs):
        secs, info = variorum_reindex(root, v_dir, versions)
        if info["changed"]:
            log("WARNING: the re-index found changes in an unchanged corpus")
        reindex.append(secs)
        log(f"re-index {r + 1}/{args.runs}: {secs:.3f} s ({info['files_unchanged']} unchanged)")
    reindex_s = statistics.median(reindex)

    # 3. Search latency on warm searchers: one warm-up pass, then --reps passes.
    load_search = OtherLoad()
    #    The baseline is timed in both forms ("baseline": title and body,
    #    "baseline_body": body only); the order of the three rotates per pass.
    corpus = Corpus(root, index_dir=v_dir)
    base = BaselineSearcher(b_dir, ("title", "body"))
    base_body = BaselineSearcher(b_dir, ("body",))
    per_q: dict[str, dict] = {
        q: {"variorum_ms": [], "baseline_ms": [], "baseline_body_ms": []} for q in queries
    }
    for q in queries:
        res = corpus.search(q, limit=LIMIT)
        total, _ = base.search(q)
        total_body, _ = base_body.search(q)
        per_q[q].update(variorum_total=res.total, baseline_total=total,
                        baseline_body_total=total_body, variorum_hits=len(res.hits),
                        variorum_spans=sum(len(h.spans) for h in res.hits))
    engines = [("variorum_ms", lambda q: corpus.search(q, limit=LIMIT)),
               ("baseline_ms", base.search), ("baseline_body_ms", base_body.search)]
    clock = time.perf_counter
    for rep in range(args.reps):
        for q in queries:
            k = rep % len(engines)
            for key, search in engines[k:] + engines[:k]:
                t0 = clock()
                search(q)
                per_q[q][key].append((clock() - t0) * 1e3)
    corpus.close()
    base.close()
    base_body.close()
    other_search = load_search.report()
    other_all = load_all.report()
    lat = {key: [x for d in per_q.values() for x in d[key]] for key, _ in engines}
    v_p50, b_p50, bb_p50 = (percentile(lat[k], 50) for k, _ in engines)
    v_p95, b_p95, bb_p95 = (percentile(lat[k], 95) for k, _ in engines)

    build_ratio = v_rate / b_rate
    p50_ratio, body_p50_ratio = v_p50 / b_p50, v_p50 / bb_p50
    _, digest_after = engine_sources()
    figures = {
        "command": command,
        "machine": machine(),
        "engine": {**engine, "changed_during_run": digest_after != engine["sources_sha256"]},
        "corpus": {"description": desc, "path": str(root), "articles": v_articles,
                   "baseline_documents": b_docs, "prepare_seconds": round(gen_seconds, 2),
                   **stats},
        "runs": args.runs,
        "reps": args.reps,
        "limit": LIMIT,
        "query_set": qset,
        "index_build": {
            "variorum_seconds": v_build, "baseline_seconds": b_build,
            "variorum_articles_per_s": v_rate, "baseline_articles_per_s": b_rate,
            "ratio": build_ratio, "target_ratio": TARGET_BUILD_RATIO,
            "pass": build_ratio >= TARGET_BUILD_RATIO,
        },
        "version_families": {
            "variorum_seconds": v_vers, "last_report": vers_info,
            "build_plus_versions_articles_per_s": v_full_rate,
        } if versions else None,
        "reindex_unchanged": {
            "variorum_seconds": reindex, "median": reindex_s,
            "with_versions": versions,
            "target_seconds": TARGET_REINDEX_S, "pass": reindex_s <= TARGET_REINDEX_S,
        },
        "search": {
            "variorum_p50_ms": v_p50, "baseline_p50_ms": b_p50,
            "variorum_p95_ms": v_p95, "baseline_p95_ms": b_p95,
            "p50_ratio": p50_ratio, "p95_ratio": v_p95 / b_p95,
            "target_p50_ratio": TARGET_P50_RATIO, "pass": p50_ratio <= TARGET_P50_RATIO,
            "baseline_body_p50_ms": bb_p50, "baseline_body_p95_ms": bb_p95,
            "body_p50_ratio": body_p50_ratio, "body_p95_ratio": v_p95 / bb_p95,
            "body_pass": body_p50_ratio <= TARGET_P50_RATIO,
            "per_query": per_q,
        },
        "index_megabytes": {"variorum": v_mb, "baseline": b_mb},
        "other_load": {"all": other_all, "builds": other_build, "search": other_search},
    }
    print(render(figures))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"\nfigures written to {args.json}")
    return 0


def render(f: dict) -> str:
    """The printed report, from the figures (also what ``--show`` prints)."""
    c, m, e = f["corpus"], f["machine"], f["engine"]
    ib, ri, se, mb = f["index_build"], f["reindex_unchanged"], f["search"], f["index_megabytes"]
    vf = f.get("version_families")
    med = statistics.median
    out = [
        f"variorum vs plain Whoosh: {c['articles']:,} articles ({c['description']}), "
        f"{f['runs']} run(s), medians",
        f"corpus: {c['files']:,} files, {c['megabytes']} MB, {c['words_mean']} words/article "
        f"(min {c['words_min']}, max {c['words_max']}), {c['distinct_words']:,} distinct words",
        f"machine: nproc {m['nproc']}, {m['cpu']}, {m['platform']}, Python {m['python']}, "
        f"whoosh-reloaded {m['whoosh']}",
    ]
    where = f"commit {e['commit'][:10]}" if e.get("commit") else "no git commit"
    if e.get("uncommitted_changes"):
        where += " + uncommitted changes"
    out.append(f"engine: {e['path']} ({where}, sources sha256 {e['sources_sha256']})")
    out.append(f"command: {f['command']}")
    load = (f.get("other_load") or {}).get("all")
    if load:
        out.append(
            f"other load: other processes used {load['cpu_seconds']} CPU-s during the "
            f"{load['wall_seconds']} s measured ({load['cores_on_average']:.2f} cores on "
            f"average; builds {f['other_load']['builds']['cores_on_average']:.2f}, search "
            f"{f['other_load']['search']['cores_on_average']:.2f})")
        if load["cores_on_average"] > 0.1:
            out.append("WARNING: the machine was not idle; the timings are disturbed")
    if e.get("changed_during_run"):
        out.append("WARNING: the engine's sources changed during the run; the figures mix "
                   "code versions (use --engine-commit)")
    out.append("")
    v_build_s, b_build_s = med(ib["variorum_seconds"]), med(ib["baseline_seconds"])
    rows = [
        ("metric", "variorum", "baseline", "ratio", "target", "result"),
        ("index build (articles/s)", fmt_int(ib["variorum_articles_per_s"]),
         fmt_int(ib["baseline_articles_per_s"]), f"{ib['ratio']:.2f}x",
         f">= {ib['target_ratio']:g}x baseline", verdict(ib["pass"])),
        ("index build (s)", f"{v_build_s:.2f}", f"{b_build_s:.2f}",
         f"{v_build_s / b_build_s:.2f}x", "", ""),
    ]
    if vf:
        full = vf["build_plus_versions_articles_per_s"]
        rows += [
            ("+ version families (s)", f"{med(vf['variorum_seconds']):.2f}", "n/a", "",
             "(not in issue 2)", ""),
            ("build + versions (articles/s)", fmt_int(full),
             fmt_int(ib["baseline_articles_per_s"]),
             f"{full / ib['baseline_articles_per_s']:.2f}x", "", ""),
        ]
    rows += [
        ("re-index unchanged (s)", f"{ri['median']:.3f}", "n/a", "",
         f"<= {ri['target_seconds']:g} s", verdict(ri["pass"])),
    ]
    both = "baseline_body_p50_ms" in se  # figures from before the body-only baseline lack it
    tb = " [title+body]" if both else ""
    rows += [
        (f"search p50 (ms){tb}", f"{se['variorum_p50_ms']:.2f}",
         f"{se['baseline_p50_ms']:.2f}", f"{se['p50_ratio']:.2f}x",
         f"<= {se['target_p50_ratio']:g}x baseline", verdict(se["pass"])),
        (f"search p95 (ms){tb}", f"{se['variorum_p95_ms']:.2f}",
         f"{se['baseline_p95_ms']:.2f}", f"{se['p95_ratio']:.2f}x", "", ""),
    ]
    if both:
        rows += [
            ("search p50 (ms) [body only]", f"{se['variorum_p50_ms']:.2f}",
             f"{se['baseline_body_p50_ms']:.2f}", f"{se['body_p50_ratio']:.2f}x",
             f"<= {se['target_p50_ratio']:g}x baseline", verdict(se["body_pass"])),
            ("search p95 (ms) [body only]", f"{se['variorum_p95_ms']:.2f}",
             f"{se['baseline_body_p95_ms']:.2f}", f"{se['body_p95_ratio']:.2f}x", "", ""),
        ]
    rows += [
        ("index size (MB)", f"{mb['variorum']:.1f}", f"{mb['baseline']:.1f}",
         f"{mb['variorum'] / mb['baseline']:.2f}x", "", ""),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        out.append("  ".join(x.ljust(w) if j == 0 else x.rjust(w) if j < 4 else x.ljust(w)
                             for j, (x, w) in enumerate(zip(r, widths, strict=True))).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    out.append("")
    out.append(f"build runs (s): variorum {', '.join(f'{x:.2f}' for x in ib['variorum_seconds'])}"
               f"; baseline {', '.join(f'{x:.2f}' for x in ib['baseline_seconds'])}")
    if vf:
        out.append(f"version-family runs (s): "
                   f"{', '.join(f'{x:.2f}' for x in vf['variorum_seconds'])} "
                   f"(last: {vf['last_report']})")
    out.append(f"re-index runs (s): {', '.join(f'{x:.3f}' for x in ri['variorum_seconds'])} "
               f"(the baseline has no incremental update: it would rebuild, "
               f"{b_build_s:.1f} s)")
    per_q = se["per_query"]
    n_timings = sum(len(d["variorum_ms"]) for d in per_q.values())
    out.append(f"search: {len(per_q)} queries ('{f['query_set']}') x {f['reps']} passes = "
               f"{n_timings} timings per engine, limit {f['limit']}, after one warm-up pass")
    if both:
        out.append("baseline [title+body]: MultifieldParser(['title', 'body']); "
                   "[body only]: QueryParser('body') (same matches: the body holds the headline)")
    out.append("")
    qw = max(len(q) for q in per_q)
    head = f"{'query'.ljust(qw)}  {'hits v':>7}  {'hits b':>7}  {'p50 v ms':>8}  {'p50 b ms':>8}"
    out.append(head + (f"  {'p50 b body':>10}" if both else ""))
    for q, d in per_q.items():
        line = (f"{q.ljust(qw)}  {d['variorum_total']:7d}  {d['baseline_total']:7d}  "
                f"{med(d['variorum_ms']):8.2f}  {med(d['baseline_ms']):8.2f}")
        if both:
            line += f"  {med(d['baseline_body_ms']):10.2f}"
            if d["baseline_body_total"] != d["baseline_total"]:
                line += f"  (body-only hits {d['baseline_body_total']})"
        out.append(line)
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
