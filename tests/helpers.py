"""Test helpers shared by the test modules: import them from here (conftest.py
keeps fixtures only).

Memoers fed by hand: `make_memoer` opens an echoic Memoer with counter memo
ids (`counter_midder`), `deliver` absorbs grams into one and returns what it
delivered, `seed_of` gives a fixed Ed25519 seed per label.

Ack grams and bodies built from the spec, not the encoder: `ack_of`,
`ack_checked`, `ack_fixed`, `ack_spans`.

A seeded lossy datagram link between Memoers that use the echo mock:
`LinkedMemoer.send` hands each gram to its `EchoLink`, which drops it with the
link's loss rate for that direction (one `random.Random` per direction, seeded
from the link seed and the direction, so the two directions are independent)
or appends it to the destination's `.echos`, which the echo mock `receive`
pops. `drop(gram, src, dst)` adds targeted loss for tests. The link counts
offered datagrams and bytes per (src, dst, kind) with kind "ack" or "data".
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from memosim import Memoer, Tymist
from memosim.core import grams
from memosim.core.codes import AckDex
from memosim.core.surewire import NO_UPTO, Ack, decode

_ACK_CODES = frozenset(AckDex)


def seed_of(label: str) -> bytes:
    """A fixed 32-byte Ed25519 seed per label, so signatures repeat across runs."""
    return hashlib.sha256(label.encode()).digest()


def counter_midder(start: int = 1) -> Callable[[], bytes]:
    """Memo ids 1, 2, 3... so tests can name them."""
    state = {"n": start}

    def midder() -> bytes:
        n = state["n"]
        state["n"] += 1
        return n.to_bytes(16, "big")

    return midder


def make_memoer(**kwa: Any) -> Memoer:
    """An opened echoic Memoer with counter memo ids."""
    kwa.setdefault("echoic", True)
    kwa.setdefault("midder", counter_midder())
    memoer = Memoer(**kwa)
    memoer.reopen()
    return memoer


def deliver(receiver: Memoer, datagrams: Iterable[bytes], src: Any = "src") -> list[Any]:
    """Absorb grams into receiver, run its rx service, return new inbox entries."""
    for gram in datagrams:
        receiver.absorb(gram, src)
    receiver.serviceRxGrams()
    receiver.serviceRxMemos()
    out = list(receiver.inbox)
    receiver.inbox.clear()
    return out


def kind_of(gram: bytes) -> str:
    """'ack' for Ack/AckAuth grams, 'data' for anything else."""
    try:
        return "ack" if grams.parse(gram).code in _ACK_CODES else "data"
    except grams.GramError:
        return "data"


class EchoLink:
    """Datagrams between named LinkedMemoers, lost at `loss[(src, dst)]` or `loss`."""

    def __init__(
        self,
        *,
        seed: int = 0,
        loss: float | dict[tuple[str, str], float] = 0.0,
        drop: Callable[[bytes, str, str], bool] | None = None,
    ) -> None:
        self.seed = seed
        self.loss = loss
        self.drop = drop
        self.peers: dict[str, Memoer] = {}
        self.rngs: dict[tuple[str, str], random.Random] = {}
        self.grams: Counter[tuple[str, str, str]] = (
            Counter()
        )  # (src, dst, kind) -> datagrams offered
        self.bytes: Counter[tuple[str, str, str]] = Counter()  # (src, dst, kind) -> bytes offered
        self.lost: Counter[tuple[str, str, str]] = Counter()  # (src, dst, kind) -> datagrams lost

    def attach(self, peer: Memoer) -> None:
        self.peers[peer.name] = peer

    def carry(self, gram: bytes, src: str, dst: str) -> None:
        kind = kind_of(gram)
        key = (src, dst, kind)
        self.grams[key] += 1
        self.bytes[key] += len(gram)
        rate = self.loss.get((src, dst), 0.0) if isinstance(self.loss, dict) else self.loss
        rng = self.rngs.get((src, dst))
        if rng is None:
            rng = self.rngs[(src, dst)] = random.Random(f"{self.seed}:{src}->{dst}")
        lost = rng.random() < rate  # drawn for every gram so drop() never shifts it
        if lost or (self.drop is not None and self.drop(gram, src, dst)):
            self.lost[key] += 1
            return
        peer = self.peers.get(dst)
        if peer is not None:
            peer.echos.append((gram, src))

    def total(self, kind: str, what: str = "bytes") -> int:
        table = self.bytes if what == "bytes" else self.grams
        return sum(n for (_, _, k), n in table.items() if k == kind)


class LinkedMemoer(Memoer):
    """An echoic Memoer whose sends go over an EchoLink; its address is its name."""

    def __init__(self, *, link: EchoLink, name: str, **kwa: Any) -> None:
        kwa.setdefault("echoic", True)
        super().__init__(name=name, **kwa)
        self.link = link
        link.attach(self)

    def send(self, gram: bytes, dst: Any, **kwa: Any) -> int:
        self.link.carry(bytes(gram), self.name, dst)
        return len(gram)


def seeded_midder(seed: int, label: str) -> Callable[[], bytes]:
    """16-byte memo ids from a seeded stream, distinct per label."""
    rng = random.Random(f"{seed}:{label}:mids")

    def midder() -> bytes:
        return rng.getrandbits(128).to_bytes(16, "big")

    return midder


def linked_pair(link: EchoLink, **kwa: Any) -> tuple[LinkedMemoer, LinkedMemoer]:
    """Opened peers 'a' and 'b' on link, with seeded memo ids."""
    peers = []
    for name in ("a", "b"):
        peer = LinkedMemoer(link=link, name=name, midder=seeded_midder(link.seed, name), **kwa)
        peer.reopen()
        peers.append(peer)
    return peers[0], peers[1]


def wound_pair(
    link: EchoLink, tock: float = 0.03125, **kwa: Any
) -> tuple[LinkedMemoer, LinkedMemoer, Tymist]:
    """linked_pair(link, **kwa), both wound onto one new Tymist (ticked by hand):
    (a, b, tymist). Wound senders track and retry Sure memos."""
    tymist = Tymist(tock=tock)
    a, b = linked_pair(link, **kwa)
    a.wind(tymist.tymen())
    b.wind(tymist.tymen())
    return a, b, tymist


# ---- Ack grams and bodies as the spec builds them (surewire.py's docstring)
def ack_of(gram: bytes) -> tuple[int, Ack]:
    """(neck, decoded body) of an Ack or AckAuth gram, without its timing
    fields (quiet, hold) and a done ack's tag (see ack_timing)."""
    neck, ack = ack_timing(gram)
    return neck, Ack(ack.done, ack.epoch, ack.upto, ack.ranges)


def ack_timing(gram: bytes) -> tuple[int, Ack]:
    """(neck, decoded body) of an Ack or AckAuth gram, quiet, hold and tag included."""
    parsed = grams.parse(gram)
    assert parsed.code in _ACK_CODES
    neck = parsed.count or 0
    return neck, decode(parsed.code, neck, parsed.mid, parsed.vid, parsed.body)


def ack_checked(code: str, neck: int, mid: str, vid: str | None, payload: bytes) -> bytes:
    """payload + its 16-byte check, computed from the spec: BLAKE2b-128, person
    "memosim-ack-v1", over code, neck (3 bytes), mid, vid and the payload."""
    head = code.encode() + neck.to_bytes(3, "big") + mid.encode() + (vid or "").encode()
    return (
        payload + hashlib.blake2b(head + payload, digest_size=16, person=b"memosim-ack-v1").digest()
    )


def ack_fixed(
    *,
    done: bool = False,
    epoch: int = 0,
    upto: int = NO_UPTO,
    version: int = 3,
    flags: int | None = None,
    hold: int = 0,
) -> bytes:
    """The 11 fixed bytes of an ack body: version, flags, hold(2), epoch(4), upto(3)."""
    flags = (1 if done else 0) if flags is None else flags
    return (
        bytes([version, flags])
        + hold.to_bytes(2, "big")
        + epoch.to_bytes(4, "big")
        + upto.to_bytes(3, "big")
    )


def ack_spans(*ranges: tuple[int, int]) -> bytes:
    """Ack ranges as sent: (start, end) as two 3-byte big-endian ints each."""
    return b"".join(s.to_bytes(3, "big") + e.to_bytes(3, "big") for s, e in ranges)


def eager_plan(scenario: Any, seed: int) -> list[tuple[float, Any, str]]:
    """The workload's (tyme, key, memo) made up front, the reference the
    lazy backend.schedule must equal: each pair's memos from its own stream
    in index order, sorted by (tyme, workload, sender, receiver, index)."""
    from memosim.sim.rng import Streams
    from memosim.testbed.workload import MemoKey, make_memo

    streams = Streams(seed)
    events = []
    for wi, w in enumerate(scenario.workload):
        for src, dst in w.pairs:
            rng = streams.stream(f"workload:{wi}:{src}>{dst}")
            for idx, when in enumerate(w.times()):
                key = MemoKey(wi, src, dst, idx)
                memo = make_memo(key, w.memo_size.sample(rng), rng)
                events.append(((when, wi, src, dst, idx), key, memo))
    events.sort(key=lambda e: e[0])
    return [(order[0], key, memo) for order, key, memo in events]
