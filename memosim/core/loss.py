"""Loss detection of the fast retry policy: which outstanding grams of a memo are lost.

RFC 9002 section 6.1 with per-memo acks, and memosim's quiet acks
(docs/acked-delivery.md, "Retry policies"). Pure: a Flight, the RTT
estimate, the policy and the tyme in; gram numbers out, and the Flight's
`loss_time` set for the next gram the time threshold will catch.

- Packet threshold [6.1.1]: a gram sent before the newest acked one, in
  send order and in tyme, is lost once `packet_threshold` later sends were
  acked.
- Time threshold [6.1.2]: a gram sent before the newest acked one (in send
  order) is lost once older than the loss delay: time_threshold times the
  larger of the smoothed and latest RTT, and at least srtt + 4 rttvar,
  since jitter reorders grams sent together.
- Quiet acks: an ack made after a pause in the memo's grams (`quiet`: the
  send tyme of the newest gram it newly acks) condemns every gram sent no
  later than that, burst mates included, while the path's jitter is well
  inside the receiver's pause (K_QUIET_JITTER rttvar <= ack_delay).
- A gram sent after the newest acked one is no candidate (no evidence yet),
  nor is one at or past the ack's `upto` (not described by it). Acks are
  per memo, so only the memo's own acks are evidence.
"""

from __future__ import annotations

from .flight import Flight
from .retry import RetryPolicy
from .rto import K as K_RTO
from .rto import RttEstimator

__all__ = ["K_QUIET_JITTER", "lost_grams"]

K_QUIET_JITTER = 1.5  # quiet acks are evidence while this many rttvar fit the ack delay


def lost_grams(
    flight: Flight, est: RttEstimator, retry: RetryPolicy, now: float, quiet: float | None
) -> list[int]:
    """The outstanding grams of flight found lost at now (see the module)."""
    largest = flight.largest_pn
    flight.loss_time = None
    if largest < 0:
        return []
    base = est.srtt if est.srtt is not None else retry.init_rto
    latest = base if est.latest is None else max(base, est.latest)
    var = est.rttvar if est.rttvar is not None else base / 2
    delay = max(retry.time_threshold * latest, base + K_RTO * var)
    if K_QUIET_JITTER * var > retry.ack_delay_s:
        quiet = None  # the path's jitter may be longer than the receiver's pause
    burst = flight.largest_sent
    lost: list[int] = []
    for num, at in flight.outstanding.items():
        if num >= flight.upto:
            continue
        if quiet is not None and at <= quiet:
            lost.append(num)
            continue
        pn = flight.pns.get(num, largest + 1)
        if pn > largest:
            continue  # sent after the newest acked gram: no evidence yet
        if (largest - pn >= retry.packet_threshold and at < burst) or at <= now - delay:
            lost.append(num)
        elif flight.loss_time is None or at + delay < flight.loss_time:
            flight.loss_time = at + delay
    return lost
