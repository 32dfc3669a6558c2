"""How things read (syncwatch.present): safe text, transitions, facts, relative times."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from syncwatch.present import (
    fmt_ago,
    integration_facts,
    link_target,
    safe_json,
    safe_text,
    state_change_notice,
    transition_json,
    transition_line,
)
from syncwatch.rows import IntegrationRow, KomboMark, Transition
from syncwatch.states import IntegrationState, QaStatus, SyncState

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def row(**changes: object) -> IntegrationRow:
    base = IntegrationRow(
        id="workday:1",
        tool="workday",
        category="HRIS",
        organization="Acme GmbH",
        environment="production",
        created_at=NOW - timedelta(days=30),
        enabled=True,
        filters_configured=True,
        qa_status=QaStatus.PASSED,
        credentials_invalid_at=None,
        credentials_updated_at=None,
        last_api_request_at=NOW - timedelta(hours=2),
        last_reactivated_at=None,
        disabled_reason=None,
        disabled_at=None,
        deleted_at=None,
        purged_at=None,
        state=IntegrationState.SYNC_FAILING,
        state_reason="The last sync failed: 503 Service Unavailable.",
        state_since=NOW - timedelta(hours=5),
        evaluated_at=NOW,
        last_sync_id="s1",
        last_sync_state=SyncState.FAILED,
        last_sync_ended_at=NOW - timedelta(hours=5),
        last_sync_warnings=0,
        last_sync_errors=2,
        next_due_at=None,
        dirty=False,
        revision=1,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- safe_text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Acme GmbH", "Acme GmbH"),
        ("Acme \x1b[2J\x1b[H", "Acme ␛[2J␛[H"),
        ("carriage\rreturn", "carriage␍return"),
        ("bell\x07", "bell␇"),
        ("del\x7f", "del␡"),
        ("c1 csi\x9b2J", "c1 csi<U+009B>2J"),
        ("\u202eGmbH Acme", "<U+202E>GmbH Acme"),
        ("Ac\u200bme", "Ac<U+200B>me"),
        ("isolate\u2066x\u2069", "isolate<U+2066>x<U+2069>"),
        ("two\nlines", "two␤lines"),
        ("line\u2028separator\u2029paragraph", "line␤separator␤paragraph"),
        ("tab\there", "tab here"),
        ("[bold red]Acme[/bold red] [/]", "[bold red]Acme[/bold red] [/]"),
    ],
)
def test_data_text_is_shown_visibly_and_never_raw(raw: str, shown: str) -> None:
    assert safe_text(raw) == shown


def test_a_log_message_keeps_its_lines_and_tabs_but_not_escapes() -> None:
    assert safe_text("GET /x\n\tat line 3\x1b[31m", multiline=True) == "GET /x\n\tat line 3␛[31m"


def test_line_and_paragraph_separators_are_line_breaks_in_a_log_message() -> None:
    # Some terminals and Rich break lines at U+2028/U+2029: in one line they would split
    # a row, so they read like a newline; in a log message they are one.
    assert safe_text("a\u2028b\u2029c", multiline=True) == "a\nb\nc"


@pytest.mark.parametrize(
    ("url", "target"),
    [
        (
            "https://app.kombo.dev/env/production/logs/C3xU",
            "https://app.kombo.dev/env/production/logs/C3xU",
        ),
        ("http://localhost:8080/logs?id=1&x=%20", "http://localhost:8080/logs?id=1&x=%20"),
        ("javascript:alert(1)", None),
        ("https://evil.example/logs/[link=x]", None),
        ('https://evil.example/"><b>', None),
        ("file:///etc/passwd", None),
        ("https://app.kombo.dev/logs/\x1b[2J", None),
        ("https://evil.example/\x07", None),
        ("https://evil.example/a b", None),
        ("https://evil.example/\u202e", None),
        ("https:///no-host", None),
        ("", None),
    ],
)
def test_only_a_plain_http_url_becomes_a_link(url: str, target: str | None) -> None:
    assert link_target(url) == target


def test_no_control_character_survives_any_text() -> None:
    text = "".join(chr(c) for c in range(0x00, 0xA0)) + "\u202a\u202b\u202c\u202d\u202e\ufeff"
    out = safe_text(text)
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in out)
    assert not any(ch in out for ch in "\u202a\u202b\u202c\u202d\u202e\ufeff")


# --------------------------------------------------------------------------- transitions


def transition(before: IntegrationState | None) -> Transition:
    return Transition(
        integration_id="workday:1",
        organization="Acme GmbH",
        tool="workday",
        from_state=before,
        to_state=IntegrationState.ACTIVE,
        at=NOW,
        reason="The last sync succeeded.",
    )


def test_a_transition_reads_the_same_as_a_line_and_as_json() -> None:
    t = transition(IntegrationState.SYNC_FAILING)
    assert transition_line(t) == "workday:1  SYNC_FAILING -> ACTIVE  The last sync succeeded."
    assert transition_json(t) == {
        "id": "workday:1",
        "organization": "Acme GmbH",
        "tool": "workday",
        "from": "SYNC_FAILING",
        "to": "ACTIVE",
        "at": "2026-11-26T12:00:00Z",
        "reason": "The last sync succeeded.",
    }


def test_a_first_evaluation_comes_from_nothing() -> None:
    t = transition(None)
    assert "(new) -> ACTIVE" in transition_line(t)
    assert transition_json(t)["from"] is None


def test_a_state_change_notice_names_who_from_to_and_why() -> None:
    old = row(state=IntegrationState.ACTIVE)
    new = row()
    assert state_change_notice(old, new) == (
        "Acme GmbH (workday:1): ● Active → ✖ Failing\n"
        "The last sync failed: 503 Service Unavailable."
    )


def test_a_state_change_notice_shows_data_literally() -> None:
    old = row(state=IntegrationState.ACTIVE)
    new = row(
        organization="Evil \x1b[2J\x1b[H[bold]Corp\u202e",
        state_reason="failed: \x07[link=https://evil.example]x[/link]\nsecond\r",
    )
    assert state_change_notice(old, new) == (
        "Evil ␛[2J␛[H[bold]Corp<U+202E> (workday:1): ● Active → ✖ Failing\n"
        "failed: ␇[link=https://evil.example]x[/link]␤second␍"
    )


# --------------------------------------------------------------------------- facts


def test_facts_come_in_one_order_for_every_surface() -> None:
    names = [f.name for f in integration_facts(row(), NOW)]
    assert names == [
        "last sync",
        "in state since",
        "api view",
        "enabled",
        "filters",
        "last API request",
        "credentials updated",
        "created",
    ]
    compact = [f.name for f in integration_facts(row(), NOW, compact=True)]
    assert compact == names[:5]


def test_facts_say_what_the_row_says() -> None:
    facts = {f.name: f for f in integration_facts(row(), NOW)}
    assert facts["last sync"].value == (
        "failed, ended Nov 26 07:00 (5 h 0 min ago); 0 warnings, 2 errors"
    )
    assert facts["last sync"].tone is SyncState.FAILED
    assert facts["api view"].value == "status ACTIVE, setup COMPLETED, qa PASSED"
    assert facts["enabled"].value == "yes"


def test_a_deleted_integration_has_no_api_view_and_says_its_data_goes() -> None:
    facts = {f.name: f.value for f in integration_facts(row(deleted_at=NOW), NOW)}
    assert facts["api view"] == "none (deleted: the API answers 404)"
    assert facts["deleted"] == "Nov 26 12:00 (data purged 14 days later; deletion is final)"


def test_kombo_marks_appear_among_the_facts() -> None:
    mark = KomboMark(open_issues=2, gone_at=NOW - timedelta(hours=1))
    facts = {f.name: f for f in integration_facts(row(), NOW, kombo=mark)}
    assert facts["kombo"].value == "gone (404 1 h 0 min ago)"
    assert facts["kombo"].tone == "error"
    assert facts["kombo issues"].value == "⚑ 2 open issues (below)"


# --------------------------------------------------------------------------- times


@pytest.mark.parametrize(
    ("ago", "long", "compact"),
    [
        (timedelta(seconds=30), "just now", "just now"),
        (timedelta(minutes=12), "12 min ago", "12m ago"),
        (timedelta(hours=5, minutes=9), "5 h 9 min ago", "5h 9m ago"),
        (timedelta(days=2, hours=22), "2 d 22 h ago", "2d 22h ago"),
        (-timedelta(minutes=5), "in 5 min", "in 5m"),
    ],
)
def test_one_relative_time_formatter_with_a_compact_form(
    ago: timedelta, long: str, compact: str
) -> None:
    assert fmt_ago(NOW - ago, NOW) == long
    assert fmt_ago(NOW - ago, NOW, compact=True) == compact


def test_json_is_exact_and_leaves_nothing_raw_a_terminal_acts_on() -> None:
    value = {"name": "a\x1b[2J\x9b\x7f\u202e\u200b\u2028 b [bold]ü", "n": 1}
    text = safe_json(value)
    assert json.loads(text) == value
    assert not any(ch in text for ch in "\x1b\x9b\x7f\u202e\u200b\u2028")
    assert "ü" in text and "[bold]" in text
