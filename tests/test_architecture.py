"""The engine (``index/``) is headless: it never imports Textual or the UI package."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "index"
FORBIDDEN = ("textual", "tui")


def engine_modules() -> list[Path]:
    """Every module of the engine, its sub-packages' too."""
    files = sorted(ENGINE.rglob("*.py"))
    assert len(files) >= 10, files  # the check below is not vacuous
    return files


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
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


def test_is_forbidden():
    assert is_forbidden("textual") and is_forbidden("textual.app") and is_forbidden("tui.cli")
    assert not is_forbidden("textwrap") and not is_forbidden("tuition")


def test_engine_sources_do_not_import_the_ui():
    offenders = []
    for path in engine_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        name = module_name(path)
        offenders += [f"{name}: {m}" for m in imported_modules(tree) if is_forbidden(m)]
        # Relative imports must stay inside the package (no ``from ..tui``).
        depth = len(path.relative_to(ENGINE).parts)  # 1 for index/x.py, 2 for index/text/x.py
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level > depth:
                offenders.append(f"{name}: relative import beyond index/")
    assert offenders == []


def test_importing_the_engine_loads_no_ui_module():
    modules = ", ".join(module_name(p) for p in engine_modules())
    code = (
        f"import index, {modules}\n"
        "import sys\n"
        "bad = sorted(m for m in sys.modules\n"
        "             if m == 'textual' or m.startswith(('textual.', 'tui')))\n"
        "assert not bad, bad\n"
        "assert 'index.corpus' in sys.modules\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
