"""Python's cyclic garbage collector around the background load of a large fleet.

The load allocates a few objects per integration, all of them long-lived: at 100,000
integrations the collector, left alone, runs full passes over the growing heap during the
load (about 0.3 s of the worker's and the list's time) and afterwards, whenever enough new
objects pile up, walks every loaded row again (a 0.2 s stall each, measured here).
:func:`hold` stops it for the load; :func:`release` moves what the load built into the
collector's permanent generation (``gc.freeze``: never walked again; memory is still
freed by reference counting when a row is replaced) and starts it again. The app releases
when the load ends, fails or the app exits, and :func:`thaw` on exit hands the frozen
objects back (many apps run in one test process).
"""

from __future__ import annotations

import gc

_held = False


def hold() -> None:
    """Stop the collector for a bulk load (once; a second hold changes nothing)."""
    global _held
    if not _held and gc.isenabled():
        _held = True
        gc.disable()


def release() -> None:
    """The load is over: what it built is frozen, and the collector runs again."""
    global _held
    if _held:
        _held = False
        gc.freeze()
        gc.enable()


def thaw() -> None:
    """On exit: released, and the frozen objects collectable again."""
    release()
    gc.unfreeze()
