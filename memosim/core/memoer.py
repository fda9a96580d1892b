"""Memoer: hio's memogram queues and service loop over a sans-I/O core.

The queues and method names follow hio 0.7.20 (memoit, rend, pick, fuse,
serviceAll, rxgs, txms, ...). What moves datagrams is a transport mixin placed
before Memoer in the MRO; the Memoer itself only offers an echo mock
(`echoic`) so it can be exercised without any transport.

Datagrams enter through `absorb(gram, src)`, which never raises for anything
a remote sends: bad grams are dropped, counted in `stats.dropped` by reason,
and logged. Time comes only from the wound Tymist or an injected clock.
"""

from __future__ import annotations

import binascii
import errno
import logging
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping

from ..tyming import Tymee
from . import acking, b64, codes, grams, surewire
from .acker import Acker
from .codes import MemoDex, Versionage
from .flights import Flights
from .keys import Keyage, KeyError_, Signer, Verifier, sign_detached
from .mids import os_midder
from .reassembly import Limits, Reassembly
from .rto import K_MAX_RTO, K_MIN_RTO
from .stats import Stats

logger = logging.getLogger("memosim.memoer")

Memo = str | bytes

# Send errors that mean "the far side is not there": drop the gram, go on.
FAR_ERRNOS = frozenset(
    getattr(errno, name)
    for name in (
        "ECONNREFUSED", "ENOENT", "ECONNRESET", "ENETRESET", "ENETUNREACH",
        "EHOSTUNREACH", "ENETDOWN", "EHOSTDOWN", "ETIMEDOUT", "ETIME", "EMSGSIZE",
        "EADDRNOTAVAIL", "EINVAL",
    )
    if hasattr(errno, name)
)
_b2a = binascii.b2a_base64
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_AUTH_CODES = codes.AUTH_CODES
_ACK_CODES = codes.ACK_CODES
_SURE_CODES = codes.SURE_CODES
_SURE_LEAD = bytes([surewire.SURE_VERSION])
RX_BURST = 4096  # datagrams taken per greedy receive pass, so a flood cannot starve tx


class MemoerError(ValueError):
    """A local misuse: bad code, size, vid, memo type or length."""


class MemoerVerifyError(MemoerError):
    """A signature that does not verify, from verify() or pick(), as in hio."""


class Memoer(Tymee):
    """Memogram transport core with hio's attributes, queues and service loop.

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
        minRto, maxRto: bounds of the retransmission timeout (RFC 6298).
        failures: deque of (memo, dst, vid, reason) for memos given up on.
        rvids: dst -> the vid that receiver signs its acks with; a signed Sure
            memo needs one (here or memoit's rvid), and only that receiver's
            AckAuth can confirm it.
    The sender tracks and retries Sure memos only while wound onto a Tymist.
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
        rxgs: dict | None = None,
        sources: dict | None = None,
        counts: dict | None = None,
        vids: dict | None = None,
        rxms: deque | None = None,
        txms: deque | None = None,
        txgs: deque | None = None,
        txbs: tuple | None = None,
        code: str = MemoDex.GramZero,
        curt: bool = False,
        size: int | None = None,
        authic: bool = False,
        echoic: bool = False,
        keep: Mapping[str, Keyage] | None = None,
        vid: str | None = None,
        clock: Callable[[], float] | None = None,
        midder: Callable[[], bytes] | None = None,
        limits: Limits | None = None,
        rxbytes: bool = False,
        ackDelay: float = acking.ACK_DELAY,
        maxTries: int = acking.MAX_TRIES,
        maxTyme: float = acking.MAX_TYME,
        window: int = acking.WINDOW,
        minRto: float = K_MIN_RTO,
        maxRto: float = K_MAX_RTO,
        failures: deque | None = None,
        rvids: Mapping | None = None,
        temp: bool | None = None,
        **kwa,
    ) -> None:
        self.version = version if version is not None else self.Version
        self.stats = Stats()
        self.limits = limits if limits is not None else Limits()
        if rxgs or sources or counts or vids:
            raise MemoerError("pre-filled rxgs/sources/counts/vids are not supported")
        self._rx = Reassembly(self.limits, self.stats, self._dropped)
        # vids of signed zeroth grams taken by pick(), so that picking a memo's
        # later grams by hand verifies them; bounded like partial memos
        self._pickedVids: OrderedDict[str, str] = OrderedDict()
        self.rxms: deque = rxms if rxms is not None else deque()
        self.txms: deque = txms if txms is not None else deque()
        self.txgs: deque = txgs if txgs is not None else deque()
        self.txbs: tuple = txbs if txbs is not None else (bytearray(), None)
        self.echos: deque = deque()
        self.inbox: deque = deque()
        self.failures: deque = failures if failures is not None else deque()
        if not ackDelay >= 0.0:
            raise MemoerError(f"ackDelay must be >= 0, got {ackDelay}")
        if int(maxTries) < 1 or int(window) < 1 or not maxTyme > 0.0:
            raise MemoerError("maxTries and window must be >= 1 and maxTyme > 0")
        if not 0.0 < minRto <= maxRto:
            raise MemoerError(f"need 0 < minRto <= maxRto, got {minRto}, {maxRto}")
        self.ackDelay = float(ackDelay)
        self.maxTries = int(maxTries)
        self.maxTyme = float(maxTyme)
        self.window = int(window)
        self.minRto = float(minRto)
        self.maxRto = float(maxRto)
        self._rvids: dict = dict(rvids) if rvids else {}
        self._acker = Acker(
            self._rx,
            delay=self.ackDelay,
            max_pending=self.limits.max_memos,
            max_pending_per_source=self.limits.max_memos_per_source,
            max_done=self.limits.done_window,
        )
        self._flights = Flights(
            txgs=self.txgs,
            failures=self.failures,
            stats=self.stats,
            window=self.window,
            max_tries=self.maxTries,
            max_tyme=self.maxTyme,
            min_rto=self.minRto,
            max_rto=self.maxRto,
        )
        self._curt = bool(curt)
        self._code = MemoDex.GramZero
        self.code = code
        self.size = size
        self._authic = bool(authic)
        super().__init__(**kwa)
        self.tymeout = tymeout if tymeout is not None else self.Tymeout
        self.tymers: dict = {}
        if not hasattr(self, "name"):
            self.name = name if name is not None else "main"
        if not hasattr(self, "opened"):
            self.opened = False
        if not hasattr(self, "bc"):
            self.bc = bc
        if getattr(self, "bs", None) is None:  # a transport mixin may have set it
            self.bs: int = bs if bs is not None else self.BufSize
        self._echoic = bool(echoic)
        self._keep: Mapping[str, Keyage] = keep if keep is not None else {}
        self.vid = vid or None
        self.clock = clock
        self.midder: Callable[[], bytes] = midder if midder is not None else os_midder()
        self.rxbytes = bool(rxbytes)
        self._signer = Signer()
        self._verifier = Verifier()
        # the service loop may skip rend's re-check of a memoit-checked str,
        # unless a subclass overrides rend (then rend is always called)
        self._plainRend = type(self).rend is Memoer.rend

    # ---- hio's state views -------------------------------------------
    @property
    def rxgs(self) -> Mapping:
        return self._rx.rxgs

    @property
    def sources(self) -> Mapping:
        return self._rx.sources

    @property
    def counts(self) -> Mapping:
        return self._rx.counts

    @property
    def vids(self) -> Mapping:
        return self._rx.vids

    # ---- configuration properties --------------------------------------
    @property
    def code(self) -> str:
        """Zeroth gram code used when rending memos for transmission."""
        return self._code

    @code.setter
    def code(self, code: str) -> None:
        if code not in self.Zedex:
            raise MemoerError(f"invalid code {code!r}: must be a zeroth gram code")
        self._code = code
        if hasattr(self, "_size"):
            self.size = self._asked

    @property
    def curt(self) -> bool:
        """True renders headers in binary (Base2), False in text (Base64)."""
        return self._curt

    @curt.setter
    def curt(self, curt: bool) -> None:
        self._curt = bool(curt)
        if hasattr(self, "_size"):
            self.size = self._asked

    @property
    def size(self) -> int:
        """Largest gram made when rending, header and signature included."""
        return self._size

    @size.setter
    def size(self, size: int | None) -> None:
        self._asked = size  # re-applied when code or curt changes the smallest size
        size = self.MaxGramSize if size is None else int(size)
        smallest = codes.overhead(self._code, self._curt) + 1
        size = max(size, smallest)
        if size > self.MaxGramSize:
            raise MemoerError(f"gram size {size} exceeds MaxGramSize {self.MaxGramSize}")
        self._size = size
        self._sizing = grams.sizing(self._code, self._curt, size)
        sizes = self.Sizes[self._code]
        self._vz = sizes.vz  # vid length the code carries (0: none)
        self._signs = bool(sizes.az)
        self._sure = self._code in codes.SureDex
        # a Sure memo is sent with its tag ahead of it (surewire.py)
        self._max_memo = self._sizing.max_memo - (surewire.SURE_PREFIX if self._sure else 0)
        # one-gram memos (the common case) skip the splitter: code + neck 1 + mid + body
        self._zbz = self._sizing.zeroth_body
        self._head1 = grams.one_gram_head(self._code, self._curt)

    @property
    def authic(self) -> bool:
        """True drops every received gram that is not signed."""
        return self._authic

    @property
    def echoic(self) -> bool:
        """True makes send/receive use .echos as a mock transport."""
        return self._echoic

    @property
    def keep(self) -> Mapping[str, Keyage]:
        """vid -> Keyage(qvk, qss) for signing own grams and verifying D/E vids."""
        return self._keep

    @property
    def vid(self) -> str | None:
        """Own vid used to sign when a memo names none."""
        return self._vid

    @vid.setter
    def vid(self, vid: str | None) -> None:
        self._vid = vid

    @property
    def rvids(self) -> dict:
        """dst -> vid that must sign the acks of signed Sure memos sent there."""
        return self._rvids

    @property
    def now(self) -> float | None:
        """Housekeeping tyme: the wound Tymist's, else the clock's, else None."""
        if self.tymth is not None:
            return self.tymth()
        clock = self.clock
        return clock() if clock is not None else None

    # ---- transport stubs (a transport mixin overrides these) ------------
    def open(self) -> bool:
        self.opened = True
        return True

    def reopen(self, **kwa) -> bool:
        self.close()
        return self.open()

    def close(self) -> None:
        self.opened = False

    def receive(self, *, echoic: bool = False) -> tuple[bytes, object]:
        """Echo mock: pop one (gram, src) from .echos, else (b'', None)."""
        if (echoic or self._echoic) and self.echos:
            return self.echos.popleft()
        return (b"", None)

    def send(self, gram, dst, *, echoic: bool = False) -> int:
        """Echo mock: append (gram, dst) to .echos; report all bytes sent."""
        if echoic or self._echoic:
            self.echos.append((bytes(gram), dst))
        return len(gram)

    # ---- time ---------------------------------------------------------
    def wind(self, tymth) -> None:
        """Put this Memoer (and its retry tymers) on a Tymist's tyme base."""
        super().wind(tymth)
        for tymer in self.tymers.values():
            tymer.wind(tymth)

    def serviceTymers(self) -> None:
        """Run time-driven housekeeping: expire partial memos, send the acks
        that are due and, when wound, retransmit or give up on Sure memos."""
        now = self.now
        self._rx.expire(now)
        for out in self._acker.flush(now):
            vid = self._vid if (out.signed and self._vid and self._vid in self._keep) else None
            sign = None
            if vid is not None:
                try:
                    secret = self._signer.secret(self._keep, vid)
                except KeyError_ as ex:
                    logger.error("%s cannot sign acks as %s: %s", self.name, vid, ex)
                    vid = None
                else:
                    def sign(ser: bytes, secret: bytes = secret) -> bytes:
                        return sign_detached(ser, secret)
            gram = surewire.make_ack(
                out.mid, out.neck, done=out.done, epoch=out.epoch, upto=out.upto,
                ranges=out.ranges, curt=out.curt, size=self._size, vid=vid, sign=sign,
            )
            self.txgs.append((gram, out.dst))
            self.stats.acks_sent += 1
        if self.tymth is not None and now is not None:
            self._flights.service(now)

    def get_timer(self) -> float | None:
        """Earliest tyme at which serviceTymers has work, or None."""
        born = self._rx.oldest_born()
        dues = [
            None if born is None else born + self.limits.expiry,
            self._acker.next_due(),
            self._flights.next_due() if self.tymth is not None else None,
        ]
        return min((due for due in dues if due is not None), default=None)

    # ---- receive side ---------------------------------------------------
    def wiff(self, gram: bytes) -> bool:
        """True when gram's header is binary, False when text; raises otherwise."""
        try:
            return grams.wiff(gram)
        except grams.GramError as ex:
            raise MemoerError(str(ex)) from ex

    def verify(self, vid: str | bytes, sig: str | bytes, ser: str | bytes) -> bool:
        """True when qualified sig (text or binary) is vid's signature on ser;
        else raises MemoerVerifyError, as hio does."""
        vid = vid.decode() if isinstance(vid, bytes) else vid
        ser = ser.encode() if isinstance(ser, str) else ser
        sig = sig.encode() if isinstance(sig, str) else sig
        try:
            raw = b64.unqualify(sig, (b64.SIG_CODE,))[0] if len(sig) == 88 else None
        except b64.B64Error:
            raw = None
        if raw is None and len(sig) == 66 and sig[:2] == b"\xd0\x10":
            raw = sig[2:]
        if raw is None or len(raw) != 64:
            raise MemoerVerifyError("undecodable signature")
        reason = self._verifier.check(self._keep, vid, raw, ser)
        if reason is not None:
            raise MemoerVerifyError(f"{reason}: signature of vid {vid[:12]}... does not verify")
        return True

    def pick(self, gram: bytearray) -> tuple[str, str | None, int, int | None]:
        """Parse a gram, strip its header and signature in place, verify it.

        Returns (mid, vid, gn, gc) as hio does; raises MemoerError when the gram
        is malformed, unsigned on an authic Memoer, or an unsigned later gram of
        a signed memo, and MemoerVerifyError when it fails verification. A
        signed later gram is verified with its memo's vid, from the first
        signed zeroth gram this Memoer received or picked for that mid.
        Kept for hio compatibility: the service loop uses `absorb`.
        """
        try:
            parsed = grams.parse(gram)
        except grams.GramError as ex:
            raise MemoerError(str(ex)) from ex
        if self._authic and not parsed.authed:
            raise MemoerError(f"unsigned gram {parsed.code} on an authic Memoer")
        mid = parsed.mid
        vid = parsed.vid
        if not parsed.zeroth:
            known = self.vids.get(mid) or self._pickedVids.get(mid)
            if not parsed.authed:
                if known:
                    raise MemoerError(f"mismatch: unsigned later gram for signed memo {mid}")
            elif not vid:
                vid = known
        if parsed.authed:
            reason = self._check(vid, parsed)
            if reason is not None:
                raise MemoerVerifyError(f"{reason}: signature check failed for mid {mid}")
            picked = self._pickedVids
            if parsed.zeroth and vid and mid not in picked:  # the first signer keeps the mid
                picked[mid] = vid
                while len(picked) > self.limits.max_memos:
                    picked.popitem(last=False)
        gram[:] = parsed.body
        return mid, vid, parsed.num, parsed.count

    def absorb(self, gram: bytes, src) -> None:
        """Take one received datagram into the protocol state. Never raises."""
        stats = self.stats
        stats.grams_received += 1
        stats.bytes_received += len(gram)
        self._absorb(gram, src, self.now)

    def _absorb(self, gram: bytes, src, now: float | None) -> None:
        """absorb at tyme now, uncounted (a receive burst reads the tyme and
        counts grams and bytes once)."""
        try:
            parsed = grams.parse(gram)
        except grams.GramError as ex:
            self._dropped(ex.reason, src, str(ex))
            return
        except Exception as ex:  # defence in depth: a parser bug must not kill the loop
            self._dropped("parse-bug", src, repr(ex))
            return
        code = parsed.code
        if self._authic and code not in _AUTH_CODES:
            self._dropped("unsigned", src, code)
            return
        if code in _ACK_CODES:
            self._absorbAck(parsed, src, now)
            return
        reason = self._rx.add(parsed, src, now, self._check)
        if reason is not None:
            self._dropped(reason, src, parsed.mid)
        if code in _SURE_CODES:
            self._absorbed(parsed, src, reason, now)

    def _absorbed(self, gram: grams.Gram, src, reason: str | None, now: float | None) -> None:
        """Hook after a Sure gram was taken (reason None) or dropped.

        Sure grams that were kept, or are duplicates (the sender missed an
        ack), schedule an ack of their memo.
        """
        if reason is None or reason == "duplicate":
            self._acker.note(gram, now, kept=reason is None)

    def _absorbAck(self, gram: grams.Gram, src, now: float | None) -> None:
        """Take an Ack/AckAuth for a memo in flight; drop and count anything else.

        A signed memo's acks count only as AckAuth signed by the vid its
        receiver was named with (rvid): a plain Ack, or an AckAuth of any
        other signer, is dropped as "ack-vid"."""
        neck = gram.count or 0
        try:
            ack = surewire.decode(gram.code, neck, gram.mid, gram.vid, gram.body)
        except surewire.AckError as ex:
            self._dropped(ex.reason, src, gram.mid)
            return
        flight, reason = self._flights.lookup(gram.mid, src)
        if flight is None:
            self._dropped(reason or "ack-unknown", src, gram.mid)
            return
        if flight.rvid is not None and (not gram.authed or gram.vid != flight.rvid):
            self._dropped("ack-vid", src, gram.mid)
            return
        if gram.authed:
            reason = self._check(gram.vid, gram)
            if reason is not None:
                self._dropped(reason, src, gram.mid)
                return
        reason = self._flights.apply(flight, neck, ack, now)
        if reason is not None:
            self._dropped(reason, src, gram.mid)
            return
        self.stats.acks_received += 1

    def _check(self, vid: str | None, gram: grams.Gram) -> str | None:
        """Drop reason for a signed gram that does not verify, else None."""
        if not vid:
            return "no-vid"
        if gram.sig is None or gram.signed is None:
            return "signature"
        return self._verifier.check(self._keep, vid, gram.sig, gram.signed)

    def _dropped(self, reason: str, src, detail: str = "") -> None:
        self.stats.drop(reason)
        logger.info("%s dropped gram from %s: %s %s", self.name, src, reason, detail)

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
        receive, absorb, now = self.receive, self._absorb, self.now
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

    def fuse(self, grams: Mapping[int, bytes], cnt: int) -> Memo | None:
        """Join cnt gram bodies in number order; None while any is missing."""
        if len(grams) < cnt:
            return None
        try:
            data = b"".join([grams[i] for i in range(cnt)])
        except KeyError:
            return None
        return self._memo(data)

    def _memo(self, data: bytes) -> Memo:
        """The memo as delivered: str when UTF-8 (unless .rxbytes), else bytes."""
        if self.rxbytes:
            return data
        try:
            return data.decode()
        except UnicodeDecodeError:
            return data  # not UTF-8 text: deliver the bytes rather than lose them

    def _serviceOnceRxGrams(self) -> None:
        rx = self._rx
        now = self.now
        rx.expire(now)
        rxms = self.rxms
        rxbytes = self.rxbytes
        delivered = 0
        for mid in rx.pop_ready():
            code = rx.code_of(mid)
            if code in _SURE_CODES:
                delivered += self._deliverSure(mid, code, now)  # type: ignore[arg-type]
                continue
            whole = rx.take_whole(mid, now, remember=False)
            if whole is not None:  # one-gram memo: its body is the memo (_memo inline)
                src, vid, _code, body = whole
                if body[:1] == _SURE_LEAD and surewire.flipped(mid, 1, body):
                    self._dropped("code-flip", src, mid)  # not remembered: its retry may come
                    continue
                rx.remember(mid, now)
                memo: Memo = body
                if not rxbytes:
                    try:
                        memo = body.decode()
                    except UnicodeDecodeError:
                        pass  # not UTF-8 text: deliver the bytes rather than lose them
                rxms.append((memo, src, vid))
                delivered += 1
                continue
            grams_, count, src, vid = rx.take_partial(mid, now, remember=False)
            if grams_.get(0, b"")[:1] == _SURE_LEAD:
                data = b"".join([grams_[i] for i in range(count)])
                if surewire.flipped(mid, count, data):
                    self._dropped("code-flip", src, mid)
                    continue
            rx.remember(mid, now)
            fused = self.fuse(grams_, count)
            if fused is None:  # pragma: no cover - ready implies complete
                continue
            rxms.append((fused, src, vid))
            delivered += 1
        self.stats.memos_delivered += delivered

    def _deliverSure(self, mid: str, code: str, now: float | None) -> int:
        """Deliver a complete Sure memo once and intact, then ack it done; 1
        when delivered. A memo whose tag fails is discarded and reset (the
        sender sends it all again); one the delivered-id memory has no room
        for is refused unacked (the sender retries or gives up)."""
        rx = self._rx
        src = rx.sources[mid]
        curt = self._acker.encoding(mid, self._curt)
        signed = code in _AUTH_CODES
        if not rx.sure.room(src, now):
            rx.take(mid, now, remember=False)
            self._dropped("sure-full", src, mid)
            return 0
        whole = rx.take_whole(mid, now, remember=False)
        if whole is not None:
            payload, count, vid = whole[3], 1, whole[1]
        else:
            grams_, count, src, vid = rx.take_partial(mid, now, remember=False)
            payload = b"".join([grams_[i] for i in range(count)])
        data = surewire.unwrap(mid, payload)
        if data is None:
            self._dropped("sure-tag", src, mid)
            self._acker.rejected(mid, src, curt, signed, now)
            return 0
        rx.sure.add(mid, src, now, count, curt, signed)
        self.rxms.append((self._memo(data), src, vid))
        self._acker.delivered(mid, src, curt, signed, now)
        return 1

    def serviceRxGramsOnce(self) -> None:
        """Fuse every memo whose grams are all here into .rxms."""
        self._serviceOnceRxGrams()

    def serviceRxGrams(self) -> None:
        """Same as serviceRxGramsOnce: each pass covers every complete memo."""
        self._serviceOnceRxGrams()

    def _serviceOneRxMemo(self):
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

    # ---- transmit side ----------------------------------------------------
    def memoit(self, memo: Memo, dst, vid: str | None = None, rvid: str | None = None) -> None:
        """Queue memo for dst; checks it now so the service loop never has to.

        rvid: the vid that dst signs its acks with (for a signed Sure code it
        is needed here or in `rvids`; it is remembered for dst)."""
        self._checkMemo(memo, vid)
        if self._sure and self._signs:
            if rvid is not None:
                self._rvids[dst] = rvid
            elif dst not in self._rvids:
                raise MemoerError(f"signed Sure memo to {dst!r} needs the receiver's vid "
                                  "(memoit rvid= or rvids=) to check its acks")
        self.txms.append((memo, dst, vid))

    def unsettled(self) -> list[tuple[Memo, object, str | None]]:
        """(memo, dst, vid) of memos still queued, or tracked as Sure memos not
        yet confirmed delivered nor failed. Empty: nothing is in flight."""
        flights = [(f.memo, f.dst, f.vid) for f in self._flights.flights.values()]
        return list(self.txms) + flights

    def _checkMemo(self, memo: Memo, vid: str | None) -> bytes:
        if isinstance(memo, str):
            data = memo.encode()
        elif isinstance(memo, (bytes, bytearray, memoryview)):
            data = bytes(memo)
        else:
            raise MemoerError(f"memo must be str or bytes, not {type(memo).__name__}")
        if len(data) > self._max_memo:
            raise MemoerError(f"memo length {len(data)} exceeds max {self._max_memo}")
        vz = self._vz
        if vz:
            vid = vid if vid is not None else self._vid
            if not vid or len(vid) != vz:
                raise MemoerError(f"code {self._code} needs a 44-char vid, got {vid!r}")
            if vid not in self._keep:
                raise MemoerError(f"vid {vid[:12]}... has no keep entry to sign with")
        return data

    def sign(self, vid: str | bytes, ser: str | bytes) -> bytes:
        """Qualified signature of ser by vid: binary when .curt, else text."""
        vid = vid.decode() if isinstance(vid, bytes) else vid
        ser = ser.encode() if isinstance(ser, str) else ser
        try:
            raw = self._signer.sign(self._keep, vid, ser)
        except KeyError_ as ex:
            raise MemoerError(str(ex)) from ex
        return grams.sig_bytes(raw, self._curt)

    def makeMID(self) -> str:
        """A new memo id from .midder (seeded in simulation, never uuid1)."""
        return self._newMid()[0].decode()

    def _newMid(self) -> tuple[bytes, bytes]:
        """A new memo id as its 24 text bytes and its 18-byte binary form."""
        raw = self.midder()
        if len(raw) != 16:
            raise MemoerError(f"midder must give 16 bytes, gave {len(raw)}")
        binary = grams.MID_LEAD_BINARY + raw  # Base64 of this is '0A' + 22 digits
        return _b2a(binary, newline=False).translate(_TO_URLSAFE), binary  # b64.encode, inline

    def rend(self, memo: Memo, vid: str | None = None) -> list[bytes]:
        """Split memo into grams with headers (signed when the code says so)."""
        return self._render(self._checkMemo(memo, vid), vid)

    def _render(self, data: bytes, vid: str | None) -> list[bytes]:
        """rend for memo bytes already checked (by memoit, or by rend)."""
        if len(data) > self._max_memo:  # the size may have shrunk since memoit
            raise MemoerError(f"memo length {len(data)} exceeds max {self._max_memo}")
        curt = self._curt
        if not self._signs:
            mid_t, mid_b = self._newMid()
            if self._sure:  # its tag binds the content to the id (surewire.py)
                data = surewire.wrap(mid_t.decode(), data)
            if len(data) <= self._zbz:  # one gram: code, neck 1, mid, body
                return [self._head1 + (mid_b if curt else mid_t) + data]
            return grams.split(data, code=self._code, curt=curt, size=self._size,
                               mid=mid_t.decode(), lay=self._sizing)
        vid = vid if vid is not None else self._vid
        secret = self._signer.secret(self._keep, vid)  # type: ignore[arg-type]
        mid_t, mid_b = self._newMid()
        if self._sure:
            data = surewire.wrap(mid_t.decode(), data)
        if len(data) <= self._zbz:  # one gram: code, neck 1, mid, vid, body, signature
            gram = b"".join((self._head1, mid_b if curt else mid_t,
                             grams.vid_bytes(vid, curt), data))  # type: ignore[arg-type]
            return [gram + grams.sig_bytes(sign_detached(gram, secret), curt)]

        def signer(ser: bytes) -> bytes:
            return sign_detached(ser, secret)

        return grams.split(data, code=self._code, curt=curt, size=self._size,
                           mid=mid_t.decode(), vid=vid, sign=signer, lay=self._sizing)

    def _serviceOneTxMemo(self) -> None:
        memo, dst, vid = self.txms.popleft()
        try:
            if type(memo) is str and self._plainRend:  # checked by memoit; str cannot change
                rended = self._render(memo.encode(), vid)
            else:
                rended = self.rend(memo, vid)
        except (MemoerError, KeyError_) as ex:
            self.stats.drop("tx-invalid")
            logger.error("%s cannot send memo to %s: %s", self.name, dst, ex)
            return
        self.stats.memos_sent += 1
        if self._sure and self._rended(rended, dst, vid, memo):
            return
        if len(rended) == 1:
            self.txgs.append((rended[0], dst))
        else:
            self.txgs.extend([(gram, dst) for gram in rended])

    def _rended(self, rended: list[bytes], dst, vid: str | None, memo: Memo | None = None) -> bool:
        """Hook: a memo was split into grams for dst.

        A Sure memo rended while wound is tracked for acked delivery, which
        then sends its grams itself (within the window): returns True. Else
        returns False and the caller queues every gram once.
        """
        if not self._sure or memo is None or self.tymth is None:
            return False
        now = self.now
        if now is None:
            return False
        rvid = self._rvids.get(dst) if self._signs else None
        self._flights.add(memo, dst, vid, rended, now, rvid)
        return True

    def serviceTxMemosOnce(self) -> None:
        if self.txms:
            self._serviceOneTxMemo()

    def serviceTxMemos(self) -> None:
        while self.txms:
            self._serviceOneTxMemo()

    def gramit(self, gram: bytes, dst) -> None:
        """Queue one ready-made gram for dst (testing aid, as in hio)."""
        self.txgs.append((gram, dst))

    def _serviceOnceTxGrams(self, *, echoic: bool = False) -> bool:
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

    def busy(self) -> bool:
        """True while a service pass has work it can do right now.

        A scheduler that can sleep (the simulator) services a peer again at
        once while busy, else only at its next arrival or get_timer().
        """
        return bool(
            self.txms or self.txgs or self.txbs[1] is not None or self.rxms or self._rx.ready
        )
