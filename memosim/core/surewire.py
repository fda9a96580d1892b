"""Sure wire format: what acked memos (version 1) and Ack grams (version 2) carry.

hio 0.7.20 reserves the Sure codes (bAAE..bAAH) and the Ack codes (bAAI,
bAAJ) without defining their bodies; this module defines them
(docs/acked-delivery.md is the reference). The plain and signed codes are
untouched, so they stay byte-identical with hio.

Sure memo: the bytes split into grams are `payload = 0x01 | tag | memo`,
where tag = BLAKE2b-128(memo, key = the memo id's text, person
"memosim-sure-v1"). Binding the content to its id means a memo that lost,
gained or changed a bit anywhere (body, a gram number, its count, its id) is
never delivered under any id.

Ack body (version 3):

    partial: version(1)=0x03 | flags(1) | hold(2) | epoch(4) | upto(3) | ranges(6 each) | check(16)
    done:    version(1)=0x03 | flags(1) | hold(2) | epoch(4) | upto(3) | tag(16)         | check(16)

- flags bit 0 DONE: the receiver delivered the memo; in place of ranges the
  ack carries the delivered memo's Sure tag, so a done ack says *which*
  content was delivered under the id, and the sender retires its memo only
  when the tag is its own (one substituted under its id is not). Bit 1
  QUIET (partial acks only): no gram of the memo reached the receiver for
  its ack delay before this ack was made, so a gram sent with or before
  the grams listed and not listed is missing, not late. Other bits zero.
- hold: tyme from the arrival of the memo's latest gram to this ack, in
  units of 100 microseconds (saturating): the sender takes it out of its
  round-trip samples (QUIC's ack delay, RFC 9000 section 19.3).
- epoch: which partial-memo record of the receiver the ranges describe; a
  new record (the old one expired, was evicted or failed its tag) has a new
  epoch, 0 meaning "holds nothing of this memo".
- upto: the ranges describe gram numbers below upto; numbers at or above it
  are not described (the body had no room for more ranges).
- ranges: held grams, (start, end exclusive) as 3-byte big-endian ints,
  ascending, non-overlapping, non-empty.
- check: BLAKE2b-128 (person "memosim-ack-v1") over the ack's code, neck (3
  bytes), mid, vid and the body before the check. It catches damage; it is
  not a MAC (an on-path attacker who sees the mid can compute it): AckAuth's
  signature is what binds an ack to its receiver.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from . import b64, grams
from .codes import MemoDex, overhead

SURE_VERSION = 1
ACK_VERSION = 3
TAG_BYTES = 16
SURE_PREFIX = 1 + TAG_BYTES  # version byte and tag ahead of the memo
CHECK_BYTES = 16
RANGE_BYTES = 6
ACK_FIXED = 1 + 1 + 2 + 4 + 3  # version, flags, hold, epoch, upto
ACK_MIN = ACK_FIXED + CHECK_BYTES
DONE = 0x01
QUIET = 0x02
HOLD_UNIT = 1e-4  # seconds per unit of the hold field
HOLD_MAX = 2**16 - 1
NO_UPTO = 2**24 - 1  # "every number not listed is not held"
_SURE_PERSON = b"memosim-sure-v1"
_ACK_PERSON = b"memosim-ack-v1"
_blake2b = hashlib.blake2b
_SURE_LEAD = bytes([SURE_VERSION])

Range = tuple[int, int]


class AckError(ValueError):
    """A damaged or malformed ack. `reason` is a drop counter tag."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


# ---- Sure payload -----------------------------------------------------------
def sure_tag(mid: str, memo: bytes) -> bytes:
    """The 16-byte tag binding a Sure memo's content to its id."""
    return _blake2b(memo, digest_size=TAG_BYTES, key=mid.encode(), person=_SURE_PERSON).digest()


def wrap(mid: str, memo: bytes) -> bytes:
    """The payload a Sure memo is split from: version, tag, memo."""
    return _SURE_LEAD + sure_tag(mid, memo) + memo


def unwrap(mid: str, payload: bytes) -> bytes | None:
    """The memo inside a Sure payload, or None unless it is intact and for mid."""
    if len(payload) < SURE_PREFIX or payload[0] != SURE_VERSION:
        return None
    memo = payload[SURE_PREFIX:]
    return memo if sure_tag(mid, memo) == payload[1:SURE_PREFIX] else None


# ---- Ack body ---------------------------------------------------------------
class Ack(NamedTuple):
    """A decoded ack body."""

    done: bool
    epoch: int
    upto: int
    ranges: list[Range]
    quiet: bool = False
    hold: float = 0.0  # seconds
    tag: bytes = b""  # a done ack's: the Sure tag of the memo delivered


def ranges_of(nums: Iterable[int]) -> list[Range]:
    """Ascending gram numbers -> ranges [(start, end-exclusive), ...]."""
    out: list[Range] = []
    start = end = -1
    for num in nums:
        if num == end:
            end += 1
            continue
        if end > start:
            out.append((start, end))
        start, end = num, num + 1
    if end > start:
        out.append((start, end))
    return out


def capacity(size: int, curt: bool, signed: bool) -> int:
    """Ranges that fit an ack of gram size `size`; at least one."""
    code = MemoDex.AckAuth if signed else MemoDex.Ack
    return max(1, (size - overhead(code, curt) - ACK_MIN) // RANGE_BYTES)


def _check(code: str, neck: int, mid: str, vid: str | None, body: bytes) -> bytes:
    head = code.encode() + neck.to_bytes(3, "big") + mid.encode() + (vid or "").encode()
    return _blake2b(head + body, digest_size=CHECK_BYTES, person=_ACK_PERSON).digest()


def encode_body(
    code: str,
    neck: int,
    mid: str,
    vid: str | None,
    *,
    done: bool,
    epoch: int,
    upto: int,
    ranges: Sequence[Range],
    limit: int,
    quiet: bool = False,
    hold: float = 0.0,
    tag: bytes = b"",
) -> bytes:
    """An ack body with at most `limit` ranges (the lowest; upto then stops
    where the first range left out starts), or a done ack's `tag`, its check
    appended."""
    if done:
        if len(tag) != TAG_BYTES:
            raise ValueError(f"a done ack carries a {TAG_BYTES}-byte tag, not {len(tag)} bytes")
        ranges = ()
    if len(ranges) > limit:
        upto = ranges[limit][0]
        ranges = ranges[:limit]
    body = b"".join(
        (
            bytes((ACK_VERSION, (DONE if done else 0) | (QUIET if quiet and not done else 0))),
            hold_units(hold).to_bytes(2, "big"),
            (epoch & 0xFFFFFFFF).to_bytes(4, "big"),
            min(upto, NO_UPTO).to_bytes(3, "big"),
            *(start.to_bytes(3, "big") + end.to_bytes(3, "big") for start, end in ranges),
        )
    )
    if done:
        body += tag
    return body + _check(code, neck, mid, vid, body)


def decode(code: str, neck: int, mid: str, vid: str | None, body: bytes) -> Ack:
    """The ack in a received body; AckError when damaged or malformed. Never raises else."""
    extra = len(body) - ACK_MIN  # whole ranges, or a done ack's tag (16 is no multiple of 6)
    if extra < 0 or (extra % RANGE_BYTES and extra != TAG_BYTES):
        raise AckError("ack-body", f"{len(body)} bytes")
    payload, check = body[:-CHECK_BYTES], body[-CHECK_BYTES:]
    if _check(code, neck, mid, vid, payload) != check:
        raise AckError("ack-check")
    if payload[0] != ACK_VERSION:
        raise AckError("ack-version", str(payload[0]))
    flags = payload[1]
    if flags & ~(DONE | QUIET) or flags == DONE | QUIET:
        raise AckError("ack-body", f"flags {flags:#x}")
    hold = int.from_bytes(payload[2:4], "big") * HOLD_UNIT
    epoch = int.from_bytes(payload[4:8], "big")
    upto = int.from_bytes(payload[8:11], "big")
    if flags & DONE:
        if len(payload) != ACK_FIXED + TAG_BYTES:
            raise AckError("ack-body", f"a done ack of {len(body)} bytes")
        return Ack(True, epoch, upto, [], False, hold, payload[ACK_FIXED:])
    if (len(payload) - ACK_FIXED) % RANGE_BYTES:
        raise AckError("ack-body", f"{len(body)} bytes")
    ranges: list[Range] = []
    floor = 0
    for at in range(ACK_FIXED, len(payload), RANGE_BYTES):
        start = int.from_bytes(payload[at : at + 3], "big")
        end = int.from_bytes(payload[at + 3 : at + 6], "big")
        if start < floor or end <= start:
            raise AckError("ack-body", f"range ({start}, {end}) after {floor}")
        ranges.append((start, end))
        floor = end
    return Ack(False, epoch, upto, ranges, bool(flags & QUIET), hold)


def hold_units(hold: float) -> int:
    """The hold field for `hold` seconds: rounded to the unit, saturating."""
    if not hold > 0.0:  # also NaN
        return 0
    return min(HOLD_MAX, round(hold / HOLD_UNIT))


def make_ack(
    mid: str,
    neck: int,
    *,
    done: bool,
    epoch: int,
    upto: int,
    ranges: Sequence[Range],
    curt: bool,
    size: int,
    vid: str | None = None,
    sign: Callable[[bytes], bytes] | None = None,
    quiet: bool = False,
    hold: float = 0.0,
    tag: bytes = b"",
) -> bytes:
    """One Ack gram, or AckAuth when vid and sign (raw 64-byte signer) are
    given; a done ack carries the delivered memo's `tag`."""
    signed = bool(vid and sign)
    code = MemoDex.AckAuth if signed else MemoDex.Ack
    head = [code.encode(), grams.neck_bytes(neck, False), mid.encode()]
    if signed:
        head.append(vid.encode())  # type: ignore[union-attr]
    ser = b"".join(head)
    if curt:
        ser = b64.decode(ser)  # every text header field is whole quadlets
    ser += encode_body(
        code,
        neck,
        mid,
        vid if signed else None,
        done=done,
        epoch=epoch,
        upto=upto,
        ranges=ranges,
        limit=capacity(size, curt, signed),
        quiet=quiet,
        hold=hold,
        tag=tag,
    )
    if signed:
        ser += grams.sig_bytes(sign(ser), curt)  # type: ignore[misc]
    return ser


# ---- damage that turns Sure traffic into plain memos -----------------------
def flipped(mid: str, count: int, data: bytes) -> bool:
    """True when a plain memo's bytes are really a Sure payload or an Ack body
    whose code was damaged into a plain code: such bytes verify under the
    Sure tag or the Ack check for this mid, which ordinary data does with
    probability 2**-128. Only bytes with a version lead are hashed."""
    if not data:
        return False
    if data[0] == SURE_VERSION and unwrap(mid, data) is not None:
        return True
    if data[0] == ACK_VERSION and len(data) >= ACK_MIN:
        # an Ack's neck became the count (a count of 0 is read as 1)
        for neck in {count, 0}:
            try:
                decode(MemoDex.Ack, neck, mid, None, data)
            except AckError:
                continue
            return True
    return False
