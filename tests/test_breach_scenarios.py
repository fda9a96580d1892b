"""The breach scenarios: shipped, loading, impairing what they claim, and the
udp backend classifying memos as the sim does (testbed/metrics.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from memosim.testbed import load_scenario
from memosim.testbed.metrics import SUMMARY_KEYS

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
BREACH_SCENARIOS = ("late-zeroth", "corrupt-acks", "source-flood", "adversarial")


# ---------------------------------------------------------------- scenarios


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_shipped_scenario_loads(path: Path) -> None:
    s = load_scenario(path)
    assert s.name == path.stem and s.memo_count > 0


@pytest.mark.parametrize("name", BREACH_SCENARIOS)
def test_breach_scenarios_are_shipped_with_a_header(name: str) -> None:
    path = ROOT / "scenarios" / f"{name}.toml"
    text = path.read_text()
    tomllib.loads(text)
    header = [line for line in text.splitlines()[:30] if line.startswith("#")]
    assert len(header) >= 5, "a comment header says what it demonstrates"
    s = load_scenario(path)
    assert set(s.doers) == {"PeerMemoerDoer", "SafePeerMemoerDoer"}
    assert all(p.acked for p in s.peers), "the acked promise is what they test"


def test_breach_scenarios_impair_what_they_claim() -> None:
    def load(name: str) -> Any:  # optional parts read as the scenario files set them
        return load_scenario(ROOT / "scenarios" / f"{name}.toml")

    lz = load("late-zeroth")
    data, acks = lz.link("alice", "bob").config, lz.link("bob", "alice").config
    ((down, up),) = data.schedule.windows
    assert up - down > 30.0  # longer than the receiver's partial-memo expiry
    assert acks.schedule is None and acks.loss is None  # the ack path works
    assert any(w.end_s < down + 0.5 for w in lz.workload)

    ca = load("corrupt-acks")
    assert ca.link("bob", "alice").config.corrupt.deliver
    assert ca.link("alice", "bob").config.corrupt is None

    sf = load("source-flood")
    assert len({src for w in sf.workload for src, _ in w.pairs}) > 10
    assert sf.memo_count > 16_384  # more than a shared delivered-id table holds
    assert sf.link("bob", "alice").config.schedule is not None

    adv = load("adversarial")
    for a, b in (("alice", "bob"), ("bob", "alice")):
        cfg = adv.link(a, b).config
        assert cfg.loss.rate == 0.3 and cfg.duplicate.rate == 0.5
        assert cfg.reorder.rate == 0.5 and cfg.corrupt.deliver
    assert adv.partitions and adv.partitions[0].end_s is not None
    ((down, up),) = adv.link("bob", "alice").config.schedule.windows
    assert up - down > 120.0  # longer than every expiry (30 s, 60 s, 120 s)
    assert adv.link("alice", "bob").config.schedule is None
    assert max(w.end_s for w in adv.workload) + 60.0 < adv.duration_s  # all settle


# ---------------------------------------------------------------- udp backend


@pytest.mark.udp
def test_udp_backend_reports_the_same_classes() -> None:
    from memosim.testbed import parse_scenario
    from memosim.testbed.runner import run_scenario

    s = parse_scenario(
        {
            "scenario": {"name": "udp-breach", "duration_s": 1.5, "seed": 3},
            "peers": [{"name": "alice", "port": 5000}, {"name": "bob", "port": 5001}],
            "links": [
                {
                    "src": "alice",
                    "dst": "bob",
                    "both": True,
                    "loss": {"rate": 0.2},
                    "delay": {"base_s": 0.005},
                }
            ],
            "workload": [
                {
                    "src": "alice",
                    "dst": "bob",
                    "count": 15,
                    "interval_s": 0.05,
                    "memo_size": {"dist": "fixed", "bytes": 3000},
                }
            ],
        },
        "<udp-breach>",
    )
    result = run_scenario(s, backend="udp")
    for run in result.runs:
        summary = run.summary
        assert list(summary) == list(SUMMARY_KEYS)
        outcomes = [row["outcome"] for row in run.rows]
        assert summary["lost_silently"] == outcomes.count("lost_silently")
        assert summary["in_flight_at_end"] == outcomes.count("in_flight")
        assert (
            summary["memos_delivered"]
            + outcomes.count("failed")
            + summary["in_flight_at_end"]
            + summary["lost_silently"]
        ) == 15
    plain = result.run("PeerMemoerDoer").summary
    assert plain["lost_silently"] == 15 - plain["memos_delivered"]  # never retried
