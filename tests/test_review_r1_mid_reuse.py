"""Grams of one memo id from another source (review r1).

A receiver used to merge every gram of a memo id into one record, whoever
sent it, and ack the record's first source. An on-path attacker who sees a
memo's id (it cannot forge the sender's address) could then complete that
record with grams of its own: here the sender's zeroth gram is lost, its
later gram opens the record, the attacker sends a signed zeroth gram (its
own vid, a valid signature and tag) and a later gram for that id. The
receiver delivered the attacker's memo under the sender's address and sent
the sender a valid signed done ack, so the sender retired a memo that was
never delivered: the acked promise broken with every signature intact.

A memo now belongs to the source of its zeroth gram: a zeroth gram from
another source than the early grams held supersedes them, and the memo is
delivered from and acked to the zeroth gram's source. The sender then hears
no done ack for a memo it did not have delivered, and reports it failed.

Real UDP on loopback: sender a (wound, signed Sure) reaches receiver b
through a relay socket that plays the lossy path (b sees the relay's
address as a's), and the attacker is a socket of its own.
"""

from __future__ import annotations

import pytest
from helpers import ack_of, seed_of
from hostile import Hostile, parsed, pump, text_gram

from memosim import Memoer, Tymist, make_keyage, openPM
from memosim.core import b64, grams
from memosim.core.codes import MemoDex

pytestmark = pytest.mark.udp

A_VID, A_KEY = make_keyage(seed_of("r1-sender"))
B_VID, B_KEY = make_keyage(seed_of("r1-receiver"))
X_VID, X_KEY = make_keyage(seed_of("r1-attacker"))
MEMO = "the sender's memo " * 12  # two grams or more at size 200, signed or not
FORGERY = ("forged by a third party " * 12)[: len(MEMO)]  # as many grams: its done ack fits a's


def forged(mid: str, memo: str, curt: bool, signed: bool) -> list[bytes]:
    """The attacker's own Sure memo (signed by its own vid) under the sender's memo id."""
    raw = b64.decode(mid.encode())[2:]
    maker = Memoer(
        name="x",
        code=MemoDex.GramSureAuthZero if signed else MemoDex.GramSureZero,
        curt=curt,
        size=200,
        midder=lambda: raw,
        keep={X_VID: X_KEY},
        vid=X_VID if signed else None,
    )
    return maker.rend(memo, X_VID if signed else None)


@pytest.mark.parametrize("signed", [True, False])
@pytest.mark.parametrize("curt", [False, True])
def test_a_third_party_cannot_complete_a_memo_and_earn_its_sender_a_done_ack(
    curt: bool, signed: bool
) -> None:
    a_vid, x_vid = (A_VID, X_VID) if signed else (None, None)
    relay, attacker = Hostile(), Hostile()
    try:
        with (
            openPM(
                name="a",
                port=0,
                code=MemoDex.GramSureAuthZero if signed else MemoDex.GramSureZero,
                curt=curt,
                size=200,
                keep={A_VID: A_KEY},
                vid=a_vid,
                maxTyme=2.0,
            ) as a,
            openPM(name="b", port=0, keep={B_VID: B_KEY}, vid=B_VID) as b,
        ):
            tymist = Tymist(tock=0.01)
            a.wind(tymist.tymen())
            b.wind(tymist.tymen())
            a.memoit(MEMO, relay.ha, vid=a_vid, rvid=B_VID if signed else None)
            lost_zeroth = False
            attacked = False
            for _ in range(600):
                for data, src in relay.collect_from():
                    if src == a.ha:  # the path to b loses a's first zeroth gram
                        gram = grams.parse(data)
                        if gram.zeroth and not lost_zeroth:
                            lost_zeroth = True
                            continue
                        relay.send(data, b.ha)
                        if not gram.zeroth and not attacked:  # seen on the path
                            attacked = True
                            pump(b, rounds=1)  # a's later gram opens the record
                            for forgery in forged(gram.mid, FORGERY, curt, signed):
                                attacker.send(forgery, b.ha)
                    else:  # b's acks back to a
                        relay.send(data, a.ha)
                pump(a, b, rounds=1, pause=0.001)
                tymist.tick()
                if not a.unsettled():
                    break
            assert attacked and lost_zeroth
            assert a.unsettled() == []  # settled: delivered or reported
            got = [(memo, src, vid) for memo, src, vid in b.inbox]
            if not a.failures:  # a was told its memo was delivered: it must have been
                assert got == [(MEMO, relay.ha, a_vid)]
            assert [g for g in got if g[1] == relay.ha] in ([], [(MEMO, relay.ha, a_vid)])
            assert (FORGERY, attacker.ha, x_vid) in got  # the forger's memo, as the forger's
            assert b.engine.stats.dropped["superseded"] >= 1
    finally:
        relay.close()
        attacker.close()


def test_partial_acks_follow_the_memo_to_its_zeroth_grams_source() -> None:
    sender, other = Hostile(), Hostile()
    try:
        with openPM(name="b", port=0) as b:
            mid = "0A" + "C" * 22
            sender.send(text_gram(MemoDex.GramSure, 1, mid, b"early"), b.ha)
            pump(b, rounds=1)
            other.send(text_gram(MemoDex.GramSureZero, 3, mid, b"zeroth"), b.ha)
            pump(b, rounds=40, pause=0.005)  # past the ack delay
            assert b.engine.stats.dropped["superseded"] == 1  # the sender's early gram
            assert sender.collect() == []  # the memo is no longer the sender's
            acks = parsed(other.collect())
            assert acks and all(a.mid == mid for a in acks)
            assert ack_of(other.got[-1])[1].ranges == [(0, 1)]  # what the other sent
    finally:
        sender.close()
        other.close()
