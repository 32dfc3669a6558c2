"""Demo mode: a simulated sync engine on a fast clock, against the real database and rules.

Nobody can wait three days to show how an integration's credentials go invalid. A
:class:`DemoEngine` plays a scripted scenario: it creates integrations, writes the syncs a
real engine would run (with log lines that read like one) through the importer, performs the
scenario's operator actions through :func:`syncwatch.actions.perform`, and runs the real
evaluator after every step. Nothing in here decides a state: the engine only produces facts,
and the rules in :mod:`syncwatch.evaluator` do the rest.

Everything is deterministic from ``seed`` and ``start``: no wall clock, no global random.

The package, one concept a module (imports point down this list, never up):

- :mod:`~syncwatch.demo.headless`: run a scenario to its end without a UI.
- :mod:`~syncwatch.demo.engine`: :class:`DemoEngine`, driving the store step by step.
- :mod:`~syncwatch.demo.simulation`: one integration's simulated syncs and API calls.
- :mod:`~syncwatch.demo.logtext`: the log lines of one sync.
- :mod:`~syncwatch.demo.scenarios`: tour, incident and steady: who is in them, what happens.
- :mod:`~syncwatch.demo.catalogue`: the tools simulated and the organisation names made up.
- :mod:`~syncwatch.demo.story`: the captions the UI shows as the scenario's events happen.
- :mod:`~syncwatch.demo.timing`: durations, the one rule for the engine's step, delays.

Code outside the package imports from here, not from the modules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncwatch.demo.engine import OPERATOR, ActionDone, AdvanceResult, DemoEngine, SyncWrite
    from syncwatch.demo.headless import HeadlessResult, run_headless
    from syncwatch.demo.scenarios import (
        DEFAULT_UNTIL,
        SCENARIO_DESCRIPTIONS,
        SCENARIOS,
        DemoIntegration,
        Profile,
        ScriptedAction,
    )
    from syncwatch.demo.story import Beat, story_beats
    from syncwatch.demo.timing import SPEED_LADDER, default_step, next_speed, parse_duration

# Loaded on first use (PEP 562): ``parse_duration`` for a command-line option must not
# bring in the engine, and with it the database package.
_HOMES = {
    "OPERATOR": "engine",
    "ActionDone": "engine",
    "AdvanceResult": "engine",
    "DemoEngine": "engine",
    "SyncWrite": "engine",
    "HeadlessResult": "headless",
    "run_headless": "headless",
    "DEFAULT_UNTIL": "scenarios",
    "SCENARIO_DESCRIPTIONS": "scenarios",
    "SCENARIOS": "scenarios",
    "DemoIntegration": "scenarios",
    "Profile": "scenarios",
    "ScriptedAction": "scenarios",
    "default_step": "timing",
    "Beat": "story",
    "story_beats": "story",
    "next_speed": "timing",
    "SPEED_LADDER": "timing",
    "parse_duration": "timing",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"syncwatch.demo.{home}"), name)


__all__ = [
    "DEFAULT_UNTIL",
    "OPERATOR",
    "SCENARIOS",
    "SCENARIO_DESCRIPTIONS",
    "SPEED_LADDER",
    "ActionDone",
    "AdvanceResult",
    "Beat",
    "DemoEngine",
    "DemoIntegration",
    "HeadlessResult",
    "Profile",
    "ScriptedAction",
    "SyncWrite",
    "default_step",
    "next_speed",
    "parse_duration",
    "run_headless",
    "story_beats",
]
