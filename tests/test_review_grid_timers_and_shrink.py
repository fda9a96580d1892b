"""Review of the grid-timer fix and of shrinking each distinct failure:
behaviours those commits promised, checked where the first versions broke them.

Each test names the promise it checks; see the commit that added it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from memosim.sim.clock import GridEnvironment, ticks
from memosim.sim.network import Network
from memosim.sim.peer import SimPeerMemoer
from memosim.sim.rng import Streams
from memosim.testbed.scenario import load_scenario
from memosim.testbed.simrun import run_sim

ROOT = Path(__file__).resolve().parent.parent

# ---- SimPeerMemoer.serviceTymers: "timers due at this pass's grid instant
# taken in it" (memosim/sim/peer.py, commit d7ddbc0) -------------------------


class _Timers:
    """An engine holding only timers: handle_timer(now) takes those <= now."""

    def __init__(self, *dues: float) -> None:
        self.dues = sorted(dues)
        self.handled: list[float | None] = []

    def handle_timer(self, now: float | None, track: bool = True) -> None:
        self.handled.append(now)
        if now is not None:
            self.dues = [d for d in self.dues if d > now]

    def get_timer(self, track: bool = True) -> float | None:
        return self.dues[0] if self.dues else None


def _peer_at(now: float) -> SimPeerMemoer:
    env = GridEnvironment(now)
    net = Network(env, seed=1)
    return SimPeerMemoer(network=net, streams=Streams(1), name="bob", host="bob", port=1)


def test_review_a_second_timer_at_the_pass_instant_fires_with_the_first() -> None:
    """The earliest timer sits exactly on the pass instant (0.11), a second
    one names the same nanosecond by float noise (0.07 + 0.04). Both are
    due in the pass at 0.11; serviceTymers only looks past `now` when the
    *earliest* (cached) timer is strictly after it, so the second waits a
    tock. many-to-one's s6 hits this at 1.2 (a retransmission due at
    1.2000000000000002 behind a timer at exactly 1.2)."""
    assert ticks(0.07 + 0.04) == ticks(0.11) and 0.07 + 0.04 > 0.11
    peer = _peer_at(0.11)
    engine = _Timers(0.11, 0.07 + 0.04)
    peer.engine = engine  # type: ignore[assignment]
    assert peer.get_timer() == 0.11  # what SimDoist caches after the last pass
    peer.serviceTymers()
    assert engine.dues == [], f"left for the next pass: {engine.dues}"


def test_review_a_timer_made_in_the_pass_naming_its_instant_fires_in_it() -> None:
    """The cached timer is the one from the end of the previous pass; a
    datagram taken earlier in this pass (serviceReceives runs before
    serviceTymers) can schedule one that names this pass's nanosecond.
    The default scenario hits this: bob's pass at 0.11 had cached 0.155
    and left its ack due at 0.11000000000000001 to the pass at 0.115."""
    peer = _peer_at(0.11)
    engine = _Timers(0.155)
    peer.engine = engine  # type: ignore[assignment]
    assert peer.get_timer() == 0.155  # cached after the previous pass
    engine.dues = sorted([*engine.dues, 0.07 + 0.04])  # an ack scheduled on receive
    peer.serviceTymers()
    assert engine.dues == [0.155], f"left for the next pass: {engine.dues}"


@pytest.mark.parametrize("name", ["default", "many-to-one"])
def test_review_no_timer_naming_a_pass_instant_is_left_to_the_next_pass(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In shipped scenarios, after serviceTymers at a pass instant the core
    still has a timer in that very nanosecond (it fires a tock late): the
    promise of d7ddbc0 holds only when the cached timer is that timer."""
    left: list[tuple[str, float, float]] = []
    original = SimPeerMemoer.serviceTymers

    def checked(self: Any) -> None:
        original(self)
        now = self.now
        timer = self.engine.get_timer(track=self._tymth is not None)
        if now is not None and timer is not None and now < timer and ticks(timer) == ticks(now):
            left.append((self.name, now, timer))

    monkeypatch.setattr(SimPeerMemoer, "serviceTymers", checked)
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    run_sim(scenario, "SafePeerMemoerDoer", scenario.seed)
    assert left == []


# ---- explore: "a Doer that loses some memos and delivers others twice gets
# one of each" (docs/cli.md, commit cdc03ad) --------------------------------


def test_review_a_doer_that_loses_and_repeats_in_every_run_gets_both_shrunk(
    tmp_path: Path,
) -> None:
    """When every run both loses and duplicates (explore_doers.LoseAndRepeatDoer),
    each kind is still a distinct failure with a smallest scenario of its
    own, as docs/cli.md says: a first version keyed a run by its first kind
    only, and wrote one smallest scenario (lost silently) and none for the
    duplicates."""
    from memosim.testbed.explore import explore
    from memosim.testbed.scenario import parse_scenario

    doer = "explore_doers:LoseAndRepeatDoer"
    doc = {
        "scenario": {"name": "both-ways", "duration_s": 5.0, "doers": [doer]},
        "peers": [{"name": "alice", "port": 47321}, {"name": "bob", "port": 47322}],
        "workload": [
            {
                "src": "alice",
                "dst": "bob",
                "count": 20,
                "interval_s": 0.02,
                "memo_size": {"dist": "uniform", "min": 100, "max": 1000},
            }
        ],
    }
    scenario = parse_scenario(doc, str(tmp_path / "both-ways.toml"))
    result = explore(scenario, tmp_path / "ex", runs=3, seed=1, workers=1, shrink_budget=2)
    kinds_per_run = [{v.split(" ", 1)[1] for v in row["violations"]} for row in result.violating]
    # every run broke acked delivery both ways ...
    assert kinds_per_run and all(
        {"lost silently", "duplicates delivered"} <= k for k in kinds_per_run
    ), kinds_per_run
    # ... so the Doer has two failures, and each should get its smallest scenario
    assert sorted(s.kind for s in result.shrunk) == ["duplicates delivered", "lost silently"]
