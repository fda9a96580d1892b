"""A sweep says when a run broke the delivery promise, as memosim run does.

The sweep's table averages delivery ratios, and sweep_runs.csv had no
lost_silently, in_flight_at_end nor false_give_ups column: a SafePeerMemoerDoer
run that lost memos silently (a broken promise) read the same as one whose
last memo was still in flight at the end (none). Now sweep_runs.csv has the
three counts and the table ends with a BREACH line per run that broke it
(report.breaches, the verdict of memosim run's table).
"""

from __future__ import annotations

import csv
from pathlib import Path

from memosim.testbed.scenario import load_scenario
from memosim.testbed.sweep_table import sweep_table
from memosim.testbed.sweeps import RUN_COLUMNS, run_sweep, write_outputs

REPO = Path(__file__).resolve().parents[1]


def test_a_silent_loss_in_a_sweep_gets_a_breach_line(tmp_path: Path) -> None:
    scenario = load_scenario(REPO / "scenarios" / "loss-5.toml")
    # acked = false: SafePeerMemoerDoer's memos are plain, so lost ones are lost silently
    result = run_sweep(scenario, {"defaults.acked": [True, False]}, seeds=2, jobs=1)
    for col in ("lost_silently", "in_flight_at_end", "false_give_ups"):
        assert col in RUN_COLUMNS
    runs = {(r["defaults.acked"], r["seed"], r["doer"]): r for r in result.runs}
    safe_plain = [runs[False, s, "SafePeerMemoerDoer"] for s in (1, 2)]
    assert all(r["lost_silently"] > 0 for r in safe_plain)
    assert all(runs[True, s, "SafePeerMemoerDoer"]["lost_silently"] == 0 for s in (1, 2))
    assert all(runs[True, s, "PeerMemoerDoer"]["lost_silently"] > 0 for s in (1, 2))

    lines = [line for line in sweep_table(result).splitlines() if "BREACH" in line]
    assert lines == [
        f"BREACH  defaults.acked=false seed {r['seed']} SafePeerMemoerDoer: "
        f"{r['lost_silently']} lost silently"
        for r in safe_plain
    ]  # fire and forget's losses are no breach; acked SafePeerMemoerDoer kept it

    write_outputs(result, tmp_path, plots=False)
    with (tmp_path / "sweep_runs.csv").open() as f:
        rows = list(csv.DictReader(f))
    lost = {(r["defaults.acked"], r["seed"], r["doer"]): r["lost_silently"] for r in rows}
    assert lost["false", "1", "SafePeerMemoerDoer"] == str(safe_plain[0]["lost_silently"])


def test_a_sweep_without_breaches_prints_none() -> None:
    scenario = load_scenario(REPO / "scenarios" / "loss-5.toml")
    result = run_sweep(scenario, {"links.0.loss.rate": [0.2]}, seeds=1, jobs=1)
    assert "BREACH" not in sweep_table(result)
