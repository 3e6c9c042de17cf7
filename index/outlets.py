"""Who republishes whom: the version families read as steps between sources.

Each later version of a family came from its closest earlier version
(:attr:`Family.parents`, the pair of highest similarity with a member
published before it). A *step* is that (earlier, later) pair; its sources
(the article's source, else its folder: :func:`index.models.list_entry`'s
rule, the list's outlet column) make it a republication of the earlier
source's article at the later source, of the step's kind (copy, near-copy,
rewrite), after its delay.

A step is only counted when both articles are dated: without a date, which
one came first is not known, and the table says how many it left out. Steps
within one source (a site's own updates) are pairs like the others.

For rewrites, the table gives the share whose spin report changed an entity
or a quote. That needs both texts' entities and quotes and a diff; the
pipeline's ``"spin"`` phase (:func:`sync`) does them incrementally: it
extracts the annotations the rewrites lack through the one extraction
(:func:`index.nlp.annotate.sync`, only those texts), diffs each rewrite not
yet done, and stores its counts in the store's ``spin`` table, keyed by the
two texts' hashes and the extractor. :func:`table` only reads.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path

from .comparisons import Family, OutletPair, OutletsReport, Step
from .labels import PAIR_KINDS, delay_label
from .models import ArticleMeta, SpinReport, list_entry

# A diff is tens of milliseconds: a chunk of them is worth a worker's start.
CHUNK = 16
NO_SOURCE = "(no source)"  # the outlet of an article at the corpus's top, without a source


# The table's columns as the CLI and the reader show them (headings, and the
# short forms a narrow screen uses), and each pair's cells: one wording.
COLUMNS = ("from", "to", "versions", *PAIR_KINDS, "median delay", "changed entity/quote")
SHORT_COLUMNS = ("from", "to", "vers", "copy", "near", "rewr", "delay", "changed")


def cells(p: OutletPair) -> list[str]:
    """A pair's cells, as text (the sources as given: the caller makes them
    safe for where they go); "changed" reads "2/3 67%", "-" with none checked."""
    share = p.changed_share
    return [p.origin, p.republisher, str(p.total), *(str(n) for _, n in p.counts),
            delay_label(p.median_delay_s),
            "-" if share is None else f"{p.changed}/{p.checked} {share:.0%}"]


def outlet(m: ArticleMeta) -> str:
    """An article's outlet: its source, else its folder (the list's rule)."""
    return list_entry(m.id, m.path, "", None, m.source).source or NO_SOURCE


def steps(fams: Iterable[Family]) -> tuple[list[Step], int, int]:
    """Every dated step of ``fams``; how many later versions were left out
    because a date is missing; and how many because they are dated the same
    instant as their earlier version (two day-only dates of one day, often):
    which came first is not known either, and the family's order between
    them (by path) says nothing of who republished whom."""
    out: list[Step] = []
    undated = same_time = 0
    for f in fams:
        meta = {m.id: (m, d) for m, d, _ in f.timeline()}
        for (m, d, kind), parent in zip(f.timeline(), f.parents, strict=True):
            if parent is None or kind is None:
                continue
            pm, pd = meta[parent]
            if d is None or pd is None:
                undated += 1
            elif d == pd:
                same_time += 1
            else:
                out.append(Step(pm, m, kind, d - pd))
    return out, undated, same_time


def rewrites(all_steps: Iterable[Step], hashes: dict[str, str]) -> list[tuple[str, str]]:
    """The (earlier, later) body hashes of each rewrite, once each."""
    seen: dict[tuple[str, str], None] = {}
    for s in all_steps:
        if s.kind == "rewrite" and s.earlier.id in hashes and s.later.id in hashes:
            seen[hashes[s.earlier.id], hashes[s.later.id]] = None
    return list(seen)


def table(fams: Sequence[Family], hashes: dict[str, str],
          spin: dict[tuple[str, str], tuple[int, int]]) -> OutletsReport:
    """The outlets table of ``fams`` (``hashes``: article id -> body hash;
    ``spin``: the stored counts, see :func:`sync`)."""
    all_steps, undated, same_time = steps(fams)
    by_pair: dict[tuple[str, str], list[Step]] = {}
    for s in all_steps:
        by_pair.setdefault((outlet(s.earlier), outlet(s.later)), []).append(s)
    pairs, unchecked = [], 0
    for (origin, rep), ss in by_pair.items():
        counts = tuple((k, sum(1 for s in ss if s.kind == k)) for k in PAIR_KINDS)
        checked = changed = 0
        for s in ss:
            if s.kind != "rewrite":
                continue
            got = spin.get((hashes.get(s.earlier.id, ""), hashes.get(s.later.id, "")))
            if got is None:
                unchecked += 1
                continue
            checked += 1
            changed += any(got)
        ss.sort(key=lambda s: (s.later.date or "", s.later.path), reverse=True)
        pairs.append(OutletPair(origin, rep, counts,
                                statistics.median(s.delay_s for s in ss),  # type: ignore[misc]
                                checked, changed, tuple(ss)))
    pairs.sort(key=lambda p: (-p.total, p.origin.casefold(), p.republisher.casefold()))
    return OutletsReport(tuple(pairs), len(all_steps), undated, unchecked, same_time)


# ------------------------------------------------------------- the phase
def sync(store, store_path: Path, choice, *, progress: Callable[[str, int, int], None]
         | None = None, cancel=None, procs: int | None = None, executor=None) -> SpinReport:
    """Store the spin counts of every dated rewrite not done yet (see the
    module's docstring); ``progress(phase, done, total)`` with phases
    ``"entities"`` (the texts the rewrites need) then ``"spin"``."""
    from . import versions
    from .errors import Cancelled
    from .jobs import map_chunks
    from .nlp import annotate

    t0 = time.perf_counter()
    key = annotate.cache_key(choice)
    # a run that ended at this generation of the store with this extractor
    # left nothing to do: asking again costs one read, not the families
    # (the generation read before the pairs: a versions run another process
    # commits meanwhile leaves a stamp of before it, so the next run looks)
    generation = store.generation()
    stamp, _, known = (store.get_meta("spin_done") or "").rpartition("/")
    if stamp == f"{generation}/{key}" and known.isdigit():
        n = int(known)
        return SpinReport(rewrites=n, cached=n, seconds=time.perf_counter() - t0)
    fams = versions.assemble(store.version_pairs(), store.paired_articles())
    all_steps, _, _ = steps(fams)
    ids = {m.id for s in all_steps if s.kind == "rewrite" for m in (s.earlier, s.later)}
    hashes = store.hash_by_id(ids)
    todo_all = rewrites(all_steps, hashes)
    have = store.spin_counts(key)
    todo = [p for p in todo_all if p not in have]
    report = SpinReport(rewrites=len(todo_all), cached=len(todo_all) - len(todo))
    if todo:
        need = list(dict.fromkeys(h for p in todo for h in p))
        ents = annotate.sync(store, store_path, choice, cancel=cancel, procs=procs,
                             executor=executor, only=need, progress=None if progress is None
                             else (lambda d, t: progress("entities", d, t)))
        if ents.cancelled:
            report.cancelled = True
            report.seconds = time.perf_counter() - t0
            return report
    if progress:
        progress("spin", 0, len(todo))

    def record(_i: int, rows) -> None:
        store.put_spin(key, rows)
        report.done += len(rows)
        if progress:
            progress("spin", report.done, len(todo))

    chunks = [todo[k:k + CHUNK] for k in range(0, len(todo), CHUNK)]
    try:
        # the diffs run here or in local workers (they read the store): on a
        # cluster, the extraction above is the work worth sending
        map_chunks(partial(_spin_chunk, str(store_path), key), chunks, procs=procs, cancel=cancel,
                   each=record, nice=annotate.BACKGROUND_NICE)
    except Cancelled:
        report.cancelled = True
    if not report.cancelled and report.cached + report.done == report.rewrites:
        store.set_meta("spin_done", f"{generation}/{key}/{report.rewrites}")
    report.seconds = time.perf_counter() - t0
    return report


def _spin_chunk(store_path: str, key: str,
                pairs: list[tuple[str, str]]) -> list[tuple[str, str, int, int]]:
    """The entity and quote changes of each rewrite (a pair of body hashes),
    diffed with both texts' stored annotations (a pair lacking one is left
    out: its extraction failed or was cut short, and a later run retries)."""
    from .diff import diff_texts
    from .nlp.annotate import decode
    from .store.db import Store

    store = Store(Path(store_path), readonly=True)
    out = []
    try:
        for ha, hb in pairs:
            ta, tb = store.body(ha), store.body(hb)
            za, zb = store.annotation(ha, key), store.annotation(hb, key)
            if ta is None or tb is None or za is None or zb is None:
                continue
            (ea, qa), (eb, qb) = decode(za), decode(zb)
            r = diff_texts(ta, tb, ents_a=ea, ents_b=eb, quotes_a=qa, quotes_b=qb)
            out.append((ha, hb, len(r.entity_changes), len(r.quote_changes)))
    finally:
        store.close()
    return out
