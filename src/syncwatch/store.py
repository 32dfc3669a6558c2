"""Temporary: removed when the renovation is merged.

The old home of the storage layer, now the package :mod:`syncwatch.db`. These names are
re-exported so that modules being restructured on other branches keep working until their
imports are rewritten. The one-letter tables are the tables of :mod:`syncwatch.db.tables`
under their real names: ``I`` integrations, ``S`` syncs, ``L`` log_entries, ``H``
state_changes, ``A`` audit_entries, ``E`` events.
"""

from syncwatch.db.engine import PG_LOCK_TIMEOUT_S, WRITE_LOCK_KEY, database_url
from syncwatch.db.errors import StoreError, describe_db_error, redact_url
from syncwatch.db.evaluation import purge
from syncwatch.db.schema import (
    SchemaStatus,
    create_engine,
    prepare_schema,
    schema_status,
    upgrade_schema,
)
from syncwatch.db.store import Store
from syncwatch.db.tables import audit_entries as A
from syncwatch.db.tables import events as E
from syncwatch.db.tables import integrations as I
from syncwatch.db.tables import log_entries as L
from syncwatch.db.tables import state_changes as H
from syncwatch.db.tables import syncs as S

__all__ = [
    "PG_LOCK_TIMEOUT_S",
    "WRITE_LOCK_KEY",
    "A",
    "E",
    "H",
    "I",
    "L",
    "S",
    "SchemaStatus",
    "Store",
    "StoreError",
    "create_engine",
    "database_url",
    "describe_db_error",
    "prepare_schema",
    "purge",
    "redact_url",
    "schema_status",
    "upgrade_schema",
]
