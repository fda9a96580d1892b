"""Congestion control of acked delivery: a NewReno window per destination.

Acked delivery (flights.py) sends at most `window` grams per destination
unacked; with a congestion controller it sends at most the controller's
window, which follows RFC 9002 section 7 (QUIC's NewReno), counted in grams
rather than bytes (a gram is at most one datagram; section numbers in
brackets). No clock: callers pass tymes.

- Slow start [7.3.1]: the window starts at `initial` grams and grows by one
  per gram acked until the slow start threshold, then by 1/window per gram
  acked (congestion avoidance [7.3.3]), never past `maximum` (the policy's
  fixed window, which stays the ceiling).
- A window that is not full does not grow [7.8]: the caller says, as it
  sends, whether grams were left waiting for the window (`limited`).
- A loss event halves the window (kLossReductionFactor 0.5) and starts a
  recovery period [7.3.2]; a gram sent before the period started that is
  found lost belongs to the same event, so several losses of one burst cut
  the window once. Acks of grams sent before the period do not grow it.
- Persistent congestion [7.6]: grams lost over longer than 3 probe timeouts
  (srtt + max(4 rttvar, G) + ack delay, times 3) with no gram sent in
  between acked collapse the window to `MIN_WINDOW` [7.6.2].

One addition, for networks whose loss is mostly random (those memosim
emulates): a loss is taken for congestion only while the path shows a
standing queue, the smoothed RTT at least `QUEUE_RATIO` (1.5) times the
lowest smoothed RTT seen on it and at least that floor plus the ack delay
(a receiver holds a partial ack up to that long, which lifts RTT samples
with no queue at all); so never before the first RTT sample: a first
timeout after the initial RTO says nothing of a queue. A queue that
overflows holds the round trip well above its floor; a link that loses 5% at
random does not, and halving the window there would throttle a sender the
path has room for (NewReno's rate at loss p is about 1.22 / sqrt(p) grams
per RTT: 5.5 at 5%, under the 8 grams a 2 Mbit/s, 40 ms path holds).
Persistent congestion needs no queue: it is the reaction to a path that
stopped carrying anything.

The floor is learnt from the flow's own first round trips, so a flow that
starts behind others in a shared queue learns a floor that includes part of
their queue, and then takes less of the queue for congestion than they do
(and more than its share of the link). The initial window is therefore 4
grams by default (RetryPolicy.initial_window), not RFC 9002's 10: four
senders starting together put 16 grams ahead of the last one's first ack,
not 40 (scenarios/incast.toml measures it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .rto import RttEstimator
from .stats import Stats

__all__ = [
    "CONGESTION",
    "K_LOSS_REDUCTION",
    "K_PERSISTENT_THRESHOLD",
    "MIN_WINDOW",
    "QUEUE_RATIO",
    "NewReno",
    "acked",
    "forget",
    "lost",
]

#: The controllers a RetryPolicy may name: "none" is the fixed window alone.
CONGESTION = ("newreno", "none")
K_LOSS_REDUCTION = 0.5  # window kept after a loss event [7.3.2]
K_PERSISTENT_THRESHOLD = 3  # probe timeouts of loss that are persistent congestion [7.6.1]
MIN_WINDOW = 2  # grams: the window never falls below it [7.2]
QUEUE_RATIO = 1.5  # a loss is congestion when srtt >= this times the lowest srtt
K_GRANULARITY = 0.001  # G, seconds, as in rto.py
EVENT = "event"  # what on_lost did: cut the window once for a loss event
PERSISTENT = "persistent"  # or collapsed it (persistent congestion)


class NewReno:
    """The congestion window toward one destination.

    cwnd: the window in grams (a float: congestion avoidance adds fractions).
    ssthresh: slow start threshold (inf until the first loss event).
    recovery_start: tyme the current recovery period began (None: none yet).
    min_srtt: the lowest smoothed RTT seen, the path's floor.
    limited: the sender left grams waiting for the window at its last send.
    fresh: grams on their first transmission in flight, which the window
    bounds (the sender keeps the count; see flights.py).
    loss_events, persistent: windows cut by a loss event, collapses.
    """

    __slots__ = (
        "cwnd",
        "ssthresh",
        "maximum",
        "recovery_start",
        "min_srtt",
        "limited",
        "fresh",
        "largest_acked_sent",
        "first_lost",
        "loss_events",
        "persistent",
    )

    def __init__(self, *, initial: int = 4, maximum: int = 64) -> None:
        if not 1 <= maximum:
            raise ValueError(f"need maximum >= 1, got {maximum}")
        self.maximum = float(maximum)
        self.cwnd = float(min(max(initial, MIN_WINDOW), maximum))
        self.ssthresh = float("inf")
        self.recovery_start: float | None = None
        self.min_srtt: float | None = None
        self.limited = False
        self.fresh = 0  # grams on their first transmission in flight (the sender counts)
        self.largest_acked_sent = float("-inf")
        self.first_lost: float | None = None  # oldest loss not followed by an ack
        self.loss_events = 0
        self.persistent = 0

    def window(self) -> int:
        """Grams that may be unacked in flight now."""
        return max(min(int(self.cwnd), int(self.maximum)), min(MIN_WINDOW, int(self.maximum)))

    def in_recovery(self, sent: float) -> bool:
        """True when a gram sent at `sent` was sent before the recovery period began."""
        return self.recovery_start is not None and sent <= self.recovery_start

    def on_acked(self, grams: int, sent: float, srtt: float | None) -> None:
        """`grams` grams newly acked, the newest of them sent at `sent`; srtt:
        the smoothed RTT after this ack's sample."""
        if srtt is not None and (self.min_srtt is None or srtt < self.min_srtt):
            self.min_srtt = srtt
        if sent > self.largest_acked_sent:
            self.largest_acked_sent = sent
            if self.first_lost is not None and self.first_lost < sent:
                self.first_lost = None  # a later gram got through: the run of loss ended
        if grams <= 0 or self.in_recovery(sent) or not self.limited:
            return
        if self.cwnd < self.ssthresh:
            self.cwnd += grams
        else:
            self.cwnd += grams / self.cwnd
        if self.cwnd > self.maximum:
            self.cwnd = self.maximum

    def congested(self, srtt: float | None, ack_delay: float = 0.0) -> bool:
        """Whether a loss now is taken as congestion (see the module docstring)."""
        if srtt is None or self.min_srtt is None:
            return False  # no round trip measured yet: no evidence of a queue either
        floor = self.min_srtt
        return srtt >= max(QUEUE_RATIO * floor, floor + ack_delay)

    def on_lost(
        self,
        sent: float,
        now: float,
        *,
        srtt: float | None,
        rttvar: float | None,
        ack_delay: float,
    ) -> str | None:
        """A gram sent at `sent` was declared lost at `now`. Returns EVENT
        when this cut the window, PERSISTENT when it collapsed it, else None
        (a loss of the current event, or one with no queue behind it)."""
        if srtt is not None and rttvar is not None and sent > self.largest_acked_sent:
            if self.first_lost is None or sent < self.first_lost:
                self.first_lost = sent
            span = (srtt + max(4 * rttvar, K_GRANULARITY) + ack_delay) * K_PERSISTENT_THRESHOLD
            if sent - self.first_lost >= span:
                if not self.in_recovery(sent):
                    self.ssthresh = max(self.cwnd * K_LOSS_REDUCTION, float(MIN_WINDOW))
                self.cwnd = float(MIN_WINDOW)
                self.recovery_start = None  # slow start again from the first ack [7.6.2]
                self.first_lost = None
                self.persistent += 1
                return PERSISTENT
        if self.in_recovery(sent) or not self.congested(srtt, ack_delay):
            return None
        self.recovery_start = now
        self.ssthresh = max(self.cwnd * K_LOSS_REDUCTION, float(MIN_WINDOW))
        self.cwnd = self.ssthresh
        self.loss_events += 1
        return EVENT


# ---- the sender's hooks (flights.py calls these; cc None: the fixed window) ----


def acked(cc: NewReno | None, grams: int, sent: float, srtt: float | None) -> None:
    """`grams` grams newly acked, the newest sent at `sent`: may grow the window."""
    if cc is not None:
        cc.on_acked(grams, sent, srtt)


def forget(cc: NewReno | None, tx: Sequence[int], nums: Iterable[int]) -> None:
    """Outstanding grams `nums` (transmission counts `tx`) leave flight (acked,
    dropped) or are sent again: those on their first transmission no longer
    hold the window."""
    if cc is not None:
        fresh = 0
        for n in nums:  # a loop, not sum(genexpr): once or more per ack and per resend
            if tx[n] == 1:
                fresh += 1
        cc.fresh -= fresh


def lost(
    cc: NewReno | None, sent: float, now: float, est: RttEstimator, ack_delay: float, stats: Stats
) -> None:
    """A gram last sent at `sent` was declared lost at `now`: may cut the
    window; a cut or a collapse is counted in `stats`."""
    if cc is None:
        return
    what = cc.on_lost(sent, now, srtt=est.srtt, rttvar=est.rttvar, ack_delay=ack_delay)
    if what == EVENT:
        stats.loss_events += 1
    elif what == PERSISTENT:
        stats.persistent_congestion += 1
