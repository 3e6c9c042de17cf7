"""An OptionList that answers the reader's cursor keys (j/k, g/G, space/b).

The commands are those of :func:`tui.commands._cursor` (the same six as the
article list and the sidebar); a subclass names its context, so its keys can
be rebound by id like every other command's.
"""

from __future__ import annotations

from textual.widgets import OptionList


class CursorList(OptionList):
    """Subclasses set ``BINDINGS = bindings("their-context")``."""

    def action_cursor(self, delta: int) -> None:
        for _ in range(abs(delta)):
            self.action_cursor_down() if delta > 0 else self.action_cursor_up()

    def action_page(self, direction: int) -> None:
        self.action_page_down() if direction > 0 else self.action_page_up()
