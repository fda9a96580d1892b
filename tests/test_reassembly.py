"""core/reassembly.py: holding grams until their memo completes, within bounds.

Grams are made with grams.split and parsed as a Memoer would; the check that
stands in for signature verification accepts everything unless told not to.
"""

from __future__ import annotations

import hashlib

import pytest

from memosim.core import b64, grams
from memosim.core.limits import Limits
from memosim.core.reassembly import GRAM_COST, Reassembly
from memosim.core.stats import Stats

VID = "B" + "A" * 43
Drop = tuple[str, object, str]


def mid_of(n: int) -> str:
    return b64.mid_from_raw(n.to_bytes(16, "big"))


def parsed(
    memo: bytes, n: int = 1, *, code: str = "bAAA", size: int = 38, curt: bool = False
) -> list[grams.Gram]:
    """The parsed grams of memo under memo id n (size 38 leaves 6 body bytes a gram)."""
    signed = code in ("bAAC", "bAAG")
    out = grams.split(
        memo,
        code=code,
        curt=curt,
        size=size,
        mid=mid_of(n),
        vid=VID if signed else None,
        sign=(lambda ser: hashlib.sha512(ser).digest()) if signed else None,
    )
    return [grams.parse(g) for g in out]


def accept(vid: str | None, gram: grams.Gram) -> str | None:
    return None


def refuse(vid: str | None, gram: grams.Gram) -> str | None:
    return "signature"


def new(**limits: float) -> tuple[Reassembly, list[Drop]]:
    """A Reassembly with these limits and the drops it reports after add returned."""
    drops: list[Drop] = []
    held = Reassembly(
        Limits(**limits),
        Stats(),  # type: ignore[arg-type]
        lambda reason, src, detail: drops.append((reason, src, detail)),
    )
    return held, drops


def test_a_one_gram_memo_is_ready_at_once_and_shown_in_every_view() -> None:
    held, _ = new()
    (gram,) = parsed(b"hi")
    assert held.add(gram, "alice", 0.0, accept) is None
    mid = gram.mid
    assert len(held) == 0 and held.whole_bytes == 2  # no partial-memo record
    assert (held.rxgs[mid], held.sources[mid], held.counts[mid], held.vids[mid]) == (
        {0: b"hi"},
        "alice",
        1,
        None,
    )
    assert held.held(mid) == [0] and held.code_of(mid) == "bAAA" and held.epoch(mid) == 0
    assert held.pop_ready() == [mid] and held.pop_ready() == []
    assert held.take(mid, 1.0) == ({0: b"hi"}, 1, "alice", None)
    assert held.whole_bytes == 0 and mid not in held.rxgs and held.is_done(mid)
    assert held.add(gram, "alice", 2.0, accept) == "duplicate"  # delivered memos stay delivered


def test_a_memo_completes_when_its_last_gram_arrives_in_any_order() -> None:
    held, _ = new()
    g0, g1, g2 = parsed(b"How ya doing?")
    mid = g0.mid
    for gram in (g2, g0):
        assert held.add(gram, "alice", 1.0, accept) is None
    assert held.pop_ready() == [] and held.held(mid) == [0, 2]
    assert held.counts[mid] == 3 and held.rxgs[mid] == {0: b"How ya", 2: b"?"}
    assert held.epoch(mid) == 1 and held.oldest_born() == 1.0
    assert held.nbytes == 7 + 2 * GRAM_COST
    assert held.add(g2, "alice", 1.0, accept) == "duplicate"
    assert held.add(g1, "alice", 1.5, accept) is None
    assert held.pop_ready() == [mid]
    assert held.take(mid, 2.0) == ({0: b"How ya", 2: b"?", 1: b" doing"}, 3, "alice", None)
    assert len(held) == 0 and held.nbytes == 0 and held.epoch(mid) == 0
    assert held.oldest_born() is None


def test_early_grams_wait_for_the_zeroth_gram_before_they_are_checked() -> None:
    held, drops = new()
    g0, g1, g2 = parsed(b"How ya doing?")
    assert held.add(g1, "alice", 0.0, accept) is None
    assert held.add(g1, "alice", 0.0, accept) == "duplicate"
    # held, but not counted: hio's counts/rxgs/vids know nothing of it yet
    assert held.held(g0.mid) == [1] and g0.mid not in held.counts and g0.mid in held.sources
    assert held.code_of(g0.mid) is None
    wrong = grams.parse(
        grams.split(b"x" * 20, code="bAAE", curt=False, size=38, mid=g0.mid)[1]
    )  # a Sure later gram under a plain mid
    assert wrong.num == 1 and held.add(wrong._replace(num=2), "alice", 0.0, accept) is None
    assert held.add(g0, "alice", 0.1, accept) is None  # the zeroth gram judges them
    assert drops == [("mismatch", "alice", f"{g0.mid} gram 2, held until its zeroth gram")]
    assert held.held(g0.mid) == [0, 1] and held.pop_ready() == []
    assert held.add(g2, "alice", 0.2, accept) is None and held.pop_ready() == [g0.mid]


def test_later_grams_must_match_the_family_and_count_of_their_zeroth_gram() -> None:
    held, _ = new()
    g0, g1, _g2 = parsed(b"How ya doing?")
    assert held.add(g0, "alice", 0.0, accept) is None
    assert held.add(g1._replace(code="bAAF"), "alice", 0.0, accept) == "mismatch"
    assert held.add(g1._replace(num=3), "alice", 0.0, accept) == "number"
    assert held.add(g1._replace(num=0), "alice", 0.0, accept) == "number"
    assert held.add(g0, "alice", 0.0, accept) == "duplicate"
    (one,) = parsed(b"hi", 2)
    assert held.add(one, "alice", 0.0, accept) is None
    assert held.add(g1._replace(mid=one.mid), "alice", 0.0, accept) == "number"
    assert held.add(g1._replace(mid=one.mid, code="bAAD"), "alice", 0.0, accept) == "mismatch"
    assert held.held(g0.mid) == [0]


def test_signed_grams_are_checked_against_the_memos_signer() -> None:
    held, drops = new()
    (one,) = parsed(b"hi", code="bAAC", size=400)
    assert held.add(one, "alice", 0.0, refuse) == "signature"
    assert one.mid not in held.rxgs
    seen: list[str | None] = []

    def check(vid: str | None, gram: grams.Gram) -> str | None:
        seen.append(vid)
        return None

    g0, g1 = parsed(b"y" * 300, 2, code="bAAC", size=400)
    assert held.add(g1, "alice", 0.0, check) is None and seen == []  # early: not yet checkable
    assert held.add(g0, "alice", 0.0, check) is None
    assert seen == [VID, VID] and held.vids[g0.mid] == VID and held.pop_ready() == [g0.mid]
    assert drops == []


def test_a_verified_signed_zeroth_gram_replaces_unsigned_grams_of_its_mid() -> None:
    held, drops = new()
    plain0, plain1 = parsed(b"z" * 10, 3)
    assert held.add(plain0, "mallory", 0.0, accept) is None
    assert held.add(plain1, "mallory", 0.0, accept) is None
    signed0, _ = parsed(b"y" * 300, 3, code="bAAC", size=400)
    assert held.add(signed0, "alice", 0.0, refuse) == "signature"  # a forgery changes nothing
    assert held.add(signed0, "alice", 0.0, accept) is None
    mid = signed0.mid
    assert drops == [
        ("superseded", "mallory", f"{mid} gram 0"),
        ("superseded", "mallory", f"{mid} gram 1"),
    ]
    assert held.code_of(mid) == "bAAC" and held.sources[mid] == "alice"
    assert held.add(plain0, "mallory", 0.0, accept) == "duplicate"


def test_partial_memos_expire_and_delivered_ids_are_forgotten_later() -> None:
    held, _ = new(expiry=10.0, done_expiry=50.0)
    g0, _g1, _g2 = parsed(b"How ya doing?", 1)
    (one,) = parsed(b"hi", 2)
    held.add(g0, "alice", 0.0, accept)
    held.add(one, "alice", 5.0, accept)
    held.take(held.pop_ready()[0], 5.0)
    held.expire(None)  # no clock: nothing expires
    held.expire(9.9)
    assert len(held) == 1
    held.expire(10.0)
    assert len(held) == 0 and held.nbytes == 0 and held.stats.memos_expired == 1
    assert held.is_done(one.mid)
    held.expire(55.0)
    assert not held.is_done(one.mid)
    assert held.add(one, "alice", 56.0, accept) is None  # a replay long after is new again


def test_take_can_leave_a_memo_unremembered_until_told() -> None:
    held, _ = new()
    g0, g1 = parsed(b"Hello there.")
    held.add(g0, "alice", 0.0, accept)
    held.add(g1, "alice", 0.0, accept)
    assert held.take_whole(g0.mid, 0.0) is None  # not a one-gram memo
    assert held.take_partial(g0.mid, 0.0, remember=False)[1] == 2
    assert not held.is_done(g0.mid)
    held.remember(g0.mid, 0.0)
    assert held.is_done(g0.mid) and held.add(g1, "alice", 0.0, accept) == "duplicate"


def test_remembered_ids_are_bounded_by_the_done_window() -> None:
    held, _ = new(done_window=2)
    ones = [parsed(b"hi", n)[0] for n in range(1, 4)]
    for gram in ones:
        held.add(gram, "alice", 0.0, accept)
        held.take(gram.mid, 0.0)
    assert [held.is_done(g.mid) for g in ones] == [False, True, True]


def test_partial_memos_per_source_are_bounded_oldest_first() -> None:
    held, _ = new(max_memos_per_source=2, max_memos=3)
    firsts = [parsed(b"How ya doing?", n)[0] for n in range(1, 6)]
    for gram in firsts[:3]:
        held.add(gram, "alice", 0.0, accept)
    assert [g.mid in held.counts for g in firsts[:3]] == [False, True, True]
    assert held.stats.memos_evicted == 1
    held.add(firsts[3], "bob", 0.0, accept)
    held.add(firsts[4], "carol", 0.0, accept)  # the total bound: alice's oldest goes
    assert sorted(held.sources[g.mid] for g in firsts if g.mid in held.counts) == [
        "alice",
        "bob",
        "carol",
    ]
    assert held.stats.memos_evicted == 2


@pytest.mark.parametrize("bound", ["max_bytes_per_source", "max_bytes"])
def test_bytes_held_for_partial_memos_are_bounded(bound: str) -> None:
    per_memo = 2 * (6 + GRAM_COST)  # a zeroth and a later gram of 6 bytes each
    held, _ = new(**{bound: 2 * per_memo})
    for n in (1, 2, 3):
        g0, g1, _g2 = parsed(b"How ya doing?", n)
        held.add(g0, "alice", 0.0, accept)
        held.add(g1, "alice", 0.0, accept)
    assert held.nbytes == 2 * per_memo and len(held) == 2
    assert mid_of(1) not in held.sources and held.stats.memos_evicted == 1


def test_one_gram_memos_waiting_to_be_fused_are_bounded_oldest_first() -> None:
    held, _ = new(max_memos=2, max_bytes=100)
    ones = [parsed(b"hi", n)[0] for n in range(1, 4)]
    for gram in ones:
        held.add(gram, "alice", 0.0, accept)
    assert [g.mid in held.rxgs for g in ones] == [False, True, True]
    (big,) = parsed(b"x" * 99, 9, size=200)
    held.add(big, "alice", 0.0, accept)
    assert list(held.rxgs) == [big.mid] and held.whole_bytes == 99
    assert held.stats.memos_evicted == 3 and held.pop_ready() == [big.mid]


def test_every_partial_record_gets_a_new_nonzero_epoch() -> None:
    held, _ = new(expiry=1.0)
    g0 = parsed(b"How ya doing?")[0]
    epochs = []
    for t in range(4):
        held.add(g0, "alice", float(t), accept)
        epochs.append(held.epoch(g0.mid))
        held.expire(t + 1.0)
    assert epochs == [1, 2, 3, 4]
