"""Acked ("Sure") delivery: the defaults, and where each part lives.

hio 0.7.20 reserves the Sure and Ack codes but never implemented them; this
package defines them (docs/acked-delivery.md is the reference):

- surewire.py: the bytes (Sure payload tag, Ack body with its check);
- acker.py: the receiver, which acks held, delivered and rejected memos;
- flights.py: the sender, which tracks, retries and gives up on memos;
- delivered.py: the receiver's per-source memory of delivered memo ids;
- rto.py: the retransmission timeout estimator.
"""

from __future__ import annotations

from .acker import Acker, AckOut
from .flight import Flight
from .flights import MAX_DESTS, MAX_FLIGHTS, MAX_TRIES, MAX_TYME, WINDOW, Flights
from .retry import RetryPolicy
from .surewire import Ack, AckError, Range, capacity, make_ack, ranges_of

ACK_DELAY = RetryPolicy().ack_delay_s  # tyme an ack waits to cover more grams

__all__ = [
    "ACK_DELAY",
    "MAX_DESTS",
    "MAX_FLIGHTS",
    "MAX_TRIES",
    "MAX_TYME",
    "WINDOW",
    "Ack",
    "AckError",
    "AckOut",
    "Acker",
    "Flight",
    "Flights",
    "Range",
    "capacity",
    "make_ack",
    "ranges_of",
]
