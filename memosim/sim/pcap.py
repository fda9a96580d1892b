"""Export simulated traffic as a classic pcap file (IPv4/UDP framing).

The file has the classic libpcap layout (magic a1b2c3d4, version 2.4,
microsecond timestamps) and link type Raw IPv4 (228) by default or Ethernet
(1). Each datagram becomes an IPv4 header (20 bytes, correct total length
and header checksum, TTL 64, id counting up per file) and a UDP header
(correct length and checksum), then the payload; its timestamp is the sim
time, rounded to the microsecond.

Hosts that are dotted IPv4 strings keep their address. Any other host name
maps to 10.x.y.z from SHA-256 over the name (stable across runs and files);
the rare clash moves to the next free address. :attr:`PcapWriter.addresses`
holds the mapping.

Capture on a network with :func:`capture`::

    with capture(network, "run.pcap", point="deliver"):
        env.run(until=10)
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import struct
from typing import TYPE_CHECKING, BinaryIO, TypeAlias

if TYPE_CHECKING:
    from .network import Network

__all__ = [
    "LINKTYPE_ETHERNET",
    "LINKTYPE_IPV4",
    "PcapWriter",
    "capture",
    "inet_checksum",
    "ipv4_of",
]

LINKTYPE_ETHERNET = 1
LINKTYPE_IPV4 = 228
SNAPLEN = 262144
MAX_UDP_PAYLOAD = 65535 - 28

_GLOBAL = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")
_IPV4 = struct.Struct("!BBHHHBBH4s4s")
_UDP = struct.Struct("!HHHH")

#: A UDP end as the network names it.
HostPort: TypeAlias = tuple[str, int]
#: Where a writer writes: a path (opened and closed by it) or an open binary file.
PcapFile: TypeAlias = str | bytes | os.PathLike[str] | BinaryIO


def inet_checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of ``data``.

    The ones' complement sum of 16-bit words is congruent to the big-endian
    integer value modulo 0xFFFF, which lets C do the summing.
    """
    if len(data) & 1:
        data += b"\0"
    n = int.from_bytes(data, "big")
    s = n % 0xFFFF
    if s == 0 and n:
        s = 0xFFFF
    return ~s & 0xFFFF


def ipv4_of(host: str) -> str:
    """The 10.x.y.z address a non-IPv4 host name maps to (before clashes)."""
    h = int.from_bytes(hashlib.sha256(str(host).encode()).digest()[:4], "big") % (2**24 - 2) + 1
    return f"10.{h >> 16}.{(h >> 8) & 255}.{h & 255}"


def _is_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except (ipaddress.AddressValueError, ValueError, TypeError):
        return False
    return True


class PcapWriter:
    """Write datagrams to a classic pcap stream.

    Parameters:
        file: a path or a binary file object (left open when passed in).
        linktype: :data:`LINKTYPE_IPV4` (228) or :data:`LINKTYPE_ETHERNET`.
    """

    def __init__(self, file: PcapFile, linktype: int = LINKTYPE_IPV4) -> None:
        if linktype not in (LINKTYPE_IPV4, LINKTYPE_ETHERNET):
            raise ValueError(f"linktype must be 228 (raw IPv4) or 1 (Ethernet), got {linktype!r}")
        if isinstance(file, (str, bytes)) or hasattr(file, "__fspath__"):
            self._f: BinaryIO = open(file, "wb")  # noqa: SIM115 - closed by close()
            self._own = True
        else:
            self._f = file
            self._own = False
        self.linktype = linktype
        self.addresses: dict[str, str] = {}  # host -> dotted IPv4
        self._packed: dict[str, bytes] = {}
        self._taken: set[str] = set()
        self._ipid = 0
        self.count = 0
        self._f.write(_GLOBAL.pack(0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, linktype))

    def address(self, host: str) -> str:
        """The IPv4 address standing for ``host`` in this file."""
        addr = self.addresses.get(host)
        if addr is None:
            if _is_ipv4(host):
                addr = str(host)
            else:
                addr = ipv4_of(host)
                while addr in self._taken:
                    v = int(ipaddress.IPv4Address(addr)) - 0x0A000000
                    v = v % (2**24 - 2) + 1
                    addr = str(ipaddress.IPv4Address(0x0A000000 + v))
            self._taken.add(addr)
            self.addresses[host] = addr
            self._packed[host] = ipaddress.IPv4Address(addr).packed
        return addr

    def write(self, time: float, src: HostPort, dst: HostPort, data: bytes) -> None:
        """Append one UDP datagram from ``src`` to ``dst`` sent at sim
        ``time``. Payloads above 65507 bytes cannot be framed in IPv4 and are
        cut to that size (the record's original length keeps the truth)."""
        shost, sport = src
        dhost, dport = dst
        self.address(shost)
        self.address(dhost)
        sip, dip = self._packed[shost], self._packed[dhost]
        orig = len(data)
        if orig > MAX_UDP_PAYLOAD:
            data = data[:MAX_UDP_PAYLOAD]
        ulen = 8 + len(data)
        pseudo = sip + dip + struct.pack("!BBH", 0, 17, ulen)
        csum = inet_checksum(pseudo + _UDP.pack(sport, dport, ulen, 0) + data) or 0xFFFF
        udp = _UDP.pack(sport, dport, ulen, csum)
        self._ipid = (self._ipid + 1) & 0xFFFF
        hdr = _IPV4.pack(0x45, 0, 20 + ulen, self._ipid, 0, 64, 17, 0, sip, dip)
        hdr = hdr[:10] + inet_checksum(hdr).to_bytes(2, "big") + hdr[12:]
        frame = hdr + udp + data
        origlen = orig + 28
        if self.linktype == LINKTYPE_ETHERNET:
            frame = b"\x02\x00" + dip + b"\x02\x00" + sip + b"\x08\x00" + frame
            origlen += 14
        usec = round(time * 1_000_000)
        sec, usec = divmod(usec, 1_000_000)
        self._f.write(_RECORD.pack(sec, usec, len(frame), origlen))
        self._f.write(frame)
        self.count += 1

    __call__ = write  # so a writer can be passed to Network.tap directly

    def close(self) -> None:
        """Flush, and close the file if this writer opened it."""
        if self._own:
            self._f.close()
        else:
            self._f.flush()

    def __enter__(self) -> PcapWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def capture(
    network: Network, file: PcapFile, point: str = "deliver", linktype: int = LINKTYPE_IPV4
) -> PcapWriter:
    """Tap ``network`` at ``point`` ("send" or "deliver") into a new pcap
    writer on ``file``; close the writer (or use ``with``) when done."""
    writer = PcapWriter(file, linktype)
    network.tap(writer.write, point)
    return writer
