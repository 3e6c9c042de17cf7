"""Every command of the reader, in one list.

The key bindings of each screen and widget, the command palette (ctrl+p),
the help screen (``?``, F1) and the README's key table are all made from
this list, so they cannot disagree. Each command has an id; the user's
keymap (``[keymap]`` in the config file) rebinds a command by its id.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Command:
    id: str  # the binding id, e.g. "reader.search"
    keys: str  # default keys, Textual names, comma-separated
    action: str  # run on the widget or screen that owns the binding ("app.…": on the app)
    title: str  # short: the footer, the palette
    help: str  # one line: the help screen, the palette
    context: str  # where it applies: one of CONTEXTS
    footer: bool = True  # shown in the footer
    palette: bool = True  # offered in the command palette (needs a no-argument screen action)


CONTEXTS = {
    "reader": "Everywhere in the reader",
    "list": "Article list",
    "article": "Article text",
    "sidebar": "Sidebar (entities and quotes)",
    "diff": "Diff screen",
    "diff-text": "Diff text (both columns scroll together)",
    "diff-report": "Spin report (beside the diff text, or below it on a narrow screen)",
    "versions": "Versions dialog",
    "versions-list": "Versions dialog's list",
    "search": "Search box",
    "save": "Naming a saved search",
    "saved": "Saved searches",
    "saved-list": "Saved searches' list",
    "help": "This help",
    "help-text": "This help's text",
    "filters": "Filter menu (F in the list)",
    "outlets": "Who republishes whom (O)",
    "outlets-list": "Who republishes whom: the table, and a pair's versions",
}

_SCROLL = [
    ("down", "j,down", "scroll_down", "Down", "scroll down a line"),
    ("up", "k,up", "scroll_up", "Up", "scroll up a line"),
    ("page-down", "space,pagedown", "page_down", "Page down", "scroll down a page"),
    ("page-up", "b,pageup", "page_up", "Page up", "scroll up a page"),
    ("top", "g,home", "scroll_home", "Top", "go to the top"),
    ("bottom", "G,end", "scroll_end", "Bottom", "go to the bottom"),
]

def _cursor(context: str, down: str, up: str, first: str, last: str) -> list[Command]:
    """The six cursor commands of a list (the article list, the sidebar)."""
    rows = [("down", "j,down", "cursor(1)", "Down", down),
            ("up", "k,up", "cursor(-1)", "Up", up),
            ("page-down", "pagedown,space", "page(1)", "Page down", "a page down"),
            ("page-up", "pageup,b", "page(-1)", "Page up", "a page up"),
            ("first", "g,home", "first", "First", first),
            ("last", "G,end", "last", "Last", last)]
    return [Command(f"{context}.{i}", k, a, t, h, context, footer=False, palette=False)
            for i, k, a, t, h in rows]


COMMANDS: list[Command] = [
    # -------------------------------------------------------------- reader
    Command("reader.search", "slash", "focus_search", "Search",
            "search the corpus (as you type; Enter to go to the results)", "reader"),
    Command("reader.saved", "apostrophe", "saved_searches", "Saved searches",
            "the saved searches: Enter runs one (save the query with ctrl+s in the box)",
            "reader", footer=False),
    Command("reader.save-search", "ctrl+s", "save_search", "Save search",
            "save the query under a name (' recalls it)", "reader", footer=False),
    Command("reader.next-hit", "n", "next_hit", "Next hit",
            "next hit of the query in the article (wraps around)", "reader"),
    Command("reader.prev-hit", "N", "prev_hit", "Prev hit",
            "previous hit of the query in the article", "reader"),
    Command("reader.versions", "v", "versions", "Versions",
            "the article's other versions (copies, near-copies, rewrites)", "reader"),
    Command("reader.diff", "d", "diff", "Diff",
            "what changed against another version, or between the two marked articles",
            "reader"),
    Command("reader.mark", "m", "mark", "Mark",
            "mark the article for a diff (mark two, then d)", "reader", footer=False),
    Command("reader.sidebar", "e", "toggle_sidebar", "Sidebar",
            "show or hide the sidebar of entities and quotes", "reader"),
    Command("reader.sidebar-wider", "greater_than_sign", "sidebar_width(4)",
            "Wider sidebar", "make the sidebar wider (shows it when hidden)", "reader",
            footer=False, palette=False),
    Command("reader.sidebar-narrower", "less_than_sign", "sidebar_width(-4)",
            "Narrower sidebar", "make the sidebar narrower (hides it at its least width)",
            "reader", footer=False, palette=False),
    Command("reader.tints", "t", "toggle_tints", "Tints",
            "tint entities and quotes in the text, or not", "reader", footer=False),
    Command("reader.open-external", "o", "open_external", "Open in $PAGER",
            "open the article read-only in $PAGER (or $EDITOR; less opens at the hits)",
            "reader", footer=False),
    Command("reader.bookmark", "B", "bookmark", "Bookmark",
            "bookmark the article (★), or drop its bookmark (F b: only the bookmarked)",
            "reader", footer=False),
    Command("reader.copy", "y,ctrl+c", "copy", "Copy",
            "copy the text selected (a mouse drag, or V), else the sidebar's quote, else the "
            "article's title and path (OSC 52)", "reader", footer=False),
    Command("reader.outlets", "O", "outlets", "Who republishes whom",
            "for each pair of sources, how many of one's articles appear as later versions "
            "at the other, by kind, after how long; Enter lists them", "reader", footer=False),
    Command("reader.help", "question_mark,f1", "help", "Help",
            "this help: every key, from the list the bindings are made of", "reader"),
    Command("reader.back", "escape", "back", "Back",
            "leave the search box; elsewhere, clear the query", "reader", footer=False,
            palette=False),
    Command("reader.next-pane", "tab", "focus_pane(1)", "Next pane",
            "cycle the panes: list, article, sidebar", "reader", footer=False, palette=False),
    Command("reader.prev-pane", "shift+tab", "focus_pane(-1)", "Previous pane",
            "cycle the panes backwards", "reader", footer=False, palette=False),
    Command("reader.quit", "q", "app.quit", "Quit", "quit variorum", "reader"),
    # -------------------------------------------------------------- search
    Command("search.older", "up", "screen.history(1)", "Older query",
            "the query before this one (the history is kept per corpus)", "search",
            footer=False, palette=False),
    Command("search.newer", "down", "screen.history(-1)", "Newer query",
            "the query after this one", "search", footer=False, palette=False),
    # ---------------------------------------------------------------- list
    *_cursor("list", "next article", "previous article", "first article", "last article"),
    Command("list.open", "enter", "choose", "Open", "read the article (focus its text)",
            "list", footer=False, palette=False),
    Command("list.sort", "S", "screen.cycle_sort", "Sort",
            "sort the list: its own order (files, or relevance), by date, by source, by title",
            "list", palette=False),
    Command("list.filter", "F", "screen.filter_menu", "Filter",
            "filter the list: versions, their kind, source, dates, bookmarks (a menu)", "list",
            palette=False),
    # ------------------------------------------------------------- article
    *[Command(f"article.{i}", k, a, t, h, "article", footer=False, palette=False)
      for i, k, a, t, h in _SCROLL],
    Command("article.select", "V", "screen.select_paragraph", "Select paragraph",
            "select the paragraph of the hit on screen (else the top one); again: and the "
            "next; y copies, Esc clears", "article", footer=False, palette=False),
    Command("article.find", "slash", "screen.find(1)", "Find",
            "find in this article, as less does (n/N: the next and previous match; Esc: "
            "the query's hits again); the list's / searches the corpus", "article",
            palette=False),
    Command("article.find-back", "question_mark", "screen.find(-1)", "Find backwards",
            "find in this article backwards from here (help: F1)", "article", footer=False,
            palette=False),
    # ------------------------------------------------------------- sidebar
    *_cursor("sidebar", "next entity or quote", "previous entity or quote", "the first item",
             "the last item"),
    Command("sidebar.choose", "enter", "choose", "Go to",
            "an entity: mark its next mention in the text; a quote: scroll to it", "sidebar",
            footer=False, palette=False),
    Command("sidebar.search", "s", "search_entity", "Search corpus",
            "search the corpus for the highlighted entity (person:\"…\")", "sidebar",
            palette=False),
    # ---------------------------------------------------------------- diff
    Command("diff.next-change", "right_square_bracket", "next_change", "Next change",
            "next change", "diff"),
    Command("diff.prev-change", "left_square_bracket", "prev_change", "Prev change",
            "previous change", "diff"),
    Command("diff.inline", "i", "toggle_inline", "Inline",
            "side by side ↔ inline (it opens inline below 120 columns)", "diff"),
    Command("diff.swap", "s", "swap", "Swap",
            "swap the direction: the second article becomes the first (− ↔ +)", "diff"),
    Command("diff.report", "r", "toggle_report", "Report",
            "show or hide the spin report (Enter on an item jumps to it)", "diff"),
    Command("diff.export", "e", "export", "Export",
            "write the diff and its spin report as an HTML page in the current directory "
            "(variorum-diff-A-B.html; never over a file: -1, -2…)", "diff", footer=False),
    Command("diff.next-pane", "tab", "app.focus_next", "Pane", "diff ↔ spin report", "diff",
            footer=False, palette=False),
    Command("diff.copy", "ctrl+c", "copy", "Copy",
            "copy the text selected with the mouse (a drag; the words of one column)",
            "diff", footer=False, palette=False),
    Command("diff.help", "question_mark,f1", "help", "Help", "this help", "diff"),
    Command("diff.close", "escape,q", "close", "Close", "back to the reader", "diff"),
    *[Command(f"diff-text.{i}", k, a, t, h, "diff-text", footer=False, palette=False)
      for i, k, a, t, h in _SCROLL],
    *_cursor("diff-report", "next item", "previous item", "the first item", "the last item"),
    Command("diff-report.choose", "enter", "choose", "Go to",
            "jump to where the item occurs (again: its next occurrence)", "diff-report",
            footer=False, palette=False),
    # ------------------------------------------------------------ versions
    Command("versions.close", "escape,v", "dismiss(None)", "Close", "close the dialog",
            "versions", palette=False),
    Command("versions.diff", "d", "diff", "Diff against it",
            "what changed against the highlighted version", "versions", palette=False),
    *_cursor("versions-list", "next version", "previous version", "the first version",
             "the last version"),
    # ------------------------------------------------------ saved searches
    Command("save.cancel", "escape", "dismiss(None)", "Cancel",
            "save nothing (Enter saves under the name typed)", "save", palette=False),
    Command("saved.close", "escape,apostrophe", "dismiss(None)", "Close", "close the list",
            "saved", palette=False),
    Command("saved.delete", "x,delete", "delete", "Delete",
            "forget the highlighted saved search", "saved", palette=False),
    *_cursor("saved-list", "next saved search", "previous saved search", "the first one",
             "the last one"),
    # ---------------------------------------------------------------- help
    *[Command(f"help-text.{i}", k, a, t, h, "help-text", footer=False, palette=False)
      for i, k, a, t, h in _SCROLL],
    Command("help.filter", "slash", "filter", "Filter",
            "type to keep only the commands that match (Esc: all again)", "help",
            palette=False),
    Command("help.close", "escape,question_mark,f1,q", "close", "Close", "close this help",
            "help", palette=False),
    # ------------------------------------------------------------- filters
    # each adds its query field to the search (or takes it out again)
    *[Command(f"filter.{i}", k, f"pick({a!r})", t, h, "filters", palette=False)
      for i, k, a, t, h in [
          ("versions", "v", "has:versions", "Has versions",
           "articles with other versions (has:versions)"),
          ("copy", "c", "kind:copy", "Copies", "articles with a word-for-word copy (kind:copy)"),
          ("near-copy", "n", "kind:near-copy", "Near-copies",
           "articles with a near-copy (kind:near-copy)"),
          ("rewrite", "r", "kind:rewrite", "Rewrites", "articles with a rewrite (kind:rewrite)"),
          ("source", "s", "source", "This source",
           "the article's source (source:\"…\") or folder (path:…)"),
          ("month", "m", "month", "This month", "the article's month (date:…)"),
          ("dates", "d", "dates", "Date range…",
           "type a range in the search box (date:[… to …])"),
          ("bookmarks", "b", "bookmarks", "Bookmarks", "only the bookmarked articles (★)"),
          ("clear", "x", "clear", "Clear", "every filter off (the query's words stay)"),
      ]],
    Command("filter.close", "escape,F", "dismiss(None)", "Close", "close the menu", "filters",
            palette=False),
    # ------------------------------------------------------------- outlets
    Command("outlets.back", "escape,q", "back", "Back",
            "from a pair's versions back to the table; from the table back to the reader",
            "outlets", palette=False),
    Command("outlets-list.open", "enter", "select", "Open",
            "a pair of sources: list its later versions; a version: what changed from the "
            "earlier one (the diff)", "outlets-list", palette=False),
    *_cursor("outlets-list", "next row", "previous row", "the first row", "the last row"),
]

BY_ID = {c.id: c for c in COMMANDS}

# Contexts whose keys are live at the same time: a pane's own, then its
# screen's (a key of the pane shadows the screen's).
SCOPES = [("reader", "list"), ("reader", "article"), ("reader", "sidebar"), ("reader", "search"),
          ("saved", "saved-list"),
          ("diff", "diff-text"), ("diff", "diff-report"), ("versions", "versions-list"),
          ("help", "help-text"), ("filters",), ("save",), ("outlets", "outlets-list")]


def conflicts(keymap: dict[str, str]) -> list[str]:
    """The keys the user's ``keymap`` gives to two commands that are live at
    once, one line each ("n: reader.quit and reader.next-hit"). The default
    keys' own overlaps are by design (a pane's key shadows its screen's) and
    are not reported."""
    out: list[str] = []
    for scope in SCOPES:
        holders: dict[str, list[str]] = {}
        for c in COMMANDS:
            if c.context in scope:
                for k in keymap.get(c.id, c.keys).split(","):
                    holders.setdefault(k.strip(), []).append(c.id)
        for key, ids in holders.items():
            line = f"{key_label(key)}: {' and '.join(ids)}"
            if len(ids) > 1 and any(i in keymap for i in ids) and line not in out:
                out.append(line)
    return out


def bindings(context: str) -> list[Binding]:
    """The bindings of one context (each with its command's id, so a keymap
    can rebind it)."""
    return [Binding(c.keys, c.action, c.title, show=c.footer, id=c.id)
            for c in COMMANDS if c.context == context]


def key_label(keys: str) -> str:
    """Textual key names as a person reads them: ``question_mark,f1`` → ``? / F1``."""
    names = {"slash": "/", "question_mark": "?", "right_square_bracket": "]",
             "left_square_bracket": "[", "less_than_sign": "<", "greater_than_sign": ">",
             "apostrophe": "'", "escape": "Esc", "enter": "Enter", "tab": "Tab",
             "shift+tab": "shift+Tab", "space": "space", "pagedown": "PgDn", "pageup": "PgUp",
             "home": "Home", "end": "End", "down": "↓", "up": "↑"}
    out = []
    for k in keys.split(","):
        k = k.strip()
        out.append(names.get(k, k.upper() if k.startswith("f") and k[1:].isdigit() else k))
    return " / ".join(out)


def keys_table(keymap: dict[str, str] | None = None) -> str:
    """The key table in Markdown (README.md holds a copy; a test keeps it current)."""
    keymap = keymap or {}
    lines = []
    for ctx, title in CONTEXTS.items():
        cmds = [c for c in COMMANDS if c.context == ctx]
        if not cmds:
            continue
        lines += [f"**{title}**", "", "| key | does | id |", "| --- | --- | --- |"]
        for c in cmds:
            keys = key_label(keymap.get(c.id, c.keys)).replace("|", "\\|")
            lines.append(f"| `{keys}` | {c.help} | `{c.id}` |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # python -m tui.commands: the README's key table
    print(keys_table(), end="")
