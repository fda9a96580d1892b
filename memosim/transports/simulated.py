"""The simulated socket (Endpoint) and the SimPeer transport mixin over it.

:class:`Endpoint` is an address bound on a
:class:`~memosim.sim.network.Network`, an inbox of ``(data, src)`` pairs,
and two ways to learn that something arrived without polling:

- ``on_arrival``: a callable ``f(endpoint)`` run each time a datagram lands
  (inside the network's delivery, at the arrival time);
- ``arrival``: a SimPy event that succeeds when the inbox is non-empty, so a
  process can ``yield ep.arrival`` (or ``ep.arrival | env.timeout(t)``).

:class:`SimPeer` has the shape of a UDP peer
(:class:`memosim.transports.udp.Peer`, hio's ``Peer``) and is meant to be
mixed in first: ``class SimPeerMemoer(SimPeer, Memoer)``.

This module needs nothing of memosim.sim at run time: the network is the
:class:`Network` protocol below, and the network raises this module's
:class:`AddressInUse` when an address is taken.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

if TYPE_CHECKING:
    import simpy

    from ..sim.counters import EndpointCounters

__all__ = ["AddressInUse", "Endpoint", "Network", "SimPeer"]

#: An address on the network, ``(host, port)`` (a list is taken as a tuple).
Address: TypeAlias = tuple[Any, ...]


class AddressInUse(OSError):
    """An endpoint is already bound at this address (like EADDRINUSE)."""


class Network(Protocol):
    """What an endpoint needs of the network it is bound on (network.py)."""

    env: simpy.Environment

    def send(self, src: Address, dst: Address, data: bytes, counters: EndpointCounters) -> int: ...

    def counters_of(self, ha: Address) -> EndpointCounters: ...

    def endpoint(self, ha: tuple[str, int], *, rcvbuf: int | None = None) -> Endpoint: ...

    def unbind(self, ep: Endpoint) -> None: ...


class Endpoint:
    """A bound address on a Network; made by :meth:`Network.endpoint`.

    Attributes:
        network: the network it is bound on.
        ha: its address ``(host, port)``.
        inbox: deque of ``(data, src)`` waiting to be received.
        limit: receive buffer bytes (like SO_RCVBUF), None for no bound.
        inbytes: payload bytes now in the inbox.
        counters: this address's :class:`EndpointCounters`.
        on_arrival: None or ``f(endpoint)`` called when a datagram lands.
        opened: False once closed.
    """

    __slots__ = (
        "network",
        "ha",
        "inbox",
        "limit",
        "inbytes",
        "counters",
        "on_arrival",
        "opened",
        "_event",
    )

    def __init__(self, network: Network, ha: tuple[str, int], *, rcvbuf: int | None = None) -> None:
        self.network = network
        self.ha = ha
        self.inbox: deque[tuple[bytes, Address]] = deque()
        self.limit = rcvbuf
        self.inbytes = 0
        self.counters: EndpointCounters = network.counters_of(ha)
        self.on_arrival: Callable[[Endpoint], Any] | None = None
        self.opened = True
        self._event: simpy.Event | None = None

    def send(self, data: bytes, dst: Address) -> int:
        """Send one datagram to ``dst``; returns len(data), 0 when closed."""
        if not self.opened:
            return 0
        if type(dst) is not tuple:
            dst = tuple(dst)
        return self.network.send(self.ha, dst, data, self.counters)

    def receive(self) -> tuple[bytes, Address | None]:
        """The oldest ``(data, src)`` in the inbox, or ``(b"", None)``."""
        if self.inbox:
            data, src = self.inbox.popleft()
            self.inbytes -= len(data)
            return data, src
        return b"", None

    def drain(self) -> list[tuple[bytes, Address]]:
        """Take everything in the inbox."""
        items = list(self.inbox)
        self.inbox.clear()
        self.inbytes = 0
        return items

    @property
    def arrival(self) -> simpy.Event:
        """A SimPy event that succeeds once the inbox is non-empty.

        Already triggered when something is waiting. The same pending event
        is returned until it fires; ask again after each wake-up.
        """
        ev = self._event
        if ev is None:
            ev = self._event = self.network.env.event()
            if self.inbox:
                self._event = None
                ev.succeed(self)
        return ev

    def land(self, data: bytes, src: Address) -> None:
        """Called by the network when a datagram arrives."""
        self.inbox.append((data, src))
        self.inbytes += len(data)
        ev = self._event
        if ev is not None:
            self._event = None
            ev.succeed(self)
        if self.on_arrival is not None:
            self.on_arrival(self)

    def close(self) -> None:
        """Unbind; what was in the inbox is lost, later arrivals are dropped
        as unreachable."""
        if self.opened:
            self.opened = False
            self.network.unbind(self)
            self.inbox.clear()
            self.inbytes = 0

    def __repr__(self) -> str:
        return f"Endpoint({self.ha!r}, opened={self.opened})"


class SimPeer:
    """Transport mixin moving datagrams over a simulated :class:`Network`.

    Same shape as :class:`memosim.transports.udp.Peer` (and hio's): attributes ``ha``,
    ``name``, ``opened``, ``bs``, ``bc``; properties ``host``, ``port``,
    ``path``; methods ``open``, ``close``, ``reopen``, ``receive``,
    ``send``. Mix it in first (``class SimPeerMemoer(SimPeer, Memoer)``) so
    its send and receive win.

    Parameters:
        network: the Network to bind on.
        ha: address ``(host, port)``; defaults to ``(host, port)``.
        host: host name (any string: it names a node of the network, no
            resolution, no wildcard).
        port: port; 0 picks a free one deterministically on open.
        name: peer name for management.
        bc: buffer count; as on the UDP Peer, bs becomes
            ``MaxGramSize * bc`` and the inbox then holds at most bs bytes,
            more is dropped on arrival (reason ``rcvbuf``). None (or 0): the
            inbox has no bound.
        bs: buffer size in bytes when bc is None (default :attr:`BufSize`).
        reopen: open at once.
    """

    BufSize = 65535

    def __init__(
        self,
        *,
        network: Network,
        ha: tuple[str, int] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "main",
        bc: int | None = None,
        bs: int | None = None,
        reopen: bool = False,
        **kwa: Any,
    ) -> None:
        super().__init__(**kwa)
        self.network = network
        host, port = ha if ha is not None else (host, port)
        self.ha = (host, int(port))
        self.name = name
        self.bc = int(bc) if bc is not None and bc > 0 else None
        self.bs = self._bufsize(bs)
        self.opened = False
        self.endpoint: Endpoint | None = None
        self._on_arrival: Callable[[Endpoint], Any] | None = None
        if reopen:
            self.reopen()

    def _bufsize(self, bs: int | None) -> int:
        if self.bc:
            return getattr(self, "MaxGramSize", self.BufSize) * self.bc
        return bs if bs is not None else self.BufSize

    @property
    def host(self) -> str:
        return self.ha[0]

    @host.setter
    def host(self, value: str) -> None:
        self.ha = (value, self.ha[1])

    @property
    def port(self) -> int:
        return self.ha[1]

    @port.setter
    def port(self, value: int) -> None:
        self.ha = (self.ha[0], value)

    @property
    def path(self) -> tuple[str, int]:
        """Alias of ``ha``, as on hio's peers."""
        return self.ha

    def open(self) -> bool:
        """Bind on the network; port 0 gets a free port.

        True when open; False (as a socket bind failure on the UDP Peer)
        when the address is taken.
        """
        if self.opened:
            return True
        try:
            ep = self.network.endpoint(self.ha, rcvbuf=self.bs if self.bc else None)
        except AddressInUse:
            return False
        ep.on_arrival = self._on_arrival
        self.endpoint = ep
        self.ha = ep.ha
        self.opened = True
        return True

    def close(self) -> None:
        """Unbind; datagrams still in the inbox are lost."""
        if self.endpoint is not None:
            self.endpoint.close()
            self.endpoint = None
        self.opened = False

    def reopen(self, **kwa: Any) -> bool:
        """Close, apply any of ``ha``, ``host``, ``port``, ``bc``, ``bs``
        given, and open again."""
        self.close()
        if kwa.get("ha") is not None:
            host, port = kwa["ha"]
            self.ha = (host, int(port))
        if "host" in kwa or "port" in kwa:
            self.ha = (kwa.get("host", self.ha[0]), int(kwa.get("port", self.ha[1])))
        if "bc" in kwa or "bs" in kwa:
            bc = kwa.get("bc", self.bc)
            self.bc = int(bc) if bc is not None and bc > 0 else None
            self.bs = self._bufsize(kwa.get("bs"))
        return self.open()

    def receive(self, *, echoic: bool = False, **kwa: Any) -> tuple[bytes, Any]:
        """One received ``(data, src)``, or ``(b"", None)`` when none waits.

        echoic is the Memoer's echo-mock flag, meaningless here; it is named
        so that the service loop's call builds no keyword dict."""
        ep = self.endpoint  # Endpoint.receive inline: once per datagram and pass
        if ep is None or not ep.inbox:
            return b"", None
        data, src = ep.inbox.popleft()
        ep.inbytes -= len(data)
        return data, src

    def send(self, data: bytes, dst: Any, *, echoic: bool = False, **kwa: Any) -> int:
        """Send ``data`` to ``dst``; returns len(data) (0 when not open).
        echoic: as in receive."""
        ep = self.endpoint  # Endpoint.send inline: once per datagram
        if ep is None or not ep.opened:
            return 0
        if type(dst) is not tuple:
            dst = tuple(dst)
        return ep.network.send(ep.ha, dst, data, ep.counters)

    @property
    def arrival(self) -> simpy.Event:
        """SimPy event: succeeds once a datagram waits (see Endpoint)."""
        if self.endpoint is None:
            raise RuntimeError(f"peer {self.name!r} is not open")
        return self.endpoint.arrival

    @property
    def on_arrival(self) -> Callable[[Endpoint], Any] | None:
        """Callback ``f(endpoint)`` run when a datagram lands; survives
        reopen."""
        return self._on_arrival

    @on_arrival.setter
    def on_arrival(self, fn: Callable[[Endpoint], Any] | None) -> None:
        self._on_arrival = fn
        if self.endpoint is not None:
            self.endpoint.on_arrival = fn
