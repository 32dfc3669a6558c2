"""``syncwatch serve``: the UI, or the demo, in a browser, over textual-serve (the ``serve``
extra). :mod:`.visitors` is the bookkeeping (limits, the command each visitor runs);
:mod:`.server` the server around it."""

from syncwatch.serve.server import SyncwatchServer
from syncwatch.serve.visitors import ServeOptions

__all__ = ["ServeOptions", "SyncwatchServer"]
