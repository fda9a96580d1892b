"""Tests in code on memosim's simulated network (the memosim_net fixture)."""

from memosim import PeerMemoerDoer


def test_acked_memo_survives_loss(memosim_net):
    net = memosim_net(seed=7)
    alice, bob = net.peer("alice", code="bAAE"), net.peer("bob")  # bAAE: acked delivery
    net.link("alice", "bob", loss={"rate": 0.3}, delay={"base_s": 0.015})
    memos = [f"order {i}: " + "x" * 3000 for i in range(5)]
    for memo in memos:
        net.send(alice, memo, bob)
    for memo in memos:
        net.assert_delivered(bob, memo, src=alice, limit=20.0)
    net.assert_no_duplicates(bob)


def test_fire_and_forget_loses_under_total_loss(memosim_net):
    net = memosim_net(seed=7)
    alice = net.peer("alice", doer=PeerMemoerDoer)
    bob = net.peer("bob", doer=PeerMemoerDoer)
    net.link("alice", "bob", loss={"rate": 1.0}, both=False)
    net.send(alice, "hello", bob)
    assert not net.run_until(lambda: bob.inbox, limit=2.0)
    assert [e.reason for e in net.events(alice) if e.kind == "drop"] == ["loss"]
