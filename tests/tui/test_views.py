"""The screens without a database: fed a model, they show it and send requests up as
messages (observed with run_test's message hook)."""

from __future__ import annotations

from pathlib import Path

from row_support import NOW, row
from textual.app import App
from textual.message import Message

import syncwatch.tui
from syncwatch.states import IntegrationState as St
from syncwatch.tui.gate import ActionGate
from syncwatch.tui.messages import DetailWanted, OpenIntegration
from syncwatch.tui.model import Model
from syncwatch.tui.screens.detail import IntegrationScreen
from syncwatch.tui.screens.main import MainScreen


class ViewApp(App[None]):
    """Shows one screen; nothing else (no store, no workers)."""

    CSS_PATH = Path(syncwatch.tui.__file__).parent / "app.tcss"

    def __init__(self, screen: MainScreen | IntegrationScreen) -> None:
        super().__init__()
        self.view = screen

    def on_mount(self) -> None:
        self.push_screen(self.view)


def of_type(sent: list[Message], kind: type[Message]) -> list[Message]:
    """The messages of ``kind`` sent, each once (the hook sees a message again as it
    bubbles up to the app)."""
    return [m for m in {id(m): m for m in sent}.values() if isinstance(m, kind)]


def a_model() -> Model:
    model = Model(NOW)
    model.apply(
        [row("a:1", St.ACTIVE, 1), row("b:2", St.SYNC_FAILING, 2), row("c:3", St.SETUP, 3)],
        full=True,
    )
    return model


async def test_the_list_shows_the_model_and_asks_to_open_a_row() -> None:
    model = a_model()
    screen = MainScreen(model, ActionGate())
    sent: list[Message] = []
    async with ViewApp(screen).run_test(size=(160, 45), message_hook=sent.append) as pilot:
        await pilot.pause()
        lst = screen.integration_list
        assert [r.id for r in lst.items] == ["b:2", "c:3", "a:1"]  # worst first
        # A change pushed down moves the row.
        changes = model.apply([row("a:1", St.CREDENTIALS_INVALID, 4)])
        screen.show_changes(changes)
        await pilot.pause()
        assert lst.items[0].id == "a:1"
        assert lst.cursor_row is not None and lst.cursor_row.id == "b:2"  # it stays on its row
        await pilot.press("home", "enter")
        await pilot.pause()
        opened = of_type(sent, OpenIntegration)
        assert [m.integration_id for m in opened] == ["a:1"]  # type: ignore[attr-defined]


async def test_the_drill_down_asks_for_its_data() -> None:
    screen = IntegrationScreen(a_model(), "b:2")
    sent: list[Message] = []
    async with ViewApp(screen).run_test(size=(160, 45), message_hook=sent.append) as pilot:
        await pilot.pause()
        wanted = of_type(sent, DetailWanted)
        assert [m.integration_id for m in wanted] == ["b:2"]  # type: ignore[attr-defined]
        await pilot.press("l")  # follow off: nothing asked
        await pilot.press("l")  # on again: asks for the newest
        await pilot.pause()
        assert len(of_type(sent, DetailWanted)) == 2
