"""The command palette: everything a key does, findable by name.

Made from the key table (:mod:`syncwatch.tui.keys`): each key with a palette name, on the
screen the palette was opened over, runs what pressing the key would (an operator action
that is not allowed says why), plus the list's views and sort columns by name. Entries are
plain content: nothing in a name or its help is read as markup.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from textual.actions import parse as parse_action
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.dom import DOMNode
from textual.fuzzy import Matcher
from textual.markup import escape

from syncwatch.tui.keys import APP_KEYS, DETAIL_KEYS, LIST_KEYS, Key
from syncwatch.tui.screens.detail import IntegrationScreen
from syncwatch.tui.screens.main import PALETTE_EXTRAS, MainScreen

Command = tuple[str, str, Callable[[], Awaitable[None]]]


class SyncwatchCommands(Provider):
    """Commands for the keys of the screen the palette was opened over, and the app's."""

    def commands(self) -> list[Command]:
        """(name, help, callback) of every command offered here."""
        app, screen = self.app, self.screen
        found: list[Command] = []
        if isinstance(screen, MainScreen):
            found += self._keys(screen, LIST_KEYS)
            found += [
                (name, help_text, self._runner(screen, [action]))
                for name, help_text, action in PALETTE_EXTRAS
            ]
        elif isinstance(screen, IntegrationScreen):
            found += self._keys(screen, DETAIL_KEYS)
        return self._keys(app, APP_KEYS) + found

    def _keys(self, node: DOMNode, keys: Sequence[Key]) -> list[Command]:
        """A command per named key of ``node``'s, unless ``node`` hides it (a demo's speed
        on a real clock)."""
        found: list[Command] = []
        for key in keys:
            if key.command is None:
                continue
            _namespace, name, params = parse_action(key.action)
            if node.check_action(name, params) is False:
                continue
            # Like a key press: when the key's action is disabled, the next binding of the
            # same key (an operator action's explanation) runs instead.
            chain = [k.action for k in keys if k.key == key.key]
            shown = self.app.get_key_display(Binding(key.first_key, key.action))
            found.append((f"{key.command} ({shown})", key.tooltip, self._runner(node, chain)))
        return found

    def _runner(self, node: DOMNode, actions: Sequence[str]) -> Callable[[], Awaitable[None]]:
        app = self.app

        async def run() -> None:
            for action in actions:
                if await app.run_action(action, node):
                    return

        return run

    async def discover(self) -> Hits:
        for name, help_text, callback in self.commands():
            # Plain content: a command's name or help is never read as markup.
            yield DiscoveryHit(Content(name), callback, help=escape(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self.commands():
            score, offsets = matcher.fuzzy_search.match(query, name)
            if score > 0:
                yield Hit(
                    score, _highlight(name, offsets, matcher), callback, help=escape(help_text)
                )


def _highlight(name: str, offsets: Sequence[int], matcher: Matcher) -> Content:
    """``name`` as plain content with the matched letters highlighted (Textual's own
    ``Matcher.highlight`` reads the name as markup)."""
    content = Content(name)
    for offset in offsets:
        if not name[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
