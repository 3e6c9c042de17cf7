"""Exports of a diff (issue 14, item 4): a self-contained HTML page and a
Markdown file, each with both headers, the aligned text and the whole spin
report, worded as the CLI words it, and no way for an article's text to
become markup in them."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from conftest import SAMPLE

from index import (
    diff_html,
    diff_markdown,
    diffreport,
    export_diff,
    export_file_name,
    sanitize,
    write_new_file,
)
from index.export import WIDTH

# ------------------------------------------------------------------ helpers
# every element the HTML export writes itself: anything else came from an article
OUR_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "div",
            "section", "p", "span", "dl", "dt", "dd", "a", "table", "colgroup", "col",
            "thead", "tbody", "tr", "th", "td", "del", "ins", "ul", "li", "br"}
OUR_ATTRS = {"lang", "charset", "name", "content", "class", "title", "scope", "href", "rel"}


class Page(HTMLParser):
    """The elements of a page, its text, and every attribute."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        (self.styles if self._in_style else self.text).append(data)

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


def squash(s: str) -> str:
    return " ".join(s.split())


def nospace(s: str) -> str:
    return "".join(s.split())


def sample_diff(corpus):
    a, b = corpus.get(SAMPLE["001"]), corpus.get(SAMPLE["004"])
    return corpus.diff(a, b), a, b


# ---------------------------------------------------------------- the sample
def test_the_html_page_holds_both_headers_the_text_side_by_side_and_the_whole_report(corpus):
    r, a, b = sample_diff(corpus)
    html = diff_html(r, a, b)
    page = Page(html)
    # self-contained and printable: one inline stylesheet, no script, no external asset
    assert page.tags.count("style") == 1 and "script" not in page.tags
    assert not {"link", "img", "iframe", "object", "embed"} & set(page.tags)
    assert not [v for k, v in page.attrs if k in ("src", "href")]  # the sample has no URL
    assert ("charset", "utf-8") in page.attrs and page.tags.count("title") == 1
    css = "".join(page.styles)
    assert "@media print" in css and "break-inside: avoid" in css
    # both headers
    for art in (a, b):
        assert sanitize.html_text(art.title) in html
        assert f"<dd>{art.path}</dd>" in html and f"<dd>{art.id}</dd>" in html
    # side by side: a row per group, a marker column and the two sides
    rows = re.findall(r'<tr class="(\w+)"><td class="m" title="\w+">(.)</td>', html)
    assert len(rows) == len(r.groups)
    names = {"~": "changed", "-": "dropped", "+": "added", "↕": "moved", " ": "same"}
    assert rows == [(names[diffreport.marker(g)], diffreport.marker(g)) for g in r.groups]
    assert {c for c, _ in rows} >= {"changed", "dropped", "added"}
    assert "<td><del>While</del> Russian President" in html
    assert "<td><ins>As</ins> Russian President" in html
    # the whole spin report, in the engine's wording: every line of every section
    sections = diffreport.spin_report(r, limit=None, quote_width=WIDTH, number_width=WIDTH)
    assert {s.key for s in sections} >= {"stats", "substitutions", "entities", "quotes",
                                         "phrases", "numbers", "minor"}
    for s in sections:
        if s.heading:
            assert f"<h3>{sanitize.html_text(s.heading)}</h3>" in html
        for line in s.lines:
            assert nospace(line.plain) in nospace(page.plain), line.plain
    assert html.count("<li") == sum(len(s.lines) for s in sections if s.heading)
    assert len(r.substitutions) > 20  # all of them, not the CLI's first 20
    assert "more" not in {s.key for s in sections}


def test_the_markdown_marks_each_group_inline_and_lists_the_report(corpus):
    r, a, b = sample_diff(corpus)
    md = diff_markdown(r, a, b)
    assert md.startswith("# Diff: ")
    assert f"## − From: {sanitize.markdown_text(a.title, inline=True)}\n" in md
    assert f"## + To: {sanitize.markdown_text(b.title, inline=True)}\n" in md
    assert f"- **Path:** {sanitize.markdown_text(a.path)}\n" in md
    assert "`~` ~~While~~ **As** Russian President Vladimir Putin ~~glided~~ **drove**" in md
    sections = diffreport.spin_report(r, limit=None, quote_width=WIDTH, number_width=WIDTH)
    items = [line for s in sections if s.heading for line in s.lines]
    assert len(re.findall(r"^- (?!\*\*)", md, re.M)) == len(items)
    for s in sections:
        if s.heading:
            assert f"\n### {sanitize.markdown_text(s.heading)}\n" in md
    assert "- words   Yun Sun → Yun Soler \\(she → he\\): “But they know that China plays an " \
           "~~invaluable~~ **irreplaceable** role" in md
    # a number's sentence on a row of its item (a hard break, indented)
    assert "~~June 21, 2019~~ → \\(none\\)\\\n  − Kim Jong Un drives" in md


def test_the_terminal_report_and_the_exports_share_one_wording(corpus):
    """report_lines (the CLI) draws the engine's sections: the same lines."""
    from tui import diffrender as dr

    r, _, _ = sample_diff(corpus)
    cli = [re.sub(r"\[-|-\]|\{\+|\+\}", "", t.plain) for t in dr.report_lines(r)]
    engine = [diffreport.REPORT_TITLE]
    for s in diffreport.spin_report(r):
        engine += [s.heading] if s.heading else []
        engine += [line.plain for line in s.lines]
    assert [nospace(t) for t in cli] == [nospace(t) for t in engine]
    assert len(cli) > 40
    assert "  … " + str(len(r.substitutions) - 20) + " more" in cli


def test_render_by_name_and_the_file_name(corpus):
    r, a, b = sample_diff(corpus)
    assert export_diff("html", r, a, b) == diff_html(r, a, b)
    assert export_diff("md", r, a, b) == diff_markdown(r, a, b)
    with pytest.raises(ValueError):
        export_diff("pdf", r, a, b)
    assert export_file_name(a, b, "html") == f"variorum-diff-{a.id}-{b.id}.html"


def test_a_new_file_never_replaces_one(tmp_path):
    first = write_new_file(tmp_path, "r.html", "one")
    second = write_new_file(tmp_path, "r.html", "two")
    third = write_new_file(tmp_path, "r.html", "three")
    assert [p.name for p in (first, second, third)] == ["r.html", "r-1.html", "r-2.html"]
    assert first.read_text() == "one" and third.read_text() == "three"


# --------------------------------------------------------------- injection
HOSTILE_TITLE = ("<script>alert(1)</script> [x](javascript:alert(1)) a | b `code` "
                 "~~gone~~ **loud** &amp; &lt;b&gt;")
HOSTILE_URL = "javascript:alert(1)"
HOSTILE_BODY = [
    "# Not a heading <img src=x onerror=alert(1)> and ](javascript:alert(2)) here.",
    "The minister said the cost was 40 million | 50 million `rm -rf` ~~old~~ **new**.",
    "A plain sentence that stays the same in both versions of the text.",
    "<script>alert(3)</script> closes &#x3C;the&#x3E; story _with_ ![i](http://x/i.png).",
]
HOSTILE_BODY_B = [
    "# Not a title <svg onload=alert(1)> and ](javascript:alert(9)) here.",
    "The minister said the cost was 45 million | 55 million `rm -rf /` ~~older~~ **newer**.",
    "A plain sentence that stays the same in both versions of the text.",
    "<script>alert(4)</script> ends &#x3C;the&#x3E; tale _with_ ![j](javascript:x).",
]


@pytest.fixture
def hostile(index_folder):
    c, _ = index_folder({
        "a.json": json.dumps({"title": HOSTILE_TITLE, "url": HOSTILE_URL,
                              "source": "<b>Outlet</b> | x", "date": "2024-05-01",
                              "text": "\n\n".join(HOSTILE_BODY)}),
        "b.json": json.dumps({"title": HOSTILE_TITLE + " (2)",
                              "url": "https://example.org/a?b=1&c=2",
                              "source": "[Outlet](javascript:alert(1))", "date": "2024-05-02",
                              "text": "\n\n".join(HOSTILE_BODY_B)}),
    })
    a, b = c.get("a.json"), c.get("b.json")
    return c.diff(a, b), a, b


def test_no_article_text_becomes_html(hostile):
    r, a, b = hostile
    assert any(g.changed for g in r.groups)
    html = diff_html(r, a, b)
    page = Page(html)
    assert set(page.tags) <= OUR_TAGS, set(page.tags) - OUR_TAGS
    assert {k for k, _ in page.attrs} <= OUR_ATTRS
    assert "<script" not in html.lower() and "<img" not in html and "<svg" not in html
    assert "javascript:" not in " ".join(str(v) for _, v in page.attrs)
    # the only link: b's URL (http), its & and <> escaped in the attribute
    hrefs = [v for k, v in page.attrs if k == "href"]
    assert hrefs == ["https://example.org/a?b=1&c=2"]
    assert 'href="https://example.org/a?b=1&amp;c=2"' in html
    # a's URL is text, shown as it is
    assert "<dd>javascript:alert(1)</dd>" in html
    # the article's text reads as it was written (entities in it are text, not characters)
    assert HOSTILE_TITLE in page.plain and "&lt;b&gt;" in page.plain
    assert "<script>alert(3)</script>" in nospace(page.plain) and "&#x3C;the&#x3E;" in page.plain
    assert "<b>Outlet</b> | x" in page.plain


def test_no_article_text_becomes_markdown(hostile):
    r, a, b = hostile
    md = diff_markdown(r, a, b)
    # every markup character that is not the export's own is escaped: none
    # of these is ever the export's own markup
    for ch in "<>[]()|!&_":
        bare = [m.start() for m in re.finditer(re.escape(ch), md) if md[m.start() - 1] != "\\"]
        assert not bare, (ch, [md[i - 20:i + 20] for i in bare[:3]])
    # the article's strings, escaped whole (backticks, ~~, ** and # too)
    for s in (HOSTILE_TITLE, HOSTILE_URL, "<b>Outlet</b> | x", "[Outlet](javascript:alert(1))"):
        assert sanitize.markdown_text(s, inline=True) in md
    assert "\\`rm \\-rf\\`" in md and "\\~\\~old\\~\\~" in md and "\\*\\*new\\*\\*" in md
    # no line the article wrote starts a heading, a list or a quote
    ours = re.compile(r"^(#{1,3} (Diff: |[−+] (From|To): |The text$|Spin report$|\S)|- |`[~+↕-]` "
                      r"|  (−|\\\+) |$|\S)")
    for line in md.splitlines():
        assert ours.match(line), line
        assert not re.match(r"#+ ?Not", line) and not line.startswith(">")
    assert "\\# Not a heading" in md


@pytest.mark.parametrize("url, ok", [
    ("http://example.org/x?y=1#z", True), ("HTTPS://EXAMPLE.ORG", True),
    ("javascript:alert(1)", False), ("JavaScript:alert(1)", False), (" http://a.org", False),
    ("http://a b", False), ('http://a.org/"onmouseover=x', False), ("data:text/html,x", False),
    ("file:///etc/passwd", False), ("http:///x", False), ("//evil.org", False),
    ("http://a.org/\u202e", False), ("http://a.org/\x00", False), ("", False), (None, False),
])
def test_only_http_urls_become_links(url, ok):
    assert (sanitize.link_url(url) == url) if ok else sanitize.link_url(url) is None


def test_the_headers_say_each_articles_language():
    from index import Article, diff_html, diff_markdown
    from index.diff import diff_texts

    a = Article(id="a1", path="a.json", title="Eins", language="de", text="Der Text. Er ist kurz.")
    b = Article(id="b1", path="b.json", title="Two", text="The text. It is short.")
    r = diff_texts(a.text, b.text, a_id=a.id, b_id=b.id)
    assert "<dt>Language</dt><dd>de</dd>" in diff_html(r, a, b)
    assert diff_html(r, a, b).count("<dt>Language</dt>") == 1  # b says none
    assert "- **Language:** de" in diff_markdown(r, a, b)
