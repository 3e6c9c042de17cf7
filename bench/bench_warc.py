"""WARC ingestion: variorum's throughput against the ceiling issue 14 names.

A ``.warc.gz`` of ``--pages`` generated news-like HTML pages (varied titles
and paragraphs; a ``<meta>`` date, a ``<time>`` element and a publisher's
``og:site_name`` on some) is written with warcio's WARCWriter in a temp dir,
as a crawler writes one: a ``request`` record before each response, some
non-HTML responses (images, stylesheets) and a few revisits. Then, in the
same run, alternately, each in a fresh process (``--runs`` times, medians):

``ceiling``
    warcio's bare ``ArchiveIterator`` over the file and the same extraction
    variorum uses (``index.ingest.decode`` then ``index.ingest._from_html``,
    with the capture's URL, date and host), in one process, no index;
``index``
    variorum's "index" phase (``indexer.update`` with the default worker
    processes: both cores here) of a folder holding the file, into a fresh
    index dir;
``pipeline``
    the full default update (index, then version families), as ``variorum
    index DIR`` runs it (``--no-pipeline`` leaves it out);
``iterate``
    warcio's iteration alone, reading every payload (no extraction): what a
    pass over the file costs before any page is parsed.

``index@PATH`` (with ``--compare PATH``)
    the same "index" phase by another checkout of variorum (an older commit,
    e.g. ``git worktree add /tmp/before COMMIT``), alternately with this one.

Records/s counts the HTML pages (the records that become articles). Import
time is not counted (each child times its work only). CPU s is the work's
processor time, its worker processes' included: on a machine that other work
keeps busy, the wall time of a run on several cores says little, this says
what the run cost.

    python bench/bench_warc.py [--pages 5000] [--runs 3] [--no-pipeline] [--procs N]
                               [--compare PATH]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import accumulate
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------ the WARC
_WORDS = (
    "council", "harbour", "budget", "minister", "ferry", "election", "court", "report",
    "police", "river", "school", "hospital", "strike", "union", "energy", "price", "market",
    "bank", "rail", "bridge", "storm", "flood", "farmers", "museum", "festival", "mayor",
    "treaty", "border", "senate", "vote", "tax", "water", "housing", "airport", "port",
    "shipyard", "inquiry", "judge", "witness", "contract", "tender", "grant", "fund",
    "survey", "census", "drought", "vaccine", "clinic", "nurses", "teachers", "pupils",
    "exam", "result", "league", "match", "coach", "stadium"
)
_VERBS = (
    "approved", "rejected", "delayed", "announced", "questioned", "defended", "cut", "raised",
    "opened", "closed", "reviewed", "extended", "cancelled", "confirmed", "denied", "proposed"
)
_SITES = ("Harbour Gazette", "Valley Courier", "Northern Ledger", "Coastal Times",
          "City Herald", "Daily Record Example")


_SYLLABLES = ("ba", "ker", "lo", "mi", "nor", "ta", "vel", "dra", "sen", "qui", "po", "ran",
              "tes", "ul", "fi", "gam", "hor", "zen", "wy", "cla")
# a vocabulary of some thousands of made-up words drawn with a Zipf-like skew: pages share
# common words, as news does, without being versions of each other
_VOCAB = sorted({"".join(random.Random(i).choices(_SYLLABLES, k=1 + i % 3)) + str(i % 7 or "")
                 for i in range(4000)})
_CUM_WEIGHTS = list(accumulate(1 / (r + 200) for r in range(len(_VOCAB))))


def _sentence(rng: random.Random) -> str:
    words = rng.choices(_VOCAB, cum_weights=_CUM_WEIGHTS, k=rng.randint(6, 18))
    words[rng.randrange(len(words))] += f" {rng.choice(_WORDS)} {rng.choice(_VERBS)}"
    return " ".join(words).capitalize() + rng.choice((".", ".", ".", ", officials said."))


def page(rng: random.Random, k: int) -> tuple[str, bytes]:
    """A news-like page: its URL and HTML."""
    words = rng.sample(_WORDS, 4)
    title = f"{words[0].title()} {rng.choice(_VERBS)} as {words[1]} {words[2]} row grows ({k})"
    day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    head = f"<title>{title} | News</title>"
    if k % 3 == 0:
        head += f'<meta property="article:published_time" content="{day}T08:00:00+00:00">'
    if k % 4 == 0:
        head += f'<meta property="og:site_name" content="{rng.choice(_SITES)}">'
    timeline = f'<time datetime="{day}">{day}</time>' if k % 5 == 0 else ""
    paras = "".join(
        "<p>" + " ".join(_sentence(rng) for _ in range(rng.randint(2, 5))) + "</p>"
        for _ in range(rng.randint(4, 12)))
    html = (f"<!doctype html><html><head><meta charset='utf-8'>{head}</head><body>"
            f"<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
            f"<article><h1>{title}</h1>{timeline}{paras}</article>"
            f"<footer>Copyright the publisher</footer></body></html>")
    host = f"www.{words[3]}-news.example"
    return f"https://{host}/{day.replace('-', '/')}/story-{k}", html.encode()


def write_warc(path: Path, pages: int, seed: int = 14) -> dict:
    """The crawl's WARC: what it holds, by kind."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    rng = random.Random(seed)
    counts = {"html": 0, "not HTML": 0, "revisits": 0, "requests": 0}
    with open(path, "wb") as f:
        w = WARCWriter(f, gzip=True)

        def response(uri: str, ctype: str, payload: bytes):
            w.write_record(w.create_warc_record(uri, "request", payload=io.BytesIO(
                f"GET {uri} HTTP/1.1\r\nHost: x\r\n\r\n".encode())))
            counts["requests"] += 1
            http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            rec = w.create_warc_record(uri, "response", payload=io.BytesIO(payload),
                                       http_headers=http, warc_headers_dict={
                                           "WARC-Date": "2024-06-21T09:00:00Z"})
            w.write_record(rec)
            return rec

        for k in range(pages):
            uri, html = page(rng, k)
            rec = response(uri, "text/html; charset=utf-8", html)
            counts["html"] += 1
            if k % 10 == 0:  # the page's images and stylesheet
                response(uri.rsplit("/", 1)[0] + f"/img{k}.jpg", "image/jpeg",
                         rng.randbytes(rng.randint(2000, 20000)))
                response(uri.rsplit("/", 1)[0] + "/site.css", "text/css",
                         b"body { margin: 0 }" * 50)
                counts["not HTML"] += 2
            if k % 100 == 50:  # captured again, unchanged
                digest = rec.rec_headers.get_header("WARC-Payload-Digest")
                http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                        protocol="HTTP/1.1")
                w.write_record(w.create_revisit_record(
                    uri, digest, uri, "2024-06-21T09:00:00Z", http_headers=http))
                counts["revisits"] += 1
    counts["bytes"] = path.stat().st_size
    return counts


# ---------------------------------------------------------------- the children
def _cpu() -> float:
    import resource

    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def child(mode: str, warc: str, ix: str, procs: int | None, project: str) -> dict:
    """One measurement, in this (fresh) process: ``{"seconds", "cpu", "pages"}``."""
    out = _child(mode, warc, ix, procs, project)  # its "cpu": the processor time at its start
    out["cpu"] = _cpu() - out["cpu"]
    return out


def _child(mode: str, warc: str, ix: str, procs: int | None, project: str) -> dict:
    sys.path.insert(0, project)
    from warcio.archiveiterator import ArchiveIterator

    from index.ingest import _from_html, decode

    if mode in ("ceiling", "iterate"):
        cpu, t0 = _cpu(), time.perf_counter()
        n = 0
        with open(warc, "rb") as f:
            for rec in ArchiveIterator(f, check_digests=True):
                if rec.rec_type != "response":
                    continue
                ctype = rec.http_headers.get_header("Content-Type") or ""
                data = rec.content_stream().read()
                if "html" not in ctype:
                    continue
                if mode == "iterate":
                    n += 1
                    continue
                uri = rec.rec_headers.get_header("WARC-Target-URI")
                text, _why = decode(data)
                host = uri.split("://", 1)[-1].split("/", 1)[0]
                art = _from_html("crawl.warc.gz", text, uri, {
                    "url": uri, "host": host.removeprefix("www."),
                    "date": rec.rec_headers.get_header("WARC-Date")})
                n += art is not None
        return {"seconds": time.perf_counter() - t0, "cpu": cpu, "pages": n}
    from index import Corpus
    from index.search import indexer

    root = Path(warc).parent
    cpu, t0 = _cpu(), time.perf_counter()
    if mode == "index":
        report = indexer.update(root, Path(ix), procs=procs)
    else:  # the default pipeline, as `variorum index DIR` runs it
        report = Corpus(root, index_dir=Path(ix)).update(procs=procs)
    # (the workers have ended: their time is in RUSAGE_CHILDREN)
    return {"seconds": time.perf_counter() - t0, "cpu": cpu, "pages": report.articles_total}


def run_child(mode: str, warc: Path, procs: int | None) -> dict:
    mode, _, project = mode.partition("@")
    with tempfile.TemporaryDirectory(prefix="variorum-bench-warc-ix-") as ix:
        cmd = [sys.executable, __file__, "--child", mode, str(warc), ix,
               "--project", project or str(PROJECT)]
        if procs:
            cmd += ["--procs", str(procs)]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=1200, check=True)
        return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--procs", type=int, default=None, help="variorum's workers (default: its own)")
    ap.add_argument("--no-pipeline", action="store_true")
    ap.add_argument("--compare", metavar="PATH", help="another checkout's index phase too")
    ap.add_argument("--project", default=str(PROJECT), help=argparse.SUPPRESS)
    ap.add_argument("--child", nargs=3, metavar=("MODE", "WARC", "IX"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, args.procs, args.project)))
        return

    sys.path.insert(0, str(PROJECT))
    from index.jobs import default_workers

    modes = ["iterate", "ceiling", "index"] + ([f"index@{args.compare}"] if args.compare else [])
    modes += [] if args.no_pipeline else ["pipeline"]
    with tempfile.TemporaryDirectory(prefix="variorum-bench-warc-") as tmp:
        corpus = Path(tmp, "corpus")
        corpus.mkdir()
        warc = corpus / "crawl.warc.gz"
        t0 = time.perf_counter()
        counts = write_warc(warc, args.pages)
        print(f"wrote {warc.name}: {counts['bytes'] / 1e6:.1f} MB, {counts['html']} HTML pages, "
              f"{counts['not HTML']} non-HTML responses, {counts['revisits']} revisits, "
              f"{counts['requests']} requests ({time.perf_counter() - t0:.1f} s)")
        load_before = os.getloadavg()
        got: dict[str, list[float]] = {m: [] for m in modes}
        cpu: dict[str, list[float]] = {m: [] for m in modes}
        for k in range(args.runs):
            for mode in modes:  # alternately: the same load for each
                r = run_child(mode, warc, args.procs)
                if r["pages"] != counts["html"]:
                    raise SystemExit(f"{mode}: {r['pages']} pages, expected {counts['html']}")
                got[mode].append(r["seconds"])
                cpu[mode].append(r["cpu"])
                print(f"run {k + 1} {mode}: {r['seconds']:6.2f} s, CPU {r['cpu']:6.2f} s "
                      f"({r['pages'] / r['seconds']:,.0f} records/s)", flush=True)
        load_after = os.getloadavg()
    med = {m: statistics.median(v) for m, v in got.items()}
    rate = {m: counts["html"] / s for m, s in med.items()}
    label = {"iterate": "warcio iteration alone (no extraction), 1 process",
             "ceiling": "ceiling: warcio + the same HTML extraction, 1 process",
             "index": f"variorum index phase (workers: {args.procs or default_workers()})",
             "pipeline": "variorum default pipeline (index + versions)",
             f"index@{args.compare}": f"the same, by {args.compare}"}
    print()
    w = max(len(label[m]) for m in modes)
    print(f"| {'what':<{w}} | median s | records/s | vs ceiling | CPU s |")
    print(f"| {'-' * w} | -------: | --------: | ---------: | ----: |")
    for m in modes:
        print(f"| {label[m]:<{w}} | {med[m]:8.2f} | {rate[m]:9,.0f} | "
              f"{rate[m] / rate['ceiling']:9.2f}× | {statistics.median(cpu[m]):5.1f} |")
    print(f"\n{counts['html']} HTML pages, median of {args.runs} runs; {os.cpu_count()} cores; "
          f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")


if __name__ == "__main__":
    main()
