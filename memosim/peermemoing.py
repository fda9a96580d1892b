"""PeerMemoer over UDP and its two Doers, named as hio.core.udp.peermemoing.

PeerMemoerDoer services a peer that is not wound onto the Doist's tyme, so
no retry tymer ever runs: acked (Sure) grams go out once, fire and forget.
SafePeerMemoerDoer winds the peer onto the Doist's tyme, which is what lets
its retry tymers run. The two differ only in that wind; that one difference
is what memosim's scenarios measure.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .core.aliases import Address, Memo
from .core.codes import UdpMaxGramSize
from .memoing import Memoer, MemoerDoer, MemoerError, address_of
from .transports.udp import Peer, is_udp_address


class PeerMemoer(Peer, Memoer):  # type: ignore[misc]  # the transport's send/close win, as in hio
    """Memogram transport on a non-blocking UDP socket (hio's PeerMemoer).

    When not wound onto a Tymist its housekeeping (partial-memo expiry) uses
    time.monotonic unless another `clock` is given.
    """

    MaxGramSize = UdpMaxGramSize

    def __init__(
        self,
        *,
        bc: int | None = 1024,
        clock: Callable[[], float] | None = time.monotonic,
        **kwa: Any,
    ) -> None:
        super().__init__(bc=bc, clock=clock, **kwa)

    def memoit(
        self, memo: Memo, dst: Address, vid: str | None = None, rvid: str | None = None
    ) -> None:
        """As Memoer's; a dst that names its host (('localhost', port)) is
        resolved once, here, so that the acks of Sure memos, which come
        from its numeric address, are known as dst's."""
        dst = address_of(dst)
        super().memoit(memo, dst, vid, rvid)
        flights = self.engine.flights
        if dst not in flights.replies:
            reply = self.reply_address(dst)
            if reply is not None:
                flights.note_reply(dst, reply)

    def check_dst(self, dst: Any) -> None:
        """A dst must be a UDP address, or sending it would raise in service()."""
        if not is_udp_address(dst):
            raise MemoerError(
                f"dst: expected a (host, port) address with a str host and a port"
                f" in [0, 65535], found {dst!r}"
            )


@contextmanager
def openPM(
    cls: type[PeerMemoer] | None = None,
    name: str = "test",
    temp: bool = True,
    reopen: bool = True,
    **kwa: Any,
) -> Iterator[PeerMemoer]:
    """Create a PeerMemoer (or cls), opened unless reopen=False; close on exit."""
    peer = None
    try:
        peer = (cls or PeerMemoer)(name=name, temp=temp, reopen=reopen, **kwa)
        yield peer
    finally:
        if peer is not None:
            peer.close()


class PeerMemoerDoer(MemoerDoer):
    """Runs a peer's service loop on a Doist without winding the peer."""

    WindsPeer = False


class SafePeerMemoerDoer(PeerMemoerDoer):
    """Like PeerMemoerDoer, but winds the peer so its retry tymers run."""

    WindsPeer = True
