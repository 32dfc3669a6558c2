"""The typed messages of the fleet's views: the outages found after a pass, the error
signatures and the integrations one of them hit (worker results), and the requests the
errors screen sends up to the app. (Beside :mod:`syncwatch.tui.messages`, to be folded
into it.)"""

from __future__ import annotations

from datetime import datetime

from textual.message import Message

from syncwatch.outages import Outage
from syncwatch.signatures import SignatureCount


class OutagesFound(Message):
    """The outages as of a pass (an empty list: none, or every one has cleared)."""

    def __init__(self, now: datetime, outages: list[Outage]) -> None:
        super().__init__()
        self.now = now
        self.outages = outages


class SignaturesLoaded(Message):
    """The warning and error lines counted by signature, worst first."""

    def __init__(self, now: datetime, signatures: list[SignatureCount]) -> None:
        super().__init__()
        self.now = now
        self.signatures = signatures


class SignatureHitsLoaded(Message):
    """The integrations a signature hit (their ids)."""

    def __init__(self, signature: SignatureCount, integration_ids: list[str]) -> None:
        super().__init__()
        self.signature = signature
        self.integration_ids = integration_ids


class ErrorsWanted(Message):
    """The errors screen wants the signatures (again)."""


class SignatureChosen(Message):
    """Enter on a signature: show the integrations it hit."""

    def __init__(self, signature: SignatureCount) -> None:
        super().__init__()
        self.signature = signature
