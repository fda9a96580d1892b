"""hio's service loop: moving datagrams between a transport and the engine.

hio 0.7.20 drives a memogram transport with service methods over queues:
serviceReceives takes datagrams from the transport into the protocol,
serviceRxGrams fuses complete memos into rxms, serviceRxMemos hands them to
inbox, serviceTxMemos rends queued memos into txgs and serviceTxGrams sends
txgs, holding a partly sent datagram in txbs. ServiceLoop is that loop over
memosim.core.engine; Memoer (memosim/memoing.py) mixes it in. The transport
stubs here are the echo mock (`echoic`); a transport mixin placed before
Memoer in the MRO overrides them (memosim/transports/: udp.py, simulated.py).
Socket errors that mean "the far side is not there" drop the gram and the
loop goes on; anything else a local send raises propagates.
"""

from __future__ import annotations

import errno
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from .core.aliases import Address, Deliveries, Delivery, Failures, Memo, Outbox
from .core.engine import Engine, MemoerError
from .core.keys import KeyMaterialError
from .core.stats import Stats
from .tyming import Tymer, Tymth

__all__ = ["FAR_ERRNOS", "RX_BURST", "ServiceLoop"]

logger = logging.getLogger("memosim.memoer")

# Send errors that mean "the far side is not there": drop the gram, go on.
FAR_ERRNOS = frozenset(
    getattr(errno, name)
    for name in (
        "ECONNREFUSED",
        "ENOENT",
        "ECONNRESET",
        "ENETRESET",
        "ENETUNREACH",
        "EHOSTUNREACH",
        "ENETDOWN",
        "EHOSTDOWN",
        "ETIMEDOUT",
        "ETIME",
        "EMSGSIZE",
        "EADDRNOTAVAIL",
        "EINVAL",
    )
    if hasattr(errno, name)
)
RX_BURST = 4096  # datagrams taken per greedy receive pass, so a flood cannot starve tx


class ServiceLoop:
    """hio's service methods and the echo-mock transport, over `self.engine`."""

    engine: Engine
    stats: Stats
    name: str
    opened: bool
    txms: deque[tuple[Memo, Address, str | None]]
    txgs: Outbox
    rxms: Deliveries
    txbs: tuple[bytearray, Address | None]
    echos: deque[tuple[bytes, Address]]
    inbox: Deliveries
    failures: Failures
    _echoic: bool
    _plainRend: bool
    tymth: Callable[[], float] | None
    _tymth: Callable[[], float] | None
    tymers: dict[str, Tymer]
    clock: Callable[[], float] | None
    rend: Callable[..., list[bytes]]

    @property
    def now(self) -> float | None:
        """Housekeeping tyme: the wound Tymist's, else the clock's, else None."""
        tymth = self._tymth  # Tymee's field, not its property: read a few times per pass
        if tymth is not None:
            return tymth()
        clock = self.clock
        return clock() if clock is not None else None

    # ---- time ---------------------------------------------------------
    def wind(self, tymth: Tymth | None) -> None:
        """Put this Memoer (and its retry tymers) on a Tymist's tyme base."""
        super().wind(tymth)  # type: ignore[misc]  # Tymee, later in the MRO
        for tymer in self.tymers.values():
            tymer.wind(tymth)

    def serviceTymers(self) -> None:
        """Run time-driven housekeeping: expire partial memos, send the acks
        that are due and, when wound, retransmit or give up on Sure memos."""
        self.engine.handle_timer(self.now, track=self._tymth is not None)

    def get_timer(self) -> float | None:
        """Earliest tyme at which serviceTymers has work, or None."""
        return self.engine.get_timer(track=self._tymth is not None)

    # ---- transport stubs (a transport mixin overrides these) ------------
    def open(self) -> bool:
        self.opened = True
        return True

    def reopen(self, **kwa: Any) -> bool:
        self.close()
        return self.open()

    def close(self) -> None:
        self.opened = False

    def receive(self, *, echoic: bool = False) -> tuple[bytes, object]:
        """Echo mock: pop one (gram, src) from .echos, else (b'', None)."""
        if (echoic or self._echoic) and self.echos:
            gram, src = self.echos.popleft()
            return gram, src
        return (b"", None)

    def send(self, gram: bytes | bytearray, dst: Address, *, echoic: bool = False) -> int:
        """Echo mock: append (gram, dst) to .echos; report all bytes sent."""
        if echoic or self._echoic:
            self.echos.append((bytes(gram), dst))
        return len(gram)

    # ---- receive side ---------------------------------------------------
    def absorb(self, gram: bytes, src: Address) -> None:
        """Take one received datagram into the protocol state. Never raises."""
        self.engine.receive_datagram(gram, src, self.now)

    def _serviceOneReceived(self, *, echoic: bool = False) -> bool:
        gram, src = self.receive(echoic=echoic)
        if not gram:
            return False
        self.absorb(gram, src)
        return True

    def serviceReceivesOnce(self, *, echoic: bool = False) -> None:
        """Take at most one datagram from the transport."""
        if self.opened:
            self._serviceOneReceived(echoic=echoic)

    def serviceReceives(self, *, echoic: bool = False) -> None:
        """Take datagrams until none wait (bounded by RX_BURST per call)."""
        receive, absorb, now = self.receive, self.engine.absorb, self.now
        count = nbytes = 0
        try:
            for _ in range(RX_BURST):
                if not self.opened:
                    break
                gram, src = receive(echoic=echoic)
                if not gram:
                    break
                count += 1
                nbytes += len(gram)
                absorb(gram, src, now)
        finally:
            stats = self.stats
            stats.grams_received += count
            stats.bytes_received += nbytes

    def serviceRxGramsOnce(self) -> None:
        """Fuse every memo whose grams are all here into .rxms."""
        self.engine.fuse_ready(self.now)

    def serviceRxGrams(self) -> None:
        """Same as serviceRxGramsOnce: each pass covers every complete memo."""
        self.engine.fuse_ready(self.now)

    def _serviceOneRxMemo(self) -> Delivery:
        return self.rxms.popleft()

    def serviceRxMemosOnce(self) -> None:
        """Move one fused memo from .rxms to .inbox (override to consume)."""
        if self.rxms:
            self.inbox.append(self._serviceOneRxMemo())

    def serviceRxMemos(self) -> None:
        """Move every fused memo from .rxms to .inbox (override to consume)."""
        rxms = self.rxms
        if rxms:
            self.inbox.extend(rxms)
            rxms.clear()

    def serviceAllRxOnce(self) -> None:
        self.serviceReceivesOnce()
        self.serviceRxGramsOnce()
        self.serviceRxMemosOnce()

    def serviceAllRx(self) -> None:
        self.serviceReceives()
        self.serviceRxGrams()
        self.serviceRxMemos()

    def _serviceOneTxMemo(self) -> None:
        memo, dst, vid = self.txms.popleft()
        engine = self.engine
        try:
            if type(memo) is str and self._plainRend:  # checked by memoit; str cannot change
                rended = engine.render(memo.encode(), vid)
            else:
                rended = self.rend(memo, vid)
        except (MemoerError, KeyMaterialError) as ex:
            self.stats.drop("tx-invalid")
            logger.error("%s cannot send memo to %s: %s", self.name, dst, ex)
            if engine.sure and self._tymth is not None:  # a memo acked delivery tracks:
                self.failures.append((memo, dst, vid, "tx-invalid"))  # reported, not lost
                self.stats.memos_failed += 1
            return
        self.stats.memos_sent += 1
        engine.send_rended(
            rended,
            memo,
            dst,
            vid,
            self.now if self._tymth is not None else None,
            track=self._tymth is not None,
        )

    def serviceTxMemosOnce(self) -> None:
        if self.txms:
            self._serviceOneTxMemo()

    def serviceTxMemos(self) -> None:
        while self.txms:
            self._serviceOneTxMemo()

    def gramit(self, gram: bytes, dst: Address) -> None:
        """Queue one ready-made gram for dst (testing aid, as in hio)."""
        self.txgs.append((gram, dst))

    def _serviceOnceTxGrams(self, *, echoic: bool = False) -> bool:
        gram: bytes | bytearray
        gram, dst = self.txbs
        if dst is None:
            if not self.txgs:
                return False
            gram, dst = self.txgs.popleft()
        try:
            cnt = self.send(gram, dst, echoic=echoic)
        except OSError as ex:
            if ex.errno not in FAR_ERRNOS:
                raise
            self.stats.drop("send-error")
            logger.info("%s send to %s failed: %s", self.name, dst, ex)
            self.txbs = (bytearray(), None)
            return True
        stats = self.stats
        if cnt >= len(gram):  # all sent: the usual case for datagrams
            stats.grams_sent += 1
            stats.bytes_sent += cnt
            if self.txbs[1] is not None:
                self.txbs = (bytearray(), None)
            return True
        if cnt:  # partly sent: keep the rest in txbs to retry, as hio does
            stats.bytes_sent += cnt
            gram = bytearray(gram[cnt:])
        elif not isinstance(gram, bytearray):
            gram = bytearray(gram)
        self.txbs = (gram, dst)
        return False

    def serviceTxGramsOnce(self, *, echoic: bool = False) -> bool:
        """Send at most one gram (or the rest of a partly sent one).

        True when it went out whole (or was dropped); False when nothing was
        sent or the transport took only part of it."""
        if self.opened and (self.txgs or self.txbs[1] is not None):
            return self._serviceOnceTxGrams(echoic=echoic)
        return False

    def serviceTxGrams(self, *, echoic: bool = False) -> None:
        """Send queued grams until none wait or the transport takes no more."""
        if self.txbs[1] is not None and not self.serviceTxGramsOnce(echoic=echoic):
            return  # the held partial send is still stuck
        txgs, send, stats = self.txgs, self.send, self.stats
        sent = nbytes = 0
        try:
            while txgs and self.opened:  # the usual case, a whole datagram per send
                gram, dst = txgs.popleft()
                try:
                    cnt = send(gram, dst, echoic=echoic)
                except OSError as ex:
                    if ex.errno not in FAR_ERRNOS:
                        raise
                    stats.drop("send-error")
                    logger.info("%s send to %s failed: %s", self.name, dst, ex)
                    continue
                if cnt < len(gram):  # partly or not sent: hold the rest in txbs
                    if cnt:
                        nbytes += cnt
                        self.txbs = (bytearray(gram[cnt:]), dst)
                    else:
                        self.txbs = (bytearray(gram), dst)
                    return
                sent += 1
                nbytes += cnt
        finally:
            stats.grams_sent += sent
            stats.bytes_sent += nbytes

    def serviceAllTxOnce(self) -> None:
        self.serviceTxMemosOnce()
        self.serviceTxGramsOnce()

    def serviceAllTx(self) -> None:
        self.serviceTxMemos()
        self.serviceTxGrams()

    def serviceLocal(self) -> None:
        self.serviceReceives()
        self.serviceTymers()
        self.serviceTxGrams()

    def serviceAllOnce(self) -> None:
        self.serviceAllRxOnce()
        self.serviceTymers()
        self.serviceAllTxOnce()

    def serviceAll(self) -> None:
        """One full service pass: receive, fuse, timers, transmit."""
        self.serviceAllRx()
        self.serviceTymers()
        self.serviceAllTx()

    service = serviceAll
