"""SimDoist: a Doist whose tyme is SimPy's clock, running unchanged Doers.

A real Doist polls every tock; most of those passes find nothing to do. In
simulation a pass that finds nothing to do is pure cost, so SimDoist runs a
pass only when something can happen: a datagram arrived, a peer's timer is
due, a workload queued a memo (`kick`), or a peer is still busy. Passes stay
on the tock grid (k * tock), so a peer sees its work no sooner than a real
Doist polling at that tock would show it, and idle stretches cost no wall
time. Everything is driven by SimPy events, so runs repeat exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import simpy

from ..doing import Doist

_EPS = 1e-9


class SimDoist(Doist):
    """Doist on a SimPy environment.

    peers: the Memoers whose doers this Doist runs (for busy/get_timer/arrival).
    """

    def __init__(self, env: simpy.Environment, *, peers: Iterable[Any] = (), **kwa) -> None:
        self.env = env
        super().__init__(**kwa)
        self.peers = list(peers)
        self._kick: simpy.Event | None = None
        self.passes = 0
        # Per-peer state so a pass costs O(active peers), not O(all peers):
        # peers with work now (arrival, kick, still busy), and each peer's
        # next timer as of its last service (it changes only when serviced).
        self._index = {id(p): p for p in self.peers}
        self._dirty: set[int] = set(self._index)
        self._timers: dict[int, float] = {}
        self._serviced: list = []
        for peer in self.peers:
            peer.on_arrival = self._arrived(peer)

    def _arrived(self, peer):
        key = id(peer)

        def arrived(_endpoint) -> None:
            self._dirty.add(key)
            self._wake_now()

        return arrived

    # Passes run at k * tock while deeds are rescheduled at tyme + tock; the two
    # floats can differ in the last bit, which must not skip a due deed.
    _slack = _EPS

    # tyme is the environment's clock: setting it is a no-op, ticking too.
    @property
    def tyme(self) -> float:
        return self.env.now

    @tyme.setter
    def tyme(self, tyme: float) -> None:
        pass

    def tick(self, tock: float | None = None) -> float:
        return self.env.now

    def tymen(self):
        env = self.env

        def tymth() -> float:
            return env.now

        return tymth

    def _ready(self, doer) -> bool:
        """Skip a doer whose peer is idle: nothing landed, nothing queued, no
        timer due. Servicing such a peer changes nothing, so skipping it
        changes no outcome, only the wall time spent."""
        peer = getattr(doer, "peer", None)
        key = id(peer)
        if key not in self._index:
            return True
        timer = self._timers.get(key)
        if key in self._dirty or (timer is not None and timer <= self.env.now + _EPS):
            self._serviced.append(peer)
            return True
        return False

    def kick(self, peer=None) -> None:
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
        dirty, timers = self._dirty, self._timers
        for peer in self._serviced:
            key = id(peer)
            if peer.busy():
                dirty.add(key)
            else:
                dirty.discard(key)
            timer = peer.get_timer()
            if timer is None:
                timers.pop(key, None)
            else:
                timers[key] = timer
        self._serviced = []

    def _grid(self, when: float) -> float:
        """First tock-grid time at or after `when`."""
        tock = self.tock
        if tock <= 0:
            return when
        return math.ceil(when / tock - _EPS) * tock

    def process(self, doers=None, *, temp=None):
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
                if not self.deeds:
                    self.done = True
                    return
                self._after_pass()
                now = env.now
                if self._dirty:
                    yield env.timeout(max(self.tock, _EPS))
                    continue
                self._kick = env.event()
                waits = [self._kick]
                if self._timers:
                    waits.append(env.timeout(max(min(self._timers.values()) - now, 0.0)))
                yield env.any_of(waits)
                self._kick = None
                wake = self._grid(env.now)
                if wake <= now + _EPS:  # never run two passes at one instant
                    wake = self._grid(now + max(self.tock, _EPS))
                if wake > env.now:
                    yield env.timeout(wake - env.now)
        finally:
            self.exit()

    def do(self, doers=None, limit=None, tyme=None, *, temp=None) -> None:
        """Run the doers on the environment until done or `limit` tyme passes."""
        if limit is not None:
            self.limit = abs(float(limit))
        proc = self.env.process(self.process(doers, temp=temp))
        until = None if not self.limit else self.env.now + self.limit
        self.env.run(until=until)
        self._close_if_running(proc)

    def _close_if_running(self, proc) -> None:
        gen = getattr(proc, "_generator", None)
        if gen is not None:
            gen.close()  # runs the finally: exit() closes the remaining deeds
