"""A diff and its spin report as a self-contained file: HTML or Markdown.

Both carry the two articles' headers (title, source, date, author, path, URL,
id), the aligned text with its changes marked, and the whole spin report,
worded as everywhere else (:mod:`index.report`). Every piece of article text
goes through the destination's sanitiser (:func:`index.safe.html_text`,
:func:`index.safe.markdown_text`); a URL is a link only when
:func:`index.safe.link_url` allows it (http/https), else it is text.

- HTML: the aligned groups side by side (a table: the group's marker, the
  first text, the second), deleted words ``<del>`` (struck, a − before them),
  inserted ``<ins>`` (bold, underlined, a + before them), a moved sentence in
  italics with ``↕`` for marker; one inline stylesheet with a light palette,
  no script, no external asset; printable (rows are not split across pages)
  and readable without its stylesheet.
- Markdown: a paragraph per group, the first version's words ``~~struck~~``
  before the second's **in bold**, a header per article, the report as lists.

Plain functions over plain data: nothing here reads the corpus or the disk,
except :func:`write_new`, which writes a file it never overwrites.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from .comparisons import DiffResult
from .labels import EXPORT_FORMATS
from .models import ArticleMeta
from .report import (
    MARKER_NAMES,
    REPORT_TITLE,
    Line,
    Part,
    group_inline,
    group_sides,
    marker,
    spin_report,
    split_trailing,
)
from .safe import html_text, link_url, markdown_text

FORMATS = EXPORT_FORMATS  # format -> file extension (index.labels: the one table)
WIDTH = 400  # characters of a quote or a number's sentence in an exported report

_FIELDS = (("Source", "source"), ("Date", "date"), ("Author", "author"), ("Language", "language"),
           ("Path", "path"),
           ("URL", "url"), ("Id", "id"))
_SIDES = (("−", "From", "from"), ("+", "To", "to"))  # sign, label, class of the two articles


def render(fmt: str, r: DiffResult, a: ArticleMeta, b: ArticleMeta) -> str:
    """The report of the diff ``r`` of ``a`` to ``b`` in ``fmt`` (a key of
    :data:`FORMATS`)."""
    if fmt == "html":
        return diff_html(r, a, b)
    if fmt == "md":
        return diff_markdown(r, a, b)
    raise ValueError(f"unknown export format: {fmt}")


def file_name(a: ArticleMeta, b: ArticleMeta, fmt: str) -> str:
    """``variorum-diff-<id a>-<id b>.<ext>`` (ids cut to their safe characters)."""
    def clean(s: str) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]", "_", s)[:40] or "_"

    return f"variorum-diff-{clean(a.id)}-{clean(b.id)}.{FORMATS[fmt]}"


def write_new(directory: str | os.PathLike, name: str, text: str) -> Path:
    """Write ``text`` to ``directory/name``, or, when that exists, to the
    first free ``stem-1.ext``, ``stem-2.ext``…: never over a file (the
    file is created exclusively, so a race loses nothing either)."""
    directory = Path(directory)
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    for n in range(0, 10_000):
        path = directory / (name if n == 0 else f"{stem}-{n}{dot}{ext}")
        try:
            with open(path, "x", encoding="utf-8", newline="\n") as f:
                f.write(text)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{directory / name}: and 9,999 numbered copies exist")


def _title(a: ArticleMeta, b: ArticleMeta) -> str:
    return f"Diff: {a.title or a.path} → {b.title or b.path}"


# --------------------------------------------------------------------- HTML
_CSS = """
:root { color-scheme: light; }
body { font: 15px/1.5 Georgia, "Times New Roman", serif; color: #1a1a1a; background: #fff;
  margin: 2em auto; max-width: 78em; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; margin-top: 1.6em; } h3 { font-size: 1.05em; }
.articles { display: flex; gap: 2em; flex-wrap: wrap; }
.article { flex: 1 1 20em; border-top: 3px solid #999; padding-top: .3em; }
.article.from { border-color: #b3261e; } .article.to { border-color: #1e7b34; }
.article h2 { margin: .2em 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .1em 1em; margin: 0; }
dt { font-weight: bold; } dd { margin: 0; overflow-wrap: anywhere; }
.sign { font-family: monospace; font-weight: bold; }
table.diff { border-collapse: collapse; width: 100%; table-layout: fixed; }
table.diff th, table.diff td { vertical-align: top; padding: .25em .5em;
  border-bottom: 1px solid #ddd; overflow-wrap: anywhere; }
table.diff th { text-align: left; border-bottom: 2px solid #999; }
table.diff col.m { width: 2em; }
td.m { font-family: monospace; font-weight: bold; text-align: center; }
tr.changed td.m { background: #fff1c2; } tr.dropped td.m { background: #fbd3d0; }
tr.added td.m { background: #cfeed6; } tr.moved td.m { background: #e4dcf5; }
tr.moved td { font-style: italic; }
del { text-decoration: line-through; background: #fbd3d0; color: #1a1a1a; }
ins { text-decoration: underline; font-weight: bold; background: #cfeed6; color: #1a1a1a; }
del::before { content: "\\2212"; font-size: .75em; vertical-align: super;
  text-decoration: none; display: inline-block; }
ins::before { content: "+"; font-size: .75em; vertical-align: super;
  text-decoration: none; display: inline-block; }
.dim { color: #555; } .note { font-style: italic; } .head { font-weight: bold; }
ul.report { padding-left: 1.2em; } ul.report li { margin: .15em 0; }
.legend { color: #333; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  tr, li, .article { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  a { color: inherit; }
  del, ins, td.m { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

_HTML_TAGS = {"delete": "del", "del": "del", "insert": "ins", "ins": "ins"}
_HTML_CLASSES = {"dim": "dim", "note": "note", "head": "head"}


def _html_parts(parts: Iterable[Part]) -> str:
    out = []
    for p in parts:
        if not p.text:
            continue
        if p.role in ("minus", "plus"):  # "\n      − ": a new row of the item, its sign
            pieces = p.text.split("\n")
            out.append(html_text(pieces[0]))
            out += ["<br>" + f'<span class="sign">{html_text(s.strip())}</span> '
                    for s in pieces[1:]]
            continue
        tag = _HTML_TAGS.get(p.role)
        if tag:
            core, trail = split_trailing(p.text)
            if core:
                out.append(f"<{tag}>{html_text(core)}</{tag}>")
            out.append(html_text(trail))
        elif p.role in _HTML_CLASSES:
            out.append(f'<span class="{_HTML_CLASSES[p.role]}">{html_text(p.text)}</span>')
        else:
            out.append(html_text(p.text))
    return "".join(out)


def _html_line(line: Line) -> str:
    cls = ' class="dim"' if line.role == "dim" else ""  # (a bold line reads as a heading)
    return f"<li{cls}>{_html_parts(line.parts).strip()}</li>"


def _html_value(field: str, value: str) -> str:
    if field == "url":
        target = link_url(value)
        if target:
            return f'<a href="{html_text(target)}" rel="noreferrer noopener">{html_text(value)}</a>'
    return html_text(value)


def _html_article(sign: str, label: str, cls: str, art: ArticleMeta) -> str:
    rows = "".join(f"<dt>{name}</dt><dd>{_html_value(field, str(value))}</dd>"
                   for name, field in _FIELDS if (value := getattr(art, field, None)))
    return (f'<section class="article {cls}"><p><span class="sign">{sign}</span> {label}</p>'
            f"<h2>{html_text(art.title or art.path)}</h2><dl>{rows}</dl></section>")


def diff_html(r: DiffResult, a: ArticleMeta, b: ArticleMeta) -> str:
    """The diff of ``a`` to ``b`` as one self-contained HTML page."""
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<meta name="generator" content="variorum">',
           f"<title>{html_text(_title(a, b))}</title>", f"<style>{_CSS}</style>", "</head>",
           "<body>", f"<h1>{html_text(_title(a, b))}</h1>", '<div class="articles">']
    out += [_html_article(sign, label, cls, art)
            for (sign, label, cls), art in zip(_SIDES, (a, b), strict=True)]
    out += ["</div>", "<h2>The text</h2>",
            '<p class="legend">Words of the first version only are <del>struck out</del>, '
            "words of the second only <ins>underlined</ins>; each group of sentences has a "
            "marker: ~ changed, - dropped, + added, ↕ moved (in italics).</p>",
            '<table class="diff"><colgroup><col class="m"><col><col></colgroup>',
            '<thead><tr><th scope="col"><span title="change">±</span></th>'
            f'<th scope="col"><span class="sign">−</span> {html_text(a.title or a.path)}</th>'
            f'<th scope="col"><span class="sign">+</span> {html_text(b.title or b.path)}</th>'
            "</tr></thead>", "<tbody>"]
    for g in r.groups:
        m = marker(g)
        name = MARKER_NAMES[m]
        left, right = group_sides(g)
        out.append(f'<tr class="{name}"><td class="m" title="{name}">{html_text(m)}</td>'
                   f"<td>{_html_parts(left) if g.a else ''}</td>"
                   f"<td>{_html_parts(right) if g.b else ''}</td></tr>")
    out += ["</tbody></table>", f"<h2>{REPORT_TITLE}</h2>"]
    for section in spin_report(r, limit=None, quote_width=WIDTH, number_width=WIDTH):
        if section.heading:
            out.append(f"<h3>{html_text(section.heading)}</h3>")
            out.append('<ul class="report">')
            out += [_html_line(line) for line in section.lines]
            out.append("</ul>")
        else:
            out += [f'<p class="{_HTML_CLASSES.get(line.role, "plain")}">'
                    f"{_html_parts(line.parts).strip()}</p>" for line in section.lines]
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


# ----------------------------------------------------------------- Markdown
def _md_parts(parts: Iterable[Part]) -> str:
    out = []
    for p in parts:
        if p.role in ("minus", "plus"):
            pieces = p.text.split("\n")
            out.append(markdown_text(pieces[0], inline=True))
            out += ["\\\n  " + markdown_text(s.strip(), inline=True) + " " for s in pieces[1:]]
            continue
        if p.role in ("delete", "del", "insert", "ins"):
            core, trail = split_trailing(p.text)
            mark = "~~" if p.role in ("delete", "del") else "**"
            if core:
                out.append(mark + markdown_text(core, inline=True) + mark)
            out.append(" " if trail else "")
        else:
            out.append(markdown_text(p.text, inline=True))
    return "".join(out)


def _md_article(sign: str, label: str, art: ArticleMeta) -> list[str]:
    out = [f"## {sign} {label}: {markdown_text(art.title or art.path, inline=True)}", ""]
    out += [f"- **{name}:** {markdown_text(str(value), inline=True)}"
            for name, field in _FIELDS if (value := getattr(art, field, None))]
    return [*out, ""]


def diff_markdown(r: DiffResult, a: ArticleMeta, b: ArticleMeta) -> str:
    """The diff of ``a`` to ``b`` as Markdown."""
    out = [f"# {markdown_text(_title(a, b), inline=True)}", ""]
    for (sign, label, _), art in zip(_SIDES, (a, b), strict=True):
        out += _md_article(sign, label, art)
    out += ["## The text", "",
            "Words of the first version only are ~~struck out~~, words of the second only "
            "**in bold**; a changed group of sentences starts with its marker: `~` changed, "
            "`-` dropped, `+` added, `↕` moved.", ""]
    for g in r.groups:
        m = marker(g)
        text = _md_parts(group_inline(g)).strip()
        out += [(f"`{m}` " if m != " " else "") + text, ""]
    out += [f"## {REPORT_TITLE}", ""]
    for section in spin_report(r, limit=None, quote_width=WIDTH, number_width=WIDTH):
        if section.heading:
            out += [f"### {markdown_text(section.heading, inline=True)}", ""]
            out += ["- " + _md_parts(line.parts).strip() for line in section.lines]
        else:
            out += [_md_parts(line.parts).strip() for line in section.lines]
        out.append("")
    return "\n".join(out)
