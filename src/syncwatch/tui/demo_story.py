"""Telling the demo's story in the UI: after each pass, the captions of the scripted
events the simulated clock went past (:func:`syncwatch.demo.story_beats`), then the end card."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from syncwatch.tui import notices
from syncwatch.tui.notices import Notice

if TYPE_CHECKING:
    from syncwatch.demo import Beat, DemoEngine


class StoryTeller:
    """The beats of a demo's scenario not told yet."""

    def __init__(self, beats: list[Beat], start: datetime) -> None:
        self.beats = beats
        self.start = start
        #: Beats at or before this instant were told.
        self.told_until = start

    @classmethod
    def of(cls, demo: DemoEngine | None) -> StoryTeller:
        """The demo's story (not a demo: none to tell). Call after the engine's ``setup``."""
        if demo is None:
            return cls([], datetime.min.replace(tzinfo=UTC))
        from syncwatch.demo import story_beats

        return cls(story_beats(demo.integrations, demo.script, demo.start), demo.start)

    def due(self, now: datetime) -> list[Notice]:
        """What to tell for the beats in ``(told_until, now]``: one notice for the events
        (however many), and the end card on its own."""
        if not self.beats:
            return []
        beats = [b for b in self.beats if self.told_until < b.at <= now]
        self.told_until = max(self.told_until, now)
        told = []
        events = [b.caption(self.start) for b in beats if not b.end]
        if events:
            told.append(notices.demo_story(events, end=False))
        told += [notices.demo_story([b.caption(self.start)], end=True) for b in beats if b.end]
        return told
