"""Temporary: removed when the renovation is merged.

``kombo_marks`` now lives in :mod:`syncwatch.db.kombo`; re-exported so that the TUI, being
restructured on another branch, keeps working until its imports are rewritten.
"""

from syncwatch.db.kombo import kombo_marks

__all__ = ["kombo_marks"]
