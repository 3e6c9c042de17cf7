"""Entities and quotes for a whole corpus: extraction, caching, search.

Annotations are stored per article text (body hash) and extractor, so an
unchanged article is never extracted twice, a copy shares its original's,
and a change of model or of variorum's post-processing redoes them.

:func:`sync` annotates every article that is not yet, in chunks (see
:mod:`index.jobs`: in worker processes, each loading the model once, when
there are enough), writing each finished chunk at once: a run that is
cancelled or killed keeps what it finished, and the next run goes on from
there.
"""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from functools import partial
from pathlib import Path

from ..labels import ENTITY_FIELDS
from ..models import Annotations, EntitiesReport, Entity, Quote
from .entities import ENTITY_SCHEME, Extractor, ExtractorChoice, extract, name_keys, norm
from .quotes import QUOTE_SCHEME, find_quoted

# Articles a chunk holds: small, so that a cancel or a kill loses little,
# and enough to be worth a worker's start (index.jobs has the one rule of
# where chunks run; each worker loads the model once).
CHUNK = 8


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


# ------------------------------------------------------------- one article
def extract_one(choice: ExtractorChoice, text: str, worker=None, cancel=None
                ) -> tuple[list[Entity], list[Quote]]:
    """One text's entities and quotes, extracted in this thread, or in
    ``worker`` (an :class:`index.jobs.Worker`, where the model stays loaded;
    ``cancel()`` stops the wait)."""
    if worker is not None:
        return decode(worker.call(annotate_one, choice, text, cancel=cancel))
    return annotate_texts([text], choice.load())[0]


def stored(store, article_id: str, choice: ExtractorChoice) -> bytes | None:
    """An article's cached entities and quotes as stored (None: not
    extracted yet, or no such article); :func:`as_annotations` reads them."""
    meta = store.meta_by_id(article_id)
    return store.annotation(meta[1], cache_key(choice)) if meta else None


def as_annotations(article_id: str, choice: ExtractorChoice, z: bytes | None
                   ) -> Annotations | None:
    if z is None:
        return None
    e, q = decode(z)
    return Annotations.of(article_id, choice.name, e, q)


def save(store, writable, article_id: str, choice: ExtractorChoice,
         entities: list[Entity], quotes: list[Quote]) -> None:
    """Cache what was extracted for an article (``store``: where its text's
    hash is read; ``writable``: a writable store, or None where the index
    cannot be written). Best effort: a locked or read-only store costs a
    later re-extraction, not this result."""
    meta = store.meta_by_id(article_id)
    if writable is None or not meta:
        return
    try:
        writable.put_annotations([(meta[1], cache_key(choice), encode(entities, quotes),
                                   name_keys(entities))])
    except sqlite3.Error:
        pass


# ------------------------------------------------------------- corpus-wide
BACKGROUND_NICE = 10  # corpus-wide extraction yields the CPU to the caller's own process


def annotate_one(choice: ExtractorChoice, text: str) -> bytes:
    """One text's annotations, encoded (a top-level function of plain data:
    it runs in a worker process, which loads the model once)."""
    ents, quotes = annotate_texts([text], choice.load())[0]
    return encode(ents, quotes)


def _chunk(store_path: str, choice: ExtractorChoice,
           hashes: list[str]) -> list[tuple[str, bytes, list]]:
    """Annotate the texts of ``hashes`` (a top-level function of plain data,
    for :func:`index.jobs.map_chunks`: in a worker process, or here; or
    ``hashes`` shipped with their texts, see :func:`_ship`)."""
    from ..jobs import unship
    from ..store.db import Store

    hashes, shipped = unship(hashes)
    if shipped is not None:
        texts = [(h, shipped[h]) for h in hashes if h in shipped]
    else:
        store = Store(Path(store_path), readonly=True)
        try:
            texts = [(h, t) for h in hashes if (t := store.body(h)) is not None]
        finally:
            store.close()
    done = annotate_texts([t for _, t in texts], choice.load())
    return [(h, encode(e, q), name_keys(e)) for (h, _), (e, q) in zip(texts, done, strict=True)]


def _ship(store_path: str, hashes: list[str]):
    """A chunk of body hashes with their texts (for an executor whose
    workers cannot read the store: index.jobs)."""
    from ..jobs import Shipped
    from ..store.db import Store

    store = Store(Path(store_path), readonly=True)
    try:
        return Shipped(hashes, store.compressed_bodies(hashes))
    finally:
        store.close()


def sync(store, store_path: Path, choice: ExtractorChoice, *, progress=None, cancel=None,
         procs: int | None = None, first: list[str] | None = None,
         executor=None, only: list[str] | None = None) -> EntitiesReport:
    """Annotate every article text not yet annotated by ``choice``'s
    extractor (``first``: body hashes to do before the others; ``only``:
    these body hashes and no others, each counted once), in chunks
    (:func:`index.jobs.map_chunks`; ``executor``: where they run, else where
    the rule says)."""
    from ..errors import Cancelled
    from ..jobs import map_chunks

    t0 = time.perf_counter()
    key = cache_key(choice)
    report = EntitiesReport(extractor=choice.name)
    rows = store.article_hashes_list() if only is None else [(h, h) for h in only]
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
    chunks = [todo[k:k + CHUNK] for k in range(0, len(todo), CHUNK)]
    per_hash = {}
    for _, h in rows:
        per_hash[h] = per_hash.get(h, 0) + 1

    def record(_i: int, result) -> None:
        store.put_annotations([(h, key, z, names) for h, z, names in result])
        report.done += sum(per_hash.get(h, 0) for h, _, _ in result)
        if progress:
            progress(report.cached + report.done, report.total)

    try:
        ship = (partial(_ship, str(store_path)) if getattr(executor, "ships_texts", False)
                else None)
        map_chunks(partial(_chunk, str(store_path), choice), chunks, executor=executor,
                   procs=procs, cancel=cancel, each=record, nice=BACKGROUND_NICE, ship=ship)
    except Cancelled:
        report.cancelled = True
    report.seconds = time.perf_counter() - t0
    return report


# ----------------------------------------------------------------- search
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


def article_ids(store, key: str, field: str, words: list[str]) -> set[str]:
    """The ids of the articles an entity clause (``field``: ``words``) matches."""
    return store.ids_for_hashes(set(matching_hashes(store, key, field, words)))


def clause_spans(store, key: str, hash_: str, eclauses: list[tuple[str, list[str]]]
                 ) -> list[tuple[int, int]]:
    """Spans of the mentions the entity clauses ``eclauses`` match in the
    text of ``hash_`` (none when its annotations are not cached)."""
    z = store.annotation(hash_, key)
    if z is None:
        return []
    ents, _ = decode(z)
    return [s for field, words in eclauses for s in mention_spans(ents, field, words)]


def coverage_note(done: int, total: int) -> str | None:
    """What a search result says when entity search covers only some articles."""
    if done >= total:
        return None
    return (f"entity search covers {done} of {total} articles so far "
            f"(the rest are not extracted yet)")


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
