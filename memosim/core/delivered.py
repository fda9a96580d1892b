"""Which Sure memos a receiver delivered, remembered per source for exactly-once.

A sender resends a Sure memo until it hears the receiver delivered it, so
the receiver must recognise that memo's id for as long as the sender may
resend it. A single shared window can be flushed by anyone who sends enough
other memos; here each source has its own quota, so traffic from other
sources can never evict a source's ids.

Bounds: at most `per_source` ids per source and `max_sources` sources, each
id kept `expiry` tyme after delivery. Beyond them nothing is evicted early:
`room()` says no and the caller refuses the memo (does not deliver or ack
it), so the sender retries later or reports it failed. A memo is never
delivered twice for want of room.

Without any tyme (a Memoer neither wound nor given a clock) ids cannot
expire; each source's ids then form a FIFO window of `per_source`, the
oldest forgotten first. Retries come only from senders that keep tyme, so
give the receiver a clock when exactly-once must hold against them.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from .aliases import Address


class Entry(NamedTuple):
    """A delivered Sure memo: enough to ack it again when a copy arrives."""

    src: Address
    when: float | None
    count: int  # type: ignore[assignment]  # shadows tuple.count, as intended
    curt: bool
    signed: bool
    tag: bytes = b""  # its Sure tag: a done ack names the content delivered


class Delivered:
    """Delivered Sure memo ids, with a quota per source."""

    def __init__(self, *, per_source: int, max_sources: int, expiry: float) -> None:
        self.per_source = max(1, int(per_source))
        self.max_sources = max(1, int(max_sources))
        self.expiry = float(expiry)
        self._entries: dict[str, Entry] = {}
        self._order: deque[str] = deque()  # delivery order, so oldest first in tyme too
        self._per_src: dict[Address, deque[str]] = {}

    def __contains__(self, mid: object) -> bool:
        return mid in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def sources(self) -> int:
        return len(self._per_src)

    def get(self, mid: str) -> Entry | None:
        return self._entries.get(mid)

    def room(self, src: Address, now: float | None) -> bool:
        """True when one more memo from src can be remembered now."""
        self.expire(now)
        mids = self._per_src.get(src)
        if mids is None:
            return len(self._per_src) < self.max_sources
        return now is None or len(mids) < self.per_source

    def add(
        self,
        mid: str,
        src: Address,
        now: float | None,
        count: int,
        curt: bool,
        signed: bool,
        tag: bytes = b"",
    ) -> None:
        """Remember a delivered memo (call room() first)."""
        mids = self._per_src.get(src)
        if mids is None:
            mids = self._per_src[src] = deque()
        elif now is None and len(mids) >= self.per_source:  # no tyme: a FIFO window
            self._forget(mids.popleft())
        self._entries[mid] = Entry(src, now, count, curt, signed, tag)
        order = self._order
        order.append(mid)
        mids.append(mid)
        if len(order) > 2 * len(self._entries) + 1024:  # ids forgotten by the FIFO windows
            entries = self._entries
            self._order = deque(m for m in order if m in entries)

    def expire(self, now: float | None) -> None:
        """Forget ids delivered `expiry` or longer ago."""
        if now is None:
            return
        cutoff = now - self.expiry
        order, entries = self._order, self._entries
        while order:
            entry = entries.get(order[0])
            if entry is None:  # forgotten from its source's window already
                order.popleft()
                continue
            if entry.when is None or entry.when > cutoff:
                break
            mid = order.popleft()
            mids = self._per_src[entry.src]
            if mids and mids[0] == mid:
                mids.popleft()
            else:  # pragma: no cover - per-source order follows the global one
                mids.remove(mid)
            del entries[mid]
            if not mids:
                del self._per_src[entry.src]

    def _forget(self, mid: str) -> None:
        entry = self._entries.pop(mid)
        if not self._per_src[entry.src]:  # pragma: no cover - caller popped from a full deque
            del self._per_src[entry.src]
