"""``syncwatch serve --demo`` in a real headless browser (issue 16's acceptance).

Debian's Chromium loads the page from a ``serve --demo`` on a free loopback port; the test
waits (on xterm.js's own "write parsed" event, in the page) until the integration list is
drawn, saves a screenshot in its temporary folder, and checks that a state and an
organisation of the demo's data are on the page; another presses an action key and waits
for the read-only refusal. Without Chromium the tests skip, saying how to get it; under
``CI`` they fail (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from serve_support import CHROMIUM_HINT, Chromium, Page, ServeProcess, find_chromium
from syncwatch.states import STATE_INFO

#: Organisations of the demo's tour (``syncwatch.demo.scenarios``).
TOUR_ORGANISATIONS = ("Acme GmbH", "Fjordline Software AS", "Helios Retail Group plc")
#: Any state's label as the list shows it.
STATE_LABELS = "|".join(re.escape(info.label) for info in STATE_INFO.values())


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(
                f"Chromium is not installed (CI must run the browser tests): {CHROMIUM_HINT}"
            )
        pytest.skip(f"Chromium is not installed: {CHROMIUM_HINT}")
    return found


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[ServeProcess]:
    server = ServeProcess(["--demo"], home=tmp_path)
    try:
        server.wait_ready()
        yield server
    finally:
        server.close()


@pytest.fixture
async def page(chromium: str) -> AsyncIterator[Page]:
    async with Chromium.launched(chromium) as browser:
        yield await browser.new_page()


async def list_drawn(page: Page) -> str:
    """The screen once the list shows a state and an organisation of the tour."""
    organisations = "|".join(re.escape(o) for o in TOUR_ORGANISATIONS)
    return await page.wait_for_screen(f"({STATE_LABELS}).*({organisations})")


async def test_the_demo_is_drawn_in_a_real_browser(
    demo_server: ServeProcess, page: Page, tmp_path: Path
) -> None:
    await page.open(demo_server.url)
    screen = await list_drawn(page)
    shot = await page.screenshot(tmp_path / "serve-demo.png")
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    assert any(organisation in screen for organisation in TOUR_ORGANISATIONS)
    assert re.search(STATE_LABELS, screen)
    assert "READ-ONLY" in screen  # the status line says so
    assert await page.evaluate("document.title") == "syncwatch demo (tour) · read-only"


async def test_an_action_key_is_refused_in_the_browser(
    demo_server: ServeProcess, page: Page
) -> None:
    await page.open(demo_server.url)
    await list_drawn(page)
    await page.press("r")  # reactivate
    screen = await page.wait_for_screen(r"syncwatch is read-only")
    words = " ".join(re.sub(r"[^\w().:/-]+", " ", screen).split())
    assert "served read-only" in words and "--allow-actions" in words, screen
