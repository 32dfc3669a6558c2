"""Turning the colours named in :mod:`syncwatch.states` into Rich styles for the current theme.

States name Textual theme variables (``$success``) or plain colours (``#ff8c00``). Widgets that
paint with Rich styles (the Line-API lists, the facts panels) resolve them here, against the
app's current theme, so both dark and light themes read well.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from rich.style import Style
from textual.app import App
from textual.color import Color

from syncwatch.states import IntegrationState, LogLevel

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


def state_style(app: App[object], state: IntegrationState | None) -> Style:
    """How a state's glyph and label are painted (deleted ones struck through)."""
    if state is None:
        return Style(dim=True)
    style = colour_style(app, state.info.colour)
    if state is IntegrationState.DELETED:
        style += Style(strike=True)
    return style


def level_style(app: App[object], level: str) -> Style:
    """The colour of a log level."""
    style = colour_style(app, _LEVEL_COLOURS.get(level, "$foreground"))
    if level == LogLevel.ERROR.value:
        style += Style(bold=True)
    return style
