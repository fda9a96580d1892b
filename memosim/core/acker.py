"""Receiver side of acked delivery: which acks to send for Sure memos, and when.

Three kinds of ack leave a receiver (surewire.py has their bytes):

- partial: the grams held for a memo still being reassembled, with the
  epoch of the record holding them. Paced: the first goes `delay` after the
  memo's first gram, later ones at least `delay` after the previous, so one
  ack covers a burst. With `quiet` (the fast retry policy) a partial ack
  instead waits until no gram of the memo has come for `delay` (or twice
  the longest wait between its grams since the last ack, when longer), or
  until 4 `delay` after the first gram it will list, whichever is sooner;
  one made after such a pause, with two grams or more come since the last
  ack, says so (QUIET), so the sender may take every gram it does not list
  as lost at once.
- done: the memo was delivered (the Memoer calls `delivered` after putting
  it on rxms). Sent at once; a copy of a delivered memo is answered with
  another done ack, paced like partial ones.
- reset: the memo completed but failed its tag (`rejected`): the receiver
  holds nothing of it, so the sender must send every gram again.

Only a done ack lets a sender retire a memo, and only the Memoer's delivery
path sends one, so an ack can never claim a delivery that did not happen.
Tables are bounded: pending acks by the reassembly's partial-memo bounds (in
all and per source), done/reset pacing records by `max_done` (losing one only
delays an ack; the sender retries).
"""

from __future__ import annotations

import heapq
import itertools
from collections import OrderedDict
from collections.abc import Iterable
from typing import NamedTuple

from . import grams
from .aliases import Address
from .reassembly import Reassembly
from .surewire import NO_UPTO, Range, ranges_of

PARTIAL, DONE, RESET = 0, 1, 2


class AckOut(NamedTuple):
    """One ack due to go out.

    dst: the memo's source. neck: its gram count, 0 when unknown. done: it was
    delivered. epoch, upto, ranges: what is held (partial acks). curt: binary
    header. signed: the memo was signed, so the ack should be AckAuth.
    """

    dst: Address
    mid: str
    neck: int
    done: bool
    epoch: int
    upto: int
    ranges: list[Range]
    curt: bool
    signed: bool
    quiet: bool = False
    hold: float = 0.0
    tag: bytes = b""  # a done ack's: the delivered memo's Sure tag


QUIET_SPAN = 4  # a quiet receiver acks at most this many ack delays after a memo's first new gram


class _AckRec:
    __slots__ = (
        "src",
        "curt",
        "signed",
        "kind",
        "last",
        "due",
        "copies",
        "arrived",
        "first",
        "grams",
        "gap",
    )

    def __init__(self, src: Address, curt: bool, signed: bool, kind: int, last: float) -> None:
        self.src = src
        self.curt = curt
        self.signed = signed
        self.kind = kind
        self.last = last  # tyme of the last ack sent (or of the memo's first gram)
        self.due: float | None = None
        self.copies = 0  # done acks still to send again (a lost done ack costs a probe)
        self.arrived = last  # tyme the memo's latest gram came (the ack's hold runs from it)
        self.first: float | None = None  # quiet: tyme of the first gram the next ack lists
        self.grams = 0  # quiet: grams come since the last ack
        self.gap = 0.0  # quiet: the longest wait between two of them


class Acker:
    """Paces the acks of Sure memos held in, or delivered from, a Reassembly."""

    def __init__(
        self,
        rx: Reassembly,
        *,
        delay: float,
        max_pending: int = 4096,
        max_pending_per_source: int = 1024,
        max_done: int = 16384,
        done_copies: int = 1,
        quiet: bool = False,
    ) -> None:
        self.rx = rx
        self.delay = float(delay)
        self.quiet = bool(quiet)
        self.done_copies = max(1, int(done_copies))
        self.max_pending = max(1, int(max_pending))
        self.max_pending_per_source = max(1, int(max_pending_per_source))
        self.max_done = max(1, int(max_done))
        self.pending: OrderedDict[str, _AckRec] = OrderedDict()  # partial memos
        self.done: OrderedDict[str, _AckRec] = OrderedDict()  # done and reset acks
        self._by_source: dict[Address, dict[str, None]] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()

    # ---- events from the Memoer ----------------------------------------
    def note(self, gram: grams.Gram, now: float | None, kept: bool) -> None:
        """A Sure gram was kept (kept=True) or found to be a duplicate."""
        mid = gram.mid
        tyme = 0.0 if now is None else now
        entry = self.rx.sure.get(mid)
        if entry is not None:  # a copy of a delivered memo: its done ack was lost
            rec = self.done.get(mid)
            if rec is None or rec.kind != DONE:
                rec = self._remember(
                    mid, _AckRec(entry.src, entry.curt, entry.signed, DONE, tyme - self.delay)
                )
            rec.arrived = tyme
            self._schedule(mid, rec, max(tyme, rec.last + self.delay))
            return
        src = self.rx.sources.get(mid)
        if src is None:
            return  # not held: a plain memo's mid, or dropped by the bounds
        rec = self.pending.get(mid)
        if rec is None or rec.src != src:  # new, or another source's zeroth took the memo
            rec = self._open(mid, src, gram.curt, gram.authed, tyme)
        elif gram.authed:
            rec.signed = True
        if self.quiet:  # wait for a pause in the memo's grams, within a bound
            rec.copies = 1  # a quiet ack goes twice (a lost one costs a probe)
            if rec.first is None:
                rec.first = tyme
                rec.grams, rec.gap = 0, 0.0
            else:
                rec.gap = max(rec.gap, tyme - rec.arrived)
            rec.grams += 1
            rec.arrived = tyme
            due = min(tyme + self._pause(rec), rec.first + QUIET_SPAN * self.delay)
            rec.due = None  # may move later: an older heap entry is then stale
            self._schedule(mid, rec, due)
            return
        rec.arrived = tyme
        due = rec.last + self.delay
        if due < tyme:
            due = tyme
        if rec.due is None or rec.due > due:  # _schedule's own test, without the call
            self._schedule(mid, rec, due)

    def _pause(self, rec: _AckRec) -> float:
        """How long a memo's grams must stop for a pause to mean "no more
        are coming": the ack delay, or twice the longest wait between two of
        them since the last ack (a slow link spaces a burst out)."""
        return max(self.delay, 2 * rec.gap)

    def delivered(
        self, mid: str, src: Address, curt: bool, signed: bool, now: float | None
    ) -> None:
        """A Sure memo was delivered: ack it done at once."""
        self._close(mid)
        tyme = 0.0 if now is None else now
        rec = self._remember(mid, _AckRec(src, curt, signed, DONE, tyme))
        rec.copies = self.done_copies - 1
        self._schedule(mid, rec, tyme)

    def rejected(self, mid: str, src: Address, curt: bool, signed: bool, now: float | None) -> None:
        """A Sure memo completed but failed its tag and was discarded: tell the
        sender at once that nothing of it is held."""
        self._close(mid)
        tyme = 0.0 if now is None else now
        rec = self._remember(mid, _AckRec(src, curt, signed, RESET, tyme))
        self._schedule(mid, rec, tyme)

    def encoding(self, mid: str, default: bool) -> bool:
        """curt of the grams of a memo being acked (default when not known)."""
        rec = self._rec(mid)
        return default if rec is None else rec.curt

    # ---- output ----------------------------------------------------------
    def flush(self, now: float | None) -> list[AckOut]:
        """Acks due by now (all scheduled ones when now is None)."""
        heap = self._heap
        if not heap or (now is not None and heap[0][0] > now):
            self._prune()  # nothing due: the usual pass
            return []
        rx = self.rx
        tyme = 0.0 if now is None else now
        out: list[AckOut] = []
        again: list[tuple[str, _AckRec]] = []
        while heap and (now is None or heap[0][0] <= now):
            due, _, mid = heapq.heappop(heap)
            rec = self._rec(mid)
            if rec is None or rec.due != due:
                continue  # superseded entry
            rec.due = None
            if rec.kind == DONE:
                entry = rx.sure.get(mid)
                if entry is not None:
                    out.append(
                        AckOut(
                            rec.src,
                            mid,
                            entry.count,
                            True,
                            0,
                            entry.count,
                            [],
                            rec.curt,
                            rec.signed,
                            False,
                            tyme - rec.arrived,
                            entry.tag,
                        )
                    )
                    rec.last = tyme
                    if rec.copies > 0:  # the same done ack again, an ack delay later
                        rec.copies -= 1
                        again.append((mid, rec))
                continue
            if rec.kind == RESET:
                if mid not in rx.sources:  # nothing of it came back since
                    out.append(
                        AckOut(
                            rec.src,
                            mid,
                            0,
                            False,
                            0,
                            NO_UPTO,
                            [],
                            rec.curt,
                            rec.signed,
                            False,
                            tyme - rec.arrived,
                        )
                    )
                    rec.last = tyme
                continue
            if mid not in rx.sources:
                self._close(mid)  # expired or evicted: the sender's timers recover it
                continue
            count = rx.counts.get(mid, 0)
            quiet = (  # a pause long enough after two grams or more (never with no delay)
                self.quiet
                and self.delay > 0
                and rec.grams >= 2
                and tyme >= rec.arrived + self._pause(rec)
            )
            if rec.signed:  # early grams of a signed memo are unverified: not listed
                nums: Iterable[int] = sorted(rx.rxgs.get(mid, ()))
            else:
                nums = rx.held(mid)
            out.append(
                AckOut(
                    rec.src,
                    mid,
                    count,
                    False,
                    rx.epoch(mid),
                    count or NO_UPTO,
                    ranges_of(nums),
                    rec.curt,
                    rec.signed,
                    quiet,
                    tyme - rec.arrived,
                )
            )
            rec.last = tyme
            rec.first = None
            if quiet and rec.copies > 0:  # the same quiet ack again, an ack delay later
                rec.copies -= 1
                again.append((mid, rec))
        for mid, rec in again:
            self._schedule(mid, rec, tyme + max(self.delay, 0.001))
        self._prune()
        return out

    def next_due(self) -> float | None:
        """Tyme of the earliest scheduled ack, or None."""
        heap = self._heap
        while heap:
            due, _, mid = heap[0]
            rec = self._rec(mid)
            if rec is not None and rec.due == due:
                return due
            heapq.heappop(heap)
        return None

    # ---- tables ----------------------------------------------------------
    def _rec(self, mid: str) -> _AckRec | None:
        rec = self.pending.get(mid)
        return rec if rec is not None else self.done.get(mid)

    def _schedule(self, mid: str, rec: _AckRec, due: float) -> None:
        if rec.due is not None and rec.due <= due:
            return
        rec.due = due
        heapq.heappush(self._heap, (due, next(self._seq), mid))
        if len(self._heap) > 4 * (len(self.pending) + len(self.done)) + 1024:
            self._heap = [
                (r.due, next(self._seq), m)
                for table in (self.pending, self.done)
                for m, r in table.items()
                if r.due is not None
            ]
            heapq.heapify(self._heap)

    def _open(self, mid: str, src: Address, curt: bool, signed: bool, tyme: float) -> _AckRec:
        self._close(mid)
        while len(self.pending) >= self.max_pending:
            self._close(next(iter(self.pending)))
        mids = self._by_source.get(src)
        while mids and len(mids) >= self.max_pending_per_source:
            self._close(next(iter(mids)))
            mids = self._by_source.get(src)
        rec = _AckRec(src, curt, signed, PARTIAL, tyme)
        self.pending[mid] = rec
        self._by_source.setdefault(src, {})[mid] = None
        return rec

    def _close(self, mid: str) -> None:
        rec = self.pending.pop(mid, None)
        if rec is None:
            return
        mids = self._by_source.get(rec.src)
        if mids is not None:
            mids.pop(mid, None)
            if not mids:
                del self._by_source[rec.src]

    def _remember(self, mid: str, rec: _AckRec) -> _AckRec:
        done = self.done
        done.pop(mid, None)
        while len(done) >= self.max_done:
            done.popitem(last=False)
        done[mid] = rec
        return rec

    def _prune(self) -> None:
        """Forget pacing records with nothing due whose memo is gone, oldest first."""
        rx = self.rx
        while self.done:
            mid, rec = next(iter(self.done.items()))
            if rec.due is not None or (rec.kind == DONE and mid in rx.sure):
                break
            del self.done[mid]
        while self.pending:
            mid, rec = next(iter(self.pending.items()))
            if rec.due is not None or mid in rx.sources:
                break
            self._close(mid)
