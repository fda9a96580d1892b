"""A run's trace, which also knows which gram each datagram was.

Every sim run's trace counts spurious retransmissions: data grams sent
again although an identical copy had already been delivered to the same
destination (:func:`run_trace`; the counting is
:class:`~memosim.sim.trace.Trace`'s own, told here which payloads are data).
A run that keeps its events uses a :class:`GramTrace`, which also keeps
one payload per payload hash, and which original each corrupted copy came
from, so that :mod:`memosim.testbed.timeline` can tell every event's memo
id, gram number and code after the run.
"""

from __future__ import annotations

from ..core import grams
from ..core.codes import AckDex
from ..sim import Trace
from ..sim.trace import Address

__all__ = ["ACK_CODES", "GramTrace", "is_ack", "is_data", "run_trace"]


#: Codes of ack grams (they name the memo id they acknowledge).
ACK_CODES = frozenset((AckDex.Ack, AckDex.AckAuth))


def is_ack(data: bytes) -> bool:
    """True when data parses as an ack gram; unparseable data is no ack."""
    try:
        return grams.parse(data).code in ACK_CODES
    except grams.GramError:
        return False


def is_data(data: bytes) -> bool:
    """True unless data parses as an ack gram: what a spurious copy is of."""
    return not is_ack(data)


def run_trace(keep: bool) -> Trace:
    """The trace a sim run records into: a :class:`GramTrace` when it keeps
    its events, else a plain Trace; both count spurious retransmissions."""
    return GramTrace() if keep else Trace(keep=False, spurious_if=is_data)


class GramTrace(Trace):
    """A kept Trace that also keeps the payloads behind its events.

    Attributes:
        payloads: payload hash -> payload, first seen.
        origin: hash of a corrupted copy -> hash of the datagram it was.
    """

    def __init__(self) -> None:
        super().__init__(keep=True, spurious_if=is_data)
        self.payloads: dict[str, bytes] = {}
        self.origin: dict[str, str] = {}
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
        if kind == "send":
            self._sent_hash = h
        elif kind == "corrupt":  # the copy of the datagram just sent, now with a flipped bit
            self.origin.setdefault(h, self._sent_hash)
        if h not in self.payloads:
            self.payloads[h] = data
        return h
