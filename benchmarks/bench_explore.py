"""Explore benchmark: swarm runs per wall second on 1 and on 2 workers, and what they found.

Runs ``memosim explore`` on a scenario (default: the shipped adversarial
one, 500 runs, both Doers) once per worker count: 1 runs in this process,
more start a local Dask cluster of that many worker processes (its start-up
is counted: it is what a user waits for). Prints, per worker count, runs,
wall seconds, runs per second and violations found, and checks that every
worker count gave the same rows (same trace digests).

    .venv/bin/python benchmarks/bench_explore.py [--runs 500] [--workers 1,2] [FILE]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from memosim.testbed.explore import explore  # noqa: E402
from memosim.testbed.scenario import load_scenario  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", default=str(ROOT / "scenarios" / "adversarial.toml"))
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args(argv)
    scenario = load_scenario(args.file)
    counts = [int(x) for x in args.workers.split(",")]
    print(f"explore {scenario.name}: {args.runs} runs x {len(scenario.doers)} Doers")
    print(f"{'workers':>7}  {'wall s':>7}  {'runs/s':>7}  violating runs")
    rows = {}
    for n in counts:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            result = explore(
                scenario, Path(tmp), runs=args.runs, seed=args.seed, workers=n, shrink_budget=0
            )
            wall = time.perf_counter() - t0
        rows[n] = [
            (r["run"], r["doer"], r.get("trace_digest"), r["violations"]) for r in result.rows
        ]
        bad = sorted({r["run"] for r in result.violating})
        print(f"{n:>7}  {wall:>7.1f}  {args.runs / wall:>7.2f}  {len(bad)} {bad[:10]}")
    same = all(v == rows[counts[0]] for v in rows.values())
    print("rows identical on every worker count" if same else "ROWS DIFFER between worker counts")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
