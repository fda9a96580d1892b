"""Review s7: the lazy workload plan gives the memos an eager plan gives.

backend.schedule makes each memo when the run reaches it; the reference
below makes every memo up front, each pair from its own stream in index
order, and sorts them by (tyme, workload, sender, receiver, index). The
two must agree memo for memo on every workload shape a scenario allows.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import eager_plan

from memosim.testbed.backend import schedule
from memosim.testbed.scenario import parse_scenario
from memosim.testbed.workload import unfold


def _doc(*workload: dict[str, Any]) -> dict[str, Any]:
    names = ["alice", "bob", "carol"]
    return {
        "scenario": {"duration_s": 60.0, "seed": 4},
        "peers": [{"name": n, "port": 47400 + i} for i, n in enumerate(names)],
        "workload": list(workload),
    }


SHAPES = {
    "overlapping workloads, mixed sizes": (
        {"src": "*", "dst": "*", "count": 20, "rate_per_s": 7.0, "start_s": 0.1,
         "memo_size": {"dist": "uniform", "min": 1, "max": 400}},
        {"src": "bob", "dst": ["alice", "carol"], "count": 15, "interval_s": 1 / 3,
         "memo_size": {"dist": "lognormal", "min": 1, "median": 90.0, "sigma": 1.5, "max": 9000}},
    ),
    "bursts at one tyme": (
        {"src": "*", "dst": "alice", "count": 30, "interval_s": 0.0, "start_s": 2.0,
         "memo_size": {"dist": "fixed", "bytes": 3}},
        {"src": "alice", "dst": "*", "count": 30, "interval_s": 0.0, "start_s": 2.0,
         "memo_size": {"dist": "fixed", "bytes": 5000}},
    ),
    "sizes around the tag and the filler block": (
        {"src": "carol", "dst": "bob", "count": 40, "interval_s": 0.05,
         "memo_size": {"dist": "uniform", "min": 10, "max": 90}},
    ),
}  # fmt: skip


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("seed", [1, -7])
def test_the_lazy_plan_is_the_eager_plan_memo_for_memo(shape: str, seed: int) -> None:
    scenario = parse_scenario(_doc(*SHAPES[shape]), "shape.toml")
    lazy = [(when, key, unfold(planned)) for when, key, planned in schedule(scenario, seed)]
    assert len(lazy) == scenario.memo_count
    assert lazy == eager_plan(scenario, seed)
