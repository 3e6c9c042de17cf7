"""Hostile files against the real ``variorum index``: crashes, hangs, lost files, memory.

Generates a fixed-seed corpus of hostile files in a temp folder: names that
are not UTF-8 (files and folders), control characters and 255-byte names,
JSONL lines with lone surrogates, 100k-deep nesting, 5,000-digit integers,
wrong types and a one-line file of --big-line-mb, YAML alias bombs, titles of
megabytes, HTML with deeply nested JSON-LD, divs and unclosed title tags,
UTF-16/UTF-32 with and without BOM, UTF-8 with a bad byte, binary, empty and
oversized files, FIFOs, a socket, symbolic links out of the corpus, link
loops, 120-level deep folders; and among them good files, each with a marker
word of its own.

Then runs the CLI exactly as a user would, in a subprocess with its own
process group (``python -m tui.cli index DIR --index-dir IX``): first on half
of the files, then again after the other half is added (an existing index),
then once more with nothing changed. For each run it records the exit status,
a traceback on stderr, a timeout (a hang; the group is killed), the seconds
and the peak resident memory of the whole process tree (the sum over the CLI
and its workers, sampled from /proc every 20 ms). Finally every good marker is
searched for through the engine's API: a marker not found is a good file lost.

Run from the project root::

    .venv/bin/python bench/bench_hostile.py                 # as reported
    .venv/bin/python bench/bench_hostile.py --n 200 --big-line-mb 20   # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORDS = ["harbour", "ferry", "council", "river", "market", "winter", "school", "report",
         "minister", "village", "bridge", "station", "weather", "festival", "budget", "café",
         "naïve", "résumé", "façade"]


class Corpus:
    """The generated files, and the markers that must be found."""

    def __init__(self, root: Path, outside: Path, rng: random.Random):
        self.root, self.outside, self.rng = root, outside, rng
        self.markers: list[str] = []
        self.where: dict[str, bytes] = {}  # marker -> the file it was written into
        self.tried = 0
        self._n = 0

    def mark(self) -> str:
        self._n += 1
        n, letters = self._n, ""
        while n:
            n, r = divmod(n, 20)
            letters += "bcdfghjklmnprstvwyzq"[r]
        m = f"qzv{letters}x"
        self.markers.append(m)
        return m

    def words(self, n: int = 40) -> str:
        # mostly made-up words: texts this alike would all be one version family
        r = self.rng
        return " ".join(r.choice(WORDS) if r.random() < 0.2
                        else "".join(r.choices("abcdefghiklmnoprstuvw", k=r.randint(3, 9)))
                        for _ in range(n))

    def put(self, name: bytes, data: bytes) -> None:
        path = os.path.join(os.fsencode(self.root), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        self.tried += 1
        for m in self.markers:
            self.where.setdefault(m, name)

    def text(self, mark: str) -> str:
        return f"{self.words(6)}\n\n{self.words()}\n{mark}\n{self.words()}\n"


def good(c: Corpus, i: int) -> None:
    kind = c.rng.choice(["txt", "md", "html", "jsonl", "utf16", "utf16le", "utf32", "cp1252",
                         "badbyte", "badname", "ctrlname", "longname", "deepdir", "linkin"])
    m = c.mark()
    name = f"good/{i:04d}".encode()
    if kind == "txt":
        c.put(name + b".txt", c.text(m).encode())
    elif kind == "md":
        c.put(name + b".md", ("---\ntitle: " + c.words(5) + "\ndate: 2024-03-05\n---\n"
                              + c.text(m)).encode())
    elif kind == "html":
        c.put(name + b".html", (f"<html><head><title>{c.words(5)}</title></head><body>"
                                f"<article><p>{c.words()} {m} {c.words()}</p></article>"
                                "</body></html>").encode())
    elif kind == "jsonl":
        lines = [json.dumps({"text": f"{c.words()} {m}", "title": c.words(4), "id": i})]
        for _ in range(c.rng.randint(0, 3)):
            lines.append(json.dumps({"text": f"{c.words()} {c.mark()}"}))
        c.put(name + b".jsonl", "\n".join(lines).encode() + b"\n")
    elif kind in ("utf16", "utf16le", "utf32"):
        enc = {"utf16": "utf-16", "utf16le": "utf-16-le", "utf32": "utf-32"}[kind]
        c.put(name + b".txt", c.text(m).encode(enc))
    elif kind == "cp1252":
        c.put(name + b".txt", (c.text(m) + "“crème” – €2\n").encode("cp1252"))
    elif kind == "badbyte":
        c.put(name + b".txt", c.text(m).encode() + b"\xff and \xe2\x80\x9dmore\xe2\x80\x9d\n")
    elif kind == "ctrlname":
        c.put(name + b" \x1b[31m\x07\n\x1f\x1e\xe2\x80\xae.txt", c.text(m).encode())
    elif kind == "longname":
        c.put(b"good/" + f"{i:04d}".encode() + b"n" * (255 - 8) + b".txt", c.text(m).encode())
    elif kind == "deepdir":
        c.put(b"deep/" + b"d/" * 120 + f"{i}.txt".encode(), c.text(m).encode())
    elif kind == "linkin":
        c.put(name + b"-target.txt", c.text(m).encode())
        os.symlink(f"{i:04d}-target.txt", os.path.join(os.fsencode(c.root), name + b"-link.txt"))
        c.tried += 1
    else:  # badname: a good text under a name that is not UTF-8 (skipped, not lost)
        c.markers.pop()
        c.put(name + b"\xff\xfe.txt", c.text("notamarker").encode())


def bomb(width: int, depth: int) -> bytes:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for k in range(1, depth):
        lines.append(f"a{k}: &a{k} [" + ",".join([f"*a{k - 1}"] * width) + "]")
    return ("---\n" + "\n".join(lines) + f"\ntitle: *a{depth - 1}\n---\nBody.\n").encode()


def hostile(c: Corpus, i: int) -> None:
    r = c.rng
    name = f"bad/{i:04d}".encode()
    kind = r.choice(["surrogate", "deepjson", "bigint", "wrongtypes", "bomb", "longtitle",
                     "deepjsonld", "deepdivs", "titles", "binary", "empty", "nul", "fifo",
                     "linkout", "linkloop", "dirloop", "badfolder", "malformed", "garbage"])
    if kind == "surrogate":
        c.put(name + b".jsonl", b'{"text": "lone \\ud800 surrogate", "title": "\\udfff"}\n'
              b'{"text": "fine", "author": ["\\ud83d"]}\n')
    elif kind == "deepjson":
        n = r.choice([1000, 100_000])
        c.put(name + b".jsonl", b'{"text": "x", "a": ' + b"[" * n + b"]" * n + b"}\n")
    elif kind == "bigint":
        c.put(name + b".jsonl", b'{"text": "x", "n": ' + b"9" * r.randint(4301, 50_000) + b"}\n")
    elif kind == "wrongtypes":
        c.put(name + b".jsonl", b'{"text": 5}\n[1]\n"s"\n{"text": {"a": 1}}\n{"text": null}\n'
              b'{"text": "ok", "title": {"x": [1, 2]}, "date": 1e400, "url": [null]}\n')
    elif kind == "bomb":
        c.put(name + b".md", bomb(9, r.randint(4, 9)))
    elif kind == "longtitle":
        ext = r.choice([b".md", b".jsonl", b".html"])
        t = "T" * r.randint(10_000, 2_000_000)
        data = {b".md": f"---\ntitle: {t[:60_000]}\n---\nBody.\n",
                b".jsonl": json.dumps({"text": "Body.", "title": t}) + "\n",
                b".html": f"<title>{t}</title><p>Body of the page.</p>"}[ext]
        c.put(name + ext, data.encode())
    elif kind == "deepjsonld":
        n = r.choice([2000, 100_000])
        c.put(name + b".html", b'<html><head><script type="application/ld+json">'
              + b'{"@graph":' * n + b"1" + b"}" * n
              + b"</script></head><body><p>Body of the page, at last.</p></body></html>")
    elif kind == "deepdivs":
        n = r.choice([1000, 100_000])
        c.put(name + b".html", b"<html><body>" + b"<div>" * n + b"text" + b"</div>" * n
              + b"</body></html>")
    elif kind == "titles":
        c.put(name + b".html", b"<title " * 50_000 + b"<p>Body.</p>")
    elif kind == "binary":
        c.put(name + r.choice([b".txt", b".md", b".html", b".jsonl"]),
              r.randbytes(r.randint(1, 200_000)))
    elif kind == "empty":
        c.put(name + r.choice([b".txt", b".md", b".html", b".jsonl"]), b"")
    elif kind == "nul":
        c.put(name + b".txt", b"\x00" * 4096)
    elif kind == "fifo":
        os.makedirs(os.path.join(os.fsencode(c.root), b"bad"), exist_ok=True)
        os.mkfifo(os.path.join(os.fsencode(c.root), name + b".txt"))
        c.tried += 1
    elif kind == "linkout":
        os.makedirs(os.path.join(os.fsencode(c.root), b"bad"), exist_ok=True)
        os.symlink(c.outside, os.path.join(os.fsencode(c.root), name + b".txt"))
        c.tried += 1
    elif kind == "linkloop":
        os.makedirs(os.path.join(os.fsencode(c.root), b"bad"), exist_ok=True)
        p = os.path.join(os.fsencode(c.root), name + b".txt")
        os.symlink(p, p)
        c.tried += 1
    elif kind == "dirloop":
        os.makedirs(os.path.join(os.fsencode(c.root), b"bad"), exist_ok=True)
        os.symlink("..", os.path.join(os.fsencode(c.root), name + b"-up"))
        c.tried += 1
    elif kind == "badfolder":
        c.put(name + b"\xff/inner.txt", b"Inner\n\nBody.\n")
    elif kind == "malformed":
        c.put(name + b".md", b"---\ntitle: [unclosed\n---\nBody.\n")
    else:
        c.put(name + b".txt", r.randbytes(64) + "text é".encode("utf-16-le") * 100)


def specials(c: Corpus, big_line_mb: int) -> None:
    """The few large or odd ones, once each."""
    c.put(b"big/too-large.txt", b"word " * (17 * 1024 * 1024 // 5))  # over 16 MiB
    with open(os.path.join(os.fsencode(c.root), b"big/one-line.jsonl"), "wb") as f:
        f.write(b'{"text": "')
        chunk = b"word " * 200_000
        for _ in range(big_line_mb * 1024 * 1024 // len(chunk)):
            f.write(chunk)
        f.write(b'"}\n{"text": "the line after the huge one ' + c.mark().encode() + b'"}\n')
    c.tried += 1
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(os.path.join(c.root, "big", "sock.txt"))
        c.tried += 1
    finally:
        s.close()


def tree_rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants (KiB), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def run_cli(args: list[str], timeout: float) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "tui.cli", *args], cwd=ROOT, env=env,
                                stdout=out, stderr=err, start_new_session=True)
        peak, hung = 0, False
        while proc.poll() is None:
            peak = max(peak, tree_rss_kib(proc.pid))
            if time.perf_counter() - t0 > timeout:
                hung = True
                os.killpg(proc.pid, signal.SIGKILL)  # the group this run started
                proc.wait()
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - t0
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        out.seek(0)
        stdout = out.read().decode("utf-8", "replace")
    return {"rc": proc.returncode, "hung": hung, "seconds": seconds, "peak_mib": peak / 1024,
            "traceback": "Traceback" in stderr, "stderr": stderr[-2000:], "stdout": stdout}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000,
                    help="files generated (about half hostile; 500 a run: the workers run)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--big-line-mb", type=int, default=200, help="the one-line .jsonl's size")
    ap.add_argument("--timeout", type=float, default=600, help="seconds before a run is a hang")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder")
    a = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="variorum-hostile-"))
    try:
        outside = tmp / "outside-secret.txt"
        outside.write_text("Secret\n\nqzvsecretx must never be indexed.\n")
        root = tmp / "corpus"
        root.mkdir()
        rng = random.Random(a.seed)
        c = Corpus(root, outside, rng)
        makers = [good if rng.random() < 0.5 else hostile for _ in range(a.n)]
        half = a.n // 2
        for i in range(half):
            makers[i](c, i)
        specials(c, a.big_line_mb)
        ix = tmp / "ix"
        runs = [("first index, half the files", run_cli(["index", str(root), "--index-dir",
                                                         str(ix)], a.timeout))]
        for i in range(half, a.n):
            makers[i](c, i)
        runs.append(("update, the other half added", run_cli(
            ["index", str(root), "--index-dir", str(ix)], a.timeout)))
        runs.append(("update, nothing changed", run_cli(
            ["index", str(root), "--index-dir", str(ix), "--json"], a.timeout)))

        sys.path.insert(0, str(ROOT))
        from index import Corpus as Engine

        lost = secret = skipped = None
        last = runs[-1][1]
        if not last["hung"] and last["rc"] == 0:
            skipped = len(json.loads(last["stdout"])["skipped"])
            eng = Engine(root, index_dir=ix)
            try:
                lost = [m for m in c.markers if eng.search(m, spans=False).total == 0]
                secret = eng.search("qzvsecretx", spans=False).total
            finally:
                eng.close()

        print(f"hostile-file benchmark: seed {a.seed}, {c.tried} files tried "
              f"({len(c.markers)} good markers), one-line .jsonl of {a.big_line_mb} MB")
        for label, r in runs:
            tb = "yes" if r["traceback"] else "no"
            print(f"  {label:<30} exit {r['rc']:>3}  traceback {tb:<3}"
                  f"  hang {'yes' if r['hung'] else 'no':<3}  {r['seconds']:7.1f} s"
                  f"  peak RSS (tree) {r['peak_mib']:7.1f} MiB")
            for line in r["stdout"].splitlines():
                if line.startswith(("indexed ", "versions: ")):
                    print(f"      {line}")
        crashes = sum(1 for _, r in runs if not r["hung"] and (r["rc"] != 0 or r["traceback"]))
        hangs = sum(1 for _, r in runs if r["hung"])
        print(f"files tried: {c.tried}")
        print(f"crashes: {crashes} of {len(runs)} runs")
        print(f"hangs: {hangs} of {len(runs)} runs")
        print("good files lost: " + ("n/a (the last run failed)" if lost is None
                                     else f"{len(lost)} of {len(c.markers)} markers"))
        print(f"skip reasons reported: {skipped}; file outside the corpus searchable: "
              f"{'n/a' if secret is None else bool(secret)}")
        print(f"peak RSS of the process tree: {max(r['peak_mib'] for _, r in runs):.1f} MiB")
        print(f"seconds: {sum(r['seconds'] for _, r in runs):.1f}")
        for label, r in runs:
            if r["rc"] or r["traceback"] or r["hung"]:
                print(f"--- {label}: stderr tail ---\n{r['stderr']}")
        if lost:
            for m in lost[:20]:
                print(f"lost: {m} in {c.where.get(m, b'?')!r}")
    finally:
        if a.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
