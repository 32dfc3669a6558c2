"""Whether the user opted in to remote actions, decided without loading Kombo's client.

Every start of the app asks this; the answer is nearly always "no", and importing
:mod:`syncwatch.kombo.remote` (httpx and the SDK's models: about 0.25 s here) only to hear
it cost the background load of a large fleet that much of the interpreter's time.
"""

from __future__ import annotations

from collections.abc import Mapping

ENV_REMOTE = "SYNCWATCH_KOMBO_REMOTE"

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class KomboConfigError(Exception):
    """Kombo is not usably configured (no API key, an unknown server); said plainly."""


def remote_actions_enabled(env: Mapping[str, str]) -> bool:
    """Whether the user opted in to remote actions (``SYNCWATCH_KOMBO_REMOTE``)."""
    value = env.get(ENV_REMOTE, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise KomboConfigError(f"{ENV_REMOTE} must be 1 or 0, not {value!r}")
