"""The Textual app: the theme, the keymap and config, and the screens.

Everything the reader does is on its screen (:mod:`tui.screens.reader`);
the diff, versions and help screens are pushed over it. The app's own part
is what spans them: the config, the command palette, and quitting.
"""

from __future__ import annotations

import functools

from textual.app import App, SystemCommand
from textual.markup import escape
from textual.screen import Screen

from index import Corpus, sanitize

from . import gctune
from .commands import COMMANDS, key_label
from .config import Config, checked_theme
from .screens.reader import WATCH_INTERVAL, ReaderScreen


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker now, while ``sys.stderr`` is
    the real one. Started later, from inside the running app (the first
    worker process: indexing, versions, NER), it would be handed the file
    descriptor of Textual's stderr capture, -1, and every worker process
    would fail to start ("bad value(s) in fds_to_keep")."""
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()


class VariorumApp(App):
    TITLE = "variorum"

    def __init__(self, corpus: Corpus, config: Config | None = None, *,
                 quiet_gc: bool = False, watch_interval: float | None = WATCH_INTERVAL,
                 **kwargs) -> None:
        """``quiet_gc``: tune the process's garbage collector for the reader
        (:mod:`tui.gctune`; the CLI does: it is the process's own app there,
        not in a test run).
        ``watch_interval``: seconds between the reader's looks at the index's
        generation (None: only when it is told to look)."""
        if quiet_gc:  # (the imports are done: see tui.gctune)
            gctune.after_imports()
        super().__init__(**kwargs)
        _start_resource_tracker()
        self.config = config or Config()
        theme = checked_theme(self.config, self.available_themes)
        if theme is not None:
            self.theme = theme
        self.set_keymap(self.config.keymap)
        self.reader = ReaderScreen(corpus, self.config, quiet_gc=quiet_gc,
                                   watch_interval=watch_interval)

    def get_default_screen(self) -> Screen:
        return self.reader

    def on_mount(self) -> None:
        for problem in self.config.problems:  # a toast: the status line moves on
            self.notify(sanitize.error_line(problem), title="config", severity="warning",
                        timeout=15, markup=False)  # config text is data, never markup

    def get_system_commands(self, screen: Screen):
        """The palette: variorum's commands (those of the screen shown: its
        ``COMMAND_CONTEXT``), each with its keys, then Textual's theme
        picker. Textual's other entries are left out: a second "Quit",
        "Maximize", "Screenshot" and "Keys" are not this reader's."""
        context = getattr(screen, "COMMAND_CONTEXT", None)
        for c in COMMANDS:
            if c.palette and c.context == context:
                keys = key_label(self.config.keymap.get(c.id, c.keys))
                yield SystemCommand(escape(c.title), escape(f"{keys}  ·  {c.help}"),
                                    functools.partial(screen.run_action, c.action))
        # (the palette reads its titles as markup: every text here is escaped,
        # a saved query or a keymap's keys being the user's data)
        for name, query in getattr(screen, "saved", {}).items():  # the reader's
            yield SystemCommand(escape(f"Saved search: {sanitize.error_line(name)}"),
                                escape(sanitize.error_line(query)),
                                functools.partial(screen.search_for, query))
        for command in super().get_system_commands(screen):
            if command.title == "Theme":
                yield command

    async def action_quit(self) -> None:
        self.reader.leave()
        await super().action_quit()
