"""Normalising article text, and making any string safe to put on a terminal."""

from __future__ import annotations

import re
import unicodedata

# ANSI/VT escape sequences introduced by ESC: CSI (ESC [ ... final), and the
# string sequences OSC (ESC ] ... BEL or ST) and DCS/SOS/PM/APC (... ST) only
# when they are terminated; other two-byte ESC sequences and a lone ESC. An
# unterminated string sequence loses only its introducer, never the text after
# it. The 8-bit C1 forms (\x9b, \x9d, \x90, ...) are single controls: in
# article text they are nearly always mis-decoded characters (double-encoded
# UTF-8 "â\x80\x9d" for ”), so only the C1 character itself goes.
_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]                      # CSI
  | \x1b\][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)     # OSC, terminated
  | \x1b[PX^_][^\x1b\x9c\n]*(?:\x1b\\|\x9c)          # DCS/SOS/PM/APC, terminated
  | \x1b[@-Z\\-_]?                              # other ESC sequences, lone ESC
    """,
    re.VERBOSE,
)
# Every C0/C1 control except tab and newline, plus DEL and the Unicode
# line/paragraph separators and bidi overrides that can reorder what is shown.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_TRAILING_WS = re.compile(r"[ \t\u00a0]+$", re.MULTILINE)


def strip_controls(s: str) -> str:
    """Remove terminal escape sequences and control characters (tab/newline kept)."""
    if not s or not _CONTROLS.search(s):  # ESC and C1 are controls: one check
        return s
    return _CONTROLS.sub("", _ESCAPES.sub("", s))


def normalize_text(s: str) -> str:
    """The canonical form of an article body.

    NFC, Unix newlines, escape sequences and control characters removed, tabs as
    spaces, trailing spaces dropped and leading/trailing blank lines trimmed.
    Paragraph breaks (single or blank-line separated) are kept as they are.
    """
    s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    if not s.isascii():
        s = _valid_unicode(s)
    s = strip_controls(s).replace("\t", " ")
    if not s.isascii() and not unicodedata.is_normalized("NFC", s):
        s = unicodedata.normalize("NFC", s)
    if " \n" in s or "\u00a0\n" in s or s.endswith((" ", "\u00a0")):
        s = _TRAILING_WS.sub("", s)
    return s.strip("\n ")


# A lone surrogate (from a JSON escape such as backslash-u-d800) is no
# character: it cannot be encoded, and the index and the store refused the
# whole run over it. It becomes U+FFFD.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Double-encoded UTF-8 (UTF-8 read as Latin-1, then encoded again) spells each
# UTF-8 sequence as Latin-1 characters: a closing quote U+201D comes as U+00E2
# U+0080 U+009D. Such a sequence is mended back into its character, but only
# when it holds a C1 character (U+0080-U+009F): text never holds those, while
# a pair like U+00C3 U+00A9 can be meant as written.
_DOUBLE_UTF8 = re.compile(
    "[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_C1 = re.compile("[\x80-\x9f]")


def _valid_unicode(s: str) -> str:
    if _SURROGATE.search(s):
        s = _SURROGATE.sub("\ufffd", s)
    if _C1.search(s):
        s = _DOUBLE_UTF8.sub(_mend, s)
    return s


def _mend(m: re.Match) -> str:
    seq = m.group()
    if not _C1.search(seq):
        return seq
    try:
        return seq.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        return seq


def one_line(s: str | None) -> str:
    """A metadata value (title, source...) as a single clean line."""
    if not s:
        return ""
    s = normalize_text(str(s))
    return " ".join(s.split())


# A language tag as BCP 47 spells it, folded: "en", "de-ch", "zh-hant-tw" ("en_US" and
# "EN-us" read as "en-us"); anything else is no language.
_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8}){0,3}")


def language_code(v) -> str | None:
    """A language tag, folded to lower case with ``-`` (None: none, or not a tag)."""
    if not isinstance(v, str):
        return None
    tag = v.strip().replace("_", "-").lower()
    return tag if _LANGUAGE_TAG.fullmatch(tag) else None
