"""The screens' footer: Textual's, composed once for a burst of binding changes.

Textual's footer composes itself again after the next refresh for each
change of bindings its screen signals (a focus, the screen resumed, ...), one
recompose a signal. The reader's start signals three, two of them at once,
and a recompose mounts and styles every key again: the footer shown is the
same after one of them as after two (it reads the screen's bindings as it
composes), so a signal while one is pending adds none (issue 15: about a
fifth of the CPU of the app's own start, from its construction to the
frame with the list).
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    _recompose_pending = False  # one is scheduled, and has not begun

    def bindings_changed(self, screen: Screen) -> None:
        if self._recompose_pending and screen is self.screen:
            return  # the one to come reads the bindings as they are then
        super().bindings_changed(screen)
        # (when Textual's schedules a recompose: the same test as its)
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._recompose_pending = True

    async def recompose(self) -> None:
        self._recompose_pending = False  # a change from now on needs another
        await super().recompose()
