"""Ed25519 keys for signed grams: Keyage entries, keep look-ups, sign, verify.

A keep maps a vid to Keyage(qvk, qss), the qualified verifying key and the
qualified signing seed, as hio 0.7.20's code has it. A 'B' vid is a
non-transferable key and verifies itself; 'D' and 'E' vids must be in the
receiver's keep. Derived keys are cached: building a libsodium key pair from
a seed costs as much as a signature, and signing happens once per gram.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from nacl import bindings as _sodium
from nacl.exceptions import BadSignatureError

from . import b64

SIG_BYTES = 64
_CACHE_LIMIT = 1024  # distinct vids remembered; a flood of new vids cannot grow it


class Keyage(NamedTuple):
    """A keep entry: qualified verifying key and qualified signing seed."""

    qvk: str
    qss: str


class KeyMaterialError(ValueError):
    """A vid, key or seed that cannot be used."""


def make_keyage(seed: bytes, code: str = "B") -> tuple[str, Keyage]:
    """Return (vid, Keyage) for a 32-byte Ed25519 seed; vid code B, D or E.

    For an 'E' vid (a digest id) the caller's own id would be a Blake3 digest;
    here any 32 bytes serve as the id, so we use the verifying key's bytes.
    """
    if len(seed) != 32:
        raise KeyMaterialError(f"Ed25519 seed must be 32 bytes, got {len(seed)}")
    if code not in b64.VID_CODES:
        raise KeyMaterialError(f"vid code must be one of {b64.VID_CODES}, got {code!r}")
    verkey, _ = _sodium.crypto_sign_seed_keypair(seed)
    qvk = b64.qualify(verkey, b64.VERKEY_CODE)
    qss = b64.qualify(seed, b64.SEED_CODE)
    return b64.qualify(verkey, code), Keyage(qvk, qss)


def encode_sig(raw: bytes) -> str:
    """Qualified text of a 64-byte signature: '0B' + 86 chars."""
    return b64.qualify(raw, b64.SIG_CODE)


# Every gram is signed once and verified once, so the few microseconds PyNaCl's
# bindings spend around libsodium (two zeroed buffers and a copy of the whole
# signed message per call) are a visible share of the signed path. We call the
# same libsodium functions through PyNaCl's own cffi module instead, with an
# uncleared buffer for signing and no output buffer for verifying (libsodium
# accepts NULL there). The module is private to PyNaCl, so when it is missing
# or lacks these functions we fall back to the public bindings.
try:
    from nacl._sodium import ffi as _ffi
    from nacl._sodium import lib as _lib

    _direct = callable(getattr(_lib, "crypto_sign", None)) and callable(
        getattr(_lib, "crypto_sign_open", None)
    )
    _new_buf = _ffi.new_allocator(should_clear_after_alloc=False)
except ImportError:  # pragma: no cover - depends on the installed PyNaCl
    _direct = False


def _message(ser: bytes | bytearray | memoryview) -> bytes:
    """ser as bytes; anything else (an int would make zero bytes) is refused."""
    if not isinstance(ser, (bytes, bytearray, memoryview)):
        raise TypeError(f"can only sign bytes, not {type(ser).__name__}")
    return bytes(ser)


def _sign_direct(ser: bytes, secret: bytes) -> bytes:
    """Raw 64-byte Ed25519 signature of ser with a 64-byte libsodium secret key."""
    if len(secret) != 64:  # libsodium reads 64 bytes whatever it is given
        raise KeyMaterialError("Ed25519 secret key must be 64 bytes")
    if type(ser) is not bytes:
        ser = _message(ser)
    out = _new_buf("unsigned char[]", len(ser) + SIG_BYTES)  # libsodium writes sig + ser
    if _lib.crypto_sign(out, _ffi.NULL, ser, len(ser), secret) != 0:
        raise RuntimeError("libsodium crypto_sign failed")
    sig: bytes = _ffi.buffer(out, SIG_BYTES)[:]
    return sig


def _verify_direct(sig: bytes, ser: bytes, verkey: bytes) -> bool:
    """True when sig (64 raw bytes) is the signature of ser by verkey (32 raw bytes)."""
    if len(sig) != SIG_BYTES or len(verkey) != 32:
        return False
    signed = bytes(sig) + ser
    return bool(_lib.crypto_sign_open(_ffi.NULL, _ffi.NULL, signed, len(signed), verkey) == 0)


def _sign_bindings(ser: bytes, secret: bytes) -> bytes:
    """_sign_direct through PyNaCl's public bindings."""
    if len(secret) != 64:
        raise KeyMaterialError("Ed25519 secret key must be 64 bytes")
    return _sodium.crypto_sign(_message(ser), secret)[:SIG_BYTES]


def _verify_bindings(sig: bytes, ser: bytes, verkey: bytes) -> bool:
    """_verify_direct through PyNaCl's public bindings."""
    if len(sig) != SIG_BYTES or len(verkey) != 32:
        return False
    try:
        _sodium.crypto_sign_open(bytes(sig) + ser, verkey)
    except (BadSignatureError, ValueError):
        return False
    return True


sign_detached = _sign_direct if _direct else _sign_bindings
verify_detached = _verify_direct if _direct else _verify_bindings


class Signer:
    """Signs for the vids of a keep, caching each vid's secret key."""

    def __init__(self) -> None:
        self._secrets: dict[str, bytes] = {}

    def secret(self, keep: Mapping[str, Keyage], vid: str) -> bytes:
        keyage = keep.get(vid)
        if keyage is None:
            raise KeyMaterialError(f"no keep entry to sign for vid {vid!r}")
        cached = self._secrets.get(keyage.qss)
        if cached is None:
            try:
                seed, _ = b64.unqualify(keyage.qss, (b64.SEED_CODE,))
            except b64.B64Error as ex:
                raise KeyMaterialError(f"bad signing seed for vid {vid!r}: {ex}") from ex
            if len(seed) != 32:
                raise KeyMaterialError(f"bad signing seed size for vid {vid!r}")
            _, cached = _sodium.crypto_sign_seed_keypair(seed)
            if len(self._secrets) >= _CACHE_LIMIT:
                self._secrets.clear()
            self._secrets[keyage.qss] = cached
        return cached

    def sign(self, keep: Mapping[str, Keyage], vid: str, ser: bytes) -> bytes:
        """Raw 64-byte detached signature of ser by vid's key."""
        return sign_detached(ser, self.secret(keep, vid))


class Verifier:
    """Verifies detached signatures, resolving vids to verifying keys."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, str | None], bytes] = {}

    def verkey(self, keep: Mapping[str, Keyage], vid: str) -> bytes:
        """Raw verifying key for vid, or KeyMaterialError when it cannot be resolved."""
        code = vid[:1]
        qvk = None
        if code != "B":
            keyage = keep.get(vid)
            if keyage is None:
                raise KeyMaterialError(f"vid {vid[:12]}... is not in keep")
            qvk = keyage.qvk
        cache_key = (vid, qvk)
        raw = self._keys.get(cache_key)
        if raw is None:
            try:
                raw, _ = b64.unqualify(qvk if qvk is not None else vid, b64.VID_CODES)
            except b64.B64Error as ex:
                raise KeyMaterialError(f"undecodable verifying key for vid: {ex}") from ex
            if len(raw) != 32:
                raise KeyMaterialError("verifying key is not 32 bytes")
            if len(self._keys) >= _CACHE_LIMIT:
                self._keys.clear()
            self._keys[cache_key] = raw
        return raw

    def check(self, keep: Mapping[str, Keyage], vid: str, sig: bytes, ser: bytes) -> str | None:
        """None when sig is vid's signature of ser, else a drop reason tag."""
        # a B vid is its own key, whatever keep says: (vid, None) caches it
        verkey = self._keys.get((vid, None)) if vid[:1] == "B" else None
        if verkey is None:
            try:
                verkey = self.verkey(keep, vid)
            except KeyMaterialError:
                return "unknown-vid"
        return None if verify_detached(sig, ser, verkey) else "signature"

    def verify(self, keep: Mapping[str, Keyage], vid: str, sig: bytes, ser: bytes) -> bool:
        """True when sig (raw 64 bytes) is vid's signature of ser."""
        try:
            verkey = self.verkey(keep, vid)
        except KeyMaterialError:
            return False
        return verify_detached(sig, ser, verkey)
