"""Acked (Sure) delivery, v1: receiver pacing, sender retries, signed and hostile acks.

Peers talk over the seeded echo link of tests/helpers.py; tyme is a Tymist
ticked by hand, so every expectation below is exact. The wire format itself
is tests/test_surewire.py's.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from helpers import (
    EchoLink,
    LinkedMemoer,
    ack_checked,
    ack_fixed,
    ack_of,
    kind_of,
    linked_pair,
    seed_of,
    wound_pair,
)

from memosim import Limits, Memoer, MemoerError, Tymist, make_keyage
from memosim.core import acking, grams, surewire
from memosim.core.acking import Ack, make_ack
from memosim.core.codes import MemoDex
from memosim.core.keys import Signer
from memosim.core.surewire import NO_UPTO

SURE = MemoDex.GramSureZero
SURE_AUTH = MemoDex.GramSureAuthZero
ACK = MemoDex.Ack
ACK_AUTH = MemoDex.AckAuth
TOCK = 0.03125
MID = "0A" + "B" * 22
SIG_TEXT = 88  # qualified Ed25519 signature, text
SIG_CURT = 66


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
    return lambda: len(b.inbox) >= count and not len(a.engine.flights)


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
    return None if parsed.code in (ACK, ACK_AUTH) else parsed.num


# ---------------------------------------------------------------- delivery
def test_lost_gram_is_retransmitted_alone_and_delivered() -> None:
    link = EchoLink(drop=drop_once(lambda g, s, d: s == "a" and gram_num(g) == 1))
    a, b, tymist = wound_pair(link, code=SURE, size=40)
    b.size = 200  # room for two ranges in b's acks
    memo = "abcdefghijklmnopqrstu"  # with its 17-byte tag: 5 grams of 8 bytes at size 40
    count = len(a.rend(memo))
    assert count == 5
    a.memoit(memo, "b")
    run_until(tymist, a, b, until=settled(a, b))
    assert memos_of(b) == [memo]
    assert a.stats.grams_retransmitted == 1  # only the lost gram
    assert link.grams[("a", "b", "data")] == count + 1
    assert not a.failures and a.stats.memos_failed == 0
    assert b.stats.memos_delivered == 1
    # the selective ack of grams 0 and 2-4 gave an RTT sample, so the lost gram
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
    assert b.stats.acks_sent == 2  # the lost done ack, then the done re-ack of the duplicate
    assert a.stats.grams_retransmitted == 1
    assert a.stats.acks_received == 1
    est = a.engine.flights.dests["b"].est
    assert est.samples == 0 and est.rto == 1.0  # Karn: the resent gram gives no sample
    assert 1.0 <= tymist.tyme < 1.2  # resent after the initial RTO
    run(tymist, a, b, passes=200)  # nothing further happens
    assert b.stats.memos_delivered == 1 and b.stats.acks_sent == 2
    assert a.get_timer() is None


@pytest.mark.parametrize("stale", [False, True], ids=["in-order", "stale-ack-late"])
@pytest.mark.parametrize("code", [SURE, SURE_AUTH])
def test_receiver_that_lost_an_acked_partial_memo_gets_it_again(code: str, stale: bool) -> None:
    """Reneging: b acks every gram but the lost gram 2 (epoch 1), then expires
    the partial memo; the resent gram 2 opens a new record (epoch 2), and its
    ack makes a send again every gram b no longer lists.

    v0 detected this only by a neck-0 ack arriving after one with the count,
    and merged partial acks; an epoch-1 ack delayed past the new record's ack
    then acked every gram and retired a memo b never got. v1 detects a lost
    record by any change of epoch, and an epoch's ack replaces what the
    others said, so acks work in any order. With `stale`, b's epoch-1 ack
    is replayed to a right after the first epoch-2 ack, and the grams a
    sends in answer are lost: a believes b holds what epoch 1 listed, until
    its RTO resends gram 2 and b's next record (epoch 3: epoch 2 expired too)
    lists only that. Resends, never a lost or early-retired memo."""
    vid, keyage = make_keyage(seed_of("alice"))
    acks: list[bytes] = []
    state = {"replayed": False, "lost_at": None}

    def drop(gram: bytes, src: str, dst: str) -> bool:
        if src == "a":  # the first send of gram 2, and all a sends after the replay
            return (gram_num(gram) == 2 and not acks) or tymist.tyme == state["lost_at"]
        _, ack = ack_of(gram)
        acks.append(gram)
        if stale and not state["replayed"] and ack.epoch == 2:
            state["replayed"] = True
            state["lost_at"] = tymist.tyme + TOCK  # when a takes the two acks
            a.echos.append((gram, "b"))
            a.echos.append((acks[0], "b"))  # epoch 1, delayed past epoch 2
            return True
        return False

    link = EchoLink(drop=drop)
    a, b, tymist = wound_pair(
        link,
        code=code,
        size=200,
        keep={vid: keyage},
        vid=vid,
        limits=Limits(expiry=0.1),
        retry={"congestion": "none"},  # every gram at once, as the acks below list them
    )
    # v1 acks carry 25 more bytes: at size 200 an AckAuth holds one range,
    # so b acks with full-size grams to list every gram it holds at once
    b.size = 1240
    memo = "r" * 400  # 6 grams signed, 3 unsigned at size 200
    count = len(a.rend(memo))
    assert count == (6 if code == SURE_AUTH else 3)
    a.memoit(memo, "b", rvid=b.vid)  # same keys on both peers: b signs as vid
    run_until(tymist, a, b, until=settled(a, b))
    assert memos_of(b) == [memo]
    assert b.stats.memos_delivered == 1
    listed = [(0, 2), (3, count)] if count > 3 else [(0, 2)]
    assert ack_of(acks[0]) == (count, Ack(False, 1, count, listed))  # all but 2, epoch 1
    # the new record's ack: neck 0 (no zeroth gram yet), gram 2 listed when
    # unsigned (a signed memo's early grams are unverified, never listed)
    early = [] if code == SURE_AUTH else [(2, 3)]
    assert ack_of(acks[1]) == (0, Ack(False, 2, NO_UPTO, early))
    assert ack_of(acks[-1]) == (count, Ack(True, 0, count, []))
    assert not a.failures and a.stats.memos_failed == 0
    if not stale:
        assert [ack_of(g)[1].epoch for g in acks] == [1, 2, 0]
        assert b.stats.memos_expired == 1
        assert a.engine.flights.reneged == count - 1  # every gram but the lost one, once acked
        assert a.stats.grams_retransmitted == count  # the lost gram, then the reneged ones
        return
    assert [ack_of(g)[1].epoch for g in acks] == [1, 2, 3, 0]
    assert ack_of(acks[2]) == (0, Ack(False, 3, NO_UPTO, early))
    assert b.stats.memos_expired == 2
    if code == SURE:
        # epoch 2 un-acks 0, 1; stale epoch 1 un-acks 2 and re-acks 0, 1;
        # epoch 3 un-acks 0, 1 again
        assert a.engine.flights.reneged == 2 + 1 + 2
        # gram 2; 0, 1, 2 (lost); gram 2 at its RTO; 0, 1
        assert a.stats.grams_retransmitted == 1 + 3 + 1 + 2
    else:
        # epoch 2 un-acks all but 2; stale epoch 1 finds nothing acked to
        # take back and re-acks them; epoch 3 un-acks them again
        assert a.engine.flights.reneged == 5 + 0 + 5
        assert a.stats.grams_retransmitted == 1 + 5 + 1 + 5


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
    # a signed Sure memo names its receiver's vid: here given to the Memoer
    a, b, tymist = wound_pair(
        link, code=code, size=200, keep={vid: keyage}, vid=vid, rvids={"b": vid}
    )
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
    assert len(a.engine.flights) == 0 and a.get_timer() is None
    assert not a.unsettled()


def test_give_up_after_max_tyme_lands_in_failures() -> None:
    link = EchoLink(loss={("a", "b"): 1.0})
    a, b, tymist = wound_pair(link, code=SURE, maxTyme=2.5)
    a.memoit(b"bytes too", "b")
    run_until(tymist, a, b, until=lambda: bool(a.failures))
    assert list(a.failures) == [(b"bytes too", "b", None, "tyme")]
    assert tymist.tyme == pytest.approx(2.5, abs=TOCK * 2)
    assert a.stats.memos_failed == 1 and len(a.engine.flights) == 0


def test_unwound_sender_sends_once_and_tracks_nothing() -> None:
    link = EchoLink(loss={("a", "b"): 1.0})
    a, b = linked_pair(link, code=SURE, size=40)
    tymist = Tymist()  # not wound: nobody reads it
    memo = "abcdefghijklmnopqrstu"
    count = len(a.rend(memo))
    a.memoit(memo, "b")
    for _ in range(500):
        a.service()
        b.service()
        tymist.tick()
    assert link.grams[("a", "b", "data")] == count == 5
    assert a.stats.grams_retransmitted == 0 and a.stats.grams_sent == count
    assert len(a.engine.flights) == 0 and not a.failures
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
    assert a.engine.flights.dests["b"].inflight == 4
    assert len(a.unsettled()) == 10
    link.loss = 0.0
    run_until(tymist, a, b, until=settled(a, b, 10))
    assert memos_of(b) == [f"memo {n}" for n in range(10)]
    assert link.grams[("a", "b", "data")] == 14  # 4 lost, resent, then 6 more
    assert a.unsettled() == []


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


# ---------------------------------------------------------------- done acks only retire
def test_partial_ack_of_every_gram_does_not_retire_a_memo() -> None:
    """v1: only a done ack retires a memo. A partial ack listing every gram
    (here one from a record b no longer has: b never got the memo) stops
    retransmissions; after an RTO the sender probes with gram 0, and the
    answer, not the partial ack, decides: here b's ack of its new record
    (epoch 1, gram 0 only) makes a resend the rest, then b's done ack
    retires the memo."""
    held: list[bytes] = []
    link = EchoLink(drop=lambda g, s, d: s == "a" and not held.append(g))  # a's grams lost
    a, b, tymist = wound_pair(link, code=SURE, size=40)
    memo = "abcdefg"  # 3 grams at size 40
    a.memoit(memo, "b")
    run(tymist, a)
    count = len(held)
    assert count == 3
    mid = grams.parse(held[0]).mid
    tymist.tyme = 0.25
    a.absorb(
        make_ack(
            mid, count, done=False, epoch=9, upto=count, ranges=[(0, count)], curt=False, size=1240
        ),
        "b",
    )
    assert a.stats.acks_received == 1 and not a.stats.dropped
    flight = a.engine.flights.flights[mid]
    assert flight.acked_count == count and not flight.outstanding
    assert len(a.engine.flights) == 1 and not a.failures
    assert [m for m, _, _ in a.unsettled()] == [memo]
    # RTT sample 0.25: SRTT 0.25, RTTVAR 0.125, RTO 0.25 + 4 * 0.125 = 0.75
    assert a.engine.flights.dests["b"].est.rto == 0.75
    assert a.get_timer() == 1.0  # the probe, one RTO after every gram was acked
    link.drop = None
    while tymist.tyme < 1.0:  # nothing is sent before the probe is due
        run(tymist, a, b)
    assert link.grams[("a", "b", "data")] == count and a.stats.grams_retransmitted == 0
    assert len(a.engine.flights) == 1 and not a.failures
    a.service()  # tyme 1.0: the probe
    assert link.grams[("a", "b", "data")] == count + 1
    assert a.stats.grams_retransmitted == 1 and flight.probes == 1
    run_until(tymist, a, b, until=settled(a, b))
    assert memos_of(b) == [memo] and b.stats.memos_delivered == 1
    assert a.engine.flights.reneged == count - 1  # epoch 9 -> 1: grams 1, 2 sent again
    assert a.stats.grams_retransmitted == count
    assert not a.failures and a.unsettled() == []


def test_probe_of_a_delivered_memo_is_answered_done() -> None:
    """b delivered the memo but its done ack was lost, and a took a partial
    ack listing every gram (a stale or replayed one): a still does not
    retire the memo. One RTO later it probes with gram 0, b answers the
    duplicate with a done re-ack, and that retires the memo."""
    link = EchoLink(drop=drop_once(lambda g, s, d: s == "b"))  # b's done ack is lost
    a, b, tymist = wound_pair(link, code=SURE, size=40)
    memo = "abcdefg"  # 3 grams at size 40
    a.memoit(memo, "b")
    run(tymist, a, b)
    assert memos_of(b) == [memo] and b.stats.acks_sent == 1
    mid = next(iter(a.engine.flights.flights))
    tymist.tyme = 0.25
    a.absorb(
        make_ack(mid, 3, done=False, epoch=1, upto=3, ranges=[(0, 3)], curt=False, size=1240), "b"
    )
    assert len(a.engine.flights) == 1 and a.get_timer() == 1.0  # RTO 0.75 after the sample
    run_until(tymist, a, b, until=settled(a, b))
    assert a.stats.grams_retransmitted == 1  # the probe, and nothing else
    assert link.grams[("a", "b", "data")] == 3 + 1
    assert 1.0 <= tymist.tyme < 1.1
    assert b.stats.dropped["duplicate"] == 1 and b.stats.acks_sent == 2
    assert memos_of(b) == [memo] and b.stats.memos_delivered == 1
    assert not a.failures and a.unsettled() == []


@pytest.mark.parametrize("acked_first", [False, True], ids=["reset-only", "partial-then-reset"])
def test_memo_failing_its_tag_is_reset_resent_whole_and_delivered_once(acked_first: bool) -> None:
    """A bit of gram 1's body is flipped in transit. The grams are well formed,
    so b completes the memo, but its tag fails: b drops it as "sure-tag",
    delivers nothing, forgets the grams and sends a reset ack (epoch 0,
    nothing listed). a sends every gram again and b delivers the memo once,
    intact. With `acked_first`, the last gram's first send is lost, so b
    first acks grams 0-3 (epoch 1, the damaged gram among them); the reset
    then takes those acks back."""
    seen: list[bytes] = []
    state = {"lost": False}

    def flip(gram: bytes, src: str, dst: str) -> bool:
        if src == "b":
            seen.append(gram)
            return False
        if acked_first and gram_num(gram) == 4 and not state["lost"]:
            state["lost"] = True
            return True
        if gram_num(gram) == 1 and not seen:
            damaged = bytearray(gram)
            damaged[-1] ^= 0x01  # last body byte of an unsigned gram
            link.peers["b"].echos.append((bytes(damaged), src))
            return True
        return False

    link = EchoLink(drop=flip)
    # the fixed window: every gram goes at once, as the acks below list them
    a, b, tymist = wound_pair(link, code=SURE, size=40, retry={"congestion": "none"})
    b.size = 200  # room for ranges in b's acks
    memo = "abcdefghijklmnopqrstu"
    count = len(a.rend(memo))
    assert count == 5
    a.memoit(memo, "b")
    run_until(tymist, a, b, until=settled(a, b))
    assert memos_of(b) == [memo]  # once, intact
    assert b.stats.dropped["sure-tag"] == 1 and b.stats.memos_delivered == 1
    reset = (0, Ack(False, 0, NO_UPTO, []))  # holds nothing of it
    done = (count, Ack(True, 0, count, []))
    assert not a.failures and a.unsettled() == []
    if not acked_first:
        assert [ack_of(g) for g in seen] == [reset, done]
        # nothing was acked, so the reset takes nothing back: every gram is
        # resent at its timeout (the initial RTO of 1 s; no RTT sample yet)
        assert a.stats.grams_retransmitted == count and a.engine.flights.reneged == 0
        assert link.grams[("a", "b", "data")] == 2 * count
        assert tymist.tyme == 1.0 + 2 * TOCK  # resent at 1.0, the done ack taken a pass later
        return
    assert [ack_of(g) for g in seen] == [
        (count, Ack(False, 1, count, [(0, 4)])),  # the damaged gram 1 among them
        reset,  # after gram 4's resend completed the memo
        (count, Ack(False, 2, count, [(0, 4)])),  # a new record
        done,
    ]
    assert a.engine.flights.reneged == 4  # the reset took back grams 0-3, resent at once
    # gram 4 (lost); 0-3 after the reset; gram 4 again at its own timeout
    assert a.stats.grams_retransmitted == 1 + 4 + 1
    assert link.grams[("a", "b", "data")] == count + 6


# ---------------------------------------------------------------- receiver pacing
def test_acks_are_paced_per_memo_and_flushed_on_completion() -> None:
    held: list[bytes] = []
    link = EchoLink(drop=lambda g, s, d: not held.append(g))  # capture everything
    a, b, tymist = wound_pair(link, code=SURE, size=40, ackDelay=0.0625)
    b.size = 100
    a.memoit("abcdefg", "a")  # with its tag, three grams; b plays the receiver
    run(tymist, a)
    g0, g1, g2 = held
    held.clear()
    # tymes are multiples of 1/64 so sums are exact
    part = (3, Ack(False, 1, 3, [(0, 2)]))  # b's first record: epoch 1
    done = (3, Ack(True, 0, 3, []))

    def at(tyme: float, *grams_: bytes) -> list[tuple[int, Ack]]:
        tymist.tyme = tyme
        for gram in grams_:
            b.echos.append((gram, "a"))
        b.service()
        return [ack_of(g) for g in held if kind_of(g) == "ack"]

    assert at(1.0, g0, g1) == []  # first ack waits the ack delay
    assert at(1.046875) == []
    assert at(1.0625) == [part]
    assert at(1.078125, g0, g1) == [part]  # duplicates: paced, not yet
    assert at(1.109375) == [part]
    assert at(1.125) == [part, part]
    assert at(1.140625, g2) == [part, part, done]  # delivered: done at once
    assert memos_of(b) == ["abcdefg"]
    assert at(1.15625, g0) == [part, part, done]  # re-ack paced after 1.140625
    assert at(1.1875) == [part, part, done]
    assert at(1.203125) == [part, part, done, done]
    assert b.stats.acks_sent == 4 and b.stats.memos_delivered == 1


def test_complete_memo_is_acked_only_once_delivered() -> None:
    link = EchoLink(loss=1.0)
    a, b, tymist = wound_pair(link, code=SURE)
    a.memoit("whole", "b")
    run(tymist, a)
    gram = a.engine.flights.flights[next(iter(a.engine.flights.flights))].grams[0]
    b.absorb(gram, "a")
    b.serviceTymers()  # complete but not yet fused into rxms: no ack
    assert not b.txgs and b.stats.acks_sent == 0
    # v0 scheduled the full ack on completion, so get_timer said "now"; in v1
    # only the delivery path sends a done ack, and a complete memo waiting to
    # be fused is reported by busy() (a scheduler services a busy peer at once)
    assert b.busy()
    b.serviceRxGrams()
    b.serviceTymers()
    assert [ack_of(g) for g, _ in b.txgs] == [(1, Ack(True, 0, 1, []))]
    assert b.rxms[0][0] == "whole"


def test_early_grams_acked_with_neck_zero_and_listed_only_when_unsigned() -> None:
    vid, keyage = make_keyage(seed_of("alice"))
    # neck 0 (count unknown), upto "all", epoch of b's first record
    for code, expect in (
        (SURE, [(0, Ack(False, 1, NO_UPTO, [(1, 3)]))]),
        (SURE_AUTH, [(0, Ack(False, 1, NO_UPTO, []))]),
    ):
        held: list[bytes] = []
        link = EchoLink(drop=lambda g, s, d, held=held: not held.append(g))
        a, b, tymist = wound_pair(link, code=code, size=200, keep={vid: keyage}, vid=vid)
        a.memoit("y" * 400, "a", rvid=vid)  # 3 grams unsigned, 6 signed
        run(tymist, a)
        first = len(held)
        for gram in held[1:]:
            b.absorb(gram, "a")
        tymist.tyme = 1.0
        b.service()
        assert [ack_of(g) for g in held[first:]] == expect


def test_curt_memos_get_curt_acks() -> None:
    link = EchoLink()
    a, b, tymist = wound_pair(link, code=SURE, curt=True)
    a.memoit("binary", "b")
    acks: list[bytes] = []
    link.drop = lambda g, s, d: s == "b" and acks.append(g) is not None
    run_until(tymist, a, b, until=settled(a, b))
    assert acks and all(grams.parse(g).curt for g in acks)


@pytest.mark.parametrize("size, ranges", [(95, 6), (83, 4), (60, 1), (40, 1)])
def test_ack_body_capped_by_receiver_gram_size(size: int, ranges: int) -> None:
    link = EchoLink(drop=lambda g, s, d: s == "a" and (gram_num(g) or 0) % 2 == 1)
    # the fixed window: every gram goes at once, as the acks below list them
    a, b, tymist = wound_pair(link, code=SURE, size=40, retry={"congestion": "none"})
    b.size = size
    memo = "z" * 8 * 20
    count = len(a.rend(memo))
    assert count == 23  # with its tag; every odd gram lost: 12 held ranges
    a.memoit(memo, "b")
    run(tymist, a)
    b.serviceReceives()
    tymist.tyme = 1.0
    b.serviceTymers()
    acks = [g for g, _ in b.txgs]
    assert len(acks) == 1
    # the lowest ranges that fit: (size - 32 - 27) // 6, at least one; upto
    # stops where the first range left out starts
    held = [(n, n + 1) for n in range(0, 2 * ranges, 2)]
    assert ack_of(acks[0]) == (count, Ack(False, 1, 2 * ranges, held))
    assert len(acks[0]) <= max(size, 32 + 27 + 6)


# ---------------------------------------------------------------- signed acks
def signed_pair(*, named: bool = True, **kwa):
    """a sends signed Sure memos to b; with `named`, a knows b's vid (rvids)."""
    avid, akey = make_keyage(seed_of("alice"))
    bvid, bkey = make_keyage(seed_of("bob"))
    if named:
        kwa.setdefault("rvids", {"b": bvid})
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
    assert [p.code for p in parsed] == [ACK_AUTH]
    assert parsed[0].vid == b.vid
    assert ack_of(acks[0])[1].done
    assert a.stats.acks_received == 1 and not a.stats.dropped


def test_signed_sure_memo_needs_the_receivers_vid() -> None:
    """v1: a signed Sure memo is confirmed only by its receiver's AckAuth, so
    memoit refuses it unless that vid is named (rvid= or rvids=)."""
    a, b, tymist, acks, _ = signed_pair(named=False)
    with pytest.raises(MemoerError):
        a.memoit("signed", "b")
    assert not a.txms and a.rvids == {}
    a.memoit("signed", "b", rvid=b.vid)
    assert a.rvids == {"b": b.vid}  # remembered for b
    a.memoit("again", "b")
    with pytest.raises(MemoerError):
        a.memoit("elsewhere", "c")
    run_until(tymist, a, b, until=settled(a, b, 2))
    assert memos_of(b) == ["signed", "again"]
    assert a.stats.acks_received == 2 and not a.stats.dropped
    # unsigned Sure memos need no vid: their acks are plain
    link = EchoLink()
    c, _ = linked_pair(link, code=SURE)
    c.memoit("plain", "b")
    assert len(c.txms) == 1


def test_receiver_without_vid_acks_signed_memo_plainly() -> None:
    """b has no vid, so it acks the signed memo with plain Acks. v0 took those;
    v1 drops them ("ack-vid"): a signed memo is confirmed only by an AckAuth
    of the vid named for its receiver, else anyone who saw its mid could
    confirm it. So a never retires the memo b did deliver, and reports it
    failed (a false failure, the price of not trusting unsigned acks)."""
    a, b, tymist, acks, _ = signed_pair(maxTries=3)
    b.vid = None
    a.memoit("signed", "b")
    run_until(tymist, a, b, until=lambda: bool(a.failures))
    assert memos_of(b) == ["signed"] and b.stats.memos_delivered == 1
    assert b.stats.dropped["duplicate"] == 2  # the two resends
    assert [grams.parse(g).code for g in acks] == [ACK] * 3
    assert all(ack_of(g)[1].done for g in acks)
    assert a.stats.dropped == {"ack-vid": 3} and a.stats.acks_received == 0
    assert list(a.failures) == [("signed", "b", None, "tries")]
    assert len(a.engine.flights) == 0 and a.unsettled() == []


def test_tampered_forged_and_misdirected_acks_are_dropped() -> None:
    a, b, tymist, acks, bkeep = signed_pair(size=200)
    bvid = b.vid
    link = a.link
    link.drop = lambda g, s, d: True  # a's grams go nowhere: we play b by hand
    a.memoit("q" * 300, "b")  # five grams
    run(tymist, a)
    mid = next(iter(a.engine.flights.flights))
    signer = Signer()
    flight = a.engine.flights.flights[mid]
    count = flight.count
    assert count == 5

    def ack(
        ranges=(),
        *,
        done=False,
        epoch=1,
        neck=count,
        vid=bvid,
        keep=bkeep,
        sign_vid=bvid,
        curt=False,
        tag=None,
    ) -> bytes:
        return make_ack(
            mid,
            neck,
            done=done,
            epoch=epoch,
            upto=count,
            ranges=list(ranges),
            curt=curt,
            size=1240,
            vid=vid,
            sign=lambda ser: signer.sign(keep, sign_vid, ser),
            tag=(flight.tag() if tag is None else tag) if done else b"",
        )

    good = ack([(0, 1)])
    tail = SIG_TEXT + 16 + 1  # last byte of the one range's end
    tampered = bytearray(good)
    tampered[-tail] = 5  # body (0, 1) -> (0, 5): would ack every gram
    # an on-path tamperer can recompute the check (it is not a MAC): the
    # AckAuth signature still fails
    parsed = grams.parse(good)
    payload = bytearray(parsed.body[:-16])
    payload[-1] = 5
    body = ack_checked(ACK_AUTH, count, mid, bvid, bytes(payload))
    rechecked = good[: -SIG_TEXT - len(body)] + body + good[-SIG_TEXT:]
    assert ack_of(rechecked) == (count, Ack(False, 1, count, [(0, 5)]))
    mvid, mkey = make_keyage(seed_of("mallory"))
    forged = ack(done=True, keep={mvid: mkey}, sign_vid=mvid)  # claims bob's vid
    other = ack(done=True, vid=mvid, keep={mvid: mkey}, sign_vid=mvid)  # signs as herself
    unknown_d, dkey = make_keyage(seed_of("dave"), code="D")
    unknown = ack([(0, 5)], vid=unknown_d, keep={unknown_d: dkey}, sign_vid=unknown_d)
    plain = make_ack(
        mid,
        count,
        done=True,
        epoch=0,
        upto=count,
        ranges=[],
        curt=False,
        size=1240,
        tag=flight.tag(),
    )  # a plain Ack for a signed memo, however well formed
    # bob's own signed done ack, for another memo delivered under this id
    # (one an on-path attacker sent from alice's address first): not this one
    substituted = ack(done=True, tag=bytes(16))
    cases = (
        (bytes(tampered), "b", "ack-check"),
        (rechecked, "b", "signature"),
        (forged, "b", "signature"),
        (other, "b", "ack-vid"),
        (unknown, "b", "ack-vid"),
        (plain, "b", "ack-vid"),
        (good, "mallory", "ack-src"),
        (substituted, "b", "ack-memo"),
    )
    for gram, src, _ in cases:
        a.absorb(gram, src)
    assert a.stats.dropped == Counter(reason for _, _, reason in cases)
    assert flight.acked_count == 0 and a.stats.acks_received == 0
    # a bit flipped anywhere in the body of a signed done ack: "ack-check"
    a.stats.dropped.clear()
    done = ack(done=True)
    start = len(done) - SIG_TEXT - (9 + 16)
    for bit in range(start * 8, (len(done) - SIG_TEXT) * 8):
        damaged = bytearray(done)
        damaged[bit // 8] ^= 1 << (bit % 8)
        a.absorb(bytes(damaged), "b")
    assert a.stats.dropped == {"ack-check": (9 + 16) * 8}
    # ... and anywhere in the gram (code, neck, mid, vid, body, signature):
    # dropped for some reason, never taken as an ack
    for bit in range(len(done) * 8):
        damaged = bytearray(done)
        damaged[bit // 8] ^= 1 << (bit % 8)
        a.absorb(bytes(damaged), "b")
    assert a.stats.acks_received == 0 and flight.acked_count == 0
    assert a.engine.flights.flights.get(mid) is flight and not flight.dead
    assert not a.inbox and not a.failures
    a.absorb(good, "b")
    assert flight.acked_count == 1 and a.stats.acks_received == 1
    a.absorb(done, "b")
    assert a.stats.acks_received == 2 and not a.engine.flights.flights and not a.failures


def test_authic_sender_drops_plain_acks() -> None:
    a, b, tymist, acks, _ = signed_pair(authic=True)
    b.vid = None  # b can only ack plainly
    a.memoit("signed", "b", None)
    run(tymist, a, b, passes=4)
    assert memos_of(b) == ["signed"]
    assert a.stats.dropped["unsigned"] >= 1 and len(a.engine.flights) == 1


# ---------------------------------------------------------------- hostile input
def test_malformed_acks_are_counted_never_raised() -> None:
    link = EchoLink(loss=1.0)
    a, b, tymist = wound_pair(link, code=SURE, size=40)
    a.memoit("abcdefg", "b")  # 3 grams
    run(tymist, a)
    mid = next(iter(a.engine.flights.flights))

    def ack(neck: int, ranges, *, done=False, epoch=1, mid=mid) -> bytes:
        tag = bytes(16) if done else b""
        return make_ack(
            mid, neck, done=done, epoch=epoch, upto=3, ranges=ranges, curt=False, size=99, tag=tag
        )

    good = ack(3, [(0, 1)])
    flipped = bytearray(good)
    flipped[-20] ^= 0x10
    head = b"bAAI" + grams.neck_bytes(3, False) + mid.encode()
    cases = {
        "ack-body": good + b"\x00",
        "ack-check": bytes(flipped),
        "ack-version": head + ack_checked(ACK, 3, mid, None, ack_fixed(version=2, epoch=1, upto=3)),
        "ack-count": ack(4, [(0, 1)]),
        "ack-range": ack(0, [(0, 4)]),
        "ack-unknown": ack(3, [(0, 1)], mid="0A" + "C" * 22),
    }
    for gram in cases.values():
        a.absorb(gram, "b")
    # a done ack must name the memo's count: one with neck 0 retires nothing
    a.absorb(ack(0, [], done=True, epoch=0), "b")
    assert a.stats.dropped == {**{reason: 1 for reason in cases}, "ack-count": 2}
    assert a.engine.flights.flights[mid].acked_count == 0 and a.stats.acks_received == 0
    rng = random.Random(7)
    for _ in range(3000):
        body = rng.randbytes(rng.choice((0, 5, 6, 12, 18, 25, 31, 37, 43)))
        neck = grams.neck_bytes(rng.randrange(5), False)
        a.absorb(b"bAAI" + neck + mid.encode() + body, "b")
        run(tymist, a)
    assert a.stats.acks_received == 0  # random bodies fail their check
    assert sum(a.stats.dropped.values()) == 3000 + len(cases) + 1
    # nothing retired it: the link lost every gram, so it failed at maxTyme
    assert list(a.failures) == [("abcdefg", "b", None, "tyme")] and len(a.engine.flights) == 0


def test_receiver_tables_stay_bounded_under_floods() -> None:
    limits = Limits(max_memos=50, max_memos_per_source=10, done_window=20)
    b = Memoer(echoic=True, limits=limits, clock=lambda: 0.0)
    b.reopen()
    rng = random.Random(3)
    for n in range(2000):  # early grams of never-finished memos from many sources
        mid = grams.b64.mid_from_raw(rng.randbytes(16))
        gram = grams.split(b"x" * 50, code=SURE, curt=False, size=40, mid=mid)[1]
        b.absorb(gram, ("10.0.0.1", n % 37))
    assert len(b.engine.acker.pending) <= 50
    assert all(len(m) <= 10 for m in b.engine.acker._by_source.values())
    for _ in range(200):  # completed memos, each duplicated
        mid = grams.b64.mid_from_raw(rng.randbytes(16))
        payload = surewire.wrap(mid, b"done")  # a Sure memo carries its tag
        gram = grams.split(payload, code=SURE, curt=False, size=100, mid=mid)[0]
        b.absorb(gram, "src")
        b.service()
        b.absorb(gram, "src")
    assert b.stats.memos_delivered == 200
    assert len(b.engine.acker.done) <= 20
    b.service()
    assert (
        len(b.engine.acker._heap)
        <= 4 * (len(b.engine.acker.pending) + len(b.engine.acker.done)) + 1024
    )


def test_memoer_rejects_bad_acked_delivery_parameters() -> None:
    for kwa in (
        {"window": 0},
        {"maxTries": 0},
        {"maxTyme": 0},
        {"ackDelay": -1},
        {"minRto": 2.0, "maxRto": 1.0},
    ):
        with pytest.raises(MemoerError):
            Memoer(**kwa)
    peer = Memoer(ackDelay=0.1, maxTries=3, maxTyme=9.0, window=5, minRto=0.5, maxRto=30.0)
    assert (peer.ackDelay, peer.maxTries, peer.maxTyme, peer.window) == (0.1, 3, 9.0, 5)
    assert (peer.minRto, peer.maxRto) == (0.5, 30.0)
    assert not peer.failures
    assert acking.WINDOW == Memoer().window
