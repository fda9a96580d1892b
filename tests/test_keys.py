"""Detached Ed25519 sign/verify: the direct libsodium path and the public
PyNaCl bindings fallback must agree with PyNaCl's SigningKey/VerifyKey."""

from __future__ import annotations

import pytest
from nacl.signing import SigningKey

from memosim.core import keys

SEED = bytes(range(32))
KEY = SigningKey(SEED)
SECRET = bytes(KEY._signing_key)  # libsodium's 64-byte secret: seed + verifying key
VERKEY = bytes(KEY.verify_key)


@pytest.fixture(params=["direct", "bindings"])
def path(request, monkeypatch):
    """Run each test on both paths; the direct one must exist in the PyNaCl we ship with."""
    if request.param == "direct":
        assert keys._direct, "PyNaCl's cffi module lost crypto_sign/crypto_sign_open"
    else:
        monkeypatch.setattr(keys, "sign_detached", keys._sign_bindings)
        monkeypatch.setattr(keys, "verify_detached", keys._verify_bindings)
    return request.param


@pytest.mark.parametrize("ser", [b"", b"x", bytes(range(256)) * 5])
def test_signature_is_pynacl_signature(path, ser):
    sig = keys.sign_detached(ser, SECRET)
    assert sig == KEY.sign(ser).signature
    assert keys.verify_detached(sig, ser, VERKEY)


def test_the_direct_path_is_the_one_in_use():
    assert keys.sign_detached is keys._sign_direct
    assert keys.verify_detached is keys._verify_direct


def test_accepts_bytearray_and_memoryview(path):
    ser = b"hello there"
    sig = KEY.sign(ser).signature
    assert keys.sign_detached(bytearray(ser), SECRET) == sig
    assert keys.sign_detached(memoryview(ser), SECRET) == sig
    assert keys.verify_detached(bytearray(sig), bytearray(ser), VERKEY)


def test_every_flipped_bit_fails(path):
    ser = b"signed gram"
    sig = keys.sign_detached(ser, SECRET)
    for i in range(len(ser) * 8):
        bad = bytearray(ser)
        bad[i // 8] ^= 1 << (i % 8)
        assert not keys.verify_detached(sig, bytes(bad), VERKEY)
    for i in range(0, len(sig) * 8, 7):
        bad = bytearray(sig)
        bad[i // 8] ^= 1 << (i % 8)
        assert not keys.verify_detached(bytes(bad), ser, VERKEY)
    other = bytes(SigningKey(bytes(32)).verify_key)
    assert not keys.verify_detached(sig, ser, other)


class _NoLibsodium:
    """Stands in for libsodium (direct path) or PyNaCl's bindings (fallback):
    any call means a bad length got past the checks."""

    def __getattr__(self, name):
        def called(*args):
            raise AssertionError(f"{name} reached with a bad length")

        return called


def test_wrong_lengths_are_refused_before_libsodium(path, monkeypatch):
    ser = b"gram"
    sig = keys.sign_detached(ser, SECRET)
    monkeypatch.setattr(keys, "_lib", _NoLibsodium())
    monkeypatch.setattr(keys, "_sodium", _NoLibsodium())
    assert not keys.verify_detached(sig[:63], ser, VERKEY)
    assert not keys.verify_detached(sig + b"\x00", ser, VERKEY)
    assert not keys.verify_detached(sig, ser, VERKEY[:31])
    assert not keys.verify_detached(sig, ser, VERKEY + b"\x00")
    with pytest.raises(keys.KeyMaterialError):
        keys.sign_detached(ser, SECRET[:63])
    with pytest.raises(keys.KeyMaterialError):
        keys.sign_detached(ser, SECRET + b"\x00")


@pytest.mark.parametrize("ser", [5, "text", None, [1, 2]])
def test_only_bytes_are_signed(path, ser):
    with pytest.raises(TypeError):
        keys.sign_detached(ser, SECRET)
