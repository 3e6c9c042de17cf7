"""The engine (``index/``) is headless: it never imports Textual or the UI package."""

from __future__ import annotations

import ast
import importlib
import pickle
import subprocess
import sys
from pathlib import Path

from conftest import SAMPLE, SAMPLE_DIR, copy_sample_index

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "index"
FORBIDDEN = ("textual", "tui")


def engine_modules(root: Path = ENGINE) -> list[Path]:
    """Every module of the engine, in sub-packages too."""
    return sorted(root.rglob("*.py"))


def module_name(path: Path, root: Path = ENGINE) -> str:
    """``index/sub/x.py`` -> ``index.sub.x``; a package's ``__init__`` is the package."""
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_forbidden(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN)


def imported_modules(tree: ast.AST) -> list[str]:
    out = []
    for node in ast.walk(tree):  # also imports inside functions
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append(node.module)
    return out


def ui_imports(root: Path = ENGINE) -> list[str]:
    """Every import of the UI by the engine at ``root``, one line each."""
    offenders = []
    for path in engine_modules(root):
        rel = path.relative_to(root.parent)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        offenders += [f"{rel}: {m}" for m in imported_modules(tree) if is_forbidden(m)]
        # Relative imports must stay inside the package (no ``from ..tui``):
        # level 1 is the module's own package, so a module of index/ may use
        # level 1, one of index/sub/ level 2, and so on.
        inside = len(rel.parts) - 1
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level > inside:
                offenders.append(f"{rel}: relative import beyond index/")
    return offenders


def test_is_forbidden():
    assert is_forbidden("textual") and is_forbidden("textual.app") and is_forbidden("tui.cli")
    assert not is_forbidden("textwrap") and not is_forbidden("tuition")


def test_the_check_sees_every_module_of_every_sub_package(tmp_path):
    """A sub-package of the engine is checked as the engine is (the files
    were once globbed in index/ only, so index/sub/ was never looked at)."""
    engine = tmp_path / "index"
    (engine / "sub" / "deeper").mkdir(parents=True)
    (engine / "__init__.py").write_text("")
    (engine / "ok.py").write_text("from . import sub\n")
    (engine / "sub" / "__init__.py").write_text("from .. import ok\n")  # inside index/
    (engine / "sub" / "deeper" / "__init__.py").write_text("")
    (engine / "sub" / "deeper" / "bad.py").write_text(
        "import textual.app\n"
        "def later():\n"
        "    from tui import cli\n"
        "from ... import ok\n"  # index/: still inside
        "from .... import tui\n")  # beyond index/
    assert sorted(ui_imports(engine)) == [
        "index/sub/deeper/bad.py: relative import beyond index/",
        "index/sub/deeper/bad.py: textual.app",
        "index/sub/deeper/bad.py: tui",
    ]
    assert [module_name(p, engine) for p in engine_modules(engine)] == [
        "index", "index.ok", "index.sub", "index.sub.deeper", "index.sub.deeper.bad"]


def test_engine_sources_do_not_import_the_ui():
    assert len(engine_modules()) >= 10  # the check is not vacuous
    assert ui_imports() == []


def test_importing_the_engine_loads_no_ui_module():
    modules = ", ".join(module_name(p) for p in engine_modules())
    code = (
        f"import {modules}\n"
        "import sys\n"
        "bad = sorted(m for m in sys.modules\n"
        "             if m in ('textual', 'tui') or m.startswith(('textual.', 'tui.')))\n"
        "assert not bad, bad\n"
        "assert 'index.corpus' in sys.modules\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


HEAVY = ("whoosh", "numpy", "spacy", "datasketch")


def test_the_text_passes_and_the_diff_load_no_heavy_library():
    """``index.text`` is pure Python over strings, and the diff is built on
    it: importing them loads no Whoosh, numpy or spaCy, however indirectly
    (the tokenizer was in the module that defined the Whoosh fields)."""
    text = sorted(module_name(p) for p in (ENGINE / "text").rglob("*.py"))
    assert len(text) >= 8, text
    code = (
        f"import {', '.join(text)}, index.diff\n"
        "import sys\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_listing_a_corpus_loads_no_heavy_library(sample_index, tmp_path):
    """The reader paints its article list from the store alone: opening a
    corpus, listing its articles and reading its generation load no Whoosh,
    numpy or spaCy (the store's read snapshot is apart from its Whoosh side)."""
    ix = copy_sample_index(sample_index, tmp_path / "ix")
    code = (
        "import sys\n"
        "from index import Corpus\n"
        f"c = Corpus({str(SAMPLE_DIR)!r}, index_dir={str(ix)!r})\n"
        "n, gen = len(c.article_list()), c.generation()\n"
        "c.close()\n"
        f"assert n == {len(SAMPLE)} and gen > 0, (n, gen)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


# the engine's modules whose names ``index`` imports when first read (PEP 562)
FIRST_USE_MODULES = ("index.comparisons", "index.report", "index.export", "index.outlets",
                     "index.cluster")


def test_the_engines_names_read_on_first_use_are_its_modules_names():
    """``index`` imports some modules when one of their names is first read
    (issue 15): every name of ``__all__`` is there, is the module's own
    object, and ``from index import *`` has them all; an unknown name is an
    AttributeError as before."""
    code = (
        "import sys, index\n"
        f"later = {FIRST_USE_MODULES!r}\n"
        "assert not [m for m in later if m in sys.modules], 'imported with index'\n"
        "assert index.DiffResult.__module__ == 'index.comparisons'\n"
        "assert 'index.comparisons' in sys.modules and 'index.report' not in sys.modules\n"
        "import index.comparisons, index.report, index.export, index.outlets, index.cluster\n"
        "assert index.diffreport is index.report\n"
        "assert index.connect_dask is index.cluster.connect\n"
        "assert index.export_diff is index.export.render\n"
        "assert index.OUTLET_COLUMNS is index.outlets.COLUMNS\n"
        "assert index.Family is index.comparisons.Family\n"
        "assert set(index.__all__) <= set(dir(index))\n"
        "ns = {}\n"
        "exec('from index import *', ns)\n"
        "missing = [n for n in index.__all__ if n not in ns]\n"
        "assert not missing, missing\n"
        "try:\n"
        "    index.no_such_name\n"
        "except AttributeError as e:\n"
        "    assert 'no_such_name' in str(e)\n"
        "else:\n"
        "    raise AssertionError('an unknown name was found')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_the_readers_start_loads_nothing_its_first_paint_does_not_need(sample_index, tmp_path):
    """What `variorum PATH` does before its first frame: the CLI, a corpus
    whose list is read ahead, the app made (issue 15's first paint at 100k
    articles). None of the engine's heavy libraries is loaded (the search,
    versions, entities, web archives and fuzzy matching come when first
    used), nor the TOML parser when there is no config file to read, nor
    Textual's progress bar (mounted with the update's first progress)."""
    ix = copy_sample_index(sample_index, tmp_path / "ix")
    code = (
        "import os, sys\n"
        f"os.environ['VARIORUM_CONFIG'] = {str(tmp_path / 'none.toml')!r}\n"
        "import tui.cli\n"
        "from tui.config import load_config\n"
        "from index import Corpus\n"
        f"c = Corpus({str(SAMPLE_DIR)!r}, index_dir={str(ix)!r})\n"
        "c.prefetch_list()\n"
        "from tui.app import VariorumApp\n"
        "app = VariorumApp(c, config=load_config())\n"
        f"assert len(c.article_list()) == {len(SAMPLE)}\n"
        f"heavy = {(*HEAVY, 'warcio', 'rapidfuzz', 'trafilatura', 'lxml', 'tomllib')!r}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "assert not bad, bad\n"
        "assert 'textual.widgets._progress_bar' not in sys.modules\n"
        # the engine's modules the first paint does not need (index's names
        # read on first use): the comparisons' classes, the diff report and
        # its exports, the outlets table, the Dask cluster
        f"later = {FIRST_USE_MODULES!r}\n"
        "bad = sorted(m for m in later if m in sys.modules)\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_the_readers_app_freezes_what_its_imports_made(sample_index, tmp_path):
    """The reader's garbage collector (tui.gctune): made as `variorum PATH`
    makes it, the app freezes the objects of the imports (none of them
    garbage) and raises the young threshold at once, so that the start's
    collections, and the full one once the list is up, scan only what the
    app made (issue 15's first paint)."""
    ix = copy_sample_index(sample_index, tmp_path / "ix")
    code = (
        "import gc\n"
        "from index import Corpus\n"
        "from tui import gctune\n"
        "from tui.app import VariorumApp\n"
        f"c = Corpus({str(SAMPLE_DIR)!r}, index_dir={str(ix)!r})\n"
        "assert gc.get_freeze_count() == 0\n"
        "VariorumApp(c)  # a test's app: Python's defaults\n"
        "assert gc.get_freeze_count() == 0 and gc.get_threshold()[0] == 700\n"
        "VariorumApp(c, quiet_gc=True)\n"
        "assert gc.get_freeze_count() > 10000, gc.get_freeze_count()\n"
        "assert gc.get_threshold()[0] == gctune.THRESHOLD\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_an_unchanged_update_loads_no_whoosh_nor_numpy(sample_index, tmp_path):
    """Re-indexing an unchanged corpus (`variorum index`, the reader at every
    start) walks the folder and compares; the Whoosh folder holds what the
    store says (told by the file names), the versions phase has nothing to
    compare: Whoosh, numpy, datasketch and spaCy stay unloaded (issue 15:
    Whoosh was a third of an unchanged re-index of 18k articles, numpy a
    tenth)."""
    ix = copy_sample_index(sample_index, tmp_path / "ix")
    code = (
        "import sys\n"
        "from index import Corpus\n"
        f"c = Corpus({str(SAMPLE_DIR)!r}, index_dir={str(ix)!r})\n"
        "r = c.update(procs=1)\n"
        "c.close()\n"
        f"assert (r.files_unchanged, r.versions.signed) == ({len(SAMPLE)}, 0), r\n"
        "assert not r.changed_anything\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


WHOOSH_INTERNALS = ENGINE / "search" / "whoosh_internals.py"


def whoosh_private_uses(path: Path) -> list[str]:
    """Uses of Whoosh's private API in the module at ``path``: a ``_name``
    imported from Whoosh, read off anything but ``self``/``cls`` or passed as
    a keyword, in a module that imports Whoosh; and, in a class built on a
    Whoosh class, a ``_name`` of that class overridden or read off ``self``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    whoosh_names: dict[str, str] = {}  # local name -> whoosh dotted path
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "whoosh":
            for a in node.names:
                whoosh_names[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "whoosh":  # import whoosh.x (as y)
                    whoosh_names[a.asname or "whoosh"] = a.name if a.asname else "whoosh"
    if not whoosh_names:
        return []

    def private(name: str) -> bool:
        return name.startswith("_") and not name.startswith("__")

    def whoosh_object(expr: ast.expr):
        parts = ast.unparse(expr).split(".")
        if parts[0] not in whoosh_names:
            return None
        dotted = whoosh_names[parts[0]].split(".") + parts[1:]
        for k in range(len(dotted), 0, -1):  # the longest prefix that is a module
            try:
                obj = importlib.import_module(".".join(dotted[:k]))
            except ImportError:
                continue
            for attr in dotted[k:]:
                obj = getattr(obj, attr)
            return obj
        return None

    out = [f"{path.name}: imports {n}" for n, full in whoosh_names.items() if private(n)
           or private(full.rsplit(".", 1)[-1])]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr) and not (
                isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            out.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.keyword) and node.arg and private(node.arg):
            out.append(f"{path.name}:{node.lineno}: keyword {node.arg}")
        elif isinstance(node, ast.ClassDef):
            bases = [b for b in map(whoosh_object, node.bases) if b is not None]
            for sub in ast.walk(node):
                name = (sub.name if isinstance(sub, ast.FunctionDef) else
                        sub.attr if isinstance(sub, ast.Attribute) else None)
                if name and private(name) and any(hasattr(b, name) for b in bases):
                    out.append(f"{path.name}:{sub.lineno}: {node.name} uses Whoosh's {name}")
    return out


def test_whoosh_private_api_only_in_whoosh_internals(tmp_path):
    """Whoosh's private API (pinned whoosh-reloaded 2.7.5) is used in one
    module only, so an upgrade has one place to check."""
    assert whoosh_private_uses(WHOOSH_INTERNALS)  # the check sees what it looks for
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from whoosh import index\n"
        "from whoosh.matching import FilterMatcher\n"
        "from whoosh.system import _INT_SIZE\n"
        "class M(FilterMatcher):\n"
        "    def skip(self):\n"
        "        self._find_next()\n"
        "def latest(storage, w):\n"
        "    w._close_segment()\n"
        "    return index.TOC._latest_generation(storage, 'MAIN')\n"
        "def lock(SegmentWriter, ix):\n"
        "    return SegmentWriter(ix, _lk=False)\n")
    assert sorted(u.split(": ", 1)[1] for u in whoosh_private_uses(bad)) == [
        "M uses Whoosh's _find_next", "imports _INT_SIZE", "index.TOC._latest_generation",
        "keyword _lk", "w._close_segment"]
    offenders = [u for p in engine_modules() if p != WHOOSH_INTERNALS
                 for u in whoosh_private_uses(p)]
    assert offenders == []


def test_every_package_is_shipped():
    """pyproject.toml lists the packages to install by name: a sub-package
    missing there is missing from an installed variorum."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
                 ["tool"]["setuptools"]["packages"])
    found = {module_name(init, top) for top in (ENGINE, ROOT / "tui")
             for init in top.rglob("__init__.py")}
    assert found == listed


def test_a_signature_worker_loads_neither_datasketch_nor_scipy(sample_index, tmp_path):
    """The versions phase takes datasketch's permutations once, in the
    calling process, and hands them to its signature chunks: a worker that
    signs articles imports neither datasketch nor the SciPy it pulls in
    (57 MB a worker, issue 15), and its signatures are the ones the caller
    computes with datasketch loaded."""
    ix = copy_sample_index(sample_index, tmp_path / "ix")
    code = (
        "import pickle, sys\n"
        "from index import versions\n"
        "from index.store.db import STORE_FILE, Store\n"
        f"store = Store(__import__('pathlib').Path({str(ix)!r}) / STORE_FILE, readonly=True)\n"
        "ids = [a.id for a in store.list_articles()]\n"
        "perms, want = pickle.load(sys.stdin.buffer)\n"
        "got = versions._sig_chunk(str(store.path), frozenset(), perms, sorted(ids))\n"
        "assert got.sigs == want, 'signatures differ'\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('datasketch', 'scipy'))\n"
        "assert not bad, bad\n"
    )
    from index import versions
    from index.store.db import STORE_FILE, Store

    store = Store(ix / STORE_FILE, readonly=True)
    try:
        ids = sorted(a.id for a in store.list_articles())
    finally:
        store.close()
    want = versions._sig_chunk(str(ix / STORE_FILE), frozenset(), versions.permutations(), ids)
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, check=False,
        input=pickle.dumps((versions.permutations(), want.sigs)))
    assert proc.returncode == 0, proc.stderr.decode()
