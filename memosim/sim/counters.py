"""Datagram counters of the virtual network.

Links and addresses count what they carry the same way; both the network
(network.py) and its endpoints (memosim/transports/simulated.py) use these,
so they live apart from either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

__all__ = ["REASONS", "Counters", "EndpointCounters", "summary"]

#: Why the network drops a datagram (Counters.dropped keys, trace drop events),
#: in the order docs/network.md lists them.
REASONS = (
    "down",
    "partition",
    "mtu",
    "loss",
    "ifqueue",
    "queue",
    "corrupt",
    "unreachable",
    "rcvbuf",
)


class Counters:
    """Datagram counters of a link, as attributes; :meth:`as_dict` gives
    plain data. ``dropped`` maps a reason to a count."""

    __slots__ = (
        "sent",
        "delivered",
        "dropped",
        "duplicated",
        "reordered",
        "corrupted",
        "bytes_sent",
        "bytes_delivered",
    )

    def __init__(self) -> None:
        self.sent = self.delivered = self.duplicated = self.reordered = self.corrupted = 0
        self.bytes_sent = self.bytes_delivered = 0
        self.dropped: dict[str, int] = {}

    def drop(self, reason: str) -> None:
        d = self.dropped
        d[reason] = d.get(reason, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.__class__._fields():
            v = getattr(self, name)
            out[name] = dict(sorted(v.items())) if name == "dropped" else v
        return out

    @classmethod
    def _fields(cls) -> list[str]:
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            names.extend(getattr(klass, "__slots__", ()))
        return names


class EndpointCounters(Counters):
    """Counters of one address. sent, delivered, dropped, duplicated,
    reordered, corrupted and bytes_* count datagrams this address *sent*
    (delivered = how many of them reached an inbox); received and
    bytes_received count datagrams that landed in its inbox."""

    __slots__ = ("received", "bytes_received")

    def __init__(self) -> None:
        super().__init__()
        self.received = self.bytes_received = 0


class _Counted(Protocol):
    """A link or an interface: something with a name and counters."""

    name: str
    counters: Counters


def summary(
    links: Mapping[tuple[str, str], _Counted],
    endpoints: Mapping[Any, EndpointCounters],
    interfaces: Iterable[_Counted],
) -> dict[str, Any]:
    """Network.counters(): ``{"total", "links", "endpoints"[, "interfaces"]}``
    as plain dicts in sorted order; total sums the links."""
    from .trace import format_addr

    total = Counters()
    out_links = {}
    for key in sorted(links):
        c = links[key].counters
        out_links[f"{key[0]}->{key[1]}"] = c.as_dict()
        for name in Counters._fields():
            if name == "dropped":
                for r, k in c.dropped.items():
                    total.dropped[r] = total.dropped.get(r, 0) + k
            else:
                setattr(total, name, getattr(total, name) + getattr(c, name))
    eps = {format_addr(ha): endpoints[ha].as_dict() for ha in sorted(endpoints, key=repr)}
    out = {"total": total.as_dict(), "links": out_links, "endpoints": eps}
    ifaces = list(interfaces)
    if ifaces:  # only when there are any: other runs' counters keep their shape
        out["interfaces"] = {i.name: i.counters.as_dict() for i in ifaces}
    return out
