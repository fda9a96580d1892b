"""The real PeerMemoer and Doers on the SimPy network, one impairment at a time.

Each case runs both Doers over one impaired link pair with a fixed seed and
asserts the exact outcome: memos delivered, grams retransmitted, and what the
network did. The outcome is a pure function of the seed; a change to it means
the protocol or the network model changed (see EXPECTED to update on purpose).
"""

from __future__ import annotations

import pytest

from memosim.testbed.runner import run_scenario
from memosim.testbed.scenario import parse_scenario
from memosim.testbed.simrun import run_sim

IMPAIRMENTS = {
    "clean": {},
    "bernoulli": {"loss": {"rate": 0.1}},
    "correlated": {"loss": {"rate": 0.1, "correlation": 0.5}},
    "gilbert_elliott": {
        "loss": {"model": "gilbert_elliott", "p": 0.05, "r": 0.3, "bad_loss": 0.9, "good_loss": 0.0}
    },
    "jitter_normal": {"delay": {"base_s": 0.02, "jitter_s": 0.01, "distribution": "normal"}},
    "jitter_pareto": {"delay": {"base_s": 0.02, "jitter_s": 0.01, "distribution": "pareto"}},
    "reorder": {"delay": {"base_s": 0.02}, "reorder": {"rate": 0.3, "gap": 0}},
    "duplicate": {"duplicate": {"rate": 0.3}},
    "corrupt_drop": {"corrupt": {"rate": 0.1, "deliver": False}},
    "corrupt_deliver": {"corrupt": {"rate": 0.1, "deliver": True}},
    "rate_limit": {"rate": {"bps": 2_000_000, "queue_limit": 8}},
    "mtu": {"mtu": 1000},
    "schedule": {"schedule": [{"at": 1.0, "state": "down"}, {"at": 2.0, "state": "up"}]},
}


def scenario_for(name: str, *, signed: bool = False, seed: int = 7):
    return parse_scenario(
        {
            "scenario": {"name": name, "duration_s": 12.0, "seed": seed, "tock_s": 0.005},
            "defaults": {"gram_size": 1240, "signed": signed, "acked": True},
            "peers": [{"name": "alice", "port": 5000}, {"name": "bob", "port": 5001}],
            "links": [{"src": "alice", "dst": "bob", "both": True, **IMPAIRMENTS[name]}],
            "workload": [
                {
                    "src": "alice",
                    "dst": "bob",
                    "count": 40,
                    "interval_s": 0.05,
                    "memo_size": {"dist": "uniform", "min": 100, "max": 6000},
                }
            ],
        },
        f"<{name}>",
    )


def outcome(name: str, doer: str) -> dict:
    run = run_sim(scenario_for(name), doer, 7)
    s = run.summary
    link = run.network["links"]["alice->bob"]
    return {
        "delivered": s["memos_delivered"],
        "retransmitted": s["grams_retransmitted"],
        "corrupt": s["corrupt_delivered"],
        "duplicates": s["duplicates_delivered"],
        "link_dropped": sum(link["dropped"].values()),
    }


def test_mtu_below_gram_size_loses_every_multi_gram_memo():
    # mtu 1000 holds 972 payload bytes: full 1240-byte grams never pass, so only
    # memos that fit one short gram arrive, and retrying cannot help.
    safe = run_sim(scenario_for("mtu"), "SafePeerMemoerDoer", 7).summary
    plain = run_sim(scenario_for("mtu"), "PeerMemoerDoer", 7).summary
    assert 0 < safe["memos_delivered"] < 10 and 0 < plain["memos_delivered"] < 10
    assert safe["grams_retransmitted"] > 100


def _load_expected() -> dict:
    import json
    from pathlib import Path

    return json.loads((Path(__file__).parent / "sim_expected.json").read_text())


@pytest.mark.parametrize("name", sorted(IMPAIRMENTS))
def test_each_impairment_exact_outcome_for_both_doers(name):
    # tests/sim_expected.json pins the outcomes; regenerate on purpose with
    # `python tests/test_sim_run.py > tests/sim_expected.json` and review the diff.
    expected = _load_expected()[name]
    for doer in ("PeerMemoerDoer", "SafePeerMemoerDoer"):
        assert outcome(name, doer) == expected[doer], f"{name} {doer}"


@pytest.mark.parametrize("name", sorted(set(IMPAIRMENTS) - {"mtu"}))
def test_safe_doer_delivers_everything_exactly_once(name):
    run = run_sim(scenario_for(name), "SafePeerMemoerDoer", 7)
    s = run.summary
    assert s["duplicates_delivered"] == 0
    if name == "corrupt_deliver":  # unsigned grams carry no integrity check
        assert s["memos_delivered"] + s["corrupt_delivered"] >= 38
    else:
        assert s["memos_delivered"] == 40 and s["corrupt_delivered"] == 0
    plain = run_sim(scenario_for(name), "PeerMemoerDoer", 7).summary
    assert plain["memos_delivered"] <= s["memos_delivered"]


def test_signed_memos_survive_reordering_and_corruption():
    for name in ("reorder", "corrupt_deliver"):
        s = run_sim(scenario_for(name, signed=True), "SafePeerMemoerDoer", 7).summary
        assert (s["memos_delivered"], s["corrupt_delivered"]) == (40, 0), name


def test_same_seed_same_digest_different_seed_different_digest():
    first = run_scenario(scenario_for("bernoulli"))
    again = run_scenario(scenario_for("bernoulli"))
    other = run_scenario(scenario_for("bernoulli", seed=8))
    assert first.trace_digest == again.trace_digest
    assert [r.summary["memos_delivered"] for r in first.runs] == [
        r.summary["memos_delivered"] for r in again.runs
    ]
    assert first.trace_digest != other.trace_digest


def test_partition_heals_and_safe_doer_recovers():
    spec = scenario_for("clean").to_dict()
    spec["partitions"] = [{"peers": ["bob"], "start_s": 0.5, "end_s": 2.0}]
    scenario = parse_scenario(spec, "<partition>")
    safe = run_sim(scenario, "SafePeerMemoerDoer", 7)
    plain = run_sim(scenario, "PeerMemoerDoer", 7)
    assert safe.network["links"]["alice->bob"]["dropped"].get("partition", 0) > 0
    assert safe.summary["memos_delivered"] == 40
    assert plain.summary["memos_delivered"] < 40


if __name__ == "__main__":
    import json

    print(
        json.dumps(
            {
                name: {d: outcome(name, d) for d in ("PeerMemoerDoer", "SafePeerMemoerDoer")}
                for name in sorted(IMPAIRMENTS)
            },
            indent=1,
        )
    )


def test_work_queued_at_a_pass_instant_goes_out_in_that_pass():
    # Clean zero-delay link, memos queued on the tock grid: each is sent in the
    # pass at its queue instant, lands at once, and is taken by the receiver at
    # the next grid point, so every latency is exactly one tock.
    spec = scenario_for("clean").to_dict()
    spec["scenario"]["tock_s"] = 0.01
    spec["workload"][0]["interval_s"] = 0.05
    run = run_sim(parse_scenario(spec, "<grid>"), "PeerMemoerDoer", 7)
    latencies = {row["latency_s"] for row in run.rows}
    assert latencies == {0.01}
