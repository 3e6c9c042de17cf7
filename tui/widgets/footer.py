"""The screens' footer: Textual's, composed again only when what it shows changes.

Textual's footer composes itself again after the next refresh for each
change of bindings its screen signals (a focus, the screen resumed, ...), one
recompose a signal, and a recompose mounts and styles every key again. The
reader's start signals three, two of them at once (issue 15). Here a signal
while one is pending adds none (the one to come reads the bindings as they
are then), and a recompose whose keys would be the ones shown already (the
same bindings, each as enabled, with the same tooltip: most focus changes)
mounts nothing: at the reader's start the second of its two recomposes was
such a one (the same 11 keys, mounted and styled again).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey  # (Textual exports no name for its keys)


class Footer(TextualFooter):
    _recompose_pending = False  # one is scheduled, and has not begun
    _shown: tuple | None = None  # what the keys shown were composed from

    def bindings_changed(self, screen: Screen) -> None:
        if self._recompose_pending and screen is self.screen:
            return  # the one to come reads the bindings as they are then
        super().bindings_changed(screen)
        # (when Textual's schedules a recompose: the same test as its)
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._recompose_pending = True

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                # A key starts compact (its own default) and is then bound to
                # the footer's setting, not compact: each change of its class
                # styled it (and its two parts) again, twice a key. Given the
                # footer's setting before it is mounted, it is styled once.
                # (The palette's key is not bound: it stays compact, as drawn.)
                widget.set_reactive(FooterKey.compact, self.compact)
            yield widget

    def _what_is_shown(self) -> tuple:
        """Everything Textual's ``compose`` reads, as a value: the screen's
        active bindings (those not shown too: the palette's is found among
        them by its key), each with its state and tooltip, and the footer's
        own settings."""
        return (self._bindings_ready, self.compact, self.show_command_palette,
                self.combine_groups,
                tuple((key, binding, enabled, tooltip) for key, (_node, binding, enabled, tooltip)
                      in self.screen.active_bindings.items()))

    async def recompose(self) -> None:
        self._recompose_pending = False  # a change from now on needs another
        if not self.is_attached:  # (its screen is gone: Textual's does nothing)
            return await super().recompose()
        shown = self._what_is_shown()
        if shown == self._shown:
            return  # the keys on screen are those it would mount
        self._shown = shown
        await super().recompose()
