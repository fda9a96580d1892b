"""The memogram codec: split a memo into grams, parse one gram. No I/O, no state.

Layout (spec: ../shared/spec/memogram-wire.md):

    code(4) | neck(4) | mid(24) | [vid(44)] | body | [sig(88)]   text header
    code(3) | neck(3) | mid(18) | [vid(33)] | body | [sig(66)]   binary (curt)

Because every text field is whole Base64 quadlets, a binary header is the
Base64 decoding of the text header: parsing decodes nothing field by field.
Parsing is total: any input either yields a `Gram` or raises `GramError`
with a short reason tag, which the Memoer counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from . import b64
from .codes import (
    ACK_CODES,
    AUTH_CODES,
    ZERO_CODES,
    MaxGramCount,
    MaxMemoSize,
    Pairs,
    Sizes,
    overhead,
)

TEXT_LEAD = 0o30  # top six bits of 'b'
BINARY_LEAD = 0o33  # top six bits of the decoded 'bAA?' (0x6c)

_ZERO = ZERO_CODES
_AUTH = AUTH_CODES
_ACK = ACK_CODES
_DIGIT = [0] * 256  # Base64 digit values; validity is checked separately
for _i, _c in enumerate(b64.ALPHABET):
    _DIGIT[_c] = _i
_TEXT_CODES = {code.encode(): code for code in Sizes}
_BINARY_CODES = {b64.decode(code.encode()): code for code in Sizes}
_MID_LEAD_BINARY = b"\xd0\x00"  # '0A' followed by a zero pad nibble
_SIG_LEAD_BINARY = b"\xd0\x10"  # '0B' followed by a zero pad nibble
_VID_LEAD_BINARY = {b"\x04": "B", b"\x0c": "D", b"\x10": "E"}


class GramError(ValueError):
    """A datagram that is not a well-formed gram. `reason` is a counter tag."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(slots=True)
class Gram:
    """One parsed gram.

    code: the gram code text ('bAAA'...).
    curt: True when the header was binary.
    mid: memo id text ('0A' + 22 chars).
    num: gram number; 0 for a zeroth gram.
    count: gram count for a zeroth gram (None otherwise); for acks, the neck.
    vid: verifier id carried in the header, else None.
    body: payload bytes.
    sig: raw 64-byte signature for signed codes, else None.
    signed: the bytes the signature covers (code through body), else None.
    """

    code: str
    curt: bool
    mid: str
    num: int
    count: int | None
    vid: str | None
    body: bytes
    sig: bytes | None
    signed: bytes | None

    @property
    def zeroth(self) -> bool:
        return self.code in _ZERO

    @property
    def authed(self) -> bool:
        return self.code in _AUTH


def wiff(gram: bytes) -> bool:
    """True for a binary header, False for text; GramError when neither."""
    if not gram:
        raise GramError("empty")
    lead = gram[0] >> 2
    if lead == TEXT_LEAD:
        return False
    if lead == BINARY_LEAD:
        return True
    raise GramError("encoding", f"lead sextet {lead:o}")


def parse(data: bytes) -> Gram:
    """Parse one datagram into a Gram. Raises GramError, never anything else."""
    data = bytes(data)
    curt = wiff(data)
    if curt:
        code = _BINARY_CODES.get(data[:3])
    else:
        code = _TEXT_CODES.get(data[:4])
    if code is None:
        raise GramError("code", repr(data[:4]))
    bz, nz, mz, vz, az = Sizes[code]
    hz = bz + nz + mz + vz  # header size, text
    if curt:
        hz = hz * 3 // 4
        az = az * 3 // 4
        if len(data) < hz + az:
            raise GramError("short", f"{len(data)} bytes")
        head = data[:hz]
        neck = int.from_bytes(head[3:6], "big")
        if head[6:8] != _MID_LEAD_BINARY:
            raise GramError("mid")
        mid = b64.encode(head[6:24]).decode()
        vid = None
        if vz:
            if head[24:25] not in _VID_LEAD_BINARY:
                raise GramError("vid")
            vid = b64.encode(head[24:57]).decode()
        sig = None
        if az:
            qb2 = data[-az:]
            if qb2[:2] != _SIG_LEAD_BINARY:
                raise GramError("sig")
            sig = qb2[2:]
    else:
        az_ = az
        if len(data) < hz + az_:
            raise GramError("short", f"{len(data)} bytes")
        head = data[:hz]
        if not b64.is_b64(head):
            raise GramError("header", "non Base64 characters")
        d = _DIGIT
        neck = (d[head[4]] << 18) | (d[head[5]] << 12) | (d[head[6]] << 6) | d[head[7]]
        if head[8:10] != b"0A":
            raise GramError("mid")
        mid = head[8:32].decode()
        vid = None
        if vz:
            vid = head[32:76].decode()
            if vid[0] not in b64.VID_CODES:
                raise GramError("vid")
        sig = None
        if az_:
            qb64 = data[-az_:]
            if qb64[:2] != b"0B" or not b64.is_b64(qb64):
                raise GramError("sig")
            qb2 = b64.decode(qb64)
            if qb2[:2] != _SIG_LEAD_BINARY:
                raise GramError("sig")
            sig = qb2[2:]
    end = len(data) - az
    body = data[hz:end]
    signed = data[:end] if az else None
    if code in _ZERO:
        return Gram(code, curt, mid, 0, neck, vid, body, sig, signed)
    if code in _ACK:
        return Gram(code, curt, mid, 0, neck, vid, body, sig, signed)
    return Gram(code, curt, mid, neck, None, vid, body, sig, signed)


@dataclass(frozen=True, slots=True)
class Sizing:
    """How a memo of a given code, encoding and gram size splits into grams."""

    zeroth_body: int
    later_body: int
    max_memo: int

    def count(self, length: int) -> int:
        """Gram count of a memo of `length` bytes (an empty memo is one gram)."""
        if length <= self.zeroth_body:
            return 1
        return math.ceil((length + self.later_body - self.zeroth_body) / self.later_body)


def sizing(code: str, curt: bool, size: int) -> Sizing:
    """Body capacities for grams of `size` bytes; uses the true binary overhead."""
    zoz = overhead(code, curt)
    noz = overhead(Pairs[code], curt)
    zbz = size - zoz
    nbz = size - noz
    if zbz < 1:
        raise ValueError(f"gram size {size} leaves no body room for code {code}")
    return Sizing(zbz, nbz, min(MaxMemoSize, nbz * (MaxGramCount - 1) + zbz))


def neck_bytes(value: int, curt: bool) -> bytes:
    """The 24-bit neck, as 3 bytes (binary) or 4 Base64 digits (text)."""
    raw = value.to_bytes(3, "big")
    return raw if curt else b64.encode(raw)


def split(
    memo: bytes,
    *,
    code: str,
    curt: bool,
    size: int,
    mid: str,
    vid: str | None = None,
    sign: Callable[[bytes], bytes] | None = None,
) -> list[bytes]:
    """Split memo bytes into grams. `sign(ser)` returns a raw 64-byte signature.

    Callers validate length and vid first (see `Sizing.max_memo`); this is
    the hot path, so it checks only what would otherwise corrupt output.
    """
    lay = sizing(code, curt, size)
    ncode = Pairs[code]
    zcode_b = code.encode()
    ncode_b = ncode.encode()
    mid_b = mid.encode()
    vid_b = vid.encode() if (vid and Sizes[code].vz) else b""
    if curt:
        zcode_b = b64.decode(zcode_b)
        ncode_b = b64.decode(ncode_b)
        mid_b = b64.decode(mid_b)
        vid_b = b64.decode(vid_b) if vid_b else b""
    signed = bool(Sizes[code].az)
    if signed and sign is None:
        raise ValueError(f"code {code} needs a signer")
    count = lay.count(len(memo))
    view = memoryview(memo)
    zbz = lay.zeroth_body
    nbz = lay.later_body
    grams = []
    head = zcode_b + neck_bytes(count, curt) + mid_b + vid_b
    gram = head + view[:zbz]
    if signed:
        gram += _sig_bytes(sign(gram), curt)  # type: ignore[misc]
    grams.append(gram)
    start = zbz
    num = 1
    mlen = len(memo)
    while start < mlen:
        gram = b"".join((ncode_b, neck_bytes(num, curt), mid_b, view[start : start + nbz]))
        if signed:
            gram += _sig_bytes(sign(gram), curt)  # type: ignore[misc]
        grams.append(gram)
        start += nbz
        num += 1
    return grams


def _sig_bytes(raw: bytes, curt: bool) -> bytes:
    qb2 = _SIG_LEAD_BINARY + raw
    return qb2 if curt else b64.encode(qb2)
