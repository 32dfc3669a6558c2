"""Kombo's side of an integration as Rich text: the list's badge, the "gone from Kombo"
warning, and the drill-down's issues.

Issue titles and messages come from Kombo (markdown): they go in as plain text
(``Text.append``), never parsed as markup, and through :func:`~syncwatch.present.safe_text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text
from textual.app import App

from syncwatch.limits import cap_message
from syncwatch.present import (
    ISSUE_GLYPH,
    fmt_ago,
    fmt_time,
    gone_warning,
    kombo_status_text,
    pulled_text,
    safe_text,
)
from syncwatch.rows import KomboMark
from syncwatch.tui.colours import colour_style

if TYPE_CHECKING:
    from syncwatch.tui.messages import IssueRow, UpstreamInfo

GONE_BADGE = "gone"
_BOLD = Style(bold=True)


def badge_parts(mark: KomboMark | None, deleted: bool) -> list[tuple[str, str]]:
    """The list's badge as (text, colour) parts: ``gone`` (Kombo answered 404; not for a
    deleted integration, as ``list`` does) and ``⚑N`` (N open Kombo issues)."""
    if mark is None:
        return []
    parts: list[tuple[str, str]] = []
    if mark.gone_at is not None and not deleted:
        parts.append((GONE_BADGE, "$error"))
    if mark.open_issues:
        parts.append((f"{ISSUE_GLYPH}{mark.open_issues}", "$warning"))
    return parts


def gone_text(app: App[object], gone_at: datetime, integration_id: str) -> Text:
    """The warning for an integration Kombo no longer knows."""
    return Text(
        safe_text(gone_warning(gone_at, integration_id)), colour_style(app, "$error") + _BOLD
    )


def kombo_section(
    app: App[object],
    integration_id: str,
    issues: Sequence[IssueRow],
    upstream: UpstreamInfo | None,
    deleted: bool,
    now: datetime,
) -> RenderableType | None:
    """The drill-down's Kombo part: gone upstream, what the last pull saw, and the issues
    (open first, then resolved, as the drill-down's load orders them). None when there is
    nothing from Kombo to show."""
    muted = colour_style(app, "$text-muted")
    parts: list[RenderableType] = []
    if upstream is not None and upstream.gone_at is not None and not deleted:
        parts.append(gone_text(app, upstream.gone_at, integration_id))
    if upstream is not None and (upstream.status or upstream.checked_at):
        line = Text("Kombo ", _BOLD)
        line.append(safe_text(kombo_status_text(upstream.status)))
        line.append(pulled_text(upstream.checked_at, now), muted)
        parts.append(line)
    if issues:
        n_open = sum(1 for i in issues if i.open)
        if parts:
            parts.append(Text())
        parts.append(
            Text(
                f"Kombo issues: {n_open} open, {len(issues) - n_open} resolved",
                Style(bold=True, underline=True),
            )
        )
        warning, success = colour_style(app, "$warning"), colour_style(app, "$success")
        for issue in issues:
            head = Text()
            if issue.open:
                head.append(f"{ISSUE_GLYPH} OPEN", warning + _BOLD)
            else:
                head.append("✓ RESOLVED", success)
            head.append("  ")
            head.append(safe_text(issue.title), _BOLD)
            head.append(f"  {safe_text(issue.type)}", muted)
            when = f"first observed {fmt_time(issue.first_observed_at, now)}"
            if issue.resolved_at is not None:
                when += f", resolved {fmt_time(issue.resolved_at, now)}"
            elif issue.open:
                when += f" ({fmt_ago(issue.first_observed_at, now)})"
            head.append("\n")
            head.append(when, muted)
            parts.append(head)
            if issue.message.strip():
                # Markdown from Kombo, shown as written: plain text, never markup.
                body = Text(
                    safe_text(cap_message(issue.message.strip()), multiline=True),
                    muted if not issue.open else Style(),
                )
                parts.append(body)
    if not parts:
        return None
    return Group(*parts)
