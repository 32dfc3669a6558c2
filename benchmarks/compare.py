"""Run a benchmark script of this tree and of an earlier commit, alternated, and compare.

The machine is shared and its speed drifts by 1.5-2x within minutes, so a figure from an
earlier session says little. This runs the same benchmark for the baseline commit and for
the working tree in alternating order (A B B A A B ...), in the same minutes, then prints
every numeric figure both runs report, with the median of each side and their ratio.

    uv run python benchmarks/compare.py --baseline REF [--rounds 4] [--json] \\
        SCRIPT [-- SCRIPT_ARGS...]

    uv run python benchmarks/compare.py --baseline HEAD~3 evaluator.py -- --integrations 2000

The baseline is checked out with ``git worktree`` into a temporary directory and run with
this tree's virtual environment, its own ``src`` first on ``sys.path`` (the dependencies are
the same unless the lock file changed in between) and its own copy of the script (a
benchmark may use API the baseline does not have, or the other way round). Each run must
print one JSON object with ``--json``; the figures compared are its numeric leaves (paths
such as ``cases.b.median_ms``). Ratios are new / baseline: below 1 is faster.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def numeric_leaves(value: Any, prefix: str = "") -> dict[str, float]:
    """Every number in a JSON value, by its dotted path (lists by index)."""
    out: dict[str, float] = {}
    if isinstance(value, bool):
        return out
    if isinstance(value, int | float):
        out[prefix] = float(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            out.update(numeric_leaves(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out.update(numeric_leaves(item, f"{prefix}.{i}" if prefix else str(i)))
    return out


def run_one(tree: Path, script: str, args: list[str]) -> dict[str, float]:
    """One run of ``tree``'s copy of the script; its JSON figures."""
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    cmd = [sys.executable, str(tree / "benchmarks" / script), *args, "--json"]
    done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"{script} failed in {tree} (exit {done.returncode})")
    return numeric_leaves(json.loads(done.stdout))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", required=True, help="a commit (e.g. HEAD~3, a tag, a hash)")
    p.add_argument("--rounds", type=int, default=4, help="runs of each side (default 4)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--match", default="", help="compare only figures whose path contains this")
    p.add_argument("script", help="a script in benchmarks/, e.g. evaluator.py")
    p.add_argument("args", nargs=argparse.REMAINDER, help="-- then the script's own options")
    ns = p.parse_args()
    args = ns.args[1:] if ns.args[:1] == ["--"] else ns.args
    if ns.rounds < 1:
        p.error("--rounds must be at least 1")
    with tempfile.TemporaryDirectory(prefix="syncwatch-baseline-") as tmp:
        base = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base), ns.baseline],
            check=True,
        )
        try:
            runs: dict[str, list[dict[str, float]]] = {"baseline": [], "new": []}
            for i in range(ns.rounds):
                order = [("baseline", base), ("new", ROOT)]
                if i % 2:
                    order.reverse()
                for side, tree in order:
                    print(f"round {i + 1}/{ns.rounds}: {side}", file=sys.stderr)
                    runs[side].append(run_one(tree, ns.script, args))
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False
            )
    keys = sorted(set(runs["baseline"][0]) & set(runs["new"][0]))
    keys = [k for k in keys if ns.match in k]
    figures: dict[str, dict[str, float | None]] = {}
    for key in keys:
        old = statistics.median(r[key] for r in runs["baseline"] if key in r)
        new = statistics.median(r[key] for r in runs["new"] if key in r)
        figures[key] = {"baseline": old, "new": new, "ratio": new / old if old else None}
    doc = {
        "script": ns.script,
        "args": args,
        "baseline": ns.baseline,
        "rounds": ns.rounds,
        "figures": figures,
    }
    if ns.json:
        print(json.dumps(doc))
        return 0
    print(f"{ns.script} {' '.join(args)}: median of {ns.rounds} alternated runs each")
    print(f"{'figure':<60} {'baseline':>12} {'new':>12} {'ratio':>7}")
    for key, f in figures.items():
        ratio = f"{f['ratio']:.2f}" if f["ratio"] is not None else "-"
        print(f"{key:<60} {f['baseline']:>12.4g} {f['new']:>12.4g} {ratio:>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
