"""Congestion control on the shipped scenarios (issue 18's targets, sim backend).

narrow-link: one 2 Mbit/s link offered 2.4 times what it carries; incast: four
senders into one 2 Mbit/s ingress; default: no bandwidth limit, where the
window must cost nothing. Each compares retry.congestion "none" (the fixed
window) with the default "newreno" on the same seed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from memosim.testbed import metrics
from memosim.testbed.backend import RunResult
from memosim.testbed.scenario import Scenario, load_scenario
from memosim.testbed.simrun import run_sim

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SAFE = "SafePeerMemoerDoer"
#: Payload bits per second a 2 Mbit/s link carries in full grams of 12 KB
#: memos: 1200 payload bytes per 1240-byte gram plus 28 header bytes.
LINK_PAYLOAD_BPS = 2_000_000 * 1200 / 1268
#: The issue's achievable figure for the narrow link: also 5% of grams lost.
NARROW_ACHIEVABLE_BPS = 1_810_000


@cache
def scenario(name: str, **retry: Any) -> Scenario:
    s = load_scenario(SCENARIOS / f"{name}.toml")
    for key, value in retry.items():
        s = s.with_override(f"retry.{key}", value)
    return s


@cache
def run(name: str, doer: str = SAFE, timelines: bool = False, **retry: Any) -> RunResult:
    s = scenario(name, **retry)
    return run_sim(s, doer, s.seed, timelines=timelines)


def busy_goodput(result: RunResult, src: str | None = None) -> float:
    """Payload bits per second from the first memo queued to the last delivered."""
    return metrics.busy_goodput(result.rows, src)


def drops(result: RunResult) -> int:
    return sum(result.network["total"]["dropped"].values())


def test_narrow_link_window_stops_the_storm() -> None:
    off, on = run("narrow-link", congestion="none"), run("narrow-link")
    assert off.summary["congestion"]["queue_drops"] > 50  # the fixed window overflows the queue
    assert on.summary["congestion"]["queue_drops"] == 0
    assert on.summary["memos_delivered"] == 500 and on.summary["in_flight_at_end"] == 0
    # since the rto policy keeps a proven backoff (rto.py) the fixed window
    # resends 797, not 1,767; the window still resends fewer, at the same goodput
    assert on.summary["grams_retransmitted"] < off.summary["grams_retransmitted"] * 0.7
    assert busy_goodput(on) > 0.95 * busy_goodput(off)
    c = on.summary["congestion"]
    assert c["loss_events"] > 0 and c["mean_window"] < 64
    assert off.summary["congestion"]["mean_window"] == 64.0


def test_narrow_link_targets_with_the_fast_policy() -> None:
    r = run("narrow-link", policy="fast")
    s = r.summary
    assert s["memos_delivered"] == 500
    assert busy_goodput(r) >= 0.9 * NARROW_ACHIEVABLE_BPS
    assert s["grams_retransmitted"] <= 1.25 * drops(r)


@pytest.mark.parametrize("policy", ["rto", "fast"])
def test_incast_fills_the_shared_ingress_and_shares_it(policy: str) -> None:
    r = run("incast", policy=policy)
    assert r.summary["memos_delivered"] == 500
    assert busy_goodput(r) >= 0.9 * LINK_PAYLOAD_BPS
    # the four first windows (8 grams each) meet in the queue, then it holds
    assert r.network["interfaces"]["hub:ingress"]["dropped"].get("ifqueue", 0) < 1000
    # fairness over seeds: one seed's index moves by a few hundredths with any
    # change of timing (0.93-0.99 over these six), their mean does not
    jains = [jain(run_seed("incast", seed, policy=policy)) for seed in range(1, 7)]
    assert sum(jains) / len(jains) >= 0.95, jains
    assert min(jains) >= 0.9, jains


def jain(result: RunResult) -> float:
    """Jain's fairness index over the four incast senders' goodputs."""
    return metrics.jain_index([busy_goodput(result, f"s{i}") for i in range(1, 5)])


def run_seed(name: str, seed: int, **retry: Any) -> RunResult:
    return run_sim(scenario(name, **retry), SAFE, seed)


def test_incast_without_a_window_overflows_the_ingress() -> None:
    r = run("incast", congestion="none")
    assert r.network["interfaces"]["hub:ingress"]["dropped"]["ifqueue"] > 2000
    assert busy_goodput(r) < 0.85 * LINK_PAYLOAD_BPS


def p99(result: RunResult, skip: int = 0) -> float:
    """Nearest-rank p99 latency of the memos after the first `skip`."""
    lat = sorted(float(r["latency_s"]) for r in result.rows[skip:] if r["latency_s"] != "")
    return lat[max(0, -(-99 * len(lat) // 100) - 1)]


@pytest.mark.parametrize("policy", ["rto", "fast"])
def test_default_scenario_is_not_slower_with_the_window(policy: str) -> None:
    """p99 within one tock and delivery within one memo of the fixed window.
    As shipped (rto) over the whole run; under the fast policy after slow
    start (the first 10 memos): a first memo of 11 grams meets an initial
    window of 4, and with seed 1 the slow start's memos are the run's p99
    (215 ms against 140 ms without the window; docs/acked-delivery.md)."""
    off = run("default", policy=policy, congestion="none")
    on = run("default", policy=policy)
    tock = scenario("default").tock_s
    skip = 0 if policy == "rto" else 10
    assert on.summary["memos_delivered"] >= off.summary["memos_delivered"] - 1
    assert p99(on, skip) <= p99(off, skip) + tock + 1e-9
    if policy == "rto":
        assert on.summary["latency_s"]["p99"] == p99(on)  # the summary's own p99


def test_fire_and_forget_is_untouched_by_the_window() -> None:
    off = run("narrow-link", "PeerMemoerDoer", congestion="none")
    on = run("narrow-link", "PeerMemoerDoer")
    assert off.trace_digest == on.trace_digest


def test_timelines_carry_the_senders_window() -> None:
    r = run("narrow-link", timelines=True)
    windows = [record["window"] for record in r.timeline]
    assert all(w and all(isinstance(g, int) for _, g in w) for w in windows)
    seen = {g for w in windows for _, g in w}
    assert min(seen) < 16 and max(seen) <= 64
    first = r.timeline[0]
    assert first["window"][0][1] == 8  # the initial window
    for record in r.timeline[:50]:
        times = [t for t, _ in record["window"]]
        assert times == sorted(times)


def test_a_timeline_plot_draws_the_window_on_its_own_axis() -> None:
    from memosim.testbed.timeline_plot import draw

    record = run("narrow-link", timelines=True).timeline[120]
    fig = draw(record)
    assert len(fig.axes) == 2  # the grams' lanes, and the window's axis
    line = fig.axes[1].get_lines()[0]
    assert list(line.get_ydata())[:-1] == [g for _, g in record["window"]]
    without = dict(record, window=[])
    assert len(draw(without).axes) == 1
