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

import binascii
import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

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
# Base64 chars whose sextet has a zero top nibble (the pad bits after a 2-char code)
_ZERO_TOP_NIBBLE = frozenset(b"ABCD")
_DIGIT = [0] * 256  # Base64 digit values; validity is checked separately
for _i, _c in enumerate(b64.ALPHABET):
    _DIGIT[_c] = _i
_TEXT_CODES = {code.encode(): code for code in Sizes}
_BINARY_CODES = {b64.decode(code.encode()): code for code in Sizes}
MID_LEAD_BINARY = b"\xd0\x00"  # '0A' followed by a zero pad nibble
_SIG_LEAD_BINARY = b"\xd0\x10"  # '0B' followed by a zero pad nibble
_VID_LEAD_BINARY = {b"\x04": "B", b"\x0c": "D", b"\x10": "E"}


class GramError(ValueError):
    """A datagram that is not a well-formed gram. `reason` is a counter tag."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class Gram(NamedTuple):
    """One parsed gram (a named tuple: parse builds one per datagram, cheaply).

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
    count: int | None  # type: ignore[assignment]  # shadows tuple.count, as intended
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


_new_gram = tuple.__new__  # builds a Gram in C, skipping NamedTuple's Python __new__

# Vids seen in headers, already checked: a peer hears from few signers, often.
_TEXT_VIDS: dict[bytes, str] = {}
_BINARY_VIDS: dict[bytes, str] = {}
_VID_CACHE_LIMIT = 1024


def _remember(cache: dict[bytes, str], raw: bytes, vid: str) -> str:
    if len(cache) >= _VID_CACHE_LIMIT:  # a flood of made-up vids: start over
        cache.clear()
    cache[raw] = vid
    return vid


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


def _layouts(curt: bool) -> dict[bytes, tuple[str, int, int, bool, int]]:
    """code prefix -> (code, header size, signature size, has vid, kind)."""
    out = {}
    for code, (bz, nz, mz, vz, az) in Sizes.items():
        hz = bz + nz + mz + vz
        kind = 0 if code in _ZERO else 2 if code in _ACK else 1
        if curt:
            out[b64.decode(code.encode())] = (code, hz * 3 // 4, az * 3 // 4, bool(vz), kind)
        else:
            out[code.encode()] = (code, hz, az, bool(vz), kind)
    return out


_TEXT_LAYOUT = _layouts(False)
_BINARY_LAYOUT = _layouts(True)
_NECK_MID = re.compile(rb"[A-Za-z0-9_-]{4}0A[A-Za-z0-9_-]{22}")  # text bytes 4..32


# The last mid parsed, per header form: grams of one memo come in runs, so
# most grams reuse a mid already checked and decoded.
_last_text_mid: tuple[bytes, str] = (b"", "")
_last_binary_mid: tuple[bytes, str] = (b"", "")


def mid_of(gram: bytes) -> str:
    """The memo id in a gram's header, read without parsing the rest: what a
    sender needs of the grams it rended itself. GramError when the lead or
    the mid is not one."""
    lead = gram[0] >> 2 if gram else -1
    if lead == TEXT_LEAD and _NECK_MID.match(gram, 4) is not None:
        return gram[8:32].decode()
    if lead == BINARY_LEAD and gram[6:8] == MID_LEAD_BINARY and len(gram) >= 24:
        return b64.encode(gram[6:24]).decode()
    raise GramError("mid", "no memo id in the header")


def parse(data: bytes | bytearray) -> Gram:
    """Parse one datagram into a Gram. Raises GramError, never anything else."""
    global _last_text_mid, _last_binary_mid
    if type(data) is not bytes:
        data = bytes(data)
    if not data:
        raise GramError("empty")
    lead = data[0] >> 2
    n = len(data)
    if lead == TEXT_LEAD:
        lay = _TEXT_LAYOUT.get(data[:4])
        if lay is None:
            raise GramError("code", repr(data[:4]))
        code, hz, az, has_vid, kind = lay
        if n < hz + az:
            raise GramError("short", f"{n} bytes")
        neck = _TEXT_NECK_VALUES.get(data[4:8])  # found: a valid neck below 4096
        raw_mid = data[8:32]
        last_raw, mid = _last_text_mid
        if neck is None or raw_mid != last_raw:  # else: the checked mid of the last gram
            if _NECK_MID.match(data, 4) is None:
                bad_mid = b64.is_b64(data[4:8]) and data[8:10] != b"0A"
                raise GramError("mid" if bad_mid else "header", "not a Base64 neck and mid")
            if neck is None:  # a count or number of 4096 or more
                d = _DIGIT
                neck = (d[data[4]] << 18) | (d[data[5]] << 12) | (d[data[6]] << 6) | d[data[7]]
            mid = raw_mid.decode()
            _last_text_mid = (raw_mid, mid)
        vid = None
        if has_vid:
            raw_vid = data[32:76]
            vid = _TEXT_VIDS.get(raw_vid)
            if vid is None:
                if raw_vid[:1] not in b"BDE" or not b64.is_b64(raw_vid):
                    raise GramError("vid")
                vid = _remember(_TEXT_VIDS, raw_vid, raw_vid.decode())
        sig = None
        if az:
            qb64 = data[n - az :]
            if qb64[:2] != b"0B":
                raise GramError("sig")
            try:  # b64.decode, inline: one translation, one strict C decode
                sig = _a2b(qb64.translate(b64.FROM_URLSAFE), strict_mode=True)[2:]
            except binascii.Error:
                raise GramError("sig") from None
            if qb64[2] not in _ZERO_TOP_NIBBLE:  # pad bits of '0B' + raw must be zero
                raise GramError("sig")
    elif lead == BINARY_LEAD:
        lay = _BINARY_LAYOUT.get(data[:3])
        if lay is None:
            raise GramError("code", repr(data[:4]))
        code, hz, az, has_vid, kind = lay
        if n < hz + az:
            raise GramError("short", f"{n} bytes")
        neck = int.from_bytes(data[3:6], "big")
        raw_mid = data[6:24]
        last_raw, mid = _last_binary_mid
        if raw_mid != last_raw:
            if raw_mid[:2] != MID_LEAD_BINARY:
                raise GramError("mid")
            mid = b64.encode(raw_mid).decode()
            _last_binary_mid = (raw_mid, mid)
        vid = None
        if has_vid:
            raw_vid = data[24:57]
            vid = _BINARY_VIDS.get(raw_vid)
            if vid is None:
                if raw_vid[:1] not in _VID_LEAD_BINARY:
                    raise GramError("vid")
                vid = _remember(_BINARY_VIDS, raw_vid, b64.encode(raw_vid).decode())
        sig = None
        if az:
            qb2 = data[n - az :]
            if qb2[:2] != _SIG_LEAD_BINARY:
                raise GramError("sig")
            sig = qb2[2:]
    else:
        raise GramError("encoding", f"lead sextet {lead:o}")
    end = n - az
    body = data[hz:end]
    signed = data[:end] if az else None
    if kind == 1:
        return _new_gram(Gram, (code, lead == BINARY_LEAD, mid, neck, None, vid, body, sig, signed))
    return _new_gram(Gram, (code, lead == BINARY_LEAD, mid, 0, neck, vid, body, sig, signed))


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
    zeroth_body = size - overhead(code, curt)
    later_body = size - overhead(Pairs[code], curt)
    if zeroth_body < 1:
        raise ValueError(f"gram size {size} leaves no body room for code {code}")
    return Sizing(
        zeroth_body, later_body, min(MaxMemoSize, later_body * (MaxGramCount - 1) + zeroth_body)
    )


_TEXT_NECKS = [b64.encode(i.to_bytes(3, "big")) for i in range(4096)]  # common counts
_NECK_ONE = {False: _TEXT_NECKS[1], True: (1).to_bytes(3, "big")}  # most memos: one gram
_TEXT_NECK_VALUES = {neck: i for i, neck in enumerate(_TEXT_NECKS)}
_a2b = binascii.a2b_base64
_STD_DIGITS = bytes.maketrans(b"-_", b"+/")  # for mids this process made: no policing


def neck_bytes(value: int, curt: bool) -> bytes:
    """The 24-bit neck, as 3 bytes (binary) or 4 Base64 digits (text)."""
    if curt:
        return value.to_bytes(3, "big")
    if value < 4096:
        return _TEXT_NECKS[value]
    return b64.encode(value.to_bytes(3, "big"))


@functools.lru_cache(maxsize=64)
def _codes_for(code: str, curt: bool) -> tuple[bytes, bytes, bool, bool]:
    """(zeroth code bytes, later code bytes, carries vid, signed) as sent."""
    zcode_b, ncode_b = code.encode(), Pairs[code].encode()
    if curt:
        zcode_b, ncode_b = b64.decode(zcode_b), b64.decode(ncode_b)
    return zcode_b, ncode_b, bool(Sizes[code].vz), bool(Sizes[code].az)


@functools.lru_cache(maxsize=256)
def _binary_vid(vid: bytes) -> bytes:
    """Binary form of a signer's vid (a peer signs with few vids, often)."""
    return b64.decode(vid)


def split(
    memo: bytes,
    *,
    code: str,
    curt: bool,
    size: int,
    mid: str,
    vid: str | None = None,
    sign: Callable[[bytes], bytes] | None = None,
    lay: Sizing | None = None,
) -> list[bytes]:
    """Split memo bytes into grams. `sign(ser)` returns a raw 64-byte signature.

    Callers validate length and vid first (see `Sizing.max_memo`) and may pass
    the precomputed `lay`; this is the hot path, so it checks only what would
    otherwise corrupt output.
    """
    if lay is None:
        lay = sizing(code, curt, size)
    zcode_b, ncode_b, has_vid, signed = _codes_for(code, curt)
    mid_b = mid.encode()
    vid_b = vid.encode() if (vid and has_vid) else b""
    if curt:
        # the caller made the mid: no need to police it as parse would
        mid_b = _a2b(mid_b.translate(_STD_DIGITS))
        vid_b = _binary_vid(vid_b) if vid_b else b""
    if signed and sign is None:
        raise ValueError(f"code {code} needs a signer")
    mlen = len(memo)
    zeroth_body = lay.zeroth_body
    later_body = lay.later_body
    count = 1 if mlen <= zeroth_body else lay.count(mlen)
    head = zcode_b + (_NECK_ONE[curt] if count == 1 else neck_bytes(count, curt)) + mid_b + vid_b
    if mlen <= zeroth_body and not signed:
        return [head + memo]
    view = memoryview(memo)
    gram = head + view[:zeroth_body]
    if signed:
        gram += sig_bytes(sign(gram), curt)  # type: ignore[misc]
    grams = [gram]
    start = zeroth_body
    num = 1
    while start < mlen:
        neck = _TEXT_NECKS[num] if num < 4096 and not curt else neck_bytes(num, curt)
        gram = b"".join((ncode_b, neck, mid_b, view[start : start + later_body]))
        if signed:
            gram += sig_bytes(sign(gram), curt)  # type: ignore[misc]
        grams.append(gram)
        start += later_body
        num += 1
    return grams


def one_gram_head(code: str, curt: bool) -> bytes:
    """Code and neck of the zeroth gram of a one-gram memo; the mid follows."""
    return _codes_for(code, curt)[0] + _NECK_ONE[curt]


def sig_bytes(raw: bytes, curt: bool) -> bytes:
    """A raw signature qualified as sent: binary '0B' + raw, or its Base64."""
    qb2 = _SIG_LEAD_BINARY + raw
    return qb2 if curt else b64.encode(qb2)


def vid_bytes(vid: str, curt: bool) -> bytes:
    """A signer's vid as it sits in a header: its text, or that text decoded."""
    return _binary_vid(vid.encode()) if curt else vid.encode()
