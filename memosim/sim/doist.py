"""SimDoist: a Doist whose tyme is SimPy's clock, running unchanged Doers.

A real Doist polls every tock; most of those passes find nothing to do. In
simulation a pass that finds nothing to do is pure cost, so SimDoist runs a
pass only when something can happen: a datagram arrived, a peer's timer is
due, a workload queued a memo (`kick`), or a peer is still busy. Passes stay
on the tock grid (k * tock), so a peer sees its work no sooner than a real
Doist polling at that tock would show it, and idle stretches cost no wall
time. Everything is driven by SimPy events, so runs repeat exactly.

A pass is woken behind every other event of its instant, so a datagram that
lands exactly at a pass instant is taken in that pass. On a
:class:`~memosim.sim.clock.GridEnvironment` the grid and the arrivals are
whole nanoseconds, so "exactly" survives float sums such as 0.07 + 0.02.

Within a pass only the doers of peers with work run (and every doer that is
not bound to a watched peer, on its retyme as in Doist), in the doers' own
order, so a pass costs O(active peers) rather than O(all peers). Servicing
an idle peer would change nothing, so the outcome is the same.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Generator, Iterable
from typing import Any, Protocol

import simpy

from ..doing import Deed, Dog, Doist, _set_done
from ..tyming import Tymth
from .clock import NS_PER_S, after_others, ticks

_EPS = 1e-9


def _kicker(kick: simpy.Event) -> Callable[[simpy.Event], None]:
    """A timer's callback: fire `kick` unless something fired it first."""

    def fire(_timer: simpy.Event) -> None:
        if not kick.triggered:
            kick.succeed()

    return fire


class WatchedPeer(Protocol):
    """What SimDoist needs of a peer it watches: a hook run when a datagram
    lands, whether it still has work, and when its next timer is due."""

    on_arrival: Callable[[Any], object] | None

    def busy(self) -> bool: ...

    def get_timer(self) -> float | None: ...


class _Slot:
    """One running doer: its dog, next retyme and, if bound, its peer's key."""

    __slots__ = ("dog", "retyme", "doer", "key", "index", "alive")

    def __init__(self, dog: Dog, retyme: float, doer: Any, key: int | None, index: int) -> None:
        self.dog = dog
        self.retyme = retyme
        self.doer = doer
        self.key = key
        self.index = index
        self.alive = True


class SimDoist(Doist):
    """Doist on a SimPy environment.

    peers: the Memoers whose doers this Doist runs (for busy/get_timer/arrival).
    """

    # Passes run at k * tock while deeds are rescheduled at tyme + tock; the two
    # floats can differ in the last bit, which must not skip a due deed.
    _slack = _EPS

    def __init__(
        self, env: simpy.Environment, *, peers: Iterable[WatchedPeer] = (), **kwa: Any
    ) -> None:
        self.env = env
        self._slots: list[_Slot] = []
        super().__init__(**kwa)
        self.peers = list(peers)
        self._kick: simpy.Event | None = None
        self.passes = 0
        # Per-peer state: peers with work now (arrival, kick, still busy), each
        # peer's next timer as of its last service (it changes only when it is
        # serviced) and a heap of those timers (stale entries skipped lazily).
        self._index = {id(p): p for p in self.peers}
        self._dirty: set[int] = set(self._index)
        self._timers: dict[int, float] = {}
        self._heap: list[tuple[float, int]] = []
        self._serviced: list[WatchedPeer] = []
        self._by_key: dict[int, list[_Slot]] = {}
        self._free: list[_Slot] = []  # slots of doers bound to no watched peer
        for peer in self.peers:
            peer.on_arrival = self._arrived(peer)

    def _arrived(self, peer: WatchedPeer) -> Callable[[object], None]:
        key = id(peer)
        dirty = self._dirty

        def arrived(_endpoint: object) -> None:  # once per datagram: _wake_now inline
            dirty.add(key)
            kick = self._kick
            if kick is not None and not kick.triggered:
                kick.succeed()

        return arrived

    # tyme is the environment's clock: setting it is a no-op, ticking too.
    @property
    def tyme(self) -> float:
        return self.env.now

    @tyme.setter
    def tyme(self, tyme: float) -> None:
        pass

    def tick(self, tock: float | None = None) -> float:
        return self.env.now

    def tymen(self) -> Tymth:
        env = self.env

        def tymth() -> float:
            return env.now

        return tymth

    # ---- deeds as ordered slots -------------------------------------------
    @property
    def deeds(self) -> deque[Deed]:
        """The running deeds in order, as Doist keeps them (built on demand)."""
        return deque(Deed(s.dog, s.retyme, s.doer) for s in self._slots if s.alive)

    @deeds.setter
    def deeds(self, deeds: deque[Deed]) -> None:
        self._slots = []
        self._add(deeds)

    def _add(self, deeds: Iterable[Deed]) -> None:
        index = getattr(self, "_index", {})
        for dog, retyme, doer in deeds:
            assert dog is not None  # entered deeds, never the end-of-pass mark
            key = id(getattr(doer, "peer", None))
            self._slots.append(
                _Slot(
                    dog, float(retyme or 0.0), doer, key if key in index else None, len(self._slots)
                )
            )
        self._reindex()

    def _reindex(self) -> None:
        self._slots = [s for s in self._slots if s.alive]
        by_key: dict[int, list[_Slot]] = {}
        free = []
        for i, slot in enumerate(self._slots):
            slot.index = i
            if slot.key is None:
                free.append(slot)
            else:
                by_key.setdefault(slot.key, []).append(slot)
        self._by_key, self._free = by_key, free

    def enter(self, doers: Iterable[Any] | None = None, *, temp: bool | None = None) -> deque[Deed]:
        deeds = super().enter(self.doers if doers is None else doers, temp=temp)
        if doers is None:
            self._slots = []
            self._add(deeds)
        return deeds

    def extend(self, doers: Iterable[Any]) -> None:
        fresh = [doer for doer in doers if doer not in self.doers]
        deeds = self.enter(doers=fresh)
        self.doers.extend(fresh)
        self._add(deeds)

    def remove(self, doers: Iterable[Any]) -> None:
        gone = [doer for doer in doers if doer in self.doers]
        closing = deque(
            Deed(s.dog, s.retyme, s.doer) for s in self._slots if s.alive and s.doer in gone
        )
        for slot in self._slots:
            if slot.doer in gone:
                slot.alive = False
        self._reindex()
        for doer in gone:
            self.doers.remove(doer)
        super().exit(deeds=closing)

    def exit(self, deeds: deque[Deed] | None = None) -> None:
        if deeds is not None:
            super().exit(deeds)
            return
        remaining = self.deeds
        self._slots = []
        self._reindex()
        super().exit(remaining)

    def recur(self, deeds: deque[Deed] | None = None) -> None:
        """One pass over the doers with work, in order; reads only env.now."""
        if deeds is not None:
            super().recur(deeds)
            return
        now = self.env.now
        due = now + self._slack
        self._take_due_timers(due)
        by_key = self._by_key
        run = list(self._free)
        for key in self._dirty:
            run.extend(by_key.get(key, ()))
        run.sort(key=lambda s: s.index)
        tock = self.tock
        died = False
        for slot in run:
            if slot.retyme > due:
                continue
            if slot.key is not None:
                self._serviced.append(self._index[slot.key])
            try:
                yielded = slot.dog.send(now)
            except StopIteration as ex:
                _set_done(slot.doer, ex.value)
                slot.alive = False
                died = True
                continue
            slot.retyme = now + tock if not yielded else slot.retyme + yielded
        if died:
            self._reindex()

    def _take_due_timers(self, due: float) -> None:
        """Peers whose timer has come have work: mark them dirty."""
        heap, timers, dirty = self._heap, self._timers, self._dirty
        while heap and heap[0][0] <= due:
            when, key = heapq.heappop(heap)
            if timers.get(key) == when:
                dirty.add(key)

    def _next_timer(self) -> float | None:
        heap, timers = self._heap, self._timers
        while heap and timers.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def kick(self, peer: WatchedPeer | None = None) -> None:
        """New work was queued (on `peer`, or anywhere): pass at the next tock."""
        if peer is None:
            self._dirty.update(self._index)
        else:
            self._dirty.add(id(peer))
        self._wake_now()

    def _wake_now(self) -> None:
        if self._kick is not None and not self._kick.triggered:
            self._kick.succeed()

    def _after_pass(self) -> None:
        """Refresh the state of the peers this pass serviced."""
        dirty, timers, heap = self._dirty, self._timers, self._heap
        for peer in self._serviced:
            key = id(peer)
            if peer.busy():
                dirty.add(key)
            else:
                dirty.discard(key)
            timer = peer.get_timer()
            if timer is None:
                timers.pop(key, None)
            else:  # pushed even when unchanged: a due entry was popped this pass
                timers[key] = timer
                heapq.heappush(heap, (timer, key))
        self._serviced = []
        if len(heap) > 4 * len(timers) + 64:  # drop stale entries now and then
            self._heap = [(t, k) for k, t in timers.items()]
            heapq.heapify(self._heap)

    def _grid(self, when: float) -> float:
        """First tock-grid time at or after `when`, counted in whole
        nanoseconds so that it is the very float a GridEnvironment dates
        an arrival at that instant with."""
        tock = ticks(self.tock)
        if tock <= 0:
            return when
        return -(-ticks(when) // tock) * tock / NS_PER_S

    def process(
        self, doers: Iterable[Any] | None = None, *, temp: bool | None = None
    ) -> Generator[simpy.Event, Any, None]:
        """SimPy process running the doers until they are done or the env stops."""
        if doers is not None:
            self.doers = list(doers)
        self.done = False
        env = self.env
        try:
            self.enter(temp=temp)
            while True:
                self.recur()
                self.passes += 1
                if not self._slots:
                    self.done = True
                    return
                self._after_pass()
                now = env.now
                if self._dirty:
                    yield after_others(env, self._grid(now + max(self.tock, _EPS)) - now)
                    continue
                # sleep on the kick event alone; a due timer fires it as an
                # arrival would (no any_of Condition: one SimPy event less per sleep)
                kick = self._kick = env.event()
                nxt = self._next_timer()
                if nxt is not None:
                    env.timeout(max(nxt - now, 0.0)).callbacks.append(_kicker(kick))
                yield kick
                self._kick = None
                wake = self._grid(env.now)
                if wake <= now + _EPS:  # never run two passes at one instant
                    wake = self._grid(now + max(self.tock, _EPS))
                if wake > env.now:
                    yield after_others(env, wake - env.now)
        finally:
            self.exit()

    def do(
        self,
        doers: Iterable[Any] | None = None,
        limit: float | None = None,
        tyme: float | None = None,
        *,
        temp: bool | None = None,
    ) -> None:
        """Run the doers on the environment until done or `limit` tyme passes."""
        if limit is not None:
            self.limit = abs(float(limit))
        proc = self.env.process(self.process(doers, temp=temp))
        until = None if not self.limit else self.env.now + self.limit
        self.env.run(until=until)
        self._close_if_running(proc)

    def _close_if_running(self, proc: simpy.Process) -> None:
        gen = getattr(proc, "_generator", None)
        if gen is not None:
            gen.close()  # runs the finally: exit() closes the remaining deeds
