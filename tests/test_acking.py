"""Acked (Sure) delivery: ack wire format, receiver pacing, sender retries.

Peers talk over the seeded echo link of tests/helpers.py; tyme is a Tymist
ticked by hand, so every expectation below is exact.
"""

from __future__ import annotations

import random

import pytest
from conftest import seed_of
from helpers import EchoLink, LinkedMemoer, kind_of, linked_pair

from memosim import Limits, Memoer, Tymist, make_keyage
from memosim.core import acking, grams
from memosim.core.acking import AckError, decode_body, encode_body, make_ack, ranges_of
from memosim.core.codes import MemoDex
from memosim.core.keys import Signer, Verifier

SURE = MemoDex.GramSureZero
SURE_AUTH = MemoDex.GramSureAuthZero
TOCK = 0.03125
MID = "0A" + "B" * 22


def wound_pair(link: EchoLink, **kwa) -> tuple[LinkedMemoer, LinkedMemoer, Tymist]:
    tymist = Tymist(tock=TOCK)
    a, b = linked_pair(link, **kwa)
    a.wind(tymist.tymen())
    b.wind(tymist.tymen())
    return a, b, tymist


def run(tymist: Tymist, *peers: Memoer, passes: int = 1) -> None:
    """Service each peer in turn, then tick: one Doist-like pass, `passes` times."""
    for _ in range(passes):
        for peer in peers:
            peer.service()
        tymist.tick()


def run_until(tymist: Tymist, *peers: Memoer, until, limit: float = 120.0) -> None:
    while not until():
        assert tymist.tyme < limit, "did not settle"
        run(tymist, *peers)


def settled(a: Memoer, b: Memoer, count: int = 1):
    return lambda: len(b.inbox) >= count and not len(a._flights)


def memos_of(peer: Memoer) -> list:
    return [memo for memo, _, _ in peer.inbox]


def drop_once(predicate):
    """A link drop rule that drops the first datagram matching predicate."""
    state = {"left": 1}

    def drop(gram: bytes, src: str, dst: str) -> bool:
        if state["left"] and predicate(gram, src, dst):
            state["left"] -= 1
            return True
        return False

    return drop


def gram_num(gram: bytes) -> int | None:
    parsed = grams.parse(gram)
    return None if parsed.code in (MemoDex.Ack, MemoDex.AckAuth) else parsed.num


# ---------------------------------------------------------------- ack bodies
def test_ranges_of_groups_consecutive_numbers() -> None:
    assert ranges_of([]) == []
    assert ranges_of([0]) == [(0, 1)]
    assert ranges_of([0, 1, 2, 5, 7, 8]) == [(0, 3), (5, 6), (7, 9)]


def test_body_round_trip_and_layout() -> None:
    body = encode_body([(0, 3), (5, 6)], limit=10)
    assert body == bytes([0, 0, 0, 0, 0, 3, 0, 0, 5, 0, 0, 6])
    assert decode_body(body) == [(0, 3), (5, 6)]
    assert decode_body(b"") == []
    assert encode_body([(0, 1), (2, 3), (4, 5)], limit=2) == encode_body([(0, 1), (2, 3)], 9)


@pytest.mark.parametrize(
    "body",
    [
        b"\x00" * 5,  # not whole ranges
        bytes([0, 0, 1, 0, 0, 1]),  # empty range
        bytes([0, 0, 2, 0, 0, 1]),  # end before start
        bytes([0, 0, 0, 0, 0, 3, 0, 0, 2, 0, 0, 4]),  # overlapping
        bytes([0, 0, 5, 0, 0, 6, 0, 0, 1, 0, 0, 2]),  # descending
    ],
)
def test_malformed_bodies_raise_ack_error_only(body: bytes) -> None:
    with pytest.raises(AckError) as info:
        decode_body(body)
    assert info.value.reason == "ack-body"


@pytest.mark.parametrize("curt", [False, True])
def test_ack_gram_layout_text_and_binary(curt: bool) -> None:
    gram = make_ack(MID, 3, [(0, 1), (2, 3)], curt=curt, size=1240)
    parsed = grams.parse(gram)
    assert parsed.code == MemoDex.Ack and parsed.curt is curt
    assert parsed.count == 3 and parsed.mid == MID and parsed.vid is None
    assert parsed.body == encode_body([(0, 1), (2, 3)], 9)
    assert len(gram) == (24 if curt else 32) + 12


@pytest.mark.parametrize("curt", [False, True])
def test_ack_auth_is_signed_over_code_through_body(curt: bool) -> None:
    vid, keyage = make_keyage(seed_of("bob"))
    keep = {vid: keyage}
    signer = Signer()
    gram = make_ack(
        MID, 1, [(0, 1)], curt=curt, size=1240, vid=vid,
        sign=lambda ser: signer.sign(keep, vid, ser),
    )
    parsed = grams.parse(gram)
    assert parsed.code == MemoDex.AckAuth and parsed.vid == vid and parsed.curt is curt
    assert parsed.signed == gram[: -(66 if curt else 88)]
    assert Verifier().verify(keep, vid, parsed.sig, parsed.signed)


def test_ack_body_is_capped_to_the_gram_size() -> None:
    ranges = [(n, n + 1) for n in range(0, 40, 2)]  # 20 ranges
    gram = make_ack(MID, 40, ranges, curt=False, size=100)
    assert len(gram) <= 100
    assert decode_body(grams.parse(gram).body) == ranges[: (100 - 32) // 6]
    # a size too small for any range still carries one
    assert len(decode_body(grams.parse(make_ack(MID, 40, ranges, curt=False, size=10)).body)) == 1


# ---------------------------------------------------------------- delivery
def test_lost_gram_is_retransmitted_alone_and_delivered() -> None:
    link = EchoLink(drop=drop_once(lambda g, s, d: s == "a" and gram_num(g) == 1))
    a, b, tymist = wound_pair(link, code=SURE, size=40)
    b.size = 200  # room for two ranges in b's acks
    memo = "abcdefghijklmnopqrstu"  # 3 grams of 8 bytes at size 40
    a.memoit(memo, "b")
    run_until(tymist, a, b, until=settled(a, b))
    assert memos_of(b) == [memo]
    assert a.stats.grams_retransmitted == 1  # only the lost gram, not 0 or 2
    assert link.grams[("a", "b", "data")] == 4
    assert not a.failures and a.stats.memos_failed == 0
    assert b.stats.memos_delivered == 1
    # the selective ack of grams 0 and 2 gave an RTT sample, so the lost gram
    # was resent well before the 1 s initial RTO
    assert tymist.tyme < 0.6


def test_lost_ack_gives_one_delivery_a_reack_and_no_rtt_sample() -> None:
    link = EchoLink(drop=drop_once(lambda g, s, d: s == "b"))
    a, b, tymist = wound_pair(link, code=SURE)
    a.memoit("hello", "b")
    run_until(tymist, a, b, until=settled(a, b))
    assert memos_of(b) == ["hello"]
    assert b.stats.memos_delivered == 1
    assert b.stats.dropped["duplicate"] == 1
    assert b.stats.acks_sent == 2  # the lost ack, then the re-ack of the duplicate
    assert a.stats.grams_retransmitted == 1
    assert a.stats.acks_received == 1
    est = a._flights.dests["b"].est
    assert est.samples == 0 and est.rto == 1.0  # Karn: the resent gram gives no sample
    assert 1.0 <= tymist.tyme < 1.2  # resent after the initial RTO
    run(tymist, a, b, passes=200)  # nothing further happens
    assert b.stats.memos_delivered == 1 and b.stats.acks_sent == 2
    assert a.get_timer() is None


@pytest.mark.parametrize("code", [SURE, SURE_AUTH])
def test_receiver_that_lost_an_acked_partial_memo_gets_it_again(code: str) -> None:
    """Reneging: b acks grams 0-1, then expires the partial memo; the neck-0
    ack it sends for the resent gram 2 makes a send 0-1 again."""
    link = EchoLink(drop=drop_once(lambda g, s, d: s == "a" and gram_num(g) == 2))
    vid, keyage = make_keyage(seed_of("alice"))
    a, b, tymist = wound_pair(
        link, code=code, size=200, keep={vid: keyage}, vid=vid, limits=Limits(expiry=0.1)
    )
    memo = "r" * 400  # 6 grams signed, 3 unsigned at size 200
    count = len(a.rend(memo))
    a.memoit(memo, "b")
    run_until(tymist, a, b, until=settled(a, b))
    assert memos_of(b) == [memo]
    assert b.stats.memos_expired == 1
    assert a._flights.reneged == count - 1  # every gram but the lost one, once acked
    assert a.stats.grams_retransmitted == count  # the lost gram, then the reneged ones
    assert not a.failures


@pytest.mark.parametrize("code", [SURE, SURE_AUTH])
def test_reordered_and_duplicated_grams_deliver_once(code: str) -> None:
    held: list[bytes] = []

    def capture(gram: bytes, src: str, dst: str) -> bool:
        if src == "a":
            held.append(gram)
            return True
        return False

    link = EchoLink(drop=capture)
    vid, keyage = make_keyage(seed_of("alice"))
    a, b, tymist = wound_pair(link, code=code, size=200, keep={vid: keyage}, vid=vid)
    memo = "x" * 500
    a.memoit(memo, "b")
    run(tymist, a)
    assert len(held) > 2
    link.drop = None
    for gram in reversed(held + held[:2]):  # reversed, zeroth last, two duplicates
        b.echos.append((gram, "a"))
    run_until(tymist, a, b, until=settled(a, b))
    assert memos_of(b) == [memo]
    assert b.stats.memos_delivered == 1
    assert b.stats.dropped["duplicate"] == 2
    assert a.stats.grams_retransmitted == 0


def test_give_up_after_max_tries_lands_in_failures() -> None:
    link = EchoLink(loss={("a", "b"): 1.0})
    a, b, tymist = wound_pair(link, code=SURE, maxTries=3)
    a.memoit("doomed", "b", None)
    run_until(tymist, a, b, until=lambda: bool(a.failures))
    assert list(a.failures) == [("doomed", "b", None, "tries")]
    assert a.stats.memos_failed == 1
    assert link.grams[("a", "b", "data")] == 3  # sent 3 times, then given up
    assert a.stats.grams_retransmitted == 2
    # timeouts 1.0 then 2.0 (backed off), then the third timeout gives up at 7.0
    assert tymist.tyme == pytest.approx(7.0, abs=TOCK * 2)
    assert len(a._flights) == 0 and a.get_timer() is None


def test_give_up_after_max_tyme_lands_in_failures() -> None:
    link = EchoLink(loss={("a", "b"): 1.0})
    a, b, tymist = wound_pair(link, code=SURE, maxTyme=2.5)
    a.memoit(b"bytes too", "b")
    run_until(tymist, a, b, until=lambda: bool(a.failures))
    assert list(a.failures) == [(b"bytes too", "b", None, "tyme")]
    assert tymist.tyme == pytest.approx(2.5, abs=TOCK * 2)
    assert a.stats.memos_failed == 1 and len(a._flights) == 0


def test_unwound_sender_sends_once_and_tracks_nothing() -> None:
    link = EchoLink(loss={("a", "b"): 1.0})
    a, b = linked_pair(link, code=SURE, size=40)
    tymist = Tymist()  # not wound: nobody reads it
    a.memoit("abcdefghijklmnopqrstu", "b")
    for _ in range(500):
        a.service()
        b.service()
        tymist.tick()
    assert link.grams[("a", "b", "data")] == 3
    assert a.stats.grams_retransmitted == 0 and a.stats.grams_sent == 3
    assert len(a._flights) == 0 and not a.failures
    assert a.get_timer() is None


def test_unwound_sender_ignores_acks_while_receiver_still_acks() -> None:
    link = EchoLink()
    a, b = linked_pair(link, code=SURE)
    a.memoit("hi", "b")
    for _ in range(3):
        a.service()
        b.service()
    assert memos_of(b) == ["hi"]
    assert b.stats.acks_sent == 1
    assert a.stats.dropped["ack-unknown"] == 1 and a.stats.acks_received == 0


def test_window_bounds_grams_in_flight() -> None:
    link = EchoLink(loss={("a", "b"): 1.0})
    a, b, tymist = wound_pair(link, code=SURE, window=4)
    for n in range(10):
        a.memoit(f"memo {n}", "b")
    run(tymist, a, b, passes=3)
    assert link.grams[("a", "b", "data")] == 4
    assert a._flights.dests["b"].inflight == 4
    link.loss = 0.0
    run_until(tymist, a, b, until=settled(a, b, 10))
    assert memos_of(b) == [f"memo {n}" for n in range(10)]
    assert link.grams[("a", "b", "data")] == 14  # 4 lost, resent, then 6 more


def test_get_timer_reports_retransmit_and_ack_dues() -> None:
    held: list[bytes] = []
    link = EchoLink(drop=lambda g, s, d: s == "a" and not held.append(g))
    a, b, tymist = wound_pair(link, code=SURE, size=40)
    assert a.get_timer() is None
    a.memoit("abcdefghijklmnopqrstu", "b")
    run(tymist, a)
    assert a.get_timer() == 1.0  # initial RTO from the send at tyme 0
    b.absorb(held[0], "a")
    b.serviceTymers()
    assert b.get_timer() == pytest.approx(TOCK + 0.05)  # ack delay after the first gram
    assert not b.txgs
    tymist.tyme = TOCK + 0.05
    b.serviceTymers()
    assert len(b.txgs) == 1 and b.get_timer() == pytest.approx(TOCK + 30.0)  # partial expiry


# ---------------------------------------------------------------- receiver pacing
def test_acks_are_paced_per_memo_and_flushed_on_completion() -> None:
    held: list[bytes] = []
    link = EchoLink(drop=lambda g, s, d: not held.append(g))  # capture everything
    a, b, tymist = wound_pair(link, code=SURE, size=40, ackDelay=0.0625)
    b.size = 100
    a.memoit("abcdefghijklmnopqrstu", "a")  # three grams; b plays the receiver
    run(tymist, a)
    g0, g1, g2 = held
    held.clear()
    # tymes are multiples of 1/64 so sums are exact

    def at(tyme: float, *grams_: bytes) -> list[list[tuple[int, int]]]:
        tymist.tyme = tyme
        for gram in grams_:
            b.echos.append((gram, "a"))
        b.service()
        return [decode_body(grams.parse(g).body) for g in held if kind_of(g) == "ack"]

    assert at(1.0, g0, g1) == []  # first ack waits the ack delay
    assert at(1.046875) == []
    assert at(1.0625) == [[(0, 2)]]
    assert at(1.078125, g0, g1) == [[(0, 2)]]  # duplicates: paced, not yet
    assert at(1.109375) == [[(0, 2)]]
    assert at(1.125) == [[(0, 2)], [(0, 2)]]
    assert at(1.140625, g2) == [[(0, 2)], [(0, 2)], [(0, 3)]]  # complete: at once
    assert memos_of(b) == ["abcdefghijklmnopqrstu"]
    assert at(1.15625, g0) == [[(0, 2)], [(0, 2)], [(0, 3)]]  # re-ack paced after 1.140625
    assert at(1.1875) == [[(0, 2)], [(0, 2)], [(0, 3)]]
    assert at(1.203125) == [[(0, 2)], [(0, 2)], [(0, 3)], [(0, 3)]]
    assert b.stats.acks_sent == 4 and b.stats.memos_delivered == 1


def test_complete_memo_is_acked_only_once_delivered() -> None:
    link = EchoLink(loss=1.0)
    a, b, tymist = wound_pair(link, code=SURE)
    a.memoit("whole", "b")
    run(tymist, a)
    gram = a._flights.flights[next(iter(a._flights.flights))].grams[0]
    b.absorb(gram, "a")
    b.serviceTymers()  # complete but not yet fused into rxms: no ack
    assert not b.txgs and b.stats.acks_sent == 0
    assert b.get_timer() <= tymist.tyme  # the ack is due as soon as it is delivered
    b.serviceRxGrams()
    b.serviceTymers()
    assert [decode_body(grams.parse(g).body) for g, _ in b.txgs] == [[(0, 1)]]
    assert b.rxms[0][0] == "whole"


def test_early_grams_acked_with_neck_zero_and_listed_only_when_unsigned() -> None:
    vid, keyage = make_keyage(seed_of("alice"))
    for code, expect in ((SURE, [(0, [(1, 3)])]), (SURE_AUTH, [(0, [])])):
        held: list[bytes] = []
        link = EchoLink(drop=lambda g, s, d, held=held: not held.append(g))
        a, b, tymist = wound_pair(link, code=code, size=200, keep={vid: keyage}, vid=vid)
        a.memoit("y" * 400, "a")
        run(tymist, a)
        first = len(held)
        for gram in held[1:]:
            b.absorb(gram, "a")
        tymist.tyme = 1.0
        b.service()
        acks = [grams.parse(g) for g in held[first:]]
        assert [(ack.count, decode_body(ack.body)) for ack in acks] == expect


def test_curt_memos_get_curt_acks() -> None:
    link = EchoLink()
    a, b, tymist = wound_pair(link, code=SURE, curt=True)
    a.memoit("binary", "b")
    acks: list[bytes] = []
    link.drop = lambda g, s, d: s == "b" and acks.append(g) is not None
    run_until(tymist, a, b, until=settled(a, b))
    assert acks and all(grams.parse(g).curt for g in acks)


@pytest.mark.parametrize("size, ranges", [(60, 4), (40, 1)])
def test_ack_body_capped_by_receiver_gram_size(size: int, ranges: int) -> None:
    link = EchoLink(drop=lambda g, s, d: s == "a" and (gram_num(g) or 0) % 2 == 1)
    a, b, tymist = wound_pair(link, code=SURE, size=40)
    b.size = size
    a.memoit("z" * 8 * 20, "b")  # 20 grams, every odd one lost: 10 held ranges
    run(tymist, a)
    b.serviceReceives()
    tymist.tyme = 1.0
    b.serviceTymers()
    acks = [g for g, _ in b.txgs]
    assert len(acks) == 1
    # the lowest ranges that fit: (size - 32) // 6, at least one
    assert decode_body(grams.parse(acks[0]).body) == [(n, n + 1) for n in range(0, 2 * ranges, 2)]
    assert len(acks[0]) <= max(size, 32 + 6)


# ---------------------------------------------------------------- signed acks
def signed_pair(**kwa):
    avid, akey = make_keyage(seed_of("alice"))
    bvid, bkey = make_keyage(seed_of("bob"))
    acks: list[bytes] = []
    link = EchoLink(drop=lambda g, s, d: s == "b" and acks.append(g) is not None)
    tymist = Tymist(tock=TOCK)
    a = LinkedMemoer(link=link, name="a", code=SURE_AUTH, keep={avid: akey}, vid=avid, **kwa)
    b = LinkedMemoer(link=link, name="b", keep={bvid: bkey}, vid=bvid)
    for peer in (a, b):
        peer.reopen()
        peer.wind(tymist.tymen())
    return a, b, tymist, acks, {bvid: bkey}


def test_signed_memo_gets_ack_auth_verified_by_sender() -> None:
    a, b, tymist, acks, bkeep = signed_pair()
    a.memoit("signed", "b")
    run_until(tymist, a, b, until=settled(a, b))
    assert memos_of(b) == ["signed"]
    parsed = [grams.parse(g) for g in acks]
    assert [p.code for p in parsed] == [MemoDex.AckAuth]
    assert parsed[0].vid == b.vid
    assert a.stats.acks_received == 1 and not a.stats.dropped


def test_receiver_without_vid_acks_signed_memo_plainly() -> None:
    a, b, tymist, acks, _ = signed_pair()
    b.vid = None
    a.memoit("signed", "b")
    run_until(tymist, a, b, until=settled(a, b))
    assert [grams.parse(g).code for g in acks] == [MemoDex.Ack]


def test_tampered_forged_and_misdirected_acks_are_dropped() -> None:
    a, b, tymist, acks, bkeep = signed_pair(size=200)
    bvid = b.vid
    link = a.link
    link.drop = lambda g, s, d: True  # a's grams go nowhere: we play b by hand
    a.memoit("q" * 300, "b")  # five grams
    run(tymist, a)
    mid = next(iter(a._flights.flights))
    signer = Signer()

    count = a._flights.flights[mid].count
    assert count == 5

    def ack(ranges, *, neck=count, vid=bvid, keep=bkeep, sign_vid=bvid, curt=False) -> bytes:
        return make_ack(
            mid, neck, ranges, curt=curt, size=1240, vid=vid,
            sign=lambda ser: signer.sign(keep, sign_vid, ser),
        )

    good = ack([(0, 1)])
    tampered = bytearray(good)
    tampered[-88 - 1] = 2  # body (0, 1) -> (0, 2): would ack the whole memo
    assert decode_body(grams.parse(bytes(tampered)).body) == [(0, 2)]
    mvid, mkey = make_keyage(seed_of("mallory"))
    forged = ack([(0, 2)], keep={mvid: mkey}, sign_vid=mvid)  # claims bob's vid
    unknown_d, dkey = make_keyage(seed_of("dave"), code="D")
    unknown = ack([(0, 2)], vid=unknown_d, keep={unknown_d: dkey}, sign_vid=unknown_d)
    for gram, src in ((bytes(tampered), "b"), (forged, "b"), (unknown, "b"), (good, "mallory")):
        a.absorb(gram, src)
    assert a.stats.dropped == {"signature": 2, "unknown-vid": 1, "ack-src": 1}
    flight = a._flights.flights[mid]
    assert flight.nacked == 0 and a.stats.acks_received == 0
    a.absorb(good, "b")
    assert flight.nacked == 1 and a.stats.acks_received == 1


def test_authic_sender_drops_plain_acks() -> None:
    a, b, tymist, acks, _ = signed_pair(authic=True)
    b.vid = None  # b can only ack plainly
    a.memoit("signed", "b", None)
    run(tymist, a, b, passes=4)
    assert memos_of(b) == ["signed"]
    assert a.stats.dropped["unsigned"] >= 1 and len(a._flights) == 1


# ---------------------------------------------------------------- hostile input
def test_malformed_acks_are_counted_never_raised() -> None:
    link = EchoLink(loss=1.0)
    a, b, tymist = wound_pair(link, code=SURE, size=40)
    a.memoit("abcdefghijklmnopqrstu", "b")  # 3 grams
    run(tymist, a)
    mid = next(iter(a._flights.flights))
    cases = {
        "ack-body": make_ack(mid, 3, [], curt=False, size=99) + b"\x00",
        "ack-count": make_ack(mid, 4, [(0, 1)], curt=False, size=99),
        "ack-range": make_ack(mid, 0, [(0, 4)], curt=False, size=99),
        "ack-unknown": make_ack("0A" + "C" * 22, 3, [(0, 1)], curt=False, size=99),
    }
    for gram in cases.values():
        a.absorb(gram, "b")
    assert a.stats.dropped == {reason: 1 for reason in cases}
    assert a._flights.flights[mid].nacked == 0
    rng = random.Random(7)
    head = make_ack(mid, 0, [], curt=False, size=99)
    for _ in range(3000):
        body = rng.randbytes(rng.choice((0, 5, 6, 12, 18, 30)))
        neck = grams.neck_bytes(rng.randrange(5), False)
        a.absorb(head[:4] + neck + head[8:] + body, "b")
        run(tymist, a)
    assert a.stats.acks_received + sum(a.stats.dropped.values()) == 3004


def test_receiver_tables_stay_bounded_under_floods() -> None:
    limits = Limits(max_memos=50, max_memos_per_source=10, done_window=20)
    b = Memoer(echoic=True, limits=limits, clock=lambda: 0.0)
    b.reopen()
    rng = random.Random(3)
    for n in range(2000):  # early grams of never-finished memos from many sources
        mid = grams.b64.mid_from_raw(rng.randbytes(16))
        gram = grams.split(b"x" * 50, code=SURE, curt=False, size=40, mid=mid)[1]
        b.absorb(gram, ("10.0.0.1", n % 37))
    assert len(b._acker.pending) <= 50
    assert all(len(m) <= 10 for m in b._acker._by_source.values())
    for _ in range(200):  # completed memos, each duplicated
        mid = grams.b64.mid_from_raw(rng.randbytes(16))
        gram = grams.split(b"done", code=SURE, curt=False, size=100, mid=mid)[0]
        b.absorb(gram, "src")
        b.service()
        b.absorb(gram, "src")
    assert b.stats.memos_delivered == 200
    assert len(b._acker.done) <= 20
    b.service()
    assert len(b._acker._heap) <= 4 * (len(b._acker.pending) + len(b._acker.done)) + 1024


def test_memoer_rejects_bad_acked_delivery_parameters() -> None:
    from memosim import MemoerError

    for kwa in ({"window": 0}, {"maxTries": 0}, {"maxTyme": 0}, {"ackDelay": -1},
                {"minRto": 2.0, "maxRto": 1.0}):
        with pytest.raises(MemoerError):
            Memoer(**kwa)
    peer = Memoer(ackDelay=0.1, maxTries=3, maxTyme=9.0, window=5, minRto=0.5, maxRto=30.0)
    assert (peer.ackDelay, peer.maxTries, peer.maxTyme, peer.window) == (0.1, 3, 9.0, 5)
    assert (peer.minRto, peer.maxRto) == (0.5, 30.0)
    assert not peer.failures
    assert acking.WINDOW == Memoer().window
