"""SimPeerMemoer: the real Memoer on the virtual network.

The only differences from a UDP PeerMemoer are where datagrams go (a SimPy
endpoint instead of a socket), where housekeeping time comes from (env.now
instead of time.monotonic) and where memo ids come from (a seeded stream
instead of the OS RNG), so simulated runs repeat exactly.

Sim time is a nanosecond grid (memosim.sim.clock), but the protocol core
sums its due tymes in floats: an ack due 0.05 after a pass at 0.095 is due
at 0.14500000000000002, a hair past the pass at 0.145 that it names. A
timer that names the pass's own grid instant is due in that pass, as a
datagram landing on it is taken in it; else it would wait one tock more.
So after the core's timers a pass asks for the next one, and handles it
while it names the pass's nanosecond: also one made earlier in the same
pass, or one behind an earlier due.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.codes import UdpMaxGramSize
from ..memoing import RX_BURST, Memoer
from ..transports.simulated import SimPeer
from .clock import ticks

if TYPE_CHECKING:
    from .network import Network
    from .rng import Streams


class SimPeerMemoer(SimPeer, Memoer):  # type: ignore[misc]  # the transport's send wins, as in hio
    """PeerMemoer on a memosim.sim Network.

    streams: a memosim.sim.Streams; memo ids come from its
    'peer:<name>:mids' stream.
    """

    MaxGramSize = UdpMaxGramSize

    def __init__(
        self,
        *,
        network: Network,
        streams: Streams,
        name: str = "main",
        bc: int | None = 1024,
        **kwa: Any,
    ) -> None:
        rng = streams.stream(f"peer:{name}:mids")
        super().__init__(
            network=network,
            name=name,
            bc=bc,
            clock=lambda: network.env.now,
            midder=lambda: rng.randbytes(16),
            **kwa,
        )
        cls = type(self)  # a subclass with its own receive or send keeps the general loops
        self._direct_rx = cls.receive is SimPeer.receive
        self._direct_tx = cls.send is SimPeer.send

    def serviceTymers(self) -> None:
        """As Memoer's, then what else is due at this pass's grid instant
        (see the module docstring): each timer that names the pass's
        nanosecond is handled at its own tyme, until none does."""
        now = self.now
        track = self._tymth is not None
        engine = self.engine
        engine.handle_timer(now, track=track)
        if now is None:
            return
        instant = now
        timer = engine.get_timer(track=track)
        while timer is not None and now < timer <= now + 1e-9 and ticks(timer) == ticks(instant):
            now = timer  # the same instant: what is due at it is due now
            engine.handle_timer(now, track=track)
            timer = engine.get_timer(track=track)

    def serviceReceives(self, *, echoic: bool = False) -> None:
        """As Memoer's, taking datagrams straight from the endpoint's inbox:
        one Python call less per datagram (and none for the empty inbox)."""
        ep = self.endpoint
        if not self._direct_rx or ep is None or "receive" in self.__dict__:
            super().serviceReceives(echoic=echoic)
            return
        inbox = ep.inbox
        if not inbox:
            return
        absorb, now = self.engine.absorb, self.now
        count = nbytes = 0
        try:
            while inbox and count < RX_BURST and self.opened:
                data, src = inbox.popleft()
                n = len(data)
                ep.inbytes -= n
                count += 1
                nbytes += n
                absorb(data, src, now)
        finally:
            stats = self.stats
            stats.grams_received += count
            stats.bytes_received += nbytes

    def serviceTxGrams(self, *, echoic: bool = False) -> None:
        """As Memoer's, handing grams straight to the network: it takes every
        datagram whole, so nothing is ever held back in txbs."""
        ep = self.endpoint
        if (
            not self._direct_tx
            or ep is None
            or not ep.opened
            or self.txbs[1] is not None
            or "send" in self.__dict__
        ):
            super().serviceTxGrams(echoic=echoic)
            return
        txgs = self.txgs
        if not txgs:
            return
        send, ha, counters = ep.network.send, ep.ha, ep.counters
        sent = nbytes = 0
        try:
            while txgs and self.opened:
                if not ep.opened:  # closed under way: the general loop holds the rest
                    break
                gram, dst = txgs.popleft()
                if type(dst) is not tuple:
                    dst = tuple(dst)  # type: ignore[arg-type]  # a list address
                nbytes += send(ha, dst, gram, counters)
                sent += 1
        finally:
            stats = self.stats
            stats.grams_sent += sent
            stats.bytes_sent += nbytes
        if txgs and self.opened:
            super().serviceTxGrams(echoic=echoic)
