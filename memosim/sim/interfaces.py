"""A host's network interfaces: the egress and ingress that all its links share.

A link (links.py) belongs to one ordered host pair, so two senders into one
receiver never meet on it. An interface is where they do: every datagram a
host sends passes its egress, every datagram sent to it passes its ingress,
whatever link carries it in between, as netem on a host's interface or an
access link would treat them. An interface has the rate of a link (one FIFO
serialising at bps behind a queue of queue_limit datagrams; a full queue
drops, reason ``ifqueue``), and optionally loss and a delay, each drawn from
its own named stream (``iface:<host>:<egress|ingress>:<kind>``), so adding an
interface never shifts another draw.

The network (network.py) asks :meth:`Interface.enter` when a datagram
reaches the interface: at its send tyme for an egress, at its arrival off
the link for an ingress. Both are called in tyme order, so the queue is
exact: the answer is the tyme the datagram leaves, or why it was dropped.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import Timeout

from ..errors import MISSING, ScenarioError
from ..validation import at, check_keys, table
from .counters import Counters
from .impairments import LinkConfig, build_link_impairments
from .rng import Streams

__all__ = ["DIRECTIONS", "INTERFACE_KEYS", "Interface", "build_interface"]

#: Where an interface sits on its host's datagrams.
DIRECTIONS = ("egress", "ingress")
#: What an interface table may hold (a subset of a link's impairments).
INTERFACE_KEYS = ("rate", "loss", "delay")


def build_interface(spec: Any, path: str = "") -> LinkConfig:
    """Check an ``egress`` or ``ingress`` table (rate required, loss and
    delay optional; each as on a link) and build it; ScenarioError naming
    the key path (``peers[0].ingress.rate``) otherwise."""
    d = table(spec, path, f"a table of {', '.join(INTERFACE_KEYS)} (rate required)")
    check_keys(d, path, INTERFACE_KEYS)
    if "rate" not in d:
        expected = "a rate table { bps, queue_limit } (an interface's queue)"
        raise ScenarioError("", at(path, "rate"), expected, MISSING)
    return build_link_impairments(d, path)


class Interface:
    """One host's egress or ingress: its queue state, draws and counters.

    counters: ``sent`` counts datagrams that entered, ``delivered`` those
    taken in to send on (as they are queued: a run's end may find some
    still queued), ``dropped`` the rest by reason (``loss``, ``ifqueue``).
    """

    def __init__(self, streams: Streams, host: str, direction: str, config: LinkConfig) -> None:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
        if config.rate is None:
            raise ValueError(f"interface {host}:{direction} needs a rate")
        extra = [
            k for k in ("reorder", "duplicate", "corrupt", "mtu", "schedule") if getattr(config, k)
        ]
        if extra:
            raise ValueError(
                f"interface {host}:{direction} takes only {INTERFACE_KEYS}, not {extra}"
            )
        self.host, self.direction = host, direction
        self.name = f"{host}:{direction}"
        self.config = config
        self.counters = Counters()

        def bind(kind: str, model: Any) -> Any:
            return (
                None if model is None else model.bind(streams.stream(f"iface:{self.name}:{kind}"))
            )

        self.lose: Callable[[], bool] | None = bind("loss", config.loss)
        self.base = config.delay.base_s if config.delay else 0.0
        self.jitter: Callable[[], float] | None = bind("delay", config.delay)
        # keep_order holds a datagram back to its predecessor's leave tyme
        self.keep_order = bool(config.delay and config.delay.keep_order and self.jitter)
        #: leave tymes never go backwards: a link fed by it may take each
        #: datagram at send tyme (else the network waits for the leave tyme)
        self.ordered = self.jitter is None or self.keep_order
        self.last_leave = -math.inf  # for keep_order
        # an ordered ingress's datagrams waiting to land, (leave tyme, entry),
        # and the leave tyme of its last pending SimPy event
        self.fifo: deque[tuple[float, Any]] = deque()
        self.tail = -1.0
        #: the network's ``land(entry, tyme)``, called as a datagram leaves an ingress
        self.land: Callable[[Any, float], None] | None = None
        rate = config.rate
        self.spb = 8.0 / rate.bps  # seconds per byte
        self.overhead = rate.overhead
        self.qlimit = rate.queue_limit
        self.departures: deque[float] = deque()  # serialisation ends of queued datagrams
        self.busy_until = 0.0

    def enter(self, now: float, size: int) -> float | str:
        """A datagram of `size` payload bytes reaches the interface at `now`:
        the tyme it leaves (queued, serialised, delayed), or a drop reason."""
        c = self.counters
        c.sent += 1
        c.bytes_sent += size
        if self.lose is not None and self.lose():
            c.drop("loss")
            return "loss"
        deps = self.departures
        while deps and deps[0] <= now:
            deps.popleft()
        if len(deps) >= self.qlimit:
            c.drop("ifqueue")
            return "ifqueue"
        busy = self.busy_until
        t = (busy if busy > now else now) + (size + self.overhead) * self.spb
        self.busy_until = t
        deps.append(t)
        c.delivered += 1
        c.bytes_delivered += size
        if self.jitter is None:
            return t + self.base
        t += max(self.jitter(), 0.0)
        if self.keep_order:
            if t < self.last_leave:
                t = self.last_leave
            self.last_leave = t
        return t

    def hold(self, env: simpy.Environment, now: float, left: float, entry: Any) -> None:
        """Land ``entry`` (an ingress's datagram, judged at ``now``) at its
        leave tyme ``left``. Leave tymes that never go backwards share a
        FIFO and one SimPy event per distinct tyme, so equal tymes (keep_order)
        land in order whatever the float sums; jitter gets an event each."""
        if not self.ordered:
            Timeout(env, left - now, (entry, left)).callbacks.append(self._leave)
            return
        self.fifo.append((left, entry))
        if left != self.tail:
            self.tail = left
            Timeout(env, left - now, left).callbacks.append(self._drain)

    def _leave(self, event: simpy.Event) -> None:
        entry, left = event._value
        self.land(entry, left)  # type: ignore[misc]

    def _drain(self, event: simpy.Event) -> None:
        due = event._value
        if due == self.tail:
            self.tail = -1.0  # a datagram held now at zero wait needs a new event
        fifo, land = self.fifo, self.land
        assert land is not None  # set by Network.add_interface
        for _ in range(len(fifo)):
            if fifo[0][0] > due:
                break
            left, entry = fifo.popleft()
            land(entry, left)

    def __repr__(self) -> str:
        return f"Interface({self.name!r})"
