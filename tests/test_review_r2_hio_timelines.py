"""Review r2: `memosim run` of a scenario with an impl = "hio" peer.

Every sim run records each sender's window for timeline.jsonl (with or
without --no-plots), reading memosim's engine of every peer; a hio peer has
none, so `memosim run scenarios/hio-mixed.toml` (a shipped scenario) ended
in an AttributeError traceback. The window is recorded for memosim's peers
only, and a hio sender's memos get timelines without one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memosim.cli import main

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.mark.parametrize("name", ["hio-mixed", "hio-curt-short"])
def test_a_hio_scenario_runs_and_writes_timelines(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (SCENARIOS / f"{name}.toml").read_text(encoding="utf-8")
    short = tmp_path / f"{name}.toml"
    short.write_text(text.replace("count = 200", "count = 5").replace("count = 50", "count = 5"))
    out = tmp_path / "out"
    status = main(["run", str(short), "--no-plots", "-q", "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 0, err
    records = [json.loads(line) for line in (out / "timeline.jsonl").read_text().splitlines()]
    summary = json.loads((out / "summary.json").read_text())
    assert len(records) == sum(run["memos_sent"] for run in summary["runs"]) > 0
    hio = {n for n, p in summary["runs"][0]["by_peer"].items() if p["impl"] == "hio"}
    assert hio
    senders = {record["key"].split(":")[1].split(">")[0] for record in records}
    assert senders & hio, senders  # a hio peer sent memos, and they have timelines
    for record in records:
        if record["key"].split(":")[1].split(">")[0] in hio:
            assert record["window"] == [], record["key"]
