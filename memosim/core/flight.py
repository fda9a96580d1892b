"""The sender's records: one Sure memo in flight, and one destination's state.

Flight holds what the sender knows of one memo (its grams, which are acked,
when each was last sent, the receiver's epoch, the fast policy's packet
numbers); Dest holds a destination's RTT estimate, window use and queue.
flights.py is the state machine that moves them.
"""

from __future__ import annotations

from collections import deque

from . import grams
from .aliases import Address, Memo
from .congestion import NewReno
from .rto import RttEstimator
from .surewire import SURE_PREFIX, SURE_VERSION

_SURE_LEAD = bytes([SURE_VERSION])

__all__ = ["Dest", "Flight"]


class Flight:
    """One Sure memo being delivered.

    memo, dst, vid: as given to memoit. rvid: the receiver's vid that must
    sign its acks (signed memos), else None. mid: its memo id. grams: its
    grams, kept until a done ack (a receiver may lose what it held). count:
    gram count. born: tyme it was rended. tx: transmissions per gram. unsent:
    gram numbers waiting for the window. outstanding: gram number -> tyme
    last sent, for grams sent and not acked. acked: 1 per acked gram;
    acked_count: how many. epoch: the receiver record the acks describe (None
    before the first ack). quiet: tyme every gram was last found acked, for
    probing. probes: probes sent. due: tyme of the next timeout or probe.
    queued: in its Dest's queue. reply: the address its acks come from (dst,
    unless the transport said otherwise: a host name's numeric address).
    """

    __slots__ = (
        "memo",
        "dst",
        "vid",
        "rvid",
        "mid",
        "grams",
        "count",
        "born",
        "tx",
        "unsent",
        "outstanding",
        "acked",
        "acked_count",
        "epoch",
        "quiet",
        "probes",
        "due",
        "queued",
        "dead",
        "pns",
        "largest_pn",
        "largest_sent",
        "loss_time",
        "upto",
        "reply",
    )

    def __init__(
        self,
        memo: Memo,
        dst: Address,
        vid: str | None,
        mid: str,
        grams_: list[bytes],
        born: float,
        rvid: str | None = None,
        reply: Address = None,
    ) -> None:
        self.memo = memo
        self.dst = dst
        self.reply = dst if reply is None else reply
        self.vid = vid
        self.rvid = rvid
        self.mid = mid
        self.grams = grams_
        self.count = len(grams_)
        self.born = born
        self.tx = [0] * self.count
        self.unsent: deque[int] = deque(range(self.count))
        self.outstanding: dict[int, float] = {}
        self.acked = bytearray(self.count)
        self.acked_count = 0
        self.epoch: int | None = None
        self.quiet = born
        self.probes = 0
        self.due: float | None = None
        self.queued = False
        self.dead = False
        # fast policy: the packet number of each gram's last send, the newest
        # acked one and its send tyme, and when the time threshold next fires
        self.pns: dict[int, int] = {}
        self.largest_pn = -1
        self.largest_sent = -1.0
        self.loss_time: float | None = None
        self.upto = self.count  # the last partial ack describes grams below this

    def tag(self) -> bytes:
        """The Sure tag its grams carry (surewire.py), which a done ack must name."""
        head = b""
        for gram in self.grams:  # the tag may span grams when they are small
            head += grams.parse(gram).body
            if len(head) >= SURE_PREFIX:
                break
        return head[1:SURE_PREFIX] if head[:1] == _SURE_LEAD else b""


class Dest:
    """Per-destination state: RTT estimate, congestion window (None: the
    fixed window alone), grams in flight, memos waiting."""

    __slots__ = ("est", "cc", "inflight", "queue", "flights", "pn")

    def __init__(self, est: RttEstimator, cc: NewReno | None = None) -> None:
        self.est = est
        self.cc = cc
        self.inflight = 0
        self.queue: deque[Flight] = deque()
        self.flights = 0
        self.pn = 0  # fast policy: the next transmission's packet number
