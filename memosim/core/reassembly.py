"""Bounded reassembly of memos from grams, as hio keeps it but safe to expose.

Rules (each closes a fault of hio 0.7.20 listed in the wire spec):

- A partial memo lives from its first gram until it completes, expires
  (`Limits.expiry` tyme after its first gram) or is evicted. Partial memos are
  bounded in number and bytes per source and in total; the oldest goes first.
- A later gram that arrives before its memo's zeroth gram is held aside
  ("early") until the zeroth gram gives the count, the code family and the
  signer; only then is it checked and kept. So signed memos survive
  reordering, and an early gram cannot slip past a check it could not yet get.
- Every later gram must carry the code paired with its zeroth code and a
  number in 1..count-1; anything else is dropped, never stored.
- The first valid copy of each gram number is kept; copies are duplicates.
  Exceptions: a verified signed zeroth gram replaces an unsigned zeroth gram
  held for the same mid, a Sure zeroth gram a plain one (a corrupted or
  forged copy cannot block the real one), and any zeroth gram the early
  grams another source sent: a memo is its zeroth gram's source's, which is
  where it is delivered from and acked to (no third party can complete a
  record another source opened and earn that source a done ack).
- Completed memo ids are remembered for a bounded, expiring window so a
  replayed or duplicated gram never delivers a memo twice. Acked (Sure)
  memos are remembered apart, with a quota per source (delivered.py), so
  other sources' traffic cannot flush them.
- Each partial memo record has an epoch, a number no other record of this
  Reassembly had; an ack names it, so a sender can tell that a receiver lost
  a partial memo and started over.

Each memo is one record (_Partial); hio's four dicts (rxgs, sources,
counts, vids) are read-only views over those records, so code that inspects
them as in hio keeps working while a gram costs one dict look-up, not five.

A memo that fits in one gram is complete the moment its gram is accepted, so
it skips the partial-memo bookkeeping: it waits in `_wholes` (bounded by
max_memos and max_bytes, oldest dropped first) until fused, and the views
show it there exactly as hio's dicts would.
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping

from .aliases import Address
from .codes import AUTH_CODES, SURE_CODES, ZERO_CODES, MaxGramCount, Pairs
from .delivered import Delivered
from .grams import Gram
from .limits import Limits
from .stats import Stats
from .views import HeldView, Whole, new_whole

logger = logging.getLogger("memosim.reassembly")
Dropped = Callable[[str, object, str], None]  # (reason, src, detail): count and log a gram

_AUTH = AUTH_CODES

GRAM_COST = 96  # bookkeeping bytes charged per held gram on top of its payload


Check = Callable[[str | None, Gram], str | None]


class _Partial:
    """Everything held for one memo that has not completed."""

    __slots__ = (
        "src",
        "born",
        "nbytes",
        "code",
        "pair",
        "count",
        "vid",
        "grams",
        "early",
        "ledger",
        "epoch",
    )

    def __init__(self, src: Address, born: float | None, ledger: _Ledger, epoch: int) -> None:
        self.src = src
        self.epoch = epoch
        self.born = born
        self.nbytes = 0
        self.code: str | None = None  # zeroth code once known
        self.pair: str | None = None  # the code its later grams must carry
        self.count: int | None = None  # gram count once the zeroth gram is here
        self.vid: str | None = None
        self.grams: dict[int, bytes] | None = None  # checked bodies, once counted
        self.early: dict[int, Gram] = {}
        self.ledger = ledger


class _Ledger:
    """One source's partial memos (oldest first) and the bytes they hold."""

    __slots__ = ("mids", "nbytes")

    def __init__(self) -> None:
        self.mids: OrderedDict[str, None] = OrderedDict()
        self.nbytes = 0


class Reassembly:
    """Partial memos keyed by mid, with hio's rxgs/sources/counts/vids as views."""

    def __init__(self, limits: Limits, stats: Stats, dropped: Dropped | None = None) -> None:
        self.limits = limits
        self.stats = stats
        # grams dropped here, after add returned (held early grams, superseded
        # zeroth grams), go through the owner's counter and log like the rest
        self._dropped: Dropped = dropped if dropped is not None else self._count_drop
        # FIFO tables: OrderedDict finds its oldest entry in O(1); a dict must
        # skip every slot freed at its front, which a long run makes slow
        self._partials: OrderedDict[str, _Partial] = OrderedDict()
        self._wholes: dict[str, Whole] = {}
        self._ledgers: dict[Address, _Ledger] = {}
        parts, wholes = self._partials, self._wholes
        self.rxgs: Mapping[str, dict[int, bytes]] = HeldView(parts, wholes, "grams", True)
        self.sources: Mapping[str, Address] = HeldView(parts, wholes, "src", False)
        self.counts: Mapping[str, int] = HeldView(parts, wholes, "count", True)
        self.vids: Mapping[str, str | None] = HeldView(parts, wholes, "vid", True)
        self.ready: dict[str, None] = {}
        # delivered mids -> tyme; _done_order lists them oldest first, so the
        # window drops its oldest without iterating the dict
        self.done: dict[str, float | None] = {}
        self._done_order: deque[str] = deque()
        self.nbytes = 0  # bytes charged for partial memos
        self._expired_at: float | None = None  # tyme of the last expire
        self.whole_bytes = 0  # bytes of one-gram memos waiting to be fused
        self.sure = Delivered(
            per_source=limits.sure_window,
            max_sources=limits.sure_sources,
            expiry=limits.done_expiry,
        )
        self._epoch = 0  # last epoch given to a partial memo record

    # ---- queries -----------------------------------------------------
    def __len__(self) -> int:
        return len(self._partials)

    def is_done(self, mid: str) -> bool:
        return mid in self.done or mid in self.sure

    def epoch(self, mid: str) -> int:
        """Epoch of the partial record held for mid; 0 when none is held."""
        partial = self._partials.get(mid)
        return 0 if partial is None else partial.epoch

    def code_of(self, mid: str) -> str | None:
        """Zeroth code of a memo held with its zeroth gram, else None."""
        partial = self._partials.get(mid)
        if partial is None:
            whole = self._wholes.get(mid)
            return None if whole is None else whole.code
        return partial.code

    def oldest_born(self) -> float | None:
        """First-seen tyme of the oldest partial memo, for timers."""
        for partial in self._partials.values():
            return partial.born
        return None

    def held(self, mid: str) -> list[int]:
        """Gram numbers held for mid (checked and early), ascending."""
        partial = self._partials.get(mid)
        if partial is None:
            return [0] if mid in self._wholes else []
        nums = set(partial.early)
        if partial.grams is not None:
            nums.update(partial.grams)
        return sorted(nums)

    # ---- intake ------------------------------------------------------
    def add(self, gram: Gram, src: Address, now: float | None, check: Check) -> str | None:
        """Store one parsed gram. Returns None when kept, else a drop reason.

        `check(vid, gram)` verifies a signed gram against the memo's vid and
        returns a drop reason or None.
        """
        mid = gram.mid
        if mid in self.done or mid in self.sure:
            return "duplicate"
        code = gram.code
        if code in ZERO_CODES:
            if (gram.count or 1) == 1 and mid not in self._partials and mid not in self._wholes:
                # the common case: a one-gram memo with nothing held for its mid
                if code in _AUTH:
                    reason = check(gram.vid, gram)
                    if reason is not None:
                        return reason
                self._add_whole(gram, src)
                return None
            return self._add_zeroth(gram, src, now, check)
        num = gram.num
        if num == 0 or num >= MaxGramCount:  # no 24-bit count admits it: never held
            return "number"
        partial = self._partials.get(mid)
        if partial is None or partial.count is None:
            whole = self._wholes.get(mid) if partial is None else None
            if whole is not None:  # a later gram of a one-gram memo
                return "mismatch" if code != Pairs[whole.code] else "number"
            return self._add_early(partial, gram, src, now)
        # _admit and _keep, inline: this is the path of most grams
        if code != partial.pair:
            return "mismatch"
        if num >= partial.count:
            return "number"
        kept = partial.grams
        if num in kept:  # type: ignore[operator]
            return "duplicate"
        if gram.sig is not None:
            reason = check(partial.vid, gram)
            if reason is not None:
                return reason
        body = gram.body
        kept[num] = body  # type: ignore[index]
        if len(kept) >= partial.count:  # type: ignore[arg-type]
            self.ready[mid] = None
        nbytes = len(body) + GRAM_COST
        partial.nbytes += nbytes
        ledger = partial.ledger
        ledger.nbytes += nbytes
        self.nbytes += nbytes
        lim = self.limits
        if ledger.nbytes > lim.max_bytes_per_source or self.nbytes > lim.max_bytes:
            self._charge(partial, 0, enforce=True)
        return None

    def _add_zeroth(self, gram: Gram, src: Address, now: float | None, check: Check) -> str | None:
        mid = gram.mid
        authed = gram.code in _AUTH
        partial = self._partials.get(mid)
        held_code = None  # code of a zeroth gram already held for mid
        if partial is None:
            whole = self._wholes.get(mid)
            if whole is not None:
                held_code = whole.code
        elif partial.count is not None:
            held_code = partial.code
        if held_code is not None and _standing(gram.code) <= _standing(held_code):
            return "duplicate"  # the first valid copy stays
        if authed:
            reason = check(gram.vid, gram)
            if reason is not None:
                return reason
        if held_code is not None or (partial is not None and partial.src != src):
            # a verified signed zeroth supersedes the unsigned grams held for this
            # mid, a Sure zeroth a plain one (which a damaged code made), and any
            # zeroth the early grams of another source: the memo and its acks are
            # its zeroth gram's source's, so no source completes another's record
            if partial is None:
                self._dropped("superseded", self._wholes[mid].src, mid)
                self._drop_whole(mid)
            else:
                for num in sorted([*(partial.grams or ()), *partial.early]):
                    self._dropped("superseded", partial.src, f"{mid} gram {num}")
                self._remove(mid)
                partial = None
        count = gram.count or 1  # hio sends count 0 for short binary memos
        if partial is None:
            if count == 1:
                self._add_whole(gram, src)
                return None
            partial = self._open(mid, src, now)
        partial.code = gram.code
        partial.pair = Pairs[gram.code]
        partial.count = count
        partial.vid = gram.vid
        partial.grams = {}
        self._keep(mid, partial, 0, gram.body)
        early, partial.early = partial.early, {}
        if not early or self._partials.get(mid) is not partial:
            return None  # evicted while being filled: the bounds won, its bytes went with it
        # Each early gram's charge is refunded and its body charged again:
        # never more than before, and the bounds held after the zeroth gram,
        # so nothing is evicted here and the bytes settle once at the end.
        kept = partial.grams
        change = 0
        for num in sorted(early):
            early_gram = early[num]
            change -= _cost(early_gram)
            reason = self._admit(partial, early_gram, check)
            if reason is None:
                body = early_gram.body
                kept[num] = body
                change += len(body) + GRAM_COST
            else:
                self._dropped(reason, partial.src, f"{mid} gram {num}, held until its zeroth gram")
                # an ack may have listed it as held: a new epoch tells the sender it is not
                self._epoch = partial.epoch = self._epoch % 0xFFFFFFFF + 1
        if len(kept) >= count:
            self.ready[mid] = None
        partial.nbytes += change
        partial.ledger.nbytes += change
        self.nbytes += change
        return None

    def _add_whole(self, gram: Gram, src: Address) -> None:
        """Hold a checked one-gram memo for fusing; nothing else is held for it."""
        wholes = self._wholes
        lim = self.limits
        body = gram.body
        size = len(body)
        if len(wholes) >= lim.max_memos or self.whole_bytes + size > lim.max_bytes:
            while wholes and (
                len(wholes) >= lim.max_memos or self.whole_bytes + size > lim.max_bytes
            ):
                self.stats.memos_evicted += 1
                oldest = next(iter(wholes))
                logger.info("evicted memo %s from %s: bounds reached", oldest, wholes[oldest][0])
                self._drop_whole(oldest)
        mid = gram.mid
        wholes[mid] = new_whole(Whole, (src, gram.vid, gram.code, body))
        self.whole_bytes += size
        self.ready[mid] = None

    def _drop_whole(self, mid: str) -> None:
        whole = self._wholes.pop(mid)
        self.whole_bytes -= len(whole.body)
        self.ready.pop(mid, None)

    def _add_early(
        self, partial: _Partial | None, gram: Gram, src: Address, now: float | None
    ) -> str | None:
        if partial is None:
            partial = self._open(gram.mid, src, now)
        if gram.num in partial.early:
            return "duplicate"
        partial.early[gram.num] = gram
        self._charge(partial, _cost(gram))
        return None

    @staticmethod
    def _admit(partial: _Partial, gram: Gram, check: Check) -> str | None:
        if gram.code != partial.pair:
            return "mismatch"
        if gram.num >= partial.count:  # type: ignore[operator]
            return "number"
        if gram.num in partial.grams:  # type: ignore[operator]
            return "duplicate"
        if gram.sig is not None:
            return check(partial.vid, gram)
        return None

    def _keep(self, mid: str, partial: _Partial, num: int, body: bytes) -> None:
        grams = partial.grams
        grams[num] = body  # type: ignore[index]
        if len(grams) >= partial.count:  # type: ignore[arg-type, operator]
            self.ready[mid] = None
        self._charge(partial, len(body) + GRAM_COST)

    # ---- bounds ------------------------------------------------------
    def _open(self, mid: str, src: Address, now: float | None) -> _Partial:
        lim = self.limits
        partials = self._partials
        while len(partials) >= lim.max_memos:
            self._evict(next(iter(partials)))
        ledger = self._ledgers.get(src)
        if ledger is None:
            ledger = self._ledgers[src] = _Ledger()
        else:
            while len(ledger.mids) >= lim.max_memos_per_source:
                self._evict(next(iter(ledger.mids)))
            if not ledger.mids:  # eviction dropped the emptied ledger
                ledger = self._ledgers[src] = _Ledger()
        self._epoch = epoch = self._epoch % 0xFFFFFFFF + 1  # 32 bits on the wire, never 0
        partial = partials[mid] = _Partial(src, now, ledger, epoch)
        ledger.mids[mid] = None
        return partial

    def _charge(self, partial: _Partial, nbytes: int, enforce: bool = False) -> None:
        """Charge nbytes to partial, its source and the total; over a bound,
        evict oldest first (a refund, nbytes <= 0, evicts nothing unless enforce)."""
        partial.nbytes += nbytes
        ledger = partial.ledger
        ledger.nbytes += nbytes
        self.nbytes += nbytes
        if nbytes <= 0 and not enforce:
            return
        lim = self.limits
        while ledger.nbytes > lim.max_bytes_per_source and ledger.mids:
            self._evict(next(iter(ledger.mids)))
        while self.nbytes > lim.max_bytes and self._partials:
            self._evict(next(iter(self._partials)))

    def _count_drop(self, reason: str, src: object, detail: str) -> None:
        self.stats.drop(reason)
        logger.info("dropped gram from %s: %s %s", src, reason, detail)

    def _evict(self, mid: str) -> None:
        self.stats.memos_evicted += 1
        logger.info("evicted partial memo %s from %s: bounds reached", mid, self._partials[mid].src)
        self._remove(mid)

    def _remove(self, mid: str) -> None:
        partial = self._partials.pop(mid, None)
        if partial is None:
            return
        self.nbytes -= partial.nbytes
        ledger = partial.ledger
        ledger.nbytes -= partial.nbytes
        del ledger.mids[mid]
        if not ledger.mids and self._ledgers.get(partial.src) is ledger:
            del self._ledgers[partial.src]
        self.ready.pop(mid, None)

    def expire(self, now: float | None) -> None:
        """Drop partial memos and remembered mids older than their limits."""
        if now is None:
            return
        lim = self.limits
        if now == self._expired_at and min(lim.expiry, lim.done_expiry, self.sure.expiry) > 0:
            return  # again at one instant (fuse, then timers): all held since is younger
        self._expired_at = now
        cutoff = now - lim.expiry
        partials = self._partials
        while partials:
            mid, partial = next(iter(partials.items()))
            if partial.born is None or partial.born > cutoff:
                break
            self.stats.memos_expired += 1
            logger.info("expired partial memo %s from %s", mid, partial.src)
            self._remove(mid)
        cutoff = now - lim.done_expiry
        done, order = self.done, self._done_order
        while order:
            when = done[order[0]]
            if when is None or when > cutoff:
                break
            del done[order.popleft()]
        self.sure.expire(now)

    # ---- completion ----------------------------------------------------
    def pop_ready(self) -> list[str]:
        """The mids whose grams are all present, oldest completion first."""
        ready = self.ready
        mids = list(ready)
        ready.clear()
        return mids

    def take(
        self, mid: str, now: float | None, remember: bool = True
    ) -> tuple[dict[int, bytes], int, object, str | None]:
        """Remove a complete memo: (grams, count, src, vid); remember its mid as
        done unless remember=False."""
        whole = self.take_whole(mid, now, remember)
        if whole is not None:
            src, vid, _code, body = whole
            return {0: body}, 1, src, vid
        return self.take_partial(mid, now, remember)

    def take_partial(
        self, mid: str, now: float | None, remember: bool = True
    ) -> tuple[dict[int, bytes], int, object, str | None]:
        """take for a mid known not to be a one-gram memo. remember=False
        leaves the mid unremembered: the caller decides (Sure memos are
        remembered per source once their tag is checked)."""
        partial = self._partials[mid]
        self._remove(mid)
        if remember:
            self._done(mid, now)
        return partial.grams, partial.count, partial.src, partial.vid  # type: ignore[return-value]

    def take_whole(self, mid: str, now: float | None, remember: bool = True) -> Whole | None:
        """Remove mid when it is a one-gram memo and remember it as done, else None.

        Called for mids from pop_ready, which leaves them out of ready."""
        whole = self._wholes.pop(mid, None)
        if whole is None:
            return None
        self.whole_bytes -= len(whole.body)
        if remember:
            self._done(mid, now)
        return whole

    def remember(self, mid: str, now: float | None) -> None:
        """Remember a mid taken with remember=False as delivered."""
        self._done(mid, now)

    def _done(self, mid: str, now: float | None) -> None:
        """Remember mid as delivered (never already there: add() drops grams
        of delivered memos, so no memo completes twice)."""
        done = self.done
        done[mid] = now
        order = self._done_order
        order.append(mid)
        if len(order) > self.limits.done_window:
            del done[order.popleft()]


def _standing(code: str) -> tuple[bool, bool]:
    """How far a zeroth gram of this code may be trusted: signed first, then
    acked. A zeroth gram of higher standing supersedes one held for its mid."""
    return code in _AUTH, code in SURE_CODES


def _cost(gram: Gram) -> int:
    return len(gram.body) + (len(gram.signed) if gram.signed else 0) + GRAM_COST
