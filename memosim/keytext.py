"""hio's private Base64 helpers for vids, keys and signatures, on memosim's Memoer.

hio 0.7.20's Memoer carries classmethods that turn raw Ed25519 material into
the qualified text a keep holds and back: `_encodeVID`/`_decodeVID` (vid:
code B, D or E + 43 chars), `_encodeQVK`/`_decodeQVK` (verifying key: B),
`_encodeQSS`/`_decodeQSS` (signing seed: A) and `_encodeSGN`/`_decodeSGN`
(signature: 0B + 86 chars). They are private by name, but code that builds a
keep by hand calls them (hio's own tests do), so memosim offers them with the
same signatures, results and MemoerError on bad input, computed with
memosim's own Base64 (memosim/core/b64.py). Memoer mixes KeyText in.
"""

from __future__ import annotations

from .core import b64
from .core.engine import MemoerError

__all__ = ["KeyText"]

_VID_CODES = b64.VID_CODES
_KEY_CODES = (b64.VERKEY_CODE,)
_SEED_CODES = (b64.SEED_CODE,)
_SIG_CODES = (b64.SIG_CODE,)


def _encode(raw: bytes, code: str, codes: tuple[str, ...], rawsize: int, what: str) -> str:
    if code not in codes:
        raise MemoerError(f"Invalid {what} code={code!r}, expected one of {codes}")
    if len(raw) != rawsize:
        raise MemoerError(f"Invalid raw {what} size {len(raw)}, expected {rawsize}")
    return b64.qualify(bytes(raw), code)


def _decode(qb64: str | bytes, codes: tuple[str, ...], textsize: int,
            what: str) -> tuple[bytes, str]:
    if len(qb64) != textsize:
        raise MemoerError(f"Invalid {what} text size {len(qb64)}, expected {textsize}")
    try:
        return b64.unqualify(qb64, codes)
    except b64.B64Error as ex:
        raise MemoerError(f"Invalid {what}: {ex}") from ex


class KeyText:
    """hio's `_encode*`/`_decode*` classmethods for qualified Base64 material."""

    @classmethod
    def _encodeVID(cls, raw: bytes, code: str = "B") -> str:
        """Qualified vid (44 chars) of a 32-byte verifying key or digest."""
        return _encode(raw, code, _VID_CODES, 32, "vid")

    @classmethod
    def _decodeVID(cls, qb64: str | bytes) -> tuple[bytes, str]:
        """(raw, code) of a qualified vid."""
        return _decode(qb64, _VID_CODES, 44, "vid")

    @classmethod
    def _encodeQVK(cls, raw: bytes, code: str = "B") -> str:
        """Qualified verifying key (44 chars) of a raw Ed25519 verifying key."""
        return _encode(raw, code, _KEY_CODES, 32, "qvk")

    @classmethod
    def _decodeQVK(cls, qb64: str | bytes) -> tuple[bytes, str]:
        """(raw, code) of a qualified verifying key."""
        return _decode(qb64, _KEY_CODES, 44, "qvk")

    @classmethod
    def _encodeQSS(cls, raw: bytes, code: str = "A") -> str:
        """Qualified signing seed (44 chars) of a raw 32-byte Ed25519 seed."""
        return _encode(raw, code, _SEED_CODES, 32, "qss")

    @classmethod
    def _decodeQSS(cls, qb64: str | bytes) -> tuple[bytes, str]:
        """(raw, code) of a qualified signing seed."""
        return _decode(qb64, _SEED_CODES, 44, "qss")

    @classmethod
    def _encodeSGN(cls, raw: bytes, code: str = "0B") -> str:
        """Qualified signature (88 chars) of a raw 64-byte Ed25519 signature."""
        return _encode(raw, code, _SIG_CODES, 64, "signature")

    @classmethod
    def _decodeSGN(cls, qb64: str | bytes) -> tuple[bytes, str]:
        """(raw, code) of a qualified signature."""
        return _decode(qb64, _SIG_CODES, 88, "signature")
