"""The files of a Whoosh index folder, told by their names alone.

Imports no Whoosh: an unchanged re-index checks that the folder holds only
the generation the store names (its TOC and its segments' files, the segment
ids the store recorded with it) without loading Whoosh, which was a third of
an unchanged re-index of 18k articles (issue 15). Whoosh's own reading of a
generation, and the deletion of what no generation needs, are in
:mod:`index.search.whoosh_internals`, by the same names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

INDEX_NAME = "MAIN"  # Whoosh's default index name: files MAIN_*, _MAIN_<gen>.toc
TEMP_DIR = f"{INDEX_NAME}.tmp"  # a writer's temp storage
TOC_RE = re.compile(rf"^_{INDEX_NAME}_([0-9]+)\.toc$")
TOC_TEMP_RE = re.compile(rf"^_{INDEX_NAME}_[0-9]+\.toc\.")  # TOC.write's temp file
SEGMENT_RE = re.compile(rf"^({INDEX_NAME}_[0-9a-z]+)\.")  # a segment's file: its id, a dot


def toc_name(generation: int) -> str:
    return f"_{INDEX_NAME}_{generation}.toc"


def strays(names: Iterable[str], keep: int, live: set[str]) -> list[str]:
    """The names among ``names`` (of a Whoosh folder) that no generation but
    ``keep``, whose segments' ids are ``live``, needs: other generations'
    TOCs, half-written TOCs, other segments' files, the writers' temp folder."""
    out = []
    for name in names:
        toc, seg = TOC_RE.match(name), SEGMENT_RE.match(name)
        if (toc and int(toc.group(1)) != keep) or TOC_TEMP_RE.match(name) or (
                seg and seg.group(1) not in live) or name == TEMP_DIR:
            out.append(name)
    return out
