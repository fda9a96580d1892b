"""Memoer: hio's queues and service loop on the echo mock transport."""

from __future__ import annotations

import pytest
from helpers import counter_midder, deliver, make_memoer, seed_of

from memosim import Memoer, MemoerError, MemoerVerifyError, PeerMemoer, Tymist, make_keyage
from memosim.core import b64
from memosim.core.codes import MemoDex


def test_echoic_round_trip_through_queues():
    m = make_memoer(size=38)
    m.memoit("Hello there.", "dst")
    m.serviceAllTx()
    assert len(m.echos) == 2 and not m.txms and not m.txgs
    m.serviceAllRx()
    assert list(m.inbox) == [("Hello there.", "dst", None)]
    assert m.stats.memos_delivered == 1 and m.stats.grams_sent == 2


def test_service_needs_opened_transport_as_in_hio():
    m = Memoer(echoic=True)
    m.memoit("x", "dst")
    m.service()
    assert m.txgs and not m.echos  # rended but not sent while closed
    m.reopen()
    m.service()
    m.service()
    assert list(m.inbox) == [("x", "dst", None)]


def test_hio_state_views_fill_and_clear():
    tx = make_memoer(size=38)
    rx = make_memoer()
    gs = tx.rend("How ya doing?")
    rx.absorb(gs[0], "s")
    rx.absorb(gs[2], "s")
    mid = b64.mid_from_raw((1).to_bytes(16, "big"))
    assert rx.counts == {mid: 3} and rx.sources == {mid: "s"} and rx.vids == {mid: None}
    assert set(rx.rxgs[mid]) == {0, 2}
    assert rx.fuse(rx.rxgs[mid], 3) is None
    assert deliver(rx, [gs[1]], "s") == [("How ya doing?", "s", None)]
    assert not rx.rxgs and not rx.counts and not rx.sources and not rx.vids


def test_bytes_memo_sent_and_rxbytes_delivers_bytes():
    tx = make_memoer(size=60)
    rx = make_memoer(rxbytes=True)
    assert deliver(rx, tx.rend(b"\x00\xffbinary" * 10)) == [(b"\x00\xffbinary" * 10, "src", None)]
    text_rx = make_memoer()
    assert deliver(text_rx, tx.rend(b"plain")) == [("plain", "src", None)]


def test_signed_memo_delivers_vid(signer):
    vid, keep = signer
    tx = make_memoer(code="bAAC", keep=keep, vid=vid, size=200)
    rx = make_memoer()
    assert deliver(rx, tx.rend("signed " * 60)) == [("signed " * 60, "src", vid)]


def test_sign_and_verify_hio_style(signer):
    vid, keep = signer
    m = make_memoer(keep=keep)
    sig = m.sign(vid, b"ser")
    assert len(sig) == 88 and sig.startswith(b"0B")
    assert m.verify(vid, sig, b"ser") is True
    with pytest.raises(MemoerVerifyError, match="signature"):  # hio raises too
        m.verify(vid, sig, b"other")
    with pytest.raises(MemoerVerifyError, match="undecodable"):
        m.verify(vid, sig[:-1], b"ser")
    stranger, _ = make_keyage(seed_of("stranger"), code="D")
    with pytest.raises(MemoerVerifyError, match="unknown-vid"):
        m.verify(stranger, sig, b"ser")
    m.curt = True
    qb2 = m.sign(vid, b"ser")
    assert len(qb2) == 66 and m.verify(vid, qb2, b"ser") is True


def test_pick_raises_hios_verify_error_for_a_forged_gram(signer):
    vid, keep = signer
    forged = bytearray(make_memoer(code="bAAC", keep=keep, vid=vid).rend("memo")[0])
    forged[-89] ^= 1  # the memo's last byte, just before the 88-char signature
    with pytest.raises(MemoerVerifyError):
        make_memoer().pick(forged)


def test_pick_strips_header_in_place():
    tx = make_memoer(size=38)
    gram = bytearray(tx.rend("Hello there.")[1])
    mid, vid, gn, gc = tx.pick(gram)
    assert (vid, gn, gc, bytes(gram)) == (None, 1, None, b"there.")
    with pytest.raises(MemoerError):
        tx.pick(bytearray(b"junk"))


@pytest.mark.parametrize(
    "kwargs,memo",
    [
        ({"code": "bAAB"}, "x"),  # not a zeroth code
        ({"size": 70000}, "x"),  # above MaxGramSize
        ({}, 42),  # not str or bytes
        ({"code": "bAAC"}, "x"),  # signed code, no vid
    ],
)
def test_local_misuse_raises_clear_error(kwargs, memo):
    with pytest.raises(MemoerError):
        m = make_memoer(**kwargs)
        m.memoit(memo, "dst")


def test_size_is_raised_to_smallest_allowed():
    assert make_memoer(size=1).size == 33
    assert make_memoer(size=1, code="bAAC").size == 165
    assert make_memoer(size=1, curt=True).size == 25


def test_midder_is_injectable_for_determinism():
    a = make_memoer(midder=counter_midder(7))
    assert a.makeMID() == b64.mid_from_raw((7).to_bytes(16, "big"))


def test_d_vid_verified_from_keep_and_unknown_rejected():
    vid, keyage = make_keyage(b"\x01" * 32, code="D")
    tx = make_memoer(code="bAAC", keep={vid: keyage}, vid=vid)
    grams_ = tx.rend("hi")
    known = make_memoer(keep={vid: keyage})
    assert deliver(known, grams_) == [("hi", "src", vid)]
    stranger = make_memoer()
    assert deliver(stranger, grams_) == []
    assert stranger.stats.dropped["unknown-vid"] == 1


def test_now_prefers_wound_tyme_then_clock():
    m = make_memoer(clock=lambda: 5.0)
    assert m.now == 5.0
    tymist = Tymist(tyme=2.0)
    m.wind(tymist.tymen())
    assert m.now == 2.0
    assert make_memoer().now is None


def test_size_follows_code_changes_from_the_requested_size():
    m = make_memoer(size=40)
    m.code = "bAAC"
    assert m.size == 165
    m.code = "bAAA"
    assert m.size == 40  # hio keeps 165 here


class _Wire(Memoer):
    """A transport that takes `takes[i]` bytes of the i-th send (all when absent),
    raising instead when the entry is an OSError."""

    def __init__(self, takes, **kwa):
        super().__init__(**kwa)
        self.takes = list(takes)
        self.wire: list[bytes] = []

    def send(self, gram, dst, **kwa):
        take = self.takes.pop(0) if self.takes else len(gram)
        if isinstance(take, OSError):
            raise take
        if take:
            self.wire.append(bytes(gram[:take]))
        return take


def test_partial_send_is_held_in_txbs_and_finished_first():
    m = _Wire([5, 0], midder=counter_midder())
    m.reopen()
    for memo in ("first", "second"):
        m.memoit(memo, "dst")
    m.serviceTxMemos()
    whole = list(m.txgs)
    m.serviceTxGrams()  # 5 bytes go out; the rest waits in txbs, second stays queued
    assert m.wire == [whole[0][0][:5]] and m.txbs == (bytearray(whole[0][0][5:]), "dst")
    assert len(m.txgs) == 1
    m.serviceTxGrams()  # transport takes nothing: stays stuck, nothing reordered
    assert m.txbs[1] == "dst" and len(m.txgs) == 1
    m.serviceTxGrams()  # the rest of the first, then the second
    assert m.wire == [whole[0][0][:5], whole[0][0][5:], whole[1][0]]
    assert m.txbs[1] is None and not m.txgs
    assert m.stats.grams_sent == 2 and m.stats.bytes_sent == len(whole[0][0]) + len(whole[1][0])


def test_unreachable_destination_drops_the_gram_and_goes_on():
    import errno

    m = _Wire([OSError(errno.ECONNREFUSED, "refused")], midder=counter_midder())
    m.reopen()
    m.memoit("lost", "dst")
    m.memoit("sent", "dst")
    m.serviceAllTx()
    assert len(m.wire) == 1 and m.stats.dropped["send-error"] == 1 and m.stats.grams_sent == 1


def test_local_send_failure_propagates():
    import errno

    m = _Wire([OSError(errno.EBADF, "bad fd")], midder=counter_midder())
    m.reopen()
    m.memoit("x", "dst")
    with pytest.raises(OSError):
        m.serviceAllTx()


def test_memo_that_no_longer_fits_when_serviced_is_dropped_not_raised():
    # A gram size small enough to make a queued memo too long needs memos of
    # over 100 MB; shrink the limit the size setter derives instead.
    m = make_memoer()
    m.memoit("x" * 50, "dst")
    m.engine.max_memo = 20
    m.memoit("small", "dst")
    m.serviceAll()
    m.serviceAll()
    assert m.stats.dropped["tx-invalid"] == 1
    assert [memo for memo, _, _ in m.inbox] == ["small"]


def test_once_forms_take_one_step_each():
    """hio's *Once methods: one memo rended, one gram sent, one datagram taken,
    one fused memo moved to the inbox; the full forms drain."""
    m = make_memoer(size=38)
    m.memoit("Hello there.", "peer")  # two grams at size 38 (spec)
    m.memoit("How ya doing?", "peer")  # three grams
    m.serviceTxMemosOnce()
    assert (len(m.txms), len(m.txgs)) == (1, 2)
    m.serviceTxGramsOnce()
    assert (len(m.txgs), len(m.echos)) == (1, 1)
    m.serviceAllTxOnce()  # the second memo is rended, one more gram goes
    assert (len(m.txms), len(m.txgs), len(m.echos)) == (0, 3, 2)
    m.serviceAllTx()
    assert (len(m.txgs), len(m.echos), m.stats.grams_sent) == (0, 5, 5)

    m.serviceReceivesOnce()
    assert len(m.echos) == 4 and list(m.counts.values()) == [2]  # its zeroth gram is held
    m.serviceAllRxOnce()  # the second gram of the first memo: it is fused, then moved
    assert list(m.inbox) == [("Hello there.", "peer", None)]
    m.serviceAllOnce()  # one gram of the second memo
    assert len(m.echos) == 2 and len(m.inbox) == 1
    m.serviceReceives()
    m.serviceRxGramsOnce()  # fuses every complete memo
    assert len(m.rxms) == 1
    m.serviceRxMemosOnce()
    assert list(m.inbox)[-1] == ("How ya doing?", "peer", None) and not m.rxms


def test_hio_instance_attributes():
    m = Memoer()
    assert (m.version, m.tymeout, m.tymers) == (Memoer.Version, Memoer.Tymeout, {})
    assert Memoer(tymeout=2.5, version=(1, 2)).tymeout == 2.5
    assert Memoer(version=(1, 2)).version == (1, 2)
    p = PeerMemoer()
    assert (p.bcast, p.wl, p.ls, p.opened) == (False, None, None, False)
    assert (p.host, p.port, p.bc, p.bs) == ("127.0.0.1", 55000, 1024, 1024 * 1240)


def test_pick_by_hand_keeps_a_signed_memo_to_its_first_signer(signer):
    """Picking grams by hand: a signed memo's later grams verify with the vid
    of the first signed zeroth gram picked for that mid; an unsigned later
    gram cannot join it, and another signer's zeroth cannot take it over."""
    vid, keep = signer
    mallory, mallory_keyage = make_keyage(seed_of("mallory"))
    alice_tx = make_memoer(code="bAAC", keep=keep, vid=vid, size=200, midder=counter_midder(7))
    mallory_tx = make_memoer(
        code="bAAC", keep={mallory: mallory_keyage}, vid=mallory, size=200, midder=counter_midder(7)
    )  # the same mid
    plain_tx = make_memoer(size=200, midder=counter_midder(7))
    alice = alice_tx.rend("from alice " * 40)
    forged = mallory_tx.rend("from mallory " * 40)
    unsigned = plain_tx.rend("unsigned " * 40)
    rx = make_memoer()
    assert rx.pick(bytearray(alice[0]))[1] == vid
    assert rx.pick(bytearray(forged[0]))[1] == mallory  # validly signed, but alice came first
    with pytest.raises(MemoerVerifyError):
        rx.pick(bytearray(forged[1]))
    with pytest.raises(MemoerError, match="mismatch"):
        rx.pick(bytearray(unsigned[1]))
    assert rx.pick(bytearray(alice[1]))[1:3] == (vid, 1)


def test_authic_pick_refuses_unsigned_grams_as_hio_does():
    m = make_memoer(authic=True)
    with pytest.raises(MemoerError, match="authic"):
        m.pick(bytearray(make_memoer().rend("plain")[0]))


def test_a_sure_memo_that_can_no_longer_be_sent_is_reported_failed():
    """A tracked Sure memo that cannot be rendered when serviced is in
    failures (reason tx-invalid): the acked promise is delivered once or
    reported failed, never dropped unreported."""
    m = make_memoer(code=MemoDex.GramSureZero)
    m.wind(Tymist(tock=0.01).tymen())
    m.memoit("x" * 50, "dst")
    m.engine.max_memo = 20
    m.serviceAll()
    assert m.stats.dropped["tx-invalid"] == 1
    assert list(m.failures) == [("x" * 50, "dst", None, "tx-invalid")]
    assert m.stats.memos_failed == 1 and m.unsettled() == []
