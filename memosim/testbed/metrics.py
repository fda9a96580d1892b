"""Per-Doer metrics from what was sent and what arrived: plain data out.

A run records each memo sent (key, size, send tyme, the memo itself) and
each delivery (tyme, memo). From those alone this module derives delivery,
duplicates, corruption and latency, and from the peers' counters the wire
cost. The same code serves the simulated and the real backend.

At the end of a run the runner also records, from each sender, the memos it
gave up on (its ``failures``) and the memos it still holds unsettled
(``Memoer.unsettled()``: queued, or Sure memos not yet retired or failed).
With those every sent memo falls in exactly one class (see
:attr:`MemoRecord.outcome`): delivered, failed (a true give-up), in flight at the end,
or lost silently (never delivered, never reported, nothing left to deliver
it). ``false_give_ups`` counts delivered memos the sender reported failed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .workload import Folded, MemoKey, parse_key

SUMMARY_KEYS = (
    "doer",
    "promises_acked",
    "memos_sent",
    "memos_delivered",
    "delivery_ratio",
    "duplicates_delivered",
    "corrupt_delivered",
    "latency_s",
    "grams_sent",
    "grams_retransmitted",
    "spurious_retransmissions",
    "acks_sent",
    "wire_bytes",
    "overhead_ratio",
    "goodput_bps",
    "gave_up",
    "lost_silently",
    "in_flight_at_end",
    "false_give_ups",
    "congestion",
    "sim_s",
    "wall_s",
    "links",
    "by_peer",
)

#: What became of a sent memo, as :func:`outcome` and memos.csv's ``outcome`` column name it.
OUTCOMES = ("delivered", "failed", "in_flight", "lost_silently")


class Sender(Protocol):
    """What :meth:`Recorder.settle` reads of a peer when the run has ended."""

    @property
    def failures(self) -> Iterable[tuple[str | bytes, object, object, str]]:
        """The memos it gave up on: (memo, dst, vid, reason)."""

    def unsettled(self) -> Iterable[tuple[str | bytes, object, object]]:
        """The memos it still holds unsettled: (memo, dst, vid)."""


@dataclass
class MemoRecord:
    """One sent memo and what became of it."""

    key: MemoKey
    size: int
    sent_s: float
    # as sent (a workload memo folded): a delivery is intact when it equals this
    memo: str | bytes | Folded
    delivered_s: float | None = None
    copies: int = 0
    failed: str | None = None  # reason of the sender's first give-up, None if it never gave up
    unsettled: bool = False  # the sender still held it unsettled when the run ended

    @property
    def latency_s(self) -> float | None:
        return None if self.delivered_s is None else self.delivered_s - self.sent_s

    @property
    def outcome(self) -> str:
        """One of OUTCOMES: every sent memo is in exactly one.

        delivered: at least one intact copy reached the receiver (whatever the
        sender thinks: a delivered memo it gave up on is a false give-up);
        failed: not delivered and the sender reported it in ``failures``;
        in_flight: neither, and the sender still held it unsettled at the end;
        lost_silently: none of these: nothing delivered it, nothing reported
        it, and nothing is left that could.
        """
        if self.delivered_s is not None:
            return "delivered"
        if self.failed is not None:
            return "failed"
        if self.unsettled:
            return "in_flight"
        return "lost_silently"

    @property
    def false_give_up(self) -> bool:
        """Reported failed by the sender, yet delivered."""
        return self.failed is not None and self.delivered_s is not None


@dataclass
class Recorder:
    """Collects sends and deliveries during one run."""

    memos: dict[MemoKey, MemoRecord] = field(default_factory=dict)
    duplicates: int = 0
    corrupt: int = 0
    deliveries: list[float] = field(default_factory=list)
    untagged: dict[tuple[str, bytes], list[MemoKey]] = field(default_factory=dict)
    """Memos too short for a tag, by (receiver, content as bytes), in send
    order: a burst of one-letter memos shares contents, each is its own memo."""
    _receivers: dict[bytes, list[str]] = field(default_factory=dict, repr=False)
    """Content of untagged memos -> their receivers, first sent first."""
    _skip: dict[tuple[str, str, bytes], int] = field(default_factory=dict, repr=False)
    """(want, receiver, content) -> how many untagged memos no longer want it."""
    to_peer: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per receiver: intact memos delivered (first copies), duplicates, corrupt ones."""

    def sent(self, key: MemoKey, memo: str, when: float, kept: Folded | str | None = None) -> None:
        """One memo sent at when; kept: what to keep of it, when not memo
        itself (the workload's plan gives its memos folded: a few hundred
        bytes each, so the records do not hold every memo of the run)."""
        # kept, not hashed: comparing a delivery with it is exact and ~100x cheaper
        size = len(memo) if memo.isascii() else len(memo.encode())
        self.memos[key] = MemoRecord(key, size, when, memo if kept is None else kept)
        if parse_key(memo) != key:
            raw = _raw(memo)
            keys = self.untagged.setdefault((key.dst, raw), [])
            if not keys:
                self._receivers.setdefault(raw, []).append(key.dst)
            keys.append(key)

    def _count(self, to: str | None, what: str) -> None:
        if to is not None:
            counts = self.to_peer.setdefault(
                to, {"memos_delivered": 0, "duplicates_delivered": 0, "corrupt_delivered": 0}
            )
            counts[what] += 1

    def delivered(self, memo: str | bytes, when: float, to: str | None = None) -> None:
        """One memo delivered at when (to: the receiving peer's name, when known)."""
        record = self._record_of(memo, to)
        if record is None:
            self.corrupt += 1
            self._count(to, "corrupt_delivered")
            return
        record.copies += 1
        if record.copies > 1:
            self.duplicates += 1
            self._count(to, "duplicates_delivered")
            return
        record.delivered_s = when
        self.deliveries.append(when)
        self._count(to, "memos_delivered")

    def _record_of(
        self, memo: str | bytes, to: str | None = None, want: str = "delivery"
    ) -> MemoRecord | None:
        """The record of the memo sent (to to, when given), when memo is it,
        intact; else None. A memo too short for a tag is found by its content
        (and receiver): of the memos sharing it, the first that still wants
        `want` (a key of _WANTS), else the first."""
        key = parse_key(memo)
        if key is not None:
            if to is not None and key.dst != to:
                return None  # another peer's memo: not a delivery of it
            record = self.memos.get(key)
        else:
            record = self._untagged(_raw(memo), to, want) if self.untagged else None
        if record is None:
            return None
        sent = record.memo
        if not _same(memo, sent.unfold() if isinstance(sent, Folded) else sent):
            return None
        return record

    def _untagged(self, raw: bytes, to: str | None, want: str) -> MemoRecord | None:
        # a record that stops wanting something never wants it again, so each
        # (want, receiver, content) skips those once: no rescan per delivery
        wants, first = _WANTS[want], None
        for dst in [to] if to is not None else self._receivers.get(raw, []):
            keys = self.untagged.get((dst, raw))
            if not keys:
                continue
            first = first or self.memos[keys[0]]
            i = self._skip.get((want, dst, raw), 0)
            while i < len(keys) and not wants(self.memos[keys[i]]):
                i += 1
            self._skip[want, dst, raw] = i
            if i < len(keys):
                return self.memos[keys[i]]
        return first

    def failed(self, memo: str | bytes, reason: str) -> bool:
        """The sender gave up on memo (an entry of its ``failures``); False
        when memo is no memo this run sent."""
        record = self._record_of(memo, want="give-up")
        if record is None:
            return False
        if record.failed is None:
            record.failed = str(reason)
        return True

    def unsettled(self, memo: str | bytes) -> bool:
        """The sender still holds memo unsettled at the end of the run; False
        when memo is no memo this run sent."""
        record = self._record_of(memo, want="unsettled")
        if record is None:
            return False
        record.unsettled = True
        return True

    def settle(self, peers: Iterable[Sender]) -> None:
        """Record every peer's failures and unsettled memos: call once, when
        the run has ended."""
        for peer in peers:
            for memo, _dst, _vid, reason in list(peer.failures):
                self.failed(memo, reason)
            for memo, _dst, _vid in peer.unsettled():  # queued, or Sure and not retired
                self.unsettled(memo)


#: What an untagged memo may still take, by its record: each stays False once False.
_WANTS: dict[str, Callable[[MemoRecord], bool]] = {
    "delivery": lambda r: r.copies == 0,
    "give-up": lambda r: r.failed is None and r.delivered_s is None,
    "unsettled": lambda r: not r.unsettled and r.delivered_s is None and r.failed is None,
}


def _raw(memo: str | bytes) -> bytes:
    return memo.encode() if isinstance(memo, str) else bytes(memo)


def _same(got: str | bytes, sent: str | bytes) -> bool:
    """Whether a delivered memo is the sent one, byte for byte (a str sent
    may come back as its UTF-8 bytes, and the other way round)."""
    if type(got) is type(sent):
        return got == sent
    as_bytes = [m.encode() if isinstance(m, str) else bytes(m) for m in (got, sent)]
    return as_bytes[0] == as_bytes[1]


def busy_goodput(rows: Iterable[Mapping[str, Any]], src: str | None = None) -> float:
    """Payload bits per second of memo rows (memos.csv's, as
    :func:`memo_rows` makes them) from the first memo queued to the last
    delivered; with src, only that sender's. 0.0 when none was delivered.

    Goodput over the busy span, not the run's duration: a scenario that
    runs on after its transfer is not penalised for the idle tail."""
    mine = [r for r in rows if src is None or r["src"] == src]
    done = [r for r in mine if r["delivered_s"] != ""]
    if not done:
        return 0.0
    start = min(float(r["sent_s"]) for r in mine)
    end = max(float(r["delivered_s"]) for r in done)
    return sum(int(r["bytes"]) for r in done) * 8 / (end - start) if end > start else 0.0


def jain_index(shares: Sequence[float]) -> float:
    """Jain's fairness index of shares: 1.0 when equal, 1/n when one takes all."""
    total = sum(shares)
    squares = sum(x * x for x in shares)
    return total * total / (len(shares) * squares) if squares else 1.0


def ratio(part: int, whole: int, digits: int = 6) -> float | None:
    """part / whole rounded to digits, None when whole is 0; never rounded to
    1.0 when part < whole, nor to 0.0 when part > 0: a delivery ratio of
    1.0 must mean nothing was lost (see :func:`shown_ratio` for the table)."""
    if not whole:
        return None
    return float(shown_ratio(part / whole, digits, exact=part in (0, whole)))


def shown_ratio(value: float, digits: int, *, exact: bool | None = None) -> str:
    """A ratio in [0, 1] as text with digits decimals, nudged one step inward
    when rounding would reach 0 or 1 and the value is not exactly there
    (exact: whether it is, when the caller knows better than the float)."""
    text = f"{value:.{digits}f}"
    step = 10.0**-digits
    if exact is None:
        exact = value in (0.0, 1.0)
    if not exact and 0.0 < value < 1.0:
        if float(text) >= 1.0:
            text = f"{1.0 - step:.{digits}f}"
        elif float(text) <= 0.0:
            text = f"{step:.{digits}f}"
    return text


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of ascending values; None if empty."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(
    doer: str,
    recorder: Recorder,
    stats: Sequence[Mapping[str, Any]],
    *,
    sim_s: float,
    wall_s: float,
    spurious: int | None = None,
    promises: bool = False,
) -> dict[str, Any]:
    """The summary.json entry of one Doer's run (without ``links``, which
    come from the network: backend.collect). promises: the Doer promises
    acked delivery (doers.promises_acked), recorded so a saved summary's
    BREACH verdict never needs the Doer's module."""
    records = list(recorder.memos.values())
    delivered = [r for r in records if r.delivered_s is not None]
    latencies = sorted(r.delivered_s - r.sent_s for r in delivered)  # type: ignore[operator]
    sent = len(records)
    grams_all = sum(s["grams_sent"] for s in stats)
    acks = sum(s["acks_sent"] for s in stats)
    wire = sum(s["bytes_sent"] for s in stats)
    payload = sum(r.size for r in delivered)
    outcomes = [r.outcome for r in records]

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 6)

    return {
        "doer": doer,
        "promises_acked": bool(promises),
        "memos_sent": sent,
        "memos_delivered": len(delivered),
        "delivery_ratio": ratio(len(delivered), sent),
        "duplicates_delivered": recorder.duplicates,
        "corrupt_delivered": recorder.corrupt,
        "latency_s": {
            "p50": rounded(percentile(latencies, 50)),
            "p90": rounded(percentile(latencies, 90)),
            "p99": rounded(percentile(latencies, 99)),
            "max": rounded(latencies[-1] if latencies else None),
        },
        "grams_sent": grams_all - acks,
        "grams_retransmitted": sum(s["grams_retransmitted"] for s in stats),
        "spurious_retransmissions": spurious,
        "acks_sent": acks,
        "wire_bytes": wire,
        "overhead_ratio": round(wire / payload, 6) if payload else None,
        "goodput_bps": round(payload * 8 / sim_s, 3) if sim_s > 0 else None,
        "gave_up": sum(s["memos_failed"] for s in stats),
        "lost_silently": outcomes.count("lost_silently"),
        "in_flight_at_end": outcomes.count("in_flight"),
        "false_give_ups": sum(1 for r in records if r.false_give_up),
        "congestion": congestion(stats),
        "sim_s": round(sim_s, 6),
        "wall_s": round(wall_s, 3),
    }


def congestion(stats: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The senders' windows over the run: the mean window a new gram was sent
    under (None when no wound sender sent any), windows cut by loss events,
    and collapses to the minimum (persistent congestion). backend.collect
    adds ``queue_drops``, the network's queue and interface queue drops."""
    sends = sum(s.get("window_sends", 0) for s in stats)
    total = sum(s.get("window_sum", 0) for s in stats)
    return {
        "mean_window": round(total / sends, 3) if sends else None,
        "loss_events": sum(s.get("loss_events", 0) for s in stats),
        "persistent_congestion": sum(s.get("persistent_congestion", 0) for s in stats),
    }


def memo_rows(doer: str, recorder: Recorder) -> list[dict[str, Any]]:
    """Per-memo CSV rows, in send order."""
    rows = []
    for r in sorted(
        recorder.memos.values(),
        key=lambda r: (r.sent_s, r.key.workload, r.key.src, r.key.dst, r.key.index),
    ):
        rows.append(
            {
                "doer": doer,
                "workload": r.key.workload,
                "src": r.key.src,
                "dst": r.key.dst,
                "index": r.key.index,
                "bytes": r.size,
                "sent_s": round(r.sent_s, 6),
                "delivered_s": "" if r.delivered_s is None else round(r.delivered_s, 6),
                "latency_s": "" if r.latency_s is None else round(r.latency_s, 6),
                "copies": r.copies,
                "outcome": r.outcome,
                "failed": "" if r.failed is None else r.failed,
            }
        )
    return rows
