"""One sanitiser for every string that leaves the program, with a policy per
destination (the README's "Security" section says the same in prose).

File names, titles, names and quotes come from the corpus, that is from
anyone: a name can hold ESC (a terminal escape sequence, or the end of a
bracketed paste, ``ESC[201~``, after which a pasted newline runs a command),
BEL, 8-bit C1 controls (U+009B is a CSI by itself) or bidi controls that show
``txt.exe`` as ``exe.txt``. Two classes of characters are handled:

``CONTROLS``
    C0 and C1 controls, DEL, lone surrogates (a name that was not UTF-8), the
    bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and
    the line and paragraph separators (U+2028, U+2029). Never written raw to
    any destination (tab and newline only where a destination allows them).
``INVISIBLE``
    every other Unicode format character (category Cf: direction marks, zero
    width space, word joiner, soft hyphen, BOM, tag characters, …) except the
    zero-width (non-)joiners U+200C/U+200D, which scripts and emoji need. They
    draw nothing, so in a name they can make two different names look alike:
    escaped wherever a name or other metadata is shown, kept in article text
    (where they are part of the writing: soft hyphens, marks in RTL text).

Destinations:

- :func:`terminal`: metadata on a terminal (CLI output, the reader's labels,
  the pager copy's header). Every CONTROLS or INVISIBLE character is shown
  visibly as a Python-style escape (``\\x1b``, ``\\u202e``, ``\\U000e0041``), so
  a name can still be told apart and typed; one line unless ``lines``.
- :func:`body`: article text on a terminal (the reader's view, ``show``, the
  pager copy). CONTROLS (tab and newline kept) become U+FFFD, one character
  for one, so hit and entity offsets stay valid. Bodies are stored clean, so
  this normally changes nothing (it is one scan).
- :func:`clipboard`: what ``y`` sends through OSC 52. As :func:`terminal`
  with newlines kept inside the text but never at its end, and capped at
  :data:`CLIPBOARD_MAX` characters; with no ESC in it, a bracketed paste cannot
  be ended early.
- :func:`error_line`: an error or status message: one line (newlines and
  tabs become spaces), escaped as :func:`terminal`, capped at
  :data:`ERROR_MAX` characters.
- :func:`dumps_json`: ``--json`` output. UTF-8 as before, but every CONTROLS
  or INVISIBLE character is written as a ``\\uXXXX`` escape (json.dumps with
  ``ensure_ascii=False`` leaves U+009B, U+202E and lone surrogates raw): a
  terminal showing the JSON is safe and ``json.loads`` gives the data back
  exactly.
- :func:`csv_cell`, :func:`html_text`, :func:`markdown_text`: for exports.
  CONTROLS are dropped (tab and newline kept, CR dropped); a CSV cell that
  a spreadsheet would take for a formula (first character ``= + - @`` or
  tab, after that) gets a leading ``'`` (so does a negative number written
  as text: numbers themselves pass as they are); HTML is ``html.escape``-d
  (quotes too); Markdown has every character that is markup
  backslash-escaped (``<`` and ``>`` too, so no raw HTML passes).
- :func:`link_url`: whether a URL from the corpus may be an export's link
  target: only ``http``/``https`` URLs with a host and no white space,
  quote or control (never ``javascript:``, ``data:`` or ``file:``); any other
  URL is written as text.

Nothing here fetches, runs or writes anything.
"""

from __future__ import annotations

import html
import json
import re

ERROR_MAX = 500  # characters of an error or status message
CLIPBOARD_MAX = 100_000  # characters sent to the clipboard (OSC 52 payloads are limited)
_SLICE = 1 << 17  # characters of article text scanned at a time (a few ms)

# The ranges, as regex classes (kept literal: building them from unicodedata
# would scan 1.1M code points at every start; a test checks them against the
# running Python's Unicode table).
_LINES = "\t\n"  # tab and newline: kept by destinations that keep lines
_OTHER_CONTROLS = (
    "\x7f-\x9f"  # DEL, C1
    "\ud800-\udfff"  # lone surrogates (surrogateescape'd bytes of a non-UTF-8 name)
    "\u2028\u2029"  # line and paragraph separators
    "\u202a-\u202e\u2066-\u2069"  # bidi embeddings, overrides, isolates
)
_C0_BUT_LINES = "\x00-\x08\x0b-\x1f"
_INVISIBLE_RANGES = (  # category Cf, less ZWNJ/ZWJ and the bidi controls above
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b\u200e\u200f\u2060-\u2064\u206a-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
CONTROLS = re.compile(f"[{_LINES}{_C0_BUT_LINES}{_OTHER_CONTROLS}]")
INVISIBLE = re.compile(f"[{_INVISIBLE_RANGES}]")
_ANY = re.compile(f"[{_LINES}{_C0_BUT_LINES}{_OTHER_CONTROLS}{_INVISIBLE_RANGES}]")
_ANY_BUT_LINES = re.compile(f"[{_C0_BUT_LINES}{_OTHER_CONTROLS}{_INVISIBLE_RANGES}]")
_CONTROLS_BUT_LINES = re.compile(f"[{_C0_BUT_LINES}{_OTHER_CONTROLS}]")
_BREAKS = re.compile(r"[\t\n\r]+")
_FORMULA_START = ("=", "+", "-", "@", "\t")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>&])")


def escape_char(ch: str) -> str:
    """A character as a visible Python-style escape: ``\\x1b``, ``\\u202e``."""
    o = ord(ch)
    if o < 0x100:
        return f"\\x{o:02x}"
    return f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"


def _cap(s: str, limit: int | None) -> str:
    if limit is not None and len(s) > limit:
        return s[:max(limit - 1, 0)] + "…"
    return s


def terminal(s: str | None, *, lines: bool = False, limit: int | None = None) -> str:
    """Metadata (a path, a title, a name, a query) for a terminal: every
    control or invisible format character escaped visibly; with ``lines``,
    newline and tab are kept."""
    if not s:
        return ""
    s = str(s)
    pattern = _ANY_BUT_LINES if lines else _ANY
    if pattern.search(s):
        s = pattern.sub(lambda m: escape_char(m.group()), s)
    return _cap(s, limit)


def body(s: str | None) -> str:
    """Article text for a terminal: controls (tab and newline kept) become
    U+FFFD, one for one, so offsets into the text stay valid."""
    if not s:
        return ""
    # scanned in slices: a regex holds the GIL for as long as it runs, and the
    # reader scans a long article in a worker while its UI thread draws
    if not any(_CONTROLS_BUT_LINES.search(s, k, k + _SLICE) for k in range(0, len(s), _SLICE)):
        return s
    return _CONTROLS_BUT_LINES.sub("\ufffd", s)


def clipboard(s: str | None) -> str:
    """Text for the clipboard (OSC 52): escaped as :func:`terminal`, newlines
    kept inside but not at the end (a paste into a shell runs nothing by
    itself), capped at :data:`CLIPBOARD_MAX` characters."""
    s = terminal((s or "").replace("\r\n", "\n"), lines=True).rstrip("\n")
    return _cap(s, CLIPBOARD_MAX)


def error_line(s: object, limit: int = ERROR_MAX) -> str:
    """A message as one control-free line, at most ``limit`` characters."""
    text = str(s) if s is not None else ""
    return terminal(_BREAKS.sub(" ", text), limit=limit)


def _json_escape(m: re.Match) -> str:
    o = ord(m.group())
    if o < 0x10000:
        return f"\\u{o:04x}"
    o -= 0x10000  # a UTF-16 surrogate pair, as JSON spells characters above the BMP
    return f"\\u{0xD800 + (o >> 10):04x}\\u{0xDC00 + (o & 0x3FF):04x}"


def dumps_json(obj, *, indent: int | None = 2) -> str:
    """``json.dumps(obj, ensure_ascii=False)`` with every control and invisible
    format character written as a ``\\uXXXX`` escape. json.dumps escapes C0
    inside strings itself, so a raw tab or newline in its output is layout
    (``indent``) and stays; anything else matched can only be inside a string."""
    s = json.dumps(obj, ensure_ascii=False, indent=indent)
    return _ANY_BUT_LINES.sub(_json_escape, s) if _ANY_BUT_LINES.search(s) else s


def _drop_controls(s: str) -> str:
    return _CONTROLS_BUT_LINES.sub("", s) if _CONTROLS_BUT_LINES.search(s) else s


def csv_cell(value):
    """A value for a CSV cell (numbers pass as they are). Controls dropped;
    a text a spreadsheet would read as a formula (``= + - @`` or tab first)
    starts with ``'`` instead. Quoting is the csv writer's job."""
    if not isinstance(value, str):
        return value
    value = _drop_controls(value)  # first: "\x00=..." must not slip past the guard
    return "'" + value if value.startswith(_FORMULA_START) else value


def html_text(s: str | None) -> str:
    """Text for HTML (element content or a quoted attribute)."""
    return html.escape(_drop_controls(s or ""), quote=True)


def markdown_text(s: str | None, *, inline: bool = False) -> str:
    """Text for Markdown, shown literally: markup characters backslash-escaped
    (``<`` and ``>`` too, so no raw HTML); ``inline`` (a table cell, a
    heading): newlines become spaces."""
    s = _drop_controls(s or "")
    if inline:
        s = " ".join(s.splitlines())
    return _MARKDOWN.sub(r"\\\1", s)


_LINK_URL = re.compile(r"https?://[^\s/?#\"'<>`\\]+(?:[/?#][^\s\"'<>`\\]*)?",
                       re.ASCII | re.IGNORECASE)


def link_url(s: str | None) -> str | None:
    """``s`` if it may be a link target in an export (``http`` or
    ``https``, a host, no white space, quotes, angle brackets, backslash or
    control, ASCII), else None: then it is written as text."""
    if not s or _ANY.search(s) or not s.isascii():
        return None
    return s if _LINK_URL.fullmatch(s) else None
