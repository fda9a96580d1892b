"""The file excerpts docs/cli.md shows are what memosim writes now.

tests/test_doc_outputs.py checks what the commands print; the summary.json
and sweep.csv excerpts under "Output files" were checked by nobody, and had
drifted: a p99 of 40 ms beside the table's 35, wire bytes and an overhead
ratio of an older run, an overhead mean of 1.091 beside the sweep table's
1.098. Here each value the excerpt shows is compared with the file the
documented command writes ("..." stands for what is left out; a string
ending in "..." for its start; wall seconds cannot repeat).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from test_doc_outputs import blocks

from memosim.testbed.report import write_summary
from memosim.testbed.runner import run_scenario
from memosim.testbed.scenario import load_scenario
from memosim.testbed.simrun import run_sim
from memosim.testbed.sweeps import apply, row_columns, run_sweep, write_csv

REPO = Path(__file__).resolve().parents[1]
CLI = REPO / "docs" / "cli.md"
ELIDED = {"...": "..."}


def shown_block(opening: str) -> list[str]:
    return next(b for b in blocks(CLI) if b and b[0].startswith(opening))


def differences(shown: Any, actual: Any, where: str = "") -> list[str]:
    """Where the excerpt shown says something else than the actual document."""
    if shown == ELIDED or where.endswith(".wall_s"):
        return []
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return [f"{where}: shown a table, is {actual!r}"]
        out = [f"{where}.{k}: shown, not written" for k in shown if k not in actual]
        if ELIDED.keys() & shown.keys() == set():
            out += [f"{where}.{k}: written, not shown" for k in actual if k not in shown]
        for k in shown.keys() & actual.keys():
            out += differences(shown[k], actual[k], f"{where}.{k}")
        return out
    if isinstance(shown, list):
        if not isinstance(actual, list) or len(shown) > len(actual):
            return [f"{where}: shown {shown!r}, is {actual!r}"]
        return [d for i, s in enumerate(shown) for d in differences(s, actual[i], f"{where}[{i}]")]
    if isinstance(shown, str) and shown.endswith("...") and isinstance(actual, str):
        return [] if actual.startswith(shown[:-3]) else [f"{where}: shown {shown}, is {actual}"]
    return [] if shown == actual else [f"{where}: shown {shown!r}, is {actual!r}"]


def test_summary_json_excerpt_is_what_memosim_run_writes(tmp_path: Path) -> None:
    shown = json.loads("\n".join(shown_block("{")))
    result = run_scenario(load_scenario(REPO / "scenarios" / "default.toml"))
    actual = json.loads(write_summary(result, tmp_path / "summary.json").read_text())
    # the excerpt elides the second run and the second link and peer wholesale
    shown["runs"] = shown["runs"][:1]
    assert differences(shown, actual) == []


def test_sweep_csv_excerpt_is_what_memosim_sweep_writes(tmp_path: Path) -> None:
    header, row = shown_block("links.0.loss.rate,doer")
    scenario = load_scenario(REPO / "scenarios" / "loss-5.toml")
    # the documented sweep's first combination, its 4 seeds (each combination runs alone)
    result = run_sweep(scenario, {"links.0.loss.rate": [0.01]}, seeds=4, jobs=1)
    path = write_csv(result.rows, tmp_path / "sweep.csv", row_columns(result))
    lines = list(csv.reader(path.read_text().splitlines()))
    assert header.split(",") == lines[0]
    assert row.split(",") == lines[1]


def table_row(path: Path, first: str) -> list[str]:
    line = next(x for x in path.read_text().splitlines() if x.startswith(f"| {first} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def spread(values: list[int], unit: str = "") -> str:
    lo, hi = min(values), max(values)
    return (f"{lo}" if lo == hi else f"{lo}-{hi}") + unit


def test_acked_delivery_policy_table_is_what_the_runs_give() -> None:
    """docs/acked-delivery.md's rto / fast table (default scenario, seeds 1-3);
    it showed 341 retransmitted, 184 (54%) spurious for rto seed 1, of an
    older run, and README said "more than half" from it."""
    doc = REPO / "docs" / "acked-delivery.md"
    base = load_scenario(REPO / "scenarios" / "default.toml")
    for policy, label in (("rto", "rto"), ("fast", "fast (default, 2 copies)")):
        scenario = apply(base, [("retry.policy", policy)])
        runs = [
            run_scenario(scenario, seed=seed, doers=("SafePeerMemoerDoer",)).runs[0].summary
            for seed in (1, 2, 3)
        ]
        assert {r["memos_delivered"] for r in runs} == {300}
        p99 = spread([round(r["latency_s"]["p99"] * 1000) for r in runs], " ms")
        retx = [r["grams_retransmitted"] for r in runs]
        spurious = [r["spurious_retransmissions"] for r in runs]
        if policy == "rto":
            share = round(100 * spurious[0] / retx[0])
            cells = [f"{retx[0]} (seed 1)", f"{spurious[0]} ({share}%)"]
        else:
            assert all(s < 0.01 * x for s, x in zip(spurious, retx))
            cells = [spread(retx), f"{spread(spurious)} (under 1%)"]
        assert table_row(doc, label) == [label, "300 of 300", p99, *cells]


def test_readme_says_how_many_retransmissions_were_spurious() -> None:
    """README's prose about its demo table (whose rows test_doc_outputs checks)."""
    readme = (REPO / "README.md").read_text()
    rows = {
        line[:24].strip(): line.split()[-1]
        for line in readme.splitlines()
        if line.startswith(("grams retransmitted", "spurious retransmissions"))
    }
    share = int(rows["spurious retransmissions"]) / int(rows["grams retransmitted"])
    assert 0.4 <= share < 0.5 and "nearly half its retransmissions were spurious" in readme


def test_the_explain_example_tells_what_memo_142_went_through() -> None:
    """docs/cli.md's timeline example described memo 98 of an older run (gram 5
    and the first ack lost, every gram resent, 1,425 ms): no memo of today's
    run took longer than 635 ms. Its story now is memo 142's, checked here."""
    text = CLI.read_text()
    assert "--memo 142 --doer SafePeerMemoerDoer" in text
    assert (REPO / "docs" / "img" / "timeline-default-memo142.png").is_file()
    scenario = load_scenario(REPO / "scenarios" / "default.toml")
    run = run_sim(scenario, "SafePeerMemoerDoer", 1, timelines=True)
    rec = run.timeline[142]
    ms = [(round((e[0] - rec["sent_s"]) * 1000), *e[1:4]) for e in rec["events"]]
    assert {n for t, kind, n, _ in ms if kind == "drop" and t == 0} == {1, 5}
    assert [t for t, kind, n, _ in ms if kind == "deliver" and n == -1][0] == 77
    assert [(t, n) for t, kind, n, _ in ms if kind == "resend"] == [(200, 1), (200, 5), (600, 1)]
    assert [(t, n) for t, kind, n, _ in ms if kind == "drop" and t > 0] == [(200, 1)]
    assert [t for t, kind, n, _ in ms if kind == "deliver" and n == 1] == [632]
    latency = round((rec["delivered_s"] - rec["sent_s"]) * 1000)
    assert latency == 635 == round(run.summary["latency_s"]["max"] * 1000)
    assert {w for _, w in rec["window"]} == {58}
    for said in ("back at 77 ms", "at 600 ms and it arrived at 632", "635 ms", "stayed at 58"):
        assert said in " ".join(text.split())
