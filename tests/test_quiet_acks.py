"""Quiet acks and the receiver's hold (Ack v2), the fast policy's evidence of loss.

A fast receiver makes a partial ack once a memo's grams pause for its ack
delay (or at most four ack delays after the first gram it lists), flags it
QUIET when the pause is what made it, sends it twice, and says in `hold` how
long it held the ack since the memo's latest gram. The sender takes every
gram sent with or before an acked one and left out of a quiet ack as lost at
once, and takes the hold out of its RTT sample. Tymes are multiples of 1/64
so sums are exact.
"""

from __future__ import annotations

from helpers import EchoLink, ack_timing, kind_of, wound_pair

from memosim import Memoer
from memosim.core import grams
from memosim.core.codes import MemoDex
from memosim.core.flight import Flight
from memosim.core.flights import Flights
from memosim.core.retry import RetryPolicy
from memosim.core.rto import RttEstimator
from memosim.core.stats import Stats
from memosim.core.surewire import make_ack

SURE = MemoDex.GramSureZero
DELAY = 0.0625
MEMO = "q" * 100  # fifteen grams at size 40


def run(tymist, peer) -> None:
    """One pass: service the peer, then tick."""
    peer.service()
    tymist.tick()


def receiver_clock():
    """(a, b, at): a's grams captured; at(tyme, *grams) delivers them to b at
    tyme and returns every ack b has sent so far as (neck, Ack)."""
    held: list[bytes] = []
    link = EchoLink(drop=lambda g, s, d: not held.append(g))
    a, b, tymist = wound_pair(
        link, code=SURE, size=40, retry={"policy": "fast", "ack_delay": DELAY, "congestion": "none"}
    )
    b.size = 200
    a.memoit(MEMO, "a")  # b plays the receiver
    run(tymist, a)
    data = list(held)
    held.clear()

    def at(tyme: float, *grams_: bytes):
        tymist.tyme = tyme
        for gram in grams_:
            b.echos.append((gram, "a"))
        b.service()
        return [ack_timing(g) for g in held if kind_of(g) == "ack"]

    return data, b, at


def test_a_quiet_ack_waits_for_a_pause_and_goes_twice() -> None:
    data, b, at = receiver_clock()
    g0, g1 = data[:2]
    assert at(1.0, g0) == []
    assert at(1.015625, g1) == []  # a new gram restarts the pause
    assert at(1.0625) == []
    ((neck, ack),) = at(1.078125)  # 1.015625 + the ack delay
    assert (ack.done, ack.quiet, ack.ranges, ack.hold) == (False, True, [(0, 2)], DELAY)
    assert len(at(1.125)) == 1
    copies = at(1.140625)  # the same ack again, an ack delay later, held longer
    assert len(copies) == 2 and copies[1][1].quiet and copies[1][1].hold == 2 * DELAY
    assert copies[1][1].ranges == [(0, 2)]
    assert len(at(1.5)) == 2 and b.stats.acks_sent == 2


def test_a_slow_link_stretches_the_pause_and_one_gram_is_never_quiet() -> None:
    """Grams 0.046875 apart (a link slower than a gram per ack delay): the
    pause that means "no more" is twice the longest wait between them, not
    the ack delay; and a lone gram since the last ack proves no pause."""
    data, _, at = receiver_clock()
    g0, g1, g2 = data[:3]
    assert at(1.0, g0) == []
    acks = at(1.0625)  # one gram: acked after the ack delay, but not quiet
    assert len(acks) == 1 and not acks[0][1].quiet
    assert at(1.09375, g1) == acks and at(1.140625, g2) == acks
    assert at(1.203125) == acks  # 0.0625 after g2 is no pause on this link
    later = at(1.234375)  # 2 * 0.046875 after g2
    assert len(later) == 2 and later[1][1].quiet and later[1][1].ranges == [(0, 3)]


def test_no_ack_is_quiet_without_an_ack_delay() -> None:
    held: list[bytes] = []
    link = EchoLink(drop=lambda g, s, d: not held.append(g))
    a, b, tymist = wound_pair(
        link, code=SURE, size=40, retry={"policy": "fast", "ack_delay": 0, "congestion": "none"}
    )
    a.memoit(MEMO, "a")
    run(tymist, a)
    data = list(held)
    held.clear()
    for n, gram in enumerate(data[:5]):
        tymist.tyme = 1.0 + n / 64
        b.echos.append((gram, "a"))
        b.service()
    acks = [ack_timing(g)[1] for g in held if kind_of(g) == "ack"]
    assert acks and not any(ack.quiet for ack in acks)


def test_a_steady_stream_is_acked_within_four_ack_delays_not_quiet() -> None:
    data, _, at = receiver_clock()
    step = 0.046875  # grams closer together than the ack delay: never a pause
    for n in range(6):
        assert at(2.0 + n * step, data[n]) == []
    acks = at(2.25)  # the first gram's tyme + 4 ack delays
    assert len(acks) == 1
    ack = acks[0][1]
    assert not ack.quiet and ack.ranges == [(0, 6)]
    assert abs(ack.hold - (2.25 - (2.0 + 5 * step))) < 1e-4  # hold: in units of 100 us


def test_done_acks_are_never_quiet_and_hold_from_the_last_gram() -> None:
    data, b, at = receiver_clock()
    for n, gram in enumerate(data):
        acks = at(3.0 + n / 64, gram)
    assert b.inbox and [a.done for _, a in acks] == [True]
    assert acks[0][1].hold == 0.0 and not acks[0][1].quiet


class Sends:
    """Drop rule that loses every gram a sends and logs (num, tyme) of each."""

    def __init__(self) -> None:
        self.log: list[tuple[int, float]] = []
        self.tymist = None

    def __call__(self, gram: bytes, src: str, dst: str) -> bool:
        if src == "a" and kind_of(gram) == "data":
            self.log.append((grams.parse(gram).num, self.tymist.tyme))
        return True


def sender(**retry):
    rule = Sends()
    retry.setdefault("congestion", "none")  # every gram at once
    a, b, tymist = wound_pair(EchoLink(drop=rule), code=SURE, size=40, retry=retry)
    rule.tymist = tymist
    a.memoit(MEMO, "b")
    run(tymist, a)
    mid = next(iter(a.engine.flights.flights))
    return a, tymist, rule, mid, len(rule.log)


def test_a_quiet_ack_shows_its_gaps_lost_at_once_a_paced_one_does_not() -> None:
    for quiet in (True, False):
        a, tymist, rule, mid, count = sender(policy="fast", resend_copies=1)
        calm(a)
        rule.log.clear()
        tymist.tyme = 0.078125  # one round trip and a bit after the burst
        ack = make_ack(
            mid, count, done=False, epoch=1, upto=count, ranges=[(1, count)],
            curt=False, size=200, quiet=quiet, hold=0.03125,
        )  # fmt: skip
        a.absorb(ack, "b")
        a.service()
        if quiet:  # gram 0 was sent with the grams listed: lost, resent now
            assert rule.log == [(0, 0.078125)]
        else:  # it may be late: the time threshold decides, later
            assert rule.log == []


def calm(peer) -> None:
    """Give the peer's estimate of b a calm path (rttvar well inside the ack
    delay), so quiet acks count as evidence."""
    est = peer.engine.flights.dest("b").est
    for _ in range(12):
        est.sample(0.0625)


def test_a_quiet_ack_is_no_evidence_on_a_jittery_path() -> None:
    """While 1.5 rttvar exceeds the ack delay, a pause may be jitter: the
    gap is left to the time threshold."""
    a, tymist, rule, mid, count = sender(policy="fast", resend_copies=1)
    est = a.engine.flights.dest("b").est
    for rtt in (0.03, 0.09) * 6:
        est.sample(rtt)
    assert 1.5 * est.rttvar > a.engine.retry.ack_delay_s
    rule.log.clear()
    tymist.tyme = 0.078125
    ack = make_ack(
        mid, count, done=False, epoch=1, upto=count, ranges=[(1, count)],
        curt=False, size=200, quiet=True, hold=0.03125,
    )  # fmt: skip
    a.absorb(ack, "b")
    a.service()
    assert rule.log == []


def test_the_hold_is_taken_out_of_rtt_samples_down_to_min_rtt() -> None:
    est = RttEstimator()
    assert est.acked(1.0, 1.125, retransmitted=False, ack_delay=0.03125)
    assert est.min_rtt == 0.125 and est.srtt == 0.125  # 0.09375 is below min_rtt: kept whole
    assert est.acked(2.0, 2.1875, retransmitted=False, ack_delay=0.046875)  # 0.140625
    assert est.min_rtt == 0.125
    assert est.srtt == 0.875 * 0.125 + 0.125 * 0.140625
    assert est.rttvar == 0.75 * 0.0625 + 0.25 * (0.140625 - 0.125)
    assert not est.acked(3.0, 3.2, retransmitted=True, ack_delay=0.0) and est.samples == 2


def test_the_probe_timeout_leaves_out_the_ack_delay_for_a_memos_last_grams() -> None:
    """The receiver acks a delivery at once, so when the grams outstanding are
    the last it lacks, waiting for its ack delay as well only adds latency."""
    out: list = []
    policy = RetryPolicy(policy="fast")
    flights = Flights(txgs=out, failures=[], stats=Stats(), retry=policy)
    est = RttEstimator()
    est.sample(0.04)  # srtt 0.04, rttvar 0.02
    memo = Memoer(code=SURE, size=40)
    flight = Flight(MEMO, "b", None, "m", memo.rend(MEMO), 0.0)
    flight.outstanding = {0: 0.0, 1: 0.0}
    assert flights._wait(est, 0, flight) == 0.04 + 4 * 0.02 + policy.ack_delay_s
    flight.acked_count = flight.count - 2  # these two are all it lacks
    assert flights._wait(est, 0, flight) == 0.04 + 4 * 0.02
    assert flights._wait(est, 1, flight) == 2 * (0.04 + 4 * 0.02)  # backed off
