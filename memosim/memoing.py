"""hio's Memoer: memogram queues and service loop, as an adapter over the engine.

Memoer = state and settings (here) + ServiceLoop (servicing.py) + HandCodec
(handcodec.py) over memosim.core.engine.Engine.

hio 0.7.20 (hio.core.memo.memoing) drives a memogram transport through
queues (txms, txgs, rxms, ...) and service methods (serviceReceives,
serviceTxGrams, ...), with time from a Tymist it is wound onto. This module
keeps those names and that behaviour on top of memosim.core.engine, which
holds the protocol. The deques are shared, so nothing is copied: txgs is the
engine's outbox, rxms its delivered memos, failures its failed ones.

What only hio's surface has lives here: the memo queue (memoit, txms),
partly sent datagrams (txbs), socket errors that mean "the far side is not
there" (FAR_ERRNOS), the echo mock (`echoic`), tymth winding, and the
by-hand codec calls (rend, pick, verify, sign, fuse). A transport mixin
placed before Memoer in the MRO moves datagrams (memosim/transports/,
memosim/sim/peer.py).
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from .core import codes
from .core.aliases import Address, Deliveries, Failures, Memo, Outbox
from .core.codes import AckDex, AuthDex, GramDex, MemoDex, Sizage, SureDex, Versionage, ZeroDex
from .core.engine import Engine, MemoerError, MemoerVerifyError
from .core.keys import Keyage
from .core.limits import Limits
from .core.retry import RetryPolicy
from .doing import Doer
from .handcodec import HandCodec
from .keytext import KeyText
from .mids import os_midder
from .servicing import FAR_ERRNOS, RX_BURST, ServiceLoop
from .tyming import Tymee, Tymer, Tymth

__all__ = [
    "FAR_ERRNOS",
    "RX_BURST",
    "AckDex",
    "AuthDex",
    "AuthMemoer",
    "AuthMemoerDoer",
    "GramDex",
    "Keyage",
    "Memo",
    "MemoDex",
    "Memoer",
    "MemoerDoer",
    "MemoerError",
    "MemoerVerifyError",
    "Sizage",
    "SureDex",
    "Versionage",
    "ZeroDex",
    "openAM",
    "openMemoer",
]

logger = logging.getLogger("memosim.memoer")


def address_of(dst: Address) -> Address:
    """dst as queued: a list (as JSON and TOML give addresses) as its tuple,
    which can key a Sure memo's flight and which sockets take."""
    return tuple(dst) if isinstance(dst, list) else dst


class Memoer(ServiceLoop, HandCodec, KeyText, Tymee):
    """Memogram transport with hio's attributes, queues and service loop.

    Beyond hio's parameters:
        clock: zero-arg callable giving tyme for housekeeping when not wound.
        midder: zero-arg callable giving 16 random bytes for each memo id
            (default: the OS RNG, read in blocks; seeded in simulation).
        limits: reassembly bounds (partial-memo expiry, counts, bytes).
        rxbytes: deliver every memo as bytes instead of str.

    Acked (Sure) delivery (docs/acked-delivery.md):
        ackDelay: tyme a receiver holds an ack to cover more grams, and the
            least spacing of acks of one memo; a completed memo is acked at once.
        maxTries: transmissions of one gram before its memo fails ("tries").
        maxTyme: tyme a Sure memo is tracked before it fails ("tyme"); keep it
            below the receiver's limits.done_expiry for exactly-once delivery.
        window: unacked grams in flight per destination; more wait their turn.
        minRto, maxRto, initRto: bounds and first value of the retransmission
            timeout (RFC 6298).
        retryPolicy: "fast" (loss detection from acks, tail probes) or "rto".
        retry: all of these at once, as a RetryPolicy or a mapping of its keys
            (a scenario's [retry] table: policy, init_rto, min_rto, ...);
            the camelCase keywords given are laid over it.
        failures: deque of (memo, dst, vid, reason) for memos given up on.
        sureOnly: drop every received gram that is not Sure or Ack (plain codes
            carry no integrity check; see docs/acked-delivery.md).
        rvids: dst -> the vid that receiver signs its acks with; a signed Sure
            memo needs one (here or memoit's rvid), and only that receiver's
            AckAuth can confirm it.
    The sender tracks and retries Sure memos only while wound onto a Tymist.
    `engine` is the protocol state underneath (memosim.core.engine).
    """

    Version = Versionage(major=0, minor=0)
    Codex = codes.MemoDex
    Codes = codes.Codes
    Names = codes.Names
    Zedex = codes.ZeroDex
    Audex = codes.AuthDex
    Sodex = codes.AuthDex
    Sizes = codes.Sizes
    Pairs = codes.Pairs
    MaxMemoSize = codes.MaxMemoSize
    MaxGramCount = codes.MaxGramCount
    MaxGramSize = codes.MaxGramSize
    BufSize = codes.BufSize
    Tymeout = 0.0

    def __init__(
        self,
        *,
        tymeout: float | None = None,
        name: str | None = None,
        bc: int | None = None,
        bs: int | None = None,
        version: Versionage | None = None,
        rxgs: dict[str, object] | None = None,
        sources: dict[str, object] | None = None,
        counts: dict[str, object] | None = None,
        vids: dict[str, object] | None = None,
        rxms: Deliveries | None = None,
        txms: deque[tuple[Memo, Address, str | None]] | None = None,
        txgs: Outbox | None = None,
        txbs: tuple[bytearray, Address | None] | None = None,
        code: str = MemoDex.GramZero,
        curt: bool = False,
        size: int | None = None,
        authic: bool = False,
        sureOnly: bool = False,
        echoic: bool = False,
        keep: Mapping[str, Keyage] | None = None,
        vid: str | None = None,
        clock: Callable[[], float] | None = None,
        midder: Callable[[], bytes] | None = None,
        limits: Limits | None = None,
        rxbytes: bool = False,
        ackDelay: float | None = None,
        maxTries: int | None = None,
        maxTyme: float | None = None,
        window: int | None = None,
        minRto: float | None = None,
        maxRto: float | None = None,
        initRto: float | None = None,
        retryPolicy: str | None = None,
        retry: RetryPolicy | Mapping[str, Any] | None = None,
        failures: Failures | None = None,
        rvids: Mapping[Address, str] | None = None,
        temp: bool | None = None,
        **kwa: Any,
    ) -> None:
        self.version = version if version is not None else self.Version
        if rxgs or sources or counts or vids:
            raise MemoerError("pre-filled rxgs/sources/counts/vids are not supported")
        if limits is not None and not isinstance(limits, Limits):
            raise MemoerError(f"limits: expected a memosim.Limits, found {limits!r}")
        # vids of signed zeroth grams taken by pick(), so that picking a memo's
        # later grams by hand verifies them; bounded like partial memos
        self._pickedVids: OrderedDict[str, str] = OrderedDict()
        self.txms: deque[tuple[Memo, Address, str | None]] = txms if txms is not None else deque()
        self.txbs: tuple[bytearray, Address | None] = (
            txbs if txbs is not None else (bytearray(), None)
        )
        self.echos: deque[tuple[bytes, Address]] = deque()
        self.inbox: Deliveries = deque()
        self.engine = Engine(
            midder=midder if midder is not None else os_midder(),
            code=code,
            curt=curt,
            size=size,
            max_gram_size=self.MaxGramSize,
            authic=authic,
            sure_only=sureOnly,
            keep=keep,
            vid=vid,
            rvids=rvids,
            limits=limits,
            rxbytes=rxbytes,
            retry=RetryPolicy.of(
                retry,
                policy=retryPolicy,
                init_rto=initRto,
                min_rto=minRto,
                max_rto=maxRto,
                max_tries=maxTries,
                max_tyme=maxTyme,
                ack_delay=ackDelay,
                window=window,
            ),
            outbox=txgs,
            delivered=rxms,
            failures=failures,
            fuse=None if type(self).fuse is HandCodec.fuse else self.fuse,
        )
        engine = self.engine
        self.stats = engine.stats
        self.txgs: Outbox = engine.outbox
        self.rxms: Deliveries = engine.delivered
        self.failures: Failures = engine.failures
        policy = engine.retry
        self.ackDelay = policy.ack_delay_s
        self.maxTries = policy.max_tries
        self.maxTyme = float(policy.max_tyme)
        self.window = policy.window
        self.minRto = float(policy.min_rto)
        self.maxRto = float(policy.max_rto)
        super().__init__(**kwa)
        self.tymeout = tymeout if tymeout is not None else self.Tymeout
        self.tymers: dict[
            str, Tymer
        ] = {}  # hio's retry tymers; memosim's retries run in the engine
        if not hasattr(self, "name"):
            self.name = name if name is not None else "main"
        engine.name = self.name
        if not hasattr(self, "opened"):
            self.opened = False
        if not hasattr(self, "bc"):
            self.bc = bc
        if getattr(self, "bs", None) is None:  # a transport mixin may have set it
            self.bs: int = bs if bs is not None else self.BufSize
        self._echoic = bool(echoic)
        self.clock = clock
        # the service loop may skip rend's re-check of a memoit-checked str,
        # unless a subclass overrides rend (then rend is always called)
        self._plainRend = type(self).rend is HandCodec.rend

    # ---- hio's state views, over the engine -----------------------------
    @property
    def rxgs(self) -> Mapping[str, dict[int, bytes]]:
        return self.engine.rx.rxgs

    @property
    def sources(self) -> Mapping[str, Address]:
        return self.engine.rx.sources

    @property
    def counts(self) -> Mapping[str, int]:
        return self.engine.rx.counts

    @property
    def vids(self) -> Mapping[str, str | None]:
        return self.engine.rx.vids

    @property
    def limits(self) -> Limits:
        return self.engine.limits

    @property
    def code(self) -> str:
        """Zeroth gram code used when rending memos for transmission."""
        return self.engine.code

    @code.setter
    def code(self, code: str) -> None:
        self.engine.code = code

    @property
    def curt(self) -> bool:
        """True renders headers in binary (Base2), False in text (Base64)."""
        return self.engine.curt

    @curt.setter
    def curt(self, curt: bool) -> None:
        self.engine.curt = curt

    @property
    def size(self) -> int:
        """Largest gram made when rending, header and signature included."""
        return self.engine.size

    @size.setter
    def size(self, size: int | None) -> None:
        self.engine.size = size

    @property
    def authic(self) -> bool:
        """True drops every received gram that is not signed."""
        return self.engine.authic

    @property
    def sureOnly(self) -> bool:
        """True drops every received gram that is not Sure or Ack."""
        return self.engine.sure_only

    @property
    def echoic(self) -> bool:
        """True makes send/receive use .echos as a mock transport."""
        return self._echoic

    @property
    def keep(self) -> Mapping[str, Keyage]:
        """vid -> Keyage(qvk, qss) for signing own grams and verifying D/E vids."""
        return self.engine.keep

    @property
    def vid(self) -> str | None:
        """Own vid used to sign when a memo names none."""
        return self.engine.vid

    @vid.setter
    def vid(self, vid: str | None) -> None:
        self.engine.vid = vid

    @property
    def rvids(self) -> dict[Address, str]:
        """dst -> vid that must sign the acks of signed Sure memos sent there."""
        return self.engine.rvids

    @property
    def midder(self) -> Callable[[], bytes]:
        """Source of 16-byte memo ids (the OS RNG, or a seeded one in simulation)."""
        return self.engine.midder

    @midder.setter
    def midder(self, midder: Callable[[], bytes]) -> None:
        self.engine.midder = midder

    @property
    def rxbytes(self) -> bool:
        """True delivers every memo as bytes."""
        return self.engine.rxbytes

    @rxbytes.setter
    def rxbytes(self, rxbytes: bool) -> None:
        self.engine.rxbytes = bool(rxbytes)

    # ---- transmit side ----------------------------------------------------
    def memoit(
        self, memo: Memo, dst: Address, vid: str | None = None, rvid: str | None = None
    ) -> None:
        """Queue memo for dst; checks it now so the service loop never has to.

        rvid: the vid that dst signs its acks with (for a signed Sure code it
        is needed here or in `rvids`; it is remembered for dst)."""
        engine = self.engine
        engine.check_memo(memo, vid)
        dst = address_of(dst)
        self.check_dst(dst)
        engine.check_receiver(dst, rvid)
        self.txms.append((memo, dst, vid))

    def check_dst(self, dst: Address) -> None:
        """Raise MemoerError when dst is no address of this transport (any here;
        PeerMemoer wants a UDP (host, port))."""

    def unsettled(self) -> list[tuple[Memo, object, str | None]]:
        """(memo, dst, vid) of memos still queued, or tracked as Sure memos not
        yet confirmed delivered nor failed. Empty: nothing is in flight."""
        return list(self.txms) + self.engine.unsettled()

    def busy(self) -> bool:
        """True while a service pass has work it can do right now.

        A scheduler that can sleep (the simulator) services a peer again at
        once while busy, else only at its next arrival or get_timer().
        """
        return bool(
            self.txms or self.txgs or self.txbs[1] is not None or self.rxms or self.engine.rx.ready
        )


@contextmanager
def openMemoer(cls: type[Memoer] | None = None, name: str = "test", **kwa: Any) -> Iterator[Memoer]:
    """A Memoer (or cls) named name, opened; closed when the block ends (hio's openMemoer)."""
    peer = None
    try:
        peer = (cls or Memoer)(name=name, **kwa)
        peer.reopen()
        yield peer
    finally:
        if peer is not None:
            peer.close()


class AuthMemoer(Memoer):
    """A Memoer that signs what it sends and takes only signed grams (hio's AuthMemoer).

    Its defaults are code="bAAC" (GramAuthZero) and authic=True; it needs a
    keep holding its vid's keys to send.
    """

    def __init__(
        self, *, code: str = MemoDex.GramAuthZero, authic: bool = True, **kwa: Any
    ) -> None:
        super().__init__(code=code, authic=authic, **kwa)


@contextmanager
def openAM(cls: type[Memoer] | None = None, name: str = "test", **kwa: Any) -> Iterator[Memoer]:
    """An AuthMemoer (or cls) named name, opened; closed when the block ends (hio's openAM)."""
    with openMemoer(cls or AuthMemoer, name=name, **kwa) as peer:
        yield peer


class MemoerDoer(Doer):
    """Services a Memoer on a Doist: reopens it on enter, runs service() each
    run, closes it on exit (hio's MemoerDoer).

    As in hio it winds the peer onto the Doist's tyme (WindsPeer), which is
    what runs the retries of acked (Sure) memos; PeerMemoerDoer is the one
    Doer that does not (memosim/peermemoing.py).
    """

    WindsPeer = True

    def __init__(self, peer: Memoer, **kwa: Any) -> None:
        if not callable(getattr(peer, "service", None)):
            raise TypeError(f"{type(self).__name__}: peer: expected a Memoer, found {peer!r}")
        super().__init__(**kwa)
        self.peer = peer

    def wind(self, tymth: Tymth | None) -> None:
        super().wind(tymth)
        if self.WindsPeer:
            self.peer.wind(tymth)

    def enter(self, *, temp: bool | None = None) -> None:
        if self.WindsPeer and self.tymth:
            self.peer.wind(self.tymth)
        self.peer.reopen(temp=temp)

    def recur(self, tyme: float | None) -> bool:
        self.peer.service()
        return False

    def exit(self) -> None:
        self.peer.close()


class AuthMemoerDoer(MemoerDoer):
    """MemoerDoer for an AuthMemoer (hio's AuthMemoerDoer); the same service cycle."""
