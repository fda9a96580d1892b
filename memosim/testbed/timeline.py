"""One memo's story: every event of each of its grams, as plain data.

After a sim run with a :class:`~memosim.testbed.gramtrace.GramTrace`, each
trace event is read back as a :class:`GramEvent`: which memo id, which gram
(number, or an ack naming the memo id), what happened (send, resend, drop
with its reason, duplicate, reorder, corrupt, deliver) on which link. A
workload memo is matched to its memo id through its zeroth gram, whose body
holds the memo's tag (after the 17-byte version and tag of a Sure memo).

:func:`memo_timelines` gives one record per memo (memos.csv order), the
lines of ``timeline.jsonl`` in a results directory; :func:`pick` chooses
the memos ``memosim run`` draws; :mod:`memosim.testbed.timeline_plot`
draws a record.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ..core import grams
from ..core.surewire import SURE_PREFIX
from .gramtrace import ACK_CODES, GramTrace
from .workload import MemoKey, parse_key

__all__ = [
    "ACK_LANE",
    "TIMELINE_FILE",
    "GramEvent",
    "gram_events",
    "key_text",
    "memo_mids",
    "memo_timelines",
    "pick",
    "write_timelines",
]

TIMELINE_FILE = "timeline.jsonl"
ACK_LANE = -1  # GramEvent.num of an ack: acks have a lane of their own


class GramEvent(NamedTuple):
    """One datagram event, read as a gram of a memo."""

    time: float
    kind: str  # send, resend, drop, duplicate, reorder, corrupt or deliver
    link: str  # "src->dst" (hosts)
    reason: str  # drop reason, "" else
    mid: str
    num: int  # gram number, ACK_LANE for an ack
    total: int  # grams of the memo (0 when not known: not its zeroth gram, or an ack)


class _Gram(NamedTuple):
    mid: str
    num: int
    total: int
    body: bytes


def _host(addr: str) -> str:
    return addr.rsplit(":", 1)[0].strip("[]")


def _parsed(trace: GramTrace) -> dict[str, _Gram | None]:
    out: dict[str, _Gram | None] = {}
    for h, data in trace.payloads.items():
        if h in trace.origin:  # a corrupted copy: read as the datagram it was
            continue
        try:
            g = grams.parse(data)
        except grams.GramError:
            out[h] = None
            continue
        if g.code in ACK_CODES:
            out[h] = _Gram(g.mid, ACK_LANE, 0, b"")
        else:
            out[h] = _Gram(g.mid, g.num, g.count or 0, g.body if g.zeroth else b"")
    for h, first in trace.origin.items():
        out[h] = out.get(first)
    return out


def gram_events(trace: GramTrace) -> list[GramEvent]:
    """Every trace event that is a gram, in trace order (needs keep=True)."""
    parsed = _parsed(trace)
    sent: set[tuple[str, str]] = set()
    out = []
    for i, ev in enumerate(trace.events):
        key = trace.payload_key(i, ev.phash)
        g = parsed.get(key)
        if g is None:
            continue
        link = f"{_host(ev.src)}->{_host(ev.dst)}"
        kind = ev.kind
        if kind == "send":
            if (link, key) in sent:
                kind = "resend"
            sent.add((link, key))
        reason = "" if ev.reason == "-" else ev.reason
        out.append(GramEvent(ev.time, kind, link, reason, g.mid, g.num, g.total))
    return out


def memo_mids(trace: GramTrace) -> dict[MemoKey, str]:
    """Workload memo -> its memo id, from the tags in the zeroth grams' bodies."""
    out: dict[MemoKey, str] = {}
    for h, g in _parsed(trace).items():
        if g is None or g.num != 0 or h in trace.origin:
            continue
        key = parse_key(g.body) or parse_key(g.body[SURE_PREFIX:])
        if key is not None:
            out.setdefault(key, g.mid)
    return out


def key_text(row: Mapping[str, Any]) -> str:
    """A memo's key as its tag writes it: ``workload:src>dst:index``."""
    return f"{row['workload']}:{row['src']}>{row['dst']}:{row['index']}"


def memo_timelines(
    rows: Sequence[Mapping[str, Any]],
    trace: GramTrace,
    windows: Mapping[tuple[str, str], Sequence[tuple[float, int]]] | None = None,
) -> list[dict[str, Any]]:
    """One record per memo row (memos.csv order): the row's identity and
    outcome, its memo id and every event of its grams and acks; with
    `windows` (backend.Windows), the sender's window toward the receiver
    while the memo was on its way, as [tyme, grams] steps."""
    mids = memo_mids(trace)
    by_mid: dict[str, list[GramEvent]] = {}
    for ev in gram_events(trace):
        by_mid.setdefault(ev.mid, []).append(ev)
    out = []
    for n, row in enumerate(rows):
        key = MemoKey(int(row["workload"]), str(row["src"]), str(row["dst"]), int(row["index"]))
        mid = mids.get(key)
        events = by_mid.get(mid, []) if mid is not None else []
        count = max((e.total for e in events if e.num != ACK_LANE), default=0)
        out.append(
            {
                "doer": row["doer"],
                "memo": n,
                "key": key_text(row),
                "mid": mid,
                "grams": count,
                "outcome": row["outcome"],
                "copies": row["copies"],
                "sent_s": row["sent_s"],
                "delivered_s": None if row["delivered_s"] == "" else row["delivered_s"],
                "events": [[round(e.time, 9), e.kind, e.num, e.reason, e.link] for e in events],
            }
        )
        if windows is not None:
            end = max([float(row["sent_s"])] + [e.time for e in events])
            series = windows.get((str(row["src"]), str(row["dst"])), ())
            out[-1]["window"] = _window_steps(series, float(row["sent_s"]), end)
    return out


def _window_steps(
    series: Sequence[tuple[float, int]], start: float, end: float
) -> list[list[float | int]]:
    """The steps of a window series in force from start to end: the last
    one at or before start, then every change up to end."""
    at = bisect_right([t for t, _ in series], start) - 1
    return [[round(t, 9), w] for t, w in series[max(at, 0) :] if t <= end]


def pick(records: Sequence[Mapping[str, Any]], slowest: int = 3, odd: int = 5) -> list[int]:
    """The memos worth a look: the `slowest` delivered ones, then up to `odd`
    lost silently, failed or duplicated (in send order); memo numbers, sorted."""
    done = [r for r in records if r["delivered_s"] is not None]
    done.sort(key=lambda r: (-(r["delivered_s"] - r["sent_s"]), r["memo"]))
    chosen = {r["memo"] for r in done[:slowest]}
    strange = [
        r["memo"]
        for r in records
        if r["outcome"] in ("lost_silently", "failed") or int(r["copies"]) > 1
    ]
    chosen.update(strange[:odd])
    return sorted(chosen)


def write_timelines(records: Iterable[Mapping[str, Any]], path: Path) -> Path:
    """timeline.jsonl: one JSON object per memo per Doer."""
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for r in records:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
    return path
