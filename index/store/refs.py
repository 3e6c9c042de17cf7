"""What a user may name an article by: its id, a unique prefix of it, the
path of its file (relative to the corpus, or as the shell gave it), or a
unique prefix of its file's name or path (``001`` for ``001_f563….txt``).
The CLI and the reader both resolve references here."""

from __future__ import annotations

from pathlib import Path

from ..errors import NotFoundError
from .db import Store


def resolve(store: Store, root: Path, ref: str) -> str:
    """An article id from an id, a unique id prefix, a file path or a unique
    prefix of a file's name or path, in the corpus at ``root``; NotFoundError
    says why none (or which ones, when a prefix names several files)."""
    ref = ref.strip()
    if store.meta_by_id(ref):
        return ref
    for rel in _relpaths(root, ref):
        ids = store.ids_for_path(rel)
        if ids:
            return _one(rel, ids)
    # a prefix: of an id (hex, 4 characters or more) or of a file's name or path;
    # one that starts both an id and another article's file name is said so
    ids = (store.ids_with_prefix(ref)
           if len(ref) >= 4 and all(c in "0123456789abcdef" for c in ref) else [])
    paths = store.paths_with_prefix(ref.replace("\\", "/"), limit=4) if ref else []
    if len(paths) > 1:
        shown = ", ".join(paths[:3]) + (", …" if len(paths) > 3 else "")
        raise NotFoundError(f"{ref!r} is the start of several file names: {shown}")
    by_path = _one(paths[0], store.ids_for_path(paths[0])) if paths else None
    if len(ids) > 1:
        raise NotFoundError(f"id prefix {ref!r} is ambiguous: {', '.join(ids)}…")
    if ids and by_path is not None and ids[0] != by_path:
        raise NotFoundError(f"{ref!r} starts the id {ids[0]} and the file name {paths[0]} "
                            "of another article: give more of either")
    if ids or by_path is not None:
        return ids[0] if ids else by_path
    raise NotFoundError(f"no article with id, path or file name {ref!r} in {root}")


def _one(path: str, ids: list[str]) -> str:
    if len(ids) > 1:
        raise NotFoundError(f"{path} holds {len(ids)} articles; give one id, e.g. {ids[0]}")
    return ids[0]


def _relpaths(root: Path, ref: str) -> list[str]:
    """The corpus-relative paths ``ref`` may mean: as given, and resolved
    from here (or absolute) into ``root``."""
    out = [ref.replace("\\", "/").lstrip("./") if ref.startswith("./") else ref]
    p = Path(ref).expanduser()
    for cand in (p, Path.cwd() / p):
        try:
            out.append(cand.resolve().relative_to(root).as_posix())
        except (ValueError, OSError):
            pass
    return out
