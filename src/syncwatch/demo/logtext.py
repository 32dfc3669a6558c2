"""The demo's log lines: what one simulated sync writes, read like a real sync engine's.

:class:`LogWriter` writes the whole log of a sync when it starts (requests, pages, records
written, warnings, the error that ended it) and so decides how long the sync takes; the
:class:`Cause` the engine drew picks which story the lines tell.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from enum import StrEnum

from syncwatch.demo.catalogue import TOOLS
from syncwatch.demo.scenarios import DemoIntegration
from syncwatch.demo.timing import random_seconds
from syncwatch.states import LogLevel, SyncState, SyncType
from syncwatch.timefmt import fmt_duration, fmt_time

__all__ = ["Cause", "Line", "LogWriter"]


class Cause(StrEnum):
    """Why a sync ends the way it does (picks its log lines)."""

    OK = "ok"
    WARNINGS = "warnings"
    OUTAGE = "outage"
    TIMEOUT = "timeout"
    BLIP = "blip"
    AUTH = "auth"


Line = tuple[datetime, LogLevel, str, str | None]


class LogWriter:
    """Writes the log of one sync, the way a real engine would, and decides its duration."""

    def __init__(
        self,
        plan: DemoIntegration,
        rng: random.Random,
        tenant: str,
        sync_type: SyncType,
        begin: datetime,
        *,
        changes_since: datetime | None,
    ) -> None:
        """``changes_since``: when the integration's last good sync ended (a delta says so)."""
        self.plan = plan
        self.rng = rng
        self.tenant = tenant
        self.tool = TOOLS[plan.tool]
        self.type = sync_type
        self.begin = begin
        self.changes_since = changes_since
        size = plan.size
        self.n = max(1, size + self.rng.randint(-3, 4))
        frac = (math.log(max(size, 40)) - math.log(40)) / (math.log(50000) - math.log(40))
        self.scale = min(1.0, max(0.0, frac))
        self.lines: list[Line] = []

    def fill(self, text: str) -> str:
        values = {
            "tenant": self.tenant,
            "n": f"{self.n:,}",
            "k": str(self.rng.randint(2, 19)),
            "id": str(self.rng.randint(10000, 99999)),
        }
        for key, value in values.items():
            text = text.replace("{" + key + "}", value)
        return text

    def add(self, at: datetime, level: LogLevel, message: str, fld: str | None = None) -> None:
        self.lines.append((at, level, message, fld))

    def duration(self) -> timedelta:
        if self.type is SyncType.FULL:
            minutes = (5 + 33 * self.scale) * self.rng.uniform(0.85, 1.15)
            return timedelta(seconds=int(60 * min(40.0, max(5.0, minutes))))
        seconds = (20 + 200 * self.scale) * self.rng.uniform(0.7, 1.25)
        return timedelta(seconds=int(min(240.0, max(20.0, seconds))))

    def write(self, cause: Cause, state: SyncState, reason: str) -> list[Line]:
        tool, t0, kind = self.tool, self.begin, self.type.value
        if self.type is SyncType.DELTA and self.changes_since is not None:
            opening = f"{kind} sync started ({reason}; changes since "
            opening += f"{fmt_time(self.changes_since)} UTC)"
        else:
            opening = f"{kind} sync started ({reason})"
        self.add(t0, LogLevel.INFO, opening)
        if cause is Cause.AUTH:
            end = t0 + random_seconds(self.rng, 4, 15)
            message = self.fill(tool.auth)
            if self.plan.leaky_auth_log:
                token = "".join(self.rng.choice("0123456789abcdef") for _ in range(32))
                message += f" (request sent with Authorization: Bearer {token})"
            self.add(end - timedelta(seconds=1), LogLevel.ERROR, message)
            self.add(
                end,
                LogLevel.ERROR,
                f"{kind} sync aborted: {tool.name} rejected the credentials; "
                "update them to resume syncing",
            )
            return self.lines
        if cause in (Cause.OUTAGE, Cause.TIMEOUT, Cause.BLIP):
            return self._failure(cause)
        duration = self.duration()
        end = t0 + duration
        request = self.fill(tool.request)
        pages = max(1, math.ceil(self.n / tool.page_size))
        if self.type is SyncType.FULL:
            m = max(1, int(self.n * self.rng.uniform(0.1, 1.4)))
            pages2 = max(1, math.ceil(m / tool.page_size))
            self.add(
                t0 + duration * 0.45,
                LogLevel.INFO,
                f"Fetched {self.n:,} {tool.noun} from {request} "
                f"({pages} page{'s' if pages > 1 else ''})",
            )
            self.add(
                t0 + duration * 0.8,
                LogLevel.INFO,
                f"Fetched {m:,} {tool.noun2} from {self.fill(tool.request2)} "
                f"({pages2} page{'s' if pages2 > 1 else ''})",
            )
            created, updated = self.rng.randint(0, 6), self.rng.randint(3, 60)
            deleted = self.rng.randint(0, 2)
            records = f"{self.n:,} {tool.noun}, {m:,} {tool.noun2}"
        else:
            changed = self.rng.randint(0, max(2, min(40, self.n // 20)))
            self.add(
                t0 + duration * 0.6,
                LogLevel.INFO,
                f"Fetched {changed} changed {tool.noun} from {request} (1 page)",
            )
            created, updated, deleted = 0, changed, 0
            records = f"{changed} {tool.noun}"
        self.add(
            end - timedelta(seconds=2),
            LogLevel.INFO,
            f"Wrote {tool.model}: {created} created, {updated} updated, {deleted} deleted",
        )
        warnings = 0
        if cause is Cause.WARNINGS:
            picked = self.rng.sample(
                tool.warnings, k=min(len(tool.warnings), self.rng.choice((1, 1, 2)))
            )
            for i, (message, fld) in enumerate(picked):
                self.add(t0 + duration * (0.5 + 0.1 * i), LogLevel.WARNING, self.fill(message), fld)
            warnings = len(picked)
        took = fmt_duration(duration)
        if warnings:
            noun = "warning" if warnings == 1 else "warnings"
            summary = f"{kind} sync finished with {warnings} {noun} in {took}: {records}"
        else:
            summary = f"{kind} sync succeeded in {took}: {records}"
        self.add(end, LogLevel.INFO, summary)
        self.lines.sort(key=lambda x: x[0])
        return self.lines

    def _failure(self, cause: Cause) -> list[Line]:
        tool, t0, rng, kind = self.tool, self.begin, self.rng, self.type.value
        request = self.fill(tool.request)
        pages = max(2, math.ceil(self.n / tool.page_size))
        page = rng.randint(1, pages - 1) if self.type is SyncType.FULL else 1
        t = t0 + random_seconds(rng, 5, 40)
        if page > 1:
            got = min(self.n - 1, page * tool.page_size)
            self.add(t, LogLevel.INFO, f"Fetched {got:,} of {self.n:,} {tool.noun} (page {page})")
        page += 1
        if cause is Cause.BLIP:
            message = rng.choice(
                (
                    f"429 Too Many Requests on {request} (page {page}): rate limit still "
                    "exhausted after 8 retries",
                    f"502 Bad Gateway on {request} (page {page}) after 3 attempts",
                )
            )
            end = t + random_seconds(rng, 20, 100)
            self.add(end - timedelta(seconds=1), LogLevel.ERROR, message)
            self.add(end, LogLevel.ERROR, f"{kind} sync failed: transient error; will retry at "
                     "the next scheduled sync")  # fmt: skip
            return self.lines
        if cause is Cause.TIMEOUT:
            for attempt in (1, 2):
                t += timedelta(seconds=120)
                self.add(
                    t,
                    LogLevel.WARNING,
                    f"Request timed out after 120 s on {request} (page {page}); retrying "
                    f"(attempt {attempt}/3)",
                )
            t += timedelta(seconds=120)
            self.add(
                t,
                LogLevel.ERROR,
                f"Request timed out after 120 s on {request} (page {page}, attempt 3/3)",
            )
            end = t + timedelta(seconds=1)
            self.add(end, LogLevel.ERROR, f"{kind} sync timed out after {fmt_duration(end - t0)}"
                     f": {tool.name} stopped answering; 0 records written")  # fmt: skip
            return self.lines
        for attempt, wait in ((1, 30), (2, 60)):
            t += random_seconds(rng, 2, 8)
            self.add(
                t,
                LogLevel.WARNING,
                f"503 Service Unavailable on {request} (page {page}); retrying in {wait} s "
                f"(attempt {attempt}/3)",
            )
            t += timedelta(seconds=wait)
        t += random_seconds(rng, 2, 8)
        self.add(
            t,
            LogLevel.ERROR,
            f"{tool.name} API returned 503 Service Unavailable on {request} (page {page}, "
            "attempt 3/3): the tool's API is down",
        )
        end = t + timedelta(seconds=1)
        self.add(end, LogLevel.ERROR, f"{kind} sync failed after {fmt_duration(end - t0)}: "
                 f"{tool.name} unavailable; 0 records written")  # fmt: skip
        return self.lines


# --------------------------------------------------------------------------- headless
