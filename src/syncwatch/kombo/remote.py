"""Talking to the Kombo API: settings, retries, readable failures, and remote actions.

``pull`` (see :mod:`syncwatch.kombo.pull`) and the remote side of the operator actions share
what is here. The API key comes from ``KOMBO_API_KEY`` and never appears in a message: every
text that reaches a user goes through :func:`describe`.

Remote actions are opt-in (``SYNCWATCH_KOMBO_REMOTE=1`` as well as the key): a key in the
environment for some other reason must never make ``syncwatch delete`` delete an integration
in Kombo. With them on, reactivate, deactivate and delete call Kombo first and change the
local state only when Kombo accepted (:class:`KomboRemote` is the hook that
:func:`syncwatch.actions.perform_many` calls).
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import httpx

from syncwatch.actions import Action, RemoteRefused

# Re-exported: what decides the opt-in lives where it loads without httpx.
from syncwatch.kombo.optin import ENV_REMOTE as ENV_REMOTE
from syncwatch.kombo.optin import KomboConfigError as KomboConfigError
from syncwatch.kombo.optin import remote_actions_enabled as remote_actions_enabled
from syncwatch.redact import redact
from syncwatch.upstream_requests import LinkType, SyncType

if TYPE_CHECKING:
    from kombo import Kombo
    from syncwatch.rows import IntegrationRow

T = TypeVar("T")

ENV_API_KEY = "KOMBO_API_KEY"
ENV_SERVER = "KOMBO_SERVER"
ENV_SERVER_URL = "KOMBO_SERVER_URL"

#: Kombo's regions, as the SDK names them.
SERVERS = ("eu", "us", "ca")

DEFAULT_TIMEOUT = 15.0

# --------------------------------------------------------------------------- settings


@dataclass(frozen=True, slots=True)
class KomboSettings:
    """How to reach Kombo. The key is kept out of ``repr`` so it cannot end up in a log."""

    api_key: str = field(repr=False)
    server: str | None = None
    server_url: str | None = None
    #: Seconds per request, connect and read each.
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str],
        *,
        server: str | None = None,
        server_url: str | None = None,
        timeout: float | None = None,
    ) -> KomboSettings:
        """Settings from the environment; ``server``/``server_url`` (flags) win over it."""
        key = env.get(ENV_API_KEY, "").strip()
        if not key:
            raise KomboConfigError(
                f"no Kombo API key: set {ENV_API_KEY} (the key stays out of every message "
                "and log; it is never a command-line argument)"
            )
        if server is None and server_url is None:
            server = env.get(ENV_SERVER, "").strip() or None
            server_url = env.get(ENV_SERVER_URL, "").strip() or None
            if server and server_url:
                raise KomboConfigError(
                    f"both {ENV_SERVER} and {ENV_SERVER_URL} are set: keep only one"
                )
        if server is not None and server.lower() not in SERVERS:
            raise KomboConfigError(
                f"unknown Kombo server {server!r} (one of {', '.join(SERVERS)}, "
                f"or a URL with --server-url / {ENV_SERVER_URL})"
            )
        if server_url is not None and not re.match(r"https?://[^/\s]+", server_url):
            raise KomboConfigError(
                f"the Kombo server URL must start with http:// or https://, not {server_url!r}"
            )
        return cls(
            api_key=key,
            server=server.lower() if server else None,
            server_url=server_url.rstrip("/") if server_url else None,
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        )

    @property
    def base_url(self) -> str:
        """The API's base URL, as the SDK will use it."""
        from kombo.sdkconfiguration import SERVERS as URLS

        return self.server_url or URLS[self.server or "eu"]

    def sdk(
        self,
        *,
        client: httpx.Client | None = None,
        async_client: httpx.AsyncClient | None = None,
    ) -> Kombo:
        """The official SDK client, with its own retries off: :func:`call` retries instead."""
        from kombo import Kombo

        return Kombo(
            api_key=self.api_key,
            server=None if self.server_url else (self.server or "eu"),
            server_url=self.server_url,
            client=client,
            async_client=async_client,
            retry_config=None,
            timeout_ms=round(self.timeout * 1000),
        )


# --------------------------------------------------------------------------- failures


@dataclass(frozen=True, slots=True)
class KomboFailure:
    """A call to Kombo that did not succeed, described for a user."""

    #: not_found | rate_limited | server_error | auth | rejected | timeout | network |
    #: bad_response
    kind: str
    message: str
    status: int | None = None
    #: Seconds Kombo asked us to wait (``Retry-After``), if it said.
    retry_after: float | None = None
    attempts: int = 1

    def __str__(self) -> str:
        return self.message


class KomboCallFailed(Exception):
    """A Kombo call failed for good (after any retries)."""

    def __init__(self, failure: KomboFailure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def describe(text: str, api_key: str | None = None, limit: int = 300) -> str:
    """Text from Kombo or the network made fit for a terminal or a log: no key, one line."""
    if api_key:
        text = text.replace(api_key, "[REDACTED]")
    text = " ".join(redact(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds)


def classify(err: Exception, api_key: str | None = None) -> KomboFailure | None:
    """What went wrong in a Kombo call, or ``None`` for an exception that is not Kombo's."""
    from kombo import errors

    if isinstance(err, errors.ResponseValidationError):
        return KomboFailure(
            "bad_response",
            f"Kombo's answer did not have the expected shape (HTTP {err.status_code})",
            err.status_code,
        )
    if isinstance(err, errors.SDKError):
        status = err.status_code
        if isinstance(err, errors.KomboGeneralError):
            code = err.data.error.code
            detail = str(err.data.error.message or "")
            said = f"{code}: {detail}" if code else detail
        else:
            # Not Kombo's JSON error (a proxy's HTML page, say): the status says enough.
            said = ""
        said = describe(said, api_key, limit=200)
        tail = f": {said}" if said else ""
        kind = (
            "not_found"
            if status == 404
            else "rate_limited"
            if status == 429
            else "server_error"
            if status >= 500
            else "auth"
            if status in (401, 403)
            else "rejected"
        )
        text = {
            "not_found": f"Kombo does not know this integration (HTTP 404){tail}",
            "rate_limited": f"Kombo is rate-limiting us (HTTP 429){tail}",
            "server_error": f"Kombo answered HTTP {status}{tail}",
            "auth": f"Kombo rejected the API key (HTTP {status}){tail}; check {ENV_API_KEY}",
            "rejected": f"Kombo refused the request (HTTP {status}){tail}",
        }[kind]
        return KomboFailure(kind, text, status, _retry_after(err.headers))
    if isinstance(err, httpx.TimeoutException):
        return KomboFailure("timeout", f"Kombo did not answer in time ({type(err).__name__})")
    if isinstance(err, httpx.TransportError | errors.NoResponseError):
        why = describe(str(err), api_key, limit=160) or type(err).__name__
        return KomboFailure("network", f"could not reach Kombo: {why}")
    return None


# --------------------------------------------------------------------------- retries


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When to try a failed call again, and how long to wait first.

    The SDK's own ``RetryConfig`` is not used: it sleeps for whatever ``Retry-After`` says
    (an hour, if Kombo says an hour), checks its time budget only before sleeping, has no
    limit on attempts, and retries time-outs even for calls that change something.
    """

    #: Attempts in all, the first included.
    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    #: A longer ``Retry-After`` fails the call at once instead of stalling the whole run.
    max_retry_after: float = 60.0
    #: A time-out leaves the outcome unknown: fine to repeat a read, not a change.
    retry_timeouts: bool = True

    def delay(self, failure: KomboFailure, attempt: int) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` to give up."""
        retryable = failure.kind in ("rate_limited", "server_error", "network") or (
            failure.kind == "timeout" and self.retry_timeouts
        )
        if not retryable or attempt >= self.attempts:
            return None
        if failure.retry_after is not None:
            return failure.retry_after if failure.retry_after <= self.max_retry_after else None
        # Exponential backoff with jitter, so concurrent callers do not retry in step.
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return float(ceiling * random.uniform(0.5, 1.0))


def _gave_up(failure: KomboFailure, attempt: int, policy: RetryPolicy) -> KomboCallFailed:
    text = failure.message
    if attempt > 1:
        text += f" (after {attempt} attempts)"
    elif failure.retry_after is not None and failure.retry_after > policy.max_retry_after:
        text += f" (it asked us to wait {failure.retry_after:.0f} s: too long, not retried)"
    return KomboCallFailed(
        KomboFailure(failure.kind, text, failure.status, failure.retry_after, attempt)
    )


def _retry_wait(err: Exception, attempt: int, policy: RetryPolicy, api_key: str | None) -> float:
    """How long to wait before trying again after ``err`` failed attempt ``attempt``; raises
    ``err`` itself when it is not a failure of Kombo's, and :class:`KomboCallFailed` when the
    policy gives up (shared by :func:`call` and :func:`call_async`)."""
    failure = classify(err, api_key)
    if failure is None:
        raise err
    wait = policy.delay(failure, attempt)
    if wait is None:
        raise _gave_up(failure, attempt, policy) from None
    return wait


def call(
    fn: Callable[[], T],
    policy: RetryPolicy,
    api_key: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[T, int]:
    """Call Kombo with retries; returns (result, retries made) or raises KomboCallFailed."""
    attempt = 1
    while True:
        try:
            return fn(), attempt - 1
        except Exception as err:
            wait = _retry_wait(err, attempt, policy, api_key)
        sleep(wait)
        attempt += 1


async def call_async(
    fn: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    api_key: str | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> tuple[T, int]:
    """:func:`call` for the SDK's async methods."""
    attempt = 1
    while True:
        try:
            return await fn(), attempt - 1
        except Exception as err:
            wait = _retry_wait(err, attempt, policy, api_key)
        await sleep(wait)
        attempt += 1


# --------------------------------------------------------------------------- remote actions

#: Interactive: a few quick retries, and a change is never repeated after a time-out.
ACTION_RETRIES = RetryPolicy(attempts=3, max_delay=4.0, max_retry_after=10.0, retry_timeouts=False)

_VERBS = {
    Action.REACTIVATE: "enable",
    Action.DEACTIVATE: "disable",
    Action.DELETE: "delete",
}

#: The actions that change something in Kombo; the others are syncwatch's own.
REMOTE_ACTIONS = frozenset(_VERBS)


class KomboRemote:
    """The remote side of the operator actions: call it with (action, row) before the local
    write. It raises :class:`~syncwatch.actions.RemoteRefused` when Kombo did not accept.

    Thread-safe (one ``httpx.Client``); :meth:`close` when done.
    """

    def __init__(
        self,
        settings: KomboSettings,
        policy: RetryPolicy = ACTION_RETRIES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.policy = policy
        self._sleep = sleep
        self._http = httpx.Client(follow_redirects=True)
        self._sdk = settings.sdk(client=self._http)

    def __call__(self, action: Action, row: IntegrationRow) -> None:
        verb = _VERBS.get(action)
        if verb is None:
            return
        general = self._sdk.general
        fn: Callable[[], object]
        if action is Action.DELETE:

            def fn() -> object:
                return general.delete_integration(integration_id=row.id, body={})
        else:
            enabled = action is Action.REACTIVATE

            def fn() -> object:
                return general.set_integration_enabled(integration_id=row.id, value=enabled)

        try:
            call(fn, self.policy, self.settings.api_key, self._sleep)
        except KomboCallFailed as err:
            raise RemoteRefused(self._refusal(verb, row, err.failure)) from None

    def _refusal(self, verb: str, row: IntegrationRow, failure: KomboFailure) -> str:
        said = failure.message.rstrip(". ")
        text = f"Kombo did not {verb} {row.organization} ({row.id}): {said}. "
        if failure.kind == "timeout":
            text += (
                "Kombo may or may not have done it: run `syncwatch pull` to see. "
                "Nothing changed in syncwatch."
            )
        elif failure.kind == "not_found":
            text += (
                f"It may be gone from Kombo already, or {ENV_SERVER} names another region. "
                "Nothing changed in syncwatch (add --local to change only syncwatch)."
            )
        else:
            text += "Nothing changed in syncwatch."
        return text

    def create_reconnection_link(self, row: IntegrationRow, link_type: LinkType) -> str:
        """A reconnection link for ``row`` (Kombo's ``create_reconnection_link``); raises
        :class:`~syncwatch.actions.RemoteRefused` when Kombo did not make one. The URL is
        returned to be shown once, never kept here."""
        general = self._sdk.general

        def fn() -> object:
            return general.create_reconnection_link(
                integration_id=row.id, link_type=link_type.value
            )

        answer = self._ask(fn, f"create a reconnection link for {row.organization} ({row.id})")
        link = getattr(getattr(answer, "data", None), "link", None)
        if not isinstance(link, str) or not link.strip():
            raise RemoteRefused(
                f"Kombo's answer for {row.organization} ({row.id}) held no link. "
                "Nothing was recorded."
            )
        return link.strip()

    def trigger_sync(self, row: IntegrationRow, sync_type: SyncType) -> tuple[SyncType, bool, str]:
        """Ask Kombo to sync ``row`` now (``trigger_sync``): (the type it will run, whether a
        sync was already queued, the sync's id); raises
        :class:`~syncwatch.actions.RemoteRefused` when it refused."""
        general = self._sdk.general

        def fn() -> object:
            # The integration is a header (X-Integration-Id), which the SDK otherwise takes
            # from its client-wide setting or the INTEGRATION_ID variable: named per call.
            return general.trigger_sync(
                type_=sync_type.value, http_headers={"X-Integration-Id": row.id}
            )

        answer = self._ask(fn, f"trigger a sync of {row.organization} ({row.id})")
        data = getattr(answer, "data", None)
        return (
            SyncType(data.type) if data is not None else sync_type,
            bool(getattr(data, "already_queued", False)),
            str(getattr(data, "sync_id", "")),
        )

    def _ask(self, fn: Callable[[], T], what: str) -> T:
        try:
            result, _ = call(fn, self.policy, self.settings.api_key, self._sleep)
        except KomboCallFailed as err:
            said = err.failure.message.rstrip(". ")
            text = f"Kombo did not {what}: {said}. "
            if err.failure.kind == "timeout":
                text += "It may or may not have done it. "
            raise RemoteRefused(text + "Nothing was recorded.") from None
        return result

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> KomboRemote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def remote_from_env(
    env: Mapping[str, str], *, sleep: Callable[[float], None] = time.sleep
) -> KomboRemote | None:
    """The remote-action hook when the user opted in, else ``None`` (local actions only).

    Raises :class:`KomboConfigError` when opted in without a usable key or server.
    """
    if not remote_actions_enabled(env):
        return None
    try:
        settings = KomboSettings.from_env(env)
    except KomboConfigError as err:
        raise KomboConfigError(f"{ENV_REMOTE} is on, but {err}") from None
    return KomboRemote(settings, sleep=sleep)
