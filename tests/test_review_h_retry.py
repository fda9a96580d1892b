"""Review h: retry, loss detection and congestion under pathological networks.

Each test is a finding: what docs/acked-delivery.md promises, measured in a
small simulated run (or on the core directly), that the code did not keep.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from memosim.core.rto import RttEstimator
from memosim.testbed.runner import run_scenario
from memosim.testbed.scenario import load_scenario

# alice sends bob `count` memos of 5 grams, one every `interval` seconds.
SCENARIO = """
[scenario]
name = "review-h"
duration_s = {duration}
seed = 1
doers = ["SafePeerMemoerDoer"]
{retry}
[[peers]]
name = "alice"
port = 5001
[[peers]]
name = "bob"
port = 5002
[[links]]
src = "alice"
dst = "bob"
{forward}
[[links]]
src = "bob"
dst = "alice"
{back}
[[workload]]
src = "alice"
dst = "bob"
count = {count}
interval_s = {interval}
memo_size = {{ dist = "fixed", bytes = 6000 }}
"""


def run(tmp_path: Path, **kwa: Any) -> dict[str, Any]:
    values = {"duration": 60.0, "retry": "", "forward": "", "back": "", "count": 20}
    values |= {"interval": 0.1} | kwa
    path = tmp_path / "review-h.toml"
    path.write_text(SCENARIO.format(**values))
    (result,) = run_scenario(load_scenario(path), backend="sim").runs
    summary: dict[str, Any] = result.summary
    return summary


# ---- Karn's rule needs the backed-off timeout kept until a valid sample ----


def test_a_round_trip_longer_than_the_initial_rto_is_learnt_not_resent_forever(
    tmp_path: Path,
) -> None:
    """RTT 4 s on a clean link, rto policy (init_rto 1 s). Every gram used to
    time out before its ack came, so every ack was of a resent gram, Karn's
    rule refused every sample, the RTO stayed 1 s and each of the 200 grams
    went out three times (400 resent). RFC 6298 5.5 keeps the backed-off
    timeout for new grams until a sample: a few early memos pay, the rest
    go once."""
    s = run(
        tmp_path,
        retry='[retry]\npolicy = "rto"',
        forward="delay = { base_s = 2.0 }",
        back="delay = { base_s = 2.0 }",
        count=40,
        interval=1.0,
        duration=120.0,
    )
    assert s["memos_delivered"] == 40 and s["gave_up"] == 0
    memo_grams = 40 * 5
    assert s["grams_retransmitted"] <= memo_grams // 5, s["grams_retransmitted"]


def test_acks_much_slower_than_data_are_learnt_too(tmp_path: Path) -> None:
    """The asymmetric form: data arrives in 10 ms, acks take 3 s (400
    resent before): copies at 0, 1 and 3 s, the ack at 3.01 s, within an
    RTO of the last copy, so only the backoff kept before the first sample
    (`expired`) learns it."""
    s = run(
        tmp_path,
        retry='[retry]\npolicy = "rto"',
        forward="delay = { base_s = 0.01 }",
        back="delay = { base_s = 3.0 }",
        count=40,
        interval=1.0,
        duration=120.0,
    )
    assert s["memos_delivered"] == 40 and s["gave_up"] == 0
    assert s["grams_retransmitted"] <= 40, s["grams_retransmitted"]


@pytest.mark.parametrize("round_trip", [1.5, 2.5, 3.5, 6.0])
def test_every_first_round_trip_past_the_initial_rto_is_learnt(
    tmp_path: Path, round_trip: float
) -> None:
    """Before: 200 resent at 1.5 s (copies at 0 and 1 s), 400 at 3.5 s."""
    delay = f"delay = {{ base_s = {round_trip / 2} }}"
    s = run(
        tmp_path,
        retry='[retry]\npolicy = "rto"',
        forward=delay,
        back=delay,
        count=40,
        interval=1.0,
        duration=120.0,
    )
    assert s["memos_delivered"] == 40 and s["gave_up"] == 0
    assert s["grams_retransmitted"] <= 40, s["grams_retransmitted"]


def test_before_the_first_sample_a_timeout_keeps_its_backoff() -> None:
    est = RttEstimator(initial_rto=1.0, min_rto=0.2, max_rto=60.0)
    est.expired(1)
    assert est.backed_off(0) == 2.0
    est.acked(0.0, 1.5, retransmitted=False)
    assert est.samples == 1 and est.backed_off(0) == est.rto
    est.expired(3)  # after a sample a timeout is no evidence of a long round trip
    assert est.backed_off(0) == est.rto


def test_an_ack_that_proves_the_rto_too_short_keeps_the_backoff() -> None:
    est = RttEstimator(initial_rto=1.0, min_rto=0.2, max_rto=60.0)
    est.refused(3.0, 3.5, 3)  # the last copy 0.5 s ago: could be its ack
    assert est.backed_off(0) == 1.0
    est.refused(1.0, 2.5, 2)  # 1.5 s since the last copy: the RTO is too short
    assert est.backed_off(0) == 4.0


def test_the_estimator_keeps_a_timeouts_backoff_for_new_grams_until_a_sample() -> None:
    est = RttEstimator(initial_rto=1.0, min_rto=0.2, max_rto=60.0)
    assert est.backed_off(0) == 1.0
    est.timed_out(1)  # a gram sent once timed out
    assert est.backed_off(0) == 2.0  # a new gram waits the backed-off timeout
    assert est.backed_off(2) == 4.0  # a gram backed off further keeps its own
    est.timed_out(3)
    est.timed_out(1)  # a burst of timeouts does not compound: the largest counts
    assert est.backed_off(0) == 8.0
    est.acked(0.0, 4.0, retransmitted=True)  # Karn: no sample, the backoff stays
    assert est.backed_off(0) == 8.0
    est.acked(0.0, 4.0, retransmitted=False)  # a valid sample ends it
    assert est.backed_off(0) == est.rto == 12.0
    est.timed_out(100)
    assert est.backed_off(0) == 60.0  # capped
