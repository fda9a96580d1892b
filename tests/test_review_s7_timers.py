"""Review s7: SimPeerMemoer.serviceTymers off the nanosecond grid.

memosim's runs use GridEnvironment, but SimNet (memosim.testing) and any
user's code may drive a SimPeerMemoer on a plain simpy.Environment. There
too a pass handles each timer that rounds to its nanosecond once, in
order, at the timer's own tyme; nothing of a later nanosecond; and a core
that keeps making timers just after the one handled cannot hold the pass.
"""

from __future__ import annotations

import simpy

from memosim.sim.network import Network
from memosim.sim.peer import SimPeerMemoer
from memosim.sim.rng import Streams


class _Timers:
    """An engine of timers only: handle_timer(now) takes those <= now and,
    with rearm, makes a new one rearm seconds after the last it took."""

    def __init__(self, *dues: float, rearm: float | None = None) -> None:
        self.dues = sorted(dues)
        self.rearm = rearm
        self.handled: list[tuple[float | None, list[float]]] = []

    def handle_timer(self, now: float | None, track: bool = True) -> None:
        taken = [d for d in self.dues if now is not None and d <= now]
        self.handled.append((now, taken))
        self.dues = [d for d in self.dues if d not in taken]
        if taken and self.rearm is not None:
            self.dues = sorted([*self.dues, taken[-1] + self.rearm])

    def get_timer(self, track: bool = True) -> float | None:
        return self.dues[0] if self.dues else None


def _peer(env: simpy.Environment) -> SimPeerMemoer:
    net = Network(env, seed=1)
    return SimPeerMemoer(network=net, streams=Streams(1), name="bob", host="bob", port=1)


def test_on_a_plain_environment_each_timer_of_the_nanosecond_runs_once_in_order() -> None:
    now = 0.1
    early, same, later = now - 1e-3, now + 1e-10, now + 4e-10
    next_ns, far = now + 7e-10, now + 2e-9  # round to the next nanoseconds
    env = simpy.Environment(now)
    peer = _peer(env)
    engine = _Timers(early, now, same, later, next_ns, far)
    peer.engine = engine  # type: ignore[assignment]
    peer.serviceTymers()
    assert engine.handled == [(now, [early, now]), (same, [same]), (later, [later])]
    assert engine.dues == [next_ns, far]
    peer.serviceTymers()  # the same pass again: nothing new is due
    assert engine.dues == [next_ns, far] and engine.handled[-1] == (now, [])


def test_a_core_that_rearms_just_after_each_timer_cannot_hold_the_pass() -> None:
    env = simpy.Environment(1.5)
    peer = _peer(env)
    engine = _Timers(1.5, rearm=1e-12)  # each handled timer makes one a picosecond on
    peer.engine = engine  # type: ignore[assignment]
    peer.serviceTymers()
    handled = [now for now, taken in engine.handled if taken]
    assert handled == sorted(set(handled)) and len(handled) > 1
    assert all(1.5 <= t < 1.5 + 5e-10 for t in handled)
    assert len(engine.dues) == 1 and engine.dues[0] > handled[-1]
