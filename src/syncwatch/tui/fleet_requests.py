"""The fleet's screens, opened and fed from the app: errors by signature, the fleet as it
was (as of), and the activity feed.

:class:`FleetRequests` is a base class of :class:`~syncwatch.tui.app.SyncwatchApp`: each
screen asks for its data with a message, a handler here runs the gateway's worker
(:mod:`.gateway`), and the loaded message is handed to the open screens. The screens never
import the app.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from syncwatch.tui.fleet_messages import (
    ErrorsWanted,
    SignatureChosen,
    SignatureHitsLoaded,
    SignaturesLoaded,
)
from syncwatch.tui.notices import Notice
from syncwatch.tui.screens.as_of import AsOfLoaded, AsOfScreen, AsOfWanted
from syncwatch.tui.screens.feed import (
    ActivityWanted,
    FeedLoaded,
    FeedScreen,
    FeedWanted,
    ShowInList,
)

if TYPE_CHECKING:
    from textual.app import App

    from syncwatch.clock import Clock
    from syncwatch.tui.gateway import Gateway
    from syncwatch.tui.model import Model
    from syncwatch.tui.screens.errors import ErrorsScreen
    from syncwatch.tui.screens.main import MainScreen

    _Base = App[int]
else:
    _Base = object

__all__ = ["FleetRequests"]


class FleetRequests(_Base):
    """Open the fleet's screens and feed them what the workers load."""

    if TYPE_CHECKING:
        clock: Clock
        gateway: Gateway
        model: Model
        main: MainScreen

        def tell(self, notice: Notice) -> None: ...
        def work(
            self, group: str, body: Callable[[], None], *, exclusive: bool = False
        ) -> None: ...

    # -- errors by signature --------------------------------------------------------------

    def action_errors(self) -> None:
        # Imported when first opened: the screen brings Textual's DataTable (16 ms of every
        # start otherwise).
        from syncwatch.tui.screens.errors import ErrorsScreen

        if not isinstance(self.screen, ErrorsScreen):
            self.push_screen(ErrorsScreen())

    def on_errors_wanted(self, _message: ErrorsWanted) -> None:
        self.work("errors", self.gateway.load_signatures)

    def errors_screens(self) -> list[ErrorsScreen]:
        """The open errors screens (none before the screen's module was first imported)."""
        module = sys.modules.get("syncwatch.tui.screens.errors")
        if module is None:
            return []
        return [s for s in self.screen_stack if isinstance(s, module.ErrorsScreen)]

    def errors_open(self) -> bool:
        """Whether an errors screen is open (its signatures are reloaded with outages)."""
        return bool(self.errors_screens())

    def on_signatures_loaded(self, message: SignaturesLoaded) -> None:
        for screen in self.errors_screens():
            screen.show_signatures(message.signatures, message.now)

    def on_signature_chosen(self, message: SignatureChosen) -> None:
        self.work("errors", partial(self.gateway.load_signature_hits, message.signature))

    def on_signature_hits_loaded(self, message: SignatureHitsLoaded) -> None:
        from syncwatch.tui.screens.errors import ErrorsScreen, SignatureHitsScreen

        if isinstance(self.screen, ErrorsScreen):
            self.push_screen(
                SignatureHitsScreen(message.signature, message.integration_ids, self.model.rows)
            )

    # -- the fleet as it was --------------------------------------------------------------

    def action_as_of(self) -> None:
        """Open the fleet as it was (read-only, stepping through the history)."""
        if not isinstance(self.screen, AsOfScreen):
            now: datetime = self.clock.now()
            self.push_screen(AsOfScreen(now))

    def on_as_of_wanted(self, message: AsOfWanted) -> None:
        self.work("as_of", partial(self.gateway.load_as_of, message.request), exclusive=True)

    def on_as_of_loaded(self, message: AsOfLoaded) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, AsOfScreen):
                screen.show_as_of(message)

    # -- the activity feed ----------------------------------------------------------------

    def feeds(self) -> list[FeedScreen]:
        """The open activity feeds."""
        return [s for s in self.screen_stack if isinstance(s, FeedScreen)]

    def on_activity_wanted(self, message: ActivityWanted) -> None:
        if not self.feeds():
            self.push_screen(FeedScreen(self.model))

    def on_feed_wanted(self, message: FeedWanted) -> None:
        # Exclusive: a page for a filter typed over is not worth finishing.
        self.work("feed", partial(self.gateway.load_feed, message.query), exclusive=True)

    def on_feed_loaded(self, message: FeedLoaded) -> None:
        for feed in self.feeds():
            feed.show_feed(message)

    def on_show_in_list(self, message: ShowInList) -> None:
        while self.screen is not self.main and len(self.screen_stack) > 1:
            self.pop_screen()
        if not self.main.reveal(message.integration_id):
            # tell() makes the id (data) safe to show.
            self.tell(
                Notice(f"{message.integration_id} is not in the list yet.", "Not shown", "warning")
            )
