"""The import file's format: pydantic models for records built in code, and the same
schema as TypedDicts that files are validated with (straight from the JSON bytes).

Times carry a zone and lie in syncwatch's range (1970-2199); they are stored in UTC.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Any, NotRequired

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    with_config,
)
from typing_extensions import TypedDict

from syncwatch.clock import check_range
from syncwatch.states import Category, Environment, LogLevel, QaStatus, SyncState, SyncType

#: A time with a zone, in syncwatch's range, converted to UTC.
Instant = Annotated[AwareDatetime, AfterValidator(check_range)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LogIn(_Record):
    """One log entry of a sync."""

    id: str | None = Field(default=None, min_length=1)
    at: Instant
    level: LogLevel
    message: str
    field: str | None = None


class SyncIn(_Record):
    """One sync with its log entries."""

    id: str = Field(min_length=1)
    type: SyncType = SyncType.DELTA
    state: SyncState
    started_at: Instant
    ended_at: Instant | None = Field(default=None, validate_default=True)
    logs: list[LogIn] = Field(default_factory=list)

    @field_validator("ended_at")
    @classmethod
    def _ended_after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        state = info.data.get("state")
        started = info.data.get("started_at")
        if value is None:
            if state is not None and state is not SyncState.RUNNING:
                raise ValueError(f"ended_at is required for a {state.value} sync")
            return None
        if started is not None and value < started:
            raise ValueError(
                f"ended_at {value.isoformat()} is before started_at {started.isoformat()}"
            )
        return value


class IntegrationIn(_Record):
    """One integration record."""

    id: str = Field(min_length=1)
    tool: str = Field(min_length=1)
    category: Category
    organization: str = Field(min_length=1)
    environment: Environment = Environment.PRODUCTION
    created_at: Instant
    filters_configured: bool = False
    enabled: bool = True
    last_api_request_at: Instant | None = None
    credentials_updated_at: Instant | None = None
    qa_status: QaStatus | None = None
    deleted_at: Instant | None = None
    syncs: list[SyncIn] = Field(default_factory=list)


# The same schema for files, as TypedDicts: pydantic-core validates them straight from the
# JSON bytes into plain dicts, with no Python call per value. (The models above build an
# object and run a Python validator per record and per time: a third of an import's time.)
# A key present in a dict is a field the file gave. Times are range-checked and converted to
# UTC, and a sync's ended_at checked, by the parse module, which names the same JSON paths.
_FILE_CONFIG = ConfigDict(extra="forbid", str_strip_whitespace=True)


@with_config(_FILE_CONFIG)
class LogDoc(TypedDict):
    """One log entry as read from a file."""

    id: NotRequired[Annotated[str | None, Field(min_length=1)]]
    at: AwareDatetime
    level: LogLevel
    message: str
    field: NotRequired[str | None]


@with_config(_FILE_CONFIG)
class SyncDoc(TypedDict):
    """One sync as read from a file."""

    id: Annotated[str, Field(min_length=1)]
    type: NotRequired[SyncType]
    state: SyncState
    started_at: AwareDatetime
    ended_at: NotRequired[AwareDatetime | None]
    logs: NotRequired[list[LogDoc]]


@with_config(_FILE_CONFIG)
class IntegrationDoc(TypedDict):
    """One integration record as read from a file."""

    id: Annotated[str, Field(min_length=1)]
    tool: Annotated[str, Field(min_length=1)]
    category: Category
    organization: Annotated[str, Field(min_length=1)]
    environment: NotRequired[Environment]
    created_at: AwareDatetime
    filters_configured: NotRequired[bool]
    enabled: NotRequired[bool]
    last_api_request_at: NotRequired[AwareDatetime | None]
    credentials_updated_at: NotRequired[AwareDatetime | None]
    qa_status: NotRequired[QaStatus | None]
    deleted_at: NotRequired[AwareDatetime | None]
    syncs: NotRequired[list[SyncDoc]]


@with_config(ConfigDict(extra="forbid"))
class ImportDoc(TypedDict):
    """The top level of an import file."""

    integrations: list[IntegrationDoc]


@cache
def file_validator() -> TypeAdapter[ImportDoc]:
    """The validator of a whole import file (built on first use, then kept)."""
    return TypeAdapter(ImportDoc)


#: A validated integration record: an :class:`IntegrationDoc` (times in UTC) as a dict.
Record = dict[str, Any]
