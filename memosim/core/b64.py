"""Base64 primitives for gram headers and CESR-style qualified identifiers.

Every text header field is a whole number of quadlets (4 chars = 3 bytes), so
the binary (curt) form of a header is simply its Base64 decoding. That lets
the codec convert a whole header with one C call instead of field by field.

Qualified identifiers put a short code in front of a raw value: the raw value
is left-padded with zero bytes to a multiple of 3, encoded, and the first
characters (which only encode the zero pad) are replaced by the code. In the
binary form the code and pad share the leading byte(s), which therefore take
fixed values that a decoder can check in one comparison.
"""

from __future__ import annotations

import base64
import binascii

ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

# Code and pad lengths for the identifiers memograms carry.
MID_CODE = "0A"  # 128-bit salt-like memo id
SIG_CODE = "0B"  # Ed25519 signature
SEED_CODE = "A"  # Ed25519 private seed
VERKEY_CODE = "B"  # Ed25519 non-transferable verifying key
VID_CODES = ("B", "D", "E")  # verifier ids: B key itself, D key in keep, E digest in keep

_b2a = binascii.b2a_base64  # one C call; base64.urlsafe_b64encode wraps it twice
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_urlsafe_decode = base64.urlsafe_b64decode
_a2b = binascii.a2b_base64
FROM_URLSAFE = bytes.maketrans(b"-_+/=", b"+/!!!")  # '!' is never Base64


class B64Error(ValueError):
    """Raised for text that is not valid URL-safe Base64 of the expected shape."""


def is_b64(text: bytes) -> bool:
    """True when every byte of text is in the URL-safe Base64 alphabet."""
    return not text.translate(None, ALPHABET)


def encode(raw: bytes) -> bytes:
    """URL-safe Base64 of raw (len(raw) must be a multiple of 3: no padding)."""
    return _b2a(raw, newline=False).translate(_TO_URLSAFE)


def decode(text: bytes) -> bytes:
    """Strict inverse of encode: rejects characters outside the alphabet.

    The standard library's default decoder silently skips unknown characters,
    which would let a mutated header decode to something shorter; we refuse
    instead: one translation maps the URL-safe digits to the standard ones
    and '+', '/' and '=' to a character binascii's strict mode refuses, as
    it refuses everything else outside the alphabet.
    """
    if len(text) % 4:
        raise B64Error(f"not URL-safe Base64 quadlets: {text[:16]!r}")
    try:
        return _a2b(text.translate(FROM_URLSAFE), strict_mode=True)
    except binascii.Error as ex:
        raise B64Error(f"not URL-safe Base64 quadlets: {text[:16]!r}") from ex


def int_to_b64(value: int, length: int = 4) -> bytes:
    """Encode a non-negative int as exactly `length` Base64 digits, 'A' = 0."""
    if value < 0 or value >= 64**length:
        raise B64Error(f"{value} does not fit in {length} Base64 digits")
    if length % 4 == 0:
        return encode(value.to_bytes(length * 3 // 4, "big"))
    digits = bytearray()
    for _ in range(length):
        digits.append(ALPHABET[value & 63])
        value >>= 6
    return bytes(reversed(digits))


def b64_to_int(text: bytes | str) -> int:
    """Decode Base64 digits (most significant first) to an int."""
    if isinstance(text, str):
        text = text.encode()
    if not text or not is_b64(text):
        raise B64Error(f"not Base64 digits: {text!r}")
    if len(text) % 4 == 0:
        return int.from_bytes(_urlsafe_decode(text), "big")
    value = 0
    for ch in text:
        value = (value << 6) | ALPHABET.index(ch)
    return value


def qualify(raw: bytes, code: str) -> str:
    """Qualified Base64 of raw with a code that exactly replaces its pad chars."""
    pad = (3 - len(raw) % 3) % 3
    if len(code) != pad:
        raise B64Error(f"code {code!r} needs a raw size with {len(code)} pad bytes")
    return code + encode(bytes(pad) + raw)[pad:].decode()


def unqualify(qb64: str | bytes, codes: tuple[str, ...]) -> tuple[bytes, str]:
    """Inverse of qualify for one of `codes` (all the same length); checks pad bits."""
    if isinstance(qb64, bytes):
        try:
            qb64 = qb64.decode("ascii")
        except UnicodeDecodeError as ex:
            raise B64Error("qualified text is not ASCII") from ex
    hz = len(codes[0])
    code = qb64[:hz]
    if code not in codes:
        raise B64Error(f"unexpected code {code!r}, expected one of {codes}")
    body = ("A" * hz + qb64[hz:]).encode()
    paw = decode(body)
    if any(paw[:hz]):
        raise B64Error("non-zero pad bits in qualified text")
    return paw[hz:], code


def mid_from_raw(raw: bytes) -> str:
    """Memo id text for 16 raw bytes: '0A' + 22 Base64 chars."""
    if len(raw) != 16:
        raise B64Error(f"memo id needs 16 raw bytes, got {len(raw)}")
    return qualify(raw, MID_CODE)
