"""Import: the JSON schema, validation with JSON paths, and an atomic, idempotent upsert.

A file with any invalid record imports nothing; several files are imported all or nothing
together. Every stored text (organization, tool, log message, log field) is redacted, and
log messages are capped at ``limits.MESSAGE_LIMIT``; an id that holds a secret is refused.

One concept per module, imports pointing down the list:

- :mod:`~syncwatch.importer.schema`: the file format (pydantic models, and the same schema
  as TypedDicts that files are validated with);
- :mod:`~syncwatch.importer.errors`: :class:`Problem` (file, JSON path, message) and
  :class:`ImportRejected`;
- :mod:`~syncwatch.importer.parse`: reading files and standard input, validation, the
  checks the schema cannot make, time shifting;
- :mod:`~syncwatch.importer.prepare`: log rows ready to store (redaction, derived ids, time
  text, counts) and the forked worker that shares that work for large imports;
- :mod:`~syncwatch.importer.upsert`: the merge into the store and the report; every
  statement is :mod:`syncwatch.db.bulk`'s;
- :mod:`~syncwatch.importer.sample`: the bundled sample data.

What the rest of syncwatch uses is importable from here. Tuning knobs a test or benchmark
may change (``PARALLEL_MIN_BYTES``, ``FLUSH_ROWS``) are set on their own module.
"""

from __future__ import annotations

from syncwatch.importer.errors import ImportRejected, Problem, json_path
from syncwatch.importer.parse import (
    ParsedFile,
    newest_sync_end,
    parse_bytes,
    read_file,
    shift_times,
)
from syncwatch.importer.prepare import (
    PreparationWorker,
    derive_log_id,
    log_id,
    preparation_worker,
    stored_text,
)
from syncwatch.importer.sample import load_sample, sample_path
from syncwatch.importer.schema import (
    ImportDoc,
    Instant,
    IntegrationDoc,
    IntegrationIn,
    LogDoc,
    LogIn,
    Record,
    SyncDoc,
    SyncIn,
)
from syncwatch.importer.upsert import ImportReport, import_files, import_parsed

__all__ = [
    "ImportDoc",
    "ImportRejected",
    "ImportReport",
    "Instant",
    "IntegrationDoc",
    "IntegrationIn",
    "LogDoc",
    "LogIn",
    "ParsedFile",
    "PreparationWorker",
    "Problem",
    "Record",
    "SyncDoc",
    "SyncIn",
    "derive_log_id",
    "import_files",
    "import_parsed",
    "json_path",
    "load_sample",
    "log_id",
    "newest_sync_end",
    "parse_bytes",
    "preparation_worker",
    "read_file",
    "sample_path",
    "shift_times",
    "stored_text",
]
