"""The summary bar (count per state) and the status line (live/paused, filters, sort).

Both are one line high whatever the width: each says as much as fits (shorter words, then
less) instead of wrapping or cutting off what comes last. Being one line high, a change
repaints that line with no layout pass.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget

from syncwatch.present import safe_text
from syncwatch.rows import IntegrationRow
from syncwatch.states import STATES_BY_SEVERITY, IntegrationState
from syncwatch.tui.colours import colour_style, state_style


class OneLine(Widget):
    """A one-line widget whose text is worked out for its width (and kept until the facts,
    the width or the theme change)."""

    DEFAULT_CSS = """
    OneLine { height: 1; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._facts: object = None
        self._text: Text = Text()
        self._made_for: object = None

    @property
    def text(self) -> Text:
        """The text shown at the current width."""
        return self._make()

    def set_facts(self, facts: object) -> None:
        """What the line says changed (or not: then nothing happens)."""
        if facts != self._facts:
            self._facts = facts
            self.refresh()

    def _make(self) -> Text:
        width = self.content_region.width or 80
        key = (self._facts, width, self.app.theme_variables)
        if key != self._made_for:
            self._made_for = key
            self._text = self.make_text(width) if self._facts is not None else Text()
        return self._text

    def make_text(self, width: int) -> Text:
        """The line for ``width`` cells."""
        raise NotImplementedError

    def render(self) -> Text:
        return self._make()

    def on_resize(self, _event: events.Resize) -> None:
        self.refresh()


def join_fitting(variants: Sequence[Sequence[Text]], separators: Sequence[str], width: int) -> Text:
    """The first variant (joined by the first separator that makes it fit) that fits in
    ``width`` cells; the last one, cut with an ellipsis, if none does."""
    for parts in variants:
        for sep in separators:
            text = Text(sep, no_wrap=True, overflow="ellipsis").join(parts)
            if text.cell_len <= width:
                return text
    text = Text(separators[-1], no_wrap=True, overflow="ellipsis").join(variants[-1])
    text.truncate(width, overflow="ellipsis")
    return text


class SummaryBar(OneLine):
    """How many integrations are in each of the nine states, worst first."""

    DEFAULT_CSS = """
    SummaryBar { background: $boost; }
    """

    def show_counts(
        self, rows: Iterable[IntegrationRow] | Mapping[IntegrationState | None, int]
    ) -> None:
        """Show the counts per state: of ``rows``, or counts the caller keeps up to date."""
        counts = rows if isinstance(rows, Mapping) else Counter(r.state for r in rows)
        self.set_facts(tuple(counts.get(state, 0) for state in STATES_BY_SEVERITY))

    def make_text(self, width: int) -> Text:
        counts = self._facts
        assert isinstance(counts, tuple)

        def item(state: IntegrationState, n: int, label: bool) -> Text:
            style = state_style(self.app, state)
            if not n:
                style = colour_style(self.app, "$text-disabled")
            text = Text(f"{state.glyph} {state.label} " if label else f"{state.glyph} ", style)
            text.append(str(n), style + Style(bold=bool(n)))
            return text

        states = list(zip(STATES_BY_SEVERITY, counts, strict=True))
        variants = [
            [item(s, n, label=i in labelled) for i, (s, n) in enumerate(states)]
            for labelled in label_sets(counts)
        ]
        return join_fitting(variants, ("   ", "  "), width)


def label_sets(counts: Sequence[int]) -> list[frozenset[int]]:
    """Which states (indexes, worst first) keep their label, from all to none: first the
    zero counts lose theirs (all together: a bar that labels one empty state but not
    another reads as if that one mattered), then the least severe state at a time. A
    narrow bar never spends its labels on a state nobody is in."""
    everything = frozenset(range(len(counts)))
    someone = [i for i in range(len(counts)) if counts[i]]
    return [everything] + [frozenset(someone[:keep]) for keep in range(len(someone), -1, -1)]


class StatusLine(OneLine):
    """Live or paused, what is filtered, how it is sorted, how many are marked."""

    DEFAULT_CSS = """
    StatusLine { color: $text-muted; }
    """

    def show_status(
        self,
        *,
        paused: bool,
        live: bool,
        interval: float,
        read_only: bool,
        shown: int,
        total: int,
        view: str,
        filter_text: str,
        show_deleted: bool,
        sort: str,
        marks: int,
        loading: tuple[int, int] | None = None,
        grouping: str | None = None,
    ) -> None:
        """``loading``: while the rows load, how many are loaded of how many (filters and
        sorting apply to those). ``grouping``: how the list is grouped, in words."""
        self.set_facts(
            (
                paused,
                live,
                interval,
                read_only,
                shown,
                total,
                view,
                filter_text,
                show_deleted,
                sort,
                marks,
                loading,
                grouping,
            )
        )

    def make_text(self, width: int) -> Text:
        facts = self._facts
        assert isinstance(facts, tuple)
        (paused, live, interval, read_only, shown, total, view) = facts[:7]
        (filter_text, show_deleted, sort, marks, loading, grouping) = facts[7:]
        app = self.app

        def parts(short: bool) -> list[Text]:
            out: list[Text] = []
            if paused:
                out.append(Text("⏸ PAUSED", colour_style(app, "$warning", bold=True)))
            elif live:
                words = f"● live {interval:g} s" if short else f"● live, every {interval:g} s"
                out.append(Text(words, colour_style(app, "$success")))
            else:
                words = "○ refresh off" if short else "○ live refresh off"
                out.append(Text(words, colour_style(app, "$text-muted")))
            if read_only:
                out.append(Text("READ-ONLY", colour_style(app, "$error", bold=True)))
            if loading is not None:
                done, of = loading
                words = f"Loading… {done:,}/{of:,}" if short else f"Loading… {done:,} of {of:,}"
                out.append(Text(words, colour_style(app, "$accent", bold=True)))
            out.append(Text(f"{shown}/{total} shown" if short else f"{shown} of {total} shown"))
            out.append(Text(f"view: {view}"))
            if filter_text:
                text = Text("filter: ")
                text.append(safe_text(filter_text), Style(bold=True))
                out.append(text)
            if not short or show_deleted:
                out.append(Text(f"deleted {'shown' if show_deleted else 'hidden'}"))
            out.append(Text(f"sort: {sort}"))
            if grouping:
                out.append(Text(grouping, Style(bold=True)))
            if marks:
                out.append(Text(f"{marks} marked", colour_style(app, "$accent", bold=True)))
            return out

        return join_fitting([parts(False), parts(True)], ("  ·  ", " · "), width)
