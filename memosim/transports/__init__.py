"""What moves datagrams: every transport a Memoer or the relay sends through.

- :mod:`~memosim.transports.udp`: :class:`Peer`, a real non-blocking UDP
  socket with hio's Peer attributes (hio.core.udp.udping);
- :mod:`~memosim.transports.simulated`: :class:`Endpoint`, an address bound
  on the SimPy network, and :class:`SimPeer`, the Peer-shaped mixin over it;
- :mod:`~memosim.transports.proxies`: :class:`ProxySockets`, the udp
  backend relay's sockets.

A transport mixin goes first in a peer's MRO (``class PeerMemoer(Peer,
Memoer)``) so its ``send``/``receive`` replace the Memoer's echo mock; the
contract is in docs/architecture.md. None of them imports the protocol.
"""

from .proxies import ProxySockets
from .simulated import AddressInUse, Endpoint, SimPeer
from .udp import Peer

__all__ = ["AddressInUse", "Endpoint", "Peer", "ProxySockets", "SimPeer"]
