"""RFC 6298 retransmission timeout (RTO) estimator. No clock: callers pass tymes.

Rules (RFC 6298 section numbers in brackets):

- Before the first RTT sample the RTO is K_INITIAL_RTO [2.1].
- The first sample R sets SRTT = R, RTTVAR = R/2 [2.2]; each later sample
  sets RTTVAR = (1 - K_BETA) * RTTVAR + K_BETA * |SRTT - R| and then
  SRTT = (1 - K_ALPHA) * SRTT + K_ALPHA * R [2.3], in that order.
- RTO = SRTT + max(G, K * RTTVAR), clamped to [min_rto, max_rto] [2.4, 2.5].
- Karn's rule: a gram that was sent more than once gives no sample, since
  its ack cannot tell which copy it answers [3].
- Ack delay (RFC 9002 section 5.3, used by the fast policy): a sample is
  taken less the tyme the receiver says it held the ack, unless that would
  take it below the smallest sample seen (min_rtt).
- Backoff: each timeout doubles the timeout, up to max_rto [5.5]. The
  estimator keeps the unbacked RTO; `backed_off(n)` is the timeout after n
  timeouts. memosim backs off per gram, not per destination (see
  docs/acked-delivery.md): a destination carries many independent memos and
  grams, and a burst of timeouts across them must not compound into one
  huge RTO that stalls every other memo.
- Karn's backoff [5.5, Karn]: an ack of a resent gram gives no sample, but
  it still bounds the RTT from below by the tyme since the last copy; when
  that bound reaches the RTO, the RTO is provably too short, and new grams
  keep that gram's backoff until a valid sample (`refused`, `timed_out`;
  `backed_off` takes the larger of it and a gram's own). Without it a round
  trip longer than the RTO (a long path, slow acks, a delay spike) is never
  learnt: every gram times out before its ack, every ack is of a resent
  gram, and Karn's rule refuses every sample. Only proof keeps a backoff:
  kept on every timeout, or every refused ack, it would hold a destination
  whose grams are mostly lost and resent (long outages, 30% loss) at a
  large backoff, where a timeout is no evidence of a long round trip.
  Before the first sample every timeout keeps its backoff (`expired`), as
  RFC 6298 5.7 does for a lost SYN: a first round trip longer than the
  initial RTO is then learnt whatever its length.

K_MIN_RTO is 0.2 s, not RFC 6298's 1 s. The RFC's 1 s floor guards against
spurious retransmissions caused by delayed acks of up to 500 ms and coarse
clocks. A memosim receiver holds an ack at most `ackDelay` (0.05 s by
default) and tyme is a float, so 0.2 s still leaves four ack delays of margin
(plus a few scheduler tocks of 1/32 s). A spurious retransmission here costs
one duplicate gram that the receiver drops and re-acks, and it cuts the
congestion window (congestion.py) only when the path shows a standing
queue. 0.2 s is also Linux's TCP_RTO_MIN.
"""

from __future__ import annotations

K_ALPHA = 1 / 8  # SRTT gain
K_BETA = 1 / 4  # RTTVAR gain
K = 4  # RTTVAR multiplier
K_INITIAL_RTO = 1.0  # seconds, before any sample
K_MIN_RTO = 0.2  # seconds; see the module docstring for why not 1 s
K_MAX_RTO = 60.0  # seconds; the RFC asks for at least 60
K_GRANULARITY = 0.001  # G: tyme granularity, seconds


class RttEstimator:
    """Smoothed RTT and RTO for one destination.

    srtt: smoothed round-trip time, None before the first sample.
    rttvar: round-trip time variation, None before the first sample.
    rto: current timeout without backoff, clamped to [min_rto, max_rto].
    samples: count of samples taken.
    """

    __slots__ = (
        "srtt",
        "rttvar",
        "rto",
        "samples",
        "min_rto",
        "max_rto",
        "granularity",
        "min_rtt",
        "latest",
        "backoff",
    )

    def __init__(
        self,
        *,
        initial_rto: float = K_INITIAL_RTO,
        min_rto: float = K_MIN_RTO,
        max_rto: float = K_MAX_RTO,
        granularity: float = K_GRANULARITY,
    ) -> None:
        if not 0.0 < min_rto <= max_rto:
            raise ValueError(f"need 0 < min_rto <= max_rto, got {min_rto}, {max_rto}")
        self.min_rto = float(min_rto)
        self.max_rto = float(max_rto)
        self.granularity = float(granularity)
        self.srtt: float | None = None
        self.rttvar: float | None = None
        self.samples = 0
        self.min_rtt: float | None = None  # smallest raw sample
        self.latest: float | None = None  # the last sample taken (less the ack delay)
        self.backoff = 0  # timeouts whose backoff new grams keep until a valid sample
        self.rto = self._clamp(float(initial_rto))

    def _clamp(self, rto: float) -> float:
        return min(max(rto, self.min_rto), self.max_rto)

    def sample(self, rtt: float) -> None:
        """Fold one round-trip time measurement into SRTT, RTTVAR and RTO."""
        if rtt < 0.0:
            return  # tyme never runs backwards; ignore rather than corrupt
        if self.srtt is None or self.rttvar is None:
            self.srtt = rtt
            self.rttvar = rtt / 2
        else:
            self.rttvar = (1 - K_BETA) * self.rttvar + K_BETA * abs(self.srtt - rtt)
            self.srtt = (1 - K_ALPHA) * self.srtt + K_ALPHA * rtt
        self.samples += 1
        self.backoff = 0
        self.rto = self._clamp(self.srtt + max(self.granularity, K * self.rttvar))

    def acked(
        self, sent: float, now: float, *, retransmitted: bool, ack_delay: float = 0.0
    ) -> bool:
        """Take the sample now - sent unless Karn's rule forbids it, less
        ack_delay when that leaves it at or above min_rtt.

        Returns True when a sample was taken.
        """
        if retransmitted:
            return False
        rtt = now - sent
        if rtt < 0.0:
            return False
        if self.min_rtt is None or rtt < self.min_rtt:
            self.min_rtt = rtt
        if ack_delay > 0.0 and rtt - ack_delay >= self.min_rtt:
            rtt -= ack_delay
        self.latest = rtt
        self.sample(rtt)
        return True

    def probe_timeout(self, max_ack_delay: float) -> float:
        """RFC 9002's probe timeout [6.2.1]: srtt + max(4 rttvar, G) +
        max_ack_delay, with no floor; the initial RTO before any sample."""
        if self.srtt is None or self.rttvar is None:
            return self.rto
        return min(self.srtt + max(self.granularity, K * self.rttvar) + max_ack_delay, self.max_rto)

    def refused(self, sent: float, now: float, sends: int) -> None:
        """Karn refused the ack of a gram sent `sends` times, last at `sent`:
        the RTT is at least now - sent, whichever copy the ack answers; when
        that is the RTO or more, keep the gram's backoff for new grams."""
        if sends > 1 and now - sent >= self.rto:
            self.timed_out(sends)

    def expired(self, timeouts: int) -> None:
        """A gram timed out for the `timeouts`-th time. Before the first
        sample nothing tells a lost gram from a round trip longer than the
        initial RTO, so, as RFC 6298 5.7 raises its initial RTO after a lost
        SYN, new grams keep that backoff until a sample."""
        if self.samples == 0:
            self.timed_out(timeouts)

    def timed_out(self, timeouts: int) -> None:
        """A gram timed out for the `timeouts`-th time: until the next valid
        sample every gram waits at least that backoff (the largest counts, so
        a burst of timeouts does not compound)."""
        if timeouts > self.backoff:
            self.backoff = timeouts

    def backed_off(self, timeouts: int) -> float:
        """Timeout after `timeouts` consecutive timeouts of a gram, or after
        the destination's backoff if larger: rto doubled each, capped."""
        timeouts = max(timeouts, self.backoff)
        if timeouts <= 0:
            return self.rto
        if timeouts >= 64:  # 2**64 * min_rto is far past any max_rto
            return self.max_rto
        return min(self.rto * (1 << timeouts), self.max_rto)
