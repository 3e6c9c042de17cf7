"""The engine (``index/``) is headless: it never imports Textual or the UI package."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

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
