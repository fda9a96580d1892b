"""Draw one memo's timeline: a lane per gram, time across, every event marked.

x is milliseconds since the memo was queued; each lane holds one gram (its
number) and the bottom lane the acks naming the memo id. A copy in flight
is a line from its send to its arrival: solid when delivered, dashed red
when dropped (the drop's reason and link written beside it). Markers tell
first sends, resends, network duplicates, reorders and corruptions apart.
A grey step line on the right-hand axis is the sender's window toward the
receiver (congestion window, or the fixed window) while the memo was out.
Imported only when drawing (matplotlib).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .plots import save
from .timeline import ACK_LANE, TIMELINE_FILE
from .timeline_file import read_timelines

__all__ = ["STYLE", "draw", "draw_timelines", "explain"]

#: event kind -> (marker, colour, legend label)
STYLE: dict[str, tuple[str, str, str]] = {
    "send": ("o", "tab:blue", "sent"),
    "resend": (">", "tab:orange", "resent (retransmission)"),
    "duplicate": ("D", "tab:purple", "duplicated by the network"),
    "reorder": ("s", "tab:olive", "held back (reorder)"),
    "corrupt": ("*", "tab:brown", "bit flipped (corrupt)"),
    "deliver": ("|", "tab:green", "arrived"),
    "drop": ("x", "tab:red", "dropped (reason, link)"),
}


def _lane_of(num: int, grams: int) -> int:
    return grams if num == ACK_LANE else num


def draw(record: Mapping[str, Any], title: str | None = None) -> Figure:
    """A Figure of one timeline record (memosim.testbed.timeline.memo_timelines)."""
    t0 = float(record["sent_s"])
    events = record["events"]
    grams = max(int(record["grams"]), 1 + max((e[2] for e in events), default=-1))
    lanes = grams + 1  # the last lane: acks
    fig = Figure(figsize=(10, 1.8 + 0.32 * lanes), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    open_copies: dict[int, list[float]] = {}
    used: set[str] = set()
    for t, kind, num, reason, link in events:
        x = (t - t0) * 1000.0
        y = _lane_of(num, grams)
        if kind in ("send", "resend", "duplicate"):
            open_copies.setdefault(y, []).append(x)
        elif kind in ("deliver", "drop"):
            started = open_copies.get(y) or [x]
            x0 = started.pop(0)
            ok = kind == "deliver"
            ax.plot(
                [x0, x],
                [y, y],
                color="tab:green" if ok else "tab:red",
                linestyle="-" if ok else "--",
                linewidth=1.2,
                alpha=0.7,
                zorder=1,
            )
            if not ok:
                ax.annotate(
                    f"{reason} {link}",
                    (x, y),
                    xytext=(4, 4),
                    textcoords="offset points",
                    fontsize=7,
                    color="tab:red",
                )
        marker, colour, _ = STYLE[kind]
        ax.scatter([x], [y], marker=marker, color=colour, s=36, zorder=3)
        used.add(kind)
    ax.axvline(0.0, color="gray", linestyle=":", linewidth=1)
    delivered = record.get("delivered_s")
    if delivered is not None:
        ax.axvline((float(delivered) - t0) * 1000.0, color="tab:green", linestyle=":", linewidth=1)
    step = max(1, lanes // 24)
    ticks = [*range(0, grams, step), grams]
    ax.set_yticks(ticks)
    ax.set_yticklabels([f"gram {i}" for i in ticks[:-1]] + ["acks"])
    ax.set_ylim(lanes - 0.5, -0.5)
    ax.set_xlabel("time since the memo was queued (ms)")
    ax.set_ylabel("gram of the memo")
    ax.grid(axis="x", alpha=0.3)
    handles = [
        Line2D([], [], marker=STYLE[k][0], color=STYLE[k][1], linestyle="", label=STYLE[k][2])
        for k in STYLE
        if k in used
    ]
    handles.append(Line2D([], [], color="gray", linestyle=":", label="memo queued"))
    if delivered is not None:
        handles.append(Line2D([], [], color="tab:green", linestyle=":", label="memo delivered"))
    window = record.get("window")
    if window:  # the sender's window toward the receiver, on its own axis
        end = max([0.0] + [(t - t0) * 1000.0 for t, *_ in events])
        xs = [max((t - t0) * 1000.0, 0.0) for t, _ in window] + [end]
        ys = [w for _, w in window] + [window[-1][1]]
        wax = ax.twinx()
        wax.step(xs, ys, where="post", color="tab:gray", linewidth=1.0, alpha=0.6)
        wax.set_ylim(0, max(ys) * 1.1 + 1)
        wax.set_ylabel("sender's window (grams)", color="tab:gray", fontsize=8)
        handles.append(Line2D([], [], color="tab:gray", label="sender's window"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.08, 1.0), fontsize=8)
    mid = record.get("mid") or "?"
    ax.set_title(
        title
        or f"{record['doer']}  memo {record['memo']} ({record['key']})  mid {mid}\n"
        f"{grams} grams, outcome {record['outcome']}"
        + (f", latency {(float(delivered) - t0) * 1000.0:.1f} ms" if delivered is not None else ""),
        fontsize=9,
    )
    return fig


def draw_timelines(
    records: Sequence[Mapping[str, Any]], memos: Iterable[int], out: Path
) -> list[Path]:
    """Draw the given memo numbers of one Doer's records into out/<doer>-<memo>.png."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in memos:
        record = records[n]
        fig = draw(record)
        paths.append(save(fig, out / f"{record['doer']}-{n}.png"))
    return paths


def explain(results: Path, memo: int, doer: str | None = None) -> list[Path]:
    """Draw memo number `memo` (memos.csv order, from 0) of every Doer of a
    results directory (or of `doer` only) into its timelines/; ValueError
    with a one-line message when the directory or the memo is not there."""
    path = results / TIMELINE_FILE
    if not path.is_file():
        raise ValueError(
            f"{path}: no such file (timelines need a sim run: memosim run FILE --backend sim)"
        )
    records = read_timelines(path)
    doers = list(dict.fromkeys(str(r["doer"]) for r in records))
    if doer is not None and doer not in doers:
        raise ValueError(f"--doer {doer}: not in {path} (it holds {', '.join(doers)})")
    paths = []
    for name in [doer] if doer is not None else doers:
        mine = [r for r in records if r["doer"] == name]
        if not 0 <= memo < len(mine):
            raise ValueError(f"--memo {memo}: {name} sent memos 0 to {len(mine) - 1}")
        paths += draw_timelines(mine, [memo], results / "timelines")
    return paths
