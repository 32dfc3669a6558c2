"""The ``demo`` command: a simulated sync engine on a fast clock, in the UI or headless."""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from syncwatch.cli.args import positive_float
from syncwatch.cli.common import out, out_json, print_transitions
from syncwatch.cli.errors import EXIT_OK, CliError
from syncwatch.clock import Clock

if TYPE_CHECKING:
    from syncwatch.cli.args import Subcommands
    from syncwatch.db import Store


#: ``--until``: a second to a year of simulated time (a year at the default step is 35,000
#: steps; 99999999999w overflowed Python's dates).
UNTIL_RANGE = (timedelta(seconds=1), timedelta(days=366))
#: ``--step``: a minute (a demo that takes long, not forever: 16 days are 23,000 steps) to a
#: day (the longest step that still shows each day's syncs).
STEP_RANGE = (timedelta(minutes=1), timedelta(days=1))


#: The demo's scenarios (``demo --scenario``, ``serve --demo --scenario``).
SCENARIOS = ("tour", "incident", "steady")


def _duration_arg(option: str, bounds: tuple[timedelta, timedelta]) -> Callable[[str], timedelta]:
    """The argparse type of a duration option: a duration within ``bounds``."""
    low, high = bounds

    def parse(text: str) -> timedelta:
        from syncwatch.demo import parse_duration  # only when the option is given

        try:
            value = parse_duration(text)
        except OverflowError:
            value = None
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{option} must be {_short(low)} to {_short(high)}, not {text!r}"
            )
        return value

    parse.__name__ = option
    return parse


def _short(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def add_demo_parser(sub: Subcommands) -> None:
    """``demo`` and its options."""
    p = sub.add_parser(
        "demo",
        help="a simulated sync engine on a fast clock (opens the UI, or --headless)",
        description="Runs a simulated sync engine against a database (a fresh temporary one "
        "unless --db is given) on a clock that runs --speed times faster than real time; the "
        "real evaluator and UI show what happens.",
    )
    p.add_argument(
        "--scenario",
        choices=SCENARIOS,
        default="tour",
        help="tour: all nine states in a few minutes; incident: an outage and a bad "
        "credentials rotation; steady: a mostly healthy fleet (default: tour)",
    )
    p.add_argument(
        "--speed",
        type=positive_float,
        default=3600.0,
        help="simulated seconds per real second (default 3600: one hour a second)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same run)")
    p.add_argument(
        "--headless", action="store_true", help="run engine and evaluator without the UI"
    )
    p.add_argument(
        "--until",
        type=_duration_arg("--until", UNTIL_RANGE),
        metavar="DURATION",
        help="headless: stop at this simulated time after the start, e.g. 5d or 36h "
        "(default: long enough for the scenario)",
    )
    p.add_argument(
        "--step",
        type=_duration_arg("--step", STEP_RANGE),
        default=None,
        metavar="DURATION",
        help="headless: simulated time per engine step (default 15m; 1h for steady)",
    )
    p.add_argument("--json", action="store_true", help="headless: print a JSON summary")
    p.set_defaults(run=cmd_demo)


def demo_database(db: str | None, *, headless: bool) -> tuple[str | None, Path | None]:
    """The database a demo runs against: the one given (``--db`` or ``SYNCWATCH_DB``), else
    a fresh temporary file: a demo never writes into the user's database. Also the
    temporary folder to remove when the demo ends: the UI's (nobody can look at it after);
    a headless demo's is kept, as it prints where it is."""
    if db or os.environ.get("SYNCWATCH_DB"):
        return db, None
    folder = Path(tempfile.mkdtemp(prefix="syncwatch-demo-"))
    return str(folder / "demo.db"), None if headless else folder


def cmd_demo(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Run the demo in the UI on a simulated clock, or headless (``--headless``)."""
    from syncwatch.demo import DemoEngine

    start = clock.now()
    if args.headless:
        return _headless(store, start, args)
    from syncwatch.cli.tui import ui_preferences
    from syncwatch.clock import SimulatedClock
    from syncwatch.tui.app import run_app

    ui = ui_preferences(args)  # a bad --theme: said before the demo is set up
    engine = DemoEngine(store, scenario=args.scenario, seed=args.seed, start=start)
    try:
        engine.setup()
    except ValueError as err:
        raise CliError(str(err)) from None
    sim = SimulatedClock(start, speed=args.speed)
    return run_app(
        store, sim, interval=1.0, read_only=args.read_only, demo=engine, bell=args.bell, **ui
    )


def _headless(store: Store, start: datetime, args: argparse.Namespace) -> int:
    """Run engine and evaluator to ``--until`` without the UI; print what happened."""
    from syncwatch.demo import DEFAULT_UNTIL, run_headless
    from syncwatch.present import iso

    until = args.until or DEFAULT_UNTIL[args.scenario]
    try:
        # No --step: the demo's own rule for it, the one the UI uses too.
        result = run_headless(
            store, scenario=args.scenario, seed=args.seed, start=start, until=until, step=args.step
        )
    except ValueError as err:
        raise CliError(str(err)) from None
    reached = sorted(result.states_reached, key=lambda s: s.severity)
    database = store.engine.url.render_as_string(hide_password=True)
    if args.json:
        out_json(
            {
                "scenario": result.scenario,
                "seed": result.seed,
                "start": iso(result.start),
                "end": iso(result.end),
                "database": database,
                "integrations": result.integrations,
                "syncs_finished": result.syncs_finished,
                "transitions": len(result.transitions),
                "states_reached": [s.value for s in reached],
                "final_states": {s.value: n for s, n in result.final_states.items()},
            }
        )
        return EXIT_OK
    print_transitions(result.transitions)
    out(
        f"Simulated {args.scenario} (seed {args.seed}) from {iso(result.start)} to "
        f"{iso(result.end)}: {result.integrations} integrations, "
        f"{result.syncs_finished} syncs, {len(result.transitions)} transitions."
    )
    out("States reached: " + ", ".join(s.value for s in reached))
    out(f"Database: {database}")
    return EXIT_OK
