"""Entities and quotes for a whole corpus: extraction, caching, search.

Annotations are stored per article text (body hash) and extractor, so an
unchanged article is never extracted twice, a copy shares its original's,
and a change of model or of variorum's post-processing redoes them.

:func:`sync` annotates every article that is not yet, in worker processes
(each loads the model once), writing each finished chunk at once: a run
that is cancelled or killed keeps what it finished, and the next run goes on
from there.
"""

from __future__ import annotations

import json
import time
import zlib
from itertools import islice
from pathlib import Path

from .entities import ENTITY_SCHEME, Extractor, extract, load_extractor, name_keys, norm
from .models import EntitiesReport, Entity, Quote
from .quotes import QUOTE_SCHEME, find_quoted

CHUNK = 8  # articles per worker task: small, so cancelling is quick
PARALLEL_MIN = 24  # articles before worker processes (each loads the model) pay off


def cache_key(extractor: Extractor) -> str:
    return f"{extractor.key}/{ENTITY_SCHEME}/{QUOTE_SCHEME}"


def quote_parser(extractor: Extractor):
    """The dependency parser speakers are read with: with the spaCy
    extractor only (loaded once per process); the rules extractor keeps to
    the regex cues."""
    package = getattr(extractor, "package", None)  # a SpacyExtractor's model package
    if package is not None:
        from .speakers import load_parser

        return load_parser(package)
    return None


def annotate_texts(texts: list[str], extractor: Extractor
                   ) -> list[tuple[list[Entity], list[Quote]]]:
    ents = extract(texts, extractor)
    parser = quote_parser(extractor)
    return [(e, find_quoted(t, e, parser=parser)) for t, e in zip(texts, ents, strict=True)]


def encode(entities: list[Entity], quotes: list[Quote]) -> bytes:
    data = {
        "entities": [[e.name, e.label, [list(m) for m in e.mentions], list(e.aliases)]
                     for e in entities],
        "quotes": [[q.text, q.speaker, q.start, q.end, q.kind] for q in quotes],
    }
    return zlib.compress(json.dumps(data, ensure_ascii=False).encode("utf-8"), 1)


def decode(z: bytes) -> tuple[list[Entity], list[Quote]]:
    data = json.loads(zlib.decompress(z).decode("utf-8"))
    ents = [Entity(n, lab, tuple(tuple(m) for m in ms), tuple(al))
            for n, lab, ms, al in data["entities"]]
    quotes = [Quote(*q) for q in data["quotes"]]
    return ents, quotes


# ------------------------------------------------------------- corpus-wide
_worker_extractor: Extractor | None = None


BACKGROUND_NICE = 10  # corpus-wide extraction yields the CPU to the reader's own process


def _init_worker(kind: str | None, nice: int = 0) -> None:
    global _worker_extractor
    if nice:
        import contextlib
        import os

        with contextlib.suppress(OSError, AttributeError):
            os.nice(nice)
    _worker_extractor = load_extractor(kind)
    quote_parser(_worker_extractor)  # the parse pass's pipeline, loaded once here too


def annotate_one(text: str) -> bytes:
    """One text's annotations, encoded (in a worker process set up by
    :func:`start_worker`)."""
    ents, quotes = annotate_texts([text], _worker_extractor or load_extractor())[0]
    return encode(ents, quotes)


def run_chunks(pool, fn, store_path: str, chunks: list, record, cancel, queued: int) -> bool:
    """``record(fn(store_path, chunk))`` for every chunk, run in ``pool``
    with at most ``queued`` chunks submitted at a time; False if cancelled
    (chunks not started are dropped; the pool itself is left running)."""
    from concurrent.futures import FIRST_COMPLETED, wait

    it = iter(chunks)
    pending = {pool.submit(fn, store_path, c) for c in islice(it, queued)}
    while pending:
        if cancel is not None and cancel():
            for f in pending:
                f.cancel()
            return False
        finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
        for f in finished:
            record(f.result())
            nxt = next(it, None)
            if nxt is not None:
                pending.add(pool.submit(fn, store_path, nxt))
    return True


def wait_for(future, cancel=None, step: float = 0.1):
    """A future's result, giving up (and cancelling it) when ``cancel()``."""
    from concurrent.futures import TimeoutError as FutureTimeout

    while True:
        try:
            return future.result(timeout=step)
        except FutureTimeout:
            if cancel is not None and cancel():
                future.cancel()
                raise Cancelled from None


class Cancelled(Exception):
    """The caller gave up waiting."""


def start_worker(kind: str | None):
    """A one-process pool that loads the model once and annotates texts on
    demand: the caller's process (the reader's) never runs NER itself, so its
    UI thread never competes with it."""
    from .pools import process_pool

    return process_pool(1, _init_worker, (kind,))


def stop_worker(pool) -> None:
    """Stop a :func:`start_worker` pool now, its work in progress too.

    ``shutdown(wait=False)`` alone returns, but the process goes on with the
    text it has (NER of a long article can take minutes) and the interpreter
    waits for it at exit (concurrent.futures joins its pools then): the
    reader's ``q`` would hang. Terminated, the pool's manager sees it broken
    and ends at once; an unfinished extraction is simply done again later.
    """
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
        return
    # before shutdown(), which lets go of them
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        try:
            proc.terminate()
        except Exception:  # already gone
            pass


_worker_stores: dict = {}  # store path -> a read-only Store, one per worker process


def _chunk(store_path: str, hashes: list[str]) -> list[tuple[str, bytes, list]]:
    """Annotate the texts of ``hashes`` (in a worker process; its read-only
    connection to the store is opened once, not once per chunk)."""
    from .store import Store

    store = _worker_stores.get(store_path)
    if store is None:
        store = _worker_stores[store_path] = Store(Path(store_path), readonly=True)
    return _annotate_hashes(store, hashes, _worker_extractor or load_extractor())


def _annotate_hashes(store, hashes: list[str], ex: Extractor) -> list[tuple[str, bytes, list]]:
    texts = [(h, t) for h in hashes if (t := store.body(h)) is not None]
    done = annotate_texts([t for _, t in texts], ex)
    return [(h, encode(e, q), name_keys(e)) for (h, _), (e, q) in zip(texts, done, strict=True)]


def sync(store, store_path: Path, extractor: Extractor, kind: str | None = None, *,
         progress=None, cancel=None, procs: int | None = None,
         first: list[str] | None = None, pool=None) -> EntitiesReport:
    """Annotate every article text not yet annotated by ``extractor``
    (``first``: body hashes to do before the others). The work goes to
    ``pool`` when one is given (a :func:`start_worker` pool: the caller's
    process never runs NER), else to worker processes of its own when there
    is enough of it, else it is done here."""
    import os

    t0 = time.perf_counter()
    key = cache_key(extractor)
    report = EntitiesReport(extractor=extractor.name)
    rows = store.article_hashes_list()
    report.total = len(rows)
    have = store.annotated_hashes(key)
    todo: list[str] = []
    seen = set(have)
    for h in [*(first or []), *(h for _, h in rows)]:
        if h not in seen:
            seen.add(h)
            todo.append(h)
    todo_set = set(todo)
    report.cached = report.total - sum(1 for _, h in rows if h in todo_set)
    if progress:
        progress(report.cached, report.total)
    procs = procs or min(2, os.cpu_count() or 1)
    chunks = [todo[k:k + CHUNK] for k in range(0, len(todo), CHUNK)]
    per_hash = {}
    for _, h in rows:
        per_hash[h] = per_hash.get(h, 0) + 1

    def record(result) -> None:
        store.put_annotations([(h, key, z, names) for h, z, names in result])
        report.done += sum(per_hash.get(h, 0) for h, _, _ in result)
        if progress:
            progress(report.cached + report.done, report.total)

    own = None
    if pool is None and procs > 1 and len(todo) >= PARALLEL_MIN:
        from .pools import process_pool

        pool = own = process_pool(procs, _init_worker, (kind, BACKGROUND_NICE))
    if pool is None:  # here, in this process
        for c in chunks:
            if cancel is not None and cancel():
                report.cancelled = True
                break
            record(_annotate_hashes(store, c, extractor))
    else:
        try:
            report.cancelled = not run_chunks(pool, _chunk, str(store_path), chunks, record,
                                              cancel, queued=max(2, procs * 3))
        finally:
            if own is not None:
                own.shutdown(wait=not report.cancelled, cancel_futures=True)
    report.seconds = time.perf_counter() - t0
    return report


# ----------------------------------------------------------------- search
# Query-language fields that search entities, and the labels each covers.
ENTITY_FIELDS: dict[str, tuple[str, ...] | None] = {
    "person": ("PERSON",),
    "org": ("ORG",),
    "place": ("GPE", "LOC", "FAC"),
    "entity": None,  # any label
}


def matching_hashes(store, key: str, field: str, words: list[str]) -> dict[str, set[str]]:
    """Body hash -> the entity names (folded) that match ``words`` in order
    (``person:liu`` matches "Liu Dongshu"; ``person:"liu dongshu"`` too)."""
    words = [w for w in (norm(w) for w in words) for w in w.split()]
    if not words:
        return {}
    labels = ENTITY_FIELDS[field]
    out: dict[str, set[str]] = {}
    for h, _label, name in store.entity_matches(key, words[0], labels):
        toks = name.split()
        n = len(words)
        if any(toks[i:i + n] == words for i in range(len(toks) - n + 1)):
            out.setdefault(h, set()).add(name)
    return out


def mention_spans(entities: list[Entity], field: str, words: list[str]
                  ) -> list[tuple[int, int]]:
    """Spans of the mentions of the entities an entity clause matches."""
    words = [w for w in (norm(w) for w in words) for w in w.split()]
    labels = ENTITY_FIELDS[field]
    out = []
    n = len(words)
    for e in entities:
        if labels and e.label not in labels:
            continue
        for name in (e.name, *e.aliases):
            toks = norm(name).split()
            if any(toks[i:i + n] == words for i in range(len(toks) - n + 1)):
                out.extend(e.mentions)
                break
    return sorted(set(out))
