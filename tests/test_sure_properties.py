"""Property test of acked (Sure) delivery over a hostile channel.

The guarantee under attack: every Sure memo a sender accepts is delivered to
the receiver exactly once and intact, or is reported in the sender's
`failures` (either or both: a memo the receiver delivered may still fail when
every DONE ack was lost). Never missing from both, never delivered twice,
never delivered corrupt, never a delivery that was not sent.

Two echo-mock Memoers ("a" sends Sure memos, "b" receives and acks) share one
Tymist, so the sender tracks and retries. Every datagram they send lands in a
`Channel` that Hypothesis drives, in both directions (data a->b, acks b->a):
it delivers datagrams in any order, drops, duplicates, replays old ones,
corrupts them (one bit anywhere, headers included; several bits; a replaced
byte), holds them while tyme passes, and cuts one or both directions for
longer than the receiver's partial-memo expiry. Optional `Weather` adds
seeded background loss, duplication, damage and reordering to every
datagram. Gram sizes are small so memos span many grams, and Limits are
shrunk so outages outlast every expiry. Codes: unsigned Sure (bAAE) mostly,
signed (bAAG, the receiver's vid given as rvids), text and binary headers.

After every step: nothing delivered twice, nothing delivered (by either
peer) that was not sent, which is how a corrupt delivery shows; the
receiver's partial memos within its Limits; the sender's in-flight count
equal to its outstanding grams. At the end the channel heals and tyme runs
(jumping from timer to timer, bounded) until the sender has nothing
unsettled; then every memo sent is delivered once or failed, and a new memo
sent over the healed channel is delivered.

The channel keeps a datagram at most MSL tyme: exactly-once needs the
receiver to remember a delivered id for as long as a copy may still arrive
(maxTyme plus the network delay below `Limits.done_expiry`, as
docs/acked-delivery.md says), so holding a datagram past that is outside
the guarantee.

Deterministic (derandomize, no database). MEMOSIM_HYPOTHESIS_EXAMPLES sets
the number of examples (default 600), MEMOSIM_HYPOTHESIS_STEPS the steps per
example (default 50); MEMOSIM_HYPOTHESIS_ALL_BUGS=1 shrinks and reports
every distinct violation found instead of the first.

Both peers take only acked traffic (sureOnly=True): plain codes carry no
integrity check, so damage to a Sure gram's code and to another place of
the same datagram could otherwise hand the application a plain memo of
garbage (docs/acked-delivery.md, "Damage that changes a code").
"""

from __future__ import annotations

import functools
import inspect
import math
import os
import random
from collections import Counter

from helpers import seed_of, seeded_midder
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from memosim import Limits, Memoer, Tymist, make_keyage
from memosim.core import grams
from memosim.core.codes import ACK_CODES, SURE_CODES, overhead

EXAMPLES = int(os.environ.get("MEMOSIM_HYPOTHESIS_EXAMPLES", "600"))
STEPS = int(os.environ.get("MEMOSIM_HYPOTHESIS_STEPS", "50"))
# shrink and report every distinct violation (slower), not only the first
ALL_BUGS = os.environ.get("MEMOSIM_HYPOTHESIS_ALL_BUGS", "") not in ("", "0")
SURE = "bAAE"  # unsigned Sure zeroth code
SURE_AUTH = "bAAG"  # signed Sure zeroth code
TOCK = 1 / 32
MSL = 30.0  # longest tyme a datagram stays on the channel
A, B = "a", "b"
DATA, ACKS = (A, B), (B, A)  # channel directions
DIRS = (DATA, ACKS)

AVID, AKEY = make_keyage(seed_of("sure-sender"))
BVID, BKEY = make_keyage(seed_of("sure-receiver"))

# the Sure v1 API (contract items 4, 5, 7) where the code under test has it
_MEMOER_PARAMS = inspect.signature(Memoer.__init__).parameters
_HAS_RVIDS = "rvids" in _MEMOER_PARAMS
_LIMIT_FIELDS = set(Limits.__dataclass_fields__)


# ---------------------------------------------------------------- the channel
DAMAGES = ("bit", "bit", "bit", "head-bit", "head-bits", "tail-bit", "bits", "byte")


def damage(gram: bytes, how: str, spots: list[int], value: int) -> bytes:
    """gram with one bit flipped (anywhere, in the first 48 bytes: code, neck,
    mid, vid; or in the last 24: body, signature, ack check), several bits
    flipped (anywhere, or in the first 48 bytes), or one byte replaced."""
    out = bytearray(gram)
    if not out:
        return gram
    nbits = 8 * len(out)
    head = min(nbits, 8 * 48)
    if how == "byte":
        at = spots[0] % len(out)
        out[at] = value if value != out[at] else value ^ 0xFF
        return bytes(out)
    if how == "bit":
        bits = [spots[0] % nbits]
    elif how == "head-bit":
        bits = [spots[0] % head]
    elif how == "tail-bit":
        bits = [nbits - 1 - spots[0] % min(nbits, 8 * 24)]
    elif how == "head-bits":
        bits = sorted({spot % head for spot in spots})
    else:
        bits = sorted({spot % nbits for spot in spots})
    for bit in bits:
        out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


class Weather:
    """Background noise on every datagram sent while it blows, from a seeded
    RNG: loss, duplication, damage (as `damage`) and reordering (a datagram
    slips in ahead of others already in flight)."""

    def __init__(self, seed: int, loss: float, dup: float, flip: float, slip: float) -> None:
        self.rng = random.Random(seed)
        self.loss, self.dup, self.flip, self.slip = loss, dup, flip, slip

    def __repr__(self) -> str:
        return f"Weather(loss={self.loss}, dup={self.dup}, flip={self.flip}, slip={self.slip})"

    def blow(self, gram: bytes, flying: list[list], sent: float, counts: Counter, way) -> None:
        rng = self.rng
        if rng.random() < self.loss:
            counts[(way, "lost")] += 1
            return
        for _ in range(2 if rng.random() < self.dup else 1):
            copy = gram
            if rng.random() < self.flip:
                spots = [rng.getrandbits(20) for _ in range(rng.randint(1, 4))]
                copy = damage(gram, rng.choice(DAMAGES), spots, rng.getrandbits(8))
                counts[(way, "corrupted")] += 1
            at = rng.randint(0, len(flying)) if rng.random() < self.slip else len(flying)
            flying.insert(at, [sent, copy])


class Channel:
    """Datagrams in flight per direction, as [sent tyme, gram], in send order.

    Nothing moves unless a rule says so. A direction that is cut (`cut`
    maps it to the tyme the outage ends) loses whatever is sent into it.
    `weather`, while set, acts on every datagram sent.
    """

    def __init__(self, tymist: Tymist, weather: Weather | None = None) -> None:
        self.tymist = tymist
        self.weather = weather
        self.peers: dict[str, Memoer] = {}
        self.flying: dict[tuple[str, str], list[list]] = {d: [] for d in DIRS}
        self.cut: dict[tuple[str, str], float] = {d: -math.inf for d in DIRS}
        self.counts: Counter = Counter()  # (direction, what) -> datagrams
        # datagrams delivered lately, per direction, as [sent tyme, gram]: a
        # network may deliver another copy of any of them much later
        self.history: dict[tuple[str, str], list[list]] = {d: [] for d in DIRS}

    def put(self, src: str, dst: str, gram: bytes) -> None:
        way = (src, dst)
        if way not in self.flying:
            self.counts[(way, "misaddressed")] += 1
            return
        self.counts[(way, "sent")] += 1
        if self.tymist.tyme < self.cut[way]:
            self.counts[(way, "outage")] += 1
            return
        if self.weather is not None:
            self.weather.blow(bytes(gram), self.flying[way], self.tymist.tyme, self.counts, way)
            return
        self.flying[way].append([self.tymist.tyme, bytes(gram)])

    def is_open(self, way) -> bool:
        return self.tymist.tyme >= self.cut[way]

    def take(self, way, index: int, keep: bool = False) -> None:
        """Deliver one datagram (a copy, with keep) to its destination."""
        flying = self.flying[way]
        sent, gram = flying[index] if keep else flying.pop(index)
        if self.tymist.tyme - sent > MSL:  # too old to be alive on a network
            if keep:
                flying.pop(index)
            self.counts[(way, "stale")] += 1
            return
        self.counts[(way, "delivered")] += 1
        try:
            code = grams.parse(gram).code
        except grams.GramError:
            code = None
        if code is not None and code not in SURE_CODES and code not in ACK_CODES:
            self.counts[(way, "plain")] += 1  # only damage makes a plain code here
        self.peers[way[1]].echos.append((gram, way[0]))
        history = self.history[way]
        history.append([sent, gram])
        if len(history) > 256:
            del history[:128]

    def take_all(self, way, reverse: bool = False) -> None:
        while self.flying[way]:
            self.take(way, -1 if reverse else 0)

    def busy(self) -> bool:
        return any(self.flying.values())


class ChannelMemoer(Memoer):
    """An echo-mock Memoer whose sends go into a Channel; its address is its name."""

    def __init__(self, *, channel: Channel, name: str, **kwa) -> None:
        kwa.setdefault("echoic", True)
        super().__init__(name=name, **kwa)
        self.channel = channel
        channel.peers[name] = self

    def send(self, gram, dst, **kwa) -> int:
        self.channel.put(self.name, dst, gram)
        return len(gram)


def unsettled(sender: Memoer) -> list:
    """Memos the sender still queues or tracks (contract item 7)."""
    if hasattr(sender, "unsettled"):
        return list(sender.unsettled())
    return list(sender.txms) + [  # before Sure v1: the queue and the flights
        (f.memo, f.dst, f.vid) for f in flights_of(sender).flights.values()
    ]


def flights_of(memoer: Memoer):
    """The sender's table of Sure memos in flight (internal state)."""
    engine = getattr(memoer, "engine", None)
    return engine.flights if engine is not None else getattr(memoer, "_flights", None)


def reassembly_of(memoer: Memoer):
    """The receiver's partial memos (internal state)."""
    engine = getattr(memoer, "engine", None)
    return engine.rx if engine is not None else memoer._rx


def say(text: str) -> None:
    """hypothesis.note, also when a case is replayed by hand (outside a test)."""
    try:
        note(text)
    except InvalidArgument:
        print(text)


def key_of(memo) -> bytes:
    return memo.encode() if isinstance(memo, str) else bytes(memo)


def as_delivered(memo):
    """What a receiver without rxbytes delivers for memo: str when UTF-8."""
    if isinstance(memo, str):
        return memo
    try:
        return bytes(memo).decode()
    except UnicodeDecodeError:
        return bytes(memo)


def step(fn):
    """Mark the machine broken while a rule runs, so teardown can tell a
    rule that raised from one that finished."""

    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        self.broken = True
        fn(self, *args, **kwargs)
        self.broken = False

    return wrapper


# ---------------------------------------------------------------- strategies
memos = st.one_of(
    st.just(""),
    st.just(b""),
    st.text(max_size=40),
    st.binary(max_size=60),
    # repeats of a piece: long multi-gram memos
    st.builds(
        lambda piece, times: piece * times,
        st.one_of(st.text(min_size=1, max_size=12), st.binary(min_size=1, max_size=12)),
        st.integers(min_value=2, max_value=16),
    ),
)
ways = st.sampled_from(DIRS)
picks = st.integers(min_value=0, max_value=2**16)


class SureDelivery(RuleBasedStateMachine):
    """Sender a, receiver b, a hostile channel; see the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.broken = False
        self.ready = False
        self.sent: dict[bytes, object] = {}  # key -> memo as given to memoit
        self.order: list[bytes] = []
        self.delivered: Counter = Counter()
        self.failed: Counter = Counter()
        self.seen_inbox = 0
        self.seen_failures = 0
        self.seen_sender = 0

    # ---- set-up --------------------------------------------------------
    @initialize(
        code=st.sampled_from([SURE, SURE, SURE, SURE_AUTH]),
        curt=st.booleans(),
        room=st.one_of(
            st.integers(min_value=3, max_value=24), st.integers(min_value=25, max_value=300)
        ),
        expiry=st.sampled_from([1.0, 2.5]),
        max_tyme=st.sampled_from([6.0, 20.0, 60.0]),
        max_tries=st.sampled_from([10, 4]),
        window=st.sampled_from([64, 3]),
        ack_delay=st.sampled_from([0.05, 0.0, 0.3]),
        policy=st.sampled_from(["rto", "fast"]),
        copies=st.sampled_from([None, 1, 3]),
        tight=st.sampled_from([False, False, True]),
        sure_window=st.sampled_from([None, None, None, 4]),
        weather=st.one_of(
            st.none(),
            st.builds(
                Weather,
                st.integers(min_value=0, max_value=2**32),
                loss=st.sampled_from([0.0, 0.1, 0.3]),
                dup=st.sampled_from([0.0, 0.1]),
                flip=st.sampled_from([0.0, 0.02, 0.1, 0.3]),
                slip=st.sampled_from([0.0, 0.3]),
            ),
        ),
        first=st.lists(memos, min_size=1, max_size=3),
    )
    def setup(
        self,
        code,
        curt,
        room,
        expiry,
        max_tyme,
        max_tries,
        window,
        ack_delay,
        policy,
        copies,
        tight,
        sure_window,
        weather,
        first,
    ):
        self.broken = True
        self.signed = code == SURE_AUTH
        self.max_tyme = max_tyme
        fields: dict = {"expiry": expiry}
        if tight:  # few partial memos: evictions
            fields.update(
                max_memos=3, max_memos_per_source=2, max_bytes=8192, max_bytes_per_source=4096
            )
        # few delivered ids remembered: later memos refused ("sure-full")
        self.refusing = sure_window is not None and "sure_window" in _LIMIT_FIELDS
        if self.refusing:
            fields["sure_window"] = sure_window
        self.limits = Limits(**fields)
        self.tymist = Tymist(tock=TOCK)
        self.channel = Channel(self.tymist, weather)
        size = overhead(code, curt) + room
        extra: dict = {}
        if self.signed and _HAS_RVIDS:
            extra["rvids"] = {B: BVID}
        self.sender = ChannelMemoer(
            channel=self.channel,
            name=A,
            code=code,
            curt=curt,
            size=size,
            keep={AVID: AKEY},
            vid=AVID,
            midder=seeded_midder(0, "sure-a"),
            limits=self.limits,
            maxTyme=max_tyme,
            maxTries=max_tries,
            window=window,
            retryPolicy=policy,
            retry={"resend_copies": copies},
            sureOnly=True,
            **extra,
        )
        self.receiver = ChannelMemoer(
            channel=self.channel,
            name=B,
            keep={BVID: BKEY},
            vid=BVID,
            size=size,
            midder=seeded_midder(0, "sure-b"),
            limits=self.limits,
            ackDelay=ack_delay,
            retryPolicy=policy,  # a fast receiver makes quiet acks
            sureOnly=True,
        )
        for peer in (self.sender, self.receiver):
            peer.reopen()
            peer.wind(self.tymist.tymen())
        self.ready = True
        for memo in first:
            self.memoit(memo)
        self.broken = False

    # ---- helpers ---------------------------------------------------------
    def service(self) -> None:
        self.sender.serviceAll()
        self.receiver.serviceAll()

    def quiesce(self) -> None:
        """Service both peers and deliver what is in flight on open
        directions, at once, until nothing moves (no tyme passes)."""
        for _ in range(64):
            self.sender.serviceAll()
            self.receiver.serviceAll()
            moving = [way for way in DIRS if self.channel.flying[way] and self.channel.is_open(way)]
            if not moving:
                return
            for way in moving:
                self.channel.take_all(way)

    def jump(self, most: float | None = None) -> None:
        """Tick to the peers' next timer (a tock at least, `most` at most)."""
        now = self.tymist.tyme
        dues = [
            due for due in (self.sender.get_timer(), self.receiver.get_timer()) if due is not None
        ]
        span = max(min(dues) - now, TOCK) if dues else 1.0
        if most is not None:
            span = max(min(span, most), TOCK)
        self.tymist.tick(span)

    def pick(self, way, pick: int):
        """(way, index) of an in-flight datagram, trying the other way when
        `way` has none."""
        for w in (way, ACKS if way == DATA else DATA):
            flying = self.channel.flying[w]
            if flying:
                return w, pick % len(flying)
        return None

    def memoit(self, memo) -> None:
        key = key_of(memo)
        serial = len(self.order)
        while key in self.sent:  # every memo distinct, so deliveries name their memo
            serial += 1
            memo = memo + (f"#{serial}" if isinstance(memo, str) else b"#%d" % serial)
            key = key_of(memo)
        self.sender.memoit(memo, B)
        self.sent[key] = memo
        self.order.append(key)

    # ---- rules: the application ------------------------------------------
    @rule(memo=memos)
    @step
    def send(self, memo) -> None:
        self.memoit(memo)

    @rule(batch=st.lists(memos, min_size=2, max_size=5))
    @step
    def send_many(self, batch) -> None:
        for memo in batch:
            self.memoit(memo)

    @rule(who=st.sampled_from([A, B]))
    @step
    def service_one(self, who) -> None:
        (self.sender if who == A else self.receiver).serviceAll()

    @rule(passes=st.integers(min_value=1, max_value=24))
    @step
    def pump(self, passes) -> None:
        """Healthy rounds: service, deliver what is open, tick a tock."""
        for _ in range(passes):
            self.sender.serviceAll()
            if self.channel.is_open(DATA):
                self.channel.take_all(DATA)
            self.receiver.serviceAll()
            if self.channel.is_open(ACKS):
                self.channel.take_all(ACKS)
            self.tymist.tick()

    # ---- rules: tyme -------------------------------------------------------
    @rule(tocks=st.integers(min_value=1, max_value=160))
    @step
    def tick(self, tocks) -> None:
        self.tymist.tick(tocks * TOCK)

    @rule()
    @step
    def next_timer(self) -> None:
        self.jump()
        self.service()

    # ---- rules: the channel ----------------------------------------------
    @precondition(lambda self: self.ready and self.channel.busy())
    @rule(way=ways, pick=picks)
    @step
    def deliver(self, way, pick) -> None:
        """One datagram, chosen anywhere in flight: reordering, delay."""
        way, index = self.pick(way, pick)
        self.channel.take(way, index)

    @precondition(lambda self: self.ready and self.channel.busy())
    @rule(way=ways, reverse=st.booleans())
    @step
    def deliver_all(self, way, reverse) -> None:
        self.channel.take_all(way, reverse)

    @precondition(lambda self: self.ready and self.channel.busy())
    @rule(way=ways, pick=picks)
    @step
    def drop(self, way, pick) -> None:
        way, index = self.pick(way, pick)
        self.channel.flying[way].pop(index)
        self.channel.counts[(way, "dropped")] += 1

    @precondition(lambda self: self.ready and self.channel.busy())
    @rule(way=ways, pick=picks)
    @step
    def duplicate(self, way, pick) -> None:
        way, index = self.pick(way, pick)
        self.channel.take(way, index, keep=True)

    @precondition(lambda self: self.ready and any(self.channel.history.values()))
    @rule(way=ways, pick=picks)
    @step
    def replay(self, way, pick) -> None:
        """A late copy of a datagram delivered before (if younger than MSL)."""
        if not self.channel.history[way]:
            way = ACKS if way == DATA else DATA
        history = self.channel.history[way]
        self.channel.flying[way].append(list(history[pick % len(history)]))
        self.channel.take(way, -1)

    @precondition(lambda self: self.ready and self.channel.busy())
    @rule(
        way=ways,
        pick=picks,
        how=st.sampled_from(DAMAGES),
        spots=st.lists(st.integers(min_value=0, max_value=2**20), min_size=1, max_size=4),
        value=st.integers(min_value=0, max_value=255),
    )
    @step
    def corrupt(self, way, pick, how, spots, value) -> None:
        """Damage a datagram in flight; it stays in flight."""
        way, index = self.pick(way, pick)
        entry = self.channel.flying[way][index]
        entry[1] = damage(entry[1], how, spots, value)
        self.channel.counts[(way, "corrupted")] += 1

    @rule(
        which=st.sampled_from(["data", "acks", "both"]),
        factor=st.sampled_from([1.25, 2.0, 3.5]),
    )
    @step
    def outage(self, which, factor) -> None:
        """Cut data, acks or both for longer than the partial-memo expiry,
        lose what is in flight there, and run the peers through it."""
        cut = {"data": [DATA], "acks": [ACKS], "both": [DATA, ACKS]}[which]
        now = self.tymist.tyme
        end = now + self.limits.expiry * factor + TOCK
        for way in cut:
            self.channel.counts[(way, "outage")] += len(self.channel.flying[way])
            self.channel.flying[way].clear()
            self.channel.cut[way] = end
        while self.tymist.tyme < end:
            self.quiesce()
            self.jump(most=end - self.tymist.tyme)

    # ---- invariants ---------------------------------------------------------
    @invariant()
    def deliveries_are_sent_memos_once_and_intact(self) -> None:
        if not self.ready:
            return
        self.broken = True
        inbox = list(self.receiver.inbox)
        for memo, src, vid in inbox[self.seen_inbox :]:
            key = key_of(memo)
            if key not in self.sent:
                self.phantom(memo, DATA)
                continue
            self.delivered[key] += 1
            assert self.delivered[key] == 1, f"delivered twice: {memo!r}"
            sent = self.sent[key]
            want = as_delivered(sent)
            assert type(memo) is type(want) and memo == want, f"delivered {memo!r}, sent {sent!r}"
            assert src == A, f"delivered from {src!r}"
            assert vid == (AVID if self.signed else None), f"delivered with vid {vid!r}"
        self.seen_inbox = len(inbox)
        failures = list(self.sender.failures)
        for memo, dst, _vid, reason in failures[self.seen_failures :]:
            key = key_of(memo)
            assert key in self.sent and self.sent[key] == memo, (
                f"failed a memo never sent: {memo!r}"
            )
            self.failed[key] += 1
            assert self.failed[key] == 1, f"failed twice: {memo!r} ({reason})"
            assert dst == B
            assert reason in ("tries", "tyme", "backlog"), reason
        self.seen_failures = len(failures)
        # the receiver sends only acks: anything the sender delivers is a phantom
        for memo, _src, _vid in list(self.sender.inbox)[self.seen_sender :]:
            self.phantom(memo, ACKS)
        self.seen_sender = len(self.sender.inbox)
        self.broken = False

    def phantom(self, memo, way) -> None:
        """A delivery of something never sent: a corrupt or forged delivery."""
        peer = "receiver" if way == DATA else "sender"
        raise AssertionError(f"the {peer} delivered a memo never sent: {memo!r}")

    @invariant()
    def receiver_holds_within_limits(self) -> None:
        if not self.ready:
            return
        self.broken = True
        lim = self.limits
        rx = reassembly_of(self.receiver)
        assert len(rx) <= lim.max_memos, f"{len(rx)} partial memos > {lim.max_memos}"
        assert rx.nbytes <= lim.max_bytes
        wholes = getattr(rx, "_wholes", {})
        assert len(wholes) <= lim.max_memos
        for src, ledger in getattr(rx, "_ledgers", {}).items():
            assert len(ledger.mids) <= lim.max_memos_per_source, (src, len(ledger.mids))
            assert ledger.nbytes <= lim.max_bytes_per_source, (src, ledger.nbytes)
        sure = getattr(rx, "sure", None)  # delivered Sure ids (contract item 5)
        if sure is not None and hasattr(sure, "_per_src"):
            assert sure.sources <= lim.sure_sources, sure.sources
            for src, mids in sure._per_src.items():
                assert len(mids) <= lim.sure_window, (src, len(mids))
        self.broken = False

    @invariant()
    def sender_window_books_balance(self) -> None:
        """Grams counted in flight per destination are the grams outstanding
        (a leak would shrink the window for good). Internal state: skipped
        when the sender's flight table looks different."""
        if not self.ready:
            return
        flights = flights_of(self.sender)
        dests = getattr(flights, "dests", None)
        if not isinstance(dests, dict):
            return
        self.broken = True
        outstanding: Counter = Counter()
        for flight in flights.flights.values():
            outstanding[flight.dst] += len(flight.outstanding)
        for dst, dest in dests.items():
            assert dest.inflight == outstanding[dst], (
                f"{dst}: {dest.inflight} grams counted in flight, {outstanding[dst]} outstanding"
            )
        self.broken = False

    # ---- the end ----------------------------------------------------------------
    def settle(self) -> None:
        """Run the peers over the (healed) channel, timer to timer, until the
        sender has nothing unsettled and nothing is in flight (bounded)."""
        start = self.tymist.tyme
        limit = start + 4 * self.max_tyme + 2 * MSL + 60.0
        while True:
            self.quiesce()
            self.deliveries_are_sent_memos_once_and_intact()
            left = unsettled(self.sender)
            if not left and not self.channel.busy() and not self.sender.busy():
                break
            assert self.tymist.tyme < limit, (
                f"sender still unsettled {self.tymist.tyme - start:.1f} s after healing: "
                f"{[memo for memo, _, _ in left]!r}"
            )
            self.jump()
        self.receiver.serviceAll()
        self.deliveries_are_sent_memos_once_and_intact()

    def teardown(self) -> None:
        if not self.ready or self.broken:
            return  # a rule or an invariant already failed: that is the report
        # heal: no outage, no weather, nothing damaged from here on
        self.channel.weather = None
        for way in DIRS:
            self.channel.cut[way] = -math.inf
        self.settle()
        lost = [
            self.sent[key] for key in self.order if not self.delivered[key] and not self.failed[key]
        ]
        both = [self.sent[key] for key in self.order if self.delivered[key] and self.failed[key]]
        say(
            f"sent {len(self.order)}, delivered {sum(self.delivered.values())}, "
            f"failed {sum(self.failed.values())}, delivered and failed {len(both)}; "
            f"sender dropped {dict(self.sender.stats.dropped)}, "
            f"receiver dropped {dict(self.receiver.stats.dropped)}"
        )
        assert not lost, f"neither delivered nor failed: {lost!r}"
        # liveness: once healed, a new memo gets through, unless the receiver
        # was set to refuse memos beyond a few delivered ids, or the window
        # and the ack delay make it take longer than a partial memo may live
        fresh = "fresh after healing"
        rounds = -(-len(self.sender.rend(fresh)) // self.sender.window)
        if self.refusing or rounds * (self.receiver.ackDelay + 2 * TOCK) > self.limits.expiry / 2:
            return
        self.memoit(fresh)
        self.settle()
        key = key_of(fresh)
        assert self.delivered[key] == 1 and not self.failed[key], (
            f"a memo sent over the healed channel was not delivered: "
            f"{[f for f in self.sender.failures if key_of(f[0]) == key]!r}"
        )


SureDelivery.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    report_multiple_bugs=ALL_BUGS,
    suppress_health_check=list(HealthCheck),
)
TestSureDelivery = SureDelivery.TestCase
