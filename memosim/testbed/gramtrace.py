"""A run's trace that also knows which gram each datagram was.

:class:`GramTrace` is a :class:`~memosim.sim.trace.Trace` (same lines, same
digest) that, as events are recorded, counts spurious retransmissions: data
grams sent again although an identical copy had already been delivered to
the same destination. With ``keep=True`` it also keeps one payload per
payload hash, and which original each corrupted copy came from, so that
:mod:`memosim.testbed.timeline` can tell every event's memo id, gram number
and code after the run.
"""

from __future__ import annotations

from ..core import grams
from ..core.codes import AckDex
from ..sim import Trace
from ..sim.trace import Address

__all__ = ["ACK_CODES", "GramTrace", "is_ack"]


#: Codes of ack grams (they name the memo id they acknowledge).
ACK_CODES = frozenset((AckDex.Ack, AckDex.AckAuth))


def is_ack(data: bytes) -> bool:
    """True when data parses as an ack gram; unparseable data is no ack."""
    try:
        return grams.parse(data).code in ACK_CODES
    except grams.GramError:
        return False


class GramTrace(Trace):
    """A Trace that counts spurious retransmissions as it goes and, with
    keep, keeps the payloads behind the events.

    Attributes:
        spurious: data grams sent although an identical copy had already
            been delivered to that destination before the send.
        payloads: payload hash -> payload, first seen (keep only).
        origin: hash of a corrupted copy -> hash of the datagram it was.
    """

    def __init__(self, keep: bool = True) -> None:
        super().__init__(keep=keep)
        self.spurious = 0
        self.payloads: dict[str, bytes] = {}
        self.origin: dict[str, str] = {}
        # payload hash -> the destination it was delivered to (a set of them
        # in the rare case of one payload delivered to several): keyed by the
        # hash string, whose hash Python caches, not by a new (dst, hash) tuple
        # hashed afresh at every event
        self._delivered: dict[str, Address | set[Address]] = {}
        self._sent_hash = ""

    def record(
        self,
        time: float,
        kind: str,
        src: Address,
        dst: Address,
        size: int,
        reason: str,
        data: bytes,
        phash: str | None = None,
    ) -> str:
        h = super().record(time, kind, src, dst, size, reason, data, phash)
        if kind == "deliver":
            seen = self._delivered.get(h)
            if seen is None:
                self._delivered[h] = dst
            elif isinstance(seen, set):
                seen.add(dst)
            elif seen != dst:
                self._delivered[h] = {seen, dst}
        elif kind == "send":
            self._sent_hash = h
            seen = self._delivered.get(h)
            if (
                seen is not None
                and (dst in seen if isinstance(seen, set) else seen == dst)
                and not is_ack(data)
            ):
                self.spurious += 1
        elif kind == "corrupt":  # the copy of the datagram just sent, now with a flipped bit
            self.origin.setdefault(h, self._sent_hash)
        if self.keep and h not in self.payloads:
            self.payloads[h] = data
        return h
