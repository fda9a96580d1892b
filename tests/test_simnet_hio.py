"""SimNet (the memosim_net fixture) with hio 0.7.20's own PeerMemoer as a peer
(impl="hio"), mixed with memosim's, on the same seeded network: issue 15's
"two or more peers (memosim or hio)" for tests written in code."""

from __future__ import annotations

from typing import Any

from memosim.testing.simnet import SimNet


def exchange(seed: int) -> tuple[list[Any], list[Any], str]:
    net = SimNet(seed=seed)
    alice = net.peer("alice", impl="hio")
    bob = net.peer("bob")  # memosim's
    net.link("alice", "bob", loss={"rate": 0.3}, delay={"base_s": 0.01, "jitter_s": 0.005})
    for i in range(20):
        net.send(alice, f"from hio {i}", bob)
        net.send(bob, f"from memosim {i}", alice)
    net.run_for(3.0)
    to_bob = [memo for memo, *_ in bob.inbox]
    to_alice = [memo for memo, *_ in alice.inbox]
    return to_bob, to_alice, net.trace.digest()


def test_a_hio_peer_and_a_memosim_peer_exchange_memos_on_a_lossy_link() -> None:
    to_bob, to_alice, _ = exchange(seed=1)
    sent = {f"from hio {i}" for i in range(20)}
    assert set(to_bob) < sent and len(to_bob) >= 8  # fire and forget: some of the 30% are lost
    back = {f"from memosim {i}" for i in range(20)}  # the link is lossy both ways
    assert set(to_alice) < back and len(to_alice) >= 8 and len(set(to_alice)) == len(to_alice)
    net = SimNet(seed=1)
    hio_peer = net.peer("alice", impl="hio")
    assert type(hio_peer).__module__.startswith("memosim.testbed")  # an adapter over hio's class
    assert "hio" in " ".join(c.__module__ for c in type(hio_peer).__mro__)


def test_the_same_seed_gives_the_same_trace_with_a_hio_peer() -> None:
    one, two, other = exchange(seed=4), exchange(seed=4), exchange(seed=5)
    assert one == two
    assert other[2] != one[2]


def test_assertions_work_on_a_hio_receiver() -> None:
    net = SimNet(seed=2)
    alice, bob = net.peer("alice"), net.peer("bob", impl="hio")
    net.send(alice, "hello hio", bob)
    net.assert_delivered(bob, "hello hio", limit=2.0)
