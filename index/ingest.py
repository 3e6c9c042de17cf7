"""Reading a corpus folder into :class:`~index.models.Article` objects.

A corpus is a folder read recursively. Supported files: ``.txt``, ``.md``
(front matter allowed), ``.html``/``.htm`` (main text extracted, nothing
fetched), ``.jsonl`` (one article a line), ``.json`` (one article a file, e.g.
news-please's output), ``.csv`` (one article a row), ``.jsonl.gz`` and
``.json.gz``, and web archives (``.warc``, ``.warc.gz``, ``.wacz``: one article
an HTML response record). Anything that cannot be read is
skipped with a one-line reason; the corpus folder is never written to.
"""

from __future__ import annotations

import codecs
import errno
import gzip
import hashlib
import io
import json
import marshal
import os
import re
import stat
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from itertools import accumulate
from operator import attrgetter
from pathlib import Path
from typing import BinaryIO, NamedTuple

from .models import Article, Skipped
from .text.sentences import first_sentence
from .text.textclean import language_code, normalize_text, one_line

SUPPORTED = {".txt": "text", ".md": "markdown", ".markdown": "markdown",
             ".html": "html", ".htm": "html", ".jsonl": "jsonl", ".json": "json",
             ".csv": "csv", ".warc": "warc", ".wacz": "wacz"}
# read through gzip, bounded (a .warc.gz: warcio reads its gzip members itself)
GZIPPED = {".jsonl.gz": "jsonl", ".json.gz": "json", ".warc.gz": "warc"}
ARCHIVES = ("warc", "wacz")  # many pages a file, read record by record


def file_kind(name: str) -> tuple[str | None, bool, str]:
    """``(kind, gzipped, extension)`` of a file name; kind None: not read."""
    low = name.lower()
    for ext, kind in GZIPPED.items():
        if low.endswith(ext):
            return kind, True, ext
    ext = os.path.splitext(low)[1]
    return SUPPORTED.get(ext), False, ext

# ----------------------------------------------------------------------- limits
# What one input may cost, in one place (the README's "Limits" lists them).
# Without them a few hundred hostile bytes could become gigabytes: a YAML alias
# bomb, a 200 MB one-line .jsonl, a title the size of the file.
MAX_FILE_BYTES = 16 * 1024 * 1024  # one .txt/.md/.html file (larger: skipped)
MAX_JSONL_BYTES = 4 * 1024 * 1024 * 1024  # a .jsonl file, read line by line
MAX_LINE_BYTES = 16 * 1024 * 1024  # one .jsonl line (longer: that line skipped)
MAX_ARTICLE_CHARS = 16 * 1024 * 1024  # an article body after cleaning (longer: skipped)
MAX_TITLE_CHARS = 300  # a title a file gives (longer: cut, with an ellipsis)
MAX_FIELD_CHARS = 1000  # source, author, url, a JSONL id (longer: cut, with an ellipsis)
MAX_DATE_CHARS = 64  # a longer value is not a date (ignored)
MAX_JSON_DEPTH = 64  # nesting of a JSONL line or a JSON-LD block (deeper: not read)
MAX_JSON_INT_DIGITS = 1000  # a longer integer in a JSONL line: that line skipped
MAX_FRONT_MATTER_CHARS = 64 * 1024  # a larger block is not read as front matter
MAX_REASON_CHARS = 300  # a skip reason (a parser's message can be any size)
TITLE_MAX = 120  # characters of a first-line title / a cut first sentence
TITLE_MAX_WORDS = 20


class FileEntry(NamedTuple):
    """A file found by :func:`scan`: its corpus-relative path and stat facts.

    A tuple, equal to the ``(path, size, mtime_ns)`` :func:`walk` finds and
    the manifest holds (an unchanged re-index compares those and makes none:
    see :func:`index.search.indexer._update`)."""

    path: str  # corpus-relative, POSIX separators
    size: int
    mtime_ns: int


@dataclass
class FileResult:
    """What reading one file gave: its articles, what was skipped, its hash."""

    entry: FileEntry
    articles: list[Article]
    skipped: list[Skipped]
    sha: str | None = None  # hash of the bytes, None when unreadable
    # a piece of an archive (see read_file): where each article's record
    # comes among the archive's pages, to put the pieces' articles in order
    order: list[int] | None = None


def article_id(locator: str) -> str:
    """A stable 12-hex id for an article from its corpus-relative locator."""
    return hashlib.blake2b(locator.encode("utf-8"), digest_size=6).hexdigest()


def content_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


# --------------------------------------------------------------------- scanning


def scan(root: Path) -> tuple[list[FileEntry], list[Skipped]]:
    """Every candidate file under ``root`` (sorted), and what was skipped.

    Hidden files and folders (a leading dot) are passed over silently; so is
    the metadata sidecar. Other files with an unsupported extension, non-regular
    files, unreadable folders, names that are not UTF-8 and symbolic links that
    lead out of the corpus are reported. Links to folders are not followed.
    """
    found, skipped = walk(root)
    return entries_of(found), skipped


def entries_of(found: list[tuple[str, int, int]]) -> list[FileEntry]:
    """:func:`walk`'s files as FileEntry."""
    return list(map(FileEntry._make, found))


def walk(root: Path) -> tuple[list[tuple[str, int, int]], list[Skipped]]:
    """:func:`scan`'s files as plain ``(path, size, mtime_ns)`` tuples: made
    in a fifth of the time of a FileEntry (a NamedTuple's constructor is
    Python code), for an unchanged re-index that compares them with the
    manifest's rows and makes no entry (see :func:`entries_of`)."""
    entries: list[tuple[str, int, int]] = []
    skipped: list[Skipped] = []
    real_root = Path(os.path.realpath(root))
    # os.scandir, not os.walk and pathlib: a folder's entries come with their
    # type (no stat to tell a folder or a link), and a path is its folder's
    # prefix and a name (pathlib's parsing of every path was most of an
    # unchanged re-index, issue 15). The order is os.walk's, top-down: a
    # folder's files by name, then each subfolder's, by name.
    stack: list[tuple[str, str]] = [(str(root), "")]  # (folder, its corpus-relative prefix)
    # file_kind's answer by a name's last suffix, asked once a suffix: for a
    # name that does not start with a dot (those are passed over), the kind
    # depends on its last suffix alone (as written: file_kind folds the case),
    # but for ".gz" (then on the one before)
    kinds: dict[str, tuple[str | None, bool, str]] = {}
    while stack:
        folder, prefix = stack.pop()
        try:
            # the folder opened, its entries listed from the descriptor: each
            # file's stat is then of a name in it, not of a path the kernel
            # walks again from the root (a tenth of the stats' time at 100k)
            fd = os.open(folder, _DIR_FLAGS)
        except OSError as err:
            skipped.append(Skipped(shown_name(prefix.rstrip("/") or "."),
                                   f"unreadable folder: {err.strerror or err}"))
            continue
        try:
            _walk_folder(fd, folder, prefix, real_root, kinds, entries, skipped, stack)
        finally:
            os.close(fd)
    return entries, skipped


def _walk_folder(fd: int, folder: str, prefix: str, real_root: Path,
                 kinds: dict[str, tuple[str | None, bool, str]],
                 entries: list[tuple[str, int, int]], skipped: list[Skipped],
                 stack: list[tuple[str, str]]) -> None:
    """One folder of :func:`walk` (open as ``fd``): its files added to
    ``entries`` (or ``skipped``), its subfolders pushed on ``stack``."""
    try:
        with os.scandir(fd) as it:
            listed = sorted(it, key=_NAME)
    except OSError as err:
        skipped.append(Skipped(shown_name(prefix.rstrip("/") or "."),
                               f"unreadable folder: {err.strerror or err}"))
        return
    subfolders = []
    for entry in listed:
        name = entry.name
        if name.startswith("."):
            continue
        rel = prefix + name
        try:
            # The common case in fewer steps: a regular file by the folder's
            # listing (no stat; not a link) with an ASCII name (so UTF-8).
            plain = entry.is_file(follow_symlinks=False) and name.isascii()
        except OSError:
            plain = False
        if not plain:
            try:
                is_dir = entry.is_dir()  # (a link to a folder too: passed over below)
            except OSError:
                is_dir = False
            if is_dir:
                if not _is_utf8(name):
                    # Every path is a key of the index and the store (UTF-8 text):
                    # a name that is not cannot be one, nor can anything below it.
                    skipped.append(Skipped(shown_name(rel),
                                           "folder name is not valid UTF-8 (not read)"))
                elif not entry.is_symlink():  # links to folders are not followed
                    subfolders.append((os.path.join(folder, name), rel + "/"))
                continue
            if not _is_utf8(name):
                skipped.append(Skipped(shown_name(rel), "file name is not valid UTF-8"))
                continue
        dot = name.rfind(".")
        suffix = name[dot:] if dot > 0 else ""
        known = kinds.get(suffix)
        if known is None:
            known = file_kind(name)
            if suffix.lower() != ".gz":
                kinds[suffix] = known
        kind, _gz, ext = known
        if kind is None:
            skipped.append(Skipped(rel, f"unsupported file type {ext or '(none)'}"))
            continue
        try:
            if not plain and entry.is_symlink() and not _inside(
                    real_root, os.path.realpath(os.path.join(folder, name))):
                skipped.append(Skipped(rel, "symbolic link out of the corpus"))
                continue
            st = entry.stat()  # (of the name in the folder's descriptor)
        except OSError as e:  # a link loop, a dangling link, no permission
            skipped.append(Skipped(rel, f"unreadable: {e.strerror or e}"))
            continue
        if not stat.S_ISREG(st.st_mode):
            skipped.append(Skipped(rel, "not a regular file"))
            continue
        entries.append((rel, st.st_size, st.st_mtime_ns))
    stack.extend(reversed(subfolders))


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)


def walk_bytes(found: list[tuple[str, int, int]]) -> bytes:
    """:func:`walk`'s files as bytes (``marshal.loads`` gives them back):
    what its digest is of, and how an indexer keeps them while its workers
    read (~60 bytes a file, where the tuples are ~200: issue 15). marshal's
    version 2 writes values alone (no references between objects), each
    with its type and length: two different lists never give the same
    bytes, and it takes a tenth of the time of their repr at 100k files."""
    return marshal.dumps(found, 2)


def walk_digest(walked: bytes) -> str:
    """A digest of :func:`walk`'s files (as :func:`walk_bytes`), in its order
    (which the files alone decide): what an unchanged re-index compares with
    the one the store recorded instead of reading every row of the manifest
    (see :meth:`index.store.db.Store.manifest_is`)."""
    return hashlib.blake2b(walked, digest_size=20).hexdigest()


_NAME = attrgetter("name")


def _is_utf8(name: str) -> bool:
    # os.walk gives undecodable bytes as lone surrogates (surrogateescape)
    return name.isascii() or not _SURROGATES.search(name)


_SURROGATES = re.compile("[\ud800-\udfff]")


def shown_name(name: str) -> str:
    """A file name as text that can be stored and printed: the bytes of a
    name that is not UTF-8 as backslash escapes (b'\\xff.txt' is '\\xff.txt')."""
    if _is_utf8(name):
        return name
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        return name.encode("utf-8", "backslashreplace").decode("ascii")
    return raw.decode("utf-8", "backslashreplace")


def _inside(real_root: Path, target: str) -> bool:
    return Path(target).is_relative_to(real_root)


# ---------------------------------------------------------------------- reading


class _Refused(Exception):
    """Raised while reading a file (or a JSONL line) that must be skipped."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def read_file(root: Path, entry: FileEntry, piece: tuple[int, int] | None = None) -> FileResult:
    """Read one file into articles; never raises for bad input.

    This is the one place a failure reading one file becomes that file's skip
    reason, whatever raised it: nothing about one file may stop a run. Only
    what is not the file's doing goes on up (out of memory, a full disk).

    ``piece=(k, n)``: of a web archive (``ARCHIVES``), only piece ``k`` of
    ``n``: every piece passes over all the records (so each sees the same
    pages, duplicates and breaks), and extracts every ``n``-th page from the
    ``k``-th; the file's own skip lines (records not read, a break) come with
    piece 0 only. The ``n`` pieces' articles and skips together are the whole
    file's, read by several workers at once.
    """
    try:
        res = _read_file(root, entry, piece)
        if piece is not None and piece[0] != 0 and res.order is None:
            res.skipped = []  # a skip of the whole file (too large, empty): piece 0 says it
        return res
    except MemoryError:
        raise
    except OSError as e:
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise
        return _skip(entry, f"unreadable: {e.strerror or e}")
    except Exception as e:
        return _skip(entry, f"internal error reading this file: {type(e).__name__}")


def _read_file(root: Path, entry: FileEntry, piece: tuple[int, int] | None) -> FileResult:
    kind, gz, _ext = file_kind(entry.path)
    limit = MAX_JSONL_BYTES if kind in ("jsonl", "csv", *ARCHIVES) else MAX_FILE_BYTES
    if entry.size > limit:
        return _skip(entry, f"too large ({_mib(entry.size)} > {_mib(limit)} limit)")
    if entry.size == 0:
        return _skip(entry, "empty file")
    with _open_regular(root / entry.path) as f:
        if f is None:
            return _skip(entry, "not a regular file")
        # gzipped: what is read is what it unpacks to, within the same limits
        # (a small file that unpacks to gigabytes is cut there, never held)
        if kind in ARCHIVES:
            return _read_archive(f, entry, kind, piece)
        src = gzip.GzipFile(fileobj=f, mode="rb") if gz else f
        if kind == "jsonl":
            return _read_jsonl(src, entry)
        if kind == "csv":
            return _read_csv(src, entry)
        try:
            data = src.read(limit + 1)  # bounded: the file may have grown since the scan
        except (EOFError, zlib.error, gzip.BadGzipFile) as e:
            return _skip(entry, _gzip_trouble(e))
    if len(data) > limit:
        return _skip(entry, f"too large (over {_mib(limit)} limit"
                            f"{' once unpacked' if gz else ''})")
    if not data:
        return _skip(entry, "empty file")
    sha = hashlib.blake2b(data, digest_size=16).hexdigest()
    text, why = decode(data)
    del data
    if text is None:
        return _skip(entry, why, sha)
    try:
        if kind == "markdown":
            art = _from_markdown(entry.path, text)
        elif kind == "html":
            art = _from_html(entry.path, text)
        elif kind == "json":
            art = _from_json(entry.path, text)
        else:
            art = _from_text(entry.path, text)
    except _Refused as r:
        return _skip(entry, r.reason, sha)
    if art is None or not art.text:
        return _skip(entry, "no text", sha)
    return FileResult(entry, [art], [], sha)


@contextmanager
def _open_regular(path: Path) -> Iterator[BinaryIO | None]:
    """The file open for reading, or None if it is not (or no longer) a regular
    file: a FIFO put in its place after the scan would block a plain open()."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as f:  # closes fd whatever happens
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            yield None
        else:
            os.set_blocking(fd, True)
            yield f


def _skip(entry: FileEntry, reason: str, sha: str | None = None) -> FileResult:
    return FileResult(entry, [], [_skipped(entry.path, reason)], sha)


def _skipped(path: str, reason: str, line: int | None = None) -> Skipped:
    # One line always: a parser's exception text can span lines (and the store
    # keeps reasons newline-separated); and short, as it may quote the input.
    return Skipped(path, _cut(one_line(reason[: MAX_REASON_CHARS * 4]), MAX_REASON_CHARS), line)


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"


_UTF32_BOMS = {codecs.BOM_UTF32_LE: "utf-32", codecs.BOM_UTF32_BE: "utf-32"}
_UTF16_BOMS = {codecs.BOM_UTF16_LE: "utf-16", codecs.BOM_UTF16_BE: "utf-16"}


def decode(data: bytes) -> tuple[str | None, str]:
    """Bytes to text: UTF-16/32 by their BOM or NUL pattern, then UTF-8 (a few
    bad bytes become U+FFFD), else a detected encoding; binary is refused."""
    wide = _wide_encoding(data)
    if wide:
        return _decode_wide(data, wide)
    if b"\x00" in data[:8192]:
        return None, "binary file (NUL bytes)"
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        pass
    # A UTF-8 file with a stray byte or two: keep it UTF-8 (the bad bytes as
    # U+FFFD) when its valid non-ASCII characters outnumber the bad bytes. A
    # legacy 8-bit text almost never forms a valid UTF-8 sequence, so even a
    # few valid ones are strong evidence; a code-page guess would garble all
    # of them to save one byte.
    replaced = data.decode("utf-8", "replace").removeprefix("\ufeff")
    bad = replaced.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    ascii_chars = len(replaced.encode("ascii", "ignore"))
    if len(replaced) - ascii_chars - bad >= bad:
        return replaced, ""
    from charset_normalizer import from_bytes

    matches = from_bytes(data[: 1024 * 1024])
    best = matches.best()
    if best is None:
        # Nearly all text, a byte or so in a thousand wrong: still text.
        if bad * 1000 <= len(replaced) and not _mostly_controls(replaced):
            return replaced, ""
        return None, "undecodable bytes (no text encoding fits)"
    encoding = best.encoding
    # charset_normalizer often scores several single-byte code pages the same
    # and then picks cp1250 (Central European), which turns Western text's
    # è, û, à into č, ű, ŕ. On a tie, prefer Windows-1252 (a superset of the
    # printable Latin-1 range), by far the commonest legacy encoding of news.
    for m in matches:
        if ("cp1252" in (m.encoding, *m.could_be_from_charset)
                and m.chaos <= best.chaos and m.coherence >= best.coherence):
            encoding = "cp1252"
            break
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None, f"undecodable bytes (detected {encoding} does not fit)"
    if _mostly_controls(text):
        return None, "binary file (control bytes)"
    return text, ""


def _mostly_controls(text: str) -> bool:
    sample = text[:8192]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\n\r\t\f")
    return controls > 0.05 * len(sample)


def _wide_encoding(data: bytes) -> str | None:
    """UTF-32 or UTF-16 text, told by its BOM, or (without one) by the NUL
    byte every other byte that Latin-script UTF-16 has: "utf-16-le" when the
    odd bytes are mostly NUL and the even ones not, "utf-16-be" the reverse."""
    for boms in (_UTF32_BOMS, _UTF16_BOMS):  # UTF-32 LE's BOM starts as UTF-16 LE's
        for bom, enc in boms.items():
            if data.startswith(bom):
                return enc
    sample = data[:8192]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0:half * 2:2].count(0), sample[1:half * 2:2].count(0)
    if odd >= 0.5 * half and even <= 0.05 * half:
        return "utf-16-le"
    if even >= 0.5 * half and odd <= 0.05 * half:
        return "utf-16-be"
    return None


def _decode_wide(data: bytes, encoding: str) -> tuple[str | None, str]:
    text = data.decode(encoding, "replace").removeprefix("\ufeff")
    name = encoding.upper().replace("-LE", " LE").replace("-BE", " BE")
    if text.count("\ufffd") * 100 > len(text) or _mostly_controls(text):
        return None, f"binary file (not {name} text)"
    return text, ""


# ------------------------------------------------------------------- per format


def _from_text(path: str, raw: str) -> Article | None:
    text = normalize_text(raw)
    if not text:
        return None
    return _article(path, path, text, title=None)


def _from_markdown(path: str, raw: str) -> Article | None:
    meta, body = front_matter(raw)
    text = normalize_text(body)
    if not text:
        return None
    title = _pick(meta, "title", "headline")
    if not title:
        m = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
        title = m.group(1).strip(" #") if m else None
    return _article(path, path, text, title=title, meta=meta)


_FRONT_OPEN = re.compile(r"\A(-{3,}|\+{3,})[ \t]*\r?\n")
_FRONT_CLOSE = {"-": re.compile(r"^-{3,}[ \t\r]*$", re.MULTILINE),
                "+": re.compile(r"^\+{3,}[ \t\r]*$", re.MULTILINE)}


def front_matter(raw: str) -> tuple[dict, str]:
    """A Markdown file's YAML (``---``) or TOML (``+++``) front matter, and the
    rest. A block that is malformed, not a mapping, larger than
    ``MAX_FRONT_MATTER_CHARS`` or uses YAML aliases is not front matter: the
    whole file is the text."""
    raw = raw.lstrip("\ufeff")
    m = _FRONT_OPEN.match(raw)
    if not m:
        return {}, raw
    kind = m.group(1)[0]
    close = _FRONT_CLOSE[kind].search(raw, m.end())
    if close is None or close.start() - m.end() > MAX_FRONT_MATTER_CHARS:
        return {}, raw
    block = raw[m.end():close.start()]
    try:
        if kind == "-":
            import yaml

            data = yaml.load(block, Loader=_yaml_loader())  # a safe loader
        else:
            import tomllib

            data = tomllib.loads(block)
    except MemoryError:
        raise
    except Exception:  # malformed (or hostile) front matter: keep the file as text
        return {}, raw
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return {}, raw
    return data, raw[close.end():]


@cache
def _yaml_loader():
    """PyYAML's safe loader, refusing aliases.

    An alias repeats a node without repeating its text, so nested aliases make
    the parsed value exponentially larger than the file: 669 bytes became a
    72-million-character title. Front matter has no need of them. (The pure
    Python loader, as the C one composes in C; front matter is small.)
    """
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                raise yaml.composer.ComposerError(
                    None, None, "aliases are not allowed in front matter",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)

    return NoAliasLoader


def _from_html(path: str, raw: str, locator: str | None = None,
               capture: dict | None = None) -> Article | None:
    """A page's article. ``capture`` (a web archive's record): its ``url``
    stands, its ``date`` and ``host`` serve when the page gives none."""
    import trafilatura

    # Nothing is fetched: trafilatura works on the string it is given. Only the
    # page's own metadata gives a date (no guessing from the text): trafilatura's
    # date is not used, as htmldate falls back to any date-like string in the
    # body ("froze on 2024-03-04" made that the publication date).
    try:
        doc = trafilatura.bare_extraction(
            raw,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except MemoryError:
        raise
    except Exception as e:  # the parser library choking on hostile input
        raise _Refused(f"could not parse html: {type(e).__name__}: {e}") from None
    meta: dict = {}
    body = ""
    if doc is not None:
        d = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
        body = d.get("text") or ""
        meta = {k: d.get(k) for k in ("title", "author", "sitename", "url")}
    meta["date"], meta["language"] = _html_date_and_language(raw)
    if capture:
        meta["url"] = capture.get("url") or meta.get("url")
        meta["date_download"] = capture.get("date")  # after the page's own date
        meta["site"] = capture.get("host")  # after the page's publisher (sitename)
    if not body.strip():
        # Short pages fall below trafilatura's main-text thresholds: take all
        # visible text (scripts and styles dropped) instead.
        try:
            body = trafilatura.html2txt(raw) or ""
        except MemoryError:
            raise
        except Exception as e:
            raise _Refused(f"could not parse html: {type(e).__name__}: {e}") from None
    text = normalize_text(body)
    if not text:
        return None
    title = meta.get("title") or _html_title(raw)
    return _article(path, locator or path, text, title=title, meta=meta)


_DATE_META = frozenset({
    "article:published_time", "og:published_time", "datepublished", "date", "pubdate",
    "publishdate", "publish-date", "publish_date", "publication_date", "dc.date",
    "dc.date.issued", "dcterms.date", "dcterms.issued", "dcterms.created",
    "sailthru.date", "parsely-pub-date", "original-publish-date",
})


def _html_date_and_language(raw: str) -> tuple[str | None, str | None]:
    """The publication date a page states in its metadata (see
    :func:`_html_date`) and the language it says it is in (``<html lang>``,
    else a ``content-language`` or ``og:locale`` meta tag), each or None."""
    from lxml import etree
    from lxml import html as lhtml

    try:
        # Bytes: lxml refuses a str that carries an XML encoding declaration.
        tree = lhtml.document_fromstring(
            raw.encode("utf-8"), parser=lhtml.HTMLParser(encoding="utf-8")
        )
    except (ValueError, etree.LxmlError):
        return None, None
    lang = language_code(tree.get("lang"))
    if lang is None:
        for el in tree.iter("meta"):
            key = (el.get("http-equiv") or el.get("property") or el.get("name") or "").lower()
            if key in ("content-language", "og:locale", "language", "dc.language"):
                lang = language_code(el.get("content"))
                if lang:
                    break
    return _html_date(tree), lang


def _html_date(tree) -> str | None:
    """The publication date a page (its parsed ``tree``) states in its
    metadata, or None.

    Read from ``<meta>`` tags, ``itemprop="datePublished"`` and JSON-LD
    ``datePublished``; never from the visible text.
    """
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip()
        if key.lower() in _DATE_META:
            found = parse_date(el.get("content"))
            if found:
                return found
    for el in tree.xpath('//*[@itemprop="datePublished"]'):
        found = parse_date(el.get("content") or el.get("datetime"))
        if found:
            return found
    for el in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            found = _jsonld_date(json_loads(el.text or ""))
        except ValueError:  # malformed, too deep: this block says nothing
            continue
        if found:
            return found
    return None


_JSONLD_MAX_NODES = 10_000


def _jsonld_date(node) -> str | None:
    """The first ``datePublished`` of a JSON-LD value, its ``@graph`` included,
    in document order; a walk with its own stack and a node budget."""
    stack = [node]
    for _ in range(_JSONLD_MAX_NODES):
        if not stack:
            break
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            if isinstance(node.get("datePublished"), str):
                found = parse_date(node["datePublished"])
                if found:
                    return found
            if node.get("@graph") is not None:
                stack.append(node["@graph"])
    return None


# An opening tag's attributes are bounded, and only the first few openings are
# tried, each with a bounded look for its end: no scan of the page per opening.
_TITLE_OPEN = re.compile(r"<(title|h1)\b[^>]{0,2000}>", re.IGNORECASE)
_TITLE_CLOSE = {t: re.compile(rf"</{t}\s*>", re.IGNORECASE) for t in ("title", "h1")}
_TITLE_TRIES = 8
_TITLE_SPAN = 64 * 1024


def _html_title(raw: str) -> str | None:
    import html as htmlmod

    for n, m in enumerate(_TITLE_OPEN.finditer(raw)):
        if n == _TITLE_TRIES:
            break
        end = _TITLE_CLOSE[m.group(1).lower()].search(raw, m.end(), m.end() + _TITLE_SPAN)
        if end:
            inner = raw[m.end():end.start()]
            return one_line(htmlmod.unescape(re.sub(r"<[^<>]*>", "", inner))) or None
    return None


TEXT_KEYS = ("text", "body", "content", "article", "maintext")


def _read_jsonl(f: BinaryIO, entry: FileEntry) -> FileResult:
    """One article a line. A line is read with a bounded length (never a whole
    file, nor a whole over-long line, in memory) and each bad line is skipped
    with its own reason: the rest of the file is still read."""
    articles: list[Article] = []
    skipped: list[Skipped] = []
    h = hashlib.blake2b(digest_size=16)
    try:
        wide = _wide_encoding(f.read(8192))
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        return _skip(entry, _gzip_trouble(e))
    if wide:
        return _skip(entry, f"a .jsonl file must be UTF-8 (this one is {wide.upper()})")
    f.seek(0)
    seen: set[str] = set()
    lineno = 0
    total = 0  # bytes read (unpacked, for a gzipped file)
    while True:
        try:
            line = f.readline(MAX_LINE_BYTES + 2)  # room for the line's own "\r\n"
            total += len(line)
            if total > MAX_JSONL_BYTES:
                skipped.append(_skipped(entry.path, f"the rest: past the {_mib(MAX_JSONL_BYTES)} "
                                                    "limit once unpacked", lineno + 1))
                break
        except (EOFError, zlib.error, gzip.BadGzipFile) as e:  # the lines before it stay
            skipped.append(_skipped(entry.path, _gzip_trouble(e), lineno + 1))
            break
        if not line:
            break
        lineno += 1
        h.update(line)
        if len(line.rstrip(b"\r\n")) > MAX_LINE_BYTES:
            while not line.endswith(b"\n"):  # the rest of the line, chunk by chunk
                try:
                    line = f.readline(1024 * 1024)
                except (EOFError, zlib.error, gzip.BadGzipFile):
                    break
                if not line:
                    break
                h.update(line)
            skipped.append(_skipped(entry.path, f"line too large (over {_mib(MAX_LINE_BYTES)})",
                                    lineno))
            continue
        if not line.strip():
            continue
        try:
            art = _jsonl_article(entry.path, line, lineno, seen)
        except _Refused as r:
            skipped.append(_skipped(entry.path, r.reason, lineno))
        except MemoryError:
            raise
        except Exception as e:  # whatever one line does, the others are read
            skipped.append(_skipped(
                entry.path, f"internal error reading this line: {type(e).__name__}", lineno))
        else:
            articles.append(art)
    if not articles and not skipped:
        skipped.append(_skipped(entry.path, "empty file"))
    return FileResult(entry, articles, skipped, h.hexdigest())


CSV_TEXT_KEYS = ("text", "body", "maintext", "content", "article")


def _read_csv(f: BinaryIO, entry: FileEntry) -> FileResult:
    """A CSV file with a header row: one article a row, its text in a
    ``text``/``body``/``maintext`` column (any case), the other columns as
    JSONL's fields (``title``, ``date``, ``source``, ``url``, ``author``,
    ``id``). Read row by row, each field bounded; a bad row is skipped with
    its own reason and the rest are read."""
    import csv

    wide = _wide_encoding(f.read(8192))
    if wide:
        return _skip(entry, f"a .csv file must be UTF-8 (this one is {wide.upper()})")
    f.seek(0)
    h = _Hashed(f)  # hashed as it is parsed: read once
    text = io.TextIOWrapper(io.BufferedReader(h), encoding="utf-8-sig", errors="replace",
                            newline="")
    csv.field_size_limit(MAX_LINE_BYTES)
    rows = csv.reader(text)
    try:
        header = [one_line(h_)[:MAX_FIELD_CHARS].lower() for h_ in next(rows, [])]
    except csv.Error as e:
        return _skip(entry, f"unreadable CSV header ({e})", h.hexdigest())
    if not any(k in header for k in CSV_TEXT_KEYS):
        return _skip(entry, f"a .csv file needs a header with a text column "
                            f"({'/'.join(CSV_TEXT_KEYS[:3])})", h.hexdigest())
    articles: list[Article] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    while True:
        line = rows.line_num + 1  # where the row starts (a quoted field may span lines)
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as e:  # a field past the limit, a stray NUL: that row
            skipped.append(_skipped(entry.path, f"unreadable row ({e})", line))
            continue
        if not any(cell.strip() for cell in row):
            continue
        obj = {k: v for k, v in zip(header, row, strict=False) if k}
        try:
            body = _json_body({k: obj.get(k) for k in CSV_TEXT_KEYS})
        except _Refused as r:
            skipped.append(_skipped(entry.path, r.reason, line))
            continue
        key = _cut_line(obj["id"], MAX_FIELD_CHARS) if obj.get("id") else f"row{line}"
        locator = f"{entry.path}#{key}"
        if locator in seen:  # a repeated id: the row's line instead
            locator = f"{entry.path}#row{line}"
        seen.add(locator)
        try:
            articles.append(_article(entry.path, locator, body, meta=obj,
                                     title=_pick(obj, "title", "headline"), line=line))
        except _Refused as r:
            skipped.append(_skipped(entry.path, r.reason, line))
    if not articles and not skipped:
        skipped.append(_skipped(entry.path, "no rows"))
    return FileResult(entry, articles, skipped, h.hexdigest())


def _read_archive(f: BinaryIO, entry: FileEntry, kind: str,
                  piece: tuple[int, int] | None = None) -> FileResult:
    """A web archive: ``.warc`` / ``.warc.gz`` (warcio reads both), or a
    ``.wacz`` (a zip whose ``archive/`` holds WARC files). Every HTML
    ``response`` record is an article through the same HTML extraction, its
    id from the record's URI and payload digest (stable across re-indexes).
    Records that are not pages (requests, metadata) are passed over;
    revisits and non-HTML payloads are counted in one skip line; a broken or
    truncated record ends the file with a reason, what came before it kept.
    ``piece``: see :func:`read_file`."""
    import zipfile

    out = _ArchiveRead(entry, piece)
    if kind == "warc":
        h = _Hashed(f)  # hashed as its records are read: read once
        out.read(h, "", entry.size)
        return out.result(h.hexdigest())
    # a zip is read where its directory says: hashed first
    h = hashlib.file_digest(f, lambda: hashlib.blake2b(digest_size=16))
    f.seek(0)
    try:
        with zipfile.ZipFile(f) as z:
            names = sorted(n for n in z.namelist() if n.startswith("archive/")
                           and n.lower().endswith((".warc", ".warc.gz")))
            if not names:
                return _skip(entry, "a .wacz file with no WARC in archive/", h.hexdigest())
            for name in names:
                with z.open(name) as member:
                    out.read(member, f" in {name}", z.getinfo(name).file_size)
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as e:
        return _skip(entry, f"not a readable .wacz (zip) file ({e})", h.hexdigest())
    return out.result(h.hexdigest())


class _Hashed(io.RawIOBase):
    """A file whose bytes are hashed as they are read, so a file parsed as a
    stream (CSV, WARC) is read once, not once more for its hash. The digest
    is always the whole file's: what the parser left unread is hashed then."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.h = hashlib.blake2b(digest_size=16)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self.f.readinto(b)
        if n:
            self.h.update(memoryview(b)[:n])
        return n

    def hexdigest(self) -> str:
        while chunk := self.f.read(1 << 20):
            self.h.update(chunk)
        return self.h.hexdigest()


class _ArchiveRead:
    """The articles and skips of one archive file (or of one piece of it,
    see :func:`read_file`), record by record."""

    def __init__(self, entry: FileEntry, piece: tuple[int, int] | None = None) -> None:
        self.entry = entry
        self.piece = piece
        self.lead = piece is None or piece[0] == 0  # says the file's own skip lines
        self.articles: list[Article] = []
        self.order: list[int] = []  # each article's page number in the archive
        self.skipped: list[Skipped] = []
        self.passed: dict[str, int] = {}  # why records were not read -> how many
        self.seen: set[str] = set()
        self.pages = 0  # HTML response records met (once each), this piece's or not

    def read(self, stream, where: str, size: int | None) -> None:
        """The records of one WARC stream of ``size`` bytes (a truncated
        file's last record is never whole: what is left after the last whole
        record is said)."""
        from warcio.archiveiterator import ArchiveIterator
        from warcio.exceptions import ArchiveLoadFailed

        n = end = 0
        try:
            it = ArchiveIterator(stream, check_digests=True)
            for rec in it:
                n += 1
                self.record(rec, where)
                end = it.get_record_offset() + it.get_record_length()
        except (ArchiveLoadFailed, EOFError, zlib.error, ValueError) as e:
            if not self.lead:
                return
            self.skipped.append(_skipped(self.entry.path, _cut(
                f"a broken or truncated record after {n} records{where} "
                f"({type(e).__name__}: {e}); the records before it are read",
                MAX_REASON_CHARS)))
            return
        if self.lead and size is not None and size - end > 16:  # (past the closing blank lines)
            self.skipped.append(_skipped(self.entry.path, (
                f"{size - end:,} bytes after the last whole record{where} (a truncated "
                f"file?): the {n} records before them are read")))

    def record(self, rec, where: str) -> None:
        path = self.entry.path
        if rec.rec_type == "revisit":
            self.passed["revisits"] = self.passed.get("revisits", 0) + 1
            return
        if rec.rec_type != "response":
            return  # a request, warcinfo, metadata: not a page
        ctype = (rec.http_headers.get_header("Content-Type") or "") if rec.http_headers else ""
        if "html" not in ctype.lower():
            self.passed["not HTML"] = self.passed.get("not HTML", 0) + 1
            return
        headers = rec.rec_headers
        uri = _cut_line(headers.get_header("WARC-Target-URI") or "", MAX_FIELD_CHARS)
        digest = (headers.get_header("WARC-Payload-Digest")
                  or headers.get_header("WARC-Record-ID") or "")
        locator = f"{path}#{uri}#{digest}"
        if locator in self.seen:
            self.passed["the same page again"] = self.passed.get("the same page again", 0) + 1
            return
        self.seen.add(locator)
        page = self.pages
        self.pages += 1
        if self.piece is not None and page % self.piece[1] != self.piece[0]:
            return  # another piece's page (its bytes are passed over unparsed)
        data = rec.content_stream().read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            self.skipped.append(_skipped(path, _cut(f"{uri}: page too large (over "
                                                    f"{_mib(MAX_FILE_BYTES)})", MAX_REASON_CHARS)))
            return
        # read to its end: a digest that does not match is a record cut short
        # (a truncated file) or one whose Content-Length lies: never an article
        checker = getattr(rec, "digest_checker", None)
        if (checker is not None and checker.passed is False) or \
                getattr(rec.raw_stream, "limit", 0) > 0:  # the file ended inside it
            self.skipped.append(_skipped(path, _cut(
                f"{uri}: the record's digest does not match (cut short, or its "
                f"Content-Length is wrong): not read", MAX_REASON_CHARS)))
            return
        text, why = decode(data)
        try:
            if text is None:
                raise _Refused(why)
            host = uri.split("://", 1)[-1].split("/", 1)[0].split("@")[-1].split(":")[0]
            art = _from_html(path, text, locator, {
                "url": uri, "host": host.removeprefix("www.") or None,
                "date": headers.get_header("WARC-Date")})
        except _Refused as r:
            self.skipped.append(_skipped(path, _cut(f"{uri}: {r.reason}", MAX_REASON_CHARS)))
            return
        if art is None or not art.text:
            self.skipped.append(_skipped(path, _cut(f"{uri}: no text", MAX_REASON_CHARS)))
        else:
            self.articles.append(art)
            self.order.append(page)

    def result(self, sha: str) -> FileResult:
        if self.passed and self.lead:
            self.skipped.append(_skipped(self.entry.path, "records not read: " + ", ".join(
                f"{n} {why}" for why, n in sorted(self.passed.items()))))
        if not self.pages and not self.skipped and self.lead:  # (each page: an article or a skip)
            self.skipped.append(_skipped(self.entry.path, "no pages in this archive"))
        return FileResult(self.entry, self.articles, self.skipped, sha,
                          None if self.piece is None else self.order)


def _gzip_trouble(e: BaseException) -> str:
    """A gzipped file's trouble as a skip reason."""
    if isinstance(e, EOFError):
        return "gzip data ends early (a truncated file): what came before it is read"
    if isinstance(e, gzip.BadGzipFile):
        return f"not gzip data ({e})"
    return f"corrupt gzip data ({e})"


def _jsonl_article(path: str, line: bytes, lineno: int, seen: set[str]) -> Article:
    text, why = decode(line)
    if text is None:
        raise _Refused(why)
    obj = _json_object(text)
    body = _json_body(obj)
    key = _cut_line(obj["id"], MAX_FIELD_CHARS) if obj.get("id") not in (None, "") else lineno
    locator = f"{path}#{key}"
    if locator in seen:  # a repeated id: fall back to the line number
        locator = f"{path}#line{lineno}"
    seen.add(locator)
    return _article(path, locator, body, title=_pick(obj, "title", "headline"), meta=obj,
                    line=lineno)


def _from_json(path: str, raw: str) -> Article:
    """A ``.json`` file holding one article: an object with its text under
    one of TEXT_KEYS (news-please writes one such file per article, its text
    under ``maintext``); many articles go in a ``.jsonl`` file."""
    obj = _json_object(raw, many="a .json file holds one article object (many: .jsonl, "
                                  "one a line)")
    return _article(path, path, _json_body(obj), title=_pick(obj, "title", "headline"),
                    meta=obj)


def _json_object(text: str, many: str = "not a JSON object") -> dict:
    """The JSON object ``text`` holds (bounded depth and number size)."""
    try:
        obj = json_loads(text)
    except json.JSONDecodeError as e:
        raise _Refused(f"malformed JSON ({e.msg})") from None
    except ValueError as e:  # too deep, a number too long
        raise _Refused(str(e)) from None
    if not isinstance(obj, dict):
        raise _Refused(many if isinstance(obj, list) else "not a JSON object")
    return obj


def _json_body(obj: dict) -> str:
    """An article object's text, normalised; refused when there is none."""
    body = _pick(obj, *TEXT_KEYS)
    if not isinstance(body, str):
        raise _Refused(f"no text field ({'/'.join(TEXT_KEYS)})")
    body = normalize_text(body)
    if not body:
        raise _Refused("empty text")
    return body


# A JSON string, unrolled and possessive: linear, whatever the text.
_JSON_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_loads(text: str):
    """``json.loads`` within the limits: ValueError for nesting deeper than
    ``MAX_JSON_DEPTH`` (the parser recurses: 100k levels raised RecursionError)
    and for an integer longer than ``MAX_JSON_INT_DIGITS`` (Python refuses to
    convert one over 4,300 digits, and below that the cost is quadratic)."""
    # At most MAX_JSON_DEPTH openers in all cannot nest deeper: the common case
    # costs two counts. Otherwise the depth of the brackets outside strings.
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH:
        brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
        if max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0) \
                > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested too deeply (over {MAX_JSON_DEPTH} levels)")
    return json.loads(text, parse_int=_json_int)


def _json_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_JSON_INT_DIGITS:
        raise ValueError(f"number too long (over {MAX_JSON_INT_DIGITS} digits)")
    return int(digits)


# ---------------------------------------------------------------------- shared


def _pick(d: dict, *keys: str):
    for k in keys:
        v = d.get(k)
        if v not in (None, ""):
            return v
    return None


def _article(path: str, locator: str, text: str, *, title, meta: dict | None = None,
             line: int | None = None) -> Article:
    """An article, every field within its limit (text normalised already)."""
    if len(text) > MAX_ARTICLE_CHARS:
        raise _Refused(f"article too long ({len(text):,} characters > {MAX_ARTICLE_CHARS:,})")
    meta = meta or {}
    return Article(
        id=article_id(locator),
        path=path,
        title=(_cut_line(title, MAX_TITLE_CHARS) if title else "") or derive_title(text),
        # (news-please's names too: source_domain; date_publish, else the page's
        # last change, else when it was downloaded)
        source=_cut_line(_pick(meta, "source", "outlet", "publisher", "sitename", "site_name",
                               "site", "source_domain"), MAX_FIELD_CHARS) or None,
        date=parse_date(_pick(meta, "date", "published", "published_at", "pubdate",
                              "pubDate", "datePublished", "date_publish", "date_modify",
                              "date_download")),
        author=_cut_line(_as_text(_pick(meta, "author", "authors", "byline")),
                         MAX_FIELD_CHARS) or None,
        url=_cut_line(_pick(meta, "url", "link"), MAX_FIELD_CHARS) or None,
        line=line,
        language=language_code(_pick(meta, "language", "lang", "inLanguage", "locale")),
        text=text,
    )


def _as_text(v) -> str | None:
    if isinstance(v, list | tuple):
        return ", ".join(str(x) for x in v)
    return None if v is None else str(v)


def _cut_line(value, cap: int) -> str:
    """A metadata value as one clean line of at most ``cap`` characters."""
    if value is None:
        return ""
    s = value if isinstance(value, str) else str(value)
    # Cleaning only shortens (runs of spaces become one): cleaning a bounded
    # prefix gives the same cut line as cleaning all of a huge value.
    head = one_line(s[: cap * 4 + 4])
    if len(s) > cap * 4 + 4 and len(head) <= cap:
        head += "…"
    return _cut(head, cap)


def _cut(s: str, cap: int) -> str:
    if len(s) <= cap:
        return s
    return s[: cap - 1].rstrip() + "…"


def derive_title(text: str) -> str:
    """A title for a file that names none.

    A short first line without a final full stop is a headline; otherwise the
    first sentence, cut at a word boundary to a sensible length.
    """
    first = text.split("\n", 1)[0].strip()
    if first and len(first) <= TITLE_MAX and len(first.split()) <= TITLE_MAX_WORDS \
            and not first.endswith("."):
        return first
    sentence = first_sentence(first).strip()
    if len(sentence) <= TITLE_MAX:
        return sentence
    cut = sentence[:TITLE_MAX].rsplit(" ", 1)[0].rstrip(",;:—–- ")
    return cut + "…"


_DATE_FORMATS = ("%d %B %Y", "%B %d, %Y", "%d %b %Y", "%b %d, %Y", "%Y/%m/%d")


def parse_date(v) -> str | None:
    """An ISO 8601 string for a date the file gives, or None. Never guesses."""
    if v is None or v == "":
        return None
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    s = str(v)
    if len(s) > MAX_DATE_CHARS * 2:  # not a date, and strptime's cost grows with it
        return None
    s = one_line(s)
    if not s or len(s) > MAX_DATE_CHARS:
        return None
    try:
        return date.fromisoformat(s).isoformat()
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).isoformat()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(s, fmt).date().isoformat()
        except (ValueError, OverflowError):
            pass
    try:
        return parsedate_to_datetime(s).isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def iter_corpus(root: Path) -> Iterator[FileResult]:
    """Read a whole corpus folder (no index): for tools and tests."""
    entries, _ = scan(root)
    for e in entries:
        yield read_file(root, e)
