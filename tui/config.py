"""The user's configuration (a TOML file) and the reader's per-corpus state.

Config, first found wins: ``--config PATH``, ``$VARIORUM_CONFIG``, else
``config.toml`` in the user config dir (``~/.config/variorum`` on Linux).
Environment variables override single settings: ``VARIORUM_THEME``,
``VARIORUM_CORPUS``, ``VARIORUM_SIDEBAR_WIDTH``, ``VARIORUM_NER``::

    theme = "textual-dark"        # any Textual theme: textual-light, nord, gruvbox, …
    corpus = "~/news"             # the default corpus
    sidebar_width = 34            # columns
    ner = "auto"                  # auto, spacy or rules

    [keymap]                      # command id = keys (see `?` in the reader, or README)
    "reader.next-hit" = "n,ctrl+n"
    "diff.inline" = "u"

A file that is missing is fine (defaults); one that cannot be read, is larger
than ``CONFIG_MAX`` or holds a bad value is reported in one line and the
defaults stand for what was bad (at most ``PROBLEMS_MAX`` lines are kept).

State (last query, last article, marks) is kept per corpus in the user state
dir, and never fails the reader: unreadable state is ignored.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from index import EXTRACTORS, config_dir, or_list, state_dir

from .commands import BY_ID, conflicts

DEFAULT_THEME = "textual-dark"
DEFAULT_SIDEBAR = 34
SIDEBAR_MIN, SIDEBAR_MAX = 20, 80
CONFIG_MAX = 64 * 1024  # bytes: a real config is a few hundred; a huge one is not read
PROBLEMS_MAX = 10  # problems reported one by one; the rest are counted


@dataclass
class Config:
    theme: str = DEFAULT_THEME
    corpus: str | None = None
    sidebar_width: int = DEFAULT_SIDEBAR
    ner: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    path: Path | None = None  # the file it came from
    problems: list[str] = field(default_factory=list)  # what was wrong, one line each


# One key of a keymap value: a key name with modifiers ("ctrl+n", "f1",
# "question_mark", "shift+tab") or a single printable character ("n", "]").
_KEY = re.compile(r"(?:(?:ctrl|shift|alt|meta|super|hyper)\+)*"
                  r"(?:[a-z][a-z0-9_]*|[^\s,\x00-\x1f\x7f-\x9f])")


def config_path(explicit: str | Path | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("VARIORUM_CONFIG")
    return Path(env).expanduser() if env else config_dir() / "config.toml"


def load_config(explicit: str | Path | None = None) -> Config:
    """Read the config; never raises: problems are collected in ``problems``."""
    cfg = Config()
    path = config_path(explicit)
    data: dict = {}
    if path.is_file():
        import tomllib  # (here: the reader without a config file does not load it)

        cfg.path = path
        try:
            with path.open("rb") as f:
                raw = f.read(CONFIG_MAX + 1)  # never more, whatever the file's size
            if len(raw) > CONFIG_MAX:
                cfg.problems.append(f"config {path}: larger than {CONFIG_MAX // 1024} KiB, "
                                    "not read; using the defaults")
            else:
                data = tomllib.loads(raw.decode("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            cfg.problems.append(f"config {path}: cannot be read ({e}); using the defaults")
            data = {}
    elif explicit:
        what = "not a regular file" if path.exists() else "no such file"
        cfg.problems.append(f"config {path}: {what}; using the defaults")
    env = {
        "theme": os.environ.get("VARIORUM_THEME"),
        "corpus": os.environ.get("VARIORUM_CORPUS"),
        "sidebar_width": os.environ.get("VARIORUM_SIDEBAR_WIDTH"),
        "ner": os.environ.get("VARIORUM_NER"),
    }
    known = {"theme", "corpus", "sidebar_width", "ner", "keymap"}
    for key in sorted(set(data) - known):
        cfg.problems.append(f"config {path}: unknown setting {key!r} (ignored)")
    where = str(path)

    theme = env["theme"] or data.get("theme")
    if theme is not None:  # a name; whether the app has it: see checked_theme
        if not isinstance(theme, str):
            cfg.problems.append(f"config {where}: unknown theme {theme!r}; "
                                f"using {DEFAULT_THEME}")
        else:
            cfg.theme = theme
    corpus = env["corpus"] or data.get("corpus")
    if corpus is not None:
        if isinstance(corpus, str) and corpus.strip():
            cfg.corpus = corpus
        else:
            cfg.problems.append(f"config {where}: corpus must be a folder path")
    width = env["sidebar_width"] or data.get("sidebar_width")
    if width is not None:
        try:
            w = int(width)
            if not SIDEBAR_MIN <= w <= SIDEBAR_MAX:
                raise ValueError
            cfg.sidebar_width = w
        except (TypeError, ValueError):
            cfg.problems.append(f"config {where}: sidebar_width must be a number from "
                                f"{SIDEBAR_MIN} to {SIDEBAR_MAX}; using {DEFAULT_SIDEBAR}")
    ner = env["ner"] or data.get("ner")
    if ner is not None:
        if ner in EXTRACTORS:
            cfg.ner = ner
        else:
            cfg.problems.append(f"config {where}: ner must be {or_list(EXTRACTORS)}")
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        cfg.problems.append(f"config {where}: [keymap] must be a table of id = \"keys\"")
        keymap = {}
    for cid, keys in keymap.items():
        if cid not in BY_ID:
            cfg.problems.append(f"config {where}: keymap: no command {cid!r} (see `?`)")
        elif not isinstance(keys, str) or not keys.strip():
            cfg.problems.append(f"config {where}: keymap: {cid} needs keys like \"n,ctrl+n\"")
        elif not all(_KEY.fullmatch(k) for k in keys.replace(" ", "").split(",")):
            cfg.problems.append(f"config {where}: keymap: {cid} = {keys!r} is not a list of "
                                f"keys like \"n,ctrl+n\" (key names: see `?`)")
        else:
            cfg.keymap[cid] = keys.replace(" ", "")
    for clash in conflicts(cfg.keymap):  # the later binding would win unsaid
        cfg.problems.append(f"config {where}: keymap: one key for two commands ({clash}); "
                            "rebind one of them")
    if len(cfg.problems) > PROBLEMS_MAX:  # each is a toast and a line on the terminal
        more = len(cfg.problems) - PROBLEMS_MAX
        cfg.problems[PROBLEMS_MAX:] = [f"config {where}: {more} more problems not shown"]
    return cfg


def checked_theme(cfg: Config, themes) -> str | None:
    """The configured theme if it is one of ``themes`` (the app's), else
    None, with the problem added to ``cfg.problems``: the one theme check."""
    if cfg.theme in themes:
        return cfg.theme
    cfg.problems.append(f"config: unknown theme {cfg.theme!r} (themes: "
                        f"{', '.join(sorted(themes))})")
    return None


# ------------------------------------------------------------------- state
def _state_file(index_dir: Path) -> Path:
    return state_dir() / "corpora" / f"{index_dir.name}.json"


def load_state(index_dir: Path) -> dict:
    """``{"query": str | None, "article": str | None, "marks": [ids]}`` of a corpus."""
    try:
        data = json.loads(_state_file(index_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_state(index_dir: Path, state: dict) -> None:
    path = _state_file(index_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # state is a convenience: never fail the reader over it
