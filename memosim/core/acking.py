"""Acked ("Sure") delivery: Ack grams, receiver ack pacing, sender retries.

hio 0.7.20 reserves the Sure and Ack codes but never implemented them; this
module is memosim's definition (docs/acked-delivery.md is the reference).

Wire (header encoding = that of the grams acked; body = raw bytes):

    code | neck | mid | [vid] | body | [sig]
    code: bAAI Ack, or bAAJ AckAuth (vid = the acking receiver's own vid; sig
          over code..body exactly as sent, as for any signed gram)
    neck: the memo's gram count as the receiver knows it, 0 before its zeroth
    mid:  the acked memo's id
    body: held gram numbers as ranges, 6 bytes each: start and end (exclusive)
          as 3-byte big-endian ints, ascending, not overlapping, non-empty

Receiver rules (Acker):

- Every Sure gram (bAAE..bAAH) that is kept, or is a duplicate, schedules an
  ack of its memo to the memo's source. Acks of one memo are paced: the
  first goes `delay` after the memo's first gram, later ones at least
  `delay` after the previous. A memo that completes is acked at once with
  the single range (0, count), after it is delivered (never before: a memo
  evicted between completing and delivery must not be acked).
- Completed Sure memos are remembered (count, source, encoding) as long as
  the reassembly remembers their mid, so duplicates of a delivered memo are
  re-acked in full (paced the same way) and never delivered again.
- Before a memo's zeroth gram arrives its ack has neck 0 and lists the
  early grams of an unsigned memo; a signed memo's early grams are listed
  only once verified (after the zeroth), so its neck-0 ack is empty.
- Tables are bounded: pending acks by the reassembly's partial-memo bounds
  (in all and per source), completed counts by its done window. Evicting a
  pending ack only delays it; the sender retries.

Sender rules (Flights), only while the Memoer is wound onto a Tymist:

- Each Sure memo is tracked from rend until every gram is acked, it has been
  tracked `max_tyme`, or a gram due for retransmission has been sent
  `max_tries` times; the last two append (memo, dst, vid, reason) to
  failures. At most `window` grams per destination are unacked in flight;
  the rest wait in that destination's FIFO queue.
- Timeouts come from a per-destination RFC 6298 estimator (rto.py), backed
  off per gram: a gram sent n times is resent rto * 2**(n-1) (capped) after
  its last send unless acked by then. Only grams whose own timeout passed
  are retransmitted. Each accepted ack gives at most one RTT sample, from the
  most recently sent gram it newly acks, and none when that gram was sent
  more than once (Karn's rule). An older gram's sample would be inflated by
  whatever delayed its ack, such as an ack lost earlier.
- An ack is taken only from the memo's destination address, with a neck of
  0 or the memo's count and ranges within the count; anything else is
  dropped and counted by the Memoer, never raised.
- Reneging: a neck-0 ack after gram 0 was acked means the receiver lost the
  partial memo (expired or evicted) and started over; every gram that ack
  does not list is un-acked and queued to be sent again (counted as
  retransmissions). Grams are kept until the memo completes for this.
"""

from __future__ import annotations

import heapq
import itertools
from bisect import bisect_right
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from . import b64, grams
from .codes import MemoDex, overhead
from .reassembly import Reassembly
from .rto import K_MAX_RTO, K_MIN_RTO, RttEstimator
from .stats import Stats

RANGE_BYTES = 6  # one range: start, end as 3-byte big-endian ints
ACK_DELAY = 0.05  # tyme an ack waits to cover more grams; spacing of acks of one memo
MAX_TRIES = 10  # transmissions of one gram before its memo fails
MAX_TYME = 60.0  # tyme a Sure memo is tracked before it fails
WINDOW = 64  # unacked grams in flight per destination
MAX_FLIGHTS = 65536  # tracked memos in all; a memo beyond it fails with "backlog"
MAX_DESTS = 1024  # destinations whose RTT estimate is kept while idle

Range = tuple[int, int]


class AckError(ValueError):
    """A malformed ack body. `reason` is a drop counter tag."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


# ---- ack bodies and grams ---------------------------------------------------
def ranges_of(nums: Iterable[int]) -> list[Range]:
    """Ascending gram numbers -> ranges [(start, end-exclusive), ...]."""
    out: list[Range] = []
    start = end = -1
    for num in nums:
        if num == end:
            end += 1
            continue
        if end > start:
            out.append((start, end))
        start, end = num, num + 1
    if end > start:
        out.append((start, end))
    return out


def encode_body(ranges: Sequence[Range], limit: int) -> bytes:
    """Ack body of at most `limit` ranges (the lowest ones when there are more)."""
    return b"".join(
        start.to_bytes(3, "big") + end.to_bytes(3, "big") for start, end in ranges[: max(limit, 0)]
    )


def decode_body(body: bytes) -> list[Range]:
    """Ranges of an ack body; AckError unless well formed. Never raises else."""
    if len(body) % RANGE_BYTES:
        raise AckError("ack-body", f"{len(body)} bytes is not whole ranges")
    out: list[Range] = []
    floor = 0
    for at in range(0, len(body), RANGE_BYTES):
        start = int.from_bytes(body[at : at + 3], "big")
        end = int.from_bytes(body[at + 3 : at + 6], "big")
        if start < floor or end <= start:
            raise AckError("ack-body", f"range ({start}, {end}) after {floor}")
        out.append((start, end))
        floor = end
    return out


def capacity(size: int, curt: bool, signed: bool) -> int:
    """Ranges that fit an ack of gram size `size`; at least one."""
    code = MemoDex.AckAuth if signed else MemoDex.Ack
    return max(1, (size - overhead(code, curt)) // RANGE_BYTES)


def make_ack(
    mid: str,
    neck: int,
    ranges: Sequence[Range],
    *,
    curt: bool,
    size: int,
    vid: str | None = None,
    sign: Callable[[bytes], bytes] | None = None,
) -> bytes:
    """One Ack gram, or AckAuth when vid and sign (raw 64-byte signer) are given."""
    signed = bool(vid and sign)
    code = MemoDex.AckAuth if signed else MemoDex.Ack
    head = [code.encode(), grams.neck_bytes(neck, False), mid.encode()]
    if signed:
        head.append(vid.encode())  # type: ignore[union-attr]
    ser = b"".join(head)
    if curt:
        ser = b64.decode(ser)  # every text header field is whole quadlets
    ser += encode_body(ranges, capacity(size, curt, signed))
    if signed:
        ser += grams.sig_bytes(sign(ser), curt)  # type: ignore[misc]
    return ser


# ---- receiver: which acks to send, when ---------------------------------------
@dataclass(frozen=True, slots=True)
class AckOut:
    """One ack due to go out.

    dst: the memo's source. mid: the memo id. neck: gram count, 0 if unknown.
    ranges: held gram ranges, ascending. curt: binary header. signed: the
    memo was signed, so the ack should be AckAuth when the receiver can sign.
    """

    dst: object
    mid: str
    neck: int
    ranges: list[Range]
    curt: bool
    signed: bool


class _AckRec:
    __slots__ = ("src", "curt", "signed", "count", "last", "due", "done")

    def __init__(self, src, curt: bool, signed: bool, last: float) -> None:
        self.src = src
        self.curt = curt
        self.signed = signed
        self.count = 0
        self.last = last  # tyme of the last ack sent (or of the memo's first gram)
        self.due: float | None = None
        self.done = False


class Acker:
    """Receiver side: paces acks of Sure memos held in a Reassembly.

    pending: mid -> state of memos still being reassembled (bounded).
    done: mid -> state of completed memos, for re-acks (bounded).
    """

    def __init__(
        self,
        rx: Reassembly,
        *,
        delay: float = ACK_DELAY,
        max_pending: int = 4096,
        max_pending_per_source: int = 1024,
        max_done: int = 16384,
    ) -> None:
        self.rx = rx
        self.delay = float(delay)
        self.max_pending = max(1, int(max_pending))
        self.max_pending_per_source = max(1, int(max_pending_per_source))
        self.max_done = max(1, int(max_done))
        # FIFO tables: OrderedDict finds its oldest entry in O(1); a dict must
        # skip every slot freed at its front, which a long run makes slow
        self.pending: OrderedDict[str, _AckRec] = OrderedDict()
        self.done: OrderedDict[str, _AckRec] = OrderedDict()
        self._by_source: dict = {}
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()

    def note(self, gram: grams.Gram, now: float | None, kept: bool) -> None:
        """A Sure gram was kept (kept=True) or found to be a duplicate.

        Acks go to the memo's source as the reassembly records it (the source
        of its first gram), never to whoever sent this copy.
        """
        mid = gram.mid
        tyme = 0.0 if now is None else now
        rec = self.done.get(mid)
        if rec is not None:  # duplicate of a completed memo: the sender missed the ack
            self._schedule(mid, rec, max(tyme, rec.last + self.delay))
            return
        rx = self.rx
        if rx.is_done(mid):
            return  # completed before we tracked it (forgotten, or not a Sure memo)
        rec = self.pending.get(mid)
        if rec is None:
            if mid not in rx.sources:
                return  # not held: nothing to ack
            rec = self._open(mid, rx.sources[mid], gram.curt, gram.authed, tyme)
        if mid in rx.counts:
            rec.count = rx.counts[mid]
            rec.signed = rx.vids.get(mid) is not None
        elif gram.authed:
            rec.signed = True
        if kept and mid in rx.ready:
            self._close(mid)
            rec.done = True
            self._remember(mid, rec)
            self._schedule(mid, rec, tyme)
        else:
            self._schedule(mid, rec, max(tyme, rec.last + self.delay))

    def flush(self, now: float | None) -> list[AckOut]:
        """Acks due by now (all scheduled ones when now is None)."""
        rx = self.rx
        heap = self._heap
        tyme = 0.0 if now is None else now
        out: list[AckOut] = []
        deferred: list[tuple[str, _AckRec]] = []
        while heap and (now is None or heap[0][0] <= now):
            due, _, mid = heapq.heappop(heap)
            rec = self._rec(mid)
            if rec is None or rec.due != due:
                continue  # superseded entry
            rec.due = None
            if rec.done:
                if rx.is_done(mid):
                    out.append(AckOut(rec.src, mid, rec.count, [(0, rec.count)], rec.curt, rec.signed))
                    rec.last = tyme
                elif mid in rx.ready:
                    deferred.append((mid, rec))  # ack only once delivered
                else:
                    del self.done[mid]  # evicted before delivery: let the sender retry
                continue
            if mid not in rx.sources:
                self._close(mid)  # expired or evicted
                continue
            if rec.signed:
                nums: Iterable[int] = sorted(rx.rxgs.get(mid, ()))
            else:
                nums = rx.held(mid)
            # an empty body (signed memo, zeroth not yet here) still tells the
            # sender the receiver holds none of what it may have acked before
            ranges = ranges_of(nums)
            out.append(AckOut(rec.src, mid, rx.counts.get(mid, 0), ranges, rec.curt, rec.signed))
            rec.last = tyme
        for mid, rec in deferred:
            self._schedule(mid, rec, tyme)
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
        rec = self.done.get(mid)
        return rec if rec is not None else self.pending.get(mid)

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

    def _open(self, mid: str, src, curt: bool, signed: bool, tyme: float) -> _AckRec:
        while len(self.pending) >= self.max_pending:
            self._close(next(iter(self.pending)))
        mids = self._by_source.get(src)
        while mids and len(mids) >= self.max_pending_per_source:
            self._close(next(iter(mids)))
            mids = self._by_source.get(src)
        rec = _AckRec(src, curt, signed, tyme)
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

    def _remember(self, mid: str, rec: _AckRec) -> None:
        while len(self.done) >= self.max_done:
            del self.done[next(iter(self.done))]
        self.done[mid] = rec

    def _prune(self) -> None:
        """Forget completed memos the reassembly no longer remembers, and
        pending acks of memos it no longer holds, oldest first."""
        rx = self.rx
        while self.done:
            mid, rec = next(iter(self.done.items()))
            if rec.due is not None or rx.is_done(mid) or mid in rx.ready:
                break
            del self.done[mid]
        while self.pending:
            mid, rec = next(iter(self.pending.items()))
            if rec.due is not None or mid in rx.sources:
                break
            self._close(mid)


# ---- sender: memos in flight ------------------------------------------------
class Flight:
    """One Sure memo being delivered.

    memo, dst, vid: as given to memoit. mid: its memo id. grams: its grams,
    kept until the memo completes (a receiver may renege). count: gram count.
    born: tyme it was rended. tx: transmissions per gram. unsent: gram
    numbers waiting for the window. outstanding: gram number -> tyme last
    sent, for grams sent and not acked. acked: 1 per acked gram; nacked: how
    many. due: tyme of the next timeout, None with nothing outstanding.
    queued: in its Dest's queue.
    """

    __slots__ = (
        "memo", "dst", "vid", "mid", "grams", "count", "born", "tx", "unsent",
        "outstanding", "acked", "nacked", "due", "queued", "dead",
    )

    def __init__(self, memo, dst, vid, mid: str, grams_: list[bytes], born: float) -> None:
        self.memo = memo
        self.dst = dst
        self.vid = vid
        self.mid = mid
        self.grams = grams_
        self.count = len(grams_)
        self.born = born
        self.tx = [0] * self.count
        self.unsent: deque[int] = deque(range(self.count))
        self.outstanding: dict[int, float] = {}
        self.acked = bytearray(self.count)
        self.nacked = 0
        self.due: float | None = None
        self.queued = False
        self.dead = False


class Dest:
    """Per-destination state: RTT estimate, grams in flight, memos waiting."""

    __slots__ = ("est", "inflight", "queue", "flights")

    def __init__(self, est: RttEstimator) -> None:
        self.est = est
        self.inflight = 0
        self.queue: deque[Flight] = deque()
        self.flights = 0


class Flights:
    """Sender side: tracks Sure memos, sends within the window, retries, gives up.

    Grams go out by appending (gram, dst) to `txgs`; failures are appended to
    `failures` as (memo, dst, vid, reason) with reason "tries", "tyme" or
    "backlog"; `stats` counts retransmissions and failed memos.
    """

    def __init__(
        self,
        *,
        txgs: deque,
        failures: deque,
        stats: Stats,
        window: int = WINDOW,
        max_tries: int = MAX_TRIES,
        max_tyme: float = MAX_TYME,
        min_rto: float = K_MIN_RTO,
        max_rto: float = K_MAX_RTO,
        max_flights: int = MAX_FLIGHTS,
    ) -> None:
        self.txgs = txgs
        self.failures = failures
        self.stats = stats
        self.window = int(window)
        self.max_tries = int(max_tries)
        self.max_tyme = float(max_tyme)
        self.min_rto = float(min_rto)
        self.max_rto = float(max_rto)
        self.max_flights = int(max_flights)
        self.flights: OrderedDict[str, Flight] = OrderedDict()  # by mid, oldest first
        self.active: dict[str, Flight] = {}  # flights with grams outstanding
        self.dests: dict = {}
        self.reneged = 0  # grams a receiver acked and later lost, sent again

    def __len__(self) -> int:
        return len(self.flights)

    def dest(self, dst) -> Dest:
        """State for dst, created on first use (idle ones are bounded)."""
        dest = self.dests.get(dst)
        if dest is None:
            if len(self.dests) >= MAX_DESTS:
                for key in [k for k, d in self.dests.items() if not d.flights]:
                    del self.dests[key]
                    if len(self.dests) < MAX_DESTS:
                        break
            dest = Dest(RttEstimator(min_rto=self.min_rto, max_rto=self.max_rto))
            self.dests[dst] = dest
        return dest

    def add(self, memo, dst, vid, grams_: list[bytes], now: float) -> None:
        """Track a rended memo and send what the window allows."""
        if len(self.flights) >= self.max_flights:
            self.failures.append((memo, dst, vid, "backlog"))
            self.stats.memos_failed += 1
            return
        mid = grams.parse(grams_[0]).mid
        flight = Flight(memo, dst, vid, mid, grams_, now)
        dest = self.dest(dst)
        dest.flights += 1
        self.flights[mid] = flight
        self._enqueue(dest, flight)
        self._pump(dest, now)

    # ---- acks ------------------------------------------------------------
    def lookup(self, mid: str, src) -> tuple[Flight | None, str | None]:
        """The flight an ack for mid from src refers to, else a drop reason."""
        flight = self.flights.get(mid)
        if flight is None:
            return None, "ack-unknown"
        if src != flight.dst:
            return None, "ack-src"
        return flight, None

    def apply(self, flight: Flight, neck: int, ranges: list[Range], now: float | None) -> str | None:
        """Mark the grams an ack reports held; None when taken, else a drop reason.

        A neck of 0 after gram 0 was acked means the receiver lost the memo
        (expired or evicted it) and started over: grams it no longer reports
        are un-acked and sent again.
        """
        if flight.dead:
            return "ack-unknown"
        if neck and neck != flight.count:
            return "ack-count"
        if ranges and ranges[-1][1] > flight.count:
            return "ack-range"
        dest = self.dests[flight.dst]
        starts = [start for start, _ in ranges]
        if not neck and flight.acked[0]:
            self._renege(dest, flight, ranges, starts)
        newest: tuple[float, int] | None = None  # (sent, transmissions) of the newest acked
        for num in [n for n in flight.outstanding if _covered(ranges, starts, n)]:
            sent = flight.outstanding.pop(num)
            if newest is None or sent >= newest[0]:
                newest = (sent, flight.tx[num])
            flight.acked[num] = 1
            flight.nacked += 1
            dest.inflight -= 1
        if newest is not None and now is not None:
            dest.est.acked(newest[0], now, retransmitted=newest[1] > 1)
        if flight.nacked >= flight.count:
            self._drop(flight)
        else:
            self._redue(flight)
        if now is not None:
            self._pump(dest, now)
        return None

    def _renege(self, dest: Dest, flight: Flight, ranges: list[Range], starts: list[int]) -> None:
        lost = [
            n for n in range(flight.count)
            if flight.acked[n] and not _covered(ranges, starts, n)
        ]
        for num in lost:
            flight.acked[num] = 0
            flight.nacked -= 1
            flight.unsent.append(num)
        self.reneged += len(lost)
        if lost:
            self._enqueue(dest, flight)

    # ---- timers ----------------------------------------------------------
    def service(self, now: float) -> None:
        """Fail memos past max_tyme, retransmit grams whose timeout passed."""
        while self.flights:
            flight = next(iter(self.flights.values()))
            if flight.born + self.max_tyme > now:
                break
            self._fail(flight, "tyme", now)
        for flight in [f for f in self.active.values() if f.due is not None and f.due <= now]:
            if not flight.dead:
                self._timeout(flight, now)

    def next_due(self) -> float | None:
        """Earliest tyme a retransmission or a give-up is due, or None."""
        due = min((f.due for f in self.active.values() if f.due is not None), default=None)
        for flight in self.flights.values():
            expiry = flight.born + self.max_tyme
            due = expiry if due is None else min(due, expiry)
            break
        return due

    def _timeout(self, flight: Flight, now: float) -> None:
        est = self.dests[flight.dst].est
        tx = flight.tx
        overdue = [
            n for n, sent in flight.outstanding.items() if sent + est.backed_off(tx[n] - 1) <= now
        ]
        if not overdue:  # the estimate moved since the due tyme was set
            self._redue(flight)
            return
        if any(tx[n] >= self.max_tries for n in overdue):
            self._fail(flight, "tries", now)
            return
        for num in overdue:
            flight.outstanding[num] = now
            flight.tx[num] += 1
            self.txgs.append((flight.grams[num], flight.dst))
        self.stats.grams_retransmitted += len(overdue)
        self._redue(flight)

    # ---- bookkeeping -----------------------------------------------------
    def _enqueue(self, dest: Dest, flight: Flight) -> None:
        if not flight.queued:
            flight.queued = True
            dest.queue.append(flight)

    def _pump(self, dest: Dest, now: float) -> None:
        queue = dest.queue
        while dest.inflight < self.window and queue:
            flight = queue[0]
            if flight.dead or not flight.unsent:
                flight.queued = False
                queue.popleft()
                continue
            num = flight.unsent.popleft()
            if flight.acked[num] or num in flight.outstanding:
                continue
            flight.outstanding[num] = now
            flight.tx[num] += 1
            if flight.tx[num] > 1:
                self.stats.grams_retransmitted += 1
            dest.inflight += 1
            self.txgs.append((flight.grams[num], flight.dst))
            due = now + dest.est.backed_off(flight.tx[num] - 1)
            if flight.due is None or due < flight.due:
                flight.due = due
                self.active[flight.mid] = flight

    def _redue(self, flight: Flight) -> None:
        if flight.outstanding:
            est = self.dests[flight.dst].est
            tx = flight.tx
            flight.due = min(
                sent + est.backed_off(tx[n] - 1) for n, sent in flight.outstanding.items()
            )
            self.active[flight.mid] = flight
        else:
            flight.due = None
            self.active.pop(flight.mid, None)

    def _drop(self, flight: Flight) -> Dest:
        """Stop tracking a flight (completed or failed); frees its window share."""
        flight.dead = True
        self.flights.pop(flight.mid, None)
        self.active.pop(flight.mid, None)
        dest = self.dests[flight.dst]
        dest.flights -= 1
        dest.inflight -= len(flight.outstanding)
        flight.outstanding.clear()
        flight.unsent.clear()
        flight.grams = []
        return dest

    def _fail(self, flight: Flight, reason: str, now: float) -> None:
        dest = self._drop(flight)
        self.failures.append((flight.memo, flight.dst, flight.vid, reason))
        self.stats.memos_failed += 1
        self._pump(dest, now)


def _covered(ranges: list[Range], starts: list[int], num: int) -> bool:
    at = bisect_right(starts, num) - 1
    return at >= 0 and num < ranges[at][1]
