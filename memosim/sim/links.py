"""One directional link of the virtual network, and a datagram in flight on it.

A Link holds its config, the seeded draws of its impairments (named
streams, so adding one never shifts another), its counters and, when
arrivals keep their order, a FIFO of datagrams in flight drained by one
SimPy event per distinct arrival time. The network (network.py) makes
links, sends over them and is called back as datagrams arrive.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

import simpy

from ..transports.simulated import Address
from .counters import Counters, EndpointCounters
from .impairments import LinkConfig
from .rng import Streams


class Network(Protocol):
    """What a link needs of its network (network.py): named seeded streams,
    and the call that lands a datagram whose time has come."""

    streams: Streams

    def arrive(self, entry: InFlight) -> None: ...


__all__ = ["InFlight", "Link", "new_in_flight"]


class InFlight(NamedTuple):
    """A datagram on its way: due tyme, link, bytes, ends, the sender's
    counters, whether it was corrupted (dropped on arrival), its trace hash."""

    due: float
    link: Link
    data: bytes
    src: Address
    dst: Address
    counters: EndpointCounters
    bad: bool
    h: str | None


new_in_flight = tuple.__new__  # new_in_flight(InFlight, fields): in C, one per datagram


class Link:
    """One directional link src_host -> dst_host: its config, the draw
    functions bound to its own random streams, queue state and counters."""

    def __init__(
        self,
        network: Network,
        src: str,
        dst: str,
        config: LinkConfig,
        blackouts: list[tuple[float, float, str]],
    ) -> None:
        self.network = network
        self.src, self.dst = src, dst
        self.name = f"{src}->{dst}"
        self.config = config
        self.counters = Counters()
        self.blackouts = blackouts  # (start, end, reason), [start, end)

        def bind(kind: str, model: Any) -> Any:
            return (
                None
                if model is None
                else model.bind(network.streams.stream(f"link:{self.name}:{kind}"))
            )

        c = config
        self.mtu = c.mtu
        self.lose: Callable[[], bool] | None = bind("loss", c.loss)
        self.dup: Callable[[], bool] | None = bind("duplicate", c.duplicate)
        self.corrupt: Callable[[bytes], bytes | None] | None = bind("corrupt", c.corrupt)
        self.corrupt_delivers = bool(c.corrupt and c.corrupt.deliver)
        self.base = c.delay.base_s if c.delay else 0.0
        self.jitter: Callable[[], float] | None = bind("delay", c.delay)
        self.keep_order = bool(c.delay and c.delay.keep_order and self.jitter)
        self.reorder: Callable[[], bool] | None = bind("reorder", c.reorder)
        self.last_arrival = -math.inf  # for keep_order
        # arrivals never go backwards unless jitter or reorder can do it; such
        # a FIFO link batches equal-time arrivals into one SimPy event
        self.fifo: deque[InFlight] | None = (
            deque() if (self.jitter is None or self.keep_order) and self.reorder is None else None
        )
        self.tail = -1.0  # arrival time of the last pending batch event
        if c.rate is not None:
            self.spb = 8.0 / c.rate.bps  # seconds per byte
            self.overhead = c.rate.overhead
            self.qlimit = c.rate.queue_limit
            self.departures: deque[float] | None = deque()  # serialisation ends
            self.busy_until = 0.0
        else:
            self.departures = None
        if c.schedule is not None:  # first: where a partition overlaps, `down` wins
            self.blackouts[:0] = [(s, e, "down") for s, e in c.schedule.windows]
        # a link with nothing but a constant delay takes the fast path
        self.simple = not (
            blackouts or c.mtu or c.loss or c.duplicate or c.corrupt or c.rate or c.reorder
        ) and (self.jitter is None)

    def drain(self, event: simpy.Event) -> None:
        """SimPy callback: deliver this FIFO link's datagrams due by the
        event's time, but none sent after the event fired."""
        due = event._value
        if due == self.tail:
            self.tail = -1.0  # a datagram sent now at zero delay needs a new event
        fifo, arrive = self.fifo, self.network.arrive
        assert fifo is not None  # only FIFO links schedule this callback
        for _ in range(len(fifo)):
            if fifo[0].due > due:
                break
            arrive(fifo.popleft())

    def __repr__(self) -> str:
        return f"Link({self.name!r})"
