"""One-gram memos: complete on arrival, yet shown and bounded as hio would.

A memo that fits in one gram skips the partial-memo bookkeeping (the common
case, and the costly one per memo). These tests pin what must not change
because of that: hio's views, duplicate and supersede rules, bounds.
"""

from __future__ import annotations

from helpers import counter_midder, deliver, make_memoer

from memosim import Limits
from memosim.core import b64


def mid_of(n: int) -> str:
    return b64.mid_from_raw(n.to_bytes(16, "big"))


def test_views_show_a_one_gram_memo_until_fused_as_in_hio():
    tx, rx = make_memoer(), make_memoer()
    (gram,) = tx.rend("short")
    rx.absorb(gram, "s")
    mid = mid_of(1)
    assert rx.rxgs == {mid: {0: b"short"}}
    assert rx.counts == {mid: 1} and rx.sources == {mid: "s"} and rx.vids == {mid: None}
    assert mid in rx.rxgs and len(rx.sources) == 1 and list(rx.counts) == [mid]
    rx.serviceRxGrams()
    assert list(rx.rxms) == [("short", "s", None)]
    assert not rx.rxgs and not rx.counts and not rx.sources and not rx.vids


def test_one_gram_and_multi_gram_memos_deliver_in_completion_order():
    tx = make_memoer(size=38)
    rx = make_memoer()
    long_grams = tx.rend("a memo of several grams")
    (short,) = tx.rend("hi")
    for gram in long_grams[:-1] + [short] + long_grams[-1:]:
        rx.absorb(gram, "s")
    rx.serviceRxGrams()
    assert [memo for memo, _, _ in rx.rxms] == ["hi", "a memo of several grams"]


def test_duplicate_one_gram_memo_dropped_before_and_after_fusing():
    tx, rx = make_memoer(), make_memoer()
    (gram,) = tx.rend("once")
    rx.absorb(gram, "s")
    rx.absorb(gram, "s")  # still waiting to be fused
    assert deliver(rx, [gram], "s") == [("once", "s", None)]  # and once fused
    assert rx.stats.dropped["duplicate"] == 2 and rx.stats.memos_delivered == 1


def test_later_gram_for_a_one_gram_mid_is_dropped():
    rx = make_memoer()
    (single,) = make_memoer(midder=counter_midder(7)).rend("x")
    forged = make_memoer(size=38, midder=counter_midder(7)).rend("y" * 40)
    rx.absorb(single, "s")
    rx.absorb(forged[1], "s")  # same mid, gram number 1 of a one-gram memo
    assert rx.stats.dropped["number"] == 1
    assert deliver(rx, [], "s") == [("x", "s", None)]


def test_signed_one_gram_supersedes_an_unsigned_copy(signer):
    vid, keep = signer
    unsigned = make_memoer(midder=counter_midder(5)).rend("forged")[0]
    signed = make_memoer(code="bAAC", keep=keep, vid=vid, midder=counter_midder(5)).rend("real")[0]
    rx = make_memoer(keep=keep)
    rx.absorb(unsigned, "s")
    rx.absorb(signed, "s")
    assert rx.stats.dropped["superseded"] == 1
    assert deliver(rx, [], "s") == [("real", "s", vid)]
    # and the signed copy is not replaced by a later unsigned one
    rx.absorb(make_memoer(midder=counter_midder(6)).rend("x")[0], "s")
    rx.absorb(
        make_memoer(code="bAAC", keep=keep, vid=vid, midder=counter_midder(6)).rend("y")[0], "s"
    )
    rx.absorb(make_memoer(midder=counter_midder(6)).rend("z")[0], "s")
    assert deliver(rx, [], "s") == [("y", "s", vid)]


def test_bad_signature_on_one_gram_memo_dropped(signer):
    vid, keep = signer
    gram = bytearray(make_memoer(code="bAAC", keep=keep, vid=vid).rend("real")[0])
    gram[77] ^= 1  # a body byte (after the 76-byte header): the signature no longer covers it
    rx = make_memoer(keep=keep)
    assert deliver(rx, [bytes(gram)], "s") == []
    assert rx.stats.dropped["signature"] == 1


def test_waiting_one_gram_memos_are_bounded_oldest_dropped_first():
    limits = Limits(max_memos=50, max_bytes=10_000)
    rx = make_memoer(limits=limits)
    tx = make_memoer()
    for i in range(500):  # never fused: the receiver does not service rx grams
        rx.absorb(tx.rend(f"{i:03d}" + "x" * 97)[0], "s")
        assert len(rx.rxgs) <= 50 and rx.engine.rx.whole_bytes <= 10_000
    assert rx.stats.memos_evicted == 450
    rx.serviceRxGrams()
    assert [memo[:3] for memo, _, _ in rx.rxms] == [f"{i:03d}" for i in range(450, 500)]


def test_waiting_one_gram_memos_bounded_in_bytes():
    rx = make_memoer(limits=Limits(max_bytes=5_000))
    tx = make_memoer()
    for _ in range(40):
        rx.absorb(tx.rend("y" * 1000)[0], "s")
        assert rx.engine.rx.whole_bytes <= 5_000
    assert len(rx.rxgs) == 5 and rx.stats.memos_evicted == 35


def test_non_utf8_one_gram_memo_delivered_as_bytes():
    tx, rx = make_memoer(), make_memoer()
    assert deliver(rx, tx.rend(b"\xff\xfe raw")) == [(b"\xff\xfe raw", "src", None)]


def test_done_window_forgets_oldest_mids_first():
    rx = make_memoer(limits=Limits(done_window=10))
    tx = make_memoer()
    grams = [tx.rend(f"m{i}")[0] for i in range(30)]
    assert len(deliver(rx, grams)) == 30
    assert deliver(rx, grams[-10:]) == []  # remembered: duplicates
    assert len(deliver(rx, grams[:20])) == 20  # forgotten: delivered again
