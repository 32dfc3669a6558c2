"""Facts about one integration as Rich text: shared by the preview pane and the drill-down.

Everything from the database goes in as plain text (``Text.append``), never as markup.
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
from syncwatch.store import IntegrationRow
from syncwatch.timefmt import fmt_ago, fmt_time, plural
from syncwatch.tui.colours import colour_style, state_style
from syncwatch.tui.keys import ACTION_KEYS
from syncwatch.tui.kombo_marks import KomboMark
from syncwatch.tui.widgets.integration_list import SYNC_WORDS
from syncwatch.tui.widgets.kombo import kombo_facts


def next_step_text(row: IntegrationRow) -> str:
    """The next step for the row's state, naming the key that takes it."""
    if row.state is None:
        return "Waiting for the first evaluation."
    action = NEXT_ACTION.get(row.state)
    key = ACTION_KEYS[action] if action is not None else None
    return next_step(row.state, row.id, key=key)


def title_text(app: App[object], row: IntegrationRow) -> Text:
    text = Text()
    if row.state is not None:
        text.append(
            f"{row.state.glyph} {row.state.label}", state_style(app, row.state) + Style(bold=True)
        )
        text.append("  ")
    text.append(row.organization, Style(bold=True))
    text.append("\n")
    text.append(row.id, colour_style(app, "$text-muted"))
    text.append(f"  ·  {row.tool} · {row.category} · {row.environment}")
    return text


def facts_text(
    app: App[object],
    row: IntegrationRow,
    now: datetime,
    *,
    compact: bool = False,
    kombo: KomboMark | None = None,
) -> Group:
    """Title, reason, next step and the facts behind the state (with Kombo's side: gone
    upstream, open issues)."""
    muted = colour_style(app, "$text-muted")
    label = Style(bold=True)
    why = Table.grid(padding=(0, 1))
    why.add_column(style=label, no_wrap=True)
    why.add_column()
    why.add_row("Why", Text(row.state_reason or "Not evaluated yet."))
    has_action = row.state is not None and NEXT_ACTION.get(row.state) is not None
    why.add_row(
        "Next",
        Text(next_step_text(row), colour_style(app, "$accent") if has_action else Style()),
    )

    facts = Table.grid(padding=(0, 1))
    facts.add_column(style=muted, no_wrap=True)
    facts.add_column()

    def fact(name: str, value: str, style: Style | None = None) -> None:
        facts.add_row(name, Text(value, style or Style()))

    if row.last_sync_state is not None:
        _word, colour = SYNC_WORDS[row.last_sync_state]
        fact(
            "last sync",
            f"{row.last_sync_state.value.lower().replace('_', ' ')}, ended "
            f"{fmt_time(row.last_sync_ended_at)} ({fmt_ago(row.last_sync_ended_at, now)}); "
            f"{plural(row.last_sync_warnings, 'warning')}, {plural(row.last_sync_errors, 'error')}",
            colour_style(app, colour),
        )
    else:
        fact("last sync", "none finished yet", muted)
    fact("in state since", f"{fmt_time(row.state_since)} ({fmt_ago(row.state_since, now)})")
    for name, value in kombo_facts(app, kombo, row.deleted, now, hint=compact):
        facts.add_row(name, value)
    api = row.api
    fact(
        "api view",
        "none (deleted: the API answers 404)"
        if api is None
        else f"status {api.status}, setup {api.setup_status}, qa {api.qa_status}",
    )
    fact("enabled", "yes" if row.enabled else f"no ({row.disabled_reason or 'disabled'})")
    fact("filters", "configured" if row.filters_configured else "not configured")
    if not compact:
        fact("last API request", fmt_ago(row.last_api_request_at, now))
        fact("credentials updated", fmt_ago(row.credentials_updated_at, now))
        if row.credentials_invalid_at is not None:
            fact("credentials invalid", f"since {fmt_time(row.credentials_invalid_at)}")
        fact("created", fmt_time(row.created_at, now))
    if row.deleted_at is not None:
        purge = "data purged" if row.purged_at else "data purged 14 days later"
        fact("deleted", f"{fmt_time(row.deleted_at)} ({purge}; deletion is final)")
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
