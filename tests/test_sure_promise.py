"""The promise of acked (Sure) delivery, under loss, damage and forgery.

Every Sure memo is delivered exactly once and intact, or lands in the
sender's `failures`; it is never silently retired. Damaged or forged input is
dropped and counted, never delivered. One test per failure of issue 11, each
on the public Memoer API: echo-mock peers on a seeded EchoLink (which may
also rewrite datagrams in transit), wound onto a Tymist ticked by hand.
The last tests check that a PeerMemoer's UDP port is its own.
"""

from __future__ import annotations

import inspect
import socket
from collections import Counter

import pytest
from helpers import EchoLink, LinkedMemoer, kind_of, linked_pair, seed_of, seeded_midder, wound_pair

from memosim import Limits, Memoer, Tymist, make_keyage, openPM
from memosim.core import grams
from memosim.core.codes import MemoDex

SURE = MemoDex.GramSureZero
SURE_AUTH = MemoDex.GramSureAuthZero
TOCK = 0.03125
HORIZON = 70.0  # past the sender's default maxTyme (60): every memo is settled by then
DAMAGED_ACK = ("ack-check", "ack-version", "ack-body")


class TamperLink(EchoLink):
    """An EchoLink that passes each datagram through `tamper(gram, src, dst)` first."""

    def __init__(self, *, tamper=None, **kwa) -> None:
        super().__init__(**kwa)
        self.tamper = tamper

    def carry(self, gram: bytes, src: str, dst: str) -> None:
        if self.tamper is not None:
            gram = self.tamper(gram, src, dst)
        super().carry(gram, src, dst)


def once(predicate, change):
    """A tamper rule that rewrites with change() the first datagram matching predicate."""
    state = {"done": 0}

    def tamper(gram: bytes, src: str, dst: str) -> bytes:
        if not state["done"] and predicate(gram, src, dst):
            state["done"] += 1
            return change(gram)
        return gram

    tamper.state = state  # type: ignore[attr-defined]
    return tamper


def flip(gram: bytes, at: int, mask: int) -> bytes:
    out = bytearray(gram)
    out[at] ^= mask
    return bytes(out)


def is_data(gram: bytes, src: str, dst: str) -> bool:
    return src == "a" and kind_of(gram) == "data"


def is_ack(gram: bytes, src: str, dst: str) -> bool:
    return src == "b" and kind_of(gram) == "ack"


def wound(link: EchoLink, **kwa) -> tuple[LinkedMemoer, LinkedMemoer, Tymist]:
    return wound_pair(link, TOCK, **kwa)


def run(tymist: Tymist, *peers: Memoer, until: float = HORIZON) -> None:
    """Service the peers in turn and tick, until tyme reaches `until`."""
    while tymist.tyme < until:
        for peer in peers:
            peer.service()
        tymist.tick()


def delivered(peer: Memoer, src: str = "a") -> Counter:
    return Counter(memo for memo, frm, _ in peer.inbox if frm == src)


def assert_promise_kept(sender: Memoer, receiver: Memoer, memos: list) -> None:
    """Each memo delivered at most once and intact; undelivered ones in failures;
    nothing else delivered; nothing left in flight."""
    got = delivered(receiver, sender.name)
    failed = {memo for memo, *_ in sender.failures}
    for memo in memos:
        assert got[memo] <= 1, f"delivered {got[memo]} times: {memo!r:.40}"
        assert got[memo] == 1 or memo in failed, f"silently retired: {memo!r:.40}"
    assert set(got) <= set(memos), f"delivered memos nobody sent: {set(got) - set(memos)}"
    assert sender.unsettled() == [], "memos still in flight past the horizon"


# ------------------------------------------------------------ 1. reneging
def test_zeroth_gram_held_past_receiver_expiry_cannot_retire_the_memo() -> None:
    """A memo whose partial copy the receiver expired is delivered or failed, not retired."""
    tymist = Tymist(tock=TOCK)
    # every copy of the zeroth gram is lost until well after b expired the partial memo
    link = EchoLink(drop=lambda g, s, d: s == "a" and grams.parse(g).zeroth and tymist.tyme < 8.0)
    a, b = linked_pair(link, code=SURE, size=100, limits=Limits(expiry=5.0))
    a.wind(tymist.tymen())
    b.wind(tymist.tymen())
    memo = "".join(f"{n:03d}|" for n in range(100))  # several grams
    assert len(a.rend(memo)) >= 4
    a.memoit(memo, "b")
    run(tymist, a, b)
    assert b.stats.memos_expired >= 1  # the scenario happened: b lost its partial copy
    assert_promise_kept(a, b, [memo])


# ------------------------------------------------------------ 2. damaged ack
def test_ack_with_a_flipped_range_bit_is_dropped_and_the_memo_still_arrives() -> None:
    """An ack damaged in transit acks nothing: the memo is still delivered (or failed)."""
    # acked ranges (0, 2), (3, n): the start 3 becomes 2, claiming the lost gram 2
    pattern = b"\x00\x00\x02\x00\x00\x03"

    def damage(gram: bytes) -> bytes:
        return flip(gram, gram.index(pattern) + 5, 0x01)

    tamper = once(lambda g, s, d: is_ack(g, s, d) and pattern in g, damage)
    lose = {"left": 1}

    def lose_gram_2_once(gram: bytes, src: str, dst: str) -> bool:
        if lose["left"] and is_data(gram, src, dst) and grams.parse(gram).num == 2:
            lose["left"] = 0
            return True
        return False

    link = TamperLink(tamper=tamper, drop=lose_gram_2_once)
    a, b, tymist = wound(link, code=SURE, size=100)
    b.size = 400  # room for two ranges in b's acks
    memo = "".join(f"{n:03d}|" for n in range(80))
    assert len(a.rend(memo)) >= 5
    a.memoit(memo, "b")
    run(tymist, a, b)
    assert tamper.state["done"] == 1  # the damaged ack did reach a
    assert_promise_kept(a, b, [memo])
    assert delivered(b)[memo] == 1  # the link was clean after that: it must arrive
    assert sum(a.stats.dropped[reason] for reason in DAMAGED_ACK) == 1


# ------------------------------------------------------------ 3. flipped id or code
def test_memo_with_a_flipped_mid_bit_is_not_delivered_twice() -> None:
    """A bit flipped in a Sure memo's id never makes a second delivery."""

    def damage(gram: bytes) -> bytes:
        mid = grams.parse(gram).mid
        at = gram.index(mid.encode())
        at += next(i for i, ch in enumerate(mid) if i >= 2 and ch.isalpha())
        return flip(gram, at, 0x20)  # a letter changes case: still a well-formed id

    tamper = once(is_data, damage)
    a, b, tymist = wound(TamperLink(tamper=tamper), code=SURE)
    a.memoit("only once", "b")
    run(tymist, a, b)
    assert tamper.state["done"] == 1
    assert [memo for memo, _, _ in b.inbox] == ["only once"]
    assert_promise_kept(a, b, ["only once"])


def test_ack_with_a_flipped_code_bit_never_reaches_the_inbox() -> None:
    """An Ack whose code bit flipped (bAAI -> bAAA) is dropped, never delivered as a memo."""
    tamper = once(is_ack, lambda g: flip(g, 3, ord("I") ^ ord("A")))
    a, b, tymist = wound(TamperLink(tamper=tamper), code=SURE)
    a.memoit("the real memo", "b")
    run(tymist, a, b)
    assert tamper.state["done"] == 1
    assert list(a.inbox) == []  # b sent a no memo
    assert a.stats.dropped["code-flip"] == 1
    assert_promise_kept(a, b, ["the real memo"])
    assert delivered(b)["the real memo"] == 1


@pytest.mark.parametrize("memo", ["one gram", "many grams " * 30])
def test_sure_gram_with_a_flipped_code_bit_never_hands_the_app_its_tagged_bytes(memo) -> None:
    """A Sure zeroth gram read as plain (bAAE -> bAAA) is dropped, not delivered as 0x01|tag|memo."""
    tamper = once(is_data, lambda g: flip(g, 3, ord("E") ^ ord("A")))
    a, b, tymist = wound(TamperLink(tamper=tamper), code=SURE, size=100)
    a.memoit(memo, "b")
    run(tymist, a, b)
    assert tamper.state["done"] == 1
    if len(memo) < 20:  # a one-gram memo completes as plain, and is caught
        assert b.stats.dropped["code-flip"] == 1
    assert_promise_kept(a, b, [memo])
    assert delivered(b)[memo] == 1


# ------------------------------------------------------------ 4. damaged body
def test_sure_memo_with_a_flipped_body_bit_is_never_delivered_corrupt() -> None:
    """A Sure memo damaged in transit is dropped; it arrives intact or fails."""
    tamper = once(
        lambda g, s, d: is_data(g, s, d) and grams.parse(g).num == 1,
        lambda g: flip(g, len(g) - 1, 0x01),
    )
    a, b, tymist = wound(TamperLink(tamper=tamper), code=SURE, size=100)
    memo = "".join(f"{n:03d}|" for n in range(60))
    assert len(a.rend(memo)) >= 3
    a.memoit(memo, "b")
    run(tymist, a, b)
    assert tamper.state["done"] == 1
    assert [got for got, _, _ in b.inbox] == [memo]  # intact, once: the link is clean after
    assert b.stats.dropped["sure-tag"] == 1
    assert_promise_kept(a, b, [memo])


# ------------------------------------------------------------ 5. flushed window
def test_flood_from_other_sources_cannot_make_a_retry_deliver_twice() -> None:
    """~17,000 one-gram memos from other sources never let a Sure retry deliver again."""
    acks_lost = {"on": True}
    link = EchoLink(drop=lambda g, s, d: acks_lost["on"] and is_ack(g, s, d))
    # the fixed window: all 20 go at once (a congestion window would hold
    # all but 4 back, since no ack ever grows it)
    a, b, tymist = wound(link, code=SURE, retry={"congestion": "none"})
    memos = [f"sure {n}" for n in range(20)]
    for memo in memos:
        a.memoit(memo, "b")
    while sum(delivered(b).values()) < len(memos):  # delivered; every DONE ack lost
        assert tymist.tyme < 0.5, "first copies not delivered before any retry"
        run(tymist, a, b, until=tymist.tyme + TOCK)
    flooder = Memoer(midder=seeded_midder(5, "flood"))  # plain one-gram memos
    for n in range(17_000):
        b.absorb(flooder.rend(f"flood {n}")[0], (f"10.0.{n // 250 % 250}.{n % 250}", 4000))
        if n % 1000 == 999:
            b.serviceRxGrams()
            b.serviceRxMemos()
    b.service()
    assert len(b.inbox) == 17_000 + len(memos)  # the flood was valid: all of it delivered
    acks_lost["on"] = False
    run(tymist, a, b)
    assert link.grams[("a", "b", "data")] > len(memos)  # the retries did reach b
    assert_promise_kept(a, b, memos)


# ------------------------------------------------------------ 6. forged acks
def test_plain_ack_cannot_retire_a_signed_sure_memo() -> None:
    """Only the named receiver's AckAuth retires a signed memo; a plain Ack is dropped."""
    avid, akey = make_keyage(seed_of("alice"))
    bvid, _ = make_keyage(seed_of("bob"))
    tymist = Tymist(tock=TOCK)
    link = EchoLink()
    a = LinkedMemoer(
        link=link,
        name="a",
        code=SURE_AUTH,
        keep={avid: akey},
        vid=avid,
        maxTyme=8.0,
        midder=seeded_midder(6, "a"),
    )
    # whoever answers at b's address has no key: its acks are plain Acks
    impostor = LinkedMemoer(link=link, name="b", midder=seeded_midder(6, "b"))
    for peer in (a, impostor):
        peer.reopen()
        peer.wind(tymist.tymen())
    a.memoit("for bob only", "b", rvid=bvid)
    run(tymist, a, impostor, until=12.0)
    assert impostor.stats.acks_sent >= 1
    assert a.stats.acks_received == 0
    assert a.stats.dropped["ack-vid"] >= 1
    assert [memo for memo, *_ in a.failures] == ["for bob only"]
    assert a.failures[0][3] in ("tries", "tyme")
    assert a.unsettled() == []


def test_ack_auth_signed_by_another_known_vid_cannot_retire_memos() -> None:
    """An AckAuth verified with some known key, but not the receiver's, retires nothing."""
    assert "rvids" in inspect.signature(Memoer).parameters, "Memoer(rvids=) names receivers"
    avid, akey = make_keyage(seed_of("alice"))
    bvid, _ = make_keyage(seed_of("bob"))
    mvid, mkey = make_keyage(seed_of("mallory"))
    tymist = Tymist(tock=TOCK)
    link = EchoLink()
    a = LinkedMemoer(
        link=link,
        name="a",
        code=SURE_AUTH,
        authic=True,
        vid=avid,
        keep={avid: akey, mvid: mkey},
        rvids={"b": bvid},
        maxTyme=8.0,
        midder=seeded_midder(7, "a"),
        retry={"congestion": "none"},  # all 20 at once: no valid ack ever grows a window
    )
    # mallory answers at b's address and signs her acks with her own, known key
    impostor = LinkedMemoer(
        link=link, name="b", keep={mvid: mkey}, vid=mvid, midder=seeded_midder(7, "b")
    )
    for peer in (a, impostor):
        peer.reopen()
        peer.wind(tymist.tymen())
    memos = [f"for bob {n}" for n in range(20)]
    for memo in memos:
        a.memoit(memo, "b")
    run(tymist, a, impostor, until=12.0)
    assert impostor.stats.acks_sent >= len(memos)
    assert a.stats.acks_received == 0
    assert a.stats.dropped["ack-vid"] >= len(memos)
    assert sorted(memo for memo, *_ in a.failures) == sorted(memos)
    assert a.unsettled() == []


# ------------------------------------------------------------ 7. sockets
def bind_other(host: str, port: int, *opts: int) -> str | None:
    """Bind a new UDP socket with socket options opts to (host, port); error text or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for opt in opts:
            sock.setsockopt(socket.SOL_SOCKET, opt, 1)
        try:
            sock.bind((host, port))
        except OSError as ex:
            return str(ex)
    return None


REUSE_OPTS = [("plain", ()), ("SO_REUSEADDR", (socket.SO_REUSEADDR,))]
if hasattr(socket, "SO_REUSEPORT"):
    REUSE_OPTS += [
        ("SO_REUSEPORT", (socket.SO_REUSEPORT,)),
        ("SO_REUSEADDR+SO_REUSEPORT", (socket.SO_REUSEADDR, socket.SO_REUSEPORT)),
    ]


@pytest.mark.udp
def test_no_other_socket_can_bind_a_running_peers_port() -> None:
    """A PeerMemoer's UDP port cannot be bound by another socket, whatever its options."""
    with openPM(name="a", port=0) as peer:
        assert peer.opened and peer.port != 0
        host, port = peer.ha
        bound = [name for name, opts in REUSE_OPTS if bind_other(host, port, *opts) is None]
        assert bound == [], f"other sockets bound the peer's port with: {bound}"


@pytest.mark.udp
@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="no SO_REUSEPORT")
def test_reuse_true_opts_in_to_sharing_the_port() -> None:
    """reuse=True lets another socket that asks for it share the port (and only then)."""
    with openPM(name="a", port=0, reuse=True) as peer:
        assert peer.opened and peer.reuse is True
        host, port = peer.ha
        assert bind_other(host, port, socket.SO_REUSEADDR, socket.SO_REUSEPORT) is None
        with openPM(name="b", port=port, reuse=True) as twin:
            assert twin.opened and twin.port == port
    with openPM(name="c", port=0) as peer:
        assert peer.reuse is False
        with openPM(name="d", port=peer.port, reuse=True) as twin:
            assert not twin.opened  # opting in on one side alone shares nothing


# ------------------------------------------------ damage that costs only time
def test_sure_only_peer_drops_a_sure_gram_damaged_in_code_and_tag() -> None:
    """Two damaged places (code to plain, and a tag bit) are not a plain memo
    for a peer that takes only acked traffic: dropped as not-sure."""
    tx = Memoer(code=SURE, echoic=True)
    rx = Memoer(echoic=True, sureOnly=True)
    gram = bytearray(tx.rend("hello")[0])
    gram[3] ^= ord("E") ^ ord("A")  # bAAE -> bAAA
    gram[33] ^= 0x01  # one bit of the tag
    rx.absorb(bytes(gram), "a")
    rx.serviceRxGrams()
    rx.serviceRxMemos()
    assert list(rx.inbox) == [] and rx.stats.dropped["not-sure"] == 1


def test_zeroth_gram_damaged_into_plain_is_superseded_not_waited_out() -> None:
    """A Sure zeroth gram read as plain, arriving first, does not block the real
    one for a partial-memo expiry: the memo arrives within a few round trips."""
    tamper = once(is_data, lambda g: flip(g, 3, ord("E") ^ ord("A")))
    a, b, tymist = wound(TamperLink(tamper=tamper), code=SURE, size=100)
    memo = "abcdefgh" * 20  # several grams
    a.memoit(memo, "b")
    run(tymist, a, b, until=3.0)  # expiry is 30 s
    assert tamper.state["done"] == 1 and b.stats.dropped["superseded"] >= 1
    assert delivered(b)[memo] == 1 and not a.failures and a.unsettled() == []


def test_early_gram_listed_then_refused_starts_a_new_epoch() -> None:
    """A later gram damaged into a plain code, held early and listed in an ack,
    then refused when its zeroth gram arrives: the epoch changes, so the sender
    resends it at once instead of probing for a whole expiry."""
    state = {"held": False}
    seen: list[bytes] = []

    def tamper(gram: bytes, src: str, dst: str) -> bytes:
        if src == "a" and kind_of(gram) == "data":
            seen.append(gram)
            if len(seen) == 2:  # gram 1: damage its code (bAAF -> bAAB)
                return flip(gram, 3, ord("F") ^ ord("B"))
        return gram

    link = TamperLink(tamper=tamper)
    a, b, tymist = wound(link, code=SURE, size=100)
    memo = "ijklmnop" * 20

    def zeroth_late(gram: bytes, src: str, dst: str) -> bool:
        if src == "a" and not state["held"] and gram_num_of(gram) == 0:
            state["held"] = True  # lose the first zeroth gram: the rest come early
            return True
        return False

    link.drop = zeroth_late
    a.memoit(memo, "b")
    run(tymist, a, b, until=5.0)
    assert state["held"] and b.stats.dropped["mismatch"] >= 1
    assert delivered(b)[memo] == 1 and not a.failures and a.unsettled() == []


def gram_num_of(gram: bytes) -> int | None:
    try:
        parsed = grams.parse(gram)
    except grams.GramError:
        return None
    return None if parsed.code in ("bAAI", "bAAJ") else parsed.num
