"""The datagram event log of a run and its SHA-256 digest.

Every datagram event becomes one text line::

    <time> <kind> <src> <dst> <size> <reason> <payload-hash>

- time: sim seconds with exactly 9 decimals (``%.9f``, nanoseconds);
- kind: send, drop, duplicate, deliver, corrupt or reorder;
- src, dst: ``host:port`` (``[host]:port`` when the host holds a colon);
- size: payload bytes (UDP payload, no headers);
- reason: why a datagram was dropped (``loss``, ``queue``, ...), ``-`` else;
- payload-hash: CRC-32 of the payload as 8 hex digits (zlib.crc32): cheap,
  enough to tell grams apart in a trace and to catch any flipped bit.

Lines end with ``\\n``. :meth:`Trace.digest` is SHA-256 (hex) over the UTF-8
text of all lines in order, so two runs agree on the digest exactly when
they agree on every event. ``Trace(keep=False)`` keeps only the running
digest and the per-kind counts, for runs too big to hold in memory.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import NamedTuple, TypeAlias, cast

__all__ = ["KINDS", "Address", "Trace", "TraceEvent", "format_addr", "payload_hash"]

KINDS = ("send", "drop", "duplicate", "deliver", "corrupt", "reorder")

_FLUSH = 1024 * 7  # fields (7 per event) buffered before they are hashed
_LINE = "%.9f %s %s %s %d %s %s\n"  # one event, see the module docstring

#: A datagram end: ``(host, port)`` on every network here; anything else is
#: shown by its ``str`` (see :func:`format_addr`).
Address: TypeAlias = Hashable
#: One event's fields in :data:`_LINE`'s order (time, kind, src, dst, size, reason, phash).
_Row: TypeAlias = tuple[float, str, str, str, int, str, str]


class TraceEvent(NamedTuple):
    """One datagram event."""

    time: float
    """Sim time in seconds."""
    kind: str
    """One of :data:`KINDS`."""
    src: str
    """Source address as ``host:port``."""
    dst: str
    """Destination address as ``host:port``."""
    size: int
    """Payload bytes."""
    reason: str
    """Drop reason, ``-`` for events that are not drops."""
    phash: str
    """CRC-32 of the payload, 8 hex digits."""

    def line(self) -> str:
        """The event's line in the serialisation, with its newline."""
        return _LINE % self


def format_addr(ha: Address) -> str:
    """``(host, port)`` as ``host:port``; a host with a colon gets brackets."""
    try:
        host, port = cast("Iterable[object]", ha)  # not a pair: shown by its str below
    except (TypeError, ValueError):
        return str(ha).replace(" ", "_")
    host = str(host).replace(" ", "_")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def payload_hash(data: bytes) -> str:
    """The short payload hash used in trace lines."""
    return "%08x" % zlib.crc32(data)  # noqa: UP031


class Trace:
    """Records datagram events; see the module docstring for the format.

    Parameters:
        keep: True keeps every event (``events``, ``serialise``, ``diff``);
            False keeps only the running digest and the counts.
        spurious_if: when given, ``spurious`` counts the sends of a payload
            already delivered to that destination for which
            ``spurious_if(payload)`` is true (a retransmission the receiver
            did not need; the predicate tells data from, say, acks).
            Counted inline: a run records two events per datagram.
    """

    def __init__(
        self, keep: bool = True, *, spurious_if: Callable[[bytes], bool] | None = None
    ) -> None:
        self.keep = keep
        self.spurious = 0
        self._spurious_if = spurious_if
        # (payload hash, first 32 bytes) -> the destination it was delivered
        # to (a set of them when one payload went to several); None: not
        # counting. The CRC-32 alone is no identity: two of ~65,000 payloads
        # likely share one, and a first send would count as a resend of the
        # other. The head tells them apart at a slice's cost (a second
        # checksum over every delivery cost 3% of a run): for a gram it is
        # its code, number and memo id, which fix the rest of it.
        self._delivered: dict[tuple[str, bytes], Address | set[Address]] | None = (
            None if spurious_if is None else {}
        )
        self._crcs: set[str] = set()  # payload hashes delivered: most sends need no key
        self._counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._hash = hashlib.sha256()
        self._buf: list[float | str | int] = []  # flat: 7 fields per event not yet hashed
        self._flat: list[float | str | int] = []  # flat: 7 fields per event, kept (keep=True)
        self._names: dict[Address, str] = {}
        self._last_data: bytes | None = None
        self._last_hash = ""

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
        """Log one event; ``src``/``dst`` are ``(host, port)`` tuples.

        Returns the payload hash; pass it back as ``phash`` for a later
        event of the same payload to skip hashing it again.
        """
        names = self._names
        s = names.get(src)
        if s is None:
            s = names[src] = format_addr(src)
        d = names.get(dst)
        if d is None:
            d = names[dst] = format_addr(dst)
        if phash is None:
            if data is self._last_data:
                phash = self._last_hash
            else:
                phash = self._last_hash = "%08x" % zlib.crc32(data)  # noqa: UP031
                self._last_data = data
        buf = self._buf
        buf += (time, kind, s, d, size, reason or "-", phash)
        if len(buf) >= _FLUSH:
            self._flush()
        delivered = self._delivered
        if delivered is not None:
            if kind == "deliver":
                self._crcs.add(phash)
                key = (phash, data[:32])
                seen = delivered.get(key)
                if seen is None:
                    delivered[key] = dst
                elif seen != dst:
                    self._delivered_also(key, seen, dst)
            elif kind == "send" and phash in self._crcs:
                seen = delivered.get((phash, data[:32]))
                if (
                    seen is not None
                    and (seen == dst or (type(seen) is set and dst in seen))
                    and self._spurious_if(data)  # type: ignore[misc]
                ):
                    self.spurious += 1
        return phash

    def _delivered_also(
        self, key: tuple[str, bytes], seen: Address | set[Address], dst: Address
    ) -> None:
        """One payload delivered to one more destination (rare)."""
        if isinstance(seen, set):
            seen.add(dst)
        else:
            self._delivered[key] = {seen, dst}  # type: ignore[index]

    def _flush(self) -> None:
        buf = self._buf
        if buf:
            self._hash.update(((_LINE * (len(buf) // 7)) % tuple(buf)).encode())
            counts = self._counts
            kinds = cast("list[str]", buf[1::7])  # field 1 of each event
            for kind, n in Counter(kinds).items():
                counts[kind] += n
            if self.keep:
                self._flat += buf
            buf.clear()

    def digest(self) -> str:
        """SHA-256 hex over the serialised events so far."""
        self._flush()
        return self._hash.hexdigest()

    def __len__(self) -> int:
        return sum(self.counts.values())

    @property
    def counts(self) -> dict[str, int]:
        """Events so far per kind."""
        self._flush()
        return dict(self._counts)

    @property
    def events(self) -> list[TraceEvent]:
        """All events in order (only with ``keep=True``)."""
        return [TraceEvent(*row) for row in self._rows()]

    def _rows(self) -> Iterator[_Row]:
        self._need_keep()
        self._flush()
        flat = self._flat
        for i in range(0, len(flat), 7):
            yield cast(_Row, tuple(flat[i : i + 7]))

    def lines(self) -> Iterator[str]:
        """The serialised lines, each ending in a newline (``keep=True``)."""
        for row in self._rows():
            yield _LINE % row

    def serialise(self) -> str:
        """The whole trace as text; ``digest()`` hashes exactly this."""
        return "".join(self.lines())

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the serialisation to a file."""
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.writelines(self.lines())

    def diff(self, other: Trace) -> str | None:
        """Describe the first event where two kept traces differ, else None.

        Use it to check determinism (run one seed twice, compare)."""
        for i, (a, b) in enumerate(zip(self.lines(), other.lines())):
            if a != b:
                return f"event {i}: {a.rstrip()!r} != {b.rstrip()!r}"
        n, m = len(self), len(other)
        if n != m:
            return f"lengths differ: {n} != {m} events"
        return None

    def _need_keep(self) -> None:
        if not self.keep:
            raise RuntimeError("this Trace was made with keep=False: only digest() and counts")

    def __repr__(self) -> str:
        return f"Trace(keep={self.keep}, events={len(self)})"
