"""Regression suite: every shipped scenario against its pinned golden results.

sim backend (exact): each scenario in scenarios/ runs with its regression seeds
(its own seed and the next) and every Doer; the counters of
memosim.testing.goldens METRICS and the trace digest must equal
tests/regression/golden/<scenario>.json. The check is memosim's pytest plugin's
(the memosim_golden fixture), the one users get. A failure names the scenario,
the seed, the Doer and every metric that moved (old -> new). When the change is
intended, regenerate on purpose and review the diff:

    .venv/bin/python -m tests.regression.regenerate --scenario NAME
    .venv/bin/python -m pytest tests/test_regression.py -k NAME --memosim-regen   # the same
    git diff tests/regression/golden

udp backend (ranges): a few scenarios, shortened, run on real loopback sockets
in real time; their outcome is checked against ranges around the sim result.

docs/regression.md explains the suite, the ranges and how to update it.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from regression import golden  # tests/regression/ (tests/ is on sys.path, as for helpers)

from memosim.testbed.runner import run_scenario
from memosim.testbed.scenario import Scenario, load_scenario

FILES = golden.scenario_files()
NAMES = [golden.scenario_name(p) for p in FILES]


def test_shipped_scenarios_found():
    assert len(FILES) >= 10, f"expected the shipped scenarios in {golden.SCENARIOS_DIR}"
    assert len(set(NAMES)) == len(NAMES), f"two scenario files share a name: {NAMES}"


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_sim_matches_golden(path: Path, memosim_golden):
    """The plugin's check (memosim.testing): fails naming scenario, seed, Doer and
    old -> new; with --memosim-regen it writes the golden instead."""
    memosim_golden.check(golden.SUITE, path)


def test_golden_files_are_canonical_and_current():
    """Every golden file belongs to a shipped scenario and is in the stable form
    regenerate writes (so hand edits and stale files show up here)."""
    problems = []
    for path in sorted(golden.GOLDEN_DIR.glob("*.json")):
        if path.stem not in NAMES:
            problems.append(
                f"{path.name}: no scenario named {path.stem} in scenarios/ "
                f"(delete it, or: {golden.REGENERATE} --prune)"
            )
            continue
        doc = golden.load_golden(path.stem)
        assert doc is not None
        if golden.dumps(doc) != path.read_text(encoding="utf-8"):
            problems.append(
                f"{path.name}: not in canonical form "
                f"({golden.REGENERATE} --scenario {path.stem} rewrites it)"
            )
        if doc.get("scenario") != path.stem:
            problems.append(f"{path.name}: holds scenario {doc.get('scenario')!r}")
    assert not problems, "\n".join(problems)


def test_compare_names_scenario_seed_doer_and_metric():
    """The failure message format the suite promises (docs/regression.md)."""
    run = {
        "memos_sent": 150,
        "memos_delivered": 150,
        "duplicates_delivered": 0,
        "corrupt_delivered": 0,
        "grams_sent": 829,
        "grams_retransmitted": 412,
        "acks_sent": 202,
        "gave_up": 0,
        "trace_digest": "a" * 64,
    }
    old = {
        "format": 1,
        "scenario": "loss-5",
        "scenario_digest": "d",
        "seeds": {"1": {"SafePeerMemoerDoer": run}},
    }
    new = {
        **old,
        "seeds": {
            "1": {
                "SafePeerMemoerDoer": {**run, "grams_retransmitted": 398, "trace_digest": "b" * 64}
            }
        },
    }
    assert golden.compare(old, old) == []
    assert golden.compare(old, new) == [
        "loss-5 seed 1 SafePeerMemoerDoer: grams_retransmitted 412 -> 398",
        "loss-5 seed 1 SafePeerMemoerDoer: trace_digest aaaaaaaaaaaaaaaa -> bbbbbbbbbbbbbbbb",
    ]


# --- udp backend: ranges ------------------------------------------------------

#: Scenarios run on real UDP, shortened (overrides applied in order; the memo
#: count first so the last memo stays due before the shorter duration). Each
#: Doer's run takes duration_s wall seconds: 2 x (2.5 + 5.0) = 15 s in all.
UDP_CASES: dict[str, tuple[tuple[str, object], ...]] = {
    "clean-lan": (("workload.0.count", 60), ("scenario.duration_s", 2.5)),
    "loss-5": (("workload.0.count", 80), ("scenario.duration_s", 5.0)),
}
#: SafePeerMemoerDoer must deliver at least this fraction over UDP.
UDP_SAFE_MIN_RATIO = 0.95
#: PeerMemoerDoer's udp delivery ratio must be within this of its sim ratio
#: for the same shortened scenario and seed (see docs/regression.md).
UDP_PLAIN_BAND = 0.10


def shortened(name: str) -> Scenario:
    scenario = load_scenario(golden.SCENARIOS_DIR / f"{name}.toml")
    for path, value in UDP_CASES[name]:
        scenario = scenario.with_override(path, value)
    return scenario


@pytest.mark.udp
@pytest.mark.parametrize("name", sorted(UDP_CASES))
def test_udp_within_ranges(name: str):
    scenario = shortened(name)
    seed = scenario.seed
    sim = run_scenario(scenario, backend="sim", seed=seed)
    udp = run_scenario(scenario, backend="udp", seed=seed)
    problems = []
    for run in udp.runs:
        s = run.summary
        where = f"{name} (shortened) seed {seed} {run.doer} over udp"
        if s["memos_sent"] != scenario.memo_count:
            problems.append(
                f"{where}: memos_sent {s['memos_sent']}, expected {scenario.memo_count}"
            )
        if s["corrupt_delivered"] or s["duplicates_delivered"]:
            problems.append(
                f"{where}: corrupt_delivered {s['corrupt_delivered']}, "
                f"duplicates_delivered {s['duplicates_delivered']}, expected 0"
            )
    safe = udp.run("SafePeerMemoerDoer").summary["delivery_ratio"]
    if safe is None or safe < UDP_SAFE_MIN_RATIO:
        problems.append(
            f"{name} (shortened) seed {seed} SafePeerMemoerDoer over udp: "
            f"delivery_ratio {safe}, expected >= {UDP_SAFE_MIN_RATIO}"
        )
    plain_sim = sim.run("PeerMemoerDoer").summary["delivery_ratio"]
    plain_udp = udp.run("PeerMemoerDoer").summary["delivery_ratio"]
    if plain_udp is None or not math.isclose(plain_udp, plain_sim, abs_tol=UDP_PLAIN_BAND):
        problems.append(
            f"{name} (shortened) seed {seed} PeerMemoerDoer: delivery_ratio "
            f"udp {plain_udp} vs sim {plain_sim}, expected within "
            f"+-{UDP_PLAIN_BAND}"
        )
    assert not problems, "\n".join(problems)
