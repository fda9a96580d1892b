"""SimPy virtual network for memogram transports.

- :mod:`~memosim.sim.rng`: named random streams from one seed;
- :mod:`~memosim.sim.impairments`: netem-like link impairment models and
  the dict-spec builder;
- :mod:`~memosim.sim.network`: hosts, directional links, partitions,
  delivery through SimPy, counters;
- :mod:`~memosim.sim.clock`: sim time on an integer nanosecond grid;
- :mod:`~memosim.sim.trace`: the datagram event log and its digest;
- :mod:`~memosim.sim.pcap`: export of the traffic as a pcap file.

Its endpoints (bound addresses) and the SimPeer transport mixin live with
the other transports, in :mod:`memosim.transports.simulated`; they are
exported here too. docs/network.md is the user's reference.
"""

from ..transports.simulated import AddressInUse, Endpoint, SimPeer
from .clock import GridEnvironment
from .counters import Counters, EndpointCounters
from .impairments import LinkConfig, build_link_impairments
from .network import Link, Network
from .pcap import PcapWriter, capture
from .rng import Streams
from .trace import Trace, TraceEvent

__all__ = [
    "AddressInUse",
    "Counters",
    "Endpoint",
    "EndpointCounters",
    "GridEnvironment",
    "Link",
    "LinkConfig",
    "Network",
    "PcapWriter",
    "SimPeer",
    "Streams",
    "Trace",
    "TraceEvent",
    "build_link_impairments",
    "capture",
]
