"""The article view's wrapping of a 16 MiB article: the work the UI thread
does when the article opens or the terminal is resized, before and after
issue 11 (no Pilot: the wrapping functions themselves, in one process).

- before: the whole text wrapped on the UI thread, word by word (the
  algorithm as it was, kept below), at every open and every resize;
- after: the UI thread wraps the first ``WRAP_INLINE`` characters
  (``wrap_prefix``), a worker the whole text (``wrap_offsets``), and a width
  wrapped before costs nothing.

Best of ``--runs``; texts: ASCII words, then with curly quotes, accented
letters and CJK (wide) characters mixed in.

    python bench/bench_wrap.py [--mib 16] [--width 80] [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

from rich.cells import cell_len

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tui.widgets.article_view import WRAP_INLINE, wrap_offsets, wrap_prefix

_WORD = re.compile(r"\S+\s*")


def old_wrap(text: str, width: int) -> list[tuple[int, int]]:
    """The wrapping the UI thread did before, on the whole text."""
    width = max(width, 8)
    lines: list[tuple[int, int]] = []
    pos = 0
    for para in text.split("\n"):
        pstart, pend = pos, pos + len(para)
        pos = pend + 1
        if not para:
            lines.append((pstart, pstart))
            continue
        ascii_ = para.isascii()
        line_start, line_w = pstart, 0
        for m in _WORD.finditer(para):
            word = m.group()
            ws = pstart + m.start()
            w = len(word.rstrip()) if ascii_ else cell_len(word.rstrip())
            if line_w and line_w + w > width:
                lines.append((line_start, ws))
                line_start, line_w = ws, 0
            while w > width:
                cut = ws + width
                lines.append((line_start, cut))
                line_start, ws, w = cut, cut, w - width
            line_w += len(word) if ascii_ else cell_len(word)
        lines.append((line_start, pend))
    return lines


def best(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=16)
    ap.add_argument("--width", type=int, default=80)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    rng = random.Random(1)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota"]
    paras, n = [], 0
    while n < a.mib << 20:
        p = " ".join(rng.choice(words) for _ in range(rng.randint(20, 200)))
        paras.append(p)
        n += len(p) + 1
    text = "\n".join(paras)[:a.mib << 20]
    for label, t in (("ascii", text), ("curly quotes", text.replace("alpha", "“alpha”")),
                     ("accented", text.replace("alpha", "álpha")),
                     ("CJK mixed", text.replace("alpha", "中文"))):
        before = best(lambda t=t: old_wrap(t, a.width), 1)
        ui = best(lambda t=t: wrap_prefix(t, a.width, WRAP_INLINE), a.runs)
        worker = best(lambda t=t: wrap_offsets(t, a.width), 1)
        print(f"{label:13} before: UI thread {before * 1000:6.0f} ms per open and per resize"
              f" | after: UI thread {ui * 1000:5.1f} ms, worker {worker * 1000:6.0f} ms,"
              f" a width seen before 0 ms")


if __name__ == "__main__":
    main()
