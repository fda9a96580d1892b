"""Review r4: named streams and long-run loss rates on a real link.

docs/network.md: each impairment of a link draws only from its own stream
(`link:{src}->{dst}:loss`, ...), so changing one leaves the others' draws
alone; Gilbert-Elliott converges to its stationary loss rate and correlated
Bernoulli loss keeps its mean while clustering."""

from __future__ import annotations

from typing import Any

import simpy

from memosim.sim import Network, Trace
from memosim.sim.impairments import build_link_impairments

N = 3000


def _outcome(spec: dict[str, Any], *, extra: bool = False, n: int = N) -> dict[str, Any]:
    """Send n numbered datagrams a->b; per number: lost?, copies made,
    corrupted copies, and the trace lines of a->b only."""
    env = simpy.Environment()
    net = Network(env, 9, trace=Trace())
    net.add_link("a", "b", spec)
    if extra:  # other traffic and another host's interface: must not matter
        net.add_link("b", "a", {"loss": {"rate": 0.5}, "delay": {"base_s": 0.01, "jitter_s": 0.01}})
        iface = {"rate": {"bps": 1e6}, "loss": {"rate": 0.3}}
        net.add_interface("c", "egress", build_link_impairments(iface, "egress"))
    net.endpoint(("b", 1))
    net.endpoint(("a", 1))

    def tx() -> Any:
        for i in range(n):
            net.send(("a", 1), ("b", 1), i.to_bytes(4, "big"))
            if extra:
                net.send(("b", 1), ("a", 1), b"noise")
                net.send(("c", 1), ("b", 1), b"noise")
            yield env.timeout(0.001)

    env.process(tx())
    env.run()
    assert net.trace is not None
    lost, dup = set(), set()
    for e in net.trace.events:
        if e.src != "a:1":
            continue
        if e.kind == "drop" and e.reason == "loss":
            lost.add(e.phash)
        elif e.kind == "duplicate":
            dup.add(e.phash)
    lines = [ln for ln in net.trace.lines() if " a:1 b:1 " in ln]
    return {"lost": lost, "dup": dup, "lines": lines}


BASE = {"loss": {"rate": 0.2}, "duplicate": {"rate": 0.3}, "delay": {"base_s": 0.05}}


def test_delay_corrupt_and_reorder_do_not_move_loss_or_duplicate_draws() -> None:
    ref = _outcome(BASE)
    assert ref["lost"] and ref["dup"]
    for change in (
        {"delay": {"base_s": 0.05, "jitter_s": 0.04}},
        {"corrupt": {"rate": 0.5}},
        {"reorder": {"rate": 0.5}},
    ):
        got = _outcome({**BASE, **change})
        assert (got["lost"], got["dup"]) == (ref["lost"], ref["dup"]), change


def test_duplicate_rate_does_not_move_loss_draws() -> None:
    ref = _outcome(BASE)
    got = _outcome({**BASE, "duplicate": {"rate": 0.9}})
    assert got["lost"] == ref["lost"] and got["dup"] != ref["dup"]


def test_other_links_and_interfaces_do_not_move_this_links_draws() -> None:
    spec = {**BASE, "delay": {"base_s": 0.05, "jitter_s": 0.03}, "corrupt": {"rate": 0.2}}
    assert _outcome(spec)["lines"] == _outcome(spec, extra=True)["lines"]


def _loss_sequence(loss: dict[str, Any], n: int) -> list[bool]:
    env = simpy.Environment()
    net = Network(env, 4, trace=Trace())
    net.add_link("a", "b", {"loss": loss})
    net.endpoint(("b", 1))
    for i in range(n):
        net.send(("a", 1), ("b", 1), i.to_bytes(4, "big"))
    env.run()
    assert net.trace is not None
    fate = {e.phash: e.reason == "loss" for e in net.trace.events if e.kind != "send"}
    return [fate[e.phash] for e in net.trace.events if e.kind == "send"]


def test_gilbert_elliott_converges_to_its_stationary_rate() -> None:
    p, r, bad, good = 0.05, 0.2, 0.7, 0.02
    seq = _loss_sequence(
        {"model": "gilbert_elliott", "p": p, "r": r, "bad_loss": bad, "good_loss": good}, 200_000
    )
    pi_bad = p / (p + r)
    want = pi_bad * bad + (1 - pi_bad) * good  # 0.156
    assert abs(sum(seq) / len(seq) - want) < 0.006


def test_correlated_bernoulli_keeps_its_mean_and_clusters() -> None:
    rate, c = 0.1, 0.5
    seq = _loss_sequence({"rate": rate, "correlation": c}, 200_000)
    assert abs(sum(seq) / len(seq) - rate) < 0.005
    after_loss = [b for a, b in zip(seq, seq[1:]) if a]
    assert abs(sum(after_loss) / len(after_loss) - (c + (1 - c) * rate)) < 0.02
