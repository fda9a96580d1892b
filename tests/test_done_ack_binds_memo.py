"""A done ack names the memo delivered (Ack v3's tag), so a memo substituted
under a sender's id is never taken as the sender's.

The attack (review g): an on-path attacker that sees alice's memo id sends
its own memo under that id from alice's address before alice's grams
arrive. Bob delivers the attacker's memo (signed by the attacker's own vid,
so bob's application sees who sent it) and acks the id done. Before Ack v3
alice retired her memo on that genuine, bob-signed done ack: silent loss,
signed codes included. Now the ack carries the tag of what bob delivered,
alice drops it ("ack-memo") and her memo ends in failures.
"""

from __future__ import annotations

from helpers import EchoLink, LinkedMemoer, seed_of

from memosim import make_keyage
from memosim.core.codes import MemoDex
from memosim.tyming import Tymist

TOCK = 0.03125
MID = bytes(range(16))  # the id alice draws, which the attacker sees on the wire


def pair_and_mallory(
    code: str, signed: bool
) -> tuple[LinkedMemoer, LinkedMemoer, LinkedMemoer, Tymist]:
    link = EchoLink()
    tymist = Tymist(tock=TOCK)
    keys = {who: make_keyage(seed_of(who)) for who in ("alice", "bob", "mallory")}

    def peer(name: str, who: str, **kwa: object) -> LinkedMemoer:
        vid, key = keys[who]
        extra = {"keep": {vid: key}, "vid": vid} if signed else {}
        return LinkedMemoer(link=link, name=name, code=code, **extra, **kwa)  # type: ignore[arg-type]

    rvids = {"b": keys["bob"][0]} if signed else None
    a = peer("a", "alice", midder=lambda: MID, rvids=rvids, maxTyme=4.0)
    b = peer("b", "bob")
    m = peer("m", "mallory", midder=lambda: MID)
    for p in (a, b, m):
        p.reopen()
    a.wind(tymist.tymen())
    b.wind(tymist.tymen())
    return a, b, m, tymist


def settle(a: LinkedMemoer, b: LinkedMemoer, tymist: Tymist) -> None:
    """Service both until alice has settled her memo (retired or failed)."""
    while True:
        a.service()
        b.service()
        tymist.tick()
        if not a.engine.flights.flights or tymist.tyme > 10.0:
            return


def attack(code: str, signed: bool) -> tuple[LinkedMemoer, LinkedMemoer]:
    a, b, m, tymist = pair_and_mallory(code, signed)
    theirs = "mallory's memo " * 20
    for gram in m.rend(theirs):  # sent from alice's address, ahead of her grams
        a.link.carry(gram, "a", "b")
    a.memoit("alice's memo " * 20, "b")
    settle(a, b, tymist)
    assert [memo for memo, _, _ in b.inbox] == [theirs]  # bob got the attacker's memo
    return a, b


def test_a_signed_done_ack_for_a_substituted_memo_does_not_retire_the_senders() -> None:
    a, b = attack(MemoDex.GramSureAuthZero, signed=True)
    assert b.inbox[0][2] == make_keyage(seed_of("mallory"))[0]  # delivered as mallory's
    assert a.stats.dropped["ack-memo"] >= 1
    assert [(memo, reason) for memo, _dst, _vid, reason in a.failures] == [
        ("alice's memo " * 20, "tyme")
    ]  # reported, never retired as delivered


def test_an_unsigned_done_ack_for_a_substituted_memo_does_not_retire_it_either() -> None:
    a, _b = attack(MemoDex.GramSureZero, signed=False)
    assert a.stats.dropped["ack-memo"] >= 1
    assert [reason for *_, reason in a.failures] == ["tyme"]


def test_the_senders_own_memo_is_still_retired_by_its_done_ack() -> None:
    a, b, _m, tymist = pair_and_mallory(MemoDex.GramSureAuthZero, signed=True)
    a.memoit("alice's memo " * 20, "b")
    settle(a, b, tymist)
    assert [memo for memo, _, _ in b.inbox] == ["alice's memo " * 20]
    assert not a.failures and not a.stats.dropped["ack-memo"] and a.stats.acks_received >= 1
