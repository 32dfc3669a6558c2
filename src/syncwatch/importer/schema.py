"""The import file's format: pydantic models for records built in code, and the same
schema as TypedDicts that files are validated with (straight from the JSON bytes).

Times carry a zone and lie in syncwatch's range (1970-2199); they are stored in UTC.
Files are read strictly: a time is an ISO 8601 string with a zone (never a number or a
string of digits, which pydantic would read as a Unix time), a boolean is ``true`` or
``false``, and a name (an id, tool, organization, a log entry's field) has at most
:data:`syncwatch.limits.NAME_LIMIT` characters.
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
    GetPydanticSchema,
    Strict,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    with_config,
)
from pydantic_core import core_schema
from typing_extensions import TypedDict

from syncwatch.clock import check_range
from syncwatch.limits import NAME_LIMIT
from syncwatch.states import Category, Environment, LogLevel, QaStatus, SyncState, SyncType

#: A time with a zone, in syncwatch's range, converted to UTC.
Instant = Annotated[AwareDatetime, AfterValidator(check_range)]

#: A name: an id, tool, organization or log field (not empty, at most NAME_LIMIT long).
Name = Annotated[str, Field(min_length=1, max_length=NAME_LIMIT)]

#: How every time in a file starts: a date and an hour and minute (ISO 8601). Checked
#: before the time is parsed, because pydantic reads a string of digits ("1790000000")
#: as a Unix time, and in strict mode still does.
ISO_TIME_START = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}"

#: A time in a file: a JSON string that starts as ISO 8601 and parses as a time with a
#: zone. Both steps run in pydantic-core (no Python call per value: an import has
#: hundreds of thousands of times).
FileTime = Annotated[
    datetime,
    GetPydanticSchema(
        lambda _source, _handler: core_schema.chain_schema(
            [
                core_schema.str_schema(pattern=ISO_TIME_START, strict=True),
                core_schema.datetime_schema(tz_constraint="aware"),
            ]
        )
    ),
]

#: A boolean in a file: JSON ``true`` or ``false`` only (not "yes", 0 or 1).
FileBool = Annotated[bool, Strict()]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LogIn(_Record):
    """One log entry of a sync."""

    id: str | None = Field(default=None, min_length=1, max_length=NAME_LIMIT)
    at: Instant
    level: LogLevel
    message: str
    field: str | None = Field(default=None, max_length=NAME_LIMIT)


class SyncIn(_Record):
    """One sync with its log entries."""

    id: str = Field(min_length=1, max_length=NAME_LIMIT)
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

    id: str = Field(min_length=1, max_length=NAME_LIMIT)
    tool: str = Field(min_length=1, max_length=NAME_LIMIT)
    category: Category
    organization: str = Field(min_length=1, max_length=NAME_LIMIT)
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

    id: NotRequired[Name | None]
    at: FileTime
    level: LogLevel
    message: str
    field: NotRequired[Annotated[str, Field(max_length=NAME_LIMIT)] | None]


@with_config(_FILE_CONFIG)
class SyncDoc(TypedDict):
    """One sync as read from a file."""

    id: Name
    type: NotRequired[SyncType]
    state: SyncState
    started_at: FileTime
    ended_at: NotRequired[FileTime | None]
    logs: NotRequired[list[LogDoc]]


@with_config(_FILE_CONFIG)
class IntegrationDoc(TypedDict):
    """One integration record as read from a file."""

    id: Name
    tool: Name
    category: Category
    organization: Name
    environment: NotRequired[Environment]
    created_at: FileTime
    filters_configured: NotRequired[FileBool]
    enabled: NotRequired[FileBool]
    last_api_request_at: NotRequired[FileTime | None]
    credentials_updated_at: NotRequired[FileTime | None]
    qa_status: NotRequired[QaStatus | None]
    deleted_at: NotRequired[FileTime | None]
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
