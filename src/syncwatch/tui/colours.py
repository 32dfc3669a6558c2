"""Turning the colours named in :mod:`syncwatch.states` into Rich styles for the current theme.

States name Textual theme variables (``$success``) or plain colours (``#ff8c00``). Widgets that
paint with Rich styles (the Line-API lists, the facts panels) resolve them here, against the
app's current theme, so both dark and light themes read well.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from rich.color import ColorSystem
from rich.style import Style
from textual.app import App
from textual.color import Color

from syncwatch.states import STATES_BY_SEVERITY, IntegrationState, LogLevel

_LEVEL_COLOURS: dict[str, str] = {
    LogLevel.ERROR.value: "$error",
    LogLevel.WARNING.value: "$warning",
    LogLevel.INFO.value: "$text-muted",
}


def resolve_colour(app: App[object], spec: str, background: Color | None = None) -> Color | None:
    """A solid colour for a theme variable (``$warning``) or a CSS colour (``#ff8c00``)."""
    variables = app.theme_variables or app.get_css_variables()
    value = variables.get(spec[1:], "") if spec.startswith("$") else spec
    if not value:
        return None
    bg = background or Color.parse(variables.get("background", "#000000"))
    if value.startswith("auto"):
        # Textual's "auto N%": the text colour that contrasts with the background.
        parts = value.split()
        alpha = float(parts[1].rstrip("%")) / 100 if len(parts) > 1 else 0.95
        return bg + bg.get_contrast_text(alpha)
    try:
        colour = bg + Color.parse(value.split()[0])
    except Exception:
        return None
    return readable_on(colour, bg)


def readable_on(colour: Color, background: Color) -> Color:
    """``colour``, darkened on a light background until it stands out from it.

    State colours are tuned for dark themes; orange or green text on white is unreadable.
    """
    if background.brightness < 0.5:
        return colour
    for _ in range(8):
        if background.brightness - colour.brightness >= 0.5:
            break
        colour = colour.darken(0.08)
    return colour


#: Resolved styles per app, valid while the app's theme variables are the same dict (Textual
#: makes a new one whenever the theme changes).
_CACHE: WeakKeyDictionary[App[object], tuple[object, dict[tuple[str, bool], Style]]] = (
    WeakKeyDictionary()
)


def colour_style(app: App[object], spec: str, *, bold: bool = False) -> Style:
    """A Rich style with the resolved colour as foreground (cached per theme)."""
    variables = app.theme_variables
    cached = _CACHE.get(app)
    if cached is None or cached[0] is not variables or not variables:
        cached = (variables, {})
        _CACHE[app] = cached
    styles = cached[1]
    style = styles.get((spec, bold))
    if style is None:
        colour = resolve_colour(app, spec)
        style = Style(color=colour.rich_color if colour else None, bold=bold or None)
        if variables:
            styles[(spec, bold)] = style
    return style


def _cells(colour: Color) -> tuple[object, ...]:
    """What tells two colours apart on screen: their truecolour value, and the 256-colour
    cell a terminal without truecolour shows (Rich's downgrade, as Textual's output does)."""
    rich = colour.rich_color
    return (rich.triplet, rich.downgrade(ColorSystem.EIGHT_BIT).number)


def _apart(colour: Color, taken: list[Color], dark: bool) -> Color:
    """``colour``, or the nearest shade of it (lighter on a dark background, darker on a
    light one, then the other way) that neither in truecolour nor in 256 colours is one of
    ``taken``."""

    def clashes(c: Color) -> bool:
        mine = _cells(c)
        return any(mine[0] == other[0] or mine[1] == other[1] for other in map(_cells, taken))

    if not clashes(colour):
        return colour
    for step in range(1, 12):
        for lighter in (dark, not dark):
            shade = colour.lighten(0.04 * step) if lighter else colour.darken(0.04 * step)
            if not clashes(shade):
                return shade
    return colour


#: Each state's colour per app, valid while the theme's variables are the same dict.
_PALETTES: WeakKeyDictionary[App[object], tuple[object, dict[IntegrationState, Style]]] = (
    WeakKeyDictionary()
)


def state_palette(app: App[object]) -> dict[IntegrationState, Style]:
    """Every state's colour in the current theme, kept apart: a theme where two states
    would look the same (in catppuccin-latte under 256 colours, Auth failing and Warnings
    were both colour 130) gets the less severe one shifted to the nearest shade that is
    not taken, worst state first. Themes of ANSI colours (``ansi-dark``) are the
    terminal's own: their colours are left as they are."""
    variables = app.theme_variables
    cached = _PALETTES.get(app)
    if cached is not None and cached[0] is variables and variables:
        return cached[1]
    palette: dict[IntegrationState, Style] = {}
    taken: list[Color] = []
    background = Color.parse((variables or app.get_css_variables()).get("background", "#000"))
    for state in STATES_BY_SEVERITY:
        colour = resolve_colour(app, state.info.colour)
        if colour is not None and colour.ansi is None:
            colour = _apart(colour, taken, background.brightness < 0.5)
            taken.append(colour)
        palette[state] = Style(color=colour.rich_color if colour else None)
    if variables:
        _PALETTES[app] = (variables, palette)
    return palette


def state_style(app: App[object], state: IntegrationState | None) -> Style:
    """How a state's glyph and label are painted (deleted ones struck through)."""
    if state is None:
        return Style(dim=True)
    style = state_palette(app)[state]
    if state is IntegrationState.DELETED:
        style += Style(strike=True)
    return style


def level_style(app: App[object], level: str) -> Style:
    """The colour of a log level."""
    style = colour_style(app, _LEVEL_COLOURS.get(level, "$foreground"))
    if level == LogLevel.ERROR.value:
        style += Style(bold=True)
    return style
