"""Modules imported on first use.

The reader's first paint needs only the SQLite store; Whoosh, the search,
versions, entity and diff modules are imported when a worker first touches
them. (Not importlib's LazyLoader: before Python 3.12 it is not thread-safe,
and two of the reader's workers touch these modules at once. A plain
``import_module`` under the import system's own per-module locks is.)
"""

from __future__ import annotations

import importlib
from types import ModuleType


class _Lazy:
    __slots__ = ("_module", "_name")

    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str):
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy(name: str):
    """``name`` as an object whose attributes are the module's, imported
    when the first one is read."""
    return _Lazy(name)
