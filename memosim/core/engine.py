"""The memogram protocol engine: datagrams in, memos in, datagrams and events out.

Push-time and sans-I/O, in the style of aioquic and h11: the caller owns the
socket and the clock and tells the engine what happened and when.

    engine.receive_datagram(data, src, now)   a datagram arrived at tyme now
    engine.fuse_ready(now)                    memos whose grams are all here
    engine.send_memo(memo, dst, now=now)      a memo to send
    engine.datagrams_to_send()                [(data, dst), ...] for the wire
    engine.get_timer() / handle_timer(now)    when to call back, and the call
    engine.next_event()                       MemoDelivered / MemoFailed, or None

Nothing here reads a clock, a socket or OS randomness: memo ids come from
the injected `midder`. Bad input from a remote is dropped and counted in
`stats.dropped` (never raised); bad input from the caller raises
MemoerError. The parts: grams.py (the codec), reassembly.py (grams into
memos), acker.py and flights.py (acked delivery's two ends), keys.py
(signatures). hio's queue-and-service surface is an adapter over this
(memosim/memoing.py).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Mapping
from typing import NamedTuple

from . import codes, grams, surewire
from .acker import Acker
from .aliases import Address, Deliveries, Failures, Memo, Outbox
from .codes import MemoDex
from .errors import MemoerError, MemoerVerifyError
from .flights import Flights
from .keys import Keyage, KeyMaterialError, Verifier, sign_detached
from .limits import Limits
from .reassembly import Reassembly
from .rendering import Renderer
from .retry import RetryPolicy
from .stats import Stats

__all__ = [
    "ACK_DELAY",
    "Engine",
    "MemoDelivered",
    "MemoFailed",
    "MemoerError",
    "MemoerVerifyError",
]

logger = logging.getLogger("memosim.memoer")

ACK_DELAY = RetryPolicy().ack_delay_s  # tyme an ack waits to cover more grams

_AUTH_CODES = codes.AUTH_CODES
_ACK_CODES = codes.ACK_CODES
_SURE_CODES = codes.SURE_CODES
# first bytes of a Sure payload and an Ack body: a plain memo starting with
# either may be Sure traffic whose code was damaged (surewire.flipped)
_SURE_LEADS = (bytes([surewire.SURE_VERSION]), bytes([surewire.ACK_VERSION]))


class MemoDelivered(NamedTuple):
    """A memo delivered, once and intact (vid: its signer, None if unsigned)."""

    memo: Memo
    src: object
    vid: str | None


class MemoFailed(NamedTuple):
    """A Sure memo given up on: reason "tries", "tyme" or "backlog"."""

    memo: Memo
    dst: object
    vid: str | None
    reason: str


class Engine(Renderer):
    """One peer's memogram protocol state: reassembly, acks, retries, over a Renderer
    (its codec settings and how a memo becomes grams).

    outbox, delivered and failures are deques the caller may share (hio's
    txgs, rxms and failures are these very deques): outbox holds (gram, dst)
    to send, delivered (memo, src, vid), failures (memo, dst, vid, reason).
    """

    def __init__(
        self,
        *,
        midder: Callable[[], bytes],
        code: str = MemoDex.GramZero,
        curt: bool = False,
        size: int | None = None,
        max_gram_size: int = codes.MaxGramSize,
        authic: bool = False,
        sure_only: bool = False,
        keep: Mapping[str, Keyage] | None = None,
        vid: str | None = None,
        rvids: Mapping[Address, str] | None = None,
        limits: Limits | None = None,
        rxbytes: bool = False,
        retry: RetryPolicy | None = None,
        outbox: Outbox | None = None,
        delivered: Deliveries | None = None,
        failures: Failures | None = None,
        name: str = "engine",
        fuse: Callable[[Mapping[int, bytes], int], Memo | None] | None = None,
    ) -> None:
        self.retry = retry = retry if retry is not None else RetryPolicy()
        self.name = name
        self.fuse = fuse  # joins a multi-gram memo's bodies (hio's override point)
        self.stats = Stats()
        self.limits = limits if limits is not None else Limits()
        self.outbox: Outbox = outbox if outbox is not None else deque()
        self.delivered: Deliveries = delivered if delivered is not None else deque()
        self.failures: Failures = failures if failures is not None else deque()
        self.rx = Reassembly(self.limits, self.stats, self.dropped)
        self.acker = Acker(
            self.rx,
            delay=retry.ack_delay_s,
            max_pending=self.limits.max_memos,
            max_pending_per_source=self.limits.max_memos_per_source,
            max_done=self.limits.done_window,
            done_copies=2 if retry.policy == "fast" else 1,
            quiet=retry.policy == "fast",
        )
        self.flights = Flights(
            txgs=self.outbox,
            failures=self.failures,
            stats=self.stats,
            retry=retry,
        )
        self.rvids: dict[Address, str] = dict(rvids) if rvids else {}
        self.authic = bool(authic)
        self.sure_only = bool(sure_only)
        self.rxbytes = bool(rxbytes)
        self.verifier = Verifier()
        super().__init__(
            midder=midder,
            code=code,
            curt=curt,
            size=size,
            max_gram_size=max_gram_size,
            keep=keep,
            vid=vid,
        )

    # ---- receive -----------------------------------------------------------
    def receive_datagram(self, data: bytes, src: Address, now: float | None) -> None:
        """Take one received datagram into the protocol state. Never raises."""
        stats = self.stats
        stats.grams_received += 1
        stats.bytes_received += len(data)
        self.absorb(data, src, now)

    def absorb(self, data: bytes, src: Address, now: float | None) -> None:
        """receive_datagram without its counters, for a caller that counts a
        burst of datagrams at once."""
        try:
            parsed = grams.parse(data)
        except grams.GramError as ex:
            self.dropped(ex.reason, src, str(ex))
            return
        except Exception as ex:  # defence in depth: a parser bug must not kill the loop
            self.dropped("parse-bug", src, repr(ex))
            return
        code = parsed.code
        if self.authic and code not in _AUTH_CODES:
            self.dropped("unsigned", src, code)
            return
        if self.sure_only and code not in _SURE_CODES and code not in _ACK_CODES:
            self.dropped("not-sure", src, code)  # plain codes carry no integrity check
            return
        if code in _ACK_CODES:
            self._take_ack(parsed, src, now)
            return
        reason = self.rx.add(parsed, src, now, self.check)
        if reason is not None:
            self.dropped(reason, src, parsed.mid)
        # a Sure gram kept, or a duplicate (the sender missed an ack), is acked
        if code in _SURE_CODES and (reason is None or reason == "duplicate"):
            self.acker.note(parsed, now, kept=reason is None)

    def _take_ack(self, gram: grams.Gram, src: Address, now: float | None) -> None:
        """Take an Ack/AckAuth for a memo in flight; drop and count anything else.

        A signed memo's acks count only as AckAuth signed by the vid its
        receiver was named with (rvid): a plain Ack, or an AckAuth of any
        other signer, is dropped as "ack-vid"."""
        neck = gram.count or 0
        try:
            ack = surewire.decode(gram.code, neck, gram.mid, gram.vid, gram.body)
        except surewire.AckError as ex:
            self.dropped(ex.reason, src, gram.mid)
            return
        flight, reason = self.flights.lookup(gram.mid, src)
        if flight is None:
            self.dropped(reason or "ack-unknown", src, gram.mid)
            return
        if flight.rvid is not None and (not gram.authed or gram.vid != flight.rvid):
            self.dropped("ack-vid", src, gram.mid)
            return
        if gram.authed:
            reason = self.check(gram.vid, gram)
            if reason is not None:
                self.dropped(reason, src, gram.mid)
                return
        reason = self.flights.apply(flight, neck, ack, now)
        if reason is not None:
            self.dropped(reason, src, gram.mid)
            return
        self.stats.acks_received += 1

    def check(self, vid: str | None, gram: grams.Gram) -> str | None:
        """Drop reason for a signed gram that does not verify, else None."""
        if not vid:
            return "no-vid"
        if gram.sig is None or gram.signed is None:
            return "signature"
        return self.verifier.check(self.keep, vid, gram.sig, gram.signed)

    def dropped(self, reason: str, src: object, detail: str = "") -> None:
        """Count and log a gram (or memo) dropped for `reason`."""
        self.stats.drop(reason)
        logger.info("%s dropped gram from %s: %s %s", self.name, src, reason, detail)

    # ---- deliver -----------------------------------------------------------
    def memo_of(self, data: bytes) -> Memo:
        """The memo as delivered: str when UTF-8 (unless rxbytes), else bytes."""
        if self.rxbytes:
            return data
        try:
            return data.decode()
        except UnicodeDecodeError:
            return data  # not UTF-8 text: deliver the bytes rather than lose them

    def fuse_ready(self, now: float | None) -> int:
        """Move every memo whose grams are all here to `delivered`; how many.
        Complete memos are taken before expiry runs, so a memo completed at
        the very tyme its partial record expires is delivered, not lost."""
        rx = self.rx
        delivered_ = self.delivered
        rxbytes = self.rxbytes
        delivered = 0
        for mid in rx.pop_ready() if rx.ready else ():
            code = rx.code_of(mid)
            if code in _SURE_CODES:
                delivered += self._deliver_sure(mid, code, now)
                continue
            whole = rx.take_whole(mid, now, remember=False)
            if whole is not None:  # one-gram memo: its body is the memo (memo_of inline)
                src, vid, _code, body = whole
                if body[:1] in _SURE_LEADS and surewire.flipped(mid, 1, body):
                    self.dropped("code-flip", src, mid)  # not remembered: its retry may come
                    continue
                rx.remember(mid, now)
                memo: Memo = body
                if not rxbytes:
                    try:
                        memo = body.decode()
                    except UnicodeDecodeError:
                        pass  # not UTF-8 text: deliver the bytes rather than lose them
                delivered_.append((memo, src, vid))
                delivered += 1
                continue
            grams_, count, src, vid = rx.take_partial(mid, now, remember=False)
            data = b"".join([grams_[i] for i in range(count)])
            if data[:1] in _SURE_LEADS and surewire.flipped(mid, count, data):
                self.dropped("code-flip", src, mid)
                continue
            rx.remember(mid, now)
            fused = self.memo_of(data) if self.fuse is None else self.fuse(grams_, count)
            if fused is None:  # pragma: no cover - an overriding fuse gave up
                continue
            delivered_.append((fused, src, vid))
            delivered += 1
        self.stats.memos_delivered += delivered
        rx.expire(now)
        return delivered

    def _deliver_sure(self, mid: str, code: str, now: float | None) -> int:
        """Deliver a complete Sure memo once and intact, then ack it done; 1
        when delivered. A memo whose tag fails is discarded and reset (the
        sender sends it all again); one the delivered-id memory has no room
        for is refused unacked (the sender retries or gives up)."""
        rx = self.rx
        src = rx.sources[mid]
        curt = self.acker.encoding(mid, self._curt)
        signed = code in _AUTH_CODES
        if not rx.sure.room(src, now):
            rx.take(mid, now, remember=False)
            self.dropped("sure-full", src, mid)
            return 0
        whole = rx.take_whole(mid, now, remember=False)
        if whole is not None:
            payload, count, vid = whole.body, 1, whole.vid
        else:
            grams_, count, src, vid = rx.take_partial(mid, now, remember=False)
            payload = b"".join([grams_[i] for i in range(count)])
        data = surewire.unwrap(mid, payload)
        if data is None:
            self.dropped("sure-tag", src, mid)
            self.acker.rejected(mid, src, curt, signed, now)
            return 0
        rx.sure.add(mid, src, now, count, curt, signed, payload[1 : surewire.SURE_PREFIX])
        self.delivered.append((self.memo_of(data), src, vid))
        self.acker.delivered(mid, src, curt, signed, now)
        return 1

    def next_event(self) -> MemoDelivered | MemoFailed | None:
        """The next delivered or failed memo, oldest first (deliveries first)."""
        if self.delivered:
            return MemoDelivered(*self.delivered.popleft())
        if self.failures:
            return MemoFailed(*self.failures.popleft())
        return None

    # ---- send --------------------------------------------------------------
    def check_receiver(self, dst: Address, rvid: str | None) -> None:
        """A signed Sure memo needs the vid dst acks with (remembered for dst)."""
        if self.sure and self.signs:
            if rvid is not None:
                self.rvids[dst] = rvid
            elif dst not in self.rvids:
                raise MemoerError(
                    f"signed Sure memo to {dst!r} needs the receiver's vid "
                    "(memoit rvid= or rvids=) to check its acks"
                )

    def send_memo(
        self,
        memo: Memo,
        dst: Address,
        vid: str | None = None,
        now: float | None = None,
        rvid: str | None = None,
    ) -> None:
        """Send a memo: checked, rended and, for a Sure code with tyme given,
        tracked until acked or given up (MemoFailed); else sent once."""
        data = self.check_memo(memo, vid)
        self.check_receiver(dst, rvid)
        self.send_rended(self.render(data, vid), memo, dst, vid, now, track=now is not None)

    def send_rended(
        self,
        rended: list[bytes],
        memo: Memo | None,
        dst: Address,
        vid: str | None,
        now: float | None,
        track: bool,
    ) -> None:
        """Queue a rended memo's grams. A Sure memo with track (the sender keeps
        tyme) is tracked for acked delivery, which sends within the window."""
        if self.sure and track and memo is not None and now is not None:
            rvid = self.rvids.get(dst) if self.signs else None
            self.flights.add(memo, dst, vid, rended, now, rvid)
        elif len(rended) == 1:
            self.outbox.append((rended[0], dst))
        else:
            self.outbox.extend([(gram, dst) for gram in rended])

    def datagrams_to_send(self) -> list[tuple[bytes, object]]:
        """Every (data, dst) waiting to go out, in order; the outbox is emptied."""
        out = list(self.outbox)
        self.outbox.clear()
        return out

    def unsettled(self) -> list[tuple[Memo, object, str | None]]:
        """(memo, dst, vid) of Sure memos tracked and not yet confirmed nor failed."""
        return [(f.memo, f.dst, f.vid) for f in self.flights.flights.values()]

    # ---- time --------------------------------------------------------------
    def handle_timer(self, now: float | None, track: bool = True) -> None:
        """Time-driven work due by now: expire partial memos, send the acks
        that are due and, with track, retransmit or give up on Sure memos."""
        self.rx.expire(now)
        for out in self.acker.flush(now):
            vid = self.vid if (out.signed and self.vid and self.vid in self.keep) else None
            sign = None
            if vid is not None:
                try:
                    secret = self.signer.secret(self.keep, vid)
                except KeyMaterialError as ex:
                    logger.error("%s cannot sign acks as %s: %s", self.name, vid, ex)
                    vid = None
                else:

                    def sign(ser: bytes, secret: bytes = secret) -> bytes:
                        return sign_detached(ser, secret)

            gram = surewire.make_ack(
                out.mid,
                out.neck,
                done=out.done,
                epoch=out.epoch,
                upto=out.upto,
                ranges=out.ranges,
                curt=out.curt,
                size=self._size,
                vid=vid,
                sign=sign,
                quiet=out.quiet,
                hold=out.hold,
                tag=out.tag,
            )
            self.outbox.append((gram, out.dst))
            self.stats.acks_sent += 1
        if track and now is not None:
            self.flights.service(now)

    def get_timer(self, track: bool = True) -> float | None:
        """Earliest tyme at which handle_timer has work, or None."""
        # asked after every service pass in simulation: plain compares, no min()
        due = self.acker.next_due()
        born = self.rx.oldest_born()
        if born is not None:
            expiry = born + self.limits.expiry
            if due is None or expiry < due:
                due = expiry
        if track:
            retry = self.flights.next_due()
            if retry is not None and (due is None or retry < due):
                due = retry
        return due
