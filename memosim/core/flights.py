"""Sender side of acked delivery: Sure memos in flight, retries, give-ups.

Only while the Memoer is wound onto a Tymist (docs/acked-delivery.md):

- Each Sure memo is tracked from rend until the receiver says it delivered
  it (a done ack naming its tag), `max_tyme` passes, or a gram due for
  retransmission has been sent `max_tries` times; the last two append
  (memo, dst, vid, reason) to failures. Nothing else retires a memo (a
  partial ack of every gram is no delivery): the sender probes with gram 0.
- Partial acks stop retransmissions of the grams they list. Within one
  receiver epoch they add up; an ack of another epoch means the receiver
  lost what it held (expiry, eviction, a failed tag) and holds exactly what
  that ack lists, so every gram it does not list is sent again.
- At most `window` grams per destination are unacked in flight; the rest
  wait in that destination's FIFO queue. Timeouts come from a
  per-destination RFC 6298 estimator (rto.py), backed off per gram (sent n
  times: resent rto * 2**(n-1), capped, after its last send). An ack gives
  one RTT sample at most, from the latest gram it newly acks if sent once.
- With congestion control (congestion.py) new grams also wait while grams
  on their first transmission fill the destination's congestion window:
  acks grow it, grams declared lost (timeout, or the fast thresholds) may
  cut it; probes are no loss; resent grams are not bounded by it.
- A signed memo's acks count only as AckAuth signed by its receiver's `rvid`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict

from . import congestion, grams, loss
from .aliases import Address, Failures, Memo, Outbox
from .congestion import NewReno
from .flight import Dest, Flight
from .retry import RetryPolicy
from .rto import RttEstimator
from .stats import Stats
from .surewire import Ack, Range

_DEFAULT = RetryPolicy()
MAX_TRIES = _DEFAULT.max_tries  # transmissions of one gram before its memo fails
MAX_TYME = _DEFAULT.max_tyme  # tyme a Sure memo is tracked before it fails
WINDOW = _DEFAULT.window  # unacked grams in flight per destination
MAX_FLIGHTS = 65536  # tracked memos in all; a memo beyond it fails with "backlog"
MAX_DESTS = 1024  # destinations whose RTT estimate is kept while idle


class Flights:
    """Sender side: tracks Sure memos, sends within the window, retries, gives up.

    Grams go out as (gram, dst) on `txgs`, failures as (memo, dst, vid, reason)
    on `failures` (reason "tries", "tyme" or "backlog"); `stats` counts.
    """

    def __init__(
        self,
        *,
        txgs: Outbox,
        failures: Failures,
        stats: Stats,
        retry: RetryPolicy | None = None,
        max_flights: int = MAX_FLIGHTS,
    ) -> None:
        self.txgs = txgs
        self.failures = failures
        self.stats = stats
        self.retry = retry = retry if retry is not None else RetryPolicy()
        self.window = retry.window
        self.max_tries = retry.max_tries
        self.max_tyme = float(retry.max_tyme)
        self.min_rto = float(retry.min_rto)
        self.max_rto = float(retry.max_rto)
        self.max_flights = int(max_flights)
        self.fast = retry.policy == "fast"
        self.copies = retry.resend_copies_n
        self.congestion = retry.congestion != "none"
        self.flights: OrderedDict[str, Flight] = OrderedDict()  # by mid, oldest first
        self.active: dict[str, Flight] = {}  # flights with grams outstanding
        self.dests: dict[Address, Dest] = {}
        # dst -> the address its acks come from, where the transport knows it
        # differs (UDP: a host name's numeric address); see note_reply
        self.replies: dict[Address, Address] = {}
        self.reneged = 0  # grams a receiver acked and later lost, sent again

    def __len__(self) -> int:
        return len(self.flights)

    def dest(self, dst: Address) -> Dest:
        """State for dst, created on first use (idle ones are bounded)."""
        dest = self.dests.get(dst)
        if dest is None:
            if len(self.dests) >= MAX_DESTS:
                for key in [k for k, d in self.dests.items() if not d.flights]:
                    del self.dests[key]
                    if len(self.dests) < MAX_DESTS:
                        break
            dest = Dest(
                RttEstimator(
                    initial_rto=self.retry.init_rto, min_rto=self.min_rto, max_rto=self.max_rto
                ),
                NewReno(initial=self.retry.initial_window, maximum=self.window)
                if self.congestion
                else None,
            )
            self.dests[dst] = dest
        return dest

    def note_reply(self, dst: Address, reply: Address) -> None:
        """Acks for memos to dst come from reply (the transport knows; bounded)."""
        if dst not in self.replies and len(self.replies) >= MAX_DESTS:
            del self.replies[next(iter(self.replies))]
        self.replies[dst] = reply

    def add(
        self,
        memo: Memo,
        dst: Address,
        vid: str | None,
        grams_: list[bytes],
        now: float,
        rvid: str | None = None,
    ) -> None:
        """Track a rended memo and send what the window allows."""
        if len(self.flights) >= self.max_flights:
            self.failures.append((memo, dst, vid, "backlog"))
            self.stats.memos_failed += 1
            return
        mid = grams.mid_of(grams_[0])
        flight = Flight(memo, dst, vid, mid, grams_, now, rvid, self.replies.get(dst))
        dest = self.dest(dst)
        dest.flights += 1
        self.flights[mid] = flight
        self._enqueue(dest, flight)
        self._pump(dest, now)

    # ---- acks ------------------------------------------------------------
    def lookup(self, mid: str, src: Address) -> tuple[Flight | None, str | None]:
        """The flight an ack for mid from src refers to, else a drop reason."""
        flight = self.flights.get(mid)
        if flight is None:
            return None, "ack-unknown"
        if src != flight.reply:
            return None, "ack-src"
        return flight, None

    def apply(self, flight: Flight, neck: int, ack: Ack, now: float | None) -> str | None:
        """Take an ack of a flight; None when taken, else a drop reason.

        A done ack retires the memo. A partial ack marks the grams it lists;
        from another epoch than the last, it replaces what was acked.
        """
        if flight.dead:
            return "ack-unknown"
        count = flight.count
        if neck and neck != count or (ack.done and neck != count):
            return "ack-count"
        ranges = ack.ranges
        if ranges and ranges[-1][1] > count:
            return "ack-range"
        dest = self.dests[flight.dst]
        outstanding = flight.outstanding
        hold = ack.hold if self.fast else 0.0  # the fast policy takes the receiver's hold out
        if ack.done:
            if ack.tag != flight.tag():  # another memo was delivered under this id
                return "ack-memo"
            if outstanding and now is not None:
                num = max(outstanding, key=outstanding.__getitem__)
                self._sample(dest.est, outstanding[num], now, flight.tx[num], hold)
                congestion.acked(dest.cc, len(outstanding), outstanding[num], dest.est.srtt)
            self._drop(flight)
            if now is not None:
                self._pump(dest, now)
            return None
        starts = [start for start, _ in ranges]
        if ack.epoch != flight.epoch:
            if flight.acked_count:
                self._replace(dest, flight, ranges, starts)
            flight.epoch = ack.epoch
        newest: tuple[float, int] | None = None  # (sent, transmissions) of the newest acked
        acked = flight.acked
        for num in flight.unsent:  # queued again, yet held after all: do not send
            # (an outstanding one, probed while a stale entry waits, is `newly` below)
            if not acked[num] and num not in outstanding and _covered(ranges, starts, num):
                acked[num] = 1
                flight.acked_count += 1
        flight.upto = min(ack.upto, count)
        newly = [n for n in outstanding if _covered(ranges, starts, n)]
        congestion.forget(dest.cc, flight.tx, newly)
        for num in newly:
            if self.fast:
                self._acked_pn(flight, num, outstanding[num])
            sent = outstanding.pop(num)
            if newest is None or sent >= newest[0]:
                newest = (sent, flight.tx[num])
            acked[num] = 1
            flight.acked_count += 1
            dest.inflight -= 1
        if newest is not None and now is not None:
            self._sample(dest.est, newest[0], now, newest[1], hold)
            congestion.acked(dest.cc, len(newly), newest[0], dest.est.srtt)
            flight.probes = 0  # an ack of new grams: the probe timeout starts over
            flight.quiet = now
            if flight.acked_count >= count:
                flight.quiet = now  # all held, not yet delivered: probe if nothing follows
        if self.fast and now is not None:
            # a quiet ack is evidence only with new grams in it, and only for
            # grams sent no later than the newest of those (a late copy of an
            # old quiet ack says nothing of what was sent since)
            quiet = newest[0] if ack.quiet and newest is not None else None
            self._detect(flight, now, quiet)
        self._redue(flight)
        if now is not None:
            self._pump(dest, now)
        return None

    def _sample(self, est: RttEstimator, sent: float, now: float, tx: int, hold: float) -> None:
        """A sample from an ack; one Karn refuses may prove the RTO too short (rto.py)."""
        if not est.acked(sent, now, retransmitted=tx > 1, ack_delay=hold) and not self.fast:
            est.refused(sent, now, tx)

    # ---- fast policy: loss detection from acks (RFC 9002 section 6.1) ------
    def _acked_pn(self, flight: Flight, num: int, sent: float) -> None:
        pn = flight.pns.pop(num, None)
        if pn is not None and pn > flight.largest_pn:
            flight.largest_pn = pn
            flight.largest_sent = sent

    def _sent_pn(self, dest: Dest, flight: Flight, num: int) -> None:
        flight.pns[num] = dest.pn
        dest.pn += 1

    def _detect(self, flight: Flight, now: float, quiet: float | None = None) -> None:
        """Send again at once each gram loss.py finds lost (the fast policy)."""
        dest = self.dests[flight.dst]
        lost = loss.lost_grams(flight, dest.est, self.retry, now, quiet)
        copies = self.copies
        cc = dest.cc
        if cc is not None and (
            dest.inflight >= cc.window() or cc.congested(dest.est.srtt, self.retry.ack_delay_s)
        ):
            copies = 1  # no spare window, or a queue on the path: a copy would only add to it
        for num in lost:
            if flight.dead:
                return
            congestion.lost(
                dest.cc, flight.outstanding[num], now, dest.est, self.retry.ack_delay_s, self.stats
            )
            self._resend(dest, flight, num, now, copies)

    def _resend(self, dest: Dest, flight: Flight, num: int, now: float, copies: int = 1) -> None:
        """Send a gram again, `copies` times at once (one transmission; it
        keeps its window slot)."""
        if flight.tx[num] >= self.max_tries:
            self._fail(flight, "tries", now)
            return
        congestion.forget(dest.cc, flight.tx, (num,))
        flight.outstanding[num] = now
        flight.tx[num] += 1
        flight.quiet = now
        for _ in range(copies):
            self.txgs.append((flight.grams[num], flight.dst))
        self.stats.grams_retransmitted += copies
        self._sent_pn(dest, flight, num)

    def _wait(self, est: RttEstimator, timeouts: int, flight: Flight | None = None) -> float:
        """Retransmission timeout after `timeouts` timeouts of a gram: RFC
        6298's for the rto policy; for the fast policy the probe timeout
        srtt + max(4 rttvar, G) + ack_delay, with no floor [6.2.1], where
        ack_delay is 0 when the grams outstanding are the last the receiver
        lacks (it acks a delivery at once)."""
        if not self.fast:
            return est.backed_off(timeouts)
        last = flight is not None and flight.acked_count + len(flight.outstanding) >= flight.count
        base = est.probe_timeout(0.0 if last else self.retry.ack_delay_s)
        return min(base * (1 << min(timeouts, 62)), self.max_rto)

    def _replace(self, dest: Dest, flight: Flight, ranges: list[Range], starts: list[int]) -> None:
        """The receiver holds exactly what `ranges` lists: every acked gram it
        does not list is un-acked and queued to be sent again (once: a gram
        acked while still queued is there already, so acks flapping between
        epochs cannot grow the queue past the count)."""
        lost = [
            n for n in range(flight.count) if flight.acked[n] and not _covered(ranges, starts, n)
        ]
        queued = set(flight.unsent)
        for num in lost:
            flight.acked[num] = 0
            flight.acked_count -= 1
            if num not in queued:
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
        if not self.active:
            return
        expired: list[tuple[RttEstimator, int]] = []  # kept backoffs, after the pass:
        for flight in [f for f in self.active.values() if f.due is not None and f.due <= now]:
            if not flight.dead:  # grams due at one instant all go
                self._timeout(flight, now, expired)
        for est, tries in expired:
            est.expired(tries)

    def next_due(self) -> float | None:
        """Earliest tyme a retransmission or a give-up is due, or None."""
        due = None
        for flight in self.active.values():  # a loop, not min(genexpr): asked every pass
            d = flight.due
            if d is not None and (due is None or d < due):
                due = d
        for flight in self.flights.values():  # the oldest: the first to reach max_tyme
            expiry = flight.born + self.max_tyme
            if due is None or expiry < due:
                due = expiry
            break
        return due

    def _timeout(self, flight: Flight, now: float, expired: list[tuple[RttEstimator, int]]) -> None:
        if self.fast and flight.outstanding:
            self._fast_timeout(flight, now)
            return
        if not flight.outstanding:
            if flight.acked_count >= flight.count:
                self._probe(flight, now)
            else:
                self._redue(flight)
            return
        est = self.dests[flight.dst].est
        tx = flight.tx
        overdue = [
            n for n, sent in flight.outstanding.items() if sent + self._wait(est, tx[n] - 1) <= now
        ]
        if not overdue:  # the estimate moved since the due tyme was set
            self._redue(flight)
            return
        if any(tx[n] >= self.max_tries for n in overdue):
            self._fail(flight, "tries", now)
            return
        dest = self.dests[flight.dst]
        for num in overdue:
            expired.append((est, tx[num]))
            congestion.lost(
                dest.cc, flight.outstanding[num], now, dest.est, self.retry.ack_delay_s, self.stats
            )
            congestion.forget(dest.cc, flight.tx, (num,))
            flight.outstanding[num] = now
            flight.tx[num] += 1
            self.txgs.append((flight.grams[num], flight.dst))
            if self.fast:
                self._sent_pn(dest, flight, num)
        self.stats.grams_retransmitted += len(overdue)
        self._redue(flight)

    def _fast_timeout(self, flight: Flight, now: float) -> None:
        """Fast policy: a loss the time threshold now catches is sent again;
        else, after a probe timeout with no ack, one probe [6.2.4]: the
        outstanding gram sent longest ago, whose ack (a done ack, or what the
        receiver holds) lets loss detection find the rest."""
        if flight.loss_time is not None and flight.loss_time <= now:
            self._detect(flight, now)
            if not flight.dead:
                self._redue(flight)
            return
        est = self.dests[flight.dst].est
        if flight.quiet + self._wait(est, flight.probes, flight) > now:
            self._redue(flight)
            return
        # the gram sent longest ago (gram 0 first): probes cycle through every
        # outstanding gram, so one the receiver cannot list yet (a signed
        # memo's zeroth gram) is not starved by the others
        outstanding = flight.outstanding
        num = min(outstanding, key=lambda n: (outstanding[n], n))
        flight.probes += 1
        self._resend(self.dests[flight.dst], flight, num, now)
        if not flight.dead:
            self._redue(flight)

    def _probe(self, flight: Flight, now: float) -> None:
        """Every gram is acked but no done ack came: send gram 0 again, so the
        receiver answers with a done ack (it delivered the memo) or with what
        it holds now (it lost the memo)."""
        dest = self.dests[flight.dst]
        if flight.quiet + self._wait(dest.est, flight.probes) > now:
            self._redue(flight)
            return
        if flight.tx[0] >= self.max_tries:
            self._fail(flight, "tries", now)
            return
        flight.probes += 1
        flight.acked[0] = 0
        flight.acked_count -= 1
        flight.outstanding[0] = now
        flight.tx[0] += 1
        dest.inflight += 1
        self.txgs.append((flight.grams[0], flight.dst))
        if self.fast:
            self._sent_pn(dest, flight, 0)
        self.stats.grams_retransmitted += 1
        self._redue(flight)

    # ---- bookkeeping -----------------------------------------------------
    def _enqueue(self, dest: Dest, flight: Flight) -> None:
        if not flight.queued:
            flight.queued = True
            dest.queue.append(flight)

    def _pump(self, dest: Dest, now: float) -> None:
        queue = dest.queue
        cc = dest.cc
        limit = self.window
        window = limit if cc is None else cc.window()
        stats = self.stats
        txgs, fast, active, wait, est = self.txgs, self.fast, self.active, self._wait, dest.est
        while dest.inflight < limit and queue and (cc is None or cc.fresh < window):
            flight = queue[0]
            unsent = flight.unsent
            if flight.dead or not unsent:
                flight.queued = False
                queue.popleft()
                continue
            num = unsent.popleft()
            outstanding = flight.outstanding
            if flight.acked[num] or num in outstanding:
                continue
            outstanding[num] = now
            tx = flight.tx
            tries = tx[num] = tx[num] + 1
            if tries > 1:
                stats.grams_retransmitted += 1
            else:
                stats.window_sum += window
                stats.window_sends += 1
                if cc is not None:
                    cc.fresh += 1
            dest.inflight += 1
            txgs.append((flight.grams[num], flight.dst))
            if fast:
                self._sent_pn(dest, flight, num)
                flight.quiet = now
            due = now + wait(est, flight.probes if fast else tries - 1)
            if flight.due is None or due < flight.due:
                flight.due = due
                active[flight.mid] = flight
        if cc is not None:  # grams left waiting: the window, not the sender, is the limit
            cc.limited = bool(queue)

    def _redue(self, flight: Flight) -> None:
        if self.fast and flight.outstanding:
            due = flight.quiet + self._wait(self.dests[flight.dst].est, flight.probes, flight)
            if flight.loss_time is not None and flight.loss_time < due:
                due = flight.loss_time
            flight.due = due
            self.active[flight.mid] = flight
        elif flight.outstanding:
            est = self.dests[flight.dst].est
            tx = flight.tx
            flight.due = min(
                sent + self._wait(est, tx[n] - 1) for n, sent in flight.outstanding.items()
            )
            self.active[flight.mid] = flight
        elif flight.acked_count >= flight.count:  # all held, delivery not confirmed: probe
            flight.due = flight.quiet + self._wait(self.dests[flight.dst].est, flight.probes)
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
        congestion.forget(dest.cc, flight.tx, flight.outstanding)
        dest.inflight -= len(flight.outstanding)
        flight.pns.clear()
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
