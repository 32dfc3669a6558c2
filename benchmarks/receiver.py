"""Webhook receiver throughput: 5,000 signed events from 8 concurrent clients over loopback.

The receiver runs in its own process (as ``syncwatch receive`` does: uvicorn, Starlette, a
fresh SQLite database per run); the clients run here, 8 threads each with a keep-alive
``httpx.Client``. Every run checks that each event was stored exactly once (the count and
the set of ids in ``webhook_event``, and one sync per sync-finished event).

Cases, in the same run:

* ``noop``: an unsigned endpoint that reads the body and answers: the HTTP floor;
* ``single``: the receiver with its database work on one writer thread (the default);
* ``threadpool``: the same work on Starlette's thread pool (``run_in_threadpool``).

    uv run python benchmarks/receiver.py [--events 5000] [--clients 8] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from syncwatch.kombo.events import sign
from syncwatch.kombo.receiver import WEBHOOK_PATH

SECRET = b"benchmark-webhook-secret"
START = datetime(2026, 11, 20, tzinfo=UTC)
_TOOLS = (("personio", "HRIS"), ("greenhouse", "ATS"), ("workday", "HRIS"), ("lever", "ATS"))


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def make_events(n: int, integrations: int = 200) -> list[tuple[str, bytes]]:
    """``n`` events (id, body): mostly sync-finished, some state changes, a few unknown."""
    events: list[tuple[str, bytes]] = []
    for i in range(n):
        k = i % integrations
        tool, category = _TOOLS[k % len(_TOOLS)]
        iid = f"{tool}:bench{k:05d}"
        end_user = {"organization_name": f"Org {k}", "creator_email": None, "origin_id": None}
        started = START + timedelta(minutes=10 * (i // integrations))
        event_id = f"evt_{i:07d}"
        if i % 10 == 9:
            kind = "integration-state-changed"
            data: dict[str, Any] = {
                "integration_id": iid,
                "integration_tool": tool,
                "integration_category": category,
                "end_user": end_user,
                "state": "ACTIVE",
                "setup_status": "COMPLETED",
                "qa_status": "PASSED",
                "updated_at": _iso(started),
            }
        elif i % 50 == 7:
            kind, data = "data-changed", {"integration_id": iid}
        else:
            kind = "sync-finished"
            data = {
                "sync_id": f"sync_{i:07d}",
                "sync_state": "FAILED" if i % 37 == 0 else "SUCCEEDED",
                "sync_started_at": _iso(started),
                "sync_ended_at": _iso(started + timedelta(minutes=5)),
                "sync_duration_seconds": 300,
                "integration_id": iid,
                "integration_tool": tool,
                "integration_category": category,
                "end_user": end_user,
                "log_url": f"https://app.kombo.dev/env/production/logs/{i}",
            }
        body = json.dumps({"id": event_id, "type": kind, "data": data}).encode()
        events.append((event_id, body))
    return events


# --------------------------------------------------------------------------- the server


def serve(db: str, port: int, writer: str) -> None:
    """The server process: the receiver with the benchmark's no-op route."""
    from syncwatch.clock import SystemClock
    from syncwatch.db import Store
    from syncwatch.kombo.receiver import Receiver, make_server

    store = Store.open(db)
    receiver = Receiver(store, SECRET, SystemClock(), writer=writer)  # type: ignore[arg-type]
    make_server(
        receiver, "127.0.0.1", port, noop_route=True, access_log=False, log_level="warning"
    ).run()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, db: str, writer: str) -> None:
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", db, str(self.port), writer],
            stdout=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(300):
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("the receiver did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


# --------------------------------------------------------------------------- the clients


def blast(
    url: str, path: str, events: list[tuple[str, bytes]], clients: int, signed: bool
) -> tuple[float, list[float], dict[int, int]]:
    """Send every event once from ``clients`` threads; (seconds, latencies in ms, statuses)."""
    shards = [events[i::clients] for i in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: list[dict[int, int]] = [{} for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            http.get("/healthz")  # connect before the clock starts
            barrier.wait()
            for _event_id, body in shards[n]:
                headers = {"X-Kombo-Signature": sign(SECRET, body)} if signed else {}
                t0 = time.perf_counter()
                resp = http.post(path, content=body, headers=headers)
                latencies[n].append((time.perf_counter() - t0) * 1000)
                statuses[n][resp.status_code] = statuses[n].get(resp.status_code, 0) + 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    merged: dict[int, int] = {}
    for s in statuses:
        for code, count in s.items():
            merged[code] = merged.get(code, 0) + count
    return took, [x for lat in latencies for x in lat], merged


def check_stored(db: str, events: list[tuple[str, bytes]]) -> dict[str, Any]:
    """Every event stored exactly once: the count, the ids, one sync per sync event."""
    from syncwatch.db import Store
    from syncwatch.db.kombo import stored_event_ids

    store = Store.open(db)
    try:
        ids = list(stored_event_ids(store))
        syncs = store.counts()["syncs"]
    finally:
        store.close()
    expected_syncs = sum(1 for _, body in events if b'"sync-finished"' in body)
    ok = len(ids) == len(events) and set(ids) == {i for i, _ in events}
    ok = ok and syncs == expected_syncs
    return {"stored": len(ids), "distinct": len(set(ids)), "syncs": syncs, "exactly_once": ok}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_case(case: str, events: list[tuple[str, bytes]], clients: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="syncwatch-bench-") as tmp:
        db = str(Path(tmp) / "receiver.db")
        server = Server(db, "single" if case == "noop" else case)
        try:
            path = "/noop" if case == "noop" else WEBHOOK_PATH
            took, latencies, statuses = blast(server.url, path, events, clients, case != "noop")
        finally:
            server.stop()
        result: dict[str, Any] = {
            "seconds": round(took, 3),
            "events_per_s": round(len(events) / took, 1),
            "p50_ms": round(percentile(latencies, 0.50), 2),
            "p99_ms": round(percentile(latencies, 0.99), 2),
            "statuses": statuses,
        }
        if case != "noop":
            result.update(check_stored(db, events))
        return result


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cases", default="noop,single,threadpool")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    events = make_events(args.events)
    cases = args.cases.split(",")
    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in cases}
    for r in range(args.repeat):
        for case in cases:  # interleaved, so drift on a shared machine hits every case
            res = run_case(case, events, args.clients)
            runs[case].append(res)
            print(f"run {r + 1} {case:<10} {res['events_per_s']:>8} ev/s  "
                  f"p50 {res['p50_ms']} ms  p99 {res['p99_ms']} ms  "
                  f"{res.get('exactly_once', '')}", file=sys.stderr)  # fmt: skip
    summary: dict[str, Any] = {
        "events": args.events,
        "clients": args.clients,
        "repeat": args.repeat,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "cases": {},
    }
    for case, results in runs.items():
        summary["cases"][case] = {
            "events_per_s": statistics.median(x["events_per_s"] for x in results),
            "p50_ms": statistics.median(x["p50_ms"] for x in results),
            "p99_ms": statistics.median(x["p99_ms"] for x in results),
            "exactly_once": all(x.get("exactly_once", True) for x in results),
            "runs": results,
        }
    if args.json:
        json.dump(summary, sys.stdout)
        sys.stdout.write("\n")
        return 0
    floor = summary["cases"].get("noop", {}).get("events_per_s")
    print(f"{args.events} events, {args.clients} clients, median of {args.repeat} runs")
    print(f"{'case':<12}{'events/s':>10}{'p50 ms':>9}{'p99 ms':>9}  {'vs floor':>8}  stored once")
    for case, s in summary["cases"].items():
        ratio = f"{s['events_per_s'] / floor:.2f}x" if floor else "-"
        once = "-" if case == "noop" else ("yes" if s["exactly_once"] else "NO")
        print(f"{case:<12}{s['events_per_s']:>10,.0f}{s['p50_ms']:>9.1f}{s['p99_ms']:>9.1f}"
              f"  {ratio:>8}  {once}")  # fmt: skip
    return 0 if all(s["exactly_once"] for s in summary["cases"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
