"""One flipped bit at every position of valid grams and acks (review r1).

Real UDP sockets on 127.0.0.1: a hostile socket sends a memosim PeerMemoer
every single-bit variant of each gram of a Sure memo (unsigned and signed,
text and binary headers), then of a done and a partial ack (an Ack, or an
AckAuth signed by the receiver's vid) of a memo the peer has in flight. Checked: nothing raises out of service(), the tables a
remote fills stay within their limits, no damaged gram delivers anything
(a receiver of unsigned Sure memos runs sureOnly, of signed ones authic:
plain codes carry no integrity check, docs/acked-delivery.md), the intact
memo is delivered exactly once when its grams come again, and no damaged
ack retires the memo in flight or reaches the sender's inbox.
"""

from __future__ import annotations

import pytest
from helpers import counter_midder, seed_of
from hostile import Hostile, parsed, pump, table_sizes

from memosim import Limits, Memoer, Tymist, make_keyage, openPM
from memosim.core import surewire
from memosim.core.codes import MemoDex
from memosim.core.keys import Signer, sign_detached

pytestmark = pytest.mark.udp

VID, KEYAGE = make_keyage(seed_of("review-r1-sender"))
R_VID, R_KEYAGE = make_keyage(seed_of("review-r1-receiver"))
LIMITS = Limits(max_memos=256, max_memos_per_source=64, done_window=256)
MEMO = "flip me " * 40  # 320 bytes: two grams of 200 bytes or more


def flips(gram: bytes) -> list[bytes]:
    """Every variant of gram with exactly one bit flipped."""
    out = []
    for at in range(len(gram)):
        for bit in range(8):
            damaged = bytearray(gram)
            damaged[at] ^= 1 << bit
            out.append(bytes(damaged))
    return out


def sent_in_chunks(hostile: Hostile, peer, datagrams: list[bytes], chunk: int = 64) -> None:
    for start in range(0, len(datagrams), chunk):
        for data in datagrams[start : start + chunk]:
            hostile.send(data, peer.ha)
        pump(peer, rounds=2, pause=0.001)


@pytest.mark.parametrize("curt", [False, True])
@pytest.mark.parametrize("code", [MemoDex.GramSureZero, MemoDex.GramSureAuthZero])
def test_no_single_bit_flip_of_a_sure_gram_delivers_or_raises(code: str, curt: bool) -> None:
    signed = code == MemoDex.GramSureAuthZero
    maker = Memoer(
        name="maker",
        code=code,
        curt=curt,
        size=200,
        midder=counter_midder(77),
        keep={VID: KEYAGE},
        vid=VID if signed else None,
    )
    intact = maker.rend(MEMO, VID if signed else None)
    assert len(intact) >= 2
    tyme = [0.0]
    hostile = Hostile()
    try:
        with openPM(
            name="b",
            port=0,
            clock=lambda: tyme[0],
            limits=LIMITS,
            authic=signed,
            sureOnly=not signed,
            keep={VID: KEYAGE},
        ) as b:
            for gram in intact:  # each gram's variants, then the next gram's
                sent_in_chunks(hostile, b, flips(gram))
                sizes = table_sizes(b)
                assert sizes["partials"] <= LIMITS.max_memos
                assert sizes["acker_pending"] <= LIMITS.max_memos
                assert sizes["acker_done"] <= LIMITS.done_window
            assert list(b.inbox) == []  # no damaged variant delivered anything
            tyme[0] = 1000.0  # every record the damage opened expires
            sent_in_chunks(hostile, b, intact)
            sent_in_chunks(hostile, b, intact)  # a retry: never a second delivery
            assert [memo for memo, _, _ in b.inbox] == [MEMO]
            assert list(b.inbox)[0][2] == (VID if signed else None)
            assert b.engine.stats.dropped["duplicate"] >= len(intact)
            assert table_sizes(b)["sure"] == 1
    finally:
        hostile.close()


@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("curt", [False, True])
def test_no_single_bit_flip_of_an_ack_retires_a_memo_or_reaches_the_inbox(
    curt: bool, signed: bool
) -> None:
    hostile = Hostile()
    secret = Signer().secret({R_VID: R_KEYAGE}, R_VID)
    signing = {"vid": R_VID, "sign": lambda ser: sign_detached(ser, secret)} if signed else {}
    code = MemoDex.GramSureAuthZero if signed else MemoDex.GramSureZero
    try:
        with openPM(
            name="a", port=0, code=code, curt=curt, keep={VID: KEYAGE}, vid=VID if signed else None
        ) as a:
            tymist = Tymist(tock=0.01)
            a.wind(tymist.tymen())
            a.memoit("in flight", hostile.ha, rvid=R_VID if signed else None)
            pump(a, rounds=1)
            (zeroth,) = parsed(hostile.collect())

            def ack(done: bool) -> bytes:
                return surewire.make_ack(
                    zeroth.mid,
                    zeroth.count if done else 0,
                    done=done,
                    epoch=0 if done else 5,
                    upto=zeroth.count if done else surewire.NO_UPTO,
                    ranges=[] if done else [(0, 1)],
                    curt=curt,
                    size=1240,
                    **signing,
                    tag=zeroth.body[1 : surewire.SURE_PREFIX] if done else b"",  # the memo's own
                )

            damaged = flips(ack(True)) + flips(ack(False))
            sent_in_chunks(hostile, a, damaged)
            assert len(a.unsettled()) == 1  # no damaged done ack retired it
            assert list(a.inbox) == [] and list(a.failures) == []
            dropped = a.engine.stats.dropped
            assert dropped["ack-check"] + dropped["signature"] > len(damaged) // 2
            hostile.send(ack(True), a.ha)  # the intact done ack does
            pump(a)
            assert a.unsettled() == [] and list(a.failures) == []
            assert list(a.inbox) == []
    finally:
        hostile.close()
