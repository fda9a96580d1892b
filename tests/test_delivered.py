"""The receiver's memory of delivered Sure memos: per-source quotas that other
traffic cannot flush, and refusal (never a second delivery) beyond its bounds."""

from __future__ import annotations

from helpers import EchoLink, wound_pair

from memosim import Limits, Memoer, Tymist
from memosim.core.codes import MemoDex
from memosim.core.delivered import Delivered

SURE = MemoDex.GramSureZero
TOCK = 0.03125


def test_quota_per_source_and_sources_bounded() -> None:
    mem = Delivered(per_source=2, max_sources=2, expiry=10.0)
    assert mem.room("a", 0.0)
    mem.add("m1", "a", 0.0, 1, False, False)
    mem.add("m2", "a", 1.0, 1, False, False)
    assert not mem.room("a", 2.0)  # a's quota is full of unexpired ids
    assert mem.room("b", 2.0)
    mem.add("m3", "b", 2.0, 1, False, False)
    assert not mem.room("c", 2.0)  # no third source
    assert "m1" in mem and mem.get("m3").src == "b"  # type: ignore[union-attr]
    assert mem.room("a", 10.0)  # m1 expired: a has room again, m1 is forgotten
    assert "m1" not in mem and "m2" in mem
    assert mem.room("c", 12.0) and mem.sources == 0  # everything expired


def test_other_sources_never_evict_a_sources_ids() -> None:
    mem = Delivered(per_source=4, max_sources=1000, expiry=100.0)
    mem.add("mine", "a", 0.0, 3, False, False)
    for i in range(5000):
        src = f"x{i % 900}"
        if mem.room(src, 1.0):
            mem.add(f"other{i}", src, 1.0, 1, False, False)
    assert "mine" in mem


def test_without_tyme_each_source_is_a_fifo_window_and_memory_stays_bounded() -> None:
    mem = Delivered(per_source=3, max_sources=2, expiry=10.0)
    for i in range(10000):
        assert mem.room("a", None)
        mem.add(f"m{i}", "a", None, 1, False, False)
    assert len(mem) == 3 and "m9999" in mem and "m9996" not in mem
    assert len(mem._order) <= 2 * len(mem) + 1024


def run(tymist: Tymist, *peers: Memoer, until: float) -> None:
    while tymist.tyme < until:
        for peer in peers:
            peer.service()
        tymist.tick()


def test_a_full_quota_refuses_then_delivers_once_room_frees() -> None:
    """Beyond its quota a source's memo is refused unacked (sure-full), and
    delivered exactly once when an id expires; nothing is delivered twice."""
    a, b, tymist = wound_pair(
        EchoLink(seed=1), TOCK, code=SURE, limits=Limits(sure_window=2, done_expiry=5.0)
    )
    for n in range(3):
        a.memoit(f"memo {n}", "b")
    run(tymist, a, b, until=2.0)
    assert sorted(m for m, _, _ in b.inbox) == ["memo 0", "memo 1"]
    assert b.stats.dropped["sure-full"] >= 1
    assert len(a.unsettled()) == 1  # memo 2 is retried, not retired
    run(tymist, a, b, until=20.0)
    assert sorted(m for m, _, _ in b.inbox) == ["memo 0", "memo 1", "memo 2"]
    assert a.unsettled() == [] and not a.failures


def test_a_refused_memo_the_sender_gives_up_on_is_reported() -> None:
    """With room never freeing within the sender's maxTyme, the memo ends in failures."""
    a, b, tymist = wound_pair(
        EchoLink(seed=1),
        TOCK,
        code=SURE,
        maxTyme=10.0,
        limits=Limits(sure_window=1, done_expiry=1000.0),
    )
    a.memoit("first", "b")
    a.memoit("second", "b")
    run(tymist, a, b, until=15.0)
    assert [m for m, _, _ in b.inbox] == ["first"]
    assert [(m, reason) for m, _, _, reason in a.failures] == [("second", "tyme")]
    assert a.unsettled() == []
