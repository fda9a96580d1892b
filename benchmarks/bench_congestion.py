"""Congestion control on the shipped scenarios: the table in docs/acked-delivery.md.

For narrow-link, incast and default, each retry policy with congestion
control off ("none") and on ("newreno"), SafePeerMemoerDoer on the sim
backend, seeds 1 and 2: memos delivered, goodput (payload bits per second
from the first memo queued to the last delivered), grams resent against
datagrams the network dropped, and p99 latency; then Jain's fairness index
over the incast senders' goodputs on seeds 1-6. Simulated, so every figure
repeats exactly.

    .venv/bin/python benchmarks/bench_congestion.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from memosim.testbed.backend import RunResult  # noqa: E402
from memosim.testbed.metrics import busy_goodput, jain_index  # noqa: E402
from memosim.testbed.scenario import load_scenario  # noqa: E402
from memosim.testbed.simrun import run_sim  # noqa: E402

SAFE = "SafePeerMemoerDoer"
CASES = [
    ("narrow-link", "rto", "none"),
    ("narrow-link", "rto", "newreno"),
    ("narrow-link", "fast", "none"),
    ("narrow-link", "fast", "newreno"),
    ("incast", "rto", "none"),
    ("incast", "rto", "newreno"),
    ("incast", "fast", "newreno"),
    ("default", "rto", "none"),
    ("default", "rto", "newreno"),
    ("default", "fast", "none"),
    ("default", "fast", "newreno"),
]


def run(name: str, seed: int, **retry: Any) -> RunResult:
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    for key, value in retry.items():
        scenario = scenario.with_override(f"retry.{key}", value)
    return run_sim(scenario, SAFE, seed)


def goodput(result: RunResult, src: str | None = None) -> float:
    return busy_goodput(result.rows, src)


def jain(result: RunResult, senders: int = 4) -> float:
    return jain_index([goodput(result, f"s{i}") for i in range(1, senders + 1)])


def p99(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1,2", help="seeds of the table")
    ap.add_argument("--jain-seeds", type=int, default=6, help="incast seeds 1..N for Jain")
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    print(
        "| scenario | policy | congestion | delivered | goodput kbit/s "
        "| resent / network drops | p99 |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, policy, congestion in CASES:
        runs = [run(name, seed, policy=policy, congestion=congestion) for seed in seeds]
        delivered = ", ".join(str(r.summary["memos_delivered"]) for r in runs)
        rate = "" if name == "default" else ", ".join(f"{goodput(r) / 1000:,.0f}" for r in runs)
        resent = ", ".join(
            f"{r.summary['grams_retransmitted']:,} / {sum(r.network['total']['dropped'].values()):,}"
            for r in runs
        )
        lat = ", ".join(p99(r.summary["latency_s"]["p99"]) for r in runs)
        print(f"| {name} | {policy} | {congestion} | {delivered} | {rate} | {resent} | {lat} |")
    print()
    for policy in ("rto", "fast"):
        js = [jain(run("incast", seed, policy=policy)) for seed in range(1, args.jain_seeds + 1)]
        listed = ", ".join(f"{j:.3f}" for j in js)
        print(f"incast Jain ({policy}), seeds 1-{len(js)}: {listed}; mean {sum(js) / len(js):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
