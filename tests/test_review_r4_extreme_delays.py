"""Review r4: valid but extreme delay specs never raise nor give NaN times.

docs/network.md: lognormal needs base_s > 0 when jitter_s > 0, nothing more;
a delay too long to arrive within a run is fine (the datagram stays in
flight), but a NaN arrival tyme is not a time at all.
"""

from __future__ import annotations

import math
import random

import pytest
import simpy

from memosim.sim import GridEnvironment, Network, Trace
from memosim.sim.impairments import DelayModel


class _Extreme(random.Random):
    """random() alternates the largest draw below 1 and 0: Box-Muller's
    largest normal variate (about 8.57)."""

    def __init__(self) -> None:
        super().__init__(0)
        self._n = 0

    def random(self) -> float:
        self._n += 1
        return 1.0 - 2.0**-53 if self._n % 2 else 0.0


@pytest.mark.parametrize(
    ("base", "jitter"), [(1e-300, 1e300), (1e300, 1e308), (1e-10, 1e300), (5e-324, 1.0)]
)
def test_lognormal_extremes_draw_a_delay(base: float, jitter: float) -> None:
    draw = DelayModel(base, jitter, "lognormal").bind(_Extreme())
    assert draw is not None
    for _ in range(4):
        d = draw()
        assert not math.isnan(d) and d >= 0.0


@pytest.mark.parametrize("env_class", [simpy.Environment, GridEnvironment])
def test_lognormal_spread_beyond_the_float_ratio_runs(env_class: type) -> None:
    env = env_class()
    net = Network(env, 1, trace=Trace())
    net.add_link("a", "b", delay={"base_s": 1e-300, "jitter_s": 1e300, "distribution": "lognormal"})
    net.endpoint(("b", 1))
    for _ in range(50):
        net.send(("a", 1), ("b", 1), b"x")
    env.run(until=1e6)
    c = net.counters()["total"]
    assert c["delivered"] + net.in_flight == 50
    assert net.trace is not None
    assert all(not math.isnan(e.time) for e in net.trace.events)
