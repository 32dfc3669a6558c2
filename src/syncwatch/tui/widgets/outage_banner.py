"""The outage banner: one line per tool in an outage, above the list, until it clears."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from syncwatch.outages import Outage
from syncwatch.present import safe_text


class OutageBanner(Static):
    """``⚡ Outage: workday: 10 of 12 failing since Nov 5 14:05, 503 Service Unavailable``,
    one line per outage; hidden when there is none. Tool names and error words come from
    data: shown literally (plain Text, made safe)."""

    DEFAULT_CSS = """
    OutageBanner {
        height: auto;
        background: $error;
        color: $text;
        text-style: bold;
        padding: 0 1;
        display: none;
    }
    """

    def show_outages(self, outages: Sequence[Outage], now: datetime) -> None:
        """Show these outages (none: the banner hides)."""
        self.display = bool(outages)
        text = Text()
        for i, outage in enumerate(outages):
            if i:
                text.append("\n")
            text.append("⚡ Outage: " + safe_text(outage.text(now)))
        self.update(text)
