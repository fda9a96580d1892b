"""SimPeerMemoer: the real Memoer on the virtual network.

The only differences from a UDP PeerMemoer are where datagrams go (a SimPy
endpoint instead of a socket), where housekeeping time comes from (env.now
instead of time.monotonic) and where memo ids come from (a seeded stream
instead of the OS RNG), so simulated runs repeat exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.codes import UdpMaxGramSize
from ..memoing import Memoer
from ..transports.simulated import SimPeer

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
