"""Grouping the list by tool or organisation (``b``): group rows with their counts per
state, opening and closing them, marks on a group, refreshes, hostile names (pilot)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from pilot_support import notifications, run, settle
from row_support import NOW, row
from test_views import ViewApp, of_type
from textual.message import Message

from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.importer import import_parsed, parse_bytes
from syncwatch.rows import IntegrationRow
from syncwatch.states import IntegrationState as St
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.gate import ActionGate
from syncwatch.tui.messages import OpenIntegration
from syncwatch.tui.model import Model
from syncwatch.tui.screens.main import MainScreen
from syncwatch.tui.widgets.groups import GroupRow
from syncwatch.tui.widgets.integration_list import IntegrationList
from syncwatch.tui.widgets.summary import StatusLine

SIZE = (160, 45)


def fleet() -> list[IntegrationRow]:
    """workday: 3 failing, 1 active, 1 inactive, 1 deleted; greenhouse: a QA hold and an
    active one; personio: warnings and an active one. Acme GmbH has a failing Workday and
    an active Personio."""
    gone = NOW - timedelta(hours=1)
    return [
        row("workday:w1", St.SYNC_FAILING, 1, organization="Acme GmbH"),
        row("workday:w2", St.SYNC_FAILING, 1, organization="Birch AG"),
        row("workday:w3", St.SYNC_FAILING, 1, organization="Cedar Ltd"),
        row("workday:w4", St.ACTIVE, 1, organization="Dune SA"),
        row("workday:w5", St.INACTIVE, 1, organization="Elm BV", enabled=False),
        row("workday:w6", St.DELETED, 1, organization="Fir Oy", deleted_at=gone),
        row("greenhouse:g1", St.QUALITY_ASSURANCE, 1, organization="Gale Inc"),
        row("greenhouse:g2", St.ACTIVE, 1, organization="Hazel plc"),
        row("personio:p1", St.ACTIVE, 1, organization="Acme GmbH"),
        row("personio:p2", St.SYNC_HAS_WARNINGS, 1, organization="Iris KG"),
    ]


def a_screen(rows: list[IntegrationRow] | None = None) -> tuple[Model, MainScreen]:
    model = Model(NOW)
    model.apply(fleet() if rows is None else rows, full=True)
    return model, MainScreen(model, ActionGate())


def lines(lst: IntegrationList) -> list[str]:
    """The list's lines as the terminal shows them (header first)."""
    return ["".join(s.text for s in lst.render_line(y)) for y in range(1 + len(lst.items))]


def line_of(lst: IntegrationList, name: str) -> str:
    """The group row of ``name``."""
    return next(line for line in lines(lst)[1:] if f"▸ {name} " in line or f"▾ {name} " in line)


def ids(lst: IntegrationList) -> list[str]:
    """What the list shows, group rows as ``[name]``."""
    return [f"[{i.key}]" if isinstance(i, GroupRow) else i.id for i in lst.items]


def status(screen: MainScreen) -> str:
    return screen.query_one(StatusLine).text.plain


async def test_b_cycles_the_grouping_and_each_group_row_counts_its_states() -> None:
    _model, screen = a_screen()
    async with ViewApp(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        lst = screen.integration_list
        assert "grouped" not in status(screen)
        await pilot.press("b")
        # Closed, worst group first: Failing, then QA hold, then Warnings.
        assert ids(lst) == ["[workday]", "[greenhouse]", "[personio]"]
        assert "grouped by tool" in status(screen)
        workday = line_of(lst, "workday")
        # 3 of its 5 live integrations fail (the deleted one is left out, as fleet does).
        assert "3/5 ✖ Failing" in workday
        assert "✖ 3" in workday and "○ 1" in workday and "● 1" in workday
        assert "✝" not in workday and "shown" not in workday
        assert "1/2 ◆ QA hold" in line_of(lst, "greenhouse")
        assert "1/2 ▲ Warnings" in line_of(lst, "personio")
        # The status line still counts integrations, not lines.
        assert "9 of 10 shown" in status(screen)

        await pilot.press("b")
        assert "grouped by organisation" in status(screen)
        groups = [g.key for g in lst.groups]
        assert groups[0] == "Acme GmbH"  # a failing integration, and 2 of them
        assert "1/2 ✖ Failing" in line_of(lst, "Acme GmbH")
        assert "Fir Oy" not in groups  # only a deleted integration: hidden with it

        await pilot.press("b")
        assert "grouped" not in status(screen)
        assert all(not isinstance(i, GroupRow) for i in lst.items)
        assert len(lst.items) == 9


async def test_groups_open_and_close_and_members_follow_the_lists_sort() -> None:
    _model, screen = a_screen()
    sent: list[Message] = []
    async with ViewApp(screen).run_test(size=SIZE, message_hook=sent.append) as pilot:
        await pilot.pause()
        lst = screen.integration_list
        await pilot.press("b", "home", "enter")  # enter on a group's row opens it
        # Worst first inside the group too: failing, inactive, active.
        assert ids(lst)[:6] == [
            "[workday]", "workday:w1", "workday:w2", "workday:w3", "workday:w5", "workday:w4",
        ]  # fmt: skip
        assert line_of(lst, "workday").lstrip().startswith("▾ workday")
        assert not of_type(sent, OpenIntegration)  # nothing was opened
        assert lst.cursor_group is not None and lst.cursor_group.key == "workday"
        # Sorted by organisation, the members follow (reversed: back to front).
        await pilot.press("s")
        await pilot.press("S")
        assert ids(lst)[1:6] == [
            "workday:w5", "workday:w4", "workday:w3", "workday:w2", "workday:w1",
        ]  # fmt: skip
        assert ids(lst)[0] == "[workday]"  # groups stay worst first
        await pilot.press("S")
        # left on an integration closes its group and puts the cursor on the group's row.
        await pilot.press("down", "down")
        assert lst.cursor_row is not None and lst.cursor_row.id == "workday:w2"
        await pilot.press("left")
        assert ids(lst) == ["[workday]", "[greenhouse]", "[personio]"]
        assert lst.cursor == 0
        await pilot.press("right")
        assert "workday:w1" in ids(lst)
        # z opens every group, then closes them all.
        await pilot.press("z")
        assert len(lst.items) == 3 + 9
        await pilot.press("z")
        assert ids(lst) == ["[workday]", "[greenhouse]", "[personio]"]
        # enter on an integration still opens it.
        await pilot.press("down", "l", "down", "enter")
        await pilot.pause()
        opened = of_type(sent, OpenIntegration)
        assert [m.integration_id for m in opened] == ["greenhouse:g1"]  # type: ignore[attr-defined]


async def test_filters_apply_to_members_and_the_counts_say_how_many_are_shown() -> None:
    _model, screen = a_screen()
    async with ViewApp(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        lst = screen.integration_list
        await pilot.press("b", "v")  # needs attention
        workday = line_of(lst, "workday")
        assert "3/5 ✖ Failing" in workday and "(3 of 5 shown)" in workday
        assert "(1 of 2 shown)" in line_of(lst, "greenhouse")
        await pilot.press("v")  # only failing: groups without a failing member go
        assert ids(lst) == ["[workday]"]
        await pilot.press("v", "full_stop")  # all, deleted shown: 6 of the 6 there are
        assert "shown" not in line_of(lst, "workday")
        await pilot.press("home", "enter")
        assert "workday:w6" in ids(lst)
        screen.integration_list.filter_text = "birch"
        await pilot.pause()
        assert ids(lst) == ["[workday]", "workday:w2"]
        assert "(1 of 6 shown)" in line_of(lst, "workday")


async def test_a_group_row_offers_no_action_and_marking_it_marks_its_shown_members() -> None:
    _model, screen = a_screen()
    async with ViewApp(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        lst = screen.integration_list
        await pilot.press("b", "home")
        assert screen.action_targets() == []
        assert screen.gate.enabled(screen.action_targets()) == frozenset()
        await pilot.press("v")  # needs attention: the failing three
        await pilot.press("home", "space")
        assert lst.marks == {"workday:w1", "workday:w2", "workday:w3"}
        assert line_of(lst, "workday").startswith("* ")
        assert {r.id for r in screen.action_targets()} == lst.marks
        assert "3 marked" in status(screen)
        await pilot.press("v", "v")  # all again: workday has 5 shown, 3 marked
        assert line_of(lst, "workday").startswith("+ ")
        await pilot.press("home", "space")  # not all marked: marks all five
        assert lst.marks == {f"workday:w{i}" for i in range(1, 6)}
        await pilot.press("home", "space")  # all marked: unmarks them
        assert lst.marks == set()


async def test_a_refresh_keeps_open_groups_and_the_cursor_on_its_row() -> None:
    model, screen = a_screen()
    async with ViewApp(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        lst = screen.integration_list
        await pilot.press("b", "home", "enter", "down", "down")
        assert lst.cursor_row is not None and lst.cursor_row.id == "workday:w2"
        # w2 recovers (moves down among workday's members), w1 too.
        w1, w2 = (model.rows[f"workday:w{i}"] for i in (1, 2))
        screen.show_changes(
            model.apply(
                [replace(w1, state=St.ACTIVE, revision=2), replace(w2, state=St.ACTIVE, revision=2)]
            )
        )
        await pilot.pause()
        assert lst.cursor_row is not None and lst.cursor_row.id == "workday:w2"
        assert line_of(lst, "workday").lstrip().startswith("▾")
        assert "1/5 ✖ Failing" in line_of(lst, "workday")
        # The cursor on a group's row stays on it when the groups reorder.
        greenhouse = lst.groups[1].key
        lst.move_cursor(lst.items.index(lst.groups[1]))
        w3 = model.rows["workday:w3"]
        screen.show_changes(model.apply([replace(w3, state=St.ACTIVE, revision=3)]))
        await pilot.pause()
        assert lst.groups[0].key == "greenhouse"  # workday has no failure left
        assert lst.cursor_group is not None and lst.cursor_group.key == greenhouse
        assert "workday:w2" in ids(lst)  # still open


async def test_group_names_are_shown_as_typed() -> None:
    hostile = [
        row("x1", St.SYNC_FAILING, 1, tool="[bold]x", organization="[red]Red[/red] Org"),
        row("x2", St.ACTIVE, 1, tool="evil\x1b]0;pwned\x07tool", organization="Plain"),
    ]
    _model, screen = a_screen(hostile)
    async with ViewApp(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        lst = screen.integration_list
        await pilot.press("b")
        shown = "\n".join(lines(lst))
        assert "▸ [bold]x " in shown
        assert "\x1b" not in shown and "\x07" not in shown
        assert "evil" in shown
        await pilot.press("b")
        assert "▸ [red]Red[/red] Org" in "\n".join(lines(lst))


async def test_grouped_at_80_columns_the_counts_stay_on_the_line() -> None:
    _model, screen = a_screen()
    async with ViewApp(screen).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lst = screen.integration_list
        await pilot.press("b")
        workday = line_of(lst, "workday")
        assert "3/5 ✖ Failing" in workday and "● 1" in workday


async def test_a_tool_with_only_deleted_integrations_shows_last_with_deleted_shown() -> None:
    gone = NOW - timedelta(hours=2)
    _model, screen = a_screen([*fleet(), row("lever:l1", St.DELETED, 1, deleted_at=gone)])
    async with ViewApp(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        lst = screen.integration_list
        await pilot.press("b")
        assert "[lever]" not in ids(lst)
        await pilot.press("full_stop")
        assert ids(lst) == ["[workday]", "[greenhouse]", "[personio]", "[lever]"]
        assert "no live integration" in line_of(lst, "lever")


async def test_an_action_on_a_marked_group_applies_to_its_integrations(tmp_path: Path) -> None:
    """The point of marking a group: "deactivate all Workday integrations"."""

    def record(iid: str) -> dict[str, object]:
        return {
            "id": iid,
            "tool": iid.split(":")[0],
            "category": "HRIS",
            "organization": f"Org {iid}",
            "created_at": "2026-11-01T09:00:00Z",
            "filters_configured": True,
            "qa_status": "PASSED",
        }

    store = Store.open(tmp_path / "group.db")
    doc = {"integrations": [record(i) for i in ("workday:a", "workday:b", "personio:c")]}
    import_parsed(store, [parse_bytes(json.dumps(doc).encode(), "g.json")], NOW)
    app = SyncwatchApp(store, FixedClock(NOW), live=False)
    app.PREBUILD_DETAIL_AFTER = None
    try:
        async with run(app) as pilot:
            await settle(pilot)
            await pilot.press("b", "home")
            lst = app.main.integration_list
            assert lst.cursor_group is not None
            # On a group's row an action needs an integration: it says so, nothing changes.
            await pilot.press("x")
            await settle(pilot)
            assert any("No integration" in n.message for n in notifications(app))
            assert all(r.state is St.ACTIVE for r in app.rows.values())
            workday = next(i for i, g in enumerate(lst.groups) if g.key == "workday")
            lst.move_cursor(lst.items.index(lst.groups[workday]))
            await pilot.press("space", "x")
            await settle(pilot)
            states = {r.id: r.state for r in app.rows.values()}
            assert states == {
                "workday:a": St.INACTIVE,
                "workday:b": St.INACTIVE,
                "personio:c": St.ACTIVE,
            }
    finally:
        store.close()


async def test_showing_an_integration_in_the_list_opens_its_group() -> None:
    """The activity feed's "show in list" on a grouped list whose group is closed."""
    _model, screen = a_screen()
    async with ViewApp(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        lst = screen.integration_list
        await pilot.press("b")
        assert "personio:p2" not in ids(lst)
        assert screen.reveal("personio:p2")
        await pilot.pause()
        assert lst.cursor_row is not None and lst.cursor_row.id == "personio:p2"
        assert line_of(lst, "personio").lstrip().startswith("▾")
        assert "workday:w1" not in ids(lst)  # the others stay closed
