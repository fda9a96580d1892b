"""A run's trace, which also knows which gram each datagram was.

Every sim run's trace counts spurious retransmissions: data grams sent
again although an identical copy had already been delivered to the same
destination (:func:`run_trace`; the counting is
:class:`~memosim.sim.trace.Trace`'s own, told here which payloads are data).
A run that keeps its events uses a :class:`GramTrace`, which also keeps
every distinct payload (two with one CRC-32 apart), and which original each corrupted copy came
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
        payloads: payload key -> payload, first seen. The key is the payload
            hash, except for a payload whose hash an earlier, different
            payload has (CRC-32 collides from some 65,000 payloads on): it
            gets ``<hash>~<n>``, and ``alias`` names it for its events.
        alias: event number (from 0) -> its payload key, where that is not
            the event's payload hash.
        origin: key of a corrupted copy -> key of the datagram it was.
    """

    def __init__(self) -> None:
        super().__init__(keep=True, spurious_if=is_data)
        self.payloads: dict[str, bytes] = {}
        self.alias: dict[int, str] = {}
        self.origin: dict[str, str] = {}
        self._others: dict[str, list[tuple[bytes, str]]] = {}  # hash -> later payloads, keys
        self._sent_key = ""
        self._events = 0

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
        key = h
        known = self.payloads.get(h)
        if known is None:
            self.payloads[h] = data
        elif known is not data and known != data:
            key = self.alias[self._events] = self._other_key(h, data)
        self._events += 1
        if kind == "send":
            self._sent_key = key
        elif kind == "corrupt":  # the copy of the datagram just sent, now with a flipped bit
            self.origin.setdefault(key, self._sent_key)
        return h

    def _other_key(self, h: str, data: bytes) -> str:
        """The key of a payload that is not the first with hash h (rare)."""
        others = self._others.setdefault(h, [])
        for known, key in others:
            if known == data:
                return key
        key = f"{h}~{len(others) + 1}"
        others.append((bytes(data), key))
        self.payloads[key] = bytes(data)
        return key

    def payload_key(self, event: int, phash: str) -> str:
        """The payloads key of event number `event`, whose hash is phash."""
        return self.alias.get(event, phash)

    def payload_of(self, event: int) -> bytes:
        """The payload of event number `event`."""
        return self.payloads[self.payload_key(event, self.events[event].phash)]
