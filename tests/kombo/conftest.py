"""Fixtures for the Kombo receiver tests: a real receiver on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kombo_support import NOW, SECRET, Client

from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.kombo.receiver import Receiver, ServerThread


@pytest.fixture
def receiver(store: Store) -> Iterator[Client]:
    """A receiver serving ``store`` on a free loopback port, on a fixed clock (NOW)."""
    with ServerThread(Receiver(store, SECRET, FixedClock(NOW))) as server:
        client = Client(server.url, store)
        yield client
        client.http.close()
