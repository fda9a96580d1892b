"""A [host, port] list is an address as its tuple is, on every transport.

Addresses often come from JSON or TOML, which have lists, not tuples. A
Sure memo's flight is keyed by its destination, which a list cannot key,
so the Memoer takes a list dst as its tuple when the memo is queued (and
PeerMemoer, whose socket refuses lists, the same: test_udp_reply_address).
"""

from __future__ import annotations

from memosim.core.codes import MemoDex
from memosim.testing.simnet import SimNet


def test_a_sim_peer_delivers_sure_memos_to_a_list_address() -> None:
    net = SimNet(seed=3)
    alice = net.peer("alice", code=MemoDex.GramSureZero)
    bob = net.peer("bob", code=MemoDex.GramSureZero)
    memos = ["one", "z" * 4000]
    for memo in memos:
        alice.memoit(memo, list(bob.ha))
    assert [dst for _m, dst, _v in alice.txms] == [bob.ha, bob.ha]
    assert net.run_until(lambda: len(net.delivered(bob)) == 2 and not alice.unsettled(), limit=5.0)
    assert net.delivered(bob) == memos
    assert list(alice.failures) == []
