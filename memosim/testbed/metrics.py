"""Per-Doer metrics from what was sent and what arrived: plain data out.

A run records each memo sent (key, size, send tyme, digest) and each
delivery (tyme, memo). From those alone this module derives delivery,
duplicates, corruption and latency, and from the peers' counters the wire
cost. The same code serves the simulated and the real backend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .workload import MemoKey, digest, parse_key

SUMMARY_KEYS = (
    "doer", "memos_sent", "memos_delivered", "delivery_ratio", "duplicates_delivered",
    "corrupt_delivered", "latency_s", "grams_sent", "grams_retransmitted", "acks_sent",
    "wire_bytes", "overhead_ratio", "goodput_bps", "gave_up", "sim_s", "wall_s",
)


@dataclass
class MemoRecord:
    """One sent memo and what became of it."""

    key: MemoKey
    size: int
    sent_s: float
    digest: bytes
    delivered_s: float | None = None
    copies: int = 0

    @property
    def latency_s(self) -> float | None:
        return None if self.delivered_s is None else self.delivered_s - self.sent_s


@dataclass
class Recorder:
    """Collects sends and deliveries during one run."""

    memos: dict[MemoKey, MemoRecord] = field(default_factory=dict)
    duplicates: int = 0
    corrupt: int = 0
    deliveries: list[float] = field(default_factory=list)

    def sent(self, key: MemoKey, memo: str, when: float) -> None:
        self.memos[key] = MemoRecord(key, len(memo.encode()), when, digest(memo))

    def delivered(self, memo, when: float) -> None:
        key = parse_key(memo)
        record = self.memos.get(key) if key is not None else None
        if record is None or digest(memo) != record.digest:
            self.corrupt += 1
            return
        record.copies += 1
        if record.copies > 1:
            self.duplicates += 1
            return
        record.delivered_s = when
        self.deliveries.append(when)


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of ascending values; None if empty."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(doer: str, recorder: Recorder, stats: list[dict], *, sim_s: float,
              wall_s: float) -> dict:
    """The summary.json entry of one Doer's run."""
    records = list(recorder.memos.values())
    delivered = [r for r in records if r.delivered_s is not None]
    latencies = sorted(r.delivered_s - r.sent_s for r in delivered)  # type: ignore[operator]
    sent = len(records)
    grams_all = sum(s["grams_sent"] for s in stats)
    acks = sum(s["acks_sent"] for s in stats)
    wire = sum(s["bytes_sent"] for s in stats)
    payload = sum(r.size for r in delivered)

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 6)

    return {
        "doer": doer,
        "memos_sent": sent,
        "memos_delivered": len(delivered),
        "delivery_ratio": round(len(delivered) / sent, 6) if sent else None,
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
        "acks_sent": acks,
        "wire_bytes": wire,
        "overhead_ratio": round(wire / payload, 6) if payload else None,
        "goodput_bps": round(payload * 8 / sim_s, 3) if sim_s > 0 else None,
        "gave_up": sum(s["memos_failed"] for s in stats),
        "sim_s": round(sim_s, 6),
        "wall_s": round(wall_s, 3),
    }


def memo_rows(doer: str, recorder: Recorder) -> list[dict]:
    """Per-memo CSV rows, in send order."""
    rows = []
    for r in sorted(recorder.memos.values(), key=lambda r: (r.sent_s, r.key.workload,
                                                           r.key.src, r.key.dst, r.key.index)):
        rows.append({
            "doer": doer, "workload": r.key.workload, "src": r.key.src, "dst": r.key.dst,
            "index": r.key.index, "bytes": r.size, "sent_s": round(r.sent_s, 6),
            "delivered_s": "" if r.delivered_s is None else round(r.delivered_s, 6),
            "latency_s": "" if r.latency_s is None else round(r.latency_s, 6),
            "copies": r.copies,
        })
    return rows
