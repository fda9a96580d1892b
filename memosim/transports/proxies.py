"""The relay's proxy sockets: one non-blocking UDP socket per name, read in bounded batches.

The udp backend's relay (:mod:`memosim.testbed.relay`) binds one socket per
ordered pair of peers and moves every datagram between the peers through
them. This module is only those sockets: bind, find the ones with something
waiting, read at most ``max_batch`` datagrams from each in one pass, send,
close. What the relay does with the datagrams (the scenario's network, who
may send to which socket) stays in the relay.

Errors that name a remote condition (an earlier send bounced off a closed
port) are skipped on receive and reported as a failed send on send, never
raised: a peer going away must not stop the relay.
"""

from __future__ import annotations

import errno
import selectors
import socket
from collections.abc import Hashable, Iterator
from typing import Any

from .udp import UDP_MAX_DATAGRAM_SIZE

__all__ = ["MAX_BATCH", "PROXY_BUF", "ProxySockets"]

#: Socket buffer bytes asked for on each proxy socket (the kernel caps it at
#: net.core.rmem_max / wmem_max).
PROXY_BUF = 2 * 1024 * 1024
#: Datagrams read from one proxy socket in one pass, at most.
MAX_BATCH = 4096

_AGAIN = frozenset((errno.EAGAIN, errno.EWOULDBLOCK))
_REMOTE = frozenset(
    getattr(errno, n)
    for n in ("ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN")
    if hasattr(errno, n)
)
_TX_FAILED = _AGAIN | _REMOTE | {errno.ENOBUFS}


class ProxySockets:
    """Non-blocking UDP sockets, each bound on a loopback port the OS picks
    and known by a key; ``len()`` is how many are open.

    Parameters:
        bufsize: SO_RCVBUF / SO_SNDBUF asked for on each socket.
        max_batch: datagrams read per socket per :meth:`ready` pass, at most.
    """

    def __init__(self, *, bufsize: int = PROXY_BUF, max_batch: int = MAX_BATCH) -> None:
        self.bufsize = int(bufsize)
        self.max_batch = int(max_batch)
        self.sockets: dict[Hashable, socket.socket] = {}
        self.addresses: dict[Hashable, tuple[str, int]] = {}
        self.selector: selectors.BaseSelector | None = None
        self.rcvbuf = 0  # SO_RCVBUF the kernel granted (bytes), once one is bound

    def __len__(self) -> int:
        return len(self.sockets)

    def bind(self, key: Hashable, host: str) -> tuple[str, int]:
        """Bind a new socket known as `key` on `host`, port 0; its address."""
        if self.selector is None:
            self.selector = selectors.DefaultSelector()
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(fam, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
                if sock.getsockopt(socket.SOL_SOCKET, opt) < self.bufsize:
                    sock.setsockopt(socket.SOL_SOCKET, opt, self.bufsize)
            sock.setblocking(False)
            sock.bind((host, 0))
        except BaseException:
            sock.close()
            raise
        self.sockets[key] = sock
        address: tuple[str, int] = sock.getsockname()[:2]
        self.addresses[key] = address
        self.selector.register(sock, selectors.EVENT_READ, key)
        if not self.rcvbuf:
            self.rcvbuf = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        return address

    def ready(self) -> Iterator[tuple[Any, Iterator[tuple[bytes, Any]]]]:
        """Each socket with something waiting, as (key, its datagrams): the
        datagrams are ``(data, sender address)``, at most ``max_batch``."""
        if self.selector is None:
            return
        for skey, _ in self.selector.select(0):
            yield skey.data, self._batch(skey.fileobj)  # type: ignore[arg-type]

    def _batch(self, sock: socket.socket) -> Iterator[tuple[bytes, Any]]:
        for _ in range(self.max_batch):
            try:
                data, sa = sock.recvfrom(UDP_MAX_DATAGRAM_SIZE)
            except OSError as ex:
                if ex.errno in _AGAIN:
                    return
                if ex.errno in _REMOTE:
                    continue  # an earlier send bounced (peer closed)
                raise
            yield data, sa

    def send(self, key: Hashable, data: bytes, dst: tuple[str, int]) -> bool:
        """Send from the socket `key`; False when there is none, its buffer is
        full or the destination is gone."""
        sock = self.sockets.get(key)
        if sock is None:
            return False
        try:
            sock.sendto(data, dst)
        except OSError as ex:
            if ex.errno in _TX_FAILED:
                return False
            raise
        return True

    def close(self) -> None:
        """Close every socket (idempotent)."""
        if self.selector is not None:
            self.selector.close()
            self.selector = None
        for sock in self.sockets.values():
            sock.close()
        self.sockets.clear()
