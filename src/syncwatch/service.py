"""Temporary: removed when the renovation is merged.

The old home of the headless evaluator, now :mod:`syncwatch.headless`; the transition
shapes it printed are :mod:`syncwatch.transitions`'. Re-exported so that modules being
restructured on other branches keep working until their imports are rewritten.
"""

from syncwatch.headless import (
    DEFAULT_HOOK_TIMEOUT_S,
    DEFAULT_MAX_FAILURES,
    HOOK_QUEUE_SIZE,
    MAX_BACKOFF_S,
    EvaluatorStats,
    TransitionCommand,
    run_evaluator,
)
from syncwatch.transitions import transition_event, transition_text

__all__ = [
    "DEFAULT_HOOK_TIMEOUT_S",
    "DEFAULT_MAX_FAILURES",
    "HOOK_QUEUE_SIZE",
    "MAX_BACKOFF_S",
    "EvaluatorStats",
    "TransitionCommand",
    "run_evaluator",
    "transition_event",
    "transition_text",
]
