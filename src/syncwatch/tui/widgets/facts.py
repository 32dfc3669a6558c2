"""Facts about one integration as Rich text: shared by the preview pane and the drill-down.

Everything from the database goes in as plain text (``Text.append``), never as markup,
and through :func:`~syncwatch.present.safe_text` (no control character reaches the terminal).
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import App

from syncwatch.actions import NEXT_ACTION, next_step
from syncwatch.attention import AttentionMark
from syncwatch.present import SYNC_WORDS, Tone, integration_facts, safe_text, shown_reason
from syncwatch.rows import IntegrationRow, KomboMark
from syncwatch.states import SyncState
from syncwatch.tui.colours import colour_style, state_style
from syncwatch.tui.keys import ACTION_KEYS


def next_step_text(row: IntegrationRow) -> str:
    """The next step for the row's state, naming the key that takes it."""
    if row.state is None:
        return "Waiting for the first evaluation."
    action = NEXT_ACTION.get(row.state)
    key = ACTION_KEYS[action] if action is not None else None
    return safe_text(next_step(row.state, row.id, key=key))


def title_text(app: App[object], row: IntegrationRow) -> Text:
    text = Text()
    if row.state is not None:
        text.append(
            f"{row.state.glyph} {row.state.label}", state_style(app, row.state) + Style(bold=True)
        )
        text.append("  ")
    text.append(safe_text(row.organization), Style(bold=True))
    text.append("\n")
    text.append(safe_text(row.id), colour_style(app, "$text-muted"))
    text.append(
        f"  ·  {safe_text(row.tool)} · {safe_text(row.category)} · {safe_text(row.environment)}"
    )
    return text


def _tone_style(app: App[object], tone: Tone) -> Style:
    if isinstance(tone, SyncState):
        return colour_style(app, SYNC_WORDS[tone][1])
    if tone == "plain":
        return Style()
    if tone == "muted":
        return colour_style(app, "$text-muted")
    return colour_style(app, f"${tone}") + Style(bold=tone == "error")


def facts_text(
    app: App[object],
    row: IntegrationRow,
    now: datetime,
    *,
    compact: bool = False,
    kombo: KomboMark | None = None,
    attention: AttentionMark | None = None,
) -> Group:
    """Title, reason, next step and the facts behind the state (with who acknowledged it,
    whether it is snoozed, and Kombo's side: gone upstream, open issues)."""
    muted = colour_style(app, "$text-muted")
    label = Style(bold=True)
    why = Table.grid(padding=(0, 1))
    why.add_column(style=label, no_wrap=True)
    why.add_column()
    why.add_row("Why", Text(shown_reason(row.state_reason or "Not evaluated yet.")))
    has_action = row.state is not None and NEXT_ACTION.get(row.state) is not None
    why.add_row(
        "Next",
        Text(next_step_text(row), colour_style(app, "$accent") if has_action else Style()),
    )

    facts = Table.grid(padding=(0, 1))
    facts.add_column(style=muted, no_wrap=True)
    facts.add_column()
    hint = "(Enter shows them)" if compact else "(below)"
    for fact in integration_facts(
        row, now, compact=compact, kombo=kombo, kombo_hint=hint, attention=attention
    ):
        facts.add_row(fact.name, Text(safe_text(fact.value), _tone_style(app, fact.tone)))
    return Group(title_text(app, row), Text(), why, Text(), facts)


class RenderOnce:
    """A Rich renderable rendered once per width, then replayed.

    A Static showing a Rich renderable renders it twice per update: once to measure its
    height for the layout and once to paint it. Wrapped in this, the second time (and any
    repaint) replays the segments of the first. The output is the same segments.
    """

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable
        self._rendered: dict[tuple[object, ...], tuple[list[Segment], int]] = {}

    def render(self, console: Console, options: ConsoleOptions) -> tuple[list[Segment], int]:
        """The segments at ``options`` and how many lines they make."""
        # Tables, Text and Groups depend on these options, not on the height.
        key = (
            options.max_width,
            options.min_width,
            options.highlight,
            options.markup,
            options.justify,
            options.overflow,
            options.no_wrap,
        )
        rendered = self._rendered.get(key)
        if rendered is None:
            segments = list(console.render(self.renderable, options))
            rendered = (segments, sum(text.count("\n") for text, _, _ in segments))
            self._rendered[key] = rendered
        return rendered

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        return self.render(console, options)[0]

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)
