"""The NewReno congestion window (core/congestion.py), with literal tymes and exact values."""

from __future__ import annotations

import pytest

from memosim.core import codes, congestion
from memosim.core.codes import MemoDex
from memosim.core.congestion import MIN_WINDOW, NewReno
from memosim.core.engine import Engine
from memosim.core.retry import RetryPolicy
from memosim.core.stats import Stats


def busy(initial: int = 10, maximum: int = 64) -> NewReno:
    """A controller whose sender always has grams waiting for the window."""
    cc = NewReno(initial=initial, maximum=maximum)
    cc.limited = True
    return cc


def test_constants_are_rfc_9002s() -> None:
    assert congestion.K_LOSS_REDUCTION == 0.5
    assert congestion.K_PERSISTENT_THRESHOLD == 3
    assert MIN_WINDOW == 2
    assert congestion.CONGESTION == ("newreno", "none")
    assert congestion.QUEUE_RATIO == 1.5
    assert RetryPolicy().congestion == "newreno" and RetryPolicy().initial_window == 8


def test_slow_start_grows_one_gram_per_gram_acked_up_to_the_maximum() -> None:
    cc = busy(initial=10, maximum=64)
    assert cc.window() == 10 and cc.ssthresh == float("inf")
    cc.on_acked(10, sent=0.0, srtt=0.04)
    assert cc.window() == 20
    cc.on_acked(20, sent=0.04, srtt=0.04)
    cc.on_acked(30, sent=0.08, srtt=0.04)
    assert cc.cwnd == 64.0 and cc.window() == 64  # the fixed window is the ceiling


def test_a_window_that_is_not_full_does_not_grow() -> None:
    cc = NewReno(initial=10)
    cc.on_acked(10, sent=0.0, srtt=0.04)
    assert cc.window() == 10
    assert cc.min_srtt == 0.04  # the RTT floor is learnt all the same


def test_one_loss_event_halves_the_window_once_and_starts_recovery() -> None:
    cc = busy(initial=40)
    cc.on_acked(1, sent=0.0, srtt=0.040)  # floor 40 ms; cwnd 41
    # three grams of one burst, sent at 1.00-1.02 s, found lost at 1.5 s,
    # while the smoothed RTT stands at 100 ms (a queue of 60 ms)
    assert cc.on_lost(1.00, 1.5, srtt=0.100, rttvar=0.01, ack_delay=0.05) == "event"
    assert cc.cwnd == 20.5 and cc.ssthresh == 20.5 and cc.recovery_start == 1.5
    assert cc.on_lost(1.01, 1.5, srtt=0.100, rttvar=0.01, ack_delay=0.05) is None
    assert cc.on_lost(1.02, 1.6, srtt=0.100, rttvar=0.01, ack_delay=0.05) is None
    assert (cc.window(), cc.loss_events) == (20, 1)
    # acks of grams sent before recovery began do not grow the window
    cc.on_acked(5, sent=1.4, srtt=0.100)
    assert cc.cwnd == 20.5
    # a gram sent after recovery began: congestion avoidance, 1/cwnd per gram
    cc.on_acked(1, sent=1.55, srtt=0.100)
    assert cc.cwnd == pytest.approx(20.5 + 1 / 20.5)
    # a loss of a gram sent after recovery began is a new event
    assert cc.on_lost(1.7, 2.0, srtt=0.100, rttvar=0.01, ack_delay=0.05) == "event"
    assert cc.cwnd == pytest.approx((20.5 + 1 / 20.5) / 2) and cc.loss_events == 2


def test_the_window_never_falls_below_the_minimum() -> None:
    cc = busy(initial=3)
    cc.on_acked(1, sent=0.0, srtt=0.04)  # slow start: 4
    assert cc.on_lost(1.0, 2.0, srtt=0.1, rttvar=0.01, ack_delay=0.05) == "event"
    assert cc.cwnd == 2.0
    cc.on_acked(1, sent=2.2, srtt=0.1)  # congestion avoidance: 2.5
    assert cc.cwnd == 2.5
    assert cc.on_lost(2.5, 3.0, srtt=0.1, rttvar=0.01, ack_delay=0.05) == "event"
    assert cc.cwnd == 2.0 and cc.window() == 2


def test_a_loss_before_any_rtt_sample_is_no_evidence_of_congestion() -> None:
    cc = busy(initial=10)
    # the first timeout, at the initial RTO, before any ack: no floor, no queue
    assert cc.on_lost(0.0, 1.0, srtt=None, rttvar=None, ack_delay=0.05) is None
    assert cc.cwnd == 10.0 and cc.loss_events == 0


def test_a_loss_without_a_standing_queue_is_not_congestion() -> None:
    cc = busy(initial=30)
    cc.on_acked(1, sent=0.0, srtt=0.040)  # floor 40 ms
    # srtt 59 ms < 1.5 x 40 ms: random loss on an unqueued path, window kept
    assert cc.on_lost(1.0, 1.3, srtt=0.059, rttvar=0.01, ack_delay=0.01) is None
    assert cc.cwnd == 31.0 and cc.recovery_start is None and cc.loss_events == 0
    # srtt 60 ms = 1.5 x 40 ms: a queue half as long as the path's floor, congestion
    # (with an ack delay of 10 ms; one of 50 ms lifts the bar to 40 + 50 ms)
    assert cc.on_lost(1.1, 1.3, srtt=0.060, rttvar=0.01, ack_delay=0.05) is None
    assert cc.on_lost(1.1, 1.3, srtt=0.089, rttvar=0.01, ack_delay=0.05) is None
    assert cc.on_lost(1.1, 1.3, srtt=0.060, rttvar=0.01, ack_delay=0.01) == "event"
    assert cc.cwnd == 15.5


def test_persistent_congestion_collapses_the_window_to_the_minimum() -> None:
    cc = busy(initial=40)
    cc.on_acked(1, sent=0.0, srtt=0.1)  # floor 100 ms, cwnd 41
    # duration: (srtt 0.1 + 4 * rttvar 0.025 + ack delay 0.05) * 3 = 0.75 s
    assert cc.on_lost(1.0, 1.3, srtt=0.1, rttvar=0.025, ack_delay=0.05) is None
    assert cc.on_lost(1.7, 2.0, srtt=0.1, rttvar=0.025, ack_delay=0.05) is None  # 0.7 s < 0.75
    assert cc.on_lost(1.75, 2.1, srtt=0.1, rttvar=0.025, ack_delay=0.05) == "persistent"
    assert cc.cwnd == MIN_WINDOW and cc.ssthresh == 20.5 and cc.persistent == 1
    assert cc.recovery_start is None  # slow start again from the first ack
    cc.on_acked(2, sent=2.2, srtt=0.1)
    assert cc.cwnd == 4.0


def test_an_ack_of_a_later_gram_ends_a_run_of_losses() -> None:
    cc = busy(initial=40)
    cc.on_acked(1, sent=0.0, srtt=0.1)
    cc.on_lost(1.0, 1.3, srtt=0.1, rttvar=0.025, ack_delay=0.05)
    cc.on_acked(1, sent=1.2, srtt=0.1)  # a gram sent after the first loss arrived
    assert cc.first_lost is None
    assert cc.on_lost(1.9, 2.2, srtt=0.1, rttvar=0.025, ack_delay=0.05) is None
    assert cc.persistent == 0 and cc.cwnd == 42.0  # slow start went on: no queue, no cut


def test_no_persistent_congestion_before_an_rtt_sample() -> None:
    cc = busy(initial=10)
    cc.on_lost(0.0, 1.0, srtt=None, rttvar=None, ack_delay=0.05)
    assert cc.on_lost(30.0, 31.0, srtt=None, rttvar=None, ack_delay=0.05) is None
    assert cc.persistent == 0 and cc.cwnd == 10.0


def test_a_maximum_below_the_minimum_window_is_the_window() -> None:
    cc = NewReno(initial=10, maximum=1)
    assert cc.window() == 1
    with pytest.raises(ValueError):
        NewReno(maximum=0)


# ---- in acked delivery: the window a sender keeps (core/flights.py) ----------


def _bulk(retry: RetryPolicy, grams_: int = 60) -> tuple[list[int], Stats]:
    """One memo of `grams_` grams from a to b over a clean 50 ms path (each
    way), served every 10 ms: the data grams a sends in each 10 ms step."""
    mids = iter(range(1, 1000))
    a = Engine(
        midder=lambda: next(mids).to_bytes(16, "big"),
        code=MemoDex.GramSureZero,
        size=300,
        retry=retry,
    )
    b = Engine(midder=lambda: bytes(16), code=MemoDex.GramSureZero, size=300, retry=retry)
    body = 300 - codes.overhead(MemoDex.GramSureZero, False) - 4
    a.send_memo("x" * (body * (grams_ - 1)), "b", now=0.0)
    wire: list[tuple[float, Engine, bytes, str]] = []
    sends: list[int] = []
    for step in range(300):
        now = round(step * 0.01, 2)
        for _at, to, data, src in [w for w in wire if w[0] <= now]:
            to.receive_datagram(data, src, now)
        wire = [w for w in wire if w[0] > now]
        for eng, src, dst in ((a, "a", b), (b, "b", a)):
            eng.fuse_ready(now)
            eng.handle_timer(now)
            out = eng.datagrams_to_send()
            if eng is a:
                sends.append(len(out))
            wire += [(round(now + 0.05, 2), dst, data, src) for data, _ in out]
        if b.delivered:
            break
    assert [m for m, _, _ in b.delivered] and a.stats.grams_retransmitted == 0
    return sends, a.stats


def test_slow_start_paces_a_bulk_memo_and_none_keeps_the_fixed_window() -> None:
    sends, stats = _bulk(RetryPolicy(congestion="newreno", initial_window=4))
    # the initial window, then twice as much each round trip as acks come back
    assert [n for n in sends if n] == [4, 8, 16, 31]  # the memo's 59 grams
    assert stats.window_sends == 59 and stats.window_sum == 4 * 4 + 8 * 8 + 16 * 16 + 31 * 32
    sends, stats = _bulk(RetryPolicy(congestion="none"))
    assert sends[0] == 59  # the fixed window of 64 lets every gram go at once
    assert stats.window_sum == 59 * 64 and stats.loss_events == 0


def test_grams_backing_off_through_an_outage_do_not_hold_the_window_shut() -> None:
    """a -> b is cut from 0 to 2 s: the first memo's 4 grams (the whole
    initial window) time out at 1 s and back off to 3 s. A memo queued at
    2.5 s, once the path is back, goes at once: resent grams are paced by
    their own timeouts, not by the window."""
    mids = iter(range(1, 1000))
    retry = RetryPolicy(congestion="newreno", initial_window=4)
    a = Engine(
        midder=lambda: next(mids).to_bytes(16, "big"),
        code=MemoDex.GramSureZero,
        size=300,
        retry=retry,
    )
    b = Engine(midder=lambda: bytes(16), code=MemoDex.GramSureZero, size=300, retry=retry)
    body = 300 - codes.overhead(MemoDex.GramSureZero, False) - 4
    wire: list[tuple[float, Engine, bytes, str]] = []
    arrived: dict[str, float] = {}
    for step in range(400):
        now = round(step * 0.01, 2)
        if now == 0.0:
            a.send_memo("1" * (body * 3), "b", now=now)
        if now == 2.5:
            a.send_memo("2" * (body * 3), "b", now=now)
        for _at, to, data, src in [w for w in wire if w[0] <= now]:
            to.receive_datagram(data, src, now)
        wire = [w for w in wire if w[0] > now]
        for eng, src, dst in ((a, "a", b), (b, "b", a)):
            eng.fuse_ready(now)
            eng.handle_timer(now)
            out = eng.datagrams_to_send()
            if eng is a and now < 2.0:
                out = []  # the outage
            wire += [(round(now + 0.05, 2), dst, data, src) for data, _ in out]
        for memo, _, _ in b.delivered:
            arrived.setdefault(str(memo)[0], now)
        b.delivered.clear()
    assert a.stats.grams_retransmitted >= 4
    assert arrived["2"] < 2.7  # 50 ms each way: it did not wait for the 3 s resends
    assert arrived["1"] >= 3.0
