"""How long a page of the activity feed (``syncwatch activity``, the ``w`` screen) takes to
read at fleet scale: 10,000 integrations, 200,000 transitions, 20,000 operator actions.

Rows are inserted straight into the tables (a SQLite file in a temp directory); each figure
is the median of 5 reads of one page of 50 (``syncwatch.db.feed.activity``).

    uv run python benchmarks/activity.py [--integrations N] [--transitions N]
        [--state-change-index] [--json]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import NOW, dump_json, print_table, progress

from syncwatch.db import Store, tables
from syncwatch.db.feed import activity
from syncwatch.feed import FeedKind, FeedQuery
from syncwatch.states import IntegrationState

TOOLS = ("personio", "workday", "bamboohr", "hibob", "greenhouse", "lever")
ACTORS = ("alice", "bob", "carol", "dave", "erin")
STATES = [s.value for s in IntegrationState]


def fill(store: Store, n_integrations: int, n_transitions: int, n_actions: int) -> None:
    rng = random.Random(42)
    ids = [f"{TOOLS[i % len(TOOLS)]}:{i:06d}" for i in range(n_integrations)]
    with store.write() as conn:
        conn.execute(
            tables.integrations.insert(),
            [
                {
                    "id": iid,
                    "tool": iid.split(":")[0],
                    "category": "HRIS",
                    "organization": f"Org {i % 3000} GmbH",
                    "created_at": NOW - timedelta(days=60),
                }
                for i, iid in enumerate(ids)
            ],
        )
        span = 30 * 86400

        def when() -> object:
            return NOW - timedelta(seconds=rng.randrange(span))

        for start in range(0, n_transitions, 20_000):
            conn.execute(
                tables.state_changes.insert(),
                [
                    {
                        "integration_id": rng.choice(ids),
                        "from_state": rng.choice(STATES),
                        "to_state": rng.choice(STATES),
                        "at": when(),
                        "reason": "Last sync finished and failed: 503 Service Unavailable",
                    }
                    for _ in range(min(20_000, n_transitions - start))
                ],
            )
        conn.execute(
            tables.audit_entries.insert(),
            [
                {
                    "integration_id": rng.choice(ids),
                    "actor": rng.choice(ACTORS),
                    "action": "deactivate",
                    "at": when(),
                    "state_before": "SYNC_FAILING",
                    "state_after": "INACTIVE",
                }
                for _ in range(n_actions)
            ],
        )


def median_ms(store: Store, query: FeedQuery, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        activity(store, query)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--integrations", type=int, default=10_000)
    parser.add_argument("--transitions", type=int, default=200_000)
    parser.add_argument("--actions", type=int, default=20_000)
    parser.add_argument(
        "--state-change-index",
        action="store_true",
        help="add the index on state_change (at, integration_id, id) proposed for models.py",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.db")
        progress(f"filling {args.integrations} integrations, {args.transitions} transitions")
        fill(store, args.integrations, args.transitions, args.actions)
        if args.state_change_index:
            with store.write() as conn:
                conn.exec_driver_sql(
                    "CREATE INDEX ix_state_change_at ON state_change (at, integration_id, id)"
                )
        first = activity(store, FeedQuery())
        deep = FeedQuery()
        for _ in range(20):
            deep = deep.next_page(activity(store, deep)[-1])
        cases = {
            "first page": FeedQuery(),
            "page 21 (keyset)": deep,
            "actions by one actor": FeedQuery(actors=frozenset({"carol"})),
            "one tool, failing": FeedQuery(
                tools=frozenset({"workday"}),
                states=frozenset({IntegrationState.SYNC_FAILING}),
            ),
            "text 'org 42'": FeedQuery(text="org 42"),
            "transitions since 1 h": FeedQuery(
                kinds=frozenset({FeedKind.TRANSITION}), since=NOW - timedelta(hours=1)
            ),
        }
        assert len(first) == 50
        figures = {name: round(median_ms(store, q), 1) for name, q in cases.items()}
        store.close()
    if args.json:
        dump_json({"page_ms": figures, **vars(args)})
    else:
        print_table(("page of 50", "ms (median of 5)"), list(figures.items()))


if __name__ == "__main__":
    main()
