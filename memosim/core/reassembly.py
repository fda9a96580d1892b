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
  One exception: a verified signed zeroth gram replaces an unsigned zeroth
  gram held for the same mid (a corrupted or forged copy cannot block it).
- Completed memo ids are remembered for a bounded, expiring window so a
  replayed or duplicated gram never delivers a memo twice.

hio's four dicts (rxgs, sources, counts, vids) are the storage of complete
and checked state, so code that inspects them as in hio keeps working.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .codes import AUTH_CODES, Pairs
from .grams import Gram
from .stats import Stats

GRAM_COST = 96  # bookkeeping bytes charged per held gram on top of its payload


@dataclass(frozen=True)
class Limits:
    """Bounds on what a receiver holds for memos that have not completed.

    expiry: tyme a partial memo may wait for its missing grams.
    max_memos / max_memos_per_source: partial memos held, in all / per source.
    max_bytes / max_bytes_per_source: bytes held for partial memos.
    done_window: completed memo ids remembered to drop duplicates.
    done_expiry: tyme a completed memo id is remembered.
    """

    expiry: float = 30.0
    max_memos: int = 4096
    max_memos_per_source: int = 1024
    max_bytes: int = 64 * 2**20
    max_bytes_per_source: int = 16 * 2**20
    done_window: int = 16384
    done_expiry: float = 120.0


Check = Callable[[str | None, Gram], str | None]


class _Partial:
    __slots__ = ("src", "born", "nbytes", "code", "early")

    def __init__(self, src, born: float | None) -> None:
        self.src = src
        self.born = born
        self.nbytes = 0
        self.code: str | None = None  # zeroth code once known
        self.early: dict[int, Gram] = {}


class Reassembly:
    """Partial memos keyed by mid, with hio's rxgs/sources/counts/vids views."""

    def __init__(
        self,
        limits: Limits,
        stats: Stats,
        *,
        rxgs: dict | None = None,
        sources: dict | None = None,
        counts: dict | None = None,
        vids: dict | None = None,
    ) -> None:
        self.limits = limits
        self.stats = stats
        self.rxgs: dict[str, dict[int, bytes]] = rxgs if rxgs is not None else {}
        self.sources: dict = sources if sources is not None else {}
        self.counts: dict[str, int] = counts if counts is not None else {}
        self.vids: dict[str, str | None] = vids if vids is not None else {}
        self.ready: dict[str, None] = {}
        self.done: dict[str, float | None] = {}
        self.nbytes = 0
        self._partials: dict[str, _Partial] = {}
        self._by_source: dict = {}
        self._source_bytes: dict = {}

    # ---- queries -----------------------------------------------------
    def __len__(self) -> int:
        return len(self._partials)

    def is_done(self, mid: str) -> bool:
        return mid in self.done

    def oldest_born(self) -> float | None:
        """First-seen tyme of the oldest partial memo, for timers."""
        for partial in self._partials.values():
            return partial.born
        return None

    def held(self, mid: str) -> list[int]:
        """Gram numbers held for mid (checked and early), ascending."""
        nums = set(self.rxgs.get(mid, ()))
        partial = self._partials.get(mid)
        if partial is not None:
            nums.update(partial.early)
        return sorted(nums)

    # ---- intake ------------------------------------------------------
    def add(self, gram: Gram, src, now: float | None, check: Check) -> str | None:
        """Store one parsed gram. Returns None when kept, else a drop reason.

        `check(vid, gram)` verifies a signed gram against the memo's vid and
        returns a drop reason or None.
        """
        mid = gram.mid
        if mid in self.done:
            return "duplicate"
        if gram.zeroth:
            return self._add_zeroth(gram, src, now, check)
        if gram.num == 0:
            return "number"
        count = self.counts.get(mid)
        if count is None:
            return self._add_early(gram, src, now)
        partial = self._partials[mid]
        reason = self._admit(partial, gram, count, self.vids[mid], check)
        if reason is None:
            self._keep(mid, partial, gram.num, gram.body)
            self._check_complete(mid)
        return reason

    def _add_zeroth(self, gram: Gram, src, now, check: Check) -> str | None:
        mid = gram.mid
        held = self._partials.get(mid)
        if mid in self.counts and not (gram.authed and held and held.code not in AUTH_CODES):
            return "duplicate"
        if gram.authed:
            reason = check(gram.vid, gram)
            if reason is not None:
                return reason
            if mid in self.counts:  # a verified zeroth supersedes an unsigned one
                self.stats.drop("superseded")
                self._remove(mid)
        partial = self._partials.get(mid) or self._open(mid, src, now)
        count = gram.count or 1  # hio sends count 0 for short binary memos
        partial.code = gram.code
        self.counts[mid] = count
        self.vids[mid] = gram.vid
        self.rxgs[mid] = {}
        self._keep(mid, partial, 0, gram.body)
        early, partial.early = partial.early, {}
        for num in sorted(early):
            held = early[num]
            self._charge(mid, partial, -_cost(held))
            if mid not in self._partials:
                break  # evicted while being filled: the bounds won
            reason = self._admit(partial, held, count, gram.vid, check)
            if reason is None:
                self._keep(mid, partial, num, held.body)
            else:
                self.stats.drop(reason)
        self._check_complete(mid)
        return None

    def _add_early(self, gram: Gram, src, now) -> str | None:
        mid = gram.mid
        partial = self._partials.get(mid) or self._open(mid, src, now)
        if gram.num in partial.early:
            return "duplicate"
        partial.early[gram.num] = gram
        self._charge(mid, partial, _cost(gram))
        return None

    def _admit(self, partial: _Partial, gram: Gram, count: int, vid, check: Check) -> str | None:
        if gram.code != Pairs.get(partial.code or ""):
            return "mismatch"
        if gram.num >= count:
            return "number"
        if gram.num in self.rxgs[gram.mid]:
            return "duplicate"
        if gram.authed:
            return check(vid, gram)
        return None

    def _keep(self, mid: str, partial: _Partial, num: int, body: bytes) -> None:
        grams = self.rxgs.get(mid)
        if grams is not None:  # None when bounds evicted the memo meanwhile
            grams[num] = body
            self._charge(mid, partial, len(body) + GRAM_COST)

    def _check_complete(self, mid: str) -> None:
        grams = self.rxgs.get(mid)
        if grams is not None and len(grams) >= self.counts[mid]:
            self.ready[mid] = None

    # ---- bounds ------------------------------------------------------
    def _open(self, mid: str, src, now) -> _Partial:
        lim = self.limits
        while len(self._partials) >= lim.max_memos:
            self._evict(next(iter(self._partials)))
        mids = self._by_source.get(src)
        while mids and len(mids) >= lim.max_memos_per_source:
            self._evict(next(iter(mids)))
            mids = self._by_source.get(src)
        partial = _Partial(src, now)
        self._partials[mid] = partial
        self._by_source.setdefault(src, {})[mid] = None
        self.sources[mid] = src
        return partial

    def _charge(self, mid: str, partial: _Partial, nbytes: int) -> None:
        partial.nbytes += nbytes
        self.nbytes += nbytes
        src = partial.src
        self._source_bytes[src] = self._source_bytes.get(src, 0) + nbytes
        if nbytes <= 0:
            return
        lim = self.limits
        while self._source_bytes.get(src, 0) > lim.max_bytes_per_source:
            self._evict(next(iter(self._by_source[src])))
        while self.nbytes > lim.max_bytes:
            self._evict(next(iter(self._partials)))

    def _evict(self, mid: str) -> None:
        self.stats.memos_evicted += 1
        self._remove(mid)

    def _remove(self, mid: str) -> None:
        partial = self._partials.pop(mid, None)
        if partial is None:
            return
        self.nbytes -= partial.nbytes
        src = partial.src
        left = self._source_bytes.get(src, 0) - partial.nbytes
        mids = self._by_source.get(src)
        if mids is not None:
            mids.pop(mid, None)
            if not mids:
                del self._by_source[src]
        if mids:
            self._source_bytes[src] = left
        else:
            self._source_bytes.pop(src, None)
        self.rxgs.pop(mid, None)
        self.sources.pop(mid, None)
        self.counts.pop(mid, None)
        self.vids.pop(mid, None)
        self.ready.pop(mid, None)

    def expire(self, now: float | None) -> None:
        """Drop partial memos and remembered mids older than their limits."""
        if now is None:
            return
        cutoff = now - self.limits.expiry
        while self._partials:
            mid, partial = next(iter(self._partials.items()))
            if partial.born is None or partial.born > cutoff:
                break
            self.stats.memos_expired += 1
            self._remove(mid)
        cutoff = now - self.limits.done_expiry
        while self.done:
            mid, when = next(iter(self.done.items()))
            if when is None or when > cutoff:
                break
            del self.done[mid]

    # ---- completion ----------------------------------------------------
    def pop_ready(self) -> Iterator[str]:
        """Yield the mids whose grams are all present, oldest completion first."""
        while self.ready:
            mid = next(iter(self.ready))
            del self.ready[mid]
            yield mid

    def finish(self, mid: str, now: float | None) -> None:
        """Forget a memo's grams and remember its mid as completed."""
        self._remove(mid)
        self.done.pop(mid, None)
        self.done[mid] = now
        while len(self.done) > self.limits.done_window:
            del self.done[next(iter(self.done))]


def _cost(gram: Gram) -> int:
    return len(gram.body) + (len(gram.signed) if gram.signed else 0) + GRAM_COST
