"""The one sanitiser for what leaves the program (index.safe), per destination."""

from __future__ import annotations

import csv
import io
import json
import sys
import unicodedata

from index import safe

# A file name an attacker would pick: a bracketed-paste end and a newline (a
# paste into a shell runs what follows), an OSC title, a BEL, an 8-bit CSI,
# a right-to-left override, a lone surrogate (a name that was not UTF-8) and
# an invisible tag character.
HOSTILE = ("a\x1b[201~\nrm -rf ~\n\x1b]0;pwn\x07b\x9b31m\u202egnp.exe\udcff\U000e0041"
           "\u200bz")
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\udcff", "\U000e0041", "\u200b")


def test_terminal_escapes_every_control_visibly_on_one_line():
    out = safe.terminal(HOSTILE)
    assert not any(c in out for c in RAW) and "\n" not in out
    assert out == ("a\\x1b[201~\\x0arm -rf ~\\x0a\\x1b]0;pwn\\x07b\\x9b31m\\u202egnp.exe"
                   "\\udcff\\U000e0041\\u200bz")
    out.encode("utf-8")  # a lone surrogate would make printing it fail
    fine = "plain ‘quoted’ café 中文 👩\u200d💻"
    assert safe.terminal(fine) == fine
    assert safe.terminal("a\tb\nc", lines=True) == "a\tb\nc"
    assert safe.terminal("x" * 50, limit=10) == "x" * 9 + "…"


def test_terminal_policy_covers_every_control_and_format_character_of_this_python():
    """The ranges are written out (no scan at start-up); they must cover all
    of Unicode's Cc, Cf, Cs, Zl and Zp as this Python knows them, less the
    joiners that scripts and emoji need."""
    kept = {"\u200c", "\u200d"}
    missed = [hex(c) for c in range(sys.maxunicode + 1)
              if unicodedata.category(chr(c)) in ("Cc", "Cf", "Cs", "Zl", "Zp")
              and chr(c) not in kept and safe.terminal(chr(c)) == chr(c)]
    assert missed == []


def test_body_keeps_offsets_lines_and_the_writing():
    text = "Para one\u00ad with soft\u200bhyphen.\n\tPara\x1b[31m two\u202e \x9b end."
    out = safe.body(text)
    assert len(out) == len(text)  # hit and entity offsets stay valid
    assert out == "Para one\u00ad with soft\u200bhyphen.\n\tPara\ufffd[31m two\ufffd \ufffd end."
    clean = "A clean body.\nTwo lines."
    assert safe.body(clean) is clean  # the usual case: one scan, no copy


def test_clipboard_cannot_end_a_bracketed_paste_or_run_a_line():
    out = safe.clipboard(HOSTILE + "\n\n")
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "\\x1b[201~" in out  # shown, so the name can still be recognised
    assert not out.endswith("\n")  # pasted into a shell, nothing runs by itself
    assert safe.clipboard("a quote\r\nover two lines") == "a quote\nover two lines"
    assert len(safe.clipboard("x" * (safe.CLIPBOARD_MAX + 10))) == safe.CLIPBOARD_MAX


def test_error_line_is_one_control_free_line():
    out = safe.error_line(f"corpus folder not found: /tmp/{HOSTILE}\n\tTraceback…")
    assert "\n" not in out and "\t" not in out and not any(c in out for c in RAW)
    assert out.startswith("corpus folder not found: /tmp/a\\x1b[201~ rm -rf ~ \\x1b]0;pwn")
    assert len(safe.error_line("y" * 10_000)) == safe.ERROR_MAX
    assert safe.error_line(" " * 100_000 + "x").endswith("…")  # linear, and capped


def test_json_escapes_what_a_terminal_would_obey_and_round_trips():
    data = {"path": HOSTILE, "n": [1, 2.5, None], "title": "Ünïcode “ok” 中文",
            "nested": {"k\u202e": "v\u2028"}}
    out = safe.dumps_json(data)
    assert not any(c in out for c in (*RAW, "\u2028"))
    assert "\\u009b" in out and "\\u202e" in out and "\\udb40\\udc41" in out
    assert "Ünïcode “ok” 中文" in out  # still UTF-8, not ASCII escapes
    assert json.loads(out) == data
    assert json.loads(safe.dumps_json(data, indent=None)) == data
    assert safe.dumps_json({"a": [1]}) == json.dumps({"a": [1]}, indent=2)


def test_csv_cells_cannot_be_formulas():
    cells = ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx",
             "\x00=1+1", "plain", 42, -3.5, None]
    out = [safe.csv_cell(c) for c in cells]
    assert out[:7] == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2+3", "'@SUM(A1)", "'\tx",
                       "x", "'=1+1"]  # CR is a control: dropped
    assert out[7:] == ["plain", 42, -3.5, None]  # numbers stay numbers
    buf = io.StringIO()
    csv.writer(buf).writerow(out)
    assert next(csv.reader(io.StringIO(buf.getvalue())))[0] == "'=HYPERLINK(\"http://x\")"


def test_html_and_markdown_show_text_literally():
    assert safe.html_text('<img src=x onerror="a()">\x1b & \'q\'') == (
        "&lt;img src=x onerror=&quot;a()&quot;&gt; &amp; &#x27;q&#x27;")
    md = safe.markdown_text("# Title [link](javascript:x) <b>*bold*</b> `code` 1. _u_\x1b")
    assert md == ("\\# Title \\[link\\]\\(javascript:x\\) \\<b\\>\\*bold\\*\\</b\\> \\`code\\` "
                  "1\\. \\_u\\_")
    assert safe.markdown_text("two\nlines", inline=True) == "two lines"
