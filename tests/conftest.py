"""Shared fixtures: deterministic keys and echo-linked Memoers."""

from __future__ import annotations

import hashlib

import pytest

from memosim import Memoer, make_keyage


def seed_of(label: str) -> bytes:
    """A fixed 32-byte Ed25519 seed per label, so signatures repeat across runs."""
    return hashlib.sha256(label.encode()).digest()


@pytest.fixture
def signer():
    """(vid, keep) for a 'B' (self-verifying) signer."""
    vid, keyage = make_keyage(seed_of("alice"))
    return vid, {vid: keyage}


def counter_midder(start: int = 1):
    """Memo ids 1, 2, 3... so tests can name them."""
    state = {"n": start}

    def midder() -> bytes:
        n = state["n"]
        state["n"] += 1
        return n.to_bytes(16, "big")

    return midder


def make_memoer(**kwa) -> Memoer:
    """An opened echoic Memoer with counter memo ids."""
    kwa.setdefault("echoic", True)
    kwa.setdefault("midder", counter_midder())
    memoer = Memoer(**kwa)
    memoer.reopen()
    return memoer


def deliver(receiver: Memoer, grams, src="src") -> list:
    """Absorb grams into receiver, run its rx service, return new inbox entries."""
    for gram in grams:
        receiver.absorb(gram, src)
    receiver.serviceRxGrams()
    receiver.serviceRxMemos()
    out = list(receiver.inbox)
    receiver.inbox.clear()
    return out
