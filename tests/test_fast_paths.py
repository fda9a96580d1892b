"""The shortcuts taken for speed (issue 14) do what the general paths do."""

from __future__ import annotations

from typing import Any

from test_reassembly import accept, new, parsed

from memosim.core import grams
from memosim.core.reassembly import GRAM_COST, Reassembly


def _held_bytes(held: Reassembly, gs: list[grams.Gram]) -> tuple[int, list[str]]:
    for gram in gs:
        assert held.add(gram, "alice", 0.0, accept) is None
    return held.nbytes, held.pop_ready()


def test_early_grams_settle_to_the_same_bytes_and_readiness_as_grams_in_order() -> None:
    for code in ("bAAA", "bAAG"):  # plain, and signed (early grams also carry their signature)
        gs = parsed(b"x" * 400, code=code, size=200 if code == "bAAG" else 38)
        assert len(gs) > 2
        in_order, ready = _held_bytes(new()[0], gs)
        reverse, ready_reverse = _held_bytes(new()[0], gs[::-1])  # the zeroth gram last
        assert ready == ready_reverse == [gs[0].mid]
        assert in_order == reverse == sum(len(g.body) + GRAM_COST for g in gs)


def test_early_grams_the_zeroth_refuses_are_dropped_and_refunded() -> None:
    gs = parsed(b"x" * 40)
    held, drops = new()
    late = gs[2]._replace(num=99)  # beyond the count the zeroth gram will give
    for gram in [late, *gs[1:][::-1]]:
        assert held.add(gram, "alice", 0.0, accept) is None
    assert held.add(gs[0], "alice", 0.0, accept) is None
    assert [d[0] for d in drops] == ["number"]
    assert held.nbytes == sum(len(g.body) + GRAM_COST for g in gs)
    assert held.pop_ready() == [gs[0].mid]


def test_a_second_expire_at_one_instant_is_skipped_only_when_it_has_nothing_to_do() -> None:
    gs = parsed(b"x" * 40)
    held, _ = new(expiry=0.0)  # a partial memo expires the instant it is born
    held.expire(1.0)
    assert held.add(gs[1], "alice", 1.0, accept) is None
    held.expire(1.0)  # the same instant again: with no expiry it still expires
    assert len(held) == 0 and held.stats.memos_expired == 1
    held, _ = new(expiry=5.0)
    assert held.add(gs[1], "alice", 1.0, accept) is None
    held.expire(1.0)
    held.expire(1.0)
    assert len(held) == 1
    held.expire(6.0)
    assert len(held) == 0 and held.stats.memos_expired == 1


def test_a_peer_whose_send_or_receive_is_replaced_still_goes_through_them(memosim_net: Any) -> None:
    net = memosim_net(seed=1)
    alice, bob = net.peer("alice"), net.peer("bob")
    sent: list[int] = []
    got: list[int] = []
    send, receive = alice.send, bob.receive

    def counting_send(data: bytes, dst: Any, **kwa: Any) -> int:
        sent.append(len(data))
        return int(send(data, dst, **kwa))

    def counting_receive(**kwa: Any) -> tuple[bytes, Any]:
        data, src = receive(**kwa)
        if data:
            got.append(len(data))
        return data, src

    alice.send, bob.receive = counting_send, counting_receive
    net.send(alice, "y" * 3000, bob)
    net.assert_delivered(bob, "y" * 3000, limit=1.0)
    assert len(sent) >= 3 and len(got) >= 3  # a memo of several grams, each through them
    assert alice.stats.grams_sent == len(sent) and bob.stats.grams_received == len(got)


def test_a_closed_endpoint_holds_the_gram_as_the_general_loop_does(memosim_net: Any) -> None:
    net = memosim_net(seed=1)
    alice, bob = net.peer("alice"), net.peer("bob")
    net.run_until(lambda: False, limit=0.01)
    alice.endpoint.opened = False  # the socket went away under the Memoer
    alice.gramit(b"one", bob.ha)
    alice.gramit(b"two", bob.ha)
    alice.serviceTxGrams()
    assert (bytes(alice.txbs[0]), alice.txbs[1]) == (b"one", bob.ha)
    assert [g for g, _ in alice.txgs] == [b"two"] and alice.stats.grams_sent == 0
