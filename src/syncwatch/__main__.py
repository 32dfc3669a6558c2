"""Allow ``python -m syncwatch``."""

from syncwatch.cli import main

raise SystemExit(main())
