"""A SimPy virtual network of hosts joined by impaired directional links.

Hosts are names (any string); endpoints are UDP-like ``(host, port)``
addresses. Every ordered host pair (a, b) has one :class:`Link` a->b with
its own impairment chain and counters: an explicit one from
:meth:`Network.add_link`, or one made on first use from the network's
default spec (clean and zero-delay unless configured).

A host may also have an egress and an ingress interface
(:class:`~memosim.sim.interfaces.Interface`, added by :meth:`Network.add_interface`)
that all its links share. A datagram sent from host a to host b meets, in order:

1. link down (``schedule``) or a partition between a and b: drop
   (``down`` / ``partition``);
2. ``mtu``: payload + 28 header bytes above the MTU: drop (``mtu``);
3. a's egress, if any: its loss (``loss``), its FIFO queue (full: drop,
   ``ifqueue``) and serialisation, its delay; the link takes the datagram
   when it leaves the egress;
4. ``loss``: drop (``loss``);
5. ``duplicate``: maybe a second copy, which goes through 6-8 on its own;
6. ``corrupt``: maybe flip one bit (dropped on arrival unless deliver);
7. ``rate``: FIFO serialisation at bps; full queue: drop (``queue``);
8. ``reorder`` / ``delay``: the datagram arrives after the delay, or at
   once when reorder picks it; ``keep_order`` stops jitter overtaking;
9. b's ingress, if any, as it arrives off the link: loss, queue
   (``ifqueue``), serialisation and delay as for an egress.

On arrival: a corrupt datagram is dropped (``corrupt``) unless the link
delivers corrupt data; no endpoint bound at the destination: drop
(``unreachable``); a full receive buffer: drop (``rcvbuf``); else the
datagram lands in the endpoint's inbox. A drop at an interface is counted
on the interface, on the link and on the sending address.

Scheduling: impairment decisions and the rate queue are computed when a
datagram is sent, so only arrivals need SimPy events. On a link whose
arrivals cannot overtake each other (no jitter, or keep_order, and no
reorder) datagrams wait in a FIFO and one SimPy timeout per distinct
arrival time delivers all of them in send order: a burst costs one event.
On other links each datagram has its own timeout. Equal-time events keep
SimPy's fixed (time, priority, insertion) order, so runs are repeatable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import simpy
from simpy.events import Timeout

from ..transports.simulated import Address, AddressInUse, Endpoint
from .counters import Counters, EndpointCounters, summary
from .impairments import IP_UDP_OVERHEAD, LinkConfig, build_link_impairments
from .interfaces import Interface
from .links import InFlight, Link, new_in_flight
from .rng import Streams
from .trace import Trace

__all__ = ["Counters", "EndpointCounters", "Link", "Network", "AddressInUse"]

#: First port handed out for port 0 (the IANA dynamic range).
EPHEMERAL_LO, EPHEMERAL_HI = 49152, 65535


class Network:
    """The virtual network. See the module docstring for the datagram path.

    Parameters:
        env: the SimPy environment whose clock is the sim time.
        seed: scenario seed; every impairment draws from its own stream.
        trace: optional :class:`Trace` receiving every datagram event.
        default: link spec (dict or LinkConfig) for host pairs without an
            explicit link; clean and zero-delay when None.
    """

    def __init__(
        self,
        env: simpy.Environment,
        seed: int,
        trace: Trace | None = None,
        default: Mapping[str, Any] | LinkConfig | None = None,
    ) -> None:
        self.env = env
        self.seed = seed
        self.streams = Streams(seed)
        self.trace = trace
        self.default = build_link_impairments(default, "default")
        self.links: dict[tuple[str, str], Link] = {}
        self.egress: dict[str, Interface] = {}  # host -> its egress interface
        self.ingress: dict[str, Interface] = {}  # host -> its ingress interface
        self.endpoints: dict[Address, Endpoint] = {}
        self.partitions: list[tuple[frozenset[str], float, float]] = []
        self._epc: dict[Address, EndpointCounters] = {}
        self._inflight = 0
        self._next_port: dict[str, int] = {}
        self._taps_send: list[Callable[..., Any]] = []
        self._taps_deliver: list[Callable[..., Any]] = []

    # ----------------------------------------------------------- topology

    @property
    def now(self) -> float:
        return self.env.now

    def add_link(
        self,
        src: str,
        dst: str,
        spec: Mapping[str, Any] | LinkConfig | None = None,
        *,
        path: str | None = None,
        **kw: Any,
    ) -> Link:
        """Add the directional link ``src -> dst`` (host names).

        The spec is a dict (see :func:`build_link_impairments`), keyword
        arguments, or both (keywords win). Raises ValueError if the pair
        already has a link (add links before traffic flows),
        :class:`~memosim.errors.ScenarioError` for a bad spec; ``path``
        prefixes its key paths.
        """
        key = (src, dst)
        if key in self.links:
            raise ValueError(f"link {src}->{dst} already exists")
        if isinstance(spec, LinkConfig) and not kw:
            config = spec
        else:
            merged = dict(spec or {}) if not isinstance(spec, LinkConfig) else {}
            merged.update(kw)
            config = build_link_impairments(
                merged, path if path is not None else f"links[{src}->{dst}]"
            )
        link = self.links[key] = Link(self, src, dst, config, self._blackouts_for(src, dst))
        return link

    def add_interface(self, host: str, direction: str, config: LinkConfig) -> Interface:
        """Give ``host`` its ``"egress"`` or ``"ingress"`` interface (one each;
        add before traffic flows). Raises ValueError for a second one, or a
        config with more than rate, loss and delay."""
        table = self.egress if direction == "egress" else self.ingress
        if host in table:
            raise ValueError(f"interface {host}:{direction} already exists")
        iface = table[host] = Interface(self.streams, host, direction, config)
        iface.land = self._land
        return iface

    def link(self, src: str, dst: str) -> Link:
        """The link ``src -> dst``, made from the default spec if needed."""
        link = self.links.get((src, dst))
        if link is None:
            link = self.links[(src, dst)] = Link(
                self, src, dst, self.default, self._blackouts_for(src, dst)
            )
        return link

    def partition(self, hosts: Iterable[str], start: float, end: float = math.inf) -> None:
        """Cut ``hosts`` off from every other host for sim times [start, end).

        A datagram entering a link between a host in the set and one outside
        it in that window is dropped (reason ``partition``); datagrams already
        in flight are not affected. Traffic within either side flows.
        """
        group = frozenset(hosts)
        if not (start >= 0 and end > start):
            raise ValueError(f"partition window must have 0 <= start < end, got [{start}, {end})")
        self.partitions.append((group, float(start), float(end)))
        for (a, b), link in self.links.items():
            if (a in group) != (b in group):
                link.blackouts.append((float(start), float(end), "partition"))
                link.simple = False

    def _blackouts_for(self, src: str, dst: str) -> list[tuple[float, float, str]]:
        return [(s, e, "partition") for g, s, e in self.partitions if (src in g) != (dst in g)]

    # ----------------------------------------------------------- endpoints

    def endpoint(self, ha: tuple[str, int], *, rcvbuf: int | None = None) -> Endpoint:
        """Bind and return a new :class:`Endpoint` at ``ha = (host, port)``.

        Port 0 picks the lowest free port from 49152 up on that host.
        Raises :class:`AddressInUse` when the address is already bound.
        ``rcvbuf`` bounds the payload bytes waiting in the inbox (like
        SO_RCVBUF; more is dropped on arrival, reason ``rcvbuf``); None: no
        bound.
        """
        host, port = ha
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an int in [0, 65535], got {port!r}")
        if port == 0:
            port = self._free_port(host)
        ha = (host, port)
        if ha in self.endpoints:
            raise AddressInUse(f"address {host}:{port} is already bound")
        ep = Endpoint(self, ha, rcvbuf=rcvbuf)
        self.endpoints[ha] = ep
        return ep

    def _free_port(self, host: str) -> int:
        span = EPHEMERAL_HI - EPHEMERAL_LO + 1
        start = self._next_port.get(host, EPHEMERAL_LO)
        for i in range(span):
            port = EPHEMERAL_LO + (start - EPHEMERAL_LO + i) % span
            if (host, port) not in self.endpoints:
                self._next_port[host] = port + 1 if port < EPHEMERAL_HI else EPHEMERAL_LO
                return port
        raise AddressInUse(f"no free port left on host {host!r}")

    def unbind(self, ep: Endpoint) -> None:
        """Free ep's address (its endpoint closed)."""
        if self.endpoints.get(ep.ha) is ep:
            del self.endpoints[ep.ha]

    def counters_of(self, ha: Address) -> EndpointCounters:
        """The counters of address ``ha`` (kept across close and reopen)."""
        c = self._epc.get(ha)
        if c is None:
            c = self._epc[ha] = EndpointCounters()
        return c

    # ---------------------------------------------------------------- taps

    def tap(
        self, fn: Callable[[float, Address, Address, bytes], Any], point: str = "deliver"
    ) -> None:
        """Call ``fn(time, src, dst, payload)`` for every datagram sent
        (``point="send"``, before any impairment) or delivered into an inbox
        (``point="deliver"``). Used by the pcap writer."""
        if point == "send":
            self._taps_send.append(fn)
        elif point == "deliver":
            self._taps_deliver.append(fn)
        else:
            raise ValueError(f'point must be "send" or "deliver", got {point!r}')

    # ---------------------------------------------------------------- data

    def send(
        self, src: Address, dst: Address, data: bytes, counters: EndpointCounters | None = None
    ) -> int:
        """Put one datagram from ``src`` to ``dst`` on the network now.

        Returns ``len(data)``: whatever happens next is the network's
        business. ``src`` needs no bound endpoint (cross traffic, spoofing).
        """
        env = self.env
        now = env.now
        if type(data) is not bytes:  # copy, as a socket does: hio trims txbs in place
            data = bytes(data)
        if counters is None:
            counters = self.counters_of(src)
        link = self.links.get((src[0], dst[0]))
        if link is None:
            link = self.link(src[0], dst[0])
        n = len(data)
        lc = link.counters
        lc.sent += 1
        lc.bytes_sent += n
        counters.sent += 1
        counters.bytes_sent += n
        trace = self.trace
        h = None if trace is None else trace.record(now, "send", src, dst, n, "", data)
        if self._taps_send:
            for fn in self._taps_send:
                fn(now, src, dst, data)

        egress = self.egress.get(src[0]) if self.egress else None
        if link.simple and egress is None:  # constant delay, nothing else: straight in flight
            arrival = now + link.base
            self._inflight += 1
            link.fifo.append(  # type: ignore[union-attr]
                new_in_flight(InFlight, (arrival, link, data, src, dst, counters, False, h))
            )
            if arrival != link.tail:
                link.tail = arrival
                Timeout(env, link.base, arrival).callbacks.append(link.drain)
            return n

        for start, end, reason in link.blackouts:
            if start <= now < end:
                return self._drop_now(now, link, counters, src, dst, data, reason)
        if link.mtu is not None and n + IP_UDP_OVERHEAD > link.mtu:
            return self._drop_now(now, link, counters, src, dst, data, "mtu")
        start = now  # when the link takes the datagram: after the egress
        if egress is not None:
            left = egress.enter(now, n)
            if isinstance(left, str):
                return self._drop_now(now, link, counters, src, dst, data, left)
            if not egress.ordered:  # a later datagram may leave first: the link
                self._inflight += 1  # takes each one as it leaves, in that order
                Timeout(
                    env, left - now, (now, link, data, src, dst, counters, h, left)
                ).callbacks.append(self._left_event)
                return n
            start = left
        self._take(now, link, data, src, dst, counters, h, start)
        return n

    def _left_event(self, event: simpy.Event) -> None:
        self._inflight -= 1
        self._take(*event._value)

    def _take(
        self,
        now: float,
        link: Link,
        data: bytes,
        src: Address,
        dst: Address,
        counters: EndpointCounters,
        h: Any,
        start: float,
    ) -> None:
        """Steps 4-5 for a datagram sent at `now` that the link takes at
        `start`: loss, then each copy through :meth:`_carry`."""
        if link.lose is not None and link.lose():
            self._drop_now(now, link, counters, src, dst, data, "loss")
            return
        self._carry(now, link, data, src, dst, counters, h, start)
        if link.dup is not None and link.dup():
            link.counters.duplicated += 1
            counters.duplicated += 1
            if self.trace is not None:
                self.trace.record(now, "duplicate", src, dst, len(data), "", data, h)
            self._carry(now, link, data, src, dst, counters, h, start)

    def _drop_now(
        self,
        now: float,
        link: Link,
        counters: EndpointCounters,
        src: Address,
        dst: Address,
        data: bytes,
        reason: str,
    ) -> int:
        link.counters.drop(reason)
        counters.drop(reason)
        if self.trace is not None:
            self.trace.record(now, "drop", src, dst, len(data), reason, data)
        return len(data)

    def _carry(
        self,
        now: float,
        link: Link,
        data: bytes,
        src: Address,
        dst: Address,
        counters: EndpointCounters,
        h: Any,
        start: float,
    ) -> None:
        """Steps 6-8 for one copy: corrupt, rate queue, reorder/delay; the
        link takes it at `start` (now, or when it left the egress)."""
        trace = self.trace
        bad = False
        if link.corrupt is not None:
            flipped = link.corrupt(data)
            if flipped is not None:
                data = flipped
                bad = not link.corrupt_delivers
                link.counters.corrupted += 1
                counters.corrupted += 1
                if trace is not None:
                    h = trace.record(now, "corrupt", src, dst, len(data), "", data)
        t = start
        deps = link.departures
        if deps is not None:
            while deps and deps[0] <= start:
                deps.popleft()
            if len(deps) >= link.qlimit:
                self._drop_now(now, link, counters, src, dst, data, "queue")
                return
            busy = link.busy_until
            t = (busy if busy > start else start) + (len(data) + link.overhead) * link.spb
            link.busy_until = t
            deps.append(t)
        if link.reorder is not None and link.reorder():
            link.counters.reordered += 1
            counters.reordered += 1
            if trace is not None:
                trace.record(now, "reorder", src, dst, len(data), "", data, h)
        else:
            t += link.base if link.jitter is None else link.jitter()
            if link.keep_order:
                if t < link.last_arrival:
                    t = link.last_arrival
                link.last_arrival = t
        self._inflight += 1
        entry = new_in_flight(InFlight, (t, link, data, src, dst, counters, bad, h))
        fifo = link.fifo
        # `now` is the send tyme; after a jittered egress the clock is at the
        # leave tyme, which the grid (or a float sum) may have put a hair late
        wait = t - self.env.now
        if wait < 0.0:
            wait = 0.0
        if fifo is None:  # arrivals may reorder: one event per datagram
            Timeout(self.env, wait, entry).callbacks.append(self._arrive_event)
        else:
            fifo.append(entry)
            if t != link.tail:
                link.tail = t
                Timeout(self.env, wait, t).callbacks.append(link.drain)

    def _arrive_event(self, event: simpy.Event) -> None:
        self.arrive(event._value)

    def arrive(self, entry: InFlight) -> None:
        """A datagram reaches the far end of its link (its link calls this):
        through the destination's ingress, if it has one, then landed."""
        ingress = self.ingress.get(entry.dst[0]) if self.ingress else None
        if ingress is None:
            self._land(entry, entry.due)
            return
        now = self.env.now
        left = ingress.enter(now, len(entry.data))
        if isinstance(left, str):
            self._inflight -= 1
            self._drop_off(now, entry, left)
            return
        ingress.hold(self.env, now, left, entry)

    def _land(self, entry: InFlight, t: float) -> None:
        """Step 9 done: the datagram is at its host at tyme t."""
        self._inflight -= 1
        _due, link, data, src, dst, scnt, bad, h = entry
        n = len(data)
        trace = self.trace
        if bad:
            reason = "corrupt"
        else:
            ep = self.endpoints.get(dst)
            if ep is None:
                reason = "unreachable"
            elif ep.limit is not None and ep.inbytes + n > ep.limit:
                reason = "rcvbuf"
            else:
                lc = link.counters
                lc.delivered += 1
                lc.bytes_delivered += n
                scnt.delivered += 1
                scnt.bytes_delivered += n
                rc = ep.counters
                rc.received += 1
                rc.bytes_received += n
                if trace is not None:
                    trace.record(t, "deliver", src, dst, n, "", data, h)
                if self._taps_deliver:
                    for fn in self._taps_deliver:
                        fn(t, src, dst, data)
                ep.land(data, src)
                return
        self._drop_off(t, entry, reason)

    def _drop_off(self, t: float, entry: InFlight, reason: str) -> None:
        """A datagram off its link dropped at tyme t: counted and traced."""
        _due, link, data, src, dst, scnt, _bad, h = entry
        link.counters.drop(reason)
        scnt.drop(reason)
        if self.trace is not None:
            self.trace.record(t, "drop", src, dst, len(data), reason, data, h)

    @property
    def in_flight(self) -> int:
        """Datagrams on the wire (sent, not yet arrived)."""
        return self._inflight

    # ------------------------------------------------------------ counters

    def counters(self) -> dict[str, Any]:
        """All counters as plain nested dicts (JSON/TOML-ready).

        ``{"total": {...}, "links": {"a->b": {...}}, "endpoints":
        {"a:5000": {...}}}``; total sums the links.
        """
        return summary(
            self.links,
            self._epc,
            sorted([*self.egress.values(), *self.ingress.values()], key=lambda i: i.name),
        )

    def __repr__(self) -> str:
        return (
            f"Network(seed={self.seed}, links={len(self.links)}, endpoints={len(self.endpoints)})"
        )
