"""First paint of the reader on a big corpus, against the floor of importing
Textual, in the same run.

The corpus: N synthetic news-size articles made of real BBC sentences (as in
bench_versions.py), indexed once and kept under bench/out/ (delete it to
rebuild). Each timing is a fresh process, from its start to the moment its
article list holds all N articles and the next frame has been drawn (the app runs
headless, 120×40, exactly as a user starts it: the index is opened, the list
loaded, the background update check started):

- floor: ``python -c "import textual"``;
- variorum: ``VariorumApp`` on the N-article index.

Each app's child also stamps the first frame drawn with all N articles in the
list as the app writes it (its time from the child's start and its CPU): the
READY moment comes after it, after the refresh that follows the child's look
at the list and whatever the app queued to run after that refresh before.

Medians of ``--runs`` runs each. With ``--base TREE`` (a checkout of the code
before, e.g. ``git worktree add /tmp/startup-base 22bc363``) the same app of
that tree is timed too, in turns with the floor and this tree's (so that all
three see the same load); ``--paint-only``: the first paint alone.

Also timed (in one app, medians of ``--runs`` after a warm-up round):
opening a 50,000-word article against opening a 500-word one the same way,
from the key that moves the list cursor onto it

- to the frame that shows its text;
- to the sidebar holding all its entities and quotes (cached by then);
- and the longest stall of the event loop meanwhile (how long a key pressed
  during the opening would wait).

And, on the N-article index with its background update running as it does
for a user: the event loop's stalls when idle (the baseline), while the list
cursor moves with j held down (150 keys at 30 a second: each key's time to
the frame that shows the move), and while a query is typed at a key each
80 ms; the time from the last key to the results on screen, against the
engine's own time for that search in the same run (plus the debounce). Run
twice: with the garbage collector as `variorum PATH` tunes it ("quiet") and
with Python's defaults ("default").

    python bench/bench_first_paint.py [--n 100000] [--runs 5] [--open-only]
        [--responsive-only] [--paint-only] [--base TREE] [--query "government minister"]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

_CHILD = r"""
import time
T0 = time.perf_counter()
import asyncio, os, sys
sys.path.insert(0, sys.argv[1])
from index import Corpus
try:  # as `variorum PATH` does (a tree from before tui.gctune has none)
    from tui import gctune
    gctune.before_imports()
except ImportError:
    pass
corpus = Corpus(sys.argv[2], index_dir=sys.argv[3])
corpus.prefetch_list()  # as `variorum PATH` does, before importing the app
from tui.app import VariorumApp
FRAME = []  # the time and CPU when the first frame with every article was drawn

async def main():
    n = int(sys.argv[4])
    app = VariorumApp(corpus, quiet_gc=True)  # as `variorum PATH` makes it
    display = app._display

    def drawn(screen, renderable):  # (the app's own frame, stamped as it is written)
        display(screen, renderable)
        if not FRAME and len(app.reader.list.items) >= n:
            FRAME.append((time.perf_counter() - T0, time.process_time()))

    app._display = drawn
    async with app.run_test(size=(120, 40)) as pilot:
        while len(app.reader.list.items) < n:
            await asyncio.sleep(0.005)
        painted = asyncio.Event()  # set once the frame with the list filled is drawn
        app.call_after_refresh(painted.set)
        await painted.wait()
        row = app.reader.list.render_line(0).text
        print("READY", time.perf_counter() - T0, len(app.reader.list.items), time.process_time(),
              *FRAME[0], row[:40], flush=True)
        import multiprocessing
        for child in multiprocessing.active_children():  # the background workers
            child.kill()
        os._exit(0)

asyncio.run(main())
"""


def timed(argv: list[str], env: dict, cpu: list[float] | None = None,
          frame: list[tuple[float, float, float]] | None = None) -> float:
    """The wall time from the start of ``argv`` to its READY line (and the CPU
    time it says it had used by then, added to ``cpu``; and, to ``frame``, the
    time and CPU it says it had used when it drew its first frame with every
    article, its own clock's time from its start)."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    for line in p.stdout:
        if line.startswith("READY"):
            wall = time.perf_counter() - t
            fields = line.split()
            if cpu is not None:
                cpu.append(float(fields[3]))
            if frame is not None:  # (and READY by the same clock)
                frame.append((float(fields[4]), float(fields[5]), float(fields[1])))
            p.wait(timeout=30)
            return wall
    p.wait()
    raise RuntimeError(f"{argv[:3]} ended without READY (exit {p.returncode})")


def ensure_index(n: int, seed: int) -> tuple[Path, Path]:
    from bench.bench_versions import synth_articles
    from index import Corpus

    base = PROJECT / "bench" / "out" / f"first-paint-{n}"
    folder, ix = base / "corpus", base / "index"
    c = Corpus(folder, index_dir=ix)
    if folder.is_dir() and c.has_index and c.count() == n:
        c.update(versions=False)  # nothing to do, but an older index gets its listing blob
        c.close()
        return folder, ix
    print(f"building a {n}-article corpus and index under {base} (once)…", file=sys.stderr)
    texts = synth_articles(n, seed)
    for k, t in enumerate(texts):
        d = folder / f"{k // 1000:03}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{k:06}.txt").write_text(t, encoding="utf-8")
    c = Corpus(folder, index_dir=ix)
    c.update(versions=False)
    c.close()
    return folder, ix


_OPEN_CHILD = r"""
import asyncio, json, os, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from index import Corpus
from tui.app import VariorumApp
QUIET_GC = True  # as `variorum PATH` makes it

async def ticker(lags, stop):
    # the event loop's stalls: how long a key pressed meanwhile would wait
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        lags.append(now - last - 0.001)
        last = now

async def main():
    runs = int(sys.argv[4])
    app = VariorumApp(Corpus(sys.argv[2], index_dir=sys.argv[3]), quiet_gc=QUIET_GC)
    out = {f"{t}_{m}": [] for t in ("big", "small") for m in ("text", "sidebar", "lag")}
    async with app.run_test(size=(120, 40)) as pilot:
        while len(app.reader.list.items) < 3:
            await asyncio.sleep(0.01)
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        for k in range(runs + 1):  # the list: 0-start.txt, a.txt (50k words), b.txt (500)
            for target, key in (("big", "j"), ("small", "j"), (None, "g")):
                if target is None:
                    await pilot.press(key)
                    await pilot.pause(0.3)
                    continue
                want = app.reader.list.items[app.reader.list.cursor + 1].id
                lags, stop = [], asyncio.Event()
                tick = asyncio.create_task(ticker(lags, stop))
                await asyncio.sleep(0.01)
                t = time.perf_counter()
                press = asyncio.create_task(pilot.press(key))
                while app.reader.view.article is None or app.reader.view.article.id != want:
                    await asyncio.sleep(0.001)
                painted = asyncio.Event()
                app.call_after_refresh(painted.set)
                await painted.wait()
                text = time.perf_counter() - t
                while (app.reader.sidebar.annotations is None
                       or app.reader.sidebar.annotations.article_id != want):
                    await asyncio.sleep(0.001)
                painted = asyncio.Event()
                app.call_after_refresh(painted.set)
                await painted.wait()
                sidebar = time.perf_counter() - t
                await press
                stop.set()
                await tick
                if k == 0:
                    continue  # a warm-up round: the entities of each are cached by now
                out[f"{target}_text"].append(text)
                out[f"{target}_sidebar"].append(sidebar)
                out[f"{target}_lag"].append(max(lags))
                await pilot.pause(0.3)
    print("RESULT", json.dumps({k: statistics.median(v) for k, v in out.items()}), flush=True)
    import multiprocessing
    for child in multiprocessing.active_children():
        child.kill()
    os._exit(0)

asyncio.run(main())
"""


def open_big_article(words: int, runs: int, env: dict) -> dict:
    from bench.bench_versions import synth_articles
    from index import Corpus

    base = Path(tempfile.mkdtemp(prefix="variorum-open-"))
    folder = base / "corpus"
    folder.mkdir()
    sents = " ".join(synth_articles(200, 3)).split()
    (folder / "0-start.txt").write_text("Start\nA short first article.\n", encoding="utf-8")
    big = "\n".join(" ".join(sents[i:i + 60]) for i in range(0, min(words, len(sents)), 60))
    (folder / "a.txt").write_text("A very long article\n" + big, encoding="utf-8")
    (folder / "b.txt").write_text("A news-size article\n" + " ".join(sents[:500]),
                                  encoding="utf-8")
    c = Corpus(folder, index_dir=base / "ix")
    c.update()
    c.close()
    out = subprocess.run([sys.executable, "-c", _OPEN_CHILD, str(PROJECT), str(folder),
                          str(base / "ix"), str(runs)], capture_output=True, text=True,
                         env=env, timeout=600)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT")), None)
    if line is None:
        raise RuntimeError(out.stderr[-2000:])
    r = json.loads(line.split(" ", 1)[1])
    ms = {k: round(v * 1000, 1) for k, v in r.items()}
    return {"words": len(big.split()),
            "text_50k_words_ms": ms["big_text"], "text_500_words_ms": ms["small_text"],
            "sidebar_50k_words_ms": ms["big_sidebar"], "sidebar_500_words_ms": ms["small_sidebar"],
            "max_stall_50k_words_ms": ms["big_lag"], "max_stall_500_words_ms": ms["small_lag"]}


_RESPONSIVE_CHILD = r"""
import asyncio, json, os, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from index import Corpus
from tui.app import VariorumApp
from tui.screens.reader import LIST_LIMIT, SEARCH_DEBOUNCE
QUIET_GC = sys.argv[6] == "quiet"  # as `variorum PATH` makes it; or Python's defaults

QUERY = sys.argv[5]

async def stalls(seconds=None, stop=None):
    # the event loop's stalls (ms): how long a key pressed at that moment would wait
    out, last = [], time.perf_counter()
    end = last + seconds if seconds else None
    while (stop is None or not stop.is_set()) and (end is None or time.perf_counter() < end):
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        out.append((now - last - 0.001) * 1000)
        last = now
    return out

def send(app, key, char):
    # a key as the terminal driver hands it over (Pilot's press would wait for idle)
    from textual import events
    ev = events.Key(key, char)
    ev.set_sender(app)
    app._driver.send_message(ev)

def summary(xs):
    xs = sorted(xs)
    return {"median": round(statistics.median(xs), 2), "p99": round(xs[int(len(xs) * 0.99)], 2),
            "max": round(xs[-1], 2)}

async def main():
    n = int(sys.argv[4])
    corpus = Corpus(sys.argv[2], index_dir=sys.argv[3])
    t = time.perf_counter()
    # the baseline: the engine alone, the app's search (warm, as the app warms it)
    engine = corpus.search(QUERY, limit=LIST_LIMIT, spans=False)
    engine_ms = []
    for _ in range(5):
        t = time.perf_counter()
        corpus.search(QUERY, limit=LIST_LIMIT, spans=False)
        engine_ms.append((time.perf_counter() - t) * 1000)
    app = VariorumApp(Corpus(sys.argv[2], index_dir=sys.argv[3]), quiet_gc=QUIET_GC)
    in_app = []  # the same search inside the app, with the background update running
    real_search = app.reader.corpus.search
    def timed_search(q, *a, **k):
        t = time.perf_counter()
        try:
            return real_search(q, *a, **k)
        finally:
            if q == QUERY:
                in_app.append((time.perf_counter() - t) * 1000)
    app.reader.corpus.search = timed_search
    out = {}
    async with app.run_test(size=(120, 40)) as pilot:
        while len(app.reader.list.items) < n:
            await asyncio.sleep(0.01)
        await pilot.pause(2.0)  # the background update has started (as for a user)
        out["idle_stall_ms"] = summary(await stalls(2.0))
        # holding j down: key repeat at 30 a second, as a terminal sends it
        stop = asyncio.Event()
        tick = asyncio.create_task(stalls(stop=stop))
        per = []
        start = time.perf_counter()
        for k in range(150):
            want = app.reader.list.cursor + 1
            t = time.perf_counter()
            send(app, "j", "j")
            while app.reader.list.cursor != want:
                await asyncio.sleep(0.0005)
            painted = asyncio.Event()
            app.call_after_refresh(painted.set)
            await painted.wait()
            per.append((time.perf_counter() - t) * 1000)
            await asyncio.sleep(max(0.0, start + (k + 1) / 30 - time.perf_counter()))
        stop.set()
        out["list_key_to_frame_ms"] = summary(per)
        out["list_stall_ms"] = summary(await tick)
        # search as you type: a fast typist (a key each 80 ms), then the results
        await pilot.press("slash")
        await pilot.pause(0.5)
        stop = asyncio.Event()
        tick = asyncio.create_task(stalls(stop=stop))
        for ch in QUERY:
            send(app, "space" if ch == " " else ch, ch)
            t_last = time.perf_counter()
            await asyncio.sleep(0.08)
        while app.reader.search_text != QUERY:
            await asyncio.sleep(0.001)
        painted = asyncio.Event()
        app.call_after_refresh(painted.set)
        await painted.wait()
        shown = (time.perf_counter() - t_last) * 1000
        stop.set()
        out["typing_stall_ms"] = summary(await tick)
        out["last_key_to_results_ms"] = round(shown, 1)
        out["debounce_ms"] = SEARCH_DEBOUNCE * 1000
        out["engine_search_ms"] = round(statistics.median(engine_ms), 1)
        out["in_app_search_ms"] = round(in_app[-1], 1)
        out["results"] = engine.total
    print("RESULT", json.dumps(out), flush=True)
    import multiprocessing
    for child in multiprocessing.active_children():
        child.kill()
    os._exit(0)

asyncio.run(main())
"""


def responsiveness(folder: Path, ix: Path, n: int, env: dict, query: str,
                   gc_mode: str = "quiet") -> dict:
    out = subprocess.run([sys.executable, "-c", _RESPONSIVE_CHILD, str(PROJECT), str(folder),
                          str(ix), str(n), query, gc_mode], capture_output=True, text=True,
                         env=env, timeout=900)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT")), None)
    if line is None:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(line.split(" ", 1)[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--open-only", action="store_true", help="only the opening of an article")
    ap.add_argument("--responsive-only", action="store_true",
                    help="only the list keys and search-as-you-type on the big index")
    ap.add_argument("--paint-only", action="store_true", help="only the first paint")
    ap.add_argument("--base", type=Path, help="a checkout of the code before, timed too")
    ap.add_argument("--query", default="government minister")
    args = ap.parse_args()
    env = dict(os.environ, VARIORUM_DATA_DIR=tempfile.mkdtemp(prefix="variorum-fp-"))
    # as a user runs it: the trees' compiled files written once, then read
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.open_only:
        print(json.dumps(open_big_article(50_000, args.runs, env), indent=1))
        return
    folder, ix = ensure_index(args.n, args.seed)
    if args.responsive_only:
        print(json.dumps({m: responsiveness(folder, ix, args.n, env, args.query, m)
                          for m in ("default", "quiet")}, indent=1))
        return
    trees = {"variorum": PROJECT}
    if args.base:
        trees["before"] = args.base.resolve()
    floor: list[float] = []
    apps: dict[str, list[float]] = {name: [] for name in trees}
    cpus: dict[str, list[float]] = {name: [] for name in ("floor", *trees)}
    frames: dict[str, list[tuple[float, float, float]]] = {name: [] for name in trees}
    floor_code = "import time; import textual; print('READY', 0, 0, time.process_time())"
    load = [os.getloadavg()[0]]
    for tree in trees.values():  # once first: compiled files, the page cache
        timed([sys.executable, "-c", _CHILD, str(tree), str(folder), str(ix), str(args.n)], env)
    for _ in range(args.runs):  # interleaved, so drift hits all alike
        floor.append(timed([sys.executable, "-c", floor_code], env, cpus["floor"]))
        for name, tree in trees.items():
            apps[name].append(timed([sys.executable, "-c", _CHILD, str(tree), str(folder),
                                     str(ix), str(args.n)], env, cpus[name], frames[name]))
    load.append(os.getloadavg()[0])
    app = apps["variorum"]
    paint = {
        "articles": args.n, "runs": args.runs, "load": load,
        "floor_import_textual_s": round(statistics.median(floor), 3),
        "variorum_first_paint_s": round(statistics.median(app), 3),
        "ratio_to_floor": round(statistics.median(app) / statistics.median(floor), 2),
        "all_runs_s": {"floor": [round(x, 3) for x in floor],
                       **{name: [round(x, 3) for x in runs] for name, runs in apps.items()}},
        # the CPU time each process had used by then: a busy machine changes it less
        "cpu_s": {name: round(statistics.median(x), 3) for name, x in cpus.items()},
        "cpu_ratio_to_floor": {name: round(statistics.median(cpus[name])
                                           / statistics.median(cpus["floor"]), 2)
                               for name in trees},
        # The frame itself: the first one drawn with every article in the list,
        # stamped by the app's display as it writes it (its process's own
        # clock, from its start: no process spawn in it, unlike the wall times
        # above). READY comes later: after the refresh that follows the
        # bench's look at the list, and the callbacks queued before its own.
        "frame_s": {name: round(statistics.median(f[0] for f in frames[name]), 3)
                    for name in trees},
        "ready_in_child_s": {name: round(statistics.median(f[2] for f in frames[name]), 3)
                             for name in trees},
        "frame_cpu_s": {name: round(statistics.median(f[1] for f in frames[name]), 3)
                        for name in trees},
        "frame_cpu_ratio_to_floor": {name: round(statistics.median(f[1] for f in frames[name])
                                                 / statistics.median(cpus["floor"]), 2)
                                     for name in trees},
    }
    if args.base:
        paint["before_first_paint_s"] = round(statistics.median(apps["before"]), 3)
        paint["before_ratio_to_floor"] = round(
            statistics.median(apps["before"]) / statistics.median(floor), 2)
    if args.paint_only:
        paint["command"] = " ".join([Path(sys.executable).name, *sys.argv])
        print(json.dumps(paint, indent=1))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(paint, indent=2))
        return
    opening = open_big_article(50_000, args.runs, env)
    responsive = {m: responsiveness(folder, ix, args.n, env, args.query, m)
                  for m in ("default", "quiet")}
    result = {
        "articles": args.n, "runs": args.runs, "open_article": opening,
        "responsiveness": responsive,
        "floor_import_textual_s": round(statistics.median(floor), 3),
        "variorum_first_paint_s": round(statistics.median(app), 3),
        "difference_s": round(statistics.median(app) - statistics.median(floor), 3),
        "target_s": 0.8,
        "all_runs_s": {"floor": [round(x, 3) for x in floor],
                       "variorum": [round(x, 3) for x in app]},
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
