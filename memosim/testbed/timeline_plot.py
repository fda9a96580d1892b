"""Draw one memo's timeline: a lane per gram, time across, every event marked.

x is milliseconds since the memo was queued; each lane holds one gram (its
number) and the bottom lane the acks naming the memo id. A copy in flight
is a line from its send to its arrival: solid when delivered, dashed red
when dropped (the drop's reason and link written beside it). Markers tell
first sends, resends, network duplicates, reorders and corruptions apart.
Imported only when drawing (matplotlib).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .timeline import ACK_LANE

__all__ = ["STYLE", "draw"]

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
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    mid = record.get("mid") or "?"
    ax.set_title(
        title
        or f"{record['doer']}  memo {record['memo']} ({record['key']})  mid {mid}\n"
        f"{grams} grams, outcome {record['outcome']}"
        + (f", latency {(float(delivered) - t0) * 1000.0:.1f} ms" if delivered is not None else ""),
        fontsize=9,
    )
    return fig
