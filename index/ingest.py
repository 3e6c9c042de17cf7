"""Reading a corpus folder into :class:`~index.models.Article` objects.

A corpus is a folder read recursively. Supported files: ``.txt``, ``.md``
(front matter allowed), ``.html``/``.htm`` (main text extracted, nothing
fetched), ``.jsonl`` (one article a line). Anything that cannot be read is
skipped with a one-line reason; the corpus folder is never written to.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from .models import Article, Skipped
from .textclean import normalize_text, one_line

SUPPORTED = {".txt": "text", ".md": "markdown", ".markdown": "markdown",
             ".html": "html", ".htm": "html", ".jsonl": "jsonl"}
MAX_FILE_BYTES = 16 * 1024 * 1024  # one .txt/.md/.html file
MAX_JSONL_BYTES = 4 * 1024 * 1024 * 1024  # a .jsonl file is read line by line
MAX_LINE_BYTES = 16 * 1024 * 1024  # one .jsonl line
TITLE_MAX = 120  # characters of a first-line title / a cut first sentence
TITLE_MAX_WORDS = 20


@dataclass(frozen=True)
class FileEntry:
    """A file found by :func:`scan`: its corpus-relative path and stat facts."""

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
    files and unreadable folders are reported.
    """
    entries: list[FileEntry] = []
    skipped: list[Skipped] = []

    def onerror(err: OSError) -> None:
        rel = _rel(root, Path(err.filename)) if err.filename else "."
        skipped.append(Skipped(rel, f"unreadable folder: {err.strerror or err}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            full = Path(dirpath, name)
            rel = _rel(root, full)
            ext = full.suffix.lower()
            if ext not in SUPPORTED:
                skipped.append(Skipped(rel, f"unsupported file type {ext or '(none)'}"))
                continue
            try:
                st = full.stat()
            except OSError as e:
                skipped.append(Skipped(rel, f"unreadable: {e.strerror or e}"))
                continue
            if not stat.S_ISREG(st.st_mode):
                skipped.append(Skipped(rel, "not a regular file"))
                continue
            entries.append(FileEntry(rel, st.st_size, st.st_mtime_ns))
    return entries, skipped


def _rel(root: Path, p: Path) -> str:
    try:
        return p.relative_to(root).as_posix()
    except ValueError:
        return p.as_posix()


# ---------------------------------------------------------------------- reading


def read_file(root: Path, entry: FileEntry) -> FileResult:
    """Read one file into articles; never raises for bad input."""
    kind = SUPPORTED[Path(entry.path).suffix.lower()]
    full = root / entry.path
    limit = MAX_JSONL_BYTES if kind == "jsonl" else MAX_FILE_BYTES
    if entry.size > limit:
        return _skip(entry, f"too large ({_mib(entry.size)} > {_mib(limit)} limit)")
    if entry.size == 0:
        return _skip(entry, "empty file")
    try:
        if kind == "jsonl":
            return _read_jsonl(full, entry)
        data = full.read_bytes()
    except OSError as e:
        return _skip(entry, f"unreadable: {e.strerror or e}")
    sha = hashlib.blake2b(data, digest_size=16).hexdigest()
    text, why = decode(data)
    if text is None:
        return _skip(entry, why, sha)
    try:
        if kind == "markdown":
            art = _from_markdown(entry.path, text)
        elif kind == "html":
            art = _from_html(entry.path, text)
        else:
            art = _from_text(entry.path, text)
    except Exception as e:  # a parser library choking on hostile input
        return _skip(entry, f"could not parse {kind}: {type(e).__name__}: {e}", sha)
    if art is None or not art.text:
        return _skip(entry, "no text", sha)
    return FileResult(entry, [art], [], sha)


def _skip(entry: FileEntry, reason: str, sha: str | None = None) -> FileResult:
    # One line always: a parser's exception text can span lines (and the store
    # keeps reasons newline-separated).
    return FileResult(entry, [], [Skipped(entry.path, one_line(reason))], sha)


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"


def decode(data: bytes) -> tuple[str | None, str]:
    """Bytes to text: UTF-8 first, else a detected encoding; binary is refused."""
    if b"\x00" in data[:8192]:
        return None, "binary file (NUL bytes)"
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = from_bytes(data[: 1024 * 1024])
    best = matches.best()
    if best is None:
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
    controls = sum(1 for c in text[:8192] if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > 0.05 * min(len(text), 8192):
        return None, "binary file (control bytes)"
    return text, ""


# ------------------------------------------------------------------- per format


def _from_text(path: str, raw: str) -> Article | None:
    text = normalize_text(raw)
    if not text:
        return None
    return _article(path, path, text, title=None)


_FRONT = re.compile(r"\A(?:---|\+\+\+)\s*\n")


def _from_markdown(path: str, raw: str) -> Article | None:
    meta: dict = {}
    body = raw
    if _FRONT.match(raw.lstrip("\ufeff")):
        import frontmatter

        try:
            post = frontmatter.loads(raw.lstrip("\ufeff"))
            meta, body = dict(post.metadata), post.content
        except Exception:  # malformed front matter: keep the whole file as text
            meta, body = {}, raw
    text = normalize_text(body)
    if not text:
        return None
    title = _pick(meta, "title", "headline")
    if not title:
        m = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
        title = m.group(1).strip(" #") if m else None
    return _article(path, path, text, title=title, meta=meta)


def _from_html(path: str, raw: str) -> Article | None:
    import trafilatura

    # Nothing is fetched: trafilatura works on the string it is given. Only the
    # page's own metadata gives a date (no guessing from the text): trafilatura's
    # date is not used, as htmldate falls back to any date-like string in the
    # body ("froze on 2024-03-04" made that the publication date).
    doc = trafilatura.bare_extraction(
        raw,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    meta: dict = {}
    body = ""
    if doc is not None:
        d = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
        body = d.get("text") or ""
        meta = {k: d.get(k) for k in ("title", "author", "sitename", "url")}
    meta["date"] = _html_date(raw)
    if not body.strip():
        # Short pages fall below trafilatura's main-text thresholds: take all
        # visible text (scripts and styles dropped) instead.
        body = trafilatura.html2txt(raw) or ""
    text = normalize_text(body)
    if not text:
        return None
    title = meta.get("title") or _html_title(raw)
    return _article(path, path, text, title=title, meta=meta)


_DATE_META = frozenset({
    "article:published_time", "og:published_time", "datepublished", "date", "pubdate",
    "publishdate", "publish-date", "publish_date", "publication_date", "dc.date",
    "dc.date.issued", "dcterms.date", "dcterms.issued", "dcterms.created",
    "sailthru.date", "parsely-pub-date", "original-publish-date",
})


def _html_date(raw: str) -> str | None:
    """The publication date a page states in its metadata, or None.

    Read from ``<meta>`` tags, ``itemprop="datePublished"`` and JSON-LD
    ``datePublished``; never from the visible text.
    """
    from lxml import etree
    from lxml import html as lhtml

    try:
        # Bytes: lxml refuses a str that carries an XML encoding declaration.
        tree = lhtml.document_fromstring(
            raw.encode("utf-8"), parser=lhtml.HTMLParser(encoding="utf-8")
        )
    except (ValueError, etree.LxmlError):
        return None
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
            found = _jsonld_date(json.loads(el.text or ""))
        except ValueError:
            continue
        if found:
            return found
    return None


def _jsonld_date(node) -> str | None:
    if isinstance(node, list):
        return next((d for d in map(_jsonld_date, node) if d), None)
    if not isinstance(node, dict):
        return None
    if isinstance(node.get("datePublished"), str):
        found = parse_date(node["datePublished"])
        if found:
            return found
    return _jsonld_date(node.get("@graph"))


_TITLE_TAG = re.compile(r"<(title|h1)\b[^>]*>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)


def _html_title(raw: str) -> str | None:
    import html as htmlmod

    m = _TITLE_TAG.search(raw)
    if not m:
        return None
    return one_line(htmlmod.unescape(re.sub(r"<[^>]+>", "", m.group(2)))) or None


TEXT_KEYS = ("text", "body", "content", "article", "maintext")


def _read_jsonl(full: Path, entry: FileEntry) -> FileResult:
    articles: list[Article] = []
    skipped: list[Skipped] = []
    h = hashlib.blake2b(digest_size=16)
    seen: set[str] = set()
    with full.open("rb") as f:
        for lineno, line in enumerate(f, 1):
            h.update(line)
            if not line.strip():
                continue
            if len(line) > MAX_LINE_BYTES:
                skipped.append(Skipped(entry.path, f"line too large ({_mib(len(line))})", lineno))
                continue
            text, why = decode(line)
            if text is None:
                skipped.append(Skipped(entry.path, why, lineno))
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as e:
                skipped.append(Skipped(entry.path, f"malformed JSON ({e.msg})", lineno))
                continue
            if not isinstance(obj, dict):
                skipped.append(Skipped(entry.path, "not a JSON object", lineno))
                continue
            body = _pick(obj, *TEXT_KEYS)
            if not isinstance(body, str):
                skipped.append(
                    Skipped(entry.path, f"no text field ({'/'.join(TEXT_KEYS)})", lineno)
                )
                continue
            body = normalize_text(body)
            if not body:
                skipped.append(Skipped(entry.path, "empty text", lineno))
                continue
            key = one_line(str(obj["id"])) if obj.get("id") not in (None, "") else str(lineno)
            locator = f"{entry.path}#{key}"
            if locator in seen:  # a repeated id: fall back to the line number
                locator = f"{entry.path}#line{lineno}"
            seen.add(locator)
            try:
                articles.append(
                    _article(entry.path, locator, body, title=_pick(obj, "title", "headline"),
                             meta=obj, line=lineno)
                )
            except Exception as e:  # one odd field must not stop the file, or the run
                skipped.append(Skipped(entry.path, one_line(f"bad fields: {e}"), lineno))
    if not articles and not skipped:
        skipped.append(Skipped(entry.path, "empty file"))
    return FileResult(entry, articles, skipped, h.hexdigest())


# ---------------------------------------------------------------------- shared


def _pick(d: dict, *keys: str):
    for k in keys:
        v = d.get(k)
        if v not in (None, ""):
            return v
    return None


def _article(path: str, locator: str, text: str, *, title, meta: dict | None = None,
             line: int | None = None) -> Article:
    meta = meta or {}
    return Article(
        id=article_id(locator),
        path=path,
        title=(one_line(str(title)) if title else "") or derive_title(text),
        source=one_line(_pick(meta, "source", "outlet", "publisher", "sitename", "site_name",
                              "site")) or None,
        date=parse_date(_pick(meta, "date", "published", "published_at", "pubdate",
                              "pubDate", "datePublished")),
        author=one_line(_as_text(_pick(meta, "author", "authors", "byline"))) or None,
        url=one_line(_pick(meta, "url", "link")) or None,
        line=line,
        text=text,
    )


def _as_text(v) -> str | None:
    if isinstance(v, list | tuple):
        return ", ".join(str(x) for x in v)
    return None if v is None else str(v)


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s")


def derive_title(text: str) -> str:
    """A title for a file that names none.

    A short first line without a final full stop is a headline; otherwise the
    first sentence, cut at a word boundary to a sensible length.
    """
    first = text.split("\n", 1)[0].strip()
    if first and len(first) <= TITLE_MAX and len(first.split()) <= TITLE_MAX_WORDS \
            and not first.endswith("."):
        return first
    m = _SENTENCE_END.search(first)
    sentence = first[: m.start() + 1] if m else first
    sentence = sentence.strip()
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
    s = one_line(str(v))
    if not s:
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
