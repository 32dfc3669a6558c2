"""Textual's Footer, updated in place when only which keys are enabled changed.

Textual's Footer removes and re-mounts all its keys whenever the bindings may have changed
(focus moved, an action was enabled or disabled). In syncwatch the allowed actions change
from row to row, so moving the cursor would rebuild the footer on many key presses. This
footer works out what it would show: when only the enabled flags differ from what it shows,
it flips them on the keys it has; when nothing differs it does nothing; only when the keys
themselves change does it rebuild, as Textual's does. It looks exactly the same.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: What the footer shows: per key, (key, action, description, tooltip, enabled).
_Shown = tuple[tuple[str, str, str, str, bool], ...]


class QuietFooter(Footer):
    """A Footer that rebuilds only when its keys change, not when one is enabled or disabled."""

    #: What the last compose showed (kept up to date by in-place changes).
    _shown: _Shown | None = None

    def _wanted(self, screen: Screen[object]) -> _Shown | None:
        """The keys Footer.compose shows, in its order, with their enabled flags (None for
        grouped keys, which are laid out differently: those are always rebuilt)."""
        active = screen.active_bindings
        out: list[tuple[str, str, str, str, bool]] = []
        actions: set[str] = set()
        for _node, binding, enabled, tooltip in active.values():
            if not binding.show or binding.action in actions:
                continue
            if binding.group is not None:
                return None
            actions.add(binding.action)
            out.append((binding.key, binding.action, binding.description, tooltip, enabled))
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            palette = active.get(self.app.COMMAND_PALETTE_BINDING)
            if palette is not None:
                _node, binding, enabled, _tooltip = palette
                out.append((binding.key, binding.action, "\x00palette", "", enabled))
        return tuple(out)

    def compose(self) -> ComposeResult:
        self._shown = self._wanted(self.screen) if self._bindings_ready else None
        yield from super().compose()

    def bindings_changed(self, screen: Screen[object]) -> None:
        shown = self._shown
        if (
            shown is not None
            and self._bindings_ready
            and screen.app.app_focus
            and self.is_attached
            and screen is self.screen
        ):
            wanted = self._wanted(screen)
            if wanted is not None and _same_keys(shown, wanted):
                if shown != wanted:
                    self._set_enabled(wanted)
                    self._shown = wanted
                return
        super().bindings_changed(screen)

    def _set_enabled(self, wanted: _Shown) -> None:
        enabled = {(key, action): on for key, action, _d, _t, on in wanted}
        for footer_key in self.query(FooterKey):
            on = enabled.get((footer_key.key, footer_key.action))
            if on is None or footer_key._disabled is (not on):
                continue
            footer_key._disabled = not on
            footer_key.set_class(not on, "-disabled")


def _same_keys(a: _Shown, b: _Shown) -> bool:
    """The same keys in the same order (enabled flags aside)."""
    return len(a) == len(b) and all(x[:4] == y[:4] for x, y in zip(a, b, strict=True))
