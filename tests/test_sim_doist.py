"""sim/doist.py: SimDoist runs a pass only when something can happen, on the tock grid.

A fake peer with timers and injected arrivals shows when passes run: at
start, at the first tock at or after a due timer, at the first tock after a
datagram lands, and never for a timer that an earlier pass made stale.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import simpy

from memosim.doing import Doer
from memosim.sim.doist import SimDoist


class FakePeer:
    """What SimDoist watches: on_arrival, busy(), get_timer()."""

    def __init__(self, timers: list[float]) -> None:
        self.on_arrival: Callable[[Any], object] | None = None
        self.timers = sorted(timers)
        self.now = 0.0

    def busy(self) -> bool:
        return False

    def get_timer(self) -> float | None:
        due = [t for t in self.timers if t > self.now + 1e-9]
        return due[0] if due else None


class Recording(Doer):
    """Services its peer: notes the instant of every pass that ran it."""

    def __init__(self, peer: FakePeer, env: simpy.Environment, **kwa: Any) -> None:
        super().__init__(**kwa)
        self.peer = peer
        self.env = env
        self.passes: list[float] = []

    def recur(self, tyme: float | None) -> bool:
        self.peer.now = self.env.now
        self.passes.append(round(self.env.now, 9))
        return False


def run(timers: list[float], arrivals: list[float], limit: float = 0.2) -> list[float]:
    env = simpy.Environment()
    peer = FakePeer(timers)
    doist = SimDoist(env, peers=[peer], tock=0.005)
    doer = Recording(peer, env)

    def land() -> Generator[simpy.Event, Any, None]:
        for when in arrivals:
            yield env.timeout(when - env.now)
            assert peer.on_arrival is not None
            peer.on_arrival(None)

    env.process(land())
    doist.do(doers=[doer], limit=limit)
    return doer.passes


def test_a_due_timer_runs_a_pass_at_the_next_tock_and_nothing_else_does() -> None:
    assert run(timers=[0.0123, 0.05], arrivals=[]) == [0.0, 0.015, 0.05]


def test_an_arrival_runs_a_pass_at_the_next_tock() -> None:
    assert run(timers=[], arrivals=[0.031, 0.0312, 0.09]) == [0.0, 0.035, 0.09]


def test_an_arrival_before_a_timer_wakes_first_and_the_timer_still_counts() -> None:
    passes = run(timers=[0.05], arrivals=[0.041])
    assert passes == [0.0, 0.045, 0.05]


def test_a_timer_a_pass_has_made_stale_wakes_nothing() -> None:
    # the pass at 0.045 (arrival) happens after the timer at 0.043 was due: it
    # serves it, and the timer's SimPy event, still queued, runs no extra pass
    passes = run(timers=[0.043], arrivals=[0.0405])
    assert passes == [0.0, 0.045]
    assert all(math.isclose(p / 0.005, round(p / 0.005)) for p in passes)  # all on the grid
