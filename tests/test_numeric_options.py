"""Every numeric option has a sane range and says so in one line (exit 2), before anything runs.

``logs --limit 99999999999999999999999`` and ``evaluator --interval inf`` were tracebacks
(OverflowError); ``--interval nan`` or ``1e-300`` was accepted and busy-looped. Each option
in the range table is tried with values outside its range, with non-numbers and with its two
ends; a numeric option added without a range does not build at all.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from builders import NOW, integration_record
from syncwatch.cli import main
from syncwatch.cli.args import CHECKED_BY_COMMAND, NUMERIC_OPTIONS, Parser
from syncwatch.cli.parser import build_parser
from syncwatch.clock import iso

#: A command line that reaches each command's options (positional arguments filled in).
COMMAND_ARGV: dict[str, list[str]] = {
    "": [],
    "evaluator": ["evaluator"],
    "logs": ["logs", "personio:acme"],
    "events list": ["events", "list"],
    "watch": ["watch"],
    "pull": ["pull"],
    "receive": ["receive"],
    "demo": ["demo"],
    "activity": ["activity"],
    "serve": ["serve"],
}

RANGED = sorted(set(NUMERIC_OPTIONS) - CHECKED_BY_COMMAND)


def parse(argv: list[str]) -> object:
    return build_parser().parse_args(argv)


def refused(capsys: pytest.CaptureFixture[str], command: str, option: str, value: str) -> str:
    """The one error line for ``COMMAND OPTION VALUE``; fails unless it is a usage error."""
    with pytest.raises(SystemExit) as exited:
        parse([*COMMAND_ARGV[command], option, value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("syncwatch: error: "), err
    assert "Traceback" not in err
    return last


# --------------------------------------------------------------------------- the findings


@pytest.mark.parametrize("value", ["inf", "nan", "1e-300", "0", "-1", "1e400"])
def test_evaluator_interval_outside_its_range_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], value: str
) -> None:
    line = refused(capsys, "evaluator", "--interval", value)
    assert line == f"syncwatch: error: --interval must be 0.01 to 86400 seconds, not {value!r}"


@pytest.mark.parametrize("value", ["inf", "nan", "1e-300", "0"])
def test_the_uis_interval_outside_its_range_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], value: str
) -> None:
    assert "--interval must be 0.01 to 86400 seconds" in refused(capsys, "", "--interval", value)


def test_logs_limit_too_large_is_a_usage_error_not_an_overflow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end, on a database that has the integration (the OverflowError came from the
    query)."""
    monkeypatch.delenv("SYNCWATCH_DB", raising=False)
    db = tmp_path / "fleet.db"
    record = integration_record("personio:acme")
    (tmp_path / "one.json").write_text(json.dumps({"integrations": [record]}))
    now = iso(NOW + timedelta(days=1))
    assert main(["--db", str(db), "--now", now, "import", str(tmp_path / "one.json")]) == 0
    capsys.readouterr()

    with pytest.raises(SystemExit) as exited:
        main(["--db", str(db), "logs", "personio:acme", "--limit", "99999999999999999999999"])

    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == (
        "syncwatch: error: --limit must be 1 to 1000000000, not '99999999999999999999999'"
    )
    assert main(["--db", str(db), "logs", "personio:acme", "--limit", "1000000000"]) == 0


@pytest.mark.parametrize(("command", "option"), RANGED, ids=" ".join)
def test_every_numeric_option_refuses_values_outside_its_range(
    capsys: pytest.CaptureFixture[str], command: str, option: str
) -> None:
    span = NUMERIC_OPTIONS[(command, option)]
    below = str(int(span.low) - 1) if span.whole else repr(span.low / 2)
    above = str(int(span.high) + 1) if span.whole else repr(span.high * 2)
    for value in (below, above, "99999999999999999999999", "nan", "inf", "ten", ""):
        line = refused(capsys, command, option, value)
        assert f"{option} must be " in line, line
        assert span.describe() in line, line
        assert repr(value) in line, line


@pytest.mark.parametrize(("command", "option"), RANGED, ids=" ".join)
def test_every_numeric_option_takes_both_ends_of_its_range(command: str, option: str) -> None:
    span = NUMERIC_OPTIONS[(command, option)]
    for end in (span.low, span.high):
        text = str(int(end)) if span.whole else repr(end)
        args = parse([*COMMAND_ARGV[command], option, text])
        dest = option.lstrip("-").replace("-", "_")
        dest = "evaluator_interval" if (command, option) == ("evaluator", "--interval") else dest
        assert vars(args)[dest] == end


@pytest.mark.parametrize("value", ["1.5", "1e3", "three"])
def test_a_whole_number_option_refuses_a_fraction(
    capsys: pytest.CaptureFixture[str], value: str
) -> None:
    line = refused(capsys, "logs", "--limit", value)
    assert line == (
        f"syncwatch: error: --limit must be a whole number from 1 to 1000000000, not {value!r}"
    )


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--until", "99999999999w", "--until must be 1s to 366d, not '99999999999w'"),
        ("--until", "9999999w", "--until must be 1s to 366d, not '9999999w'"),
        ("--step", "99999999999w", "--step must be 1m to 1d, not '99999999999w'"),
        ("--step", "1s", "--step must be 1m to 1d, not '1s'"),
    ],
)
def test_demo_durations_outside_their_range_are_usage_errors(
    capsys: pytest.CaptureFixture[str], option: str, value: str, message: str
) -> None:
    """99999999999w was an OverflowError traceback; 9999999w one a moment later."""
    assert refused(capsys, "demo", option, value) == f"syncwatch: error: {message}"


def test_demo_durations_within_their_range_are_taken() -> None:
    args = parse(["demo", "--until", "366d", "--step", "1m"])
    assert (vars(args)["until"], vars(args)["step"]) == (timedelta(days=366), timedelta(minutes=1))


def test_a_numeric_option_without_a_range_does_not_build() -> None:
    parser = Parser(prog="syncwatch logs")
    with pytest.raises(TypeError, match="has no range: add it to NUMERIC_OPTIONS"):
        parser.add_argument("--depth", type=int)
    parser.add_argument("--limit", type=int)  # in the table: fine


def test_pull_concurrency_is_still_checked_by_the_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Not moved to the parser: the command's own message and exit code stay as tested."""
    assert vars(parse(["pull", "--concurrency", "999"]))["concurrency"] == 999
    refused(capsys, "pull", "--concurrency", "many")
