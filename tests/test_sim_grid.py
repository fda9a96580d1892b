"""Pass instants and arrivals meet exactly: a datagram that lands on a pass
instant is taken in that pass, however its arrival time was summed.

Before the nanosecond grid, 0.07 + 0.02 landed a hair after the pass at
0.09 and waited one tock more: identical 20 ms datagrams were delivered
after 20 or 25 ms. Here every latency on a constant-delay link must be
exactly what the tock grid allows.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
import simpy

from memosim.sim.clock import GridEnvironment, after_others, on_grid, ticks
from memosim.testbed.runner import run_scenario
from memosim.testbed.scenario import parse_scenario


def test_sums_that_differ_in_the_last_bit_meet_at_one_instant() -> None:
    assert 0.07 + 0.02 != 0.09  # the float sum the grid exists for
    env = GridEnvironment()
    seen: list[tuple[str, float]] = []

    def at(name: str, *delays: float) -> Generator[simpy.Event, Any, None]:
        for delay in delays:
            yield env.timeout(delay)
        seen.append((name, env.now))

    env.process(at("summed", 0.07, 0.02))
    env.process(at("direct", 0.09))
    env.run()
    assert sorted(seen) == [("direct", 0.09), ("summed", 0.09)]
    assert ticks(0.07 + 0.02) == 90_000_000 and on_grid(0.07 + 0.02) == 0.09


def test_a_plain_environment_does_not_meet() -> None:
    """The failure the grid fixes, shown on SimPy's own environment."""
    env = simpy.Environment()
    env.run(until=env.timeout(0.07))
    env.run(until=env.timeout(0.02))
    assert env.now > 0.09


def test_after_others_runs_behind_events_scheduled_later_for_its_instant() -> None:
    env = GridEnvironment()
    order: list[str] = []
    after_others(env, 1.0).callbacks.append(lambda _e: order.append("pass"))
    env.timeout(0.5).callbacks.append(
        lambda _e: env.timeout(0.5).callbacks.append(lambda _e: order.append("arrival"))
    )
    env.run()
    assert order == ["arrival", "pass"]


def scenario(delay_s: float, tock_s: float, interval_s: float, count: int = 200) -> Any:
    return parse_scenario(
        {
            "scenario": {
                "name": "grid",
                "duration_s": count * interval_s + 1.0,
                "seed": 3,
                "tock_s": tock_s,
                "doers": ["PeerMemoerDoer"],
            },
            "defaults": {"acked": False},
            "peers": [{"name": "alice", "port": 47001}, {"name": "bob", "port": 47002}],
            "links": [{"src": "alice", "dst": "bob", "both": True, "delay": {"base_s": delay_s}}],
            "workload": [
                {
                    "src": "alice",
                    "dst": "bob",
                    "count": count,
                    "interval_s": interval_s,
                    "memo_size": {"dist": "fixed", "bytes": 100},
                }
            ],
        },
        "grid.toml",
    )


def expected_latency_ns(sent_s: float, delay_s: float, tock_s: float) -> int:
    """Sent in the first pass at or after the memo is queued, delivered in
    the pass at which it lands, which is on the grid when the delay is."""
    tock, sent = ticks(tock_s), ticks(sent_s)
    first_pass = -(-sent // tock) * tock
    landed = first_pass + ticks(delay_s)
    return -(-landed // tock) * tock - sent


@pytest.mark.parametrize(
    ("delay_s", "tock_s", "interval_s"),
    [
        (0.020, 0.005, 0.005),  # on the grid, a pass every tock: was 44 of 200 late
        (0.020, 0.005, 0.010),
        (0.070, 0.005, 0.005),
        (0.015, 0.003, 0.003),
        (0.020, 0.005, 0.0137),  # off the grid: each waits for the next pass
        (0.020, 0.005, 0.0049),
        (0.021, 0.005, 0.005),  # lands off the grid: taken in the pass after it
    ],
)
def test_constant_delay_latency_is_exactly_what_the_grid_allows(
    delay_s: float, tock_s: float, interval_s: float
) -> None:
    rows = run_scenario(scenario(delay_s, tock_s, interval_s)).runs[0].rows
    assert len(rows) == 200
    late = []
    for row in rows:
        assert row["outcome"] == "delivered"
        want = expected_latency_ns(row["sent_s"], delay_s, tock_s)
        got = ticks(row["latency_s"])
        if got != want:
            late.append((row["sent_s"], got, want))
    assert late == []
    if ticks(interval_s) % ticks(tock_s) == 0 and ticks(delay_s) % ticks(tock_s) == 0:
        assert {ticks(r["latency_s"]) for r in rows} == {ticks(delay_s)}


def test_a_timer_due_at_a_pass_instant_fires_in_that_pass() -> None:
    """The timer analogue of the arrivals above: the core sums due tymes in
    floats (a pass at 0.07 plus a 0.04 ack delay is 0.11000000000000001),
    and such a timer names the pass at 0.11, not the one a tock later.

    The fast policy sends each done ack twice, the copy one ack delay
    (15 ms) after the first; on a constant 20 ms link with 5 ms tocks every
    copy must follow its first 15 ms later (before the fix 25 of these 200
    went 20 ms later)."""
    import memosim.testbed.simrun as simrun
    from memosim.core import grams
    from memosim.sim.trace import Trace
    from memosim.testbed.gramtrace import is_data

    sends: dict[str, list[float]] = {}

    class AckSends(Trace):
        def record(self, time, kind, src, dst, size, reason, data, phash=None):  # type: ignore[no-untyped-def]
            if kind == "send" and src[0] == "bob":
                sends.setdefault(grams.parse(data).mid, []).append(time)
            return super().record(time, kind, src, dst, size, reason, data, phash)

    spec = parse_scenario(
        {
            "scenario": {
                "name": "timers",
                "duration_s": 12.0,
                "seed": 3,
                "tock_s": 0.005,
                "doers": ["SafePeerMemoerDoer"],
            },
            "retry": {"policy": "fast"},
            "peers": [{"name": "alice", "port": 47001}, {"name": "bob", "port": 47002}],
            "links": [{"src": "alice", "dst": "bob", "both": True, "delay": {"base_s": 0.02}}],
            "workload": [
                {
                    "src": "alice",
                    "dst": "bob",
                    "count": 200,
                    "interval_s": 0.05,
                    "memo_size": {"dist": "fixed", "bytes": 100},
                }
            ],
        },
        "timers.toml",
    )
    saved = simrun.run_trace
    simrun.run_trace = lambda keep: AckSends(keep=keep, spurious_if=is_data)
    try:
        result = simrun.run_sim(spec, "SafePeerMemoerDoer", 3)
    finally:
        simrun.run_trace = saved
    assert result.summary["memos_delivered"] == 200
    gaps = [ticks(t[1] - t[0]) for t in sends.values()]
    assert len(gaps) == 200 and all(len(t) == 2 for t in sends.values())
    assert set(gaps) == {15_000_000}
