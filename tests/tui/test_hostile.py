"""Hostile data on every UI surface, in process (the same database as
``scripts/hostile_check.py``, which checks it in a real terminal).

Organisations, tools, reasons, log lines and fields, log URLs and Kombo issue titles carry
Rich markup, escape sequences, CR, BEL, bidi overrides, zero-width characters and a 1 MB
log message. Every surface must show them literally, with nothing a terminal would act on:
no control character, no bidi or zero-width character, no link but to a plain http(s) URL.
"""

from __future__ import annotations

import importlib.util
import io
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pilot_support import notifications, run, settle
from rich.console import Console
from rich.text import Text
from textual.strip import Strip
from textual.widgets import Static

from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.limits import MESSAGE_LIMIT
from syncwatch.present import REASON_SHOWN, link_target
from syncwatch.tui.app import SyncwatchApp, run_app
from syncwatch.tui.screens.confirm import ConfirmDelete
from syncwatch.tui.screens.detail import IntegrationScreen
from syncwatch.tui.widgets.integration_list import IntegrationList
from syncwatch.tui.widgets.log_view import LogView
from syncwatch.tui.widgets.summary import OneLine
from syncwatch.tui.widgets.sync_list import SyncList
from syncwatch.tui.widgets.text_pane import TextPane

SIZE = (160, 45)
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "hostile_check.py"

#: What must never reach the terminal from data: C0/C1 controls, DEL, bidi and zero-width
#: characters, the line and paragraph separators.
UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufeff\u2028\u2029]"
)


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hostile_check", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


hostile = _load_script()
HOSTILE = hostile.HOSTILE
BY_ID = {h.id: h for h in HOSTILE}


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "hostile.db"
    hostile.build_database(path)
    return path


@pytest.fixture
def store(hostile_db: Path, tmp_path: Path) -> Store:
    copy = tmp_path / "hostile.db"
    shutil.copy(hostile_db, copy)
    s = Store.open(copy)
    yield s  # type: ignore[misc]
    s.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(hostile.NOW)


def make_app(store: Store, clock: FixedClock) -> SyncwatchApp:
    return SyncwatchApp(store, clock, live=False)


def assert_safe(text: str) -> None:
    found = UNSAFE.search(text)
    assert found is None, f"{found.group()!r} reaches the terminal in {text!r}"


def assert_safe_strip(strip: Strip) -> None:
    assert_safe(strip.text)
    for segment in strip:
        link = segment.style.link if segment.style else None
        assert link is None or link_target(link) == link, f"a link to {link!r}"


def rendered(renderable: object, width: int = 200) -> str:
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def static_text(app: SyncwatchApp, selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    return rendered(widget.content).rstrip("\n")


def the_list(app: SyncwatchApp) -> IntegrationList:
    return app.main.query_one(IntegrationList)


def row_text(app: SyncwatchApp, integration_id: str) -> Strip:
    lst = the_list(app)
    index = [r.id for r in lst.items].index(integration_id)
    return lst.render_line(1 + index)


async def open_drill_down(pilot: object, app: SyncwatchApp, integration_id: str) -> None:
    assert the_list(app).select_id(integration_id)
    await pilot.press("enter")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    assert isinstance(app.screen, IntegrationScreen)


def log_lines(app: SyncwatchApp) -> list[Strip]:
    log = app.screen.query_one(LogView)
    return [log.render_line(y) for y in range(log.size.height)]


# --------------------------------------------------------------------------- the list


async def test_every_list_row_shows_hostile_data_literally(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        for h in HOSTILE:
            line = row_text(app, h.id)
            assert_safe_strip(line)
            for text in h.in_list:
                assert text in line.text, (h.id, text, line.text)


async def test_the_preview_and_summary_show_hostile_data_literally(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        for h in HOSTILE:
            assert the_list(app).select_id(h.id)
            await pilot.pause()
            preview = static_text(app, "#preview")
            assert_safe(preview.replace("\n", " "))
            assert h.id in preview
        # A filter typed (or pasted) with an escape sequence is shown visibly too.
        the_list(app).filter_text = "Evil \x1b[2J"
        await pilot.pause()
        status = app.main.query_one("#status", OneLine)
        assert "filter: Evil ␛[2J" in status.text.plain


# --------------------------------------------------------------------------- the drill-down


async def test_every_drill_down_shows_hostile_data_literally(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        for h in HOSTILE:
            await open_drill_down(pilot, app, h.id)
            facts = app.screen.query_one(TextPane)
            assert_safe(facts.text.replace("\n", " "))
            assert h.id in facts.text
            for y in range(facts.virtual_size.height):
                assert_safe_strip(facts.render_line(y))
            lines = log_lines(app)
            for line in lines:
                assert_safe_strip(line)
            shown = facts.text + "\n" + "\n".join(line.text for line in lines)
            for text in h.in_detail:
                assert text in shown, (h.id, text)
            assert_safe(static_text(app, "#log-title"))
            await pilot.press("escape")
            await settle(pilot)


async def test_history_and_kombo_issues_show_hostile_text_literally(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await open_drill_down(pilot, app, "hostile:escape")
        text = app.screen.query_one(TextPane).text
        # The issue's title and its message (Kombo's markdown), then the history's reason.
        assert "Title ␛[2J␛[H of an issue" in text
        assert "**Evil ␛[2J␛[H Corp** ␛[2J␛[H" in text
        assert "State history" in text
        # The reason quotes the failing sync's hostile headline (the history now begins
        # failing at the Kombo sync's end, whose reason has no headline).
        assert "wiped ␛[2J␛[H the screen" in " ".join(text.split())


@pytest.mark.parametrize("integration_id", [h.id for h in HOSTILE if h.log_url])
async def test_a_log_url_is_a_link_only_when_it_is_a_plain_http_url(
    store: Store, clock: FixedClock, integration_id: str
) -> None:
    h = BY_ID[integration_id]
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await open_drill_down(pilot, app, h.id)
        syncs = app.screen.query_one(SyncList)
        syncs.move_cursor([s.id for s in syncs.items].index(f"{h.id.split(':')[1]}-kombo"))
        await settle(pilot)
        line = app.screen.query_one("#sync-url", Static).content
        assert isinstance(line, Text)
        assert h.url_shown.startswith(line.plain.rstrip()[:60])
        assert_safe(line.plain)
        links = {span.style.link for span in line.spans if not isinstance(span.style, str)}
        links.discard(None)
        plain_http = h.log_url.startswith("https://app.kombo.dev/env/")
        assert links == ({h.log_url} if plain_http else set())
        # Copying it says so with the URL shown safely (the clipboard gets it as it is).
        await pilot.press("u")
        await pilot.pause()
        copied = notifications(app)[-1]
        assert copied.markup is False
        assert_safe(copied.message.replace("\n", " "))


async def test_a_huge_log_message_and_reason_are_folded(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await open_drill_down(pilot, app, "hostile:huge")
        log = app.screen.query_one(LogView)
        width = log.scrollable_content_region.width
        # Two entries; the 1 MB one folded at MESSAGE_LIMIT characters (not 1 MB of lines).
        assert log.virtual_size.height <= 2 + (MESSAGE_LIMIT + 200) // (width - 25) + 2
        assert "HUGE A long line" in "".join(line.text for line in log_lines(app))
        log.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        # Folded between words: the space a fold falls on is not shown.
        end = " ".join(line.text.strip() for line in log_lines(app))
        assert "[cut by syncwatch: 1,0" in end
        facts = app.screen.query_one(TextPane).text
        why = facts[facts.index("Why") : facts.index("Next")]
        # The reason quotes the message as a short headline, never the whole of it.
        assert len(why) < REASON_SHOWN
        assert "HUGE A long" in why and "…" in why


# --------------------------------------------------------------------------- dialogs, toasts


async def test_the_delete_confirmation_names_the_organisation_literally(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        for integration_id, shown in (
            ("hostile:link", hostile.MARKUP_LINK),
            ("hostile:escape", "Evil ␛[2J␛[H Corp"),
            ("hostile:bidi", "<U+202E>HbmG emcA"),
        ):
            assert the_list(app).select_id(integration_id)
            await pilot.press("d")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmDelete)
            body = static_text(app, "#dialog-body")
            assert f"Delete {shown} ({integration_id})?" in body
            assert_safe(body.replace("\n", " "))
            await pilot.press("escape")
            await pilot.pause()


async def test_a_notification_names_the_organisation_literally(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        assert the_list(app).select_id("hostile:escape")
        await pilot.press("x")  # deactivate
        await settle(pilot)
        done = [n for n in notifications(app) if n.title == "Deactivate: done"]
        assert done, [n.title for n in notifications(app)]
        note = done[-1]
        assert note.markup is False
        assert "Evil ␛[2J␛[H Corp (hostile:escape) is now" in note.message
        assert_safe(note.message.replace("\n", " "))


# --------------------------------------------------------------------------- NO_COLOR, crashes


async def test_no_color_starts_on_an_empty_database(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    store = Store.open(tmp_path / "empty.db")
    try:
        app = make_app(store, clock)
        async with run(app, SIZE) as pilot:
            await settle(pilot)
            assert app.no_color
            assert "No integrations yet" in the_list(app).render_line(1).text
            await pilot.press("ctrl+q")
        assert app.return_code == 0
    finally:
        store.close()


async def test_no_color_shows_every_empty_view(
    store: Store, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        assert app.no_color
        # A filter that matches nothing.
        the_list(app).filter_text = "nothing matches this"
        await settle(pilot)
        assert "No integration matches" in the_list(app).render_line(1).text
        the_list(app).filter_text = ""
        await settle(pilot)
        # A log search that matches nothing.
        await open_drill_down(pilot, app, "hostile:close")
        await pilot.press("slash", *"zzz", "enter")
        await settle(pilot)
        assert log_lines(app)[0].text.startswith("No log entries match.")
        await pilot.press("ctrl+q")
    assert app.return_code == 0


def test_a_crash_ends_the_process_with_a_nonzero_exit_code(
    store: Store, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(self: SyncwatchApp) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(SyncwatchApp, "on_mount", crash)
    assert run_app(store, clock, headless=True) == 1
