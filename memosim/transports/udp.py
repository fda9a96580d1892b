"""Peer: moves datagrams over a real non-blocking UDP socket, nothing more.

Same shape as hio's udping.Peer (ha, host, port, path, bc, bs, wl, ls,
opened, bcast, open, reopen, close, send, receive). Unlike hio, an ICMP error
reported on receive (ECONNREFUSED after sending to a closed port) is not
raised out of the service loop: it is a remote condition, not a local fault.
IPv6 hosts ('::1') get an AF_INET6 socket.

Also unlike hio, the port is the peer's own: hio sets SO_REUSEADDR and
SO_REUSEPORT on every socket, which lets any other socket of the same user
bind the same port and take a share of its datagrams. Here those options are
set only when asked for with `reuse=True` (then any socket that sets them
too may share the port, as in hio).
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import platform
import socket
from typing import Any

from ..core.codes import BufSize, UdpMaxGramSize

logger = logging.getLogger(__name__)

UDP_IPV4_MAX_SAFE_PAYLOAD = 548  # IPv4 minimum MTU 576 less headers
UDP_IPV6_MAX_SAFE_PAYLOAD = UdpMaxGramSize  # IPv6 minimum MTU 1280 less its header
UDP_MAX_DATAGRAM_SIZE = BufSize  # the largest datagram a UDP socket can carry

_AGAIN = frozenset((errno.EAGAIN, errno.EWOULDBLOCK))
_RX_REMOTE = frozenset(
    getattr(errno, name)
    for name in ("ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN")
    if hasattr(errno, name)
)
_TX_LATER = frozenset((errno.EAGAIN, errno.EWOULDBLOCK, errno.ENOBUFS, errno.ENOMEM))


def family_of(host: str) -> socket.AddressFamily:
    """AF_INET6 for IPv6 literals, AF_INET otherwise."""
    try:
        return socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:
        return socket.AF_INET


def _port_ok(port: Any) -> bool:
    return isinstance(port, int) and not isinstance(port, bool) and 0 <= port <= 65535


def is_udp_address(x: Any) -> bool:
    """True for a (host, port) pair (or IPv6's 4-tuple) sendto accepts: a str
    host and an integer port in [0, 65535]."""
    return (
        isinstance(x, tuple | list)
        and len(x) in (2, 4)
        and isinstance(x[0], str)
        and _port_ok(x[1])
    )


def checked_address(ha: Any, host: Any, port: Any, owner: str) -> tuple[str, int]:
    """(host, port) of a Peer's arguments, or ValueError naming the bad one."""
    if ha is not None:
        if not (isinstance(ha, tuple | list) and len(ha) == 2):
            raise ValueError(f"{owner}: ha: expected a (host, port) pair, found {ha!r}")
        host, port = ha
    if not isinstance(host, str):
        raise ValueError(f"{owner}: host: expected an IP address or host name, found {host!r}")
    if not _port_ok(port):
        raise ValueError(f"{owner}: port: expected an integer in [0, 65535], found {port!r}")
    return host, port


def normalize_host(host: str) -> str:
    """Resolve names such as 'localhost' to a numeric address; '' stays any."""
    if host in ("", "0.0.0.0", "::"):
        return host
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        return socket.gethostbyname(host)


class Peer:
    """Non-blocking UDP socket with hio's Peer attributes.

    reuse: True sets SO_REUSEADDR (and SO_REUSEPORT where there is one) so
        that other sockets setting them too may bind the same port, as hio
        always does. False (default) sets neither: the port is this peer's
        alone (on Windows SO_EXCLUSIVEADDRUSE makes sure of it).
    """

    BufSize = UDP_MAX_DATAGRAM_SIZE
    MaxGramSize = UdpMaxGramSize

    def __init__(
        self,
        *,
        name: str = "main",
        ha: tuple[str, int] | None = None,
        host: str = "127.0.0.1",
        port: int = 55000,
        bc: int | None = None,
        bs: int | None = None,
        wl: Any = None,
        bcast: bool = False,
        reuse: bool = False,
        reopen: bool = False,
        **kwa: Any,
    ) -> None:
        self.name = name
        host, port = checked_address(ha, host, port, type(self).__name__)
        self.ha: tuple[str, int] = (normalize_host(host), port)
        self.bc = int(bc) if bc is not None and bc > 0 else None
        self.bs = (
            self.MaxGramSize * self.bc if self.bc else (bs if bs is not None else self.BufSize)
        )
        self.wl = wl
        self.bcast = bcast
        self.reuse = bool(reuse)
        self.ls: socket.socket | None = None
        self.opened = False
        super().__init__(**kwa)
        if reopen:
            self.reopen()

    @property
    def host(self) -> str:
        return self.ha[0]

    @host.setter
    def host(self, value: str) -> None:
        self.ha = (value, self.port)

    @property
    def port(self) -> int:
        return self.ha[1]

    @port.setter
    def port(self, value: int) -> None:
        self.ha = (self.host, value)

    @property
    def path(self) -> tuple[str, int]:
        """Alias of ha, matching hio's uxd transports."""
        return self.ha

    def actualBufSizes(self) -> tuple[int, int]:
        """(send, receive) socket buffer sizes the OS granted."""
        if not self.ls:
            return (0, 0)
        return (
            self.ls.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF),
            self.ls.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
        )

    def open(self) -> bool:
        """Create, configure and bind the socket; False when binding fails."""
        self.ls = sock = socket.socket(family_of(self.ha[0]), socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        if self.bcast:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        if self.reuse:  # opt in to sharing the port, as hio always does
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if platform.system() != "Windows" and hasattr(socket, "SO_REUSEPORT"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        elif hasattr(socket, "SO_EXCLUSIVEADDRUSE"):  # Windows: refuse SO_REUSEADDR binds too
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        for opt in (socket.SO_SNDBUF, socket.SO_RCVBUF):
            if sock.getsockopt(socket.SOL_SOCKET, opt) < self.bs:
                sock.setsockopt(socket.SOL_SOCKET, opt, self.bs)
        sock.setblocking(False)
        try:
            sock.bind(self.ha)
        except OSError as ex:
            logger.error("cannot bind UDP %s: %s", self.ha, ex)
            sock.close()
            self.ls = None
            return False
        self.ha = sock.getsockname()[:2]
        self.opened = True
        return True

    def reopen(self, **kwa: Any) -> bool:
        self.close()
        return self.open()

    def close(self) -> bool:
        if self.ls:
            self.ls.close()
            self.ls = None
        self.opened = False
        return True

    def receive(self, **kwa: Any) -> tuple[bytes, tuple[str, int] | None]:
        """One datagram as (data, (host, port)), or (b'', None) when none waits."""
        if self.ls is None:
            return (b"", None)
        while True:
            try:
                data, sa = self.ls.recvfrom(self.bs)
            except OSError as ex:
                if ex.errno in _AGAIN:
                    return (b"", None)
                if ex.errno in _RX_REMOTE:
                    continue  # an earlier send bounced; nothing to read from it
                raise
            if self.wl:
                self.wl.writeRx(data, who=sa)
            return (data, sa[:2])

    def reply_address(self, dst: Any) -> tuple[str, int] | None:
        """The address datagrams from dst arrive from, when it is not dst
        itself: dst names its host ('localhost'), the socket reports the
        numeric address. None for a numeric dst, or a name that does not
        resolve (sending to it will tell)."""
        if not isinstance(dst, tuple) or len(dst) != 2:
            return None
        host, port = dst
        if not isinstance(host, str) or not isinstance(port, int):
            return None
        try:
            ipaddress.ip_address(host)
            return None  # numeric: replies come from just this
        except ValueError:
            pass
        family = self.ls.family if self.ls is not None else family_of(self.ha[0])
        try:
            infos = socket.getaddrinfo(host, port, family, socket.SOCK_DGRAM)
        except (OSError, UnicodeError):
            return None
        reply = tuple(infos[0][4][:2]) if infos else None
        return reply if reply is not None and reply != tuple(dst) else None  # type: ignore[return-value]

    def send(self, data: bytes, dst: tuple[str, int], **kwa: Any) -> int:
        """Send one datagram; 0 means the OS buffer is full, try again later."""
        try:
            cnt = self.ls.sendto(data, dst)  # type: ignore[union-attr]  # closed: as hio
        except OSError as ex:
            if ex.errno in _TX_LATER:
                return 0
            raise
        if self.wl:
            self.wl.writeTx(data[:cnt], who=dst)
        return cnt
