"""A seeded attacker between core Engines: acked delivery against a hostile network.

Three sans-I/O Engines (memosim/core/engine.py) are driven directly,
datagrams in and out with tyme injected, no SimPy and no Memoer: "a" and "c"
send Sure memos to "b" (and, when `two_way`, "b" sends to "a"). Every datagram
they send passes a seeded `Adversary` that may drop, duplicate, delay and so
reorder it, and damage each copy once: a flipped bit in the code, neck
(count or number), mid, body or tail (ack check, signature), a replaced
byte, truncation, trailing bytes, or a splice with a gram of another memo
(another memo's mid over this header's body, or this header over another
body). It replays datagrams it saw (no older than `MSL`), and by mode:

- "damage": network faults only. The acked promise must hold strictly:
  every memo delivered exactly once, intact, from its sender, or reported in
  its sender's failures.
- "inject": also sends copies, damaged or not, of grams it saw from third
  addresses ("x", "x1".."x3"). Nothing raises, nothing is delivered altered or twice, and a
  memo missing from the receiver's deliveries is in its sender's failures
  (a replay from a third address may take a memo's zeroth gram and so the memo: it is
  then delivered from "x", intact, once; docs/acked-delivery.md "Whose memo").
- "forge": also forges acks on the path for every mid it saw, with a valid
  check (unsigned codes: computable from public data), spoofed from the
  receiver's address: done, partial (any epoch, upto, ranges, quiet, hold),
  reset, wrong neck; and AckAuth signed by its own key. It may make a
  sender retire an unsigned memo the receiver never got (documented silent
  loss), but only a memo it forged a done ack for that names the tag its
  zeroth gram showed (a guessed tag is dropped, "ack-memo"); it can never retire a
  signed memo, nor make a receiver deliver an altered memo or a duplicate.

Invariants, after every step: nothing raised; every table a remote can fill
within its bound (partial memos, wholes, ledgers, done ids, delivered Sure
ids and sources, acker pending, pacing records, ack heap, flights,
destinations, drop reasons); no memo tracked longer than maxTyme plus
`SLACK`. At the end (the network healed, tyme run until nothing is
unsettled) the mode's delivery property.

Run many seeds outside pytest:

    cd tests && ../.venv/bin/python core_attacker.py --mode forge --seeds 0:2000
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from helpers import seed_of

from memosim import Limits, make_keyage
from memosim.core import grams, surewire
from memosim.core.codes import MemoDex, overhead
from memosim.core.engine import Engine
from memosim.core.keys import Signer, sign_detached
from memosim.core.retry import RetryPolicy

MODES = ("damage", "inject", "forge")
THIRD = ("x", "x1", "x2", "x3")  # addresses the attacker sends from, none a peer's
MSL = 20.0  # longest tyme a datagram (or a replay of it) lives on the network
SLACK = 1e-6  # tyme past maxTyme by which every memo is settled (timers run on the dot)
KEYS = {name: make_keyage(seed_of(f"core-attacker-{name}")) for name in ("a", "b", "c", "x")}
KEEP = {vid: keyage for vid, keyage in KEYS.values()}
VIDS = {name: vid for name, (vid, _) in KEYS.items()}
SIGNER = Signer()
# the drop reasons a remote can provoke are a fixed vocabulary: more would be
# a table keyed by something the remote chose
MAX_DROP_REASONS = 40


class Breach(AssertionError):
    """An invariant failed; the message names the seed and what."""


@dataclass
class Setup:
    """One run's knobs, all drawn from the seed."""

    mode: str
    code: str
    curt: bool
    size: int
    policy: str
    congestion: str
    window: int
    max_tries: int
    max_tyme: float
    ack_delay: float
    limits: Limits
    sure_only: bool
    two_way: bool
    third: bool
    loss: float
    dup: float
    damage: float
    reorder: float
    replay: float
    inject: float
    forge: float
    memos: int
    attack_until: float


def draw_setup(rng: random.Random, mode: str) -> Setup:
    code = rng.choice([MemoDex.GramSureZero] * 3 + [MemoDex.GramSureAuthZero])
    curt = rng.random() < 0.5
    tight = rng.random() < 0.25
    limits = Limits(
        expiry=rng.choice([1.0, 3.0, 30.0]),
        max_memos=3 if tight else 4096,
        max_memos_per_source=2 if tight else 1024,
        max_bytes=8192 if tight else 64 * 2**20,
        max_bytes_per_source=4096 if tight else 16 * 2**20,
        done_window=rng.choice([16, 16384]),
        sure_window=rng.choice([3, 8192, 8192]),
        sure_sources=rng.choice([1, 2, 64]),
    )
    max_tyme = rng.choice([4.0, 10.0, 30.0])
    return Setup(
        mode=mode,
        code=code,
        curt=curt,
        size=overhead(code, curt) + rng.choice([8, 30, 120, 600]),
        policy=rng.choice(["rto", "fast"]),
        congestion=rng.choice(["newreno", "none"]),
        window=rng.choice([2, 8, 64]),
        max_tries=rng.choice([3, 10]),
        max_tyme=max_tyme,
        ack_delay=rng.choice([0.0, 0.015, 0.05, 0.3]),
        limits=limits,
        # plain codes carry no check: damage in two places of one datagram
        # may hand the app garbage, so a peer without sureOnly sees one
        # damage per datagram at most (as the doc says)
        sure_only=rng.random() < 0.5,
        two_way=rng.random() < 0.3,
        third=rng.random() < 0.5,
        loss=rng.choice([0.0, 0.1, 0.3, 0.6]),
        dup=rng.choice([0.0, 0.1, 0.4]),
        damage=rng.choice([0.0, 0.05, 0.2, 0.5]),
        reorder=rng.choice([0.0, 0.2, 0.6]),
        replay=rng.choice([0.0, 0.1, 0.5]),
        inject=rng.choice([0.1, 0.4]) if mode != "damage" else 0.0,
        forge=rng.choice([0.1, 0.5, 1.0]) if mode == "forge" else 0.0,
        memos=rng.randrange(1, 9),
        attack_until=rng.choice([max_tyme / 2, max_tyme, 2 * max_tyme]),
    )


@dataclass
class Seen:
    """What an on-path observer learnt of one memo from its grams."""

    src: str
    dst: str
    count: int | None = None
    nums: set[int] = field(default_factory=set)
    curt: bool = False
    tag: bytes | None = None  # the Sure tag, read off the zeroth gram (Ack v3's done acks name it)


class Adversary:
    """The network: a seeded attacker between the engines."""

    def __init__(self, rng: random.Random, setup: Setup) -> None:
        self.rng = rng
        self.setup = setup
        self.flying: list[tuple[float, int, bytes, str, str]] = []  # heap (at, seq, data, src, dst)
        self.seq = 0
        self.history: list[tuple[float, bytes, str, str]] = []  # (sent, data, src, dst)
        self.seen: dict[str, Seen] = {}  # mid -> what the grams showed
        self.forged_done: set[str] = set()  # mids a forged done ack was sent for
        self.counts: Counter[str] = Counter()
        self.healed = False
        self.next_act = 0.0  # tyme of the next replay, injection or forgery

    # ---- the wire --------------------------------------------------------
    def put(self, data: bytes, src: str, dst: str, at: float) -> None:
        heapq.heappush(self.flying, (at, self.seq, data, src, dst))
        self.seq += 1

    def due(self) -> float | None:
        return self.flying[0][0] if self.flying else None

    def arrivals(self, now: float) -> list[tuple[bytes, str, str]]:
        out = []
        while self.flying and self.flying[0][0] <= now:
            _, _, data, src, dst = heapq.heappop(self.flying)
            out.append((data, src, dst))
        return out

    def send(self, data: bytes, src: str, dst: str, now: float) -> None:
        """A datagram an engine sent: watch it, then carry it, or not."""
        self.watch(data, src, dst)
        if self.healed:
            self.put(data, src, dst, now + 0.01)
            return
        rng, s = self.rng, self.setup
        self.history.append((now, data, src, dst))
        if len(self.history) > 512:
            del self.history[:256]
        if rng.random() < s.loss:
            self.counts["lost"] += 1
            return
        for _ in range(2 if rng.random() < s.dup else 1):
            copy = data
            if rng.random() < s.damage:
                # a sureOnly peer is promised safety from damage in several places
                for _ in range(rng.choice([1, 2, 4]) if s.sure_only else 1):
                    copy = self.damage(copy)
                self.counts["damaged"] += 1
            self.put(copy, src, dst, now + self.delay())

    def delay(self) -> float:
        rng = self.rng
        base = 0.01 + rng.random() * 0.01
        if rng.random() < self.setup.reorder:
            base += rng.random() * rng.choice([0.1, 1.0, 5.0])
            if rng.random() < 0.02:  # now and then a datagram lives almost its MSL
                base = MSL * (0.5 + rng.random() / 2)
        return base

    def watch(self, data: bytes, src: str, dst: str) -> None:
        try:
            gram = grams.parse(data)
        except grams.GramError:
            return
        if gram.code in (MemoDex.Ack, MemoDex.AckAuth):
            return
        seen = self.seen.get(gram.mid)
        if seen is None:
            seen = self.seen[gram.mid] = Seen(src, dst, curt=gram.curt)
        if gram.zeroth:
            seen.count = gram.count or 1
            if len(gram.body) >= surewire.SURE_PREFIX and seen.tag is None:
                seen.tag = gram.body[1 : surewire.SURE_PREFIX]
        seen.nums.add(gram.num)

    # ---- damage ------------------------------------------------------------
    def damage(self, data: bytes) -> bytes:
        rng = self.rng
        out = bytearray(data)
        if not out:
            return data
        text = out[0] >> 2 == grams.TEXT_LEAD
        code_n, neck_n, mid_n = (4, 4, 24) if text else (3, 3, 18)
        head = code_n + neck_n + mid_n
        kind = rng.choice(
            ["code", "neck", "mid", "body", "tail", "byte", "truncate", "extend", "splice"]
        )
        if kind in ("code", "neck", "mid", "body", "tail"):
            lo, hi = {
                "code": (0, code_n),
                "neck": (code_n, code_n + neck_n),
                "mid": (code_n + neck_n, head),
                "body": (head, len(out)),
                "tail": (max(0, len(out) - 24), len(out)),
            }[kind]
            lo, hi = min(lo, len(out) - 1), min(max(hi, lo + 1), len(out))
            at = rng.randrange(lo, hi)
            out[at] ^= 1 << rng.randrange(8)
        elif kind == "byte":
            at = rng.randrange(len(out))
            out[at] = rng.randrange(256)
        elif kind == "truncate":
            out = out[: rng.randrange(len(out))]
        elif kind == "extend":
            out += rng.randbytes(rng.randrange(1, 12))
        else:
            other = self.other_gram(data)
            if other is not None:
                if rng.random() < 0.5:  # this header, the other body
                    out = out[:head] + other[head:]
                else:  # the other memo's mid over this gram
                    out[code_n + neck_n : head] = other[code_n + neck_n : head]
        return bytes(out)

    def other_gram(self, data: bytes) -> bytes | None:
        """A data gram of another memo in the same header encoding."""
        if not self.history:
            return None
        lead = data[0] >> 2
        for _ in range(8):
            _, other, _, _ = self.rng.choice(self.history)
            if other and other[0] >> 2 == lead and other[:8] != data[:8]:
                return other
        return None

    # ---- active attacks ------------------------------------------------------
    def act(self, now: float, names: list[str]) -> None:
        """Replays, injections from third addresses and forged acks, as the mode allows."""
        if self.healed or now < self.next_act:
            return
        rng, s = self.rng, self.setup
        self.next_act = now + rng.choice([0.005, 0.02, 0.1])  # a bounded rate of attacks
        if self.history and rng.random() < s.replay:
            sent, data, src, dst = rng.choice(self.history)
            if now - sent <= MSL:
                self.counts["replayed"] += 1
                self.put(data, src, dst, now + self.delay())
        if self.history and rng.random() < s.inject:
            sent, data, _src, dst = rng.choice(self.history)
            if now - sent <= MSL:
                if rng.random() < 0.3:
                    data = self.damage(data)
                self.counts["injected"] += 1
                self.put(data, rng.choice(THIRD), dst, now + self.delay())
        if self.seen and rng.random() < s.forge:
            for _ in range(rng.randrange(1, 4)):
                self.forge(now)

    def forge(self, now: float) -> None:
        """An ack for a mid seen on the path, spoofed from its receiver."""
        rng = self.rng
        mid = rng.choice(sorted(self.seen))
        seen = self.seen[mid]
        count = seen.count or max(seen.nums) + 1
        kind = rng.choice(["done", "partial", "partial", "reset", "auth"])
        neck = count if rng.random() < 0.8 else rng.choice([0, count + 1, 2**24 - 1])
        if kind == "done":
            ranges: list[tuple[int, int]] = []
            epoch, upto = 0, count
        elif kind == "reset":
            ranges, epoch, upto, neck = [], 0, surewire.NO_UPTO, 0
        else:
            points = sorted(rng.sample(range(count + 2), min(count + 2, 2 * rng.randrange(4))))
            ranges = [(a, b) for a, b in zip(points[::2], points[1::2], strict=False) if a < b]
            if rng.random() < 0.3:
                ranges = [(0, count)]
            epoch = rng.choice([0, 1, 2, 3, rng.randrange(2**32)])
            upto = rng.choice([count, 0, surewire.NO_UPTO, rng.randrange(2**24)])
        vid = sign = None
        if kind == "auth":
            vid = VIDS["x"]

            def sign(ser: bytes) -> bytes:
                return sign_detached(ser, SIGNER.secret(KEEP, VIDS["x"]))

        done = kind in ("done", "auth") and rng.random() < 0.7
        # a done ack names a tag: the one the path showed, or a guess
        right = seen.tag is not None and rng.random() < 0.8
        tag = seen.tag if right and seen.tag is not None else rng.randbytes(surewire.TAG_BYTES)
        ack = surewire.make_ack(
            mid,
            neck,
            done=done,
            epoch=epoch,
            upto=upto,
            ranges=[] if kind == "auth" else ranges,
            curt=seen.curt if rng.random() < 0.8 else not seen.curt,
            size=1240,
            vid=vid,
            sign=sign,
            quiet=kind == "partial" and rng.random() < 0.3,
            hold=rng.choice([0.0, 0.01, 10.0, 1e9]),
            tag=tag if done else b"",
        )
        if done and neck == count and right:  # signed by "x" too: an unsigned memo names no rvid
            self.forged_done.add(mid)
        self.counts["forged"] += 1
        self.put(ack, seen.dst, seen.src, now + self.delay())


class Run:
    """One seeded attack: engines, adversary, the memos and what became of them."""

    def __init__(self, seed: int, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode: expected one of {MODES}, found {mode!r}")
        self.seed = seed
        self.rng = rng = random.Random(f"core-attacker:{mode}:{seed}")
        self.setup = s = draw_setup(rng, mode)
        self.net = Adversary(random.Random(rng.getrandbits(64)), s)
        retry = RetryPolicy(
            policy=s.policy,
            congestion=s.congestion,
            window=s.window,
            max_tries=s.max_tries,
            max_tyme=s.max_tyme,
            ack_delay=s.ack_delay,
        )
        self.names = ["a", "b", "c"] if s.third else ["a", "b"]
        self.engines: dict[str, Engine] = {}
        self.codes: dict[str, str] = {}  # each peer's code: mostly the setup's, now and then not
        mixed = rng.random() < 0.3
        for i, name in enumerate(self.names):
            mids = iter(range(1, 1 << 30))
            code, curt, size = s.code, s.curt, s.size
            if mixed:  # peers that differ in code, header encoding and gram size
                code = rng.choice([MemoDex.GramSureZero, MemoDex.GramSureAuthZero])
                curt = rng.random() < 0.5
                size = overhead(code, curt) + rng.choice([8, 30, 120, 600])
            self.codes[name] = code
            self.engines[name] = Engine(
                midder=lambda mids=mids, i=i: (i << 100 | next(mids)).to_bytes(16, "big"),
                code=code,
                curt=curt,
                size=size,
                sure_only=s.sure_only,
                keep=KEEP,
                vid=VIDS[name],
                rvids={other: VIDS[other] for other in self.names if other != name},
                limits=s.limits,
                retry=retry,
                name=name,
            )
        self.now = 0.0
        self.sent: dict[bytes, tuple[str, str]] = {}  # memo -> (src, dst)
        self.born: dict[bytes, float] = {}
        self.mids: dict[bytes, str | None] = {}  # memo -> the mid its sender gave it
        self.order: list[bytes] = []
        self.delivered: Counter[bytes] = Counter()
        self.delivered_from: dict[bytes, str] = {}
        self.failed: Counter[bytes] = Counter()
        self.plan = sorted(
            (rng.random() * s.attack_until, i) for i in range(s.memos)
        )  # (tyme, serial) of each memoit

    def fail(self, what: str) -> Breach:
        return Breach(f"seed {self.seed} ({self.setup.mode}): {what}; setup {self.setup}")

    # ---- driving -------------------------------------------------------------
    def memoit(self, serial: int) -> None:
        rng = self.rng
        senders = [n for n in self.names if n != "b"] + (["b"] if self.setup.two_way else [])
        src = rng.choice(senders)
        dst = "a" if src == "b" else "b"
        piece = rng.choice([b"", b"x", b"hello ", bytes(range(256))])
        memo = b"%s>%s #%d " % (src.encode(), dst.encode(), serial) + piece * rng.randrange(0, 12)
        engine = self.engines[src]
        memo = memo[: engine.max_memo]
        before = set(engine.flights.flights)
        engine.send_memo(memo, dst, now=self.now)
        self.mids[memo] = next((m for m in engine.flights.flights if m not in before), None)
        self.sent[memo] = (src, dst)
        self.born[memo] = self.now
        self.order.append(memo)

    def step(self, now: float) -> None:
        self.now = now
        for data, src, dst in self.net.arrivals(now):
            engine = self.engines.get(dst)
            if engine is not None:
                engine.receive_datagram(data, src, now)
        for name in self.names:
            engine = self.engines[name]
            engine.fuse_ready(now)
            engine.handle_timer(now)
            for data, dst in engine.datagrams_to_send():
                self.net.send(data, name, str(dst), now)
        self.net.act(now, self.names)
        self.collect()
        self.check_bounds()

    def next_tyme(self, most: float | None = None) -> float:
        dues = [self.net.due()]
        dues += [e.get_timer() for e in self.engines.values()]
        if self.plan:
            dues.append(self.plan[0][0])
        later = [d for d in dues if d is not None and d > self.now]
        if not later:
            later = [self.now + 0.5]
        nxt = min(later)
        if not self.net.healed:  # the attacker acts now and then even when all is quiet
            nxt = min(nxt, max(self.net.next_act, self.now + 0.001))
        return nxt if most is None else min(nxt, most)

    def run(self) -> None:
        s = self.setup
        while self.now < s.attack_until or self.plan:
            while self.plan and self.plan[0][0] <= self.now:
                self.memoit(self.plan.pop(0)[1])
            self.step(self.next_tyme())
        self.net.healed = True
        end = self.now + s.max_tyme + 2 * MSL + 10.0
        while True:
            busy = any(e.unsettled() for e in self.engines.values()) or self.net.flying
            if not busy:
                break
            if self.now > end:
                raise self.fail(f"still unsettled {self.now:.2f}: {self.unsettled()}")
            self.step(self.next_tyme())
        for _ in range(3):  # acks and done acks still paced at the receiver
            self.step(self.now + 1.0)
        self.check_end()

    def unsettled(self) -> list[Any]:
        return [(n, e.unsettled()) for n, e in self.engines.items() if e.unsettled()]

    # ---- invariants ----------------------------------------------------------
    def collect(self) -> None:
        for name, engine in self.engines.items():
            while engine.delivered:
                memo, src, vid = engine.delivered.popleft()
                data = memo.encode() if isinstance(memo, str) else bytes(memo)
                if data not in self.sent:
                    raise self.fail(f"{name} delivered a memo never sent: {data[:60]!r} from {src}")
                want_src, want_dst = self.sent[data]
                if want_dst != name:
                    raise self.fail(f"{name} delivered {data[:40]!r} meant for {want_dst}")
                self.delivered[data] += 1
                if self.delivered[data] > 1:
                    raise self.fail(f"{name} delivered twice: {data[:60]!r}")
                self.delivered_from[data] = str(src)
                # a replay from a third address may take the memo (its zeroth gram's source's)
                if src != want_src and (self.setup.mode == "damage" or src not in THIRD):
                    raise self.fail(f"{data[:40]!r} delivered from {src}, sent by {want_src}")
                signed = self.codes[want_src] == MemoDex.GramSureAuthZero
                if vid != (VIDS[want_src] if signed else None):
                    raise self.fail(f"{data[:40]!r} delivered with vid {vid}")
            while engine.failures:
                memo, dst, _vid, reason = engine.failures.popleft()
                data = memo.encode() if isinstance(memo, str) else bytes(memo)
                if self.sent.get(data, (None,))[0] != name:
                    raise self.fail(f"{name} failed a memo it never sent: {data[:60]!r}")
                self.failed[data] += 1
                if self.failed[data] > 1:
                    raise self.fail(f"{name} failed twice: {data[:60]!r} ({reason})")
                if reason not in ("tries", "tyme", "backlog"):
                    raise self.fail(f"failure reason {reason!r}")

    def check_bounds(self) -> None:
        lim = self.setup.limits
        for name, engine in self.engines.items():
            rx, acker, flights = engine.rx, engine.acker, engine.flights
            sizes = {
                "partials": (len(rx), lim.max_memos),
                "wholes": (len(rx._wholes), lim.max_memos),
                "bytes": (rx.nbytes, lim.max_bytes),
                "done": (len(rx.done), lim.done_window),
                "sure ids": (len(rx.sure), lim.sure_window * lim.sure_sources),
                "sure sources": (rx.sure.sources, lim.sure_sources),
                "sure order": (len(rx.sure._order), 2 * len(rx.sure) + 1025),
                "acker pending": (len(acker.pending), lim.max_memos),
                "acker sources": (len(acker._by_source), lim.max_memos),
                "acker done": (len(acker.done), lim.done_window),
                "acker heap": (len(acker._heap), 4 * (len(acker.pending) + len(acker.done)) + 1025),
                "flights": (len(flights), len(self.order)),
                "dests": (len(flights.dests), 3),
                "drop reasons": (len(engine.stats.dropped), MAX_DROP_REASONS),
            }
            for src, ledger in rx._ledgers.items():
                if len(ledger.mids) > lim.max_memos_per_source:
                    raise self.fail(f"{name}: {len(ledger.mids)} partial memos from {src}")
            for what, (size, bound) in sizes.items():
                if size > bound:
                    raise self.fail(f"{name}: {what} {size} > {bound}")
            for flight in flights.flights.values():
                if self.now > flight.born + flights.max_tyme + SLACK:
                    raise self.fail(
                        f"{name}: memo born {flight.born:.3f} still tracked at {self.now:.3f}"
                    )
                if flight.acked_count != sum(flight.acked) or len(flight.unsent) > flight.count:
                    raise self.fail(f"{name}: books of {flight.mid} do not balance")
            inflight: Counter[Any] = Counter()
            for flight in flights.flights.values():
                inflight[flight.dst] += len(flight.outstanding)
            for dst, dest in flights.dests.items():
                if dest.inflight != inflight[dst]:
                    raise self.fail(f"{name}: {dest.inflight} in flight to {dst}, {inflight[dst]}")

    def check_end(self) -> None:
        self.collect()
        s = self.setup
        lost = [m for m in self.order if not self.delivered[m] and not self.failed[m]]
        if s.mode == "forge":
            # documented: a forged done ack retires an unsigned memo unseen
            lost = [
                m
                for m in lost
                if self.codes[self.sent[m][0]] == MemoDex.GramSureAuthZero
                or self.mids[m] not in self.net.forged_done
            ]
        if lost:
            raise self.fail(f"neither delivered nor failed: {[m[:30] for m in lost]}")

    def summary(self) -> dict[str, int]:
        return {
            "sent": len(self.order),
            "delivered": sum(self.delivered.values()),
            "failed": sum(self.failed.values()),
            "silently lost (forged done)": sum(
                1 for m in self.order if not self.delivered[m] and not self.failed[m]
            ),
            **self.net.counts,
        }


def attack(seed: int, mode: str) -> Run:
    """Run one seeded attack; raises Breach (or whatever escaped) on a defect."""
    run = Run(seed, mode)
    run.run()
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="hunt acked-delivery defects over many seeds")
    parser.add_argument("--mode", choices=MODES, default="damage")
    parser.add_argument("--seeds", default="0:200", help="start:stop")
    parser.add_argument("--stop", action="store_true", help="stop at the first defect")
    args = parser.parse_args(argv)
    start, stop = (int(x) for x in args.seeds.split(":"))
    bad = 0
    totals: Counter[str] = Counter()
    for seed in range(start, stop):
        try:
            run = attack(seed, args.mode)
        except Exception as ex:  # a Breach, or anything that escaped an engine
            bad += 1
            print(f"seed {seed}: {type(ex).__name__}: {str(ex)[:600]}")
            if args.stop:
                return 1
            continue
        totals.update(run.summary())
    print(f"{args.mode}: {stop - start} seeds, {bad} defective; {dict(totals)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
