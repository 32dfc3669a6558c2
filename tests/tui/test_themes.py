"""Every built-in theme keeps the nine states apart (issue 15, item 8): no two states share
a colour, in truecolour nor downsampled to the 256 colours many terminals show (Rich's
downgrade, which Textual's output uses). In catppuccin-latte under 256 colours, Auth failing
and Warnings were both colour 130."""

from __future__ import annotations

from itertools import combinations

import pytest
from rich.color import Color, ColorSystem
from textual.app import App
from textual.theme import BUILTIN_THEMES

from syncwatch.states import IntegrationState
from syncwatch.tui.colours import state_style

#: In the ANSI themes both are the terminal's own default foreground (the terminal's
#: palette, not ours to pick); a deleted row is also struck through, and hidden by default.
SAME_IN_ANSI = {frozenset({IntegrationState.INACTIVE, IntegrationState.DELETED})}


def cell(colour: Color | None, system: ColorSystem) -> object:
    """What a terminal with ``system`` shows for ``colour``."""
    assert colour is not None
    shown = colour.downgrade(system)
    return (shown.type, shown.number, shown.triplet)


async def state_colours(theme: str) -> dict[IntegrationState, Color | None]:
    app: App[None] = App()
    async with app.run_test() as pilot:
        app.theme = theme
        await pilot.pause()
        return {state: state_style(app, state).color for state in IntegrationState}


@pytest.mark.parametrize("theme", sorted(BUILTIN_THEMES))
@pytest.mark.parametrize("system", [ColorSystem.TRUECOLOR, ColorSystem.EIGHT_BIT])
async def test_each_theme_keeps_the_states_apart(theme: str, system: ColorSystem) -> None:
    colours = await state_colours(theme)
    same = [
        (a.name, b.name)
        for a, b in combinations(IntegrationState, 2)
        if cell(colours[a], system) == cell(colours[b], system)
        and not (theme.startswith("ansi-") and frozenset({a, b}) in SAME_IN_ANSI)
    ]
    assert same == []


async def test_catppuccin_latte_keeps_warnings_and_auth_failing_apart_in_256_colours() -> None:
    colours = await state_colours("catppuccin-latte")
    warnings = colours[IntegrationState.SYNC_HAS_WARNINGS]
    auth = colours[IntegrationState.AUTHENTICATION_FAILING]
    assert warnings is not None and auth is not None
    assert (
        warnings.downgrade(ColorSystem.EIGHT_BIT).number
        != auth.downgrade(ColorSystem.EIGHT_BIT).number
    )
