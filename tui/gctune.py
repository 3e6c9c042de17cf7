"""The reader process's garbage collector, in three steps (``variorum PATH``,
and the app made with ``quiet_gc``; a test run keeps Python's defaults).

Python's cyclic GC makes a young collection every 700 allocations and now and
then a full one, which stops every thread, the reader's too. Starting the
reader makes about a million objects (Textual's modules and the app's
widgets): some 140 collections with Python's threshold, a tenth of the time to
the first paint on a busy machine. None of what the imports make is garbage (a
full collection after them frees nothing), and it lives as long as the process.

1. :func:`before_imports`, before Textual is imported: young collections every
   :data:`THRESHOLD` allocations (the reader's setting from then on).
2. :func:`after_imports`, as the app is made: what exists (the modules, their
   classes and functions) is frozen out of every later collection.
3. :func:`settle`, once the first list is on screen: what the start left as
   garbage is collected and the rest frozen too, so that the full collections
   the background update causes scan only what was made since. Its collection
   scans only what was made after step 2 (a full one over every object was a
   stall of 50-200 ms right after the first paint at 100k articles).

Imports nothing but :mod:`gc`: the CLI calls the first step before it imports
the app.
"""

from __future__ import annotations

import gc

THRESHOLD = 10_000  # allocations between young collections (Python's default: 700)


def before_imports() -> None:
    gc.set_threshold(THRESHOLD, 10, 10)


def after_imports() -> None:
    gc.set_threshold(THRESHOLD, 10, 10)
    gc.freeze()


def settle() -> None:
    gc.collect()  # what is garbage now is not frozen with the rest
    gc.freeze()
